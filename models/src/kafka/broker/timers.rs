//! The broker's timer kinds (the top byte of a timer tag, `wire::msg::tag`) and what each is
//! for, as trace files and pictures name them.

pub(super) const T_HEARTBEAT: u64 = 1;
pub(super) const T_ISR_CHECK: u64 = 2;
pub(super) const T_RETENTION: u64 = 3;
pub(super) const T_WRITEBACK: u64 = 4;
pub(super) const T_HW_CHECKPOINT: u64 = 5;
pub(super) const T_FETCH_TIMEOUT: u64 = 6;
pub(super) const T_FETCH_RETRY: u64 = 7;
pub(super) const T_PARK: u64 = 8;
pub(super) const T_PURGATORY: u64 = 9;
pub(super) const T_CLEANER: u64 = 10;
pub(super) const T_SHUTDOWN: u64 = 11;
pub(super) const T_ADMIN: u64 = 12;
/// Tiered storage (`tiered.rs`): the RLM task, an upload done, a remote read done.
pub(super) const T_RLM: u64 = 20;
pub(super) const T_REMOTE_COPY: u64 = 21;
pub(super) const T_REMOTE_FETCH: u64 = 22;

/// What a timer of this kind is for.
pub(super) fn name(kind: u64) -> &'static str {
    match kind {
        T_HEARTBEAT => "broker heartbeat",
        T_ISR_CHECK => "ISR expiry check",
        T_RETENTION => "retention check",
        T_WRITEBACK => "page-cache writeback",
        T_HW_CHECKPOINT => "high-watermark checkpoint",
        T_FETCH_TIMEOUT => "replica fetch timeout",
        T_FETCH_RETRY => "replica fetch backoff",
        T_PARK => "fetch max.wait",
        T_PURGATORY => "produce purgatory timeout",
        T_CLEANER => "log cleaner",
        T_SHUTDOWN => "controlled shutdown",
        T_ADMIN => "admin operation",
        T_RLM => "remote log manager task",
        T_REMOTE_COPY => "remote copy done",
        T_REMOTE_FETCH => "remote fetch done",
        _ => "timer",
    }
}
