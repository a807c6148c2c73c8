//! The consumer's committed offsets (ConsumerCoordinator): commitSync with its retries until
//! default.api.timeout.ms, the auto-commit inside poll(), and what follows a commit's answer
//! (CommitFailedException revokes everything and rejoins).

use super::{Consumer, DEFAULT_API_TIMEOUT_MS, T_COMMIT_TIMEOUT};
use crate::kafka::wire::msg::{KEvent, KMsg, tag};
use msgsim_sim::{Ctx, SimDuration};

impl Consumer {
    /// OffsetCommit of everything consumed so far, to the group coordinator; returns its
    /// request id.
    pub(super) fn send_offset_commit(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) -> u64 {
        let req = self.req();
        let offsets = self.consumed.iter().map(|(p, o)| (*p, *o)).collect();
        let msg = KMsg::OffsetCommit {
            req,
            member: self.idx,
            generation: self.generation,
            offsets,
        };
        let gc = self.gc();
        self.peers.send(ctx, gc, msg);
        req
    }

    pub(super) fn commit_sync(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        self.commit_deadline = ctx.now() + SimDuration::from_millis(DEFAULT_API_TIMEOUT_MS);
        self.commit_attempt(ctx);
    }

    /// One OffsetCommit attempt of commitSync. ConsumerCoordinator.commitOffsetsSync retries a
    /// retriable failure — the coordinator's connection closing under the request
    /// (DisconnectException), or no answer — until default.api.timeout.ms; a fresh connection
    /// must be set up within socket.connection.setup.timeout.ms (KIP-601).
    pub(super) fn commit_attempt(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let timeout_ms = crate::kafka::clients::metadata_pacing::answer_timeout_ms(
            &self.peers,
            self.gc(),
            self.cfg.consumer_request_timeout_ms,
        );
        let req = self.send_offset_commit(ctx);
        let timer = ctx.set_timer(
            SimDuration::from_millis(timeout_ms),
            tag(T_COMMIT_TIMEOUT, req),
        );
        self.awaiting_commit = Some((req, timer));
    }

    /// ConsumerCoordinator.maybeAutoCommitOffsetsAsync: inside every poll() (also one that
    /// returns nothing), once the interval passed, commit what earlier polls returned.
    pub(super) fn maybe_auto_commit(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now = ctx.now();
        if !self.auto()
            || self.generation == 0
            || now.saturating_since(self.last_auto_commit)
                < SimDuration::from_millis(self.cfg.auto_commit_interval_ms)
        {
            return;
        }
        self.last_auto_commit = now;
        if !self.consumed.is_empty() {
            self.send_offset_commit(ctx);
        }
    }

    pub(super) fn after_commit(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, ok: bool) {
        if !ok {
            // CommitFailedException: the partitions may already belong to another member.
            self.commits_failed += 1;
            self.to_process = None;
            self.generation = 0;
            self.revoke_all();
            self.step(ctx);
            return;
        }
        if let Some(chunks) = self.to_process.take() {
            self.start_processing(ctx, chunks);
        } else {
            self.step(ctx);
        }
    }
}
