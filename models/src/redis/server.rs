//! A Redis server node (primary or replica): single-threaded command execution in arrival
//! order, client connections with output buffers, Pub/Sub, limits, persistence and crons.
//! Replication lives in `replication.rs` (same struct).

use super::client_table::ClientTable;
use super::config::NodeLimits;
use super::config::{Persistence, ServerConfig};
use super::dataset::Dataset;
use super::msg::{Cmd, Frame, KillReason, RCtx, RedisEvent, RedisMsg};
use super::output::{limits_of, mark_pending, write_client};
use super::pubsub::{ClientConn, ObufLimits, Registry};
use super::replication_state::{Backlog, MasterLink, ReplicaLink, StreamBlock, WaitBlock};
use super::reply::{InfoReply, Reply};
use msgsim_sim::{Actor, ConnEvent, ConnId, CrashKind, NodeId, SimDuration, TimerId, Via};
use std::any::Any;
use std::collections::BTreeMap;
use std::rc::Rc;

pub(super) const T_CRON: u64 = 1;
pub(super) const T_FULLSYNC: u64 = 2;
pub(super) const T_WAIT: u64 = 1 << 40;
pub(super) const T_XBLOCK: u64 = 1 << 41;
/// The id of the first connection after a start: redis-server 7.0.15 gives its first
/// client id 3 (`CLIENT ID`, observed; two ids go to its internal clients at startup).
const FIRST_CLIENT_ID: u64 = 3;

/// INFO-like counters of one server (survive restarts, as the model's observation).
#[derive(Clone, Debug, Default)]
pub struct ServerStats {
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    pub rejected_connections: u64,
    pub obuf_disconnections: u64,
    pub noreplicas: u64,
    pub oom: u64,
    pub evicted: u64,
    pub timeouts: u64,
    pub protocol_errors: u64,
    pub repl_prefix_violations: u64,
    pub late_publishes: u64,
    pub offset_ahead_of_primary: u64,
    /// Client data commands run while this server was a replica whose link to its primary
    /// was down (stale data served; `rN:stale_commands`).
    pub stale_commands: u64,
}

pub struct Server {
    pub cfg: Rc<ServerConfig>,
    pub priority: u32,
    // Durable: survives crashes as configured.
    pub(super) durable: Dataset,
    /// AOF commands written to the OS but not fsynced, with their logical databases.
    pub(super) aof_os: Vec<(u32, Cmd)>,
    pub(super) dirty: u64,
    /// `replicaof` line of the config file (Sentinel runs CONFIG REWRITE).
    pub(super) config_primary: Option<NodeId>,
    pub stats: ServerStats,
    // Volatile.
    pub data: Dataset,
    pub primary: Option<NodeId>,
    pub replid: u64,
    pub replid2: u64,
    pub second_off: Option<u64>,
    pub offset: u64,
    /// No cached primary to PSYNC with: a replica started from its config sends `PSYNC ? -1`.
    pub(super) nothing_cached: bool,
    pub(super) backlog: Option<Backlog>,
    /// The logical database the replication stream last SELECTed (replication.c
    /// `server.slaveseldb`; `None`: unknown, −1 in Redis).
    pub(super) repl_db: Option<u32>,
    /// On a replica: the database its primary's stream has SELECTed (the master client's db).
    pub(super) stream_db: u32,
    pub(super) clients: ClientTable,
    pub(super) registry: Registry,
    pub(super) replicas: BTreeMap<ConnId, ReplicaLink>,
    pub(super) link: Option<MasterLink>,
    pub(super) good_replicas: u32,
    /// Blocked WAITs by sequence number.
    pub(super) waits: BTreeMap<u64, WaitBlock>,
    /// Blocked stream reads by sequence number (`blocking.rs`).
    pub(super) xblocks: BTreeMap<u64, StreamBlock>,
    /// clients_pending_write: clients with output to write in beforeSleep (each once, flagged
    /// by `ClientConn::pending_write`).
    pub(super) pending_out: Vec<ConnId>,
    /// The replication stream written to each replica in this event-loop iteration, by
    /// connection (sorted; a primary has a few replicas).
    pub(super) repl_out: Vec<(ConnId, Vec<super::msg::ReplEntry>)>,
    pub(super) to_close: Vec<(ConnId, KillReason)>,
    pub(super) cron_ticks: u64,
    pub(super) fullsync_pending: bool,
    /// When the last replica left (replication.c `repl_no_slaves_since`, seconds): the
    /// backlog's ttl counts from here (`backlog_ttl.rs`).
    pub(super) no_replicas_since_s: u64,
    pub run_id: u64,
    /// When this node was last promoted (0: primary by configuration).
    pub promoted_at_ms: u64,
    pub(super) now_ms: u64,
    pub(super) now_s: u64,
    pub up: bool,
    /// The next client id (`server.next_client_id`).
    pub(super) next_client_id: u64,
    /// `stream-node-max-entries` / `-bytes` now: the configuration file's, or a later
    /// `CONFIG SET`'s until a restart (`config_set.rs`).
    pub(super) stream_node: NodeLimits,
}

impl Server {
    pub fn new(cfg: Rc<ServerConfig>, priority: u32, primary: Option<NodeId>) -> Server {
        Server {
            stream_node: cfg.node_limits(),
            cfg,
            priority,
            durable: Dataset::default(),
            aof_os: Vec::new(),
            dirty: 0,
            config_primary: primary,
            stats: ServerStats::default(),
            data: Dataset::default(),
            primary,
            replid: 0,
            replid2: 0,
            nothing_cached: false,
            second_off: None,
            offset: 0,
            backlog: None,
            repl_db: None,
            stream_db: 0,
            clients: ClientTable::default(),
            registry: Registry::default(),
            replicas: BTreeMap::new(),
            link: None,
            good_replicas: 0,
            waits: BTreeMap::new(),
            xblocks: BTreeMap::new(),
            pending_out: Vec::new(),
            repl_out: Vec::new(),
            to_close: Vec::new(),
            cron_ticks: 0,
            fullsync_pending: false,
            no_replicas_since_s: 0,
            run_id: 0,
            promoted_at_ms: 0,
            now_ms: 0,
            now_s: 0,
            up: false,
            next_client_id: FIRST_CLIENT_ID,
        }
    }

    fn clock(&mut self, ctx: &RCtx) {
        let local = ctx.local_now().as_nanos();
        self.now_ms = local / 1_000_000;
        self.now_s = local / 1_000_000_000;
    }

    pub fn is_primary(&self) -> bool {
        self.primary.is_none()
    }

    pub(super) fn limits(&self, c: &ClientConn) -> ObufLimits {
        limits_of(&self.cfg, c)
    }

    /// Append a reply to a client's output buffer (checked against its limits).
    pub(super) fn reply(&mut self, conn: ConnId, id: u64, reply: Reply) {
        let now_s = self.now_s;
        let Some(c) = self.clients.get_mut(&conn) else {
            return;
        };
        if c.closing {
            return;
        }
        let frame = Frame::Reply { id, reply };
        c.obuf_bytes += frame.bytes();
        c.obuf.push_back(frame);
        mark_pending(&mut self.pending_out, conn, c);
        let l = limits_of(&self.cfg, c);
        if c.limit_reached(l, now_s, false) {
            c.closing = true;
            self.to_close.push((conn, KillReason::OutputBuffer));
        }
    }

    pub(super) fn info(&self) -> InfoReply {
        InfoReply {
            primary: self.primary,
            link_up: self.link.as_ref().is_some_and(|l| l.online),
            link_down_ms: self
                .link
                .as_ref()
                .map_or(0, |l| self.now_ms.saturating_sub(l.down_since_ms)),
            offset: self.offset,
            priority: self.priority,
            run_id: self.run_id,
            // Every replica in `server.slaves`, whatever its state (server.c genRedisInfoString
            // writes `slaveN:…,state=wait_bgsave|send_bulk|online,…` for each; sentinel.c
            // sentinelRefreshInstanceInfo reads only ip= and port= and ignores the state), so a
            // replica still in its full sync is discovered too.
            replicas: self
                .replicas
                .values()
                .map(|r| (r.node, r.ack_off))
                .collect(),
        }
    }

    /// Close a client: its output buffer and subscriptions are gone (at-most-once).
    pub(super) fn free_client(&mut self, ctx: &mut RCtx, conn: ConnId, reason: Option<KillReason>) {
        let Some(c) = self.clients.remove(&conn) else {
            return;
        };
        self.registry.remove_client(conn, &c);
        // Its entry in pending_out is skipped: write_out finds no client.
        self.waits.retain(|_, b| {
            if b.conn == conn {
                ctx.cancel_timer(b.timer);
            }
            b.conn != conn
        });
        self.drop_xblocks_of(ctx, conn);
        if self.replicas.remove(&conn).is_some() {
            // refreshGoodSlavesCount runs when a replica client is freed.
            self.refresh_good_replicas();
            self.mark_no_replicas();
        }
        if let Some(reason) = reason {
            match reason {
                KillReason::OutputBuffer => {
                    // "Client … scheduled to be closed ASAP for overcoming of output buffer limits."
                    self.stats.obuf_disconnections += 1;
                    ctx.sometimes("redis:obuf_disconnect");
                }
                KillReason::Timeout => self.stats.timeouts += 1,
                _ => {}
            }
            ctx.record(RedisEvent::ServerKilled {
                server: ctx.me(),
                client: c.peer,
                reason,
            });
            ctx.close(conn);
        }
    }

    /// beforeSleep: free clients flagged CLOSE_ASAP, then write output buffers to sockets as far
    /// as the socket buffers allow, and the replication stream to replicas.
    pub(super) fn before_sleep(&mut self, ctx: &mut RCtx) {
        for (conn, reason) in std::mem::take(&mut self.to_close) {
            if matches!(reason, KillReason::Protocol | KillReason::Unblocked) {
                // The error reply goes out first (CLOSE_AFTER_REPLY).
                self.write_out(ctx, conn);
            }
            self.free_client(ctx, conn, Some(reason));
        }
        let mut pending = std::mem::take(&mut self.pending_out);
        let window = self.cfg.socket_buffer_bytes;
        debug_assert!(pending.is_sorted(), "pending writes in connection order");
        let n = pending.len();
        self.clients
            .for_each_of(pending.iter().copied(), n, |conn, c| {
                write_client(ctx, window, conn, c)
            });
        pending.clear();
        // Keep the list's allocation for the next iteration.
        self.pending_out = pending;
        for (conn, entries) in self.repl_out.drain(..) {
            let bytes = entries.iter().map(|e| e.bytes).sum();
            ctx.send_conn(conn, RedisMsg::Stream { entries, bytes });
        }
    }

    /// Write a client's output buffer to its socket as far as the window allows
    /// (networking.c `writeToClient`); takes it off the pending-write list.
    fn write_out(&mut self, ctx: &mut RCtx, conn: ConnId) {
        let window = self.cfg.socket_buffer_bytes;
        if let Some(c) = self.clients.get_mut(&conn) {
            write_client(ctx, window, conn, c);
        }
    }

    /// serverCron / clientsCron / replicationCron.
    fn cron(&mut self, ctx: &mut RCtx) {
        let hz = self.cfg.hz.max(1);
        ctx.set_timer(SimDuration::from_millis(1_000 / hz), T_CRON);
        self.cron_ticks += 1;
        // clientsCron: idle timeout (pub/sub clients, replicas and blocked clients exempt) and
        // the soft output-buffer limit without traffic.
        let conns: Vec<ConnId> = self.clients.keys().copied().collect();
        for conn in conns {
            let c = &self.clients[&conn];
            if c.closing {
                continue;
            }
            if self.cfg.timeout_s > 0
                && c.subscriptions() == 0
                && !c.is_replica
                && !c.blocked
                && self.now_s.saturating_sub(c.last_interaction_s) > self.cfg.timeout_s
            {
                self.to_close.push((conn, KillReason::Timeout));
                continue;
            }
            let l = self.limits(c);
            let now_s = self.now_s;
            let c = self.clients.get_mut(&conn).expect("present");
            if c.limit_reached(l, now_s, true) {
                c.closing = true;
                self.to_close.push((conn, KillReason::OutputBuffer));
            }
        }
        if self.cron_ticks.is_multiple_of(hz) {
            self.replication_cron(ctx);
            self.persistence_cron();
        }
    }
}

impl Actor<RedisMsg, RedisEvent> for Server {
    fn on_start(&mut self, ctx: &mut RCtx) {
        self.clock(ctx);
        self.up = true;
        // Load the dataset from disk (empty without persistence): a new history, new replid.
        self.data = self.durable.clone();
        self.replid = ctx.rng().next_u64() | 1;
        self.run_id = ctx.rng().next_u64();
        self.replid2 = 0;
        self.second_off = None;
        self.offset = 0;
        self.backlog = None;
        self.repl_db = None;
        self.stream_db = 0;
        self.primary = self.config_primary;
        self.nothing_cached = self.primary.is_some();
        self.next_client_id = FIRST_CLIENT_ID;
        // A restart reads the configuration file: a CONFIG SET is gone.
        self.stream_node = self.cfg.node_limits();
        // server.c initServer: `repl_no_slaves_since = time(NULL)`.
        self.no_replicas_since_s = self.now_s;
        ctx.set_timer(SimDuration::from_millis(1_000 / self.cfg.hz.max(1)), T_CRON);
        if let Some(p) = self.primary {
            self.connect_primary(ctx, p);
        }
    }

    fn on_message(&mut self, ctx: &mut RCtx, from: NodeId, via: Via, msg: RedisMsg) {
        self.clock(ctx);
        let Via::Conn(conn) = via else { return };
        match msg {
            RedisMsg::Command { id, cmd } => {
                if !self.clients.contains_key(&conn) {
                    return;
                }
                if let Some(reply) = self.execute(ctx, conn, id, *cmd) {
                    self.reply(conn, id, reply);
                }
            }
            RedisMsg::Consumed { bytes } => {
                if let Some(c) = self.clients.get_mut(&conn) {
                    c.in_flight = c.in_flight.saturating_sub(bytes);
                    if !c.obuf.is_empty() {
                        mark_pending(&mut self.pending_out, conn, c);
                    }
                }
            }
            other => self.on_replication_msg(ctx, conn, from, other),
        }
        self.before_sleep(ctx);
    }

    fn timer_name(&self, tag: u64) -> &'static str {
        match tag {
            T_CRON => "serverCron",
            T_FULLSYNC => "full sync done",
            t if t & T_XBLOCK != 0 => "BLOCK timeout",
            t if t & T_WAIT != 0 => "WAIT timeout",
            _ => "replication reconnect",
        }
    }

    fn on_timer(&mut self, ctx: &mut RCtx, _timer: TimerId, tag: u64) {
        self.clock(ctx);
        if tag == T_CRON {
            self.cron(ctx);
        } else if tag == T_FULLSYNC {
            self.start_full_syncs(ctx);
        } else if tag & T_XBLOCK != 0 {
            self.xblock_timeout(tag & !T_XBLOCK);
        } else if tag & T_WAIT != 0 {
            self.wait_timeout(tag & !T_WAIT);
        } else {
            self.on_repl_timer(ctx, tag);
        }
        self.before_sleep(ctx);
    }

    fn on_connection(&mut self, ctx: &mut RCtx, event: ConnEvent) {
        self.clock(ctx);
        match event {
            ConnEvent::Accepted { conn, peer } => {
                // networking.c acceptCommonHandler: maxclients counts every connected client.
                if self.clients.len() as u64 >= self.cfg.maxclients as u64 {
                    self.stats.rejected_connections += 1;
                    let frame = Frame::Reply {
                        id: 0,
                        reply: Reply::err("ERR max number of clients reached"),
                    };
                    let bytes = frame.bytes();
                    ctx.send_conn(
                        conn,
                        RedisMsg::Frames {
                            frames: vec![frame],
                            bytes,
                        },
                    );
                    ctx.close(conn);
                    ctx.record(RedisEvent::ServerKilled {
                        server: ctx.me(),
                        client: peer,
                        reason: KillReason::MaxClients,
                    });
                    return;
                }
                let mut c = ClientConn::new(peer, self.now_s);
                c.id = self.next_client_id;
                self.next_client_id += 1;
                self.clients.insert(conn, c);
            }
            ConnEvent::Closed { conn, .. } => {
                if self.link.as_ref().is_some_and(|l| l.conn == conn) {
                    self.master_link_lost(ctx);
                } else {
                    self.free_client(ctx, conn, None);
                }
            }
        }
        self.before_sleep(ctx);
    }

    fn on_crash(&mut self, kind: CrashKind) {
        self.up = false;
        match (self.cfg.persistence, kind) {
            // A killed process loses nothing it wrote to the OS; power loss loses the unsynced.
            (Persistence::AofEverysec, CrashKind::Process) => {
                for (db, cmd) in std::mem::take(&mut self.aof_os) {
                    let _ = self
                        .durable
                        .execute_in(db, &cmd, self.now_ms, self.cfg.node_limits());
                }
            }
            (Persistence::None, _) => self.durable = Dataset::default(),
            _ => self.aof_os.clear(),
        }
        self.data = Dataset::default();
        self.clients.clear();
        self.registry = Registry::default();
        self.replicas.clear();
        self.link = None;
        self.waits.clear();
        self.xblocks.clear();
        self.pending_out.clear();
        self.repl_out.clear();
        self.to_close.clear();
        self.backlog = None;
        self.good_replicas = 0;
        self.fullsync_pending = false;
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
