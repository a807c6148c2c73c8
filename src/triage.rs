//! The triage of a sweep: totals and distributions over all seeds, failing seeds grouped by
//! signature, coverage. Built from `results.jsonl` rows (the JSON written by `results.rs`), so
//! `msgsim explore` and `msgsim report DIR` (a finished or merged sharded sweep) print the same.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A failing-seed group: how many seeds share the signature, and the smallest.
#[derive(Debug)]
pub struct Group {
    pub seeds: u64,
    pub smallest: u64,
    /// The smallest seed's repro file (relative to the sweep's directory).
    pub repro: Option<String>,
}

/// One (anomaly, cause) over a sweep: its total count, seeds, and the first example.
#[derive(Debug, Default)]
pub struct CauseTally {
    pub count: u64,
    pub seeds: u64,
    pub example: Option<(u64, String)>,
}

/// Totals over the rows of a sweep.
#[derive(Debug, Default)]
pub struct Triage {
    pub model: String,
    pub run: u64,
    pub pass: u64,
    pub fail: u64,
    pub error: u64,
    pub panic: u64,
    /// Seeds with at least one observation miss.
    pub missed_seeds: u64,
    pub by_invariant: BTreeMap<String, u64>,
    pub by_observation: BTreeMap<String, u64>,
    /// Seeds where an invariant failed outside its scope (`invariant unless FAULT:`), and per
    /// such invariant the number of seeds and the first few of them.
    pub outside_scope_seeds: u64,
    pub by_outside_scope: BTreeMap<String, (u64, Vec<u64>)>,
    /// Per anomaly: its non-zero counts, one per affected seed.
    pub anomalies: BTreeMap<String, Vec<u64>>,
    pub causes: BTreeMap<(String, String), CauseTally>,
    /// Per key observation: its value in every seed that reported it.
    pub observations: BTreeMap<String, Vec<f64>>,
    /// Per coverage counter: seeds where it is above 0.
    pub coverage: BTreeMap<String, u64>,
    pub groups: BTreeMap<String, Group>,
    /// The smallest failing seed and its repro file (relative to the sweep's directory).
    pub first_failure: Option<(u64, Option<String>)>,
    /// Failing seeds whose repro file did not replay to the same trace hash.
    pub unverified: Vec<u64>,
}

/// Seeds listed per invariant missed outside its scope.
const SEEDS_LISTED: usize = 10;

/// A row's invariants missed outside their scope, as `TEXT (unless-fault fired: F, ...)`.
fn outside_scope(row: &Value) -> Vec<String> {
    row["outside_scope"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let faults: Vec<&str> = o["faults"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            format!(
                "{} [{} fired]",
                o["expectation"].as_str().unwrap_or(""),
                faults.join(", ")
            )
        })
        .collect()
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other["expectation"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| other.to_string()),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The vary values of a row as `path=value` words (empty without `--vary`).
pub fn vary_label(row: &Value) -> String {
    row["vary"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", scalar(v)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// A JSON scalar as written on a command line (strings without quotes).
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Triage {
    /// Add one `results.jsonl` row.
    pub fn add(&mut self, row: &Value, key_observations: &[&str]) {
        let seed = row["seed"].as_u64().unwrap_or(0);
        if let Some(m) = row["model"].as_str() {
            self.model = m.to_string();
        }
        self.run += 1;
        let verdict = row["verdict"].as_str().unwrap_or("");
        match verdict {
            "pass" => self.pass += 1,
            "fail" => self.fail += 1,
            "error" => self.error += 1,
            _ => self.panic += 1,
        }
        let failed = strings(row, "failed");
        let missed = strings(row, "missed");
        for f in &failed {
            *self.by_invariant.entry(f.clone()).or_insert(0) += 1;
        }
        if !missed.is_empty() {
            self.missed_seeds += 1;
        }
        for m in &missed {
            *self.by_observation.entry(m.clone()).or_insert(0) += 1;
        }
        let outside = outside_scope(row);
        if !outside.is_empty() {
            self.outside_scope_seeds += 1;
        }
        for o in outside {
            let (n, seeds) = self.by_outside_scope.entry(o).or_default();
            *n += 1;
            if seeds.len() < SEEDS_LISTED {
                seeds.push(seed);
            }
        }
        let anomalies: BTreeMap<String, u64> = row["anomalies"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_u64().filter(|n| *n > 0).map(|n| (k.clone(), n)))
                    .collect()
            })
            .unwrap_or_default();
        for (k, n) in &anomalies {
            self.anomalies.entry(k.clone()).or_default().push(*n);
        }
        if let Some(ex) = row["explanations"].as_object() {
            for (anomaly, list) in ex {
                for e in list.as_array().into_iter().flatten() {
                    let cause = e["cause"].as_str().unwrap_or("?").to_string();
                    let t = self.causes.entry((anomaly.clone(), cause)).or_default();
                    t.count += e["count"].as_u64().unwrap_or(0);
                    t.seeds += 1;
                    if t.example.is_none()
                        && let Some(first) = e["examples"][0].as_str()
                    {
                        t.example = Some((seed, first.to_string()));
                    }
                }
            }
        }
        for k in key_observations {
            if let Some(v) = row["observations"][*k].as_f64() {
                self.observations
                    .entry((*k).to_string())
                    .or_default()
                    .push(v);
            }
        }
        if let Some(m) = row["sometimes"].as_object() {
            for (k, v) in m {
                let hit = v.as_u64().unwrap_or(0) > 0;
                *self.coverage.entry(k.clone()).or_insert(0) += u64::from(hit);
            }
        }
        if verdict == "pass" {
            return;
        }
        if self.first_failure.as_ref().is_none_or(|(f, _)| seed < *f) {
            self.first_failure = Some((seed, row["repro"].as_str().map(str::to_string)));
        }
        if row["replay_verified"] == Value::Bool(false) {
            self.unverified.push(seed);
        }
        let mut parts = Vec::new();
        let vary = vary_label(row);
        if !vary.is_empty() {
            parts.push(format!("[{vary}]"));
        }
        match verdict {
            "fail" => parts.push(failed.join(" & ")),
            other => parts.push(format!("({other})")),
        }
        let kinds: Vec<&str> = anomalies.keys().map(String::as_str).collect();
        parts.push(format!("anomalies {{{}}}", kinds.join(",")));
        parts.push(format!(
            "faults {{{}}}",
            strings(row, "fault_families").join(",")
        ));
        let g = self.groups.entry(parts.join("  ")).or_insert(Group {
            seeds: 0,
            smallest: seed,
            repro: None,
        });
        g.seeds += 1;
        if seed <= g.smallest || g.repro.is_none() {
            g.smallest = seed.min(g.smallest);
            if seed == g.smallest {
                g.repro = row["repro"].as_str().map(str::to_string);
            }
        }
    }

    /// The triage lines of a summary: failures by invariant, observation misses, anomaly
    /// distributions with causes, key observations, failing groups with their repro, coverage.
    pub fn render(&self, dir: &Path, key_observations: &[&str], key_coverage: &[&str]) -> String {
        let mut out = String::new();
        if self.missed_seeds > 0 {
            out.push_str(&format!(
                "observation misses on {} of {} seeds (the scenario's own schedule; not failures):\n",
                self.missed_seeds, self.run
            ));
            for (k, v) in &self.by_observation {
                out.push_str(&format!("  {v:>8}  {k}\n"));
            }
        }
        if self.outside_scope_seeds > 0 {
            out.push_str(&format!(
                "invariant misses outside their scope on {} of {} seeds (a fault the invariant \
                 is not promised under fired: a documented hazard, docs/guarantees.md; not \
                 failures):\n",
                self.outside_scope_seeds, self.run
            ));
            for (k, (n, seeds)) in &self.by_outside_scope {
                let list: Vec<String> = seeds.iter().map(u64::to_string).collect();
                let more = if *n as usize > seeds.len() {
                    ", ..."
                } else {
                    ""
                };
                out.push_str(&format!(
                    "  {n:>8}  {k}  (seeds {}{more})\n",
                    list.join(", ")
                ));
            }
        }
        if !self.by_invariant.is_empty() {
            out.push_str("invariant failures by expectation:\n");
            for (k, v) in &self.by_invariant {
                out.push_str(&format!("  {v:>8}  {k}\n"));
            }
        }
        if !self.anomalies.is_empty() {
            out.push_str(&format!(
                "anomalies over all {} seeds (seeds affected; min / median / max where non-zero):\n",
                self.run
            ));
            for (k, counts) in &self.anomalies {
                let (min, med, max) = distribution(counts.iter().map(|&c| c as f64));
                out.push_str(&format!(
                    "  {k:<28} {:>6}/{}  {min} / {med} / {max}\n",
                    counts.len(),
                    self.run
                ));
                for ((a, cause), t) in self.causes.range((k.clone(), String::new())..) {
                    if a != k {
                        break;
                    }
                    out.push_str(&format!(
                        "      cause {cause}: {} in {} seeds",
                        t.count, t.seeds
                    ));
                    if let Some((seed, ex)) = &t.example {
                        out.push_str(&format!(", e.g. seed {seed}: {ex}"));
                    }
                    out.push('\n');
                }
            }
        }
        let shown: Vec<&str> = key_observations
            .iter()
            .copied()
            .filter(|k| self.observations.contains_key(*k))
            .collect();
        if !shown.is_empty() {
            out.push_str("observations (min / median / max over all seeds):\n");
            for k in shown {
                let (min, med, max) = distribution(self.observations[k].iter().copied());
                out.push_str(&format!("  {k:<28} {min} / {med} / {max}\n"));
            }
        }
        if !self.groups.is_empty() {
            out.push_str(
                "failing seeds by signature (failed invariants, anomaly kinds, fault families):\n",
            );
            for (sig, g) in &self.groups {
                out.push_str(&format!(
                    "  {:>6} seed(s)  {sig}\n          smallest seed {}",
                    g.seeds, g.smallest
                ));
                match &g.repro {
                    Some(f) => {
                        out.push_str(&format!("; repro: msgsim run {}\n", dir.join(f).display()))
                    }
                    None => out.push('\n'),
                }
            }
        }
        out.push_str(&self.coverage_line(key_coverage));
        out
    }

    /// `coverage   kafka:leader_election in 287/300 seeds, kafka:unclean_election in 0/300, ...`:
    /// the model's key probes (reached or not), then every fault family that was injected.
    pub fn coverage_line(&self, key_coverage: &[&str]) -> String {
        if self.run == 0 {
            return String::new();
        }
        // The model's key probes, then the kernel's fault counters (names without a `model:`
        // prefix) that some seed reached.
        let mut names: Vec<&str> = key_coverage.to_vec();
        for (k, n) in &self.coverage {
            if !k.contains(':') && *n > 0 {
                names.push(k);
            }
        }
        let parts: Vec<String> = names
            .iter()
            .map(|k| {
                format!(
                    "{k} in {}/{}",
                    self.coverage.get(*k).copied().unwrap_or(0),
                    self.run
                )
            })
            .collect();
        if parts.is_empty() {
            return String::new();
        }
        format!("coverage    {} seeds\n", parts.join(", "))
    }
}

/// The `--vary` table: per value, seeds, invariant failures, seeds with each anomaly (and its
/// largest count), and the median of each key observation — "which setting bounds the loss".
pub fn vary_table(points: &[(String, &Triage)], key_observations: &[&str]) -> String {
    let mut out = String::from(
        "by value (fail = seeds breaking an invariant; anomaly: seeds/max; observations: median):
",
    );
    for (label, t) in points {
        let anomalies: Vec<String> = t
            .anomalies
            .iter()
            .map(|(k, c)| format!("{k} {}/{}", c.len(), c.iter().max().copied().unwrap_or(0)))
            .collect();
        let obs: Vec<String> = key_observations
            .iter()
            .filter_map(|k| {
                t.observations
                    .get(*k)
                    .map(|v| format!("{k} {}", distribution(v.iter().copied()).1))
            })
            .collect();
        out.push_str(&format!(
            "  {label:<32} seeds {:>5}  fail {:>5}  anomalies [{}]  {}\n",
            t.run,
            t.fail + t.error + t.panic,
            anomalies.join(", "),
            obs.join(", ")
        ));
    }
    out
}

/// (min, median, max), formatted compactly; the median of an even count is the lower middle.
pub fn distribution(values: impl Iterator<Item = f64>) -> (String, String, String) {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return ("-".into(), "-".into(), "-".into());
    }
    v.sort_by(f64::total_cmp);
    let f = |x: f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.2}")
        }
    };
    (f(v[0]), f(v[(v.len() - 1) / 2]), f(v[v.len() - 1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn distributions_and_groups() {
        let mut t = Triage::default();
        let rows = [
            json!({"seed": 5, "verdict": "fail", "failed": [{"expectation": "anomaly:unseen == 0", "observed": 9}],
                   "anomalies": {"unseen": 9}, "fault_families": ["crash"], "repro": "seed-5.ron",
                   "observations": {"acked": 10}, "sometimes": {"crash": 1}}),
            json!({"seed": 2, "verdict": "fail", "failed": [{"expectation": "anomaly:unseen == 0", "observed": 3}],
                   "anomalies": {"unseen": 3}, "fault_families": ["crash"], "repro": "seed-2.ron",
                   "observations": {"acked": 30}, "sometimes": {"crash": 2}}),
            json!({"seed": 3, "verdict": "pass", "failed": [], "missed": [{"expectation": "acked >= 100", "observed": 20}],
                   "anomalies": {}, "fault_families": [], "observations": {"acked": 20}, "sometimes": {}}),
        ];
        for r in &rows {
            t.add(r, &["acked"]);
        }
        assert_eq!((t.run, t.fail, t.pass, t.missed_seeds), (3, 2, 1, 1));
        assert_eq!(t.anomalies["unseen"], vec![9, 3]);
        assert_eq!(t.groups.len(), 1);
        let g = t.groups.values().next().unwrap();
        assert_eq!((g.seeds, g.smallest), (2, 2));
        assert_eq!(g.repro.as_deref(), Some("seed-2.ron"));
        let text = t.render(Path::new("out"), &["acked"], &["kafka:unclean_election"]);
        assert!(text.contains("unseen"), "{text}");
        assert!(text.contains("2/3  3 / 3 / 9"), "{text}");
        assert!(text.contains("10 / 20 / 30"), "{text}");
        assert!(text.contains("kafka:unclean_election in 0/3"), "{text}");
        assert!(text.contains("crash in 2/3"), "{text}");
        assert!(text.contains("msgsim run out/seed-2.ron"), "{text}");
    }
}
