//! Benchmark of the Redis reference workload (`scenarios/bench/redis-reference.ron`: primary + 2
//! replicas + 3 sentinels, 10,000 msg/s pub/sub to 20 subscribers). divan runs the first
//! simulated minute(s) of it (before the scheduled failover) and reports pub/sub messages
//! delivered per second of wall time; the full hour with its failover is measured with
//! `msgsim run scenarios/bench/redis-reference.ron --json` (`sim_wall_ratio`).
//!
//! `cargo bench --bench redis`

use divan::Bencher;
use divan::counter::ItemsCount;
use msgsim::runner::{self, RunOptions};
use msgsim::scenario::{self, Scenario};
use std::path::Path;

fn main() {
    divan::main();
}

fn reference(sim_ms: u64) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench/redis-reference.ron");
    let loaded = scenario::load(&path).unwrap_or_else(|d| panic!("{d}"));
    let mut s = loaded.scenario;
    s.duration_ms = sim_ms;
    s.faults.retain(|f| f.at_ms() <= sim_ms);
    s
}

fn run(s: &Scenario) -> u64 {
    let outcome = runner::run_scenario(
        s,
        &[],
        RunOptions {
            seed: 1,
            ..RunOptions::default()
        },
    )
    .expect("redis reference runs");
    outcome
        .report
        .observations
        .get("pubsub_delivered")
        .copied()
        .unwrap_or(0.0) as u64
}

/// Simulated milliseconds of the reference workload per iteration.
#[divan::bench(args = [10_000, 60_000], sample_count = 3)]
fn redis_reference(bencher: Bencher, sim_ms: u64) {
    let s = reference(sim_ms);
    let delivered = run(&s);
    bencher
        .counter(ItemsCount::new(delivered))
        .bench(|| run(divan::black_box(&s)));
}
