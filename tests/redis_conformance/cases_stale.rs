//! A replica in a full sync (its link to the primary not yet up): `connected_slaves` on the
//! primary counts it, `min_slaves_good_slaves` does not; with `replica-serve-stale-data no`
//! it answers the commands without the `stale` flag `-MASTERDOWN`. `repl-diskless-sync-delay
//! 2` keeps the sync open for 2 s after REPLICAOF; the steps fall inside it (no wait for
//! replication at rest between them).

use crate::case::Case;
use crate::check::Run;

/// A replica made to resync: REPLICAOF NO ONE gives r2 a new replication id, so its PSYNC to
/// r1 is refused and it waits for the RDB (`state=wait_bgsave`) for the sync delay.
fn resyncing(name: &str) -> Case {
    Case::new(name)
        .servers(2)
        .conf("repl-diskless-sync-delay", "2")
        .client("a", 1)
        .client("b", 2)
        .unsettled_steps()
        // The first sync (at the start) is done by then on both sides.
        .after(2_500)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("b", "ReplicaOf(primary: None)")
        .step("b", r#"ReplicaOf(primary: Some("r1"))"#)
        .after(100)
}

/// server.c genRedisInfoString: `connected_slaves` is `listLength(server.slaves)`, every
/// replica that sent SYNC/PSYNC whatever its state; refreshGoodSlavesCount counts only
/// `SLAVE_STATE_ONLINE` ones, so min-replicas-to-write refuses writes meanwhile.
#[test]
fn connected_slaves_counts_a_syncing_replica() {
    resyncing("connected_slaves_counts_a_syncing_replica")
        .conf("min-replicas-to-write", "1")
        .step("a", r#"Info(section: "replication")"#)
        .step("a", r#"Set(key: "k", value: 2)"#)
        .step("b", r#"Info(section: "replication")"#)
        .settle(4_000)
        .run();
}

/// server.c processCommand: `masterhost && repl_state != REPL_STATE_CONNECTED &&
/// repl_serve_stale_data == 0 && is_denystale_command` → `-MASTERDOWN`, after NOREPLICAS,
/// READONLY and the subscribed context; INFO, PUBLISH, SELECT, CLIENT, SUBSCRIBE carry
/// `CMD_STALE`, PING, WAIT, DBSIZE and the key and stream commands do not.
#[test]
fn masterdown_while_the_link_is_down() {
    resyncing("masterdown_while_the_link_is_down")
        .conf("replica-serve-stale-data", "no")
        .step("b", r#"Get(key: "k")"#)
        .step("b", "Ping")
        .step("b", r#"Set(key: "k", value: 2)"#)
        .step("b", "DbSize")
        .step("b", r#"XLen(key: "s")"#)
        .step("b", "Wait(numreplicas: 0, timeout_ms: 10)")
        .step("b", r#"Info(section: "replication")"#)
        .step("b", r#"Publish(channel: "c")"#)
        .step("b", "Select(db: 1)")
        .step("b", r#"ClientSetName(name: "n")"#)
        .step("b", r#"Subscribe(channels: ["c"])"#)
        .step("b", r#"Get(key: "k")"#)
        .step("b", "Ping")
        .settle(4_000)
        .run();
}
