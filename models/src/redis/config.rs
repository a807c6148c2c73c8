//! Configuration of the Redis model. Server and Sentinel knobs carry Redis 7.x defaults
//! (redis.conf / sentinel.conf / config.c at 4f8cdc2, see docs/redis-config.md); names spell units.

use super::cmd::Cmd;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const MIB: u64 = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EvictionPolicy {
    /// Default: writes that need memory get `-OOM …`.
    Noeviction,
    /// Evict the least recently used key (exact LRU; Redis approximates with 5 samples).
    AllkeysLru,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Persistence {
    /// Pure in-memory: a restart comes back empty.
    None,
    /// RDB snapshot every `every_s` seconds when anything changed.
    Rdb { every_s: u64 },
    /// AOF with `appendfsync everysec`: a power loss loses up to ~1 s; a process crash loses
    /// nothing written to the OS.
    AofEverysec,
    /// AOF with `appendfsync always`.
    AofAlways,
}

/// `stream-node-max-entries` / `stream-node-max-bytes` as the server holds them when a command
/// runs (redis.conf defaults 100 and 4096; `CONFIG SET` changes them at run time, for the
/// streams' next appends, `config_set.rs`). t_stream.c `streamAppendItem` reads
/// `server.stream_node_max_*` at every append; 0 lifts that dimension's limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLimits {
    pub max_entries: u64,
    pub max_bytes: u64,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            max_entries: 100,
            max_bytes: 4096,
        }
    }
}

/// redis.conf knobs shared by every server node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub maxclients: u32,
    /// `databases`: logical databases a client may SELECT (0 .. databases − 1).
    pub databases: u32,
    /// `timeout`: 0 never closes idle clients; pub/sub clients, replicas and blocked clients are
    /// always exempt.
    pub timeout_s: u64,
    pub proto_max_bulk_len_bytes: u64,
    /// `client-output-buffer-limit pubsub <hard> <soft> <soft seconds>`.
    pub obuf_pubsub_hard_bytes: u64,
    pub obuf_pubsub_soft_bytes: u64,
    pub obuf_pubsub_soft_seconds: u64,
    /// `client-output-buffer-limit normal` (0 0 0 = unlimited).
    pub obuf_normal_hard_bytes: u64,
    pub repl_backlog_size_bytes: u64,
    /// `repl-backlog-ttl`: a primary without replicas for longer than this frees its backlog
    /// and takes a new replication id (replication.c `replicationCron`); 0 keeps it forever.
    /// Replicas never free theirs.
    pub repl_backlog_ttl_s: u64,
    /// `replica-read-only`: `false` lets a replica take writes from its clients; since Redis
    /// 4.0 they stay local (never propagated to its own replicas) and a full resync drops them.
    pub replica_read_only: bool,
    /// `replica-serve-stale-data`: `false` makes a replica whose link to its primary is not
    /// up (`repl_state != REPL_STATE_CONNECTED`: reconnecting or in a full sync) answer every
    /// command without the `stale` flag `-MASTERDOWN` (server.c `processCommand`).
    pub replica_serve_stale_data: bool,
    pub repl_timeout_s: u64,
    pub repl_ping_replica_period_s: u64,
    /// `repl-diskless-sync-delay`: a full sync waits this long for more replicas.
    pub repl_diskless_sync_delay_s: u64,
    pub min_replicas_to_write: u32,
    pub min_replicas_max_lag_s: u64,
    pub maxmemory_bytes: u64,
    pub maxmemory_policy: EvictionPolicy,
    /// `stream-node-max-entries`: entries (live and deleted) a stream node takes before the
    /// next XADD opens a new one; 0: no count limit. 100 × it is the default LIMIT of a `~`
    /// trim (`stream_node.rs`). `CONFIG SET` changes it on one server until its restart.
    pub stream_node_max_entries: u64,
    /// `stream-node-max-bytes`: a node's listpack size at which the next XADD opens a new
    /// one; 0: no byte limit (1 GiB, t_stream.c `STREAM_LISTPACK_MAX_SIZE`).
    pub stream_node_max_bytes: u64,
    pub persistence: Persistence,
    /// Server cron frequency.
    pub hz: u64,
    /// Processing time per command (fixed part), and per KiB of arguments and fan-out.
    pub cmd_cost_ns: u64,
    pub cost_ns_per_kib: u64,
    /// Socket buffering between a server and one client (send + receive buffers): bytes that
    /// can be in flight before an unread client makes the server's output buffer grow.
    pub socket_buffer_bytes: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            maxclients: 10_000,
            databases: 16,
            timeout_s: 0,
            proto_max_bulk_len_bytes: 512 * MIB,
            obuf_pubsub_hard_bytes: 32 * MIB,
            obuf_pubsub_soft_bytes: 8 * MIB,
            obuf_pubsub_soft_seconds: 60,
            obuf_normal_hard_bytes: 0,
            repl_backlog_size_bytes: MIB,
            repl_backlog_ttl_s: 3_600,
            replica_read_only: true,
            replica_serve_stale_data: true,
            repl_timeout_s: 60,
            repl_ping_replica_period_s: 10,
            repl_diskless_sync_delay_s: 5,
            min_replicas_to_write: 0,
            min_replicas_max_lag_s: 10,
            maxmemory_bytes: 0,
            maxmemory_policy: EvictionPolicy::Noeviction,
            stream_node_max_entries: 100,
            stream_node_max_bytes: 4096,
            persistence: Persistence::None,
            hz: 10,
            cmd_cost_ns: 1_000,
            cost_ns_per_kib: 20,
            socket_buffer_bytes: 4 * MIB,
        }
    }
}

impl ServerConfig {
    /// The stream node settings of the configuration file.
    pub fn node_limits(&self) -> NodeLimits {
        NodeLimits {
            max_entries: self.stream_node_max_entries,
            max_bytes: self.stream_node_max_bytes,
        }
    }
}

/// sentinel.conf knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SentinelConfig {
    /// `sentinel monitor … <quorum>` (no default in Redis; must be given when sentinels > 0).
    pub quorum: u32,
    pub down_after_ms: u64,
    pub failover_timeout_ms: u64,
    pub parallel_syncs: u32,
    /// sentinel.conf holds only `sentinel monitor`: the replicas are learnt from the primary's
    /// `INFO replication` and the other sentinels from their hello messages (`+slave`,
    /// `+sentinel`). `false` (default): the file was already rewritten with `known-replica` /
    /// `known-sentinel` lines for the starting topology (servers not `detached`, every
    /// sentinel); discovery still adds whatever appears later.
    pub fresh_config: bool,
    /// Hello messages through the servers' `__sentinel__:hello` channel as sentinel.c sends
    /// them: PUBLISHed to every instance and to the known sentinels, heard on a pub/sub link
    /// each sentinel keeps to every server (`sentinel/hello.rs`). `true` by default (Redis 7
    /// has no other way); `false`: the stand-in, a direct message to every other sentinel.
    pub hello_pubsub: bool,
}

impl Default for SentinelConfig {
    fn default() -> Self {
        SentinelConfig {
            quorum: 2,
            down_after_ms: 30_000,
            failover_timeout_ms: 180_000,
            parallel_syncs: 1,
            fresh_config: false,
            hello_pubsub: true,
        }
    }
}

/// A steady publisher: `rate_per_s` PUBLISHes, pipelined in batches every `batch_ms`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishLoad {
    /// Shared with every batch's command (`Cmd::Publish`).
    pub channel: Arc<str>,
    pub rate_per_s: u64,
    #[serde(default = "default_batch_ms")]
    pub batch_ms: u64,
    #[serde(default = "default_payload")]
    pub payload_bytes: u64,
    #[serde(default)]
    pub start_ms: u64,
}

/// A steady writer: `SET k<client>:<n> <n>` at `rate_per_s`, optionally followed by WAIT.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteLoad {
    pub rate_per_s: u64,
    #[serde(default)]
    pub wait_replicas: u32,
    #[serde(default)]
    pub wait_timeout_ms: u64,
    #[serde(default)]
    pub start_ms: u64,
    #[serde(default)]
    pub stop_ms: u64,
}

/// A stream producer: XADD at `rate_per_s` with optional MAXLEN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamProduceLoad {
    pub key: String,
    pub rate_per_s: u64,
    #[serde(default)]
    pub maxlen: Option<u64>,
    #[serde(default = "default_payload")]
    pub payload_bytes: u64,
    #[serde(default)]
    pub start_ms: u64,
}

/// A consumer-group reader: XREADGROUP `>` every `poll_ms`, XACK what it processed; re-reads
/// its own PEL after a reconnect; optionally claims idle entries and dead-letters those
/// delivered `dead_letter_after` times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamConsumeLoad {
    pub key: String,
    pub group: String,
    pub consumer: String,
    #[serde(default = "default_poll")]
    pub poll_ms: u64,
    #[serde(default = "default_count")]
    pub count: u64,
    /// Every `fail_every`-th entry (by tag) is never acknowledged (a poison message).
    #[serde(default)]
    pub fail_every: u64,
    /// XAUTOCLAIM entries idle this long (0: never claim).
    #[serde(default)]
    pub claim_idle_ms: u64,
    /// Move an entry to `<key>:dlq` once its delivery counter reaches this (0: never).
    #[serde(default)]
    pub dead_letter_after: u64,
}

fn default_batch_ms() -> u64 {
    10
}
fn default_payload() -> u64 {
    100
}
fn default_poll() -> u64 {
    100
}
fn default_count() -> u64 {
    100
}
fn default_backoff() -> u64 {
    100
}

/// One client node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub name: String,
    /// The server it talks to; `None`: the primary (asked from Sentinel when there are
    /// sentinels, `r1` otherwise).
    #[serde(default)]
    pub server: Option<String>,
    #[serde(default)]
    pub subscribe: Vec<String>,
    #[serde(default)]
    pub psubscribe: Vec<String>,
    /// Bytes per second the application reads; `None`: as fast as they come; 0: never.
    #[serde(default)]
    pub read_rate_bytes_per_s: Option<u64>,
    #[serde(default)]
    pub publish: Option<PublishLoad>,
    #[serde(default)]
    pub write: Option<WriteLoad>,
    #[serde(default)]
    pub stream_produce: Option<StreamProduceLoad>,
    #[serde(default)]
    pub stream_consume: Option<StreamConsumeLoad>,
    #[serde(default = "default_backoff")]
    pub reconnect_backoff_ms: u64,
    /// Connect at start (otherwise at the first script step or workload).
    #[serde(default = "yes")]
    pub connect_at_start: bool,
    /// A script-only client whose connection the server (or the network) closed reconnects
    /// at its next step. Default `false`: as a client library without retries, its next
    /// commands get `(error) connection closed` until a `Connect` step. Clients with a
    /// workload or subscriptions always reconnect after `reconnect_backoff_ms`.
    #[serde(default)]
    pub reconnect: bool,
}

fn yes() -> bool {
    true
}

/// A timed step: `client` runs `cmd` at `at_ms`; `expect` is the rendered reply it must get
/// (`*` at the end matches a prefix).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub at_ms: u64,
    pub client: String,
    pub cmd: Cmd,
    #[serde(default)]
    pub expect: Option<String>,
}
