//! Partition reassignment at the controller (KIP-455, `Admin.alterPartitionReassignments`).
//! Kafka's rules, read from `ReplicationControlManager.alterPartitionReassignment`,
//! `changePartitionReassignment` and `cancelPartitionReassignment`, `PartitionReassignmentReplicas`,
//! `PartitionReassignmentRevert` and `PartitionChangeBuilder.build` (apache/kafka, metadata/):
//!
//! 1. start: the replica list becomes target ++ (current − target), with `adding` = target −
//!    current and `removing` = current − target recorded in the partition;
//! 2. the new replicas fetch from the leader (the brokers host them from the next metadata image,
//!    `broker/replica_set.rs`) and join the ISR through the leader's AlterPartition once caught up;
//! 3. every partition change checks for completion (`completeReassignmentIfNeeded`): when the ISR
//!    without `removing` is non-empty and holds every replica not being removed, the replica list
//!    becomes the target, the removed replicas leave the ISR (and stop, deleting their logs), and
//!    if the leader is no longer in the ISR the first usable in-ISR target replica leads
//!    (`electAnyLeader`); a shrunk replica list bumps the leader epoch even if the leader stays
//!    (`triggerLeaderEpochBumpForReplicaReassignmentIfNeeded`).
//!
//! A target broker that is down never joins the ISR, so the reassignment stays pending until it is
//! back. A cancellation (target `None`) reverts to the original replicas (`replicas − adding`,
//! ISR − adding). The admin call's own answer is a probe and a counter: UNKNOWN_TOPIC_OR_PARTITION,
//! INVALID_REPLICA_ASSIGNMENT (`validateManualPartitionAssignment`: empty, duplicate, or a broker
//! that is not registered), NO_REASSIGNMENT_IN_PROGRESS for a cancellation with nothing to cancel.

use super::Controller;
use super::moving::{Moving, completed, kept_sets, started};
use crate::kafka::config::create_topic::assignment_problem;
use crate::kafka::wire::msg::{KEvent, KMsg};
use msgsim_sim::Ctx;
use std::collections::BTreeSet;

impl Controller {
    /// The model's index of `partition` of `topic` (none: the workload topic), if the topic
    /// exists now (a CreateTopic's partitions only once the controller created them).
    fn resolve(&self, topic: Option<&str>, partition: u32) -> Option<usize> {
        let Some(name) = topic else {
            return (partition < self.cfg.partitions).then_some(partition as usize);
        };
        if !self.created.contains(name) {
            return None;
        }
        let layouts = self.cfg.topic_layouts();
        let t = layouts
            .iter()
            .filter(|t| t.name == name)
            .find(|t| !self.parts[t.first as usize].replicas.is_empty())?;
        let index = t.first as usize + partition as usize;
        let exists = (partition as usize) < t.replicas.len()
            && self
                .parts
                .get(index)
                .is_some_and(|c| !c.replicas.is_empty());
        exists.then_some(index)
    }

    /// An AlterPartitionReassignments request reaches the controller.
    pub(super) fn alter_reassignment(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        topic: Option<&str>,
        partition: u32,
        target: Option<Vec<u32>>,
    ) {
        let Some(p) = self.resolve(topic, partition) else {
            self.reassignments.refused += 1;
            ctx.sometimes("kafka:reassignment_unknown_topic_or_partition");
            return;
        };
        match target {
            None => self.cancel_reassignment(ctx, p),
            Some(target) => self.change_reassignment(ctx, p, &target),
        }
    }

    /// `changePartitionReassignment`: validate the target, record the union and the sets,
    /// then the same build as any partition change (completion, election).
    fn change_reassignment(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize, target: &[u32]) {
        if assignment_problem(&[target.to_vec()], self.cfg.brokers).is_some() {
            self.reassignments.refused += 1;
            ctx.sometimes("kafka:reassignment_invalid_replica_assignment");
            return;
        }
        let target: Vec<u32> = target.iter().map(|b| b - 1).collect();
        let part = &self.parts[p];
        let (replicas, new) = started(&part.replicas, &target);
        // A new target while a move is in progress is taken against the current (union) list,
        // and the PartitionChangeBuilder starts from the partition's addingReplicas /
        // removingReplicas: changePartitionReassignment sets each only when the new one is
        // non-empty, so an empty one keeps the move's (`kept_sets`).
        let (adding, removing) = kept_sets(&part.moving, new);
        if replicas == part.replicas
            && adding == part.moving.adding
            && removing == part.moving.removing
        {
            // Nothing to change: Kafka writes no record.
            return;
        }
        let part = &mut self.parts[p];
        let mut removed = std::mem::take(&mut part.moving.removed);
        removed.retain(|b| !replicas.contains(b));
        part.moving = Moving {
            adding,
            removing,
            removed,
        };
        part.replicas = replicas;
        part.partition_epoch += 1;
        self.reassignments.started += 1;
        ctx.sometimes("kafka:reassignment_started");
        // A reassignment whose target is already in the ISR (a reorder, a removal) completes
        // in the same record.
        if !self.maybe_complete_reassignment(ctx, p) {
            self.elect(ctx, p);
        }
        self.changed(ctx);
    }

    /// `cancelPartitionReassignment` with `PartitionReassignmentRevert`: the original replicas
    /// (replicas − adding) and ISR − adding; an ISR left empty would need an unclean election
    /// (its first original replica), refused with INVALID_REPLICA_ASSIGNMENT unless
    /// unclean.leader.election.enable.
    fn cancel_reassignment(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize) {
        let part = &self.parts[p];
        if !part.moving.in_progress() {
            self.reassignments.refused += 1;
            ctx.sometimes("kafka:reassignment_no_reassignment_in_progress");
            return;
        }
        let adding = part.moving.adding.clone();
        let original: Vec<u32> = (part.replicas.iter().copied())
            .filter(|r| !adding.contains(r))
            .collect();
        let mut isr: BTreeSet<u32> = (part.isr.iter().copied())
            .filter(|r| !adding.contains(r))
            .collect();
        let unclean = isr.is_empty();
        if unclean {
            if !self.cfg.unclean_leader_election_enable {
                self.reassignments.refused += 1;
                ctx.sometimes("kafka:reassignment_invalid_replica_assignment");
                return;
            }
            isr.insert(original[0]);
        }
        self.parts[p].recovering |= unclean;
        self.reassignments.cancelled += 1;
        ctx.sometimes("kafka:reassignment_cancelled");
        self.finish_move(ctx, p, original, isr, adding);
        self.changed(ctx);
    }

    /// `completeReassignmentIfNeeded`, run on every partition change (here: the start and each
    /// accepted AlterPartition). True if it completed; the caller pushes the new image.
    pub(super) fn maybe_complete_reassignment(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        p: usize,
    ) -> bool {
        let part = &self.parts[p];
        let Some((replicas, isr)) = completed(&part.replicas, &part.isr, &part.moving) else {
            return false;
        };
        let removing = part.moving.removing.clone();
        self.reassignments.completed += 1;
        ctx.sometimes("kafka:reassignment_completed");
        self.finish_move(ctx, p, replicas, isr, removing);
        true
    }

    /// The record that ends a reassignment (completed or reverted): the final replica list and
    /// ISR, the ELR kept to the replicas, `out` (the brokers taken off) marked to delete their
    /// copies, no adding/removing; then the election and the epoch bump.
    fn finish_move(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        p: usize,
        replicas: Vec<u32>,
        isr: BTreeSet<u32>,
        out: Vec<u32>,
    ) {
        let part = &mut self.parts[p];
        part.elr.retain(|r| replicas.contains(r));
        part.last_known_elr.retain(|r| replicas.contains(r));
        part.replicas = replicas;
        part.isr = isr;
        part.moving.removed.extend(out.iter().copied());
        part.moving.adding.clear();
        part.moving.removing.clear();
        part.partition_epoch += 1;
        self.lead_after_shrink(ctx, p, !out.is_empty());
    }

    /// `tryElection` (electAnyLeader: keep a leader still in the ISR, else the first usable
    /// in-ISR replica in replica order, i.e. target order), then the leader-epoch bump a shrunk
    /// replica list needs when the leader stays.
    fn lead_after_shrink(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize, shrunk: bool) {
        if self.elect(ctx, p) {
            self.reassignments.leader_moves += 1;
            ctx.sometimes("kafka:reassignment_leader_moved");
        } else if shrunk {
            self.parts[p].leader_epoch += 1;
        }
    }

    /// Partition `p`'s replicas when a reassignment changed them (in progress or finished);
    /// None for one no reassignment touched (its configured replicas hold).
    pub fn assigned(&self, p: usize) -> Option<Vec<u32>> {
        let c = self.parts.get(p)?;
        (c.moving.in_progress() || !c.moving.removed.is_empty()).then(|| c.replicas.clone())
    }

    /// Partitions with a reassignment still in progress.
    pub fn reassigning_partitions(&self) -> usize {
        self.parts.iter().filter(|c| c.moving.in_progress()).count()
    }
}
