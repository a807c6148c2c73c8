//! A per-record processing stage plugged into the consumer's poll loop: the Connect sink task
//! (connect.rs) or the application DLQ pipeline (app_dlq.rs). The consumer hands it one
//! record at a time, in poll order; the stage may finish it at once, make the loop wait (a
//! retry backoff, a DLQ produce in flight), or stop the loop (the task FAILED).

use crate::kafka::wire::msg::{KEvent, KMsg, MetaSnapshot};
use msgsim_sim::{ConnId, Ctx, SimDuration};
use std::any::Any;
use std::rc::Rc;

/// Timer kinds at or above this belong to the stage.
pub(in crate::kafka) const STAGE_TIMER_BASE: u64 = 32;

/// What the stage did with the current record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::kafka) enum StageStep {
    /// Finished (delivered, skipped or dead-lettered): go on with the next record.
    Done,
    /// Not yet: the stage resumes the loop from a message or a timer.
    Wait,
    /// The task failed at this record: stop consuming (leave the group, commit nothing more);
    /// restarted after the given delay, if any.
    Stop(Option<SimDuration>),
}

pub(in crate::kafka) type SCtx<'a, 'b> = &'a mut Ctx<'b, KMsg, KEvent>;

pub(in crate::kafka) trait Stage {
    /// Process record `offset` of partition `p`.
    fn process(&mut self, ctx: SCtx<'_, '_>, p: u32, offset: u64, value: u64) -> StageStep;
    /// A message the consumer itself does not handle; Some(step) resumes the waiting record.
    fn on_message(&mut self, ctx: SCtx<'_, '_>, msg: &KMsg) -> Option<StageStep>;
    /// A stage timer (kind ≥ STAGE_TIMER_BASE); Some(step) resumes the waiting record.
    fn on_timer(&mut self, ctx: SCtx<'_, '_>, kind: u64, payload: u64) -> Option<StageStep>;
    /// Every metadata snapshot the consumer process receives.
    fn on_metadata(&mut self, ctx: SCtx<'_, '_>, snap: &Rc<MetaSnapshot>);
    /// A connection of the process closed that the consumer does not own.
    fn on_closed(&mut self, ctx: SCtx<'_, '_>, conn: ConnId);
    /// The task is (re)started by the worker after a failure.
    fn on_restart(&mut self, ctx: SCtx<'_, '_>);
    fn on_crash(&mut self);
    fn as_any(&self) -> &dyn Any;
}
