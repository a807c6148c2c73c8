//! The checker's anomalies fed with histories an honest model does not produce in the shipped
//! scenarios: each must fire (reordering, duplicates, acknowledged-then-redelivered stream
//! entries, a replica ahead of its primary).

use super::checker::RedisChecker;
use super::msg::{KillReason, RedisEvent};
use crate::anomaly;
use crate::report::ModelReport;
use msgsim_sim::{NodeId, SimTime};

fn report(c: &mut RedisChecker) -> ModelReport {
    c.finish(None);
    let mut r = ModelReport::default();
    c.report(&mut r);
    r
}

#[test]
fn messages_received_out_of_order_are_pubsub_reorder() {
    let mut c = RedisChecker::default();
    // Publisher 1's messages 5..10 arrive before 0..5 on the same subscription.
    c.received_range(0, "ch", 1, 5, 10);
    c.received_range(0, "ch", 1, 0, 5);
    let r = report(&mut c);
    assert_eq!(r.anomalies[anomaly::PUBSUB_REORDER], 5);
    assert_eq!(r.anomalies[anomaly::DUPLICATE], 0);
    assert_eq!(r.observations["pubsub_received"], 10.0);
}

#[test]
fn in_order_ranges_are_neither_reordered_nor_duplicated() {
    let mut c = RedisChecker::default();
    c.received_range(0, "ch", 1, 0, 5);
    c.received_range(0, "ch", 1, 5, 10);
    c.received_range(0, "ch", 2, 0, 3);
    let r = report(&mut c);
    assert_eq!(r.anomalies[anomaly::PUBSUB_REORDER], 0);
    assert_eq!(r.anomalies[anomaly::DUPLICATE], 0);
}

/// Consecutive batches extend one range: memory grows with the gaps, not with the batches.
#[test]
fn consecutive_ranges_are_held_as_one() {
    let mut c = RedisChecker::default();
    for k in 0..100 {
        c.received_range(0, "ch", 1, 10 * k, 10 * k + 10);
    }
    c.received_range(0, "ch", 1, 2_000, 2_010);
    assert_eq!(c.ranges_held(), 2, "0..1000 and 2000..2010");
}

#[test]
fn overlapping_ranges_are_duplicates() {
    let mut c = RedisChecker::default();
    c.received_range(0, "ch", 1, 0, 5);
    c.received_range(0, "ch", 1, 3, 8);
    let r = report(&mut c);
    assert_eq!(r.anomalies[anomaly::DUPLICATE], 2);
}

#[test]
fn stream_entry_delivered_after_its_ack_is_acked_redelivered() {
    let mut c = RedisChecker::default();
    let t = SimTime::from_millis(1);
    let n = NodeId(0);
    let delivered = |count| RedisEvent::StreamDelivered {
        client: 0,
        key: "s".into(),
        tag: 7,
        count,
    };
    // Redelivered without an ack (at-least-once): a redelivery, not an acked redelivery.
    let mut unacked = RedisChecker::default();
    unacked.observe(t, n, &delivered(1));
    unacked.observe(t, n, &delivered(2));
    let r = report(&mut unacked);
    assert_eq!(r.anomalies[anomaly::STREAM_ACKED_REDELIVERED], 0);
    assert_eq!(r.anomalies[anomaly::STREAM_REDELIVERED], 1);
    c.observe(t, n, &delivered(1));
    c.observe(
        t,
        n,
        &RedisEvent::StreamAcked {
            client: 0,
            key: "s".into(),
            tag: 7,
        },
    );
    c.observe(t, n, &delivered(1));
    let r = report(&mut c);
    assert_eq!(r.anomalies[anomaly::STREAM_ACKED_REDELIVERED], 1);
    assert_eq!(r.anomalies[anomaly::STREAM_REDELIVERED], 1);
}

#[test]
fn replica_above_its_primary_in_the_same_history_is_ahead() {
    // (replid, offset) per server; the final primary is index 0.
    assert_eq!(super::replicas_ahead(&[(1, 100), (1, 100), (1, 90)], 0), 0);
    assert_eq!(super::replicas_ahead(&[(1, 100), (1, 101), (1, 90)], 0), 1);
    // Another history (a full resync pending, a split-brain primary) is not comparable.
    assert_eq!(super::replicas_ahead(&[(1, 100), (2, 500)], 0), 0);
}

#[test]
fn no_message_is_expected_after_unsubscribe() {
    let mut c = RedisChecker::default();
    let server = NodeId(0);
    c.initial_primary = Some(server);
    let ev = |ms, e: RedisEvent| (SimTime::from_millis(ms), e);
    let events = [
        ev(
            0,
            RedisEvent::Connected {
                client: 0,
                server,
                epoch: 1,
            },
        ),
        ev(
            1,
            RedisEvent::Subscribed {
                client: 0,
                server,
                name: "a".into(),
                pattern: false,
                epoch: 1,
            },
        ),
        ev(
            100,
            RedisEvent::Unsubscribed {
                client: 0,
                name: "a".into(),
                pattern: false,
            },
        ),
    ];
    for (t, e) in &events {
        c.observe(*t, server, e);
    }
    let publish = RedisEvent::Published {
        publisher: 1,
        channel: "a".into(),
        first_seq: 0,
        runs: vec![(1, 0)],
        server,
        explicit: true,
    };
    c.observe(SimTime::from_millis(200), server, &publish);
    let r = report(&mut c);
    assert_eq!(r.observations["pubsub_expected"], 0.0);
    assert_eq!(r.anomalies[anomaly::PUBSUB_GAP], 0);
}

#[test]
fn batches_are_classified_by_the_state_at_their_own_publish() {
    // Batches of one publisher run back to back; the subscription becomes older than a round
    // trip between the second and the third, and the client disconnects before the fifth.
    // Nothing arrives: each batch's loss has the reason of its own moment.
    let mut c = RedisChecker::default();
    let server = NodeId(0);
    c.initial_primary = Some(server);
    let at = |ms: u64, e: RedisEvent| (SimTime::from_millis(ms), e);
    let publish = |first_seq: u64| RedisEvent::Published {
        publisher: 9,
        channel: "a".into(),
        first_seq,
        runs: vec![(10, 1)],
        server,
        explicit: false,
    };
    let events = [
        at(
            0,
            RedisEvent::Connected {
                client: 0,
                server,
                epoch: 1,
            },
        ),
        at(
            1,
            RedisEvent::Subscribed {
                client: 0,
                server,
                name: "a".into(),
                pattern: false,
                epoch: 1,
            },
        ),
        at(2, publish(0)),
        at(5, publish(10)),
        at(12, publish(20)),
        at(15, publish(30)),
        at(
            20,
            RedisEvent::Disconnected {
                client: 0,
                epoch: 1,
            },
        ),
        at(40, publish(40)),
    ];
    for (t, e) in &events {
        c.observe(*t, server, e);
    }
    let r = report(&mut c);
    assert_eq!(r.observations["pubsub_expected"], 50.0);
    assert_eq!(r.observations["pubsub_lost_not_resubscribed"], 20.0);
    // Subscribed on a connection that ended without a kill: lost with the disconnect.
    assert_eq!(r.observations["pubsub_lost_disconnected"], 30.0);
}

/// Acknowledged SETs to one key, in acknowledgement order, then the final dataset.
fn writes_then_final(values: &[u64], last: Option<u64>) -> ModelReport {
    let mut c = RedisChecker::default();
    for (i, v) in values.iter().enumerate() {
        let ev = RedisEvent::WriteOk {
            client: 0,
            key: "k".into(),
            value: *v,
            server: NodeId(0),
            waited: None,
        };
        c.observe(SimTime::from_millis(i as u64), NodeId(1), &ev);
    }
    let mut data = super::dataset::Dataset::default();
    if let Some(v) = last {
        let set = super::cmd::Cmd::Set {
            key: "k".into(),
            value: v,
            bytes: None,
        };
        data.execute(&set, 0);
    }
    c.finish(Some(&data));
    let mut r = ModelReport::default();
    c.report(&mut r);
    r
}

#[test]
fn an_acknowledged_set_overwritten_by_a_later_acknowledged_set_is_not_lost() {
    // SET k 1, SET k 2, final "2": nothing lost.
    assert_eq!(
        writes_then_final(&[1, 2], Some(2)).anomalies[anomaly::LOST_WRITE],
        0
    );
    // Final "1": the later SET 2 is lost (the earlier one is not counted again).
    assert_eq!(
        writes_then_final(&[1, 2], Some(1)).anomalies[anomaly::LOST_WRITE],
        1
    );
    // Final "2" of three: the last SET 3 is lost.
    assert_eq!(
        writes_then_final(&[1, 2, 3], Some(2)).anomalies[anomaly::LOST_WRITE],
        1
    );
    // The key is gone, or holds a value no acknowledged SET wrote: every SET is lost.
    assert_eq!(
        writes_then_final(&[1, 2], None).anomalies[anomaly::LOST_WRITE],
        2
    );
    assert_eq!(
        writes_then_final(&[1, 2], Some(9)).anomalies[anomaly::LOST_WRITE],
        2
    );
}

#[test]
fn first_times_keep_the_earliest_event() {
    let mut c = RedisChecker::default();
    let (s, n) = (NodeId(9), NodeId(1));
    c.observe(
        SimTime::from_millis(5_000),
        s,
        &RedisEvent::Odown { sentinel: 0 },
    );
    let failover = RedisEvent::Failover {
        sentinel: 0,
        epoch: 1,
        promoted: n,
    };
    c.observe(SimTime::from_millis(6_000), s, &failover);
    c.observe(
        SimTime::from_millis(9_000),
        s,
        &RedisEvent::Odown { sentinel: 1 },
    );
    c.observe(SimTime::from_millis(9_500), s, &failover);
    let r = report(&mut c);
    assert_eq!(r.observations["first_odown_ms"], 5_000.0);
    assert_eq!(r.observations["first_failover_ms"], 6_000.0);
    assert_eq!(r.observations["failovers"], 2.0);
}

#[test]
fn unsubscribing_one_channel_keeps_the_others() {
    let mut c = RedisChecker::default();
    let server = NodeId(0);
    c.initial_primary = Some(server);
    c.observe(
        SimTime::ZERO,
        server,
        &RedisEvent::Connected {
            client: 0,
            server,
            epoch: 1,
        },
    );
    for name in ["a", "b"] {
        let sub = RedisEvent::Subscribed {
            client: 0,
            server,
            name: name.into(),
            pattern: false,
            epoch: 1,
        };
        c.observe(SimTime::from_millis(1), server, &sub);
    }
    let unsub = RedisEvent::Unsubscribed {
        client: 0,
        name: "a".into(),
        pattern: false,
    };
    c.observe(SimTime::from_millis(100), server, &unsub);
    // One message to b, subscribed for 200 ms, never received: a gap.
    let publish = RedisEvent::Published {
        publisher: 1,
        channel: "b".into(),
        first_seq: 0,
        runs: vec![(1, 1)],
        server,
        explicit: true,
    };
    c.observe(SimTime::from_millis(200), server, &publish);
    let r = report(&mut c);
    assert_eq!(r.observations["pubsub_expected"], 1.0);
    assert_eq!(r.anomalies[anomaly::PUBSUB_GAP], 1);
    // Still subscribed to b: lost while subscribed, not for want of a resubscription.
    let reason = |k: &str| r.observations.get(k).copied().unwrap_or(0.0);
    assert_eq!(reason("pubsub_lost_replication"), 1.0);
    assert_eq!(reason("pubsub_lost_not_resubscribed"), 0.0);
}

#[test]
fn publish_counters_weigh_each_run_by_its_receivers() {
    let mut c = RedisChecker::default();
    let server = NodeId(0);
    // 3 messages with 2 receivers each, then 4 with none.
    let publish = RedisEvent::Published {
        publisher: 1,
        channel: "x".into(),
        first_seq: 0,
        runs: vec![(3, 2), (4, 0)],
        server,
        explicit: true,
    };
    c.observe(SimTime::from_millis(5), server, &publish);
    let r = report(&mut c);
    assert_eq!(r.observations["published"], 7.0);
    assert_eq!(r.observations["publish_zero_receivers"], 4.0);
    assert_eq!(r.observations["publish_receivers"], 6.0);
}

#[test]
fn script_steps_count_their_errors_and_wait_latency() {
    let mut c = RedisChecker::default();
    let step = |cmd: &'static str, reply: &str, ok: bool, latency_us: u64| RedisEvent::Step {
        step: 0,
        resp: String::new(),
        cmd,
        reply: reply.into(),
        expected: None,
        ok,
        latency_us,
    };
    let n = NodeId(3);
    c.observe(SimTime::from_millis(1), n, &step("wait", ":1", true, 2_500));
    c.observe(SimTime::from_millis(2), n, &step("set", "+OK", true, 9_000));
    let refused = "-NOREPLICAS Not enough good replicas to write.";
    c.observe(SimTime::from_millis(3), n, &step("set", refused, false, 10));
    let r = report(&mut c);
    assert_eq!(r.observations["wait_latency_ms_max"], 2.5);
    assert_eq!(r.observations["noreplicas_errors"], 1.0);
    assert_eq!(r.observations["first_noreplicas_ms"], 3.0);
    assert_eq!(r.observations["script_steps"], 3.0);
}

#[test]
fn a_client_killed_by_sentinel_is_counted() {
    let mut c = RedisChecker::default();
    let (server, client_node) = (NodeId(0), NodeId(5));
    c.client_nodes.insert(client_node, 0);
    let kill = |reason| RedisEvent::ServerKilled {
        server,
        client: client_node,
        reason,
    };
    c.observe(SimTime::from_millis(7), server, &kill(KillReason::Sentinel));
    c.observe(
        SimTime::from_millis(9),
        server,
        &kill(KillReason::OutputBuffer),
    );
    let r = report(&mut c);
    assert_eq!(r.observations["clients_killed_by_sentinel"], 1.0);
    assert_eq!(r.observations["first_obuf_disconnect_ms"], 9.0);
}

#[test]
fn a_received_event_covers_its_count_of_messages() {
    let mut c = RedisChecker::default();
    let (t, n) = (SimTime::from_millis(1), NodeId(0));
    let received = |first_seq, count| RedisEvent::Received {
        client: 0,
        sub: "ch".into(),
        publisher: 1,
        first_seq,
        count,
    };
    c.observe(t, n, &received(0, 5));
    c.observe(t, n, &received(5, 3));
    let r = report(&mut c);
    assert_eq!(r.observations["pubsub_received"], 8.0);
    assert_eq!(r.anomalies[anomaly::DUPLICATE], 0);
    assert_eq!(r.anomalies[anomaly::PUBSUB_REORDER], 0);
}

#[test]
fn only_a_write_to_a_node_other_than_the_promoted_one_is_split_brain() {
    let mut c = RedisChecker::default();
    let t = SimTime::from_millis(1);
    let write = |server| RedisEvent::WriteOk {
        client: 0,
        key: "k".into(),
        value: 1,
        server,
        waited: None,
    };
    c.observe(
        t,
        NodeId(9),
        &RedisEvent::Failover {
            sentinel: 0,
            epoch: 1,
            promoted: NodeId(2),
        },
    );
    c.observe(t, NodeId(5), &write(NodeId(2)));
    c.observe(t, NodeId(5), &write(NodeId(1)));
    c.observe(t, NodeId(5), &write(NodeId(2)));
    let r = report(&mut c);
    assert_eq!(r.anomalies[anomaly::SPLIT_BRAIN_WRITE], 1);
}

#[test]
fn every_delivery_after_the_first_is_a_redelivery() {
    let mut c = RedisChecker::default();
    let (t, n) = (SimTime::from_millis(1), NodeId(0));
    let delivered = RedisEvent::StreamDelivered {
        client: 0,
        key: "s".into(),
        tag: 3,
        count: 1,
    };
    for _ in 0..3 {
        c.observe(t, n, &delivered);
    }
    let r = report(&mut c);
    assert_eq!(r.anomalies[anomaly::STREAM_REDELIVERED], 2);
}

#[test]
fn a_wait_covers_only_its_own_clients_writes() {
    // Clients 0 and 1 each write a key; only client 0 WAITs (1 replica). The final primary
    // holds client 0's write only: client 1's is lost, and it was never WAITed for.
    let mut c = RedisChecker::default();
    let (t, n) = (SimTime::from_millis(1), NodeId(5));
    for client in [0, 1] {
        let ev = RedisEvent::WriteOk {
            client,
            key: format!("k{client}"),
            value: u64::from(client) + 1,
            server: NodeId(0),
            waited: None,
        };
        c.observe(t, n, &ev);
    }
    c.observe(
        t,
        n,
        &RedisEvent::Waited {
            client: 0,
            replicas: 1,
        },
    );
    let mut data = super::dataset::Dataset::default();
    let set = super::cmd::Cmd::Set {
        key: "k0".into(),
        value: 1,
        bytes: None,
    };
    data.execute(&set, 0);
    c.finish(Some(&data));
    let mut r = ModelReport::default();
    c.report(&mut r);
    assert_eq!(r.observations["acked_writes_lost"], 1.0);
    assert_eq!(r.observations["wait_acked_writes_lost"], 0.0);
}
