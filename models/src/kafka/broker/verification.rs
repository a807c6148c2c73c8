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
//! request, asking the coordinator, the answer) is in `produce.rs`.
//!
//! Simplifications: the coordinator is found by producer id (`KMsg::VerifyTxnPartitions`);
//! a verification whose answer never comes stays pending until the connection to the
//! coordinator closes (then NOT_ENOUGH_REPLICAS, as AddPartitionsToTxnManager's
//! NETWORK_EXCEPTION is translated) or the broker crashes — the producer's own request
//! timeout ends its wait either way.

use crate::kafka::config::Acks;
use crate::kafka::wire::msg::{KErr, WireBatch};
use msgsim_sim::{NodeId, Via};
use std::collections::BTreeMap;

/// A produce request waiting for its verification answer.
#[derive(Debug)]
pub struct PendingVerify {
    pub from: NodeId,
    pub via: Via,
    pub req: u64,
    pub acks: Acks,
    pub timeout_ms: u64,
    pub batches: Vec<WireBatch>,
    /// The guard each verified partition got when the verification started.
    pub guards: BTreeMap<u32, u64>,
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
    /// Verifications started and refused (for the report).
    pub started: u64,
    pub refused: u64,
}

impl Verifications {
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

/// AddPartitionsToTxnManager + ReplicaManager's translation of a coordinator error into the
/// produce answer (produce v11+, `genericErrorSupported`): PRODUCER_FENCED →
/// INVALID_PRODUCER_EPOCH; the retriable coordinator errors → NOT_ENOUGH_REPLICAS ("does not
/// trigger a metadata refresh"); TRANSACTION_ABORTABLE and the rest unchanged.
pub fn produce_error(e: KErr) -> KErr {
    match e {
        KErr::ProducerFenced => KErr::InvalidProducerEpoch,
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
        assert_eq!(
            produce_error(KErr::ProducerFenced),
            KErr::InvalidProducerEpoch
        );
        assert_eq!(
            produce_error(KErr::ConcurrentTransactions),
            KErr::NotEnoughReplicas
        );
        assert_eq!(produce_error(KErr::Network), KErr::NotEnoughReplicas);
        assert_eq!(
            produce_error(KErr::TransactionAbortable),
            KErr::TransactionAbortable
        );
        assert_eq!(
            produce_error(KErr::InvalidProducerIdMapping),
            KErr::InvalidProducerIdMapping
        );
    }
}
