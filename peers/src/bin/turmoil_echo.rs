//! turmoil 0.7 UDP echo: the msgsim echo shape written against turmoil's public API.
//! Servers answer every datagram; each client keeps `window` requests in flight, round robin
//! over the servers, until it has completed its round trips.
//!
//! turmoil steps every host once per tick; the tick is turmoil's default (1 ms), which only
//! favours it: a round trip costs the same number of steps at any tick length ≥ the latency.

use msgsim_peers::{Shape, bench_main, decode, encode};
use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;
use turmoil::net::UdpSocket;

const PORT: u16 = 9000;

fn main() {
    bench_main("turmoil", run);
}

fn run(shape: &Shape) -> u64 {
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_secs(1 << 30))
        .min_message_latency(shape.min_latency)
        .max_message_latency(shape.max_latency)
        .udp_capacity(1 << 20)
        .rng_seed(1)
        .build();
    let bytes = shape.message_bytes;
    for s in 0..shape.servers {
        sim.host(format!("s{}", s + 1), move || async move {
            let socket = UdpSocket::bind((IpAddr::from(Ipv4Addr::UNSPECIFIED), PORT)).await?;
            let mut buf = vec![0u8; bytes];
            loop {
                let (_, from) = socket.recv_from(&mut buf).await?;
                socket.send_to(&buf, from).await?;
            }
        });
    }
    let delivered = Rc::new(Cell::new(0u64));
    for c in 0..shape.clients {
        let shape = *shape;
        let delivered = delivered.clone();
        sim.client(format!("c{}", c + 1), async move {
            let servers: Vec<SocketAddr> = (0..shape.servers)
                .map(|s| SocketAddr::new(turmoil::lookup(format!("s{}", s + 1)), PORT))
                .collect();
            let socket = UdpSocket::bind((IpAddr::from(Ipv4Addr::UNSPECIFIED), 0)).await?;
            let mut buf = vec![0u8; shape.message_bytes];
            let mut next = 0u64;
            let mut done = 0u64;
            let initial = (shape.window as u64).min(shape.round_trips);
            while next < initial {
                encode(next, &mut buf);
                socket
                    .send_to(&buf, servers[(next % servers.len() as u64) as usize])
                    .await?;
                next += 1;
            }
            while done < shape.round_trips {
                let (_, _) = socket.recv_from(&mut buf).await?;
                let _id = decode(&buf);
                done += 1;
                if next < shape.round_trips {
                    encode(next, &mut buf);
                    socket
                        .send_to(&buf, servers[(next % servers.len() as u64) as usize])
                        .await?;
                    next += 1;
                }
            }
            delivered.set(delivered.get() + 2 * done);
            Ok(())
        });
    }
    sim.run().expect("turmoil simulation");
    delivered.get()
}
