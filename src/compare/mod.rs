//! `msgsim compare`: the same producers/consumers workload under the same fault schedule on
//! Kafka, Redis Pub/Sub and Redis Streams, one table of measured values.
//!
//! This module only assembles scenarios ([`build`], [`probes`]) and reads their outcomes
//! ([`rows`]); what happens to a message is decided by the models. Every cell names the
//! scenarios and seeds it was read from; `--emit DIR` writes the generated ones so that
//! `msgsim run DIR/NAME.ron` replays them.

pub mod build;
pub mod probes;
pub mod render;
pub mod rows;
pub mod workload;

use crate::runner::{self, RunOptions};
use crate::scenario::LoadedScenario;
use build::{Consumer, System};
use msgsim_models::ModelReport;
use msgsim_models::system::RunError;
use msgsim_sim::FaultSpec;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::rc::Rc;
pub use workload::Workload;

/// One run's outcome as the table reads it.
pub struct Measured {
    pub name: String,
    pub seed: u64,
    pub report: ModelReport,
    /// Messages the consumer node sent and received (counted from the trace).
    pub consumer_sends: u64,
    pub consumer_receives: u64,
}

impl Measured {
    pub fn m(&self, name: &str) -> u64 {
        self.report.metric(name).unwrap_or(0.0).max(0.0) as u64
    }
}

/// Every run of a comparison.
pub struct Runs {
    pub workload: Workload,
    pub faults_name: String,
    pub faults: Vec<FaultSpec>,
    /// (system, consumer kind) → run.
    pub main: Vec<(System, Consumer, Measured)>,
    /// (system, size) → run.
    pub sizes: Vec<(System, u64, Measured)>,
    /// (system, first size the model's configuration refuses, its message).
    pub size_unmodelled: Vec<(System, u64, String)>,
    /// system → (shipped path, run).
    pub errors: Vec<(System, String, Measured)>,
    /// Generated scenarios: (name, RON text), for `--emit`.
    pub generated: Vec<(String, String)>,
}

impl Runs {
    pub fn get(&self, sys: System, who: Consumer) -> &Measured {
        &self
            .main
            .iter()
            .find(|(s, c, _)| *s == sys && *c == who)
            .expect("every system and consumer kind ran")
            .2
    }
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    node: &'a str,
    #[serde(borrow)]
    kind: &'a str,
}

/// A trace sink that counts one node's sends and deliveries and keeps nothing else.
struct NodeCounter {
    node: String,
    pending: Vec<u8>,
    counts: Rc<RefCell<(u64, u64)>>,
}

impl Write for NodeCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let mut start = 0;
        while let Some(nl) = self.pending[start..].iter().position(|&b| b == b'\n') {
            let line = &self.pending[start..start + nl];
            if let Ok(l) = serde_json::from_slice::<Line>(line)
                && l.node == self.node
            {
                let mut c = self.counts.borrow_mut();
                match l.kind {
                    "send" => c.0 += 1,
                    "deliver" => c.1 += 1,
                    _ => {}
                }
            }
            start += nl + 1;
        }
        self.pending.drain(..start);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn measure(loaded: &LoadedScenario, count_node: Option<&str>) -> Result<Measured, RunError> {
    let counts = Rc::new(RefCell::new((0, 0)));
    let trace_out: Option<Box<dyn Write>> = count_node.map(|n| {
        Box::new(NodeCounter {
            node: n.to_string(),
            pending: Vec::new(),
            counts: counts.clone(),
        }) as Box<dyn Write>
    });
    let outcome = runner::run(
        loaded,
        RunOptions {
            seed: loaded.scenario.seed,
            trace_out,
            profile: None,
        },
    )?;
    let (sends, receives) = *counts.borrow();
    Ok(Measured {
        name: loaded.scenario.name.clone(),
        seed: loaded.scenario.seed,
        report: outcome.report,
        consumer_sends: sends,
        consumer_receives: receives,
    })
}

/// Why a comparison could not be run.
pub enum CompareError {
    Input(crate::diagnostic::Diagnostic),
    Run(String, RunError),
}

/// Run the whole comparison: 9 workload runs, the size ladder, the error-handling scenarios.
pub fn run_all(
    workload: &Workload,
    faults_name: &str,
    faults: &[FaultSpec],
) -> Result<Runs, CompareError> {
    let mut runs = Runs {
        workload: workload.clone(),
        faults_name: faults_name.to_string(),
        faults: faults.to_vec(),
        main: Vec::new(),
        sizes: Vec::new(),
        size_unmodelled: Vec::new(),
        errors: Vec::new(),
        generated: Vec::new(),
    };
    for sys in System::ALL {
        for who in Consumer::ALL {
            let built = build::build(workload, sys, who, faults).map_err(CompareError::Input)?;
            let counter = (who == Consumer::Steady).then(|| sys.node("consumer"));
            let m = measure(&built.loaded, counter.as_deref())
                .map_err(|e| CompareError::Run(built.name.clone(), e))?;
            runs.generated
                .push((built.name.clone(), built.loaded.source.clone()));
            runs.main.push((sys, who, m));
        }
    }
    for sys in System::ALL {
        for bytes in probes::SIZES {
            let loaded = match probes::size_probe(sys, bytes) {
                Ok(l) => l,
                Err(d) => {
                    // Beyond what the model's configuration accepts: the ladder stops there.
                    let why = d.to_string();
                    let why = why.lines().next().unwrap_or("").to_string();
                    runs.size_unmodelled.push((sys, bytes, why));
                    break;
                }
            };
            let m = measure(&loaded, None)
                .map_err(|e| CompareError::Run(loaded.scenario.name.clone(), e))?;
            runs.generated
                .push((loaded.scenario.name.clone(), loaded.source.clone()));
            runs.sizes.push((sys, bytes, m));
        }
        let loaded = probes::load_error_probe(sys).map_err(CompareError::Input)?;
        let m = measure(&loaded, None)
            .map_err(|e| CompareError::Run(loaded.scenario.name.clone(), e))?;
        runs.errors.push((sys, loaded.path.clone(), m));
    }
    Ok(runs)
}

/// One table cell: its measured text, the runs it was read from and the figures used.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Cell {
    pub text: String,
    /// (scenario name or shipped path, seed) of every run the cell reads.
    pub sources: Vec<(String, u64)>,
    pub figures: BTreeMap<String, u64>,
}

/// One row: a question and a cell per system (Kafka, Redis Pub/Sub, Redis Streams).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    pub key: &'static str,
    pub title: &'static str,
    pub cells: Vec<Cell>,
}
