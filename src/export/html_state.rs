//! The state the HTML page shows at each step, read back from the trace alone: what each node
//! said about itself in the messages it sent and the history it recorded. No model rule is
//! re-run here; each value is a field of a message or history event (named in the comments),
//! so the page shows what the run reported, not what a second implementation would predict.

use super::TraceLine;
use super::scene::{self, Context};
use crate::export_history::debug_to_json;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One state change: node, key, value.
pub type SetOp = (String, String, String);

/// A message in flight: id, from, to, label, send time, marked anomaly.
pub type Flight = (u64, String, String, String, u64, Option<String>);

/// A point of a time series: (time ns, value).
pub type Point = (u64, i64);

/// A range of a replica's log removed by truncation, `[to, from)` at `t_ns`.
#[derive(Clone, Debug, PartialEq)]
pub struct Truncation {
    pub node: String,
    pub partition: u64,
    pub from_offset: i64,
    pub to_offset: i64,
    pub t_ns: u64,
}

/// Folds trace lines into per-node state, time series and the messages in flight.
#[derive(Default)]
pub struct Tracker {
    /// node → key → value, as of the last folded line.
    pub state: BTreeMap<String, BTreeMap<String, String>>,
    /// Changes since the last [`Tracker::take_changes`].
    changes: Vec<SetOp>,
    /// Messages in flight that the picture filter shows.
    pub in_flight: BTreeMap<u64, Flight>,
    added: Vec<Flight>,
    removed: Vec<u64>,
    /// (partition, replica) → LEO and HW series.
    pub leo: BTreeMap<(u64, String), Vec<Point>>,
    pub hw: BTreeMap<(u64, String), Vec<Point>>,
    pub truncations: Vec<Truncation>,
    /// (consumer, partition) → lag series (leader HW − the consumer's fetch position).
    pub lag: BTreeMap<(String, u64), Vec<Point>>,
    /// Latest high watermark a leader sent, by partition.
    leader_hw: BTreeMap<u64, i64>,
    /// (consumer, request id) → offsets it asked to commit.
    commits: BTreeMap<(String, u64), Vec<(u64, i64)>>,
    /// Redis: bytes a server pushed to a client, not yet reported read by it (per server, client).
    unread: BTreeMap<(String, String), i64>,
    net_touched: BTreeSet<String>,
    /// Produce batch id → (partition, records) it carried, at the broker.
    produced: BTreeMap<u64, (u64, i64)>,
}

fn num(v: &Value) -> Option<i64> {
    v.as_i64()
}

fn push_point(series: &mut Vec<Point>, t: u64, v: i64) {
    if series.last().is_none_or(|&(_, last)| last != v) {
        series.push((t, v));
    }
}

impl Tracker {
    fn set(&mut self, node: &str, key: &str, value: String) {
        let slot = self.state.entry(node.to_string()).or_default();
        if slot.get(key) != Some(&value) {
            slot.insert(key.to_string(), value.clone());
            self.changes
                .push((node.to_string(), key.to_string(), value));
        }
    }

    fn get_num(&self, node: &str, key: &str) -> Option<i64> {
        self.state.get(node)?.get(key)?.parse().ok()
    }

    /// The state changes, messages sent and messages delivered or dropped since the last call.
    pub fn take_changes(&mut self) -> (Vec<SetOp>, Vec<Flight>, Vec<u64>) {
        (
            std::mem::take(&mut self.changes),
            std::mem::take(&mut self.added),
            std::mem::take(&mut self.removed),
        )
    }

    /// Fold one line; `shown` says whether the picture filter shows it (in-flight list).
    pub fn fold(&mut self, l: &TraceLine, cx: &Context, shown: bool, mark: Option<&String>) {
        match l.kind.as_str() {
            "send" => {
                if let (Some(m), Some(peer)) = (l.msg, &l.peer)
                    && shown
                {
                    let f = (
                        m,
                        l.node.clone(),
                        peer.clone(),
                        l.label.clone(),
                        l.t_ns,
                        mark.cloned(),
                    );
                    self.in_flight.insert(m, f.clone());
                    self.added.push(f);
                }
            }
            "fault" => self.fault(l, cx),
            // A delivery, a drop, or a connection accepted (a SYN lands as `conn_accepted`).
            _ => self.landed(l),
        }
        if l.kind == "history" {
            self.history(l, cx);
        } else if l.kind == "send" || l.kind == "deliver" {
            self.message(l, cx);
        }
    }

    fn landed(&mut self, l: &TraceLine) {
        if let Some(m) = l.msg
            && self.in_flight.remove(&m).is_some()
        {
            self.removed.push(m);
        }
    }

    fn fault(&mut self, l: &TraceLine, cx: &Context) {
        let (_, v) = debug_to_json(l.detail.as_deref().unwrap_or(""));
        let node = v["node"].as_u64().map(|i| cx.name(i));
        let status = match l.label.as_str() {
            "crash" | "crash_lose_unflushed" => Some("crashed"),
            "restart" | "resume" => Some("up"),
            "pause" => Some("paused"),
            _ => None,
        };
        if let (Some(n), Some(s)) = (&node, status) {
            self.set(n, "process", s.to_string());
        }
        match l.label.as_str() {
            "partition" => {
                for w in scene::fault_windows(std::slice::from_ref(l), cx) {
                    let groups = w.label.trim_start_matches("partition ").to_string();
                    for n in &w.nodes {
                        let side = groups
                            .split(" | ")
                            .find(|g| {
                                g.trim_matches(|c| c == '{' || c == '}')
                                    .split(',')
                                    .any(|x| x == n)
                            })
                            .unwrap_or("")
                            .to_string();
                        self.net_touched.insert(n.clone());
                        self.set(n, "network", format!("partitioned, side {side}"));
                    }
                }
            }
            "isolate" => {
                if let Some(n) = &node {
                    self.net_touched.insert(n.clone());
                    self.set(n, "network", "isolated".into());
                }
            }
            "heal" => {
                for n in std::mem::take(&mut self.net_touched) {
                    self.set(&n, "network", "connected".into());
                }
            }
            _ => {}
        }
    }

    /// Kafka and Redis message fields (the detail is the message's Debug text).
    fn message(&mut self, l: &TraceLine, cx: &Context) {
        let Some(d) = l.detail.as_deref() else {
            return;
        };
        let sent = l.kind == "send";
        let to_server = l.peer.as_ref().is_some_and(|p| cx.servers.contains(p));
        match l.label.as_str() {
            // The leader's own log: `FetchResp` carries its hw, leo and log_start
            // (FetchResponse.PartitionData: high_watermark, log_start_offset; leo as modelled).
            "FetchResp" if sent => {
                let (_, v) = debug_to_json(d);
                for (p, rec) in parts(&v) {
                    if let (Some(hw), Some(leo)) = (num(&rec["hw"]), num(&rec["leo"])) {
                        self.replica(l, p, &l.node, Some(leo), Some(hw));
                        self.leader_hw.insert(p, hw);
                        if let Some(ls) = num(&rec["log_start"]) {
                            self.set(&l.node, &format!("p{p} log start"), ls.to_string());
                        }
                    }
                }
            }
            // A follower receiving records: it appends them and takes min(leader HW, its LEO)
            // as its HW (the follower side of KIP-101/ReplicaFetcherThread), both read here
            // from the answer.
            "FetchResp" if cx.servers.contains(&l.node) => {
                let (_, v) = debug_to_json(d);
                for (p, rec) in parts(&v) {
                    let key = format!("p{p} LEO");
                    let mut leo = self.get_num(&l.node, &key);
                    if let Some(bs) = rec["batches"].as_array() {
                        for b in bs {
                            if let (Some(base), Some(n)) =
                                (num(&b["base_offset"]), b["values"].as_array())
                            {
                                leo = Some(leo.unwrap_or(0).max(base + n.len() as i64));
                            }
                        }
                    }
                    let hw = num(&rec["hw"]).map(|h| leo.map_or(h, |e| h.min(e)));
                    self.replica(l, p, &l.node, leo, hw);
                }
            }
            // A follower's fetch position is its log end offset; a position below the LEO it
            // had is a truncation (divergence or truncate-to-HW on restart).
            // A leader's append: the Produce request's batches (id, partition, records) and
            // the base offset its answer gives each batch id
            // (ProduceResponse.PartitionResponse.base_offset) give the leader's LEO.
            "Produce" if !sent && cx.servers.contains(&l.node) => {
                let (_, v) = debug_to_json(d);
                for b in v["batches"].as_array().into_iter().flatten() {
                    if let (Some(id), Some(p), Some(n)) =
                        (b["id"].as_u64(), b["p"].as_u64(), b["values"].as_array())
                    {
                        self.produced.insert(id, (p, n.len() as i64));
                    }
                }
            }
            "ProduceResp" if sent => {
                let (_, v) = debug_to_json(d);
                for r in v["results"].as_array().into_iter().flatten() {
                    let (Some(id), Some(base)) = (r[0].as_u64(), r[1].as_i64()) else {
                        continue;
                    };
                    let Some((p, n)) = self.produced.remove(&id) else {
                        continue;
                    };
                    let key = format!("p{p} LEO");
                    let leo = self.get_num(&l.node, &key).unwrap_or(0).max(base + n);
                    self.replica(l, p, &l.node, Some(leo), None);
                }
            }
            "ReplicaFetch" if sent => {
                let (_, v) = debug_to_json(d);
                for fp in fetch_parts(&v) {
                    if let (Some(p), Some(off)) = (fp["p"].as_u64(), num(&fp["fetch_offset"])) {
                        self.replica(l, p, &l.node, Some(off), None);
                    }
                }
            }
            "Fetch" if sent => {
                let (_, v) = debug_to_json(d);
                for fp in fetch_parts(&v) {
                    if let (Some(p), Some(off)) = (fp["p"].as_u64(), num(&fp["fetch_offset"])) {
                        self.set(&l.node, &format!("p{p} position"), off.to_string());
                        if let Some(&hw) = self.leader_hw.get(&p) {
                            let s = self.lag.entry((l.node.clone(), p)).or_default();
                            push_point(s, l.t_ns, (hw - off).max(0));
                            self.set(&l.node, &format!("p{p} lag"), (hw - off).max(0).to_string());
                        }
                    }
                }
            }
            "OffsetCommit" if sent => {
                let (_, v) = debug_to_json(d);
                if let (Some(req), Some(offs)) = (v["req"].as_u64(), v["offsets"].as_array()) {
                    let list: Vec<(u64, i64)> = offs
                        .iter()
                        .filter_map(|o| Some((o[0].as_u64()?, o[1].as_i64()?)))
                        .collect();
                    self.commits.insert((l.node.clone(), req), list);
                }
            }
            "OffsetCommitResp" if !sent => {
                let (_, v) = debug_to_json(d);
                if let Some(req) = v["req"].as_u64()
                    && let Some(list) = self.commits.remove(&(l.node.clone(), req))
                {
                    let ok = v["ok"].as_bool().unwrap_or(false);
                    for (p, off) in list {
                        let key = format!("p{p} committed");
                        if ok {
                            self.set(&l.node, &key, off.to_string());
                        } else {
                            self.set(&l.node, &format!("p{p} commit"), format!("{off} refused"));
                        }
                    }
                }
            }
            "JoinResp" if !sent => {
                let (_, v) = debug_to_json(d);
                if let Some(a) = v["assignment"].as_array() {
                    let ps: Vec<String> = a.iter().map(|p| format!("p{p}")).collect();
                    self.set(&l.node, "assignment", format!("[{}]", ps.join(", ")));
                }
                if let Some(g) = v["generation"].as_u64() {
                    self.set(&l.node, "generation", g.to_string());
                }
            }
            "Metadata" | "AlterPartitionResp" if sent => {
                let (_, v) = debug_to_json(d);
                for (p, st) in scene::partition_states(&v) {
                    let leader = st["leader"].as_u64().map(|b| cx.name(b));
                    let epoch = st["leader_epoch"].as_u64().unwrap_or(0);
                    let isr = node_names(&st["isr"], cx);
                    let text = format!(
                        "leader {} epoch {epoch} ISR {{{}}}",
                        leader.as_deref().unwrap_or("none"),
                        isr.join(",")
                    );
                    self.set(&l.node, &format!("p{p}"), text);
                    let replicas = node_names(&st["replicas"], cx);
                    for r in replicas {
                        let role = if leader.as_ref() == Some(&r) {
                            format!("leader (epoch {epoch})")
                        } else if isr.contains(&r) {
                            "follower, in ISR".to_string()
                        } else {
                            "follower, out of ISR".to_string()
                        };
                        self.set(&r, &format!("p{p} role"), role);
                    }
                }
            }
            // Redis: bytes pushed to a client and the client's window updates (`Consumed`).
            _ if l.label == "window" && !sent => {
                let (_, v) = debug_to_json(d);
                if let (Some(b), Some(peer)) = (num(&v["bytes"]), &l.peer) {
                    let k = (l.node.clone(), peer.clone());
                    let u = self.unread.entry(k).or_default();
                    *u = (*u - b).max(0);
                    let u = *u;
                    self.set(&l.node, &format!("unread by {peer}"), format!("{u} B"));
                }
            }
            _ if sent && cx.servers.contains(&l.node) && !to_server => {
                if let (Some(b), Some(peer)) = (l.bytes, &l.peer)
                    && (d.starts_with("Frames") || d.starts_with("Messages"))
                {
                    let u = self
                        .unread
                        .entry((l.node.clone(), peer.clone()))
                        .or_default();
                    *u += b as i64;
                    let u = *u;
                    self.set(&l.node, &format!("unread by {peer}"), format!("{u} B"));
                }
            }
            "psync" if sent => {
                if let Some(peer) = &l.peer {
                    self.set(&l.node, "role", format!("replica of {peer}"));
                }
            }
            _ => {}
        }
    }

    fn replica(&mut self, l: &TraceLine, p: u64, node: &str, leo: Option<i64>, hw: Option<i64>) {
        if let Some(leo) = leo {
            let key = format!("p{p} LEO");
            if let Some(old) = self.get_num(node, &key)
                && leo < old
            {
                self.truncations.push(Truncation {
                    node: node.to_string(),
                    partition: p,
                    from_offset: leo,
                    to_offset: old,
                    t_ns: l.t_ns,
                });
                self.set(
                    node,
                    &format!("p{p} truncated"),
                    format!("{leo}..{}", old - 1),
                );
            }
            self.set(node, &key, leo.to_string());
            push_point(
                self.leo.entry((p, node.to_string())).or_default(),
                l.t_ns,
                leo,
            );
        }
        if let Some(hw) = hw {
            self.set(node, &format!("p{p} HW"), hw.to_string());
            push_point(
                self.hw.entry((p, node.to_string())).or_default(),
                l.t_ns,
                hw,
            );
        }
    }

    /// Client-observed history: counters by event name, and the Redis events that say who is
    /// primary, who is subscribed to what and who was disconnected.
    fn history(&mut self, l: &TraceLine, cx: &Context) {
        let d = l.detail.as_deref().unwrap_or("");
        let (name, v) = debug_to_json(d);
        if name.is_empty() {
            return;
        }
        let key = format!("# {name}");
        let n = self.get_num(&l.node, &key).unwrap_or(0) + 1;
        self.set(&l.node, &key, n.to_string());
        match name.as_str() {
            "Failover" => {
                if let Some(i) = v["promoted"].as_u64() {
                    let epoch = v["epoch"].as_u64().unwrap_or(0);
                    self.set(
                        &cx.name(i),
                        "role",
                        format!("primary (failover, epoch {epoch})"),
                    );
                }
            }
            "Demoted" => {
                if let Some(i) = v["server"].as_u64() {
                    self.set(&cx.name(i), "role", "demoted to replica".into());
                }
            }
            "Connected" => {
                let server = v["server"].as_u64().map(|i| cx.name(i)).unwrap_or_default();
                self.set(&l.node, "connection", format!("connected to {server}"));
            }
            "Disconnected" => {
                self.set(&l.node, "connection", "disconnected".into());
                self.set(&l.node, "subscriptions", "none".into());
            }
            "Subscribed" => {
                let chan = v["name"].as_str().unwrap_or("?").to_string();
                let now = self
                    .state
                    .get(&l.node)
                    .and_then(|s| s.get("subscriptions"))
                    .filter(|s| *s != "none")
                    .cloned();
                let mut list: Vec<String> = now
                    .map(|s| s.split(", ").map(str::to_string).collect())
                    .unwrap_or_default();
                if !list.contains(&chan) {
                    list.push(chan);
                }
                self.set(&l.node, "subscriptions", list.join(", "));
            }
            "ServerKilled" => {
                if let Some(c) = v["client"].as_u64() {
                    let reason = v["reason"].as_str().unwrap_or("?");
                    self.set(
                        &cx.name(c),
                        "connection",
                        format!("killed by server: {reason}"),
                    );
                }
            }
            _ => {}
        }
    }
}

/// A list of node indexes as node names.
fn node_names(v: &Value, cx: &Context) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .map(|i| cx.name(i))
                .collect()
        })
        .unwrap_or_default()
}

/// `parts: [(p, Records { .. })]` of a fetch answer.
fn parts(v: &Value) -> Vec<(u64, Value)> {
    v["parts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| Some((x[0].as_u64()?, x[1].clone())))
                .collect()
        })
        .unwrap_or_default()
}

/// `parts: [FetchPart { p, fetch_offset, .. }]` of a fetch request.
fn fetch_parts(v: &Value) -> Vec<Value> {
    v["parts"].as_array().cloned().unwrap_or_default()
}
