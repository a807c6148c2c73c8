//! Writable replicas (`replica-read-only no`), chained replication (a replica of a replica)
//! and `repl-backlog-ttl` against real servers (issue 15 item 4). Every topology is built with
//! REPLICAOF steps from the harness's star (r1 primary, r2.. its replicas).

use crate::case::Case;
use crate::check::Run;

/// A writable replica takes a write locally: its offset does not move (the write is not in
/// the replication stream, replication.c `replicationFeedSlaves` returns on a replica), the
/// primary never sees it, and INFO says `slave_read_only:0`.
#[test]
fn writable_replica_keeps_writes_local() {
    Case::new("writable_replica_keeps_writes_local")
        .servers(2)
        .conf("replica-read-only", "no")
        .client("a", 1)
        .client("b", 2)
        .step("b", r#"Set(key: "k", value: 1)"#)
        .step("b", r#"Incr(key: "k")"#)
        .step("b", r#"Get(key: "k")"#)
        .step("a", r#"Get(key: "k")"#)
        .step("b", r#"Info(section: "replication")"#)
        .step("b", "Wait(numreplicas: 1, timeout_ms: 100)")
        .run();
}

/// The writable replica's own write survives a partial resync (nothing in the stream
/// touches it) and is gone after a full one (the replica loads the primary's RDB; redis.conf:
/// "data written on a replica will be easily deleted after resync with the master").
/// r3 becomes a primary with r1's history as replid2; r2 moves under it (partial), then back
/// under r1, whose history r2's new id is not part of (full).
#[test]
fn writable_replica_writes_survive_partial_not_full_resync() {
    Case::new("writable_replica_writes_survive_partial_not_full_resync")
        .servers(3)
        .conf("replica-read-only", "no")
        // No PING in the stream during the case (the first would move r1's offset past the
        // point r3 left at, and r2 could not continue from r3).
        .conf("repl-ping-replica-period", "3600")
        .client("a", 1)
        .client("b", 2)
        .client("c", 3)
        .step("c", "ReplicaOf(primary: None)")
        .step("b", r#"Set(key: "local", value: 1)"#)
        .step("c", r#"Set(key: "from-r3", value: 3)"#)
        .after(1500)
        .step("b", r#"ReplicaOf(primary: Some("r3"))"#)
        .after(1500)
        .step("b", r#"Get(key: "local")"#)
        .step("b", r#"Get(key: "from-r3")"#)
        .step("b", r#"ReplicaOf(primary: Some("r1"))"#)
        .after(1500)
        .step("b", r#"Get(key: "local")"#)
        .step("b", r#"Get(key: "from-r3")"#)
        .run();
}

/// A replica of a replica: r3 moves under r2 and continues r1's history there (r2 serves
/// its PSYNC partially: same replication id and offsets). Writes, stream entries and PUBLISH
/// travel down the chain; WAIT on r1 counts only its direct replica.
#[test]
fn chained_replica_gets_the_primary_stream() {
    Case::new("chained_replica_gets_the_primary_stream")
        .servers(3)
        .client("a", 1)
        .client("b", 2)
        .client("c", 3)
        .client("s2", 2)
        .client("s3", 3)
        .step("c", r#"ReplicaOf(primary: Some("r2"))"#)
        .after(1500)
        .step("s2", r#"Subscribe(channels: ["ch"])"#)
        .step("s3", r#"Subscribe(channels: ["ch"])"#)
        .step("a", r#"Set(key: "k", value: 7)"#)
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"Publish(channel: "ch", count: 2)"#)
        .step("a", "Wait(numreplicas: 2, timeout_ms: 200)")
        .after(300)
        .step("c", r#"Get(key: "k")"#)
        .step("c", r#"XLen(key: "s")"#)
        .step("b", r#"Info(section: "replication")"#)
        .step("c", r#"Info(section: "replication")"#)
        .run();
}

/// A writable intermediate's own writes stay on it: its sub-replica gets only the top
/// primary's stream (Redis 4.0+).
#[test]
fn writable_intermediate_keeps_its_writes_from_sub_replicas() {
    Case::new("writable_intermediate_keeps_its_writes_from_sub_replicas")
        .servers(3)
        .conf("replica-read-only", "no")
        .client("a", 1)
        .client("b", 2)
        .client("c", 3)
        .step("c", r#"ReplicaOf(primary: Some("r2"))"#)
        .after(1500)
        .step("b", r#"Set(key: "local", value: 1)"#)
        .step("a", r#"Set(key: "k", value: 2)"#)
        .after(200)
        .step("c", r#"Get(key: "local")"#)
        .step("c", r#"Get(key: "k")"#)
        .step("b", r#"Get(key: "local")"#)
        .run();
}

/// An intermediate that becomes a primary disconnects its replica, which continues by the
/// old id (replid2, partial); when the intermediate goes back under r1 with a history r1
/// never had, it resyncs fully, disconnects its replica again (replicationAttachToNewMaster),
/// and the replica resyncs fully from it: what r2 wrote as a primary is gone on both.
#[test]
fn intermediate_full_resync_resyncs_its_replica() {
    Case::new("intermediate_full_resync_resyncs_its_replica")
        .servers(3)
        .client("a", 1)
        .client("b", 2)
        .client("c", 3)
        .step("c", r#"ReplicaOf(primary: Some("r2"))"#)
        .after(1500)
        .step("b", "ReplicaOf(primary: None)")
        .step("b", r#"Set(key: "only-r2", value: 1)"#)
        .after(1500)
        .step("c", r#"Get(key: "only-r2")"#)
        .step("b", r#"ReplicaOf(primary: Some("r1"))"#)
        .after(2500)
        .step("c", r#"Get(key: "only-r2")"#)
        .step("a", r#"Set(key: "k", value: 3)"#)
        .after(200)
        .step("c", r#"Get(key: "k")"#)
        .settle(1500)
        .run();
}

/// r2 and r3 replicate from each other (each one's PSYNC is served by the other, whose link
/// is up), so r1 is left without replicas while both keep its replication id and offset;
/// then r2 returns to r1.
fn parked_then_back(name: &str, ttl: Option<&str>) -> Case {
    let mut case = Case::new(name).servers(3);
    if let Some(ttl) = ttl {
        case = case.conf("repl-backlog-ttl", ttl);
    }
    case.conf("repl-ping-replica-period", "3600")
        .client("a", 1)
        .client("b", 2)
        .client("c", 3)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("c", r#"ReplicaOf(primary: Some("r2"))"#)
        .after(1500)
        .step("b", r#"ReplicaOf(primary: Some("r3"))"#)
        .after(4000)
        .step("a", r#"Info(section: "replication")"#)
        .step("b", r#"ReplicaOf(primary: Some("r1"))"#)
        .after(2500)
        .step("b", r#"Get(key: "k")"#)
        .step("c", r#"Get(key: "k")"#)
        .settle(1500)
}

/// `repl-backlog-ttl 1`: alone for more than a second, r1 frees its backlog
/// (`repl_backlog_active:0`) and takes a new id, so r2's return is a full resync.
#[test]
fn backlog_ttl_frees_the_backlog_of_a_primary_alone() {
    parked_then_back(
        "backlog_ttl_frees_the_backlog_of_a_primary_alone",
        Some("1"),
    )
    .run();
}

/// Control: with the default ttl (3600 s) r1 keeps its backlog and r2 continues partially.
#[test]
fn backlog_kept_within_the_ttl() {
    parked_then_back("backlog_kept_within_the_ttl", None).run();
}

/// A replica that resyncs fully from a new primary disconnects its own replica, which then
/// resyncs fully from it (replication.c `replicationAttachToNewMaster`): r4 leaves with r1's
/// history, r1 writes on, so r2 — with r3 under it — cannot continue at r4.
#[test]
fn replica_full_resync_disconnects_its_replica() {
    Case::new("replica_full_resync_disconnects_its_replica")
        .servers(4)
        .conf("repl-ping-replica-period", "3600")
        .client("a", 1)
        .client("b", 2)
        .client("c", 3)
        .client("d", 4)
        .step("c", r#"ReplicaOf(primary: Some("r2"))"#)
        .after(1500)
        .step("d", "ReplicaOf(primary: None)")
        .step("a", r#"Set(key: "k", value: 2)"#)
        .step("d", r#"Set(key: "x", value: 4)"#)
        .after(200)
        .step("c", r#"Get(key: "k")"#)
        .step("b", r#"ReplicaOf(primary: Some("r4"))"#)
        .after(2500)
        .step("c", r#"Get(key: "x")"#)
        .step("c", r#"Get(key: "k")"#)
        .settle(1500)
        .run();
}

/// A replica whose partial resync brings a new replication id ("+CONTINUE <new id>")
/// disconnects its own replica so that it learns the id; the replica comes back partially by
/// replid2 (replication.c `slaveTryPartialResynchronization` → `disconnectSlaves`).
#[test]
fn new_id_on_continue_reconnects_the_replica_of_a_replica() {
    Case::new("new_id_on_continue_reconnects_the_replica_of_a_replica")
        .servers(4)
        .conf("repl-ping-replica-period", "3600")
        .client("a", 1)
        .client("b", 2)
        .client("c", 3)
        .client("d", 4)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("c", r#"ReplicaOf(primary: Some("r2"))"#)
        .after(1500)
        .step("d", "ReplicaOf(primary: None)")
        .step("b", r#"ReplicaOf(primary: Some("r4"))"#)
        .after(1500)
        .step("d", r#"Set(key: "x", value: 4)"#)
        .after(200)
        .step("c", r#"Get(key: "x")"#)
        .settle(1500)
        .run();
}
