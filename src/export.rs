//! Exporters: pure functions from the JSON-lines trace (`msgsim run --trace FILE`) to formats
//! people look at — a Mermaid sequence diagram, Chrome/Perfetto trace JSON with flow arrows,
//! a ShiViz log with vector clocks, the Jepsen-style history, and the pictures of
//! [`scene`]: a space-time SVG ([`svg`]) and the topology under partitions as Graphviz DOT
//! ([`dot`]), and a classroom page ([`html`]). They read the trace (and, from
//! a scenario, the run's anomaly explanations); the simulation never calls them.

pub mod dot;
pub mod html;
pub mod html_state;
pub mod input;
pub mod picture;
pub mod scene;
pub mod svg;

use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One line of the JSON-lines trace.
#[derive(Clone, Debug, Deserialize)]
pub struct TraceLine {
    pub i: u64,
    pub t_ns: u64,
    pub node: String,
    pub kind: String,
    pub label: String,
    #[serde(default)]
    pub peer: Option<String>,
    #[serde(default)]
    pub msg: Option<u64>,
    #[serde(default)]
    pub parent: Option<u64>,
    #[serde(default)]
    pub conn: Option<u64>,
    #[serde(default)]
    pub bytes: Option<u64>,
    #[serde(default)]
    pub detail: Option<String>,
    pub hash: String,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Mermaid `sequenceDiagram` (renders on GitHub); keep the window small.
    Mermaid,
    /// Chrome Trace Event JSON for ui.perfetto.dev: a process per node, flow arrows per message.
    Perfetto,
    /// ShiViz log with vector clocks.
    Shiviz,
    /// Jepsen-style history: one JSON object per client-observed event.
    History,
    /// Space-time (Lamport) diagram: a line per node, faults shaded, lost/duplicated in red.
    Svg,
    /// Graphviz DOT: the topology with the partitions in force at `--at-ms`.
    Dot,
    /// One self-contained HTML page: timeline, step-by-step node state, messages in flight,
    /// anomalies, replica LEO/HW and consumer lag charts.
    Html,
}

impl Format {
    /// The formats drawn from a [`Picture`] rather than from the raw window.
    pub fn is_picture(self) -> bool {
        matches!(
            self,
            Format::Svg | Format::Dot | Format::Html | Format::Mermaid
        )
    }
}

/// Parse a JSON-lines trace; `Err` names the first bad line (1-based).
pub fn parse_trace(text: &str) -> Result<Vec<TraceLine>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", n + 1)))
        .collect()
}

/// Keep events whose time is in `[from_ms, to_ms)`, at most `limit` of them.
pub fn window(
    lines: Vec<TraceLine>,
    from_ms: u64,
    to_ms: Option<u64>,
    limit: usize,
) -> Vec<TraceLine> {
    window_report(lines, from_ms, to_ms, limit).0
}

/// What a window kept and what it cut, printed by `msgsim export` so no cut is silent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    /// Events in the trace.
    pub total: usize,
    /// Events in `[from, to)`.
    pub in_window: usize,
    /// Events exported (`in_window` capped by the limit).
    pub kept: usize,
    /// Time of the first event left out by the limit, if any.
    pub cut_at_ns: Option<u64>,
}

impl Cut {
    pub fn describe(&self, from_ms: u64, to_ms: Option<u64>) -> String {
        let to = to_ms.map_or("the end".to_string(), |t| format!("{t} ms"));
        let mut s = format!(
            "export: {} of {} trace events, window {from_ms} ms to {to}",
            self.kept, self.total
        );
        if let Some(at) = self.cut_at_ns {
            s.push_str(&format!(
                "; CUT by --limit at t={}: {} later events in the window left out \
                 (raise --limit or narrow --from-ms/--to-ms)",
                micros(at),
                self.in_window - self.kept
            ));
        }
        s
    }
}

/// [`window`] and what it cut.
pub fn window_report(
    lines: Vec<TraceLine>,
    from_ms: u64,
    to_ms: Option<u64>,
    limit: usize,
) -> (Vec<TraceLine>, Cut) {
    let from = from_ms.saturating_mul(1_000_000);
    let to = to_ms.map_or(u64::MAX, |t| t.saturating_mul(1_000_000));
    let total = lines.len();
    let inside: Vec<TraceLine> = lines
        .into_iter()
        .filter(|l| l.t_ns >= from && l.t_ns < to)
        .collect();
    let in_window = inside.len();
    let cut_at_ns = inside.get(limit).map(|l| l.t_ns);
    let kept: Vec<TraceLine> = inside.into_iter().take(limit).collect();
    let cut = Cut {
        total,
        in_window,
        kept: kept.len(),
        cut_at_ns,
    };
    (kept, cut)
}

/// `names`: node names by `NodeId` index (the context's), to show `NodeId(2)` as `b3`.
pub fn export(lines: &[TraceLine], format: Format, names: &[String]) -> String {
    // The timelines show details as people read them; the history keeps them as data.
    let readable = || -> Vec<TraceLine> {
        lines
            .iter()
            .map(|l| TraceLine {
                detail: l.detail.as_deref().map(|d| shown(d, names)),
                ..l.clone()
            })
            .collect()
    };
    match format {
        Format::Mermaid => to_mermaid(&readable()),
        Format::Perfetto => to_perfetto(&readable()),
        Format::Shiviz => to_shiviz(&readable()),
        Format::History => to_history(lines),
        // Pictures need the whole trace and a context: `picture::build` and `picture::render`.
        Format::Svg | Format::Dot | Format::Html => String::new(),
    }
}

/// A detail as the pictures and timelines show it: record values named (`p0#17`, by the Kafka
/// model's value rule) instead of 13-digit numbers, and `NodeId(2)` as the node's name. The
/// history export keeps the data as it is.
pub(crate) fn shown(detail: &str, names: &[String]) -> String {
    let text = msgsim_models::kafka::value_names::readable(detail);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("NodeId(") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "NodeId(".len()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        let name = after[..digits]
            .parse::<usize>()
            .ok()
            .filter(|_| after[digits..].starts_with(')'))
            .and_then(|i| names.get(i));
        match name {
            Some(n) => {
                out.push_str(n);
                rest = &after[digits + 1..];
            }
            None => {
                out.push_str("NodeId(");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Node names in order of first appearance.
pub(crate) fn participants(lines: &[TraceLine]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for l in lines {
        for n in std::iter::once(&l.node).chain(l.peer.as_ref()) {
            if !seen.contains(n) {
                seen.push(n.clone());
            }
        }
    }
    seen
}

fn mermaid_id(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Mermaid text must not contain `;`, `#` or the word `end` (it closes a block): `#` and `;`
/// become entity codes, and the `e` of a whole word `end` becomes `#101;` (renders as `e`).
/// Other words containing "end" (`send`, `SendOk`) are left alone.
pub fn mermaid_text(s: &str) -> String {
    // One pass: escaping `#` first and `;` after would escape the `;` of `#35;` again.
    let mut escaped = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => escaped.push_str("#35;"),
            ';' => escaped.push_str("#59;"),
            c => escaped.push(c),
        }
    }
    let mut out = String::with_capacity(escaped.len());
    let chars: Vec<char> = escaped.chars().collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let mut i = 0;
    while i < chars.len() {
        let is_end = chars[i..]
            .iter()
            .take(3)
            .collect::<String>()
            .eq_ignore_ascii_case("end")
            && !word(i.checked_sub(1).and_then(|j| chars.get(j)))
            && !word(chars.get(i + 3));
        if is_end {
            out.push_str("#101;");
            out.extend(&chars[i + 1..i + 3]);
            i += 3;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn micros(t_ns: u64) -> String {
    format!("{}.{:03}ms", t_ns / 1_000_000, (t_ns % 1_000_000) / 1_000)
}

pub fn to_mermaid(lines: &[TraceLine]) -> String {
    let mut out = String::from("sequenceDiagram\n");
    for p in participants(lines) {
        out.push_str(&format!(
            "    participant {} as {}\n",
            mermaid_id(&p),
            mermaid_text(&p)
        ));
    }
    for l in lines {
        let node = mermaid_id(&l.node);
        let at = micros(l.t_ns);
        match (l.kind.as_str(), &l.peer) {
            ("deliver", Some(peer)) => out.push_str(&format!(
                "    {}->>{node}: {} (t={at})\n",
                mermaid_id(peer),
                mermaid_text(&l.label)
            )),
            (kind, Some(peer)) if kind.starts_with("drop:") => out.push_str(&format!(
                "    {}-x{node}: {} DROPPED {} (t={at})\n",
                mermaid_id(peer),
                mermaid_text(&l.label),
                &kind[5..]
            )),
            ("fault", _) => out.push_str(&format!(
                "    Note over {node}: fault {} (t={at})\n",
                mermaid_text(&l.label)
            )),
            ("history", _) => {
                let text = l.detail.as_deref().unwrap_or("history");
                out.push_str(&format!(
                    "    Note right of {node}: {} (t={at})\n",
                    mermaid_text(text)
                ));
            }
            _ => {}
        }
    }
    out
}

pub fn to_perfetto(lines: &[TraceLine]) -> String {
    let names = participants(lines);
    let pid = |n: &str| names.iter().position(|x| x == n).map_or(0, |i| i + 1);
    let mut events: Vec<Value> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        events.push(json!({"name": "process_name", "ph": "M", "pid": i + 1, "args": {"name": n}}));
        events.push(json!({"name": "thread_name", "ph": "M", "pid": i + 1, "tid": 1, "args": {"name": "events"}}));
    }
    for l in lines {
        let ts = l.t_ns as f64 / 1_000.0;
        let p = pid(&l.node);
        let mut args = json!({"i": l.i});
        if let Some(d) = &l.detail {
            args["detail"] = json!(d);
        }
        let ev = match l.kind.as_str() {
            "send" => {
                json!({"name": format!("send {}", l.label), "cat": "net", "ph": "X", "ts": ts,
                "dur": 0.5, "pid": p, "tid": 1, "bind_id": l.msg, "flow_out": true, "args": args})
            }
            "deliver" => {
                json!({"name": format!("recv {}", l.label), "cat": "net", "ph": "X", "ts": ts,
                "dur": 0.5, "pid": p, "tid": 1, "bind_id": l.msg, "flow_in": true, "args": args})
            }
            k if k.starts_with("drop:") => {
                json!({"name": format!("DROP {} ({})", l.label, &k[5..]),
                "cat": "net", "ph": "X", "ts": ts, "dur": 0.5, "pid": p, "tid": 1,
                "bind_id": l.msg, "flow_in": true, "args": args})
            }
            "fault" => {
                json!({"name": format!("fault {}", l.label), "cat": "fault", "ph": "i", "s": "g",
                "ts": ts, "pid": 0, "tid": 0, "args": args})
            }
            other => {
                // A history event is named by what happened (`SendOk`, `Subscribed`), the
                // first word of its detail; a timer by what the actor calls it (`heartbeat`).
                let what = match (other, l.detail.as_deref()) {
                    ("history", Some(d)) => d.split([' ', '(', '{']).next().unwrap_or(d),
                    ("timer", Some(d)) => d,
                    _ => l.label.as_str(),
                };
                json!({"name": format!("{other}: {what}"), "cat": other, "ph": "i", "s": "t",
                "ts": ts, "pid": p, "tid": 1, "args": args})
            }
        };
        events.push(ev);
    }
    serde_json::to_string_pretty(&json!({"traceEvents": events, "displayTimeUnit": "ns"}))
        .expect("json")
}

/// ShiViz: each logged event bumps its node's own clock component by exactly one; a delivery
/// merges the sender's clock as it was at the send. Drops are not receive events.
pub fn to_shiviz(lines: &[TraceLine]) -> String {
    let mut clocks: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut at_send: BTreeMap<u64, BTreeMap<String, u64>> = BTreeMap::new();
    // Line 1: default parser regex (empty); line 2: no multi-execution delimiter.
    let mut out = String::from("\n\n");
    for l in lines {
        let logged = matches!(
            l.kind.as_str(),
            "send" | "deliver" | "fault" | "history" | "timer" | "start"
        );
        if !logged {
            continue;
        }
        let mut clock = clocks.get(&l.node).cloned().unwrap_or_default();
        if l.kind == "deliver"
            && let Some(sent) = l.msg.and_then(|m| at_send.get(&m))
        {
            for (k, v) in sent {
                let e = clock.entry(k.clone()).or_insert(0);
                *e = (*e).max(*v);
            }
        }
        *clock.entry(l.node.clone()).or_insert(0) += 1;
        if l.kind == "send"
            && let Some(m) = l.msg
        {
            at_send.insert(m, clock.clone());
        }
        let clock_json = serde_json::to_string(&clock).expect("json");
        let what = match &l.peer {
            Some(peer) if l.kind == "send" => format!("send {} to {peer}", l.label),
            Some(peer) if l.kind == "deliver" => format!("recv {} from {peer}", l.label),
            _ => format!("{} {}", l.kind, l.detail.as_deref().unwrap_or(&l.label)),
        };
        out.push_str(&format!(
            "{what} #{}\n{} {clock_json}\n",
            l.msg.unwrap_or(l.i),
            l.node
        ));
        clocks.insert(l.node.clone(), clock);
    }
    out
}

/// The client-observed history in Jepsen's form (see [`crate::export_history`]).
pub fn to_history(lines: &[TraceLine]) -> String {
    let events: Vec<(&str, u64, &str)> = lines
        .iter()
        .filter(|l| l.kind == "history")
        .map(|l| (l.node.as_str(), l.t_ns, l.detail.as_deref().unwrap_or("")))
        .collect();
    crate::export_history::to_history(&events)
}
