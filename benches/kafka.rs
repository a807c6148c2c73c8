//! Benchmark of the Kafka reference workload (`scenarios/bench/kafka-reference.ron`): 3 brokers,
//! RF 3, acks=all, 6 partitions, 1,000 msg/s, a group of 3 consumers, one broker crash and one
//! partition. The full run is one simulated hour; divan times shorter slices of the same
//! workload (simulated seconds as the argument) and reports records acknowledged per second.
//! For the hour itself: `cargo run --release -- run scenarios/bench/kafka-reference.ron --json`.
//!
//! `cargo bench --bench kafka`

use divan::Bencher;
use divan::counter::ItemsCount;
use msgsim_models::RunSetup;
use msgsim_models::kafka::{self, Acks, KafkaConfig, OffsetReset};
use msgsim_sim::{FaultSpec, SimDuration};

fn main() {
    divan::main();
}

fn config() -> KafkaConfig {
    KafkaConfig {
        brokers: 3,
        replication_factor: 3,
        partitions: 6,
        min_insync_replicas: 2,
        acks: Acks::All,
        messages_per_sec: 1_000,
        linger_ms: 50,
        consumers: 3,
        auto_offset_reset: OffsetReset::Earliest,
        ..KafkaConfig::default()
    }
}

/// The reference workload compressed into `sim_s` simulated seconds: the crash at 1/3, the
/// partition at 2/3, each lasting 1/60 of the run.
fn run_kafka(sim_s: u64) -> u64 {
    let ms = sim_s * 1_000;
    let mut setup = RunSetup::new(
        1,
        SimDuration::from_millis(ms),
        SimDuration::from_millis(ms / 60),
    );
    let b = |n: &str| n.to_string();
    setup.faults = vec![
        FaultSpec::Crash {
            at_ms: ms / 3,
            node: b("b2"),
            lose_unflushed: false,
        },
        FaultSpec::Restart {
            at_ms: ms / 3 + ms / 60,
            node: b("b2"),
        },
        FaultSpec::Partition {
            at_ms: 2 * ms / 3,
            groups: vec![vec![b("b3")], vec![b("b1"), b("b2")]],
        },
        FaultSpec::Heal {
            at_ms: 2 * ms / 3 + ms / 60,
        },
    ];
    let report = kafka::run(&config(), setup).expect("kafka runs");
    report.observations.get("acked").copied().unwrap_or(0.0) as u64
}

/// Simulated seconds of the Kafka reference workload per iteration.
#[divan::bench(args = [60, 600], sample_count = 3)]
fn kafka_reference(bencher: Bencher, sim_s: u64) {
    let acked = run_kafka(sim_s);
    bencher
        .counter(ItemsCount::new(acked))
        .bench(|| run_kafka(divan::black_box(sim_s)));
}
