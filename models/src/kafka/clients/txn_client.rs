//! The transactional producer client (KafkaProducer with transactional.id, TransactionManager):
//! initTransactions (InitProducerId: epoch bump, fencing), beginTransaction,
//! AddPartitionsToTxn before the first produce to a partition, idempotent produce with the
//! transaction's (pid, epoch), sendOffsetsToTransaction, commit/abort (EndTxn after every
//! batch finished). ProducerFenced is fatal; a failed batch or a rejected offset commit makes
//! the transaction abortable: its commit turns into an abort (reference §6).
//!
//! Also used without a transactional.id (a plain idempotent producer with `flush()`), for the
//! at-least-once consume-transform-produce contrast. Not an actor: owned by `TxnProducer` and
//! by a consumer in consume-transform-produce mode, which forward messages, timers and
//! connection events to it (timer kinds from `T_CLIENT_TICK` up). Its batches (produce requests
//! and their answers) are in `txn_client/batches.rs`.

mod batches;
mod calls;
mod topic_wait;

use super::metadata_pacing::MetadataRequests;
use crate::kafka::config::KafkaConfig;
use crate::kafka::wire::msg::{KErr, KEvent, KMsg, MetaSnapshot, Peers, tag};
use crate::kafka::wire::values::Values;
pub use calls::TxnCall;
use msgsim_sim::{ConnId, Ctx, NodeId, SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// Timer kind of the client's tick (owners keep their own kinds below it).
pub const T_CLIENT_TICK: u64 = 20;

/// What the owner learns from the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnNote {
    /// initTransactions completed.
    Ready,
    /// EndTxn answered: the transaction committed (`true`) or aborted.
    Ended(bool),
    /// ProducerFencedException: a newer instance owns the transactional.id (fatal).
    Fenced,
    /// Plain mode: every record sent so far is acknowledged (flush()).
    Flushed,
    /// sendOffsetsToTransaction answered: ok, or ILLEGAL_GENERATION (the transaction must
    /// abort, CommitFailedException).
    Offsets(Result<(), KErr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Idle,
    Initializing,
    Ready,
    InTxn,
    Fenced,
}

#[derive(Debug)]
struct TBatch {
    p: u32,
    values: Values,
    /// Base sequence, assigned when the batch is first drained (RecordAccumulator.drain): a
    /// batch aborted before it was ever sent takes no sequence numbers.
    seq: Option<i32>,
    created: SimTime,
    attempts: u32,
    in_flight: bool,
    maybe_written: bool,
    ready_at: SimTime,
    record: Option<ScriptRecord>,
}

/// A scripted send's own record size and CreateTime (`clients/script.rs`); without one a batch
/// is `message_bytes` per value, stamped with the client's clock when sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScriptRecord {
    /// Value, key and headers, before compression.
    pub bytes: u64,
    /// CreateTime: fixed at send() (KafkaProducer.doSend), kept by every retry.
    pub ts_ms: i64,
}

/// The coordinator request in flight (one at a time, like TransactionManager's queue).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coord {
    Init,
    Add,
    Offsets,
    End,
}

pub struct TxnClient {
    cfg: Rc<KafkaConfig>,
    /// History producer index for Send events; None = not recorded (outputs).
    owner: Option<u32>,
    /// pid range of plain mode.
    plain_pid_base: i64,
    tid: Option<u32>,
    sessions: i64,
    // ---- volatile ----
    pid: i64,
    epoch: i16,
    state: St,
    added: BTreeSet<u32>,
    /// TransactionManager.transactionStarted: the transaction added a partition or offsets
    /// (v1: an AddPartitionsToTxn or AddOffsetsToTxn answered without error; v2: any send,
    /// `maybeAddPartition`). An EndTxn is sent only then (`nextRequest`: "Not sending EndTxn for
    /// completed transaction since no partitions or offsets were successfully added").
    started: bool,
    batches: BTreeMap<u64, TBatch>,
    next_id: u64,
    next_seq: BTreeMap<u32, i32>,
    /// Last acknowledged sequence per partition (TxnPartitionEntry.lastAckedSequence).
    acked_seq: BTreeMap<u32, i32>,
    /// KIP-360: an abortable batch error asks for an epoch bump (InitProducerId with the current
    /// producer id and epoch) once the transaction has aborted, restarting sequences at 0.
    epoch_bump_required: bool,
    /// req → (broker, batch id, deadline)
    in_flight: BTreeMap<u64, (u32, u64, SimTime)>,
    md: Option<Rc<MetaSnapshot>>,
    md_requests: MetadataRequests,
    peers: Peers,
    next_req: u64,
    /// sendOffsetsToTransaction: (offsets, generation, member).
    offsets: Option<TxnOffsets>,
    offsets_done: bool,
    ending: Option<bool>,
    flushing: bool,
    abortable: bool,
    /// The error that made the transaction abortable (commitTransaction throws it).
    last_error: Option<KErr>,
    /// Scripted clients: (first value of a batch, its outcome), taken by the owner.
    pub outcomes: Option<Vec<(u64, BatchOutcome)>>,
    coord: Option<(Coord, SimTime)>,
    coord_retry_at: SimTime,
    ticking: bool,
    // ---- counters ----
    pub fenced: u64,
    pub commits: u64,
    pub aborts: u64,
}

type Cx<'a> = Ctx<'a, KMsg, KEvent>;
type TxnOffsets = (Vec<(u32, u64)>, u64, u32);
/// A batch's outcome: its base offset (None: acknowledged without one), or the error.
pub type BatchOutcome = Result<Option<u64>, KErr>;

impl TxnClient {
    /// `tid`: the transactional.id (None = plain idempotent producer); `owner`: history index.
    pub fn new(
        cfg: Rc<KafkaConfig>,
        tid: Option<u32>,
        owner: Option<u32>,
        plain_pid_base: i64,
    ) -> TxnClient {
        TxnClient {
            cfg,
            owner,
            plain_pid_base,
            tid,
            sessions: 0,
            pid: -1,
            epoch: 0,
            state: St::Idle,
            added: BTreeSet::new(),
            started: false,
            batches: BTreeMap::new(),
            next_id: 0,
            next_seq: BTreeMap::new(),
            acked_seq: BTreeMap::new(),
            epoch_bump_required: false,
            in_flight: BTreeMap::new(),
            md: None,
            md_requests: MetadataRequests::unpaced(0),
            peers: Peers::default(),
            next_req: 0,
            offsets: None,
            offsets_done: false,
            ending: None,
            flushing: false,
            abortable: false,
            last_error: None,
            outcomes: None,
            coord: None,
            coord_retry_at: SimTime::ZERO,
            ticking: false,
            fenced: 0,
            commits: 0,
            aborts: 0,
        }
    }

    fn gc(&self) -> NodeId {
        NodeId(self.cfg.gc_index())
    }

    /// Transactions v2 (KIP-890 part 2, `kip890_transactions`; TransactionManager with
    /// `isTransactionV2Enabled`): no AddPartitionsToTxn — a partition joins the transaction when
    /// its leader gets the first transactional produce (`broker/verification.rs`).
    fn tv2(&self) -> bool {
        self.cfg.kip890_transactions
    }

    /// initTransactions (or, in plain mode, a fresh idempotent session).
    pub fn init(&mut self, ctx: &mut Cx<'_>) -> Vec<TxnNote> {
        self.sessions += 1;
        self.ensure_tick(ctx);
        if self.tid.is_none() {
            self.pid = self.plain_pid_base + self.sessions;
            self.epoch = 0;
            self.state = St::Ready;
            return vec![TxnNote::Ready];
        }
        self.state = St::Initializing;
        self.drive(ctx)
    }

    pub fn ready(&self) -> bool {
        self.state == St::Ready
    }

    /// beginTransaction (local only, as in KafkaProducer).
    pub fn begin(&mut self) {
        if self.state == St::Ready && self.tid.is_some() {
            self.state = St::InTxn;
            self.added.clear();
            self.started = false;
            self.offsets = None;
            self.offsets_done = false;
            self.ending = None;
            self.abortable = false;
            self.last_error = None;
        }
    }

    /// send(): one batch of `values` to partition `p`.
    pub fn send(&mut self, ctx: &mut Cx<'_>, p: u32, values: Values) -> Vec<TxnNote> {
        self.send_record(ctx, p, values, None)
    }

    /// send() with a scripted record's size and CreateTime.
    pub fn send_record(
        &mut self,
        ctx: &mut Cx<'_>,
        p: u32,
        values: Values,
        record: Option<ScriptRecord>,
    ) -> Vec<TxnNote> {
        // Transactions v2: maybeAddPartition puts the partition in the transaction at send()
        // (`partitionsInTransaction.add`, `transactionStarted = true`); no request goes out.
        if self.tv2() {
            self.started = true;
        }
        if let Some(owner) = self.owner {
            ctx.record(KEvent::Send {
                producer: owner,
                p,
                values: values.clone(),
            });
        }
        self.next_id += 1;
        self.batches.insert(
            self.next_id,
            TBatch {
                p,
                values,
                seq: None,
                created: ctx.now(),
                attempts: 0,
                in_flight: false,
                maybe_written: false,
                ready_at: ctx.now(),
                record,
            },
        );
        self.drive(ctx)
    }

    /// sendOffsetsToTransaction(offsets, groupMetadata).
    pub fn send_offsets(
        &mut self,
        ctx: &mut Cx<'_>,
        offsets: Vec<(u32, u64)>,
        generation: u64,
        member: u32,
    ) -> Vec<TxnNote> {
        self.offsets = Some((offsets, generation, member));
        self.offsets_done = false;
        if self.tv2() {
            // v2 sends TxnOffsetCommit without AddOffsetsToTxn: the transaction has started.
            self.started = true;
        }
        self.drive(ctx)
    }

    /// commitTransaction (`true`) / abortTransaction; plain mode: flush().
    pub fn end(&mut self, ctx: &mut Cx<'_>, commit: bool) -> Vec<TxnNote> {
        if self.tid.is_none() {
            self.flushing = true;
        } else {
            self.ending = Some(commit);
        }
        self.drive(ctx)
    }

    /// Forget everything volatile (the owner crashed).
    pub fn reset(&mut self) {
        self.state = St::Idle;
        self.pid = -1;
        self.batches.clear();
        self.in_flight.clear();
        self.next_seq.clear();
        self.acked_seq.clear();
        self.epoch_bump_required = false;
        self.added.clear();
        self.md = None;
        self.md_requests.finish();
        self.peers.clear();
        self.offsets = None;
        self.ending = None;
        self.flushing = false;
        self.coord = None;
        self.ticking = false;
    }

    fn ensure_tick(&mut self, ctx: &mut Cx<'_>) {
        if !self.ticking {
            self.ticking = true;
            let ms = self.cfg.retry_backoff_ms.max(1);
            ctx.set_timer(SimDuration::from_millis(ms), tag(T_CLIENT_TICK, 0));
        }
    }

    fn backoff(&self, ctx: &mut Cx<'_>, attempts: u32) -> SimDuration {
        self.cfg.retry_backoff(attempts, ctx.rng())
    }

    fn request_metadata(&mut self, ctx: &mut Cx<'_>) {
        self.md_requests
            .request(ctx, &mut self.peers, self.cfg.brokers, SimDuration::ZERO);
    }

    fn coord_send(&mut self, ctx: &mut Cx<'_>, kind: Coord, msg: KMsg) {
        let gc = self.gc();
        self.peers.send(ctx, gc, msg);
        let deadline = ctx.now() + SimDuration::from_millis(self.cfg.request_timeout_ms);
        self.coord = Some((kind, deadline));
    }

    /// Advance the state machine: coordinator requests, produce requests, EndTxn.
    fn drive(&mut self, ctx: &mut Cx<'_>) -> Vec<TxnNote> {
        let mut notes = Vec::new();
        if matches!(self.state, St::Idle | St::Fenced) {
            return notes;
        }
        let tid = self.tid.unwrap_or(0);
        let coord_free = self.coord.is_none() && ctx.now() >= self.coord_retry_at;
        if self.state == St::Initializing {
            if coord_free {
                let timeout_ms = self.cfg.transaction_timeout_ms;
                // KIP-360: a bump names the producer id and epoch it bumps (-1 at first).
                let current = (self.pid >= 0).then_some((self.pid, self.epoch));
                let msg = KMsg::InitProducerId {
                    tid,
                    timeout_ms,
                    current,
                };
                self.coord_send(ctx, Coord::Init, msg);
            }
            return notes;
        }
        let txn = self.tid.is_some();
        // Sender: while aborting or in an abortable error, batches not yet drained fail at once
        // (RecordAccumulator.abortUndrainedBatches).
        if txn && (self.ending == Some(false) || self.abortable) {
            self.drop_unsent(ctx);
        }
        let explicit_add = txn && !self.tv2();
        let unadded: Vec<u32> = self
            .batches
            .values()
            .map(|b| b.p)
            .filter(|p| explicit_add && !self.added.contains(p))
            .collect::<BTreeSet<u32>>()
            .into_iter()
            .collect();
        if !unadded.is_empty() && coord_free && self.ending != Some(false) {
            let (pid, epoch) = (self.pid, self.epoch);
            let msg = KMsg::AddPartitionsToTxn {
                tid,
                pid,
                epoch,
                parts: unadded,
            };
            ctx.sometimes("kafka:txn_client_add_partitions");
            self.coord_send(ctx, Coord::Add, msg);
        }
        self.send_batches(ctx);
        let coord_free = self.coord.is_none() && ctx.now() >= self.coord_retry_at;
        if txn
            && coord_free
            && !self.offsets_done
            && self.ending != Some(false)
            && let Some((offsets, generation, member)) = self.offsets.clone()
        {
            let msg = KMsg::TxnOffsetCommit {
                tid,
                pid: self.pid,
                epoch: self.epoch,
                member,
                generation,
                offsets,
            };
            self.coord_send(ctx, Coord::Offsets, msg);
        }
        let coord_free = self.coord.is_none() && ctx.now() >= self.coord_retry_at;
        let offsets_ok = self.offsets.is_none() || self.offsets_done || self.abortable;
        if let Some(commit) = self.ending
            && coord_free
            && self.batches.is_empty()
            && (offsets_ok || !commit)
            && !self.started
        {
            // Nothing was added: the transaction completes without an EndTxn.
            ctx.sometimes("kafka:txn_client_empty_end");
            notes.extend(self.ended(ctx, commit && !self.abortable, self.epoch));
            return notes;
        }
        if let Some(commit) = self.ending
            && coord_free
            && self.batches.is_empty()
            && (offsets_ok || !commit)
        {
            let msg = KMsg::EndTxn {
                tid,
                pid: self.pid,
                epoch: self.epoch,
                commit: commit && !self.abortable,
            };
            self.coord_send(ctx, Coord::End, msg);
        }
        if !txn && self.flushing && self.batches.is_empty() {
            self.flushing = false;
            notes.push(TxnNote::Flushed);
        }
        notes
    }

    /// The transaction ended (EndTxn answered, or with transactions v2 an empty one completed
    /// locally) with the producer epoch `epoch`.
    fn ended(&mut self, ctx: &mut Cx<'_>, commit: bool, epoch: i16) -> Vec<TxnNote> {
        // KIP-890 (transaction.version 2): EndTxn bumped the epoch; a new epoch starts its
        // sequences at 0.
        if epoch != self.epoch {
            self.epoch = epoch;
            self.next_seq.clear();
            self.acked_seq.clear();
        }
        if commit {
            self.commits += 1;
        } else {
            self.aborts += 1;
        }
        self.ending = None;
        let mut notes = vec![TxnNote::Ended(commit)];
        if std::mem::take(&mut self.epoch_bump_required) {
            // TransactionManager.beginAbort: EndTxn, then InitProducerId with the current
            // producer id and epoch (KIP-360).
            ctx.sometimes("kafka:txn_epoch_bump_after_abort");
            self.state = St::Initializing;
            notes.extend(self.drive(ctx));
        } else {
            self.state = St::Ready;
        }
        notes
    }

    fn fence(&mut self, ctx: &mut Cx<'_>) -> Vec<TxnNote> {
        if self.state == St::Fenced {
            return Vec::new();
        }
        ctx.sometimes("kafka:txn_client_fenced");
        self.fenced += 1;
        self.state = St::Fenced;
        let ids: Vec<u64> = self.batches.keys().copied().collect();
        for id in ids {
            self.finish_failed(ctx, id, KErr::ProducerFenced);
        }
        self.in_flight.clear();
        self.coord = None;
        vec![TxnNote::Fenced]
    }

    fn coord_done(&mut self, kind: Coord) -> bool {
        if self.coord.is_some_and(|(k, _)| k == kind) {
            self.coord = None;
            true
        } else {
            false
        }
    }

    fn coord_backoff(&mut self, ctx: &mut Cx<'_>) {
        self.coord_retry_at = ctx.now() + SimDuration::from_millis(self.cfg.retry_backoff_ms);
    }

    /// Messages for the client; None if the message is not one of its answers.
    pub fn on_message(&mut self, ctx: &mut Cx<'_>, msg: &KMsg) -> Option<Vec<TxnNote>> {
        let mut notes = Vec::new();
        match msg {
            KMsg::Metadata(snap) => {
                self.md_requests.finish();
                if self.md.as_ref().is_none_or(|m| m.offset <= snap.offset) {
                    self.md = Some(snap.clone());
                }
            }
            KMsg::ProduceResp { req, results } => {
                let (_, id, _) = self.in_flight.remove(req)?;
                for (_, res) in results {
                    notes.extend(self.on_result(ctx, id, *res));
                }
            }
            KMsg::InitProducerIdResp { result } => {
                if !self.coord_done(Coord::Init) {
                    return Some(notes);
                }
                match result {
                    Ok((pid, epoch)) => {
                        self.pid = *pid;
                        self.epoch = *epoch;
                        self.next_seq.clear();
                        self.acked_seq.clear();
                        self.state = St::Ready;
                        notes.push(TxnNote::Ready);
                    }
                    Err(KErr::ProducerFenced) => notes.extend(self.fence(ctx)),
                    Err(_) => self.coord_backoff(ctx),
                }
            }
            KMsg::AddPartitionsToTxnResp { parts, result } => {
                if !self.coord_done(Coord::Add) {
                    return Some(notes);
                }
                match result {
                    Ok(()) => {
                        self.added.extend(parts.iter().copied());
                        self.started = true;
                    }
                    Err(KErr::ProducerFenced) => notes.extend(self.fence(ctx)),
                    Err(_) => self.coord_backoff(ctx),
                }
            }
            KMsg::TxnOffsetCommitResp { result } => {
                if !self.coord_done(Coord::Offsets) {
                    return Some(notes);
                }
                match result {
                    Ok(()) => {
                        self.offsets_done = true;
                        self.started = true;
                        notes.push(TxnNote::Offsets(Ok(())));
                    }
                    Err(KErr::ProducerFenced) => notes.extend(self.fence(ctx)),
                    Err(KErr::IllegalGeneration) => {
                        // CommitFailedException inside the transaction: abortable.
                        ctx.sometimes("kafka:txn_offset_commit_stale_generation");
                        self.abortable = true;
                        // AddOffsetsToTxn (folded into this request) succeeded first.
                        self.started = true;
                        self.last_error.get_or_insert(KErr::IllegalGeneration);
                        self.offsets_done = true;
                        notes.push(TxnNote::Offsets(Err(KErr::IllegalGeneration)));
                    }
                    Err(_) => self.coord_backoff(ctx),
                }
            }
            KMsg::EndTxnResp { commit, result } => {
                if !self.coord_done(Coord::End) {
                    return Some(notes);
                }
                match result {
                    Ok(epoch) => {
                        notes.extend(self.ended(ctx, *commit, *epoch));
                        return Some(notes);
                    }
                    Err(KErr::ProducerFenced) => notes.extend(self.fence(ctx)),
                    // TransactionManager.EndTxnHandler: INVALID_TXN_STATE is a fatal error —
                    // the producer can only be closed, as when it is fenced.
                    Err(KErr::InvalidTxnState) => {
                        ctx.sometimes("kafka:txn_client_invalid_txn_state");
                        notes.extend(self.fence(ctx));
                    }
                    Err(_) => self.coord_backoff(ctx),
                }
            }
            _ => return None,
        }
        notes.extend(self.drive(ctx));
        Some(notes)
    }

    /// The tick: request deadlines, retries, a lost coordinator request.
    pub fn on_tick(&mut self, ctx: &mut Cx<'_>) -> Vec<TxnNote> {
        self.ticking = false;
        if matches!(self.state, St::Idle | St::Fenced) {
            return Vec::new();
        }
        let now = ctx.now();
        // request.timeout.ms: NetworkClient.handleTimedOutRequests closes the connection to
        // every node with an expired request ("Disconnecting from node {} due to request
        // timeout") and processTimeoutDisconnection fails every request in flight on it as
        // disconnected. A late answer on the closed connection is never read, and the retry goes
        // on a new connection, where it can overtake the request it replaces (KAFKA-17754).
        let mut timed_out: BTreeSet<NodeId> = self
            .in_flight
            .values()
            .filter(|f| f.2 <= now)
            .map(|f| NodeId(f.0))
            .collect();
        if self.coord.is_some_and(|(_, d)| d <= now) {
            timed_out.insert(self.gc());
        }
        let mut notes = Vec::new();
        for peer in timed_out {
            ctx.sometimes("kafka:txn_client_request_timeout");
            self.peers.close(ctx, peer);
            notes.extend(self.disconnected(ctx, peer));
        }
        if self.md_requests.in_flight() && self.md.is_none() {
            self.md_requests.finish();
        }
        notes.extend(self.drive(ctx));
        self.ensure_tick(ctx);
        notes
    }

    /// A connection closed: its requests failed with an unknown outcome.
    pub fn on_closed(&mut self, ctx: &mut Cx<'_>, conn: ConnId) -> Vec<TxnNote> {
        let Some(peer) = self.peers.closed(conn) else {
            return Vec::new();
        };
        let mut notes = self.disconnected(ctx, peer);
        notes.extend(self.drive(ctx));
        notes
    }

    /// NetworkClient.processDisconnection: every request in flight to `peer` completes as
    /// disconnected. A coordinator request is re-enqueued and sent again after
    /// retry.backoff.ms (TransactionManager.TxnRequestHandler.onComplete: `wasDisconnected` →
    /// lookupCoordinator, reenqueue; Sender.maybeSendAndPollTransactionalRequest sleeps
    /// retryBackoffMs before a retry; the model's coordinator does not move, so there is no
    /// FindCoordinator round trip). A produce request fails its batch with a retriable network
    /// error: Sender.completeBatch retries it with the same sequence.
    fn disconnected(&mut self, ctx: &mut Cx<'_>, peer: NodeId) -> Vec<TxnNote> {
        self.md = None;
        self.md_requests.finish();
        if peer == self.gc() && self.coord.take().is_some() {
            self.coord_backoff(ctx);
        }
        let reqs: Vec<u64> = self
            .in_flight
            .iter()
            .filter(|(_, f)| f.0 == peer.0)
            .map(|(r, _)| *r)
            .collect();
        let mut notes = Vec::new();
        for req in reqs {
            let (_, id, _) = self.in_flight.remove(&req).expect("in flight");
            notes.extend(self.on_result(ctx, id, Err(KErr::Network)));
        }
        notes
    }
}
