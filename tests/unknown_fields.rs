//! Every struct and struct variant a scenario can reach rejects unknown fields. The test walks
//! the shipped scenarios (echo, Kafka, Redis): at each `(` that opens a struct, a struct variant
//! or a variant's fields, it inserts a field nobody declares and expects the loader to name it
//! in an error, so a type that forgot `#[serde(deny_unknown_fields)]` (say a new `ScriptCmd`
//! variant) fails here as soon as a shipped scenario uses it.

use std::path::{Path, PathBuf};

const BOGUS: &str = "zz_not_a_field";

fn scenario_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "ron") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Byte offsets just after every `(` that is code (not in a string, a comment or the
/// `#![enable(...)]` attribute line).
fn open_parens(src: &str) -> Vec<usize> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            // `Some(x)` wraps a value, not a struct.
            b'(' if !src[..i].ends_with("Some") => out.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    out
}

#[test]
fn every_struct_in_every_shipped_scenario_rejects_an_unknown_field() {
    let files = scenario_files();
    assert!(files.len() > 50, "found only {} scenarios", files.len());
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in &files {
        let src = std::fs::read_to_string(file).unwrap();
        let name = file.display().to_string();
        // scenarios/quickstart.ron is a `compare` workload: its own loader must reject too.
        let workload = msgsim::compare::Workload::parse(&name, &src).is_ok();
        let parse = |text: String| -> Result<(), String> {
            if workload {
                msgsim::compare::Workload::parse(&name, &text)
                    .map(|_| ())
                    .map_err(|d| d.to_string())
            } else {
                msgsim::scenario::parse(&name, text)
                    .map(|_| ())
                    .map_err(|d| d.to_string())
            }
        };
        parse(src.clone()).unwrap_or_else(|d| panic!("shipped scenario does not load: {d}"));
        for at in open_parens(&src) {
            let mut text = src.clone();
            text.insert_str(at, &format!("{BOGUS}: 0, "));
            checked += 1;
            match parse(text) {
                Ok(_) => failures.push(format!("{name}: accepted an unknown field at byte {at}")),
                Err(d) if !d.contains(BOGUS) => failures.push(format!(
                    "{name}: at byte {at} the error does not name the field: {d}"
                )),
                Err(_) => {}
            }
        }
    }
    assert!(checked > 500, "only {checked} structs checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} insertions:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
