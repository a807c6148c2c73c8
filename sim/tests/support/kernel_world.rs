// The small world the kernel tests build on: a test message, what a probe saw, the probe actor
// and a one-millisecond-link configuration. Pasted into `kernel.rs` with `include!` so the
// tests keep private access to the probe's fields.

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Msg {
    seq: u64,
    bytes: u64,
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        "Msg"
    }
    fn size_bytes(&self) -> u64 {
        self.bytes
    }
    // For targeted faults: code "E" fails a message with the reply `seq + 1000`; predicate
    // "even" holds for even sequence numbers.
    fn error_reply(&self, code: &str) -> Option<Self> {
        (code == "E").then(|| Msg {
            seq: self.seq + 1000,
            bytes: 0,
        })
    }
    fn satisfies(&self, predicate: &str) -> bool {
        predicate == "even" && self.seq.is_multiple_of(2)
    }
}

/// What a receiver saw.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Msg {
        at: SimTime,
        from: NodeId,
        seq: u64,
        via: Via,
    },
    Timer {
        at: SimTime,
        tag: u64,
    },
    Closed {
        at: SimTime,
        reason: CloseReason,
    },
    Accepted {
        at: SimTime,
    },
    Start {
        at: SimTime,
        local: SimTime,
    },
}

type Log = Rc<RefCell<Vec<Seen>>>;

/// Sends `count` messages to `target`, one every `every`, over datagrams or one connection.
/// Records everything it receives. `volatile` counts messages since the last start.
struct Probe {
    target: Option<NodeId>,
    count: u64,
    every: SimDuration,
    bytes: u64,
    use_conn: bool,
    conn: Option<ConnId>,
    sent: u64,
    busy_per_msg: SimDuration,
    /// When the first send happens (at start when zero).
    first_send: SimDuration,
    volatile: u64,
    log: Log,
}

impl Probe {
    fn receiver(log: &Log) -> Probe {
        Probe::sender(None, 0, 0, log)
    }
    fn sender(target: Option<NodeId>, count: u64, every_ms: u64, log: &Log) -> Probe {
        Probe {
            target,
            count,
            every: SimDuration::from_millis(every_ms),
            bytes: 100,
            use_conn: false,
            conn: None,
            sent: 0,
            busy_per_msg: SimDuration::ZERO,
            first_send: SimDuration::ZERO,
            volatile: 0,
            log: log.clone(),
        }
    }
    fn send_one(&mut self, ctx: &mut Ctx<'_, Msg, ()>) {
        let Some(target) = self.target else { return };
        if self.sent >= self.count {
            return;
        }
        let msg = Msg {
            seq: self.sent,
            bytes: self.bytes,
        };
        self.sent += 1;
        if self.use_conn {
            let conn = *self.conn.get_or_insert_with(|| ctx.connect(target));
            ctx.send_conn(conn, msg);
        } else {
            ctx.send(target, msg);
        }
        if self.sent < self.count {
            ctx.set_timer(self.every, 1);
        }
    }
}

impl Actor<Msg, ()> for Probe {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, ()>) {
        self.log.borrow_mut().push(Seen::Start {
            at: ctx.now(),
            local: ctx.local_now(),
        });
        if self.first_send == SimDuration::ZERO {
            self.send_one(ctx);
        } else {
            ctx.set_timer(self.first_send, 1);
        }
    }
    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg, ()>, from: NodeId, via: Via, msg: Msg) {
        self.volatile += 1;
        ctx.busy(self.busy_per_msg);
        self.log.borrow_mut().push(Seen::Msg {
            at: ctx.now(),
            from,
            seq: msg.seq,
            via,
        });
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg, ()>, _timer: TimerId, tag: u64) {
        self.log
            .borrow_mut()
            .push(Seen::Timer { at: ctx.now(), tag });
        if tag == 1 {
            self.send_one(ctx);
        }
    }
    fn on_connection(&mut self, ctx: &mut Ctx<'_, Msg, ()>, event: ConnEvent) {
        let seen = match event {
            ConnEvent::Accepted { .. } => Seen::Accepted { at: ctx.now() },
            ConnEvent::Closed { reason, conn, .. } => {
                if self.conn == Some(conn) {
                    self.conn = None;
                }
                Seen::Closed {
                    at: ctx.now(),
                    reason,
                }
            }
        };
        self.log.borrow_mut().push(seen);
    }
    fn on_crash(&mut self, _kind: CrashKind) {
        self.volatile = 0;
        self.conn = None;
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[allow(dead_code)] // not every test file that includes this world reads messages
fn msgs(log: &Log) -> Vec<(SimTime, NodeId, u64)> {
    log.borrow()
        .iter()
        .filter_map(|s| match s {
            Seen::Msg { at, from, seq, .. } => Some((*at, *from, *seq)),
            _ => None,
        })
        .collect()
}

fn config(seed: u64, end_ms: u64) -> SimConfig {
    let mut c = SimConfig::new(seed);
    c.end = Some(SimTime::from_millis(end_ms));
    c.default_link = LinkConfig {
        latency: Latency::Constant { us: 1_000 },
        ..LinkConfig::default()
    };
    c
}
