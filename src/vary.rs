//! Knob sweeps: `explore --vary PATH=V1,V2,...` (repeatable: the grid of all combinations).
//! `PATH` names a scenario field with dots, e.g. `system.server.min_replicas_max_lag_s` or
//! `quiet_ms`; the model's variant (`Kafka`, `Redis`, ...) under `system` may be left out, and
//! a number selects a list element. Every combination is applied to the scenario, which is
//! validated again (an invalid value is bad input, exit 2).

use crate::results::VaryPoint;
use msgsim::scenario::{self, LoadedScenario};
use serde_json::Value;

/// One `--vary` flag: a path and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Knob {
    pub path: String,
    pub values: Vec<Value>,
}

/// Most combinations one sweep may ask for.
pub const GRID_MAX: usize = 1_000;

impl std::str::FromStr for Knob {
    type Err = String;
    fn from_str(s: &str) -> Result<Knob, String> {
        let (path, values) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected PATH=V1,V2,..."))?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!("`{s}`: the path is empty or has an empty part"));
        }
        let values: Vec<Value> = values
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string())))
            .collect();
        if values.is_empty() {
            return Err(format!("`{s}`: no values"));
        }
        Ok(Knob {
            path: path.to_string(),
            values,
        })
    }
}

/// Every combination of the knobs' values, in order (the last knob varies fastest).
pub fn grid(knobs: &[Knob]) -> Result<Vec<VaryPoint>, String> {
    let mut points = vec![VaryPoint::default()];
    for k in knobs {
        if points.len() * k.values.len() > GRID_MAX {
            return Err(format!("--vary asks for more than {GRID_MAX} combinations"));
        }
        points = points
            .iter()
            .flat_map(|p| {
                k.values.iter().map(move |v| {
                    let mut values = p.values.clone();
                    values.push((k.path.clone(), v.clone()));
                    VaryPoint {
                        tag: tag(&values),
                        values,
                    }
                })
            })
            .collect();
    }
    Ok(points)
}

/// `min_replicas_max_lag_s=5,quiet_ms=0`: each path's last part and its value, safe as a file
/// name part.
fn tag(values: &[(String, Value)]) -> String {
    values
        .iter()
        .map(|(p, v)| {
            let last = p.rsplit('.').next().unwrap_or(p);
            let v = crate::triage::scalar(v);
            let v: String = v
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("{last}={v}")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Set `path` to `value` in the JSON form of a scenario.
fn set(root: &mut Value, path: &str, value: &Value) -> Result<(), String> {
    let mut at = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        // `system.x`: step into the model's variant (`{"Kafka": {...}}`) when `x` is not a
        // field of the enum itself.
        let into_variant = at.get(part).is_none()
            && i > 0
            && parts[i - 1] == "system"
            && at.as_object().is_some_and(|m| m.len() == 1);
        if into_variant {
            at = at
                .as_object_mut()
                .and_then(|m| m.values_mut().next())
                .expect("one entry");
        }
        let next = match at {
            Value::Object(m) => m.get_mut(*part),
            Value::Array(a) => part.parse::<usize>().ok().and_then(|n| a.get_mut(n)),
            _ => None,
        };
        at = next.ok_or_else(|| {
            format!(
                "--vary {path}: `{}` is not a field of the scenario",
                parts[..=i].join(".")
            )
        })?;
    }
    *at = value.clone();
    Ok(())
}

/// The scenario with the point's values, validated as a file would be. The result keeps the
/// original path and hash (it names the file it came from).
pub fn apply(loaded: &LoadedScenario, point: &VaryPoint) -> Result<LoadedScenario, String> {
    if point.values.is_empty() {
        return Ok(loaded.clone());
    }
    let mut json = serde_json::to_value(&loaded.scenario).map_err(|e| e.to_string())?;
    for (path, value) in &point.values {
        set(&mut json, path, value)?;
    }
    let s: scenario::Scenario =
        serde_json::from_value(json).map_err(|e| format!("--vary {}: {e}", point.tag))?;
    let mut varied = scenario::parse(&loaded.path, scenario::to_ron(&s))
        .map_err(|d| format!("--vary {}: {}", point.tag, d.message))?;
    varied.sha256 = loaded.sha256.clone();
    Ok(varied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knobs_parse_and_make_a_grid() {
        let a: Knob = "system.server.min_replicas_max_lag_s=1,5,10"
            .parse()
            .unwrap();
        assert_eq!(
            a.values,
            vec![Value::from(1), Value::from(5), Value::from(10)]
        );
        let b: Knob = "quiet_ms=0, 2000".parse().unwrap();
        let g = grid(&[a, b]).unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g[1].tag, "min_replicas_max_lag_s=1,quiet_ms=2000");
        assert!("x".parse::<Knob>().is_err());
        assert!("x=".parse::<Knob>().is_err());
        assert!("a..b=1".parse::<Knob>().is_err());
    }

    #[test]
    fn set_steps_into_the_model_variant() {
        let mut v =
            serde_json::json!({"quiet_ms": 1, "system": {"Kafka": {"acks": "All", "brokers": 3}}});
        set(&mut v, "system.brokers", &Value::from(5)).unwrap();
        set(&mut v, "quiet_ms", &Value::from(7)).unwrap();
        assert_eq!(v["system"]["Kafka"]["brokers"], 5);
        assert_eq!(v["quiet_ms"], 7);
        assert!(set(&mut v, "system.nope", &Value::from(1)).is_err());
    }
}
