//! The queue's levels: a timing wheel of 64 ns buckets over the next 2^18 ns, and a radix-64
//! heap on time above it, for a loop that never schedules before the event it handles.
//!
//! Times are split into three parts: the low 6 bits (within a 64 ns *bucket*), the next 12
//! (the bucket within a 2^18 ns ≈ 262 µs *block*) and the block number. `now` is no later than
//! any event held. An event goes to
//! - `ready`, sorted by `(time, seq)`, when it falls in the bucket being popped (before
//!   `ready_end`);
//! - else the wheel's bucket of its time when it is in `now`'s block (a 4,096-bucket wheel: a
//!   `Vec` push and two bit sets; a two-word bitmap finds the next occupied bucket);
//! - else level `l` of the radix heap, the highest 6-bit digit of its block number in which it
//!   differs from `now`'s, in the slot of its own digit there (Ahuja, Mehlhorn, Orlin, Tarjan
//!   1990, with radix 64).
//!
//! When `ready` is empty, [`Levels::cascade`] takes the wheel's next occupied bucket into
//! `ready` and sorts it (a bucket usually holds one to three events), or, when the wheel is
//! empty too, spreads the lowest occupied slot of the lowest occupied level over the wheel and
//! the levels below, relative to its earliest time, which becomes `now`. A 50–150 µs message is
//! pushed once and moves at most once (from level 0 to the wheel) before its bucket is sorted.
//! No comparison but the small sorts depends on the order times came in, so there are none of a
//! binary heap's mispredicted sift branches.
//!
//! Order: the slots and buckets keep no order; `ready` is sorted by the full `(time, seq)` key
//! (sequence numbers are unique), so events at equal times pop in scheduling order (FIFO).

/// Bits of time within a bucket (taken into `ready` and sorted).
const BUCKET_BITS: u32 = 7;
/// Buckets in the wheel.
const WHEEL_BITS: u32 = 11;
const BUCKETS: usize = 1 << WHEEL_BITS;
/// Bits of time below the block number.
const BLOCK_BITS: u32 = BUCKET_BITS + WHEEL_BITS;
/// Bits of the block number per level; slots per level.
const LEVEL_BITS: u32 = 6;
const SLOTS: usize = 1 << LEVEL_BITS;
/// Levels that cover the block numbers of 64-bit times.
const LEVELS: usize = (64 - BLOCK_BITS as usize).div_ceil(LEVEL_BITS as usize);
/// Buckets of at most this many events are put in order by insertion; larger ones by the
/// general sort.
const INSERTION_SORT_MAX: usize = 32;

/// A queued event: time, scheduling sequence and packed kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub time: u64,
    pub seq: u64,
    pub kind: u64,
}

impl Entry {
    /// `(time, seq)` as one key.
    #[inline(always)]
    pub fn key(&self) -> u128 {
        (self.time as u128) << 64 | self.seq as u128
    }
}

/// The level and slot of `time` relative to `now`, for a time in a later block.
#[inline(always)]
fn place(time: u64, now: u64) -> (usize, usize) {
    let highest = 63 - (time ^ now).leading_zeros();
    let level = (highest - BLOCK_BITS) / LEVEL_BITS;
    let slot = (time >> (BLOCK_BITS + level * LEVEL_BITS)) as usize & (SLOTS - 1);
    (level as usize, slot)
}

/// `(x >> bits) + 1 << bits`, the end of the aligned range of `2^bits` holding `x`, or
/// `u64::MAX` for the last range.
#[inline(always)]
fn range_end(x: u64, bits: u32) -> u64 {
    (x >> bits)
        .checked_add(1)
        .map(|n| n << bits)
        .filter(|&end| end != 0)
        .unwrap_or(u64::MAX)
}

pub(super) struct Levels {
    /// The events of the bucket being popped, and those pushed since into its range: sorted by
    /// decreasing `(time, seq)`, the next last.
    ready: Vec<Entry>,
    /// End (exclusive) of the range `ready` covers: a push before it goes to `ready`; every
    /// event in the wheel and the slots is at or after it.
    ready_end: u64,
    /// The wheel: the buckets of `now`'s block, at or after `ready_end`.
    wheel: Vec<Vec<Entry>>,
    /// Bit `b % 64` of `wheel_bits[b / 64]`: bucket `b` holds events; bit `w` of
    /// `wheel_words`: `wheel_bits[w]` is not zero.
    wheel_bits: [u64; BUCKETS / 64],
    wheel_words: u64,
    /// `slots[level * SLOTS + slot]`: events of later blocks.
    slots: Vec<Vec<Entry>>,
    /// Bit `s` of `occupied[l]`: slot `s` of level `l` holds events.
    occupied: [u64; LEVELS],
    /// Bit `l`: level `l` holds events.
    levels: u32,
    /// No held event is earlier.
    now: u64,
    /// A cached [`Levels::lower_bound`] (0: to compute), kept while events come only from
    /// pushes, so that a fan-out's pops do not recompute it.
    bound: u64,
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            ready: Vec::new(),
            ready_end: 0,
            wheel: (0..BUCKETS).map(|_| Vec::new()).collect(),
            wheel_bits: [0; BUCKETS / 64],
            wheel_words: 0,
            slots: (0..LEVELS * SLOTS).map(|_| Vec::new()).collect(),
            occupied: [0; LEVELS],
            levels: 0,
            now: 0,
            bound: 0,
        }
    }
}

impl Levels {
    /// No event may be inserted before this time.
    #[inline(always)]
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Insert an event at or after [`Levels::now`], in any order of sequence numbers.
    #[inline(always)]
    pub fn insert(&mut self, entry: Entry) {
        debug_assert!(entry.time >= self.now, "event before the levels' now");
        if entry.time < self.ready_end {
            self.insert_ready(entry);
            return;
        }
        self.insert_beyond_ready(entry);
        // Still a lower bound: no event is earlier than the old one, nor than this one.
        self.bound = self.bound.min(entry.time);
    }

    /// Insert an event at or after `ready_end` into the wheel or the slots.
    #[inline(always)]
    fn insert_beyond_ready(&mut self, entry: Entry) {
        if (entry.time ^ self.now) >> BLOCK_BITS == 0 {
            let bucket = (entry.time >> BUCKET_BITS) as usize & (BUCKETS - 1);
            self.wheel[bucket].push(entry);
            self.wheel_bits[bucket / 64] |= 1 << (bucket % 64);
            self.wheel_words |= 1 << (bucket / 64);
        } else {
            let (level, slot) = place(entry.time, self.now);
            self.slots[level * SLOTS + slot].push(entry);
            self.occupied[level] |= 1 << slot;
            self.levels |= 1 << level;
        }
    }

    /// Insert an event into `ready` in its `(time, seq)` place.
    #[cold]
    #[inline(never)]
    fn insert_ready(&mut self, entry: Entry) {
        let key = entry.key();
        let at = self.ready.partition_point(|e| e.key() > key);
        self.ready.insert(at, entry);
    }

    /// The next event, if `ready` holds any (else [`Levels::cascade`] first).
    #[inline(always)]
    pub fn head(&self) -> Option<Entry> {
        self.ready.last().copied()
    }

    /// True when `ready` is empty and the wheel or a slot holds events: [`Levels::cascade`]
    /// can take some down.
    #[inline(always)]
    pub fn can_cascade(&self) -> bool {
        self.ready.is_empty() && (self.wheel_words | self.levels as u64) != 0
    }

    /// The wheel's next occupied bucket (the wheel must hold events).
    #[inline(always)]
    fn next_bucket(&self) -> usize {
        let word = self.wheel_words.trailing_zeros() as usize;
        word * 64 + self.wheel_bits[word].trailing_zeros() as usize
    }

    /// No event held in the wheel or the slots is earlier than this: the start of the next
    /// occupied bucket's range, or of the lowest occupied slot's, or an event's time (cached
    /// until a cascade or a pop).
    #[inline]
    pub fn lower_bound(&mut self) -> Option<u64> {
        if self.wheel_words == 0 && self.levels == 0 {
            return None;
        }
        if self.bound == 0 {
            self.bound = if self.wheel_words != 0 {
                self.now >> BLOCK_BITS << BLOCK_BITS | (self.next_bucket() as u64) << BUCKET_BITS
            } else {
                let level = self.levels.trailing_zeros();
                let slot = self.occupied[level as usize].trailing_zeros() as u64;
                let shift = BLOCK_BITS + level * LEVEL_BITS;
                let above = if shift + LEVEL_BITS >= 64 {
                    0
                } else {
                    self.now >> (shift + LEVEL_BITS) << (shift + LEVEL_BITS)
                };
                above | slot << shift
            };
        }
        Some(self.bound)
    }

    /// `ready` is empty: take the wheel's next occupied bucket into `ready`, sorted, or when
    /// the wheel is empty spread the lowest occupied slot of the lowest occupied level over the
    /// wheel and the levels below it, relative to `min(its earliest time, floor)`, which
    /// becomes `now`. `floor` (the caller's own next event, or `u64::MAX`) should be no earlier
    /// than [`Levels::lower_bound`]: then it lies in the bucket's or slot's range, and its
    /// events move down.
    #[inline(never)]
    pub fn cascade(&mut self, floor: u64) {
        debug_assert!(self.ready.is_empty(), "cascade with events ready");
        self.bound = 0;
        if self.wheel_words != 0 {
            let bucket = self.next_bucket();
            let bits = &mut self.wheel_bits[bucket / 64];
            *bits &= !(1 << (bucket % 64));
            if *bits == 0 {
                self.wheel_words &= !(1 << (bucket / 64));
            }
            // `ready` is empty: swap the bucket's buffer in, and leave the old one (with its
            // allocation) to the bucket.
            std::mem::swap(&mut self.ready, &mut self.wheel[bucket]);
            sort_decreasing(&mut self.ready);
            let earliest = self.ready.last().expect("occupied bucket").time;
            self.ready_end = range_end(earliest, BUCKET_BITS);
            self.now = earliest.min(floor);
            return;
        }
        if self.levels == 0 {
            return;
        }
        let level = self.levels.trailing_zeros() as usize;
        let slot = self.occupied[level].trailing_zeros() as usize;
        self.occupied[level] &= !(1 << slot);
        if self.occupied[level] == 0 {
            self.levels &= !(1 << level);
        }
        let index = level * SLOTS + slot;
        let mut moving = std::mem::take(&mut self.slots[index]);
        let earliest = moving.iter().map(|e| e.time).min().expect("occupied slot");
        self.now = earliest.min(floor);
        for &entry in &moving {
            // Every held event is at or after `ready_end`.
            self.insert_beyond_ready(entry);
        }
        moving.clear();
        // Keep the emptied slot's allocation for its next events.
        self.slots[index] = moving;
    }

    /// Remove the head (from [`Levels::head`]); its time becomes `now`.
    #[inline(always)]
    pub fn pop_head(&mut self, time: u64) {
        self.now = time;
        self.bound = 0;
        self.ready.pop();
    }
}

/// Sort a bucket's events by decreasing `(time, seq)`.
#[inline(always)]
fn sort_decreasing(events: &mut [Entry]) {
    if events.len() < 2 {
        return;
    }
    if events.len() > INSERTION_SORT_MAX {
        events.sort_unstable_by_key(|e| std::cmp::Reverse(e.key()));
        return;
    }
    for i in 1..events.len() {
        let e = events[i];
        let key = e.key();
        let mut j = i;
        while j > 0 && events[j - 1].key() < key {
            events[j] = events[j - 1];
            j -= 1;
        }
        events[j] = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_ends_saturate_at_the_last_range() {
        assert_eq!(range_end(0, 6), 64);
        assert_eq!(range_end(63, 6), 64);
        assert_eq!(range_end(64, 6), 128);
        assert_eq!(range_end(u64::MAX - 3, 6), u64::MAX);
        assert_eq!(range_end(u64::MAX, 0), u64::MAX);
        assert_eq!(range_end(5, 0), 6);
    }
}
