//! Expectations: `METRIC OP NUMBER`, e.g. `delivered >= 1000`, `anomaly:lost_write == 0`,
//! `sometimes:crash >= 1`. Evaluated over a model report after the run.

use msgsim_models::ModelReport;
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
    /// Parse `text`; the metric must be a kernel stat, one of `model_metrics`, `anomaly:NAME` or
    /// `sometimes:NAME`.
    pub fn parse(text: &str, model_metrics: &[&str]) -> Result<Expectation, String> {
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
        let known = metric.starts_with("anomaly:") && metric.len() > 8
            || metric.starts_with("sometimes:") && metric.len() > 10
            || ModelReport::KERNEL_METRICS.contains(&metric)
            || model_metrics.contains(&metric);
        if !known {
            return Err(format!(
                "expectation `{text}`: unknown metric `{metric}` (known: {}, {}, anomaly:NAME, sometimes:NAME)",
                ModelReport::KERNEL_METRICS.join(", "),
                model_metrics.join(", ")
            ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks() {
        let e = Expectation::parse("delivered >= 1_000", &["delivered"]).unwrap();
        assert_eq!((e.op, e.value), (Op::Ge, 1000.0));
        let mut r = ModelReport::default();
        r.observations.insert("delivered".into(), 999.0);
        assert!(!e.check(&r).ok);
        r.observations.insert("delivered".into(), 1000.0);
        assert!(e.check(&r).ok);
        assert!(Expectation::parse("nope == 1", &[]).is_err());
        assert!(Expectation::parse("delivered ~ 1", &["delivered"]).is_err());
        assert!(
            Expectation::parse("anomaly:lost_write == 0", &[])
                .unwrap()
                .check(&r)
                .ok
        );
    }
}
