//! The event queue: events in `(time, seq)` order. Sequence numbers are assigned when an event
//! is scheduled, so events at equal times run in the order they were scheduled (FIFO), as in
//! FoundationDB's ready queue. Time jumps straight to the next event.
//!
//! Events wait in [`levels`] (a timing wheel of 64 ns buckets over the next 262 µs and a
//! radix-64 heap above it: a push and a pop cost a few bit operations, no sift). Beside the levels the queue keeps one *run*: the events of a handler
//! that scheduled many at once (a fan-out to tens of subscribers), put in order once and popped
//! from the end, skipping the levels altogether. A pop takes the least of the levels' next and
//! the run's next, so the order is exactly `(time, seq)` (property tests check it against a
//! sorted list). The levels take no event before their `now`; a push before it (possible
//! through the public API, never in a simulation run, which schedules nothing before the event
//! it handles) goes to a small binary heap, also compared at each pop while it holds events.

mod levels;

use crate::id::{ConnId, NodeId, TimerId};
use crate::time::SimTime;
use levels::{Entry, Levels};
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
    /// The RST answering a connection's SYN reaches its opener: the connect was refused.
    Refused(ConnId),
    /// The quiet phase starts.
    Quiet,
}

/// A run or early event: `(time, seq)` packed into one `u128` key (time in the high 64 bits) and
/// the kind packed into one `u64`.
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
            EventKind::Refused(c) => (9, c.0),
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
            9 => EventKind::Refused(ConnId(payload)),
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

impl Packed {
    #[inline(always)]
    fn entry(self) -> Entry {
        Entry {
            time: (self.key >> 64) as u64,
            seq: self.key as u64,
            kind: self.kind,
        }
    }
}

impl Entry {
    #[inline(always)]
    fn event(self) -> Event {
        Event {
            time: SimTime(self.time),
            seq: self.seq,
            kind: EventKind::unpack(self.kind),
        }
    }
}

#[derive(Default)]
pub struct EventQueue {
    levels: Levels,
    /// The run: sorted by decreasing key (the next event is last); keys are distinct.
    run: Vec<Packed>,
    /// Pushes go to the run (between `begin_run` and `end_run`).
    filling_run: bool,
    /// Scratch for ordering a run: `(time - earliest) << 16 | index` words (32-bit ones for the
    /// rank placement), and the unsorted run's buffer (kept for its allocation).
    order: Vec<u64>,
    order32: Vec<u32>,
    spare: Vec<Packed>,
    /// Events pushed before the levels' `now`.
    early: BinaryHeap<Packed>,
    len: usize,
    next_seq: u64,
}

impl EventQueue {
    // Always inlined: the per-message path (an out-of-line call here costs more than the push).
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, kind: EventKind) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.len += 1;
        let entry = Entry {
            time: time.0,
            seq,
            kind: kind.pack(),
        };
        if self.filling_run {
            self.run.push(Packed {
                key: entry.key(),
                kind: entry.kind,
            });
        } else {
            self.insert(entry);
        }
    }

    #[inline(always)]
    fn insert(&mut self, entry: Entry) {
        if entry.time >= self.levels.now() {
            self.levels.insert(entry);
        } else {
            self.push_early(entry);
        }
    }

    #[cold]
    #[inline(never)]
    fn push_early(&mut self, entry: Entry) {
        self.early.push(Packed {
            key: entry.key(),
            kind: entry.kind,
        });
    }

    /// The following pushes (one handler's, [`MIN_RUN`] or more) form the new run; what is
    /// left of the old one (usually nothing, or a far timer) moves to the levels.
    pub fn begin_run(&mut self) {
        debug_assert!(!self.filling_run, "runs do not nest");
        while let Some(packed) = self.run.pop() {
            let entry = packed.entry();
            if entry.time >= self.levels.now() {
                self.levels.insert(entry);
            } else {
                self.push_early(entry);
            }
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
        if !self.run.is_empty() || !self.early.is_empty() {
            return self.pop_mixed(end);
        }
        // The levels alone.
        let head = match self.levels.head() {
            Some(head) => head,
            None => {
                while self.levels.can_cascade() {
                    self.levels.cascade(u64::MAX);
                }
                self.levels.head()?
            }
        };
        self.take_head(head, end)
    }

    #[inline(always)]
    fn take_head(&mut self, entry: Entry, end: Option<SimTime>) -> Option<Event> {
        if end.is_some_and(|end| entry.time > end.0) {
            return None;
        }
        self.levels.pop_head(entry.time);
        self.len -= 1;
        Some(entry.event())
    }

    /// A pop while the run or the early heap holds events: the least of their next and the
    /// levels' next. The levels cascade only when the other next is not already earlier than
    /// anything they hold, and then no further than it, so that their `now` never passes an
    /// event still to pop.
    #[inline(never)]
    fn pop_mixed(&mut self, end: Option<SimTime>) -> Option<Event> {
        let run = self.run.last().copied();
        let early = self.early.peek().copied();
        let (other, from_run) = match (run, early) {
            (Some(r), Some(e)) if e.key < r.key => (e.entry(), false),
            (Some(r), _) => (r.entry(), true),
            (None, Some(e)) => (e.entry(), false),
            (None, None) => unreachable!("pop_mixed with neither a run nor early events"),
        };
        while self.levels.can_cascade()
            && self.levels.lower_bound().is_some_and(|lb| other.time >= lb)
        {
            self.levels.cascade(other.time);
        }
        if let Some(head) = self.levels.head()
            && head.key() < other.key()
        {
            return self.take_head(head, end);
        }
        if end.is_some_and(|end| other.time > end.0) {
            return None;
        }
        if from_run {
            self.run.pop();
        } else {
            self.early.pop();
        }
        self.len -= 1;
        Some(other.event())
    }

    pub fn len(&self) -> usize {
        self.len
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
            EventKind::Refused(ConnId(1 << 40)),
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
    use proptest::test_runner::TestCaseError;

    /// Replay `ops` (`Some(draws)`: push one event per draw, at `time(draw, now)`, as a run when
    /// there are [`MIN_RUN`] or more; `None`: pop) on a queue and on a sorted list, and check
    /// that they pop the same `(time, seq)` in the same order. `now` is the last popped time.
    pub(super) fn replay(
        ops: Vec<Option<Vec<u64>>>,
        time: impl Fn(u64, u64) -> u64,
    ) -> Result<(), TestCaseError> {
        let mut queue = EventQueue::default();
        let mut reference: Vec<(u64, u64)> = Vec::new();
        let mut seq = 0;
        let mut now = 0;
        for op in ops {
            match op {
                Some(draws) => {
                    let run = draws.len() >= MIN_RUN;
                    if run {
                        queue.begin_run();
                    }
                    for d in draws {
                        let t = time(d, now);
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
                    let expected = if reference.is_empty() {
                        None
                    } else {
                        Some(reference.remove(0))
                    };
                    let got = queue.pop().map(|e| (e.time.0, e.seq));
                    prop_assert_eq!(got, expected);
                    if let Some((t, _)) = got {
                        now = t;
                    }
                }
            }
            prop_assert_eq!(queue.len(), reference.len());
        }
        reference.sort();
        let rest: Vec<_> = std::iter::from_fn(|| queue.pop())
            .map(|e| (e.time.0, e.seq))
            .collect();
        prop_assert_eq!(rest, reference);
        Ok(())
    }

    proptest! {
        /// Runs (made while an older run still holds events, or not) interleaved with single
        /// pushes and pops pop exactly like a sorted list.
        #[test]
        fn runs_pop_in_time_then_sequence_order(
            ops in proptest::collection::vec(
                proptest::option::of(proptest::collection::vec(0u64..40, 1..60)), 1..200)
        ) {
            // Some far times: a run then spans more than the fast sort allows.
            replay(ops, |t, _| if t == 39 { 1 << 50 } else { t })?;
        }

        /// Runs far from time zero order the same: the compact sort words subtract the run's
        /// earliest time, so they must not depend on where the run sits (a 32-bit rank word
        /// wraps at 2^27 ns, a 64-bit one at 2^48 if the time were added instead).
        #[test]
        fn runs_far_from_time_zero_pop_in_order(
            base in 0u64..(1 << 49),
            ops in proptest::collection::vec(
                proptest::option::of(proptest::collection::vec(0u64..40, 1..60)), 1..60)
        ) {
            // Spans up to 39² × 40,000 ns ≈ 61 ms: below the rank placement's 2^26 ns limit.
            replay(ops, |d, _| base + d * d * 40_000)?;
        }
    }

    /// Runs just below 2^47 ns and 2^26 ns (where a compact sort word that added the run's
    /// earliest time instead of subtracting it would wrap), of more and fewer than
    /// [`RANK_SORT_MAX`] events.
    #[test]
    fn runs_just_below_a_power_of_two_pop_in_order() {
        for base in [(1u64 << 47) - 1_000, (1 << 26) - 500] {
            for len in [20u64, 40] {
                let draws = (0..len).map(|i| (i * 17) % len).collect();
                replay(vec![Some(draws), None], |d, _| base + d * 100).unwrap();
            }
        }
    }

    /// A run of 2^16 events or more cannot use the 16-bit index of the compact sort words.
    #[test]
    fn a_run_of_more_than_65536_events_pops_in_order() {
        let times: Vec<u64> = (0..70_000u64).map(|i| (i * 7_919) % 1_000).collect();
        let ops = vec![Some(times), None, None];
        replay(ops, |d, _| d).unwrap();
    }

    /// `pop_until` with a run pending: the bound is inclusive (an event at the bound pops, one
    /// past it stays), as with the levels alone; `len` and `is_empty` follow every push and
    /// pop.
    #[test]
    fn a_bounded_pop_with_a_run_pending_stops_after_the_bound() {
        let mut q = EventQueue::default();
        assert!(q.is_empty());
        q.begin_run();
        for t in 10..10 + MIN_RUN as u64 {
            q.push(SimTime(t), EventKind::Wake(NodeId(t as u32)));
        }
        q.end_run();
        assert_eq!(q.len(), MIN_RUN);
        assert!(!q.is_empty());
        assert!(
            q.pop_until(Some(SimTime(9))).is_none(),
            "before the run's first event"
        );
        let first = q
            .pop_until(Some(SimTime(10)))
            .expect("an event at the bound pops");
        assert_eq!(first.time, SimTime(10));
        assert!(
            q.pop_until(Some(SimTime(10))).is_none(),
            "the next is past the bound"
        );
        let rest = std::iter::from_fn(|| q.pop()).count();
        assert_eq!(rest, MIN_RUN - 1);
        assert!(q.is_empty());
        assert_eq!(q.len(), 0);
    }

    /// An event at the top level (2^60 ns and later) beside a run: the levels' lower bound is
    /// then computed on the top level, which has no level above it.
    #[test]
    fn a_run_beside_an_event_at_the_top_level() {
        let ops = vec![Some(vec![u64::MAX]), Some((0..10).collect()), None];
        replay(ops, |d, _| if d == u64::MAX { 1 << 62 } else { 10 - d }).unwrap();
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

#[cfg(test)]
mod des_property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// As a simulation uses it (every push at or after the last popped time, some far
        /// ahead, many at once), pops come exactly in (time, seq) order, like a sorted list.
        #[test]
        fn pops_in_time_then_sequence_order_when_pushes_follow_the_clock(
            ops in proptest::collection::vec(
                proptest::option::of(proptest::collection::vec(0u64..40, 1..40)), 1..300)
        ) {
            // Some equal times (FIFO), some far ones (high levels); many at once form a run, as
            // one handler's fan-out does.
            super::run_property::replay(ops, |d, now| now + match d {
                0..=4 => 0,
                39 => 1 << 50,
                38 => 1 << 33,
                d => d * 1_000 + d * d,
            })?;
        }

        /// `pop_until` leaves an event past the bound in the queue, in its place.
        #[test]
        fn pop_until_keeps_later_events(times in proptest::collection::vec(0u64..1_000, 1..100), end in 0u64..1_000) {
            let mut queue = EventQueue::default();
            for (i, &t) in times.iter().enumerate() {
                queue.push(SimTime(t), EventKind::Fault(i as u32));
            }
            let mut sorted: Vec<(u64, u64)> = times.iter().enumerate().map(|(i, &t)| (t, i as u64)).collect();
            sorted.sort();
            let due: Vec<_> = std::iter::from_fn(|| queue.pop_until(Some(SimTime(end)))).map(|e| (e.time.0, e.seq)).collect();
            let split = sorted.iter().position(|&(t, _)| t > end).unwrap_or(sorted.len());
            prop_assert_eq!(&due[..], &sorted[..split]);
            let rest: Vec<_> = std::iter::from_fn(|| queue.pop()).map(|e| (e.time.0, e.seq)).collect();
            prop_assert_eq!(&rest[..], &sorted[split..]);
        }
    }
}
