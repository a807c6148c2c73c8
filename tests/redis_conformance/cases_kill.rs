//! A client's connection killed from the server side (`CLIENT KILL ADDR` / `TYPE`): the
//! reply count, what the killed client sees next (its waiting command and later ones get
//! "connection closed" unless it reconnects), and what the server does with its
//! subscriptions and its blocked command.

use crate::case::Case;
use crate::check::Run;

#[test]
fn killed_subscriber_loses_its_subscriptions() {
    Case::new("killed_subscriber_loses_its_subscriptions")
        .clients_on_r1(&["a", "p", "s"])
        .step("s", r#"Subscribe(channels: ["x"])"#)
        .step("p", r#"Publish(channel: "x")"#)
        .step("a", r#"ClientKill(client: Some("s"))"#)
        .step("p", r#"Publish(channel: "x")"#)
        .step("s", r#"Get(key: "k")"#)
        .step("s", "Connect")
        .step("p", r#"Publish(channel: "x")"#)
        .step("s", r#"Get(key: "k")"#)
        .run();
}

#[test]
fn kill_type_pubsub_spares_the_caller_and_normal_clients() {
    Case::new("kill_type_pubsub_spares_the_caller_and_normal_clients")
        .clients_on_r1(&["a", "n", "s", "t"])
        .step("s", r#"Subscribe(channels: ["x"])"#)
        .step("t", "Hello(protover: Some(3))")
        .step("t", r#"Psubscribe(patterns: ["*"])"#)
        .step("a", r#"Subscribe(channels: ["x"])"#)
        .step("a", r#"Unsubscribe(channels: ["x"])"#)
        .step("t", r#"ClientKill(client_type: Some(Pubsub))"#)
        .step("n", r#"Publish(channel: "x")"#)
        .step("n", r#"ClientKill(client_type: Some(Normal))"#)
        .step("s", "Ping")
        .step("t", "Ping")
        .step("n", "Ping")
        .run();
}

#[test]
fn kill_filters_that_match_nobody() {
    Case::new("kill_filters_that_match_nobody")
        .clients_on_r1(&["a", "b"])
        .step("a", r#"ClientKill(client: Some("a"))"#)
        .step("a", r#"ClientKill(client: Some("nobody"))"#)
        .step(
            "a",
            r#"ClientKill(client: Some("b"), client_type: Some(Pubsub))"#,
        )
        .step("a", "ClientKill()")
        .step("b", "Ping")
        .step(
            "a",
            r#"ClientKill(client: Some("b"), client_type: Some(Normal))"#,
        )
        .step("b", "Ping")
        .run();
}

#[test]
fn killed_blocked_reader_is_no_longer_served() {
    Case::new("killed_blocked_reader_is_no_longer_served")
        .servers(2)
        .clients_on_r1(&["a", "b", "c", "w"])
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"XGroupCreate(key: "s", group: "g", id: "$")"#)
        .step(
            "b",
            r#"XReadGroup(key: "s", group: "g", consumer: "b", id: ">", count: 1, block_ms: Some(0))"#,
        )
        .step(
            "c",
            r#"XReadGroup(key: "s", group: "g", consumer: "c", id: ">", count: 1, block_ms: Some(0))"#,
        )
        .step("w", "Wait(numreplicas: 2, timeout_ms: 0)")
        .step("a", r#"ClientKill(client: Some("b"))"#)
        .step("a", r#"ClientKill(client: Some("w"))"#)
        .step("a", r#"XAdd(key: "s", id: Some("2-0"))"#)
        .step("a", r#"XPending(key: "s", group: "g")"#)
        .step("a", r#"XInfoConsumers(key: "s", group: "g")"#)
        .step("b", r#"XLen(key: "s")"#)
        .run();
}

#[test]
fn killed_client_with_reconnect_comes_back_at_its_next_command() {
    Case::new("killed_client_with_reconnect_comes_back_at_its_next_command")
        .clients_on_r1(&["a", "b"])
        .reconnect("b")
        .step("b", r#"Select(db: 1)"#)
        .step("b", r#"Set(key: "k", value: 1)"#)
        .step("a", r#"ClientKill(client: Some("b"))"#)
        .step("b", r#"Get(key: "k")"#)
        .step("b", r#"Select(db: 1)"#)
        .step("b", r#"Get(key: "k")"#)
        .run();
}

/// Replicas' connections and the master link are clients too (networking.c
/// `clientKillCommand`, `getClientType`): TYPE replica / slave on the primary drops every
/// replica, which reconnects and continues (`sync_partial_ok` on r1 counts each); TYPE master
/// on a replica drops its own link (a partial resync too); each type matches nothing on the
/// other role; USER default on the primary takes the replicas with the normal clients, LADDR
/// on a replica does not match its master link (its local address is an outgoing socket's).
#[test]
fn kill_replica_and_master_links() {
    Case::new("kill_replica_and_master_links")
        .servers(3)
        .clients_on_r1(&["a", "n"])
        .client("b", 2)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", r#"ClientKill(client_type: Some(Replica))"#)
        .after(2_500)
        .step("b", r#"Get(key: "k")"#)
        .step("b", r#"ClientKill(client_type: Some(Master))"#)
        .after(2_500)
        .step("b", r#"ClientKill(client_type: Some(Replica))"#)
        .step("a", r#"ClientKill(client_type: Some(Master))"#)
        .step("a", r#"Set(key: "k", value: 2)"#)
        .after(200)
        .step("b", r#"Get(key: "k")"#)
        .step("b", r#"ClientKill(laddr: Some("r2"))"#)
        .step("a", r#"ClientKill(client_type: Some(Slave))"#)
        .after(2_500)
        .step("a", r#"ClientKill(user: Some("default"))"#)
        .after(2_500)
        .step("n", "Ping")
        .step("a", r#"Set(key: "k", value: 3)"#)
        .after(200)
        .step("b", r#"Get(key: "k")"#)
        .run();
}
