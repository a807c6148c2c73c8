//! Kafka model configuration. Defaults are Kafka's real defaults (4.0-era trunk, see
//! shared/reference/kafka.md §13); scenarios override them explicitly. Every duration carries its
//! unit in its name.

pub mod admin;
pub mod create_topic;
pub mod kinds;
pub mod script;
pub mod sink;
pub mod tiered;
mod topics;

pub use kinds::{Acks, CleanupPolicy, IsolationLevel, OffsetReset};
use msgsim_sim::{RngStream, SimDuration};
use script::{KStep, ScriptClientSpec};
use serde::{Deserialize, Serialize};
use sink::{Pipeline, SinkConfig};
use std::collections::BTreeMap;
use tiered::TieredStorageConfig;

/// When a consumer commits relative to processing (DESIGN §4.6, CONS javadoc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommitMode {
    /// enable.auto.commit: inside poll(), once the interval passed, commit what earlier polls
    /// returned; records are processed synchronously between polls (at-least-once).
    Auto,
    /// Auto-commit, but each poll's records go to a worker that processes them asynchronously,
    /// so the committed offset can run ahead of processing (K11).
    AutoAsyncHandoff,
    /// commitSync(position) right after poll, then process: at-most-once (K9).
    BeforeProcessing,
    /// Process, then commitSync(position): at-least-once (K10).
    AfterProcessing,
    /// Consume-transform-produce in a transaction: the outputs and the consumed offsets
    /// (sendOffsetsToTransaction) commit atomically: exactly-once (K18, DESIGN §4.7).
    Transactional,
}

/// A scheduled graceful stop of one broker (`kafka-server-stop` / SIGTERM): the broker asks the
/// controller to move its leaderships away before it stops (controlled.shutdown.enable, true).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlledShutdownSpec {
    /// Broker number: 1 for `b1`.
    pub broker: u32,
    pub at_ms: u64,
}

/// Configuration of the Kafka model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaConfig {
    // ---- cluster and topic ----
    /// Brokers `b1..bN`.
    pub brokers: u32,
    /// Partitions of the single topic; partition p has replicas `b(p % N + 1), b(p+1 % N + 1)...`.
    pub partitions: u32,
    pub replication_factor: u32,
    /// ServerLogConfigs: default 1; effective value min(minISR, RF) (Partition.scala).
    pub min_insync_replicas: u32,
    /// LogConfig: false since 0.11.0 (KAFKA-4623).
    pub unclean_leader_election_enable: bool,
    // ---- historical switches (default: 4.0 behaviour) ----
    /// Pre-KIP-101: a replica truncates to its local (checkpointed) HW on becoming follower or
    /// restarting; no epoch-based divergence check.
    pub truncate_to_hw_on_become_follower: bool,
    /// Pre-KIP-320 (0.11–2.0): fetches carry no current leader epoch, so no
    /// FENCED/UNKNOWN_LEADER_EPOCH, and a follower checks its log against the leader's epochs only
    /// once per leader epoch it learns of (OffsetsForLeaderEpoch), not on every fetch.
    pub no_fetch_epoch_fencing: bool,
    /// KIP-101 without KIP-279 (0.11–1.1): a follower truncates to the offset the leader's
    /// epoch lookup returns, not to min(that, its own end of the returned epoch), so after a
    /// fast double leader change its records of a lost epoch can stay below that offset. Needs
    /// `no_fetch_epoch_fencing` (pre-KIP-320: checked once per leader epoch).
    pub kip101_only: bool,
    /// Pre-3.7 (before KAFKA-15583): the HW advances while ISR < min.insync.replicas.
    pub hw_advances_under_min_isr: bool,
    /// KIP-966 eligible leader replicas (off in 4.0, on for new clusters from 4.1).
    pub elr_enabled: bool,
    /// KIP-890 transactions (transaction.version 2, Kafka 4.0 clusters; off = the model's
    /// pre-KIP-890 transactions): EndTxn bumps the producer epoch, so the markers carry
    /// epoch + 1 and a late produce of the ended transaction is fenced
    /// (INVALID_PRODUCER_EPOCH) instead of opening a hanging transaction or joining the next one.
    pub kip890_transactions: bool,
    /// KIP-890 part 1, `transaction.partition.verification.enable` (default true since 3.6,
    /// TransactionLogConfig): before a partition leader appends the first transactional batch
    /// of a producer id with no ongoing transaction on that partition, it asks the transaction
    /// coordinator whether the partition is in the producer's ongoing transaction (a
    /// verify-only AddPartitionsToTxn) and appends only if so (`broker/verification.rs`).
    pub transaction_partition_verification: bool,
    // ---- broker ----
    /// The broker's `request.timeout.ms` (default 30 000): how long its AddPartitionsToTxnManager
    /// (an InterBrokerSendThread built with `config.requestTimeoutMs`) waits for the
    /// transaction coordinator's answer to a verification (`broker/verification.rs`).
    pub broker_request_timeout_ms: u64,
    pub replica_lag_time_max_ms: u64,
    pub replica_fetch_wait_max_ms: u64,
    pub replica_fetch_max_bytes: u64,
    pub replica_fetch_backoff_ms: u64,
    /// Socket timeout of a follower fetch (replica.socket.timeout.ms).
    pub replica_socket_timeout_ms: u64,
    pub replica_high_watermark_checkpoint_interval_ms: u64,
    pub broker_heartbeat_interval_ms: u64,
    pub broker_session_timeout_ms: u64,
    /// message.max.bytes / max.message.bytes: per batch, after compression.
    pub message_max_bytes: u64,
    pub segment_bytes: u64,
    pub segment_ms: u64,
    /// -1 = unlimited.
    pub retention_ms: i64,
    /// Per partition; -1 = unlimited.
    pub retention_bytes: i64,
    pub log_retention_check_interval_ms: u64,
    /// auto.create.topics.enable (true): a client's metadata request that asks for it creates an
    /// unknown topic with `num_partitions` and `default_replication_factor`
    /// (KafkaApis.getTopicMetadata, AutoTopicCreationManager; `config/topics.rs`).
    pub auto_create_topics_enable: bool,
    /// num.partitions (1): the partition count of an auto-created topic.
    pub num_partitions: u32,
    /// default.replication.factor (1): the replication factor of an auto-created topic (a
    /// CreateTopic without one keeps the workload topic's `replication_factor`).
    pub default_replication_factor: u32,
    // ---- log compaction (DESIGN §4.9; LogConfig / CleanerConfig) ----
    pub cleanup_policy: CleanupPolicy,
    /// delete.retention.ms: how long a tombstone stays after its first cleaning (24 h).
    pub delete_retention_ms: u64,
    /// min.cleanable.dirty.ratio (0.5).
    pub min_cleanable_dirty_ratio: f64,
    /// min.compaction.lag.ms (0): newer records are not compacted.
    pub min_compaction_lag_ms: u64,
    /// max.compaction.lag.ms: older dirty records make the log eligible anyway; -1 stands for
    /// Kafka's default Long.MAX_VALUE (never).
    pub max_compaction_lag_ms: i64,
    /// log.cleaner.backoff.ms (15 000): the cleaner's sleep when nothing is cleanable.
    pub log_cleaner_backoff_ms: u64,
    /// Model knob (not a Kafka config): how often the OS writes dirty pages back. Kafka never
    /// fsyncs per message by default (log.flush.interval.messages = Long.MAX), so a power loss
    /// (crash with lose_unflushed) cuts each log back to what was written back.
    pub os_writeback_interval_ms: u64,
    /// Model knob: broker CPU time per produce/fetch request (µs).
    pub broker_request_cost_us: u64,
    /// Model knob: metadata propagation delay added by the controller's push to brokers (ms).
    pub metadata_propagation_delay_ms: u64,
    // ---- producer ----
    pub producers: u32,
    pub acks: Acks,
    pub enable_idempotence: bool,
    pub retries: u32,
    pub delivery_timeout_ms: u64,
    pub request_timeout_ms: u64,
    pub max_in_flight_requests_per_connection: u32,
    pub retry_backoff_ms: u64,
    pub retry_backoff_max_ms: u64,
    /// 5 from 4.0 (KIP-1030).
    pub linger_ms: u64,
    pub batch_size_bytes: u64,
    pub max_request_size_bytes: u64,
    /// Compression as a size ratio: compressed batch size = size × percent / 100.
    pub compression_percent: u32,
    /// Workload: messages per second over all producers.
    pub messages_per_sec: u64,
    /// Workload: each producer sends this many messages, then stops; 0 = until the quiet phase.
    pub messages_per_producer: u64,
    /// Workload: serialized size of each message.
    pub message_bytes: u64,
    /// Workload: producers start sending at this time.
    pub producer_start_ms: u64,
    /// Workload: the application re-sends every message without a definite outcome after its
    /// producer process restarts (new producer id: not deduplicated, K8).
    pub resend_unconfirmed_on_restart: bool,
    /// Workload: number of distinct record keys; 0 = keyless records (the default). Record `n`
    /// of a producer has key `n mod key_space` and goes to partition `key mod partitions`
    /// (a keyed record's partition is a function of its key, DefaultPartitioner).
    pub key_space: u64,
    /// Workload: every `tombstone_every`-th write of each key is a tombstone (null value,
    /// a delete); 0 = none.
    pub tombstone_every: u32,
    // ---- consumers ----
    /// Consumers `c1..cN`, all in group `g1`; 0 = no consumers.
    pub consumers: u32,
    pub commit_mode: CommitMode,
    pub auto_commit_interval_ms: u64,
    pub auto_offset_reset: OffsetReset,
    pub session_timeout_ms: u64,
    pub heartbeat_interval_ms: u64,
    pub max_poll_interval_ms: u64,
    pub max_poll_records: u32,
    pub fetch_max_wait_ms: u64,
    pub max_partition_fetch_bytes: u64,
    pub consumer_request_timeout_ms: u64,
    pub group_initial_rebalance_delay_ms: u64,
    /// Workload: processing time per record (µs).
    pub process_time_us_per_record: u64,
    /// Workload: consumers join at this time.
    pub consumer_start_ms: u64,
    // ---- consumer-side error handling (sink_config.rs) ----
    /// Connect sink task or application DLQ pipeline run by the consumers.
    pub sink: SinkConfig,
    /// isolation.level of every consumer (read_uncommitted, Kafka's default).
    pub isolation_level: IsolationLevel,
    /// Per-consumer override of `isolation_level` (entry i for consumer c(i+1)).
    pub consumer_isolation_levels: Vec<IsolationLevel>,
    // ---- transactions (txn_coordinator.rs, txn_client.rs, txn_producer.rs) ----
    /// Producers p1..pN are transactional (transactional.id set); the rest are plain.
    pub transactional_producers: u32,
    /// All transactional producers share one transactional.id (active + standby instances:
    /// the latest initTransactions fences the others).
    pub transactional_id_shared: bool,
    /// Transactional producers after the first start this much later (standby instances).
    pub transactional_standby_start_ms: u64,
    /// Workload: records per transaction.
    pub transaction_records: u32,
    /// Workload: the application aborts this percentage of its transactions.
    pub transaction_abort_percent: u32,
    /// Workload: the application leaves its n-th transaction open and stalls (0 = never).
    pub transaction_hang_at: u32,
    /// transaction.timeout.ms (ProducerConfig, 60 000).
    pub transaction_timeout_ms: u64,
    /// transaction.max.timeout.ms (TransactionStateManagerConfig, 900 000).
    pub transaction_max_timeout_ms: u64,
    /// transaction.abort.timed.out.transaction.cleanup.interval.ms (10 000).
    pub transaction_abort_timed_out_transaction_cleanup_interval_ms: u64,
    /// Consume-transform-produce: the last N partitions form the output topic; producers
    /// write and the group consumes only the first `partitions - N` (input topic).
    pub ctp_output_partitions: u32,
    /// Workload: group `g1` already exists with this committed offset on every partition when
    /// the run starts; -1 = a new group without committed offsets (the default). Lets
    /// `auto_offset_reset: None` start (a new group with policy none fails at once with
    /// NoOffsetForPartitionException).
    pub group_committed_offset_at_start: i64,
    /// Workload: group `g1`'s committed offsets per partition when the run starts (partition →
    /// offset), over `group_committed_offset_at_start`. OffsetCommit carries an offset per
    /// partition, so a group may hold offsets for some partitions and none for others: those
    /// start from `auto.offset.reset` (ConsumerCoordinator.refreshCommittedOffsetsIfNeeded,
    /// then SubscriptionState's reset for the partitions without one).
    pub group_committed_offsets_at_start: BTreeMap<u32, u64>,
    /// Graceful broker stops (ControlledShutdown). The process keeps running until a `Crash`
    /// fault stops it; a crash after a completed controlled shutdown is a clean shutdown.
    pub controlled_shutdowns: Vec<ControlledShutdownSpec>,
    /// Admin operations at times (`config/admin.rs`).
    pub admin: Vec<admin::AdminSpec>,
    /// Tiered storage (KIP-405, `tiered.rs`); off by default.
    pub tiered_storage: TieredStorageConfig,
    /// offsets.retention.minutes (GroupCoordinatorConfig; 10 080 = 7 days since 2.0, KIP-186).
    pub offsets_retention_minutes: u64,
    /// offsets.retention.check.interval.ms (600 000).
    pub offsets_retention_check_interval_ms: u64,
    /// Scripted clients (`config/script.rs`, `clients/script.rs`), after the consumers.
    pub script_clients: Vec<ScriptClientSpec>,
    /// Timed calls of the scripted clients, each with an optional expected outcome.
    pub script: Vec<KStep>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: 3,
            partitions: 1,
            replication_factor: 3,
            min_insync_replicas: 1,
            unclean_leader_election_enable: false,
            truncate_to_hw_on_become_follower: false,
            no_fetch_epoch_fencing: false,
            kip890_transactions: false,
            transaction_partition_verification: true,
            broker_request_timeout_ms: 30_000,
            kip101_only: false,
            hw_advances_under_min_isr: false,
            elr_enabled: false,
            replica_lag_time_max_ms: 30_000,
            replica_fetch_wait_max_ms: 500,
            replica_fetch_max_bytes: 1_048_576,
            replica_fetch_backoff_ms: 1_000,
            replica_socket_timeout_ms: 30_000,
            replica_high_watermark_checkpoint_interval_ms: 5_000,
            broker_heartbeat_interval_ms: 2_000,
            broker_session_timeout_ms: 9_000,
            message_max_bytes: 1_048_588,
            segment_bytes: 1_073_741_824,
            segment_ms: 604_800_000,
            retention_ms: 604_800_000,
            retention_bytes: -1,
            log_retention_check_interval_ms: 300_000,
            auto_create_topics_enable: true,
            num_partitions: 1,
            default_replication_factor: 1,
            cleanup_policy: CleanupPolicy::Delete,
            delete_retention_ms: 86_400_000,
            min_cleanable_dirty_ratio: 0.5,
            min_compaction_lag_ms: 0,
            max_compaction_lag_ms: -1,
            log_cleaner_backoff_ms: 15_000,
            os_writeback_interval_ms: 5_000,
            broker_request_cost_us: 0,
            metadata_propagation_delay_ms: 0,
            producers: 1,
            acks: Acks::All,
            enable_idempotence: true,
            retries: i32::MAX as u32,
            delivery_timeout_ms: 120_000,
            request_timeout_ms: 30_000,
            max_in_flight_requests_per_connection: 5,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            linger_ms: 5,
            batch_size_bytes: 16_384,
            max_request_size_bytes: 1_048_576,
            compression_percent: 100,
            messages_per_sec: 100,
            messages_per_producer: 0,
            message_bytes: 100,
            producer_start_ms: 0,
            resend_unconfirmed_on_restart: false,
            key_space: 0,
            tombstone_every: 0,
            consumers: 1,
            commit_mode: CommitMode::Auto,
            auto_commit_interval_ms: 5_000,
            auto_offset_reset: OffsetReset::Latest,
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3_000,
            max_poll_interval_ms: 300_000,
            max_poll_records: 500,
            fetch_max_wait_ms: 500,
            max_partition_fetch_bytes: 1_048_576,
            consumer_request_timeout_ms: 30_000,
            group_initial_rebalance_delay_ms: 3_000,
            process_time_us_per_record: 0,
            consumer_start_ms: 0,
            sink: SinkConfig::default(),
            isolation_level: IsolationLevel::ReadUncommitted,
            consumer_isolation_levels: Vec::new(),
            transactional_producers: 0,
            transactional_id_shared: false,
            transactional_standby_start_ms: 0,
            transaction_records: 10,
            transaction_abort_percent: 0,
            transaction_hang_at: 0,
            transaction_timeout_ms: 60_000,
            transaction_max_timeout_ms: 900_000,
            transaction_abort_timed_out_transaction_cleanup_interval_ms: 10_000,
            ctp_output_partitions: 0,
            group_committed_offset_at_start: -1,
            group_committed_offsets_at_start: BTreeMap::new(),
            controlled_shutdowns: Vec::new(),
            admin: Vec::new(),
            tiered_storage: TieredStorageConfig::default(),
            offsets_retention_minutes: 10_080,
            offsets_retention_check_interval_ms: 600_000,
            script_clients: Vec::new(),
            script: Vec::new(),
        }
    }
}

pub const MAX_BROKERS: u32 = 64;
pub const MAX_PARTITIONS: u32 = 1_024;
pub const MAX_CLIENTS: u32 = 256;
pub const MAX_RATE: u64 = 1_000_000;
pub const MAX_MESSAGE_BYTES: u64 = 64 << 20;

impl KafkaConfig {
    /// The client's wait before retry number `attempts` (1-based): `retry.backoff.ms` doubling
    /// up to `retry.backoff.max.ms` (KIP-580), with CommonClientConfigs' 20% jitter either way.
    pub fn retry_backoff(&self, attempts: u32, rng: &mut RngStream) -> SimDuration {
        let shift = attempts.saturating_sub(1).min(20);
        let base = (self.retry_backoff_ms << shift)
            .min(self.retry_backoff_max_ms.max(self.retry_backoff_ms));
        let jitter = rng.range_inclusive(0, base / 5 * 2);
        SimDuration::from_millis(base - base / 5 + jitter)
    }

    pub fn broker_names(&self) -> Vec<String> {
        (1..=self.brokers).map(|i| format!("b{i}")).collect()
    }
    pub fn node_names(&self) -> Vec<String> {
        let mut names = self.broker_names();
        names.push("ctrl".into());
        names.push("gc".into());
        names.extend((1..=self.producers).map(|i| format!("p{i}")));
        names.extend((1..=self.consumers).map(|i| format!("c{i}")));
        names.extend(self.script_clients.iter().map(|c| c.name.clone()));
        names
    }
    /// Node index of scripted client `k`.
    pub fn script_client_index(&self, k: u32) -> u32 {
        self.brokers + 2 + self.producers + self.consumers + k
    }
    /// Fault profiles target the brokers.
    pub fn fault_targets(&self) -> Vec<String> {
        self.broker_names()
    }
    /// Node index of the controller, the group coordinator, producer i and consumer i.
    pub fn ctrl_index(&self) -> u32 {
        self.brokers
    }
    pub fn gc_index(&self) -> u32 {
        self.brokers + 1
    }
    pub fn producer_index(&self, i: u32) -> u32 {
        self.brokers + 2 + i
    }
    pub fn consumer_index(&self, i: u32) -> u32 {
        self.brokers + 2 + self.producers + i
    }
    /// Whether consumer `i` reads with isolation.level=read_committed.
    /// Whether a scripted client has a transactional.id (the coordinator then runs its timers).
    pub fn scripted_transactions(&self) -> bool {
        self.script_clients
            .iter()
            .any(|c| c.transactional_id.is_some())
    }
    /// The transactional.id number of scripted client `k`: above the workload producers'
    /// (their index), and shared by scripted clients naming the same transactional.id.
    pub fn script_tid(&self, k: u32) -> Option<u32> {
        let id = self
            .script_clients
            .get(k as usize)?
            .transactional_id
            .as_ref()?;
        let first = self
            .script_clients
            .iter()
            .position(|c| c.transactional_id.as_ref() == Some(id))?;
        Some((1 << 20) + first as u32)
    }
    pub fn read_committed(&self, i: u32) -> bool {
        let level = self
            .consumer_isolation_levels
            .get(i as usize)
            .copied()
            .unwrap_or(self.isolation_level);
        level == IsolationLevel::ReadCommitted
    }

    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |f: &str, m: String| Err((f.to_string(), m));
        if self.brokers == 0 || self.brokers > MAX_BROKERS {
            return err("brokers", format!("brokers must be in 1..={MAX_BROKERS}"));
        }
        if self.partitions == 0 || self.partitions > MAX_PARTITIONS {
            return err(
                "partitions",
                format!("partitions must be in 1..={MAX_PARTITIONS}"),
            );
        }
        if self.replication_factor == 0 || self.replication_factor > self.brokers {
            return err(
                "replication_factor",
                "replication_factor must be in 1..=brokers".into(),
            );
        }
        if self.min_insync_replicas == 0 || self.min_insync_replicas > self.replication_factor {
            return err(
                "min_insync_replicas",
                "min_insync_replicas must be in 1..=replication_factor".into(),
            );
        }
        if self.producers > MAX_CLIENTS || self.consumers > MAX_CLIENTS {
            return err(
                "producers",
                format!("at most {MAX_CLIENTS} producers and consumers"),
            );
        }
        if self.messages_per_sec > MAX_RATE {
            return err(
                "messages_per_sec",
                format!("at most {MAX_RATE} messages per second"),
            );
        }
        if self.message_bytes == 0 || self.message_bytes > MAX_MESSAGE_BYTES {
            return err(
                "message_bytes",
                format!("message_bytes must be in 1..={MAX_MESSAGE_BYTES}"),
            );
        }
        if self.max_in_flight_requests_per_connection == 0 {
            return err(
                "max_in_flight_requests_per_connection",
                "must be at least 1".into(),
            );
        }
        if self.enable_idempotence {
            // ProducerConfig: idempotence requires acks=all, retries > 0 and in-flight <= 5.
            if self.acks != Acks::All {
                return err(
                    "enable_idempotence",
                    "idempotence requires acks: All".into(),
                );
            }
            if self.max_in_flight_requests_per_connection > 5 {
                return err(
                    "max_in_flight_requests_per_connection",
                    "idempotence requires at most 5 requests in flight".into(),
                );
            }
            if self.retries == 0 {
                return err("retries", "idempotence requires retries > 0".into());
            }
        }
        self.validate_txn()?;
        let txn = self.transactional_producers > 0
            || self.commit_mode == CommitMode::Transactional
            || self.ctp_output_partitions > 0;
        self.tiered_storage
            .validate(
                self.may_compact(),
                txn,
                self.retention_ms,
                self.retention_bytes,
            )
            .map_err(|(f, m)| (format!("tiered_storage.{f}"), m))?;
        if !(0.0..=1.0).contains(&self.min_cleanable_dirty_ratio) {
            return err("min_cleanable_dirty_ratio", "must be in 0.0..=1.0".into());
        }
        if self
            .controlled_shutdowns
            .iter()
            .any(|c| c.broker == 0 || c.broker > self.brokers)
        {
            return err(
                "controlled_shutdowns",
                "broker must be in 1..=brokers".into(),
            );
        }
        admin::validate(&self.admin, self.log_partitions(), self.replication_factor)?;
        if self.group_committed_offset_at_start < -1 {
            return err(
                "group_committed_offset_at_start",
                "must be -1 (no committed offsets) or an offset".into(),
            );
        }
        if let Some(p) = self
            .group_committed_offsets_at_start
            .keys()
            .find(|&&p| p >= self.partitions)
        {
            return err(
                "group_committed_offsets_at_start",
                format!(
                    "partition {p} does not exist (partitions: {})",
                    self.partitions
                ),
            );
        }
        if self.max_compaction_lag_ms == 0 || self.max_compaction_lag_ms < -1 {
            return err(
                "max_compaction_lag_ms",
                "must be -1 (never) or greater than 0".into(),
            );
        }
        if self.tombstone_every > 0 && self.key_space == 0 {
            return err(
                "tombstone_every",
                "tombstones need keys: set key_space > 0".into(),
            );
        }
        if self.max_poll_records == 0 {
            return err("max_poll_records", "must be at least 1".into());
        }
        if self.compression_percent == 0 || self.compression_percent > 100 {
            return err("compression_percent", "must be in 1..=100".into());
        }
        let nonzero = [
            ("replica_lag_time_max_ms", self.replica_lag_time_max_ms),
            (
                "broker_heartbeat_interval_ms",
                self.broker_heartbeat_interval_ms,
            ),
            ("broker_session_timeout_ms", self.broker_session_timeout_ms),
            (
                "log_retention_check_interval_ms",
                self.log_retention_check_interval_ms,
            ),
            ("os_writeback_interval_ms", self.os_writeback_interval_ms),
            (
                "replica_high_watermark_checkpoint_interval_ms",
                self.replica_high_watermark_checkpoint_interval_ms,
            ),
            ("request_timeout_ms", self.request_timeout_ms),
            ("broker_request_timeout_ms", self.broker_request_timeout_ms),
            ("delivery_timeout_ms", self.delivery_timeout_ms),
            ("heartbeat_interval_ms", self.heartbeat_interval_ms),
            ("session_timeout_ms", self.session_timeout_ms),
            ("auto_commit_interval_ms", self.auto_commit_interval_ms),
            (
                "consumer_request_timeout_ms",
                self.consumer_request_timeout_ms,
            ),
            ("replica_socket_timeout_ms", self.replica_socket_timeout_ms),
            ("segment_bytes", self.segment_bytes),
            ("segment_ms", self.segment_ms),
            ("log_cleaner_backoff_ms", self.log_cleaner_backoff_ms),
        ];
        for (f, v) in nonzero {
            if v == 0 {
                return err(f, "must be greater than 0".into());
            }
        }
        self.sink
            .validate()
            .map_err(|(f, m)| (format!("sink.{f}"), m))?;
        if self.offsets_retention_minutes == 0 || self.offsets_retention_check_interval_ms == 0 {
            return err(
                "offsets_retention_minutes",
                "offsets_retention_minutes and its check interval must be greater than 0".into(),
            );
        }
        let mut taken = self.node_names();
        taken.truncate(taken.len() - self.script_clients.len());
        if self.num_partitions == 0 || self.num_partitions > 10_000 {
            return err("num_partitions", "must be 1..=10000".into());
        }
        if self.default_replication_factor == 0 {
            return err(
                "default_replication_factor",
                "must be greater than 0".into(),
            );
        }
        // Steps name the workload topic's partitions or a created topic's (the first
        // CreateTopic of that name with a valid assignment; with auto-creation, any topic).
        let layouts = self.topic_layouts();
        let topics: Vec<(String, u32)> = (layouts.iter())
            .filter(|t| create_topic::for_clients(&layouts, &t.name) == Some(t))
            .map(|t| (t.name.clone(), t.replicas.len() as u32))
            .collect();
        script::validate(
            &self.script_clients,
            &self.script,
            &taken,
            self.partitions,
            &topics,
        )?;
        if self.sink.pipeline != Pipeline::Off && self.commit_mode == CommitMode::AutoAsyncHandoff {
            return err(
                "commit_mode",
                "a sink pipeline processes records in the poll loop: AutoAsyncHandoff is not supported".into(),
            );
        }
        if self.sink.pipeline != Pipeline::Off && self.commit_mode == CommitMode::Transactional {
            return err(
                "commit_mode",
                "a sink pipeline and consume-transform-produce (Transactional) cannot run in the same consumers".into(),
            );
        }
        Ok(())
    }

    fn validate_txn(&self) -> Result<(), (String, String)> {
        let err = |f: &str, m: &str| Err((f.to_string(), m.to_string()));
        let txn = self.transactional_producers > 0 || self.commit_mode == CommitMode::Transactional;
        if self.transactional_producers > self.producers {
            return err("transactional_producers", "must be at most producers");
        }
        if self.kip101_only && !self.no_fetch_epoch_fencing {
            return err(
                "kip101_only",
                "KIP-101 without KIP-279 predates KIP-320: set no_fetch_epoch_fencing too",
            );
        }
        // ProducerConfig: a transactional.id requires enable.idempotence.
        for (i, c) in self.script_clients.iter().enumerate() {
            let idem = c.enable_idempotence.unwrap_or(self.enable_idempotence);
            if c.transactional_id.is_some() && !idem {
                let f = format!("script_clients.{i}.enable_idempotence");
                return Err((f, "a transactional_id requires idempotence".into()));
            }
        }
        // ProducerConfig: a transactional.id requires enable.idempotence.
        if txn && !self.enable_idempotence {
            return err(
                "enable_idempotence",
                "transactions require enable_idempotence: true",
            );
        }
        if self.transaction_records == 0 {
            return err("transaction_records", "must be at least 1");
        }
        if self.transaction_abort_percent > 100 {
            return err("transaction_abort_percent", "must be in 0..=100");
        }
        // InitProducerId: INVALID_TRANSACTION_TIMEOUT above transaction.max.timeout.ms.
        if self.transaction_timeout_ms == 0
            || self.transaction_timeout_ms > self.transaction_max_timeout_ms
        {
            return err(
                "transaction_timeout_ms",
                "must be in 1..=transaction_max_timeout_ms",
            );
        }
        if self.transaction_abort_timed_out_transaction_cleanup_interval_ms == 0 {
            return err(
                "transaction_abort_timed_out_transaction_cleanup_interval_ms",
                "must be greater than 0",
            );
        }
        if self.consumer_isolation_levels.len() > self.consumers as usize {
            return err(
                "consumer_isolation_levels",
                "at most one entry per consumer",
            );
        }
        if self.ctp_output_partitions >= self.partitions {
            return err(
                "ctp_output_partitions",
                "must leave at least one input partition",
            );
        }
        if self.commit_mode == CommitMode::Transactional && self.ctp_output_partitions == 0 {
            return err(
                "commit_mode",
                "Transactional needs an output topic (ctp_output_partitions > 0)",
            );
        }
        Ok(())
    }
}
