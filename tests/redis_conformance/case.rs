//! The script form of a conformance case and what a run of it observed. One `Case` runs
//! unchanged against the model (`model.rs`: as a scenario script) and against real
//! `redis-server` processes (`real_run.rs`); the two `Obs` must be equal.
//!
//! A case names servers (`r1` primary, `r2..` its replicas), redis.conf settings, clients (each
//! on one server) and timed steps: a model `Cmd` in RON (`Set(key: "k", value: 5)`), or the
//! client-side `Connect` / `Disconnect` / `StopReading` / `StartReading`. At the end every
//! client disconnects; then `INFO` is read from every server.

use crate::resp::Value;
use msgsim_models::redis::cmd::Cmd;
use std::collections::BTreeMap;

pub struct Step {
    pub at_ms: u64,
    pub client: String,
    pub ron: String,
    pub cmd: Cmd,
}

pub struct Case {
    pub name: String,
    pub servers: usize,
    /// redis.conf spelling (`maxmemory`, `1048576`).
    pub conf: Vec<(String, String)>,
    /// (name, server number 1..=servers).
    pub clients: Vec<(String, usize)>,
    pub steps: Vec<Step>,
    /// Time after the last step before the final disconnects and INFO.
    pub settle_ms: u64,
    /// Clients whose received messages are not compared (with the reason in the case).
    pub ignore_pushes: Vec<String>,
    /// Steps whose replies are not compared (with the reason in the case).
    pub ignore_replies: Vec<usize>,
    /// Clients that connect at their first `Connect` step, not at the start.
    pub late: Vec<String>,
    /// Clients that reconnect at their next command after the server closed their
    /// connection (`reconnect: true`); the others see `closed` until a `Connect` step.
    pub reconnect: Vec<String>,
    /// The real run waits for replication at rest before each step (`false`: only at the
    /// start and the end, for a case whose steps fall inside a sync it wants to see).
    pub settle_steps: bool,
    /// Server processes stopped (`true`: SIGSTOP, the model's `Pause`) and resumed (SIGCONT,
    /// `Resume`): (at_ms, server number, stop).
    pub pauses: Vec<(u64, usize, bool)>,
    next_at: u64,
}

/// What one run observed, in a form both sides produce.
#[derive(Debug, Default, PartialEq)]
pub struct Obs {
    /// Step index → its reply (typed notation, see `resp.rs`), `closed` if none came.
    pub replies: BTreeMap<usize, String>,
    /// (subscriber, subscription, publisher) → message sequence numbers in arrival order.
    pub pushes: BTreeMap<(String, String, String), Vec<u64>>,
    /// Client → connections it saw closed before the case's end (by its own Disconnect or by
    /// the server).
    pub closes: BTreeMap<String, u32>,
    /// `rN:field` → value (INFO replication / stats).
    pub info: BTreeMap<String, String>,
    /// Client → what arrived on its connection, in wire order: step replies and pushed
    /// messages (compared as `wire_order` gives it).
    pub wire: BTreeMap<String, Vec<Wire>>,
}

/// One thing a client read from its connection.
#[derive(Clone, Debug, PartialEq)]
pub enum Wire {
    /// The (last frame of the) reply to step `n`.
    Reply(usize),
    /// A pub/sub message: subscription, publisher, sequence number.
    Push(String, String, u64),
}

/// A client's wire record as compared: each reply `r<step>`, and between two replies the
/// messages that came, per (subscription, publisher) as ranges of sequence numbers in name
/// order (`m[c/b:0-2]`). Within one stretch between replies the interleaving of different
/// subscriptions and publishers is not compared (the model records a stretch per
/// subscription and publisher; `pushes` compares each one's order); where the messages fall
/// between the replies is. Clients that got no message, or no reply, have nothing to order.
pub fn wire_order(wire: &[Wire]) -> Vec<String> {
    let has_push = wire.iter().any(|w| matches!(w, Wire::Push(..)));
    let has_reply = wire.iter().any(|w| matches!(w, Wire::Reply(_)));
    if !has_push || !has_reply {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut stretch: BTreeMap<(&str, &str), Vec<u64>> = BTreeMap::new();
    let flush = |stretch: &mut BTreeMap<(&str, &str), Vec<u64>>, out: &mut Vec<String>| {
        if stretch.is_empty() {
            return;
        }
        let mut parts = Vec::new();
        for ((sub, publisher), seqs) in std::mem::take(stretch) {
            let mut ranges: Vec<(u64, u64)> = Vec::new();
            for s in seqs {
                match ranges.last_mut() {
                    Some((_, b)) if *b + 1 == s => *b = s,
                    _ => ranges.push((s, s)),
                }
            }
            let r: Vec<String> = ranges.iter().map(|(a, b)| format!("{a}-{b}")).collect();
            parts.push(format!("{sub}/{publisher}:{}", r.join(",")));
        }
        out.push(format!("m[{}]", parts.join(" ")));
    };
    for w in wire {
        match w {
            Wire::Reply(n) => {
                flush(&mut stretch, &mut out);
                out.push(format!("r{n}"));
            }
            Wire::Push(sub, publisher, seq) => {
                stretch.entry((sub, publisher)).or_default().push(*seq);
            }
        }
    }
    flush(&mut stretch, &mut out);
    out
}

impl Case {
    pub fn new(name: &str) -> Case {
        Case {
            name: name.to_string(),
            servers: 1,
            conf: Vec::new(),
            clients: Vec::new(),
            steps: Vec::new(),
            settle_ms: 300,
            ignore_pushes: Vec::new(),
            ignore_replies: Vec::new(),
            late: Vec::new(),
            reconnect: Vec::new(),
            settle_steps: true,
            pauses: Vec::new(),
            next_at: 100,
        }
    }
    pub fn servers(mut self, n: usize) -> Case {
        self.servers = n;
        self
    }
    pub fn conf(mut self, k: &str, v: &str) -> Case {
        self.conf.push((k.to_string(), v.to_string()));
        self
    }
    pub fn client(mut self, name: &str, server: usize) -> Case {
        self.clients.push((name.to_string(), server));
        self
    }
    /// Clients `a`, `b`, ... on r1.
    pub fn clients_on_r1(mut self, names: &[&str]) -> Case {
        for n in names {
            self.clients.push((n.to_string(), 1));
        }
        self
    }
    /// The next step `gap_ms` later (default 20).
    pub fn after(mut self, gap_ms: u64) -> Case {
        self.next_at += gap_ms;
        self
    }
    /// Do not compare what `client` received: how much a client that stops reading still
    /// gets depends on the kernel's socket buffers (the model's `socket_buffer_bytes`).
    pub fn ignore_pushes_of(mut self, client: &str) -> Case {
        self.ignore_pushes.push(client.to_string());
        self
    }
    /// Do not compare the reply of the step added last.
    pub fn ignore_last_reply(mut self) -> Case {
        self.ignore_replies.push(self.steps.len() - 1);
        self
    }
    /// `client` connects at its first `Connect` step.
    pub fn late(mut self, client: &str) -> Case {
        self.late.push(client.to_string());
        self
    }
    /// `client` reconnects at its next command when the server closed its connection.
    pub fn reconnect(mut self, client: &str) -> Case {
        self.reconnect.push(client.to_string());
        self
    }
    /// Steps do not wait for replication at rest: a sync started by a step is still running
    /// at the next ones, as in the model at the same times.
    pub fn unsettled_steps(mut self) -> Case {
        self.settle_steps = false;
        self
    }
    /// Stop server `n`'s process now (SIGSTOP; the model's `Pause` fault); the steps do not
    /// wait for replication at rest from here on (`unsettled_steps`).
    pub fn pause_server(mut self, n: usize) -> Case {
        self.pauses.push((self.next_at, n, true));
        self.settle_steps = false;
        self.next_at += 20;
        self
    }
    /// Resume server `n` (SIGCONT; `Resume`).
    pub fn resume_server(mut self, n: usize) -> Case {
        self.pauses.push((self.next_at, n, false));
        self.next_at += 20;
        self
    }
    pub fn settle(mut self, ms: u64) -> Case {
        self.settle_ms = ms;
        self
    }
    pub fn step(mut self, client: &str, ron: &str) -> Case {
        let cmd: Cmd =
            ron::from_str(ron).unwrap_or_else(|e| panic!("{}: step `{ron}`: {e}", self.name));
        assert!(
            self.clients.iter().any(|(c, _)| c == client),
            "{}: unknown client {client}",
            self.name
        );
        self.steps.push(Step {
            at_ms: self.next_at,
            client: client.to_string(),
            ron: ron.to_string(),
            cmd,
        });
        self.next_at += 20;
        self
    }
    pub fn end_ms(&self) -> u64 {
        let last_step = self.steps.last().map_or(100, |s| s.at_ms);
        let last_pause = self.pauses.iter().map(|p| p.0).max().unwrap_or(0);
        last_step.max(last_pause) + self.settle_ms
    }
    pub fn client_index(&self, name: &str) -> usize {
        self.clients
            .iter()
            .position(|(c, _)| c == name)
            .expect("client")
    }
}

/// Every item on which the two observations differ, readable.
pub fn differences(case: &Case, model: &Obs, real: &Obs) -> Vec<String> {
    let mut out = Vec::new();
    let none = "(none)".to_string();
    for i in 0..case.steps.len() {
        let (m, r) = (model.replies.get(&i), real.replies.get(&i));
        if m != r {
            let s = &case.steps[i];
            out.push(format!(
                "step {i} ({} {}): model {} | redis {}",
                s.client,
                s.ron,
                m.unwrap_or(&none),
                r.unwrap_or(&none)
            ));
        }
    }
    diff_maps("pushes", &model.pushes, &real.pushes, &mut out);
    let order = |o: &Obs| -> BTreeMap<String, Vec<String>> {
        o.wire
            .iter()
            .map(|(c, w)| (c.clone(), wire_order(w)))
            .filter(|(_, w)| !w.is_empty())
            .collect()
    };
    diff_maps("wire order", &order(model), &order(real), &mut out);
    diff_maps("closes", &model.closes, &real.closes, &mut out);
    diff_maps("info", &model.info, &real.info, &mut out);
    out
}

fn diff_maps<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
    what: &str,
    m: &BTreeMap<K, V>,
    r: &BTreeMap<K, V>,
    out: &mut Vec<String>,
) {
    let keys: std::collections::BTreeSet<&K> = m.keys().chain(r.keys()).collect();
    for k in keys {
        if m.get(k) != r.get(k) {
            out.push(format!(
                "{what} {k:?}: model {:?} | redis {:?}",
                m.get(k),
                r.get(k)
            ));
        }
    }
}

/// The typed text of a reply, with what cannot agree masked the same way on both sides: a
/// bulk of only `x` (a padded payload the model does not carry) is `"_"`, XPENDING's idle
/// times are `"~"`.
pub fn canon(cmd: &Cmd, v: &Value) -> String {
    let mut v = payloads(v.clone());
    // HELLO's client id counts every connection the server accepted, the harness's own
    // (INFO, readiness probes) included; the version is the installed server's.
    if let (Cmd::Hello { .. }, Value::Map(_) | Value::Array(_)) = (cmd, &v) {
        mask_fields(&mut v, &["id", "version"]);
    }
    if let (Cmd::XPending { .. }, Value::Array(rows)) = (cmd, &mut v) {
        for row in rows.iter_mut() {
            if let Value::Array(f) = row
                && f.len() == 4
                && matches!(f[0], Value::Bulk(_))
            {
                f[2] = Value::Bulk(b"~".to_vec());
            }
        }
    }
    // XINFO STREAM's radix-tree-nodes depends on the rax's internal structure, which the
    // model does not keep (docs/redis-conformance.md).
    if let Cmd::XInfoStream { full, .. } = cmd {
        mask_fields(&mut v, &["radix-tree-nodes"]);
        if *full {
            mask_times(&mut v);
        }
    }
    // XINFO CONSUMERS' idle times (ms since each consumer was seen) are masked as
    // XPENDING's.
    if let (Cmd::XInfoConsumers { .. }, Value::Array(consumers)) = (cmd, &mut v) {
        for c in consumers.iter_mut() {
            mask_fields(c, &["idle"]);
        }
    }
    match (cmd, &v) {
        (Cmd::InfoSection { .. }, Value::Bulk(text)) => {
            v = Value::Bulk(info_fields(text).into_bytes());
        }
        (Cmd::InfoSection { .. }, Value::Verbatim(f, text)) => {
            v = Value::Verbatim(f.clone(), info_fields(text).into_bytes());
        }
        _ => {}
    }
    // UNSUBSCRIBE / PUNSUBSCRIBE without names leave the client's channels in the order of
    // Redis's dict (a hash order; the model goes in name order): the names are compared as
    // a set, the counts in order.
    let all = matches!(cmd, Cmd::Unsubscribe { channels } if channels.is_empty())
        || matches!(cmd, Cmd::Punsubscribe { patterns } if patterns.is_empty());
    if let (true, Value::Array(confirmations)) = (all, &mut v) {
        let mut names: Vec<Value> = confirmations
            .iter()
            .filter_map(|c| match c.items() {
                Some(f) if f.len() == 3 => Some(f[1].clone()),
                _ => None,
            })
            .collect();
        names.sort_by_key(|n| n.to_string());
        for (c, n) in confirmations.iter_mut().zip(names) {
            if let Value::Array(f) | Value::Push(f) = c {
                f[1] = n;
            }
        }
    }
    v.to_string()
}

/// The values of the named fields of a map reply (RESP3 `%`, or RESP2's flat array of
/// names and values) written `~`.
fn mask_fields(v: &mut Value, names: &[&str]) {
    let named = |k: &Value| names.iter().any(|n| k.bulk_str() == Some(*n));
    match v {
        Value::Map(kv) => {
            for (k, v) in kv.iter_mut() {
                if named(k) {
                    *v = Value::Bulk(b"~".to_vec());
                }
            }
        }
        Value::Array(f) => {
            for i in 1..f.len() {
                if i % 2 == 1 && named(&f[i - 1]) {
                    f[i] = Value::Bulk(b"~".to_vec());
                }
            }
        }
        _ => {}
    }
}

/// XINFO STREAM FULL's times (Unix ms on the server, the node's clock in the model) written
/// `~`: every `seen-time`, and the delivery time of each pending row (`[id, consumer, time, n]`
/// of a group, `[id, time, n]` of a consumer). A map is RESP3's `%` or RESP2's flat array of
/// names (starting with `length` or `name`) and values.
fn mask_times(v: &mut Value) {
    match v {
        Value::Map(kv) => {
            for (k, x) in kv.iter_mut() {
                mask_time_field(k.bulk_str(), x);
            }
        }
        Value::Array(f) => {
            let flat = matches!(f.first().and_then(Value::bulk_str), Some("length" | "name"));
            if flat {
                for pair in f.chunks_mut(2) {
                    if let [k, x] = pair {
                        mask_time_field(k.bulk_str(), x);
                    }
                }
            } else {
                f.iter_mut().for_each(mask_times);
            }
        }
        _ => {}
    }
}

fn mask_time_field(name: Option<&str>, x: &mut Value) {
    match name {
        Some("seen-time") => *x = Value::Bulk(b"~".to_vec()),
        Some("pending") => {
            if let Value::Array(rows) = x {
                for r in rows.iter_mut() {
                    if let Value::Array(f) = r
                        && f.len() >= 3
                    {
                        let at = f.len() - 2;
                        f[at] = Value::Bulk(b"~".to_vec());
                    }
                }
            }
        }
        Some("groups" | "consumers") => mask_times(x),
        _ => {}
    }
}

/// The INFO fields the model writes (`Server::info_replication_text`), in the reply's order;
/// the offsets' values are `~` (absolute offsets are not compared, see below).
fn info_fields(text: &[u8]) -> String {
    const KEPT: &[&str] = &[
        "role",
        "master_link_status",
        "slave_repl_offset",
        "slave_read_only",
        "connected_slaves",
        "min_slaves_good_slaves",
        "master_repl_offset",
        "repl_backlog_active",
        "repl_backlog_size",
    ];
    let text = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((k, v)) = line.trim_end().split_once(':') else {
            continue;
        };
        if KEPT.contains(&k) {
            let v = if k.ends_with("_offset") { "~" } else { v };
            out.push(format!("{k}:{v}"));
        }
    }
    out.join(" ")
}

fn payloads(v: Value) -> Value {
    match v {
        Value::Bulk(b) if b.len() >= 8 && b.iter().all(|c| *c == b'x') => {
            Value::Bulk(b"_".to_vec())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(payloads).collect()),
        Value::Push(items) => Value::Push(items.into_iter().map(payloads).collect()),
        Value::Map(kv) => Value::Map(
            kv.into_iter()
                .map(|(k, v)| (payloads(k), payloads(v)))
                .collect(),
        ),
        v => v,
    }
}

/// The INFO fields compared, as the model names them per node (`r1:sync_full`).
pub const INFO_FIELDS: &[&str] = &[
    "role_master",
    "connected_slaves",
    "min_slaves_good_slaves",
    "sync_full",
    "sync_partial_ok",
    "sync_partial_err",
];

/// `rN:offset_equals_r1`: a replica's offset equals r1's (absolute offsets are not compared:
/// see docs/redis-conformance.md).
pub fn offset_field(i: usize) -> String {
    format!("r{i}:offset_equals_r1")
}
