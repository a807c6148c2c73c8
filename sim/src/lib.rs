//! # msgsim-sim: the deterministic simulation kernel
//!
//! Virtual time ([`SimTime`]), an event queue ordered by (time, sequence), named ChaCha8 random
//! streams derived from one seed ([`RngStream`]), sans-I/O [`Actor`]s that write commands into a
//! [`Ctx`], a network of directed links with latency, jitter, loss, duplication, bandwidth,
//! partitions and clogs ([`Topology`]), TCP-like connections, node crashes, pauses and clock
//! skew, faults as data ([`FaultSpec`], [`FaultProfile`]), and a trace with a stable 64-bit hash.
//!
//! The kernel knows nothing about the systems modelled on it, never does I/O and never reads
//! the wall clock.
//!
//! ```
//! use msgsim_sim::*;
//! use std::any::Any;
//!
//! #[derive(Clone, Debug)]
//! struct Ping(u32);
//! impl Message for Ping {
//!     fn kind(&self) -> &'static str { "Ping" }
//!     fn size_bytes(&self) -> u64 { 64 }
//! }
//!
//! struct Node { got: u32 }
//! impl Actor<Ping, ()> for Node {
//!     fn on_start(&mut self, ctx: &mut Ctx<'_, Ping, ()>) {
//!         if ctx.me() == NodeId(0) { ctx.send(NodeId(1), Ping(1)); }
//!     }
//!     fn on_message(&mut self, _: &mut Ctx<'_, Ping, ()>, _: NodeId, _: Via, _: Ping) {
//!         self.got += 1;
//!     }
//!     fn on_timer(&mut self, _: &mut Ctx<'_, Ping, ()>, _: TimerId, _: u64) {}
//!     fn on_crash(&mut self, _: CrashKind) { self.got = 0; }
//!     fn as_any(&self) -> &dyn Any { self }
//! }
//!
//! let mut sim: Sim<Ping, ()> = Sim::new(SimConfig::new(42));
//! let a = sim.add_node("a", Box::new(Node { got: 0 }));
//! let b = sim.add_node("b", Box::new(Node { got: 0 }));
//! let stats = sim.run().unwrap();
//! assert_eq!(sim.actor::<Node>(b).unwrap().got, 1);
//! assert_eq!(stats.deliveries, 1);
//! # let _ = a;
//! ```

pub mod actor;
pub mod connection;
pub mod context;
pub mod fault;
pub mod id;
pub mod message;
pub mod nemesis;
pub mod network;
pub mod node;
pub mod queue;
pub mod rng;
pub mod sim;
pub mod target;
pub mod time;
pub mod timer;
pub mod trace;

pub use actor::{Actor, CloseReason, ConnEvent, CrashKind};
pub use context::Ctx;
pub use fault::{Fault, FaultSpec};
pub use id::{ConnId, MsgId, NodeId, TimerId};
pub use message::{Message, Via};
pub use nemesis::FaultProfile;
pub use network::{Latency, LinkConfig, LinkOverride, NetworkSpec, Topology};
pub use node::NodeStatus;
pub use rng::RngStream;
pub use sim::{Limits, RunStats, Sim, SimConfig, SimError};
pub use target::{Target, TargetAction};
pub use time::{SimDuration, SimTime, current_time};
pub use trace::{DropReason, HistoryObserver, TraceEvent, TraceHasher, TraceKind, TraceSink};
