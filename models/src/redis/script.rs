//! Script steps of a client: timed Redis commands with the reply they must get (rendered like
//! redis-cli), and the stream-consumer reply handling (XACK, dead-letter by delivery count).

use super::client::{Client, Pending};
use super::config::ScriptCmd;
use super::msg::{Cmd, RedisEvent, Reply};
use super::server::RCtx;
use super::stream::StreamId;

impl Client {
    pub(super) fn run_step(&mut self, ctx: &mut RCtx, idx: u32) {
        let Some((_, step)) = self.steps.iter().find(|(i, _)| *i == idx).cloned() else {
            return;
        };
        let id = |s: &str| StreamId::parse(s).unwrap_or_default();
        let cmd = match step.cmd {
            ScriptCmd::Connect => {
                self.manual_down = false;
                if self.conn.is_none() {
                    self.connect(ctx);
                }
                self.connect_step = Some(idx);
                Cmd::Ping
            }
            ScriptCmd::Disconnect => {
                self.manual_down = true;
                if let Some((conn, _)) = self.conn.take() {
                    ctx.close(conn);
                    self.closed(ctx);
                }
                return;
            }
            ScriptCmd::StopReading => {
                self.reading = false;
                return;
            }
            ScriptCmd::StartReading => {
                self.reading = true;
                self.consume(ctx, self.unread);
                self.unread = 0;
                return;
            }
            ScriptCmd::Ping => Cmd::Ping,
            ScriptCmd::Set { key, value, bytes } => Cmd::Set { key, value, bytes },
            ScriptCmd::Get { key } => Cmd::Get { key },
            ScriptCmd::Incr { key } => Cmd::Incr { key },
            ScriptCmd::Del { key } => Cmd::Del { key },
            ScriptCmd::Publish {
                channel,
                payload_bytes,
                count,
            } => {
                let first_seq = self.next_seq;
                self.next_seq += count as u64;
                let cmd = Cmd::Publish {
                    channel: channel.clone(),
                    payload_bytes,
                    count,
                    publisher: self.index,
                    first_seq,
                };
                if self.conn.is_none() && !self.manual_down {
                    self.connect(ctx);
                }
                self.pending_step_publish(ctx, idx, cmd, first_seq, count, channel);
                return;
            }
            ScriptCmd::Subscribe { channels } => Cmd::Subscribe { channels },
            ScriptCmd::Psubscribe { patterns } => Cmd::Psubscribe { patterns },
            ScriptCmd::Unsubscribe { channels } => Cmd::Unsubscribe { channels },
            ScriptCmd::Wait {
                numreplicas,
                timeout_ms,
            } => Cmd::Wait {
                numreplicas,
                timeout_ms,
            },
            ScriptCmd::XAdd {
                key,
                id: i,
                maxlen,
                minid,
                bytes,
            } => {
                let tag = self.tag();
                Cmd::XAdd {
                    key,
                    id: i.as_deref().map(id),
                    maxlen,
                    minid: minid.as_deref().map(id),
                    tag,
                    bytes,
                }
            }
            ScriptCmd::XRead { key, after, count } => Cmd::XRead {
                key,
                after: after.as_deref().map(id).unwrap_or_default(),
                count,
            },
            ScriptCmd::XGroupCreate { key, group, id: i } => Cmd::XGroupCreate {
                key,
                group,
                id: (i != "$").then(|| id(&i)),
            },
            ScriptCmd::XReadGroup {
                key,
                group,
                consumer,
                id: i,
                count,
            } => Cmd::XReadGroup {
                key,
                group,
                consumer,
                id: (i != ">").then(|| id(&i)),
                count,
                noack: false,
            },
            ScriptCmd::XAck { key, group, ids } => Cmd::XAck {
                key,
                group,
                ids: ids.iter().map(|s| id(s)).collect(),
            },
            ScriptCmd::XClaim {
                key,
                group,
                consumer,
                min_idle_ms,
                ids,
                justid,
            } => Cmd::XClaim {
                key,
                group,
                consumer,
                min_idle_ms,
                ids: ids.iter().map(|s| id(s)).collect(),
                justid,
            },
            ScriptCmd::XAutoClaim {
                key,
                group,
                consumer,
                min_idle_ms,
                start,
                count,
                justid,
            } => Cmd::XAutoClaim {
                key,
                group,
                consumer,
                min_idle_ms,
                start: id(&start),
                count,
                justid,
            },
            ScriptCmd::XPending { key, group } => Cmd::XPending { key, group },
            ScriptCmd::XLen { key } => Cmd::XLen { key },
            ScriptCmd::ReplicaOf { primary } => Cmd::ReplicaOf {
                primary: primary.and_then(|p| self.names.get(&p).copied()),
            },
        };
        if self.conn.is_none() && !self.manual_down {
            self.connect(ctx);
        }
        let name = cmd.name();
        let now = ctx.now().as_nanos() / 1_000;
        self.send(ctx, cmd, Pending::Step(idx, name, now));
    }

    pub(super) fn pending_step_publish(
        &mut self,
        ctx: &mut RCtx,
        idx: u32,
        cmd: Cmd,
        first_seq: u64,
        count: u32,
        channel: String,
    ) {
        // A scripted PUBLISH is both a step (reply checked) and a published batch.
        self.send(
            ctx,
            cmd,
            Pending::Publish {
                first_seq,
                count,
                channel,
                step: Some(idx),
            },
        );
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
        let text = reply.render();
        let ok = expected
            .as_deref()
            .is_none_or(|e| match e.strip_suffix('*') {
                Some(prefix) => text.starts_with(prefix),
                None => text == e,
            });
        let latency_us = (ctx.now().as_nanos() / 1_000).saturating_sub(sent_us);
        ctx.record(RedisEvent::Step {
            step,
            cmd,
            reply: text,
            expected,
            ok,
            latency_us,
        });
        // A scripted SET acknowledged with OK is an acknowledged write for the checkers.
        let set = self
            .steps
            .iter()
            .find(|(i, _)| *i == step)
            .and_then(|(_, st)| match &st.cmd {
                ScriptCmd::Set { key, value, .. } => Some((key.clone(), *value)),
                _ => None,
            });
        if let (Reply::Ok, Some((key, value))) = (reply, set) {
            let ev = RedisEvent::WriteOk {
                client: self.index,
                key,
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
