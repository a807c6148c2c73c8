//! A Redis server node (primary or replica): single-threaded command execution in arrival
//! order, client connections with output buffers, Pub/Sub, limits, persistence and crons.
//! Replication lives in `replication.rs` (same struct).

use super::client_table::ClientTable;
use super::config::{Persistence, ServerConfig};
use super::dataset::Dataset;
use super::msg::{Cmd, Frame, KillReason, PubRange, RCtx, RedisEvent, RedisMsg};
use super::output::{limits_of, mark_pending, pubsub_limits, write_client};
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
}

pub struct Server {
    pub cfg: Rc<ServerConfig>,
    pub priority: u32,
    // Durable: survives crashes as configured.
    pub(super) durable: Dataset,
    /// AOF commands written to the OS but not fsynced.
    pub(super) aof_os: Vec<Cmd>,
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
    pub run_id: u64,
    /// When this node was last promoted (0: primary by configuration).
    pub promoted_at_ms: u64,
    pub(super) now_ms: u64,
    pub(super) now_s: u64,
    pub up: bool,
}

impl Server {
    pub fn new(cfg: Rc<ServerConfig>, priority: u32, primary: Option<NodeId>) -> Server {
        Server {
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
            run_id: 0,
            promoted_at_ms: 0,
            now_ms: 0,
            now_s: 0,
            up: false,
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

    /// PUBLISH fan-out on this node (pubsub.c `pubsubPublishMessageInternal`): one range per
    /// (client, matching channel or pattern) appended to its output buffer; returns the
    /// receivers of each message and the bytes queued.
    pub(super) fn fanout(
        &mut self,
        channel: &str,
        payload: u64,
        count: u32,
        publisher: u32,
        first_seq: u64,
    ) -> (i64, u64) {
        let Server {
            registry,
            clients,
            pending_out,
            to_close,
            cfg,
            now_s,
            ..
        } = self;
        // ["message", ch, payload] in RESP: about 40 bytes of framing.
        let bytes_each = payload + channel.len() as u64 + 40;
        // Every client in a subscriber set is subscribed: its buffer is in the pubsub class.
        let l = pubsub_limits(cfg);
        let (mut fan_bytes, mut receivers) = (0, 0i64);
        registry.for_each_target_set(channel, |set, sub, pattern| {
            receivers += set.len() as i64;
            // ["pmessage", pattern, ch, payload]: the pattern and its framing on top.
            let extra = if pattern { sub.len() as u64 + 12 } else { 0 };
            let range = PubRange {
                sub: sub.clone(),
                first_seq,
                publisher,
                count,
                bytes_each: bytes_each + extra,
            };
            clients.for_each_of(set.iter().copied(), set.len(), |conn, c| {
                debug_assert!(c.subscriptions() > 0, "a subscriber set holds subscribers");
                let (n, flagged) = c.enqueue_messages(&range, l, *now_s);
                fan_bytes += n as u64 * range.bytes_each;
                if n > 0 {
                    mark_pending(pending_out, conn, c);
                }
                if flagged {
                    to_close.push((conn, KillReason::OutputBuffer));
                }
            });
        });
        // A client flagged CLOSE_ASAP stays subscribed (and counted) until it is freed before
        // the next event-loop iteration.
        (receivers, fan_bytes)
    }

    /// Execute a client command; returns `None` when the reply comes later (blocked WAIT).
    fn execute(&mut self, ctx: &mut RCtx, conn: ConnId, id: u64, cmd: Cmd) -> Option<Reply> {
        let (subscribed, is_sentinel_call) = {
            let c = self.clients.get_mut(&conn)?;
            c.last_interaction_s = self.now_s;
            (c.subscriptions() > 0, false)
        };
        let _ = is_sentinel_call;
        if cmd.max_bulk() > self.cfg.proto_max_bulk_len_bytes {
            // The query-buffer parser rejects the bulk length and closes the connection.
            self.stats.protocol_errors += 1;
            self.reply(
                conn,
                id,
                Reply::err("ERR Protocol error: invalid bulk length"),
            );
            self.to_close.push((conn, KillReason::Protocol));
            return None;
        }
        // server.c processCommand (7.0) checks, in this order: OOM for deny-oom commands
        // (performEvictions), NOREPLICAS and READONLY for writes, then the RESP2 subscribed
        // context.
        if let Some(refused) = self.refuse(ctx, &cmd, conn) {
            return Some(refused);
        }
        if subscribed
            && !matches!(
                cmd,
                Cmd::Subscribe { .. }
                    | Cmd::Psubscribe { .. }
                    | Cmd::Unsubscribe { .. }
                    | Cmd::Punsubscribe { .. }
                    | Cmd::Ping
            )
        {
            return Some(Reply::Err(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                cmd.full_name()
            )));
        }
        ctx.busy(SimDuration::from_nanos(
            self.cfg.cmd_cost_ns + cmd.max_bulk() / 1024 * self.cfg.cost_ns_per_kib,
        ));
        match cmd {
            Cmd::Ping if subscribed => Some(Reply::Array(vec![
                Reply::Bulk("pong".into()),
                Reply::Bulk(String::new()),
            ])),
            Cmd::Ping => Some(Reply::Status("PONG".into())),
            Cmd::Info => Some(Reply::Info(Box::new(self.info()))),
            Cmd::InfoSection { .. } => Some(Reply::Bulk(self.info_replication_text())),
            Cmd::Subscribe { channels } => Some(self.subscribe(conn, channels, false)),
            Cmd::Psubscribe { patterns } => Some(self.subscribe(conn, patterns, true)),
            Cmd::Unsubscribe { channels } => Some(self.unsubscribe(conn, channels, false)),
            Cmd::Punsubscribe { patterns } => Some(self.unsubscribe(conn, patterns, true)),
            Cmd::Publish {
                channel,
                payload_bytes,
                count,
                publisher,
                first_seq,
            } => {
                ctx.busy(SimDuration::from_nanos(
                    self.cfg.cmd_cost_ns * (count as u64 - 1),
                ));
                let (receivers, fan) =
                    self.fanout(&channel, payload_bytes, count, publisher, first_seq);
                ctx.busy(SimDuration::from_nanos(
                    fan / 1024 * self.cfg.cost_ns_per_kib,
                ));
                // PUBLISH is propagated to replicas (not to AOF), on primaries only: replicas
                // only proxy their primary's stream (4.0+).
                if self.is_primary() {
                    let cmd = Cmd::Publish {
                        channel,
                        payload_bytes,
                        count,
                        publisher,
                        first_seq,
                    };
                    self.propagate(cmd);
                    if let Some(c) = self.clients.get_mut(&conn) {
                        c.woff = self.offset;
                    }
                }
                Some(Reply::Publish(vec![(count, receivers)]))
            }
            Cmd::Wait {
                numreplicas,
                timeout_ms,
            } => self.wait(ctx, conn, id, numreplicas, timeout_ms),
            Cmd::ReplicaOf { node, .. } => {
                self.set_primary(ctx, node, false, conn);
                Some(Reply::Ok)
            }
            Cmd::SentinelReconf { primary } => {
                self.set_primary(ctx, primary, true, conn);
                Some(Reply::Ok)
            }
            Cmd::XRead {
                block_ms: Some(ms), ..
            }
            | Cmd::XReadGroup {
                block_ms: Some(ms), ..
            } => {
                let cmd = self.data.resolve_last(cmd);
                let reply = self.execute_data(conn, cmd.clone());
                self.block_read(ctx, conn, id, cmd, ms, reply)
            }
            cmd => {
                let claim = matches!(cmd, Cmd::XClaim { .. } | Cmd::XAutoClaim { .. });
                let added = match &cmd {
                    Cmd::XAdd { key, .. } if !self.xblocks.is_empty() => Some(key.clone()),
                    _ => None,
                };
                let reply = self.execute_data(conn, cmd);
                if let Some(key) = added {
                    self.serve_xblocks(ctx, &key);
                }
                if let Reply::Err(e) = &reply {
                    if e.starts_with("NOREPLICAS") {
                        ctx.sometimes("redis:noreplicas");
                    } else if e.starts_with("OOM") {
                        ctx.sometimes("redis:oom");
                    }
                } else if claim && !reply.entries().is_empty() {
                    ctx.sometimes("redis:xclaim");
                }
                Some(reply)
            }
        }
    }

    /// The refusals processCommand makes before running a command, in its order: `-OOM` for
    /// a deny-oom command while used memory (with this command's own argument in the query
    /// buffer) is over `maxmemory` and nothing can be evicted, `-NOREPLICAS` for a write
    /// without enough good replicas, `-READONLY` for a write on a replica.
    fn refuse(&mut self, ctx: &mut RCtx, cmd: &Cmd, conn: ConnId) -> Option<Reply> {
        if cmd.denies_oom() && self.cfg.maxmemory_bytes > 0 {
            let extra = self.memory_overhead(cmd);
            match self
                .data
                .make_room(self.cfg.maxmemory_bytes, self.cfg.maxmemory_policy, extra)
            {
                Err(e) => {
                    self.stats.oom += 1;
                    ctx.sometimes("redis:oom");
                    return Some(e);
                }
                Ok(evicted) => {
                    self.stats.evicted += evicted.len() as u64;
                    for key in evicted {
                        self.propagate(Cmd::Del { key });
                    }
                }
            }
        }
        let _ = conn;
        if cmd.is_write() {
            // server.c: min-replicas-to-write refuses CMD_WRITE commands only.
            if self.is_primary()
                && self.cfg.min_replicas_to_write > 0
                && self.cfg.min_replicas_max_lag_s > 0
                && self.good_replicas < self.cfg.min_replicas_to_write
            {
                self.stats.noreplicas += 1;
                ctx.sometimes("redis:noreplicas");
                return Some(Reply::err("NOREPLICAS Not enough good replicas to write."));
            }
            if !self.is_primary() {
                return Some(Reply::err(
                    "READONLY You can't write against a read only replica.",
                ));
            }
        }
        None
    }

    /// Memory counted besides the dataset (`used_memory` − dataset): the server at startup,
    /// every connected client, and the command being checked, which sits in its client's
    /// query buffer. networking.c `processMultibulkBuffer` reads an argument of 32 KiB or more
    /// (PROTO_MBULK_BIG_ARG) into a buffer of exactly its size, makes that buffer the argument
    /// and allocates a fresh one of the same size for the next (two allocations in flight); a
    /// smaller argument is copied out of the 16 KiB read buffer (PROTO_IOBUF_LEN). The
    /// constants are fitted to redis-server 7.0.15 (jemalloc, amd64): used_memory_startup is
    /// 876,000 bytes, and the OOM boundaries of the conformance cases (1 MiB with 10 KB
    /// values, 1.5 and 2 MiB with 100 KB values) all fall at the same command with 58,000
    /// bytes per client (docs/redis-conformance.md).
    fn memory_overhead(&self, cmd: &Cmd) -> u64 {
        const STARTUP_BYTES: u64 = 876_000;
        const CLIENT_BYTES: u64 = 58_000;
        const BIG_ARG: u64 = 32 * 1024;
        const READ_BUFFER: u64 = 16 * 1024;
        let arg = cmd.max_bulk();
        let in_flight = if arg >= BIG_ARG {
            2 * super::dataset::alloc_size(arg + 2)
        } else {
            super::dataset::alloc_size(arg + 9) + READ_BUFFER
        };
        STARTUP_BYTES + CLIENT_BYTES * self.clients.len() as u64 + in_flight
    }

    pub(super) fn execute_data(&mut self, conn: ConnId, cmd: Cmd) -> Reply {
        let out = self.data.execute(&cmd, self.now_ms);
        for p in out.propagate {
            self.persist(&p);
            self.propagate(p);
        }
        if let Some(c) = self.clients.get_mut(&conn) {
            c.woff = self.offset;
        }
        out.reply
    }

    fn subscribe(&mut self, conn: ConnId, names: Vec<String>, pattern: bool) -> Reply {
        let mut out = Vec::new();
        for name in names {
            let name: Rc<str> = Rc::from(name.as_str());
            let c = self.clients.get_mut(&conn).expect("client");
            let map = if pattern {
                &mut self.registry.patterns
            } else {
                &mut self.registry.channels
            };
            let new = if pattern {
                c.patterns.insert(name.clone())
            } else {
                c.channels.insert(name.clone())
            };
            if new {
                map.entry(name.clone()).or_default().insert(conn);
            }
            let kind = if pattern { "psubscribe" } else { "subscribe" };
            out.push(Reply::Array(vec![
                Reply::Bulk(kind.into()),
                Reply::Bulk(name.to_string()),
                Reply::Int(c.subscriptions() as i64),
            ]));
        }
        Reply::Array(out)
    }

    /// UNSUBSCRIBE / PUNSUBSCRIBE (pubsub.c `pubsubUnsubscribeChannel`): one confirmation per
    /// name with the subscriptions left; without names every channel (pattern) the client
    /// has, in order, or `[unsubscribe, nil, n]` when it has none
    /// (`pubsubUnsubscribeAllChannels`).
    fn unsubscribe(&mut self, conn: ConnId, names: Vec<String>, pattern: bool) -> Reply {
        let kind = if pattern {
            "punsubscribe"
        } else {
            "unsubscribe"
        };
        let c = self.clients.get_mut(&conn).expect("client");
        let names: Vec<String> = if !names.is_empty() {
            names
        } else if pattern {
            c.patterns.iter().map(|n| n.to_string()).collect()
        } else {
            c.channels.iter().map(|n| n.to_string()).collect()
        };
        if names.is_empty() {
            return Reply::Array(vec![Reply::Array(vec![
                Reply::Bulk(kind.into()),
                Reply::Nil,
                Reply::Int(c.subscriptions() as i64),
            ])]);
        }
        let mut out = Vec::new();
        for name in names {
            let c = self.clients.get_mut(&conn).expect("client");
            let (mine, map) = if pattern {
                (&mut c.patterns, &mut self.registry.patterns)
            } else {
                (&mut c.channels, &mut self.registry.channels)
            };
            if mine.remove(name.as_str())
                && let Some(set) = map.get_mut(name.as_str())
            {
                set.remove(&conn);
                if set.is_empty() {
                    map.remove(name.as_str());
                }
            }
            out.push(Reply::Array(vec![
                Reply::Bulk(kind.into()),
                Reply::Bulk(name),
                Reply::Int(c.subscriptions() as i64),
            ]));
        }
        Reply::Array(out)
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
            replicas: self
                .replicas
                .values()
                .filter(|r| r.online)
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
            if reason == KillReason::Protocol {
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
        self.primary = self.config_primary;
        self.nothing_cached = self.primary.is_some();
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
                self.clients.insert(conn, ClientConn::new(peer, self.now_s));
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
                for cmd in std::mem::take(&mut self.aof_os) {
                    let _ = self.durable.execute(&cmd, self.now_ms);
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
