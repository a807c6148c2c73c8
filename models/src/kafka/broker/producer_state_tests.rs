use super::*;
use crate::kafka::broker::log::ReplicaLog;
use crate::kafka::wire::records::{Batch, BatchTxn};
use std::rc::Rc;

/// A two-record batch of producer `pid` at `epoch` with first sequence `seq`, at the log end.
fn batch(log: &ReplicaLog, pid: i64, epoch: i16, seq: i32) -> Rc<Batch> {
    let mut b = Batch::fixture(log.leo, 0, &[log.leo, log.leo + 1]);
    b.pid = pid;
    b.producer_epoch = epoch;
    b.first_seq = seq;
    Rc::new(b)
}

/// The state a replay of what is left in the log gives.
fn replayed(log: &ReplicaLog) -> BTreeMap<i64, ProducerEntry> {
    let mut m = BTreeMap::new();
    for b in log.segments.iter().flat_map(|s| &s.batches) {
        note_producer(&mut m, b);
    }
    m
}

/// Appends `plan` (pid, epoch bump?) with segments of 4 batches (segment.bytes 800).
fn log_of(plan: &[(i64, bool)]) -> ReplicaLog {
    let mut log = ReplicaLog::default();
    let mut next: BTreeMap<i64, (i16, i32)> = BTreeMap::new();
    for &(pid, bump) in plan {
        let (epoch, seq) = next.entry(pid).or_insert((0, 0));
        if bump {
            *epoch += 1;
            *seq = 0;
        }
        let b = batch(&log, pid, *epoch, *seq);
        *seq += 2;
        log.append(b, 0, 800, i64::MAX as u64);
    }
    log.hw = log.leo;
    log
}

/// Cut head segments one at a time; after each cut the state must be the replay of what is
/// left, whichever way it was reached.
fn cut_all_the_way(mut log: ReplicaLog) -> u32 {
    let mut derived = 0;
    while log.segments.len() > 1 {
        let before = log.producers.clone();
        let cut = log.segments[1].base_offset;
        let mut probe = before.clone();
        if after_head_cut(&mut probe, cut) {
            derived += 1;
        }
        let mut n = 0;
        log.delete_oldest_while(|_, _, _| {
            n += 1;
            n == 1
        });
        let want = replayed(&log);
        assert!(
            same_producers(&log.producers, &want),
            "after a cut at {cut}: {:?} against the replay {want:?}",
            log.producers
        );
    }
    derived
}

#[test]
fn a_steady_producer_keeps_its_state_through_head_cuts_without_a_replay() {
    // One producer, 40 batches in 10 segments of 4: every cut but the last leaves its last
    // five batches; the last leaves four, whose replay caches fewer.
    let plan: Vec<(i64, bool)> = (0..40).map(|_| (7, false)).collect();
    let log = log_of(&plan);
    assert_eq!(log.segments.len(), 10);
    assert_eq!(cut_all_the_way(log), 8, "each cut but the last derived");
}

#[test]
fn a_producer_left_with_fewer_than_five_batches_is_replayed_and_a_gone_one_forgotten() {
    // Producer 1 writes 3 batches in the first segments only, producer 2 writes throughout,
    // producer 3 writes 2 batches straddling the second segment's start.
    let mut plan = vec![(1, false), (1, false), (2, false), (3, false)];
    plan.extend([(3, false), (1, false), (2, false), (2, false)]);
    plan.extend((0..20).map(|_| (2, false)));
    let log = log_of(&plan);
    let mut probe = log.producers.clone();
    let second = log.segments[1].base_offset;
    // Producer 3's oldest cached batch is below the cut, its newest above: not derivable.
    assert!(!after_head_cut(&mut probe, second));
    assert!(
        same_producers(&probe, &log.producers),
        "unchanged when not derivable"
    );
    cut_all_the_way(log);
}

#[test]
fn an_epoch_bump_above_the_cut_makes_the_state_derivable() {
    // Producer 4 writes two batches, then bumps its epoch in the next segment and writes two
    // more: a cut between leaves the whole new run.
    let plan = [
        (4, false),
        (4, false),
        (5, false),
        (5, false),
        (4, true),
        (4, false),
        (5, false),
        (5, false),
        (5, false),
        (5, false),
        (5, false),
        (5, false),
    ];
    let log = log_of(&plan);
    let mut probe = log.producers.clone();
    assert!(after_head_cut(&mut probe, log.segments[1].base_offset));
    assert_eq!(probe[&4].epoch, 1);
    assert_eq!(probe[&4].batches.len(), 2);
    cut_all_the_way(log);
}

#[test]
fn a_transactional_append_or_a_cleaning_asks_for_a_replay() {
    let mut log = log_of(&[(1, false), (1, false)]);
    assert!(log.plain_replay);
    let mut b = Batch::fixture(log.leo, 0, &[log.leo]);
    (b.pid, b.first_seq, b.txn) = (1, 4, BatchTxn::Data);
    log.append(Rc::new(b), 0, 800, i64::MAX as u64);
    assert!(
        !log.plain_replay,
        "a transactional batch: the index needs a replay"
    );
    log.rebuild_producers();
    assert!(!log.plain_replay, "still one in the log after a rebuild");
}

#[test]
fn a_truncation_anywhere_leaves_the_replay_of_what_is_left() {
    // Three producers interleaved, one bumping its epoch twice; truncate at every offset (mid
    // batch too) and compare with a replay of the records left.
    let plan: Vec<(i64, bool)> = (0..30)
        .map(|i| match i % 7 {
            0 | 3 => (1, false),
            1 | 4 | 6 => (2, i == 13 || i == 22),
            _ => (3, false),
        })
        .collect();
    let leo = log_of(&plan).leo;
    let mut replays = 0;
    for offset in 0..=leo {
        let mut log = log_of(&plan);
        let before = log.producers.clone();
        log.truncate_to(offset);
        let want = replayed(&log);
        assert!(
            same_producers(&log.producers, &want),
            "after a truncation to {offset}: {:?} against the replay {want:?}",
            log.producers
        );
        replays += usize::from(!same_producers(&before, &want));
    }
    assert!(
        replays > 40,
        "most truncations change the state ({replays})"
    );
}

#[test]
fn the_backward_replay_stops_at_the_epochs_run_even_when_an_older_run_had_the_same_epoch() {
    // Epochs 1, 0, 1 (a log the broker would not write, but the replay's rule is the forward
    // fold's: the cache holds the last run of the last epoch only).
    let mut log = ReplicaLog::default();
    for (epoch, seq) in [(1, 0), (1, 2), (0, 0), (1, 4), (1, 6)] {
        let b = batch(&log, 9, epoch, seq);
        log.append(b, 0, 800, i64::MAX as u64);
    }
    log.truncate_to(log.leo - 1);
    let want = replayed(&log);
    assert_eq!(want[&9].batches.len(), 2, "the run after the epoch-0 batch");
    assert!(same_producers(&log.producers, &want), "{:?}", log.producers);
}
