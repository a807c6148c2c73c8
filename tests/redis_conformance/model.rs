//! A conformance case as a model scenario: its steps become the script, the run's JSON-lines
//! trace gives each step's RESP reply (`RedisEvent::Step::resp`), the messages each client
//! received and its disconnections; the per-node INFO fields come from the report.

use crate::case::{Case, INFO_FIELDS, Obs, Wire, canon, offset_field};
use crate::resp::{self, Value};
use msgsim::runner::{self, RunOptions};
use msgsim::scenario;
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// The model's settings for one redis.conf line.
fn model_setting(k: &str, v: &str) -> String {
    let field = match k {
        "maxmemory" => "maxmemory_bytes",
        "maxmemory-policy" => {
            let p = match v {
                "noeviction" => "Noeviction",
                "allkeys-lru" => "AllkeysLru",
                _ => panic!("maxmemory-policy {v}"),
            };
            return format!("maxmemory_policy: {p}");
        }
        "min-replicas-to-write" => "min_replicas_to_write",
        "min-replicas-max-lag" => "min_replicas_max_lag_s",
        "repl-backlog-size" => "repl_backlog_size_bytes",
        "repl-timeout" => "repl_timeout_s",
        "repl-backlog-ttl" => "repl_backlog_ttl_s",
        "replica-read-only" => return format!("replica_read_only: {}", yes_no(k, v)),
        "replica-serve-stale-data" => {
            return format!("replica_serve_stale_data: {}", yes_no(k, v));
        }
        "repl-diskless-sync-delay" => "repl_diskless_sync_delay_s",
        "repl-ping-replica-period" => "repl_ping_replica_period_s",
        "maxclients" => "maxclients",
        "databases" => "databases",
        "proto-max-bulk-len" => "proto_max_bulk_len_bytes",
        "timeout" => "timeout_s",
        "stream-node-max-entries" => "stream_node_max_entries",
        "stream-node-max-bytes" => "stream_node_max_bytes",
        "client-output-buffer-limit" => {
            let f: Vec<&str> = v.split(' ').collect();
            return match f[0] {
                "pubsub" => format!(
                    "obuf_pubsub_hard_bytes: {}, obuf_pubsub_soft_bytes: {}, obuf_pubsub_soft_seconds: {}",
                    f[1], f[2], f[3]
                ),
                "normal" => format!("obuf_normal_hard_bytes: {}", f[1]),
                _ => panic!("client-output-buffer-limit {v}"),
            };
        }
        _ => panic!("no model setting for {k}"),
    };
    format!("{field}: {v}")
}

/// A redis.conf `yes` / `no`.
fn yes_no(k: &str, v: &str) -> bool {
    match v {
        "yes" => true,
        "no" => false,
        _ => panic!("{k} {v}"),
    }
}

pub fn scenario_text(case: &Case) -> String {
    // The harness starts real servers with `repl-diskless-sync-delay 0` unless the case says.
    let mut server = Vec::new();
    if !case
        .conf
        .iter()
        .any(|(k, _)| k == "repl-diskless-sync-delay")
    {
        server.push("repl_diskless_sync_delay_s: 0".to_string());
    }
    server.extend(case.conf.iter().map(|(k, v)| model_setting(k, v)));
    let clients: Vec<String> = case
        .clients
        .iter()
        .map(|(n, s)| {
            let late = case.late.contains(n);
            format!(
                "(name: {n:?}, server: \"r{s}\", connect_at_start: {}, reconnect: {})",
                !late,
                case.reconnect.contains(n)
            )
        })
        .collect();
    let mut script: Vec<String> = case
        .steps
        .iter()
        .map(|s| {
            format!(
                "(at_ms: {}, client: {:?}, cmd: {})",
                s.at_ms, s.client, s.ron
            )
        })
        .collect();
    let end = case.end_ms();
    for (n, _) in &case.clients {
        script.push(format!("(at_ms: {end}, client: {n:?}, cmd: Disconnect)"));
    }
    let faults: Vec<String> = case
        .pauses
        .iter()
        .map(|(at, n, stop)| {
            let f = if *stop { "Pause" } else { "Resume" };
            format!("{f}(at_ms: {at}, node: \"r{n}\")")
        })
        .collect();
    format!(
        "(version: 1, name: {:?}, seed: 1, duration_ms: {}, quiet_ms: 100,\n system: Redis(servers: {}, server: ({}),\n clients: [{}],\n script: [\n{}\n]),\n faults: [{}])",
        case.name,
        end + 100,
        case.servers,
        server.join(", "),
        clients.join(", "),
        script.join(",\n"),
        faults.join(", ")
    )
}

#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Run a scenario text with `seed`: its report and JSON-lines trace.
pub fn run_text(name: &str, text: &str, seed: u64) -> (runner::RunOutcome, String) {
    let loaded = scenario::parse("conformance.ron", text.to_string())
        .unwrap_or_else(|d| panic!("{name}: {d}\n{text}"));
    let trace = Shared::default();
    let options = RunOptions {
        seed,
        trace_out: Some(Box::new(trace.clone())),
        profile: None,
    };
    let outcome = runner::run(&loaded, options).unwrap_or_else(|e| panic!("{name}: {e}"));
    let bytes = trace.0.borrow().clone();
    (outcome, String::from_utf8(bytes).expect("utf-8 trace"))
}

pub fn run(case: &Case) -> Obs {
    let text = scenario_text(case);
    let (outcome, trace) = run_text(&case.name, &text, 1);
    let mut obs = Obs::default();
    for line in trace.lines() {
        if !line.contains("\"kind\":\"history\"") {
            continue;
        }
        let j: serde_json::Value = serde_json::from_str(line).expect("trace line");
        let node = j["node"].as_str().unwrap_or("").to_string();
        let detail = j["detail"].as_str().unwrap_or("");
        let before_end = j["t_ns"].as_u64().unwrap_or(0) < case.end_ms() * 1_000_000;
        history(case, &mut obs, &node, detail, before_end);
    }
    let r = &outcome.report.observations;
    let has_min = case.conf.iter().any(|(k, _)| k == "min-replicas-to-write");
    for i in 1..=case.servers {
        for f in INFO_FIELDS {
            if *f == "min_slaves_good_slaves" && !has_min {
                continue;
            }
            let v = r
                .get(&format!("r{i}:{f}"))
                .unwrap_or_else(|| panic!("no r{i}:{f} in the report"));
            obs.info.insert(format!("r{i}:{f}"), format!("{v}"));
        }
        if i > 1 {
            let eq = r[&format!("r{i}:master_repl_offset")] == r["r1:master_repl_offset"];
            obs.info.insert(offset_field(i), eq.to_string());
        }
    }
    obs
}

/// One history event (its Debug text) into the observations.
fn history(case: &Case, obs: &mut Obs, node: &str, detail: &str, before_end: bool) {
    if detail.starts_with("Step {") {
        let step = num(detail, "step") as usize;
        let resp = string(detail, "resp");
        let v = if resp == "closed" {
            Value::Closed
        } else {
            let mut all = resp::parse_all(resp.as_bytes());
            assert_eq!(all.len(), 1, "one reply per step: {resp:?}");
            all.remove(0)
        };
        obs.replies.insert(step, canon(&case.steps[step].cmd, &v));
        if v != Value::Closed {
            let client = case.steps[step].client.clone();
            obs.wire.entry(client).or_default().push(Wire::Reply(step));
        }
    } else if detail.starts_with("Received {") {
        let sub = string(detail, "sub");
        let publisher = case.clients[num(detail, "publisher") as usize].0.clone();
        let first = num(detail, "first_seq");
        let count = num(detail, "count");
        let wire = obs.wire.entry(node.to_string()).or_default();
        for seq in first..first + count {
            wire.push(Wire::Push(sub.clone(), publisher.clone(), seq));
        }
        let seqs = obs
            .pushes
            .entry((node.to_string(), sub, publisher))
            .or_default();
        seqs.extend(first..first + count);
    } else if detail.starts_with("Disconnected {") && before_end {
        *obs.closes.entry(node.to_string()).or_default() += 1;
    }
}

/// The number after `name: ` in a Debug text.
fn num(detail: &str, name: &str) -> u64 {
    let at = detail.find(&format!(" {name}: ")).expect("field") + name.len() + 3;
    let digits: String = detail[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().expect("number")
}

/// The string literal after `name: ` in a Debug text, unescaped.
fn string(detail: &str, name: &str) -> String {
    let at = detail.find(&format!(" {name}: \"")).expect("field") + name.len() + 4;
    let mut out = String::new();
    let mut chars = detail[at..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return out,
            '\\' => match chars.next() {
                Some('r') => out.push('\r'),
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('0') => out.push('\0'),
                Some(c) => out.push(c),
                None => break,
            },
            c => out.push(c),
        }
    }
    panic!("unterminated string in {detail}")
}
