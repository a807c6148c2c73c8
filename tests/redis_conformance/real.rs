//! Real `redis-server` processes for the conformance tests: each on a free loopback port with
//! its own temporary directory, stopped by pid when dropped (also when a test panics), and
//! connections to them speaking RESP2 (RESP3 after `HELLO 3`) over `std::net::TcpStream`.

use crate::resp::{self, Value};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Wall-clock time: the real servers run in it (the model never reads it).
#[allow(clippy::disallowed_methods)]
pub fn now() -> Instant {
    Instant::now()
}

pub const PACKAGES: &str = "redis-server redis-sentinel (Debian packages)";

/// `redis-server --version`'s `v=` field, or `None` when no server is on PATH.
pub fn server_version() -> Option<String> {
    let out = Command::new("redis-server")
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let v = text.split_whitespace().find_map(|w| w.strip_prefix("v="))?;
    Some(v.to_string())
}

/// Whether to run against the real server: `false` prints the skip line; with
/// `MSGSIM_REQUIRE_REDIS=1` a missing server is a failure.
pub fn available(case: &str) -> Option<String> {
    match server_version() {
        Some(v) => {
            println!("{case}: checked against redis-server {v}");
            Some(v)
        }
        None if std::env::var("MSGSIM_REQUIRE_REDIS").as_deref() == Ok("1") => {
            panic!(
                "{case}: redis-server not on PATH and MSGSIM_REQUIRE_REDIS=1 (install {PACKAGES})"
            )
        }
        None => {
            println!(
                "SKIP {case}: redis-server not on PATH (install {PACKAGES} to run the conformance tests)"
            );
            None
        }
    }
}

/// `kill -<signal> <pid>`.
pub fn signal_pid(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
}

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// A running redis-server; killed by pid and its directory removed on drop.
pub struct Server {
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

static NEXT_DIR: AtomicU32 = AtomicU32::new(0);

impl Server {
    /// Start a server with `conf` (`--name value` pairs, redis.conf spelling); `replicaof`
    /// is the primary's port.
    pub fn start(conf: &[(String, String)], replicaof: Option<u16>) -> Server {
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("msgsim-redisconf-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        for _attempt in 0..5 {
            let port = free_port();
            let mut cmd = Command::new("redis-server");
            cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--daemonize", "no", "--save", "", "--appendonly", "no"])
                .args(["--protected-mode", "no", "--repl-diskless-sync-delay", "0"])
                .arg("--dir")
                .arg(&dir)
                .arg("--logfile")
                .arg(dir.join("redis.log"));
            if let Some(p) = replicaof {
                cmd.args(["--replicaof", "127.0.0.1", &p.to_string()]);
            }
            for (k, v) in conf {
                cmd.arg(format!("--{k}"));
                cmd.args(v.split(' '));
            }
            let child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server");
            let mut server = Server {
                port,
                child,
                dir: dir.clone(),
            };
            if server.wait_ready() {
                return server;
            }
            // Port taken between the probe and the bind, or a start failure: try another.
            let _ = server.child.kill();
            let _ = server.child.wait();
        }
        let log = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
        panic!("redis-server did not start: {log}");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = now() + Duration::from_secs(5);
        while now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Some(mut c) = Conn::open(self.port)
                && c.call(&["PING"]) == Value::Status("PONG".into())
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Send `signal` (`KILL`, `STOP`, `CONT`) to the server process by its pid.
    pub fn signal(&self, signal: &str) {
        signal_pid(self.child.id(), signal);
    }

    /// `INFO <section>` as `field → value`.
    pub fn info(&self, section: &str) -> Vec<(String, String)> {
        let mut c = Conn::open(self.port).expect("admin connection");
        let v = c.call(&["INFO", section]);
        let text = v.bulk_str().unwrap_or("").to_string();
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            .collect()
    }
}

/// One field of an INFO reply.
fn field<'a>(info: &'a [(String, String)], k: &str) -> Option<&'a str> {
    info.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str())
}

/// Whether replication among `servers` is at rest, as the model's replication is a few
/// simulated milliseconds after every change: every server that is a replica has its link
/// `up` and a `master_repl_offset` equal to its primary's, and every primary lists as
/// `state=online` exactly the replicas whose link to it is up (replication.c
/// `replicaPutOnline`: online is also when `min_slaves_good_slaves` is recounted, and WAIT
/// counts only online replicas).
pub fn replication_at_rest(servers: &[Server]) -> bool {
    let infos: Vec<Vec<(String, String)>> = servers.iter().map(|s| s.info("replication")).collect();
    let up_replicas_of = |port: u16| -> Vec<u16> {
        let mut v: Vec<u16> = servers
            .iter()
            .zip(&infos)
            .filter(|(_, i)| {
                field(i, "role") == Some("slave")
                    && field(i, "master_port") == Some(&port.to_string())
                    && field(i, "master_link_status") == Some("up")
            })
            .map(|(s, _)| s.port)
            .collect();
        v.sort_unstable();
        v
    };
    for (s, info) in servers.iter().zip(&infos) {
        // `slaveN:ip=127.0.0.1,port=P,state=online,offset=O,lag=L`
        let mut listed = Vec::new();
        for (k, v) in info {
            if !k.starts_with("slave") || !k[5..].chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let kv = |name: &str| {
                v.split(',')
                    .find_map(|p| p.strip_prefix(&format!("{name}=")))
                    .unwrap_or("")
                    .to_string()
            };
            if kv("state") != "online" {
                return false;
            }
            listed.push(kv("port").parse::<u16>().unwrap_or(0));
        }
        listed.sort_unstable();
        if listed != up_replicas_of(s.port) {
            return false;
        }
        if field(info, "role") != Some("slave") {
            continue;
        }
        if field(info, "master_link_status") != Some("up") {
            return false;
        }
        let primary = servers
            .iter()
            .position(|p| field(info, "master_port") == Some(&p.port.to_string()));
        if let Some(p) = primary
            && field(&infos[p], "master_repl_offset") != field(info, "master_repl_offset")
        {
            return false;
        }
    }
    true
}

/// Wait (polling INFO, up to 15 s of wall time) until replication is at rest; the time it
/// took. A case's clock stands still meanwhile: the model cannot know how long a loaded
/// machine takes to sync, so that time is not part of the case.
pub fn settle_replication(servers: &[Server]) -> Duration {
    let start = now();
    if servers.len() < 2 {
        return Duration::ZERO;
    }
    let deadline = start + Duration::from_secs(15);
    while !replication_at_rest(servers) {
        if now() >= deadline {
            println!("replication not at rest after 15 s; the case goes on");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    now() - start
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A client connection: bytes read so far and whether the server closed it.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    pub eof: bool,
}

impl Conn {
    pub fn open(port: u16) -> Option<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream.set_nodelay(true).ok()?;
        Some(Conn {
            stream,
            buf: Vec::new(),
            eof: false,
        })
    }

    /// The connection's own address as the server sees it (`CLIENT KILL ADDR`).
    pub fn local_addr(&self) -> String {
        self.stream
            .local_addr()
            .map_or_else(|_| "0.0.0.0:0".into(), |a| a.to_string())
    }

    pub fn send(&mut self, args: &[Vec<u8>]) {
        // A write to a connection the server closed may fail: the read then sees the end.
        let _ = self.stream.write_all(&resp::encode(args));
    }

    /// Wait up to `wait` for bytes, read what is there, and return the complete values.
    pub fn poll(&mut self, wait: Duration) -> Vec<Value> {
        let mut chunk = [0u8; 64 * 1024];
        let mut timeout = wait.max(Duration::from_millis(1));
        while !self.eof {
            let _ = self.stream.set_read_timeout(Some(timeout));
            match self.stream.read(&mut chunk) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    // Take what else is already there, without waiting.
                    timeout = Duration::from_millis(1);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                Err(_) => self.eof = true,
            }
        }
        self.take_values()
    }

    fn take_values(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some((v, used)) = resp::parse(&self.buf[at..]) {
            out.push(v);
            at += used;
        }
        self.buf.drain(..at);
        out
    }

    /// Send one command and wait (up to 5 s) for one reply.
    pub fn call(&mut self, args: &[&str]) -> Value {
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        self.send(&args);
        let deadline = now() + Duration::from_secs(5);
        while now() < deadline && !self.eof {
            let mut v = self.poll(Duration::from_millis(20));
            if !v.is_empty() {
                return v.remove(0);
            }
        }
        Value::Closed
    }
}
