//! Unit tests of `checker.rs` (a child module of it, so private items are in scope).

use super::value_state::SEEN_AT_OK;
use super::*;
use crate::kafka::wire::values::Values;

#[test]
fn value_state_is_14_bytes_and_counts_processing_up_to_more_than_once() {
    assert_eq!(std::mem::size_of::<ValState>(), 14);
    let mut s = ValState::default();
    assert_eq!(s.processed(), 0);
    s.add_processed();
    assert_eq!(s.processed(), 1);
    for _ in 0..5 {
        s.add_processed();
    }
    s.set(POLLED);
    assert_eq!(
        (s.processed(), s.has(POLLED), s.has(INVOKED)),
        (2, true, false)
    );
}

fn value(n: u64) -> u64 {
    (1 << 40) | n
}

/// The first read's offset: a flag when it is the acknowledged offset (whichever came first,
/// the read or the acknowledgement), aside otherwise; a read at another offset than the first
/// is a second read, and a later acknowledgement at a new offset keeps the first read's.
#[test]
fn the_first_read_offset_is_kept_whether_the_read_or_the_acknowledgement_came_first() {
    let mut aside = Aside::default();
    let fresh = ValState::default;
    // Read at 5 before the acknowledgement at 5 arrives.
    let mut s = fresh();
    assert_eq!(aside.seen_offset(1, &s), NONE32);
    assert!(!aside.note_read(1, &mut s, 5));
    assert_eq!(
        (aside.seen_offset(1, &s), aside.seen.len()),
        (5, 0),
        "kept in place"
    );
    aside.acknowledge_at(1, &mut s, 5);
    assert!(s.has(SEEN_AT_OK));
    assert_eq!((aside.seen_offset(1, &s), aside.seen.len()), (5, 0));
    assert!(!aside.note_read(1, &mut s, 5), "the same offset again");
    assert!(aside.note_read(1, &mut s, 6), "another offset");
    // Acknowledged at 5, read there, acknowledged again at 9 (a duplicate write): the first
    // read stays at 5, and a read at 9 is a second one.
    let mut s = fresh();
    aside.acknowledge_at(2, &mut s, 5);
    assert!(!aside.note_read(2, &mut s, 5));
    aside.acknowledge_at(2, &mut s, 9);
    assert_eq!((aside.seen_offset(2, &s), s.ok_offset()), (5, 9));
    assert!(aside.note_read(2, &mut s, 9));
    // Read at 3, acknowledged at 4: aside for good; acknowledged again at 3: back in place.
    let mut s = fresh();
    assert!(!aside.note_read(3, &mut s, 3));
    aside.acknowledge_at(3, &mut s, 4);
    assert_eq!((aside.seen_offset(3, &s), s.has(SEEN_AT_OK)), (3, false));
    assert_eq!((s.ok_offset(), aside.seen.get(&3)), (4, Some(&3)));
    aside.acknowledge_at(3, &mut s, 3);
    assert_eq!((aside.seen_offset(3, &s), s.has(SEEN_AT_OK)), (3, true));
    assert!(!aside.seen.contains_key(&3));
    // Never acknowledged with an offset: no acknowledged offset, whatever was read.
    let mut s = fresh();
    assert!(!aside.note_read(4, &mut s, 8));
    assert_eq!((s.ok_offset(), aside.seen_offset(4, &s)), (NONE32, 8));
}

/// The acknowledgement time is kept as a 16-bit delta from the first send, or aside when it
/// does not fit (an acknowledgement 100 s after the send, one before it): the same times come
/// back either way, also after a second acknowledgement moves a far one near, and after the
/// first send comes later than the acknowledgement.
#[test]
fn acknowledgement_times_near_and_far_from_the_send_read_back_exactly() {
    let mut aside = Aside::default();
    let mut s = ValState {
        sent_ms: 1_000,
        ..ValState::default()
    };
    assert_eq!(aside.ack_ms(7, &s), 0, "never acknowledged");
    for ms in [1_000, 66_534, 66_535, 101_000, 999, 1_500] {
        aside.set_ack_ms(7, &mut s, ms);
        assert_eq!(aside.ack_ms(7, &s), ms);
        let far = !(1_000..=66_534).contains(&ms);
        assert_eq!(aside.far_acks.len(), usize::from(far), "{ms}");
    }
    aside.set_sent_ms(7, &mut s, 2_000);
    assert_eq!((aside.ack_ms(7, &s), aside.far_acks.len()), (1_500, 1));
    aside.set_sent_ms(7, &mut s, 1_400);
    assert_eq!((aside.ack_ms(7, &s), aside.far_acks.len()), (1_500, 0));
    // Through the checker: sent at 0 s, acknowledged at 100 s, polled at 100.5 s.
    let mut c = KafkaChecker::new(1);
    let values: Values = Values::from(vec![value(0)]);
    let (p, at) = (0, SimTime::from_millis);
    let send = KEvent::Send {
        producer: 0,
        p,
        values: values.clone(),
    };
    c.observe(at(0), &send);
    let ok = KEvent::SendOk {
        p,
        values: values.clone(),
        offset: Some(0),
    };
    c.observe(at(100_000), &ok);
    let poll = KEvent::Poll {
        consumer: 0,
        p,
        first: 0,
        values,
    };
    c.observe(at(100_500), &poll);
    let s = *c.get(value(0)).expect("state");
    assert_eq!(
        (
            c.ack_ms(value(0), &s),
            c.max_send_to_ack_ms,
            c.max_ack_to_poll_ms
        ),
        (100_000, 100_000, 500)
    );
}

/// Send and acknowledge `n` values on partition `p` at offsets 0.., or end them `info`.
fn checker_with(p: u32, acked: &[u64], info: &[u64]) -> KafkaChecker {
    let mut c = KafkaChecker::new(p + 1);
    let t = SimTime::ZERO;
    for (i, &n) in acked.iter().enumerate() {
        let values: Values = Values::from(vec![value(n)]);
        c.observe(
            t,
            &KEvent::Send {
                producer: 0,
                p,
                values: values.clone(),
            },
        );
        c.observe(
            t,
            &KEvent::SendOk {
                p,
                values,
                offset: Some(i as u64),
            },
        );
    }
    for &n in info {
        let values: Values = Values::from(vec![value(n)]);
        c.observe(
            t,
            &KEvent::Send {
                producer: 0,
                p,
                values: values.clone(),
            },
        );
        let error = crate::kafka::wire::msg::KErr::DeliveryTimeout;
        c.observe(t, &KEvent::SendInfo { values, error });
    }
    c
}

fn metric(r: &ModelReport, name: &str) -> f64 {
    r.observations
        .get(name)
        .copied()
        .or_else(|| r.anomalies.get(name).map(|&a| a as f64))
        .expect(name)
}

#[test]
fn offline_partition_acked_values_held_by_an_in_sync_replica_are_unavailable_not_lost() {
    let c = checker_with(0, &[0, 1, 2], &[]);
    // No leader at the end; the down in-sync replica holds values 0 and 1 but not 2.
    let fin = FinalState {
        leader_logs: vec![None],
        offline_in_sync_values: vec![vec![value(0), value(1)]],
        ..FinalState::default()
    };
    let mut r = ModelReport::default();
    c.report(&fin, &mut r);
    assert_eq!(metric(&r, "offline_partitions"), 1.0);
    assert_eq!(metric(&r, "unavailable_write"), 2.0);
    assert_eq!(metric(&r, anomaly::LOST_WRITE), 1.0);
}

#[test]
fn a_leader_log_missing_acked_values_is_lost_whatever_other_replicas_hold() {
    let c = checker_with(0, &[0, 1, 2], &[]);
    let fin = FinalState {
        leader_logs: vec![Some(FinalLog::copied(0, vec![value(0)]))],
        offline_in_sync_values: vec![Vec::new()],
        ..FinalState::default()
    };
    let mut r = ModelReport::default();
    c.report(&fin, &mut r);
    assert_eq!(metric(&r, "unavailable_write"), 0.0);
    assert_eq!(metric(&r, anomaly::LOST_WRITE), 2.0);
}

#[test]
fn indeterminate_sends_are_neither_lost_nor_failed_whether_written_or_not() {
    // Values 1 and 2 end `info`; only 1 reached the log.
    let c = checker_with(0, &[0], &[1, 2]);
    let fin = FinalState {
        leader_logs: vec![Some(FinalLog::copied(0, vec![value(0), value(1)]))],
        offline_in_sync_values: vec![Vec::new()],
        ..FinalState::default()
    };
    let mut r = ModelReport::default();
    c.report(&fin, &mut r);
    assert_eq!(metric(&r, "indeterminate"), 2.0);
    assert_eq!(metric(&r, "indeterminate_in_log"), 1.0);
    assert_eq!(metric(&r, "failed"), 0.0);
    assert_eq!(metric(&r, anomaly::LOST_WRITE), 0.0);
    assert_eq!(metric(&r, anomaly::ABORTED_READ), 0.0);
}

fn poll(c: &mut KafkaChecker, first: u64, ns: &[u64]) {
    let values: Values = Values::from(ns.iter().map(|&n| value(n)).collect::<Vec<_>>());
    let event = KEvent::Poll {
        consumer: 0,
        p: 0,
        first,
        values,
    };
    c.observe(SimTime::ZERO, &event);
}

fn report_with_full_log(c: &KafkaChecker, n: u64) -> ModelReport {
    let fin = FinalState {
        leader_logs: vec![Some(FinalLog::copied(0, (0..n).map(value).collect()))],
        offline_in_sync_values: vec![Vec::new()],
        ..FinalState::default()
    };
    let mut r = ModelReport::default();
    c.report(&fin, &mut r);
    r
}

#[test]
fn a_poll_that_jumps_over_a_known_record_is_a_poll_skip() {
    let mut c = checker_with(0, &[0, 1, 2, 3], &[]);
    poll(&mut c, 0, &[0]);
    // Offset 1 holds an acknowledged record; the consumer jumps from 0 to 2.
    poll(&mut c, 2, &[2, 3]);
    let r = report_with_full_log(&c, 4);
    assert_eq!(metric(&r, anomaly::POLL_SKIP), 1.0);
    assert_eq!(metric(&r, anomaly::NONMONOTONIC_POLL), 0.0);
}

#[test]
fn a_poll_going_back_without_a_reset_or_reassignment_is_nonmonotonic() {
    let mut c = checker_with(0, &[0, 1, 2], &[]);
    poll(&mut c, 0, &[0, 1]);
    poll(&mut c, 1, &[1, 2]);
    let r = report_with_full_log(&c, 3);
    assert_eq!(metric(&r, anomaly::NONMONOTONIC_POLL), 1.0);
    // After a reassignment, starting again from the committed offset is allowed.
    let mut c = checker_with(0, &[0, 1, 2], &[]);
    poll(&mut c, 0, &[0, 1]);
    c.observe(
        SimTime::ZERO,
        &KEvent::Assigned {
            consumer: 0,
            generation: 2,
        },
    );
    poll(&mut c, 1, &[1, 2]);
    let r = report_with_full_log(&c, 3);
    assert_eq!(metric(&r, anomaly::NONMONOTONIC_POLL), 0.0);
    assert_eq!(metric(&r, anomaly::POLL_SKIP), 0.0);
}

/// Values 0, 1, 2 acknowledged at offsets 0, 1, 2; the leader then lost 1 and 2 (truncated), and
/// a later send, value 3, was acknowledged at the reused offset 1. A consumer group ran but
/// polled nothing. Each anomaly counts one thing: two lost writes; the two records in the log
/// unseen (not the lost ones again); no reordering (the offset reuse is the loss itself).
#[test]
fn a_loss_is_not_also_counted_as_unseen_or_as_a_reordered_send() {
    let mut c = checker_with(0, &[0, 1, 2], &[]);
    let values: Values = Values::from(vec![value(3)]);
    let t = SimTime::ZERO;
    let send = KEvent::Send {
        producer: 0,
        p: 0,
        values: values.clone(),
    };
    c.observe(t, &send);
    let ok = KEvent::SendOk {
        p: 0,
        values,
        offset: Some(1),
    };
    c.observe(t, &ok);
    let fin = FinalState {
        leader_logs: vec![Some(FinalLog::copied(0, vec![value(0), value(3)]))],
        offline_in_sync_values: vec![Vec::new()],
        consumers: true,
        ..FinalState::default()
    };
    let mut r = ModelReport::default();
    c.report(&fin, &mut r);
    assert_eq!(metric(&r, anomaly::LOST_WRITE), 2.0);
    assert_eq!(metric(&r, anomaly::UNSEEN), 2.0);
    assert_eq!(metric(&r, anomaly::NONMONOTONIC_SEND), 0.0);
}

#[test]
fn an_offsetless_ack_below_a_later_send_deleted_by_retention_is_not_lost() {
    // Value 0 is acknowledged without an offset (DUPLICATE_SEQUENCE_NUMBER), values 1 and 2 at
    // offsets 1 and 2. Retention moved the log start to `start`; the log holds what is above.
    let report = |start: u64| {
        let mut c = KafkaChecker::new(1);
        let t = SimTime::ZERO;
        for (n, offset) in [(0, None), (1, Some(1)), (2, Some(2))] {
            let values: Values = Values::from(vec![value(n)]);
            let send = KEvent::Send {
                producer: 0,
                p: 0,
                values: values.clone(),
            };
            c.observe(t, &send);
            c.observe(
                t,
                &KEvent::SendOk {
                    p: 0,
                    values,
                    offset,
                },
            );
        }
        let kept = (start.max(1)..3).map(value).collect();
        let fin = FinalState {
            leader_logs: vec![Some(FinalLog::copied(start, kept))],
            offline_in_sync_values: vec![Vec::new()],
            ..FinalState::default()
        };
        let mut r = ModelReport::default();
        c.report(&fin, &mut r);
        metric(&r, anomaly::LOST_WRITE)
    };
    // Value 1 (a later send) is at the log start or below it: value 0 went with retention.
    assert_eq!(report(1), 0.0);
    assert_eq!(report(2), 0.0);
    // Log start 0: nothing was deleted, so value 0's absence is a loss.
    assert_eq!(report(0), 1.0);
}

/// A fenced transactional producer's send fails (PRODUCER_FENCED) although the broker had
/// appended it; the coordinator's abort marker then aborts it (swarm sweep of k18b, seed 1042).
/// Kafka keeps aborted records in the log and read_uncommitted consumers return them: neither
/// counts. A failed send readable as committed, or read by a read_committed consumer, does.
#[test]
fn a_failed_send_aborted_in_the_log_read_uncommitted_is_not_an_aborted_read() {
    let judge = |aborted: bool, read_committed: bool| {
        let mut c = checker_with(0, &[0], &[]);
        c.read_committed = vec![read_committed];
        let values: Values = Values::from(vec![value(1)]);
        let send = KEvent::Send {
            producer: 0,
            p: 0,
            values: values.clone(),
        };
        c.observe(SimTime::ZERO, &send);
        let error = crate::kafka::wire::msg::KErr::ProducerFenced;
        c.observe(SimTime::ZERO, &KEvent::SendFail { values, error });
        poll(&mut c, 0, &[0, 1]);
        let fin = FinalState {
            leader_logs: vec![Some(FinalLog::copied(0, vec![value(0), value(1)]))],
            offline_in_sync_values: vec![Vec::new()],
            not_committed: if aborted { vec![value(1)] } else { Vec::new() },
            ..FinalState::default()
        };
        let mut r = ModelReport::default();
        c.report(&fin, &mut r);
        metric(&r, anomaly::ABORTED_READ)
    };
    assert_eq!(judge(true, false), 0.0, "aborted, read_uncommitted");
    assert_eq!(judge(false, false), 2.0, "committed: read and in the log");
    assert!(judge(true, true) >= 1.0, "aborted, read_committed");
}

/// Acknowledged first, read after: a read at the acknowledged offset is a flag (no entry
/// aside: the memory the common case must not cost), a read elsewhere goes aside and leaves
/// the acknowledged offset alone.
#[test]
fn a_read_after_the_acknowledgement_keeps_the_acknowledged_offset() {
    let mut aside = Aside::default();
    let mut s = ValState::default();
    aside.acknowledge_at(1, &mut s, 5);
    assert!(!aside.note_read(1, &mut s, 5));
    assert_eq!((s.has(SEEN_AT_OK), aside.seen.len()), (true, 0));
    let mut s = ValState::default();
    aside.acknowledge_at(2, &mut s, 5);
    assert!(!aside.note_read(2, &mut s, 7));
    assert_eq!(s.ok_offset(), 5, "the acknowledgement's offset");
    assert_eq!((aside.seen_offset(2, &s), aside.seen.len()), (7, 1));
}
