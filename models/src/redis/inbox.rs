//! What a client receives: command replies (matched to what it sent), subscription
//! confirmations, and pub/sub messages, recorded as contiguous ranges per (subscription,
//! publisher); and how fast the application reads its socket (TCP window updates).

use super::client::{Client, Pending};
use super::msg::RCtx;
use super::msg::{Cmd, PubRange, RedisEvent, RedisMsg};
use super::reply::Reply;
use std::rc::Rc;

impl Client {
    pub(super) fn on_reply(&mut self, ctx: &mut RCtx, id: u64, reply: Reply) {
        if id == 0 {
            // A connection-level error (maxclients): answers the pending Connect step.
            if let Some(step) = self.connect_step.take() {
                self.step_reply(ctx, step, "connect", 0, &reply);
                self.pending
                    .retain(|_, p| !matches!(p, Pending::Step(s, ..) if *s == step));
            }
            return;
        }
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        let server = self.server();
        match p {
            Pending::Step(step, cmd, sent, _) => {
                if self.connect_step == Some(step) {
                    self.connect_step = None;
                }
                self.step_reply(ctx, step, cmd, sent, &reply);
                if let Reply::Array(subs) = &reply {
                    self.record_subscribed(ctx, subs);
                }
            }
            Pending::Subscribe => {
                if let Reply::Array(subs) = &reply {
                    self.record_subscribed(ctx, subs);
                }
            }
            Pending::Publish {
                first_seq,
                count,
                channel,
                step,
            } => {
                if let Some(step) = step {
                    self.step_reply(ctx, step, "publish", 0, &reply);
                }
                match reply {
                    Reply::Publish(runs) => ctx.record(RedisEvent::Published {
                        publisher: self.index,
                        channel,
                        first_seq,
                        runs,
                        server,
                        explicit: self.fixed.is_some(),
                    }),
                    _ => ctx.record(RedisEvent::PublishFailed {
                        publisher: self.index,
                        first_seq,
                        count,
                    }),
                }
            }
            Pending::Write { key, value } => match reply {
                Reply::Err(err) => ctx.record(RedisEvent::WriteErr {
                    client: self.index,
                    err,
                }),
                _ => {
                    let w = self.spec.write.as_ref().map_or(0, |w| w.wait_replicas);
                    if w > 0 {
                        let t = self.spec.write.as_ref().map_or(0, |w| w.wait_timeout_ms);
                        self.send(
                            ctx,
                            Cmd::Wait {
                                numreplicas: w,
                                timeout_ms: t,
                            },
                            Pending::Wait { key, value },
                        );
                    } else {
                        ctx.record(RedisEvent::WriteOk {
                            client: self.index,
                            key,
                            value,
                            server,
                            waited: None,
                        });
                    }
                }
            },
            Pending::Wait { key, value } => {
                let waited = if let Reply::Int(n) = reply {
                    Some(n)
                } else {
                    None
                };
                ctx.record(RedisEvent::WriteOk {
                    client: self.index,
                    key,
                    value,
                    server,
                    waited,
                });
            }
            Pending::XAdd { tag, key } => {
                if let Reply::Id(sid) = reply {
                    ctx.record(RedisEvent::StreamAdded {
                        client: self.index,
                        key,
                        id: sid.to_string(),
                        tag,
                        server,
                    });
                }
            }
            Pending::ReadGroup | Pending::AutoClaim => self.consume_entries(ctx, &reply),
            Pending::Ignore => {}
        }
    }

    pub(super) fn record_subscribed(&mut self, ctx: &mut RCtx, subs: &[Reply]) {
        for s in subs {
            if let Some(v) = s.items()
                && let [Reply::Bulk(kind), Reply::Bulk(name), _] = v
                && (kind == "subscribe" || kind == "psubscribe")
            {
                let server = self.server();
                let ev = RedisEvent::Subscribed {
                    client: self.index,
                    server,
                    name: name.clone(),
                    pattern: kind == "psubscribe",
                    epoch: self.epoch,
                };
                ctx.record(ev);
            } else if let Some(v) = s.items()
                && let [Reply::Bulk(kind), Reply::Bulk(name), _] = v
                && (kind == "unsubscribe" || kind == "punsubscribe")
            {
                ctx.record(RedisEvent::Unsubscribed {
                    client: self.index,
                    name: name.clone(),
                    pattern: kind == "punsubscribe",
                });
            }
        }
    }

    /// The application read `bytes`: once a quarter of the socket buffering is read, the
    /// client tells the server (a TCP window update), so more can be written.
    pub(super) fn consume(&mut self, ctx: &mut RCtx, bytes: u64) {
        self.unacked += bytes;
        if self.unacked >= self.socket_buffer / 4
            && let Some((conn, _)) = self.conn
        {
            ctx.send_conn(
                conn,
                RedisMsg::Consumed {
                    bytes: self.unacked,
                },
            );
            self.unacked = 0;
        }
    }

    /// Bytes arrived on the socket: read at once, or left for the paced reader.
    pub(super) fn read(&mut self, ctx: &mut RCtx, bytes: u64) {
        if self.reading && self.spec.read_rate_bytes_per_s.is_none() {
            self.consume(ctx, bytes);
        } else {
            self.unread += bytes;
        }
    }

    /// Received messages are recorded as ranges: a contiguous run from one publisher on one
    /// subscription is extended in place and written to the history when the run breaks, on
    /// disconnect, and at the end of the run (`unflushed`).
    #[inline]
    pub(super) fn received(&mut self, ctx: &mut RCtx, r: PubRange) {
        // The common case: the next range of an open run, found by pointer (every message on
        // one subscription shares the server's name).
        if let Some((_, run)) = self.runs.iter_mut().find(|((s, p), run)| {
            *p == r.publisher && Rc::ptr_eq(s, &r.sub) && run.1 == r.first_seq
        }) {
            run.1 += r.count as u64;
            return;
        }
        self.received_other(ctx, r);
    }

    /// `received` of a range that does not continue a run found by pointer.
    #[inline(never)]
    fn received_other(&mut self, ctx: &mut RCtx, r: PubRange) {
        let PubRange {
            sub,
            first_seq: first,
            publisher,
            count,
            ..
        } = r;
        let end = first + count as u64;
        // A subscriber has a few runs: a scan comparing the shared name by pointer first
        // beats an ordered-map lookup comparing strings.
        let found = self
            .runs
            .iter()
            .position(|((s, p), _)| *p == publisher && (Rc::ptr_eq(s, &sub) || **s == *sub));
        match found {
            Some(i) => {
                let r = &mut self.runs[i].1;
                if r.1 == first {
                    r.1 = end;
                } else {
                    let (a, b) = *r;
                    *r = (first, end);
                    self.record_run(ctx, &sub, publisher, a, b);
                }
            }
            None => {
                let key = (sub, publisher);
                let at = self.runs.partition_point(|(k, _)| *k < key);
                self.runs.insert(at, (key, (first, end)));
            }
        }
    }

    pub(super) fn record_run(&self, ctx: &mut RCtx, sub: &str, publisher: u32, a: u64, b: u64) {
        let mut first = a;
        while first < b {
            let count = (b - first).min(u32::MAX as u64) as u32;
            let ev = RedisEvent::Received {
                client: self.index,
                sub: sub.to_string(),
                publisher,
                first_seq: first,
                count,
            };
            ctx.record(ev);
            first += count as u64;
        }
    }

    pub(super) fn flush_runs(&mut self, ctx: &mut RCtx) {
        for ((sub, p), (a, b)) in std::mem::take(&mut self.runs) {
            self.record_run(ctx, &sub, p, a, b);
        }
    }

    /// Ranges received but not yet written to the history (for the checker at the end).
    pub fn unflushed(&self) -> Vec<(String, u32, u64, u64)> {
        self.runs
            .iter()
            .map(|((s, p), (a, b))| (s.to_string(), *p, *a, *b))
            .collect()
    }
}
