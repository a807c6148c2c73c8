//! The names a scenario's `expect` may use are the names the models declare
//! (`SystemConfig::vocabulary`): every "sometimes" probe in a model's source is in its
//! `PROBES` list (a missing one would make a valid `sometimes:` expectation an input error),
//! every declared probe still exists in the source (a stale one would accept a name nothing
//! counts), and docs/anomalies.md defines every anomaly, probe and metric of every model.

use msgsim_models::{SystemConfig, Vocabulary, echo, kafka, redis};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The string literals passed to `sometimes(` under `dir`.
fn probes_in_source(dir: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).unwrap();
                for piece in text.split("sometimes(\"").skip(1) {
                    let name = piece.split('"').next().unwrap();
                    found.insert(name.to_string());
                }
            }
        }
    }
    found
}

fn vocabularies() -> Vec<(&'static str, Vocabulary)> {
    let echo = SystemConfig::Echo(echo::EchoConfig::default());
    let kafka = SystemConfig::Kafka(kafka::KafkaConfig::default());
    let redis = SystemConfig::Redis(redis::RedisConfig::default());
    [echo, kafka, redis]
        .iter()
        .map(|s| (s.model_name(), s.vocabulary()))
        .collect()
}

#[test]
fn every_probe_in_the_source_is_declared_and_every_declared_probe_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/src");
    for (model, vocabulary) in vocabularies() {
        let in_source = probes_in_source(&root.join(model));
        let declared: BTreeSet<String> = vocabulary.probes.iter().map(|p| p.to_string()).collect();
        let missing: Vec<_> = in_source.difference(&declared).collect();
        let stale: Vec<_> = declared.difference(&in_source).collect();
        assert!(
            missing.is_empty(),
            "{model}: probes counted in the source but not in its PROBES list: {missing:?}"
        );
        assert!(
            stale.is_empty(),
            "{model}: PROBES lists names no code counts: {stale:?}"
        );
    }
}
#[test]
fn docs_define_every_name_of_every_model() {
    let doc = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/anomalies.md"))
        .expect("docs/anomalies.md");
    let mut undefined = Vec::new();
    for (model, v) in vocabularies() {
        let names = v.anomalies.iter().chain(v.probes).chain(v.metrics);
        let names = names.chain(v.node_metrics);
        for name in names.chain(msgsim_sim::Fault::NAMES) {
            if !doc.contains(&format!("`{name}`")) {
                undefined.push(format!("{model}: {name}"));
            }
        }
    }
    assert!(
        undefined.is_empty(),
        "docs/anomalies.md does not define: {undefined:?}"
    );
}
