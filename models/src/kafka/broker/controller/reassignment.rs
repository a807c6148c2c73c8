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
use crate::kafka::config::create_topic::assignment_problem;
use crate::kafka::wire::msg::{KEvent, KMsg};
use msgsim_sim::Ctx;
use std::collections::BTreeSet;

/// A partition's reassignment state (PartitionRegistration addingReplicas / removingReplicas).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Moving {
    pub adding: Vec<u32>,
    pub removing: Vec<u32>,
    /// Brokers a completed or cancelled reassignment took out of the replica list and that a
    /// later one has not added back: they delete their copy (KRaft's `ReplicaManager.applyDelta`
    /// stops a partition no longer assigned to the broker, with its log).
    pub removed: BTreeSet<u32>,
}

impl Moving {
    pub fn in_progress(&self) -> bool {
        !self.adding.is_empty() || !self.removing.is_empty()
    }
}

/// What the reassignment requests did over the run.
#[derive(Clone, Debug, Default)]
pub struct ReassignCounters {
    pub started: u64,
    pub completed: u64,
    pub cancelled: u64,
    /// Requests answered with an error (any of the three above).
    pub refused: u64,
    /// Completions and cancellations that moved the leader.
    pub leader_moves: u64,
}

/// The replica list and ISR a completion leaves (`PartitionReassignmentReplicas
/// .maybeCompleteReassignment`), or None while the reassignment must wait.
pub fn completed(
    replicas: &[u32],
    isr: &BTreeSet<u32>,
    moving: &Moving,
) -> Option<(Vec<u32>, BTreeSet<u32>)> {
    if !moving.in_progress() {
        return None;
    }
    let keep = |r: &u32| !moving.removing.contains(r);
    let new_isr: BTreeSet<u32> = isr.iter().copied().filter(keep).collect();
    let new_replicas: Vec<u32> = replicas.iter().copied().filter(keep).collect();
    if new_isr.is_empty() || new_replicas.is_empty() {
        return None;
    }
    new_replicas
        .iter()
        .all(|r| new_isr.contains(r))
        .then_some((new_replicas, new_isr))
}

/// The replica list and state a new target gives (`PartitionReassignmentReplicas(current,
/// target)`): target ++ removing, with the sets in broker order.
pub fn started(current: &[u32], target: &[u32]) -> (Vec<u32>, Moving) {
    let removing: BTreeSet<u32> = current.iter().copied().filter(|r| !target.contains(r)).collect();
    let adding: BTreeSet<u32> = target.iter().copied().filter(|r| !current.contains(r)).collect();
    let mut replicas = target.to_vec();
    replicas.extend(removing.iter().copied());
    let moving = Moving {
        adding: adding.into_iter().collect(),
        removing: removing.into_iter().collect(),
        removed: BTreeSet::new(),
    };
    (replicas, moving)
}

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
            && self.parts.get(index).is_some_and(|c| !c.replicas.is_empty());
        exists.then_some(index)
    }

    fn refuse(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, probe: &'static str) {
        self.reassignments.refused += 1;
        ctx.sometimes(probe);
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
            self.refuse(ctx, "kafka:reassignment_unknown_topic_or_partition");
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
            self.refuse(ctx, "kafka:reassignment_invalid_replica_assignment");
            return;
        }
        let target: Vec<u32> = target.iter().map(|b| b - 1).collect();
        let part = &self.parts[p];
        let (replicas, moving) = started(&part.replicas, &target);
        if replicas == part.replicas && !moving.in_progress() && !part.moving.in_progress() {
            // Nothing to change: Kafka writes no record.
            return;
        }
        let part = &mut self.parts[p];
        let mut removed = std::mem::take(&mut part.moving.removed);
        removed.retain(|b| !replicas.contains(b));
        part.moving = Moving { removed, ..moving };
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
            self.refuse(ctx, "kafka:reassignment_no_reassignment_in_progress");
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
                self.refuse(ctx, "kafka:reassignment_invalid_replica_assignment");
                return;
            }
            isr.insert(original[0]);
        }
        let part = &mut self.parts[p];
        part.replicas = original;
        part.isr = isr;
        part.recovering |= unclean;
        part.moving.removed.extend(adding.iter().copied());
        part.moving.adding.clear();
        part.moving.removing.clear();
        part.partition_epoch += 1;
        self.reassignments.cancelled += 1;
        ctx.sometimes("kafka:reassignment_cancelled");
        self.lead_after_shrink(ctx, p, !adding.is_empty());
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
        let part = &mut self.parts[p];
        part.replicas = replicas;
        part.isr = isr;
        let assigned = part.replicas.clone();
        part.elr.retain(|r| assigned.contains(r));
        part.last_known_elr.retain(|r| assigned.contains(r));
        part.moving.removed.extend(removing.iter().copied());
        part.moving.adding.clear();
        part.moving.removing.clear();
        part.partition_epoch += 1;
        self.reassignments.completed += 1;
        ctx.sometimes("kafka:reassignment_completed");
        self.lead_after_shrink(ctx, p, !removing.is_empty());
        true
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

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[u32]) -> BTreeSet<u32> {
        v.iter().copied().collect()
    }

    #[test]
    fn a_target_is_recorded_as_the_union_with_adding_and_removing() {
        // [1,2,3] → [4,5,6] (broker indices 0.. here): target first, then the removed ones.
        let (replicas, m) = started(&[0, 1, 2], &[3, 4, 5]);
        assert_eq!(replicas, vec![3, 4, 5, 0, 1, 2]);
        assert_eq!((m.adding, m.removing), (vec![3, 4, 5], vec![0, 1, 2]));
        // An overlap keeps the kept replica once; a reorder adds and removes nothing.
        let (replicas, m) = started(&[0, 1, 2], &[2, 3, 1]);
        assert_eq!(replicas, vec![2, 3, 1, 0]);
        assert_eq!((m.adding, m.removing), (vec![3], vec![0]));
        let (replicas, m) = started(&[0, 1, 2], &[1, 0, 2]);
        assert_eq!(replicas, vec![1, 0, 2]);
        assert!(!m.in_progress());
    }

    #[test]
    fn completion_waits_for_every_target_replica_in_the_isr() {
        let (replicas, m) = started(&[0, 1, 2], &[3, 4, 5]);
        // Two of three new replicas caught up: still pending.
        assert_eq!(completed(&replicas, &set(&[0, 1, 2, 3, 4]), &m), None);
        // All three: the target, and the ISR without the removed ones.
        let done = completed(&replicas, &set(&[0, 1, 2, 3, 4, 5]), &m);
        assert_eq!(done, Some((vec![3, 4, 5], set(&[3, 4, 5]))));
        // Target members that are not in the ISR block it even if the rest is there.
        assert_eq!(completed(&replicas, &set(&[1, 3, 4, 5]), &m).map(|d| d.0), Some(vec![3, 4, 5]));
        assert_eq!(completed(&replicas, &set(&[3, 4]), &m), None);
        // A pure removal completes at once; nothing in progress never completes.
        let (replicas, m) = started(&[0, 1, 2], &[0, 1]);
        assert_eq!(completed(&replicas, &set(&[0, 1, 2]), &m), Some((vec![0, 1], set(&[0, 1]))));
        assert_eq!(completed(&[0, 1, 2], &set(&[0, 1, 2]), &Moving::default()), None);
    }
}
