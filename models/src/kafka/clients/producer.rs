//! The producer client: a workload generator plus KafkaProducer's accumulator and Sender —
//! per-partition batches, max.in.flight per connection, acks, retries with exponential backoff,
//! request.timeout.ms per attempt, delivery.timeout.ms per batch, idempotence (producer id,
//! epoch, per-partition sequence), and client-side max.request.size. Every batch ends `ok`,
//! `fail` (definitely not written) or `info` (may have been written).

use super::accumulator::Accumulator;
use super::metadata_pacing::MetadataRequests;
use crate::kafka::config::{Acks, KafkaConfig};
use crate::kafka::wire::keys::KeySpec;
use crate::kafka::wire::msg::{KErr, KEvent, KMsg, MetaSnapshot, Peers, WireBatch, tag, tag_kind};
use crate::kafka::wire::values::Values;
use msgsim_sim::{Actor, ConnEvent, CrashKind, Ctx, NodeId, SimDuration, SimTime, TimerId, Via};
use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

mod scripted;
mod timeouts;

/// A send's outcome: the base offset (None without one, acks=0) or the error.
pub type SendOutcome = Result<Option<u64>, KErr>;

const T_TICK: u64 = 1;
const T_MD_TIMEOUT: u64 = 3;
const T_RETRY: u64 = 4;
const T_MD_RETRY: u64 = 5;

#[derive(Debug)]
struct PBatch {
    p: u32,
    values: Values,
    bytes: u64,
    seq: i32,
    epoch: i16,
    created: SimTime,
    ts_ms: i64,
    attempts: u32,
    in_flight: bool,
    maybe_written: bool,
    ready_at: SimTime,
    /// Room below the next batch's id, for split halves (ids keep send order).
    id_gap: u64,
}

/// Batch ids are spaced so that a split batch's halves sort between it and its successor.
const ID_GAP: u64 = 1 << 20;

#[derive(Debug)]
struct InFlight {
    broker: u32,
    ids: Vec<u64>,
    /// request.timeout.ms deadline (checked on every tick: no timer per request).
    deadline: SimTime,
}

pub struct Producer {
    cfg: Rc<KafkaConfig>,
    idx: u32,
    // ---- durable (the application's own bookkeeping) ----
    counter: u64,
    sessions: i64,
    /// Values without a definite outcome, by partition (resend_unconfirmed_on_restart).
    unconfirmed: BTreeMap<u64, u32>,
    // ---- volatile ----
    pid: i64,
    epoch: i16,
    md: Option<Rc<MetaSnapshot>>,
    md_requests: MetadataRequests,
    open: Vec<Vec<u64>>,
    batches: BTreeMap<u64, PBatch>,
    /// Which batch of each partition goes next (deques, muting, sequence bookkeeping).
    acc: Accumulator,
    next_seq: Vec<i32>,
    in_flight: BTreeMap<u64, InFlight>,
    per_broker: BTreeMap<u32, u32>,
    next_id: u64,
    next_req: u64,
    owed_milli: u64,
    peers: Peers,
    stopped: bool,
    retry_timer: Option<SimTime>,
    /// KIP-360: an epoch bump is due once nothing is in flight.
    needs_bump: bool,
    /// Partitions whose sent batches the bump re-sequences too: the broker rejected their
    /// sequence (OUT_OF_ORDER_SEQUENCE; TransactionManager `partitionsToRewriteSequences`).
    rewrite_sent: BTreeSet<usize>,
    pub retries: u64,
    /// A scripted client's producer: each value's outcome, for its send steps (scripted.rs).
    outcomes: Option<Vec<(u64, SendOutcome)>>,
}

impl Producer {
    pub fn new(cfg: Rc<KafkaConfig>, idx: u32) -> Producer {
        let np = cfg.partitions as usize;
        let acc = Accumulator::new(
            np,
            cfg.enable_idempotence,
            cfg.max_in_flight_requests_per_connection,
        );
        Producer {
            cfg,
            idx,
            counter: 0,
            sessions: 0,
            unconfirmed: BTreeMap::new(),
            pid: -1,
            epoch: 0,
            md: None,
            md_requests: MetadataRequests::paced(idx),
            open: vec![Vec::new(); np],
            batches: BTreeMap::new(),
            acc,
            next_seq: vec![0; np],
            in_flight: BTreeMap::new(),
            per_broker: BTreeMap::new(),
            next_id: 0,
            next_req: 0,
            owed_milli: 0,
            peers: Peers::default(),
            stopped: false,
            retry_timer: None,
            needs_bump: false,
            rewrite_sent: BTreeSet::new(),
            retries: 0,
            outcomes: None,
        }
    }

    fn rate(&self) -> u64 {
        self.cfg.messages_per_sec / self.cfg.producers.max(1) as u64
    }

    /// Workload tick: linger.ms (batches close every tick), or one message's spacing when the
    /// rate is below one message per linger interval.
    fn tick_ms(&self) -> u64 {
        let linger = self.cfg.linger_ms.max(1);
        let rate = self.rate().max(1);
        if rate * linger < 1000 {
            1000_u64.div_ceil(rate)
        } else {
            linger
        }
    }

    fn exhausted(&self) -> bool {
        self.cfg.messages_per_producer != 0 && self.counter >= self.cfg.messages_per_producer
    }

    fn value(&self, counter: u64) -> u64 {
        ((self.idx as u64 + 1) << 40) | counter
    }

    fn tick(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let tick = self.tick_ms();
        if !self.stopped && !self.exhausted() {
            self.owed_milli += self.rate() * tick;
            let n = self.owed_milli / 1000;
            self.owed_milli %= 1000;
            for _ in 0..n {
                if self.exhausted() {
                    break;
                }
                self.counter += 1;
                let value = self.value(self.counter);
                // Keyed records go to their key's partition (keys.rs); only the input topic's
                // partitions when consume-transform-produce reserves an output topic.
                let p = KeySpec::of(&self.cfg).partition(
                    value,
                    self.counter,
                    self.cfg.input_partitions(),
                );
                self.add(ctx, p, value);
            }
        }
        for p in 0..self.open.len() {
            self.seal(ctx, p);
        }
        self.request_timeouts(ctx);
        self.expire(ctx);
        self.drain(ctx);
        ctx.set_timer(SimDuration::from_millis(tick), tag(T_TICK, 0));
    }

    fn add(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: u32, value: u64) {
        // KafkaProducer.doSend: a record above max.request.size fails client-side; never sent.
        if self.cfg.message_bytes > self.cfg.max_request_size_bytes {
            let values: Values = Values::from(vec![value]);
            ctx.record(KEvent::Send {
                producer: self.idx,
                p,
                values: values.clone(),
            });
            ctx.record(KEvent::SendFail {
                values,
                error: KErr::RecordTooLarge,
            });
            ctx.sometimes("kafka:record_too_large");
            return;
        }
        if self.cfg.resend_unconfirmed_on_restart {
            self.unconfirmed.insert(value, p);
        }
        self.open[p as usize].push(value);
        let bytes = self.open[p as usize].len() as u64 * self.cfg.message_bytes;
        if bytes >= self.cfg.batch_size_bytes {
            self.seal(ctx, p as usize);
        }
    }

    fn seal(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize) {
        if self.open[p].is_empty() {
            return;
        }
        // The open batch's buffer is kept for the next one (no allocation per batch).
        let values = Values::from(&self.open[p][..]);
        self.open[p].clear();
        let n = values.len() as i32;
        let seq = if self.cfg.enable_idempotence {
            self.next_seq[p]
        } else {
            -1
        };
        if self.cfg.enable_idempotence {
            self.next_seq[p] += n;
        }
        let bytes =
            values.len() as u64 * self.cfg.message_bytes * self.cfg.compression_percent as u64
                / 100;
        let id = self.next_id;
        self.next_id += ID_GAP;
        ctx.record(KEvent::Send {
            producer: self.idx,
            p: p as u32,
            values: values.clone(),
        });
        self.batches.insert(
            id,
            PBatch {
                p: p as u32,
                values,
                bytes,
                seq,
                epoch: self.epoch,
                created: ctx.now(),
                ts_ms: ctx.local_now().as_millis() as i64,
                attempts: 0,
                in_flight: false,
                maybe_written: false,
                ready_at: ctx.now(),
                id_gap: ID_GAP,
            },
        );
        self.acc.push(p, id);
    }

    fn request_metadata(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let backoff = SimDuration::from_millis(self.cfg.retry_backoff_ms);
        self.md_requests.request_with_timers(
            ctx,
            &mut self.peers,
            (self.cfg.brokers, backoff),
            (tag(T_MD_TIMEOUT, 0), tag(T_MD_RETRY, 0)),
        );
    }

    /// Sender.sendProducerData: for each leader, one request with at most one batch per
    /// partition, while the connection has fewer than max.in.flight requests.
    fn drain(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let Some(md) = self.md.clone() else {
            if self.batches.is_empty() {
                return;
            }
            self.request_metadata(ctx);
            return;
        };
        self.resolve_sequences();
        if self.needs_bump {
            // Wait for in-flight requests to finish, then bump and re-sequence (KIP-360).
            if !self.in_flight.is_empty() {
                return;
            }
            self.needs_bump = false;
            self.bump_epoch(ctx);
        }
        let now = ctx.now();
        let mut next_ready: Option<SimTime> = None;
        loop {
            let mut by_broker: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
            let mut from = 0;
            while let Some(p) = self.acc.next_queued(from) {
                from = p + 1;
                let Some(id) = self.acc.head(p) else {
                    continue;
                };
                let b = &self.batches[&id];
                let (never_sent, ready_at) = (b.attempts == 0, b.ready_at);
                if never_sent && !self.may_send_new(p) {
                    continue;
                }
                if ready_at > now {
                    next_ready = Some(next_ready.map_or(ready_at, |t| t.min(ready_at)));
                    continue;
                }
                let Some(leader) = md.parts[p].leader else {
                    self.request_metadata(ctx);
                    continue;
                };
                if self.per_broker.get(&leader).copied().unwrap_or(0)
                    >= self.cfg.max_in_flight_requests_per_connection
                {
                    continue;
                }
                by_broker.entry(leader).or_default().push(id);
            }
            if by_broker.is_empty() {
                break;
            }
            for (broker, ids) in by_broker {
                self.send_request(ctx, &md, broker, ids);
            }
        }
        if let Some(t) = next_ready
            && self.retry_timer.is_none_or(|r| r > t || r < now)
        {
            self.retry_timer = Some(t);
            ctx.set_timer(t.saturating_since(now), tag(T_RETRY, 0));
        }
    }

    fn send_request(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        md: &MetaSnapshot,
        broker: u32,
        ids: Vec<u64>,
    ) {
        let mut wire = Vec::with_capacity(ids.len());
        for &id in &ids {
            let b = self.batches.get_mut(&id).expect("queued batch");
            self.acc.take_head(b.p as usize, id);
            b.in_flight = true;
            b.attempts += 1;
            if b.attempts > 1 {
                self.retries += 1;
                ctx.sometimes("kafka:producer_retry");
            }
            wire.push(WireBatch {
                id,
                p: b.p,
                pid: if self.cfg.enable_idempotence {
                    self.pid
                } else {
                    -1
                },
                producer_epoch: b.epoch,
                first_seq: b.seq,
                ts_ms: b.ts_ms,
                values: b.values.clone(),
                bytes: b.bytes,
                leader_epoch: Some(md.parts[b.p as usize].leader_epoch),
                txn: crate::kafka::wire::records::BatchTxn::None,
            });
        }
        let req = self.next_req;
        self.next_req += 1;
        let acks = self.cfg.acks;
        let msg = KMsg::Produce {
            req,
            acks,
            timeout_ms: self.cfg.request_timeout_ms,
            batches: wire,
        };
        // A fresh connection must be set up within socket.connection.setup.timeout.ms (10 s,
        // KIP-601): a request sent into a connection to a dead broker fails then.
        let timeout_ms = crate::kafka::clients::metadata_pacing::answer_timeout_ms(
            &self.peers,
            NodeId(broker),
            self.cfg.request_timeout_ms,
        );
        self.peers.send(ctx, NodeId(broker), msg);
        if acks == Acks::Zero {
            // acks=0: "the offset given back for each record will always be set to -1".
            for id in ids {
                let b = self.batches.remove(&id).expect("batch");
                self.acc.completed(b.p as usize);
                self.unconfirm(&b.values);
                self.note_outcomes(&b.values, Ok(None));
                ctx.record(KEvent::SendOk {
                    p: b.p,
                    values: b.values,
                    offset: None,
                });
            }
            return;
        }
        let deadline = ctx.now() + SimDuration::from_millis(timeout_ms);
        *self.per_broker.entry(broker).or_insert(0) += 1;
        self.in_flight.insert(
            req,
            InFlight {
                broker,
                ids,
                deadline,
            },
        );
    }

    fn unconfirm(&mut self, values: &[u64]) {
        if self.cfg.resend_unconfirmed_on_restart {
            for v in values {
                self.unconfirmed.remove(v);
            }
        }
    }

    fn end_request(&mut self, req: u64) -> Option<InFlight> {
        let f = self.in_flight.remove(&req)?;
        if let Some(n) = self.per_broker.get_mut(&f.broker) {
            *n = n.saturating_sub(1);
        }
        Some(f)
    }

    /// Sender.completeBatch / canRetry (Sender.java:849): retriable errors retry while attempts
    /// < retries and delivery.timeout.ms has not expired; otherwise the batch fails — `info` if
    /// any attempt may have been written, else `fail`.
    fn on_result(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        id: u64,
        res: Result<Option<u64>, KErr>,
    ) {
        let Some(b) = self.batches.get_mut(&id) else {
            return;
        };
        b.in_flight = false;
        self.acc.completed(b.p as usize);
        match res {
            Ok(offset) => {
                let b = self.batches.remove(&id).expect("batch");
                if b.seq >= 0 {
                    let last = b.seq + b.values.len() as i32 - 1;
                    self.acc.acked(b.p as usize, last);
                }
                self.unconfirm(&b.values);
                self.note_outcomes(&b.values, Ok(offset));
                ctx.record(KEvent::SendOk {
                    p: b.p,
                    values: b.values,
                    offset,
                });
            }
            Err(KErr::MessageTooLarge) if b.values.len() > 1 && b.id_gap > 1 => self.split(ctx, id),
            Err(e) => {
                if e.maybe_written() {
                    b.maybe_written = true;
                }
                let now = ctx.now();
                let expired = now.saturating_since(b.created)
                    >= SimDuration::from_millis(self.cfg.delivery_timeout_ms);
                if e.retriable() && b.attempts < self.cfg.retries && !expired {
                    b.ready_at = now + self.cfg.retry_backoff(b.attempts, ctx.rng());
                    let p = b.p as usize;
                    self.acc.reenqueue(p, id);
                    // OUT_OF_ORDER_SEQUENCE on the partition's first pending batch: the broker
                    // lost sequences (e.g. truncated after a leader change); the idempotent
                    // producer bumps its epoch and resets sequences (KIP-360).
                    if e == KErr::OutOfOrderSequence
                        && self.cfg.enable_idempotence
                        && self
                            .batches
                            .iter()
                            .find(|(_, x)| x.p as usize == p)
                            .is_some_and(|(first, _)| *first == id)
                    {
                        ctx.sometimes("kafka:out_of_order_sequence_reset");
                        self.needs_bump = true;
                        self.rewrite_sent.insert(p);
                    }
                } else {
                    let error = if expired { KErr::DeliveryTimeout } else { e };
                    self.finish_failed(ctx, id, error);
                }
                // Sender.completeBatch: an InvalidMetadataException asks for a metadata update
                // whether the batch is retried or failed (with retries = 0, the pre-2.1
                // default, the producer would otherwise keep writing to a former leader).
                if matches!(
                    e,
                    KErr::NotLeaderOrFollower
                        | KErr::FencedLeaderEpoch
                        | KErr::UnknownLeaderEpoch
                        | KErr::Network
                ) {
                    self.request_metadata(ctx);
                }
            }
        }
    }

    /// Sender.java:668: MESSAGE_TOO_LARGE on a multi-record batch splits it in two and
    /// re-enqueues both halves without spending a retry. Each half keeps its slice of the
    /// sequence range, so idempotence needs no re-sequencing.
    fn split(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, id: u64) {
        let b = self.batches.remove(&id).expect("batch");
        ctx.sometimes("kafka:batch_split");
        let n = b.values.len();
        let k = n / 2;
        let gap = b.id_gap / 2;
        let per = b.bytes / n as u64;
        let halves = [(id, 0, k), (id + gap, k, n)];
        // RecordAccumulator.splitAndReenqueue puts the halves back at the head in order (or in
        // sequence order with idempotence): last half first.
        for (hid, from, to) in halves.into_iter().rev() {
            let half = PBatch {
                p: b.p,
                values: Values::from(&b.values[from..to]),
                bytes: per * (to - from) as u64,
                seq: if b.seq < 0 { -1 } else { b.seq + from as i32 },
                epoch: b.epoch,
                created: b.created,
                ts_ms: b.ts_ms,
                attempts: 0,
                in_flight: false,
                maybe_written: b.maybe_written,
                ready_at: ctx.now(),
                id_gap: gap,
            };
            self.batches.insert(hid, half);
            self.acc.reenqueue(b.p as usize, hid);
        }
    }

    fn finish_failed(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, id: u64, error: KErr) {
        let b = self.batches.remove(&id).expect("batch");
        self.acc.remove(b.p as usize, id);
        let (p, sent, next) = (
            b.p as usize,
            // Sender.sendProducerData marks an expired batch unresolved when it is in retry.
            b.attempts > 0,
            b.seq + b.values.len() as i32,
        );
        self.note_outcomes(&b.values, Err(error));
        if b.maybe_written {
            ctx.record(KEvent::SendInfo {
                values: b.values,
                error,
            });
        } else {
            self.unconfirm(&b.values);
            ctx.record(KEvent::SendFail {
                values: b.values,
                error,
            });
        }
        if !self.cfg.enable_idempotence {
            return;
        }
        if sent {
            self.acc.mark_unresolved(p, next);
        } else {
            // Sequences are assigned when a batch is sealed, so a batch that was never written
            // leaves a gap the broker would reject: bump and re-sequence (KIP-360).
            self.needs_bump = true;
        }
    }

    /// Batches of partition `p` sent at least once and not yet completed (in flight or waiting
    /// for a retry): the TransactionManager's "in-flight batches" of the partition.
    fn sent_pending(&self, p: usize) -> bool {
        sent_pending(&self.batches, p)
    }

    /// Resolve unresolved sequences of partitions whose sent batches all completed; bump the
    /// epoch for those that stay unresolved (`Accumulator::resolve`).
    fn resolve_sequences(&mut self) {
        let batches = &self.batches;
        if self.acc.resolve(|p| sent_pending(batches, p)) {
            self.needs_bump = true;
        }
    }

    /// Whether partition `p` may send a batch never sent before (`holds_new_batches`); a stale
    /// partition whose old-epoch batches all completed switches to the current epoch first.
    fn may_send_new(&mut self, p: usize) -> bool {
        if self.acc.is_stale(p) && !self.sent_pending(p) {
            self.resequence(p);
        }
        !self.acc.holds_new_batches(p)
    }

    /// Idempotent producer after a failed batch (KIP-360): bump the epoch. A partition starts
    /// over at sequence 0 under it at once when it has no sent batch pending, or when the broker
    /// rejected its sequence (`rewrite_sent`, TransactionManager.startSequencesAtBeginning);
    /// otherwise its sent batches keep their epoch and sequence — rewriting them could re-send a
    /// batch the leader holds, a duplicate — and its new batches wait for them (stale).
    fn bump_epoch(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        self.epoch = self.epoch.wrapping_add(1);
        ctx.sometimes("kafka:producer_epoch_bump");
        let rewrite = std::mem::take(&mut self.rewrite_sent);
        for p in 0..self.acc.partitions() {
            if rewrite.contains(&p) || !self.sent_pending(p) {
                self.resequence(p);
            } else {
                self.acc.mark_stale(p);
            }
        }
    }

    /// Every pending batch of partition `p` takes the current epoch, sequences from 0.
    fn resequence(&mut self, p: usize) {
        let mut seq = 0;
        for b in self.batches.values_mut().filter(|b| b.p as usize == p) {
            b.seq = seq;
            b.epoch = self.epoch;
            seq += b.values.len() as i32;
        }
        self.next_seq[p] = seq;
        self.acc.switch_epoch(p);
    }
}

impl Actor<KMsg, KEvent> for Producer {
    fn on_start(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        // InitProducerId: a fresh producer id per session (the controller hands out id blocks;
        // modelled as a unique id per producer process incarnation).
        self.sessions += 1;
        self.pid = (self.idx as i64 + 1) * 1_000_000 + self.sessions;
        self.epoch = 0;
        if self.sessions > 1 && self.cfg.resend_unconfirmed_on_restart {
            // The application re-sends what it never saw acknowledged: a new session, so
            // idempotence does not cover it (KafkaProducer javadoc, "single session").
            let pending: Vec<(u64, u32)> = self.unconfirmed.iter().map(|(v, p)| (*v, *p)).collect();
            for (v, p) in pending {
                self.open[p as usize].push(v);
            }
            if !self.unconfirmed.is_empty() {
                ctx.sometimes("kafka:app_resend_after_restart");
            }
        }
        let start =
            SimDuration::from_millis(self.cfg.producer_start_ms).saturating_sub_time(ctx.now());
        ctx.set_timer(start, tag(T_TICK, 0));
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, from: NodeId, _via: Via, msg: KMsg) {
        self.peers.heard_from(from);
        match msg {
            KMsg::Metadata(snap) => {
                self.md_requests.finish();
                if self.md.as_ref().is_none_or(|m| m.offset <= snap.offset) {
                    self.md = Some(snap);
                }
                self.drain(ctx);
            }
            KMsg::ProduceResp { req, results } => {
                if self.end_request(req).is_none() {
                    return;
                }
                for (id, res) in results {
                    self.on_result(ctx, id, res);
                }
                self.drain(ctx);
            }
            _ => {}
        }
    }

    fn timer_name(&self, t: u64) -> &'static str {
        match tag_kind(t) {
            T_TICK => "send tick",
            T_MD_RETRY => "metadata retry backoff",
            T_MD_TIMEOUT => "metadata timeout",
            T_RETRY => "retry.backoff",
            _ => "timer",
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, _timer: TimerId, t: u64) {
        match tag_kind(t) {
            T_TICK => self.tick(ctx),
            T_MD_RETRY => {
                self.md_requests.retry_fired();
                self.request_metadata(ctx);
            }
            T_MD_TIMEOUT if self.md_requests.in_flight() => {
                self.md_requests.finish();
                self.request_metadata(ctx);
            }
            T_RETRY => {
                self.retry_timer = None;
                self.drain(ctx);
            }
            _ => {}
        }
    }

    fn on_connection(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, event: ConnEvent) {
        if let ConnEvent::Closed { conn, .. } = event
            && let Some(peer) = self.peers.closed(conn)
        {
            // NetworkClient: requests on a dropped connection fail with a retriable
            // disconnect; their outcome is unknown.
            self.fail_in_flight(ctx, peer.0);
            self.md_requests.finish();
            self.md = None;
            self.drain(ctx);
        }
    }

    fn on_quiet(&mut self, _ctx: &mut Ctx<'_, KMsg, KEvent>) {
        self.stopped = true;
    }

    fn on_crash(&mut self, _kind: CrashKind) {
        // Buffered and in-flight batches are gone without an outcome (history: no ok/fail/info).
        self.md = None;
        self.md_requests.reset();
        self.open.iter_mut().for_each(Vec::clear);
        self.batches.clear();
        self.acc.clear();
        self.next_seq.iter_mut().for_each(|s| *s = 0);
        self.in_flight.clear();
        self.per_broker.clear();
        self.peers.clear();
        self.retry_timer = None;
        self.needs_bump = false;
        self.rewrite_sent.clear();
        self.owed_milli = 0;
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn sent_pending(batches: &BTreeMap<u64, PBatch>, p: usize) -> bool {
    batches
        .values()
        .any(|b| b.p as usize == p && b.attempts > 0)
}

trait SatSubTime {
    fn saturating_sub_time(self, now: SimTime) -> SimDuration;
}

impl SatSubTime for SimDuration {
    /// `self` as an absolute time minus `now`, or zero.
    fn saturating_sub_time(self, now: SimTime) -> SimDuration {
        SimDuration::from_nanos(self.as_nanos().saturating_sub(now.as_nanos()))
    }
}
