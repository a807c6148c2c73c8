//! Per-node kernel state: lifecycle, processing queue and clock.

use crate::actor::CloseReason;
use crate::id::{ConnId, NodeId, TimerId};
use crate::rng::RngStream;
use crate::time::SimTime;
use std::collections::VecDeque;

/// Lifecycle of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeStatus {
    Up,
    /// Process gone: volatile state, timers, queued input and connections were dropped.
    Crashed,
    /// Frozen (GC pause, SIGSTOP): input queues up and is handled on resume, against stale state.
    Paused,
}

/// Work waiting for a busy or paused node, in arrival order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboxItem {
    Deliver(u32),
    Timer(TimerId),
    /// A connection closed; the node is told when it gets to this item.
    Closed {
        conn: ConnId,
        peer: NodeId,
        reason: CloseReason,
    },
}

/// A node's clock: `local = t + offset + (t - drift_since) * drift_ppm / 1e6`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClockSkew {
    pub offset_ns: i64,
    pub drift_ppm: i64,
    pub drift_since: SimTime,
}

impl ClockSkew {
    pub fn local(&self, t: SimTime) -> SimTime {
        if self.drift_ppm == 0 {
            // Fast path (the common case): no 128-bit arithmetic.
            return SimTime(t.0.saturating_add_signed(self.offset_ns));
        }
        let elapsed = t.0.saturating_sub(self.drift_since.0) as i128;
        let drift = elapsed * self.drift_ppm as i128 / 1_000_000;
        let local = t.0 as i128 + self.offset_ns as i128 + drift;
        SimTime(local.clamp(0, u64::MAX as i128) as u64)
    }
}

pub struct NodeState {
    pub name: String,
    pub status: NodeStatus,
    /// Bumped at every crash; timers of an older incarnation never fire.
    pub incarnation: u32,
    /// Crashed by a power loss (`CrashKind::LoseUnflushed`): the whole machine is down, so it
    /// answers nothing (no RST) until it restarts. A crashed process on a live machine refuses
    /// connections instead.
    pub machine_down: bool,
    /// The node is processing until then (declared with `Ctx::busy`).
    pub busy_until: SimTime,
    pub inbox: VecDeque<InboxItem>,
    pub wake_scheduled: bool,
    pub rng: RngStream,
    pub clock: ClockSkew,
}

impl NodeState {
    pub fn new(name: String, rng: RngStream) -> NodeState {
        NodeState {
            name,
            status: NodeStatus::Up,
            incarnation: 0,
            machine_down: false,
            busy_until: SimTime::ZERO,
            inbox: VecDeque::new(),
            wake_scheduled: false,
            rng,
            clock: ClockSkew::default(),
        }
    }

    /// True when an arrival at `now` must wait in the inbox.
    pub fn must_queue(&self, now: SimTime) -> bool {
        self.status == NodeStatus::Paused || self.busy_until > now || !self.inbox.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_offset_and_drift() {
        let skew = ClockSkew {
            offset_ns: -5_000,
            drift_ppm: 100,
            drift_since: SimTime(1_000_000),
        };
        assert_eq!(skew.local(SimTime(1_000_000)), SimTime(995_000));
        // 1 s after drift starts, 100 ppm = 100 µs ahead.
        assert_eq!(
            skew.local(SimTime(1_001_000_000)),
            SimTime(1_001_000_000 - 5_000 + 100_000)
        );
        let behind = ClockSkew {
            offset_ns: -10,
            ..ClockSkew::default()
        };
        assert_eq!(behind.local(SimTime(3)), SimTime(0));
    }
}
