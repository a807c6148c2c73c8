//! Explanations of the Kafka checker's anomalies: each counted record is put under one of the
//! documented causes (`crate::cause`), and contiguous runs of records of one partition and cause
//! become examples such as `p0 offsets 2000..2099 (100 records of producer 0, acked at
//! 12.301–12.950 s); final leader b2 (epoch 4, ISR {b2,b3}), log ends at 1990`.

use crate::anomaly;
use crate::report::ModelReport;

/// One record the checker counted: partition, acknowledged offset (None without one),
/// acknowledgement time and producer.
#[derive(Clone, Copy, Debug)]
pub struct Rec {
    pub p: u32,
    pub offset: Option<u64>,
    pub ms: u32,
    pub producer: u32,
}

/// Records behind the per-record anomalies, by cause.
#[derive(Debug, Default)]
pub struct Found {
    pub lost: Vec<Rec>,
    pub unseen_in_log: Vec<Rec>,
    pub dup_in_log: Vec<Rec>,
    pub dup_read: Vec<Rec>,
    pub nonmonotonic_send: Vec<Rec>,
    /// Committed records no consumer finished (not the consume-transform-produce count, which
    /// comes from the output topic).
    pub unprocessed: Vec<Rec>,
    pub reprocessed: Vec<Rec>,
    /// Consume-transform-produce inputs without a committed output, and with two or more.
    pub eos_missing: Vec<Rec>,
    pub eos_duplicate: Vec<Rec>,
    /// Reads of a definitely failed send (not an aborted record read_uncommitted), and
    /// read_committed reads of aborted or never committed records (G1a).
    pub aborted_reads: Vec<Rec>,
    /// Failed sends readable as committed in the final log.
    pub failed_in_log: Vec<Rec>,
}

/// What the explanations need of the final state (the checker builds it from its
/// `FinalState`): per partition the final leader, and the run's context (acks, min ISR,
/// unclean elections, lossy crashes).
#[derive(Debug, Default)]
pub struct Finals<'a> {
    pub leaders: &'a [Option<FinalLeader>],
    pub context: &'a str,
}

/// The final leader of a partition, as the controller has it after the quiet phase.
#[derive(Clone, Debug, Default)]
pub struct FinalLeader {
    pub broker: u32,
    pub epoch: u32,
    pub isr: Vec<u32>,
    /// The leader's log end offset (LEO). Not the log start plus the records it holds: a
    /// compacted log keeps offsets with holes, and a loss at an offset below the end is a
    /// rewrite, not a truncation.
    pub log_end: u64,
}

impl Finals<'_> {
    fn log_end(&self, p: u32) -> Option<u64> {
        self.leaders
            .get(p as usize)
            .and_then(|l| l.as_ref())
            .map(|l| l.log_end)
    }
}

fn leader_text(fin: &Finals<'_>, p: u32) -> String {
    match fin.leaders.get(p as usize).and_then(|l| l.as_ref()) {
        Some(l) => format!(
            "final leader b{} (epoch {}, ISR {{{}}}), log ends at {}",
            l.broker + 1,
            l.epoch,
            l.isr
                .iter()
                .map(|b| format!("b{}", b + 1))
                .collect::<Vec<_>>()
                .join(","),
            l.log_end
        ),
        None => "no final leader".into(),
    }
}

/// Runs of consecutive offsets (same partition and producer) as example texts, with the
/// number of records each covers.
fn runs(recs: &[Rec], fin: &Finals<'_>, verb: &str) -> Vec<(u64, String)> {
    let mut sorted = recs.to_vec();
    sorted.sort_by_key(|r| (r.p, r.offset, r.producer, r.ms));
    let mut out: Vec<(u64, String)> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let first = sorted[i];
        let mut j = i + 1;
        while j < sorted.len()
            && sorted[j].p == first.p
            && sorted[j].producer == first.producer
            && matches!((sorted[j - 1].offset, sorted[j].offset), (Some(a), Some(b)) if b == a + 1)
        {
            j += 1;
        }
        let last = sorted[j - 1];
        let n = (j - i) as u64;
        let (lo, hi) = sorted[i..j]
            .iter()
            .fold((u32::MAX, 0), |(lo, hi), r| (lo.min(r.ms), hi.max(r.ms)));
        let place = match (first.offset, last.offset) {
            (Some(a), Some(b)) if a == b => format!("p{} offset {a}", first.p),
            (Some(a), Some(b)) => format!("p{} offsets {a}..{b}", first.p),
            _ => format!("p{} (no offset)", first.p),
        };
        out.push((
            n,
            format!(
                "{place} ({n} record{} of producer {}, {verb} at {:.3}–{:.3} s); {}",
                if n == 1 { "" } else { "s" },
                first.producer,
                f64::from(lo) / 1e3,
                f64::from(hi) / 1e3,
                leader_text(fin, first.p)
            ),
        ));
        i = j;
    }
    out
}

fn explain_runs(
    report: &mut ModelReport,
    anomaly: &str,
    cause: &str,
    recs: &[Rec],
    fin: &Finals<'_>,
    verb: &str,
) {
    if recs.is_empty() {
        return;
    }
    let context = fin.context;
    for (n, text) in runs(recs, fin, verb) {
        report.explain(anomaly, cause, n, || {
            if context.is_empty() {
                text
            } else {
                format!("{text}; {context}")
            }
        });
    }
}

/// Lost writes by where the record went: its offset rewritten by a later leader, the log
/// truncated below it, or an offsetless acknowledgement.
fn explain_lost(report: &mut ModelReport, found: &Found, fin: &Finals<'_>) {
    let (mut rewritten, mut truncated, mut offsetless) = (Vec::new(), Vec::new(), Vec::new());
    for r in &found.lost {
        let end = fin.log_end(r.p);
        match (r.offset, end) {
            (None, _) => offsetless.push(*r),
            (Some(o), Some(end)) if o < end => rewritten.push(*r),
            _ => truncated.push(*r),
        }
    }
    let a = anomaly::LOST_WRITE;
    explain_runs(report, a, "offset_rewritten", &rewritten, fin, "acked");
    explain_runs(report, a, "truncated_below_ack", &truncated, fin, "acked");
    explain_runs(
        report,
        a,
        "offsetless_ack_missing",
        &offsetless,
        fin,
        "acked",
    );
}

/// Explain every anomaly of `counts` (name, count) the checker reported.
pub fn explain(report: &mut ModelReport, found: &Found, fin: &Finals<'_>, counts: &[(&str, u64)]) {
    explain_lost(report, found, fin);
    let u = anomaly::UNSEEN;
    explain_runs(
        report,
        u,
        "in_log_never_polled",
        &found.unseen_in_log,
        fin,
        "acked",
    );
    let d = anomaly::DUPLICATE;
    explain_runs(
        report,
        d,
        "twice_in_final_log",
        &found.dup_in_log,
        fin,
        "sent",
    );
    explain_runs(
        report,
        d,
        "read_at_two_offsets",
        &found.dup_read,
        fin,
        "sent",
    );
    let a = anomaly::ABORTED_READ;
    let aborted = &found.aborted_reads;
    explain_runs(report, a, "aborted_record_read", aborted, fin, "sent");
    let failed = &found.failed_in_log;
    explain_runs(report, a, "failed_send_in_log", failed, fin, "sent");
    // Anomalies with one documented cause each: examples name the records where the checker
    // kept them (the list covers the whole count), else the count is the example.
    let listed: &[(&str, &[Rec], &str)] = &[
        (
            anomaly::NONMONOTONIC_SEND,
            &found.nonmonotonic_send,
            "acked",
        ),
        (anomaly::UNPROCESSED, &found.unprocessed, "acked"),
        (
            anomaly::PROCESSED_MORE_THAN_ONCE,
            &found.reprocessed,
            "acked",
        ),
        (anomaly::EOS_MISSING, &found.eos_missing, "acked"),
        (anomaly::EOS_DUPLICATE, &found.eos_duplicate, "acked"),
    ];
    let whole: &[(&str, &str, &str)] = &[
        (
            anomaly::NONMONOTONIC_SEND,
            "acked_below_earlier_send",
            "sends acknowledged below an earlier send's offset",
        ),
        (
            anomaly::NONMONOTONIC_POLL,
            "poll_went_backwards",
            "polls went back within a session",
        ),
        (
            anomaly::POLL_SKIP,
            "skipped_offsets",
            "gaps holding committed records were skipped",
        ),
        (
            anomaly::PRECOMMITTED_READ,
            "read_before_commit",
            "transactional records read before their COMMIT marker",
        ),
        (
            anomaly::EOS_DUPLICATE,
            "input_with_two_outputs",
            "inputs with two or more committed outputs",
        ),
        (
            anomaly::EOS_MISSING,
            "input_without_output",
            "inputs without a committed output",
        ),
        (
            anomaly::UNPROCESSED,
            "never_processed",
            "committed records the group never finished processing",
        ),
        (
            anomaly::PROCESSED_MORE_THAN_ONCE,
            "processed_twice",
            "records processed more than once",
        ),
        (
            anomaly::REPLICATION_INVARIANT,
            "replica_bounds_broken",
            "replica offset-bound violations",
        ),
        (
            anomaly::RETENTION_INVARIANT,
            "segment_deleted_early",
            "segment deletions the retention rules did not allow",
        ),
    ];
    for &(a, cause, what) in whole {
        let n = counts.iter().find(|(k, _)| *k == a).map_or(0, |(_, n)| *n);
        let recs = listed.iter().find(|(name, _, _)| *name == a);
        if let Some((_, recs, verb)) = recs.filter(|(_, r, _)| n > 0 && r.len() as u64 == n) {
            explain_runs(report, a, cause, recs, fin, verb);
            continue;
        }
        let context = fin.context;
        report.explain(a, cause, n, || format!("{n} {what}; {context}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(p: u32, offset: Option<u64>, ms: u32, producer: u32) -> Rec {
        Rec {
            p,
            offset,
            ms,
            producer,
        }
    }

    /// Examples group consecutive offsets of one partition and producer into one run, giving
    /// the count it covers and the span of its times; anything else starts a new run.
    #[test]
    fn runs_group_consecutive_offsets_of_one_partition_and_producer() {
        let recs = [
            rec(0, Some(6), 200, 0),
            rec(0, Some(5), 100, 0),
            rec(0, Some(7), 150, 0),
            rec(0, Some(9), 300, 0),
            rec(0, Some(10), 400, 1),
            rec(1, Some(11), 500, 0),
            rec(2, None, 600, 0),
            rec(2, None, 700, 0),
        ];
        let fin = Finals::default();
        let got = runs(&recs, &fin, "acked");
        let want = [
            (
                3,
                "p0 offsets 5..7 (3 records of producer 0, acked at 0.100–0.200 s)",
            ),
            (
                1,
                "p0 offset 9 (1 record of producer 0, acked at 0.300–0.300 s)",
            ),
            (
                1,
                "p0 offset 10 (1 record of producer 1, acked at 0.400–0.400 s)",
            ),
            (
                1,
                "p1 offset 11 (1 record of producer 0, acked at 0.500–0.500 s)",
            ),
            (
                1,
                "p2 (no offset) (1 record of producer 0, acked at 0.600–0.600 s)",
            ),
            (
                1,
                "p2 (no offset) (1 record of producer 0, acked at 0.700–0.700 s)",
            ),
        ];
        let want: Vec<(u64, String)> = (want.iter())
            .map(|(n, t)| (*n, format!("{t}; no final leader")))
            .collect();
        assert_eq!(got, want);
    }

    /// A lost write by where it went: an offset below the final leader's log end was
    /// rewritten; at or above it, truncated; without an offset, an offsetless acknowledgement.
    #[test]
    fn lost_writes_are_split_by_their_offset_against_the_log_end() {
        let leaders = [Some(FinalLeader {
            broker: 1,
            epoch: 2,
            isr: vec![1],
            log_end: 10,
        })];
        let fin = Finals {
            leaders: &leaders,
            context: "",
        };
        let found = Found {
            lost: vec![
                rec(0, Some(9), 1, 0),
                rec(0, Some(10), 1, 1),
                rec(0, Some(12), 1, 1),
                rec(0, None, 1, 2),
            ],
            ..Found::default()
        };
        let mut report = ModelReport::default();
        explain_lost(&mut report, &found, &fin);
        let causes: Vec<(String, u64)> = (report.explanations[anomaly::LOST_WRITE].iter())
            .map(|e| (e.cause.clone(), e.count))
            .collect();
        let want = [
            ("offset_rewritten", 1),
            ("truncated_below_ack", 2),
            ("offsetless_ack_missing", 1),
        ];
        let want: Vec<(String, u64)> = want.iter().map(|(c, n)| (c.to_string(), *n)).collect();
        assert_eq!(causes, want);
    }

    /// An anomaly whose records were kept only in part is explained by its count, not by the
    /// records' runs (which would cover less than the count).
    #[test]
    fn a_partly_listed_anomaly_is_explained_by_its_whole_count() {
        let found = Found {
            nonmonotonic_send: vec![rec(0, Some(3), 1, 0)],
            ..Found::default()
        };
        let fin = Finals::default();
        let mut report = ModelReport::default();
        explain(
            &mut report,
            &found,
            &fin,
            &[(anomaly::NONMONOTONIC_SEND, 2)],
        );
        let e = &report.explanations[anomaly::NONMONOTONIC_SEND];
        assert_eq!((e.len(), e[0].count), (1, 2));
        assert!(e[0].examples[0].starts_with("2 sends"), "{e:?}");
    }

    #[test]
    fn a_loss_below_a_compacted_logs_end_is_a_rewrite_and_names_the_true_end() {
        // The final leader's log ends at 21,150 but, compacted, holds two thousand records:
        // the end is its LEO, not the log start plus the records it holds (seed 7251 of
        // k13-compaction printed "log ends at 2001").
        let leaders = [Some(FinalLeader {
            broker: 1,
            epoch: 39,
            isr: vec![0, 1, 2],
            log_end: 21_150,
        })];
        let fin = Finals {
            leaders: &leaders,
            context: "acks=All",
        };
        let found = Found {
            lost: vec![Rec {
                p: 0,
                offset: Some(21_147),
                ms: 1_057_350,
                producer: 0,
            }],
            ..Found::default()
        };
        let mut report = ModelReport::default();
        explain_lost(&mut report, &found, &fin);
        let ex = &report.explanations[anomaly::LOST_WRITE];
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].cause, "offset_rewritten");
        assert!(ex[0].examples[0].contains("log ends at 21150"), "{ex:?}");
    }
}
