//! Fetches parked in the broker's purgatory (DelayedFetch: replica.fetch.wait.max.ms for
//! followers, fetch.max.wait.ms for consumers), indexed by the partitions they wait on, so new
//! data on one partition finds its waiting fetches without looking at every parked one
//! (DelayedOperationPurgatory watches each operation under its partitions' keys).

use crate::kafka::wire::msg::KMsg;
use msgsim_sim::{NodeId, SimTime, Via};
use std::collections::VecDeque;

/// A fetch waiting for data.
#[derive(Debug)]
pub struct ParkedFetch {
    pub(super) from: NodeId,
    pub(super) via: Via,
    /// A `ReplicaFetch` (a follower's) or a `ConsumerFetch`.
    pub(super) msg: KMsg,
    pub(super) deadline: SimTime,
}

impl ParkedFetch {
    /// A follower's fetch (woken by new data) rather than a consumer's (woken by the HW).
    fn replica(&self) -> bool {
        matches!(self.msg, KMsg::ReplicaFetch { .. })
    }

    /// The partitions the fetch names, in request order (a partition may repeat).
    fn parts(&self) -> impl Iterator<Item = usize> + '_ {
        let parts = match &self.msg {
            KMsg::ReplicaFetch { parts, .. } | KMsg::ConsumerFetch { parts, .. } => &parts[..],
            _ => &[],
        };
        parts.iter().map(|f| f.p as usize)
    }
}

/// Parked fetches in key order (keys only grow: `Broker::key`), and per partition the keys of
/// the consumer (`waiting[0]`) and follower (`waiting[1]`) fetches naming it, ascending.
/// A fetch that leaves empties its slot; empty slots at the front are dropped, so the queue
/// holds at most the fetches parked since the oldest one still waiting (each waits at most
/// its max wait). A queue rather than a map: parking appends, leaving finds the slot by a
/// binary search, and nothing is moved or allocated per fetch.
#[derive(Debug, Default)]
pub struct ParkedFetches {
    by_key: VecDeque<(u64, Option<ParkedFetch>)>,
    waiting: [Vec<Vec<u64>>; 2],
    /// An empty list with room, put in place of a list `take_waiting_on` hands out (and
    /// refilled by `recycle`): a woken partition's fetches re-park into it without allocating.
    spare: Vec<u64>,
}

impl ParkedFetches {
    pub fn insert(&mut self, key: u64, fetch: ParkedFetch) {
        debug_assert!(self.by_key.back().is_none_or(|&(k, _)| k < key));
        let lists = &mut self.waiting[usize::from(fetch.replica())];
        for p in fetch.parts() {
            if p >= lists.len() {
                lists.resize_with(p + 1, Vec::new);
            }
            // A partition named twice is listed once.
            if lists[p].last() != Some(&key) {
                lists[p].push(key);
            }
        }
        self.by_key.push_back((key, Some(fetch)));
    }

    pub fn remove(&mut self, key: u64) -> Option<ParkedFetch> {
        let slot = self.by_key.binary_search_by_key(&key, |&(k, _)| k).ok()?;
        let fetch = self.by_key[slot].1.take()?;
        while self.by_key.front().is_some_and(|(_, f)| f.is_none()) {
            self.by_key.pop_front();
        }
        let lists = &mut self.waiting[usize::from(fetch.replica())];
        for p in fetch.parts() {
            let list = &mut lists[p];
            if let Ok(i) = list.binary_search(&key) {
                list.remove(i);
            }
        }
        Some(fetch)
    }

    /// Keys of the parked fetches (followers' if `replica`, else consumers') naming `p`, in
    /// the order they were parked, taken from the index: each one is about to leave (`remove`
    /// finds it under its other partitions), and fetches parked meanwhile start a new list.
    /// Hand the list back with `recycle` once done with it.
    pub fn take_waiting_on(&mut self, p: u32, replica: bool) -> Vec<u64> {
        match self.waiting[usize::from(replica)].get_mut(p as usize) {
            Some(list) => std::mem::replace(list, std::mem::take(&mut self.spare)),
            None => Vec::new(),
        }
    }

    /// A list `take_waiting_on` handed out, kept (emptied) as the next spare.
    pub fn recycle(&mut self, mut keys: Vec<u64>) {
        if keys.capacity() > self.spare.capacity() {
            keys.clear();
            self.spare = keys;
        }
    }

    /// Keys of the fetches whose wait is over at `now`, in the order they were parked.
    pub fn expired(&self, now: SimTime) -> Vec<u64> {
        self.live()
            .filter(|(_, f)| f.deadline <= now)
            .map(|(k, _)| k)
            .collect()
    }

    pub fn next_deadline(&self) -> Option<SimTime> {
        self.live().map(|(_, f)| f.deadline).min()
    }

    pub fn clear(&mut self) {
        self.by_key.clear();
        self.waiting.iter_mut().flatten().for_each(Vec::clear);
    }

    fn live(&self) -> impl Iterator<Item = (u64, &ParkedFetch)> {
        (self.by_key.iter()).filter_map(|(k, f)| f.as_ref().map(|f| (*k, f)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::wire::msg::FetchPart;
    use msgsim_sim::SimDuration;

    fn fetch(parts: &[u32], replica: bool, deadline_ms: u64) -> ParkedFetch {
        let parts = (parts.iter())
            .map(|&p| FetchPart {
                p,
                current_leader_epoch: None,
                fetch_offset: 0,
                last_fetched_epoch: None,
            })
            .collect();
        let msg = if replica {
            KMsg::ReplicaFetch {
                req: 0,
                broker: 1,
                broker_epoch: 1,
                parts,
            }
        } else {
            KMsg::ConsumerFetch {
                req: 0,
                max_wait_ms: 0,
                parts,
                read_committed: false,
            }
        };
        ParkedFetch {
            from: NodeId(0),
            via: Via::Datagram,
            msg,
            deadline: SimTime::ZERO + SimDuration::from_millis(deadline_ms),
        }
    }

    #[test]
    fn a_partition_finds_the_fetches_naming_it_by_kind_in_parking_order() {
        let mut parked = ParkedFetches::default();
        parked.insert(1, fetch(&[0, 2], false, 10));
        parked.insert(2, fetch(&[2], true, 5));
        parked.insert(3, fetch(&[2, 2, 7], false, 20));
        assert_eq!(
            parked.expired(SimTime::ZERO + SimDuration::from_millis(10)),
            [1, 2]
        );
        assert_eq!(
            parked.next_deadline(),
            Some(SimTime::ZERO + SimDuration::from_millis(5))
        );
        // A fetch that leaves (answered or expired) is no longer found under any partition.
        assert!(parked.remove(1).is_some());
        assert!(parked.remove(1).is_none());
        assert!(parked.take_waiting_on(0, false).is_empty());
        assert_eq!(parked.take_waiting_on(2, true), [2]);
        assert_eq!(parked.take_waiting_on(2, false), [3]);
        // Taken: the fetches are about to leave; one parked meanwhile starts a new list.
        assert!(parked.take_waiting_on(2, false).is_empty());
        parked.insert(4, fetch(&[2], false, 30));
        assert_eq!(parked.take_waiting_on(2, false), [4]);
        assert!(parked.take_waiting_on(99, true).is_empty());
        assert_eq!(parked.take_waiting_on(7, false), [3]);
        parked.clear();
        assert!(parked.expired(SimTime::MAX).is_empty() && parked.next_deadline().is_none());
    }

    #[test]
    fn a_fetch_leaving_from_the_middle_leaves_a_hole_until_the_front_one_leaves() {
        let mut parked = ParkedFetches::default();
        for (key, deadline_ms) in [(1, 50), (2, 10), (3, 20)] {
            parked.insert(key, fetch(&[key as u32], false, deadline_ms));
        }
        assert!(parked.remove(2).is_some());
        assert_eq!(parked.by_key.len(), 3);
        // Holes are skipped: the earliest deadline and the expired ones are the live fetches'.
        assert_eq!(
            parked.next_deadline(),
            Some(SimTime::ZERO + SimDuration::from_millis(20))
        );
        assert_eq!(parked.expired(SimTime::MAX), [1, 3]);
        assert!(parked.remove(2).is_none());
        // The front fetch leaving drops it and the hole behind it.
        assert!(parked.remove(1).is_some());
        assert_eq!(parked.by_key.len(), 1);
        assert!(parked.remove(3).is_some());
        assert!(parked.by_key.is_empty() && parked.next_deadline().is_none());
    }

    /// A woken partition's list, handed back, becomes the room the next woken partition's
    /// fetches re-park into: emptied first, so no key of the earlier wake comes back.
    #[test]
    fn a_recycled_list_is_reused_empty_by_the_next_woken_partition() {
        let mut parked = ParkedFetches::default();
        parked.insert(1, fetch(&[0], false, 10));
        parked.insert(2, fetch(&[0], false, 10));
        let keys = parked.take_waiting_on(0, false);
        assert_eq!(keys, [1, 2]);
        let room = keys.capacity();
        parked.recycle(keys);
        parked.insert(3, fetch(&[5], false, 10));
        assert_eq!(parked.take_waiting_on(5, false), [3]);
        // Partition 5's list is now the recycled one: empty, with its room.
        let list = &parked.waiting[0][5];
        assert!(list.is_empty() && list.capacity() == room, "{list:?}");
        parked.insert(4, fetch(&[5], false, 10));
        assert_eq!(parked.take_waiting_on(5, false), [4]);
    }
}
