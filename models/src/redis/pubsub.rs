//! Pub/Sub on one node: channel and pattern subscriptions, PUBLISH fan-out into client output
//! buffers, and the output-buffer limits (pubsub class hard / soft + seconds).

use super::msg::{Frame, PubRange};
use msgsim_sim::ConnId;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

/// Glob matching as in util.c `stringmatchlen`: `*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x`.
pub fn glob(pat: &[u8], s: &[u8]) -> bool {
    if pat.is_empty() {
        return s.is_empty();
    }
    match pat[0] {
        b'*' => {
            let rest = &pat[1..];
            (0..=s.len()).any(|i| glob(rest, &s[i..]))
        }
        b'?' => !s.is_empty() && glob(&pat[1..], &s[1..]),
        b'[' => {
            if s.is_empty() {
                return false;
            }
            let mut i = 1;
            let negate = pat.get(1) == Some(&b'^');
            if negate {
                i += 1;
            }
            let mut matched = false;
            while i < pat.len() && pat[i] != b']' {
                if pat[i] == b'\\' && i + 1 < pat.len() {
                    matched |= pat[i + 1] == s[0];
                    i += 2;
                } else if i + 2 < pat.len() && pat[i + 1] == b'-' && pat[i + 2] != b']' {
                    let (lo, hi) = (pat[i].min(pat[i + 2]), pat[i].max(pat[i + 2]));
                    matched |= (lo..=hi).contains(&s[0]);
                    i += 3;
                } else {
                    matched |= pat[i] == s[0];
                    i += 1;
                }
            }
            if negate {
                matched = !matched;
            }
            matched && glob(pat.get(i + 1..).unwrap_or(&[]), &s[1..])
        }
        b'\\' if pat.len() > 1 => !s.is_empty() && s[0] == pat[1] && glob(&pat[2..], &s[1..]),
        c => !s.is_empty() && s[0] == c && glob(&pat[1..], &s[1..]),
    }
}

/// Output-buffer limits of one class (0 = no limit).
#[derive(Clone, Copy, Debug)]
pub struct ObufLimits {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

impl ObufLimits {
    /// The lowest limit set (`u64::MAX` when none is): a buffer below it is below every limit.
    /// (A buffer of `u64::MAX` bytes with no limit set is not below it, and goes the checking
    /// way, which finds no limit to trip.)
    #[inline]
    fn lowest(&self) -> u64 {
        let nz = |v: u64| if v == 0 { u64::MAX } else { v };
        nz(self.hard).min(nz(self.soft))
    }
}

/// A client connection's server-side state.
#[derive(Debug)]
pub struct ClientConn {
    pub peer: msgsim_sim::NodeId,
    pub channels: BTreeSet<Rc<str>>,
    pub patterns: BTreeSet<Rc<str>>,
    /// Reply list not yet written to the socket.
    pub obuf: VecDeque<Frame>,
    pub obuf_bytes: u64,
    /// Bytes written to the socket and not yet read by the application (TCP window).
    pub in_flight: u64,
    pub soft_since_s: Option<u64>,
    pub last_interaction_s: u64,
    /// Replication offset after this client's last propagated write (WAIT).
    pub woff: u64,
    /// Queued in the server's clients-pending-write list (CLIENT_PENDING_WRITE).
    pub pending_write: bool,
    pub closing: bool,
    pub blocked: bool,
    pub is_replica: bool,
    /// The logical database this connection SELECTed (0 at connect).
    pub db: u32,
    /// The client id (networking.c `createClient`: `server.next_client_id`), for HELLO.
    pub id: u64,
    /// The connection speaks RESP3 (after `HELLO 3`; `c->resp`).
    pub resp3: bool,
    /// `CLIENT SETNAME` / `HELLO … SETNAME` (`c->name`).
    pub name: Option<String>,
}

impl ClientConn {
    pub fn new(peer: msgsim_sim::NodeId, now_s: u64) -> ClientConn {
        ClientConn {
            peer,
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
            obuf: VecDeque::new(),
            obuf_bytes: 0,
            in_flight: 0,
            soft_since_s: None,
            last_interaction_s: now_s,
            woff: 0,
            pending_write: false,
            closing: false,
            blocked: false,
            is_replica: false,
            db: 0,
            id: 0,
            resp3: false,
            name: None,
        }
    }

    pub fn subscriptions(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// networking.c `checkClientOutputBufferLimits`, including the quirk that a drained buffer
    /// (`reply_bytes == 0`) returns early and does not reset the soft-limit timer (#3893).
    pub fn limit_reached(&mut self, l: ObufLimits, now_s: u64, from_cron: bool) -> bool {
        let used = self.obuf_bytes;
        if from_cron && used == 0 {
            return false;
        }
        let hard = l.hard > 0 && used >= l.hard;
        let mut soft = l.soft > 0 && used >= l.soft;
        if soft {
            match self.soft_since_s {
                None => {
                    self.soft_since_s = Some(now_s);
                    soft = false;
                }
                Some(since) if now_s.saturating_sub(since) <= l.soft_seconds => soft = false,
                Some(_) => {}
            }
        } else {
            self.soft_since_s = None;
        }
        hard || soft
    }

    /// Enqueue up to `range.count` messages of the range, checking the limits after each
    /// append (computed in closed form: the buffer only grows within one event-loop
    /// iteration). Returns how many were enqueued before the client was flagged for closing,
    /// and whether it was flagged.
    #[inline]
    pub fn enqueue_messages(&mut self, range: &PubRange, l: ObufLimits, now_s: u64) -> (u32, bool) {
        let (count, bytes_each) = (range.count, range.bytes_each);
        if self.closing {
            return (0, false);
        }
        let used = self.obuf_bytes;
        // Fast path (the common case): all `count` messages stay below every limit set, so no
        // check trips, and every append below the soft limit resets its timer.
        let total = used.saturating_add((count as u64).saturating_mul(bytes_each.max(1)));
        if total < l.lowest() {
            self.soft_since_s = None;
            self.push_range(range, count);
            return (count, false);
        }
        self.enqueue_to_limit(range, l, now_s)
    }

    /// `enqueue_messages` when a limit may trip within the range: the number of appends
    /// after which a check trips, and the soft timer as those checks leave it.
    fn enqueue_to_limit(&mut self, range: &PubRange, l: ObufLimits, now_s: u64) -> (u32, bool) {
        let (count, bytes_each, used) = (range.count, range.bytes_each, self.obuf_bytes);
        let need = |limit: u64| -> u64 {
            if used >= limit {
                1
            } else {
                (limit - used).div_ceil(bytes_each.max(1))
            }
        };
        let mut close_at: Option<u64> = (l.hard > 0).then(|| need(l.hard));
        let k_soft = (l.soft > 0).then(|| need(l.soft));
        if k_soft == Some(1)
            && let Some(since) = self.soft_since_s
            && now_s.saturating_sub(since) > l.soft_seconds
        {
            close_at = Some(1);
        }
        let n = match close_at {
            Some(k) if k <= count as u64 => k as u32,
            _ => count,
        };
        // The soft timer as the per-append checks leave it after `n` appends: reset by every
        // append below the soft limit, started by the first one at or above it.
        self.soft_since_s = match k_soft {
            Some(k) if k <= n as u64 => match (k, self.soft_since_s) {
                (1, Some(since)) => Some(since),
                _ => Some(now_s),
            },
            _ => None,
        };
        self.push_range(range, n);
        let flagged = close_at.is_some_and(|k| k <= count as u64);
        if flagged {
            self.closing = true;
        }
        (n, flagged)
    }
}

impl ClientConn {
    /// Append the first `n` messages of `range` to the reply list.
    #[inline]
    fn push_range(&mut self, range: &PubRange, n: u32) {
        self.obuf.push_back(Frame::Message(PubRange {
            sub: range.sub.clone(),
            count: n,
            ..*range
        }));
        self.obuf_bytes += n as u64 * range.bytes_each;
    }
}

/// The connections subscribed to one channel or pattern, in connection order: a sorted vector
/// (subscriptions change rarely; every PUBLISH walks the set).
#[derive(Debug, Default)]
pub struct ConnSet(Vec<ConnId>);

impl ConnSet {
    /// Add `conn`; false if it was there.
    pub fn insert(&mut self, conn: ConnId) -> bool {
        match self.0.binary_search(&conn) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, conn);
                true
            }
        }
    }

    /// Remove `conn`; false if it was not there.
    pub fn remove(&mut self, conn: &ConnId) -> bool {
        match self.0.binary_search(conn) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_slice(&self) -> &[ConnId] {
        &self.0
    }
}

/// Subscriptions of one node.
#[derive(Debug, Default)]
pub struct Registry {
    pub channels: BTreeMap<Rc<str>, ConnSet>,
    pub patterns: BTreeMap<Rc<str>, ConnSet>,
}

impl Registry {
    /// Visit every subscriber set a message on `channel` goes to, with the name its clients
    /// file the message under (the channel's own name, or the pattern it matched) and whether
    /// that is a pattern, in Redis's order (pubsub.c `pubsubPublishMessageInternal`): channel
    /// subscribers first, then pattern subscribers pattern by pattern; within a set, in
    /// connection order.
    pub fn for_each_target_set(&self, channel: &str, mut f: impl FnMut(&[ConnId], &Rc<str>, bool)) {
        if let Some((name, set)) = self.channels.get_key_value(channel) {
            f(set.as_slice(), name, false);
        }
        for (pat, set) in &self.patterns {
            if glob(pat.as_bytes(), channel.as_bytes()) {
                f(set.as_slice(), pat, true);
            }
        }
    }

    pub fn remove_client(&mut self, conn: ConnId, c: &ClientConn) {
        for ch in &c.channels {
            if let Some(set) = self.channels.get_mut(ch) {
                set.remove(&conn);
                if set.is_empty() {
                    self.channels.remove(ch);
                }
            }
        }
        for p in &c.patterns {
            if let Some(set) = self.patterns.get_mut(p) {
                set.remove(&conn);
                if set.is_empty() {
                    self.patterns.remove(p);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ClientConn, ObufLimits, PubRange, glob};
    use msgsim_sim::NodeId;
    use std::rc::Rc;

    fn msgs(count: u32) -> PubRange {
        PubRange {
            sub: Rc::from("c"),
            publisher: 0,
            first_seq: 0,
            count,
            bytes_each: 10,
        }
    }

    #[test]
    fn batch_enqueue_matches_per_message_checks() {
        // The closed form of enqueue_messages agrees with appending one message at a time and
        // running limit_reached after each append.
        let mut cases = Vec::new();
        for hard in [0, 95, 100, 150] {
            for soft in [0, 50, 100] {
                for secs in [0, 1, 5] {
                    for since in [None, Some(0), Some(3)] {
                        for used in [0, 30, 60, 99, 100] {
                            for count in [1, 3, 20] {
                                cases.push((hard, soft, secs, since, used, count));
                            }
                        }
                    }
                }
            }
        }
        for (hard, soft, secs, since, used, count) in cases {
            let l = ObufLimits {
                hard,
                soft,
                soft_seconds: secs,
            };
            let mut a = ClientConn::new(NodeId(0), 0);
            a.obuf_bytes = used;
            a.soft_since_s = since;
            let mut b = ClientConn::new(NodeId(0), 0);
            b.obuf_bytes = used;
            b.soft_since_s = since;
            let (n, flagged) = a.enqueue_messages(&msgs(count), l, 3);
            let mut m = 0;
            let mut closed = false;
            for _ in 0..count {
                b.obuf_bytes += 10;
                m += 1;
                if b.limit_reached(l, 3, false) {
                    closed = true;
                    break;
                }
            }
            assert_eq!(
                (n, flagged),
                (m, closed),
                "hard {hard} soft {soft} since {since:?} used {used}"
            );
            assert_eq!(a.soft_since_s, b.soft_since_s);
        }
    }

    #[test]
    fn drained_buffer_keeps_the_soft_timer_in_cron_checks() {
        // Issue #3893: with reply_bytes == 0 the check returns early and soft_since survives.
        let l = ObufLimits {
            hard: 0,
            soft: 100,
            soft_seconds: 2,
        };
        let mut c = ClientConn::new(NodeId(0), 0);
        c.obuf_bytes = 150;
        assert!(!c.limit_reached(l, 10, false));
        assert_eq!(c.soft_since_s, Some(10));
        c.obuf_bytes = 0;
        assert!(!c.limit_reached(l, 11, true));
        assert_eq!(c.soft_since_s, Some(10), "not reset while drained");
        c.obuf_bytes = 150;
        assert!(c.limit_reached(l, 13, false), "a later burst trips at once");
    }

    #[test]
    fn glob_matches_like_redis() {
        assert!(glob(b"news.*", b"news.art"));
        assert!(glob(b"h?llo", b"hello"));
        assert!(!glob(b"h?llo", b"hllo"));
        assert!(glob(b"h[ae]llo", b"hallo"));
        assert!(!glob(b"h[^e]llo", b"hello"));
        assert!(glob(b"h[a-c]llo", b"hbllo"));
        assert!(glob(b"*", b""));
        assert!(!glob(b"news", b"news.x"));
    }
}
