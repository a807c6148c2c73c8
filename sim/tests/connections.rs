//! How a connection's ends learn that the other side is gone: a crashed process's operating
//! system answers at once (FIN/RST on established connections, RST to a new SYN: "connection
//! refused"); a machine that lost power, or a cut path, answers nothing, so only the detection
//! delay (a retransmission timeout) or the model's own connect timeout tells. A link reset
//! (`Fault::ResetLink`) tells both ends at once.

use msgsim_sim::*;
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

include!("support/kernel_world.rs");

#[path = "support/targets.rs"]
mod targets;

fn closed(log: &Log) -> Vec<(SimTime, CloseReason)> {
    log.borrow()
        .iter()
        .filter_map(|s| match s {
            Seen::Closed { at, reason } => Some((*at, *reason)),
            _ => None,
        })
        .collect()
}

/// A sender on one connection to `rx`, 1 ms links, a 5 s detection delay (so a notice that
/// came from the detection delay cannot be mistaken for one that came from a RST).
fn world(kind: CrashKind, crash_ms: u64, first_send_ms: u64) -> (Log, Log) {
    let (log_rx, log_tx): (Log, Log) = (Rc::default(), Rc::default());
    let mut c = config(3, 20_000);
    c.conn_break_detect = SimDuration::from_millis(5_000);
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log_rx)));
    let mut p = Probe::sender(Some(rx), 1, 0, &log_tx);
    p.use_conn = true;
    p.first_send = SimDuration::from_millis(first_send_ms);
    sim.add_node("tx", Box::new(p));
    sim.schedule_fault(
        SimTime::from_millis(crash_ms),
        Fault::Crash { node: rx, kind },
    );
    sim.run().unwrap();
    (log_rx, log_tx)
}

#[test]
fn a_connect_to_a_crashed_process_is_refused_after_one_round_trip() {
    // rx's process dies at 10 ms; tx connects at 50 ms: SYN arrives at 51, RST back at 52.
    let (_, log_tx) = world(CrashKind::Process, 10, 50);
    assert_eq!(
        closed(&log_tx),
        vec![(SimTime::from_millis(52), CloseReason::Refused)]
    );
}

#[test]
fn a_connect_to_a_machine_that_is_down_gets_no_answer() {
    // Power loss: no operating system answers the SYN; the kernel says nothing (the model's
    // connect timeout decides), and never "refused".
    let (_, log_tx) = world(CrashKind::LoseUnflushed, 10, 50);
    assert_eq!(closed(&log_tx), vec![]);
}

#[test]
fn a_crashed_process_closes_its_connections_within_one_link_delay() {
    // Connected at 5 ms (SYN at 6 ms), process killed at 10 ms: FIN/RST arrives at 11 ms.
    let (_, log_tx) = world(CrashKind::Process, 10, 5);
    assert_eq!(
        closed(&log_tx),
        vec![(SimTime::from_millis(11), CloseReason::PeerDown)]
    );
}

#[test]
fn a_machine_that_lost_power_is_noticed_after_the_detection_delay() {
    let (_, log_tx) = world(CrashKind::LoseUnflushed, 10, 5);
    assert_eq!(
        closed(&log_tx),
        vec![(SimTime::from_millis(5_010), CloseReason::PeerDown)]
    );
}

#[test]
fn a_link_reset_tells_both_ends_at_once() {
    // Connected at 5 ms (accepted at 6 ms); `ResetLink` at 10 ms: both ends learn at 10 ms
    // that it closed with a reset, and nothing comes from the detection delay later.
    let (log_rx, log_tx): (Log, Log) = (Rc::default(), Rc::default());
    let mut c = config(3, 20_000);
    c.conn_break_detect = SimDuration::from_millis(5_000);
    let mut sim: Sim<Msg, ()> = Sim::new(c);
    let rx = sim.add_node("rx", Box::new(Probe::receiver(&log_rx)));
    let mut p = Probe::sender(Some(rx), 1, 0, &log_tx);
    p.use_conn = true;
    p.first_send = SimDuration::from_millis(5);
    let tx = sim.add_node("tx", Box::new(p));
    sim.schedule_fault(SimTime::from_millis(10), Fault::ResetLink { a: rx, b: tx });
    sim.run().unwrap();
    let at_once = vec![(SimTime::from_millis(10), CloseReason::Reset)];
    assert_eq!(closed(&log_tx), at_once);
    assert_eq!(closed(&log_rx), at_once);
}
