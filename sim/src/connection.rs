//! TCP-like connections: ordered and lossless while up. Each direction numbers its messages; the
//! receiver delivers strictly in that order (a reorder buffer absorbs messages that were held by
//! a partition or clog and sent again). A partition that outlasts the detection delay, or a crash
//! of either end, breaks the connection and both surviving ends are told.

use crate::id::NodeId;
use crate::time::SimTime;
use std::collections::BTreeMap;

/// One direction of a connection.
#[derive(Debug, Default)]
pub struct Direction {
    pub next_send_seq: u64,
    pub next_deliver_seq: u64,
    /// Arrival time of the last message scheduled in this direction (keeps arrivals monotonic).
    pub last_arrival: SimTime,
    /// Messages that reached a blocked or clogged path, waiting to be sent again (seq, slot).
    pub held: Vec<(u64, u32)>,
    /// Messages that arrived ahead of a missing one (seq → slot).
    pub pending: BTreeMap<u64, u32>,
}

/// A connection between an opener (`ends[0]`) and an acceptor (`ends[1]`).
#[derive(Debug)]
pub struct Connection {
    pub ends: [NodeId; 2],
    /// Incarnation of each end when it joined the connection: a restarted node is never told
    /// about its previous life's connections.
    pub incarnations: [u32; 2],
    /// The acceptor has seen the handshake (and so knows the connection exists).
    pub accepted: bool,
    pub open: bool,
    /// The end that called `close` (its later sends are dropped), if any.
    pub closed_by: Option<usize>,
    /// When the detection check of the current cut falls due (`None`: no check scheduled). A
    /// heal clears it, so a check scheduled for an earlier cut does not break the connection
    /// early after a new one.
    pub check_due: Option<SimTime>,
    /// A targeted fault reset it: its ends are told `CloseReason::Reset`.
    pub reset: bool,
    pub dirs: [Direction; 2],
}

impl Connection {
    pub fn new(opener: NodeId, opener_incarnation: u32, acceptor: NodeId) -> Connection {
        Connection {
            ends: [opener, acceptor],
            incarnations: [opener_incarnation, 0],
            accepted: false,
            open: true,
            closed_by: None,
            check_due: None,
            reset: false,
            dirs: [Direction::default(), Direction::default()],
        }
    }

    /// Which end `node` is (0 opener, 1 acceptor), if any. A self-connection counts as end 0.
    pub fn end_of(&self, node: NodeId) -> Option<usize> {
        if self.ends[0] == node {
            Some(0)
        } else if self.ends[1] == node {
            Some(1)
        } else {
            None
        }
    }

    pub fn peer_of(&self, end: usize) -> NodeId {
        self.ends[1 - end]
    }

    /// Every slot still held or pending in either direction (to drop when the connection dies).
    pub fn drain_queued(&mut self) -> Vec<u32> {
        let mut slots = Vec::new();
        for dir in &mut self.dirs {
            slots.extend(dir.held.drain(..).map(|(_, s)| s));
            slots.extend(std::mem::take(&mut dir.pending).into_values());
        }
        slots
    }
}
