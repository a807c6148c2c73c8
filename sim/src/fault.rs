//! Faults as data. A scenario carries an explicit schedule of timed [`FaultSpec`]s (nodes named
//! as in the scenario); the kernel applies the resolved [`Fault`]s at their times. A seeded
//! nemesis can also generate a schedule from a [`FaultProfile`] (see `nemesis.rs`).

use crate::actor::CrashKind;
use crate::id::NodeId;
use crate::network::LinkConfig;
use crate::target::{Target, TargetAction};
use crate::time::SimTime;
use serde::{Deserialize, Serialize};

/// A fault as the kernel applies it.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    Crash {
        node: NodeId,
        kind: CrashKind,
    },
    Restart {
        node: NodeId,
    },
    Pause {
        node: NodeId,
    },
    Resume {
        node: NodeId,
    },
    /// Cut every link between nodes of different groups, both ways. Nodes in no group keep all
    /// their links.
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    /// Cut the links from every `from` node to every `to` node, one way only.
    PartitionOneWay {
        from: Vec<NodeId>,
        to: Vec<NodeId>,
    },
    /// Cut every link into and out of one node.
    Isolate {
        node: NodeId,
    },
    /// Remove every partition and clog; held messages move on.
    Heal,
    /// Hold messages on the links from `from` to `to` until released.
    Clog {
        from: Vec<NodeId>,
        to: Vec<NodeId>,
    },
    /// Release a clog.
    Unclog {
        from: Vec<NodeId>,
        to: Vec<NodeId>,
    },
    /// Change the settings of the links from `from` to `to`.
    SetLink {
        from: Vec<NodeId>,
        to: Vec<NodeId>,
        link: LinkConfig,
    },
    /// Set a node's clock offset and drift.
    ClockSkew {
        node: NodeId,
        offset_ns: i64,
        drift_ppm: i64,
    },
    /// Reset every open connection between two nodes now (whichever end opened it): both
    /// ends are told at once that it closed (`CloseReason::Reset`, an RST each way), and what
    /// it still carried is dropped. The nodes stay up and may connect again.
    ResetLink {
        a: NodeId,
        b: NodeId,
    },
    /// Arm a targeted message fault (`target.rs`): it hits the n-th matching message sent from
    /// now on.
    Target(Target),
}

impl Fault {
    /// Every [`Fault::name`]: the kernel's own "sometimes" counters (one per fault applied), so
    /// `sometimes:NAME` expectations can be checked against them.
    pub const NAMES: &'static [&'static str] = &[
        "crash",
        "crash_lose_unflushed",
        "restart",
        "pause",
        "resume",
        "partition",
        "partition_one_way",
        "isolate",
        "heal",
        "clog",
        "unclog",
        "set_link",
        "clock_skew",
        "reset_link",
        "target",
        // Fired targeted faults (`TargetAction::NAMES`), counted when they hit their message.
        "target_fail",
        "target_delay",
        "target_drop",
        "target_reset",
    ];

    /// Short name for traces and banners.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Crash {
                kind: CrashKind::Process,
                ..
            } => "crash",
            Fault::Crash {
                kind: CrashKind::LoseUnflushed,
                ..
            } => "crash_lose_unflushed",
            Fault::Restart { .. } => "restart",
            Fault::Pause { .. } => "pause",
            Fault::Resume { .. } => "resume",
            Fault::Partition { .. } => "partition",
            Fault::PartitionOneWay { .. } => "partition_one_way",
            Fault::Isolate { .. } => "isolate",
            Fault::Heal => "heal",
            Fault::Clog { .. } => "clog",
            Fault::Unclog { .. } => "unclog",
            Fault::SetLink { .. } => "set_link",
            Fault::ClockSkew { .. } => "clock_skew",
            Fault::ResetLink { .. } => "reset_link",
            Fault::Target(_) => "target",
        }
    }

    /// The fault in words, with node names: `crash b1 (power loss)`, `partition {b1} | {b2,b3}`
    /// (for logs; the trace keeps the structured form).
    pub fn describe(&self, names: &[String]) -> String {
        let name = |n: &NodeId| {
            names
                .get(n.index())
                .cloned()
                .unwrap_or_else(|| n.to_string())
        };
        let set =
            |ns: &[NodeId]| format!("{{{}}}", ns.iter().map(name).collect::<Vec<_>>().join(","));
        match self {
            Fault::Crash { node, kind } => match kind {
                CrashKind::Process => format!("crash {} (process killed)", name(node)),
                CrashKind::LoseUnflushed => format!("crash {} (power loss)", name(node)),
            },
            Fault::Restart { node } => format!("restart {}", name(node)),
            Fault::Pause { node } => format!("pause {}", name(node)),
            Fault::Resume { node } => format!("resume {}", name(node)),
            Fault::Isolate { node } => format!("isolate {}", name(node)),
            Fault::Heal => "heal".to_string(),
            Fault::Partition { groups } => format!(
                "partition {}",
                groups
                    .iter()
                    .map(|g| set(g))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
            Fault::PartitionOneWay { from, to } => {
                format!("one-way partition {} -/-> {}", set(from), set(to))
            }
            Fault::Clog { from, to } => format!("clog {} -> {}", set(from), set(to)),
            Fault::Unclog { from, to } => format!("unclog {} -> {}", set(from), set(to)),
            Fault::SetLink { from, to, link } => {
                format!("set link {} -> {}: {link:?}", set(from), set(to))
            }
            Fault::ClockSkew {
                node,
                offset_ns,
                drift_ppm,
            } => format!(
                "clock skew {}: offset {offset_ns} ns, drift {drift_ppm} ppm",
                name(node)
            ),
            Fault::ResetLink { a, b } => format!("reset link {} <-> {}", name(a), name(b)),
            Fault::Target(t) => format!(
                "target {} -> {} label {} predicate {} #{}: {:?}",
                t.from.as_ref().map_or("*".to_string(), name),
                t.to.as_ref().map_or("*".to_string(), name),
                t.label.as_deref().unwrap_or("*"),
                t.predicate.as_deref().unwrap_or("-"),
                t.nth,
                t.action
            ),
        }
    }

    /// The node the fault targets, where there is exactly one.
    pub fn target(&self) -> Option<NodeId> {
        match self {
            Fault::Crash { node, .. }
            | Fault::Restart { node }
            | Fault::Pause { node }
            | Fault::Resume { node }
            | Fault::Isolate { node }
            | Fault::ClockSkew { node, .. } => Some(*node),
            Fault::Target(t) => t.from,
            _ => None,
        }
    }
}

/// A fault in a scenario file: a time in milliseconds and node names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FaultSpec {
    /// Crash a node. `lose_unflushed: true` models power loss: unflushed writes are gone.
    Crash {
        at_ms: u64,
        node: String,
        #[serde(default)]
        lose_unflushed: bool,
    },
    Restart {
        at_ms: u64,
        node: String,
    },
    Pause {
        at_ms: u64,
        node: String,
    },
    Resume {
        at_ms: u64,
        node: String,
    },
    Partition {
        at_ms: u64,
        groups: Vec<Vec<String>>,
    },
    PartitionOneWay {
        at_ms: u64,
        from: Vec<String>,
        to: Vec<String>,
    },
    Isolate {
        at_ms: u64,
        node: String,
    },
    Heal {
        at_ms: u64,
    },
    Clog {
        at_ms: u64,
        from: Vec<String>,
        to: Vec<String>,
    },
    Unclog {
        at_ms: u64,
        from: Vec<String>,
        to: Vec<String>,
    },
    SetLink {
        at_ms: u64,
        from: Vec<String>,
        to: Vec<String>,
        link: LinkConfig,
    },
    ClockSkew {
        at_ms: u64,
        node: String,
        offset_ms: i64,
        #[serde(default)]
        drift_ppm: i64,
    },
    /// Reset every open connection between nodes `a` and `b` at `at_ms` (`Fault::ResetLink`).
    ResetLink {
        at_ms: u64,
        a: String,
        b: String,
    },
    /// A targeted message fault (`target.rs`), armed at `at_ms`: the `nth` message (1-based,
    /// default 1) sent from then on that matches every given field is hit by `action`.
    Target {
        #[serde(default)]
        at_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        predicate: Option<String>,
        #[serde(default = "first")]
        nth: u32,
        action: TargetAction,
    },
}

fn first() -> u32 {
    1
}

/// Longest targeted delay: one hour.
pub const TARGET_DELAY_MAX_MS: u64 = 3_600_000;

impl FaultSpec {
    pub fn at_ms(&self) -> u64 {
        match self {
            FaultSpec::Crash { at_ms, .. }
            | FaultSpec::Restart { at_ms, .. }
            | FaultSpec::Pause { at_ms, .. }
            | FaultSpec::Resume { at_ms, .. }
            | FaultSpec::Partition { at_ms, .. }
            | FaultSpec::PartitionOneWay { at_ms, .. }
            | FaultSpec::Isolate { at_ms, .. }
            | FaultSpec::Heal { at_ms }
            | FaultSpec::Clog { at_ms, .. }
            | FaultSpec::Unclog { at_ms, .. }
            | FaultSpec::SetLink { at_ms, .. }
            | FaultSpec::ClockSkew { at_ms, .. }
            | FaultSpec::ResetLink { at_ms, .. }
            | FaultSpec::Target { at_ms, .. } => *at_ms,
        }
    }

    /// Every node name the fault mentions, with the path of its field inside the fault
    /// (`["groups", "1", "0"]`, `["from", "2"]`, `["node"]`), in field order: what a
    /// validator needs to point at an unknown name.
    pub fn node_paths(&self) -> Vec<(Vec<String>, &str)> {
        fn list<'a>(field: &str, names: &'a [String]) -> Vec<(Vec<String>, &'a str)> {
            (names.iter().enumerate())
                .map(|(j, n)| (vec![field.to_string(), j.to_string()], n.as_str()))
                .collect()
        }
        fn one<'a>(field: &str, n: &'a Option<String>) -> Vec<(Vec<String>, &'a str)> {
            (n.iter())
                .map(|n| (vec![field.to_string()], n.as_str()))
                .collect()
        }
        match self {
            FaultSpec::Crash { node, .. }
            | FaultSpec::Restart { node, .. }
            | FaultSpec::Pause { node, .. }
            | FaultSpec::Resume { node, .. }
            | FaultSpec::Isolate { node, .. }
            | FaultSpec::ClockSkew { node, .. } => vec![(vec!["node".to_string()], node.as_str())],
            FaultSpec::Partition { groups, .. } => (groups.iter().enumerate())
                .flat_map(|(g, group)| {
                    list("groups", group).into_iter().map(move |(mut path, n)| {
                        path.insert(1, g.to_string());
                        (path, n)
                    })
                })
                .collect(),
            FaultSpec::PartitionOneWay { from, to, .. }
            | FaultSpec::Clog { from, to, .. }
            | FaultSpec::Unclog { from, to, .. }
            | FaultSpec::SetLink { from, to, .. } => {
                let mut all = list("from", from);
                all.extend(list("to", to));
                all
            }
            FaultSpec::Heal { .. } => vec![],
            FaultSpec::ResetLink { a, b, .. } => vec![
                (vec!["a".to_string()], a.as_str()),
                (vec!["b".to_string()], b.as_str()),
            ],
            FaultSpec::Target { from, to, .. } => {
                let mut all = one("from", from);
                all.extend(one("to", to));
                all
            }
        }
    }

    /// Every node name the fault mentions, to rename in place (a comparison run maps roles to
    /// each system's nodes).
    pub fn node_names_mut(&mut self) -> Vec<&mut String> {
        match self {
            FaultSpec::Crash { node, .. }
            | FaultSpec::Restart { node, .. }
            | FaultSpec::Pause { node, .. }
            | FaultSpec::Resume { node, .. }
            | FaultSpec::Isolate { node, .. }
            | FaultSpec::ClockSkew { node, .. } => vec![node],
            FaultSpec::Partition { groups, .. } => groups.iter_mut().flatten().collect(),
            FaultSpec::PartitionOneWay { from, to, .. }
            | FaultSpec::Clog { from, to, .. }
            | FaultSpec::Unclog { from, to, .. }
            | FaultSpec::SetLink { from, to, .. } => from.iter_mut().chain(to.iter_mut()).collect(),
            FaultSpec::Heal { .. } => vec![],
            FaultSpec::ResetLink { a, b, .. } => vec![a, b],
            FaultSpec::Target { from, to, .. } => from.iter_mut().chain(to.iter_mut()).collect(),
        }
    }

    /// Resolve names against the scenario's nodes. `Err` names the first unknown node or the
    /// first invalid parameter.
    pub fn resolve(&self, names: &[String]) -> Result<(SimTime, Fault), String> {
        let id = |name: &str| -> Result<NodeId, String> {
            names
                .iter()
                .position(|n| n == name)
                .map(|i| NodeId(i as u32))
                .ok_or_else(|| format!("unknown node `{name}` (nodes: {})", names.join(", ")))
        };
        let ids = |list: &[String]| list.iter().map(|n| id(n)).collect::<Result<Vec<_>, _>>();
        let at = SimTime::from_millis(self.at_ms());
        let fault = match self {
            FaultSpec::Crash {
                node,
                lose_unflushed,
                ..
            } => Fault::Crash {
                node: id(node)?,
                kind: if *lose_unflushed {
                    CrashKind::LoseUnflushed
                } else {
                    CrashKind::Process
                },
            },
            FaultSpec::Restart { node, .. } => Fault::Restart { node: id(node)? },
            FaultSpec::Pause { node, .. } => Fault::Pause { node: id(node)? },
            FaultSpec::Resume { node, .. } => Fault::Resume { node: id(node)? },
            FaultSpec::Partition { groups, .. } => {
                if groups.len() < 2 {
                    return Err("a partition needs at least two groups".into());
                }
                let groups = groups
                    .iter()
                    .map(|g| ids(g))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut seen: Vec<NodeId> = groups.iter().flatten().copied().collect();
                seen.sort();
                if seen.windows(2).any(|w| w[0] == w[1]) {
                    return Err("a node appears in two partition groups".into());
                }
                Fault::Partition { groups }
            }
            FaultSpec::PartitionOneWay { from, to, .. } => Fault::PartitionOneWay {
                from: ids(from)?,
                to: ids(to)?,
            },
            FaultSpec::Isolate { node, .. } => Fault::Isolate { node: id(node)? },
            FaultSpec::Heal { .. } => Fault::Heal,
            FaultSpec::Clog { from, to, .. } => Fault::Clog {
                from: ids(from)?,
                to: ids(to)?,
            },
            FaultSpec::Unclog { from, to, .. } => Fault::Unclog {
                from: ids(from)?,
                to: ids(to)?,
            },
            FaultSpec::SetLink { from, to, link, .. } => {
                link.validate()?;
                Fault::SetLink {
                    from: ids(from)?,
                    to: ids(to)?,
                    link: *link,
                }
            }
            FaultSpec::ClockSkew {
                node,
                offset_ms,
                drift_ppm,
                ..
            } => {
                if offset_ms.unsigned_abs() > 86_400_000 * 365 {
                    return Err(format!("clock offset {offset_ms} ms is more than a year"));
                }
                if drift_ppm.unsigned_abs() > 1_000_000 {
                    return Err(format!("clock drift {drift_ppm} ppm is above 1,000,000"));
                }
                Fault::ClockSkew {
                    node: id(node)?,
                    offset_ns: offset_ms * 1_000_000,
                    drift_ppm: *drift_ppm,
                }
            }
            FaultSpec::ResetLink { a, b, .. } => {
                let (a, b) = (id(a)?, id(b)?);
                if a == b {
                    return Err("a link reset needs two different nodes".into());
                }
                Fault::ResetLink { a, b }
            }
            FaultSpec::Target {
                from,
                to,
                label,
                predicate,
                nth,
                action,
                ..
            } => {
                if *nth == 0 {
                    return Err("nth counts from 1 (the first matching message)".into());
                }
                if let TargetAction::Delay { ms } = action
                    && *ms > TARGET_DELAY_MAX_MS
                {
                    return Err(format!(
                        "delay {ms} ms is above the limit of {TARGET_DELAY_MAX_MS} ms"
                    ));
                }
                Fault::Target(Target {
                    from: from.as_deref().map(id).transpose()?,
                    to: to.as_deref().map(id).transpose()?,
                    label: label.clone(),
                    predicate: predicate.clone(),
                    nth: *nth,
                    action: action.clone(),
                })
            }
        };
        Ok((at, fault))
    }

    /// The inverse of `resolve`: write a kernel fault back as a scenario entry.
    pub fn from_fault(at: SimTime, fault: &Fault, names: &[String]) -> FaultSpec {
        let at_ms = at.as_millis();
        let name = |n: &NodeId| names[n.index()].clone();
        let list = |v: &[NodeId]| v.iter().map(name).collect::<Vec<_>>();
        match fault {
            Fault::Crash { node, kind } => FaultSpec::Crash {
                at_ms,
                node: name(node),
                lose_unflushed: *kind == CrashKind::LoseUnflushed,
            },
            Fault::Restart { node } => FaultSpec::Restart {
                at_ms,
                node: name(node),
            },
            Fault::Pause { node } => FaultSpec::Pause {
                at_ms,
                node: name(node),
            },
            Fault::Resume { node } => FaultSpec::Resume {
                at_ms,
                node: name(node),
            },
            Fault::Partition { groups } => FaultSpec::Partition {
                at_ms,
                groups: groups.iter().map(|g| list(g)).collect(),
            },
            Fault::PartitionOneWay { from, to } => FaultSpec::PartitionOneWay {
                at_ms,
                from: list(from),
                to: list(to),
            },
            Fault::Isolate { node } => FaultSpec::Isolate {
                at_ms,
                node: name(node),
            },
            Fault::Heal => FaultSpec::Heal { at_ms },
            Fault::Clog { from, to } => FaultSpec::Clog {
                at_ms,
                from: list(from),
                to: list(to),
            },
            Fault::Unclog { from, to } => FaultSpec::Unclog {
                at_ms,
                from: list(from),
                to: list(to),
            },
            Fault::SetLink { from, to, link } => FaultSpec::SetLink {
                at_ms,
                from: list(from),
                to: list(to),
                link: *link,
            },
            Fault::ClockSkew {
                node,
                offset_ns,
                drift_ppm,
            } => FaultSpec::ClockSkew {
                at_ms,
                node: name(node),
                offset_ms: offset_ns / 1_000_000,
                drift_ppm: *drift_ppm,
            },
            Fault::ResetLink { a, b } => FaultSpec::ResetLink {
                at_ms,
                a: name(a),
                b: name(b),
            },
            Fault::Target(t) => FaultSpec::Target {
                at_ms,
                from: t.from.as_ref().map(name),
                to: t.to.as_ref().map(name),
                label: t.label.clone(),
                predicate: t.predicate.clone(),
                nth: t.nth,
                action: t.action.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Fault::NAMES` lists exactly the names `Fault::name` gives, so a `sometimes:` expectation
    /// is rejected only when no fault can count it.
    #[test]
    fn names_list_every_fault_name_once() {
        let n = NodeId(0);
        let v = vec![n];
        let all = [
            Fault::Crash {
                node: n,
                kind: CrashKind::Process,
            },
            Fault::Crash {
                node: n,
                kind: CrashKind::LoseUnflushed,
            },
            Fault::Restart { node: n },
            Fault::Pause { node: n },
            Fault::Resume { node: n },
            Fault::Partition {
                groups: vec![v.clone()],
            },
            Fault::PartitionOneWay {
                from: v.clone(),
                to: v.clone(),
            },
            Fault::Isolate { node: n },
            Fault::Heal,
            Fault::Clog {
                from: v.clone(),
                to: v.clone(),
            },
            Fault::Unclog {
                from: v.clone(),
                to: v.clone(),
            },
            Fault::SetLink {
                from: v.clone(),
                to: v.clone(),
                link: LinkConfig::default(),
            },
            Fault::ClockSkew {
                node: n,
                offset_ns: 0,
                drift_ppm: 0,
            },
            Fault::ResetLink { a: n, b: NodeId(1) },
            Fault::Target(Target {
                from: None,
                to: None,
                label: None,
                predicate: None,
                nth: 1,
                action: TargetAction::Drop,
            }),
        ];
        let mut names: Vec<&str> = all.iter().map(Fault::name).collect();
        names.extend(TargetAction::NAMES);
        assert_eq!(names, Fault::NAMES);
        let actions = [
            TargetAction::Fail { code: "E".into() },
            TargetAction::Delay { ms: 1 },
            TargetAction::Drop,
            TargetAction::Reset,
        ];
        let fired: Vec<&str> = actions.iter().map(TargetAction::name).collect();
        assert_eq!(fired, TargetAction::NAMES);
    }
}
