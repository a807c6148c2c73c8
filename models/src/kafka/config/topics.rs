//! Where the topics' partitions live and their per-topic settings: the workload topic's, the
//! sink pipeline's, then the created topics' (`create_topic.rs`) as extra partition indices.

use super::{CleanupPolicy, KafkaConfig, admin, create_topic};
use msgsim_sim::SimTime;

impl KafkaConfig {
    /// Ordered replica list of partition `p` (broker indices); replicas[0] is preferred leader.
    /// A CreateTopic's partitions have theirs from its layout (`config/create_topic.rs`).
    pub fn replicas(&self, p: u32) -> Vec<u32> {
        if p >= self.fixed_partitions() {
            return self
                .topic_layouts()
                .into_iter()
                .find_map(|t| t.replicas.get((p - t.first) as usize).cloned())
                .unwrap_or_default();
        }
        (0..self.replication_factor)
            .map(|i| (p + i) % self.brokers)
            .collect()
    }
    /// Partitions the cluster hosts: the workload topic's, then the retry topic's and the
    /// dead-letter topic's single partition when the sink pipeline has them, then the
    /// CreateTopic admin operations' (further topics, modelled as extra indices).
    pub fn log_partitions(&self) -> u32 {
        let layouts = self.topic_layouts();
        let created: u32 = layouts.iter().map(|t| t.replicas.len() as u32).sum();
        self.fixed_partitions() + created
    }
    /// The partitions of the topics the cluster starts with; CreateTopic's follow.
    pub fn fixed_partitions(&self) -> u32 {
        self.partitions + u32::from(self.sink.has_dlq()) + u32::from(self.sink.has_retry_topic())
    }
    /// Where the partitions of every CreateTopic admin operation live.
    /// Then, with auto-creation on, the topics scripted steps name that no CreateTopic creates
    /// (`create_topic::add_auto`).
    pub fn topic_layouts(&self) -> Vec<create_topic::TopicLayout> {
        let (fixed, rf) = (self.fixed_partitions(), self.replication_factor);
        let mut layouts = create_topic::layouts(&self.admin, fixed, self.brokers, rf);
        if self.auto_create_topics_enable {
            let mut names: Vec<&str> = Vec::new();
            for t in self.script.iter().filter_map(|s| s.topic.as_deref()) {
                if !names.contains(&t) {
                    names.push(t);
                }
            }
            let auto = (self.num_partitions, self.default_replication_factor);
            create_topic::add_auto(&mut layouts, &names, fixed, (auto.0, auto.1, self.brokers));
        }
        layouts
    }
    /// Partition `p`'s override of a topic config at `now` (`create_topic::partition_override`).
    /// Inlined: the brokers ask per batch and per HW move, and most runs have no admin
    /// operation, which the caller then learns without a call (≈ 1 % of a large run's
    /// instructions went to the call's set-up for the topic layouts it did not build).
    #[inline]
    fn config_at(&self, p: usize, c: admin::TopicConfig, now_ms: u64) -> Option<i64> {
        if self.admin.is_empty() {
            return None;
        }
        self.admin_override(p, c, now_ms)
    }
    #[inline(never)]
    fn admin_override(&self, p: usize, c: admin::TopicConfig, now_ms: u64) -> Option<i64> {
        let layouts = self.topic_layouts();
        create_topic::partition_override(&self.admin, &layouts, p as u32, c, now_ms)
    }
    /// `segment.bytes` and `segment.ms` of partition `p` at `now_ms`.
    pub fn segment_at(&self, p: usize, now_ms: u64) -> (u64, u64) {
        let at = |c, default: u64| self.config_at(p, c, now_ms).map_or(default, |v| v as u64);
        (
            at(admin::TopicConfig::SegmentBytes, self.segment_bytes),
            at(admin::TopicConfig::SegmentMs, self.segment_ms),
        )
    }
    /// `cleanup.policy` of partition `p` at `now`: a created topic's or an IncrementalAlterConfigs
    /// override, else the cluster's `cleanup_policy`.
    pub fn cleanup_at(&self, p: usize, now: SimTime) -> CleanupPolicy {
        let code = self.config_at(p, admin::TopicConfig::CleanupPolicy, now.as_millis());
        code.map_or(self.cleanup_policy, CleanupPolicy::from_code)
    }
    /// Whether any topic may be compacted in the run (the cleaner runs; the checker lets
    /// superseded records vanish).
    pub fn may_compact(&self) -> bool {
        self.cleanup_policy.compacts() || admin::may_compact(&self.admin)
    }
    /// Whether partition `p` may be compacted at some time of the run: its cleanup.policy at
    /// the start or after any admin operation (overrides change only then). A topic that
    /// does not compact keeps every offset, so its replicas must hold the same ones.
    pub fn may_compact_partition(&self, p: usize) -> bool {
        let times = std::iter::once(0).chain(self.admin.iter().map(|a| a.at_ms));
        self.may_compact()
            && times
                .map(SimTime::from_millis)
                .any(|t| self.cleanup_at(p, t).compacts())
    }
    /// The retry topic's partition index, if any: right after the workload topic's, so that
    /// the group's range assignment over `consumed_partitions()` covers it (retry_topic.rs).
    pub fn retry_partition(&self) -> Option<u32> {
        self.sink.has_retry_topic().then_some(self.partitions)
    }
    /// Partitions the consumer group subscribes to: the input topic's, plus the retry
    /// topic's (its consumers also consume the retry topic). The retry topic needs a sink
    /// pipeline, which excludes consume-transform-produce, so with a retry topic the input
    /// topic is the whole workload topic and the retry partition follows it.
    pub fn consumed_partitions(&self) -> u32 {
        self.input_partitions() + u32::from(self.sink.has_retry_topic())
    }
    /// The DLQ topic's partition index, if any (after the retry topic's).
    pub fn dlq_partition(&self) -> Option<u32> {
        self.sink
            .has_dlq()
            .then_some(self.partitions + u32::from(self.sink.has_retry_topic()))
    }
    /// Partitions of the input topic (all of them unless consume-transform-produce).
    pub fn input_partitions(&self) -> u32 {
        self.partitions - self.ctp_output_partitions
    }
    /// min(minISR, RF) (Partition.scala effective min ISR), with the cluster's setting.
    pub fn effective_min_isr(&self) -> usize {
        self.min_insync_replicas.min(self.replication_factor) as usize
    }
    /// The same at `now`, with the topic's `min.insync.replicas` override from
    /// IncrementalAlterConfigs (`config/admin.rs`) if one is in force.
    /// A created topic's own `min.insync.replicas` bounded by its replica count.
    pub fn effective_min_isr_at(&self, p: usize, now: SimTime) -> usize {
        let cfg = admin::TopicConfig::MinInsyncReplicas;
        let rf = match p as u32 >= self.fixed_partitions() {
            true => self.replicas(p as u32).len() as u32,
            false => self.replication_factor,
        };
        self.config_at(p, cfg, now.as_millis())
            .map_or(self.min_insync_replicas, |v| v as u32)
            .min(rf) as usize
    }
    /// `retention.ms` and `retention.bytes` of partition `p` at `now` (overrides as for the
    /// min ISR).
    pub fn retention_at(&self, p: usize, now: SimTime) -> (i64, i64) {
        let at = |c, default| self.config_at(p, c, now.as_millis()).unwrap_or(default);
        (
            at(admin::TopicConfig::RetentionMs, self.retention_ms),
            at(admin::TopicConfig::RetentionBytes, self.retention_bytes),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::admin::{AdminOp, AdminSpec, ConfigValue};
    use super::*;

    #[test]
    fn only_a_compacted_topics_partitions_may_have_holes() {
        // The workload topic deletes; a topic created at 1 s compacts.
        let created = AdminSpec {
            at_ms: 1_000,
            op: AdminOp::CreateTopic {
                name: "compacted".into(),
                partitions: 1,
                replication_factor: None,
                replica_assignment: Vec::new(),
                configs: vec![("cleanup.policy".into(), ConfigValue::Text("compact".into()))],
            },
        };
        let cfg = KafkaConfig {
            admin: vec![created],
            ..KafkaConfig::default()
        };
        let first_created = cfg.fixed_partitions() as usize;
        assert!(cfg.may_compact());
        assert!(cfg.may_compact_partition(first_created));
        assert!(!cfg.may_compact_partition(0));
        // A cluster-wide compact policy: every partition.
        let all = KafkaConfig {
            cleanup_policy: CleanupPolicy::Compact,
            ..KafkaConfig::default()
        };
        assert!(all.may_compact_partition(0));
    }
}
