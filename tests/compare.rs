//! `msgsim compare`: every value in the table comes from a run, and each cell replays.
//!
//! The assertions are about the systems' documented semantics (Redis pub/sub keeps nothing and
//! drops what a subscriber misses; Kafka and Streams keep entries after they are read), so a
//! model that started keeping pub/sub messages, or dropping Kafka records on read, fails here.

use serde_json::Value;
use std::process::{Command, Output};

fn msgsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_msgsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("MSGSIM_SEED")
        .output()
        .expect("msgsim runs")
}

fn table(args: &[&str]) -> Value {
    let mut all = vec!["compare", "--json"];
    all.extend_from_slice(args);
    let o = msgsim(&all);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("compare --json prints one JSON object")
}

/// The figure `name` of `system`'s cell in row `row`.
fn fig(t: &Value, row: &str, system: &str, name: &str) -> u64 {
    let row = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["row"] == row)
        .unwrap_or_else(|| panic!("row {row}"));
    let cell = row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["system"] == system)
        .unwrap_or_else(|| panic!("{system} in {row}"));
    cell["figures"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("{system} {name} in {row}"))
}

#[test]
fn default_table_has_every_row_and_every_cell_names_its_runs() {
    let t = table(&[]);
    let rows = t["rows"].as_array().unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r["row"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "delivery_model",
            "per_consumer",
            "away_returns",
            "read_again",
            "retention",
            "no_subscriber",
            "message_size",
            "error_handling"
        ]
    );
    for r in rows {
        let cells = r["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 3, "{r}");
        for c in cells {
            let sources = c["sources"].as_array().unwrap();
            assert!(!sources.is_empty(), "a cell without a source: {c}");
            for s in sources {
                assert!(s["seed"].is_u64() && s["scenario"].is_string(), "{s}");
            }
        }
    }
}

#[test]
fn semantics_measured_on_the_default_workload() {
    let t = table(&[]);
    // Push vs pull, from the steady consumer's own messages in the trace.
    let ratio = |s| {
        fig(&t, "delivery_model", s, "consumer_received") as f64
            / fig(&t, "delivery_model", s, "consumer_sent").max(1) as f64
    };
    assert!(ratio("pubsub") >= 10.0, "pub/sub pushes");
    assert!(ratio("kafka") < 10.0, "Kafka consumers pull");
    assert!(ratio("streams") < 10.0, "Streams consumers poll");
    // Nothing lost for a steady consumer on a healthy run.
    for s in ["kafka", "pubsub", "streams"] {
        assert_eq!(fig(&t, "per_consumer", s, "steady_lost"), 0, "{s}");
        let sent = fig(&t, "per_consumer", s, "steady_sent");
        assert!(sent >= 900, "{s}: the producer wrote {sent}");
        assert_eq!(fig(&t, "per_consumer", s, "steady_delivered"), sent, "{s}");
    }
    // The consumer that was away: pub/sub loses what was published meanwhile (~ 3 s × 100/s).
    let away_lost = fig(&t, "away_returns", "pubsub", "lost");
    assert!(
        (250..=350).contains(&away_lost),
        "pub/sub away lost {away_lost}"
    );
    assert_eq!(fig(&t, "away_returns", "kafka", "lost"), 0);
    assert_eq!(fig(&t, "away_returns", "streams", "lost"), 0);
    // A late reader: Kafka and Streams give it everything; pub/sub only what came after it.
    for s in ["kafka", "streams"] {
        assert_eq!(
            fig(&t, "read_again", s, "delivered"),
            fig(&t, "read_again", s, "sent"),
            "{s} keeps messages for a late reader"
        );
    }
    let (got, sent) = (
        fig(&t, "read_again", "pubsub", "delivered"),
        fig(&t, "read_again", "pubsub", "sent"),
    );
    assert!(
        got < sent,
        "pub/sub kept messages for a late subscriber: {got} of {sent}"
    );
    assert!(
        fig(&t, "no_subscriber", "pubsub", "publish_zero_receivers") >= 400,
        "published to nobody before 5 s"
    );
    // Retention after reading.
    assert!(
        fig(&t, "retention", "kafka", "final_log_records")
            >= fig(&t, "retention", "kafka", "delivered")
    );
    assert_eq!(fig(&t, "retention", "pubsub", "final_primary_keys"), 0);
    assert_eq!(fig(&t, "retention", "streams", "final_primary_keys"), 1);
    // Sizes on the defaults: Kafka's max.request.size (1 MiB) and Redis's 32 MiB pub/sub
    // output-buffer hard limit below proto-max-bulk-len (512 MiB).
    assert_eq!(
        fig(&t, "message_size", "kafka", "largest_accepted_bytes"),
        1_048_576
    );
    assert_eq!(
        fig(&t, "message_size", "pubsub", "largest_accepted_bytes"),
        536_870_912
    );
    assert!(fig(&t, "message_size", "pubsub", "largest_delivered_bytes") < 33_554_432);
    // Error handling, from the shipped scenarios.
    assert_eq!(fig(&t, "error_handling", "kafka", "dlq_records"), 4);
    assert_eq!(
        fig(
            &t,
            "error_handling",
            "pubsub",
            "client_output_buffer_limit_disconnections"
        ),
        1
    );
    assert!(fig(&t, "error_handling", "streams", "dead_lettered") >= 18);
}

#[test]
fn emitted_scenarios_replay_to_the_cells_values() {
    let dir = std::env::temp_dir().join(format!("msgsim-compare-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let t = table(&["--faults", "partition", "--emit", d]);
    // The cell names the scenario; running it gives the same count.
    let row = &t["rows"].as_array().unwrap()[2];
    let cell = &row["cells"][1];
    let name = cell["sources"][0]["scenario"].as_str().unwrap();
    let file = dir.join(format!("{name}.ron"));
    let o = msgsim(&["run", file.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let run: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        run["observations"]["pubsub_lost"].as_f64(),
        cell["figures"]["lost"].as_f64(),
        "{name} replays to the cell's value"
    );
    // Under the partition preset the steady pub/sub subscriber loses messages too.
    assert!(fig(&t, "per_consumer", "pubsub", "steady_lost") > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn markdown_is_one_table_of_eight_rows() {
    let o = msgsim(&["compare", "--markdown"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    let table: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(table[0], "| | Kafka | Redis Pub/Sub | Redis Streams |");
    assert_eq!(table.len(), 2 + 8);
    for l in &table {
        // 4 columns: 5 unescaped pipes.
        let pipes = l.len() - l.replace('|', "").len() - 2 * l.matches("\\|").count();
        assert_eq!(pipes, 5, "{l}");
    }
}

#[test]
fn bad_workload_and_fault_files_name_file_line_col() {
    let dir = std::env::temp_dir().join(format!("msgsim-compare-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let w = dir.join("w.ron");
    std::fs::write(&w, "(\n    rate_per_s: 0,\n)\n").unwrap();
    let o = msgsim(&["compare", w.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("w.ron:2:5"), "{err}");
    let f = dir.join("f.ron");
    std::fs::write(&f, "[\n  Crash(at_ms: 1000, node: \"b9\"),\n]\n").unwrap();
    let o = msgsim(&["compare", "--faults", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("f.ron:2:28") && err.contains("unknown role"),
        "{err}"
    );
    let o = msgsim(&["compare", "--faults", "no-such-preset"]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The README's first command: `msgsim run scenarios/quickstart.ron` prints the comparison, the
/// same table as `msgsim compare` on that file, and the file's `faults` field decides the
/// schedule (a `--faults` flag overrides it).
#[test]
fn the_quickstart_runs_the_comparison() {
    let o = msgsim(&["run", "scenarios/quickstart.ron", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let run: Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(run, table(&["scenarios/quickstart.ron"]));
    assert_eq!(run["faults"], "none", "{run}");
    // The away pub/sub subscriber misses what was published while it was gone.
    assert!(fig(&run, "away_returns", "pubsub", "lost") > 0, "{run}");
    let text = msgsim(&["run", "scenarios/quickstart.ron"]);
    let text = String::from_utf8_lossy(&text.stdout);
    for system in ["Kafka", "Redis Pub/Sub", "Redis Streams"] {
        assert!(text.contains(system), "{text}");
    }
    // A workload is not a scenario for `explore`: a clear exit 2, naming the way to run it.
    let o = msgsim(&["explore", "scenarios/quickstart.ron", "--seeds", "0..1"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("compare` workload"), "{err}");
    // `check` accepts it as valid input.
    assert_eq!(
        msgsim(&["check", "scenarios/quickstart.ron"]).status.code(),
        Some(0)
    );
}

#[test]
fn a_workload_names_its_fault_preset() {
    let dir = std::env::temp_dir().join(format!("msgsim-compare-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let w = dir.join("w.ron");
    std::fs::write(&w, "(\n    faults: \"crash\",\n)\n").unwrap();
    let t = table(&[w.to_str().unwrap()]);
    assert_eq!(t["faults"], "crash", "{t}");
    // The flag wins over the file.
    let t = table(&[w.to_str().unwrap(), "--faults", "none"]);
    assert_eq!(t["faults"], "none", "{t}");
    std::fs::write(&w, "(\n    faults: \"crush\",\n)\n").unwrap();
    let o = msgsim(&["compare", w.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("w.ron:2:5") && err.contains("preset"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
