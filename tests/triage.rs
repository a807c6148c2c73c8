//! Sweep triage (issue 14 items 1–4, issue 13 item 1): a seed fails only on an invariant and
//! observation misses are reported apart; results rows carry observations, explained anomalies
//! and coverage; the summary has distributions, failing groups with their smallest seed and
//! repro, and coverage; `msgsim report DIR` re-reads a sweep (also merged shards) and prints the
//! same; `--vary` runs a grid and names the values in rows, table and repro files; `--minimize`
//! keeps a liveness failure the same failure; `--profile` keeps the file's start and targets;
//! the resume command carries every flag.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Crashes of the servers lose requests on some seeds; `lost_request` is an invariant (an
/// anomaly upper bound), `delivered >= 1_000_000` an observation that always misses.
const FIXTURE: &str = r#"(
    version: 1,
    name: "triage-fixture",
    duration_ms: 3_000,
    quiet_ms: 500,
    system: Echo(clients: 2, servers: 2, window: 2, timeout_ms: 200),
    fault_profile: (
        crash: true,
        interval_ms_mean: 3_000,
        duration_ms_min: 200,
        duration_ms_max: 800,
        start_ms: 200,
    ),
    expect: ["anomaly:lost_request == 0", "delivered >= 1_000_000", "observation: lost <= 0"],
)
"#;

/// Without a fault profile (for the `--profile` warm-up and overrides).
const BARE: &str = r#"(
    version: 1,
    name: "triage-bare",
    duration_ms: 20_000,
    quiet_ms: 500,
    system: Echo(clients: 2, servers: 2, window: 2, timeout_ms: 200),
    expect: ["anomaly:lost_request == 0"],
)
"#;

use crate::sweep_cli;
use sweep_cli::{rows, text};

fn workdir(name: &str) -> PathBuf {
    sweep_cli::workdir(
        "triage",
        name,
        &[("sweep.ron", FIXTURE), ("bare.ron", BARE)],
    )
}

fn msgsim(dir: &Path, args: &[&str]) -> Output {
    sweep_cli::msgsim(dir, args, &[])
}

/// The triage part of a summary (from the invariant failures to the coverage line): what
/// `explore` and `report` print alike.
fn triage_part(summary: &str) -> String {
    let start = summary
        .find("observation misses")
        .or_else(|| summary.find("invariant failures"))
        .expect("a triage section");
    let end = summary.find("\ncoverage").expect("a coverage line");
    let line_end = summary[end + 1..]
        .find('\n')
        .map_or(summary.len(), |i| end + 2 + i);
    summary[start..line_end].to_string()
}

#[test]
fn invariants_fail_seeds_and_observation_misses_are_reported_apart() {
    let dir = workdir("kinds");
    let o = msgsim(
        &dir,
        &["explore", "sweep.ron", "--seeds", "0..12", "--out", "a"],
    );
    let summary = text(&o.stdout);
    let rs = rows(&dir, "a");
    let failing: Vec<&Value> = rs.iter().filter(|r| r["verdict"] == "fail").collect();
    assert!(!failing.is_empty(), "some seed loses a request: {summary}");
    assert_eq!(o.status.code(), Some(1), "{summary}");
    for r in &rs {
        let lost = r["anomalies"]["lost_request"].as_u64().unwrap_or(0);
        // The verdict follows the invariant alone: every seed misses the observation.
        assert_eq!(r["verdict"] == "fail", lost > 0, "{r}");
        let missed: Vec<&str> = r["missed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["expectation"].as_str().unwrap())
            .collect();
        assert!(missed.contains(&"delivered >= 1_000_000"), "{r}");
        assert_eq!(
            missed.contains(&"lost <= 0"),
            lost > 0,
            "tagged observation: {r}"
        );
        for f in r["failed"].as_array().unwrap() {
            assert_eq!(f["expectation"], "anomaly:lost_request == 0", "{r}");
        }
        // Triage data on every row.
        assert!(
            r["observations"]["delivered"].as_f64().unwrap() > 0.0,
            "{r}"
        );
        assert!(r["sometimes"].is_object(), "{r}");
        let crashes = r["sometimes"]["crash"].as_u64().unwrap_or(0);
        assert_eq!(crashes > 0, r["faults"].as_u64().unwrap() > 0, "{r}");
        if lost > 0 {
            let ex = &r["explanations"]["lost_request"][0];
            assert_eq!(ex["cause"], "no_reply", "{r}");
            assert_eq!(ex["count"].as_u64(), Some(lost), "{r}");
        }
    }
    assert!(
        summary.contains("observation misses on 12 of 12 seeds"),
        "{summary}"
    );
    // Only failing seeds get a repro file.
    for r in &rs {
        let f = dir.join("a").join(format!("seed-{}.ron", r["seed"]));
        assert_eq!(f.exists(), r["verdict"] == "fail", "{}", f.display());
    }
    // Distribution, groups with the smallest seed and its repro, coverage.
    let counts: Vec<u64> = failing
        .iter()
        .map(|r| r["anomalies"]["lost_request"].as_u64().unwrap())
        .collect();
    let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    let line = format!("{}/12  {min} / ", counts.len());
    assert!(summary.contains(&line), "{line} in {summary}");
    assert!(summary.contains(&format!(" / {max}\n")), "{summary}");
    assert!(summary.contains("cause no_reply:"), "{summary}");
    let smallest = failing[0]["seed"].as_u64().unwrap();
    assert!(
        summary.contains(&format!(
            "smallest seed {smallest}; repro: msgsim run a/seed-{smallest}.ron"
        )),
        "{summary}"
    );
    let crashes = rs
        .iter()
        .filter(|r| r["sometimes"]["crash"].as_u64().unwrap_or(0) > 0)
        .count();
    assert!(
        summary.contains(&format!("crash in {crashes}/12")),
        "{summary}"
    );
    // Without the failing invariant the same sweep passes: misses alone do not fail.
    std::fs::write(
        dir.join("obs.ron"),
        FIXTURE.replace("\"anomaly:lost_request == 0\", ", ""),
    )
    .unwrap();
    let o = msgsim(
        &dir,
        &["explore", "obs.ron", "--seeds", "0..12", "--out", "b"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("verdict     pass"));
    // `run` judges both kinds and marks them.
    let o = msgsim(&dir, &["run", "obs.ron", "--seed", "0"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("FAIL delivered >= 1000000"));
    assert!(text(&o.stdout).contains("[observation]"));
}

#[test]
fn report_rereads_a_sweep_and_merged_shards() {
    let dir = workdir("report");
    let whole = msgsim(
        &dir,
        &["explore", "sweep.ron", "--seeds", "0..12", "--out", "all"],
    );
    let summary = text(&whole.stdout);
    let report = msgsim(&dir, &["report", "all"]);
    assert_eq!(report.status.code(), whole.status.code());
    assert_eq!(triage_part(&text(&report.stdout)), triage_part(&summary));
    // Two shards, their results concatenated (shard 1 first): the same triage.
    for (i, out) in ["s0", "s1"].iter().enumerate() {
        let shard = format!("{i}/2");
        let o = msgsim(
            &dir,
            &[
                "explore",
                "sweep.ron",
                "--seeds",
                "0..12",
                "--shard",
                &shard,
                "--out",
                out,
            ],
        );
        assert!(o.status.code().is_some());
    }
    std::fs::create_dir_all(dir.join("merged")).unwrap();
    let mut merged = std::fs::read_to_string(dir.join("s1/results.jsonl")).unwrap();
    merged.push_str(&std::fs::read_to_string(dir.join("s0/results.jsonl")).unwrap());
    std::fs::write(dir.join("merged/results.jsonl"), merged).unwrap();
    let m = msgsim(&dir, &["report", "merged"]);
    assert_eq!(
        triage_part(&text(&m.stdout)).replace("merged/", "all/"),
        triage_part(&summary)
    );
    // A broken row is bad input with its line.
    std::fs::write(
        dir.join("bad.jsonl"),
        "{\"seed\": 1, \"verdict\": \"pass\"}\nnot json\n",
    )
    .unwrap();
    let b = msgsim(&dir, &["report", "bad.jsonl"]);
    assert_eq!(b.status.code(), Some(2));
    assert!(
        text(&b.stderr).contains("bad.jsonl:2:"),
        "{}",
        text(&b.stderr)
    );
}

#[test]
fn vary_runs_a_grid_and_names_the_values() {
    let dir = workdir("vary");
    let o = msgsim(
        &dir,
        &[
            "explore",
            "sweep.ron",
            "--seeds",
            "0..6",
            "--out",
            "v",
            "--vary",
            "system.timeout_ms=200,5000",
            "--vary",
            "quiet_ms=500,3000",
        ],
    );
    let summary = text(&o.stdout);
    let rs = rows(&dir, "v");
    assert_eq!(rs.len(), 24, "4 combinations × 6 seeds");
    let mut seen = std::collections::BTreeSet::new();
    for r in &rs {
        let t = r["vary"]["system.timeout_ms"].as_u64().unwrap();
        let q = r["vary"]["quiet_ms"].as_u64().unwrap();
        seen.insert((t, q));
        if r["verdict"] == "fail" {
            let file = dir.join("v").join(r["repro"].as_str().unwrap());
            let name = file.file_name().unwrap().to_str().unwrap().to_string();
            assert!(
                name.contains(&format!("timeout_ms={t},quiet_ms={q}")),
                "{name}"
            );
            let s = msgsim::scenario::load(&file).unwrap().scenario;
            assert_eq!(s.quiet_ms, q, "the repro holds the value");
            let replay = msgsim(&dir, &["run", file.to_str().unwrap()]);
            assert_eq!(replay.status.code(), Some(1), "{name} fails again");
        }
    }
    assert_eq!(seen.len(), 4);
    for label in [
        "quiet_ms=500 system.timeout_ms=200",
        "quiet_ms=500 system.timeout_ms=5000",
        "quiet_ms=3000 system.timeout_ms=200",
        "quiet_ms=3000 system.timeout_ms=5000",
    ] {
        assert!(
            summary.contains(&format!("  {label} ")),
            "{label}: {summary}"
        );
    }
    // A value the scenario rejects, and a path that is not a field: bad input.
    for bad in ["system.timeout_ms=soon", "system.nope=1"] {
        let o = msgsim(
            &dir,
            &[
                "explore",
                "sweep.ron",
                "--seeds",
                "0..2",
                "--out",
                "x",
                "--vary",
                bad,
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", text(&o.stderr));
        assert!(!dir.join("x").exists());
    }
}

#[test]
fn a_minimized_liveness_failure_stays_the_same_failure() {
    let dir = workdir("minimize");
    let o = msgsim(
        &dir,
        &[
            "explore",
            "sweep.ron",
            "--seeds",
            "0..12",
            "--out",
            "m",
            "--minimize",
            "--fail-fast",
            "2",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let rs = rows(&dir, "m");
    let failing: Vec<&Value> = rs.iter().filter(|r| r["verdict"] == "fail").collect();
    assert_eq!(failing.len(), 2);
    for r in failing {
        let seed = r["seed"].as_u64().unwrap();
        let full = msgsim::scenario::load(&dir.join(format!("m/seed-{seed}.ron"))).unwrap();
        let min_path = dir.join(format!("m/seed-{seed}.min.ron"));
        let min = msgsim::scenario::load(&min_path).unwrap();
        // lost_request is judged after the quiet phase: it must keep its length.
        assert_eq!(min.scenario.quiet_ms, full.scenario.quiet_ms, "seed {seed}");
        let replay = msgsim(&dir, &["run", min_path.to_str().unwrap(), "--json"]);
        assert_eq!(replay.status.code(), Some(1));
        let v: Value = serde_json::from_str(text(&replay.stdout).trim()).unwrap();
        let failed_invariants: Vec<&str> = v["expectations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["ok"] == false && c["kind"] == "invariant")
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(failed_invariants, ["anomaly:lost_request"]);
        let kinds = |a: &Value| -> Vec<String> {
            a.as_object()
                .unwrap()
                .iter()
                .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
                .map(|(k, _)| k.clone())
                .collect()
        };
        assert_eq!(
            kinds(&v["anomalies"]),
            kinds(&r["anomalies"]),
            "same anomalies"
        );
    }
}

#[test]
fn profiles_keep_the_files_start_and_targets_and_resume_carries_every_flag() {
    let dir = workdir("profile");
    // The file's fault_profile starts at 200 ms and targets the servers; restrict it.
    std::fs::write(
        dir.join("targeted.ron"),
        FIXTURE.replace("start_ms: 200,", "start_ms: 1_500, targets: [\"s2\"],"),
    )
    .unwrap();
    let o = msgsim(
        &dir,
        &[
            "explore",
            "targeted.ron",
            "--seeds",
            "0..8",
            "--profile",
            "all",
            "--out",
            "p",
        ],
    );
    assert!(o.status.code().is_some());
    for r in rows(&dir, "p") {
        let s = runner_schedule(
            &dir.join("targeted.ron"),
            r["seed"].as_u64().unwrap(),
            "all",
        );
        for (at, node) in s {
            assert!(
                at >= 1_500,
                "generated fault at {at} ms before the file's start"
            );
            assert!(node.is_empty() || node == "s2", "fault on {node}");
        }
    }
    let o = msgsim(&dir, &["run", "targeted.ron", "--profile", "all"]);
    let banner = text(&o.stderr);
    assert!(banner.contains("start_ms: 1500"), "{banner}");
    assert!(banner.contains("targets: [\"s2\"]"), "{banner}");
    // Without a fault_profile the preset starts after the model's warm-up (Redis: replicas
    // synced, well after the preset's 1 s); flags override.
    let redis = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/redis/r09-failover-kills-subscribers.ron");
    let warm_up = msgsim::scenario::load(&redis)
        .unwrap()
        .scenario
        .system
        .warm_up_ms();
    assert!(warm_up > 1_000);
    let o = msgsim(
        &dir,
        &["run", redis.to_str().unwrap(), "--profile", "crash"],
    );
    let banner = text(&o.stderr);
    assert!(banner.contains(&format!("start_ms: {warm_up}")), "{banner}");
    let o = msgsim(
        &dir,
        &[
            "run",
            "bare.ron",
            "--profile",
            "crash",
            "--fault-start-ms",
            "7000",
            "--targets",
            "s1",
        ],
    );
    let banner = text(&o.stderr);
    assert!(banner.contains("start_ms: 7000"), "{banner}");
    assert!(banner.contains("targets: [\"s1\"]"), "{banner}");
    // A budgeted sweep's resume command carries every flag.
    let o = msgsim(
        &dir,
        &[
            "explore",
            "bare.ron",
            "--seeds",
            "0..",
            "--budget",
            "1ms",
            "--out",
            "r",
            "--profile",
            "crash",
            "--fault-start-ms",
            "700",
            "--targets",
            "s1,s2",
            "--minimize",
            "--fail-fast",
            "3",
            "--jobs",
            "1",
        ],
    );
    let summary = text(&o.stdout);
    let resume = summary
        .lines()
        .find(|l| l.contains("resume:"))
        .unwrap_or_else(|| panic!("a resume line: {summary}"));
    for flag in [
        "--profile crash",
        "--fault-start-ms 700",
        "--targets s1,s2",
        "--budget 1ms",
        "--minimize",
        "--fail-fast 3",
        "--jobs 1",
    ] {
        assert!(resume.contains(flag), "{flag} in {resume}");
    }
}

/// (time, node) of each generated fault of `file` with `seed` under `profile`, as the CLI
/// resolves the preset (node empty for a heal).
fn runner_schedule(file: &Path, seed: u64, profile: &str) -> Vec<(u64, String)> {
    let loaded = msgsim::scenario::load(file).unwrap();
    let p = msgsim::profile::resolve(profile, &loaded.scenario, &Default::default()).unwrap();
    let (_, faults) = msgsim::runner::schedule(&loaded.scenario, seed, Some(&p));
    faults
        .iter()
        .map(|f| {
            let v = serde_json::to_value(f).unwrap();
            let (_, body) = v.as_object().unwrap().iter().next().unwrap();
            (
                body["at_ms"].as_u64().unwrap(),
                body["node"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}
