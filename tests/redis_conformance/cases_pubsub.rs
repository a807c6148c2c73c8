//! Pub/Sub: confirmations, counts, glob patterns, the subscribed context, delivery order.

use crate::case::Case;
use crate::check::Run;

#[test]
fn publish_without_subscribers_is_zero() {
    Case::new("publish_without_subscribers_is_zero")
        .clients_on_r1(&["p"])
        .step("p", r#"Publish(channel: "news")"#)
        .run();
}

#[test]
fn subscriber_receives_in_order() {
    Case::new("subscriber_receives_in_order")
        .clients_on_r1(&["p", "s"])
        .step("s", r#"Subscribe(channels: ["news"])"#)
        .step("p", r#"Publish(channel: "news")"#)
        .step("p", r#"Publish(channel: "news", count: 5)"#)
        .step("p", r#"Publish(channel: "other")"#)
        .run();
}

#[test]
fn channel_and_pattern_count_twice() {
    Case::new("channel_and_pattern_count_twice")
        .clients_on_r1(&["p", "s", "t"])
        .step("s", r#"Subscribe(channels: ["news"])"#)
        .step("s", r#"Psubscribe(patterns: ["n*"])"#)
        .step("t", r#"Psubscribe(patterns: ["*s", "x*"])"#)
        .step("p", r#"Publish(channel: "news")"#)
        .step("p", r#"Publish(channel: "nets")"#)
        .run();
}

#[test]
fn subscribe_confirmations_count_distinct_channels() {
    Case::new("subscribe_confirmations_count_distinct_channels")
        .clients_on_r1(&["s"])
        .step("s", r#"Subscribe(channels: ["a", "b", "a"])"#)
        .step("s", r#"Psubscribe(patterns: ["a*", "a*"])"#)
        .step("s", r#"Unsubscribe(channels: ["b", "zz"])"#)
        .run();
}

#[test]
fn unsubscribe_stops_delivery() {
    Case::new("unsubscribe_stops_delivery")
        .clients_on_r1(&["p", "s"])
        .step("s", r#"Subscribe(channels: ["x", "y"])"#)
        .step("s", r#"Unsubscribe(channels: ["x"])"#)
        .step("p", r#"Publish(channel: "x")"#)
        .step("p", r#"Publish(channel: "y")"#)
        .run();
}

#[test]
fn unsubscribe_when_not_subscribed() {
    Case::new("unsubscribe_when_not_subscribed")
        .clients_on_r1(&["s"])
        .step("s", r#"Unsubscribe(channels: ["z"])"#)
        .step("s", "Ping")
        .run();
}

#[test]
fn unsubscribe_without_arguments_leaves_every_channel() {
    Case::new("unsubscribe_without_arguments_leaves_every_channel")
        .clients_on_r1(&["p", "s"])
        .step("s", r#"Subscribe(channels: ["x", "y"])"#)
        .step("s", r#"Unsubscribe(channels: [])"#)
        .step("p", r#"Publish(channel: "x")"#)
        .step("s", r#"Set(key: "k", value: 1)"#)
        .run();
}

#[test]
fn unsubscribe_without_arguments_and_no_channels() {
    Case::new("unsubscribe_without_arguments_and_no_channels")
        .clients_on_r1(&["s"])
        .step("s", r#"Unsubscribe(channels: [])"#)
        .run();
}

#[test]
fn subscribed_context_refuses_other_commands() {
    Case::new("subscribed_context_refuses_other_commands")
        .clients_on_r1(&["s"])
        .step("s", r#"Subscribe(channels: ["x"])"#)
        .step("s", r#"Set(key: "k", value: 1)"#)
        .step("s", r#"Get(key: "k")"#)
        .step("s", r#"Publish(channel: "x")"#)
        .step("s", "Ping")
        .run();
}

#[test]
fn subscribed_context_names_the_subcommand() {
    Case::new("subscribed_context_names_the_subcommand")
        .clients_on_r1(&["a", "s"])
        .step("a", r#"XAdd(key: "st", id: Some("1-0"))"#)
        .step("s", r#"Psubscribe(patterns: ["x*"])"#)
        .step("s", r#"XGroupCreate(key: "st", group: "g", id: "0")"#)
        .step("s", r#"XLen(key: "st")"#)
        .run();
}

#[test]
fn glob_patterns_match_as_redis() {
    Case::new("glob_patterns_match_as_redis")
        .clients_on_r1(&["p", "s"])
        .step(
            "s",
            r#"Psubscribe(patterns: ["h?llo", "h[ae]y", "h[^e]llo", "a\\*b", "r[a-c]x", "*"])"#,
        )
        .step("p", r#"Publish(channel: "hello")"#)
        .step("p", r#"Publish(channel: "hay")"#)
        .step("p", r#"Publish(channel: "hallo")"#)
        .step("p", r#"Publish(channel: "a*b")"#)
        .step("p", r#"Publish(channel: "axb")"#)
        .step("p", r#"Publish(channel: "rbx")"#)
        .step("p", r#"Publish(channel: "rdx")"#)
        .run();
}

#[test]
fn two_publishers_two_subscribers() {
    Case::new("two_publishers_two_subscribers")
        .clients_on_r1(&["p", "q", "s", "t"])
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step("t", r#"Subscribe(channels: ["c", "d"])"#)
        .step("p", r#"Publish(channel: "c", count: 3)"#)
        .step("q", r#"Publish(channel: "d", count: 2)"#)
        .step("q", r#"Publish(channel: "c")"#)
        .step("p", r#"Publish(channel: "c")"#)
        .run();
}

#[test]
fn a_disconnected_subscriber_is_not_resubscribed() {
    Case::new("a_disconnected_subscriber_is_not_resubscribed")
        .clients_on_r1(&["p", "s"])
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step("s", "Disconnect")
        .step("p", r#"Publish(channel: "c")"#)
        .step("s", "Connect")
        .step("p", r#"Publish(channel: "c")"#)
        .run();
}

#[test]
fn a_subscriber_that_stops_reading_gets_its_messages_later() {
    Case::new("a_subscriber_that_stops_reading_gets_its_messages_later")
        .clients_on_r1(&["p", "s"])
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step("s", "StopReading")
        .step("p", r#"Publish(channel: "c", count: 10)"#)
        .step("s", "StartReading")
        .step("p", r#"Publish(channel: "c")"#)
        .run();
}

#[test]
fn publish_with_a_large_payload() {
    Case::new("publish_with_a_large_payload")
        .clients_on_r1(&["p", "s"])
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step(
            "p",
            r#"Publish(channel: "c", payload_bytes: 20000, count: 3)"#,
        )
        .run();
}

#[test]
fn punsubscribe_some_then_all() {
    Case::new("punsubscribe_some_then_all")
        .clients_on_r1(&["p", "s"])
        .step("s", r#"Psubscribe(patterns: ["a*", "b*", "c*"])"#)
        .step("s", r#"Subscribe(channels: ["ax"])"#)
        .step("s", r#"Punsubscribe(patterns: ["b*", "zz"])"#)
        .step("p", r#"Publish(channel: "ax")"#)
        .step("s", r#"Punsubscribe(patterns: [])"#)
        .step("p", r#"Publish(channel: "ax")"#)
        .step("s", r#"Unsubscribe(channels: [])"#)
        .step("s", "Ping")
        .run();
}

#[test]
fn punsubscribe_without_patterns() {
    Case::new("punsubscribe_without_patterns")
        .clients_on_r1(&["s"])
        .step("s", r#"Subscribe(channels: ["x"])"#)
        .step("s", r#"Punsubscribe(patterns: [])"#)
        .step("s", r#"Punsubscribe(patterns: ["q*"])"#)
        .run();
}

/// Pub/Sub ignores the logical database (pubsub.c: channels are server-wide): a subscriber
/// in db 3 gets what a publisher in db 0 or db 5 sends; SELECT is refused while subscribed.
#[test]
fn pubsub_ignores_the_database() {
    Case::new("pubsub_ignores_the_database")
        .clients_on_r1(&["p", "s", "t"])
        .step("s", "Select(db: 3)")
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step("t", r#"Psubscribe(patterns: ["c*"])"#)
        .step("p", r#"Publish(channel: "c", count: 2)"#)
        .step("p", "Select(db: 5)")
        .step("p", r#"Publish(channel: "c")"#)
        .step("s", "Select(db: 1)")
        .run();
}
