//! The record format shared by the wire, the log and the clients: record batches, their
//! transaction data (reference §2.1 `TxnState`, §6, §7): which batches are transactional,
//! control markers (COMMIT/ABORT records that take an offset), the per-partition
//! open-transaction tracking that gives the last stable offset (LSO), and the aborted-transaction
//! index that read_committed fetches filter with. (The read_committed view of a final log is
//! in `log.rs`.)

use crate::kafka::wire::values::Values;
use std::collections::{BTreeMap, BTreeSet};

/// The value a control marker record carries (no producer value is ever 0).
pub const MARKER_VALUE: u64 = 0;

/// A record batch as stored. Record `i` has offset `base_offset + i` and value `values[i]`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Batch {
    pub base_offset: u64,
    /// Stamped by the leader on append (KIP-101).
    pub leader_epoch: u32,
    /// CreateTime of the batch (producer clock); retention reads it.
    pub max_ts_ms: i64,
    /// -1 when not idempotent.
    pub pid: i64,
    pub producer_epoch: i16,
    pub first_seq: i32,
    pub values: Values,
    /// Size on disk (after compression).
    pub bytes: u64,
    /// Transactional data or a control marker (see `txn.rs`).
    pub txn: BatchTxn,
}

impl Batch {
    pub fn next_offset(&self) -> u64 {
        self.base_offset + self.values.len() as u64
    }
    pub fn last_seq(&self) -> i32 {
        self.first_seq + self.values.len() as i32 - 1
    }
    /// The first `n` records of this batch as a new batch (truncation inside a batch).
    pub(in crate::kafka) fn prefix(&self, n: usize) -> Batch {
        self.slice(0, n)
    }
    /// Records `from..to` of this batch as a new batch at their own offsets (truncation, and
    /// the runs of records the cleaner keeps).
    pub(in crate::kafka) fn slice(&self, from: usize, to: usize) -> Batch {
        let per = self.bytes / self.values.len().max(1) as u64;
        Batch {
            base_offset: self.base_offset + from as u64,
            leader_epoch: self.leader_epoch,
            max_ts_ms: self.max_ts_ms,
            pid: self.pid,
            producer_epoch: self.producer_epoch,
            first_seq: if self.first_seq < 0 {
                self.first_seq
            } else {
                self.first_seq + from as i32
            },
            values: self.values[from..to].into(),
            bytes: per * (to - from) as u64,
            txn: self.txn,
        }
    }
}

/// Test fixture shared by the log, cleaner, retention, transaction and tiered-storage tests.
#[cfg(test)]
impl Batch {
    /// A plain batch (no producer id, not transactional) of `values` at `base`, leader epoch 1,
    /// 100 bytes per record; tests override fields with struct update syntax.
    pub(in crate::kafka) fn fixture(base: u64, max_ts_ms: i64, values: &[u64]) -> Batch {
        Batch {
            base_offset: base,
            leader_epoch: 1,
            max_ts_ms,
            pid: -1,
            producer_epoch: 0,
            first_seq: -1,
            values: values.into(),
            bytes: 100 * values.len() as u64,
            txn: BatchTxn::None,
        }
    }
}

/// Transactional state of a record batch (RecordBatch isTransactional / isControlBatch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BatchTxn {
    /// A plain (possibly idempotent) batch.
    #[default]
    None,
    /// Data written inside a transaction of the batch's producer id.
    Data,
    /// Control batch: COMMIT marker of the producer's open transaction.
    Commit,
    /// Control batch: ABORT marker.
    Abort,
}

impl BatchTxn {
    pub fn is_control(self) -> bool {
        matches!(self, BatchTxn::Commit | BatchTxn::Abort)
    }
}

/// FetchResponse.AbortedTransaction: records of `pid` from `first` up to the ABORT marker at
/// `last` are aborted (the log's aborted-transaction index, LogSegment .txnindex).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AbortedTxn {
    pub pid: i64,
    pub first: u64,
    pub last: u64,
}

/// Per-partition transaction tracking, rebuilt from the log like the producer state
/// (ProducerStateManager ongoing transactions + unreplicated completed ones; TransactionIndex).
#[derive(Clone, Debug, Default)]
pub struct TxnIndex {
    /// Producer id → first offset of its ongoing transaction.
    pub open: BTreeMap<i64, u64>,
    /// Completed transactions whose marker is not yet below the HW: (first offset, marker
    /// offset). Kafka keeps them unstable until the marker is replicated.
    unreplicated: Vec<(u64, u64)>,
    /// Aborted transactions in marker order.
    pub aborted: Vec<AbortedTxn>,
}

impl TxnIndex {
    /// Account for one appended batch; `hw` prunes completed transactions already stable.
    pub fn note(&mut self, b: &Batch, hw: u64) {
        self.unreplicated.retain(|&(_, m)| m >= hw);
        match b.txn {
            BatchTxn::None => {}
            BatchTxn::Data => {
                self.open.entry(b.pid).or_insert(b.base_offset);
            }
            BatchTxn::Commit | BatchTxn::Abort => {
                if let Some(first) = self.open.remove(&b.pid) {
                    self.unreplicated.push((first, b.base_offset));
                    if b.txn == BatchTxn::Abort {
                        self.aborted.push(AbortedTxn {
                            pid: b.pid,
                            first,
                            last: b.base_offset,
                        });
                    }
                }
            }
        }
    }

    /// Last stable offset: min(HW, first offset of the earliest open transaction, first
    /// offset of a completed transaction whose marker is not yet below the HW) (reference §6:
    /// "LSO = first offset of the earliest open transaction"; UnifiedLog.firstUnstableOffset).
    pub fn lso(&self, hw: u64) -> u64 {
        let open = self.open.values().copied().min().unwrap_or(u64::MAX);
        let unrepl = self
            .unreplicated
            .iter()
            .filter(|&&(_, m)| m >= hw)
            .map(|&(f, _)| f)
            .min()
            .unwrap_or(u64::MAX);
        hw.min(open).min(unrepl)
    }

    /// Aborted transactions overlapping `[from, to)` (what a read_committed fetch returns).
    pub fn aborted_in(&self, from: u64, to: u64) -> Vec<AbortedTxn> {
        let start = self.aborted.partition_point(|a| a.last < from);
        self.aborted[start..]
            .iter()
            .filter(|a| a.first < to)
            .copied()
            .collect()
    }
}

impl TxnIndex {
    /// Drop the aborted-index entries of these ABORT markers: the cleaner found no data of
    /// their transactions left (Cleaner.scala CleanedTransactionMetadata writes an aborted
    /// transaction to the cleaned .txnindex only while batches of it remain), so there is
    /// nothing left for a read_committed fetch to filter.
    pub fn forget_aborted(&mut self, markers: &BTreeSet<u64>) {
        if !markers.is_empty() {
            self.aborted.retain(|a| !markers.contains(&a.last));
        }
    }
}

/// The log cleaner's view of transactions during one pass, walking batches in offset order
/// (Cleaner.scala `CleanedTransactionMetadata` / `AbortedTransactionMetadata`, KIP-98):
/// - data batches of aborted transactions are discarded, and never enter the key → offset map;
/// - a control marker may be removed only once no data batch of its transaction is left: a
///   marker is "empty" when the pass traversed no batch of its transaction (batches removed
///   in this pass still count, so a marker outlives its data by at least one pass).
#[derive(Debug, Default)]
pub struct CleanedTxns {
    /// (pid, first offset) → ABORT marker offset, for the aborted transactions of the pass.
    aborted: BTreeMap<(i64, u64), u64>,
    /// Producer ids whose current transaction had a data batch traversed in this pass.
    with_data: BTreeSet<i64>,
}

impl CleanedTxns {
    /// The aborted transactions overlapping `[from, to)` (LogCleaner collects them with
    /// `collectAbortedTransactions` over the cleaned range). Only completed transactions are
    /// in the index, and the cleaned range is below the LSO, so every transactional batch in
    /// it is either aborted (listed) or committed.
    pub fn new(idx: &TxnIndex, from: u64, to: u64) -> CleanedTxns {
        CleanedTxns {
            aborted: idx
                .aborted_in(from, to)
                .into_iter()
                .map(|a| ((a.pid, a.first), a.last))
                .collect(),
            with_data: BTreeSet::new(),
        }
    }

    /// The batch is transactional data of an aborted transaction.
    pub fn is_aborted(&self, b: &Batch) -> bool {
        b.txn == BatchTxn::Data
            && self
                .aborted
                .range(..=(b.pid, b.base_offset))
                .next_back()
                .is_some_and(|(&(pid, _), &last)| pid == b.pid && b.base_offset <= last)
    }

    /// A data batch is traversed; true when the cleaner discards it (aborted).
    pub fn on_data(&mut self, b: &Batch) -> bool {
        if b.txn != BatchTxn::Data {
            return false;
        }
        self.with_data.insert(b.pid);
        self.is_aborted(b)
    }

    /// A control batch is traversed; true when no data batch of its transaction was (the
    /// marker is removable once its delete horizon passed).
    pub fn on_marker(&mut self, b: &Batch) -> bool {
        !self.with_data.remove(&b.pid)
    }
}

/// Whether a consumer returns this batch's records to the application: control batches never;
/// with read_committed, batches of aborted transactions neither (Fetcher / CompletedFetch
/// skipping aborted producer ids between an AbortedTransaction's first offset and its marker).
pub fn visible(b: &Batch, aborted: &[AbortedTxn], read_committed: bool) -> bool {
    match b.txn {
        BatchTxn::Commit | BatchTxn::Abort => false,
        BatchTxn::None => true,
        BatchTxn::Data => {
            !read_committed
                || !aborted
                    .iter()
                    .any(|a| a.pid == b.pid && a.first <= b.base_offset && b.base_offset <= a.last)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::broker::log::{ReplicaLog, log_view, txn_outcomes};
    use std::rc::Rc;

    fn batch(base: u64, pid: i64, txn: BatchTxn, values: &[u64]) -> Rc<Batch> {
        Rc::new(Batch {
            leader_epoch: 0,
            pid,
            first_seq: if txn.is_control() { -1 } else { 0 },
            bytes: 100,
            txn,
            ..Batch::fixture(base, base as i64, values)
        })
    }

    /// K18's log: T1 (pid 7) writes m1, m2 and aborts; T2 (pid 8) writes m3 and stays open;
    /// m4 is plain.
    fn k18_log() -> ReplicaLog {
        let mut log = ReplicaLog::default();
        log.append(batch(0, 7, BatchTxn::Data, &[1, 2]), 0, 1 << 30, u64::MAX);
        log.append(
            batch(2, 7, BatchTxn::Abort, &[MARKER_VALUE]),
            0,
            1 << 30,
            u64::MAX,
        );
        log.append(batch(3, 8, BatchTxn::Data, &[3]), 0, 1 << 30, u64::MAX);
        log.append(batch(4, -1, BatchTxn::None, &[4]), 0, 1 << 30, u64::MAX);
        log.hw = log.leo;
        log
    }

    #[test]
    fn lso_stops_at_the_open_transaction() {
        let log = k18_log();
        assert_eq!(log.leo, 5);
        assert_eq!(log.txn.lso(log.hw), 3);
        assert_eq!(
            log.txn.aborted_in(0, 3),
            vec![AbortedTxn {
                pid: 7,
                first: 0,
                last: 2
            }]
        );
        assert!(log.txn.aborted_in(3, 5).is_empty());
    }

    #[test]
    fn a_marker_above_the_hw_keeps_the_transaction_unstable() {
        let mut log = k18_log();
        log.append(
            batch(5, 8, BatchTxn::Commit, &[MARKER_VALUE]),
            0,
            1 << 30,
            u64::MAX,
        );
        assert_eq!(log.txn.lso(5), 3, "marker at 5 not below HW 5");
        assert_eq!(log.txn.lso(6), 6);
        let view = log_view(&log);
        assert_eq!(view.committed, vec![4, 3]);
        assert_eq!(view.not_committed, vec![1, 2]);
        assert_eq!(view.all, vec![1, 2, 3, 4]);
        // The outcomes alone: the same transactions, no records copied.
        let outcomes = txn_outcomes(&log);
        assert_eq!(outcomes.not_committed, view.not_committed);
        assert_eq!(outcomes.commit_ms, view.commit_ms);
        assert_eq!(outcomes.commit_ms.len(), 1);
        assert!(outcomes.committed.is_empty() && outcomes.all.is_empty());
    }

    #[test]
    fn read_committed_hides_aborted_and_markers_read_uncommitted_only_markers() {
        let log = k18_log();
        let aborted = log.txn.aborted_in(0, 5);
        let data = batch(0, 7, BatchTxn::Data, &[1, 2]);
        let marker = batch(2, 7, BatchTxn::Abort, &[MARKER_VALUE]);
        let open = batch(3, 8, BatchTxn::Data, &[3]);
        assert!(!visible(&data, &aborted, true));
        assert!(visible(&data, &aborted, false));
        assert!(!visible(&marker, &aborted, false));
        assert!(visible(&open, &aborted, true));
    }

    #[test]
    fn truncation_reopens_a_transaction_whose_marker_is_cut() {
        let mut log = k18_log();
        log.append(
            batch(5, 8, BatchTxn::Commit, &[MARKER_VALUE]),
            0,
            1 << 30,
            u64::MAX,
        );
        log.truncate_to(5);
        assert_eq!(log.txn.open.get(&8), Some(&3));
        assert_eq!(log.txn.lso(5), 3);
    }

    #[test]
    fn cleaned_txns_knows_aborted_batches_and_empty_markers() {
        // pid 7: aborted 0..=2; pid 8: committed data at 3, marker at 5; pid 7 again at 4.
        let log = k18_log();
        let mut t = CleanedTxns::new(&log.txn, 0, 5);
        let d7 = batch(0, 7, BatchTxn::Data, &[1, 2]);
        let d7_later = batch(4, 7, BatchTxn::Data, &[9]);
        let d8 = batch(3, 8, BatchTxn::Data, &[3]);
        let plain = batch(4, -1, BatchTxn::None, &[4]);
        assert!(t.is_aborted(&d7));
        assert!(!t.is_aborted(&d7_later), "after pid 7's ABORT marker");
        assert!(!t.is_aborted(&d8));
        assert!(!t.is_aborted(&plain));
        assert!(t.on_data(&d7));
        assert!(!t.on_data(&plain));
        // The ABORT marker of pid 7 had data this pass; pid 8's marker had none.
        assert!(!t.on_marker(&batch(2, 7, BatchTxn::Abort, &[MARKER_VALUE])));
        assert!(t.on_marker(&batch(5, 8, BatchTxn::Commit, &[MARKER_VALUE])));
        // Outside the range the aborted transaction is not known.
        assert!(!CleanedTxns::new(&log.txn, 3, 5).is_aborted(&d7));
    }

    #[test]
    fn forget_aborted_drops_only_the_named_markers() {
        let mut log = k18_log();
        log.txn.forget_aborted(&BTreeSet::from([4]));
        assert_eq!(log.txn.aborted.len(), 1);
        log.txn.forget_aborted(&BTreeSet::from([2]));
        assert!(log.txn.aborted.is_empty());
        assert!(log.txn.aborted_in(0, 5).is_empty());
    }
}
