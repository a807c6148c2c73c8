//! Replication with a real primary and replicas: READONLY, propagation of writes and PUBLISH,
//! WAIT, min-replicas, REPLICAOF, partial and full resynchronisation, backlog overflow.

use crate::case::Case;
use crate::check::Run;

#[test]
fn replica_refuses_writes() {
    Case::new("replica_refuses_writes")
        .servers(2)
        .client("a", 2)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"Get(key: "k")"#)
        .run();
}

#[test]
fn writes_reach_the_replica() {
    Case::new("writes_reach_the_replica")
        .servers(2)
        .client("a", 1)
        .client("b", 2)
        .step("a", r#"Set(key: "k", value: 7)"#)
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"Incr(key: "k")"#)
        .after(100)
        .step("b", r#"Get(key: "k")"#)
        .step("b", r#"XLen(key: "s")"#)
        .run();
}

#[test]
fn publish_reaches_replica_subscribers_counting_local_ones() {
    Case::new("publish_reaches_replica_subscribers_counting_local_ones")
        .servers(3)
        .client("p", 1)
        .client("s1", 1)
        .client("s2", 2)
        .client("s3", 3)
        .step("s1", r#"Subscribe(channels: ["c"])"#)
        .step("s2", r#"Subscribe(channels: ["c"])"#)
        .step("s3", r#"Psubscribe(patterns: ["c*"])"#)
        .step("p", r#"Publish(channel: "c", count: 3)"#)
        .run();
}

#[test]
fn publish_to_a_replica_stays_local() {
    Case::new("publish_to_a_replica_stays_local")
        .servers(2)
        .client("p", 2)
        .client("s1", 1)
        .client("s2", 2)
        .step("s1", r#"Subscribe(channels: ["c"])"#)
        .step("s2", r#"Subscribe(channels: ["c"])"#)
        .step("p", r#"Publish(channel: "c")"#)
        .run();
}

#[test]
fn wait_counts_acknowledging_replicas() {
    Case::new("wait_counts_acknowledging_replicas")
        .servers(3)
        .client("a", 1)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", "Wait(numreplicas: 2, timeout_ms: 1000)")
        .step("a", "Wait(numreplicas: 1, timeout_ms: 0)")
        .run();
}

#[test]
fn wait_times_out_with_what_it_has() {
    Case::new("wait_times_out_with_what_it_has")
        .servers(2)
        .client("a", 1)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", "Wait(numreplicas: 2, timeout_ms: 300)")
        .after(400)
        .step("a", r#"Get(key: "k")"#)
        .run();
}

#[test]
fn wait_without_replicas_returns_zero_at_the_timeout() {
    Case::new("wait_without_replicas_returns_zero_at_the_timeout")
        .client("a", 1)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", "Wait(numreplicas: 1, timeout_ms: 200)")
        .run();
}

#[test]
fn wait_on_a_replica_is_an_error() {
    Case::new("wait_on_a_replica_is_an_error")
        .servers(2)
        .client("a", 2)
        .step("a", "Wait(numreplicas: 1, timeout_ms: 100)")
        .run();
}

#[test]
fn min_replicas_met_accepts_writes() {
    Case::new("min_replicas_met_accepts_writes")
        .servers(2)
        .conf("min-replicas-to-write", "1")
        .client("a", 1)
        .after(200)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", "Wait(numreplicas: 1, timeout_ms: 1000)")
        .run();
}

#[test]
fn replicaof_no_one_then_back_resyncs() {
    Case::new("replicaof_no_one_then_back_resyncs")
        .servers(2)
        .client("a", 1)
        .client("b", 2)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("b", "ReplicaOf(primary: None)")
        .step("b", r#"Get(key: "k")"#)
        .step("a", r#"Set(key: "k", value: 2)"#)
        .step("b", r#"ReplicaOf(primary: Some("r1"))"#)
        .after(200)
        .step("b", r#"Get(key: "k")"#)
        .settle(500)
        .run();
}

#[test]
fn replica_writes_after_no_one_are_discarded() {
    Case::new("replica_writes_after_no_one_are_discarded")
        .servers(2)
        .client("a", 1)
        .client("b", 2)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("b", "ReplicaOf(primary: None)")
        .step("b", r#"Set(key: "only-b", value: 5)"#)
        .step("b", r#"ReplicaOf(primary: Some("r1"))"#)
        .after(200)
        .step("b", r#"Get(key: "only-b")"#)
        .step("b", r#"Get(key: "k")"#)
        .settle(500)
        .run();
}

#[test]
fn a_replica_of_no_one_takes_writes() {
    Case::new("a_replica_of_no_one_takes_writes")
        .servers(3)
        .client("b", 2)
        .step("b", "ReplicaOf(primary: None)")
        .step("b", r#"Set(key: "k", value: 1)"#)
        .step("b", "Wait(numreplicas: 1, timeout_ms: 100)")
        .run();
}

#[test]
fn consumer_group_state_reaches_the_replica() {
    Case::new("consumer_group_state_reaches_the_replica")
        .servers(2)
        .client("a", 1)
        .client("b", 2)
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"XAdd(key: "s", id: Some("2-0"))"#)
        .step("a", r#"XGroupCreate(key: "s", group: "g", id: "0")"#)
        .step(
            "a",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">", count: 1)"#,
        )
        .after(100)
        .step("b", r#"XPending(key: "s", group: "g")"#)
        .step("b", r#"XPending(key: "s", group: "g", summary: true)"#)
        .step(
            "b",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
        )
        .run();
}

/// A NOACK read moves the group's last delivered id on the primary only; Redis propagates it
/// (XGROUP SETID), so the replica, once promoted, does not hand the entry out again.
#[test]
fn noack_read_position_reaches_the_replica() {
    Case::new("noack_read_position_reaches_the_replica")
        .servers(2)
        .client("a", 1)
        .client("b", 2)
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"XAdd(key: "s", id: Some("2-0"))"#)
        .step("a", r#"XGroupCreate(key: "s", group: "g", id: "0")"#)
        .step(
            "a",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">", count: 1, noack: true)"#,
        )
        .after(100)
        .step("b", "ReplicaOf(primary: None)")
        .step(
            "b",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
        )
        .run();
}

#[test]
fn stream_trim_reaches_the_replica() {
    Case::new("stream_trim_reaches_the_replica")
        .servers(2)
        .client("a", 1)
        .client("b", 2)
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"XAdd(key: "s", id: Some("2-0"))"#)
        .step("a", r#"XAdd(key: "s", id: Some("3-0"), maxlen: Some(1))"#)
        .after(100)
        .step("b", r#"XRead(key: "s")"#)
        .step("b", r#"XLen(key: "s")"#)
        .run();
}

#[test]
fn del_reaches_the_replica() {
    Case::new("del_reaches_the_replica")
        .servers(2)
        .client("a", 1)
        .client("b", 2)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", r#"Del(key: "k")"#)
        .after(100)
        .step("b", r#"Get(key: "k")"#)
        .run();
}

/// A client has no request timeout unless one is configured (redis-py's `socket_timeout`
/// defaults to none): `WAIT 1 0` as its first command, held by a primary without replicas for
/// longer than the client's 2 s connect timeout, is not abandoned; it returns when a replica
/// comes back, and the same connection goes on.
#[test]
fn wait_zero_is_held_until_a_replica_acknowledges() {
    Case::new("wait_zero_is_held_until_a_replica_acknowledges")
        .servers(2)
        .client("a", 1)
        .client("b", 2)
        .step("b", "ReplicaOf(primary: None)")
        .step("a", "Wait(numreplicas: 1, timeout_ms: 0)")
        .after(2500)
        .step("b", r#"ReplicaOf(primary: Some("r1"))"#)
        .after(100)
        .step("a", "Ping")
        .run();
}

/// The replication stream carries SELECT when the database of the writes changes
/// (replication.c `replicationFeedSlaves`), PUBLISH included: the replica applies each write
/// in its database, and its offset stays the primary's.
#[test]
fn replication_carries_select() {
    Case::new("replication_carries_select")
        .servers(2)
        .client("a", 1)
        .client("b", 2)
        .client("s", 2)
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", "Select(db: 3)")
        .step("a", r#"Set(key: "k", value: 30)"#)
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"Publish(channel: "c")"#)
        .step("a", "Select(db: 0)")
        .step("a", r#"Incr(key: "k")"#)
        .step("a", "Wait(numreplicas: 1, timeout_ms: 500)")
        .after(100)
        .step("b", r#"Get(key: "k")"#)
        .step("b", "Select(db: 3)")
        .step("b", r#"Get(key: "k")"#)
        .step("b", r#"XLen(key: "s")"#)
        .step("b", "DbSize")
        .run();
}

/// Backlog overflow: r2's process stopped (SIGSTOP; the model's `Pause`) for 6 s with
/// `repl-timeout 2`: r1 drops it as timed out within 4 s (replication.c `replicationCron`,
/// "Disconnecting timedout replica"), then takes `writes` SETs of 10 KB. With six, more than
/// its 16 KB backlog (`repl-backlog-size 16384`, the minimum), r2's PSYNC after it resumes
/// cannot continue (`masterTryPartialResynchronization`: the offset is no longer in the
/// backlog): a full resync, `sync_partial_err` 1. With one, the backlog holds it: a partial
/// resync. (Writes made before the drop would not do: they wait in r2's socket buffer and r2
/// reads them on resuming, before the close.)
fn stopped_replica_case(name: &str, writes: usize) {
    let mut case = Case::new(name)
        .servers(2)
        .conf("repl-backlog-size", "16384")
        .conf("repl-timeout", "2")
        .client("w", 1)
        .client("r", 2)
        .step("w", r#"Set(key: "k", value: 1)"#)
        .after(200)
        .pause_server(2)
        .after(4500);
    for i in 0..writes {
        let set = format!(r#"Set(key: "v{i}", value: {i}, bytes: Some(10000))"#);
        case = case.step("w", &set);
    }
    // After the resume the replica notices the dropped link and reconnects within its 1 s
    // cron, then a full resync forks, transfers and loads: on a loaded CI machine 3 s left the
    // real replica not yet caught up in one run (`offset_equals_r1` false against the model's
    // true), so the reads wait 8 s.
    case.after(1300)
        .resume_server(2)
        .after(8000)
        .step("r", r#"Get(key: "k")"#)
        .step("r", "DbSize")
        .step("w", "Wait(numreplicas: 1, timeout_ms: 1000)")
        .settle(500)
        .run();
}

#[test]
fn backlog_overflow_while_a_replica_is_stopped_forces_a_full_resync() {
    stopped_replica_case(
        "backlog_overflow_while_a_replica_is_stopped_forces_a_full_resync",
        6,
    );
}

#[test]
fn a_stopped_replica_within_the_backlog_resyncs_partially() {
    stopped_replica_case("a_stopped_replica_within_the_backlog_resyncs_partially", 1);
}
