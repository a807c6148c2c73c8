//! Consume-transform-produce (reference §6–§7, DESIGN §4.7): a group member turns each poll's
//! records into output records on the output topic (the last `ctp_output_partitions`
//! partitions). With `CommitMode::Transactional` the outputs and the consumed offsets
//! (sendOffsetsToTransaction with the group generation, KIP-447) commit in one transaction —
//! exactly-once; an aborted or fenced transaction rewinds to the committed offsets. With
//! `CommitMode::AfterProcessing` the outputs go through a plain idempotent producer, flushed
//! before commitSync — at-least-once. A child module of `consumer.rs` (it drives the poll loop).

use super::Consumer;
use super::T_CTP_RECORD;
use crate::kafka::clients::txn_client::TxnNote;
use crate::kafka::config::CommitMode;
use crate::kafka::wire::msg::{KEvent, KMsg, tag};
use crate::kafka::wire::values::Values;
use msgsim_sim::{ConnId, Ctx};
use std::collections::BTreeMap;

/// Marks a transformed (output) value; the checker reads outputs from the final logs only.
pub const OUTPUT_BIT: u64 = 1 << 62;

type Chunk = (u32, u64, Values);

impl Consumer {
    /// The poll loop waits while a transaction runs or the producer is not initialised.
    pub(super) fn ctp_blocked(&self) -> bool {
        self.ctp_busy || self.ctp.as_ref().is_some_and(|c| !c.ready())
    }

    pub(super) fn ctp_init(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        if let Some(c) = self.ctp.as_mut() {
            let notes = c.init(ctx);
            self.ctp_notes(ctx, notes);
        }
    }

    /// One poll's records: begin, transform each record (`process_time_us_per_record`) and
    /// send its output as soon as it is ready, then the consumed offsets into the
    /// transaction and commit (or, plain: flush, then commitSync).
    pub(super) fn ctp_process(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, chunks: Vec<Chunk>) {
        let Some(c) = self.ctp.as_mut() else {
            return;
        };
        self.ctp_busy = true;
        c.begin();
        self.ctp_offsets = self.consumed.iter().map(|(p, o)| (*p, *o)).collect();
        self.ctp_queue = chunks
            .iter()
            .flat_map(|(p, _, values)| values.iter().map(|v| (*p, *v)))
            .collect();
        if self.cfg.process_time_us_per_record == 0 {
            let all: Vec<(u32, u64)> = self.ctp_queue.drain(..).collect();
            self.ctp_send(ctx, &all);
            self.ctp_finish(ctx);
        } else {
            ctx.set_timer(self.per_record(), tag(T_CTP_RECORD, 0));
        }
    }

    /// One record transformed: its output is sent.
    pub(super) fn ctp_next(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let Some(r) = self.ctp_queue.pop_front() else {
            return;
        };
        self.ctp_send(ctx, &[r]);
        if self.ctp_queue.is_empty() {
            self.ctp_finish(ctx);
        } else {
            ctx.set_timer(self.per_record(), tag(T_CTP_RECORD, 0));
        }
    }

    /// Output batches: input partition p → output partition `input + p mod outputs`.
    fn ctp_send(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, records: &[(u32, u64)]) {
        let input = self.cfg.input_partitions();
        let out = self.cfg.ctp_output_partitions;
        let mut by_part: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
        for (p, v) in records {
            by_part
                .entry(input + p % out)
                .or_default()
                .push(v | OUTPUT_BIT);
        }
        let Some(c) = self.ctp.as_mut() else {
            return;
        };
        let mut notes = Vec::new();
        for (p, values) in by_part {
            notes.extend(c.send(ctx, p, Values::from(values)));
        }
        self.ctp_notes(ctx, notes);
    }

    fn ctp_finish(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let Some(c) = self.ctp.as_mut() else {
            return;
        };
        let mut notes = Vec::new();
        if self.cfg.commit_mode == CommitMode::Transactional {
            // Not allConsumed() now: a generation reset while the transaction ran revokes the
            // partitions (clearing that map), and the transaction must still carry its offsets.
            let offsets = std::mem::take(&mut self.ctp_offsets);
            notes.extend(c.send_offsets(ctx, offsets, self.generation, self.idx));
        }
        notes.extend(c.end(ctx, true));
        self.ctp_notes(ctx, notes);
    }

    fn ctp_notes(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, notes: Vec<TxnNote>) {
        for n in notes {
            match n {
                TxnNote::Ready => self.step(ctx),
                TxnNote::Ended(true) => {
                    self.ctp_busy = false;
                    self.step(ctx);
                }
                TxnNote::Ended(false) => {
                    ctx.sometimes("kafka:ctp_transaction_aborted");
                    self.ctp_busy = false;
                    self.rewind(ctx);
                }
                TxnNote::Fenced => {
                    self.ctp_queue.clear();
                    // The transaction timed out (epoch bumped) or another instance took the
                    // transactional.id: start a new producer session, rewind.
                    ctx.sometimes("kafka:ctp_producer_fenced");
                    self.ctp_busy = false;
                    if let Some(c) = self.ctp.as_mut() {
                        c.reset();
                    }
                    self.ctp_init(ctx);
                    self.rewind(ctx);
                }
                TxnNote::Offsets(_) => {}
                TxnNote::Flushed => {
                    // At-least-once: outputs acknowledged, now commitSync the input offsets.
                    self.ctp_busy = false;
                    if self.generation > 0 {
                        self.commit_sync(ctx);
                    } else {
                        self.step(ctx);
                    }
                }
            }
        }
    }

    /// seek() every assigned partition back to its committed offset (OffsetFetch).
    fn rewind(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        ctx.record(KEvent::Seek { consumer: self.idx });
        self.buffer.clear();
        self.consumed.clear();
        self.fetches.clear();
        for p in &self.assignment {
            self.positions.insert(*p, None);
        }
        if self.generation > 0 {
            // Through the consumer's own request, so that step() does not send a second one.
            self.send_offset_fetch(ctx);
        }
        self.step(ctx);
    }

    pub(super) fn ctp_message(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, msg: &KMsg) {
        let Some(c) = self.ctp.as_mut() else {
            return;
        };
        if let Some(notes) = c.on_message(ctx, msg) {
            self.ctp_notes(ctx, notes);
        }
    }

    pub(super) fn ctp_tick(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        if let Some(c) = self.ctp.as_mut() {
            let notes = c.on_tick(ctx);
            self.ctp_notes(ctx, notes);
        }
    }

    pub(super) fn ctp_closed(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, conn: ConnId) {
        if let Some(c) = self.ctp.as_mut() {
            let notes = c.on_closed(ctx, conn);
            self.ctp_notes(ctx, notes);
        }
    }

    pub(super) fn ctp_crash(&mut self) {
        self.ctp_busy = false;
        self.ctp_queue.clear();
        if let Some(c) = self.ctp.as_mut() {
            c.reset();
        }
    }
}
