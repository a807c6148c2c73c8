//! What the checkers excuse on a compacted topic, and the compaction guarantees they check
//! (DESIGN §4.9 "What guarantees does log compaction provide"):
//! - a record is legitimately gone when a later record of its key exists (superseded), or it is
//!   a tombstone (removed after delete.retention.ms) — such records are not `lost_write`,
//!   `unseen`, `unprocessed`, and jumping over them is not a `poll_skip`;
//! - the final value of every key must survive and be read (ordinary `lost_write` / `unseen`);
//!   a key's final value is its last *committed* write: a write of an aborted (or never
//!   committed) transaction supersedes nothing (the cleaner drops it, KIP-98), so a committed
//!   value followed only by aborted writes of its key must survive;
//! - `missed_tombstone`: a key whose last write is a delete that no consumer read although an
//!   earlier value of the key was read — a consumer lagging more than delete.retention.ms
//!   "can miss the delete".

use crate::kafka::wire::keys::KeySpec;
use std::collections::{BTreeMap, BTreeSet};

/// What compaction may have done to one record.
enum Lookup {
    /// Not compacted away: the topic is not compacted or the record has no key.
    Kept,
    /// A tombstone: removed after delete.retention.ms.
    Tombstone,
    /// Removable once superseded: the (offset, value) of its key's last record, if any.
    Head(Option<(u64, u64)>),
}

/// Per partition, per key: the offset and value of its last observed record.
#[derive(Debug, Default)]
pub struct KeyHeads {
    keys: KeySpec,
    heads: Vec<BTreeMap<u64, (u64, u64)>>,
}

impl KeyHeads {
    /// `offsets[p][o]` is the value observed at offset `o` of partition `p` (0 = none);
    /// values in `not_committed` (aborted or open transactions) are no key's head.
    pub fn new(keys: KeySpec, offsets: &[Vec<u64>], not_committed: &BTreeSet<u64>) -> KeyHeads {
        let mut heads = vec![BTreeMap::new(); offsets.len()];
        if keys.compacted {
            for (p, list) in offsets.iter().enumerate() {
                for (o, &v) in list.iter().enumerate() {
                    if v != 0
                        && !not_committed.contains(&v)
                        && let Some(k) = keys.key(v)
                    {
                        heads[p].insert(k, (o as u64, v));
                    }
                }
            }
        }
        KeyHeads { keys, heads }
    }

    /// What compaction may have done to the record `v` of partition `p`.
    fn lookup(&self, p: usize, v: u64) -> Lookup {
        if !self.keys.compacted {
            return Lookup::Kept;
        }
        let Some(k) = self.keys.key(v) else {
            return Lookup::Kept;
        };
        if self.keys.is_tombstone(v) {
            return Lookup::Tombstone;
        }
        Lookup::Head(self.heads.get(p).and_then(|h| h.get(&k)).copied())
    }

    /// The record `v` at `offset` of partition `p` may be absent from a compacted log.
    pub fn excused(&self, p: usize, offset: Option<u64>, v: u64) -> bool {
        match self.lookup(p, v) {
            Lookup::Kept => false,
            Lookup::Tombstone => true,
            Lookup::Head(head) => matches!((head, offset), (Some((h, _)), Some(o)) if h > o),
        }
    }

    /// The record `v`, acknowledged without an offset (DUPLICATE_SEQUENCE_NUMBER: the broker
    /// already had it, somewhere below), may be absent from a compacted log when its key's last
    /// record is a later send of the same producer: an idempotent producer's sends to one
    /// partition are appended in send order, so that record sits above `v` and supersedes it.
    pub fn superseded_by_later_send(&self, p: usize, v: u64) -> bool {
        match self.lookup(p, v) {
            Lookup::Kept => false,
            Lookup::Tombstone => true,
            // Values are (producer + 1) << 40 | send counter.
            Lookup::Head(head) => matches!(head, Some((_, w)) if w >> 40 == v >> 40 && w > v),
        }
    }

    /// Keys whose last write is a tombstone nobody polled, while an earlier value was polled.
    pub fn missed_tombstones(&self, offsets: &[Vec<u64>], polled: impl Fn(u64) -> bool) -> u64 {
        let mut missed = 0;
        for (p, heads) in self.heads.iter().enumerate() {
            let mut seen_before: BTreeMap<u64, bool> = BTreeMap::new();
            for (o, &v) in offsets[p].iter().enumerate() {
                if v == 0 || !polled(v) {
                    continue;
                }
                if let Some(k) = self.keys.key(v)
                    && heads.get(&k).is_some_and(|&(h, _)| (o as u64) < h)
                {
                    seen_before.insert(k, true);
                }
            }
            for (k, &(_, v)) in heads {
                if self.keys.is_tombstone(v) && !polled(v) && seen_before.contains_key(k) {
                    missed += 1;
                }
            }
        }
        missed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(producer: u64, n: u64) -> u64 {
        ((producer + 1) << 40) | n
    }

    #[test]
    fn an_offsetless_ack_is_superseded_only_by_a_later_send_of_its_producer() {
        // One key: every record supersedes the ones before it.
        let keys = KeySpec {
            key_space: 1,
            tombstone_every: 0,
            compacted: true,
        };
        let offsets = vec![vec![value(0, 1), value(0, 2)]];
        let heads = KeyHeads::new(keys, &offsets, &BTreeSet::new());
        assert!(heads.superseded_by_later_send(0, value(0, 0)));
        // The head itself, and another producer's record (no order between producers).
        assert!(!heads.superseded_by_later_send(0, value(0, 2)));
        assert!(!heads.superseded_by_later_send(0, value(1, 0)));
        let plain = KeyHeads::new(
            KeySpec {
                compacted: false,
                ..keys
            },
            &offsets,
            &BTreeSet::new(),
        );
        assert!(!plain.superseded_by_later_send(0, value(0, 0)));
    }
}
