//! The summary lines of a sweep that stopped early or ran on a budget: which seeds it covered,
//! the next seed and the command that resumes it.

use crate::explore_args::ExploreArgs;
use crate::seeds::Shard;
use msgsim::scenario::LoadedScenario;
use std::time::Duration;

/// How far a sweep got.
pub struct Progress {
    /// The last seed whose result was written (seeds before it in this shard all ran).
    pub last_seed: Option<u64>,
    /// `--fail-fast` stopped it.
    pub fail_fast: bool,
    /// The budget ran out before the range did.
    pub out_of_budget: bool,
}

/// `--profile NAME` and its overrides as given (empty without a profile).
pub fn profile_args(args: &ExploreArgs) -> String {
    match &args.profile {
        Some(p) => format!(" --profile {p}{}", args.profile_flags.to_args()),
        None => String::new(),
    }
}

/// The summary lines naming the seeds covered and, when the sweep stopped before the end of its
/// range, the next seed and the command that resumes it.
pub fn coverage(
    args: &ExploreArgs,
    loaded: &LoadedScenario,
    shard: Shard,
    p: &Progress,
    wall: Duration,
) -> String {
    let mut out = String::new();
    if let Some(b) = &args.budget {
        let how = if p.out_of_budget {
            format!(
                "ran out after {:.1} s; stopped launching seeds",
                wall.as_secs_f64()
            )
        } else if p.fail_fast {
            "not used up (--fail-fast stopped first)".to_string()
        } else {
            "not used up (the range ended first)".to_string()
        };
        out.push_str(&format!("budget      {b} (per shard): {how}\n"));
    }
    let Some(last) = p.last_seed else {
        return out;
    };
    let range = args.seeds;
    if args.budget.is_some() || p.fail_fast {
        let which = if shard.count > 1 {
            format!(
                ", every seed s with s % {} == {} in it",
                shard.count, shard.index
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "covered     seeds {}..{}{which}\n",
            range.start,
            last + 1
        ));
    }
    if !(p.out_of_budget || p.fail_fast) {
        return out;
    }
    let next = last.checked_add(shard.count).filter(|n| *n < range.end);
    let Some(next) = next else {
        out.push_str("next seed   none: the range is done\n");
        return out;
    };
    let end = if range.open {
        String::new()
    } else {
        range.end.to_string()
    };
    let mut cmd = format!("msgsim explore {} --seeds {next}..{end}", loaded.path);
    if shard.count > 1 {
        cmd.push_str(&format!(" --shard {}/{}", shard.index, shard.count));
    }
    cmd.push_str(&profile_args(args));
    for k in &args.vary {
        let values: Vec<String> = k.values.iter().map(crate::triage::scalar).collect();
        cmd.push_str(&format!(" --vary {}={}", k.path, values.join(",")));
    }
    if let Some(b) = &args.budget {
        cmd.push_str(&format!(" --budget {b}"));
    }
    if let Some(j) = args.jobs {
        cmd.push_str(&format!(" --jobs {j}"));
    }
    if args.minimize {
        cmd.push_str(" --minimize");
    }
    if let Some(n) = args.fail_fast {
        cmd.push_str(&format!(" --fail-fast {n}"));
    }
    cmd.push_str(&format!(" --out {}-from-{next}", args.out.display()));
    out.push_str(&format!("next seed   {next}\n"));
    out.push_str(&format!("  resume: {cmd}\n"));
    out
}
