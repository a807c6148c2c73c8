//! A broker's part in a partition's replica set changing (KIP-455 reassignment,
//! `broker/controller/reassignment.rs`). KRaft's `ReplicaManager.applyDelta` compares each new
//! image with the broker's own assignment: a partition newly assigned to it gets a replica (an
//! empty log that fetches from the leader, from the leader's log start); one it no longer holds
//! is stopped and its log deleted (`stopPartitions` with `deletePartition = true`). A leader whose
//! replica set grew within its leader epoch tracks the new followers (`Partition.makeLeader` →
//! `updateAssignmentAndIsr`), so their fetches are served and they can join the ISR. Extends
//! `Broker`.

use super::controller::Controller;
use super::{Broker, PartView, ReplicaChanges, Role};
use crate::kafka::broker::log::ReplicaLog;
use crate::kafka::wire::msg::{KEvent, KMsg, PartState};
use crate::report::ModelReport;
use msgsim_sim::Ctx;

impl Broker {
    /// Start or stop hosting partition `p` as the image `st` says. Only a broker the image lists
    /// as a replica starts one, and only one a reassignment took out (`st.removed`) stops: a
    /// slot the configuration hosts but the controller never assigned is left as it was.
    pub(super) fn follow_assignment(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        p: usize,
        st: &PartState,
    ) {
        let me = self.id;
        if !self.hosted[p] && st.replicas.contains(&me) {
            self.hosted.set(p, true);
            self.logs[p] = ReplicaLog::default();
            self.parts[p] = PartView::new();
            self.replica_changes.created += 1;
            ctx.sometimes("kafka:reassignment_replica_created");
        } else if self.hosted[p] && st.removed.contains(&me) && !st.replicas.contains(&me) {
            if self.parts[p].role == Role::Leader {
                // acks=all produces still parked here get NOT_LEADER_OR_FOLLOWER, as on a
                // leader change; the producer retries on the new leader.
                self.fail_waiters(ctx, p);
            }
            self.hosted.set(p, false);
            self.logs[p] = ReplicaLog::default();
            self.parts[p] = PartView::new();
            self.replica_changes.deleted += 1;
            ctx.sometimes("kafka:reassignment_replica_deleted");
        }
    }

    /// A leader in the same epoch whose replica set changed: follower state for each replica the
    /// image adds (unknown LEO, never caught up: not ISR-eligible until it fetches to the HW).
    pub(super) fn track_replicas(&mut self, p: usize, st: &PartState) {
        let view = &mut self.parts[p];
        for &r in st.replicas.iter().filter(|r| **r != self.id) {
            view.followers.entry(r).or_default();
        }
        view.followers.retain(|r, _| st.replicas.contains(r));
    }
}

/// The reassignment metrics: the controller's answers and phases, the partitions still moving at
/// the end, and the replicas the brokers started and deleted.
pub fn observe(ctrl: &Controller, brokers: &[&Broker], report: &mut ModelReport) {
    let r = &ctrl.reassignments;
    let sum = |f: fn(&ReplicaChanges) -> u64| -> f64 {
        brokers.iter().map(|b| f(&b.replica_changes)).sum::<u64>() as f64
    };
    let obs = [
        ("reassignments_started", r.started as f64),
        ("reassignments_completed", r.completed as f64),
        ("reassignments_cancelled", r.cancelled as f64),
        ("reassignments_refused", r.refused as f64),
        (
            "reassigning_partitions",
            ctrl.reassigning_partitions() as f64,
        ),
        ("reassignment_replicas_created", sum(|c| c.created)),
        ("reassignment_replicas_deleted", sum(|c| c.deleted)),
    ];
    for (k, v) in obs {
        report.observations.insert(k.to_string(), v);
    }
}
