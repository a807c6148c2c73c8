//! The startup banner in the scenario's own terms: one `field: value` per setting the scenario
//! moved away from the model's default (the real Kafka/Redis defaults, documented on each
//! model's page), so a pasted log says what this run is about — not a dump of every knob.

use serde::Serialize;
use serde_json::Value;

/// Longest rendered value; a longer one (a script, a long list) is summarised.
const MAX_VALUE_CHARS: usize = 120;
/// Settings per banner line.
const PER_LINE: usize = 6;

/// Banner lines for `model` (a model, the network, a fault profile): `model: field: value, ...` for every setting of `config` that
/// differs from `T::default()`, nested settings as `group.field`, in field-name order.
pub fn changed_settings<T: Serialize + Default>(model: &str, config: &T) -> Vec<String> {
    let ours = serde_json::to_value(config).expect("a configuration serialises");
    let base = serde_json::to_value(T::default()).expect("a configuration serialises");
    let mut changed = Vec::new();
    diff("", &ours, &base, &mut changed);
    if changed.is_empty() {
        return vec![format!("{model}: every setting at its default")];
    }
    changed
        .chunks(PER_LINE)
        .enumerate()
        .map(|(i, chunk)| {
            let head = if i == 0 {
                format!("{model} (non-default settings):")
            } else {
                " ".repeat(model.len())
            };
            format!("{head} {}", chunk.join(", "))
        })
        .collect()
}

fn diff(prefix: &str, ours: &Value, base: &Value, out: &mut Vec<String>) {
    let (Value::Object(ours), Value::Object(base)) = (ours, base) else {
        if ours != base {
            out.push(format!("{}: {}", prefix, render(ours)));
        }
        return;
    };
    for (field, value) in ours {
        let path = if prefix.is_empty() {
            field.clone()
        } else {
            format!("{prefix}.{field}")
        };
        match base.get(field) {
            Some(default) if default == value => {}
            Some(default) => diff(&path, value, default, out),
            None => out.push(format!("{path}: {}", render(value))),
        }
    }
}

/// A value as it would be written in the scenario (strings quoted, lists bracketed); a long one
/// is summarised by its length.
fn render(value: &Value) -> String {
    let text = match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    match value {
        Value::Array(items) if items.len() == 1 => "[1 entry]".to_string(),
        Value::Array(items) => format!("[{} entries]", items.len()),
        Value::Object(fields) => format!("{{{} fields}}", fields.len()),
        _ => format!(
            "{}…",
            text.chars().take(MAX_VALUE_CHARS).collect::<String>()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Inner {
        limit: u64,
    }
    #[derive(Serialize)]
    struct Config {
        acks: String,
        brokers: u32,
        inner: Inner,
        steps: Vec<u32>,
    }
    impl Default for Config {
        fn default() -> Self {
            Config {
                acks: "All".into(),
                brokers: 3,
                inner: Inner { limit: 10 },
                steps: vec![],
            }
        }
    }

    #[test]
    fn only_changed_settings_are_named_in_scenario_terms() {
        let c = Config {
            brokers: 5,
            inner: Inner { limit: 20 },
            ..Config::default()
        };
        assert_eq!(
            changed_settings("m", &c),
            vec!["m (non-default settings): brokers: 5, inner.limit: 20"]
        );
        assert_eq!(
            changed_settings("m", &Config::default()),
            vec!["m: every setting at its default"]
        );
    }

    #[test]
    fn long_values_are_summarised_and_lines_wrap() {
        let c = Config {
            acks: "One".into(),
            steps: (0..100).collect(),
            ..Config::default()
        };
        assert_eq!(
            changed_settings("m", &c),
            vec!["m (non-default settings): acks: \"One\", steps: [100 entries]"]
        );
    }
}
