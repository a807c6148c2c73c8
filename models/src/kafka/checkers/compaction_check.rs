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

use super::dense::OffsetTable;
use super::final_state::FinalLog;
use crate::kafka::wire::keys::KeySpec;
use std::collections::{BTreeMap, BTreeSet};

/// What compaction may have done to one record.
enum Lookup {
    /// Not compacted away: the topic is not compacted or the record has no key.
    Kept,
    /// A tombstone: removed after delete.retention.ms.
    Tombstone,
    /// Removable once superseded: its key, and the (offset, value) of its key's last record,
    /// if any.
    Head(u64, Option<(u64, u64)>),
}

/// Per partition, per key: the offset and value of its last observed record.
#[derive(Debug, Default)]
pub struct KeyHeads {
    keys: KeySpec,
    heads: Vec<BTreeMap<u64, (u64, u64)>>,
    /// Per partition, per key: the key's last value in the final leader log (`with_final`),
    /// and the offset it was observed at, if any.
    final_heads: Vec<BTreeMap<u64, (u64, Option<u64>)>>,
    /// Per partition: the values in the final leader log.
    final_values: Vec<BTreeSet<u64>>,
    /// Per partition, per (key, producer): the latest send acknowledged without an offset
    /// (DUPLICATE_SEQUENCE_NUMBER: the leader already held it), `with_offsetless_acks`.
    offsetless: Vec<BTreeMap<(u64, u64), u64>>,
}

impl KeyHeads {
    /// `offsets[p][o]` is the value observed at offset `o` of partition `p` (0 = none);
    /// values in `not_committed` (aborted or open transactions) are no key's head.
    pub fn new(keys: KeySpec, offsets: &[OffsetTable], not_committed: &BTreeSet<u64>) -> KeyHeads {
        let mut heads = vec![BTreeMap::new(); offsets.len()];
        if keys.compacted {
            for (p, list) in offsets.iter().enumerate() {
                for (o, v) in list.iter().enumerate() {
                    if v != 0
                        && !not_committed.contains(&v)
                        && let Some(k) = keys.key(v)
                    {
                        heads[p].insert(k, (o as u64, v));
                    }
                }
            }
        }
        KeyHeads {
            keys,
            heads,
            final_heads: Vec::new(),
            final_values: Vec::new(),
            offsetless: Vec::new(),
        }
    }

    /// Add the sends acknowledged without an offset by DUPLICATE_SEQUENCE_NUMBER, as
    /// (partition, value). Only an idempotent producer gets that answer, and its sends to a
    /// partition are appended in send order (sequence numbers, KIP-98), so such a send sits
    /// above every earlier send of its producer to the partition: an earlier record of its key
    /// is superseded by it even though no client learnt its offset — and, when it is a
    /// tombstone, even after the cleaner removed it past delete.retention.ms (swarm seed 7251
    /// of k13-compaction: a tombstone acknowledged only as a duplicate after a leader change,
    /// then removed; the value it deleted had been counted lost).
    pub fn with_offsetless_acks(mut self, acks: impl IntoIterator<Item = (usize, u64)>) -> Self {
        if !self.keys.compacted {
            return self;
        }
        for (p, v) in acks {
            let Some(k) = self.keys.key(v) else {
                continue;
            };
            if self.offsetless.len() <= p {
                self.offsetless.resize_with(p + 1, BTreeMap::new);
            }
            let latest = self.offsetless[p].entry((k, v >> 40)).or_insert(v);
            *latest = (*latest).max(v);
        }
        self
    }

    /// A later send of `v`'s producer and key, acknowledged without an offset, supersedes `v`.
    fn superseded_by_offsetless_ack(&self, p: usize, k: u64, v: u64) -> bool {
        (self.offsetless.get(p))
            .and_then(|m| m.get(&(k, v >> 40)))
            .is_some_and(|&w| w > v)
    }

    /// Add the final leader logs (values in offset order, per partition; None = offline):
    /// what the cleaner kept. A record observed once and gone from the final log while a
    /// later record of its key is there was compacted away — also when no poll ever saw that
    /// later record (a consumer that stopped, a Connect task that FAILED, acks=0 with no
    /// offsets), which the observed heads alone cannot tell.
    pub fn with_final(
        mut self,
        final_logs: &[Option<FinalLog<'_>>],
        offsets: &[OffsetTable],
    ) -> Self {
        if !self.keys.compacted {
            return self;
        }
        for (p, log) in final_logs.iter().enumerate() {
            let mut heads: BTreeMap<u64, (u64, Option<u64>)> = BTreeMap::new();
            let mut values = BTreeSet::new();
            for v in log.iter().flat_map(|l| l.values()) {
                values.insert(v);
                if let Some(k) = self.keys.key(v) {
                    heads.insert(k, (v, None));
                }
            }
            let last: BTreeSet<u64> = heads.values().map(|&(v, _)| v).collect();
            let mut at: BTreeMap<u64, u64> = BTreeMap::new();
            let seen = offsets
                .get(p)
                .into_iter()
                .flat_map(|l| l.iter().enumerate());
            for (o, v) in seen.filter(|(_, v)| last.contains(v)) {
                at.insert(v, o as u64);
            }
            for (v, off) in heads.values_mut() {
                *off = at.get(v).copied();
            }
            self.final_heads.push(heads);
            self.final_values.push(values);
        }
        self
    }

    /// `v`, observed at `offset` of `p`, is not in the final log and a record of its key that
    /// is there was not observed below `offset`: the cleaner removed `v` under that record.
    fn compacted_under_final_head(&self, p: usize, offset: u64, v: u64) -> bool {
        let (Some(heads), Some(values)) = (self.final_heads.get(p), self.final_values.get(p))
        else {
            return false;
        };
        let Some(k) = self.keys.key(v) else {
            return false;
        };
        !values.contains(&v)
            && heads
                .get(&k)
                .is_some_and(|&(w, at)| w != v && at.is_none_or(|a| a > offset))
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
        Lookup::Head(k, self.heads.get(p).and_then(|h| h.get(&k)).copied())
    }

    /// The record `v` at `offset` of partition `p` may be absent from a compacted log.
    pub fn excused(&self, p: usize, offset: Option<u64>, v: u64) -> bool {
        match self.lookup(p, v) {
            Lookup::Kept => false,
            Lookup::Tombstone => true,
            Lookup::Head(k, head) => {
                matches!((head, offset), (Some((h, _)), Some(o)) if h > o)
                    || offset.is_some_and(|o| self.compacted_under_final_head(p, o, v))
                    || self.superseded_by_offsetless_ack(p, k, v)
            }
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
            Lookup::Head(_, head) => matches!(head, Some((_, w)) if w >> 40 == v >> 40 && w > v),
        }
    }

    /// Keys whose last write is a tombstone nobody polled, while an earlier value was polled.
    pub fn missed_tombstones(&self, offsets: &[OffsetTable], polled: impl Fn(u64) -> bool) -> u64 {
        let mut missed = 0;
        for (p, heads) in self.heads.iter().enumerate() {
            let mut seen_before: BTreeMap<u64, bool> = BTreeMap::new();
            for (o, v) in offsets[p].iter().enumerate() {
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
        let offsets = vec![OffsetTable::from(vec![value(0, 1), value(0, 2)])];
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

    #[test]
    fn a_record_gone_under_a_final_head_nobody_polled_is_excused() {
        // Key space 1: one key. A consumer saw p0#1 and p0#2 at offsets 0 and 1 and stopped;
        // the cleaner later kept only p0#9 (never polled). The observed head is p0#2 itself.
        let keys = KeySpec {
            key_space: 1,
            tombstone_every: 0,
            compacted: true,
        };
        let offsets = vec![OffsetTable::from(vec![value(0, 1), value(0, 2)])];
        let heads = KeyHeads::new(keys, &offsets, &BTreeSet::new());
        assert!(!heads.excused(0, Some(1), value(0, 2)));
        let fin = vec![Some(FinalLog::copied(0, vec![value(0, 9)]))];
        let heads = heads.with_final(&fin, &offsets);
        assert!(heads.excused(0, Some(1), value(0, 2)));
        assert!(heads.excused(0, Some(0), value(0, 1)));
        // Still in the final log: not compacted, so skipping it is not excused.
        let fin = vec![Some(FinalLog::copied(0, vec![value(0, 2), value(0, 9)]))];
        let heads = KeyHeads::new(keys, &offsets, &BTreeSet::new()).with_final(&fin, &offsets);
        assert!(!heads.excused(0, Some(1), value(0, 2)));
        // The final head was seen below the offset: it cannot have superseded the record.
        let offsets = vec![OffsetTable::from(vec![value(0, 9), value(0, 2)])];
        let fin = vec![Some(FinalLog::copied(0, vec![value(0, 9)]))];
        let heads = KeyHeads::new(keys, &offsets, &BTreeSet::new()).with_final(&fin, &offsets);
        assert!(!heads.excused(0, Some(1), value(0, 2)));
    }

    #[test]
    fn a_record_under_a_later_send_acknowledged_as_a_duplicate_is_excused() {
        // One key: p0#2 was acked at offset 5 and read; p0#7 was acked without an offset; the
        // final log holds neither (p0#7 a tombstone removed past its horizon, say).
        let keys = KeySpec {
            key_space: 1,
            tombstone_every: 0,
            compacted: true,
        };
        let mut offsets = vec![OffsetTable::from(vec![0; 6])];
        offsets[0].set_if_empty(5, value(0, 2));
        let fin = vec![Some(FinalLog::copied(0, Vec::new()))];
        let heads = KeyHeads::new(keys, &offsets, &BTreeSet::new()).with_final(&fin, &offsets);
        assert!(!heads.excused(0, Some(5), value(0, 2)));
        let heads = heads.with_offsetless_acks([(0, value(0, 7))]);
        assert!(heads.excused(0, Some(5), value(0, 2)));
        // An earlier duplicate ack, another producer's, or another partition's: no order.
        let heads = KeyHeads::new(keys, &offsets, &BTreeSet::new()).with_offsetless_acks([
            (0, value(0, 1)),
            (0, value(1, 9)),
            (1, value(0, 9)),
        ]);
        assert!(!heads.excused(0, Some(5), value(0, 2)));
    }
}
