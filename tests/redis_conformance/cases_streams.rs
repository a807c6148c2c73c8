//! Streams: XADD ids and trimming, XREAD, consumer groups, the PEL, XCLAIM / XAUTOCLAIM,
//! trimmed pending entries, error texts.

use crate::case::Case;
use crate::check::Run;

fn stream(name: &str, ids: &[&str]) -> Case {
    let mut c = Case::new(name).clients_on_r1(&["w", "A", "B"]);
    for id in ids {
        c = c.step("w", &format!(r#"XAdd(key: "s", id: Some("{id}"))"#));
    }
    c
}

fn grouped(name: &str, ids: &[&str]) -> Case {
    stream(name, ids).step("w", r#"XGroupCreate(key: "s", group: "g", id: "0")"#)
}

#[test]
fn xadd_ids_must_grow() {
    stream("xadd_ids_must_grow", &["1-0", "2-0"])
        .step("w", r#"XAdd(key: "s", id: Some("2-0"))"#)
        .step("w", r#"XAdd(key: "s", id: Some("1-5"))"#)
        .step("w", r#"XAdd(key: "t", id: Some("0-0"))"#)
        .step("w", r#"XAdd(key: "s", id: Some("2-1"))"#)
        .step("w", r#"XLen(key: "s")"#)
        .step("w", r#"XLen(key: "t")"#)
        .run();
}

#[test]
fn xadd_maxlen_trims_exactly() {
    stream("xadd_maxlen_trims_exactly", &["1-0", "2-0", "3-0"])
        .step("w", r#"XAdd(key: "s", id: Some("4-0"), maxlen: Some(2))"#)
        .step("w", r#"XLen(key: "s")"#)
        .step("w", r#"XRead(key: "s")"#)
        .step("w", r#"XAdd(key: "s", id: Some("5-0"), maxlen: Some(0))"#)
        .step("w", r#"XLen(key: "s")"#)
        .run();
}

#[test]
fn xadd_minid_trims_below() {
    stream("xadd_minid_trims_below", &["1-0", "2-0", "3-0"])
        .step(
            "w",
            r#"XAdd(key: "s", id: Some("4-0"), minid: Some("3-0"))"#,
        )
        .step("w", r#"XRead(key: "s")"#)
        .run();
}

#[test]
fn xread_after_and_nothing_new() {
    stream("xread_after_and_nothing_new", &["1-0", "2-0", "3-0"])
        .step("w", r#"XRead(key: "s", after: Some("1-0"))"#)
        .step("w", r#"XRead(key: "s", after: Some("1-0"), count: 1)"#)
        .step("w", r#"XRead(key: "s", after: Some("3-0"))"#)
        .step("w", r#"XRead(key: "missing")"#)
        .run();
}

#[test]
fn xgroup_create_errors() {
    stream("xgroup_create_errors", &["1-0"])
        .step("w", r#"XGroupCreate(key: "missing", group: "g", id: "0")"#)
        .step("w", r#"XGroupCreate(key: "s", group: "g", id: "$")"#)
        .step("w", r#"XGroupCreate(key: "s", group: "g", id: "0")"#)
        .step(
            "w",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
        )
        .run();
}

#[test]
fn xreadgroup_never_hands_out_another_consumers_entries() {
    grouped(
        "xreadgroup_never_hands_out_another_consumers_entries",
        &["1-0", "2-0", "3-0", "4-0"],
    )
    .step(
        "A",
        r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">", count: 2)"#,
    )
    .step(
        "B",
        r#"XReadGroup(key: "s", group: "g", consumer: "B", id: ">", count: 1)"#,
    )
    .step("w", r#"XPending(key: "s", group: "g")"#)
    .step(
        "B",
        r#"XReadGroup(key: "s", group: "g", consumer: "B", id: ">")"#,
    )
    .step(
        "B",
        r#"XReadGroup(key: "s", group: "g", consumer: "B", id: ">")"#,
    )
    .run();
}

#[test]
fn xreadgroup_history_reads_own_pending() {
    grouped("xreadgroup_history_reads_own_pending", &["1-0", "2-0"])
        .step(
            "A",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
        )
        .step(
            "A",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: "0")"#,
        )
        .step(
            "B",
            r#"XReadGroup(key: "s", group: "g", consumer: "B", id: "0")"#,
        )
        .step("w", r#"XPending(key: "s", group: "g")"#)
        .run();
}

#[test]
fn missing_group_errors() {
    stream("missing_group_errors", &["1-0"])
        .step(
            "A",
            r#"XReadGroup(key: "s", group: "nog", consumer: "A", id: ">")"#,
        )
        .step(
            "A",
            r#"XReadGroup(key: "nokey", group: "g", consumer: "A", id: ">")"#,
        )
        .step("A", r#"XAck(key: "s", group: "nog", ids: ["1-0"])"#)
        .step("A", r#"XAck(key: "nokey", group: "g", ids: ["1-0"])"#)
        .step(
            "A",
            r#"XClaim(key: "s", group: "nog", consumer: "A", min_idle_ms: 0, ids: ["1-0"])"#,
        )
        .step(
            "A",
            r#"XAutoClaim(key: "s", group: "nog", consumer: "A", min_idle_ms: 0, start: "0-0")"#,
        )
        .step("A", r#"XPending(key: "s", group: "nog")"#)
        .step("A", r#"XPending(key: "nokey", group: "g")"#)
        .run();
}

#[test]
fn xack_counts_what_it_removed() {
    grouped("xack_counts_what_it_removed", &["1-0", "2-0", "3-0"])
        .step(
            "A",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
        )
        .step(
            "A",
            r#"XAck(key: "s", group: "g", ids: ["1-0", "2-0", "9-0"])"#,
        )
        .step("A", r#"XAck(key: "s", group: "g", ids: ["1-0"])"#)
        .step("w", r#"XPending(key: "s", group: "g")"#)
        .run();
}

#[test]
fn xclaim_min_idle_and_justid() {
    grouped("xclaim_min_idle_and_justid", &["1-0", "2-0"])
        .step("A", r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#)
        .step("B", r#"XClaim(key: "s", group: "g", consumer: "B", min_idle_ms: 3600000, ids: ["1-0"])"#)
        .step("B", r#"XClaim(key: "s", group: "g", consumer: "B", min_idle_ms: 0, ids: ["1-0", "7-0"])"#)
        .step("B", r#"XClaim(key: "s", group: "g", consumer: "B", min_idle_ms: 0, ids: ["2-0"], justid: true)"#)
        .step("w", r#"XPending(key: "s", group: "g")"#)
        .run();
}

#[test]
fn xautoclaim_scans_and_claims() {
    grouped("xautoclaim_scans_and_claims", &["1-0", "2-0", "3-0"])
        .step("A", r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#)
        .step("B", r#"XAutoClaim(key: "s", group: "g", consumer: "B", min_idle_ms: 0, start: "0-0", count: 2)"#)
        .step("B", r#"XAutoClaim(key: "s", group: "g", consumer: "B", min_idle_ms: 0, start: "3-0", count: 2, justid: true)"#)
        .step("w", r#"XPending(key: "s", group: "g")"#)
        .run();
}

#[test]
fn xautoclaim_counts_trimmed_entries_against_count() {
    grouped("xautoclaim_counts_trimmed_entries_against_count", &["1-0", "2-0", "3-0"])
        .step("A", r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#)
        .step("w", r#"XAdd(key: "s", id: Some("4-0"), maxlen: Some(2))"#)
        .step("B", r#"XAutoClaim(key: "s", group: "g", consumer: "B", min_idle_ms: 0, start: "0-0", count: 1)"#)
        .step("B", r#"XAutoClaim(key: "s", group: "g", consumer: "B", min_idle_ms: 0, start: "0-0", count: 1)"#)
        .step("w", r#"XPending(key: "s", group: "g")"#)
        .run();
}

#[test]
fn history_read_over_trimmed_pending_entries() {
    grouped(
        "history_read_over_trimmed_pending_entries",
        &["1-0", "2-0", "3-0"],
    )
    .step(
        "A",
        r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
    )
    .step("w", r#"XAdd(key: "s", id: Some("4-0"), maxlen: Some(2))"#)
    .step(
        "A",
        r#"XReadGroup(key: "s", group: "g", consumer: "A", id: "0")"#,
    )
    .step(
        "A",
        r#"XReadGroup(key: "s", group: "g", consumer: "A", id: "0")"#,
    )
    .step("w", r#"XPending(key: "s", group: "g")"#)
    .run();
}

#[test]
fn xclaim_of_a_trimmed_entry_drops_it_from_the_pel() {
    grouped(
        "xclaim_of_a_trimmed_entry_drops_it_from_the_pel",
        &["1-0", "2-0"],
    )
    .step(
        "A",
        r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
    )
    .step("w", r#"XAdd(key: "s", id: Some("3-0"), maxlen: Some(1))"#)
    .step(
        "B",
        r#"XClaim(key: "s", group: "g", consumer: "B", min_idle_ms: 3600000, ids: ["1-0"])"#,
    )
    .step("w", r#"XPending(key: "s", group: "g")"#)
    .run();
}

#[test]
fn xreadgroup_after_everything_trimmed() {
    grouped("xreadgroup_after_everything_trimmed", &["1-0", "2-0"])
        .step(
            "A",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
        )
        .step("w", r#"XAdd(key: "s", id: Some("3-0"), maxlen: Some(0))"#)
        .step(
            "A",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
        )
        .step("w", r#"XLen(key: "s")"#)
        .run();
}

#[test]
fn stream_commands_on_a_string_are_wrongtype() {
    Case::new("stream_commands_on_a_string_are_wrongtype")
        .clients_on_r1(&["w"])
        .step("w", r#"Set(key: "k", value: 1)"#)
        .step("w", r#"XAdd(key: "k", id: Some("1-0"))"#)
        .step("w", r#"XLen(key: "k")"#)
        .step("w", r#"XRead(key: "k")"#)
        .step("w", r#"XGroupCreate(key: "k", group: "g", id: "0")"#)
        .step(
            "w",
            r#"XReadGroup(key: "k", group: "g", consumer: "A", id: ">")"#,
        )
        .step("w", r#"XPending(key: "k", group: "g")"#)
        .run();
}

#[test]
fn group_created_at_the_end_sees_only_new_entries() {
    stream(
        "group_created_at_the_end_sees_only_new_entries",
        &["1-0", "2-0"],
    )
    .step("w", r#"XGroupCreate(key: "s", group: "g", id: "$")"#)
    .step(
        "A",
        r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
    )
    .step("w", r#"XAdd(key: "s", id: Some("3-0"))"#)
    .step(
        "A",
        r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
    )
    .run();
}

#[test]
fn xpending_summary_form() {
    grouped("xpending_summary_form", &["1-0", "2-0", "3-0"])
        .step("w", r#"XPending(key: "s", group: "g", summary: true)"#)
        .step(
            "A",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">", count: 2)"#,
        )
        .step(
            "B",
            r#"XReadGroup(key: "s", group: "g", consumer: "B", id: ">")"#,
        )
        .step("w", r#"XPending(key: "s", group: "g", summary: true)"#)
        .step("A", r#"XAck(key: "s", group: "g", ids: ["1-0", "2-0"])"#)
        .step("w", r#"XPending(key: "s", group: "g", summary: true)"#)
        .step("w", r#"XPending(key: "s", group: "nog", summary: true)"#)
        .run();
}

/// XREADGROUP NOACK: `>` delivers and moves the group's last delivered id but adds nothing to
/// the PEL; a history read then has nothing to serve.
#[test]
fn xreadgroup_noack_leaves_nothing_pending() {
    grouped("xreadgroup_noack_leaves_nothing_pending", &["1-0", "2-0"])
        .step(
            "w",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">", count: 1, noack: true)"#,
        )
        .step("w", r#"XPending(key: "s", group: "g", summary: true)"#)
        .step(
            "w",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: "0")"#,
        )
        .step(
            "w",
            r#"XReadGroup(key: "s", group: "g", consumer: "B", id: ">")"#,
        )
        .step("w", r#"XPending(key: "s", group: "g")"#)
        .run();
}
