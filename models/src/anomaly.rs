//! The shared anomaly vocabulary, after Jepsen's Kafka and queue checkers. Every model reports
//! anomalies under these names (in `run --json` → `anomalies`), so one checker vocabulary covers
//! Kafka, Redis and the echo model.

/// An acknowledged write that is never readable after the quiet phase.
pub const LOST_WRITE: &str = "lost_write";
/// A message delivered/processed more than once.
pub const DUPLICATE: &str = "duplicate";
/// Sends by one producer observed in a different order than they were acknowledged.
pub const NONMONOTONIC_SEND: &str = "nonmonotonic_send";
/// A consumer observing offsets go backwards within one session.
pub const NONMONOTONIC_POLL: &str = "nonmonotonic_poll";
/// A consumer skipping over offsets it should have read.
pub const POLL_SKIP: &str = "poll_skip";
/// Acknowledged messages never observed by any consumer.
pub const UNSEEN: &str = "unseen";
/// Replicas disagree on the record at an offset after convergence.
pub const INCONSISTENT_OFFSETS: &str = "inconsistent_offsets";
/// A read of a record from an aborted transaction (G1a).
pub const ABORTED_READ: &str = "aborted_read";
/// A message published while a subscriber was connected that never reached it.
pub const PUBSUB_GAP: &str = "pubsub_gap";
/// A request whose reply never came (echo model).
pub const LOST_REQUEST: &str = "lost_request";

/// Every name above, for validation of `anomaly:NAME` expectations.
pub const ALL: &[&str] = &[
    LOST_WRITE,
    DUPLICATE,
    NONMONOTONIC_SEND,
    NONMONOTONIC_POLL,
    POLL_SKIP,
    UNSEEN,
    INCONSISTENT_OFFSETS,
    ABORTED_READ,
    PUBSUB_GAP,
    LOST_REQUEST,
];
