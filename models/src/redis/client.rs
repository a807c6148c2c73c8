//! A Redis client node: one connection to its server (or to the primary, found through
//! Sentinel), script steps, and steady workloads (publisher, subscriber, writer, stream
//! producer / consumer). Reconnects with backoff and re-subscribes; reads its socket at a
//! configurable rate (a slow or frozen subscriber makes the server's output buffer grow).

use super::config::{ClientSpec, Step};
use super::msg::{Cmd, Frame, RedisEvent, RedisMsg, Reply};
use super::server::RCtx;
use super::stream::StreamId;
use msgsim_sim::{
    Actor, CloseReason, ConnEvent, ConnId, CrashKind, NodeId, SimDuration, TimerId, Via,
};
use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

const T_STEP: u64 = 1 << 48;
const T_RECONNECT: u64 = 1;
const T_PUBLISH: u64 = 2;
const T_WRITE: u64 = 3;
const T_XADD: u64 = 4;
const T_POLL: u64 = 5;
const T_READ: u64 = 6;
const T_DISCOVER: u64 = 7;
/// Connect timeout: a connection that got no byte back while commands wait is given up.
const T_CONN_CHECK: u64 = 1 << 47;
const CONNECT_TIMEOUT_MS: u64 = 2_000;

#[derive(Clone, Debug)]
pub(super) enum Pending {
    Step(u32, &'static str, u64),
    Subscribe,
    Publish {
        first_seq: u64,
        count: u32,
        channel: String,
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
    pub(super) pending: BTreeMap<u64, Pending>,
    pub(super) connect_step: Option<u32>,
    pub(super) unacked: u64,
    pub(super) unread: u64,
    pub(super) reading: bool,
    publish_carry: u64,
    pub(super) discover_req: u64,
    pub(super) processed: BTreeSet<u64>,
    /// Tags already handled by the consumer (dead-lettered or acked), for the DLQ loop.
    pub(super) dead: BTreeSet<u64>,
    pub(super) stopped: bool,
    /// Open received ranges per (subscription, publisher), sorted by that key.
    pub(super) runs: Vec<(RunKey, (u64, u64))>,
    pub(super) queued: Vec<(Cmd, Pending)>,
    pub(super) heard: bool,
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
            pending: BTreeMap::new(),
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
                id: Some(StreamId::ZERO),
                count: c.count,
                noack: false,
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
            Pending::Step(step, cmd, _) => {
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
                    self.fail(ctx, Pending::Step(step, "publish", 0));
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

    pub(super) fn on_reply(&mut self, ctx: &mut RCtx, id: u64, reply: Reply) {
        if id == 0 {
            // A connection-level error (maxclients): answers the pending Connect step.
            if let Some(step) = self.connect_step.take() {
                self.step_reply(ctx, step, "connect", 0, &reply);
                self.pending
                    .retain(|_, p| !matches!(p, Pending::Step(s, _, _) if *s == step));
            }
            return;
        }
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        let server = self.server();
        match p {
            Pending::Step(step, cmd, sent) => {
                if self.connect_step == Some(step) {
                    self.connect_step = None;
                }
                self.step_reply(ctx, step, cmd, sent, &reply);
                if let Reply::Array(subs) = &reply {
                    self.record_subscribed(ctx, subs);
                }
            }
            Pending::Subscribe => {
                if let Reply::Array(subs) = &reply {
                    self.record_subscribed(ctx, subs);
                }
            }
            Pending::Publish {
                first_seq,
                count,
                channel,
                step,
            } => {
                if let Some(step) = step {
                    self.step_reply(ctx, step, "publish", 0, &reply);
                }
                match reply {
                    Reply::Publish(runs) => ctx.record(RedisEvent::Published {
                        publisher: self.index,
                        channel,
                        first_seq,
                        runs,
                        server,
                        explicit: self.fixed.is_some(),
                    }),
                    _ => ctx.record(RedisEvent::PublishFailed {
                        publisher: self.index,
                        first_seq,
                        count,
                    }),
                }
            }
            Pending::Write { key, value } => match reply {
                Reply::Err(err) => ctx.record(RedisEvent::WriteErr {
                    client: self.index,
                    err,
                }),
                _ => {
                    let w = self.spec.write.as_ref().map_or(0, |w| w.wait_replicas);
                    if w > 0 {
                        let t = self.spec.write.as_ref().map_or(0, |w| w.wait_timeout_ms);
                        self.send(
                            ctx,
                            Cmd::Wait {
                                numreplicas: w,
                                timeout_ms: t,
                            },
                            Pending::Wait { key, value },
                        );
                    } else {
                        ctx.record(RedisEvent::WriteOk {
                            client: self.index,
                            key,
                            value,
                            server,
                            waited: None,
                        });
                    }
                }
            },
            Pending::Wait { key, value } => {
                let waited = if let Reply::Int(n) = reply {
                    Some(n)
                } else {
                    None
                };
                ctx.record(RedisEvent::WriteOk {
                    client: self.index,
                    key,
                    value,
                    server,
                    waited,
                });
            }
            Pending::XAdd { tag, key } => {
                if let Reply::Id(sid) = reply {
                    ctx.record(RedisEvent::StreamAdded {
                        client: self.index,
                        key,
                        id: sid.to_string(),
                        tag,
                        server,
                    });
                }
            }
            Pending::ReadGroup | Pending::AutoClaim => self.consume_entries(ctx, &reply),
            Pending::Ignore => {}
        }
    }

    pub(super) fn record_subscribed(&mut self, ctx: &mut RCtx, subs: &[Reply]) {
        for s in subs {
            if let Reply::Array(v) = s
                && let [Reply::Bulk(kind), Reply::Bulk(name), _] = v.as_slice()
                && (kind == "subscribe" || kind == "psubscribe")
            {
                let server = self.server();
                let ev = RedisEvent::Subscribed {
                    client: self.index,
                    server,
                    name: name.clone(),
                    pattern: kind == "psubscribe",
                    epoch: self.epoch,
                };
                ctx.record(ev);
            } else if let Reply::Array(v) = s
                && let [Reply::Bulk(kind), Reply::Bulk(name), _] = v.as_slice()
                && (kind == "unsubscribe" || kind == "punsubscribe")
            {
                ctx.record(RedisEvent::Unsubscribed {
                    client: self.index,
                    name: name.clone(),
                    pattern: kind == "punsubscribe",
                });
            }
        }
    }

    /// Stream consumer: process entries (XACK all but poison ones), dead-letter entries whose
    /// delivery counter reached the limit: XADD to `<key>:dlq`, then XACK (two steps).
    pub(super) fn consume(&mut self, ctx: &mut RCtx, bytes: u64) {
        self.unacked += bytes;
        if self.unacked >= self.socket_buffer / 4
            && let Some((conn, _)) = self.conn
        {
            ctx.send_conn(
                conn,
                RedisMsg::Consumed {
                    bytes: self.unacked,
                },
            );
            self.unacked = 0;
        }
    }

    /// Bytes arrived on the socket: read at once, or left for the paced reader.
    fn read(&mut self, ctx: &mut RCtx, bytes: u64) {
        if self.reading && self.spec.read_rate_bytes_per_s.is_none() {
            self.consume(ctx, bytes);
        } else {
            self.unread += bytes;
        }
    }

    /// Received messages are recorded as ranges: a contiguous run from one publisher on one
    /// subscription is extended in place and written to the history when the run breaks, on
    /// disconnect, and at the end of the run (`unflushed`).
    pub(super) fn received(
        &mut self,
        ctx: &mut RCtx,
        sub: Rc<str>,
        publisher: u32,
        first: u64,
        count: u32,
    ) {
        let end = first + count as u64;
        // A subscriber has a few runs: a scan comparing the shared name by pointer first
        // beats an ordered-map lookup comparing strings.
        let found = self
            .runs
            .iter()
            .position(|((s, p), _)| *p == publisher && (Rc::ptr_eq(s, &sub) || **s == *sub));
        match found {
            Some(i) => {
                let r = &mut self.runs[i].1;
                if r.1 == first {
                    r.1 = end;
                } else {
                    let (a, b) = *r;
                    *r = (first, end);
                    self.record_run(ctx, &sub, publisher, a, b);
                }
            }
            None => {
                let key = (sub, publisher);
                let at = self.runs.partition_point(|(k, _)| *k < key);
                self.runs.insert(at, (key, (first, end)));
            }
        }
    }

    pub(super) fn record_run(&self, ctx: &mut RCtx, sub: &str, publisher: u32, a: u64, b: u64) {
        let mut first = a;
        while first < b {
            let count = (b - first).min(u32::MAX as u64) as u32;
            let ev = RedisEvent::Received {
                client: self.index,
                sub: sub.to_string(),
                publisher,
                first_seq: first,
                count,
            };
            ctx.record(ev);
            first += count as u64;
        }
    }

    pub(super) fn flush_runs(&mut self, ctx: &mut RCtx) {
        for ((sub, p), (a, b)) in std::mem::take(&mut self.runs) {
            self.record_run(ctx, &sub, p, a, b);
        }
    }

    /// Ranges received but not yet written to the history (for the checker at the end).
    pub fn unflushed(&self) -> Vec<(String, u32, u64, u64)> {
        self.runs
            .iter()
            .map(|((s, p), (a, b))| (s.to_string(), *p, *a, *b))
            .collect()
    }

    pub(super) fn closed(&mut self, ctx: &mut RCtx) {
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

    pub(super) fn every(&self, rate: u64) -> SimDuration {
        SimDuration::from_nanos(1_000_000_000 / rate.max(1))
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
        let start = |ms: u64| SimDuration::from_millis(ms.saturating_sub(now));
        if let Some(p) = &s.publish {
            ctx.set_timer(
                start(p.start_ms) + SimDuration::from_millis(p.batch_ms),
                T_PUBLISH,
            );
        }
        if let Some(w) = &s.write {
            ctx.set_timer(start(w.start_ms) + self.every(w.rate_per_s), T_WRITE);
        }
        if let Some(x) = &s.stream_produce {
            ctx.set_timer(start(x.start_ms) + self.every(x.rate_per_s), T_XADD);
        }
        if let Some(c) = &s.stream_consume {
            ctx.set_timer(SimDuration::from_millis(c.poll_ms), T_POLL);
        }
        if let Some(r) = s.read_rate_bytes_per_s.filter(|r| *r > 0) {
            let _ = r;
            ctx.set_timer(SimDuration::from_millis(100), T_READ);
        }
    }

    fn on_message(&mut self, ctx: &mut RCtx, _from: NodeId, _via: Via, msg: RedisMsg) {
        match msg {
            RedisMsg::Frames { frames, bytes } => {
                self.heard = true;
                for f in frames {
                    match f {
                        Frame::Reply { id, reply } => self.on_reply(ctx, id, reply),
                        Frame::Message {
                            channel,
                            pattern,
                            publisher,
                            first_seq,
                            count,
                            ..
                        } => {
                            let sub = pattern.unwrap_or(channel);
                            self.received(ctx, sub, publisher, first_seq, count);
                        }
                    }
                }
                self.read(ctx, bytes);
            }
            RedisMsg::Messages {
                sub,
                first_seq,
                publisher,
                count,
                bytes_each,
            } => {
                self.heard = true;
                self.received(ctx, sub, publisher, first_seq, count);
                self.read(ctx, count as u64 * bytes_each as u64);
            }
            RedisMsg::PrimaryIs { req, primary } if req == self.discover_req && self.connecting => {
                self.open(ctx, primary);
            }
            _ => {}
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
            if tag & !T_CONN_CHECK == self.epoch
                && !self.heard
                && !self.pending.is_empty()
                && let Some((conn, _)) = self.conn.take()
            {
                ctx.close(conn);
                self.closed(ctx);
            }
            return;
        }
        let s = self.spec.clone();
        match tag {
            T_RECONNECT if !self.manual_down && self.conn.is_none() => self.connect(ctx),
            T_DISCOVER if self.connecting => {
                self.connecting = false;
                self.connect(ctx);
            }
            T_PUBLISH => {
                let Some(p) = &s.publish else { return };
                if self.stopped {
                    return;
                }
                ctx.set_timer(SimDuration::from_millis(p.batch_ms), T_PUBLISH);
                self.publish_carry += p.rate_per_s * p.batch_ms;
                let count = (self.publish_carry / 1_000) as u32;
                self.publish_carry %= 1_000;
                if count == 0 || self.conn.is_none() {
                    return;
                }
                self.send_publish(ctx, p.channel.clone(), p.payload_bytes, count, None);
            }
            T_WRITE => {
                let Some(w) = &s.write else { return };
                if self.stopped || (w.stop_ms > 0 && ctx.now().as_millis() >= w.stop_ms) {
                    return;
                }
                ctx.set_timer(self.every(w.rate_per_s), T_WRITE);
                if self.conn.is_none() {
                    return;
                }
                self.next_write += 1;
                let value = (self.index as u64) << 40 | self.next_write;
                let key = format!("k{}:{}", self.index, self.next_write);
                self.send(
                    ctx,
                    Cmd::Set {
                        key: key.clone(),
                        value,
                        bytes: Some(16),
                    },
                    Pending::Write { key, value },
                );
            }
            T_XADD => {
                let Some(x) = &s.stream_produce else { return };
                if self.stopped {
                    return;
                }
                ctx.set_timer(self.every(x.rate_per_s), T_XADD);
                if self.conn.is_none() {
                    return;
                }
                let tag = self.tag();
                let cmd = Cmd::XAdd {
                    key: x.key.clone(),
                    id: None,
                    maxlen: x.maxlen,
                    minid: None,
                    tag,
                    bytes: x.payload_bytes,
                };
                self.send(
                    ctx,
                    cmd,
                    Pending::XAdd {
                        tag,
                        key: x.key.clone(),
                    },
                );
            }
            T_POLL => {
                let Some(c) = &s.stream_consume else { return };
                ctx.set_timer(SimDuration::from_millis(c.poll_ms), T_POLL);
                if self.conn.is_none()
                    || self
                        .pending
                        .values()
                        .any(|p| matches!(p, Pending::ReadGroup | Pending::AutoClaim))
                {
                    return;
                }
                let cmd = Cmd::XReadGroup {
                    key: c.key.clone(),
                    group: c.group.clone(),
                    consumer: c.consumer.clone(),
                    id: None,
                    count: c.count,
                    noack: false,
                };
                self.send(ctx, cmd, Pending::ReadGroup);
                if c.claim_idle_ms > 0 {
                    let cmd = Cmd::XAutoClaim {
                        key: c.key.clone(),
                        group: c.group.clone(),
                        consumer: c.consumer.clone(),
                        min_idle_ms: c.claim_idle_ms,
                        start: StreamId::ZERO,
                        count: c.count,
                        justid: false,
                    };
                    self.send(ctx, cmd, Pending::AutoClaim);
                }
            }
            T_READ => {
                let Some(r) = s.read_rate_bytes_per_s else {
                    return;
                };
                ctx.set_timer(SimDuration::from_millis(100), T_READ);
                if self.reading {
                    let n = self.unread.min(r / 10);
                    self.unread -= n;
                    self.consume(ctx, n);
                }
            }
            _ => {}
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
