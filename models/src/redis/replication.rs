//! Asynchronous replication (replication.c): replication id + offset, the backlog, PSYNC partial
//! vs full resync, the command stream (PUBLISH included), REPLCONF ACK, repl-timeout, WAIT and
//! min-replicas-to-write, REPLICAOF / Sentinel reconfiguration.

use super::msg::RCtx;
use super::msg::{Cmd, KillReason, RedisEvent, RedisMsg, ReplEntry};
use super::replication_state::{Backlog, MasterLink, ReplicaLink, WaitBlock};
use super::reply::Reply;
use super::server::{Server, T_FULLSYNC, T_WAIT};
use msgsim_sim::{ConnId, NodeId, SimDuration};
use std::rc::Rc;

const T_RECONNECT: u64 = 3;

/// The error of a client unblocked because its server became a replica.
const UNBLOCKED: &str =
    "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";

/// The per-node metrics of `Server::info_fields`, in its order: an expectation names them
/// `rN:NAME` (`r2:master_repl_offset >= 1000`).
pub const NODE_METRICS: &[&str] = &[
    "role_master",
    "master_repl_offset",
    "connected_slaves",
    "min_slaves_good_slaves",
    "sync_full",
    "sync_partial_ok",
    "sync_partial_err",
    "stale_commands",
];

impl Server {
    /// The `INFO replication` / `INFO stats` fields a run reports per node (`r1:sync_full`,
    /// ...): `role_master` (1 or 0), `master_repl_offset`, `connected_slaves`,
    /// `min_slaves_good_slaves` (replication.c `genReplicationInfoString`), and the
    /// resynchronisations this node served as a primary; and the model's own count of the
    /// client data commands it ran as a replica without its link (`stale_commands`, not an
    /// INFO field). Names: `NODE_METRICS`.
    pub fn info_fields(&self) -> [(&'static str, u64); 8] {
        let values = [
            self.is_primary() as u64,
            self.offset,
            self.connected_replicas(),
            self.good_replicas as u64,
            self.stats.sync_full,
            self.stats.sync_partial_ok,
            self.stats.sync_partial_err,
            self.stats.stale_commands,
        ];
        std::array::from_fn(|i| (NODE_METRICS[i], values[i]))
    }

    /// `INFO replication` as a script reads it: Redis 7.0's fields in its order (server.c
    /// `genRedisInfoString`), those the model keeps. A replica: `master_link_status`,
    /// `slave_repl_offset` (what it processed), `slave_read_only`; every node:
    /// `connected_slaves`, `min_slaves_good_slaves` when min-replicas is on (both settings
    /// non-zero), `master_repl_offset`, `repl_backlog_active` (a backlog exists),
    /// `repl_backlog_size`.
    pub(super) fn info_replication_text(&self) -> String {
        let mut f: Vec<(&str, String)> = Vec::new();
        if self.primary.is_some() {
            let up = self.link.as_ref().is_some_and(|l| l.online);
            f.push(("role", "slave".into()));
            f.push(("master_link_status", if up { "up" } else { "down" }.into()));
            f.push(("slave_repl_offset", self.offset.to_string()));
            // `slave_read_only:%d`, server.repl_slave_ro.
            f.push((
                "slave_read_only",
                u8::from(self.cfg.replica_read_only).to_string(),
            ));
        } else {
            f.push(("role", "master".into()));
        }
        f.push(("connected_slaves", self.connected_replicas().to_string()));
        if self.cfg.min_replicas_to_write > 0 && self.cfg.min_replicas_max_lag_s > 0 {
            f.push(("min_slaves_good_slaves", self.good_replicas.to_string()));
        }
        f.push(("master_repl_offset", self.offset.to_string()));
        f.push((
            "repl_backlog_active",
            u8::from(self.backlog.is_some()).to_string(),
        ));
        f.push((
            "repl_backlog_size",
            self.cfg.repl_backlog_size_bytes.to_string(),
        ));
        let mut text = String::from("# Replication\r\n");
        for (k, v) in f {
            text.push_str(&format!("{k}:{v}\r\n"));
        }
        text
    }

    /// `connected_slaves`: every replica in the primary's list, those still in their full
    /// sync included (server.c `genRedisInfoString`: `listLength(server.slaves)`; syncCommand
    /// adds a replica to `server.slaves` at its PSYNC). `min_slaves_good_slaves` counts only
    /// the online ones (`refresh_good_replicas`).
    pub(super) fn connected_replicas(&self) -> u64 {
        self.replicas.len() as u64
    }

    /// Feed the replication stream: offset and backlog advance only once a backlog exists
    /// (created with the first replica), as in `feedReplicationBuffer`. A replica feeds
    /// nothing of its own: the writes a writable replica (`replica-read-only no`) takes stay
    /// local — not in its offset, its backlog or its replicas' stream — since Redis 4.0
    /// (`replicationFeedSlaves` returns when `masterhost` is set; it proxies its primary's
    /// stream instead, `sub_replicas.rs`).
    pub(super) fn propagate(&mut self, cmd: Cmd) {
        if !self.is_primary() {
            return;
        }
        let Some(backlog) = self.backlog.as_mut() else {
            return;
        };
        let bytes = cmd.resp_bytes();
        self.offset += bytes;
        let entry = ReplEntry {
            end_offset: self.offset,
            bytes,
            cmd: Rc::new(cmd),
        };
        backlog.push(entry.clone());
        self.feed_replicas(&entry);
    }

    /// Propagate a write made in logical database `db`: replication.c `replicationFeedSlaves`
    /// first emits `SELECT db` when the stream's database (`slaveseldb`) is another. Redis
    /// also emits `SELECT 0` after each full sync or promotion (`slaveseldb` −1); the model
    /// leaves that one out while this history never used another database
    /// (`Dataset::multi_db`): every replica is then at 0 anyway, and the offsets of
    /// single-database runs stay as they were (docs/redis-conformance.md).
    pub(super) fn propagate_in(&mut self, db: u32, cmd: Cmd) {
        if !self.is_primary() || self.backlog.is_none() {
            return;
        }
        if self.repl_db != Some(db) && (db != 0 || self.data.multi_db) {
            self.propagate(Cmd::Select { db: db as i64 });
        }
        self.repl_db = Some(db);
        self.propagate(cmd);
    }

    pub(super) fn refresh_good_replicas(&mut self) {
        let (now, lag) = (self.now_s, self.cfg.min_replicas_max_lag_s);
        // refreshGoodSlavesCount: lag <= max-lag (strict comparison kept).
        self.good_replicas = self
            .replicas
            .values()
            .filter(|r| r.online && now.saturating_sub(r.ack_s) <= lag)
            .count() as u32;
    }

    pub(super) fn connect_primary(&mut self, ctx: &mut RCtx, p: NodeId) {
        let conn = ctx.connect(p);
        let down = self.link.as_ref().map_or(self.now_ms, |l| l.down_since_ms);
        self.link = Some(MasterLink {
            conn,
            online: false,
            down_since_ms: down,
            last_io_ms: self.now_ms,
            replay_next: false,
            reconnect_pending: false,
        });
        // PSYNC <cached replid> <offset>: a node that started as a replica has nothing cached
        // ("PSYNC ? -1", replication.c slaveTryPartialResynchronization); a former primary
        // caches itself (replicationCacheMasterUsingMyself), a synced replica its primary.
        ctx.send_conn(
            conn,
            RedisMsg::Psync {
                replid: if self.nothing_cached { 0 } else { self.replid },
                offset: self.offset,
            },
        );
    }

    pub(super) fn master_link_lost(&mut self, ctx: &mut RCtx) {
        let mut was_online = false;
        if let Some(l) = self.link.as_mut() {
            if l.reconnect_pending {
                // Redis has one handshake at a time (REPL_STATE_CONNECT → connectWithMaster).
                return;
            }
            was_online = l.online;
            if l.online {
                l.down_since_ms = self.now_ms;
            }
            l.online = false;
        }
        // The link to a primary it had synced with (`server.master`) was freed:
        // replicationHandleMasterDisconnection connects again at once ("waiting 1 second may
        // risk backlog being recycled"). A handshake or transfer that failed
        // (cancelReplicationHandshake) waits for replicationCron, about once per second.
        if was_online && let Some(p) = self.primary {
            self.connect_primary(ctx, p);
            return;
        }
        if let Some(l) = self.link.as_mut() {
            l.reconnect_pending = true;
        }
        ctx.set_timer(SimDuration::from_millis(1_000), T_RECONNECT);
    }

    pub(super) fn on_repl_timer(&mut self, ctx: &mut RCtx, tag: u64) {
        if tag == T_RECONNECT
            && let Some(p) = self.primary
            && self.link.as_ref().is_none_or(|l| !l.online)
        {
            if let Some(l) = self.link.as_ref() {
                ctx.close(l.conn);
            }
            self.connect_primary(ctx, p);
        }
    }

    /// REPLICAOF / SLAVEOF. Sentinel's transaction also rewrites the config and kills normal
    /// and pub/sub clients (all but the caller, `skipme yes`).
    pub(super) fn set_primary(
        &mut self,
        ctx: &mut RCtx,
        primary: Option<NodeId>,
        sentinel: bool,
        caller: ConnId,
    ) {
        if sentinel {
            self.config_primary = primary;
            let victims: Vec<ConnId> = self
                .clients
                .iter()
                .filter(|(c, cl)| **c != caller && !cl.is_replica)
                .map(|(c, _)| *c)
                .collect();
            for conn in victims {
                self.free_client(ctx, conn, Some(KillReason::Sentinel));
            }
        }
        match primary {
            None if self.primary.is_some() => {
                // shiftReplicationId: keep the old history as replid2 so replicas can PSYNC.
                self.replid2 = self.replid;
                self.second_off = Some(self.offset);
                self.replid = ctx.rng().next_u64() | 1;
                // A primary caches itself when it becomes a replica again
                // (replicationSetMaster → replicationCacheMasterUsingMyself).
                self.nothing_cached = false;
                if let Some(l) = self.link.take() {
                    ctx.close(l.conn);
                }
                self.primary = None;
                // replicationUnsetMaster: `slaveseldb = -1`, the next write selects; the
                // replicas of this replica are disconnected to learn the new id (they PSYNC
                // back with the old one, now replid2); the backlog's ttl starts now.
                self.repl_db = None;
                self.disconnect_replicas(ctx);
                self.no_replicas_since_s = self.now_s;
                self.promoted_at_ms = self.now_ms.max(1);
                if self.backlog.is_none() {
                    self.backlog =
                        Some(Backlog::new(self.cfg.repl_backlog_size_bytes, self.offset));
                }
                ctx.sometimes("redis:promoted");
            }
            None => {}
            Some(p) => {
                if self.primary == Some(p) && self.link.is_some() {
                    return;
                }
                if self.is_primary() {
                    ctx.record(RedisEvent::Demoted { server: ctx.me() });
                    ctx.sometimes("redis:demoted");
                    // The demoted primary unblocks WAITs (disconnectAllBlockedClients) and keeps
                    // its replicas: replicationSetMaster does not disconnect them, "since they
                    // may hopefully be able to partially resync with us"; they stay attached
                    // as to a replica (`sub_replicas.rs`) until its resync with the new primary
                    // changes its history (+CONTINUE with a new id, or a full resync), which
                    // disconnects them (`on_replication_msg`).
                    let waits: Vec<u64> = self.waits.keys().copied().collect();
                    for w in waits {
                        let b = self.waits.remove(&w).expect("listed");
                        ctx.cancel_timer(b.timer);
                        self.reply(b.conn, b.id, Reply::err(UNBLOCKED));
                        self.to_close.push((b.conn, KillReason::Unblocked));
                    }
                    self.unblock_xblocks(ctx, UNBLOCKED);
                }
                if let Some(l) = self.link.take() {
                    ctx.close(l.conn);
                }
                self.primary = Some(p);
                self.connect_primary(ctx, p);
            }
        }
    }

    pub(super) fn on_replication_msg(
        &mut self,
        ctx: &mut RCtx,
        conn: ConnId,
        from: NodeId,
        msg: RedisMsg,
    ) {
        match msg {
            RedisMsg::Psync { replid, offset } => self.psync(ctx, conn, from, replid, offset),
            RedisMsg::ReplAck { offset } => {
                if let Some(r) = self.replicas.get_mut(&conn) {
                    r.ack_off = offset;
                    r.ack_s = self.now_s;
                    if offset > self.offset && self.is_primary() {
                        self.stats.offset_ahead_of_primary += 1;
                    }
                }
                self.check_waits(ctx);
            }
            RedisMsg::PresyncNewline => {
                if let Some(l) = self.link.as_mut().filter(|l| l.conn == conn) {
                    l.last_io_ms = self.now_ms;
                }
            }
            RedisMsg::GetAck if self.link.as_ref().is_some_and(|l| l.conn == conn) => {
                ctx.send_conn(
                    conn,
                    RedisMsg::ReplAck {
                        offset: self.offset,
                    },
                );
            }
            RedisMsg::FullResync {
                replid,
                offset,
                data,
                ..
            } => {
                let Some(l) = self.link.as_mut().filter(|l| l.conn == conn) else {
                    return;
                };
                l.online = true;
                l.last_io_ms = self.now_ms;
                // replicationAttachToNewMaster: a new history for this node's own replicas
                // too; they are disconnected and resync with it (fully: the backlog below is
                // a new one and the id is the primary's).
                self.disconnect_replicas(ctx);
                // The replica flushes its dataset and loads the RDB; subscribers stay connected
                // and never see the PUBLISHes the RDB skipped.
                self.data = (*data).clone();
                if matches!(
                    self.cfg.persistence,
                    super::config::Persistence::Rdb { .. }
                        | super::config::Persistence::AofEverysec
                        | super::config::Persistence::AofAlways
                ) {
                    self.durable = self.data.clone();
                    self.aof_os.clear();
                }
                self.replid = replid;
                self.offset = offset;
                self.stream_db = 0;
                self.nothing_cached = false;
                self.replid2 = 0;
                self.second_off = None;
                self.backlog = Some(Backlog::new(self.cfg.repl_backlog_size_bytes, offset));
                ctx.record(RedisEvent::Sync {
                    server: ctx.me(),
                    partial: false,
                });
            }
            RedisMsg::Continue { replid } => {
                let Some(l) = self.link.as_mut().filter(|l| l.conn == conn) else {
                    return;
                };
                l.online = true;
                l.last_io_ms = self.now_ms;
                l.replay_next = true;
                if replid != self.replid {
                    // PSYNC2: the primary has a new id; our old one becomes replid2, and our
                    // own replicas are disconnected to learn it (slaveTryPartialResynchronization).
                    self.replid2 = self.replid;
                    self.second_off = Some(self.offset);
                    self.replid = replid;
                    self.disconnect_replicas(ctx);
                }
                if self.backlog.is_none() {
                    self.backlog =
                        Some(Backlog::new(self.cfg.repl_backlog_size_bytes, self.offset));
                }
                ctx.record(RedisEvent::Sync {
                    server: ctx.me(),
                    partial: true,
                });
            }
            RedisMsg::Stream { entries, .. } => {
                let Some(l) = self.link.as_mut().filter(|l| l.conn == conn) else {
                    return;
                };
                l.last_io_ms = self.now_ms;
                let late = std::mem::take(&mut l.replay_next);
                let cost: u64 = entries.iter().map(|e| e.bytes).sum::<u64>() / 1024
                    * self.cfg.cost_ns_per_kib
                    + self.cfg.cmd_cost_ns * entries.len() as u64;
                ctx.busy(SimDuration::from_nanos(cost));
                for e in entries {
                    self.apply_entry(ctx, e, late);
                }
            }
            _ => {}
        }
    }

    /// A replica applies stream bytes: data commands change the dataset, PUBLISH fans out to
    /// this node's subscribers, and everything goes into its own backlog.
    fn apply_entry(&mut self, ctx: &mut RCtx, e: ReplEntry, late: bool) {
        if e.end_offset - e.bytes != self.offset {
            // repl-prefix invariant: a replica's stream continues exactly where it stopped.
            self.stats.repl_prefix_violations += 1;
        }
        self.offset = e.end_offset;
        match &*e.cmd {
            Cmd::Publish {
                channel,
                payload_bytes,
                count,
                publisher,
                first_seq,
            } => {
                if late {
                    self.stats.late_publishes += *count as u64;
                }
                // A replica's subscribers get it; nobody reads the count.
                self.fanout(channel, *payload_bytes, *count, *publisher, *first_seq);
            }
            Cmd::ReplPing => {}
            // The master client's SELECT: later entries apply to that database.
            Cmd::Select { db } => self.stream_db = *db as u32,
            cmd => {
                let db = self.stream_db;
                // The replica's own stream node settings lay out its nodes (its
                // streamAppendItem); the trims come exact (`XTrimTo`), never limited.
                let _ = self.data.execute_in(db, cmd, self.now_ms, self.stream_node);
                self.persist(db, cmd);
                // Clients blocked on the key are served as the command runs on the replica
                // (processCommand → handleClientsBlockedOnKeys, for the master client too).
                if let Cmd::XAdd { key, .. } = cmd
                    && !self.xblocks.is_empty()
                {
                    self.serve_xblocks(ctx, db, key);
                }
            }
        }
        // Proxied unchanged to this replica's own replicas (chained replication).
        self.feed_replicas(&e);
        if let Some(b) = self.backlog.as_mut() {
            b.push(e);
        }
    }

    /// masterTryPartialResynchronization.
    fn psync(&mut self, ctx: &mut RCtx, conn: ConnId, from: NodeId, replid: u64, offset: u64) {
        if !self.can_serve_sync() {
            // -NOMASTERLINK: the replica asking retries (the model closes; it reconnects).
            ctx.close(conn);
            return;
        }
        let Some(c) = self.clients.get_mut(&conn) else {
            return;
        };
        c.is_replica = true;
        let ok_id = replid == self.replid
            || (replid != 0
                && replid == self.replid2
                && self.second_off.is_some_and(|s| offset <= s));
        let ok_off = self
            .backlog
            .as_ref()
            .is_some_and(|b| b.start <= offset && offset <= self.offset);
        if ok_id && ok_off {
            self.stats.sync_partial_ok += 1;
            ctx.sometimes("redis:partial_resync");
            ctx.send_conn(
                conn,
                RedisMsg::Continue {
                    replid: self.replid,
                },
            );
            let backlog = self.backlog.as_ref().expect("checked");
            let entries: Vec<ReplEntry> = backlog
                .entries
                .iter()
                .filter(|e| e.end_offset > offset)
                .cloned()
                .collect();
            let bytes = entries.iter().map(|e| e.bytes).sum();
            ctx.send_conn(conn, RedisMsg::Stream { entries, bytes });
            self.replicas.insert(
                conn,
                ReplicaLink {
                    node: from,
                    online: true,
                    ack_off: offset,
                    ack_s: self.now_s,
                },
            );
            self.refresh_good_replicas();
            return;
        }
        // "Partial resynchronization not accepted" / "… for lack of backlog": syncCommand
        // counts every refused PSYNC but `PSYNC ? -1`.
        if replid != 0 {
            self.stats.sync_partial_err += 1;
        }
        self.stats.sync_full += 1;
        ctx.sometimes("redis:full_resync");
        if self.backlog.is_none() {
            self.backlog = Some(Backlog::new(self.cfg.repl_backlog_size_bytes, self.offset));
        }
        self.replicas.insert(
            conn,
            ReplicaLink {
                node: from,
                online: false,
                ack_off: 0,
                ack_s: self.now_s,
            },
        );
        if !self.fullsync_pending {
            // repl-diskless-sync-delay: wait for more replicas before streaming the RDB.
            self.fullsync_pending = true;
            ctx.set_timer(
                SimDuration::from_secs(self.cfg.repl_diskless_sync_delay_s),
                T_FULLSYNC,
            );
        }
    }

    pub(super) fn start_full_syncs(&mut self, ctx: &mut RCtx) {
        self.fullsync_pending = false;
        // A primary or a replica (chained) sends its own dataset with its replication id and
        // offset — a replica's are its primary's (rdbPopulateSaveInfo). A primary demoted
        // meanwhile has no replicas left to send to. replicationSetupSlaveForFullResync:
        // `slaveseldb = -1`.
        self.repl_db = None;
        let snapshot = Rc::new(self.data.clone());
        let bytes = snapshot.used_bytes;
        ctx.busy(SimDuration::from_nanos(
            bytes / 1024 * self.cfg.cost_ns_per_kib,
        ));
        for (conn, r) in self.replicas.iter_mut().filter(|(_, r)| !r.online) {
            ctx.send_conn(
                *conn,
                RedisMsg::FullResync {
                    replid: self.replid,
                    offset: self.offset,
                    data: snapshot.clone(),
                    bytes,
                },
            );
            r.online = true;
            r.ack_off = 0;
            r.ack_s = self.now_s;
        }
        self.refresh_good_replicas();
    }

    /// WAIT numreplicas timeout (3.0+): never rolls back; counts replicas with ack ≥ woff.
    pub(super) fn wait(
        &mut self,
        ctx: &mut RCtx,
        conn: ConnId,
        id: u64,
        num: u32,
        timeout_ms: u64,
    ) -> Option<Reply> {
        if !self.is_primary() {
            return Some(Reply::err(
                "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
            ));
        }
        let woff = self.clients.get(&conn).map_or(0, |c| c.woff);
        let acked = self.acked(woff);
        if acked >= num {
            return Some(Reply::Int(acked as i64));
        }
        for (rc, r) in &self.replicas {
            if r.online {
                ctx.send_conn(*rc, RedisMsg::GetAck);
            }
        }
        let seq = self.waits.keys().next_back().map_or(1, |k| k + 1);
        let timer = if timeout_ms > 0 {
            ctx.set_timer(SimDuration::from_millis(timeout_ms), T_WAIT | seq)
        } else {
            msgsim_sim::TimerId(u64::MAX)
        };
        if let Some(c) = self.clients.get_mut(&conn) {
            c.blocked = true;
        }
        self.waits.insert(
            seq,
            WaitBlock {
                conn,
                id,
                woff,
                num,
                timer,
            },
        );
        None
    }

    fn acked(&self, woff: u64) -> u32 {
        self.replicas
            .values()
            .filter(|r| r.online && r.ack_off >= woff)
            .count() as u32
    }

    pub(super) fn wait_timeout(&mut self, seq: u64) {
        if let Some(b) = self.waits.remove(&seq) {
            let n = self.acked(b.woff);
            if let Some(c) = self.clients.get_mut(&b.conn) {
                c.blocked = false;
            }
            self.reply(b.conn, b.id, Reply::Int(n as i64));
        }
    }

    fn check_waits(&mut self, ctx: &mut RCtx) {
        let done: Vec<u64> = self
            .waits
            .iter()
            .filter(|(_, b)| self.acked(b.woff) >= b.num)
            .map(|(k, _)| *k)
            .collect();
        for seq in done {
            let b = self.waits.remove(&seq).expect("listed");
            ctx.cancel_timer(b.timer);
            let n = self.acked(b.woff);
            if let Some(c) = self.clients.get_mut(&b.conn) {
                c.blocked = false;
            }
            self.reply(b.conn, b.id, Reply::Int(n as i64));
        }
    }

    /// replicationCron (1 Hz).
    pub(super) fn replication_cron(&mut self, ctx: &mut RCtx) {
        let timeout_ms = self.cfg.repl_timeout_s * 1_000;
        if let Some(l) = self.link.as_ref() {
            if self.now_ms.saturating_sub(l.last_io_ms) > timeout_ms {
                // "MASTER timeout: no data nor PING received…", or "Timeout connecting to the
                // MASTER" while the handshake never completed.
                ctx.close(l.conn);
                self.master_link_lost(ctx);
            } else if l.online {
                ctx.send_conn(
                    l.conn,
                    RedisMsg::ReplAck {
                        offset: self.offset,
                    },
                );
            }
        }
        if self.is_primary() {
            let period = self.cfg.repl_ping_replica_period_s.max(1);
            if !self.replicas.is_empty()
                && (self.cron_ticks / self.cfg.hz.max(1)).is_multiple_of(period)
            {
                self.propagate(Cmd::ReplPing);
            }
        }
        // "Send a newline to all the slaves in pre-synchronization stage": a replica waiting
        // for the RDB (repl-diskless-sync-delay) gets `\n` every second, so its repl-timeout
        // does not end a long wait (replicationCron).
        for (conn, _) in self.replicas.iter().filter(|(_, r)| !r.online) {
            ctx.send_conn(*conn, RedisMsg::PresyncNewline);
        }
        // Timed-out replicas are disconnected by any server that has some, a replica with
        // replicas of its own too ("Disconnecting timedout replica").
        if !self.replicas.is_empty() {
            let stale: Vec<ConnId> = self
                .replicas
                .iter()
                .filter(|(_, r)| {
                    r.online && self.now_s.saturating_sub(r.ack_s) > self.cfg.repl_timeout_s
                })
                .map(|(c, _)| *c)
                .collect();
            for conn in stale {
                // "Disconnecting timedout replica"
                self.free_client(ctx, conn, None);
                ctx.close(conn);
            }
        }
        if self.is_primary() || !self.replicas.is_empty() {
            self.refresh_good_replicas();
        }
        self.backlog_ttl_cron(ctx);
    }
}
