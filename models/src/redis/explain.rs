//! Explanations of the Redis checker's anomalies: each count split over its documented causes
//! (`crate::cause`), with the checker's loss reasons (pub/sub) and first examples.

use crate::anomaly;
use crate::report::ModelReport;
use std::collections::BTreeMap;

/// Each anomaly's count split over its documented causes (`crate::cause`), with examples.
pub fn explain(
    c: &BTreeMap<&'static str, f64>,
    examples: &BTreeMap<&'static str, Vec<String>>,
    report: &mut ModelReport,
) {
    let g = |k: &str| c.get(k).copied().unwrap_or(0.0) as u64;
    let ex = |k: &str| examples.get(k).and_then(|l| l.first()).cloned();
    let by_reason = [
        (
            anomaly::PUBSUB_GAP,
            "pubsub_disconnected",
            "pubsub_lost_disconnected",
        ),
        (
            anomaly::PUBSUB_GAP,
            "pubsub_not_resubscribed",
            "pubsub_lost_not_resubscribed",
        ),
        (
            anomaly::PUBSUB_GAP,
            "pubsub_output_buffer_limit",
            "pubsub_lost_obuf",
        ),
        (
            anomaly::PUBSUB_GAP,
            "pubsub_killed_by_failover",
            "pubsub_lost_failover",
        ),
        (
            anomaly::PUBSUB_GAP,
            "pubsub_not_replicated",
            "pubsub_lost_replication",
        ),
        (
            anomaly::LOST_WRITE,
            "key_absent_in_final_primary",
            "lost_key_absent",
        ),
        (
            anomaly::LOST_WRITE,
            "key_holds_other_write",
            "lost_key_other",
        ),
    ];
    for (a, cause, counter) in by_reason {
        let n = g(counter);
        report.explain(a, cause, n, || {
            ex(counter).unwrap_or_else(|| format!("{n} messages"))
        });
    }
    let whole = [
        (
            anomaly::DUPLICATE,
            "pubsub_duplicate",
            "pubsub_duplicates",
            "publications received twice",
        ),
        (
            anomaly::PUBSUB_REORDER,
            "pubsub_out_of_order",
            "pubsub_reordered",
            "publications out of order",
        ),
        (
            anomaly::WAIT_ACKED_WRITE_LOST,
            "lost_after_wait",
            "wait_acked_writes_lost",
            "writes confirmed by WAIT and absent from the final primary",
        ),
        (
            anomaly::SPLIT_BRAIN_WRITE,
            "accepted_by_old_primary",
            "split_brain_writes",
            "writes accepted by a demoted primary",
        ),
        (
            anomaly::STREAM_ENTRY_LOST,
            "entry_absent_from_final_stream",
            "stream_entries_lost",
            "acknowledged XADDs absent from the final stream",
        ),
        (
            anomaly::TRIMMED_BEFORE_DELIVERY,
            "trimmed_undelivered",
            "stream_trimmed_before_delivery",
            "entries trimmed before delivery",
        ),
        (
            anomaly::STREAM_REDELIVERED,
            "pending_redelivered",
            "stream_redeliveries",
            "redeliveries of pending entries",
        ),
        (
            anomaly::STREAM_ACKED_REDELIVERED,
            "redelivered_after_ack",
            "stream_acked_redelivered",
            "redeliveries after XACK",
        ),
    ];
    for (a, cause, counter, what) in whole {
        let n = g(counter);
        report.explain(a, cause, n, || format!("{n} {what}"));
    }
}
