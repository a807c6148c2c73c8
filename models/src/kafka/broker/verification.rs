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
//! This file holds the state, the rules and the broker's side (holding a request, asking the
//! coordinator, the answer); `produce.rs` appends the request once it is verified.
//!
//! A verification whose answer does not come fails with NETWORK_EXCEPTION (translated to
//! NOT_ENOUGH_REPLICAS, retriable) when the connection to the coordinator closes or when the
//! broker's `request.timeout.ms` (`broker_request_timeout_ms`) has passed
//! (AddPartitionsToTxnManager: `wasDisconnected || wasTimedOut`).
//!
//! Simplifications: the coordinator is found by producer id (`KMsg::VerifyTxnPartitions`);
//! the timeout is checked at the broker's heartbeat tick (up to `broker_heartbeat_interval_ms`
//! late).

use super::Broker;
use crate::kafka::config::Acks;
use crate::kafka::wire::msg::{KErr, KEvent, KMsg, WireBatch};
use crate::kafka::wire::records::BatchTxn;
use msgsim_sim::{Ctx, NodeId, SimDuration, SimTime, Via};
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

impl Broker {
    /// The start of the produce path: transactional batches that need verification make the
    /// request wait for the coordinator; everything else goes on to the append.
    pub(super) fn on_produce(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, request: ProduceRequest) {
        let guards = if self.cfg.transaction_partition_verification {
            self.start_verification(&request.batches)
        } else {
            BTreeMap::new()
        };
        if guards.is_empty() {
            self.produce_verified(ctx, request, &Verified::default());
            return;
        }
        let first = (request.batches)
            .iter()
            .find(|b| b.txn == BatchTxn::Data)
            .expect("a transactional batch");
        let (pid, epoch) = (first.pid, first.producer_epoch);
        let deadline = ctx.now() + SimDuration::from_millis(self.cfg.broker_request_timeout_ms);
        let v = &mut self.verifications;
        v.next_req += 1;
        v.started += 1;
        let vreq = v.next_req;
        let parts: Vec<u32> = guards.keys().copied().collect();
        let pending = PendingVerify {
            request,
            guards,
            deadline,
        };
        v.pending.insert(vreq, pending);
        ctx.sometimes("kafka:txn_verification_started");
        let gc = NodeId(self.cfg.gc_index());
        let msg = KMsg::VerifyTxnPartitions {
            req: vreq,
            pid,
            epoch,
            parts,
        };
        self.peers.send(ctx, gc, msg);
    }

    /// maybeStartTransactionVerification per partition this broker leads: a guard for each
    /// transactional data batch whose producer id has no ongoing transaction on the log.
    fn start_verification(&mut self, batches: &[WireBatch]) -> BTreeMap<u32, u64> {
        let mut guards = BTreeMap::new();
        for wb in batches.iter().filter(|b| b.txn == BatchTxn::Data) {
            let p = wb.p as usize;
            let leads = self
                .parts
                .get(p)
                .is_some_and(|v| v.role == super::Role::Leader);
            if !leads || self.logs[p].txn.open.contains_key(&wb.pid) {
                continue;
            }
            let next = &mut self.verifications.next_guard;
            let guard = *self.logs[p].verification.entry(wb.pid).or_insert_with(|| {
                *next += 1;
                *next
            });
            guards.insert(wb.p, guard);
        }
        guards
    }

    /// The coordinator's answer: refused partitions get its (translated) error, the rest are
    /// appended with their guards.
    pub(super) fn on_verify_resp(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        req: u64,
        results: Vec<(u32, Result<(), KErr>)>,
    ) {
        let Some(pv) = self.verifications.pending.remove(&req) else {
            return;
        };
        let mut verified = Verified {
            guards: pv.guards,
            errors: BTreeMap::new(),
        };
        for (p, r) in results {
            if let Err(e) = r {
                verified.errors.insert(p, produce_error(e));
            }
        }
        if !verified.errors.is_empty() {
            self.verifications.refused += 1;
        }
        self.produce_verified(ctx, pv.request, &verified);
    }

    /// The connection to the coordinator closed: its verifications fail with
    /// NETWORK_EXCEPTION, which the produce answer carries as NOT_ENOUGH_REPLICAS.
    pub(super) fn verification_lost(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let reqs: Vec<u64> = self.verifications.pending.keys().copied().collect();
        self.verifications_failed(ctx, reqs);
    }

    /// Verifications whose answer did not come within the broker's request.timeout.ms fail as a
    /// lost connection does: AddPartitionsToTxnHandler.onComplete answers every callback of a
    /// request that `wasDisconnected || wasTimedOut` with NETWORK_EXCEPTION (the
    /// InterBrokerSendThread's NetworkClient times a request out after `config.requestTimeoutMs`).
    /// Checked at the broker's heartbeat tick, so a verification gives up between the timeout
    /// and the timeout plus `broker_heartbeat_interval_ms` (no timer per verification).
    pub(super) fn verifications_expire(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let reqs = self.verifications.due(ctx.now());
        if !reqs.is_empty() {
            ctx.sometimes("kafka:txn_verification_timed_out");
            self.verifications.timed_out += reqs.len() as u64;
        }
        self.verifications_failed(ctx, reqs);
    }

    fn verifications_failed(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, reqs: Vec<u64>) {
        for req in reqs {
            let parts: Vec<u32> = self.verifications.pending[&req]
                .guards
                .keys()
                .copied()
                .collect();
            let results = parts.into_iter().map(|p| (p, Err(KErr::Network))).collect();
            self.on_verify_resp(ctx, req, results);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(produce_error(from), to, "{from:?}");
        }
    }
}
