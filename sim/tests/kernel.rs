//! Kernel behaviour tests: ordering, partitions, loss and duplication rates, connections,
//! crashes, pauses, processing time, clocks and guard rails. Each test builds a small world of
//! test actors directly on the kernel.

use msgsim_sim::*;
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

include!("support/kernel_world.rs");

/// Checks every trace event: time never goes backwards, indexes are consecutive.
struct Monotonic {
    last: Rc<RefCell<(SimTime, u64, u64)>>,
}

impl<M, H> TraceSink<M, H> for Monotonic {
    fn record(&mut self, e: &TraceEvent<'_, M, H>) {
        let mut last = self.last.borrow_mut();
        assert!(
            e.time >= last.0,
            "time went backwards: {} after {}",
            e.time,
            last.0
        );
        assert!(e.index == 0 || e.index == last.1 + 1, "trace index skipped");
        *last = (e.time, e.index, last.2 + 1);
    }
}

#[test]
fn time_is_monotonic_and_equal_times_run_in_scheduling_order() {
    let log: Log = Rc::default();
    let mut c = config(3, 1_000);
    c.default_link.latency = Latency::Constant { us: 0 };
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
    // Three senders, all sending at t=0 with zero latency: arrivals tie on time.
    for name in ["a", "b", "c"] {
        sim.add_node(name, Box::new(Probe::sender(Some(rx), 3, 0, &log)));
    }
    let last = Rc::new(RefCell::new((SimTime::ZERO, 0, 0)));
    sim.add_sink(Box::new(Monotonic { last: last.clone() }));
    sim.run().unwrap();
    assert!(last.borrow().2 > 0);
    let got = msgs(&log);
    // All at time zero; a's first send was scheduled first, then b's, then c's; then the
    // timers (also zero delay) in the same order.
    let order: Vec<(u32, u64)> = got.iter().map(|(_, f, s)| (f.0, *s)).collect();
    assert_eq!(
        order,
        vec![
            (1, 0),
            (2, 0),
            (3, 0),
            (1, 1),
            (2, 1),
            (3, 1),
            (1, 2),
            (2, 2),
            (3, 2)
        ]
    );
}

/// Trace hash of a small run: a sender and a receiver, datagrams over a lossy link, 2 s.
fn lossy_datagrams_hash(seed: u64) -> u64 {
    let log: Log = Rc::default();
    let mut c = config(seed, 2_000);
    c.default_link = LinkConfig {
        latency: Latency::Uniform {
            min_us: 100,
            max_us: 5_000,
        },
        loss: 0.1,
        ..LinkConfig::default()
    };
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
    sim.add_node("tx", Box::new(Probe::sender(Some(rx), 200, 5, &log)));
    sim.run().unwrap().trace_hash
}

#[test]
fn same_seed_same_hash_different_seed_different_hash() {
    let run = lossy_datagrams_hash;
    let hashes: Vec<u64> = (0..20).map(run).collect();
    assert_eq!(
        hashes,
        (0..20).map(run).collect::<Vec<_>>(),
        "same seed, same hash"
    );
    let mut unique = hashes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        hashes.len(),
        "different seeds, different hashes"
    );
}

/// Pins the trace-hash definition on one small run (datagrams with loss, a receiver, 2 s).
/// Changed deliberately on 2026-11-26: sends are no longer hashed, each message is hashed once
/// when it is delivered or dropped (its id, parent, both ends, label and size are in that
/// event), halving the per-message hashing. If this fails, every recorded trace hash changed:
/// say why in the commit and update the value.
#[test]
fn trace_hash_definition_is_pinned() {
    let hash = lossy_datagrams_hash(1);
    assert_eq!(format!("{hash:016x}"), "7d54689fa64359c3");
}

/// Datagrams on a plain link (no loss, duplication or jitter) take the command loop's inlined
/// send when no sink is attached, the general one when a sink is: both give the same trace.
#[test]
fn a_sink_does_not_change_the_trace_of_plain_datagrams() {
    let run = |sink: bool| {
        let log: Log = Rc::default();
        let mut c = config(3, 2_000);
        c.default_link.latency = Latency::Uniform {
            min_us: 100,
            max_us: 5_000,
        };
        let mut sim: Sim<Msg, ()> = Sim::new(c);
        let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
        sim.add_node("tx", Box::new(Probe::sender(Some(rx), 200, 5, &log)));
        if sink {
            let last = Rc::new(RefCell::new((SimTime::ZERO, 0, 0)));
            sim.add_sink(Box::new(Monotonic { last }));
        }
        let stats = sim.run().unwrap();
        (stats, msgs(&log))
    };
    let (plain, plain_log) = run(false);
    let (shown, shown_log) = run(true);
    assert_eq!(plain.deliveries, 200);
    assert_eq!(plain, shown, "same counters and trace hash");
    assert_eq!(plain_log, shown_log, "same arrivals");
}

#[test]
fn no_message_crosses_a_partition_and_heal_restores_delivery() {
    let log: Log = Rc::default();
    let mut sim: Sim<Msg, ()> = Sim::new(config(1, 1_000));
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
    let tx = sim.add_node("tx", Box::new(Probe::sender(Some(rx), 100, 10, &log)));
    sim.schedule_fault(
        SimTime::from_millis(200),
        Fault::Partition {
            groups: vec![vec![rx], vec![tx]],
        },
    );
    sim.schedule_fault(SimTime::from_millis(500), Fault::Heal);
    let stats = sim.run().unwrap();
    let got = msgs(&log);
    // Sent every 10 ms from t=0, 1 ms latency: seq s arrives at 10s+1 ms.
    for (at, _, seq) in &got {
        let sent_ms = seq * 10;
        assert!(
            !(200..500).contains(&sent_ms),
            "seq {seq} sent during the partition arrived at {at}"
        );
        assert!(
            !(200..=500).contains(&at.as_millis()),
            "delivery at {at} during the partition"
        );
    }
    assert_eq!(
        got.len(),
        100 - 30,
        "exactly the 30 messages sent during the partition are lost"
    );
    assert_eq!(stats.drops.get("partition"), Some(&30));
}

#[test]
fn one_way_partition_blocks_one_direction_only() {
    let log_a: Log = Rc::default();
    let log_b: Log = Rc::default();
    let mut sim: Sim<Msg, ()> = Sim::new(config(1, 1_000));
    let a = NodeId(0);
    let b = NodeId(1);
    sim.add_node("a", Box::new(Probe::sender(Some(b), 50, 10, &log_a)));
    sim.add_node("b", Box::new(Probe::sender(Some(a), 50, 10, &log_b)));
    sim.schedule_fault(
        SimTime::ZERO,
        Fault::PartitionOneWay {
            from: vec![a],
            to: vec![b],
        },
    );
    sim.run().unwrap();
    assert_eq!(msgs(&log_b).len(), 0, "a → b is cut");
    assert_eq!(msgs(&log_a).len(), 50, "b → a still flows");
}

#[test]
fn loss_and_duplication_rates_match_the_configuration() {
    let (n, loss, dup) = (20_000u64, 0.2, 0.1);
    let mut delivered = 0u64;
    let mut duplicates = 0u64;
    let seeds = 5;
    for seed in 0..seeds {
        let log: Log = Rc::default();
        let mut c = config(seed, 100_000);
        c.default_link.loss = loss;
        c.default_link.duplicate = dup;
        let mut sim: Sim<Msg, ()> = Sim::new(c);
        let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
        sim.add_node("tx", Box::new(Probe::sender(Some(rx), n, 1, &log)));
        let stats = sim.run().unwrap();
        delivered += msgs(&log).len() as u64;
        duplicates += stats.duplicates;
    }
    let total = (n * seeds) as f64;
    // Each message survives with 1-loss and is then copied with probability dup.
    let expect_dup = total * (1.0 - loss) * dup;
    let expect_delivered = total * (1.0 - loss) * (1.0 + dup);
    // 5 standard deviations of a binomial: a false alarm is practically impossible.
    let sd = |n: f64, p: f64| (n * p * (1.0 - p)).sqrt();
    assert!(
        (duplicates as f64 - expect_dup).abs() < 5.0 * sd(total * (1.0 - loss), dup),
        "{duplicates} duplicates"
    );
    assert!(
        (delivered as f64 - expect_delivered).abs()
            < 5.0 * (sd(total, loss) + sd(total, dup)) * 2.0,
        "{delivered}"
    );
}

#[test]
fn connection_is_fifo_under_jitter_and_breaks_after_the_detection_delay() {
    let log_rx: Log = Rc::default();
    let log_tx: Log = Rc::default();
    let mut c = config(9, 5_000);
    c.default_link = LinkConfig {
        latency: Latency::Uniform {
            min_us: 100,
            max_us: 20_000,
        },
        jitter_us: 10_000,
        ..LinkConfig::default()
    };
    c.conn_break_detect = SimDuration::from_millis(300);
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log_rx)));
    let mut tx_probe = Probe::sender(Some(rx), 400, 1, &log_tx);
    tx_probe.use_conn = true;
    let tx = sim.add_node("tx", Box::new(tx_probe));
    sim.schedule_fault(
        SimTime::from_millis(250),
        Fault::Partition {
            groups: vec![vec![rx], vec![tx]],
        },
    );
    // Just after the break (550 ms) and long before the quiet phase heals the partition: what
    // the dead connection held was dropped with it, so each of the 400 messages is delivered
    // or dropped, and none is left in flight.
    while sim.now() < SimTime::from_millis(600) && sim.step().unwrap() {}
    let dropped = sim.stats().drops.get("conn_closed").copied().unwrap_or(0);
    assert_eq!(msgs(&log_rx).len() as u64 + dropped, 400);
    assert_eq!(sim.in_flight(), 0);
    sim.run().unwrap();
    let got = msgs(&log_rx);
    let seqs: Vec<u64> = got.iter().map(|m| m.2).collect();
    let expected: Vec<u64> = (0..seqs.len() as u64).collect();
    assert_eq!(
        seqs, expected,
        "a connection delivers a gapless prefix, in order"
    );
    assert!(
        seqs.len() < 260,
        "nothing crosses after the partition ({} delivered)",
        seqs.len()
    );
    for log in [&log_rx, &log_tx] {
        let closed: Vec<_> = log
            .borrow()
            .iter()
            .filter_map(|s| match s {
                Seen::Closed { at, reason } => Some((*at, *reason)),
                _ => None,
            })
            .collect();
        assert_eq!(closed.len(), 1, "both ends are told once");
        assert_eq!(closed[0].1, CloseReason::Broken);
        assert_eq!(
            closed[0].0,
            SimTime::from_millis(550),
            "250 ms + 300 ms detection"
        );
    }
    // After the break the sender opens a new connection that the partition blocks too.
    assert!(
        log_rx
            .borrow()
            .iter()
            .any(|s| matches!(s, Seen::Accepted { .. }))
    );
}

#[test]
fn short_partition_on_a_connection_delays_but_loses_nothing() {
    let log: Log = Rc::default();
    let mut c = config(2, 3_000);
    c.conn_break_detect = SimDuration::from_millis(1_000);
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
    let mut p = Probe::sender(Some(rx), 100, 5, &log);
    p.use_conn = true;
    let tx = sim.add_node("tx", Box::new(p));
    sim.schedule_fault(
        SimTime::from_millis(100),
        Fault::Partition {
            groups: vec![vec![rx], vec![tx]],
        },
    );
    sim.schedule_fault(SimTime::from_millis(400), Fault::Heal);
    sim.run().unwrap();
    let seqs: Vec<u64> = msgs(&log).iter().map(|m| m.2).collect();
    assert_eq!(
        seqs,
        (0..100).collect::<Vec<_>>(),
        "retransmitted in order after the heal"
    );
    assert!(
        !log.borrow()
            .iter()
            .any(|s| matches!(s, Seen::Closed { .. }))
    );
}

/// A heal ends the cut its detection check was timing: a new partition soon after gets the full
/// detection delay from its own start (not what was left of the first one's).
#[test]
fn a_partition_after_a_heal_breaks_a_full_delay_after_the_new_cut() {
    let log: Log = Rc::default();
    let mut c = config(2, 2_500);
    c.conn_break_detect = SimDuration::from_millis(1_000);
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
    let mut p = Probe::sender(Some(rx), 1_000, 1, &log);
    p.use_conn = true;
    let tx = sim.add_node("tx", Box::new(p));
    let cut = Fault::Partition {
        groups: vec![vec![rx], vec![tx]],
    };
    sim.schedule_fault(SimTime::from_millis(100), cut.clone());
    sim.schedule_fault(SimTime::from_millis(400), Fault::Heal);
    sim.schedule_fault(SimTime::from_millis(800), cut);
    sim.run().unwrap();
    let first_close = log.borrow().iter().find_map(|s| match s {
        Seen::Closed { at, reason } => Some((*at, *reason)),
        _ => None,
    });
    assert_eq!(
        first_close,
        Some((SimTime::from_millis(1_800), CloseReason::Broken)),
        "800 ms + 1,000 ms detection (not 100 ms + 1,000 ms)"
    );
}

#[test]
fn clog_holds_messages_until_released() {
    let log: Log = Rc::default();
    let mut sim: Sim<Msg, ()> = Sim::new(config(4, 2_000));
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
    let tx = sim.add_node("tx", Box::new(Probe::sender(Some(rx), 20, 10, &log)));
    sim.schedule_fault(
        SimTime::from_millis(50),
        Fault::Clog {
            from: vec![tx],
            to: vec![rx],
        },
    );
    sim.schedule_fault(
        SimTime::from_millis(500),
        Fault::Unclog {
            from: vec![tx],
            to: vec![rx],
        },
    );
    let stats = sim.run().unwrap();
    let got = msgs(&log);
    assert_eq!(got.len(), 20, "a clog loses nothing");
    assert!(stats.drops.is_empty());
    let held: Vec<_> = got.iter().filter(|m| m.2 >= 5).collect();
    assert!(
        held.iter().all(|m| m.0 >= SimTime::from_millis(500)),
        "held until the release"
    );
}

#[test]
fn crash_drops_volatile_state_and_timers_and_restart_runs_on_start() {
    let log_tx: Log = Rc::default();
    let log_rx: Log = Rc::default();
    let mut sim: Sim<Msg, ()> = Sim::new(config(5, 2_000));
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log_rx)));
    let tx = sim.add_node("tx", Box::new(Probe::sender(Some(rx), 1_000, 10, &log_tx)));
    sim.schedule_fault(
        SimTime::from_millis(105),
        Fault::Crash {
            node: tx,
            kind: CrashKind::Process,
        },
    );
    sim.schedule_fault(
        SimTime::from_millis(50),
        Fault::Crash {
            node: rx,
            kind: CrashKind::Process,
        },
    );
    sim.schedule_fault(SimTime::from_millis(80), Fault::Restart { node: rx });
    sim.run().unwrap();
    // The sender's timer chain died with it: nothing fires after the crash.
    let timers_after: Vec<_> = log_tx
        .borrow()
        .iter()
        .filter(|s| matches!(s, Seen::Timer { at, .. } if *at > SimTime::from_millis(105)))
        .cloned()
        .collect();
    assert!(
        timers_after.is_empty(),
        "timers of a crashed node never fire: {timers_after:?}"
    );
    let rx_actor = sim.actor::<Probe>(rx).unwrap();
    // Received before 50 ms: lost with the crash; after the restart at 80: seq 8, 9, 10 arrive.
    assert_eq!(
        rx_actor.volatile, 3,
        "volatile state restarted from zero at 80 ms"
    );
    let starts = log_rx
        .borrow()
        .iter()
        .filter(|s| matches!(s, Seen::Start { .. }))
        .count();
    assert_eq!(starts, 2, "on_start ran at time zero and at the restart");
    assert_eq!(
        sim.stats().drops.get("node_down"),
        Some(&3),
        "seq 5, 6, 7 hit the crashed node"
    );
}

#[test]
fn pause_queues_input_and_resumes_with_stale_state() {
    let log: Log = Rc::default();
    let mut sim: Sim<Msg, ()> = Sim::new(config(6, 2_000));
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
    sim.add_node("tx", Box::new(Probe::sender(Some(rx), 50, 10, &log)));
    sim.schedule_fault(SimTime::from_millis(100), Fault::Pause { node: rx });
    sim.schedule_fault(SimTime::from_millis(300), Fault::Resume { node: rx });
    sim.run().unwrap();
    let got = msgs(&log);
    assert_eq!(got.len(), 50, "a pause loses nothing");
    let during: Vec<_> = got
        .iter()
        .filter(|m| (100..300).contains(&(m.2 * 10 + 1)))
        .collect();
    assert!(!during.is_empty());
    assert!(
        during.iter().all(|m| m.0 == SimTime::from_millis(300)),
        "handled at resume time"
    );
    assert_eq!(
        sim.actor::<Probe>(rx).unwrap().volatile,
        50,
        "state survived the pause"
    );
}

#[test]
fn processing_time_queues_arrivals_and_delays_replies() {
    let log: Log = Rc::default();
    let mut c = config(7, 2_000);
    c.default_link.latency = Latency::Constant { us: 0 };
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let mut rx = Probe::receiver(&log);
    rx.busy_per_msg = SimDuration::from_millis(10);
    let rxid = sim.add_node("rx", Box::new(rx));
    // 5 senders hit rx at t=0: handled one after the other, 10 ms apart.
    for i in 0..5 {
        sim.add_node(
            format!("tx{i}"),
            Box::new(Probe::sender(Some(rxid), 1, 0, &log)),
        );
    }
    sim.run().unwrap();
    let times: Vec<u64> = msgs(&log).iter().map(|m| m.0.as_millis()).collect();
    assert_eq!(times, vec![0, 10, 20, 30, 40]);
}

#[test]
fn bandwidth_makes_large_messages_slower() {
    let log: Log = Rc::default();
    let mut c = config(8, 10_000);
    c.default_link.bandwidth_bytes_per_s = 1_000_000;
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
    let mut big = Probe::sender(Some(rx), 1, 0, &log);
    big.bytes = 1_000_000;
    sim.add_node("big", Box::new(big));
    let mut small = Probe::sender(Some(rx), 1, 0, &log);
    small.bytes = 100;
    sim.add_node("small", Box::new(small));
    sim.run().unwrap();
    let got = msgs(&log);
    let big_at = got.iter().find(|m| m.1 == NodeId(1)).unwrap().0;
    let small_at = got.iter().find(|m| m.1 == NodeId(2)).unwrap().0;
    assert_eq!(
        big_at,
        SimTime::from_millis(1_001),
        "1 MB at 1 MB/s + 1 ms latency"
    );
    assert_eq!(
        small_at,
        SimTime(1_000_000 + 100_000),
        "100 B: 100 µs + 1 ms on its own link"
    );
}

#[test]
fn clock_skew_moves_the_local_clock_only() {
    let log: Log = Rc::default();
    let mut sim: Sim<Msg, ()> = Sim::new(config(9, 1_000));
    let n = sim.add_node("n", Box::new(Probe::receiver(&log)));
    sim.schedule_fault(
        SimTime::from_millis(10),
        Fault::ClockSkew {
            node: n,
            offset_ns: 5_000_000_000,
            drift_ppm: 0,
        },
    );
    sim.schedule_fault(
        SimTime::from_millis(20),
        Fault::Crash {
            node: n,
            kind: CrashKind::Process,
        },
    );
    sim.schedule_fault(SimTime::from_millis(30), Fault::Restart { node: n });
    sim.run().unwrap();
    let starts: Vec<_> = log
        .borrow()
        .iter()
        .filter_map(|s| match s {
            Seen::Start { at, local } => Some((*at, *local)),
            _ => None,
        })
        .collect();
    assert_eq!(starts[0], (SimTime::ZERO, SimTime::ZERO));
    assert_eq!(
        starts[1],
        (SimTime::from_millis(30), SimTime::from_millis(5_030))
    );
}

/// An actor that sends to itself with zero delay forever: time never passes.
struct Runaway;
impl Actor<Msg, ()> for Runaway {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, ()>) {
        ctx.set_timer(SimDuration::ZERO, 0);
    }
    fn on_message(&mut self, _: &mut Ctx<'_, Msg, ()>, _: NodeId, _: Via, _: Msg) {}
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg, ()>, _: TimerId, _: u64) {
        ctx.set_timer(SimDuration::ZERO, 0);
    }
    fn on_crash(&mut self, _: CrashKind) {}
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[test]
fn guard_rails_trip_instead_of_hanging() {
    let mut c = config(1, 1_000);
    c.limits.max_events = 10_000;
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    sim.add_node("loop", Box::new(Runaway));
    match sim.run() {
        Err(SimError::MaxEvents { limit: 10_000, at }) => assert_eq!(at, SimTime::ZERO),
        other => panic!("expected the max_events guard rail, got {other:?}"),
    }

    let log: Log = Rc::default();
    let mut c = SimConfig::new(1);
    c.limits.max_time = SimTime::from_millis(100);
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
    sim.add_node("tx", Box::new(Probe::sender(Some(rx), u64::MAX, 10, &log)));
    assert!(matches!(sim.run(), Err(SimError::MaxTime { .. })));

    let mut c = config(1, 1_000);
    c.limits.max_in_flight = 5;
    c.default_link.latency = Latency::Constant { us: 500_000 };
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
    sim.add_node("tx", Box::new(Probe::sender(Some(rx), 100, 1, &log)));
    assert!(matches!(
        sim.run(),
        Err(SimError::MaxInFlight { limit: 5, .. })
    ));

    // Every tick leaves an hour-long timer behind: the queue grows while time crawls.
    let mut c = config(1, 1_000);
    c.limits.max_queued_events = 1_000;
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    sim.add_node("hoard", Box::new(TimerHoarder));
    match sim.run() {
        Err(SimError::MaxQueued { limit: 1_000, at }) => {
            assert!(at < SimTime::from_millis(2), "tripped late, at {at}")
        }
        other => panic!("expected the max_queued_events guard rail, got {other:?}"),
    }
}

/// Sets a 1 µs tick and an hour-long timer on every tick.
struct TimerHoarder;

impl Actor<Msg, ()> for TimerHoarder {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, ()>) {
        ctx.set_timer(SimDuration::from_micros(1), 0);
    }
    fn on_message(&mut self, _: &mut Ctx<'_, Msg, ()>, _: NodeId, _: Via, _: Msg) {}
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg, ()>, _: TimerId, tag: u64) {
        if tag == 0 {
            ctx.set_timer(SimDuration::from_micros(1), 0);
            ctx.set_timer(SimDuration::from_secs(3_600), 1);
        }
    }
    fn on_crash(&mut self, _: CrashKind) {}
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[test]
fn quiet_phase_heals_and_restarts_everything() {
    let log: Log = Rc::default();
    let mut c = config(1, 2_000);
    c.quiet_at = Some(SimTime::from_millis(1_000));
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log)));
    let tx = sim.add_node("tx", Box::new(Probe::sender(Some(rx), 200, 10, &log)));
    sim.schedule_fault(
        SimTime::from_millis(100),
        Fault::Partition {
            groups: vec![vec![rx], vec![tx]],
        },
    );
    sim.schedule_fault(
        SimTime::from_millis(200),
        Fault::Crash {
            node: rx,
            kind: CrashKind::Process,
        },
    );
    // Scheduled after the quiet phase begins: must not apply.
    sim.schedule_fault(SimTime::from_millis(1_500), Fault::Isolate { node: rx });
    sim.run().unwrap();
    assert_eq!(sim.node_status(rx), NodeStatus::Up);
    let late = msgs(&log)
        .iter()
        .filter(|m| m.0 > SimTime::from_millis(1_000))
        .count();
    // Seq s leaves at 10·s ms and arrives 1 ms later; from the quiet phase at 1000 ms on,
    // seq 100..=199 all arrive (the quiet event was scheduled before seq 100's send timer).
    assert_eq!(late, 100, "after the quiet phase every message arrives");
    assert_eq!(
        sim.actor::<Probe>(rx).unwrap().volatile,
        100,
        "restarted at the quiet phase"
    );
    assert_eq!(sim.coverage().get("isolate"), None);
}
