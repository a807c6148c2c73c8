//! The picture formats' common input: the window, the shown events, the fault windows, role
//! changes and anomaly marks of a trace, computed once ([`build`]) and drawn by [`render`].

use super::scene::{self, Picture, PictureOptions};
use super::{Format, TraceLine};
use super::{dot, html, svg};
use std::collections::BTreeMap;

/// Build the picture of `all` for `cx`.
pub fn build<'a>(
    all: &'a [TraceLine],
    cx: &'a scene::Context,
    options: &PictureOptions,
) -> Picture<'a> {
    let faults = scene::fault_windows(all, cx);
    let roles = scene::role_changes(all, cx);
    let marked = scene::marked_messages(all, cx);
    let replica = scene::replica_conns(all);
    let visible: Vec<&TraceLine> = all
        .iter()
        .filter(|l| options.filter.shows(l, &replica))
        .collect();
    let focus = scene::focus(all, &faults, &marked);
    let window = scene::choose_window(
        &visible,
        options.from_ms,
        options.to_ms,
        focus,
        options.budget.max(1),
    );
    let in_window = |l: &&TraceLine| l.t_ns >= window.from_ns && l.t_ns < window.to_ns;
    let shown: Vec<&TraceLine> = visible.iter().copied().filter(in_window).collect();
    let mut hidden: BTreeMap<&str, usize> = BTreeMap::new();
    for l in all.iter().filter(in_window) {
        if !options.filter.shows(l, &replica) {
            *hidden.entry(scene::category(l, &replica)).or_default() += 1;
        }
    }
    let before = visible.iter().filter(|l| l.t_ns < window.from_ns).count();
    let after = visible.iter().filter(|l| l.t_ns >= window.to_ns).count();
    let mut cut_text = format!(
        "{} of {} trace events drawn; cut: {before} before the window, {after} after",
        shown.len(),
        all.len()
    );
    if !hidden.is_empty() {
        let h: Vec<String> = hidden.iter().map(|(k, n)| format!("{k} {n}")).collect();
        cut_text.push_str(&format!(
            "; hidden in the window: {} (--kinds to show)",
            h.join(", ")
        ));
    }
    let mut delivered_later = BTreeMap::new();
    for l in all {
        if (l.kind == "deliver" || l.kind.starts_with("drop:"))
            && let Some(m) = l.msg
        {
            delivered_later.entry(m).or_insert(l.t_ns);
        }
    }
    Picture {
        all,
        shown,
        cx,
        window,
        faults,
        roles,
        marked,
        delivered_later,
        filter: options.filter.clone(),
        options: options.clone(),
        cut_text,
    }
}

/// Render a picture format (`svg`, `dot`, `html`).
pub fn render(p: &Picture<'_>, format: Format) -> String {
    match format {
        Format::Svg => svg::render(p),
        Format::Dot => dot::render(p),
        Format::Html => html::render(p),
        other => crate::export::export(
            &p.shown.iter().map(|l| (*l).clone()).collect::<Vec<_>>(),
            other,
            &p.cx.names,
        ),
    }
}
