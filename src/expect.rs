//! Expectations: `METRIC OP NUMBER`, e.g. `delivered >= 1000`, `anomaly:lost_write == 0`,
//! `sometimes:crash >= 1`. Evaluated over a model report after the run.

use msgsim_models::{ModelReport, Vocabulary};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Op {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Lt => "<",
        }
    }
    fn holds(self, observed: f64, expected: f64) -> bool {
        match self {
            Op::Eq => observed == expected,
            Op::Ne => observed != expected,
            Op::Ge => observed >= expected,
            Op::Le => observed <= expected,
            Op::Gt => observed > expected,
            Op::Lt => observed < expected,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub text: String,
    pub metric: String,
    pub op: Op,
    pub value: f64,
}

/// The outcome of one expectation.
#[derive(Clone, Debug, Serialize)]
pub struct Checked {
    pub name: String,
    pub expected: String,
    pub observed: f64,
    pub ok: bool,
}

impl Expectation {
    /// Parse `text`; the metric must be a kernel stat, one of the model's metrics, or
    /// `anomaly:NAME` / `sometimes:NAME` with a name the model declares (`vocabulary`). Anything
    /// else is an input error naming the closest known name.
    pub fn parse(text: &str, vocabulary: &Vocabulary) -> Result<Expectation, String> {
        let ops = [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">", Op::Gt),
            ("<", Op::Lt),
        ];
        let (metric, op, value) = ops
            .iter()
            .find_map(|(sym, op)| text.split_once(sym).map(|(m, v)| (m.trim(), *op, v.trim())))
            .ok_or_else(|| {
                format!("expectation `{text}` has no comparison (use ==, !=, >=, <=, > or <)")
            })?;
        let value: f64 = value
            .replace('_', "")
            .parse()
            .map_err(|_| format!("expectation `{text}`: `{value}` is not a number"))?;
        if !value.is_finite() {
            return Err(format!("expectation `{text}`: the value must be finite"));
        }
        let known = if let Some(a) = metric.strip_prefix("anomaly:") {
            vocabulary.anomalies.contains(&a)
        } else if let Some(p) = metric.strip_prefix("sometimes:") {
            vocabulary.knows_sometimes(p)
        } else {
            ModelReport::KERNEL_METRICS.contains(&metric)
                || vocabulary.metrics.contains(&metric)
                || vocabulary.node_metric(metric).is_some()
        };
        if !known {
            return Err(unknown_metric(text, metric, vocabulary));
        }
        Ok(Expectation {
            text: text.to_string(),
            metric: metric.to_string(),
            op,
            value,
        })
    }

    pub fn check(&self, report: &ModelReport) -> Checked {
        let observed = report.metric(&self.metric).unwrap_or(0.0);
        Checked {
            name: self.metric.clone(),
            expected: format!("{} {}", self.op.symbol(), self.value),
            observed,
            ok: self.op.holds(observed, self.value),
        }
    }
}

/// The error for a name the model does not report: the closest known names by edit distance
/// ("did you mean"), else what kind of names exist.
fn unknown_metric(text: &str, metric: &str, vocabulary: &Vocabulary) -> String {
    let kind = if metric.starts_with("anomaly:") {
        "anomaly"
    } else if metric.starts_with("sometimes:") {
        "sometimes counter"
    } else {
        "metric"
    };
    let names = vocabulary.expectation_names();
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .map(|n| (edit_distance(metric, n), n))
        .collect();
    scored.sort();
    // Close enough to be a slip: at most a third of the name's length (at least 2) apart.
    let limit = (metric.chars().count() / 3).max(2);
    let close: Vec<&str> = scored
        .iter()
        .take_while(|(d, _)| *d <= limit && *d == scored[0].0)
        .map(|(_, n)| n.as_str())
        .take(3)
        .collect();
    let hint = if close.is_empty() {
        "known names: kernel stats (events, deliveries, ...), the model's metrics, \
         anomaly:NAME and sometimes:NAME as listed in docs/anomalies.md"
            .to_string()
    } else {
        format!("did you mean `{}`?", close.join("` or `"))
    };
    format!("expectation `{text}`: this model reports no {kind} `{metric}`; {hint}")
}

/// Levenshtein distance over characters (insert, delete, substitute each cost 1).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOCABULARY: Vocabulary = Vocabulary {
        metrics: &["delivered", "acked"],
        anomalies: &["lost_write", "duplicate"],
        probes: &["kafka:isr_shrink"],
        node_metrics: &["master_repl_offset"],
    };

    #[test]
    fn parses_and_checks() {
        let e = Expectation::parse("delivered >= 1_000", &VOCABULARY).unwrap();
        assert_eq!((e.op, e.value), (Op::Ge, 1000.0));
        let mut r = ModelReport::default();
        r.observations.insert("delivered".into(), 999.0);
        assert!(!e.check(&r).ok);
        r.observations.insert("delivered".into(), 1000.0);
        assert!(e.check(&r).ok);
        assert!(Expectation::parse("nope == 1", &VOCABULARY).is_err());
        assert!(Expectation::parse("delivered ~ 1", &VOCABULARY).is_err());
        assert!(
            Expectation::parse("anomaly:lost_write == 0", &VOCABULARY)
                .unwrap()
                .check(&r)
                .ok
        );
        // Kernel fault counters and model probes are both `sometimes:` names.
        assert!(Expectation::parse("sometimes:crash >= 1", &VOCABULARY).is_ok());
        assert!(Expectation::parse("sometimes:kafka:isr_shrink >= 1", &VOCABULARY).is_ok());
        assert!(Expectation::parse("events > 0", &VOCABULARY).is_ok());
        // A per-node metric: `NODE:NAME` (the scenario checks the node).
        assert!(Expectation::parse("r2:master_repl_offset > 0", &VOCABULARY).is_ok());
        assert!(Expectation::parse("r2:master_repl_offsets > 0", &VOCABULARY).is_err());
        assert!(Expectation::parse(":master_repl_offset > 0", &VOCABULARY).is_err());
    }

    #[test]
    fn unknown_names_are_rejected_with_the_closest_name() {
        let e = Expectation::parse("anomaly:lost_writes == 0", &VOCABULARY).unwrap_err();
        assert!(e.contains("no anomaly `anomaly:lost_writes`"), "{e}");
        assert!(e.contains("did you mean `anomaly:lost_write`?"), "{e}");
        let e = Expectation::parse("sometimes:kafka:isr_shrinks >= 1", &VOCABULARY).unwrap_err();
        assert!(
            e.contains("did you mean `sometimes:kafka:isr_shrink`?"),
            "{e}"
        );
        let e = Expectation::parse("sometimes:crashh >= 1", &VOCABULARY).unwrap_err();
        assert!(e.contains("did you mean `sometimes:crash`?"), "{e}");
        let e = Expectation::parse("deliverd >= 1", &VOCABULARY).unwrap_err();
        assert!(e.contains("did you mean `delivered`?"), "{e}");
        // A name another model reports, or nothing close: no guess.
        let e = Expectation::parse("anomaly:eos_missing == 0", &VOCABULARY).unwrap_err();
        assert!(!e.contains("did you mean"), "{e}");
        assert!(e.contains("docs/anomalies.md"), "{e}");
        assert!(Expectation::parse("anomaly: == 0", &VOCABULARY).is_err());
        assert!(Expectation::parse("sometimes: >= 1", &VOCABULARY).is_err());
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("lost_write", "lost_write"), 0);
        assert_eq!(edit_distance("lost_writes", "lost_write"), 1);
        assert_eq!(edit_distance("lsot_write", "lost_write"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
