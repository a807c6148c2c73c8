//! The Kafka model (skeleton: being built; see docs/kafka.md when it exists).

use crate::report::ModelReport;
use crate::setup::RunSetup;
use crate::system::RunError;
use serde::{Deserialize, Serialize};

/// Configuration of the Kafka model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaConfig {
    /// Number of server nodes.
    pub servers: u32,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig { servers: 3 }
    }
}

/// Metrics the Kafka model reports.
pub const METRICS: &[&str] = &[];

impl KafkaConfig {
    pub fn node_names(&self) -> Vec<String> {
        (1..=self.servers).map(|i| format!("n{i}")).collect()
    }
    pub fn fault_targets(&self) -> Vec<String> {
        self.node_names()
    }
    pub fn validate(&self) -> Result<(), (String, String)> {
        Ok(())
    }
    pub fn banner(&self) -> Vec<String> {
        vec![format!("kafka: {self:?}")]
    }
}

/// Run the Kafka model.
pub fn run(_config: &KafkaConfig, _setup: RunSetup) -> Result<ModelReport, RunError> {
    Err(RunError::Config("the kafka model is not implemented yet".into()))
}
