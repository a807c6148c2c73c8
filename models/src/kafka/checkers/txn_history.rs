//! The transaction-history checker (issue 16 item 5), in the spirit of Elle's Kafka and
//! list-append checkers: it builds the transactions of the transactional clients (scripted, and
//! the workload's transactional producers, which read nothing) from
//! the history — a transaction's writes are its producer's sends between `KEvent::Txn` Begin
//! and its outcome, its reads its consumer's polls since its previous outcome (consume,
//! transform, produce), its outcome what commitTransaction / abortTransaction returned — and
//! checks them against what read_committed consumers polled:
//!
//! - **G1a, aborted read** (`aborted_read`): a read_committed poll returned a write of a
//!   transaction the client saw abort (one the final log does not already call not committed:
//!   that read is the log checker's count);
//! - **G1b, intermediate read** (`intermediate_read`): a read_committed poll returned a write of
//!   transaction T while T had not yet made a later write to the same partition (that send was
//!   invoked after the poll): the reader saw a state of the partition inside T;
//! - **torn transaction** (`torn_transaction`): a read_committed reader returned part of a
//!   committed transaction and, in one read session, read past another of its writes (records
//!   below and above its offset) without returning it;
//! - **G1c** (`cyclic_information_flow`): a cycle of committed transactions over ww (one wrote a
//!   partition just before the other, by offset) and wr (one read the other's write) edges with
//!   at least one wr edge;
//! - **G0** (`txn_g0_cycles`, an observation): a cycle of ww edges only. Kafka allows it —
//!   transactions that write the same partitions interleave their appends — so it never fails
//!   a run.

use super::txn_graph::{Dep, DepGraph};
use crate::anomaly;
use crate::kafka::wire::msg::{KEvent, TxnMark};
use crate::report::ModelReport;
use msgsim_sim::{HistoryObserver, NodeId, SimTime};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// One transaction of a scripted transactional client.
#[derive(Debug, Default)]
struct Txn {
    producer: u32,
    writes: Vec<u64>,
    reads: Vec<u64>,
    /// Some(true) committed, Some(false) aborted, None unknown (fenced, crashed, timed out).
    outcome: Option<bool>,
}

/// A read_committed poll of one record.
#[derive(Clone, Copy, Debug)]
struct Read {
    consumer: u32,
    session: u64,
    p: u32,
    offset: u64,
    value: u64,
    /// History position of the poll.
    at: u64,
}

#[derive(Debug, Default)]
pub struct TxnHistoryChecker {
    /// Transactional clients: consumer index → producer index.
    producer_of: BTreeMap<u32, u32>,
    /// Per producer: its open transaction and the reads since its last outcome.
    open: BTreeMap<u32, usize>,
    pending_reads: BTreeMap<u32, Vec<u64>>,
    read_committed: Vec<bool>,
    txns: Vec<Txn>,
    /// Written value → its transaction, its history position when it was sent, its partition.
    writer: BTreeMap<u64, (usize, u64, u32)>,
    /// Value → (partition, offset), from acknowledgements and polls.
    offsets: BTreeMap<u64, (u32, u64)>,
    reads: Vec<Read>,
    sessions: BTreeMap<u32, u64>,
    at: u64,
}

/// What the checker found (counts; each read or transaction counted once per class).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TxnAnomalies {
    pub g1a: u64,
    pub g1b: u64,
    pub g1c: u64,
    pub torn: u64,
    pub g0: u64,
    /// First examples per class, for the explanations.
    pub examples: BTreeMap<&'static str, String>,
}

impl TxnHistoryChecker {
    /// `pairs`: (producer, consumer) history indexes of the transactional scripted clients;
    /// `read_committed`: per consumer index.
    pub fn new(pairs: &[(u32, u32)], read_committed: Vec<bool>) -> TxnHistoryChecker {
        TxnHistoryChecker {
            producer_of: pairs.iter().map(|&(p, c)| (c, p)).collect(),
            read_committed,
            ..TxnHistoryChecker::default()
        }
    }

    pub fn observe(&mut self, event: &KEvent) {
        self.at += 1;
        match event {
            KEvent::Txn { producer, mark, .. } => match mark {
                TxnMark::Begin => {
                    self.txns.push(Txn {
                        producer: *producer,
                        ..Txn::default()
                    });
                    self.open.insert(*producer, self.txns.len() - 1);
                }
                TxnMark::Committed | TxnMark::Aborted => {
                    if let Some(t) = self.open.remove(producer) {
                        self.txns[t].outcome = Some(*mark == TxnMark::Committed);
                        let reads = self.pending_reads.remove(producer).unwrap_or_default();
                        self.txns[t].reads = reads;
                    }
                }
            },
            KEvent::Send {
                producer,
                p,
                values,
            } => {
                if let Some(&t) = self.open.get(producer) {
                    for &v in values.iter() {
                        self.txns[t].writes.push(v);
                        self.writer.insert(v, (t, self.at, *p));
                    }
                }
            }
            KEvent::SendOk {
                p,
                values,
                offset: Some(o),
            } => {
                for (i, &v) in values.iter().enumerate() {
                    if self.writer.contains_key(&v) {
                        self.offsets.insert(v, (*p, o + i as u64));
                    }
                }
            }
            KEvent::Poll {
                consumer,
                p,
                first,
                values,
            } => {
                let rc = self.read_committed.get(*consumer as usize) == Some(&true);
                let session = self.sessions.get(consumer).copied().unwrap_or(0);
                for (i, &v) in values.iter().enumerate() {
                    if !self.writer.contains_key(&v) {
                        continue;
                    }
                    let offset = first + i as u64;
                    self.offsets.entry(v).or_insert((*p, offset));
                    if let Some(prod) = self.producer_of.get(consumer) {
                        self.pending_reads.entry(*prod).or_default().push(v);
                    }
                    if rc {
                        self.reads.push(Read {
                            consumer: *consumer,
                            session,
                            p: *p,
                            offset,
                            value: v,
                            at: self.at,
                        });
                    }
                }
            }
            KEvent::Assigned { consumer, .. }
            | KEvent::Seek { consumer }
            | KEvent::OffsetReset { consumer, .. } => {
                *self.sessions.entry(*consumer).or_insert(0) += 1;
            }
            _ => {}
        }
    }

    /// Transactions the clients saw commit and abort.
    pub fn outcomes(&self) -> (u64, u64) {
        let n = |o| self.txns.iter().filter(|t| t.outcome == Some(o)).count() as u64;
        (n(true), n(false))
    }

    /// The checks, over the whole history. `not_committed`: values the final logs call
    /// aborted or never committed (their reads are the log checker's `aborted_read`).
    pub fn analyse(&self, not_committed: &BTreeSet<u64>) -> TxnAnomalies {
        let mut found = TxnAnomalies::default();
        let mut note = |class: &'static str, text: String| {
            found.examples.entry(class).or_insert(text);
        };
        let mut g1a = 0;
        let mut g1b = 0;
        for r in &self.reads {
            let (t, _, _) = self.writer[&r.value];
            let txn = &self.txns[t];
            if txn.outcome == Some(false) {
                if !not_committed.contains(&r.value) {
                    g1a += 1;
                    note(
                        "g1a",
                        format!(
                            "consumer {} read p{}@{} (value {:#x}) of a transaction producer {} saw abort",
                            r.consumer, r.p, r.offset, r.value, txn.producer
                        ),
                    );
                }
                continue;
            }
            // A later write of the same transaction to the same partition, sent after the poll.
            let later = txn.writes.iter().any(|w| {
                let (_, sent, q) = self.writer[w];
                *w != r.value && q == r.p && sent > r.at
            });
            if later {
                g1b += 1;
                note(
                    "g1b",
                    format!(
                        "consumer {} read p{}@{} of producer {}'s transaction before its next write to p{}",
                        r.consumer, r.p, r.offset, txn.producer, r.p
                    ),
                );
            }
        }
        found.g1a = g1a;
        found.g1b = g1b;
        found.torn = self.torn(&mut note);
        let (g0, g1c) = self.cycles(&mut note);
        found.g0 = g0;
        found.g1c = g1c;
        found
    }

    /// Committed transactions partly returned to a read_committed reader that read past the rest.
    fn torn(&self, note: &mut impl FnMut(&'static str, String)) -> u64 {
        // (consumer, session, partition) → (lowest, highest offset read, values read).
        type Span = (u64, u64, BTreeSet<u64>);
        let mut spans: BTreeMap<(u32, u64, u32), Span> = BTreeMap::new();
        let mut read_by: BTreeMap<usize, BTreeSet<u32>> = BTreeMap::new();
        for r in &self.reads {
            let e = spans.entry((r.consumer, r.session, r.p)).or_insert((
                r.offset,
                r.offset,
                BTreeSet::new(),
            ));
            e.0 = e.0.min(r.offset);
            e.1 = e.1.max(r.offset);
            e.2.insert(r.value);
            read_by
                .entry(self.writer[&r.value].0)
                .or_default()
                .insert(r.consumer);
        }
        let mut torn = 0;
        for (&t, consumers) in &read_by {
            let txn = &self.txns[t];
            if txn.outcome != Some(true) {
                continue;
            }
            for &c in consumers {
                let skipped = txn.writes.iter().find(|w| {
                    let Some(&(q, o)) = self.offsets.get(*w) else {
                        return false;
                    };
                    spans
                        .range((c, 0, q)..=(c, u64::MAX, q))
                        .any(|(k, s)| k.2 == q && s.0 < o && o < s.1 && !s.2.contains(*w))
                });
                if let Some(w) = skipped {
                    torn += 1;
                    let (q, o) = self.offsets[w];
                    note(
                        "torn",
                        format!(
                            "consumer {c} read part of producer {}'s committed transaction and read past p{q}@{o} of it without returning it",
                            txn.producer
                        ),
                    );
                }
            }
        }
        torn
    }

    /// (G0 cycles, G1c cycles) over the committed transactions.
    fn cycles(&self, note: &mut impl FnMut(&'static str, String)) -> (u64, u64) {
        let mut g = DepGraph::new(self.txns.len());
        let committed = |t: usize| self.txns[t].outcome == Some(true);
        // ww: consecutive committed writes of a partition, in offset order.
        let mut by_part: BTreeMap<u32, Vec<(u64, usize)>> = BTreeMap::new();
        for (v, &(t, _, _)) in &self.writer {
            if let (true, Some(&(p, o))) = (committed(t), self.offsets.get(v)) {
                by_part.entry(p).or_default().push((o, t));
            }
        }
        for list in by_part.values_mut() {
            list.sort_unstable();
            for w in list.windows(2) {
                g.add(w[0].1, w[1].1, Dep::WriteWrite);
            }
        }
        // wr: a committed transaction read a committed transaction's write.
        for (t, txn) in self.txns.iter().enumerate() {
            if !committed(t) {
                continue;
            }
            for v in &txn.reads {
                if let Some(&(w, _, _)) = self.writer.get(v)
                    && committed(w)
                {
                    g.add(w, t, Dep::WriteRead);
                }
            }
        }
        let names = |c: &[usize]| {
            c.iter()
                .map(|&t| format!("T{t} (producer {})", self.txns[t].producer))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let g0 = g.cycles(|d| d == Dep::WriteWrite);
        if let Some(c) = g0.first() {
            note("g0", format!("write cycle over {}", names(c)));
        }
        let g1c = g.cycles_through(Dep::WriteRead);
        if let Some(c) = g1c.first() {
            note("g1c", format!("ww/wr cycle over {}", names(c)));
        }
        (g0.len() as u64, g1c.len() as u64)
    }

    /// Anomalies, explanations and observations into the report.
    pub fn report(&self, not_committed: &BTreeSet<u64>, report: &mut ModelReport) {
        let found = self.analyse(not_committed);
        let (committed, aborted) = self.outcomes();
        let obs = [
            ("txn_g0_cycles", found.g0),
            ("txn_history_committed", committed),
            ("txn_history_aborted", aborted),
            ("txn_history_reads", self.reads.len() as u64),
        ];
        for (k, v) in obs {
            report.observations.insert(k.into(), v as f64);
        }
        *report
            .anomalies
            .entry(anomaly::ABORTED_READ.into())
            .or_insert(0) += found.g1a;
        let rows = [
            (
                anomaly::ABORTED_READ,
                "client_aborted_read",
                "g1a",
                found.g1a,
            ),
            (
                anomaly::INTERMEDIATE_READ,
                "read_inside_transaction",
                "g1b",
                found.g1b,
            ),
            (
                anomaly::CYCLIC_INFORMATION_FLOW,
                "ww_wr_cycle",
                "g1c",
                found.g1c,
            ),
            (
                anomaly::TORN_TRANSACTION,
                "read_past_part_of_transaction",
                "torn",
                found.torn,
            ),
        ];
        for (a, cause, class, n) in rows {
            if a != anomaly::ABORTED_READ {
                report.anomalies.insert(a.into(), n);
            }
            let example = found.examples.get(class).cloned().unwrap_or_default();
            report.explain(a, cause, n, || example);
        }
    }
}

/// The checker shared with the run's history observer.
pub struct SharedTxn(pub Rc<RefCell<TxnHistoryChecker>>);

impl HistoryObserver<KEvent> for SharedTxn {
    fn observe(&mut self, _time: SimTime, _node: NodeId, event: &KEvent) {
        self.0.borrow_mut().observe(event);
    }
}

#[cfg(test)]
#[path = "txn_history_tests.rs"]
mod tests;
