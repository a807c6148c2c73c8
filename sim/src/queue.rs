//! The event queue: a binary min-heap ordered by (time, sequence). Sequence numbers are assigned
//! when an event is scheduled, so events at equal times run in the order they were scheduled
//! (FIFO), as in FoundationDB's ready queue. Time jumps straight to the next event.
//!
//! Beside the heap the queue keeps one *run*: the events one handler scheduled together when
//! they are many (a fan-out to tens of subscribers), sorted once and popped from the end. Every
//! pop takes the least of the heap's top and the run's next, so the order is exactly the one the
//! heap alone gives; a fan-out just skips a heap push and a heap pop per message.

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

/// A handler scheduling at least this many events makes them the run.
pub const MIN_RUN: usize = 8;

/// Runs up to this long, spanning less than 2^`RANK_OFFSET_BITS` ns (67 ms), are placed by rank
/// (quadratic but branch-free, in 32-bit words: 26 bits of time offset, 5 of index); others are
/// sorted.
const RANK_SORT_MAX: usize = 32;
const RANK_OFFSET_BITS: u32 = 26;

/// Sort words in decreasing order. Runs are a few tens of words: insertion sort beats the
/// general sort's setup there.
fn insertion_sort_decreasing(words: &mut [u64]) {
    for i in 1..words.len() {
        let w = words[i];
        let mut j = i;
        while j > 0 && words[j - 1] < w {
            words[j] = words[j - 1];
            j -= 1;
        }
        words[j] = w;
    }
}

#[derive(Default)]
pub struct EventQueue {
    heap: BinaryHeap<Packed>,
    /// The run: sorted by decreasing key (the next event is last); keys are distinct.
    run: Vec<Packed>,
    /// Pushes go to the run (between `begin_run` and `end_run`).
    filling_run: bool,
    /// Scratch for ordering a run: `(time - earliest) << 16 | index` words (32-bit ones for the
    /// rank placement), and the unsorted run's buffer (kept for its allocation).
    order: Vec<u64>,
    order32: Vec<u32>,
    spare: Vec<Packed>,
    next_seq: u64,
}

impl EventQueue {
    // Always inlined: the per-message path (an out-of-line call here costs more than the push).
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, kind: EventKind) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = (time.0 as u128) << 64 | seq as u128;
        let packed = Packed {
            key,
            kind: kind.pack(),
        };
        if self.filling_run {
            self.run.push(packed);
        } else {
            self.heap.push(packed);
        }
    }

    /// The following pushes (one handler's, [`MIN_RUN`] or more) form the new run; what is
    /// left of the old one (usually nothing, or a far timer) moves to the heap.
    pub fn begin_run(&mut self) {
        debug_assert!(!self.filling_run, "runs do not nest");
        for packed in self.run.drain(..) {
            self.heap.push(packed);
        }
        self.filling_run = true;
    }

    /// Close the run: sort it so that its next event is last.
    pub fn end_run(&mut self) {
        self.filling_run = false;
        let run = &mut self.run;
        if run.is_empty() {
            return;
        }
        // One pass, with selects rather than branches (the times come in random order).
        let (earliest, latest) = run.iter().fold((u64::MAX, 0), |(lo, hi), p| {
            let time = (p.key >> 64) as u64;
            (lo.min(time), hi.max(time))
        });
        // The run's sequence numbers are consecutive in push order, so while its times span
        // less than 2^47 ns and it has fewer than 2^16 events, `(time - earliest) << 16 |
        // index` orders it exactly as (time, seq) does; sorting those words is cheaper than
        // sorting the 32-byte entries.
        if latest - earliest >= 1 << 47 || run.len() >= 1 << 16 {
            run.sort_unstable_by_key(|p| std::cmp::Reverse(p.key));
            return;
        }
        if run.len() <= RANK_SORT_MAX && latest - earliest < 1 << RANK_OFFSET_BITS {
            // Each entry's place is the number of larger words: a count without branches (a
            // fan-out's arrival order is random, so a comparison sort's branches would miss
            // about once per entry). The words are `(time - earliest) << 5 | index` in 32 bits,
            // as exact an order as the 64-bit words below for such a run, and counted four at a
            // time by the vectorised loop.
            let words = &mut self.order32;
            words.clear();
            words.extend(
                run.iter()
                    .enumerate()
                    .map(|(i, p)| (((p.key >> 64) as u64 - earliest) as u32) << 5 | i as u32),
            );
            let sorted = &mut self.spare;
            sorted.clear();
            sorted.resize(run.len(), Packed { key: 0, kind: 0 });
            for (entry, &w) in run.iter().zip(words.iter()) {
                let rank = words.iter().map(|&x| (x > w) as u32).sum::<u32>();
                sorted[rank as usize] = *entry;
            }
            std::mem::swap(run, sorted);
            return;
        }
        self.order.clear();
        self.order.extend(
            run.iter()
                .enumerate()
                .map(|(i, p)| ((p.key >> 64) as u64 - earliest) << 16 | i as u64),
        );
        insertion_sort_decreasing(&mut self.order);
        let unsorted = std::mem::replace(run, std::mem::take(&mut self.spare));
        run.clear();
        run.extend(self.order.iter().map(|w| unsorted[(w & 0xffff) as usize]));
        self.spare = unsorted;
    }

    pub fn pop(&mut self) -> Option<Event> {
        self.pop_until(None)
    }

    /// Pop the earliest event if it is due no later than `end` (`None`: no bound).
    #[inline(always)]
    pub fn pop_until(&mut self, end: Option<SimTime>) -> Option<Event> {
        let from_run = match (self.run.last(), self.heap.peek()) {
            (Some(r), Some(h)) => r.key < h.key,
            (r, _) => r.is_some(),
        };
        let top = if from_run {
            self.run.last()
        } else {
            self.heap.peek()
        }?;
        if end.is_some_and(|end| (top.key >> 64) as u64 > end.0) {
            return None;
        }
        let p = if from_run {
            self.run.pop()
        } else {
            self.heap.pop()
        }
        .expect("peeked");
        Some(Event {
            time: SimTime((p.key >> 64) as u64),
            seq: p.key as u64,
            kind: EventKind::unpack(p.kind),
        })
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.run.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
mod run_property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Runs (made while an older run still holds events, or not) interleaved with single
        /// pushes and pops pop exactly like a sorted list.
        #[test]
        fn runs_pop_in_time_then_sequence_order(
            ops in proptest::collection::vec(
                proptest::option::of(proptest::collection::vec(0u64..40, 1..60)), 1..200)
        ) {
            let mut queue = EventQueue::default();
            let mut reference: Vec<(u64, u64)> = Vec::new();
            let mut seq = 0;
            for op in ops {
                match op {
                    Some(times) => {
                        let run = times.len() >= MIN_RUN;
                        if run {
                            queue.begin_run();
                        }
                        for t in times {
                            // Some far times: a run then spans more than the fast sort allows.
                            let t = if t == 39 { 1 << 50 } else { t };
                            queue.push(SimTime(t), EventKind::Fault(seq as u32));
                            reference.push((t, seq));
                            seq += 1;
                        }
                        if run {
                            queue.end_run();
                        }
                    }
                    None => {
                        reference.sort();
                        let expected = if reference.is_empty() { None } else { Some(reference.remove(0)) };
                        let got = queue.pop().map(|e| (e.time.0, e.seq));
                        prop_assert_eq!(got, expected);
                    }
                }
                prop_assert_eq!(queue.len(), reference.len());
            }
            reference.sort();
            let rest: Vec<_> = std::iter::from_fn(|| queue.pop()).map(|e| (e.time.0, e.seq)).collect();
            prop_assert_eq!(rest, reference);
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
