//! The producer's deadlines: request.timeout.ms on requests in flight (the connection closes
//! and every request on it fails) and delivery.timeout.ms on batches still in the accumulator.

use super::Producer;
use crate::kafka::wire::msg::{KErr, KEvent, KMsg};
use msgsim_sim::{Ctx, NodeId, SimDuration};
use std::collections::BTreeSet;

impl Producer {
    /// request.timeout.ms: NetworkClient.handleTimedOutRequests closes the connection to a node
    /// with an expired request, so every request in flight on it fails, not only the expired
    /// one. Their outcome is unknown.
    pub(super) fn request_timeouts(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now = ctx.now();
        let brokers: BTreeSet<u32> = self
            .in_flight
            .values()
            .filter(|f| f.deadline <= now)
            .map(|f| f.broker)
            .collect();
        for broker in brokers {
            ctx.sometimes("kafka:producer_request_timeout");
            self.peers.close(ctx, NodeId(broker));
            self.fail_in_flight(ctx, broker);
            // A metadata request on that connection is gone with it (handleServerDisconnect).
            if self.md_requests.awaiting() == Some(NodeId(broker)) {
                self.md_requests.finish();
            }
            self.request_metadata(ctx);
        }
    }

    /// NetworkClient.processDisconnection: the requests in flight to `broker` fail with a
    /// retriable disconnect, oldest first (InFlightRequests.clearAll iterates oldest first).
    pub(super) fn fail_in_flight(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, broker: u32) {
        let reqs: Vec<u64> = self
            .in_flight
            .iter()
            .filter(|(_, f)| f.broker == broker)
            .map(|(r, _)| *r)
            .collect();
        for req in reqs {
            let f = self.end_request(req).expect("in flight");
            for id in f.ids {
                self.on_result(ctx, id, Err(KErr::Network));
            }
        }
    }

    /// delivery.timeout.ms for batches waiting in the accumulator.
    pub(super) fn expire(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now = ctx.now();
        let limit = SimDuration::from_millis(self.cfg.delivery_timeout_ms);
        let expired: Vec<u64> = self
            .batches
            .iter()
            // Ids follow creation order, so the expired batches are a prefix.
            .take_while(|(_, b)| now.saturating_since(b.created) >= limit)
            .filter(|(_, b)| !b.in_flight)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            ctx.sometimes("kafka:delivery_timeout");
            self.finish_failed(ctx, id, KErr::DeliveryTimeout);
        }
    }
}
