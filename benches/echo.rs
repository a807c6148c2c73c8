//! Kernel benchmark: the echo workload of `scenarios/bench/echo.ron` (64 nodes: 16 servers,
//! 48 clients, 64 requests in flight each, datagrams, no timeouts), trace sinks off, trace hash
//! on. divan reports time per run and message deliveries per second. Plus the bare event queue.
//!
//! `cargo bench --bench echo`

use divan::Bencher;
use divan::counter::ItemsCount;
use msgsim_models::RunSetup;
use msgsim_models::echo::{self, EchoConfig};
use msgsim_sim::queue::{EventKind, EventQueue};
use msgsim_sim::{Latency, NodeId, SimDuration, SimTime};

fn main() {
    divan::main();
}

fn echo_config() -> EchoConfig {
    EchoConfig {
        clients: 48,
        servers: 16,
        window: 64,
        timeout_ms: 0,
        ..EchoConfig::default()
    }
}

fn run_echo(sim_ms: u64) -> u64 {
    let mut setup = RunSetup::new(1, SimDuration::from_millis(sim_ms), SimDuration::ZERO);
    setup.network.default.latency = Latency::Uniform {
        min_us: 50,
        max_us: 150,
    };
    let report = echo::run(&echo_config(), setup).expect("echo runs");
    report.stats.deliveries
}

/// Simulated milliseconds of the 64-node echo workload per iteration.
#[divan::bench(args = [50, 200], sample_count = 5)]
fn echo_64_nodes(bencher: Bencher, sim_ms: u64) {
    let deliveries = run_echo(sim_ms);
    bencher
        .counter(ItemsCount::new(deliveries))
        .bench(|| run_echo(divan::black_box(sim_ms)));
}

/// The bare event queue: push and pop `n` events with pseudo-random times ahead of now, as the
/// kernel's loop does (upper bound on events/s for any model).
#[divan::bench(args = [4_096], sample_count = 5)]
fn event_queue_steady_state(bencher: Bencher, in_flight: u64) {
    let ops = 1_000_000u64;
    bencher.counter(ItemsCount::new(ops)).bench(|| {
        let mut queue = EventQueue::default();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..in_flight {
            queue.push(SimTime(i), EventKind::Wake(NodeId(0)));
        }
        for _ in 0..ops {
            let event = queue.pop().expect("non-empty");
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            queue.push(SimTime(event.time.0 + 50_000 + x % 100_000), event.kind);
        }
        queue.len()
    });
}
