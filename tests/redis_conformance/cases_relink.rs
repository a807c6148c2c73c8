//! A replica's link to its primary broken and made again (replication.c, Redis 7.0): a
//! replica whose synced link (`server.master`) is freed connects again at once; a primary
//! demoted by REPLICAOF keeps its replicas until its own resync with the new primary changes
//! its history. The steps do not wait for replication at rest: what they read is the state a
//! few milliseconds after the change.

use crate::case::Case;
use crate::check::Run;

/// replicationHandleMasterDisconnection: "Try to re-connect immediately rather than wait for
/// replicationCron": 20 ms after its link is killed (CLIENT KILL TYPE master on the replica,
/// or TYPE replica on the primary) the replica is linked again by a partial resync and has
/// the write made meanwhile.
#[test]
fn a_broken_link_reconnects_at_once() {
    Case::new("a_broken_link_reconnects_at_once")
        .servers(2)
        .client("a", 1)
        .client("b", 2)
        .unsettled_steps()
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("b", "ClientKill(client_type: Some(Master))")
        .step("b", r#"Info(section: "replication")"#)
        .step("a", r#"Set(key: "k", value: 2)"#)
        .step("b", r#"Get(key: "k")"#)
        .step("a", "ClientKill(client_type: Some(Replica))")
        .step("b", r#"Info(section: "replication")"#)
        .step("a", r#"Set(key: "k", value: 3)"#)
        .step("b", r#"Get(key: "k")"#)
        .run();
}

/// replicationSetMaster: "Here we don't disconnect with replicas, since they may hopefully be
/// able to partially resync with us". r1, demoted after taking a write r2 (promoted) never
/// got, needs a full resync from r2 (2 s of sync delay); meanwhile r3 stays linked to r1
/// (`connected_slaves:1` on r1, `master_link_status:up` on r3, the write still readable). When
/// r1 loads r2's data, replicationAttachToNewMaster disconnects r3, which resyncs from r1 in
/// full (r1's backlog is new): `sync_full` 3 on r1 (2 at the start), 1 on r2.
#[test]
fn a_demoted_primary_keeps_its_replicas() {
    Case::new("a_demoted_primary_keeps_its_replicas")
        .servers(3)
        .conf("repl-diskless-sync-delay", "2")
        .client("a", 1)
        .client("b", 2)
        .client("c", 3)
        .unsettled_steps()
        .after(2_500)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("b", "ReplicaOf(primary: None)")
        .step("a", r#"Set(key: "k", value: 2)"#)
        .step("a", r#"ReplicaOf(primary: Some("r2"))"#)
        .after(100)
        .step("a", r#"Info(section: "replication")"#)
        .step("c", r#"Info(section: "replication")"#)
        .step("c", r#"Get(key: "k")"#)
        .settle(5_000)
        .run();
}
