//! Tiered storage (KIP-405): a remote tier per partition in one logical object store shared by
//! every replica, the leader's remote log manager (RLM) task that copies closed segments to it
//! and expires remote segments by total retention, local retention that deletes only copied
//! segments, and consumer fetches below the local log start served from the remote tier after
//! the object store's latency.
//!
//! Offsets: `ReplicaLog::local_log_start` is the local log start (`localLogStartOffset`);
//! `RemoteLog::log_start_offset` is the partition's log start offset (`logStartOffset`), at or
//! below it. Kafka keeps remote segment metadata in `__remote_log_metadata`, which followers
//! read; here that metadata and the object store are one shared structure, always available
//! and strongly consistent.

use super::log::ReplicaLog;
use super::remote_store::{RemoteSegment, RemoteStore, TierCounters};
use super::retention_check::RetentionRules;
use super::{Broker, Role, T_REMOTE_COPY, T_REMOTE_FETCH, T_RLM};
use crate::kafka::wire::msg::{FetchPart, FetchResult, KEvent, KMsg, reply, tag};
use crate::report::ModelReport;
use msgsim_sim::{Ctx, NodeId, SimDuration, Via};
use std::rc::Rc;

impl Broker {
    fn tier_violation(&mut self) {
        self.invariant_violations += 1;
        self.tier.counters.invariant_violations += 1;
    }

    /// The partition's log start offset: the remote tier's with tiered storage, else the
    /// local log start.
    pub(in crate::kafka) fn log_start_offset(&self, p: usize) -> u64 {
        match &self.tier.store {
            Some(s) => s.borrow()[p].log_start_offset,
            None => self.logs[p].local_log_start,
        }
    }

    /// First RLM task timer (brokers with tiered storage only).
    pub(in crate::kafka) fn start_rlm(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        if self.tier.store.is_some() {
            let every = self.cfg.tiered_storage.remote_log_manager_task_interval_ms;
            ctx.set_timer(SimDuration::from_millis(every), tag(T_RLM, 0));
        }
    }

    /// One run of the RLM task (every remote.log.manager.task.interval.ms): for each partition
    /// this broker leads, copy the eligible segments (RLMCopyTask) and expire remote segments
    /// (RLMExpirationTask). Followers only read the shared metadata.
    pub(in crate::kafka) fn rlm_task(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        for p in 0..self.logs.len() {
            if !self.hosted[p] || self.parts[p].role != Role::Leader {
                continue;
            }
            if !self.tier.copying.contains_key(&p) {
                self.copy_next(ctx, p);
            }
            self.expire_remote(ctx, p);
        }
        self.start_rlm(ctx);
    }

    /// Upload the eligible segments one after the other: at once when the copy latency is 0,
    /// else one per `remote_copy_latency_ms`.
    fn copy_next(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize) {
        while let Some(seg) = self.next_candidate(p) {
            let latency = self.cfg.tiered_storage.remote_copy_latency_ms;
            if latency == 0 {
                self.finish_copy(ctx, p, seg);
                continue;
            }
            let epoch = self.parts[p].leader_epoch;
            self.tier.copying.insert(p, (epoch, seg));
            ctx.set_timer(
                SimDuration::from_millis(latency),
                tag(T_REMOTE_COPY, p as u64),
            );
            return;
        }
    }

    /// An upload finished: keep it if this broker still leads in the same epoch (a leadership
    /// change cancels the RLM task in Kafka), then go on with the next segment.
    pub(in crate::kafka) fn on_copy_done(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize) {
        let Some((epoch, seg)) = self.tier.copying.remove(&p) else {
            return;
        };
        let view = &self.parts[p];
        if view.role == Role::Leader && view.leader_epoch == epoch {
            self.finish_copy(ctx, p, seg);
            self.copy_next(ctx, p);
        }
    }

    /// RemoteLogManager `candidateLogSegments`: a segment is copied only if it is not the
    /// active segment and its end (the next segment's base offset) is ≤ the last stable offset
    /// ("remote storage should contain only committed/acked messages"); copying starts at
    /// max(highestOffsetInRemoteStorage + 1, localLogStartOffset). Returns the first one.
    fn next_candidate(&self, p: usize) -> Option<RemoteSegment> {
        let log = &self.logs[p];
        let from = self.tier.store.as_ref()?.borrow()[p]
            .next_copy_offset()
            .max(log.local_log_start);
        let lso = log.txn.lso(log.hw);
        for w in log.segments.windows(2) {
            let (seg, next) = (&w[0], &w[1]);
            if next.base_offset <= from {
                continue;
            }
            if next.base_offset > lso {
                return None;
            }
            let mut batches = Vec::new();
            for b in seg.batches.iter().filter(|b| b.next_offset() > from) {
                if b.base_offset < from {
                    let cut = (from - b.base_offset) as usize;
                    batches.push(Rc::new(b.slice(cut, b.values.len())));
                } else {
                    batches.push(b.clone());
                }
            }
            return Some(RemoteSegment {
                base_offset: from.max(seg.base_offset),
                end_offset: next.base_offset,
                bytes: batches.iter().map(|b| b.bytes).sum(),
                batches,
                largest_ts_ms: seg.largest_ts_ms,
            });
        }
        None
    }

    fn finish_copy(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize, seg: RemoteSegment) {
        let Some(store) = self.tier.store.clone() else {
            return;
        };
        let mut store = store.borrow_mut();
        let rl = &mut store[p];
        // Another leader copied past it meanwhile: nothing to add.
        if seg.end_offset <= rl.next_copy_offset() {
            return;
        }
        // Invariants: the remote tier holds only records below the HW, and no gap opens
        // between what it held and the new segment.
        if seg.end_offset > self.logs[p].hw || seg.base_offset > rl.next_copy_offset() {
            self.tier_violation();
        }
        self.tier.counters.segments_copied += 1;
        self.tier.counters.bytes_copied += seg.bytes;
        rl.add(seg);
        ctx.sometimes("kafka:segment_copied_to_remote");
    }

    /// RLMExpirationTask: total retention (retention.ms / retention.bytes) over local + remote
    /// deletes remote segments and advances the log start offset.
    fn expire_remote(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize) {
        let Some(store) = self.tier.store.clone() else {
            return;
        };
        let now_ms = Self::now_ms(ctx);
        let mut store = store.borrow_mut();
        let rl = &mut store[p];
        let next = rl.next_copy_offset();
        let local: u64 = self.logs[p]
            .segments
            .iter()
            .filter(|s| s.base_offset >= next)
            .map(|s| s.bytes)
            .sum();
        let n = rl.expire(
            now_ms,
            self.cfg.retention_ms,
            self.cfg.retention_bytes,
            local,
        );
        if n > 0 {
            self.tier.counters.remote_segments_deleted += n;
            ctx.sometimes("kafka:remote_segment_deleted");
        }
    }

    /// Local retention with tiered storage (UnifiedLog.deletableSegments with remote storage):
    /// a local segment goes when it breaches local.retention.ms / local.retention.bytes and is
    /// already copied (its last offset ≤ highestOffsetInRemoteStorage), or when it lies below
    /// the log start offset; never at or above the HW. Returns the deleted segment count.
    pub(in crate::kafka) fn tiered_retention(&mut self, p: usize, now_ms: i64) -> u32 {
        let Some(store) = self.tier.store.clone() else {
            return 0;
        };
        let (highest, start) = {
            let rl = &store.borrow()[p];
            (rl.highest_offset_in_remote, rl.log_start_offset)
        };
        let t = &self.cfg.tiered_storage;
        let local_ms = t.effective_local_retention_ms(self.cfg.retention_ms);
        let local_bytes = t.effective_local_retention_bytes(self.cfg.retention_bytes);
        let log = &mut self.logs[p];
        if local_ms >= 0 {
            // The local retention breach "triggers the rolling of new segment".
            log.maybe_roll(now_ms, self.cfg.segment_ms.min(local_ms.max(1) as u64));
        }
        let rules = RetentionRules {
            retention_ms: local_ms,
            retention_bytes: local_bytes,
            tiered: Some((highest, start)),
        };
        let (mut seen, mut bad) = (0, 0);
        let deleted = log.delete_oldest_while_noting(
            |seg, end, size| {
                let copied = end >= 1 && (end - 1) as i64 <= highest;
                let by_time = local_ms >= 0 && now_ms.saturating_sub(seg.largest_ts_ms) > local_ms;
                let by_size = local_bytes >= 0 && size - seg.bytes >= local_bytes as u64;
                end <= start || (copied && (by_time || by_size))
            },
            |d| {
                seen += 1;
                bad += rules.violations(d, now_ms);
            },
        );
        self.retention_deletions_checked += seen;
        self.retention_violations += bad;
        self.tier.counters.local_segments_deleted += u64::from(deleted);
        self.check_tier_invariant(p);
        deleted
    }

    /// Retention invariant: local deletion never removed an uncopied segment — every offset
    /// between the log start offset and the local log start is in the remote tier.
    fn check_tier_invariant(&mut self, p: usize) {
        let Some(store) = &self.tier.store else {
            return;
        };
        if store.borrow()[p].gap_below(self.logs[p].local_log_start) {
            self.tier_violation();
        }
    }

    /// A consumer fetch part after the local checks: with tiered storage, an offset below the
    /// log start offset is out of range (answered with the log start offset, so `earliest`
    /// lands there), and one between it and the local log start is read from the remote tier
    /// (ReplicaManager: RemoteStorageFetchInfo). Returns the result and whether it is remote.
    pub(in crate::kafka) fn tiered_consumer_part(
        &mut self,
        part: &FetchPart,
        read_committed: bool,
        local: FetchResult,
    ) -> (FetchResult, bool) {
        let Some(store) = self.tier.store.clone() else {
            return (local, false);
        };
        let p = part.p as usize;
        if !matches!(
            local,
            FetchResult::OutOfRange { .. } | FetchResult::Records { .. }
        ) {
            return (local, false);
        }
        let guard = store.borrow();
        let rl = &guard[p];
        let log = &self.logs[p];
        let end = if read_committed {
            log.txn.lso(log.hw)
        } else {
            log.hw
        };
        let out_of_range = FetchResult::OutOfRange {
            log_start: rl.log_start_offset,
            hw: end,
            leo: log.leo,
        };
        let off = part.fetch_offset;
        if off < rl.log_start_offset || off > log.leo {
            return (out_of_range, false);
        }
        if off >= log.local_log_start {
            return (local, false);
        }
        let batches = rl.read(off, end, self.cfg.max_partition_fetch_bytes);
        if batches.is_empty() {
            // Retained but unreadable: the invariant the retention check guards.
            self.tier_violation();
            return (out_of_range, false);
        }
        self.tier.counters.remote_fetches += 1;
        self.tier.counters.remote_fetch_bytes += batches.iter().map(|b| b.bytes).sum::<u64>();
        let records = FetchResult::Records {
            batches,
            hw: end,
            log_start: rl.log_start_offset,
            leo: log.leo,
            aborted: Vec::new(),
        };
        (records, true)
    }

    /// A fetch with a remote read is answered once the read completes (DelayedRemoteFetch),
    /// `remote_fetch_latency_ms` later.
    pub(in crate::kafka) fn reply_after_remote_read(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        from: NodeId,
        via: Via,
        msg: KMsg,
    ) {
        ctx.sometimes("kafka:remote_fetch");
        let latency = self.cfg.tiered_storage.remote_fetch_latency_ms;
        if latency == 0 {
            reply(ctx, from, via, msg);
            return;
        }
        self.tier.next_key += 1;
        let key = self.tier.next_key;
        self.tier.pending.insert(key, (from, via, msg));
        self.tier.counters.remote_fetch_wait_ms += latency;
        ctx.set_timer(SimDuration::from_millis(latency), tag(T_REMOTE_FETCH, key));
    }

    pub(in crate::kafka) fn on_remote_read_done(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        key: u64,
    ) {
        if let Some((from, via, msg)) = self.tier.pending.remove(&key) {
            reply(ctx, from, via, msg);
        }
    }

    /// A follower fetched below our local log start. In KIP-405 the leader answers
    /// OFFSET_MOVED_TO_TIERED_STORAGE and the follower builds its remote-log auxiliary state
    /// (leader-epoch checkpoint and producer snapshot from the remote tier,
    /// ReplicaFetcherTierStateMachine.buildRemoteLogAuxState), then fetches from the leader's
    /// local log start. Here the answer is OFFSET_OUT_OF_RANGE carrying the local log start,
    /// and the follower restarts its log there (its epoch cache starts empty).
    pub(in crate::kafka) fn note_replica_out_of_range(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        part: &FetchPart,
        result: &FetchResult,
    ) {
        let p = part.p as usize;
        if self.tier.store.is_some()
            && matches!(result, FetchResult::OutOfRange { .. })
            && part.fetch_offset < self.logs[p].local_log_start
            && part.fetch_offset >= self.log_start_offset(p)
        {
            self.tier.counters.offset_moved_to_tiered_storage += 1;
            ctx.sometimes("kafka:offset_moved_to_tiered_storage");
        }
    }
}

/// The final leader log as consumers see it: the remote records below the local log start,
/// then the local ones; and its log start offset.
pub fn final_values(
    store: Option<&RemoteStore>,
    p: usize,
    log: &ReplicaLog,
    local: Vec<u64>,
) -> (u64, Vec<u64>) {
    let (start, mut all) = final_prefix(store, p, log);
    all.extend(local);
    (start, all)
}

/// The log start offset of partition `p` whose local log is `log`, and the values only the
/// remote tier holds (below the local log start), in offset order.
pub fn final_prefix(store: Option<&RemoteStore>, p: usize, log: &ReplicaLog) -> (u64, Vec<u64>) {
    let Some(store) = store else {
        return (log.local_log_start, Vec::new());
    };
    let guard = store.borrow();
    let rl = &guard[p];
    if log.local_log_start <= rl.log_start_offset {
        return (rl.log_start_offset, Vec::new());
    }
    (rl.log_start_offset, rl.values_below(log.local_log_start))
}

/// End-of-run checks of one partition's tiers against its final leader: the remote tier never
/// holds data above the HW, and nothing between the log start offset and the local log start
/// is unreadable. Returns the number of violations.
pub fn final_violations(store: Option<&RemoteStore>, p: usize, log: &ReplicaLog) -> u64 {
    let Some(store) = store else {
        return 0;
    };
    let guard = store.borrow();
    let rl = &guard[p];
    u64::from(rl.next_copy_offset() > log.hw) + u64::from(rl.gap_below(log.local_log_start))
}

/// The tiered-storage observations: counters summed over brokers, the final leaders' lowest
/// local log start, and the tiered invariants found broken (during the run and at the end).
pub fn observe(brokers: &[&Broker], leaders: &[Option<u32>], report: &mut ModelReport) {
    let sum = |f: fn(&TierCounters) -> u64| -> f64 {
        brokers.iter().map(|b| f(&b.tier.counters)).sum::<u64>() as f64
    };
    let store = brokers.first().and_then(|b| b.tier.store.clone());
    let mut final_violations_count = 0;
    let mut local_start_min: Option<u64> = None;
    for (p, leader) in leaders.iter().enumerate() {
        let Some(l) = leader else { continue };
        let log = &brokers[*l as usize].logs[p];
        final_violations_count += final_violations(store.as_ref(), p, log);
        local_start_min =
            Some(local_start_min.map_or(log.local_log_start, |m| m.min(log.local_log_start)));
    }
    let obs = [
        ("segments_copied_to_remote", sum(|c| c.segments_copied)),
        ("remote_bytes_copied", sum(|c| c.bytes_copied)),
        ("remote_fetches", sum(|c| c.remote_fetches)),
        ("remote_fetch_bytes", sum(|c| c.remote_fetch_bytes)),
        ("remote_fetch_wait_ms", sum(|c| c.remote_fetch_wait_ms)),
        (
            "remote_segments_deleted",
            sum(|c| c.remote_segments_deleted),
        ),
        ("local_segments_deleted", sum(|c| c.local_segments_deleted)),
        (
            "offset_moved_to_tiered_storage",
            sum(|c| c.offset_moved_to_tiered_storage),
        ),
        (
            "final_local_log_start_min",
            local_start_min.unwrap_or(0) as f64,
        ),
        (
            "tiered_invariant_violations",
            sum(|c| c.invariant_violations) + final_violations_count as f64,
        ),
    ];
    for (k, v) in obs {
        report.observations.insert(k.to_string(), v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::broker::remote_store::{RemoteLog, new_store};
    use crate::kafka::config::KafkaConfig;
    use crate::kafka::wire::records::Batch;

    fn batch(base: u64, ts: i64, n: u64) -> Rc<Batch> {
        let values: Vec<u64> = (base..base + n).collect();
        Rc::new(Batch::fixture(base, ts, &values))
    }

    fn segment(base: u64, end: u64, ts: i64) -> RemoteSegment {
        RemoteSegment {
            base_offset: base,
            end_offset: end,
            batches: vec![batch(base, ts, end - base)],
            bytes: 100 * (end - base),
            largest_ts_ms: ts,
        }
    }

    fn tiered_cfg(local_retention_ms: i64) -> KafkaConfig {
        let mut cfg = KafkaConfig {
            retention_ms: 100_000,
            segment_ms: 10,
            ..KafkaConfig::default()
        };
        cfg.tiered_storage.remote_log_storage_system_enable = true;
        cfg.tiered_storage.remote_storage_enable = true;
        cfg.tiered_storage.local_retention_ms = local_retention_ms;
        cfg
    }

    #[test]
    fn remote_read_stays_in_one_segment() {
        let mut rl = RemoteLog::default();
        rl.add(segment(0, 10, 0));
        rl.add(segment(10, 20, 0));
        assert_eq!(rl.highest_offset_in_remote, 19);
        let got = rl.read(5, 100, u64::MAX);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].base_offset, 0);
        assert_eq!(rl.read(10, 100, u64::MAX)[0].base_offset, 10);
        assert!(rl.read(20, 100, u64::MAX).is_empty());
    }

    #[test]
    fn expiry_by_time_moves_the_log_start_offset() {
        let mut rl = RemoteLog::default();
        rl.add(segment(0, 10, 1_000));
        rl.add(segment(10, 20, 5_000));
        // retention.ms 2 000 at t = 4 000: only the first segment (largest ts 1 000) breaches.
        assert_eq!(rl.expire(4_000, 2_000, -1, 0), 1);
        assert_eq!(rl.log_start_offset, 10);
        assert_eq!(rl.values_below(20), (10..20).collect::<Vec<u64>>());
        // Local log starting at 15: the tiers overlap, nothing unreadable.
        assert!(!rl.gap_below(15));
        // A local log starting past the remote tier's end leaves [20, 25) unreadable.
        assert!(rl.gap_below(25));
    }

    #[test]
    fn expiry_by_size_counts_local_bytes_not_yet_copied() {
        let mut rl = RemoteLog::default();
        rl.add(segment(0, 10, 0));
        rl.add(segment(10, 20, 0));
        // 2 000 remote bytes + 1 000 local: retention.bytes 2 000 deletes one remote segment.
        assert_eq!(rl.expire(0, -1, 2_000, 1_000), 1);
        assert_eq!(rl.log_start_offset, 10);
    }

    /// Local retention never deletes a segment that is not in the remote tier, whatever its
    /// age; once copied, local.retention.ms deletes it and the local log start moves while the
    /// log start offset stays.
    #[test]
    fn local_retention_deletes_only_copied_segments() {
        let cfg = Rc::new(tiered_cfg(50));
        let mut b = Broker::new(cfg, 0);
        b.tier.store = Some(new_store(1));
        let log = &mut b.logs[0];
        for (i, t) in [0i64, 20, 40, 60].iter().enumerate() {
            log.append(batch(i as u64 * 10, *t, 10), *t, u64::MAX, 10);
        }
        log.hw = log.leo;
        assert_eq!(log.segments.len(), 4);
        // Nothing copied yet: nothing deleted, however old (the local retention breach rolls
        // the active segment, so four segments are closed now).
        assert_eq!(b.tiered_retention(0, 1_000), 0);
        assert_eq!(b.logs[0].segments.len(), 5);
        // The RLM copies the closed segments (the empty active one stays local).
        while let Some(seg) = b.next_candidate(0) {
            let store = b.tier.store.clone().unwrap();
            store.borrow_mut()[0].add(seg);
        }
        assert_eq!(
            b.tier.store.as_ref().unwrap().borrow()[0].next_copy_offset(),
            40
        );
        assert_eq!(b.tiered_retention(0, 1_000), 4);
        assert_eq!(b.logs[0].local_log_start, 40);
        assert_eq!(b.log_start_offset(0), 0);
        assert_eq!(b.invariant_violations, 0);
    }

    /// local.retention.bytes: once everything closed is copied, the oldest copied segments go
    /// until the local size fits; a copied segment above that stays.
    #[test]
    fn local_retention_by_bytes() {
        let mut cfg = tiered_cfg(-2);
        cfg.retention_ms = -1;
        cfg.tiered_storage.local_retention_bytes = 2_000;
        let mut b = Broker::new(Rc::new(cfg), 0);
        b.tier.store = Some(new_store(1));
        let log = &mut b.logs[0];
        for i in 0..4u64 {
            log.append(batch(i * 10, 0, 10), i as i64 * 20, u64::MAX, 10);
        }
        log.hw = log.leo;
        // Four segments of 1 000 bytes, the last one active; copy only the first.
        let first = b.next_candidate(0).unwrap();
        b.tier.store.as_ref().unwrap().borrow_mut()[0].add(first);
        assert_eq!(b.tiered_retention(0, 100), 1);
        assert_eq!(b.logs[0].local_log_start, 10);
        // The next one breaches too but is not copied: it stays.
        assert_eq!(b.tiered_retention(0, 100), 0);
        let second = b.next_candidate(0).unwrap();
        b.tier.store.as_ref().unwrap().borrow_mut()[0].add(second);
        assert_eq!(b.tiered_retention(0, 100), 1);
        assert_eq!(b.logs[0].size_bytes, 2_000);
        assert_eq!(b.invariant_violations, 0);
    }

    #[test]
    fn local_retention_must_fit_total_retention() {
        let mut cfg = tiered_cfg(200_000);
        assert!(cfg.validate().is_err());
        cfg.tiered_storage.local_retention_ms = -1;
        assert!(cfg.validate().is_err(), "-1 while retention.ms is bounded");
        cfg.tiered_storage.local_retention_ms = -2;
        assert!(cfg.validate().is_ok());
        cfg.retention_bytes = 1_000;
        cfg.tiered_storage.local_retention_bytes = 2_000;
        let e = cfg.validate().unwrap_err();
        assert_eq!(e.0, "tiered_storage.local_retention_bytes");
    }
}
