//! # msgsim-models: the system models and their checkers
//!
//! One folder per system (`echo/`, and later `kafka/`, `redis/`), each with its actors, its
//! configuration types and its checkers. Shared pieces: [`setup`] (turning a scenario's common
//! sections into a kernel [`msgsim_sim::Sim`]), [`report`] (what a run reports), [`anomaly`]
//! (the shared Jepsen-style anomaly vocabulary) and [`trace_out`] (the JSON-lines trace writer).
//!
//! Dependencies flow one way: this crate uses the kernel; the kernel knows nothing of it.

pub mod anomaly;
pub mod banner;
pub mod cause;
pub mod echo;
pub mod highlights;
pub mod kafka;
pub mod redis;
pub mod report;
pub mod run_error;
pub mod setup;
pub mod system;
pub mod trace_out;

pub use report::{ModelReport, Vocabulary};
pub use setup::RunSetup;
pub use system::{MessageTargets, SystemConfig};
