//! The application-level dead-letter pattern (reference §10, "a pattern, not a Kafka
//! feature"): process a record; on failure retry it in place up to `app_max_retries` times
//! after `app_retry_backoff_ms`; then produce it to the DLQ topic and go on. The DLQ produce
//! and the offset commit are two separate, non-atomic steps whose order is the consumer's
//! `commit_mode`: `AfterProcessing` = DLQ produce, then commit (a crash in between
//! re-delivers the record: a duplicate in the DLQ); `BeforeProcessing` = commit, then process
//! and DLQ produce (a crash in between loses the record: it is committed, never dead-lettered).
//! With `sink.retry_topic` a failed record is retried through a retry topic instead of in
//! place (retry_topic.rs).

use super::dlq::{DlqProducer, DlqRecord};
use super::retry_topic::{RetryTopic, decode};
use crate::kafka::clients::stage::{SCtx, Stage, StageStep};
use crate::kafka::config::KafkaConfig;
use crate::kafka::wire::msg::{KEvent, KMsg, MetaSnapshot, tag};
use crate::kafka::wire::sink_event::SinkEvent;
use msgsim_sim::{ConnId, SimDuration, SimTime};
use std::any::Any;
use std::rc::Rc;

const T_APP_RETRY: u64 = 35;
/// A polled retry-topic record's not-before time has come.
const T_RETRY_DUE: u64 = 36;

#[derive(Clone, Copy, Debug)]
struct Current {
    p: u32,
    offset: u64,
    value: u64,
    /// Failed attempts so far (for a retry-topic record: including those before it).
    failures: u32,
    /// When the stage got the record (for `max_blocked_ms`).
    since: SimTime,
}

pub struct AppDlqPipeline {
    cfg: Rc<KafkaConfig>,
    cur: Option<Current>,
    dlq: DlqProducer,
    retry: Option<RetryTopic>,
    /// Longest time one record held up this consumer's loop.
    pub max_blocked: SimDuration,
}

impl AppDlqPipeline {
    pub(in crate::kafka) fn new(cfg: Rc<KafkaConfig>, idx: u32) -> AppDlqPipeline {
        let dlq = DlqProducer::new(cfg.clone(), idx);
        let retry = RetryTopic::new(cfg.clone(), idx);
        AppDlqPipeline {
            cfg,
            cur: None,
            dlq,
            retry,
            max_blocked: SimDuration::ZERO,
        }
    }

    /// The current record is finished: go on with the next one.
    fn done(&mut self, ctx: SCtx<'_, '_>) -> StageStep {
        if let Some(c) = self.cur.take() {
            self.max_blocked = self.max_blocked.max(ctx.now() - c.since);
        }
        StageStep::Done
    }

    /// One processing attempt: a poison record always fails; any record may fail transiently.
    fn attempt(&mut self, ctx: SCtx<'_, '_>) -> StageStep {
        let Some(mut c) = self.cur else {
            return StageStep::Done;
        };
        let transient = ctx
            .rng()
            .chance(self.cfg.sink.app_transient_error_probability);
        if !self.cfg.sink.is_poison(c.value) && !transient {
            ctx.record(KEvent::Sink(SinkEvent::Put {
                p: c.p,
                offset: c.offset,
                value: c.value,
            }));
            return self.done(ctx);
        }
        c.failures += 1;
        self.cur = Some(c);
        if c.failures <= self.cfg.sink.app_max_retries
            && let Some(retry) = self.retry.as_mut()
        {
            // Non-blocking: hand the record to the retry topic and go on once it is there.
            retry.send(ctx, c.value, c.failures);
            return StageStep::Wait;
        }
        if c.failures <= self.cfg.sink.app_max_retries {
            ctx.record(KEvent::Sink(SinkEvent::AppRetry {
                p: c.p,
                offset: c.offset,
                value: c.value,
            }));
            ctx.set_timer(
                SimDuration::from_millis(self.cfg.sink.app_retry_backoff_ms),
                tag(T_APP_RETRY, 0),
            );
            return StageStep::Wait;
        }
        // Retries exhausted: redirect the record to the dead-letter topic.
        ctx.sometimes("kafka:app_dlq_redirect");
        self.dlq.send(
            ctx,
            DlqRecord {
                value: c.value,
                headers: false,
            },
        );
        StageStep::Wait
    }
}

impl Stage for AppDlqPipeline {
    fn process(&mut self, ctx: SCtx<'_, '_>, p: u32, offset: u64, raw: u64) -> StageStep {
        let since = ctx.now();
        let from_retry = self.retry.as_ref().is_some_and(|r| r.partition == p);
        let (value, failures) = if from_retry { decode(raw) } else { (raw, 0) };
        self.cur = Some(Current {
            p,
            offset,
            value,
            failures,
            since,
        });
        let wait = match self.retry.as_mut() {
            Some(r) if from_retry => r.wait_for(ctx, raw),
            _ => SimDuration::ZERO,
        };
        if !wait.is_zero() {
            // Polled before its delay has passed: this consumer holds it until then.
            ctx.sometimes("kafka:retry_topic_early");
            ctx.set_timer(wait, tag(T_RETRY_DUE, 0));
            return StageStep::Wait;
        }
        self.attempt(ctx)
    }

    fn on_message(&mut self, ctx: SCtx<'_, '_>, msg: &KMsg) -> Option<StageStep> {
        if let Some(retry_offset) = self.retry.as_mut().and_then(|r| r.on_message(ctx, msg)) {
            let c = self.cur?;
            ctx.record(KEvent::Sink(SinkEvent::RetryTopicProduced {
                p: c.p,
                offset: c.offset,
                value: c.value,
                attempt: c.failures,
                retry_offset,
            }));
            return Some(self.done(ctx));
        }
        let (_, dlq_offset) = self.dlq.on_message(ctx, msg)?;
        let c = self.cur?;
        ctx.sometimes("kafka:dlq_produced");
        ctx.record(KEvent::Sink(SinkEvent::DlqProduced {
            p: c.p,
            offset: c.offset,
            value: c.value,
            dlq_offset,
            headers: false,
        }));
        Some(self.done(ctx))
    }

    fn on_timer(&mut self, ctx: SCtx<'_, '_>, kind: u64, payload: u64) -> Option<StageStep> {
        if kind == T_APP_RETRY || kind == T_RETRY_DUE {
            return Some(self.attempt(ctx));
        }
        self.dlq.on_timer(ctx, kind, payload);
        if let Some(r) = self.retry.as_mut() {
            r.on_timer(ctx, kind, payload);
        }
        None
    }

    fn on_metadata(&mut self, ctx: SCtx<'_, '_>, snap: &Rc<MetaSnapshot>) {
        self.dlq.on_metadata(ctx, snap);
        if let Some(r) = self.retry.as_mut() {
            r.on_metadata(ctx, snap);
        }
    }

    fn on_closed(&mut self, ctx: SCtx<'_, '_>, conn: ConnId) {
        self.dlq.on_closed(ctx, conn);
        if let Some(r) = self.retry.as_mut() {
            r.on_closed(ctx, conn);
        }
    }

    fn on_restart(&mut self, _ctx: SCtx<'_, '_>) {
        self.cur = None;
    }

    fn on_crash(&mut self) {
        self.cur = None;
        self.dlq.on_crash();
        if let Some(r) = self.retry.as_mut() {
            r.on_crash();
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
