//! The producer's per-partition send order: KafkaProducer's RecordAccumulator deques (batch
//! ids, new at the back, retries as `reenqueue` puts them), partition muting when only one
//! request may be in flight, and — with idempotence — the TransactionManager's sequence
//! bookkeeping (last acknowledged sequence, unresolved sequences). The batches themselves stay
//! with the producer; this holds only what decides which batch goes next.

use std::collections::VecDeque;

#[derive(Debug)]
pub struct Accumulator {
    idempotence: bool,
    /// max.in.flight.requests.per.connection = 1: the Sender "guarantees message order".
    guarantee_order: bool,
    queues: Vec<VecDeque<u64>>,
    /// One bit per partition: its deque is not empty (so `drain` visits only those).
    queued: Vec<u64>,
    /// Partitions with a batch in flight while `guarantee_order`.
    muted: Vec<bool>,
    /// The next sequence after a batch that expired after being sent
    /// (TransactionManager.markSequenceUnresolved).
    unresolved: Vec<Option<i32>>,
    /// The last sequence acknowledged under the partition's epoch.
    last_acked_seq: Vec<i32>,
    /// The producer bumped its epoch while batches of this partition sent under the old one
    /// were pending: its new batches wait for them, then start over at sequence 0.
    stale: Vec<bool>,
}

impl Accumulator {
    pub fn new(partitions: usize, idempotence: bool, max_in_flight: u32) -> Accumulator {
        Accumulator {
            idempotence,
            guarantee_order: max_in_flight == 1,
            queues: vec![VecDeque::new(); partitions],
            queued: vec![0; partitions.div_ceil(64)],
            muted: vec![false; partitions],
            unresolved: vec![None; partitions],
            last_acked_seq: vec![-1; partitions],
            stale: vec![false; partitions],
        }
    }

    pub fn partitions(&self) -> usize {
        self.queues.len()
    }

    /// A newly sealed batch: at the back of its partition's deque.
    pub fn push(&mut self, p: usize, id: u64) {
        self.queues[p].push_back(id);
        self.note(p);
    }

    /// Keep partition `p`'s bit in `queued` true to its deque.
    fn note(&mut self, p: usize) {
        let bit = 1u64 << (p % 64);
        if self.queues[p].is_empty() {
            self.queued[p / 64] &= !bit;
        } else {
            self.queued[p / 64] |= bit;
        }
    }

    /// The first partition from `from` on whose deque holds a batch.
    pub fn next_queued(&self, from: usize) -> Option<usize> {
        let mut w = from / 64;
        let mut bits = self.queued.get(w)? & (!0u64 << (from % 64));
        loop {
            if bits != 0 {
                return Some(w * 64 + bits.trailing_zeros() as usize);
            }
            w += 1;
            bits = *self.queued.get(w)?;
        }
    }

    /// RecordAccumulator.reenqueue: with idempotence (the producer has a TransactionManager) a
    /// retried batch goes back in sequence order (`insertInSequenceOrder`); without, it goes to
    /// the head of its partition's deque (`addFirst`). So when several in-flight batches fail
    /// together — a dropped or timed-out connection fails them oldest first — they are retried
    /// newest first, and a batch that fails while a later one succeeds lands after it: the
    /// reordering the max.in.flight.requests.per.connection and retries docs warn of.
    pub fn reenqueue(&mut self, p: usize, id: u64) {
        let q = &mut self.queues[p];
        if self.idempotence {
            // Ids follow sequence order (split halves sort between their neighbours).
            let at = q.partition_point(|&x| x < id);
            q.insert(at, id);
        } else {
            q.push_front(id);
        }
        self.note(p);
    }

    /// The batch `drain` may consider next for partition `p`: its deque's head, unless the
    /// partition is muted (Sender, max.in.flight = 1: a batch of it is in flight, to any
    /// broker, so a batch to a new leader never overtakes one still in flight to the old one).
    /// A head never sent may still have to wait (`holds_new_batches`).
    pub fn head(&self, p: usize) -> Option<u64> {
        if self.muted[p] {
            return None;
        }
        self.queues[p].front().copied()
    }

    /// RecordAccumulator.shouldStopDrainBatchesForPartition, for a batch never sent: not while
    /// the partition's sequence is unresolved, nor while batches sent under an older epoch are
    /// pending (`stale`). Retries of sent batches go on (they keep their sequence).
    pub fn holds_new_batches(&self, p: usize) -> bool {
        self.unresolved[p].is_some() || self.stale[p]
    }

    /// After an epoch bump, partition `p` still has batches pending that were sent under the
    /// old epoch; they keep it (rewriting them could duplicate a batch the broker holds).
    pub fn mark_stale(&mut self, p: usize) {
        self.stale[p] = true;
    }

    pub fn is_stale(&self, p: usize) -> bool {
        self.stale[p]
    }

    /// Partition `p`'s batches now carry the producer's current epoch, sequences from 0.
    pub fn switch_epoch(&mut self, p: usize) {
        self.stale[p] = false;
        self.unresolved[p] = None;
        self.last_acked_seq[p] = -1;
    }

    /// `drain` took the head batch `id` of partition `p` into a request.
    pub fn take_head(&mut self, p: usize, id: u64) {
        let head = self.queues[p].pop_front();
        assert_eq!(
            head,
            Some(id),
            "a request carries its partition's head batch"
        );
        self.muted[p] = self.guarantee_order;
        self.note(p);
    }

    /// A batch of partition `p` got its answer (or was answered at once, acks=0).
    pub fn completed(&mut self, p: usize) {
        self.muted[p] = false;
    }

    /// A batch left for good (failed or expired) while waiting in the deque.
    pub fn remove(&mut self, p: usize, id: u64) {
        self.queues[p].retain(|&x| x != id);
        self.note(p);
    }

    /// Idempotence: sequences up to `last_seq` are acknowledged under the partition's epoch.
    pub fn acked(&mut self, p: usize, last_seq: i32) {
        let last = &mut self.last_acked_seq[p];
        *last = (*last).max(last_seq);
    }

    /// Sender.sendProducerData: a batch that expires while in retry may have been written; its
    /// sequence is unresolved until the partition's other sent batches complete
    /// (TransactionManager.markSequenceUnresolved).
    pub fn mark_unresolved(&mut self, p: usize, next_seq: i32) {
        let u = &mut self.unresolved[p];
        *u = Some(u.map_or(next_seq, |x| x.max(next_seq)));
    }

    /// TransactionManager.maybeResolveSequences, for partitions without a sent batch pending
    /// (`sent_pending(p)` false): the sequence is resolved if a later batch was acknowledged
    /// (the broker had the expired one: "a batch was expired, but subsequent batches
    /// succeeded"). Returns whether some partition stays unresolvable — then the epoch must be
    /// bumped and the partition's pending batches, none of them ever sent, re-sequenced.
    /// Bumping earlier would re-send, under a new epoch, a batch the leader may already hold —
    /// a duplicate idempotence cannot catch. Retries of sent batches continue meanwhile
    /// (`holds_new_batches`), so the wait ends when each is acknowledged or expires.
    pub fn resolve(&mut self, sent_pending: impl Fn(usize) -> bool) -> bool {
        let mut bump = false;
        for p in 0..self.unresolved.len() {
            let Some(next) = self.unresolved[p] else {
                continue;
            };
            if sent_pending(p) {
                continue;
            }
            self.unresolved[p] = None;
            bump |= self.last_acked_seq[p] + 1 < next;
        }
        bump
    }

    /// The process crashed: every deque is gone.
    pub fn clear(&mut self) {
        self.queues.iter_mut().for_each(VecDeque::clear);
        self.queued.iter_mut().for_each(|w| *w = 0);
        self.muted.iter_mut().for_each(|m| *m = false);
        (0..self.queues.len()).for_each(|p| self.switch_epoch(p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Batch 3 waits in the deque; batches 1 and 2 failed and come back in `order`.
    fn retried(idempotence: bool, order: [u64; 2]) -> VecDeque<u64> {
        let mut a = Accumulator::new(1, idempotence, 5);
        a.push(0, 3);
        order.into_iter().for_each(|id| a.reenqueue(0, id));
        a.queues.swap_remove(0)
    }

    #[test]
    fn next_queued_visits_exactly_the_partitions_with_a_batch_in_order() {
        let mut a = Accumulator::new(130, false, 5);
        for (p, id) in [(129, 1), (3, 2), (64, 3), (3, 4)] {
            a.push(p, id);
        }
        let visit = |a: &Accumulator| {
            let mut seen = Vec::new();
            let mut from = 0;
            while let Some(p) = a.next_queued(from) {
                seen.push(p);
                from = p + 1;
            }
            seen
        };
        assert_eq!(visit(&a), [3, 64, 129]);
        a.take_head(3, 2);
        a.take_head(64, 3);
        assert_eq!(visit(&a), [3, 129]);
        a.remove(3, 4);
        a.reenqueue(0, 5);
        assert_eq!(visit(&a), [0, 129]);
        a.clear();
        assert!(visit(&a).is_empty());
    }

    #[test]
    fn reenqueue_without_idempotence_puts_retries_at_the_head() {
        // Failed oldest first: addFirst leaves the newest at the head.
        assert_eq!(retried(false, [1, 2]), [2, 1, 3]);
    }

    #[test]
    fn reenqueue_with_idempotence_keeps_sequence_order() {
        assert_eq!(retried(true, [2, 1]), [1, 2, 3]);
        assert_eq!(retried(true, [1, 2]), [1, 2, 3]);
    }

    /// Batches 1 and 2 queued, 1 sent.
    fn one_sent(max_in_flight: u32) -> Accumulator {
        let mut a = Accumulator::new(1, false, max_in_flight);
        a.push(0, 1);
        a.push(0, 2);
        a.take_head(0, 1);
        a
    }

    #[test]
    fn one_in_flight_mutes_the_partition_until_its_batch_completes() {
        let mut a = one_sent(1);
        assert_eq!(a.head(0), None);
        a.completed(0);
        assert_eq!(a.head(0), Some(2));
        assert_eq!(one_sent(5).head(0), Some(2));
    }

    #[test]
    fn an_unresolved_sequence_holds_new_batches_until_resolved() {
        let mut a = Accumulator::new(1, true, 5);
        a.push(0, 7);
        a.mark_unresolved(0, 10);
        assert!(a.holds_new_batches(0));
        // A sent batch is still pending: nothing is decided.
        assert!(!a.resolve(|_| true));
        assert!(a.holds_new_batches(0));
        // A later batch was acknowledged (up to sequence 12, past 10): resolved, no bump.
        a.acked(0, 12);
        assert!(!a.resolve(|_| false));
        assert!(!a.holds_new_batches(0));
        // Nothing acknowledged past it: resolving needs an epoch bump.
        a.switch_epoch(0);
        a.mark_unresolved(0, 10);
        a.acked(0, 5);
        assert!(a.resolve(|_| false));
    }

    #[test]
    fn a_stale_partition_holds_new_batches_until_it_switches_epoch() {
        let mut a = Accumulator::new(1, true, 5);
        a.mark_stale(0);
        assert!(a.holds_new_batches(0));
        a.switch_epoch(0);
        assert!(!a.holds_new_batches(0) && !a.is_stale(0));
    }
}
