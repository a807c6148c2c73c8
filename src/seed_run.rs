//! One scenario run with one seed, as a sweep sees it: the run, its panics caught, and how it
//! ended (`Verdict`, `SeedResult`). Used by `explore.rs` and `shrink.rs`.

use msgsim::expect::Expectation;
use msgsim::guarantee::Kind;
use msgsim::runner::{self, RunOptions};
use msgsim::scenario::Scenario;
use msgsim_models::report::Explanation;
use msgsim_models::system::RunError;
use msgsim_sim::FaultProfile;
use std::collections::BTreeMap;
use std::time::Instant;

/// How one seed ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Pass,
    /// An invariant failed (an observation miss alone is still a pass: see `guarantee.rs`).
    Fail,
    /// A kernel guard rail tripped (max events, max in flight...).
    Error(String),
    /// The simulator panicked.
    Panic(String),
}

impl Verdict {
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error(_) => "error",
            Verdict::Panic(_) => "panic",
        }
    }
}

/// A failed expectation: its text (without its `invariant:` / `observation:` tag) and the
/// observed value.
#[derive(Clone, Debug, PartialEq)]
pub struct Failed {
    pub expectation: String,
    pub observed: f64,
}

/// One seed's result.
#[derive(Clone, Debug)]
pub struct SeedResult {
    pub seed: u64,
    pub verdict: Verdict,
    pub trace_hash: Option<u64>,
    pub events: u64,
    /// Non-zero anomaly counts.
    pub anomalies: BTreeMap<String, u64>,
    /// Per non-zero anomaly: its causes, counts and first examples.
    pub explanations: BTreeMap<String, Vec<Explanation>>,
    /// The model's observations (`acked`, `max_send_to_ack_ms`, ...).
    pub observations: BTreeMap<String, f64>,
    /// Coverage counters (`sometimes`): kernel faults and model probes.
    pub sometimes: BTreeMap<String, u64>,
    /// Invariants that failed: these make the seed fail.
    pub failed: Vec<Failed>,
    /// Observations of the scenario's own schedule that missed: reported, not failing.
    pub missed: Vec<Failed>,
    /// Invariants that failed in a seed where a fault they are not promised under fired
    /// (`invariant unless FAULT:`), with the faults that fired: reported, not failing.
    pub outside_scope: Vec<(Failed, Vec<&'static str>)>,
    pub families: Vec<&'static str>,
    pub faults: usize,
    pub wall_ms: f64,
    /// For a failing seed: the explicit scenario as RON, and whether replaying it gave the
    /// same trace hash.
    pub repro: Option<(String, bool)>,
}

impl SeedResult {
    pub fn failing(&self) -> bool {
        self.verdict != Verdict::Pass
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// Run one scenario with one seed, catching panics. `Err` is a configuration error (bad input,
/// the same for every seed).
pub fn run_one(
    scenario: &Scenario,
    expectations: &[Expectation],
    seed: u64,
    profile: Option<&FaultProfile>,
) -> Result<SeedResult, String> {
    let options = RunOptions {
        seed,
        trace_out: None,
        profile: profile.cloned(),
    };
    #[allow(clippy::disallowed_methods)] // wall time for wall_ms and seeds/s only; never in results
    let started = Instant::now();
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runner::run_scenario(scenario, expectations, options)
    }));
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut result = SeedResult {
        seed,
        verdict: Verdict::Pass,
        trace_hash: None,
        events: 0,
        anomalies: BTreeMap::new(),
        explanations: BTreeMap::new(),
        observations: BTreeMap::new(),
        sometimes: BTreeMap::new(),
        failed: Vec::new(),
        missed: Vec::new(),
        outside_scope: Vec::new(),
        families: Vec::new(),
        faults: 0,
        wall_ms,
        repro: None,
    };
    match ran {
        Ok(Ok(o)) => {
            result.trace_hash = Some(o.report.stats.trace_hash);
            result.events = o.report.stats.events;
            result.anomalies = o
                .report
                .anomalies
                .iter()
                .filter(|(_, v)| **v > 0)
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            result.explanations = o
                .report
                .explanations
                .iter()
                .filter(|(k, _)| result.anomalies.contains_key(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            result.observations = o.report.observations.clone();
            result.sometimes = o.report.sometimes.clone();
            for (((e, c), kind), unless) in expectations
                .iter()
                .zip(&o.checked)
                .zip(&o.kinds)
                .zip(&o.scopes)
            {
                if c.ok {
                    continue;
                }
                let f = Failed {
                    expectation: e.text.clone(),
                    observed: c.observed,
                };
                let fired: Vec<&'static str> = unless
                    .iter()
                    .copied()
                    .filter(|n| result.sometimes.get(*n).is_some_and(|v| *v > 0))
                    .collect();
                match kind {
                    Kind::Invariant if fired.is_empty() => result.failed.push(f),
                    Kind::Invariant => result.outside_scope.push((f, fired)),
                    Kind::Observation => result.missed.push(f),
                }
            }
            result.families = o.families;
            result.faults = o.faults.len();
            if !result.failed.is_empty() {
                result.verdict = Verdict::Fail;
            }
        }
        Ok(Err(RunError::Config(m))) => return Err(m),
        Ok(Err(RunError::Sim(e))) => result.verdict = Verdict::Error(e.to_string()),
        Err(p) => result.verdict = Verdict::Panic(panic_message(p.as_ref())),
    }
    Ok(result)
}
