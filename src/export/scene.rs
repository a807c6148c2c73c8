//! What the pictures (`svg`, `dot`) show, read back from the JSON-lines trace: node
//! names, fault windows, leader/primary changes, the messages the checkers' anomaly examples
//! name, the window to draw and the event categories hidden by default. Pure functions of the
//! trace and of the run's report; the simulation never calls them.

use super::TraceLine;
use crate::export_history::debug_to_json;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What an export knows beyond the trace itself.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Node names by `NodeId` index (fault and message details name nodes by index).
    pub names: Vec<String>,
    /// The servers (brokers, Redis nodes): the nodes a majority is counted over.
    pub servers: Vec<String>,
    /// Non-zero anomalies from the run's report, with their causes and first examples.
    pub anomalies: Vec<AnomalyNote>,
    /// Where the trace came from (`k02-acks1-leader-crash seed 1` or a file name).
    pub source: String,
}

/// One anomaly cause as the checker explained it.
#[derive(Clone, Debug, PartialEq)]
pub struct AnomalyNote {
    pub anomaly: String,
    pub cause: String,
    pub count: u64,
    pub examples: Vec<String>,
}

impl Context {
    /// A context from the trace alone (no report): names from the nodes' first `start`
    /// events, which the kernel records in `NodeId` order at time 0.
    pub fn from_trace(lines: &[TraceLine], source: &str) -> Context {
        let mut names: Vec<String> = Vec::new();
        for l in lines.iter().take_while(|l| l.t_ns == 0) {
            if l.kind == "start" && !names.contains(&l.node) {
                names.push(l.node.clone());
            }
        }
        for n in super::participants(lines) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        Context {
            servers: names.clone(),
            names,
            anomalies: Vec::new(),
            source: source.to_string(),
        }
    }

    pub fn name(&self, index: u64) -> String {
        self.names
            .get(index as usize)
            .cloned()
            .unwrap_or_else(|| format!("node{index}"))
    }
}

/// Options of the picture formats.
#[derive(Clone, Debug, Default)]
pub struct PictureOptions {
    pub filter: Filter,
    pub from_ms: Option<u64>,
    pub to_ms: Option<u64>,
    /// Most events drawn when the window is chosen automatically.
    pub budget: usize,
    /// `dot`: the time whose partitions are drawn (default: the first fault's).
    pub at_ms: Option<u64>,
}

/// Everything a picture draws, computed once from the whole trace.
pub struct Picture<'a> {
    /// The whole trace (messages sent before the window start at its left edge).
    pub all: &'a [TraceLine],
    /// The events in the window that the filter shows.
    pub shown: Vec<&'a TraceLine>,
    pub cx: &'a Context,
    pub window: Window,
    pub faults: Vec<FaultWindow>,
    pub roles: Vec<RoleChange>,
    /// Message id → the anomaly whose example names it.
    pub marked: BTreeMap<u64, String>,
    /// Message id → time of its first delivery or drop.
    pub delivered_later: BTreeMap<u64, u64>,
    pub filter: Filter,
    pub options: PictureOptions,
    /// What was cut, in words (also printed on stderr).
    pub cut_text: String,
}

/// A fault in force over `[from_ns, to_ns)` (`to_ns` `None`: until the end of the trace).
#[derive(Clone, Debug, PartialEq)]
pub struct FaultWindow {
    /// The fault's name (`crash`, `partition`, `pause`, ...).
    pub kind: String,
    /// The nodes it shades: the crashed/paused/isolated node, or every node of a cut.
    pub nodes: Vec<String>,
    /// Directed links it cuts (`from`, `to`); empty for crash and pause.
    pub cuts: Vec<(String, String)>,
    pub label: String,
    pub from_ns: u64,
    pub to_ns: Option<u64>,
}

fn ids(v: &Value) -> Vec<u64> {
    match v {
        Value::Array(a) => a.iter().flat_map(ids).collect(),
        Value::Number(n) => n.as_u64().into_iter().collect(),
        _ => Vec::new(),
    }
}

fn group_text(names: &[String]) -> String {
    format!("{{{}}}", names.join(","))
}

/// Fault windows from the trace's `fault` events: crash → restart, pause → resume, partition /
/// one-way partition / isolate → heal, clog → unclog or heal.
pub fn fault_windows(lines: &[TraceLine], cx: &Context) -> Vec<FaultWindow> {
    let mut done: Vec<FaultWindow> = Vec::new();
    let mut open: Vec<FaultWindow> = Vec::new();
    for l in lines.iter().filter(|l| l.kind == "fault") {
        let (_, v) = debug_to_json(l.detail.as_deref().unwrap_or(""));
        let node = |key: &str| ids(&v[key]).first().map(|&i| cx.name(i));
        let list =
            |key: &str| -> Vec<String> { ids(&v[key]).iter().map(|&i| cx.name(i)).collect() };
        let mut close = |pred: &dyn Fn(&FaultWindow) -> bool, open: &mut Vec<FaultWindow>| {
            let (closed, kept): (Vec<_>, Vec<_>) = open.drain(..).partition(|w| pred(w));
            *open = kept;
            done.extend(closed.into_iter().map(|mut w| {
                w.to_ns = Some(l.t_ns);
                w
            }));
        };
        let label = l.label.as_str();
        match label {
            "crash" | "crash_lose_unflushed" | "pause" | "isolate" => {
                let n = node("node").unwrap_or_else(|| l.node.clone());
                let cuts = if label == "isolate" {
                    cx.names
                        .iter()
                        .filter(|o| **o != n)
                        .flat_map(|o| [(n.clone(), o.clone()), (o.clone(), n.clone())])
                        .collect()
                } else {
                    Vec::new()
                };
                open.push(FaultWindow {
                    kind: label.to_string(),
                    nodes: vec![n.clone()],
                    cuts,
                    label: format!("{label} {n}"),
                    from_ns: l.t_ns,
                    to_ns: None,
                });
            }
            "restart" | "resume" => {
                let n = node("node").unwrap_or_else(|| l.node.clone());
                let starts: &[&str] = if label == "restart" {
                    &["crash", "crash_lose_unflushed"]
                } else {
                    &["pause"]
                };
                close(
                    &|w| starts.contains(&w.kind.as_str()) && w.nodes == [n.clone()],
                    &mut open,
                );
            }
            "partition" => {
                let groups: Vec<Vec<String>> = v["groups"]
                    .as_array()
                    .map(|gs| {
                        gs.iter()
                            .map(|g| ids(g).iter().map(|&i| cx.name(i)).collect())
                            .collect()
                    })
                    .unwrap_or_default();
                let mut cuts = Vec::new();
                for (a, ga) in groups.iter().enumerate() {
                    for (b, gb) in groups.iter().enumerate() {
                        if a != b {
                            for x in ga {
                                cuts.extend(gb.iter().map(|y| (x.clone(), y.clone())));
                            }
                        }
                    }
                }
                let text: Vec<String> = groups.iter().map(|g| group_text(g)).collect();
                open.push(FaultWindow {
                    kind: "partition".into(),
                    nodes: groups.concat(),
                    cuts,
                    label: format!("partition {}", text.join(" | ")),
                    from_ns: l.t_ns,
                    to_ns: None,
                });
            }
            "partition_one_way" | "clog" => {
                let (from, to) = (list("from"), list("to"));
                let cuts = from
                    .iter()
                    .flat_map(|x| to.iter().map(|y| (x.clone(), y.clone())))
                    .collect();
                let mut nodes = from.clone();
                nodes.extend(to.iter().cloned());
                open.push(FaultWindow {
                    kind: label.to_string(),
                    nodes,
                    cuts,
                    label: format!("{label} {} -> {}", group_text(&from), group_text(&to)),
                    from_ns: l.t_ns,
                    to_ns: None,
                });
            }
            "unclog" => {
                let (from, to) = (list("from"), list("to"));
                let mut nodes = from.clone();
                nodes.extend(to);
                close(&|w| w.kind == "clog" && w.nodes == nodes, &mut open);
            }
            "heal" => close(
                &|w| {
                    matches!(
                        w.kind.as_str(),
                        "partition" | "partition_one_way" | "isolate" | "clog"
                    )
                },
                &mut open,
            ),
            other => done.push(FaultWindow {
                kind: other.to_string(),
                nodes: node("node").into_iter().collect(),
                cuts: Vec::new(),
                label: other.to_string(),
                from_ns: l.t_ns,
                to_ns: Some(l.t_ns),
            }),
        }
    }
    done.extend(open);
    done.sort_by_key(|w| w.from_ns);
    done
}

/// A leader or primary change, first seen at `t_ns`.
#[derive(Clone, Debug, PartialEq)]
pub struct RoleChange {
    pub t_ns: u64,
    pub node: String,
    pub text: String,
}

/// Partition states (`leader`, `leader_epoch`, `isr`) found in one message detail, by
/// partition: a metadata snapshot's `parts` list (index = partition) or an `AlterPartition`
/// answer's `p` and `result`.
pub fn partition_states(v: &Value) -> Vec<(u64, Value)> {
    let mut out = Vec::new();
    walk(v, &mut |o| {
        if let Some(parts) = o.get("parts").and_then(Value::as_array) {
            for (i, p) in parts.iter().enumerate() {
                if p.get("leader_epoch").is_some() {
                    out.push((i as u64, p.clone()));
                }
            }
        }
        if let (Some(p), Some(r)) = (o.get("p").and_then(Value::as_u64), o.get("result"))
            && r.get("leader_epoch").is_some()
        {
            out.push((p, r.clone()));
        }
    });
    out
}

fn walk(v: &Value, f: &mut dyn FnMut(&serde_json::Map<String, Value>)) {
    match v {
        Value::Object(o) => {
            f(o);
            o.values().for_each(|x| walk(x, f));
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, f)),
        _ => {}
    }
}

/// Leader and primary changes: a Kafka partition state with a new leader epoch (first message
/// carrying it), a Redis Sentinel failover (`Failover { promoted }`) or demotion.
pub fn role_changes(lines: &[TraceLine], cx: &Context) -> Vec<RoleChange> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<u64, (Option<u64>, u64)> = BTreeMap::new();
    for l in lines {
        let Some(d) = l.detail.as_deref() else {
            continue;
        };
        if l.kind == "send" && d.contains("leader_epoch") {
            let (_, v) = debug_to_json(d);
            for (p, st) in partition_states(&v) {
                let leader = st["leader"].as_u64();
                let epoch = st["leader_epoch"].as_u64().unwrap_or(0);
                if seen.get(&p).is_some_and(|&(_, e)| e >= epoch) {
                    continue;
                }
                let first = !seen.contains_key(&p);
                seen.insert(p, (leader, epoch));
                let isr: Vec<String> = ids(&st["isr"]).iter().map(|&i| cx.name(i)).collect();
                let (node, what) = match leader {
                    Some(b) => (cx.name(b), "leader"),
                    None => (l.node.clone(), "no leader"),
                };
                out.push(RoleChange {
                    t_ns: l.t_ns,
                    node,
                    text: format!(
                        "{}{what} p{p} epoch {epoch} ISR {}",
                        if first { "" } else { "new " },
                        group_text(&isr)
                    ),
                });
            }
        } else if l.kind == "history" && (d.starts_with("Failover") || d.starts_with("Demoted")) {
            let (name, v) = debug_to_json(d);
            let (key, text) = if name == "Failover" {
                let epoch = v["epoch"].as_u64().unwrap_or(0);
                ("promoted", format!("primary (failover, epoch {epoch})"))
            } else {
                ("server", "demoted to replica".to_string())
            };
            if let Some(i) = v[key].as_u64() {
                out.push(RoleChange {
                    t_ns: l.t_ns,
                    node: cx.name(i),
                    text,
                });
            }
        }
    }
    out
}

/// Numbers of at least 10 digits in a detail: the models' record values (unique per record).
fn record_values(d: &str) -> impl Iterator<Item = u64> + '_ {
    d.split(|c: char| !c.is_ascii_digit())
        .filter(|t| t.len() >= 10)
        .filter_map(|t| t.parse().ok())
}

/// `word` followed by a number (optionally `A..B`, inclusive) in `text`, every occurrence.
fn ranges_after(text: &str, word: &str) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        rest = &rest[at + word.len()..];
        let num = |s: &str| -> (Option<u64>, usize) {
            let n: String = s.chars().take_while(char::is_ascii_digit).collect();
            (n.parse().ok(), n.len())
        };
        if let (Some(a), len) = num(rest) {
            let after = &rest[len..];
            let b = after.strip_prefix("..").and_then(|s| num(s).0).unwrap_or(a);
            out.push((a, b.max(a)));
        }
    }
    out
}

/// (anomaly, partition, first offset, last offset, time range) named by an example.
type OffsetRange = (String, u64, u64, u64, Option<(u64, u64)>);

/// `at A–B s` in an example (seconds, 3 decimals): the time range, in ns, widened to the
/// printed precision.
fn seconds_range(text: &str) -> Option<(u64, u64)> {
    let rest = &text[text.find(" at ")? + 4..];
    let (a, rest) = rest.split_once('–')?;
    let b = rest.split_once(" s")?.0;
    let ns = |x: &str| {
        x.trim()
            .parse::<f64>()
            .ok()
            .map(|v| (v * 1e9).round() as u64)
    };
    Some((ns(a)?, ns(b)? + 1_000_000))
}

/// The messages an anomaly example names, by message id → anomaly name. The examples say
/// which records: Kafka `p0 offsets 2000..2099` (the records acknowledged at those
/// offsets), Redis `key w2` and pub/sub `messages 444..466 of publisher #0`. Every message
/// carrying one of those records is marked; the rest of an example stays text.
pub fn marked_messages(lines: &[TraceLine], cx: &Context) -> BTreeMap<u64, String> {
    // (anomaly, partition, lo, hi, time range) from "pN offsets A..B (... at X–Y s)".
    let mut offsets: Vec<OffsetRange> = Vec::new();
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut published: Vec<(String, u64, u64, u64)> = Vec::new();
    for a in &cx.anomalies {
        for ex in &a.examples {
            for word in [" offsets ", " offset "] {
                for part in ex.split(';') {
                    let Some(p) = part
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix('p').and_then(|n| n.parse::<u64>().ok()))
                    else {
                        continue;
                    };
                    for (lo, hi) in ranges_after(part, word) {
                        offsets.push((a.anomaly.clone(), p, lo, hi, seconds_range(part)));
                    }
                }
            }
            if let Some(k) = ex
                .strip_prefix("key ")
                .and_then(|r| r.split([':', ' ']).next())
            {
                keys.push((a.anomaly.clone(), format!("\"{k}\"")));
            }
            for (lo, hi) in ranges_after(ex, " of messages ") {
                let publisher = ranges_after(ex, "of publisher #")
                    .first()
                    .map_or(0, |r| r.0);
                published.push((a.anomaly.clone(), publisher, lo, hi));
            }
        }
    }
    let mut values: BTreeMap<u64, String> = BTreeMap::new();
    if !offsets.is_empty() {
        for l in lines.iter().filter(|l| l.kind == "history") {
            let d = l.detail.as_deref().unwrap_or("");
            if !d.starts_with("SendOk") {
                continue;
            }
            let (_, v) = debug_to_json(d);
            let p = v["p"].as_u64();
            let first = v["offset"].as_u64();
            let (Some(p), Some(first)) = (p, first) else {
                continue;
            };
            let vals = ids(&v["values"]);
            for (k, val) in vals.iter().enumerate() {
                let off = first + k as u64;
                let at = |r: &Option<(u64, u64)>| r.is_none_or(|(a, b)| (a..b).contains(&l.t_ns));
                if let Some((a, ..)) = offsets
                    .iter()
                    .find(|(_, q, lo, hi, r)| *q == p && (*lo..=*hi).contains(&off) && at(r))
                {
                    values.entry(*val).or_insert_with(|| a.clone());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    for l in lines {
        let (Some(m), Some(d)) = (l.msg, l.detail.as_deref()) else {
            continue;
        };
        if !values.is_empty()
            && let Some(a) = record_values(d).find_map(|v| values.get(&v))
        {
            out.insert(m, a.clone());
            continue;
        }
        if let Some((a, _)) = keys.iter().find(|(_, k)| d.contains(k.as_str())) {
            out.insert(m, a.clone());
            continue;
        }
        if !published.is_empty() && d.contains("Publish {") {
            let (_, v) = debug_to_json(d);
            let mut hit = None;
            walk(&v, &mut |o| {
                if let (Some(p), Some(s)) = (
                    o.get("publisher").and_then(Value::as_u64),
                    o.get("first_seq").and_then(Value::as_u64),
                ) && let Some((a, ..)) = published
                    .iter()
                    .find(|(_, q, lo, hi)| *q == p && s >= *lo && s < (*hi).max(*lo + 1))
                {
                    hit = Some(a.clone());
                }
            });
            if let Some(a) = hit {
                out.insert(m, a);
            }
        }
    }
    out
}

/// Event categories hidden from pictures unless `--kinds` names them (or `all`).
pub const HIDDEN_BY_DEFAULT: [&str; 3] = ["timer", "replica", "heartbeat"];

/// The category `--kinds` filters on: `timer`, `replica` (replica fetches and their answers),
/// `heartbeat` (liveness chatter: heartbeats, pings, Sentinel hellos), else the event kind
/// (`send`, `deliver`, `history`, `fault`, ...) — a message label also matches.
pub fn category(l: &TraceLine, replica_conns: &BTreeSet<u64>) -> &'static str {
    let label = l.label.as_str();
    if l.kind == "timer" {
        "timer"
    } else if label == "ReplicaFetch" || l.conn.is_some_and(|c| replica_conns.contains(&c)) {
        "replica"
    } else if label.contains("Heartbeat")
        || matches!(label, "ping" | "pong" | "hello" | "info" | "replconf-ack")
    {
        "heartbeat"
    } else {
        "other"
    }
}

/// Connections that carry replica fetches (their answers travel on them too).
pub fn replica_conns(lines: &[TraceLine]) -> BTreeSet<u64> {
    lines
        .iter()
        .filter(|l| l.label == "ReplicaFetch")
        .filter_map(|l| l.conn)
        .collect()
}

/// Which events a picture shows: `--kinds` (comma list; `all`) and `--nodes`.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub kinds: Vec<String>,
    pub nodes: Vec<String>,
}

impl Filter {
    pub fn shows(&self, l: &TraceLine, replica: &BTreeSet<u64>) -> bool {
        if !(self.nodes.is_empty()
            || self.nodes.contains(&l.node)
            || l.peer.as_ref().is_some_and(|p| self.nodes.contains(p)))
        {
            return false;
        }
        let cat = category(l, replica);
        if self.kinds.iter().any(|k| k == "all") || cat == "other" {
            return true;
        }
        self.kinds.iter().any(|k| k == cat || *k == l.label)
    }
}

/// The window a picture draws, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub from_ns: u64,
    pub to_ns: u64,
    pub reason: String,
}

/// Choose a window: explicit bounds win; otherwise start shortly before the first fault or
/// anomaly-marked message (else at 0) and grow until `budget` shown events or the trace ends.
pub fn choose_window(
    shown: &[&TraceLine],
    from_ms: Option<u64>,
    to_ms: Option<u64>,
    focus: Option<(u64, String)>,
    budget: usize,
) -> Window {
    let end = shown.last().map_or(0, |l| l.t_ns + 1);
    if from_ms.is_some() || to_ms.is_some() {
        let from_ns = from_ms.unwrap_or(0).saturating_mul(1_000_000);
        let to_ns = to_ms.map_or(end, |t| t.saturating_mul(1_000_000));
        return Window {
            from_ns,
            to_ns,
            reason: "given by --from-ms/--to-ms".into(),
        };
    }
    let (focus_ns, why) = focus.unwrap_or((0, "the start of the run".into()));
    let from_ns = focus_ns.saturating_sub(2_000_000) / 1_000_000 * 1_000_000;
    let start = shown.partition_point(|l| l.t_ns < from_ns);
    let to_ns = shown
        .get(start + budget)
        .map_or(end, |l| l.t_ns.max(from_ns + 1));
    Window {
        from_ns,
        to_ns,
        reason: format!("chosen around {why} ({budget} events at most)"),
    }
}

/// The first fault or anomaly-marked message: what an automatic window starts at.
pub fn focus(
    lines: &[TraceLine],
    faults: &[FaultWindow],
    marked: &BTreeMap<u64, String>,
) -> Option<(u64, String)> {
    let fault = faults
        .first()
        .map(|f| (f.from_ns, format!("the first fault ({})", f.label)));
    let mark = lines
        .iter()
        .find(|l| l.msg.is_some_and(|m| marked.contains_key(&m)))
        .map(|l| {
            (
                l.t_ns,
                format!("the first {} message", marked[&l.msg.unwrap()]),
            )
        });
    match (fault, mark) {
        (Some(f), Some(m)) => Some(if m.0 < f.0 { m } else { f }),
        (f, m) => f.or(m),
    }
}

/// Simulated time as `12.345 ms` / `10.000123 s`.
pub fn time_text(t_ns: u64) -> String {
    if t_ns < 1_000_000_000 {
        format!("{}.{:03} ms", t_ns / 1_000_000, (t_ns % 1_000_000) / 1_000)
    } else {
        format!(
            "{}.{:06} s",
            t_ns / 1_000_000_000,
            (t_ns % 1_000_000_000) / 1_000
        )
    }
}
