//! Documented bounds on what a scenario may ask for (a small file must not ask for unbounded
//! memory or time).

/// Largest scenario file read.
pub const FILE_BYTES_MAX: u64 = 1 << 20;
/// Longest simulated run (faults + quiet phase): 30 days.
pub const DURATION_MS_MAX: u64 = 30 * 24 * 3_600_000;
/// Most explicit faults.
pub const FAULTS_MAX: usize = 100_000;
/// Most expectations.
pub const EXPECTATIONS_MAX: usize = 1_000;
/// Largest `max_events` a scenario may set.
pub const EVENTS_MAX: u64 = 20_000_000_000;
/// Largest `max_in_flight` a scenario may set.
pub const IN_FLIGHT_MAX: usize = 50_000_000;
/// Largest `max_queued_events` a scenario may set (about 6 GiB of queue).
pub const QUEUED_MAX: usize = 200_000_000;
/// Largest connection-break detection delay: 1 hour.
pub const DETECT_MS_MAX: u64 = 3_600_000;
/// Largest link latency or jitter: 1 hour, in microseconds.
pub const LATENCY_US_MAX: u64 = 3_600_000_000;
/// Largest node count field (`clients`, `servers`, `brokers`...) in a system section.
pub const NODES_MAX: u64 = 4_096;
/// Largest `*_bytes` field in a system section: 1 GiB.
pub const BYTES_MAX: u64 = 1 << 30;
/// Largest `*_ms` field in a system section (timeouts, intervals...): 30 days.
pub const SYSTEM_MS_MAX: u64 = DURATION_MS_MAX;
/// Largest `*_us` field in a system section: 1 hour.
pub const SYSTEM_US_MAX: u64 = 3_600_000_000;
/// Largest `*_ns` field in a system section: 1 hour.
pub const SYSTEM_NS_MAX: u64 = 3_600_000_000_000;
/// Largest `*_ns_per_byte` field in a system section: 1 second per byte.
pub const NS_PER_BYTE_MAX: u64 = 1_000_000_000;
/// Most faults a fault profile may be expected to generate in one run.
pub const PROFILE_FAULTS_MAX: u64 = 10_000;
/// Largest clock step a fault profile may draw: 1 year.
pub const SKEW_MS_MAX: u64 = 365 * 24 * 3_600_000;
/// Most directed links all `network.links` overrides may name together (sum of from × to).
pub const LINK_PAIRS_MAX: u64 = 1 << 24;
