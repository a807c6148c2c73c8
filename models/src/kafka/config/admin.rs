//! Admin operations at times (issue 16 item 2): `Kafka(admin: [(at_ms: T, op: ...)])`. Each is
//! what an `Admin` client call does once it reaches the controller or the partition's leader;
//! the call's own network round trip is not modelled.

use serde::{Deserialize, Serialize};

/// One admin operation at a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSpec {
    pub at_ms: u64,
    pub op: AdminOp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum AdminOp {
    /// `Admin.electLeaders(ElectionType.PREFERRED, {p})` (KIP-460; the controller's
    /// `ReplicationControlManager.electLeaders` with `electionType = PREFERRED`): the first
    /// replica of the assignment becomes leader if it is in the ISR and its broker is
    /// registered and unfenced; ELECTION_NOT_NEEDED if it already leads,
    /// PREFERRED_LEADER_NOT_AVAILABLE otherwise (nothing changes).
    ElectPreferredLeader { partition: u32 },
    /// `Admin.deleteRecords({p: RecordsToDelete.beforeOffset(o)})` (KIP-107): the leader moves
    /// the partition's log start offset to `before_offset` (−1 = the high watermark;
    /// `UnifiedLog.maybeIncrementLogStartOffset`, reason ClientRecordDeletion); an offset above
    /// the high watermark is refused (OFFSET_OUT_OF_RANGE) and a lower one than the log start
    /// changes nothing. Segments wholly below the new start are deleted; a consumer fetching
    /// below it gets OFFSET_OUT_OF_RANGE and applies `auto.offset.reset`.
    DeleteRecords { partition: u32, before_offset: i64 },
}

impl AdminOp {
    pub fn partition(&self) -> u32 {
        match self {
            AdminOp::ElectPreferredLeader { partition }
            | AdminOp::DeleteRecords { partition, .. } => *partition,
        }
    }
}

/// `Err((field below admin[i], message))`.
pub fn validate(admin: &[AdminSpec], partitions: u32) -> Result<(), (String, String)> {
    for (i, a) in admin.iter().enumerate() {
        if a.op.partition() >= partitions {
            return Err((
                format!("admin.{i}.op"),
                format!(
                    "partition {} does not exist (partitions: {partitions})",
                    a.op.partition()
                ),
            ));
        }
        if let AdminOp::DeleteRecords { before_offset, .. } = a.op
            && before_offset < -1
        {
            return Err((
                format!("admin.{i}.op"),
                "before_offset must be an offset or -1 (the high watermark)".into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_partitions_and_negative_offsets_are_refused() {
        let at = |op| AdminSpec { at_ms: 1, op };
        let ok = [at(AdminOp::DeleteRecords {
            partition: 1,
            before_offset: -1,
        })];
        assert_eq!(validate(&ok, 2), Ok(()));
        let far = [at(AdminOp::ElectPreferredLeader { partition: 2 })];
        assert_eq!(validate(&far, 2).unwrap_err().0, "admin.0.op");
        let neg = [at(AdminOp::DeleteRecords {
            partition: 0,
            before_offset: -2,
        })];
        assert!(validate(&neg, 1).unwrap_err().1.contains("before_offset"));
    }
}
