//! The transactional producer of a scripted client (a client with a `transactional_id`): the
//! steps initTransactions, beginTransaction, send, sendOffsetsToTransaction, commitTransaction
//! and abortTransaction call the transactional client the workload uses (`clients/txn_client.rs`,
//! TransactionManager's rules); this file only maps the calls onto it and its notes back onto
//! step outcomes, and records the transaction boundaries (`KEvent::Txn`) the
//! transaction-history checker groups the client's sends and polls by.

use crate::kafka::clients::txn_client::{ScriptRecord, TxnCall, TxnClient, TxnNote};
use crate::kafka::config::KafkaConfig;
use crate::kafka::wire::msg::{KErr, KEvent, KMsg, TxnMark};
use crate::kafka::wire::values::Values;
use msgsim_sim::Ctx;
use std::collections::BTreeMap;
use std::rc::Rc;

type Cx<'a> = Ctx<'a, KMsg, KEvent>;

/// Step outcomes ready now: (step position, rendered outcome).
pub(super) type Answers = Vec<(usize, String)>;

pub(super) struct ScriptTxn {
    pub client: TxnClient,
    /// History indexes of the client's producer and consumer.
    producer: u32,
    consumer: u32,
    counter: u64,
    /// First value of a send → its step.
    sends: BTreeMap<u64, usize>,
    /// The blocking call the application thread waits in.
    pub blocked: Option<(usize, TxnCall)>,
    /// EndTxn answered while the client still bumps its epoch (KIP-360): the outcome waits for
    /// the bump, as abortTransaction / commitTransaction do in KafkaProducer.
    ended: Option<String>,
    /// commitTransaction failed with an abortable error and the transaction was aborted: the
    /// application's abortTransaction then returns at once.
    aborted_on_commit: bool,
}

impl ScriptTxn {
    pub(super) fn new(cfg: Rc<KafkaConfig>, tid: u32, producer: u32, consumer: u32) -> Self {
        let mut client = TxnClient::new(cfg, Some(tid), Some(producer), 0);
        client.outcomes = Some(Vec::new());
        ScriptTxn {
            client,
            producer,
            consumer,
            counter: 0,
            sends: BTreeMap::new(),
            blocked: None,
            ended: None,
            aborted_on_commit: false,
        }
    }

    fn mark(&self, ctx: &mut Cx<'_>, mark: TxnMark) {
        ctx.record(KEvent::Txn {
            producer: self.producer,
            consumer: self.consumer,
            mark,
        });
    }

    /// initTransactions, beginTransaction, commitTransaction, abortTransaction.
    pub(super) fn call(&mut self, ctx: &mut Cx<'_>, pos: usize, call: TxnCall) -> Answers {
        if call == TxnCall::Abort && self.aborted_on_commit && self.client.ready() {
            self.aborted_on_commit = false;
            return vec![(pos, "ok".into())];
        }
        if let Err(e) = self.client.check(call) {
            return vec![(pos, e.name().into())];
        }
        let notes = match call {
            TxnCall::Init => self.client.init(ctx),
            TxnCall::Begin => {
                self.client.begin();
                self.aborted_on_commit = false;
                self.mark(ctx, TxnMark::Begin);
                return vec![(pos, "ok".into())];
            }
            TxnCall::Commit => self.client.end(ctx, true),
            TxnCall::Abort => self.client.end(ctx, false),
            TxnCall::InTxn => Vec::new(),
        };
        self.blocked = Some((pos, call));
        self.notes(ctx, notes)
    }

    /// send() inside the transaction: one record of `bytes` with CreateTime `ts_ms` to
    /// partition `p` (its value is the client's next value, as a producer numbers its records).
    pub(super) fn send(
        &mut self,
        ctx: &mut Cx<'_>,
        pos: usize,
        p: u32,
        bytes: u64,
        ts_ms: i64,
    ) -> Answers {
        if let Err(e) = self.client.check(TxnCall::InTxn) {
            return vec![(pos, e.name().into())];
        }
        self.counter += 1;
        let value = ((self.producer as u64 + 1) << 40) | self.counter;
        self.sends.insert(value, pos);
        let record = Some(ScriptRecord { bytes, ts_ms });
        let notes = self
            .client
            .send_record(ctx, p, Values::from(vec![value]), record);
        self.notes(ctx, notes)
    }

    /// sendOffsetsToTransaction(offsets, groupMetadata): blocks until answered.
    pub(super) fn send_offsets(
        &mut self,
        ctx: &mut Cx<'_>,
        pos: usize,
        offsets: Vec<(u32, u64)>,
        generation: u64,
    ) -> Answers {
        if let Err(e) = self.client.check(TxnCall::InTxn) {
            return vec![(pos, e.name().into())];
        }
        self.blocked = Some((pos, TxnCall::InTxn));
        let notes = self
            .client
            .send_offsets(ctx, offsets, generation, self.consumer);
        self.notes(ctx, notes)
    }

    /// The client's notes and send outcomes as step outcomes.
    pub(super) fn notes(&mut self, ctx: &mut Cx<'_>, notes: Vec<TxnNote>) -> Answers {
        let mut out = Vec::new();
        let done = self.client.outcomes.as_mut().map(std::mem::take);
        for (value, res) in done.unwrap_or_default() {
            if let Some(pos) = self.sends.remove(&value) {
                let text = match res {
                    Ok(Some(o)) => format!("offset {o}"),
                    Ok(None) => "ok".into(),
                    Err(e) => e.name().into(),
                };
                out.push((pos, text));
            }
        }
        for n in notes {
            let blocked = self.blocked.map(|b| b.1);
            match n {
                TxnNote::Ready if blocked == Some(TxnCall::Init) => self.unblock(&mut out, "ok"),
                TxnNote::Ready => {
                    if let Some(text) = self.ended.take() {
                        self.unblock(&mut out, &text);
                    }
                }
                TxnNote::Ended(committed) => {
                    let mark = if committed {
                        TxnMark::Committed
                    } else {
                        TxnMark::Aborted
                    };
                    self.mark(ctx, mark);
                    let text = if blocked == Some(TxnCall::Commit) && !committed {
                        // commitTransaction throws the abortable error; the model has aborted.
                        self.aborted_on_commit = true;
                        let e = self.client.last_error().unwrap_or(KErr::TransactionAborted);
                        e.name().to_string()
                    } else {
                        "ok".to_string()
                    };
                    if self.client.ready() {
                        self.unblock(&mut out, &text);
                    } else {
                        self.ended = Some(text);
                    }
                }
                TxnNote::Fenced => {
                    self.ended = None;
                    self.unblock(&mut out, KErr::ProducerFenced.name());
                }
                TxnNote::Offsets(res) if blocked == Some(TxnCall::InTxn) => {
                    let text = match res {
                        Ok(()) => "ok",
                        // CommitFailedException (KIP-447: a stale generation or member).
                        Err(_) => "COMMIT_FAILED",
                    };
                    self.unblock(&mut out, text);
                }
                TxnNote::Offsets(_) | TxnNote::Flushed => {}
            }
        }
        out
    }

    fn unblock(&mut self, out: &mut Answers, text: &str) {
        if let Some((pos, _)) = self.blocked.take() {
            out.push((pos, text.to_string()));
        }
    }

    /// max.block.ms passed in the call at `pos`: TimeoutException (the client goes on).
    pub(super) fn timeout(&mut self, pos: usize) -> Answers {
        match self.blocked {
            Some((p, _)) if p == pos => {
                self.blocked = None;
                self.ended = None;
                vec![(pos, KErr::Timeout.name().into())]
            }
            _ => Vec::new(),
        }
    }

    /// The process crashed: the thread and the producer's volatile state are gone.
    pub(super) fn reset(&mut self) {
        self.client.reset();
        self.sends.clear();
        self.blocked = None;
        self.ended = None;
        self.aborted_on_commit = false;
    }
}
