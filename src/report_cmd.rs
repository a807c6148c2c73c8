//! `msgsim report DIR`: the triage of a finished sweep, re-read from its `results.jsonl` (or the
//! shards' files concatenated into one: rows are put back in seed order). Prints what
//! `explore` prints after a sweep: totals, distributions, failing seeds by signature with the
//! smallest seed's repro, coverage and, for `--vary` sweeps, the table per value.

use crate::triage::{Triage, vary_label};
use clap::Args;
use msgsim::exit;
use msgsim_models::highlights;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct ReportArgs {
    /// A sweep's output directory (holding results.jsonl) or a results.jsonl file.
    pub dir: PathBuf,
}

/// Rows of a results file, each checked to be a JSON object with a seed (`file:line` on error).
pub fn read_rows(path: &std::path::Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format!("{}:{}:{}: {e}", path.display(), i + 1, e.column()))?;
        if v["seed"].as_u64().is_none() || v["verdict"].as_str().is_none() {
            return Err(format!(
                "{}:{}:1: not a results row (no seed or verdict)",
                path.display(),
                i + 1
            ));
        }
        rows.push(v);
    }
    // Seed order within each `--vary` point, points in the order they first appear (the order
    // explore ran them), so a merged sharded sweep reads like the unsharded one.
    let mut first: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        first.entry(vary_label(r)).or_insert(i);
    }
    rows.sort_by_key(|r| (first[&vary_label(r)], r["seed"].as_u64()));
    Ok(rows)
}

/// The triage of all rows, and one per `--vary` point (in order of first appearance).
pub fn triages(rows: &[Value], key_obs: &[&str]) -> (Triage, Vec<(String, Triage)>) {
    let mut all = Triage::default();
    let mut points: BTreeMap<String, Triage> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for r in rows {
        all.add(r, key_obs);
        let label = vary_label(r);
        if label.is_empty() {
            continue;
        }
        if !points.contains_key(&label) {
            order.push(label.clone());
        }
        points.entry(label).or_default().add(r, key_obs);
    }
    let per_point = order
        .into_iter()
        .map(|l| {
            let t = points.remove(&l).expect("present");
            (l, t)
        })
        .collect();
    (all, per_point)
}

pub fn cmd_report(args: ReportArgs) -> i32 {
    let (file, dir) = if args.dir.is_dir() {
        (args.dir.join("results.jsonl"), args.dir.clone())
    } else {
        let dir = args
            .dir
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        (args.dir.clone(), dir)
    };
    let rows = match read_rows(&file) {
        Ok(r) => r,
        Err(m) => {
            eprintln!("error: {m}");
            return exit::BAD_INPUT;
        }
    };
    let model = rows
        .first()
        .and_then(|r| r["model"].as_str())
        .unwrap_or("")
        .to_string();
    let key_obs = highlights::key_observations(&model);
    let (all, points) = triages(&rows, key_obs);
    let scenario = rows
        .first()
        .and_then(|r| r["scenario"].as_str())
        .unwrap_or("?");
    let mut out = format!(
        "report      {scenario} ({}), {} rows from {}\n",
        if model.is_empty() { "model ?" } else { &model },
        rows.len(),
        file.display()
    );
    out.push_str(&format!(
        "seeds run   {} (pass {}, fail {}, error {}, panic {})\n",
        all.run, all.pass, all.fail, all.error, all.panic
    ));
    if !points.is_empty() {
        let refs: Vec<(String, &Triage)> = points.iter().map(|(l, t)| (l.clone(), t)).collect();
        out.push_str(&crate::triage::vary_table(&refs, key_obs));
    }
    out.push_str(&all.render(&dir, key_obs, highlights::key_coverage(&model)));
    let failing = all.fail + all.error + all.panic;
    out.push_str(&format!(
        "verdict     {}\n",
        if failing == 0 { "pass" } else { "fail" }
    ));
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    if all.fail > 0 {
        exit::FAIL
    } else if failing > 0 {
        exit::INTERNAL
    } else {
        exit::PASS
    }
}
