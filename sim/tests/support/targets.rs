//! Targeted message faults (`sim/src/target.rs`): fail, delay, drop and reset one message picked
//! by sender, receiver, label, n-th occurrence or a predicate. A module of `connections.rs`.

use super::*;

fn ms(n: u64) -> SimTime {
    SimTime::from_millis(n)
}

fn target(to: NodeId, nth: u32, action: TargetAction) -> Target {
    Target {
        from: None,
        to: Some(to),
        label: Some("Msg".into()),
        predicate: None,
        nth,
        action,
    }
}

/// `tx` sends 5 messages to `rx`, one every 10 ms from 0 (1 ms links), on one connection or as
/// datagrams; the targets are armed at the given times. Returns (rx log, tx log, stats, sim).
fn run(use_conn: bool, targets: Vec<(u64, Target)>) -> (Log, Log, Sim<Msg, ()>) {
    let (log_rx, log_tx): (Log, Log) = (Rc::default(), Rc::default());
    let mut sim: Sim<Msg, ()> = Sim::new(config(5, 1_000));
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log_rx)));
    let mut p = Probe::sender(Some(rx), 5, 10, &log_tx);
    p.use_conn = use_conn;
    sim.add_node("tx", Box::new(p));
    for (at, t) in targets {
        sim.schedule_fault(ms(at), Fault::Target(t));
    }
    sim.run().unwrap();
    (log_rx, log_tx, sim)
}

fn seqs(log: &Log) -> Vec<u64> {
    msgs(log).iter().map(|m| m.2).collect()
}

#[test]
fn drop_loses_exactly_the_nth_match_on_datagrams_and_connections() {
    for use_conn in [false, true] {
        let (rx, _, sim) = run(
            use_conn,
            vec![(0, target(NodeId(0), 3, TargetAction::Drop))],
        );
        // The connection goes on after the lost message: it took no sequence number.
        assert_eq!(seqs(&rx), vec![0, 1, 3, 4], "use_conn {use_conn}");
        assert_eq!(sim.stats().drops.get("targeted"), Some(&1));
        assert_eq!(sim.coverage().get("target_drop"), Some(&1));
        assert_eq!(sim.coverage().get("target"), Some(&1));
    }
}

#[test]
fn a_target_counts_from_the_time_it_is_armed_and_a_predicate_narrows_it() {
    // Armed at 25 ms: the messages of 0, 10 and 20 ms are not counted; the first after is hit.
    let (rx, _, _) = run(false, vec![(25, target(NodeId(0), 1, TargetAction::Drop))]);
    assert_eq!(seqs(&rx), vec![0, 1, 2, 4]);
    // "even" messages only: the second even one is seq 2.
    let mut t = target(NodeId(0), 2, TargetAction::Drop);
    t.predicate = Some("even".into());
    let (rx, _, _) = run(false, vec![(0, t)]);
    assert_eq!(seqs(&rx), vec![0, 1, 3, 4]);
    // A target naming another sender or label never fires.
    let mut t = target(NodeId(0), 1, TargetAction::Drop);
    t.label = Some("Other".into());
    let (rx, _, sim) = run(false, vec![(0, t)]);
    assert_eq!(seqs(&rx), vec![0, 1, 2, 3, 4]);
    assert_eq!(sim.coverage().get("target_drop"), None);
}

#[test]
fn fail_answers_with_the_models_error_reply_instead_of_delivering() {
    for use_conn in [false, true] {
        let action = TargetAction::Fail { code: "E".into() };
        let (rx, tx, sim) = run(use_conn, vec![(0, target(NodeId(0), 2, action))]);
        assert_eq!(seqs(&rx), vec![0, 2, 3, 4], "use_conn {use_conn}");
        // The reply leaves rx when the request arrives (11 ms) and reaches tx at 12 ms.
        assert_eq!(
            msgs(&tx),
            vec![(ms(12), NodeId(0), 1001)],
            "use_conn {use_conn}"
        );
        assert_eq!(sim.stats().drops.get("failed"), Some(&1));
        assert_eq!(sim.coverage().get("target_fail"), Some(&1));
    }
    // A code the model cannot answer matches nothing.
    let action = TargetAction::Fail { code: "X".into() };
    let (rx, tx, _) = run(true, vec![(0, target(NodeId(0), 1, action))]);
    assert_eq!(seqs(&rx), vec![0, 1, 2, 3, 4]);
    assert_eq!(msgs(&tx), vec![]);
}

#[test]
fn delay_holds_one_connection_while_another_flows() {
    let (log_rx, log_a, log_b): (Log, Log, Log) = (Rc::default(), Rc::default(), Rc::default());
    let mut sim: Sim<Msg, ()> = Sim::new(config(5, 1_000));
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log_rx)));
    for log in [&log_a, &log_b] {
        let mut p = Probe::sender(Some(rx), 2, 10, log);
        p.use_conn = true;
        sim.add_node(if Rc::ptr_eq(log, &log_a) { "a" } else { "b" }, Box::new(p));
    }
    let mut t = target(rx, 1, TargetAction::Delay { ms: 50 });
    t.from = Some(NodeId(1));
    sim.schedule_fault(ms(0), Fault::Target(t));
    sim.run().unwrap();
    let (a, b) = (NodeId(1), NodeId(2));
    assert_eq!(
        msgs(&log_rx),
        vec![
            (ms(1), b, 0),
            (ms(11), b, 1),
            // a's first message is 50 ms late; its second (sent at 10 ms) waits behind it.
            (ms(51), a, 0),
            (ms(51), a, 1),
        ]
    );
    assert_eq!(sim.coverage().get("target_delay"), Some(&1));
}

#[test]
fn delay_moves_a_datagram_behind_later_ones() {
    let (rx, _, _) = run(
        false,
        vec![(0, target(NodeId(0), 1, TargetAction::Delay { ms: 25 }))],
    );
    assert_eq!(seqs(&rx), vec![1, 2, 0, 3, 4]);
}

#[test]
fn reset_closes_both_ends_at_once_and_loses_the_message() {
    let (rx, tx, sim) = run(true, vec![(0, target(NodeId(0), 2, TargetAction::Reset))]);
    // Seq 1 (sent at 10 ms) is lost with its connection; both ends learn at 10 ms; the probe
    // opens a new connection for seq 2.
    assert_eq!(closed(&tx), vec![(ms(10), CloseReason::Reset)]);
    assert_eq!(closed(&rx), vec![(ms(10), CloseReason::Reset)]);
    assert_eq!(seqs(&rx), vec![0, 2, 3, 4]);
    assert_eq!(sim.coverage().get("target_reset"), Some(&1));
}

#[test]
fn the_quiet_phase_disarms_targets() {
    let (log_rx, log_tx): (Log, Log) = (Rc::default(), Rc::default());
    let mut c = config(5, 1_000);
    c.quiet_at = Some(ms(15));
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log_rx)));
    sim.add_node("tx", Box::new(Probe::sender(Some(rx), 5, 10, &log_tx)));
    sim.schedule_fault(ms(0), Fault::Target(target(rx, 3, TargetAction::Drop)));
    sim.run().unwrap();
    assert_eq!(seqs(&log_rx), vec![0, 1, 2, 3, 4]);
}
