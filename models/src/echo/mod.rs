//! The echo model: the kernel's reference workload. Clients send numbered requests to servers
//! (round robin), servers reply; each client keeps `window` requests in flight. It exercises
//! every kernel path (datagrams or connections, timers, processing time, crashes, partitions)
//! without any system semantics, so kernel tests and the benchmark run on it.

mod checker;
mod client;
mod config;
mod msg;
mod server;

pub use checker::EchoChecker;
pub use client::EchoClient;
pub use config::{
    ANOMALIES, EchoConfig, MAX_MESSAGE_BYTES, MAX_NODES, MAX_WINDOW, METRICS, PROBES, Transport,
};
pub use msg::{EchoEvent, EchoMsg, UNAVAILABLE};
pub use server::EchoServer;

use crate::report::ModelReport;
use crate::run_error::RunError;
use crate::setup::RunSetup;
use std::cell::RefCell;
use std::rc::Rc;

/// Run the echo model.
pub fn run(config: &EchoConfig, mut setup: RunSetup) -> Result<ModelReport, RunError> {
    config
        .validate()
        .map_err(|(f, m)| RunError::Config(format!("echo.{f}: {m}")))?;
    let servers: Vec<msgsim_sim::NodeId> = (0..config.servers).map(msgsim_sim::NodeId).collect();
    let mut actors: Vec<(String, Box<dyn msgsim_sim::Actor<EchoMsg, EchoEvent>>)> = Vec::new();
    for name in config.server_names() {
        actors.push((name, Box::new(EchoServer::new(config))));
    }
    for (i, name) in config.client_names().into_iter().enumerate() {
        let client = EchoClient::new(config, servers.clone(), i as u64);
        actors.push((name, Box::new(client)));
    }
    let checker = Rc::new(RefCell::new(EchoChecker::default()));
    let observer = Box::new(checker::Shared(checker.clone()));
    let mut sim = setup.build(actors, observer).map_err(RunError::Config)?;
    let stats = sim.run().map_err(RunError::Sim)?;
    let mut report = ModelReport {
        stats,
        ..ModelReport::default()
    };
    report.absorb_coverage(sim.coverage());
    checker.borrow().report(&mut report);
    Ok(report)
}
