//! A Kafka client's metadata requests: at most one in flight, sent round-robin over the
//! brokers (`NetworkClient.leastLoadedNode` picks any reachable broker; round-robin keeps it
//! deterministic), and, for the producer and the consumer, paced.
//!
//! Kafka's client `Metadata.timeToNextUpdate` never allows a new metadata request sooner than
//! the refresh backoff (`retry.backoff.ms`, 100 ms, growing towards `retry.backoff.max.ms`
//! since KIP-580) after the previous one. Without it, a client whose metadata keeps showing a
//! partition without a leader asks again on every reply, and a reply that arrives after its
//! request timed out starts a second chain of requests next to the retry's: the chains multiply
//! and never let simulated time pass (found by `tests/proptest_verdicts.rs`).

use crate::kafka::wire::msg::{KEvent, KMsg, Peers};
use msgsim_sim::{Ctx, NodeId, SimDuration, SimTime};

/// CommonClientConfigs socket.connection.setup.timeout.ms default (KIP-601).
pub(in crate::kafka) const SOCKET_CONNECTION_SETUP_TIMEOUT_MS: u64 = 10_000;

/// How long a request to `to` may wait for its answer, in ms. On a connection not set up yet,
/// at most socket.connection.setup.timeout.ms (KIP-601: a connect to a host that is down or
/// cut off fails then); on an established one, `request_timeout_ms`. Asked before the send.
pub(in crate::kafka) fn answer_timeout_ms(
    peers: &Peers,
    to: NodeId,
    request_timeout_ms: u64,
) -> u64 {
    if peers.connected(to) {
        request_timeout_ms
    } else {
        SOCKET_CONNECTION_SETUP_TIMEOUT_MS.min(request_timeout_ms)
    }
}

/// What a client should do about the metadata request it wants.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::kafka) enum MetadataStart {
    /// Send a MetadataRequest to this broker now (it is marked in flight).
    Send(NodeId),
    /// Too soon (paced): set the retry timer for this long.
    RetryIn(SimDuration),
    /// A request is in flight, or a retry timer is already set: nothing to do.
    Wait,
}

/// One client's metadata requests: the in-flight flag, the round-robin cursor and the pacing.
#[derive(Debug)]
pub(in crate::kafka) struct MetadataRequests {
    /// The broker the outstanding request went to.
    in_flight: Option<NodeId>,
    next_broker: u32,
    /// None for the internal clients (DLQ producer, transactional client, coordinator), which
    /// ask once per failure and wait for the answer or their own retry timer.
    pacing: Option<MetadataPacing>,
    /// Topics every request asks the broker to auto-create (indices in
    /// `KafkaConfig::topic_layouts`): the producer's topics, and the consumer's with
    /// allow.auto.create.topics.
    auto_create: Vec<u32>,
}

impl MetadataRequests {
    /// A client paced by `retry.backoff.ms`, starting its round-robin at `first_broker`.
    pub(in crate::kafka) fn paced(first_broker: u32) -> Self {
        MetadataRequests {
            in_flight: None,
            next_broker: first_broker,
            pacing: Some(MetadataPacing::default()),
            auto_create: Vec::new(),
        }
    }

    /// A client without pacing.
    pub(in crate::kafka) fn unpaced(first_broker: u32) -> Self {
        MetadataRequests {
            pacing: None,
            ..MetadataRequests::paced(first_broker)
        }
    }

    /// Ask for auto-creation of topic `topic` in every request from now on
    /// (MetadataRequest.allowAutoTopicCreation for the topics in the client's metadata).
    pub(in crate::kafka) fn ask_auto_create(&mut self, topic: u32) {
        if !self.auto_create.contains(&topic) {
            self.auto_create.push(topic);
        }
    }

    /// Whether a request may go now, and to which of `brokers` brokers.
    pub(in crate::kafka) fn start(
        &mut self,
        now: SimTime,
        brokers: u32,
        backoff: SimDuration,
    ) -> MetadataStart {
        if self.in_flight.is_some() {
            return MetadataStart::Wait;
        }
        if let Some(pacing) = self.pacing.as_mut() {
            match pacing.admit(now, backoff) {
                Admit::Now => {}
                Admit::Later(d) => return MetadataStart::RetryIn(d),
                Admit::Pending => return MetadataStart::Wait,
            }
        }
        let broker = NodeId(self.next_broker % brokers);
        self.next_broker += 1;
        self.in_flight = Some(broker);
        MetadataStart::Send(broker)
    }

    /// Send a MetadataRequest over `peers` if one may go now; returns what was decided.
    pub(in crate::kafka) fn request(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        peers: &mut Peers,
        brokers: u32,
        backoff: SimDuration,
    ) -> MetadataStart {
        let start = self.start(ctx.now(), brokers, backoff);
        if let MetadataStart::Send(broker) = start {
            let auto_create = self.auto_create.clone();
            peers.send(ctx, broker, KMsg::MetadataRequest { auto_create });
        }
        start
    }

    /// `request`, then the timer the answer needs: `timeout_tag` 1 s after a send (the
    /// request timed out), `retry_tag` when the pacing defers it.
    pub(in crate::kafka) fn request_with_timers(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        peers: &mut Peers,
        (brokers, backoff): (u32, SimDuration),
        (timeout_tag, retry_tag): (u64, u64),
    ) {
        match self.request(ctx, peers, brokers, backoff) {
            MetadataStart::Send(_) => {
                ctx.set_timer(SimDuration::from_millis(1_000), timeout_tag);
            }
            MetadataStart::RetryIn(d) => {
                ctx.set_timer(d, retry_tag);
            }
            MetadataStart::Wait => {}
        }
    }

    pub(in crate::kafka) fn in_flight(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The broker whose answer is awaited, if any.
    pub(in crate::kafka) fn awaiting(&self) -> Option<NodeId> {
        self.in_flight
    }

    /// The answer came, the request timed out or its connection closed: another may go.
    /// Returns whether one was in flight.
    pub(in crate::kafka) fn finish(&mut self) -> bool {
        self.in_flight.take().is_some()
    }

    /// The pacing retry timer fired.
    pub(in crate::kafka) fn retry_fired(&mut self) {
        if let Some(p) = self.pacing.as_mut() {
            p.retry_fired();
        }
    }

    /// A crash forgets the request and the pacing (the cursor is kept: it only spreads load).
    pub(in crate::kafka) fn reset(&mut self) {
        self.in_flight = None;
        if let Some(p) = self.pacing.as_mut() {
            p.reset();
        }
    }
}

/// Whether a metadata request may go now.
#[derive(Debug, PartialEq, Eq)]
enum Admit {
    /// Send it now (the time is recorded).
    Now,
    /// Too soon: set a retry timer for this long.
    Later(SimDuration),
    /// Too soon, and a retry timer is already set.
    Pending,
}

/// When the next metadata request is allowed, and whether a retry timer is set.
#[derive(Debug, Default)]
struct MetadataPacing {
    next_allowed: Option<SimTime>,
    retry_pending: bool,
}

impl MetadataPacing {
    fn admit(&mut self, now: SimTime, backoff: SimDuration) -> Admit {
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
    fn retry_fired(&mut self) {
        self.retry_pending = false;
    }

    /// A crash forgets the pacing with everything else (its timers are gone too).
    fn reset(&mut self) {
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

    #[test]
    fn one_request_in_flight_round_robin() {
        let b = SimDuration::from_millis(100);
        let mut r = MetadataRequests::unpaced(2);
        let t0 = SimTime::from_millis(1);
        assert_eq!(r.start(t0, 3, b), MetadataStart::Send(NodeId(2)));
        assert_eq!(r.awaiting(), Some(NodeId(2)));
        assert_eq!(r.start(t0, 3, b), MetadataStart::Wait);
        assert!(r.finish());
        assert!(!r.finish());
        assert_eq!(r.start(t0, 3, b), MetadataStart::Send(NodeId(0)));
        let mut paced = MetadataRequests::paced(0);
        assert_eq!(paced.start(t0, 3, b), MetadataStart::Send(NodeId(0)));
        paced.finish();
        assert_eq!(paced.start(t0, 3, b), MetadataStart::RetryIn(b));
        assert_eq!(paced.start(t0, 3, b), MetadataStart::Wait);
    }
}
