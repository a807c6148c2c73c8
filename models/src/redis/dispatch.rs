//! Command dispatch of a server (server.c `processCommand` → `call`): the refusals made
//! before a command runs (OOM, NOREPLICAS, READONLY, the subscribed context), the commands
//! that act on the server itself (PING, INFO, SELECT, PUBLISH, WAIT, REPLICAOF, blocking
//! reads), and the data commands run on the client's logical database.

use super::client_cmds::KillFilters;
use super::msg::{Cmd, KillReason, RCtx};
use super::reply::Reply;
use super::server::Server;
use msgsim_sim::{ConnId, SimDuration};

impl Server {
    /// Execute a client command; returns `None` when the reply comes later (blocked WAIT).
    pub(super) fn execute(
        &mut self,
        ctx: &mut RCtx,
        conn: ConnId,
        id: u64,
        cmd: Cmd,
    ) -> Option<Reply> {
        let (subscribed, resp3) = {
            let c = self.clients.get_mut(&conn)?;
            c.last_interaction_s = self.now_s;
            (c.subscriptions() > 0, c.resp3)
        };
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
        // processCommand's arity check comes first: `XTRIM key` alone is below XTRIM's -4.
        if let Cmd::XTrim {
            maxlen: None,
            minid: None,
            limit: None,
            ..
        } = cmd
        {
            return Some(Reply::err(
                "ERR wrong number of arguments for 'xtrim' command",
            ));
        }
        // server.c processCommand (7.0) checks, in this order: OOM for deny-oom commands
        // (performEvictions), NOREPLICAS and READONLY for writes, then the subscribed
        // context — for RESP2 only (`c->flags & CLIENT_PUBSUB && c->resp == 2`): a RESP3
        // connection runs any command while subscribed, its messages being push frames.
        if let Some(refused) = self.refuse(ctx, &cmd, conn) {
            return Some(refused);
        }
        if subscribed
            && !resp3
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
        // Then (processCommand): `masterhost && repl_state != REPL_STATE_CONNECTED &&
        // repl_serve_stale_data == 0 && is_denystale_command` → shared.masterdownerr.
        if self.primary.is_some()
            && !self.cfg.replica_serve_stale_data
            && !self.link.as_ref().is_some_and(|l| l.online)
            && !cmd.runs_on_stale_data()
        {
            return Some(Reply::err(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            ));
        }
        ctx.busy(SimDuration::from_nanos(
            self.cfg.cmd_cost_ns + cmd.max_bulk() / 1024 * self.cfg.cost_ns_per_kib,
        ));
        match cmd {
            // networking.c pingCommand: `[pong, ""]` for a subscribed RESP2 client only.
            Cmd::Ping if subscribed && !resp3 => Some(Reply::Array(vec![
                Reply::Bulk("pong".into()),
                Reply::Bulk(String::new()),
            ])),
            Cmd::Ping => Some(Reply::Status("PONG".into())),
            // db.c selectCommand: an index outside 0 .. databases − 1 is refused and the
            // connection keeps its database.
            Cmd::Select { db } => {
                if db < 0 || db >= self.cfg.databases as i64 {
                    return Some(Reply::err("ERR DB index is out of range"));
                }
                if let Some(c) = self.clients.get_mut(&conn) {
                    c.db = db as u32;
                }
                Some(Reply::Ok)
            }
            Cmd::DbSize => Some(Reply::Int(self.data.len_in(self.db_of(conn)) as i64)),
            Cmd::Info => Some(Reply::Info(Box::new(self.info()))),
            // infoCommand: `addReplyVerbatim(…, "txt")` — a bulk in RESP2.
            Cmd::InfoSection { .. } => Some(Reply::Verbatim(self.info_replication_text())),
            Cmd::Hello {
                protover,
                auth,
                setname,
            } => Some(self.hello(conn, protover, auth, setname)),
            Cmd::ClientSetName { name } => Some(self.set_name(conn, name)),
            Cmd::ClientGetName => Some(
                self.clients
                    .get(&conn)
                    .and_then(|c| c.name.clone())
                    .map_or(Reply::Nil, Reply::Bulk),
            ),
            Cmd::ClientKill {
                client,
                node,
                client_type,
                id,
                id_node,
                laddr,
                laddr_node,
                user,
                max_age_s,
            } => {
                let filters = KillFilters {
                    addr: client.map(|_| node),
                    kind: client_type,
                    id: id.map(|i| i.parse::<i64>().map_err(|_| id_node)),
                    laddr: laddr.map(|_| laddr_node),
                    user,
                    max_age: max_age_s.is_some(),
                };
                Some(self.client_kill(ctx, conn, filters))
            }
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
                    let db = self.db_of(conn);
                    let cmd = Cmd::Publish {
                        channel,
                        payload_bytes,
                        count,
                        publisher,
                        first_seq,
                    };
                    // call() → alsoPropagate(c->db->id, …): a PUBLISH selects too.
                    self.propagate_in(db, cmd);
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
            Cmd::ConfigSet { parameter, value } => Some(self.config_set(&parameter, &value)),
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
                let cmd = self.data.resolve_last(self.db_of(conn), cmd);
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
                    self.serve_xblocks(ctx, self.db_of(conn), &key);
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
    pub(super) fn refuse(&mut self, ctx: &mut RCtx, cmd: &Cmd, conn: ConnId) -> Option<Reply> {
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
                    for (db, key) in evicted {
                        self.propagate_in(db, Cmd::Del { key });
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
            // server.c processCommand: `masterhost && repl_slave_ro && !obey_client`; the
            // master's own stream is applied in `replication.rs`, not dispatched here.
            if !self.is_primary() && self.cfg.replica_read_only {
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
    pub(super) fn memory_overhead(&self, cmd: &Cmd) -> u64 {
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

    /// The logical database of a client's connection (0 for one already gone).
    pub(super) fn db_of(&self, conn: ConnId) -> u32 {
        self.clients.get(&conn).map_or(0, |c| c.db)
    }

    /// Run a data command on the client's database; its effects go to AOF and replicas.
    pub(super) fn execute_data(&mut self, conn: ConnId, cmd: Cmd) -> Reply {
        // A replica without its link running a client's key or stream command serves stale
        // data: allowed by `replica-serve-stale-data yes`, refused before this point
        // (`-MASTERDOWN`) with `no`. Counted where the dataset is touched, not where the rule
        // refuses, so that `rN:stale_commands == 0` checks the rule from outside.
        if self.primary.is_some() && !self.link.as_ref().is_some_and(|l| l.online) {
            self.stats.stale_commands += 1;
        }
        let db = self.db_of(conn);
        let out = self
            .data
            .execute_in(db, &cmd, self.now_ms, self.stream_node);
        for p in out.propagate {
            self.persist(db, &p);
            self.propagate_in(db, p);
        }
        if let Some(c) = self.clients.get_mut(&conn) {
            c.woff = self.offset;
        }
        out.reply
    }
}
