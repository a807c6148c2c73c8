//! Chained replication, writable replicas and the backlog's ttl, run as small scripted
//! clusters: each test states the outcome Redis 7.0's rules give (replication.c, server.c) as
//! the steps' expected replies and the nodes' INFO counters.

use super::{RedisConfig, run};
use crate::report::ModelReport;
use crate::setup::RunSetup;
use msgsim_sim::{FaultSpec, SimDuration};
use serde_json::json;

/// Run `servers` servers with `server` settings, clients `(name, server)` and `steps`
/// `(at_ms, client, cmd, expect)` (cmd in the scenario's serde form, as JSON).
fn cluster(
    servers: u32,
    server: serde_json::Value,
    clients: &[(&str, &str)],
    steps: &[(u64, &str, serde_json::Value, &str)],
    faults: Vec<FaultSpec>,
    duration_ms: u64,
) -> ModelReport {
    let clients: Vec<_> = clients
        .iter()
        .map(|(n, s)| json!({"name": n, "server": s}))
        .collect();
    let script: Vec<_> = steps
        .iter()
        .map(|(at, c, cmd, e)| json!({"at_ms": at, "client": c, "cmd": cmd, "expect": e}))
        .collect();
    // Replicas sync at once (the conformance harness's `repl-diskless-sync-delay 0`).
    let mut server = server;
    server["repl_diskless_sync_delay_s"] = json!(0);
    let config: RedisConfig = serde_json::from_value(json!({
        "servers": servers, "server": server, "clients": clients, "script": script,
    }))
    .expect("config");
    config.validate().expect("valid");
    let mut setup = RunSetup::new(
        1,
        SimDuration::from_millis(duration_ms),
        SimDuration::from_millis(500),
    );
    setup.faults = faults;
    run(&config, setup).expect("run")
}

fn obs(r: &ModelReport, k: &str) -> f64 {
    *r.observations
        .get(k)
        .unwrap_or_else(|| panic!("no {k} in the report"))
}

fn assert_script_ok(r: &ModelReport) {
    assert_eq!(obs(r, "script_mismatches"), 0.0, "{:?}", r.observations);
}

fn replicaof(p: Option<&str>) -> serde_json::Value {
    json!({"ReplicaOf": {"primary": p}})
}

fn set(k: &str, v: i64) -> serde_json::Value {
    json!({"Set": {"key": k, "value": v}})
}

fn get(k: &str) -> serde_json::Value {
    json!({"Get": {"key": k}})
}

#[test]
fn a_writable_replica_keeps_its_writes_local() {
    let r = cluster(
        2,
        json!({"replica_read_only": false}),
        &[("a", "r1"), ("b", "r2")],
        &[
            (1_000, "b", set("k", 1), "OK"),
            (1_100, "b", get("k"), "1"),
            (1_200, "a", get("k"), "nil"),
        ],
        Vec::new(),
        3_000,
    );
    assert_script_ok(&r);
    // The local write is in neither the replica's offset nor the stream.
    assert_eq!(
        obs(&r, "r2:master_repl_offset"),
        obs(&r, "r1:master_repl_offset")
    );
}

#[test]
fn a_read_only_replica_refuses_writes() {
    let r = cluster(
        2,
        json!({}),
        &[("b", "r2")],
        &[(1_000, "b", set("k", 1), "-READONLY*")],
        Vec::new(),
        2_000,
    );
    assert_script_ok(&r);
}

#[test]
fn a_replica_of_a_replica_gets_the_stream_with_the_same_offsets() {
    let r = cluster(
        3,
        json!({}),
        &[("a", "r1"), ("c2", "r2"), ("c3", "r3")],
        &[
            (1_000, "c3", replicaof(Some("r2")), "OK"),
            (3_000, "a", set("k", 5), "OK"),
            (3_100, "a", json!({"Incr": {"key": "k"}}), "6"),
            (3_500, "c3", get("k"), "6"),
            (
                3_600,
                "c3",
                json!({"Wait": {"numreplicas": 1, "timeout_ms": 10}}),
                "-ERR WAIT cannot be used with replica instances*",
            ),
        ],
        Vec::new(),
        5_000,
    );
    assert_script_ok(&r);
    assert_eq!(obs(&r, "r1:connected_slaves"), 1.0);
    assert_eq!(obs(&r, "r2:connected_slaves"), 1.0);
    assert_eq!(obs(&r, "r3:connected_slaves"), 0.0);
    // r3 came over from r1 with r1's id and offset: r2 serves it partially.
    assert_eq!(obs(&r, "r2:sync_partial_ok"), 1.0);
    assert_eq!(obs(&r, "r2:sync_full"), 0.0);
    for n in ["r2", "r3"] {
        assert_eq!(
            obs(&r, &format!("{n}:master_repl_offset")),
            obs(&r, "r1:master_repl_offset"),
            "{n}"
        );
    }
}

#[test]
fn a_writable_intermediate_does_not_pass_its_own_writes_down() {
    let r = cluster(
        3,
        json!({"replica_read_only": false}),
        &[("a", "r1"), ("c2", "r2"), ("c3", "r3")],
        &[
            (1_000, "c3", replicaof(Some("r2")), "OK"),
            (3_000, "c2", set("local", 1), "OK"),
            (3_100, "a", set("k", 2), "OK"),
            (3_500, "c3", get("local"), "nil"),
            (3_600, "c3", get("k"), "2"),
            (3_700, "c2", get("local"), "1"),
        ],
        Vec::new(),
        5_000,
    );
    assert_script_ok(&r);
}

#[test]
fn an_intermediate_full_resync_makes_its_replicas_resync_too() {
    let r = cluster(
        3,
        json!({}),
        &[("a", "r1"), ("c2", "r2"), ("c3", "r3")],
        &[
            (1_000, "c3", replicaof(Some("r2")), "OK"),
            // r2 leaves: its replica is disconnected and comes back by replid2 (partial).
            (3_000, "c2", replicaof(None), "OK"),
            (3_100, "c2", set("only-r2", 1), "OK"),
            (5_000, "c3", get("only-r2"), "1"),
            // r2 goes back under r1 with a history r1 never had: full resync, which
            // disconnects r3; r3 cannot continue r2's old history and resyncs fully.
            (5_100, "c2", replicaof(Some("r1")), "OK"),
            (8_000, "c3", get("only-r2"), "nil"),
            (8_100, "a", set("k", 3), "OK"),
            (8_500, "c3", get("k"), "3"),
        ],
        Vec::new(),
        10_000,
    );
    assert_script_ok(&r);
    assert_eq!(obs(&r, "r2:sync_partial_ok"), 2.0);
    assert_eq!(obs(&r, "r2:sync_full"), 1.0);
    assert_eq!(obs(&r, "r1:sync_partial_err"), 1.0);
    assert_eq!(
        obs(&r, "r3:master_repl_offset"),
        obs(&r, "r1:master_repl_offset")
    );
}

/// r2 and r3 replicate from each other (each one's PSYNC is served by the other, whose link
/// is up), so r1 has no replica while both keep its id and offset; `back_ms` later r2
/// returns to r1.
fn parked_then_back(ttl_s: u64, back_ms: u64) -> ModelReport {
    cluster(
        3,
        json!({"repl_backlog_ttl_s": ttl_s}),
        &[("a", "r1"), ("c2", "r2"), ("c3", "r3")],
        &[
            (1_000, "a", set("k", 1), "OK"),
            (1_500, "c3", replicaof(Some("r2")), "OK"),
            (2_500, "c2", replicaof(Some("r3")), "OK"),
            (back_ms, "c2", replicaof(Some("r1")), "OK"),
            (back_ms + 2_000, "c2", get("k"), "1"),
        ],
        Vec::new(),
        back_ms + 3_000,
    )
}

#[test]
fn a_primary_alone_past_the_backlog_ttl_forces_a_full_resync() {
    let r = parked_then_back(1, 6_000);
    assert_script_ok(&r);
    assert_eq!(obs(&r, "r1:sync_partial_err"), 1.0);
    assert_eq!(obs(&r, "r1:sync_partial_ok"), 0.0);
    // Control: the same return within the ttl continues the history.
    let r = parked_then_back(10, 6_000);
    assert_script_ok(&r);
    assert_eq!(obs(&r, "r1:sync_partial_err"), 0.0);
    assert_eq!(obs(&r, "r1:sync_partial_ok"), 1.0);
}

#[test]
fn replicas_never_free_their_backlog() {
    // r2 and r3 are replicas without replicas for 6 s, far past a 1 s ttl; r2 is then
    // promoted and r3 moves under it by r2's replid2 — only possible with r2's backlog.
    let r = cluster(
        3,
        json!({"repl_backlog_ttl_s": 1}),
        &[("a", "r1"), ("c2", "r2"), ("c3", "r3")],
        &[
            (1_000, "a", set("k", 1), "OK"),
            (7_000, "c2", replicaof(None), "OK"),
            (7_100, "c3", replicaof(Some("r2")), "OK"),
            (9_000, "c3", get("k"), "1"),
        ],
        Vec::new(),
        10_000,
    );
    assert_script_ok(&r);
    assert_eq!(obs(&r, "r2:sync_partial_ok"), 1.0);
    assert_eq!(obs(&r, "r2:sync_full"), 0.0);
}

/// A replica that resyncs fully from a new primary (no demotion involved) disconnects its own
/// replica, which then resyncs fully from it (replicationAttachToNewMaster): r4 leaves with
/// r1's history, r1 writes on, so r2 — with r3 under it — cannot continue at r4.
#[test]
fn a_replica_full_resync_disconnects_its_replica() {
    let r = cluster(
        4,
        json!({}),
        &[("a", "r1"), ("c3", "r3"), ("c2", "r2"), ("c4", "r4")],
        &[
            (1_000, "c3", replicaof(Some("r2")), "OK"),
            (2_500, "c4", replicaof(None), "OK"),
            (2_600, "a", set("k", 2), "OK"),
            (2_700, "c4", set("x", 4), "OK"),
            (3_000, "c3", get("k"), "2"),
            (3_100, "c2", replicaof(Some("r4")), "OK"),
            (6_000, "c3", get("x"), "4"),
            (6_100, "c3", get("k"), "nil"),
        ],
        Vec::new(),
        7_000,
    );
    assert_script_ok(&r);
    assert_eq!(obs(&r, "r4:sync_partial_err"), 1.0);
    assert_eq!(obs(&r, "r2:sync_full"), 1.0);
    assert_eq!(
        obs(&r, "r3:master_repl_offset"),
        obs(&r, "r4:master_repl_offset")
    );
}

/// A replica whose partial resync brings a new replication id ("+CONTINUE <new id>")
/// disconnects its own replica so that it learns the id; the replica comes back partially
/// by replid2 (slaveTryPartialResynchronization → disconnectSlaves).
#[test]
fn a_new_id_on_continue_reconnects_the_replicas_of_a_replica() {
    let r = cluster(
        4,
        json!({"repl_ping_replica_period_s": 3600}),
        &[("a", "r1"), ("c3", "r3"), ("c2", "r2"), ("c4", "r4")],
        &[
            (1_000, "a", set("k", 1), "OK"),
            (1_500, "c3", replicaof(Some("r2")), "OK"),
            (3_000, "c4", replicaof(None), "OK"),
            (3_100, "c2", replicaof(Some("r4")), "OK"),
            (3_200, "c4", set("x", 4), "OK"),
            (6_000, "c3", get("x"), "4"),
        ],
        Vec::new(),
        7_000,
    );
    assert_script_ok(&r);
    assert_eq!(obs(&r, "r4:sync_partial_ok"), 1.0);
    // r3's first PSYNC at r2 and its second after r2 took r4's id, both partial.
    assert_eq!(obs(&r, "r2:sync_partial_ok"), 2.0);
    assert_eq!(obs(&r, "r2:sync_full"), 0.0);
}

fn kill(filter: serde_json::Value) -> serde_json::Value {
    json!({ "ClientKill": filter })
}

/// CLIENT KILL TYPE replica on the primary and TYPE master on a replica drop the replication
/// link (networking.c `clientKillCommand`); the replica reconnects and continues partially.
/// It reconnects at once, so 50 ms later its master link is there to kill again (650 ms: 1).
#[test]
fn client_kill_drops_replica_and_master_links() {
    let r = cluster(
        2,
        json!({}),
        &[("a", "r1"), ("b", "r2")],
        &[
            (500, "a", set("k", 1), "OK"),
            (600, "a", kill(json!({"client_type": "Replica"})), "1"),
            // The replica dropped at 600 ms is linked again at once
            // (replicationHandleMasterDisconnection): its master link matches.
            (650, "b", kill(json!({"client_type": "Master"})), "1"),
            (3_000, "b", get("k"), "1"),
            (3_100, "b", kill(json!({"client_type": "Master"})), "1"),
            (3_100, "a", kill(json!({"client_type": "Master"})), "0"),
            (3_200, "b", kill(json!({"client_type": "Replica"})), "0"),
            (3_300, "b", kill(json!({"laddr": "r2"})), "0"),
            (6_000, "a", kill(json!({"user": "default"})), "1"),
            (9_000, "a", set("k", 2), "OK"),
            (9_200, "b", get("k"), "2"),
        ],
        Vec::new(),
        10_000,
    );
    assert_script_ok(&r);
    assert_eq!(obs(&r, "r1:sync_partial_ok"), 4.0);
    assert_eq!(obs(&r, "r1:sync_full"), 1.0);
    assert_eq!(obs(&r, "r1:connected_slaves"), 1.0);
}
