//! Unit tests of the transaction coordinator (`txn_coordinator.rs`).
use super::*;

/// A coordinator with one transaction (transactional id 7) in `state`, holding `parts`.
fn coordinator(state: State, parts: &[u32]) -> TxnCoordinator {
    let mut c = TxnCoordinator::new(Rc::new(KafkaConfig::default()));
    let mut t = TxnMeta::new(PID_BASE, 60_000, SimTime::ZERO);
    t.epoch = 2;
    t.state = state;
    t.partitions = parts.iter().copied().collect();
    c.txns.insert(7, t);
    c
}

#[test]
fn verification_answers_per_partition_for_the_ongoing_transaction() {
    let c = coordinator(State::Ongoing, &[0, 2]);
    assert_eq!(
        c.verify_partitions(PID_BASE, 2, &[0, 1, 2]),
        vec![
            (0, Ok(())),
            (1, Err(KErr::TransactionAbortable)),
            (2, Ok(()))
        ]
    );
}

#[test]
fn verification_refuses_whole_requests() {
    let c = coordinator(State::Ongoing, &[0]);
    assert_eq!(
        c.verify_partitions(PID_BASE + 1, 2, &[0]),
        vec![(0, Err(KErr::InvalidProducerIdMapping))]
    );
    assert_eq!(
        c.verify_partitions(PID_BASE, 1, &[0]),
        vec![(0, Err(KErr::ProducerFenced))]
    );
    let c = coordinator(State::Completing { commit: false }, &[]);
    assert_eq!(
        c.verify_partitions(PID_BASE, 2, &[0]),
        vec![(0, Err(KErr::ConcurrentTransactions))]
    );
}

#[test]
fn a_finished_transaction_holds_no_partition() {
    for state in [State::Complete, State::Empty] {
        let c = coordinator(state, &[0]);
        assert_eq!(
            c.verify_partitions(PID_BASE, 2, &[0]),
            vec![(0, Err(KErr::TransactionAbortable))],
            "{state:?}"
        );
    }
}

/// KIP-890 part 2: a leader's add makes the transaction Ongoing and records the partition;
/// a stale epoch is fenced, markers being written refuse it, an unknown producer id too.
#[test]
fn a_leader_adds_partitions_with_transactions_v2() {
    let now = SimTime::ZERO + SimDuration::from_millis(5);
    let mut c = coordinator(State::Complete, &[]);
    assert_eq!(
        c.add_partitions_from_leader(now, PID_BASE, 2, &[0, 1]),
        vec![(0, Ok(())), (1, Ok(()))]
    );
    let t = &c.txns[&7];
    assert_eq!(t.state, State::Ongoing);
    assert_eq!(t.started, now, "the transaction timeout starts at the add");
    assert_eq!(t.partitions, BTreeSet::from([0, 1]));
    // Now part 1's verification finds the partitions in the transaction.
    assert_eq!(c.verify_partitions(PID_BASE, 2, &[1]), vec![(1, Ok(()))]);
    assert_eq!(
        c.add_partitions_from_leader(now, PID_BASE, 1, &[2]),
        vec![(2, Err(KErr::ProducerFenced))]
    );
    assert_eq!(
        c.add_partitions_from_leader(now, PID_BASE + 9, 2, &[2]),
        vec![(2, Err(KErr::InvalidProducerIdMapping))]
    );
    let mut c = coordinator(State::Completing { commit: true }, &[]);
    assert_eq!(
        c.add_partitions_from_leader(now, PID_BASE, 2, &[0]),
        vec![(0, Err(KErr::ConcurrentTransactions))]
    );
    assert!(c.txns[&7].partitions.is_empty());
}

/// TransactionCoordinator.endTransaction with transactions v2: an abort of a transaction
/// that added nothing (Empty, or Complete at the current epoch) is accepted with an epoch
/// bump; a commit there is an invalid transition; a retry names the epoch before the bump.
#[test]
fn end_txn_v2_accepts_an_abort_that_added_nothing() {
    let outcome = |state, last_commit, epoch, commit| {
        let mut c = coordinator(state, &[]);
        c.txns.get_mut(&7).expect("txn").last_commit = last_commit;
        c.end_txn_outcome_tv2(7, PID_BASE, epoch, commit)
    };
    assert_eq!(outcome(State::Empty, None, 2, false), Ok(true));
    assert_eq!(
        outcome(State::Empty, None, 2, true),
        Err(KErr::InvalidTxnState)
    );
    for last in [true, false] {
        assert_eq!(outcome(State::Complete, Some(last), 2, false), Ok(true));
        assert_eq!(
            outcome(State::Complete, Some(last), 2, true),
            Err(KErr::InvalidTxnState)
        );
    }
    // Retries (epoch 1, the one before the bump): the same decision succeeds.
    assert_eq!(outcome(State::Complete, Some(true), 1, true), Ok(false));
    assert_eq!(outcome(State::Complete, Some(false), 1, false), Ok(false));
    assert_eq!(
        outcome(State::Complete, Some(true), 1, false),
        Err(KErr::InvalidTxnState)
    );
    assert_eq!(outcome(State::Ongoing, None, 2, true), Ok(true));
    assert_eq!(
        outcome(State::Ongoing, None, 1, true),
        Err(KErr::ProducerFenced)
    );
    assert_eq!(
        outcome(State::Completing { commit: true }, Some(true), 1, true),
        Err(KErr::ConcurrentTransactions)
    );
    assert_eq!(
        outcome(State::Completing { commit: true }, Some(true), 2, false),
        Err(KErr::ProducerFenced),
        "while markers are written only a retry is valid"
    );
}

/// handleEndTransaction's answers by state: decide an ongoing one; the same decision
/// while it is written waits, once written succeeds; the other decision is refused.
#[test]
fn end_txn_answers_by_state_and_decision() {
    let outcome = |state, last_commit, commit| {
        let mut c = coordinator(state, &[0]);
        c.txns.get_mut(&7).expect("txn").last_commit = last_commit;
        c.end_txn_outcome(7, PID_BASE, 2, commit)
    };
    assert_eq!(outcome(State::Ongoing, None, true), Ok(true));
    for commit in [true, false] {
        let writing = State::Completing { commit };
        assert_eq!(
            outcome(writing, Some(commit), commit),
            Err(KErr::ConcurrentTransactions)
        );
        assert_eq!(
            outcome(writing, Some(commit), !commit),
            Err(KErr::InvalidTxnState)
        );
        assert_eq!(outcome(State::Complete, Some(commit), commit), Ok(false));
        assert_eq!(
            outcome(State::Complete, Some(commit), !commit),
            Err(KErr::InvalidTxnState)
        );
    }
    assert_eq!(outcome(State::Empty, None, false), Ok(false));
    // Fencing comes first: a stale epoch is fenced whatever the state.
    let c = coordinator(State::Complete, &[]);
    assert_eq!(
        c.end_txn_outcome(7, PID_BASE, 1, true),
        Err(KErr::ProducerFenced)
    );
}
