//! A server's own replicas when the server is itself a replica (chained replication, a
//! replica of a replica): the stream it proxies to them, when it serves their PSYNC, and when
//! its history changes under them and it disconnects them (Redis 7.0, replication.c).

use super::msg::{RCtx, ReplEntry};
use super::server::Server;
use msgsim_sim::ConnId;

impl Server {
    /// Queue one stream entry for every online replica (written in `before_sleep`). A primary
    /// feeds the entries it makes (`propagate`); a replica proxies its primary's entries
    /// unchanged — the same bytes at the same offsets, so its replicas share the top primary's
    /// replication id and offsets (replication.c `replicationFeedStreamFromMasterStream`;
    /// `replicationFeedSlaves` returns at once on a replica "in order to propagate *identical*
    /// replication stream").
    pub(super) fn feed_replicas(&mut self, entry: &ReplEntry) {
        for (conn, r) in &self.replicas {
            if r.online {
                // Replicas in connection order: the list is usually appended to or found last.
                let at = match self.repl_out.binary_search_by_key(conn, |(c, _)| *c) {
                    Ok(at) => at,
                    Err(at) => {
                        self.repl_out.insert(at, (*conn, Vec::new()));
                        at
                    }
                };
                self.repl_out[at].1.push(entry.clone());
            }
        }
    }

    /// Whether this server answers a PSYNC: a primary always; a replica only while its link
    /// to its own primary is up (replication.c `syncCommand`: `-NOMASTERLINK Can't SYNC while
    /// not connected with my master`; the replica asking retries about once per second).
    pub(super) fn can_serve_sync(&self) -> bool {
        self.is_primary() || self.link.as_ref().is_some_and(|l| l.online)
    }

    /// replication.c `disconnectSlaves`: close every replica's connection. They reconnect and
    /// PSYNC with what they have; whether that is a partial resync depends on this server's
    /// new history. Called when a replica becomes a primary (`replicationUnsetMaster`: its
    /// replication id changed), when it loads a full resync from its primary
    /// (`replicationAttachToNewMaster`, which also frees the backlog so no one can PSYNC
    /// into the old history), when a partial resync brings a new replication id
    /// (`slaveTryPartialResynchronization`, "+CONTINUE <new id>"). A demoted primary keeps its
    /// replicas until one of those (replicationSetMaster does not call it).
    pub(super) fn disconnect_replicas(&mut self, ctx: &mut RCtx) {
        let reps: Vec<ConnId> = self.replicas.keys().copied().collect();
        for conn in reps {
            self.free_client(ctx, conn, None);
            ctx.close(conn);
        }
    }
}
