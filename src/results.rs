//! What a sweep writes per seed: the `results.jsonl` row (verdict, failed invariants, missed
//! observations, anomalies with their causes and first examples, the model's observations,
//! coverage counters, the `--vary` values) and the repro files' names and headers.

use crate::seed_run::{SeedResult, Verdict};
use msgsim::output;
use msgsim::scenario::LoadedScenario;
use serde_json::{Map, Value, json};
use std::path::Path;

/// The `--vary` values a sweep runs with, and the tag its files carry (empty without).
#[derive(Clone, Debug, Default)]
pub struct VaryPoint {
    pub values: Vec<(String, Value)>,
    pub tag: String,
}

pub fn seed_file(seed: u64, tag: &str) -> String {
    if tag.is_empty() {
        format!("seed-{seed}.ron")
    } else {
        format!("seed-{seed}.{tag}.ron")
    }
}

pub fn min_file(seed: u64, tag: &str) -> String {
    if tag.is_empty() {
        format!("seed-{seed}.min.ron")
    } else {
        format!("seed-{seed}.{tag}.min.ron")
    }
}

pub fn failure_text(r: &SeedResult) -> String {
    match &r.verdict {
        Verdict::Error(m) => format!("guard rail: {m}"),
        Verdict::Panic(m) => format!("panic: {m}"),
        _ => r
            .failed
            .iter()
            .map(|f| format!("{} (observed {})", f.expectation, f.observed))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn expectations(list: &[crate::seed_run::Failed]) -> Vec<Value> {
    list.iter()
        .map(|f| json!({"expectation": f.expectation, "observed": f.observed}))
        .collect()
}

/// Invariants that failed outside their scope, each with the faults that put it there.
fn outside_scope(list: &[(crate::seed_run::Failed, Vec<&'static str>)]) -> Vec<Value> {
    list.iter()
        .map(|(f, fired)| {
            json!({"expectation": f.expectation, "observed": f.observed, "faults": fired})
        })
        .collect()
}

/// One `results.jsonl` line. Everything but `wall_ms` is deterministic.
pub fn result_json(loaded: &LoadedScenario, r: &SeedResult, vary: &VaryPoint) -> Value {
    let mut v = json!({
        "seed": r.seed,
        "verdict": r.verdict.name(),
        "trace_hash": r.trace_hash.map(|h| format!("{h:016x}")),
        "events": r.events,
        "anomalies": r.anomalies,
        "explanations": r.explanations,
        "failed": expectations(&r.failed),
        "missed": expectations(&r.missed),
        "outside_scope": outside_scope(&r.outside_scope),
        "observations": r.observations,
        "sometimes": r.sometimes,
        "fault_families": r.families,
        "faults": r.faults,
        "msgsim_version": output::VERSION,
        "model": loaded.scenario.system.model_name(),
        "scenario": loaded.scenario.name,
        "scenario_sha256": loaded.sha256,
        "repro": r.repro.as_ref().map(|_| seed_file(r.seed, &vary.tag)),
        "wall_ms": (r.wall_ms * 1000.0).round() / 1000.0,
    });
    if !vary.values.is_empty() {
        let m: Map<String, Value> = vary.values.iter().cloned().collect();
        v["vary"] = Value::Object(m);
    }
    if let Verdict::Error(m) | Verdict::Panic(m) = &r.verdict {
        v["error"] = json!(m);
    }
    if let Some((_, ok)) = &r.repro {
        v["replay_verified"] = json!(ok);
    }
    v
}

pub fn repro_header(loaded: &LoadedScenario, r: &SeedResult, out: &Path, tag: &str) -> String {
    let replay = if matches!(r.repro, Some((_, true))) {
        "verified"
    } else {
        "NOT verified"
    };
    format!(
        "// msgsim {} explore: seed {} of {} (sha256 {}){} failed: {}\n// trace hash {} ({} events); replay {replay}: msgsim run {}\n",
        output::VERSION,
        r.seed,
        loaded.path,
        loaded.sha256,
        if tag.is_empty() {
            String::new()
        } else {
            format!(" with {tag}")
        },
        failure_text(r),
        r.trace_hash
            .map(|h| format!("{h:016x}"))
            .unwrap_or_else(|| "-".into()),
        r.events,
        out.join(seed_file(r.seed, tag)).display(),
    )
}

/// Comments go after the `#![enable(...)]` line, which must come first.
pub fn with_header(header: &str, ron: &str) -> String {
    match ron.split_once('\n') {
        Some((first, rest)) if first.starts_with("#![") => format!("{first}\n{header}{rest}"),
        _ => format!("{header}{ron}"),
    }
}
