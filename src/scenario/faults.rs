//! Validation of a scenario's `faults`: times inside the run, known node names, valid link
//! settings and targets, and faults the kernel can resolve. Errors point at the fault's field.
//! Link settings (of a `SetLink` fault or the `network` section) are checked here too.

use super::limits;
use crate::diagnostic::{Diagnostic, locate_path};
use msgsim_models::SystemConfig;
use msgsim_sim::{FaultSpec, Latency, LinkConfig};

/// Path (below the fault) of the first node name in `fault` that is not in `names`.
fn unknown_node_path(fault: &FaultSpec, names: &[String]) -> Option<(Vec<String>, String)> {
    (fault.node_paths().into_iter())
        .find(|(_, n)| !names.iter().any(|known| known == n))
        .map(|(path, n)| (path, n.to_string()))
}

pub(super) fn validate_faults(
    path: &str,
    src: &str,
    faults: &[FaultSpec],
    duration_ms: u64,
    system: &SystemConfig,
    names: &[String],
) -> Result<(), Diagnostic> {
    let fail = |at: Vec<String>, msg: String| {
        let at: Vec<&str> = at.iter().map(String::as_str).collect();
        Err(Diagnostic::at(path, src, locate_path(src, &at), msg))
    };
    let targets = system.message_targets();
    if faults.len() > limits::FAULTS_MAX {
        return fail(
            vec!["faults".into()],
            format!("more than {} faults", limits::FAULTS_MAX),
        );
    }
    for (i, fault) in faults.iter().enumerate() {
        let at_path = |rest: &[&str]| {
            let mut v = vec!["faults".to_string(), i.to_string()];
            v.extend(rest.iter().map(|r| r.to_string()));
            v
        };
        let at = fault.at_ms();
        if at > duration_ms {
            return fail(
                at_path(&["at_ms"]),
                format!(
                    "fault at {at} ms is past the end of the run (duration_ms = {}); faults stop when the quiet phase starts",
                    duration_ms
                ),
            );
        }
        if let Some((rest, name)) = unknown_node_path(fault, names) {
            let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
            return fail(
                at_path(&rest),
                format!(
                    "unknown node `{name}` in faults[{i}] (nodes: {})",
                    names.join(", ")
                ),
            );
        }
        if let FaultSpec::SetLink { link, .. } = fault
            && let Err((field, m)) = check_link(link)
        {
            return fail(
                at_path(&["link", field]),
                format!("faults[{i}].link.{field}: {m}"),
            );
        }
        if let Err((field, m)) = crate::target_check::check(fault, &targets) {
            return fail(at_path(&field), format!("faults[{i}]: {m}"));
        }
        if let Err(m) = fault.resolve(names) {
            let field = match fault {
                FaultSpec::ClockSkew { .. } if m.contains("drift") => "drift_ppm",
                FaultSpec::ClockSkew { .. } => "offset_ms",
                FaultSpec::Partition { .. } => "groups",
                FaultSpec::Target { .. } if m.contains("nth") => "nth",
                FaultSpec::Target { .. } => "action",
                _ => "at_ms",
            };
            return fail(at_path(&[field]), format!("faults[{i}]: {m}"));
        }
    }
    Ok(())
}

/// A link's parameters: probabilities in 0..=1, latency ordered and bounded. `Err((field, why))`.
pub(super) fn check_link(link: &LinkConfig) -> Result<(), (&'static str, String)> {
    for (name, p) in [("loss", link.loss), ("duplicate", link.duplicate)] {
        if !(0.0..=1.0).contains(&p) {
            return Err((name, format!("probability {p} is outside 0..=1")));
        }
    }
    link.latency.validate().map_err(|m| ("latency", m))?;
    let largest = match link.latency {
        Latency::Constant { us } => us,
        Latency::Uniform { min_us, max_us } => min_us.max(max_us),
        Latency::Exponential { min_us, mean_us } => min_us.max(mean_us),
    };
    if largest > limits::LATENCY_US_MAX {
        return Err((
            "latency",
            format!(
                "{largest} us is above the limit of {} us (1 hour)",
                limits::LATENCY_US_MAX
            ),
        ));
    }
    if link.jitter_us > limits::LATENCY_US_MAX {
        return Err((
            "jitter_us",
            format!(
                "{} us is above the limit of {} us (1 hour)",
                link.jitter_us,
                limits::LATENCY_US_MAX
            ),
        ));
    }
    Ok(())
}
