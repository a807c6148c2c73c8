//! The Kafka model (see docs/kafka.md): brokers with per-replica logs and fetch-based
//! replication, one KRaft controller as a linearizable actor, a group coordinator, producers
//! and consumers, with Jepsen-style checkers. Specification: shared/reference/kafka.md.
//!
//! Nodes: `b1..bN` (brokers), `ctrl` (controller), `gc` (group coordinator), `p1..` (producers),
//! `c1..` (consumers, all in group `g1`).
//!
//! The parts, lowest first (each folder's `mod.rs` says what it owns): `config` → `wire` (messages,
//! record format, history events) → `checkers` | `broker` | `clients` → `coordinators` →
//! `applications`. A part imports only from lower parts; this file assembles them
//! (`tests/architecture.rs` checks it).

mod applications;
mod broker;
mod checkers;
mod clients;
mod config;
mod coordinators;
mod vocabulary;
mod wire;

pub use applications::txn_producer::TxnProducer;
pub use broker::controller::Controller;
pub use broker::log::ReplicaLog;
pub use broker::{Broker, Role};
pub use checkers::checker::{CtpFinal, FinalLog, FinalState, KafkaChecker};
pub use clients::consumer::Consumer;
pub use clients::producer::Producer;
pub use clients::script::ScriptClient;
pub use config::script::{HeaderSpec, KCmd, KStep, ScriptClientSpec};
pub use config::sink::{ErrorsTolerance, Pipeline, SinkConfig};
pub use config::tiered::TieredStorageConfig;
pub use config::{
    Acks, CleanupPolicy, CommitMode, ControlledShutdownSpec, IsolationLevel, KafkaConfig,
    OffsetReset,
};
pub use coordinators::group::GroupCoordinator;
pub use vocabulary::{ANOMALIES, METRICS, PROBES};
pub use wire::keys::KeySpec;
pub use wire::kinds as message_kinds;
pub use wire::msg::{KErr, KEvent, KMsg};
pub use wire::records::Batch;
pub use wire::sink_event::SinkEvent;
pub use wire::value_names;

use crate::report::ModelReport;
use crate::run_error::RunError;
use crate::setup::RunSetup;
use applications::app_dlq::AppDlqPipeline;
use applications::connect::{ConnectSinkTask, TaskState};
use checkers::sink_checker::{Observers, SinkChecker, SinkFinal};
use checkers::txn_history::{SharedTxn, TxnHistoryChecker};
use clients::consumer::OUTPUT_BIT;
use msgsim_sim::{Actor, NodeId, Sim};
use std::cell::RefCell;
use std::rc::Rc;

/// Run the Kafka model.
pub fn run(config: &KafkaConfig, mut setup: RunSetup) -> Result<ModelReport, RunError> {
    config
        .validate()
        .map_err(|(f, m)| RunError::Config(format!("kafka.{f}: {m}")))?;
    let cfg = Rc::new(config.clone());
    let names = config.node_names();
    let mut actors: Vec<(String, Box<dyn Actor<KMsg, KEvent>>)> = Vec::with_capacity(names.len());
    let mut it = names.into_iter();
    // Tiered storage: one object store shared by every broker (tiered.rs).
    let remote = config
        .tiered_storage
        .enabled()
        .then(|| broker::remote_store::new_store(config.log_partitions()));
    for b in 0..config.brokers {
        let mut broker = Broker::new(cfg.clone(), b);
        broker.tier.store = remote.clone();
        actors.push((it.next().expect("name"), Box::new(broker)));
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
        let actor: Box<dyn Actor<KMsg, KEvent>> = if i < config.transactional_producers {
            Box::new(TxnProducer::new(cfg.clone(), i))
        } else {
            Box::new(Producer::new(cfg.clone(), i))
        };
        actors.push((it.next().expect("name"), actor));
    }
    for i in 0..config.consumers {
        actors.push((it.next().expect("name"), Box::new(consumer(&cfg, i))));
    }
    for k in 0..config.script_clients.len() {
        let spec = &config.script_clients[k];
        let steps: Vec<(u32, KStep)> = (config.script.iter().enumerate())
            .filter(|(_, s)| s.client == spec.name)
            .map(|(i, s)| (i as u32, s.clone()))
            .collect();
        let client = ScriptClient::new(config, k as u32, steps);
        actors.push((it.next().expect("name"), Box::new(client)));
    }
    let mut checker = KafkaChecker::new(config.partitions).with_keys(KeySpec::of(config));
    if config.script.iter().any(|s| s.topic.is_some()) {
        checker = checker.with_created_topics(config.fixed_partitions());
    }
    checker.read_committed = (0..config.consumers)
        .map(|i| config.read_committed(i))
        .chain(config.script_clients.iter().map(|c| {
            c.isolation_level.unwrap_or(config.isolation_level) == IsolationLevel::ReadCommitted
        }))
        .collect();
    // The transaction-history checker sees the history with scripted transactions or the
    // workload's transactional producers (their boundaries: `applications/txn_producer.rs`).
    let pairs: Vec<(u32, u32)> = (0..config.script_clients.len() as u32)
        .filter(|&k| config.script_tid(k).is_some())
        .map(|k| (config.producers + k, config.consumers + k))
        .collect();
    let txn_checker = Rc::new(RefCell::new(TxnHistoryChecker::new(
        &pairs,
        checker.read_committed.clone(),
    )));
    let checker = Rc::new(RefCell::new(checker));
    let sink_checker = Rc::new(RefCell::new(SinkChecker::default()));
    let observer = Box::new(Observers(
        checkers::checker::Shared(checker.clone()),
        sink_checker.clone(),
        (!pairs.is_empty() || config.transactional_producers > 0)
            .then(|| SharedTxn(txn_checker.clone())),
    ));
    let lossy_crashes = lossy_crashes(&setup.faults);
    let mut sim = setup.build(actors, observer).map_err(RunError::Config)?;
    let stats = sim.run().map_err(RunError::Sim)?;
    let mut report = ModelReport {
        stats,
        ..ModelReport::default()
    };
    report.absorb_coverage(sim.coverage());
    let mut fin = final_state(config, &sim);
    fin.context = format!(
        "acks={:?}, min.insync.replicas={}, RF {}, unclean elections {}, lossy crashes [{}]",
        config.acks,
        config.min_insync_replicas,
        config.replication_factor,
        report
            .sometimes
            .get("kafka:unclean_election")
            .copied()
            .unwrap_or(0),
        lossy_crashes
    );
    checker.borrow().report(&fin, &mut report);
    let not_committed = fin.not_committed.iter().copied().collect();
    txn_checker.borrow().report(&not_committed, &mut report);
    let unanswered: u64 = (0..config.script_clients.len() as u32)
        .filter_map(|k| sim.actor::<ScriptClient>(NodeId(config.script_client_index(k))))
        .map(|c| c.unanswered())
        .sum();
    // As for Redis steps: a step still unanswered at the end is also a mismatch.
    let obs = &mut report.observations;
    obs.insert("script_unanswered".into(), unanswered as f64);
    *obs.entry("script_mismatches".into()).or_insert(0.0) += unanswered as f64;
    report_sink(config, &sim, &sink_checker.borrow(), &mut report);
    observe_actors(config, &sim, &mut report);
    Ok(report)
}

/// The power-loss crashes of a schedule, e.g. `b1 at 12300 ms` (for explanations).
fn lossy_crashes(faults: &[msgsim_sim::FaultSpec]) -> String {
    faults
        .iter()
        .filter_map(|f| match f {
            msgsim_sim::FaultSpec::Crash {
                node,
                at_ms,
                lose_unflushed: true,
            } => Some(format!("{node} at {at_ms} ms")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Consumer `i`, with the configured sink pipeline stage.
fn consumer(cfg: &Rc<KafkaConfig>, i: u32) -> Consumer {
    match cfg.sink.pipeline {
        Pipeline::Off => Consumer::new(cfg.clone(), i),
        Pipeline::ConnectSink => Consumer::with_stage(
            cfg.clone(),
            i,
            Box::new(ConnectSinkTask::new(cfg.clone(), i)),
        ),
        Pipeline::AppDlq => Consumer::with_stage(
            cfg.clone(),
            i,
            Box::new(AppDlqPipeline::new(cfg.clone(), i)),
        ),
    }
}

/// The sink pipelines' checks: the final DLQ log and the group's committed offsets.
fn report_sink(
    config: &KafkaConfig,
    sim: &Sim<KMsg, KEvent>,
    sink: &SinkChecker,
    report: &mut ModelReport,
) {
    let ctrl = sim
        .actor::<Controller>(NodeId(config.ctrl_index()))
        .expect("controller");
    let extra_log = |p: Option<u32>| {
        let p = p? as usize;
        let log = &broker(sim, ctrl.parts[p].leader?).logs[p];
        let mut recs = Vec::new();
        log.for_each_record(|_, v| recs.push(v));
        Some((log.local_log_start, recs))
    };
    let dlq_log = extra_log(config.dlq_partition());
    let gc = sim
        .actor::<GroupCoordinator>(NodeId(config.gc_index()))
        .expect("group coordinator");
    let main_logs = main_records(config, sim, ctrl);
    let sfin = SinkFinal {
        sink: &config.sink,
        main_logs: &main_logs,
        dlq_log: dlq_log.as_ref(),
        committed: &gc.committed,
    };
    sink.report(&sfin, report);
    // Connect task states at the end of the run (FAILED tasks stay FAILED unless restarted).
    let failed = (0..config.consumers)
        .filter_map(|i| sim.actor::<Consumer>(NodeId(config.consumer_index(i))))
        .filter_map(|c| c.stage()?.as_any().downcast_ref::<ConnectSinkTask>())
        .filter(|t| t.state == TaskState::Failed)
        .count();
    report
        .observations
        .insert("tasks_failed_at_end".into(), failed as f64);
    let retry_records = extra_log(config.retry_partition()).map_or(0, |(_, r)| r.len());
    let max_blocked = (0..config.consumers)
        .filter_map(|i| sim.actor::<Consumer>(NodeId(config.consumer_index(i))))
        .filter_map(|c| c.stage()?.as_any().downcast_ref::<AppDlqPipeline>())
        .map(|s| s.max_blocked.as_millis())
        .max()
        .unwrap_or(0);
    let obs = &mut report.observations;
    obs.insert("retry_topic_records".into(), retry_records as f64);
    obs.insert("max_blocked_ms".into(), max_blocked as f64);
}

/// `(offset, value)` of the data records of each main partition's final leader log (none
/// without a sink pipeline: only the sink checker needs them). A read_committed consumer never
/// receives aborted or never-committed transactional records, so they are no pipeline's to
/// finish (found by the verdict property: aborted poison records counted as lost).
fn main_records(
    config: &KafkaConfig,
    sim: &Sim<KMsg, KEvent>,
    ctrl: &Controller,
) -> Vec<Option<checkers::sink_checker::OffsetLog>> {
    if config.sink.pipeline == Pipeline::Off {
        return Vec::new();
    }
    let read_committed = (0..config.consumers).any(|i| config.read_committed(i));
    (0..config.partitions as usize)
        .map(|p| {
            let log = &broker(sim, ctrl.parts[p].leader?).logs[p];
            let hidden: std::collections::BTreeSet<u64> = if read_committed {
                broker::log::txn_outcomes(log)
                    .not_committed
                    .into_iter()
                    .collect()
            } else {
                std::collections::BTreeSet::new()
            };
            let mut recs = Vec::new();
            for b in log.segments.iter().flat_map(|s| &s.batches) {
                if b.txn.is_control() {
                    continue;
                }
                let offsets = b.base_offset..;
                recs.extend(
                    offsets
                        .zip(b.values.iter().copied())
                        .filter(|(o, v)| *o >= log.local_log_start && !hidden.contains(v)),
                );
            }
            Some(recs)
        })
        .collect()
}

fn broker(sim: &Sim<KMsg, KEvent>, b: u32) -> &Broker {
    sim.actor::<Broker>(NodeId(b)).expect("broker actor")
}

/// The logs after the quiet phase: the controller's final leader per partition, and replica
/// agreement below both HWs (LogMatching).
fn final_state<'a>(config: &KafkaConfig, sim: &'a Sim<KMsg, KEvent>) -> FinalState<'a> {
    let ctrl = sim
        .actor::<Controller>(NodeId(config.ctrl_index()))
        .expect("controller");
    let mut fin = FinalState {
        consumers: config.consumers > 0,
        acks0: config.acks == Acks::Zero,
        ..FinalState::default()
    };
    let mut ctp = CtpFinal::default();
    let remote = broker(sim, 0).tier.store.clone();
    let mut tier_violations = 0;
    // With steps on created topics their partitions are checked too; the sink pipeline's
    // topics between are the sink checker's (empty placeholders here).
    let topics = config.script.iter().any(|s| s.topic.is_some());
    let n = if topics {
        config.log_partitions()
    } else {
        config.partitions
    };
    for p in 0..n as usize {
        if (config.partitions as usize..config.fixed_partitions() as usize).contains(&p) {
            fin.leaders.push(None);
            fin.leader_logs.push(Some(FinalLog::copied(0, Vec::new())));
            fin.offline_in_sync_values.push(Vec::new());
            fin.replica_disagreements.push(0);
            continue;
        }
        let leader = ctrl.parts[p].leader;
        fin.leaders
            .push(leader.map(|l| checkers::explain::FinalLeader {
                broker: l,
                epoch: ctrl.parts[p].leader_epoch,
                isr: ctrl.parts[p].isr.iter().copied().collect(),
                log_end: broker(sim, l).logs[p].leo,
            }));
        let output = (config.input_partitions()..config.partitions).contains(&(p as u32));
        fin.leader_logs.push(leader.map(|l| {
            let log = &broker(sim, l).logs[p];
            // Outputs and consume-transform-produce inputs need the records themselves;
            // elsewhere only the transactions' outcomes.
            let view = if output || config.ctp_output_partitions > 0 {
                broker::log::log_view(log)
            } else {
                broker::log::txn_outcomes(log)
            };
            if output {
                ctp.output_committed
                    .extend(view.committed.iter().map(|v| v & !OUTPUT_BIT));
                ctp.output_all
                    .extend(view.all.iter().map(|v| v & !OUTPUT_BIT));
                return FinalLog::copied(log.local_log_start, Vec::new());
            }
            // Only consume-transform-produce checks the input; elsewhere this copy of every
            // record would be the largest allocation of the run.
            if config.ctp_output_partitions > 0 {
                ctp.input.extend_from_slice(&view.committed);
            }
            fin.not_committed.extend_from_slice(&view.not_committed);
            // Aborted records the cleaners removed (on any replica) are aborted all the same.
            for b in 0..config.brokers {
                let cleaned = &broker(sim, b).cleaner.aborted_values;
                let mine = cleaned.iter().filter(|&&(q, _)| q as usize == p);
                fin.not_committed.extend(mine.map(|&(_, v)| v));
            }
            fin.commit_ms.extend_from_slice(&view.commit_ms);
            tier_violations += broker::tiered::final_violations(remote.as_ref(), p, log);
            // With tiered storage the records below the local log start are in the remote tier;
            // the local log is read in place.
            let (start, copied) = broker::tiered::final_prefix(remote.as_ref(), p, log);
            FinalLog {
                start,
                copied,
                batches: log.segments.iter().map(|s| &s.batches[..]).collect(),
                from: log.local_log_start,
            }
        }));
        // A reassignment moved the partition: the controller's replicas are its replicas now.
        let replicas = ctrl
            .assigned(p)
            .unwrap_or_else(|| config.replicas(p as u32));
        fin.offline_in_sync_values.push(match leader {
            Some(_) => Vec::new(),
            None => offline_in_sync_values(sim, &ctrl.parts[p], &replicas, p, remote.as_ref()),
        });
        let compacted = config.may_compact_partition(p);
        let mut disagreements = 0;
        for (i, &a) in replicas.iter().enumerate() {
            for &b in &replicas[i + 1..] {
                let (la, lb) = (&broker(sim, a).logs[p], &broker(sim, b).logs[p]);
                let from = la.local_log_start.max(lb.local_log_start);
                let to = la.hw.min(lb.hw);
                if !la.agrees_with(lb, from, to, compacted) {
                    disagreements += 1;
                }
            }
        }
        fin.replica_disagreements.push(disagreements);
    }
    if config.ctp_output_partitions > 0 {
        fin.ctp = Some(ctp);
    }
    fin.invariant_violations = (0..config.brokers)
        .map(|b| broker(sim, b).invariant_violations)
        .sum::<u64>()
        + tier_violations;
    fin.retention_deletions_checked = (0..config.brokers)
        .map(|b| broker(sim, b).retention_deletions_checked)
        .sum();
    fin.retention_violations = (0..config.brokers)
        .map(|b| broker(sim, b).retention_violations)
        .sum();
    fin
}

/// A partition without a leader: the values its in-sync replicas (ISR, and ELR with KIP-966)
/// hold. A clean election picks one of them when it returns (PartitionChangeBuilder), so what
/// they hold is unavailable rather than lost. With ISR and ELR both empty (KIP-966 takes a
/// replica that restarts after an unclean shutdown out of both) no clean election is possible
/// and the partition waits for an unclean one (an operator's `kafka-leader-election --election-type
/// unclean`, or the config), which picks one of its replicas: what they hold is unavailable too.
fn offline_in_sync_values(
    sim: &Sim<KMsg, KEvent>,
    part: &broker::controller::CPart,
    replicas: &[u32],
    p: usize,
    remote: Option<&broker::remote_store::RemoteStore>,
) -> Vec<u64> {
    let eligible: Vec<u32> = part.isr.iter().chain(part.elr.iter()).copied().collect();
    let holders = if eligible.is_empty() {
        replicas
    } else {
        &eligible[..]
    };
    let mut values = Vec::new();
    for &b in holders {
        let log = &broker(sim, b).logs[p];
        let local = broker::log::log_view(log).all;
        values.extend(broker::tiered::final_values(remote, p, log, local).1);
    }
    values
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
    let txn_fenced: u64 = (0..config.producers)
        .map(|i| {
            sim.actor::<TxnProducer>(NodeId(config.producer_index(i)))
                .map_or(0, |p| p.fenced())
        })
        .sum();
    let log_start_min = (0..config.partitions as usize)
        .filter_map(|p| {
            ctrl.parts[p]
                .leader
                .map(|l| brokers[l as usize].log_start_offset(p))
        })
        .min()
        .unwrap_or(0);
    // Largest final leader log (local bytes): size retention keeps it within retention.bytes
    // plus the active segment.
    let log_bytes_max = (0..config.partitions as usize)
        .filter_map(|p| {
            ctrl.parts[p]
                .leader
                .map(|l| brokers[l as usize].logs[p].size_bytes)
        })
        .max()
        .unwrap_or(0);
    let leaders: Vec<Option<u32>> = (0..config.partitions as usize)
        .map(|p| ctrl.parts[p].leader)
        .collect();
    broker::tiered::observe(&brokers, &leaders, report);
    broker::replica_set::observe(ctrl, &brokers, report);
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
            "divergence_no_progress",
            brokers
                .iter()
                .map(|b| b.divergence_no_progress)
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
        ("final_log_bytes_max", log_bytes_max as f64),
        ("txn_commits", gc.txn.commits as f64),
        ("txn_aborts", gc.txn.aborts as f64),
        ("txn_timeouts", gc.txn.timeouts as f64),
        ("txn_fence_aborts", gc.txn.fence_aborts as f64),
        ("txn_markers", gc.txn.markers as f64),
        ("txn_clients_fenced", txn_fenced as f64),
        (
            "txn_verifications",
            brokers.iter().map(|b| b.verifications.started).sum::<u64>() as f64,
        ),
        (
            "txn_verifications_refused",
            brokers.iter().map(|b| b.verifications.refused).sum::<u64>() as f64,
        ),
        (
            "txn_verifications_timed_out",
            brokers
                .iter()
                .map(|b| b.verifications.timed_out)
                .sum::<u64>() as f64,
        ),
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
        (
            "aborted_records_cleaned",
            brokers
                .iter()
                .map(|b| b.cleaner.aborted_removed)
                .sum::<u64>() as f64,
        ),
        (
            "txn_markers_cleaned",
            brokers
                .iter()
                .map(|b| b.cleaner.markers_removed)
                .sum::<u64>() as f64,
        ),
    ];
    for (k, v) in obs {
        report.observations.insert(k.to_string(), v);
    }
}
