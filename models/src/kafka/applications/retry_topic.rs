//! The retry topic of the application DLQ pipeline: the "non-blocking retries" pattern
//! (Spring Kafka's retry topics, Uber's retry queues — a pattern built on plain produce and
//! consume, not a Kafka feature). A record whose processing failed is not retried in place,
//! which would hold up every later record of its partition, but produced to a retry topic
//! with its attempt count and a not-before time; the consumer group also consumes the retry
//! topic and re-processes the record once the delay has passed; after `app_max_retries`
//! attempts the record goes to the DLQ. Meanwhile the main partition's records keep flowing.
//!
//! Model choices: the retry topic is one extra partition (`KafkaConfig::retry_partition`),
//! assigned by the group like the workload's. The attempt count travels in the record, in
//! the value's top byte (standing in for a header such as Spring's attempts header; the
//! workload's values never use that byte). The not-before time stays in the producing
//! process's memory: a record whose time is unknown there (the process crashed since, or
//! another member produced it) is due at once — a simplification of a backoff-due header.

use super::dlq::{DlqProducer, DlqRecord};
use crate::kafka::clients::stage::SCtx;
use crate::kafka::config::KafkaConfig;
use crate::kafka::wire::msg::{KMsg, MetaSnapshot};
use msgsim_sim::{ConnId, SimDuration, SimTime};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Bits of the value below the attempt count.
const ATTEMPT_SHIFT: u32 = 56;
/// Request ids of the retry producer start here (the DLQ producer's start at 0).
const FIRST_REQ: u64 = 1 << 40;

/// A retry-topic copy of `value` after `attempt` failed attempts.
pub(super) fn encode(value: u64, attempt: u32) -> u64 {
    value | (u64::from(attempt) << ATTEMPT_SHIFT)
}

/// The workload value and the attempt count of a retry-topic record.
pub(super) fn decode(raw: u64) -> (u64, u32) {
    (
        raw & ((1 << ATTEMPT_SHIFT) - 1),
        (raw >> ATTEMPT_SHIFT) as u32,
    )
}

pub(super) struct RetryTopic {
    cfg: Rc<KafkaConfig>,
    pub(super) partition: u32,
    producer: DlqProducer,
    /// Not-before time of each retry record this process produced (by encoded value).
    due: BTreeMap<u64, SimTime>,
}

impl RetryTopic {
    pub(super) fn new(cfg: Rc<KafkaConfig>, idx: u32) -> Option<RetryTopic> {
        let partition = cfg.retry_partition()?;
        let producer = DlqProducer::to_partition(cfg.clone(), idx, partition, FIRST_REQ);
        Some(RetryTopic {
            cfg,
            partition,
            producer,
            due: BTreeMap::new(),
        })
    }

    /// Produce `value` after `attempt` failed attempts; due `retry_topic_delay_ms` from now.
    pub(super) fn send(&mut self, ctx: SCtx<'_, '_>, value: u64, attempt: u32) {
        let raw = encode(value, attempt);
        let delay = SimDuration::from_millis(self.cfg.sink.retry_topic_delay_ms);
        self.due.insert(raw, ctx.now() + delay);
        ctx.sometimes("kafka:retry_topic_produce");
        self.producer.send(
            ctx,
            DlqRecord {
                value: raw,
                headers: false,
            },
        );
    }

    /// How long a polled retry record must still wait (zero when due or unknown here).
    pub(super) fn wait_for(&mut self, ctx: SCtx<'_, '_>, raw: u64) -> SimDuration {
        match self.due.remove(&raw) {
            Some(t) if t > ctx.now() => t - ctx.now(),
            _ => SimDuration::ZERO,
        }
    }

    /// A produce answer: Some(retry-topic offset) once the record is acknowledged.
    pub(super) fn on_message(&mut self, ctx: SCtx<'_, '_>, msg: &KMsg) -> Option<u64> {
        self.producer.on_message(ctx, msg).map(|(_, off)| off)
    }

    pub(super) fn on_timer(&mut self, ctx: SCtx<'_, '_>, kind: u64, payload: u64) {
        self.producer.on_timer(ctx, kind, payload);
    }

    pub(super) fn on_metadata(&mut self, ctx: SCtx<'_, '_>, snap: &Rc<MetaSnapshot>) {
        self.producer.on_metadata(ctx, snap);
    }

    pub(super) fn on_closed(&mut self, ctx: SCtx<'_, '_>, conn: ConnId) {
        self.producer.on_closed(ctx, conn);
    }

    pub(super) fn on_crash(&mut self) {
        self.producer.on_crash();
        self.due.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_count_round_trips() {
        let v = (3u64 << 40) | 12_345;
        assert_eq!(decode(encode(v, 2)), (v, 2));
        assert_eq!(decode(v), (v, 0));
    }
}
