//! A Kafka broker: its replicas' logs (durable), its view of the metadata (volatile, possibly
//! stale), registration and heartbeats with the controller, role changes, and the periodic
//! tasks (ISR expiry, retention, OS writeback, HW checkpoint). Fetch/replication is in
//! `replication.rs`, the produce path and consumer fetches in `produce.rs`.
//!
//! The folder is the broker side of the model: the partition log and its segments (`log.rs`),
//! the produce path (`produce.rs`), replication (`replication.rs`), the log cleaner
//! (`cleaner.rs`), the retention invariant checked at each deletion (`retention_check.rs`),
//! tiered storage (`tiered.rs`, its object store in `remote_store.rs`) and the KRaft controller
//! (`controller.rs`). The broker parts depend on the log and on `wire` and `config`; this file
//! holds the state they share and imports none of the files that extend `Broker`.

mod admin;
mod auto_create;
pub mod cleaner;
pub mod controller;
pub mod hosted;
pub mod log;
mod metadata;
mod parked;
mod produce;
pub mod producer_state;
pub mod remote_store;
pub mod replica_set;
mod replication;
pub mod retention_check;
pub mod tiered;
mod timers;
mod verification;

use crate::kafka::config::KafkaConfig;
use crate::kafka::wire::msg::{
    FetchResult, KErr, KEvent, KMsg, MetaSnapshot, Peers, tag, tag_kind, tag_payload,
};
use cleaner::CleanerParams;
use hosted::Hosted;
use log::ReplicaLog;
use msgsim_sim::{Actor, ConnEvent, CrashKind, Ctx, NodeId, SimDuration, SimTime, TimerId, Via};
use parked::ParkedFetches;
use remote_store::TierState;
use retention_check::RetentionRules;
use std::any::Any;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

// Timer tags (kind in the top byte, `wire::msg::tag`) and their names: `timers.rs`.
use timers::{
    T_ADMIN, T_CLEANER, T_FETCH_RETRY, T_FETCH_TIMEOUT, T_HEARTBEAT, T_HW_CHECKPOINT, T_ISR_CHECK,
    T_PARK, T_PURGATORY, T_REMOTE_COPY, T_REMOTE_FETCH, T_RETENTION, T_RLM, T_SHUTDOWN,
    T_WRITEBACK,
};

/// A batch's answer: its base offset (None for DUPLICATE_SEQUENCE_NUMBER) or an error.
type ProduceResult = Result<Option<u64>, KErr>;

/// An acks=all produce waiting in purgatory.
#[derive(Debug)]
pub struct PendingProduce {
    from: NodeId,
    via: Via,
    req: u64,
    results: Vec<(u64, Option<ProduceResult>)>,
    /// Base offset each batch got at append.
    bases: Vec<Option<u64>>,
    remaining: usize,
    deadline: SimTime,
}

/// Lists a produce request fills and empties while it is handled (`produce.rs`), kept by the
/// broker so that they are allocated once: (partition, required HW, batch index) of the
/// batches waiting for acks=all, the partitions appended to, each batch's base offset.
#[derive(Debug, Default)]
pub(super) struct ProduceScratch {
    pub(super) waits: Vec<(usize, u64, usize)>,
    pub(super) appended: Vec<usize>,
    pub(super) bases: Vec<Option<u64>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Leader,
    Follower,
    /// Not hosted, or no metadata yet.
    None,
}

/// Leader-side state of one follower (Replica.scala).
#[derive(Clone, Debug, Default)]
pub struct FollowerState {
    /// None until its first fetch in this leader epoch.
    pub leo: Option<u64>,
    pub last_fetch_time: SimTime,
    pub last_fetch_leader_leo: u64,
    pub last_caught_up_time: SimTime,
    pub broker_epoch: u64,
}

/// This broker's view of one partition.
#[derive(Clone, Debug)]
pub struct PartView {
    pub role: Role,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub partition_epoch: u32,
    pub isr: Vec<u32>,
    /// isr ∪ pending additions (KIP-497): used for the HW only.
    pub maximal_isr: Vec<u32>,
    pub pending_alter: bool,
    pub leader_epoch_start: u64,
    /// Pre-KIP-320 mode (`no_fetch_epoch_fencing`): the follower still owes its one
    /// OffsetsForLeaderEpoch round for the current leader epoch (ReplicaFetcherThread's
    /// "truncating" state, 0.11–2.0); ordinary fetches carry no epoch to check.
    pub truncating: bool,
    pub followers: BTreeMap<u32, FollowerState>,
    /// acks=all produces parked until HW ≥ required offset: (required, purgatory key, index).
    pub waiters: VecDeque<(u64, u64, u32)>,
    /// Replication invariant: (leader epoch, highest HW) this broker had as leader.
    pub leader_hw_mark: Option<(u32, u64)>,
}

impl PartView {
    fn new() -> PartView {
        PartView {
            role: Role::None,
            leader: None,
            leader_epoch: 0,
            partition_epoch: 0,
            isr: Vec::new(),
            maximal_isr: Vec::new(),
            pending_alter: false,
            leader_epoch_start: 0,
            leader_hw_mark: None,
            truncating: false,
            followers: BTreeMap::new(),
            waiters: VecDeque::new(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Fetcher {
    pub in_flight: Option<u64>,
    pub timer: Option<TimerId>,
    pub retry_scheduled: bool,
}

pub struct Broker {
    pub(super) cfg: Rc<KafkaConfig>,
    pub id: u32,
    // ---- durable ----
    pub logs: Vec<ReplicaLog>,
    pub hosted: Hosted,
    /// Set by a crash, reported at the next registration (KIP-966 unclean shutdown).
    unclean_shutdown: bool,
    // ---- volatile ----
    pub broker_epoch: u64,
    pub(super) md: Option<Rc<MetaSnapshot>>,
    pub parts: Vec<PartView>,
    pub(super) peers: Peers,
    pub(super) fetchers: BTreeMap<u32, Fetcher>,
    pub(super) parked: ParkedFetches,
    pub(super) purgatory: BTreeMap<u64, PendingProduce>,
    pub(super) produce_scratch: ProduceScratch,
    /// A fetch's result list, kept when the fetch parked instead of answering.
    pub(super) fetch_scratch: Vec<(u32, FetchResult)>,
    pub(super) next_key: u64,
    /// Pending sweep timers for parked fetches and the produce purgatory.
    pub(super) park_timer: Option<SimTime>,
    pub(super) purgatory_timer: Option<SimTime>,
    pub(super) registered_once: bool,
    /// When the OS last wrote every log back (`os_writeback_interval_ms` ticks). The OS keeps
    /// its schedule while the broker's process is down (a process crash leaves the machine
    /// up), so a restart finds flushed what a tick during the downtime wrote back.
    last_writeback: SimTime,
    // ---- counters (for the report) ----
    pub divergence_truncations: u64,
    /// Diverging answers that left the follower's next fetch unchanged (same fetch offset and
    /// last fetched epoch): the follower would ask the same question again — a fetch storm.
    pub divergence_no_progress: u64,
    pub invariant_violations: u64,
    /// Segment deletions the independent retention check (`retention_check.rs`) saw, and the
    /// rules they broke.
    pub retention_deletions_checked: u64,
    pub retention_violations: u64,
    pub lossy_truncated_records: u64,
    /// Log cleaner counters (`cleaner.rs`).
    pub cleaner: CleanerCounters,
    /// The controller acknowledged a controlled shutdown: the next stop is clean.
    shutdown_complete: bool,
    /// Tiered storage: the shared remote tier, uploads and remote reads, counters.
    pub(super) tier: TierState,
    /// Replicas reassignments started and deleted here (`replica_set.rs`).
    pub replica_changes: ReplicaChanges,
    /// KIP-890 part 1: produce requests waiting for the coordinator (`verification.rs`).
    pub verifications: verification::Verifications,
}

/// What this broker's log cleaner did over the run.
#[derive(Clone, Debug, Default)]
pub struct CleanerCounters {
    pub passes: u64,
    pub removed: u64,
    pub tombstones_removed: u64,
    pub aborted_removed: u64,
    pub markers_removed: u64,
    /// (partition, value) of every aborted record removed: the checker still knows them as
    /// aborted once no log shows them.
    pub aborted_values: Vec<(u32, u64)>,
}

/// How many replicas reassignments started and deleted on this broker.
#[derive(Clone, Debug, Default)]
pub struct ReplicaChanges {
    pub created: u64,
    pub deleted: u64,
}

impl Broker {
    pub fn new(cfg: Rc<KafkaConfig>, id: u32) -> Broker {
        let hosted = Hosted::new(
            (0..cfg.log_partitions())
                .map(|p| cfg.replicas(p).contains(&id))
                .collect(),
        );
        let logs = (0..cfg.log_partitions())
            .map(|_| ReplicaLog::default())
            .collect();
        let parts = (0..cfg.log_partitions()).map(|_| PartView::new()).collect();
        Broker {
            cfg,
            id,
            logs,
            hosted,
            unclean_shutdown: false,
            broker_epoch: 0,
            md: None,
            parts,
            peers: Peers::default(),
            fetchers: BTreeMap::new(),
            parked: ParkedFetches::default(),
            purgatory: BTreeMap::new(),
            produce_scratch: ProduceScratch::default(),
            fetch_scratch: Vec::new(),
            next_key: 0,
            park_timer: None,
            purgatory_timer: None,
            registered_once: false,
            last_writeback: SimTime::ZERO,
            divergence_truncations: 0,
            divergence_no_progress: 0,
            invariant_violations: 0,
            retention_deletions_checked: 0,
            retention_violations: 0,
            lossy_truncated_records: 0,
            cleaner: CleanerCounters::default(),
            shutdown_complete: false,
            tier: TierState::default(),
            replica_changes: ReplicaChanges::default(),
            verifications: verification::Verifications::default(),
        }
    }

    pub(super) fn ctrl(&self) -> NodeId {
        NodeId(self.cfg.ctrl_index())
    }

    pub(super) fn now_ms(ctx: &Ctx<'_, KMsg, KEvent>) -> i64 {
        ctx.local_now().as_millis() as i64
    }

    /// At a (re)start: the OS's writeback tick that was due while the process was down wrote
    /// back everything the process had written before it died (the page cache outlives the
    /// process; nothing was written since). After a power loss the logs were already cut back
    /// to what was flushed, so this changes nothing then. The writeback schedule restarts
    /// with the process (`on_start` arms the next tick).
    fn writeback_during_downtime(&mut self, now: SimTime) {
        let interval = SimDuration::from_millis(self.cfg.os_writeback_interval_ms);
        if now >= self.last_writeback + interval {
            for log in &mut self.logs {
                log.flushed = log.leo;
            }
        }
        self.last_writeback = now;
    }

    pub(super) fn key(&mut self) -> u64 {
        self.next_key += 1;
        self.next_key
    }

    /// Broker epoch the metadata says `b` has.
    pub(super) fn known_broker_epoch(&self, b: u32) -> u64 {
        self.md
            .as_ref()
            .and_then(|m| m.broker_epochs.get(b as usize).copied())
            .unwrap_or(0)
    }
    pub(super) fn known_fenced(&self, b: u32) -> bool {
        self.md
            .as_ref()
            .and_then(|m| m.fenced.get(b as usize).copied())
            .unwrap_or(true)
    }

    pub(super) fn truncate(&mut self, p: usize, offset: u64) {
        let log = &mut self.logs[p];
        if offset < log.leo {
            self.lossy_truncated_records += log.leo - offset.max(log.local_log_start);
        }
        log.truncate_to(offset);
    }

    /// local log start ≤ HW ≤ LEO, and a leader's HW never goes backwards while it stays leader in
    /// the same leader epoch (Partition.maybeIncrementLeaderHW only ever moves it forward;
    /// followers may truncate, and a new epoch starts a new mark).
    pub(super) fn check_invariants(&mut self, p: usize) {
        let log = &self.logs[p];
        if !(log.local_log_start <= log.hw && log.hw <= log.leo) {
            self.invariant_violations += 1;
        }
        let view = &mut self.parts[p];
        let leader = view.role == Role::Leader;
        let (regressed, mark) =
            leader_hw_step(view.leader_hw_mark, leader, view.leader_epoch, log.hw);
        view.leader_hw_mark = mark;
        self.invariant_violations += u64::from(regressed);
    }

    fn heartbeat(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let ctrl = self.ctrl();
        if self.broker_epoch == 0 {
            let msg = KMsg::Register {
                broker: self.id,
                unclean_shutdown: self.unclean_shutdown,
            };
            self.peers.send(ctx, ctrl, msg);
        } else {
            let metadata_offset = self.md.as_ref().map_or(0, |m| m.offset);
            let msg = KMsg::Heartbeat {
                broker: self.id,
                broker_epoch: self.broker_epoch,
                metadata_offset,
            };
            self.peers.send(ctx, ctrl, msg);
        }
        ctx.set_timer(
            SimDuration::from_millis(self.cfg.broker_heartbeat_interval_ms),
            tag(T_HEARTBEAT, 0),
        );
    }

    fn retention(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now_ms = Self::now_ms(ctx);
        for p in 0..self.logs.len() {
            // cleanup.policy=compact alone never deletes by time or size (TopicConfig); the
            // topic's current policy (UnifiedLog.deleteOldSegments reads the log's config).
            if !self.hosted[p] || !self.cfg.cleanup_at(p, ctx.now()).deletes() {
                continue;
            }
            if self.tier.store.is_some() {
                // Tiered storage: local retention over copied segments (tiered.rs).
                if self.tiered_retention(p, now_ms) > 0 {
                    ctx.sometimes("kafka:retention_deleted_segment");
                }
                self.check_invariants(p);
                continue;
            }
            // No roll here: the walk rolls the active segment only when every segment goes.
            // The topic's current retention.ms/bytes (an IncrementalAlterConfigs override).
            let (retention_ms, retention_bytes) = self.cfg.retention_at(p, ctx.now());
            let log = &mut self.logs[p];
            let rules = RetentionRules {
                retention_ms,
                retention_bytes,
                tiered: None,
            };
            let (mut seen, mut bad) = (0, 0);
            let deleted = log.delete_retention_noting(now_ms, retention_ms, retention_bytes, |d| {
                seen += 1;
                bad += rules.violations(d, now_ms);
            });
            self.retention_deletions_checked += seen;
            self.retention_violations += bad;
            if deleted > 0 {
                ctx.sometimes("kafka:retention_deleted_segment");
            }
            self.check_invariants(p);
        }
    }

    /// One wake-up of the log cleaner thread: clean every cleanable log, then sleep
    /// log.cleaner.backoff.ms (LogCleaner.CleanerThread).
    fn run_cleaner(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now_ms = Self::now_ms(ctx);
        let params = CleanerParams::of(&self.cfg);
        // cleanup.policy is a topic config and the scenario's knob sets the main (input)
        // topic's. The DLQ, retry and consume-transform-produce output topics are other topics,
        // created with the broker default log.cleanup.policy=delete (ServerLogConfigs; Connect's
        // DLQ reporter creates its topic with default configs): the cleaner leaves them alone.
        // (Found by the verdict property: dead-lettered records compacted out of the DLQ by key
        // were counted as lost poison records.)
        // Created topics are compacted by their own cleanup.policy (config/create_topic.rs).
        let created = self.cfg.fixed_partitions() as usize..self.logs.len();
        let input = 0..(self.cfg.input_partitions() as usize).min(self.logs.len());
        for p in input.chain(created) {
            // The topic's current cleanup.policy (LogCleanerManager skips logs whose
            // config does not compact).
            if !self.hosted[p] || !self.cfg.cleanup_at(p, ctx.now()).compacts() {
                continue;
            }
            if let Some(st) = self.logs[p].clean(now_ms, &params) {
                self.cleaner.passes += 1;
                self.cleaner.removed += st.removed;
                self.cleaner.tombstones_removed += st.tombstones_removed;
                ctx.sometimes("kafka:log_cleaned");
                if st.tombstones_removed > 0 {
                    ctx.sometimes("kafka:tombstone_removed");
                }
                self.cleaner.aborted_removed += st.aborted_removed;
                self.cleaner.markers_removed += st.markers_removed;
                let cleaned = st.aborted_values.iter().map(|&v| (p as u32, v));
                self.cleaner.aborted_values.extend(cleaned);
                if st.aborted_removed > 0 {
                    ctx.sometimes("kafka:aborted_txn_cleaned");
                }
                if st.markers_removed > 0 {
                    ctx.sometimes("kafka:txn_marker_cleaned");
                }
            }
            self.check_invariants(p);
        }
    }
}

impl Actor<KMsg, KEvent> for Broker {
    fn on_start(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let first = !self.registered_once;
        self.registered_once = true;
        self.writeback_during_downtime(ctx.now());
        for p in 0..self.logs.len() {
            let log = &mut self.logs[p];
            // Recovery: the HW is read back from its checkpoint.
            log.hw = log.hw_checkpoint.min(log.leo);
            if self.cfg.truncate_to_hw_on_become_follower && !first {
                // Pre-KIP-101: a restarting replica truncates to its checkpointed HW.
                let hw = log.hw;
                self.truncate(p, hw);
            }
        }
        if first {
            // The cluster starts formed: epoch = index + 1, metadata image 1 as the controller
            // built it; registration only happens after a restart.
            self.broker_epoch = self.id as u64 + 1;
        }
        self.heartbeat(ctx);
        let c = &self.cfg;
        ctx.set_timer(
            SimDuration::from_millis(c.replica_lag_time_max_ms / 2),
            tag(T_ISR_CHECK, 0),
        );
        ctx.set_timer(
            SimDuration::from_millis(c.log_retention_check_interval_ms),
            tag(T_RETENTION, 0),
        );
        // Scheduled controlled shutdowns of this broker still ahead.
        let now_ms = ctx.now().as_millis();
        for s in c
            .controlled_shutdowns
            .iter()
            .filter(|s| s.broker == self.id + 1)
        {
            if s.at_ms > now_ms {
                ctx.set_timer(
                    SimDuration::from_millis(s.at_ms - now_ms),
                    tag(T_SHUTDOWN, 0),
                );
            }
        }
        self.schedule_admin(ctx);
        self.start_rlm(ctx);
        let c = &self.cfg;
        if c.may_compact() {
            ctx.set_timer(
                SimDuration::from_millis(c.log_cleaner_backoff_ms),
                tag(T_CLEANER, 0),
            );
        }
        ctx.set_timer(
            SimDuration::from_millis(c.os_writeback_interval_ms),
            tag(T_WRITEBACK, 0),
        );
        ctx.set_timer(
            SimDuration::from_millis(c.replica_high_watermark_checkpoint_interval_ms),
            tag(T_HW_CHECKPOINT, 0),
        );
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, from: NodeId, via: Via, msg: KMsg) {
        if self.cfg.broker_request_cost_us > 0
            && matches!(
                msg,
                KMsg::Produce { .. } | KMsg::ReplicaFetch { .. } | KMsg::ConsumerFetch { .. }
            )
        {
            ctx.busy(SimDuration::from_micros(self.cfg.broker_request_cost_us));
        }
        match msg {
            KMsg::RegisterAck { broker_epoch } => {
                self.broker_epoch = broker_epoch;
                self.unclean_shutdown = false;
                self.heartbeat_now(ctx);
            }
            KMsg::HeartbeatResp { ok: false } => self.broker_epoch = 0,
            KMsg::ControlledShutdownResp => {
                // A clean shutdown flushes every log (LogManager.shutdown) and is not reported
                // as unclean at the next registration.
                self.shutdown_complete = true;
                for log in &mut self.logs {
                    log.flushed = log.leo;
                    log.hw_checkpoint = log.hw;
                }
            }
            KMsg::Metadata(snap) => self.apply_metadata(ctx, snap),
            KMsg::AlterPartitionResp { p, result } => {
                self.on_alter_partition_resp(ctx, p as usize, result.map(|st| *st))
            }
            KMsg::MetadataRequest { auto_create } => {
                self.on_metadata_request(ctx, from, via, &auto_create)
            }
            KMsg::Produce {
                req,
                acks,
                timeout_ms,
                batches,
            } => {
                let request = verification::ProduceRequest {
                    from,
                    via,
                    req,
                    acks,
                    timeout_ms,
                    batches,
                };
                self.on_produce(ctx, request)
            }
            KMsg::ReplicaFetch {
                req,
                broker,
                broker_epoch,
                parts,
            } => self.on_replica_fetch(ctx, from, via, req, broker, broker_epoch, parts, true),
            KMsg::ConsumerFetch {
                req,
                max_wait_ms,
                parts,
                read_committed,
            } => self.on_consumer_fetch(
                ctx,
                from,
                via,
                req,
                max_wait_ms,
                parts,
                read_committed,
                true,
            ),
            KMsg::FetchResp { req, parts } => self.on_replica_fetch_resp(ctx, from, req, parts),
            KMsg::VerifyTxnPartitionsResp { req, results } => {
                self.on_verify_resp(ctx, req, results)
            }
            _ => {}
        }
    }

    fn timer_name(&self, t: u64) -> &'static str {
        timers::name(tag_kind(t))
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, _timer: TimerId, t: u64) {
        let payload = tag_payload(t);
        match tag_kind(t) {
            T_HEARTBEAT => {
                self.heartbeat(ctx);
                self.verifications_expire(ctx);
            }
            T_ISR_CHECK => {
                self.isr_expiry(ctx);
                ctx.set_timer(
                    SimDuration::from_millis(self.cfg.replica_lag_time_max_ms / 2),
                    tag(T_ISR_CHECK, 0),
                );
            }
            T_RETENTION => {
                self.retention(ctx);
                ctx.set_timer(
                    SimDuration::from_millis(self.cfg.log_retention_check_interval_ms),
                    tag(T_RETENTION, 0),
                );
            }
            T_ADMIN => self.admin_op(ctx, payload as usize),
            T_SHUTDOWN => {
                // KafkaServer controlled shutdown (controlled.shutdown.enable = true): ask the
                // controller to move leaderships away before stopping.
                ctx.sometimes("kafka:controlled_shutdown");
                let ctrl = self.ctrl();
                let msg = KMsg::ControlledShutdown {
                    broker: self.id,
                    broker_epoch: self.broker_epoch,
                };
                self.peers.send(ctx, ctrl, msg);
            }
            T_CLEANER => {
                self.run_cleaner(ctx);
                ctx.set_timer(
                    SimDuration::from_millis(self.cfg.log_cleaner_backoff_ms),
                    tag(T_CLEANER, 0),
                );
            }
            T_WRITEBACK => {
                for log in &mut self.logs {
                    log.flushed = log.leo;
                }
                self.last_writeback = ctx.now();
                ctx.set_timer(
                    SimDuration::from_millis(self.cfg.os_writeback_interval_ms),
                    tag(T_WRITEBACK, 0),
                );
            }
            T_HW_CHECKPOINT => {
                for log in &mut self.logs {
                    log.hw_checkpoint = log.hw;
                }
                ctx.set_timer(
                    SimDuration::from_millis(
                        self.cfg.replica_high_watermark_checkpoint_interval_ms,
                    ),
                    tag(T_HW_CHECKPOINT, 0),
                );
            }
            T_FETCH_TIMEOUT => self.on_fetch_timeout(ctx, payload as u32),
            T_FETCH_RETRY => {
                if let Some(f) = self.fetchers.get_mut(&(payload as u32)) {
                    f.retry_scheduled = false;
                }
                self.send_fetch(ctx, payload as u32);
            }
            T_PARK => self.on_park_timeout(ctx),
            T_RLM => self.rlm_task(ctx),
            T_REMOTE_COPY => self.on_copy_done(ctx, payload as usize),
            T_REMOTE_FETCH => self.on_remote_read_done(ctx, payload),
            T_PURGATORY => self.on_purgatory_timeout(ctx),
            _ => {}
        }
    }

    fn on_connection(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, event: ConnEvent) {
        let ConnEvent::Closed { conn, .. } = event else {
            return;
        };
        let Some(peer) = self.peers.closed(conn) else {
            return;
        };
        if peer == self.ctrl() {
            self.alter_partition_lost();
        }
        if peer.0 == self.cfg.gc_index() {
            self.verification_lost(ctx);
        }
        if peer.0 < self.cfg.brokers
            && let Some(f) = self.fetchers.get_mut(&peer.0)
            && f.in_flight.is_some()
        {
            // The fetch on that connection is gone: retry after the backoff.
            f.in_flight = None;
            if let Some(t) = f.timer.take() {
                ctx.cancel_timer(t);
            }
            self.schedule_fetch_retry(ctx, peer.0);
        }
    }

    fn on_crash(&mut self, kind: CrashKind) {
        self.unclean_shutdown = !self.shutdown_complete;
        self.shutdown_complete = false;
        if kind == CrashKind::LoseUnflushed {
            // Power loss: each log is cut back to its recovery point (TLA-JV 5_recovery.md).
            for p in 0..self.logs.len() {
                let flushed = self.logs[p].flushed;
                self.truncate(p, flushed);
            }
        }
        self.broker_epoch = 0;
        self.md = None;
        self.parts.iter_mut().for_each(|v| *v = PartView::new());
        self.peers.clear();
        self.fetchers.clear();
        self.parked.clear();
        self.purgatory.clear();
        self.verifications.clear();
        for log in &mut self.logs {
            log.verification.clear();
        }
        self.park_timer = None;
        self.purgatory_timer = None;
        self.tier.on_crash();
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Broker {
    fn heartbeat_now(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let ctrl = self.ctrl();
        let metadata_offset = self.md.as_ref().map_or(0, |m| m.offset);
        let msg = KMsg::Heartbeat {
            broker: self.id,
            broker_epoch: self.broker_epoch,
            metadata_offset,
        };
        self.peers.send(ctx, ctrl, msg);
    }
}

/// One observation of a replica's HW: whether a leader's HW went backwards within its leader
/// epoch, and the new (epoch, HW) mark (none when not leader).
fn leader_hw_step(
    mark: Option<(u32, u64)>,
    leader: bool,
    epoch: u32,
    hw: u64,
) -> (bool, Option<(u32, u64)>) {
    if !leader {
        return (false, None);
    }
    match mark {
        Some((e, high)) if e == epoch => (hw < high, Some((e, high.max(hw)))),
        _ => (false, Some((epoch, hw))),
    }
}

#[cfg(test)]
mod tests {
    use super::leader_hw_step;

    #[test]
    fn leader_hw_regression_within_an_epoch_is_a_violation() {
        let (bad, m) = leader_hw_step(None, true, 3, 10);
        assert!(!bad);
        let (bad, m) = leader_hw_step(m, true, 3, 12);
        assert!(!bad);
        // Backwards in the same epoch: flagged, and the mark keeps the high value.
        let (bad, m) = leader_hw_step(m, true, 3, 11);
        assert!(bad);
        assert_eq!(m, Some((3, 12)));
        // A new epoch starts a new mark; a follower may truncate.
        assert!(!leader_hw_step(m, true, 4, 5).0);
        assert_eq!(leader_hw_step(m, false, 3, 0), (false, None));
    }
}
