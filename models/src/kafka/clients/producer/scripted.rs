//! The producer of a scripted client (`clients/script.rs`): no workload; each scripted send
//! becomes its own batch (its own CreateTime and size) in the same accumulator and Sender as
//! the workload's, and every value's outcome is kept for the send step that made it.

use super::{ID_GAP, PBatch, Producer, SendOutcome};
use crate::kafka::clients::accumulator::Accumulator;
use crate::kafka::config::KafkaConfig;
use crate::kafka::wire::msg::{KErr, KEvent, KMsg};
use crate::kafka::wire::values::Values;
use msgsim_sim::Ctx;
use std::rc::Rc;

impl Producer {
    /// A producer driven by script steps (its config has no workload rate).
    /// Its partitions are every topic's the cluster may host (`log_partitions`): steps may
    /// name a created topic's.
    pub fn scripted(cfg: Rc<KafkaConfig>, idx: u32) -> Producer {
        let mut p = Producer::new(cfg, idx);
        p.outcomes = Some(Vec::new());
        let np = p.cfg.log_partitions() as usize;
        let (idem, in_flight) = (
            p.cfg.enable_idempotence,
            p.cfg.max_in_flight_requests_per_connection,
        );
        p.acc = Accumulator::new(np, idem, in_flight);
        p.open = vec![Vec::new(); np];
        p.next_seq = vec![0; np];
        p
    }

    /// Whether the producer's metadata knows partition `p` (its topic exists: it has
    /// replicas). KafkaProducer.waitOnMetadata blocks a send until it does.
    pub fn knows_partition(&self, p: u32) -> bool {
        (self.md.as_ref()).is_some_and(|m| m.has_partition(p))
    }

    /// Ask for topic `topic`'s auto-creation in every metadata request from now on.
    pub fn ask_auto_create(&mut self, topic: u32) {
        self.md_requests.ask_auto_create(topic);
    }

    /// Ask for a metadata update (Metadata.requestUpdateForTopic in waitOnMetadata), paced
    /// by retry.backoff.ms as every producer metadata request.
    pub fn want_metadata(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        self.request_metadata(ctx);
    }

    pub(super) fn note_outcomes(&mut self, values: &[u64], res: SendOutcome) {
        if let Some(o) = self.outcomes.as_mut() {
            o.extend(values.iter().map(|v| (*v, res)));
        }
    }

    /// Outcomes since the last call: (value, outcome).
    pub fn take_outcomes(&mut self) -> Vec<(u64, SendOutcome)> {
        self.outcomes
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Batches not yet completed (flush waits for none).
    pub fn pending(&self) -> bool {
        !self.batches.is_empty() || self.open.iter().any(|o| !o.is_empty())
    }

    /// KafkaProducer.send of one record of `bytes` (value, key and headers) with CreateTime
    /// `ts_ms` to partition `p`; returns the record's value (its identity in the history).
    /// A record above max.request.size fails at once (RecordTooLargeException, never sent).
    pub fn script_send(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        p: u32,
        bytes: u64,
        ts_ms: i64,
    ) -> u64 {
        self.counter += 1;
        let value = self.value(self.counter);
        let values: Values = Values::from(vec![value]);
        ctx.record(KEvent::Send {
            producer: self.idx,
            p,
            values: values.clone(),
        });
        if bytes > self.cfg.max_request_size_bytes {
            self.note_outcomes(&values, Err(KErr::RecordTooLarge));
            ctx.record(KEvent::SendFail {
                values,
                error: KErr::RecordTooLarge,
            });
            return value;
        }
        let pi = p as usize;
        let seq = if self.cfg.enable_idempotence {
            self.next_seq[pi] += 1;
            self.next_seq[pi] - 1
        } else {
            -1
        };
        let id = self.next_id;
        self.next_id += ID_GAP;
        self.batches.insert(
            id,
            PBatch {
                p,
                values,
                bytes: bytes * self.cfg.compression_percent as u64 / 100,
                seq,
                epoch: self.epoch,
                created: ctx.now(),
                ts_ms,
                attempts: 0,
                in_flight: false,
                maybe_written: false,
                ready_at: ctx.now(),
                id_gap: ID_GAP,
            },
        );
        self.acc.push(pi, id);
        self.drain(ctx);
        value
    }
}
