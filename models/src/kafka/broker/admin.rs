//! Admin operations a partition leader carries out (`config/admin.rs`): DeleteRecords
//! (KIP-107). Extends `Broker` (like `produce.rs`); the controller's part, preferred leader
//! election, is in `controller.rs`.

use super::{Broker, Role, T_ADMIN};
use crate::kafka::config::admin::AdminOp;
use crate::kafka::wire::msg::{KEvent, KMsg, tag};
use msgsim_sim::{Ctx, SimDuration};

impl Broker {
    /// Timers for the admin operations still ahead that a broker carries out (at start and
    /// after every restart).
    pub(super) fn schedule_admin(&self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now_ms = ctx.now().as_millis();
        for (i, a) in self.cfg.admin.iter().enumerate() {
            if matches!(a.op, AdminOp::DeleteRecords { .. }) && a.at_ms > now_ms {
                let after = SimDuration::from_millis(a.at_ms - now_ms);
                ctx.set_timer(after, tag(T_ADMIN, i as u64));
            }
        }
    }

    /// DeleteRecords reaches the leader (`ReplicaManager.deleteRecords` →
    /// `Partition.deleteRecordsOnLeader`): the log start offset moves to the requested offset
    /// (−1: the high watermark) unless it is above the high watermark (OFFSET_OUT_OF_RANGE);
    /// then `UnifiedLog.deleteOldSegments` removes the segments wholly below it. Only the
    /// broker that leads the partition in its own view acts; followers take the leader's log
    /// start from their next fetch response (`replication.rs`), a replica that was down when
    /// it caught up.
    pub(super) fn admin_op(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, index: usize) {
        let Some(a) = self.cfg.admin.get(index) else {
            return;
        };
        let AdminOp::DeleteRecords {
            partition,
            before_offset,
        } = a.op
        else {
            return;
        };
        let p = partition as usize;
        if !self.hosted[p] || self.parts[p].role != Role::Leader {
            return;
        }
        let log = &mut self.logs[p];
        let target = if before_offset < 0 {
            log.hw
        } else {
            before_offset as u64
        };
        if target > log.hw {
            ctx.sometimes("kafka:delete_records_out_of_range");
            return;
        }
        if log.advance_log_start(target) {
            ctx.sometimes("kafka:delete_records");
        }
    }
}
