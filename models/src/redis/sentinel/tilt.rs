//! Sentinel's TILT mode (sentinel.c `sentinelCheckTiltCondition`, `sentinelHandleRedisInstance`).
//!
//! Sentinel depends on its clock: down-after, failover timeouts and vote ages are all
//! differences of `mstime()`. When two runs of `sentinelTimer` are more than
//! `SENTINEL_TILT_TRIGGER` (2 s) apart, or the clock went backwards, the sentinel cannot trust
//! what it measured (the process was stopped, the machine was frozen, the clock was stepped), so
//! it enters TILT: for `SENTINEL_TILT_PERIOD` (30 s) it keeps monitoring (links, PING, INFO,
//! hello) but does not act — no SDOWN/ODOWN checks, no failover, no reconfiguration of
//! instances (`sentinelRefreshInstanceInfo` returns before its acting half), and it answers
//! `SENTINEL is-master-down-by-addr` with "not down". A new trigger inside the period restarts
//! it. Redis's documentation ("TILT mode", Sentinel docs) gives the same rule.

/// SENTINEL_TILT_TRIGGER: the largest gap between two timer runs taken as normal.
pub const TRIGGER_MS: u64 = 2_000;
/// SENTINEL_TILT_PERIOD (SENTINEL_PING_PERIOD × 30).
pub const PERIOD_MS: u64 = 30_000;

/// What the acting half of an instance may do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acting {
    Allowed,
    /// In TILT: skip the acting half.
    Tilted,
    /// The period just ended: `-tilt`, then act.
    Exited,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Tilt {
    /// `sentinel.previous_time`: the clock at the last timer run (or at start).
    previous_ms: u64,
    /// `sentinel.tilt_start_time` while `sentinel.tilt` is set.
    since_ms: Option<u64>,
}

impl Tilt {
    /// initSentinel: not in TILT, the previous time is now.
    pub fn started(now_ms: u64) -> Tilt {
        Tilt {
            previous_ms: now_ms,
            since_ms: None,
        }
    }

    /// At the start of each timer run. True when TILT is entered (or restarted) now.
    pub fn check(&mut self, now_ms: u64) -> bool {
        let entered = now_ms < self.previous_ms || now_ms - self.previous_ms > TRIGGER_MS;
        if entered {
            self.since_ms = Some(now_ms);
        }
        self.previous_ms = now_ms;
        entered
    }

    /// Before an instance's acting half: still tilted, allowed, or the period just ended.
    pub fn acting(&mut self, now_ms: u64) -> Acting {
        match self.since_ms {
            None => Acting::Allowed,
            Some(since) if now_ms.saturating_sub(since) < PERIOD_MS => Acting::Tilted,
            Some(_) => {
                self.since_ms = None;
                Acting::Exited
            }
        }
    }

    /// `sentinel.tilt`: set until the first acting half after the period clears it.
    pub fn active(&self) -> bool {
        self.since_ms.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_over_two_seconds_or_a_step_back_tilts_for_thirty_seconds() {
        let mut t = Tilt::started(1_000);
        assert!(!t.check(1_100));
        assert!(!t.check(3_100), "exactly the trigger is still normal");
        assert_eq!(t.acting(3_100), Acting::Allowed);
        assert!(t.check(5_101), "2,001 ms after the previous run");
        assert!(t.active());
        assert_eq!(t.acting(35_100), Acting::Tilted);
        assert_eq!(t.acting(35_101), Acting::Exited);
        assert_eq!(t.acting(35_102), Acting::Allowed);
        assert!(!t.active());
        assert!(t.check(35_000), "the clock went back");
        assert!(t.active());
    }

    #[test]
    fn a_new_trigger_restarts_the_period() {
        let mut t = Tilt::started(0);
        assert!(t.check(3_000));
        assert!(t.check(20_000));
        assert_eq!(
            t.acting(40_000),
            Acting::Tilted,
            "30 s from the second trigger"
        );
        assert_eq!(t.acting(50_000), Acting::Exited);
    }
}
