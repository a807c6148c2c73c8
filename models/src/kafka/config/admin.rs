//! Admin operations at times (issue 16 item 2): `Kafka(admin: [(at_ms: T, op: ...)])`. Each is
//! what an `Admin` client call does once it reaches the controller or the partition's leader;
//! the call's own network round trip is not modelled.

use super::kinds::CleanupPolicy;
use serde::{Deserialize, Serialize};

/// A topic config's value: a number, or text for `cleanup.policy` (`"compact"`, `"delete"`,
/// `"compact,delete"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConfigValue {
    Num(i64),
    Text(String),
}

impl From<i64> for ConfigValue {
    fn from(v: i64) -> Self {
        ConfigValue::Num(v)
    }
}

impl ConfigValue {
    /// The number the model keeps for it (a cleanup.policy as `CleanupPolicy::code`); None
    /// for text that names no policy (refused at load).
    pub fn code(&self) -> Option<i64> {
        match self {
            ConfigValue::Num(v) => Some(*v),
            ConfigValue::Text(t) => CleanupPolicy::parse(t).map(CleanupPolicy::code),
        }
    }
}

/// One admin operation at a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSpec {
    pub at_ms: u64,
    pub op: AdminOp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum AdminOp {
    /// `Admin.electLeaders(ElectionType.PREFERRED, {p})` (KIP-460; the controller's
    /// `ReplicationControlManager.electLeaders` with `electionType = PREFERRED`): the first
    /// replica of the assignment becomes leader if it is in the ISR and its broker is
    /// registered and unfenced; ELECTION_NOT_NEEDED if it already leads,
    /// PREFERRED_LEADER_NOT_AVAILABLE otherwise (nothing changes).
    ElectPreferredLeader { partition: u32 },
    /// `Admin.deleteRecords({p: RecordsToDelete.beforeOffset(o)})` (KIP-107): the leader moves
    /// the partition's log start offset to `before_offset` (−1 = the high watermark;
    /// `UnifiedLog.maybeIncrementLogStartOffset`, reason ClientRecordDeletion); an offset above
    /// the high watermark is refused (OFFSET_OUT_OF_RANGE) and a lower one than the log start
    /// changes nothing. Segments wholly below the new start are deleted; a consumer fetching
    /// below it gets OFFSET_OUT_OF_RANGE and applies `auto.offset.reset`.
    DeleteRecords { partition: u32, before_offset: i64 },
    /// `Admin.incrementalAlterConfigs({topic: [AlterConfigOp...]})` (KIP-339): SET or DELETE
    /// one topic config at a time; the others keep their values (unlike the old AlterConfigs,
    /// which replaced the whole set). The controller writes a ConfigRecord; every broker applies
    /// it from the metadata log (`ConfigAdminManager`, `DynamicConfigPublisher`) — here at once,
    /// at `at_ms`. `topic`: a topic a CreateTopic created (its name), or `None` (the default)
    /// for the topics the cluster starts with.
    IncrementalAlterConfigs {
        #[serde(default)]
        topic: Option<String>,
        ops: Vec<AlterConfigOp>,
    },
    /// `Admin.createTopics([NewTopic])` (`ReplicationControlManager.createTopic`): `name`,
    /// `partitions` (default 1, `num.partitions`) and `replication_factor` (unset: the Kafka
    /// section's `replication_factor`, standing for `default.replication.factor`), or an
    /// explicit `replica_assignment` (broker numbers per partition, 1 = `b1`; the first of each
    /// list is the preferred leader), plus per-topic `configs` (`("retention.ms", 60000)`; the
    /// names `TopicConfig::ALL` lists). The controller answers TOPIC_ALREADY_EXISTS for a name
    /// an earlier CreateTopic created, INVALID_REPLICA_ASSIGNMENT for a bad assignment or one
    /// whose brokers of a partition are all fenced, INVALID_REPLICATION_FACTOR when the factor
    /// exceeds the unfenced brokers; the partitions' indices are in `config/create_topic.rs`.
    CreateTopic {
        name: String,
        #[serde(default = "one")]
        partitions: u32,
        #[serde(default)]
        replication_factor: Option<u32>,
        #[serde(default)]
        replica_assignment: Vec<Vec<u32>>,
        #[serde(default)]
        configs: Vec<(String, ConfigValue)>,
    },
    /// `Admin.alterPartitionReassignments({tp: Optional.of(new NewPartitionReassignment(
    /// target))})` (KIP-455; the controller's `ReplicationControlManager.alterPartitionReassignment`):
    /// move `partition` of `topic` (none: the workload topic; else a CreateTopic's name) to the
    /// `target` brokers (1 = `b1`; the first is the preferred leader), or with `target: None`
    /// cancel the reassignment in progress (`Optional.empty()`). The phases and the answers
    /// are in `broker/controller/reassignment.rs`.
    AlterPartitionReassignments {
        #[serde(default)]
        topic: Option<String>,
        partition: u32,
        target: Option<Vec<u32>>,
    },
}

fn one() -> u32 {
    1
}

/// One entry of an IncrementalAlterConfigs request (`AlterConfigOp.OpType` SET / DELETE; APPEND
/// and SUBTRACT apply to list configs, none of which is modelled).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum AlterConfigOp {
    /// A topic-level override of `name` (e.g. `"min.insync.replicas"`).
    Set { name: String, value: ConfigValue },
    /// Remove the override: the topic falls back to the cluster's setting (the scenario's
    /// `min_insync_replicas`, `retention_ms`, `retention_bytes`).
    Delete { name: String },
}

impl AlterConfigOp {
    fn name(&self) -> &str {
        match self {
            AlterConfigOp::Set { name, .. } | AlterConfigOp::Delete { name } => name,
        }
    }
}

/// The topic configs IncrementalAlterConfigs may change here (TopicConfig names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicConfig {
    /// `min.insync.replicas`: acks=all produces and the high watermark check it at once
    /// (Partition.appendRecordsToLeader reads the log's current config).
    MinInsyncReplicas,
    /// `retention.ms`, `retention.bytes`: the next retention check uses them
    /// (UnifiedLog.deleteOldSegments reads the current config).
    RetentionMs,
    RetentionBytes,
    /// `segment.bytes`, `segment.ms`: the next append checks them for a roll
    /// (UnifiedLog.maybeRoll reads the current config).
    SegmentBytes,
    SegmentMs,
    /// `cleanup.policy` (`delete`, `compact` or both): the log cleaner compacts the topic's
    /// partitions and the retention check deletes their segments by it (LogCleanerManager and
    /// UnifiedLog.deleteOldSegments read the log's current config).
    CleanupPolicy,
}

impl TopicConfig {
    pub const ALL: [(&'static str, TopicConfig); 6] = [
        ("min.insync.replicas", TopicConfig::MinInsyncReplicas),
        ("retention.ms", TopicConfig::RetentionMs),
        ("retention.bytes", TopicConfig::RetentionBytes),
        ("segment.bytes", TopicConfig::SegmentBytes),
        ("segment.ms", TopicConfig::SegmentMs),
        ("cleanup.policy", TopicConfig::CleanupPolicy),
    ];
    pub fn named(name: &str) -> Option<TopicConfig> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
    }
}

/// The topics' override of `config` at `now_ms` (`topic`: a created topic's name, None the
/// topics the cluster starts with): the last SET or DELETE of it taking effect at or before
/// then (admin operations in time order, ties in list order); None = no override.
pub fn topic_override(
    admin: &[AdminSpec],
    topic: Option<&str>,
    config: TopicConfig,
    now_ms: u64,
) -> Option<i64> {
    last_alter(admin, topic, config, now_ms).flatten()
}

/// The last IncrementalAlterConfigs entry for `config` of `topic` in force at `now_ms`:
/// `Some(Some(v))` a SET, `Some(None)` a DELETE (back to the cluster's value), None: none yet.
pub fn last_alter(
    admin: &[AdminSpec],
    topic: Option<&str>,
    config: TopicConfig,
    now_ms: u64,
) -> Option<Option<i64>> {
    let mut last: Option<(u64, Option<i64>)> = None;
    for a in admin.iter().filter(|a| a.at_ms <= now_ms) {
        let AdminOp::IncrementalAlterConfigs { topic: t, ops } = &a.op else {
            continue;
        };
        if t.as_deref() != topic {
            continue;
        }
        for op in ops {
            if TopicConfig::named(op.name()) != Some(config) {
                continue;
            }
            let value = match op {
                AlterConfigOp::Set { value, .. } => value.code(),
                AlterConfigOp::Delete { .. } => None,
            };
            if last.is_none_or(|(at, _)| a.at_ms >= at) {
                last = Some((a.at_ms, value));
            }
        }
    }
    last.map(|(_, v)| v)
}

impl AdminOp {
    /// The partition the operation names (None: a topic-level one).
    pub fn partition(&self) -> Option<u32> {
        match self {
            AdminOp::ElectPreferredLeader { partition }
            | AdminOp::DeleteRecords { partition, .. } => Some(*partition),
            // A reassignment's partition may be a created topic's, or unknown: the controller
            // answers UNKNOWN_TOPIC_OR_PARTITION at run time, as Kafka does.
            AdminOp::IncrementalAlterConfigs { .. }
            | AdminOp::CreateTopic { .. }
            | AdminOp::AlterPartitionReassignments { .. } => None,
        }
    }
}

/// A SET's value the broker would refuse (INVALID_CONFIG), or an unknown name
/// (UNKNOWN_TOPIC_OR_PARTITION is not it: Kafka refuses an unknown topic config with
/// INVALID_CONFIG too).
fn check_alter(op: &AlterConfigOp, replication_factor: u32) -> Result<(), String> {
    let config = known_config(op.name())?;
    let AlterConfigOp::Set { value, .. } = op else {
        return Ok(());
    };
    check_value(config, op.name(), value, replication_factor)
}

/// Whether an admin operation sets a compacting cleanup.policy on some topic.
pub fn may_compact(admin: &[AdminSpec]) -> bool {
    let compacting = |n: &str, v: &ConfigValue| {
        TopicConfig::named(n) == Some(TopicConfig::CleanupPolicy)
            && v.code()
                .is_some_and(|c| CleanupPolicy::from_code(c).compacts())
    };
    admin.iter().any(|a| match &a.op {
        AdminOp::IncrementalAlterConfigs { ops, .. } => ops.iter().any(|op| match op {
            AlterConfigOp::Set { name, value } => compacting(name, value),
            AlterConfigOp::Delete { .. } => false,
        }),
        AdminOp::CreateTopic { configs, .. } => configs.iter().any(|(n, v)| compacting(n, v)),
        _ => false,
    })
}

fn known_config(name: &str) -> Result<TopicConfig, String> {
    TopicConfig::named(name).ok_or_else(|| {
        let known: Vec<&str> = TopicConfig::ALL.iter().map(|(n, _)| *n).collect();
        format!(
            "unknown topic config `{name}` (modelled: {})",
            known.join(", ")
        )
    })
}

/// LogConfig's validators for the modelled topic configs.
fn check_value(
    config: TopicConfig,
    name: &str,
    value: &ConfigValue,
    replication_factor: u32,
) -> Result<(), String> {
    let value = match (config, value) {
        (TopicConfig::CleanupPolicy, ConfigValue::Text(t)) => {
            return match CleanupPolicy::parse(t) {
                Some(_) => Ok(()),
                None => Err(format!(
                    "cleanup.policy `{t}`: a list of `compact` and `delete` (e.g. \"compact,delete\")"
                )),
            };
        }
        (TopicConfig::CleanupPolicy, ConfigValue::Num(_)) => {
            return Err(
                "cleanup.policy takes text: \"delete\", \"compact\" or \"compact,delete\"".into(),
            );
        }
        (_, ConfigValue::Text(_)) => return Err(format!("{name} takes a number")),
        (_, ConfigValue::Num(v)) => v,
    };
    match config {
        // TopicConfig: min.insync.replicas ≥ 1; above the RF every acks=all produce is refused
        // (Kafka accepts it; the model's replica count bounds it like `min_insync_replicas`).
        TopicConfig::MinInsyncReplicas if *value < 1 || *value > replication_factor as i64 => {
            Err(format!(
                "min.insync.replicas must be in 1..={replication_factor} (the replication factor)"
            ))
        }
        TopicConfig::RetentionMs | TopicConfig::RetentionBytes if *value < -1 => {
            Err(format!("{name} must be ≥ −1 (−1: no limit)"))
        }
        // LogConfig: segment.bytes at least LegacyRecord.RECORD_OVERHEAD_V0 (14), segment.ms
        // at least 1.
        TopicConfig::SegmentBytes if *value < 14 => Err("segment.bytes must be ≥ 14".into()),
        TopicConfig::SegmentMs if *value < 1 => Err("segment.ms must be ≥ 1".into()),
        _ => Ok(()),
    }
}

/// `Err((field below admin[i], message))`.
pub fn validate(
    admin: &[AdminSpec],
    partitions: u32,
    replication_factor: u32,
) -> Result<(), (String, String)> {
    for (i, a) in admin.iter().enumerate() {
        if let Some(p) = a.op.partition()
            && p >= partitions
        {
            return Err((
                format!("admin.{i}.op"),
                format!("partition {p} does not exist (partitions: {partitions})"),
            ));
        }
        if let AdminOp::IncrementalAlterConfigs { topic, ops } = &a.op {
            // A created topic's own replica count bounds its min.insync.replicas.
            let rf = match topic {
                None => replication_factor,
                Some(name) => created_before(admin, name, a.at_ms, replication_factor)
                    .map_err(|m| (format!("admin.{i}.op"), m))?,
            };
            for op in ops {
                check_alter(op, rf).map_err(|m| (format!("admin.{i}.op"), m))?;
            }
        }
        if let AdminOp::CreateTopic { .. } = &a.op {
            check_create(&a.op, replication_factor).map_err(|m| (format!("admin.{i}.op"), m))?;
        }
        if let AdminOp::DeleteRecords { before_offset, .. } = a.op
            && before_offset < -1
        {
            return Err((
                format!("admin.{i}.op"),
                "before_offset must be an offset or -1 (the high watermark)".into(),
            ));
        }
    }
    Ok(())
}

/// The replica count of topic `name`, which a CreateTopic at or before `at_ms` must create
/// (else Kafka answers UNKNOWN_TOPIC_OR_PARTITION; here the file is bad input).
fn created_before(
    admin: &[AdminSpec],
    name: &str,
    at_ms: u64,
    default_rf: u32,
) -> Result<u32, String> {
    admin
        .iter()
        .find_map(|a| match &a.op {
            AdminOp::CreateTopic {
                name: n,
                replication_factor,
                replica_assignment,
                ..
            } if n == name && a.at_ms <= at_ms => {
                let manual = replica_assignment.first().map(|r| r.len() as u32);
                Some(manual.or(*replication_factor).unwrap_or(default_rf))
            }
            _ => None,
        })
        .ok_or_else(|| {
            format!("topic `{name}` is not created by a CreateTopic at or before {at_ms} ms")
        })
}

/// The parts of a CreateTopic that make the scenario file bad input (Kafka: INVALID_REQUEST,
/// INVALID_PARTITIONS, INVALID_TOPIC_EXCEPTION or INVALID_CONFIG answers).
fn check_create(op: &AdminOp, default_rf: u32) -> Result<(), String> {
    let AdminOp::CreateTopic {
        name,
        partitions,
        replication_factor,
        replica_assignment,
        configs,
    } = op
    else {
        return Ok(());
    };
    if let Some(m) = name_problem(name) {
        return Err(m);
    }
    if !replica_assignment.is_empty() && replication_factor.is_some() {
        // CreateTopicsRequest: "Both numPartitions or replicationFactor and
        // replicasAssignments were set" (INVALID_REQUEST).
        return Err("replication_factor and replica_assignment exclude each other".into());
    }
    if replica_assignment.is_empty() && !(1..=1_000).contains(partitions) {
        return Err("partitions must be in 1..=1000".into());
    }
    if replica_assignment.len() > 1_000 || *replication_factor == Some(0) {
        return Err("at most 1000 partitions, and replication_factor ≥ 1".into());
    }
    let rf = replica_assignment
        .first()
        .map_or(replication_factor.unwrap_or(default_rf), |l| l.len() as u32);
    for (n, v) in configs {
        check_value(known_config(n)?, n, v, rf.max(1))?;
    }
    Ok(())
}

/// Kafka's legal topic names (`Topic.validate`): 1–249 characters of `[a-zA-Z0-9._-]`, not
/// `.` or `..`. Kafka answers INVALID_TOPIC_EXCEPTION; here a scenario file with one is bad
/// input.
pub fn name_problem(name: &str) -> Option<String> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > 249 || name == "." || name == ".." {
        return Some(format!(
            "topic name `{name}` must have 1..=249 characters and not be `.` or `..`"
        ));
    }
    (!name.chars().all(legal)).then(|| {
        format!("topic name `{name}` may only contain ASCII letters, digits, `.`, `_` and `-`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_partitions_and_negative_offsets_are_refused() {
        let at = |op| AdminSpec { at_ms: 1, op };
        let ok = [at(AdminOp::DeleteRecords {
            partition: 1,
            before_offset: -1,
        })];
        assert_eq!(validate(&ok, 2, 3), Ok(()));
        let far = [at(AdminOp::ElectPreferredLeader { partition: 2 })];
        assert_eq!(validate(&far, 2, 3).unwrap_err().0, "admin.0.op");
        let neg = [at(AdminOp::DeleteRecords {
            partition: 0,
            before_offset: -2,
        })];
        assert!(
            validate(&neg, 1, 3)
                .unwrap_err()
                .1
                .contains("before_offset")
        );
    }

    fn alter(at_ms: u64, ops: Vec<AlterConfigOp>) -> AdminSpec {
        AdminSpec {
            at_ms,
            op: AdminOp::IncrementalAlterConfigs { topic: None, ops },
        }
    }
    fn set(name: &str, value: i64) -> AlterConfigOp {
        AlterConfigOp::Set {
            name: name.into(),
            value: value.into(),
        }
    }

    #[test]
    fn the_latest_set_or_delete_in_time_is_the_override() {
        let del = AlterConfigOp::Delete {
            name: "retention.ms".into(),
        };
        // Listed out of time order: the 5 s DELETE ends the 2 s SET, the 9 s SET starts anew.
        let admin = [
            alter(9_000, vec![set("retention.ms", 7)]),
            alter(
                2_000,
                vec![set("retention.ms", 5), set("min.insync.replicas", 3)],
            ),
            alter(5_000, vec![del]),
        ];
        let at = |ms| topic_override(&admin, None, TopicConfig::RetentionMs, ms);
        assert_eq!(at(1_999), None);
        assert_eq!(at(2_000), Some(5));
        assert_eq!(at(4_999), Some(5));
        assert_eq!(at(5_000), None);
        assert_eq!(at(9_000), Some(7));
        // Other configs are left alone (incremental, KIP-339).
        assert_eq!(
            topic_override(&admin, None, TopicConfig::MinInsyncReplicas, 9_000),
            Some(3)
        );
        assert_eq!(
            topic_override(&admin, None, TopicConfig::RetentionBytes, 9_000),
            None
        );
    }

    #[test]
    fn unknown_configs_and_invalid_values_are_refused() {
        let ok = [alter(1, vec![set("min.insync.replicas", 3)])];
        assert_eq!(validate(&ok, 1, 3), Ok(()));
        let high = [alter(1, vec![set("min.insync.replicas", 4)])];
        assert!(validate(&high, 1, 3).unwrap_err().1.contains("1..=3"));
        let unknown = [alter(1, vec![set("segment.jitter.ms", 1)])];
        assert!(
            validate(&unknown, 1, 3)
                .unwrap_err()
                .1
                .contains("unknown topic config")
        );
        let neg = [alter(1, vec![set("retention.bytes", -2)])];
        assert!(validate(&neg, 1, 3).is_err());
        let seg = [alter(
            1,
            vec![set("segment.bytes", 1_500), set("segment.ms", 1)],
        )];
        assert_eq!(validate(&seg, 1, 3), Ok(()));
        for bad in [set("segment.bytes", 13), set("segment.ms", 0)] {
            assert!(validate(&[alter(1, vec![bad])], 1, 3).is_err());
        }
    }

    #[test]
    fn cleanup_policy_takes_a_list_of_compact_and_delete() {
        let text = |t: &str| AlterConfigOp::Set {
            name: "cleanup.policy".into(),
            value: ConfigValue::Text(t.into()),
        };
        for (t, p) in [
            ("delete", CleanupPolicy::Delete),
            ("compact", CleanupPolicy::Compact),
            ("compact,delete", CleanupPolicy::DeleteCompact),
            ("delete, compact", CleanupPolicy::DeleteCompact),
        ] {
            let admin = [alter(1, vec![text(t)])];
            assert_eq!(validate(&admin, 1, 3), Ok(()), "{t}");
            let code = topic_override(&admin, None, TopicConfig::CleanupPolicy, 1);
            assert_eq!(code.map(CleanupPolicy::from_code), Some(p), "{t}");
            assert_eq!(may_compact(&admin), p.compacts(), "{t}");
        }
        for bad in [text("compacted"), text(""), set("cleanup.policy", 1)] {
            assert!(validate(&[alter(1, vec![bad])], 1, 3).is_err());
        }
        // A number for a numeric config only.
        let num = AlterConfigOp::Set {
            name: "retention.ms".into(),
            value: ConfigValue::Text("1".into()),
        };
        assert!(validate(&[alter(1, vec![num])], 1, 3).is_err());
    }

    fn create(op: AdminOp) -> [AdminSpec; 1] {
        [AdminSpec { at_ms: 1, op }]
    }

    #[test]
    fn create_topic_bad_input_is_refused_at_load() {
        assert_eq!(name_problem("orders-v2.x_1"), None);
        assert!(name_problem("..").is_some());
        let topic = |name: &str, rf, manual: Vec<Vec<u32>>, configs| AdminOp::CreateTopic {
            name: name.into(),
            partitions: 1,
            replication_factor: rf,
            replica_assignment: manual,
            configs,
        };
        let good = topic("t", Some(2), vec![], vec![("segment.ms".into(), 10.into())]);
        assert_eq!(validate(&create(good), 1, 3), Ok(()));
        // Both a factor and an assignment (INVALID_REQUEST), an illegal name, an unknown
        // config, min.insync.replicas above the topic's own replica count.
        let both = topic("t", Some(2), vec![vec![1, 2]], vec![]);
        assert!(
            validate(&create(both), 1, 3)
                .unwrap_err()
                .1
                .contains("exclude")
        );
        assert!(validate(&create(topic("a/b", None, vec![], vec![])), 1, 3).is_err());
        let unknown = topic(
            "t",
            None,
            vec![],
            vec![("segment.jitter.ms".into(), 1.into())],
        );
        assert!(
            validate(&create(unknown), 1, 3)
                .unwrap_err()
                .1
                .contains("unknown")
        );
        let min_isr = vec![("min.insync.replicas".into(), 2.into())];
        let high = topic("t", None, vec![vec![1]], min_isr);
        assert!(
            validate(&create(high), 1, 3)
                .unwrap_err()
                .1
                .contains("1..=1")
        );
    }
}
