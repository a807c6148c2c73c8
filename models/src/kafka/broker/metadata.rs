//! The broker's view of the metadata (KRaft's `BrokerMetadataPublisher` → `ReplicaManager
//! .applyDelta`): a newer image makes this broker leader or follower of the partitions it hosts,
//! updates an unchanged leader's ISR and replica set, and starts or stops its replicas when a
//! reassignment adds or removes this broker (`replica_set.rs`). Extends `Broker`.

use super::{Broker, FollowerState, Role};
use crate::kafka::wire::msg::{KEvent, KMsg, MetaSnapshot, PartState};
use msgsim_sim::{Ctx, SimTime};
use std::rc::Rc;

impl Broker {
    /// Apply a metadata image if it is newer than ours (brokers act on stale views until then).
    pub(super) fn apply_metadata(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        snap: Rc<MetaSnapshot>,
    ) {
        if self.md.as_ref().is_some_and(|m| m.offset >= snap.offset) {
            return;
        }
        self.md = Some(snap.clone());
        for p in 0..self.cfg.log_partitions() as usize {
            let st = &snap.parts[p];
            // KIP-455: a reassignment added or removed this broker (`replica_set.rs`).
            self.follow_assignment(ctx, p, st);
            if !self.hosted[p] {
                continue;
            }
            let view = &self.parts[p];
            if st.leader == Some(self.id) {
                if view.role != Role::Leader || view.leader_epoch != st.leader_epoch {
                    self.become_leader(ctx, p, st);
                } else if st.partition_epoch > view.partition_epoch {
                    let view = &mut self.parts[p];
                    view.partition_epoch = st.partition_epoch;
                    view.isr = st.isr.clone();
                    view.maximal_isr = st.isr.clone();
                    view.pending_alter = false;
                    self.track_replicas(p, st);
                    self.maybe_advance_hw(ctx, p);
                }
            } else if view.role != Role::Follower
                || view.leader != st.leader
                || view.leader_epoch != st.leader_epoch
            {
                self.become_follower(ctx, p, st);
            } else {
                let view = &mut self.parts[p];
                view.partition_epoch = st.partition_epoch;
                view.isr = st.isr.clone();
            }
        }
        self.check_fetchers(ctx);
    }

    fn become_leader(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize, st: &PartState) {
        let now = ctx.now();
        let leo = self.logs[p].leo;
        if self.cfg.truncate_to_hw_on_become_follower {
            // Pre-KIP-101 there is no epoch cache to keep consistent; nothing to do.
        }
        self.logs[p].assign_epoch(st.leader_epoch, leo);
        let view = &mut self.parts[p];
        view.role = Role::Leader;
        view.leader = Some(self.id);
        view.leader_epoch = st.leader_epoch;
        view.partition_epoch = st.partition_epoch;
        view.isr = st.isr.clone();
        view.maximal_isr = st.isr.clone();
        view.pending_alter = false;
        view.leader_epoch_start = leo;
        view.followers.clear();
        for &r in &st.replicas {
            if r != self.id {
                // Replica.resetReplicaState: ISR members count as caught up at the start of
                // the epoch; their LEO is unknown until they fetch.
                let caught = if st.isr.contains(&r) {
                    now
                } else {
                    SimTime::ZERO
                };
                view.followers.insert(
                    r,
                    FollowerState {
                        last_caught_up_time: caught,
                        ..FollowerState::default()
                    },
                );
            }
        }
        ctx.sometimes("kafka:became_leader");
        // Partition.makeLeader: "we may need to increment high watermark since ISR could be
        // down to 1" — a leader alone in its ISR exposes its whole log at once, not only at
        // the next append (which may never come: a producer that finished, k58a's swarm).
        self.maybe_advance_hw(ctx, p);
    }

    fn become_follower(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize, st: &PartState) {
        let was_leader = self.parts[p].role == Role::Leader;
        if was_leader {
            self.fail_waiters(ctx, p);
        }
        if self.cfg.truncate_to_hw_on_become_follower && st.leader.is_some() {
            // Pre-KIP-101: truncate to the local HW on becoming follower.
            let hw = self.logs[p].hw;
            self.truncate(p, hw);
        }
        let view = &mut self.parts[p];
        view.role = Role::Follower;
        view.leader = st.leader;
        view.leader_epoch = st.leader_epoch;
        view.partition_epoch = st.partition_epoch;
        view.isr = st.isr.clone();
        view.maximal_isr.clear();
        view.pending_alter = false;
        view.followers.clear();
        // Pre-KIP-320 a follower truncates only here, once per LeaderAndIsr it sees.
        view.truncating = self.cfg.no_fetch_epoch_fencing;
    }
}
