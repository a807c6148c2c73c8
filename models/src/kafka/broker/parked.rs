//! Fetches parked in the broker's purgatory (DelayedFetch: replica.fetch.wait.max.ms for
//! followers, fetch.max.wait.ms for consumers), indexed by the partitions they wait on, so new
//! data on one partition finds its waiting fetches without looking at every parked one
//! (DelayedOperationPurgatory watches each operation under its partitions' keys).

use crate::kafka::wire::msg::KMsg;
use msgsim_sim::{NodeId, SimTime, Via};
use std::collections::BTreeMap;

/// A fetch waiting for data.
#[derive(Debug)]
pub struct ParkedFetch {
    pub(super) from: NodeId,
    pub(super) via: Via,
    pub(super) msg: KMsg,
    pub(super) parts: Vec<u32>,
    pub(super) replica: bool,
    pub(super) deadline: SimTime,
}

/// Parked fetches by key (keys only grow: `Broker::key`), and per partition the keys of the
/// consumer (`waiting[0]`) and follower (`waiting[1]`) fetches naming it, ascending.
#[derive(Debug, Default)]
pub struct ParkedFetches {
    by_key: BTreeMap<u64, ParkedFetch>,
    waiting: [Vec<Vec<u64>>; 2],
}

impl ParkedFetches {
    pub fn insert(&mut self, key: u64, fetch: ParkedFetch) {
        debug_assert!(self.by_key.last_key_value().is_none_or(|(&k, _)| k < key));
        let lists = &mut self.waiting[usize::from(fetch.replica)];
        for &p in &fetch.parts {
            let p = p as usize;
            if p >= lists.len() {
                lists.resize_with(p + 1, Vec::new);
            }
            // A partition named twice is listed once.
            if lists[p].last() != Some(&key) {
                lists[p].push(key);
            }
        }
        self.by_key.insert(key, fetch);
    }

    pub fn remove(&mut self, key: u64) -> Option<ParkedFetch> {
        let fetch = self.by_key.remove(&key)?;
        let lists = &mut self.waiting[usize::from(fetch.replica)];
        for &p in &fetch.parts {
            let list = &mut lists[p as usize];
            if let Ok(i) = list.binary_search(&key) {
                list.remove(i);
            }
        }
        Some(fetch)
    }

    /// Keys of the parked fetches (followers' if `replica`, else consumers') naming `p`, in
    /// the order they were parked.
    pub fn waiting_on(&self, p: u32, replica: bool) -> Vec<u64> {
        self.waiting[usize::from(replica)]
            .get(p as usize)
            .map_or_else(Vec::new, Vec::clone)
    }

    /// Keys of the fetches whose wait is over at `now`, in the order they were parked.
    pub fn expired(&self, now: SimTime) -> Vec<u64> {
        self.by_key
            .iter()
            .filter(|(_, f)| f.deadline <= now)
            .map(|(&k, _)| k)
            .collect()
    }

    pub fn next_deadline(&self) -> Option<SimTime> {
        self.by_key.values().map(|f| f.deadline).min()
    }

    pub fn clear(&mut self) {
        self.by_key.clear();
        self.waiting.iter_mut().flatten().for_each(Vec::clear);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msgsim_sim::SimDuration;

    fn fetch(parts: &[u32], replica: bool, deadline_ms: u64) -> ParkedFetch {
        ParkedFetch {
            from: NodeId(0),
            via: Via::Datagram,
            msg: KMsg::ConsumerFetch {
                req: 0,
                max_wait_ms: 0,
                parts: Vec::new(),
                read_committed: false,
            },
            parts: parts.to_vec(),
            replica,
            deadline: SimTime::ZERO + SimDuration::from_millis(deadline_ms),
        }
    }

    #[test]
    fn a_partition_finds_the_fetches_naming_it_by_kind_in_parking_order() {
        let mut parked = ParkedFetches::default();
        parked.insert(1, fetch(&[0, 2], false, 10));
        parked.insert(2, fetch(&[2], true, 5));
        parked.insert(3, fetch(&[2, 2, 7], false, 20));
        assert_eq!(parked.waiting_on(2, false), [1, 3]);
        assert_eq!(parked.waiting_on(2, true), [2]);
        assert_eq!(parked.waiting_on(7, false), [3]);
        assert!(parked.waiting_on(1, false).is_empty());
        assert!(parked.waiting_on(99, true).is_empty());
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
        assert_eq!(parked.waiting_on(2, false), [3]);
        assert!(parked.waiting_on(0, false).is_empty());
        parked.clear();
        assert!(parked.waiting_on(2, false).is_empty() && parked.expired(SimTime::MAX).is_empty());
    }
}
