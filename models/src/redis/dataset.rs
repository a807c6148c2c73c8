//! The keyspace: strings, counters and streams, with `maxmemory` accounting, `noeviction`
//! (OOM error on writes) and `allkeys-lru` (exact LRU, where Redis samples 5 keys).

use super::config::EvictionPolicy;
use super::msg::{Cmd, Reply};
use super::stream::{GroupChange, Stream, StreamId};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str { value: u64, bytes: u64 },
    Int(i64),
    Stream(Stream),
}

/// Approximate per-key overhead (dictEntry + robj + sds header).
const KEY_OVERHEAD: u64 = 56;

fn value_bytes(v: &Value) -> u64 {
    match v {
        Value::Str { bytes, .. } => *bytes,
        Value::Int(_) => 8,
        Value::Stream(s) => s.bytes(),
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    pub keys: BTreeMap<String, (Value, u64)>,
    pub used_bytes: u64,
    tick: u64,
}

/// The effect of one command on the dataset: its reply and what goes into the replication
/// stream (and AOF). Read-only commands propagate nothing.
pub struct Outcome {
    pub reply: Reply,
    pub propagate: Vec<Cmd>,
}

impl Outcome {
    fn read(reply: Reply) -> Outcome {
        Outcome {
            reply,
            propagate: Vec::new(),
        }
    }
}

impl Dataset {
    fn recompute(&mut self, key: &str, before: u64) {
        let after = self
            .keys
            .get(key)
            .map_or(0, |(v, _)| value_bytes(v) + KEY_OVERHEAD + key.len() as u64);
        self.used_bytes = self.used_bytes.saturating_sub(before) + after;
    }

    fn size_of(&self, key: &str) -> u64 {
        self.keys
            .get(key)
            .map_or(0, |(v, _)| value_bytes(v) + KEY_OVERHEAD + key.len() as u64)
    }

    fn touch(&mut self, key: &str) {
        self.tick += 1;
        let t = self.tick;
        if let Some((_, lru)) = self.keys.get_mut(key) {
            *lru = t;
        }
    }

    pub fn value(&self, key: &str) -> Option<&Value> {
        self.keys.get(key).map(|(v, _)| v)
    }

    pub fn stream(&self, key: &str) -> Option<&Stream> {
        match self.value(key) {
            Some(Value::Stream(s)) => Some(s),
            _ => None,
        }
    }

    /// `performEvictions` before a command that may grow memory: with `noeviction` (or nothing
    /// left to evict) the command gets the OOM error; `allkeys-lru` evicts least recently used
    /// keys until usage is under the limit. Returns the keys evicted (propagated as DEL).
    pub fn make_room(
        &mut self,
        maxmemory: u64,
        policy: EvictionPolicy,
    ) -> Result<Vec<String>, Reply> {
        if maxmemory == 0 || self.used_bytes <= maxmemory {
            return Ok(Vec::new());
        }
        let mut evicted = Vec::new();
        if policy == EvictionPolicy::AllkeysLru {
            while self.used_bytes > maxmemory {
                let Some(victim) = self
                    .keys
                    .iter()
                    .min_by_key(|(_, (_, lru))| *lru)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                let before = self.size_of(&victim);
                self.keys.remove(&victim);
                self.used_bytes -= before.min(self.used_bytes);
                evicted.push(victim);
            }
        }
        if self.used_bytes > maxmemory {
            return Err(Reply::err(
                "OOM command not allowed when used memory > 'maxmemory'.",
            ));
        }
        Ok(evicted)
    }

    fn stream_mut(&mut self, key: &str, create: bool) -> Result<Option<&mut Stream>, Reply> {
        if create && !self.keys.contains_key(key) {
            self.keys
                .insert(key.to_string(), (Value::Stream(Stream::default()), 0));
        }
        match self.keys.get_mut(key) {
            Some((Value::Stream(s), _)) => Ok(Some(s)),
            Some(_) => Err(Reply::err(
                "WRONGTYPE Operation against a key holding the wrong kind of value",
            )),
            None => Ok(None),
        }
    }

    /// Execute a data command. `now_ms` is the node's clock (stream ids, PEL times).
    pub fn execute(&mut self, cmd: &Cmd, now_ms: u64) -> Outcome {
        let key = match cmd {
            Cmd::Set { key, .. }
            | Cmd::Get { key }
            | Cmd::Incr { key }
            | Cmd::Del { key }
            | Cmd::XAdd { key, .. }
            | Cmd::XRead { key, .. }
            | Cmd::XGroupCreate { key, .. }
            | Cmd::XReadGroup { key, .. }
            | Cmd::XAck { key, .. }
            | Cmd::XClaim { key, .. }
            | Cmd::XAutoClaim { key, .. }
            | Cmd::XPending { key, .. }
            | Cmd::XLen { key }
            | Cmd::XGroupSync { key, .. }
            | Cmd::XTrimTo { key, .. } => key.clone(),
            _ => return Outcome::read(Reply::err("ERR unknown command")),
        };
        let before = self.size_of(&key);
        let out = self.execute_on(&key, cmd, now_ms);
        self.recompute(&key, before);
        self.touch(&key);
        out
    }

    fn execute_on(&mut self, key: &str, cmd: &Cmd, now_ms: u64) -> Outcome {
        let wrongtype = || {
            Outcome::read(Reply::err(
                "WRONGTYPE Operation against a key holding the wrong kind of value",
            ))
        };
        match cmd {
            Cmd::Set { value, bytes, .. } => {
                self.keys.insert(
                    key.to_string(),
                    (
                        Value::Str {
                            value: *value,
                            bytes: *bytes,
                        },
                        0,
                    ),
                );
                Outcome {
                    reply: Reply::Ok,
                    propagate: vec![cmd.clone()],
                }
            }
            Cmd::Get { .. } => Outcome::read(match self.value(key) {
                None => Reply::Nil,
                Some(Value::Str { value, .. }) => Reply::Bulk(value.to_string()),
                Some(Value::Int(i)) => Reply::Bulk(i.to_string()),
                Some(Value::Stream(_)) => return wrongtype(),
            }),
            Cmd::Incr { .. } => {
                let next = match self.value(key) {
                    None => 1,
                    Some(Value::Int(i)) => i + 1,
                    // incrDecrCommand: lookupKeyWrite + checkType → WRONGTYPE for a non-string.
                    Some(Value::Stream(_)) => return wrongtype(),
                    Some(_) => {
                        return Outcome::read(Reply::err(
                            "ERR value is not an integer or out of range",
                        ));
                    }
                };
                self.keys.insert(key.to_string(), (Value::Int(next), 0));
                Outcome {
                    reply: Reply::Int(next),
                    propagate: vec![cmd.clone()],
                }
            }
            Cmd::Del { .. } => {
                let n = self.keys.remove(key).is_some();
                Outcome {
                    reply: Reply::Int(n as i64),
                    propagate: if n { vec![cmd.clone()] } else { vec![] },
                }
            }
            Cmd::XAdd {
                id,
                maxlen,
                minid,
                tag,
                bytes,
                ..
            } => {
                let s = match self.stream_mut(key, true) {
                    Ok(s) => s.expect("created"),
                    Err(e) => return Outcome::read(e),
                };
                match s.add(*id, now_ms, *tag, *bytes) {
                    Err(e) => Outcome::read(e),
                    Ok(new_id) => {
                        // The argv is rewritten with the generated id; a trim goes out exact.
                        let mut prop = vec![Cmd::XAdd {
                            key: key.to_string(),
                            id: Some(new_id),
                            maxlen: None,
                            minid: None,
                            tag: *tag,
                            bytes: *bytes,
                        }];
                        if let Some(first_kept) = s.trim(*maxlen, *minid) {
                            prop.push(Cmd::XTrimTo {
                                key: key.to_string(),
                                first_kept,
                            });
                        }
                        Outcome {
                            reply: Reply::Id(new_id),
                            propagate: prop,
                        }
                    }
                }
            }
            Cmd::XTrimTo { first_kept, .. } => {
                if let Ok(Some(s)) = self.stream_mut(key, false) {
                    s.trim_to(*first_kept);
                }
                Outcome {
                    reply: Reply::Ok,
                    propagate: vec![cmd.clone()],
                }
            }
            Cmd::XLen { .. } => Outcome::read(match self.value(key) {
                None => Reply::Int(0),
                Some(Value::Stream(s)) => Reply::Int(s.entries.len() as i64),
                Some(_) => return wrongtype(),
            }),
            // A non-blocking XREAD with nothing to return replies a null (RESP2 `*-1`, redis-cli
            // "(nil)"; t_stream.c xreadCommand `addReplyNullArray`), not an empty array.
            Cmd::XRead { after, count, .. } => Outcome::read(match self.value(key) {
                None => Reply::Nil,
                Some(Value::Stream(s)) => match s.read(*after, *count) {
                    Reply::Array(v) if v.is_empty() => Reply::Nil,
                    r => r,
                },
                Some(_) => return wrongtype(),
            }),
            Cmd::XGroupCreate { group, id, .. } => match self.stream_mut(key, false) {
                Err(e) => Outcome::read(e),
                Ok(None) => Outcome::read(Reply::err(
                    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
                )),
                Ok(Some(s)) => {
                    let reply = s.create_group(group, *id);
                    let last = s
                        .groups
                        .get(group)
                        .map(|g| g.last_delivered)
                        .unwrap_or_default();
                    let prop = if reply.is_err() {
                        vec![]
                    } else {
                        vec![Cmd::XGroupCreate {
                            key: key.to_string(),
                            group: group.clone(),
                            id: Some(last),
                        }]
                    };
                    Outcome {
                        reply,
                        propagate: prop,
                    }
                }
            },
            Cmd::XReadGroup {
                group,
                consumer,
                id,
                count,
                noack,
                ..
            } => self.group_op(key, group, |s, ch| {
                s.read_group(group, consumer, *id, *count, *noack, now_ms, ch)
            }),
            Cmd::XAck { group, ids, .. } => {
                self.group_op(key, group, |s, ch| s.ack(group, ids, ch))
            }
            Cmd::XClaim {
                group,
                consumer,
                min_idle_ms,
                ids,
                justid,
                ..
            } => self.group_op(key, group, |s, ch| {
                s.claim(group, consumer, *min_idle_ms, ids, *justid, now_ms, ch)
            }),
            Cmd::XAutoClaim {
                group,
                consumer,
                min_idle_ms,
                start,
                count,
                justid,
                ..
            } => self.group_op(key, group, |s, ch| {
                s.autoclaim(
                    group,
                    consumer,
                    *min_idle_ms,
                    *start,
                    *count,
                    *justid,
                    now_ms,
                    ch,
                )
            }),
            Cmd::XPending { group, .. } => Outcome::read(match self.value(key) {
                Some(Value::Stream(s)) => s.pending(group),
                _ => Reply::err("NOGROUP No such key or consumer group"),
            }),
            Cmd::XGroupSync {
                group,
                last_delivered,
                set,
                del,
                ..
            } => {
                if let Ok(Some(s)) = self.stream_mut(key, false) {
                    s.apply_sync(group, *last_delivered, set, del);
                }
                Outcome {
                    reply: Reply::Ok,
                    propagate: vec![cmd.clone()],
                }
            }
            _ => Outcome::read(Reply::err("ERR unknown command")),
        }
    }

    fn group_op(
        &mut self,
        key: &str,
        group: &str,
        f: impl FnOnce(&mut Stream, &mut GroupChange) -> Reply,
    ) -> Outcome {
        let s = match self.stream_mut(key, false) {
            Err(e) => return Outcome::read(e),
            Ok(None) => {
                return Outcome::read(Reply::err("NOGROUP No such key or consumer group"));
            }
            Ok(Some(s)) => s,
        };
        let mut change = GroupChange::default();
        let reply = f(s, &mut change);
        let last = s
            .groups
            .get(group)
            .map(|g| g.last_delivered)
            .unwrap_or(StreamId::ZERO);
        let prop = if change.set.is_empty() && change.del.is_empty() {
            vec![]
        } else {
            vec![Cmd::XGroupSync {
                key: key.to_string(),
                group: group.to_string(),
                last_delivered: last,
                set: change.set,
                del: change.del,
            }]
        };
        Outcome {
            reply,
            propagate: prop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xread(d: &mut Dataset, key: &str, after: &str) -> String {
        let after = StreamId::parse(after).expect("id");
        let cmd = Cmd::XRead {
            key: key.into(),
            after,
            count: 10,
        };
        d.execute(&cmd, 0).reply.render()
    }

    #[test]
    fn xread_with_nothing_new_is_nil() {
        let mut d = Dataset::default();
        assert_eq!(xread(&mut d, "missing", "0"), "nil");
        let add = Cmd::XAdd {
            key: "s".into(),
            id: StreamId::parse("1-0"),
            maxlen: None,
            minid: None,
            tag: 0,
            bytes: 10,
        };
        assert_eq!(d.execute(&add, 0).reply.render(), "1-0");
        assert_eq!(xread(&mut d, "s", "0"), "[1-0]");
        assert_eq!(xread(&mut d, "s", "1-0"), "nil");
    }

    #[test]
    fn incr_on_a_stream_is_wrongtype() {
        let mut d = Dataset::default();
        let add = Cmd::XAdd {
            key: "s".into(),
            id: None,
            maxlen: None,
            minid: None,
            tag: 0,
            bytes: 10,
        };
        d.execute(&add, 5);
        let r = d.execute(&Cmd::Incr { key: "s".into() }, 5).reply.render();
        assert!(r.starts_with("-WRONGTYPE"), "{r}");
        let r = d.execute(&Cmd::Incr { key: "n".into() }, 5).reply.render();
        assert_eq!(r, "1");
    }
}
