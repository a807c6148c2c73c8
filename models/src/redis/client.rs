//! A Redis client node and its connection: one connection to its server (or to the primary,
//! found through Sentinel), commands sent and awaiting replies, the connect timeout,
//! reconnecting with backoff and re-subscribing. What it receives is in `inbox.rs`, its steady
//! workloads in `workload.rs`, script steps in `script.rs`.

use super::config::{ClientSpec, Step};
use super::msg::RCtx;
use super::msg::{Cmd, Frame, RedisEvent, RedisMsg};
use super::stream_id::{ReadFrom, StreamId};
use msgsim_sim::{
    Actor, CloseReason, ConnEvent, ConnId, CrashKind, NodeId, SimDuration, TimerId, Via,
};
use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

const T_STEP: u64 = 1 << 48;
/// Timer tags; the workloads' (2..=6) are in workload.rs.
const T_RECONNECT: u64 = 1;
const T_DISCOVER: u64 = 7;
/// Connect timeout: a connection that got no byte back while commands wait is given up.
const T_CONN_CHECK: u64 = 1 << 47;
const CONNECT_TIMEOUT_MS: u64 = 2_000;
/// A step's `resp` when its command never got a reply (the connection was gone or closed).
pub const CLOSED: &str = "closed";

#[derive(Clone, Debug)]
pub(super) enum Pending {
    /// A script step: (step, command name, sent at µs, the server may hold it — WAIT, a
    /// blocking read).
    Step(u32, &'static str, u64, bool),
    Subscribe,
    Publish {
        first_seq: u64,
        count: u32,
        channel: Arc<str>,
        step: Option<u32>,
    },
    Write {
        key: String,
        value: u64,
    },
    Wait {
        key: String,
        value: u64,
    },
    XAdd {
        tag: u64,
        key: String,
    },
    ReadGroup,
    AutoClaim,
    Ignore,
}

impl Pending {
    /// A command the server may hold without answering (WAIT, a blocking read).
    fn may_block(&self) -> bool {
        matches!(self, Pending::Wait { .. } | Pending::Step(_, _, _, true))
    }
}

/// Commands awaiting their reply, in request-id order. Ids grow with every command and one
/// connection's replies come back in order, so a send appends and a reply takes the front:
/// a deque, with a binary search for the rare reply that is not first.
#[derive(Debug, Default)]
pub(super) struct Awaiting(VecDeque<(u64, Pending)>);

impl Awaiting {
    pub(super) fn insert(&mut self, id: u64, p: Pending) {
        match self.0.back() {
            Some((last, _)) if *last >= id => {
                let at = self.0.partition_point(|(k, _)| *k < id);
                if self.0.get(at).is_some_and(|(k, _)| *k == id) {
                    self.0[at].1 = p;
                } else {
                    self.0.insert(at, (id, p));
                }
            }
            _ => self.0.push_back((id, p)),
        }
    }

    pub(super) fn remove(&mut self, id: &u64) -> Option<Pending> {
        if self.0.front().is_some_and(|(k, _)| k == id) {
            return self.0.pop_front().map(|(_, p)| p);
        }
        let at = self.0.binary_search_by_key(id, |(k, _)| *k).ok()?;
        self.0.remove(at).map(|(_, p)| p)
    }

    pub(super) fn retain(&mut self, mut keep: impl FnMut(&u64, &Pending) -> bool) {
        self.0.retain(|(k, p)| keep(k, p));
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Pending> {
        self.0.iter().map(|(_, p)| p)
    }

    pub(super) fn clear(&mut self) {
        self.0.clear();
    }
}

impl IntoIterator for Awaiting {
    type Item = (u64, Pending);
    type IntoIter = std::collections::vec_deque::IntoIter<(u64, Pending)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A received run's key: (subscription name, publisher).
pub(super) type RunKey = (Rc<str>, u32);

pub struct Client {
    pub index: u32,
    pub(super) spec: Rc<ClientSpec>,
    pub(super) steps: Vec<(u32, Step)>,
    /// Fixed server, or `None` to follow the primary.
    pub(super) fixed: Option<NodeId>,
    pub(super) sentinels: Vec<NodeId>,
    pub(super) default_primary: NodeId,
    pub(super) names: Rc<BTreeMap<String, NodeId>>,
    pub(super) socket_buffer: u64,
    // Durable (ids stay unique across restarts).
    pub(super) next_seq: u64,
    pub(super) next_write: u64,
    pub(super) next_tag: u64,
    pub(super) epoch: u64,
    // Volatile.
    pub(super) conn: Option<(ConnId, NodeId)>,
    pub(super) connecting: bool,
    pub(super) manual_down: bool,
    pub(super) next_id: u64,
    pub(super) pending: Awaiting,
    pub(super) connect_step: Option<u32>,
    pub(super) unacked: u64,
    pub(super) unread: u64,
    pub(super) reading: bool,
    pub(super) publish_carry: u64,
    pub(super) discover_req: u64,
    pub(super) processed: BTreeSet<u64>,
    /// Tags already handled by the consumer (dead-lettered or acked), for the DLQ loop.
    pub(super) dead: BTreeSet<u64>,
    pub(super) stopped: bool,
    /// Open received ranges per (subscription, publisher), sorted by that key.
    pub(super) runs: Vec<(RunKey, (u64, u64))>,
    pub(super) queued: Vec<(Cmd, Pending)>,
    pub(super) heard: bool,
    /// The logical database the script SELECTed on this connection (0 after a connect).
    pub(super) db: u32,
    /// The connection speaks RESP3 (a script's `HELLO 3` was answered; RESP2 after a
    /// connect): how its replies are written (`Reply::resp_in`).
    pub(super) resp3: bool,
}

impl Client {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        index: u32,
        spec: Rc<ClientSpec>,
        steps: Vec<(u32, Step)>,
        fixed: Option<NodeId>,
        sentinels: Vec<NodeId>,
        default_primary: NodeId,
        names: Rc<BTreeMap<String, NodeId>>,
        socket_buffer: u64,
    ) -> Client {
        let reading = spec.read_rate_bytes_per_s != Some(0);
        Client {
            index,
            spec,
            steps,
            fixed,
            sentinels,
            default_primary,
            names,
            socket_buffer,
            next_seq: 0,
            next_write: 0,
            next_tag: 0,
            epoch: 0,
            conn: None,
            connecting: false,
            manual_down: false,
            next_id: 1,
            pending: Awaiting::default(),
            connect_step: None,
            unacked: 0,
            unread: 0,
            reading,
            publish_carry: 0,
            discover_req: 0,
            processed: BTreeSet::new(),
            dead: BTreeSet::new(),
            stopped: false,
            queued: Vec::new(),
            runs: Vec::new(),
            heard: false,
            db: 0,
            resp3: false,
        }
    }

    pub(super) fn auto_reconnect(&self) -> bool {
        let s = &self.spec;
        !s.subscribe.is_empty()
            || !s.psubscribe.is_empty()
            || s.publish.is_some()
            || s.write.is_some()
            || s.stream_produce.is_some()
            || s.stream_consume.is_some()
    }

    /// Find the server: fixed, or the primary (SENTINEL get-master-addr-by-name).
    pub(super) fn connect(&mut self, ctx: &mut RCtx) {
        if self.conn.is_some() || self.connecting {
            return;
        }
        match (self.fixed, self.sentinels.is_empty()) {
            (Some(node), _) => self.open(ctx, node),
            (None, true) => self.open(ctx, self.default_primary),
            (None, false) => {
                self.connecting = true;
                self.discover_req += 1;
                let s = self.sentinels[(self.discover_req as usize) % self.sentinels.len()];
                ctx.send(
                    s,
                    RedisMsg::GetPrimary {
                        req: self.discover_req,
                    },
                );
                ctx.set_timer(SimDuration::from_millis(500), T_DISCOVER);
            }
        }
    }

    pub(super) fn open(&mut self, ctx: &mut RCtx, node: NodeId) {
        self.connecting = false;
        let conn = ctx.connect(node);
        self.conn = Some((conn, node));
        self.epoch += 1;
        self.heard = false;
        self.db = 0;
        self.resp3 = false;
        ctx.set_timer(
            SimDuration::from_millis(CONNECT_TIMEOUT_MS),
            T_CONN_CHECK | self.epoch,
        );
        self.unacked = 0;
        self.unread = 0;
        ctx.record(RedisEvent::Connected {
            client: self.index,
            server: node,
            epoch: self.epoch,
        });
        let s = self.spec.clone();
        if !s.subscribe.is_empty() {
            self.send(
                ctx,
                Cmd::Subscribe {
                    channels: s.subscribe.clone(),
                },
                Pending::Subscribe,
            );
        }
        if !s.psubscribe.is_empty() {
            self.send(
                ctx,
                Cmd::Psubscribe {
                    patterns: s.psubscribe.clone(),
                },
                Pending::Subscribe,
            );
        }
        for (cmd, p) in std::mem::take(&mut self.queued) {
            self.send(ctx, cmd, p);
        }
        if let Some(c) = &s.stream_consume {
            // After a (re)connect, first re-read our own pending entries (history, id 0).
            let cmd = Cmd::XReadGroup {
                key: c.key.clone(),
                group: c.group.clone(),
                consumer: c.consumer.clone(),
                id: ReadFrom::After(StreamId::ZERO),
                count: c.count,
                noack: false,
                block_ms: None,
            };
            self.send(ctx, cmd, Pending::ReadGroup);
        }
    }

    pub(super) fn send(&mut self, ctx: &mut RCtx, cmd: Cmd, p: Pending) -> bool {
        if self.conn.is_none() && self.connecting {
            // Sent once the primary is known (commands queue behind discovery).
            self.queued.push((cmd, p));
            return true;
        }
        let Some((conn, _)) = self.conn else {
            self.fail(ctx, p);
            return false;
        };
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(id, p);
        ctx.send_conn(
            conn,
            RedisMsg::Command {
                id,
                cmd: Box::new(cmd),
            },
        );
        true
    }

    /// A command that never got a reply (connection gone).
    pub(super) fn fail(&mut self, ctx: &mut RCtx, p: Pending) {
        match p {
            Pending::Step(step, cmd, ..) => {
                let expected = self
                    .steps
                    .iter()
                    .find(|(i, _)| *i == step)
                    .and_then(|(_, s)| s.expect.clone());
                let ok = expected
                    .as_deref()
                    .is_none_or(|e| e == "(error) connection closed");
                ctx.record(RedisEvent::Step {
                    step,
                    resp: CLOSED.into(),
                    cmd,
                    reply: "(error) connection closed".into(),
                    expected,
                    ok,
                    latency_us: 0,
                });
            }
            Pending::Publish {
                first_seq,
                count,
                step,
                ..
            } => {
                if let Some(step) = step {
                    self.fail(ctx, Pending::Step(step, "publish", 0, false));
                }
                ctx.record(RedisEvent::PublishFailed {
                    publisher: self.index,
                    first_seq,
                    count,
                })
            }
            Pending::Write { .. } | Pending::Wait { .. } => ctx.record(RedisEvent::WriteErr {
                client: self.index,
                err: "connection closed".into(),
            }),
            _ => {}
        }
    }

    pub(super) fn server(&self) -> NodeId {
        self.conn.map_or(self.default_primary, |(_, n)| n)
    }

    pub(super) fn closed(&mut self, ctx: &mut RCtx) {
        // A script-only client without `reconnect` stays down, as after a Disconnect step:
        // its next commands fail with "connection closed" (redis-py without retries).
        if !self.auto_reconnect() && !self.spec.reconnect {
            self.manual_down = true;
        }
        self.flush_runs(ctx);
        ctx.record(RedisEvent::Disconnected {
            client: self.index,
            epoch: self.epoch,
        });
        for (_, p) in std::mem::take(&mut self.pending) {
            self.fail(ctx, p);
        }
        self.connect_step = None;
        // Reconnect even in the quiet phase: it stops the load generators (`stopped`), not
        // the client library, which reconnects whenever its connection breaks (redis-py's
        // retry on ConnectionError, Lettuce's ConnectionWatchdog). A consumer that learns of
        // its broken connection only after the quiet phase began (it was paused) must still
        // come back and drain its group.
        if !self.manual_down && self.auto_reconnect() {
            ctx.set_timer(
                SimDuration::from_millis(self.spec.reconnect_backoff_ms),
                T_RECONNECT,
            );
        }
    }

    /// A write that carried a list of frames. Out of line: `on_message` is entered for every
    /// pub/sub range (`RedisMsg::Messages`), and keeping this rarer arm out of it keeps that
    /// entry and exit short.
    #[inline(never)]
    fn on_frames(&mut self, ctx: &mut RCtx, frames: Vec<Frame>, bytes: u64) {
        self.heard = true;
        for f in frames {
            match f {
                Frame::Reply { id, reply } => self.on_reply(ctx, id, reply),
                Frame::Message(r) => self.received(ctx, r),
            }
        }
        self.read(ctx, bytes);
    }
}

impl Actor<RedisMsg, RedisEvent> for Client {
    fn on_start(&mut self, ctx: &mut RCtx) {
        let steps: Vec<(u32, u64)> = self.steps.iter().map(|(i, s)| (*i, s.at_ms)).collect();
        let now = ctx.now().as_millis();
        for (i, at) in steps {
            if at >= now {
                ctx.set_timer(SimDuration::from_millis(at - now), T_STEP | i as u64);
            }
        }
        let s = self.spec.clone();
        if s.connect_at_start || self.auto_reconnect() {
            self.connect(ctx);
        }
        self.start_workloads(ctx, now);
    }

    fn on_message(&mut self, ctx: &mut RCtx, _from: NodeId, _via: Via, msg: RedisMsg) {
        match msg {
            RedisMsg::Frames { frames, bytes } => self.on_frames(ctx, frames, bytes),
            RedisMsg::Messages(r) => {
                self.heard = true;
                let bytes = r.bytes();
                self.received(ctx, r);
                self.read(ctx, bytes);
            }
            RedisMsg::PrimaryIs { req, primary } if req == self.discover_req && self.connecting => {
                self.open(ctx, primary);
            }
            _ => {}
        }
    }

    fn timer_name(&self, tag: u64) -> &'static str {
        if tag & T_STEP != 0 {
            return "script step";
        }
        if tag & T_CONN_CHECK != 0 {
            return "reply timeout";
        }
        match tag {
            T_RECONNECT => "reconnect",
            T_DISCOVER => "sentinel discovery",
            _ => self.workload_timer_name(tag),
        }
    }

    fn on_timer(&mut self, ctx: &mut RCtx, _timer: TimerId, tag: u64) {
        if tag & T_STEP != 0 {
            self.run_step(ctx, (tag & !T_STEP) as u32);
            return;
        }
        if tag & T_CONN_CHECK != 0 {
            // The kernel never fails a connect to a crashed node: time it out like a client
            // library's connect timeout.
            // A request the server may legitimately hold (WAIT, a blocking read) is never
            // abandoned: clients have no request timeout unless one is configured (redis-py
            // `socket_timeout` defaults to none).
            if tag & !T_CONN_CHECK == self.epoch
                && !self.heard
                && self.pending.values().any(|p| !p.may_block())
                && let Some((conn, _)) = self.conn.take()
            {
                ctx.close(conn);
                self.closed(ctx);
            }
            return;
        }
        match tag {
            T_RECONNECT => {
                if !self.manual_down && self.conn.is_none() {
                    self.connect(ctx);
                }
            }
            T_DISCOVER => {
                if self.connecting {
                    self.connecting = false;
                    self.connect(ctx);
                }
            }
            _ => self.on_workload_timer(ctx, tag),
        }
    }

    fn on_connection(&mut self, ctx: &mut RCtx, event: ConnEvent) {
        if let ConnEvent::Closed { conn, reason, .. } = event
            && self.conn.is_some_and(|(c, _)| c == conn)
        {
            self.conn = None;
            if reason != CloseReason::ClosedByPeer {
                ctx.sometimes("redis:client_conn_broken");
            }
            self.closed(ctx);
        }
    }

    fn on_quiet(&mut self, _ctx: &mut RCtx) {
        self.stopped = true;
    }

    fn on_crash(&mut self, _kind: CrashKind) {
        self.conn = None;
        self.connecting = false;
        self.pending.clear();
        self.unacked = 0;
        self.unread = 0;
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
