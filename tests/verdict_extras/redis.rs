//! Wider Redis cases for the verdict property: on top of a generated [`RedisCase`], sometimes a
//! Streams consumer-group workload (a producer `sprod` XADDing to `s`, optionally with MAXLEN;
//! a group reader `scons` in group `g` that may leave every 10th entry unacknowledged, claim
//! idle entries with XAUTOCLAIM and dead-letter them), with up to two faults of its own on the
//! reader. Its rule (streams.md "Persistence, replication and message safety"; checker.rs
//! `finish`): every entry added is delivered at least once unless it was trimmed before
//! delivery or is gone from the final primary; an entry leaves the dataset, and an XACK is
//! forgotten, only through a failover or a restart that lost data.

use crate::generated_faults::{Fault, fault, faults_ron};
use crate::{RedisCase, anomaly, obs};
use msgsim::runner::RunOutcome;
use proptest::prelude::*;

#[derive(Clone, Debug)]
pub struct StreamCase {
    /// XADD … MAXLEN 100 (exact trimming, ignoring the group).
    pub maxlen: bool,
    /// Every 10th entry is never acknowledged; claimed after 300 ms idle and dead-lettered at
    /// its third delivery.
    pub poison: bool,
    /// Faults on the reader `scons`.
    pub faults: Vec<Fault>,
}

#[derive(Clone, Debug)]
pub struct WideRedisCase {
    pub base: RedisCase,
    pub streams: Option<StreamCase>,
}

fn stream_case() -> impl Strategy<Value = StreamCase> {
    (
        prop::bool::weighted(0.3),
        any::<bool>(),
        proptest::collection::vec(fault(1, (1_000, 15_000)), 0..=2),
    )
        .prop_map(|(maxlen, poison, faults)| StreamCase {
            maxlen,
            poison,
            faults,
        })
}

/// The base case, with a Streams workload about half of the time.
pub fn wide_redis_case(max_faults: usize) -> impl Strategy<Value = WideRedisCase> {
    (
        crate::redis_case(max_faults),
        prop::option::weighted(0.5, stream_case()),
    )
        .prop_map(|(base, streams)| WideRedisCase { base, streams })
}

/// `text` with the first `from` replaced by `to`; panics if the base stopped writing `from`.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "base RON lacks `{from}`:\n{text}");
    text.replacen(from, to, 1)
}

impl WideRedisCase {
    pub fn ron(&self) -> String {
        let base = self.base.ron();
        let Some(s) = &self.streams else {
            return base;
        };
        let maxlen = if s.maxlen { ", maxlen: Some(100)" } else { "" };
        let poison = if s.poison {
            ", fail_every: 10, claim_idle_ms: 300, dead_letter_after: 3"
        } else {
            ""
        };
        let clients = format!(
            r#"
            (name: "setup"),
            (name: "sprod", stream_produce: (key: "s", rate_per_s: 50, start_ms: 200{maxlen}), reconnect_backoff_ms: 200),
            (name: "scons", stream_consume: (key: "s", group: "g", consumer: "c1", poll_ms: 50, count: 100{poison}), reconnect_backoff_ms: 200),"#
        );
        let script = r#"
        script: [
            (at_ms: 50, client: "setup", cmd: XAdd(key: "s", id: Some("0-1")), expect: "0-1"),
            (at_ms: 60, client: "setup", cmd: XGroupCreate(key: "s", group: "g", id: "0"), expect: "OK"),
        ],"#;
        let faults = faults_ron(&s.faults, &["scons"], crate::REDIS_DURATION_MS);
        let text = replace_once(&base, "clients: [", &format!("clients: [{clients}"));
        let text = replace_once(
            &text,
            "\n        ],\n    ),",
            &format!("\n        ],{script}\n    ),"),
        );
        replace_once(&text, "faults: [", &format!("faults: [{faults}"))
    }

    /// Anomalies the base's fault-free rule may see because of the Streams workload: by design
    /// (claims, MAXLEN), or from the reader's own faults (a reconnecting reader re-reads its
    /// pending entries; a reader away while MAXLEN trims).
    fn base_healthy_allowed(&self) -> Vec<&'static str> {
        let mut allowed = Vec::new();
        if let Some(s) = &self.streams {
            if s.poison || !s.faults.is_empty() {
                allowed.push("stream_redelivered");
            }
            if s.maxlen {
                allowed.push("trimmed_before_delivery");
            }
        }
        allowed
    }
}

/// The base rules (their fault-free rule widened by the Streams workload's own anomalies) and
/// the Streams rule.
pub fn wide_verdicts_consistent(case: &WideRedisCase, o: &RunOutcome) -> Result<(), String> {
    let base = crate::redis_verdicts_consistent(&case.base, o);
    super::base_verdict_or_allowed(base, o, &case.base_healthy_allowed())?;
    match &case.streams {
        Some(s) => {
            let healthy = case.base.faults.is_empty() && s.faults.is_empty();
            streams_consistent(case, s, o, healthy)
        }
        None => Ok(()),
    }
}

fn streams_consistent(
    case: &WideRedisCase,
    s: &StreamCase,
    o: &RunOutcome,
    healthy: bool,
) -> Result<(), String> {
    if obs(o, "stream_added") == 0.0 {
        return Err("no stream entry was added".into());
    }
    let failover = obs(o, "failovers") > 0.0;
    let data_loss = failover || case.base.data_losing_restart();
    let lost = obs(o, "stream_entries_lost");
    if lost > 0.0 && !data_loss {
        return Err(format!(
            "stream_entries_lost {lost} without a failover or a data-losing restart"
        ));
    }
    let acked_again = anomaly(o, "stream_acked_redelivered");
    if acked_again > 0 && !data_loss {
        return Err(format!(
            "stream_acked_redelivered {acked_again} without a failover or a data-losing restart"
        ));
    }
    let trimmed = obs(o, "stream_trimmed_before_delivery");
    if trimmed > 0.0 && !s.maxlen {
        return Err(format!(
            "stream_trimmed_before_delivery {trimmed} without MAXLEN"
        ));
    }
    // At least once: an entry still in the final primary's stream was delivered. (A failover
    // or a data-losing restart may also lose the group itself — NOGROUP — so that the reader
    // never comes back; the rule holds without them.)
    let undelivered = obs(o, "stream_undelivered");
    if !data_loss && undelivered > lost + trimmed {
        return Err(format!(
            "stream_undelivered {undelivered} > lost {lost} + trimmed {trimmed}: an entry in the stream was never delivered"
        ));
    }
    if healthy && (lost > 0.0 || undelivered > trimmed) {
        return Err(format!(
            "fault-free Streams run: {lost} lost, {undelivered} undelivered, {trimmed} trimmed"
        ));
    }
    Ok(())
}
