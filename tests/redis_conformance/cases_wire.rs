//! Wire order: where a subscribed client's pushed messages fall between the replies to its own
//! commands (`Obs::wire`, compared by `case::wire_order` in every case; these cases are built
//! for it). Redis writes a PUBLISH's messages to every subscriber's output buffer before the
//! publisher's own reply (pubsub.c `publishCommand`: `pubsubPublishMessage…` then
//! `addReplyLongLong`), channel subscribers before pattern subscribers
//! (`pubsubPublishMessageInternal`), so a client subscribed to what it publishes reads its own
//! message first.

use crate::case::Case;
use crate::check::Run;

#[test]
fn resp3_own_publish_pushes_before_the_reply() {
    Case::new("resp3_own_publish_pushes_before_the_reply")
        .clients_on_r1(&["s", "p"])
        .step("s", "Hello(protover: Some(3))")
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step("s", r#"Publish(channel: "c")"#)
        .step("s", r#"Psubscribe(patterns: ["c*"])"#)
        // A message and a pmessage, then `:2`.
        .step("s", r#"Publish(channel: "c")"#)
        .step("s", r#"Publish(channel: "cx")"#)
        .step("s", r#"Publish(channel: "d")"#)
        .step("s", r#"Get(key: "k")"#)
        .step("p", r#"Publish(channel: "c", count: 2)"#)
        .step("s", r#"Set(key: "k", value: 3)"#)
        .step("s", r#"Unsubscribe(channels: ["c"])"#)
        .step("s", r#"Publish(channel: "c")"#)
        .step("s", r#"Punsubscribe(patterns: [])"#)
        .step("s", r#"Publish(channel: "c")"#)
        .run();
}

#[test]
fn resp3_messages_fall_between_replies_as_sent() {
    Case::new("resp3_messages_fall_between_replies_as_sent")
        .clients_on_r1(&["s", "p", "q"])
        .step("s", "Hello(protover: Some(3))")
        .step("s", r#"Subscribe(channels: ["c", "d"])"#)
        .step("p", r#"Publish(channel: "c", count: 3)"#)
        .step("s", r#"Get(key: "k")"#)
        .step("q", r#"Publish(channel: "d")"#)
        .step("p", r#"Publish(channel: "c")"#)
        .step("s", r#"Incr(key: "k")"#)
        .step("s", "Ping")
        .step("q", r#"Publish(channel: "c", count: 2)"#)
        .step("s", r#"XAdd(key: "st", id: Some("1-0"))"#)
        // Messages reach a client blocked in XREAD; its reply comes after them.
        .step(
            "s",
            r#"XRead(key: "st", after: Some("1-0"), block_ms: Some(0))"#,
        )
        .after(200)
        .step("p", r#"Publish(channel: "d")"#)
        .after(200)
        .step("q", r#"Publish(channel: "c")"#)
        .after(200)
        .step("p", r#"XAdd(key: "st", id: Some("2-0"))"#)
        .after(200)
        .step("p", r#"Publish(channel: "c")"#)
        .step("s", r#"XLen(key: "st")"#)
        .run();
}

#[test]
fn resp2_subscriber_replies_between_messages() {
    Case::new("resp2_subscriber_replies_between_messages")
        .clients_on_r1(&["s", "p"])
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step("p", r#"Publish(channel: "c", count: 2)"#)
        .step("s", "Ping")
        .step("p", r#"Publish(channel: "c")"#)
        .step("s", r#"Psubscribe(patterns: ["c*"])"#)
        .step("p", r#"Publish(channel: "c")"#)
        // Refused in the subscribed context: the error is a reply too.
        .step("s", r#"Get(key: "k")"#)
        .step("p", r#"Publish(channel: "cz")"#)
        .step("s", r#"Unsubscribe(channels: [])"#)
        .step("p", r#"Publish(channel: "c")"#)
        .step("s", r#"Punsubscribe(patterns: [])"#)
        .step("p", r#"Publish(channel: "c")"#)
        .step("s", "Ping")
        .run();
}

#[test]
fn resp3_replica_subscriber_reads_replies_between_propagated_messages() {
    Case::new("resp3_replica_subscriber_reads_replies_between_propagated_messages")
        .servers(2)
        .clients_on_r1(&["p"])
        .client("s", 2)
        .step("s", "Hello(protover: Some(3))")
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step("p", r#"Set(key: "k", value: 1)"#)
        .step("p", r#"Publish(channel: "c", count: 2)"#)
        .step("s", r#"Get(key: "k")"#)
        .step("p", r#"Publish(channel: "c")"#)
        .step("s", r#"Publish(channel: "c")"#)
        .step("s", "DbSize")
        .run();
}
