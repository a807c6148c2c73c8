//! The stream's listpack nodes, as t_stream.c lays them out: `streamAppendItem` appends to the
//! last node until it holds `stream-node-max-entries` entries (live and deleted) or adding the
//! entry's field and value would reach `stream-node-max-bytes` of listpack encoding, then opens
//! a node; XDEL marks an entry deleted and frees a node whose last live entry goes
//! (`streamIteratorRemoveEntry`); `streamTrim` removes whole nodes from the head and, unless
//! approximate (`~`), marks the entries of the next node deleted one by one. The byte sizes
//! follow listpack.c (`lpEncodeGetType`, `lpEncodeBacklen`) for the model's entries: one field
//! `p` (the master entry's) and a value of `bytes` `x`s, so every entry has SAMEFIELDS.

use super::config::NodeLimits;
use super::reply::Reply;
use super::stream::{Node, Stream};
use super::stream_id::StreamId;

/// `STREAM_LISTPACK_MAX_SIZE`: a node never grows past 1 GiB, whatever the setting.
const LISTPACK_MAX_SIZE: u64 = 1 << 30;

/// The node settings' rules (`NodeLimits` itself is in `config.rs`).
impl NodeLimits {
    /// The LIMIT of an approximate trim without one (t_stream.c
    /// `streamParseAddOrTrimArgsOrReply`): 100 × `stream-node-max-entries`, 10,000 when that
    /// is 0 (or overflows below 1), at most 1,000,000.
    pub fn approx_limit(self) -> u64 {
        let l = (self.max_entries as i64).wrapping_mul(100);
        if l <= 0 {
            10_000
        } else {
            l.min(1_000_000) as u64
        }
    }

    /// Whether a node of `bytes` bytes holding `entries` entries (live and deleted) takes no
    /// entry of `added` field and value bytes (`streamAppendItem`: `lp_bytes + totelelen >=
    /// node_max_bytes`, 0 or above 1 GiB meaning 1 GiB; then the count, unless 0).
    fn full(self, bytes: u64, entries: u64, added: u64) -> bool {
        let max_bytes = match self.max_bytes {
            0 => LISTPACK_MAX_SIZE,
            b => b.min(LISTPACK_MAX_SIZE),
        };
        bytes + added >= max_bytes || (self.max_entries != 0 && entries >= self.max_entries)
    }
}

/// XADD's / XTRIM's trimming options as t_stream.c `streamParseAddOrTrimArgsOrReply` checks
/// them (the model writes them in the order `MAXLEN`, `MINID`, `LIMIT`), and the LIMIT the trim
/// then runs with (0: none): the error of the first rule broken, in the function's order.
/// `LIMIT` is only for `~` (an exact trim is never limited); `LIMIT 0` lifts the limit; without
/// `LIMIT` a `~` trim gets `NodeLimits::approx_limit`. A trim the primary propagates is exact,
/// so a replica never limits it (`mustObeyClient`).
pub fn trim_args(
    maxlen: Option<u64>,
    minid: Option<StreamId>,
    approx: bool,
    limit: Option<i64>,
    xadd: bool,
    node: NodeLimits,
) -> Result<u64, Reply> {
    let none = maxlen.is_none() && minid.is_none();
    let err = if maxlen.is_some() && minid.is_some() {
        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
    } else if limit.is_some_and(|l| l < 0) {
        "ERR The LIMIT argument must be >= 0."
    } else if none && limit.is_some_and(|l| l != 0) {
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
    } else if none && !xadd {
        "ERR syntax error, XTRIM must be called with a trimming strategy"
    } else if limit.is_some() && !approx {
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    } else {
        return Ok(match (approx, limit) {
            (false, _) => 0,
            (true, Some(l)) => l as u64,
            (true, None) => node.approx_limit(),
        });
    };
    Err(Reply::err(err))
}

/// Bytes of an integer element (`lpEncodeIntegerGetType`) with its back length.
fn int_elem(v: i128) -> u64 {
    let n = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    };
    n + backlen(n)
}

/// Bytes of a string element that is not an integer, with its back length.
fn str_elem(len: u64) -> u64 {
    let n = match len {
        0..64 => 1 + len,
        64..4096 => 2 + len,
        _ => 5 + len,
    };
    n + backlen(n)
}

fn backlen(l: u64) -> u64 {
    match l {
        0..=127 => 1,
        128..16383 => 2,
        16383..2_097_151 => 3,
        2_097_151..268_435_455 => 4,
        _ => 5,
    }
}

/// `numfields`, the field `p`, the counters and terminators of a new node: header (6), end
/// byte (1), count, deleted, field count, `p`, the master entry's 0.
fn new_node_bytes() -> u64 {
    6 + 1 + int_elem(1) + int_elem(0) + int_elem(1) + str_elem(1) + int_elem(0)
}

impl Stream {
    /// `streamAppendItem` for entry `id` whose value is `bytes` long (at least one byte, as
    /// the conformance harness sends it), with the server's settings now.
    pub(super) fn node_append(&mut self, id: StreamId, bytes: u64, limits: NodeLimits) {
        let value = bytes.max(1);
        // The field and the value's lengths (`totelelen`).
        let added = 1 + value;
        let full = |n: &Node| limits.full(n.bytes, n.live + n.deleted, added);
        if self.nodes.last_key_value().is_none_or(|(_, n)| full(n)) {
            let node = Node {
                bytes: new_node_bytes(),
                ..Node::default()
            };
            self.nodes.insert(id, node);
        }
        let (master, node) = self.nodes.iter_mut().next_back().expect("a node");
        // flags (SAMEFIELDS), ms and seq differences to the master id, the value, lp-count 4.
        node.bytes += int_elem(2)
            + int_elem(id.ms as i128 - master.ms as i128)
            + int_elem(id.seq as i128 - master.seq as i128)
            + str_elem(value)
            + int_elem(4);
        node.live += 1;
        node.last = id;
    }

    /// XDEL of `id` (an entry that was present): marked deleted; the node goes with its last
    /// live entry.
    pub(super) fn node_delete(&mut self, id: StreamId) {
        let Some((&master, node)) = self.nodes.range_mut(..=id).next_back() else {
            return;
        };
        node.live -= 1;
        node.deleted += 1;
        if node.live == 0 {
            self.nodes.remove(&master);
        }
    }

    fn remove_entry(&mut self, id: StreamId) {
        if let Some(e) = self.entries.remove(&id) {
            self.size -= (e.bytes + 32).min(self.size);
        }
    }

    /// `streamTrim` by MAXLEN (`maxlen`) or MINID: the number of entries removed. `limit`
    /// (0: none) stops before a whole node that would take the count past it.
    fn trim_nodes(
        &mut self,
        maxlen: Option<u64>,
        minid: StreamId,
        approx: bool,
        limit: u64,
    ) -> u64 {
        let mut deleted = 0;
        let masters: Vec<StreamId> = self.nodes.keys().copied().collect();
        for master in masters {
            let len = self.entries.len() as u64;
            if maxlen.is_some_and(|m| len <= m) {
                break;
            }
            let n = self.nodes[&master].clone();
            if limit > 0 && deleted + n.live > limit {
                break;
            }
            let whole = match maxlen {
                Some(m) => len - n.live >= m,
                None => n.last < minid,
            };
            let ids: Vec<StreamId> = self
                .entries
                .range(master..=n.last)
                .map(|(k, _)| *k)
                .collect();
            if whole {
                for id in ids {
                    self.remove_entry(id);
                }
                self.nodes.remove(&master);
                deleted += n.live;
                continue;
            }
            if approx {
                break;
            }
            for id in ids {
                let stop = match maxlen {
                    Some(m) => self.entries.len() as u64 <= m,
                    None => id >= minid,
                };
                if stop {
                    break;
                }
                self.remove_entry(id);
                let node = self.nodes.get_mut(&master).expect("present");
                node.live -= 1;
                node.deleted += 1;
                deleted += 1;
            }
            break;
        }
        deleted
    }

    /// MAXLEN / MINID trimming from the head, consumer groups ignored (pending or undelivered
    /// entries go too); `approx` (`~`) removes whole nodes only, at most `limit` entries (0:
    /// no limit; exact trims have none). Returns the first id kept, when anything was removed.
    pub fn trim(
        &mut self,
        maxlen: Option<u64>,
        minid: Option<StreamId>,
        approx: bool,
        limit: u64,
    ) -> Option<StreamId> {
        let limit = if approx { limit } else { 0 };
        let mut removed = 0;
        if let Some(n) = maxlen {
            removed += self.trim_nodes(Some(n), StreamId::ZERO, approx, limit);
        }
        if let Some(min) = minid {
            removed += self.trim_nodes(None, min, approx, limit);
        }
        let first_kept = (removed > 0).then(|| {
            self.entries
                .keys()
                .next()
                .copied()
                .unwrap_or(self.last_id.next())
        });
        if let Some(id) = first_kept {
            self.trimmed_below = self.trimmed_below.max(id);
        }
        first_kept
    }

    /// A propagated trim: exact, to `first_kept` (Redis rewrites a `~` trim into an exact one
    /// with the resulting threshold, `streamRewriteTrimArgument`).
    pub fn trim_to(&mut self, first_kept: StreamId) {
        self.trimmed_below = self.trimmed_below.max(first_kept);
        self.trim_nodes(None, first_kept, false, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(n: u64, bytes: u64) -> Stream {
        let mut s = Stream::default();
        for i in 1..=n {
            s.add(
                Some(StreamId::new(i, 0)),
                0,
                i,
                bytes,
                NodeLimits::default(),
            )
            .expect("add");
        }
        s
    }

    #[test]
    fn nodes_close_at_100_entries_or_4096_bytes() {
        let s = stream(250, 10);
        let live: Vec<u64> = s.nodes.values().map(|n| n.live).collect();
        assert_eq!(live, [100, 100, 50]);
        // 1000-byte values: 18 bytes of node, 1012 per entry: four fit under 4096.
        let s = stream(9, 1000);
        let live: Vec<u64> = s.nodes.values().map(|n| n.live).collect();
        assert_eq!(live, [4, 4, 1]);
        assert_eq!(s.nodes[&StreamId::new(1, 0)].bytes, 18 + 4 * 1012);
    }

    #[test]
    fn approximate_trimming_removes_whole_nodes_only() {
        let mut s = stream(250, 10);
        assert_eq!(
            s.trim(Some(120), None, true, 10_000),
            Some(StreamId::new(101, 0))
        );
        assert_eq!(s.entries.len(), 150);
        assert_eq!(
            s.trim(Some(120), None, true, 10_000),
            None,
            "no whole node to drop"
        );
        assert_eq!(
            s.trim(Some(120), None, false, 10_000),
            Some(StreamId::new(131, 0))
        );
        assert_eq!(s.entries.len(), 120);
        // The partly trimmed node keeps its deleted entries; MINID ~ drops it only whole.
        assert_eq!(s.nodes[&StreamId::new(101, 0)].deleted, 30);
        assert_eq!(
            s.trim(None, Some(StreamId::new(230, 0)), true, 10_000),
            Some(StreamId::new(201, 0))
        );
        // XDEL of a node's last live entries frees it.
        let ids: Vec<StreamId> = (201..=250).map(|i| StreamId::new(i, 0)).collect();
        s.delete(&ids);
        assert!(s.nodes.is_empty());
    }

    #[test]
    fn node_settings_are_read_at_each_append() {
        let (two, free) = (
            NodeLimits {
                max_entries: 2,
                max_bytes: 0,
            },
            NodeLimits {
                max_entries: 0,
                max_bytes: 0,
            },
        );
        let mut s = Stream::default();
        for i in 1..=5 {
            s.add(Some(StreamId::new(i, 0)), 0, i, 10, two)
                .expect("add");
        }
        // 0 bytes is no byte limit (1 GiB), 0 entries no count limit: the last node grows.
        for i in 6..=300 {
            s.add(Some(StreamId::new(i, 0)), 0, i, 5000, free)
                .expect("add");
        }
        let live: Vec<u64> = s.nodes.values().map(|n| n.live).collect();
        assert_eq!(live, [2, 2, 296]);
        let bytes_only = NodeLimits {
            max_entries: 0,
            max_bytes: 300,
        };
        assert!(!bytes_only.full(250, 1_000_000, 49));
        assert!(bytes_only.full(250, 0, 50), "lp_bytes + totelelen >= max");
    }

    #[test]
    fn approx_limit_is_100_times_node_entries_capped_both_sides() {
        let l = |max_entries| {
            NodeLimits {
                max_entries,
                max_bytes: 4096,
            }
            .approx_limit()
        };
        assert_eq!(l(100), 10_000);
        assert_eq!(l(3), 300);
        assert_eq!(l(0), 10_000);
        assert_eq!(l(20_000), 1_000_000);
        assert_eq!(l(i64::MAX as u64), 10_000, "100 × LLONG_MAX wraps below 0");
    }

    #[test]
    fn trim_options_are_checked_in_redis_order() {
        let d = NodeLimits::default();
        let id = Some(StreamId::new(5, 0));
        let e = |r: Result<u64, Reply>| r.expect_err("an error").render();
        assert_eq!(
            e(trim_args(Some(1), id, true, Some(-1), true, d)),
            "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
        );
        assert_eq!(
            e(trim_args(Some(1), None, false, Some(-1), true, d)),
            "-ERR The LIMIT argument must be >= 0."
        );
        assert_eq!(
            e(trim_args(None, None, false, Some(4), false, d)),
            "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
        );
        assert_eq!(
            e(trim_args(None, None, false, Some(0), false, d)),
            "-ERR syntax error, XTRIM must be called with a trimming strategy"
        );
        assert_eq!(
            e(trim_args(None, None, false, Some(0), true, d)),
            "-ERR syntax error, LIMIT cannot be used without the special ~ option"
        );
        assert_eq!(trim_args(None, None, false, None, true, d), Ok(0));
        assert_eq!(trim_args(Some(1), None, false, None, true, d), Ok(0));
        assert_eq!(trim_args(None, id, true, None, false, d), Ok(10_000));
        assert_eq!(trim_args(None, id, true, Some(0), false, d), Ok(0));
        assert_eq!(trim_args(None, id, true, Some(7), false, d), Ok(7));
    }

    #[test]
    fn a_limited_approximate_trim_stops_before_the_node_that_would_pass_it() {
        let mut s = stream(250, 10);
        assert_eq!(
            s.trim(Some(0), None, true, 150),
            Some(StreamId::new(101, 0))
        );
        assert_eq!(s.entries.len(), 150);
        assert_eq!(s.trim(Some(0), None, true, 99), None);
        // An exact trim is never limited.
        assert_eq!(s.trim(Some(0), None, false, 1), Some(StreamId::new(250, 1)));
        assert!(s.entries.is_empty());
    }
}
