//! Fetch-based replication: the leader serving follower fetches (epoch fencing, divergence
//! check, follower state, ISR expansion, HW advance), the follower's fetcher (truncation on
//! divergence, append, HW), ISR expiry and AlterPartition.

use super::{Broker, Role, T_FETCH_RETRY, T_FETCH_TIMEOUT};
use crate::kafka::wire::msg::{FetchPart, FetchResult, KErr, KEvent, KMsg, PartState, tag};
use crate::kafka::wire::records::Batch;
use msgsim_sim::{Ctx, NodeId, SimDuration, Via};
use std::rc::Rc;

impl Broker {
    /// Leader side of a follower fetch (TLA-JV 2_replication_algorithm.md §2.2.2, KIP-320).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_replica_fetch(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        from: NodeId,
        via: Via,
        req: u64,
        follower: u32,
        broker_epoch: u64,
        parts: Vec<FetchPart>,
        may_park: bool,
    ) {
        let mut results = self.fetch_results(parts.len());
        let mut any_data = false;
        for part in &parts {
            let r = self.serve_replica_part(ctx, follower, broker_epoch, part);
            self.note_replica_out_of_range(ctx, part, &r);
            if !matches!(&r, FetchResult::Records { batches, .. } if batches.is_empty()) {
                any_data = true;
            }
            results.push((part.p, r));
        }
        if !any_data && may_park && self.cfg.replica_fetch_wait_max_ms > 0 {
            // replica.fetch.min.bytes = 1: wait up to replica.fetch.wait.max.ms for data.
            let msg = KMsg::ReplicaFetch {
                req,
                broker: follower,
                broker_epoch,
                parts,
            };
            self.park(ctx, from, via, msg, self.cfg.replica_fetch_wait_max_ms);
            self.recycle_fetch_results(results);
            return;
        }
        crate::kafka::wire::msg::reply(
            ctx,
            from,
            via,
            KMsg::FetchResp {
                req,
                parts: results,
            },
        );
    }

    fn serve_replica_part(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        follower: u32,
        broker_epoch: u64,
        part: &FetchPart,
    ) -> FetchResult {
        let p = part.p as usize;
        if p >= self.parts.len() || self.parts[p].role != Role::Leader {
            return FetchResult::Error(KErr::NotLeaderOrFollower);
        }
        // KIP-320: the follower's current leader epoch must match ours.
        if let Some(e) = part.current_leader_epoch
            && !self.cfg.no_fetch_epoch_fencing
        {
            let mine = self.parts[p].leader_epoch;
            if e < mine {
                ctx.sometimes("kafka:fetch_fenced_leader_epoch");
                return FetchResult::Error(KErr::FencedLeaderEpoch);
            }
            if e > mine {
                return FetchResult::Error(KErr::UnknownLeaderEpoch);
            }
        }
        // Replica.updateFetchStateOrThrow (KIP-903): a fetch from a stale broker epoch is fenced.
        if broker_epoch < self.known_broker_epoch(follower) {
            return FetchResult::Error(KErr::NotLeaderOrFollower);
        }
        if !self.parts[p].followers.contains_key(&follower) {
            return FetchResult::Error(KErr::NotLeaderOrFollower);
        }
        let log = &self.logs[p];
        // Divergence check against our epoch cache (TLA-JV 3_log_divergence.md §3.2).
        if let Some(lfe) = part.last_fetched_epoch
            && !self.cfg.truncate_to_hw_on_become_follower
        {
            match log.end_offset_for_epoch(lfe) {
                Some((e, end)) if e < lfe || end < part.fetch_offset => {
                    return FetchResult::Diverging {
                        epoch: e,
                        end_offset: end,
                    };
                }
                // LeaderEpochFileCache.endOffsetFor: an epoch older than every cached one ends
                // where the first cached epoch starts; it diverges only if the follower is past
                // that point (Partition.readRecords). An empty cache: OFFSET_OUT_OF_RANGE.
                None => match log.epoch_cache.first() {
                    Some(&(_, start)) if start < part.fetch_offset => {
                        return FetchResult::Diverging {
                            epoch: lfe,
                            end_offset: start,
                        };
                    }
                    Some(_) => {}
                    None => {
                        return FetchResult::OutOfRange {
                            log_start: log.local_log_start,
                            hw: log.hw,
                            leo: log.leo,
                        };
                    }
                },
                _ => {}
            }
        }
        if part.fetch_offset > log.leo || part.fetch_offset < log.local_log_start {
            return FetchResult::OutOfRange {
                log_start: log.local_log_start,
                hw: log.hw,
                leo: log.leo,
            };
        }
        // Replica.updateFetchStateOrThrow: follower LEO and lastCaughtUpTime.
        let now = ctx.now();
        let leo = log.leo;
        let f = self.parts[p].followers.get_mut(&follower).expect("checked");
        f.leo = Some(part.fetch_offset);
        f.broker_epoch = broker_epoch;
        if part.fetch_offset >= leo {
            f.last_caught_up_time = now;
        } else if part.fetch_offset >= f.last_fetch_leader_leo {
            f.last_caught_up_time = f.last_fetch_time;
        }
        f.last_fetch_leader_leo = leo;
        f.last_fetch_time = now;
        self.maybe_expand_isr(ctx, p, follower);
        self.maybe_advance_hw(ctx, p);
        let log = &self.logs[p];
        let batches = log.read(part.fetch_offset, log.leo, self.cfg.replica_fetch_max_bytes);
        FetchResult::Records {
            batches,
            hw: log.hw,
            log_start: log.local_log_start,
            leo: log.leo,
            aborted: Vec::new(),
        }
    }

    /// Partition.maybeExpandIsr: a follower joins when its LEO ≥ HW and ≥ the start of the
    /// leader's epoch (Kip320.tla FencedLeaderExpandIsr), it is unfenced and its broker epoch
    /// matches. The leader proposes via AlterPartition and uses the maximal ISR for the HW.
    fn maybe_expand_isr(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize, follower: u32) {
        let view = &self.parts[p];
        if view.pending_alter || view.isr.contains(&follower) {
            return;
        }
        let f = &view.followers[&follower];
        let Some(leo) = f.leo else { return };
        if leo < self.logs[p].hw || leo < view.leader_epoch_start {
            return;
        }
        if self.known_fenced(follower) || f.broker_epoch != self.known_broker_epoch(follower) {
            return;
        }
        let mut new_isr = view.isr.clone();
        new_isr.push(follower);
        new_isr.sort_unstable();
        self.parts[p].maximal_isr = new_isr.clone();
        self.propose_isr(ctx, p, new_isr);
    }

    pub(super) fn propose_isr(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        p: usize,
        new_isr: Vec<u32>,
    ) {
        let view = &mut self.parts[p];
        view.pending_alter = true;
        let msg = KMsg::AlterPartition {
            broker: self.id,
            broker_epoch: self.broker_epoch,
            p: p as u32,
            leader_epoch: view.leader_epoch,
            partition_epoch: view.partition_epoch,
            new_isr,
        };
        let ctrl = self.ctrl();
        self.peers.send(ctx, ctrl, msg);
    }

    /// The controller connection closed. NodeToControllerChannelManager puts a request whose
    /// connection dropped back at the head of its queue and sends it again: an AlterPartition
    /// lost with the connection is proposed again (from the current state, at the next follower
    /// fetch or ISR expiry check) instead of blocking every later ISR change.
    pub(super) fn alter_partition_lost(&mut self) {
        for view in &mut self.parts {
            if view.role == Role::Leader && view.pending_alter {
                view.pending_alter = false;
                view.maximal_isr = view.isr.clone();
            }
        }
    }

    pub(super) fn on_alter_partition_resp(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        p: usize,
        result: Result<PartState, KErr>,
    ) {
        if p >= self.parts.len() || self.parts[p].role != Role::Leader {
            return;
        }
        let view = &mut self.parts[p];
        view.pending_alter = false;
        match result {
            Ok(st)
                if st.leader_epoch == view.leader_epoch
                    && st.partition_epoch > view.partition_epoch =>
            {
                view.partition_epoch = st.partition_epoch;
                view.isr = st.isr.clone();
                view.maximal_isr = st.isr;
                self.maybe_advance_hw(ctx, p);
            }
            Ok(_) => {}
            Err(_) => {
                // Fenced or stale: the committed ISR stays; metadata will bring the truth.
                view.maximal_isr = view.isr.clone();
            }
        }
    }

    /// ReplicaManager ISR expiry task (every replica.lag.time.max.ms / 2): drop followers not
    /// caught up within replica.lag.time.max.ms (Partition.getOutOfSyncReplicas).
    pub(super) fn isr_expiry(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now = ctx.now();
        let lag = SimDuration::from_millis(self.cfg.replica_lag_time_max_ms);
        for p in 0..self.parts.len() {
            let view = &self.parts[p];
            if view.role != Role::Leader || view.pending_alter {
                continue;
            }
            let out: Vec<u32> = view
                .isr
                .iter()
                .copied()
                .filter(|r| *r != self.id)
                .filter(|r| {
                    view.followers
                        .get(r)
                        .is_none_or(|f| now.saturating_since(f.last_caught_up_time) > lag)
                })
                .collect();
            if out.is_empty() {
                continue;
            }
            let new_isr: Vec<u32> = view
                .isr
                .iter()
                .copied()
                .filter(|r| !out.contains(r))
                .collect();
            self.propose_isr(ctx, p, new_isr);
        }
    }

    /// Partition.maybeIncrementLeaderHW. 3.7+ (KAFKA-15583): no advance while ISR < min ISR.
    /// Otherwise HW' = min(LEO of the leader, of every maximal-ISR member, and of every caught-up
    /// ISR-eligible follower); it never decreases. An advance completes parked acks=all produces
    /// and wakes parked consumer fetches.
    pub(super) fn maybe_advance_hw(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize) {
        let view = &self.parts[p];
        if view.role != Role::Leader {
            return;
        }
        if !self.cfg.hw_advances_under_min_isr
            && view.isr.len() < self.cfg.effective_min_isr_at(p, ctx.now())
        {
            return;
        }
        let log = &self.logs[p];
        let now = ctx.now();
        let lag = SimDuration::from_millis(self.cfg.replica_lag_time_max_ms);
        let mut new_hw = log.leo;
        for (&r, f) in &view.followers {
            if view.maximal_isr.contains(&r) {
                match f.leo {
                    Some(l) => new_hw = new_hw.min(l),
                    None => return,
                }
            } else if let Some(l) = f.leo
                && l >= log.hw
                && now.saturating_since(f.last_caught_up_time) <= lag
                && !self.known_fenced(r)
            {
                new_hw = new_hw.min(l);
            }
        }
        if new_hw <= log.hw {
            return;
        }
        self.logs[p].hw = new_hw;
        self.check_invariants(p);
        self.complete_waiters(ctx, p);
        self.wake_parked(ctx, p as u32);
    }

    // ---------------------------------------------------------------- follower side

    /// Make sure each leader we follow has a fetcher, and drop idle ones.
    pub(super) fn check_fetchers(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let mut leaders: Vec<u32> = self
            .parts
            .iter()
            .enumerate()
            .filter(|(p, v)| self.hosted[*p] && v.role == Role::Follower)
            .filter_map(|(_, v)| v.leader)
            .collect();
        leaders.sort_unstable();
        leaders.dedup();
        self.fetchers.retain(|l, _| leaders.contains(l));
        for l in leaders {
            self.fetchers.entry(l).or_default();
            self.send_fetch(ctx, l);
        }
    }

    pub(super) fn send_fetch(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, leader: u32) {
        if self.broker_epoch == 0 {
            self.schedule_fetch_retry(ctx, leader);
            return;
        }
        let Some(f) = self.fetchers.get(&leader) else {
            return;
        };
        if f.in_flight.is_some() || f.retry_scheduled {
            return;
        }
        // Only a hosted partition has a role (`replica_set.rs` resets a dropped one).
        debug_assert!(
            (0..self.parts.len()).all(|p| self.hosted[p] || self.parts[p].role == Role::None)
        );
        let parts: Vec<FetchPart> = (self.hosted.iter())
            .filter(|&p| {
                self.parts[p].role == Role::Follower && self.parts[p].leader == Some(leader)
            })
            .map(|p| FetchPart {
                p: p as u32,
                current_leader_epoch: (!self.cfg.no_fetch_epoch_fencing)
                    .then_some(self.parts[p].leader_epoch),
                fetch_offset: self.logs[p].leo,
                last_fetched_epoch: self.epoch_to_validate(p),
            })
            .collect();
        if parts.is_empty() {
            self.fetchers.remove(&leader);
            return;
        }
        let req = self.key();
        let msg = KMsg::ReplicaFetch {
            req,
            broker: self.id,
            broker_epoch: self.broker_epoch,
            parts,
        };
        self.peers.send(ctx, NodeId(leader), msg);
        let timeout = SimDuration::from_millis(self.cfg.replica_socket_timeout_ms);
        let timer = ctx.set_timer(timeout, tag(T_FETCH_TIMEOUT, leader as u64));
        let f = self.fetchers.get_mut(&leader).expect("present");
        f.in_flight = Some(req);
        f.timer = Some(timer);
    }

    /// The epoch the leader checks this fetch against (divergence check). Pre-KIP-101: none.
    /// Pre-KIP-320 (`no_fetch_epoch_fencing`, 0.11–2.0): only the OffsetsForLeaderEpoch round
    /// after becoming follower — ReplicaFetcherThread truncated on a leader change and then
    /// fetched unchecked, so a follower that missed the change never truncates (KAFKA-6880).
    /// Current: every fetch (truncate-on-fetch, KIP-595 / 2.7+).
    fn epoch_to_validate(&self, p: usize) -> Option<u32> {
        if self.cfg.truncate_to_hw_on_become_follower
            || (self.cfg.no_fetch_epoch_fencing && !self.parts[p].truncating)
        {
            return None;
        }
        self.logs[p].last_epoch()
    }

    pub(super) fn schedule_fetch_retry(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, leader: u32) {
        let f = self.fetchers.entry(leader).or_default();
        if f.retry_scheduled {
            return;
        }
        f.retry_scheduled = true;
        ctx.set_timer(
            SimDuration::from_millis(self.cfg.replica_fetch_backoff_ms),
            tag(T_FETCH_RETRY, leader as u64),
        );
    }

    pub(super) fn on_fetch_timeout(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, leader: u32) {
        if let Some(f) = self.fetchers.get_mut(&leader) {
            f.in_flight = None;
            f.timer = None;
            self.schedule_fetch_retry(ctx, leader);
        }
    }

    pub(super) fn on_replica_fetch_resp(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        from: NodeId,
        req: u64,
        parts: Vec<(u32, FetchResult)>,
    ) {
        let leader = from.0;
        let Some(f) = self.fetchers.get_mut(&leader) else {
            return;
        };
        if f.in_flight != Some(req) {
            return;
        }
        f.in_flight = None;
        if let Some(t) = f.timer.take() {
            ctx.cancel_timer(t);
        }
        let mut error = false;
        for (p, result) in parts {
            let p = p as usize;
            if p >= self.parts.len()
                || self.parts[p].role != Role::Follower
                || self.parts[p].leader != Some(leader)
            {
                continue;
            }
            if !matches!(result, FetchResult::Error(_)) {
                // The leader answered for this epoch: the truncation round (if owed) is done.
                self.parts[p].truncating = false;
            }
            match result {
                FetchResult::Records {
                    batches,
                    hw,
                    log_start,
                    ..
                } => {
                    let now_ms = Self::now_ms(ctx);
                    for b in batches {
                        self.follower_append(p, b, now_ms);
                    }
                    let log = &mut self.logs[p];
                    // TLA-HG FollowerReplicate: hw = min(leader hw, own LEO); never backwards.
                    log.hw = log.hw.max(hw.min(log.leo));
                    // ReplicaFetcherThread.processPartitionData: after the HW, the follower's
                    // log start follows the leader's (`maybeIncrementLogStartOffset`, reason
                    // LeaderOffsetIncremented), so records DeleteRecords or the leader's
                    // retention removed go here too, also on a replica that was down then.
                    // Not with tiered storage: there the answer carries the leader's local
                    // start, and a follower's local retention is its own (`tiered.rs`).
                    if self.tier.store.is_none() && log.advance_log_start(log_start) {
                        ctx.sometimes("kafka:follower_log_start_advanced");
                    }
                    self.check_invariants(p);
                }
                FetchResult::Diverging { epoch, end_offset } => {
                    // Truncate to min(leader's end for that epoch, our own end for it) (KIP-279:
                    // the answer names the epoch). KIP-101 alone (`kip101_only`, 0.11–1.1): the
                    // answer is an offset only and the follower truncates to it, so records of
                    // its own later epoch below that offset stay (KIP-279 "fast leader fail over").
                    let own = if self.cfg.kip101_only {
                        self.logs[p].leo
                    } else {
                        self.logs[p]
                            .end_offset_for_epoch(epoch)
                            .map_or(self.logs[p].local_log_start, |(_, end)| end)
                    };
                    let to = end_offset.min(own);
                    self.divergence_truncations += 1;
                    ctx.sometimes("kafka:divergence_truncation");
                    let before = (self.logs[p].leo, self.logs[p].last_epoch());
                    self.truncate(p, to);
                    // KIP-320/KIP-595: truncating to the diverging offset must change the next
                    // fetch; an unchanged one gets the same answer again, without end.
                    if (self.logs[p].leo, self.logs[p].last_epoch()) == before {
                        self.divergence_no_progress += 1;
                        ctx.sometimes("kafka:divergence_no_progress");
                    }
                }
                FetchResult::OutOfRange { log_start, leo, .. } => {
                    let log = &self.logs[p];
                    if log.leo > leo {
                        // Pre-epoch behaviour: truncate to the leader's LEO.
                        ctx.sometimes("kafka:truncate_to_leader_leo");
                        self.truncate(p, leo);
                    } else if log.leo < log_start {
                        let now_ms = Self::now_ms(ctx);
                        self.logs[p].reset_to(log_start, now_ms);
                    }
                }
                FetchResult::Error(_) => error = true,
            }
        }
        if error {
            self.schedule_fetch_retry(ctx, leader);
        } else {
            self.send_fetch(ctx, leader);
        }
    }

    fn follower_append(&mut self, p: usize, b: Rc<Batch>, now_ms: i64) {
        let log = &mut self.logs[p];
        if b.next_offset() <= log.leo {
            return;
        }
        if b.base_offset < log.leo {
            // Our log ends inside this batch (a cut prefix): take the leader's whole batch.
            let base = b.base_offset;
            log.truncate_to(base);
        }
        // Above our LEO only across a gap the leader's cleaner left (offsets are kept).
        if b.base_offset < log.leo {
            return;
        }
        // The topic's segment.bytes / segment.ms, as the leader's (UnifiedLog.maybeRoll).
        let (segment_bytes, segment_ms) = self.cfg.segment_at(p, now_ms.max(0) as u64);
        log.append(b, now_ms, segment_bytes, segment_ms);
    }
}
