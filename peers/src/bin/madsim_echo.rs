//! madsim 0.2 endpoint echo: the msgsim echo shape written against madsim's public API
//! (`Runtime`, `create_node`, `net::Endpoint`). Build with `--cfg madsim` (peers/.cargo/config.toml).
//! Servers answer every message; each client keeps `window` requests in flight, round robin over
//! the servers, until it has completed its round trips.

use madsim::net::Endpoint;
use madsim::runtime::{Handle, Runtime};
use msgsim_peers::{Shape, bench_main, decode, encode};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

const PORT: u16 = 9000;
const TAG: u64 = 0;

fn main() {
    bench_main("madsim", run);
}

fn server_ip(s: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, s as u8 + 1))
}

fn client_ip(c: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 1, (c >> 8) as u8, c as u8 + 1))
}

fn run(shape: &Shape) -> u64 {
    let mut config = madsim::Config::default();
    config.net.send_latency = shape.min_latency..shape.max_latency;
    let rt = Runtime::with_seed_and_config(1, config);
    let shape = *shape;
    rt.block_on(async move {
        let handle = Handle::current();
        for s in 0..shape.servers {
            let node = handle
                .create_node()
                .name(format!("s{}", s + 1))
                .ip(server_ip(s))
                .build();
            node.spawn(async move {
                let ep = Endpoint::bind(SocketAddr::new(server_ip(s), PORT))
                    .await
                    .expect("bind");
                let mut buf = vec![0u8; shape.message_bytes];
                loop {
                    let (_, from) = ep.recv_from(TAG, &mut buf).await.expect("recv");
                    ep.send_to(from, TAG, &buf).await.expect("send");
                }
            });
        }
        let mut clients = Vec::new();
        for c in 0..shape.clients {
            let node = handle
                .create_node()
                .name(format!("c{}", c + 1))
                .ip(client_ip(c))
                .build();
            clients.push(node.spawn(async move {
                let servers: Vec<SocketAddr> = (0..shape.servers)
                    .map(|s| SocketAddr::new(server_ip(s), PORT))
                    .collect();
                let ep = Endpoint::bind(SocketAddr::new(client_ip(c), 1))
                    .await
                    .expect("bind");
                let mut buf = vec![0u8; shape.message_bytes];
                let mut next = 0u64;
                let mut done = 0u64;
                let initial = (shape.window as u64).min(shape.round_trips);
                while next < initial {
                    encode(next, &mut buf);
                    let to = servers[(next % servers.len() as u64) as usize];
                    ep.send_to(to, TAG, &buf).await.expect("send");
                    next += 1;
                }
                while done < shape.round_trips {
                    ep.recv_from(TAG, &mut buf).await.expect("recv");
                    let _id = decode(&buf);
                    done += 1;
                    if next < shape.round_trips {
                        encode(next, &mut buf);
                        let to = servers[(next % servers.len() as u64) as usize];
                        ep.send_to(to, TAG, &buf).await.expect("send");
                        next += 1;
                    }
                }
                2 * done
            }));
        }
        let mut deliveries = 0;
        for client in clients {
            deliveries += client.await.expect("client task");
        }
        deliveries
    })
}
