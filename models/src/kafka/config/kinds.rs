//! The small enums of the Kafka section that several files name (re-exported by `config.rs`):
//! producer `acks`, consumer `isolation.level` and `auto.offset.reset`.

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
