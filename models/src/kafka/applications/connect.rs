//! A Kafka Connect sink task as a consumer stage: each record is converted, transformed and
//! put() to an external sink (an in-model store: the history's `SinkEvent::Put`).
//!
//! Rules (reference §10; CONNECT "Error Reporting in Connect"; ConnectorConfig /
//! SinkConnectorConfig; RetryWithToleranceOperator = CONNRT; WorkerSinkTask):
//! - a poison (malformed) record fails in the converter with a non-retriable DataException;
//!   converter and transformation errors are tolerable (CONNRT TOLERABLE_EXCEPTIONS);
//! - a transformation may throw a RetriableException: retried while
//!   `now − start < errors.retry.timeout` (0 = never, −1 = forever; CONNRT checkRetry), after
//!   `300 ms << (attempt − 1)`, a uniform random delay below `errors.retry.delay.max.ms` once
//!   that is exceeded, never past the deadline (CONNRT backoff);
//! - an error that is not retried (or no longer): `errors.tolerance=none` fails the task at
//!   this record (FAILED: WorkerSinkTask kills it, "will not recover until manually
//!   restarted"); `all` skips it, logs it with `errors.log.enable`, and produces it to
//!   `errors.deadletterqueue.topic.name` if set, with `__connect.errors.*` context headers if
//!   `errors.deadletterqueue.context.headers.enable`;
//! - put() throwing a RetriableException is not an errors.* matter: WorkerSinkTask pauses the
//!   partitions and redelivers the same batch on a later loop (here after
//!   `put_retry_backoff_ms`, standing in for SinkTaskContext.timeout) — the task stays RUNNING
//!   and retries automatically; errors.tolerance never skips a put() failure (only
//!   ErrantRecordReporter, KIP-610, could, and it is not modelled).
//!
//! Simplifications: put() is called per record (a batch of one); the DLQ report is awaited
//! before the next record (Connect sends it asynchronously and awaits it before committing).

use super::dlq::{DlqProducer, DlqRecord};
use crate::kafka::clients::stage::{SCtx, Stage, StageStep};
use crate::kafka::config::KafkaConfig;
use crate::kafka::config::sink::ErrorsTolerance;
use crate::kafka::wire::msg::{KEvent, KMsg, MetaSnapshot, tag};
use crate::kafka::wire::sink_event::SinkEvent;
use msgsim_sim::{ConnId, SimDuration, SimTime};
use std::any::Any;
use std::rc::Rc;

const T_TRANSFORM_RETRY: u64 = 33;
const T_PUT_RETRY: u64 = 34;

/// CONNRT RETRIES_DELAY_MIN_MS.
const RETRIES_DELAY_MIN_MS: u64 = 300;

/// Connect's task states (AbstractStatus.State) that the model reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    Running,
    Failed,
}

#[derive(Clone, Copy, Debug)]
struct Current {
    p: u32,
    offset: u64,
    value: u64,
    /// Transformation attempts that threw a RetriableException.
    attempt: u32,
    start: SimTime,
}

pub struct ConnectSinkTask {
    cfg: Rc<KafkaConfig>,
    pub state: TaskState,
    cur: Option<Current>,
    dlq: Option<DlqProducer>,
}

impl ConnectSinkTask {
    pub(in crate::kafka) fn new(cfg: Rc<KafkaConfig>, idx: u32) -> ConnectSinkTask {
        let dlq = cfg
            .dlq_partition()
            .map(|_| DlqProducer::new(cfg.clone(), idx));
        ConnectSinkTask {
            cfg,
            state: TaskState::Running,
            cur: None,
            dlq,
        }
    }

    fn event(&self, ctx: SCtx<'_, '_>, e: SinkEvent) {
        ctx.record(KEvent::Sink(e));
    }

    /// Convert, then transform (with retries), then put().
    fn convert_and_transform(&mut self, ctx: SCtx<'_, '_>) -> StageStep {
        let Some(mut c) = self.cur else {
            return StageStep::Done;
        };
        if self.cfg.sink.is_poison(c.value) {
            // JsonConverter.toConnectData on malformed bytes: DataException (not retriable).
            ctx.sometimes("kafka:connect_poison_record");
            return self.not_retried(ctx, false);
        }
        let p = self.cfg.sink.transform_transient_error_probability;
        if ctx.rng().chance(p) {
            c.attempt += 1;
            self.cur = Some(c);
            let timeout = self.cfg.sink.errors_retry_timeout_ms;
            let elapsed = ctx.now().saturating_since(c.start).as_millis();
            // CONNRT checkRetry: (now − start) < errors.retry.timeout; −1 means no limit.
            let retry = timeout < 0 || elapsed < timeout as u64;
            if !retry {
                ctx.sometimes("kafka:connect_transient_not_retried");
                return self.not_retried(ctx, true);
            }
            let delay = self.backoff(ctx, c.attempt, elapsed, timeout);
            self.event(
                ctx,
                SinkEvent::TransformRetry {
                    p: c.p,
                    offset: c.offset,
                },
            );
            ctx.set_timer(SimDuration::from_millis(delay), tag(T_TRANSFORM_RETRY, 0));
            return StageStep::Wait;
        }
        self.put(ctx)
    }

    /// CONNRT backoff: 300 ms << (attempt − 1); above errors.retry.delay.max.ms a uniform
    /// random delay below the max; never past the deadline.
    fn backoff(&self, ctx: SCtx<'_, '_>, attempt: u32, elapsed: u64, timeout: i64) -> u64 {
        let max = self.cfg.sink.errors_retry_delay_max_ms;
        let shift = attempt.saturating_sub(1).min(40);
        let mut delay = RETRIES_DELAY_MIN_MS.saturating_mul(1 << shift);
        if delay > max {
            delay = ctx.rng().below(max);
        }
        if timeout >= 0 {
            delay = delay.min((timeout as u64).saturating_sub(elapsed));
        }
        delay
    }

    fn put(&mut self, ctx: SCtx<'_, '_>) -> StageStep {
        let Some(c) = self.cur else {
            return StageStep::Done;
        };
        if ctx
            .rng()
            .chance(self.cfg.sink.put_transient_error_probability)
        {
            // WorkerSinkTask.deliverMessages: RetriableException → pause, redeliver later.
            ctx.sometimes("kafka:connect_put_retriable");
            self.event(
                ctx,
                SinkEvent::PutRetry {
                    p: c.p,
                    offset: c.offset,
                },
            );
            ctx.set_timer(
                SimDuration::from_millis(self.cfg.sink.put_retry_backoff_ms),
                tag(T_PUT_RETRY, 0),
            );
            return StageStep::Wait;
        }
        self.cur = None;
        self.event(
            ctx,
            SinkEvent::Put {
                p: c.p,
                offset: c.offset,
                value: c.value,
            },
        );
        StageStep::Done
    }

    /// An error that is not (or no longer) retried: errors.tolerance decides.
    fn not_retried(&mut self, ctx: SCtx<'_, '_>, retriable: bool) -> StageStep {
        let Some(c) = self.cur else {
            return StageStep::Done;
        };
        let sink = &self.cfg.sink;
        if sink.errors_tolerance == ErrorsTolerance::None {
            // "Tolerance exceeded in error handler": the task fails at this record.
            self.cur = None;
            self.state = TaskState::Failed;
            ctx.sometimes("kafka:connect_task_failed");
            self.event(
                ctx,
                SinkEvent::TaskFailed {
                    p: c.p,
                    offset: c.offset,
                    value: c.value,
                    retriable,
                },
            );
            let restart = (sink.task_restart_after_ms > 0)
                .then(|| SimDuration::from_millis(sink.task_restart_after_ms));
            return StageStep::Stop(restart);
        }
        let logged = sink.errors_log_enable;
        let headers = sink.errors_deadletterqueue_context_headers_enable;
        if let Some(dlq) = self.dlq.as_mut() {
            if logged {
                ctx.record(KEvent::Sink(SinkEvent::ErrorLogged {
                    p: c.p,
                    offset: c.offset,
                }));
            }
            dlq.send(
                ctx,
                DlqRecord {
                    value: c.value,
                    headers,
                },
            );
            return StageStep::Wait;
        }
        self.cur = None;
        ctx.sometimes("kafka:connect_record_skipped");
        self.event(
            ctx,
            SinkEvent::Skipped {
                p: c.p,
                offset: c.offset,
                value: c.value,
                logged,
            },
        );
        StageStep::Done
    }
}

impl Stage for ConnectSinkTask {
    fn process(&mut self, ctx: SCtx<'_, '_>, p: u32, offset: u64, value: u64) -> StageStep {
        self.cur = Some(Current {
            p,
            offset,
            value,
            attempt: 0,
            start: ctx.now(),
        });
        self.convert_and_transform(ctx)
    }

    fn on_message(&mut self, ctx: SCtx<'_, '_>, msg: &KMsg) -> Option<StageStep> {
        let (rec, dlq_offset) = self.dlq.as_mut()?.on_message(ctx, msg)?;
        let c = self.cur.take()?;
        ctx.sometimes("kafka:dlq_produced");
        self.event(
            ctx,
            SinkEvent::DlqProduced {
                p: c.p,
                offset: c.offset,
                value: c.value,
                dlq_offset,
                headers: rec.headers,
            },
        );
        Some(StageStep::Done)
    }

    fn on_timer(&mut self, ctx: SCtx<'_, '_>, kind: u64, payload: u64) -> Option<StageStep> {
        match kind {
            T_TRANSFORM_RETRY => Some(self.convert_and_transform(ctx)),
            T_PUT_RETRY => Some(self.put(ctx)),
            _ => {
                if let Some(dlq) = self.dlq.as_mut() {
                    dlq.on_timer(ctx, kind, payload);
                }
                None
            }
        }
    }

    fn on_metadata(&mut self, ctx: SCtx<'_, '_>, snap: &Rc<MetaSnapshot>) {
        if let Some(dlq) = self.dlq.as_mut() {
            dlq.on_metadata(ctx, snap);
        }
    }

    fn on_closed(&mut self, ctx: SCtx<'_, '_>, conn: ConnId) {
        if let Some(dlq) = self.dlq.as_mut() {
            dlq.on_closed(ctx, conn);
        }
    }

    fn on_restart(&mut self, ctx: SCtx<'_, '_>) {
        self.state = TaskState::Running;
        self.cur = None;
        ctx.record(KEvent::Sink(SinkEvent::TaskRestarted));
    }

    fn on_crash(&mut self) {
        // A worker restart starts its tasks again (RUNNING), from the committed offsets.
        self.state = TaskState::Running;
        self.cur = None;
        if let Some(dlq) = self.dlq.as_mut() {
            dlq.on_crash();
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
