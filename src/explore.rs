//! `msgsim explore`: run a scenario over a range of seeds in parallel (rayon), one JSON line per
//! seed in seed order (`results.rs`), every seed that breaks an invariant written as a
//! self-contained RON scenario, optionally minimized (see `shrink.rs`), then the triage
//! (`triage.rs`). A seed fails only on an invariant; observations of the scenario's own schedule
//! that miss are reported apart (`guarantee.rs`). Results never depend on `--jobs`: seeds run in
//! fixed chunks and are collected in seed order; `--fail-fast N` cuts the list after the N-th
//! failing seed. `--vary` (`vary.rs`) runs the seeds once per combination of values.
//!
//! Sharding: seed `s` belongs to shard `I` of `N` when `s % N == I` (0-based); where the shard
//! comes from when no flag gives it is `shard_env.rs`.

use crate::budget::{self, Deadline};
use crate::coverage::{self, Progress};
use crate::explore_args::ExploreArgs;
use crate::results::{
    VaryPoint, failure_text, min_file, repro_header, result_json, seed_file, with_header,
};
use crate::seed_run::{SeedResult, run_one};
use crate::seeds::Shard;
use crate::shard_env;
use crate::shrink;
use crate::triage::Triage;
use msgsim::runner;
use msgsim::scenario::{self, LoadedScenario, Scenario};
use msgsim::{exit, output};
use msgsim_models::highlights;
use msgsim_sim::FaultProfile;
use rayon::prelude::*;
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
    pub point: &'a VaryPoint,
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

fn explicit_scenario(plan: &Plan<'_>, r: &SeedResult) -> Scenario {
    let loaded = plan.loaded;
    let mut s = runner::explicit(&loaded.scenario, r.seed, plan.profile);
    s.description = format!(
        "explore: seed {} of {} (sha256 {}{}{}) failed: {}. Fault schedule made explicit.",
        r.seed,
        loaded.path,
        &loaded.sha256[..16],
        plan.profile_name
            .map(|p| format!(", profile {p}"))
            .unwrap_or_default(),
        if plan.point.tag.is_empty() {
            String::new()
        } else {
            format!(", with {}", plan.point.tag)
        },
        failure_text(r)
    );
    s
}

fn bad_input(m: impl fmt::Display) -> i32 {
    eprintln!("error: {m}");
    exit::BAD_INPUT
}

/// A failing seed kept for `--minimize`.
struct ToMinimize {
    seed: u64,
    tag: String,
    point: usize,
    scenario: Scenario,
    signature: shrink::Signature,
}

/// The state of a sweep across its batches (and its `--vary` points).
struct Sweep {
    triage: Triage,
    per_point: Vec<Triage>,
    results: Option<std::io::BufWriter<std::fs::File>>,
    failing: Vec<ToMinimize>,
    failures: u64,
    stopped_early: bool,
    out_of_budget: bool,
    last_seed: Option<u64>,
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
        None if args.profile_flags.fault_start_ms.is_some()
            || args.profile_flags.targets.is_some() =>
        {
            return bad_input("--fault-start-ms and --targets need --profile NAME");
        }
        None => None,
        Some(n) => {
            match msgsim::profile::resolve(n, &loaded.scenario, &args.profile_flags.overrides()) {
                Ok(p) => Some(p),
                Err(m) => return bad_input(m),
            }
        }
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
    if args.seeds.open && args.budget.is_none() {
        return bad_input(format_args!(
            "the seed range `{}` has no end: give one (A..B) or a wall-clock --budget",
            args.seeds
        ));
    }
    if !args.vary.is_empty() && args.budget.is_some() {
        return bad_input(
            "--vary runs the whole seed range for every value; it cannot take --budget",
        );
    }
    let points = match crate::vary::grid(&args.vary) {
        Ok(p) => p,
        Err(m) => return bad_input(m),
    };
    let mut scenarios = Vec::with_capacity(points.len());
    for p in &points {
        match crate::vary::apply(&loaded, p) {
            Ok(l) => scenarios.push(l),
            Err(m) => return bad_input(m),
        }
    }
    let total = shard.seed_count(args.seeds);
    eprintln!(
        "msgsim {} explore  scenario={} sha256={}  model={}  seeds={}  shard {} of {} (0-based, from {shard_source}): {}  jobs={}{}{}{}",
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
        profile
            .as_ref()
            .map(|p| format!(
                "  profile={} (start_ms={} targets=[{}])",
                args.profile.as_deref().unwrap_or(""),
                p.start_ms,
                p.targets.join(",")
            ))
            .unwrap_or_default(),
        args.budget
            .as_ref()
            .map(|b| format!("  budget={b} (per shard)"))
            .unwrap_or_default(),
        if points.len() > 1 {
            format!("  vary: {} combinations", points.len())
        } else {
            String::new()
        },
    );
    let bar = progress_bar((!args.seeds.open).then_some(total * points.len() as u64));
    #[allow(clippy::disallowed_methods)] // wall time for wall_ms and seeds/s only; never in results
    let started = Instant::now();
    // The budget decides only when to stop launching seeds (between runs, never inside one).
    let deadline = Deadline::start(args.budget.as_ref());
    let mut sweep = Sweep {
        triage: Triage::default(),
        per_point: Vec::new(),
        results: None,
        failing: Vec::new(),
        failures: 0,
        stopped_early: false,
        out_of_budget: false,
        last_seed: None,
    };
    let key_obs = loaded.scenario.system.key_observations();
    for (i, (point, varied)) in points.iter().zip(&scenarios).enumerate() {
        let plan = Plan {
            loaded: varied,
            profile: profile.as_ref(),
            profile_name: args.profile.as_deref(),
            point,
        };
        sweep.per_point.push(Triage::default());
        sweep.last_seed = None;
        let code = run_point(
            &args, &plan, i, shard, &pool, &deadline, &bar, key_obs, &mut sweep,
        );
        if code != exit::PASS {
            bar.finish_and_clear();
            return code;
        }
        if sweep.stopped_early || sweep.out_of_budget {
            break;
        }
    }
    if let Some(mut f) = sweep.results.take()
        && let Err(e) = f.flush()
    {
        eprintln!("error: {}: cannot write results: {e}", args.out.display());
        return exit::INTERNAL;
    }
    bar.finish_and_clear();
    let wall = started.elapsed();
    let minimized = if args.minimize {
        minimize_all(&pool, &scenarios, &sweep.failing, &args.out)
    } else {
        Vec::new()
    };
    let summary = summary_text(
        &args,
        &loaded,
        shard,
        &sweep,
        &points,
        &minimized,
        &Progress {
            last_seed: sweep.last_seed,
            fail_fast: sweep.stopped_early,
            out_of_budget: sweep.out_of_budget,
        },
        wall,
        pool.current_num_threads(),
    );
    let _ = std::io::stdout().lock().write_all(summary.as_bytes());
    let t = &sweep.triage;
    if t.fail > 0 {
        exit::FAIL
    } else if t.error + t.panic > 0 {
        exit::INTERNAL
    } else {
        exit::PASS
    }
}

/// Run the seeds of one `--vary` point (all of them, without `--vary`); `PASS` unless the sweep
/// must end with the returned code.
#[allow(clippy::too_many_arguments)]
fn run_point(
    args: &ExploreArgs,
    plan: &Plan<'_>,
    point_index: usize,
    shard: Shard,
    pool: &rayon::ThreadPool,
    deadline: &Deadline,
    bar: &indicatif::ProgressBar,
    key_obs: &[&str],
    sweep: &mut Sweep,
) -> i32 {
    // Threads wait for each other at the end of every batch (its seeds are written in order
    // before the next batch starts): 64 seeds per thread keep that wait to ≈ 1 % of a sweep of
    // short, uneven seeds (8 per thread lost ≈ 10 % on 2 threads with the Redis scenarios).
    let chunk = (pool.current_num_threads() * 64).max(64);
    let mut seeds = shard.seeds(args.seeds).peekable();
    let fail_fast = args.fail_fast.unwrap_or(u64::MAX);
    let tag = &plan.point.tag;
    loop {
        let batch: Vec<u64> = seeds.by_ref().take(chunk).collect();
        let done = batch.is_empty();
        // Seeds are claimed in order and each claimed seed completes: the outcomes are those of
        // a prefix of the batch (all of it unless the budget ran out). At least one seed runs.
        let outcomes: Vec<Result<SeedResult, String>> = budget::run_prefix(
            pool,
            &batch,
            sweep.last_seed.is_none(),
            &|| deadline.passed(),
            &|&seed| {
                let r = run_seed(plan, seed);
                bar.inc(1);
                r
            },
        );
        if outcomes.len() < batch.len() {
            sweep.out_of_budget = true;
        }
        if sweep.results.is_none() {
            // Created only once the first batch ran: a configuration error writes nothing.
            if let Some(Err(m)) = outcomes.iter().find(|r| r.is_err()) {
                return bad_input(format_args!(
                    "{}: invalid configuration: {m}",
                    plan.loaded.path
                ));
            }
            match open_results(&args.out) {
                Ok(f) => sweep.results = Some(f),
                Err(m) => return bad_input(m),
            }
        }
        let file = sweep.results.as_mut().expect("results file is open");
        for outcome in outcomes {
            let r = match outcome {
                Ok(r) => r,
                Err(m) => {
                    eprintln!(
                        "error: {}: invalid configuration for one seed: {m}",
                        plan.loaded.path
                    );
                    return exit::INTERNAL;
                }
            };
            let row = result_json(plan.loaded, &r, plan.point);
            if let Err(e) = writeln!(file, "{row}") {
                eprintln!("error: {}: cannot write results: {e}", args.out.display());
                return exit::INTERNAL;
            }
            sweep.triage.add(&row, key_obs);
            sweep.per_point[point_index].add(&row, key_obs);
            sweep.last_seed = Some(r.seed);
            if r.failing() {
                sweep.failures += 1;
                if let Some((ron, _)) = &r.repro {
                    let header = repro_header(plan.loaded, &r, &args.out, tag);
                    if let Err(e) = std::fs::write(
                        args.out.join(seed_file(r.seed, tag)),
                        with_header(&header, ron),
                    ) {
                        eprintln!(
                            "error: {}: cannot write failing scenario: {e}",
                            args.out.display()
                        );
                        return exit::INTERNAL;
                    }
                    if args.minimize && sweep.failing.len() < MINIMIZE_MAX {
                        sweep.failing.push(ToMinimize {
                            seed: r.seed,
                            tag: tag.clone(),
                            point: point_index,
                            scenario: explicit_scenario(plan, &r),
                            signature: shrink::Signature::of(&r),
                        });
                    }
                }
                if sweep.failures >= fail_fast {
                    sweep.stopped_early = true;
                    break;
                }
            }
        }
        if done || sweep.stopped_early || sweep.out_of_budget {
            return exit::PASS;
        }
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

struct MinResult {
    seed: u64,
    tag: String,
    outcome: Result<shrink::Minimized, String>,
}

fn minimize_all(
    pool: &rayon::ThreadPool,
    scenarios: &[LoadedScenario],
    failing: &[ToMinimize],
    out: &Path,
) -> Vec<MinResult> {
    if failing.is_empty() {
        return Vec::new();
    }
    eprintln!("minimizing {} failing seed(s)...", failing.len());
    let results: Vec<MinResult> = pool.install(|| {
        failing
            .par_iter()
            .map(|f| MinResult {
                seed: f.seed,
                tag: f.tag.clone(),
                outcome: shrink::minimize(
                    &f.scenario,
                    &scenarios[f.point].expectations,
                    &f.signature,
                    shrink::RUN_BUDGET,
                ),
            })
            .collect()
    });
    for m in &results {
        let loaded = &scenarios[0];
        if let Ok(min) = &m.outcome {
            let header = format!(
                "// msgsim {} explore --minimize: seed {} of {} (sha256 {}){}, still fails: {}\n// {}; {} runs; replay: msgsim run {}\n",
                output::VERSION,
                m.seed,
                loaded.path,
                loaded.sha256,
                if m.tag.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", m.tag)
                },
                min.signature,
                min.steps.join(", "),
                min.runs,
                out.join(min_file(m.seed, &m.tag)).display(),
            );
            let text = with_header(&header, &scenario::to_ron(&min.scenario));
            if let Err(e) = std::fs::write(out.join(min_file(m.seed, &m.tag)), text) {
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
    sweep: &Sweep,
    points: &[VaryPoint],
    minimized: &[MinResult],
    progress: &Progress,
    wall: std::time::Duration,
    jobs: usize,
) -> String {
    let t = &sweep.triage;
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
    let key_obs = loaded.scenario.system.key_observations();
    if points.len() > 1 {
        let labelled: Vec<(String, &Triage)> = points
            .iter()
            .zip(&sweep.per_point)
            .map(|(p, tri)| {
                let row = serde_json::json!({
                    "vary": p.values.iter().cloned().collect::<serde_json::Map<_, _>>()
                });
                let label = crate::triage::vary_label(&row);
                (label, tri)
            })
            .collect();
        out.push_str(&crate::triage::vary_table(&labelled, key_obs));
    }
    out.push_str(&t.render(
        &args.out,
        key_obs,
        highlights::key_coverage(loaded.scenario.system.model_name()),
    ));
    if let Some((seed, repro)) = &t.first_failure {
        out.push_str(&format!("first failure: seed {seed}\n"));
        if let Some(file) = repro {
            out.push_str(&format!(
                "  repro: msgsim run {}\n",
                args.out.join(file).display()
            ));
        }
        if points.len() <= 1 {
            out.push_str(&format!(
                "     or: msgsim run {} --seed {seed}{}\n",
                loaded.path,
                coverage::profile_args(args)
            ));
        }
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
                args.out.join(min_file(m.seed, &m.tag)).display(),
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
