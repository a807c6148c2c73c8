//! A connection's own settings and the other `CLIENT KILL` filters (networking.c
//! `helloCommand`, `clientSetNameOrReply`, `clientKillCommand`): HELLO's AUTH and SETNAME
//! options, CLIENT SETNAME / GETNAME, and CLIENT KILL by ID, LADDR, USER and MAXAGE (which
//! 7.0 does not have).

use crate::case::Case;
use crate::check::Run;

#[test]
fn hello_auth_and_setname_options() {
    Case::new("hello_auth_and_setname_options")
        .clients_on_r1(&["a"])
        .step(
            "a",
            r#"Hello(protover: Some(2), auth: Some(["default", "anything"]))"#,
        )
        .step("a", "ClientGetName")
        .step("a", r#"Hello(protover: Some(3), setname: Some("app-1"))"#)
        .step("a", "ClientGetName")
        // A wrong user: WRONGPASS, and neither the name nor the protocol changes.
        .step(
            "a",
            r#"Hello(protover: Some(2), auth: Some(["nobody", "x"]), setname: Some("other"))"#,
        )
        .step("a", "ClientGetName")
        .step(
            "a",
            r#"Hello(protover: Some(2), setname: Some("bad name"))"#,
        )
        // Options need a version first.
        .step("a", r#"Hello(auth: Some(["default", "x"]))"#)
        .step("a", r#"Hello(setname: Some("n"))"#)
        .step("a", r#"Hello(protover: Some(3), auth: Some(["default"]))"#)
        .step(
            "a",
            r#"Hello(protover: Some(3), auth: Some(["nobody", "p", "x"]))"#,
        )
        .step(
            "a",
            r#"Hello(protover: Some(3), auth: Some(["default", "p", "x"]))"#,
        )
        .step("a", "ClientGetName")
        .step(
            "a",
            r#"Hello(protover: Some(2), auth: Some(["default", ""]), setname: Some(""))"#,
        )
        .step("a", "ClientGetName")
        .run();
}

#[test]
fn client_setname_and_getname() {
    Case::new("client_setname_and_getname")
        .clients_on_r1(&["a", "s"])
        .step("a", "ClientGetName")
        .step("a", r#"ClientSetName(name: "worker-1")"#)
        .step("a", "ClientGetName")
        .step("a", r#"ClientSetName(name: "has space")"#)
        .step("a", r#"ClientSetName(name: "tab	x")"#)
        .step("a", "ClientGetName")
        .step("a", r#"ClientSetName(name: "")"#)
        .step("a", "ClientGetName")
        // A RESP2 subscriber may not: the context error names `client|setname`.
        .step("s", r#"Subscribe(channels: ["x"])"#)
        .step("s", r#"ClientSetName(name: "sub")"#)
        .step("s", "ClientGetName")
        .run();
}

#[test]
fn kill_by_id() {
    Case::new("kill_by_id")
        .clients_on_r1(&["a", "b", "c"])
        .step("a", r#"ClientKill(id: Some("b"))"#)
        .step("b", "Ping")
        .step(
            "a",
            r#"ClientKill(id: Some("c"), client_type: Some(Pubsub))"#,
        )
        // SKIPME yes: the caller's own id matches nobody.
        .step("a", r#"ClientKill(id: Some("a"))"#)
        .step("a", r#"ClientKill(id: Some("0"))"#)
        .step("a", r#"ClientKill(id: Some("-3"))"#)
        .step("a", r#"ClientKill(id: Some("abc"))"#)
        .step("a", r#"ClientKill(id: Some("9223372036854775807"))"#)
        .step("c", "Ping")
        .step(
            "a",
            r#"ClientKill(id: Some("c"), client_type: Some(Normal))"#,
        )
        .step("c", "Ping")
        .run();
}

#[test]
fn kill_by_laddr_user_and_maxage() {
    Case::new("kill_by_laddr_user_and_maxage")
        .clients_on_r1(&["a", "b", "c"])
        .step("a", r#"ClientKill(user: Some("nobody"))"#)
        // The ID error comes first (argument order), then the user's.
        .step("a", r#"ClientKill(id: Some("0"), user: Some("nobody"))"#)
        .step(
            "a",
            r#"ClientKill(user: Some("nobody"), max_age_s: Some(0))"#,
        )
        .step("a", "ClientKill(max_age_s: Some(5))")
        .step("a", r#"ClientKill(client: Some("b"), max_age_s: Some(5))"#)
        .step("b", "Ping")
        .step("a", r#"ClientKill(laddr: Some("r2"))"#)
        .step("b", r#"Subscribe(channels: ["x"])"#)
        .step(
            "a",
            r#"ClientKill(laddr: Some("r1"), client_type: Some(Pubsub))"#,
        )
        .step("a", r#"ClientKill(user: Some("default"))"#)
        .step("b", "Ping")
        .step("c", "Ping")
        .step("a", "Ping")
        .run();
}
