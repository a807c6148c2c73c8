//! `--format dot`: the topology at one simulated time (`--at-ms`, default the first fault's),
//! as Graphviz DOT. Nodes are drawn by name; crashed and paused nodes greyed; links that work
//! both ways as plain edges, one-way links as arrows, cut links red and dashed; the sides of a
//! partition as clusters (strongly connected components of the reachability graph, built with
//! petgraph), the side holding a majority of the servers named. Never on the event path: it
//! reads the fault windows of the trace.

use super::scene::Picture;
use super::scene::{self, FaultWindow};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The network at one instant: who is down, which directed links are cut.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Topology {
    pub nodes: Vec<String>,
    pub down: BTreeMap<String, String>,
    pub cut: BTreeSet<(String, String)>,
    pub faults: Vec<String>,
}

/// The faults in force at `t_ns`.
pub fn at(nodes: &[String], faults: &[FaultWindow], t_ns: u64) -> Topology {
    let mut topo = Topology {
        nodes: nodes.to_vec(),
        ..Topology::default()
    };
    for w in faults
        .iter()
        .filter(|w| w.from_ns <= t_ns && w.to_ns.is_none_or(|e| t_ns < e))
    {
        topo.faults.push(w.label.clone());
        match w.kind.as_str() {
            "crash" | "crash_lose_unflushed" | "pause" => {
                for n in &w.nodes {
                    topo.down.insert(n.clone(), w.kind.clone());
                }
            }
            "clog" => {} // held, not cut: messages move on when released
            _ => topo.cut.extend(w.cuts.iter().cloned()),
        }
    }
    topo
}

/// Reachability: an edge a → b when both are up and the link a → b is not cut.
pub fn graph(t: &Topology) -> (DiGraph<String, ()>, BTreeMap<String, NodeIndex>) {
    let mut g = DiGraph::new();
    let idx: BTreeMap<String, NodeIndex> = t
        .nodes
        .iter()
        .map(|n| (n.clone(), g.add_node(n.clone())))
        .collect();
    for a in &t.nodes {
        for b in &t.nodes {
            let up = !t.down.contains_key(a) && !t.down.contains_key(b);
            if a != b && up && !t.cut.contains(&(a.clone(), b.clone())) {
                g.add_edge(idx[a], idx[b], ());
            }
        }
    }
    (g, idx)
}

/// The sides: groups of servers whose direct links work both ways between every pair's
/// chain (strongly connected components of the servers' link graph), largest first, and the
/// nodes each node reaches directly (messages are not forwarded, so a path through a third
/// node does not count).
pub fn sides(
    t: &Topology,
    servers: &[String],
) -> (Vec<Vec<String>>, BTreeMap<String, Vec<String>>) {
    let (g, idx) = graph(t);
    let pos = |n: &String| t.nodes.iter().position(|x| x == n);
    let among: Vec<&String> = if servers.is_empty() {
        t.nodes.iter().collect()
    } else {
        t.nodes.iter().filter(|n| servers.contains(n)).collect()
    };
    let sub = g.filter_map(
        |i, n| among.contains(&n).then(|| g[i].clone()),
        |_, _| Some(()),
    );
    let mut comps: Vec<Vec<String>> = tarjan_scc(&sub)
        .into_iter()
        .map(|c| {
            let mut names: Vec<String> = c.into_iter().map(|i| sub[i].clone()).collect();
            names.sort_by_key(pos);
            names
        })
        .collect();
    comps.sort_by_key(|c| (std::cmp::Reverse(c.len()), pos(&c[0])));
    let mut reach = BTreeMap::new();
    for n in &t.nodes {
        let mut seen: Vec<String> = g.neighbors(idx[n]).map(|i| g[i].clone()).collect();
        seen.sort_by_key(pos);
        reach.insert(n.clone(), seen);
    }
    (comps, reach)
}

fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn render(p: &Picture<'_>) -> String {
    let t_ns = p
        .options
        .at_ms
        .map(|m| m.saturating_mul(1_000_000))
        .or_else(|| p.faults.first().map(|f| f.from_ns))
        .unwrap_or(0);
    let topo = at(&p.cx.names, &p.faults, t_ns);
    let servers: Vec<&String> =
        p.cx.servers
            .iter()
            .filter(|s| topo.nodes.contains(s))
            .collect();
    let owned: Vec<String> = servers.iter().map(|s| (*s).clone()).collect();
    let (comps, reach) = sides(&topo, &owned);
    // A client joins the side whose servers are the only ones it reaches both ways.
    let both = |a: &String, b: &String| reach[a].contains(b) && reach[b].contains(a);
    let clients: Vec<&String> = topo
        .nodes
        .iter()
        .filter(|n| !servers.contains(n) && !topo.down.contains_key(*n))
        .collect();
    let side_of = |c: &String| -> Option<usize> {
        let hits: Vec<usize> = comps
            .iter()
            .enumerate()
            .filter(|(_, side)| side.iter().any(|s| both(c, s)))
            .map(|(k, _)| k)
            .collect();
        (hits.len() == 1 && !servers.is_empty()).then(|| hits[0])
    };
    let need = servers.len() / 2 + 1;
    let mut s = String::new();
    let what = if topo.faults.is_empty() {
        "no fault in force".to_string()
    } else {
        topo.faults.join("; ")
    };
    let _ = writeln!(s, "digraph topology {{");
    let _ = writeln!(
        s,
        "  label={};\n  labelloc=t;\n  fontname=\"sans-serif\";\n  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n  edge [arrowsize=0.6];",
        q(&format!(
            "{} at {}: {what}",
            p.cx.source,
            scene::time_text(t_ns)
        ))
    );
    for (k, c) in comps.iter().enumerate() {
        let up: Vec<&String> = c.iter().filter(|n| !topo.down.contains_key(*n)).collect();
        if up.is_empty() {
            continue;
        }
        let held = up.iter().filter(|n| servers.contains(n)).count();
        let label = if comps.len() == 1 {
            "connected".to_string()
        } else if held >= need && !servers.is_empty() {
            format!(
                "side {}: majority ({held} of {} servers)",
                k + 1,
                servers.len()
            )
        } else {
            format!(
                "side {}: minority ({held} of {} servers)",
                k + 1,
                servers.len()
            )
        };
        let _ = writeln!(s, "  subgraph cluster_{k} {{\n    label={};", q(&label));
        if held >= need && comps.len() > 1 {
            let _ = writeln!(s, "    style=filled; fillcolor=\"#e8f4e8\";");
        }
        for n in up {
            let _ = writeln!(s, "    {} [shape=box];", q(n));
        }
        for c in clients.iter().filter(|c| side_of(c) == Some(k)) {
            let _ = writeln!(s, "    {} [shape=ellipse];", q(c));
        }
        let _ = writeln!(s, "  }}");
    }
    for c in clients.iter().filter(|c| side_of(c).is_none()) {
        let _ = writeln!(s, "  {} [shape=ellipse];", q(c));
    }
    for (n, why) in &topo.down {
        let _ = writeln!(
            s,
            "  {} [label={}, style=\"filled,dashed\", fillcolor=\"#dddddd\"];",
            q(n),
            q(&format!("{n}\u{1}({why})")).replace('\u{1}', "\\n")
        );
    }
    // Servers among themselves, and each client with each server: both ways when both work.
    let nodes = &topo.nodes;
    for (i, a) in nodes.iter().enumerate() {
        for b in nodes.iter().skip(i + 1) {
            let relevant = servers.contains(&a) || servers.contains(&b) || servers.is_empty();
            if !relevant || topo.down.contains_key(a) || topo.down.contains_key(b) {
                continue;
            }
            let ab = !topo.cut.contains(&(a.clone(), b.clone()));
            let ba = !topo.cut.contains(&(b.clone(), a.clone()));
            let attrs = match (ab, ba) {
                (true, true) => "dir=none".to_string(),
                (true, false) | (false, true) => "color=\"#ff7f0e\", label=\"one way\"".into(),
                (false, false) => {
                    "dir=none, style=dashed, color=\"#d62728\", constraint=false".into()
                }
            };
            let (x, y) = if !ab && ba { (b, a) } else { (a, b) };
            let _ = writeln!(s, "  {} -> {} [{attrs}];", q(x), q(y));
        }
    }
    for (n, r) in &reach {
        let _ = writeln!(s, "  // {n} reaches: {}", r.join(", "));
    }
    s.push_str("}\n");
    s
}
