//! Unit tests of `producer.rs` (a child module of it, so private items are in scope).

use super::*;

fn producer(enable_idempotence: bool) -> Producer {
    let cfg = KafkaConfig {
        enable_idempotence,
        ..KafkaConfig::default()
    };
    let mut p = Producer::new(Rc::new(cfg), 0);
    p.queues[0].push_back(3 * ID_GAP);
    p
}

#[test]
fn reenqueue_without_idempotence_puts_retries_at_the_head() {
    // Batches 1 and 2 failed oldest first: addFirst leaves the newest at the head.
    let mut p = producer(false);
    p.reenqueue(0, ID_GAP);
    p.reenqueue(0, 2 * ID_GAP);
    assert_eq!(p.queues[0], [2 * ID_GAP, ID_GAP, 3 * ID_GAP]);
}

#[test]
fn reenqueue_with_idempotence_keeps_sequence_order() {
    let mut p = producer(true);
    p.reenqueue(0, 2 * ID_GAP);
    p.reenqueue(0, ID_GAP);
    assert_eq!(p.queues[0], [ID_GAP, 2 * ID_GAP, 3 * ID_GAP]);
}
