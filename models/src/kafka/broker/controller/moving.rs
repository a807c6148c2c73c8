//! A partition's KIP-455 reassignment state and the two rules that move it, as pure functions
//! (`PartitionReassignmentReplicas`: the union a target gives, and `maybeCompleteReassignment`);
//! the controller applies them in `reassignment.rs`.

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
    /// Requests answered with an error (UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT,
    /// NO_REASSIGNMENT_IN_PROGRESS).
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
    let removing: BTreeSet<u32> = current
        .iter()
        .copied()
        .filter(|r| !target.contains(r))
        .collect();
    let adding: BTreeSet<u32> = target
        .iter()
        .copied()
        .filter(|r| !current.contains(r))
        .collect();
    let mut replicas = target.to_vec();
    replicas.extend(removing.iter().copied());
    let moving = Moving {
        adding: adding.into_iter().collect(),
        removing: removing.into_iter().collect(),
        removed: BTreeSet::new(),
    };
    (replicas, moving)
}

/// The adding and removing sets a change record leaves (ReplicationControlManager
/// .changePartitionReassignment): the builder starts from the partition's current ones and
/// `setTargetAdding` / `setTargetRemoving` are called only for a non-empty new set.
pub fn kept_sets(current: &Moving, new: Moving) -> (Vec<u32>, Vec<u32>) {
    let adding = if new.adding.is_empty() {
        current.adding.clone()
    } else {
        new.adding
    };
    let removing = if new.removing.is_empty() {
        current.removing.clone()
    } else {
        new.removing
    };
    (adding, removing)
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
    fn an_empty_new_set_keeps_the_moves_set() {
        // [0,1,2] → [3,4,5] in progress: union [3,4,5,0,1,2].
        let (union, m) = started(&[0, 1, 2], &[3, 4, 5]);
        // Resubmitting the union adds and removes nothing new: both sets stay.
        let (replicas, new) = started(&union, &union);
        assert_eq!(replicas, union);
        assert_eq!(kept_sets(&m, new), (vec![3, 4, 5], vec![0, 1, 2]));
        // Redirecting to [3,4,2]: removing is new ({0,1,5}), adding is empty so it stays.
        let (replicas, new) = started(&union, &[3, 4, 2]);
        assert_eq!(replicas, vec![3, 4, 2, 0, 1, 5]);
        assert_eq!(kept_sets(&m, new), (vec![3, 4, 5], vec![0, 1, 5]));
        // Nothing in progress: the new sets as they are.
        let (_, new) = started(&[0, 1, 2], &[0, 1, 3]);
        assert_eq!(kept_sets(&Moving::default(), new), (vec![3], vec![2]));
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
        assert_eq!(
            completed(&replicas, &set(&[1, 3, 4, 5]), &m).map(|d| d.0),
            Some(vec![3, 4, 5])
        );
        assert_eq!(completed(&replicas, &set(&[3, 4]), &m), None);
        // A pure removal completes at once; nothing in progress never completes.
        let (replicas, m) = started(&[0, 1, 2], &[0, 1]);
        assert_eq!(
            completed(&replicas, &set(&[0, 1, 2]), &m),
            Some((vec![0, 1], set(&[0, 1])))
        );
        assert_eq!(
            completed(&[0, 1, 2], &set(&[0, 1, 2]), &Moving::default()),
            None
        );
    }
}
