//! Timer bookkeeping: a slab of slots with generation counters, so setting, cancelling and
//! firing a timer are O(1) and a cancelled or stale timer is recognised without a search.

use crate::id::{NodeId, TimerId};

#[derive(Clone, Copy, Debug)]
struct Slot {
    generation: u32,
    live: bool,
    node: NodeId,
    incarnation: u32,
    tag: u64,
}

/// Live timers. A [`TimerId`] packs (generation << 32 | slot index).
#[derive(Debug, Default)]
pub struct TimerSlab {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live_count: usize,
}

/// A timer that is due, as looked up when its event fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DueTimer {
    pub node: NodeId,
    pub incarnation: u32,
    pub tag: u64,
}

impl TimerSlab {
    pub fn allocate(&mut self, node: NodeId, incarnation: u32, tag: u64) -> TimerId {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    live: false,
                    node,
                    incarnation,
                    tag,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        debug_assert!(!slot.live, "allocated a live timer slot");
        slot.live = true;
        slot.node = node;
        slot.incarnation = incarnation;
        slot.tag = tag;
        self.live_count += 1;
        TimerId(((slot.generation as u64) << 32) | index as u64)
    }

    fn slot_of(&self, id: TimerId) -> Option<usize> {
        let index = (id.0 & 0xffff_ffff) as usize;
        let generation = (id.0 >> 32) as u32;
        let slot = self.slots.get(index)?;
        (slot.live && slot.generation == generation).then_some(index)
    }

    fn release(&mut self, index: usize) {
        let slot = &mut self.slots[index];
        slot.live = false;
        // 28 bits, so a timer id packs into an event word with its 4-bit tag.
        slot.generation = (slot.generation + 1) & 0x0fff_ffff;
        self.free.push(index as u32);
        self.live_count -= 1;
    }

    /// Details of a live timer without firing it.
    pub fn peek(&self, id: TimerId) -> Option<DueTimer> {
        let slot = self.slots[self.slot_of(id)?];
        Some(DueTimer {
            node: slot.node,
            incarnation: slot.incarnation,
            tag: slot.tag,
        })
    }

    /// Cancel `id`; false if it was not live (already fired or cancelled).
    pub fn cancel(&mut self, id: TimerId) -> bool {
        match self.slot_of(id) {
            Some(index) => {
                self.release(index);
                true
            }
            None => false,
        }
    }

    /// The timer fires: returns its details and frees the slot, or `None` if it was cancelled.
    pub fn fire(&mut self, id: TimerId) -> Option<DueTimer> {
        let index = self.slot_of(id)?;
        let slot = self.slots[index];
        self.release(index);
        Some(DueTimer {
            node: slot.node,
            incarnation: slot.incarnation,
            tag: slot.tag,
        })
    }

    /// Number of timers set and not yet fired or cancelled.
    pub fn live(&self) -> usize {
        self.live_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_and_reuse_do_not_confuse_ids() {
        let mut slab = TimerSlab::default();
        let a = slab.allocate(NodeId(0), 0, 7);
        assert!(slab.cancel(a));
        assert!(!slab.cancel(a));
        let b = slab.allocate(NodeId(1), 0, 8);
        assert_ne!(a, b, "a reused slot must carry a new generation");
        assert_eq!(slab.fire(a), None);
        assert_eq!(slab.fire(b).map(|t| t.tag), Some(8));
        assert_eq!(slab.fire(b), None);
        assert_eq!(slab.live(), 0);
    }
}
