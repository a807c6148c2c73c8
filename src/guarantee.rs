//! Invariants and observations: what kind of promise an expectation states.
//!
//! An **invariant** is a guarantee the configuration makes under any fault its profile may inject
//! (durability, no duplicates, exactly-once, liveness after the quiet phase): a seed that breaks
//! one is a failing seed of a sweep. An **observation** describes the scenario's own schedule
//! (`acked >= 10_000`, `sometimes:kafka:leader_election >= 1`, `anomaly:lost_write >= 1` in a
//! scenario that demonstrates a loss): under generated faults it may legitimately miss, so
//! `explore` reports such misses apart and does not fail the seed. `msgsim run` judges both.
//!
//! An expectation is tagged in the scenario file with a prefix, `"invariant: METRIC OP N"` or
//! `"observation: METRIC OP N"`. Untagged (every file written before the distinction), the
//! default is: an upper bound on an anomaly (`anomaly:X == 0`, `anomaly:X <= N`,
//! `anomaly:X < N`) is an invariant; everything else — lower bounds, exact non-zero counts,
//! `sometimes:` probes, observations and kernel statistics — is an observation.

use crate::expect::{Expectation, Op};
use serde::Serialize;

/// Anomalies that judge liveness after the quiet phase (something that should have happened by
/// the end did not): their count depends on how long the quiet phase lets the system catch up.
pub const LIVENESS_ANOMALIES: &[&str] = &[
    "unseen",
    "unprocessed",
    "eos_missing",
    "lost_request",
    "pubsub_gap",
    "trimmed_before_delivery",
];

/// The kind of promise an expectation states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Invariant,
    Observation,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Invariant => "invariant",
            Kind::Observation => "observation",
        }
    }
}

const TAGS: [(&str, Kind); 2] = [
    ("invariant:", Kind::Invariant),
    ("observation:", Kind::Observation),
];

/// The explicit tag of an expectation's text and the text without it.
pub fn split_tag(text: &str) -> (Option<Kind>, &str) {
    let trimmed = text.trim_start();
    for (tag, kind) in TAGS {
        if let Some(rest) = trimmed.strip_prefix(tag) {
            return (Some(kind), rest.trim_start());
        }
    }
    (None, text)
}

/// The kind an untagged expectation gets (see the module documentation).
pub fn default_kind(e: &Expectation) -> Kind {
    let upper_bound = match e.op {
        Op::Eq => e.value == 0.0,
        Op::Le | Op::Lt => true,
        Op::Ge | Op::Gt | Op::Ne => false,
    };
    if e.metric.starts_with("anomaly:") && upper_bound {
        Kind::Invariant
    } else {
        Kind::Observation
    }
}

/// The kind of the expectation written as `text` in the scenario (tagged or not) and parsed
/// as `e`.
pub fn kind(text: &str, e: &Expectation) -> Kind {
    split_tag(text).0.unwrap_or_else(|| default_kind(e))
}

/// The kinds of a scenario's expectations, in order (`texts` is the scenario's `expect`).
/// An expectation without its text (built by hand) gets the default.
pub fn kinds(texts: &[String], expectations: &[Expectation]) -> Vec<Kind> {
    expectations
        .iter()
        .enumerate()
        .map(|(i, e)| match texts.get(i) {
            Some(t) => kind(t, e),
            None => default_kind(e),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(text: &str) -> Kind {
        let (_, bare) = split_tag(text);
        let vocabulary = msgsim_models::Vocabulary {
            metrics: &["acked", "lost"],
            anomalies: &["lost_write", "duplicate"],
            probes: &[],
            node_metrics: &[],
        };
        let e = Expectation::parse(bare, &vocabulary).unwrap();
        kind(text, &e)
    }

    #[test]
    fn anomaly_upper_bounds_are_invariants_by_default() {
        assert_eq!(k("anomaly:lost_write == 0"), Kind::Invariant);
        assert_eq!(k("anomaly:duplicate <= 3"), Kind::Invariant);
        assert_eq!(k("anomaly:duplicate < 3"), Kind::Invariant);
        assert_eq!(k("anomaly:lost_write >= 1"), Kind::Observation);
        assert_eq!(k("anomaly:lost_write == 5"), Kind::Observation);
        assert_eq!(k("acked >= 1000"), Kind::Observation);
        assert_eq!(k("lost == 0"), Kind::Observation);
        assert_eq!(k("sometimes:crash >= 1"), Kind::Observation);
    }

    #[test]
    fn tags_override_the_default() {
        assert_eq!(k("invariant: lost == 0"), Kind::Invariant);
        assert_eq!(k("observation: anomaly:lost_write == 0"), Kind::Observation);
        assert_eq!(split_tag("  invariant:acked >= 1").1, "acked >= 1");
        assert_eq!(split_tag("acked >= 1"), (None, "acked >= 1"));
    }
}
