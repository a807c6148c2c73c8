//! The wire and history types every other part of the Kafka model speaks: messages between
//! actors and the client-observed history events (`msg.rs`), the record format — batches,
//! transaction markers and the aborted-transaction index (`records.rs`) — record keys and
//! tombstones (`keys.rs`), records' values (`values.rs`), and the error-handling pipelines'
//! history events (`sink_event.rs`).
//! Depends on `config` only.

pub mod keys;
pub mod kinds;
pub mod msg;
pub mod records;
pub mod sink_event;
pub mod value_names;
pub mod values;
