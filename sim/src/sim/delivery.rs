//! Arrivals: link and connection checks, queueing at busy or paused nodes, and handing messages,
//! timers and connection events to handlers.

use super::{Envelope, Payload, Sim, TraceRecord};
use crate::actor::{CloseReason, ConnEvent};
use crate::id::{ConnId, NodeId, TimerId};
use crate::message::{Message, Via};
use crate::node::{InboxItem, NodeStatus};
use crate::queue::EventKind;
use crate::trace::{DropReason, TraceKind};
use std::hash::Hash;

impl<M: Message, H: Hash + 'static> Sim<M, H> {
    /// Drop an in-flight message, with a trace event saying why.
    pub(crate) fn drop_slot(&mut self, slot: u32, reason: DropReason) {
        let envelope = self.take_envelope(slot);
        if !self.targets.failing.is_empty() {
            self.targets.take_failing(envelope.id);
        }
        self.count_drop(reason);
        let rec = envelope.record(TraceKind::Drop(reason));
        let msg = match &envelope.payload {
            Payload::Msg(m) => Some(m),
            _ => None,
        };
        self.tracer.emit(self.now, rec, msg, None, None);
    }

    /// A message reaches the far end of its link.
    pub(crate) fn on_deliver(&mut self, slot: u32) {
        let envelope = self.envelopes[slot as usize]
            .as_ref()
            .expect("live envelope");
        let (from, to, via, seq) = (envelope.from, envelope.to, envelope.via, envelope.seq);
        let topology = self.topology.as_mut().expect("started");
        match via {
            // The per-message path: with no partition or clog anywhere, no link lookup.
            Via::Datagram if topology.all_open() => self.arrive_at(slot, to),
            Via::Datagram => {
                let link = topology.link_mut(from, to);
                if link.blocked {
                    self.drop_slot(slot, DropReason::Partition);
                } else if link.clogged {
                    link.held.push_back(slot);
                } else {
                    self.arrive_at(slot, to);
                }
            }
            Via::Conn(conn_id) => self.on_conn_arrival(slot, conn_id, from, to, seq),
        }
    }

    fn on_conn_arrival(&mut self, slot: u32, conn_id: ConnId, from: NodeId, to: NodeId, seq: u64) {
        // The per-message path: with no partition or clog anywhere, no link lookup at all.
        let topology = self.topology.as_ref().expect("started");
        let (link_open, blocked) = if topology.all_open() {
            (true, false)
        } else {
            let link = topology.link(from, to);
            (link.is_open(), link.blocked)
        };
        let conn = &mut self.conns[conn_id.0 as usize];
        let end = conn.end_of(from).expect("sender is an end");
        let receiver_closed = conn.closed_by == Some(1 - end);
        if !conn.open || receiver_closed {
            self.drop_slot(slot, DropReason::ConnClosed);
            return;
        }
        let dir = &mut conn.dirs[end];
        if !link_open || !dir.held.is_empty() {
            dir.held.push((seq, slot));
            if blocked && conn.check_due.is_none() {
                let at = self.now + self.config.conn_break_detect;
                conn.check_due = Some(at);
                self.queue.push(at, EventKind::ConnCheck(conn_id));
            }
            return;
        }
        if seq != dir.next_deliver_seq {
            debug_assert!(
                seq > dir.next_deliver_seq,
                "connection message delivered twice"
            );
            dir.pending.insert(seq, slot);
            return;
        }
        dir.next_deliver_seq += 1;
        self.arrive_at(slot, to);
        loop {
            let dir = &mut self.conns[conn_id.0 as usize].dirs[end];
            // Usually nothing waits out of order: skip the map lookup.
            if dir.pending.is_empty() {
                break;
            }
            let Some(next) = dir.pending.remove(&dir.next_deliver_seq) else {
                break;
            };
            dir.next_deliver_seq += 1;
            self.arrive(next);
        }
    }

    /// The message is at the node: handle it now, queue it, or drop it if the node is down.
    fn arrive(&mut self, slot: u32) {
        let to = self.envelopes[slot as usize]
            .as_ref()
            .expect("live envelope")
            .to;
        self.arrive_at(slot, to);
    }

    /// [`Sim::arrive`] for a caller that already knows the receiver.
    #[inline]
    fn arrive_at(&mut self, slot: u32, to: NodeId) {
        let state = &mut self.nodes[to.index()];
        if state.status == NodeStatus::Crashed {
            self.arrive_at_crashed(slot, to);
        } else if state.must_queue(self.now) {
            state.inbox.push_back(InboxItem::Deliver(slot));
            self.ensure_wake(to);
        } else {
            self.dispatch_message(slot);
        }
    }

    /// A message reaches a crashed node: dropped. A connection's SYN reaching a live machine
    /// whose process is dead is answered with a RST: the connection dies now and its opener
    /// learns it was refused one link delay later. A machine that is down answers nothing.
    #[cold]
    #[inline(never)]
    fn arrive_at_crashed(&mut self, slot: u32, to: NodeId) {
        let envelope = self.envelopes[slot as usize]
            .as_ref()
            .expect("live envelope");
        let refused = match (&envelope.payload, envelope.via) {
            (Payload::Syn, Via::Conn(conn)) if !self.nodes[to.index()].machine_down => {
                Some((conn, envelope.from))
            }
            _ => None,
        };
        self.drop_slot(slot, DropReason::NodeDown);
        let Some((conn, opener)) = refused else {
            return;
        };
        let topology = self.topology.as_mut().expect("started");
        // A RST that cannot get back leaves the opener waiting, as a lost SYN-ACK would.
        if !self.conns[conn.0 as usize].open || !topology.path_unblocked(to, opener) {
            return;
        }
        let latency = topology.link_mut(to, opener).config.latency;
        let at = self.now + latency.draw(&mut self.net_rng);
        self.kill_conn(conn);
        self.queue.push(at, EventKind::Refused(conn));
    }

    /// The RST answering `conn`'s SYN reached the opener (if it is still the same incarnation).
    pub(crate) fn on_refused(&mut self, conn: ConnId) {
        let c = &self.conns[conn.0 as usize];
        let (opener, peer) = (c.ends[0], c.ends[1]);
        if self.nodes[opener.index()].incarnation != c.incarnations[0] {
            return;
        }
        self.notify_closed(opener, conn, peer, CloseReason::Refused);
    }

    /// Hand a message to its receiver's handler. The per-message path: the delivery is
    /// hashed from the envelope's fields (its trace record is built only for sinks); frames
    /// and messages marked to fail go to [`Sim::dispatch_other`].
    pub(crate) fn dispatch_message(&mut self, slot: u32) {
        let envelope = self.take_envelope(slot);
        let failing = !self.targets.failing.is_empty()
            && self.targets.failing.iter().any(|(m, _)| *m == envelope.id);
        let Payload::Msg(msg) = &envelope.payload else {
            return self.dispatch_other(envelope);
        };
        if failing {
            return self.dispatch_other(envelope);
        }
        self.stats.deliveries += 1;
        let words = envelope.words(TraceKind::Deliver);
        let rec = || envelope.record(TraceKind::Deliver);
        self.tracer
            .emit_words(self.now, words, Some(msg), None, None, rec);
        let Envelope {
            id,
            from,
            to,
            via,
            payload: Payload::Msg(msg),
            ..
        } = envelope
        else {
            unreachable!("checked to be a message")
        };
        self.run_handler(to, Some(id), |actor, ctx| {
            actor.on_message(ctx, from, via, msg)
        });
    }

    /// A connection frame (SYN, FIN), or a message a targeted `Fail` marked.
    #[cold]
    #[inline(never)]
    fn dispatch_other(&mut self, envelope: Envelope<M>) {
        let rec = envelope.record(TraceKind::Deliver);
        let (to, from, via, cause) = (envelope.to, envelope.from, envelope.via, Some(envelope.id));
        match envelope.payload {
            Payload::Msg(msg) => self.answer_failed(rec, &msg, via),
            Payload::Syn => {
                let Via::Conn(conn) = via else {
                    unreachable!("SYN is a connection frame")
                };
                let c = &mut self.conns[conn.0 as usize];
                c.accepted = true;
                c.incarnations[1] = self.nodes[to.index()].incarnation;
                let mut rec = rec;
                rec.kind = TraceKind::ConnAccepted;
                self.tracer.emit(self.now, rec, None, None, None);
                let event = ConnEvent::Accepted { conn, peer: from };
                self.run_handler(to, cause, |actor, ctx| actor.on_connection(ctx, event));
            }
            Payload::Fin => {
                let Via::Conn(conn) = via else {
                    unreachable!("FIN is a connection frame")
                };
                self.kill_conn(conn);
                self.dispatch_closed(to, conn, from, CloseReason::ClosedByPeer);
            }
        }
    }

    /// A targeted `Fail`: the receiver does not handle the request; the model's error reply
    /// goes back in its stead, now, on the way it came (`target.rs`).
    #[cold]
    #[inline(never)]
    fn answer_failed(&mut self, rec: TraceRecord, msg: &M, via: Via) {
        let id = rec.msg_id.expect("a message has an id");
        let reply = self.targets.take_failing(id).expect("marked to fail");
        let (to, from) = (rec.node, rec.peer.expect("a message has a sender"));
        self.count_drop(DropReason::Failed);
        let mut rec = rec;
        rec.kind = TraceKind::Drop(DropReason::Failed);
        self.tracer.emit(self.now, rec, Some(msg), None, None);
        match via {
            Via::Conn(conn) => self.send_on_conn(to, conn, self.now, Some(id), Payload::Msg(reply)),
            Via::Datagram => self.send_datagram(to, from, self.now, Some(id), reply),
        }
    }

    /// A targeted `Reset`: the connection dies now and both ends that know it are told at
    /// `at` (the send time of the message that hit the target).
    pub(crate) fn reset_conn(&mut self, conn: ConnId, at: crate::time::SimTime) {
        let c = &mut self.conns[conn.0 as usize];
        if !c.open {
            return;
        }
        c.reset = true;
        let accepted = c.accepted;
        self.kill_conn(conn);
        for end in 0..2u8 {
            if end == 0 || accepted {
                self.queue.push(at, EventKind::PeerDown { conn, end });
            }
        }
    }

    /// Mark a connection dead and drop whatever it still holds.
    pub(crate) fn kill_conn(&mut self, conn: ConnId) {
        let c = &mut self.conns[conn.0 as usize];
        c.open = false;
        for slot in c.drain_queued() {
            self.drop_slot(slot, DropReason::ConnClosed);
        }
    }

    pub(crate) fn dispatch_closed(
        &mut self,
        node: NodeId,
        conn: ConnId,
        peer: NodeId,
        reason: CloseReason,
    ) {
        let mut rec = TraceRecord::new(TraceKind::ConnClosed, node, "closed");
        rec.peer = Some(peer);
        rec.conn = Some(conn);
        self.trace(rec);
        let event = ConnEvent::Closed { conn, peer, reason };
        self.run_handler(node, None, |actor, ctx| actor.on_connection(ctx, event));
    }

    /// Tell `node` that `conn` closed, now or when it gets to it.
    pub(crate) fn notify_closed(
        &mut self,
        node: NodeId,
        conn: ConnId,
        peer: NodeId,
        reason: CloseReason,
    ) {
        let state = &mut self.nodes[node.index()];
        if state.status == NodeStatus::Crashed {
            return;
        }
        if state.must_queue(self.now) {
            state
                .inbox
                .push_back(InboxItem::Closed { conn, peer, reason });
            self.ensure_wake(node);
        } else {
            self.dispatch_closed(node, conn, peer, reason);
        }
    }

    pub(crate) fn on_timer_due(&mut self, id: TimerId) {
        let Some(due) = self.ids.timers.peek(id) else {
            return;
        };
        let state = &mut self.nodes[due.node.index()];
        if due.incarnation != state.incarnation || state.status == NodeStatus::Crashed {
            self.ids.timers.cancel(id);
            return;
        }
        if state.must_queue(self.now) {
            state.inbox.push_back(InboxItem::Timer(id));
            self.ensure_wake(due.node);
        } else {
            self.dispatch_timer(id);
        }
    }

    pub(crate) fn dispatch_timer(&mut self, id: TimerId) {
        let Some(due) = self.ids.timers.fire(id) else {
            return;
        };
        self.stats.timers_fired += 1;
        let mut rec = TraceRecord::new(TraceKind::Timer, due.node, "timer");
        rec.bytes = due.tag;
        if self.tracer.has_sinks() {
            // Only pictures and trace files read the name; a run without sinks skips the call.
            rec.name = Some(self.actors[due.node.index()].timer_name(due.tag));
        }
        self.trace(rec);
        self.run_handler(due.node, None, |actor, ctx| {
            actor.on_timer(ctx, id, due.tag)
        });
    }

    /// The detection delay of a blocked connection elapsed.
    pub(crate) fn on_conn_check(&mut self, conn: ConnId) {
        let c = &mut self.conns[conn.0 as usize];
        if c.check_due != Some(self.now) {
            // Scheduled for a cut a heal ended: the current cut (if any) has its own check.
            return;
        }
        c.check_due = None;
        if !c.open {
            return;
        }
        let [a, b] = c.ends;
        if self
            .topology
            .as_ref()
            .expect("started")
            .path_unblocked(a, b)
        {
            return;
        }
        let (accepted, incarnations) = (c.accepted, c.incarnations);
        self.kill_conn(conn);
        for end in 0..2 {
            let node = [a, b][end];
            let known = end == 0 || accepted;
            if known && self.nodes[node.index()].incarnation == incarnations[end] {
                self.notify_closed(node, conn, [a, b][1 - end], CloseReason::Broken);
            }
        }
    }

    /// A peer crashed `detect` ago: tell the surviving end.
    pub(crate) fn on_peer_down(&mut self, conn: ConnId, end: usize) {
        let c = &self.conns[conn.0 as usize];
        let node = c.ends[end];
        if self.nodes[node.index()].incarnation != c.incarnations[end] {
            return;
        }
        let peer = c.ends[1 - end];
        let reason = if c.reset {
            CloseReason::Reset
        } else {
            CloseReason::PeerDown
        };
        self.notify_closed(node, conn, peer, reason);
    }
}
