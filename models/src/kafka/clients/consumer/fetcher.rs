//! The consumer's fetcher (the Java client's Fetcher and OffsetFetcher): one fetch request per
//! partition leader for the assigned partitions at their positions, records up to the HW (the
//! LSO under read_committed) buffered for the application, and auto.offset.reset on
//! OFFSET_OUT_OF_RANGE.

use super::{Chunks, Consumer};
use crate::kafka::config::OffsetReset;
use crate::kafka::wire::msg::{FetchPart, FetchResult, KEvent, KMsg};
use crate::kafka::wire::values::Values;
use msgsim_sim::{Ctx, NodeId, SimDuration};

impl Consumer {
    pub(super) fn ensure_fetches(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let Some(md) = self.md.clone() else {
            self.request_metadata(ctx);
            return;
        };
        // (leader, part) for the partitions whose leader has no fetch in flight
        // (AbstractFetch.prepareFetchRequests skips nodes with a pending fetch request).
        let mut wanted: Vec<(u32, FetchPart)> = Vec::new();
        let mut leaderless = false;
        for &p in &self.assignment {
            let st = &md.parts[p as usize];
            // Most partitions' leaders have a fetch in flight (the steady state): skipped
            // before the position lookups, as they would be after them.
            if st.leader.is_some_and(|l| self.fetches.contains_key(&l)) {
                continue;
            }
            if self.stopped.contains(&p) {
                continue;
            }
            let Some(Some(pos)) = self.positions.get(&p) else {
                continue;
            };
            // AbstractFetch.prepareFetchRequests: a position whose partition has no known
            // leader requests a metadata update (paced by retry.backoff.ms) and is skipped.
            let Some(leader) = st.leader else {
                leaderless = true;
                continue;
            };
            // KIP-320 (SubscriptionState.maybeValidatePositionForCurrentLeader): a position
            // fetched under an older leader epoch is validated against the new leader before
            // it fetches on. The model folds the OffsetsForLeaderEpoch round into the fetch:
            // the offset epoch rides along once, as `last_fetched_epoch`.
            let validate = match self.epochs.get(&p) {
                Some(&(offset_epoch, fetched_under)) if !self.cfg.no_fetch_epoch_fencing => {
                    (fetched_under != st.leader_epoch).then_some(offset_epoch)
                }
                _ => None,
            };
            let part = FetchPart {
                p,
                current_leader_epoch: Some(st.leader_epoch),
                fetch_offset: *pos,
                last_fetched_epoch: validate,
            };
            wanted.push((leader, part));
        }
        // One request per leader, leaders in ascending order, each leader's partitions in
        // assignment order (a stable sort keeps it).
        wanted.sort_by_key(|&(leader, _)| leader);
        let mut wanted = wanted.into_iter().peekable();
        while let Some((leader, first)) = wanted.next() {
            let mut parts = vec![first];
            while let Some((_, part)) = wanted.next_if(|&(l, _)| l == leader) {
                parts.push(part);
            }
            let req = self.req();
            let msg = KMsg::ConsumerFetch {
                req,
                max_wait_ms: self.cfg.fetch_max_wait_ms,
                parts,
                read_committed: self.read_committed,
            };
            let timeout_ms = crate::kafka::clients::metadata_pacing::answer_timeout_ms(
                &self.peers,
                NodeId(leader),
                self.cfg.consumer_request_timeout_ms,
            );
            self.peers.send(ctx, NodeId(leader), msg);
            let deadline = ctx.now() + SimDuration::from_millis(timeout_ms);
            self.fetches
                .insert(leader, (req, self.generation, deadline));
        }
        if leaderless {
            self.request_metadata(ctx);
        }
    }

    /// auto.offset.reset after OFFSET_OUT_OF_RANGE or with no committed offset.
    pub(super) fn reset(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        p: u32,
        from: u64,
        log_start: u64,
        hw: u64,
    ) {
        let to = match self.cfg.auto_offset_reset {
            OffsetReset::Earliest => Some(log_start),
            OffsetReset::Latest => Some(hw),
            OffsetReset::None => None,
        };
        ctx.sometimes("kafka:offset_reset");
        self.epochs.remove(&p);
        ctx.record(KEvent::OffsetReset {
            consumer: self.idx,
            p,
            from,
            to,
        });
        match to {
            Some(o) => {
                self.positions.insert(p, Some(o));
            }
            None => {
                self.stopped.insert(p);
            }
        }
    }

    pub(super) fn on_fetch_resp(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        from: NodeId,
        req: u64,
        parts: Vec<(u32, FetchResult)>,
    ) {
        let Some(&(r, generation, _)) = self.fetches.get(&from.0) else {
            return;
        };
        if r != req {
            return;
        }
        self.fetches.remove(&from.0);
        if generation != self.generation {
            return;
        }
        // The application's poll() loop runs even when nothing arrives.
        if self.processing.is_none() && self.awaiting_commit.is_none() {
            self.maybe_auto_commit(ctx);
        }
        for (p, result) in parts {
            let Some(&Some(pos)) = self.positions.get(&p) else {
                continue;
            };
            match result {
                FetchResult::Records {
                    batches,
                    hw,
                    aborted,
                    ..
                } => {
                    let mut next = pos;
                    let mut chunk = OpenChunk::default();
                    let fetched_under =
                        self.md.as_ref().map(|md| md.parts[p as usize].leader_epoch);
                    for b in batches {
                        let start = next.max(b.base_offset);
                        let end = b.next_offset().min(hw);
                        if end > start
                            && let Some(under) = fetched_under
                        {
                            self.epochs.insert(p, (b.leader_epoch, under));
                        }
                        // Offsets may jump forward over records the log cleaner removed (a
                        // fetch at a removed offset returns the next higher record).
                        if start >= end || (start != next && !self.cfg.may_compact()) {
                            continue;
                        }
                        // Control markers, and aborted records under read_committed, are
                        // skipped: the position moves past them.
                        if !crate::kafka::wire::records::visible(&b, &aborted, self.read_committed)
                        {
                            next = end;
                            continue;
                        }
                        let slice = &b.values
                            [(start - b.base_offset) as usize..(end - b.base_offset) as usize];
                        chunk.append(&mut self.buffer, p, start, slice);
                        next = end;
                    }
                    chunk.flush(&mut self.buffer);
                    // Validated (or nothing new): the position now counts as fetched under
                    // the current leader epoch.
                    if let (Some(e), Some(under)) = (self.epochs.get_mut(&p), fetched_under) {
                        e.1 = under;
                    }
                    self.positions.insert(p, Some(next));
                }
                // SubscriptionState.maybeCompleteValidation: the leader's log ends the
                // position's epoch below the position — the records after it were truncated
                // (a leader change after an acks=1 or power-loss write). With a reset policy the
                // consumer seeks to the first offset known to diverge and reads what the new
                // leader holds there; with none it would throw LogTruncationException.
                FetchResult::Diverging { end_offset, .. } if end_offset < pos => {
                    ctx.sometimes("kafka:consumer_truncation_detected");
                    self.epochs.remove(&p);
                    if self.cfg.auto_offset_reset == OffsetReset::None {
                        ctx.record(KEvent::OffsetReset {
                            consumer: self.idx,
                            p,
                            from: pos,
                            to: None,
                        });
                        self.stopped.insert(p);
                    } else {
                        ctx.record(KEvent::Seek { consumer: self.idx });
                        self.positions.insert(p, Some(end_offset));
                        self.buffer.retain(|c| c.0 != p);
                        if let Some(c) = self.consumed.get_mut(&p) {
                            *c = (*c).min(end_offset);
                        }
                    }
                }
                FetchResult::OutOfRange { log_start, hw, .. } => {
                    ctx.sometimes("kafka:consumer_offset_out_of_range");
                    self.reset(ctx, p, pos, log_start, hw);
                }
                FetchResult::Error(_) | FetchResult::Diverging { .. } => {
                    self.md = None;
                }
            }
        }
        self.step(ctx);
    }
}

/// The buffer's last chunk while a fetch response's batches of one partition are appended to
/// it. Contiguous records of one partition travel as one chunk; the chunk grows in a `Vec` and
/// becomes `Values` once per response, because rebuilding it per batch copied it whole each
/// time — quadratic in a catch-up fetch of many one-record batches (a consumer behind by an
/// hour of `k12-time-retention`'s 10 records/s spent a third of its run copying).
#[derive(Default)]
struct OpenChunk(Option<(u32, u64, Vec<u64>)>);

impl OpenChunk {
    /// Records `slice` of partition `p` from offset `start`: onto the open chunk, or onto the
    /// buffer's last chunk when they follow it, else as a new chunk.
    fn append(&mut self, buffer: &mut Chunks, p: u32, start: u64, slice: &[u64]) {
        if let Some((q, from, vals)) = &mut self.0
            && *q == p
            && *from + vals.len() as u64 == start
        {
            vals.extend_from_slice(slice);
            return;
        }
        self.flush(buffer);
        self.0 = Some(match buffer.back() {
            Some(last) if last.0 == p && last.1 + last.2.len() as u64 == start => {
                let (q, from, vals) = buffer.pop_back().expect("a last chunk");
                let mut vals = vals.to_vec();
                vals.extend_from_slice(slice);
                (q, from, vals)
            }
            _ => (p, start, slice.to_vec()),
        });
    }

    /// The open chunk back into the buffer, as `Values`.
    fn flush(&mut self, buffer: &mut Chunks) {
        if let Some((p, from, vals)) = self.0.take() {
            buffer.push_back((p, from, Values::from(vals)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Chunks, OpenChunk};
    use crate::kafka::wire::values::Values;

    fn chunks(buffer: &Chunks) -> Vec<(u32, u64, Vec<u64>)> {
        buffer
            .iter()
            .map(|(p, from, v)| (*p, *from, v.to_vec()))
            .collect()
    }

    #[test]
    fn contiguous_records_of_a_partition_join_one_chunk_and_others_start_their_own() {
        let mut buffer = Chunks::new();
        buffer.push_back((0, 10, Values::from(vec![1, 2])));
        let mut open = OpenChunk::default();
        // Offsets 12.. follow the buffered chunk of partition 0: joined to it.
        open.append(&mut buffer, 0, 12, &[3]);
        open.append(&mut buffer, 0, 13, &[4, 5]);
        // A gap (a compacted-away offset) starts a new chunk; so does another partition.
        open.append(&mut buffer, 0, 16, &[6]);
        open.append(&mut buffer, 1, 17, &[7]);
        open.flush(&mut buffer);
        let want = vec![
            (0, 10, vec![1, 2, 3, 4, 5]),
            (0, 16, vec![6]),
            (1, 17, vec![7]),
        ];
        assert_eq!(chunks(&buffer), want);
        // A later response's first records that follow the last chunk join it too.
        let mut open = OpenChunk::default();
        open.append(&mut buffer, 1, 18, &[8, 9]);
        open.flush(&mut buffer);
        assert_eq!(chunks(&buffer).last(), Some(&(1, 17, vec![7, 8, 9])));
        assert_eq!(buffer.len(), 3);
    }
}
