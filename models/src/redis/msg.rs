//! Redis wire messages: client commands and replies (RESP-like frames), the replication protocol
//! (PSYNC, the command stream, REPLCONF ACK), Sentinel gossip, and the client-observed history.

pub use super::cmd::Cmd;
use super::dataset::Dataset;
use super::reply::Reply;
use msgsim_sim::{Ctx, Message, NodeId};
use std::rc::Rc;
use std::sync::Arc;

/// A range of pub/sub messages from one publisher batch as one subscription gets them: `count`
/// messages from `first_seq`, each `bytes_each` bytes on the wire. `sub` is what the client
/// files them under: the pattern when the subscription matched by pattern, else the channel.
#[derive(Clone, Debug, PartialEq)]
pub struct PubRange {
    pub sub: Rc<str>,
    pub first_seq: u64,
    pub publisher: u32,
    pub count: u32,
    pub bytes_each: u64,
}

impl PubRange {
    pub fn bytes(&self) -> u64 {
        self.bytes_each * self.count as u64
    }
}

/// A frame pushed to a client: a reply, or a range of pub/sub messages from one publisher batch.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    Reply { id: u64, reply: Reply },
    Message(PubRange),
}

impl Frame {
    pub fn bytes(&self) -> u64 {
        match self {
            Frame::Reply { reply, .. } => reply_bytes(reply),
            Frame::Message(r) => r.bytes(),
        }
    }
}

fn reply_bytes(r: &Reply) -> u64 {
    match r {
        Reply::Array(v) | Reply::Push(v) => 8 + v.iter().map(reply_bytes).sum::<u64>(),
        // As the RESP2 array each was before: HELLO / XINFO flat, XREAD `[[key, entries]]`.
        Reply::Map(kv) => {
            8 + kv
                .iter()
                .map(|(k, v)| reply_bytes(k) + reply_bytes(v))
                .sum::<u64>()
        }
        Reply::Streams(kv) => {
            8 + kv
                .iter()
                .map(|(k, v)| 8 + reply_bytes(k) + reply_bytes(v))
                .sum::<u64>()
        }
        Reply::Publish(runs) => runs.iter().map(|(n, _)| 4 * *n as u64).sum(),
        Reply::Entry { .. } => 64,
        Reply::Info(_) => 512,
        // `$<len>\r\n<payload>\r\n`
        Reply::Payload { bytes, .. } => bytes + super::cmd::digits(*bytes) + 5,
        _ => 16,
    }
}

/// An entry of the replication stream: the bytes end at `end_offset`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplEntry {
    pub end_offset: u64,
    pub bytes: u64,
    pub cmd: Rc<Cmd>,
}

/// Every message of the Redis model.
#[derive(Clone, Debug)]
pub enum RedisMsg {
    /// Client → server.
    Command {
        id: u64,
        cmd: Box<Cmd>,
    },
    /// Client → server: bytes read by the application (TCP window update).
    Consumed {
        bytes: u64,
    },
    /// Server → client: what one write() carried.
    Frames {
        frames: Vec<Frame>,
        bytes: u64,
    },
    /// Server → client: a write() that carried one range of pub/sub messages and nothing else
    /// (the common case of a fan-out); the same bytes as `Frames` holding that one
    /// `Frame::Message`, without a list to allocate per subscriber.
    Messages(PubRange),
    /// Replica → primary.
    Psync {
        replid: u64,
        offset: u64,
    },
    ReplAck {
        offset: u64,
    },
    /// Primary → replica.
    FullResync {
        replid: u64,
        offset: u64,
        data: Rc<Dataset>,
        bytes: u64,
    },
    Continue {
        replid: u64,
    },
    Stream {
        entries: Vec<ReplEntry>,
        bytes: u64,
    },
    GetAck,
    /// Primary → a replica waiting for its full sync to start: the `\n` replicationCron
    /// writes every second to replicas in `SLAVE_STATE_WAIT_BGSAVE_START`, which keeps their
    /// handshake alive (the replica reads it as I/O: `repl_transfer_lastio`).
    PresyncNewline,
    /// Sentinel ↔ sentinel (datagrams).
    IsDownReq {
        epoch: u64,
        vote_for: Option<u32>,
        primary: NodeId,
    },
    IsDownReply {
        down: bool,
        leader: Option<u32>,
        leader_epoch: u64,
    },
    Hello {
        sentinel: u32,
        epoch: u64,
        config_epoch: u64,
        primary: NodeId,
    },
    /// Client ↔ sentinel (datagrams): `SENTINEL get-master-addr-by-name`.
    GetPrimary {
        req: u64,
    },
    PrimaryIs {
        req: u64,
        primary: NodeId,
    },
}

impl Message for RedisMsg {
    fn kind(&self) -> &'static str {
        match self {
            RedisMsg::Command { cmd, .. } => cmd.name(),
            RedisMsg::Consumed { .. } => "window",
            // A server write that only carries pub/sub messages is a push (RESP2 `message`
            // arrays, RESP3 `>` frames); pictures draw it apart from command replies.
            RedisMsg::Messages(_) => "push",
            RedisMsg::Frames { frames, .. }
                if frames.iter().all(|f| matches!(f, Frame::Message(_))) =>
            {
                "push"
            }
            RedisMsg::Frames { .. } => "reply",
            RedisMsg::Psync { .. } => "psync",
            RedisMsg::ReplAck { .. } => "replconf-ack",
            RedisMsg::FullResync { .. } => "fullresync",
            RedisMsg::Continue { .. } => "continue",
            RedisMsg::Stream { .. } => "repl-stream",
            RedisMsg::GetAck => "replconf-getack",
            RedisMsg::PresyncNewline => "presync-newline",
            RedisMsg::IsDownReq { .. } => "is-master-down",
            RedisMsg::IsDownReply { .. } => "is-master-down-reply",
            RedisMsg::Hello { .. } => "hello",
            RedisMsg::GetPrimary { .. } => "get-master-addr",
            RedisMsg::PrimaryIs { .. } => "master-addr",
        }
    }
    fn size_bytes(&self) -> u64 {
        match self {
            RedisMsg::Command { cmd, .. } => cmd.resp_bytes(),
            RedisMsg::Frames { bytes, .. } | RedisMsg::Stream { bytes, .. } => *bytes,
            RedisMsg::Messages(r) => r.bytes(),
            RedisMsg::FullResync { bytes, .. } => *bytes + 64,
            RedisMsg::PresyncNewline => 1,
            _ => 48,
        }
    }
    /// A command failed by a targeted `Fail(code)`: the server's reply with that error, as
    /// Redis writes it (server.c `createSharedObjects`), instead of executing the command.
    fn error_reply(&self, code: &str) -> Option<Self> {
        let RedisMsg::Command { id, cmd } = self else {
            return None;
        };
        if !FAILABLE_COMMANDS.contains(&cmd.name()) {
            return None;
        }
        let text = ERROR_REPLIES.iter().find(|(c, _)| *c == code)?.1;
        let reply = Reply::err(text);
        let frame = Frame::Reply { id: *id, reply };
        let bytes = frame.bytes();
        Some(RedisMsg::Frames {
            frames: vec![frame],
            bytes,
        })
    }
}

/// Error codes a targeted `Fail` may give a command, with the text Redis 7.0 sends
/// (server.c `createSharedObjects`: loadingerr, slowevalerr, oomerr, noreplicaserr,
/// roslaveerr, masterdownerr).
pub const ERROR_REPLIES: &[(&str, &str)] = &ERROR_TABLE;

const ERROR_TABLE: [(&str, &str); 6] = [
    ("LOADING", "LOADING Redis is loading the dataset in memory"),
    (
        "BUSY",
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
    ),
    (
        "OOM",
        "OOM command not allowed when used memory > 'maxmemory'.",
    ),
    (
        "NOREPLICAS",
        "NOREPLICAS Not enough good replicas to write.",
    ),
    (
        "READONLY",
        "READONLY You can't write against a read only replica.",
    ),
    (
        "MASTERDOWN",
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    ),
];

/// The codes of `ERROR_REPLIES`, for the scenario checks (derived, not a second list).
pub const ERROR_CODES: &[&str] = &first_of_each(ERROR_TABLE);

const fn first_of_each<const N: usize>(
    table: [(&'static str, &'static str); N],
) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = table[i].0;
        i += 1;
    }
    out
}

/// Commands a client sends over its connection that a targeted `Fail` can answer (their
/// message labels).
pub const FAILABLE_COMMANDS: &[&str] = &[
    "ping",
    "set",
    "get",
    "incr",
    "del",
    "publish",
    "subscribe",
    "psubscribe",
    "unsubscribe",
    "punsubscribe",
    "wait",
    "xadd",
    "xread",
    "xgroup",
    "xreadgroup",
    "xack",
    "xclaim",
    "xautoclaim",
    "xpending",
    "xlen",
    "xrange",
    "xrevrange",
    "xdel",
    "xtrim",
    "xinfo",
    "info",
];

/// Why a server closed a client connection (its log line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KillReason {
    OutputBuffer,
    Sentinel,
    Timeout,
    Protocol,
    MaxClients,
    /// A blocked client of a primary turned replica: closed after its `-UNBLOCKED` reply
    /// (blocked.c `disconnectAllBlockedClients`: CLIENT_CLOSE_AFTER_REPLY).
    Unblocked,
    /// Closed by another client's `CLIENT KILL`.
    ClientKill,
}

/// The history: what clients observed, plus server log lines the checkers need.
#[derive(Clone, Debug, PartialEq, Hash)]
pub enum RedisEvent {
    /// A script step's reply (`ok` = matched its expectation, if it had one).
    Step {
        step: u32,
        /// The reply as RESP2 bytes (`Reply::resp`), or `closed` when none came.
        resp: String,
        cmd: &'static str,
        reply: String,
        expected: Option<String>,
        ok: bool,
        latency_us: u64,
    },
    Subscribed {
        client: u32,
        server: NodeId,
        name: String,
        pattern: bool,
        epoch: u64,
    },
    /// UNSUBSCRIBE / PUNSUBSCRIBE confirmed: later messages are no longer expected.
    Unsubscribed {
        client: u32,
        name: String,
        pattern: bool,
    },
    Received {
        client: u32,
        sub: String,
        publisher: u32,
        first_seq: u64,
        count: u32,
    },
    /// A PUBLISH batch was answered: `receivers` per message (run-length); `domain` is the node
    /// asked when it was addressed explicitly (otherwise the primary).
    Published {
        publisher: u32,
        /// Hashes as the `String` it was (`Arc<str>` hashes its `str`).
        channel: Arc<str>,
        first_seq: u64,
        runs: Vec<(u32, i64)>,
        server: NodeId,
        explicit: bool,
    },
    PublishFailed {
        publisher: u32,
        first_seq: u64,
        count: u32,
    },
    Connected {
        client: u32,
        server: NodeId,
        epoch: u64,
    },
    Disconnected {
        client: u32,
        epoch: u64,
    },
    ServerKilled {
        server: NodeId,
        client: NodeId,
        reason: KillReason,
    },
    WriteOk {
        client: u32,
        key: String,
        value: u64,
        server: NodeId,
        waited: Option<i64>,
    },
    WriteErr {
        client: u32,
        err: String,
    },
    StreamAdded {
        client: u32,
        key: String,
        id: String,
        tag: u64,
        server: NodeId,
    },
    StreamDelivered {
        client: u32,
        key: String,
        tag: u64,
        count: u64,
    },
    StreamAcked {
        client: u32,
        key: String,
        tag: u64,
    },
    /// A scripted WAIT returned: it covers this client's previous writes.
    Waited {
        client: u32,
        replicas: i64,
    },
    DeadLettered {
        client: u32,
        tag: u64,
    },
    Failover {
        sentinel: u32,
        epoch: u64,
        promoted: NodeId,
    },
    Odown {
        sentinel: u32,
    },
    /// A Sentinel event as sentinel.c's `sentinelEvent` names it (`+sdown`, `+odown`,
    /// `+try-failover`, `+elected-leader`, `+selected-slave`, `+promoted-slave`,
    /// `+slave-reconf-sent`, `+failover-end`, `+switch-master`, `+convert-to-slave`, …) about
    /// `instance` (`master` says whether it is the monitored primary or a replica).
    SentinelEvent {
        sentinel: u32,
        event: &'static str,
        instance: NodeId,
        master: bool,
    },
    Sync {
        server: NodeId,
        partial: bool,
    },
    Demoted {
        server: NodeId,
    },
}

pub type RCtx<'a, 'b> = Ctx<'a, RedisMsg, RedisEvent>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_command_gets_the_servers_error_text() {
        let codes: Vec<&str> = ERROR_REPLIES.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, ERROR_CODES, "one list of codes");
        for (code, text) in ERROR_REPLIES {
            assert!(text.starts_with(code), "{code}: {text}");
        }
        let ping = RedisMsg::Command {
            id: 7,
            cmd: Box::new(Cmd::Ping),
        };
        let Some(RedisMsg::Frames { frames, .. }) = ping.error_reply("LOADING") else {
            panic!("a command can be failed");
        };
        assert_eq!(
            frames,
            vec![Frame::Reply {
                id: 7,
                reply: Reply::err("LOADING Redis is loading the dataset in memory"),
            }]
        );
        assert!(ping.error_reply("NO_SUCH_CODE").is_none());
        assert!(RedisMsg::GetAck.error_reply("OOM").is_none());
    }
}
