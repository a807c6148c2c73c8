//! Echo client: keeps `window` numbered requests in flight.

use super::config::{EchoConfig, Transport, timeout};
use super::msg::{EchoEvent, EchoMsg};
use msgsim_sim::{
    Actor, CloseReason, ConnEvent, ConnId, CrashKind, Ctx, NodeId, SimDuration, TimerId, Via,
};
use std::any::Any;
use std::collections::{BTreeSet, VecDeque};

/// Timer tags: a request id (timeout) unless one of these bits is set.
const THINK: u64 = 1 << 62;
const RECONNECT: u64 = 1 << 61;

pub struct EchoClient {
    config: EchoConfig,
    servers: Vec<NodeId>,
    /// Request ids are `client_index << 40 | sequence`, unique across restarts (durable).
    id_base: u64,
    next_seq: u64,
    /// First sequence number of this incarnation (durable with `next_seq`): a reply to an
    /// earlier one answers a request the client forgot when it crashed.
    incarnation_first_seq: u64,
    // Volatile state: dropped at a crash.
    /// Requests in flight, indexed by `seq - window_base` (ids are sequential, so a ring of
    /// slots replaces a map: O(1) insert and remove).
    window: VecDeque<Option<(msgsim_sim::SimTime, Option<TimerId>)>>,
    window_base: u64,
    outstanding: usize,
    timed_out: BTreeSet<u64>,
    conns: Vec<Option<ConnId>>,
    stopped: bool,
}

impl EchoClient {
    pub fn new(config: &EchoConfig, servers: Vec<NodeId>, index: u64) -> EchoClient {
        let conns = vec![None; servers.len()];
        EchoClient {
            config: config.clone(),
            servers,
            id_base: index << 40,
            next_seq: 0,
            incarnation_first_seq: 0,
            window: VecDeque::new(),
            window_base: 0,
            outstanding: 0,
            timed_out: BTreeSet::new(),
            conns,
            stopped: false,
        }
    }

    /// Requests answered or timed out so far are not tracked; this is how many are in flight.
    pub fn in_flight(&self) -> usize {
        self.outstanding
    }

    fn insert(&mut self, seq: u64, entry: (msgsim_sim::SimTime, Option<TimerId>)) {
        if self.window.is_empty() {
            self.window_base = seq;
        }
        debug_assert_eq!(
            seq,
            self.window_base + self.window.len() as u64,
            "sequential ids"
        );
        self.window.push_back(Some(entry));
        self.outstanding += 1;
    }

    fn remove(&mut self, id: u64) -> Option<(msgsim_sim::SimTime, Option<TimerId>)> {
        if id & !((1 << 40) - 1) != self.id_base || id & ((1 << 40) - 1) < self.window_base {
            return None;
        }
        let index = ((id & ((1 << 40) - 1)) - self.window_base) as usize;
        let entry = self.window.get_mut(index)?.take()?;
        self.outstanding -= 1;
        while matches!(self.window.front(), Some(None)) {
            self.window.pop_front();
            self.window_base += 1;
        }
        Some(entry)
    }

    fn exhausted(&self) -> bool {
        self.config.requests_per_client != 0 && self.next_seq >= self.config.requests_per_client
    }

    fn fill_window(&mut self, ctx: &mut Ctx<'_, EchoMsg, EchoEvent>) {
        while !self.stopped && !self.exhausted() && self.outstanding < self.config.window as usize {
            self.send_next(ctx);
        }
    }

    fn send_next(&mut self, ctx: &mut Ctx<'_, EchoMsg, EchoEvent>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let id = self.id_base | seq;
        let server = (seq % self.servers.len() as u64) as usize;
        let msg = EchoMsg::Request {
            id,
            bytes: self.config.request_bytes,
        };
        match self.config.transport {
            Transport::Datagram => ctx.send(self.servers[server], msg),
            Transport::Connection => {
                let conn = match self.conns[server] {
                    Some(c) => c,
                    None => {
                        let c = ctx.connect(self.servers[server]);
                        self.conns[server] = Some(c);
                        c
                    }
                };
                ctx.send_conn(conn, msg);
            }
        }
        let timer = timeout(&self.config).map(|t| ctx.set_timer(t, id));
        self.insert(seq, (ctx.now(), timer));
        ctx.record(EchoEvent::Invoke { id });
    }

    /// A reply (`ok`) or an error reply (`!ok`) to request `id`.
    fn on_reply(&mut self, ctx: &mut Ctx<'_, EchoMsg, EchoEvent>, id: u64, ok: bool) {
        let Some((sent_at, timer)) = self.remove(id) else {
            if id & ((1 << 40) - 1) < self.incarnation_first_seq {
                // Sent before this client crashed: its outcome died with the client (Jepsen
                // `info`), so the reply is an orphan, not a duplicate.
                ctx.record(EchoEvent::OrphanReply { id });
            } else if self.timed_out.remove(&id) {
                ctx.record(EchoEvent::LateReply { id });
            } else {
                ctx.record(EchoEvent::DuplicateReply { id });
            }
            return;
        };
        if let Some(timer) = timer {
            ctx.cancel_timer(timer);
        }
        let latency_ns = (ctx.now() - sent_at).as_nanos();
        if ok {
            ctx.record(EchoEvent::Ok { id, latency_ns });
        } else {
            ctx.record(EchoEvent::Fail { id });
        }
        if self.config.think_time_us > 0 {
            ctx.set_timer(SimDuration::from_micros(self.config.think_time_us), THINK);
        } else {
            self.fill_window(ctx);
        }
    }
}

impl Actor<EchoMsg, EchoEvent> for EchoClient {
    fn on_start(&mut self, ctx: &mut Ctx<'_, EchoMsg, EchoEvent>) {
        self.incarnation_first_seq = self.next_seq;
        self.fill_window(ctx);
    }

    fn on_message(
        &mut self,
        ctx: &mut Ctx<'_, EchoMsg, EchoEvent>,
        _from: NodeId,
        _via: Via,
        msg: EchoMsg,
    ) {
        match msg {
            EchoMsg::Reply { id, .. } => self.on_reply(ctx, id, true),
            EchoMsg::Error { id, .. } => self.on_reply(ctx, id, false),
            EchoMsg::Request { .. } => {}
        }
    }

    fn timer_name(&self, tag: u64) -> &'static str {
        if tag & THINK != 0 {
            "think time"
        } else if tag & RECONNECT != 0 {
            "reconnect"
        } else {
            "request timeout"
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, EchoMsg, EchoEvent>, _timer: TimerId, tag: u64) {
        if tag & THINK != 0 {
            self.fill_window(ctx);
        } else if tag & RECONNECT != 0 {
            let server = (tag & !RECONNECT) as usize;
            if self.conns[server].is_none() && !self.stopped {
                self.conns[server] = Some(ctx.connect(self.servers[server]));
                ctx.record(EchoEvent::Reconnect);
            }
        } else if self.remove(tag).is_some() {
            ctx.record(EchoEvent::Info { id: tag });
            self.timed_out.insert(tag);
            self.fill_window(ctx);
        }
    }

    fn on_connection(&mut self, ctx: &mut Ctx<'_, EchoMsg, EchoEvent>, event: ConnEvent) {
        if let ConnEvent::Closed { conn, reason, .. } = event {
            let Some(server) = self.conns.iter().position(|c| *c == Some(conn)) else {
                return;
            };
            self.conns[server] = None;
            if reason != CloseReason::ClosedByPeer {
                ctx.sometimes("echo:connection_broken");
            }
            let backoff = SimDuration::from_millis(self.config.reconnect_backoff_ms);
            ctx.set_timer(backoff, RECONNECT | server as u64);
        }
    }

    fn on_quiet(&mut self, _ctx: &mut Ctx<'_, EchoMsg, EchoEvent>) {
        self.stopped = true;
    }

    fn on_crash(&mut self, _kind: CrashKind) {
        self.window.clear();
        self.outstanding = 0;
        self.timed_out.clear();
        self.conns.iter_mut().for_each(|c| *c = None);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
