//! The Kafka model (see docs/kafka.md): brokers with per-replica logs and fetch-based
//! replication, one KRaft controller as a linearizable actor, a group coordinator, producers
//! and consumers, with Jepsen-style checkers. Specification: shared/reference/kafka.md.
//!
//! Nodes: `b1..bN` (brokers), `ctrl` (controller), `gc` (group coordinator), `p1..` (producers),
//! `c1..` (consumers, all in group `g1`).

mod broker;
mod checker;
mod cleaner;
mod compaction_check;
mod config;
mod consumer;
mod controller;
mod group;
mod keys;
mod log;
mod msg;
mod produce;
mod producer;
mod replication;

pub use broker::{Broker, Role};
pub use checker::{FinalState, KafkaChecker};
pub use config::{
    Acks, CleanupPolicy, CommitMode, ControlledShutdownSpec, KafkaConfig, OffsetReset,
};
pub use consumer::Consumer;
pub use controller::Controller;
pub use group::GroupCoordinator;
pub use keys::KeySpec;
pub use log::{Batch, ReplicaLog};
pub use msg::{KErr, KEvent, KMsg};
pub use producer::Producer;

use crate::report::ModelReport;
use crate::setup::RunSetup;
use crate::system::RunError;
use msgsim_sim::{Actor, NodeId, Sim};
use std::cell::RefCell;
use std::rc::Rc;

/// Metrics the Kafka model reports.
pub const METRICS: &[&str] = &[
    "sent",
    "acked",
    "failed",
    "indeterminate",
    "indeterminate_in_log",
    "acks0_lost",
    "polled",
    "processed",
    "offset_resets",
    "offset_reset_errors",
    "max_ack_to_poll_ms",
    "max_send_to_ack_ms",
    "final_log_records",
    "offline_partitions",
    "replica_divergent_pairs",
    "unprocessed",
    "processed_more_than_once",
    "delivery_guarantee",
    "elections",
    "unclean_elections",
    "isr_shrinks",
    "isr_expands",
    "broker_fences",
    "divergence_truncations",
    "truncated_records",
    "producer_retries",
    "commits_failed",
    "group_rebalances",
    "final_log_start_min",
    "missed_tombstone",
    "cleaner_passes",
    "compacted_records",
    "tombstones_removed",
];

/// Run the Kafka model.
pub fn run(config: &KafkaConfig, mut setup: RunSetup) -> Result<ModelReport, RunError> {
    config
        .validate()
        .map_err(|(f, m)| RunError::Config(format!("kafka.{f}: {m}")))?;
    let cfg = Rc::new(config.clone());
    let names = config.node_names();
    let mut actors: Vec<(String, Box<dyn Actor<KMsg, KEvent>>)> = Vec::with_capacity(names.len());
    let mut it = names.into_iter();
    for b in 0..config.brokers {
        actors.push((
            it.next().expect("name"),
            Box::new(Broker::new(cfg.clone(), b)),
        ));
    }
    actors.push((
        it.next().expect("name"),
        Box::new(Controller::new(cfg.clone())),
    ));
    actors.push((
        it.next().expect("name"),
        Box::new(GroupCoordinator::new(cfg.clone())),
    ));
    for i in 0..config.producers {
        actors.push((
            it.next().expect("name"),
            Box::new(Producer::new(cfg.clone(), i)),
        ));
    }
    for i in 0..config.consumers {
        actors.push((
            it.next().expect("name"),
            Box::new(Consumer::new(cfg.clone(), i)),
        ));
    }
    let checker = Rc::new(RefCell::new(
        KafkaChecker::new(config.partitions).with_keys(KeySpec::of(config)),
    ));
    let observer = Box::new(checker::Shared(checker.clone()));
    let mut sim = setup.build(actors, observer).map_err(RunError::Config)?;
    let stats = sim.run().map_err(RunError::Sim)?;
    let mut report = ModelReport {
        stats,
        ..ModelReport::default()
    };
    report.absorb_coverage(sim.coverage());
    let fin = final_state(config, &sim);
    checker.borrow().report(&fin, &mut report);
    observe_actors(config, &sim, &mut report);
    Ok(report)
}

fn broker(sim: &Sim<KMsg, KEvent>, b: u32) -> &Broker {
    sim.actor::<Broker>(NodeId(b)).expect("broker actor")
}

/// The logs after the quiet phase: the controller's final leader per partition, and replica
/// agreement below both HWs (LogMatching).
fn final_state(config: &KafkaConfig, sim: &Sim<KMsg, KEvent>) -> FinalState {
    let ctrl = sim
        .actor::<Controller>(NodeId(config.ctrl_index()))
        .expect("controller");
    let mut fin = FinalState {
        consumers: config.consumers > 0,
        acks0: config.acks == Acks::Zero,
        ..FinalState::default()
    };
    for p in 0..config.partitions as usize {
        let leader = ctrl.parts[p].leader;
        fin.leader_logs.push(leader.map(|l| {
            let log = &broker(sim, l).logs[p];
            let mut recs = Vec::with_capacity((log.leo - log.log_start) as usize);
            log.for_each_record(|_, v| recs.push(v));
            (log.log_start, recs)
        }));
        let replicas = config.replicas(p as u32);
        let mut disagreements = 0;
        for (i, &a) in replicas.iter().enumerate() {
            for &b in &replicas[i + 1..] {
                let (la, lb) = (&broker(sim, a).logs[p], &broker(sim, b).logs[p]);
                let from = la.log_start.max(lb.log_start);
                let to = la.hw.min(lb.hw);
                if !la.agrees_with(lb, from, to) {
                    disagreements += 1;
                }
            }
        }
        fin.replica_disagreements.push(disagreements);
    }
    fin.invariant_violations = (0..config.brokers)
        .map(|b| broker(sim, b).invariant_violations)
        .sum();
    fin
}

fn observe_actors(config: &KafkaConfig, sim: &Sim<KMsg, KEvent>, report: &mut ModelReport) {
    let ctrl = sim
        .actor::<Controller>(NodeId(config.ctrl_index()))
        .expect("controller");
    let gc = sim
        .actor::<GroupCoordinator>(NodeId(config.gc_index()))
        .expect("group coordinator");
    let brokers: Vec<&Broker> = (0..config.brokers).map(|b| broker(sim, b)).collect();
    let retries: u64 = (0..config.producers)
        .map(|i| {
            sim.actor::<Producer>(NodeId(config.producer_index(i)))
                .map_or(0, |p| p.retries)
        })
        .sum();
    let commits_failed: u64 = (0..config.consumers)
        .map(|i| {
            sim.actor::<Consumer>(NodeId(config.consumer_index(i)))
                .map_or(0, |c| c.commits_failed)
        })
        .sum();
    let log_start_min = (0..config.partitions as usize)
        .filter_map(|p| {
            ctrl.parts[p]
                .leader
                .map(|l| brokers[l as usize].logs[p].log_start)
        })
        .min()
        .unwrap_or(0);
    let obs = [
        ("elections", ctrl.elections as f64),
        ("unclean_elections", ctrl.unclean_elections as f64),
        ("isr_shrinks", ctrl.isr_shrinks as f64),
        ("isr_expands", ctrl.isr_expands as f64),
        ("broker_fences", ctrl.fences as f64),
        (
            "divergence_truncations",
            brokers
                .iter()
                .map(|b| b.divergence_truncations)
                .sum::<u64>() as f64,
        ),
        (
            "truncated_records",
            brokers
                .iter()
                .map(|b| b.lossy_truncated_records)
                .sum::<u64>() as f64,
        ),
        ("producer_retries", retries as f64),
        ("commits_failed", commits_failed as f64),
        ("group_rebalances", gc.rebalances as f64),
        ("final_log_start_min", log_start_min as f64),
        (
            "cleaner_passes",
            brokers.iter().map(|b| b.cleaner.passes).sum::<u64>() as f64,
        ),
        (
            "compacted_records",
            brokers.iter().map(|b| b.cleaner.removed).sum::<u64>() as f64,
        ),
        (
            "tombstones_removed",
            brokers
                .iter()
                .map(|b| b.cleaner.tombstones_removed)
                .sum::<u64>() as f64,
        ),
    ];
    for (k, v) in obs {
        report.observations.insert(k.to_string(), v);
    }
}
