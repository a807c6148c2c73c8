//! Carrying out handler commands: sends, connections, timers, history.

use super::{Envelope, Payload, Sim, TraceRecord};
use crate::connection::Connection;
use crate::context::Command;
use crate::id::{ConnId, MsgId, NodeId};
use crate::message::{Message, Via};
use crate::queue::{EventKind, MIN_RUN};
use crate::target::Hit;
use crate::time::{SimDuration, SimTime};
use crate::trace::{DropReason, TraceKind};
use std::hash::Hash;

impl<M: Message, H: Hash + 'static> Sim<M, H> {
    /// Carry out a handler's commands in order: the command loop (one copy for every handler
    /// kind, with the per-command match inlined into it). `run_handler` calls it only when
    /// there are commands (most client receipts command nothing).
    #[inline(never)]
    pub(crate) fn apply_commands(
        &mut self,
        node: NodeId,
        done: SimTime,
        cause: Option<MsgId>,
        commands: &mut Vec<Command<M, H>>,
    ) {
        // A fan-out's events become the queue's run (put in order once) instead of tens of heap
        // pushes and pops; the order of events is the same either way.
        let run = commands.len() >= MIN_RUN;
        if run {
            self.queue.begin_run();
        }
        for command in commands.drain(..) {
            self.apply_command(node, done, cause, command);
        }
        if run {
            self.queue.end_run();
        }
    }

    #[inline(always)]
    pub(crate) fn apply_command(
        &mut self,
        node: NodeId,
        done: SimTime,
        cause: Option<MsgId>,
        command: Command<M, H>,
    ) {
        match command {
            Command::Send { to, msg } => self.send_plain_datagram(node, to, done, cause, msg),
            Command::SendConn { conn, msg } => {
                self.send_on_conn(node, conn, done, cause, Payload::Msg(msg))
            }
            Command::Connect { conn, to } => self.connect(node, conn, to, done, cause),
            Command::Close { conn } => self.close_conn(node, conn, done),
            Command::SetTimer { id, after, .. } => {
                if self.ids.timers.peek(id).is_some() {
                    self.queue.push(done + after, EventKind::Timer(id));
                }
            }
            Command::CancelTimer { id } => {
                self.ids.timers.cancel(id);
            }
            Command::Record { event } => self.record(node, done, event),
            Command::Sometimes { name } => self.sometimes(node, name),
        }
    }

    // The rare commands stay out of the command loop, which is then small enough that the
    // compiler does not hoist their set-up (addresses, hash constants) into every handler.

    #[inline(never)]
    fn connect(
        &mut self,
        node: NodeId,
        conn: ConnId,
        to: NodeId,
        done: SimTime,
        cause: Option<MsgId>,
    ) {
        assert_eq!(
            conn.0 as usize,
            self.conns.len(),
            "connection ids are dense"
        );
        let incarnation = self.nodes[node.index()].incarnation;
        self.conns.push(Connection::new(node, incarnation, to));
        self.send_on_conn(node, conn, done, cause, Payload::Syn);
    }

    #[inline(never)]
    fn record(&mut self, node: NodeId, done: SimTime, event: H) {
        self.record_history(node, done, event);
    }

    /// A model's coverage probe: counted, and logged (`RUST_LOG=msgsim=debug`) stamped with
    /// simulated time — the models' decisions (elections, ISR changes, truncations, rebalances,
    /// failovers, evictions) are these probes.
    #[inline(never)]
    fn sometimes(&mut self, node: NodeId, name: &'static str) {
        *self.coverage.entry(name).or_insert(0) += 1;
        tracing::debug!(target: "msgsim::model", node = %self.names[node.index()], "{name}");
    }

    /// An empty envelope slot (a freed one, else a new one), counted as in flight.
    #[inline(always)]
    fn free_slot(&mut self) -> u32 {
        self.in_flight += 1;
        self.stats.peak_in_flight = self.stats.peak_in_flight.max(self.in_flight);
        match self.free_envelopes.pop() {
            Some(slot) => slot,
            None => {
                self.envelopes.push(None);
                (self.envelopes.len() - 1) as u32
            }
        }
    }

    #[inline(always)]
    pub(crate) fn take_envelope(&mut self, slot: u32) -> Envelope<M> {
        let envelope = self.envelopes[slot as usize]
            .take()
            .expect("live envelope slot");
        self.free_envelopes.push(slot);
        self.in_flight -= 1;
        envelope
    }

    fn send_record(
        &self,
        from: NodeId,
        to: NodeId,
        id: MsgId,
        cause: Option<MsgId>,
    ) -> TraceRecord {
        TraceRecord {
            kind: TraceKind::Send,
            node: from,
            peer: Some(to),
            msg_id: Some(id),
            parent: cause,
            conn: None,
            label: "",
            bytes: 0,
            name: None,
        }
    }

    /// A datagram on a plain link — no partition, loss, duplication or jitter, no sink to show
    /// it to, no armed target — inlined into the command loop: the same id, draws and event as
    /// [`Sim::send_datagram`] (which takes every other case), without its checks and call.
    #[inline(always)]
    fn send_plain_datagram(
        &mut self,
        from: NodeId,
        to: NodeId,
        depart: SimTime,
        cause: Option<MsgId>,
        msg: M,
    ) {
        // `p <= 0.0` is what `RngStream::chance` does not draw for (a NaN probability draws).
        let plain = match &self.topology {
            Some(t) if to.index() < self.nodes.len() => {
                let link = t.link(from, to);
                let c = &link.config;
                !link.blocked && c.loss <= 0.0 && c.duplicate <= 0.0 && c.jitter_us == 0
            }
            _ => false,
        };
        if !plain || self.tracer.has_sinks() || !self.targets.armed.is_empty() {
            return self.send_datagram(from, to, depart, cause, msg);
        }
        let id = self.next_msg_id();
        self.stats.sends += 1;
        self.tracer.count_unhashed();
        let link = self.topology.as_mut().expect("started").link_mut(from, to);
        let arrival = link.arrival(depart, msg.size_bytes(), &mut self.net_rng);
        let payload = Payload::Msg(msg);
        self.schedule_envelope(arrival, id, cause, from, to, Via::Datagram, 0, payload);
    }

    #[inline(never)]
    pub(crate) fn send_datagram(
        &mut self,
        from: NodeId,
        to: NodeId,
        depart: SimTime,
        cause: Option<MsgId>,
        msg: M,
    ) {
        assert!(to.index() < self.nodes.len(), "send to unknown node {to}");
        let id = self.next_msg_id();
        self.stats.sends += 1;
        let bytes = msg.size_bytes();
        // The send's trace record: built only where it is shown or hashed (sinks, drops).
        let record = |sim: &Self, msg: &M| {
            let mut rec = sim.send_record(from, to, id, cause);
            rec.label = msg.kind();
            rec.bytes = bytes;
            rec
        };
        if self.tracer.has_sinks() {
            self.tracer
                .show_send(depart, record(self, &msg), Some(&msg));
        } else {
            self.tracer.count_unhashed();
        }
        let mut extra = SimDuration::ZERO;
        if !self.targets.armed.is_empty() {
            match self.hit_target(from, to, id, &msg) {
                None => {}
                Some(Hit::Delay(d)) => extra = d,
                Some(Hit::Fail(reply)) => self.targets.failing.push((id, reply)),
                Some(Hit::Drop | Hit::Reset) => {
                    self.count_drop(DropReason::Targeted);
                    let mut rec = record(self, &msg);
                    rec.kind = TraceKind::Drop(DropReason::Targeted);
                    (rec.node, rec.peer) = (to, Some(from));
                    self.tracer.emit(depart, rec, Some(&msg), None, None);
                    return;
                }
            }
        }
        let topology = self.topology.as_mut().expect("started");
        let link = topology.link_mut(from, to);
        let lost = if link.blocked {
            Some(DropReason::Partition)
        } else if self.net_rng.chance(link.config.loss) {
            Some(DropReason::Loss)
        } else {
            None
        };
        if let Some(reason) = lost {
            self.count_drop(reason);
            let mut rec = record(self, &msg);
            rec.kind = TraceKind::Drop(reason);
            // Drops name the intended receiver as `node` and the sender as `peer`, wherever
            // they happen.
            (rec.node, rec.peer) = (to, Some(from));
            self.tracer.emit(depart, rec, Some(&msg), None, None);
            return;
        }
        let jitter = link.config.jitter_us;
        let mut arrival = link.arrival(depart, bytes, &mut self.net_rng);
        arrival += crate::SimDuration::from_nanos(self.net_rng.range_inclusive(0, jitter * 1_000));
        arrival += extra;
        let duplicate = self.net_rng.chance(link.config.duplicate);
        if duplicate {
            let copy_id = self.next_msg_id();
            let link = self.topology.as_mut().expect("started").link_mut(from, to);
            let copy_arrival = link.arrival(depart, bytes, &mut self.net_rng)
                + crate::SimDuration::from_nanos(self.net_rng.range_inclusive(0, jitter * 1_000));
            self.stats.duplicates += 1;
            let mut dup = record(self, &msg);
            dup.kind = TraceKind::Duplicate;
            dup.msg_id = Some(copy_id);
            dup.parent = Some(id);
            self.tracer.emit(depart, dup, Some(&msg), None, None);
            let copy = Payload::Msg(msg.clone());
            let parent = Some(id);
            self.schedule_envelope(
                copy_arrival,
                copy_id,
                parent,
                from,
                to,
                Via::Datagram,
                0,
                copy,
            );
        }
        let payload = Payload::Msg(msg);
        self.schedule_envelope(arrival, id, cause, from, to, Via::Datagram, 0, payload);
    }

    /// Send a payload on a connection: ordered behind everything sent before in its direction
    /// (arrivals never overtake), dropped if the sender's end is closed.
    ///
    /// This is the per-message path, so it is inlined into the command loop and kept lean: one
    /// connection lookup, and the rare cases (a sink wants to see the send, or the connection
    /// is unusable) go to an out-of-line function. The send's trace record (label, size) is
    /// only built there; a hashed delivery event computes it later.
    #[inline(always)]
    pub(crate) fn send_on_conn(
        &mut self,
        from: NodeId,
        conn_id: ConnId,
        depart: SimTime,
        cause: Option<MsgId>,
        payload: Payload<M>,
    ) {
        let id = self.next_msg_id();
        if matches!(payload, Payload::Msg(_)) {
            self.stats.sends += 1;
        }
        let conn = &mut self.conns[conn_id.0 as usize];
        let end = conn
            .end_of(from)
            .filter(|&e| conn.open && conn.closed_by != Some(e));
        let special = self.tracer.has_sinks() || !self.targets.armed.is_empty();
        let (Some(end), false) = (end, special) else {
            self.send_shown_or_dropped(from, conn_id, depart, cause, id, payload);
            return;
        };
        self.tracer.count_unhashed();
        let no_delay = SimDuration::ZERO;
        self.send_on_usable_end(from, conn_id, end, depart, cause, id, payload, no_delay);
    }

    /// Whether an armed target hits this message (`target.rs`); counts the fired action.
    #[cold]
    #[inline(never)]
    fn hit_target(&mut self, from: NodeId, to: NodeId, id: MsgId, msg: &M) -> Option<Hit<M>> {
        let (hit, name) = self.targets.hit(from, to, msg)?;
        *self.coverage.entry(name).or_insert(0) += 1;
        tracing::debug!(target: "msgsim::fault", msg = id.0, "{name}: {} -> {} {}", self.names[from.index()], self.names[to.index()], msg.kind());
        Some(hit)
    }

    /// The send from a usable end: the link's arrival time, kept no earlier than the
    /// direction's last one, then the direction's next sequence number.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn send_on_usable_end(
        &mut self,
        from: NodeId,
        conn_id: ConnId,
        end: usize,
        depart: SimTime,
        cause: Option<MsgId>,
        id: MsgId,
        payload: Payload<M>,
        extra: SimDuration,
    ) {
        let conn = &mut self.conns[conn_id.0 as usize];
        let to = conn.peer_of(end);
        let dir = &mut conn.dirs[end];
        let link = self.topology.as_mut().expect("started").link_mut(from, to);
        // The size only matters on links with a bandwidth (transmission delay).
        let bytes = if link.config.bandwidth_bytes_per_s == 0 {
            0
        } else {
            payload.bytes()
        };
        let arrival =
            (link.arrival(depart, bytes, &mut self.net_rng) + extra).max(dir.last_arrival);
        dir.last_arrival = arrival;
        let seq = dir.next_send_seq;
        dir.next_send_seq += 1;
        self.schedule_envelope(
            arrival,
            id,
            cause,
            from,
            to,
            Via::Conn(conn_id),
            seq,
            payload,
        );
    }

    /// The same send when a sink is attached or the sender's end is unusable: shows the send to
    /// the sinks, and either carries on with it or drops it as `ConnClosed`.
    #[cold]
    #[inline(never)]
    fn send_shown_or_dropped(
        &mut self,
        from: NodeId,
        conn_id: ConnId,
        depart: SimTime,
        cause: Option<MsgId>,
        id: MsgId,
        payload: Payload<M>,
    ) {
        let conn = &mut self.conns[conn_id.0 as usize];
        let end = conn.end_of(from);
        let to = end.map_or(from, |e| conn.peer_of(e));
        let usable = conn.open && end.is_some_and(|e| conn.closed_by != Some(e));
        let mut rec = self.send_record(from, to, id, cause);
        rec.conn = Some(conn_id);
        rec.label = payload.label();
        rec.bytes = payload.bytes();
        if self.tracer.has_sinks() {
            self.tracer.show_send(depart, rec, payload.msg());
        } else {
            self.tracer.count_unhashed();
        }
        if !usable {
            self.count_drop(DropReason::ConnClosed);
            rec.kind = TraceKind::Drop(DropReason::ConnClosed);
            (rec.node, rec.peer) = (to, Some(from));
            self.tracer.emit(depart, rec, payload.msg(), None, None);
            return;
        }
        let end = end.expect("usable connection end");
        let mut extra = SimDuration::ZERO;
        if let (false, Payload::Msg(msg)) = (self.targets.armed.is_empty(), &payload) {
            match self.hit_target(from, to, id, msg) {
                None => {}
                Some(Hit::Delay(d)) => extra = d,
                Some(Hit::Fail(reply)) => self.targets.failing.push((id, reply)),
                Some(hit @ (Hit::Drop | Hit::Reset)) => {
                    self.count_drop(DropReason::Targeted);
                    rec.kind = TraceKind::Drop(DropReason::Targeted);
                    (rec.node, rec.peer) = (to, Some(from));
                    self.tracer.emit(depart, rec, payload.msg(), None, None);
                    if matches!(hit, Hit::Reset) {
                        self.reset_conn(conn_id, depart);
                    }
                    return;
                }
            }
        }
        self.send_on_usable_end(from, conn_id, end, depart, cause, id, payload, extra);
    }

    /// Store a message in flight and schedule its delivery. The slot is taken first so that
    /// the envelope can be built straight into it.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn schedule_envelope(
        &mut self,
        arrival: SimTime,
        id: MsgId,
        parent: Option<MsgId>,
        from: NodeId,
        to: NodeId,
        via: Via,
        seq: u64,
        payload: Payload<M>,
    ) {
        let slot = self.free_slot();
        let cell = &mut self.envelopes[slot as usize];
        // Also tells the compiler there is nothing to drop, so the envelope goes straight
        // into the slot instead of being built on the stack and copied.
        assert!(cell.is_none(), "envelope slot {slot} is free");
        *cell = Some(Envelope {
            id,
            parent,
            from,
            to,
            via,
            seq,
            payload,
        });
        self.queue.push(arrival, EventKind::Deliver(slot));
    }

    #[inline(never)]
    fn close_conn(&mut self, node: NodeId, conn_id: ConnId, done: SimTime) {
        let Some(conn) = self.conns.get_mut(conn_id.0 as usize) else {
            return;
        };
        let Some(end) = conn.end_of(node) else { return };
        if !conn.open || conn.closed_by.is_some() {
            return;
        }
        self.send_on_conn(node, conn_id, done, None, Payload::Fin);
        self.conns[conn_id.0 as usize].closed_by = Some(end);
    }
}
