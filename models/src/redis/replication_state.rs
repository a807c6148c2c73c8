//! The replication state a server keeps: the backlog, a replica's link to its primary, the
//! primary's view of each replica, blocked WAITs and blocked stream reads (`blocking.rs`). The protocol that drives them is in
//! `replication.rs`.

use super::msg::ReplEntry;
use msgsim_sim::{ConnId, NodeId};
use std::collections::VecDeque;

/// The replication backlog: the last `capacity` bytes of the stream, as whole entries.
#[derive(Debug)]
pub struct Backlog {
    pub entries: VecDeque<ReplEntry>,
    pub bytes: u64,
    pub capacity: u64,
    /// Offset just before the first entry held.
    pub start: u64,
}

impl Backlog {
    pub fn new(capacity: u64, start: u64) -> Backlog {
        Backlog {
            entries: VecDeque::new(),
            bytes: 0,
            capacity,
            start,
        }
    }
    pub(super) fn push(&mut self, e: ReplEntry) {
        self.bytes += e.bytes;
        self.entries.push_back(e);
        while self.bytes > self.capacity && self.entries.len() > 1 {
            let old = self.entries.pop_front().expect("non-empty");
            self.bytes -= old.bytes;
            self.start = old.end_offset;
        }
    }
}

/// A replica's link to its primary.
#[derive(Debug)]
pub struct MasterLink {
    pub conn: ConnId,
    pub online: bool,
    pub down_since_ms: u64,
    pub last_io_ms: u64,
    /// The next Stream message replays the backlog (PUBLISHes in it are late).
    pub replay_next: bool,
    /// The link was lost and a reconnect is scheduled: losing it again (the replica's own
    /// repl-timeout and the primary's close both seen after a pause) schedules no second one.
    pub reconnect_pending: bool,
}

/// A replica as its primary sees it.
#[derive(Debug)]
pub struct ReplicaLink {
    pub node: NodeId,
    pub online: bool,
    pub ack_off: u64,
    pub ack_s: u64,
}

/// A blocked WAIT.
#[derive(Debug)]
pub struct WaitBlock {
    pub conn: ConnId,
    pub id: u64,
    pub woff: u64,
    pub num: u32,
    pub timer: msgsim_sim::TimerId,
}

/// A blocked XREAD / XREADGROUP: the command as sent, run again when its key gets an entry.
#[derive(Debug)]
pub struct StreamBlock {
    pub conn: ConnId,
    pub id: u64,
    pub cmd: super::msg::Cmd,
    pub timer: msgsim_sim::TimerId,
}
