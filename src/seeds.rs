//! The seeds of a sweep: a seed range (`A..B`, `A..=B`, `N`, open-ended `A..`) and a shard of it
//! (`I/N`: seed `s` belongs to shard `I` when `s % N == I`, 0-based), so that the shards of a
//! range together are exactly the range.

use std::fmt;
use std::str::FromStr;

/// `A..B` (end excluded), `A..=B`, a single seed `N`, or `A..` (open-ended: only with
/// `--budget`; the end is then 2^64 − 1, excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    pub start: u64,
    /// Excluded.
    pub end: u64,
    /// Written `A..`: no end was given.
    pub open: bool,
}

impl FromStr for SeedRange {
    type Err = String;
    fn from_str(s: &str) -> Result<SeedRange, String> {
        let num = |t: &str| {
            t.trim()
                .replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("`{t}` is not a seed (an integer in 0..2^64)"))
        };
        let range = if let Some((a, b)) = s.split_once("..=") {
            let end = num(b)?.checked_add(1).ok_or("the range end is too large")?;
            SeedRange {
                start: num(a)?,
                end,
                open: false,
            }
        } else if let Some((a, b)) = s.split_once("..") {
            let open = b.trim().is_empty();
            SeedRange {
                start: num(a)?,
                end: if open { u64::MAX } else { num(b)? },
                open,
            }
        } else {
            let n = num(s)?;
            SeedRange {
                start: n,
                end: n.checked_add(1).ok_or("the seed is too large")?,
                open: false,
            }
        };
        if range.start >= range.end {
            return Err(format!(
                "the seed range `{s}` is empty (use A..B with A < B, B excluded)"
            ));
        }
        Ok(range)
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.open {
            write!(f, "{}..", self.start)
        } else {
            write!(f, "{}..{}", self.start, self.end)
        }
    }
}

/// `I/N`, 0-based: shard `I` of `N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a shard; use I/N, 0-based, e.g. 3/16"))?;
        let parse = |t: &str| {
            t.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{t}` in shard `{s}` is not an integer"))
        };
        let shard = Shard {
            index: parse(i)?,
            count: parse(n)?,
        };
        shard.check()?;
        Ok(shard)
    }
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub(crate) fn check(&self) -> Result<(), String> {
        if self.count == 0 {
            return Err("the shard count must be at least 1".into());
        }
        if self.index >= self.count {
            return Err(format!(
                "shard index {} is out of range for {} shards (indices are 0-based: 0..={})",
                self.index,
                self.count,
                self.count - 1
            ));
        }
        Ok(())
    }

    /// Seeds of `range` in this shard, ascending.
    pub fn seeds(&self, range: SeedRange) -> impl Iterator<Item = u64> + use<> {
        let offset = (self.index + self.count - range.start % self.count) % self.count;
        let first = range.start.saturating_add(offset);
        let count = self.count;
        let end = range.end;
        let n = if first >= end {
            0
        } else {
            (end - 1 - first) / count + 1
        };
        (0..n).map(move |k| first + k * count)
    }

    pub fn seed_count(&self, range: SeedRange) -> u64 {
        let offset = (self.index + self.count - range.start % self.count) % self.count;
        let first = range.start.saturating_add(offset);
        if first >= range.end {
            0
        } else {
            (range.end - 1 - first) / self.count + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_and_shards() {
        assert_eq!(
            "0..10".parse::<SeedRange>().unwrap(),
            SeedRange {
                start: 0,
                end: 10,
                open: false
            }
        );
        assert_eq!(
            "3..=5".parse::<SeedRange>().unwrap(),
            SeedRange {
                start: 3,
                end: 6,
                open: false
            }
        );
        assert_eq!(
            "7".parse::<SeedRange>().unwrap(),
            SeedRange {
                start: 7,
                end: 8,
                open: false
            }
        );
        let open = "5..".parse::<SeedRange>().unwrap();
        assert!(open.open && open.start == 5 && open.end == u64::MAX);
        assert_eq!(open.to_string(), "5..");
        assert!("5..=".parse::<SeedRange>().is_err());
        assert!("5..5".parse::<SeedRange>().is_err());
        assert!("a..b".parse::<SeedRange>().is_err());
        assert!("3/3".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        let range = SeedRange {
            start: 5,
            end: 23,
            open: false,
        };
        let mut all: Vec<u64> = Vec::new();
        for i in 0..4 {
            let shard = Shard { index: i, count: 4 };
            let seeds: Vec<u64> = shard.seeds(range).collect();
            assert_eq!(seeds.len() as u64, shard.seed_count(range));
            assert!(seeds.iter().all(|s| s % 4 == i));
            all.extend(seeds);
        }
        all.sort();
        assert_eq!(all, (5..23).collect::<Vec<_>>());
    }
}
