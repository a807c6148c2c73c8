//! Unit tests of `checker.rs` over small hand-written histories: each test drives the checker
//! with timed client events and compares every count it reports, so that a counter counting the
//! wrong thing (or nothing) fails. Written against the missed mutants of the checkers' first
//! mutant run (docs/mutants-checkers-missed-2026-12-07.txt).

use super::*;
use crate::kafka::wire::msg::KErr;

#[path = "checker_report_tests.rs"]
mod report_tests;
use crate::kafka::wire::values::Values;

/// Value `n` of producer `prod` (values are `(producer + 1) << 40 | send counter`).
fn pv(prod: u64, n: u64) -> u64 {
    ((prod + 1) << 40) | n
}

fn v(n: u64) -> u64 {
    pv(0, n)
}

fn vals(ns: &[u64]) -> Values {
    Values::from(ns.iter().map(|&n| v(n)).collect::<Vec<_>>())
}

/// A checker fed with events at given times (ms).
struct History {
    c: KafkaChecker,
}

impl History {
    fn new(c: KafkaChecker) -> History {
        History { c }
    }
    fn at(&mut self, ms: u64, e: KEvent) {
        self.c.observe(SimTime::from_millis(ms), &e);
    }
    fn send_values(&mut self, ms: u64, p: u32, values: Values) {
        let producer = 0;
        self.at(
            ms,
            KEvent::Send {
                producer,
                p,
                values,
            },
        );
    }
    fn send(&mut self, ms: u64, p: u32, ns: &[u64]) {
        self.send_values(ms, p, vals(ns));
    }
    fn ok_values(&mut self, ms: u64, p: u32, values: Values, offset: Option<u64>) {
        self.at(ms, KEvent::SendOk { p, values, offset });
    }
    fn ok(&mut self, ms: u64, p: u32, ns: &[u64], offset: Option<u64>) {
        self.ok_values(ms, p, vals(ns), offset);
    }
    fn fail(&mut self, ms: u64, ns: &[u64]) {
        let error = KErr::ProducerFenced;
        self.at(
            ms,
            KEvent::SendFail {
                values: vals(ns),
                error,
            },
        );
    }
    fn info(&mut self, ms: u64, ns: &[u64]) {
        let error = KErr::DeliveryTimeout;
        self.at(
            ms,
            KEvent::SendInfo {
                values: vals(ns),
                error,
            },
        );
    }
    fn poll_values(&mut self, ms: u64, consumer: u32, p: u32, first: u64, values: Values) {
        let e = KEvent::Poll {
            consumer,
            p,
            first,
            values,
        };
        self.at(ms, e);
    }
    fn poll(&mut self, ms: u64, consumer: u32, p: u32, first: u64, ns: &[u64]) {
        self.poll_values(ms, consumer, p, first, vals(ns));
    }
    fn processed(&mut self, ms: u64, p: u32, first: u64, ns: &[u64]) {
        let e = KEvent::Processed {
            consumer: 0,
            p,
            first,
            values: vals(ns),
        };
        self.at(ms, e);
    }
    fn report(&self, fin: &FinalState) -> ModelReport {
        let mut r = ModelReport::default();
        self.c.report(fin, &mut r);
        r
    }
}

/// Final state: per partition (log start, values of producer 0), consumers ran.
fn finals(logs: &[(u64, &[u64])]) -> FinalState<'static> {
    FinalState {
        leader_logs: (logs.iter())
            .map(|(start, ns)| Some(FinalLog::copied(*start, ns.iter().map(|&n| v(n)).collect())))
            .collect(),
        offline_in_sync_values: vec![Vec::new(); logs.len()],
        consumers: true,
        ..FinalState::default()
    }
}

fn metric(r: &ModelReport, name: &str) -> f64 {
    r.metric(name)
        .or_else(|| r.metric(&format!("anomaly:{name}")))
        .unwrap_or_else(|| panic!("no metric {name} in {r:?}"))
}

/// Every named metric of `r` that `expected` lists, compared at once (one message per run).
fn assert_metrics(r: &ModelReport, expected: &[(&str, f64)]) {
    let got: Vec<(&str, f64)> = expected.iter().map(|&(k, _)| (k, metric(r, k))).collect();
    assert_eq!(got, expected);
}

/// The examples of one cause of one anomaly, and the count it covers.
fn cause(r: &ModelReport, anomaly: &str, cause: &str) -> (u64, Vec<String>) {
    (r.explanations.get(anomaly).into_iter().flatten())
        .find(|e| e.cause == cause)
        .map_or((0, Vec::new()), |e| (e.count, e.examples.clone()))
}

/// One history touching every counter of the online pass: a retried send, a batch acked at a
/// base offset, a failed and an indeterminate send, offset resets (one surfaced as an error), a
/// re-read after a reassignment, processing twice, and script steps.
#[test]
fn each_counter_counts_its_own_events_and_latencies_start_at_the_first_send_and_ack() {
    let mut h = History::new(KafkaChecker::new(2));
    h.send(10, 0, &[0, 1]);
    h.send(20, 0, &[0, 1]); // a retry: the first send's time stays
    h.ok(45, 0, &[0, 1], Some(3)); // offsets 3 and 4, 35 ms after the first send
    h.send(50, 1, &[2]);
    h.ok(60, 1, &[2], Some(0));
    h.send(50, 0, &[3]);
    h.fail(70, &[3]);
    h.send(50, 0, &[4]);
    h.info(70, &[4]);
    let reset = |p, to| KEvent::OffsetReset {
        consumer: 0,
        p,
        from: 0,
        to,
    };
    h.at(80, reset(0, Some(3)));
    h.at(81, reset(1, None));
    h.poll(100, 0, 0, 3, &[0, 1]); // 55 ms after the ack
    h.poll(300, 0, 1, 0, &[2]); // 240 ms after the ack
    h.at(
        400,
        KEvent::Assigned {
            consumer: 0,
            generation: 2,
        },
    );
    h.poll(900, 0, 0, 3, &[0]); // a re-read: not a first poll, not a new delay
    h.processed(910, 0, 3, &[0, 1]);
    h.processed(920, 0, 3, &[0]);
    h.processed(930, 1, 0, &[2]);
    for ok in [true, false] {
        let step = KEvent::Step {
            client: 0,
            step: 0,
            cmd: "poll",
            outcome: String::new(),
            expected: None,
            ok,
        };
        h.at(940, step);
    }
    let r = h.report(&finals(&[(3, &[0, 1, 4]), (0, &[2])]));
    assert_metrics(
        &r,
        &[
            ("sent", 7.0),
            ("acked", 3.0),
            ("failed", 1.0),
            ("indeterminate", 1.0),
            ("indeterminate_in_log", 1.0),
            ("polled", 4.0),
            ("processed", 4.0),
            ("offset_resets", 2.0),
            ("offset_reset_errors", 1.0),
            ("script_steps", 2.0),
            ("script_mismatches", 1.0),
            ("max_send_to_ack_ms", 35.0),
            ("max_ack_to_poll_ms", 240.0),
            ("max_ack_to_poll_ms_read_uncommitted", 240.0),
            ("final_log_records", 4.0),
            ("lost_write", 0.0),
            ("duplicate", 0.0),
            ("nonmonotonic_send", 0.0),
            ("nonmonotonic_poll", 0.0),
            ("poll_skip", 0.0),
            ("inconsistent_offsets", 0.0),
            ("unseen", 0.0),
            // The indeterminate value 4 is in the log, readable, and nobody processed it.
            ("unprocessed", 1.0),
            ("processed_more_than_once", 1.0),
            ("delivery_guarantee", 0.0),
        ],
    );
}

/// The read_uncommitted visibility delay counts a record's first read_uncommitted poll only;
/// a read_committed consumer's polls count in the read_committed figure.
#[test]
fn visibility_delays_are_kept_apart_by_isolation_level() {
    let mut c = KafkaChecker::new(1);
    c.read_committed = vec![true, false];
    let mut h = History::new(c);
    h.send(0, 0, &[0]);
    h.ok(10, 0, &[0], Some(0));
    h.poll(50, 0, 0, 0, &[0]); // read_committed: 40 ms
    h.poll(110, 1, 0, 0, &[0]); // read_uncommitted, first: 100 ms
    h.at(
        200,
        KEvent::Assigned {
            consumer: 1,
            generation: 2,
        },
    );
    h.poll(510, 1, 0, 0, &[0]); // read_uncommitted again: not a first read
    let r = h.report(&finals(&[(0, &[0])]));
    assert_metrics(
        &r,
        &[
            ("max_ack_to_poll_ms", 40.0),
            ("max_ack_to_poll_ms_read_committed", 40.0),
            ("max_ack_to_poll_ms_read_uncommitted", 100.0),
        ],
    );
}

/// A batch acknowledged at base offset 3 holds offsets 3 and 4; a poll's records take
/// consecutive offsets from `first`. An offset seen with two different records counts once.
#[test]
fn acked_and_polled_batches_take_consecutive_offsets_from_their_base() {
    let run = |conflict: bool| {
        let mut h = History::new(KafkaChecker::new(1));
        h.send(0, 0, &[0, 1]);
        h.ok(1, 0, &[0, 1], Some(3));
        // Another producer's record acknowledged at offset 2.
        let w: Values = Values::from(vec![pv(1, 0)]);
        h.send_values(2, 0, w.clone());
        h.ok_values(3, 0, w, Some(2));
        let read: Vec<u64> = if conflict {
            vec![pv(1, 0), v(1), v(1)]
        } else {
            vec![pv(1, 0), v(0), v(1)]
        };
        h.poll_values(4, 0, 0, 2, Values::from(read));
        let mut fin = finals(&[(2, &[0, 1])]);
        fin.leader_logs[0] = Some(FinalLog::copied(2, vec![pv(1, 0), v(0), v(1)]));
        let r = h.report(&fin);
        (
            metric(&r, "inconsistent_offsets"),
            metric(&r, "nonmonotonic_send"),
            metric(&r, "duplicate"),
        )
    };
    assert_eq!(run(false), (0.0, 0.0, 0.0));
    // Offset 3 read holding value 1 (acknowledged at 3 with value 0): one inconsistency; value
    // 1 read at two offsets is a duplicate read.
    assert_eq!(run(true), (1.0, 0.0, 1.0));
}

/// A record acknowledged at an offset below the final log start was deleted by retention; one
/// at or above it and absent is lost. The batch's second record sits at base + 1.
#[test]
fn a_batch_record_is_lost_or_deleted_by_its_own_offset() {
    let lost_at = |start: u64| {
        let mut h = History::new(KafkaChecker::new(1));
        h.send(0, 0, &[0, 1]);
        h.ok(1, 0, &[0, 1], Some(3));
        let r = h.report(&finals(&[(start, &[])]));
        let (_, examples) = cause(&r, anomaly::LOST_WRITE, "truncated_below_ack");
        (metric(&r, "lost_write"), examples)
    };
    assert_eq!(lost_at(5).0, 0.0);
    let (lost, examples) = lost_at(4);
    assert_eq!(lost, 1.0);
    assert!(examples[0].starts_with("p0 offset 4 "), "{examples:?}");
    assert_eq!(lost_at(3).0, 2.0);
}

/// A forward jump in one consumer's polls over offsets known to hold records is a poll skip;
/// over offsets nobody saw a record at (markers, aborted data), it is not.
#[test]
fn a_poll_gap_counts_only_over_offsets_known_to_hold_a_record() {
    let skip = |known_between: bool| {
        let mut h = History::new(KafkaChecker::new(1));
        let acked: &[u64] = if known_between { &[0, 1, 2] } else { &[0, 2] };
        for &n in acked {
            h.send(0, 0, &[n]);
            h.ok(1, 0, &[n], Some(n));
        }
        h.poll(2, 0, 0, 0, &[0]);
        h.poll(3, 0, 0, 2, &[2]);
        h.poll(4, 0, 0, 3, &[]);
        metric(&h.report(&finals(&[(0, acked)])), "poll_skip")
    };
    assert_eq!(skip(false), 0.0);
    assert_eq!(skip(true), 1.0);
}

/// Duplicates: a record twice in the final log, and one read at two offsets, each count once
/// under its own cause; a record in the log once and read once does not count.
#[test]
fn duplicates_count_once_per_record_under_their_cause() {
    let mut h = History::new(KafkaChecker::new(1));
    h.send(100, 0, &[0]);
    h.ok(150, 0, &[0], Some(0));
    h.send(200, 0, &[1]);
    h.ok(250, 0, &[1], Some(1));
    h.send(300, 0, &[2]);
    h.poll(400, 0, 0, 0, &[0, 1, 2]);
    h.at(
        401,
        KEvent::Assigned {
            consumer: 0,
            generation: 2,
        },
    );
    h.poll(500, 0, 0, 3, &[2]);
    // Value 0 is in the log twice (a retry appended again without idempotence).
    let r = h.report(&finals(&[(0, &[0, 1, 2, 0])]));
    assert_eq!(metric(&r, "duplicate"), 2.0);
    let (n, in_log) = cause(&r, anomaly::DUPLICATE, "twice_in_final_log");
    assert_eq!(n, 1);
    // The example gives the record's acknowledged offset and its send time.
    assert!(in_log[0].starts_with("p0 offset 0 "), "{in_log:?}");
    assert!(in_log[0].contains("0.100"), "{in_log:?}");
    let (n, read) = cause(&r, anomaly::DUPLICATE, "read_at_two_offsets");
    assert_eq!(n, 1, "{:?}", r.explanations);
    // Never acknowledged: the example gives the first offset it was read at.
    assert!(read[0].starts_with("p0 offset 2 "), "{read:?}");
}

/// Polls of the retry topic (partitions from the workload's count up to the created topics')
/// are the sink checker's; polls of a created topic are this checker's.
#[test]
fn polls_of_created_topics_are_checked_and_of_the_retry_topic_are_not() {
    let c = KafkaChecker::new(2).with_created_topics(3);
    let mut h = History::new(c);
    h.send(0, 3, &[0]);
    h.ok(1, 3, &[0], Some(0));
    h.poll(2, 0, 2, 0, &[7]);
    h.poll(3, 0, 3, 0, &[0]);
    h.poll(4, 0, 4, 0, &[1]);
    h.poll(5, 0, 5, 0, &[2]);
    let mut fin = finals(&[
        (0, &[]),
        (0, &[]),
        (0, &[]),
        (0, &[0]),
        (0, &[1]),
        (0, &[2]),
    ]);
    fin.consumers = true;
    let r = h.report(&fin);
    // Values 0 (acked), 1 and 2 (read, never sent by this checker's producers) count as
    // polled; value 7 of the retry partition does not.
    assert_eq!(metric(&r, "polled"), 3.0);
    assert_eq!(metric(&r, "unseen"), 0.0);
}

/// An idempotent producer's later send of a key acknowledged only as a duplicate
/// (DUPLICATE_SEQUENCE_NUMBER, no offset) supersedes that producer's earlier record of the key
/// on a compacted topic: the earlier record's absence is compaction, not a loss. Another
/// producer's offsetless ack does not; and under acks=0 an offsetless "ok" supersedes nothing.
#[test]
fn an_offsetless_ack_of_a_later_send_supersedes_the_producers_earlier_record_of_its_key() {
    let keys = KeySpec {
        key_space: 1,
        tombstone_every: 0,
        compacted: true,
    };
    // Producer `later_by`'s send of the same key is acknowledged without an offset; the final
    // log of partition 1 holds neither record.
    let lost = |later_by: u64, acks0: bool| {
        let c = KafkaChecker::new(2).with_keys(keys);
        let mut h = History::new(c);
        let first: Values = Values::from(vec![pv(0, 0)]);
        h.send_values(0, 1, first.clone());
        h.ok_values(1, 1, first, Some(0));
        let later: Values = Values::from(vec![pv(later_by, 1)]);
        h.send_values(2, 1, later.clone());
        h.ok_values(3, 1, later, None);
        let mut fin = finals(&[(0, &[]), (0, &[])]);
        fin.acks0 = acks0;
        metric(&h.report(&fin), "lost_write")
    };
    // The later send is lost (nothing supersedes it); the earlier record is not.
    assert_eq!(lost(0, false), 1.0);
    assert_eq!(lost(1, false), 2.0);
    // acks=0: the earlier record is lost, the later one is an acks=0 loss, not a lost write.
    assert_eq!(lost(0, true), 1.0);
}

/// Only sends acknowledged *without* an offset count as offsetless acks: a later send of the
/// key acknowledged at a lower offset (after a truncation) does not excuse the earlier record.
#[test]
fn a_later_send_acknowledged_with_an_offset_is_not_an_offsetless_ack() {
    let keys = KeySpec {
        key_space: 1,
        tombstone_every: 0,
        compacted: true,
    };
    let mut h = History::new(KafkaChecker::new(1).with_keys(keys));
    h.send(0, 0, &[0]);
    h.ok(1, 0, &[0], Some(5));
    h.send(2, 0, &[1]);
    h.ok(3, 0, &[1], Some(3));
    // Value 1 sits under value 0's offset (value 0 is the key's head): compacted away is
    // possible; value 0, the head, is lost.
    let r = h.report(&finals(&[(0, &[])]));
    assert_eq!(metric(&r, "lost_write"), 1.0);
}

/// On a compacted topic a record under a later record of its key is excused; the key's head is
/// not. (The excuse looks at the record's acknowledged offset, not at a missing one.)
#[test]
fn a_compacted_record_under_its_keys_head_is_not_lost_and_the_head_is() {
    let keys = KeySpec {
        key_space: 1,
        tombstone_every: 0,
        compacted: true,
    };
    let lost = |log: &[u64]| {
        let mut h = History::new(KafkaChecker::new(1).with_keys(keys));
        h.send(0, 0, &[0, 1]);
        h.ok(1, 0, &[0, 1], Some(0));
        metric(&h.report(&finals(&[(0, log)])), "lost_write")
    };
    assert_eq!(lost(&[1]), 0.0);
    assert_eq!(lost(&[]), 1.0);
}

/// A key whose last write is a tombstone nobody read, while an earlier value of it was read,
/// is a missed tombstone; read, it is not.
#[test]
fn a_tombstone_nobody_read_after_its_keys_value_was_read_is_missed() {
    let keys = KeySpec {
        key_space: 1,
        tombstone_every: 3,
        compacted: true,
    };
    let tomb = (0..100)
        .find(|&n| keys.is_tombstone(v(n)))
        .expect("a tombstone");
    let live = (0..100)
        .find(|&n| !keys.is_tombstone(v(n)))
        .expect("a value");
    // The key's value at offset 0, its tombstone (its last write) at offset 1.
    let missed = |read_tombstone: bool| {
        let mut h = History::new(KafkaChecker::new(1).with_keys(keys));
        h.send(0, 0, &[live]);
        h.ok(1, 0, &[live], Some(0));
        h.send(2, 0, &[tomb]);
        h.ok(3, 0, &[tomb], Some(1));
        h.poll(4, 0, 0, 0, &[live]);
        if read_tombstone {
            h.poll(5, 0, 0, 1, &[tomb]);
        }
        metric(&h.report(&finals(&[(0, &[tomb])])), "missed_tombstone")
    };
    assert_eq!(missed(true), 0.0);
    assert_eq!(missed(false), 1.0);
}

/// Every example of every cause of one anomaly.
fn examples(r: &ModelReport, anomaly: &str) -> Vec<String> {
    (r.explanations.get(anomaly).into_iter().flatten())
        .flat_map(|e| e.examples.clone())
        .collect()
}

/// read_committed polls against the final logs' transaction outcomes: a record of an aborted
/// (or never committed) transaction read read_committed is an aborted read (G1a); one read
/// before its COMMIT marker's time a pre-committed read; read_uncommitted, an aborted record is
/// only counted as an observation.
#[test]
fn read_committed_polls_are_judged_against_the_transactions_outcomes() {
    let mut c = KafkaChecker::new(1);
    c.read_committed = vec![true, false];
    let mut h = History::new(c);
    for n in 0..4 {
        h.send(n, 0, &[n]);
        h.ok(10 + n, 0, &[n], Some(n));
    }
    // Value 0 committed at 150 ms, read at 100 ms; value 1 committed at 150, read at 200;
    // value 2 aborted, read by both consumers; value 3 plain, read at 300.
    h.poll(100, 0, 0, 0, &[0]);
    h.poll(200, 0, 0, 1, &[1, 2]);
    h.poll(300, 0, 0, 3, &[3]);
    h.poll(400, 1, 0, 0, &[0, 1, 2]);
    let mut fin = finals(&[(0, &[0, 1, 2, 3])]);
    fin.not_committed = vec![v(2)];
    fin.commit_ms = vec![(v(0), 150), (v(1), 150)];
    let r = h.report(&fin);
    assert_metrics(
        &r,
        &[
            ("precommitted_read", 1.0),
            ("aborted_read", 1.0),
            ("txn_not_committed_records", 1.0),
            ("aborted_polled_read_committed", 1.0),
            ("aborted_polled_read_uncommitted", 1.0),
            ("max_ack_to_poll_ms_read_committed", 300.0 - 13.0),
            ("max_ack_to_poll_ms_read_uncommitted", 400.0 - 10.0),
        ],
    );
    assert_eq!(
        examples(&r, anomaly::ABORTED_READ)[0].split(" (").next(),
        Some("p0 offset 2")
    );
}

/// Consume-transform-produce: an input with no output in the read_committed view of the output
/// topic is missing, one with two is a duplicate; outputs only in aborted transactions are
/// counted apart, and duplicates read_uncommitted too. The examples give the input's partition
/// and acknowledged offset.
#[test]
fn consume_transform_produce_outputs_are_counted_per_input_record() {
    let mut h = History::new(KafkaChecker::new(2));
    h.send(0, 1, &[0, 1, 2]);
    h.ok(5, 1, &[0, 1, 2], Some(7));
    let mut fin = finals(&[(0, &[]), (0, &[0, 1, 2])]);
    fin.ctp = Some(CtpFinal {
        input: vec![v(0), v(1), v(2)],
        output_committed: vec![v(0), v(0), v(1)],
        output_all: vec![v(0), v(0), v(1), v(2), v(2)],
    });
    let r = h.report(&fin);
    assert_metrics(
        &r,
        &[
            ("eos_missing", 1.0),
            ("eos_duplicate", 1.0),
            ("unprocessed", 1.0),
            ("processed_more_than_once", 1.0),
            ("delivery_guarantee", 0.0),
            ("ctp_input_records", 3.0),
            ("ctp_output_committed", 3.0),
            ("ctp_output_aborted", 2.0),
            ("eos_duplicate_read_uncommitted", 2.0),
        ],
    );
    let first = |a| examples(&r, a)[0].split(" (").next().map(str::to_string);
    assert_eq!(first(anomaly::EOS_MISSING).as_deref(), Some("p1 offset 9"));
    assert_eq!(
        first(anomaly::EOS_DUPLICATE).as_deref(),
        Some("p1 offset 7")
    );
}

/// A send that definitely failed and is readable as committed in the final log is an aborted
/// read (a failed write that took effect); its example gives the offset it was read at and the
/// time it was sent (it has no acknowledgement time).
#[test]
fn a_failed_send_committed_in_the_final_log_is_explained_by_its_send_time() {
    let mut h = History::new(KafkaChecker::new(1));
    h.send(250, 0, &[0]);
    h.fail(300, &[0]);
    h.poll(400, 0, 0, 5, &[0]);
    let r = h.report(&finals(&[(5, &[0])]));
    // Read once (a read_uncommitted poll of a failed send), and in the log as committed.
    assert_eq!(metric(&r, "aborted_read"), 2.0);
    let (n, failed) = cause(&r, anomaly::ABORTED_READ, "failed_send_in_log");
    assert_eq!(n, 1);
    assert!(failed[0].starts_with("p0 offset 5 "), "{failed:?}");
    assert!(failed[0].contains("sent at 0.250"), "{failed:?}");
}

/// On a compacted topic, a record acknowledged at an offset that the final log holds with
/// another record of its key (the offset was reused after a truncation) is lost, not compacted
/// away: the surviving record is not later than it.
#[test]
fn a_record_whose_offset_holds_another_of_its_key_is_lost_not_compacted() {
    let keys = KeySpec {
        key_space: 1,
        tombstone_every: 0,
        compacted: true,
    };
    let mut h = History::new(KafkaChecker::new(1).with_keys(keys));
    h.send(0, 0, &[0]);
    h.ok(1, 0, &[0], Some(0));
    h.send(2, 0, &[1]);
    h.ok(3, 0, &[1], Some(0));
    let r = h.report(&finals(&[(0, &[0])]));
    assert_metrics(&r, &[("lost_write", 1.0), ("inconsistent_offsets", 1.0)]);
}

/// A read_committed read is pre-committed only when strictly before its COMMIT marker's time:
/// two reads before, one at and one after.
#[test]
fn a_precommitted_read_is_one_strictly_before_the_commit() {
    let mut c = KafkaChecker::new(1);
    c.read_committed = vec![true];
    let mut h = History::new(c);
    for n in 0..4 {
        h.send(n, 0, &[n]);
        h.ok(10 + n, 0, &[n], Some(n));
    }
    h.poll(100, 0, 0, 0, &[0]);
    h.poll(200, 0, 0, 1, &[1]);
    h.poll(300, 0, 0, 2, &[2]);
    h.poll(400, 0, 0, 3, &[3]);
    let mut fin = finals(&[(0, &[0, 1, 2, 3])]);
    fin.commit_ms = vec![(v(0), 150), (v(1), 250), (v(2), 300), (v(3), 350)];
    assert_metrics(&h.report(&fin), &[("precommitted_read", 2.0)]);
}
