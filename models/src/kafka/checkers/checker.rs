//! Kafka checkers, after Jepsen's kafka.clj vocabulary: online over the client-observed history
//! (dense per-producer and per-partition vectors, O(1) per record), then a final pass over the
//! logs the brokers hold after the quiet phase. Indeterminate sends count as neither lost nor
//! failed.

use super::compaction_check::KeyHeads;
use super::dense::{Dense, OffsetTable};
use super::explain::{Finals, Found, Rec};
use crate::anomaly;
use crate::kafka::wire::keys::KeySpec;
use crate::kafka::wire::msg::KEvent;
use crate::kafka::wire::value_names::split;
use crate::report::ModelReport;
use msgsim_sim::{HistoryObserver, NodeId, SimTime};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

// The isolation and exactly-once checks, a child module so that it reads the per-value state.
#[path = "txn_report.rs"]
mod txn_report;

// The per-value state, a child module so that its fields stay the checker's.
#[path = "value_state.rs"]
mod value_state;
use value_state::{
    Aside, INVOKED, NONE32, Outcome, POLLED, POLLED_RU, SEEN_TWICE, ValState, val_in,
};

pub use super::final_state::{CtpFinal, FinalLog, FinalState, LeaderLog};

#[derive(Debug, Default)]
pub struct KafkaChecker {
    values: Vec<Dense<ValState>>,
    /// Per partition: value observed at each offset (polls and acks).
    offsets: Vec<OffsetTable>,
    /// (consumer, partition) → last polled offset in the current assignment session.
    last_poll: BTreeMap<(u32, u32), u64>,
    /// Forward gaps to confirm at the end: (partition, from, to) exclusive.
    gaps: Vec<(u32, u64, u64)>,
    pub invoked: u64,
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
    pub polled: u64,
    pub processed: u64,
    pub resets: u64,
    nonmonotonic_poll: u64,
    /// Longest time from a record's first send to an acknowledgement (write unavailability).
    max_send_to_ack_ms: u64,
    /// Longest time from an acknowledgement to the record's first poll (visibility delay).
    max_ack_to_poll_ms: u64,
    inconsistent: u64,
    /// Reads of a send that definitely failed: (value, read by a read_committed consumer).
    /// Judged at the end, once the transactions' outcomes are known.
    failed_reads: Vec<(u64, bool)>,
    /// Per consumer: isolation.level=read_committed.
    pub read_committed: Vec<bool>,
    /// Value → time (ms) of its first poll by a read_committed consumer.
    rc_polls: BTreeMap<u64, u64>,
    max_ack_to_poll_ru_ms: u64,
    /// OFFSET_OUT_OF_RANGE / no committed offset surfaced as an error (auto.offset.reset=none).
    reset_errors: u64,
    /// The keyed workload and whether the topic is compacted.
    keys: KeySpec,
    /// Script steps answered, and those whose outcome did not match its expectation.
    script_steps: u64,
    script_mismatches: u64,
    /// The first partition index of the topics admin CreateTopics create, when scripted steps
    /// use them: their records are checked like the workload topic's (the indices between,
    /// the retry and dead-letter topics', are the sink checker's).
    created_from: Option<u32>,
    /// The workload topic's partition count.
    workload: u32,
    /// What a value's `ValState` cannot hold: far acknowledgement times, first reads at an
    /// offset other than the acknowledged one.
    aside: Aside,
}

impl KafkaChecker {
    pub fn new(partitions: u32) -> KafkaChecker {
        KafkaChecker {
            offsets: vec![OffsetTable::default(); partitions as usize],
            workload: partitions,
            ..KafkaChecker::default()
        }
    }

    /// Check a compacted topic (records superseded by a later record of their key may vanish).
    pub fn with_keys(mut self, keys: KeySpec) -> KafkaChecker {
        self.keys = keys;
        self
    }

    /// Check the records of created topics too (partitions from `first` on).
    pub fn with_created_topics(mut self, first: u32) -> KafkaChecker {
        self.created_from = Some(first);
        self
    }

    fn get(&self, v: u64) -> Option<&ValState> {
        let (prod, n) = split(v);
        self.values.get(prod).and_then(|l| l.get(n))
    }

    /// When `v` (state `s`) was last acknowledged (ms); 0 if never.
    fn ack_ms(&self, v: u64, s: &ValState) -> u32 {
        self.aside.ack_ms(v, s)
    }

    /// The offset `v` (state `s`) was first read at, `NONE32` if never.
    fn seen_offset(&self, v: u64, s: &ValState) -> u32 {
        self.aside.seen_offset(v, s)
    }

    fn val(&mut self, v: u64) -> &mut ValState {
        val_in(&mut self.values, v)
    }

    /// One offset observed holding `v` (by an ack or a poll).
    #[inline]
    fn observe_offset(&mut self, p: u32, offset: u64, v: u64) {
        self.grow_to(p);
        let before = self.offsets[p as usize].set_if_empty(offset as usize, v);
        if before != 0 && before != v {
            self.inconsistent += 1;
        }
    }

    /// Room for partition `p` (a created topic's, see `created_from`).
    fn grow_to(&mut self, p: u32) {
        if self.offsets.len() <= p as usize {
            self.offsets
                .resize_with(p as usize + 1, OffsetTable::default);
        }
    }

    /// Sends acknowledged by DUPLICATE_SEQUENCE_NUMBER (no offset; acks=0's offsetless "ok"
    /// is not an acknowledgement), committed ones only: (partition, value).
    fn duplicate_acks<'a>(
        &'a self,
        fin: &FinalState,
        not_committed: &'a BTreeSet<u64>,
    ) -> impl Iterator<Item = (usize, u64)> + 'a {
        let acks0 = fin.acks0;
        (self.values.iter().enumerate())
            .flat_map(|(prod, list)| list.iter().enumerate().map(move |(n, s)| (prod, n, s)))
            .filter(move |(_, _, s)| !acks0 && s.outcome == Outcome::OkNoOffset)
            .map(|(prod, n, s)| (s.p as usize, (((prod as u64) + 1) << 40) | n as u64))
            .filter(|(_, v)| !not_committed.contains(v))
    }

    pub fn observe(&mut self, time: SimTime, event: &KEvent) {
        // Records polled from the retry topic (an extra consumed partition, retry_topic.rs)
        // are copies of workload records: the sink checker's business, not this one's.
        if let KEvent::Poll { p, .. } | KEvent::Processed { p, .. } = event
            && *p >= self.workload
            && self.created_from.is_none_or(|f| *p < f)
        {
            return;
        }
        if let KEvent::Poll { p, .. } | KEvent::Processed { p, .. } = event {
            self.grow_to(*p);
        }
        let now_ms = time.as_millis();
        match event {
            KEvent::Send { p, values, .. } => {
                for &v in values.iter() {
                    self.invoked += 1;
                    let s = val_in(&mut self.values, v);
                    s.p = *p as u16;
                    if !s.has(INVOKED) {
                        self.aside.set_sent_ms(v, s, now_ms as u32);
                    }
                    s.set(INVOKED);
                }
            }
            KEvent::SendOk { p, values, offset } => {
                for (i, &v) in values.iter().enumerate() {
                    self.ok += 1;
                    let s = val_in(&mut self.values, v);
                    self.aside.set_ack_ms(v, s, now_ms as u32);
                    let latency = (now_ms as u32).saturating_sub(s.sent_ms) as u64;
                    match offset {
                        Some(base) => {
                            let offset = (base + i as u64) as u32;
                            self.aside.acknowledge_at(v, s, offset);
                        }
                        None => {
                            if s.outcome != Outcome::Ok {
                                s.outcome = Outcome::OkNoOffset;
                            }
                        }
                    }
                    self.max_send_to_ack_ms = self.max_send_to_ack_ms.max(latency);
                    if let Some(base) = offset {
                        self.observe_offset(*p, base + i as u64, v);
                    }
                }
            }
            KEvent::SendFail { values, .. } => {
                for &v in values.iter() {
                    self.fail += 1;
                    let s = self.val(v);
                    if s.outcome == Outcome::Unknown {
                        s.outcome = Outcome::Fail;
                    }
                }
            }
            KEvent::SendInfo { values, .. } => {
                for &v in values.iter() {
                    self.info += 1;
                    let s = self.val(v);
                    if matches!(s.outcome, Outcome::Unknown | Outcome::Fail) {
                        s.outcome = Outcome::Info;
                    }
                }
            }
            KEvent::Assigned { consumer, .. } | KEvent::Seek { consumer } => {
                self.last_poll.retain(|(c, _), _| c != consumer);
            }
            KEvent::OffsetReset {
                consumer, p, to, ..
            } => {
                self.resets += 1;
                // auto.offset.reset=none: the error reaches the application.
                self.reset_errors += u64::from(to.is_none());
                self.last_poll.remove(&(*consumer, *p));
            }
            KEvent::Poll {
                consumer,
                p,
                first,
                values,
            } => {
                let key = (*consumer, *p);
                if let Some(&last) = self.last_poll.get(&key) {
                    if *first <= last {
                        self.nonmonotonic_poll += 1;
                    } else if *first > last + 1 {
                        self.gaps.push((*p, last + 1, *first));
                    }
                }
                self.last_poll.insert(key, first + values.len() as u64 - 1);
                let rc = self
                    .read_committed
                    .get(*consumer as usize)
                    .copied()
                    .unwrap_or(false);
                for (i, &v) in values.iter().enumerate() {
                    if rc {
                        self.rc_polls.entry(v).or_insert(now_ms);
                    }
                    self.polled += 1;
                    let off = first + i as u64;
                    self.observe_offset(*p, off, v);
                    let s = val_in(&mut self.values, v);
                    let ack_ms = u64::from(self.aside.ack_ms(v, s));
                    let failed = s.outcome == Outcome::Fail;
                    let delay = (s.outcome == Outcome::Ok && !s.has(POLLED))
                        .then(|| now_ms.saturating_sub(ack_ms));
                    let first_ru = !rc && !s.has(POLLED_RU) && s.outcome == Outcome::Ok;
                    if !rc {
                        s.set(POLLED_RU);
                    }
                    if self.aside.note_read(v, s, off as u32) {
                        s.set(SEEN_TWICE);
                    }
                    s.set(POLLED);
                    if failed {
                        self.failed_reads.push((v, rc));
                    }
                    if let Some(d) = delay {
                        self.max_ack_to_poll_ms = self.max_ack_to_poll_ms.max(d);
                    }
                    if first_ru {
                        let d = now_ms.saturating_sub(ack_ms);
                        self.max_ack_to_poll_ru_ms = self.max_ack_to_poll_ru_ms.max(d);
                    }
                }
            }
            KEvent::Processed { values, .. } => {
                for &v in values.iter() {
                    self.processed += 1;
                    let s = self.val(v);
                    s.add_processed();
                }
            }
            // Checked by sink_checker.rs and txn_history.rs.
            KEvent::Sink(_) | KEvent::Txn { .. } => {}
            KEvent::Step { ok, .. } => {
                self.script_steps += 1;
                self.script_mismatches += u64::from(!ok);
            }
        }
    }

    /// Final analysis and the report.
    pub fn report(&self, fin: &FinalState, report: &mut ModelReport) {
        let not_committed: BTreeSet<u64> = fin.not_committed.iter().copied().collect();
        let txn = self.txn_report(fin, &not_committed, report);
        // G1a-style: a definitely failed write was read — except an aborted record read
        // read_uncommitted, which is what that isolation level returns (k18i, swarm seed 1042).
        let aborted_reads: Vec<u64> = (self.failed_reads.iter())
            .filter(|(v, rc)| *rc || !not_committed.contains(v))
            .map(|(v, _)| *v)
            .chain(txn.g1a.iter().copied())
            .collect();
        // Values in the final leaders' logs: count per value.
        let mut in_log: Vec<Vec<u8>> = self.values.iter().map(|l| vec![0u8; l.len()]).collect();
        let mut final_records = 0u64;
        let mut log_starts = vec![0u64; fin.leader_logs.len()];
        let mut offline = 0u64;
        // Values of offline partitions that a returning in-sync replica still holds.
        let held_offline: BTreeSet<u64> = fin
            .offline_in_sync_values
            .iter()
            .flatten()
            .copied()
            .collect();
        for (p, l) in fin.leader_logs.iter().enumerate() {
            let Some(log) = l else {
                offline += 1;
                continue;
            };
            log_starts[p] = log.start;
            for v in log.values() {
                final_records += 1;
                let (prod, n) = split(v);
                if let Some(c) = in_log.get_mut(prod).and_then(|l| l.get_mut(n)) {
                    *c = c.saturating_add(1);
                }
            }
        }
        let mut lost = 0u64;
        let mut unavailable = 0u64;
        let mut acks0_lost = 0u64;
        let mut unseen = 0u64;
        let mut duplicate = 0u64;
        let mut unprocessed = 0u64;
        let mut reprocessed = 0u64;
        let mut info_in_log = 0u64;
        let mut nonmonotonic_send = 0u64;
        let mut found = Found::default();
        let heads = KeyHeads::new(self.keys, &self.offsets, &not_committed)
            .with_final(&fin.leader_logs, &self.offsets)
            .with_offsetless_acks(self.duplicate_acks(fin, &not_committed));
        // `known`: the acknowledged offset, else the first read's.
        let excused = |s: &ValState, known: Option<u32>, v: u64| {
            heads.excused(s.p as usize, known.map(u64::from), v)
        };
        for (prod, list) in self.values.iter().enumerate() {
            // Per partition: the highest acknowledged offset of this producer's sends so far
            // (vectors by partition number, not maps: the final pass visits every value).
            let mut max_off: Vec<u32> = Vec::new();
            // Per partition, the last send of this producer acknowledged at or below the final
            // log start (an earlier record is below it: deleted by retention). An idempotent producer's sends to a partition are
            // appended in send order (sequence numbers, KIP-98), so an earlier send acknowledged
            // without an offset (DUPLICATE_SEQUENCE_NUMBER) sits below it and went with it
            // (UnifiedLog.deleteOldSegments removes whole segments below the new log start).
            let mut deleted_upto: Vec<Option<usize>> = Vec::new();
            for (n, s) in list.iter().enumerate() {
                if s.outcome == Outcome::Ok
                    && s.ok_offset() != NONE32
                    && (s.ok_offset() as u64) <= log_starts[s.p as usize]
                {
                    *slot(&mut deleted_upto, s.p) = Some(n);
                }
            }
            for (n, s) in list.iter().enumerate() {
                if !s.has(INVOKED) {
                    continue;
                }
                let present = in_log[prod][n];
                // Aborted (or never committed) transactional records are not meant to be
                // read by read_committed consumers nor processed.
                let value = (((prod as u64) + 1) << 40) | n as u64;
                let aborted = not_committed.contains(&value);
                // Gone by retention (below the log start: its acknowledged or read offset, or
                // a later send of its producer to the partition) or by compaction.
                let seen_offset = self.seen_offset(value, s);
                let known_offset = [s.ok_offset(), seen_offset]
                    .into_iter()
                    .find(|&o| o != NONE32);
                let below_start = known_offset
                    .is_some_and(|o| u64::from(o) < log_starts[s.p as usize])
                    || (known_offset.is_none()
                        && deleted_upto
                            .get(s.p as usize)
                            .copied()
                            .flatten()
                            .is_some_and(|later| n < later))
                    || excused(s, known_offset, value);
                // On a partition without a leader at the end, in the log of an in-sync replica
                // that is down: readable again once it returns (unknown read outcome), so
                // neither lost, unseen nor unprocessed. A value no in-sync replica holds is lost.
                let held = present == 0 && held_offline.contains(&value);
                let rec = |offset: u32| Rec {
                    p: u32::from(s.p),
                    offset: (offset != NONE32).then_some(u64::from(offset)),
                    ms: self.ack_ms(value, s),
                    producer: prod as u32,
                };
                if present > 1 || s.has(SEEN_TWICE) {
                    duplicate += 1;
                    let r = Rec {
                        ms: s.sent_ms,
                        ..rec(if s.ok_offset() != NONE32 {
                            s.ok_offset()
                        } else {
                            seen_offset
                        })
                    };
                    if present > 1 {
                        found.dup_in_log.push(r);
                    } else {
                        found.dup_read.push(r);
                    }
                }
                match s.outcome {
                    Outcome::Ok => {
                        // An aborted record may be gone: the cleaner removes aborted data.
                        if held && !below_start && !aborted {
                            unavailable += 1;
                        } else if present == 0 && !below_start && !aborted {
                            lost += 1;
                            found.lost.push(rec(s.ok_offset()));
                        }
                        // Readable but never read: a record gone from the log is a lost
                        // write, not also unseen.
                        if fin.consumers
                            && present > 0
                            && !s.has(POLLED)
                            && !below_start
                            && !aborted
                            && !held
                        {
                            unseen += 1;
                            found.unseen_in_log.push(rec(s.ok_offset()));
                        }
                        // A later send (higher counter) acknowledged at a lower offset, both
                        // in the final log: an offset reused after the earlier record was
                        // truncated is that record's loss, counted as lost_write only.
                        if present > 0 {
                            let m = slot(&mut max_off, s.p);
                            if s.ok_offset() < *m {
                                nonmonotonic_send += 1;
                                found.nonmonotonic_send.push(rec(s.ok_offset()));
                            }
                            *m = (*m).max(s.ok_offset());
                        }
                    }
                    // acks=0 "ok" (offset -1), or DUPLICATE_SEQUENCE_NUMBER (success without an
                    // offset): only the latter is an acknowledged write.
                    Outcome::OkNoOffset => {
                        if present == 0 && fin.acks0 {
                            acks0_lost += 1;
                        } else if held && !aborted {
                            unavailable += 1;
                        } else if present == 0
                            && !aborted
                            && !below_start
                            && !heads.superseded_by_later_send(s.p as usize, value)
                        {
                            lost += 1;
                            found.lost.push(rec(NONE32));
                        }
                    }
                    Outcome::Info | Outcome::Unknown => {
                        if present > 0 {
                            info_in_log += 1;
                        }
                    }
                    // A failed transactional send (PRODUCER_FENCED) may be in the log, aborted:
                    // what Kafka promises. Only one readable as committed is an anomaly.
                    Outcome::Fail => {
                        if present > 0 && !aborted {
                            found.failed_in_log.push(Rec {
                                ms: s.sent_ms,
                                ..rec(seen_offset)
                            });
                        }
                    }
                }
                let committed =
                    (matches!(s.outcome, Outcome::Ok) || present > 0 || s.has(POLLED)) && !aborted;
                let ok_offset = if matches!(s.outcome, Outcome::Ok) {
                    s.ok_offset()
                } else {
                    NONE32
                };
                if fin.consumers
                    && committed
                    && s.processed() == 0
                    && !excused(s, known_offset, value)
                    && !held
                {
                    unprocessed += 1;
                    found.unprocessed.push(rec(ok_offset));
                }
                if s.processed() > 1 {
                    reprocessed += 1;
                    found.reprocessed.push(rec(ok_offset));
                }
            }
        }
        // Poll skips: a gap counts if some offset in it is known to hold a record.
        let mut poll_skip = 0u64;
        for &(p, from, to) in &self.gaps {
            let list = &self.offsets[p as usize];
            let known = (from..to).any(|o| {
                list.get(o as usize).is_some_and(|v| {
                    v != 0 && !not_committed.contains(&v) && !heads.excused(p as usize, Some(o), v)
                })
            });
            if known {
                poll_skip += 1;
            }
        }
        if let Some((missing, dup)) = txn.eos {
            // Consume-transform-produce: "processed" means "has an output in the
            // read_committed view of the output topic".
            unprocessed = missing;
            reprocessed = dup;
            found.unprocessed.clone_from(&txn.eos_missing);
            found.reprocessed.clone_from(&txn.eos_duplicate);
            found.eos_missing.clone_from(&txn.eos_missing);
            found.eos_duplicate.clone_from(&txn.eos_duplicate);
        }
        let replica_disagreements: u64 = fin.replica_disagreements.iter().sum();
        let guarantee = if reprocessed == 0 && unprocessed == 0 {
            3.0
        } else if unprocessed == 0 {
            2.0
        } else if reprocessed == 0 {
            1.0
        } else {
            0.0
        };
        let obs = [
            ("script_steps", self.script_steps as f64),
            ("script_mismatches", self.script_mismatches as f64),
            ("sent", self.invoked as f64),
            ("acked", self.ok as f64),
            ("failed", self.fail as f64),
            ("indeterminate", self.info as f64),
            ("indeterminate_in_log", info_in_log as f64),
            ("acks0_lost", acks0_lost as f64),
            ("polled", self.polled as f64),
            ("processed", self.processed as f64),
            ("offset_resets", self.resets as f64),
            ("offset_reset_errors", self.reset_errors as f64),
            ("max_ack_to_poll_ms", self.max_ack_to_poll_ms as f64),
            ("max_send_to_ack_ms", self.max_send_to_ack_ms as f64),
            ("final_log_records", final_records as f64),
            (
                "retention_deletions_checked",
                fin.retention_deletions_checked as f64,
            ),
            ("offline_partitions", offline as f64),
            ("unavailable_write", unavailable as f64),
            ("replica_divergent_pairs", replica_disagreements as f64),
            ("unprocessed", unprocessed as f64),
            ("processed_more_than_once", reprocessed as f64),
            // 3 = exactly-once, 2 = at-least-once, 1 = at-most-once, 0 = neither.
            ("delivery_guarantee", guarantee),
            (
                "missed_tombstone",
                heads.missed_tombstones(&self.offsets, |v| {
                    self.get(v).is_some_and(|s| s.has(POLLED))
                }) as f64,
            ),
        ];
        for (k, v) in obs {
            report.observations.insert(k.to_string(), v);
        }
        let anomalies = [
            (anomaly::LOST_WRITE, lost),
            (anomaly::DUPLICATE, duplicate),
            (anomaly::NONMONOTONIC_SEND, nonmonotonic_send),
            (anomaly::NONMONOTONIC_POLL, self.nonmonotonic_poll),
            (anomaly::POLL_SKIP, poll_skip),
            (anomaly::UNSEEN, unseen),
            (
                anomaly::INCONSISTENT_OFFSETS,
                self.inconsistent + replica_disagreements,
            ),
            (
                anomaly::ABORTED_READ,
                (aborted_reads.len() + found.failed_in_log.len()) as u64,
            ),
            (anomaly::PRECOMMITTED_READ, txn.precommitted),
            (anomaly::EOS_DUPLICATE, txn.eos.map_or(0, |e| e.1)),
            (anomaly::EOS_MISSING, txn.eos.map_or(0, |e| e.0)),
            (anomaly::UNPROCESSED, unprocessed),
            (anomaly::PROCESSED_MORE_THAN_ONCE, reprocessed),
            (anomaly::REPLICATION_INVARIANT, fin.invariant_violations),
            (anomaly::RETENTION_INVARIANT, fin.retention_violations),
        ];
        for (k, v) in anomalies {
            report.anomalies.insert(k.to_string(), v);
        }
        let finals = Finals {
            leaders: &fin.leaders,
            context: &fin.context,
        };
        for &v in &aborted_reads {
            let (prod, n) = split(v);
            let s = (self.values.get(prod))
                .and_then(|l| l.get(n))
                .copied()
                .unwrap_or_default();
            let seen = self.seen_offset(v, &s);
            let offset = (seen != NONE32).then_some(u64::from(seen));
            let (p, ms, producer) = (u32::from(s.p), s.sent_ms, prod as u32);
            found.aborted_reads.push(Rec {
                p,
                offset,
                ms,
                producer,
            });
        }
        super::explain::explain(report, &found, &finals, &anomalies);
        let ctx = &fin.context;
        let split = [
            (
                anomaly::INCONSISTENT_OFFSETS,
                "offset_read_with_two_values",
                self.inconsistent,
                "offsets acknowledged or read with two records",
            ),
            (
                anomaly::INCONSISTENT_OFFSETS,
                "replicas_disagree",
                replica_disagreements,
                "replica pairs disagreeing below both HWs",
            ),
        ];
        for (a, cause, n, what) in split {
            report.explain(a, cause, n, || format!("{n} {what}; {ctx}"));
        }
    }
}

/// The checker shared between the kernel (as observer) and `run` (for the report).
pub struct Shared(pub Rc<RefCell<KafkaChecker>>);

impl HistoryObserver<KEvent> for Shared {
    fn observe(&mut self, time: SimTime, _node: NodeId, event: &KEvent) {
        self.0.borrow_mut().observe(time, event);
    }
}

/// Partition `p`'s entry of a per-partition vector, grown with defaults to hold it.
fn slot<T: Default + Clone>(by_partition: &mut Vec<T>, p: u16) -> &mut T {
    let p = usize::from(p);
    if by_partition.len() <= p {
        by_partition.resize(p + 1, T::default());
    }
    &mut by_partition[p]
}

#[cfg(test)]
#[path = "checker_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "checker_history_tests.rs"]
mod history_tests;
