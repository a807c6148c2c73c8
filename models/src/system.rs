//! The `system` section of a scenario: which model runs, with its configuration. This is the one
//! place that lists every model; the CLI goes through it and never touches a model directly.

use crate::echo::EchoConfig;
use crate::kafka::KafkaConfig;
use crate::redis::RedisConfig;
use crate::report::{ModelReport, Vocabulary};
/// The CLI names the error by this path.
pub use crate::run_error::RunError;
use crate::setup::RunSetup;
use serde::{Deserialize, Serialize};

/// Which system a scenario simulates. (Built once per run, so the size difference between
/// variants costs nothing worth a `Box`.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SystemConfig {
    /// The kernel's reference workload: clients send numbered requests, servers reply.
    Echo(EchoConfig),
    /// Kafka brokers, controller, producers and consumers (see docs/kafka.md).
    Kafka(KafkaConfig),
    /// Redis primary/replicas, Sentinels and clients (see docs/redis.md).
    Redis(RedisConfig),
}

/// The names a targeted message fault may use in one model.
#[derive(Clone, Copy, Debug)]
pub struct MessageTargets {
    /// Message kind labels (`None`: not checked).
    pub labels: Option<&'static [&'static str]>,
    /// Labels of the requests a `Fail` can answer.
    pub failable: &'static [&'static str],
    /// Error codes a `Fail` may use.
    pub errors: &'static [&'static str],
    /// Predicate names.
    pub predicates: &'static [&'static str],
}

impl SystemConfig {
    /// Short name of the model (`echo`, `kafka`, `redis`).
    pub fn model_name(&self) -> &'static str {
        match self {
            SystemConfig::Echo(_) => "echo",
            SystemConfig::Kafka(_) => "kafka",
            SystemConfig::Redis(_) => "redis",
        }
    }

    /// Every node name, in the order nodes are created.
    pub fn node_names(&self) -> Vec<String> {
        match self {
            SystemConfig::Echo(c) => c.node_names(),
            SystemConfig::Kafka(c) => c.node_names(),
            SystemConfig::Redis(c) => c.node_names(),
        }
    }

    /// Nodes a fault profile targets by default (the servers, not the clients).
    pub fn fault_targets(&self) -> Vec<String> {
        match self {
            SystemConfig::Echo(c) => c.server_names(),
            SystemConfig::Kafka(c) => c.fault_targets(),
            SystemConfig::Redis(c) => c.fault_targets(),
        }
    }

    /// Every name this model reports: metrics, anomalies, "sometimes" probes.
    pub fn vocabulary(&self) -> Vocabulary {
        match self {
            SystemConfig::Echo(_) => Vocabulary {
                metrics: crate::echo::METRICS,
                anomalies: crate::echo::ANOMALIES,
                probes: crate::echo::PROBES,
                node_metrics: &[],
            },
            SystemConfig::Kafka(_) => Vocabulary {
                metrics: crate::kafka::METRICS,
                anomalies: crate::kafka::ANOMALIES,
                probes: crate::kafka::PROBES,
                node_metrics: &[],
            },
            SystemConfig::Redis(_) => Vocabulary {
                metrics: crate::redis::METRICS,
                anomalies: crate::redis::ANOMALIES,
                probes: crate::redis::PROBES,
                node_metrics: crate::redis::NODE_METRICS,
            },
        }
    }

    /// What a targeted message fault (`Target` in `faults`) may name in this model.
    pub fn message_targets(&self) -> MessageTargets {
        match self {
            SystemConfig::Echo(_) => MessageTargets {
                labels: Some(&["Request", "Reply", "Error"]),
                failable: &["Request"],
                errors: &[crate::echo::UNAVAILABLE],
                predicates: &[],
            },
            SystemConfig::Kafka(_) => {
                use crate::kafka::message_kinds as kinds;
                MessageTargets {
                    labels: Some(kinds::LABELS),
                    failable: kinds::FAILABLE,
                    errors: kinds::ERRORS,
                    predicates: kinds::PREDICATES,
                }
            }
            // Redis labels include every command's name: not checked.
            SystemConfig::Redis(_) => MessageTargets {
                labels: None,
                failable: crate::redis::msg::FAILABLE_COMMANDS,
                errors: crate::redis::msg::ERROR_CODES,
                predicates: &[],
            },
        }
    }

    /// Key observations shown in text summaries (see `highlights.rs`).
    pub fn key_observations(&self) -> &'static [&'static str] {
        crate::highlights::key_observations(self.model_name())
    }

    /// How long after start the system reaches its steady state (leaders elected, groups
    /// joined, replicas synced): generated faults of a `--profile` preset start after it.
    pub fn warm_up_ms(&self) -> u64 {
        match self {
            SystemConfig::Echo(c) => crate::highlights::echo_warm_up_ms(c),
            SystemConfig::Kafka(c) => crate::highlights::kafka_warm_up_ms(c),
            SystemConfig::Redis(c) => crate::highlights::redis_warm_up_ms(c),
        }
    }

    /// Semantic validation; `Err((field path, message))`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        match self {
            SystemConfig::Echo(c) => c.validate(),
            SystemConfig::Kafka(c) => c.validate(),
            SystemConfig::Redis(c) => c.validate(),
        }
    }

    /// The startup banner's model lines: every setting the scenario moved from the model's
    /// defaults, as `field: value` in the scenario's own terms (`crate::banner`).
    pub fn banner(&self) -> Vec<String> {
        match self {
            SystemConfig::Echo(c) => crate::banner::changed_settings("echo", c),
            SystemConfig::Kafka(c) => crate::banner::changed_settings("kafka", c),
            SystemConfig::Redis(c) => crate::banner::changed_settings("redis", c),
        }
    }

    /// Run the model.
    pub fn run(&self, setup: RunSetup) -> Result<ModelReport, RunError> {
        let report = match self {
            SystemConfig::Echo(c) => crate::echo::run(c, setup),
            SystemConfig::Kafka(c) => crate::kafka::run(c, setup),
            SystemConfig::Redis(c) => crate::redis::run(c, setup),
        }?;
        debug_assert_eq!(
            report.undeclared_names(&self.vocabulary()),
            Vec::<String>::new(),
            "the {} model reports names its vocabulary does not declare",
            self.model_name()
        );
        Ok(report)
    }
}
