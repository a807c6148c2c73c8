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
/// Kafka: a transactional value read (read_committed) before its transaction committed.
pub const PRECOMMITTED_READ: &str = "precommitted_read";
/// Kafka transactions (G1b): a read_committed read of a transaction's write before the
/// transaction's later write to the same partition was made.
pub const INTERMEDIATE_READ: &str = "intermediate_read";
/// Kafka transactions (G1c): a cycle of committed transactions over write-write and
/// write-read dependencies with at least one write-read edge.
pub const CYCLIC_INFORMATION_FLOW: &str = "cyclic_information_flow";
/// Kafka transactions: part of a committed transaction returned to a read_committed reader
/// that read past another of its writes without returning it.
pub const TORN_TRANSACTION: &str = "torn_transaction";
/// Kafka consume-transform-produce: an input record with two or more outputs in the
/// read_committed view of the output topic.
pub const EOS_DUPLICATE: &str = "eos_duplicate";
/// Kafka consume-transform-produce: an input record with no output in the read_committed view.
pub const EOS_MISSING: &str = "eos_missing";
/// A message published while a subscriber was connected that never reached it.
pub const PUBSUB_GAP: &str = "pubsub_gap";
/// A request whose reply never came (echo model).
pub const LOST_REQUEST: &str = "lost_request";

/// Kafka: a record in the final log (or acknowledged) that the consumer group never processed.
pub const UNPROCESSED: &str = "unprocessed";
/// Kafka: a record the consumer group processed more than once.
pub const PROCESSED_MORE_THAN_ONCE: &str = "processed_more_than_once";
/// Kafka: a replica broke log_start ≤ HW ≤ LEO or a leader's HW went backwards.
pub const REPLICATION_INVARIANT: &str = "replication_invariant";
/// Kafka: a segment deleted that retention did not allow (too young and the log within
/// retention.bytes, the active segment, at or above the HW, not the oldest, or — tiered —
/// not yet copied to the remote tier).
pub const RETENTION_INVARIANT: &str = "retention_invariant";

/// Redis: a subscriber saw pub/sub messages from one publisher out of publish order.
pub const PUBSUB_REORDER: &str = "pubsub_reorder";
/// Redis: a write acknowledged by WAIT (≥ 1 replica) absent from the final primary.
pub const WAIT_ACKED_WRITE_LOST: &str = "wait_acked_write_lost";
/// Redis: a write accepted by an old primary after another node was promoted.
pub const SPLIT_BRAIN_WRITE: &str = "split_brain_write";
/// Redis Streams: an acknowledged XADD absent from the final primary (not trimmed).
pub const STREAM_ENTRY_LOST: &str = "stream_entry_lost";
/// Redis Streams: an entry trimmed (MAXLEN/MINID) before any consumer got it.
pub const TRIMMED_BEFORE_DELIVERY: &str = "trimmed_before_delivery";
/// Redis Streams: an entry delivered more than once (at-least-once redelivery).
pub const STREAM_REDELIVERED: &str = "stream_redelivered";
/// Redis Streams: an entry delivered again after the consumer acknowledged it.
pub const STREAM_ACKED_REDELIVERED: &str = "stream_acked_redelivered";
/// Redis: a replica's offset above its primary's for the same replication history.
pub const REPLICA_AHEAD: &str = "replica_ahead";

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
    PRECOMMITTED_READ,
    INTERMEDIATE_READ,
    CYCLIC_INFORMATION_FLOW,
    TORN_TRANSACTION,
    EOS_DUPLICATE,
    EOS_MISSING,
    PUBSUB_GAP,
    LOST_REQUEST,
    UNPROCESSED,
    PROCESSED_MORE_THAN_ONCE,
    REPLICATION_INVARIANT,
    RETENTION_INVARIANT,
    PUBSUB_REORDER,
    WAIT_ACKED_WRITE_LOST,
    SPLIT_BRAIN_WRITE,
    STREAM_ENTRY_LOST,
    TRIMMED_BEFORE_DELIVERY,
    STREAM_REDELIVERED,
    STREAM_ACKED_REDELIVERED,
    REPLICA_AHEAD,
];
