//! Blocking stream reads: `XREAD … BLOCK ms` and `XREADGROUP … BLOCK ms` (t_stream.c
//! `xreadCommand` → `blockForKeys`, blocking.c `serveClientsBlockedOnStreamKey`,
//! `replyToBlockedClientTimedOut`). A read with nothing to serve holds its reply; each XADD on
//! the key (a client's, or one the replica applies from its primary's stream) serves the
//! clients blocked on that key in the order they blocked; the timeout answers the nil array
//! (`*-1`); `BLOCK 0` never times out.

use super::msg::{Cmd, KillReason, RCtx};
use super::replication_state::StreamBlock;
use super::reply::Reply;
use super::server::{Server, T_XBLOCK};
use msgsim_sim::{ConnId, SimDuration, TimerId};

impl Server {
    /// A blocking read answered `reply` when run now: nil means nothing to serve, so the
    /// client blocks (no reply yet, `None`); anything else (entries, an error) answers at once.
    pub(super) fn block_read(
        &mut self,
        ctx: &mut RCtx,
        conn: ConnId,
        id: u64,
        cmd: Cmd,
        block_ms: u64,
        reply: Reply,
    ) -> Option<Reply> {
        if reply != Reply::NilArray {
            return Some(reply);
        }
        let seq = self.xblocks.keys().next_back().map_or(1, |k| k + 1);
        let timer = if block_ms > 0 {
            ctx.set_timer(SimDuration::from_millis(block_ms), T_XBLOCK | seq)
        } else {
            TimerId(u64::MAX)
        };
        if let Some(c) = self.clients.get_mut(&conn) {
            c.blocked = true;
        }
        self.xblocks.insert(
            seq,
            StreamBlock {
                conn,
                id,
                cmd,
                timer,
            },
        );
        None
    }

    /// The timeout of a blocked read: the nil array (`replyToBlockedClientTimedOut`).
    pub(super) fn xblock_timeout(&mut self, seq: u64) {
        if let Some(b) = self.xblocks.remove(&seq) {
            if let Some(c) = self.clients.get_mut(&b.conn) {
                c.blocked = false;
            }
            self.reply(b.conn, b.id, Reply::NilArray);
        }
    }

    /// After an XADD on `key` in database `db`: serve the clients blocked on it, first blocked first
    /// (`serveClientsBlockedOnStreamKey` walks the key's list of blocked clients in order).
    /// Each read runs again as its client sent it; one that still finds nothing (a group
    /// whose new entry an earlier client took) stays blocked. A served XREADGROUP changes the
    /// group and is propagated like any other.
    pub(super) fn serve_xblocks(&mut self, ctx: &mut RCtx, db: u32, key: &str) {
        let waiting: Vec<u64> = self
            .xblocks
            .iter()
            .filter(|(_, b)| read_key(&b.cmd) == Some(key) && self.db_of(b.conn) == db)
            .map(|(k, _)| *k)
            .collect();
        for seq in waiting {
            let cmd = self.xblocks[&seq].cmd.clone();
            let reply = self.execute_data(self.xblocks[&seq].conn, cmd);
            if reply == Reply::NilArray {
                continue;
            }
            let b = self.xblocks.remove(&seq).expect("listed");
            ctx.cancel_timer(b.timer);
            if let Some(c) = self.clients.get_mut(&b.conn) {
                c.blocked = false;
            }
            self.reply(b.conn, b.id, reply);
        }
    }

    /// A client's blocked read ends with it (freeClient → unblockClient).
    pub(super) fn drop_xblocks_of(&mut self, ctx: &mut RCtx, conn: ConnId) {
        self.xblocks.retain(|_, b| {
            if b.conn == conn {
                ctx.cancel_timer(b.timer);
            }
            b.conn != conn
        });
    }

    /// A primary turned replica unblocks every blocked read with an error, as its WAITs,
    /// and closes the client after that reply (replication.c `replicationSetMaster` →
    /// blocked.c `disconnectAllBlockedClients`: CLIENT_CLOSE_AFTER_REPLY).
    pub(super) fn unblock_xblocks(&mut self, ctx: &mut RCtx, error: &str) {
        for (_, b) in std::mem::take(&mut self.xblocks) {
            ctx.cancel_timer(b.timer);
            if let Some(c) = self.clients.get_mut(&b.conn) {
                c.blocked = false;
            }
            self.reply(b.conn, b.id, Reply::err(error));
            self.to_close.push((b.conn, KillReason::Unblocked));
        }
    }
}

/// The key a blocking read waits on.
fn read_key(cmd: &Cmd) -> Option<&str> {
    match cmd {
        Cmd::XRead { key, .. } | Cmd::XReadGroup { key, .. } => Some(key),
        _ => None,
    }
}
