//! Shared by the sweep command-line tests (`explore.rs`, `triage.rs`): a fresh working directory
//! with fixture files, the `msgsim` binary run in it with no sharding or seed variables
//! inherited from the environment, and the rows of a sweep's results.jsonl.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `CARGO_TARGET_TMPDIR/group/name`, emptied, holding `files` (name, contents).
pub fn workdir(group: &str, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, body) in files {
        std::fs::write(dir.join(file), body).unwrap();
    }
    dir
}

/// Run `msgsim args` in `dir` with `env` set and no inherited seed or shard variables.
pub fn msgsim(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_msgsim"));
    cmd.args(args).current_dir(dir);
    for k in [
        "MSGSIM_SEED",
        "MSGSIM_SEEDS",
        "MSGSIM_SHARD",
        "JOB_COMPLETION_INDEX",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_COUNT",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("msgsim runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every row of `dir/out/results.jsonl`.
pub fn rows(dir: &Path, out: &str) -> Vec<Value> {
    std::fs::read_to_string(dir.join(out).join("results.jsonl"))
        .expect("results.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}
