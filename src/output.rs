//! What `msgsim run` prints: the startup banner (the settings the scenario changed, to stderr), the text
//! summary and the JSON object (to stdout).

use crate::runner::RunOutcome;
use crate::scenario::LoadedScenario;
use msgsim_models::banner::changed_settings;
use msgsim_sim::{FaultProfile, FaultSpec};
use serde_json::{Map, Value, json};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The banner: enough to reproduce the run from a pasted log.
pub fn banner(
    loaded: &LoadedScenario,
    seed: u64,
    profile: Option<&FaultProfile>,
    families: &[&str],
    faults: &[FaultSpec],
) -> String {
    let s = &loaded.scenario;
    let mut out = format!(
        "msgsim {VERSION}  seed={seed}  scenario={} sha256={}  model={}\n",
        loaded.path,
        &loaded.sha256[..16],
        s.system.model_name()
    );
    let mut lines = match profile.or(s.fault_profile.as_ref()) {
        Some(p) => changed_settings(&format!("fault profile [{}]", families.join(",")), p),
        None => vec!["fault profile: none (explicit schedule only)".to_string()],
    };
    lines.extend(changed_settings("network", &s.network));
    lines.extend(s.system.banner());
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!(
        "run: duration_ms={} quiet_ms={} max_events={} max_in_flight={} max_queued_events={} faults={} (explicit {}) trace_hash=on\n",
        s.duration_ms,
        s.quiet_ms,
        s.limits.max_events,
        s.limits.max_in_flight,
        s.limits.max_queued_events,
        faults.len(),
        s.faults.len()
    ));
    out
}

/// The repro command for a seed.
pub fn repro(loaded: &LoadedScenario, seed: u64) -> String {
    format!("msgsim run {} --seed {seed}", loaded.path)
}

pub fn text_summary(loaded: &LoadedScenario, seed: u64, o: &RunOutcome) -> String {
    let st = &o.report.stats;
    let mut out = String::new();
    out.push_str(&format!(
        "scenario    {} (seed {seed})\n",
        loaded.scenario.name
    ));
    out.push_str(&format!("events      {}\n", st.events));
    // Network messages (kernel counts), not the model's records: "delivered" in `observed`
    // is the model's own count.
    out.push_str(&format!(
        "network     {} messages sent, {} delivered, {} dropped\n",
        st.sends,
        st.deliveries,
        st.drops.values().sum::<u64>()
    ));
    out.push_str(&format!("sim time    {}\n", st.end_time));
    out.push_str(&format!("wall time   {:.3}s\n", o.wall.as_secs_f64()));
    out.push_str(&format!("events/s    {:.0}\n", o.events_per_sec()));
    out.push_str(&format!("sim/wall    {:.2}x\n", o.speedup()));
    out.push_str(&format!("trace hash  {:016x}\n", st.trace_hash));
    let key: Vec<String> = loaded
        .scenario
        .system
        .key_observations()
        .iter()
        .filter_map(|k| o.report.observations.get(*k).map(|v| format!("{k}={v}")))
        .collect();
    if !key.is_empty() {
        out.push_str(&format!("observed    {}\n", key.join(" ")));
    }
    if !o.report.anomalies.is_empty() {
        out.push_str(&format!(
            "anomalies   {}\n",
            anomaly_line(&o.report.anomalies)
        ));
    }
    for (anomaly, list) in &o.report.explanations {
        for e in list {
            out.push_str(&format!("  {anomaly}: {} × {}", e.count, e.cause));
            if let Some(first) = e.examples.first() {
                out.push_str(&format!(", e.g. {first}"));
            }
            out.push('\n');
        }
    }
    if !o.report.sometimes.is_empty() {
        let list: Vec<String> = o
            .report
            .sometimes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out.push_str(&format!("sometimes   {}\n", list.join(" ")));
    }
    for ((c, kind), unless) in o.checked.iter().zip(&o.kinds).zip(&o.scopes) {
        let mark = if c.ok { "ok  " } else { "FAIL" };
        let scope = if unless.is_empty() {
            String::new()
        } else {
            format!(" unless {}", unless.join(", "))
        };
        out.push_str(&format!(
            "{mark} {} {} (observed {}) [{}{scope}]\n",
            c.name,
            c.expected,
            c.observed,
            kind.name()
        ));
    }
    out.push_str(&format!(
        "verdict     {}\n",
        if o.pass { "pass" } else { "fail" }
    ));
    out
}

/// Non-zero anomalies first (largest first), then the names that stayed at zero, counted.
fn anomaly_line(anomalies: &std::collections::BTreeMap<String, u64>) -> String {
    let mut hit: Vec<(&String, &u64)> = anomalies.iter().filter(|(_, v)| **v > 0).collect();
    hit.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let zero: Vec<&str> = anomalies
        .iter()
        .filter(|(_, v)| **v == 0)
        .map(|(k, _)| k.as_str())
        .collect();
    let mut parts: Vec<String> = hit.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if parts.is_empty() {
        parts.push("none".to_string());
    }
    if !zero.is_empty() {
        parts.push(format!("(0: {})", zero.join(" ")));
    }
    parts.join(" ")
}

pub fn json_summary(loaded: &LoadedScenario, seed: u64, o: &RunOutcome) -> Value {
    let st = &o.report.stats;
    let anomalies: Map<String, Value> = o
        .report
        .anomalies
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let sometimes: Map<String, Value> = o
        .report
        .sometimes
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let observations: Map<String, Value> = o
        .report
        .observations
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let expectations: Vec<Value> = o
        .checked
        .iter()
        .zip(&o.kinds)
        .zip(&o.scopes)
        .map(|((c, kind), unless)| {
            let mut v = json!(c);
            v["kind"] = json!(kind);
            if !unless.is_empty() {
                v["unless"] = json!(unless);
            }
            v
        })
        .collect();
    let drops: Map<String, Value> = st
        .drops
        .iter()
        .map(|(k, v)| ((*k).to_string(), json!(v)))
        .collect();
    json!({
        "scenario": loaded.scenario.name,
        "scenario_path": loaded.path,
        "scenario_sha256": loaded.sha256,
        "msgsim_version": VERSION,
        "model": loaded.scenario.system.model_name(),
        "seed": seed,
        "trace_hash": format!("{:016x}", st.trace_hash),
        "events": st.events,
        "sim_time_ns": st.end_time.as_nanos(),
        "wall_ms": o.wall.as_secs_f64() * 1e3,
        "events_per_sec": o.events_per_sec(),
        "deliveries": st.deliveries,
        "deliveries_per_sec": o.deliveries_per_sec(),
        "sends": st.sends,
        "drops": drops,
        "duplicates": st.duplicates,
        "timers_fired": st.timers_fired,
        "faults_applied": st.faults_applied,
        "peak_in_flight": st.peak_in_flight,
        "sim_wall_ratio": o.speedup(),
        "verdict": if o.pass { "pass" } else { "fail" },
        "expectations": expectations,
        "explanations": o.report.explanations,
        "anomalies": anomalies,
        "sometimes": sometimes,
        "observations": observations,
        "fault_families": o.families,
    })
}
