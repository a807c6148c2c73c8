//! The integration tests as one binary.
//!
//! Every `tests/*.rs` file used to be its own test crate, and each was linked on its own with
//! the release profile's LTO: about 17 s of CPU per file, re-optimising the whole simulator each
//! time (≈ 5 minutes of CI's 20 on 2 cores for 17 files). Here they are modules of one crate, so
//! the simulator is optimised and linked once. The helpers two files share are declared here
//! once (`common`: the oracle runner; `sweep_cli`: the explore/triage work directories). Two suites stay separate binaries because
//! their modules name their own crate root (`crate::case`, `crate::run`): the differential Redis
//! conformance (`tests/redis_conformance.rs`) and the verdict properties
//! (`tests/proptest_verdicts.rs`). Cargo.toml lists the three (`autotests = false`).
//!
//! Run one file's tests by its module: `cargo test --release --test suite kafka_oracles::`.

mod common;
mod sweep_cli;

#[path = "architecture.rs"]
mod architecture;
#[path = "bad_input.rs"]
mod bad_input;
#[path = "cli.rs"]
mod cli;
#[path = "compare.rs"]
mod compare;
#[path = "determinism.rs"]
mod determinism;
#[path = "docs_links.rs"]
mod docs_links;
#[path = "echo_oracles.rs"]
mod echo_oracles;
#[path = "explore.rs"]
mod explore;
#[path = "export.rs"]
mod export;
#[path = "kafka_oracles.rs"]
mod kafka_oracles;
#[path = "parse_fuzz.rs"]
mod parse_fuzz;
#[path = "proptest_models.rs"]
mod proptest_models;
#[path = "proptest_scenarios.rs"]
mod proptest_scenarios;
#[path = "redis_oracles.rs"]
mod redis_oracles;
#[path = "scale_out.rs"]
mod scale_out;
#[path = "triage.rs"]
mod triage;
#[path = "unknown_fields.rs"]
mod unknown_fields;
#[path = "vocabulary.rs"]
mod vocabulary;
