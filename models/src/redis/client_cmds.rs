//! A server's commands about client connections themselves: `HELLO` (the protocol a
//! connection speaks, RESP2 or RESP3, with its AUTH / SETNAME options), `CLIENT SETNAME` /
//! `GETNAME` and `CLIENT KILL` (closing other clients' connections).

use super::cmd::KillType;
use super::msg::{KillReason, RCtx};
use super::reply::Reply;
use super::server::Server;
use msgsim_sim::{ConnId, NodeId};

/// The version HELLO reports: the redis-server the model is checked against
/// (docs/redis-conformance.md).
pub const REDIS_VERSION: &str = "7.0.15";

impl Server {
    /// networking.c `helloCommand` (7.0): the version is parsed first (a version other than
    /// 2 or 3 is refused with `-NOPROTO unsupported protocol version`), then the options in
    /// order: `AUTH` (`ACLAuthenticateUser`: the `default` user is `nopass`, any password
    /// passes; another user is `-WRONGPASS`), `SETNAME` (`clientSetNameOrReply`). An error
    /// changes nothing after it; otherwise the connection switches (`c->resp = ver`) before
    /// the reply is written, so `HELLO 3` is answered with a RESP3 map. The reply lists server,
    /// version, proto, id, mode, role and modules (`addReplyHelloInfo`; role `replica` when
    /// `server.masterhost` is set).
    pub(super) fn hello(
        &mut self,
        conn: ConnId,
        protover: Option<i64>,
        auth: Option<Vec<String>>,
        setname: Option<String>,
    ) -> Reply {
        if protover.is_none() && (auth.is_some() || setname.is_some()) {
            // The first argument is always the version.
            return Reply::err("ERR Protocol version is not an integer or out of range");
        }
        if let Some(v) = protover
            && !(2..=3).contains(&v)
        {
            return Reply::err("NOPROTO unsupported protocol version");
        }
        // AUTH takes the next two arguments (`moreargs >= 2`; with fewer it is an unknown
        // option) and authenticates at once; a word after them is the next option.
        if let Some(words) = &auth {
            if words.len() < 2 {
                return Reply::err("ERR Syntax error in HELLO option 'AUTH'");
            }
            if words[0] != "default" {
                return Reply::err("WRONGPASS invalid username-password pair or user is disabled.");
            }
            if let Some(opt) = words.get(2) {
                return Reply::err(&format!("ERR Syntax error in HELLO option '{opt}'"));
            }
        }
        if let Some(name) = setname {
            let r = self.set_name(conn, name);
            if r.is_err() {
                return r;
            }
        }
        let role = if self.is_primary() {
            "master"
        } else {
            "replica"
        };
        let Some(c) = self.clients.get_mut(&conn) else {
            return Reply::err("ERR no client");
        };
        if let Some(v) = protover {
            c.resp3 = v == 3;
        }
        let bulk = |s: &str| Reply::Bulk(s.to_string());
        Reply::Map(vec![
            (bulk("server"), bulk("redis")),
            (bulk("version"), bulk(REDIS_VERSION)),
            (bulk("proto"), Reply::Int(if c.resp3 { 3 } else { 2 })),
            (bulk("id"), Reply::Int(c.id as i64)),
            (bulk("mode"), bulk("standalone")),
            (bulk("role"), bulk(role)),
            (bulk("modules"), Reply::Array(Vec::new())),
        ])
    }

    /// networking.c `clientSetName` / `clientSetNameOrReply`: an empty name removes it; a
    /// name with a byte outside `!`..=`~` (spaces, newlines) is refused.
    pub(super) fn set_name(&mut self, conn: ConnId, name: String) -> Reply {
        if name.bytes().any(|b| !(b'!'..=b'~').contains(&b)) {
            return Reply::err(
                "ERR Client names cannot contain spaces, newlines or special characters.",
            );
        }
        if let Some(c) = self.clients.get_mut(&conn) {
            c.name = (!name.is_empty()).then_some(name);
        }
        Reply::Ok
    }

    /// networking.c `clientKillCommand`, the filter form (SKIPME yes): the options are checked
    /// in argument order (`ID` not in 1..=LONG_MAX: `client-id should be greater than 0`; an
    /// unknown `USER`: `No such user`; `MAXAGE`, unknown to 7.0: syntax error), then every
    /// connection matching all the filters given, except the caller's own, is freed at once
    /// (`freeClient` — another client is not the current one); the reply is their number. A
    /// killed client's subscriptions, blocked read or WAIT go with it (`freeClient` →
    /// `pubsubUnsubscribeAllChannels`, `unblockClient`). Replicas' connections are clients
    /// too (type `replica`, user `default`, local address this server's): freeing one drops
    /// the replica, which reconnects and resynchronises. On a replica the link to its primary
    /// is the `master` client (replication.c `replicationCreateMasterClient`: no user, its
    /// local address an outgoing socket's), so only TYPE master or ADDR of the primary match
    /// it; freeing it is a lost link (`freeClient` → `replicationCacheMaster`).
    pub(super) fn client_kill(&mut self, ctx: &mut RCtx, caller: ConnId, f: KillFilters) -> Reply {
        if f.addr.is_none()
            && f.kind.is_none()
            && f.id.is_none()
            && f.laddr.is_none()
            && f.user.is_none()
            && !f.max_age
        {
            return Reply::err("ERR wrong number of arguments for 'client|kill' command");
        }
        // ID: a literal, or the id of the named client's connection here (none: no match).
        let id = match f.id {
            None => None,
            // Not a number (nor a client's name): getRangeLongFromObjectOrReply's error.
            Some(Err(None)) => return Reply::err("ERR client-id should be greater than 0"),
            Some(Ok(n)) if n < 1 => return Reply::err("ERR client-id should be greater than 0"),
            Some(Ok(n)) => Some(n as u64),
            Some(Err(Some(node))) => Some(
                self.clients
                    .iter()
                    .find(|(_, cl)| cl.peer == node && !cl.is_replica)
                    .map_or(u64::MAX, |(_, cl)| cl.id),
            ),
        };
        if let Some(u) = f.user.as_deref()
            && u != "default"
        {
            return Reply::err(&format!("ERR No such user '{u}'"));
        }
        if f.max_age {
            return Reply::err("ERR syntax error");
        }
        // LADDR: every connection's local address is this server's.
        let here = ctx.me();
        let victims: Vec<ConnId> = self
            .clients
            .iter()
            .filter(|(c, cl)| {
                let kind = match (cl.is_replica, cl.subscriptions() > 0) {
                    (true, _) => KillType::Replica,
                    (false, true) => KillType::Pubsub,
                    (false, false) => KillType::Normal,
                };
                **c != caller
                    && f.addr.is_none_or(|n| n == Some(cl.peer))
                    && f.laddr.is_none_or(|n| n == Some(here))
                    && id.is_none_or(|i| i == cl.id)
                    && f.kind.is_none_or(|k| k.class() == kind)
            })
            .map(|(c, _)| *c)
            .collect();
        let mut killed = victims.len() as i64;
        for conn in &victims {
            self.free_client(ctx, *conn, Some(KillReason::ClientKill));
        }
        // The master client: matched by TYPE master and ADDR (the primary's address) only. It
        // exists once the sync is done (replicationCreateMasterClient after the RDB or
        // +CONTINUE), not while the replica connects or syncs (`server.master` NULL).
        let master = self.link.as_ref().filter(|l| l.online).map(|l| l.conn);
        if let (Some(conn), Some(primary)) = (master, self.primary)
            && f.kind.is_none_or(|k| k == KillType::Master)
            && f.addr.is_none_or(|n| n == Some(primary))
            && f.laddr.is_none()
            && f.user.is_none()
            && id.is_none()
        {
            killed += 1;
            ctx.close(conn);
            self.master_link_lost(ctx);
        }
        Reply::Int(killed)
    }
}

/// The filters of one `CLIENT KILL` (None: not given). `addr` / `laddr`: the node named
/// (`Some(None)`: a name that is no node, which matches nothing); `id`: a literal or the node
/// of the client named; `user`: any name (only `default` exists).
pub(super) struct KillFilters {
    pub addr: Option<Option<NodeId>>,
    pub kind: Option<KillType>,
    pub id: Option<Result<i64, Option<NodeId>>>,
    pub laddr: Option<Option<NodeId>>,
    pub user: Option<String>,
    pub max_age: bool,
}
