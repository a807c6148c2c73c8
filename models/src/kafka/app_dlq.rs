//! The application-level dead-letter pattern (reference §10, "a pattern, not a Kafka
//! feature"): process a record; on failure retry it in place up to `app_max_retries` times
//! after `app_retry_backoff_ms`; then produce it to the DLQ topic and go on. The DLQ produce
//! and the offset commit are two separate, non-atomic steps whose order is the consumer's
//! `commit_mode`: `AfterProcessing` = DLQ produce, then commit (a crash in between
//! re-delivers the record: a duplicate in the DLQ); `BeforeProcessing` = commit, then process
//! and DLQ produce (a crash in between loses the record: it is committed, never dead-lettered).

use super::config::KafkaConfig;
use super::dlq::{DlqProducer, DlqRecord};
use super::msg::{KEvent, KMsg, MetaSnapshot, tag};
use super::sink_checker::SinkEvent;
use super::stage::{SCtx, Stage, StageStep};
use msgsim_sim::{ConnId, SimDuration};
use std::any::Any;
use std::rc::Rc;

const T_APP_RETRY: u64 = 35;

#[derive(Clone, Copy, Debug)]
struct Current {
    p: u32,
    offset: u64,
    value: u64,
    /// Failed attempts so far.
    failures: u32,
}

pub struct AppDlqPipeline {
    cfg: Rc<KafkaConfig>,
    cur: Option<Current>,
    dlq: DlqProducer,
}

impl AppDlqPipeline {
    pub(super) fn new(cfg: Rc<KafkaConfig>, idx: u32) -> AppDlqPipeline {
        let dlq = DlqProducer::new(cfg.clone(), idx);
        AppDlqPipeline {
            cfg,
            cur: None,
            dlq,
        }
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
            self.cur = None;
            ctx.record(KEvent::Sink(SinkEvent::Put {
                p: c.p,
                offset: c.offset,
                value: c.value,
            }));
            return StageStep::Done;
        }
        c.failures += 1;
        self.cur = Some(c);
        if c.failures <= self.cfg.sink.app_max_retries {
            ctx.record(KEvent::Sink(SinkEvent::AppRetry {
                p: c.p,
                offset: c.offset,
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
    fn process(&mut self, ctx: SCtx<'_, '_>, p: u32, offset: u64, value: u64) -> StageStep {
        self.cur = Some(Current {
            p,
            offset,
            value,
            failures: 0,
        });
        self.attempt(ctx)
    }

    fn on_message(&mut self, ctx: SCtx<'_, '_>, msg: &KMsg) -> Option<StageStep> {
        let (_, dlq_offset) = self.dlq.on_message(ctx, msg)?;
        let c = self.cur.take()?;
        ctx.sometimes("kafka:dlq_produced");
        ctx.record(KEvent::Sink(SinkEvent::DlqProduced {
            p: c.p,
            offset: c.offset,
            value: c.value,
            dlq_offset,
            headers: false,
        }));
        Some(StageStep::Done)
    }

    fn on_timer(&mut self, ctx: SCtx<'_, '_>, kind: u64, payload: u64) -> Option<StageStep> {
        if kind == T_APP_RETRY {
            return Some(self.attempt(ctx));
        }
        self.dlq.on_timer(ctx, kind, payload);
        None
    }

    fn on_metadata(&mut self, ctx: SCtx<'_, '_>, snap: &Rc<MetaSnapshot>) {
        self.dlq.on_metadata(ctx, snap);
    }

    fn on_closed(&mut self, ctx: SCtx<'_, '_>, conn: ConnId) {
        self.dlq.on_closed(ctx, conn);
    }

    fn on_restart(&mut self, _ctx: SCtx<'_, '_>) {
        self.cur = None;
    }

    fn on_crash(&mut self) {
        self.cur = None;
        self.dlq.on_crash();
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
