//! Redis Streams: entries with `ms-seq` ids, MAXLEN/MINID trimming, consumer groups with a
//! pending entries list (PEL), XREADGROUP (`>` and history), XACK, XCLAIM, XAUTOCLAIM.
//! Rules from t_stream.c and the commands' documentation (see docs/redis.md).

use super::config::NodeLimits;
use super::reply::Reply;
use super::stream_id::StreamId;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct StreamEntry {
    pub tag: u64,
    pub bytes: u64,
}

/// A pending entry (NACK): owner, last delivery time, delivery counter.
#[derive(Clone, Debug, PartialEq)]
pub struct Nack {
    pub consumer: String,
    pub delivery_ms: u64,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Group {
    pub last_delivered: StreamId,
    pub pel: BTreeMap<StreamId, Nack>,
    /// The group's logical read counter (`streamCG.entries_read`); `None` is Redis's
    /// `SCG_INVALID_ENTRIES_READ` (unknown: XINFO answers nil). See `stream_info.rs`.
    pub entries_read: Option<u64>,
    /// The consumers the group knows (created when first served or when they claim), with
    /// the time each was last seen (`streamConsumer.seen_time`, ms of the node's clock).
    pub consumers: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stream {
    pub entries: BTreeMap<StreamId, StreamEntry>,
    pub last_id: StreamId,
    pub groups: BTreeMap<String, Group>,
    /// Bytes of the entries held (kept up to date on add and trim).
    pub size: u64,
    /// Every entry below this id that the stream held was removed by trimming (MAXLEN/MINID).
    /// Checker bookkeeping, like Redis's own `first-entry` / `max-deleted-entry-id` (XINFO
    /// STREAM): it tells a trimmed entry from one the stream never had or lost with its
    /// dataset (a restart without persistence recreates the stream from a later XADD).
    pub trimmed_below: StreamId,
    /// Entries ever added (`stream.entries_added`, XINFO `entries-added`).
    pub entries_added: u64,
    /// The greatest id XDEL removed (`stream.max_deleted_entry_id`; trimming leaves it).
    pub max_deleted: StreamId,
    /// The listpack nodes by master id (`stream_node.rs`).
    pub nodes: BTreeMap<StreamId, Node>,
}

/// One node (its master id is its key in `Stream::nodes`; laid out and
/// trimmed by `stream_node.rs`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    pub live: u64,
    pub deleted: u64,
    /// `lpBytes`: the listpack's encoded size.
    pub bytes: u64,
    /// The last entry appended (live or deleted).
    pub last: StreamId,
}

// The group methods below answer a missing group with a NOGROUP error that cannot name the
// key; commands reach them only through `Dataset::no_group`, which answers first with Redis's
// exact text (key and group named).

/// What a group operation changed, for propagation to replicas.
#[derive(Debug, Default)]
pub struct GroupChange {
    pub set: Vec<(StreamId, String, u64, u64)>,
    pub del: Vec<StreamId>,
}

fn entry_reply(id: StreamId, e: Option<&StreamEntry>, count: u64) -> Reply {
    Reply::Entry {
        id,
        tag: e.map(|e| e.tag),
        count,
    }
}

/// XREAD / XREADGROUP: one `[key, [entries…]]` pair per stream served in RESP2, a map key →
/// entries in RESP3 (t_stream.c `xreadCommand`: `addReplyArrayLen(c,2)` only when
/// `c->resp == 2`, the key, then `streamReplyWithRange`'s entries; `Reply::Streams`).
/// The model reads one key per command, so a served stream is `[[key, [entries…]]]`; a nil
/// (nothing served) or an error passes through.
pub fn keyed(key: &str, entries: Reply) -> Reply {
    match entries {
        Reply::Array(_) => Reply::Streams(vec![(Reply::Bulk(key.to_string()), entries)]),
        other => other,
    }
}

impl Stream {
    pub fn bytes(&self) -> u64 {
        self.size + 64 * self.groups.len() as u64
    }

    /// XADD: `*` is `max(local ms, last ms)` with the next sequence, so ids stay monotonic under
    /// clock skew and failover (t_stream.c `streamIncrID`). An explicit id must be above the top.
    pub fn add(
        &mut self,
        id: Option<StreamId>,
        now_ms: u64,
        tag: u64,
        bytes: u64,
        limits: NodeLimits,
    ) -> Result<StreamId, Reply> {
        let id = match id {
            // t_stream.c xaddCommand: an explicit 0-0 is refused before the top-item check.
            Some(StreamId::ZERO) => {
                return Err(Reply::err(
                    "ERR The ID specified in XADD must be greater than 0-0",
                ));
            }
            Some(id) if id <= self.last_id => {
                return Err(Reply::err(
                    "ERR The ID specified in XADD is equal or smaller than the target stream top item",
                ));
            }
            Some(id) => id,
            None if now_ms > self.last_id.ms => StreamId::new(now_ms, 0),
            None => self.last_id.next(),
        };
        self.entries.insert(id, StreamEntry { tag, bytes });
        self.size += bytes + 32;
        self.last_id = id;
        self.entries_added += 1;
        self.node_append(id, bytes, limits);
        Ok(id)
    }

    pub fn read(&self, after: StreamId, count: u64) -> Reply {
        let v = self
            .entries
            .range(after.next()..)
            .take(count as usize)
            .map(|(id, e)| entry_reply(*id, Some(e), 0))
            .collect();
        Reply::Array(v)
    }

    pub fn create_group(&mut self, group: &str, id: Option<StreamId>) -> Reply {
        if self.groups.contains_key(group) {
            return Reply::err("BUSYGROUP Consumer Group name already exists");
        }
        let last = id.unwrap_or(self.last_id);
        self.groups.insert(
            group.to_string(),
            Group {
                last_delivered: last,
                ..Group::default()
            },
        );
        Reply::Ok
    }

    /// XREADGROUP. `>` (id None): entries after `last_delivered`, each given a NACK with count 1
    /// (unless NOACK); never another consumer's pending entries. An explicit id: this consumer's
    /// own PEL after it, each delivery counter +1; deleted entries come back as `[id, nil]`.
    #[allow(clippy::too_many_arguments)]
    pub fn read_group(
        &mut self,
        group: &str,
        consumer: &str,
        id: Option<StreamId>,
        count: u64,
        noack: bool,
        now_ms: u64,
        change: &mut GroupChange,
    ) -> Reply {
        if !self.groups.contains_key(group) {
            return Reply::err(
                "NOGROUP No such key or consumer group in XREADGROUP with GROUP option",
            );
        }
        let mut out = Vec::new();
        match id {
            None => {
                let from = self.groups[group].last_delivered.next();
                let ids: Vec<StreamId> = self
                    .entries
                    .range(from..)
                    .take(count as usize)
                    .map(|(k, _)| *k)
                    .collect();
                for id in ids {
                    let read = self.read_counter_after(self.groups[group].entries_read, id);
                    let g = self.groups.get_mut(group).expect("checked");
                    g.entries_read = read;
                    g.last_delivered = id;
                    if !noack {
                        g.pel.insert(
                            id,
                            Nack {
                                consumer: consumer.to_string(),
                                delivery_ms: now_ms,
                                count: 1,
                            },
                        );
                        change.set.push((id, consumer.to_string(), now_ms, 1));
                    }
                    out.push(entry_reply(id, self.entries.get(&id), 1));
                }
                // `>` with nothing newer than the group's last delivered id is not served
                // synchronously and, without BLOCK, replies a null array (RESP2 `*-1`, redis-cli
                // "(nil)"), as XREAD does. t_stream.c `xreadCommand` (7.x) serves a `>` stream
                // only when `s->length` is non-zero and `streamLastValidID` — the last entry
                // still present, not `s->last_id` — is above the group's `last_id`; so an entry
                // above it exists and the reply is never an empty list, also after trimming or
                // deleting everything (Redis 5.0 compared `s->last_id` and could answer
                // `[[key, []]]`). Otherwise `addReplyNullArray`. An explicit id always serves
                // the consumer's PEL (`serve_history`): that form answers the stream with an
                // empty entry list instead (below: `[[key, []]]` once `keyed`).
                if out.is_empty() {
                    return Reply::NilArray;
                }
            }
            Some(after) => {
                let g = self.groups.get_mut(group).expect("checked");
                let mine: Vec<StreamId> = g
                    .pel
                    .range(after.next()..)
                    .filter(|(_, n)| n.consumer == consumer)
                    .take(count as usize)
                    .map(|(k, _)| *k)
                    .collect();
                // t_stream.c streamReplyWithRangeFromConsumerPEL: an entry still in the
                // stream is delivered again (time and counter updated); a deleted one is
                // answered `[id, nil]` and left as it was.
                for id in mine {
                    let n = g.pel.get_mut(&id).expect("listed");
                    if self.entries.contains_key(&id) {
                        n.count += 1;
                        n.delivery_ms = now_ms;
                        change.set.push((id, consumer.to_string(), now_ms, n.count));
                    }
                    out.push(entry_reply(id, self.entries.get(&id), n.count));
                }
            }
        }
        // A served read creates its consumer (xreadCommand: `streamCreateConsumer` when the
        // stream is served synchronously, or later when a blocked read is served).
        let g = self.groups.get_mut(group).expect("checked");
        g.consumers.insert(consumer.to_string(), now_ms);
        Reply::Array(out)
    }

    pub fn ack(&mut self, group: &str, ids: &[StreamId], change: &mut GroupChange) -> Reply {
        let Some(g) = self.groups.get_mut(group) else {
            return Reply::Int(0);
        };
        let mut n = 0;
        for id in ids {
            if g.pel.remove(id).is_some() {
                n += 1;
                change.del.push(*id);
            }
        }
        Reply::Int(n)
    }

    /// XCLAIM: only entries idle for at least `min_idle`; the claim resets idle; +1 delivery
    /// unless JUSTID; ids gone from the stream are purged from the PEL (7.0+).
    #[allow(clippy::too_many_arguments)]
    pub fn claim(
        &mut self,
        group: &str,
        consumer: &str,
        min_idle_ms: u64,
        ids: &[StreamId],
        justid: bool,
        now_ms: u64,
        change: &mut GroupChange,
    ) -> Reply {
        let Some(g) = self.groups.get_mut(group) else {
            return Reply::err("NOGROUP No such key or consumer group");
        };
        let mut out = Vec::new();
        for id in ids {
            let Some(n) = g.pel.get_mut(id) else { continue };
            // xclaimCommand: an id gone from the stream leaves the PEL before the min-idle
            // test, whatever its idle time.
            if !self.entries.contains_key(id) {
                g.pel.remove(id);
                change.del.push(*id);
                continue;
            }
            if now_ms.saturating_sub(n.delivery_ms) < min_idle_ms {
                continue;
            }
            n.consumer = consumer.to_string();
            n.delivery_ms = now_ms;
            if !justid {
                n.count += 1;
            }
            // xclaimCommand creates the consumer at its first claim.
            g.consumers.insert(consumer.to_string(), now_ms);
            change
                .set
                .push((*id, consumer.to_string(), now_ms, n.count));
            out.push(if justid {
                Reply::Id(*id)
            } else {
                entry_reply(*id, self.entries.get(id), n.count)
            });
        }
        Reply::Array(out)
    }

    /// XAUTOCLAIM: scan at most 10 × COUNT PEL entries from `start`; reply
    /// `[next cursor, claimed, deleted ids]`; cursor `0-0` means the scan is done.
    #[allow(clippy::too_many_arguments)]
    pub fn autoclaim(
        &mut self,
        group: &str,
        consumer: &str,
        min_idle_ms: u64,
        start: StreamId,
        count: u64,
        justid: bool,
        now_ms: u64,
        change: &mut GroupChange,
    ) -> Reply {
        let Some(g) = self.groups.get(group) else {
            return Reply::err("NOGROUP No such key or consumer group");
        };
        // xautoclaimCommand: at most COUNT × 10 attempts; COUNT limits the reply, and a
        // deleted entry (dropped from the PEL, listed in the third element) uses it up like a
        // claimed one; it is tested before min-idle. The cursor is the next PEL id after the
        // last one examined, 0-0 at the end.
        let scan: Vec<StreamId> = g.pel.range(start..).map(|(k, _)| *k).collect();
        let mut claimed = Vec::new();
        let mut deleted = Vec::new();
        let (mut attempts, mut left) = (count * 10, count);
        let mut examined = 0;
        for &id in &scan {
            if attempts == 0 || left == 0 {
                break;
            }
            attempts -= 1;
            examined += 1;
            let g = self.groups.get_mut(group).expect("checked");
            let n = g.pel.get_mut(&id).expect("listed");
            if !self.entries.contains_key(&id) {
                g.pel.remove(&id);
                change.del.push(id);
                deleted.push(Reply::Id(id));
                left -= 1;
                continue;
            }
            if now_ms.saturating_sub(n.delivery_ms) < min_idle_ms {
                continue;
            }
            n.consumer = consumer.to_string();
            n.delivery_ms = now_ms;
            if !justid {
                n.count += 1;
            }
            g.consumers.insert(consumer.to_string(), now_ms);
            change.set.push((id, consumer.to_string(), now_ms, n.count));
            claimed.push(if justid {
                Reply::Id(id)
            } else {
                entry_reply(id, self.entries.get(&id), n.count)
            });
            left -= 1;
        }
        let next = scan.get(examined).copied().unwrap_or(StreamId::ZERO);
        Reply::Array(vec![
            Reply::Id(next),
            Reply::Array(claimed),
            Reply::Array(deleted),
        ])
    }

    /// XPENDING key group - + 100: `[[id, consumer, idle, count]]`; idle renders as `_` so
    /// scripts can compare.
    pub fn pending(&self, group: &str) -> Reply {
        let Some(g) = self.groups.get(group) else {
            return Reply::err("NOGROUP No such key or consumer group");
        };
        Reply::Array(
            g.pel
                .iter()
                .take(100)
                .map(|(id, n)| {
                    Reply::Array(vec![
                        Reply::Id(*id),
                        Reply::Bulk(n.consumer.clone()),
                        Reply::Bulk("_".into()),
                        Reply::Int(n.count as i64),
                    ])
                })
                .collect(),
        )
    }

    /// XPENDING key group (t_stream.c xpendingCommand, summary form): `[count, smallest id,
    /// greatest id, [[consumer, "pending"], ...]]` with consumers in name order; `[0, nil,
    /// nil, nil]` when nothing is pending.
    pub fn pending_summary(&self, group: &str) -> Reply {
        let Some(g) = self.groups.get(group) else {
            return Reply::err("NOGROUP No such key or consumer group");
        };
        let (Some((first, _)), Some((last, _))) = (g.pel.first_key_value(), g.pel.last_key_value())
        else {
            return Reply::Array(vec![Reply::Int(0), Reply::Nil, Reply::Nil, Reply::NilArray]);
        };
        let mut per: std::collections::BTreeMap<&str, u64> = Default::default();
        for n in g.pel.values() {
            *per.entry(n.consumer.as_str()).or_default() += 1;
        }
        Reply::Array(vec![
            Reply::Int(g.pel.len() as i64),
            Reply::Id(*first),
            Reply::Id(*last),
            Reply::Array(
                per.into_iter()
                    .map(|(c, n)| {
                        Reply::Array(vec![Reply::Bulk(c.into()), Reply::Bulk(n.to_string())])
                    })
                    .collect(),
            ),
        ])
    }

    /// Apply a propagated group change on a replica.
    pub fn apply_sync(
        &mut self,
        group: &str,
        last: StreamId,
        set: &[(StreamId, String, u64, u64)],
        del: &[StreamId],
    ) {
        let g = self.groups.entry(group.to_string()).or_default();
        if last > g.last_delivered {
            g.last_delivered = last;
        }
        for (id, consumer, t, count) in set {
            // The propagated XCLAIM creates its consumer on the replica too (seen when the
            // primary delivered).
            g.consumers.insert(consumer.clone(), *t);
            g.pel.insert(
                *id,
                Nack {
                    consumer: consumer.clone(),
                    delivery_ms: *t,
                    count: *count,
                },
            );
        }
        for id in del {
            g.pel.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_monotonic_when_the_clock_goes_back() {
        let mut s = Stream::default();
        assert_eq!(
            s.add(None, 1_000, 1, 10, NodeLimits::default()).unwrap(),
            StreamId::new(1_000, 0)
        );
        assert_eq!(
            s.add(None, 900, 2, 10, NodeLimits::default()).unwrap(),
            StreamId::new(1_000, 1)
        );
        assert_eq!(
            s.add(None, 1_001, 3, 10, NodeLimits::default()).unwrap(),
            StreamId::new(1_001, 0)
        );
        assert!(
            s.add(Some(StreamId::new(5, 0)), 0, 4, 10, NodeLimits::default())
                .is_err()
        );
    }

    #[test]
    fn minid_and_maxlen_trim_from_the_head_ignoring_groups() {
        let mut s = Stream::default();
        for i in 1..=10 {
            s.add(Some(StreamId::new(i, 0)), 0, i, 10, NodeLimits::default())
                .unwrap();
        }
        s.create_group("g", Some(StreamId::ZERO));
        assert_eq!(
            s.trim(None, Some(StreamId::new(4, 0)), false, 0),
            Some(StreamId::new(4, 0))
        );
        assert_eq!(s.trim(Some(5), None, false, 0), Some(StreamId::new(6, 0)));
        assert_eq!(
            s.trimmed_below,
            StreamId::new(6, 0),
            "1-0..5-0 were trimmed"
        );
        assert_eq!(s.trim(Some(5), None, false, 0), None);
        assert_eq!(s.trimmed_below, StreamId::new(6, 0));
        assert_eq!(s.entries.len(), 5);
        assert_eq!(s.size, 5 * 42);
        let mut ch = GroupChange::default();
        // The group never saw 1-0..5-0: `>` starts at the first entry left.
        let r = s.read_group("g", "c", None, 1, false, 0, &mut ch);
        assert_eq!(r.render(), "[[6-0, [p, _]]]");
    }
}
