//! Reading the runs into the table's rows. Every number comes from a run's report (the models'
//! checkers) or from counting the consumer's messages in its trace; the words around the numbers
//! name what was measured.

use super::build::{Consumer, System};
use super::{Cell, Measured, Row, Runs};
use std::collections::BTreeMap;

/// A consumer's count of messages: accepted by the system (acked, published, added; `sent`
/// also counts what the producer tried and never saw accepted), delivered to the consumer
/// (distinct), lost (ones the checker says it should have had and never got), delivered more
/// than once.
#[derive(Clone, Copy, Debug, Default)]
pub struct Figures {
    pub tried: u64,
    pub sent: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicated: u64,
}

/// The model's checkers' counts, read the same way for every consumer kind.
pub fn figures(sys: System, m: &Measured) -> Figures {
    match sys {
        System::Kafka => {
            // acked records; lost = acknowledged but gone from the log, or committed and never
            // processed by the group; duplicated = processed two or more times.
            let sent = m.m("acked");
            let lost = m.m("anomaly:lost_write") + m.m("unprocessed");
            Figures {
                tried: m.m("sent").max(sent),
                sent,
                delivered: sent.saturating_sub(lost),
                lost,
                duplicated: m.m("processed_more_than_once"),
            }
        }
        System::PubSub => Figures {
            tried: m.m("published") + m.m("publish_failed"),
            sent: m.m("published"),
            delivered: m.m("pubsub_received"),
            lost: m.m("pubsub_lost"),
            duplicated: m.m("pubsub_duplicates"),
        },
        System::Streams => {
            // stream_added counts the producer's entries; undelivered = added, never delivered
            // to the group; redeliveries = deliveries after the first.
            let sent = m.m("stream_added");
            let lost = m.m("stream_undelivered");
            Figures {
                tried: sent,
                sent,
                delivered: sent.saturating_sub(lost),
                lost,
                duplicated: m.m("stream_redeliveries"),
            }
        }
    }
}

fn src(m: &Measured) -> (String, u64) {
    (m.name.clone(), m.seed)
}

fn figs(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
}

fn per_system(f: impl Fn(System) -> Cell) -> Vec<Cell> {
    System::ALL.iter().map(|s| f(*s)).collect()
}

fn human_bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// Every row of the table.
pub fn rows(runs: &Runs) -> Vec<Row> {
    let w = &runs.workload;
    let mut rows = Vec::new();

    rows.push(Row {
        key: "delivery_model",
        title: "Delivery model (steady consumer's own messages, counted in the trace)",
        cells: per_system(|sys| {
            let m = runs.get(sys, Consumer::Steady);
            let (out, inn) = (m.consumer_sends, m.consumer_receives);
            let kind = if inn >= out.saturating_mul(10) {
                "push"
            } else {
                "pull"
            };
            Cell {
                text: format!(
                    "{kind}: the consumer sent {out} messages and received {inn} ({:.1} received per message sent)",
                    inn as f64 / out.max(1) as f64
                ),
                sources: vec![src(m)],
                figures: figs(&[("consumer_sent", out), ("consumer_received", inn)]),
            }
        }),
    });

    rows.push(Row {
        key: "per_consumer",
        title: "Delivered / lost / duplicated, per consumer (steady, away, late)",
        cells: per_system(|sys| {
            let mut parts = Vec::new();
            let mut sources = Vec::new();
            let mut figures = BTreeMap::new();
            for who in Consumer::ALL {
                let m = runs.get(sys, who);
                let f = figures_of(sys, m);
                parts.push(format!(
                    "{}: {} of {} delivered{}, {} lost, {} duplicated",
                    who.slug(),
                    f.delivered,
                    f.sent,
                    unaccepted(&f),
                    f.lost,
                    f.duplicated
                ));
                sources.push(src(m));
                for (k, v) in [
                    ("tried", f.tried),
                    ("sent", f.sent),
                    ("delivered", f.delivered),
                    ("lost", f.lost),
                    ("duplicated", f.duplicated),
                ] {
                    figures.insert(format!("{}_{k}", who.slug()), v);
                }
            }
            Cell {
                text: parts.join("; "),
                sources,
                figures,
            }
        }),
    });

    rows.push(Row {
        key: "away_returns",
        title: "A consumer that was away: what it gets when it returns",
        cells: per_system(|sys| {
            let m = runs.get(sys, Consumer::Away);
            let f = figures_of(sys, m);
            let what = if f.lost == 0 {
                "everything: it resumes where it was".to_string()
            } else {
                format!("not the {} messages it should have had", f.lost)
            };
            Cell {
                text: format!(
                    "down {}–{} ms: {what} ({} of {} delivered, {} lost, {} duplicated)",
                    w.away_from_ms, w.away_to_ms, f.delivered, f.sent, f.lost, f.duplicated
                ),
                sources: vec![src(m)],
                figures: figs(&[
                    ("delivered", f.delivered),
                    ("sent", f.sent),
                    ("lost", f.lost),
                    ("duplicated", f.duplicated),
                ]),
            }
        }),
    });

    rows.push(Row {
        key: "read_again",
        title: "Read again from the start (a consumer with nothing, starting late)",
        cells: per_system(|sys| {
            let m = runs.get(sys, Consumer::Late);
            let f = figures_of(sys, m);
            let text = if f.delivered >= f.sent {
                format!(
                    "yes: starting at {} ms it read all {} messages, from the first",
                    w.late_join_ms, f.sent
                )
            } else {
                format!(
                    "no: starting at {} ms it read {} of {}; the {} sent before it came are gone",
                    w.late_join_ms,
                    f.delivered,
                    f.sent,
                    f.sent - f.delivered
                )
            };
            Cell {
                text,
                sources: vec![src(m)],
                figures: figs(&[("delivered", f.delivered), ("sent", f.sent)]),
            }
        }),
    });

    rows.push(Row {
        key: "retention",
        title: "Retention after reading (end of the steady run)",
        cells: per_system(|sys| {
            let m = runs.get(sys, Consumer::Steady);
            let f = figures_of(sys, m);
            let (text, figures) = match sys {
                System::Kafka => {
                    let kept = m.m("final_log_records");
                    (
                        format!(
                            "kept: the log still holds {kept} records after the consumer read {} (deleted by retention, not by reading)",
                            f.delivered
                        ),
                        figs(&[("final_log_records", kept), ("delivered", f.delivered)]),
                    )
                }
                _ => {
                    let keys = m.m("final_primary_keys");
                    let text = if keys == 0 {
                        format!(
                            "nothing kept: {keys} keys in Redis after {} messages were delivered",
                            f.delivered
                        )
                    } else {
                        format!(
                            "kept: {keys} key (the stream) after {} entries were read and acknowledged (XACK clears the pending list, not the stream)",
                            f.delivered
                        )
                    };
                    (
                        text,
                        figs(&[("final_primary_keys", keys), ("delivered", f.delivered)]),
                    )
                }
            };
            Cell {
                text,
                sources: vec![src(m)],
                figures,
            }
        }),
    });

    rows.push(Row {
        key: "no_subscriber",
        title: "No consumer connected (before the late consumer starts)",
        cells: per_system(|sys| {
            let m = runs.get(sys, Consumer::Late);
            let f = figures_of(sys, m);
            let (text, figures) = match sys {
                System::PubSub => {
                    let zero = m.m("publish_zero_receivers");
                    (
                        format!(
                            "dropped: PUBLISH reached 0 subscribers for {zero} messages; none of them was ever delivered"
                        ),
                        figs(&[("publish_zero_receivers", zero), ("sent", f.sent)]),
                    )
                }
                _ => (
                    format!(
                        "stored: the late consumer read {} of {} when it came",
                        f.delivered, f.sent
                    ),
                    figs(&[("delivered", f.delivered), ("sent", f.sent)]),
                ),
            };
            Cell {
                text,
                sources: vec![src(m)],
                figures,
            }
        }),
    });

    rows.push(Row {
        key: "message_size",
        title: "Message size, defaults (one message of each size: accepted, delivered)",
        cells: per_system(|sys| size_cell(runs, sys)),
    });

    rows.push(Row {
        key: "error_handling",
        title: "Error handling (the shipped scenario that shows it)",
        cells: per_system(|sys| error_cell(runs, sys)),
    });
    rows
}

/// What the producer tried and the system never accepted, when there is any.
fn unaccepted(f: &Figures) -> String {
    if f.tried > f.sent {
        format!(" ({} more sent, never acknowledged)", f.tried - f.sent)
    } else {
        String::new()
    }
}

fn figures_of(sys: System, m: &Measured) -> Figures {
    figures(sys, m)
}

/// A size is accepted when the system takes the message (acked, published to a subscriber,
/// added), delivered when the consumer gets it.
fn size_outcome(sys: System, m: &Measured) -> (bool, bool) {
    match sys {
        System::Kafka => (m.m("acked") >= 1, m.m("processed") >= 1),
        System::PubSub => (
            m.m("publish_receivers") + m.m("publish_zero_receivers") >= 1,
            m.m("pubsub_received") >= 1,
        ),
        System::Streams => (
            m.m("stream_added") >= 1,
            m.m("stream_added") >= 1 && m.m("stream_undelivered") == 0,
        ),
    }
}

/// Error counters that say why a size failed.
const SIZE_ERRORS: [&str; 6] = [
    "failed",
    "protocol_errors",
    "client_output_buffer_limit_disconnections",
    "client_disconnects",
    "pubsub_lost",
    "writes_err",
];

fn size_cell(runs: &Runs, sys: System) -> Cell {
    let probes: Vec<&(System, u64, Measured)> =
        runs.sizes.iter().filter(|(s, _, _)| *s == sys).collect();
    let mut accepted_max = 0;
    let mut delivered_max = 0;
    let mut first_refused: Option<(u64, String)> = None;
    let mut first_undelivered: Option<(u64, String)> = None;
    let why = |m: &Measured| {
        let reasons: Vec<String> = SIZE_ERRORS
            .iter()
            .filter(|e| m.m(e) > 0)
            .map(|e| format!("{e} {}", m.m(e)))
            .collect();
        if reasons.is_empty() {
            "no error counted".to_string()
        } else {
            reasons.join(", ")
        }
    };
    for (_, bytes, m) in &probes {
        let (acc, del) = size_outcome(sys, m);
        if acc && first_refused.is_none() {
            accepted_max = *bytes;
        } else if first_refused.is_none() {
            first_refused = Some((*bytes, why(m)));
        }
        if del && first_undelivered.is_none() {
            delivered_max = *bytes;
        } else if first_undelivered.is_none() {
            first_undelivered = Some((*bytes, why(m)));
        }
    }
    let mut text = format!(
        "largest accepted {}, largest delivered {}",
        human_bytes(accepted_max),
        human_bytes(delivered_max)
    );
    if let Some((b, r)) = &first_refused {
        text.push_str(&format!("; {} refused ({r})", human_bytes(*b)));
    }
    if let Some((b, r)) = &first_undelivered
        && first_refused.as_ref().is_none_or(|(x, _)| x != b)
    {
        text.push_str(&format!(
            "; {} accepted, not delivered ({r})",
            human_bytes(*b)
        ));
    }
    if let Some((_, b, why)) = runs.size_unmodelled.iter().find(|(s, _, _)| *s == sys) {
        let why = why.rsplit(": ").next().unwrap_or(why);
        text.push_str(&format!(
            "; {} and above not modelled ({why})",
            human_bytes(*b)
        ));
    }
    let mut sources: Vec<(String, u64)> = Vec::new();
    for (_, bytes, m) in &probes {
        if [accepted_max, delivered_max].contains(bytes)
            || first_refused.as_ref().is_some_and(|(b, _)| b == bytes)
            || first_undelivered.as_ref().is_some_and(|(b, _)| b == bytes)
        {
            sources.push(src(m));
        }
    }
    Cell {
        text,
        sources,
        figures: figs(&[
            ("largest_accepted_bytes", accepted_max),
            ("largest_delivered_bytes", delivered_max),
        ]),
    }
}

fn error_cell(runs: &Runs, sys: System) -> Cell {
    let (_, path, m) = runs
        .errors
        .iter()
        .find(|(s, _, _)| *s == sys)
        .expect("every system has an error probe");
    let keys: &[&str] = match sys {
        System::Kafka => &[
            "poison_records",
            "dlq_records",
            "delivered_records",
            "task_failed",
        ],
        System::PubSub => &[
            "client_output_buffer_limit_disconnections",
            "pubsub_lost_obuf",
            "pubsub_received",
        ],
        System::Streams => &["dead_lettered", "stream_redeliveries", "stream_undelivered"],
    };
    let v = |k: &str| m.m(k);
    let text = match sys {
        System::Kafka => format!(
            "Connect dead-letter queue: {} of {} bad records went to the DLQ topic, {} good records delivered, task failures {}",
            v("dlq_records"),
            v("poison_records"),
            v("delivered_records"),
            v("task_failed")
        ),
        System::PubSub => format!(
            "no retry, no DLQ: a subscriber that does not read is disconnected at the output-buffer limit ({} disconnection, {} messages lost with it)",
            v("client_output_buffer_limit_disconnections"),
            v("pubsub_lost_obuf")
        ),
        System::Streams => format!(
            "unacknowledged entries are claimed again (XAUTOCLAIM): {} redeliveries, {} entries dead-lettered after 3 deliveries, {} undelivered",
            v("stream_redeliveries"),
            v("dead_lettered"),
            v("stream_undelivered")
        ),
    };
    Cell {
        text,
        sources: vec![(path.clone(), m.seed)],
        figures: keys.iter().map(|k| ((*k).to_string(), v(k))).collect(),
    }
}
