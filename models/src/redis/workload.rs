//! A client's steady workloads (docs/redis-config.md "Clients"): the publisher's pipelined batches,
//! the writer's SET (+ WAIT), the stream producer's XADD, the consumer-group poll
//! (XREADGROUP `>` and XAUTOCLAIM) and the paced reader of a slow subscriber. Each runs on its
//! own timer; a tick that falls while the client is disconnected is skipped, not queued.

use super::client::{Client, Pending};
use super::msg::Cmd;
use super::msg::RCtx;
use super::stream_id::{ReadFrom, StreamId};
use msgsim_sim::SimDuration;

pub(super) const T_PUBLISH: u64 = 2;
pub(super) const T_WRITE: u64 = 3;
pub(super) const T_XADD: u64 = 4;
pub(super) const T_POLL: u64 = 5;
pub(super) const T_READ: u64 = 6;

impl Client {
    /// What a workload timer is for, as trace files and pictures show it.
    pub(super) fn workload_timer_name(&self, tag: u64) -> &'static str {
        match tag {
            T_PUBLISH => "publish batch",
            T_WRITE => "SET tick",
            T_XADD => "XADD tick",
            T_POLL => "consumer-group poll",
            T_READ => "paced read",
            _ => "timer",
        }
    }

    /// The load generators' first timers (after the script steps and the first connect).
    pub(super) fn start_workloads(&mut self, ctx: &mut RCtx, now: u64) {
        let s = self.spec.clone();
        let start = |ms: u64| SimDuration::from_millis(ms.saturating_sub(now));
        if let Some(p) = &s.publish {
            ctx.set_timer(
                start(p.start_ms) + SimDuration::from_millis(p.batch_ms),
                T_PUBLISH,
            );
        }
        if let Some(w) = &s.write {
            ctx.set_timer(start(w.start_ms) + self.every(w.rate_per_s), T_WRITE);
        }
        if let Some(x) = &s.stream_produce {
            ctx.set_timer(start(x.start_ms) + self.every(x.rate_per_s), T_XADD);
        }
        if let Some(c) = &s.stream_consume {
            ctx.set_timer(SimDuration::from_millis(c.poll_ms), T_POLL);
        }
        if s.read_rate_bytes_per_s.is_some_and(|r| r > 0) {
            ctx.set_timer(SimDuration::from_millis(100), T_READ);
        }
    }

    /// A load generator's timer: publish batch, SET, XADD, consumer poll, paced read.
    pub(super) fn on_workload_timer(&mut self, ctx: &mut RCtx, tag: u64) {
        let s = self.spec.clone();
        match tag {
            T_PUBLISH => {
                let Some(p) = &s.publish else { return };
                if self.stopped {
                    return;
                }
                ctx.set_timer(SimDuration::from_millis(p.batch_ms), T_PUBLISH);
                self.publish_carry += p.rate_per_s * p.batch_ms;
                let count = (self.publish_carry / 1_000) as u32;
                self.publish_carry %= 1_000;
                if count == 0 || self.conn.is_none() {
                    return;
                }
                self.send_publish(ctx, p.channel.clone(), p.payload_bytes, count, None);
            }
            T_WRITE => {
                let Some(w) = &s.write else { return };
                if self.stopped || (w.stop_ms > 0 && ctx.now().as_millis() >= w.stop_ms) {
                    return;
                }
                ctx.set_timer(self.every(w.rate_per_s), T_WRITE);
                if self.conn.is_none() {
                    return;
                }
                self.next_write += 1;
                let value = (self.index as u64) << 40 | self.next_write;
                let key = format!("k{}:{}", self.index, self.next_write);
                self.send(
                    ctx,
                    Cmd::Set {
                        key: key.clone(),
                        value,
                        bytes: Some(16),
                    },
                    Pending::Write { key, value },
                );
            }
            T_XADD => {
                let Some(x) = &s.stream_produce else { return };
                if self.stopped {
                    return;
                }
                ctx.set_timer(self.every(x.rate_per_s), T_XADD);
                if self.conn.is_none() {
                    return;
                }
                let tag = self.tag();
                let cmd = Cmd::XAdd {
                    key: x.key.clone(),
                    id: None,
                    maxlen: x.maxlen,
                    minid: None,
                    approx: false,
                    limit: None,
                    tag,
                    bytes: x.payload_bytes,
                };
                self.send(
                    ctx,
                    cmd,
                    Pending::XAdd {
                        tag,
                        key: x.key.clone(),
                    },
                );
            }
            T_POLL => {
                let Some(c) = &s.stream_consume else { return };
                ctx.set_timer(SimDuration::from_millis(c.poll_ms), T_POLL);
                if self.conn.is_none()
                    || self
                        .pending
                        .values()
                        .any(|p| matches!(p, Pending::ReadGroup | Pending::AutoClaim))
                {
                    return;
                }
                let cmd = Cmd::XReadGroup {
                    key: c.key.clone(),
                    group: c.group.clone(),
                    consumer: c.consumer.clone(),
                    id: ReadFrom::New,
                    count: c.count,
                    noack: false,
                    block_ms: None,
                };
                self.send(ctx, cmd, Pending::ReadGroup);
                if c.claim_idle_ms > 0 {
                    let cmd = Cmd::XAutoClaim {
                        key: c.key.clone(),
                        group: c.group.clone(),
                        consumer: c.consumer.clone(),
                        min_idle_ms: c.claim_idle_ms,
                        start: StreamId::ZERO,
                        count: c.count,
                        justid: false,
                    };
                    self.send(ctx, cmd, Pending::AutoClaim);
                }
            }
            T_READ => {
                let Some(r) = s.read_rate_bytes_per_s else {
                    return;
                };
                ctx.set_timer(SimDuration::from_millis(100), T_READ);
                if self.reading {
                    let n = self.unread.min(r / 10);
                    self.unread -= n;
                    self.consume(ctx, n);
                }
            }
            _ => {}
        }
    }

    pub(super) fn every(&self, rate: u64) -> SimDuration {
        SimDuration::from_nanos(1_000_000_000 / rate.max(1))
    }
}
