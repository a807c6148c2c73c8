//! Kafka oracle cases K1–K20 (shared/reference/kafka.md §14): each scenario in scenarios/kafka
//! states its documented outcome as expectations; every one must hold over many seeds. The
//! outcomes come from the model's rules under the scenario's faults: no code knows a scenario.

use crate::common;

fn oracle(name: &str) {
    common::oracle("kafka", name);
}

#[test]
fn healthy() {
    oracle("healthy");
}

#[test]
fn k01_acks0_leader_crash() {
    oracle("k01-acks0-leader-crash");
}

#[test]
fn k02_acks1_leader_crash() {
    oracle("k02-acks1-leader-crash");
}

#[test]
fn k03_acksall_no_loss() {
    oracle("k03-acksall-no-loss");
}

#[test]
fn k03b_acksall_random_crashes() {
    oracle("k03b-acksall-random-crashes");
}

#[test]
fn k04_unclean_election() {
    oracle("k04-unclean-election");
}

#[test]
fn k04b_clean_election_unavailable() {
    oracle("k04b-clean-election-unavailable");
}

#[test]
fn k05a_below_min_isr_acks_all() {
    oracle("k05a-below-min-isr-acks-all");
}

#[test]
fn k05b_below_min_isr_acks1_hw_frozen() {
    oracle("k05b-below-min-isr-acks1-hw-frozen");
}

#[test]
fn k05c_below_min_isr_acks1_legacy_hw() {
    oracle("k05c-below-min-isr-acks1-legacy-hw");
}

#[test]
fn k05d_not_leader_after_append() {
    oracle("k05d-not-leader-after-append");
}

#[test]
fn k05e_consumer_truncation_detected() {
    oracle("k05e-consumer-truncation-detected");
}

#[test]
fn k06a_isr_shrink_after_append_legacy() {
    oracle("k06a-isr-shrink-after-append-legacy");
}

#[test]
fn k06b_isr_shrink_after_append_idempotent() {
    oracle("k06b-isr-shrink-after-append-idempotent");
}

#[test]
fn k07a_retry_duplicates() {
    oracle("k07a-retry-duplicates");
}

#[test]
fn k07c_delivery_timeout_indeterminate() {
    oracle("k07c-delivery-timeout-indeterminate");
}

#[test]
fn k07b_retry_idempotent() {
    oracle("k07b-retry-idempotent");
}

#[test]
fn k07d_retry_one_in_flight() {
    oracle("k07d-retry-one-in-flight");
}

#[test]
fn k08_idempotence_scope() {
    oracle("k08-idempotence-scope");
}

#[test]
fn k09_commit_before_processing() {
    oracle("k09-commit-before-processing");
}

#[test]
fn k10_process_then_commit() {
    oracle("k10-process-then-commit");
}

#[test]
fn k11a_autocommit_async_handoff() {
    oracle("k11a-autocommit-async-handoff");
}

#[test]
fn k11b_autocommit_sync() {
    oracle("k11b-autocommit-sync");
}

#[test]
fn k12_time_retention() {
    oracle("k12-time-retention");
}

#[test]
fn k12_size_retention() {
    oracle("k12-size-retention");
}

#[test]
fn k12_time_retention_latest() {
    oracle("k12-time-retention-latest");
}

#[test]
fn k14a_truncate_to_hw_legacy() {
    oracle("k14a-truncate-to-hw-legacy");
}

#[test]
fn k14b_epoch_truncation() {
    oracle("k14b-epoch-truncation");
}

#[test]
fn k15a_divergence_legacy() {
    oracle("k15a-divergence-legacy");
}

#[test]
fn k15b_divergence_epochs() {
    oracle("k15b-divergence-epochs");
}

#[test]
fn k16a_kip320_zombie_legacy() {
    oracle("k16a-kip320-zombie-legacy");
}

#[test]
fn k16b_kip320_zombie_fixed() {
    oracle("k16b-kip320-zombie-fixed");
}

#[test]
fn k17a_last_replica_standing() {
    oracle("k17a-last-replica-standing");
}

#[test]
fn k17b_elr() {
    oracle("k17b-elr");
}

#[test]
fn k19a_record_too_large_client() {
    oracle("k19a-record-too-large-client");
}

#[test]
fn k19b_message_too_large_broker() {
    oracle("k19b-message-too-large-broker");
}

#[test]
fn k19c_batch_split() {
    oracle("k19c-batch-split");
}

#[test]
fn k19d_compression_fits() {
    oracle("k19d-compression-fits");
}

#[test]
fn k20a_connect_fail_fast() {
    oracle("k20a-connect-fail-fast");
}

#[test]
fn k20b_connect_dlq() {
    oracle("k20b-connect-dlq");
}

#[test]
fn k20c_connect_skip() {
    oracle("k20c-connect-skip");
}

#[test]
fn k20d_connect_no_retry() {
    oracle("k20d-connect-no-retry");
}

#[test]
fn k20e_app_dlq_then_commit() {
    oracle("k20e-app-dlq-then-commit");
}

#[test]
fn k20f_app_commit_then_dlq() {
    oracle("k20f-app-commit-then-dlq");
}

#[test]
fn k20g_connect_retries() {
    oracle("k20g-connect-retries");
}

#[test]
fn k20h_connect_operator_restart() {
    oracle("k20h-connect-operator-restart");
}

#[test]
fn k18a_transactions_isolation() {
    oracle("k18a-transactions-isolation");
}

#[test]
fn k18b_producer_fencing() {
    oracle("k18b-producer-fencing");
}

#[test]
fn k18c_exactly_once_ctp() {
    oracle("k18c-exactly-once-ctp");
}

#[test]
fn k18d_at_least_once_ctp() {
    oracle("k18d-at-least-once-ctp");
}

#[test]
fn k13_compaction() {
    oracle("k13-compaction");
}

#[test]
fn k13b_compaction_keyless() {
    oracle("k13b-compaction-keyless");
}

#[test]
fn k13c_compaction_transactions() {
    oracle("k13c-compaction-transactions");
}

#[test]
fn k13d_compaction_marker_lag() {
    oracle("k13d-compaction-marker-lag");
}

#[test]
fn k12_time_retention_none() {
    oracle("k12-time-retention-none");
}

#[test]
fn k21a_controlled_shutdown() {
    oracle("k21a-controlled-shutdown");
}

#[test]
fn k21b_hard_crash() {
    oracle("k21b-hard-crash");
}

#[test]
fn k20i_app_retry_topic() {
    oracle("k20i-app-retry-topic");
}

#[test]
fn k20j_app_retry_in_place() {
    oracle("k20j-app-retry-in-place");
}

#[test]
fn k20k_app_retry_topic_crashes() {
    oracle("k20k-app-retry-topic-crashes");
}

#[test]
fn k22a_tiered_reread() {
    oracle("k22a-tiered-reread");
}

#[test]
fn k22b_no_tiered_reread() {
    oracle("k22b-no-tiered-reread");
}

#[test]
fn k20l_dlq_metadata_after_isolation() {
    oracle("k20l-dlq-metadata-after-isolation");
}

#[test]
fn k20m_dlq_leader_down_connect_timeout() {
    oracle("k20m-dlq-leader-down-connect-timeout");
}

#[test]
fn k20n_commit_sync_retry_after_disconnect() {
    oracle("k20n-commit-sync-retry-after-disconnect");
}

#[test]
fn k18i_fenced_late_batch_read_uncommitted() {
    oracle("k18i-fenced-late-batch-read-uncommitted");
}

#[test]
fn k20o_offset_fetch_retry_after_disconnect() {
    oracle("k20o-offset-fetch-retry-after-disconnect");
}

#[test]
fn k21c_stale_metadata() {
    oracle("k21c-stale-metadata");
}

#[test]
fn k23_alter_partition_rejected() {
    oracle("k23-alter-partition-rejected");
}

#[test]
fn k03c_consumer_leaderless_metadata() {
    oracle("k03c-consumer-leaderless-metadata");
}

#[test]
fn k03d_divergence_empty_epoch() {
    oracle("k03d-divergence-empty-epoch");
}

#[test]
fn k03e_alter_partition_lost() {
    oracle("k03e-alter-partition-lost");
}

#[test]
fn k18e_ctp_rebalance_mid_transaction() {
    oracle("k18e-ctp-rebalance-mid-transaction");
}

#[test]
fn k18f_ctp_sequence_gap() {
    oracle("k18f-ctp-sequence-gap");
}

#[test]
fn k18g_ctp_follower_stale_epoch() {
    oracle("k18g-ctp-follower-stale-epoch");
}

#[test]
fn k18h_txn_marker_to_crashed_leader() {
    oracle("k18h-txn-marker-to-crashed-leader");
}

#[test]
fn k18j_ctp_second_offset_fetch() {
    oracle("k18j-ctp-second-offset-fetch");
}

#[test]
fn k24a_slow_poll_loop_commit_failed() {
    oracle("k24a-slow-poll-loop-commit-failed");
}

#[test]
fn k24b_bounded_poll_loop_commits() {
    oracle("k24b-bounded-poll-loop-commits");
}

#[test]
fn k25a_offset_out_of_range_none() {
    oracle("k25a-offset-out-of-range-none");
}

#[test]
fn k25b_offset_out_of_range_earliest() {
    oracle("k25b-offset-out-of-range-earliest");
}

#[test]
fn k26a_retention_active_segment() {
    oracle("k26a-retention-active-segment");
}

#[test]
fn k26b_retention_segment_ms() {
    oracle("k26b-retention-segment-ms");
}

#[test]
fn k27a_offsets_retention_expired() {
    oracle("k27a-offsets-retention-expired");
}

#[test]
fn k27b_offsets_retention_kept() {
    oracle("k27b-offsets-retention-kept");
}

#[test]
fn k28a_future_timestamp_blocks_retention() {
    oracle("k28a-future-timestamp-blocks-retention");
}

#[test]
fn k28b_current_timestamps_retention() {
    oracle("k28b-current-timestamps-retention");
}

#[test]
fn k29a_pause_partition() {
    oracle("k29a-pause-partition");
}

#[test]
fn k29b_no_pause() {
    oracle("k29b-no-pause");
}

#[test]
fn k30a_txn_read_uncommitted() {
    oracle("k30a-txn-read-uncommitted");
}

#[test]
fn k30b_txn_read_committed() {
    oracle("k30b-txn-read-committed");
}

#[test]
fn k31a_txn_late_produce_joins_next() {
    oracle("k31a-txn-late-produce-joins-next");
}

#[test]
fn k31b_txn_late_produce_kip890() {
    oracle("k31b-txn-late-produce-kip890");
}

#[test]
fn k32a_txn_hanging_transaction() {
    oracle("k32a-txn-hanging-transaction");
}

#[test]
fn k32b_txn_no_hanging_kip890() {
    oracle("k32b-txn-no-hanging-kip890");
}

#[test]
fn k51a_txn_verify_late_produce() {
    oracle("k51a-txn-verify-late-produce");
}

#[test]
fn k51b_txn_verify_no_hanging() {
    oracle("k51b-txn-verify-no-hanging");
}

#[test]
fn k51c_txn_no_verify_hanging() {
    oracle("k51c-txn-no-verify-hanging");
}

#[test]
fn k51d_txn_verify_guard_stale_answer() {
    oracle("k51d-txn-verify-guard-stale-answer");
}

#[test]
fn k51e_txn_verify_answer_timeout() {
    oracle("k51e-txn-verify-answer-timeout");
}

#[test]
fn k51f_txn_verify_client_timeout() {
    oracle("k51f-txn-verify-client-timeout");
}

#[test]
fn k53a_txn_delayed_endtxn_commits_next() {
    oracle("k53a-txn-delayed-endtxn-commits-next");
}

#[test]
fn k53b_txn_delayed_endtxn_fenced_kip890() {
    oracle("k53b-txn-delayed-endtxn-fenced-kip890");
}

#[test]
fn k53c_txn_delayed_endtxn_refused_after_abort() {
    oracle("k53c-txn-delayed-endtxn-refused-after-abort");
}

#[test]
fn k33a_txn_offsets_stale_generation() {
    oracle("k33a-txn-offsets-stale-generation");
}

#[test]
fn k33b_txn_offsets_current_generation() {
    oracle("k33b-txn-offsets-current-generation");
}

#[test]
fn k34a_kip101_only_divergence() {
    oracle("k34a-kip101-only-divergence");
}

#[test]
fn k34b_kip279_converges() {
    oracle("k34b-kip279-converges");
}

#[test]
fn k35a_retriable_error_reorders() {
    oracle("k35a-retriable-error-reorders");
}

#[test]
fn k35b_retriable_error_idempotent() {
    oracle("k35b-retriable-error-idempotent");
}

#[test]
fn k36a_preferred_leader_election() {
    oracle("k36a-preferred-leader-election");
}

#[test]
fn k36b_preferred_leader_unavailable() {
    oracle("k36b-preferred-leader-unavailable");
}

#[test]
fn k37a_delete_records() {
    oracle("k37a-delete-records");
}

#[test]
fn k37b_delete_records_above_hw() {
    oracle("k37b-delete-records-above-hw");
}

#[test]
fn k38a_delete_records_down_replica() {
    oracle("k38a-delete-records-down-replica");
}

#[test]
fn k38b_no_delete_records_down_replica() {
    oracle("k38b-no-delete-records-down-replica");
}

#[test]
fn k39a_alter_retention_ms() {
    oracle("k39a-alter-retention-ms");
}

#[test]
fn k39b_alter_retention_ms_deleted() {
    oracle("k39b-alter-retention-ms-deleted");
}

#[test]
fn k40a_alter_min_isr() {
    oracle("k40a-alter-min-isr");
}

#[test]
fn k40b_alter_min_isr_met() {
    oracle("k40b-alter-min-isr-met");
}

#[test]
fn k41a_txn_send_record_fields() {
    oracle("k41a-txn-send-record-fields");
}

#[test]
fn k41b_txn_send_record_now() {
    oracle("k41b-txn-send-record-now");
}

#[test]
fn k42a_create_topic_refused() {
    oracle("k42a-create-topic-refused");
}

#[test]
fn k42b_create_topic_created() {
    oracle("k42b-create-topic-created");
}

#[test]
fn k43a_alter_segment_bytes() {
    oracle("k43a-alter-segment-bytes");
}

#[test]
fn k43b_alter_retention_bytes_only() {
    oracle("k43b-alter-retention-bytes-only");
}

#[test]
fn k44a_send_before_create_topic() {
    oracle("k44a-send-before-create-topic");
}

#[test]
fn k44b_send_after_create_topic() {
    oracle("k44b-send-after-create-topic");
}

#[test]
fn k45a_alter_cleanup_policy_compact() {
    oracle("k45a-alter-cleanup-policy-compact");
}

#[test]
fn k45b_alter_cleanup_policy_delete() {
    oracle("k45b-alter-cleanup-policy-delete");
}

#[test]
fn k46_auto_create_before_create_topic() {
    oracle("k46a-auto-create-before-create-topic");
    oracle("k46b-no-auto-create-before-create-topic");
}

#[test]
fn k47_consumer_auto_creates_topic() {
    oracle("k47a-consumer-auto-creates-topic");
    oracle("k47b-consumer-no-auto-create");
}

#[test]
fn k48_subscribe_before_create_topic() {
    oracle("k48a-subscribe-before-create-topic");
    oracle("k48b-subscribe-after-create-topic");
}

#[test]
fn k49a_reassign_partition() {
    oracle("k49a-reassign-partition");
}

#[test]
fn k49_reassign_target_down_and_cancelled() {
    oracle("k49b-reassign-target-down");
    oracle("k49c-reassign-cancelled");
}

#[test]
fn k49d_reassign_refused() {
    oracle("k49d-reassign-refused");
}

#[test]
fn k50_txn_send_to_created_topic() {
    oracle("k50a-txn-send-to-created-topic");
    oracle("k50b-txn-send-topic-created-late");
}

#[test]
fn k49e_reassign_removed_replica_down() {
    oracle("k49e-reassign-removed-replica-down");
}

#[test]
fn k52a_reassign_redirected() {
    oracle("k52a-reassign-redirected");
}

#[test]
fn k52b_reassign_union_resubmitted() {
    oracle("k52b-reassign-union-resubmitted");
}

#[test]
fn k52c_reassign_cancel_unclean_refused() {
    oracle("k52c-reassign-cancel-unclean-refused");
}

#[test]
fn k52d_reassign_cancel_unclean_allowed() {
    oracle("k52d-reassign-cancel-unclean-allowed");
}

#[test]
fn k52e_reassign_created_topic() {
    oracle("k52e-reassign-created-topic");
}

#[test]
fn k58_writeback_while_process_down() {
    oracle("k58a-writeback-while-process-down");
    oracle("k58b-power-loss-unflushed");
}

#[test]
fn k58c_sole_isr_leader_advances_hw() {
    oracle("k58c-sole-isr-leader-advances-hw");
}

#[test]
fn k59a_consumer_fetch_deadline() {
    oracle("k59a-consumer-fetch-deadline");
}
