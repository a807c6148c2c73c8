//! Hand-built histories, one per anomaly class of the transaction-history checker.

use super::*;
use crate::kafka::wire::msg::KEvent;
use crate::kafka::wire::values::Values;

/// Producers 0 and 1 are transactional clients with consumers 0 and 1; consumer 2 reads
/// read_committed on its own; every consumer is read_committed.
fn checker() -> TxnHistoryChecker {
    TxnHistoryChecker::new(&[(0, 0), (1, 1)], vec![true, true, true])
}

fn mark(c: &mut TxnHistoryChecker, producer: u32, mark: TxnMark) {
    c.observe(&KEvent::Txn {
        producer,
        consumer: producer,
        mark,
    });
}

/// A send of `v` to `p`, acknowledged at `offset`.
fn write(c: &mut TxnHistoryChecker, producer: u32, p: u32, v: u64, offset: u64) {
    let values: Values = Values::from(vec![v]);
    c.observe(&KEvent::Send {
        producer,
        p,
        values: values.clone(),
    });
    c.observe(&KEvent::SendOk {
        p,
        values,
        offset: Some(offset),
    });
}

fn poll(c: &mut TxnHistoryChecker, consumer: u32, p: u32, first: u64, values: &[u64]) {
    c.observe(&KEvent::Poll {
        consumer,
        p,
        first,
        values: Values::from(values),
    });
}

fn none() -> BTreeSet<u64> {
    BTreeSet::new()
}

#[test]
fn g1a_a_write_of_an_aborted_transaction_read_committed() {
    let mut c = checker();
    mark(&mut c, 0, TxnMark::Begin);
    write(&mut c, 0, 0, 10, 1);
    mark(&mut c, 0, TxnMark::Aborted);
    poll(&mut c, 2, 0, 1, &[10]);
    let found = c.analyse(&none());
    assert_eq!((found.g1a, found.g1b, found.torn, found.g1c), (1, 0, 0, 0));
    // Already counted by the log checker when the final log calls it not committed.
    assert_eq!(c.analyse(&BTreeSet::from([10])).g1a, 0);
    // A read_uncommitted reader may read it.
    let mut ru = TxnHistoryChecker::new(&[(0, 0)], vec![false]);
    mark(&mut ru, 0, TxnMark::Begin);
    write(&mut ru, 0, 0, 10, 1);
    mark(&mut ru, 0, TxnMark::Aborted);
    poll(&mut ru, 0, 0, 1, &[10]);
    assert_eq!(ru.analyse(&none()).g1a, 0);
}

#[test]
fn g1b_a_write_read_before_the_transactions_next_write_to_the_partition() {
    let mut c = checker();
    mark(&mut c, 0, TxnMark::Begin);
    write(&mut c, 0, 0, 10, 0);
    poll(&mut c, 2, 0, 0, &[10]);
    write(&mut c, 0, 0, 11, 1);
    mark(&mut c, 0, TxnMark::Committed);
    assert_eq!(c.analyse(&none()).g1b, 1);
    // Read after the transaction's last write (and commit): fine.
    let mut ok = checker();
    mark(&mut ok, 0, TxnMark::Begin);
    write(&mut ok, 0, 0, 10, 0);
    write(&mut ok, 0, 0, 11, 1);
    mark(&mut ok, 0, TxnMark::Committed);
    poll(&mut ok, 2, 0, 0, &[10]);
    assert_eq!(ok.analyse(&none()), TxnAnomalies::default());
}

/// T0 writes p0@1 and p1@1; the reader returns p0@1 and, of p1, offsets 0 and 2 (other
/// committed transactions) but not 1 — with a seek between the two reads of p1 if `seek`.
fn torn_history(seek: bool) -> TxnHistoryChecker {
    let mut c = checker();
    mark(&mut c, 1, TxnMark::Begin);
    write(&mut c, 1, 1, 19, 0);
    mark(&mut c, 1, TxnMark::Committed);
    mark(&mut c, 0, TxnMark::Begin);
    write(&mut c, 0, 0, 10, 1);
    write(&mut c, 0, 1, 11, 1);
    mark(&mut c, 0, TxnMark::Committed);
    mark(&mut c, 1, TxnMark::Begin);
    write(&mut c, 1, 1, 20, 2);
    mark(&mut c, 1, TxnMark::Committed);
    poll(&mut c, 2, 0, 1, &[10]);
    poll(&mut c, 2, 1, 0, &[19]);
    if seek {
        c.observe(&KEvent::Seek { consumer: 2 });
    }
    poll(&mut c, 2, 1, 2, &[20]);
    c
}

#[test]
fn torn_part_of_a_committed_transaction_read_past() {
    assert_eq!(torn_history(false).analyse(&none()).torn, 1);
    // A new session (a seek) between the two reads of p1: not read past.
    assert_eq!(torn_history(true).analyse(&none()).torn, 0);
}

#[test]
fn g0_write_cycle_is_counted_apart_from_g1c() {
    // T0 before T1 on p0, T1 before T0 on p1: ww both ways (Kafka allows it).
    let mut c = checker();
    mark(&mut c, 0, TxnMark::Begin);
    mark(&mut c, 1, TxnMark::Begin);
    write(&mut c, 0, 0, 10, 0);
    write(&mut c, 1, 0, 20, 1);
    write(&mut c, 1, 1, 21, 0);
    write(&mut c, 0, 1, 11, 1);
    mark(&mut c, 0, TxnMark::Committed);
    mark(&mut c, 1, TxnMark::Committed);
    let found = c.analyse(&none());
    assert_eq!((found.g0, found.g1c), (1, 0));
}

/// T0 reads T1's write (wr T1→T0, if `read`) and writes p0 before T1 does (ww T0→T1); T1
/// ends with `t1`.
fn read_cycle(read: bool, t1: TxnMark) -> TxnHistoryChecker {
    let mut c = checker();
    mark(&mut c, 1, TxnMark::Begin);
    write(&mut c, 1, 1, 21, 0);
    mark(&mut c, 0, TxnMark::Begin);
    if read {
        poll(&mut c, 0, 1, 0, &[21]);
    }
    write(&mut c, 0, 0, 10, 0);
    mark(&mut c, 0, TxnMark::Committed);
    write(&mut c, 1, 0, 20, 1);
    mark(&mut c, 1, t1);
    c
}

#[test]
fn g1c_a_cycle_through_a_read() {
    let found = read_cycle(true, TxnMark::Committed).analyse(&none());
    assert_eq!((found.g1c, found.g0), (1, 0));
    // Without the read there is no cycle.
    let found = read_cycle(false, TxnMark::Committed).analyse(&none());
    assert_eq!(found.g1c, 0);
}

#[test]
fn aborted_transactions_make_no_edges() {
    // The same cycle, but T1 aborted: no G1c (its write read is G1a instead).
    let c = read_cycle(true, TxnMark::Aborted);
    let found = c.analyse(&none());
    assert_eq!((found.g1c, found.g1a), (0, 1));
    assert_eq!(c.outcomes(), (1, 1));
}

#[test]
fn each_value_of_a_batch_sits_at_its_own_offset_and_outcomes_count_apart() {
    let mut c = checker();
    // Producer 0: a committed transaction with one batch of three values acknowledged at
    // offset 5, then another committed one; producer 1: an aborted transaction whose batch is
    // never acknowledged, then polled by consumer 2 from offset 7.
    mark(&mut c, 0, TxnMark::Begin);
    let batch: Values = Values::from(vec![10, 11, 12]);
    c.observe(&KEvent::Send {
        producer: 0,
        p: 0,
        values: batch.clone(),
    });
    c.observe(&KEvent::SendOk {
        p: 0,
        values: batch,
        offset: Some(5),
    });
    mark(&mut c, 0, TxnMark::Committed);
    mark(&mut c, 0, TxnMark::Begin);
    write(&mut c, 0, 1, 20, 0);
    mark(&mut c, 0, TxnMark::Committed);
    mark(&mut c, 1, TxnMark::Begin);
    c.observe(&KEvent::Send {
        producer: 1,
        p: 2,
        values: Values::from(vec![30, 31]),
    });
    mark(&mut c, 1, TxnMark::Aborted);
    poll(&mut c, 2, 2, 7, &[30, 31]);
    assert_eq!(c.offsets.get(&10), Some(&(0, 5)));
    assert_eq!(c.offsets.get(&12), Some(&(0, 7)));
    assert_eq!(c.offsets.get(&31), Some(&(2, 8)));
    assert_eq!(c.outcomes(), (2, 1));
    assert_eq!(c.txns[2].producer, 1);
}

/// T0 writes p0@1 and p1@1 and commits; consumer 2 reads T0's p0 write and, of p2, offsets 0
/// and 2 (two other committed transactions), and never reads p1.
#[test]
fn a_span_of_another_partition_is_not_reading_past() {
    let mut c = checker();
    mark(&mut c, 0, TxnMark::Begin);
    write(&mut c, 0, 0, 10, 1);
    write(&mut c, 0, 1, 11, 1);
    mark(&mut c, 0, TxnMark::Committed);
    for (v, o) in [(19, 0), (20, 2)] {
        mark(&mut c, 1, TxnMark::Begin);
        write(&mut c, 1, 2, v, o);
        mark(&mut c, 1, TxnMark::Committed);
    }
    poll(&mut c, 2, 0, 1, &[10]);
    poll(&mut c, 2, 2, 0, &[19]);
    poll(&mut c, 2, 2, 2, &[20]);
    assert_eq!(c.analyse(&none()).torn, 0);
}

/// T0's p1 write was acknowledged at offset `at` of p1, but the reader found another committed
/// record there (the write was lost: the log checker's business) and read p1 from `from` to
/// `to`: reading *at* the write's offset is not reading *past* it.
fn lost_under_a_read(at: u64, from: u64, to: u64) -> u64 {
    let mut c = checker();
    mark(&mut c, 0, TxnMark::Begin);
    write(&mut c, 0, 0, 10, 1);
    write(&mut c, 0, 1, 11, at);
    mark(&mut c, 0, TxnMark::Committed);
    for (v, o) in [(19, from), (20, to)] {
        mark(&mut c, 1, TxnMark::Begin);
        write(&mut c, 1, 1, v, o);
        mark(&mut c, 1, TxnMark::Committed);
    }
    poll(&mut c, 2, 0, 1, &[10]);
    poll(&mut c, 2, 1, from, &[19]);
    poll(&mut c, 2, 1, to, &[20]);
    c.analyse(&none()).torn
}

#[test]
fn a_write_at_the_first_or_last_offset_read_is_not_read_past() {
    assert_eq!(lost_under_a_read(3, 3, 5), 0, "at the first offset read");
    assert_eq!(lost_under_a_read(5, 3, 5), 0, "at the last offset read");
    assert_eq!(lost_under_a_read(4, 3, 5), 1, "between them: torn");
}

#[test]
fn the_report_adds_aborted_reads_to_the_log_checkers_and_sets_the_other_classes() {
    // G1a: consumer 2 reads T0's aborted write; G1b: it reads T1's first write before T1's
    // next write to the same partition.
    let mut c = checker();
    mark(&mut c, 0, TxnMark::Begin);
    write(&mut c, 0, 0, 10, 1);
    mark(&mut c, 0, TxnMark::Aborted);
    poll(&mut c, 2, 0, 1, &[10]);
    mark(&mut c, 1, TxnMark::Begin);
    write(&mut c, 1, 1, 20, 0);
    poll(&mut c, 2, 1, 0, &[20]);
    write(&mut c, 1, 1, 21, 1);
    mark(&mut c, 1, TxnMark::Committed);
    let mut report = ModelReport::default();
    // The log checker counted two aborted records read (its own kind of G1a).
    report.anomalies.insert(anomaly::ABORTED_READ.into(), 2);
    c.report(&none(), &mut report);
    let got = |a: &str| report.anomalies.get(a).copied();
    assert_eq!(
        got(anomaly::ABORTED_READ),
        Some(3),
        "added to the log checker's"
    );
    assert_eq!(got(anomaly::INTERMEDIATE_READ), Some(1));
    assert_eq!(got(anomaly::TORN_TRANSACTION), Some(0));
    assert_eq!(got(anomaly::CYCLIC_INFORMATION_FLOW), Some(0));
    assert_eq!(report.observations.get("txn_history_committed"), Some(&1.0));
    assert_eq!(report.observations.get("txn_history_aborted"), Some(&1.0));
    assert_eq!(report.observations.get("txn_history_reads"), Some(&2.0));
    let g1b = &report.explanations[anomaly::INTERMEDIATE_READ];
    assert_eq!(
        (g1b[0].cause.as_str(), g1b[0].count),
        ("read_inside_transaction", 1)
    );
}

#[test]
fn the_shared_observer_feeds_the_checker() {
    let shared = Rc::new(RefCell::new(checker()));
    let mut observer = SharedTxn(shared.clone());
    let begin = KEvent::Txn {
        producer: 0,
        consumer: 0,
        mark: TxnMark::Begin,
    };
    observer.observe(SimTime::ZERO, NodeId(0), &begin);
    assert_eq!(shared.borrow().txns.len(), 1);
}
