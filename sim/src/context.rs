//! The handler context: the only way an actor affects the world.

use crate::id::{ConnId, NodeId, TimerId};
use crate::message::Message;
use crate::rng::RngStream;
use crate::time::{SimDuration, SimTime};

/// A command written by a handler, carried out by the kernel when the handler returns.
#[derive(Debug)]
pub enum Command<M, H> {
    Send {
        to: NodeId,
        msg: M,
    },
    SendConn {
        conn: ConnId,
        msg: M,
    },
    Connect {
        conn: ConnId,
        to: NodeId,
    },
    Close {
        conn: ConnId,
    },
    SetTimer {
        id: TimerId,
        after: SimDuration,
        tag: u64,
    },
    CancelTimer {
        id: TimerId,
    },
    Record {
        event: H,
    },
    Sometimes {
        name: &'static str,
    },
}

/// Identifier allocation shared between the kernel and contexts, so that ids are returned at once.
#[derive(Debug, Default)]
pub struct IdAlloc {
    pub(crate) next_conn: u64,
    pub(crate) timers: crate::timer::TimerSlab,
}

/// What a handler may do. Effects apply after the handler returns, at `now() + busy` — the
/// moment the node finishes the work it declared with [`Ctx::busy`].
pub struct Ctx<'a, M, H> {
    pub(crate) node: NodeId,
    pub(crate) now: SimTime,
    pub(crate) local_now: SimTime,
    pub(crate) incarnation: u32,
    pub(crate) busy: SimDuration,
    pub(crate) quiet: bool,
    pub(crate) rng: &'a mut RngStream,
    pub(crate) commands: &'a mut Vec<Command<M, H>>,
    pub(crate) ids: &'a mut IdAlloc,
    pub(crate) node_names: &'a [String],
}

impl<M: Message, H> Ctx<'_, M, H> {
    /// This node.
    pub fn me(&self) -> NodeId {
        self.node
    }
    /// Simulated time at the start of this handler (the true clock; use for measurements).
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// This node's own clock, which may be skewed or drifting (record timestamps, stream ids,
    /// anything the real system reads from the host clock).
    pub fn local_now(&self) -> SimTime {
        self.local_now
    }
    /// True once the run's quiet phase started (faults healed; clients usually wind down).
    pub fn in_quiet_phase(&self) -> bool {
        self.quiet
    }
    /// This node's private random stream.
    pub fn rng(&mut self) -> &mut RngStream {
        self.rng
    }
    /// The name of a node, as given in the scenario.
    pub fn node_name(&self, node: NodeId) -> &str {
        &self.node_names[node.index()]
    }
    /// Number of nodes in the simulation.
    pub fn node_count(&self) -> usize {
        self.node_names.len()
    }
    /// Look a node up by name.
    pub fn node_by_name(&self, name: &str) -> Option<NodeId> {
        self.node_names
            .iter()
            .position(|n| n == name)
            .map(|i| NodeId(i as u32))
    }

    /// Declare that this handler's work takes `d` of processing time. The node handles nothing
    /// else until then (arrivals queue), and every effect of the handler happens at its end.
    /// Calls add up.
    pub fn busy(&mut self, d: SimDuration) {
        self.busy = self.busy + d;
    }
    /// Processing time declared so far in this handler.
    pub fn busy_so_far(&self) -> SimDuration {
        self.busy
    }

    /// Send a datagram to `to` (subject to the link's loss, duplication and delay).
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.commands.push(Command::Send { to, msg });
    }
    /// Send on an open connection: ordered and reliable while the connection is up.
    pub fn send_conn(&mut self, conn: ConnId, msg: M) {
        self.commands.push(Command::SendConn { conn, msg });
    }
    /// Open a connection to `to`. It is usable at once (sends queue in order behind the
    /// handshake); the peer gets [`crate::ConnEvent::Accepted`] when the handshake arrives.
    pub fn connect(&mut self, to: NodeId) -> ConnId {
        let conn = ConnId(self.ids.next_conn);
        self.ids.next_conn += 1;
        self.commands.push(Command::Connect { conn, to });
        conn
    }
    /// Close a connection; the peer learns after every message already sent has arrived.
    pub fn close(&mut self, conn: ConnId) {
        self.commands.push(Command::Close { conn });
    }
    /// Fire `on_timer(tag)` after `after` (counted from the end of this handler's busy time).
    pub fn set_timer(&mut self, after: SimDuration, tag: u64) -> TimerId {
        let id = self.ids.timers.allocate(self.node, self.incarnation, tag);
        self.commands.push(Command::SetTimer { id, after, tag });
        id
    }
    /// Cancel a timer; cancelling one that already fired is harmless.
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.commands.push(Command::CancelTimer { id });
    }
    /// Record a client-observed history event (Jepsen-style) for the checkers and the trace.
    pub fn record(&mut self, event: H) {
        self.commands.push(Command::Record { event });
    }
    /// Count a "sometimes" coverage probe: proof that a run reached an interesting state.
    pub fn sometimes(&mut self, name: &'static str) {
        self.commands.push(Command::Sometimes { name });
    }
}
