//! A transactional producer application (`p1..pN` with `transactional_producers: N`): after
//! initTransactions it produces at the workload rate inside transactions of
//! `transaction_records` records — begin, send as records come, then commit, or abort with
//! `transaction_abort_percent` — and can stall
//! with its `transaction_hang_at`-th transaction open (the coordinator aborts it after
//! transaction.timeout.ms). ProducerFencedException is fatal: the application stops.

use crate::kafka::clients::txn_client::{T_CLIENT_TICK, TxnClient, TxnNote};
use crate::kafka::config::KafkaConfig;
use crate::kafka::wire::msg::{KEvent, KMsg, NO_CONSUMER, TxnMark, tag, tag_kind};
use crate::kafka::wire::values::Values;
use msgsim_sim::{Actor, ConnEvent, CrashKind, Ctx, NodeId, SimDuration, TimerId, Via};
use std::any::Any;
use std::collections::BTreeMap;
use std::rc::Rc;

const T_START: u64 = 1;
const T_TICK: u64 = 2;

pub struct TxnProducer {
    cfg: Rc<KafkaConfig>,
    idx: u32,
    client: TxnClient,
    // ---- durable (the application's own bookkeeping) ----
    counter: u64,
    txns: u32,
    // ---- volatile ----
    in_txn: bool,
    txn_records: u32,
    ending: bool,
    owed_milli: u64,
    ticking: bool,
    hung: bool,
    stopped: bool,
}

impl TxnProducer {
    pub fn new(cfg: Rc<KafkaConfig>, idx: u32) -> TxnProducer {
        let tid = if cfg.transactional_id_shared { 0 } else { idx };
        TxnProducer {
            client: TxnClient::new(cfg.clone(), Some(tid), Some(idx), 0),
            cfg,
            idx,
            counter: 0,
            txns: 0,
            in_txn: false,
            txn_records: 0,
            ending: false,
            owed_milli: 0,
            ticking: false,
            hung: false,
            stopped: false,
        }
    }

    /// Fenced instances (for the report).
    pub fn fenced(&self) -> u64 {
        self.client.fenced
    }

    fn rate(&self) -> u64 {
        (self.cfg.messages_per_sec / self.cfg.producers.max(1) as u64).max(1)
    }

    fn exhausted(&self) -> bool {
        self.cfg.messages_per_producer != 0 && self.counter >= self.cfg.messages_per_producer
    }

    /// A transaction boundary in the history, for the transaction-history checker
    /// (`checkers/txn_history.rs`): its writes are this producer's sends between Begin and the
    /// outcome the coordinator answered. No consumer reads inside these transactions.
    fn mark(&self, ctx: &mut Ctx<'_, KMsg, KEvent>, mark: TxnMark) {
        ctx.record(KEvent::Txn {
            producer: self.idx,
            consumer: NO_CONSUMER,
            mark,
        });
    }

    fn handle(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, notes: Vec<TxnNote>) {
        for n in notes {
            match n {
                TxnNote::Ready => {
                    if !self.ticking {
                        self.ticking = true;
                        self.tick(ctx);
                    }
                }
                TxnNote::Ended(committed) => {
                    self.in_txn = false;
                    self.ending = false;
                    let mark = if committed {
                        TxnMark::Committed
                    } else {
                        TxnMark::Aborted
                    };
                    self.mark(ctx, mark);
                }
                TxnNote::Fenced => {
                    // ProducerFencedException: the application closes this producer.
                    self.stopped = true;
                    self.in_txn = false;
                }
                TxnNote::Flushed | TxnNote::Offsets(_) => {}
            }
        }
    }

    /// Workload tick: records owed at the workload rate join the open transaction (one batch
    /// per partition per tick); a transaction ends after `transaction_records` records.
    fn tick(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let tick = self.tick_ms();
        ctx.set_timer(SimDuration::from_millis(tick), tag(T_TICK, 0));
        if self.stopped || self.hung || self.ending || (!self.client.ready() && !self.in_txn) {
            return;
        }
        self.owed_milli += self.rate() * tick;
        let mut n = self.owed_milli / 1000;
        self.owed_milli %= 1000;
        if n == 0 || self.exhausted() {
            return;
        }
        if !self.in_txn {
            self.in_txn = true;
            self.txns += 1;
            self.txn_records = 0;
            self.client.begin();
            self.mark(ctx, TxnMark::Begin);
        }
        let mut by_part: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
        while n > 0 && !self.exhausted() && self.txn_records < self.cfg.transaction_records {
            n -= 1;
            self.counter += 1;
            self.txn_records += 1;
            let value = ((self.idx as u64 + 1) << 40) | self.counter;
            let p = (self.counter % self.cfg.input_partitions() as u64) as u32;
            by_part.entry(p).or_default().push(value);
        }
        let mut notes = Vec::new();
        for (p, values) in by_part {
            notes.extend(self.client.send(ctx, p, Values::from(values)));
        }
        let full = self.txn_records >= self.cfg.transaction_records || self.exhausted();
        if full && self.txns == self.cfg.transaction_hang_at {
            // The application stalls with this transaction open.
            ctx.sometimes("kafka:txn_application_hang");
            self.hung = true;
        } else if full {
            let abort =
                ctx.rng().range_inclusive(1, 100) <= u64::from(self.cfg.transaction_abort_percent);
            if abort {
                ctx.sometimes("kafka:txn_application_abort");
            }
            self.ending = true;
            notes.extend(self.client.end(ctx, !abort));
        }
        self.handle(ctx, notes);
    }

    /// linger.ms, or one message's spacing when the rate is below one message per linger.
    fn tick_ms(&self) -> u64 {
        let linger = self.cfg.linger_ms.max(1);
        if self.rate() * linger < 1000 {
            1000_u64.div_ceil(self.rate())
        } else {
            linger
        }
    }
}

impl Actor<KMsg, KEvent> for TxnProducer {
    fn on_start(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let mut start_ms = self.cfg.producer_start_ms;
        if self.cfg.transactional_id_shared && self.idx > 0 {
            start_ms += self.cfg.transactional_standby_start_ms;
        }
        let delay = SimDuration::from_millis(start_ms).as_nanos();
        let delay = SimDuration::from_nanos(delay.saturating_sub(ctx.now().as_nanos()));
        ctx.set_timer(delay, tag(T_START, 0));
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, _from: NodeId, _via: Via, msg: KMsg) {
        if let Some(notes) = self.client.on_message(ctx, &msg) {
            self.handle(ctx, notes);
        }
    }

    fn timer_name(&self, t: u64) -> &'static str {
        match tag_kind(t) {
            T_START => "start",
            T_TICK => "send tick",
            T_CLIENT_TICK => "transactional client tick",
            _ => "timer",
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, _timer: TimerId, t: u64) {
        match tag_kind(t) {
            T_START => {
                let notes = self.client.init(ctx);
                self.handle(ctx, notes);
            }
            T_TICK => self.tick(ctx),
            T_CLIENT_TICK => {
                let notes = self.client.on_tick(ctx);
                self.handle(ctx, notes);
            }
            _ => {}
        }
    }

    fn on_connection(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, event: ConnEvent) {
        if let ConnEvent::Closed { conn, .. } = event {
            let notes = self.client.on_closed(ctx, conn);
            self.handle(ctx, notes);
        }
    }

    fn on_quiet(&mut self, _ctx: &mut Ctx<'_, KMsg, KEvent>) {
        self.stopped = true;
    }

    fn on_crash(&mut self, _kind: CrashKind) {
        // Buffered and in-flight records are gone; the next incarnation re-runs
        // initTransactions with the same transactional.id (fencing this one's open txn).
        self.client.reset();
        self.in_txn = false;
        self.ending = false;
        self.hung = false;
        self.ticking = false;
        self.owed_milli = 0;
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
