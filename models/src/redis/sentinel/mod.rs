//! Redis Sentinel (sentinel.c): the timer with its randomised period, PING / INFO / hello on
//! each instance link, SDOWN after `down-after-milliseconds`, ODOWN with quorum, and the
//! messages between sentinels. The failover state machine (election, replica selection,
//! promotion, reconfiguration, switch) is in `failover.rs`; each step is recorded in the history
//! under sentinel.c's event name (`RedisEvent::SentinelEvent`).

mod discovery;
mod failover;
mod hello;
mod state;
mod tilt;

use super::config::SentinelConfig;
use super::msg::RCtx;
use super::msg::{Cmd, Frame, RedisEvent, RedisMsg};
use super::reply::{InfoReply, Reply};
use msgsim_sim::{Actor, ConnEvent, ConnId, CrashKind, NodeId, SimDuration, TimerId, Via};
use state::Failover;
use std::any::Any;
use std::collections::BTreeMap;
use std::rc::Rc;
use tilt::{Acting, Tilt};

const T_TICK: u64 = 1;
/// SENTINEL_PING_PERIOD: also the reconnect period of a disconnected link.
const PING_MS: u64 = 1_000;
/// SENTINEL_INFO_PERIOD; 1 s for a replica while its primary is ODOWN or in failover, or
/// while it reports its own link down.
const INFO_MS: u64 = 10_000;
/// SENTINEL_PUBLISH_PERIOD.
const HELLO_MS: u64 = 2_000;
/// SENTINEL_MIN_LINK_RECONNECT_PERIOD: a stalled link is reopened only after this long.
const MIN_LINK_RECONNECT_MS: u64 = 15_000;
/// SENTINEL_ASK_PERIOD: is-master-down-by-addr to each peer while the primary is SDOWN.
const ASK_MS: u64 = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Ping,
    Info,
    Other,
}

/// One instance link (sentinel.c `instanceLink` + the instance's flags).
#[derive(Default)]
struct Link {
    conn: Option<ConnId>,
    connected_ms: u64,
    last_reconn_ms: Option<u64>,
    /// The oldest unanswered PING (act_ping_time); set when the link is created, so an
    /// instance that never answers goes down after down-after.
    act_ping_ms: Option<u64>,
    last_ping_ms: Option<u64>,
    last_pong_ms: u64,
    last_avail_ms: u64,
    info: Option<(InfoReply, u64)>,
    info_sent_ms: Option<u64>,
    /// The role the instance reported last, and since when (role_reported_time).
    reports_master: bool,
    role_reported_ms: u64,
    sdown_since: Option<u64>,
    unacked: u64,
    /// The pub/sub link, with `hello_pubsub` (`hello.rs`).
    pc: Option<PubLink>,
}

impl Link {
    fn fresh(now: u64, master: bool) -> Link {
        Link {
            act_ping_ms: Some(now),
            last_pong_ms: now,
            last_avail_ms: now,
            reports_master: master,
            role_reported_ms: now,
            ..Link::default()
        }
    }
}

/// A pub/sub link (instanceLink's `pc`, `pc_conn_time`, `pc_last_activity`).
struct PubLink {
    conn: ConnId,
    conn_ms: u64,
    activity_ms: u64,
    unacked: u64,
    /// The SUBSCRIBE's request id while unanswered.
    subscribe_id: Option<u64>,
}

/// What a peer sentinel last answered to is-master-down-by-addr.
#[derive(Clone, Copy)]
struct PeerReply {
    at_ms: u64,
    down: bool,
    leader: Option<(u32, u64)>,
}

pub struct Sentinel {
    pub index: u32,
    cfg: Rc<SentinelConfig>,
    /// The primary and the replicas known (master->slaves; grows by discovery, `discovery.rs`).
    servers: Vec<NodeId>,
    /// The other sentinels known (master->sentinels; grows by discovery).
    peers: Vec<NodeId>,
    /// Every other sentinel monitoring the primary: who can hear our hello messages.
    audience: Vec<NodeId>,
    // Persisted by sentinel's config rewrite.
    pub primary: NodeId,
    pub config_epoch: u64,
    pub current_epoch: u64,
    /// The vote given (leader, leader_epoch) for the primary.
    vote: Option<(u32, u64)>,
    // Volatile.
    links: BTreeMap<NodeId, Link>,
    by_conn: BTreeMap<ConnId, NodeId>,
    pending: BTreeMap<u64, (NodeId, Pending)>,
    next_id: u64,
    odown: bool,
    peer_replies: BTreeMap<u32, PeerReply>,
    last_ask_ms: BTreeMap<u32, u64>,
    failover: Option<Failover>,
    /// failover_start_time: a new attempt needs 2 × failover-timeout after it.
    failover_start_ms: Option<u64>,
    last_hello_ms: Option<u64>,
    /// TILT mode (`tilt.rs`).
    tilt: Tilt,
    now_ms: u64,
    pub failovers: u64,
}

impl Sentinel {
    pub fn new(
        index: u32,
        cfg: Rc<SentinelConfig>,
        servers: Vec<NodeId>,
        audience: Vec<NodeId>,
        primary: NodeId,
    ) -> Sentinel {
        let peers = if cfg.fresh_config {
            Vec::new()
        } else {
            audience.clone()
        };
        Sentinel {
            index,
            cfg,
            servers,
            peers,
            audience,
            primary,
            config_epoch: 0,
            current_epoch: 0,
            vote: None,
            links: BTreeMap::new(),
            by_conn: BTreeMap::new(),
            pending: BTreeMap::new(),
            next_id: 1,
            odown: false,
            peer_replies: BTreeMap::new(),
            last_ask_ms: BTreeMap::new(),
            failover: None,
            failover_start_ms: None,
            last_hello_ms: None,
            tilt: Tilt::default(),
            now_ms: 0,
            failovers: 0,
        }
    }

    /// sentinelEvent: the event in the history under its sentinel.c name.
    fn event(&self, ctx: &mut RCtx, event: &'static str, instance: NodeId) {
        ctx.record(RedisEvent::SentinelEvent {
            sentinel: self.index,
            event,
            instance,
            master: instance == self.primary,
        });
    }

    fn send_cmd(&mut self, ctx: &mut RCtx, node: NodeId, cmd: Cmd, kind: Pending) -> bool {
        let Some(conn) = self.links.get(&node).and_then(|l| l.conn) else {
            return false;
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
        true
    }

    fn send_ping(&mut self, ctx: &mut RCtx, node: NodeId) {
        if self.send_cmd(ctx, node, Cmd::Ping, Pending::Ping) {
            let now = self.now_ms;
            let l = self.links.entry(node).or_default();
            l.last_ping_ms = Some(now);
            l.act_ping_ms.get_or_insert(now);
        }
    }

    fn close_link(&mut self, ctx: &mut RCtx, node: NodeId) {
        let l = self.links.entry(node).or_default();
        if let Some(conn) = l.conn.take() {
            ctx.close(conn);
            self.by_conn.remove(&conn);
        }
        l.unacked = 0;
        self.pending.retain(|_, (n, _)| *n != node);
    }

    /// Fresh links to every server (sentinel.c creates the instances anew when it starts
    /// monitoring and on every `+switch-master`, sentinelResetMaster).
    fn reset_links(&mut self, ctx: &mut RCtx) {
        for node in self.servers.clone() {
            self.close_link(ctx, node);
            self.close_pubsub(ctx, node);
            let master = node == self.primary;
            self.links.insert(node, Link::fresh(self.now_ms, master));
        }
    }

    fn majority(&self) -> u32 {
        let total = self.peers.len() as u32 + 1;
        total / 2 + 1
    }

    /// sentinelTimer: every instance handled, then the next run after 1000 / hz ms with hz
    /// drawn in 10..=19 each time (`server.hz = CONFIG_DEFAULT_HZ + rand() % CONFIG_DEFAULT_HZ`)
    /// so that sentinels desynchronise.
    fn tick(&mut self, ctx: &mut RCtx) {
        let hz = 10 + ctx.rng().below(10);
        ctx.set_timer(SimDuration::from_millis(1_000 / hz), T_TICK);
        if self.tilt.check(self.now_ms) {
            ctx.sometimes("redis:tilt");
            self.event(ctx, "+tilt", self.primary);
        }
        let hello = self
            .last_hello_ms
            .is_none_or(|t| self.now_ms.saturating_sub(t) > HELLO_MS);
        let primary = self.primary;
        // sentinelHandleRedisInstance for the primary, then its replicas.
        let mut order = vec![primary];
        order.extend(self.servers.iter().copied().filter(|n| *n != primary));
        for node in order {
            self.reconnect(ctx, node);
            self.periodic(ctx, node, hello);
            // The acting half, skipped in TILT (sentinelHandleRedisInstance).
            match self.tilt.acting(self.now_ms) {
                Acting::Tilted => continue,
                Acting::Exited => self.event(ctx, "-tilt", self.primary),
                Acting::Allowed => {}
            }
            self.check_sdown(ctx, node);
            if node == primary {
                self.check_odown(ctx);
                if self.start_failover_if_needed(ctx) {
                    self.ask_peers(ctx, true);
                }
                self.failover_step(ctx);
                self.ask_peers(ctx, false);
            }
        }
        if hello {
            self.last_hello_ms = Some(self.now_ms);
            // To the sentinels directly (`hello.rs`: the known ones, or in the stand-in every
            // other one, standing for the servers' pub/sub channel).
            for p in self.direct_hello_targets() {
                let msg = RedisMsg::Hello {
                    sentinel: self.index,
                    epoch: self.current_epoch,
                    config_epoch: self.config_epoch,
                    primary: self.current_primary(),
                };
                ctx.send(p, msg);
            }
        }
        self.switch_if_done(ctx);
    }

    /// sentinelReconnectInstance: a disconnected link is reopened at most once per ping
    /// period, with a PING at once.
    fn reconnect(&mut self, ctx: &mut RCtx, node: NodeId) {
        let now = self.now_ms;
        let need_pc = self.needs_pubsub(node);
        let l = self.links.entry(node).or_default();
        if l.conn.is_some() && !need_pc || l.last_reconn_ms.is_some_and(|t| now - t < PING_MS) {
            return;
        }
        l.last_reconn_ms = Some(now);
        if l.conn.is_none() {
            let c = ctx.connect(node);
            l.conn = Some(c);
            l.connected_ms = now;
            self.by_conn.insert(c, node);
            self.send_ping(ctx, node);
        }
        if need_pc {
            self.connect_pubsub(ctx, node);
        }
    }

    /// sentinelSendPeriodicCommands.
    fn periodic(&mut self, ctx: &mut RCtx, node: NodeId, hello: bool) {
        let now = self.now_ms;
        let watch = self.odown || self.failover.is_some();
        // `link->disconnected` until both links are up (sentinelReconnectInstance).
        let disconnected = self.needs_pubsub(node);
        let l = self.links.entry(node).or_default();
        if l.conn.is_none() || disconnected {
            return;
        }
        let replica = node != self.primary;
        // master_link_down_since_seconds: only a replica whose link is down reports it.
        let link_down = l
            .info
            .as_ref()
            .is_some_and(|(i, _)| i.primary.is_some() && !i.link_up);
        let info_period = if replica && (watch || link_down) {
            1_000
        } else {
            INFO_MS
        };
        // One INFO in flight at a time (Redis may queue several on a stalled link).
        let due = l.info.as_ref().is_none_or(|(_, at)| now - at > info_period);
        if due && l.info_sent_ms.is_none_or(|t| now - t > info_period) {
            l.info_sent_ms = Some(now);
            self.send_cmd(ctx, node, Cmd::Info, Pending::Info);
        }
        let ping_period = self.cfg.down_after_ms.min(PING_MS);
        let l = self.links.entry(node).or_default();
        if now - l.last_pong_ms > ping_period
            && l.last_ping_ms.is_none_or(|t| now - t > ping_period / 2)
        {
            self.send_ping(ctx, node);
        }
        if hello {
            // Hello messages are PUBLISHed on every node (replicated on the primary).
            let cmd = self.hello_publish(ctx.me());
            self.send_cmd(ctx, node, cmd, Pending::Other);
        }
    }

    /// sentinelCheckSubjectivelyDown: down when the oldest unanswered PING (or, disconnected,
    /// the last valid reply) is older than down-after; a link whose ping has been pending for
    /// half of down-after is closed and reopened.
    fn check_sdown(&mut self, ctx: &mut RCtx, node: NodeId) {
        let now = self.now_ms;
        let half = self.cfg.down_after_ms / 2;
        let l = self.links.entry(node).or_default();
        let elapsed = match (l.act_ping_ms, l.conn) {
            (Some(t), _) => now.saturating_sub(t),
            (None, None) => now.saturating_sub(l.last_avail_ms),
            (None, Some(_)) => 0,
        };
        if l.conn.is_some()
            && now - l.connected_ms > MIN_LINK_RECONNECT_MS
            && l.act_ping_ms.is_some_and(|t| now - t > half)
            && now - l.last_pong_ms > half
        {
            self.close_link(ctx, node);
        }
        self.check_pubsub_stall(ctx, node);
        let l = self.links.entry(node).or_default();
        if elapsed > self.cfg.down_after_ms {
            if l.sdown_since.is_none() {
                l.sdown_since = Some(now);
                if node == self.primary {
                    ctx.sometimes("redis:sdown");
                }
                self.event(ctx, "+sdown", node);
            }
        } else if l.sdown_since.take().is_some() {
            self.event(ctx, "-sdown", node);
            if node == self.primary && self.odown {
                self.odown = false;
                self.event(ctx, "-odown", node);
            }
        }
    }

    fn primary_sdown(&self) -> bool {
        self.links
            .get(&self.primary)
            .is_some_and(|l| l.sdown_since.is_some())
    }

    /// sentinelCheckObjectivelyDown: SDOWN here plus peers that said so within 5 ask periods.
    fn check_odown(&mut self, ctx: &mut RCtx) {
        let now = self.now_ms;
        self.peer_replies
            .retain(|_, r| now.saturating_sub(r.at_ms) <= 5 * ASK_MS);
        if !self.primary_sdown() {
            return;
        }
        let agree = 1 + self.peer_replies.values().filter(|r| r.down).count() as u32;
        let odown = agree >= self.cfg.quorum;
        if odown && !self.odown {
            self.odown = true;
            ctx.sometimes("redis:odown");
            ctx.record(RedisEvent::Odown {
                sentinel: self.index,
            });
            self.event(ctx, "+odown", self.primary);
        } else if !odown && self.odown {
            self.odown = false;
            self.event(ctx, "-odown", self.primary);
        }
    }

    /// sentinelAskMasterStateToOtherSentinels: while the primary is SDOWN, ask each peer whose
    /// last answer is older than the ask period (`forced`: all of them at once), with our id
    /// as the candidate during a failover.
    fn ask_peers(&mut self, ctx: &mut RCtx, forced: bool) {
        if !self.primary_sdown() {
            return;
        }
        let now = self.now_ms;
        let vote_for = self.failover.is_some().then_some(self.index);
        for (i, &p) in self.peers.iter().enumerate() {
            let i = i as u32;
            let answered = self.peer_replies.get(&i).map(|r| r.at_ms);
            let asked = self.last_ask_ms.get(&i).copied();
            // A peer that does not answer (partitioned, paused) is asked once per ask period.
            let quiet = |t: Option<u64>| t.is_none_or(|t| now - t >= ASK_MS);
            if !(forced || quiet(answered) && quiet(asked)) {
                continue;
            }
            self.last_ask_ms.insert(i, now);
            ctx.send(
                p,
                RedisMsg::IsDownReq {
                    epoch: self.current_epoch,
                    vote_for,
                    primary: self.primary,
                },
            );
        }
    }

    fn on_reply(&mut self, ctx: &mut RCtx, node: NodeId, kind: Pending, reply: Reply) {
        let now = self.now_ms;
        let l = self.links.entry(node).or_default();
        match (kind, reply) {
            (Pending::Ping, r) => {
                l.last_pong_ms = now;
                let text = r.render();
                if !r.is_err() || text.starts_with("-LOADING") || text.starts_with("-MASTERDOWN") {
                    l.last_avail_ms = now;
                    l.act_ping_ms = None;
                }
            }
            (Pending::Info, Reply::Info(info)) => {
                let info = *info;
                let master = info.primary.is_none();
                if master != l.reports_master {
                    l.reports_master = master;
                    l.role_reported_ms = now;
                }
                l.info = Some((info, now));
                self.discover_replicas(ctx, node);
                self.refresh_info(ctx, node);
            }
            _ => {}
        }
    }

    /// The acting half of sentinelRefreshInstanceInfo for a replica reporting role master:
    /// the promoted one moves the failover on; any other is converted back once it has
    /// reported master for 4 publish periods and has not been down meanwhile.
    fn refresh_info(&mut self, ctx: &mut RCtx, node: NodeId) {
        // "None of the following conditions are processed when in tilt mode".
        if node == self.primary || self.tilt.active() {
            return;
        }
        let now = self.now_ms;
        let reports_master = self
            .links
            .get(&node)
            .and_then(|l| l.info.as_ref())
            .map(|(i, _)| i.primary.is_none());
        let Some(reports_master) = reports_master else {
            return;
        };
        if reports_master {
            if self.promotion_seen(ctx, node) {
                return;
            }
            let Some(l) = self.links.get(&node) else {
                return;
            };
            let promoted = self.failover.as_ref().and_then(|f| f.promoted) == Some(node);
            let wait = 4 * HELLO_MS;
            let no_down_for = l.sdown_since.is_none_or(|t| now - t > wait);
            if !promoted
                && self.primary_looks_sane()
                && no_down_for
                && now - l.role_reported_ms > wait
            {
                let p = self.primary;
                let cmd = Cmd::SentinelReconf { primary: Some(p) };
                if self.send_cmd(ctx, node, cmd, Pending::Other) {
                    ctx.sometimes("redis:convert_to_replica");
                    self.event(ctx, "+convert-to-slave", node);
                }
            }
        } else {
            self.reconf_progress(ctx, node);
        }
    }

    /// sentinelMasterLooksSane: the primary is up, reports role master, and its INFO is recent.
    fn primary_looks_sane(&self) -> bool {
        self.links.get(&self.primary).is_some_and(|l| {
            l.sdown_since.is_none()
                && !self.odown
                && l.reports_master
                && l.info
                    .as_ref()
                    .is_some_and(|(_, at)| self.now_ms - at < 2 * INFO_MS)
        })
    }

    /// Bytes read from a server connection: window updates every 64 KiB. False when the
    /// connection is not one of ours.
    fn read_bytes(&mut self, ctx: &mut RCtx, conn: ConnId, bytes: u64) -> bool {
        let Some(&node) = self.by_conn.get(&conn) else {
            return false;
        };
        let l = self.links.entry(node).or_default();
        let unacked = match &mut l.pc {
            Some(p) if p.conn == conn => &mut p.unacked,
            _ => &mut l.unacked,
        };
        *unacked += bytes;
        if *unacked >= 64 * 1024 {
            ctx.send_conn(conn, RedisMsg::Consumed { bytes: *unacked });
            *unacked = 0;
        }
        true
    }

    /// sentinelVoteLeader: one vote per epoch, for the first asker; voting for another
    /// sentinel delays our own next failover attempt (failover_start_time = now + 0..1 s).
    fn vote_leader(&mut self, ctx: &mut RCtx, epoch: u64, cand: u32) -> Option<(u32, u64)> {
        if epoch > self.current_epoch {
            self.current_epoch = epoch;
        }
        let voted_epoch = self.vote.map_or(0, |(_, e)| e);
        if voted_epoch < epoch && self.current_epoch <= epoch {
            self.vote = Some((cand, self.current_epoch));
            if cand != self.index {
                let desync = ctx.rng().below(state::MAX_DESYNC_MS);
                self.failover_start_ms = Some(self.now_ms + desync);
            }
        }
        self.vote
    }
}

impl Actor<RedisMsg, RedisEvent> for Sentinel {
    fn on_start(&mut self, ctx: &mut RCtx) {
        self.now_ms = ctx.local_now().as_millis();
        self.tilt = Tilt::started(self.now_ms);
        self.reset_links(ctx);
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
                    match f {
                        Frame::Reply { id, reply } => {
                            self.pubsub_reply(conn, id);
                            if let Some((n, kind)) = self.pending.remove(&id) {
                                self.on_reply(ctx, n, kind, reply);
                            }
                        }
                        Frame::Message(r) => self.pubsub_message(ctx, conn, &r),
                    }
                }
            }
            // Pub/sub messages carry no reply; their bytes still count against the window.
            RedisMsg::Messages(r) => {
                if let Via::Conn(conn) = via
                    && self.read_bytes(ctx, conn, r.bytes())
                {
                    self.pubsub_message(ctx, conn, &r);
                }
            }
            RedisMsg::IsDownReq {
                epoch,
                vote_for,
                primary,
            } => {
                // A sentinel in TILT answers "not down" (but still votes).
                let down = !self.tilt.active() && primary == self.primary && self.primary_sdown();
                let leader = match vote_for {
                    Some(cand) if primary == self.primary => self.vote_leader(ctx, epoch, cand),
                    _ => None,
                };
                let (leader, leader_epoch) = match leader {
                    Some((l, e)) => (Some(l), e),
                    None => (None, 0),
                };
                ctx.send(
                    from,
                    RedisMsg::IsDownReply {
                        down,
                        leader,
                        leader_epoch,
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
                let reply = PeerReply {
                    at_ms: self.now_ms,
                    down,
                    leader: leader.map(|l| (l, leader_epoch)),
                };
                self.peer_replies.insert(peer as u32, reply);
            }
            RedisMsg::Hello {
                epoch,
                config_epoch,
                primary,
                ..
            } => self.process_hello(ctx, from, epoch, config_epoch, primary),
            RedisMsg::GetPrimary { req } => {
                ctx.send(
                    from,
                    RedisMsg::PrimaryIs {
                        req,
                        primary: self.current_primary(),
                    },
                );
            }
            _ => {}
        }
    }

    fn timer_name(&self, tag: u64) -> &'static str {
        match tag {
            T_TICK => "sentinelTimer",
            _ => "timer",
        }
    }

    fn on_timer(&mut self, ctx: &mut RCtx, _timer: TimerId, tag: u64) {
        self.now_ms = ctx.local_now().as_millis();
        if tag == T_TICK {
            self.tick(ctx);
        }
    }

    fn on_connection(&mut self, _ctx: &mut RCtx, event: ConnEvent) {
        if let ConnEvent::Closed { conn, .. } = event
            && let Some(&node) = self.by_conn.get(&conn)
        {
            if self.is_pubsub(node, conn) {
                self.pubsub_closed(node);
                return;
            }
            self.by_conn.remove(&conn);
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
        self.odown = false;
        self.peer_replies.clear();
        self.last_ask_ms.clear();
        self.failover = None;
        self.last_hello_ms = None;
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
