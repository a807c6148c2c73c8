//! Echo checker: classifies every request from the client-observed history, online.

use super::msg::EchoEvent;
use crate::anomaly;
use crate::report::ModelReport;
use msgsim_sim::{HistoryObserver, NodeId, SimTime};
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Debug, Default)]
pub struct EchoChecker {
    pub sent: u64,
    pub delivered: u64,
    pub timed_out: u64,
    /// Requests answered with an error (a targeted `Fail`): not executed, so not lost.
    pub failed: u64,
    pub late_replies: u64,
    pub duplicate_replies: u64,
    pub orphan_replies: u64,
    pub reconnects: u64,
    latency_ns_sum: u128,
    latency_ns_max: u64,
}

impl EchoChecker {
    pub fn observe(&mut self, event: &EchoEvent) {
        match *event {
            EchoEvent::Invoke { .. } => self.sent += 1,
            EchoEvent::Ok { latency_ns, .. } => {
                self.delivered += 1;
                self.latency_ns_sum += latency_ns as u128;
                self.latency_ns_max = self.latency_ns_max.max(latency_ns);
            }
            EchoEvent::Info { .. } => self.timed_out += 1,
            EchoEvent::Fail { .. } => self.failed += 1,
            EchoEvent::LateReply { .. } => self.late_replies += 1,
            EchoEvent::DuplicateReply { .. } => self.duplicate_replies += 1,
            EchoEvent::OrphanReply { .. } => self.orphan_replies += 1,
            EchoEvent::Reconnect => self.reconnects += 1,
        }
    }

    /// Timed-out requests whose reply never came, even late.
    pub fn lost(&self) -> u64 {
        self.timed_out.saturating_sub(self.late_replies)
    }

    pub fn report(&self, report: &mut ModelReport) {
        let mean_us = if self.delivered == 0 {
            0.0
        } else {
            (self.latency_ns_sum / self.delivered as u128) as f64 / 1_000.0
        };
        let obs = [
            ("sent", self.sent as f64),
            ("delivered", self.delivered as f64),
            ("timed_out", self.timed_out as f64),
            ("failed", self.failed as f64),
            ("lost", self.lost() as f64),
            ("late_replies", self.late_replies as f64),
            ("duplicate_replies", self.duplicate_replies as f64),
            ("orphan_replies", self.orphan_replies as f64),
            ("latency_us_mean", mean_us),
            ("latency_us_max", self.latency_ns_max as f64 / 1_000.0),
            ("reconnects", self.reconnects as f64),
        ];
        for (k, v) in obs {
            report.observations.insert(k.to_string(), v);
        }
        report
            .anomalies
            .insert(anomaly::LOST_REQUEST.into(), self.lost());
        report
            .anomalies
            .insert(anomaly::DUPLICATE.into(), self.duplicate_replies);
        let (lost, dup) = (self.lost(), self.duplicate_replies);
        report.explain(anomaly::LOST_REQUEST, "no_reply", lost, || {
            format!("{lost} requests without a reply at the end of the run")
        });
        report.explain(anomaly::DUPLICATE, "duplicate_reply", dup, || {
            format!("{dup} requests answered twice")
        });
    }
}

/// The checker shared between the kernel (as observer) and the runner (for the report).
pub struct Shared(pub Rc<RefCell<EchoChecker>>);

impl HistoryObserver<EchoEvent> for Shared {
    fn observe(&mut self, _time: SimTime, _node: NodeId, event: &EchoEvent) {
        self.0.borrow_mut().observe(event);
    }
}
