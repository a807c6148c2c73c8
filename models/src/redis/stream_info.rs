//! XINFO STREAM / XINFO GROUPS and the consumer-group read counter behind their
//! `entries-read` and `lag` fields (Redis 7.0, t_stream.c: `xinfoReplyWithStreamInfo`,
//! `xinfoCommand`, `streamReplyWithCGLag`, `streamEstimateDistanceFromFirstEverEntry`,
//! `streamRangeHasTombstones`).

use super::reply::Reply;
use super::stream::{Group, Stream};
use super::stream_id::StreamId;

fn field(name: &str) -> Reply {
    Reply::Bulk(name.to_string())
}

fn int(n: u64) -> Reply {
    Reply::Int(n as i64)
}

impl Stream {
    /// The stream's first entry id, `s->first_id` (0-0 when empty): Redis records it when
    /// the first entry is added and recomputes it after XDEL of the first entry or a trim,
    /// so it is always the first entry left.
    pub fn first_id(&self) -> StreamId {
        self.entries.keys().next().copied().unwrap_or_default()
    }

    /// `streamRangeHasTombstones(s, start, NULL)`: an XDEL'd id at or after `start` that is
    /// not before the first entry.
    fn has_tombstones_from(&self, start: StreamId) -> bool {
        !self.entries.is_empty()
            && self.max_deleted != StreamId::ZERO
            && self.first_id() <= self.max_deleted
            && start <= self.max_deleted
    }

    /// `streamEstimateDistanceFromFirstEverEntry`: the read counter of `id` when it can be
    /// known (the last id, or at or before the first entry with no tombstone ahead), else
    /// `None`.
    fn estimate_counter(&self, id: StreamId) -> Option<u64> {
        let (added, len) = (self.entries_added, self.entries.len() as u64);
        if added == 0 {
            return Some(0);
        }
        if len == 0 && id <= self.last_id {
            return Some(added);
        }
        if id == self.last_id {
            return Some(added);
        }
        if id > self.last_id {
            return None;
        }
        let first = self.first_id();
        if self.max_deleted == StreamId::ZERO || self.max_deleted < first {
            if id < first {
                return Some(added - len);
            }
            if id == first {
                return Some(added - len + 1);
            }
        }
        None
    }

    /// A group's counter after it is served entry `id` (`streamReplyWithRange`): one more
    /// when it was valid and no tombstone lies ahead, else re-estimated.
    pub(super) fn read_counter_after(&self, current: Option<u64>, id: StreamId) -> Option<u64> {
        match current {
            Some(n) if !self.has_tombstones_from(id) => Some(n + 1),
            _ if self.entries_added > 0 => self.estimate_counter(id),
            other => other,
        }
    }

    /// `streamReplyWithCGLag`: entries not yet delivered to the group, when known.
    fn lag(&self, g: &Group) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        let read = match g.entries_read {
            Some(n) if !self.has_tombstones_from(g.last_delivered) => Some(n),
            _ => self.estimate_counter(g.last_delivered),
        };
        read.map(|n| self.entries_added.saturating_sub(n))
    }

    /// `XINFO STREAM key`: a map (RESP2: a flat field/value array), in Redis 7.0's order.
    /// `radix-tree-keys` is the number of listpack nodes (`stream_node.rs`);
    /// `radix-tree-nodes` (the radix tree's own nodes, which depend on how the 128-bit ids
    /// share prefixes) is not modelled and reports the same number, masked in the
    /// conformance comparison (docs/redis-conformance.md).
    pub fn info(&self) -> Reply {
        let entry = |e: Option<(&StreamId, &super::stream::StreamEntry)>| match e {
            Some((id, e)) => Reply::Entry {
                id: *id,
                tag: Some(e.tag),
                count: 0,
            },
            None => Reply::Nil,
        };
        let mut fields = self.info_head();
        fields.extend([
            (field("groups"), int(self.groups.len() as u64)),
            (field("first-entry"), entry(self.entries.first_key_value())),
            (field("last-entry"), entry(self.entries.last_key_value())),
        ]);
        Reply::Map(fields)
    }

    /// The fields XINFO STREAM and XINFO STREAM FULL begin with, in Redis 7.0's order
    /// (t_stream.c `xinfoReplyWithStreamInfo`).
    fn info_head(&self) -> Vec<(Reply, Reply)> {
        let nodes = self.nodes.len() as u64;
        vec![
            (field("length"), int(self.entries.len() as u64)),
            (field("radix-tree-keys"), int(nodes)),
            (field("radix-tree-nodes"), int(nodes)),
            (field("last-generated-id"), Reply::Id(self.last_id)),
            (field("max-deleted-entry-id"), Reply::Id(self.max_deleted)),
            (field("entries-added"), int(self.entries_added)),
            (field("recorded-first-entry-id"), Reply::Id(self.first_id())),
        ]
    }

    /// `XINFO STREAM key FULL [COUNT n]` (t_stream.c `xinfoReplyWithStreamInfo`, full form,
    /// Redis 7.0): the summary's counters, then the first `n` entries (0: all), and per group
    /// (in name order) its name, last delivered id, read counter, lag, PEL size and its
    /// first `n` pending entries `[id, consumer, delivery-time, deliveries]`, and its
    /// consumers (name order) with their seen time, PEL size and first `n` pending entries
    /// `[id, delivery-time, deliveries]`. Times are the node's clock in ms (Redis: Unix ms).
    pub fn info_full(&self, count: u64) -> Reply {
        let take = |n: usize| if count == 0 { n } else { n.min(count as usize) };
        let opt = |n: Option<u64>| n.map_or(Reply::Nil, int);
        let entries = self
            .entries
            .iter()
            .take(take(self.entries.len()))
            .map(|(id, e)| Reply::Entry {
                id: *id,
                tag: Some(e.tag),
                count: 0,
            })
            .collect();
        let groups = self
            .groups
            .iter()
            .map(|(name, g)| {
                let pending = g
                    .pel
                    .iter()
                    .take(take(g.pel.len()))
                    .map(|(id, n)| {
                        Reply::Array(vec![
                            Reply::Id(*id),
                            Reply::Bulk(n.consumer.clone()),
                            int(n.delivery_ms),
                            int(n.count),
                        ])
                    })
                    .collect();
                let consumers = g
                    .consumers
                    .iter()
                    .map(|(c, seen)| {
                        let own: Vec<_> = g.pel.iter().filter(|(_, n)| n.consumer == *c).collect();
                        let rows = own
                            .iter()
                            .take(take(own.len()))
                            .map(|(id, n)| {
                                Reply::Array(vec![
                                    Reply::Id(**id),
                                    int(n.delivery_ms),
                                    int(n.count),
                                ])
                            })
                            .collect();
                        Reply::Map(vec![
                            (field("name"), Reply::Bulk(c.clone())),
                            (field("seen-time"), int(*seen)),
                            (field("pel-count"), int(own.len() as u64)),
                            (field("pending"), Reply::Array(rows)),
                        ])
                    })
                    .collect();
                Reply::Map(vec![
                    (field("name"), Reply::Bulk(name.clone())),
                    (field("last-delivered-id"), Reply::Id(g.last_delivered)),
                    (field("entries-read"), opt(g.entries_read)),
                    (field("lag"), opt(self.lag(g))),
                    (field("pel-count"), int(g.pel.len() as u64)),
                    (field("pending"), Reply::Array(pending)),
                    (field("consumers"), Reply::Array(consumers)),
                ])
            })
            .collect();
        let mut fields = self.info_head();
        fields.extend([
            (field("entries"), Reply::Array(entries)),
            (field("groups"), Reply::Array(groups)),
        ]);
        Reply::Map(fields)
    }

    /// `XINFO GROUPS key`: per group (in name order, as the radix tree iterates) its name,
    /// consumers, pending count, last delivered id, read counter (nil when unknown) and lag
    /// (nil when unknown).
    pub fn info_groups(&self) -> Reply {
        let opt = |n: Option<u64>| n.map_or(Reply::Nil, int);
        Reply::Array(
            self.groups
                .iter()
                .map(|(name, g)| {
                    Reply::Map(vec![
                        (field("name"), Reply::Bulk(name.clone())),
                        (field("consumers"), int(g.consumers.len() as u64)),
                        (field("pending"), int(g.pel.len() as u64)),
                        (field("last-delivered-id"), Reply::Id(g.last_delivered)),
                        (field("entries-read"), opt(g.entries_read)),
                        (field("lag"), opt(self.lag(g))),
                    ])
                })
                .collect(),
        )
    }

    /// `XINFO CONSUMERS key group` (t_stream.c `xinfoCommand`, Redis 7.0): per consumer (in
    /// name order) its name, its pending entries and the ms since it was last seen (7.2 adds
    /// `inactive`).
    pub fn info_consumers(&self, key: &str, group: &str, now_ms: u64) -> Reply {
        let Some(g) = self.groups.get(group) else {
            return Reply::Err(format!(
                "NOGROUP No such consumer group '{group}' for key name '{key}'"
            ));
        };
        Reply::Array(
            g.consumers
                .iter()
                .map(|(name, seen)| {
                    let pending = g.pel.values().filter(|n| n.consumer == *name).count();
                    Reply::Map(vec![
                        (field("name"), Reply::Bulk(name.clone())),
                        (field("pending"), int(pending as u64)),
                        (field("idle"), int(now_ms.saturating_sub(*seen))),
                    ])
                })
                .collect(),
        )
    }
}
