//! The group coordinator for group `g1` (classic protocol, eager rebalance, range assignor), as
//! one actor with ideal storage for committed offsets (reference §12: safe simplification).
//! Generation, members with their last heartbeat, rebalance on join / leave / session timeout,
//! and OffsetCommit rejected for a stale generation or unknown member (CommitFailedException).

use super::offset_expiry::OffsetExpiry;
use super::txn_coordinator::{T_TXN_RETRY, T_TXN_SWEEP, TxnCoordinator};
use crate::kafka::config::KafkaConfig;
use crate::kafka::wire::msg::{GroupStatus, KEvent, KMsg, NO_GENERATION, reply, tag, tag_kind};
use msgsim_sim::{Actor, ConnEvent, CrashKind, Ctx, NodeId, SimDuration, SimTime, TimerId, Via};
use std::any::Any;
use std::collections::BTreeMap;
use std::rc::Rc;

const T_CHECK: u64 = 1;
const T_REBALANCE: u64 = 2;

#[derive(Clone, Debug)]
struct Member {
    last_heartbeat: SimTime,
    /// Rejoined in the current rebalance; where to send its JoinResp.
    joined: Option<(NodeId, Via)>,
    /// Its subscription from its last JoinGroup: (first partition, count) per topic.
    topics: Vec<(u32, u32)>,
}

pub struct GroupCoordinator {
    cfg: Rc<KafkaConfig>,
    /// Durable: committed offset per partition.
    pub committed: BTreeMap<u32, u64>,
    pub generation: u64,
    members: BTreeMap<u32, Member>,
    rebalancing: bool,
    /// group.initial.rebalance.delay.ms for the first rebalance of an empty group.
    delay_until: SimTime,
    /// Rebalance timeout (max.poll.interval.ms): members not rejoined by then are dropped.
    rebalance_deadline: SimTime,
    pub rebalances: u64,
    pub commits_rejected: u64,
    /// The transaction coordinator shares this node (txn_coordinator.rs).
    pub txn: TxnCoordinator,
    /// OffsetFetch requests waiting for pending transactional offsets (require_stable).
    deferred: Vec<(NodeId, Via, u64, Vec<u32>)>,
    /// offsets.retention.minutes (offset_expiry.rs): when each offset was committed, when
    /// the group became empty, whether it ever had members, the next expiry check.
    expiry: OffsetExpiry,
}

impl GroupCoordinator {
    pub fn new(cfg: Rc<KafkaConfig>) -> GroupCoordinator {
        // The group may already exist with committed offsets: one for every partition
        // (group_committed_offset_at_start), then per partition (…_offsets_at_start).
        let mut committed: BTreeMap<u32, u64> =
            match u64::try_from(cfg.group_committed_offset_at_start) {
                Ok(o) => (0..cfg.partitions).map(|p| (p, o)).collect(),
                Err(_) => BTreeMap::new(),
            };
        committed.extend(&cfg.group_committed_offsets_at_start);
        GroupCoordinator {
            expiry: OffsetExpiry::new(&cfg, committed.keys().copied()),
            txn: TxnCoordinator::new(cfg.clone()),
            deferred: Vec::new(),
            cfg,
            committed,
            generation: 0,
            members: BTreeMap::new(),
            rebalancing: false,
            delay_until: SimTime::ZERO,
            rebalance_deadline: SimTime::ZERO,
            rebalances: 0,
            commits_rejected: 0,
        }
    }

    /// PreparingRebalance: members learn it from their next heartbeat and rejoin; the first
    /// rebalance of an empty group waits group.initial.rebalance.delay.ms.
    fn start_rebalance(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        if !self.rebalancing {
            self.rebalancing = true;
            for m in self.members.values_mut() {
                m.joined = None;
            }
            let empty = self.generation == 0 || self.members.len() <= 1;
            let delay = if empty {
                self.cfg.group_initial_rebalance_delay_ms
            } else {
                0
            };
            self.delay_until = ctx.now() + SimDuration::from_millis(delay);
            self.rebalance_deadline =
                ctx.now() + SimDuration::from_millis(self.cfg.max_poll_interval_ms);
            if delay > 0 {
                ctx.set_timer(SimDuration::from_millis(delay), tag(T_REBALANCE, 0));
            }
        }
    }

    fn try_complete(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        if !self.rebalancing || ctx.now() < self.delay_until {
            return;
        }
        let all = self.members.values().all(|m| m.joined.is_some());
        if !all && ctx.now() < self.rebalance_deadline {
            return;
        }
        // Members that did not rejoin within the rebalance timeout are removed.
        self.members.retain(|_, m| m.joined.is_some());
        self.rebalancing = false;
        self.generation += 1;
        if self.members.is_empty() {
            return;
        }
        self.rebalances += 1;
        ctx.sometimes("kafka:group_rebalance");
        let assignments = range_assign(&self.members);
        for (id, assignment) in assignments {
            let (node, via) = self.members[&id].joined.expect("joined");
            reply(
                ctx,
                node,
                via,
                KMsg::JoinResp {
                    generation: self.generation,
                    assignment,
                },
            );
        }
    }
}

/// RangeAssignor: per topic, its partitions in ranges over the sorted members subscribed to
/// it (a member's count of a topic is what its metadata had; the largest one counts, as the
/// leader's metadata would have the topic's latest partitions).
fn range_assign(members: &BTreeMap<u32, Member>) -> BTreeMap<u32, Vec<u32>> {
    let mut topics: BTreeMap<u32, u32> = BTreeMap::new();
    for &(first, count) in members.values().flat_map(|m| &m.topics) {
        let c = topics.entry(first).or_insert(0);
        *c = (*c).max(count);
    }
    let mut out: BTreeMap<u32, Vec<u32>> = members.keys().map(|id| (*id, Vec::new())).collect();
    for (first, np) in topics {
        let subs: Vec<u32> = (members.iter())
            .filter(|(_, m)| m.topics.iter().any(|t| t.0 == first))
            .map(|(id, _)| *id)
            .collect();
        let n = subs.len() as u32;
        for (i, id) in subs.iter().enumerate() {
            let i = i as u32;
            let (per, extra) = (np / n, np % n);
            let start = first + i * per + i.min(extra);
            let count = per + u32::from(i < extra);
            out.get_mut(id)
                .expect("member")
                .extend(start..start + count);
        }
    }
    out
}

impl Actor<KMsg, KEvent> for GroupCoordinator {
    fn on_start(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        ctx.set_timer(SimDuration::from_millis(1_000), tag(T_CHECK, 0));
        self.txn.on_start(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, from: NodeId, via: Via, msg: KMsg) {
        let now = ctx.now();
        match msg {
            KMsg::JoinGroup { member, topics } => {
                self.expiry.protocol_used = true;
                let known = self.members.contains_key(&member);
                let topics = match topics.is_empty() {
                    true => vec![(0, self.cfg.consumed_partitions())],
                    false => topics,
                };
                self.members.insert(
                    member,
                    Member {
                        last_heartbeat: now,
                        joined: None,
                        topics,
                    },
                );
                if !known || !self.rebalancing {
                    self.start_rebalance(ctx);
                }
                if let Some(m) = self.members.get_mut(&member) {
                    m.joined = Some((from, via));
                }
                self.try_complete(ctx);
            }
            KMsg::GroupHeartbeat { member, generation } => {
                let status = match self.members.get_mut(&member) {
                    None => GroupStatus::UnknownMember,
                    Some(m) => {
                        m.last_heartbeat = now;
                        if self.rebalancing || generation != self.generation {
                            GroupStatus::RebalanceInProgress
                        } else {
                            GroupStatus::Ok
                        }
                    }
                };
                reply(
                    ctx,
                    from,
                    via,
                    KMsg::GroupHeartbeatResp { generation, status },
                );
            }
            KMsg::LeaveGroup { member } if self.members.remove(&member).is_some() => {
                self.start_rebalance(ctx);
                self.try_complete(ctx);
            }
            KMsg::OffsetCommit {
                req,
                member,
                generation,
                offsets,
            } => {
                // A commit from a stale generation or an unknown member fails
                // (CommitFailedException): its partitions may belong to someone else now. A
                // consumer without membership (generation -1) may commit only while the group
                // has no members (GroupMetadataManager: a "simple" group storing offsets).
                let ok = (generation == self.generation && self.members.contains_key(&member))
                    || (generation == NO_GENERATION && self.members.is_empty());
                if ok {
                    if let Some(m) = self.members.get_mut(&member) {
                        m.last_heartbeat = now;
                    }
                    for (p, o) in offsets {
                        self.committed.insert(p, o);
                        self.expiry.committed(p, now);
                    }
                } else {
                    self.commits_rejected += 1;
                    ctx.sometimes("kafka:commit_failed");
                }
                reply(ctx, from, via, KMsg::OffsetCommitResp { req, ok });
            }
            KMsg::OffsetFetch { generation, parts } => {
                if self.txn.has_pending_offsets(&parts) {
                    // KIP-447 require_stable: UNSTABLE_OFFSET_COMMIT until the transaction
                    // holding offsets for these partitions completes (answered then).
                    ctx.sometimes("kafka:txn_unstable_offset_fetch");
                    self.deferred.push((from, via, generation, parts));
                    return;
                }
                self.answer_offset_fetch(ctx, from, via, generation, &parts);
            }
            msg => self.on_txn_message(ctx, from, via, msg),
        }
    }

    fn on_connection(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, event: ConnEvent) {
        if let ConnEvent::Closed { conn, .. } = event {
            self.txn.on_closed(ctx, conn);
        }
    }

    fn timer_name(&self, t: u64) -> &'static str {
        match tag_kind(t) {
            T_CHECK => "session.timeout check",
            T_REBALANCE => "rebalance timeout",
            T_TXN_SWEEP => "transaction timeout sweep",
            T_TXN_RETRY => "transaction marker retry",
            _ => "timer",
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, _timer: TimerId, t: u64) {
        match tag_kind(t) {
            T_CHECK => {
                // session.timeout.ms without a heartbeat: the member is removed.
                let now = ctx.now();
                let session = SimDuration::from_millis(self.cfg.session_timeout_ms);
                let before = self.members.len();
                self.members
                    .retain(|_, m| now.saturating_since(m.last_heartbeat) <= session);
                if self.members.len() < before {
                    ctx.sometimes("kafka:consumer_session_timeout");
                    self.start_rebalance(ctx);
                    self.try_complete(ctx);
                }
                self.try_complete(ctx);
                let empty = self.members.is_empty();
                if self.expiry.check(now, empty, &mut self.committed) {
                    ctx.sometimes("kafka:committed_offsets_expired");
                }
                ctx.set_timer(SimDuration::from_millis(1_000), tag(T_CHECK, 0));
            }
            T_REBALANCE => self.try_complete(ctx),
            T_TXN_SWEEP => {
                self.txn.sweep(ctx);
                self.answer_deferred(ctx);
            }
            T_TXN_RETRY => self.txn.on_retry(ctx),
            _ => {}
        }
    }

    fn on_crash(&mut self, kind: CrashKind) {
        self.members.clear();
        self.rebalancing = false;
        self.deferred.clear();
        self.txn.on_crash(kind);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl GroupCoordinator {
    /// Transaction coordinator requests, and the answers to its marker writes.
    fn on_txn_message(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        from: NodeId,
        via: Via,
        msg: KMsg,
    ) {
        match msg {
            KMsg::InitProducerId {
                tid,
                timeout_ms,
                current,
            } => self.txn.init_pid(ctx, from, via, tid, timeout_ms, current),
            KMsg::AddPartitionsToTxn {
                tid,
                pid,
                epoch,
                parts,
            } => self
                .txn
                .add_partitions(ctx, from, via, tid, pid, epoch, parts),
            KMsg::TxnOffsetCommit {
                tid,
                pid,
                epoch,
                member,
                generation,
                offsets,
            } => {
                // KIP-447: the group fences a stale generation or an unknown member.
                let group_ok = generation == self.generation && self.members.contains_key(&member);
                self.txn
                    .txn_offset_commit(ctx, from, via, tid, pid, epoch, group_ok, offsets);
            }
            KMsg::EndTxn {
                tid,
                pid,
                epoch,
                commit,
            } => {
                let committed = &mut self.committed;
                self.txn
                    .end_txn(ctx, from, via, tid, pid, epoch, commit, committed);
            }
            KMsg::ProduceResp { req, results } => self.txn.on_produce_resp(ctx, req, results),
            KMsg::VerifyTxnPartitions {
                req,
                pid,
                epoch,
                parts,
                verify_only,
            } => {
                let request = (req, pid, epoch, verify_only);
                self.txn.on_verify(ctx, from, via, request, parts)
            }
            KMsg::Metadata(snap) => self.txn.on_metadata(ctx, snap),
            _ => return,
        }
        self.answer_deferred(ctx);
    }

    /// OffsetFetch requests whose partitions no longer have pending transactional offsets.
    fn answer_deferred(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let waiting = std::mem::take(&mut self.deferred);
        for (from, via, generation, parts) in waiting {
            if self.txn.has_pending_offsets(&parts) {
                self.deferred.push((from, via, generation, parts));
                continue;
            }
            self.answer_offset_fetch(ctx, from, via, generation, &parts);
        }
    }

    /// OffsetFetchResponse: the committed offset of each partition asked for (none if never
    /// committed).
    fn answer_offset_fetch(
        &self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        from: NodeId,
        via: Via,
        generation: u64,
        parts: &[u32],
    ) {
        let offsets = parts
            .iter()
            .map(|p| (*p, self.committed.get(p).copied()))
            .collect();
        let resp = KMsg::OffsetFetchResp {
            generation,
            offsets,
        };
        reply(ctx, from, via, resp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_assignor_divides_each_topic_among_its_subscribers() {
        let m = |topics: Vec<(u32, u32)>| Member {
            last_heartbeat: SimTime::ZERO,
            joined: None,
            topics,
        };
        // Members 1 and 2 share the workload topic (3 partitions from 0); only member 2 also
        // subscribes to a topic at index 5 with 2 partitions, member 3 to it alone.
        let members = BTreeMap::from([
            (1, m(vec![(0, 3)])),
            (2, m(vec![(0, 3), (5, 2)])),
            (3, m(vec![(5, 1)])),
        ]);
        let a = range_assign(&members);
        assert_eq!(a[&1], vec![0, 1]);
        // The topic at 5 has 2 partitions (the largest count a member reported).
        assert_eq!(a[&2], vec![2, 5]);
        assert_eq!(a[&3], vec![6]);
    }
}
