//! A conformance case against real redis-server processes: r1 and its replicas started on
//! loopback, one connection per client, the steps sent at their times (a reply that does not
//! come at once, e.g. a blocked WAIT, is collected later), pushed messages filed per
//! subscription and publisher, and INFO read at the end.

use crate::case::{Case, INFO_FIELDS, Obs, Wire, canon, offset_field};
use crate::real::{Conn, Server, now, settle_replication};
use crate::resp::Value;
use msgsim_models::redis::cmd::{Cmd, payload_len};
use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

/// A reply the client waits for: `frames` values (a subscription command or a pipelined
/// PUBLISH batch answers with several), gathered into an array when `group`.
struct Want {
    step: usize,
    frames: usize,
    group: bool,
    got: Vec<Value>,
}

struct Client {
    name: String,
    port: u16,
    conn: Option<Conn>,
    want: VecDeque<Want>,
    channels: BTreeSet<String>,
    patterns: BTreeSet<String>,
    next_seq: u64,
    reading: bool,
    /// `reconnect: true`, and whether the server (not a `Disconnect` step) closed the
    /// connection last: such a client opens a new one at its next command.
    reconnect: bool,
    server_closed: bool,
    /// Replies that came before any command (`-ERR max number of clients reached` is written
    /// at accept): the next command reads them first, as a client library would.
    early: VecDeque<Value>,
}

/// The payload of message `seq` from `publisher`, `bytes` long (at least the identity).
pub fn publish_payload(publisher: &str, seq: u64, bytes: u64) -> Vec<u8> {
    let mut p = format!("{publisher}:{seq}:").into_bytes();
    while (p.len() as u64) < bytes {
        p.push(b'x');
    }
    p
}

fn args(v: &[String]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

pub fn run(case: &Case) -> Obs {
    let mut servers = vec![Server::start(&case.conf, None)];
    for _ in 1..case.servers {
        let p = servers[0].port;
        servers.push(Server::start(&case.conf, Some(p)));
    }
    settle_replication(&servers);
    let mut clients: Vec<Client> = case
        .clients
        .iter()
        .map(|(name, s)| Client {
            name: name.clone(),
            port: servers[s - 1].port,
            conn: if case.late.contains(name) {
                None
            } else {
                Conn::open(servers[s - 1].port)
            },
            want: VecDeque::new(),
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
            next_seq: 0,
            reading: true,
            reconnect: case.reconnect.contains(name),
            server_closed: false,
            early: VecDeque::new(),
        })
        .collect();
    let mut obs = Obs::default();
    let mut t0 = now();
    let mut pauses = case.pauses.iter().peekable();
    for (i, step) in case.steps.iter().enumerate() {
        let at = t0 + Duration::from_millis(step.at_ms);
        while now() < at {
            while let Some((_, n, stop)) = pauses.next_if(|p| now() >= t0 + ms(p.0)) {
                servers[n - 1].signal(if *stop { "STOP" } else { "CONT" });
            }
            absorb_all(case, &mut clients, &mut obs, Duration::from_millis(1));
        }
        // Each step meets replication at rest, as in the model (whose replicas apply a write
        // within milliseconds): the wait is not the case's time.
        if case.settle_steps {
            t0 += settle_replication(&servers);
        }
        absorb_all(case, &mut clients, &mut obs, Duration::ZERO);
        let ci = case.client_index(&step.client);
        // Every client's address, for CLIENT KILL ADDR (one that is not connected has none).
        let addrs: Vec<(String, String)> = clients
            .iter()
            .map(|c| {
                let a = c
                    .conn
                    .as_ref()
                    .map_or("127.0.0.1:1".into(), |k| k.local_addr());
                (c.name.clone(), a)
            })
            .collect();
        execute(case, &mut clients[ci], &servers, &addrs, i, &mut obs);
        // Give the reply a moment (a blocked command answers later).
        let until = now() + Duration::from_millis(100);
        while now() < until && !clients[ci].want.is_empty() && clients[ci].conn.is_some() {
            absorb_all(case, &mut clients, &mut obs, Duration::from_millis(1));
        }
    }
    let end = t0 + Duration::from_millis(case.end_ms());
    while now() < end {
        while let Some((_, n, stop)) = pauses.next_if(|p| now() >= t0 + ms(p.0)) {
            servers[n - 1].signal(if *stop { "STOP" } else { "CONT" });
        }
        absorb_all(case, &mut clients, &mut obs, Duration::from_millis(1));
    }
    // What the replicas fan out to their subscribers has arrived once they are at rest.
    settle_replication(&servers);
    // Replies still owed (a long WAIT) get a few seconds; then the pushes drain.
    let deadline = now() + Duration::from_secs(5);
    while now() < deadline
        && clients
            .iter()
            .any(|c| c.conn.is_some() && !c.want.is_empty())
    {
        absorb_all(case, &mut clients, &mut obs, Duration::from_millis(2));
    }
    // A client that stopped reading reads what is left, and sees whether it was closed.
    for c in &mut clients {
        c.reading = true;
    }
    absorb_all(case, &mut clients, &mut obs, Duration::from_millis(50));
    for c in &mut clients {
        close(case, c, &mut obs, false);
    }
    settle_replication(&servers);
    info(case, &servers, &mut obs);
    obs
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn info(case: &Case, servers: &[Server], obs: &mut Obs) {
    let mut offsets = Vec::new();
    for (i, s) in servers.iter().enumerate() {
        let mut fields = s.info("replication");
        fields.extend(s.info("stats"));
        let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
        for f in INFO_FIELDS {
            let v = if *f == "role_master" {
                Some(
                    if get("role").as_deref() == Some("master") {
                        "1"
                    } else {
                        "0"
                    }
                    .to_string(),
                )
            } else {
                get(f)
            };
            if let Some(v) = v {
                obs.info.insert(format!("r{}:{f}", i + 1), v);
            }
        }
        offsets.push(get("master_repl_offset").unwrap_or_default());
    }
    let _ = case;
    for i in 1..offsets.len() {
        obs.info
            .insert(offset_field(i + 1), (offsets[i] == offsets[0]).to_string());
    }
}

fn execute(
    case: &Case,
    c: &mut Client,
    servers: &[Server],
    addrs: &[(String, String)],
    i: usize,
    obs: &mut Obs,
) {
    let step = &case.steps[i];
    let want = |frames, group| Want {
        step: i,
        frames,
        group,
        got: Vec::new(),
    };
    let s = |x: &str| x.to_string();
    if c.conn.is_none() && c.reconnect && c.server_closed {
        c.conn = Conn::open(c.port);
        c.server_closed = false;
    }
    let cmd: Vec<String> = match &step.cmd {
        Cmd::Connect => {
            if c.conn.is_none() {
                c.conn = Conn::open(c.port);
            }
            vec![s("PING")]
        }
        Cmd::Disconnect => {
            close(case, c, obs, true);
            c.server_closed = false;
            return;
        }
        Cmd::StopReading => {
            c.reading = false;
            return;
        }
        Cmd::StartReading => {
            c.reading = true;
            return;
        }
        Cmd::Publish {
            channel,
            payload_bytes,
            count,
            ..
        } => {
            let Some(conn) = c.conn.as_mut() else {
                obs.replies.insert(i, canon(&step.cmd, &Value::Closed));
                return;
            };
            for _ in 0..*count {
                let p = publish_payload(&c.name, c.next_seq, *payload_bytes);
                c.next_seq += 1;
                conn.send(&[b"PUBLISH".to_vec(), channel.as_bytes().to_vec(), p]);
            }
            c.want.push_back(want(*count as usize, *count > 1));
            settle_wants(case, c, obs);
            return;
        }
        other => {
            let kill_id = kill_id(other, c.port, addrs);
            command(other, servers, addrs, kill_id)
        }
    };
    let frames = match &step.cmd {
        Cmd::Subscribe { channels } => channels.len(),
        Cmd::Psubscribe { patterns } => patterns.len(),
        Cmd::Unsubscribe { channels } if channels.is_empty() => c.channels.len().max(1),
        Cmd::Unsubscribe { channels } => channels.len(),
        Cmd::Punsubscribe { patterns } if patterns.is_empty() => c.patterns.len().max(1),
        Cmd::Punsubscribe { patterns } => patterns.len(),
        _ => 0,
    };
    let Some(conn) = c.conn.as_mut() else {
        obs.replies.insert(i, canon(&step.cmd, &Value::Closed));
        return;
    };
    conn.send(&args(&cmd));
    c.want.push_back(if frames == 0 {
        want(1, false)
    } else {
        want(frames, true)
    });
    settle_wants(case, c, obs);
}

/// `CLIENT KILL ID <client>`: that client's id on the server at `port`, found by its address
/// in `CLIENT LIST` on an admin connection (closed before the KILL; only the id matches).
fn kill_id(cmd: &Cmd, port: u16, addrs: &[(String, String)]) -> Option<String> {
    let Cmd::ClientKill { id: Some(name), .. } = cmd else {
        return None;
    };
    let (_, addr) = addrs.iter().find(|(n, _)| n == name)?;
    let mut admin = Conn::open(port)?;
    let list = admin.call(&["CLIENT", "LIST"]);
    let text = list.bulk_str()?.to_string();
    let want = format!("addr={addr}");
    text.lines()
        .find(|l| l.split(' ').any(|f| f == want))
        .and_then(|l| l.split(' ').find_map(|f| f.strip_prefix("id=")))
        .map(str::to_string)
        // A client not connected there: an id nobody has.
        .or(Some(i64::MAX.to_string()))
}

/// The RESP arguments of a model command.
fn command(
    cmd: &Cmd,
    servers: &[Server],
    addrs: &[(String, String)],
    kill_id: Option<String>,
) -> Vec<String> {
    let s = |x: &str| x.to_string();
    let mut a: Vec<String> = Vec::new();
    match cmd {
        Cmd::Ping => a.push(s("PING")),
        Cmd::Hello {
            protover,
            auth,
            setname,
        } => {
            a.push(s("HELLO"));
            a.extend(protover.map(|v| v.to_string()));
            if let Some(words) = auth {
                a.push(s("AUTH"));
                a.extend(words.iter().cloned());
            }
            if let Some(name) = setname {
                a.extend([s("SETNAME"), name.clone()]);
            }
        }
        Cmd::ClientSetName { name } => a.extend([s("CLIENT"), s("SETNAME"), name.clone()]),
        Cmd::ClientGetName => a.extend([s("CLIENT"), s("GETNAME")]),
        Cmd::ClientKill {
            client,
            client_type,
            id,
            laddr,
            user,
            max_age_s,
            ..
        } => {
            a.extend([s("CLIENT"), s("KILL")]);
            if let Some(name) = client {
                let addr = addrs.iter().find(|(n, _)| n == name);
                a.extend([s("ADDR"), addr.map_or(s("127.0.0.1:1"), |(_, x)| x.clone())]);
            }
            if let Some(t) = client_type {
                a.extend([s("TYPE"), format!("{t:?}").to_lowercase()]);
            }
            if let Some(id) = id {
                // A client's name stands for its id; anything else goes as written.
                a.extend([s("ID"), kill_id.unwrap_or_else(|| id.clone())]);
            }
            if let Some(name) = laddr {
                let port = name
                    .strip_prefix('r')
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| servers.get(i.wrapping_sub(1)))
                    .map_or(1, |srv| srv.port);
                a.extend([s("LADDR"), format!("127.0.0.1:{port}")]);
            }
            if let Some(u) = user {
                a.extend([s("USER"), u.clone()]);
            }
            if let Some(age) = max_age_s {
                a.extend([s("MAXAGE"), age.to_string()]);
            }
        }
        Cmd::Select { db } => a.extend([s("SELECT"), db.to_string()]),
        Cmd::DbSize => a.push(s("DBSIZE")),
        Cmd::Set { key, value, bytes } => {
            let mut p = value.to_string();
            while (p.len() as u64) < payload_len(*value, *bytes) {
                p.push('x');
            }
            a.extend([s("SET"), key.clone(), p]);
        }
        Cmd::Get { key } => a.extend([s("GET"), key.clone()]),
        Cmd::Incr { key } => a.extend([s("INCR"), key.clone()]),
        Cmd::Del { key } => a.extend([s("DEL"), key.clone()]),
        Cmd::Subscribe { channels } => {
            a.push(s("SUBSCRIBE"));
            a.extend(channels.iter().cloned());
        }
        Cmd::Psubscribe { patterns } => {
            a.push(s("PSUBSCRIBE"));
            a.extend(patterns.iter().cloned());
        }
        Cmd::Unsubscribe { channels } => {
            a.push(s("UNSUBSCRIBE"));
            a.extend(channels.iter().cloned());
        }
        Cmd::Punsubscribe { patterns } => {
            a.push(s("PUNSUBSCRIBE"));
            a.extend(patterns.iter().cloned());
        }
        Cmd::Wait {
            numreplicas,
            timeout_ms,
        } => a.extend([s("WAIT"), numreplicas.to_string(), timeout_ms.to_string()]),
        Cmd::XAdd {
            key,
            id,
            maxlen,
            minid,
            approx,
            limit,
            bytes,
            ..
        } => {
            a.extend([s("XADD"), key.clone()]);
            let how = if *approx { s("~") } else { s("=") };
            if let Some(n) = maxlen {
                a.extend([s("MAXLEN"), how.clone(), n.to_string()]);
            }
            if let Some(m) = minid {
                a.extend([s("MINID"), how, m.to_string()]);
            }
            a.extend(limit.iter().flat_map(|n| [s("LIMIT"), n.to_string()]));
            a.push(id.map_or(s("*"), |i| i.to_string()));
            a.extend([s("p"), "x".repeat((*bytes).max(1) as usize)]);
        }
        Cmd::XRead {
            key,
            after,
            count,
            block_ms,
        } => {
            a.extend([s("XREAD"), s("COUNT"), count.to_string()]);
            if let Some(ms) = block_ms {
                a.extend([s("BLOCK"), ms.to_string()]);
            }
            a.extend([
                s("STREAMS"),
                key.clone(),
                after.map_or(s("0-0"), |i| i.to_string()),
            ]);
        }
        Cmd::XGroupCreate { key, group, id } => a.extend([
            s("XGROUP"),
            s("CREATE"),
            key.clone(),
            group.clone(),
            id.map_or(s("$"), |i| i.to_string()),
        ]),
        Cmd::XReadGroup {
            key,
            group,
            consumer,
            id,
            count,
            noack,
            block_ms,
        } => {
            a.extend([
                s("XREADGROUP"),
                s("GROUP"),
                group.clone(),
                consumer.clone(),
                s("COUNT"),
                count.to_string(),
            ]);
            if let Some(ms) = block_ms {
                a.extend([s("BLOCK"), ms.to_string()]);
            }
            if *noack {
                a.push(s("NOACK"));
            }
            a.extend([s("STREAMS"), key.clone(), id.to_string()]);
        }
        Cmd::XAck { key, group, ids } => {
            a.extend([s("XACK"), key.clone(), group.clone()]);
            a.extend(ids.iter().map(|i| i.to_string()));
        }
        Cmd::XClaim {
            key,
            group,
            consumer,
            min_idle_ms,
            ids,
            justid,
        } => {
            a.extend([s("XCLAIM"), key.clone(), group.clone(), consumer.clone()]);
            a.push(min_idle_ms.to_string());
            a.extend(ids.iter().map(|i| i.to_string()));
            if *justid {
                a.push(s("JUSTID"));
            }
        }
        Cmd::XAutoClaim {
            key,
            group,
            consumer,
            min_idle_ms,
            start,
            count,
            justid,
        } => {
            a.extend([
                s("XAUTOCLAIM"),
                key.clone(),
                group.clone(),
                consumer.clone(),
            ]);
            a.extend([
                min_idle_ms.to_string(),
                start.to_string(),
                s("COUNT"),
                count.to_string(),
            ]);
            if *justid {
                a.push(s("JUSTID"));
            }
        }
        Cmd::XPending {
            key,
            group,
            summary,
        } => {
            a.extend([s("XPENDING"), key.clone(), group.clone()]);
            if !summary {
                a.extend([s("-"), s("+"), s("100")]);
            }
        }
        Cmd::XLen { key } => a.extend([s("XLEN"), key.clone()]),
        Cmd::InfoSection { section } => a.extend([s("INFO"), section.clone()]),
        // XRANGE key start end / XREVRANGE key end start.
        Cmd::XRange {
            key,
            start: first,
            end: second,
            count,
        }
        | Cmd::XRevRange {
            key,
            end: first,
            start: second,
            count,
        } => {
            let name = if matches!(cmd, Cmd::XRange { .. }) {
                "XRANGE"
            } else {
                "XREVRANGE"
            };
            a.extend([s(name), key.clone(), first.clone(), second.clone()]);
            a.extend(count.iter().flat_map(|n| [s("COUNT"), n.to_string()]));
        }
        Cmd::XDel { key, ids } => {
            a.extend([s("XDEL"), key.clone()]);
            a.extend(ids.iter().map(|i| i.to_string()));
        }
        Cmd::XTrim {
            key,
            maxlen,
            minid,
            approx,
            limit,
        } => {
            let how = if *approx { s("~") } else { s("=") };
            a.extend([s("XTRIM"), key.clone()]);
            a.extend(
                maxlen
                    .iter()
                    .flat_map(|n| [s("MAXLEN"), how.clone(), n.to_string()]),
            );
            a.extend(
                minid
                    .iter()
                    .flat_map(|m| [s("MINID"), how.clone(), m.to_string()]),
            );
            a.extend(limit.iter().flat_map(|n| [s("LIMIT"), n.to_string()]));
        }
        Cmd::XInfoStream { key, full, count } => {
            a.extend([s("XINFO"), s("STREAM"), key.clone()]);
            if *full {
                a.push(s("FULL"));
                a.extend(count.iter().flat_map(|n| [s("COUNT"), n.to_string()]));
            }
        }
        Cmd::XInfoGroups { key } => a.extend([s("XINFO"), s("GROUPS"), key.clone()]),
        Cmd::XInfoConsumers { key, group } => {
            a.extend([s("XINFO"), s("CONSUMERS"), key.clone(), group.clone()])
        }
        Cmd::ConfigSet { parameter, value } => {
            a.extend([s("CONFIG"), s("SET"), parameter.clone(), value.clone()])
        }
        Cmd::ReplicaOf { primary, .. } => {
            a.push(s("REPLICAOF"));
            match primary.as_deref().and_then(|p| p.strip_prefix('r')) {
                Some(n) => {
                    let port = servers[n.parse::<usize>().expect("rN") - 1].port;
                    a.extend([s("127.0.0.1"), port.to_string()]);
                }
                None => a.extend([s("NO"), s("ONE")]),
            }
        }
        other => panic!("no real-server form for {other:?}"),
    }
    a
}

/// The connection is gone; `count` it unless it is the harness's own close at the end.
fn close(case: &Case, c: &mut Client, obs: &mut Obs, count: bool) {
    if c.conn.take().is_some() {
        if count {
            *obs.closes.entry(c.name.clone()).or_default() += 1;
        }
        for w in std::mem::take(&mut c.want) {
            obs.replies
                .insert(w.step, canon(&case.steps[w.step].cmd, &Value::Closed));
        }
        c.channels.clear();
        c.patterns.clear();
    }
}

fn absorb_all(case: &Case, clients: &mut [Client], obs: &mut Obs, wait: Duration) {
    for c in clients.iter_mut() {
        absorb(case, c, obs, wait);
    }
}

/// Read what has arrived for one client: pushed messages filed, replies matched to the
/// commands in order, the end of the connection noted.
fn absorb(case: &Case, c: &mut Client, obs: &mut Obs, wait: Duration) {
    if !c.reading {
        return;
    }
    let Some(conn) = c.conn.as_mut() else {
        return;
    };
    let values = conn.poll(wait);
    let eof = conn.eof;
    for v in values {
        if let Some((sub, publisher, seq)) = push(&v) {
            let w = Wire::Push(sub.clone(), publisher.clone(), seq);
            obs.wire.entry(c.name.clone()).or_default().push(w);
            obs.pushes
                .entry((c.name.clone(), sub, publisher))
                .or_default()
                .push(seq);
            continue;
        }
        track_subscriptions(c, &v);
        c.early.push_back(v);
        settle_wants(case, c, obs);
    }
    settle_wants(case, c, obs);
    if eof {
        close(case, c, obs, true);
        c.server_closed = true;
    }
}

/// Match the replies read so far to the commands waiting, in order.
fn settle_wants(case: &Case, c: &mut Client, obs: &mut Obs) {
    while let Some(w) = c.want.front_mut() {
        let Some(v) = c.early.pop_front() else { return };
        w.got.push(v);
        if w.got.len() == w.frames {
            let w = c.want.pop_front().expect("want");
            let reply = if w.group {
                Value::Array(w.got)
            } else {
                w.got.into_iter().next().expect("one")
            };
            obs.replies
                .insert(w.step, canon(&case.steps[w.step].cmd, &reply));
            obs.wire
                .entry(c.name.clone())
                .or_default()
                .push(Wire::Reply(w.step));
        }
    }
}

/// `[message, ch, payload]` / `[pmessage, pattern, ch, payload]` (a RESP2 array or a RESP3
/// push frame) → (subscription, publisher, seq).
fn push(v: &Value) -> Option<(String, String, u64)> {
    let f = v.items()?;
    let kind = f.first()?.bulk_str()?;
    let (sub, payload) = match (kind, f.len()) {
        ("message", 3) => (f[1].bulk_str()?, f[2].bulk_str()?),
        ("pmessage", 4) => (f[1].bulk_str()?, f[3].bulk_str()?),
        _ => return None,
    };
    let mut parts = payload.splitn(3, ':');
    let publisher = parts.next()?.to_string();
    let seq = parts.next()?.parse().ok()?;
    Some((sub.to_string(), publisher, seq))
}

fn track_subscriptions(c: &mut Client, v: &Value) {
    let Some(f) = v.items() else { return };
    if f.len() != 3 {
        return;
    }
    let (Some(kind), Some(name)) = (f[0].bulk_str(), f[1].bulk_str()) else {
        return;
    };
    let name = name.to_string();
    match kind {
        "subscribe" => {
            c.channels.insert(name);
        }
        "unsubscribe" => {
            c.channels.remove(&name);
        }
        "psubscribe" => {
            c.patterns.insert(name);
        }
        "punsubscribe" => {
            c.patterns.remove(&name);
        }
        _ => {}
    }
}
