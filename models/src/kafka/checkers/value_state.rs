//! The checker's state per value (a child module of `checker.rs`): 18 bytes for every record a
//! run sends, the largest per-record state of a run (issue 18), with the acknowledgement time
//! kept as a delta from the first send.

use super::NONE32;
use crate::kafka::wire::value_names::split;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Outcome {
    Unknown = 0,
    Ok = 1,
    OkNoOffset = 2,
    Fail = 3,
    Info = 4,
}

/// Per value: 18 bytes (3.6 M values in the reference benchmark's hour, 9 M in
/// `bench/kafka-large.ron`: the largest per-record state of a run, issue 18). Packed to an
/// alignment of 2 (fields are only ever copied, never borrowed), else it would be padded to 20.
#[derive(Clone, Copy, Debug)]
#[repr(C, packed(2))]
pub(super) struct ValState {
    /// Time of the first send (ms).
    pub(super) sent_ms: u32,
    pub(super) ok_offset: u32,
    pub(super) seen_offset: u32,
    /// Time of the last acknowledgement after `sent_ms` (ms), when `ACKED` and not `ACK_FAR`.
    /// An acknowledgement more than 65.5 s after the send (or before it) is kept in
    /// `KafkaChecker::far_acks` instead: retries through a long outage, up to delivery.timeout.ms.
    pub(super) ack_delta_ms: u16,
    pub(super) p: u16,
    pub(super) outcome: Outcome,
    /// INVOKED | POLLED | SEEN_TWICE | POLLED_RU | ACKED | ACK_FAR, and the processing count
    /// (0, 1, 2 = more) in the top two bits.
    pub(super) bits: u8,
}

pub(super) const INVOKED: u8 = 1;
pub(super) const POLLED: u8 = 2;
pub(super) const SEEN_TWICE: u8 = 4;
/// Polled by a read_uncommitted consumer.
pub(super) const POLLED_RU: u8 = 8;
/// Acknowledged (an offsetless acknowledgement too): the acknowledgement time is known.
pub(super) const ACKED: u8 = 16;
/// The acknowledgement time is in `far_acks`, not `ack_delta_ms`.
pub(super) const ACK_FAR: u8 = 32;
pub(super) const PROCESSED_SHIFT: u8 = 6;

impl Default for ValState {
    fn default() -> Self {
        ValState {
            sent_ms: 0,
            ok_offset: NONE32,
            seen_offset: NONE32,
            ack_delta_ms: 0,
            p: 0,
            outcome: Outcome::Unknown,
            bits: 0,
        }
    }
}

impl ValState {
    pub(super) fn has(&self, flag: u8) -> bool {
        self.bits & flag != 0
    }
    pub(super) fn set(&mut self, flag: u8) {
        self.bits |= flag;
    }
    pub(super) fn clear(&mut self, flag: u8) {
        self.bits &= !flag;
    }
    /// Times processed, saturating at 2 ("more than once").
    pub(super) fn processed(&self) -> u8 {
        self.bits >> PROCESSED_SHIFT
    }
    pub(super) fn add_processed(&mut self) {
        let n = (self.processed() + 1).min(2);
        self.bits = (self.bits & !(3 << PROCESSED_SHIFT)) | (n << PROCESSED_SHIFT);
    }
}

/// When `v` (state `s`) was last acknowledged (ms); 0 if never.
pub(super) fn ack_ms(far: &BTreeMap<u64, u32>, v: u64, s: &ValState) -> u32 {
    if !s.has(ACKED) {
        0
    } else if s.has(ACK_FAR) {
        far.get(&v).copied().unwrap_or(0)
    } else {
        s.sent_ms + u32::from(s.ack_delta_ms)
    }
}

/// Record `v`'s acknowledgement at `ms`: as a delta from its first send when that fits.
pub(super) fn set_ack_ms(far: &mut BTreeMap<u64, u32>, v: u64, s: &mut ValState, ms: u32) {
    s.set(ACKED);
    match ms.checked_sub(s.sent_ms).map(u16::try_from) {
        Some(Ok(delta)) => {
            s.ack_delta_ms = delta;
            if s.has(ACK_FAR) {
                s.clear(ACK_FAR);
                far.remove(&v);
            }
        }
        _ => {
            s.set(ACK_FAR);
            far.insert(v, ms);
        }
    }
}

/// `v`'s state, created on first use.
pub(super) fn val_in(values: &mut Vec<Vec<ValState>>, v: u64) -> &mut ValState {
    let (prod, n) = split(v);
    if values.len() <= prod {
        values.resize_with(prod + 1, Vec::new);
    }
    let list = &mut values[prod];
    if list.len() <= n {
        list.resize(n + 1, ValState::default());
    }
    &mut list[n]
}
