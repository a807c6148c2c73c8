//! Script steps of a client: timed Redis commands with the reply they must get (rendered like
//! redis-cli), and the stream-consumer reply handling (XACK, dead-letter by delivery count).

use super::client::{Client, Pending};
use super::msg::RCtx;
use super::msg::{Cmd, RedisEvent};
use super::reply::Reply;
use std::sync::Arc;

impl Client {
    pub(super) fn run_step(&mut self, ctx: &mut RCtx, idx: u32) {
        let Some((_, step)) = self.steps.iter().find(|(i, _)| *i == idx).cloned() else {
            return;
        };
        let cmd = match step.cmd {
            Cmd::Connect => {
                self.manual_down = false;
                if self.conn.is_none() {
                    self.connect(ctx);
                }
                self.connect_step = Some(idx);
                Cmd::Ping
            }
            Cmd::Disconnect => {
                self.manual_down = true;
                if let Some((conn, _)) = self.conn.take() {
                    ctx.close(conn);
                    self.closed(ctx);
                }
                return;
            }
            Cmd::StopReading => {
                self.reading = false;
                return;
            }
            Cmd::StartReading => {
                self.reading = true;
                self.consume(ctx, self.unread);
                self.unread = 0;
                return;
            }
            Cmd::Publish {
                channel,
                payload_bytes,
                count,
                ..
            } => {
                if self.conn.is_none() && !self.manual_down {
                    self.connect(ctx);
                }
                self.send_publish(ctx, channel, payload_bytes, count, Some(idx));
                return;
            }
            // The message identity the checkers follow.
            Cmd::XAdd {
                key,
                id,
                maxlen,
                minid,
                approx,
                limit,
                bytes,
                ..
            } => Cmd::XAdd {
                key,
                id,
                maxlen,
                minid,
                approx,
                limit,
                tag: self.tag(),
                bytes,
            },
            // The server name resolves to its node (an unknown name acts as NO ONE).
            Cmd::ReplicaOf { primary, .. } => Cmd::ReplicaOf {
                node: primary.as_ref().and_then(|p| self.names.get(p).copied()),
                primary,
            },
            // CLIENT KILL ADDR / ID: the named client's address is its node; LADDR: the named
            // server's.
            Cmd::ClientKill {
                client,
                client_type,
                id,
                laddr,
                user,
                max_age_s,
                ..
            } => Cmd::ClientKill {
                node: client.as_ref().and_then(|c| self.names.get(c).copied()),
                id_node: id.as_ref().and_then(|c| self.names.get(c).copied()),
                laddr_node: laddr.as_ref().and_then(|c| self.names.get(c).copied()),
                client,
                client_type,
                id,
                laddr,
                user,
                max_age_s,
            },
            cmd => cmd,
        };
        if self.conn.is_none() && !self.manual_down {
            self.connect(ctx);
        }
        let name = cmd.name();
        let now = ctx.now().as_nanos() / 1_000;
        let held = cmd.may_block();
        self.send(ctx, cmd, Pending::Step(idx, name, now, held));
    }

    /// `count` pipelined PUBLISHes with the next message sequence numbers: a workload batch
    /// (`step: None`) or a script step, whose reply is also checked.
    pub(super) fn send_publish(
        &mut self,
        ctx: &mut RCtx,
        channel: Arc<str>,
        payload_bytes: u64,
        count: u32,
        step: Option<u32>,
    ) {
        let first_seq = self.next_seq;
        self.next_seq += count as u64;
        let cmd = Cmd::Publish {
            channel: channel.clone(),
            payload_bytes,
            count,
            publisher: self.index,
            first_seq,
        };
        let pending = Pending::Publish {
            first_seq,
            count,
            channel,
            step,
        };
        self.send(ctx, cmd, pending);
    }

    pub(super) fn tag(&mut self) -> u64 {
        self.next_tag += 1;
        (self.index as u64) << 40 | self.next_tag
    }

    pub(super) fn step_reply(
        &mut self,
        ctx: &mut RCtx,
        step: u32,
        cmd: &'static str,
        sent_us: u64,
        reply: &Reply,
    ) {
        let expected = self
            .steps
            .iter()
            .find(|(i, _)| *i == step)
            .and_then(|(_, s)| s.expect.clone());
        // HELLO 2 / 3 answered: the connection speaks that protocol from this reply on (the
        // server switched before writing it, networking.c `helloCommand`).
        if let Some((_, st)) = self.steps.iter().find(|(i, _)| *i == step)
            && let Cmd::Hello {
                protover: Some(v), ..
            } = st.cmd
            && !reply.is_err()
        {
            self.resp3 = v == 3;
        }
        // Enough of a long value to compare with the expectation, and a few KiB more to show.
        let cap = expected.as_ref().map_or(0, |e| e.len() as u64) + 4096;
        let text = reply.render_capped(cap, self.resp3);
        let ok = expected
            .as_deref()
            .is_none_or(|e| match e.strip_suffix('*') {
                Some(prefix) => text.starts_with(prefix),
                None => text == e,
            });
        let latency_us = (ctx.now().as_nanos() / 1_000).saturating_sub(sent_us);
        // The messages read before this reply go into the history before it, so the history
        // keeps where pushes fall between a client's replies (the wire order: a PUBLISH's
        // messages are in every subscriber's output buffer before the publisher's own reply,
        // pubsub.c `publishCommand`; the server's output buffer is one list, `Frame`s in order).
        self.flush_runs(ctx);
        ctx.record(RedisEvent::Step {
            step,
            resp: reply.resp_in(self.resp3),
            cmd,
            reply: text,
            expected,
            ok,
            latency_us,
        });
        // A scripted SET acknowledged with OK is an acknowledged write for the checkers (its
        // key named with the database SELECTed, `dataset::db_key`).
        let set = self
            .steps
            .iter()
            .find(|(i, _)| *i == step)
            .and_then(|(_, st)| match &st.cmd {
                Cmd::Set { key, value, .. } => Some((key.clone(), *value)),
                Cmd::Select { db } if *reply == Reply::Ok => {
                    self.db = *db as u32;
                    None
                }

                _ => None,
            });
        if let (Reply::Ok, Some((key, value))) = (reply, set) {
            let ev = RedisEvent::WriteOk {
                client: self.index,
                key: super::dataset::db_key(self.db, key),
                value,
                server: self.server(),
                waited: None,
            };
            ctx.record(ev);
        }
        if let (Reply::Int(n), "wait") = (reply, cmd) {
            ctx.record(RedisEvent::Waited {
                client: self.index,
                replicas: *n,
            });
        }
    }

    pub(super) fn consume_entries(&mut self, ctx: &mut RCtx, reply: &Reply) {
        let Some(c) = self.spec.stream_consume.clone() else {
            return;
        };
        let mut acks = Vec::new();
        for (id, tag, count) in reply.entries() {
            let Some(tag) = tag else {
                acks.push(id);
                continue;
            };
            ctx.record(RedisEvent::StreamDelivered {
                client: self.index,
                key: c.key.clone(),
                tag,
                count,
            });
            let poison = c.fail_every > 0 && (tag & 0xff_ffff_ffff).is_multiple_of(c.fail_every);
            if poison
                && c.dead_letter_after > 0
                && count >= c.dead_letter_after
                && self.dead.insert(tag)
            {
                let dlq = Cmd::XAdd {
                    key: format!("{}:dlq", c.key),
                    id: None,
                    maxlen: None,
                    minid: None,
                    approx: false,
                    limit: None,
                    tag,
                    bytes: 100,
                };
                self.send(ctx, dlq, Pending::Ignore);
                ctx.record(RedisEvent::DeadLettered {
                    client: self.index,
                    tag,
                });
                acks.push(id);
            } else if !poison {
                self.processed.insert(tag);
                acks.push(id);
                ctx.record(RedisEvent::StreamAcked {
                    client: self.index,
                    key: c.key.clone(),
                    tag,
                });
            }
        }
        if !acks.is_empty() {
            self.send(
                ctx,
                Cmd::XAck {
                    key: c.key.clone(),
                    group: c.group.clone(),
                    ids: acks,
                },
                Pending::Ignore,
            );
        }
    }
}
