//! `--format dot`: the topology at a time, parsed back: statements well formed, the sides of
//! the partition as clusters with the majority named, cut links red, crashed nodes greyed.

use super::svg::export_to_file;

/// Statements of a DOT graph (`a -> b [..]`, `"x" [..]`, `subgraph ... {`), checking that
/// braces balance and quotes close.
fn statements(dot: &str) -> Vec<String> {
    assert!(dot.starts_with("digraph topology {"), "{dot}");
    let mut depth = 0i32;
    let mut out = Vec::new();
    for line in dot.lines().map(str::trim).filter(|l| !l.starts_with("//")) {
        assert_eq!(line.matches('"').count() % 2, 0, "unclosed quote: {line}");
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        assert!(depth >= 0, "{line}");
        out.push(line.to_string());
    }
    assert_eq!(depth, 0, "braces balance");
    out
}

fn cluster_members(dot: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut inside = false;
    for line in dot.lines().map(str::trim) {
        if line.starts_with("subgraph cluster_") {
            inside = true;
            out.push((String::new(), Vec::new()));
        } else if inside && line == "}" {
            inside = false;
        } else if inside && let Some(label) = line.strip_prefix("label=") {
            out.last_mut().unwrap().0 = label.trim_end_matches(';').trim_matches('"').into();
        } else if inside && line.starts_with('"') {
            let name = line.split('"').nth(1).unwrap().to_string();
            out.last_mut().unwrap().1.push(name);
        }
    }
    out
}

#[test]
fn dot_of_k02_shows_the_partition_sides_then_the_crash_then_the_healed_cluster() {
    let k02 = "scenarios/kafka/k02-acks1-leader-crash.ron";
    let (code, err, dot) = export_to_file(&[k02, "--format", "dot"], "dot");
    assert_eq!(code, 0, "{err}");
    let st = statements(&dot);
    assert!(
        dot.contains("at 10.000000 s: partition {b1} | {b2,b3}"),
        "{dot}"
    );
    let clusters = cluster_members(&dot);
    assert_eq!(
        clusters,
        [
            (
                "side 1: majority (2 of 3 servers)".to_string(),
                vec!["b2".to_string(), "b3".to_string()]
            ),
            (
                "side 2: minority (1 of 3 servers)".to_string(),
                vec!["b1".to_string()]
            ),
        ]
    );
    let cut: Vec<&String> = st.iter().filter(|l| l.contains("style=dashed")).collect();
    assert_eq!(cut.len(), 2, "b1-b2 and b1-b3: {cut:?}");
    assert!(dot.contains("// b1 reaches: ctrl, gc, p1, c1\n"), "{dot}");

    let (_, _, crashed) = export_to_file(&[k02, "--format", "dot", "--at-ms", "10550"], "dot");
    statements(&crashed);
    assert!(
        crashed.contains("\"b1\" [label=\"b1\\n(crash)\""),
        "{crashed}"
    );
    assert!(crashed.contains("// b1 reaches: \n"), "{crashed}");

    let (_, _, healed) = export_to_file(&[k02, "--format", "dot", "--at-ms", "40000"], "dot");
    statements(&healed);
    assert!(healed.contains("no fault in force"), "{healed}");
    assert_eq!(cluster_members(&healed).len(), 1);
    assert!(!healed.contains("dashed"), "{healed}");
}
