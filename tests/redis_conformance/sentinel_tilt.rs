//! Sentinel TILT mode against a real `redis-sentinel`: a sentinel stopped (SIGSTOP) for 1 s
//! resumes normally; stopped for 3 s, its first timer run after SIGCONT is more than
//! SENTINEL_TILT_TRIGGER (2 s) after the previous one and it publishes `+tilt`
//! (sentinelCheckTiltCondition). The model runs the same shape (`Pause` + `Resume` of `s1`)
//! and must record `+tilt` after the long stop only, within one timer period of the resume.

use crate::model;
use crate::real::{Conn, Server, now, signal_pid};
use crate::resp::Value;
use crate::sentinel::{Sentinel, available};
use std::time::Duration;

const SHORT_STOP_MS: u64 = 1_000;
const LONG_STOP_MS: u64 = 3_000;
/// How long after each SIGCONT the events are read.
const AFTER_MS: u64 = 1_000;
/// One timer period at most (hz ≥ 10) plus the real side's slack.
const TOLERANCE_MS: u64 = 100 + 150;

/// Delays (ms after the resume) of the `+tilt` events seen after the short and the long stop.
type TiltDelays = (Vec<u64>, Vec<u64>);

fn real_tilts() -> TiltDelays {
    let primary = Server::start(&[], None);
    let sentinel = Sentinel::start("tilt", primary.port);
    let mut sub = Conn::open(sentinel.port).expect("sentinel connection");
    sub.call(&["PSUBSCRIBE", "*"]);
    std::thread::sleep(Duration::from_millis(300));
    let mut stop_then_read = |stop_ms: u64| {
        signal_pid(sentinel.child.id(), "STOP");
        std::thread::sleep(Duration::from_millis(stop_ms));
        signal_pid(sentinel.child.id(), "CONT");
        let resumed = now();
        let mut tilts = Vec::new();
        while (now() - resumed).as_millis() < AFTER_MS as u128 {
            for v in sub.poll(Duration::from_millis(5)) {
                let Value::Array(a) = v else { continue };
                if a.get(2).and_then(Value::bulk_str) == Some("+tilt") {
                    tilts.push((now() - resumed).as_millis() as u64);
                }
            }
        }
        tilts
    };
    let short = stop_then_read(SHORT_STOP_MS);
    let long = stop_then_read(LONG_STOP_MS);
    (short, long)
}

fn model_tilts(seed: u64) -> TiltDelays {
    let first = 2_000;
    let second = first + SHORT_STOP_MS + AFTER_MS;
    let (r1, r2) = (first + SHORT_STOP_MS, second + LONG_STOP_MS);
    let text = format!(
        "(version: 1, name: \"sentinel-tilt\", seed: {seed}, duration_ms: {}, quiet_ms: 0,\n\
         system: Redis(servers: 1, sentinels: 1, sentinel: (quorum: 1)),\n\
         faults: [Pause(at_ms: {first}, node: \"s1\"), Resume(at_ms: {r1}, node: \"s1\"),\n\
         Pause(at_ms: {second}, node: \"s1\"), Resume(at_ms: {r2}, node: \"s1\")])",
        r2 + AFTER_MS
    );
    let (_, trace) = model::run_text("sentinel-tilt", &text, seed);
    let (mut short, mut long) = (Vec::new(), Vec::new());
    for line in trace.lines().filter(|l| l.contains("+tilt")) {
        let j: serde_json::Value = serde_json::from_str(line).expect("trace line");
        let t_ms = j["t_ns"].as_u64().unwrap_or(0) / 1_000_000;
        if (r1..r1 + AFTER_MS).contains(&t_ms) {
            short.push(t_ms - r1);
        } else if (r2..r2 + AFTER_MS).contains(&t_ms) {
            long.push(t_ms - r2);
        } else {
            panic!("model seed {seed}: +tilt at {t_ms} ms, after no stop");
        }
    }
    (short, long)
}

/// No `+tilt` after the short stop, exactly one soon after the long one.
fn problems(side: &str, (short, long): &TiltDelays) -> Vec<String> {
    let mut p = Vec::new();
    if !short.is_empty() {
        p.push(format!(
            "{side}: +tilt after a {SHORT_STOP_MS} ms stop: {short:?}"
        ));
    }
    if long.len() != 1 || long[0] > TOLERANCE_MS {
        p.push(format!(
            "{side}: after a {LONG_STOP_MS} ms stop expected one +tilt within {TOLERANCE_MS} ms, got {long:?}"
        ));
    }
    p
}

#[test]
fn sentinel_tilt_after_a_stop_longer_than_two_seconds() {
    let case = "sentinel_tilt_after_a_stop_longer_than_two_seconds";
    let mut diffs = Vec::new();
    for seed in 1..=3 {
        diffs.extend(problems(&format!("model seed {seed}"), &model_tilts(seed)));
    }
    if available(case) {
        let real = real_tilts();
        println!("{case}: redis-sentinel +tilt delays (short stop, long stop): {real:?}");
        diffs.extend(problems("redis-sentinel", &real));
    }
    assert!(diffs.is_empty(), "{case}:\n{}", diffs.join("\n"));
}
