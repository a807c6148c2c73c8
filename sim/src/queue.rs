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

/// A queued event: `(time, seq)` packed into one `u128` key (time in the high 64 bits) so the
/// heap compares one integer, and the kind packed into one `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Packed {
    key: u128,
    kind: u64,
}

impl PartialOrd for Packed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Packed {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// A popped event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub time: SimTime,
    pub seq: u64,
    pub kind: EventKind,
}

const TAG_BITS: u32 = 4;
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;

impl EventKind {
    /// Pack into one word: 4-bit tag, payload above it. Payloads are node ids (u32), envelope
    /// slots (u32), fault indexes (u32), timer ids (generation:28 | slot:32) and connection ids
    /// (< 2^59).
    fn pack(self) -> u64 {
        let (tag, payload) = match self {
            EventKind::Start(n) => (0, n.0 as u64),
            EventKind::Deliver(slot) => (1, slot as u64),
            EventKind::Timer(id) => (2, id.0),
            EventKind::Wake(n) => (3, n.0 as u64),
            EventKind::Fault(i) => (4, i as u64),
            EventKind::ConnCheck(c) => (5, c.0),
            EventKind::PeerDown { conn, end } => (6 + end as u64, conn.0),
            EventKind::Quiet => (8, 0),
        };
        debug_assert!(
            payload < 1 << (64 - TAG_BITS),
            "event payload too large to pack"
        );
        tag | payload << TAG_BITS
    }

    fn unpack(word: u64) -> EventKind {
        let payload = word >> TAG_BITS;
        match word & TAG_MASK {
            0 => EventKind::Start(NodeId(payload as u32)),
            1 => EventKind::Deliver(payload as u32),
            2 => EventKind::Timer(TimerId(payload)),
            3 => EventKind::Wake(NodeId(payload as u32)),
            4 => EventKind::Fault(payload as u32),
            5 => EventKind::ConnCheck(ConnId(payload)),
            6 => EventKind::PeerDown {
                conn: ConnId(payload),
                end: 0,
            },
            7 => EventKind::PeerDown {
                conn: ConnId(payload),
                end: 1,
            },
            _ => EventKind::Quiet,
        }
    }
}

#[derive(Default)]
pub struct EventQueue {
    heap: BinaryHeap<Packed>,
    next_seq: u64,
}

impl EventQueue {
    pub fn push(&mut self, time: SimTime, kind: EventKind) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = (time.0 as u128) << 64 | seq as u128;
        self.heap.push(Packed {
            key,
            kind: kind.pack(),
        });
    }

    pub fn pop(&mut self) -> Option<Event> {
        self.heap.pop().map(|p| Event {
            time: SimTime((p.key >> 64) as u64),
            seq: p.key as u64,
            kind: EventKind::unpack(p.kind),
        })
    }

    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|p| SimTime((p.key >> 64) as u64))
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

#[cfg(test)]
mod pack_tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_packing() {
        let kinds = [
            EventKind::Start(NodeId(7)),
            EventKind::Deliver(u32::MAX),
            EventKind::Timer(TimerId((5 << 32) | 9)),
            EventKind::Wake(NodeId(3)),
            EventKind::Fault(12),
            EventKind::ConnCheck(ConnId(1 << 40)),
            EventKind::PeerDown {
                conn: ConnId(4),
                end: 0,
            },
            EventKind::PeerDown {
                conn: ConnId(4),
                end: 1,
            },
            EventKind::Quiet,
        ];
        for k in kinds {
            assert_eq!(EventKind::unpack(k.pack()), k);
        }
    }
}

#[cfg(test)]
mod heap_property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Interleaved pushes and pops always pop the least (time, seq), like a sorted list.
        #[test]
        fn pops_in_time_then_sequence_order(ops in proptest::collection::vec(proptest::option::of(0u64..50), 1..400)) {
            let mut queue = EventQueue::default();
            let mut reference: Vec<(u64, u64)> = Vec::new();
            let mut seq = 0;
            for op in ops {
                match op {
                    Some(t) => {
                        queue.push(SimTime(t), EventKind::Fault(seq as u32));
                        reference.push((t, seq));
                        seq += 1;
                    }
                    None => {
                        reference.sort();
                        let expected = if reference.is_empty() { None } else { Some(reference.remove(0)) };
                        let got = queue.pop().map(|e| (e.time.0, e.seq));
                        prop_assert_eq!(got, expected);
                    }
                }
            }
        }
    }
}
