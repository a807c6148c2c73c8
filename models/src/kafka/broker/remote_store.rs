//! Tiered storage's object store (KIP-405): remote segments per partition in one logical store
//! shared by every replica (RemoteLogSegmentMetadata + data), and a broker's tiered-storage
//! state — uploads in flight, fetches waiting for a remote read, counters. The remote log
//! manager that fills and reads it is in `tiered.rs`.

use crate::kafka::wire::msg::KMsg;
use crate::kafka::wire::records::Batch;
use msgsim_sim::{NodeId, Via};
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// One segment in the object store (RemoteLogSegmentMetadata + its data).
#[derive(Debug)]
pub struct RemoteSegment {
    pub base_offset: u64,
    /// Exclusive end: the base offset of the local segment that followed it
    /// (RemoteLogManager.EnrichedLogSegment `nextSegmentOffset`).
    pub end_offset: u64,
    pub batches: Vec<Rc<Batch>>,
    pub bytes: u64,
    pub largest_ts_ms: i64,
}

/// The remote tier of one partition.
#[derive(Debug)]
pub struct RemoteLog {
    pub segments: VecDeque<RemoteSegment>,
    /// UnifiedLog `highestOffsetInRemoteStorage`: the last offset copied, -1 when none.
    pub highest_offset_in_remote: i64,
    /// The partition's log start offset (`logStartOffset`): below it nothing is readable.
    pub log_start_offset: u64,
    pub size_bytes: u64,
}

impl Default for RemoteLog {
    fn default() -> Self {
        RemoteLog {
            segments: VecDeque::new(),
            highest_offset_in_remote: -1,
            log_start_offset: 0,
            size_bytes: 0,
        }
    }
}

/// The object store: one remote tier per partition, shared by every broker of a run.
pub type RemoteStore = Rc<RefCell<Vec<RemoteLog>>>;

pub fn new_store(partitions: u32) -> RemoteStore {
    Rc::new(RefCell::new(
        (0..partitions).map(|_| RemoteLog::default()).collect(),
    ))
}

impl RemoteLog {
    /// The next offset the RLM copies from (`highestOffsetInRemoteStorage + 1`).
    pub fn next_copy_offset(&self) -> u64 {
        (self.highest_offset_in_remote + 1) as u64
    }

    /// First offset the remote tier holds (its next copy offset when empty).
    pub(super) fn first_offset(&self) -> u64 {
        self.segments
            .front()
            .map_or(self.next_copy_offset(), |s| s.base_offset)
    }

    pub(super) fn add(&mut self, seg: RemoteSegment) {
        self.highest_offset_in_remote = seg.end_offset as i64 - 1;
        self.size_bytes += seg.bytes;
        self.segments.push_back(seg);
    }

    /// RemoteLogManager.read: batches of the one remote segment holding `from`, at least one,
    /// then up to `max_bytes`, below `upto`.
    pub fn read(&self, from: u64, upto: u64, max_bytes: u64) -> Vec<Rc<Batch>> {
        let mut out = Vec::new();
        let si = self.segments.partition_point(|s| s.end_offset <= from);
        let Some(seg) = self.segments.get(si) else {
            return out;
        };
        let mut bytes = 0;
        for b in seg.batches.iter().filter(|b| b.next_offset() > from) {
            if b.base_offset >= upto || (!out.is_empty() && bytes + b.bytes > max_bytes) {
                break;
            }
            bytes += b.bytes;
            out.push(b.clone());
        }
        out
    }

    /// RLM expiration (RemoteLogManager `cleanupExpiredRemoteLogSegments`): delete remote
    /// segments oldest first while one breaches retention.ms (its largest timestamp) or
    /// retention.bytes (remote size plus the local bytes not yet copied), or lies below the log
    /// start offset; the log start offset moves past each deleted segment.
    pub(super) fn expire(
        &mut self,
        now_ms: i64,
        retention_ms: i64,
        retention_bytes: i64,
        local: u64,
    ) -> u64 {
        let mut deleted = 0;
        while let Some(seg) = self.segments.front() {
            let by_time =
                retention_ms >= 0 && now_ms.saturating_sub(seg.largest_ts_ms) > retention_ms;
            let total = self.size_bytes + local;
            let by_size = retention_bytes >= 0 && total - seg.bytes >= retention_bytes as u64;
            if !(by_time || by_size || seg.end_offset <= self.log_start_offset) {
                break;
            }
            let seg = self.segments.pop_front().expect("front");
            self.size_bytes -= seg.bytes;
            self.log_start_offset = self.log_start_offset.max(seg.end_offset);
            deleted += 1;
        }
        deleted
    }

    /// Some offset in `[log_start_offset, local_start)` is in neither tier: the remote tier
    /// starts above the log start offset or ends below the local log start.
    pub fn gap_below(&self, local_start: u64) -> bool {
        local_start > self.log_start_offset
            && (self.first_offset() > self.log_start_offset
                || self.next_copy_offset() < local_start)
    }

    /// Values of the remote records in `[log_start_offset, below)`, in offset order.
    pub fn values_below(&self, below: u64) -> Vec<u64> {
        let mut out = Vec::new();
        for seg in &self.segments {
            for b in &seg.batches {
                for (i, v) in b.values.iter().enumerate() {
                    let off = b.base_offset + i as u64;
                    if off >= self.log_start_offset && off < below {
                        out.push(*v);
                    }
                }
            }
        }
        out
    }
}

/// What the tiered-storage code did on one broker (for the report).
#[derive(Clone, Copy, Debug, Default)]
pub struct TierCounters {
    pub segments_copied: u64,
    pub bytes_copied: u64,
    pub remote_fetches: u64,
    pub remote_fetch_bytes: u64,
    pub remote_fetch_wait_ms: u64,
    pub remote_segments_deleted: u64,
    pub local_segments_deleted: u64,
    /// Follower fetches below the leader's local log start (OFFSET_MOVED_TO_TIERED_STORAGE).
    pub offset_moved_to_tiered_storage: u64,
    /// Tiered-storage invariants found broken on this broker (also replication invariants).
    pub invariant_violations: u64,
}

/// A broker's tiered-storage state: the store handle (the store outlives broker crashes),
/// uploads in flight and fetch answers waiting for a remote read (volatile), counters.
#[derive(Debug, Default)]
pub struct TierState {
    pub store: Option<RemoteStore>,
    /// Partition → (leader epoch at the start of the upload, the segment being uploaded).
    pub(super) copying: BTreeMap<usize, (u32, RemoteSegment)>,
    pub(super) pending: BTreeMap<u64, (NodeId, Via, KMsg)>,
    pub(super) next_key: u64,
    pub counters: TierCounters,
}

impl TierState {
    pub fn on_crash(&mut self) {
        self.copying.clear();
        self.pending.clear();
    }
}
