//! The queue's levels: a radix-64 heap on event times (a hierarchical timing wheel at nanosecond
//! resolution), for a loop that never schedules before the event it handles.
//!
//! An event goes to level `l`, the highest 6-bit digit in which its time differs from `now` (a
//! time no later than any event held), in the slot of its own digit there; level-0 slots hold one
//! exact time each. The next event is the first of the lowest occupied level-0 slot. When level 0
//! is empty, [`Levels::cascade`] spreads the lowest occupied slot of the lowest occupied level over
//! the levels below it, relative to its earliest time, which becomes `now` (Ahuja, Mehlhorn,
//! Orlin, Tarjan 1990, with radix 64). A push is a xor, a leading-zero count and a `Vec` push; an
//! event moves about once per level it descends (twice for a 50–150 µs message); slots are found
//! with bit masks. No comparison depends on the order times came in, so there are none of a
//! binary heap's mispredicted sift branches.
//!
//! Order within a slot is sequence order: a slot is filled by spreading a slot above (while every
//! lower level is empty, in that slot's order), by later pushes (larger sequence numbers), or in
//! place by [`Levels::insert_in_order`], so by induction every slot lists its events by
//! sequence, and a level-0 slot (one time) pops FIFO.

/// Bits of time per level; slots per level.
const LEVEL_BITS: u32 = 6;
const SLOTS: usize = 1 << LEVEL_BITS;
/// Levels that cover 64-bit times.
const LEVELS: usize = 64usize.div_ceil(LEVEL_BITS as usize);

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

/// The level and slot of `time` relative to `now` (`time >= now`).
#[inline(always)]
fn place(time: u64, now: u64) -> (usize, usize) {
    // `| 1`: equal times (xor 0) go to level 0 like times differing in the lowest bit.
    let highest = 63 - ((time ^ now) | 1).leading_zeros();
    let level = highest / LEVEL_BITS;
    let slot = (time >> (level * LEVEL_BITS)) as usize & (SLOTS - 1);
    (level as usize, slot)
}

pub(super) struct Levels {
    /// `slots[level * SLOTS + slot]`, each in sequence order.
    slots: Vec<Vec<Entry>>,
    /// Bit `s` of `occupied[l]`: slot `s` of level `l` holds events.
    occupied: [u64; LEVELS],
    /// Bit `l`: level `l` holds events.
    levels: u32,
    /// Level-0 slots pop from the front: the index of each one's next event.
    front: [u32; SLOTS],
    /// No held event is earlier.
    now: u64,
    /// A cached [`Levels::lower_bound`] (0: to compute), kept while events come only from
    /// pushes, so that a fan-out's pops do not recompute it.
    bound: u64,
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            slots: (0..LEVELS * SLOTS).map(|_| Vec::new()).collect(),
            occupied: [0; LEVELS],
            levels: 0,
            front: [0; SLOTS],
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

    /// Insert an event at or after [`Levels::now`].
    #[inline(always)]
    pub fn insert(&mut self, entry: Entry) {
        debug_assert!(entry.time >= self.now, "event before the levels' now");
        let (level, slot) = place(entry.time, self.now);
        self.slots[level * SLOTS + slot].push(entry);
        self.occupied[level] |= 1 << slot;
        self.levels |= 1 << level;
        // Still a lower bound: no event is earlier than the old one, nor than this one.
        self.bound = self.bound.min(entry.time);
    }

    /// Insert an event at or after [`Levels::now`] that may have been scheduled before events
    /// already held (a run's leftover): in its slot's sequence order.
    pub fn insert_in_order(&mut self, entry: Entry) {
        debug_assert!(entry.time >= self.now, "event before the levels' now");
        let (level, slot) = place(entry.time, self.now);
        let events = &mut self.slots[level * SLOTS + slot];
        // A level-0 slot's popped prefix has smaller sequence numbers (it was popped first).
        let at = events.partition_point(|e| e.seq < entry.seq);
        events.insert(at, entry);
        self.occupied[level] |= 1 << slot;
        self.levels |= 1 << level;
        self.bound = self.bound.min(entry.time);
    }

    /// The next event, if level 0 holds any (else [`Levels::cascade`] first).
    #[inline(always)]
    pub fn head(&self) -> Option<(usize, Entry)> {
        if self.occupied[0] == 0 {
            return None;
        }
        let slot = self.occupied[0].trailing_zeros() as usize;
        Some((slot, self.slots[slot][self.front[slot] as usize]))
    }

    /// No event held is earlier than this: the start of the lowest occupied slot's range, or an
    /// event's time (cached until a cascade or a pop).
    #[inline]
    pub fn lower_bound(&mut self) -> Option<u64> {
        if self.levels == 0 {
            return None;
        }
        if self.bound == 0 {
            let level = self.levels.trailing_zeros();
            let slot = self.occupied[level as usize].trailing_zeros() as u64;
            let shift = level * LEVEL_BITS;
            let above = if shift + LEVEL_BITS >= 64 {
                0
            } else {
                self.now >> (shift + LEVEL_BITS) << (shift + LEVEL_BITS)
            };
            self.bound = above | slot << shift;
        }
        Some(self.bound)
    }

    /// Level 0 is empty: spread the lowest occupied slot of the lowest occupied level over the
    /// levels below it, relative to `min(its earliest time, floor)`, which becomes `now`.
    /// `floor` (the caller's own next event, or `u64::MAX`) should be no earlier than
    /// [`Levels::lower_bound`]: then it lies in the spread slot's range, and the slot moves down.
    #[inline(never)]
    pub fn cascade(&mut self, floor: u64) {
        debug_assert_eq!(self.occupied[0], 0, "cascade with level 0 occupied");
        if self.levels == 0 {
            return;
        }
        let level = self.levels.trailing_zeros() as usize;
        let slot = self.occupied[level].trailing_zeros() as usize;
        self.occupied[level] &= !(1 << slot);
        if self.occupied[level] == 0 {
            self.levels &= !(1 << level);
        }
        self.bound = 0;
        let mut moving = std::mem::take(&mut self.slots[level * SLOTS + slot]);
        let earliest = moving.iter().map(|e| e.time).min().expect("occupied slot");
        self.now = earliest.min(floor);
        for &entry in &moving {
            self.insert(entry);
        }
        moving.clear();
        // Keep the emptied slot's allocation for its next events.
        self.slots[level * SLOTS + slot] = moving;
    }

    /// Remove the head (from [`Levels::head`]) of level-0 slot `slot`; its time becomes `now`.
    #[inline(always)]
    pub fn pop_head(&mut self, slot: usize, time: u64) {
        self.now = time;
        self.bound = 0;
        self.front[slot] += 1;
        if self.front[slot] as usize == self.slots[slot].len() {
            self.slots[slot].clear();
            self.front[slot] = 0;
            self.occupied[0] &= !(1 << slot);
            if self.occupied[0] == 0 {
                self.levels &= !1;
            }
        }
    }
}
