//! The consumer client and its application: group membership (join, heartbeat, rebalance,
//! max.poll.interval.ms), committed offsets (auto-commit of allConsumed inside poll(), or
//! commitSync before / after processing), fetch up to the HW (fetcher.rs), auto.offset.reset on
//! OFFSET_OUT_OF_RANGE or a missing committed offset, and record processing. Committed offsets
//! are in `consumer/commits.rs`, record processing in `consumer/pipeline.rs`.

use super::metadata_pacing::MetadataRequests;
use super::stage::{STAGE_TIMER_BASE, Stage};
use super::txn_client::{T_CLIENT_TICK, TxnClient};
use crate::kafka::config::{CommitMode, KafkaConfig, OffsetReset};
use crate::kafka::wire::msg::{
    GroupStatus, KEvent, KMsg, MetaSnapshot, Peers, tag, tag_kind, tag_payload,
};
use crate::kafka::wire::values::Values;

#[path = "../applications/ctp.rs"]
mod ctp;
pub use ctp::OUTPUT_BIT;
use msgsim_sim::{Actor, ConnEvent, CrashKind, Ctx, NodeId, SimDuration, SimTime, TimerId, Via};
use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

mod commits;
mod fetcher;
mod pipeline;

const T_START: u64 = 1;
const T_HEARTBEAT: u64 = 2;
const T_PROCESS: u64 = 3;
const T_WORKER: u64 = 4;
const T_MD_TIMEOUT: u64 = 6;
const T_COMMIT_TIMEOUT: u64 = 7;
/// default.api.timeout.ms (60 s): how long commitSync keeps retrying.
const DEFAULT_API_TIMEOUT_MS: u64 = 60_000;
const T_TASK_RESTART: u64 = 8;
const T_CTP_RECORD: u64 = 9;
const T_MD_RETRY: u64 = 10;
/// A request's deadline that falls before the next heartbeat tick (`arm_request_deadline`).
const T_REQ_DEADLINE: u64 = 11;

type Chunk = (u32, u64, Values);
/// Fetched records waiting for the application's poll, in arrival order.
type Chunks = VecDeque<Chunk>;

/// The output producer of consumer `idx`, if the scenario runs consume-transform-produce:
/// transactional.id `ctp-{idx}` (stable across restarts, so a restart fences the previous
/// incarnation), or a plain idempotent producer for at-least-once.
fn ctp_client(cfg: &Rc<KafkaConfig>, idx: u32) -> Option<TxnClient> {
    if cfg.ctp_output_partitions == 0 {
        return None;
    }
    let tid = (cfg.commit_mode == CommitMode::Transactional).then_some(1_000 + idx);
    Some(TxnClient::new(
        cfg.clone(),
        tid,
        None,
        500_000_000 + idx as i64 * 1_000,
    ))
}

pub struct Consumer {
    cfg: Rc<KafkaConfig>,
    idx: u32,
    started: bool,
    generation: u64,
    joining: bool,
    /// AbstractCoordinator.requestRejoin: a heartbeat learnt of a rebalance; the member rejoins
    /// in its next poll(), never while the application is processing or in a transaction.
    rejoin_requested: bool,
    assignment: Vec<u32>,
    /// Next offset to fetch; None until the committed offset (or reset) is known.
    positions: BTreeMap<u32, Option<u64>>,
    /// allConsumed(): one past the last record returned by poll().
    consumed: BTreeMap<u32, u64>,
    /// KIP-320 FetchPosition: per partition, the leader epoch of the last fetched batch
    /// (offsetEpoch) and the leader epoch the position was last fetched under.
    epochs: BTreeMap<u32, (u32, u32)>,
    /// Partitions stopped by auto.offset.reset=none.
    stopped: BTreeSet<u32>,
    buffer: Chunks,
    /// broker → (request, generation, timer)
    /// broker → (request, generation, request.timeout.ms deadline)
    fetches: BTreeMap<u32, (u64, u64, SimTime)>,
    processing: Option<VecDeque<(u32, u64, u64)>>,
    /// Records polled, waiting for commitSync before processing (BeforeProcessing).
    to_process: Option<Vec<Chunk>>,
    worker: VecDeque<(u32, u64, u64)>,
    worker_busy: bool,
    awaiting_commit: Option<(u64, TimerId)>,
    /// The OffsetFetch in flight for the current generation: its request.timeout.ms deadline.
    offset_fetch: Option<SimTime>,
    /// The deadline a `T_REQ_DEADLINE` timer is armed for, if any.
    deadline_timer: Option<SimTime>,
    /// commitSync gives up (CommitFailed) at this time: default.api.timeout.ms after it began.
    commit_deadline: SimTime,
    last_auto_commit: SimTime,
    last_poll: SimTime,
    md: Option<Rc<MetaSnapshot>>,
    md_requests: MetadataRequests,
    peers: Peers,
    next_req: u64,
    pub polled_records: u64,
    pub commits_failed: u64,
    /// Optional per-record stage (Connect sink task or application DLQ pipeline, stage.rs).
    stage: Option<Box<dyn Stage>>,
    /// The record the stage is still working on.
    waiting: Option<(u32, u64, u64)>,
    /// The stage failed (Connect task FAILED): the loop stops until a restart.
    halted: bool,
    /// isolation.level=read_committed.
    read_committed: bool,
    /// Consume-transform-produce: the output producer (ctp.rs), and a transaction running.
    ctp: Option<TxnClient>,
    ctp_busy: bool,
    /// Records of the current poll still to transform: (input partition, value).
    ctp_queue: VecDeque<(u32, u64)>,
    /// The offsets the running transaction commits (sendOffsetsToTransaction): the positions
    /// after the records its poll returned, fixed at that poll.
    ctp_offsets: Vec<(u32, u64)>,
}

impl Consumer {
    pub fn new(cfg: Rc<KafkaConfig>, idx: u32) -> Consumer {
        Consumer {
            read_committed: cfg.read_committed(idx),
            ctp: ctp_client(&cfg, idx),
            ctp_busy: false,
            ctp_queue: VecDeque::new(),
            ctp_offsets: Vec::new(),
            cfg,
            idx,
            started: false,
            generation: 0,
            joining: false,
            rejoin_requested: false,
            assignment: Vec::new(),
            positions: BTreeMap::new(),
            consumed: BTreeMap::new(),
            epochs: BTreeMap::new(),
            stopped: BTreeSet::new(),
            buffer: VecDeque::new(),
            fetches: BTreeMap::new(),
            processing: None,
            to_process: None,
            worker: VecDeque::new(),
            worker_busy: false,
            awaiting_commit: None,
            offset_fetch: None,
            deadline_timer: None,
            commit_deadline: SimTime::ZERO,
            last_auto_commit: SimTime::ZERO,
            last_poll: SimTime::ZERO,
            md: None,
            md_requests: MetadataRequests::paced(idx),
            peers: Peers::default(),
            next_req: 0,
            polled_records: 0,
            commits_failed: 0,
            stage: None,
            waiting: None,
            halted: false,
        }
    }

    fn gc(&self) -> NodeId {
        NodeId(self.cfg.gc_index())
    }

    fn req(&mut self) -> u64 {
        self.next_req += 1;
        self.next_req
    }

    fn auto(&self) -> bool {
        matches!(
            self.cfg.commit_mode,
            CommitMode::Auto | CommitMode::AutoAsyncHandoff
        )
    }

    fn join(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        if self.joining {
            return;
        }
        self.rejoin_requested = false;
        // ConsumerCoordinator.onJoinPrepare: with auto-commit, commit allConsumed() before
        // rejoining (same connection, so it reaches the coordinator before the JoinGroup).
        if self.auto() && self.generation > 0 && !self.consumed.is_empty() {
            self.send_offset_commit(ctx);
        }
        self.joining = true;
        let gc = self.gc();
        self.peers.send(
            ctx,
            gc,
            KMsg::JoinGroup {
                member: self.idx,
                topics: Vec::new(),
            },
        );
    }

    fn revoke_all(&mut self) {
        self.assignment.clear();
        self.positions.clear();
        self.consumed.clear();
        self.epochs.clear();
        self.stopped.clear();
        self.buffer.clear();
        self.fetches.clear();
        self.offset_fetch = None;
    }

    /// OffsetFetch of the assigned partitions whose position is still unknown.
    /// ConsumerCoordinator.fetchCommittedOffsets retries a retriable failure (a disconnect, no
    /// answer within request.timeout.ms) until it has the offsets: `step` resends it while
    /// positions are unknown and none is in flight (found by the swarm sweep of k20k, seed 109:
    /// an OffsetFetch lost to a one-way partition left the partitions unfetched for good).
    fn send_offset_fetch(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        // `step` asks after every event: while every position is known (the steady state)
        // one pass over the positions answers without a lookup per assigned partition.
        if !self.positions.values().any(Option::is_none) {
            return;
        }
        let parts: Vec<u32> = (self.assignment.iter())
            .filter(|p| matches!(self.positions.get(p), Some(None)) && !self.stopped.contains(p))
            .copied()
            .collect();
        if parts.is_empty() {
            return;
        }
        let gc = self.gc();
        let timeout_ms = crate::kafka::clients::metadata_pacing::answer_timeout_ms(
            &self.peers,
            gc,
            self.cfg.consumer_request_timeout_ms,
        );
        self.offset_fetch = Some(ctx.now() + SimDuration::from_millis(timeout_ms));
        let generation = self.generation;
        self.peers
            .send(ctx, gc, KMsg::OffsetFetch { generation, parts });
    }

    /// A request to `peer` got no answer within request.timeout.ms: NetworkClient
    /// .handleTimedOutRequests closes the connection ("Disconnecting from node {} due to
    /// request timeout") and processTimeoutDisconnection fails every request in flight on it
    /// with a DisconnectException (ConsumerNetworkClient.RequestFutureCompletionHandler), as
    /// if the peer had closed it. A late answer on the closed connection is never read.
    /// request.timeout.ms (socket.connection.setup.timeout.ms on a fresh connection) of the
    /// fetches and of the OffsetFetch: the connection of a timed-out request closes
    /// (ConsumerNetworkClient goes through NetworkClient.handleTimedOutRequests) and every
    /// request on it fails.
    fn expire_requests(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now = ctx.now();
        let mut timed_out: BTreeSet<NodeId> = (self.fetches.iter())
            .filter(|(_, f)| f.2 <= now)
            .map(|(b, _)| NodeId(*b))
            .collect();
        if self.offset_fetch.is_some_and(|deadline| deadline <= now) {
            timed_out.insert(self.gc());
        }
        for peer in timed_out {
            self.timed_out(ctx, peer);
        }
    }

    /// Deadlines are checked at each heartbeat tick; one that falls before the next tick gets
    /// a timer of its own, so that the request times out when it is due — NetworkClient.poll
    /// checks for timed-out requests on every turn of the application's poll loop — and not up
    /// to a heartbeat interval later (found by sweep 11: a fetch due at 28.1 s noticed at 30 s,
    /// the end of the run). Only a request still unanswered a tick before its deadline gets
    /// one: in a run without faults, none.
    fn arm_request_deadline(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now = ctx.now();
        let horizon = now + SimDuration::from_millis(self.cfg.heartbeat_interval_ms);
        let due = (self.fetches.values().map(|f| f.2))
            .chain(self.offset_fetch)
            .filter(|&d| d > now && d < horizon)
            .min();
        if let Some(d) = due
            && self.deadline_timer.is_none_or(|armed| armed > d)
        {
            ctx.set_timer(d.saturating_since(now), tag(T_REQ_DEADLINE, 0));
            self.deadline_timer = Some(d);
        }
    }

    fn timed_out(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, peer: NodeId) {
        ctx.sometimes("kafka:consumer_request_timeout");
        self.peers.close(ctx, peer);
        self.disconnected(ctx, peer);
    }

    /// The connection to `peer` closed (or was closed after a request timeout).
    fn disconnected(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, peer: NodeId) {
        // The fetch on it failed (AbstractFetch.handleFetchFailure); new metadata before the
        // next one, which goes on a new connection.
        if self.fetches.remove(&peer.0).is_some() {
            self.md = None;
        }
        if peer == self.gc() && self.joining {
            self.joining = false;
            self.generation = 0;
        }
        // The OffsetFetch is sent again by the poll loop while positions are unknown
        // (ConsumerCoordinator.fetchCommittedOffsets retries a DisconnectException).
        if peer == self.gc() {
            self.offset_fetch = None;
        }
        // The OffsetCommit in flight on it failed (a disconnect): commitSync retries (found
        // by the swarm sweep of k20m: the commit waited request.timeout.ms, 30 s, and the
        // partition it held never got processed before the run ended).
        if peer == self.gc()
            && let Some((_, timer)) = self.awaiting_commit.take()
        {
            ctx.cancel_timer(timer);
            if ctx.now() < self.commit_deadline {
                self.commit_attempt(ctx);
            } else {
                self.after_commit(ctx, false);
            }
        }
        self.md_requests.finish();
        self.step(ctx);
    }

    /// The application's poll loop, advanced after every event.
    fn step(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        if !self.started || self.halted {
            return;
        }
        // The group is (re)joined inside poll() (ConsumerCoordinator.poll → ensureActiveGroup):
        // not while the application processes records, waits for its commit, or runs a
        // transaction.
        let in_app = self.processing.is_some() || self.awaiting_commit.is_some() || self.ctp_busy;
        if self.generation == 0 || self.rejoin_requested {
            if !in_app {
                self.join(ctx);
            }
            return;
        }
        if self.joining || in_app {
            return;
        }
        if self.ctp_blocked() {
            return;
        }
        if self.offset_fetch.is_none() {
            self.send_offset_fetch(ctx);
        }
        if !self.buffer.is_empty() {
            self.poll(ctx);
        } else {
            self.ensure_fetches(ctx);
        }
    }

    fn poll(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now = ctx.now();
        self.last_poll = now;
        self.maybe_auto_commit(ctx);
        let mut left = self.cfg.max_poll_records as usize;
        let mut chunks: Vec<Chunk> = Vec::new();
        while left > 0 {
            let Some((p, first, values)) = self.buffer.pop_front() else {
                break;
            };
            let chunk = if values.len() > left {
                let rest: Values = Values::from(&values[left..]);
                self.buffer.push_front((p, first + left as u64, rest));
                (p, first, Values::from(&values[..left]))
            } else {
                (p, first, values)
            };
            left -= chunk.2.len();
            self.consumed
                .insert(chunk.0, chunk.1 + chunk.2.len() as u64);
            self.polled_records += chunk.2.len() as u64;
            ctx.record(KEvent::Poll {
                consumer: self.idx,
                p: chunk.0,
                first: chunk.1,
                values: chunk.2.clone(),
            });
            chunks.push(chunk);
        }
        match self.cfg.commit_mode {
            CommitMode::AfterProcessing if self.ctp.is_some() => self.ctp_process(ctx, chunks),
            CommitMode::Auto | CommitMode::AfterProcessing => self.start_processing(ctx, chunks),
            CommitMode::AutoAsyncHandoff => {
                self.hand_off(ctx, chunks);
                self.step(ctx);
            }
            CommitMode::BeforeProcessing => {
                self.to_process = Some(chunks);
                self.commit_sync(ctx);
            }
            CommitMode::Transactional => self.ctp_process(ctx, chunks),
        }
    }

    fn request_metadata(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let backoff = SimDuration::from_millis(self.cfg.retry_backoff_ms);
        self.md_requests.request_with_timers(
            ctx,
            &mut self.peers,
            (self.cfg.brokers, backoff),
            (tag(T_MD_TIMEOUT, 0), tag(T_MD_RETRY, 0)),
        );
    }
}

impl Actor<KMsg, KEvent> for Consumer {
    fn on_start(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let start = self
            .cfg
            .consumer_start_ms
            .saturating_mul(1_000_000)
            .saturating_sub(ctx.now().as_nanos());
        ctx.set_timer(SimDuration::from_nanos(start), tag(T_START, 0));
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, from: NodeId, _via: Via, msg: KMsg) {
        self.peers.heard_from(from);
        match msg {
            KMsg::Metadata(snap) => {
                if let Some(stage) = self.stage.as_mut() {
                    stage.on_metadata(ctx, &snap);
                }
                self.md_requests.finish();
                self.ctp_message(ctx, &KMsg::Metadata(snap.clone()));
                if self.md.as_ref().is_none_or(|m| m.offset <= snap.offset) {
                    self.md = Some(snap);
                }
                self.step(ctx);
            }
            KMsg::FetchResp { req, parts } => self.on_fetch_resp(ctx, from, req, parts),
            KMsg::JoinResp {
                generation,
                assignment,
            } => {
                self.joining = false;
                self.revoke_all();
                self.generation = generation;
                self.assignment = assignment.clone();
                for &p in &assignment {
                    self.positions.insert(p, None);
                }
                ctx.record(KEvent::Assigned {
                    consumer: self.idx,
                    generation,
                });
                self.send_offset_fetch(ctx);
            }
            KMsg::OffsetFetchResp {
                generation,
                offsets,
            } => {
                if generation != self.generation {
                    return;
                }
                self.offset_fetch = None;
                for (p, committed) in offsets {
                    // Only a partition still waiting for its position takes the committed
                    // offset: Kafka asks only for initializing partitions and reuses a pending
                    // request (ConsumerCoordinator.refreshCommittedOffsetsIfNeeded,
                    // pendingCommittedOffsetRequest). A second answer arriving after the first
                    // one's records were fetched must not move the position back.
                    if !matches!(self.positions.get(&p), Some(None)) {
                        continue;
                    }
                    match committed {
                        Some(o) => {
                            self.positions.insert(p, Some(o));
                        }
                        // No committed offset: auto.offset.reset (earliest from 0; latest via
                        // an out-of-range probe that returns the HW).
                        None => match self.cfg.auto_offset_reset {
                            OffsetReset::Earliest => {
                                self.positions.insert(p, Some(0));
                            }
                            OffsetReset::Latest => {
                                self.positions.insert(p, Some(u64::MAX));
                            }
                            OffsetReset::None => {
                                ctx.record(KEvent::OffsetReset {
                                    consumer: self.idx,
                                    p,
                                    from: 0,
                                    to: None,
                                });
                                self.stopped.insert(p);
                            }
                        },
                    }
                }
                self.step(ctx);
            }
            KMsg::GroupHeartbeatResp { generation, .. } if generation != self.generation => {}
            KMsg::GroupHeartbeatResp { status, .. } => match status {
                GroupStatus::Ok => {}
                GroupStatus::RebalanceInProgress => {
                    // HeartbeatResponseHandler only requests a rejoin (AbstractCoordinator).
                    if !self.joining {
                        self.rejoin_requested = true;
                        self.step(ctx);
                    }
                }
                GroupStatus::UnknownMember => {
                    self.generation = 0;
                    self.joining = false;
                    self.revoke_all();
                    self.step(ctx);
                }
            },
            KMsg::OffsetCommitResp { req, ok } => {
                let Some((r, timer)) = self.awaiting_commit else {
                    if !ok {
                        self.commits_failed += 1;
                    }
                    return;
                };
                if r != req {
                    return;
                }
                ctx.cancel_timer(timer);
                self.awaiting_commit = None;
                self.after_commit(ctx, ok);
            }
            other => {
                if let Some(step) = self.stage.as_mut().and_then(|s| s.on_message(ctx, &other)) {
                    self.stage_step(ctx, step);
                }
                // No-op unless this consumer runs consume-transform-produce (never together
                // with a sink stage: see KafkaConfig::validate).
                self.ctp_message(ctx, &other);
            }
        }
    }

    fn timer_name(&self, t: u64) -> &'static str {
        match tag_kind(t) {
            T_START => "start",
            T_HEARTBEAT => "heartbeat",
            T_PROCESS => "record processed",
            T_WORKER => "worker record processed",
            T_MD_TIMEOUT => "metadata timeout",
            T_MD_RETRY => "metadata retry backoff",
            T_REQ_DEADLINE => "request deadline",
            T_COMMIT_TIMEOUT => "commit timeout",
            T_TASK_RESTART => "task restart",
            T_CTP_RECORD => "transform record",
            T_CLIENT_TICK => "transactional client tick",
            k if k >= STAGE_TIMER_BASE => "application stage",
            _ => "timer",
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, _timer: TimerId, t: u64) {
        match tag_kind(t) {
            T_START => {
                self.ctp_init(ctx);
                self.started = true;
                self.last_poll = ctx.now();
                self.step(ctx);
                ctx.set_timer(
                    SimDuration::from_millis(self.cfg.heartbeat_interval_ms),
                    tag(T_HEARTBEAT, 0),
                );
            }
            T_HEARTBEAT => {
                let now = ctx.now();
                self.expire_requests(ctx);
                self.arm_request_deadline(ctx);
                if self.generation > 0
                    && !self.joining
                    && now.saturating_since(self.last_poll)
                        > SimDuration::from_millis(self.cfg.max_poll_interval_ms)
                {
                    // max.poll.interval.ms exceeded: the member leaves the group proactively.
                    ctx.sometimes("kafka:max_poll_interval_exceeded");
                    let gc = self.gc();
                    self.peers
                        .send(ctx, gc, KMsg::LeaveGroup { member: self.idx });
                    self.generation = 0;
                    self.revoke_all();
                } else if self.generation > 0 || self.joining {
                    let gc = self.gc();
                    let msg = KMsg::GroupHeartbeat {
                        member: self.idx,
                        generation: self.generation,
                    };
                    self.peers.send(ctx, gc, msg);
                }
                ctx.set_timer(
                    SimDuration::from_millis(self.cfg.heartbeat_interval_ms),
                    tag(T_HEARTBEAT, 0),
                );
            }
            T_PROCESS => self.process_one(ctx),
            T_CLIENT_TICK => self.ctp_tick(ctx),
            T_REQ_DEADLINE => {
                if self.deadline_timer.is_some_and(|d| d <= ctx.now()) {
                    self.deadline_timer = None;
                }
                self.expire_requests(ctx);
                self.arm_request_deadline(ctx);
            }
            T_CTP_RECORD => self.ctp_next(ctx),
            T_WORKER => self.worker_one(ctx),
            T_MD_RETRY => {
                self.md_requests.retry_fired();
                self.request_metadata(ctx);
            }
            T_MD_TIMEOUT if self.md_requests.in_flight() => {
                self.md_requests.finish();
                self.step(ctx);
            }
            T_COMMIT_TIMEOUT
                if self
                    .awaiting_commit
                    .is_some_and(|(r, _)| r == tag_payload(t)) =>
            {
                // The OffsetCommit got no answer: its connection closes with everything on it,
                // and commitSync retries (or gives up) as after any disconnect.
                let gc = self.gc();
                self.timed_out(ctx, gc);
            }
            T_TASK_RESTART if self.halted => {
                ctx.sometimes("kafka:connect_task_restart");
                self.halted = false;
                if let Some(stage) = self.stage.as_mut() {
                    stage.on_restart(ctx);
                }
                self.step(ctx);
            }
            k if k >= STAGE_TIMER_BASE => {
                let step = self
                    .stage
                    .as_mut()
                    .and_then(|s| s.on_timer(ctx, k, tag_payload(t)));
                if let Some(step) = step {
                    self.stage_step(ctx, step);
                }
            }
            _ => {}
        }
    }

    fn on_connection(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, event: ConnEvent) {
        if let ConnEvent::Closed { conn, .. } = event {
            self.ctp_closed(ctx, conn);
        }
        if let ConnEvent::Closed { conn, .. } = event
            && let Some(peer) = self.peers.closed(conn)
        {
            self.disconnected(ctx, peer);
        } else if let ConnEvent::Closed { conn, .. } = event
            && let Some(stage) = self.stage.as_mut()
        {
            stage.on_closed(ctx, conn);
        }
    }

    fn on_crash(&mut self, _kind: CrashKind) {
        if let Some(stage) = self.stage.as_mut() {
            stage.on_crash();
        }
        self.waiting = None;
        self.halted = false;
        // A consumer process keeps nothing: positions and uncommitted progress are lost.
        self.started = false;
        self.generation = 0;
        self.joining = false;
        self.rejoin_requested = false;
        self.revoke_all();
        self.processing = None;
        self.to_process = None;
        self.worker.clear();
        self.worker_busy = false;
        self.awaiting_commit = None;
        self.offset_fetch = None;
        self.md = None;
        self.md_requests.reset();
        self.peers.clear();
        self.ctp_crash();
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
