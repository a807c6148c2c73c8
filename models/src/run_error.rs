//! Why a run could not produce a report: shared by every model and the dispatcher in
//! `system.rs` (the models sit below the dispatcher, so the error type sits below both).

use msgsim_sim::SimError;

/// Why a run could not produce a report.
#[derive(Debug)]
pub enum RunError {
    /// The configuration is invalid (caught at build time).
    Config(String),
    /// A kernel guard rail tripped.
    Sim(SimError),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Config(m) => write!(f, "{m}"),
            RunError::Sim(e) => write!(f, "{e}"),
        }
    }
}
