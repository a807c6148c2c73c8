//! The echo model's configuration: transport, sizes, timeouts, limits and validation.

use msgsim_sim::SimDuration;
use serde::{Deserialize, Serialize};

/// How clients reach servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transport {
    /// Datagrams: subject to loss, duplication and reordering.
    Datagram,
    /// One connection per (client, server): ordered and reliable while up; reconnects.
    Connection,
}

/// Configuration of the echo model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EchoConfig {
    /// Number of client nodes (`c1`, `c2`, ...).
    pub clients: u32,
    /// Number of server nodes (`s1`, `s2`, ...).
    pub servers: u32,
    /// Requests each client keeps in flight.
    pub window: u32,
    /// Requests each client sends in total; 0 means unlimited (until the quiet phase).
    pub requests_per_client: u64,
    pub request_bytes: u64,
    pub reply_bytes: u64,
    /// A request without a reply after this long counts as timed out; 0 disables timeouts.
    pub timeout_ms: u64,
    /// Pause between a reply and the next request.
    pub think_time_us: u64,
    /// Server processing time per request: fixed part plus a part per request byte.
    pub server_cost_ns: u64,
    pub server_cost_ns_per_byte: u64,
    pub transport: Transport,
    /// Delay before a client reconnects a broken connection.
    pub reconnect_backoff_ms: u64,
}

impl Default for EchoConfig {
    fn default() -> Self {
        EchoConfig {
            clients: 2,
            servers: 1,
            window: 1,
            requests_per_client: 0,
            request_bytes: 64,
            reply_bytes: 64,
            timeout_ms: 1_000,
            think_time_us: 0,
            server_cost_ns: 0,
            server_cost_ns_per_byte: 0,
            transport: Transport::Datagram,
            reconnect_backoff_ms: 100,
        }
    }
}

/// Limits on configuration sizes, so a small file cannot ask for unbounded memory.
pub const MAX_NODES: u32 = 4_096;
pub const MAX_WINDOW: u32 = 1_000_000;
pub const MAX_MESSAGE_BYTES: u64 = 1 << 30;

/// Anomalies the echo model reports (every one, zero or not; docs/anomalies.md defines them).
pub const ANOMALIES: &[&str] = &[crate::anomaly::LOST_REQUEST, crate::anomaly::DUPLICATE];

/// The echo model's "sometimes" probes (`ctx.sometimes`).
pub const PROBES: &[&str] = &["echo:connection_broken"];

/// Metrics the echo model reports.
pub const METRICS: &[&str] = &[
    "sent",
    "delivered",
    "timed_out",
    "failed",
    "lost",
    "late_replies",
    "duplicate_replies",
    "orphan_replies",
    "latency_us_mean",
    "latency_us_max",
    "reconnects",
];

impl EchoConfig {
    pub fn client_names(&self) -> Vec<String> {
        (1..=self.clients).map(|i| format!("c{i}")).collect()
    }
    pub fn server_names(&self) -> Vec<String> {
        (1..=self.servers).map(|i| format!("s{i}")).collect()
    }
    pub fn node_names(&self) -> Vec<String> {
        let mut names = self.server_names();
        names.extend(self.client_names());
        names
    }

    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |f: &str, m: String| Err((f.to_string(), m));
        if self.servers == 0 {
            return err("servers", "an echo system needs at least one server".into());
        }
        if self.clients + self.servers > MAX_NODES {
            return err(
                "clients",
                format!("clients + servers is above the limit of {MAX_NODES} nodes"),
            );
        }
        if self.window == 0 || self.window > MAX_WINDOW {
            return err("window", format!("window must be in 1..={MAX_WINDOW}"));
        }
        for (f, v) in [
            ("request_bytes", self.request_bytes),
            ("reply_bytes", self.reply_bytes),
        ] {
            if v > MAX_MESSAGE_BYTES {
                return err(
                    f,
                    format!("{v} bytes is above the limit of {MAX_MESSAGE_BYTES}"),
                );
            }
        }
        Ok(())
    }
}
pub(crate) fn timeout(config: &EchoConfig) -> Option<SimDuration> {
    (config.timeout_ms > 0).then(|| SimDuration::from_millis(config.timeout_ms))
}
