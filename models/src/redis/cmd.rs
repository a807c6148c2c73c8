//! The Redis commands of the model, spelled once: a script step names them in RON
//! (`Set(key: "k", value: 41)`, `XReadGroup(…, id: ">")`), clients send them on the wire, and
//! the replication stream carries them. Fields a script does not write (message identities,
//! the resolved node of REPLICAOF) are `#[serde(skip)]` and filled in by the client; commands
//! only the model itself sends (Sentinel's reconfiguration, INFO, the replication stream's own
//! entries) cannot be named in a scenario (`#[serde(skip)]` variants).

use super::stream_id::{ReadFrom, StreamId};
use msgsim_sim::NodeId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

fn default_payload() -> u64 {
    100
}
fn default_count() -> u64 {
    100
}
fn one() -> u32 {
    1
}

/// A command as a script step names it, a client (or Sentinel, or the replication stream)
/// sends it. The first four are client-side steps: they act on the client's connection and
/// never reach a server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Cmd {
    /// Connect (clearing a previous `Disconnect`) and send PING.
    Connect,
    /// Close the connection; the client stays down until `Connect`.
    Disconnect,
    /// The application stops / resumes reading its socket (a slow or frozen consumer).
    StopReading,
    StartReading,
    Ping,
    /// `HELLO [protover [AUTH user pass] [SETNAME name]]` (networking.c `helloCommand`):
    /// without a version the connection keeps its protocol; 2 or 3 switch it (RESP3: maps,
    /// nulls `_`, pub/sub as push frames, any command while subscribed); another version is
    /// `-NOPROTO`. The options need a version (the first argument is always parsed as one).
    /// Replies the server's properties as a map.
    Hello {
        #[serde(default)]
        protover: Option<i64>,
        /// `AUTH <user> <pass>`, the words after AUTH (fewer than two: a syntax error). The
        /// only user is `default`, `nopass` (any password passes).
        #[serde(default)]
        auth: Option<Vec<String>>,
        #[serde(default)]
        setname: Option<String>,
    },
    /// `CLIENT SETNAME name` (an empty name removes it).
    ClientSetName {
        name: String,
    },
    /// `CLIENT GETNAME`: the name, or nil.
    ClientGetName,
    /// `CLIENT KILL [ADDR a] [TYPE t] [ID id] [LADDR a] [USER u] [MAXAGE s]` (networking.c
    /// `clientKillCommand`, the filter form, in this argument order): closes the matching
    /// connections other than the caller's own (SKIPME yes) and replies how many. `client`
    /// names the client node whose connection is meant (its address); `id` a client (its
    /// connection's id on this server) or a literal number; `laddr` a server (the address
    /// connections reach it at); `user` a user name. `MAXAGE` is 7.4's: 7.0 answers a syntax
    /// error. The `*node` fields are where the names resolve, filled in by the sending client.
    ClientKill {
        #[serde(default)]
        client: Option<String>,
        #[serde(default)]
        client_type: Option<KillType>,
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        laddr: Option<String>,
        #[serde(default)]
        user: Option<String>,
        #[serde(default)]
        max_age_s: Option<i64>,
        #[serde(skip)]
        node: Option<NodeId>,
        #[serde(skip)]
        id_node: Option<NodeId>,
        #[serde(skip)]
        laddr_node: Option<NodeId>,
    },
    /// `SELECT db`: the connection's logical database, 0 up to `databases` (16) − 1
    /// (db.c `selectCommand`). Keys live per database; pub/sub ignores it. The replication
    /// stream carries it when the database of the propagated writes changes.
    Select {
        db: i64,
    },
    /// `DBSIZE`: the keys of the connection's database.
    DbSize,
    /// `SET key <payload>`: the payload is the decimal `value`, padded with `x` up to `bytes`
    /// bytes when `bytes` is given (see `dataset::payload_len`); `value` also identifies the
    /// write for the checkers.
    Set {
        key: String,
        #[serde(default)]
        value: u64,
        #[serde(default)]
        bytes: Option<u64>,
    },
    Get {
        key: String,
    },
    Incr {
        key: String,
    },
    Del {
        key: String,
    },
    /// `count` pipelined `PUBLISH channel <payload>` commands from one client, executed back to
    /// back (Redis runs every complete command of a client's query buffer in one go). Message
    /// identity for the checkers: (`publisher`, `first_seq` .. `first_seq + count`).
    Publish {
        /// Shared: a steady publisher sends the same name every batch, and the command, its
        /// propagation and its recorded outcome all carry it without a copy (`Arc`, not `Rc`:
        /// scenarios holding commands are explored in parallel).
        channel: Arc<str>,
        #[serde(default = "default_payload")]
        payload_bytes: u64,
        #[serde(default = "one")]
        count: u32,
        #[serde(skip)]
        publisher: u32,
        #[serde(skip)]
        first_seq: u64,
    },
    Subscribe {
        channels: Vec<String>,
    },
    Psubscribe {
        patterns: Vec<String>,
    },
    /// With no channels: every channel the client has (pubsub.c).
    Unsubscribe {
        channels: Vec<String>,
    },
    /// With no patterns: every pattern the client has.
    Punsubscribe {
        #[serde(default)]
        patterns: Vec<String>,
    },
    Wait {
        numreplicas: u32,
        timeout_ms: u64,
    },
    /// `id: None` (or `"*"`) is `*`.
    XAdd {
        key: String,
        #[serde(default, with = "star_id")]
        id: Option<StreamId>,
        #[serde(default)]
        maxlen: Option<u64>,
        #[serde(default)]
        minid: Option<StreamId>,
        /// `MAXLEN ~` / `MINID ~`: only whole stream nodes are removed (`stream_node.rs`).
        #[serde(default)]
        approx: bool,
        /// `LIMIT n` (only with `~`; 0: no limit; `None`: 100 × `stream-node-max-entries`).
        #[serde(default)]
        limit: Option<i64>,
        #[serde(skip)]
        tag: u64,
        #[serde(default = "default_payload")]
        bytes: u64,
    },
    /// `after: None` reads from `0-0`; `Some("$")` after the stream's last id at the time of
    /// the call (with BLOCK: only entries added later).
    XRead {
        key: String,
        #[serde(default)]
        after: Option<ReadFrom>,
        #[serde(default = "default_count")]
        count: u64,
        /// `BLOCK ms`: with nothing to serve the server holds the reply until an entry
        /// arrives (`Some(0)`: forever) or the timeout passes (then nil).
        #[serde(default)]
        block_ms: Option<u64>,
    },
    /// `id: None` is `$` (the last entry).
    XGroupCreate {
        key: String,
        group: String,
        #[serde(with = "dollar_id")]
        id: Option<StreamId>,
    },
    /// `id: ">"` (new entries), an id (this consumer's pending entries after it), or `"$"`
    /// (an error reply, as Redis gives).
    XReadGroup {
        key: String,
        group: String,
        consumer: String,
        id: ReadFrom,
        #[serde(default = "default_count")]
        count: u64,
        /// `NOACK`: entries read with `>` are not added to the PEL (no XACK needed).
        #[serde(default)]
        noack: bool,
        /// `BLOCK ms`, as for `XRead` (only `>` can block: a history read always answers).
        #[serde(default)]
        block_ms: Option<u64>,
    },
    XAck {
        key: String,
        group: String,
        ids: Vec<StreamId>,
    },
    XClaim {
        key: String,
        group: String,
        consumer: String,
        min_idle_ms: u64,
        ids: Vec<StreamId>,
        #[serde(default)]
        justid: bool,
    },
    XAutoClaim {
        key: String,
        group: String,
        consumer: String,
        min_idle_ms: u64,
        start: StreamId,
        #[serde(default = "default_count")]
        count: u64,
        #[serde(default)]
        justid: bool,
    },
    /// `summary: false` (the default) is the extended form `XPENDING key group - + 100`
    /// (one row per pending entry); `summary: true` is `XPENDING key group`: `[count,
    /// min id, max id, [[consumer, "n"], ...]]`, `[0, nil, nil, nil]` when none is pending.
    XPending {
        key: String,
        group: String,
        #[serde(default)]
        summary: bool,
    },
    XLen {
        key: String,
    },
    /// `XRANGE key start end [COUNT n]`: bounds as Redis spells them (`-`, `+`, `ms-seq`,
    /// `ms`, `(ms-seq` open); `count: None` leaves COUNT out (a count ≤ 0 replies nil).
    XRange {
        key: String,
        start: String,
        end: String,
        #[serde(default)]
        count: Option<i64>,
    },
    /// `XREVRANGE key end start [COUNT n]`: the same interval, newest first.
    XRevRange {
        key: String,
        end: String,
        start: String,
        #[serde(default)]
        count: Option<i64>,
    },
    /// `XDEL key id…`.
    XDel {
        key: String,
        ids: Vec<StreamId>,
    },
    /// `XTRIM key MAXLEN [~] n` / `XTRIM key MINID [~] id` (one of the two).
    XTrim {
        key: String,
        #[serde(default)]
        maxlen: Option<u64>,
        #[serde(default)]
        minid: Option<StreamId>,
        /// `~`: only whole stream nodes are removed.
        #[serde(default)]
        approx: bool,
        /// `LIMIT n`, as XADD's.
        #[serde(default)]
        limit: Option<i64>,
    },
    /// `XINFO STREAM key [FULL [COUNT n]]` (t_stream.c `xinfoReplyWithStreamInfo`); with
    /// `full`, `count` limits the entries and each PEL listed (`None`: Redis's default 10;
    /// `Some(0)`: all).
    XInfoStream {
        key: String,
        #[serde(default)]
        full: bool,
        #[serde(default)]
        count: Option<u64>,
    },
    /// `XINFO GROUPS key`.
    XInfoGroups {
        key: String,
    },
    /// `XINFO CONSUMERS key group`.
    XInfoConsumers {
        key: String,
        group: String,
    },
    /// `CONFIG SET parameter value` (config.c `configSetCommand`, one pair): the model knows
    /// `stream-node-max-entries` and `stream-node-max-bytes` (`config_set.rs`); not
    /// propagated, lost at a restart (no CONFIG REWRITE).
    ConfigSet {
        parameter: String,
        value: String,
    },
    /// `REPLICAOF host port` / `REPLICAOF NO ONE` (no client kills: manual use). `primary` is
    /// the server's name as the script writes it (the host); `node` is where that name
    /// resolves, filled in by the client (an unknown name acts as `NO ONE`).
    ReplicaOf {
        primary: Option<String>,
        #[serde(skip)]
        node: Option<NodeId>,
    },
    /// Sentinel's `MULTI; SLAVEOF …; CONFIG REWRITE; CLIENT KILL TYPE normal; CLIENT KILL TYPE
    /// pubsub; EXEC` (sentinel.c `sentinelSendSlaveOf`).
    #[serde(skip)]
    SentinelReconf {
        primary: Option<NodeId>,
    },
    /// Sentinel's INFO (a structured reply, `reply::InfoReply`).
    #[serde(skip)]
    Info,
    /// `INFO replication` from a script (`Info(section: "replication")`): the section's text,
    /// the fields the model keeps in Redis 7.0's order (server.c `genRedisInfoString`).
    #[serde(rename = "Info")]
    InfoSection {
        #[serde(with = "info_section")]
        section: String,
    },
    /// Replication-stream only: the group state XREADGROUP/XCLAIM changed (Redis propagates
    /// `XCLAIM … FORCE JUSTID LASTID` + `XGROUP SETID`; this carries the same effect).
    #[serde(skip)]
    XGroupSync {
        key: String,
        group: String,
        last_delivered: StreamId,
        set: Vec<(StreamId, String, u64, u64)>,
        del: Vec<StreamId>,
    },
    /// Replication-stream only: the primary's periodic PING.
    #[serde(skip)]
    ReplPing,
    /// Replication-stream only: an exact trim (Redis propagates `~` trims as exact ones).
    #[serde(skip)]
    XTrimTo {
        key: String,
        first_kept: StreamId,
    },
}

impl Cmd {
    /// Whether a script step with this command waits for a reply: every command a server
    /// answers, and `Connect` (its PING). The other client-side steps act locally.
    pub fn has_reply(&self) -> bool {
        !matches!(self, Cmd::Disconnect | Cmd::StopReading | Cmd::StartReading)
    }

    /// The command's name as Redis spells it (lower case; the error replies quote it). The
    /// client-side steps carry the name of what they record.
    pub fn name(&self) -> &'static str {
        match self {
            Cmd::Connect => "connect",
            Cmd::Disconnect => "disconnect",
            Cmd::StopReading => "stop-reading",
            Cmd::StartReading => "start-reading",
            Cmd::Ping => "ping",
            Cmd::Hello { .. } => "hello",
            Cmd::ClientKill { .. } | Cmd::ClientSetName { .. } | Cmd::ClientGetName => "client",
            Cmd::Select { .. } => "select",
            Cmd::DbSize => "dbsize",
            Cmd::Set { .. } => "set",
            Cmd::Get { .. } => "get",
            Cmd::Incr { .. } => "incr",
            Cmd::Del { .. } => "del",
            Cmd::Publish { .. } => "publish",
            Cmd::Subscribe { .. } => "subscribe",
            Cmd::Psubscribe { .. } => "psubscribe",
            Cmd::Unsubscribe { .. } => "unsubscribe",
            Cmd::Punsubscribe { .. } => "punsubscribe",
            Cmd::Wait { .. } => "wait",
            Cmd::XAdd { .. } => "xadd",
            Cmd::XRead { .. } => "xread",
            Cmd::XGroupCreate { .. } => "xgroup",
            Cmd::XReadGroup { .. } => "xreadgroup",
            Cmd::XAck { .. } => "xack",
            Cmd::XClaim { .. } => "xclaim",
            Cmd::XAutoClaim { .. } => "xautoclaim",
            Cmd::XPending { .. } => "xpending",
            Cmd::XLen { .. } => "xlen",
            Cmd::XRange { .. } => "xrange",
            Cmd::XRevRange { .. } => "xrevrange",
            Cmd::XDel { .. } => "xdel",
            Cmd::XTrim { .. } => "xtrim",
            Cmd::XInfoStream { .. } | Cmd::XInfoGroups { .. } | Cmd::XInfoConsumers { .. } => {
                "xinfo"
            }
            Cmd::ReplicaOf { .. } => "replicaof",
            Cmd::ConfigSet { .. } => "config",
            Cmd::SentinelReconf { .. } => "multi",
            Cmd::Info | Cmd::InfoSection { .. } => "info",
            Cmd::XGroupSync { .. } => "xclaim",
            Cmd::ReplPing => "ping",
            Cmd::XTrimTo { .. } => "xtrim",
        }
    }

    /// The name Redis's errors quote: a container command with its subcommand after `|`
    /// (`xgroup|create`, server.c `getFullCommandName`).
    pub fn full_name(&self) -> String {
        match self {
            Cmd::XGroupCreate { .. } => "xgroup|create".into(),
            Cmd::ClientKill { .. } => "client|kill".into(),
            Cmd::ClientSetName { .. } => "client|setname".into(),
            Cmd::ClientGetName => "client|getname".into(),
            Cmd::ConfigSet { .. } => "config|set".into(),
            Cmd::XInfoStream { .. } => "xinfo|stream".into(),
            Cmd::XInfoGroups { .. } => "xinfo|groups".into(),
            Cmd::XInfoConsumers { .. } => "xinfo|consumers".into(),
            other => other.name().into(),
        }
    }

    /// A command the server may hold without answering: WAIT, XREAD / XREADGROUP with
    /// BLOCK. A client never abandons one (it has no request timeout).
    pub fn may_block(&self) -> bool {
        matches!(
            self,
            Cmd::Wait { .. }
                | Cmd::XRead {
                    block_ms: Some(_),
                    ..
                }
                | Cmd::XReadGroup {
                    block_ms: Some(_),
                    ..
                }
        )
    }

    /// `CMD_WRITE` in Redis's command table: subject to READONLY, OOM, NOREPLICAS.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Cmd::Set { .. }
                | Cmd::Incr { .. }
                | Cmd::Del { .. }
                | Cmd::XAdd { .. }
                | Cmd::XGroupCreate { .. }
                | Cmd::XReadGroup { .. }
                | Cmd::XAck { .. }
                | Cmd::XClaim { .. }
                | Cmd::XAutoClaim { .. }
                | Cmd::XDel { .. }
                | Cmd::XTrim { .. }
        )
    }

    /// `CMD_STALE` in Redis 7.0's command table (src/commands/*.json, flag `STALE`): run by a
    /// replica whose link is down with `replica-serve-stale-data no`. PING, WAIT, DBSIZE and
    /// every key and stream command (XINFO included) are not; the connection, pub/sub, INFO,
    /// SELECT, REPLICAOF, CONFIG SET and the Sentinel transaction (MULTI, SLAVEOF, CONFIG REWRITE, CLIENT
    /// KILL, EXEC) are.
    pub fn runs_on_stale_data(&self) -> bool {
        matches!(
            self,
            Cmd::Hello { .. }
                | Cmd::ClientSetName { .. }
                | Cmd::ClientGetName
                | Cmd::ClientKill { .. }
                | Cmd::Select { .. }
                | Cmd::Publish { .. }
                | Cmd::Subscribe { .. }
                | Cmd::Psubscribe { .. }
                | Cmd::Unsubscribe { .. }
                | Cmd::Punsubscribe { .. }
                | Cmd::ReplicaOf { .. }
                | Cmd::ConfigSet { .. }
                | Cmd::SentinelReconf { .. }
                | Cmd::Info
                | Cmd::InfoSection { .. }
        )
    }

    /// `CMD_DENYOOM`: writes that may grow memory.
    pub fn denies_oom(&self) -> bool {
        matches!(
            self,
            Cmd::Set { .. } | Cmd::Incr { .. } | Cmd::XAdd { .. } | Cmd::XGroupCreate { .. }
        )
    }

    /// Largest bulk argument (for `proto-max-bulk-len`).
    pub fn max_bulk(&self) -> u64 {
        match self {
            Cmd::Set { value, bytes, .. } => payload_len(*value, *bytes),
            Cmd::XAdd { bytes, .. } => *bytes,
            Cmd::Publish { payload_bytes, .. } => *payload_bytes,
            _ => 0,
        }
    }

    /// Bytes of one RESP-encoded command (`*N\r\n` + `$len\r\narg\r\n` per argument).
    pub fn resp_bytes(&self) -> u64 {
        fn arr(args: &[u64]) -> u64 {
            3 + digits(args.len() as u64) + args.iter().map(|a| 5 + digits(*a) + a).sum::<u64>()
        }
        match self {
            Cmd::Set {
                key, value, bytes, ..
            } => arr(&[3, key.len() as u64, payload_len(*value, *bytes)]),
            Cmd::Publish {
                channel,
                payload_bytes,
                count,
                ..
            } => arr(&[7, channel.len() as u64, *payload_bytes]) * *count as u64,
            Cmd::XAdd { key, bytes, .. } => arr(&[4, key.len() as u64, 15, 1, *bytes]),
            Cmd::XGroupSync { set, .. } => 60 + 70 * set.len() as u64,
            Cmd::ReplPing => 14,
            Cmd::Select { db } => arr(&[6, digits(db.unsigned_abs())]),
            Cmd::Incr { key } | Cmd::Del { key } | Cmd::Get { key } => arr(&[4, key.len() as u64]),
            _ => 32,
        }
    }
}

/// `CLIENT KILL TYPE` (networking.c `getClientTypeByName` / `getClientType`): a replica's
/// connection on its primary is `replica` (`slave` is the same class), a replica's link to its
/// primary is `master` on the replica, any other connection with a subscription `pubsub`, the
/// rest `normal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KillType {
    Normal,
    Pubsub,
    Replica,
    Slave,
    Master,
}

impl KillType {
    /// The client class: `slave` and `replica` name the same one.
    pub fn class(self) -> KillType {
        match self {
            KillType::Slave => KillType::Replica,
            k => k,
        }
    }
}

/// Decimal digits of `n` ("0" has one).
pub fn digits(n: u64) -> u64 {
    n.checked_ilog10().map_or(1, |d| d as u64 + 1)
}

/// Length of the SET payload for (`value`, `bytes`): the decimal digits of `value`, padded with
/// `x` up to `bytes` (a payload is never shorter than its digits).
pub fn payload_len(value: u64, bytes: Option<u64>) -> u64 {
    bytes.unwrap_or(0).max(digits(value))
}

/// An `Option<StreamId>` whose `None` is a special token in the command's syntax.
fn special_id<'de, D: serde::Deserializer<'de>>(
    d: D,
    token: &str,
) -> Result<Option<StreamId>, D::Error> {
    let s = String::deserialize(d)?;
    if s == token {
        return Ok(None);
    }
    StreamId::parse(&s)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is neither `{token}` nor an id")))
}

fn special_id_str<S: serde::Serializer>(
    id: &Option<StreamId>,
    s: S,
    token: &str,
) -> Result<S::Ok, S::Error> {
    match id {
        None => s.serialize_str(token),
        Some(id) => s.serialize_str(&id.to_string()),
    }
}

/// A serde `with` module for an `Option<StreamId>` whose `None` is spelled `$token`.
macro_rules! special_id_module {
    ($(#[$doc:meta])* $name:ident, $token:literal) => {
        $(#[$doc])*
        mod $name {
            use super::StreamId;
            pub fn deserialize<'de, D: serde::Deserializer<'de>>(
                d: D,
            ) -> Result<Option<StreamId>, D::Error> {
                super::special_id(d, $token)
            }
            pub fn serialize<S: serde::Serializer>(
                id: &Option<StreamId>,
                s: S,
            ) -> Result<S::Ok, S::Error> {
                super::special_id_str(id, s, $token)
            }
        }
    };
}

special_id_module!(
    /// `"$"` in XGROUP CREATE: the stream's last entry.
    dollar_id,
    "$"
);

/// INFO's section: only `replication` (any case) is modelled.
mod info_section {
    use serde::Deserialize;
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let s = String::deserialize(d)?;
        if s.eq_ignore_ascii_case("replication") {
            Ok("replication".into())
        } else {
            Err(serde::de::Error::custom(format!(
                "INFO section `{s}` is not modelled (only `replication`)"
            )))
        }
    }
    pub fn serialize<S: serde::Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }
}

/// XADD's id: `None` (left out), `Some("1-0")`, or `"*"` (the same as `None`).
mod star_id {
    use super::StreamId;
    use serde::Deserialize;
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<StreamId>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) if s == "*" => Ok(None),
            Some(s) => StreamId::parse(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is neither `*` nor an id"))),
        }
    }
    pub fn serialize<S: serde::Serializer>(id: &Option<StreamId>, s: S) -> Result<S::Ok, S::Error> {
        match id {
            None => s.serialize_none(),
            Some(id) => s.serialize_some(&id.to_string()),
        }
    }
}
