//! offsets.retention.minutes (KIP-211): the group coordinator's expiry of committed offsets,
//! run every offsets.retention.check.interval.ms (GroupMetadataManager's
//! "delete-expired-group-metadata" task). GroupMetadata.removeExpiredOffsets: a group that
//! uses the consumer protocol loses all its offsets once it has been Empty (no members) for
//! the retention period; a standalone group (offsets committed without membership, protocol
//! none) loses each offset the retention period after its own last commit. A consumer of the
//! group then finds no committed offset and applies auto.offset.reset.

use crate::kafka::config::KafkaConfig;
use msgsim_sim::{SimDuration, SimTime};
use std::collections::BTreeMap;

#[derive(Debug)]
pub struct OffsetExpiry {
    retention: SimDuration,
    interval: SimDuration,
    /// Last commit time per partition (offsets present at the start: time 0).
    commit_times: BTreeMap<u32, SimTime>,
    /// When the group last became Empty (seen at the coordinator's 1 s check).
    empty_since: Option<SimTime>,
    /// A member joined once: the group has the consumer protocol type.
    pub protocol_used: bool,
    next_check: SimTime,
}

impl OffsetExpiry {
    pub fn new(cfg: &KafkaConfig, initial: impl Iterator<Item = u32>) -> OffsetExpiry {
        let interval = SimDuration::from_millis(cfg.offsets_retention_check_interval_ms);
        OffsetExpiry {
            retention: SimDuration::from_millis(
                cfg.offsets_retention_minutes.saturating_mul(60_000),
            ),
            interval,
            commit_times: initial.map(|p| (p, SimTime::ZERO)).collect(),
            empty_since: None,
            protocol_used: false,
            next_check: SimTime::ZERO + interval,
        }
    }

    pub fn committed(&mut self, p: u32, now: SimTime) {
        self.commit_times.insert(p, now);
    }

    /// The periodic check at `now` with the group's membership; removes expired offsets from
    /// `committed` and says whether any went.
    pub fn check(&mut self, now: SimTime, empty: bool, committed: &mut BTreeMap<u32, u64>) -> bool {
        if !empty {
            self.empty_since = None;
        } else if self.empty_since.is_none() {
            self.empty_since = Some(now);
        }
        if now < self.next_check {
            return false;
        }
        while self.next_check <= now {
            self.next_check += self.interval;
        }
        let before = committed.len();
        let retention = self.retention;
        if self.protocol_used {
            if self
                .empty_since
                .is_some_and(|t| now.saturating_since(t) >= retention)
            {
                committed.clear();
            }
        } else {
            let times = &self.commit_times;
            committed.retain(|p, _| {
                let at = times.get(p).copied().unwrap_or(SimTime::ZERO);
                now.saturating_since(at) < retention
            });
        }
        committed.len() < before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expiry(minutes: u64) -> OffsetExpiry {
        let cfg = KafkaConfig {
            offsets_retention_minutes: minutes,
            offsets_retention_check_interval_ms: 60_000,
            ..KafkaConfig::default()
        };
        OffsetExpiry::new(&cfg, std::iter::empty())
    }

    fn at(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }

    #[test]
    fn a_consumer_group_keeps_its_offsets_until_empty_for_the_retention_period() {
        let mut e = expiry(10);
        e.protocol_used = true;
        let mut c: BTreeMap<u32, u64> = [(0, 5)].into_iter().collect();
        e.committed(0, at(0));
        // Members for 20 minutes: nothing expires although the commit is older than 10 min.
        for s in 1..=1_200 {
            assert!(!e.check(at(s * 1_000), false, &mut c));
        }
        // Empty from 20 min: expiry at the first check 10 min later.
        for s in 1_201..1_800 {
            assert!(!e.check(at(s * 1_000), true, &mut c), "at {s} s");
        }
        assert!(e.check(at(1_860_000), true, &mut c));
        assert!(c.is_empty());
    }

    #[test]
    fn a_standalone_group_loses_each_offset_after_its_own_commit() {
        let mut e = expiry(10);
        let mut c: BTreeMap<u32, u64> = [(0, 5), (1, 7)].into_iter().collect();
        e.committed(0, at(0));
        e.committed(1, at(300_000));
        assert!(e.check(at(600_000), true, &mut c));
        assert_eq!(c.keys().copied().collect::<Vec<_>>(), vec![1]);
        assert!(e.check(at(900_000), true, &mut c));
        assert!(c.is_empty());
    }
}
