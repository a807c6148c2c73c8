//! What the checker reads of the logs after the quiet phase: the final leaders' logs (read in
//! place), the in-sync replicas' values of offline partitions, replica agreement, transaction
//! outcomes and the consume-transform-produce views. `run` (kafka/mod.rs) fills it.

use crate::kafka::checkers::explain::FinalLeader;
use crate::kafka::wire::records::Batch;
use std::rc::Rc;

/// A final log copied out: (log start offset, values from the log start on).
pub type LeaderLog = (u64, Vec<u64>);

/// A final leader log: its log start offset and its data values from there on, in offset
/// order — the ones copied out (the remote tier's below the local log start, or a test's), then
/// the local log's batches read in place. Copying every final log was the largest allocation
/// of a long run's end (≈ 72 MB of the 707 MB peak of `bench/kafka-large.ron`, issue 18).
#[derive(Debug, Default, Clone)]
pub struct FinalLog<'a> {
    pub start: u64,
    pub copied: Vec<u64>,
    /// The local log's segments' batches (control batches' marker records are no data).
    pub batches: Vec<&'a [Rc<Batch>]>,
    /// The local log start: records below it in `batches` are gone.
    pub from: u64,
}

impl<'a> FinalLog<'a> {
    /// A log given by its values (the tests', the placeholders of topics checked elsewhere).
    pub fn copied(start: u64, values: Vec<u64>) -> FinalLog<'a> {
        FinalLog {
            start,
            copied: values,
            ..FinalLog::default()
        }
    }

    /// The data values, in offset order.
    pub fn values(&self) -> impl Iterator<Item = u64> + '_ {
        let local = (self.batches.iter().flat_map(|seg| seg.iter()))
            .filter(|b| !b.txn.is_control())
            .flat_map(|b| (b.base_offset..).zip(b.values.iter().copied()))
            .filter(|&(offset, _)| offset >= self.from)
            .map(|(_, v)| v);
        self.copied.iter().copied().chain(local)
    }
}

/// What the final logs look like after the quiet phase (filled by `run`).
#[derive(Debug, Default)]
pub struct FinalState<'a> {
    /// Per partition: the final leader's log, None if offline.
    pub leader_logs: Vec<Option<FinalLog<'a>>>,
    /// Per partition offline at the end: the values held by its in-sync replicas (ISR and
    /// KIP-966 ELR members, all down), which the next clean election brings back — or, when
    /// ISR and ELR are both empty, by any replica, one of which an unclean election brings back;
    /// acknowledged values there are unavailable, not lost. Empty for a partition with a leader.
    pub offline_in_sync_values: Vec<Vec<u64>>,
    /// Per partition: number of replica pairs that disagree below both HWs.
    pub replica_disagreements: Vec<u64>,
    pub invariant_violations: u64,
    /// Segment deletions checked against the retention rules, and the rules they broke.
    pub retention_deletions_checked: u64,
    pub retention_violations: u64,
    /// Consumers ran: `unseen` and the group's processing counts are meaningful.
    pub consumers: bool,
    /// The producers use acks=0: "ok" carries no acknowledgement.
    pub acks0: bool,
    /// Transactional values aborted (or still open) in the final logs.
    pub not_committed: Vec<u64>,
    /// Committed transactional value → its COMMIT marker's timestamp (ms).
    pub commit_ms: Vec<(u64, i64)>,
    /// Consume-transform-produce runs: the input and output topics' final logs.
    pub ctp: Option<CtpFinal>,
    /// Per partition: its final leader (None if offline), for the anomalies' explanations.
    pub leaders: Vec<Option<FinalLeader>>,
    /// The run's context for explanations (acks, min ISR, unclean elections, lossy crashes).
    pub context: String,
}

/// Consume-transform-produce: input records (read_committed view of the input topic) and
/// outputs (transform undone) in the output topic's read_committed and full views.
#[derive(Debug, Default)]
pub struct CtpFinal {
    pub input: Vec<u64>,
    pub output_committed: Vec<u64>,
    pub output_all: Vec<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::wire::records::BatchTxn;
    use crate::kafka::wire::values::Values;

    fn batch(base_offset: u64, values: &[u64], txn: BatchTxn) -> Rc<Batch> {
        Rc::new(Batch {
            base_offset,
            leader_epoch: 0,
            max_ts_ms: 0,
            pid: 1,
            producer_epoch: 0,
            first_seq: 0,
            values: Values::from(values),
            bytes: 0,
            txn,
        })
    }

    /// A final log read in place gives what a copy of its data records would: the copied
    /// (remote-tier) values first, then the local batches' records from the local log start
    /// on, with no control marker among them.
    #[test]
    fn a_final_log_reads_its_data_records_from_the_log_start_in_offset_order() {
        let seg1 = [
            batch(0, &[10, 11, 12], BatchTxn::Data),
            batch(3, &[0], BatchTxn::Commit),
        ];
        let seg2 = [
            batch(4, &[14], BatchTxn::None),
            batch(5, &[0], BatchTxn::Abort),
        ];
        let log = FinalLog {
            start: 0,
            copied: vec![7, 8],
            batches: vec![&seg1[..], &seg2[..]],
            from: 1,
        };
        assert_eq!(log.values().collect::<Vec<_>>(), [7, 8, 11, 12, 14]);
        let copied = FinalLog::copied(2, vec![5]);
        assert_eq!(
            (copied.start, copied.values().collect::<Vec<_>>()),
            (2, vec![5])
        );
    }
}
