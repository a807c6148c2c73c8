//! The dead-letter-queue producer inside a consumer process: Connect's DeadLetterQueueReporter
//! (its own KafkaProducer) or the application's DLQ producer. One record per request, one
//! request at a time, acks=all, not idempotent; a retriable error or a lost answer is retried
//! after `retry.backoff.ms` with a metadata refresh, until it is acknowledged (a simplification
//! of delivery.timeout.ms: with the cluster healthy it never expires in these scenarios).

use crate::kafka::clients::metadata_pacing::{MetadataRequests, MetadataStart};
use crate::kafka::config::{Acks, KafkaConfig};
use crate::kafka::wire::msg::{KEvent, KMsg, MetaSnapshot, Peers, WireBatch, tag};
use crate::kafka::wire::values::Values;
use msgsim_sim::{ConnId, Ctx, NodeId, SimDuration, TimerId};
use std::rc::Rc;

/// Timer kinds of the DLQ producer (the consumer forwards kinds ≥ 32 to its stage).
pub(super) const T_DLQ_TIMEOUT: u64 = 40;
pub(super) const T_DLQ_RETRY: u64 = 41;
pub(super) const T_DLQ_MD: u64 = 42;

/// `__connect.errors.*` context headers add roughly this many bytes to a DLQ record.
const CONTEXT_HEADER_BYTES: u64 = 200;

#[derive(Debug, Clone, Copy)]
pub(super) struct DlqRecord {
    pub value: u64,
    pub headers: bool,
}

#[derive(Debug)]
pub(super) struct DlqProducer {
    cfg: Rc<KafkaConfig>,
    dlq_p: u32,
    peers: Peers,
    md: Option<Rc<MetaSnapshot>>,
    md_requests: MetadataRequests,
    /// The record being produced, and (request id, broker, timeout timer) while in flight.
    pending: Option<DlqRecord>,
    in_flight: Option<(u64, u32, TimerId)>,
    next_req: u64,
}

impl DlqProducer {
    pub(super) fn new(cfg: Rc<KafkaConfig>, idx: u32) -> DlqProducer {
        let dlq_p = cfg.dlq_partition().expect("DLQ partition");
        DlqProducer::to_partition(cfg, idx, dlq_p, 0)
    }

    /// The same producer writing to partition `p` (the retry topic's, retry_topic.rs); request
    /// ids start after `first_req` so that two producers of one process never share one.
    pub(super) fn to_partition(
        cfg: Rc<KafkaConfig>,
        idx: u32,
        p: u32,
        first_req: u64,
    ) -> DlqProducer {
        DlqProducer {
            cfg,
            dlq_p: p,
            peers: Peers::default(),
            md: None,
            md_requests: MetadataRequests::unpaced(idx),
            pending: None,
            in_flight: None,
            next_req: first_req,
        }
    }

    /// Start producing `rec`; the answer comes through `on_message` as its DLQ offset.
    pub(super) fn send(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, rec: DlqRecord) {
        self.pending = Some(rec);
        self.try_send(ctx);
    }

    fn request_metadata(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let start =
            self.md_requests
                .request(ctx, &mut self.peers, self.cfg.brokers, SimDuration::ZERO);
        if !matches!(start, MetadataStart::Send(_)) {
            return;
        }
        ctx.set_timer(SimDuration::from_millis(1_000), tag(T_DLQ_MD, 0));
    }

    fn try_send(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let (Some(rec), None) = (self.pending, self.in_flight) else {
            return;
        };
        let Some(md) = self.md.clone() else {
            self.request_metadata(ctx);
            return;
        };
        let st = &md.parts[self.dlq_p as usize];
        let Some(leader) = st.leader else {
            self.md = None;
            self.retry_later(ctx);
            return;
        };
        self.next_req += 1;
        let req = self.next_req;
        let extra = if rec.headers { CONTEXT_HEADER_BYTES } else { 0 };
        let batch = WireBatch {
            id: req,
            p: self.dlq_p,
            pid: -1,
            producer_epoch: 0,
            first_seq: -1,
            ts_ms: ctx.local_now().as_millis() as i64,
            values: Values::from([rec.value]),
            bytes: self.cfg.message_bytes + extra,
            leader_epoch: Some(st.leader_epoch),
            txn: crate::kafka::wire::records::BatchTxn::None,
        };
        let msg = KMsg::Produce {
            req,
            acks: Acks::All,
            timeout_ms: self.cfg.request_timeout_ms,
            batches: vec![batch],
        };
        // A fresh connection must be set up within socket.connection.setup.timeout.ms (10 s,
        // KIP-601), as for the main producer: a request sent into a connection to a broker that
        // is down fails then and is retried, instead of waiting request.timeout.ms (30 s) — a
        // record dead-lettered while its DLQ leader was down used to stall the pipeline past
        // the broker's return (swarm sweep of k20l, seed 51).
        let timeout_ms = crate::kafka::clients::metadata_pacing::answer_timeout_ms(
            &self.peers,
            NodeId(leader),
            self.cfg.request_timeout_ms,
        );
        self.peers.send(ctx, NodeId(leader), msg);
        let timer = ctx.set_timer(
            SimDuration::from_millis(timeout_ms),
            tag(T_DLQ_TIMEOUT, req),
        );
        self.in_flight = Some((req, leader, timer));
    }

    fn retry_later(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        ctx.sometimes("kafka:dlq_produce_retry");
        ctx.set_timer(
            SimDuration::from_millis(self.cfg.retry_backoff_ms),
            tag(T_DLQ_RETRY, 0),
        );
    }

    /// A failed or unanswered attempt: refresh metadata and retry (the record may have been
    /// written: a retry can duplicate it in the DLQ, as without idempotence).
    fn attempt_failed(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        if let Some((_, _, timer)) = self.in_flight.take() {
            ctx.cancel_timer(timer);
        }
        self.md = None;
        self.retry_later(ctx);
    }

    /// Metadata arrives at the consumer; it hands every snapshot on.
    pub(super) fn on_metadata(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, snap: &Rc<MetaSnapshot>) {
        self.md_requests.finish();
        if self.md.as_ref().is_none_or(|m| m.offset <= snap.offset) {
            self.md = Some(snap.clone());
        }
        self.try_send(ctx);
    }

    /// A produce answer: Some((record, DLQ offset)) once the record is acknowledged.
    pub(super) fn on_message(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        msg: &KMsg,
    ) -> Option<(DlqRecord, u64)> {
        let KMsg::ProduceResp { req, results } = msg else {
            return None;
        };
        let (r, _, timer) = self.in_flight?;
        if r != *req {
            return None;
        }
        match results.first().map(|(_, res)| *res) {
            Some(Ok(offset)) => {
                ctx.cancel_timer(timer);
                self.in_flight = None;
                let rec = self.pending.take()?;
                Some((rec, offset.unwrap_or(u64::MAX)))
            }
            _ => {
                self.attempt_failed(ctx);
                None
            }
        }
    }

    pub(super) fn on_timer(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, kind: u64, payload: u64) {
        match kind {
            T_DLQ_TIMEOUT if self.in_flight.is_some_and(|(r, _, _)| r == payload) => {
                // NetworkClient.handleTimedOutRequests: the leader's connection closes with the
                // request (a metadata request on it dies too); the retry goes on a new one.
                let (_, broker, _) = self.in_flight.take().expect("in flight");
                self.peers.close(ctx, NodeId(broker));
                if self.md_requests.awaiting() == Some(NodeId(broker)) {
                    self.md_requests.finish();
                }
                self.md = None;
                self.retry_later(ctx);
            }
            T_DLQ_RETRY => self.try_send(ctx),
            T_DLQ_MD if self.md_requests.in_flight() => {
                self.md_requests.finish();
                self.try_send(ctx);
            }
            _ => {}
        }
    }

    /// One of the consumer process's connections closed; true if it was ours.
    pub(super) fn on_closed(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, conn: ConnId) -> bool {
        let Some(peer) = self.peers.closed(conn) else {
            return false;
        };
        if self.in_flight.is_some_and(|(_, b, _)| b == peer.0) {
            self.attempt_failed(ctx);
        } else if self.md_requests.awaiting() == Some(peer) {
            // The metadata request died with its connection: ask again later. Only this
            // connection's request: clearing it on any close used to disarm the pending
            // metadata timeout, and a record waiting for metadata then waited forever (found by
            // the verdict property: a retry-topic record stuck after two brokers were cut off).
            self.md_requests.finish();
            if self.pending.is_some() {
                self.retry_later(ctx);
            }
        }
        true
    }

    pub(super) fn on_crash(&mut self) {
        self.peers.clear();
        self.md = None;
        self.md_requests.finish();
        self.pending = None;
        self.in_flight = None;
    }
}
