//! `--profile NAME`: a preset fault profile fitted to the scenario. The preset replaces the
//! file's fault families and rates, but keeps the file's `start_ms` and `targets` when the file
//! has a `fault_profile`; without one, generated faults start after the model's warm-up
//! (`SystemConfig::warm_up_ms`: leaders elected, groups joined, replicas synced) rather than at
//! the preset's 1 s. `--fault-start-ms` and `--targets` override both.

use crate::scenario::Scenario;
use msgsim_sim::FaultProfile;

/// Overrides of a preset from the command line.
#[derive(Clone, Debug, Default)]
pub struct ProfileOverrides {
    pub start_ms: Option<u64>,
    pub targets: Option<Vec<String>>,
}

/// The preset `name` fitted to `scenario` (see the module documentation).
pub fn resolve(
    name: &str,
    scenario: &Scenario,
    overrides: &ProfileOverrides,
) -> Result<FaultProfile, String> {
    let mut p = FaultProfile::preset(name).ok_or_else(|| {
        format!(
            "unknown profile `{name}` (known: {})",
            FaultProfile::PRESETS.join(", ")
        )
    })?;
    match &scenario.fault_profile {
        Some(file) => {
            p.start_ms = file.start_ms;
            p.targets = file.targets.clone();
        }
        None => p.start_ms = p.start_ms.max(scenario.system.warm_up_ms()),
    }
    if let Some(s) = overrides.start_ms {
        p.start_ms = s;
    }
    if let Some(t) = &overrides.targets {
        let names = scenario.system.node_names();
        if let Some(bad) = t.iter().find(|n| !names.contains(n)) {
            return Err(format!(
                "--targets: unknown node `{bad}` (nodes: {})",
                names.join(", ")
            ));
        }
        p.targets = t.clone();
    }
    p.validate()?;
    Ok(p)
}
