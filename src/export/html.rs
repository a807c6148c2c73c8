//! `--format html`: one self-contained page for the classroom (no network: the CSS, the script
//! and the data are inline). The data is one JSON blob (`<script type="application/json"
//! id="msgsim-data">`): the window's events as steps, each with the state changes and the
//! messages sent and landed since the previous step ([`html_state`] reads them from the
//! trace), the state at the window's start, the anomalies with their explanations, and the
//! whole run's replica LEO/HW, truncations and consumer lag. The space-time SVG of the same
//! window is inlined as the timeline. The page (`html_page.html`) draws the rest.

use super::html_state::{Flight, Point, Tracker};
use super::scene::Picture;
use super::svg;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const PAGE: &str = include_str!("html_page.html");

/// Points kept per series (the page draws step lines; a stride keeps the shape).
const SERIES_POINTS: usize = 400;

/// The steps the page offers: the events the picture shows, at most the picture's budget.
fn step_cap(p: &Picture<'_>) -> usize {
    p.options.budget.max(1)
}

/// What the step cap left out, if anything (printed on stderr and in the page).
pub fn cap_note(p: &Picture<'_>) -> Option<String> {
    let cap = step_cap(p);
    (p.shown.len() > cap).then(|| {
        format!(
            "steps: the first {cap} of the {} events drawn in the window (raise --limit or \
             narrow --from-ms/--to-ms)",
            p.shown.len()
        )
    })
}

fn thin(points: &[Point]) -> Vec<Point> {
    if points.len() <= SERIES_POINTS {
        return points.to_vec();
    }
    let stride = points.len().div_ceil(SERIES_POINTS);
    let mut out: Vec<Point> = points.iter().step_by(stride).copied().collect();
    if out.last() != points.last() {
        out.extend(points.last());
    }
    out
}

fn flight_json(f: &Flight) -> Value {
    json!([f.0, f.1, f.2, f.3, f.4, f.5])
}

/// The page's data: everything the script reads.
pub fn data(p: &Picture<'_>) -> Value {
    let cx = p.cx;
    let replica = super::scene::replica_conns(p.all);
    let cap = step_cap(p);
    let in_window = |t: u64| t >= p.window.from_ns && t < p.window.to_ns;
    let mut tracker = Tracker::default();
    let mut initial: Option<(Value, Vec<Value>)> = None;
    let mut steps: Vec<Value> = Vec::new();
    for l in p.all {
        if initial.is_none() && l.t_ns >= p.window.from_ns {
            initial = Some(snapshot(&tracker));
            tracker.take_changes();
        }
        let shows = p.filter.shows(l, &replica);
        let mark = l.msg.and_then(|m| p.marked.get(&m));
        tracker.fold(l, cx, shows, mark);
        if shows && in_window(l.t_ns) && steps.len() < cap {
            let (set, add, del) = tracker.take_changes();
            let text = l.detail.as_deref().unwrap_or(&l.label);
            steps.push(json!({
                "t": l.t_ns,
                "node": l.node,
                "kind": l.kind,
                "label": l.label,
                "peer": l.peer,
                "msg": l.msg,
                "text": svg::short(&crate::export::shown(text, &p.cx.names), 240),
                "mark": mark,
                "set": set.iter().map(|(n, k, v)| json!([n, k, v])).collect::<Vec<_>>(),
                "add": add.iter().map(flight_json).collect::<Vec<_>>(),
                "del": del,
            }));
        }
    }
    let (state0, flight0) = initial.unwrap_or_else(|| snapshot(&tracker));
    let mut replicas = Vec::new();
    for ((part, node), leo) in &tracker.leo {
        let hw = tracker
            .hw
            .get(&(*part, node.clone()))
            .map(|s| thin(s))
            .unwrap_or_default();
        replicas.push(json!({"p": part, "node": node, "leo": thin(leo), "hw": hw}));
    }
    let lag: Vec<Value> = tracker
        .lag
        .iter()
        .map(|((c, part), s)| json!({"consumer": c, "p": part, "points": thin(s)}))
        .collect();
    let truncations: Vec<Value> = tracker
        .truncations
        .iter()
        .map(|t| {
            json!({"node": t.node, "p": t.partition, "from": t.from_offset,
                   "to": t.to_offset, "t": t.t_ns})
        })
        .collect();
    let mut marked_count: BTreeMap<&str, usize> = BTreeMap::new();
    for a in p.marked.values() {
        *marked_count.entry(a.as_str()).or_default() += 1;
    }
    json!({
        "format": "msgsim-html/1",
        "source": cx.source,
        "nodes": cx.names,
        "servers": cx.servers,
        "window": {"from": p.window.from_ns, "to": p.window.to_ns, "reason": p.window.reason},
        "cut": p.cut_text,
        "cap": cap_note(p),
        "t_end": p.all.last().map_or(0, |l| l.t_ns),
        "svg_left": svg::LEFT,
        "svg_plot_w": svg::PLOT_W,
        "anomalies": cx.anomalies.iter().map(|a| json!({
            "anomaly": a.anomaly, "cause": a.cause, "count": a.count, "examples": a.examples,
            "marked_messages": marked_count.get(a.anomaly.as_str()).copied().unwrap_or(0),
        })).collect::<Vec<_>>(),
        "faults": p.faults.iter().map(|f| json!({
            "label": f.label, "from": f.from_ns, "to": f.to_ns,
        })).collect::<Vec<_>>(),
        "roles": p.roles.iter().map(|r| json!({"t": r.t_ns, "node": r.node, "text": r.text}))
            .collect::<Vec<_>>(),
        "initial": {"state": state0, "in_flight": flight0},
        "steps": steps,
        "replicas": replicas,
        "truncations": truncations,
        "lag": lag,
    })
}

fn snapshot(t: &Tracker) -> (Value, Vec<Value>) {
    (
        serde_json::to_value(&t.state).expect("json"),
        t.in_flight.values().map(flight_json).collect(),
    )
}

/// The page: the template with the title, the timeline SVG and the data blob inserted (the
/// template is split at its markers first, so inserted text is never searched). The blob's
/// `</` is written `<\/` so no string in it can close the script element.
pub fn render(p: &Picture<'_>) -> String {
    let blob = serde_json::to_string(&data(p))
        .expect("json")
        .replace("</", "<\\/");
    let picture = svg::render(p);
    let picture = picture
        .split_once("?>\n")
        .map_or(picture.as_str(), |(_, rest)| rest);
    let (head, rest) = PAGE.split_once("{{TITLE}}").expect("template");
    let (mid, rest) = rest.split_once("{{SVG}}").expect("template");
    let (before_data, tail) = rest.split_once("{{DATA}}").expect("template");
    let mut out = String::with_capacity(PAGE.len() + blob.len() + picture.len());
    for part in [
        head,
        &svg::xml(&p.cx.source),
        mid,
        picture,
        before_data,
        &blob,
        tail,
    ] {
        out.push_str(part);
    }
    out
}

/// The data blob of a page written by [`render`] (tests and tools read it back).
pub fn read_blob(page: &str) -> Option<Value> {
    let start = page.find("id=\"msgsim-data\">")? + "id=\"msgsim-data\">".len();
    let end = start + page[start..].find("</script>")?;
    serde_json::from_str(&page[start..end]).ok()
}
