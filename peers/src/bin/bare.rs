//! The bare reference loop: a `BinaryHeap` of (time, sequence) events and a ChaCha8 stream,
//! with the echo workload's number of events in flight (48 clients × 64 = 3,072). Each step pops
//! the earliest event and schedules the hop it causes (a reply, or the client's next request)
//! one uniform 50–150 µs link latency later. No actors, no trace hash, no bookkeeping: the
//! floor any discrete-event kernel pays per delivery on this workload.
//!
//! `bare [echo64|1x1] [events]` — events default to 30 M (echo64) / 2 M (1x1).

use msgsim_peers::{ECHO64, ONE_BY_ONE, report};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let shape = match args.next().as_deref() {
        None | Some("echo64") => ECHO64,
        Some("1x1") => ONE_BY_ONE,
        Some(other) => {
            eprintln!("unknown shape {other}: use echo64 or 1x1");
            std::process::exit(2);
        }
    };
    let events: u64 = match args.next() {
        Some(n) => n.parse().unwrap_or_else(|_| {
            eprintln!("events must be a number, got {n}");
            std::process::exit(2);
        }),
        None if shape.name == "1x1" => 2 * ONE_BY_ONE.round_trips,
        None => 30_000_000,
    };
    let in_flight = (shape.clients * shape.window) as u64;
    let nodes = (shape.clients + shape.servers) as u32;
    let min = shape.min_latency.as_nanos() as u64;
    let max = shape.max_latency.as_nanos() as u64;
    let started = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> =
        BinaryHeap::with_capacity(in_flight as usize);
    let mut seq = 0u64;
    for i in 0..in_flight {
        heap.push(Reverse((
            rng.random_range(min..=max),
            seq,
            (i % nodes as u64) as u32,
        )));
        seq += 1;
    }
    let mut checksum = 0u64;
    for _ in 0..events {
        let Reverse((time, _, node)) = heap.pop().expect("events in flight");
        checksum = checksum.wrapping_add(node as u64);
        let next = if node + 1 == nodes { 0 } else { node + 1 };
        heap.push(Reverse((time + rng.random_range(min..=max), seq, next)));
        seq += 1;
    }
    let wall = started.elapsed();
    std::hint::black_box(checksum);
    report("bare", &shape, events, wall);
}
