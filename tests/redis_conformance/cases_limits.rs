//! Limits: maxmemory, min-replicas-to-write, output-buffer limits, and the order of the checks
//! in processCommand.

use crate::case::Case;
use crate::check::Run;

#[test]
fn noreplicas_refuses_writes_not_reads_or_publish() {
    Case::new("noreplicas_refuses_writes_not_reads_or_publish")
        .conf("min-replicas-to-write", "1")
        .clients_on_r1(&["a"])
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", r#"Get(key: "k")"#)
        .step("a", r#"Publish(channel: "c")"#)
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"Incr(key: "k")"#)
        .step("a", r#"Del(key: "k")"#)
        .run();
}

#[test]
fn noreplicas_comes_before_the_subscribed_context() {
    Case::new("noreplicas_comes_before_the_subscribed_context")
        .conf("min-replicas-to-write", "1")
        .clients_on_r1(&["s"])
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step("s", r#"Set(key: "k", value: 1)"#)
        .step("s", r#"Get(key: "k")"#)
        .run();
}

#[test]
fn maxmemory_noeviction_refuses_writes_at_the_limit() {
    let mut c = Case::new("maxmemory_noeviction_refuses_writes_at_the_limit")
        .conf("maxmemory", "2097152")
        .clients_on_r1(&["a"]);
    for i in 0..20 {
        c = c.step(
            "a",
            &format!(r#"Set(key: "k{i}", value: {i}, bytes: Some(100000))"#),
        );
    }
    c.step("a", r#"Get(key: "k0")"#)
        .step("a", r#"Del(key: "k0")"#)
        .run();
}

#[test]
fn maxmemory_allows_reads_and_deletes_when_over() {
    Case::new("maxmemory_allows_reads_and_deletes_when_over")
        .conf("maxmemory", "1")
        .clients_on_r1(&["a"])
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", r#"Get(key: "k")"#)
        .step("a", r#"Del(key: "k")"#)
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"Publish(channel: "c")"#)
        .run();
}

#[test]
fn pubsub_hard_limit_closes_a_subscriber_that_does_not_read() {
    Case::new("pubsub_hard_limit_closes_a_subscriber_that_does_not_read")
        .conf("client-output-buffer-limit", "pubsub 1048576 0 0")
        .clients_on_r1(&["p", "s"])
        .step("s", r#"Subscribe(channels: ["c"])"#)
        .step("s", "StopReading")
        .step(
            "p",
            r#"Publish(channel: "c", payload_bytes: 100000, count: 200)"#,
        )
        // How many of the 200 still count the subscriber depends on how the server's reads
        // of the pipelined batch interleave with its frees (the model runs the batch as one
        // command): compared are the close and what comes after.
        .ignore_last_reply()
        .after(200)
        .step("p", r#"Publish(channel: "c")"#)
        .ignore_pushes_of("s")
        .run();
}

#[test]
fn a_small_write_passes_right_after_a_big_one_is_refused() {
    let mut c = Case::new("a_small_write_passes_right_after_a_big_one_is_refused")
        .conf("maxmemory", "1572864")
        .clients_on_r1(&["a"]);
    for i in 0..8 {
        c = c.step(
            "a",
            &format!(r#"Set(key: "k{i}", value: {i}, bytes: Some(100000))"#),
        );
    }
    c.step("a", r#"Incr(key: "n")"#)
        .step("a", r#"Set(key: "s", value: 5)"#)
        .run();
}

#[test]
fn maxmemory_boundary_with_small_values() {
    let mut c = Case::new("maxmemory_boundary_with_small_values")
        .conf("maxmemory", "1048576")
        .clients_on_r1(&["a"]);
    for i in 0..14 {
        c = c.step(
            "a",
            &format!(r#"Set(key: "k{i}", value: {i}, bytes: Some(10000))"#),
        );
    }
    c.run();
}
