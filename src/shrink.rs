//! Minimizing a failing explicit scenario (seed fixed, every fault explicit) by delta debugging:
//! drop faults (ddmin), shorten the run and the quiet phase, shrink the workload (node counts,
//! windows, message counts of whatever model runs), then try the faults again. A candidate is
//! kept only if it still loads and still fails the same way: the same invariant with the same
//! kinds of anomalies (or the same guard rail / panic). The quiet phase is never shortened when
//! the failure involves a liveness anomaly (`guarantee::LIVENESS_ANOMALIES`): what a consumer
//! has not read when the run ends depends on how long it had to catch up, so a shorter quiet
//! phase turns a stall into "the last records had no time" — a different failure. Every
//! candidate is at most as large as the one before, field by field.

use crate::seed_run::{SeedResult, Verdict, run_one};
use msgsim::expect::Expectation;
use msgsim::scenario::{self, Scenario};
use msgsim_models::SystemConfig;
use msgsim_sim::FaultSpec;
use std::fmt;

/// Most runs one minimization may spend.
pub const RUN_BUDGET: usize = 200;

/// Workload fields a minimization may lower (to at least 1), in any model's configuration.
/// Lowering a node count drops the faults and link overrides that name removed nodes.
pub const WORKLOAD_FIELDS: &[&str] = &[
    "clients",
    "servers",
    "window",
    "requests_per_client",
    "brokers",
    "producers",
    "consumers",
    "partitions",
    "topics",
    "replicas",
    "sentinels",
    "publishers",
    "subscribers",
    "messages_per_producer",
    "messages_per_client",
    "in_flight",
];

/// How a run must fail to count as "the same failure".
#[derive(Clone, Debug, PartialEq)]
pub enum Signature {
    /// This invariant (its text) fails, with exactly these kinds of anomalies (non-zero).
    Expectation(String, Vec<String>),
    /// A guard rail trips.
    Error,
    /// The simulator panics.
    Panic,
}

impl Signature {
    pub fn of(r: &SeedResult) -> Signature {
        match &r.verdict {
            Verdict::Error(_) => Signature::Error,
            Verdict::Panic(_) => Signature::Panic,
            _ => Signature::Expectation(
                r.failed
                    .first()
                    .map(|f| f.expectation.clone())
                    .unwrap_or_default(),
                r.anomalies.keys().cloned().collect(),
            ),
        }
    }

    fn matches(&self, r: &SeedResult) -> bool {
        match self {
            Signature::Expectation(e, anomalies) => {
                r.verdict == Verdict::Fail
                    && r.failed.iter().any(|f| &f.expectation == e)
                    && r.anomalies.keys().eq(anomalies.iter())
            }
            Signature::Error => matches!(r.verdict, Verdict::Error(_)),
            Signature::Panic => matches!(r.verdict, Verdict::Panic(_)),
        }
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signature::Expectation(e, a) if a.is_empty() => write!(f, "{e}"),
            Signature::Expectation(e, a) => write!(f, "{e} with anomalies {{{}}}", a.join(",")),
            Signature::Error => write!(f, "a guard rail"),
            Signature::Panic => write!(f, "a panic"),
        }
    }
}

pub struct Minimized {
    pub scenario: Scenario,
    pub signature: Signature,
    pub runs: usize,
    /// What shrank, e.g. `faults 12 → 2`.
    pub steps: Vec<String>,
}

struct Search<'a> {
    expectations: &'a [Expectation],
    signature: &'a Signature,
    runs: usize,
    budget: usize,
}

impl Search<'_> {
    fn exhausted(&self) -> bool {
        self.runs >= self.budget
    }

    /// Does `candidate` still load and fail the same way?
    fn fails(&mut self, candidate: &Scenario) -> bool {
        if self.exhausted() {
            return false;
        }
        // Through the loader: a kept candidate is always a valid scenario file.
        let Ok(loaded) = scenario::parse("candidate.ron", scenario::to_ron(candidate)) else {
            return false;
        };
        self.runs += 1;
        match run_one(
            &loaded.scenario,
            self.expectations,
            loaded.scenario.seed,
            None,
        ) {
            Ok(r) => self.signature.matches(&r),
            Err(_) => false,
        }
    }

    /// Classic ddmin over the fault list: remove chunks while the failure persists.
    fn ddmin_faults(&mut self, s: &mut Scenario) {
        if s.faults.is_empty() {
            return;
        }
        let without_all = Scenario {
            faults: Vec::new(),
            ..s.clone()
        };
        if self.fails(&without_all) {
            *s = without_all;
            return;
        }
        let mut n = 2usize;
        while s.faults.len() >= 2 && !self.exhausted() {
            let len = s.faults.len();
            let chunk = len.div_ceil(n);
            let mut reduced = false;
            for start in (0..len).step_by(chunk) {
                let end = (start + chunk).min(len);
                // Try the chunk alone, then its complement.
                let only = Scenario {
                    faults: s.faults[start..end].to_vec(),
                    ..s.clone()
                };
                if end - start < len && self.fails(&only) {
                    *s = only;
                    n = 2;
                    reduced = true;
                    break;
                }
                let mut rest = s.faults[..start].to_vec();
                rest.extend_from_slice(&s.faults[end..]);
                let complement = Scenario {
                    faults: rest,
                    ..s.clone()
                };
                if self.fails(&complement) {
                    *s = complement;
                    n = (n - 1).max(2);
                    reduced = true;
                    break;
                }
            }
            if !reduced {
                if n >= len {
                    break;
                }
                n = (2 * n).min(len);
            }
        }
        if s.faults.len() == 1 && !self.exhausted() {
            let none = Scenario {
                faults: Vec::new(),
                ..s.clone()
            };
            if self.fails(&none) {
                *s = none;
            }
        }
    }

    /// Binary search for the smallest value in `[lo, current]` that still fails, assuming
    /// (roughly) monotone behaviour; `make` builds the candidate for a value.
    fn lower(
        &mut self,
        current: u64,
        lo: u64,
        make: &dyn Fn(u64) -> Option<Scenario>,
    ) -> Option<(u64, Scenario)> {
        let mut best: Option<(u64, Scenario)> = None;
        let (mut lo, mut hi) = (lo, current);
        if lo >= hi {
            return None;
        }
        // Try the bottom first: often the answer.
        if let Some(c) = make(lo)
            && self.fails(&c)
        {
            return Some((lo, c));
        }
        while hi - lo > 1 && !self.exhausted() {
            let mid = lo + (hi - lo) / 2;
            match make(mid) {
                Some(c) if self.fails(&c) => {
                    hi = mid;
                    best = Some((mid, c));
                }
                _ => lo = mid,
            }
            // Stop at ~5 % precision: the last runs buy little.
            if hi - lo <= (hi / 20).max(1) {
                break;
            }
        }
        best
    }

    fn shrink_duration(&mut self, s: &mut Scenario, steps: &mut Vec<String>, keep_quiet: bool) {
        let last_fault = s.faults.iter().map(FaultSpec::at_ms).max().unwrap_or(0);
        let before = s.duration_ms;
        let base = s.clone();
        if let Some((d, c)) = self.lower(s.duration_ms, last_fault.max(1), &|d| {
            Some(Scenario {
                duration_ms: d,
                ..base.clone()
            })
        }) {
            *s = c;
            steps.push(format!("duration_ms {before} → {d}"));
        }
        if keep_quiet {
            return;
        }
        let before = s.quiet_ms;
        let base = s.clone();
        if let Some((q, c)) = self.lower(s.quiet_ms, 0, &|q| {
            Some(Scenario {
                quiet_ms: q,
                ..base.clone()
            })
        }) {
            *s = c;
            steps.push(format!("quiet_ms {before} → {q}"));
        }
    }

    fn shrink_workload(&mut self, s: &mut Scenario, steps: &mut Vec<String>) {
        let Ok(serde_json::Value::Object(top)) = serde_json::to_value(&s.system) else {
            return;
        };
        let Some((variant, serde_json::Value::Object(fields))) = top.into_iter().next() else {
            return;
        };
        for field in WORKLOAD_FIELDS {
            if self.exhausted() {
                return;
            }
            let Some(current) = fields.get(*field).and_then(serde_json::Value::as_u64) else {
                continue;
            };
            if current <= 1 {
                continue;
            }
            let base = s.clone();
            let variant = variant.clone();
            let make = |v: u64| -> Option<Scenario> {
                let Ok(serde_json::Value::Object(top)) = serde_json::to_value(&base.system) else {
                    return None;
                };
                let mut fields = top.get(&variant)?.as_object()?.clone();
                fields.insert((*field).to_string(), serde_json::Value::from(v));
                let system: SystemConfig =
                    serde_json::from_value(serde_json::json!({ variant.clone(): fields })).ok()?;
                system.validate().ok()?;
                Some(restrict(&base, system))
            };
            if let Some((v, c)) = self.lower(current, 1, &make) {
                let (faults_before, faults_after) = (s.faults.len(), c.faults.len());
                *s = c;
                steps.push(format!("{field} {current} → {v}"));
                if faults_after < faults_before {
                    steps.push(format!(
                        "(faults naming removed nodes dropped: {faults_before} → {faults_after})"
                    ));
                }
            }
        }
    }
}

/// `base` with `system`, keeping only the faults and link overrides whose nodes still exist.
fn restrict(base: &Scenario, system: SystemConfig) -> Scenario {
    let names = system.node_names();
    let keep = |list: &[String]| -> Vec<String> {
        list.iter().filter(|n| names.contains(n)).cloned().collect()
    };
    let faults = base
        .faults
        .iter()
        .filter_map(|f| {
            let mut f = f.clone();
            let ok = match &mut f {
                FaultSpec::Crash { node, .. }
                | FaultSpec::Restart { node, .. }
                | FaultSpec::Pause { node, .. }
                | FaultSpec::Resume { node, .. }
                | FaultSpec::Isolate { node, .. }
                | FaultSpec::ClockSkew { node, .. } => names.contains(node),
                FaultSpec::Partition { groups, .. } => {
                    *groups = groups
                        .iter()
                        .map(|g| keep(g))
                        .filter(|g| !g.is_empty())
                        .collect();
                    groups.len() >= 2
                }
                FaultSpec::PartitionOneWay { from, to, .. }
                | FaultSpec::Clog { from, to, .. }
                | FaultSpec::Unclog { from, to, .. }
                | FaultSpec::SetLink { from, to, .. } => {
                    *from = keep(from);
                    *to = keep(to);
                    !from.is_empty() && !to.is_empty()
                }
                FaultSpec::Heal { .. } => true,
                FaultSpec::ResetLink { a, b, .. } => names.contains(a) && names.contains(b),
                FaultSpec::Target { from, to, .. } => {
                    from.iter().chain(to.iter()).all(|n| names.contains(n))
                }
            };
            ok.then_some(f)
        })
        .collect();
    let mut network = base.network.clone();
    network.links = network
        .links
        .iter()
        .filter_map(|l| {
            let mut l = l.clone();
            l.from = keep(&l.from);
            l.to = keep(&l.to);
            (!l.from.is_empty() && !l.to.is_empty()).then_some(l)
        })
        .collect();
    let targets = base.fault_profile.clone().map(|mut p| {
        p.targets = keep(&p.targets);
        p
    });
    Scenario {
        system,
        faults,
        network,
        fault_profile: targets,
        ..base.clone()
    }
}

/// Shrink `scenario` (explicit: seed fixed, no profile) while it fails as `signature` says.
pub fn minimize(
    scenario: &Scenario,
    expectations: &[Expectation],
    signature: &Signature,
    budget: usize,
) -> Result<Minimized, String> {
    let mut search = Search {
        expectations,
        signature,
        runs: 0,
        budget,
    };
    let mut s = scenario.clone();
    if !search.fails(&s) {
        return Err(format!(
            "the explicit scenario does not fail with {signature} when run again"
        ));
    }
    let original = scenario.clone();
    let mut steps = Vec::new();
    // A lower bound (`delivered >= 1000`, `sometimes:partition == 1`) fails trivially in a
    // shorter or smaller run: then only the fault schedule shrinks.
    let size_may_shrink = upper_bound_only(signature, expectations);
    if !size_may_shrink {
        steps.push(format!(
            "duration and workload kept ({signature} is a lower bound)"
        ));
    }
    let keep_quiet = liveness(signature);
    if keep_quiet && size_may_shrink {
        steps.push(format!(
            "quiet_ms {} kept (liveness: the failure depends on the time to catch up)",
            s.quiet_ms
        ));
    }
    for round in 0..2 {
        let faults_before = s.faults.len();
        search.ddmin_faults(&mut s);
        if s.faults.len() < faults_before {
            steps.push(format!("faults {faults_before} → {}", s.faults.len()));
        }
        if !size_may_shrink {
            break;
        }
        let before = steps.len();
        search.shrink_duration(&mut s, &mut steps, keep_quiet);
        search.shrink_workload(&mut s, &mut steps);
        if steps.len() == before || search.exhausted() || round == 1 {
            break;
        }
    }
    debug_assert!(not_larger(&s, &original));
    if steps.is_empty() {
        steps.push("already minimal".into());
    }
    s.description = format!("{} Minimized: {}.", original.description, steps.join(", "));
    Ok(Minimized {
        scenario: s,
        signature: signature.clone(),
        runs: search.runs,
        steps,
    })
}

/// May a smaller run still fail for the same reason? Yes for a guard rail, a panic and an upper
/// bound (`lost == 0`, `anomaly:duplicate <= 3`); no for a lower bound, which a shorter run
/// fails trivially.
fn upper_bound_only(signature: &Signature, expectations: &[Expectation]) -> bool {
    use msgsim::expect::Op;
    let Signature::Expectation(text, _) = signature else {
        return true;
    };
    expectations
        .iter()
        .find(|e| &e.text == text)
        .is_some_and(|e| match e.op {
            Op::Le | Op::Lt => true,
            Op::Eq => e.value == 0.0,
            Op::Ge | Op::Gt | Op::Ne => false,
        })
}

/// Does the failure involve a liveness anomaly (in the failing invariant or among the
/// anomalies it came with)?
fn liveness(signature: &Signature) -> bool {
    let Signature::Expectation(text, anomalies) = signature else {
        return false;
    };
    msgsim::guarantee::LIVENESS_ANOMALIES
        .iter()
        .any(|l| anomalies.iter().any(|a| a == l) || text.contains(&format!("anomaly:{l}")))
}

/// Every dimension of `a` is at most that of `b`.
pub fn not_larger(a: &Scenario, b: &Scenario) -> bool {
    a.faults.len() <= b.faults.len() && a.duration_ms <= b.duration_ms && a.quiet_ms <= b.quiet_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Echo over a lossless link: only the crash of the one server loses requests; the clock
    /// skews of the clients change nothing the expectation sees.
    const FAILING: &str = r#"(
        version: 1,
        name: "shrink-me",
        seed: 1,
        duration_ms: 400,
        quiet_ms: 100,
        system: Echo(clients: 3, servers: 1, window: 4, timeout_ms: 20),
        faults: [
            ClockSkew(at_ms: 10, node: "c1", offset_ms: 5, drift_ppm: 0),
            ClockSkew(at_ms: 20, node: "c2", offset_ms: 5, drift_ppm: 0),
            Crash(at_ms: 100, node: "s1"),
            ClockSkew(at_ms: 150, node: "c3", offset_ms: 5, drift_ppm: 0),
            Restart(at_ms: 200, node: "s1"),
            ClockSkew(at_ms: 250, node: "c1", offset_ms: 0, drift_ppm: 0),
        ],
        expect: ["invariant: timed_out == 0"],
    )"#;

    fn failing() -> (Scenario, Vec<Expectation>, Signature) {
        let loaded = scenario::parse("shrink-me.ron", FAILING.to_string()).unwrap();
        let s = loaded.scenario;
        let r = run_one(&s, &loaded.expectations, s.seed, None).unwrap();
        assert_eq!(r.verdict, Verdict::Fail, "the fixture fails");
        let sig = Signature::of(&r);
        (s, loaded.expectations, sig)
    }

    #[test]
    fn minimize_drops_the_faults_the_failure_does_not_need() {
        let (s, expectations, sig) = failing();
        assert!(
            matches!(&sig, Signature::Expectation(t, _) if t.ends_with("timed_out == 0")),
            "{sig:?}"
        );
        let m = minimize(&s, &expectations, &sig, RUN_BUDGET).unwrap();
        // Only the crash is needed (the server never restarting loses as much).
        let names: Vec<String> = m.scenario.faults.iter().map(|f| format!("{f:?}")).collect();
        assert_eq!(m.scenario.faults.len(), 1, "{names:?}");
        assert!(names[0].starts_with("Crash"), "{names:?}");
        // An upper bound lets the run and the workload shrink too, and it still fails alike.
        assert!(m.scenario.duration_ms < s.duration_ms || m.scenario.quiet_ms < s.quiet_ms);
        assert!(not_larger(&m.scenario, &s));
        let again = run_one(&m.scenario, &expectations, m.scenario.seed, None).unwrap();
        assert!(
            sig.matches(&again),
            "the minimized scenario fails the same way"
        );
        assert!(m.runs > 1 && m.runs <= RUN_BUDGET);
    }

    #[test]
    fn a_scenario_that_passes_is_not_minimized() {
        let (mut s, expectations, sig) = failing();
        s.faults.clear();
        assert!(minimize(&s, &expectations, &sig, RUN_BUDGET).is_err());
    }

    #[test]
    fn only_upper_bounds_let_the_run_shrink() {
        let e = |t: &str| {
            let v = SystemConfig::Echo(Default::default()).vocabulary();
            Expectation::parse(t, &v).unwrap()
        };
        let exps = [
            e("lost == 0"),
            e("delivered >= 10"),
            e("lost <= 3"),
            e("lost != 1"),
        ];
        let sig = |t: &str| Signature::Expectation(t.into(), Vec::new());
        assert!(upper_bound_only(&sig("lost == 0"), &exps));
        assert!(upper_bound_only(&sig("lost <= 3"), &exps));
        assert!(!upper_bound_only(&sig("delivered >= 10"), &exps));
        assert!(!upper_bound_only(&sig("lost != 1"), &exps));
        assert!(upper_bound_only(&Signature::Panic, &exps));
    }
}
