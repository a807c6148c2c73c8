//! The transactional client's batches (the Sender and RecordAccumulator of a transactional or
//! idempotent KafkaProducer): one produce request per batch and one batch in flight per
//! partition, sequences assigned at the first drain, and each answer's handling
//! (Sender.completeBatch: retry, abortable error with the KIP-360 bump, fencing).

use super::{Cx, TxnClient, TxnNote};
use crate::kafka::config::Acks;
use crate::kafka::wire::msg::{KErr, KEvent, KMsg, WireBatch};
use crate::kafka::wire::records::BatchTxn;
use msgsim_sim::{NodeId, SimDuration};
use std::collections::BTreeMap;

impl TxnClient {
    /// abortTransaction: batches not yet sent are failed, in-flight ones awaited.
    pub(super) fn drop_unsent(&mut self, ctx: &mut Cx<'_>) {
        let ids: Vec<u64> = self
            .batches
            .iter()
            .filter(|(_, b)| !b.in_flight)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.finish_failed(ctx, id, KErr::TransactionAborted);
        }
    }

    /// One produce request per batch, one batch in flight per partition, in order: only each
    /// partition's oldest batch may go (RecordAccumulator drains a partition's deque from its
    /// head, and a batch waiting to retry stays at the head), so no later sequence overtakes
    /// an earlier one.
    pub(super) fn send_batches(&mut self, ctx: &mut Cx<'_>) {
        let now = ctx.now();
        let mut heads: BTreeMap<u32, u64> = BTreeMap::new();
        for (id, b) in &self.batches {
            heads.entry(b.p).or_insert(*id);
        }
        let mut chosen: BTreeMap<u32, u64> = BTreeMap::new();
        for (p, id) in heads {
            let b = &self.batches[&id];
            let allowed = self.tid.is_none() || self.tv2() || self.added.contains(&p);
            if !b.in_flight && allowed && b.ready_at <= now {
                chosen.insert(p, id);
            }
        }
        if chosen.is_empty() {
            return;
        }
        let Some(md) = self.md.clone() else {
            self.request_metadata(ctx);
            return;
        };
        for (p, id) in chosen {
            let st = &md.parts[p as usize];
            let Some(leader) = st.leader else {
                // A leaderless partition: forget the cached metadata and ask again (the tick
                // abandons an unanswered request, so a dead broker does not hold it for ever).
                self.md = None;
                self.request_metadata(ctx);
                continue;
            };
            let b = self.batches.get_mut(&id).expect("batch");
            if b.seq.is_none() {
                let next = self.next_seq.entry(p).or_insert(0);
                b.seq = Some(*next);
                *next += b.values.len() as i32;
            }
            b.in_flight = true;
            b.attempts += 1;
            let wire = WireBatch {
                id,
                p,
                pid: self.pid,
                producer_epoch: self.epoch,
                first_seq: b.seq.expect("assigned"),
                ts_ms: b
                    .record
                    .map_or(ctx.local_now().as_millis() as i64, |r| r.ts_ms),
                values: b.values.clone(),
                // A scripted record is compressed as a plain scripted send is.
                bytes: b
                    .record
                    .map_or(b.values.len() as u64 * self.cfg.message_bytes, |r| {
                        r.bytes * self.cfg.compression_percent as u64 / 100
                    }),
                leader_epoch: Some(st.leader_epoch),
                txn: if self.tid.is_some() {
                    BatchTxn::Data
                } else {
                    BatchTxn::None
                },
            };
            self.next_req += 1;
            let req = self.next_req;
            let msg = KMsg::Produce {
                req,
                acks: Acks::All,
                timeout_ms: self.cfg.request_timeout_ms,
                batches: vec![wire],
            };
            let timeout_ms = crate::kafka::clients::metadata_pacing::answer_timeout_ms(
                &self.peers,
                NodeId(leader),
                self.cfg.request_timeout_ms,
            );
            self.peers.send(ctx, NodeId(leader), msg);
            let deadline = now + SimDuration::from_millis(timeout_ms);
            self.in_flight.insert(req, (leader, id, deadline));
        }
    }

    pub(super) fn finish_failed(&mut self, ctx: &mut Cx<'_>, id: u64, error: KErr) {
        let Some(b) = self.batches.remove(&id) else {
            return;
        };
        self.note_outcome(&b.values, Err(error));
        if self.owner.is_some() {
            if b.maybe_written {
                ctx.record(KEvent::SendInfo {
                    values: b.values,
                    error,
                });
            } else {
                ctx.record(KEvent::SendFail {
                    values: b.values,
                    error,
                });
            }
        }
    }

    /// Sender.completeBatch for one batch's answer.
    pub(super) fn on_result(
        &mut self,
        ctx: &mut Cx<'_>,
        id: u64,
        res: Result<Option<u64>, KErr>,
    ) -> Vec<TxnNote> {
        let Some(b) = self.batches.get_mut(&id) else {
            return Vec::new();
        };
        b.in_flight = false;
        match res {
            Ok(offset) => {
                let b = self.batches.remove(&id).expect("batch");
                if let Some(seq) = b.seq {
                    self.acked_seq.insert(b.p, seq + b.values.len() as i32 - 1);
                }
                self.note_outcome(&b.values, Ok(offset));
                if self.owner.is_some() {
                    ctx.record(KEvent::SendOk {
                        p: b.p,
                        values: b.values,
                        offset,
                    });
                }
                Vec::new()
            }
            // A stale epoch on a partition: a newer instance's marker fenced us.
            Err(KErr::InvalidProducerEpoch | KErr::ProducerFenced) if self.tid.is_some() => {
                self.fence(ctx)
            }
            Err(e) => {
                if e.maybe_written() {
                    b.maybe_written = true;
                }
                let now = ctx.now();
                let expired = now.saturating_since(b.created)
                    >= SimDuration::from_millis(self.cfg.delivery_timeout_ms);
                // TransactionManager.canRetry: OUT_OF_ORDER_SEQUENCE_NUMBER is retried when the
                // batch is not the next one after the last acknowledged sequence; for the next
                // one the gap is real, and the error is abortable.
                let next = self.acked_seq.get(&b.p).map_or(0, |s| s + 1);
                let retry = e.retriable()
                    && (e != KErr::OutOfOrderSequence || b.seq != Some(next))
                    && !expired;
                if retry {
                    let attempts = b.attempts;
                    let d = self.backoff(ctx, attempts);
                    let b = self.batches.get_mut(&id).expect("batch");
                    b.ready_at = now + d;
                    if matches!(
                        e,
                        KErr::NotLeaderOrFollower
                            | KErr::FencedLeaderEpoch
                            | KErr::UnknownLeaderEpoch
                            | KErr::Network
                    ) {
                        self.md = None;
                    }
                } else {
                    // An abortable error (TransactionManager.maybeTransitionToErrorState): the
                    // transaction must abort, then bump the epoch (KIP-360) so that the next
                    // transaction's sequences start at 0 past the failed batch's gap.
                    self.abortable = true;
                    if self.tid.is_some() {
                        self.epoch_bump_required = true;
                    }
                    let error = if expired { KErr::DeliveryTimeout } else { e };
                    self.last_error.get_or_insert(error);
                    self.finish_failed(ctx, id, error);
                }
                Vec::new()
            }
        }
    }
}
