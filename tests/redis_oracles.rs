//! Redis oracle cases R1–R21 (shared/reference/redis.md §11) and the other documented outcomes
//! (side-by-side pub/sub vs streams, persistence, maxmemory, streams trimming and dead letters):
//! each scenario in scenarios/redis states its outcome as expectations (script replies and
//! metrics); every one must hold over many seeds. Outcomes come from the model's rules under the
//! scenario's faults and commands: no code recognises a scenario.

use crate::common;

fn oracle(name: &str) {
    common::oracle("redis", name);
}

#[test]
fn r01_publish_without_subscribers_returns_zero() {
    oracle("r01-publish-no-subscribers");
}

#[test]
fn r02_message_published_while_disconnected_is_lost() {
    oracle("r02-reconnect-gap");
}

#[test]
fn r03_slow_subscriber_closed_at_hard_output_buffer_limit() {
    oracle("r03-obuf-hard-limit");
}

#[test]
fn r04_soft_limit_closes_without_further_traffic() {
    oracle("r04-obuf-soft-limit");
}

#[test]
fn r05_maxclients_rejects_the_surplus_connection() {
    oracle("r05-maxclients");
}

#[test]
fn r06_oversized_bulk_is_a_protocol_error() {
    oracle("r06-proto-max-bulk-len");
}

#[test]
fn r07_publish_reaches_replica_subscribers_counts_local_only() {
    oracle("r07-publish-replicated");
}

#[test]
fn r08_partial_resync_replays_missed_publishes_late() {
    oracle("r08-partial-resync-late-publish");
}

#[test]
fn r09_failover_kills_subscribers() {
    oracle("r09-failover-kills-subscribers");
}

#[test]
fn r10_new_entries_never_another_consumers_pending() {
    oracle("r10-stream-group-pel");
}

#[test]
fn r11_history_reread_increments_delivery_count() {
    oracle("r11-stream-history-reread");
}

#[test]
fn r12_xclaim_once_then_idle_reset() {
    oracle("r12-stream-xclaim");
}

#[test]
fn r13_justid_keeps_count_xautoclaim_increments() {
    oracle("r13-stream-justid-autoclaim");
}

#[test]
fn r14_failover_loses_pel_and_unreplicated_entries() {
    oracle("r14-stream-pel-lost-on-failover");
}

#[test]
fn r15_short_break_partial_resync() {
    oracle("r15-partial-resync");
}

#[test]
fn r16_backlog_overrun_forces_full_resync() {
    oracle("r16-full-resync-no-backlog");
}

#[test]
fn r17_acked_write_lost_after_promotion() {
    oracle("r17-acked-write-lost");
}

#[test]
fn r18_wait_times_out_without_rollback() {
    oracle("r18-wait-timeout");
}

#[test]
fn r19_min_replicas_refuses_writes_during_silent_stall() {
    oracle("r19-min-replicas");
}

#[test]
fn r20_split_brain_writes_discarded_on_demotion() {
    oracle("r20-split-brain");
}

#[test]
fn r21_no_failover_without_majority() {
    oracle("r21-no-majority-no-failover");
}

#[test]
fn r22_targeted_error_reply() {
    oracle("r22-targeted-error-reply");
}

#[test]
fn r23a_sentinel_tilt_delays_odown_by_thirty_seconds() {
    oracle("r23a-sentinel-tilt-after-pause");
}

#[test]
fn r23b_short_pause_no_tilt() {
    oracle("r23b-sentinel-short-pause-no-tilt");
}

#[test]
fn side_by_side_pubsub_loses_streams_reread() {
    oracle("side-by-side-pubsub-vs-streams");
}

#[test]
fn primary_without_persistence_restarts_empty_and_wipes_replica() {
    oracle("persistence-empty-restart");
}

#[test]
fn aof_everysec_power_loss_loses_about_a_second() {
    oracle("persistence-aof-everysec");
}

#[test]
fn maxmemory_noeviction_oom_on_writes() {
    oracle("maxmemory-noeviction");
}

#[test]
fn maxmemory_allkeys_lru_evicts() {
    oracle("maxmemory-allkeys-lru");
}

#[test]
fn streams_maxlen_trims_before_delivery() {
    oracle("streams-trim-before-delivery");
}

#[test]
fn streams_dead_letter_by_delivery_count() {
    oracle("streams-dead-letter");
}

#[test]
fn publish_to_replica_reaches_only_its_subscribers() {
    oracle("publish-to-replica-local");
}

#[test]
fn idle_timeout_spares_subscribers() {
    oracle("timeout-pubsub-exempt");
}

#[test]
fn wait_acked_write_lost_when_priority_beats_offset() {
    oracle("wait-acked-write-lost");
}

#[test]
fn stream_consumer_reconnects_after_pause_into_quiet_phase() {
    oracle("streams-consumer-reconnect-after-pause");
}

#[test]
fn message_between_reconnect_and_resubscribe_is_lost_not_resubscribed() {
    oracle("pubsub-lost-not-resubscribed");
}

#[test]
fn full_resync_never_delivers_missed_publishes_late() {
    oracle("full-resync-publish-lost");
}

#[test]
fn acked_stream_entries_redelivered_after_failover() {
    oracle("stream-acked-redelivered-failover");
}

#[test]
fn sentinel_promotes_the_replica_with_the_higher_offset() {
    oracle("sentinel-prefers-higher-offset");
}

#[test]
fn unsubscribe_and_psubscribe_from_a_script() {
    oracle("pubsub-unsubscribe-psubscribe");
}

#[test]
fn xread_without_group_and_minid_trimming() {
    oracle("streams-xread-minid");
}

/// XREADGROUP `>` with nothing new is nil (as XREAD), the PEL form an empty list; NOGROUP
/// errors name the key and the group; XACK on a missing key is 0.
#[test]
fn xreadgroup_with_nothing_new_is_nil() {
    oracle("streams-xreadgroup-empty");
}

/// Also: SET k 41 then INCR is 42 (an integer-encoded value), a padded payload is not an
/// integer, INCR past i64::MAX overflows.
#[test]
fn incr_counts_from_zero_and_replicates() {
    oracle("keyspace-incr");
}

#[test]
fn rdb_crash_loses_writes_since_the_last_snapshot() {
    oracle("persistence-rdb");
}

#[test]
fn repl_timeout_drops_a_silent_replica() {
    oracle("repl-timeout");
}

#[test]
fn streams_restart_without_persistence_loses_entries_and_group() {
    oracle("streams-restart-without-persistence");
}

/// A script step whose reply has not come when the run ends (here: sent 50 ms before the end
/// over a 100 ms link, no quiet phase) is a mismatch, counted apart as `script_unanswered`:
/// `script_mismatches == 0` cannot pass on replies that never came.
#[test]
fn a_step_left_unanswered_at_the_end_is_a_mismatch() {
    let source = r#"(
        version: 1,
        name: "unanswered",
        duration_ms: 1_000,
        quiet_ms: 0,
        network: (default: (latency: Constant(us: 100_000))),
        system: Redis(
            servers: 1,
            clients: [(name: "c")],
            script: [
                (at_ms: 500, client: "c", cmd: Set(key: "k", value: 1), expect: "OK"),
                (at_ms: 700, client: "c", cmd: StopReading),
                (at_ms: 950, client: "c", cmd: Get(key: "k"), expect: "\"1\""),
            ],
        ),
        expect: ["script_mismatches == 0"],
    )"#;
    let loaded = msgsim::scenario::parse("unanswered.ron", source.to_string()).unwrap();
    let options = msgsim::runner::RunOptions {
        seed: 1,
        ..Default::default()
    };
    let outcome = msgsim::runner::run(&loaded, options).unwrap();
    let obs = &outcome.report.observations;
    // The SET was answered; StopReading waits for nothing; the GET's reply is still in flight.
    assert_eq!(obs["script_steps"], 1.0);
    assert_eq!(obs["script_unanswered"], 1.0);
    assert_eq!(obs["script_mismatches"], 1.0);
    assert!(!outcome.pass);
}

/// SET k 1, SET k 2, GET k → "2" on one healthy server: the first SET was overwritten by an
/// acknowledged write, not lost.
#[test]
fn an_overwritten_acknowledged_set_is_not_a_lost_write() {
    let source = r#"(
        version: 1,
        name: "overwrite",
        duration_ms: 1_000,
        system: Redis(
            servers: 1,
            clients: [(name: "c")],
            script: [
                (at_ms: 100, client: "c", cmd: Set(key: "k", value: 1), expect: "OK"),
                (at_ms: 200, client: "c", cmd: Set(key: "k", value: 2), expect: "OK"),
                (at_ms: 300, client: "c", cmd: Get(key: "k"), expect: "2"),
            ],
        ),
        expect: ["script_mismatches == 0", "writes_ok == 2", "anomaly:lost_write == 0"],
    )"#;
    let loaded = msgsim::scenario::parse("overwrite.ron", source.to_string()).unwrap();
    for seed in 1..=5 {
        let options = msgsim::runner::RunOptions {
            seed,
            ..Default::default()
        };
        let outcome = msgsim::runner::run(&loaded, options).unwrap();
        let failed: Vec<_> = outcome.checked.iter().filter(|c| !c.ok).collect();
        assert!(failed.is_empty(), "seed {seed}: {failed:?}");
    }
}

#[test]
fn backlog_ttl_frees_the_backlog_and_forces_a_full_resync() {
    oracle("backlog-ttl-full-resync");
}

#[test]
fn backlog_kept_within_the_ttl_partial_resync() {
    oracle("backlog-ttl-kept");
}

#[test]
fn chained_replication_proxies_writes_and_publish() {
    oracle("chained-replication");
}

#[test]
fn writable_replica_local_write_lost_on_full_resync() {
    oracle("writable-replica-local-writes");
}

#[test]
fn r25a_link_resets_lose_pubsub_messages_and_resync_partially() {
    oracle("r25a-link-reset");
}

#[test]
fn r25b_without_link_resets_nothing_is_lost() {
    oracle("r25b-link-reset-control");
}

#[test]
fn r26a_stale_data_no_answers_masterdown_while_the_link_is_down() {
    oracle("r26a-stale-data-masterdown");
}

#[test]
fn r26b_stale_data_served_by_default() {
    oracle("r26b-stale-data-served");
}

#[test]
fn stream_node_settings_hold_until_restart() {
    oracle("stream-node-settings");
}
