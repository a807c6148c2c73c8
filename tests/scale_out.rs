//! The scale-out recipes in `deploy/` run as written: each recipe's own shard command is taken
//! from the file, run once per shard with the environment its engine gives a task
//! (`JOB_COMPLETION_INDEX` for Kubernetes Indexed Jobs, `SLURM_ARRAY_*` for Slurm arrays —
//! stepped ones too —, the matrix index and `strategy.job-total` for GitHub Actions), and the
//! shards' `results.jsonl` merged must equal the unsharded sweep seed for seed. The Kubernetes
//! recipe's retry policy is checked too: a found bug (exit 1) fails the index without retry.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// An echo sweep whose delivered count lands on either side of 20,000 with the seed, so results hold both
/// verdicts.
const SCENARIO: &str = r#"(
    version: 1,
    name: "scale-out-fixture",
    duration_ms: 2_000,
    quiet_ms: 500,
    system: Echo(clients: 2, servers: 2, window: 2, timeout_ms: 200),
    fault_profile: (crash: true, interval_ms_mean: 2_000, duration_ms_min: 200,
                    duration_ms_max: 800, start_ms: 200),
    expect: ["delivered >= 20_000"],
)
"#;
const SEEDS: &str = "0..20";

fn recipe(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("scale-out")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("sweep.ron"), SCENARIO).unwrap();
    dir
}

/// Runs a shell command in `dir` with msgsim on PATH and the given environment only (plus PATH
/// and HOME), returning the exit code.
fn sh(dir: &Path, script: &str, env: &[(&str, String)]) -> i32 {
    let bin = Path::new(env!("CARGO_BIN_EXE_msgsim")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(script).current_dir(dir).env_clear();
    cmd.env("PATH", path).env("HOME", dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bash runs");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "recipe command failed ({code}):\n{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    code
}

/// The common environment of a task: what the recipes read with their defaults overridden.
fn task_env(results: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SCENARIO", "sweep.ron".into()),
        ("SEEDS", SEEDS.into()),
        ("PROFILE", "crash".into()),
        ("RESULTS", results.into()),
    ]
}

/// `results.jsonl` rows of every shard directory under `dir/root`, sorted by seed, without the
/// wall time.
fn merged(dir: &Path, root: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(dir.join(root)).unwrap() {
        let file = entry.unwrap().path().join("results.jsonl");
        rows.extend(rows_of(&file));
    }
    rows.sort_by_key(|r| r["seed"].as_u64());
    rows
}

fn rows_of(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("wall_ms");
            v
        })
        .collect()
}

/// The unsharded sweep the merged shards must equal.
fn unsharded(dir: &Path) -> Vec<Value> {
    let code = sh(
        dir,
        &format!("msgsim explore sweep.ron --seeds {SEEDS} --profile crash --jobs 1 --out whole"),
        &[],
    );
    assert_eq!(
        code, 1,
        "the fixture has failing seeds, so the sweep shows both verdicts"
    );
    let rows = rows_of(&dir.join("whole/results.jsonl"));
    assert_eq!(rows.len(), 20);
    rows
}

/// The lines of the YAML block scalar that follows the first line ending with `key` (`run: |`,
/// `- |`), dedented — a recipe's shell command as written in the file.
fn block_after(yaml: &str, key: &str) -> String {
    let mut lines = yaml.lines().skip_while(|l| !l.trim_end().ends_with(key));
    let head = lines.next().unwrap_or_else(|| panic!("no `{key}` block"));
    let indent = head.len() - head.trim_start().len();
    let body: Vec<&str> = lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
        .collect();
    let cut = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap();
    body.iter()
        .map(|l| l.get(cut..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value of a `- {name: NAME, value: "V"}` or `NAME: V` line.
fn yaml_value(yaml: &str, name: &str) -> String {
    let line = yaml
        .lines()
        .find(|l| {
            l.contains(&format!("name: {name},")) || l.trim_start().starts_with(&format!("{name}:"))
        })
        .unwrap_or_else(|| panic!("no {name} in the recipe"));
    let v = line.rsplit(':').next().unwrap();
    let v = v.split('#').next().unwrap();
    v.trim()
        .trim_end_matches('}')
        .trim()
        .trim_matches('"')
        .to_string()
}

#[test]
fn kubernetes_indexed_job_shards_equal_the_unsharded_sweep() {
    let job = recipe("deploy/kubernetes/sweep-job.yaml");
    let shards: u64 = yaml_value(&job, "SHARDS").parse().unwrap();
    let completions: u64 = yaml_value(&job, "completions").parse().unwrap();
    assert_eq!(shards, completions, "one pod index per shard");
    // A found bug is final: exit 1 fails the index without retrying the same seeds.
    let policy = job
        .split("\n  podFailurePolicy:")
        .nth(1)
        .expect("a podFailurePolicy");
    assert!(policy.contains("action: FailIndex") && policy.contains("values: [1, 2, 3]"));
    assert!(
        job.contains("ReadWriteMany"),
        "the shared results volume is RWX"
    );
    assert!(job.contains("restartPolicy: Never"));

    let dir = workdir("kubernetes");
    let whole = unsharded(&dir);
    let command = block_after(&job, "- |");
    for index in 0..shards {
        let mut env = task_env("results");
        env.push(("SHARDS", shards.to_string()));
        env.push(("JOB_COMPLETION_INDEX", index.to_string()));
        sh(&dir, &command, &env);
    }
    assert_eq!(merged(&dir, "results"), whole);
}

#[test]
fn slurm_arrays_stepped_or_not_equal_the_unsharded_sweep() {
    let script = recipe("deploy/slurm/sweep.sbatch");
    assert!(script.contains("#SBATCH --cpus-per-task=2"));
    assert!(
        script.contains("--jobs \"${SLURM_CPUS_PER_TASK"),
        "--jobs follows the CPUs given"
    );
    let dir = workdir("slurm");
    let whole = unsharded(&dir);
    // --array=0-3, --array=1-4 and the stepped --array=1-7:2 (ids 1, 3, 5, 7).
    for (name, ids, min, step) in [
        ("zero", vec![0u64, 1, 2, 3], 0u64, 1u64),
        ("one", vec![1, 2, 3, 4], 1, 1),
        ("stepped", vec![1, 3, 5, 7], 1, 2),
    ] {
        for &id in &ids {
            let mut env = task_env(name);
            env.push(("SLURM_ARRAY_JOB_ID", "42".into()));
            env.push(("SLURM_ARRAY_TASK_ID", id.to_string()));
            env.push(("SLURM_ARRAY_TASK_MIN", min.to_string()));
            env.push(("SLURM_ARRAY_TASK_MAX", ids.last().unwrap().to_string()));
            env.push(("SLURM_ARRAY_TASK_STEP", step.to_string()));
            env.push(("SLURM_ARRAY_TASK_COUNT", ids.len().to_string()));
            env.push(("SLURM_CPUS_PER_TASK", "2".into()));
            sh(&dir, &script, &env);
        }
        assert_eq!(merged(&dir, name), whole, "--array {name}");
    }
}

#[test]
fn github_actions_matrix_shards_equal_the_unsharded_sweep() {
    let workflow = recipe("deploy/github-actions/sweep.yml");
    assert!(workflow.contains("actions/cache@v4"), "the build is cached");
    assert!(
        workflow.contains("needs: sweep"),
        "a merge job follows the matrix"
    );
    let matrix = yaml_value(&workflow, "shard");
    let shards: Vec<&str> = matrix
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .collect();
    let dir = workdir("github");
    let whole = unsharded(&dir);
    let run = block_after(
        workflow.split("name: explore one shard").nth(1).unwrap(),
        "run: |",
    );
    for shard in &shards {
        let command = run
            .replace("chmod +x bin/msgsim && ", "")
            .replace("${{ matrix.shard }}", shard.trim())
            .replace("${{ strategy.job-total }}", &shards.len().to_string())
            .replace("out/", "results/");
        sh(&dir, &command, &task_env("unused"));
    }
    assert_eq!(merged(&dir, "results"), whole);
}
