//! What one model run reports: kernel statistics, the model's observations (named metrics),
//! anomaly counts and "sometimes" coverage counters. Expectations are evaluated over these.

use msgsim_sim::RunStats;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most examples kept per (anomaly, cause).
pub const EXAMPLES_MAX: usize = 3;

/// Why part of an anomaly's count happened: a cause from the documented list
/// ([`crate::cause::ALL`]), how much of the count it covers, and its first examples.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Explanation {
    pub cause: String,
    pub count: u64,
    pub examples: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ModelReport {
    pub stats: RunStats,
    /// Named metrics (`delivered`, `lost`, `latency_us_max`, ...).
    pub observations: BTreeMap<String, f64>,
    /// Anomaly name → count (the shared vocabulary in [`crate::anomaly`], plus model-specific).
    pub anomalies: BTreeMap<String, u64>,
    /// Coverage counters: kernel (`crash`, `partition`, ...) and model probes.
    pub sometimes: BTreeMap<String, u64>,
    /// Per anomaly: its causes, each with the part of the count it covers and first examples.
    pub explanations: BTreeMap<String, Vec<Explanation>>,
}

impl ModelReport {
    /// Look a metric up by expectation name: `anomaly:NAME`, `sometimes:NAME`, a kernel stat
    /// (`events`, `deliveries`, `sends`, `drops`, `duplicates`, `timers_fired`,
    /// `faults_applied`), or an observation. Unseen anomalies and probes count as 0.
    pub fn metric(&self, name: &str) -> Option<f64> {
        if let Some(anomaly) = name.strip_prefix("anomaly:") {
            return Some(self.anomalies.get(anomaly).copied().unwrap_or(0) as f64);
        }
        if let Some(probe) = name.strip_prefix("sometimes:") {
            return Some(self.sometimes.get(probe).copied().unwrap_or(0) as f64);
        }
        let s = &self.stats;
        let stat = match name {
            "events" => Some(s.events),
            "deliveries" => Some(s.deliveries),
            "sends" => Some(s.sends),
            "drops" => Some(s.drops.values().sum()),
            "duplicates" => Some(s.duplicates),
            "timers_fired" => Some(s.timers_fired),
            "faults_applied" => Some(s.faults_applied),
            _ => None,
        };
        stat.map(|v| v as f64)
            .or_else(|| self.observations.get(name).copied())
    }

    /// Kernel statistics every model reports (valid metric names for any system).
    pub const KERNEL_METRICS: &'static [&'static str] = &[
        "events",
        "deliveries",
        "sends",
        "drops",
        "duplicates",
        "timers_fired",
        "faults_applied",
    ];

    /// Explain `count` of `anomaly` by `cause` (one of [`crate::cause::ALL`]); `example` is
    /// asked for only while fewer than [`EXAMPLES_MAX`] are kept for this cause.
    pub fn explain(
        &mut self,
        anomaly: &str,
        cause: &str,
        count: u64,
        example: impl FnOnce() -> String,
    ) {
        if count == 0 {
            return;
        }
        debug_assert!(
            crate::cause::of(anomaly).any(|c| c.name == cause),
            "undocumented cause {cause}"
        );
        let list = self.explanations.entry(anomaly.to_string()).or_default();
        let e = match list.iter_mut().position(|e| e.cause == cause) {
            Some(i) => &mut list[i],
            None => {
                list.push(Explanation {
                    cause: cause.to_string(),
                    ..Explanation::default()
                });
                list.last_mut().expect("just pushed")
            }
        };
        e.count += count;
        if e.examples.len() < EXAMPLES_MAX {
            e.examples.push(example());
        }
    }

    /// The part of each non-zero anomaly's count that no explanation covers (what the property
    /// tests require to be empty).
    pub fn unexplained(&self) -> BTreeMap<String, u64> {
        self.anomalies
            .iter()
            .filter(|(_, v)| **v > 0)
            .filter_map(|(k, v)| {
                let covered: u64 = self
                    .explanations
                    .get(k)
                    .map_or(0, |l| l.iter().map(|e| e.count).sum());
                (covered < *v).then(|| (k.clone(), v - covered))
            })
            .collect()
    }

    /// Names this report holds that `vocabulary` does not declare (empty when the model's lists
    /// are complete). `SystemConfig::run` asserts it in debug builds.
    pub fn undeclared_names(&self, vocabulary: &Vocabulary) -> Vec<String> {
        let anomalies = self
            .anomalies
            .keys()
            .filter(|k| !vocabulary.anomalies.contains(&k.as_str()))
            .map(|k| format!("anomaly:{k}"));
        let probes = self
            .sometimes
            .keys()
            .filter(|k| !vocabulary.knows_sometimes(k))
            .map(|k| format!("sometimes:{k}"));
        let metrics = self
            .observations
            .keys()
            .filter(|k| !vocabulary.metrics.contains(&k.as_str()))
            .cloned();
        anomalies.chain(probes).chain(metrics).collect()
    }

    pub(crate) fn absorb_coverage(&mut self, coverage: &BTreeMap<&'static str, u64>) {
        for (k, v) in coverage {
            *self.sometimes.entry((*k).to_string()).or_insert(0) += v;
        }
    }
}

/// Every name a model may report: its metrics (observations), its anomalies and its
/// "sometimes" probes (the kernel's fault counters, `msgsim_sim::Fault::NAMES`, come on top).
/// An expectation naming anything else is an input error. `node_metrics` are reported once
/// per node as `NODE:NAME` (`r1:master_repl_offset`); the scenario checks the node's name.
#[derive(Clone, Copy, Debug)]
pub struct Vocabulary {
    pub metrics: &'static [&'static str],
    pub anomalies: &'static [&'static str],
    pub probes: &'static [&'static str],
    pub node_metrics: &'static [&'static str],
}

impl Vocabulary {
    /// A `sometimes:` name: a model probe or a kernel fault counter.
    pub fn knows_sometimes(&self, name: &str) -> bool {
        self.probes.contains(&name) || msgsim_sim::Fault::NAMES.contains(&name)
    }

    /// `NODE:NAME` with `NAME` one of `node_metrics`: the node's name (not checked here).
    pub fn node_metric<'a>(&self, metric: &'a str) -> Option<(&'a str, &'a str)> {
        let (node, name) = metric.split_once(':')?;
        let plain = !node.is_empty()
            && node
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        (plain && self.node_metrics.contains(&name)).then_some((node, name))
    }

    /// Every name an expectation may use, spelt as in `expect` (`anomaly:NAME`,
    /// `sometimes:NAME`, kernel stats, metrics; per-node metrics as `NODE:NAME`).
    pub fn expectation_names(&self) -> Vec<String> {
        let mut all: Vec<String> = ModelReport::KERNEL_METRICS
            .iter()
            .chain(self.metrics)
            .map(|m| m.to_string())
            .collect();
        all.extend(self.anomalies.iter().map(|a| format!("anomaly:{a}")));
        all.extend(
            self.probes
                .iter()
                .chain(msgsim_sim::Fault::NAMES)
                .map(|p| format!("sometimes:{p}")),
        );
        all.extend(self.node_metrics.iter().map(|m| format!("NODE:{m}")));
        all
    }
}
