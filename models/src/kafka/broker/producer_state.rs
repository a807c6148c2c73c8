//! A partition log's producer (idempotence) state: per producer id its epoch and the last
//! five batches' sequences (ProducerStateManager / ProducerStateEntry), as a replay of the
//! log's batches in offset order, and the sequence check an append goes through.
//!
//! The model rebuilds the state from the remaining batches after a truncation and after whole
//! segments are cut off the head (retention, DeleteRecords), so a producer none of whose
//! batches are left is forgotten. A head cut rarely changes a replay: `after_head_cut` says
//! when it does not, so a retention check costs the segments it deletes, not the whole log.

use crate::kafka::wire::records::Batch;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Batches kept per producer (ProducerStateEntry.NUM_BATCHES_TO_RETAIN).
const BATCHES_TO_RETAIN: usize = 5;

/// ProducerStateEntry: the last 5 batches per producer id (NUM_BATCHES_TO_RETAIN = 5).
#[derive(Clone, Debug, Default)]
pub struct ProducerEntry {
    pub epoch: i16,
    /// (first_seq, last_seq, base_offset)
    pub batches: VecDeque<(i32, i32, u64)>,
    /// End (next offset) of the producer's last batch, data or control marker: a head cut at
    /// or above it leaves the producer no batch, a tail cut below it changes its state.
    pub last_end: u64,
}

/// Result of ProducerAppendInfo's sequence check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqCheck {
    Append,
    /// Duplicate of a cached batch: answer with its base offset, do not append.
    Duplicate(u64),
    /// An older sequence no longer cached: DUPLICATE_SEQUENCE_NUMBER, which the client counts
    /// as success without an offset (KIP-192).
    DuplicateUncached,
    OutOfOrder,
    InvalidEpoch,
}

/// Replay one batch (ProducerAppendInfo.append): a new epoch clears the cached batches; a
/// control marker moves the epoch but carries no sequence (appendEndTxnMarker).
pub fn note_producer(producers: &mut BTreeMap<i64, ProducerEntry>, b: &Batch) {
    if b.pid < 0 {
        return;
    }
    let entry = producers.entry(b.pid).or_default();
    if b.producer_epoch != entry.epoch {
        entry.epoch = b.producer_epoch;
        entry.batches.clear();
    }
    entry.last_end = b.next_offset();
    if b.txn.is_control() {
        return;
    }
    entry
        .batches
        .push_back((b.first_seq, b.last_seq(), b.base_offset));
    if entry.batches.len() > BATCHES_TO_RETAIN {
        entry.batches.pop_front();
    }
}

/// The state a replay of the batches at and above `cut` gives, derived from the replay of the
/// whole log, for a log of plain (non-transactional) batches, when it can be: a producer whose
/// last batch is below the cut is forgotten; one whose oldest cached batch is at or above the
/// cut replays to the same epoch and cache (the epoch is its last batch's; the cache is the
/// last five batches of that epoch's last run, or the whole run when shorter, so it is all
/// above the cut and whatever the cut removed came before it). Returns false, changing
/// nothing, when a producer keeps batches on both sides of the cut's oldest cached one: then
/// only a replay tells.
pub fn after_head_cut(producers: &mut BTreeMap<i64, ProducerEntry>, cut: u64) -> bool {
    let derivable = producers
        .values()
        .all(|e| e.last_end <= cut || e.batches.front().is_some_and(|&(_, _, o)| o >= cut));
    if derivable {
        producers.retain(|_, e| e.last_end > cut);
    }
    derivable
}

/// The state a replay of the batches below `offset` gives, for a log of plain
/// (non-transactional) batches, from the replay of the whole log and the batches left
/// (`newest_first`): a producer none of whose batches reached `offset` keeps its state; the
/// others are replayed backwards — the epoch is the last batch's, the cache the last five
/// batches of that epoch's last run — over only as many batches as that takes (Kafka reloads
/// from the producer-state snapshot below the cut instead: ProducerStateManager
/// .truncateAndReload).
pub fn after_tail_cut<'a>(
    producers: &mut BTreeMap<i64, ProducerEntry>,
    offset: u64,
    newest_first: impl Iterator<Item = &'a Batch>,
) {
    let mut open: BTreeSet<i64> = producers
        .iter()
        .filter(|(_, e)| e.last_end > offset)
        .map(|(&pid, _)| pid)
        .collect();
    for pid in &open {
        producers.remove(pid);
    }
    for b in newest_first {
        if open.is_empty() {
            break;
        }
        if !open.contains(&b.pid) {
            continue;
        }
        let e = producers.entry(b.pid).or_insert_with(|| ProducerEntry {
            epoch: b.producer_epoch,
            batches: VecDeque::new(),
            last_end: b.next_offset(),
        });
        if b.producer_epoch != e.epoch {
            open.remove(&b.pid);
            continue;
        }
        e.batches
            .push_front((b.first_seq, b.last_seq(), b.base_offset));
        if e.batches.len() == BATCHES_TO_RETAIN {
            open.remove(&b.pid);
        }
    }
}

/// Equal as replays (debug builds check derived states against a replay).
#[cfg(any(debug_assertions, test))]
pub fn same_producers(a: &BTreeMap<i64, ProducerEntry>, b: &BTreeMap<i64, ProducerEntry>) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((pa, ea), (pb, eb))| {
            pa == pb
                && ea.epoch == eb.epoch
                && ea.batches == eb.batches
                && ea.last_end == eb.last_end
        })
}

#[cfg(test)]
#[path = "producer_state_tests.rs"]
mod tests;
