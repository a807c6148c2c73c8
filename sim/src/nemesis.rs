//! The nemesis: turns a [`FaultProfile`] and the run's seed into an explicit fault schedule
//! before the run starts. Faults come one at a time: a fault, its repair after a drawn duration,
//! then a healthy gap (TigerBeetle's stability windows). Under `swarm`, each seed switches whole
//! fault families off, so families do not mask each other (swarm testing).

use crate::fault::FaultSpec;
use crate::rng::RngStream;
use serde::{Deserialize, Serialize};

/// Which faults to generate, and how often.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultProfile {
    /// Process crashes, each followed by a restart.
    pub crash: bool,
    /// Crashes lose unflushed writes (power loss) with this probability.
    pub lose_unflushed_probability: f64,
    /// Pauses (GC / SIGSTOP), each followed by a resume.
    pub pause: bool,
    /// Symmetric partitions into two random halves, then heal.
    pub partition: bool,
    /// One-way partitions (one node cannot reach the others), then heal.
    pub one_way: bool,
    /// Isolate a single node, then heal.
    pub isolate: bool,
    /// Clog a node's outgoing links (messages held, not lost), then heal.
    pub clog: bool,
    /// Clock steps of up to `skew_ms_max` on one node.
    pub clock_skew: bool,
    pub skew_ms_max: u64,
    /// Each family is switched off with probability 1/2 per seed (at least one stays on).
    pub swarm: bool,
    /// Mean healthy gap between faults.
    pub interval_ms_mean: u64,
    /// How long a fault lasts before its repair.
    pub duration_ms_min: u64,
    pub duration_ms_max: u64,
    /// First fault not before this time.
    pub start_ms: u64,
    /// Nodes the nemesis may target; empty means the model's servers.
    pub targets: Vec<String>,
}

impl Default for FaultProfile {
    fn default() -> Self {
        FaultProfile {
            crash: false,
            lose_unflushed_probability: 0.0,
            pause: false,
            partition: false,
            one_way: false,
            isolate: false,
            clog: false,
            clock_skew: false,
            skew_ms_max: 5_000,
            swarm: false,
            interval_ms_mean: 10_000,
            duration_ms_min: 1_000,
            duration_ms_max: 15_000,
            start_ms: 1_000,
            targets: Vec::new(),
        }
    }
}

const FAMILIES: [&str; 7] = [
    "crash",
    "pause",
    "partition",
    "one_way",
    "isolate",
    "clog",
    "clock_skew",
];

impl FaultProfile {
    /// Named presets (also what `--profile NAME` selects).
    pub fn preset(name: &str) -> Option<FaultProfile> {
        let base = FaultProfile::default();
        Some(match name {
            "healthy" => base,
            "crash" => FaultProfile {
                crash: true,
                ..base
            },
            "disk-loss" => FaultProfile {
                crash: true,
                lose_unflushed_probability: 1.0,
                ..base
            },
            "pause" => FaultProfile {
                pause: true,
                ..base
            },
            "partition" => FaultProfile {
                partition: true,
                isolate: true,
                ..base
            },
            "partition-one-way" => FaultProfile {
                one_way: true,
                ..base
            },
            "clog" => FaultProfile { clog: true, ..base },
            "clock" => FaultProfile {
                clock_skew: true,
                ..base
            },
            "all" | "swarm" => FaultProfile {
                crash: true,
                lose_unflushed_probability: 0.3,
                pause: true,
                partition: true,
                one_way: true,
                isolate: true,
                clog: true,
                clock_skew: true,
                swarm: name == "swarm",
                ..base
            },
            _ => return None,
        })
    }

    pub const PRESETS: [&'static str; 10] = [
        "healthy",
        "crash",
        "disk-loss",
        "pause",
        "partition",
        "partition-one-way",
        "clog",
        "clock",
        "all",
        "swarm",
    ];

    fn family_enabled(&self, family: &str) -> bool {
        match family {
            "crash" => self.crash,
            "pause" => self.pause,
            "partition" => self.partition,
            "one_way" => self.one_way,
            "isolate" => self.isolate,
            "clog" => self.clog,
            "clock_skew" => self.clock_skew,
            _ => false,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.lose_unflushed_probability) {
            return Err("lose_unflushed_probability is outside 0..=1".into());
        }
        if self.duration_ms_min > self.duration_ms_max {
            return Err("duration_ms_min is larger than duration_ms_max".into());
        }
        if self.interval_ms_mean == 0 {
            return Err("interval_ms_mean must be positive".into());
        }
        Ok(())
    }

    /// The families this seed keeps (all enabled ones, or a swarm subset).
    pub fn families_for_seed(&self, rng: &mut RngStream) -> Vec<&'static str> {
        let enabled: Vec<&'static str> = FAMILIES
            .iter()
            .copied()
            .filter(|f| self.family_enabled(f))
            .collect();
        if !self.swarm || enabled.len() <= 1 {
            return enabled;
        }
        let kept: Vec<&'static str> = enabled
            .iter()
            .copied()
            .filter(|_| rng.chance(0.5))
            .collect();
        if kept.is_empty() {
            vec![enabled[rng.pick(enabled.len())]]
        } else {
            kept
        }
    }

    /// Generate the schedule for `[start_ms, end_ms)` over `nodes` (names of targetable nodes;
    /// `all_nodes` are every node, for partitions). Uses the `nemesis` stream of `seed`.
    pub fn generate(
        &self,
        seed: u64,
        nodes: &[String],
        all_nodes: &[String],
        end_ms: u64,
    ) -> (Vec<&'static str>, Vec<FaultSpec>) {
        let mut rng = RngStream::derive(seed, "nemesis");
        let families = self.families_for_seed(&mut rng);
        let mut faults = Vec::new();
        if families.is_empty() || nodes.is_empty() {
            return (families, faults);
        }
        let mut t = self.start_ms;
        loop {
            t += rng.exponential(self.interval_ms_mean);
            let duration = rng.range_inclusive(self.duration_ms_min, self.duration_ms_max);
            if t + duration >= end_ms {
                break;
            }
            let family = families[rng.pick(families.len())];
            let node = nodes[rng.pick(nodes.len())].clone();
            self.emit(family, node, t, duration, all_nodes, &mut rng, &mut faults);
            t += duration;
        }
        (families, faults)
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        family: &str,
        node: String,
        at_ms: u64,
        duration: u64,
        all_nodes: &[String],
        rng: &mut RngStream,
        out: &mut Vec<FaultSpec>,
    ) {
        let end = at_ms + duration;
        let others: Vec<String> = all_nodes.iter().filter(|n| **n != node).cloned().collect();
        match family {
            "crash" => {
                let lose_unflushed = rng.chance(self.lose_unflushed_probability);
                out.push(FaultSpec::Crash {
                    at_ms,
                    node: node.clone(),
                    lose_unflushed,
                });
                out.push(FaultSpec::Restart { at_ms: end, node });
            }
            "pause" => {
                out.push(FaultSpec::Pause {
                    at_ms,
                    node: node.clone(),
                });
                out.push(FaultSpec::Resume { at_ms: end, node });
            }
            "partition" => {
                let mut a = Vec::new();
                let mut b = Vec::new();
                for n in all_nodes {
                    if rng.chance(0.5) {
                        a.push(n.clone())
                    } else {
                        b.push(n.clone())
                    }
                }
                if a.is_empty() || b.is_empty() {
                    a = vec![node];
                    b = others;
                }
                if !b.is_empty() {
                    out.push(FaultSpec::Partition {
                        at_ms,
                        groups: vec![a, b],
                    });
                    out.push(FaultSpec::Heal { at_ms: end });
                }
            }
            "one_way" if !others.is_empty() => {
                out.push(FaultSpec::PartitionOneWay {
                    at_ms,
                    from: vec![node],
                    to: others,
                });
                out.push(FaultSpec::Heal { at_ms: end });
            }
            "isolate" => {
                out.push(FaultSpec::Isolate { at_ms, node });
                out.push(FaultSpec::Heal { at_ms: end });
            }
            "clog" if !others.is_empty() => {
                out.push(FaultSpec::Clog {
                    at_ms,
                    from: vec![node],
                    to: others,
                });
                out.push(FaultSpec::Heal { at_ms: end });
            }
            "clock_skew" => {
                let magnitude = rng.range_inclusive(0, self.skew_ms_max) as i64;
                let offset_ms = if rng.chance(0.5) {
                    magnitude
                } else {
                    -magnitude
                };
                out.push(FaultSpec::ClockSkew {
                    at_ms,
                    node: node.clone(),
                    offset_ms,
                    drift_ppm: 0,
                });
                out.push(FaultSpec::ClockSkew {
                    at_ms: end,
                    node,
                    offset_ms: 0,
                    drift_ppm: 0,
                });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("s{i}")).collect()
    }

    #[test]
    fn generation_is_seeded_and_bounded() {
        let profile = FaultProfile::preset("all").unwrap();
        let nodes = names(3);
        let (_, a) = profile.generate(9, &nodes, &nodes, 120_000);
        let (_, b) = profile.generate(9, &nodes, &nodes, 120_000);
        assert_eq!(a, b);
        assert!(!a.is_empty());
        assert!(a.iter().all(|f| f.at_ms() < 120_000));
        assert!(
            a.windows(2).all(|w| w[0].at_ms() <= w[1].at_ms()),
            "sorted by time"
        );
        let (_, c) = profile.generate(10, &nodes, &nodes, 120_000);
        assert_ne!(a, c);
    }

    #[test]
    fn swarm_switches_families_off_across_seeds() {
        let profile = FaultProfile::preset("swarm").unwrap();
        let mut sizes = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let mut rng = RngStream::derive(seed, "nemesis");
            let fams = profile.families_for_seed(&mut rng);
            assert!(!fams.is_empty());
            sizes.insert(fams.len());
        }
        assert!(
            sizes.len() > 2,
            "swarm should vary the family count: {sizes:?}"
        );
    }

    #[test]
    fn healthy_generates_nothing() {
        let nodes = names(3);
        let (_, f) = FaultProfile::preset("healthy")
            .unwrap()
            .generate(1, &nodes, &nodes, 1_000_000);
        assert!(f.is_empty());
    }
}
