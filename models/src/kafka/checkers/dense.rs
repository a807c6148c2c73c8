//! The checker's dense tables, indexed by a counter: a producer's send counter (per-value
//! state) and a partition's offset (the value observed there). They hold one entry per record
//! of a run, so they are the checker's largest allocations (≈ 250 MB of the 546 MB heap peak
//! of `bench/kafka-large.ron`, issue 18), and they grow by fixed chunks: a doubling `Vec` copies
//! the whole table at each growth, holds old and new copies at that moment, and keeps up to
//! half its capacity unused after it.

/// Entries per chunk. Every chunk but the last holds exactly this many; the last grows up to it
/// (so a small table — a partition read a few times — stays small).
const CHUNK: usize = 8192;

/// A table of `T` indexed from 0, whose length is one past the highest index written; unwritten
/// entries below it read as `T::default()`.
#[derive(Clone, Debug, Default)]
pub struct Dense<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T: Copy + Default> Dense<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<&T> {
        (i < self.len).then(|| &self.chunks[i / CHUNK][i % CHUNK])
    }

    /// Entry `i`, the table grown to hold it.
    #[inline]
    pub fn get_or_grow(&mut self, i: usize) -> &mut T {
        if i >= self.len {
            // The last chunk is filled to its capacity: appending stays in it until then.
            let filled =
                (self.chunks.len().max(1) - 1) * CHUNK + self.chunks.last().map_or(0, |c| c.len());
            if i < filled {
                self.len = i + 1;
            } else {
                self.grow_to(i + 1);
            }
        }
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }

    #[cold]
    fn grow_to(&mut self, len: usize) {
        let chunks = len.div_ceil(CHUNK);
        for c in self.chunks.len().saturating_sub(1)..chunks {
            if c == self.chunks.len() {
                self.chunks.push(Vec::new());
            }
            let want = if c + 1 < chunks {
                CHUNK
            } else {
                len - c * CHUNK
            };
            let chunk = &mut self.chunks[c];
            if chunk.len() < want {
                // Double the last chunk's room as a Vec would, but never past CHUNK, and fill
                // it: the entries up to its end are there for the next appends.
                let room = want.max(2 * chunk.len()).min(CHUNK);
                chunk.reserve_exact(room - chunk.len());
                chunk.resize(room, T::default());
            }
        }
        self.len = len;
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flatten().take(self.len)
    }
}

impl<T: Copy + Default> From<Vec<T>> for Dense<T> {
    fn from(v: Vec<T>) -> Dense<T> {
        let mut d = Dense::default();
        for (i, x) in v.into_iter().enumerate() {
            *d.get_or_grow(i) = x;
        }
        d
    }
}

/// Per partition: the value observed at each offset (0 = none). Values are
/// `(producer + 1) << 40 | counter` (`wire/value_names.rs`); while every one of a partition fits
/// in 32 bits (producer < 255, counter < 2^24) the table keeps 4 bytes per offset, and it
/// widens to 8 bytes for good at the first that does not.
#[derive(Clone, Debug)]
pub enum OffsetTable {
    Narrow(Dense<u32>),
    Wide(Dense<u64>),
}

impl Default for OffsetTable {
    fn default() -> OffsetTable {
        OffsetTable::Narrow(Dense::default())
    }
}

const COUNTER_BITS: u32 = 24;

fn narrow(v: u64) -> Option<u32> {
    let (producer, counter) = (v >> 40, v & ((1 << 40) - 1));
    (producer < 256 && counter < (1 << COUNTER_BITS))
        .then_some(((producer as u32) << COUNTER_BITS) | counter as u32)
}

fn widen(x: u32) -> u64 {
    (u64::from(x >> COUNTER_BITS) << 40) | u64::from(x & ((1 << COUNTER_BITS) - 1))
}

impl OffsetTable {
    /// The value observed at `offset` (0 = none), None past the highest offset observed.
    pub fn get(&self, offset: usize) -> Option<u64> {
        match self {
            OffsetTable::Narrow(d) => d.get(offset).map(|&x| widen(x)),
            OffsetTable::Wide(d) => d.get(offset).copied(),
        }
    }

    /// Record `v` at `offset` unless a value is there already; returns the value there before
    /// (0 = none).
    #[inline]
    pub fn set_if_empty(&mut self, offset: usize, v: u64) -> u64 {
        if let OffsetTable::Narrow(d) = self {
            match narrow(v) {
                Some(x) => {
                    let slot = d.get_or_grow(offset);
                    let before = widen(*slot);
                    if *slot == 0 {
                        *slot = x;
                    }
                    return before;
                }
                None => *self = OffsetTable::Wide(d.iter().map(|&x| widen(x)).collect()),
            }
        }
        let OffsetTable::Wide(d) = self else {
            unreachable!("widened above")
        };
        let slot = d.get_or_grow(offset);
        let before = *slot;
        if before == 0 {
            *slot = v;
        }
        before
    }

    /// The values at offsets 0.., 0 where none was observed.
    pub fn iter(&self) -> Box<dyn Iterator<Item = u64> + '_> {
        match self {
            OffsetTable::Narrow(d) => Box::new(d.iter().map(|&x| widen(x))),
            OffsetTable::Wide(d) => Box::new(d.iter().copied()),
        }
    }
}

impl From<Vec<u64>> for OffsetTable {
    fn from(values: Vec<u64>) -> OffsetTable {
        let mut t = OffsetTable::default();
        for (o, v) in values.into_iter().enumerate() {
            t.set_if_empty(o, v);
        }
        t
    }
}

impl<T: Copy + Default> FromIterator<T> for Dense<T> {
    fn from_iter<I: IntoIterator<Item = T>>(it: I) -> Dense<T> {
        let mut d = Dense::default();
        for (i, x) in it.into_iter().enumerate() {
            *d.get_or_grow(i) = x;
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads back what was written across chunk boundaries, unwritten entries as default,
    /// and no chunk holds more than CHUNK entries.
    #[test]
    fn a_dense_table_reads_back_across_chunks_with_gaps_as_default() {
        let mut d: Dense<u64> = Dense::default();
        assert!(d.len() == 0 && d.get(0).is_none());
        *d.get_or_grow(3) = 3;
        assert_eq!(
            (d.len(), d.get(2), d.get(3), d.get(4)),
            (4, Some(&0), Some(&3), None)
        );
        for i in [CHUNK - 1, CHUNK, 3 * CHUNK + 5] {
            *d.get_or_grow(i) = i as u64;
        }
        assert_eq!(d.len(), 3 * CHUNK + 6);
        assert_eq!(d.iter().count(), d.len());
        for (i, &x) in d.iter().enumerate() {
            let written = [3, CHUNK - 1, CHUNK, 3 * CHUNK + 5].contains(&i);
            assert_eq!(x, if written { i as u64 } else { 0 }, "{i}");
        }
        assert!(
            d.chunks
                .iter()
                .all(|c| c.len() <= CHUNK && c.capacity() <= CHUNK)
        );
        assert!(d.chunks[..3].iter().all(|c| c.len() == CHUNK));
        let from: Dense<u64> = Dense::from(vec![0, 7, 0]);
        assert_eq!(from.iter().copied().collect::<Vec<_>>(), [0, 7, 0]);
    }

    /// Appending one entry at a time (how the checker grows: send counters and offsets come
    /// in order) fills each chunk to exactly CHUNK before starting the next, and the last one
    /// doubles its room (1, 2, 4, 8, …) up to CHUNK: what the table promises of its memory.
    #[test]
    fn appending_in_order_fills_chunks_and_doubles_only_the_last() {
        let mut d: Dense<u32> = Dense::default();
        let lens = |d: &Dense<u32>| d.chunks.iter().map(Vec::len).collect::<Vec<_>>();
        let mut seen = Vec::new();
        for i in 0..2 * CHUNK + 5 {
            *d.get_or_grow(i) = i as u32 + 1;
            if i >= 2 * CHUNK {
                seen.push(lens(&d));
            }
        }
        let c = CHUNK;
        let expected = [
            vec![c, c, 1],
            vec![c, c, 2],
            vec![c, c, 4],
            vec![c, c, 4],
            vec![c, c, 8],
        ];
        assert_eq!(seen, expected);
        assert!(d.chunks.iter().all(|ch| ch.capacity() <= CHUNK));
        assert_eq!(d.len(), 2 * CHUNK + 5);
        assert!(d.iter().enumerate().all(|(i, &x)| x == i as u32 + 1));
    }

    /// Values that fit keep 4 bytes; the first that does not widens the table, and every value
    /// reads back the same either way; a second value at an offset does not replace the first.
    #[test]
    fn an_offset_table_narrows_values_that_fit_and_widens_for_one_that_does_not() {
        let v = |producer: u64, n: u64| ((producer + 1) << 40) | n;
        let mut t = OffsetTable::default();
        assert_eq!(t.set_if_empty(2, v(0, 5)), 0);
        assert_eq!(t.set_if_empty(2, v(0, 6)), v(0, 5));
        assert_eq!(t.set_if_empty(4, v(254, (1 << 24) - 1)), 0);
        assert!(matches!(t, OffsetTable::Narrow(_)));
        let big = [v(0, 1 << 24), v(255, 0), 1 << 63 | v(0, 1)];
        for (i, &b) in big.iter().enumerate() {
            let mut u = t.clone();
            assert_eq!(u.set_if_empty(6 + i, b), 0);
            assert!(matches!(u, OffsetTable::Wide(_)), "{b:#x}");
            assert_eq!(u.get(6 + i), Some(b));
            assert_eq!((u.get(2), u.get(4)), (t.get(2), t.get(4)));
        }
        assert_eq!(
            t.iter().collect::<Vec<_>>(),
            [0, 0, v(0, 5), 0, v(254, (1 << 24) - 1)]
        );
        assert_eq!(OffsetTable::from(vec![0, v(1, 1)]).get(1), Some(v(1, 1)));
    }
}
