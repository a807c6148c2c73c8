//! Redis wire messages: client commands and replies (RESP-like frames), the replication protocol
//! (PSYNC, the command stream, REPLCONF ACK), Sentinel gossip, and the client-observed history.

pub use super::cmd::Cmd;
use super::dataset::Dataset;
use super::stream::StreamId;
use msgsim_sim::{Message, NodeId};
use std::rc::Rc;
use std::sync::Arc;

/// The field name of every stream entry: `XADD key <id> p <value>` (one byte, as
/// `Cmd::resp_bytes` counts it).
pub const ENTRY_FIELD: &str = "p";

/// A reply value. `render()` gives the redis-cli-like text scripts compare against.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Ok,
    Int(i64),
    Bulk(String),
    Nil,
    Err(String),
    Array(Vec<Reply>),
    /// A stream entry `[id, [field, value]]` (t_stream.c `streamReplyWithRange`: the id, then
    /// the field-value pairs), or `[id, nil]` when deleted; `count` is the delivery counter
    /// after this delivery (not on the wire; XPENDING shows it). The entry's one field is
    /// `ENTRY_FIELD`; its value renders `_` (the model carries an identity and a size, not the
    /// bytes), as XPENDING's idle time does.
    Entry {
        id: StreamId,
        tag: Option<u64>,
        count: u64,
    },
    Id(StreamId),
    /// A bulk string holding a SET payload: the decimal `value` padded with `x` to `bytes`
    /// bytes (`Cmd::Set`); the text is built only when rendered.
    Payload {
        value: u64,
        bytes: u64,
    },
    /// Replies to a pipelined PUBLISH batch: run-length `(n, receivers)`.
    Publish(Vec<(u32, i64)>),
    Info(Box<InfoReply>),
}

impl Reply {
    pub fn err(s: &str) -> Reply {
        Reply::Err(s.to_string())
    }
    pub fn is_err(&self) -> bool {
        matches!(self, Reply::Err(_))
    }
    /// `render`, except that a SET payload longer than `cap` bytes keeps its first `cap` bytes
    /// and notes its length (`7xxx… (100000 bytes)`): a scripted GET of a large value is
    /// compared and recorded without copying all of it. Every prefix of up to `cap` bytes
    /// compares as on the whole text, and no cut text equals an expectation shorter than it.
    pub fn render_capped(&self, cap: u64) -> String {
        match self {
            Reply::Payload { value, bytes } if *bytes > cap => {
                let head = Reply::Payload {
                    value: *value,
                    bytes: cap,
                };
                let mut text = head.render();
                text.truncate(cap as usize);
                format!("{text}… ({bytes} bytes)")
            }
            _ => self.render(),
        }
    }

    pub fn render(&self) -> String {
        match self {
            Reply::Ok => "OK".into(),
            Reply::Int(i) => i.to_string(),
            Reply::Bulk(s) => s.clone(),
            Reply::Nil => "nil".into(),
            Reply::Err(e) => format!("-{e}"),
            Reply::Array(v) => {
                format!(
                    "[{}]",
                    v.iter().map(Reply::render).collect::<Vec<_>>().join(", ")
                )
            }
            Reply::Entry {
                id, tag: Some(_), ..
            } => format!("[{id}, [{ENTRY_FIELD}, _]]"),
            Reply::Entry { id, tag: None, .. } => format!("[{id}, nil]"),
            Reply::Id(id) => id.to_string(),
            Reply::Payload { value, bytes } => {
                let mut text = value.to_string();
                let pad = (*bytes as usize).saturating_sub(text.len());
                text.extend(std::iter::repeat_n('x', pad));
                text
            }
            Reply::Publish(runs) => {
                let all: Vec<String> = runs
                    .iter()
                    .flat_map(|(n, r)| std::iter::repeat_n(r.to_string(), *n as usize))
                    .collect();
                if all.len() == 1 {
                    all[0].clone()
                } else {
                    format!("[{}]", all.join(", "))
                }
            }
            Reply::Info(i) => format!(
                "role:{}",
                if i.primary.is_none() {
                    "master"
                } else {
                    "slave"
                }
            ),
        }
    }
    /// Stream entries inside a reply, in order.
    pub fn entries(&self) -> Vec<(StreamId, Option<u64>, u64)> {
        match self {
            Reply::Entry { id, tag, count } => vec![(*id, *tag, *count)],
            Reply::Array(v) => v.iter().flat_map(Reply::entries).collect(),
            _ => Vec::new(),
        }
    }
}

/// What `INFO` tells Sentinel.
#[derive(Clone, Debug, PartialEq)]
pub struct InfoReply {
    /// `None`: role master.
    pub primary: Option<NodeId>,
    pub link_up: bool,
    pub link_down_ms: u64,
    pub offset: u64,
    pub priority: u32,
    pub run_id: u64,
    /// (replica, acked offset) as the primary sees them.
    pub replicas: Vec<(NodeId, u64)>,
}

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
        Reply::Array(v) => 8 + v.iter().map(reply_bytes).sum::<u64>(),
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
            // One label for both shapes of a server write (they are the same bytes on the wire).
            RedisMsg::Frames { .. } | RedisMsg::Messages(_) => "reply",
            RedisMsg::Psync { .. } => "psync",
            RedisMsg::ReplAck { .. } => "replconf-ack",
            RedisMsg::FullResync { .. } => "fullresync",
            RedisMsg::Continue { .. } => "continue",
            RedisMsg::Stream { .. } => "repl-stream",
            RedisMsg::GetAck => "replconf-getack",
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
            _ => 48,
        }
    }
}

/// Why a server closed a client connection (its log line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KillReason {
    OutputBuffer,
    Sentinel,
    Timeout,
    Protocol,
    MaxClients,
}

/// The history: what clients observed, plus server log lines the checkers need.
#[derive(Clone, Debug, PartialEq, Hash)]
pub enum RedisEvent {
    /// A script step's reply (`ok` = matched its expectation, if it had one).
    Step {
        step: u32,
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
    Sync {
        server: NodeId,
        partial: bool,
    },
    Demoted {
        server: NodeId,
    },
}
