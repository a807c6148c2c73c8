//! The comparison table as text (terminal), Markdown or JSON.

use super::build::System;
use super::{Row, Runs};
use serde_json::json;

fn header(runs: &Runs) -> String {
    let w = &runs.workload;
    format!(
        "workload `{}`: seed {}, {} ms, one producer at {} msg/s of {} B from 200 ms; consumers: \
         steady, away ({}–{} ms), late (from {} ms); faults: {}",
        w.name,
        w.seed,
        w.duration_ms,
        w.rate_per_s,
        w.message_bytes,
        w.away_from_ms,
        w.away_to_ms,
        w.late_join_ms,
        runs.faults_name
    )
}

fn sources(c: &super::Cell) -> String {
    c.sources
        .iter()
        .map(|(s, seed)| format!("{s} seed {seed}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const REPLAY: &str = "Every cell names the scenarios and seeds it was measured on: \
`msgsim compare --emit DIR` writes the generated ones, `msgsim run DIR/NAME.ron --seed N` \
replays one (paths under scenarios/ are shipped).";

pub fn text(runs: &Runs, rows: &[Row]) -> String {
    let mut out = format!("msgsim compare — {}\n", header(runs));
    for (i, row) in rows.iter().enumerate() {
        out.push_str(&format!("\n{}. {}\n", i + 1, row.title));
        for (sys, cell) in System::ALL.iter().zip(&row.cells) {
            out.push_str(&format!("   {:<14} {}\n", sys.title(), cell.text));
            out.push_str(&format!("   {:<14} [{}]\n", "", sources(cell)));
        }
    }
    out.push_str(&format!("\n{REPLAY}\n"));
    out
}

/// A Markdown table cell: no pipes or newlines.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(runs: &Runs, rows: &[Row]) -> String {
    let mut out = format!("<!-- msgsim compare: {} -->\n\n", md(&header(runs)));
    out.push_str("| | Kafka | Redis Pub/Sub | Redis Streams |\n|---|---|---|---|\n");
    for row in rows {
        out.push_str(&format!("| **{}** |", md(row.title)));
        for cell in &row.cells {
            out.push_str(&format!(
                " {}<br>`{}` |",
                md(&cell.text),
                md(&sources(cell))
            ));
        }
        out.push('\n');
    }
    out.push_str(&format!("\n{REPLAY}\n"));
    out
}

pub fn json(runs: &Runs, rows: &[Row]) -> String {
    let w = &runs.workload;
    let rows: Vec<_> = rows
        .iter()
        .map(|row| {
            let cells: Vec<_> = System::ALL
                .iter()
                .zip(&row.cells)
                .map(|(sys, c)| {
                    json!({
                        "system": sys.slug(),
                        "text": c.text,
                        "sources": c.sources.iter().map(|(s, seed)| json!({"scenario": s, "seed": seed})).collect::<Vec<_>>(),
                        "figures": c.figures,
                    })
                })
                .collect();
            json!({"row": row.key, "title": row.title, "cells": cells})
        })
        .collect();
    json!({
        "workload": serde_json::to_value(w).expect("workload serialises"),
        "faults": runs.faults_name,
        "rows": rows,
    })
    .to_string()
}
