//! The network: one directed link per ordered pair of nodes, held in a flat row-major matrix so
//! looking a link up is one multiply and one bounds check (it happens for every message). Each link has its own latency distribution, jitter, loss,
//! duplication and bandwidth, plus the fault state set by partitions and clogs.

use crate::id::NodeId;
use crate::rng::RngStream;
use crate::time::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// One-way delay distribution of a link, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Latency {
    /// Always the same delay.
    Constant { us: u64 },
    /// Uniform in `[min_us, max_us]`.
    Uniform { min_us: u64, max_us: u64 },
    /// `min_us` plus an exponential tail, so that the mean is `mean_us` (≥ `min_us`).
    Exponential { min_us: u64, mean_us: u64 },
}

impl Default for Latency {
    /// 100–300 µs: a same-datacenter round trip of a few hundred microseconds.
    fn default() -> Self {
        Latency::Uniform {
            min_us: 100,
            max_us: 300,
        }
    }
}

impl Latency {
    /// Draw one delay. Integer arithmetic except the exponential's `libm::log`, which gives the
    /// same bits on every platform.
    #[inline(always)]
    pub fn draw(&self, rng: &mut RngStream) -> SimDuration {
        let us = match *self {
            Latency::Constant { us } => return SimDuration::from_micros(us),
            Latency::Uniform { min_us, max_us } => {
                return SimDuration::from_nanos(
                    rng.range_inclusive(min_us * 1_000, max_us.max(min_us) * 1_000),
                );
            }
            Latency::Exponential { min_us, mean_us } => {
                min_us * 1_000 + rng.exponential(mean_us.saturating_sub(min_us) * 1_000)
            }
        };
        SimDuration::from_nanos(us)
    }

    /// Validate the parameters; `Err` names the problem.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Latency::Uniform { min_us, max_us } if min_us > max_us => Err(format!(
                "latency min_us {min_us} is larger than max_us {max_us}"
            )),
            Latency::Exponential { min_us, mean_us } if mean_us < min_us => Err(format!(
                "latency mean_us {mean_us} is smaller than min_us {min_us}"
            )),
            _ => Ok(()),
        }
    }
}

/// Settings of one directed link.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinkConfig {
    /// One-way propagation delay.
    pub latency: Latency,
    /// Extra uniform delay in `[0, jitter_us]` per datagram: reorders datagrams. Connections
    /// stay FIFO whatever the jitter.
    pub jitter_us: u64,
    /// Probability that a datagram is lost (0..=1). Connections never lose messages.
    pub loss: f64,
    /// Probability that a datagram is delivered twice (0..=1).
    pub duplicate: f64,
    /// Link capacity in bytes per second; 0 means unlimited. Serialisation delay is
    /// `size / bandwidth`, and messages queue behind each other on the link.
    pub bandwidth_bytes_per_s: u64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            latency: Latency::default(),
            jitter_us: 0,
            loss: 0.0,
            duplicate: 0.0,
            bandwidth_bytes_per_s: 0,
        }
    }
}

impl LinkConfig {
    pub fn validate(&self) -> Result<(), String> {
        self.latency.validate()?;
        for (name, p) in [("loss", self.loss), ("duplicate", self.duplicate)] {
            if !(0.0..=1.0).contains(&p) || p.is_nan() {
                return Err(format!("{name} probability {p} is outside 0..=1"));
            }
        }
        Ok(())
    }

    /// Time to put `bytes` on the wire.
    pub fn transmission_delay(&self, bytes: u64) -> SimDuration {
        if self.bandwidth_bytes_per_s == 0 {
            return SimDuration::ZERO;
        }
        let ns = (bytes as u128 * 1_000_000_000) / self.bandwidth_bytes_per_s as u128;
        SimDuration::from_nanos(ns.min(u64::MAX as u128) as u64)
    }
}

/// A directed link: its settings and fault state.
#[derive(Clone, Debug)]
pub struct Link {
    pub config: LinkConfig,
    /// Settings from the scenario, restored when the quiet phase starts.
    pub base_config: LinkConfig,
    /// A partition black-holes everything on the link.
    pub blocked: bool,
    /// A clog holds messages until it is released.
    pub clogged: bool,
    /// When the last queued byte leaves the sender (bandwidth model).
    pub busy_until: SimTime,
    /// Datagrams held by a clog, in arrival order (envelope slots).
    pub held: VecDeque<u32>,
}

impl Link {
    fn new(config: LinkConfig) -> Link {
        Link {
            config,
            base_config: config,
            blocked: false,
            clogged: false,
            busy_until: SimTime::ZERO,
            held: VecDeque::new(),
        }
    }

    /// True while nothing can cross the link (partition or clog).
    pub fn is_open(&self) -> bool {
        !self.blocked && !self.clogged
    }

    /// Arrival time of a message of `bytes` leaving at `depart`: waits for the link to be free
    /// (bandwidth), then pays transmission and propagation delay.
    #[inline(always)]
    pub fn arrival(&mut self, depart: SimTime, bytes: u64, rng: &mut RngStream) -> SimTime {
        let start = depart.max(self.busy_until);
        let tx_done = start + self.config.transmission_delay(bytes);
        if self.config.bandwidth_bytes_per_s != 0 {
            self.busy_until = tx_done;
        }
        tx_done + self.config.latency.draw(rng)
    }
}

/// All links between all nodes.
pub struct Topology {
    /// Number of nodes.
    n: usize,
    /// The link from `a` to `b` at `a * n + b`. (A petgraph `MatrixGraph` held this before;
    /// its lookup cost three checks and an `Option` per message, and nothing else used it.)
    links: Vec<Link>,
    /// No link is blocked or clogged (kept by [`Topology::refresh_open`] after every change):
    /// lets the per-message path skip the link lookup in the common, healthy case.
    all_open: bool,
}

impl Topology {
    /// A full mesh over `n` nodes, every link with `default`.
    pub fn full_mesh(n: usize, default: LinkConfig) -> Topology {
        Topology {
            n,
            links: vec![Link::new(default); n * n],
            all_open: true,
        }
    }

    /// Recompute [`Topology::all_open`]; call after changing any link's `blocked` or `clogged`.
    pub fn refresh_open(&mut self) {
        self.all_open = self.pairs().all(|(a, b)| self.link(a, b).is_open());
    }

    /// True while no link is blocked or clogged.
    #[inline]
    pub fn all_open(&self) -> bool {
        self.all_open
    }

    pub fn node_count(&self) -> usize {
        self.n
    }

    /// Position of the link `from → to`; panics on a node id outside the topology (the row
    /// bound is checked by the vector).
    #[inline(always)]
    fn index(&self, from: NodeId, to: NodeId) -> usize {
        assert!(to.index() < self.n, "no link to node {to}");
        from.index() * self.n + to.index()
    }

    #[inline(always)]
    pub fn link(&self, from: NodeId, to: NodeId) -> &Link {
        &self.links[self.index(from, to)]
    }

    // Always inlined: the send path's command loop is large enough that the inliner would
    // otherwise call it once per message.
    #[inline(always)]
    pub fn link_mut(&mut self, from: NodeId, to: NodeId) -> &mut Link {
        let i = self.index(from, to);
        &mut self.links[i]
    }

    /// Both directions free of partitions (clogs only delay).
    pub fn path_unblocked(&self, a: NodeId, b: NodeId) -> bool {
        !self.link(a, b).blocked && !self.link(b, a).blocked
    }

    /// Every ordered pair (from, to), in a fixed order.
    pub fn pairs(&self) -> impl Iterator<Item = (NodeId, NodeId)> + use<> {
        let n = self.node_count() as u32;
        (0..n).flat_map(move |a| (0..n).map(move |b| (NodeId(a), NodeId(b))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandwidth_serialises_messages() {
        let config = LinkConfig {
            latency: Latency::Constant { us: 10 },
            bandwidth_bytes_per_s: 1_000_000,
            ..LinkConfig::default()
        };
        let mut link = Link::new(config);
        let mut rng = RngStream::derive(0, "t");
        // 1 MB at 1 MB/s: one second on the wire, then 10 µs of propagation.
        let big = link.arrival(SimTime::ZERO, 1_000_000, &mut rng);
        assert_eq!(big, SimTime(1_000_000_000 + 10_000));
        // A 100 B message sent right after waits for the big one to leave.
        let small = link.arrival(SimTime::ZERO, 100, &mut rng);
        assert_eq!(small, SimTime(1_000_000_000 + 100_000 + 10_000));
    }

    #[test]
    fn links_are_per_ordered_pair() {
        let mut t = Topology::full_mesh(3, LinkConfig::default());
        assert_eq!(t.node_count(), 3);
        t.link_mut(NodeId(1), NodeId(2)).blocked = true;
        for (a, b) in t.pairs() {
            assert_eq!(t.link(a, b).blocked, (a.0, b.0) == (1, 2), "{a} -> {b}");
        }
    }

    #[test]
    #[should_panic(expected = "no link to node")]
    fn a_link_to_an_unknown_node_panics() {
        let t = Topology::full_mesh(3, LinkConfig::default());
        t.link(NodeId(0), NodeId(3));
    }

    #[test]
    fn latency_validation() {
        assert!(
            Latency::Uniform {
                min_us: 5,
                max_us: 1
            }
            .validate()
            .is_err()
        );
        assert!(
            Latency::Exponential {
                min_us: 5,
                mean_us: 1
            }
            .validate()
            .is_err()
        );
        let bad = LinkConfig {
            loss: 1.5,
            ..LinkConfig::default()
        };
        assert!(bad.validate().is_err());
        // The bounds themselves are valid: a constant uniform, a mean at the minimum, and
        // probabilities 0 and 1.
        for ok in [
            Latency::Uniform {
                min_us: 5,
                max_us: 5,
            },
            Latency::Exponential {
                min_us: 5,
                mean_us: 5,
            },
        ] {
            assert_eq!(ok.validate(), Ok(()), "{ok:?}");
        }
        for p in [0.0, 1.0] {
            let link = LinkConfig {
                loss: p,
                duplicate: p,
                ..LinkConfig::default()
            };
            assert_eq!(link.validate(), Ok(()), "{p}");
        }
    }

    #[test]
    fn a_path_is_unblocked_only_when_both_directions_are() {
        let mut t = Topology::full_mesh(2, LinkConfig::default());
        let (a, b) = (NodeId(0), NodeId(1));
        assert!(t.path_unblocked(a, b));
        t.link_mut(a, b).blocked = true;
        assert!(!t.path_unblocked(a, b) && !t.path_unblocked(b, a));
        t.link_mut(a, b).blocked = false;
        t.link_mut(b, a).blocked = true;
        assert!(!t.path_unblocked(a, b) && !t.path_unblocked(b, a));
    }

    #[test]
    fn exponential_has_its_minimum_and_roughly_its_mean() {
        let lat = Latency::Exponential {
            min_us: 200,
            mean_us: 1_000,
        };
        let mut rng = RngStream::derive(3, "lat");
        let n = 20_000u64;
        let mut sum = 0u64;
        for _ in 0..n {
            let d = lat.draw(&mut rng).as_nanos();
            assert!(d >= 200_000);
            sum += d;
        }
        let mean_us = sum / n / 1_000;
        assert!((950..=1_050).contains(&mean_us), "mean {mean_us}us");
    }
}

/// The network section of a scenario: default link settings, per-link overrides by node name,
/// and the connection-break detection delay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkSpec {
    /// Settings of every link not listed in `links`.
    pub default: LinkConfig,
    /// Per-link overrides, applied in order.
    pub links: Vec<LinkOverride>,
    /// How long a partitioned connection survives before both ends learn it broke, and how long
    /// a peer takes to learn that the other end's machine went down (a retransmission timeout:
    /// no RST comes; a killed process's RST arrives one link delay after the crash).
    pub conn_break_detect_ms: u64,
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            default: LinkConfig::default(),
            links: Vec::new(),
            conn_break_detect_ms: 1_000,
        }
    }
}

/// Settings for the links from every `from` node to every `to` node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkOverride {
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub link: LinkConfig,
    /// Also apply to the reverse direction.
    #[serde(default)]
    pub both_ways: bool,
}
