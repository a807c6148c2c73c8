//! The log cleaner (cleanup.policy=compact): one pass of LogCleaner over a replica's log.
//!
//! Rules (DESIGN §4.9 "Log Compaction"; LogCleaner.scala, LogCleanerManager.scala; KIP-534):
//! - Only closed segments below the HW are cleanable: the active segment is never compacted,
//!   and nor is a segment holding records newer than `min.compaction.lag.ms`
//!   (LogCleanerManager.cleanableOffsets: first uncleanable dirty offset).
//! - A log is cleaned when its dirty ratio — dirty bytes (from the cleaner checkpoint to the
//!   first uncleanable offset) over clean + dirty bytes — reaches `min.cleanable.dirty.ratio`,
//!   or when its oldest dirty record is older than `max.compaction.lag.ms` (KIP-354).
//! - The pass builds key → last offset over the dirty section, then rewrites every cleanable
//!   segment keeping a record only if no later record of its key is in that map.
//! - Tombstones (null values) are kept until their delete horizon: KIP-534 stamps it
//!   (`now + delete.retention.ms`) the first time the cleaner passes the tombstone; a later pass
//!   after the horizon drops it. A passed horizon alone makes the log cleanable.
//! - Offsets never change; a run of kept records becomes its own batch at its own offsets, so a
//!   fetch at a removed offset returns the next higher record.
//!
//! Simplifications: cleaned segments are not merged (groupSegmentsBySize); the last batch of
//! each producer is not retained for producer state (ProducerStateManager rebuilds from what
//! remains); the pass is instantaneous.

use super::config::KafkaConfig;
use super::keys::KeySpec;
use super::log::{Batch, ReplicaLog};
use std::collections::BTreeMap;
use std::rc::Rc;

/// What one cleaning pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CleanStats {
    /// Superseded records removed.
    pub removed: u64,
    /// Tombstones removed after their delete horizon.
    pub tombstones_removed: u64,
}

/// The cleaner knobs a pass reads.
#[derive(Clone, Copy, Debug)]
pub struct CleanerParams {
    pub keys: KeySpec,
    pub delete_retention_ms: i64,
    pub min_cleanable_dirty_ratio: f64,
    pub min_compaction_lag_ms: i64,
    pub max_compaction_lag_ms: i64,
}

impl CleanerParams {
    pub fn of(cfg: &KafkaConfig) -> CleanerParams {
        let ms = |v: u64| v.min(i64::MAX as u64) as i64;
        CleanerParams {
            keys: KeySpec::of(cfg),
            delete_retention_ms: ms(cfg.delete_retention_ms),
            min_cleanable_dirty_ratio: cfg.min_cleanable_dirty_ratio,
            min_compaction_lag_ms: ms(cfg.min_compaction_lag_ms),
            max_compaction_lag_ms: if cfg.max_compaction_lag_ms < 0 {
                i64::MAX
            } else {
                cfg.max_compaction_lag_ms
            },
        }
    }
}

impl ReplicaLog {
    /// First uncleanable offset: the base of the first segment that is active, reaches above
    /// the HW, or (in the dirty section) holds a record newer than min.compaction.lag.ms.
    fn first_uncleanable(&self, now_ms: i64, first_dirty: u64, min_lag_ms: i64) -> u64 {
        let n = self.segments.len();
        for i in 0..n - 1 {
            let seg = &self.segments[i];
            let end = self.segments[i + 1].base_offset;
            let too_new = end > first_dirty
                && seg.largest_ts_ms != i64::MIN
                && now_ms.saturating_sub(seg.largest_ts_ms) < min_lag_ms;
            if end > self.hw || too_new {
                return seg.base_offset;
            }
        }
        self.segments[n - 1].base_offset
    }

    /// Bytes of the segments in `[from, to)` (whole segments).
    fn bytes_between(&self, from: u64, to: u64) -> u64 {
        self.segments
            .iter()
            .filter(|s| s.base_offset >= from && s.base_offset < to)
            .map(|s| s.bytes)
            .sum()
    }

    /// The log is due for cleaning (LogCleanerManager.grabFilthiestCompactedLog).
    fn cleanable(&self, now_ms: i64, first_dirty: u64, end: u64, p: &CleanerParams) -> bool {
        // A tombstone past its delete horizon makes the log cleanable even with nothing dirty
        // (KIP-534 keeps the log's delete horizon for this), else a quiet compacted log would
        // keep its tombstones for ever.
        let horizon_passed = self
            .tombstone_horizons
            .range(..end)
            .any(|(_, &h)| h <= now_ms);
        if horizon_passed {
            return true;
        }
        if first_dirty >= end {
            return false;
        }
        let dirty = self.bytes_between(first_dirty, end);
        let clean = self.bytes_between(self.log_start, first_dirty);
        let ratio = dirty as f64 / (clean + dirty).max(1) as f64;
        let oldest_dirty_ts = self
            .segments
            .iter()
            .filter(|s| s.base_offset >= first_dirty && s.base_offset < end)
            .flat_map(|s| s.batches.first())
            .map(|b| b.max_ts_ms)
            .next();
        let overdue =
            oldest_dirty_ts.is_some_and(|ts| now_ms.saturating_sub(ts) > p.max_compaction_lag_ms);
        ratio >= p.min_cleanable_dirty_ratio || overdue
    }

    /// One cleaning pass (LogCleaner.doClean), if the log is cleanable. Returns what it removed.
    pub fn clean(&mut self, now_ms: i64, p: &CleanerParams) -> Option<CleanStats> {
        if self.segments.len() < 2 {
            return None;
        }
        let first_dirty = self.clean_offset.max(self.log_start);
        let end = self.first_uncleanable(now_ms, first_dirty, p.min_compaction_lag_ms);
        if !self.cleanable(now_ms, first_dirty, end, p) {
            return None;
        }
        // OffsetMap: key → last offset in the dirty section.
        let mut last: BTreeMap<u64, u64> = BTreeMap::new();
        self.for_each_record(|o, v| {
            if o >= first_dirty
                && o < end
                && let Some(k) = p.keys.key(v)
            {
                last.insert(k, o);
            }
        });
        let mut stats = CleanStats::default();
        let horizon = now_ms.saturating_add(p.delete_retention_ms);
        let mut horizons = std::mem::take(&mut self.tombstone_horizons);
        let mut keep = |o: u64, v: u64, stats: &mut CleanStats| -> bool {
            let Some(k) = p.keys.key(v) else {
                return true;
            };
            if last.get(&k).is_some_and(|&l| l > o) {
                stats.removed += 1;
                horizons.remove(&o);
                return false;
            }
            if p.keys.is_tombstone(v) {
                let h = *horizons.entry(o).or_insert(horizon);
                if h <= now_ms {
                    stats.tombstones_removed += 1;
                    horizons.remove(&o);
                    return false;
                }
            }
            true
        };
        let mut removed_bytes = 0;
        for seg in self.segments.iter_mut().filter(|s| s.base_offset < end) {
            let mut out: Vec<Rc<Batch>> = Vec::with_capacity(seg.batches.len());
            for b in &seg.batches {
                push_kept_runs(b, &mut out, |o, v| keep(o, v, &mut stats));
            }
            let bytes: u64 = out.iter().map(|b| b.bytes).sum();
            removed_bytes += seg.bytes - bytes;
            seg.bytes = bytes;
            seg.batches = out;
        }
        self.tombstone_horizons = horizons;
        self.size_bytes -= removed_bytes;
        self.clean_offset = end;
        Some(stats)
    }
}

/// Append to `out` the runs of consecutive records of `b` that `keep` keeps; a batch kept
/// whole stays the same shared batch.
fn push_kept_runs(b: &Rc<Batch>, out: &mut Vec<Rc<Batch>>, mut keep: impl FnMut(u64, u64) -> bool) {
    let flags: Vec<bool> = b
        .values
        .iter()
        .enumerate()
        .map(|(i, &v)| keep(b.base_offset + i as u64, v))
        .collect();
    if flags.iter().all(|&f| f) {
        out.push(b.clone());
        return;
    }
    let mut i = 0;
    while i < flags.len() {
        if !flags[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < flags.len() && flags[i] {
            i += 1;
        }
        out.push(Rc::new(b.slice(start, i)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(base: u64, ts: i64, values: &[u64]) -> Rc<Batch> {
        Rc::new(Batch {
            base_offset: base,
            leader_epoch: 1,
            max_ts_ms: ts,
            pid: -1,
            producer_epoch: 0,
            first_seq: -1,
            values: values.into(),
            bytes: 100 * values.len() as u64,
            txn: super::super::txn::BatchTxn::None,
        })
    }

    /// K13's trace: k1:a(0) k2:b(1) k1:c(2) k1:null(3) k2:d(4), roll, clean: offsets 3 and 4
    /// remain; after delete.retention.ms the tombstone goes too.
    #[test]
    fn k13_trace() {
        let keys = KeySpec {
            key_space: 2,
            tombstone_every: 2,
            compacted: true,
        };
        // Distinct values with the wanted (key, tombstone).
        let mut used = Vec::new();
        let mut pick = |key: u64, dead: bool| {
            let v = (1..)
                .map(|n| (1u64 << 40) | n)
                .find(|v| {
                    !used.contains(v) && keys.key(*v) == Some(key) && keys.is_tombstone(*v) == dead
                })
                .expect("value");
            used.push(v);
            v
        };
        // k1:a(0) k2:b(1) k1:c(2) k1:null(3) k2:d(4)
        let trace = [
            pick(0, false),
            pick(1, false),
            pick(0, false),
            pick(0, true),
            pick(1, false),
        ];
        let (later_k2, later_k1) = (pick(1, false), pick(0, true));
        let mut log = ReplicaLog::default();
        for (i, v) in trace.into_iter().enumerate() {
            log.append(batch(i as u64, 0, &[v]), 0, 1 << 30, 1000);
        }
        log.maybe_roll(5_000, 1000);
        // A later k2 write, in the active segment for now.
        log.append(batch(5, 5_000, &[later_k2]), 5_000, 1 << 30, 1000);
        log.hw = log.leo;
        let p = CleanerParams {
            keys,
            delete_retention_ms: 10_000,
            min_cleanable_dirty_ratio: 0.5,
            min_compaction_lag_ms: 0,
            max_compaction_lag_ms: i64::MAX,
        };
        let s = log.clean(6_000, &p).expect("cleanable");
        assert_eq!(s.removed, 3);
        let mut kept = Vec::new();
        log.for_each_record(|o, _| kept.push(o));
        // The active segment (offset 5) is untouched.
        assert_eq!(kept, vec![3, 4, 5]);
        assert_eq!(log.read(0, log.hw, 1 << 20)[0].base_offset, 3);
        // Nothing dirty: no pass. Roll and add dirty data after the horizon.
        assert!(log.clean(7_000, &p).is_none());
        log.maybe_roll(20_000, 1000);
        log.append(batch(6, 20_000, &[later_k1]), 20_000, 1 << 30, 1000);
        log.hw = log.leo;
        // Dirty 100 bytes over 300: below the default ratio 0.5, but the tombstone's horizon
        // (16 000) passed; at 15 000 it had not.
        assert!(log.clean(15_000, &p).is_none());
        let p = CleanerParams {
            min_cleanable_dirty_ratio: 0.3,
            ..p
        };
        let s = log.clean(20_000, &p).expect("cleanable");
        assert_eq!((s.removed, s.tombstones_removed), (1, 1));
        let mut kept = Vec::new();
        log.for_each_record(|o, _| kept.push(o));
        assert_eq!(kept, vec![5, 6]);
    }
}
