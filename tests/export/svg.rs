//! `--format svg`: parsed as XML; one named line per node, faults shaded, the lost records of
//! the anomaly example in red, drops drawn as crosses, the window and the cut printed.

use std::process::Command;

/// Run `msgsim export ARGS... -o FILE`; (exit code, stderr, file text).
pub fn export_to_file(args: &[&str], ext: &str) -> (i32, String, String) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("msgsim-picture-{}-{n}.{ext}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_msgsim"))
        .arg("export")
        .args(args)
        .args(["-o", path.to_str().unwrap()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        text,
    )
}

fn class_has(n: &roxmltree::Node<'_, '_>, c: &str) -> bool {
    n.attribute("class")
        .is_some_and(|cl| cl.split(' ').any(|x| x == c))
}

fn title(n: &roxmltree::Node<'_, '_>) -> String {
    n.children()
        .find(|c| c.has_tag_name("title"))
        .and_then(|t| t.text())
        .unwrap_or("")
        .to_string()
}

#[test]
fn svg_of_k02_marks_the_lost_writes_in_red_and_shades_the_faults() {
    let (code, err, svg) = export_to_file(
        &[
            "scenarios/kafka/k02-acks1-leader-crash.ron",
            "--format",
            "svg",
            "--from-ms",
            "10000",
            "--to-ms",
            "10600",
        ],
        "svg",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("window 10.000000 s to 10.600000 s") && err.contains("trace events drawn"),
        "the window and the cut are printed: {err}"
    );
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name(("http://www.w3.org/2000/svg", "svg")));
    let names: Vec<&str> = root
        .descendants()
        .filter(|n| class_has(n, "node"))
        .filter_map(|g| g.children().find(|c| c.has_tag_name("text")))
        .filter_map(|t| t.text())
        .collect();
    assert_eq!(names, ["b1", "b2", "b3", "ctrl", "gc", "p1", "c1"]);
    assert!(!svg.contains("NodeId("), "nodes by name only");
    let faults: Vec<String> = root
        .descendants()
        .filter(|n| class_has(n, "fault"))
        .map(|g| title(&g))
        .collect();
    assert!(
        faults
            .iter()
            .any(|t| t.starts_with("partition {b1} | {b2,b3} from 10.000000 s"))
            && faults
                .iter()
                .any(|t| t.starts_with("crash b1 from 10.500000 s")),
        "{faults:?}"
    );
    // The checker's example: p0 offsets 2000..2099, 100 records acknowledged at
    // 10.000–10.495 s. Each went in its own Produce request, so exactly 100 red arrows, all
    // Produce requests to b1 delivered before the crash.
    let red: Vec<String> = root
        .descendants()
        .filter(|n| class_has(n, "red"))
        .map(|g| title(&g))
        .collect();
    assert_eq!(red.len(), 100, "{:?}", &red[..red.len().min(3)]);
    for t in &red {
        assert!(t.starts_with("Produce p1 → b1 at 10."), "{t}");
        assert!(t.contains("[lost_write]"), "{t}");
    }
    let notes: Vec<&str> = root
        .descendants()
        .filter(|n| class_has(n, "note"))
        .filter_map(|t| t.text())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("lost_write: 100 × offset_rewritten")
                && n.contains("(100 messages in red in this window)")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("b2 new leader p0 epoch 1")),
        "the election at 19.5 s is outside the window and said so: {notes:?}"
    );
}

#[test]
fn svg_of_a_trace_draws_drops_as_crosses_and_hides_timers_unless_asked() {
    let dir = std::env::temp_dir().join(format!("msgsim-svg-trace-{}.jsonl", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_msgsim"))
        .args([
            "run",
            "tests/fixtures/echo-tiny.ron",
            "--trace",
            dir.to_str().unwrap(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let trace = std::fs::read_to_string(&dir).unwrap();
    let drops = trace
        .lines()
        .filter(|l| l.contains("\"kind\":\"drop:") && l.contains("\"peer\""))
        .count();
    let timers = trace
        .lines()
        .filter(|l| l.contains("\"kind\":\"timer\""))
        .count();
    let path = dir.to_str().unwrap();
    let (code, err, svg) = export_to_file(&[path, "--format", "svg", "--from-ms", "0"], "svg");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("timer {timers}")), "{err}");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let crosses = doc.descendants().filter(|n| class_has(n, "drop")).count();
    assert!(drops > 0);
    assert_eq!(crosses, drops);
    assert!(
        doc.descendants()
            .filter(|n| class_has(n, "fault"))
            .any(|g| title(&g).starts_with("crash s1 from 12.000 ms to 15.000 ms"))
    );
    let (_, err_all, svg_all) = export_to_file(
        &[
            path,
            "--format",
            "svg",
            "--from-ms",
            "0",
            "--kinds",
            "timer",
        ],
        "svg",
    );
    assert!(!err_all.contains("timer"), "{err_all}");
    let locals = |s: &str| {
        roxmltree::Document::parse(s)
            .unwrap()
            .descendants()
            .filter(|n| class_has(n, "local"))
            .count()
    };
    assert_eq!(locals(&svg_all), locals(&svg) + timers);
    let _ = std::fs::remove_file(&dir);
    let (code, err, _) = export_to_file(&[path, "--format", "svg", "--nodes", "zz"], "svg");
    assert_eq!(code, 2, "{err}");
}
