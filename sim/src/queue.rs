//! The event queue: a binary min-heap ordered by (time, sequence). Sequence numbers are assigned
//! when an event is scheduled, so events at equal times run in the order they were scheduled
//! (FIFO), as in FoundationDB's ready queue. Time jumps straight to the next event.

use crate::id::{ConnId, NodeId, TimerId};
use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What happens when an event comes due. A closed set: the loop matches on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A node starts (at time zero, or on restart).
    Start(NodeId),
    /// An in-flight message (envelope slot) reaches its destination.
    Deliver(u32),
    /// A timer comes due.
    Timer(TimerId),
    /// A busy node finished its work: handle the next queued item.
    Wake(NodeId),
    /// Apply fault number `n` of the schedule.
    Fault(u32),
    /// Detection delay of a blocked connection elapsed: break it if still blocked.
    ConnCheck(ConnId),
    /// Tell end `end` of a connection that its peer is gone.
    PeerDown { conn: ConnId, end: u8 },
    /// The quiet phase starts.
    Quiet,
}

#[derive(Clone, Copy, Debug)]
pub struct Event {
    pub time: SimTime,
    pub seq: u64,
    pub kind: EventKind,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

#[derive(Default)]
pub struct EventQueue {
    heap: BinaryHeap<Event>,
    next_seq: u64,
}

impl EventQueue {
    pub fn push(&mut self, time: SimTime, kind: EventKind) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Event { time, seq, kind });
    }

    pub fn pop(&mut self) -> Option<Event> {
        self.heap.pop()
    }

    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_then_fifo() {
        let mut q = EventQueue::default();
        q.push(SimTime(5), EventKind::Wake(NodeId(0)));
        q.push(SimTime(1), EventKind::Wake(NodeId(1)));
        q.push(SimTime(5), EventKind::Wake(NodeId(2)));
        q.push(SimTime(1), EventKind::Wake(NodeId(3)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|e| e.kind).collect();
        assert_eq!(
            order,
            [1, 3, 0, 2].map(|n| EventKind::Wake(NodeId(n))).to_vec(),
            "time first, then scheduling order"
        );
    }
}
