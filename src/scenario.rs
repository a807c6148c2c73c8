//! The scenario file: a versioned RON schema (`version: 1`), its loader and its semantic
//! validation. Every schema struct denies unknown fields. Errors carry `file:line:col`.

use crate::diagnostic::{Diagnostic, locate};
use crate::expect::Expectation;
use msgsim_models::SystemConfig;
use msgsim_sim::{FaultProfile, FaultSpec, NetworkSpec};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The schema version this msgsim reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Documented bounds on what a scenario may ask for (a small file must not ask for unbounded
/// memory or time).
pub mod limits {
    /// Largest scenario file read.
    pub const FILE_BYTES_MAX: u64 = 1 << 20;
    /// Longest simulated run (faults + quiet phase): 30 days.
    pub const DURATION_MS_MAX: u64 = 30 * 24 * 3_600_000;
    /// Most explicit faults.
    pub const FAULTS_MAX: usize = 100_000;
    /// Most expectations.
    pub const EXPECTATIONS_MAX: usize = 1_000;
    /// Largest `max_events` a scenario may set.
    pub const EVENTS_MAX: u64 = 20_000_000_000;
    /// Largest `max_in_flight` a scenario may set.
    pub const IN_FLIGHT_MAX: usize = 50_000_000;
    /// Largest connection-break detection delay: 1 hour.
    pub const DETECT_MS_MAX: u64 = 3_600_000;
}

/// Guard rails a scenario may tighten (or loosen up to the documented bounds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSpec {
    /// Most events one run may process before it is stopped (exit 3).
    pub max_events: u64,
    /// Most messages in flight at once before the run is stopped (exit 3).
    pub max_in_flight: usize,
}

impl Default for LimitsSpec {
    fn default() -> Self {
        LimitsSpec { max_events: 2_000_000_000, max_in_flight: 10_000_000 }
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
    /// What must hold, e.g. `"delivered >= 1000"`, `"anomaly:lost_write == 0"`.
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
            format!("scenario file is {} bytes; the limit is {}", meta.len(), limits::FILE_BYTES_MAX),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Diagnostic::io(&display, format!("cannot read scenario: {e}")))?;
    let source = String::from_utf8(bytes)
        .map_err(|e| Diagnostic::io(&display, format!("scenario is not UTF-8: {e}")))?;
    parse(&display, source)
}

/// Parse and validate scenario text (`path` is only used in messages).
pub fn parse(path: &str, source: String) -> Result<LoadedScenario, Diagnostic> {
    let scenario: Scenario = ron_options()
        .from_str(&source)
        .map_err(|e| Diagnostic::from_ron(path, &source, &e))?;
    let expectations = validate(path, &source, &scenario)?;
    let sha256 = sha256_hex(source.as_bytes());
    Ok(LoadedScenario { path: path.to_string(), source, scenario, expectations, sha256 })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Write a scenario back as RON (failing seeds, shrunk cases).
pub fn to_ron(scenario: &Scenario) -> String {
    let config = ron::ser::PrettyConfig::default().struct_names(false).compact_arrays(false);
    let body = ron_options().to_string_pretty(scenario, config).expect("scenario serialises");
    format!("#![enable(unwrap_variant_newtypes, implicit_some)]\n{body}\n")
}

/// Semantic checks, each reported at the spot in the file it is about.
fn validate(path: &str, src: &str, s: &Scenario) -> Result<Vec<Expectation>, Diagnostic> {
    let fail = |anchors: &[&str], msg: String| Err(Diagnostic::at(path, src, locate(src, anchors), msg));
    if s.version != SCHEMA_VERSION {
        return fail(&["version"], format!("unsupported scenario version {}; this msgsim reads version {SCHEMA_VERSION}", s.version));
    }
    if s.duration_ms == 0 {
        return fail(&["duration_ms"], "duration_ms must be positive".into());
    }
    if s.duration_ms.saturating_add(s.quiet_ms) > limits::DURATION_MS_MAX {
        return fail(&["duration_ms"], format!("duration_ms + quiet_ms is above the limit of {} ms (30 days)", limits::DURATION_MS_MAX));
    }
    if s.limits.max_events == 0 || s.limits.max_events > limits::EVENTS_MAX {
        return fail(&["max_events"], format!("max_events must be in 1..={}", limits::EVENTS_MAX));
    }
    if s.limits.max_in_flight == 0 || s.limits.max_in_flight > limits::IN_FLIGHT_MAX {
        return fail(&["max_in_flight"], format!("max_in_flight must be in 1..={}", limits::IN_FLIGHT_MAX));
    }
    if s.network.conn_break_detect_ms > limits::DETECT_MS_MAX {
        return fail(&["conn_break_detect_ms"], format!("conn_break_detect_ms is above the limit of {} ms", limits::DETECT_MS_MAX));
    }
    if let Err(m) = s.network.default.validate() {
        return fail(&["network", "default"], format!("network.default: {m}"));
    }
    if let Err((field, m)) = s.system.validate() {
        return fail(&["system", &format!("{field}:")], format!("system.{field}: {m}"));
    }
    let names = s.system.node_names();
    for link in &s.network.links {
        if let Err(m) = link.link.validate() {
            return fail(&["network", "links"], format!("network.links: {m}"));
        }
        for n in link.from.iter().chain(&link.to) {
            if !names.contains(n) {
                return fail(&["links", &format!("\"{n}\"")], format!("unknown node `{n}` in network.links (nodes: {})", names.join(", ")));
            }
        }
    }
    validate_faults(path, src, s, &names)?;
    if let Some(profile) = &s.fault_profile {
        if let Err(m) = profile.validate() {
            return fail(&["fault_profile"], format!("fault_profile: {m}"));
        }
        for n in &profile.targets {
            if !names.contains(n) {
                return fail(&["fault_profile", &format!("\"{n}\"")], format!("unknown node `{n}` in fault_profile.targets"));
            }
        }
    }
    if s.expect.len() > limits::EXPECTATIONS_MAX {
        return fail(&["expect"], format!("more than {} expectations", limits::EXPECTATIONS_MAX));
    }
    let metrics = s.system.metric_names();
    s.expect
        .iter()
        .map(|text| {
            Expectation::parse(text, metrics).map_err(|m| {
                Diagnostic::at(path, src, locate(src, &["expect", &format!("\"{text}\"")]), m)
            })
        })
        .collect()
}

fn validate_faults(path: &str, src: &str, s: &Scenario, names: &[String]) -> Result<(), Diagnostic> {
    if s.faults.len() > limits::FAULTS_MAX {
        return Err(Diagnostic::at(path, src, locate(src, &["faults"]), format!("more than {} faults", limits::FAULTS_MAX)));
    }
    for fault in &s.faults {
        let at = fault.at_ms();
        if at > s.duration_ms {
            let anchor = format!("at_ms: {at}");
            return Err(Diagnostic::at(
                path,
                src,
                locate(src, &["faults", &anchor]),
                format!("fault at {at} ms is past the end of the run (duration_ms = {}); faults stop when the quiet phase starts", s.duration_ms),
            ));
        }
        if let Err(m) = fault.resolve(names) {
            let anchor = fault
                .node_names()
                .into_iter()
                .find(|n| !names.iter().any(|x| x == n))
                .map(|n| format!("\"{n}\""))
                .unwrap_or_else(|| format!("at_ms: {at}"));
            return Err(Diagnostic::at(path, src, locate(src, &["faults", &anchor]), m));
        }
    }
    Ok(())
}
