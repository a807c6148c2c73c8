//! XRANGE / XREVRANGE (COUNT, open `(` bounds, ms-only ids, bad ids), XDEL and exact XTRIM,
//! on a primary and as its replica sees them.

use crate::case::Case;
use crate::check::Run;

fn three_entries(c: Case) -> Case {
    c.step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"XAdd(key: "s", id: Some("1-1"))"#)
        .step("a", r#"XAdd(key: "s", id: Some("2-0"))"#)
}

#[test]
fn xrange_bounds_and_count() {
    three_entries(Case::new("xrange_bounds_and_count").clients_on_r1(&["a"]))
        .step("a", r#"XRange(key: "s", start: "-", end: "+")"#)
        .step("a", r#"XRange(key: "s", start: "1", end: "1")"#)
        .step(
            "a",
            r#"XRange(key: "s", start: "(1-0", end: "+", count: Some(1))"#,
        )
        .step("a", r#"XRange(key: "s", start: "-", end: "(2-0")"#)
        .step("a", r#"XRange(key: "s", start: "2", end: "1")"#)
        .step(
            "a",
            r#"XRange(key: "s", start: "-", end: "+", count: Some(0))"#,
        )
        .step(
            "a",
            r#"XRange(key: "s", start: "-", end: "+", count: Some(-3))"#,
        )
        .step("a", r#"XRange(key: "nokey", start: "-", end: "+")"#)
        .run();
}

#[test]
fn xrevrange_newest_first() {
    three_entries(Case::new("xrevrange_newest_first").clients_on_r1(&["a"]))
        .step("a", r#"XRevRange(key: "s", end: "+", start: "-")"#)
        .step(
            "a",
            r#"XRevRange(key: "s", end: "+", start: "-", count: Some(2))"#,
        )
        .step("a", r#"XRevRange(key: "s", end: "(2-0", start: "(1-0")"#)
        .step("a", r#"XRevRange(key: "s", end: "1", start: "1")"#)
        .run();
}

#[test]
fn xrange_bad_bounds_and_types() {
    three_entries(Case::new("xrange_bad_bounds_and_types").clients_on_r1(&["a"]))
        .step("a", r#"XRange(key: "s", start: "(-", end: "+")"#)
        .step("a", r#"XRange(key: "s", start: "-", end: "(0-0")"#)
        .step("a", r#"XRange(key: "s", start: "1-x", end: "+")"#)
        .step(
            "a",
            r#"XRange(key: "s", start: "(18446744073709551615-18446744073709551615", end: "+")"#,
        )
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", r#"XRange(key: "k", start: "-", end: "+")"#)
        .step("a", r#"XRange(key: "k", start: "(-", end: "+")"#)
        .step("a", r#"XDel(key: "k", ids: ["1-0"])"#)
        .step("a", r#"XTrim(key: "k", maxlen: Some(1))"#)
        .run();
}

#[test]
fn xdel_counts_what_existed() {
    three_entries(Case::new("xdel_counts_what_existed").clients_on_r1(&["a"]))
        .step("a", r#"XDel(key: "s", ids: ["1-1", "5-0", "1-1"])"#)
        .step("a", r#"XLen(key: "s")"#)
        .step("a", r#"XRange(key: "s", start: "-", end: "+")"#)
        .step("a", r#"XDel(key: "nokey", ids: ["1-0"])"#)
        .step("a", r#"XAdd(key: "s", id: Some("1-5"))"#)
        .run();
}

#[test]
fn xdel_of_a_pending_entry_leaves_it_pending() {
    three_entries(Case::new("xdel_of_a_pending_entry_leaves_it_pending").clients_on_r1(&["a"]))
        .step("a", r#"XGroupCreate(key: "s", group: "g", id: "0")"#)
        .step(
            "a",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
        )
        .step("a", r#"XDel(key: "s", ids: ["1-0"])"#)
        .step("a", r#"XPending(key: "s", group: "g", summary: true)"#)
        .step(
            "a",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: "0")"#,
        )
        .run();
}

#[test]
fn xtrim_maxlen_and_minid_exact() {
    three_entries(Case::new("xtrim_maxlen_and_minid_exact").clients_on_r1(&["a"]))
        .step("a", r#"XTrim(key: "s", minid: Some("1-1"))"#)
        .step("a", r#"XTrim(key: "s", minid: Some("1-1"))"#)
        .step("a", r#"XTrim(key: "s", maxlen: Some(1))"#)
        .step("a", r#"XRange(key: "s", start: "-", end: "+")"#)
        .step("a", r#"XTrim(key: "nokey", maxlen: Some(0))"#)
        .step("a", r#"XTrim(key: "s", maxlen: Some(0))"#)
        .step("a", r#"XLen(key: "s")"#)
        .run();
}

#[test]
fn xdel_and_xtrim_reach_the_replica() {
    three_entries(
        Case::new("xdel_and_xtrim_reach_the_replica")
            .servers(2)
            .client("a", 1)
            .client("b", 2),
    )
    .step("a", r#"XAdd(key: "s", id: Some("3-0"))"#)
    .step("a", r#"XDel(key: "s", ids: ["1-1"])"#)
    .step("a", r#"XTrim(key: "s", maxlen: Some(2))"#)
    .step("b", r#"XRange(key: "s", start: "-", end: "+")"#)
    .step(
        "b",
        r#"XRevRange(key: "s", end: "+", start: "-", count: Some(1))"#,
    )
    .step("b", r#"XDel(key: "s", ids: ["2-0"])"#)
    .step("b", r#"XTrim(key: "s", maxlen: Some(0))"#)
    .run();
}

fn xinfo(c: Case) -> Case {
    c.step("a", r#"XInfoStream(key: "s")"#)
        .step("a", r#"XInfoGroups(key: "s")"#)
}

/// XINFO STREAM / GROUPS through reads, XDEL (a tombstone makes the lag unknown), a claim
/// (creates a consumer) and trimming past the tombstone; radix-tree sizes are masked.
#[test]
fn xinfo_stream_and_groups() {
    let c = Case::new("xinfo_stream_and_groups")
        .clients_on_r1(&["a"])
        .step("a", r#"XInfoStream(key: "s")"#)
        .step("a", r#"Set(key: "str", value: 1)"#)
        .step("a", r#"XInfoGroups(key: "str")"#);
    let c = three_entries(c)
        .step("a", r#"XAdd(key: "s", id: Some("3-0"))"#)
        .step("a", r#"XGroupCreate(key: "s", group: "g", id: "0")"#)
        .step("a", r#"XGroupCreate(key: "s", group: "h", id: "$")"#);
    let c = xinfo(c)
        .step(
            "a",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">", count: 1)"#,
        )
        .step("a", r#"XDel(key: "s", ids: ["2-0"])"#);
    let c = xinfo(c)
        .step(
            "a",
            r#"XReadGroup(key: "s", group: "g", consumer: "B", id: ">")"#,
        )
        .step(
            "a",
            r#"XClaim(key: "s", group: "g", consumer: "C", min_idle_ms: 0, ids: ["1-0"])"#,
        )
        // Nothing to serve: no consumer is created.
        .step(
            "a",
            r#"XReadGroup(key: "s", group: "h", consumer: "D", id: ">")"#,
        );
    let c = xinfo(c).step("a", r#"XTrim(key: "s", maxlen: Some(1))"#);
    let c = xinfo(c).step("a", r#"XDel(key: "s", ids: ["3-0"])"#);
    xinfo(c).run();
}

/// XINFO CONSUMERS (Redis 7.0: name, pending, idle; idle masked): errors for a missing key,
/// a string and a missing group; consumers as reads and claims create them, their pending
/// counts through XACK and XCLAIM, a consumer with nothing pending kept.
#[test]
fn xinfo_consumers() {
    let c = Case::new("xinfo_consumers")
        .clients_on_r1(&["a"])
        .step("a", r#"XInfoConsumers(key: "s", group: "g")"#)
        .step("a", r#"Set(key: "str", value: 1)"#)
        .step("a", r#"XInfoConsumers(key: "str", group: "g")"#);
    let consumers = r#"XInfoConsumers(key: "s", group: "g")"#;
    three_entries(c)
        .step("a", r#"XInfoConsumers(key: "s", group: "nog")"#)
        .step("a", r#"XGroupCreate(key: "s", group: "g", id: "0")"#)
        .step("a", consumers)
        .step(
            "a",
            r#"XReadGroup(key: "s", group: "g", consumer: "B", id: ">", count: 2)"#,
        )
        .step(
            "a",
            r#"XReadGroup(key: "s", group: "g", consumer: "A", id: ">")"#,
        )
        .step("a", consumers)
        .step("a", r#"XAck(key: "s", group: "g", ids: ["1-0"])"#)
        .step(
            "a",
            r#"XClaim(key: "s", group: "g", consumer: "A", min_idle_ms: 0, ids: ["1-1"])"#,
        )
        .step("a", consumers)
        .run();
}

/// `MAXLEN ~` / `MINID ~` remove whole listpack nodes only: 1000-byte values fill a
/// 4096-byte node with four entries; XINFO's `radix-tree-keys` counts the nodes; XDEL of a
/// node's last live entries frees it; the replica applies the trims exactly and ends equal.
#[test]
fn approximate_trimming_removes_whole_nodes() {
    let mut c = Case::new("approximate_trimming_removes_whole_nodes")
        .servers(2)
        .client("a", 1)
        .client("b", 2);
    for i in 1..=10 {
        c = c.step(
            "a",
            &format!(r#"XAdd(key: "s", id: Some("{i}-0"), bytes: 1000)"#),
        );
    }
    c.step("a", r#"XInfoStream(key: "s")"#)
        .step("a", r#"XTrim(key: "s", maxlen: Some(5), approx: true)"#)
        .step("a", r#"XTrim(key: "s", maxlen: Some(5), approx: true)"#)
        .step(
            "a",
            r#"XAdd(key: "s", id: Some("11-0"), minid: Some("9-0"), approx: true, bytes: 1000)"#,
        )
        .step("a", r#"XRange(key: "s", start: "-", end: "+")"#)
        .step("a", r#"XInfoStream(key: "s")"#)
        .after(200)
        .step("b", r#"XInfoStream(key: "s")"#)
        .step("a", r#"XTrim(key: "s", maxlen: Some(1))"#)
        .step("a", r#"XDel(key: "s", ids: ["11-0"])"#)
        .step("a", r#"XInfoStream(key: "s")"#)
        .step("a", r#"XAdd(key: "s", id: Some("12-0"), bytes: 1000)"#)
        .step("a", r#"XInfoStream(key: "s")"#)
        .run();
}
