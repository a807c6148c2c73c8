//! What a sweep summary shows first for each model: its key observations (the evidence an
//! incident review asks for: what producers saw, how long writes waited), its key coverage
//! probes (did the faults reach the mechanisms that matter, e.g. elections), and its warm-up
//! (how long after start the system is in its steady state, so generated faults start after it).

use crate::echo::EchoConfig;
use crate::kafka::KafkaConfig;
use crate::redis::RedisConfig;

/// Key observations of a model, by model name (`echo`, `kafka`, `redis`).
pub fn key_observations(model: &str) -> &'static [&'static str] {
    match model {
        "kafka" => &[
            "acked",
            "failed",
            "indeterminate",
            "unavailable_write",
            "max_send_to_ack_ms",
            "max_ack_to_poll_ms",
        ],
        "redis" => &[
            "writes_ok",
            "writes_err",
            "acked_writes_lost",
            "pubsub_lost",
            "stream_entries_lost",
            "wait_latency_ms_max",
        ],
        "echo" => &["sent", "delivered", "timed_out", "lost", "latency_us_max"],
        _ => &[],
    }
}

/// Coverage probes (`sometimes:` counters) a sweep summary always names, reached or not.
pub fn key_coverage(model: &str) -> &'static [&'static str] {
    match model {
        "kafka" => &[
            "kafka:leader_election",
            "kafka:unclean_election",
            "kafka:isr_shrink",
            "kafka:divergence_truncation",
            "kafka:group_rebalance",
        ],
        "redis" => &[
            "redis:failover",
            "redis:full_resync",
            "redis:partial_resync",
            "redis:client_conn_broken",
        ],
        _ => &[],
    }
}

/// Kafka: leaders are elected within the first second (the controller's first pass), and a
/// consumer group's first generation forms after `group.initial.rebalance.delay.ms`
/// (GroupCoordinator, 3 s by default) after the consumers start, plus one join/sync round.
pub fn kafka_warm_up_ms(c: &KafkaConfig) -> u64 {
    let group = if c.consumers > 0 {
        c.consumer_start_ms + c.group_initial_rebalance_delay_ms + 1_000
    } else {
        0
    };
    group.max(1_000)
}

/// Redis: a replica's first full sync waits `repl-diskless-sync-delay` (5 s by default,
/// replication.c `startBgsaveForReplication` is deferred by it) and then transfers the RDB;
/// one more second covers the transfer of the model's datasets.
pub fn redis_warm_up_ms(c: &RedisConfig) -> u64 {
    if c.servers > 1 {
        c.server.repl_diskless_sync_delay_s * 1_000 + 1_000
    } else {
        1_000
    }
}

/// Echo: connections are set up in the first round trips.
pub fn echo_warm_up_ms(_: &EchoConfig) -> u64 {
    1_000
}
