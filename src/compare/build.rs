//! Assembling the comparison's scenarios: the workload written as an ordinary scenario for each
//! system and consumer kind, with the existing models' own configuration (no model logic here:
//! only the models' defaults and the fields every scenario file can set).

use super::workload::{PRODUCER_START_MS, Workload};
use crate::diagnostic::Diagnostic;
use crate::scenario::{self, LoadedScenario};
use msgsim_sim::FaultSpec;

/// The three systems compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    Kafka,
    PubSub,
    Streams,
}

impl System {
    pub const ALL: [System; 3] = [System::Kafka, System::PubSub, System::Streams];

    pub fn title(self) -> &'static str {
        match self {
            System::Kafka => "Kafka",
            System::PubSub => "Redis Pub/Sub",
            System::Streams => "Redis Streams",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            System::Kafka => "kafka",
            System::PubSub => "pubsub",
            System::Streams => "streams",
        }
    }

    /// The node a role name stands for in this system's scenarios.
    pub fn node(self, role: &str) -> String {
        match (self, role) {
            (System::Kafka, "server") => "b1".into(),
            (System::Kafka, "producer") => "p1".into(),
            (System::Kafka, "consumer") => "c1".into(),
            (_, "server") => "r1".into(),
            (_, other) => other.into(),
        }
    }
}

/// The consumer kinds, one run each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consumer {
    Steady,
    Away,
    Late,
}

impl Consumer {
    pub const ALL: [Consumer; 3] = [Consumer::Steady, Consumer::Away, Consumer::Late];

    pub fn slug(self) -> &'static str {
        match self {
            Consumer::Steady => "steady",
            Consumer::Away => "away",
            Consumer::Late => "late",
        }
    }
}

/// A scenario of the comparison: its name (the file name `--emit` writes) and the loaded form.
pub struct Built {
    pub name: String,
    pub loaded: LoadedScenario,
}

/// The scenario text for one system and consumer kind, faults given in role names.
pub fn scenario_text(w: &Workload, sys: System, who: Consumer, faults: &[FaultSpec]) -> String {
    let name = format!("compare-{}-{}-{}", w.name, sys.slug(), who.slug());
    let mut all: Vec<FaultSpec> = Vec::new();
    if who == Consumer::Away {
        all.push(FaultSpec::Crash {
            at_ms: w.away_from_ms,
            node: "consumer".into(),
            lose_unflushed: false,
        });
        all.push(FaultSpec::Restart {
            at_ms: w.away_to_ms,
            node: "consumer".into(),
        });
    }
    all.extend(faults.iter().cloned());
    all.sort_by_key(FaultSpec::at_ms);
    let faults: Vec<String> = all
        .iter()
        .map(|f| super::workload::map_nodes(f, &mut |n: &str| sys.node(n)))
        .map(|f| {
            let text = ron::ser::to_string(&f).expect("fault serialises");
            format!("        {text},\n")
        })
        .collect();
    let (rate, bytes, late) = (w.rate_per_s, w.message_bytes, w.late_join_ms);
    let system = match sys {
        System::Kafka => {
            let start = if who == Consumer::Late {
                format!("\n        consumer_start_ms: {late},")
            } else {
                String::new()
            };
            format!(
                "Kafka(
        partitions: 1,
        consumers: 1,
        messages_per_sec: {rate},
        message_bytes: {bytes},
        producer_start_ms: {PRODUCER_START_MS},
        auto_offset_reset: Earliest,{start}
    )"
            )
        }
        System::PubSub => {
            let (consumer, script) = if who == Consumer::Late {
                (
                    "(name: \"consumer\", connect_at_start: false)".to_string(),
                    format!(
                        "(at_ms: {late}, client: \"consumer\", cmd: Subscribe(channels: [\"events\"])),"
                    ),
                )
            } else {
                (
                    "(name: \"consumer\", subscribe: [\"events\"])".to_string(),
                    String::new(),
                )
            };
            format!(
                "Redis(
        servers: 1,
        clients: [
            (name: \"producer\", publish: (channel: \"events\", rate_per_s: {rate}, payload_bytes: {bytes}, start_ms: {PRODUCER_START_MS})),
            {consumer},
        ],
        script: [{script}],
    )"
            )
        }
        System::Streams => {
            let (connect, script) = if who == Consumer::Late {
                (
                    ", connect_at_start: false",
                    format!("\n            (at_ms: {late}, client: \"consumer\", cmd: Connect),"),
                )
            } else {
                ("", String::new())
            };
            format!(
                "Redis(
        servers: 1,
        clients: [
            (name: \"setup\"),
            (name: \"producer\", stream_produce: (key: \"events\", rate_per_s: {rate}, payload_bytes: {bytes}, start_ms: {PRODUCER_START_MS})),
            (name: \"consumer\", stream_consume: (key: \"events\", group: \"g\", consumer: \"c1\", poll_ms: 50){connect}),
        ],
        script: [
            (at_ms: 50, client: \"setup\", cmd: XAdd(key: \"events\", id: Some(\"0-1\")), expect: \"0-1\"),
            (at_ms: 60, client: \"setup\", cmd: XGroupCreate(key: \"events\", group: \"g\", id: \"0\"), expect: \"OK\"),{script}
        ],
    )"
            )
        }
    };
    let quiet = if sys == System::Kafka { 5_000 } else { 2_000 };
    format!(
        "// Generated by `msgsim compare` (workload `{wname}`, {who} consumer on {title}).
// Replay: msgsim run {name}.ron
(
    version: 1,
    name: \"{name}\",
    seed: {seed},
    duration_ms: {duration},
    quiet_ms: {quiet},
    system: {system},
    faults: [
{faults}    ],
)
",
        wname = w.name,
        who = who.slug(),
        title = sys.title(),
        seed = w.seed,
        duration = w.duration_ms,
        faults = faults.concat(),
    )
}

/// Build (parse and validate) one scenario of the comparison.
pub fn build(
    w: &Workload,
    sys: System,
    who: Consumer,
    faults: &[FaultSpec],
) -> Result<Built, Diagnostic> {
    let text = scenario_text(w, sys, who, faults);
    let loaded = scenario::parse(&format!("<compare {}>", sys.slug()), text)?;
    Ok(Built {
        name: loaded.scenario.name.clone(),
        loaded,
    })
}
