//! The Redis model (see docs/redis.md): primary/replica servers executing commands one at a
//! time, Pub/Sub with output-buffer limits, asynchronous replication with PSYNC and a backlog,
//! WAIT and min-replicas, Sentinel failover, Streams with consumer groups, persistence, and
//! clients that reconnect and re-subscribe. Checkers classify pub/sub losses and count lost
//! acknowledged writes, split-brain writes and stream redeliveries.

mod backlog_ttl;
mod blocking;
#[cfg(test)]
mod chain_tests;
mod checker;
#[cfg(test)]
mod checker_history_tests;
#[cfg(test)]
mod checker_tests;
mod client;
mod client_cmds;
mod client_table;
pub mod cmd;
pub mod config;
mod config_set;
pub mod dataset;
#[cfg(test)]
mod dataset_tests;
mod dispatch;
mod explain;
mod inbox;
pub mod msg;
mod output;
mod persistence;
mod pubsub;
mod replication;
mod replication_state;
pub mod reply;
mod script;
mod sentinel;
pub mod server;
pub mod stream;
pub mod stream_id;
mod stream_info;
pub mod stream_node;
pub mod stream_range;
#[cfg(test)]
mod stream_reply_tests;
mod sub_replicas;
mod subscribe;
mod workload;

pub use checker::RedisChecker;
pub use client::Client;
pub use config::{ClientSpec, SentinelConfig, ServerConfig, Step};
pub use msg::{RedisEvent, RedisMsg};
pub use replication::NODE_METRICS;
pub use sentinel::Sentinel;
pub use server::Server;

use crate::anomaly;
use crate::report::ModelReport;
use crate::run_error::RunError;
use crate::setup::RunSetup;
use msgsim_sim::{Actor, NodeId};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Configuration of the Redis model. Nodes: servers `r1..rN` (`r1` starts as primary, the
/// others as its replicas), sentinels `s1..sM`, then the clients by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    pub servers: u32,
    pub sentinels: u32,
    /// redis.conf of every server.
    pub server: ServerConfig,
    /// `replica-priority` per server (default 100; 0 = never promote).
    pub replica_priority: Vec<u32>,
    /// Servers (not `r1`) that start standalone, with no primary and unknown to Sentinel,
    /// until a REPLICAOF step attaches them (Sentinel then discovers them from the primary's
    /// INFO).
    pub detached: Vec<String>,
    pub sentinel: SentinelConfig,
    pub clients: Vec<ClientSpec>,
    pub script: Vec<Step>,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            servers: 1,
            sentinels: 0,
            server: ServerConfig::default(),
            replica_priority: Vec::new(),
            detached: Vec::new(),
            sentinel: SentinelConfig::default(),
            clients: Vec::new(),
            script: Vec::new(),
        }
    }
}

/// Anomalies the Redis model reports (every one, zero or not; docs/anomalies.md defines them).
pub const ANOMALIES: &[&str] = &[
    crate::anomaly::PUBSUB_GAP,
    crate::anomaly::DUPLICATE,
    crate::anomaly::PUBSUB_REORDER,
    crate::anomaly::LOST_WRITE,
    crate::anomaly::WAIT_ACKED_WRITE_LOST,
    crate::anomaly::SPLIT_BRAIN_WRITE,
    crate::anomaly::STREAM_ENTRY_LOST,
    crate::anomaly::TRIMMED_BEFORE_DELIVERY,
    crate::anomaly::STREAM_REDELIVERED,
    crate::anomaly::STREAM_ACKED_REDELIVERED,
    crate::anomaly::REPLICA_AHEAD,
];

/// The Redis model's "sometimes" probes (`ctx.sometimes`); docs/anomalies.md says what each
/// one counts. `tests/vocabulary.rs` checks that every probe in the source is listed.
pub const PROBES: &[&str] = &[
    "redis:backlog_freed",
    "redis:client_conn_broken",
    "redis:config_from_hello",
    "redis:convert_to_replica",
    "redis:demoted",
    "redis:elected_leader",
    "redis:election_failed",
    "redis:failover",
    "redis:full_resync",
    "redis:no_good_replica",
    "redis:noreplicas",
    "redis:obuf_disconnect",
    "redis:odown",
    "redis:oom",
    "redis:partial_resync",
    "redis:promoted",
    "redis:replica_discovered",
    "redis:sentinel_discovered",
    "redis:sdown",
    "redis:tilt",
    "redis:try_failover",
    "redis:xclaim",
];

/// Metrics the Redis model reports.
pub const METRICS: &[&str] = &[
    "script_steps",
    "script_mismatches",
    "script_unanswered",
    "published",
    "publish_zero_receivers",
    "publish_receivers",
    "publish_failed",
    "pubsub_expected",
    "pubsub_received",
    "pubsub_delivered",
    "pubsub_lost",
    "pubsub_lost_disconnected",
    "pubsub_lost_not_resubscribed",
    "pubsub_lost_obuf",
    "pubsub_lost_failover",
    "pubsub_lost_replication",
    "pubsub_duplicates",
    "pubsub_reordered",
    "client_disconnects",
    "clients_killed_by_sentinel",
    "first_obuf_disconnect_ms",
    "wait_latency_ms_max",
    "writes_ok",
    "writes_err",
    "noreplicas_errors",
    "oom_errors",
    "readonly_errors",
    "first_noreplicas_ms",
    "last_noreplicas_ms",
    "first_write_ok_after_noreplicas_ms",
    "acked_writes_lost",
    "wait_acked_writes_lost",
    "split_brain_writes",
    "stream_added",
    "stream_delivered",
    "stream_undelivered",
    "stream_redeliveries",
    "stream_acked_redelivered",
    "stream_entries_lost",
    "stream_trimmed_before_delivery",
    "dead_lettered",
    "failovers",
    "first_failover_ms",
    "first_odown_ms",
    "sync_full",
    "sync_partial_ok",
    "sync_partial_err",
    "rejected_connections",
    "client_output_buffer_limit_disconnections",
    "late_publishes",
    "evicted_keys",
    "idle_timeouts",
    "protocol_errors",
    "final_primaries",
    "final_primary_keys",
    "final_primary_offset",
];

/// Bounds on configuration sizes.
pub const MAX_SERVERS: u32 = 64;
pub const MAX_SENTINELS: u32 = 15;
pub const MAX_CLIENTS: usize = 1_000;
pub const MAX_STEPS: usize = 100_000;
const GIB: u64 = 1 << 30;

impl RedisConfig {
    pub fn server_names(&self) -> Vec<String> {
        (1..=self.servers).map(|i| format!("r{i}")).collect()
    }
    pub fn sentinel_names(&self) -> Vec<String> {
        (1..=self.sentinels).map(|i| format!("s{i}")).collect()
    }
    pub fn node_names(&self) -> Vec<String> {
        let mut names = self.server_names();
        names.extend(self.sentinel_names());
        names.extend(self.clients.iter().map(|c| c.name.clone()));
        names
    }
    pub fn fault_targets(&self) -> Vec<String> {
        self.server_names()
    }

    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |f: &str, m: String| Err((f.to_string(), m));
        if self.servers == 0 || self.servers > MAX_SERVERS {
            return err("servers", format!("servers must be in 1..={MAX_SERVERS}"));
        }
        if self.sentinels > MAX_SENTINELS {
            return err(
                "sentinels",
                format!("sentinels must be at most {MAX_SENTINELS}"),
            );
        }
        if self.sentinels > 0
            && (self.sentinel.quorum == 0 || self.sentinel.quorum > self.sentinels)
        {
            return err(
                "sentinel.quorum",
                format!(
                    "quorum must be in 1..={} (the number of sentinels)",
                    self.sentinels
                ),
            );
        }
        if self.replica_priority.len() > self.servers as usize {
            return err("replica_priority", "more priorities than servers".into());
        }
        let s = &self.server;
        if s.repl_backlog_size_bytes < 16 * 1024 || s.repl_backlog_size_bytes > 64 * GIB {
            return err(
                "repl_backlog_size_bytes",
                "must be in 16kb..=64gb (Redis minimum 16kb)".into(),
            );
        }
        if s.proto_max_bulk_len_bytes < (1 << 20) || s.proto_max_bulk_len_bytes > 64 * GIB {
            return err(
                "proto_max_bulk_len_bytes",
                "must be in 1mb..=64gb (Redis minimum 1mb)".into(),
            );
        }
        if s.repl_backlog_ttl_s > i32::MAX as u64 {
            // config.c: `repl-backlog-ttl` is an int in 0..=INT_MAX.
            return err(
                "repl_backlog_ttl_s",
                "must be in 0..=2147483647 (0: never free)".into(),
            );
        }
        if s.stream_node_max_entries > i64::MAX as u64 {
            // config.c: a long long in 0..=LLONG_MAX.
            return err(
                "stream_node_max_entries",
                "must be in 0..=9223372036854775807 (0: no limit)".into(),
            );
        }
        if s.hz == 0 || s.hz > 500 {
            return err("hz", "must be in 1..=500".into());
        }
        if s.socket_buffer_bytes < 1024 || s.socket_buffer_bytes > GIB {
            return err("socket_buffer_bytes", "must be in 1kb..=1gb".into());
        }
        for (f, v) in [
            ("obuf_pubsub_hard_bytes", s.obuf_pubsub_hard_bytes),
            ("obuf_pubsub_soft_bytes", s.obuf_pubsub_soft_bytes),
            ("obuf_normal_hard_bytes", s.obuf_normal_hard_bytes),
            ("maxmemory_bytes", s.maxmemory_bytes),
        ] {
            if v > 1024 * GIB {
                return err(f, "above 1tb".into());
            }
        }
        if s.maxclients == 0 || s.maxclients > 1_000_000 {
            return err("maxclients", "must be in 1..=1000000".into());
        }
        if self.clients.len() > MAX_CLIENTS {
            return err("clients", format!("at most {MAX_CLIENTS} clients"));
        }
        if self.script.len() > MAX_STEPS {
            return err("script", format!("at most {MAX_STEPS} steps"));
        }
        let servers = self.server_names();
        for (i, d) in self.detached.iter().enumerate() {
            if d == "r1" || !servers.contains(d) {
                return err(
                    &format!("detached.{i}"),
                    format!("`{d}` is not a server other than r1"),
                );
            }
        }
        let mut names = servers.clone();
        names.extend(self.sentinel_names());
        for (i, c) in self.clients.iter().enumerate() {
            let err = |f: &str, m: String| Err((format!("clients.{i}.{f}"), m));
            if c.name.is_empty() || names.contains(&c.name) {
                return err(
                    "name",
                    format!("client name `{}` is empty or used twice", c.name),
                );
            }
            names.push(c.name.clone());
            if let Some(srv) = &c.server
                && !servers.contains(srv)
            {
                return err(
                    "server",
                    format!("client `{}` names unknown server `{srv}`", c.name),
                );
            }
            if let Some(p) = &c.publish
                && (p.rate_per_s > 10_000_000 || p.batch_ms == 0 || p.payload_bytes > GIB)
            {
                return err(
                    "publish",
                    format!(
                        "client `{}`: rate_per_s ≤ 10M, batch_ms ≥ 1, payload ≤ 1gb",
                        c.name
                    ),
                );
            }
            if let Some(w) = &c.write
                && (w.rate_per_s == 0 || w.rate_per_s > 1_000_000)
            {
                return err(
                    "write",
                    format!("client `{}`: rate_per_s must be in 1..=1000000", c.name),
                );
            }
            if let Some(x) = &c.stream_produce
                && (x.rate_per_s == 0 || x.rate_per_s > 1_000_000 || x.payload_bytes > GIB)
            {
                return err(
                    "stream_produce",
                    format!(
                        "client `{}`: rate_per_s in 1..=1000000, payload ≤ 1gb",
                        c.name
                    ),
                );
            }
            if let Some(x) = &c.stream_consume
                && (x.poll_ms == 0 || x.count == 0 || x.count > 100_000)
            {
                return err(
                    "stream_consume",
                    format!("client `{}`: poll_ms ≥ 1, count in 1..=100000", c.name),
                );
            }
        }
        for (i, st) in self.script.iter().enumerate() {
            let err = |f: &str, m: String| Err((format!("script.{i}.{f}"), m));
            if !self.clients.iter().any(|c| c.name == st.client) {
                return err(
                    "client",
                    format!(
                        "step at {} ms names unknown client `{}`",
                        st.at_ms, st.client
                    ),
                );
            }
            if let cmd::Cmd::Publish {
                payload_bytes,
                count,
                ..
            } = &st.cmd
                && (*payload_bytes > 4 * GIB || *count == 0 || *count > 1_000_000)
            {
                return err(
                    "cmd",
                    format!(
                        "step at {} ms: payload ≤ 4gb, count in 1..=1000000",
                        st.at_ms
                    ),
                );
            }
            if let cmd::Cmd::ReplicaOf {
                primary: Some(primary),
                ..
            } = &st.cmd
                && !servers.contains(primary)
            {
                // REPLICAOF NO ONE is `primary: None`; an unknown name is a typo, not that.
                return err(
                    "cmd",
                    format!(
                        "step at {} ms: REPLICAOF names unknown server `{primary}`",
                        st.at_ms
                    ),
                );
            }
            if let Some(m) = script_size_error(&st.cmd) {
                return err("cmd", format!("step at {} ms: {m}", st.at_ms));
            }
        }
        Ok(())
    }
}

type Boxed = Box<dyn Actor<RedisMsg, RedisEvent>>;

/// Run the Redis model.
pub fn run(config: &RedisConfig, mut setup: RunSetup) -> Result<ModelReport, RunError> {
    config
        .validate()
        .map_err(|(f, m)| RunError::Config(format!("redis.{f}: {m}")))?;
    let names = config.node_names();
    let ids: Rc<BTreeMap<String, NodeId>> = Rc::new(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), NodeId(i as u32)))
            .collect(),
    );
    let n_srv = config.servers as usize;
    let servers: Vec<NodeId> = (0..n_srv).map(|i| NodeId(i as u32)).collect();
    let sentinels: Vec<NodeId> = (0..config.sentinels as usize)
        .map(|i| NodeId((n_srv + i) as u32))
        .collect();
    let primary = servers[0];
    let scfg = Rc::new(config.server.clone());
    let sencfg = Rc::new(config.sentinel.clone());
    let mut actors: Vec<(String, Boxed)> = Vec::new();
    for (i, name) in config.server_names().into_iter().enumerate() {
        let prio = config.replica_priority.get(i).copied().unwrap_or(100);
        let p = (i > 0 && !config.detached.contains(&name)).then_some(primary);
        actors.push((name, Box::new(Server::new(scfg.clone(), prio, p))));
    }
    // What each sentinel.conf knows at start (`known-replica` lines): see `fresh_config`.
    let known: Vec<NodeId> = if config.sentinel.fresh_config {
        vec![primary]
    } else {
        (config.server_names().iter())
            .filter(|n| !config.detached.contains(n))
            .map(|n| ids[n])
            .collect()
    };
    for (i, name) in config.sentinel_names().into_iter().enumerate() {
        // The sentinels subscribed to the hello channel, which hear each other.
        let others: Vec<NodeId> = sentinels
            .iter()
            .copied()
            .filter(|s| *s != sentinels[i])
            .collect();
        let s = Sentinel::new(i as u32, sencfg.clone(), known.clone(), others, primary);
        actors.push((name, Box::new(s)));
    }
    let mut checker = RedisChecker::default();
    checker.initial_primary = Some(primary);
    checker.script_replies = (0..)
        .zip(&config.script)
        .filter(|(_, s)| s.cmd.has_reply())
        .map(|(i, _)| i)
        .collect();
    for (i, spec) in config.clients.iter().enumerate() {
        let steps: Vec<(u32, Step)> = config
            .script
            .iter()
            .enumerate()
            .filter(|(_, s)| s.client == spec.name)
            .map(|(k, s)| (k as u32, s.clone()))
            .collect();
        let fixed = spec.server.as_ref().map(|s| ids[s]);
        let c = Client::new(
            i as u32,
            Rc::new(spec.clone()),
            steps,
            fixed,
            sentinels.clone(),
            primary,
            ids.clone(),
            config.server.socket_buffer_bytes,
        );
        checker.client_nodes.insert(ids[&spec.name], i as u32);
        actors.push((spec.name.clone(), Box::new(c)));
    }
    let checker = Rc::new(RefCell::new(checker));
    let observer = Box::new(checker::Shared(checker.clone()));
    let mut sim = setup.build(actors, observer).map_err(RunError::Config)?;
    let stats = sim.run().map_err(RunError::Sim)?;
    let mut report = ModelReport {
        stats,
        ..ModelReport::default()
    };
    report.absorb_coverage(sim.coverage());

    let srv: Vec<&Server> = servers
        .iter()
        .map(|n| sim.actor::<Server>(*n).expect("server"))
        .collect();
    let final_primary: Option<usize> = if sentinels.is_empty() {
        (0..srv.len())
            .filter(|&i| srv[i].up && srv[i].is_primary())
            .max_by_key(|&i| (srv[i].promoted_at_ms, std::cmp::Reverse(i)))
    } else {
        let mut votes: BTreeMap<NodeId, u32> = BTreeMap::new();
        for s in &sentinels {
            *votes
                .entry(sim.actor::<Sentinel>(*s).expect("sentinel").primary)
                .or_insert(0) += 1;
        }
        votes
            .iter()
            .max_by_key(|(n, v)| (**v, std::cmp::Reverse(**n)))
            .map(|(n, _)| n.index())
    };
    let histories: Vec<(u64, u64)> = srv.iter().map(|s| (s.replid, s.offset)).collect();
    let ahead = final_primary.map_or(0, |p| replicas_ahead(&histories, p));
    let sum = |f: &dyn Fn(&Server) -> u64| srv.iter().map(|s| f(s)).sum::<u64>() as f64;
    let obs = [
        ("sync_full", sum(&|s| s.stats.sync_full)),
        ("sync_partial_ok", sum(&|s| s.stats.sync_partial_ok)),
        ("sync_partial_err", sum(&|s| s.stats.sync_partial_err)),
        (
            "rejected_connections",
            sum(&|s| s.stats.rejected_connections),
        ),
        (
            "client_output_buffer_limit_disconnections",
            sum(&|s| s.stats.obuf_disconnections),
        ),
        ("late_publishes", sum(&|s| s.stats.late_publishes)),
        ("evicted_keys", sum(&|s| s.stats.evicted)),
        ("idle_timeouts", sum(&|s| s.stats.timeouts)),
        ("protocol_errors", sum(&|s| s.stats.protocol_errors)),
        (
            "final_primaries",
            srv.iter().filter(|s| s.up && s.is_primary()).count() as f64,
        ),
        (
            "final_primary_keys",
            final_primary.map_or(0.0, |p| srv[p].data.keys.len() as f64),
        ),
        (
            "final_primary_offset",
            final_primary.map_or(0.0, |p| srv[p].offset as f64),
        ),
    ];
    let prefix =
        sum(&|s| s.stats.repl_prefix_violations + s.stats.offset_ahead_of_primary) as u64 + ahead;
    {
        let mut c = checker.borrow_mut();
        for (i, spec) in config.clients.iter().enumerate() {
            let client = sim.actor::<Client>(ids[&spec.name]).expect("client");
            for (sub, p, a, b) in client.unflushed() {
                c.received_range(i as u32, &sub, p, a, b);
            }
        }
        c.finish(final_primary.map(|p| &srv[p].data));
        c.report(&mut report);
    }
    for (k, v) in obs {
        report.observations.insert(k.to_string(), v);
    }
    for (i, s) in srv.iter().enumerate() {
        for (field, v) in s.info_fields() {
            let v = v as f64;
            report.observations.insert(format!("r{}:{field}", i + 1), v);
        }
    }
    report
        .anomalies
        .insert(anomaly::REPLICA_AHEAD.to_string(), prefix);
    report.explain(
        anomaly::REPLICA_AHEAD,
        "replica_offset_ahead",
        prefix,
        || format!("{prefix} replicas or prefix violations ahead of their primary's history"),
    );
    Ok(report)
}

/// Servers whose replication offset is above the final primary's in the same history
/// (replid): a replica can only have applied what its primary produced, so any is an anomaly
/// (`replica_ahead`).
fn replicas_ahead(histories: &[(u64, u64)], primary: usize) -> u64 {
    let (replid, offset) = histories[primary];
    histories
        .iter()
        .enumerate()
        .filter(|&(i, &(r, o))| i != primary && r == replid && o > offset)
        .count() as u64
}

/// Bounds on the sizes a script command asks for (value bytes up to Redis's 512 MiB
/// `proto-max-bulk-len` default, reply counts up to 100,000 entries), so a small file cannot
/// ask for unbounded memory.
fn script_size_error(cmd: &cmd::Cmd) -> Option<String> {
    use cmd::Cmd as C;
    const BULK_MAX: u64 = 512 << 20;
    const COUNT_MAX: u64 = 100_000;
    match cmd {
        C::Set {
            bytes: Some(bytes), ..
        }
        | C::XAdd { bytes, .. }
            if *bytes > BULK_MAX =>
        {
            Some(format!("bytes {bytes} is above {BULK_MAX} (512mb)"))
        }
        C::XRead { count, .. } | C::XReadGroup { count, .. } | C::XAutoClaim { count, .. }
            if *count == 0 || *count > COUNT_MAX =>
        {
            Some(format!("count {count} must be in 1..={COUNT_MAX}"))
        }
        _ => None,
    }
}
