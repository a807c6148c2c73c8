//! Determinism over every shipped scenario (benchmarks excluded for time): the same seed gives
//! the same trace hash, different seeds give different hashes. Plus a property test over seeds
//! and generated fault schedules on the echo model.

use msgsim::runner::{self, RunOptions};
use msgsim::scenario;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "bench") {
                scenario_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "ron")
            && msgsim::compare::workload::sniff(&path).is_none()
        {
            // scenarios/quickstart.ron is a `compare` workload; tests/compare.rs runs it.
            out.push(path);
        }
    }
}

fn hash(loaded: &scenario::LoadedScenario, seed: u64) -> u64 {
    let outcome = runner::run(
        loaded,
        RunOptions {
            seed,
            ..RunOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", loaded.path));
    outcome.report.stats.trace_hash
}

#[test]
fn every_shipped_scenario_is_deterministic_and_seed_sensitive() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files = Vec::new();
    scenario_files(&root, &mut files);
    assert!(files.len() >= 3);
    for file in files {
        let loaded = scenario::load(&file).unwrap_or_else(|d| panic!("{d}"));
        let base = loaded.scenario.seed;
        let first = hash(&loaded, base);
        assert_eq!(
            first,
            hash(&loaded, base),
            "{}: same seed, different hash",
            file.display()
        );
        assert_ne!(
            first,
            hash(&loaded, base + 1),
            "{}: seeds {base} and {} collide",
            file.display(),
            base + 1
        );
    }
}

const ECHO: &str = r#"(
    version: 1,
    name: "prop",
    duration_ms: 2_000,
    quiet_ms: 500,
    network: (default: (latency: Uniform(min_us: 100, max_us: 2_000), loss: 0.01, duplicate: 0.01)),
    system: Echo(clients: 3, servers: 2, window: 2, timeout_ms: 100),
    fault_profile: (crash: true, pause: true, partition: true, clog: true, swarm: true,
                    interval_ms_mean: 200, duration_ms_min: 50, duration_ms_max: 400, start_ms: 0),
)"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn same_seed_same_hash_under_generated_faults(seed in any::<u64>()) {
        let loaded = scenario::parse("prop.ron", ECHO.to_string()).unwrap();
        let a = hash(&loaded, seed);
        prop_assert_eq!(a, hash(&loaded, seed));
        prop_assert_ne!(a, hash(&loaded, seed ^ 1));
    }
}
