//! # msgsim
//!
//! The scenario layer and command-line front end of msgsim: the versioned RON scenario schema
//! and its loader ([`scenario`]), input diagnostics with `file:line:col` ([`diagnostic`]),
//! expectations ([`expect`]), running a scenario with a seed ([`runner`]) and reporting
//! ([`output`]). The models live in `msgsim-models`, the kernel in `msgsim-sim`.

pub mod compare;
pub mod diagnostic;
pub mod expect;
pub mod export;
pub mod export_history;
pub mod guarantee;
pub mod output;
pub mod profile;
pub mod reset_faults;
pub mod runner;
pub mod scenario;
pub mod target_check;

/// Exit codes (stable: scripts and CI matrices read them).
pub mod exit {
    /// Every expectation held.
    pub const PASS: i32 = 0;
    /// An expectation failed (safety or liveness); a repro command is printed.
    pub const FAIL: i32 = 1;
    /// Bad input or usage; the message names `file:line:col`; nothing else is written.
    pub const BAD_INPUT: i32 = 2;
    /// Internal error or a guard rail tripped.
    pub const INTERNAL: i32 = 3;
}
