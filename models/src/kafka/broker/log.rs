//! One replica's partition log: record batches in segments, local log start, LEO, HW, flushed
//! offset (recovery point), the leader-epoch cache and the producer (idempotence) state, and
//! the read_committed view of a final log.
//! Batches are immutable and shared between replicas (`Rc`), so three replicas of an hour of
//! traffic cost one copy of the values.

#[cfg(debug_assertions)]
use super::producer_state::same_producers;
pub use super::producer_state::{ProducerEntry, SeqCheck};
use super::producer_state::{after_head_cut, after_tail_cut, note_producer};
use super::retention_check::DeletedSegment;
use crate::kafka::wire::records::{Batch, BatchTxn, TxnIndex};
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Debug, Default)]
pub struct Segment {
    pub base_offset: u64,
    pub batches: Vec<Rc<Batch>>,
    pub bytes: u64,
    /// Broker-local time of the first append (segment.ms rolling).
    pub created_ms: i64,
    /// Largest record timestamp (time retention).
    pub largest_ts_ms: i64,
}

impl Segment {
    fn new(base_offset: u64, now_ms: i64) -> Segment {
        Segment {
            base_offset,
            batches: Vec::new(),
            bytes: 0,
            created_ms: now_ms,
            largest_ts_ms: i64::MIN,
        }
    }
    pub fn end_offset(&self) -> u64 {
        self.batches
            .last()
            .map_or(self.base_offset, |b| b.next_offset())
    }
}

#[derive(Debug)]
pub struct ReplicaLog {
    pub segments: Vec<Segment>,
    /// First offset on local disk: UnifiedLog `localLogStartOffset`. Without tiered storage it
    /// is also the log start offset (`logStartOffset`); with it, the log start offset is the
    /// remote tier's (`tiered.rs`, `RemoteLog::log_start_offset`) and may be lower.
    pub local_log_start: u64,
    pub leo: u64,
    /// Local HW (a follower's copy is one round trip stale).
    pub hw: u64,
    /// Recovery point: a lossy crash truncates here.
    pub flushed: u64,
    /// replica.high.watermark.checkpoint: the HW as last written to disk.
    pub hw_checkpoint: u64,
    /// (epoch, start offset), increasing in both.
    pub epoch_cache: Vec<(u32, u64)>,
    pub producers: BTreeMap<i64, ProducerEntry>,
    pub size_bytes: u64,
    /// Open and aborted transactions (LSO, aborted index), rebuilt with the producer state.
    pub txn: TxnIndex,
    /// Log cleaner checkpoint (cleaner-offset-checkpoint): records below it have been
    /// compacted, so offsets below it may be missing (`cleaner.rs`).
    pub clean_offset: u64,
    /// KIP-534: tombstone offset → its delete horizon (ms), set when the cleaner first
    /// passes it; the tombstone is dropped by a cleaning after the horizon.
    pub tombstone_horizons: BTreeMap<u64, i64>,
    /// KIP-890 part 1 verification guards by producer id (ProducerStateManager
    /// verificationStates; in memory: the broker clears them at a crash). Any transactional
    /// append of the producer id removes its entry (UnifiedLog.updateProducers).
    pub verification: BTreeMap<i64, u64>,
    /// The producer state is a replay of exactly the batches in `segments`, none of them
    /// transactional (so the transaction index is empty): then a truncation or a cut of whole
    /// head segments changes it in a way `producer_state` can tell without a full replay.
    /// Cleared by a transactional append and by the cleaner (it removes batches the state was
    /// replayed from); set again by a full rebuild of a plain log.
    pub plain_replay: bool,
}

impl Default for ReplicaLog {
    fn default() -> Self {
        ReplicaLog {
            segments: vec![Segment::new(0, 0)],
            local_log_start: 0,
            leo: 0,
            hw: 0,
            flushed: 0,
            hw_checkpoint: 0,
            epoch_cache: Vec::new(),
            producers: BTreeMap::new(),
            size_bytes: 0,
            txn: TxnIndex::default(),
            clean_offset: 0,
            tombstone_horizons: BTreeMap::new(),
            verification: BTreeMap::new(),
            plain_replay: true,
        }
    }
}

impl ReplicaLog {
    /// Epoch of the last record, if any (a follower's `last_fetched_epoch`).
    pub fn last_epoch(&self) -> Option<u32> {
        self.epoch_cache.last().map(|e| e.0)
    }

    /// Record that epoch `epoch` starts at `start` (leader election, or first append in it).
    pub fn assign_epoch(&mut self, epoch: u32, start: u64) {
        if self.epoch_cache.last().is_some_and(|&(e, _)| e >= epoch) {
            return;
        }
        self.epoch_cache.push((epoch, start));
    }

    /// OffsetsForLeaderEpoch: the largest epoch ≤ `epoch` and its exclusive end offset; `None`
    /// when the cache knows no epoch ≤ `epoch`.
    pub fn end_offset_for_epoch(&self, epoch: u32) -> Option<(u32, u64)> {
        let idx = self.epoch_cache.partition_point(|&(e, _)| e <= epoch);
        if idx == 0 {
            return None;
        }
        let (e, _) = self.epoch_cache[idx - 1];
        let end = self.epoch_cache.get(idx).map_or(self.leo, |&(_, s)| s);
        Some((e, end))
    }

    /// Check a batch's sequence against the producer state (ProducerAppendInfo.checkSequence).
    /// UnifiedLog.hasOngoingTransaction: the producer id has an open transaction on this log
    /// *at this epoch* ("if the incoming producer epoch is newer than the stored one, the
    /// transaction may have finished"): with transactions v2 the next transaction's epoch is one
    /// higher, so its first batch is verified (and added) even while the previous transaction's
    /// marker is not yet written here.
    pub fn has_ongoing_transaction(&self, pid: i64, epoch: i16) -> bool {
        self.txn.open.contains_key(&pid)
            && self.producers.get(&pid).is_some_and(|e| e.epoch == epoch)
    }

    pub fn check_sequence(&self, pid: i64, epoch: i16, first_seq: i32, last_seq: i32) -> SeqCheck {
        if pid < 0 {
            return SeqCheck::Append;
        }
        let Some(entry) = self.producers.get(&pid) else {
            // Unknown producer (new, or its state expired / was removed by retention): any
            // sequence is accepted, so dedup no longer covers late retries.
            return SeqCheck::Append;
        };
        if epoch < entry.epoch {
            return SeqCheck::InvalidEpoch;
        }
        if epoch > entry.epoch {
            // A new epoch must start at sequence 0.
            return if first_seq == 0 {
                SeqCheck::Append
            } else {
                SeqCheck::OutOfOrder
            };
        }
        for &(f, l, off) in &entry.batches {
            if f == first_seq && l == last_seq {
                return SeqCheck::Duplicate(off);
            }
        }
        let last = entry.batches.back().map_or(-1, |b| b.1);
        let oldest = entry.batches.front().map_or(0, |b| b.0);
        if first_seq == last + 1 {
            SeqCheck::Append
        } else if last_seq < oldest {
            SeqCheck::DuplicateUncached
        } else {
            SeqCheck::OutOfOrder
        }
    }

    /// Append a batch whose offsets are already assigned (`base_offset == leo`, or above it
    /// when a follower copies a compacted region: offsets are kept, gaps and all). Rolls the
    /// active segment first when the batch would push it past segment.bytes or its age passed
    /// segment.ms (LogSegment.shouldRoll, without jitter).
    pub fn append(&mut self, batch: Rc<Batch>, now_ms: i64, segment_bytes: u64, segment_ms: u64) {
        debug_assert!(batch.base_offset >= self.leo);
        let roll = {
            let active = self.segments.last().expect("one segment");
            !active.batches.is_empty()
                && (active.bytes + batch.bytes > segment_bytes
                    || now_ms - active.created_ms > segment_ms as i64)
        };
        if roll {
            self.segments.push(Segment::new(self.leo, now_ms));
        }
        let active = self.segments.last_mut().expect("one segment");
        if active.batches.is_empty() {
            active.created_ms = now_ms;
        }
        active.bytes += batch.bytes;
        active.largest_ts_ms = active.largest_ts_ms.max(batch.max_ts_ms);
        self.size_bytes += batch.bytes;
        self.leo = batch.next_offset();
        note_producer(&mut self.producers, &batch);
        self.plain_replay &= batch.txn == BatchTxn::None;
        if batch.txn != BatchTxn::None {
            self.verification.remove(&batch.pid);
        }
        self.txn.note(&batch, self.hw);
        let (epoch, base) = (batch.leader_epoch, batch.base_offset);
        active.batches.push(batch);
        self.assign_epoch(epoch, base);
    }

    /// Roll the active segment if it is non-empty and older than segment.ms (retention.ms
    /// "triggers the rolling of new segment").
    pub fn maybe_roll(&mut self, now_ms: i64, segment_ms: u64) {
        let active = self.segments.last().expect("one segment");
        if !active.batches.is_empty() && now_ms - active.created_ms > segment_ms as i64 {
            self.segments.push(Segment::new(self.leo, now_ms));
        }
    }

    /// Remove every record at or above `offset`; HW, flushed offset and the epoch cache follow;
    /// the producer state is rebuilt from what remains.
    pub fn truncate_to(&mut self, offset: u64) {
        if offset >= self.leo {
            // UnifiedLog.truncateTo: a truncation at or past the end removes no record but still
            // cuts the epoch cache at the LEO — a broker elected leader that appended nothing
            // before the next election holds an entry starting at its LEO, which would otherwise
            // keep answering the new leader's divergence check the same way (a fetch storm).
            self.truncate_epoch_cache(self.leo);
            return;
        }
        let offset = offset.max(self.local_log_start);
        while self.segments.len() > 1
            && self.segments.last().expect("segment").base_offset >= offset
        {
            let s = self.segments.pop().expect("segment");
            self.size_bytes -= s.bytes;
        }
        let seg = self.segments.last_mut().expect("segment");
        if seg.base_offset > offset {
            seg.base_offset = offset;
        }
        while let Some(b) = seg.batches.last() {
            if b.base_offset >= offset {
                seg.bytes -= b.bytes;
                self.size_bytes -= b.bytes;
                seg.batches.pop();
            } else if b.next_offset() > offset {
                let keep = (offset - b.base_offset) as usize;
                let cut = Rc::new(b.prefix(keep));
                seg.bytes -= b.bytes - cut.bytes;
                self.size_bytes -= b.bytes - cut.bytes;
                *seg.batches.last_mut().expect("batch") = cut;
                break;
            } else {
                break;
            }
        }
        seg.largest_ts_ms = seg
            .batches
            .iter()
            .map(|b| b.max_ts_ms)
            .max()
            .unwrap_or(i64::MIN);
        self.leo = offset;
        self.hw = self.hw.min(offset);
        self.flushed = self.flushed.min(offset);
        self.hw_checkpoint = self.hw_checkpoint.min(offset);
        self.clean_offset = self.clean_offset.min(offset);
        self.tombstone_horizons.split_off(&offset);
        self.truncate_epoch_cache(offset);
        self.producers_after_tail_cut(offset);
    }

    /// LeaderEpochFileCache.truncateFromEnd: drop the entries starting at or after `offset`,
    /// also one at the log start (a log truncated to its start keeps no epoch: its next fetch
    /// names none, instead of an epoch the new leader answers "diverging at offset 0" for ever).
    fn truncate_epoch_cache(&mut self, offset: u64) {
        while self.epoch_cache.last().is_some_and(|&(_, s)| s >= offset) {
            self.epoch_cache.pop();
        }
    }

    /// Producer state is rebuilt from the log on load (and after truncation).
    pub fn rebuild_producers(&mut self) {
        let mut producers = BTreeMap::new();
        let mut plain = true;
        for seg in &self.segments {
            for b in &seg.batches {
                note_producer(&mut producers, b);
                plain &= b.txn == BatchTxn::None;
            }
        }
        self.producers = producers;
        self.plain_replay = plain;
        self.txn = TxnIndex::rebuild(self);
    }

    /// The producer state after a truncation to `offset`: what `rebuild_producers` would give,
    /// replaying only the affected producers' last batches when the log is plain (a full replay
    /// per truncation was ≈ 12 % of a retention scenario's run under generated faults).
    fn producers_after_tail_cut(&mut self, offset: u64) {
        if !self.plain_replay {
            self.rebuild_producers();
            return;
        }
        let newest_first = self
            .segments
            .iter()
            .rev()
            .flat_map(|s| s.batches.iter().rev());
        after_tail_cut(&mut self.producers, offset, newest_first.map(|b| &**b));
        self.check_replay();
    }

    /// The producer state after whole segments were cut off the head (retention, DeleteRecords):
    /// what `rebuild_producers` would give, without replaying the log when
    /// `producer_state::after_head_cut` can tell it from the state itself (a full replay per
    /// retention check was ≈ 14 % of a retention scenario's run).
    fn producers_after_head_cut(&mut self) {
        let cut = self.segments[0].base_offset;
        if !(self.plain_replay && after_head_cut(&mut self.producers, cut)) {
            self.rebuild_producers();
            return;
        }
        self.check_replay();
    }

    /// Debug builds: the derived producer state is the replay of the log.
    fn check_replay(&self) {
        #[cfg(debug_assertions)]
        {
            let mut replayed = BTreeMap::new();
            for b in self.segments.iter().flat_map(|s| &s.batches) {
                note_producer(&mut replayed, b);
            }
            debug_assert!(same_producers(&self.producers, &replayed));
        }
    }

    /// DeleteRecords (`UnifiedLog.maybeIncrementLogStartOffset`, ClientRecordDeletion): the log
    /// start moves up to `offset` (≤ HW, possibly inside a segment), then the segments wholly
    /// below it go (`deleteLogStartOffsetBreachedSegments`). False when it would not move.
    pub fn advance_log_start(&mut self, offset: u64) -> bool {
        if offset <= self.local_log_start || offset > self.hw {
            return false;
        }
        self.delete_oldest_while(|_, end, _| end <= offset);
        self.local_log_start = self.local_log_start.max(offset);
        true
    }

    /// Throw the whole log away and restart it at `offset` (a follower fetching below the
    /// leader's local log start).
    pub fn reset_to(&mut self, offset: u64, now_ms: i64) {
        self.segments = vec![Segment::new(offset, now_ms)];
        self.local_log_start = offset;
        self.leo = offset;
        self.hw = offset;
        self.flushed = offset;
        self.hw_checkpoint = offset;
        self.epoch_cache.clear();
        self.producers.clear();
        self.size_bytes = 0;
        self.txn = TxnIndex::default();
        self.plain_replay = true;
        self.clean_offset = offset;
        self.tombstone_horizons.clear();
    }

    /// Batches holding offsets in `[from, upto)`, at least one batch if any, then up to
    /// `max_bytes` (fetch limits are soft).
    pub fn read(&self, from: u64, upto: u64, max_bytes: u64) -> Vec<Rc<Batch>> {
        let mut out = Vec::new();
        if from >= upto || from >= self.leo {
            return out;
        }
        let si = self
            .segments
            .partition_point(|s| s.base_offset <= from)
            .saturating_sub(1);
        let mut bytes = 0;
        for seg in &self.segments[si..] {
            let start = Self::first_batch_ending_after(seg, from);
            for b in &seg.batches[start..] {
                if b.base_offset >= upto || (!out.is_empty() && bytes + b.bytes > max_bytes) {
                    return out;
                }
                bytes += b.bytes;
                out.push(b.clone());
            }
        }
        out
    }

    /// Index of the first batch of `seg` with next_offset > `from`. Reads are mostly near the
    /// end of the log (followers and caught-up consumers), so look back from the end first.
    fn first_batch_ending_after(seg: &Segment, from: u64) -> usize {
        let n = seg.batches.len();
        let mut i = n;
        while i > 0 && n - i < 8 {
            if seg.batches[i - 1].next_offset() <= from {
                return i;
            }
            i -= 1;
        }
        if i == 0 {
            return 0;
        }
        seg.batches[..i].partition_point(|b| b.next_offset() <= from)
    }

    /// Value at `offset`, if present.
    pub fn value_at(&self, offset: u64) -> Option<u64> {
        if offset < self.local_log_start || offset >= self.leo {
            return None;
        }
        let si = self
            .segments
            .partition_point(|s| s.base_offset <= offset)
            .saturating_sub(1);
        let seg = &self.segments[si];
        let bi = seg.batches.partition_point(|b| b.next_offset() <= offset);
        let b = seg.batches.get(bi)?;
        (b.base_offset <= offset).then(|| b.values[(offset - b.base_offset) as usize])
    }

    /// Batches overlapping `[from, to)`.
    fn batches_in(&self, from: u64, to: u64) -> Vec<&Rc<Batch>> {
        let mut out = Vec::new();
        for seg in &self.segments {
            for b in &seg.batches {
                if b.next_offset() > from && b.base_offset < to {
                    out.push(b);
                }
            }
        }
        out
    }

    /// LogMatching: whether two replicas hold the same records in `[from, to)` (below both
    /// HWs; replicas usually share the very same batches, which is checked first). Where the
    /// topic may be compacted, an offset held by one replica only is not a disagreement: each
    /// replica cleans on its own schedule, and a follower fetching from a cleaned leader copies
    /// its holes (LogCleaner keeps offsets, never renumbers), above its own cleaner checkpoint
    /// too. A value held by both must match. Without compaction a log has no holes: the offsets
    /// must match exactly.
    pub fn agrees_with(&self, other: &ReplicaLog, from: u64, to: u64, compacted: bool) -> bool {
        if from >= to {
            return true;
        }
        let (a, b) = (self.batches_in(from, to), other.batches_in(from, to));
        if a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| Rc::ptr_eq(x, y)) {
            return true;
        }
        (from..to).all(|o| match (self.value_at(o), other.value_at(o)) {
            (Some(a), Some(b)) => a == b,
            (a, b) => a == b || compacted,
        })
    }

    /// Every (offset, value) from the local log start to the LEO.
    pub fn for_each_record(&self, mut f: impl FnMut(u64, u64)) {
        for seg in &self.segments {
            for b in &seg.batches {
                for (i, v) in b.values.iter().enumerate() {
                    let off = b.base_offset + i as u64;
                    if off >= self.local_log_start {
                        f(off, *v);
                    }
                }
            }
        }
    }

    /// UnifiedLog.deleteOldSegments for cleanup.policy=delete. LocalLog.deletableSegments walks
    /// the segments oldest first — the active one too, unless it is empty — and stops at the
    /// first that is not deletable: its upper bound (the next segment's base offset; the LEO
    /// for the active one) is above the HW, or it breaches neither retention.ms (now − its
    /// largest timestamp) nor retention.bytes. Only when every segment is deletable is the
    /// active one rolled, and then all of them go (UnifiedLog.deleteSegments: "we must always
    /// have at least one segment, so if we are going to delete all the segments, create a new
    /// one first"). Nothing else rolls for retention: a segment still being written keeps its
    /// records past retention.ms while a newer record in it is younger. `note` sees each
    /// deletion's facts (the independent check, `retention_check.rs`). Returns the number of
    /// deleted segments.
    pub fn delete_retention_noting(
        &mut self,
        now_ms: i64,
        retention_ms: i64,
        retention_bytes: i64,
        note: impl FnMut(&DeletedSegment),
    ) -> u32 {
        let mut size = self.size_bytes;
        let mut n: usize = 0;
        for (i, seg) in self.segments.iter().enumerate() {
            let next = self.segments.get(i + 1);
            if next.is_none() && seg.batches.is_empty() {
                break;
            }
            let end = next.map_or(self.leo, |nx| seg.end_offset().max(nx.base_offset));
            let by_time = retention_ms >= 0 && now_ms - seg.largest_ts_ms > retention_ms;
            let by_size = retention_bytes >= 0 && size - seg.bytes >= retention_bytes as u64;
            if end > self.hw || !(by_time || by_size) {
                break;
            }
            size -= seg.bytes;
            n += 1;
        }
        if n == 0 {
            return 0;
        }
        if n == self.segments.len() {
            self.segments.push(Segment::new(self.leo, now_ms));
        }
        let mut left = n;
        self.delete_oldest_while_noting(
            |_, _, _| {
                let go = left > 0;
                left = left.saturating_sub(1);
                go
            },
            note,
        )
    }

    /// `delete_oldest_while_noting` without looking at the deletions.
    pub fn delete_oldest_while(
        &mut self,
        deletable: impl FnMut(&Segment, u64, u64) -> bool,
    ) -> u32 {
        self.delete_oldest_while_noting(deletable, |_| {})
    }

    /// UnifiedLog.deletableSegments: delete closed segments oldest first while
    /// `deletable(segment, upper bound offset, local size in bytes)` holds, never one whose upper
    /// bound (the next segment's base offset) is above the HW; the local log start moves at once.
    /// `note` gets each deleted segment's facts. Returns the number of deleted segments.
    pub fn delete_oldest_while_noting(
        &mut self,
        mut deletable: impl FnMut(&Segment, u64, u64) -> bool,
        mut note: impl FnMut(&DeletedSegment),
    ) -> u32 {
        let mut deleted = 0;
        while self.segments.len() > 1 {
            let seg = &self.segments[0];
            let end = seg.end_offset().max(self.segments[1].base_offset);
            if end > self.hw || !deletable(seg, end, self.size_bytes) {
                break;
            }
            note(&DeletedSegment {
                base_offset: seg.base_offset,
                end_offset: end,
                bytes: seg.bytes,
                largest_ts_ms: seg.largest_ts_ms,
                was_active: self.segments.len() == 1,
                log_start_before: self.local_log_start,
                size_before: self.size_bytes,
                hw: self.hw,
            });
            let seg = self.segments.remove(0);
            self.size_bytes -= seg.bytes;
            // A log start moved inside the next segment by DeleteRecords stays where it is.
            self.local_log_start = self.segments[0].base_offset.max(self.local_log_start);
            deleted += 1;
        }
        if deleted > 0 {
            // Epoch entries below the new local log start collapse into one starting at it.
            let ls = self.local_log_start;
            let keep_from = self
                .epoch_cache
                .partition_point(|&(_, s)| s <= ls)
                .saturating_sub(1);
            self.epoch_cache.drain(..keep_from);
            if let Some(first) = self.epoch_cache.first_mut() {
                first.1 = first.1.max(ls);
            }
            self.clean_offset = self.clean_offset.max(ls);
            self.tombstone_horizons = self.tombstone_horizons.split_off(&ls);
            // Producer state whose batches were all removed by retention is forgotten.
            self.producers_after_head_cut();
        }
        deleted
    }
}

/// ProducerAppendInfo.appendEndTxnMarker: a marker with an epoch below the producer's current
/// one is rejected; markers carry no sequence number.
pub fn check_marker(log: &ReplicaLog, pid: i64, epoch: i16) -> SeqCheck {
    match log.producers.get(&pid) {
        Some(e) if epoch < e.epoch => SeqCheck::InvalidEpoch,
        _ => SeqCheck::Append,
    }
}

/// The transactional outcome of every data value of one final log.
#[derive(Clone, Debug, Default)]
pub struct LogView {
    /// Values a read_committed consumer returns (plain + committed transactional), in order.
    pub committed: Vec<u64>,
    /// Every data value (what read_uncommitted returns), in order.
    pub all: Vec<u64>,
    /// Transactional values aborted, or still open at the end.
    pub not_committed: Vec<u64>,
    /// Committed transactional value → timestamp (ms) of its COMMIT marker (the coordinator's
    /// decision time).
    pub commit_ms: Vec<(u64, i64)>,
}

/// Classify a final log's records by transaction outcome.
pub fn log_view(log: &ReplicaLog) -> LogView {
    classify(log, true)
}

/// Only the transactional outcomes of a final log (`not_committed`, `commit_ms`): plain
/// records are not copied, and `committed` / `all` stay empty.
pub fn txn_outcomes(log: &ReplicaLog) -> LogView {
    classify(log, false)
}

fn classify(log: &ReplicaLog, records: bool) -> LogView {
    let mut v = LogView::default();
    // pid → values of its open transaction in this log.
    let mut open: BTreeMap<i64, Vec<u64>> = BTreeMap::new();
    for b in log.segments.iter().flat_map(|s| &s.batches) {
        // Records below the local log start are gone (retention, DeleteRecords).
        let gone = log.local_log_start.saturating_sub(b.base_offset);
        let vals = &b.values[(gone.min(b.values.len() as u64) as usize)..];
        match b.txn {
            BatchTxn::None if records => {
                v.committed.extend_from_slice(vals);
                v.all.extend_from_slice(vals);
            }
            BatchTxn::None => {}
            BatchTxn::Data => {
                if records {
                    v.all.extend_from_slice(vals);
                }
                open.entry(b.pid).or_default().extend_from_slice(vals);
            }
            BatchTxn::Commit => {
                for x in open.remove(&b.pid).unwrap_or_default() {
                    if records {
                        v.committed.push(x);
                    }
                    v.commit_ms.push((x, b.max_ts_ms));
                }
            }
            BatchTxn::Abort => {
                v.not_committed
                    .extend(open.remove(&b.pid).unwrap_or_default());
            }
        }
    }
    for (_, vals) in open {
        v.not_committed.extend(vals);
    }
    v
}

impl TxnIndex {
    /// Rebuild from the log's batches (load, truncation, retention).
    pub fn rebuild(log: &ReplicaLog) -> TxnIndex {
        let mut idx = TxnIndex::default();
        for seg in &log.segments {
            for b in &seg.batches {
                idx.note(b, 0);
            }
        }
        idx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::wire::records::MARKER_VALUE;

    /// A broker elected leader for epoch 2 at its LEO that appended nothing: a truncation at
    /// the LEO removes no record but must drop the empty epoch's cache entry
    /// (UnifiedLog.truncateTo), or the follower keeps naming epoch 2 in its fetches and the new
    /// leader keeps answering "diverging at the end of epoch 1" = this LEO.
    #[test]
    fn truncation_at_the_end_cuts_the_epoch_cache() {
        let mut log = ReplicaLog::default();
        log.append(
            Rc::new(Batch::fixture(0, 0, &[1, 2, 3])),
            0,
            u64::MAX,
            u64::MAX,
        );
        log.assign_epoch(2, log.leo);
        assert_eq!(log.last_epoch(), Some(2));
        log.truncate_to(3);
        assert_eq!(log.leo, 3);
        assert_eq!(log.last_epoch(), Some(1));
        assert_eq!(log.end_offset_for_epoch(2), Some((1, 3)));
        // Past the end too, and records below it stay.
        log.assign_epoch(4, log.leo);
        log.truncate_to(10);
        assert_eq!((log.leo, log.last_epoch()), (3, Some(1)));
        assert_eq!(log.value_at(2), Some(3));
    }

    /// DeleteRecords (KIP-107): the log start may move inside a segment; only segments wholly
    /// below it go; never above the HW, never backwards.
    #[test]
    fn delete_records_moves_the_log_start_inside_a_segment() {
        let mut log = ReplicaLog::default();
        // segment.bytes 1: the second batch rolls a new segment.
        log.append(Rc::new(Batch::fixture(0, 0, &[1, 2])), 0, 1, u64::MAX);
        log.append(Rc::new(Batch::fixture(2, 0, &[3, 4])), 0, 1, u64::MAX);
        log.hw = 4;
        assert!(!log.advance_log_start(5), "above the HW");
        assert!(log.advance_log_start(3));
        assert_eq!(log.local_log_start, 3);
        assert_eq!(log.segments.len(), 1, "the segment wholly below 3 is gone");
        assert_eq!(
            log.segments[0].base_offset, 2,
            "the one holding offset 3 stays"
        );
        assert!(!log.advance_log_start(1), "never backwards");
        assert_eq!(log_view(&log).all, vec![4]);
    }

    /// UnifiedLog.hasOngoingTransaction: an open transaction counts only at its own producer
    /// epoch, so with transactions v2 the next transaction's first batch (epoch + 1) is verified
    /// and added even while the previous one's marker is not yet here; the marker closes it.
    #[test]
    fn an_ongoing_transaction_is_one_of_the_same_epoch() {
        let mut log = ReplicaLog::default();
        let data = Batch {
            pid: 7,
            producer_epoch: 3,
            first_seq: 0,
            txn: BatchTxn::Data,
            ..Batch::fixture(0, 0, &[1])
        };
        log.append(Rc::new(data), 0, u64::MAX, u64::MAX);
        assert!(log.has_ongoing_transaction(7, 3));
        assert!(
            !log.has_ongoing_transaction(7, 4),
            "the next epoch's transaction"
        );
        assert!(!log.has_ongoing_transaction(8, 3), "another producer id");
        let marker = Batch {
            pid: 7,
            producer_epoch: 4,
            txn: BatchTxn::Commit,
            ..Batch::fixture(1, 0, &[MARKER_VALUE])
        };
        log.append(Rc::new(marker), 0, u64::MAX, u64::MAX);
        assert!(!log.has_ongoing_transaction(7, 4), "the marker ended it");
    }

    /// An empty follower log whose only epoch entry starts at the log start: truncating to the
    /// start drops it (LeaderEpochFileCache.truncateFromEnd has no log-start exception).
    #[test]
    fn truncation_to_the_log_start_empties_the_epoch_cache() {
        let mut log = ReplicaLog::default();
        log.assign_epoch(1, 0);
        log.truncate_to(0);
        assert_eq!(log.last_epoch(), None);
    }
}
