//! Kafka checkers, after Jepsen's kafka.clj vocabulary: online over the client-observed history
//! (dense per-producer and per-partition vectors, O(1) per record), then a final pass over the
//! logs the brokers hold after the quiet phase. Indeterminate sends count as neither lost nor
//! failed.

use super::msg::KEvent;
use crate::anomaly;
use crate::report::ModelReport;
use msgsim_sim::{HistoryObserver, NodeId, SimTime};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

const NONE32: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Outcome {
    Unknown = 0,
    Ok = 1,
    OkNoOffset = 2,
    Fail = 3,
    Info = 4,
}

/// Per value: 16 bytes.
#[derive(Clone, Copy, Debug)]
struct ValState {
    ok_offset: u32,
    seen_offset: u32,
    /// Time of the acknowledgement (ms).
    ack_ms: u32,
    p: u16,
    outcome: Outcome,
    invoked: u8,
    processed: u8,
    polled: bool,
    seen_twice: bool,
}

impl Default for ValState {
    fn default() -> Self {
        ValState {
            ok_offset: NONE32,
            seen_offset: NONE32,
            ack_ms: 0,
            p: 0,
            outcome: Outcome::Unknown,
            invoked: 0,
            processed: 0,
            polled: false,
            seen_twice: false,
        }
    }
}

/// A final leader log: (log start offset, values from the log start on).
pub type LeaderLog = (u64, Vec<u64>);

/// What the final logs look like after the quiet phase (filled by `run`).
#[derive(Debug, Default)]
pub struct FinalState {
    /// Per partition: the final leader's (log start, [(offset, value)]), None if offline.
    pub leader_logs: Vec<Option<LeaderLog>>,
    /// Per partition: number of replica pairs that disagree below both HWs.
    pub replica_disagreements: Vec<u64>,
    pub invariant_violations: u64,
    /// Consumers ran: `unseen` and the group's processing counts are meaningful.
    pub consumers: bool,
    /// The producers use acks=0: "ok" carries no acknowledgement.
    pub acks0: bool,
}

#[derive(Debug, Default)]
pub struct KafkaChecker {
    values: Vec<Vec<ValState>>,
    /// Per partition: value observed at each offset (polls and acks).
    offsets: Vec<Vec<u64>>,
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
    /// Longest time from an acknowledgement to the record's first poll (visibility delay).
    max_ack_to_poll_ms: u64,
    inconsistent: u64,
    aborted_read: u64,
}

fn split(v: u64) -> (usize, usize) {
    (((v >> 40) - 1) as usize, (v & ((1 << 40) - 1)) as usize)
}

impl KafkaChecker {
    pub fn new(partitions: u32) -> KafkaChecker {
        KafkaChecker {
            offsets: vec![Vec::new(); partitions as usize],
            ..KafkaChecker::default()
        }
    }

    fn val(&mut self, v: u64) -> &mut ValState {
        let (prod, n) = split(v);
        if self.values.len() <= prod {
            self.values.resize_with(prod + 1, Vec::new);
        }
        let list = &mut self.values[prod];
        if list.len() <= n {
            list.resize(n + 1, ValState::default());
        }
        &mut list[n]
    }

    /// One offset observed holding `v` (by an ack or a poll).
    fn observe_offset(&mut self, p: u32, offset: u64, v: u64) {
        let list = &mut self.offsets[p as usize];
        let o = offset as usize;
        if list.len() <= o {
            list.resize(o + 1, 0);
        }
        if list[o] == 0 {
            list[o] = v;
        } else if list[o] != v {
            self.inconsistent += 1;
        }
    }

    pub fn observe(&mut self, time: SimTime, event: &KEvent) {
        // Records polled from the retry topic (an extra consumed partition, retry_topic.rs)
        // are copies of workload records: the sink checker's business, not this one's.
        if let KEvent::Poll { p, .. } | KEvent::Processed { p, .. } = event
            && *p as usize >= self.offsets.len()
        {
            return;
        }
        let now_ms = time.as_millis();
        match event {
            KEvent::Send { p, values, .. } => {
                for &v in values.iter() {
                    self.invoked += 1;
                    let s = self.val(v);
                    s.p = *p as u16;
                    s.invoked = s.invoked.saturating_add(1);
                }
            }
            KEvent::SendOk { p, values, offset } => {
                for (i, &v) in values.iter().enumerate() {
                    self.ok += 1;
                    let s = self.val(v);
                    s.ack_ms = now_ms as u32;
                    match offset {
                        Some(base) => {
                            s.outcome = Outcome::Ok;
                            s.ok_offset = (base + i as u64) as u32;
                        }
                        None => {
                            if s.outcome != Outcome::Ok {
                                s.outcome = Outcome::OkNoOffset;
                            }
                        }
                    }
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
            KEvent::Assigned { consumer, .. } => {
                self.last_poll.retain(|(c, _), _| c != consumer);
            }
            KEvent::OffsetReset { consumer, p, .. } => {
                self.resets += 1;
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
                for (i, &v) in values.iter().enumerate() {
                    self.polled += 1;
                    let off = first + i as u64;
                    self.observe_offset(*p, off, v);
                    let s = self.val(v);
                    let failed = s.outcome == Outcome::Fail;
                    let delay = (s.outcome == Outcome::Ok && !s.polled)
                        .then(|| now_ms.saturating_sub(s.ack_ms as u64));
                    if s.seen_offset == NONE32 {
                        s.seen_offset = off as u32;
                    } else if s.seen_offset != off as u32 {
                        s.seen_twice = true;
                    }
                    s.polled = true;
                    if failed {
                        // G1a-style: a definitely failed write was read.
                        self.aborted_read += 1;
                    }
                    if let Some(d) = delay {
                        self.max_ack_to_poll_ms = self.max_ack_to_poll_ms.max(d);
                    }
                }
            }
            KEvent::Processed { values, .. } => {
                for &v in values.iter() {
                    self.processed += 1;
                    let s = self.val(v);
                    s.processed = s.processed.saturating_add(1);
                }
            }
            // Checked by sink_checker.rs.
            KEvent::Sink(_) => {}
        }
    }

    /// Final analysis and the report.
    pub fn report(&self, fin: &FinalState, report: &mut ModelReport) {
        // Values in the final leaders' logs: count per value.
        let mut in_log: Vec<Vec<u8>> = self.values.iter().map(|l| vec![0u8; l.len()]).collect();
        let mut final_records = 0u64;
        let mut log_starts = vec![0u64; fin.leader_logs.len()];
        let mut offline = 0u64;
        for (p, l) in fin.leader_logs.iter().enumerate() {
            let Some((ls, recs)) = l else {
                offline += 1;
                continue;
            };
            log_starts[p] = *ls;
            for &v in recs {
                final_records += 1;
                let (prod, n) = split(v);
                if let Some(c) = in_log.get_mut(prod).and_then(|l| l.get_mut(n)) {
                    *c = c.saturating_add(1);
                }
            }
        }
        let mut lost = 0u64;
        let mut acks0_lost = 0u64;
        let mut unseen = 0u64;
        let mut duplicate = 0u64;
        let mut unprocessed = 0u64;
        let mut reprocessed = 0u64;
        let mut info_in_log = 0u64;
        let mut nonmonotonic_send = 0u64;
        let mut failed_in_log = 0u64;
        for (prod, list) in self.values.iter().enumerate() {
            let mut max_off: BTreeMap<u16, u32> = BTreeMap::new();
            for (n, s) in list.iter().enumerate() {
                if s.invoked == 0 {
                    continue;
                }
                let present = in_log[prod][n];
                let below_start =
                    s.ok_offset != NONE32 && (s.ok_offset as u64) < log_starts[s.p as usize];
                if present > 1 || s.seen_twice {
                    duplicate += 1;
                }
                match s.outcome {
                    Outcome::Ok => {
                        if present == 0 && !below_start {
                            lost += 1;
                        }
                        if fin.consumers && !s.polled && !below_start {
                            unseen += 1;
                        }
                        // A later send (higher counter) acknowledged at a lower offset.
                        let m = max_off.entry(s.p).or_insert(0);
                        if s.ok_offset < *m {
                            nonmonotonic_send += 1;
                        }
                        *m = (*m).max(s.ok_offset);
                    }
                    // acks=0 "ok" (offset -1), or DUPLICATE_SEQUENCE_NUMBER (success without an
                    // offset): only the latter is an acknowledged write.
                    Outcome::OkNoOffset => {
                        if present == 0 && fin.acks0 {
                            acks0_lost += 1;
                        } else if present == 0 {
                            lost += 1;
                        }
                    }
                    Outcome::Info | Outcome::Unknown => {
                        if present > 0 {
                            info_in_log += 1;
                        }
                    }
                    Outcome::Fail => {
                        if present > 0 {
                            failed_in_log += 1;
                        }
                    }
                }
                let committed = matches!(s.outcome, Outcome::Ok) || present > 0 || s.polled;
                if fin.consumers && committed && s.processed == 0 {
                    unprocessed += 1;
                }
                if s.processed > 1 {
                    reprocessed += 1;
                }
            }
        }
        // Poll skips: a gap counts if some offset in it is known to hold a record.
        let mut poll_skip = 0u64;
        for &(p, from, to) in &self.gaps {
            let list = &self.offsets[p as usize];
            let known = (from..to).any(|o| list.get(o as usize).is_some_and(|v| *v != 0));
            if known {
                poll_skip += 1;
            }
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
            ("sent", self.invoked as f64),
            ("acked", self.ok as f64),
            ("failed", self.fail as f64),
            ("indeterminate", self.info as f64),
            ("indeterminate_in_log", info_in_log as f64),
            ("acks0_lost", acks0_lost as f64),
            ("polled", self.polled as f64),
            ("processed", self.processed as f64),
            ("offset_resets", self.resets as f64),
            ("max_ack_to_poll_ms", self.max_ack_to_poll_ms as f64),
            ("final_log_records", final_records as f64),
            ("offline_partitions", offline as f64),
            ("replica_divergent_pairs", replica_disagreements as f64),
            ("unprocessed", unprocessed as f64),
            ("processed_more_than_once", reprocessed as f64),
            // 3 = exactly-once, 2 = at-least-once, 1 = at-most-once, 0 = neither.
            ("delivery_guarantee", guarantee),
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
            (anomaly::ABORTED_READ, self.aborted_read + failed_in_log),
            (anomaly::UNPROCESSED, unprocessed),
            (anomaly::PROCESSED_MORE_THAN_ONCE, reprocessed),
            (anomaly::REPLICATION_INVARIANT, fin.invariant_violations),
        ];
        for (k, v) in anomalies {
            report.anomalies.insert(k.to_string(), v);
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
