//! `repl-backlog-ttl`: a primary that has had no replicas for longer than the ttl frees its
//! replication backlog and starts a new replication history, so a replica that comes back
//! afterwards needs a full resync. Replicas never free theirs: they may be promoted and must
//! then serve PSYNCs (redis.conf, "repl-backlog-ttl").

use super::msg::RCtx;
use super::server::Server;

impl Server {
    /// replication.c `replicationCron`: with no replica attached (in any state), a ttl, a
    /// backlog and no primary of its own, once `unixtime − repl_no_slaves_since > ttl` (seconds,
    /// strict): `changeReplicationId`, `clearReplicationId2`, `freeReplicationBacklog`. Without a
    /// backlog the offset stops advancing (`feedReplicationBuffer`), which is why the id must
    /// change: a former replica holding the old id could otherwise PSYNC past writes it never
    /// got.
    pub(super) fn backlog_ttl_cron(&mut self, ctx: &mut RCtx) {
        let ttl = self.cfg.repl_backlog_ttl_s;
        if !self.replicas.is_empty() || ttl == 0 || self.backlog.is_none() || !self.is_primary() {
            return;
        }
        if self.now_s.saturating_sub(self.no_replicas_since_s) > ttl {
            self.replid = ctx.rng().next_u64() | 1;
            self.replid2 = 0;
            self.second_off = None;
            self.backlog = None;
            ctx.sometimes("redis:backlog_freed");
        }
    }

    /// The time the last replica left (networking.c `freeClient`: `repl_no_slaves_since` when
    /// the replica list becomes empty; also at startup and when a replica becomes a primary,
    /// `replicationUnsetMaster`, so a fresh primary keeps its backlog for a whole ttl).
    pub(super) fn mark_no_replicas(&mut self) {
        if self.replicas.is_empty() {
            self.no_replicas_since_s = self.now_s;
        }
    }
}
