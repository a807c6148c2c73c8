//! The consumer's per-record loop with an optional processing stage (stage.rs): one record at
//! a time, each after `process_time_us_per_record`; the stage may finish it, make the loop
//! wait, or stop it (a Connect task FAILED). Also the processing of a poll's records without a
//! stage (each record done after its processing time; a crash loses the rest) and the
//! asynchronous worker of `CommitMode::AutoAsyncHandoff`.

use super::{Chunk, Consumer, T_PROCESS, T_TASK_RESTART, T_WORKER};
use crate::kafka::clients::stage::{Stage, StageStep};
use crate::kafka::config::{CommitMode, KafkaConfig};
use crate::kafka::wire::msg::{KEvent, KMsg, tag};
use crate::kafka::wire::values::Values;
use msgsim_sim::{Ctx, SimDuration};
use std::collections::VecDeque;
use std::rc::Rc;

impl Consumer {
    /// A consumer whose records go through `stage`.
    pub(in crate::kafka) fn with_stage(
        cfg: Rc<KafkaConfig>,
        idx: u32,
        stage: Box<dyn Stage>,
    ) -> Consumer {
        Consumer {
            stage: Some(stage),
            ..Consumer::new(cfg, idx)
        }
    }

    /// The stage, for the report.
    pub(in crate::kafka) fn stage(&self) -> Option<&dyn Stage> {
        self.stage.as_deref()
    }

    pub(super) fn process_one(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        loop {
            let Some(q) = self.processing.as_mut() else {
                return;
            };
            if let Some((p, first, v)) = q.pop_front() {
                let step = match self.stage.as_mut() {
                    Some(stage) => stage.process(ctx, p, first, v),
                    None => StageStep::Done,
                };
                if step != StageStep::Done {
                    self.waiting = Some((p, first, v));
                    self.stage_step(ctx, step);
                    return;
                }
                self.processed_one(ctx, p, first, v);
            }
            if !self.next_record(ctx) {
                return;
            }
        }
    }

    pub(super) fn processed_one(
        &self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        p: u32,
        first: u64,
        v: u64,
    ) {
        ctx.record(KEvent::Processed {
            consumer: self.idx,
            p,
            first,
            values: Values::from([v]),
        });
    }

    /// After a record: finish the poll's batch, or schedule the next record. True if the
    /// next record is due at once (a stage with no processing time).
    pub(super) fn next_record(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) -> bool {
        if self.processing.as_ref().is_none_or(VecDeque::is_empty) {
            self.done_processing(ctx);
            false
        } else if self.per_record().is_zero() {
            true
        } else {
            ctx.set_timer(self.per_record(), tag(T_PROCESS, 0));
            false
        }
    }

    /// The stage's answer for the waiting record.
    pub(super) fn stage_step(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, step: StageStep) {
        let Some((p, first, v)) = self.waiting else {
            return;
        };
        match step {
            StageStep::Wait => {}
            StageStep::Done => {
                self.waiting = None;
                self.processed_one(ctx, p, first, v);
                if self.next_record(ctx) {
                    self.process_one(ctx);
                }
            }
            StageStep::Stop(restart) => {
                // WorkerSinkTask: the task is killed and its consumer closed (it leaves the
                // group); nothing past the failed record is committed.
                self.waiting = None;
                self.halted = true;
                self.processing = None;
                self.to_process = None;
                if self.generation > 0 {
                    let gc = self.gc();
                    self.peers
                        .send(ctx, gc, KMsg::LeaveGroup { member: self.idx });
                }
                self.generation = 0;
                self.joining = false;
                self.revoke_all();
                if let Some(d) = restart {
                    ctx.set_timer(d, tag(T_TASK_RESTART, 0));
                }
            }
        }
    }
}

impl Consumer {
    pub(super) fn per_record(&self) -> SimDuration {
        SimDuration::from_micros(self.cfg.process_time_us_per_record)
    }

    /// Process a poll's records one at a time (each record's side effect is done when its
    /// processing time has passed; a crash loses the rest).
    pub(super) fn start_processing(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, chunks: Vec<Chunk>) {
        if self.stage.is_some() && self.per_record().is_zero() {
            self.processing = Some(flatten(chunks));
            self.process_one(ctx);
            return;
        }
        if self.per_record().is_zero() {
            self.record_processed(ctx, chunks);
            self.processing = Some(VecDeque::new());
            self.done_processing(ctx);
            return;
        }
        self.processing = Some(flatten(chunks));
        ctx.set_timer(self.per_record(), tag(T_PROCESS, 0));
    }

    pub(super) fn record_processed(&self, ctx: &mut Ctx<'_, KMsg, KEvent>, chunks: Vec<Chunk>) {
        for (p, first, values) in chunks {
            ctx.record(KEvent::Processed {
                consumer: self.idx,
                p,
                first,
                values,
            });
        }
    }

    pub(super) fn done_processing(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        if self.processing.take().is_none() {
            return;
        }
        if self.cfg.commit_mode == CommitMode::AfterProcessing && self.generation > 0 {
            self.commit_sync(ctx);
        } else {
            self.step(ctx);
        }
    }

    /// The asynchronous worker of CommitMode::AutoAsyncHandoff.
    pub(super) fn hand_off(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, chunks: Vec<Chunk>) {
        if self.per_record().is_zero() {
            self.record_processed(ctx, chunks);
            return;
        }
        self.worker.extend(flatten(chunks));
        if !self.worker_busy {
            self.worker_busy = true;
            ctx.set_timer(self.per_record(), tag(T_WORKER, 0));
        }
    }

    pub(super) fn worker_one(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        self.worker_busy = false;
        if let Some((p, first, v)) = self.worker.pop_front() {
            ctx.record(KEvent::Processed {
                consumer: self.idx,
                p,
                first,
                values: Values::from([v]),
            });
        }
        if !self.worker.is_empty() {
            self.worker_busy = true;
            ctx.set_timer(self.per_record(), tag(T_WORKER, 0));
        }
    }
}

fn flatten(chunks: Vec<Chunk>) -> VecDeque<(u32, u64, u64)> {
    let mut q = VecDeque::new();
    for (p, first, values) in chunks {
        for (i, v) in values.iter().enumerate() {
            q.push_back((p, first + i as u64, *v));
        }
    }
    q
}
