//! Hello messages through the servers' pub/sub channel (sentinel.c), with `hello_pubsub: true`.
//!
//! Every SENTINEL_PUBLISH_PERIOD (2 s) a sentinel PUBLISHes
//! `ip,port,runid,current_epoch,master_name,master_ip,master_port,master_config_epoch` on
//! `__sentinel__:hello` to every instance it monitors, primary and replicas, and to every
//! sentinel it already knows (sentinelSendPeriodicCommands → sentinelSendHello; a sentinel's
//! PUBLISH is sentinelPublishCommand, which processes the hello at once). Each sentinel keeps a
//! second connection, the pub/sub link, to the primary and every replica, SUBSCRIBEd to the
//! channel (sentinelReconnectInstance), and processes each message arriving there but its own
//! (sentinelReceiveHelloMessages → sentinelProcessHelloMessage). A replica gets the primary's
//! PUBLISH through replication too. So two sentinels cut from each other but not from the
//! servers still hear each other's hellos (and a new configuration), and any client subscribed
//! to the channel sees them.
//!
//! With `hello_pubsub: false` (not the default; the stand-in of earlier versions) a hello
//! is a direct message to every other sentinel, known or not (`RedisMsg::Hello`), and the
//! PUBLISHes to the servers are only load.

use super::{HELLO_MS, MIN_LINK_RECONNECT_MS, Pending, PubLink, Sentinel};
use crate::redis::msg::{Cmd, PubRange, RCtx, RedisMsg};
use msgsim_sim::{ConnId, NodeId};

/// SENTINEL_HELLO_CHANNEL.
pub(super) const CHANNEL: &str = "__sentinel__:hello";
/// A hello's payload bytes (`127.0.0.1,26379,<40-char runid>,0,mymaster,127.0.0.1,6379,0`).
pub(super) const PAYLOAD_BYTES: u64 = 90;

/// What a hello says, as the model carries it. The model's pub/sub messages are identities
/// (publisher, sequence number), not bytes, so the fields ride in the sequence number:
/// the sentinel's address (its node), its current epoch, the primary's address (node) and
/// the primary's config epoch, 16 bits each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct HelloPayload {
    pub(super) sentinel: NodeId,
    pub(super) epoch: u64,
    pub(super) primary: NodeId,
    pub(super) config_epoch: u64,
}

impl HelloPayload {
    pub(super) fn encode(self) -> u64 {
        let f = |v: u64| {
            debug_assert!(v <= 0xFFFF, "hello field {v} past 16 bits");
            v.min(0xFFFF)
        };
        f(self.sentinel.0 as u64) << 48
            | f(self.epoch) << 32
            | f(self.primary.0 as u64) << 16
            | f(self.config_epoch)
    }

    pub(super) fn decode(seq: u64) -> HelloPayload {
        let f = |shift: u32| (seq >> shift) & 0xFFFF;
        HelloPayload {
            sentinel: NodeId(f(48) as u32),
            epoch: f(32),
            primary: NodeId(f(16) as u32),
            config_epoch: f(0),
        }
    }
}

impl Sentinel {
    /// The publisher number of this sentinel's hellos (the checkers' message identity).
    pub(super) fn hello_publisher(&self) -> u32 {
        u32::MAX - self.index
    }

    /// sentinelSendHello's PUBLISH (to a server; the model's payload in the sequence number
    /// when hellos go through pub/sub).
    pub(super) fn hello_publish(&self, me: NodeId) -> Cmd {
        let first_seq = if self.cfg.hello_pubsub {
            let p = HelloPayload {
                sentinel: me,
                epoch: self.current_epoch,
                primary: self.current_primary(),
                config_epoch: self.config_epoch,
            };
            p.encode()
        } else {
            0
        };
        Cmd::Publish {
            channel: CHANNEL.into(),
            payload_bytes: PAYLOAD_BYTES,
            count: 1,
            publisher: self.hello_publisher(),
            first_seq,
        }
    }

    /// The sentinels a hello goes to directly: every known one (sentinelPublishCommand on the
    /// receiving sentinel); in the stand-in, every other one.
    pub(super) fn direct_hello_targets(&self) -> Vec<NodeId> {
        if self.cfg.hello_pubsub {
            self.peers.clone()
        } else {
            self.audience.clone()
        }
    }

    /// Does `node` need its pub/sub link opened (sentinelReconnectInstance: masters and
    /// replicas have one, `link->pc == NULL`)?
    pub(super) fn needs_pubsub(&self, node: NodeId) -> bool {
        self.cfg.hello_pubsub && self.links.get(&node).is_none_or(|l| l.pc.is_none())
    }

    /// Open the pub/sub link to `node` and SUBSCRIBE to the hello channel.
    pub(super) fn connect_pubsub(&mut self, ctx: &mut RCtx, node: NodeId) {
        let now = self.now_ms;
        let conn = ctx.connect(node);
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(id, (node, Pending::Other));
        ctx.send_conn(
            conn,
            RedisMsg::Command {
                id,
                cmd: Box::new(Cmd::Subscribe {
                    channels: vec![CHANNEL.into()],
                }),
            },
        );
        self.by_conn.insert(conn, node);
        self.links.entry(node).or_default().pc = Some(PubLink {
            conn,
            conn_ms: now,
            activity_ms: now,
            unacked: 0,
            subscribe_id: Some(id),
        });
    }

    /// `conn` is `node`'s pub/sub link.
    pub(super) fn is_pubsub(&self, node: NodeId, conn: ConnId) -> bool {
        self.links
            .get(&node)
            .and_then(|l| l.pc.as_ref())
            .is_some_and(|p| p.conn == conn)
    }

    /// Anything read on a pub/sub link counts as activity (sentinelReceiveHelloMessages
    /// sets pc_last_activity for every reply, the SUBSCRIBE confirmation and our own hellos
    /// included). None when `conn` is no pub/sub link.
    fn pubsub_activity(&mut self, conn: ConnId) -> Option<(NodeId, &mut PubLink)> {
        let now = self.now_ms;
        let &node = self.by_conn.get(&conn)?;
        let p = self.links.get_mut(&node)?.pc.as_mut()?;
        if p.conn != conn {
            return None;
        }
        p.activity_ms = now;
        Some((node, p))
    }

    /// A reply read on `conn`: on a pub/sub link, the SUBSCRIBE's confirmation.
    pub(super) fn pubsub_reply(&mut self, conn: ConnId, id: u64) {
        if let Some((_, p)) = self.pubsub_activity(conn)
            && p.subscribe_id == Some(id)
        {
            p.subscribe_id = None;
        }
    }

    /// A message on a pub/sub link: a hello of another sentinel is processed.
    pub(super) fn pubsub_message(&mut self, ctx: &mut RCtx, conn: ConnId, r: &PubRange) {
        if self.pubsub_activity(conn).is_none() {
            return;
        }
        // "We are not interested in meeting ourselves".
        if &*r.sub != CHANNEL || r.publisher == self.hello_publisher() {
            return;
        }
        let h = HelloPayload::decode(r.first_seq);
        self.process_hello(ctx, h.sentinel, h.epoch, h.config_epoch, h.primary);
    }

    /// sentinelProcessHelloMessage: an unknown sentinel is added, a higher current epoch
    /// adopted, a newer configuration of the primary taken.
    pub(super) fn process_hello(
        &mut self,
        ctx: &mut RCtx,
        from: NodeId,
        epoch: u64,
        config_epoch: u64,
        primary: NodeId,
    ) {
        self.discover_peer(ctx, from);
        self.current_epoch = self.current_epoch.max(epoch);
        self.hello(ctx, config_epoch, primary);
    }

    /// Close `node`'s pub/sub link (instanceLinkCloseConnection on `pc`).
    pub(super) fn close_pubsub(&mut self, ctx: &mut RCtx, node: NodeId) {
        let Some(p) = self.links.get_mut(&node).and_then(|l| l.pc.take()) else {
            return;
        };
        ctx.close(p.conn);
        self.forget_pubsub(p);
    }

    /// The pub/sub link `conn` was closed by the other side or the network.
    pub(super) fn pubsub_closed(&mut self, node: NodeId) {
        if let Some(p) = self.links.get_mut(&node).and_then(|l| l.pc.take()) {
            self.forget_pubsub(p);
        }
    }

    fn forget_pubsub(&mut self, p: PubLink) {
        self.by_conn.remove(&p.conn);
        if let Some(id) = p.subscribe_id {
            self.pending.remove(&id);
        }
    }

    /// sentinelCheckSubjectivelyDown: a pub/sub link older than the minimum reconnect period
    /// that has read nothing for three publish periods is closed (and reopened by the next
    /// sentinelReconnectInstance).
    pub(super) fn check_pubsub_stall(&mut self, ctx: &mut RCtx, node: NodeId) {
        let now = self.now_ms;
        let stalled = self
            .links
            .get(&node)
            .and_then(|l| l.pc.as_ref())
            .is_some_and(|p| {
                now - p.conn_ms > MIN_LINK_RECONNECT_MS && now - p.activity_ms > 3 * HELLO_MS
            });
        if stalled {
            self.close_pubsub(ctx, node);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hello_payload_survives_the_sequence_number() {
        let h = HelloPayload {
            sentinel: NodeId(5),
            epoch: 17,
            primary: NodeId(2),
            config_epoch: 16,
        };
        assert_eq!(HelloPayload::decode(h.encode()), h);
        let zero = HelloPayload {
            sentinel: NodeId(0),
            epoch: 0,
            primary: NodeId(0),
            config_epoch: 0,
        };
        assert_eq!(zero.encode(), 0);
        assert_eq!(HelloPayload::decode(0), zero);
    }
}
