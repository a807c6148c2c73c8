//! The failover's state as sentinel.c keeps it on the monitored primary (failover_state,
//! failover_epoch, promoted_slave, each replica's SRI_RECONF_* flags) and its fixed periods.

use msgsim_sim::NodeId;
use std::collections::BTreeMap;

/// SENTINEL_MAX_DESYNC: random part of failover_start_time.
pub(super) const MAX_DESYNC_MS: u64 = 1_000;
/// SENTINEL_ELECTION_TIMEOUT (or failover-timeout when smaller).
pub(super) const ELECTION_TIMEOUT_MS: u64 = 10_000;
/// SENTINEL_SLAVE_RECONF_TIMEOUT: a replica told to move that shows no progress counts as done.
pub(super) const SLAVE_RECONF_TIMEOUT_MS: u64 = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    WaitStart,
    SelectSlave,
    SendSlaveofNoOne,
    WaitPromotion,
    ReconfSlaves,
    UpdateConfig,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reconf {
    Sent(u64),
    InProg,
    Done,
}

pub(super) struct Failover {
    pub(super) epoch: u64,
    pub(super) state: State,
    pub(super) state_change_ms: u64,
    pub(super) promoted: Option<NodeId>,
    pub(super) reconf: BTreeMap<NodeId, Reconf>,
}
