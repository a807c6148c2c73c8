//! The scenario file: a versioned RON schema (`version: 1`), its loader and its semantic
//! validation. Every schema struct denies unknown fields. Errors carry `file:line:col`.

use crate::diagnostic::{Diagnostic, locate_path};
use crate::expect::Expectation;
use msgsim_models::SystemConfig;
use msgsim_sim::{FaultProfile, FaultSpec, NetworkSpec};
use serde::{Deserialize, Serialize};
use std::path::Path;

mod faults;
use faults::check_link;

/// The schema version this msgsim reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

pub mod limits;

/// Fields of a `system` section that count nodes (bounded by [`limits::NODES_MAX`] before the
/// model sees them).
pub const NODE_COUNT_FIELDS: &[&str] = &[
    "clients",
    "servers",
    "brokers",
    "controllers",
    "producers",
    "consumers",
    "replicas",
    "sentinels",
    "publishers",
    "subscribers",
    "nodes",
];

/// Guard rails a scenario may tighten (or loosen up to the documented bounds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSpec {
    /// Most events one run may process before it is stopped (exit 3).
    pub max_events: u64,
    /// Most messages in flight at once before the run is stopped (exit 3).
    pub max_in_flight: usize,
    /// Most events waiting in the queue at once (messages, timers) before the run is stopped.
    pub max_queued_events: usize,
}

impl Default for LimitsSpec {
    fn default() -> Self {
        LimitsSpec {
            max_events: 2_000_000_000,
            max_in_flight: 10_000_000,
            max_queued_events: 20_000_000,
        }
    }
}

/// A scenario, version 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Must be 1.
    pub version: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The seed; `--seed` and `MSGSIM_SEED` override it.
    #[serde(default)]
    pub seed: u64,
    /// Workload and faults run for this long...
    pub duration_ms: u64,
    /// ...then the quiet phase: faults healed, crashed nodes restarted, clients wind down.
    #[serde(default = "default_quiet_ms")]
    pub quiet_ms: u64,
    #[serde(default)]
    pub network: NetworkSpec,
    /// The system under test and its configuration.
    pub system: SystemConfig,
    /// Explicit fault schedule.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// Generated faults, drawn from the seed (added to the explicit schedule).
    #[serde(default)]
    pub fault_profile: Option<FaultProfile>,
    /// What must hold, e.g. `"delivered >= 1000"`, `"anomaly:lost_write == 0"`; a prefix
    /// `invariant:` or `observation:` says which kind of promise it is (`guarantee.rs`).
    #[serde(default)]
    pub expect: Vec<String>,
    #[serde(default)]
    pub limits: LimitsSpec,
}

fn default_quiet_ms() -> u64 {
    5_000
}

/// A loaded, validated scenario with its source (for diagnostics and hashing).
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    pub path: String,
    pub source: String,
    pub scenario: Scenario,
    pub expectations: Vec<Expectation>,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

fn ron_options() -> ron::Options {
    use ron::extensions::Extensions;
    ron::Options::default()
        .with_default_extension(Extensions::UNWRAP_VARIANT_NEWTYPES | Extensions::IMPLICIT_SOME)
}

/// Read, parse and validate a scenario file.
pub fn load(path: &Path) -> Result<LoadedScenario, Diagnostic> {
    let display = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| Diagnostic::io(&display, format!("cannot read scenario: {e}")))?;
    if meta.len() > limits::FILE_BYTES_MAX {
        return Err(Diagnostic::io(
            &display,
            format!(
                "scenario file is {} bytes; the limit is {}",
                meta.len(),
                limits::FILE_BYTES_MAX
            ),
        ));
    }
    // Read at most one byte past the limit: a FIFO or a device reports no length.
    let mut bytes = Vec::new();
    let file = std::fs::File::open(path)
        .map_err(|e| Diagnostic::io(&display, format!("cannot read scenario: {e}")))?;
    use std::io::Read;
    file.take(limits::FILE_BYTES_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Diagnostic::io(&display, format!("cannot read scenario: {e}")))?;
    parse_bytes(&display, &bytes)
}

/// Parse and validate scenario bytes: the size limit, UTF-8 (the first bad byte is located),
/// then [`parse`].
pub fn parse_bytes(path: &str, bytes: &[u8]) -> Result<LoadedScenario, Diagnostic> {
    if bytes.len() as u64 > limits::FILE_BYTES_MAX {
        return Err(Diagnostic::io(
            path,
            format!(
                "scenario file is larger than the limit of {} bytes",
                limits::FILE_BYTES_MAX
            ),
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(path, text.to_string()),
        Err(e) => {
            let good = e.valid_up_to();
            // Render with the valid prefix; the caret sits right after it.
            let prefix = String::from_utf8_lossy(&bytes[..good]).into_owned();
            let at = crate::diagnostic::line_col(&prefix, good);
            Err(Diagnostic::at(
                path,
                &prefix,
                at,
                format!("scenario is not UTF-8: invalid byte 0x{:02x}", bytes[good]),
            ))
        }
    }
}

/// Parse and validate scenario text (`path` is only used in messages).
pub fn parse(path: &str, source: String) -> Result<LoadedScenario, Diagnostic> {
    if source.trim().is_empty() {
        let at = crate::diagnostic::LineCol { line: 1, col: 1 };
        return Err(Diagnostic::at(
            path,
            &source,
            at,
            "the scenario file is empty; expected `(version: 1, ...)`".into(),
        ));
    }
    let scenario: Scenario = ron_options()
        .from_str(&source)
        .map_err(|e| Diagnostic::from_ron(path, &source, &e))?;
    let expectations = validate(path, &source, &scenario)?;
    let sha256 = sha256_hex(source.as_bytes());
    Ok(LoadedScenario {
        path: path.to_string(),
        source,
        scenario,
        expectations,
        sha256,
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Write a scenario back as RON (failing seeds, shrunk cases).
pub fn to_ron(scenario: &Scenario) -> String {
    let config = ron::ser::PrettyConfig::default()
        .struct_names(false)
        .compact_arrays(false);
    let body = ron_options()
        .to_string_pretty(scenario, config)
        .expect("scenario serialises");
    format!("#![enable(unwrap_variant_newtypes, implicit_some)]\n{body}\n")
}

/// Semantic checks, each reported at the spot in the file it is about.
fn validate(path: &str, src: &str, s: &Scenario) -> Result<Vec<Expectation>, Diagnostic> {
    let fail = |at: &[&str], msg: String| Err(Diagnostic::at(path, src, locate_path(src, at), msg));
    if s.version != SCHEMA_VERSION {
        return fail(
            &["version"],
            format!(
                "unsupported scenario version {}; this msgsim reads version {SCHEMA_VERSION}",
                s.version
            ),
        );
    }
    if s.duration_ms == 0 {
        return fail(&["duration_ms"], "duration_ms must be positive".into());
    }
    if s.duration_ms.saturating_add(s.quiet_ms) > limits::DURATION_MS_MAX {
        let field = if s.quiet_ms > s.duration_ms {
            "quiet_ms"
        } else {
            "duration_ms"
        };
        return fail(
            &[field],
            format!(
                "duration_ms + quiet_ms is above the limit of {} ms (30 days)",
                limits::DURATION_MS_MAX
            ),
        );
    }
    if s.limits.max_events == 0 || s.limits.max_events > limits::EVENTS_MAX {
        return fail(
            &["limits", "max_events"],
            format!("max_events must be in 1..={}", limits::EVENTS_MAX),
        );
    }
    if s.limits.max_in_flight == 0 || s.limits.max_in_flight > limits::IN_FLIGHT_MAX {
        return fail(
            &["limits", "max_in_flight"],
            format!("max_in_flight must be in 1..={}", limits::IN_FLIGHT_MAX),
        );
    }
    if s.limits.max_queued_events == 0 || s.limits.max_queued_events > limits::QUEUED_MAX {
        return fail(
            &["limits", "max_queued_events"],
            format!("max_queued_events must be in 1..={}", limits::QUEUED_MAX),
        );
    }
    if s.network.conn_break_detect_ms > limits::DETECT_MS_MAX {
        return fail(
            &["network", "conn_break_detect_ms"],
            format!(
                "conn_break_detect_ms is above the limit of {} ms",
                limits::DETECT_MS_MAX
            ),
        );
    }
    if let Err((field, m)) = check_link(&s.network.default) {
        return fail(
            &["network", "default", field],
            format!("network.default.{field}: {m}"),
        );
    }
    // Bound the system section's sizes before the model computes anything from them.
    let mut trail = Vec::new();
    if let Ok(value) = serde_json::to_value(&s.system)
        && let Some((fields, m)) = check_system_bounds(&value, &mut trail)
    {
        let mut at = vec!["system"];
        at.extend(fields.iter().skip(1).map(String::as_str));
        return fail(&at, m);
    }
    if let Err((field, m)) = s.system.validate() {
        // A nested field comes back dotted (`sink.errors_retry_timeout_ms`).
        let mut at = vec!["system"];
        at.extend(field.split('.'));
        return fail(&at, format!("system.{field}: {m}"));
    }
    if let Some((fields, m)) = system_time_past_end(&s.system, s.duration_ms, s.quiet_ms) {
        let mut at = vec!["system"];
        at.extend(fields.iter().map(String::as_str));
        return fail(&at, m);
    }
    let names = s.system.node_names();
    let mut pairs = 0u64;
    for (i, link) in s.network.links.iter().enumerate() {
        let index = i.to_string();
        if let Err((field, m)) = check_link(&link.link) {
            return fail(
                &["network", "links", &index, "link", field],
                format!("network.links[{i}].link.{field}: {m}"),
            );
        }
        for (side, list) in [("from", &link.from), ("to", &link.to)] {
            if let Some(j) = list.iter().position(|n| !names.contains(n)) {
                return fail(
                    &["network", "links", &index, side, &j.to_string()],
                    format!(
                        "unknown node `{}` in network.links[{i}].{side} (nodes: {})",
                        list[j],
                        names.join(", ")
                    ),
                );
            }
        }
        pairs = pairs.saturating_add((link.from.len() as u64).saturating_mul(link.to.len() as u64));
        if pairs > limits::LINK_PAIRS_MAX {
            return fail(
                &["network", "links", &index],
                format!(
                    "network.links name more than {} directed links in total",
                    limits::LINK_PAIRS_MAX
                ),
            );
        }
    }
    faults::validate_faults(path, src, &s.faults, s.duration_ms, &s.system, &names)?;
    if let Some(profile) = &s.fault_profile {
        if let Err((field, m)) = check_profile(profile, s.duration_ms) {
            return fail(
                &["fault_profile", field],
                format!("fault_profile.{field}: {m}"),
            );
        }
        if let Some(j) = profile.targets.iter().position(|n| !names.contains(n)) {
            return fail(
                &["fault_profile", "targets", &j.to_string()],
                format!(
                    "unknown node `{}` in fault_profile.targets (nodes: {})",
                    profile.targets[j],
                    names.join(", ")
                ),
            );
        }
    }
    if s.expect.len() > limits::EXPECTATIONS_MAX {
        return fail(
            &["expect"],
            format!("more than {} expectations", limits::EXPECTATIONS_MAX),
        );
    }
    let vocabulary = s.system.vocabulary();
    s.expect
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let at = || locate_path(src, &["expect", &i.to_string()]);
            let tag = crate::guarantee::parse_tag(text)
                .map_err(|m| Diagnostic::at(path, src, at(), m))?;
            let e = Expectation::parse(tag.rest, &vocabulary)
                .map_err(|m| Diagnostic::at(path, src, at(), m))?;
            if let Some((node, _)) = vocabulary.node_metric(&e.metric) {
                let nodes = s.system.fault_targets();
                if !nodes.iter().any(|n| n == node) {
                    let msg = format!(
                        "expectation `{text}`: no node `{node}` reports `{}` (nodes: {})",
                        e.metric,
                        nodes.join(", ")
                    );
                    return Err(Diagnostic::at(path, src, at(), msg));
                }
            }
            Ok(e)
        })
        .collect()
}

/// A fault profile's parameters, and how many faults it would generate. `Err((field, why))`.
fn check_profile(p: &FaultProfile, duration_ms: u64) -> Result<(), (&'static str, String)> {
    if !(0.0..=1.0).contains(&p.lose_unflushed_probability) {
        return Err((
            "lose_unflushed_probability",
            format!(
                "probability {} is outside 0..=1",
                p.lose_unflushed_probability
            ),
        ));
    }
    if p.interval_ms_mean == 0 {
        return Err(("interval_ms_mean", "must be positive".into()));
    }
    for (field, v) in [
        ("interval_ms_mean", p.interval_ms_mean),
        ("duration_ms_max", p.duration_ms_max),
        ("start_ms", p.start_ms),
    ] {
        if v > limits::DURATION_MS_MAX {
            return Err((
                field,
                format!(
                    "{v} ms is above the limit of {} ms (30 days)",
                    limits::DURATION_MS_MAX
                ),
            ));
        }
    }
    if p.duration_ms_min > p.duration_ms_max {
        return Err((
            "duration_ms_min",
            format!(
                "{} is larger than duration_ms_max {}",
                p.duration_ms_min, p.duration_ms_max
            ),
        ));
    }
    if p.skew_ms_max > limits::SKEW_MS_MAX {
        return Err((
            "skew_ms_max",
            format!(
                "{} ms is above the limit of {} ms (1 year)",
                p.skew_ms_max,
                limits::SKEW_MS_MAX
            ),
        ));
    }
    p.validate().map_err(|m| ("interval_ms_mean", m))?;
    let per_fault = p.interval_ms_mean + (p.duration_ms_min + p.duration_ms_max) / 2;
    let expected = duration_ms.saturating_sub(p.start_ms) / per_fault.max(1);
    if expected > limits::PROFILE_FAULTS_MAX {
        return Err((
            "interval_ms_mean",
            format!(
                "this profile would generate about {expected} faults in {duration_ms} ms, above the limit of {}; raise interval_ms_mean or duration_ms_min",
                limits::PROFILE_FAULTS_MAX
            ),
        ));
    }
    Ok(())
}

/// Bounds on every number in the system section, by field name: node counts, `*_bytes`,
/// `*_ms`, `*_us`, `*_ns`, `*_ns_per_byte`. Returns the field path and the message.
fn check_system_bounds(
    value: &serde_json::Value,
    trail: &mut Vec<String>,
) -> Option<(Vec<String>, String)> {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                trail.push(k.clone());
                if let Some(found) = check_system_bounds(v, trail) {
                    return Some(found);
                }
                trail.pop();
            }
            None
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                trail.push(i.to_string());
                if let Some(found) = check_system_bounds(v, trail) {
                    return Some(found);
                }
                trail.pop();
            }
            None
        }
        serde_json::Value::Number(n) => {
            let key = trail
                .iter()
                .rev()
                .find(|k| k.parse::<usize>().is_err())?
                .as_str();
            let v = n.as_u64()?;
            let (max, what) = if NODE_COUNT_FIELDS.contains(&key) {
                (limits::NODES_MAX, "nodes")
            } else if key.ends_with("_ns_per_byte") {
                (limits::NS_PER_BYTE_MAX, "ns per byte")
            } else if key.ends_with("_bytes") {
                (limits::BYTES_MAX, "bytes")
            } else if key.ends_with("_ms") {
                (limits::SYSTEM_MS_MAX, "ms")
            } else if key.ends_with("_us") {
                (limits::SYSTEM_US_MAX, "us")
            } else if key.ends_with("_ns") {
                (limits::SYSTEM_NS_MAX, "ns")
            } else {
                return None;
            };
            (v > max).then(|| {
                let dotted = trail.iter().skip(1).cloned().collect::<Vec<_>>().join(".");
                (
                    trail.clone(),
                    format!("system.{dotted}: {v} is above the limit of {max} {what}"),
                )
            })
        }
        _ => None,
    }
}

/// Scheduled model events (Redis script steps and workload starts, Kafka controlled shutdowns
/// and client starts) must fall inside the run, like faults: one past `duration_ms` would never
/// happen, and the file would silently test less than it says. Returns the path below `system`.
fn system_time_past_end(
    system: &SystemConfig,
    duration_ms: u64,
    quiet_ms: u64,
) -> Option<(Vec<String>, String)> {
    // Script steps and client workloads may act in the quiet phase (a check after the faults
    // stopped); controlled shutdowns are faults and stop with them.
    let end = duration_ms.saturating_add(quiet_ms);
    let past = |v: u64| v > end;
    let msg = |what: String, v: u64| {
        format!("{what} at {v} ms is past the end of the run (duration_ms + quiet_ms = {end})")
    };
    let fault_msg = |what: String, v: u64| {
        format!("{what} at {v} ms is past the end of the run (duration_ms = {duration_ms})")
    };
    let path = |parts: &[&str]| parts.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    match system {
        SystemConfig::Redis(c) => {
            for (i, st) in c.script.iter().enumerate() {
                if past(st.at_ms) {
                    let m = msg(format!("system.script[{i}]: the step"), st.at_ms);
                    return Some((path(&["script", &i.to_string(), "at_ms"]), m));
                }
            }
            for (i, cl) in c.clients.iter().enumerate() {
                let starts = [
                    (
                        "publish",
                        "start_ms",
                        cl.publish.as_ref().map(|p| p.start_ms),
                    ),
                    ("write", "start_ms", cl.write.as_ref().map(|w| w.start_ms)),
                    ("write", "stop_ms", cl.write.as_ref().map(|w| w.stop_ms)),
                    (
                        "stream_produce",
                        "start_ms",
                        cl.stream_produce.as_ref().map(|x| x.start_ms),
                    ),
                ];
                for (load, field, v) in starts {
                    if let Some(v) = v.filter(|v| past(*v)) {
                        let what = format!("system.clients[{i}] `{}`: {load}.{field}", cl.name);
                        return Some((
                            path(&["clients", &i.to_string(), load, field]),
                            msg(what, v),
                        ));
                    }
                }
            }
            None
        }
        SystemConfig::Kafka(c) => {
            for (i, st) in c.script.iter().enumerate() {
                if past(st.at_ms) {
                    let m = msg(format!("system.script[{i}]: the step"), st.at_ms);
                    return Some((path(&["script", &i.to_string(), "at_ms"]), m));
                }
            }
            for (i, cs) in c.controlled_shutdowns.iter().enumerate() {
                if cs.at_ms > duration_ms {
                    let what = format!("system.controlled_shutdowns[{i}]: the shutdown");
                    return Some((
                        path(&["controlled_shutdowns", &i.to_string(), "at_ms"]),
                        fault_msg(what, cs.at_ms),
                    ));
                }
            }
            for (i, a) in c.admin.iter().enumerate() {
                if past(a.at_ms) {
                    let m = msg(format!("system.admin[{i}]: the operation"), a.at_ms);
                    return Some((path(&["admin", &i.to_string(), "at_ms"]), m));
                }
            }
            for (field, v) in [
                ("producer_start_ms", c.producer_start_ms),
                ("consumer_start_ms", c.consumer_start_ms),
                (
                    "transactional_standby_start_ms",
                    c.transactional_standby_start_ms,
                ),
            ] {
                if past(v) {
                    return Some((path(&[field]), msg(format!("system.{field}"), v)));
                }
            }
            None
        }
        SystemConfig::Echo(_) => None,
    }
}
