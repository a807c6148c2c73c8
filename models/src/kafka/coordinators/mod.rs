//! The coordinators hosted by the `gc` node: the group coordinator (`group.rs`) and, beside
//! it, the transaction coordinator (`txn_coordinator.rs`), and the group's committed-offset
//! expiry (`offset_expiry.rs`, offsets.retention.minutes). They find partition leaders as the
//! clients do (`clients::metadata_pacing`), so they sit above `clients`.

pub mod group;
pub mod offset_expiry;
pub mod txn_coordinator;
