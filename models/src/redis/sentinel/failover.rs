//! Sentinel's failover state machine (sentinel.c sentinelFailoverStateMachine): one state
//! step per timer run — wait-start (the election), select-slave, send-slaveof-noone,
//! wait-promotion (left when the replica's INFO reports role master), reconf-slaves
//! (`parallel-syncs` at a time, done when a replica's INFO shows the new primary with its
//! link up), update-config (`+switch-master`). The other sentinels switch when a hello carries
//! the higher config epoch.

use super::state::{
    ELECTION_TIMEOUT_MS, Failover, MAX_DESYNC_MS, Reconf, SLAVE_RECONF_TIMEOUT_MS, State,
};
use super::{INFO_MS, PING_MS, Pending, Sentinel};
use crate::redis::msg::{Cmd, RCtx, RedisEvent};
use crate::redis::reply::InfoReply;
use msgsim_sim::NodeId;
use std::collections::BTreeMap;

impl Sentinel {
    /// sentinelStartFailoverIfNeeded + sentinelStartFailover: ODOWN, no failover running,
    /// and none started (or voted for another) within 2 × failover-timeout.
    pub(super) fn start_failover_if_needed(&mut self, ctx: &mut RCtx) -> bool {
        let now = self.now_ms;
        let recent = self
            .failover_start_ms
            .is_some_and(|t| now < t + 2 * self.cfg.failover_timeout_ms);
        if !self.odown || self.failover.is_some() || recent {
            return false;
        }
        self.current_epoch += 1;
        self.failover = Some(Failover {
            epoch: self.current_epoch,
            state: State::WaitStart,
            state_change_ms: now,
            promoted: None,
            reconf: BTreeMap::new(),
        });
        self.failover_start_ms = Some(now + ctx.rng().below(MAX_DESYNC_MS));
        ctx.sometimes("redis:try_failover");
        self.event(ctx, "+try-failover", self.primary);
        true
    }

    fn abort(&mut self, ctx: &mut RCtx, event: &'static str) {
        self.failover = None;
        self.event(ctx, event, self.primary);
    }

    /// sentinelFailoverStateMachine: one step of the current state.
    pub(super) fn failover_step(&mut self, ctx: &mut RCtx) {
        let Some(f) = &self.failover else { return };
        let (epoch, state, since, promoted) = (f.epoch, f.state, f.state_change_ms, f.promoted);
        let now = self.now_ms;
        let timeout = self.cfg.failover_timeout_ms;
        match state {
            State::WaitStart => {
                if self.get_leader(ctx, epoch) != Some(self.index) {
                    let started = self.failover_start_ms.unwrap_or(now);
                    if now.saturating_sub(started) > ELECTION_TIMEOUT_MS.min(timeout) {
                        ctx.sometimes("redis:election_failed");
                        self.abort(ctx, "-failover-abort-not-elected");
                    }
                    return;
                }
                ctx.sometimes("redis:elected_leader");
                self.event(ctx, "+elected-leader", self.primary);
                self.set_state(State::SelectSlave);
            }
            State::SelectSlave => match self.select_replica() {
                None => {
                    ctx.sometimes("redis:no_good_replica");
                    self.abort(ctx, "-failover-abort-no-good-slave");
                }
                Some(target) => {
                    self.event(ctx, "+selected-slave", target);
                    if let Some(f) = &mut self.failover {
                        f.promoted = Some(target);
                    }
                    self.set_state(State::SendSlaveofNoOne);
                }
            },
            State::SendSlaveofNoOne => {
                let target = promoted.expect("selected");
                // SLAVEOF NO ONE + CONFIG REWRITE + CLIENT KILL TYPE normal/pubsub (one MULTI).
                let cmd = Cmd::SentinelReconf { primary: None };
                if self.send_cmd(ctx, target, cmd, Pending::Other) {
                    self.set_state(State::WaitPromotion);
                } else if now - since > timeout {
                    self.abort(ctx, "-failover-abort-slave-timeout");
                }
            }
            State::WaitPromotion => {
                if now - since > timeout {
                    self.abort(ctx, "-failover-abort-slave-timeout");
                }
            }
            State::ReconfSlaves => self.reconf_next(ctx),
            State::UpdateConfig => {}
        }
    }

    /// sentinelGetCurrentMasterAddress: once the promotion is seen (reconf-slaves onwards) the
    /// promoted replica is announced in hellos and to clients, before our own switch.
    pub(super) fn current_primary(&self) -> NodeId {
        match &self.failover {
            Some(f) if matches!(f.state, State::ReconfSlaves | State::UpdateConfig) => {
                f.promoted.unwrap_or(self.primary)
            }
            _ => self.primary,
        }
    }

    fn set_state(&mut self, state: State) {
        if let Some(f) = &mut self.failover {
            f.state = state;
            f.state_change_ms = self.now_ms;
        }
    }

    /// sentinelGetLeader: the peers' votes for `epoch` plus ours (for the most voted so far,
    /// else for ourselves); the winner needs max(quorum, majority of all sentinels).
    fn get_leader(&mut self, ctx: &mut RCtx, epoch: u64) -> Option<u32> {
        let mut votes: BTreeMap<u32, u32> = BTreeMap::new();
        for r in self.peer_replies.values() {
            if let Some((l, e)) = r.leader
                && e == epoch
            {
                *votes.entry(l).or_default() += 1;
            }
        }
        let winner = |v: &BTreeMap<u32, u32>| {
            v.iter()
                .max_by_key(|(l, n)| (**n, std::cmp::Reverse(**l)))
                .map(|(l, n)| (*l, *n))
        };
        let cand = winner(&votes).map_or(self.index, |(l, _)| l);
        if let Some((mine, e)) = self.vote_leader(ctx, epoch, cand)
            && e == epoch
        {
            *votes.entry(mine).or_default() += 1;
        }
        let (w, n) = winner(&votes)?;
        (n >= self.cfg.quorum.max(self.majority())).then_some(w)
    }

    /// The promoted replica's INFO reports role master (sentinelRefreshInstanceInfo):
    /// `+promoted-slave`, our config epoch becomes the failover's, hello is sent at once.
    pub(super) fn promotion_seen(&mut self, ctx: &mut RCtx, node: NodeId) -> bool {
        let Some(f) = &mut self.failover else {
            return false;
        };
        if f.state != State::WaitPromotion || f.promoted != Some(node) {
            return false;
        }
        let epoch = f.epoch;
        self.config_epoch = epoch;
        self.set_state(State::ReconfSlaves);
        self.failovers += 1;
        ctx.sometimes("redis:failover");
        self.event(ctx, "+promoted-slave", node);
        ctx.record(RedisEvent::Failover {
            sentinel: self.index,
            epoch,
            promoted: node,
        });
        // sentinelForceHelloUpdateForMaster.
        self.last_hello_ms = None;
        true
    }

    /// A replica's INFO during reconf-slaves: SENT → INPROG when it names the promoted
    /// replica as its primary, INPROG → DONE when its link is up.
    pub(super) fn reconf_progress(&mut self, ctx: &mut RCtx, node: NodeId) {
        let Some((info, _)) = self.links.get(&node).and_then(|l| l.info.as_ref()) else {
            return;
        };
        let (their_primary, link_up) = (info.primary, info.link_up);
        let Some(f) = &mut self.failover else { return };
        let Some(r) = f.reconf.get_mut(&node) else {
            return;
        };
        let mut events = Vec::new();
        if matches!(r, Reconf::Sent(_)) && their_primary.is_some() && their_primary == f.promoted {
            *r = Reconf::InProg;
            events.push("+slave-reconf-inprog");
        }
        if *r == Reconf::InProg && link_up {
            *r = Reconf::Done;
            events.push("+slave-reconf-done");
        }
        for e in events {
            self.event(ctx, e, node);
        }
    }

    /// sentinelFailoverReconfNextSlave + sentinelFailoverDetectEnd.
    fn reconf_next(&mut self, ctx: &mut RCtx) {
        let now = self.now_ms;
        let Some(f) = &self.failover else { return };
        let promoted = f.promoted.expect("promoted");
        let replicas: Vec<NodeId> = self
            .servers
            .iter()
            .copied()
            .filter(|n| *n != self.primary && *n != promoted)
            .collect();
        let mut in_progress = f
            .reconf
            .values()
            .filter(|r| matches!(r, Reconf::Sent(_) | Reconf::InProg))
            .count() as u32;
        for &node in &replicas {
            if in_progress >= self.cfg.parallel_syncs {
                break;
            }
            let state = self
                .failover
                .as_ref()
                .and_then(|f| f.reconf.get(&node).copied());
            if let Some(Reconf::Sent(t)) = state
                && now - t > SLAVE_RECONF_TIMEOUT_MS
            {
                self.set_reconf(node, Reconf::Done);
                self.event(ctx, "-slave-reconf-sent-timeout", node);
                continue;
            }
            if state.is_some() {
                continue;
            }
            let cmd = Cmd::SentinelReconf {
                primary: Some(promoted),
            };
            if self.send_cmd(ctx, node, cmd, Pending::Other) {
                self.set_reconf(node, Reconf::Sent(now));
                self.event(ctx, "+slave-reconf-sent", node);
                in_progress += 1;
            }
        }
        // sentinelFailoverDetectEnd: every reachable replica reconfigured, or the timeout.
        let down =
            |s: &Sentinel, n: NodeId| s.links.get(&n).is_some_and(|l| l.sdown_since.is_some());
        if down(self, promoted) {
            return;
        }
        let Some(f) = &self.failover else { return };
        let waiting = replicas
            .iter()
            .filter(|n| f.reconf.get(n) != Some(&Reconf::Done) && !down(self, **n))
            .count();
        let timed_out = now - f.state_change_ms > self.cfg.failover_timeout_ms;
        if timed_out {
            self.event(ctx, "+failover-end-for-timeout", self.primary);
            // Best effort: tell the replicas never told.
            for &node in &replicas {
                let told = self
                    .failover
                    .as_ref()
                    .is_some_and(|f| f.reconf.contains_key(&node));
                let cmd = Cmd::SentinelReconf {
                    primary: Some(promoted),
                };
                if !told && self.send_cmd(ctx, node, cmd, Pending::Other) {
                    self.set_reconf(node, Reconf::Sent(now));
                    self.event(ctx, "+slave-reconf-sent-be", node);
                }
            }
        }
        if waiting == 0 || timed_out {
            self.event(ctx, "+failover-end", self.primary);
            self.set_state(State::UpdateConfig);
        }
    }

    fn set_reconf(&mut self, node: NodeId, r: Reconf) {
        if let Some(f) = &mut self.failover {
            f.reconf.insert(node, r);
        }
    }

    /// sentinelHandleDictOfRedisInstances: a failover in update-config switches at the end of
    /// the same timer run (sentinelFailoverSwitchToPromotedSlave).
    pub(super) fn switch_if_done(&mut self, ctx: &mut RCtx) {
        let Some(f) = &self.failover else { return };
        if f.state != State::UpdateConfig {
            return;
        }
        let promoted = f.promoted.expect("promoted");
        self.switch_primary(ctx, promoted);
    }

    /// `+switch-master`: monitor the new primary; every instance is created anew
    /// (sentinelResetMasterAndChangeAddress), and a failover may start again at once.
    fn switch_primary(&mut self, ctx: &mut RCtx, to: NodeId) {
        self.event(ctx, "+switch-master", self.primary);
        self.primary = to;
        self.failover = None;
        self.failover_start_ms = None;
        self.odown = false;
        self.reset_links(ctx);
    }

    /// sentinelProcessHelloMessage: a higher config epoch for another primary is adopted.
    pub(super) fn hello(&mut self, ctx: &mut RCtx, config_epoch: u64, primary: NodeId) {
        if config_epoch <= self.config_epoch {
            return;
        }
        self.config_epoch = config_epoch;
        if primary != self.primary {
            // `+config-update-from` (not recorded as an event: the history of the scenarios
            // written before keeps its events).
            ctx.sometimes("redis:config_from_hello");
            self.switch_primary(ctx, primary);
        }
    }

    /// sentinelSelectSlave + compareSlavesForPromotion.
    fn select_replica(&self) -> Option<NodeId> {
        let now = self.now_ms;
        let primary = self.links.get(&self.primary);
        let sdown_since = primary.and_then(|l| l.sdown_since);
        let max_link_down = sdown_since.map_or(0, |s| now - s) + 10 * self.cfg.down_after_ms;
        let info_validity = if sdown_since.is_some() {
            5 * PING_MS
        } else {
            3 * INFO_MS
        };
        let mut best: Option<PromotionKey> = None;
        for &node in &self.servers {
            if node == self.primary {
                continue;
            }
            let Some(l) = self.links.get(&node) else {
                continue;
            };
            let Some((info, at)) = &l.info else { continue };
            let ok = l.conn.is_some()
                && l.sdown_since.is_none()
                && now - l.last_avail_ms <= 5 * PING_MS
                && now - at <= info_validity
                && info.primary.is_some()
                && info.priority != 0
                // INFO has master_link_down_since_seconds only while the link is down.
                && (info.link_up || info.link_down_ms <= max_link_down);
            if !ok {
                continue;
            }
            let key = promotion_key(info, node);
            if best.as_ref().is_none_or(|b| key < *b) {
                best = Some(key);
            }
        }
        best.map(|b| b.3)
    }
}

/// compareSlavesForPromotion's order, smallest first: lower `replica-priority`, then the larger
/// replication offset, then the lexicographically smaller run id (the node id only makes the
/// order total).
type PromotionKey = (u32, std::cmp::Reverse<u64>, u64, NodeId);

fn promotion_key(info: &InfoReply, node: NodeId) -> PromotionKey {
    (
        info.priority,
        std::cmp::Reverse(info.offset),
        info.run_id,
        node,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(priority: u32, offset: u64, run_id: u64) -> InfoReply {
        InfoReply {
            primary: Some(NodeId(0)),
            link_up: true,
            link_down_ms: 0,
            offset,
            priority,
            run_id,
            replicas: Vec::new(),
        }
    }

    fn best(candidates: &[(u32, InfoReply)]) -> u32 {
        let winner = candidates
            .iter()
            .min_by_key(|(n, i)| promotion_key(i, NodeId(*n)))
            .expect("candidates");
        winner.0
    }

    #[test]
    fn equal_priority_higher_offset_wins_whatever_the_run_id() {
        let c = [(1, info(100, 500, 1)), (2, info(100, 900, 9))];
        assert_eq!(best(&c), 2);
    }

    #[test]
    fn equal_priority_and_offset_lowest_run_id_wins() {
        let c = [(1, info(100, 900, 9)), (2, info(100, 900, 3))];
        assert_eq!(best(&c), 2);
    }

    #[test]
    fn priority_beats_offset() {
        let c = [(1, info(100, 900, 1)), (2, info(10, 100, 9))];
        assert_eq!(best(&c), 2);
    }
}
