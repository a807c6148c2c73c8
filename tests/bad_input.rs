//! The bad-input contract, table-driven: every malformed scenario in `tests/bad_input/` makes
//! `msgsim run` and `msgsim check` exit 2 with the message at the exact `file:line:col`, write
//! nothing to stdout, and never panic. Plus the file-level cases: a missing file, a file above
//! the size limit, a FIFO-like endless input, and a scenario that is fine (exit 0, as a control).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// (file in tests/bad_input, line, column, part of the message)
const TABLE: &[(&str, usize, usize, &str)] = &[
    (
        "01-empty.ron",
        1,
        1,
        "the scenario file is empty; expected `(version: 1, ...)`",
    ),
    (
        "02-only-comment.ron",
        1,
        25,
        "Expected opening `(` for struct `Scenario`",
    ),
    ("03-missing-paren.ron", 5, 42, "Unexpected end of RON"),
    ("04-missing-comma.ron", 5, 5, "Expected comma"),
    (
        "05-unterminated-string.ron",
        3,
        11,
        "Expected end of string",
    ),
    ("06-duration-string.ron", 4, 17, "Expected integer"),
    (
        "07-duration-negative.ron",
        4,
        19,
        "Integer is out of bounds",
    ),
    ("08-seed-float.ron", 4, 12, "Expected comma"),
    ("09-version-string.ron", 2, 13, "Expected integer"),
    ("10-seed-too-large.ron", 4, 11, "Integer is out of bounds"),
    (
        "11-unknown-top-field.ron",
        6,
        5,
        "Unexpected field named `brokerz` in `Scenario`, expected one",
    ),
    (
        "12-unknown-echo-field.ron",
        7,
        9,
        "Unexpected field named `clientz` in `Echo`, expected one of ",
    ),
    (
        "13-unknown-link-field.ron",
        6,
        25,
        "Unexpected field named `lossy` in `LinkConfig`, expected one",
    ),
    (
        "14-unknown-fault-field.ron",
        7,
        38,
        "Unexpected field named `force` in `Crash`, expected one of `",
    ),
    (
        "15-unknown-fault-kind.ron",
        6,
        14,
        "Unexpected variant named `Explode` in enum `FaultSpec`, expe",
    ),
    (
        "16-unknown-system.ron",
        5,
        13,
        "Unexpected variant named `Rabbit` in enum `SystemConfig`, ex",
    ),
    (
        "17-unknown-transport.ron",
        5,
        29,
        "Unexpected variant named `Pigeon` in enum `Transport`, expec",
    ),
    (
        "18-missing-duration.ron",
        5,
        1,
        "Unexpected missing field named `duration_ms` in `Scenario`",
    ),
    (
        "19-version-2.ron",
        2,
        5,
        "unsupported scenario version 2; this msgsim reads version 1",
    ),
    ("20-duration-zero.ron", 4, 5, "duration_ms must be positive"),
    (
        "21-duration-too-long.ron",
        4,
        5,
        "duration_ms + quiet_ms is above the limit of 2592000000 ms (",
    ),
    (
        "22-fault-unknown-node.ron",
        8,
        26,
        "unknown node `s9` in faults[1] (nodes: s1, c1)",
    ),
    (
        "23-partition-unknown-node.ron",
        7,
        60,
        "unknown node `x7` in faults[0] (nodes: s1, s2, c1, c2)",
    ),
    (
        "24-link-unknown-node.ron",
        8,
        39,
        "unknown node `s3` in network.links[0].to (nodes: s1, c1)",
    ),
    (
        "25-fault-past-end.ron",
        8,
        17,
        "fault at 5000 ms is past the end of the run (duration_ms = 1",
    ),
    (
        "26-loss-above-one.ron",
        7,
        19,
        "network.default.loss: probability 1.5 is outside 0..=1",
    ),
    (
        "27-duplicate-negative.ron",
        7,
        19,
        "network.default.duplicate: probability -0.1 is outside 0..=1",
    ),
    (
        "28-loss-nan.ron",
        7,
        19,
        "network.default.loss: probability NaN is outside 0..=1",
    ),
    (
        "29-latency-min-above-max.ron",
        7,
        19,
        "network.default.latency: latency min_us 500 is larger than m",
    ),
    (
        "30-latency-mean-below-min.ron",
        7,
        19,
        "network.default.latency: latency mean_us 100 is smaller than",
    ),
    (
        "31-latency-too-large.ron",
        7,
        19,
        "network.default.latency: 18000000000000000000 us is above th",
    ),
    (
        "32-jitter-too-large.ron",
        7,
        19,
        "network.default.jitter_us: 10000000000 us is above the limit",
    ),
    (
        "33-detect-too-large.ron",
        6,
        15,
        "conn_break_detect_ms is above the limit of 3600000 ms",
    ),
    (
        "34-zero-servers.ron",
        7,
        9,
        "system.servers: an echo system needs at least one server",
    ),
    (
        "35-too-many-clients.ron",
        6,
        9,
        "system.clients: 5000 is above the limit of 4096 nodes",
    ),
    (
        "36-clients-u32-max.ron",
        7,
        9,
        "system.clients: 4294967295 is above the limit of 4096 nodes",
    ),
    (
        "37-window-zero.ron",
        6,
        9,
        "system.window: window must be in 1..=1000000",
    ),
    (
        "38-request-too-large.ron",
        6,
        9,
        "system.request_bytes: 4294967296 is above the limit of 10737",
    ),
    (
        "39-timeout-too-large.ron",
        6,
        9,
        "system.timeout_ms: 18446744073709551615 is above the limit o",
    ),
    (
        "40-cost-per-byte-too-large.ron",
        6,
        9,
        "system.server_cost_ns_per_byte: 99000000000 is above the lim",
    ),
    (
        "41-max-events-zero.ron",
        6,
        14,
        "max_events must be in 1..=20000000000",
    ),
    (
        "42-unknown-metric.ron",
        8,
        9,
        "expectation `throughput >= 5`: this model reports no metric `throughput`",
    ),
    (
        "43-expect-no-comparison.ron",
        6,
        14,
        "expectation `lost` has no comparison (use ==, !=, >=, <=, > ",
    ),
    (
        "44-expect-not-a-number.ron",
        6,
        14,
        "expectation `delivered >= lots`: `lots` is not a number",
    ),
    (
        "45-profile-probability.ron",
        8,
        9,
        "fault_profile.lose_unflushed_probability: probability 2 is o",
    ),
    (
        "46-profile-min-above-max.ron",
        8,
        9,
        "fault_profile.duration_ms_min: 900 is larger than duration_m",
    ),
    (
        "47-profile-too-many-faults.ron",
        8,
        9,
        "fault_profile.interval_ms_mean: this profile would generate ",
    ),
    (
        "48-profile-unknown-target.ron",
        8,
        25,
        "unknown node `broker-1` in fault_profile.targets (nodes: s1,",
    ),
    (
        "49-clock-skew-too-large.ron",
        7,
        42,
        "faults[0]: clock offset 99999999999 ms is more than a year",
    ),
    (
        "50-partition-one-group.ron",
        7,
        30,
        "faults[0]: a partition needs at least two groups",
    ),
    (
        "51-set-link-bad-loss.ron",
        7,
        61,
        "faults[0].link.loss: probability 3 is outside 0..=1",
    ),
    ("52-deep-nesting.ron", 6, 14, "Expected identifier"),
    (
        "53-not-utf8.ron",
        3,
        15,
        "scenario is not UTF-8: invalid byte 0xe9",
    ),
    ("54-khmer-name.ron", 4, 5, "duration_ms must be positive"),
    (
        "55-unknown-anomaly.ron",
        8,
        9,
        "no anomaly `anomaly:lost_requests`; did you mean `anomaly:lost_request`?",
    ),
    (
        "56-unknown-sometimes.ron",
        7,
        9,
        "no sometimes counter `sometimes:crashes`; did you mean `sometimes:crash`?",
    ),
    (
        "57-anomaly-of-another-model.ron",
        7,
        9,
        "this model reports no anomaly `anomaly:eos_missing`; known names:",
    ),
    (
        "sink-01-retry-timeout.ron",
        6,
        39,
        "system.sink.errors_retry_timeout_ms: must be -1 (forever), 0 (no retry) or positive",
    ),
    (
        "sink-02-probability.ron",
        9,
        13,
        "system.sink.app_transient_error_probability: must be in [0, 1)",
    ),
    (
        "tiered-01-local-above-total.ron",
        11,
        13,
        "system.tiered_storage.local_retention_ms: must not be more than retention_ms",
    ),
    (
        "tiered-02-topic-without-broker.ron",
        7,
        26,
        "system.tiered_storage.remote_storage_enable: Tiered Storage functionality is disabled",
    ),
    (
        "kafka-01-rf-above-brokers.ron",
        7,
        9,
        "system.replication_factor: replication_factor must be in 1..",
    ),
    (
        "kafka-02-min-isr-above-rf.ron",
        8,
        9,
        "system.min_insync_replicas: min_insync_replicas must be in 1",
    ),
    (
        "kafka-03-oversize-message.ron",
        6,
        9,
        "system.message_bytes: 2000000000 is above the limit of 10737",
    ),
    (
        "kafka-04-sink-and-transactional.ron",
        9,
        9,
        "system.commit_mode: a sink pipeline and consume-transform-pr",
    ),
    (
        "kafka-05-shutdown-past-end.ron",
        7,
        44,
        "system.controlled_shutdowns[0]: the shutdown at 9000 ms is p",
    ),
    (
        "kafka-06-shutdown-unknown-broker.ron",
        7,
        9,
        "system.controlled_shutdowns: broker must be in 1..=brokers",
    ),
    (
        "kafka-07-dirty-ratio.ron",
        6,
        9,
        "system.min_cleanable_dirty_ratio: must be in 0.0..=1.0",
    ),
    (
        "kafka-08-unknown-field.ron",
        7,
        9,
        "Unexpected field named `acks_all` in `Kafka`, expected one o",
    ),
    (
        "kafka-09-fault-unknown-node.ron",
        7,
        29,
        "unknown node `b4` in faults[0] (nodes: b1, b2, b3, ctrl, gc,",
    ),
    (
        "kafka-10-abort-percent.ron",
        8,
        9,
        "system.transaction_abort_percent: must be in 0..=100",
    ),
    (
        "kafka-11-step-unknown-client.ron",
        9,
        26,
        "system.script.1.client: step at 200 ms names unknown scripted client `nope`",
    ),
    (
        "kafka-12-step-unknown-field.ron",
        8,
        65,
        "Unexpected field named `valu_bytes` in `Send`",
    ),
    (
        "kafka-13-step-past-end.ron",
        10,
        14,
        "system.script[1]: the step at 9000 ms is past the end of the run",
    ),
    (
        "kafka-14-step-unknown-partition.ron",
        9,
        41,
        "system.script.0.cmd: step at 100 ms: partition 2 does not exist",
    ),
    (
        "kafka-15-script-client-name-taken.ron",
        6,
        42,
        "system.script_clients.1.name: client name `b2` is empty or already a node's name",
    ),
    (
        "kafka-16-target-unknown-label.ron",
        7,
        28,
        "faults[0]: unknown message label `Produse` (labels: Register,",
    ),
    (
        "kafka-17-target-unknown-code.ron",
        7,
        59,
        "faults[0]: unknown error code `NOT_A_CODE` (codes: NOT_LEADER_OR_FOLLOWER,",
    ),
    (
        "kafka-18-target-unknown-node.ron",
        7,
        16,
        "unknown node `p9` in faults[0]",
    ),
    (
        "kafka-19-target-nth-zero.ron",
        7,
        34,
        "faults[0]: nth counts from 1",
    ),
    (
        "kafka-20-target-unfailable.ron",
        7,
        16,
        "faults[0]: a `Metadata` cannot be failed",
    ),
    (
        "redis-01-quorum-above-sentinels.ron",
        8,
        20,
        "system.sentinel.quorum: quorum must be in 1..=2 (the number ",
    ),
    (
        "redis-02-step-past-end.ron",
        9,
        14,
        "system.script[1]: the step at 60000 ms is past the end of the run",
    ),
    (
        "redis-03-script-unknown-field.ron",
        8,
        67,
        "Unexpected field named `chanel` in `Publish`, expected one o",
    ),
    (
        "redis-04-step-unknown-client.ron",
        9,
        26,
        "system.script.1.client: step at 200 ms names unknown client ",
    ),
    (
        "redis-05-client-unknown-server.ron",
        7,
        44,
        "system.clients.1.server: client `b` names unknown server `r3",
    ),
    (
        "redis-06-publish-start-past-end.ron",
        7,
        66,
        "system.clients[0] `p`: publish.start_ms at 70000 ms is past the end",
    ),
    (
        "redis-07-set-too-large.ron",
        7,
        43,
        "system.script.0.cmd: step at 10 ms: bytes 1000000000000 is a",
    ),
    (
        "redis-08-unknown-persistence-field.ron",
        6,
        48,
        "Unexpected field named `every_ms` in `Rdb`, expected `every_",
    ),
    (
        "redis-09-duplicate-client.ron",
        6,
        33,
        "system.clients.1.name: client name `c` is empty or used twic",
    ),
    (
        "redis-10-fault-unknown-node.ron",
        8,
        32,
        "unknown node `r3` in faults[0] (nodes: r1, r2)",
    ),
    (
        "redis-11-replicaof-unknown-server.ron",
        8,
        39,
        "system.script.0.cmd: step at 100 ms: REPLICAOF names unknown server `r9`",
    ),
    // One command enum serves scripts and the wire: ids must parse, fields the client fills
    // in (`tag`) and commands only the model sends (`ReplPing`) cannot be written.
    (
        "redis-12-bad-stream-id.ron",
        8,
        97,
        "`latest` is neither `>` nor an id",
    ),
    (
        "redis-13-internal-field.ron",
        8,
        59,
        "Unexpected field named `tag` in `XAdd`",
    ),
    (
        "redis-14-internal-command.ron",
        8,
        44,
        "Unexpected variant named `ReplPing` in enum `Cmd`",
    ),
];

fn msgsim(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_msgsim"))
        .args(args)
        .current_dir(dir)
        .env_remove("MSGSIM_SEED")
        .env("NO_COLOR", "1")
        .output()
        .expect("msgsim runs")
}

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input")
}

fn assert_bad(o: &Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{what}: exit code; stderr:\n{err}"
    );
    assert!(
        o.stdout.is_empty(),
        "{what}: stdout must be empty, got {:?}",
        String::from_utf8_lossy(&o.stdout)
    );
    for bad in ["panicked", "RUST_BACKTRACE", "internal error", "ICU4X"] {
        assert!(!err.contains(bad), "{what}: `{bad}` in stderr:\n{err}");
    }
    err
}

#[test]
fn every_malformed_file_exits_2_at_the_right_spot() {
    assert!(TABLE.len() >= 30);
    let mut listed: Vec<&str> = TABLE.iter().map(|t| t.0).collect();
    listed.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(bad_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".ron"))
        .collect();
    on_disk.sort();
    assert_eq!(
        listed, on_disk,
        "every file in tests/bad_input is in the table and vice versa"
    );
    let mut failures = Vec::new();
    for &(file, line, col, message) in TABLE {
        for cmd in ["run", "check"] {
            let o = msgsim(&[cmd, file], &bad_dir());
            let err = assert_bad(&o, &format!("{cmd} {file}"));
            let first = err.lines().next().unwrap_or_default().to_string();
            let want = format!("error: {file}:{line}:{col}: ");
            if !first.starts_with(&want) || !first.contains(message) {
                failures.push(format!(
                    "{cmd} {file}: expected `{want}...{message}...`, got `{first}`"
                ));
            }
            // The caret excerpt names the same spot (miette: `[file:line:col]`).
            if !err.contains(&format!("{file}:{line}:{col}]")) {
                failures.push(format!(
                    "{cmd} {file}: no source excerpt at {line}:{col}:\n{err}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn file_level_errors_exit_2() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bad_input");
    std::fs::create_dir_all(&dir).unwrap();
    // Missing file.
    let o = msgsim(&["run", "does-not-exist.ron"], &dir);
    let err = assert_bad(&o, "missing file");
    assert!(
        err.contains("does-not-exist.ron: cannot read scenario"),
        "{err}"
    );
    // A directory.
    let o = msgsim(&["check", "."], &dir);
    assert_bad(&o, "directory");
    // Above the 1 MiB limit (a valid prefix padded with a comment).
    let mut big = String::from("// padding\n");
    while big.len() <= 1 << 20 {
        big.push_str("// ................................................................\n");
    }
    std::fs::write(dir.join("huge.ron"), &big).unwrap();
    let o = msgsim(&["run", "huge.ron"], &dir);
    let err = assert_bad(&o, "huge file");
    assert!(err.contains("1048576"), "names the limit: {err}");
    // An endless device: read up to the limit, then refused (no unbounded memory).
    if Path::new("/dev/zero").exists() {
        let o = msgsim(&["check", "/dev/zero"], &dir);
        let err = assert_bad(&o, "/dev/zero");
        assert!(
            err.contains("larger than the limit of 1048576 bytes"),
            "{err}"
        );
    }
}

#[test]
fn a_good_file_is_the_control() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = msgsim(&["check", "scenarios/echo/echo-smallest.ron"], root);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
