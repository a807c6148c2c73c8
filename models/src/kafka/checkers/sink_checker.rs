//! The error-handling pipelines' checker (their history events: `sink_event.rs`). Every poison record the
//! pipeline is done with (its partition's committed offset is past it) must end in exactly
//! one of: the DLQ topic, skipped (and logged if enabled), or the task failed at it.

use super::checker::{LeaderLog, Shared};
use crate::kafka::config::sink::SinkConfig;
use crate::kafka::wire::msg::KEvent;
use crate::kafka::wire::sink_event::SinkEvent;
use crate::report::ModelReport;
use msgsim_sim::{HistoryObserver, NodeId, SimTime};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

#[derive(Debug, Default)]
pub struct SinkChecker {
    delivered: BTreeSet<u64>,
    /// Per partition: lowest offset a task failed at.
    failed_at: BTreeMap<u32, u64>,
    failed_values: BTreeSet<u64>,
    skipped: BTreeSet<u64>,
    records_after_failure: u64,
    task_failed: u64,
    task_failed_retriable: u64,
    task_restarts: u64,
    skipped_logged: u64,
    errors_logged: u64,
    dlq_produced: u64,
    dlq_headers: u64,
    put_retries: u64,
    transform_retries: u64,
    app_retries: u64,
    retry_topic_produced: u64,
    /// Values failed at least once and not yet delivered or dead-lettered.
    retrying: BTreeSet<u64>,
    /// Deliveries of other records while some record was being retried.
    delivered_while_retrying: u64,
}

/// `(offset, value)` of every data record of a partition's final leader log. Offsets, not
/// positions: a compacted log has gaps (the cleaner keeps each record at its offset).
pub type OffsetLog = Vec<(u64, u64)>;

/// The end state the checker needs: the final logs and the group's committed offsets.
pub struct SinkFinal<'a> {
    pub sink: &'a SinkConfig,
    pub main_logs: &'a [Option<OffsetLog>],
    pub dlq_log: Option<&'a LeaderLog>,
    pub committed: &'a BTreeMap<u32, u64>,
}

impl SinkChecker {
    pub fn observe(&mut self, e: &SinkEvent) {
        match *e {
            SinkEvent::Put { p, offset, value } => {
                self.delivered.insert(value);
                if !self.retrying.remove(&value) && !self.retrying.is_empty() {
                    self.delivered_while_retrying += 1;
                }
                if self.failed_at.get(&p).is_some_and(|f| offset > *f) {
                    self.records_after_failure += 1;
                }
            }
            SinkEvent::PutRetry { .. } => self.put_retries += 1,
            SinkEvent::TransformRetry { .. } => self.transform_retries += 1,
            SinkEvent::AppRetry { value, .. } => {
                self.app_retries += 1;
                self.retrying.insert(value);
            }
            SinkEvent::RetryTopicProduced { value, .. } => {
                self.retry_topic_produced += 1;
                self.retrying.insert(value);
            }
            SinkEvent::Skipped { value, logged, .. } => {
                self.skipped.insert(value);
                if logged {
                    self.skipped_logged += 1;
                    self.errors_logged += 1;
                }
            }
            SinkEvent::ErrorLogged { .. } => self.errors_logged += 1,
            SinkEvent::DlqProduced { value, headers, .. } => {
                self.retrying.remove(&value);
                self.dlq_produced += 1;
                if headers {
                    self.dlq_headers += 1;
                }
            }
            SinkEvent::TaskFailed {
                p,
                offset,
                value,
                retriable,
            } => {
                self.task_failed += 1;
                if retriable {
                    self.task_failed_retriable += 1;
                }
                let f = self.failed_at.entry(p).or_insert(offset);
                *f = (*f).min(offset);
                self.failed_values.insert(value);
            }
            SinkEvent::TaskRestarted => self.task_restarts += 1,
        }
    }

    pub fn report(&self, fin: &SinkFinal<'_>, report: &mut ModelReport) {
        let mut in_dlq: BTreeMap<u64, u64> = BTreeMap::new();
        let dlq_records = fin.dlq_log.map_or(0, |(_, recs)| recs.len() as u64);
        for &v in fin.dlq_log.map_or(&[][..], |(_, recs)| &recs[..]) {
            *in_dlq.entry(v).or_insert(0) += 1;
        }
        let dlq_duplicates: u64 = in_dlq.values().map(|c| c - 1).sum();
        let (mut poison, mut lost, mut conflicts, mut unreached) = (0u64, 0u64, 0u64, 0u64);
        for (p, log) in fin.main_logs.iter().enumerate() {
            let Some(recs) = log else {
                continue;
            };
            let committed = fin.committed.get(&(p as u32)).copied().unwrap_or(0);
            for &(offset, v) in recs {
                if !fin.sink.is_poison(v) {
                    continue;
                }
                poison += 1;
                let outcomes = [
                    in_dlq.contains_key(&v),
                    self.skipped.contains(&v),
                    self.failed_values.contains(&v),
                ]
                .iter()
                .filter(|x| **x)
                .count();
                if outcomes > 1 {
                    conflicts += 1;
                } else if outcomes == 0 && offset < committed {
                    lost += 1;
                } else if outcomes == 0 {
                    unreached += 1;
                }
            }
        }
        let obs = [
            ("poison_records", poison),
            ("delivered_records", self.delivered.len() as u64),
            ("dlq_records", dlq_records),
            ("dlq_produced", self.dlq_produced),
            ("dlq_duplicates", dlq_duplicates),
            ("dlq_context_headers", self.dlq_headers),
            ("skipped_records", self.skipped.len() as u64),
            ("skipped_logged", self.skipped_logged),
            ("errors_logged", self.errors_logged),
            ("task_failed", self.task_failed),
            ("task_failed_retriable", self.task_failed_retriable),
            ("task_restarts", self.task_restarts),
            ("records_after_poison_delivered", self.records_after_failure),
            ("lost_poison", lost),
            ("poison_outcome_conflicts", conflicts),
            ("poison_unreached", unreached),
            ("put_retries", self.put_retries),
            ("transform_retries", self.transform_retries),
            ("app_retries", self.app_retries),
            ("retry_topic_produced", self.retry_topic_produced),
            ("delivered_while_retrying", self.delivered_while_retrying),
        ];
        for (k, v) in obs {
            report.observations.insert(k.to_string(), v as f64);
        }
    }
}

/// The history observer of a Kafka run: every event to the Kafka checker, sink events also
/// to the sink checker.
pub struct Observers(
    pub Shared,
    pub Rc<RefCell<SinkChecker>>,
    /// The transaction-history checker, with scripted transactional clients only.
    pub Option<super::txn_history::SharedTxn>,
);

impl HistoryObserver<KEvent> for Observers {
    fn observe(&mut self, time: SimTime, node: NodeId, event: &KEvent) {
        if let KEvent::Sink(e) = event {
            self.1.borrow_mut().observe(e);
        } else {
            self.0.observe(time, node, event);
            if let Some(t) = self.2.as_mut() {
                t.observe(time, node, event);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checker's report on a run that ended with these logs, DLQ and committed offsets.
    fn report_of(
        c: &SinkChecker,
        sink: &SinkConfig,
        main_logs: &[Option<OffsetLog>],
        dlq_log: Option<&LeaderLog>,
        committed: &BTreeMap<u32, u64>,
    ) -> ModelReport {
        let fin = SinkFinal {
            sink,
            main_logs,
            dlq_log,
            committed,
        };
        let mut report = ModelReport::default();
        c.report(&fin, &mut report);
        report
    }

    #[test]
    fn committed_poison_without_outcome_is_lost() {
        let sink = SinkConfig {
            poison_every_n: 2,
            ..SinkConfig::default()
        };
        // Values 1..=4 of producer 0 at offsets 0..=3: poison are 2 and 4.
        let v = |n: u64| (1u64 << 40) | n;
        let logs = vec![Some(vec![(0, v(1)), (1, v(2)), (2, v(3)), (3, v(4))])];
        let dlq = (0, vec![v(4), v(4)]);
        let committed = BTreeMap::from([(0, 4)]);
        let mut c = SinkChecker::default();
        c.observe(&SinkEvent::Put {
            p: 0,
            offset: 0,
            value: v(1),
        });
        let report = report_of(&c, &sink, &logs, Some(&dlq), &committed);
        for m in report.observations.keys() {
            assert!(
                crate::kafka::METRICS.contains(&m.as_str()),
                "{m} missing from METRICS"
            );
        }
        assert_eq!(report.observations["poison_records"], 2.0);
        assert_eq!(report.observations["lost_poison"], 1.0);
        assert_eq!(report.observations["dlq_duplicates"], 1.0);
    }

    #[test]
    fn a_compacted_log_is_judged_by_offsets_not_positions() {
        // Found by the widened verdict property: a compacted log keeps records at their
        // offsets; a poison record at offset 40 (second in the log) is not below a committed
        // offset of 20 — it was never reached, not lost.
        let sink = SinkConfig {
            poison_every_n: 2,
            ..SinkConfig::default()
        };
        let v = |n: u64| (1u64 << 40) | n;
        let logs = vec![Some(vec![(7, v(1)), (40, v(2))])];
        let committed = BTreeMap::from([(0, 20)]);
        let report = report_of(&SinkChecker::default(), &sink, &logs, None, &committed);
        assert_eq!(report.observations["poison_records"], 1.0);
        assert_eq!(report.observations["lost_poison"], 0.0);
        assert_eq!(report.observations["poison_unreached"], 1.0);
    }

    /// Every sink event once or twice, each counter compared: retries of each kind, logged
    /// and unlogged skips, DLQ records with and without context headers, retriable and fatal
    /// task failures, restarts, and records delivered past a failure on the same partition only.
    #[test]
    fn each_sink_counter_counts_its_own_events() {
        let v = |n: u64| (1u64 << 40) | n;
        let mut c = SinkChecker::default();
        let put = |p: u32, offset: u64, n: u64| SinkEvent::Put {
            p,
            offset,
            value: v(n),
        };
        let skipped = |offset: u64, logged: bool| SinkEvent::Skipped {
            p: 0,
            offset,
            value: v(offset),
            logged,
        };
        let dlq = |offset: u64, headers: bool| SinkEvent::DlqProduced {
            p: 0,
            offset,
            value: v(offset),
            dlq_offset: 0,
            headers,
        };
        let failed = |offset: u64, retriable: bool| SinkEvent::TaskFailed {
            p: 1,
            offset,
            value: v(offset),
            retriable,
        };
        let app_retry = SinkEvent::AppRetry {
            p: 0,
            offset: 1,
            value: v(1),
        };
        let events = [
            put(0, 0, 0),
            SinkEvent::PutRetry { p: 0, offset: 1 },
            SinkEvent::PutRetry { p: 0, offset: 1 },
            SinkEvent::TransformRetry { p: 0, offset: 1 },
            app_retry.clone(),
            app_retry,
            skipped(2, true),
            skipped(3, false),
            SinkEvent::ErrorLogged { p: 0, offset: 4 },
            dlq(1, true),
            dlq(5, false),
            failed(10, true),
            failed(8, false),
            SinkEvent::TaskRestarted,
            // Partition 1 failed at offset 8: a record at 8 is not past it, 9 and 11 are;
            // partition 0 never failed.
            put(1, 8, 18),
            put(1, 9, 19),
            put(1, 11, 21),
            put(0, 12, 22),
        ];
        for e in &events {
            c.observe(e);
        }
        let sink = SinkConfig::default();
        let committed = BTreeMap::new();
        let report = report_of(&c, &sink, &[], None, &committed);
        let expected = [
            ("delivered_records", 5.0),
            ("put_retries", 2.0),
            ("transform_retries", 1.0),
            ("app_retries", 2.0),
            ("skipped_records", 2.0),
            ("skipped_logged", 1.0),
            ("errors_logged", 2.0),
            ("dlq_produced", 2.0),
            ("dlq_context_headers", 1.0),
            ("task_failed", 2.0),
            ("task_failed_retriable", 1.0),
            ("task_restarts", 1.0),
            ("records_after_poison_delivered", 2.0),
            ("retry_topic_produced", 0.0),
            ("delivered_while_retrying", 0.0),
        ];
        let got: Vec<(&str, f64)> = (expected.iter())
            .map(|&(k, _)| (k, report.observations[k]))
            .collect();
        assert_eq!(got, expected);
    }

    /// Every poison record of the main logs classified once: one outcome (dead-lettered,
    /// skipped, failing its task) is handled; two are a conflict; none is lost below the
    /// group's committed offset and unreached at or above it (the boundary offset included).
    #[test]
    fn each_poison_record_is_handled_conflicting_lost_or_unreached() {
        let sink = SinkConfig {
            poison_every_n: 1,
            ..SinkConfig::default()
        };
        let v = |n: u64| (1u64 << 40) | n;
        // Offsets 0..=8 hold values 1..=9, all poison; committed offset 6.
        let logs = vec![Some((0..9).map(|o| (o, v(o + 1))).collect::<Vec<_>>())];
        let dlq = (0, vec![v(1), v(4)]);
        let committed = BTreeMap::from([(0, 6)]);
        let mut c = SinkChecker::default();
        let skipped = |n: u64| SinkEvent::Skipped {
            p: 0,
            offset: n - 1,
            value: v(n),
            logged: false,
        };
        let failed = |n: u64| SinkEvent::TaskFailed {
            p: 0,
            offset: n - 1,
            value: v(n),
            retriable: false,
        };
        // 1: DLQ; 2: skipped; 3: failed; 4: DLQ and skipped; 5: skipped and failed;
        // 6 (offset 5): nothing, below 6 → lost; 7 (offset 6) and 8, 9: nothing → unreached.
        for e in [skipped(2), failed(3), skipped(4), skipped(5), failed(5)] {
            c.observe(&e);
        }
        let report = report_of(&c, &sink, &logs, Some(&dlq), &committed);
        let got = ["poison_records", "poison_outcome_conflicts", "lost_poison"]
            .map(|k| report.observations[k]);
        assert_eq!(got, [9.0, 2.0, 1.0]);
        assert_eq!(report.observations["poison_unreached"], 3.0);
    }

    /// The run's observer hands sink events to the sink checker only, and every other event
    /// to the Kafka checker (and the transaction-history checker).
    #[test]
    fn the_observer_routes_sink_events_to_the_sink_checker_and_the_rest_to_the_kafka_one() {
        let kafka = Rc::new(RefCell::new(super::super::checker::KafkaChecker::new(1)));
        let sink = Rc::new(RefCell::new(SinkChecker::default()));
        let mut obs = Observers(Shared(kafka.clone()), sink.clone(), None);
        let v = (1u64 << 40) | 3;
        let put = SinkEvent::Put {
            p: 0,
            offset: 0,
            value: v,
        };
        obs.observe(SimTime::ZERO, NodeId(0), &KEvent::Sink(put));
        let values = crate::kafka::wire::values::Values::from([v]);
        let send = KEvent::Send {
            producer: 0,
            p: 0,
            values,
        };
        obs.observe(SimTime::ZERO, NodeId(0), &send);
        assert_eq!(
            (sink.borrow().delivered.len(), kafka.borrow().invoked),
            (1, 1)
        );
    }

    #[test]
    fn delivery_during_a_retry_is_counted_until_dead_lettered() {
        let v = |n: u64| (1u64 << 40) | n;
        let mut c = SinkChecker::default();
        let put = |n: u64| SinkEvent::Put {
            p: 0,
            offset: n - 1,
            value: v(n),
        };
        c.observe(&put(1));
        c.observe(&SinkEvent::RetryTopicProduced {
            p: 0,
            offset: 1,
            value: v(2),
            attempt: 1,
            retry_offset: 0,
        });
        c.observe(&put(3));
        c.observe(&SinkEvent::DlqProduced {
            p: 1,
            offset: 0,
            value: v(2),
            dlq_offset: 0,
            headers: false,
        });
        c.observe(&put(4));
        assert_eq!(c.delivered_while_retrying, 1);
        assert_eq!(c.retry_topic_produced, 1);
    }
}
