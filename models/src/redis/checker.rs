//! Checkers over the client-observed history (plus the servers' kill log lines):
//! pub/sub classification per subscriber (delivered, or lost: disconnected, not yet
//! re-subscribed, output-buffer limit, failover kill, replication), duplicates and order;
//! acknowledged writes lost, WAIT-acknowledged writes lost, split-brain writes; stream entries
//! lost, trimmed before delivery, redelivered, acknowledged then redelivered; script steps.

use super::dataset::{Dataset, split_db_key};
use super::msg::{KillReason, RedisEvent};
use super::pubsub::glob;
use super::stream_id::StreamId;
use crate::anomaly;
use crate::report::ModelReport;
use msgsim_sim::{HistoryObserver, NodeId, SimTime};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// A subscription confirmed less than this before a publish reply may have been made after
/// the PUBLISH executed (one round trip): such losses count as "not yet subscribed".
const RACE_NS: u64 = 10_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Why {
    Disconnected,
    NotSubscribed,
    Subscribed(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Killed(KillReason),
    Closed,
}

#[derive(Default)]
struct Sub {
    epoch: u64,
    disconnected_at: u64,
    connected: bool,
    server: Option<NodeId>,
    /// Confirmed subscriptions of the current connection (interned name, when); a few, scanned
    /// per PUBLISH.
    active: Vec<(u32, u64)>,
    /// Everything the client ever subscribed to: (name, pattern, interned name), sorted and
    /// unique (a short list scanned per PUBLISH).
    interests: Vec<(Rc<str>, bool, u32)>,
    /// What this subscriber should have received, per (interned name, publisher): ranges with
    /// the state it was in. A short list scanned per PUBLISH (no map lookup per subscriber).
    expected: Vec<((u32, u32), Expected)>,
}

type Expected = Vec<(u64, u64, Why)>;

/// Consecutive PUBLISH batches of one publisher on one channel (contiguous sequence numbers,
/// one server) while no subscriber's state changes: every target's expectation grows by the
/// same range with the same reason, so the range is kept here and written to the targets
/// once, when the run ends, instead of once per batch. The reasons depend on time only
/// through `RACE_NS` (a subscription or a disconnect becoming older than a round trip):
/// `until` is the first such moment, where the run ends.
struct OpenRun {
    channel: Rc<str>,
    publisher: u32,
    server: NodeId,
    first: u64,
    end: u64,
    until: u64,
    /// Per target of the channel (`RedisChecker::targets`): its reason, `None` when the
    /// batch's server does not reach it.
    whys: Vec<Option<Why>>,
    /// How many targets it reaches.
    targets: u64,
}

/// (client, interned subscription name, publisher): integer keys, so the per-PUBLISH
/// bookkeeping compares no strings.
pub(super) type Key = (u32, u32, u32);

/// The per-message counters (see `RedisChecker::hot`).
#[derive(Default)]
struct HotCounts {
    published: u64,
    publish_zero_receivers: u64,
    publish_receivers: i64,
    pubsub_expected: u64,
    pubsub_received: u64,
}

#[derive(Default)]
pub struct RedisChecker {
    pub client_nodes: BTreeMap<NodeId, u32>,
    /// The script steps that wait for a reply (their index in the script).
    pub script_replies: BTreeSet<u32>,
    /// The script steps that got one (a reply, or the client's "connection closed").
    answered: BTreeSet<u32>,
    pub initial_primary: Option<NodeId>,
    primary: Option<NodeId>,
    /// Per client, sorted by client (a binary search per event; the index is the target's).
    subs: Vec<(u32, Sub)>,
    /// Per channel published to: the (index in `subs`, interest id) pairs whose interest
    /// matches it, in the order of `subs` and of their interests. Subscriptions change rarely
    /// and PUBLISH batches are many: built on the first PUBLISH to a channel, dropped whenever
    /// an interest or a subscriber is added or removed.
    targets: BTreeMap<Rc<str>, Vec<(usize, u32)>>,
    /// Expectations not yet written to the subscribers, per (channel, publisher).
    open: Vec<OpenRun>,
    /// Channel and pattern names, interned.
    names: BTreeMap<Rc<str>, u32>,
    received: BTreeMap<Key, Vec<(u64, u64)>>,
    ends: BTreeMap<(u32, u64), End>,
    kills: BTreeMap<u32, KillReason>,
    c: BTreeMap<&'static str, f64>,
    /// Counters bumped per PUBLISH batch or received range, kept out of `c` (no name lookup
    /// on the hot path) and added to it in `finish`.
    hot: HotCounts,
    writes: Vec<(String, u64, Option<i64>, u32)>,
    added: BTreeMap<u64, (String, StreamId)>,
    delivered: BTreeMap<u64, u64>,
    acked: BTreeSet<u64>,
    /// Per loss reason (a `c` counter name): its first examples, for the explanations.
    examples: BTreeMap<&'static str, Vec<String>>,
}

impl RedisChecker {
    fn add(&mut self, k: &'static str, v: f64) {
        *self.c.entry(k).or_insert(0.0) += v;
    }
    fn first(&mut self, k: &'static str, t: SimTime) {
        self.c.entry(k).or_insert(t.as_millis() as f64);
    }
    /// A client's state, created at its first event (a new one drops the `targets` cache: the
    /// indices after it move).
    fn sub(&mut self, client: u32) -> &mut Sub {
        let at = match self.subs.binary_search_by_key(&client, |(c, _)| *c) {
            Ok(at) => at,
            Err(at) => {
                self.subs.insert(at, (client, Sub::default()));
                self.targets.clear();
                at
            }
        };
        &mut self.subs[at].1
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.names.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.insert(Rc::from(name), id);
        id
    }

    pub fn observe(&mut self, time: SimTime, node: NodeId, ev: &RedisEvent) {
        if matches!(
            ev,
            RedisEvent::Connected { .. }
                | RedisEvent::Disconnected { .. }
                | RedisEvent::Subscribed { .. }
                | RedisEvent::Unsubscribed { .. }
                | RedisEvent::Failover { .. }
        ) {
            self.end_runs();
        }
        match ev {
            RedisEvent::Step {
                step,
                ok,
                cmd,
                latency_us,
                reply,
                ..
            } => {
                self.add("script_steps", 1.0);
                self.answered.insert(*step);
                // A scripted command refused for memory or replicas counts as the workload's.
                if reply.starts_with("-NOREPLICAS") {
                    self.add("noreplicas_errors", 1.0);
                    self.first("first_noreplicas_ms", time);
                } else if reply.starts_with("-OOM") {
                    self.add("oom_errors", 1.0);
                } else if reply.starts_with("-READONLY") {
                    self.add("readonly_errors", 1.0);
                }
                if *cmd == "wait" {
                    let ms = *latency_us as f64 / 1_000.0;
                    let m = self.c.entry("wait_latency_ms_max").or_insert(0.0);
                    *m = m.max(ms);
                }
                if !ok {
                    self.add("script_mismatches", 1.0);
                }
            }
            RedisEvent::Connected {
                client,
                server,
                epoch,
            } => {
                let s = self.sub(*client);
                s.epoch = *epoch;
                s.connected = true;
                s.server = Some(*server);
                s.active.clear();
            }
            RedisEvent::Disconnected { client, epoch } => {
                let end = self.kills.remove(client).map_or(End::Closed, End::Killed);
                self.ends.insert((*client, *epoch), end);
                let s = self.sub(*client);
                s.connected = false;
                s.disconnected_at = time.as_nanos();
                s.active.clear();
                self.add("client_disconnects", 1.0);
            }
            RedisEvent::ServerKilled { client, reason, .. } => {
                if let Some(c) = self.client_nodes.get(client) {
                    self.kills.insert(*c, *reason);
                    match reason {
                        KillReason::Sentinel => self.add("clients_killed_by_sentinel", 1.0),
                        KillReason::OutputBuffer => self.first("first_obuf_disconnect_ms", time),
                        _ => {}
                    }
                }
            }
            RedisEvent::Subscribed {
                client,
                name,
                pattern,
                epoch,
                ..
            } => {
                let id = self.intern(name);
                let s = self.sub(*client);
                if s.epoch == *epoch {
                    match s.active.iter_mut().find(|(i, _)| *i == id) {
                        Some(a) => a.1 = time.as_nanos(),
                        None => s.active.push((id, time.as_nanos())),
                    }
                }
                let interest = (Rc::from(&**name), *pattern, id);
                if let Err(at) = s.interests.binary_search(&interest) {
                    s.interests.insert(at, interest);
                    self.targets.clear();
                }
            }
            RedisEvent::Unsubscribed {
                client,
                name,
                pattern,
            } => {
                let id = self.intern(name);
                let s = self.sub(*client);
                s.active.retain(|(i, _)| *i != id);
                let interest = (Rc::from(&**name), *pattern, id);
                if let Ok(at) = s.interests.binary_search(&interest) {
                    s.interests.remove(at);
                    self.targets.clear();
                }
            }
            RedisEvent::Published {
                publisher,
                channel,
                first_seq,
                runs,
                server,
                ..
            } => self.published(time, *publisher, channel, *first_seq, runs, *server),
            RedisEvent::PublishFailed { count, .. } => self.add("publish_failed", *count as f64),
            RedisEvent::Received {
                client,
                sub,
                publisher,
                first_seq,
                count,
            } => self.received_range(
                *client,
                sub,
                *publisher,
                *first_seq,
                *first_seq + *count as u64,
            ),
            RedisEvent::WriteOk {
                key,
                value,
                server,
                waited,
                client,
            } => {
                self.add("writes_ok", 1.0);
                if self.primary.is_some_and(|p| p != *server) {
                    // Accepted by a node after another was promoted in a higher epoch.
                    self.add("split_brain_writes", 1.0);
                }
                if self.c.contains_key("first_noreplicas_ms") {
                    self.first("first_write_ok_after_noreplicas_ms", time);
                }
                self.writes.push((key.clone(), *value, *waited, *client));
            }
            RedisEvent::WriteErr { err, .. } => {
                self.add("writes_err", 1.0);
                if err.starts_with("NOREPLICAS") {
                    self.add("noreplicas_errors", 1.0);
                    self.first("first_noreplicas_ms", time);
                    self.c.insert("last_noreplicas_ms", time.as_millis() as f64);
                    self.c.remove("first_write_ok_after_noreplicas_ms");
                } else if err.starts_with("OOM") {
                    self.add("oom_errors", 1.0);
                } else if err.starts_with("READONLY") {
                    self.add("readonly_errors", 1.0);
                }
            }
            RedisEvent::StreamAdded { key, id, tag, .. } => {
                self.add("stream_added", 1.0);
                self.added
                    .insert(*tag, (key.clone(), StreamId::parse(id).unwrap_or_default()));
            }
            RedisEvent::StreamDelivered { tag, .. } => {
                let n = self.delivered.entry(*tag).or_insert(0);
                *n += 1;
                if *n > 1 {
                    self.add("stream_redeliveries", 1.0);
                }
                if self.acked.contains(tag) {
                    self.add("stream_acked_redelivered", 1.0);
                }
            }
            RedisEvent::StreamAcked { tag, .. } => {
                self.acked.insert(*tag);
            }
            RedisEvent::DeadLettered { .. } => self.add("dead_lettered", 1.0),
            RedisEvent::Waited { client, replicas } => {
                // WAIT covers every earlier write of the client (its woff).
                for w in self.writes.iter_mut().filter(|w| w.3 == *client) {
                    w.2 = Some(w.2.unwrap_or(0).max(*replicas));
                }
            }
            RedisEvent::Failover { promoted, .. } => {
                self.primary = Some(*promoted);
                self.add("failovers", 1.0);
                self.first("first_failover_ms", time);
            }
            RedisEvent::Odown { .. } => self.first("first_odown_ms", time),
            RedisEvent::Sync { .. }
            | RedisEvent::Demoted { .. }
            | RedisEvent::SentinelEvent { .. } => {}
        }
        let _ = node;
    }

    fn published(
        &mut self,
        time: SimTime,
        publisher: u32,
        channel: &str,
        first: u64,
        runs: &[(u32, i64)],
        server: NodeId,
    ) {
        let n: u64 = runs.iter().map(|(k, _)| *k as u64).sum();
        self.hot.published += n;
        let zero: u64 = runs
            .iter()
            .filter(|(_, r)| *r == 0)
            .map(|(k, _)| *k as u64)
            .sum();
        self.hot.publish_zero_receivers += zero;
        let recv: i64 = runs.iter().map(|(k, r)| *k as i64 * r).sum();
        self.hot.publish_receivers += recv;
        let now = time.as_nanos();
        // The common case: the next batch of an open run, nothing changed meanwhile.
        let open = self
            .open
            .iter()
            .position(|r| r.publisher == publisher && *r.channel == *channel);
        if let Some(i) = open {
            let r = &mut self.open[i];
            if r.server == server && r.end == first && now < r.until {
                r.end += n;
                self.hot.pubsub_expected += n * r.targets;
                return;
            }
            let r = self.open.swap_remove(i);
            self.end_run(r);
        }
        if !self.targets.contains_key(channel) {
            let targets = self.matching(channel);
            self.targets.insert(Rc::from(channel), targets);
        }
        let primary = self.primary.or(self.initial_primary);
        let all = primary == Some(server);
        let mut run = OpenRun {
            channel: Rc::from(channel),
            publisher,
            server,
            first,
            end: first + n,
            until: u64::MAX,
            whys: Vec::new(),
            targets: 0,
        };
        for &(at, id) in &self.targets[channel] {
            let s = &self.subs[at].1;
            if !all && s.server != Some(server) {
                run.whys.push(None);
                continue;
            }
            let since = s.active.iter().find(|(i, _)| *i == id).map(|(_, t)| *t);
            let why = match (s.connected, since) {
                // Disconnected less than a round trip ago: the PUBLISH ran while connected.
                (false, _) if now.saturating_sub(s.disconnected_at) < RACE_NS && s.epoch > 0 => {
                    run.until = run.until.min(s.disconnected_at + RACE_NS);
                    Why::Subscribed(s.epoch)
                }
                (false, _) => Why::Disconnected,
                (true, Some(t)) if now.saturating_sub(t) >= RACE_NS => Why::Subscribed(s.epoch),
                (true, Some(t)) => {
                    run.until = run.until.min(t + RACE_NS);
                    Why::NotSubscribed
                }
                _ => Why::NotSubscribed,
            };
            run.whys.push(Some(why));
            run.targets += 1;
        }
        self.hot.pubsub_expected += n * run.targets;
        self.open.push(run);
    }

    /// Write an open run into its targets' expectations: each target's range for the run's
    /// publisher extends its last one when contiguous with the same reason (as batch after
    /// batch would have), else is a new one.
    fn end_run(&mut self, r: OpenRun) {
        for (&(at, id), why) in self.targets[&*r.channel].iter().zip(r.whys) {
            let Some(why) = why else { continue };
            let s = &mut self.subs[at].1;
            let key = (id, r.publisher);
            let at = match s.expected.iter().position(|(k, _)| *k == key) {
                Some(at) => at,
                None => {
                    s.expected.push((key, Vec::new()));
                    s.expected.len() - 1
                }
            };
            let v = &mut s.expected[at].1;
            match v.last_mut() {
                Some(last) if last.1 == r.first && last.2 == why => last.1 = r.end,
                _ => v.push((r.first, r.end, why)),
            }
        }
    }

    /// End every open run: before an event that changes what `published` reads (a client's
    /// connection or subscriptions, the primary), and before the classification.
    fn end_runs(&mut self) {
        for r in std::mem::take(&mut self.open) {
            self.end_run(r);
        }
    }

    /// The (index in `subs`, interest id) pairs whose interest matches `channel`: the channel
    /// itself, or a pattern that globs it (util.c `stringmatchlen`, as the server matches).
    fn matching(&self, channel: &str) -> Vec<(usize, u32)> {
        let channel_id = self.names.get(channel).copied();
        let mut out = Vec::new();
        for (at, (_, s)) in self.subs.iter().enumerate() {
            for (name, pattern, id) in &s.interests {
                let matches = if *pattern {
                    glob(name.as_bytes(), channel.as_bytes())
                } else {
                    channel_id == Some(*id)
                };
                if matches {
                    out.push((at, *id));
                }
            }
        }
        out
    }

    /// Received ranges held, over every subscription (memory: one per gap, not per batch).
    #[cfg(test)]
    pub(super) fn ranges_held(&self) -> usize {
        self.received.values().map(Vec::len).sum()
    }

    pub(super) fn received_range(
        &mut self,
        client: u32,
        sub: &str,
        publisher: u32,
        first: u64,
        end: u64,
    ) {
        let key = (client, self.intern(sub), publisher);
        self.hot.pubsub_received += end - first;
        let v = self.received.entry(key).or_default();
        let max = v.last().map_or(0, |r| r.1);
        if v.is_empty() || first >= max {
            match v.last_mut() {
                Some(last) if last.1 == first => last.1 = end,
                _ => v.push((first, end)),
            }
            return;
        }
        // Overlap with what was received: duplicates; below the maximum otherwise: reordering.
        let mut dup = 0;
        for r in v.iter() {
            let lo = r.0.max(first);
            let hi = r.1.min(end);
            if hi > lo {
                dup += hi - lo;
            }
        }
        *self.c.entry("pubsub_duplicates").or_insert(0.0) += dup as f64;
        *self.c.entry("pubsub_reordered").or_insert(0.0) +=
            (max.min(end) - first - dup.min(max.min(end) - first)) as f64;
        v.push((first, end));
        v.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(v.len());
        for r in v.drain(..) {
            match merged.last_mut() {
                Some(m) if r.0 <= m.1 => m.1 = m.1.max(r.1),
                _ => merged.push(r),
            }
        }
        *v = merged;
    }

    /// Losses per reason, from expected minus received.
    fn classify(&mut self) {
        let mut lost: BTreeMap<&'static str, u64> = BTreeMap::new();
        let expected = self.subs.iter().flat_map(|(client, s)| {
            s.expected
                .iter()
                .map(move |((id, p), ranges)| ((*client, *id, *p), ranges))
        });
        for (key, ranges) in expected {
            let got = self.received.get(&key).map(Vec::as_slice).unwrap_or(&[]);
            for &(a, b, why) in ranges {
                let covered: u64 = got
                    .iter()
                    .map(|r| r.1.min(b).saturating_sub(r.0.max(a)))
                    .sum();
                let missing = (b - a) - covered.min(b - a);
                if missing == 0 {
                    continue;
                }
                let reason = match why {
                    Why::Disconnected => "pubsub_lost_disconnected",
                    Why::NotSubscribed => "pubsub_lost_not_resubscribed",
                    Why::Subscribed(e) => match self.ends.get(&(key.0, e)) {
                        Some(End::Killed(KillReason::OutputBuffer)) => "pubsub_lost_obuf",
                        Some(End::Killed(KillReason::Sentinel)) => "pubsub_lost_failover",
                        Some(_) => "pubsub_lost_disconnected",
                        None => "pubsub_lost_replication",
                    },
                };
                *lost.entry(reason).or_insert(0) += missing;
                let ex = self.examples.entry(reason).or_default();
                if ex.len() < crate::report::EXAMPLES_MAX {
                    ex.push(format!(
                        "subscriber client #{} missed {missing} of messages {a}..{b} of publisher #{}",
                        key.0, key.2
                    ));
                }
            }
        }
        let total: u64 = lost.values().sum();
        for (k, v) in lost {
            self.c.insert(k, v as f64);
        }
        self.c.insert("pubsub_lost", total as f64);
        let delivered = self.c.get("pubsub_expected").copied().unwrap_or(0.0) - total as f64;
        self.c.insert("pubsub_delivered", delivered);
    }

    /// Compare acknowledged writes and stream entries with the final primary's dataset.
    pub fn finish(&mut self, data: Option<&Dataset>) {
        // A step still waiting for its reply when the run ends is a mismatch too: its expected
        // reply never came (counted apart as well, so a summary says why).
        let unanswered = self.script_replies.difference(&self.answered).count() as f64;
        self.c.insert("script_unanswered", unanswered);
        self.add("script_mismatches", unanswered);
        self.end_runs();
        let h = std::mem::take(&mut self.hot);
        self.add("published", h.published as f64);
        self.add("publish_zero_receivers", h.publish_zero_receivers as f64);
        self.add("publish_receivers", h.publish_receivers as f64);
        self.add("pubsub_expected", h.pubsub_expected as f64);
        self.add("pubsub_received", h.pubsub_received as f64);
        self.classify();
        let empty = Dataset::default();
        let data = data.unwrap_or(&empty);
        // An acknowledged SET is lost when the final value of its key is neither it nor a SET
        // acknowledged after it: a later acknowledged SET that survives overwrote it (`writes`
        // is in acknowledgement order). A key absent at the end, or holding a value no
        // acknowledged SET wrote, loses every acknowledged SET to it.
        let mut survivor: BTreeMap<&str, usize> = BTreeMap::new();
        let value_of = |name: &str| {
            let (db, key) = split_db_key(name);
            data.value_in(db, key)
        };
        for (i, (key, value, ..)) in self.writes.iter().enumerate() {
            if value_of(key).and_then(|v| v.write_id()) == Some(*value) {
                survivor.insert(key, i);
            }
        }
        let (mut lost, mut wait_lost) = (0, 0);
        let (mut absent, mut other) = (0.0, 0.0);
        for (i, (key, value, waited, client)) in self.writes.iter().enumerate() {
            let now = value_of(key).map(|v| v.write_id());
            let kept_or_overwritten = survivor.get(key.as_str()).is_some_and(|&s| i <= s);
            if !kept_or_overwritten {
                lost += 1;
                let (reason, counter) = match now {
                    None => ("lost_key_absent", &mut absent),
                    Some(_) => ("lost_key_other", &mut other),
                };
                *counter += 1.0;
                let ex = self.examples.entry(reason).or_default();
                if ex.len() < crate::report::EXAMPLES_MAX {
                    ex.push(format!(
                        "key {}: write #{value} of client #{client} (WAIT answered {}), final primary holds {}",
                        match split_db_key(key) {
                            (0, k) => k.to_string(),
                            (db, k) => format!("{k} (db {db})"),
                        },
                        waited.map_or("-".to_string(), |w| w.to_string()),
                        match now {
                            None => "no such key".to_string(),
                            Some(Some(w)) => format!("write #{w}"),
                            Some(None) => "a value not written by the workload".to_string(),
                        }
                    ));
                }
                if waited.is_some_and(|w| w > 0) {
                    wait_lost += 1;
                }
            }
        }
        self.c.insert("acked_writes_lost", lost as f64);
        self.c.insert("lost_key_absent", absent);
        self.c.insert("lost_key_other", other);
        self.c.insert("wait_acked_writes_lost", wait_lost as f64);
        let (mut s_lost, mut trimmed) = (0, 0);
        for (tag, (key, id)) in &self.added {
            let s = data.stream(key);
            let present = s.is_some_and(|s| s.entries.get(id).is_some_and(|e| e.tag == *tag));
            if present {
                continue;
            }
            // Trimmed only if trimming removed it: an entry below the first one is also what a
            // stream recreated after a data-losing restart looks like (its entries are lost).
            let trimmed_away = s.is_some_and(|s| *id < s.trimmed_below);
            if trimmed_away {
                if !self.delivered.contains_key(tag) {
                    trimmed += 1;
                }
            } else {
                s_lost += 1;
            }
        }
        self.c.insert("stream_entries_lost", s_lost as f64);
        self.c
            .insert("stream_trimmed_before_delivery", trimmed as f64);
        self.c
            .insert("stream_delivered", self.delivered.len() as f64);
        // Entries still in the final stream that no consumer got: a lost or trimmed entry is
        // counted as such (above), not again as undelivered.
        let undelivered = self
            .added
            .iter()
            .filter(|(t, (key, id))| {
                !self.delivered.contains_key(t)
                    && data
                        .stream(key)
                        .is_some_and(|s| s.entries.get(id).is_some_and(|e| e.tag == **t))
            })
            .count();
        self.c.insert("stream_undelivered", undelivered as f64);
    }

    pub fn report(&self, report: &mut ModelReport) {
        for name in super::METRICS {
            if let Some(v) = self.c.get(name) {
                report.observations.insert((*name).to_string(), *v);
            } else if !name.starts_with("first_") && !name.starts_with("last_") {
                report
                    .observations
                    .entry((*name).to_string())
                    .or_insert(0.0);
            }
        }
        let g = |k: &str| self.c.get(k).copied().unwrap_or(0.0) as u64;
        let a = [
            (anomaly::PUBSUB_GAP, g("pubsub_lost")),
            (anomaly::DUPLICATE, g("pubsub_duplicates")),
            (anomaly::PUBSUB_REORDER, g("pubsub_reordered")),
            (anomaly::LOST_WRITE, g("acked_writes_lost")),
            (anomaly::WAIT_ACKED_WRITE_LOST, g("wait_acked_writes_lost")),
            (anomaly::SPLIT_BRAIN_WRITE, g("split_brain_writes")),
            (anomaly::STREAM_ENTRY_LOST, g("stream_entries_lost")),
            (
                anomaly::TRIMMED_BEFORE_DELIVERY,
                g("stream_trimmed_before_delivery"),
            ),
            (anomaly::STREAM_REDELIVERED, g("stream_redeliveries")),
            (
                anomaly::STREAM_ACKED_REDELIVERED,
                g("stream_acked_redelivered"),
            ),
        ];
        for (k, v) in a {
            report.anomalies.insert(k.to_string(), v);
        }
        super::explain::explain(&self.c, &self.examples, report);
    }
}

/// The checker shared between the kernel (as observer) and `run` (for the report).
pub struct Shared(pub Rc<RefCell<RedisChecker>>);

impl HistoryObserver<RedisEvent> for Shared {
    fn observe(&mut self, time: SimTime, node: NodeId, event: &RedisEvent) {
        self.0.borrow_mut().observe(time, node, event);
    }
}
