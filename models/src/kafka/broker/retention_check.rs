//! Retention invariant, checked independently of the deletion code in `log.rs`/`tiered.rs`:
//! at every segment deletion, the deleted segment's own facts and the topic config must show
//! that Kafka's rules allowed it. Costs O(1) per deleted segment, nothing per record.
//!
//! The rules (apache/kafka, UnifiedLog `deleteOldSegments` → `deletableSegments`, and the
//! predicates of `deleteRetentionMsBreachedSegments` / `deleteRetentionSizeBreachedSegments`):
//! - segments are taken oldest first, and the walk stops at the active segment and at any
//!   segment whose upper bound offset is above the high watermark;
//! - time: deletable when `now − segment.largestTimestamp > retention.ms` (retention.ms ≥ 0);
//! - size: deletable while the log without this segment is still ≥ retention.bytes
//!   (`diff − segment.size ≥ 0` with `diff = size − retention.bytes`; retention.bytes ≥ 0);
//! - tiered storage (KIP-405, local retention): a local segment additionally needs to be
//!   copied to the remote tier (upper bound − 1 ≤ highestOffsetInRemoteStorage) unless it lies
//!   wholly below the log start offset; time and size use local.retention.ms/.bytes.

/// What a deletion knew about the segment it removed (filled by `ReplicaLog`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeletedSegment {
    pub base_offset: u64,
    /// Upper bound: the next segment's base offset (or the segment's own end offset).
    pub end_offset: u64,
    pub bytes: u64,
    pub largest_ts_ms: i64,
    /// It was the last (active) segment of the log.
    pub was_active: bool,
    /// Local log start offset and size (bytes) just before this deletion.
    pub log_start_before: u64,
    pub size_before: u64,
    pub hw: u64,
}

/// The retention config a deletion must obey.
#[derive(Clone, Copy, Debug)]
pub struct RetentionRules {
    /// retention.ms (or local.retention.ms); −1 = unlimited.
    pub retention_ms: i64,
    /// retention.bytes (or local.retention.bytes); −1 = unlimited.
    pub retention_bytes: i64,
    /// Tiered storage: (highest offset in remote storage, remote log start offset).
    pub tiered: Option<(i64, u64)>,
}

impl RetentionRules {
    /// Number of rules the deletion broke (0 when it was allowed).
    pub fn violations(&self, d: &DeletedSegment, now_ms: i64) -> u64 {
        let active = d.was_active;
        let above_hw = d.end_offset > d.hw;
        // Oldest first: the deleted segment holds the log start (nothing older remains).
        let not_oldest = d.base_offset > d.log_start_before;
        let by_time =
            self.retention_ms >= 0 && now_ms.saturating_sub(d.largest_ts_ms) > self.retention_ms;
        let by_size = self.retention_bytes >= 0
            && d.size_before.saturating_sub(d.bytes) >= self.retention_bytes as u64;
        let allowed = match self.tiered {
            None => by_time || by_size,
            Some((highest_remote, remote_start)) => {
                let copied = d.end_offset >= 1 && (d.end_offset - 1) as i64 <= highest_remote;
                d.end_offset <= remote_start || (copied && (by_time || by_size))
            }
        };
        u64::from(active) + u64::from(above_hw) + u64::from(not_oldest) + u64::from(!allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::broker::log::ReplicaLog;
    use crate::kafka::wire::records::Batch;
    use std::rc::Rc;

    fn batch(base: u64, ts: i64) -> Rc<Batch> {
        Rc::new(Batch {
            leader_epoch: 0,
            ..Batch::fixture(base, ts, &[base + 1])
        })
    }

    /// Ten one-record segments of 100 bytes each, timestamps 0..10 s, HW at the LEO.
    fn log() -> ReplicaLog {
        let mut log = ReplicaLog::default();
        for i in 0..10u64 {
            log.append(batch(i, i as i64 * 1000), i as i64 * 1000, 100, u64::MAX);
        }
        log.hw = log.leo;
        log
    }

    fn facts() -> DeletedSegment {
        DeletedSegment {
            base_offset: 0,
            end_offset: 1,
            bytes: 100,
            largest_ts_ms: 0,
            was_active: false,
            log_start_before: 0,
            size_before: 1000,
            hw: 10,
        }
    }

    const TIME: RetentionRules = RetentionRules {
        retention_ms: 5000,
        retention_bytes: -1,
        tiered: None,
    };

    #[test]
    fn allowed_deletions_count_nothing() {
        assert_eq!(TIME.violations(&facts(), 5001), 0);
        let size = RetentionRules {
            retention_ms: -1,
            retention_bytes: 900,
            ..TIME
        };
        assert_eq!(size.violations(&facts(), 0), 0);
        // The real deletion code, checked: nothing flagged.
        let mut l = log();
        let mut bad = 0;
        let n = l.delete_retention_noting(9000, 5000, -1, |d| bad += TIME.violations(d, 9000));
        assert_eq!((n, bad), (4, 0));
    }

    #[test]
    fn bad_deletions_are_counted() {
        // Too young for retention.ms, log within retention.bytes.
        assert_eq!(TIME.violations(&facts(), 5000), 1);
        let size = RetentionRules {
            retention_ms: -1,
            retention_bytes: 901,
            ..TIME
        };
        assert_eq!(size.violations(&facts(), 0), 1);
        // Active segment, above the HW, not the oldest.
        let d = DeletedSegment {
            was_active: true,
            hw: 0,
            log_start_before: 0,
            base_offset: 1,
            end_offset: 2,
            ..facts()
        };
        assert_eq!(TIME.violations(&d, 10_000), 3);
        // A deletion rule that deletes every closed segment ≤ HW: the check sees the young ones.
        let mut l = log();
        let mut bad = 0;
        let n = l.delete_oldest_while_noting(|_, _, _| true, |d| bad += TIME.violations(d, 9000));
        assert_eq!((n, bad), (9, 5));
    }

    #[test]
    fn tiered_local_deletion_needs_a_remote_copy() {
        let tiered = RetentionRules {
            tiered: Some((0, 0)),
            ..TIME
        };
        assert_eq!(tiered.violations(&facts(), 5001), 0);
        let uncopied = DeletedSegment {
            base_offset: 1,
            end_offset: 2,
            log_start_before: 1,
            ..facts()
        };
        assert_eq!(tiered.violations(&uncopied, 5001), 1);
        // Below the remote log start: deletable whatever its age.
        let below = RetentionRules {
            tiered: Some((-1, 5)),
            ..TIME
        };
        assert_eq!(below.violations(&uncopied, 0), 0);
    }

    /// UnifiedLog.deleteOldSegments: with every segment deletable, the active one is rolled
    /// and all go; the log keeps one empty segment at the LEO.
    #[test]
    fn the_active_segment_goes_only_when_every_segment_does() {
        let mut l = log();
        let mut bad = 0;
        let n = l.delete_retention_noting(20_000, 5000, -1, |d| bad += TIME.violations(d, 20_000));
        assert_eq!((n, bad), (10, 0));
        assert_eq!((l.local_log_start, l.leo, l.segments.len()), (10, 10, 1));
        assert!(l.segments[0].batches.is_empty());
    }

    /// A record older than retention.ms stays while a younger one shares its (active)
    /// segment: the segment's largest timestamp decides, and nothing rolls it early.
    #[test]
    fn a_young_record_keeps_the_old_records_of_its_segment() {
        let mut l = ReplicaLog::default();
        // One segment: no size or time roll (segment.ms as large as an i64 allows).
        let never = i64::MAX as u64;
        l.append(batch(0, 0), 0, never, never);
        l.append(batch(1, 9000), 9000, never, never);
        assert_eq!(l.segments.len(), 1);
        l.hw = l.leo;
        assert_eq!(l.delete_retention_noting(12_000, 5000, -1, |_| {}), 0);
        assert_eq!((l.local_log_start, l.segments.len()), (0, 1));
        assert_eq!(l.delete_retention_noting(14_001, 5000, -1, |_| {}), 1);
        assert_eq!((l.local_log_start, l.leo), (2, 2));
    }

    /// The active segment's upper bound is the LEO: above the HW it stays, and is not rolled.
    #[test]
    fn an_active_segment_above_the_hw_stays() {
        let mut l = log();
        l.hw = 9;
        assert_eq!(l.delete_retention_noting(20_000, 5000, -1, |_| {}), 9);
        assert_eq!((l.local_log_start, l.segments.len()), (9, 1));
    }
}
