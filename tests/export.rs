//! Exporters over a real trace of a tiny scenario: each format is checked for the properties
//! its viewer enforces.

#[path = "export/dot.rs"]
mod dot;
#[path = "export/html.rs"]
mod html;
#[path = "export/svg.rs"]
mod svg;
#[path = "export/workshop.rs"]
mod workshop;

use msgsim::export::{self, Format, TraceLine};
use std::collections::BTreeMap;
use std::process::Command;

fn trace() -> Vec<TraceLine> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("msgsim-export-{}-{n}.jsonl", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_msgsim"))
        .args([
            "run",
            "tests/fixtures/echo-tiny.ron",
            "--trace",
            path.to_str().unwrap(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    export::parse_trace(&text).unwrap()
}

#[test]
fn mermaid_has_participants_arrows_drops_and_fault_notes() {
    let lines = trace();
    let m = export::export(&lines, Format::Mermaid, &[]);
    assert!(m.starts_with("sequenceDiagram\n"));
    for p in ["s1", "c1", "c2"] {
        assert!(m.contains(&format!("participant {p} as {p}")), "{m}");
    }
    let delivers = lines.iter().filter(|l| l.kind == "deliver").count();
    assert_eq!(m.matches("->>").count(), delivers);
    let drops = lines
        .iter()
        .filter(|l| l.kind.starts_with("drop:") && l.peer.is_some())
        .count();
    assert!(drops > 0, "the lossy link dropped something");
    assert_eq!(m.matches("-x").count(), drops);
    assert!(m.contains("Note over s1: fault crash"));
    assert!(!m.contains(';'), "semicolons must be escaped");
}

#[test]
fn perfetto_is_valid_json_with_matched_flows() {
    let lines = trace();
    let v: serde_json::Value =
        serde_json::from_str(&export::export(&lines, Format::Perfetto, &[])).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let mut flows: BTreeMap<u64, (u32, u32)> = BTreeMap::new();
    for e in events {
        if e["ph"] == "X" {
            assert!(
                e["dur"].as_f64().unwrap() > 0.0,
                "an X slice without dur is ignored"
            );
            let id = e["bind_id"].as_u64().unwrap();
            let entry = flows.entry(id).or_default();
            if e["flow_out"] == true {
                entry.0 += 1;
            }
            if e["flow_in"] == true {
                entry.1 += 1;
            }
        }
        if e["ph"] == "i" {
            assert!(
                e.get("pid").is_some() && e.get("tid").is_some(),
                "instants need pid and tid"
            );
        }
    }
    assert!(
        flows.values().all(|(out, inn)| *out == 1 && *inn <= 1),
        "each message: one send, at most one end"
    );
    // Not vacuous: every delivery of the trace ends a flow (drops may end one too), every
    // node is a process.
    let delivers = lines.iter().filter(|l| l.kind == "deliver").count();
    assert!(delivers > 0);
    let ended = flows.values().filter(|(_, inn)| *inn == 1).count();
    assert!(
        ended >= delivers,
        "{ended} finished flows, {delivers} deliveries"
    );
    let processes = events
        .iter()
        .filter(|e| e["name"] == "process_name")
        .count();
    assert_eq!(processes, 3, "s1, c1 and c2");
    assert!(events.iter().any(|e| e["ph"] == "i"), "faults are instants");
}

#[test]
fn shiviz_clocks_are_exact_vector_clocks() {
    let lines = trace();
    let s = export::export(&lines, Format::Shiviz, &[]);
    let body: Vec<&str> = s.lines().skip(2).collect();
    assert_eq!(body.len() % 2, 0);
    let mut own: BTreeMap<String, u64> = BTreeMap::new();
    let mut sent: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut merges = 0;
    for pair in body.chunks(2) {
        let (host, clock) = pair[1].split_once(' ').unwrap();
        let clock: BTreeMap<String, u64> = serde_json::from_str(clock).unwrap();
        let prev = own.entry(host.to_string()).or_insert(0);
        assert_eq!(
            clock[host],
            *prev + 1,
            "a host's own component rises by exactly 1"
        );
        *prev += 1;
        let (what, id) = pair[0].rsplit_once(" #").unwrap();
        if what.starts_with("send ") {
            sent.insert(id.to_string(), clock);
        } else if what.starts_with("recv ") {
            // A delivery merges the sender's clock as it was at the send: the receiver now
            // knows at least every event the sender knew, its own send included.
            let at_send = &sent[id];
            for (node, v) in at_send {
                let known = clock.get(node).copied().unwrap_or(0);
                assert!(known >= *v, "{pair:?}: {node} {known} < {v} at the send");
            }
            merges += usize::from(at_send.keys().any(|n| n != host));
        }
    }
    assert!(
        merges > 0,
        "deliveries between different nodes were checked"
    );
}

#[test]
fn history_lists_client_events_in_order() {
    let lines = trace();
    let h = export::export(&lines, Format::History, &[]);
    let rows: Vec<serde_json::Value> = h
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rows.len(),
        lines.iter().filter(|l| l.kind == "history").count()
    );
    assert!(
        rows.windows(2)
            .all(|w| w[0]["time"].as_u64() <= w[1]["time"].as_u64())
    );
    // Jepsen's form: type/f/value as data, and every invocation completed or left open.
    for r in &rows {
        for key in ["index", "time", "process", "type", "f", "value"] {
            assert!(!r[key].is_null(), "{key} in {r}");
        }
        assert!(
            ["invoke", "ok", "fail", "info"].contains(&r["type"].as_str().unwrap()),
            "{r}"
        );
    }
    assert!(
        rows.iter()
            .any(|r| r["type"] == "invoke" && r["value"].is_object())
    );
    assert!(rows.iter().any(|r| r["type"] == "ok"));
}

#[test]
fn mermaid_keeps_words_containing_end_and_escapes_the_word_end() {
    assert_eq!(
        export::mermaid_text("SendOk end; #1"),
        "SendOk #101;nd#59; #35;1"
    );
    let lines = trace();
    let m = export::export(&lines, Format::Mermaid, &[]);
    assert!(!m.contains("[end]"), "no mangled words");
}

#[test]
fn export_prints_what_it_cut() {
    let path = std::env::temp_dir().join(format!("msgsim-export-cut-{}.jsonl", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_msgsim"))
        .args([
            "run",
            "tests/fixtures/echo-tiny.ron",
            "--trace",
            path.to_str().unwrap(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let total = std::fs::read_to_string(&path).unwrap().lines().count();
    let export = |extra: &[&str]| {
        let mut args = vec!["export", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_msgsim"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    // No limit for the history: every event, and stderr says so.
    let o = export(&["--format", "perfetto"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{total} of {total} trace events")),
        "{err}"
    );
    assert!(!err.contains("CUT"), "{err}");
    let o = export(&["--format", "perfetto", "--limit", "10"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("10 of {total} trace events")) && err.contains("CUT by --limit"),
        "{err}"
    );
    let _ = std::fs::remove_file(&path);
}

/// Timelines name things as people do: nodes by name (not `NodeId(0)`), Kafka records as
/// `p0#17` (not 1099511627793), history instants by what happened (not all `history`).
#[test]
fn timelines_show_node_names_record_names_and_event_names() {
    let export = |scenario: &str, format: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_msgsim"))
            .args(["export", scenario, "--format", format])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    let redis = export("scenarios/redis/r02-reconnect-gap.ron", "mermaid");
    assert!(redis.contains("server: r1"), "{redis}");
    assert!(!redis.contains("NodeId("), "{redis}");
    let kafka = export("scenarios/kafka/k02-acks1-leader-crash.ron", "mermaid");
    assert!(kafka.contains("values: [p0#35;"), "{kafka}");
    // Like the other pictures, the diagram's window is chosen around the first fault, and
    // timers and replica fetches are hidden unless asked for with --kinds.
    assert!(kafka.contains("fault partition"), "{kafka}");
    assert!(!kafka.contains("ReplicaFetch"), "{kafka}");
    let long_number = kafka
        .split(|c: char| !c.is_ascii_digit())
        .any(|t| t.len() >= 10);
    assert!(!long_number, "a record id left as a number: {kafka}");
    let perfetto: serde_json::Value =
        serde_json::from_str(&export("scenarios/redis/r02-reconnect-gap.ron", "perfetto")).unwrap();
    let names: Vec<&str> = perfetto["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["cat"] == "history")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"history: Subscribed"), "{names:?}");
    assert!(names.contains(&"history: Published"), "{names:?}");
    // Timers are named by what the actor uses them for, not all `timer: timer`.
    let timers: Vec<&str> = perfetto["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["cat"] == "timer")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(timers.contains(&"timer: serverCron"), "{timers:?}");
    assert!(!timers.contains(&"timer: timer"), "{timers:?}");
}
