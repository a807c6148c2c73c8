//! Strings, PING, keys: replies, types and error texts.

use crate::case::Case;
use crate::check::Run;

#[test]
fn ping_is_a_status_reply() {
    Case::new("ping_is_a_status_reply")
        .clients_on_r1(&["a"])
        .step("a", "Ping")
        .run();
}

#[test]
fn set_get_incr_del() {
    Case::new("set_get_incr_del")
        .clients_on_r1(&["a"])
        .step("a", r#"Get(key: "k")"#)
        .step("a", r#"Set(key: "k", value: 41)"#)
        .step("a", r#"Get(key: "k")"#)
        .step("a", r#"Incr(key: "k")"#)
        .step("a", r#"Get(key: "k")"#)
        .step("a", r#"Del(key: "k")"#)
        .step("a", r#"Del(key: "k")"#)
        .step("a", r#"Incr(key: "n")"#)
        .run();
}

#[test]
fn padded_payload_is_not_an_integer() {
    Case::new("padded_payload_is_not_an_integer")
        .clients_on_r1(&["a"])
        .step("a", r#"Set(key: "k", value: 7, bytes: Some(20))"#)
        .step("a", r#"Get(key: "k")"#)
        .step("a", r#"Incr(key: "k")"#)
        .run();
}

#[test]
fn incr_overflow_and_above_i64() {
    Case::new("incr_overflow_and_above_i64")
        .clients_on_r1(&["a"])
        .step("a", r#"Set(key: "max", value: 9223372036854775807)"#)
        .step("a", r#"Incr(key: "max")"#)
        .step("a", r#"Set(key: "big", value: 9223372036854775808)"#)
        .step("a", r#"Incr(key: "big")"#)
        .step("a", r#"Get(key: "max")"#)
        .run();
}

#[test]
fn string_commands_on_a_stream_are_wrongtype() {
    Case::new("string_commands_on_a_stream_are_wrongtype")
        .clients_on_r1(&["a"])
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"Incr(key: "s")"#)
        .step("a", r#"Get(key: "s")"#)
        .step("a", r#"Del(key: "s")"#)
        .step("a", r#"XLen(key: "s")"#)
        .run();
}

#[test]
fn set_overwrites_a_stream() {
    Case::new("set_overwrites_a_stream")
        .clients_on_r1(&["a"])
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", r#"Set(key: "s", value: 3)"#)
        .step("a", r#"XLen(key: "s")"#)
        .step("a", r#"XAdd(key: "s", id: Some("2-0"))"#)
        .step("a", r#"Get(key: "s")"#)
        .run();
}

#[test]
fn large_value_round_trip() {
    Case::new("large_value_round_trip")
        .clients_on_r1(&["a"])
        .step("a", r#"Set(key: "k", value: 5, bytes: Some(5000))"#)
        .step("a", r#"Get(key: "k")"#)
        .run();
}

#[test]
fn oversized_bulk_is_a_protocol_error() {
    Case::new("oversized_bulk_is_a_protocol_error")
        .conf("proto-max-bulk-len", "1048576")
        .clients_on_r1(&["a", "b"])
        .step("a", r#"Set(key: "k", value: 1, bytes: Some(2000000))"#)
        .after(50)
        .step("a", r#"Get(key: "k")"#)
        .step("b", r#"Get(key: "k")"#)
        .run();
}

#[test]
fn disconnect_then_connect() {
    Case::new("disconnect_then_connect")
        .clients_on_r1(&["a"])
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", "Disconnect")
        .step("a", r#"Get(key: "k")"#)
        .step("a", "Connect")
        .step("a", r#"Get(key: "k")"#)
        .run();
}

#[test]
fn maxclients_refuses_the_surplus_connection() {
    Case::new("maxclients_refuses_the_surplus_connection")
        .conf("maxclients", "2")
        .clients_on_r1(&["a", "b", "c"])
        .late("c")
        .step("a", "Ping")
        .step("b", "Ping")
        .step("c", "Connect")
        .step("c", "Ping")
        .step("a", "Disconnect")
        .after(50)
        .step("c", "Connect")
        .step("c", "Ping")
        .run();
}

#[test]
fn idle_timeout_closes_a_normal_client_not_a_subscriber() {
    Case::new("idle_timeout_closes_a_normal_client_not_a_subscriber")
        .conf("timeout", "1")
        .clients_on_r1(&["a", "s"])
        .step("s", r#"Subscribe(channels: ["ch"])"#)
        .step("a", "Ping")
        .after(3000)
        .step("a", "Ping")
        .step("s", "Ping")
        .run();
}

#[test]
fn a_connection_the_server_closed_stays_closed_until_connect() {
    Case::new("a_connection_the_server_closed_stays_closed_until_connect")
        .conf("proto-max-bulk-len", "1048576")
        .clients_on_r1(&["a"])
        .step("a", r#"Set(key: "k", value: 1, bytes: Some(1100000))"#)
        .after(50)
        .step("a", "Ping")
        .step("a", r#"Get(key: "k")"#)
        .step("a", "Connect")
        .step("a", r#"Get(key: "k")"#)
        .run();
}

#[test]
fn a_client_set_to_reconnect_does_so_at_its_next_command() {
    Case::new("a_client_set_to_reconnect_does_so_at_its_next_command")
        .conf("proto-max-bulk-len", "1048576")
        .clients_on_r1(&["a"])
        .reconnect("a")
        .step("a", r#"Set(key: "k", value: 1, bytes: Some(1100000))"#)
        .after(50)
        .step("a", "Ping")
        .step("a", r#"Set(key: "k", value: 2)"#)
        .step("a", r#"Get(key: "k")"#)
        .run();
}

/// SELECT (db.c `selectCommand`): keys live per logical database; an index outside
/// 0 .. databases − 1 is refused and the connection keeps its database; a new connection
/// starts at 0; DBSIZE counts the connection's database.
#[test]
fn select_keeps_keys_per_database() {
    Case::new("select_keeps_keys_per_database")
        .conf("databases", "4")
        .clients_on_r1(&["a", "b"])
        .step("a", r#"Set(key: "k", value: 1)"#)
        .step("a", "Select(db: 2)")
        .step("a", r#"Get(key: "k")"#)
        .step("a", r#"Set(key: "k", value: 20)"#)
        .step("a", r#"XAdd(key: "s", id: Some("1-0"))"#)
        .step("a", "DbSize")
        .step("a", "Select(db: 4)")
        .step("a", "Select(db: -1)")
        .step("a", r#"Incr(key: "k")"#)
        .step("b", r#"Get(key: "k")"#)
        .step("b", r#"XLen(key: "s")"#)
        .step("b", "DbSize")
        .step("b", "Select(db: 2)")
        .step("b", r#"Get(key: "k")"#)
        .step("a", "Select(db: 0)")
        .step("a", r#"Del(key: "k")"#)
        .step("b", "DbSize")
        .step("a", "Disconnect")
        .step("a", "Connect")
        .step("a", "DbSize")
        .run();
}
