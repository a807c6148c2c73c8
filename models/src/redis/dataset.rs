//! The keyspace: strings, counters and streams, with `maxmemory` accounting, `noeviction`
//! (OOM error on writes) and `allkeys-lru` (exact LRU, where Redis samples 5 keys).

use super::cmd::{digits, payload_len};
use super::config::EvictionPolicy;
use super::config::NodeLimits;
use super::msg::Cmd;
use super::reply::Reply;
use super::stream::{self, GroupChange, Stream};
use super::stream_id::{ReadFrom, StreamId};
use super::stream_node;
use super::stream_range;
use std::collections::BTreeMap;

/// What a key holds, as Redis would hold it. A string that reads as a 64-bit signed integer is
/// kept integer-encoded (object.c `tryObjectEncoding`: `OBJ_ENCODING_INT`), which is what INCR
/// works on; any other string is an opaque payload of `bytes` bytes.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An integer-encoded string: SET of a decimal that fits an `i64`, or INCR's result.
    Int(i64),
    /// An opaque string payload: the decimal `value` padded with `x` to `bytes` bytes (or a
    /// decimal above `i64::MAX`): never an integer for INCR. `value` names the write.
    Str {
        value: u64,
        bytes: u64,
    },
    Stream(Stream),
}

impl Value {
    /// The value of `SET key <payload>` for (`value`, `bytes`) (`Cmd::Set`): integer-encoded
    /// when the payload is just the decimal and fits an `i64` (util.c `string2ll`).
    pub fn of_set(value: u64, bytes: Option<u64>) -> Value {
        let len = payload_len(value, bytes);
        match i64::try_from(value) {
            Ok(i) if len == digits(value) => Value::Int(i),
            _ => Value::Str { value, bytes: len },
        }
    }

    /// The write a string value carries (the checkers compare it with acknowledged SETs).
    pub fn write_id(&self) -> Option<u64> {
        match self {
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::Str { value, .. } => Some(*value),
            Value::Stream(_) => None,
        }
    }
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// Approximate per-key overhead (dictEntry + robj + sds header).
pub(super) const KEY_OVERHEAD: u64 = 56;

/// The size jemalloc hands out for `n` bytes (its size classes: multiples of 8 up to 16, of
/// 16 up to 128, then four classes per doubling).
pub fn alloc_size(n: u64) -> u64 {
    if n <= 16 {
        return n.next_multiple_of(8).max(8);
    }
    if n <= 128 {
        return n.next_multiple_of(16);
    }
    let below = 1u64 << (63 - (n - 1).leading_zeros());
    n.next_multiple_of(below / 4)
}

/// Bytes a value adds to the key's overhead: an integer lives in the object's pointer field
/// (8 bytes), a payload its sds allocation (header and terminator, rounded to the allocator's
/// size class: a 100,000-byte value takes 114,688 bytes), a stream its entries.
fn value_bytes(v: &Value) -> u64 {
    match v {
        Value::Str { bytes, .. } => alloc_size(bytes + 9),
        Value::Int(_) => 8,
        Value::Stream(s) => s.bytes(),
    }
}

/// The name the checkers give `key` in logical database `db`: the key itself in db 0,
/// `"<db>\0<key>"` in another (`split_db_key` reads it back).
pub fn db_key(db: u32, key: String) -> String {
    if db == 0 { key } else { format!("{db}\0{key}") }
}

/// The database and key of a `db_key` name.
pub fn split_db_key(name: &str) -> (u32, &str) {
    match name.split_once('\0').map(|(d, k)| (d.parse(), k)) {
        Some((Ok(db), key)) => (db, key),
        _ => (0, name),
    }
}

/// The keys of one logical database, with each key's LRU tick.
pub type Keys = BTreeMap<String, (Value, u64)>;

/// The keyspace: `keys` is database 0 (SELECT's default); `others` holds databases 1.. that
/// have keys (db.c: `server.db[]`, `databases 16`). Memory (`used_bytes`) and LRU ticks are
/// the server's, across every database, as `maxmemory` is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    pub keys: Keys,
    others: BTreeMap<u32, Keys>,
    /// A command ran in a database other than 0 in this history (carried by the RDB a full
    /// sync sends): the replication stream must then say SELECT 0 as well (`repl_select`).
    pub multi_db: bool,
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

    /// `key` in logical database `db`.
    pub fn value_in(&self, db: u32, key: &str) -> Option<&Value> {
        let keys = if db == 0 {
            Some(&self.keys)
        } else {
            self.others.get(&db)
        };
        keys.and_then(|k| k.get(key)).map(|(v, _)| v)
    }

    /// Keys in database `db` (DBSIZE).
    pub fn len_in(&self, db: u32) -> usize {
        if db == 0 {
            self.keys.len()
        } else {
            self.others.get(&db).map_or(0, |k| k.len())
        }
    }

    /// Run `f` with database `db` as `keys` (db 0 stays in place: no cost). A database left
    /// without keys is dropped, so equal keyspaces compare equal.
    fn with_db<R>(&mut self, db: u32, f: impl FnOnce(&mut Dataset) -> R) -> R {
        if db == 0 {
            return f(self);
        }
        self.multi_db = true;
        let mut keys = self.others.remove(&db).unwrap_or_default();
        std::mem::swap(&mut self.keys, &mut keys);
        let r = f(self);
        std::mem::swap(&mut self.keys, &mut keys);
        if !keys.is_empty() {
            self.others.insert(db, keys);
        }
        r
    }

    /// Execute a data command in logical database `db` (the client's SELECT), with the
    /// server's stream node settings now (`limits`).
    pub fn execute_in(&mut self, db: u32, cmd: &Cmd, now_ms: u64, limits: NodeLimits) -> Outcome {
        self.with_db(db, |d| d.execute_with(cmd, now_ms, limits))
    }

    pub fn stream(&self, key: &str) -> Option<&Stream> {
        match self.value(key) {
            Some(Value::Stream(s)) => Some(s),
            _ => None,
        }
    }

    /// `performEvictions` before a command that may grow memory: with `noeviction` (or nothing
    /// left to evict) the command gets the OOM error; `allkeys-lru` evicts least recently used
    /// keys until usage is under the limit. Returns the keys evicted with their databases
    /// (propagated as DEL).
    /// `extra`: memory counted besides the dataset (the server, its clients, the command's
    /// own argument).
    pub fn make_room(
        &mut self,
        maxmemory: u64,
        policy: EvictionPolicy,
        extra: u64,
    ) -> Result<Vec<(u32, String)>, Reply> {
        let over = |d: &Dataset| d.used_bytes + extra > maxmemory;
        if maxmemory == 0 || !over(self) {
            return Ok(Vec::new());
        }
        let mut evicted = Vec::new();
        if policy == EvictionPolicy::AllkeysLru {
            // The least recently used key of any database (evict.c samples every db).
            while over(self) {
                let others = self
                    .others
                    .iter()
                    .flat_map(|(db, keys)| keys.iter().map(move |(k, (_, lru))| (*lru, *db, k)));
                let Some((_, db, victim)) = self
                    .keys
                    .iter()
                    .map(|(k, (_, lru))| (*lru, 0, k))
                    .chain(others)
                    .min()
                    .map(|(lru, db, k)| (lru, db, k.clone()))
                else {
                    break;
                };
                let before = self.with_db(db, |d| {
                    let before = d.size_of(&victim);
                    d.keys.remove(&victim);
                    before
                });
                self.used_bytes -= before.min(self.used_bytes);
                evicted.push((db, victim));
            }
        }
        if over(self) {
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
            Some(_) => Err(Reply::err(WRONGTYPE)),
            None => Ok(None),
        }
    }

    /// A blocking XREAD's `$` made concrete: the stream's last id when the command runs (0-0
    /// for a missing key), which a blocked client keeps (xreadCommand resolves the ids before
    /// `blockForKeys`), so only entries added later serve it.
    pub fn resolve_last(&self, db: u32, cmd: Cmd) -> Cmd {
        match cmd {
            Cmd::XRead {
                key,
                after: Some(ReadFrom::Last),
                count,
                block_ms,
            } => {
                let last = match self.value_in(db, &key) {
                    Some(Value::Stream(s)) => s.last_id,
                    _ => StreamId::ZERO,
                };
                Cmd::XRead {
                    key,
                    after: Some(ReadFrom::After(last)),
                    count,
                    block_ms,
                }
            }
            other => other,
        }
    }

    /// Execute a data command in database 0 with Redis's default stream node settings.
    #[cfg(test)]
    pub fn execute(&mut self, cmd: &Cmd, now_ms: u64) -> Outcome {
        self.execute_with(cmd, now_ms, NodeLimits::default())
    }

    /// Execute a data command. `now_ms` is the node's clock (stream ids, PEL times).
    fn execute_with(&mut self, cmd: &Cmd, now_ms: u64, limits: NodeLimits) -> Outcome {
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
            | Cmd::XRange { key, .. }
            | Cmd::XRevRange { key, .. }
            | Cmd::XDel { key, .. }
            | Cmd::XTrim { key, .. }
            | Cmd::XGroupSync { key, .. }
            | Cmd::XInfoStream { key, .. }
            | Cmd::XInfoGroups { key }
            | Cmd::XInfoConsumers { key, .. }
            | Cmd::XTrimTo { key, .. } => key.clone(),
            _ => return Outcome::read(Reply::err("ERR unknown command")),
        };
        let before = self.size_of(&key);
        let out = self.execute_on(&key, cmd, now_ms, limits);
        self.recompute(&key, before);
        self.touch(&key);
        out
    }

    fn execute_on(&mut self, key: &str, cmd: &Cmd, now_ms: u64, limits: NodeLimits) -> Outcome {
        let wrongtype = || Outcome::read(Reply::err(WRONGTYPE));
        match cmd {
            Cmd::Set { value, bytes, .. } => {
                self.keys
                    .insert(key.to_string(), (Value::of_set(*value, *bytes), 0));
                Outcome {
                    reply: Reply::Ok,
                    propagate: vec![cmd.clone()],
                }
            }
            Cmd::Get { .. } => Outcome::read(match self.value(key) {
                None => Reply::Nil,
                Some(Value::Str { value, bytes }) => Reply::Payload {
                    value: *value,
                    bytes: *bytes,
                },
                Some(Value::Int(i)) => Reply::Bulk(i.to_string()),
                Some(Value::Stream(_)) => return wrongtype(),
            }),
            Cmd::Incr { .. } => self.incr(key, cmd),
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
                approx,
                limit,
                tag,
                bytes,
                ..
            } => {
                // xaddCommand: the options are checked before the key is looked up.
                let limit = match stream_node::trim_args(*maxlen, *minid, *approx, *limit, true, limits)
                {
                    Ok(l) => l,
                    Err(e) => return Outcome::read(e),
                };
                // Then an explicit 0-0, "to avoid possibly creating a new stream" (and before
                // the key's type).
                if *id == Some(StreamId::ZERO) {
                    return Outcome::read(Reply::err(
                        "ERR The ID specified in XADD must be greater than 0-0",
                    ));
                }
                let s = match self.stream_mut(key, true) {
                    Ok(s) => s.expect("created"),
                    Err(e) => return Outcome::read(e),
                };
                match s.add(*id, now_ms, *tag, *bytes, limits) {
                    Err(e) => Outcome::read(e),
                    Ok(new_id) => {
                        // The argv is rewritten with the generated id; a trim goes out exact.
                        let mut prop = vec![Cmd::XAdd {
                            key: key.to_string(),
                            id: Some(new_id),
                            maxlen: None,
                            minid: None,
                            approx: false,
                            limit: None,
                            tag: *tag,
                            bytes: *bytes,
                        }];
                        if let Some(first_kept) = s.trim(*maxlen, *minid, *approx, limit) {
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
            // t_stream.c xrangeGenericCommand: the bounds, then COUNT (≤ 0 → nil), then the
            // key (missing → empty array).
            Cmd::XRange {
                start, end, count, ..
            }
            | Cmd::XRevRange {
                start, end, count, ..
            } => {
                let bounds = stream_range::parse_bound(start, true)
                    .and_then(|s| Ok((s, stream_range::parse_bound(end, false)?)));
                Outcome::read(match (bounds, self.value(key)) {
                    (Err(e), _) => e,
                    (_, None) => Reply::Array(Vec::new()),
                    (_, Some(Value::Stream(_))) if count.is_some_and(|n| n <= 0) => Reply::NilArray,
                    (Ok((s0, e0)), Some(Value::Stream(s))) => {
                        let rev = matches!(cmd, Cmd::XRevRange { .. });
                        s.range(s0, e0, count.unwrap_or(0) as u64, rev)
                    }
                    (_, Some(_)) => return wrongtype(),
                })
            }
            // xdelCommand / xtrimCommand: a missing key is 0; XDEL goes out as it came, a trim
            // exact (as XADD's).
            Cmd::XDel { ids, .. } => match self.stream_mut(key, false) {
                Err(e) => Outcome::read(e),
                Ok(None) => Outcome::read(Reply::Int(0)),
                Ok(Some(s)) => {
                    let n = s.delete(ids);
                    Outcome {
                        reply: Reply::Int(n as i64),
                        propagate: if n > 0 { vec![cmd.clone()] } else { vec![] },
                    }
                }
            },
            Cmd::XTrim {
                maxlen,
                minid,
                approx,
                limit,
                ..
            } => match stream_node::trim_args(*maxlen, *minid, *approx, *limit, false, limits)
                .and_then(|limit| Ok((limit, self.stream_mut(key, false)?)))
            {
                Err(e) => Outcome::read(e),
                Ok((_, None)) => Outcome::read(Reply::Int(0)),
                Ok((limit, Some(s))) => {
                    let before = s.entries.len();
                    let first_kept = s.trim(*maxlen, *minid, *approx, limit);
                    Outcome {
                        reply: Reply::Int((before - s.entries.len()) as i64),
                        propagate: first_kept
                            .map(|first_kept| Cmd::XTrimTo {
                                key: key.to_string(),
                                first_kept,
                            })
                            .into_iter()
                            .collect(),
                    }
                }
            },
            // A non-blocking XREAD with nothing to return replies a null (RESP2 `*-1`, redis-cli
            // "(nil)"; t_stream.c xreadCommand `addReplyNullArray`), not an empty array. The
            // key's type is checked before its id is parsed; `$` is the stream's last id now.
            Cmd::XRead { after, count, .. } => Outcome::read(match (self.value(key), after) {
                (Some(v), _) if !matches!(v, Value::Stream(_)) => return wrongtype(),
                (_, Some(ReadFrom::New)) => Reply::err(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ),
                (None, _) => Reply::NilArray,
                (Some(Value::Stream(s)), after) => {
                    let from = match after {
                        Some(ReadFrom::After(id)) => *id,
                        Some(_) => s.last_id,
                        None => StreamId::ZERO,
                    };
                    match s.read(from, *count) {
                        Reply::Array(v) if v.is_empty() => Reply::NilArray,
                        r => stream::keyed(key, r),
                    }
                }
                (Some(_), _) => return wrongtype(),
            }),
            // XINFO (t_stream.c xinfoCommand): `lookupKeyReadOrReply(…, shared.nokeyerr)`, then
            // the type.
            Cmd::XInfoStream { .. } | Cmd::XInfoGroups { .. } | Cmd::XInfoConsumers { .. } => {
                Outcome::read(match (self.value(key), cmd) {
                    (None, _) => Reply::err("ERR no such key"),
                    (Some(Value::Stream(s)), Cmd::XInfoStream { full: false, .. }) => s.info(),
                    (Some(Value::Stream(s)), Cmd::XInfoStream { count, .. }) => {
                        s.info_full(count.unwrap_or(10))
                    }
                    (Some(Value::Stream(s)), Cmd::XInfoConsumers { group, .. }) => {
                        s.info_consumers(key, group, now_ms)
                    }
                    (Some(Value::Stream(s)), _) => s.info_groups(),
                    (Some(_), _) => return wrongtype(),
                })
            }
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
            } => self.group_op(cmd, key, group, |s, ch| {
                let id = match id {
                    ReadFrom::New => None,
                    ReadFrom::After(id) => Some(*id),
                    ReadFrom::Last => return Reply::err(
                        "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                    ),
                };
                let r = s.read_group(group, consumer, id, *count, *noack, now_ms, ch);
                stream::keyed(key, r)
            }),
            Cmd::XAck { group, ids, .. } => {
                self.group_op(cmd, key, group, |s, ch| s.ack(group, ids, ch))
            }
            Cmd::XClaim {
                group,
                consumer,
                min_idle_ms,
                ids,
                justid,
                ..
            } => self.group_op(cmd, key, group, |s, ch| {
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
            } => self.group_op(cmd, key, group, |s, ch| {
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
            Cmd::XPending { group, summary, .. } => match self.no_group(key, group, cmd) {
                Some(out) => out,
                None => {
                    let s = self.stream(key).expect("checked");
                    Outcome::read(if *summary {
                        s.pending_summary(group)
                    } else {
                        s.pending(group)
                    })
                }
            },
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

    /// INCR (t_string.c `incrDecrCommand`): a missing key counts from 0; a non-string is
    /// WRONGTYPE (`checkType`); a string that is not an integer is refused
    /// (`getLongLongFromObjectOrReply`); the result must not overflow an `i64`.
    fn incr(&mut self, key: &str, cmd: &Cmd) -> Outcome {
        let current = match self.value(key) {
            None => 0,
            Some(Value::Int(i)) => *i,
            Some(Value::Stream(_)) => return Outcome::read(Reply::err(WRONGTYPE)),
            Some(Value::Str { .. }) => {
                return Outcome::read(Reply::err("ERR value is not an integer or out of range"));
            }
        };
        let Some(next) = current.checked_add(1) else {
            return Outcome::read(Reply::err("ERR increment or decrement would overflow"));
        };
        self.keys.insert(key.to_string(), (Value::Int(next), 0));
        Outcome {
            reply: Reply::Int(next),
            propagate: vec![cmd.clone()],
        }
    }

    /// The reply of a consumer-group command whose key is not a stream or whose group does
    /// not exist (t_stream.c): WRONGTYPE first (`checkType`); XACK counts 0 acknowledged
    /// (`xackCommand`: `shared.czero`); the others name the key and the group in a NOGROUP
    /// error: `xreadCommand` adds "in XREADGROUP with GROUP option"; `xpendingCommand`,
    /// `xclaimCommand` and `xautoclaimCommand` all reply "No such key '<key>' or consumer
    /// group '<group>'" (the same format string, split over two literals in the first two).
    fn no_group(&self, key: &str, group: &str, cmd: &Cmd) -> Option<Outcome> {
        let reply = match self.value(key) {
            Some(Value::Stream(s)) if s.groups.contains_key(group) => return None,
            Some(Value::Stream(_)) | None => match cmd {
                Cmd::XAck { .. } => Reply::Int(0),
                Cmd::XReadGroup { .. } => Reply::Err(format!(
                    "NOGROUP No such key '{key}' or consumer group '{group}' in XREADGROUP with GROUP option"
                )),
                _ => Reply::Err(format!(
                    "NOGROUP No such key '{key}' or consumer group '{group}'"
                )),
            },
            Some(_) => Reply::err(WRONGTYPE),
        };
        Some(Outcome::read(reply))
    }

    fn group_op(
        &mut self,
        cmd: &Cmd,
        key: &str,
        group: &str,
        f: impl FnOnce(&mut Stream, &mut GroupChange) -> Reply,
    ) -> Outcome {
        if let Some(out) = self.no_group(key, group, cmd) {
            return out;
        }
        let Ok(Some(s)) = self.stream_mut(key, false) else {
            unreachable!("no_group checked the stream");
        };
        let last_of = |s: &Stream| {
            (s.groups.get(group))
                .map(|g| g.last_delivered)
                .unwrap_or(StreamId::ZERO)
        };
        let before = last_of(s);
        let mut change = GroupChange::default();
        let reply = f(s, &mut change);
        let last = last_of(s);
        // A NOACK read moves the group's last delivered id without touching the PEL; Redis
        // still propagates it (t_stream.c streamPropagateGroupID, XGROUP SETID), so a promoted
        // replica does not hand those entries out again.
        let prop = if change.set.is_empty() && change.del.is_empty() && last == before {
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
