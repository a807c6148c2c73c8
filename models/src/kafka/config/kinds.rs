//! The small enums of the Kafka section that several files name (re-exported by `config.rs`):
//! producer `acks`, consumer `isolation.level` and `auto.offset.reset`, and `cleanup.policy`.

use serde::{Deserialize, Serialize};

/// Producer `acks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Acks {
    /// acks=0: fire and forget; no response, offset -1.
    Zero,
    /// acks=1: the leader answers after its local append.
    One,
    /// acks=all (-1): the leader answers once the HW passes the batch (default since 3.0, KIP-679).
    All,
}

/// Consumer `isolation.level` (ConsumerConfig; default read_uncommitted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IsolationLevel {
    /// Fetch up to the HW, aborted records included.
    ReadUncommitted,
    /// Fetch up to the LSO; aborted records and control markers hidden.
    ReadCommitted,
}

/// `auto.offset.reset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OffsetReset {
    Earliest,
    Latest,
    None,
}

/// `cleanup.policy` of the topic (TopicConfig CLEANUP_POLICY_DOC; default `delete`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CleanupPolicy {
    /// Time/size retention only.
    Delete,
    /// Log compaction only: the cleaner keeps the last record per key.
    Compact,
    /// `delete,compact`: both.
    DeleteCompact,
}

impl CleanupPolicy {
    /// The policy a `cleanup.policy` value names: a comma-separated list of `compact` and
    /// `delete` (ConfigDef LIST type, ValidList.in), trimmed; None for anything else.
    pub fn parse(text: &str) -> Option<CleanupPolicy> {
        let (mut compact, mut delete) = (false, false);
        for item in text.split(',').map(str::trim) {
            match item {
                "compact" => compact = true,
                "delete" => delete = true,
                _ => return None,
            }
        }
        match (compact, delete) {
            (true, true) => Some(CleanupPolicy::DeleteCompact),
            (true, false) => Some(CleanupPolicy::Compact),
            (false, true) => Some(CleanupPolicy::Delete),
            (false, false) => None,
        }
    }
    /// The model's number for a topic-config override (`config/admin.rs` keeps every value
    /// as a number): 0 delete, 1 compact, 2 both.
    pub fn code(self) -> i64 {
        self as i64
    }
    pub fn from_code(code: i64) -> CleanupPolicy {
        match code {
            1 => CleanupPolicy::Compact,
            2 => CleanupPolicy::DeleteCompact,
            _ => CleanupPolicy::Delete,
        }
    }
    pub fn compacts(self) -> bool {
        matches!(self, CleanupPolicy::Compact | CleanupPolicy::DeleteCompact)
    }
    pub fn deletes(self) -> bool {
        matches!(self, CleanupPolicy::Delete | CleanupPolicy::DeleteCompact)
    }
}
