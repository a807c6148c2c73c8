//! The documented causes of anomalies: every count a model reports under an anomaly name is
//! split over these causes (`ModelReport::explain`), each with its first concrete examples, so a
//! sweep summary says what happened and not only how often. docs/guarantees.md lists them too;
//! the property tests check that every counted anomaly is covered by causes from this list.

/// A cause: its name, the anomaly it explains, and what it means.
#[derive(Clone, Copy, Debug)]
pub struct Cause {
    pub name: &'static str,
    pub anomaly: &'static str,
    pub meaning: &'static str,
}

const fn c(anomaly: &'static str, name: &'static str, meaning: &'static str) -> Cause {
    Cause {
        name,
        anomaly,
        meaning,
    }
}

/// Every documented cause.
pub const ALL: &[Cause] = &[
    // ---- Kafka ----
    c(
        "lost_write",
        "offset_rewritten",
        "the acknowledged offset holds another record in the final leader's log: the log was truncated after a leader change and the new leader wrote there",
    ),
    c(
        "lost_write",
        "truncated_below_ack",
        "the final leader's log ends at or below the acknowledged offset: truncated after a leader change, nothing written there since",
    ),
    c(
        "lost_write",
        "offsetless_ack_missing",
        "acknowledged without an offset (DUPLICATE_SEQUENCE_NUMBER) and absent from the final log",
    ),
    c(
        "duplicate",
        "twice_in_final_log",
        "the record appears at two offsets of the final log (a producer retry without idempotence)",
    ),
    c(
        "duplicate",
        "read_at_two_offsets",
        "consumers read the record at two different offsets",
    ),
    c(
        "unseen",
        "in_log_never_polled",
        "acknowledged and in the final log, but no consumer polled it before the run ended (a stalled or late consumer)",
    ),
    c(
        "nonmonotonic_send",
        "acked_below_earlier_send",
        "a later send of the producer to the partition was acknowledged at a lower offset than an earlier one",
    ),
    c(
        "nonmonotonic_poll",
        "poll_went_backwards",
        "a consumer's poll returned an offset below one it had already read in the same assignment session",
    ),
    c(
        "poll_skip",
        "skipped_offsets",
        "a consumer jumped over offsets that hold committed records",
    ),
    c(
        "inconsistent_offsets",
        "offset_read_with_two_values",
        "one offset of a partition was acknowledged or read with two different records",
    ),
    c(
        "inconsistent_offsets",
        "replicas_disagree",
        "two replicas hold different records at an offset below both their high watermarks",
    ),
    c(
        "aborted_read",
        "aborted_record_read",
        "a read_committed consumer read a record of an aborted transaction (G1a)",
    ),
    c(
        "aborted_read",
        "failed_send_in_log",
        "a send the producer was told failed is in the final log",
    ),
    c(
        "aborted_read",
        "client_aborted_read",
        "a read_committed consumer read a write of a transaction its client saw abort, which the final log holds as committed (a late produce joined a later transaction: KIP-890's hazard)",
    ),
    c(
        "intermediate_read",
        "read_inside_transaction",
        "a read_committed consumer read a transaction's write before the transaction made its next write to that partition (G1b)",
    ),
    c(
        "cyclic_information_flow",
        "ww_wr_cycle",
        "committed transactions form a cycle of write-write and write-read dependencies with a write-read edge (G1c)",
    ),
    c(
        "torn_transaction",
        "read_past_part_of_transaction",
        "a read_committed consumer returned part of a committed transaction and read past another of its writes without returning it",
    ),
    c(
        "precommitted_read",
        "read_before_commit",
        "a read_committed consumer read a transactional record before its COMMIT marker was written",
    ),
    c(
        "eos_duplicate",
        "input_with_two_outputs",
        "an input record has two or more outputs in the read_committed view of the output topic",
    ),
    c(
        "eos_missing",
        "input_without_output",
        "an input record has no output in the read_committed view of the output topic",
    ),
    c(
        "unprocessed",
        "never_processed",
        "a committed record no consumer of the group finished processing",
    ),
    c(
        "processed_more_than_once",
        "processed_twice",
        "the group processed the record more than once (redelivery after a rebalance or a restart)",
    ),
    c(
        "replication_invariant",
        "replica_bounds_broken",
        "a replica broke log_start <= HW <= LEO, or a leader's HW went backwards",
    ),
    c(
        "retention_invariant",
        "segment_deleted_early",
        "a segment was deleted that the retention rules did not allow",
    ),
    // ---- Redis ----
    c(
        "pubsub_gap",
        "pubsub_disconnected",
        "published while the subscriber was disconnected (RESP2 pub/sub is at-most-once)",
    ),
    c(
        "pubsub_gap",
        "pubsub_not_resubscribed",
        "the subscriber reconnected but had not subscribed again yet",
    ),
    c(
        "pubsub_gap",
        "pubsub_output_buffer_limit",
        "the server closed the subscriber at client-output-buffer-limit pubsub",
    ),
    c(
        "pubsub_gap",
        "pubsub_killed_by_failover",
        "Sentinel's failover killed the subscriber's connection (CLIENT KILL on reconfiguration)",
    ),
    c(
        "pubsub_gap",
        "pubsub_not_replicated",
        "published on a primary and not propagated to the replica the subscriber was on",
    ),
    c(
        "duplicate",
        "pubsub_duplicate",
        "a subscriber received one publication twice",
    ),
    c(
        "pubsub_reorder",
        "pubsub_out_of_order",
        "a subscriber received one publisher's messages out of publish order",
    ),
    c(
        "lost_write",
        "key_absent_in_final_primary",
        "an acknowledged SET whose key is absent from the final primary (failover to a replica without it, or a restart without persistence)",
    ),
    c(
        "lost_write",
        "key_holds_other_write",
        "an acknowledged SET whose key holds a different write on the final primary",
    ),
    c(
        "wait_acked_write_lost",
        "lost_after_wait",
        "a write WAIT confirmed on at least one replica is absent from the final primary",
    ),
    c(
        "split_brain_write",
        "accepted_by_old_primary",
        "an old primary accepted the write after another node was promoted",
    ),
    c(
        "stream_entry_lost",
        "entry_absent_from_final_stream",
        "an acknowledged XADD absent from the final primary's stream and not trimmed",
    ),
    c(
        "trimmed_before_delivery",
        "trimmed_undelivered",
        "MAXLEN/MINID trimming removed the entry before any consumer got it",
    ),
    c(
        "stream_redelivered",
        "pending_redelivered",
        "a pending entry was delivered again (XCLAIM/XAUTOCLAIM or a re-read of the PEL)",
    ),
    c(
        "stream_acked_redelivered",
        "redelivered_after_ack",
        "an entry was delivered again after XACK (the acknowledgement was lost with a failover or restart)",
    ),
    c(
        "replica_ahead",
        "replica_offset_ahead",
        "a replica's replication offset is above its primary's in the same history",
    ),
    // ---- echo ----
    c(
        "lost_request",
        "no_reply",
        "a request got no reply before the run ended",
    ),
    c(
        "duplicate",
        "duplicate_reply",
        "a client got two replies to one request",
    ),
];

/// The documented causes of `anomaly`.
pub fn of(anomaly: &str) -> impl Iterator<Item = &'static Cause> {
    ALL.iter().filter(move |c| c.anomaly == anomaly)
}
