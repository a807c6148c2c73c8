//! Every counted anomaly is explained (issue 13, item 2): over generated Kafka and Redis cases
//! (the wide strategies, with their generated faults), each non-zero anomaly's count is covered
//! exactly by explanations, each cause is one documented for that anomaly
//! (`msgsim_models::cause`), and each explanation carries at least one example.

use super::{kafka, redis};
use crate::{cases, run};
use msgsim::runner::RunOutcome;
use proptest::prelude::*;

fn explained(o: &RunOutcome) -> Result<(), String> {
    let r = &o.report;
    let unexplained = r.unexplained();
    if !unexplained.is_empty() {
        return Err(format!("unexplained anomaly counts: {unexplained:?}"));
    }
    for (anomaly, list) in &r.explanations {
        let count = r.anomalies.get(anomaly).copied().unwrap_or(0);
        let covered: u64 = list.iter().map(|e| e.count).sum();
        if covered != count {
            return Err(format!(
                "{anomaly}: explanations cover {covered} of {count}"
            ));
        }
        for e in list {
            if !msgsim_models::cause::of(anomaly).any(|c| c.name == e.cause) {
                return Err(format!("{anomaly}: undocumented cause `{}`", e.cause));
            }
            if e.examples.is_empty() || e.examples.iter().any(String::is_empty) {
                return Err(format!("{anomaly}/{}: no example", e.cause));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn kafka_anomalies_are_explained(case in kafka::wide_kafka_case(4), seed in 0u64..1_000) {
        let text = case.ron();
        let o = run(&text, seed);
        if let Err(why) = explained(&o) {
            return Err(TestCaseError::fail(format!("{why}\n{text}")));
        }
    }

    #[test]
    fn redis_anomalies_are_explained(case in redis::wide_redis_case(4), seed in 0u64..1_000) {
        let text = case.ron();
        let o = run(&text, seed);
        if let Err(why) = explained(&o) {
            return Err(TestCaseError::fail(format!("{why}\n{text}")));
        }
    }
}

/// Consume-transform-produce anomalies name the input records behind them (partition, offsets,
/// producer), not only how many: k18d (at-least-once) commits some inputs' outputs twice.
#[test]
fn exactly_once_examples_name_the_input_records() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/kafka/k18d-at-least-once-ctp.ron"
    );
    let o = run(&std::fs::read_to_string(path).unwrap(), 1);
    for anomaly in ["eos_duplicate", "processed_more_than_once"] {
        let list = &o.report.explanations[anomaly];
        let example = &list[0].examples[0];
        assert!(example.starts_with("p0 offsets "), "{anomaly}: {example}");
    }
}
