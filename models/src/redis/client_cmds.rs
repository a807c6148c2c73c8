//! A server's commands about client connections themselves: `HELLO` (the protocol a
//! connection speaks, RESP2 or RESP3) and `CLIENT KILL` (closing other clients' connections).

use super::cmd::KillType;
use super::msg::{KillReason, RCtx};
use super::reply::Reply;
use super::server::Server;
use msgsim_sim::{ConnId, NodeId};

/// The version HELLO reports: the redis-server the model is checked against
/// (docs/redis-conformance.md).
pub const REDIS_VERSION: &str = "7.0.15";

impl Server {
    /// networking.c `helloCommand` (7.0): a version other than 2 or 3 is refused with
    /// `-NOPROTO unsupported protocol version` and changes nothing; otherwise the connection
    /// switches (`c->resp = ver`) before the reply is written, so `HELLO 3` is answered with a
    /// RESP3 map. The reply lists server, version, proto, id, mode, role and modules
    /// (`addReplyHelloInfo`; role `replica` when `server.masterhost` is set).
    pub(super) fn hello(&mut self, conn: ConnId, protover: Option<i64>) -> Reply {
        if let Some(v) = protover
            && !(2..=3).contains(&v)
        {
            return Reply::err("NOPROTO unsupported protocol version");
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

    /// networking.c `clientKillCommand`, the filter form (`CLIENT KILL [ADDR a] [TYPE t]`,
    /// SKIPME yes): every connection matching all the filters given, except the caller's
    /// own and replicas' (the model's TYPE has only `normal` and `pubsub`, `getClientType`:
    /// a client with a subscription is `pubsub`), is freed at once (`freeClient` — another
    /// client is not the current one); the reply is their number. `ADDR` names a client node
    /// (its connection's address; `Some(None)`: a name that is no node, which matches
    /// nothing). A killed client's subscriptions, blocked read or WAIT go
    /// with it (`freeClient` → `pubsubUnsubscribeAllChannels`, `unblockClient`).
    pub(super) fn client_kill(
        &mut self,
        ctx: &mut RCtx,
        caller: ConnId,
        addr: Option<Option<NodeId>>,
        kind: Option<KillType>,
    ) -> Reply {
        if addr.is_none() && kind.is_none() {
            return Reply::err("ERR wrong number of arguments for 'client|kill' command");
        }
        let victims: Vec<ConnId> = self
            .clients
            .iter()
            .filter(|(c, cl)| {
                **c != caller
                    && !cl.is_replica
                    && addr.is_none_or(|n| n == Some(cl.peer))
                    && kind.is_none_or(|k| (k == KillType::Pubsub) == (cl.subscriptions() > 0))
            })
            .map(|(c, _)| *c)
            .collect();
        for conn in &victims {
            self.free_client(ctx, *conn, Some(KillReason::ClientKill));
        }
        Reply::Int(victims.len() as i64)
    }
}
