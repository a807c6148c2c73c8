//! A scripted client (issue 16 item 1): one application thread with a KafkaProducer (the
//! workload producer's accumulator and Sender, `producer/scripted.rs`) and a KafkaConsumer
//! (`script/consumer.rs`), calling them at the script's times. Calls run one at a time in step
//! order: a step whose time comes while the thread is blocked (flush, close, a poll waiting for
//! records, commitSync, processing the records of the last poll) runs when it is free. Every
//! step's outcome is recorded (`KEvent::Step`) and checked against its expectation, like Redis
//! script steps (`redis/script.rs`); steps that never got an outcome are counted at the end.

mod consumer;
mod txn;

use super::producer::Producer;
use super::txn_client::{T_CLIENT_TICK, TxnCall};
use crate::kafka::config::script::{
    HeaderSpec, KCmd, KStep, ScriptClientSpec, outcome_matches, partition_for_key,
};
use crate::kafka::config::{IsolationLevel, KafkaConfig, create_topic};
use crate::kafka::wire::msg::{KEvent, KMsg, tag, tag_kind, tag_payload};
use consumer::{Pos, ScriptConsumer, T_C_MD_RETRY, T_C_MD_TIMEOUT};
use msgsim_sim::{Actor, ConnEvent, CrashKind, Ctx, NodeId, SimDuration, TimerId, Via};
use std::any::Any;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use txn::{Answers, ScriptTxn};

/// Timer kinds of a scripted client; the embedded producer's are below 32.
const T_STEP: u64 = 32;
const T_PROCESSED: u64 = 33;
const T_HEARTBEAT: u64 = 34;
const T_POLL_DEADLINE: u64 = 35;
const T_COMMIT_TIMEOUT: u64 = 36;
/// max.block.ms of a blocking transactional call (kinds 37, 38: `script/consumer.rs`).
const T_TXN_DEADLINE: u64 = 39;
/// max.block.ms of a send waiting for its topic's metadata.
const T_MD_BLOCK: u64 = 40;

/// What the application thread is blocked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Running {
    Flush(usize),
    Close(usize),
    Poll {
        pos: usize,
        max: u32,
        id: u64,
    },
    CommitSync {
        pos: usize,
        req: u64,
    },
    Processing,
    /// A blocking transactional call (`txn.blocked` says which).
    Txn,
    /// A send to a created topic's partition the metadata does not have yet
    /// (KafkaProducer.waitOnMetadata).
    Metadata(usize),
}

pub struct ScriptClient {
    cfg: Rc<KafkaConfig>,
    /// Global step index and step, in the script's order.
    steps: Vec<(u32, KStep)>,
    /// Steps whose time came, waiting for the thread.
    due: VecDeque<usize>,
    running: Option<Running>,
    producer: Producer,
    /// Record value → its send step.
    sends: BTreeMap<u64, usize>,
    closed: bool,
    cons: ScriptConsumer,
    /// commitAsync requests → their steps.
    async_commits: BTreeMap<u64, usize>,
    next_poll: u64,
    per_record: SimDuration,
    /// Steps answered (the rest are unanswered at the end).
    pub answered: u64,
    client: u32,
    /// The transactional producer of a client with a transactional.id (`script/txn.rs`).
    txn: Option<ScriptTxn>,
    max_block: SimDuration,
    /// Per step: the index in `topic_layouts` of the created topic it names, if any.
    topic_ids: Vec<Option<u32>>,
    /// allow.auto.create.topics of the consumer.
    allow_auto_create: bool,
}

/// The client's configuration: the Kafka section with the client's overrides and no workload.
pub fn client_config(base: &KafkaConfig, spec: &ScriptClientSpec) -> KafkaConfig {
    let mut c = base.clone();
    c.messages_per_sec = 0;
    c.resend_unconfirmed_on_restart = false;
    c.producer_start_ms = 0;
    c.acks = spec.acks.unwrap_or(c.acks);
    c.enable_idempotence = spec.enable_idempotence.unwrap_or(c.enable_idempotence);
    c.retries = spec.retries.unwrap_or(c.retries);
    if let Some(n) = spec.max_in_flight_requests_per_connection {
        c.max_in_flight_requests_per_connection = n;
    }
    c.delivery_timeout_ms = spec.delivery_timeout_ms.unwrap_or(c.delivery_timeout_ms);
    c.request_timeout_ms = spec.request_timeout_ms.unwrap_or(c.request_timeout_ms);
    c.auto_offset_reset = spec.auto_offset_reset.unwrap_or(c.auto_offset_reset);
    c.max_poll_records = spec.max_poll_records.unwrap_or(c.max_poll_records);
    c.max_poll_interval_ms = spec.max_poll_interval_ms.unwrap_or(c.max_poll_interval_ms);
    c.transaction_timeout_ms = spec
        .transaction_timeout_ms
        .unwrap_or(c.transaction_timeout_ms);
    c
}

impl ScriptClient {
    /// Scripted client `k` of `base` with its steps (global index, step).
    pub fn new(base: &KafkaConfig, k: u32, steps: Vec<(u32, KStep)>) -> ScriptClient {
        let spec = &base.script_clients[k as usize];
        let cfg = Rc::new(client_config(base, spec));
        let level = spec.isolation_level.unwrap_or(base.isolation_level);
        let member = base.consumers + k;
        let producer = base.producers + k;
        // A step naming a created topic is moved to the model's indices of that topic.
        let layouts = base.topic_layouts();
        let mut topic_ids = Vec::new();
        let on_topic = |(i, mut st): (u32, KStep)| {
            let topic = st.topic.as_deref();
            let t = topic.and_then(|n| create_topic::for_clients(&layouts, n));
            if let Some(t) = t {
                st.cmd = st.cmd.on_topic(t.first, t.replicas.len() as u32);
            }
            topic_ids.push(t.and_then(|t| layouts.iter().position(|l| l == t)));
            (i, st)
        };
        let steps = steps.into_iter().map(on_topic).collect();
        let txn = base
            .script_tid(k)
            .map(|tid| ScriptTxn::new(cfg.clone(), tid, producer, member));
        ScriptClient {
            topic_ids: topic_ids.into_iter().map(|t| t.map(|t| t as u32)).collect(),
            allow_auto_create: spec.allow_auto_create_topics.unwrap_or(true),
            txn,
            max_block: SimDuration::from_millis(spec.max_block_ms.unwrap_or(60_000)),
            producer: Producer::scripted(cfg.clone(), base.producers + k),
            cons: ScriptConsumer::new(cfg.clone(), member, level == IsolationLevel::ReadCommitted),
            per_record: SimDuration::from_micros(spec.process_time_us_per_record),
            cfg,
            steps,
            due: VecDeque::new(),
            running: None,
            sends: BTreeMap::new(),
            closed: false,
            async_commits: BTreeMap::new(),
            next_poll: 0,
            answered: 0,
            client: k,
        }
    }

    /// Steps that never got an outcome.
    pub fn unanswered(&self) -> u64 {
        self.steps.len() as u64 - self.answered
    }

    fn answer(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, pos: usize, outcome: String) {
        let (step, st) = &self.steps[pos];
        let expected = st.expect.clone();
        let ok = expected
            .as_deref()
            .is_none_or(|e| outcome_matches(e, &outcome));
        ctx.record(KEvent::Step {
            client: self.client,
            step: *step,
            cmd: st.cmd.name(),
            outcome,
            expected,
            ok,
        });
        self.answered += 1;
    }

    /// Run due steps until one blocks the thread.
    fn run_due(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        while self.running.is_none() {
            let Some(pos) = self.due.pop_front() else {
                return;
            };
            self.run_step(ctx, pos);
        }
    }

    fn run_step(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, pos: usize) {
        let cmd = self.steps[pos].1.cmd.clone();
        if let Some(topic) = self.topic_ids[pos] {
            // The topic joins the client's metadata topics: the producer's requests always
            // ask for auto-creation (ProducerMetadata), the consumer's when
            // allow.auto.create.topics (ConsumerMetadata.allowAutoTopicCreation).
            match cmd {
                // A transactional client's: in `metadata_has` below.
                KCmd::Send { .. } if self.txn.is_none() => self.producer.ask_auto_create(topic),
                KCmd::Assign { .. } | KCmd::Subscribe if self.allow_auto_create => {
                    self.cons.ask_auto_create(topic)
                }
                _ => {}
            }
        }
        if let KCmd::Send {
            partition,
            ref key,
            value_bytes,
            ref headers,
            ..
        } = cmd
            && self.steps[pos].1.topic.is_some()
            && !self.closed
        {
            let (p, _) = send_record(&self.cfg, partition, key, value_bytes, headers);
            if !self.metadata_has(ctx, p, self.topic_ids[pos]) {
                // KafkaProducer.waitOnMetadata (every producer, transactional or not): the
                // topic is not in the metadata (the brokers answer UNKNOWN_TOPIC_OR_PARTITION):
                // send blocks, asking for updates, up to max.block.ms, then fails with a
                // TimeoutException ("Topic ... not present in metadata after N ms").
                self.running = Some(Running::Metadata(pos));
                ctx.set_timer(self.max_block, tag(T_MD_BLOCK, pos as u64));
                return;
            }
        }
        if self.txn.is_some() && self.run_txn_step(ctx, pos, &cmd) {
            return;
        }
        let ok = || "ok".to_string();
        match cmd {
            KCmd::Send {
                partition,
                key,
                value_bytes,
                timestamp_delta_ms,
                headers,
            } => {
                if self.closed {
                    // KafkaProducer: "Cannot perform operation after producer has been closed".
                    return self.answer(ctx, pos, "CLOSED".into());
                }
                let (p, bytes) = send_record(&self.cfg, partition, &key, value_bytes, &headers);
                let ts = ctx.local_now().as_millis() as i64 + timestamp_delta_ms;
                let value = self.producer.script_send(ctx, p, bytes, ts);
                self.sends.insert(value, pos);
                self.collect(ctx);
            }
            KCmd::Flush | KCmd::Close => {
                let running = match cmd {
                    KCmd::Flush => Running::Flush(pos),
                    _ => {
                        self.cons.close(ctx);
                        Running::Close(pos)
                    }
                };
                self.running = Some(running);
                self.collect(ctx);
            }
            KCmd::Subscribe => {
                let layouts = (self.topic_ids[pos].is_some()).then(|| self.cfg.topic_layouts());
                let topic = (self.topic_ids[pos].zip(layouts))
                    .map(|(id, l)| (l[id as usize].first, l[id as usize].replicas.len() as u32));
                self.cons.subscribe(topic);
                self.answer(ctx, pos, ok());
            }
            KCmd::Assign { partitions } => {
                self.cons.assign(ctx, partitions);
                self.answer(ctx, pos, ok());
            }
            KCmd::Seek { partition, offset } => {
                let out = if self.cons.is_assigned(partition) {
                    self.cons.seek(ctx, partition, Pos::At(offset));
                    ok()
                } else {
                    "NOT_ASSIGNED".into()
                };
                self.answer(ctx, pos, out);
            }
            KCmd::SeekToBeginning { partitions } | KCmd::SeekToEnd { partitions } => {
                let to = match self.steps[pos].1.cmd {
                    KCmd::SeekToEnd { .. } => Pos::End,
                    _ => Pos::Beginning,
                };
                let out = match self.cons.named(&partitions) {
                    Some(parts) => {
                        for p in parts {
                            self.cons.seek(ctx, p, to);
                        }
                        ok()
                    }
                    None => "NOT_ASSIGNED".into(),
                };
                self.answer(ctx, pos, out);
            }
            KCmd::Pause { partitions } | KCmd::Resume { partitions } => {
                let pause = matches!(self.steps[pos].1.cmd, KCmd::Pause { .. });
                let out = match self.cons.named(&partitions) {
                    Some(parts) => {
                        self.cons.pause(&parts, pause);
                        ok()
                    }
                    None => "NOT_ASSIGNED".into(),
                };
                self.answer(ctx, pos, out);
            }
            KCmd::Poll {
                max_records,
                timeout_ms,
            } => {
                if !self.cons.can_poll() {
                    // IllegalStateException: not subscribed to any topic nor assigned.
                    return self.answer(ctx, pos, "NOT_SUBSCRIBED".into());
                }
                self.next_poll += 1;
                let id = self.next_poll;
                let max = max_records.unwrap_or(self.cfg.max_poll_records);
                self.running = Some(Running::Poll { pos, max, id });
                ctx.set_timer(
                    SimDuration::from_millis(timeout_ms),
                    tag(T_POLL_DEADLINE, id),
                );
                self.advance(ctx);
            }
            KCmd::CommitSync { offsets } | KCmd::CommitAsync { offsets } => {
                let sync = matches!(self.steps[pos].1.cmd, KCmd::CommitSync { .. });
                let offsets = if offsets.is_empty() {
                    self.cons.consumed()
                } else {
                    offsets
                };
                match self.cons.commit(ctx, offsets) {
                    Err(e) => self.answer(ctx, pos, e.into()),
                    Ok(req) => {
                        let timeout =
                            SimDuration::from_millis(self.cfg.consumer_request_timeout_ms);
                        ctx.set_timer(timeout, tag(T_COMMIT_TIMEOUT, req));
                        if sync {
                            self.running = Some(Running::CommitSync { pos, req });
                        } else {
                            self.async_commits.insert(req, pos);
                        }
                    }
                }
            }
            KCmd::InitTransactions
            | KCmd::BeginTransaction
            | KCmd::SendOffsetsToTransaction { .. }
            | KCmd::CommitTransaction
            | KCmd::AbortTransaction => {
                // Validation allows these only for clients with a transactional.id.
                self.answer(ctx, pos, "INVALID_TXN_STATE".into());
            }
        }
    }

    /// A step of a transactional client's producer: the transactional calls and send
    /// (`script/txn.rs`). False for the consumer's and the other producer calls.
    fn run_txn_step(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, pos: usize, cmd: &KCmd) -> bool {
        let call = match cmd {
            KCmd::InitTransactions => TxnCall::Init,
            KCmd::BeginTransaction => TxnCall::Begin,
            KCmd::CommitTransaction => TxnCall::Commit,
            KCmd::AbortTransaction => TxnCall::Abort,
            KCmd::SendOffsetsToTransaction { .. } | KCmd::Send { .. } => TxnCall::InTxn,
            _ => return false,
        };
        let txn = self.txn.as_mut().expect("transactional client");
        let answers = match cmd {
            KCmd::Send {
                partition,
                key,
                value_bytes,
                timestamp_delta_ms,
                headers,
            } => {
                let (p, bytes) = send_record(&self.cfg, *partition, key, *value_bytes, headers);
                let ts = ctx.local_now().as_millis() as i64 + timestamp_delta_ms;
                txn.send(ctx, pos, p, bytes, ts)
            }
            KCmd::SendOffsetsToTransaction {
                offsets,
                generation,
            } => {
                let offsets = if offsets.is_empty() {
                    self.cons.consumed()
                } else {
                    offsets.clone()
                };
                let generation = generation.unwrap_or(self.cons.generation);
                txn.send_offsets(ctx, pos, offsets, generation)
            }
            _ => txn.call(ctx, pos, call),
        };
        if txn.blocked.is_some() {
            self.running = Some(Running::Txn);
            ctx.set_timer(self.max_block, tag(T_TXN_DEADLINE, pos as u64));
        }
        self.txn_answers(ctx, answers);
        true
    }

    /// Outcomes from the transactional producer; a blocking call that returned frees the thread.
    fn txn_answers(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, answers: Answers) {
        for (pos, text) in answers {
            self.answer(ctx, pos, text);
        }
        if self.running == Some(Running::Txn)
            && self.txn.as_ref().is_some_and(|t| t.blocked.is_none())
        {
            self.running = None;
            self.run_due(ctx);
        }
    }

    /// Send outcomes from the producer; a flush or close whose sends all completed returns.
    fn collect(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        for (value, res) in self.producer.take_outcomes() {
            if let Some(pos) = self.sends.remove(&value) {
                let out = match res {
                    Ok(Some(o)) => format!("offset {o}"),
                    Ok(None) => "ok".into(),
                    Err(e) => e.name().into(),
                };
                self.answer(ctx, pos, out);
            }
        }
        if let Some(Running::Flush(pos) | Running::Close(pos)) = self.running
            && self.sends.is_empty()
            && !self.producer.pending()
        {
            if matches!(self.running, Some(Running::Close(_))) {
                self.closed = true;
            }
            self.running = None;
            self.answer(ctx, pos, "ok".into());
            self.run_due(ctx);
        }
    }

    /// A send blocked in waitOnMetadata goes on once the metadata has its partition, and asks
    /// again otherwise.
    fn metadata_wait(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let Some(Running::Metadata(pos)) = self.running else {
            return;
        };
        let KCmd::Send { partition, .. } = self.steps[pos].1.cmd else {
            return;
        };
        if !self.metadata_has(ctx, partition.unwrap_or(0), None) {
            return;
        }
        self.running = None;
        self.run_step(ctx, pos);
        self.run_due(ctx);
    }

    /// Whether the sending producer's metadata (the transactional client's, if the client has
    /// a transactional.id) knows partition `p`; if not, it asks for an update.
    fn metadata_has(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        p: u32,
        topic: Option<u32>,
    ) -> bool {
        match self.txn.as_mut() {
            Some(txn) => txn.client.wait_on_metadata(ctx, p, topic),
            None if self.producer.knows_partition(p) => true,
            None => {
                self.producer.want_metadata(ctx);
                false
            }
        }
    }

    /// Consumer progress: a waiting poll or commitSync, commitAsync callbacks.
    fn advance(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        for (req, out) in std::mem::take(&mut self.cons.commits_done) {
            if let Some(pos) = self.async_commits.remove(&req) {
                self.answer(ctx, pos, out.into());
            } else if let Some(Running::CommitSync { pos, req: r }) = self.running
                && r == req
            {
                self.running = None;
                self.answer(ctx, pos, out.into());
            }
        }
        if let Some(Running::Poll { pos, max, .. }) = self.running {
            self.cons.progress(ctx);
            if let Some((out, n)) = self.cons.take(ctx, max) {
                self.running = None;
                self.answer(ctx, pos, out);
                if n > 0 && !self.per_record.is_zero() {
                    self.running = Some(Running::Processing);
                    let d = SimDuration::from_nanos(self.per_record.as_nanos().saturating_mul(n));
                    ctx.set_timer(d, tag(T_PROCESSED, 0));
                }
            }
        }
        self.run_due(ctx);
    }
}

impl Actor<KMsg, KEvent> for ScriptClient {
    fn on_start(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        self.producer.on_start(ctx);
        let now = ctx.now().as_nanos();
        for (pos, (_, st)) in self.steps.iter().enumerate() {
            let at = st.at_ms.saturating_mul(1_000_000);
            if at >= now {
                ctx.set_timer(SimDuration::from_nanos(at - now), tag(T_STEP, pos as u64));
            }
        }
        let hb = SimDuration::from_millis(self.cfg.heartbeat_interval_ms);
        ctx.set_timer(hb, tag(T_HEARTBEAT, 0));
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, from: NodeId, via: Via, msg: KMsg) {
        let for_txn = matches!(
            msg,
            KMsg::Metadata(_)
                | KMsg::ProduceResp { .. }
                | KMsg::InitProducerIdResp { .. }
                | KMsg::AddPartitionsToTxnResp { .. }
                | KMsg::TxnOffsetCommitResp { .. }
                | KMsg::EndTxnResp { .. }
        );
        if for_txn && let Some(txn) = self.txn.as_mut() {
            let notes = txn.client.on_message(ctx, &msg).unwrap_or_default();
            let answers = txn.notes(ctx, notes);
            self.txn_answers(ctx, answers);
            if !matches!(msg, KMsg::Metadata(_)) {
                return;
            }
        }
        match msg {
            KMsg::Metadata(ref snap) => {
                self.cons
                    .on_message(ctx, from, KMsg::Metadata(snap.clone()));
                self.producer.on_message(ctx, from, via, msg);
                self.collect(ctx);
                self.metadata_wait(ctx);
                self.advance(ctx);
            }
            KMsg::ProduceResp { .. } => {
                self.producer.on_message(ctx, from, via, msg);
                self.collect(ctx);
            }
            msg => {
                self.cons.on_message(ctx, from, msg);
                self.advance(ctx);
            }
        }
    }

    fn timer_name(&self, t: u64) -> &'static str {
        match tag_kind(t) {
            T_CLIENT_TICK => "transactional client tick",
            T_TXN_DEADLINE => "transaction call timeout",
            T_MD_BLOCK => "max.block.ms (metadata)",
            k if k < T_STEP => self.producer.timer_name(t),
            T_STEP => "script step",
            T_PROCESSED => "records processed",
            T_HEARTBEAT => "heartbeat",
            T_POLL_DEADLINE => "poll timeout",
            T_COMMIT_TIMEOUT => "commit timeout",
            T_C_MD_TIMEOUT => "metadata timeout",
            T_C_MD_RETRY => "metadata retry backoff",
            _ => "timer",
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, timer: TimerId, t: u64) {
        match tag_kind(t) {
            T_CLIENT_TICK if self.txn.is_some() => {
                let txn = self.txn.as_mut().expect("transactional client");
                let notes = txn.client.on_tick(ctx);
                let answers = txn.notes(ctx, notes);
                self.txn_answers(ctx, answers);
            }
            T_TXN_DEADLINE => {
                if let Some(txn) = self.txn.as_mut() {
                    let answers = txn.timeout(tag_payload(t) as usize);
                    self.txn_answers(ctx, answers);
                }
            }
            k if k < T_STEP => {
                self.producer.on_timer(ctx, timer, t);
                self.collect(ctx);
            }
            T_STEP => {
                self.due.push_back(tag_payload(t) as usize);
                self.run_due(ctx);
            }
            T_MD_BLOCK if self.running == Some(Running::Metadata(tag_payload(t) as usize)) => {
                self.running = None;
                self.answer(ctx, tag_payload(t) as usize, "TIMEOUT".into());
                self.run_due(ctx);
            }
            T_PROCESSED if self.running == Some(Running::Processing) => {
                self.running = None;
                self.run_due(ctx);
            }
            T_HEARTBEAT => {
                let in_poll = matches!(self.running, Some(Running::Poll { .. }));
                self.cons.heartbeat(ctx, in_poll);
                let hb = SimDuration::from_millis(self.cfg.heartbeat_interval_ms);
                ctx.set_timer(hb, tag(T_HEARTBEAT, 0));
                self.advance(ctx);
            }
            T_POLL_DEADLINE => {
                if let Some(Running::Poll { pos, id, .. }) = self.running
                    && id == tag_payload(t)
                {
                    self.running = None;
                    self.answer(ctx, pos, "records 0".into());
                    self.run_due(ctx);
                }
            }
            T_COMMIT_TIMEOUT => {
                let req = tag_payload(t);
                self.cons.commits_done.retain(|(r, _)| *r != req);
                let out = "TIMEOUT".to_string();
                let gc = NodeId(self.cfg.gc_index());
                if let Some(pos) = self.async_commits.remove(&req) {
                    self.cons.timed_out(ctx, gc);
                    self.answer(ctx, pos, out);
                } else if let Some(Running::CommitSync { pos, req: r }) = self.running
                    && r == req
                {
                    // The coordinator's connection closes with the request (NetworkClient
                    // .handleTimedOutRequests).
                    self.cons.timed_out(ctx, gc);
                    self.running = None;
                    self.answer(ctx, pos, out);
                    self.run_due(ctx);
                }
            }
            T_C_MD_TIMEOUT | T_C_MD_RETRY => {
                self.cons.md_timer(ctx, tag_kind(t) == T_C_MD_RETRY);
                self.advance(ctx);
            }
            _ => {}
        }
    }

    fn on_connection(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, event: ConnEvent) {
        if let (Some(txn), ConnEvent::Closed { conn, .. }) = (self.txn.as_mut(), &event) {
            let notes = txn.client.on_closed(ctx, *conn);
            let answers = txn.notes(ctx, notes);
            self.txn_answers(ctx, answers);
        }
        self.cons.on_connection(&event);
        self.producer.on_connection(ctx, event);
        self.collect(ctx);
        self.advance(ctx);
    }

    fn on_quiet(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        self.producer.on_quiet(ctx);
    }

    fn on_crash(&mut self, kind: CrashKind) {
        // The process and its thread are gone: steps in progress never get an outcome.
        self.producer.on_crash(kind);
        if let Some(txn) = self.txn.as_mut() {
            txn.reset();
        }
        self.cons.reset();
        self.due.clear();
        self.running = None;
        self.sends.clear();
        self.async_commits.clear();
        self.closed = false;
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A scripted send's partition (the step's, else the key's hash, else 0) and record size:
/// value, key and headers (keys and values only) — the same for a plain and a transactional
/// send.
fn send_record(
    cfg: &KafkaConfig,
    partition: Option<u32>,
    key: &Option<String>,
    value_bytes: u64,
    headers: &[HeaderSpec],
) -> (u32, u64) {
    let p = match (partition, key) {
        (Some(p), _) => p,
        (None, Some(k)) => partition_for_key(k, cfg.partitions),
        (None, None) => 0,
    };
    let bytes = value_bytes
        + key.as_ref().map_or(0, |k| k.len() as u64)
        + headers
            .iter()
            .map(|h| h.key.len() as u64 + h.value_bytes)
            .sum::<u64>();
    (p, bytes)
}
