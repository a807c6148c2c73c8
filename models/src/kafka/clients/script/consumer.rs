//! The consumer of a scripted client: KafkaConsumer driven call by call. Group membership
//! (subscribe: JoinGroup in the next poll, heartbeats from a background thread, leaving the
//! group when max.poll.interval.ms passes without a poll — AbstractCoordinator's heartbeat
//! thread), or manual assignment without membership (assign); committed offsets through
//! OffsetFetch; positions (the next record poll returns), seek / seekToBeginning / seekToEnd,
//! pause / resume; one fetch per leader for the fetchable partitions (assigned, not paused,
//! nothing buffered: AbstractFetch.fetchablePartitions); auto.offset.reset on
//! OFFSET_OUT_OF_RANGE, or OffsetOutOfRangeException from poll() with reset `none`.

use crate::kafka::clients::metadata_pacing::MetadataRequests;
use crate::kafka::config::{KafkaConfig, OffsetReset};
use crate::kafka::wire::msg::{
    FetchPart, FetchResult, GroupStatus, KEvent, KMsg, MetaSnapshot, NO_GENERATION, Peers, tag,
};
use crate::kafka::wire::records::visible;
use crate::kafka::wire::values::Values;
use msgsim_sim::{ConnEvent, Ctx, NodeId, SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

/// Timer kinds of the consumer's metadata requests (the client's others are in script.rs).
pub(super) const T_C_MD_TIMEOUT: u64 = 37;
pub(super) const T_C_MD_RETRY: u64 = 38;

type KCtx<'a> = Ctx<'a, KMsg, KEvent>;
/// Buffered records of a partition: (first offset, values) runs.
type Runs = VecDeque<(u64, Values)>;
/// A fetch in flight: (request, deadline, (partition, fetch offset) sent).
type InFlightFetch = (u64, SimTime, Vec<(u32, u64)>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    None,
    Subscribed,
    Assigned,
}

/// A partition's position: the offset of the next record poll() returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pos {
    /// Waiting for the committed offset (OffsetFetch).
    Unknown,
    At(u64),
    /// seekToBeginning / reset to earliest: resolved by the first fetch.
    Beginning,
    /// seekToEnd / reset to latest: an out-of-range probe answered with the HW.
    End,
}

pub(super) struct ScriptConsumer {
    cfg: Rc<KafkaConfig>,
    /// Member id in group `g1` and consumer number in the history.
    pub member: u32,
    read_committed: bool,
    pub mode: Mode,
    pub generation: u64,
    pub joining: bool,
    rejoin: bool,
    assignment: Vec<u32>,
    positions: BTreeMap<u32, Pos>,
    paused: BTreeSet<u32>,
    /// Partitions whose poll() throws: OFFSET_OUT_OF_RANGE or NO_OFFSET (reset `none`).
    errors: BTreeMap<u32, &'static str>,
    buffer: BTreeMap<u32, Runs>,
    /// broker → (request, deadline, (partition, fetch offset) sent).
    fetches: BTreeMap<u32, InFlightFetch>,
    offsets_asked: bool,
    md: Option<Rc<MetaSnapshot>>,
    md_requests: MetadataRequests,
    pub peers: Peers,
    next_req: u64,
    pub last_poll: SimTime,
    /// Commit requests in flight and the commits answered since the last look: (req, outcome).
    pub commits_done: Vec<(u64, &'static str)>,
    /// subscribe() to a topic other than the workload's: its (first index, partition slots),
    /// and the partition count its metadata had at the last JoinGroup.
    topic: Option<(u32, u32)>,
    joined_count: u32,
}

impl ScriptConsumer {
    pub(super) fn new(cfg: Rc<KafkaConfig>, member: u32, read_committed: bool) -> Self {
        ScriptConsumer {
            md_requests: MetadataRequests::paced(member),
            cfg,
            member,
            read_committed,
            mode: Mode::None,
            generation: 0,
            joining: false,
            rejoin: false,
            assignment: Vec::new(),
            positions: BTreeMap::new(),
            paused: BTreeSet::new(),
            errors: BTreeMap::new(),
            buffer: BTreeMap::new(),
            fetches: BTreeMap::new(),
            offsets_asked: false,
            md: None,
            peers: Peers::default(),
            next_req: 0,
            last_poll: SimTime::ZERO,
            commits_done: Vec::new(),
            topic: None,
            joined_count: 0,
        }
    }

    fn gc(&self) -> NodeId {
        NodeId(self.cfg.gc_index())
    }

    pub(super) fn req(&mut self) -> u64 {
        self.next_req += 1;
        self.next_req
    }

    pub(super) fn reset(&mut self) {
        let fresh = ScriptConsumer::new(self.cfg.clone(), self.member, self.read_committed);
        *self = fresh;
    }

    fn set_assignment(&mut self, ctx: &mut KCtx, parts: Vec<u32>, generation: u64) {
        self.assignment = parts.clone();
        self.positions = parts.iter().map(|p| (*p, Pos::Unknown)).collect();
        self.buffer.clear();
        self.fetches.clear();
        self.errors.clear();
        self.paused.retain(|p| parts.contains(p));
        self.offsets_asked = false;
        ctx.record(KEvent::Assigned {
            consumer: self.member,
            generation,
        });
    }

    /// Ask for topic `topic`'s auto-creation in every metadata request from now on.
    pub(super) fn ask_auto_create(&mut self, topic: u32) {
        self.md_requests.ask_auto_create(topic);
    }

    /// subscribe(): to the workload topic, or to `topic` (first index, partition slots).
    pub(super) fn subscribe(&mut self, topic: Option<(u32, u32)>) {
        if self.mode == Mode::Subscribed && self.generation > 0 && self.topic != topic {
            // A changed subscription rejoins (ConsumerCoordinator: joinedSubscription differs).
            self.rejoin = true;
        }
        self.mode = Mode::Subscribed;
        self.topic = topic;
    }

    /// The partitions of the subscribed topic the metadata has (Kafka's metadata lists a
    /// topic's partitions once the controller created them).
    fn known_count(&self) -> u32 {
        let (Some((first, slots)), Some(md)) = (self.topic, self.md.as_ref()) else {
            return 0;
        };
        (first..first + slots)
            .filter(|p| {
                md.parts
                    .get(*p as usize)
                    .is_some_and(|s| !s.replicas.is_empty())
            })
            .count() as u32
    }

    pub(super) fn assign(&mut self, ctx: &mut KCtx, parts: Vec<u32>) {
        if self.mode == Mode::Subscribed && self.generation > 0 {
            let gc = self.gc();
            let msg = KMsg::LeaveGroup {
                member: self.member,
            };
            self.peers.send(ctx, gc, msg);
        }
        self.mode = Mode::Assigned;
        self.generation = 0;
        self.joining = false;
        self.set_assignment(ctx, parts, 0);
    }

    /// close(): leave the group (no commit: auto-commit is off for scripted clients).
    pub(super) fn close(&mut self, ctx: &mut KCtx) {
        if self.mode == Mode::Subscribed && (self.generation > 0 || self.joining) {
            let gc = self.gc();
            let msg = KMsg::LeaveGroup {
                member: self.member,
            };
            self.peers.send(ctx, gc, msg);
        }
        self.mode = Mode::None;
        self.generation = 0;
        self.joining = false;
        self.assignment.clear();
        self.positions.clear();
        self.buffer.clear();
        self.fetches.clear();
        self.errors.clear();
    }

    pub(super) fn is_assigned(&self, p: u32) -> bool {
        self.assignment.contains(&p)
    }

    /// The partitions a seek/pause names (empty: every assigned one), or None if one is not
    /// assigned (IllegalStateException "No current assignment for partition").
    pub(super) fn named(&self, parts: &[u32]) -> Option<Vec<u32>> {
        if parts.is_empty() {
            return Some(self.assignment.clone());
        }
        parts
            .iter()
            .all(|p| self.is_assigned(*p))
            .then(|| parts.to_vec())
    }

    pub(super) fn seek(&mut self, ctx: &mut KCtx, p: u32, pos: Pos) {
        self.positions.insert(p, pos);
        self.buffer.remove(&p);
        self.errors.remove(&p);
        ctx.record(KEvent::Seek {
            consumer: self.member,
        });
    }

    pub(super) fn pause(&mut self, parts: &[u32], paused: bool) {
        for p in parts {
            if paused {
                self.paused.insert(*p);
            } else {
                self.paused.remove(p);
            }
        }
    }

    /// The offsets commitSync() without arguments commits: every assigned partition's position.
    pub(super) fn consumed(&self) -> Vec<(u32, u64)> {
        self.positions
            .iter()
            .filter_map(|(p, pos)| match pos {
                Pos::At(o) => Some((*p, *o)),
                _ => None,
            })
            .collect()
    }

    /// ConsumerCoordinator.sendOffsetCommitRequest: a subscribed consumer outside an active
    /// generation fails at once (RebalanceInProgressException while it rejoins, else
    /// CommitFailedException); otherwise an OffsetCommit goes out. `Err(outcome)` or `Ok(req)`.
    pub(super) fn commit(
        &mut self,
        ctx: &mut KCtx,
        offsets: Vec<(u32, u64)>,
    ) -> Result<u64, &'static str> {
        let generation = match self.mode {
            Mode::Subscribed if self.generation == 0 || self.rejoin => {
                return Err(if self.joining || self.rejoin {
                    "REBALANCE_IN_PROGRESS"
                } else {
                    "COMMIT_FAILED"
                });
            }
            Mode::Subscribed => self.generation,
            Mode::Assigned | Mode::None => NO_GENERATION,
        };
        let req = self.req();
        let msg = KMsg::OffsetCommit {
            req,
            member: self.member,
            generation,
            offsets,
        };
        let gc = self.gc();
        self.peers.send(ctx, gc, msg);
        Ok(req)
    }

    /// Work a waiting poll() does: (re)join the group, fetch committed offsets, send fetches.
    pub(super) fn progress(&mut self, ctx: &mut KCtx) {
        self.last_poll = ctx.now();
        if self.mode == Mode::Subscribed && (self.generation == 0 || self.rejoin) {
            if self.topic.is_some() && self.md.is_none() {
                // subscribe() asked for the new topic's metadata (requestUpdateForNewTopics);
                // join with it.
                return self.request_metadata(ctx);
            }
            if !self.joining {
                self.joining = true;
                self.rejoin = false;
                let gc = self.gc();
                self.joined_count = self.known_count();
                let topics = (self.topic.iter())
                    .map(|t| (t.0, self.joined_count))
                    .collect();
                let msg = KMsg::JoinGroup {
                    member: self.member,
                    topics,
                };
                self.peers.send(ctx, gc, msg);
            }
            return;
        }
        if self.topic.is_some() && self.joined_count == 0 {
            // A subscribed topic missing from the metadata: UNKNOWN_TOPIC_OR_PARTITION is an
            // InvalidMetadataException, so Metadata.handleMetadataResponse asks for another
            // update (retry.backoff.ms apart) until the topic appears.
            self.request_metadata(ctx);
        }
        if self.joining {
            return;
        }
        let unknown: Vec<u32> = self
            .positions
            .iter()
            .filter(|(_, p)| **p == Pos::Unknown)
            .map(|(p, _)| *p)
            .collect();
        if !unknown.is_empty() && !self.offsets_asked {
            self.offsets_asked = true;
            let generation = match self.mode {
                Mode::Subscribed => self.generation,
                _ => NO_GENERATION,
            };
            let gc = self.gc();
            let msg = KMsg::OffsetFetch {
                generation,
                parts: unknown,
            };
            self.peers.send(ctx, gc, msg);
        }
        self.fetch(ctx);
    }

    fn fetch(&mut self, ctx: &mut KCtx) {
        let Some(md) = self.md.clone() else {
            self.request_metadata(ctx);
            return;
        };
        let mut by_leader: BTreeMap<u32, Vec<FetchPart>> = BTreeMap::new();
        let mut leaderless = false;
        for &p in &self.assignment {
            let offset = match self.positions.get(&p) {
                Some(Pos::At(o)) => *o,
                Some(Pos::Beginning) => 0,
                Some(Pos::End) => u64::MAX,
                _ => continue,
            };
            let buffered = self.buffer.get(&p).is_some_and(|b| !b.is_empty());
            if buffered || self.paused.contains(&p) || self.errors.contains_key(&p) {
                continue;
            }
            let st = &md.parts[p as usize];
            let Some(leader) = st.leader else {
                leaderless = true;
                continue;
            };
            by_leader.entry(leader).or_default().push(FetchPart {
                p,
                current_leader_epoch: Some(st.leader_epoch),
                fetch_offset: offset,
                last_fetched_epoch: None,
            });
        }
        for (leader, parts) in by_leader {
            if self.fetches.contains_key(&leader) {
                continue;
            }
            let req = self.req();
            let sent = parts.iter().map(|f| (f.p, f.fetch_offset)).collect();
            let msg = KMsg::ConsumerFetch {
                req,
                max_wait_ms: self.cfg.fetch_max_wait_ms,
                parts,
                read_committed: self.read_committed,
            };
            let timeout_ms = crate::kafka::clients::metadata_pacing::answer_timeout_ms(
                &self.peers,
                NodeId(leader),
                self.cfg.consumer_request_timeout_ms,
            );
            self.peers.send(ctx, NodeId(leader), msg);
            let deadline = ctx.now() + SimDuration::from_millis(timeout_ms);
            self.fetches.insert(leader, (req, deadline, sent));
        }
        if leaderless {
            self.request_metadata(ctx);
        }
    }

    pub(super) fn request_metadata(&mut self, ctx: &mut KCtx) {
        let backoff = SimDuration::from_millis(self.cfg.retry_backoff_ms);
        self.md_requests.request_with_timers(
            ctx,
            &mut self.peers,
            (self.cfg.brokers, backoff),
            (tag(T_C_MD_TIMEOUT, 0), tag(T_C_MD_RETRY, 0)),
        );
    }

    pub(super) fn md_timer(&mut self, ctx: &mut KCtx, retry: bool) {
        if retry {
            self.md_requests.retry_fired();
            self.request_metadata(ctx);
        } else if self.md_requests.in_flight() {
            self.md_requests.finish();
        }
    }

    /// poll(): records of the fetchable partitions up to `max` (recorded as `Poll` events and
    /// rendered), else the first pending exception, else None (wait for more).
    pub(super) fn take(&mut self, ctx: &mut KCtx, max: u32) -> Option<(String, u64)> {
        let mut left = max as u64;
        let mut parts = Vec::new();
        let ready: Vec<u32> = self
            .buffer
            .iter()
            .filter(|(p, b)| !b.is_empty() && !self.paused.contains(p) && self.is_assigned(**p))
            .map(|(p, _)| *p)
            .collect();
        for p in ready {
            let Some(buf) = self.buffer.get_mut(&p) else {
                continue;
            };
            let (mut first_all, mut last_all) = (None, 0);
            while left > 0 {
                let Some((first, values)) = buf.pop_front() else {
                    break;
                };
                let n = (values.len() as u64).min(left);
                if n < values.len() as u64 {
                    buf.push_front((first + n, Values::from(&values[n as usize..])));
                }
                let taken: Values = Values::from(&values[..n as usize]);
                ctx.record(KEvent::Poll {
                    consumer: self.member,
                    p,
                    first,
                    values: taken,
                });
                first_all.get_or_insert(first);
                last_all = first + n - 1;
                left -= n;
                self.positions.insert(p, Pos::At(first + n));
            }
            if let Some(f) = first_all {
                parts.push(format!("p{p}:{f}-{last_all}"));
            }
        }
        let n = max as u64 - left;
        if n > 0 {
            return Some((format!("records {n} {}", parts.join(" ")), n));
        }
        let err = self
            .errors
            .iter()
            .find(|(p, _)| !self.paused.contains(p))
            .map(|(_, e)| *e)?;
        Some((err.to_string(), 0))
    }

    /// Whether a poll can do anything at all (IllegalStateException otherwise).
    pub(super) fn can_poll(&self) -> bool {
        self.mode != Mode::None
    }

    /// The heartbeat thread: heartbeats while a member, fetch timeouts, and leaving the group
    /// once max.poll.interval.ms passed since the last poll (unless `in_poll`).
    pub(super) fn heartbeat(&mut self, ctx: &mut KCtx, in_poll: bool) {
        let now = ctx.now();
        let timed_out: Vec<NodeId> = (self.fetches.iter())
            .filter(|(_, f)| f.1 <= now)
            .map(|(b, _)| NodeId(*b))
            .collect();
        for peer in timed_out {
            self.timed_out(ctx, peer);
        }
        if in_poll {
            self.last_poll = now;
        }
        if self.mode != Mode::Subscribed || self.generation == 0 || self.joining {
            return;
        }
        let limit = SimDuration::from_millis(self.cfg.max_poll_interval_ms);
        let gc = self.gc();
        if now.saturating_since(self.last_poll) > limit {
            ctx.sometimes("kafka:max_poll_interval_exceeded");
            let msg = KMsg::LeaveGroup {
                member: self.member,
            };
            self.peers.send(ctx, gc, msg);
            self.generation = 0;
            self.assignment.clear();
            self.positions.clear();
            self.buffer.clear();
        } else {
            let msg = KMsg::GroupHeartbeat {
                member: self.member,
                generation: self.generation,
            };
            self.peers.send(ctx, gc, msg);
        }
    }

    pub(super) fn on_message(&mut self, ctx: &mut KCtx, from: NodeId, msg: KMsg) {
        self.peers.heard_from(from);
        match msg {
            KMsg::Metadata(snap) => {
                self.md_requests.finish();
                if self.md.as_ref().is_none_or(|m| m.offset <= snap.offset) {
                    self.md = Some(snap);
                }
                // ConsumerCoordinator.rejoinNeededOrPending: the subscribed topic's partitions
                // in the metadata differ from those of the last assignment: rebalance (in
                // Kafka the group leader notices; here every scripted member does).
                let stable = self.generation > 0 && !self.joining;
                if self.mode == Mode::Subscribed
                    && stable
                    && self.known_count() != self.joined_count
                {
                    ctx.sometimes("kafka:subscription_metadata_changed");
                    self.rejoin = true;
                }
            }
            KMsg::JoinResp {
                generation,
                assignment,
            } if self.joining && self.mode == Mode::Subscribed => {
                self.joining = false;
                self.generation = generation;
                self.set_assignment(ctx, assignment, generation);
            }
            KMsg::OffsetFetchResp {
                generation,
                offsets,
            } => {
                let mine = match self.mode {
                    Mode::Subscribed => generation == self.generation,
                    _ => generation == NO_GENERATION,
                };
                if !mine {
                    return;
                }
                for (p, committed) in offsets {
                    if self.positions.get(&p) != Some(&Pos::Unknown) {
                        continue;
                    }
                    let pos = match (committed, self.cfg.auto_offset_reset) {
                        (Some(o), _) => Pos::At(o),
                        (None, OffsetReset::Earliest) => Pos::Beginning,
                        (None, OffsetReset::Latest) => Pos::End,
                        (None, OffsetReset::None) => {
                            // NoOffsetForPartitionException from poll().
                            self.errors.insert(p, "NO_OFFSET");
                            continue;
                        }
                    };
                    self.positions.insert(p, pos);
                }
            }
            KMsg::GroupHeartbeatResp { generation, status } if generation == self.generation => {
                match status {
                    GroupStatus::Ok => {}
                    // AbstractCoordinator: the member rejoins in its next poll().
                    GroupStatus::RebalanceInProgress => self.rejoin = true,
                    GroupStatus::UnknownMember => {
                        self.generation = 0;
                        self.rejoin = true;
                    }
                }
            }
            KMsg::OffsetCommitResp { req, ok } => {
                if !ok && self.mode == Mode::Subscribed {
                    // ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID: CommitFailedException; the
                    // member rejoins in its next poll().
                    self.rejoin = true;
                }
                let outcome = if ok { "ok" } else { "COMMIT_FAILED" };
                self.commits_done.push((req, outcome));
            }
            KMsg::FetchResp { req, parts } => self.on_fetch(ctx, from, req, parts),
            _ => {}
        }
    }

    fn on_fetch(&mut self, ctx: &mut KCtx, from: NodeId, req: u64, parts: Vec<(u32, FetchResult)>) {
        let Some((r, _, sent)) = self.fetches.get(&from.0) else {
            return;
        };
        if *r != req {
            return;
        }
        let sent = sent.clone();
        self.fetches.remove(&from.0);
        for (p, result) in parts {
            let Some(&(_, offset)) = sent.iter().find(|(q, _)| *q == p) else {
                continue;
            };
            // A seek (or a new assignment) since the fetch went out makes its answer stale.
            let pos = self.positions.get(&p).copied();
            let current = match pos {
                Some(Pos::At(o)) => o == offset,
                Some(Pos::Beginning) => offset == 0,
                Some(Pos::End) => offset == u64::MAX,
                _ => false,
            };
            if !current {
                continue;
            }
            match result {
                FetchResult::Records {
                    batches,
                    hw,
                    aborted,
                    ..
                } => {
                    let mut next = offset;
                    let buf = self.buffer.entry(p).or_default();
                    for b in batches {
                        let start = next.max(b.base_offset);
                        let end = b.next_offset().min(hw);
                        if start >= end {
                            continue;
                        }
                        if !visible(&b, &aborted, self.read_committed) {
                            next = end;
                            continue;
                        }
                        let slice = &b.values
                            [(start - b.base_offset) as usize..(end - b.base_offset) as usize];
                        buf.push_back((start, Values::from(slice)));
                        next = end;
                    }
                    // Nothing visible (markers, aborted data): the position moves past them.
                    let first = buf.front().map(|(f, _)| *f);
                    self.positions.insert(p, Pos::At(first.unwrap_or(next)));
                }
                FetchResult::OutOfRange { log_start, hw, .. } => {
                    let to = match (pos, self.cfg.auto_offset_reset) {
                        (Some(Pos::Beginning), _) => Some(log_start),
                        (Some(Pos::End), _) => Some(hw),
                        (_, OffsetReset::Earliest) => Some(log_start),
                        (_, OffsetReset::Latest) => Some(hw),
                        (_, OffsetReset::None) => None,
                    };
                    if let Some(Pos::At(from)) = pos {
                        ctx.sometimes("kafka:consumer_offset_out_of_range");
                        ctx.record(KEvent::OffsetReset {
                            consumer: self.member,
                            p,
                            from,
                            to,
                        });
                    }
                    match to {
                        Some(o) => {
                            self.positions.insert(p, Pos::At(o));
                        }
                        None => {
                            self.errors.insert(p, "OFFSET_OUT_OF_RANGE");
                        }
                    }
                }
                FetchResult::Error(_) | FetchResult::Diverging { .. } => self.md = None,
            }
        }
    }

    pub(super) fn on_connection(&mut self, event: &ConnEvent) {
        if let ConnEvent::Closed { conn, .. } = event
            && let Some(peer) = self.peers.closed(*conn)
        {
            self.disconnected(peer);
        }
    }

    /// A request to `peer` (a fetch, or an OffsetCommit to the coordinator) got no answer
    /// within request.timeout.ms: NetworkClient.handleTimedOutRequests closes the connection
    /// and every request in flight on it fails as disconnected.
    pub(super) fn timed_out(&mut self, ctx: &mut KCtx, peer: NodeId) {
        ctx.sometimes("kafka:consumer_request_timeout");
        self.peers.close(ctx, peer);
        self.disconnected(peer);
    }

    fn disconnected(&mut self, peer: NodeId) {
        if self.fetches.remove(&peer.0).is_some() {
            self.md = None;
        }
        if peer == self.gc() {
            if self.joining {
                self.joining = false;
                self.generation = 0;
            }
            self.offsets_asked = false;
        }
        self.md_requests.finish();
    }
}
