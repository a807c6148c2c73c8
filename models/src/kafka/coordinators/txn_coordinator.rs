//! The transaction coordinator (reference §6): one logical linearizable service with durable
//! state, hosted by the `gc` node next to the group coordinator (as the group coordinator is
//! modelled: reference §1 allows "a logical service with its own durability flag"; its state
//! survives a crash). It maps transactional.id → (producer id, epoch, state), bumps the epoch
//! on InitProducerId (fencing zombies, aborting their open transaction), tracks the partitions
//! and pending consumer offsets of the ongoing transaction, decides commit/abort on EndTxn or
//! on transaction.timeout.ms, and writes COMMIT/ABORT markers to every partition leader
//! (WriteTxnMarkers, modelled as an acks=all Produce of a control batch) until each is acked.

use crate::kafka::clients::metadata_pacing::{MetadataRequests, MetadataStart};
use crate::kafka::config::{Acks, KafkaConfig};
use crate::kafka::wire::msg::{KErr, KEvent, KMsg, MetaSnapshot, Peers, WireBatch, reply, tag};
use crate::kafka::wire::records::{BatchTxn, MARKER_VALUE};
use crate::kafka::wire::values::Values;
use msgsim_sim::{CrashKind, Ctx, NodeId, SimDuration, SimTime, Via};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

pub(super) const T_TXN_SWEEP: u64 = 10;
pub(super) const T_TXN_RETRY: u64 = 11;

/// Producer ids handed out by the coordinator start here (plain producers use their own range).
const PID_BASE: i64 = 1 << 40;

/// TransactionState (TransactionMetadata.scala), without the "Prepare" persistence step: a
/// decision is durable at once, markers follow asynchronously.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Empty,
    Ongoing,
    /// Markers being written; `commit` says which.
    Completing {
        commit: bool,
    },
    Complete,
}

#[derive(Clone, Debug)]
struct TxnMeta {
    pid: i64,
    epoch: i16,
    timeout_ms: u64,
    state: State,
    started: SimTime,
    partitions: BTreeSet<u32>,
    pending_offsets: BTreeMap<u32, u64>,
    /// Partitions still waiting for their marker, and the epoch the markers carry.
    markers_left: BTreeSet<u32>,
    marker_epoch: i16,
    /// The last decision (a KIP-890 EndTxn retry is matched against it).
    last_commit: Option<bool>,
}

pub struct TxnCoordinator {
    cfg: Rc<KafkaConfig>,
    txns: BTreeMap<u32, TxnMeta>,
    next_pid: i64,
    // ---- volatile ----
    md: Option<Rc<MetaSnapshot>>,
    md_requests: MetadataRequests,
    peers: Peers,
    /// Marker produce requests in flight: req → (transactional id, partition).
    in_flight: BTreeMap<u64, (u32, u32, SimTime)>,
    next_req: u64,
    retry_armed: bool,
    // ---- counters ----
    pub commits: u64,
    pub aborts: u64,
    pub timeouts: u64,
    pub fence_aborts: u64,
    pub markers: u64,
}

type Cx<'a> = Ctx<'a, KMsg, KEvent>;

impl TxnCoordinator {
    pub fn new(cfg: Rc<KafkaConfig>) -> TxnCoordinator {
        TxnCoordinator {
            cfg,
            txns: BTreeMap::new(),
            next_pid: 0,
            md: None,
            md_requests: MetadataRequests::unpaced(0),
            peers: Peers::default(),
            in_flight: BTreeMap::new(),
            next_req: 0,
            retry_armed: false,
            commits: 0,
            aborts: 0,
            timeouts: 0,
            fence_aborts: 0,
            markers: 0,
        }
    }

    /// Whether this node hosts transactions at all (no timers otherwise: existing scenarios
    /// keep their event streams).
    fn enabled(&self) -> bool {
        self.cfg.transactional_producers > 0
            || self.cfg.commit_mode == crate::kafka::config::CommitMode::Transactional
            || self.cfg.scripted_transactions()
    }

    pub fn on_start(&mut self, ctx: &mut Cx<'_>) {
        if !self.enabled() {
            return;
        }
        let sweep = self
            .cfg
            .transaction_abort_timed_out_transaction_cleanup_interval_ms;
        ctx.set_timer(SimDuration::from_millis(sweep), tag(T_TXN_SWEEP, 0));
        // Re-drive markers of decided transactions (the decision is durable).
        self.arm_retry(ctx);
    }

    pub fn on_crash(&mut self, _kind: CrashKind) {
        self.md = None;
        self.md_requests.finish();
        self.peers.clear();
        self.in_flight.clear();
        self.retry_armed = false;
    }

    /// Whether an open transaction holds offsets for `p` not yet committed (an OffsetFetch
    /// with require_stable waits for it: UNSTABLE_OFFSET_COMMIT, KIP-447).
    pub fn has_pending_offsets(&self, parts: &[u32]) -> bool {
        self.txns.values().any(|t| {
            t.state == State::Ongoing && parts.iter().any(|p| t.pending_offsets.contains_key(p))
        })
    }

    /// InitProducerId: new transactional.id → fresh producer id; known one → epoch bump. An
    /// ongoing transaction is aborted first (fencing the old instance; the client retries on
    /// CONCURRENT_TRANSACTIONS until the abort completed). A bump request naming a producer id
    /// and epoch (KIP-360) that are no longer current is fenced (PRODUCER_FENCED).
    pub fn init_pid(
        &mut self,
        ctx: &mut Cx<'_>,
        from: NodeId,
        via: Via,
        tid: u32,
        timeout_ms: u64,
        current: Option<(i64, i16)>,
    ) {
        let now = ctx.now();
        let stale = |t: &TxnMeta| current.is_some_and(|c| c != (t.pid, t.epoch));
        let result = match self.txns.get_mut(&tid) {
            Some(t) if stale(t) => Err(KErr::ProducerFenced),
            None => {
                let pid = PID_BASE + self.next_pid;
                self.next_pid += 1;
                self.txns.insert(tid, TxnMeta::new(pid, timeout_ms, now));
                Ok((pid, 0))
            }
            Some(t) => match t.state {
                State::Ongoing => {
                    ctx.sometimes("kafka:txn_fenced_open_transaction_aborted");
                    self.fence_aborts += 1;
                    self.decide(ctx, tid, false, None);
                    Err(KErr::ConcurrentTransactions)
                }
                State::Completing { .. } => Err(KErr::ConcurrentTransactions),
                State::Empty | State::Complete => {
                    t.epoch += 1;
                    t.timeout_ms = timeout_ms;
                    t.state = State::Empty;
                    ctx.sometimes("kafka:txn_epoch_bump");
                    Ok((t.pid, t.epoch))
                }
            },
        };
        reply(ctx, from, via, KMsg::InitProducerIdResp { result });
    }

    /// Epoch / producer-id checks shared by the client requests.
    fn check(&self, tid: u32, pid: i64, epoch: i16) -> Result<(), KErr> {
        match self.txns.get(&tid) {
            Some(t) if t.pid == pid && t.epoch == epoch => Ok(()),
            _ => Err(KErr::ProducerFenced),
        }
    }

    /// AddPartitionsToTxn: the transaction becomes Ongoing (its timeout starts) and records
    /// the partitions it will need markers for.
    #[allow(clippy::too_many_arguments)]
    pub fn add_partitions(
        &mut self,
        ctx: &mut Cx<'_>,
        from: NodeId,
        via: Via,
        tid: u32,
        pid: i64,
        epoch: i16,
        parts: Vec<u32>,
    ) {
        let now = ctx.now();
        let result = self.check(tid, pid, epoch).and_then(|()| {
            let t = self.txns.get_mut(&tid).expect("checked");
            t.begin_if_idle(now)?;
            t.partitions.extend(parts.iter().copied());
            Ok(())
        });
        if result == Err(KErr::ProducerFenced) {
            ctx.sometimes("kafka:txn_producer_fenced");
        }
        reply(
            ctx,
            from,
            via,
            KMsg::AddPartitionsToTxnResp { parts, result },
        );
    }

    /// KIP-890 part 1: a partition leader asks whether `parts` are in the ongoing transaction
    /// of producer id `pid` at `epoch` (TransactionCoordinator.handleVerifyPartitionsInTransaction:
    /// an unknown producer id → INVALID_PRODUCER_ID_MAPPING; another epoch → PRODUCER_FENCED;
    /// a transaction whose markers are being written (PrepareCommit/PrepareAbort) →
    /// CONCURRENT_TRANSACTIONS; else each partition NONE if added, TRANSACTION_ABORTABLE if not).
    /// Read-only: the transaction's state does not change.
    pub fn verify_partitions(
        &self,
        pid: i64,
        epoch: i16,
        parts: &[u32],
    ) -> Vec<(u32, Result<(), KErr>)> {
        let whole = match self.txns.values().find(|t| t.pid == pid) {
            None => Err(KErr::InvalidProducerIdMapping),
            Some(t) if t.epoch != epoch => Err(KErr::ProducerFenced),
            Some(t) if matches!(t.state, State::Completing { .. }) => {
                Err(KErr::ConcurrentTransactions)
            }
            Some(t) => Ok(t),
        };
        parts
            .iter()
            .map(|&p| {
                let r = match &whole {
                    Err(e) => Err(*e),
                    Ok(t) if t.state == State::Ongoing && t.partitions.contains(&p) => Ok(()),
                    Ok(_) => Err(KErr::TransactionAbortable),
                };
                (p, r)
            })
            .collect()
    }

    /// KIP-890 part 2 (transactions v2, `kip890_transactions`): a partition leader adds
    /// `parts` to the transaction of producer id `pid` at `epoch` on its first transactional
    /// produce there (the client sends no AddPartitionsToTxn). TransactionCoordinator
    /// .handleAddPartitionsToTransaction as KafkaApis calls it for a broker's request with
    /// `verifyOnly = false`: an unknown producer id → INVALID_PRODUCER_ID_MAPPING; another epoch
    /// → PRODUCER_FENCED; markers being written (PrepareCommit/PrepareAbort) →
    /// CONCURRENT_TRANSACTIONS; else the partitions join the transaction, which becomes Ongoing
    /// (prepareAddPartitions: from Empty/CompleteCommit/CompleteAbort its timeout starts now).
    pub fn add_partitions_from_leader(
        &mut self,
        now: SimTime,
        pid: i64,
        epoch: i16,
        parts: &[u32],
    ) -> Vec<(u32, Result<(), KErr>)> {
        let whole = match self.txns.values_mut().find(|t| t.pid == pid) {
            None => Err(KErr::InvalidProducerIdMapping),
            Some(t) if t.epoch != epoch => Err(KErr::ProducerFenced),
            Some(t) => t
                .begin_if_idle(now)
                .map(|()| t.partitions.extend(parts.iter().copied())),
        };
        parts.iter().map(|&p| (p, whole)).collect()
    }

    /// A partition leader's AddPartitionsToTxn (verify-only, or with transactions v2 an add),
    /// answered at once. `request` is (request id, producer id, epoch, verify only).
    pub fn on_verify(
        &mut self,
        ctx: &mut Cx<'_>,
        from: NodeId,
        via: Via,
        request: (u64, i64, i16, bool),
        parts: Vec<u32>,
    ) {
        let (req, pid, epoch, verify_only) = request;
        let results = if verify_only {
            self.verify_partitions(pid, epoch, &parts)
        } else {
            let results = self.add_partitions_from_leader(ctx.now(), pid, epoch, &parts);
            match results.first().map(|r| r.1) {
                Some(Ok(())) => ctx.sometimes("kafka:txn_implicit_add"),
                Some(Err(KErr::ProducerFenced)) => ctx.sometimes("kafka:txn_producer_fenced"),
                _ => {}
            }
            results
        };
        if results.iter().any(|(_, r)| r.is_err()) {
            ctx.sometimes("kafka:txn_verification_refused");
        } else {
            ctx.sometimes("kafka:txn_verification_ok");
        }
        reply(
            ctx,
            from,
            via,
            KMsg::VerifyTxnPartitionsResp { req, results },
        );
    }

    /// AddOffsetsToTxn + TxnOffsetCommit: the offsets stay pending until the transaction
    /// commits. `group_ok` is the group coordinator's generation/member check (KIP-447).
    #[allow(clippy::too_many_arguments)]
    pub fn txn_offset_commit(
        &mut self,
        ctx: &mut Cx<'_>,
        from: NodeId,
        via: Via,
        tid: u32,
        pid: i64,
        epoch: i16,
        group_ok: bool,
        offsets: Vec<(u32, u64)>,
    ) {
        let now = ctx.now();
        let result = self.check(tid, pid, epoch).and_then(|()| {
            if !group_ok {
                return Err(KErr::IllegalGeneration);
            }
            let t = self.txns.get_mut(&tid).expect("checked");
            t.begin_if_idle(now)?;
            t.pending_offsets.extend(offsets);
            Ok(())
        });
        reply(ctx, from, via, KMsg::TxnOffsetCommitResp { result });
    }

    /// EndTxn: decide commit or abort; on commit the pending offsets become the group's
    /// committed offsets atomically with the decision (`end_txn_outcome` says when).
    /// With KIP-890 (transaction.version 2) the decision bumps the epoch: the answer carries
    /// the new one, the markers too, and a retry names the epoch before the bump
    /// (TransactionCoordinator.handleEndTransaction: `isRetry` when `producerEpoch` is the
    /// previous epoch and the last result matches).
    #[allow(clippy::too_many_arguments)]
    pub fn end_txn(
        &mut self,
        ctx: &mut Cx<'_>,
        from: NodeId,
        via: Via,
        tid: u32,
        pid: i64,
        epoch: i16,
        commit: bool,
        committed: &mut BTreeMap<u32, u64>,
    ) {
        let kip890 = self.cfg.kip890_transactions;
        let retry_of_bumped = self.txns.get(&tid).is_some_and(|t| {
            let decided = match t.state {
                State::Completing { commit: c } => c == commit,
                State::Complete => t.last_commit == Some(commit),
                _ => false,
            };
            kip890 && t.pid == pid && t.epoch == epoch + 1 && decided
        });
        let result = if retry_of_bumped {
            Ok(self.txns[&tid].epoch)
        } else {
            let outcome = if kip890 {
                self.end_txn_outcome_tv2(tid, pid, epoch, commit)
            } else {
                self.end_txn_outcome(tid, pid, epoch, commit)
            };
            outcome.map(|decide| {
                if decide {
                    self.decide(ctx, tid, commit, Some(committed));
                }
                self.txns[&tid].epoch
            })
        };
        if result == Err(KErr::InvalidTxnState) {
            ctx.sometimes("kafka:txn_end_invalid_state");
        }
        if result == Err(KErr::ProducerFenced) {
            // A late EndTxn of an earlier epoch (TV2: "If the epoch is the same it actually
            // indicates the next endTransaction call", so only the bumped epoch is valid).
            ctx.sometimes("kafka:txn_producer_fenced");
        }
        reply(ctx, from, via, KMsg::EndTxnResp { commit, result });
    }

    /// What an EndTxn meets in its transaction's state (TransactionCoordinator
    /// .handleEndTransaction, transaction.version 1): `Ok(true)` to decide now, `Ok(false)` to
    /// answer success with nothing to do, or the error. A retry of the decision being written
    /// (PrepareCommit / PrepareAbort) waits (CONCURRENT_TRANSACTIONS, retried); a retry of the
    /// decision written (CompleteCommit / CompleteAbort) succeeds; the other decision in either
    /// state is an invalid transition: INVALID_TXN_STATE, fatal to the client.
    fn end_txn_outcome(&self, tid: u32, pid: i64, epoch: i16, commit: bool) -> Result<bool, KErr> {
        self.check(tid, pid, epoch)?;
        let t = &self.txns[&tid];
        match t.state {
            State::Ongoing => Ok(true),
            State::Completing { commit: c } if c == commit => Err(KErr::ConcurrentTransactions),
            State::Completing { .. } => Err(KErr::InvalidTxnState),
            State::Complete if t.last_commit.is_some_and(|c| c != commit) => {
                Err(KErr::InvalidTxnState)
            }
            // Nothing was added: an empty transaction ends at once.
            State::Empty | State::Complete => Ok(false),
        }
    }

    /// What an EndTxn meets with transactions v2 (`kip890_transactions`;
    /// TransactionCoordinator.endTransaction when `clientTransactionVersion.supportsEpochBump`).
    /// The epoch must be the current one, or for a retry the one before the bump (`isValidEpoch`:
    /// Ongoing/Empty only the current epoch, PrepareCommit/PrepareAbort only a retry,
    /// CompleteCommit/CompleteAbort either). Then: Ongoing → decide; the same decision being
    /// written → CONCURRENT_TRANSACTIONS, the other → INVALID_TXN_STATE; a commit of a completed
    /// or empty transaction that is not a retry → INVALID_TXN_STATE; an **abort** of a completed
    /// or empty transaction that is not a retry is accepted with an epoch bump and nothing to
    /// mark (`prepareAbortOrCommit(PrepareAbort, noPartitionAdded = true)`: "With transaction
    /// V2, it is allowed to abort the transaction without adding any partitions") — with the
    /// implicit add, a transaction whose sends failed before reaching a leader added nothing.
    /// Retries of a written decision are answered before this (`end_txn`, `isRetry`).
    fn end_txn_outcome_tv2(
        &self,
        tid: u32,
        pid: i64,
        epoch: i16,
        commit: bool,
    ) -> Result<bool, KErr> {
        let Some(t) = self.txns.get(&tid).filter(|t| t.pid == pid) else {
            return Err(KErr::ProducerFenced);
        };
        let retry = t.epoch == epoch + 1;
        let valid = match t.state {
            State::Ongoing | State::Empty => epoch == t.epoch,
            State::Completing { .. } => retry,
            State::Complete => retry || epoch == t.epoch,
        };
        if !valid {
            return Err(KErr::ProducerFenced);
        }
        match t.state {
            State::Ongoing => Ok(true),
            State::Completing { commit: c } if c == commit => Err(KErr::ConcurrentTransactions),
            State::Completing { .. } => Err(KErr::InvalidTxnState),
            State::Complete if retry && t.last_commit == Some(commit) => Ok(false),
            State::Complete | State::Empty if commit || retry => Err(KErr::InvalidTxnState),
            State::Complete | State::Empty => Ok(true),
        }
    }

    /// The decision: pending offsets applied on commit; markers to every partition. An abort
    /// by the coordinator itself (fencing, timeout) bumps the epoch so that the old producer's
    /// later requests are fenced (TransactionCoordinator.abortTimedOutTransactions).
    fn decide(
        &mut self,
        ctx: &mut Cx<'_>,
        tid: u32,
        commit: bool,
        committed: Option<&mut BTreeMap<u32, u64>>,
    ) {
        let t = self.txns.get_mut(&tid).expect("txn");
        // The coordinator's own aborts (fencing, timeout) bump the epoch so that the old
        // producer is fenced; with KIP-890 every decision does (the markers carry epoch + 1, so
        // a late produce of this transaction is fenced by the partition's producer state).
        if committed.is_none() || self.cfg.kip890_transactions {
            t.epoch += 1;
        }
        t.last_commit = Some(commit);
        if commit {
            self.commits += 1;
            if let Some(c) = committed {
                c.extend(t.pending_offsets.iter().map(|(p, o)| (*p, *o)));
            }
        } else {
            self.aborts += 1;
        }
        t.pending_offsets.clear();
        t.markers_left = std::mem::take(&mut t.partitions);
        t.marker_epoch = t.epoch;
        t.state = State::Completing { commit };
        if t.markers_left.is_empty() {
            t.state = State::Complete;
        }
        self.send_markers(ctx);
    }

    /// transaction.timeout.ms: ongoing transactions older than their timeout are aborted.
    pub fn sweep(&mut self, ctx: &mut Cx<'_>) {
        let now = ctx.now();
        let expired: Vec<u32> = self
            .txns
            .iter()
            .filter(|(_, t)| {
                t.state == State::Ongoing
                    && now.saturating_since(t.started) >= SimDuration::from_millis(t.timeout_ms)
            })
            .map(|(k, _)| *k)
            .collect();
        for tid in expired {
            ctx.sometimes("kafka:txn_timeout_abort");
            self.timeouts += 1;
            self.decide(ctx, tid, false, None);
        }
        let sweep = self
            .cfg
            .transaction_abort_timed_out_transaction_cleanup_interval_ms;
        ctx.set_timer(SimDuration::from_millis(sweep), tag(T_TXN_SWEEP, 0));
    }

    fn request_metadata(&mut self, ctx: &mut Cx<'_>) {
        let start =
            self.md_requests
                .request(ctx, &mut self.peers, self.cfg.brokers, SimDuration::ZERO);
        if !matches!(start, MetadataStart::Send(_)) {
            return;
        }
        self.arm_retry(ctx);
    }

    /// WriteTxnMarkers: one acks=all control batch per partition still waiting, to its leader.
    fn send_markers(&mut self, ctx: &mut Cx<'_>) {
        let busy: BTreeSet<(u32, u32)> = self.in_flight.values().map(|v| (v.0, v.1)).collect();
        let mut todo = Vec::new();
        for (tid, t) in &self.txns {
            if let State::Completing { commit } = t.state {
                for &p in &t.markers_left {
                    if !busy.contains(&(*tid, p)) {
                        todo.push((*tid, p, t.pid, t.marker_epoch, commit));
                    }
                }
            }
        }
        if todo.is_empty() {
            // Every marker left is in flight: keep the retry timer armed so that an unanswered
            // one times out and is sent again (TransactionMarkerRequestCompletionHandler
            // re-enqueues the markers of a request that was disconnected or timed out).
            self.arm_retry(ctx);
            return;
        }
        let Some(md) = self.md.clone() else {
            self.request_metadata(ctx);
            return;
        };
        for (tid, p, pid, epoch, commit) in todo {
            let Some(leader) = md.parts.get(p as usize).and_then(|s| s.leader) else {
                self.md = None;
                self.arm_retry(ctx);
                continue;
            };
            self.next_req += 1;
            let req = self.next_req;
            let batch = WireBatch {
                id: req,
                p,
                pid,
                producer_epoch: epoch,
                first_seq: -1,
                ts_ms: ctx.local_now().as_millis() as i64,
                values: Values::from([MARKER_VALUE]),
                bytes: 78,
                leader_epoch: None,
                txn: if commit {
                    BatchTxn::Commit
                } else {
                    BatchTxn::Abort
                },
            };
            // Markers are appended with acks=all (TransactionMarkerChannelManager).
            let timeout_ms = self.cfg.request_timeout_ms;
            let msg = KMsg::Produce {
                req,
                acks: Acks::All,
                timeout_ms,
                batches: vec![batch],
            };
            // A fresh connection must be set up within socket.connection.setup.timeout.ms
            // (KIP-601); an open one answers within request.timeout.ms.
            let wait_ms = crate::kafka::clients::metadata_pacing::answer_timeout_ms(
                &self.peers,
                NodeId(leader),
                timeout_ms,
            );
            self.peers.send(ctx, NodeId(leader), msg);
            let deadline = ctx.now() + SimDuration::from_millis(wait_ms);
            self.in_flight.insert(req, (tid, p, deadline));
        }
        self.arm_retry(ctx);
    }

    /// A marker's answer: done for that partition, or retried after a metadata refresh.
    pub fn on_produce_resp(
        &mut self,
        ctx: &mut Cx<'_>,
        req: u64,
        results: Vec<(u64, Result<Option<u64>, KErr>)>,
    ) {
        let Some((tid, p, _)) = self.in_flight.remove(&req) else {
            return;
        };
        let ok = results.iter().all(|(_, r)| r.is_ok());
        if !ok {
            ctx.sometimes("kafka:txn_marker_retry");
            self.md = None;
            self.arm_retry(ctx);
            return;
        }
        self.markers += 1;
        let t = self.txns.get_mut(&tid).expect("txn");
        t.markers_left.remove(&p);
        if t.markers_left.is_empty() && matches!(t.state, State::Completing { .. }) {
            t.state = State::Complete;
        }
    }

    pub fn on_metadata(&mut self, ctx: &mut Cx<'_>, snap: Rc<MetaSnapshot>) {
        self.md_requests.finish();
        if self.md.as_ref().is_none_or(|m| m.offset <= snap.offset) {
            self.md = Some(snap);
        }
        self.send_markers(ctx);
    }

    /// A broken connection: its marker requests are retried.
    pub fn on_closed(&mut self, ctx: &mut Cx<'_>, conn: msgsim_sim::ConnId) {
        if self.peers.closed(conn).is_none() {
            return;
        }
        // Which requests used that connection is not tracked: resend every marker in flight
        // (a second marker for a completed transaction changes nothing, see TxnIndex::note).
        self.md_requests.finish();
        self.md = None;
        self.in_flight.clear();
        self.arm_retry(ctx);
    }

    /// Retry timer: expired marker requests and metadata requests are dropped, markers resent.
    pub fn on_retry(&mut self, ctx: &mut Cx<'_>) {
        self.retry_armed = false;
        let now = ctx.now();
        self.in_flight.retain(|_, f| f.2 > now);
        self.md_requests.finish();
        self.send_markers(ctx);
    }

    fn arm_retry(&mut self, ctx: &mut Cx<'_>) {
        let pending = self
            .txns
            .values()
            .any(|t| matches!(t.state, State::Completing { .. }));
        if self.retry_armed || !pending {
            return;
        }
        self.retry_armed = true;
        let backoff = self.cfg.retry_backoff_ms.max(1);
        ctx.set_timer(SimDuration::from_millis(backoff), tag(T_TXN_RETRY, 0));
    }
}

impl TxnMeta {
    fn new(pid: i64, timeout_ms: u64, now: SimTime) -> TxnMeta {
        TxnMeta {
            pid,
            epoch: 0,
            timeout_ms,
            state: State::Empty,
            started: now,
            partitions: BTreeSet::new(),
            pending_offsets: BTreeMap::new(),
            markers_left: BTreeSet::new(),
            marker_epoch: 0,
            last_commit: None,
        }
    }

    /// Empty/Complete → Ongoing (the timeout starts); Completing → CONCURRENT_TRANSACTIONS.
    fn begin_if_idle(&mut self, now: SimTime) -> Result<(), KErr> {
        match self.state {
            State::Ongoing => Ok(()),
            State::Completing { .. } => Err(KErr::ConcurrentTransactions),
            State::Empty | State::Complete => {
                self.state = State::Ongoing;
                self.started = now;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
#[path = "txn_coordinator_tests.rs"]
mod tests;
