//! Sentinel timelines (issue 15 item 2): three real `redis-sentinel` processes watch a primary
//! and two replicas on loopback (`down-after-milliseconds 1000`, `failover-timeout 5000`);
//! the primary is killed (SIGKILL), or paused (SIGSTOP, SIGCONT 5 s later). Every sentinel's
//! events are read through `PSUBSCRIBE *` and timed from the fault; the model runs the same
//! shape (`Crash`, or `Pause` + `Resume`). Compared: which events happen, their order (ties
//! within one cron period allowed), and each step's delay from the previous event within a
//! tolerance derived from sentinel.c's periods: the timer runs every 1000/hz ms with hz drawn
//! in 10..=19 (≤ 100 ms), INFO reaches replicas every 1 s during a failover, PING is sent once
//! the last pong is 1 s old. docs/redis-conformance.md ("Sentinel timelines") has the figures.

use crate::model;
use crate::real::{Conn, PACKAGES, Server, free_port, now, settle_replication, signal_pid};
use crate::resp::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DOWN_AFTER_MS: u64 = 1_000;
const FAILOVER_TIMEOUT_MS: u64 = 5_000;
const PAUSE_MS: u64 = 5_000;
/// One sentinel timer period at most (hz ≥ 10).
const TICK: u64 = 100;
/// Wall-clock slack of the real side: event delivery, polling, a loaded 2-core machine.
const SLACK: u64 = 150;

/// The compared timeline: (label, tolerance of its delay after the previous label). Labels are
/// event names, first seen on any sentinel; `+sdown#2` is the second sentinel's `+sdown`,
/// `+switch-master*` the last sentinel's switch and `resume` the SIGCONT.
fn steps(pause: bool) -> Vec<(&'static str, u64)> {
    // Kill: the link breaks at once and is reopened at the next timer run with a PING that
    // stays pending (act_ping_time), so SDOWN comes 1 s + up to two periods later. Pause: the
    // first unanswered PING leaves when the last pong is 1 s old, anywhere in 0..1 s.
    let sdown = if pause { PING_TOL } else { 2 * TICK };
    let mut v = vec![
        ("+sdown", sdown),
        // The second sentinel (quorum 2) to see the primary down: each sentinel's own PING
        // phase when paused, the same reconnect run (± one period) when killed.
        ("+sdown#2", sdown),
        // It asks the others at once (is-master-down-by-addr); the next run counts them.
        ("+odown", 2 * TICK),
        ("+try-failover", TICK),
        // The votes come back; the next run's wait-start sees the majority.
        ("+elected-leader", 2 * TICK),
        ("+selected-slave", TICK),
        // send-slaveof-noone at the next run, then the replica's next INFO (every 1 s).
        ("+promoted-slave", INFO_TOL),
        ("+slave-reconf-sent", TICK),
        // The forced hello reaches the other sentinels.
        ("+switch-master", TICK),
        // The reconfigured replica's next INFO shows its link up; the next run ends it.
        ("+failover-end", INFO_TOL),
        ("+switch-master*", TICK),
    ];
    if pause {
        v.push(("resume", 0));
        // The returning primary reports role master at its first INFO; it is converted at the
        // first INFO more than 4 hello periods (8 s) later: INFO every 10 s.
        v.push(("+convert-to-slave", PING_TOL + INFO_TOL));
    }
    v
}

const PING_TOL: u64 = 1_000 + TICK;
const INFO_TOL: u64 = 1_000 + 2 * TICK;

type Timeline = Vec<(&'static str, u64)>;

/// One event seen on some sentinel: (sentinel, event, about the primary, ms since the fault).
type Seen = (usize, String, bool, u64);

fn timeline(events: &[Seen], pause: bool) -> Timeline {
    let mut out = Vec::new();
    for (label, _) in steps(pause) {
        let t = match label {
            "resume" => Some(DOWN_AFTER_MS.max(PAUSE_MS)),
            "+sdown#2" => {
                let mut first = [None; 3];
                for (s, e, m, t) in events {
                    if e == "+sdown" && *m && first[*s].is_none() {
                        first[*s] = Some(*t);
                    }
                }
                let mut v: Vec<u64> = first.iter().flatten().copied().collect();
                v.sort_unstable();
                v.get(1).copied()
            }
            "+switch-master*" => {
                let mut last = [None; 3];
                for (s, e, _, t) in events {
                    if e == "+switch-master" && last[*s].is_none() {
                        last[*s] = Some(*t);
                    }
                }
                last.iter()
                    .copied()
                    .collect::<Option<Vec<u64>>>()
                    .and_then(|v| v.into_iter().max())
            }
            _ => events
                .iter()
                .filter(|(_, e, m, _)| e == label && (*m || !matches!(label, "+sdown" | "+odown")))
                .map(|(_, _, _, t)| *t)
                .min(),
        };
        if let Some(t) = t {
            out.push((label, t));
        }
    }
    out
}

/// The differences between the real and the model timeline (empty when they agree).
fn compare(real: &Timeline, model: &Timeline, pause: bool) -> Vec<String> {
    let mut diffs = Vec::new();
    let labels = |t: &Timeline| t.iter().map(|(l, _)| *l).collect::<Vec<_>>();
    if labels(real) != labels(model) {
        diffs.push(format!(
            "events differ: real {:?}, model {:?}",
            labels(real),
            labels(model)
        ));
        return diffs;
    }
    // Order: what one side has more than a period apart the other must not invert.
    for i in 0..real.len() {
        for j in 0..real.len() {
            let (r, m) = ((real[i].1, real[j].1), (model[i].1, model[j].1));
            if (r.0 + TICK < r.1 && m.0 > m.1) || (m.0 + TICK < m.1 && r.0 > r.1) {
                diffs.push(format!(
                    "order: {} before {} on one side only (real {r:?}, model {m:?})",
                    real[i].0, real[j].0
                ));
            }
        }
    }
    // Each step's delay after the previous one.
    let tol = steps(pause);
    for k in 0..real.len() {
        // The SIGCONT is at a fixed time on both sides; what follows is timed from it.
        if real[k].0 == "resume" {
            continue;
        }
        let prev = |t: &Timeline| if k == 0 { 0 } else { t[k - 1].1 };
        let dr = real[k].1 as i64 - prev(real) as i64;
        let dm = model[k].1 as i64 - prev(model) as i64;
        let allowed = (tol[k].1 + SLACK) as i64;
        if (dr - dm).abs() > allowed {
            diffs.push(format!(
                "{}: {dr} ms after the previous event in Redis, {dm} ms in the model (±{allowed})",
                real[k].0
            ));
        }
    }
    diffs
}

/// `redis-sentinel`'s version, or a skip line (a failure with MSGSIM_REQUIRE_REDIS=1).
pub(crate) fn available(case: &str) -> bool {
    let out = Command::new("redis-sentinel")
        .arg("--version")
        .output()
        .ok();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).to_string());
    let v = text.as_deref().and_then(|t| {
        t.split_whitespace()
            .find_map(|w| w.strip_prefix("v="))
            .map(str::to_string)
    });
    match v {
        Some(v) => {
            println!("{case}: checked against redis-sentinel {v}");
            true
        }
        None if std::env::var("MSGSIM_REQUIRE_REDIS").as_deref() == Ok("1") => {
            panic!(
                "{case}: redis-sentinel not on PATH and MSGSIM_REQUIRE_REDIS=1 (install {PACKAGES})"
            )
        }
        None => {
            println!("SKIP {case}: redis-sentinel not on PATH (install {PACKAGES})");
            false
        }
    }
}

/// A running redis-sentinel; killed by pid and its directory removed on drop.
pub(crate) struct Sentinel {
    pub(crate) port: u16,
    pub(crate) child: Child,
    dir: PathBuf,
}

impl Sentinel {
    pub(crate) fn start(tag: &str, primary: u16) -> Sentinel {
        let dir =
            std::env::temp_dir().join(format!("msgsim-sentinel-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let port = free_port();
        let conf = dir.join("sentinel.conf");
        let text = format!(
            "port {port}\nbind 127.0.0.1\ndaemonize no\ndir {}\nlogfile {}\n\
             sentinel monitor m 127.0.0.1 {primary} 2\n\
             sentinel down-after-milliseconds m {DOWN_AFTER_MS}\n\
             sentinel failover-timeout m {FAILOVER_TIMEOUT_MS}\nsentinel parallel-syncs m 1\n",
            dir.display(),
            dir.join("sentinel.log").display()
        );
        std::fs::write(&conf, text).expect("sentinel.conf");
        let child = Command::new("redis-sentinel")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-sentinel");
        let s = Sentinel { port, child, dir };
        let deadline = now() + Duration::from_secs(5);
        while now() < deadline {
            if let Some(mut c) = Conn::open(port)
                && c.call(&["PING"]) == Value::Status("PONG".into())
            {
                return s;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-sentinel did not start on port {port}");
    }

    /// How many replicas and other sentinels it knows for `m`.
    pub(crate) fn known(&self) -> (usize, usize) {
        let Some(mut c) = Conn::open(self.port) else {
            return (0, 0);
        };
        let n = |v: Value| match v {
            Value::Array(a) => a.len(),
            _ => 0,
        };
        (
            n(c.call(&["SENTINEL", "REPLICAS", "m"])),
            n(c.call(&["SENTINEL", "SENTINELS", "m"])),
        )
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        signal_pid(self.child.id(), "KILL");
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The real run: events of all three sentinels, in ms since the fault.
fn real_events(pause: bool) -> Vec<Seen> {
    let tag = if pause { "pause" } else { "kill" };
    let mut servers = vec![Server::start(&[], None)];
    for _ in 0..2 {
        let p = servers[0].port;
        servers.push(Server::start(&[], Some(p)));
    }
    settle_replication(&servers);
    let sentinels: Vec<Sentinel> = (0..3)
        .map(|i| Sentinel::start(&format!("{tag}{i}"), servers[0].port))
        .collect();
    // Hellos every 2 s: wait until each knows both replicas and both other sentinels.
    let deadline = now() + Duration::from_secs(15);
    while now() < deadline && !sentinels.iter().all(|s| s.known() == (2, 2)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut subs: Vec<Conn> = sentinels
        .iter()
        .map(|s| {
            let mut c = Conn::open(s.port).expect("sentinel connection");
            c.call(&["PSUBSCRIBE", "*"]);
            c
        })
        .collect();
    let fault = now();
    servers[0].signal(if pause { "STOP" } else { "KILL" });
    let mut resumed = false;
    let mut seen: Vec<Seen> = Vec::new();
    let ms = |t: Instant| (t - fault).as_millis() as u64;
    let limit = if pause { PAUSE_MS + 14_000 } else { 9_000 };
    while ms(now()) < limit {
        if pause && !resumed && ms(now()) >= PAUSE_MS {
            servers[0].signal("CONT");
            resumed = true;
        }
        for (i, c) in subs.iter_mut().enumerate() {
            for v in c.poll(Duration::from_millis(3)) {
                let Value::Array(a) = v else { continue };
                let text: Vec<String> = a
                    .iter()
                    .map(|x| x.bulk_str().unwrap_or("").to_string())
                    .collect();
                if text.len() == 4 && text[0] == "pmessage" {
                    let about_master = !text[3].starts_with("slave ");
                    seen.push((i, text[2].clone(), about_master, ms(now())));
                }
            }
        }
        let done = |e: &str| seen.iter().any(|(_, x, _, _)| x == e);
        let switched = (0..3).all(|s| {
            seen.iter()
                .any(|(i, e, _, _)| *i == s && e == "+switch-master")
        });
        if switched && (!pause || done("+convert-to-slave")) {
            break;
        }
    }
    if pause && !resumed {
        servers[0].signal("CONT");
    }
    seen
}

/// The model's run of the same shape with `seed`.
fn model_events(pause: bool, seed: u64) -> Vec<Seen> {
    const FAULT_MS: u64 = 10_000;
    let faults = if pause {
        format!(
            "Pause(at_ms: {FAULT_MS}, node: \"r1\"), Resume(at_ms: {}, node: \"r1\")",
            FAULT_MS + PAUSE_MS
        )
    } else {
        format!("Crash(at_ms: {FAULT_MS}, node: \"r1\")")
    };
    let text = format!(
        "(version: 1, name: \"sentinel-timeline\", seed: {seed}, duration_ms: {}, quiet_ms: 100,\n\
         system: Redis(servers: 3, sentinels: 3, sentinel: (quorum: 2, down_after_ms: {DOWN_AFTER_MS}, \
         failover_timeout_ms: {FAILOVER_TIMEOUT_MS}, parallel_syncs: 1)),\n faults: [{faults}])",
        FAULT_MS + PAUSE_MS + 16_000
    );
    let (_, trace) = model::run_text("sentinel-timeline", &text, seed);
    let mut seen = Vec::new();
    for line in trace.lines() {
        if !line.contains("SentinelEvent") {
            continue;
        }
        let j: serde_json::Value = serde_json::from_str(line).expect("trace line");
        let t_ms = j["t_ns"].as_u64().unwrap_or(0) / 1_000_000;
        if t_ms < FAULT_MS {
            continue;
        }
        let node = j["node"].as_str().unwrap_or("");
        let detail = j["detail"].as_str().unwrap_or("");
        let event = detail
            .split("event: \"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("")
            .to_string();
        let sentinel = node.trim_start_matches('s').parse::<usize>().unwrap_or(1) - 1;
        seen.push((
            sentinel,
            event,
            detail.contains("master: true"),
            t_ms - FAULT_MS,
        ));
    }
    seen
}

fn check(pause: bool) {
    let case = if pause {
        "sentinel_timeline_pause"
    } else {
        "sentinel_timeline_kill"
    };
    let models: Vec<Timeline> = (1..=3)
        .map(|seed| timeline(&model_events(pause, seed), pause))
        .collect();
    if !available(case) {
        return;
    }
    let real = timeline(&real_events(pause), pause);
    println!("{case}: redis-sentinel {real:?}");
    let mut diffs = Vec::new();
    for (seed, m) in models.iter().enumerate() {
        println!("{case}: model seed {} {m:?}", seed + 1);
        diffs.extend(
            compare(&real, m, pause)
                .into_iter()
                .map(|d| format!("seed {}: {d}", seed + 1)),
        );
    }
    assert!(diffs.is_empty(), "{case}:\n{}", diffs.join("\n"));
}

#[test]
fn sentinel_timeline_kill() {
    check(false);
}

#[test]
fn sentinel_timeline_pause() {
    check(true);
}
