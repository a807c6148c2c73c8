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
//!
//! An invariant may name the faults it is **not** promised under:
//! `"invariant unless crash_lose_unflushed: anomaly:lost_write == 0"` (Kafka does not fsync, so
//! a power loss can take acknowledged records: docs/guarantees.md). The names are the kernel's
//! fault counters (`Fault::NAMES`). A seed in which one of them fired and the invariant failed
//! is *outside the invariant's scope*: `explore` lists it apart, with its seed, and does not
//! fail it; in any other seed the invariant judges as usual.

use crate::expect::{Expectation, Op, edit_distance};
use msgsim_sim::Fault;
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

/// An expectation's tag, parsed: its kind (if tagged), the faults an invariant is not
/// promised under (`unless`), and the expectation's text without the tag.
#[derive(Clone, Debug, PartialEq)]
pub struct Tag<'a> {
    pub kind: Option<Kind>,
    pub unless: Vec<&'static str>,
    pub rest: &'a str,
}

/// Most fault names after one `unless`.
const UNLESS_MAX: usize = 8;

/// Parse an expectation's tag: `invariant:`, `observation:`, `invariant unless F1, F2:` or
/// none. `Err` names what is wrong (an unknown fault, with the closest known names).
pub fn parse_tag(text: &str) -> Result<Tag<'_>, String> {
    let trimmed = text.trim_start();
    for (tag, kind) in TAGS {
        if let Some(rest) = trimmed.strip_prefix(tag) {
            return Ok(Tag {
                kind: Some(kind),
                unless: Vec::new(),
                rest: rest.trim_start(),
            });
        }
    }
    let Some(after) = trimmed
        .strip_prefix("invariant")
        .map(str::trim_start)
        .and_then(|t| t.strip_prefix("unless "))
    else {
        return Ok(Tag {
            kind: None,
            unless: Vec::new(),
            rest: text,
        });
    };
    let Some((names, rest)) = after.split_once(':') else {
        return Err(missing_colon(text));
    };
    // `unless crash anomaly:x == 0`: the first `:` was the metric's, not the tag's.
    if names
        .split(',')
        .any(|n| n.trim().contains(char::is_whitespace))
    {
        return Err(missing_colon(text));
    }
    let unless = names
        .split(',')
        .map(|n| fault_name(text, n.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    if unless.len() > UNLESS_MAX {
        return Err(format!(
            "expectation `{text}`: more than {UNLESS_MAX} faults after `unless`"
        ));
    }
    Ok(Tag {
        kind: Some(Kind::Invariant),
        unless,
        rest: rest.trim_start(),
    })
}

fn missing_colon(text: &str) -> String {
    format!(
        "expectation `{text}`: `invariant unless FAULT, ...` needs a `:` before the expectation"
    )
}

/// The kernel's name for the fault written `name` after `unless`, or why it is not one.
fn fault_name(text: &str, name: &str) -> Result<&'static str, String> {
    if let Some(known) = Fault::NAMES.iter().find(|n| **n == name) {
        return Ok(known);
    }
    let closest = Fault::NAMES
        .iter()
        .min_by_key(|n| edit_distance(name, n))
        .filter(|n| edit_distance(name, n) <= (name.chars().count() / 3).max(2));
    let hint = match closest {
        Some(n) => format!("did you mean `{n}`?"),
        None => format!("the faults are {}", Fault::NAMES.join(", ")),
    };
    Err(format!(
        "expectation `{text}`: `{name}` after `unless` is not a fault; {hint}"
    ))
}

/// The explicit tag of an expectation's text and the text without it (a tag that does not
/// parse counts as none: scenario files are checked with `parse_tag` when they are loaded).
pub fn split_tag(text: &str) -> (Option<Kind>, &str) {
    parse_tag(text).map_or((None, text), |t| (t.kind, t.rest))
}

/// The faults each of a scenario's expectations is not promised under (empty for most).
pub fn scopes(texts: &[String], count: usize) -> Vec<Vec<&'static str>> {
    (0..count)
        .map(|i| {
            texts
                .get(i)
                .and_then(|t| parse_tag(t).ok())
                .map(|t| t.unless)
                .unwrap_or_default()
        })
        .collect()
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

    #[test]
    fn an_invariant_names_the_faults_it_is_not_promised_under() {
        let t = parse_tag("invariant unless crash_lose_unflushed, pause: anomaly:lost_write == 0")
            .unwrap();
        assert_eq!(t.kind, Some(Kind::Invariant));
        assert_eq!(t.unless, vec!["crash_lose_unflushed", "pause"]);
        assert_eq!(t.rest, "anomaly:lost_write == 0");
        assert_eq!(
            k("invariant unless crash: anomaly:lost_write == 0"),
            Kind::Invariant
        );
        let texts = vec![
            "anomaly:lost_write == 0".to_string(),
            "invariant unless clog: anomaly:duplicate == 0".to_string(),
        ];
        assert_eq!(scopes(&texts, 3), vec![vec![], vec!["clog"], vec![]]);
    }

    #[test]
    fn an_unknown_fault_after_unless_is_an_error_with_a_hint() {
        let e = parse_tag("invariant unless power_los: anomaly:lost_write == 0").unwrap_err();
        assert!(
            e.contains("`power_los` after `unless` is not a fault"),
            "{e}"
        );
        let e = parse_tag("invariant unless crash_lose_unflushd: lost == 0").unwrap_err();
        assert!(e.contains("did you mean `crash_lose_unflushed`?"), "{e}");
        let e = parse_tag("invariant unless crash anomaly:lost_write == 0").unwrap_err();
        assert!(e.contains("needs a `:`"), "{e}");
    }
}
