//! Wider generated cases for `proptest_verdicts.rs` (sink pipelines, consume-transform-produce
//! and controlled shutdowns for Kafka; Streams consumer groups for Redis), each with the rule
//! its model promises. They extend the base cases of `proptest_verdicts.rs` and reuse its rules.

pub mod kafka;
pub mod redis;

use crate::{anomaly, nonzero, obs};
use msgsim::runner::RunOutcome;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// A base rule's verdict, forgiven when the only complaint is the fault-free rule and every
/// anomaly the run reports is one the wider case's additions allow.
fn base_verdict_or_allowed(
    base: Result<(), String>,
    o: &RunOutcome,
    allowed: &[&str],
) -> Result<(), String> {
    let Err(why) = base else { return Ok(()) };
    let explained = why.starts_with("healthy run reports anomalies")
        && nonzero(o)
            .iter()
            .all(|(k, _)| allowed.contains(&k.as_str()));
    if explained { Ok(()) } else { Err(why) }
}

/// The wide strategies reach what they add: over a fixed sample (a deterministic proptest RNG),
/// some runs dead-letter records, fail a Connect task, lose nothing in exactly-once CTP while
/// committing outputs, have a controlled shutdown handled, and deliver stream entries — so a
/// rule that can never fire is noticed.
#[test]
fn wide_strategies_reach_their_features() {
    let mut runner = TestRunner::deterministic();
    let (mut dlq, mut failed, mut ctp, mut shutdown, mut retry_topic) = (0, 0, 0, 0, 0);
    let strategy = kafka::wide_kafka_case(2);
    for seed in 0..60u64 {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        let o = crate::run(&case.ron(), seed);
        dlq += usize::from(obs(&o, "dlq_records") > 0.0);
        failed += usize::from(obs(&o, "task_failed") > 0.0);
        retry_topic += usize::from(obs(&o, "retry_topic_records") > 0.0);
        ctp += usize::from(obs(&o, "ctp_output_committed") > 0.0);
        shutdown += usize::from(
            o.report
                .sometimes
                .get("kafka:controlled_shutdown_handled")
                .is_some_and(|n| *n > 0),
        );
    }
    let counts = [dlq, failed, retry_topic, ctp, shutdown];
    assert!(
        counts.iter().all(|c| *c > 0),
        "dlq, task failed, retry topic, ctp, shutdown: {counts:?}"
    );
    let strategy = redis::wide_redis_case(2);
    let (mut streams, mut redelivered) = (0, 0);
    for seed in 0..30u64 {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        let o = crate::run(&case.ron(), seed);
        streams += usize::from(obs(&o, "stream_delivered") > 0.0);
        redelivered += usize::from(anomaly(&o, "stream_redelivered") > 0);
    }
    assert!(
        streams > 0 && redelivered > 0,
        "streams {streams}, redelivered {redelivered}"
    );
}
