//! The actor trait. Actors are sans-I/O state machines: handlers never block, never read the wall
//! clock and never touch the network; they write commands (send, connect, set a timer, record a
//! history event, declare processing time) into a [`Ctx`], which the kernel carries out after the
//! handler returns.

use crate::context::Ctx;
use crate::id::{ConnId, NodeId, TimerId};
use crate::message::{Message, Via};
use std::any::Any;

/// How a node went down. The model decides what each kind does to its durable state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CrashKind {
    /// Process killed, operating system alive: everything written survives.
    Process,
    /// Power loss / kernel panic: whatever the model has not flushed is lost.
    LoseUnflushed,
}

/// Why a connection closed, as seen by one of its ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The peer called `close`; every message it sent before arrived first.
    ClosedByPeer,
    /// The path stayed partitioned past the detection delay (counted from the cut; a heal
    /// restarts the count). A clog only holds messages: it never breaks a connection.
    Broken,
    /// The peer went down. A killed process's operating system closes its sockets, so the
    /// FIN/RST reaches this end one link delay later; a machine that lost power sends nothing,
    /// so this end notices after the detection delay (TCP retransmission timeout or keepalive),
    /// as it does when the path is cut when the peer dies.
    PeerDown,
    /// The connect was refused: the peer's machine is up but no process listens (the process
    /// crashed), so its operating system answered the SYN with a RST — one round trip after the
    /// attempt. A machine that is down, or cut off, does not answer: the attempt times out in
    /// the model's own connect timeout.
    Refused,
    /// A targeted `Reset` fault: the connection was reset (RST) and both ends learn it at once.
    Reset,
}

/// Connection lifecycle notifications delivered to an actor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnEvent {
    /// A peer opened `conn` to this node (its first bytes arrived).
    Accepted { conn: ConnId, peer: NodeId },
    /// `conn` is gone; nothing more will be delivered on it and sends on it are dropped.
    Closed {
        conn: ConnId,
        peer: NodeId,
        reason: CloseReason,
    },
}

/// A simulated process. `M` is the model's message type, `H` its history-event type.
pub trait Actor<M: Message, H>: Any {
    /// Called when the node starts, and again on every restart after a crash.
    fn on_start(&mut self, ctx: &mut Ctx<'_, M, H>);
    /// A message arrived.
    fn on_message(&mut self, ctx: &mut Ctx<'_, M, H>, from: NodeId, via: Via, msg: M);
    /// A timer set by this actor fired; `tag` is the value given to `set_timer`.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, M, H>, timer: TimerId, tag: u64);
    /// What a timer with this tag is for (`heartbeat`, `retry`), shown in trace files and
    /// pictures; never hashed. Default: `timer`.
    fn timer_name(&self, _tag: u64) -> &'static str {
        "timer"
    }
    /// A connection opened by a peer, or closed. Default: ignore.
    fn on_connection(&mut self, _ctx: &mut Ctx<'_, M, H>, _event: ConnEvent) {}
    /// The run entered its quiet phase: faults are healed and stop. Clients usually stop issuing
    /// new work here so liveness can be checked. Default: ignore.
    fn on_quiet(&mut self, _ctx: &mut Ctx<'_, M, H>) {}
    /// The node crashed. Drop every volatile field; with [`CrashKind::LoseUnflushed`] also cut
    /// durable state back to what was flushed. Timers, connections and queued input are dropped by
    /// the kernel. `on_start` runs again at restart.
    fn on_crash(&mut self, kind: CrashKind);
    /// For inspection after (or during) a run: downcast with `as_any().downcast_ref::<T>()`.
    fn as_any(&self) -> &dyn Any;
}
