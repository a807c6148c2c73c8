//! Unit tests of the checker's final pass (`KafkaChecker::report`), one outcome class at a time:
//! each test has a case where the class counts and one where it must not, so a condition
//! turned around or a counter that counts the wrong thing fails. Written against the missed
//! mutants of the fourth cargo-mutants run (docs/mutants.md).

use super::*;

/// Producer 0's values `ns` at consecutive offsets from 0; values 100 and up are records of
/// nobody's send (fillers).
fn log(ns: &[u64]) -> FinalState<'static> {
    finals(&[(0, ns)])
}

/// A poll that continues right after the last one leaves nothing to confirm at the end; a
/// forward jump leaves one gap (the gaps are kept until the final pass: one per poll would
/// grow with the run).
#[test]
fn a_poll_right_after_the_last_holds_no_gap_and_a_forward_jump_one() {
    let mut h = History::new(KafkaChecker::new(1));
    h.poll(10, 0, 0, 0, &[0, 1]);
    h.poll(20, 0, 0, 2, &[2]);
    assert!(h.c.gaps.is_empty(), "{:?}", h.c.gaps);
    h.poll(30, 0, 0, 5, &[5]);
    assert_eq!(h.c.gaps, vec![(0, 3, 5)]);
}

/// `unseen` is an acknowledged record in the final log that nobody polled; an acknowledged
/// record gone from the log is a lost write only.
#[test]
fn unseen_is_a_readable_record_nobody_polled_and_a_gone_one_is_only_lost() {
    let mut h = History::new(KafkaChecker::new(1));
    h.send(0, 0, &[0, 1]);
    h.ok(5, 0, &[0, 1], Some(0));
    let r = h.report(&log(&[0, 100]));
    assert_metrics(&r, &[("unseen", 1.0), ("lost_write", 1.0)]);
    let (n, examples) = cause(&r, "unseen", "in_log_never_polled");
    assert_eq!(n, 1);
    assert!(examples[0].contains("p0 offset 0"), "{examples:?}");
}

/// A later send acknowledged at a lower offset than an earlier one of its producer is a
/// reordering when both are in the final log; when the later one is gone it is that record's
/// loss only.
#[test]
fn a_later_send_at_a_lower_offset_is_nonmonotonic_only_when_both_are_in_the_log() {
    let run = |later_in_log: bool| {
        let mut h = History::new(KafkaChecker::new(1));
        h.send(0, 0, &[0]);
        h.ok(5, 0, &[0], Some(5));
        h.send(10, 0, &[1]);
        h.ok(15, 0, &[1], Some(3));
        let at3 = if later_in_log { 1 } else { 103 };
        h.report(&log(&[100, 101, 102, at3, 104, 0]))
    };
    assert_metrics(
        &run(true),
        &[("nonmonotonic_send", 1.0), ("lost_write", 0.0)],
    );
    assert_metrics(
        &run(false),
        &[("nonmonotonic_send", 0.0), ("lost_write", 1.0)],
    );
}

/// With acks=0 an "ok" acknowledges nothing: a record missing from the log counts in
/// `acks0_lost`, not as a lost write; with acks=1/all an offsetless ok
/// (DUPLICATE_SEQUENCE_NUMBER) that is missing is lost, and one held by a down in-sync replica
/// of an offline partition is unavailable.
#[test]
fn an_offsetless_ok_missing_from_the_log_is_acks0_lost_lost_or_unavailable() {
    let offsetless = |fin: &FinalState| {
        let mut h = History::new(KafkaChecker::new(1));
        h.send(0, 0, &[0]);
        h.ok(5, 0, &[0], None);
        h.report(fin)
    };
    let acks0 = FinalState {
        acks0: true,
        ..log(&[100])
    };
    let expect = |acks0_lost, lost, unavailable| {
        [
            ("acks0_lost", acks0_lost),
            ("lost_write", lost),
            ("unavailable_write", unavailable),
        ]
    };
    assert_metrics(&offsetless(&acks0), &expect(1.0, 0.0, 0.0));
    assert_metrics(&offsetless(&log(&[100])), &expect(0.0, 1.0, 0.0));
    let offline = FinalState {
        leader_logs: vec![None],
        offline_in_sync_values: vec![vec![v(0)]],
        ..log(&[])
    };
    assert_metrics(&offsetless(&offline), &expect(0.0, 0.0, 1.0));
}

/// A failed send is an anomaly only if a reader could take it as committed: in the final log,
/// not aborted.
#[test]
fn a_failed_send_counts_only_when_it_is_in_the_log() {
    let run = |in_log| one_send_ended_by(|h| h.fail(5, &[0]), in_log);
    assert_metrics(&run(false), &[("aborted_read", 0.0)]);
    assert_metrics(&run(true), &[("aborted_read", 1.0)]);
}

/// One send of value 0, ended by `end`, and the report with the value in the final log or not.
fn one_send_ended_by(end: impl Fn(&mut History), in_log: bool) -> ModelReport {
    let mut h = History::new(KafkaChecker::new(1));
    h.send(0, 0, &[0]);
    end(&mut h);
    h.report(&log(if in_log { &[0] } else { &[100] }))
}

/// An indeterminate send (delivery timeout) is owed processing only once it is committed: in
/// the final log or read by someone. Absent and never read, the group owes nothing.
#[test]
fn an_indeterminate_send_is_owed_processing_only_when_it_is_in_the_log() {
    let run = |in_log| one_send_ended_by(|h| h.info(5, &[0]), in_log);
    assert_metrics(&run(false), &[("unprocessed", 0.0)]);
    assert_metrics(&run(true), &[("unprocessed", 1.0)]);
}

/// The delivery guarantee the group's processing showed: 3 exactly-once, 2 at-least-once
/// (duplicates only), 1 at-most-once (gaps only), 0 neither.
#[test]
fn the_delivery_guarantee_follows_the_unprocessed_and_reprocessed_counts() {
    let run = |r0_times: usize, r1_times: usize| {
        let mut h = History::new(KafkaChecker::new(1));
        h.send(0, 0, &[0, 1]);
        h.ok(5, 0, &[0, 1], Some(0));
        for _ in 0..r0_times {
            h.processed(10, 0, 0, &[0]);
        }
        for _ in 0..r1_times {
            h.processed(10, 0, 1, &[1]);
        }
        metric(&h.report(&log(&[0, 1])), "delivery_guarantee")
    };
    let got = [run(1, 1), run(2, 1), run(1, 0), run(2, 0)];
    assert_eq!(got, [3.0, 2.0, 1.0, 0.0]);
}

/// Replica pairs that disagree below both high watermarks count in `inconsistent_offsets`
/// with the offsets read or acknowledged with two records.
#[test]
fn replica_disagreements_count_as_inconsistent_offsets() {
    let h = History::new(KafkaChecker::new(1));
    let fin = FinalState {
        replica_disagreements: vec![2],
        ..log(&[100])
    };
    assert_metrics(&h.report(&fin), &[("inconsistent_offsets", 2.0)]);
}
