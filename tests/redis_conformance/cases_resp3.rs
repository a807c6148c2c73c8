//! RESP3 (`HELLO 3`): the HELLO reply and its errors, per-connection protocol, push frames for
//! pub/sub interleaved with replies, commands while subscribed, RESP2 vs RESP3 shapes of the
//! stream replies, and switching protocol on a live connection.

use crate::case::Case;
use crate::check::Run;

#[test]
fn hello_replies_the_server_map_in_either_protocol() {
    Case::new("hello_replies_the_server_map_in_either_protocol")
        .clients_on_r1(&["a", "b"])
        .step("a", "Hello()")
        .step("a", "Hello(protover: Some(2))")
        .step("a", "Hello(protover: Some(3))")
        .step("a", "Hello()")
        .step("a", "Ping")
        // The other connection still speaks RESP2.
        .step("b", r#"Get(key: "nope")"#)
        .step("a", r#"Get(key: "nope")"#)
        .run();
}

#[test]
fn hello_refuses_other_versions_and_keeps_the_protocol() {
    Case::new("hello_refuses_other_versions_and_keeps_the_protocol")
        .clients_on_r1(&["a"])
        .step("a", "Hello(protover: Some(1))")
        .step("a", "Hello(protover: Some(4))")
        .step("a", r#"Get(key: "nope")"#)
        .step("a", "Hello(protover: Some(3))")
        .step("a", "Hello(protover: Some(0))")
        .step("a", "Hello(protover: Some(-3))")
        .step("a", r#"Get(key: "nope")"#)
        .run();
}

#[test]
fn resp3_nulls_and_verbatim_info() {
    Case::new("resp3_nulls_and_verbatim_info")
        .servers(2)
        .clients_on_r1(&["a"])
        .client("r", 2)
        .step("a", "Hello(protover: Some(3))")
        .step("a", r#"Get(key: "k")"#)
        .step("a", r#"XRead(key: "s")"#)
        .step("a", r#"Set(key: "k", value: 41)"#)
        .step("a", r#"Incr(key: "k")"#)
        .step("a", r#"Info(section: "replication")"#)
        .step("a", "Wait(numreplicas: 1, timeout_ms: 0)")
        .step("r", "Hello(protover: Some(3))")
        .step("r", r#"Info(section: "replication")"#)
        .step("r", r#"Set(key: "k", value: 1)"#)
        .step("r", "DbSize")
        .run();
}

#[test]
fn resp3_subscriptions_are_push_frames() {
    Case::new("resp3_subscriptions_are_push_frames")
        .clients_on_r1(&["p", "s"])
        .step("s", "Hello(protover: Some(3))")
        .step("s", r#"Unsubscribe(channels: [])"#)
        .step("s", r#"Punsubscribe(patterns: [])"#)
        .step("s", r#"Subscribe(channels: ["a", "b"])"#)
        .step("s", r#"Psubscribe(patterns: ["a*"])"#)
        .step("p", r#"Publish(channel: "a", count: 3)"#)
        .step("p", r#"Publish(channel: "b")"#)
        .step("s", r#"Unsubscribe(channels: ["b"])"#)
        .step("p", r#"Publish(channel: "b")"#)
        .step("s", r#"Punsubscribe(patterns: [])"#)
        .step("s", r#"Unsubscribe(channels: [])"#)
        .step("p", r#"Publish(channel: "a")"#)
        .run();
}

#[test]
fn resp3_client_runs_any_command_while_subscribed() {
    Case::new("resp3_client_runs_any_command_while_subscribed")
        .clients_on_r1(&["p", "s"])
        .step("s", "Hello(protover: Some(3))")
        .step("s", r#"Subscribe(channels: ["x"])"#)
        .step("s", r#"Set(key: "k", value: 7)"#)
        .step("p", r#"Publish(channel: "x", count: 2)"#)
        .step("s", r#"Get(key: "k")"#)
        .step("s", "Ping")
        .step("s", r#"XAdd(key: "st", id: Some("1-0"))"#)
        .step("s", r#"XGroupCreate(key: "st", group: "g", id: "0")"#)
        .step("p", r#"Publish(channel: "x")"#)
        .step("s", r#"Publish(channel: "x")"#)
        .step("s", r#"XLen(key: "st")"#)
        .step("s", "Hello()")
        .run();
}

#[test]
fn resp2_subscribed_client_cannot_switch_protocol() {
    Case::new("resp2_subscribed_client_cannot_switch_protocol")
        .clients_on_r1(&["p", "s"])
        .step("s", r#"Subscribe(channels: ["x"])"#)
        .step("s", "Hello(protover: Some(3))")
        .step("s", "Ping")
        .step("p", r#"Publish(channel: "x")"#)
        .step("s", r#"Unsubscribe(channels: ["x"])"#)
        .step("s", "Hello(protover: Some(3))")
        .step("s", r#"Subscribe(channels: ["x"])"#)
        .step("p", r#"Publish(channel: "x")"#)
        .step("s", r#"Get(key: "k")"#)
        .run();
}

#[test]
fn switching_back_to_resp2_restores_the_subscribed_context() {
    Case::new("switching_back_to_resp2_restores_the_subscribed_context")
        .clients_on_r1(&["p", "s"])
        .step("s", "Hello(protover: Some(3))")
        .step("s", r#"Subscribe(channels: ["x"])"#)
        .step("p", r#"Publish(channel: "x")"#)
        .step("s", "Hello(protover: Some(2))")
        .step("s", r#"Get(key: "k")"#)
        .step("s", "Ping")
        .step("p", r#"Publish(channel: "x", count: 2)"#)
        .step("s", r#"Psubscribe(patterns: ["y*"])"#)
        .step("s", r#"Unsubscribe(channels: [])"#)
        .step("s", "Hello(protover: Some(3))")
        .step("s", r#"Get(key: "k")"#)
        .run();
}

#[test]
fn stream_replies_in_resp2_and_resp3() {
    let mut case = Case::new("stream_replies_in_resp2_and_resp3")
        .clients_on_r1(&["a"])
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"XAdd(key: "s", id: Some("2-0"))"#)
        .step("a", r#"XGroupCreate(key: "s", group: "g", id: "0")"#)
        .step(
            "a",
            r#"XReadGroup(key: "s", group: "g", consumer: "c", id: ">")"#,
        )
        .step("a", r#"XDel(key: "s", ids: ["1-0"])"#);
    // The same reads and reports once in each protocol.
    for proto in [2, 3] {
        case = case
            .step("a", &format!("Hello(protover: Some({proto}))"))
            .step("a", r#"XRead(key: "s")"#)
            .step("a", r#"XRead(key: "s", after: Some("$"))"#)
            .step(
                "a",
                r#"XReadGroup(key: "s", group: "g", consumer: "c", id: ">")"#,
            )
            .step(
                "a",
                r#"XReadGroup(key: "s", group: "g", consumer: "c", id: "0")"#,
            )
            .step("a", r#"XPending(key: "s", group: "g", summary: true)"#)
            .step("a", r#"XPending(key: "s", group: "g")"#)
            .step("a", r#"XPending(key: "s", group: "none", summary: true)"#)
            .step("a", r#"XInfoStream(key: "s")"#)
            .step("a", r#"XInfoGroups(key: "s")"#)
            .step("a", r#"XInfoConsumers(key: "s", group: "g")"#)
            .step("a", r#"XRange(key: "s", start: "-", end: "+")"#)
            .step(
                "a",
                r#"XRange(key: "s", start: "-", end: "+", count: Some(0))"#,
            )
            .step(
                "a",
                r#"XAutoClaim(key: "s", group: "g", consumer: "d", min_idle_ms: 0, start: "0-0")"#,
            )
            .step(
                "a",
                r#"XClaim(key: "s", group: "g", consumer: "c", min_idle_ms: 0, ids: ["2-0"])"#,
            );
    }
    case.run();
}

#[test]
fn empty_stream_and_group_in_resp3() {
    Case::new("empty_stream_and_group_in_resp3")
        .clients_on_r1(&["a"])
        .step("a", "Hello(protover: Some(3))")
        .step("a", r#"XAdd(key: "e", id: Some("1-0"))"#)
        .step("a", r#"XDel(key: "e", ids: ["1-0"])"#)
        .step("a", r#"XGroupCreate(key: "e", group: "g", id: "0")"#)
        .step("a", r#"XPending(key: "e", group: "g", summary: true)"#)
        .step("a", r#"XInfoStream(key: "e")"#)
        .step("a", r#"XInfoGroups(key: "e")"#)
        .step(
            "a",
            r#"XReadGroup(key: "e", group: "g", consumer: "c", id: ">")"#,
        )
        .step(
            "a",
            r#"XReadGroup(key: "e", group: "g", consumer: "c", id: "0")"#,
        )
        .run();
}

#[test]
fn resp3_blocked_read_is_served_as_a_map_or_times_out_null() {
    Case::new("resp3_blocked_read_is_served_as_a_map_or_times_out_null")
        .clients_on_r1(&["a", "b"])
        .step("b", "Hello(protover: Some(3))")
        .step(
            "b",
            r#"XRead(key: "s", after: Some("$"), block_ms: Some(0))"#,
        )
        .step("a", r#"XAdd(key: "s", id: Some("5-0"))"#)
        .step(
            "b",
            r#"XRead(key: "s", after: Some("$"), block_ms: Some(50))"#,
        )
        .after(200)
        .step("b", r#"XRead(key: "s")"#)
        .run();
}

#[test]
fn xinfo_stream_full_in_both_protocols() {
    let mut case = Case::new("xinfo_stream_full_in_both_protocols")
        .clients_on_r1(&["a"])
        .step("a", r#"XInfoStream(key: "f", full: true)"#);
    for i in 1..=4 {
        case = case.step("a", &format!(r#"XAdd(key: "f", id: Some("{i}-0"))"#));
    }
    case = case
        .step("a", r#"XGroupCreate(key: "f", group: "g", id: "0")"#)
        .step("a", r#"XGroupCreate(key: "f", group: "h", id: "$")"#)
        .step(
            "a",
            r#"XReadGroup(key: "f", group: "g", consumer: "c1", id: ">", count: 2)"#,
        )
        .step(
            "a",
            r#"XReadGroup(key: "f", group: "g", consumer: "c2", id: ">", count: 1)"#,
        )
        .step("a", r#"XDel(key: "f", ids: ["2-0"])"#);
    for proto in [2, 3] {
        case = case
            .step("a", &format!("Hello(protover: Some({proto}))"))
            .step("a", r#"XInfoStream(key: "f", full: true)"#)
            .step("a", r#"XInfoStream(key: "f", full: true, count: Some(1))"#)
            .step("a", r#"XInfoStream(key: "f", full: true, count: Some(0))"#);
    }
    case.run();
}
