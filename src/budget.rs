//! `msgsim explore --budget DURATION`: sweep seeds until a wall-clock budget runs out, the way
//! TigerBeetle's VOPR or FoundationDB's swarm runs go "as many seeds as fit in the night".
//!
//! The wall clock decides only *when to stop launching seeds*; it never enters a run, so every
//! seed's result is the same as without a budget. Seeds are claimed strictly in order and every
//! claimed seed runs to completion, so the seeds that ran are always a prefix of the seeds asked
//! for: `results.jsonl` of a budgeted sweep is a prefix of the unbudgeted one, and the sweep
//! resumes from the next seed.

use rayon::ThreadPool;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The longest budget accepted: a week. Longer sweeps are resumed (or sharded) runs.
pub const MAX_BUDGET_MS: u64 = 7 * 24 * 3_600_000;

/// A wall-clock budget: `90s`, `10m`, `1h`, `1h30m`, `500ms` (units ms, s, m, h, d).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    pub ms: u64,
    text: String,
}

const UNITS: [(&str, u64); 5] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

const BUDGET_HELP: &str =
    "write a number with a unit, e.g. 90s, 10m, 1h or 1h30m (units ms, s, m, h, d)";

impl FromStr for Budget {
    type Err = String;
    fn from_str(s: &str) -> Result<Budget, String> {
        let text = s.trim();
        if text.is_empty() {
            return Err(format!("the budget is empty; {BUDGET_HELP}"));
        }
        let mut rest = text;
        let mut ms: u64 = 0;
        while !rest.is_empty() {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 0 {
                return Err(format!("`{text}` is not a duration; {BUDGET_HELP}"));
            }
            let (num, after) = rest.split_at(digits);
            let unit_len = after.len()
                - after
                    .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .len();
            let (unit, after) = after.split_at(unit_len);
            if after.starts_with(['.', ',']) {
                return Err(format!(
                    "`{text}`: write whole numbers (e.g. 1h30m or 90m, not 1.5h); {BUDGET_HELP}"
                ));
            }
            if unit.is_empty() {
                return Err(format!(
                    "`{text}` has a number without a unit; {BUDGET_HELP}"
                ));
            }
            let per = UNITS
                .iter()
                .find(|(u, _)| *u == unit)
                .map(|(_, per)| *per)
                .ok_or_else(|| format!("`{unit}` in `{text}` is not a unit; {BUDGET_HELP}"))?;
            let too_long = || format!("the budget `{text}` is longer than the limit of 7 days");
            let part = num
                .parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(per))
                .ok_or_else(too_long)?;
            ms = ms.checked_add(part).ok_or_else(too_long)?;
            rest = after;
        }
        if ms == 0 {
            return Err(format!("the budget `{text}` must be positive"));
        }
        if ms > MAX_BUDGET_MS {
            return Err(format!(
                "the budget `{text}` is longer than the limit of 7 days (168h); resume the sweep instead"
            ));
        }
        Ok(Budget {
            ms,
            text: text.to_string(),
        })
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// When to stop launching seeds. Wall clock, read only between seeds.
pub struct Deadline(Option<Instant>);

impl Deadline {
    pub fn start(budget: Option<&Budget>) -> Deadline {
        #[allow(clippy::disallowed_methods)] // when to stop launching seeds; never inside a run
        let now = Instant::now();
        Deadline(budget.map(|b| now + Duration::from_millis(b.ms)))
    }

    pub fn passed(&self) -> bool {
        #[allow(clippy::disallowed_methods)] // when to stop launching seeds; never inside a run
        self.0.is_some_and(|d| Instant::now() >= d)
    }
}

/// Run `f` on the items of `batch` on every thread of `pool`, claiming items strictly in order
/// and checking `stop` before each claim (the first item always runs when `first_always`).
/// Every claimed item runs to completion and items are claimed one index at a time, so the
/// outcomes returned are those of a prefix of `batch`, in order.
pub fn run_prefix<T: Sync, R: Send>(
    pool: &ThreadPool,
    batch: &[T],
    first_always: bool,
    stop: &(dyn Fn() -> bool + Sync),
    f: &(dyn Fn(&T) -> R + Sync),
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = batch.iter().map(|_| Mutex::new(None)).collect();
    let worker = || {
        loop {
            let i = next.load(Ordering::SeqCst);
            if i >= batch.len() || (!(first_always && i == 0) && stop()) {
                return;
            }
            // Claim exactly the index that passed the check; a lost race re-checks.
            if next
                .compare_exchange(i, i + 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                let r = f(&batch[i]);
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            }
        }
    };
    pool.scope(|s| {
        for _ in 0..pool.current_num_threads().min(batch.len()) {
            s.spawn(|_| worker());
        }
    });
    slots
        .into_iter()
        .map_while(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_and_are_bounded() {
        let ms = |s: &str| s.parse::<Budget>().map(|b| b.ms);
        assert_eq!(ms("90s"), Ok(90_000));
        assert_eq!(ms("10m"), Ok(600_000));
        assert_eq!(ms("1h"), Ok(3_600_000));
        assert_eq!(ms("1h30m"), Ok(5_400_000));
        assert_eq!(ms("250ms"), Ok(250));
        assert_eq!(ms("7d"), Ok(MAX_BUDGET_MS));
        for bad in [
            "",
            "10",
            "10x",
            "s",
            "0s",
            "-5s",
            "1.5h",
            "8d",
            "99999999999999999999h",
        ] {
            assert!(bad.parse::<Budget>().is_err(), "{bad:?} is rejected");
        }
    }

    #[test]
    fn run_prefix_returns_a_prefix_in_order() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let items: Vec<u64> = (0..50).collect();
        let all = run_prefix(&pool, &items, false, &|| false, &|x| x * 2);
        assert_eq!(all, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        let none = run_prefix(&pool, &items, false, &|| true, &|x| *x);
        assert!(none.is_empty());
        let first = run_prefix(&pool, &items, true, &|| true, &|x| *x);
        assert_eq!(first, vec![0]);
        // Stop after about ten claims: whatever ran is 0..k.
        let claims = AtomicUsize::new(0);
        let some = run_prefix(
            &pool,
            &items,
            false,
            &|| claims.fetch_add(1, Ordering::SeqCst) >= 10,
            &|x| *x,
        );
        assert!(!some.is_empty() && some.len() < items.len());
        assert_eq!(some, (0..some.len() as u64).collect::<Vec<_>>());
    }
}
