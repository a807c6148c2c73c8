//! The broker's produce path (Partition.appendRecordsToLeader, DelayedProduce purgatory) and
//! consumer fetches (up to the HW; OFFSET_OUT_OF_RANGE below the log start), plus parked
//! (long-poll) fetches. A transactional produce may first wait for KIP-890 part 1's verification
//! by the transaction coordinator (its state and rules in `verification.rs`).

use super::log::SeqCheck;
use super::parked::ParkedFetch;
use super::verification::{
    PendingVerify, ProduceRequest, Verified, missing_verification, produce_error,
};
use super::{Broker, PendingProduce, ProduceResult, ProduceScratch, Role, T_PARK, T_PURGATORY};
use crate::kafka::config::Acks;
use crate::kafka::wire::msg::{FetchPart, FetchResult, KErr, KEvent, KMsg, WireBatch, reply, tag};
use crate::kafka::wire::records::{Batch, BatchTxn};
use msgsim_sim::{Ctx, NodeId, SimDuration, SimTime, Via};
use std::collections::BTreeMap;
use std::rc::Rc;

impl Broker {
    /// The produce request after verification (`verification.rs`, KIP-890 part 1): each
    /// batch appended to its partition, or answered with the error its verification got.
    pub(super) fn produce_verified(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        request: ProduceRequest,
        verified: &Verified,
    ) {
        let ProduceRequest {
            from,
            via,
            req,
            acks,
            timeout_ms,
            batches,
        } = request;
        let now_ms = Self::now_ms(ctx);
        let key = self.key();
        let mut results: Vec<(u64, Option<ProduceResult>)> = Vec::with_capacity(batches.len());
        // Reused lists (taken here, put back below): a produce request allocates only what it
        // keeps — its results, and its base offsets while it waits in the purgatory.
        let ProduceScratch {
            mut waits,
            mut appended,
            mut bases,
        } = std::mem::take(&mut self.produce_scratch);
        for (i, wb) in batches.iter().enumerate() {
            let (res, wait) = match verified.errors.get(&wb.p) {
                Some(e) => (Err(*e), None),
                None => {
                    let guard = verified.guards.get(&wb.p).copied();
                    self.append_to_leader(ctx, acks, wb, now_ms, guard)
                }
            };
            bases.push(res.as_ref().ok().copied().flatten());
            if let Some(required) = wait {
                waits.push((wb.p as usize, required, i));
                if !appended.contains(&(wb.p as usize)) {
                    appended.push(wb.p as usize);
                }
            } else if res.as_ref().is_ok_and(|o| o.is_some())
                && !appended.contains(&(wb.p as usize))
            {
                appended.push(wb.p as usize);
            }
            results.push((wb.id, if wait.is_some() { None } else { Some(res) }));
        }
        for &p in &appended {
            self.wake_parked_replicas(ctx, p as u32);
        }
        if acks == Acks::Zero {
            // No answer.
        } else if waits.is_empty() {
            let results = results
                .into_iter()
                .map(|(id, r)| (id, r.expect("done")))
                .collect();
            reply(ctx, from, via, KMsg::ProduceResp { req, results });
        } else {
            let deadline = ctx.now() + SimDuration::from_millis(timeout_ms);
            let pending = PendingProduce {
                from,
                via,
                req,
                results,
                bases: bases.clone(),
                remaining: waits.len(),
                deadline,
            };
            self.purgatory.insert(key, pending);
            self.arm(ctx, T_PURGATORY, deadline);
            for &(p, required, i) in &waits {
                self.parts[p].waiters.push_back((required, key, i as u32));
            }
        }
        for &p in &appended {
            self.maybe_advance_hw(ctx, p);
        }
        waits.clear();
        appended.clear();
        bases.clear();
        self.produce_scratch = ProduceScratch {
            waits,
            appended,
            bases,
        };
    }

    /// Partition.appendRecordsToLeader for one batch. Returns the result, or the offset the
    /// HW must reach before an acks=all answer.
    fn append_to_leader(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        acks: Acks,
        wb: &WireBatch,
        now_ms: i64,
        guard: Option<u64>,
    ) -> (Result<Option<u64>, KErr>, Option<u64>) {
        let p = wb.p as usize;
        if p >= self.parts.len() || self.parts[p].role != Role::Leader {
            return (Err(KErr::NotLeaderOrFollower), None);
        }
        let view = &self.parts[p];
        // KIP-359: produce carries the leader epoch the client knows.
        if let Some(e) = wb.leader_epoch
            && e < view.leader_epoch
        {
            return (Err(KErr::FencedLeaderEpoch), None);
        }
        // Only acks=all is checked against min ISR, and before appending (L1381–1386).
        if acks == Acks::All && view.isr.len() < self.cfg.effective_min_isr_at(p, ctx.now()) {
            ctx.sometimes("kafka:not_enough_replicas");
            return (Err(KErr::NotEnoughReplicas), None);
        }
        // LogValidator: "Compacted topic cannot accept message without key" (INVALID_RECORD,
        // since 0.9); the workload is keyless when key_space is 0.
        if self.cfg.cleanup_at(p, ctx.now()).compacts() && self.cfg.key_space == 0 {
            ctx.sometimes("kafka:keyless_record_rejected");
            return (Err(KErr::InvalidRecord), None);
        }
        // UnifiedLog size check: per batch, after compression (message.max.bytes).
        if wb.bytes > self.cfg.message_max_bytes {
            ctx.sometimes("kafka:message_too_large");
            return (Err(KErr::MessageTooLarge), None);
        }
        let n = wb.values.len() as i32;
        let log = &mut self.logs[p];
        let check = if wb.txn.is_control() {
            super::log::check_marker(log, wb.pid, wb.producer_epoch)
        } else {
            log.check_sequence(
                wb.pid,
                wb.producer_epoch,
                wb.first_seq,
                wb.first_seq + n - 1,
            )
        };
        match check {
            SeqCheck::Duplicate(base) => {
                ctx.sometimes("kafka:idempotent_duplicate_suppressed");
                let end = base + n as u64;
                return if acks == Acks::All && end > log.hw {
                    (Ok(Some(base)), Some(end))
                } else {
                    (Ok(Some(base)), None)
                };
            }
            SeqCheck::DuplicateUncached => {
                ctx.sometimes("kafka:duplicate_sequence_number");
                return (Ok(None), None);
            }
            _ if (self.cfg.transaction_partition_verification || self.cfg.kip890_transactions)
                && wb.txn == BatchTxn::Data
                && !log.has_ongoing_transaction(wb.pid, wb.producer_epoch)
                && missing_verification(log.verification.get(&wb.pid).copied(), guard) =>
            {
                // UnifiedLog.analyzeAndValidateProducerState (after the duplicate check):
                // "Record was not part of an ongoing transaction".
                ctx.sometimes("kafka:txn_verification_guard_refused");
                return (Err(KErr::InvalidTxnState), None);
            }
            SeqCheck::OutOfOrder => return (Err(KErr::OutOfOrderSequence), None),
            SeqCheck::InvalidEpoch => return (Err(KErr::InvalidProducerEpoch), None),
            SeqCheck::Append => {}
        }
        let batch = Rc::new(Batch {
            base_offset: log.leo,
            leader_epoch: view.leader_epoch,
            max_ts_ms: wb.ts_ms,
            pid: wb.pid,
            producer_epoch: wb.producer_epoch,
            first_seq: wb.first_seq,
            values: wb.values.clone(),
            bytes: wb.bytes,
            txn: wb.txn,
        });
        let base = batch.base_offset;
        let end = batch.next_offset();
        // The topic's current segment.bytes / segment.ms (an IncrementalAlterConfigs override).
        let (segment_bytes, segment_ms) = self.cfg.segment_at(p, ctx.now().as_millis());
        log.append(batch, now_ms, segment_bytes, segment_ms);
        match acks {
            Acks::All => (Ok(Some(base)), Some(end)),
            _ => (Ok(Some(base)), None),
        }
    }

    /// DelayedProduce completion after an HW advance (checkEnoughReplicasReachOffset): pre-3.7
    /// with ISR < min ISR the answer is NOT_ENOUGH_REPLICAS_AFTER_APPEND although the records
    /// are in the log.
    pub(super) fn complete_waiters(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize) {
        let hw = self.logs[p].hw;
        let under_min = self.parts[p].isr.len() < self.cfg.effective_min_isr_at(p, ctx.now());
        while let Some(&(required, key, i)) = self.parts[p].waiters.front() {
            if required > hw {
                break;
            }
            self.parts[p].waiters.pop_front();
            let res = if under_min {
                ctx.sometimes("kafka:not_enough_replicas_after_append");
                Err(KErr::NotEnoughReplicasAfterAppend)
            } else {
                Ok(None)
            };
            self.finish_waiter(ctx, key, i, res);
        }
    }

    /// Leadership lost: parked produces of `p` answer NOT_LEADER_OR_FOLLOWER.
    pub(super) fn fail_waiters(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize) {
        while let Some((_, key, i)) = self.parts[p].waiters.pop_front() {
            self.finish_waiter(ctx, key, i, Err(KErr::NotLeaderOrFollower));
        }
    }

    fn finish_waiter(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        key: u64,
        i: u32,
        res: Result<Option<u64>, KErr>,
    ) {
        let Some(pending) = self.purgatory.get_mut(&key) else {
            return;
        };
        let slot = &mut pending.results[i as usize].1;
        if slot.is_some() {
            return;
        }
        // Ok(None) means "the offset we assigned": keep what the append reported.
        *slot = Some(match res {
            Ok(None) => Ok(pending.bases[i as usize]),
            other => other,
        });
        pending.remaining -= 1;
        if pending.remaining == 0 {
            let pending = self.purgatory.remove(&key).expect("present");
            self.answer(ctx, pending);
        }
    }

    fn answer(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, pending: PendingProduce) {
        let results = pending
            .results
            .into_iter()
            .map(|(id, r)| (id, r.unwrap_or(Err(KErr::RequestTimedOut))))
            .collect();
        reply(
            ctx,
            pending.from,
            pending.via,
            KMsg::ProduceResp {
                req: pending.req,
                results,
            },
        );
    }

    /// Arm the one sweep timer of `kind` for `deadline` unless an earlier one is pending
    /// (DelayedProduce / DelayedFetch expiry without a timer per request).
    fn arm(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, kind: u64, deadline: SimTime) {
        let slot = if kind == T_PARK {
            &mut self.park_timer
        } else {
            &mut self.purgatory_timer
        };
        if slot.is_some_and(|t| t <= deadline && t >= ctx.now()) {
            return;
        }
        *slot = Some(deadline);
        ctx.set_timer(deadline.saturating_since(ctx.now()), tag(kind, 0));
    }

    /// DelayedProduce expiry: REQUEST_TIMED_OUT for what did not complete in time.
    pub(super) fn on_purgatory_timeout(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now = ctx.now();
        if self.purgatory_timer.is_some_and(|t| t <= now) {
            self.purgatory_timer = None;
        }
        let expired: Vec<u64> = self
            .purgatory
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in expired {
            let pending = self.purgatory.remove(&key).expect("present");
            ctx.sometimes("kafka:produce_request_timed_out");
            for view in &mut self.parts {
                view.waiters.retain(|w| w.1 != key);
            }
            self.answer(ctx, pending);
        }
        if let Some(next) = self.purgatory.values().map(|p| p.deadline).min() {
            self.arm(ctx, T_PURGATORY, next);
        }
    }

    // ---------------------------------------------------------------- consumer fetch

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_consumer_fetch(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        from: NodeId,
        via: Via,
        req: u64,
        max_wait_ms: u64,
        parts: Vec<FetchPart>,
        read_committed: bool,
        may_park: bool,
    ) {
        let mut results = self.fetch_results(parts.len());
        let mut any = false;
        let mut remote = false;
        for part in &parts {
            let r = self.serve_consumer_part(part, read_committed);
            // Tiered storage: below the local log start the remote tier answers (tiered.rs).
            let (r, from_remote) = self.tiered_consumer_part(part, read_committed, r);
            remote |= from_remote;
            if !matches!(&r, FetchResult::Records { batches, .. } if batches.is_empty()) {
                any = true;
            }
            results.push((part.p, r));
        }
        if !any && may_park && max_wait_ms > 0 {
            let msg = KMsg::ConsumerFetch {
                req,
                max_wait_ms,
                parts,
                read_committed,
            };
            self.park(ctx, from, via, msg, max_wait_ms);
            self.recycle_fetch_results(results);
            return;
        }
        let resp = KMsg::FetchResp {
            req,
            parts: results,
        };
        if remote {
            self.reply_after_remote_read(ctx, from, via, resp);
            return;
        }
        reply(ctx, from, via, resp);
    }

    /// Consumers read only up to the HW ("only committed messages are ever given out"), or up
    /// to the LSO with read_committed, which also gets the aborted transactions of the range
    /// (reference §7); OFFSET_OUT_OF_RANGE below the log start or above the LEO.
    fn serve_consumer_part(&self, part: &FetchPart, read_committed: bool) -> FetchResult {
        let p = part.p as usize;
        if p >= self.parts.len() || self.parts[p].role != Role::Leader {
            return FetchResult::Error(KErr::NotLeaderOrFollower);
        }
        if let Some(e) = part.current_leader_epoch {
            let mine = self.parts[p].leader_epoch;
            if e < mine {
                return FetchResult::Error(KErr::FencedLeaderEpoch);
            }
            if e > mine {
                return FetchResult::Error(KErr::UnknownLeaderEpoch);
            }
        }
        let log = &self.logs[p];
        // A consumer validating its position after a leader change (KIP-320; the model's
        // stand-in for OffsetsForLeaderEpoch, answered from the leader's epoch cache as
        // LeaderEpochFileCache.endOffsetFor): its offset epoch ends below its position here.
        // An epoch older than every cached one (a log that lost it all, e.g. RF 1 and a power
        // loss) ends where the first cached epoch starts.
        if let Some(lfe) = part.last_fetched_epoch
            && let Some((epoch, end_offset)) = log
                .end_offset_for_epoch(lfe)
                .or_else(|| log.epoch_cache.first().map(|&(_, start)| (lfe, start)))
            && end_offset < part.fetch_offset
        {
            return FetchResult::Diverging { epoch, end_offset };
        }
        // ListOffsets "latest" is the LSO for read_committed.
        let end = if read_committed {
            log.txn.lso(log.hw)
        } else {
            log.hw
        };
        if part.fetch_offset < log.local_log_start || part.fetch_offset > log.leo {
            return FetchResult::OutOfRange {
                log_start: log.local_log_start,
                hw: end,
                leo: log.leo,
            };
        }
        let batches = log.read(part.fetch_offset, end, self.cfg.max_partition_fetch_bytes);
        let aborted = if read_committed {
            log.txn.aborted_in(part.fetch_offset, end)
        } else {
            Vec::new()
        };
        FetchResult::Records {
            batches,
            hw: end,
            log_start: log.local_log_start,
            leo: log.leo,
            aborted,
        }
    }

    // ---------------------------------------------------------------- parked fetches

    /// An empty list for a fetch's per-partition results: the one a fetch that parked (and so
    /// answered nothing) handed back, else a new one. Most fetches of a caught-up follower or
    /// consumer park first, so most of them allocate nothing for the answer they do not send.
    pub(super) fn fetch_results(&mut self, parts: usize) -> Vec<(u32, FetchResult)> {
        let mut results = std::mem::take(&mut self.fetch_scratch);
        results.reserve(parts);
        results
    }

    pub(super) fn recycle_fetch_results(&mut self, mut results: Vec<(u32, FetchResult)>) {
        results.clear();
        self.fetch_scratch = results;
    }

    pub(super) fn park(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        from: NodeId,
        via: Via,
        msg: KMsg,
        wait_ms: u64,
    ) {
        if !matches!(msg, KMsg::ReplicaFetch { .. } | KMsg::ConsumerFetch { .. }) {
            return;
        }
        let key = self.key();
        let deadline = ctx.now() + SimDuration::from_millis(wait_ms);
        let fetch = ParkedFetch {
            from,
            via,
            msg,
            deadline,
        };
        self.parked.insert(key, fetch);
        self.arm(ctx, T_PARK, deadline);
    }

    fn rerun(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, parked: ParkedFetch) {
        match parked.msg {
            KMsg::ReplicaFetch {
                req,
                broker,
                broker_epoch,
                parts,
            } => self.on_replica_fetch(
                ctx,
                parked.from,
                parked.via,
                req,
                broker,
                broker_epoch,
                parts,
                false,
            ),
            KMsg::ConsumerFetch {
                req,
                max_wait_ms,
                parts,
                read_committed,
            } => self.on_consumer_fetch(
                ctx,
                parked.from,
                parked.via,
                req,
                max_wait_ms,
                parts,
                read_committed,
                false,
            ),
            _ => {}
        }
    }

    pub(super) fn on_park_timeout(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now = ctx.now();
        if self.park_timer.is_some_and(|t| t <= now) {
            self.park_timer = None;
        }
        // A re-run fetch can move an HW and so answer (wake) a fetch later in this list: that
        // one has left already, and is skipped.
        for key in self.parked.expired(now) {
            let Some(parked) = self.parked.remove(key) else {
                continue;
            };
            self.rerun(ctx, parked);
        }
        if let Some(next) = self.parked.next_deadline() {
            self.arm(ctx, T_PARK, next);
        }
    }

    /// New records on `p`: answer follower fetches waiting on it.
    pub(super) fn wake_parked_replicas(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: u32) {
        self.wake(ctx, p, true);
    }

    /// The HW of `p` moved: answer consumer fetches waiting on it.
    pub(super) fn wake_parked(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: u32) {
        self.wake(ctx, p, false);
    }

    fn wake(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: u32, replica: bool) {
        let keys = self.parked.take_waiting_on(p, replica);
        for &k in &keys {
            // Skipped if a fetch re-run before it already woke it through another partition.
            let Some(parked) = self.parked.remove(k) else {
                continue;
            };
            self.rerun(ctx, parked);
        }
        self.parked.recycle(keys);
    }
}

// ---------------------------------------------------------------- KIP-890 part 1 verification

impl Broker {
    /// The start of the produce path: transactional batches that need verification make the
    /// request wait for the coordinator; everything else goes on to the append.
    pub(super) fn on_produce(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, request: ProduceRequest) {
        // Transactions v2 always go through the coordinator: with them the request adds the
        // partition (ReplicaManager.maybeSendPartitionsToTransactionCoordinator skips only when
        // `!supportsEpochBump && !transactionPartitionVerificationEnable`).
        let tv2 = self.cfg.kip890_transactions;
        let Verified { guards, errors } = if self.cfg.transaction_partition_verification || tv2 {
            self.start_verification(&request.batches)
        } else {
            Verified::default()
        };
        if guards.is_empty() {
            self.produce_verified(ctx, request, &Verified { guards, errors });
            return;
        }
        let first = (request.batches)
            .iter()
            .find(|b| b.txn == BatchTxn::Data)
            .expect("a transactional batch");
        let (pid, epoch) = (first.pid, first.producer_epoch);
        let deadline = ctx.now() + SimDuration::from_millis(self.cfg.broker_request_timeout_ms);
        let v = &mut self.verifications;
        v.next_req += 1;
        v.started += 1;
        let vreq = v.next_req;
        let parts: Vec<u32> = guards.keys().copied().collect();
        let pending = PendingVerify {
            request,
            guards,
            early: errors,
            deadline,
        };
        v.pending.insert(vreq, pending);
        ctx.sometimes("kafka:txn_verification_started");
        let gc = NodeId(self.cfg.gc_index());
        let msg = KMsg::VerifyTxnPartitions {
            req: vreq,
            pid,
            epoch,
            parts,
            verify_only: !tv2,
        };
        self.peers.send(ctx, gc, msg);
    }

    /// maybeStartTransactionVerification per partition this broker leads: a guard for each
    /// transactional data batch whose producer id has no ongoing transaction on the log at its
    /// epoch. A batch of an epoch below the log's producer state is refused at once
    /// (UnifiedLog.maybeStartTransactionVerification: "Check if the producer epoch is lower than
    /// the stored one, and reject early": INVALID_PRODUCER_EPOCH, no coordinator round trip).
    fn start_verification(&mut self, batches: &[WireBatch]) -> Verified {
        let mut guards = BTreeMap::new();
        let mut errors = BTreeMap::new();
        for wb in batches.iter().filter(|b| b.txn == BatchTxn::Data) {
            let p = wb.p as usize;
            let leads = self
                .parts
                .get(p)
                .is_some_and(|v| v.role == super::Role::Leader);
            if !leads || self.logs[p].has_ongoing_transaction(wb.pid, wb.producer_epoch) {
                continue;
            }
            let stored = self.logs[p].producers.get(&wb.pid).map(|e| e.epoch);
            if stored.is_some_and(|e| wb.producer_epoch < e) {
                errors.insert(wb.p, KErr::InvalidProducerEpoch);
                continue;
            }
            let next = &mut self.verifications.next_guard;
            let guard = *self.logs[p].verification.entry(wb.pid).or_insert_with(|| {
                *next += 1;
                *next
            });
            guards.insert(wb.p, guard);
        }
        Verified { guards, errors }
    }

    /// The coordinator's answer: refused partitions get its (translated) error, the rest are
    /// appended with their guards.
    pub(super) fn on_verify_resp(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        req: u64,
        results: Vec<(u32, Result<(), KErr>)>,
    ) {
        let Some(pv) = self.verifications.pending.remove(&req) else {
            return;
        };
        let mut verified = Verified {
            guards: pv.guards,
            errors: pv.early,
        };
        let tv2 = self.cfg.kip890_transactions;
        for (p, r) in results {
            if let Err(e) = r {
                verified.errors.insert(p, produce_error(e, tv2));
            }
        }
        if !verified.errors.is_empty() {
            self.verifications.refused += 1;
        }
        self.produce_verified(ctx, pv.request, &verified);
    }

    /// The connection to the coordinator closed: its verifications fail with
    /// NETWORK_EXCEPTION, which the produce answer carries as NOT_ENOUGH_REPLICAS.
    pub(super) fn verification_lost(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let reqs: Vec<u64> = self.verifications.pending.keys().copied().collect();
        self.verifications_failed(ctx, reqs);
    }

    /// Verifications whose answer did not come within the broker's request.timeout.ms fail as a
    /// lost connection does: AddPartitionsToTxnHandler.onComplete answers every callback of a
    /// request that `wasDisconnected || wasTimedOut` with NETWORK_EXCEPTION (the
    /// InterBrokerSendThread's NetworkClient times a request out after `config.requestTimeoutMs`).
    /// Checked at the broker's heartbeat tick, so a verification gives up between the timeout
    /// and the timeout plus `broker_heartbeat_interval_ms` (no timer per verification).
    pub(super) fn verifications_expire(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let reqs = self.verifications.due(ctx.now());
        if !reqs.is_empty() {
            ctx.sometimes("kafka:txn_verification_timed_out");
            self.verifications.timed_out += reqs.len() as u64;
        }
        self.verifications_failed(ctx, reqs);
    }

    fn verifications_failed(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, reqs: Vec<u64>) {
        for req in reqs {
            let parts: Vec<u32> = self.verifications.pending[&req]
                .guards
                .keys()
                .copied()
                .collect();
            let results = parts.into_iter().map(|p| (p, Err(KErr::Network))).collect();
            self.on_verify_resp(ctx, req, results);
        }
    }
}
