//! The Redis checker over small hand-written histories: what each subscriber should have
//! received (by publisher, channel, server and the moment of each PUBLISH batch), what it did
//! receive, and the acknowledged writes and stream entries against a final dataset. Each test
//! compares every count it names, so a counter counting the wrong thing fails. Written against
//! the missed mutants of the checkers' first mutant run
//! (docs/mutants-checkers-missed-2026-12-07.txt).

use super::checker::RedisChecker;
use super::cmd::Cmd;
use super::dataset::Dataset;
use super::msg::{KillReason, RedisEvent};
use super::stream_id::StreamId;
use crate::anomaly;
use crate::report::ModelReport;
use msgsim_sim::{NodeId, SimTime};

const PRIMARY: NodeId = NodeId(0);
const REPLICA: NodeId = NodeId(1);

/// A checker fed with events at given times (ms); the primary is node 0.
struct History {
    c: RedisChecker,
}

impl History {
    fn new() -> History {
        let mut c = RedisChecker::default();
        c.initial_primary = Some(PRIMARY);
        History { c }
    }
    fn at_ns(&mut self, ns: u64, e: RedisEvent) {
        let t = SimTime::ZERO + msgsim_sim::SimDuration::from_nanos(ns);
        self.c.observe(t, PRIMARY, &e);
    }
    fn at(&mut self, ms: u64, e: RedisEvent) {
        self.at_ns(ms * 1_000_000, e);
    }
    /// Client `client` connects to `server` (connection `epoch`) and subscribes to `names`.
    fn subscriber(&mut self, ms: u64, client: u32, server: NodeId, epoch: u64, names: &[&str]) {
        self.at(
            ms,
            RedisEvent::Connected {
                client,
                server,
                epoch,
            },
        );
        for name in names {
            let e = RedisEvent::Subscribed {
                client,
                server,
                name: (*name).into(),
                pattern: false,
                epoch,
            };
            self.at(ms, e);
        }
    }
    fn publish_ns(&mut self, ns: u64, publisher: u32, channel: &str, seqs: (u64, u64), at: NodeId) {
        let e = RedisEvent::Published {
            publisher,
            channel: channel.into(),
            first_seq: seqs.0,
            runs: vec![((seqs.1 - seqs.0) as u32, 1)],
            server: at,
            explicit: false,
        };
        self.at_ns(ns, e);
    }
    fn publish(&mut self, ms: u64, publisher: u32, channel: &str, seqs: (u64, u64), at: NodeId) {
        self.publish_ns(ms * 1_000_000, publisher, channel, seqs, at);
    }
    fn received(&mut self, client: u32, sub: &str, publisher: u32, seqs: (u64, u64)) {
        self.c
            .received_range(client, sub, publisher, seqs.0, seqs.1);
    }
    fn report(mut self, data: Option<&Dataset>) -> ModelReport {
        self.c.finish(data);
        let mut r = ModelReport::default();
        self.c.report(&mut r);
        r
    }
}

fn obs(r: &ModelReport, name: &str) -> f64 {
    *r.observations
        .get(name)
        .unwrap_or_else(|| panic!("no observation {name}"))
}

fn assert_obs(r: &ModelReport, expected: &[(&str, f64)]) {
    let got: Vec<(&str, f64)> = expected.iter().map(|&(k, _)| (k, obs(r, k))).collect();
    assert_eq!(got, expected);
}

/// Two publishers on one channel, a publisher on a channel nobody subscribed, a gap in one
/// publisher's sequence numbers: each batch is expected by the subscribers of its own channel,
/// under its own publisher, for its own numbers. Everything expected arrived.
#[test]
fn batches_are_expected_per_publisher_channel_and_sequence_range() {
    let mut h = History::new();
    h.subscriber(0, 0, PRIMARY, 1, &["a"]);
    h.subscriber(0, 1, PRIMARY, 1, &["a"]);
    h.publish(100, 1, "a", (0, 10), PRIMARY);
    // Publisher 2 continues where publisher 1 stopped: its own range, not publisher 1's.
    h.publish(101, 2, "a", (10, 20), PRIMARY);
    // Publisher 1 on channel b (no subscriber), then on a again after a gap (20..30 unsent).
    h.publish(102, 1, "b", (10, 15), PRIMARY);
    h.publish(103, 1, "a", (30, 40), PRIMARY);
    h.publish(104, 1, "a", (40, 50), PRIMARY); // continues the run
    for client in [0, 1] {
        h.received(client, "a", 1, (0, 10));
        h.received(client, "a", 2, (10, 20));
        h.received(client, "a", 1, (30, 50));
    }
    let r = h.report(None);
    assert_obs(
        &r,
        &[
            ("published", 45.0),
            ("pubsub_expected", 80.0),
            ("pubsub_received", 80.0),
            ("pubsub_lost", 0.0),
            ("pubsub_delivered", 80.0),
        ],
    );
    assert_eq!(r.anomalies[anomaly::PUBSUB_REORDER], 0);
    assert_eq!(r.anomalies[anomaly::DUPLICATE], 0);
}

/// A PUBLISH on the primary reaches the subscribers of every node (it is replicated); one on a
/// replica reaches that replica's subscribers only (replicas do not forward writes upwards).
#[test]
fn a_replicas_publish_reaches_its_own_subscribers_and_the_primarys_everyones() {
    let mut h = History::new();
    h.subscriber(0, 0, PRIMARY, 1, &["a"]);
    h.subscriber(0, 1, REPLICA, 1, &["a"]);
    h.publish(100, 1, "a", (0, 10), PRIMARY);
    h.publish(101, 1, "a", (10, 15), REPLICA);
    h.received(0, "a", 1, (0, 10));
    h.received(1, "a", 1, (0, 15));
    let r = h.report(None);
    assert_obs(
        &r,
        &[
            ("pubsub_expected", 25.0),
            ("pubsub_lost", 0.0),
            ("pubsub_delivered", 25.0),
        ],
    );
}

/// A subscription confirmed less than a round trip (10 ms) before a batch may postdate it: a
/// loss then is "not yet subscribed"; from exactly 10 ms on, the subscription counts (a loss
/// with no disconnect is a replication loss). The continuing batch at exactly 10 ms is judged
/// anew.
#[test]
fn the_race_window_after_a_subscription_ends_at_exactly_one_round_trip() {
    let mut h = History::new();
    h.subscriber(1, 0, PRIMARY, 1, &["a"]);
    h.publish(2, 1, "a", (0, 10), PRIMARY);
    h.publish(11, 1, "a", (10, 20), PRIMARY);
    let r = h.report(None);
    assert_obs(
        &r,
        &[
            ("pubsub_lost_not_resubscribed", 10.0),
            ("pubsub_lost_replication", 10.0),
            ("pubsub_lost", 20.0),
            ("pubsub_delivered", 0.0),
        ],
    );
    // One example per loss reason, naming the subscriber, the range and the publisher.
    let gap = &r.explanations[anomaly::PUBSUB_GAP];
    let replication = gap
        .iter()
        .find(|e| e.cause == "pubsub_not_replicated")
        .expect("cause");
    assert_eq!(
        replication.examples,
        ["subscriber client #0 missed 10 of messages 10..20 of publisher #1"]
    );
}

/// Client 0, subscribed to `a` on the primary since 0 ms, killed for `reason` and
/// disconnected at 50 ms.
fn killed_at_50ms(h: &mut History, reason: KillReason) {
    let client_node = NodeId(7);
    h.c.client_nodes.insert(client_node, 0);
    h.subscriber(0, 0, PRIMARY, 1, &["a"]);
    let kill = RedisEvent::ServerKilled {
        server: PRIMARY,
        client: client_node,
        reason,
    };
    h.at(50, kill);
    let gone = RedisEvent::Disconnected {
        client: 0,
        epoch: 1,
    };
    h.at(50, gone);
}

/// Disconnected less than a round trip before a batch: the PUBLISH may have run while it was
/// connected, so the loss goes with how the connection ended (here: killed for its output
/// buffer); from 10 ms after the disconnect on, it is a plain disconnection loss. A client that
/// never connected (epoch 0) is disconnected whatever the time.
#[test]
fn a_batch_just_after_a_disconnect_is_lost_with_the_connections_end() {
    let mut h = History::new();
    // A client subscribed (epoch 0) without a connection event.
    let never = RedisEvent::Subscribed {
        client: 2,
        server: PRIMARY,
        name: "b".into(),
        pattern: false,
        epoch: 0,
    };
    h.at(0, never);
    h.publish(5, 3, "b", (0, 4), PRIMARY);
    killed_at_50ms(&mut h, KillReason::OutputBuffer);
    h.publish(55, 1, "a", (0, 10), PRIMARY);
    h.publish(60, 1, "a", (10, 13), PRIMARY);
    h.publish(61, 1, "a", (13, 17), PRIMARY);
    let r = h.report(None);
    assert_obs(
        &r,
        &[
            ("pubsub_lost_obuf", 10.0),
            ("pubsub_lost_disconnected", 11.0),
            ("pubsub_lost_replication", 0.0),
            ("pubsub_lost", 21.0),
        ],
    );
}

/// The race window moves the run's horizon: a batch after it is judged anew even when it
/// continues the run (the subscriber disconnected at 50 ms; 55 ms is inside, 61 ms outside).
#[test]
fn a_run_continued_past_a_disconnects_race_window_is_judged_anew() {
    let mut h = History::new();
    killed_at_50ms(&mut h, KillReason::Sentinel);
    h.publish(55, 1, "a", (0, 10), PRIMARY);
    h.publish(61, 1, "a", (10, 15), PRIMARY);
    let r = h.report(None);
    assert_obs(
        &r,
        &[
            ("pubsub_lost_failover", 10.0),
            ("pubsub_lost_disconnected", 5.0),
        ],
    );
}

/// Batches lost for the same reason one after the other form one range, also when a run ended
/// between them (here: another client connected): the example names the whole range.
#[test]
fn contiguous_losses_with_one_reason_are_one_range() {
    let mut h = History::new();
    h.subscriber(0, 0, PRIMARY, 1, &["a"]);
    h.publish(100, 1, "a", (0, 10), PRIMARY);
    let other = RedisEvent::Connected {
        client: 5,
        server: PRIMARY,
        epoch: 1,
    };
    h.at(101, other);
    h.publish(102, 1, "a", (10, 20), PRIMARY);
    let r = h.report(None);
    assert_eq!(obs(&r, "pubsub_lost_replication"), 20.0);
    let gap = &r.explanations[anomaly::PUBSUB_GAP];
    assert_eq!(
        gap[0].examples,
        ["subscriber client #0 missed 20 of messages 0..20 of publisher #1"]
    );
}

/// What arrived, against what was expected: a gap between received ranges is lost, an
/// overlap is a duplicate, a range below the highest received is reordered; a subscriber's
/// first range need not start at 0.
#[test]
fn received_ranges_are_merged_and_gaps_overlaps_and_reorders_counted() {
    let mut h = History::new();
    h.subscriber(0, 0, PRIMARY, 1, &["a"]);
    h.publish(100, 1, "a", (5, 40), PRIMARY);
    h.received(0, "a", 1, (5, 10));
    h.received(0, "a", 1, (12, 14)); // 10..12 missing
    h.received(0, "a", 1, (20, 30)); // 14..20 missing for now
    h.received(0, "a", 1, (16, 20)); // below 30: reordered (4)
    h.received(0, "a", 1, (22, 25)); // inside 20..30: duplicates (3)
    h.received(0, "a", 1, (25, 33)); // 25..30 duplicates (5), 30..33 new
    h.received(0, "a", 1, (36, 40)); // 33..36 missing
    let r = h.report(None);
    assert_obs(
        &r,
        &[
            ("pubsub_expected", 35.0),
            ("pubsub_received", 36.0),
            ("pubsub_duplicates", 8.0),
            ("pubsub_reordered", 4.0),
            ("pubsub_lost", 2.0 + 2.0 + 3.0),
        ],
    );
}

/// A range below everything received, after earlier ranges were merged out of order, is
/// compared against the merged ranges (not the last piece alone).
#[test]
fn duplicates_are_found_against_merged_ranges() {
    let mut h = History::new();
    h.received(0, "a", 1, (0, 10));
    h.received(0, "a", 1, (3, 5)); // duplicates: 2
    h.received(0, "a", 1, (5, 8)); // duplicates: 3 (inside 0..10)
    h.received(0, "a", 1, (0, 2));
    h.received(0, "a", 1, (6, 8));
    let r = h.report(None);
    assert_eq!(obs(&r, "pubsub_duplicates"), 2.0 + 3.0 + 2.0 + 2.0);
    assert_eq!(
        obs(&r, "pubsub_reordered"),
        0.0,
        "a duplicate is not also reordered"
    );
    // Out of order but not duplicated: 2..4 after 0..2 and 6..10.
    let mut h = History::new();
    h.received(0, "a", 1, (0, 2));
    h.received(0, "a", 1, (6, 10));
    h.received(0, "a", 1, (2, 6));
    let r = h.report(None);
    assert_obs(&r, &[("pubsub_duplicates", 0.0), ("pubsub_reordered", 4.0)]);
}

/// Acknowledged SETs lost by where the key ended: absent, or holding another write; a lost
/// write that WAIT confirmed on at least one replica (here 2, and 1) counts as WAIT-acknowledged,
/// one that WAIT answered 0 for does not.
#[test]
fn lost_sets_are_split_by_the_final_key_and_by_what_wait_answered() {
    let mut c = RedisChecker::default();
    let writes = [("k1", 1, Some(0)), ("k2", 2, Some(2)), ("k3", 3, Some(1))];
    for (i, (key, value, waited)) in writes.into_iter().enumerate() {
        let e = RedisEvent::WriteOk {
            client: i as u32,
            key: key.into(),
            value,
            server: PRIMARY,
            waited,
        };
        c.observe(SimTime::from_millis(i as u64), PRIMARY, &e);
    }
    let mut data = Dataset::default();
    // k3 holds a value no acknowledged SET wrote; k1 and k2 are absent.
    let set = Cmd::Set {
        key: "k3".into(),
        value: 9,
        bytes: None,
    };
    data.execute(&set, 0);
    c.finish(Some(&data));
    let mut r = ModelReport::default();
    c.report(&mut r);
    assert_obs(
        &r,
        &[("acked_writes_lost", 3.0), ("wait_acked_writes_lost", 2.0)],
    );
    let lost = &r.explanations[anomaly::LOST_WRITE];
    let count = |cause: &str| lost.iter().find(|e| e.cause == cause).map(|e| e.count);
    assert_eq!(count("key_holds_other_write"), Some(1));
    let absent = lost
        .iter()
        .find(|e| e.cause == "key_absent_in_final_primary");
    let absent = absent.expect("cause");
    assert_eq!(absent.count, 2);
    assert_eq!(
        absent.examples,
        ["key k1: write #1 of client #0 (WAIT answered 0), final primary holds no such key"]
    );
}

/// Stream entries against the final stream: present (same id and tag), trimmed away before
/// any delivery (below the stream's trim point), lost (absent and not trimmed — the entry at
/// the trim point itself was not trimmed), and still there but never delivered.
#[test]
fn stream_entries_are_present_trimmed_lost_or_undelivered() {
    let mut data = Dataset::default();
    for n in 1..=6 {
        let add = Cmd::XAdd {
            key: "s".into(),
            id: Some(StreamId::new(n, 0)),
            maxlen: None,
            minid: None,
            approx: false,
            limit: None,
            tag: n,
            bytes: 10,
        };
        data.execute(&add, n);
    }
    let trim = Cmd::XTrim {
        key: "s".into(),
        maxlen: Some(3),
        minid: None,
        approx: false,
        limit: None,
    };
    data.execute(&trim, 7);
    let stream = data.stream("s").expect("stream");
    assert_eq!(stream.trimmed_below, StreamId::new(4, 0));
    let mut c = RedisChecker::default();
    let t = SimTime::from_millis(1);
    // Entries as the clients saw them: tags 1, 2, 3 (trimmed; 2 had been delivered), tag 4,
    // tag 9 at 4-0 (the final stream holds tag 4 there: 9 is lost), tags 5 and 6.
    let added = [(1, 1), (2, 2), (3, 3), (4, 4), (4, 9), (5, 5), (6, 6)];
    for (ms, tag) in added {
        let e = RedisEvent::StreamAdded {
            client: 0,
            key: "s".into(),
            id: format!("{ms}-0"),
            tag,
            server: PRIMARY,
        };
        c.observe(t, PRIMARY, &e);
    }
    for tag in [2, 4] {
        let e = RedisEvent::StreamDelivered {
            client: 1,
            key: "s".into(),
            tag,
            count: 1,
        };
        c.observe(t, PRIMARY, &e);
    }
    c.finish(Some(&data));
    let mut r = ModelReport::default();
    c.report(&mut r);
    assert_obs(
        &r,
        &[
            ("stream_added", 7.0),
            ("stream_delivered", 2.0),
            ("stream_trimmed_before_delivery", 2.0),
            ("stream_entries_lost", 1.0),
            ("stream_undelivered", 2.0),
        ],
    );
}

/// Every metric the Redis model declares is reported (0 when nothing happened), except the
/// times of first and last events, which exist only once such an event happened.
#[test]
fn an_empty_run_reports_every_count_as_zero_and_no_first_or_last_time() {
    let r = History::new().report(None);
    for name in super::METRICS {
        let timed = name.starts_with("first_") || name.starts_with("last_");
        assert_eq!(
            r.observations.contains_key(*name),
            !timed,
            "{name}: {:?}",
            r.observations.get(*name)
        );
    }
    assert!(super::METRICS.iter().any(|n| n.starts_with("first_")));
    assert!(super::METRICS.iter().any(|n| n.starts_with("last_")));
}
