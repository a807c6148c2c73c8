//! Shared shape of the peer benchmarks: the echo workload of msgsim's
//! `scenarios/bench/echo.ron` (16 servers, 48 clients, 64 requests in flight per client,
//! 64-byte requests and replies, datagrams, link latency uniform in 50–150 µs, no timeouts,
//! requests round robin over the servers) and the 1-client/1-server window-100 shape.
//!
//! Every benchmark prints one JSON line: `{"bench": ..., "shape": ..., "deliveries": ...,
//! "wall_s": ..., "deliveries_per_sec": ...}`. A round trip is two deliveries (request and
//! reply), as msgsim counts them.

use std::time::Duration;

/// One workload shape.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub name: &'static str,
    pub servers: usize,
    pub clients: usize,
    pub window: usize,
    /// Round trips each client completes.
    pub round_trips: u64,
    pub message_bytes: usize,
    pub min_latency: Duration,
    pub max_latency: Duration,
}

/// `scenarios/bench/echo.ron`'s shape; the peers run a fixed number of round trips per client
/// (msgsim runs two simulated seconds, ≈ 640,000 per client: too long for a peer at ≈ 1 M
/// deliveries/s). Deliveries per second do not depend on how long the run is.
pub const ECHO64: Shape = Shape {
    name: "echo64",
    servers: 16,
    clients: 48,
    window: 64,
    round_trips: 20_000,
    message_bytes: 64,
    min_latency: Duration::from_micros(50),
    max_latency: Duration::from_micros(150),
};

/// One client, one server, window 100, 10^6 round trips.
pub const ONE_BY_ONE: Shape = Shape {
    name: "1x1",
    servers: 1,
    clients: 1,
    window: 100,
    round_trips: 1_000_000,
    message_bytes: 64,
    min_latency: Duration::from_micros(50),
    max_latency: Duration::from_micros(150),
};

/// The shape named on the command line (`echo64` by default), with an optional round-trip
/// count per client as the second argument.
pub fn shape_from_args() -> Shape {
    let mut args = std::env::args().skip(1);
    let mut shape = match args.next().as_deref() {
        None | Some("echo64") => ECHO64,
        Some("1x1") => ONE_BY_ONE,
        Some(other) => {
            eprintln!("unknown shape {other}: use echo64 or 1x1");
            std::process::exit(2);
        }
    };
    if let Some(n) = args.next() {
        shape.round_trips = n.parse().unwrap_or_else(|_| {
            eprintln!("round trips must be a number, got {n}");
            std::process::exit(2);
        });
    }
    shape
}

/// Print the figure as one JSON line.
pub fn report(bench: &str, shape: &Shape, deliveries: u64, wall: Duration) {
    let secs = wall.as_secs_f64();
    println!(
        "{{\"bench\": \"{bench}\", \"shape\": \"{}\", \"deliveries\": {deliveries}, \"wall_s\": {secs:.4}, \"deliveries_per_sec\": {:.0}}}",
        shape.name,
        deliveries as f64 / secs.max(1e-9)
    );
}

/// Request payload: the id in the first 8 bytes, zero-padded to the message size.
pub fn encode(id: u64, buf: &mut [u8]) {
    buf[..8].copy_from_slice(&id.to_le_bytes());
}

pub fn decode(buf: &[u8]) -> u64 {
    u64::from_le_bytes(buf[..8].try_into().expect("8-byte id"))
}

/// A peer benchmark's `main`: the shape from the command line, the run timed, the figure printed.
pub fn bench_main(bench: &str, run: fn(&Shape) -> u64) {
    let shape = shape_from_args();
    let started = std::time::Instant::now();
    let deliveries = run(&shape);
    report(bench, &shape, deliveries, started.elapsed());
}
