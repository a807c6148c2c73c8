//! KIP-890 part 1, server-side transaction verification (`transaction_partition_verification`,
//! Kafka's `transaction.partition.verification.enable`, default true since 3.6).
//!
//! ReplicaManager.appendRecords → maybeStartTransactionVerificationForPartitions: for each
//! partition of a transactional produce request whose log has no ongoing transaction of the
//! producer id (UnifiedLog.maybeStartTransactionVerification), the leader creates a
//! *verification guard* (ProducerStateManager.maybeCreateVerificationStateEntry: one per
//! producer id, reused while it exists; here `ReplicaLog::verification`) and asks the
//! transaction coordinator, through AddPartitionsToTxnManager, with a verify-only
//! AddPartitionsToTxn. The request waits for the answer; then partitions the coordinator
//! refused are answered with its error (translated below) and the others are appended with
//! their guard. The append checks the guard again (UnifiedLog.analyzeAndValidateProducerState,
//! `batchMissingRequiredVerification`): a transactional batch with no ongoing transaction is
//! appended only if the request's guard is still the log's entry — any transactional append of
//! that producer id (its first data batch or a marker) removes the entry
//! (UnifiedLog.updateProducers → clearVerificationStateEntry), so a "verified" answer that
//! arrives after an abort marker is refused (INVALID_TXN_STATE, the ABA case the guard exists
//! for).
//!
//! This file holds the state and the rules; the broker's side of the produce path (holding a
//! request, asking the coordinator, the answer, the timeout) is in `produce.rs`.
//!
//! A verification whose answer does not come fails with NETWORK_EXCEPTION (translated to
//! NOT_ENOUGH_REPLICAS, retriable) when the connection to the coordinator closes or when the
//! broker's `request.timeout.ms` (`broker_request_timeout_ms`) has passed
//! (AddPartitionsToTxnManager: `wasDisconnected || wasTimedOut`).
//!
//! Simplifications: the coordinator is found by producer id (`KMsg::VerifyTxnPartitions`);
//! the timeout is checked at the broker's heartbeat tick (up to `broker_heartbeat_interval_ms`
//! late).

use crate::kafka::config::Acks;
use crate::kafka::wire::msg::{KErr, WireBatch};
use msgsim_sim::{NodeId, SimTime, Via};
use std::collections::BTreeMap;

/// A produce request as the broker got it (who asked, and the request's fields).
#[derive(Debug)]
pub struct ProduceRequest {
    pub from: NodeId,
    pub via: Via,
    pub req: u64,
    pub acks: Acks,
    pub timeout_ms: u64,
    pub batches: Vec<WireBatch>,
}

/// A produce request waiting for its verification answer.
#[derive(Debug)]
pub struct PendingVerify {
    pub request: ProduceRequest,
    /// The guard each verified partition got when the verification started.
    pub guards: BTreeMap<u32, u64>,
    /// Partitions refused before the request went out (a stale producer epoch).
    pub early: BTreeMap<u32, KErr>,
    /// When the broker gives up on the answer (`broker_request_timeout_ms` after sending).
    pub deadline: SimTime,
}

/// What a produce request learned before its append: the guard of each partition that went
/// through verification and the error of each the coordinator refused.
#[derive(Debug, Default)]
pub struct Verified {
    pub guards: BTreeMap<u32, u64>,
    pub errors: BTreeMap<u32, KErr>,
}

/// The broker's verifications in flight and its guard counter (volatile).
#[derive(Debug, Default)]
pub struct Verifications {
    pub pending: BTreeMap<u64, PendingVerify>,
    pub next_req: u64,
    pub next_guard: u64,
    /// Verifications started and refused, and those that got no answer in time (for the
    /// report).
    pub started: u64,
    pub refused: u64,
    pub timed_out: u64,
}

impl Verifications {
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// The verifications whose answer is overdue at `now` (deadline reached).
    pub fn due(&self, now: SimTime) -> Vec<u64> {
        (self.pending.iter())
            .filter(|(_, pv)| pv.deadline <= now)
            .map(|(req, _)| *req)
            .collect()
    }
}

/// AddPartitionsToTxnManager + ReplicaManager's translation of a coordinator error into the
/// produce answer (produce v11+, `genericErrorSupported`): PRODUCER_FENCED →
/// INVALID_PRODUCER_EPOCH; the retriable coordinator errors → NOT_ENOUGH_REPLICAS ("does not
/// trigger a metadata refresh"); TRANSACTION_ABORTABLE and the rest unchanged. With
/// transactions v2 (`tv2`, the `addPartition` operation) CONCURRENT_TRANSACTIONS stays as it is
/// (ReplicaManager.handleProduceAppend: "Don't convert the Concurrent Transaction exception for
/// TV2"); the producer retries it (ConcurrentTransactionsException is retriable).
pub fn produce_error(e: KErr, tv2: bool) -> KErr {
    match e {
        KErr::ProducerFenced => KErr::InvalidProducerEpoch,
        KErr::ConcurrentTransactions if tv2 => e,
        KErr::ConcurrentTransactions | KErr::Network => KErr::NotEnoughReplicas,
        other => other,
    }
}

/// `batchMissingRequiredVerification`: whether a transactional data batch of `pid`, with no
/// ongoing transaction on the log, lacks a current guard. `entry` is the log's guard for the
/// producer id, `request` the one the request carries (None: the sentinel).
pub fn missing_verification(entry: Option<u64>, request: Option<u64>) -> bool {
    // VerificationGuard.verify: the sentinel verifies nothing; otherwise the same object.
    !(request.is_some() && entry == request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use msgsim_sim::SimDuration;

    fn pending(deadline_ms: u64) -> PendingVerify {
        let request = ProduceRequest {
            from: NodeId(0),
            via: Via::Datagram,
            req: 1,
            acks: Acks::All,
            timeout_ms: 30_000,
            batches: Vec::new(),
        };
        PendingVerify {
            request,
            guards: BTreeMap::new(),
            early: BTreeMap::new(),
            deadline: SimTime::ZERO + SimDuration::from_millis(deadline_ms),
        }
    }

    #[test]
    fn a_verification_is_due_at_its_deadline() {
        let mut v = Verifications::default();
        v.pending.insert(7, pending(1_000));
        v.pending.insert(9, pending(3_000));
        let at = |ms| SimTime::ZERO + SimDuration::from_millis(ms);
        assert_eq!(v.due(at(999)), Vec::<u64>::new());
        assert_eq!(v.due(at(1_000)), vec![7], "due at the deadline itself");
        assert_eq!(v.due(at(5_000)), vec![7, 9]);
    }

    #[test]
    fn a_guard_verifies_only_itself() {
        assert!(!missing_verification(Some(3), Some(3)));
        assert!(missing_verification(Some(3), Some(2)), "a stale guard");
        assert!(missing_verification(None, Some(3)), "the entry was cleared");
        assert!(
            missing_verification(None, None),
            "the sentinel verifies nothing"
        );
        assert!(missing_verification(Some(3), None));
    }

    #[test]
    fn coordinator_errors_are_translated_for_the_producer() {
        for (from, to) in [
            (KErr::ProducerFenced, KErr::InvalidProducerEpoch),
            (KErr::ConcurrentTransactions, KErr::NotEnoughReplicas),
            (KErr::Network, KErr::NotEnoughReplicas),
            (KErr::TransactionAbortable, KErr::TransactionAbortable),
            (
                KErr::InvalidProducerIdMapping,
                KErr::InvalidProducerIdMapping,
            ),
        ] {
            assert_eq!(produce_error(from, false), to, "{from:?}");
        }
        // Transactions v2: CONCURRENT_TRANSACTIONS reaches the producer as it is.
        assert_eq!(
            produce_error(KErr::ConcurrentTransactions, true),
            KErr::ConcurrentTransactions
        );
        assert_eq!(produce_error(KErr::Network, true), KErr::NotEnoughReplicas);
    }
}
