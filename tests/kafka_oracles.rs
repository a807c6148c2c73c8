//! Kafka oracle cases K1–K20 (shared/reference/kafka.md §14): each scenario in scenarios/kafka
//! states its documented outcome as expectations; every one must hold over many seeds. The
//! outcomes come from the model's rules under the scenario's faults: no code knows a scenario.

use msgsim::runner::{self, RunOptions};
use msgsim::scenario;
use std::path::Path;

const SEEDS: u64 = 20;

fn oracle(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/kafka").join(format!("{name}.ron"));
    let loaded = scenario::load(&path).unwrap_or_else(|d| panic!("{d}"));
    let mut failures = Vec::new();
    for seed in 1..=SEEDS {
        let outcome = runner::run(&loaded, RunOptions { seed, ..RunOptions::default() })
            .unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
        for c in outcome.checked.iter().filter(|c| !c.ok) {
            failures.push(format!("seed {seed}: {c:?}"));
        }
    }
    assert!(failures.is_empty(), "{name}: {} failing expectations:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn healthy_cluster_has_no_anomalies() {
    oracle("healthy");
}

#[test]
fn k02_acks1_leader_crash_loses_acked_writes() {
    oracle("k02-acks1-leader-crash");
}

#[test]
fn k03_acks_all_min_isr_2_loses_nothing() {
    oracle("k03-acksall-no-loss");
}
