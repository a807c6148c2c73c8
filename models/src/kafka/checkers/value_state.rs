//! The checker's state per value (a child module of `checker.rs`): 14 bytes for every record a
//! run sends, the largest per-record state of a run (issue 18), with the acknowledgement time
//! kept as a delta from the first send and the first read's offset as a flag when it is the
//! acknowledged one.

use crate::kafka::checkers::dense::Dense;
use crate::kafka::wire::value_names::split;
use std::collections::BTreeMap;

/// "No offset" in a 32-bit offset field.
pub(super) const NONE32: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Outcome {
    Unknown = 0,
    Ok = 1,
    OkNoOffset = 2,
    Fail = 3,
    Info = 4,
}

/// Per value: 14 bytes (3.6 M values in the reference benchmark's hour, 9 M in
/// `bench/kafka-large.ron`: the largest per-record state of a run, issue 18). Packed to an
/// alignment of 2 (fields are only ever copied, never borrowed), else it would be padded to 16.
/// What does not fit — an acknowledgement time far from the send, a first read at an offset
/// other than the acknowledged one — is kept in `Aside`, for the few values that need it.
#[derive(Clone, Copy, Debug)]
#[repr(C, packed(2))]
pub(super) struct ValState {
    /// Time of the first send (ms).
    pub(super) sent_ms: u32,
    /// The acknowledged offset once `outcome` is `Ok` (`ok_offset()`); before that, the
    /// offset of the first read when `SEEN_AT_OK`, else `NONE32`.
    pub(super) offset: u32,
    /// Time of the last acknowledgement after `sent_ms` (ms), when `ACKED`; `FAR` when it is
    /// in `Aside::far_acks` instead (more than 65.5 s after the send — retries through a long
    /// outage, up to delivery.timeout.ms — or before it).
    pub(super) ack_delta_ms: u16,
    pub(super) p: u16,
    pub(super) outcome: Outcome,
    /// INVOKED | POLLED | SEEN_TWICE | POLLED_RU | ACKED | SEEN_AT_OK, and the processing
    /// count (0, 1, 2 = more) in the top two bits.
    pub(super) bits: u8,
}

pub(super) const INVOKED: u8 = 1;
pub(super) const POLLED: u8 = 2;
pub(super) const SEEN_TWICE: u8 = 4;
/// Polled by a read_uncommitted consumer.
pub(super) const POLLED_RU: u8 = 8;
/// Acknowledged (an offsetless acknowledgement too): the acknowledgement time is known.
pub(super) const ACKED: u8 = 16;
/// First read at `offset` (else at `Aside::seen`'s offset, or never read).
pub(super) const SEEN_AT_OK: u8 = 32;
pub(super) const PROCESSED_SHIFT: u8 = 6;
/// `ack_delta_ms` of an acknowledgement kept in `Aside::far_acks`.
const FAR: u16 = u16::MAX;

impl Default for ValState {
    fn default() -> Self {
        ValState {
            sent_ms: 0,
            offset: NONE32,
            ack_delta_ms: 0,
            p: 0,
            outcome: Outcome::Unknown,
            bits: 0,
        }
    }
}

impl ValState {
    /// The offset an acknowledgement named, `NONE32` if none did.
    pub(super) fn ok_offset(&self) -> u32 {
        if self.outcome == Outcome::Ok {
            self.offset
        } else {
            NONE32
        }
    }
    pub(super) fn has(&self, flag: u8) -> bool {
        self.bits & flag != 0
    }
    pub(super) fn set(&mut self, flag: u8) {
        self.bits |= flag;
    }
    fn clear(&mut self, flag: u8) {
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

/// The per-value facts that do not fit in `ValState`, by value. Both maps stay small: an
/// acknowledgement is rarely 65 s from its send, and a value read before its acknowledgement
/// arrived leaves `seen` when the acknowledgement names the offset it was read at.
#[derive(Debug, Default)]
pub(super) struct Aside {
    /// Acknowledgement time (ms) of the values whose `ack_delta_ms` is `FAR`.
    pub(super) far_acks: BTreeMap<u64, u32>,
    /// Offset of the first read of the values read, and not `SEEN_AT_OK`.
    pub(super) seen: BTreeMap<u64, u32>,
}

impl Aside {
    /// When `v` (state `s`) was last acknowledged (ms); 0 if never.
    #[inline]
    pub(super) fn ack_ms(&self, v: u64, s: &ValState) -> u32 {
        if !s.has(ACKED) {
            0
        } else if s.ack_delta_ms == FAR {
            self.far_acks.get(&v).copied().unwrap_or(0)
        } else {
            s.sent_ms + u32::from(s.ack_delta_ms)
        }
    }

    /// Record `v`'s acknowledgement at `ms`: as a delta from its first send when that fits.
    #[inline]
    pub(super) fn set_ack_ms(&mut self, v: u64, s: &mut ValState, ms: u32) {
        if s.has(ACKED) && s.ack_delta_ms == FAR {
            self.far_acks.remove(&v);
        }
        s.set(ACKED);
        match ms.checked_sub(s.sent_ms).map(u16::try_from) {
            Some(Ok(delta)) if delta != FAR => s.ack_delta_ms = delta,
            _ => {
                s.ack_delta_ms = FAR;
                self.far_acks.insert(v, ms);
            }
        }
    }

    /// The first send of `v` happens at `ms` (after an acknowledgement, which stays put).
    pub(super) fn set_sent_ms(&mut self, v: u64, s: &mut ValState, ms: u32) {
        let acked = s.has(ACKED).then(|| self.ack_ms(v, s));
        s.sent_ms = ms;
        if let Some(at) = acked {
            self.set_ack_ms(v, s, at);
        }
    }

    /// The offset `v` was first read at, `NONE32` if never.
    #[inline]
    pub(super) fn seen_offset(&self, v: u64, s: &ValState) -> u32 {
        if s.has(SEEN_AT_OK) {
            s.offset
        } else {
            self.seen.get(&v).copied().unwrap_or(NONE32)
        }
    }

    /// `v` read at `offset`: its first read is kept; returns true if an earlier read was at
    /// another offset.
    #[inline]
    pub(super) fn note_read(&mut self, v: u64, s: &mut ValState, offset: u32) -> bool {
        match self.seen_offset(v, s) {
            // Not acknowledged with an offset yet: the field holds the read's.
            NONE32 if s.outcome != Outcome::Ok => {
                s.offset = offset;
                s.set(SEEN_AT_OK);
            }
            NONE32 if s.offset == offset => s.set(SEEN_AT_OK),
            NONE32 => {
                self.seen.insert(v, offset);
            }
            first => return first != offset,
        }
        false
    }

    /// `v` acknowledged at `offset` (outcome `Ok`): a first read elsewhere — before this
    /// acknowledgement, or at an offset an earlier one named — moves aside, and one aside at
    /// `offset` comes back. A value read before its acknowledgement, at the offset it then names
    /// (the common case: the read and the acknowledgement both follow the HW), never goes aside.
    #[inline]
    pub(super) fn acknowledge_at(&mut self, v: u64, s: &mut ValState, offset: u32) {
        s.outcome = Outcome::Ok;
        if s.has(SEEN_AT_OK) {
            if s.offset != offset {
                s.clear(SEEN_AT_OK);
                self.seen.insert(v, s.offset);
            }
        } else if self.seen.get(&v) == Some(&offset) {
            self.seen.remove(&v);
            s.set(SEEN_AT_OK);
        }
        s.offset = offset;
    }
}

/// `v`'s state, created on first use. Inlined: the checker calls it for every record of every
/// send, acknowledgement, poll and processing event (the hottest path of a large run's checker).
#[inline]
pub(super) fn val_in(values: &mut Vec<Dense<ValState>>, v: u64) -> &mut ValState {
    let (prod, n) = split(v);
    if values.len() <= prod {
        add_producers(values, prod + 1);
    }
    values[prod].get_or_grow(n)
}

#[cold]
fn add_producers(values: &mut Vec<Dense<ValState>>, len: usize) {
    values.resize_with(len, Dense::default);
}
