//! Pub/Sub on a server: PUBLISH fan-out to the clients subscribed to a channel or a matching
//! pattern, SUBSCRIBE / PSUBSCRIBE and their UNSUBSCRIBE forms. Channels are server-wide:
//! the logical database a client SELECTed plays no part (pubsub.c).

use super::msg::KillReason;
use super::msg::PubRange;
use super::output::{mark_pending, pubsub_limits};
use super::reply::Reply;
use super::server::Server;
use msgsim_sim::ConnId;
use std::rc::Rc;

impl Server {
    /// PUBLISH fan-out on this node (pubsub.c `pubsubPublishMessageInternal`): one range per
    /// (client, matching channel or pattern) appended to its output buffer; returns the
    /// receivers of each message and the bytes queued.
    pub(super) fn fanout(
        &mut self,
        channel: &str,
        payload: u64,
        count: u32,
        publisher: u32,
        first_seq: u64,
    ) -> (i64, u64) {
        let Server {
            registry,
            clients,
            pending_out,
            to_close,
            cfg,
            now_s,
            ..
        } = self;
        // ["message", ch, payload] in RESP: about 40 bytes of framing.
        let bytes_each = payload + channel.len() as u64 + 40;
        // Every client in a subscriber set is subscribed: its buffer is in the pubsub class.
        let l = pubsub_limits(cfg);
        let (mut fan_bytes, mut receivers) = (0, 0i64);
        registry.for_each_target_set(channel, |set, sub, pattern| {
            receivers += set.len() as i64;
            // ["pmessage", pattern, ch, payload]: the pattern and its framing on top.
            let extra = if pattern { sub.len() as u64 + 12 } else { 0 };
            let range = PubRange {
                sub: sub.clone(),
                first_seq,
                publisher,
                count,
                bytes_each: bytes_each + extra,
            };
            clients.for_each_of(set.iter().copied(), set.len(), |conn, c| {
                debug_assert!(c.subscriptions() > 0, "a subscriber set holds subscribers");
                let (n, flagged) = c.enqueue_messages(&range, l, *now_s);
                fan_bytes += n as u64 * range.bytes_each;
                if n > 0 {
                    mark_pending(pending_out, conn, c);
                }
                if flagged {
                    to_close.push((conn, KillReason::OutputBuffer));
                }
            });
        });
        // A client flagged CLOSE_ASAP stays subscribed (and counted) until it is freed before
        // the next event-loop iteration.
        (receivers, fan_bytes)
    }

    pub(super) fn subscribe(&mut self, conn: ConnId, names: Vec<String>, pattern: bool) -> Reply {
        let mut out = Vec::new();
        for name in names {
            let name: Rc<str> = Rc::from(name.as_str());
            let c = self.clients.get_mut(&conn).expect("client");
            let map = if pattern {
                &mut self.registry.patterns
            } else {
                &mut self.registry.channels
            };
            let new = if pattern {
                c.patterns.insert(name.clone())
            } else {
                c.channels.insert(name.clone())
            };
            if new {
                map.entry(name.clone()).or_default().insert(conn);
            }
            let kind = if pattern { "psubscribe" } else { "subscribe" };
            out.push(Reply::Push(vec![
                Reply::Bulk(kind.into()),
                Reply::Bulk(name.to_string()),
                Reply::Int(c.subscriptions() as i64),
            ]));
        }
        Reply::Array(out)
    }

    /// UNSUBSCRIBE / PUNSUBSCRIBE (pubsub.c `pubsubUnsubscribeChannel`): one confirmation per
    /// name with the subscriptions left; without names every channel (pattern) the client
    /// has, in order, or `[unsubscribe, nil, n]` when it has none
    /// (`pubsubUnsubscribeAllChannels`).
    pub(super) fn unsubscribe(&mut self, conn: ConnId, names: Vec<String>, pattern: bool) -> Reply {
        let kind = if pattern {
            "punsubscribe"
        } else {
            "unsubscribe"
        };
        let c = self.clients.get_mut(&conn).expect("client");
        let names: Vec<String> = if !names.is_empty() {
            names
        } else if pattern {
            c.patterns.iter().map(|n| n.to_string()).collect()
        } else {
            c.channels.iter().map(|n| n.to_string()).collect()
        };
        if names.is_empty() {
            return Reply::Array(vec![Reply::Push(vec![
                Reply::Bulk(kind.into()),
                Reply::Nil,
                Reply::Int(c.subscriptions() as i64),
            ])]);
        }
        let mut out = Vec::new();
        for name in names {
            let c = self.clients.get_mut(&conn).expect("client");
            let (mine, map) = if pattern {
                (&mut c.patterns, &mut self.registry.patterns)
            } else {
                (&mut c.channels, &mut self.registry.channels)
            };
            if mine.remove(name.as_str())
                && let Some(set) = map.get_mut(name.as_str())
            {
                set.remove(&conn);
                if set.is_empty() {
                    map.remove(name.as_str());
                }
            }
            out.push(Reply::Push(vec![
                Reply::Bulk(kind.into()),
                Reply::Bulk(name),
                Reply::Int(c.subscriptions() as i64),
            ]));
        }
        Reply::Array(out)
    }
}
