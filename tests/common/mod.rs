//! Shared by the oracle test files: run one scenario over many seeds and collect every
//! expectation that failed.

use msgsim::runner::{self, RunOptions};
use msgsim::scenario;
use std::path::Path;

/// Seeds each oracle scenario runs over (1..=ORACLE_SEEDS).
pub const ORACLE_SEEDS: u64 = 20;

/// Run `scenarios/{dir}/{name}.ron` for every seed, and for the file's own seed (a regression
/// scenario keeps the seed its sweep found it with); panic listing every failed expectation.
pub fn oracle(dir: &str, name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(dir)
        .join(format!("{name}.ron"));
    let loaded = scenario::load(&path).unwrap_or_else(|d| panic!("{d}"));
    let mut failures = Vec::new();
    let own = loaded.scenario.seed;
    let extra = (own > ORACLE_SEEDS).then_some(own);
    for seed in (1..=ORACLE_SEEDS).chain(extra) {
        let options = RunOptions {
            seed,
            ..RunOptions::default()
        };
        let outcome =
            runner::run(&loaded, options).unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
        for c in outcome.checked.iter().filter(|c| !c.ok) {
            failures.push(format!("seed {seed}: {c:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: {} failing expectations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
