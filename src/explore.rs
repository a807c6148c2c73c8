//! `msgsim explore`: run a scenario over a range of seeds in parallel (rayon), one JSON line per
//! seed in seed order, every failing seed written as a self-contained RON scenario, optionally
//! minimized (see `shrink.rs`). Results never depend on `--jobs`: seeds run in fixed chunks and
//! are collected in seed order; `--fail-fast N` cuts the list after the N-th failing seed.
//!
//! Sharding: seed `s` belongs to shard `I` of `N` when `s % N == I` (0-based); where the shard
//! comes from when no flag gives it is `shard_env.rs`.

use crate::budget::{self, Deadline};
use crate::coverage::{self, Progress};
use crate::explore_args::ExploreArgs;
use crate::seed_run::{SeedResult, Verdict, run_one};
use crate::seeds::Shard;
use crate::shard_env;
use crate::shrink;
use msgsim::runner;
use msgsim::scenario::{self, LoadedScenario, Scenario};
use msgsim::{exit, output};
use msgsim_sim::FaultProfile;
use rayon::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// Failing seeds minimized at most per sweep (each minimization is up to
/// [`shrink::RUN_BUDGET`] runs).
pub const MINIMIZE_MAX: usize = 16;

/// What explore needs for every run.
pub struct Plan<'a> {
    pub loaded: &'a LoadedScenario,
    pub profile: Option<&'a FaultProfile>,
    pub profile_name: Option<&'a str>,
}

/// Run a seed; for a failing one, build the explicit scenario and check that it replays.
fn run_seed(plan: &Plan<'_>, seed: u64) -> Result<SeedResult, String> {
    let loaded = plan.loaded;
    let mut result = run_one(&loaded.scenario, &loaded.expectations, seed, plan.profile)?;
    if result.failing() {
        let explicit = explicit_scenario(plan, &result);
        let ron = scenario::to_ron(&explicit);
        let replayed = scenario::parse("replay.ron", ron.clone())
            .ok()
            .and_then(|l| run_one(&l.scenario, &l.expectations, l.scenario.seed, None).ok())
            .is_some_and(|r| r.trace_hash == result.trace_hash && r.verdict == result.verdict);
        result.repro = Some((ron, replayed));
    }
    Ok(result)
}

fn failure_text(r: &SeedResult) -> String {
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

fn explicit_scenario(plan: &Plan<'_>, r: &SeedResult) -> Scenario {
    let loaded = plan.loaded;
    let mut s = runner::explicit(&loaded.scenario, r.seed, plan.profile);
    s.description = format!(
        "explore: seed {} of {} (sha256 {}{}) failed: {}. Fault schedule made explicit.",
        r.seed,
        loaded.path,
        &loaded.sha256[..16],
        plan.profile_name
            .map(|p| format!(", profile {p}"))
            .unwrap_or_default(),
        failure_text(r)
    );
    s
}

pub fn seed_file(seed: u64) -> String {
    format!("seed-{seed}.ron")
}

pub fn min_file(seed: u64) -> String {
    format!("seed-{seed}.min.ron")
}

/// One `results.jsonl` line. Everything but `wall_ms` is deterministic.
pub fn result_json(loaded: &LoadedScenario, r: &SeedResult) -> serde_json::Value {
    let failed: Vec<_> = r
        .failed
        .iter()
        .map(|f| json!({"expectation": f.expectation, "observed": f.observed}))
        .collect();
    let mut v = json!({
        "seed": r.seed,
        "verdict": r.verdict.name(),
        "trace_hash": r.trace_hash.map(|h| format!("{h:016x}")),
        "events": r.events,
        "anomalies": r.anomalies,
        "failed": failed,
        "fault_families": r.families,
        "faults": r.faults,
        "msgsim_version": output::VERSION,
        "scenario": loaded.scenario.name,
        "scenario_sha256": loaded.sha256,
        "repro": r.repro.as_ref().map(|_| seed_file(r.seed)),
        "wall_ms": (r.wall_ms * 1000.0).round() / 1000.0,
    });
    if let Verdict::Error(m) | Verdict::Panic(m) = &r.verdict {
        v["error"] = json!(m);
    }
    if let Some((_, ok)) = &r.repro {
        v["replay_verified"] = json!(ok);
    }
    v
}

fn bad_input(m: impl fmt::Display) -> i32 {
    eprintln!("error: {m}");
    exit::BAD_INPUT
}

/// Totals for the summary.
#[derive(Default)]
struct Tally {
    run: u64,
    pass: u64,
    fail: u64,
    error: u64,
    panic: u64,
    by_expectation: BTreeMap<String, u64>,
    by_anomaly: BTreeMap<String, u64>,
    first_failure: Option<u64>,
    unverified: Vec<u64>,
    failing: Vec<(u64, Scenario, shrink::Signature)>,
}

impl Tally {
    fn add(&mut self, r: &SeedResult) {
        self.run += 1;
        match &r.verdict {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Error(_) => self.error += 1,
            Verdict::Panic(_) => self.panic += 1,
        }
        if !r.failing() {
            return;
        }
        self.first_failure.get_or_insert(r.seed);
        for f in &r.failed {
            *self
                .by_expectation
                .entry(f.expectation.clone())
                .or_insert(0) += 1;
        }
        if let Verdict::Error(_) | Verdict::Panic(_) = r.verdict {
            *self
                .by_expectation
                .entry(format!("({})", r.verdict.name()))
                .or_insert(0) += 1;
        }
        for k in r.anomalies.keys() {
            *self.by_anomaly.entry(k.clone()).or_insert(0) += 1;
        }
        if matches!(&r.repro, Some((_, false))) {
            self.unverified.push(r.seed);
        }
    }
}

pub fn cmd_explore(args: ExploreArgs) -> i32 {
    let loaded = match scenario::load(&args.scenario) {
        Ok(l) => l,
        Err(d) => {
            eprint!("{d}");
            return exit::BAD_INPUT;
        }
    };
    let profile = match args.profile.as_deref() {
        None => None,
        Some(n) => match FaultProfile::preset(n) {
            Some(p) => Some(p),
            None => {
                return bad_input(format_args!(
                    "unknown profile `{n}` (known: {})",
                    FaultProfile::PRESETS.join(", ")
                ));
            }
        },
    };
    let (shard, shard_source) =
        match shard_env::resolve(args.shard, args.shard_count, &|k| std::env::var(k).ok()) {
            Ok(s) => s,
            Err(m) => return bad_input(m),
        };
    let pool = {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(j) = args.jobs {
            b = b.num_threads(j as usize);
        }
        match b.build() {
            Ok(p) => p,
            Err(e) => return bad_input(format_args!("cannot start worker threads: {e}")),
        }
    };
    let plan = Plan {
        loaded: &loaded,
        profile: profile.as_ref(),
        profile_name: args.profile.as_deref(),
    };
    if args.seeds.open && args.budget.is_none() {
        return bad_input(format_args!(
            "the seed range `{}` has no end: give one (A..B) or a wall-clock --budget",
            args.seeds
        ));
    }
    let total = shard.seed_count(args.seeds);
    eprintln!(
        "msgsim {} explore  scenario={} sha256={}  model={}  seeds={}  shard {} of {} (0-based, from {shard_source}): {}  jobs={}{}{}",
        output::VERSION,
        loaded.path,
        &loaded.sha256[..16],
        loaded.scenario.system.model_name(),
        args.seeds,
        shard.index,
        shard.count,
        if args.seeds.open {
            "open-ended".to_string()
        } else {
            format!("{total} seeds")
        },
        pool.current_num_threads(),
        args.profile
            .as_deref()
            .map(|p| format!("  profile={p}"))
            .unwrap_or_default(),
        args.budget
            .as_ref()
            .map(|b| format!("  budget={b} (per shard)"))
            .unwrap_or_default(),
    );
    let bar = progress_bar((!args.seeds.open).then_some(total));
    #[allow(clippy::disallowed_methods)] // wall time for wall_ms and seeds/s only; never in results
    let started = Instant::now();
    // The budget decides only when to stop launching seeds (between runs, never inside one).
    let deadline = Deadline::start(args.budget.as_ref());
    // Threads wait for each other at the end of every batch (its seeds are written in order
    // before the next batch starts): 64 seeds per thread keep that wait to ≈ 1 % of a sweep of
    // short, uneven seeds (8 per thread lost ≈ 10 % on 2 threads with the Redis scenarios).
    let chunk = (pool.current_num_threads() * 64).max(64);
    let mut seeds = shard.seeds(args.seeds).peekable();
    let mut tally = Tally::default();
    let mut results: Option<std::io::BufWriter<std::fs::File>> = None;
    let fail_fast = args.fail_fast.unwrap_or(u64::MAX);
    let mut failures = 0u64;
    let mut stopped_early = false;
    let mut out_of_budget = false;
    let mut last_seed: Option<u64> = None;
    loop {
        let batch: Vec<u64> = seeds.by_ref().take(chunk).collect();
        let done = batch.is_empty();
        // Seeds are claimed in order and each claimed seed completes: the outcomes are those of
        // a prefix of the batch (all of it unless the budget ran out). At least one seed runs.
        let outcomes: Vec<Result<SeedResult, String>> = budget::run_prefix(
            &pool,
            &batch,
            last_seed.is_none(),
            &|| deadline.passed(),
            &|&seed| {
                let r = run_seed(&plan, seed);
                bar.inc(1);
                r
            },
        );
        if outcomes.len() < batch.len() {
            out_of_budget = true;
        }
        if results.is_none() {
            // Created only once the first batch ran: a configuration error writes nothing.
            if let Some(Err(m)) = outcomes.iter().find(|r| r.is_err()) {
                bar.finish_and_clear();
                return bad_input(format_args!("{}: invalid configuration: {m}", loaded.path));
            }
            match open_results(&args.out) {
                Ok(f) => results = Some(f),
                Err(m) => {
                    bar.finish_and_clear();
                    return bad_input(m);
                }
            }
        }
        let file = results.as_mut().expect("results file is open");
        for outcome in outcomes {
            let r = match outcome {
                Ok(r) => r,
                Err(m) => {
                    bar.finish_and_clear();
                    eprintln!(
                        "error: {}: invalid configuration for one seed: {m}",
                        loaded.path
                    );
                    return exit::INTERNAL;
                }
            };
            if let Err(e) = writeln!(file, "{}", result_json(&loaded, &r)) {
                bar.finish_and_clear();
                eprintln!("error: {}: cannot write results: {e}", args.out.display());
                return exit::INTERNAL;
            }
            tally.add(&r);
            last_seed = Some(r.seed);
            if r.failing() {
                failures += 1;
                if let Some((ron, _)) = &r.repro {
                    let header = repro_header(&loaded, &r, &args.out);
                    if let Err(e) =
                        std::fs::write(args.out.join(seed_file(r.seed)), with_header(&header, ron))
                    {
                        eprintln!(
                            "error: {}: cannot write failing scenario: {e}",
                            args.out.display()
                        );
                        return exit::INTERNAL;
                    }
                    if args.minimize && tally.failing.len() < MINIMIZE_MAX {
                        tally.failing.push((
                            r.seed,
                            explicit_scenario(&plan, &r),
                            shrink::Signature::of(&r),
                        ));
                    }
                }
                if failures >= fail_fast {
                    stopped_early = true;
                    break;
                }
            }
        }
        if done || stopped_early || out_of_budget {
            break;
        }
    }
    if let Some(mut f) = results.take()
        && let Err(e) = f.flush()
    {
        eprintln!("error: {}: cannot write results: {e}", args.out.display());
        return exit::INTERNAL;
    }
    bar.finish_and_clear();
    let wall = started.elapsed();
    let minimized = if args.minimize {
        minimize_all(&pool, &loaded, &tally.failing, &args.out)
    } else {
        Vec::new()
    };
    let summary = summary_text(
        &args,
        &loaded,
        shard,
        &tally,
        &minimized,
        &Progress {
            last_seed,
            fail_fast: stopped_early,
            out_of_budget,
        },
        wall,
        pool.current_num_threads(),
    );
    let _ = std::io::stdout().lock().write_all(summary.as_bytes());
    if tally.fail > 0 {
        exit::FAIL
    } else if tally.error + tally.panic > 0 {
        exit::INTERNAL
    } else {
        exit::PASS
    }
}

/// `total` is `None` for an open-ended range (a counter, no bar).
fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let (bar, template) = match total {
        Some(n) => (
            indicatif::ProgressBar::new(n),
            "{bar:40} {pos}/{len} seeds  {per_sec}  eta {eta}",
        ),
        None => (
            indicatif::ProgressBar::no_length(),
            "{spinner} {pos} seeds  {per_sec}  {elapsed}",
        ),
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

fn open_results(dir: &Path) -> Result<std::io::BufWriter<std::fs::File>, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("{}: cannot create output directory: {e}", dir.display()))?;
    let path = dir.join("results.jsonl");
    std::fs::File::create(&path)
        .map(std::io::BufWriter::new)
        .map_err(|e| format!("{}: cannot create: {e}", path.display()))
}

fn repro_header(loaded: &LoadedScenario, r: &SeedResult, out: &Path) -> String {
    let replay = if matches!(r.repro, Some((_, true))) {
        "verified"
    } else {
        "NOT verified"
    };
    format!(
        "// msgsim {} explore: seed {} of {} (sha256 {}) failed: {}\n// trace hash {} ({} events); replay {replay}: msgsim run {}\n",
        output::VERSION,
        r.seed,
        loaded.path,
        loaded.sha256,
        failure_text(r),
        r.trace_hash
            .map(|h| format!("{h:016x}"))
            .unwrap_or_else(|| "-".into()),
        r.events,
        out.join(seed_file(r.seed)).display(),
    )
}

/// Comments go after the `#![enable(...)]` line, which must come first.
pub fn with_header(header: &str, ron: &str) -> String {
    match ron.split_once('\n') {
        Some((first, rest)) if first.starts_with("#![") => format!("{first}\n{header}{rest}"),
        _ => format!("{header}{ron}"),
    }
}

struct MinResult {
    seed: u64,
    outcome: Result<shrink::Minimized, String>,
}

fn minimize_all(
    pool: &rayon::ThreadPool,
    loaded: &LoadedScenario,
    failing: &[(u64, Scenario, shrink::Signature)],
    out: &Path,
) -> Vec<MinResult> {
    if failing.is_empty() {
        return Vec::new();
    }
    eprintln!("minimizing {} failing seed(s)...", failing.len());
    let results: Vec<MinResult> = pool.install(|| {
        failing
            .par_iter()
            .map(|(seed, s, sig)| MinResult {
                seed: *seed,
                outcome: shrink::minimize(s, &loaded.expectations, sig, shrink::RUN_BUDGET),
            })
            .collect()
    });
    for m in &results {
        if let Ok(min) = &m.outcome {
            let header = format!(
                "// msgsim {} explore --minimize: seed {} of {} (sha256 {}), still fails: {}\n// {}; {} runs; replay: msgsim run {}\n",
                output::VERSION,
                m.seed,
                loaded.path,
                loaded.sha256,
                min.signature,
                min.steps.join(", "),
                min.runs,
                out.join(min_file(m.seed)).display(),
            );
            let text = with_header(&header, &scenario::to_ron(&min.scenario));
            if let Err(e) = std::fs::write(out.join(min_file(m.seed)), text) {
                eprintln!(
                    "error: {}: cannot write minimized scenario: {e}",
                    out.display()
                );
            }
        }
    }
    results
}

#[allow(clippy::too_many_arguments)]
fn summary_text(
    args: &ExploreArgs,
    loaded: &LoadedScenario,
    shard: Shard,
    t: &Tally,
    minimized: &[MinResult],
    progress: &Progress,
    wall: std::time::Duration,
    jobs: usize,
) -> String {
    let mut out = format!(
        "explore     {} ({}), seeds {}, shard {} of {} (0-based)\n",
        loaded.scenario.name, loaded.path, args.seeds, shard.index, shard.count
    );
    out.push_str(&format!(
        "seeds run   {} (pass {}, fail {}, error {}, panic {}){}\n",
        t.run,
        t.pass,
        t.fail,
        t.error,
        t.panic,
        if progress.fail_fast {
            format!(
                " — stopped after {} failures (--fail-fast)",
                t.fail + t.error + t.panic
            )
        } else {
            String::new()
        }
    ));
    if !t.by_expectation.is_empty() {
        out.push_str("failures by expectation:\n");
        for (k, v) in &t.by_expectation {
            out.push_str(&format!("  {v:>8}  {k}\n"));
        }
    }
    if !t.by_anomaly.is_empty() {
        out.push_str("failures by anomaly (failing seeds with a non-zero count):\n");
        for (k, v) in &t.by_anomaly {
            out.push_str(&format!("  {v:>8}  {k}\n"));
        }
    }
    if let Some(seed) = t.first_failure {
        out.push_str(&format!("first failure: seed {seed}\n"));
        out.push_str(&format!(
            "  repro: msgsim run {}\n",
            args.out.join(seed_file(seed)).display()
        ));
        let profile = args
            .profile
            .as_deref()
            .map(|p| format!(" --profile {p}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "     or: msgsim run {} --seed {seed}{profile}\n",
            loaded.path
        ));
    }
    if !t.unverified.is_empty() {
        out.push_str(&format!(
            "WARNING: {} failing seed(s) did not replay to the same trace hash from their RON file (first: seed {}); please report it\n",
            t.unverified.len(),
            t.unverified[0]
        ));
    }
    for m in minimized {
        match &m.outcome {
            Ok(min) => out.push_str(&format!(
                "minimized   seed {}: {} ({}; {} runs)\n",
                m.seed,
                args.out.join(min_file(m.seed)).display(),
                min.steps.join(", "),
                min.runs
            )),
            Err(e) => out.push_str(&format!(
                "minimized   seed {}: not minimized: {e}\n",
                m.seed
            )),
        }
    }
    if args.minimize && t.fail + t.error + t.panic > MINIMIZE_MAX as u64 {
        out.push_str(&format!(
            "note: only the first {MINIMIZE_MAX} failing seeds were minimized\n"
        ));
    }
    out.push_str(&coverage::coverage(args, loaded, shard, progress, wall));
    out.push_str(&format!(
        "results     {}\n",
        args.out.join("results.jsonl").display()
    ));
    let secs = wall.as_secs_f64().max(1e-9);
    out.push_str(&format!(
        "throughput  {:.1} seeds/s ({:.2} s wall, {jobs} jobs)\n",
        t.run as f64 / secs,
        secs
    ));
    out.push_str(&format!(
        "verdict     {}\n",
        if t.fail + t.error + t.panic == 0 {
            "pass"
        } else {
            "fail"
        }
    ));
    out
}
