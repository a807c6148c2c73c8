//! The consumer's per-record loop with an optional processing stage (stage.rs): one record at
//! a time, each after `process_time_us_per_record`; the stage may finish it, make the loop
//! wait, or stop it (a Connect task FAILED).

use super::{Consumer, T_PROCESS, T_TASK_RESTART};
use crate::kafka::clients::stage::{Stage, StageStep};
use crate::kafka::config::KafkaConfig;
use crate::kafka::wire::msg::{KEvent, KMsg, tag};
use crate::kafka::wire::values::Values;
use msgsim_sim::Ctx;
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
