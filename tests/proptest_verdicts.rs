//! Verdict-consistency properties over generated Kafka and Redis scenarios.
//!
//! `proptest_models.rs` checks the guarantee of one safe configuration under one fault. Here the
//! configuration itself is generated too (acks, idempotence, replication factor, min ISR,
//! unclean election, the historical switches; Redis persistence, replicas, Sentinel, WAIT), with
//! a schedule of up to four faults on servers and clients. Most of these configurations promise
//! nothing, so the properties are about the checkers' verdicts:
//!
//! - with no fault at all, every configuration runs clean (no anomaly of any kind);
//! - inside the documented no-loss envelope the guarantee holds (Kafka: acks=all,
//!   min.insync ≥ 2, no unclean election, no legacy switch → no lost write unless a lossy crash
//!   and faults on at least two brokers; Redis: no failover, no restart that loses data → no
//!   acknowledged write lost);
//! - every loss the checkers report is explained by an event that can cause it (Kafka: a
//!   leader change or a truncation; Redis: a failover or a restart that lost data; each pub/sub
//!   loss reason by its own cause), and the per-reason counts add up to the total.
//!
//! A failing case prints the whole scenario as RON, ready for `msgsim run --seed N`.

use msgsim::runner::RunOutcome;
use proptest::prelude::*;

mod generated_faults;
use generated_faults::{Fault, Hit, fault, faults_ron, run};
mod verdict_extras;

fn obs(o: &RunOutcome, k: &str) -> f64 {
    o.report.observations.get(k).copied().unwrap_or(0.0)
}

fn anomaly(o: &RunOutcome, k: &str) -> u64 {
    o.report.anomalies.get(k).copied().unwrap_or(0)
}

/// Cases per property: `PROPTEST_CASES` when set (an explicit `cases` in a config would
/// otherwise override it), else the CI default.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Anomalies that are not zero, for messages.
fn nonzero(o: &RunOutcome) -> Vec<(String, u64)> {
    o.report
        .anomalies
        .iter()
        .filter(|(_, v)| **v > 0)
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Kafka

#[derive(Clone, Debug)]
struct KafkaCase {
    /// 0, 1 or all.
    acks: u8,
    enable_idempotence: bool,
    replication_factor: u32,
    min_insync_replicas: u32,
    unclean: bool,
    truncate_to_hw: bool,
    no_fetch_epoch_fencing: bool,
    hw_advances_under_min_isr: bool,
    elr: bool,
    partitions: u32,
    messages_per_sec: u64,
    os_writeback_interval_ms: u64,
    /// cleanup.policy=compact with a keyed workload (100 keys, 5 s segments).
    compact: bool,
    /// p1 is a transactional producer aborting a fifth of its transactions (needs
    /// idempotence); the consumer reads read_committed.
    transactional: bool,
    /// max.in.flight.requests.per.connection: 1 or 5 (the default).
    max_in_flight: u32,
    /// request.timeout.ms 2 s and delivery.timeout.ms 5 s instead of 30 s / 120 s, so
    /// batches expire within the run (unresolved sequences, epoch bumps).
    short_timeouts: bool,
    faults: Vec<Fault>,
}

/// b1..b3 are brokers; c1 is the consumer.
const KAFKA_NODES: [&str; 4] = ["b1", "b2", "b3", "c1"];
const KAFKA_DURATION_MS: u64 = 30_000;

fn kafka_case(max_faults: usize) -> impl Strategy<Value = KafkaCase> {
    let config = (
        0u8..3,
        any::<bool>(),
        1u32..=3,
        1u32..=3,
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.25),
    );
    let workload = (
        1u32..=3,
        20u64..150,
        prop_oneof![Just(1_000u64), Just(5_000), Just(30_000)],
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.25),
        prop_oneof![Just(1u32), Just(5)],
        prop::bool::weighted(0.3),
    );
    let faults =
        proptest::collection::vec(fault(KAFKA_NODES.len(), (1_000, 20_000)), 0..=max_faults);
    (config, workload, faults).prop_map(
        |(
            (acks, idem, rf, min_isr, unclean, t2hw, nofence, hwmin, elr),
            (p, rate, wb, compact, txn, in_flight, short),
            faults,
        )| {
            KafkaCase {
                acks,
                // Kafka refuses idempotence without acks=all (ProducerConfig).
                enable_idempotence: idem && acks == 2,
                replication_factor: rf,
                min_insync_replicas: min_isr.min(rf),
                unclean,
                truncate_to_hw: t2hw,
                no_fetch_epoch_fencing: nofence,
                hw_advances_under_min_isr: hwmin,
                elr,
                partitions: p,
                messages_per_sec: rate,
                os_writeback_interval_ms: wb,
                compact,
                // Also with compaction: the cleaner drops aborted data (docs/fuzzing.md, 11).
                transactional: txn && idem && acks == 2,
                max_in_flight: in_flight,
                short_timeouts: short,
                faults,
            }
        },
    )
}

impl KafkaCase {
    fn ron(&self) -> String {
        let acks = ["Zero", "One", "All"][self.acks as usize];
        format!(
            r#"(
    version: 1,
    name: "prop-kafka-verdicts",
    duration_ms: {KAFKA_DURATION_MS},
    quiet_ms: 20_000,
    system: Kafka(
        partitions: {},
        acks: {acks},
        enable_idempotence: {},
        replication_factor: {},
        min_insync_replicas: {},
        unclean_leader_election_enable: {},
        truncate_to_hw_on_become_follower: {},
        no_fetch_epoch_fencing: {},
        hw_advances_under_min_isr: {},
        elr_enabled: {},
        os_writeback_interval_ms: {},
        messages_per_sec: {},
        max_in_flight_requests_per_connection: {},
        consumers: 1,
        auto_offset_reset: Earliest,{}
    ),
    faults: [{}
    ],
)"#,
            self.partitions,
            self.enable_idempotence,
            self.replication_factor,
            self.min_insync_replicas,
            self.unclean,
            self.truncate_to_hw,
            self.no_fetch_epoch_fencing,
            self.hw_advances_under_min_isr,
            self.elr,
            self.os_writeback_interval_ms,
            self.messages_per_sec,
            self.max_in_flight,
            self.extra_ron(),
            faults_ron(&self.faults, &KAFKA_NODES, KAFKA_DURATION_MS),
        )
    }

    /// The optional compaction and transaction knobs.
    fn extra_ron(&self) -> String {
        let mut out = String::new();
        if self.compact {
            out.push_str(
                "\n        cleanup_policy: Compact,\n        key_space: 100,\n        segment_ms: 5_000,",
            );
        }
        if self.short_timeouts {
            out.push_str(
                "\n        request_timeout_ms: 2_000,\n        delivery_timeout_ms: 5_000,",
            );
        }
        if self.transactional {
            out.push_str(
                "\n        transactional_producers: 1,\n        transaction_abort_percent: 20,\n        isolation_level: ReadCommitted,",
            );
        }
        out
    }

    /// acks=all, min.insync ≥ 2, no unclean election, no pre-fix behaviour: "a committed
    /// message will not be lost, as long as there is at least one in sync replica alive"
    /// (Kafka design §4.8).
    fn no_loss_envelope(&self) -> bool {
        self.acks == 2
            && self.min_insync_replicas >= 2
            && !self.unclean
            && !self.truncate_to_hw
            && !self.no_fetch_epoch_fencing
            && !self.hw_advances_under_min_isr
    }

    fn lossy_broker_crashes(&self) -> usize {
        self.faults
            .iter()
            .filter(|f| {
                f.node < 3
                    && f.hit
                        == Hit::Crash {
                            lose_unflushed: true,
                        }
            })
            .count()
    }

    fn faulted_brokers(&self) -> usize {
        let mut hit = [false; 3];
        for f in self.faults.iter().filter(|f| f.node < 3) {
            hit[f.node] = true;
        }
        hit.iter().filter(|h| **h).count()
    }
}

/// The checks shared by the Kafka properties; `Err` names the broken rule.
fn kafka_verdicts_consistent(case: &KafkaCase, o: &RunOutcome) -> Result<(), String> {
    let lost = anomaly(o, "lost_write");
    if case.faults.is_empty() && !nonzero(o).is_empty() {
        return Err(format!("healthy run reports anomalies {:?}", nonzero(o)));
    }
    // Committed records live on ≥ min.insync replicas; losing one needs a lossy crash (the only
    // way a replica forgets a record it held) and a second broker out of the way.
    if case.no_loss_envelope()
        && lost > 0
        && (case.lossy_broker_crashes() == 0 || case.faulted_brokers() < 2)
    {
        return Err(format!("lost_write {lost} inside the no-loss envelope"));
    }
    // An acknowledged record disappears only through a leader change (the new leader lacks it)
    // or a truncation of a log that held it.
    // (`elections` counts leader changes after the initial assignment.)
    if lost > 0 && obs(o, "elections") == 0.0 && obs(o, "truncated_records") == 0.0 {
        return Err(format!(
            "lost_write {lost} with no leader change and no truncation"
        ));
    }
    if case.no_loss_envelope() && case.enable_idempotence && case.lossy_broker_crashes() == 0 {
        let dup = anomaly(o, "duplicate");
        if dup > 0 {
            return Err(format!(
                "duplicate {dup} with idempotence and no lossy crash"
            ));
        }
    }
    // Send order is kept (no acknowledged send lands below an earlier one) when no log lost
    // records (a truncation lets later sends reuse offsets) and either idempotence orders the
    // retries (RecordAccumulator.insertInSequenceOrder, sequence checks on the broker) or only
    // one request is in flight (a muted partition); reordering needs retries without
    // idempotence and more than one request in flight (k07a).
    let reordered = anomaly(o, "nonmonotonic_send");
    let logs_intact =
        lost == 0 && case.lossy_broker_crashes() == 0 && obs(o, "truncated_records") == 0.0;
    if logs_intact && reordered > 0 && (case.enable_idempotence || case.max_in_flight == 1) {
        return Err(format!(
            "nonmonotonic_send {reordered} with idempotence {} and {} in flight",
            case.enable_idempotence, case.max_in_flight
        ));
    }
    // KIP-966's last-known-leader recovery is the only unclean election the switch allows.
    if obs(o, "unclean_elections") > 0.0 && !case.unclean && !case.elr {
        return Err("an unclean election with unclean.leader.election.enable=false".into());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(40), max_shrink_iters: 128, ..ProptestConfig::default() })]

    /// Generated Kafka configurations under up to four broker/consumer faults: verdicts are
    /// consistent with the configuration's promise and every lost write has a cause.
    #[test]
    fn kafka_verdicts_are_consistent(case in kafka_case(4), seed in 0u64..1_000) {
        let text = case.ron();
        let o = run(&text, seed);
        if let Err(why) = kafka_verdicts_consistent(&case, &o) {
            prop_assert!(false, "{} (seed {}; anomalies {:?}):\n{}", why, seed, nonzero(&o), text);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Redis

#[derive(Clone, Debug)]
struct RedisCase {
    servers: u32,
    sentinels: bool,
    /// 0 none, 1 AOF everysec, 2 AOF always.
    persistence: u8,
    wait: bool,
    faults: Vec<Fault>,
}

/// Publishing starts after the replicas' first full sync (5 s `repl-diskless-sync-delay`):
/// a message published before a replica's full sync never reaches its subscribers, which is
/// Redis's rule, not a fault.
const REDIS_DURATION_MS: u64 = 25_000;

impl RedisCase {
    /// Fault targets: servers, then the first sentinel when there are sentinels, then clients.
    fn names(&self) -> Vec<&'static str> {
        let mut names = ["r1", "r2", "r3"][..self.servers as usize].to_vec();
        if self.sentinels {
            names.push("s1");
        }
        names.extend(["w", "sub"]);
        names
    }

    fn ron(&self) -> String {
        let persistence = ["None", "AofEverysec", "AofAlways"][self.persistence as usize];
        let sentinels = if self.sentinels {
            "sentinels: 3,\n        sentinel: (quorum: 2, down_after_ms: 2_000),"
        } else {
            ""
        };
        let wait = if self.wait && self.servers > 1 {
            ", wait_replicas: 1, wait_timeout_ms: 200"
        } else {
            ""
        };
        let replica_sub = if self.servers > 1 {
            r#"(name: "subr", server: "r2", subscribe: ["news"], reconnect_backoff_ms: 200),"#
        } else {
            ""
        };
        format!(
            r#"(
    version: 1,
    name: "prop-redis-verdicts",
    duration_ms: {REDIS_DURATION_MS},
    quiet_ms: 10_000,
    system: Redis(
        servers: {},
        {sentinels}
        server: (persistence: {persistence}),
        clients: [
            (name: "w", write: (rate_per_s: 20, start_ms: 500{wait}), reconnect_backoff_ms: 200),
            (name: "sub", subscribe: ["news"], reconnect_backoff_ms: 200),
            (name: "pub", publish: (channel: "news", rate_per_s: 50, batch_ms: 20, start_ms: 7_000)),
            {replica_sub}
        ],
    ),
    faults: [{}
    ],
)"#,
            self.servers,
            faults_ron(&self.faults, &self.names(), REDIS_DURATION_MS),
        )
    }

    /// A server restart that can lose acknowledged data: without persistence it comes back
    /// empty (and replicas resync to the empty dataset); AOF everysec loses up to a second on
    /// power loss; AOF always fsyncs before the reply.
    fn data_losing_restart(&self) -> bool {
        self.faults.iter().any(|f| {
            (f.node as u32) < self.servers
                && match f.hit {
                    Hit::Crash { lose_unflushed } => {
                        self.persistence == 0 || (self.persistence == 1 && lose_unflushed)
                    }
                    _ => false,
                }
        })
    }
}

fn redis_case(max_faults: usize) -> impl Strategy<Value = RedisCase> {
    (1u32..=3, any::<bool>(), 0u8..3, any::<bool>()).prop_flat_map(
        move |(servers, sentinels, persistence, wait)| {
            let sentinels = sentinels && servers > 1;
            let nodes = servers as usize + usize::from(sentinels) + 2;
            let faults = proptest::collection::vec(fault(nodes, (1_000, 15_000)), 0..=max_faults);
            faults.prop_map(move |faults| RedisCase {
                servers,
                sentinels,
                persistence,
                wait,
                faults,
            })
        },
    )
}

fn redis_verdicts_consistent(case: &RedisCase, o: &RunOutcome) -> Result<(), String> {
    if case.faults.is_empty() && !nonzero(o).is_empty() {
        return Err(format!("healthy run reports anomalies {:?}", nonzero(o)));
    }
    // At-most-once delivery: never twice, never out of order (pubsub.md).
    for a in ["duplicate", "pubsub_reorder", "replica_ahead"] {
        if anomaly(o, a) > 0 {
            return Err(format!("{a} = {}", anomaly(o, a)));
        }
    }
    // Every lost pub/sub message has exactly one reason, and each reason its cause.
    let reasons = [
        "pubsub_lost_disconnected",
        "pubsub_lost_not_resubscribed",
        "pubsub_lost_obuf",
        "pubsub_lost_failover",
        "pubsub_lost_replication",
    ];
    let sum: f64 = reasons.iter().map(|r| obs(o, r)).sum();
    if sum != obs(o, "pubsub_lost") {
        return Err(format!(
            "pubsub_lost {} is not the sum of its reasons {sum}",
            obs(o, "pubsub_lost")
        ));
    }
    if obs(o, "pubsub_lost_obuf") > 0.0
        && obs(o, "client_output_buffer_limit_disconnections") == 0.0
    {
        return Err("pubsub_lost_obuf without an output-buffer disconnection".into());
    }
    if obs(o, "pubsub_lost_failover") > 0.0 && obs(o, "clients_killed_by_sentinel") == 0.0 {
        return Err("pubsub_lost_failover without a client killed by Sentinel".into());
    }
    // An acknowledged write disappears only through a failover (a promoted replica lacked it,
    // or the old primary was demoted and resynced) or a restart that lost data.
    let lost = obs(o, "acked_writes_lost");
    if lost > 0.0 && obs(o, "failovers") == 0.0 && !case.data_losing_restart() {
        return Err(format!(
            "acked_writes_lost {lost} without a failover or a data-losing restart"
        ));
    }
    if obs(o, "wait_acked_writes_lost") > lost {
        return Err("more WAIT-acknowledged writes lost than acknowledged writes lost".into());
    }
    if obs(o, "split_brain_writes") > 0.0 && obs(o, "failovers") == 0.0 {
        return Err("split-brain writes without a failover".into());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(40), max_shrink_iters: 128, ..ProptestConfig::default() })]

    /// Generated Redis deployments (1–3 servers, optional Sentinel, persistence, WAIT) under up
    /// to four faults on servers, a sentinel and clients: verdicts are consistent.
    #[test]
    fn redis_verdicts_are_consistent(case in redis_case(4), seed in 0u64..1_000) {
        let text = case.ron();
        let o = run(&text, seed);
        if let Err(why) = redis_verdicts_consistent(&case, &o) {
            prop_assert!(false, "{} (seed {}; anomalies {:?}):\n{}", why, seed, nonzero(&o), text);
        }
    }
}

/// The Kafka strategy really reaches the producer's rarer paths, so the send-order and
/// duplicate rules above are not vacuous: batches expiring (short timeouts), idempotent epoch
/// bumps, and reordering without idempotence.
#[test]
fn kafka_strategy_reaches_expiry_bumps_and_reordering() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = kafka_case(4);
    let (mut expired, mut bumped, mut reordered) = (0, 0, 0);
    for seed in 0..150u64 {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        let o = run(&case.ron(), seed);
        let sometimes = |k: &str| o.report.sometimes.get(k).is_some_and(|n| *n > 0);
        expired += usize::from(sometimes("kafka:delivery_timeout"));
        bumped += usize::from(sometimes("kafka:producer_epoch_bump"));
        reordered += usize::from(anomaly(&o, "nonmonotonic_send") > 0);
    }
    eprintln!("of 150 cases: expired {expired}, epoch bumps {bumped}, reordered {reordered}");
    assert!(
        expired > 0 && bumped > 0 && reordered > 0,
        "expired {expired}, epoch bumps {bumped}, reordered {reordered}"
    );
}
