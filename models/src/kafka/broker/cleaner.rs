//! The log cleaner (cleanup.policy=compact): one pass of LogCleaner over a replica's log.
//!
//! Rules (DESIGN §4.9 "Log Compaction"; LogCleaner.scala, LogCleanerManager.scala; KIP-534;
//! KIP-98 for transactions):
//! - Only closed segments below the last stable offset (LSO ≤ HW) are cleanable: the active
//!   segment is never compacted, nor is a segment holding records of a transaction still open
//!   (or whose marker is not yet replicated), nor one holding records newer than
//!   `min.compaction.lag.ms` (LogCleanerManager.cleanableOffsets: first uncleanable dirty
//!   offset).
//! - A log is cleaned when its dirty ratio — dirty bytes (from the cleaner checkpoint to the
//!   first uncleanable offset) over clean + dirty bytes — reaches `min.cleanable.dirty.ratio`,
//!   or when its oldest dirty record is older than `max.compaction.lag.ms` (KIP-354).
//! - The pass builds key → last offset over the dirty section, then rewrites every cleanable
//!   segment keeping a record only if no later record of its key is in that map.
//! - Tombstones (null values) are kept until their delete horizon: KIP-534 stamps it
//!   (`now + delete.retention.ms`) the first time the cleaner passes the tombstone; a later pass
//!   after the horizon drops it. A passed horizon alone makes the log cleanable.
//! - Transactions (Cleaner.scala `CleanedTransactionMetadata`, `txn.rs` `CleanedTxns`): data
//!   of aborted transactions (per the aborted-transaction index) is removed and never enters
//!   the key map, so an aborted write never supersedes a committed value of its key; committed
//!   transactional records compact like plain ones; control markers carry no key and stay
//!   while any data of their transaction remains, then get a delete horizon like a tombstone
//!   (kept in `tombstone_horizons` by offset) and go after it. An ABORT marker found without
//!   data also leaves the aborted-transaction index (nothing is left to filter).
//! - Offsets never change; a run of kept records becomes its own batch at its own offsets, so a
//!   fetch at a removed offset returns the next higher record.
//!
//! Simplifications: cleaned segments are not merged (groupSegmentsBySize); the last batch of
//! each producer is not retained for producer state (ProducerStateManager rebuilds from what
//! remains); the pass is instantaneous.

use super::log::ReplicaLog;
use crate::kafka::config::KafkaConfig;
use crate::kafka::wire::keys::KeySpec;
use crate::kafka::wire::records::Batch;
use crate::kafka::wire::records::{BatchTxn, CleanedTxns};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// What one cleaning pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CleanStats {
    /// Superseded records removed.
    pub removed: u64,
    /// Tombstones removed after their delete horizon.
    pub tombstones_removed: u64,
    /// Records of aborted transactions removed.
    pub aborted_removed: u64,
    /// Their values (the checker's record of what was aborted once the log no longer shows it).
    pub aborted_values: Vec<u64>,
    /// Transaction markers (COMMIT / ABORT) removed after their delete horizon.
    pub markers_removed: u64,
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
    /// the last stable offset, or (in the dirty section) holds a record newer than
    /// min.compaction.lag.ms. LogCleanerManager.cleanableOffsets takes the minimum of the LSO
    /// (min(HW, first unstable offset): "we do not clean beyond the last stable offset"), the
    /// active segment's base and the compaction lag; here whole segments below it. Without
    /// transactions the LSO is the HW.
    fn first_uncleanable(&self, now_ms: i64, first_dirty: u64, min_lag_ms: i64) -> u64 {
        let stable = self.txn.lso(self.hw);
        let n = self.segments.len();
        for i in 0..n - 1 {
            let seg = &self.segments[i];
            let end = self.segments[i + 1].base_offset;
            let too_new = end > first_dirty
                && seg.largest_ts_ms != i64::MIN
                && now_ms.saturating_sub(seg.largest_ts_ms) < min_lag_ms;
            if end > stable || too_new {
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
        let clean = self.bytes_between(self.local_log_start, first_dirty);
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
        let first_dirty = self.clean_offset.max(self.local_log_start);
        let end = self.first_uncleanable(now_ms, first_dirty, p.min_compaction_lag_ms);
        if !self.cleanable(now_ms, first_dirty, end, p) {
            return None;
        }
        let txns = CleanedTxns::new(&self.txn, self.local_log_start, end);
        // OffsetMap: key → last offset in the dirty section. Control batches carry no key and
        // aborted data never supersedes anything (Cleaner.buildOffsetMap skips both).
        let mut last: BTreeMap<u64, u64> = BTreeMap::new();
        for b in self.batches_below(end) {
            if b.next_offset() <= first_dirty || b.txn.is_control() || txns.is_aborted(b) {
                continue;
            }
            for (i, &v) in b.values.iter().enumerate() {
                let o = b.base_offset + i as u64;
                if o >= first_dirty
                    && let Some(k) = p.keys.key(v)
                {
                    last.insert(k, o);
                }
            }
        }
        let mut pass = Pass {
            p,
            now_ms,
            horizon: now_ms.saturating_add(p.delete_retention_ms),
            last,
            horizons: std::mem::take(&mut self.tombstone_horizons),
            txns,
            empty_aborts: BTreeSet::new(),
            stats: CleanStats::default(),
        };
        let mut removed_bytes = 0;
        for seg in self.segments.iter_mut().filter(|s| s.base_offset < end) {
            let mut out: Vec<Rc<Batch>> = Vec::with_capacity(seg.batches.len());
            for b in &seg.batches {
                pass.batch(b, &mut out);
            }
            let bytes: u64 = out.iter().map(|b| b.bytes).sum();
            removed_bytes += seg.bytes - bytes;
            seg.bytes = bytes;
            seg.batches = out;
        }
        self.tombstone_horizons = pass.horizons;
        // The cleaner removed batches the producer state was replayed from.
        self.plain_replay = false;
        self.txn.forget_aborted(&pass.empty_aborts);
        self.size_bytes -= removed_bytes;
        self.clean_offset = end;
        Some(pass.stats)
    }

    /// Batches of the segments below `end`, in offset order.
    fn batches_below(&self, end: u64) -> impl Iterator<Item = &Rc<Batch>> {
        self.segments
            .iter()
            .filter(move |s| s.base_offset < end)
            .flat_map(|s| s.batches.iter())
    }
}

/// The state of one cleaning pass over the cleanable segments, batch by batch in offset order
/// (Cleaner.cleanInto's record filter).
struct Pass<'a> {
    p: &'a CleanerParams,
    now_ms: i64,
    /// The delete horizon stamped on tombstones and empty markers this pass (KIP-534).
    horizon: i64,
    /// Key → last offset in the dirty section.
    last: BTreeMap<u64, u64>,
    /// Offset → delete horizon of tombstones and control markers.
    horizons: BTreeMap<u64, i64>,
    txns: CleanedTxns,
    /// ABORT markers found without data: their aborted-index entries go.
    empty_aborts: BTreeSet<u64>,
    stats: CleanStats,
}

impl Pass<'_> {
    /// Append to `out` what remains of `b` after the pass.
    fn batch(&mut self, b: &Rc<Batch>, out: &mut Vec<Rc<Batch>>) {
        if b.txn.is_control() {
            if self.keep_marker(b) {
                out.push(b.clone());
            }
            return;
        }
        if self.txns.on_data(b) {
            // Aborted transactional data is discarded whatever its key (KIP-98; the
            // aborted-transaction index of the cleaned range says which batches).
            self.stats.aborted_removed += b.values.len() as u64;
            self.stats.aborted_values.extend_from_slice(&b.values);
            return;
        }
        push_kept_runs(b, out, |o, v| self.keep_record(o, v));
    }

    /// A control marker stays while data of its transaction remains; once none does it gets
    /// a delete horizon, and a pass after the horizon removes it (Cleaner: markers use the
    /// tombstone retention, "we will never delete a marker until all the records from that
    /// transaction are removed"; KIP-534 for the horizon).
    fn keep_marker(&mut self, b: &Batch) -> bool {
        if !self.txns.on_marker(b) {
            return true;
        }
        let o = b.base_offset;
        if b.txn == BatchTxn::Abort {
            self.empty_aborts.insert(o);
        }
        let h = *self.horizons.entry(o).or_insert(self.horizon);
        if h > self.now_ms {
            return true;
        }
        self.horizons.remove(&o);
        self.stats.markers_removed += 1;
        false
    }

    /// A plain or committed record stays unless a later record of its key is in the offset
    /// map; a tombstone also goes after its delete horizon.
    fn keep_record(&mut self, o: u64, v: u64) -> bool {
        let Some(k) = self.p.keys.key(v) else {
            return true;
        };
        if self.last.get(&k).is_some_and(|&l| l > o) {
            self.stats.removed += 1;
            self.horizons.remove(&o);
            return false;
        }
        if self.p.keys.is_tombstone(v) {
            let h = *self.horizons.entry(o).or_insert(self.horizon);
            if h <= self.now_ms {
                self.stats.tombstones_removed += 1;
                self.horizons.remove(&o);
                return false;
            }
        }
        true
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
        Rc::new(Batch::fixture(base, ts, values))
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

/// The transaction rules of the cleaner (KIP-98; Cleaner.scala CleanedTransactionMetadata).
#[cfg(test)]
mod txn_tests {
    use super::*;
    use crate::kafka::broker::log::log_view;
    use crate::kafka::wire::records::{MARKER_VALUE, visible};

    const KEYS: KeySpec = KeySpec {
        key_space: 4,
        tombstone_every: 0,
        compacted: true,
    };
    const PID: i64 = 7;

    /// The `nth` value of key `k`.
    fn val(k: u64, nth: usize) -> u64 {
        (1..)
            .map(|n| (1u64 << 40) | n)
            .filter(|&v| KEYS.key(v) == Some(k))
            .nth(nth)
            .expect("value")
    }

    fn params() -> CleanerParams {
        CleanerParams {
            keys: KEYS,
            delete_retention_ms: 10_000,
            min_cleanable_dirty_ratio: 0.0,
            min_compaction_lag_ms: 0,
            max_compaction_lag_ms: i64::MAX,
        }
    }

    /// Append one batch at the LEO at time `t`: plain (`pid` < 0), data or a marker.
    fn put(log: &mut ReplicaLog, t: i64, pid: i64, txn: BatchTxn, values: &[u64]) {
        let b = Batch {
            pid,
            txn,
            ..Batch::fixture(log.leo, t, values)
        };
        log.append(Rc::new(b), t, 1 << 30, 1000);
        log.hw = log.leo;
    }

    fn marker(log: &mut ReplicaLog, t: i64, txn: BatchTxn) {
        put(log, t, PID, txn, &[MARKER_VALUE]);
    }

    /// Close the active segment (the next append opens a new one).
    fn roll(log: &mut ReplicaLog, t: i64) {
        log.maybe_roll(t + 2_000, 1_000);
    }

    fn offsets(log: &ReplicaLog) -> Vec<u64> {
        let mut out = Vec::new();
        log.for_each_record(|o, _| out.push(o));
        out
    }

    /// What a read_committed consumer fetching the whole stable range returns.
    fn read_committed(log: &ReplicaLog) -> Vec<u64> {
        let lso = log.txn.lso(log.hw);
        let aborted = log.txn.aborted_in(log.local_log_start, lso);
        let batches = log.read(log.local_log_start, lso, u64::MAX);
        let shown = batches.iter().filter(|b| visible(b, &aborted, true));
        shown.flat_map(|b| b.values.iter().copied()).collect()
    }

    /// k0 plain (0); an aborted write of k0 (1), ABORT (2); a committed write of k1 (3),
    /// COMMIT (4); one closed segment.
    fn aborted_then_committed() -> ReplicaLog {
        let mut log = ReplicaLog::default();
        put(&mut log, 0, -1, BatchTxn::None, &[val(0, 0)]);
        put(&mut log, 0, PID, BatchTxn::Data, &[val(0, 1)]);
        marker(&mut log, 0, BatchTxn::Abort);
        put(&mut log, 0, PID, BatchTxn::Data, &[val(1, 0)]);
        marker(&mut log, 0, BatchTxn::Commit);
        roll(&mut log, 0);
        log
    }

    #[test]
    fn an_aborted_write_is_removed_and_never_supersedes_a_committed_value() {
        let mut log = aborted_then_committed();
        assert_eq!(read_committed(&log), vec![val(0, 0), val(1, 0)]);
        let s = log.clean(3_000, &params()).expect("cleanable");
        assert_eq!((s.removed, s.aborted_removed), (0, 1));
        assert_eq!(s.aborted_values, vec![val(0, 1)]);
        // k0's committed value stays although a later (aborted) write of k0 existed; the
        // ABORT marker stays this pass (data of its transaction was traversed).
        assert_eq!(offsets(&log), vec![0, 2, 3, 4]);
        assert_eq!(read_committed(&log), vec![val(0, 0), val(1, 0)]);
        assert_eq!(log_view(&log).committed, vec![val(0, 0), val(1, 0)]);
    }

    #[test]
    fn markers_go_once_their_data_is_gone_and_the_delete_horizon_passed() {
        let mut log = aborted_then_committed();
        log.clean(3_000, &params()).expect("cleanable");
        // A later plain write of k1 supersedes the committed one (offset 3): committed
        // transactional records compact like any other.
        put(&mut log, 5_000, -1, BatchTxn::None, &[val(1, 1)]);
        roll(&mut log, 5_000);
        let s = log.clean(8_000, &params()).expect("dirty");
        assert_eq!((s.removed, s.markers_removed), (1, 0));
        // The ABORT marker found empty: horizon 18 000 stamped, its index entry dropped; the
        // COMMIT marker still had data (offset 3, removed in this very pass).
        assert_eq!(offsets(&log), vec![0, 2, 4, 5]);
        assert_eq!(log.tombstone_horizons.get(&2), Some(&18_000));
        assert_eq!(log.tombstone_horizons.get(&4), None);
        assert!(log.txn.aborted.is_empty());
        put(&mut log, 20_000, -1, BatchTxn::None, &[val(2, 0)]);
        roll(&mut log, 20_000);
        let s = log.clean(20_000, &params()).expect("dirty");
        assert_eq!(s.markers_removed, 1);
        assert_eq!(offsets(&log), vec![0, 4, 5, 6]);
        assert_eq!(log.tombstone_horizons.get(&4), Some(&30_000));
        // Nothing dirty, but the COMMIT marker's horizon passing makes the log cleanable.
        assert!(log.clean(29_000, &params()).is_none());
        let s = log.clean(30_000, &params()).expect("horizon passed");
        assert_eq!(s.markers_removed, 1);
        assert_eq!(offsets(&log), vec![0, 5, 6]);
        assert_eq!(read_committed(&log), vec![val(0, 0), val(1, 1), val(2, 0)]);
    }

    #[test]
    fn cleaning_stops_below_the_last_stable_offset() {
        let mut log = ReplicaLog::default();
        put(&mut log, 0, -1, BatchTxn::None, &[val(0, 0)]);
        roll(&mut log, 0);
        put(&mut log, 3_000, PID, BatchTxn::Data, &[val(1, 0)]);
        roll(&mut log, 3_000);
        put(&mut log, 6_000, -1, BatchTxn::None, &[val(0, 1), val(2, 0)]);
        roll(&mut log, 6_000);
        // The transaction at offset 1 is open: LSO 1, only the first segment is cleanable,
        // so k0's first value (superseded at offset 2) stays.
        assert_eq!(log.txn.lso(log.hw), 1);
        let s = log.clean(9_000, &params()).expect("first segment dirty");
        assert_eq!(s.removed, 0);
        assert_eq!(log.clean_offset, 1);
        assert_eq!(offsets(&log), vec![0, 1, 2, 3]);
        // The COMMIT marker written but not yet below the HW keeps the transaction unstable.
        marker(&mut log, 9_000, BatchTxn::Commit);
        log.hw = 4;
        roll(&mut log, 9_000);
        put(&mut log, 12_000, -1, BatchTxn::None, &[val(3, 0)]);
        log.hw = 4;
        assert!(
            log.clean(12_000, &params()).is_none(),
            "nothing dirty below the LSO"
        );
        assert_eq!(log.clean_offset, 1);
        log.hw = log.leo;
        let s = log.clean(15_000, &params()).expect("stable now");
        assert_eq!(s.removed, 1);
        assert_eq!(offsets(&log), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn aborted_data_above_the_cleaned_range_stays_filtered_on_leader_and_follower() {
        let mut log = ReplicaLog::default();
        put(&mut log, 0, PID, BatchTxn::Data, &[val(0, 0)]);
        roll(&mut log, 0);
        put(&mut log, 3_000, PID, BatchTxn::Data, &[val(1, 0)]);
        marker(&mut log, 3_000, BatchTxn::Abort);
        put(&mut log, 3_000, -1, BatchTxn::None, &[val(2, 0)]);
        let s = log.clean(4_000, &params()).expect("first segment dirty");
        // The first part of the aborted transaction goes; the rest, in the active segment,
        // stays and is still covered by the aborted-transaction index.
        assert_eq!(s.aborted_values, vec![val(0, 0)]);
        assert_eq!(offsets(&log), vec![1, 2, 3]);
        assert_eq!(log.txn.aborted.len(), 1);
        assert_eq!(read_committed(&log), vec![val(2, 0)]);
        // A follower copying the cleaned log rebuilds an index that filters the same.
        let mut follower = ReplicaLog::default();
        for b in log.read(0, log.leo, u64::MAX) {
            follower.append(b, 5_000, 1 << 30, 1000);
        }
        follower.hw = follower.leo;
        assert_eq!(read_committed(&follower), vec![val(2, 0)]);
        assert_eq!(log_view(&follower).not_committed, vec![val(1, 0)]);
    }

    #[test]
    fn control_markers_carry_no_key() {
        // A plain record with the key a marker's value would hash to, then a committed
        // transaction: its marker does not supersede the record; a later write of the key
        // does, and leaves the marker alone.
        let k = KEYS.key(MARKER_VALUE).expect("keyed");
        let mut log = ReplicaLog::default();
        put(&mut log, 0, -1, BatchTxn::None, &[val(k, 0)]);
        put(&mut log, 0, PID, BatchTxn::Data, &[val((k + 1) % 4, 0)]);
        marker(&mut log, 0, BatchTxn::Commit);
        roll(&mut log, 0);
        let s = log.clean(3_000, &params()).expect("cleanable");
        assert_eq!(s.removed, 0);
        assert_eq!(offsets(&log), vec![0, 1, 2]);
        put(&mut log, 5_000, -1, BatchTxn::None, &[val(k, 1)]);
        roll(&mut log, 5_000);
        let s = log.clean(8_000, &params()).expect("dirty");
        assert_eq!((s.removed, s.markers_removed), (1, 0));
        assert_eq!(offsets(&log), vec![1, 2, 3]);
    }

    #[test]
    fn a_follower_copying_a_cleaned_leader_agrees_with_a_replica_not_cleaned_yet() {
        // Two replicas take the same records; k0's first value is superseded.
        let mut leader = ReplicaLog::default();
        let mut other = ReplicaLog::default();
        for log in [&mut leader, &mut other] {
            put(log, 0, -1, BatchTxn::None, &[val(0, 0), val(1, 0)]);
            roll(log, 0);
            put(log, 3_000, -1, BatchTxn::None, &[val(0, 1)]);
            roll(log, 3_000);
        }
        let s = leader.clean(6_000, &params()).expect("dirty");
        assert_eq!(s.removed, 1);
        // A new follower copies the cleaned leader from offset 0: it has the hole at offset 0
        // although its own cleaner never ran.
        let mut follower = ReplicaLog::default();
        for b in leader.read(0, leader.leo, u64::MAX) {
            follower.append(b, 7_000, 1 << 30, 1000);
        }
        follower.hw = follower.leo;
        assert_eq!(follower.clean_offset, 0);
        assert_eq!(offsets(&follower), vec![1, 2]);
        let to = follower.hw.min(other.hw);
        assert!(follower.agrees_with(&other, 0, to, true));
        // Without compaction a hole is a disagreement, and with it a different value still is.
        assert!(!follower.agrees_with(&other, 0, to, false));
        let mut diverged = ReplicaLog::default();
        put(
            &mut diverged,
            0,
            -1,
            BatchTxn::None,
            &[val(0, 0), val(2, 0)],
        );
        put(&mut diverged, 3_000, -1, BatchTxn::None, &[val(0, 1)]);
        assert!(!follower.agrees_with(&diverged, 0, to, true));
    }
}
