//! Auto-discovery (sentinel.c): the replicas of the monitored primary come from its
//! `INFO replication` (`slave0:ip=…,port=…,state=…,offset=…,lag=…` lines,
//! sentinelRefreshInstanceInfo), the other sentinels from their hello messages
//! (sentinelProcessHelloMessage). Both are kept for good (sentinelFlushConfig writes them to
//! sentinel.conf as `known-replica` / `known-sentinel`), and survive a sentinel restart.

use super::{Link, Sentinel};
use crate::redis::msg::RCtx;
use crate::redis::reply::InfoReply;
use msgsim_sim::NodeId;

/// The replicas an INFO reply of the primary names that are not known yet, in INFO order
/// (sentinelRefreshInstanceInfo: a `slaveN` line whose address sentinelRedisInstanceLookupSlave
/// does not find creates a new SRI_SLAVE instance). The INFO lists every replica in
/// `server.slaves`, also one still syncing (`state=wait_bgsave` / `send_bulk`): the state is
/// not read, so such a replica is discovered as an online one (`Server::info`).
pub(super) fn new_replicas(known: &[NodeId], info: &InfoReply) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = Vec::new();
    for &(r, _) in &info.replicas {
        if !known.contains(&r) && !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

impl Sentinel {
    /// sentinelRefreshInstanceInfo's `slaveN` lines. Only the INFO of the instance monitored
    /// as master counts (`ri->flags & SRI_MASTER`); it runs in TILT too (the TILT check comes
    /// after it). The new replica is handled from the next timer run: link, PING, INFO.
    pub(super) fn discover_replicas(&mut self, ctx: &mut RCtx, node: NodeId) {
        if node != self.primary {
            return;
        }
        let Some((info, _)) = self.links.get(&node).and_then(|l| l.info.as_ref()) else {
            return;
        };
        for r in new_replicas(&self.servers, info) {
            self.servers.push(r);
            self.links.insert(r, Link::fresh(self.now_ms, false));
            ctx.sometimes("redis:replica_discovered");
            self.event(ctx, "+slave", r);
        }
    }

    /// sentinelProcessHelloMessage: a hello from a sentinel not known yet adds it
    /// (`+sentinel`); it then counts for the quorum's voters and is asked
    /// is-master-down-by-addr. Our own hellos are ignored (sentinelReceiveHelloMessages).
    pub(super) fn discover_peer(&mut self, ctx: &mut RCtx, from: NodeId) {
        if self.peers.contains(&from) || !self.audience.contains(&from) {
            return;
        }
        self.peers.push(from);
        ctx.sometimes("redis:sentinel_discovered");
        self.event(ctx, "+sentinel", from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis::config::ServerConfig;
    use crate::redis::replication_state::ReplicaLink;
    use crate::redis::server::Server;
    use msgsim_sim::ConnId;
    use std::rc::Rc;

    /// A replica whose full sync has not finished (replication.c: SLAVE_STATE_WAIT_BGSAVE_* /
    /// SEND_BULK) is in the primary's INFO and so is discovered.
    #[test]
    fn a_replica_still_syncing_is_listed_and_discovered() {
        let mut s = Server::new(Rc::new(ServerConfig::default()), 100, None);
        let link = |node: u32, online: bool| ReplicaLink {
            node: NodeId(node),
            online,
            ack_off: 0,
            ack_s: 0,
        };
        s.replicas.insert(ConnId(7), link(2, false));
        s.replicas.insert(ConnId(8), link(1, true));
        let info = s.info();
        assert_eq!(info.replicas.len(), 2);
        assert_eq!(
            new_replicas(&[NodeId(0)], &info),
            vec![NodeId(2), NodeId(1)]
        );
    }

    fn info(replicas: &[u32]) -> InfoReply {
        InfoReply {
            primary: None,
            link_up: false,
            link_down_ms: 0,
            offset: 0,
            priority: 100,
            run_id: 1,
            replicas: replicas.iter().map(|&r| (NodeId(r), 0)).collect(),
        }
    }

    #[test]
    fn only_replicas_not_known_are_added_in_info_order() {
        let known = [NodeId(0), NodeId(1)];
        assert_eq!(
            new_replicas(&known, &info(&[3, 1, 2])),
            vec![NodeId(3), NodeId(2)]
        );
        assert!(new_replicas(&known, &info(&[1])).is_empty());
        assert!(new_replicas(&known, &info(&[])).is_empty());
    }
}
