//! Running a loaded scenario with one seed: expand the fault profile, build the model, run it,
//! check the expectations. Wall-clock time is measured here, outside the simulation, for the
//! performance figures only.

use crate::expect::Checked;
use crate::guarantee::{self, Kind};
use crate::scenario::{LoadedScenario, Scenario};
use msgsim_models::system::RunError;
use msgsim_models::{ModelReport, RunSetup};
use msgsim_sim::{FaultProfile, FaultSpec, Limits, SimDuration};
use std::io::Write;
use std::time::{Duration, Instant};

/// Per-run options beyond the scenario.
#[derive(Default)]
pub struct RunOptions {
    pub seed: u64,
    /// Write the JSON-lines trace here.
    pub trace_out: Option<Box<dyn Write>>,
    /// Replace the scenario's fault profile (`--profile NAME`).
    pub profile: Option<FaultProfile>,
}

pub struct RunOutcome {
    pub report: ModelReport,
    pub checked: Vec<Checked>,
    /// The kind of each expectation (same order as `checked`).
    pub kinds: Vec<Kind>,
    /// The faults each invariant is not promised under (`invariant unless ...:`; same order).
    pub scopes: Vec<Vec<&'static str>>,
    /// Every expectation held (what `msgsim run` judges).
    pub pass: bool,
    pub wall: Duration,
    /// The explicit schedule the run used (scenario faults + generated ones), sorted by time.
    pub faults: Vec<FaultSpec>,
    /// Fault families the nemesis kept for this seed (empty without a profile).
    pub families: Vec<&'static str>,
}

impl RunOutcome {
    pub fn events_per_sec(&self) -> f64 {
        self.report.stats.events as f64 / self.wall.as_secs_f64().max(1e-9)
    }
    pub fn deliveries_per_sec(&self) -> f64 {
        self.report.stats.deliveries as f64 / self.wall.as_secs_f64().max(1e-9)
    }
    /// Simulated time per wall time.
    pub fn speedup(&self) -> f64 {
        self.report.stats.end_time.as_nanos() as f64 / self.wall.as_nanos().max(1) as f64
    }
}

/// The full fault schedule for `seed`: explicit faults plus what the profile generates.
pub fn schedule(
    scenario: &Scenario,
    seed: u64,
    profile: Option<&FaultProfile>,
) -> (Vec<&'static str>, Vec<FaultSpec>) {
    let mut faults = scenario.faults.clone();
    let mut families = Vec::new();
    if let Some(profile) = profile.or(scenario.fault_profile.as_ref()) {
        let all = scenario.system.node_names();
        let targets = if profile.targets.is_empty() {
            scenario.system.fault_targets()
        } else {
            profile.targets.clone()
        };
        let (kept, generated) = profile.generate(seed, &targets, &all, scenario.duration_ms);
        families = kept;
        faults.extend(generated);
        if let Some(resets) =
            crate::reset_faults::generate(profile, &scenario.system, seed, scenario.duration_ms)
        {
            families.push(crate::reset_faults::FAMILY);
            faults.extend(resets);
        }
    }
    faults.sort_by_key(FaultSpec::at_ms);
    (families, faults)
}

/// The scenario with `seed` fixed and every fault explicit: replays to the same trace hash.
pub fn explicit(scenario: &Scenario, seed: u64, profile: Option<&FaultProfile>) -> Scenario {
    let (_, faults) = schedule(scenario, seed, profile);
    Scenario {
        seed,
        faults,
        fault_profile: None,
        ..scenario.clone()
    }
}

pub fn run(loaded: &LoadedScenario, options: RunOptions) -> Result<RunOutcome, RunError> {
    run_scenario(&loaded.scenario, &loaded.expectations, options)
}

pub fn run_scenario(
    scenario: &Scenario,
    expectations: &[crate::expect::Expectation],
    options: RunOptions,
) -> Result<RunOutcome, RunError> {
    let (families, faults) = schedule(scenario, options.seed, options.profile.as_ref());
    let mut setup = RunSetup::new(
        options.seed,
        SimDuration::from_millis(scenario.duration_ms),
        SimDuration::from_millis(scenario.quiet_ms),
    );
    setup.network = scenario.network.clone();
    setup.faults = faults.clone();
    setup.limits = Limits {
        max_events: scenario.limits.max_events,
        max_in_flight: scenario.limits.max_in_flight,
        max_queued_events: scenario.limits.max_queued_events,
        ..Limits::default()
    };
    setup.trace_out = options.trace_out;
    #[allow(clippy::disallowed_methods)] // wall time for the performance figures only
    let started = Instant::now();
    let report = scenario.system.run(setup)?;
    let wall = started.elapsed();
    let checked: Vec<Checked> = expectations.iter().map(|e| e.check(&report)).collect();
    let pass = checked.iter().all(|c| c.ok);
    let kinds = guarantee::kinds(&scenario.expect, expectations);
    let scopes = guarantee::scopes(&scenario.expect, expectations.len());
    Ok(RunOutcome {
        report,
        checked,
        kinds,
        scopes,
        pass,
        wall,
        faults,
        families,
    })
}
