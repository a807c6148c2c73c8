//! Tiered storage settings (KIP-405): the broker switch, the topic switch, local retention, the
//! remote log manager's task interval, and two model knobs for the object store's latency.
//! Kafka's defaults: tiered storage off.

use serde::{Deserialize, Serialize};

/// `tiered_storage: (...)` in the Kafka section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TieredStorageConfig {
    /// remote.log.storage.system.enable (broker, RemoteLogManagerConfig; default false): the
    /// brokers run the remote log manager.
    pub remote_log_storage_system_enable: bool,
    /// remote.storage.enable (topic, TopicConfig REMOTE_LOG_STORAGE_ENABLE_DOC; default false).
    pub remote_storage_enable: bool,
    /// local.retention.ms (TopicConfig LOCAL_LOG_RETENTION_MS_DOC): how long a local segment is
    /// kept once copied; -2 (default) = use retention.ms.
    pub local_retention_ms: i64,
    /// local.retention.bytes (LOCAL_LOG_RETENTION_BYTES_DOC): local size per partition; -2
    /// (default) = use retention.bytes.
    pub local_retention_bytes: i64,
    /// remote.log.manager.task.interval.ms (RemoteLogManagerConfig, 30 000): how often the
    /// leader's RLM task copies segments and expires remote ones.
    pub remote_log_manager_task_interval_ms: u64,
    /// Model knob: latency of one read from the object store (ms). A consumer fetch served from
    /// the remote tier is answered this much later.
    pub remote_fetch_latency_ms: u64,
    /// Model knob: time to upload one segment (ms); 0 = the copy completes within the task.
    pub remote_copy_latency_ms: u64,
}

impl Default for TieredStorageConfig {
    fn default() -> Self {
        TieredStorageConfig {
            remote_log_storage_system_enable: false,
            remote_storage_enable: false,
            local_retention_ms: -2,
            local_retention_bytes: -2,
            remote_log_manager_task_interval_ms: 30_000,
            // Object-store first-byte latency is typically 100–200 ms (Amazon S3 performance
            // guidelines); the low end.
            remote_fetch_latency_ms: 100,
            remote_copy_latency_ms: 0,
        }
    }
}

impl TieredStorageConfig {
    /// Tiered storage is on for the topic: the broker switch and the topic switch.
    pub fn enabled(&self) -> bool {
        self.remote_log_storage_system_enable && self.remote_storage_enable
    }

    /// local.retention.ms as applied: -2 stands for retention.ms (UnifiedLog.localRetentionMs).
    pub fn effective_local_retention_ms(&self, retention_ms: i64) -> i64 {
        if self.local_retention_ms == -2 {
            retention_ms
        } else {
            self.local_retention_ms
        }
    }

    /// local.retention.bytes as applied: -2 stands for retention.bytes.
    pub fn effective_local_retention_bytes(&self, retention_bytes: i64) -> i64 {
        if self.local_retention_bytes == -2 {
            retention_bytes
        } else {
            self.local_retention_bytes
        }
    }

    /// LogConfig.validateTopicLogConfigValues for remote storage: the broker switch must be on
    /// (validateRemoteStorageOnlyIfSystemEnabled), no compacted topic
    /// (validateNoRemoteStorageForCompactedTopic), and local retention within total retention
    /// (validateRemoteStorageRetentionTime / ...RetentionSize: not -1 while the total is
    /// bounded, not above it). `compacts`: the topic is compacted; `txn`: the run has
    /// transactions; the totals are the topic's `retention_ms` / `retention_bytes`.
    pub fn validate(
        &self,
        compacts: bool,
        txn: bool,
        retention_ms: i64,
        retention_bytes: i64,
    ) -> Result<(), (String, String)> {
        let err = |f: &str, m: String| Err((f.to_string(), m));
        if self.local_retention_ms < -2 {
            return err("local_retention_ms", "must be -2, -1 or ≥ 0".into());
        }
        if self.local_retention_bytes < -2 {
            return err("local_retention_bytes", "must be -2, -1 or ≥ 0".into());
        }
        if self.remote_log_manager_task_interval_ms == 0 {
            return err(
                "remote_log_manager_task_interval_ms",
                "must be greater than 0".into(),
            );
        }
        if !self.remote_storage_enable {
            return Ok(());
        }
        if !self.remote_log_storage_system_enable {
            return err(
                "remote_storage_enable",
                "Tiered Storage functionality is disabled in the broker \
                 (remote_log_storage_system_enable: false): the topic cannot use remote storage"
                    .into(),
            );
        }
        if compacts {
            return err(
                "remote_storage_enable",
                "remote log storage is unsupported for compacted topics".into(),
            );
        }
        if txn {
            return err(
                "remote_storage_enable",
                "the model does not combine tiered storage with transactions or \
                 consume-transform-produce (remote reads carry no aborted-transaction index)"
                    .into(),
            );
        }
        check_local(
            "local_retention_ms",
            self.local_retention_ms,
            "retention_ms",
            retention_ms,
            retention_ms != -1,
        )?;
        check_local(
            "local_retention_bytes",
            self.local_retention_bytes,
            "retention_bytes",
            retention_bytes,
            retention_bytes > -1,
        )
    }
}

/// One local-retention bound against its total: with the total bounded, the local value must
/// be -2 (use the total) or within it.
fn check_local(
    field: &str,
    local: i64,
    total_name: &str,
    total: i64,
    bounded: bool,
) -> Result<(), (String, String)> {
    if !bounded || local == -2 {
        return Ok(());
    }
    if local == -1 {
        return Err((
            field.to_string(),
            format!("must not be -1 as {total_name} is set to {total}"),
        ));
    }
    if local > total {
        return Err((
            field.to_string(),
            format!("must not be more than {total_name} ({total})"),
        ));
    }
    Ok(())
}
