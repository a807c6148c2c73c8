//! Turning a scenario's common sections (seed, times, network, faults, limits, trace output)
//! into a kernel simulation with a model's actors.

use crate::trace_out::JsonlTrace;
use msgsim_sim::{
    Actor, FaultSpec, HistoryObserver, Limits, Message, NetworkSpec, Sim, SimConfig, SimDuration,
    SimTime,
};
use std::fmt::Debug;
use std::hash::Hash;
use std::io::Write;

/// Everything about a run that is not the model's own configuration.
pub struct RunSetup {
    pub seed: u64,
    /// Faults and workload run for this long...
    pub duration: SimDuration,
    /// ...then the quiet phase (faults healed, nodes restarted) runs for this long.
    pub quiet: SimDuration,
    pub network: NetworkSpec,
    /// The explicit schedule (a fault profile is expanded before this point).
    pub faults: Vec<FaultSpec>,
    pub limits: Limits,
    /// Write every trace event as a JSON line here.
    pub trace_out: Option<Box<dyn Write>>,
}

impl RunSetup {
    /// A setup with no faults, the default network and default limits.
    pub fn new(seed: u64, duration: SimDuration, quiet: SimDuration) -> RunSetup {
        RunSetup {
            seed,
            duration,
            quiet,
            network: NetworkSpec::default(),
            faults: Vec::new(),
            limits: Limits::default(),
            trace_out: None,
        }
    }

    /// Build the simulation: add `actors` (in order; names must match the model's
    /// `node_names`), apply link overrides, resolve faults, install the observer and the trace
    /// writer. `Err` names an unknown node or a bad setting.
    pub fn build<M, H>(
        &mut self,
        actors: Vec<(String, Box<dyn Actor<M, H>>)>,
        observer: Box<dyn HistoryObserver<H>>,
    ) -> Result<Sim<M, H>, String>
    where
        M: Message,
        H: Hash + Debug + 'static,
    {
        self.network.default.validate()?;
        let mut config = SimConfig::new(self.seed);
        let quiet_at = SimTime::ZERO + self.duration;
        // `quiet_ms: 0` skips the quiet phase (docs/scenarios.md): the run ends with crashed
        // nodes still down, partitions still in place, paused nodes still paused.
        config.quiet_at = (self.quiet > SimDuration::ZERO).then_some(quiet_at);
        config.end = Some(quiet_at + self.quiet);
        config.limits = self.limits;
        config.conn_break_detect = SimDuration::from_millis(self.network.conn_break_detect_ms);
        config.default_link = self.network.default;
        let mut sim = Sim::new(config);
        for (name, actor) in actors {
            sim.add_node(name, actor);
        }
        let names = sim.node_names().to_vec();
        for spec in &self.network.links {
            spec.link.validate()?;
            let ids = |list: &[String]| -> Result<Vec<_>, String> {
                list.iter()
                    .map(|n| {
                        sim.node_id(n)
                            .ok_or_else(|| format!("unknown node `{n}` in network.links"))
                    })
                    .collect()
            };
            let (from, to) = (ids(&spec.from)?, ids(&spec.to)?);
            for &a in &from {
                for &b in &to {
                    sim.set_link(a, b, spec.link);
                    if spec.both_ways {
                        sim.set_link(b, a, spec.link);
                    }
                }
            }
        }
        for spec in &self.faults {
            let (at, fault) = spec.resolve(&names)?;
            sim.schedule_fault(at, fault);
        }
        sim.set_observer(observer);
        if let Some(out) = self.trace_out.take() {
            sim.add_sink(Box::new(JsonlTrace::new(out, names)));
        }
        Ok(sim)
    }
}
