//! The `msgsim` command line: parse, load the scenario, run, report. No model logic here.
//!
//! Exit codes: 0 every expectation held; 1 an expectation failed (a repro command is printed);
//! 2 bad input or usage (`file:line:col`, nothing else written); 3 internal error or guard rail.

use clap::{Args, Parser, Subcommand};
use msgsim::runner::{self, RunOptions};
use msgsim::{exit, output, scenario};
use msgsim_models::system::RunError;
use msgsim_sim::FaultProfile;
use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;

mod budget;
mod coverage;
mod explore;
mod explore_args;
mod report_cmd;
mod results;
mod seed_run;
mod seeds;
mod shard_env;
mod shrink;
mod triage;
mod vary;

#[derive(Parser)]
#[command(
    name = "msgsim",
    version,
    about = "Deterministic simulator of Kafka and Redis messaging under failure"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run one scenario with one seed.
    Run(RunArgs),
    /// Run each seed twice and compare trace hashes; name the first divergent event.
    CheckDeterminism(DeterminismArgs),
    /// Parse and validate scenario files.
    Check { files: Vec<PathBuf> },
    /// Sweep seeds in parallel (shardable); write results.jsonl and a RON repro per failing seed.
    Explore(explore_args::ExploreArgs),
    /// Re-read a finished sweep's results.jsonl (also shards' files concatenated) and print its
    /// triage: totals, distributions, failing seeds by signature, coverage.
    Report(report_cmd::ReportArgs),
    /// Turn a JSON-lines trace (`run --trace FILE`) or a scenario's run into a space-time SVG,
    /// a topology DOT, a Mermaid sequence diagram, Perfetto JSON, a
    /// ShiViz log or a Jepsen-style history.
    Export(ExportArgs),
    /// The same producers/consumers workload under the same faults on Kafka, Redis Pub/Sub and
    /// Redis Streams: one table of measured values, each naming the scenario and seed it came from.
    Compare(CompareArgs),
}

#[derive(Args)]
struct CompareArgs {
    /// The workload (RON; every field optional). Default: the built-in workload.
    workload: Option<PathBuf>,
    /// A fault preset (none, crash, partition) or a RON file: a list of faults naming the roles
    /// `server`, `producer`, `consumer`.
    /// Default: the workload's `faults` (the built-in workload's is `none`).
    #[arg(long)]
    faults: Option<String>,
    /// Print JSON instead of the text table.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print a Markdown table.
    #[arg(long)]
    markdown: bool,
    /// Write every generated scenario to DIR as NAME.ron (replay: `msgsim run DIR/NAME.ron`).
    #[arg(long, value_name = "DIR")]
    emit: Option<PathBuf>,
}

#[derive(Args)]
struct ExportArgs {
    /// The trace written by `msgsim run --trace FILE`, or a scenario (`.ron`) to run first.
    trace: PathBuf,
    #[arg(long, value_enum)]
    format: msgsim::export::Format,
    /// Seed of the scenario run (a scenario input only; default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only events at or after this simulated time (pictures: default chosen around the first
    /// fault or anomaly).
    #[arg(long)]
    from_ms: Option<u64>,
    /// Only events before this simulated time.
    #[arg(long)]
    to_ms: Option<u64>,
    /// At most this many events (default: all of them for perfetto, shiviz and history; 400
    /// for the pictures svg, html and mermaid, whose window is chosen around the first fault
    /// or anomaly unless given). Any cut is printed on stderr.
    #[arg(long)]
    limit: Option<usize>,
    /// svg, html, mermaid: event categories to show besides messages and history (timer, replica,
    /// heartbeat, a message label, or all); hidden by default: timer, replica, heartbeat.
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<String>,
    /// svg, html, mermaid: only these nodes (and the messages they send or receive).
    #[arg(long, value_delimiter = ',')]
    nodes: Vec<String>,
    /// dot: the simulated time whose partitions are drawn (default: the first fault's).
    #[arg(long)]
    at_ms: Option<u64>,
}

#[derive(Args)]
struct RunArgs {
    scenario: PathBuf,
    /// Seed (default: the scenario's).
    #[arg(long, env = "MSGSIM_SEED")]
    seed: Option<u64>,
    /// Print one JSON object instead of the text summary.
    #[arg(long)]
    json: bool,
    /// Write the JSON-lines trace of every event to FILE.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Replace the scenario's fault profile with a preset (healthy, crash, disk-loss, pause,
    /// partition, partition-one-way, clog, clock, all, swarm).
    #[arg(long)]
    profile: Option<String>,
    #[command(flatten)]
    profile_overrides: explore_args::ProfileFlags,
}

#[derive(Args)]
struct DeterminismArgs {
    scenario: PathBuf,
    /// Number of seeds, starting at --seed (or the scenario's seed).
    #[arg(long, default_value_t = 4)]
    seeds: u64,
    #[arg(long, env = "MSGSIM_SEED")]
    seed: Option<u64>,
}

fn main() {
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::BAD_INPUT
            } else {
                exit::PASS
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let code = match std::panic::catch_unwind(move || match cli.cmd {
        Cmd::Run(args) => cmd_run(args),
        Cmd::CheckDeterminism(args) => cmd_check_determinism(args),
        Cmd::Check { files } => cmd_check(files),
        Cmd::Explore(args) => match not_a_workload(&args.scenario) {
            Ok(()) => explore::cmd_explore(args),
            Err(code) => code,
        },
        Cmd::Export(args) => cmd_export(args),
        Cmd::Report(args) => report_cmd::cmd_report(args),
        Cmd::Compare(args) => cmd_compare(args),
    }) {
        Ok(code) => code,
        Err(_) => {
            eprintln!("msgsim: internal error (panic); please report it with the command above");
            exit::INTERNAL
        }
    };
    std::process::exit(code);
}

/// Log lines carry simulated time, not wall time.
struct SimTimer;

impl tracing_subscriber::fmt::time::FormatTime for SimTimer {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        write!(w, "t={}", msgsim_sim::current_time())
    }
}

fn init_logging() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_timer(SimTimer)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .try_init();
}

fn load_or_exit(path: &std::path::Path) -> Result<scenario::LoadedScenario, i32> {
    not_a_workload(path)?;
    scenario::load(path).map_err(|d| {
        eprint!("{d}");
        exit::BAD_INPUT
    })
}

/// Commands that take one scenario refuse a `compare` workload (scenarios/quickstart.ron) with
/// the way to run it, rather than a scenario parser's complaint about its fields.
fn not_a_workload(path: &std::path::Path) -> Result<(), i32> {
    if msgsim::compare::workload::sniff(path).is_none() {
        return Ok(());
    }
    let p = path.display();
    eprintln!(
        "error: {p} is a `msgsim compare` workload, not a scenario: `msgsim run {p}` prints its \
         comparison; `msgsim compare {p} --emit DIR` writes the scenarios it runs"
    );
    Err(exit::BAD_INPUT)
}

fn resolve_profile(
    name: Option<&str>,
    loaded: &scenario::LoadedScenario,
    flags: &explore_args::ProfileFlags,
) -> Result<Option<FaultProfile>, i32> {
    match name {
        None if flags.fault_start_ms.is_some() || flags.targets.is_some() => {
            eprintln!("error: --fault-start-ms and --targets need --profile NAME");
            Err(exit::BAD_INPUT)
        }
        None => Ok(None),
        Some(n) => msgsim::profile::resolve(n, &loaded.scenario, &flags.overrides())
            .map(Some)
            .map_err(|m| {
                eprintln!("error: {m}");
                exit::BAD_INPUT
            }),
    }
}

fn report_run_error(e: &RunError) -> i32 {
    match e {
        RunError::Config(m) => {
            eprintln!("error: invalid configuration: {m}");
            exit::BAD_INPUT
        }
        RunError::Sim(e) => {
            eprintln!("error: {e}");
            exit::INTERNAL
        }
    }
}

fn cmd_run(args: RunArgs) -> i32 {
    if let Some(mut w) = msgsim::compare::workload::sniff(&args.scenario) {
        // A `compare` workload (scenarios/quickstart.ron): running it prints the comparison.
        if args.trace.is_some() || args.profile.is_some() {
            eprintln!(
                "error: {} is a compare workload: --trace and --profile apply to one scenario; \
                 `msgsim compare {} --emit DIR` writes the scenarios it runs",
                args.scenario.display(),
                args.scenario.display()
            );
            return exit::BAD_INPUT;
        }
        w.seed = args.seed.unwrap_or(w.seed);
        let out = CompareOut {
            json: args.json,
            markdown: false,
            emit: None,
        };
        return compare_and_print(w, None, out);
    }
    let loaded = match load_or_exit(&args.scenario) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let profile = match resolve_profile(args.profile.as_deref(), &loaded, &args.profile_overrides) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let seed = args.seed.unwrap_or(loaded.scenario.seed);
    let trace_out: Option<Box<dyn Write>> = match &args.trace {
        None => None,
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Some(Box::new(std::io::BufWriter::new(f))),
            Err(e) => {
                eprintln!("error: {}: cannot create trace file: {e}", path.display());
                return exit::BAD_INPUT;
            }
        },
    };
    let (families, faults) = runner::schedule(&loaded.scenario, seed, profile.as_ref());
    eprint!(
        "{}",
        output::banner(&loaded, seed, profile.as_ref(), &families, &faults)
    );
    let check_twice = std::env::var("MSGSIM_CHECK_DETERMINISM").is_ok_and(|v| v == "1");
    let again = check_twice.then(|| RunOptions {
        seed,
        trace_out: None,
        profile: profile.clone(),
    });
    let options = RunOptions {
        seed,
        trace_out,
        profile,
    };
    let outcome = match runner::run(&loaded, options) {
        Ok(o) => o,
        Err(e) => return report_run_error(&e),
    };
    if let Some(options) = again {
        // MSGSIM_CHECK_DETERMINISM=1: run the seed a second time and compare the trace hashes.
        match runner::run(&loaded, options) {
            Ok(second) if second.report.stats.trace_hash == outcome.report.stats.trace_hash => {
                eprintln!(
                    "determinism: seed {seed} ran twice, trace hash {:016x} both times",
                    outcome.report.stats.trace_hash
                );
            }
            Ok(second) => {
                eprintln!(
                    "error: non-determinism: seed {seed} gave trace hash {:016x} then {:016x}; \
                     run `msgsim check-determinism {} --seed {seed} --seeds 1` for the first divergent event",
                    outcome.report.stats.trace_hash, second.report.stats.trace_hash, loaded.path
                );
                return exit::FAIL;
            }
            Err(e) => return report_run_error(&e),
        }
    }
    let mut stdout = std::io::stdout().lock();
    let text = if args.json {
        format!("{}\n", output::json_summary(&loaded, seed, &outcome))
    } else {
        output::text_summary(&loaded, seed, &outcome)
    };
    let _ = stdout.write_all(text.as_bytes());
    if outcome.pass {
        exit::PASS
    } else {
        eprintln!(
            "note: an expectation failed; reproduce with: {}",
            output::repro(&loaded, seed)
        );
        exit::FAIL
    }
}

/// A `Write` into a shared buffer, to compare two runs' traces line by line.
struct SharedBuf(Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn traced_run(loaded: &scenario::LoadedScenario, seed: u64) -> Result<Vec<u8>, RunError> {
    let buf = Rc::new(RefCell::new(Vec::new()));
    let options = RunOptions {
        seed,
        trace_out: Some(Box::new(SharedBuf(buf.clone()))),
        profile: None,
    };
    runner::run(loaded, options)?;
    Ok(buf.take())
}

fn cmd_check_determinism(args: DeterminismArgs) -> i32 {
    let loaded = match load_or_exit(&args.scenario) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let first = args.seed.unwrap_or(loaded.scenario.seed);
    let mut failures = 0;
    for seed in first..first.saturating_add(args.seeds) {
        let run = |seed| {
            runner::run(
                &loaded,
                RunOptions {
                    seed,
                    ..RunOptions::default()
                },
            )
        };
        let (a, b) = match (run(seed), run(seed)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return report_run_error(&e),
        };
        let (ha, hb) = (a.report.stats.trace_hash, b.report.stats.trace_hash);
        if ha == hb {
            println!(
                "seed {seed}: ok {ha:016x} ({} events)",
                a.report.stats.events
            );
            continue;
        }
        failures += 1;
        println!("seed {seed}: MISMATCH {ha:016x} != {hb:016x}");
        match (traced_run(&loaded, seed), traced_run(&loaded, seed)) {
            (Ok(ta), Ok(tb)) => print_divergence(&ta, &tb),
            (Err(e), _) | (_, Err(e)) => return report_run_error(&e),
        }
    }
    if failures == 0 {
        println!("determinism: {} seeds, all runs matched", args.seeds);
        exit::PASS
    } else {
        println!("determinism: {failures} of {} seeds diverged", args.seeds);
        exit::FAIL
    }
}

fn print_divergence(a: &[u8], b: &[u8]) {
    let (la, lb) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let diverged = la
        .lines()
        .zip(lb.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y);
    match diverged {
        Some((i, (x, y))) => {
            println!("  first divergent event #{i}:");
            println!("    run 1: {x}");
            println!("    run 2: {y}");
        }
        None => println!(
            "  traces agree event by event; they differ in length or only in the final state"
        ),
    }
}

fn cmd_check(files: Vec<PathBuf>) -> i32 {
    if files.is_empty() {
        eprintln!("error: msgsim check needs at least one scenario file");
        return exit::BAD_INPUT;
    }
    let mut errors = Vec::new();
    for file in &files {
        if let Err(d) = scenario::load(file) {
            // A compare workload (scenarios/quickstart.ron) is valid input too.
            if msgsim::compare::workload::sniff(file).is_none() {
                errors.push(d.to_string());
            }
        }
    }
    if errors.is_empty() {
        println!("{} scenario(s) ok", files.len());
        exit::PASS
    } else {
        for e in errors {
            eprint!("{e}");
        }
        exit::BAD_INPUT
    }
}

fn cmd_export(args: ExportArgs) -> i32 {
    use msgsim::export::{self, Format};
    let (lines, cx) = match export::input::read(&args.trace, args.seed) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {}", e.message.trim_end());
            return e.code;
        }
    };
    for n in &args.nodes {
        if !cx.names.contains(n) {
            eprintln!(
                "error: --nodes {n}: no such node (nodes: {})",
                cx.names.join(", ")
            );
            return exit::BAD_INPUT;
        }
    }
    let out = if args.format.is_picture() {
        let options = export::scene::PictureOptions {
            filter: export::scene::Filter {
                kinds: args.kinds.clone(),
                nodes: args.nodes.clone(),
            },
            from_ms: args.from_ms,
            to_ms: args.to_ms,
            budget: args.limit.unwrap_or(400),
            at_ms: args.at_ms,
        };
        let picture = export::picture::build(&lines, &cx, &options);
        if args.format != Format::Dot {
            eprintln!(
                "export: window {} to {} ({}); {}",
                export::scene::time_text(picture.window.from_ns),
                export::scene::time_text(picture.window.to_ns),
                picture.window.reason,
                picture.cut_text
            );
        }
        if args.format == Format::Html
            && let Some(note) = export::html::cap_note(&picture)
        {
            eprintln!("export: {note}");
        }
        export::picture::render(&picture, args.format)
    } else {
        let limit = args.limit.unwrap_or(usize::MAX);
        let from_ms = args.from_ms.unwrap_or(0);
        let (lines, cut) = export::window_report(lines, from_ms, args.to_ms, limit);
        eprintln!("{}", cut.describe(from_ms, args.to_ms));
        export::export(&lines, args.format, &cx.names)
    };
    match &args.output {
        None => {
            let _ = std::io::stdout().lock().write_all(out.as_bytes());
        }
        Some(path) => {
            if let Err(e) = std::fs::write(path, out.as_bytes()) {
                eprintln!("error: {}: cannot write: {e}", path.display());
                return exit::BAD_INPUT;
            }
        }
    }
    exit::PASS
}

fn cmd_compare(args: CompareArgs) -> i32 {
    use msgsim::compare::Workload;
    let w = match &args.workload {
        None => Workload::default(),
        Some(path) => match read_workload(path) {
            Ok(w) => w,
            Err(code) => return code,
        },
    };
    let out = CompareOut {
        json: args.json,
        markdown: args.markdown,
        emit: args.emit,
    };
    compare_and_print(w, args.faults, out)
}

fn read_workload(path: &std::path::Path) -> Result<msgsim::compare::Workload, i32> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: {display}: cannot read workload: {e}");
        exit::BAD_INPUT
    })?;
    msgsim::compare::Workload::parse(&display, &text).map_err(|d| {
        eprint!("{d}");
        exit::BAD_INPUT
    })
}

/// How `compare` prints its table.
struct CompareOut {
    json: bool,
    markdown: bool,
    emit: Option<PathBuf>,
}

/// Run the comparison of `w` under `faults` (a preset or a fault file; default: the
/// workload's own `faults`) and print the table.
fn compare_and_print(
    w: msgsim::compare::Workload,
    faults_arg: Option<String>,
    out: CompareOut,
) -> i32 {
    use msgsim::compare::{self, CompareError, workload};
    let faults_name = faults_arg.unwrap_or_else(|| w.faults.clone());
    let faults = match w.preset(&faults_name) {
        Some(f) => f,
        None => {
            let text = match std::fs::read_to_string(&faults_name) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!(
                        "error: --faults {faults_name}: neither a preset ({}) nor a readable file: {e}",
                        workload::PRESETS.join(", ")
                    );
                    return exit::BAD_INPUT;
                }
            };
            match workload::parse_faults(&faults_name, &text) {
                Ok(f) => f,
                Err(d) => {
                    eprint!("{d}");
                    return exit::BAD_INPUT;
                }
            }
        }
    };
    let runs = match compare::run_all(&w, &faults_name, &faults) {
        Ok(r) => r,
        Err(CompareError::Input(d)) => {
            eprint!("{d}");
            return exit::BAD_INPUT;
        }
        Err(CompareError::Run(name, e)) => {
            eprintln!("error: compare scenario {name}:");
            return report_run_error(&e);
        }
    };
    if let Some(dir) = &out.emit {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("error: {}: cannot create directory: {e}", dir.display());
            return exit::BAD_INPUT;
        }
        for (name, text) in &runs.generated {
            let path = dir.join(format!("{name}.ron"));
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!("error: {}: cannot write: {e}", path.display());
                return exit::BAD_INPUT;
            }
        }
    }
    let rows = compare::rows::rows(&runs);
    let text = if out.json {
        format!("{}\n", compare::render::json(&runs, &rows))
    } else if out.markdown {
        compare::render::markdown(&runs, &rows)
    } else {
        compare::render::text(&runs, &rows)
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    exit::PASS
}
