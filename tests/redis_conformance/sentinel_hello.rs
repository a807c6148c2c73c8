//! Sentinel hello messages on the servers' `__sentinel__:hello` channel (issue 15): a client
//! subscribed to the channel on the primary and on a replica sees every sentinel's hellos.
//! Each sentinel PUBLISHes its hello to every instance every SENTINEL_PUBLISH_PERIOD (2 s,
//! sentinel.c sentinelSendPeriodicCommands → sentinelSendHello), and the primary propagates
//! its PUBLISHes to the replica, so on the replica each sentinel's hello arrives twice per
//! period. Three real `redis-sentinel` processes watch a primary and one replica; once they
//! know each other, a subscriber on each server counts the hellos per sentinel for 6 s. The
//! model (`hello_pubsub: true`) runs the same shape. Compared: the number of sentinels heard
//! on each server (3), and on both sides every sentinel's rounds in the window — its count on
//! the primary — lie in 2..=3 (the 2 s period counts from the previous hello, plus the timer's
//! 50–100 ms, and where the window starts in a sentinel's period is chance: Redis gave
//! [2, 3, 3]); on the replica it hears that sentinel's direct hellos besides the propagated
//! ones, so between its primary count + 2 and 6 (Redis keeps one publish time per instance,
//! so the two streams have their own phases: Redis gave (r1, r2) = (2, 4), (2, 6), (2, 4) in
//! one run; the model, one period for all instances, (3, 6) on seeds 1–3).

use crate::model;
use crate::real::{Conn, Server, now, settle_replication};
use crate::resp::Value;
use crate::sentinel::{Sentinel, available};
use std::collections::BTreeMap;
use std::time::Duration;

const WINDOW_MS: u64 = 6_000;

/// Per sentinel: its hellos seen on r1 and on r2 in the window.
type Counts = Vec<(u64, u64)>;

fn pairs(per: &[BTreeMap<String, u64>; 2]) -> Counts {
    let mut keys: Vec<&String> = per[0].keys().chain(per[1].keys()).collect();
    keys.sort();
    keys.dedup();
    let at = |i: usize, k: &String| per[i].get(k).copied().unwrap_or(0);
    keys.into_iter().map(|k| (at(0, k), at(1, k))).collect()
}

/// The real run: the counts, and the problems found in the payloads.
fn real_counts() -> (Counts, Vec<String>) {
    let mut servers = vec![Server::start(&[], None)];
    let p = servers[0].port;
    servers.push(Server::start(&[], Some(p)));
    settle_replication(&servers);
    let sentinels: Vec<Sentinel> = (0..3)
        .map(|i| Sentinel::start(&format!("hello{i}"), p))
        .collect();
    let deadline = now() + Duration::from_secs(15);
    while now() < deadline && !sentinels.iter().all(|s| s.known() == (1, 2)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut subs: Vec<Conn> = servers
        .iter()
        .map(|s| {
            let mut c = Conn::open(s.port).expect("server connection");
            c.call(&["SUBSCRIBE", "__sentinel__:hello"]);
            c
        })
        .collect();
    let mut per: [BTreeMap<String, u64>; 2] = Default::default();
    let mut problems = Vec::new();
    let start = now();
    while now() - start < Duration::from_millis(WINDOW_MS) {
        for (i, c) in subs.iter_mut().enumerate() {
            for v in c.poll(Duration::from_millis(5)) {
                let Value::Array(a) = v else { continue };
                let text: Vec<&str> = a.iter().map(|x| x.bulk_str().unwrap_or("")).collect();
                if text.len() != 3 || text[0] != "message" {
                    continue;
                }
                // ip,port,runid,current_epoch,master_name,master_ip,master_port,config_epoch
                let f: Vec<&str> = text[2].split(',').collect();
                if f.len() != 8 || f[4] != "m" || f[6] != p.to_string() {
                    problems.push(format!("unexpected hello {:?}", text[2]));
                    continue;
                }
                *per[i].entry(f[2].to_string()).or_default() += 1;
            }
        }
    }
    drop(sentinels);
    (pairs(&per), problems)
}

/// The model's run of the same shape with `seed`: pushes delivered to h1 (on r1) and h2 (on
/// r2) in the window, per publisher.
fn model_counts(seed: u64) -> Counts {
    const FROM_MS: u64 = 10_000;
    let text = format!(
        "(version: 1, name: \"sentinel-hello\", seed: {seed}, duration_ms: {}, quiet_ms: 100,\n\
         system: Redis(servers: 2, sentinels: 3, sentinel: (quorum: 2, hello_pubsub: true),\n\
         clients: [(name: \"h1\", server: \"r1\", subscribe: [\"__sentinel__:hello\"]),\n\
         (name: \"h2\", server: \"r2\", subscribe: [\"__sentinel__:hello\"])]),\n faults: [])",
        FROM_MS + WINDOW_MS + 1_000
    );
    let (_, trace) = model::run_text("sentinel-hello", &text, seed);
    let mut per: [BTreeMap<String, u64>; 2] = Default::default();
    for line in trace.lines() {
        if !line.contains("\"deliver\"") || !line.contains("__sentinel__:hello") {
            continue;
        }
        let j: serde_json::Value = serde_json::from_str(line).expect("trace line");
        let t_ms = j["t_ns"].as_u64().unwrap_or(0) / 1_000_000;
        let i = match j["node"].as_str() {
            Some("h1") => 0,
            Some("h2") => 1,
            _ => continue,
        };
        if !(FROM_MS..FROM_MS + WINDOW_MS).contains(&t_ms) {
            continue;
        }
        // Each PubRange of the write: `publisher: N, count: C`.
        let detail = j["detail"].as_str().unwrap_or("");
        for part in detail.split("publisher: ").skip(1) {
            let publisher = part.split(',').next().unwrap_or("").to_string();
            let count = part
                .split("count: ")
                .nth(1)
                .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(1);
            *per[i].entry(publisher).or_default() += count;
        }
    }
    pairs(&per)
}

/// What one side's counts break of the rules above.
fn broken(side: &str, c: &Counts) -> Vec<String> {
    let mut out = Vec::new();
    if c.len() != 3 {
        out.push(format!("{side}: {} sentinels heard, not 3: {c:?}", c.len()));
    }
    for &(r1, r2) in c {
        if !(2..=3).contains(&r1) || !(r1 + 2..=6).contains(&r2) {
            out.push(format!(
                "{side}: a sentinel's hellos (r1, r2) = ({r1}, {r2})"
            ));
        }
    }
    out
}

#[test]
fn sentinel_hellos_on_the_hello_channel() {
    let case = "sentinel_hellos_on_the_hello_channel";
    let models: Vec<Counts> = (1..=3).map(model_counts).collect();
    let mut diffs = Vec::new();
    for (seed, m) in models.iter().enumerate() {
        println!("{case}: model seed {} {m:?}", seed + 1);
        diffs.extend(broken(&format!("model seed {}", seed + 1), m));
    }
    assert!(diffs.is_empty(), "{case}:\n{}", diffs.join("\n"));
    if !available(case) {
        return;
    }
    let (real, problems) = real_counts();
    println!("{case}: redis-sentinel (r1, r2) per sentinel {real:?}");
    diffs.extend(problems);
    diffs.extend(broken("redis", &real));
    assert!(diffs.is_empty(), "{case}:\n{}", diffs.join("\n"));
}
