//! The simulation: nodes, their actors, the network and the event loop.
//!
//! One run owns its whole world (no globals), so seeds can run in parallel on threads. The loop
//! pops the earliest `(time, seq)` event, jumps the clock to it and handles it; handlers' commands
//! are carried out when the handler returns.

mod commands;
mod delivery;
mod faults;

use crate::actor::Actor;
use crate::connection::Connection;
use crate::context::{Command, Ctx, IdAlloc};
use crate::fault::Fault;
use crate::id::{ConnId, MsgId, NodeId};
use crate::message::{Message, Via};
use crate::network::{LinkConfig, Topology};
use crate::node::{InboxItem, NodeState, NodeStatus};
use crate::queue::{EventKind, EventQueue};
use crate::rng::RngStream;
use crate::target::Targets;
use crate::time::{SimDuration, SimTime, set_current_time};
use crate::trace::{HistoryObserver, TraceEvent, TraceHasher, TraceKind, TraceSink};
use std::collections::BTreeMap;
use std::hash::Hash;

/// Bounds that end a runaway run with an error instead of a hang.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most queue events one run may process.
    pub max_events: u64,
    /// Latest simulated time any event may have.
    pub max_time: SimTime,
    /// Most messages in flight at once (memory bound).
    pub max_in_flight: usize,
    /// Most events waiting in the queue at once — messages, timers (a cancelled timer stays
    /// queued until its time), wake-ups: the memory bound for actors that pile up timers.
    pub max_queued_events: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: 2_000_000_000,
            max_time: SimTime::from_millis(30 * 24 * 3_600_000),
            max_in_flight: 10_000_000,
            max_queued_events: 20_000_000,
        }
    }
}

/// Everything the kernel needs to know about a run.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    /// Stop once the next event is later than this; `None` runs until nothing is left to do.
    pub end: Option<SimTime>,
    /// Start of the quiet phase (faults healed, crashed nodes restarted, paused ones resumed).
    pub quiet_at: Option<SimTime>,
    pub limits: Limits,
    /// How long a blocked connection survives before both ends are told it broke, and how long
    /// a peer takes to learn that the other end crashed.
    pub conn_break_detect: SimDuration,
    /// Settings of every link not overridden with [`Sim::set_link`].
    pub default_link: LinkConfig,
}

impl SimConfig {
    pub fn new(seed: u64) -> SimConfig {
        SimConfig {
            seed,
            end: None,
            quiet_at: None,
            limits: Limits::default(),
            conn_break_detect: SimDuration::from_millis(1_000),
            default_link: LinkConfig::default(),
        }
    }
}

/// A guard rail tripped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    MaxEvents { limit: u64, at: SimTime },
    MaxTime { limit: SimTime, events: u64 },
    MaxInFlight { limit: usize, at: SimTime },
    MaxQueued { limit: usize, at: SimTime },
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimError::MaxEvents { limit, at } => write!(
                f,
                "guard rail: more than {limit} events (max_events) by simulated time {at}; \
                 the scenario is probably looping without making time pass"
            ),
            SimError::MaxTime { limit, events } => write!(
                f,
                "guard rail: simulated time passed {limit} (max_time) after {events} events"
            ),
            SimError::MaxInFlight { limit, at } => write!(
                f,
                "guard rail: more than {limit} messages in flight (max_in_flight) at {at}"
            ),
            SimError::MaxQueued { limit, at } => write!(
                f,
                "guard rail: more than {limit} pending events (max_queued_events) at {at}; \
                 timers or messages are piling up"
            ),
        }
    }
}

impl std::error::Error for SimError {}

/// Counters of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Queue events processed.
    pub events: u64,
    /// Messages sent (datagrams and connection messages, control frames excluded).
    pub sends: u64,
    /// Messages handed to a handler.
    pub deliveries: u64,
    /// Messages dropped, by reason.
    pub drops: BTreeMap<&'static str, u64>,
    pub duplicates: u64,
    pub timers_fired: u64,
    pub faults_applied: u64,
    pub trace_events: u64,
    pub peak_in_flight: usize,
    pub end_time: SimTime,
    pub trace_hash: u64,
}

pub(crate) enum Payload<M> {
    Msg(M),
    /// Connection handshake.
    Syn,
    /// Orderly close.
    Fin,
}

pub(crate) struct Envelope<M> {
    pub id: MsgId,
    pub parent: Option<MsgId>,
    pub from: NodeId,
    pub to: NodeId,
    pub via: Via,
    /// Position in its connection direction (0 for datagrams).
    pub seq: u64,
    pub payload: Payload<M>,
}

impl<M: Message> Payload<M> {
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Payload::Msg(m) => m.kind(),
            Payload::Syn => "SYN",
            Payload::Fin => "FIN",
        }
    }
    pub(crate) fn bytes(&self) -> u64 {
        match self {
            Payload::Msg(m) => m.size_bytes(),
            Payload::Syn | Payload::Fin => 0,
        }
    }
    pub(crate) fn msg(&self) -> Option<&M> {
        match self {
            Payload::Msg(m) => Some(m),
            Payload::Syn | Payload::Fin => None,
        }
    }
}

impl<M: Message> Envelope<M> {
    fn label(&self) -> &'static str {
        self.payload.label()
    }
    fn bytes(&self) -> u64 {
        self.payload.bytes()
    }

    /// The trace record of this envelope arriving (or being dropped) at its receiver.
    #[inline(always)]
    pub(crate) fn record(&self, kind: TraceKind) -> TraceRecord {
        TraceRecord {
            kind,
            node: self.to,
            peer: Some(self.from),
            msg_id: Some(self.id),
            parent: self.parent,
            conn: match self.via {
                Via::Conn(c) => Some(c),
                Via::Datagram => None,
            },
            label: self.label(),
            bytes: self.bytes(),
            name: None,
        }
    }

    /// The hashed words of [`Envelope::record`], without building it.
    #[inline(always)]
    pub(crate) fn words(&self, kind: TraceKind) -> [u64; 3] {
        self.record(kind).words()
    }
}

/// Primitive fields of a trace event, hashed always and shown to sinks when there are any.
#[derive(Clone, Copy)]
pub(crate) struct TraceRecord {
    pub kind: TraceKind,
    pub node: NodeId,
    pub peer: Option<NodeId>,
    pub msg_id: Option<MsgId>,
    pub parent: Option<MsgId>,
    pub conn: Option<ConnId>,
    pub label: &'static str,
    pub bytes: u64,
    /// What the actor calls this event (a timer's purpose), for sinks only: not hashed, so
    /// naming timers never changes a trace hash.
    pub name: Option<&'static str>,
}

impl TraceRecord {
    /// The three hashed words after the time (see the trace module's docs).
    #[inline(always)]
    pub fn words(&self) -> [u64; 3] {
        let peer = self.peer.map_or(0xff_ffff, |p| p.0 as u64);
        [
            self.kind.code() | (self.node.0 as u64) << 8 | peer << 40,
            self.msg_id.map_or(u64::MAX, |m| m.0)
                ^ self.parent.map_or(u64::MAX, |m| m.0).rotate_left(32),
            self.bytes ^ label_word(self.label),
        ]
    }

    pub fn new(kind: TraceKind, node: NodeId, label: &'static str) -> TraceRecord {
        TraceRecord {
            kind,
            node,
            peer: None,
            msg_id: None,
            parent: None,
            conn: None,
            label,
            bytes: 0,
            name: None,
        }
    }
}

/// The label's length, first and last byte as one word (labels are short static names; this
/// tells kinds apart at the cost of three loads).
#[inline]
fn label_word(label: &str) -> u64 {
    let bytes = label.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            (bytes.len() as u64) << 16 | (first as u64) << 8 | last as u64
        }
        _ => 0,
    }
}

/// The hashed words of `node`'s history event (`TraceRecord::new(History, node, "history")`),
/// as constants but the node.
#[inline(always)]
fn history_words(node: NodeId) -> [u64; 3] {
    const PEER_NONE: u64 = 0xff_ffff << 40;
    [
        TraceKind::History.code() | (node.0 as u64) << 8 | PEER_NONE,
        u64::MAX ^ u64::MAX.rotate_left(32),
        7 << 16 | (b'h' as u64) << 8 | b'y' as u64,
    ]
}

/// Hash and sinks.
pub(crate) struct Tracer<M, H> {
    hasher: TraceHasher,
    index: u64,
    sinks: Vec<Box<dyn TraceSink<M, H>>>,
}

impl<M, H: Hash> Tracer<M, H> {
    /// Hash one event and show it to the sinks. Always inlined: on the per-message path the
    /// record's fields go straight into the four hashed words (history hashing and sinks are
    /// out of line).
    #[inline(always)]
    pub fn emit(
        &mut self,
        time: SimTime,
        rec: TraceRecord,
        msg: Option<&M>,
        history: Option<&H>,
        fault: Option<&Fault>,
    ) {
        self.emit_words(time, rec.words(), msg, history, fault, || rec);
    }

    /// [`Tracer::emit`] from the hashed words, with the record built (by `rec`) only for
    /// sinks: the per-message paths hash an envelope's fields without putting a record
    /// together on the stack. `words` must be `rec().words()` (checked in debug builds).
    #[inline(always)]
    pub fn emit_words(
        &mut self,
        time: SimTime,
        words: [u64; 3],
        msg: Option<&M>,
        history: Option<&H>,
        fault: Option<&Fault>,
        rec: impl Fn() -> TraceRecord,
    ) {
        debug_assert_eq!(words, rec().words(), "the hashed words are the record's");
        let h = &mut self.hasher;
        h.word(time.0);
        h.word(words[0]);
        h.word(words[1]);
        h.word(words[2]);
        if let Some(event) = history {
            self.hash_history(event);
        }
        if !self.sinks.is_empty() {
            self.show_to_sinks(time, rec(), msg, history, fault);
        }
        self.index += 1;
    }

    /// Inlined: only history events (`Sim::record_history`, one call site) hash one; the
    /// message paths pass `None` and compile the branch away.
    #[inline(always)]
    fn hash_history(&mut self, event: &H) {
        event.hash(&mut self.hasher);
    }

    /// True when some sink wants to see events (exporters, debugging).
    #[inline]
    pub fn has_sinks(&self) -> bool {
        !self.sinks.is_empty()
    }

    /// A send: shown to sinks but not hashed. Every message is hashed once, when it is
    /// delivered or dropped; that event names its id, parent, sender, receiver, label and size.
    /// Call only with sinks attached; without them a send costs one counter increment
    /// ([`Tracer::count_unhashed`]).
    pub fn show_send(&mut self, time: SimTime, rec: TraceRecord, msg: Option<&M>) {
        self.show_to_sinks(time, rec, msg, None, None);
        self.index += 1;
    }

    /// A send without sinks: it keeps its place in the trace's numbering.
    #[inline]
    pub fn count_unhashed(&mut self) {
        self.index += 1;
    }

    /// Show the event to every sink (kept out of line: the common run has no sinks).
    #[inline(never)]
    fn show_to_sinks(
        &mut self,
        time: SimTime,
        rec: TraceRecord,
        msg: Option<&M>,
        history: Option<&H>,
        fault: Option<&Fault>,
    ) {
        let event = TraceEvent {
            index: self.index,
            time,
            node: rec.node,
            peer: rec.peer,
            kind: rec.kind,
            msg_id: rec.msg_id,
            parent: rec.parent,
            conn: rec.conn,
            label: rec.label,
            bytes: rec.bytes,
            name: rec.name,
            msg,
            history,
            fault,
            hash: self.hasher.finish_hash(),
        };
        for sink in &mut self.sinks {
            sink.record(&event);
        }
    }
}

/// A simulation of actors exchanging messages of type `M` and recording history of type `H`.
pub struct Sim<M: Message, H: Hash + 'static> {
    pub(crate) config: SimConfig,
    pub(crate) names: Vec<String>,
    pub(crate) nodes: Vec<NodeState>,
    pub(crate) actors: Vec<Box<dyn Actor<M, H>>>,
    pub(crate) topology: Option<Topology>,
    link_overrides: Vec<(NodeId, NodeId, LinkConfig)>,
    pub(crate) queue: EventQueue,
    pub(crate) envelopes: Vec<Option<Envelope<M>>>,
    pub(crate) free_envelopes: Vec<u32>,
    pub(crate) in_flight: usize,
    pub(crate) conns: Vec<Connection>,
    pub(crate) ids: IdAlloc,
    pub(crate) faults: Vec<(SimTime, Fault)>,
    /// Armed targeted message faults and the messages marked to fail (`target.rs`).
    pub(crate) targets: Targets<M>,
    pub(crate) net_rng: RngStream,
    pub(crate) now: SimTime,
    pub(crate) tracer: Tracer<M, H>,
    observer: Option<Box<dyn HistoryObserver<H>>>,
    commands: Vec<Command<M, H>>,
    pub(crate) stats: RunStats,
    pub(crate) coverage: BTreeMap<&'static str, u64>,
    next_msg_id: u64,
    started: bool,
    pub(crate) quiet: bool,
}

impl<M: Message, H: Hash + 'static> Sim<M, H> {
    pub fn new(config: SimConfig) -> Sim<M, H> {
        let net_rng = RngStream::derive(config.seed, "network");
        Sim {
            config,
            names: Vec::new(),
            nodes: Vec::new(),
            actors: Vec::new(),
            topology: None,
            link_overrides: Vec::new(),
            queue: EventQueue::default(),
            envelopes: Vec::new(),
            free_envelopes: Vec::new(),
            in_flight: 0,
            conns: Vec::new(),
            ids: IdAlloc::default(),
            faults: Vec::new(),
            targets: Targets::default(),
            net_rng,
            now: SimTime::ZERO,
            tracer: Tracer {
                hasher: TraceHasher::default(),
                index: 0,
                sinks: Vec::new(),
            },
            observer: None,
            commands: Vec::new(),
            stats: RunStats::default(),
            coverage: BTreeMap::new(),
            next_msg_id: 0,
            started: false,
            quiet: false,
        }
    }

    /// Add a node running `actor`. Its random stream is `node/<name>`. Names must be unique.
    pub fn add_node(&mut self, name: impl Into<String>, actor: Box<dyn Actor<M, H>>) -> NodeId {
        assert!(!self.started, "nodes must be added before the run starts");
        let name = name.into();
        assert!(!self.names.contains(&name), "duplicate node name {name}");
        let id = NodeId(self.nodes.len() as u32);
        let rng = RngStream::derive(self.config.seed, &format!("node/{name}"));
        self.nodes.push(NodeState::new(name.clone(), rng));
        self.names.push(name);
        self.actors.push(actor);
        id
    }

    /// Override the settings of the link `from → to`.
    pub fn set_link(&mut self, from: NodeId, to: NodeId, link: LinkConfig) {
        match &mut self.topology {
            Some(t) => {
                let l = t.link_mut(from, to);
                l.config = link;
                l.base_config = link;
            }
            None => self.link_overrides.push((from, to, link)),
        }
    }

    /// Schedule a fault. Faults at equal times apply in the order they were scheduled.
    pub fn schedule_fault(&mut self, at: SimTime, fault: Fault) {
        assert!(
            !self.started,
            "faults must be scheduled before the run starts"
        );
        self.faults.push((at, fault));
    }

    pub fn set_observer(&mut self, observer: Box<dyn HistoryObserver<H>>) {
        self.observer = Some(observer);
    }

    pub fn add_sink(&mut self, sink: Box<dyn TraceSink<M, H>>) {
        self.tracer.sinks.push(sink);
    }

    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| NodeId(i as u32))
    }
    pub fn node_names(&self) -> &[String] {
        &self.names
    }
    pub fn node_status(&self, node: NodeId) -> NodeStatus {
        self.nodes[node.index()].status
    }
    pub fn now(&self) -> SimTime {
        self.now
    }
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }
    /// "Sometimes" counters: kernel ones (`fault:crash`, ...) and the models' own.
    pub fn coverage(&self) -> &BTreeMap<&'static str, u64> {
        &self.coverage
    }
    pub fn trace_hash(&self) -> u64 {
        self.tracer.hasher.finish_hash()
    }
    /// The actor of `node`, downcast to its concrete type.
    pub fn actor<T: 'static>(&self, node: NodeId) -> Option<&T> {
        self.actors.get(node.index())?.as_any().downcast_ref::<T>()
    }
    /// Messages currently in flight (scheduled, held or queued at a busy node).
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }
    /// The topology (after the run started), e.g. for DOT export.
    pub fn topology(&self) -> Option<&Topology> {
        self.topology.as_ref()
    }

    fn start(&mut self) {
        self.started = true;
        let mut topology = Topology::full_mesh(self.nodes.len(), self.config.default_link);
        for (from, to, link) in self.link_overrides.drain(..) {
            let l = topology.link_mut(from, to);
            l.config = link;
            l.base_config = link;
        }
        self.topology = Some(topology);
        for i in 0..self.nodes.len() {
            self.queue
                .push(SimTime::ZERO, EventKind::Start(NodeId(i as u32)));
        }
        // Stable sort: faults at one time keep their scheduling order.
        self.faults.sort_by_key(|(t, _)| *t);
        // Targets armed at time zero must see the messages nodes send as they start (their
        // fault events, queued behind the starts, only trace and count them).
        for (t, fault) in &self.faults {
            if let (SimTime::ZERO, Fault::Target(target)) = (*t, fault) {
                self.targets.armed.push(crate::target::Armed {
                    target: target.clone(),
                    seen: 0,
                });
            }
        }
        for (i, (t, _)) in self.faults.iter().enumerate() {
            self.queue.push(*t, EventKind::Fault(i as u32));
        }
        if let Some(q) = self.config.quiet_at {
            self.queue.push(q, EventKind::Quiet);
        }
    }

    /// Run to the configured end (or until nothing is left to do).
    pub fn run(&mut self) -> Result<RunStats, SimError> {
        if !self.started {
            self.start();
        }
        // The loop inlines the step (a call per event costs its prologue and its `Result`).
        while self.step_inline()? {}
        if let Some(end) = self.config.end {
            self.now = self.now.max(end);
        }
        self.stats.end_time = self.now;
        self.stats.trace_hash = self.trace_hash();
        self.stats.trace_events = self.tracer.index;
        Ok(self.stats.clone())
    }

    /// Process one event. `Ok(false)` when the run is over.
    pub fn step(&mut self) -> Result<bool, SimError> {
        self.step_inline()
    }

    #[inline(always)]
    fn step_inline(&mut self) -> Result<bool, SimError> {
        if !self.started {
            self.start();
        }
        let Some(event) = self.queue.pop_until(self.config.end) else {
            return Ok(false);
        };
        debug_assert!(event.time >= self.now, "time went backwards");
        self.now = event.time;
        set_current_time(self.now);
        self.stats.events += 1;
        self.check_limits()?;
        match event.kind {
            EventKind::Start(node) => self.start_node(node),
            EventKind::Deliver(slot) => self.on_deliver(slot),
            EventKind::Timer(id) => self.on_timer_due(id),
            EventKind::Wake(node) => self.on_wake(node),
            EventKind::Fault(i) => self.apply_fault(i as usize),
            EventKind::ConnCheck(conn) => self.on_conn_check(conn),
            EventKind::PeerDown { conn, end } => self.on_peer_down(conn, end as usize),
            EventKind::Refused(conn) => self.on_refused(conn),
            EventKind::Quiet => self.enter_quiet(),
        }
        Ok(true)
    }

    fn check_limits(&self) -> Result<(), SimError> {
        let limits = &self.config.limits;
        if self.stats.events > limits.max_events {
            return Err(SimError::MaxEvents {
                limit: limits.max_events,
                at: self.now,
            });
        }
        if self.now > limits.max_time {
            return Err(SimError::MaxTime {
                limit: limits.max_time,
                events: self.stats.events,
            });
        }
        if self.in_flight > limits.max_in_flight {
            return Err(SimError::MaxInFlight {
                limit: limits.max_in_flight,
                at: self.now,
            });
        }
        if self.queue.len() > limits.max_queued_events {
            return Err(SimError::MaxQueued {
                limit: limits.max_queued_events,
                at: self.now,
            });
        }
        Ok(())
    }

    pub(crate) fn next_msg_id(&mut self) -> MsgId {
        let id = MsgId(self.next_msg_id);
        self.next_msg_id += 1;
        id
    }

    pub(crate) fn trace(&mut self, rec: TraceRecord) {
        self.tracer.emit(self.now, rec, None, None, None);
    }

    pub(crate) fn count_drop(&mut self, reason: crate::trace::DropReason) {
        *self.stats.drops.entry(reason.name()).or_insert(0) += 1;
    }

    fn start_node(&mut self, node: NodeId) {
        if self.nodes[node.index()].status == NodeStatus::Crashed {
            return;
        }
        self.trace(TraceRecord::new(TraceKind::Start, node, "start"));
        self.run_handler(node, None, |actor, ctx| actor.on_start(ctx));
    }

    /// Call one handler of `node` and carry out its commands at the end of its busy time.
    pub(crate) fn run_handler<F>(&mut self, node: NodeId, cause: Option<MsgId>, f: F)
    where
        F: FnOnce(&mut dyn Actor<M, H>, &mut Ctx<'_, M, H>),
    {
        let i = node.index();
        let state = &mut self.nodes[i];
        debug_assert_eq!(
            state.status,
            NodeStatus::Up,
            "handler on a node that is not up"
        );
        let start = self.now.max(state.busy_until);
        let mut ctx = Ctx {
            node,
            now: self.now,
            local_now: state.clock.local(self.now),
            incarnation: state.incarnation,
            busy: SimDuration::ZERO,
            quiet: self.quiet,
            rng: &mut state.rng,
            commands: &mut self.commands,
            ids: &mut self.ids,
            node_names: &self.names,
        };
        f(self.actors[i].as_mut(), &mut ctx);
        // A handler that runs while the node is still busy (quiet-phase notice) starts after.
        let done = start + ctx.busy;
        self.nodes[i].busy_until = done;
        // Many handlers (a subscriber taking a message) command nothing.
        if !self.commands.is_empty() {
            let mut commands = std::mem::take(&mut self.commands);
            self.apply_commands(node, done, cause, &mut commands);
            // Put the drained buffer back for the next handler. What it replaces is the empty
            // vector `take` left, which owns nothing: forgetting it skips a drop call.
            let placeholder = std::mem::replace(&mut self.commands, commands);
            debug_assert!(
                placeholder.capacity() == 0,
                "no handler runs inside another"
            );
            std::mem::forget(placeholder);
        }
        if !self.nodes[i].inbox.is_empty() {
            self.ensure_wake(node);
        }
    }

    pub(crate) fn ensure_wake(&mut self, node: NodeId) {
        let state = &mut self.nodes[node.index()];
        if state.wake_scheduled || state.status != NodeStatus::Up {
            return;
        }
        state.wake_scheduled = true;
        let at = state.busy_until.max(self.now);
        self.queue.push(at, EventKind::Wake(node));
    }

    fn on_wake(&mut self, node: NodeId) {
        let state = &mut self.nodes[node.index()];
        state.wake_scheduled = false;
        if state.status != NodeStatus::Up {
            return;
        }
        if state.busy_until > self.now {
            self.ensure_wake(node);
            return;
        }
        let Some(item) = state.inbox.pop_front() else {
            return;
        };
        match item {
            InboxItem::Deliver(slot) => self.dispatch_message(slot),
            InboxItem::Timer(id) => self.dispatch_timer(id),
            InboxItem::Closed { conn, peer, reason } => {
                self.dispatch_closed(node, conn, peer, reason)
            }
        }
        if !self.nodes[node.index()].inbox.is_empty() {
            self.ensure_wake(node);
        }
    }

    fn record_history(&mut self, node: NodeId, time: SimTime, event: H) {
        let rec = || TraceRecord::new(TraceKind::History, node, "history");
        let words = history_words(node);
        self.tracer
            .emit_words(time, words, None, Some(&event), None, rec);
        if let Some(observer) = &mut self.observer {
            observer.observe(time, node, &event);
        }
    }
}
