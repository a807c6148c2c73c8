//! Where a sweep's shard comes from when `--shard I/N` is not given: the environment of the job
//! engine that started the process. First match wins:
//!
//! 1. `--shard I/N` or `MSGSIM_SHARD=I/N` (clap reads both into one flag);
//! 2. Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` (0-based) with `--shard-count N`
//!    (Kubernetes injects the index, not the count);
//! 3. Slurm job arrays: the task's *position* in the array, `(SLURM_ARRAY_TASK_ID −
//!    SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP`, of `SLURM_ARRAY_TASK_COUNT` (or
//!    `--shard-count`). Indexing by position rather than by value makes `--array=1-16`,
//!    `--array=0-15` and a stepped `--array=1-7:2` (ids 1, 3, 5, 7 → shards 0..3 of 4) all cover
//!    every seed once. Slurm sets `SLURM_ARRAY_TASK_STEP` for stepped ranges (sbatch(1), "OUTPUT
//!    ENVIRONMENT VARIABLES"); an id that is not on the step grid is refused rather than guessed.
//!
//! An index without a count, or a count without an index, is an input error: a silent full sweep
//! on every worker would multiply the work and overwrite results.

use crate::seeds::Shard;

/// The shard and a phrase naming where it came from (printed back on stderr).
pub fn resolve(
    flag: Option<Shard>,
    shard_count: Option<u64>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Shard, &'static str), String> {
    if let Some(s) = flag {
        return Ok((s, "--shard / MSGSIM_SHARD"));
    }
    let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    if let Some(i) = var("JOB_COMPLETION_INDEX") {
        let index = int("JOB_COMPLETION_INDEX", &i)?;
        let count = shard_count.ok_or(
            "JOB_COMPLETION_INDEX is set but the shard count is not: pass --shard-count N (Kubernetes does not inject it)",
        )?;
        return checked(
            Shard { index, count },
            "JOB_COMPLETION_INDEX + --shard-count",
        );
    }
    if let Some(id) = var("SLURM_ARRAY_TASK_ID") {
        let shard = slurm_shard(int("SLURM_ARRAY_TASK_ID", &id)?, shard_count, &var)?;
        return checked(
            shard,
            "(SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP of SLURM_ARRAY_TASK_COUNT",
        );
    }
    if shard_count.is_some() {
        return Err("--shard-count needs JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID in the environment (or use --shard I/N)".into());
    }
    Ok((Shard::ALL, "default"))
}

/// The task's position in a Slurm array (see the module comment).
fn slurm_shard(
    id: u64,
    shard_count: Option<u64>,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Shard, String> {
    let optional = |k: &str, default: u64| var(k).map(|v| int(k, &v)).unwrap_or(Ok(default));
    let min = optional("SLURM_ARRAY_TASK_MIN", 0)?;
    let step = optional("SLURM_ARRAY_TASK_STEP", 1)?.max(1);
    let count = match shard_count {
        Some(c) => c,
        None => int(
            "SLURM_ARRAY_TASK_COUNT",
            &var("SLURM_ARRAY_TASK_COUNT").ok_or(
                "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard-count N",
            )?,
        )?,
    };
    let offset = id
        .checked_sub(min)
        .ok_or("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN")?;
    if offset % step != 0 {
        return Err(format!(
            "SLURM_ARRAY_TASK_ID={id} is not on the array's grid (min {min}, step {step}); \
             for an irregular list of ids pass --shard I/N"
        ));
    }
    Ok(Shard {
        index: offset / step,
        count,
    })
}

fn checked(shard: Shard, source: &'static str) -> Result<(Shard, &'static str), String> {
    shard.check()?;
    Ok((shard, source))
}

fn int(k: &str, v: &str) -> Result<u64, String> {
    v.trim()
        .parse::<u64>()
        .map_err(|_| format!("{k}={v} is not an integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn slurm(id: u64, min: u64, step: u64, count: u64) -> Result<Shard, String> {
        let (id, min, step, count) = (
            id.to_string(),
            min.to_string(),
            step.to_string(),
            count.to_string(),
        );
        let env = with(&[
            ("SLURM_ARRAY_TASK_ID", &id),
            ("SLURM_ARRAY_TASK_MIN", &min),
            ("SLURM_ARRAY_TASK_STEP", &step),
            ("SLURM_ARRAY_TASK_COUNT", &count),
        ]);
        resolve(None, None, &env).map(|(s, _)| s)
    }

    #[test]
    fn a_stepped_slurm_array_maps_each_task_to_its_position() {
        // sbatch --array=1-7:2 → ids 1, 3, 5, 7, count 4.
        let shards: Vec<u64> = [1, 3, 5, 7]
            .iter()
            .map(|&id| slurm(id, 1, 2, 4).unwrap().index)
            .collect();
        assert_eq!(shards, vec![0, 1, 2, 3]);
        assert!(slurm(4, 1, 2, 4).unwrap_err().contains("grid"));
    }

    #[test]
    fn one_based_and_zero_based_arrays_cover_the_same_shards() {
        let one: Vec<u64> = (1..=4)
            .map(|id| slurm(id, 1, 1, 4).unwrap().index)
            .collect();
        let zero: Vec<u64> = (0..4).map(|id| slurm(id, 0, 1, 4).unwrap().index).collect();
        assert_eq!(one, zero);
        assert_eq!(one, vec![0, 1, 2, 3]);
    }

    #[test]
    fn an_index_without_a_count_is_refused() {
        let k8s = with(&[("JOB_COMPLETION_INDEX", "2")]);
        assert!(resolve(None, None, &k8s).is_err());
        assert_eq!(resolve(None, Some(4), &k8s).unwrap().0.index, 2);
        assert!(resolve(None, Some(4), &with(&[])).is_err());
        assert_eq!(resolve(None, None, &with(&[])).unwrap().0.count, 1);
    }
}
