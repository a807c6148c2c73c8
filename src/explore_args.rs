//! The arguments of `msgsim explore` (read by `explore.rs` and by `budget.rs`).

use crate::budget::Budget;
use crate::seeds::{SeedRange, Shard};
use crate::vary::Knob;
use clap::Args;
use msgsim::profile::ProfileOverrides;
use std::path::PathBuf;

#[derive(Args)]
pub struct ExploreArgs {
    pub scenario: PathBuf,
    /// Seeds to run: `A..B` (B excluded), `A..=B`, or one seed; `A..` (no end) with --budget.
    #[arg(long, env = "MSGSIM_SEEDS")]
    pub seeds: SeedRange,
    /// Wall-clock budget (per shard): launch seeds in order until it runs out, e.g. 90s, 10m,
    /// 1h (at most 7d). Only seeds that completed are written; the summary prints the next seed.
    #[arg(long, env = "MSGSIM_BUDGET", value_name = "DURATION")]
    pub budget: Option<Budget>,
    /// Worker threads (default: RAYON_NUM_THREADS or the number of cores). Results do not
    /// depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub jobs: Option<u64>,
    /// Run only shard I of N (0-based): the seeds s with s % N == I.
    #[arg(long, env = "MSGSIM_SHARD")]
    pub shard: Option<Shard>,
    /// Shard count when the index comes from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) or
    /// SLURM_ARRAY_TASK_ID.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub shard_count: Option<u64>,
    /// Replace the scenario's fault profile with a preset (healthy, crash, disk-loss, pause,
    /// partition, partition-one-way, clog, clock, all, swarm).
    #[arg(long)]
    pub profile: Option<String>,
    #[command(flatten)]
    pub profile_flags: ProfileFlags,
    /// Sweep a scenario field over values: PATH=V1,V2,... (repeatable: every combination runs
    /// the seeds), e.g. `system.server.min_replicas_max_lag_s=1,5,10`.
    #[arg(long, value_name = "PATH=V1,V2")]
    pub vary: Vec<Knob>,
    /// Output directory: results.jsonl and one RON scenario per failing seed.
    #[arg(long, value_name = "DIR", default_value = "explore-out")]
    pub out: PathBuf,
    /// Shrink each failing seed's scenario (fault schedule, duration, workload) to a smaller one
    /// that still fails the same expectation; writes seed-N.min.ron beside seed-N.ron.
    #[arg(long)]
    pub minimize: bool,
    /// Stop after N failing seeds (in seed order, so the result does not depend on --jobs).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub fail_fast: Option<u64>,
}

/// What `--profile` keeps from the scenario unless told otherwise (`profile.rs`).
#[derive(Args, Clone, Debug, Default)]
pub struct ProfileFlags {
    /// With --profile: first generated fault not before this time (default: the file's
    /// fault_profile.start_ms, else the model's warm-up).
    #[arg(long, value_name = "MS")]
    pub fault_start_ms: Option<u64>,
    /// With --profile: nodes the generated faults target, comma-separated (default: the
    /// file's fault_profile.targets, else the model's servers).
    #[arg(long, value_name = "NODES", value_delimiter = ',')]
    pub targets: Option<Vec<String>>,
}

impl ProfileFlags {
    pub fn overrides(&self) -> ProfileOverrides {
        ProfileOverrides {
            start_ms: self.fault_start_ms,
            targets: self.targets.clone(),
        }
    }

    /// The flags as they were given, for a command that must carry them.
    pub fn to_args(&self) -> String {
        let mut out = String::new();
        if let Some(s) = self.fault_start_ms {
            out.push_str(&format!(" --fault-start-ms {s}"));
        }
        if let Some(t) = &self.targets {
            out.push_str(&format!(" --targets {}", t.join(",")));
        }
        out
    }
}
