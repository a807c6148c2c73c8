//! The workload `msgsim compare` runs on every system, and the fault schedules it runs under.
//!
//! A workload is one producer writing `rate_per_s` messages of `message_bytes` from 200 ms on,
//! and three kinds of consumer, each measured in a run of its own (so every number in the table
//! belongs to one consumer and one replayable scenario): `steady` (there all the time), `away`
//! (its process is down from `away_from_ms` to `away_to_ms`) and `late` (starts at
//! `late_join_ms`, reading from the beginning where the system allows it).
//!
//! Faults are written with role names — `server`, `producer`, `consumer` — that each system
//! translates to its own nodes (Kafka `b1`/`p1`/`c1`, Redis `r1`/`producer`/`consumer`).

use crate::diagnostic::{Diagnostic, locate, locate_path};
use msgsim_sim::FaultSpec;
use serde::{Deserialize, Serialize};

/// The producers/consumers workload of a comparison (a RON file; every field has a default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Workload {
    pub name: String,
    pub seed: u64,
    pub duration_ms: u64,
    pub rate_per_s: u64,
    pub message_bytes: u64,
    pub away_from_ms: u64,
    pub away_to_ms: u64,
    pub late_join_ms: u64,
    /// The fault schedule: a preset name (`none`, `crash`, `partition`) or a fault file's path
    /// (relative to the working directory); `msgsim compare --faults` overrides it.
    pub faults: String,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            name: "default".into(),
            seed: 1,
            duration_ms: 10_000,
            rate_per_s: 100,
            message_bytes: 100,
            away_from_ms: 3_000,
            away_to_ms: 6_000,
            late_join_ms: 5_000,
            faults: "none".into(),
        }
    }
}

/// When the producer starts (after the Streams setup steps at 50–60 ms).
pub const PRODUCER_START_MS: u64 = 200;

/// The fault presets (`--faults NAME`).
pub const PRESETS: [&str; 3] = ["none", "crash", "partition"];

impl Workload {
    /// Parse and validate workload text; errors name `file:line:col`.
    pub fn parse(path: &str, source: &str) -> Result<Workload, Diagnostic> {
        let w: Workload = ron::Options::default()
            .from_str(source)
            .map_err(|e| Diagnostic::from_ron(path, source, &e))?;
        let fail = |field: &str, msg: String| {
            Err(Diagnostic::at(
                path,
                source,
                locate_path(source, &[field]),
                msg,
            ))
        };
        if !(1_000..=600_000).contains(&w.duration_ms) {
            return fail(
                "duration_ms",
                "duration_ms must be in 1_000..=600_000".into(),
            );
        }
        if !(1..=10_000).contains(&w.rate_per_s) {
            return fail("rate_per_s", "rate_per_s must be in 1..=10_000".into());
        }
        if !(1..=1_048_000).contains(&w.message_bytes) {
            return fail(
                "message_bytes",
                "message_bytes must be in 1..=1_048_000 (the size row probes larger ones)".into(),
            );
        }
        if w.away_from_ms <= PRODUCER_START_MS
            || w.away_from_ms >= w.away_to_ms
            || w.away_to_ms >= w.duration_ms
        {
            return fail(
                "away_from_ms",
                format!(
                    "need {PRODUCER_START_MS} < away_from_ms < away_to_ms < duration_ms ({})",
                    w.duration_ms
                ),
            );
        }
        if w.late_join_ms <= PRODUCER_START_MS || w.late_join_ms >= w.duration_ms {
            return fail(
                "late_join_ms",
                format!("need {PRODUCER_START_MS} < late_join_ms < duration_ms"),
            );
        }
        if !PRESETS.contains(&w.faults.as_str()) && !std::path::Path::new(&w.faults).is_file() {
            return fail(
                "faults",
                format!(
                    "faults must be a preset ({}) or a fault file's path",
                    PRESETS.join(", ")
                ),
            );
        }
        Ok(w)
    }

    /// The preset's schedule, in role names: `crash` takes the (first) server down from 40 %
    /// to 60 % of the run, `partition` cuts the consumer off over the same window.
    pub fn preset(&self, name: &str) -> Option<Vec<FaultSpec>> {
        let (from, to) = (self.duration_ms * 4 / 10, self.duration_ms * 6 / 10);
        match name {
            "none" => Some(Vec::new()),
            "crash" => Some(vec![
                FaultSpec::Crash {
                    at_ms: from,
                    node: "server".into(),
                    lose_unflushed: false,
                },
                FaultSpec::Restart {
                    at_ms: to,
                    node: "server".into(),
                },
            ]),
            "partition" => Some(vec![
                FaultSpec::Isolate {
                    at_ms: from,
                    node: "consumer".into(),
                },
                FaultSpec::Heal { at_ms: to },
            ]),
            _ => None,
        }
    }
}

/// The workload in `path` if that file is one (`scenarios/quickstart.ron`), else `None`: lets
/// `msgsim run` and `msgsim check` take a workload where they take a scenario. A scenario
/// never parses as a workload (`version` and `system` are not workload fields).
pub fn sniff(path: &std::path::Path) -> Option<Workload> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(crate::scenario::limits::FILE_BYTES_MAX + 1)
        .read_to_string(&mut text)
        .ok()?;
    if text.len() as u64 > crate::scenario::limits::FILE_BYTES_MAX {
        return None;
    }
    Workload::parse(&path.display().to_string(), &text).ok()
}

/// The role names a fault file may use.
pub const ROLES: [&str; 3] = ["server", "producer", "consumer"];

/// Parse a fault file: a RON list of faults over role names.
pub fn parse_faults(path: &str, source: &str) -> Result<Vec<FaultSpec>, Diagnostic> {
    let faults: Vec<FaultSpec> = ron::Options::default()
        .from_str(source)
        .map_err(|e| Diagnostic::from_ron(path, source, &e))?;
    for f in &faults {
        let mut bad = None;
        map_nodes(f, &mut |n: &str| {
            if !ROLES.contains(&n) && bad.is_none() {
                bad = Some(n.to_string());
            }
            n.to_string()
        });
        if let Some(n) = bad {
            return Err(Diagnostic::at(
                path,
                source,
                locate(source, &[&format!("\"{n}\"")]),
                format!(
                    "unknown role `{n}`; faults name roles: {}",
                    ROLES.join(", ")
                ),
            ));
        }
    }
    Ok(faults)
}

/// The same fault with every node name passed through `f`.
pub fn map_nodes(fault: &FaultSpec, f: &mut dyn FnMut(&str) -> String) -> FaultSpec {
    let mut mapped = fault.clone();
    for name in mapped.node_names_mut() {
        *name = f(name);
    }
    mapped
}
