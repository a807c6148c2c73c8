//! `CreateTopic` admin operations (`config/admin.rs`): where the partitions of each topic to
//! be created live, and the problems Kafka's controller finds without looking at the brokers.
//!
//! The model's partitions are indices. A topic created by an admin operation gets the next
//! free ones, after the workload topic's and the sink pipeline's (`KafkaConfig::log_partitions`):
//! the first CreateTopic's partition i is index `fixed + i`, the next one's follow. They exist
//! from the start as empty, leaderless slots with no replicas in the metadata (a broker answers
//! UNKNOWN_TOPIC_OR_PARTITION for them) until the controller creates the topic
//! (`broker/controller.rs`); an operation the controller refuses leaves them so for good.

use super::admin::{self, AdminOp, AdminSpec, TopicConfig};

/// The layout of one CreateTopic operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicLayout {
    /// Index of the operation in `admin`.
    pub admin_index: usize,
    pub name: String,
    /// Index of its partition 0.
    pub first: u32,
    /// Replica list per partition (broker indices, 0 = `b1`); the first is the preferred
    /// leader. Empty when `invalid_assignment` is set.
    pub replicas: Vec<Vec<u32>>,
    /// Whether the replicas were given (`replica_assignment`) rather than placed.
    pub manual: bool,
    pub configs: Vec<(TopicConfig, i64)>,
    /// INVALID_REPLICA_ASSIGNMENT found from the request alone
    /// (`ReplicationControlManager.validateManualPartitionAssignment`).
    pub invalid_assignment: Option<String>,
}

/// The manual assignment's problem, as the controller words it, if any: an empty or
/// duplicated replica list, a broker that is not registered (not `b1..bN` here), or a list
/// whose length differs from the first one's.
pub fn assignment_problem(assignment: &[Vec<u32>], brokers: u32) -> Option<String> {
    let rf = assignment.first().map_or(0, Vec::len);
    for (p, list) in assignment.iter().enumerate() {
        if list.is_empty() {
            return Some(format!("partition {p}: an empty replica list"));
        }
        if let Some(b) = list.iter().find(|b| **b == 0 || **b > brokers) {
            return Some(format!(
                "partition {p}: broker {b}, but no broker with that id is registered"
            ));
        }
        if list.iter().enumerate().any(|(i, b)| list[..i].contains(b)) {
            return Some(format!("partition {p}: a duplicate broker"));
        }
        if list.len() != rf {
            return Some(format!(
                "partition {p}: {} replicas, not consistent with the {rf} of partition 0",
                list.len()
            ));
        }
    }
    None
}

/// The layouts of every CreateTopic in `admin`, in list order, from index `fixed` on.
/// Without a manual assignment the replicas are placed as the workload topic's are (partition
/// i on brokers `i, i+1, …` mod N, continuing the index), not by Kafka's randomised
/// `StripedReplicaPlacer`; `default_rf` stands for `default.replication.factor`.
pub fn layouts(admin: &[AdminSpec], fixed: u32, brokers: u32, default_rf: u32) -> Vec<TopicLayout> {
    let mut next = fixed;
    let mut out = Vec::new();
    for (i, a) in admin.iter().enumerate() {
        let AdminOp::CreateTopic {
            name,
            partitions,
            replication_factor,
            replica_assignment,
            configs,
        } = &a.op
        else {
            continue;
        };
        let manual = !replica_assignment.is_empty();
        let invalid_assignment = if manual {
            assignment_problem(replica_assignment, brokers)
        } else {
            None
        };
        let replicas: Vec<Vec<u32>> = if invalid_assignment.is_some() {
            Vec::new()
        } else if manual {
            let to_index = |l: &Vec<u32>| l.iter().map(|b| b - 1).collect();
            replica_assignment.iter().map(to_index).collect()
        } else {
            let rf = replication_factor.unwrap_or(default_rf).min(brokers);
            (0..*partitions)
                .map(|p| (0..rf).map(|r| (next + p + r) % brokers).collect())
                .collect()
        };
        let configs = configs
            .iter()
            .filter_map(|(n, v)| Some((TopicConfig::named(n)?, v.code()?)))
            .collect();
        out.push(TopicLayout {
            admin_index: i,
            name: name.clone(),
            first: next,
            manual,
            configs,
            invalid_assignment,
            replicas,
        });
        next += out.last().map_or(0, |t| t.replicas.len() as u32);
    }
    out
}

/// With auto-creation on (`auto.create.topics.enable`), the layouts of the topics scripted steps
/// name (`names`, in step order) that no CreateTopic creates: `partitions` (`num.partitions`)
/// partitions of `rf` (`default.replication.factor`, at most the broker count) replicas each,
/// placed as above, after every CreateTopic's (from `fixed` when there is none). They stay empty slots until a client's metadata
/// request has the topic auto-created (`broker/auto_create.rs`). `admin_index` is `usize::MAX`.
pub fn add_auto(
    layouts: &mut Vec<TopicLayout>,
    names: &[&str],
    fixed: u32,
    (partitions, rf, brokers): (u32, u32, u32),
) {
    let mut next = (layouts.last()).map_or(fixed, |t| t.first + t.replicas.len() as u32);
    for name in names {
        if for_clients(layouts, name).is_some() {
            continue;
        }
        let rf = rf.min(brokers);
        let replicas = (0..partitions)
            .map(|p| (0..rf).map(|r| (next + p + r) % brokers).collect())
            .collect();
        layouts.push(TopicLayout {
            admin_index: usize::MAX,
            name: name.to_string(),
            first: next,
            replicas,
            manual: false,
            configs: Vec::new(),
            invalid_assignment: None,
        });
        next += partitions;
    }
}

/// The layout a scripted client's step naming topic `name` uses: the first CreateTopic of that
/// name with a valid assignment, else its auto-created layout (`add_auto`) (a later request of the name is refused TOPIC_ALREADY_EXISTS
/// if that one succeeds; if it is refused, the clients never see the topic).
pub fn for_clients<'a>(layouts: &'a [TopicLayout], name: &str) -> Option<&'a TopicLayout> {
    (layouts.iter()).find(|t| t.name == name && t.invalid_assignment.is_none())
}

/// The override of `config` for partition `p` at `now_ms`: a created topic's own configs
/// (`layouts`), else the IncrementalAlterConfigs override of the topics the cluster starts
/// with (`topic_override`).
pub fn partition_override(
    admin_ops: &[AdminSpec],
    layouts: &[TopicLayout],
    p: u32,
    config: TopicConfig,
    now_ms: u64,
) -> Option<i64> {
    match layouts
        .iter()
        .find(|t| (t.first..t.first + t.replicas.len() as u32).contains(&p))
    {
        // A created topic's configs are its topic-level overrides from creation on; an
        // IncrementalAlterConfigs naming it SETs or DELETEs one (a DELETE falls back to the
        // cluster's value, as for any topic override: ConfigAdminManager).
        Some(t) => match admin::last_alter(admin_ops, Some(&t.name), config, now_ms) {
            Some(altered) => altered,
            None => t.configs.iter().find(|(c, _)| *c == config).map(|c| c.1),
        },
        None => admin::topic_override(admin_ops, None, config, now_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(name: &str, partitions: u32, rf: Option<u32>, manual: Vec<Vec<u32>>) -> AdminSpec {
        AdminSpec {
            at_ms: 1,
            op: AdminOp::CreateTopic {
                name: name.into(),
                partitions,
                replication_factor: rf,
                replica_assignment: manual,
                configs: vec![("retention.ms".into(), 5.into())],
            },
        }
    }

    #[test]
    fn created_topics_take_the_next_indices_and_keep_the_given_order() {
        let admin = [
            create("a", 2, Some(2), vec![]),
            create("b", 0, None, vec![vec![3, 1], vec![2, 3]]),
        ];
        let l = layouts(&admin, 4, 3, 3);
        assert_eq!((l[0].first, l[1].first), (4, 6));
        // Placed: index 4 → b2, b3 (4 mod 3 = 1); index 5 → b3, b1.
        assert_eq!(l[0].replicas, vec![vec![1, 2], vec![2, 0]]);
        // Manual: the given order, so b3 is partition 0's preferred leader.
        assert_eq!(l[1].replicas, vec![vec![2, 0], vec![1, 2]]);
        assert_eq!(l[1].configs, vec![(TopicConfig::RetentionMs, 5)]);
    }

    #[test]
    fn auto_created_topics_follow_the_created_ones_with_the_auto_settings() {
        let admin = [create("a", 2, Some(1), vec![])];
        let mut l = layouts(&admin, 4, 3, 3);
        // "a" has a CreateTopic (its layout serves auto-creation too); "x" gets num.partitions
        // (2 here) of default.replication.factor (5, bounded by 3 brokers) after it.
        add_auto(&mut l, &["a", "x"], 4, (2, 5, 3));
        assert_eq!(l.len(), 2);
        assert_eq!((l[1].name.as_str(), l[1].first), ("x", 6));
        assert_eq!(l[1].replicas, vec![vec![0, 1, 2], vec![1, 2, 0]]);
        assert_eq!(l[1].admin_index, usize::MAX);
        assert_eq!(for_clients(&l, "x"), Some(&l[1]));
        // Without any CreateTopic they start at the first free index.
        let mut none = Vec::new();
        add_auto(&mut none, &["y"], 4, (1, 1, 3));
        assert_eq!(
            (none[0].first, none[0].replicas.clone()),
            (4, vec![vec![1]])
        );
    }

    #[test]
    fn bad_manual_assignments_are_found_and_take_no_indices() {
        for bad in [
            vec![vec![1, 1]],
            vec![vec![1, 4]],
            vec![vec![1, 2], vec![3]],
            vec![vec![]],
        ] {
            let admin = [
                create("a", 0, None, bad.clone()),
                create("b", 1, None, vec![]),
            ];
            let l = layouts(&admin, 1, 3, 1);
            assert!(l[0].invalid_assignment.is_some(), "{bad:?}");
            assert_eq!(l[1].first, 1, "{bad:?}");
        }
    }

    #[test]
    fn a_created_topics_configs_apply_to_its_partitions_only() {
        let op = AdminOp::CreateTopic {
            name: "t".into(),
            partitions: 2,
            replication_factor: Some(1),
            replica_assignment: vec![],
            configs: vec![("retention.ms".into(), 5.into())],
        };
        let admin = [
            AdminSpec {
                at_ms: 1,
                op: AdminOp::IncrementalAlterConfigs {
                    topic: None,
                    ops: vec![admin::AlterConfigOp::Set {
                        name: "retention.ms".into(),
                        value: 9.into(),
                    }],
                },
            },
            AdminSpec { at_ms: 5, op },
        ];
        let l = layouts(&admin, 3, 3, 1);
        let at = |p| partition_override(&admin, &l, p, TopicConfig::RetentionMs, 10);
        assert_eq!(
            (at(2), at(3), at(4), at(5)),
            (Some(9), Some(5), Some(5), Some(9))
        );
    }
}
