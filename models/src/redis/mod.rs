//! The Redis model (skeleton: being built; see docs/redis.md when it exists).

use crate::report::ModelReport;
use crate::setup::RunSetup;
use crate::system::RunError;
use serde::{Deserialize, Serialize};

/// Configuration of the Redis model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    /// Number of server nodes.
    pub servers: u32,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig { servers: 3 }
    }
}

/// Metrics the Redis model reports.
pub const METRICS: &[&str] = &[];

impl RedisConfig {
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
        vec![format!("redis: {self:?}")]
    }
}

/// Run the Redis model.
pub fn run(_config: &RedisConfig, _setup: RunSetup) -> Result<ModelReport, RunError> {
    Err(RunError::Config("the redis model is not implemented yet".into()))
}
