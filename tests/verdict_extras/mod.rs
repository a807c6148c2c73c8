//! Wider generated cases for `proptest_verdicts.rs` (sink pipelines, consume-transform-produce
//! and controlled shutdowns for Kafka; Streams consumer groups for Redis), each with the rule
//! its model promises. They extend the base cases of `proptest_verdicts.rs` and reuse its rules;
//! the properties over them are in `properties.rs`.

mod explained;
pub mod kafka;
mod properties;
pub mod redis;

use crate::nonzero;
use msgsim::runner::RunOutcome;

/// A base rule's verdict, forgiven when the only complaint is the fault-free rule and every
/// anomaly the run reports is one the wider case's additions allow.
fn base_verdict_or_allowed(
    base: Result<(), String>,
    o: &RunOutcome,
    allowed: &[&str],
) -> Result<(), String> {
    let Err(why) = base else { return Ok(()) };
    let explained = why.starts_with("healthy run reports anomalies")
        && nonzero(o)
            .iter()
            .all(|(k, _)| allowed.contains(&k.as_str()));
    if explained { Ok(()) } else { Err(why) }
}
