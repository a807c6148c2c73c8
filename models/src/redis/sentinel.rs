//! Redis Sentinel (sentinel.c): PING / INFO / hello, SDOWN after `down-after-milliseconds`,
//! ODOWN with quorum, leader election by majority vote per epoch, replica selection by
//! (priority, offset, run id), promotion with client kills, reconfiguration of the other
//! replicas, and conversion of a returning old primary.

use super::config::SentinelConfig;
use super::msg::RCtx;
use super::msg::{Cmd, Frame, RedisEvent, RedisMsg};
use super::reply::{InfoReply, Reply};
use msgsim_sim::{Actor, ConnEvent, ConnId, CrashKind, Message, NodeId, SimDuration, TimerId, Via};
use std::any::Any;
use std::collections::BTreeMap;
use std::rc::Rc;

const T_TICK: u64 = 1;
const T_START: u64 = 2;
const PING_MS: u64 = 1_000;
const INFO_MS: u64 = 10_000;
const HELLO_MS: u64 = 2_000;
const ELECTION_TIMEOUT_MS: u64 = 10_000;
/// publish period × 4: how long an old primary must report role master before conversion.
const DEMOTE_AFTER_MS: u64 = 8_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Ping,
    Info,
    Promote,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum FailoverState {
    WaitStart,
    Election,
    WaitPromotion(NodeId),
}

#[derive(Default)]
struct Link {
    conn: Option<ConnId>,
    ping_since_ms: Option<u64>,
    last_ok_ms: u64,
    last_ping_ms: u64,
    last_info_ms: u64,
    info: Option<(InfoReply, u64)>,
    master_seen_since: Option<u64>,
    unacked: u64,
    connected_ms: u64,
}

pub struct Sentinel {
    pub index: u32,
    cfg: Rc<SentinelConfig>,
    servers: Vec<NodeId>,
    peers: Vec<NodeId>,
    initial_primary: NodeId,
    // Persisted by sentinel's config rewrite.
    pub primary: NodeId,
    pub config_epoch: u64,
    pub current_epoch: u64,
    // Volatile.
    links: BTreeMap<NodeId, Link>,
    by_conn: BTreeMap<ConnId, NodeId>,
    pending: BTreeMap<u64, (NodeId, Pending)>,
    next_id: u64,
    sdown_since: Option<u64>,
    odown: bool,
    peer_down: BTreeMap<u32, (bool, u64)>,
    voted: BTreeMap<u64, u32>,
    votes: BTreeMap<u32, (u32, u64)>,
    failover: Option<(u64, u64, FailoverState)>,
    next_failover_ok_ms: u64,
    last_hello_ms: u64,
    last_ask_ms: u64,
    now_ms: u64,
    pub failovers: u64,
}

impl Sentinel {
    pub fn new(
        index: u32,
        cfg: Rc<SentinelConfig>,
        servers: Vec<NodeId>,
        peers: Vec<NodeId>,
        primary: NodeId,
    ) -> Sentinel {
        Sentinel {
            index,
            cfg,
            servers,
            peers,
            initial_primary: primary,
            primary,
            config_epoch: 0,
            current_epoch: 0,
            links: BTreeMap::new(),
            by_conn: BTreeMap::new(),
            pending: BTreeMap::new(),
            next_id: 1,
            sdown_since: None,
            odown: false,
            peer_down: BTreeMap::new(),
            voted: BTreeMap::new(),
            votes: BTreeMap::new(),
            failover: None,
            next_failover_ok_ms: 0,
            last_hello_ms: 0,
            last_ask_ms: 0,
            now_ms: 0,
            failovers: 0,
        }
    }

    fn send_cmd(&mut self, ctx: &mut RCtx, node: NodeId, cmd: Cmd, kind: Pending) {
        let link = self.links.entry(node).or_default();
        let conn = match link.conn {
            Some(c) => c,
            None => {
                let c = ctx.connect(node);
                link.conn = Some(c);
                link.connected_ms = self.now_ms;
                self.by_conn.insert(c, node);
                c
            }
        };
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(id, (node, kind));
        ctx.send_conn(
            conn,
            RedisMsg::Command {
                id,
                cmd: Box::new(cmd),
            },
        );
    }

    fn elapsed_down(&self, node: NodeId) -> u64 {
        let Some(l) = self.links.get(&node) else {
            return 0;
        };
        match (l.conn, l.ping_since_ms) {
            (Some(_), Some(since)) => self.now_ms.saturating_sub(since),
            (None, _) => self.now_ms.saturating_sub(l.last_ok_ms),
            _ => 0,
        }
    }

    fn majority(&self) -> u32 {
        let total = self.peers.len() as u32 + 1;
        total / 2 + 1
    }

    fn tick(&mut self, ctx: &mut RCtx) {
        ctx.set_timer(SimDuration::from_millis(100), T_TICK);
        let info_period = if self.sdown_since.is_some() || self.failover.is_some() {
            1_000
        } else {
            INFO_MS
        };
        let hello = self.now_ms.saturating_sub(self.last_hello_ms) >= HELLO_MS;
        for node in self.servers.clone() {
            let l = self.links.entry(node).or_default();
            // Reconnect a link whose pings go unanswered for half of down-after (sentinel.c
            // sentinelCheckSubjectivelyDown), e.g. one opened towards a crashed node.
            let half = self.cfg.down_after_ms / 2;
            if let (Some(conn), Some(since)) = (l.conn, l.ping_since_ms)
                && self.now_ms.saturating_sub(since) > half
                && self.now_ms.saturating_sub(l.last_ok_ms) > half
                && self.now_ms.saturating_sub(l.connected_ms) > half
            {
                ctx.close(conn);
                self.by_conn.remove(&conn);
                l.conn = None;
                l.unacked = 0;
                self.pending.retain(|_, (n, _)| *n != node);
            }
            let l = self.links.entry(node).or_default();
            if self.now_ms.saturating_sub(l.last_ping_ms) >= PING_MS {
                l.last_ping_ms = self.now_ms;
                if l.ping_since_ms.is_none() {
                    l.ping_since_ms = Some(self.now_ms);
                }
                self.send_cmd(ctx, node, Cmd::Ping, Pending::Ping);
            }
            let l = self.links.entry(node).or_default();
            // INFO every 10 s; every 1 s during SDOWN/failover and for a node whose reported
            // role disagrees with our configuration (to convert a returning old primary).
            let odd =
                node != self.primary && l.info.as_ref().is_some_and(|(i, _)| i.primary.is_none());
            let period = if odd { 1_000 } else { info_period };
            if self.now_ms.saturating_sub(l.last_info_ms) >= period {
                l.last_info_ms = self.now_ms;
                self.send_cmd(ctx, node, Cmd::Info, Pending::Info);
            }
            if hello {
                // Hello messages are PUBLISHed on every node (replicated on the primary).
                let cmd = Cmd::Publish {
                    channel: "__sentinel__:hello".into(),
                    payload_bytes: 90,
                    count: 1,
                    publisher: u32::MAX - self.index,
                    first_seq: 0,
                };
                self.send_cmd(ctx, node, cmd, Pending::Other);
            }
        }
        if hello {
            self.last_hello_ms = self.now_ms;
            for &p in &self.peers {
                let msg = RedisMsg::Hello {
                    sentinel: self.index,
                    epoch: self.current_epoch,
                    config_epoch: self.config_epoch,
                    primary: self.primary,
                };
                ctx.send(p, msg);
            }
        }
        self.check_down(ctx);
        self.failover_step(ctx);
    }

    /// sentinelCheckSubjectivelyDown / sentinelCheckObjectivelyDown.
    fn check_down(&mut self, ctx: &mut RCtx) {
        let down = self.elapsed_down(self.primary) > self.cfg.down_after_ms;
        if down && self.sdown_since.is_none() {
            self.sdown_since = Some(self.now_ms);
            ctx.sometimes("redis:sdown");
        } else if !down {
            self.sdown_since = None;
            self.odown = false;
        }
        if self.sdown_since.is_none() {
            return;
        }
        let fresh = |t: u64| self.now_ms.saturating_sub(t) <= 5_000;
        let agree = 1 + self
            .peer_down
            .values()
            .filter(|(d, t)| *d && fresh(*t))
            .count() as u32;
        if agree >= self.cfg.quorum && !self.odown {
            self.odown = true;
            ctx.sometimes("redis:odown");
            ctx.record(RedisEvent::Odown {
                sentinel: self.index,
            });
        }
        let in_election = matches!(self.failover, Some((_, _, FailoverState::Election)));
        if self.now_ms.saturating_sub(self.last_ask_ms) >= 1_000
            || in_election && self.now_ms.saturating_sub(self.last_ask_ms) >= 100
        {
            self.last_ask_ms = self.now_ms;
            let vote_for = in_election.then_some(self.index);
            let epoch = self.current_epoch;
            for &p in &self.peers {
                ctx.send(
                    p,
                    RedisMsg::IsDownReq {
                        epoch,
                        vote_for,
                        primary: self.primary,
                    },
                );
            }
        }
        if self.odown && self.failover.is_none() && self.now_ms >= self.next_failover_ok_ms {
            // Start jitter (SENTINEL_MAX_DESYNC) so sentinels do not all ask at once.
            self.failover = Some((0, self.now_ms, FailoverState::WaitStart));
            let jitter = ctx.rng().below(1_000);
            ctx.set_timer(SimDuration::from_millis(jitter), T_START);
        }
    }

    fn start_election(&mut self, ctx: &mut RCtx) {
        if !matches!(self.failover, Some((_, _, FailoverState::WaitStart))) {
            return;
        }
        if !self.odown || self.now_ms < self.next_failover_ok_ms {
            self.failover = None;
            return;
        }
        self.current_epoch += 1;
        let epoch = self.current_epoch;
        self.voted.insert(epoch, self.index);
        self.votes.clear();
        self.failover = Some((epoch, self.now_ms, FailoverState::Election));
        self.next_failover_ok_ms = self.now_ms + 2 * self.cfg.failover_timeout_ms;
        ctx.sometimes("redis:try_failover");
        self.last_ask_ms = 0;
        self.check_down(ctx);
    }

    /// sentinelGetLeader: votes >= max(quorum, majority) in this epoch.
    fn failover_step(&mut self, ctx: &mut RCtx) {
        let Some((epoch, started, state)) = self.failover.clone() else {
            return;
        };
        match state {
            FailoverState::WaitStart => {}
            FailoverState::Election => {
                let mine = 1 + self
                    .votes
                    .values()
                    .filter(|(l, e)| *l == self.index && *e == epoch)
                    .count() as u32;
                if mine >= self.cfg.quorum.max(self.majority()) {
                    ctx.sometimes("redis:elected_leader");
                    match self.select_replica() {
                        Some(target) => {
                            self.send_cmd(
                                ctx,
                                target,
                                Cmd::SentinelReconf { primary: None },
                                Pending::Promote,
                            );
                            self.failover =
                                Some((epoch, started, FailoverState::WaitPromotion(target)));
                        }
                        None => {
                            ctx.sometimes("redis:no_good_replica");
                            self.failover = None;
                        }
                    }
                } else if self.now_ms.saturating_sub(started)
                    > ELECTION_TIMEOUT_MS.min(self.cfg.failover_timeout_ms)
                {
                    ctx.sometimes("redis:election_failed");
                    self.failover = None;
                }
            }
            FailoverState::WaitPromotion(target) => {
                let promoted = self
                    .links
                    .get(&target)
                    .and_then(|l| l.info.as_ref())
                    .is_some_and(|(i, t)| i.primary.is_none() && *t > started);
                if promoted {
                    // Reconfigure the other reachable replicas (parallel-syncs applies to how
                    // many resync at once; all are told here), then switch.
                    for node in self.servers.clone() {
                        if node != target && node != self.primary {
                            self.send_cmd(
                                ctx,
                                node,
                                Cmd::SentinelReconf {
                                    primary: Some(target),
                                },
                                Pending::Other,
                            );
                        }
                    }
                    self.primary = target;
                    self.config_epoch = epoch;
                    self.failover = None;
                    self.sdown_since = None;
                    self.odown = false;
                    self.failovers += 1;
                    ctx.sometimes("redis:failover");
                    ctx.record(RedisEvent::Failover {
                        sentinel: self.index,
                        epoch,
                        promoted: target,
                    });
                    self.last_hello_ms = 0;
                } else if self.now_ms.saturating_sub(started) > self.cfg.failover_timeout_ms {
                    self.failover = None;
                }
            }
        }
    }

    /// sentinelSelectSlave + compareSlavesForPromotion.
    fn select_replica(&self) -> Option<NodeId> {
        let sdown_for = self
            .sdown_since
            .map_or(0, |s| self.now_ms.saturating_sub(s));
        let max_link_down = sdown_for + 10 * self.cfg.down_after_ms;
        let mut best: Option<PromotionKey> = None;
        for &node in &self.servers {
            if node == self.primary {
                continue;
            }
            let Some(l) = self.links.get(&node) else {
                continue;
            };
            let Some((info, at)) = &l.info else { continue };
            let ok = l.conn.is_some()
                && self.now_ms.saturating_sub(l.last_ok_ms) <= 5_000
                && self.now_ms.saturating_sub(*at) <= 5_000
                && info.primary.is_some()
                && info.priority != 0
                && info.link_down_ms <= max_link_down;
            if !ok {
                continue;
            }
            let key = promotion_key(info, node);
            if best.as_ref().is_none_or(|b| key < *b) {
                best = Some(key);
            }
        }
        best.map(|b| b.3)
    }

    fn on_reply(&mut self, ctx: &mut RCtx, node: NodeId, kind: Pending, reply: Reply) {
        let l = self.links.entry(node).or_default();
        match (kind, reply) {
            (Pending::Ping, r)
                if !r.is_err()
                    || r.render().starts_with("-LOADING")
                    || r.render().starts_with("-MASTERDOWN") =>
            {
                // Back after being unreachable: refresh INFO at once to learn its role.
                if self.now_ms.saturating_sub(l.last_ok_ms) > self.cfg.down_after_ms {
                    l.last_info_ms = 0;
                }
                l.ping_since_ms = None;
                l.last_ok_ms = self.now_ms;
            }
            (Pending::Info, Reply::Info(info)) => {
                let info = *info;
                if node != self.primary && info.primary.is_none() && self.failover.is_none() {
                    // An old primary reporting role master: convert it once it has done so for
                    // a while (sentinel.c, publish period × 4).
                    let since = *l.master_seen_since.get_or_insert(self.now_ms);
                    if self.now_ms.saturating_sub(since) >= DEMOTE_AFTER_MS {
                        l.master_seen_since = None;
                        let p = self.primary;
                        self.send_cmd(
                            ctx,
                            node,
                            Cmd::SentinelReconf { primary: Some(p) },
                            Pending::Other,
                        );
                        ctx.sometimes("redis:convert_to_replica");
                    }
                } else {
                    l.master_seen_since = None;
                }
                let l = self.links.entry(node).or_default();
                l.info = Some((info, self.now_ms));
            }
            _ => {}
        }
    }
}

impl Sentinel {
    /// Bytes read from a server connection: window updates every 64 KiB. False when the
    /// connection is not one of ours.
    fn read_bytes(&mut self, ctx: &mut RCtx, conn: ConnId, bytes: u64) -> bool {
        let Some(&node) = self.by_conn.get(&conn) else {
            return false;
        };
        let l = self.links.entry(node).or_default();
        l.unacked += bytes;
        if l.unacked >= 64 * 1024 {
            ctx.send_conn(conn, RedisMsg::Consumed { bytes: l.unacked });
            l.unacked = 0;
        }
        true
    }
}

impl Actor<RedisMsg, RedisEvent> for Sentinel {
    fn on_start(&mut self, ctx: &mut RCtx) {
        self.now_ms = ctx.local_now().as_millis();
        let _ = self.initial_primary;
        let start = self.now_ms;
        for &s in &self.servers {
            self.links.insert(
                s,
                Link {
                    last_ok_ms: start,
                    ..Link::default()
                },
            );
        }
        let d = ctx.rng().below(100);
        ctx.set_timer(SimDuration::from_millis(d), T_TICK);
    }

    fn on_message(&mut self, ctx: &mut RCtx, from: NodeId, via: Via, msg: RedisMsg) {
        self.now_ms = ctx.local_now().as_millis();
        match msg {
            RedisMsg::Frames { frames, bytes } => {
                let Via::Conn(conn) = via else { return };
                if !self.read_bytes(ctx, conn, bytes) {
                    return;
                }
                for f in frames {
                    if let Frame::Reply { id, reply } = f
                        && let Some((n, kind)) = self.pending.remove(&id)
                    {
                        self.on_reply(ctx, n, kind, reply);
                    }
                }
            }
            // Pub/sub messages carry no reply; their bytes still count against the window.
            RedisMsg::Messages(_) => {
                if let Via::Conn(conn) = via {
                    self.read_bytes(ctx, conn, msg.size_bytes());
                }
            }
            // sentinelVoteLeader: one vote per epoch, for the first asker.
            RedisMsg::IsDownReq {
                epoch,
                vote_for,
                primary,
            } => {
                let down = primary == self.primary && self.sdown_since.is_some();
                let mut leader = None;
                if let Some(cand) = vote_for {
                    if epoch > self.current_epoch {
                        self.current_epoch = epoch;
                    }
                    if epoch == self.current_epoch && !self.voted.contains_key(&epoch) {
                        self.voted.insert(epoch, cand);
                        if cand != self.index {
                            self.next_failover_ok_ms =
                                self.now_ms + 2 * self.cfg.failover_timeout_ms;
                        }
                    }
                    leader = self.voted.get(&epoch).copied();
                }
                ctx.send(
                    from,
                    RedisMsg::IsDownReply {
                        down,
                        leader,
                        leader_epoch: epoch,
                    },
                );
            }
            RedisMsg::IsDownReply {
                down,
                leader,
                leader_epoch,
            } => {
                let Some(peer) = self.peers.iter().position(|p| *p == from) else {
                    return;
                };
                let peer = peer as u32;
                self.peer_down.insert(peer, (down, self.now_ms));
                if let Some(l) = leader {
                    self.votes.insert(peer, (l, leader_epoch));
                }
                self.failover_step(ctx);
            }
            RedisMsg::Hello {
                epoch,
                config_epoch,
                primary,
                ..
            } => {
                self.current_epoch = self.current_epoch.max(epoch);
                if config_epoch > self.config_epoch {
                    self.config_epoch = config_epoch;
                    if primary != self.primary {
                        self.primary = primary;
                        self.sdown_since = None;
                        self.odown = false;
                        if !matches!(self.failover, Some((_, _, FailoverState::WaitPromotion(_)))) {
                            self.failover = None;
                        }
                    }
                }
            }
            RedisMsg::GetPrimary { req } => {
                ctx.send(
                    from,
                    RedisMsg::PrimaryIs {
                        req,
                        primary: self.primary,
                    },
                );
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut RCtx, _timer: TimerId, tag: u64) {
        self.now_ms = ctx.local_now().as_millis();
        match tag {
            T_TICK => self.tick(ctx),
            T_START => self.start_election(ctx),
            _ => {}
        }
    }

    fn on_connection(&mut self, _ctx: &mut RCtx, event: ConnEvent) {
        if let ConnEvent::Closed { conn, .. } = event
            && let Some(node) = self.by_conn.remove(&conn)
        {
            let l = self.links.entry(node).or_default();
            // The oldest unanswered ping stays pending across reconnects (act_ping_time).
            l.conn = None;
            l.unacked = 0;
            self.pending.retain(|_, (n, _)| *n != node);
        }
    }

    fn on_crash(&mut self, _kind: CrashKind) {
        self.links.clear();
        self.by_conn.clear();
        self.pending.clear();
        self.sdown_since = None;
        self.odown = false;
        self.peer_down.clear();
        self.votes.clear();
        self.failover = None;
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// compareSlavesForPromotion's order, smallest first: lower `replica-priority`, then the larger
/// replication offset, then the lexicographically smaller run id (the node id only makes the
/// order total).
type PromotionKey = (u32, std::cmp::Reverse<u64>, u64, NodeId);

fn promotion_key(info: &InfoReply, node: NodeId) -> PromotionKey {
    (
        info.priority,
        std::cmp::Reverse(info.offset),
        info.run_id,
        node,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(priority: u32, offset: u64, run_id: u64) -> InfoReply {
        InfoReply {
            primary: Some(NodeId(0)),
            link_up: true,
            link_down_ms: 0,
            offset,
            priority,
            run_id,
            replicas: Vec::new(),
        }
    }

    fn best(candidates: &[(u32, InfoReply)]) -> u32 {
        let winner = candidates
            .iter()
            .min_by_key(|(n, i)| promotion_key(i, NodeId(*n)))
            .expect("candidates");
        winner.0
    }

    #[test]
    fn equal_priority_higher_offset_wins_whatever_the_run_id() {
        let c = [(1, info(100, 500, 1)), (2, info(100, 900, 9))];
        assert_eq!(best(&c), 2);
    }

    #[test]
    fn equal_priority_and_offset_lowest_run_id_wins() {
        let c = [(1, info(100, 900, 9)), (2, info(100, 900, 3))];
        assert_eq!(best(&c), 2);
    }

    #[test]
    fn priority_beats_offset() {
        let c = [(1, info(100, 900, 1)), (2, info(10, 100, 9))];
        assert_eq!(best(&c), 2);
    }
}
