//! Client-side pacing of metadata refreshes, shared by the producer and the consumer.
//!
//! Kafka's client `Metadata.timeToNextUpdate` never allows a new metadata request sooner than
//! the refresh backoff (`retry.backoff.ms`, 100 ms, growing towards `retry.backoff.max.ms`
//! since KIP-580) after the previous one. Without it, a client whose metadata keeps showing a
//! partition without a leader asks again on every reply, and a reply that arrives after its
//! request timed out starts a second chain of requests next to the retry's: the chains multiply
//! and never let simulated time pass (found by `tests/proptest_verdicts.rs`).

use msgsim_sim::{SimDuration, SimTime};

/// Whether a metadata request may go now.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Admit {
    /// Send it now (the time is recorded).
    Now,
    /// Too soon: set a retry timer for this long.
    Later(SimDuration),
    /// Too soon, and a retry timer is already set.
    Pending,
}

/// When the next metadata request is allowed, and whether a retry timer is set.
#[derive(Debug, Default)]
pub(super) struct MetadataPacing {
    next_allowed: Option<SimTime>,
    retry_pending: bool,
}

impl MetadataPacing {
    pub(super) fn admit(&mut self, now: SimTime, backoff: SimDuration) -> Admit {
        match self.next_allowed {
            Some(t) if now < t => {
                if self.retry_pending {
                    Admit::Pending
                } else {
                    self.retry_pending = true;
                    Admit::Later(t.saturating_since(now))
                }
            }
            _ => {
                self.next_allowed = Some(now + backoff);
                Admit::Now
            }
        }
    }

    /// The retry timer fired.
    pub(super) fn retry_fired(&mut self) {
        self.retry_pending = false;
    }

    /// A crash forgets the pacing with everything else (its timers are gone too).
    pub(super) fn reset(&mut self) {
        *self = MetadataPacing::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_spaced_by_the_backoff() {
        let mut p = MetadataPacing::default();
        let b = SimDuration::from_millis(100);
        let t0 = SimTime::from_millis(1);
        assert_eq!(p.admit(t0, b), Admit::Now);
        let t1 = t0 + SimDuration::from_millis(30);
        assert_eq!(p.admit(t1, b), Admit::Later(SimDuration::from_millis(70)));
        assert_eq!(p.admit(t1, b), Admit::Pending);
        p.retry_fired();
        assert_eq!(p.admit(t0 + b, b), Admit::Now);
    }
}
