//! `--format svg`: a space-time (Lamport) diagram. One horizontal line per node (by name),
//! time left to right, one arrow per message from its send to its delivery; drops end in a
//! cross; fault windows shaded; leader/primary changes marked; the messages the anomaly
//! examples name, drops and network duplicates in red. Only the window is drawn and the
//! header says what was cut.

use super::TraceLine;
use super::scene::Picture;
use super::scene::{self, Context, Window};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

pub const LEFT: f64 = 120.0;
pub const PLOT_W: f64 = 1240.0;
const ROW: f64 = 46.0;
const TOP: f64 = 106.0;
pub const RED: &str = "#d62728";

/// Escape text for XML content and attributes.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `s` cut to `n` characters, with an ellipsis when cut.
pub(crate) fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

struct Frame {
    w: Window,
    rows: BTreeMap<String, f64>,
}

impl Frame {
    fn x(&self, t: u64) -> f64 {
        let span = (self.w.to_ns - self.w.from_ns).max(1) as f64;
        let t = t.clamp(self.w.from_ns, self.w.to_ns);
        LEFT + (t - self.w.from_ns) as f64 / span * PLOT_W
    }
    fn y(&self, node: &str) -> Option<f64> {
        self.rows.get(node).copied()
    }
}

/// Render the picture; `lines` is the whole trace (messages sent before the window are drawn
/// from its left edge).
pub fn render(p: &Picture<'_>) -> String {
    let cx: &Context = p.cx;
    let nodes: Vec<String> = cx
        .names
        .iter()
        .filter(|n| p.filter.nodes.is_empty() || p.filter.nodes.contains(n))
        .cloned()
        .collect();
    let rows: BTreeMap<String, f64> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), TOP + 20.0 + i as f64 * ROW))
        .collect();
    let f = Frame {
        w: p.window.clone(),
        rows,
    };
    let bottom = TOP + 20.0 + nodes.len().max(1) as f64 * ROW;
    let notes = note_lines(p);
    let height = bottom + 40.0 + notes.len() as f64 * 16.0;
    let width = LEFT + PLOT_W + 40.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    s.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" \
         markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/>\
         </marker><marker id=\"arrow-red\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path \
         d=\"M0,0 L10,5 L0,10 z\" fill=\"#d62728\"/></marker></defs>\n",
    );
    let _ = write!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{width:.0}\" height=\"{height:.0}\" fill=\"white\"/>\n\
         <text x=\"12\" y=\"22\" font-size=\"16\" font-weight=\"bold\">{}</text>\n\
         <text x=\"12\" y=\"40\">window {} – {} ({})</text>\n\
         <text x=\"12\" y=\"56\" fill=\"#555\">{}</text>\n",
        xml(&cx.source),
        scene::time_text(f.w.from_ns),
        scene::time_text(f.w.to_ns),
        xml(&f.w.reason),
        xml(&p.cut_text),
    );
    let _ = writeln!(
        s,
        "<text x=\"12\" y=\"72\">arrows: messages (send → delivery); red: lost or duplicated \
         (anomaly examples, drops ✕, network duplicates); shaded: faults; ◆ leader/primary \
         changes; dots: client history</text>"
    );
    axis(&mut s, &f, bottom);
    faults(&mut s, p, &f, bottom);
    for n in &nodes {
        let y = f.rows[n];
        let _ = writeln!(
            s,
            "<g class=\"node\"><text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\" font-weight=\"bold\">{}</text>\
             <line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#222\" stroke-width=\"1.2\"/></g>",
            LEFT - 10.0,
            y + 4.0,
            xml(n),
            LEFT + PLOT_W
        );
    }
    messages(&mut s, p, &f);
    for r in p.roles.iter().filter(|r| in_window(&f.w, r.t_ns)) {
        if let Some(y) = f.y(&r.node) {
            let x = f.x(r.t_ns);
            let _ = writeln!(
                s,
                "<g class=\"role\"><title>{} at {}</title><path d=\"M{x:.1},{:.1} l6,6 l-6,6 l-6,-6 z\" \
                 fill=\"#1f77b4\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1f77b4\" font-size=\"11\">{}</text></g>",
                xml(&r.text),
                scene::time_text(r.t_ns),
                y - 6.0,
                x + 8.0,
                y - 8.0,
                xml(&short(&r.text, 48))
            );
        }
    }
    let mut y = bottom + 30.0;
    for (text, red) in notes {
        let fill = if red { RED } else { "#222" };
        let _ = writeln!(
            s,
            "<text class=\"note\" x=\"12\" y=\"{y:.0}\" fill=\"{fill}\">{}</text>",
            xml(&text)
        );
        y += 16.0;
    }
    s.push_str("</svg>\n");
    s
}

fn in_window(w: &Window, t: u64) -> bool {
    t >= w.from_ns && t < w.to_ns
}

fn axis(s: &mut String, f: &Frame, bottom: f64) {
    let span = (f.w.to_ns - f.w.from_ns).max(1);
    let mut step = 1_000u64; // 1 µs
    while span / step > 10 {
        step *= if (step.to_string()).starts_with('1') {
            5
        } else {
            2
        };
    }
    let first = f.w.from_ns.div_ceil(step) * step;
    let mut t = first;
    while t < f.w.to_ns {
        let x = f.x(t);
        let _ = writeln!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{:.0}\" x2=\"{x:.1}\" y2=\"{bottom:.0}\" stroke=\"#ddd\"/>\
             <text x=\"{x:.1}\" y=\"{:.0}\" text-anchor=\"middle\" fill=\"#666\" font-size=\"10\">{}</text>",
            TOP - 4.0,
            TOP - 8.0,
            scene::time_text(t)
        );
        t += step;
    }
}

fn faults(s: &mut String, p: &Picture<'_>, f: &Frame, bottom: f64) {
    for (k, w) in p.faults.iter().enumerate() {
        let to = w.to_ns.unwrap_or(u64::MAX);
        if to <= f.w.from_ns || w.from_ns >= f.w.to_ns {
            continue;
        }
        let (x1, x2) = (f.x(w.from_ns), f.x(to.min(f.w.to_ns)));
        let width = (x2 - x1).max(2.0);
        let ys: Vec<f64> = w.nodes.iter().filter_map(|n| f.y(n)).collect();
        let (fill, y1, y2) = match w.kind.as_str() {
            "crash" | "crash_lose_unflushed" | "pause" => {
                let y = ys.first().copied().unwrap_or(TOP);
                ("#7f7f7f", y - 14.0, y + 14.0)
            }
            _ => ("#ff7f0e", TOP, bottom),
        };
        let until = w.to_ns.map_or("the end".to_string(), scene::time_text);
        let _ = writeln!(
            s,
            "<g class=\"fault\"><title>{} from {} to {until}</title><rect x=\"{x1:.1}\" y=\"{y1:.1}\" \
             width=\"{width:.1}\" height=\"{:.1}\" fill=\"{fill}\" fill-opacity=\"0.18\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#a0500a\" font-size=\"11\">{}</text></g>",
            xml(&w.label),
            scene::time_text(w.from_ns),
            y2 - y1,
            x1 + 3.0,
            if fill == "#ff7f0e" {
                TOP + 12.0 + (k % 3) as f64 * 12.0
            } else {
                y1 + 10.0
            },
            xml(&short(&w.label, 60))
        );
    }
}

fn messages(s: &mut String, p: &Picture<'_>, f: &Frame) {
    let mut sends: BTreeMap<u64, &TraceLine> = BTreeMap::new();
    let mut delivered: BTreeSet<u64> = BTreeSet::new();
    let mut ended: BTreeSet<u64> = BTreeSet::new();
    for l in p.all.iter().filter(|l| l.t_ns < f.w.to_ns) {
        if l.kind == "send"
            && let Some(m) = l.msg
        {
            sends.insert(m, l);
        }
    }
    for &l in &p.shown {
        let red_note = l.msg.and_then(|m| p.marked.get(&m));
        let y_here = f.y(&l.node);
        let kind = l.kind.as_str();
        let is_end = kind == "deliver" || kind.starts_with("drop:");
        if is_end && let (Some(m), Some(peer)) = (l.msg, &l.peer) {
            ended.insert(m);
            let dup = kind == "deliver" && !delivered.insert(m);
            let (Some(y2), Some(y1)) = (y_here, f.y(peer)) else {
                continue;
            };
            let x1 = sends.get(&m).map_or(f.x(f.w.from_ns), |s| f.x(s.t_ns));
            let x2 = f.x(l.t_ns);
            let dropped = kind.starts_with("drop:");
            let red = red_note.is_some() || dropped || dup;
            let why = match (red_note, dropped, dup) {
                (Some(a), ..) => format!(" [{a}]"),
                (_, true, _) => format!(" [dropped: {}]", &kind[5..]),
                (_, _, true) => " [duplicated by the network]".into(),
                _ => String::new(),
            };
            let title = format!(
                "{} {} → {} at {}{why}: {}",
                l.label,
                peer,
                l.node,
                scene::time_text(l.t_ns),
                short(
                    &crate::export::shown(l.detail.as_deref().unwrap_or(""), &p.cx.names),
                    300
                )
            );
            let (stroke, width, marker) = if red {
                (RED, 1.8, "url(#arrow-red)")
            } else {
                ("#555", 0.8, "url(#arrow)")
            };
            if dropped {
                let _ = writeln!(
                    s,
                    "<g class=\"msg drop\"><title>{}</title><line x1=\"{x1:.1}\" y1=\"{y1:.1}\" \
                     x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{RED}\" stroke-width=\"1.4\" \
                     stroke-dasharray=\"4 3\"/><path d=\"M{:.1},{:.1} l8,8 M{:.1},{:.1} l-8,8\" \
                     stroke=\"{RED}\" stroke-width=\"2\"/></g>",
                    xml(&title),
                    x2 - 4.0,
                    y2 - 4.0,
                    x2 + 4.0,
                    y2 - 4.0
                );
            } else {
                let class = if red { "msg red" } else { "msg" };
                let _ = writeln!(
                    s,
                    "<g class=\"{class}\"><title>{}</title><line x1=\"{x1:.1}\" y1=\"{y1:.1}\" \
                     x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{stroke}\" stroke-width=\"{width}\" \
                     marker-end=\"{marker}\"/></g>",
                    xml(&title)
                );
            }
            continue;
        }
        let Some(y) = y_here else { continue };
        let x = f.x(l.t_ns);
        match kind {
            "history" => {
                let _ = writeln!(
                    s,
                    "<circle class=\"hist\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\" fill=\"#2ca02c\">\
                     <title>{} {}: {}</title></circle>",
                    xml(&l.node),
                    scene::time_text(l.t_ns),
                    xml(&short(
                        &crate::export::shown(l.detail.as_deref().unwrap_or(""), &p.cx.names),
                        300
                    ))
                );
            }
            "send" => {}
            "fault" | "quiet" => {}
            other => {
                let _ = writeln!(
                    s,
                    "<rect class=\"local\" x=\"{:.1}\" y=\"{:.1}\" width=\"3\" height=\"6\" fill=\"#9467bd\">\
                     <title>{} {} at {}</title></rect>",
                    x - 1.5,
                    y - 3.0,
                    xml(other),
                    xml(&l.label),
                    scene::time_text(l.t_ns)
                );
            }
        }
    }
    // Messages sent in the window and still in flight at its end: to the right edge.
    for l in p.shown.iter().filter(|l| l.kind == "send") {
        let Some(m) = l.msg else { continue };
        if ended.contains(&m) || p.delivered_later.get(&m).is_none_or(|&t| t < f.w.to_ns) {
            continue;
        }
        let (Some(y1), Some(y2)) = (f.y(&l.node), l.peer.as_deref().and_then(|n| f.y(n))) else {
            continue;
        };
        let red = p.marked.contains_key(&m);
        let x1 = f.x(l.t_ns);
        let x2 = LEFT + PLOT_W;
        let y2 = y1 + (y2 - y1) * 0.5;
        let _ = writeln!(
            s,
            "<g class=\"msg{}\"><title>{} {} → {} sent at {}, delivered after the window</title>\
             <line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{}\" \
             stroke-width=\"0.8\" stroke-dasharray=\"2 2\"/></g>",
            if red { " red" } else { "" },
            xml(&l.label),
            xml(&l.node),
            xml(l.peer.as_deref().unwrap_or("")),
            scene::time_text(l.t_ns),
            if red { RED } else { "#999" }
        );
    }
}

/// The text under the diagram: the anomalies with their explanations, the faults outside
/// the window, what was hidden.
fn note_lines(p: &Picture<'_>) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for a in &p.cx.anomalies {
        let drawn: BTreeSet<u64> = p
            .shown
            .iter()
            .filter_map(|l| l.msg)
            .filter(|m| p.marked.get(m) == Some(&a.anomaly))
            .collect();
        let marked = drawn.len();
        let mut t = format!("{}: {} × {}", a.anomaly, a.count, a.cause);
        if let Some(e) = a.examples.first() {
            t.push_str(&format!(", e.g. {}", short(e, 150)));
        }
        if marked > 0 {
            t.push_str(&format!(" ({marked} messages in red in this window)"));
        }
        out.push((t, true));
    }
    let outside: Vec<String> = p
        .faults
        .iter()
        .filter(|w| w.from_ns >= p.window.to_ns || w.to_ns.is_some_and(|t| t < p.window.from_ns))
        .map(|w| format!("{} at {}", w.label, scene::time_text(w.from_ns)))
        .collect();
    if !outside.is_empty() {
        out.push((
            format!(
                "faults outside the window: {}",
                short(&outside.join(", "), 200)
            ),
            false,
        ));
    }
    let roles_out = p
        .roles
        .iter()
        .filter(|r| !in_window(&p.window, r.t_ns))
        .count();
    if roles_out > 0 {
        let list: Vec<String> = p
            .roles
            .iter()
            .filter(|r| !in_window(&p.window, r.t_ns))
            .map(|r| format!("{} {} at {}", r.node, r.text, scene::time_text(r.t_ns)))
            .collect();
        out.push((
            format!(
                "leader/primary changes outside the window: {}",
                short(&list.join(", "), 200)
            ),
            false,
        ));
    }
    out
}
