//! Blocking stream reads: XREAD / XREADGROUP with BLOCK, served by a later XADD (also one a
//! replica applies from its primary), first blocked first served, nil at the timeout.
//! Timeouts are short and the next step comes well after them: Redis answers a timed-out
//! client at the next event-loop iteration (up to 1000/hz ms late), the model at the
//! timeout itself (docs/redis-conformance.md).

use crate::case::Case;
use crate::check::Run;

fn add(c: Case, client: &str, key: &str, id: &str) -> Case {
    c.step(client, &format!(r#"XAdd(key: "{key}", id: Some("{id}"))"#))
}

/// A stream `s` with entry 1-0 and a group `g` at its end.
fn grouped(name: &str, clients: &[&str]) -> Case {
    add(Case::new(name).clients_on_r1(clients), "w", "s", "1-0")
        .step("w", r#"XGroupCreate(key: "s", group: "g", id: "$")"#)
}

/// `XREADGROUP GROUP g <consumer> [COUNT 100] BLOCK <ms> [NOACK] STREAMS s >`; `more` adds
/// fields (`, count: 1`).
fn read_blocked(consumer: &str, ms: u64, more: &str) -> String {
    format!(
        r#"XReadGroup(key: "s", group: "g", consumer: "{consumer}", id: ">", block_ms: Some({ms}){more})"#
    )
}

#[test]
fn xread_block_is_served_by_the_next_xadd() {
    let c = Case::new("xread_block_is_served_by_the_next_xadd").clients_on_r1(&["w", "A", "B"]);
    let c = add(c, "w", "s", "1-0")
        // Data already there: answered at once, BLOCK or not.
        .step(
            "A",
            r#"XRead(key: "s", after: Some("0-0"), block_ms: Some(0))"#,
        )
        .step(
            "A",
            r#"XRead(key: "s", after: Some("1-0"), block_ms: Some(0))"#,
        )
        .step(
            "B",
            r#"XRead(key: "s", after: Some("1-0"), block_ms: Some(0))"#,
        );
    // An entry on another key serves nobody; the next one on `s` serves both readers.
    let c = add(c, "w", "t", "5-0");
    let c = add(c, "w", "s", "2-0").step("w", r#"XLen(key: "s")"#);
    // A missing key blocks too, until its first entry.
    let c = c.step(
        "A",
        r#"XRead(key: "new", after: Some("0-0"), block_ms: Some(0))"#,
    );
    add(c, "w", "new", "3-0").run();
}

#[test]
fn xread_block_times_out_with_nil() {
    let c = Case::new("xread_block_times_out_with_nil").clients_on_r1(&["w", "A"]);
    add(c, "w", "s", "1-0")
        .step(
            "A",
            r#"XRead(key: "s", after: Some("1-0"), block_ms: Some(100))"#,
        )
        .after(400)
        .step("A", r#"XRead(key: "missing", block_ms: Some(50))"#)
        .after(400)
        // The reader is free again: the next entry is not sent to it.
        .step("w", r#"XAdd(key: "s", id: Some("2-0"))"#)
        .step("A", "Ping")
        .run();
}

#[test]
fn xreadgroup_block_serves_blocked_consumers_in_arrival_order() {
    let c = grouped(
        "xreadgroup_block_serves_blocked_consumers_in_arrival_order",
        &["w", "A", "B"],
    )
    .step("A", &read_blocked("A", 0, ", count: 1"))
    .step("B", &read_blocked("B", 0, ", count: 1"));
    // The first entry goes to A (blocked first); B stays blocked until the second.
    let c = add(c, "w", "s", "2-0").step("w", r#"XPending(key: "s", group: "g", summary: true)"#);
    let c = add(c, "w", "s", "3-0").step("w", r#"XPending(key: "s", group: "g")"#);
    // A history read never blocks: its own PEL, at once; a missing group is an error.
    c.step(
        "A",
        r#"XReadGroup(key: "s", group: "g", consumer: "A", id: "0", block_ms: Some(0))"#,
    )
    .step(
        "A",
        r#"XReadGroup(key: "s", group: "nog", consumer: "A", id: ">", block_ms: Some(0))"#,
    )
    .run();
}

#[test]
fn xreadgroup_block_times_out_and_noack() {
    let c = grouped("xreadgroup_block_times_out_and_noack", &["w", "A"])
        .step("A", &read_blocked("A", 100, ""))
        .after(400)
        .step("A", &read_blocked("A", 0, ", noack: true"));
    add(c, "w", "s", "2-0")
        .step("w", r#"XPending(key: "s", group: "g", summary: true)"#)
        .run();
}

#[test]
fn xread_block_on_a_replica_is_served_by_replication() {
    let c = Case::new("xread_block_on_a_replica_is_served_by_replication")
        .servers(2)
        .client("w", 1)
        .client("R", 2);
    let c = add(c, "w", "s", "1-0")
        .after(100)
        .step(
            "R",
            r#"XRead(key: "s", after: Some("1-0"), block_ms: Some(0))"#,
        )
        // XREADGROUP is a write: refused on a replica before it could block.
        .step("R", &read_blocked("R", 0, ""));
    add(c, "w", "s", "2-0").run();
}

#[test]
fn a_blocked_reader_that_disconnects_is_forgotten() {
    let c = grouped(
        "a_blocked_reader_that_disconnects_is_forgotten",
        &["w", "A", "B"],
    )
    .step("A", &read_blocked("A", 0, ""))
    .step("A", "Disconnect")
    .step("B", &read_blocked("B", 0, ""));
    add(c, "w", "s", "2-0")
        .step("w", r#"XPending(key: "s", group: "g")"#)
        .run();
}

/// A client has no request timeout: a read blocked longer than the model's 2 s connect
/// timeout (on a connection that has not yet received a byte) is still waited for.
#[test]
fn a_long_block_is_not_abandoned_by_the_client() {
    let c = Case::new("a_long_block_is_not_abandoned_by_the_client").clients_on_r1(&["w", "A"]);
    let c = c
        .step(
            "A",
            r#"XRead(key: "s", after: Some("0-0"), block_ms: Some(0))"#,
        )
        .after(2_500);
    add(c, "w", "s", "1-0").run();
}

/// `$` is the stream's last id when the command runs: without BLOCK nothing is newer; with
/// BLOCK only a later entry serves (a missing key's `$` is 0-0). `>` belongs to XREADGROUP
/// and `$` not.
#[test]
fn xread_dollar_waits_for_entries_added_after_the_call() {
    let c = Case::new("xread_dollar_waits_for_entries_added_after_the_call")
        .clients_on_r1(&["w", "A", "B"]);
    let c = add(c, "w", "s", "1-0")
        .step("A", r#"XRead(key: "s", after: Some("$"))"#)
        .step(
            "A",
            r#"XRead(key: "s", after: Some("$"), block_ms: Some(0))"#,
        )
        .step(
            "B",
            r#"XRead(key: "new", after: Some("$"), block_ms: Some(0))"#,
        );
    let c = add(c, "w", "s", "2-0");
    let c = add(c, "w", "new", "1-0")
        .step("A", r#"XRead(key: "s", after: Some(">"))"#)
        .step("A", r#"XGroupCreate(key: "s", group: "g", id: "0")"#)
        .step(
            "A",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: "$")"#,
        );
    c.run();
}

/// A blocked read waits on its key in its own database: an XADD to the same key in another
/// database serves nobody (blocking.c `signalKeyAsReady` takes the db).
#[test]
fn a_blocked_read_is_served_only_from_its_database() {
    let c = Case::new("a_blocked_read_is_served_only_from_its_database")
        .clients_on_r1(&["w", "A"])
        .step("A", "Select(db: 1)")
        .step(
            "A",
            r#"XRead(key: "s", after: Some("0-0"), block_ms: Some(0))"#,
        );
    let c = add(c, "w", "s", "1-0").step("w", "Select(db: 1)");
    add(c, "w", "s", "2-0").run();
}

/// A primary turned replica (REPLICAOF) answers its blocked readers and WAITs with
/// `-UNBLOCKED …` and closes their connections after that reply (replication.c
/// `replicationSetMaster` → blocked.c `disconnectAllBlockedClients`); other clients stay.
#[test]
fn a_demoted_primary_unblocks_its_blocked_readers() {
    let c = Case::new("a_demoted_primary_unblocks_its_blocked_readers")
        .servers(2)
        .client("w", 1)
        .client("A", 1)
        .client("C", 1)
        .client("B", 2);
    let c = add(c, "w", "s", "1-0")
        .step(
            "A",
            r#"XRead(key: "s", after: Some("1-0"), block_ms: Some(0))"#,
        )
        .step("C", "Wait(numreplicas: 2, timeout_ms: 0)")
        .step("B", "ReplicaOf(primary: None)")
        .step("w", r#"ReplicaOf(primary: Some("r2"))"#)
        .after(200)
        .step("A", "Ping")
        .step("C", "Ping")
        .step("w", "Ping");
    c.settle(500).run();
}
