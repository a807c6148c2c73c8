//! The transaction checks of the Kafka checker's final pass: read_committed reads of aborted
//! or never committed records (G1a), reads before the COMMIT marker, and the exactly-once
//! check of consume-transform-produce (every input has exactly one output in the
//! read_committed view of the output topic), with the inputs behind each count.

use super::{FinalState, KafkaChecker, Outcome, POLLED_RU};
use crate::kafka::checkers::explain::Rec;
use crate::kafka::wire::value_names::split;
use crate::report::ModelReport;
use std::collections::{BTreeMap, BTreeSet};

/// What the transaction checks found.
pub(super) struct TxnFindings {
    /// read_committed polls of aborted / never committed values (G1a).
    pub(super) g1a: Vec<u64>,
    pub(super) precommitted: u64,
    /// Consume-transform-produce: (missing, duplicated) inputs in the committed output.
    pub(super) eos: Option<(u64, u64)>,
    /// The inputs behind `eos`, as records (partition, offset, producer): without a committed
    /// output, and with two or more.
    pub(super) eos_missing: Vec<Rec>,
    pub(super) eos_duplicate: Vec<Rec>,
}

impl KafkaChecker {
    /// Isolation checks over the read_committed polls, and the exactly-once output check.
    pub(super) fn txn_report(
        &self,
        fin: &FinalState,
        not_committed: &BTreeSet<u64>,
        report: &mut ModelReport,
    ) -> TxnFindings {
        let commit_ms: BTreeMap<u64, i64> = fin.commit_ms.iter().copied().collect();
        let mut g1a = Vec::new();
        let mut precommitted = 0;
        let mut rc_delay = 0u64;
        for (&v, &t) in &self.rc_polls {
            if not_committed.contains(&v) {
                g1a.push(v);
            } else if commit_ms.get(&v).is_some_and(|&c| (t as i64) < c) {
                precommitted += 1;
            }
            let (prod, n) = split(v);
            if let Some(s) = self.values.get(prod).and_then(|l| l.get(n))
                && s.outcome == Outcome::Ok
            {
                rc_delay = rc_delay.max(t.saturating_sub(u64::from(self.ack_ms(v, s))));
            }
        }
        let ru_aborted = not_committed
            .iter()
            .filter(|&&v| {
                let (prod, n) = split(v);
                self.values
                    .get(prod)
                    .and_then(|l| l.get(n))
                    .is_some_and(|s| s.has(POLLED_RU))
            })
            .count();
        let mut eos = None;
        let (mut eos_missing, mut eos_duplicate) = (Vec::new(), Vec::new());
        let mut obs = vec![
            ("txn_not_committed_records", not_committed.len() as f64),
            ("aborted_polled_read_uncommitted", ru_aborted as f64),
            ("aborted_polled_read_committed", g1a.len() as f64),
            ("max_ack_to_poll_ms_read_committed", rc_delay as f64),
            (
                "max_ack_to_poll_ms_read_uncommitted",
                self.max_ack_to_poll_ru_ms as f64,
            ),
        ];
        if let Some(ctp) = &fin.ctp {
            let count = |vals: &[u64]| {
                let mut m: BTreeMap<u64, u32> = BTreeMap::new();
                for v in vals {
                    *m.entry(*v).or_insert(0) += 1;
                }
                m
            };
            let committed = count(&ctp.output_committed);
            let all = count(&ctp.output_all);
            eos_missing = (ctp.input.iter())
                .filter(|v| !committed.contains_key(v))
                .map(|&v| self.input_rec(v))
                .collect();
            eos_duplicate = (committed.iter())
                .filter(|&(_, &c)| c > 1)
                .map(|(&v, _)| self.input_rec(v))
                .collect();
            let (missing, dup) = (eos_missing.len(), eos_duplicate.len());
            let dup_ru = all.values().filter(|&&c| c > 1).count();
            eos = Some((missing as u64, dup as u64));
            obs.push(("ctp_input_records", ctp.input.len() as f64));
            obs.push(("ctp_output_committed", ctp.output_committed.len() as f64));
            obs.push((
                "ctp_output_aborted",
                (ctp.output_all.len() - ctp.output_committed.len()) as f64,
            ));
            obs.push(("eos_duplicate_read_uncommitted", dup_ru as f64));
        }
        for (k, v) in obs {
            report.observations.insert(k.to_string(), v);
        }
        TxnFindings {
            g1a,
            precommitted,
            eos,
            eos_missing,
            eos_duplicate,
        }
    }

    /// An input record of consume-transform-produce as an example: its partition and acked
    /// offset when the checker saw them.
    fn input_rec(&self, v: u64) -> Rec {
        let (prod, n) = split(v);
        let s = self.values.get(prod).and_then(|l| l.get(n));
        Rec {
            p: s.map_or(0, |s| u32::from(s.p)),
            // `ok_offset` is `NONE32` unless the outcome is `Ok`.
            offset: s
                .filter(|s| s.ok_offset() != super::NONE32)
                .map(|s| u64::from(s.ok_offset())),
            ms: s.map_or(0, |s| self.ack_ms(v, s)),
            producer: prod as u32,
        }
    }
}
