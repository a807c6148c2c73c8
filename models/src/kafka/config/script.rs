//! Scripted Kafka clients (issue 16 item 1): named clients whose producer and consumer calls run
//! at given times, each with an optional expected outcome, as Redis script steps do
//! (`redis/config.rs` `Step`). A step names its client, the call (`cmd`) and, optionally, the
//! rendered outcome it must get (`*` at the end matches a prefix); `clients/script.rs` runs them.

use super::kinds::{Acks, IsolationLevel, OffsetReset};
use serde::{Deserialize, Serialize};

/// At most this many script steps and scripted clients (bounds the history and the banner).
pub const MAX_STEPS: usize = 10_000;
pub const MAX_SCRIPT_CLIENTS: usize = 64;
/// A record's size limit here (the Kafka section's message size bound, 64 MiB).
const MAX_RECORD_BYTES: u64 = 64 << 20;

/// A scripted client: one KafkaProducer and one KafkaConsumer in one application thread.
/// Unset overrides take the workload's settings from the Kafka section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptClientSpec {
    /// Node name (must not be a broker, `ctrl`, `gc`, `pN` or `cN` name).
    pub name: String,
    #[serde(default)]
    pub acks: Option<Acks>,
    #[serde(default)]
    pub enable_idempotence: Option<bool>,
    #[serde(default)]
    pub retries: Option<u32>,
    #[serde(default)]
    pub max_in_flight_requests_per_connection: Option<u32>,
    #[serde(default)]
    pub delivery_timeout_ms: Option<u64>,
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    #[serde(default)]
    pub auto_offset_reset: Option<OffsetReset>,
    #[serde(default)]
    pub isolation_level: Option<IsolationLevel>,
    #[serde(default)]
    pub max_poll_records: Option<u32>,
    #[serde(default)]
    pub max_poll_interval_ms: Option<u64>,
    /// The application's processing time per record a poll returned (µs): the next step
    /// waits for it, while the heartbeat thread goes on (a slow loop passes
    /// max.poll.interval.ms).
    #[serde(default)]
    pub process_time_us_per_record: u64,
    /// transactional.id: the producer is transactional (TransactionManager) and the
    /// transactional steps apply; clients naming the same id fence each other.
    #[serde(default)]
    pub transactional_id: Option<String>,
    /// transaction.timeout.ms of this producer (unset: the Kafka section's).
    #[serde(default)]
    pub transaction_timeout_ms: Option<u64>,
    /// max.block.ms (60 000): how long initTransactions, sendOffsetsToTransaction,
    /// commitTransaction, abortTransaction and a send to a created topic not in the metadata
    /// yet block before `TIMEOUT`.
    #[serde(default)]
    pub max_block_ms: Option<u64>,
    /// allow.auto.create.topics (true): the consumer's metadata requests for the topics it is
    /// assigned or subscribed to ask the broker to create them (ConsumerConfig, KIP-487).
    #[serde(default)]
    pub allow_auto_create_topics: Option<bool>,
}

impl ScriptClientSpec {
    /// A client named `name` with every override unset.
    pub fn named(name: &str) -> ScriptClientSpec {
        ScriptClientSpec {
            name: name.into(),
            acks: None,
            enable_idempotence: None,
            retries: None,
            max_in_flight_requests_per_connection: None,
            delivery_timeout_ms: None,
            request_timeout_ms: None,
            auto_offset_reset: None,
            isolation_level: None,
            max_poll_records: None,
            max_poll_interval_ms: None,
            process_time_us_per_record: 0,
            transactional_id: None,
            transaction_timeout_ms: None,
            max_block_ms: None,
            allow_auto_create_topics: None,
        }
    }
}

/// One record header: key and value size (headers only count toward the record's size).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderSpec {
    pub key: String,
    #[serde(default)]
    pub value_bytes: u64,
}

fn hundred() -> u64 {
    100
}

/// A client call. The model has one topic, so calls name partitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum KCmd {
    /// KafkaProducer.send: to `partition`, or to the key's partition (murmur2 of the key's
    /// UTF-8 bytes, BuiltInPartitioner.partitionForKey), or partition 0. `timestamp_delta_ms`
    /// sets CreateTime relative to the client's clock (negative: the past). Outcome:
    /// `offset N` (or `ok` without an offset), else the error name.
    Send {
        #[serde(default)]
        partition: Option<u32>,
        #[serde(default)]
        key: Option<String>,
        #[serde(default = "hundred")]
        value_bytes: u64,
        #[serde(default)]
        timestamp_delta_ms: i64,
        #[serde(default)]
        headers: Vec<HeaderSpec>,
    },
    /// KafkaProducer.flush: blocks until every earlier send completed. Outcome `ok`.
    Flush,
    /// KafkaProducer.close and KafkaConsumer.close: flush, leave the group, stop. Outcome `ok`.
    Close,
    /// KafkaConsumer.subscribe (group `g1`; joined in the next poll). Outcome `ok`.
    Subscribe,
    /// KafkaConsumer.assign: manual assignment, no group membership. Outcome `ok`.
    Assign {
        partitions: Vec<u32>,
    },
    /// KafkaConsumer.seek. Outcome `ok`, or `NOT_ASSIGNED`.
    Seek {
        partition: u32,
        offset: u64,
    },
    /// seekToBeginning / seekToEnd (empty list: every assigned partition). Outcome `ok`.
    SeekToBeginning {
        #[serde(default)]
        partitions: Vec<u32>,
    },
    SeekToEnd {
        #[serde(default)]
        partitions: Vec<u32>,
    },
    /// KafkaConsumer.poll(timeout): returns as soon as records are there, else after
    /// `timeout_ms`. Outcome `records N p<P>:<first>-<last> ...`, or `OFFSET_OUT_OF_RANGE`,
    /// `NO_OFFSET`, `NOT_SUBSCRIBED`.
    Poll {
        #[serde(default)]
        max_records: Option<u32>,
        #[serde(default)]
        timeout_ms: u64,
    },
    /// commitSync (empty `offsets`: the current positions). Outcome `ok`, `COMMIT_FAILED`,
    /// `REBALANCE_IN_PROGRESS` or `TIMEOUT`.
    CommitSync {
        #[serde(default)]
        offsets: Vec<(u32, u64)>,
    },
    /// commitAsync: the outcome arrives with the callback; the next step does not wait.
    CommitAsync {
        #[serde(default)]
        offsets: Vec<(u32, u64)>,
    },
    /// pause / resume partitions: not fetched, nothing returned while paused.
    Pause {
        partitions: Vec<u32>,
    },
    Resume {
        partitions: Vec<u32>,
    },
    /// KafkaProducer.initTransactions (InitProducerId; fences an older instance of the
    /// transactional.id and aborts its open transaction). Blocks. Outcome `ok`,
    /// `PRODUCER_FENCED`, `INVALID_TXN_STATE` (called twice), `TIMEOUT` (max.block.ms).
    InitTransactions,
    /// beginTransaction (local). Outcome `ok`, `INVALID_TXN_STATE`, `PRODUCER_FENCED`.
    BeginTransaction,
    /// sendOffsetsToTransaction(offsets, consumer.groupMetadata()): the client's own
    /// consumer's generation and member id (KIP-447), or `generation` if set. Empty `offsets`:
    /// the consumer's positions. Blocks until the TxnOffsetCommit is answered. Outcome `ok`,
    /// `COMMIT_FAILED` (ILLEGAL_GENERATION: the transaction must abort), `PRODUCER_FENCED`,
    /// `INVALID_TXN_STATE`, `TIMEOUT`.
    SendOffsetsToTransaction {
        #[serde(default)]
        offsets: Vec<(u32, u64)>,
        #[serde(default)]
        generation: Option<u64>,
    },
    /// commitTransaction: flush, then EndTxn(commit). Blocks. Outcome `ok`; the abortable
    /// error that stopped it (e.g. `DELIVERY_TIMEOUT`; the transaction is then aborted);
    /// `PRODUCER_FENCED`, `INVALID_TXN_STATE`, `TIMEOUT`.
    CommitTransaction,
    /// abortTransaction: unsent records fail, EndTxn(abort). Blocks. Outcome `ok`,
    /// `PRODUCER_FENCED`, `INVALID_TXN_STATE`, `TIMEOUT`.
    AbortTransaction,
}

impl KCmd {
    pub fn name(&self) -> &'static str {
        match self {
            KCmd::Send { .. } => "send",
            KCmd::Flush => "flush",
            KCmd::Close => "close",
            KCmd::Subscribe => "subscribe",
            KCmd::Assign { .. } => "assign",
            KCmd::Seek { .. } => "seek",
            KCmd::SeekToBeginning { .. } => "seekToBeginning",
            KCmd::SeekToEnd { .. } => "seekToEnd",
            KCmd::Poll { .. } => "poll",
            KCmd::CommitSync { .. } => "commitSync",
            KCmd::CommitAsync { .. } => "commitAsync",
            KCmd::Pause { .. } => "pause",
            KCmd::Resume { .. } => "resume",
            KCmd::InitTransactions => "initTransactions",
            KCmd::BeginTransaction => "beginTransaction",
            KCmd::SendOffsetsToTransaction { .. } => "sendOffsetsToTransaction",
            KCmd::CommitTransaction => "commitTransaction",
            KCmd::AbortTransaction => "abortTransaction",
        }
    }

    /// A call of the transactional API (needs a client with a transactional.id).
    pub fn transactional(&self) -> bool {
        matches!(
            self,
            KCmd::InitTransactions
                | KCmd::BeginTransaction
                | KCmd::SendOffsetsToTransaction { .. }
                | KCmd::CommitTransaction
                | KCmd::AbortTransaction
        )
    }

    /// Partitions the call names.
    fn partitions(&self) -> Vec<u32> {
        match self {
            KCmd::Send { partition, .. } => partition.iter().copied().collect(),
            KCmd::Assign { partitions }
            | KCmd::SeekToBeginning { partitions }
            | KCmd::SeekToEnd { partitions }
            | KCmd::Pause { partitions }
            | KCmd::Resume { partitions } => partitions.clone(),
            KCmd::Seek { partition, .. } => vec![*partition],
            KCmd::CommitSync { offsets }
            | KCmd::CommitAsync { offsets }
            | KCmd::SendOffsetsToTransaction { offsets, .. } => {
                offsets.iter().map(|(p, _)| *p).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// A timed step: `client` calls `cmd` at `at_ms`; `expect` is the rendered outcome it must get.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KStep {
    pub at_ms: u64,
    pub client: String,
    pub cmd: KCmd,
    #[serde(default)]
    pub expect: Option<String>,
    /// The topic the call's partitions belong to: none = the workload topic; else a topic an
    /// admin `CreateTopic` creates (its partitions are counted from 0, as in Kafka).
    #[serde(default)]
    pub topic: Option<String>,
}

impl KCmd {
    /// The call with its partitions moved to the model's indices of a created topic whose
    /// partition 0 is index `first` and which has `count` partitions. A send without a
    /// partition gets the key's partition of that topic, or its partition 0.
    pub fn on_topic(&self, first: u32, count: u32) -> KCmd {
        let mut c = self.clone();
        let shift = |v: &mut Vec<u32>| v.iter_mut().for_each(|p| *p += first);
        match &mut c {
            KCmd::Send { partition, key, .. } => {
                let p = match (*partition, key.as_ref()) {
                    (Some(p), _) => p,
                    (None, Some(k)) => partition_for_key(k, count),
                    (None, None) => 0,
                };
                *partition = Some(first + p);
            }
            KCmd::Assign { partitions }
            | KCmd::SeekToBeginning { partitions }
            | KCmd::SeekToEnd { partitions }
            | KCmd::Pause { partitions }
            | KCmd::Resume { partitions } => shift(partitions),
            KCmd::Seek { partition, .. } => *partition += first,
            KCmd::CommitSync { offsets }
            | KCmd::CommitAsync { offsets }
            | KCmd::SendOffsetsToTransaction { offsets, .. } => {
                offsets.iter_mut().for_each(|(p, _)| *p += first)
            }
            _ => {}
        }
        c
    }
}

/// Does `outcome` match `expected` (`*` at the end matches a prefix)?
pub fn outcome_matches(expected: &str, outcome: &str) -> bool {
    match expected.strip_suffix('*') {
        Some(prefix) => outcome.starts_with(prefix),
        None => outcome == expected,
    }
}

/// Kafka's murmur2 (Utils.murmur2: seed 0x9747b28c, m 0x5bd1e995, r 24), written from the
/// algorithm's description; `toPositive(h) % n` picks a keyed record's partition.
pub fn murmur2(data: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len() as u32;
    let mut h: u32 = 0x9747_b28c ^ len;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= (rest[2] as u32) << 16;
    }
    if rest.len() >= 2 {
        h ^= (rest[1] as u32) << 8;
    }
    if !rest.is_empty() {
        h ^= rest[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// BuiltInPartitioner.partitionForKey: `toPositive(murmur2(key)) % partitions`.
pub fn partition_for_key(key: &str, partitions: u32) -> u32 {
    ((murmur2(key.as_bytes()) & 0x7fff_ffff) as u32) % partitions.max(1)
}

/// Validate the scripted clients and steps against the cluster's node names and partitions.
/// `Err((dotted field path, message))`.
pub fn validate(
    clients: &[ScriptClientSpec],
    steps: &[KStep],
    taken: &[String],
    partitions: u32,
    topics: &[(String, u32)],
) -> Result<(), (String, String)> {
    if clients.len() > MAX_SCRIPT_CLIENTS {
        let m = format!("at most {MAX_SCRIPT_CLIENTS} scripted clients");
        return Err(("script_clients".into(), m));
    }
    if steps.len() > MAX_STEPS {
        return Err(("script".into(), format!("at most {MAX_STEPS} steps")));
    }
    let mut names: Vec<String> = taken.to_vec();
    for (i, c) in clients.iter().enumerate() {
        if c.name.is_empty() || names.contains(&c.name) {
            let m = format!("client name `{}` is empty or already a node's name", c.name);
            return Err((format!("script_clients.{i}.name"), m));
        }
        names.push(c.name.clone());
        if c.max_poll_records == Some(0) || c.max_in_flight_requests_per_connection == Some(0) {
            let m = "max_poll_records and max_in_flight_requests_per_connection must be ≥ 1";
            return Err((format!("script_clients.{i}"), m.into()));
        }
    }
    for (i, st) in steps.iter().enumerate() {
        let err = |f: &str, m: String| Err((format!("script.{i}.{f}"), m));
        let Some(client) = clients.iter().find(|c| c.name == st.client) else {
            let m = format!(
                "step at {} ms names unknown scripted client `{}`",
                st.at_ms, st.client
            );
            return err("client", m);
        };
        if st.cmd.transactional() && client.transactional_id.is_none() {
            let m = format!(
                "step at {} ms: {} needs a client with a transactional_id",
                st.at_ms,
                st.cmd.name()
            );
            return err("cmd", m);
        }
        let partitions = match &st.topic {
            None => partitions,
            Some(t) => {
                topic_partitions(st, t, topics).map_err(|(f, m)| (format!("script.{i}.{f}"), m))?
            }
        };
        if let Some(p) = st.cmd.partitions().into_iter().find(|p| *p >= partitions) {
            let m = format!(
                "step at {} ms: partition {p} does not exist (partitions: {partitions})",
                st.at_ms
            );
            return err("cmd", m);
        }
        if let KCmd::Send {
            value_bytes,
            headers,
            key,
            ..
        } = &st.cmd
        {
            let size = *value_bytes + headers.iter().map(|h| h.value_bytes).sum::<u64>();
            if *value_bytes > MAX_RECORD_BYTES || size > MAX_RECORD_BYTES {
                let m = format!("step at {} ms: a record is at most 64mb", st.at_ms);
                return err("cmd", m);
            }
            if headers.len() > 1_000 || key.as_ref().is_some_and(|k| k.len() > 1 << 20) {
                let m = format!("step at {} ms: at most 1000 headers, keys ≤ 1mb", st.at_ms);
                return err("cmd", m);
            }
        }
        if let KCmd::Poll {
            max_records: Some(0),
            ..
        } = &st.cmd
        {
            return err("cmd", format!("step at {} ms: max_records ≥ 1", st.at_ms));
        }
    }
    Ok(())
}

/// The partition count of the created topic `topic` a step names (`topics`: the CreateTopic
/// names with their partition counts, and with auto-creation every topic a step names), or why
/// the step cannot name it.
fn topic_partitions(
    st: &KStep,
    topic: &str,
    topics: &[(String, u32)],
) -> Result<u32, (String, String)> {
    let at = st.at_ms;
    // org.apache.kafka.common.internals.Topic.validate: 1..=249 of [a-zA-Z0-9._-], not . or ..
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if topic.is_empty() || topic.len() > 249 || topic == "." || topic == ".." {
        let m = format!("step at {at} ms: topic `{topic}`: not a legal topic name");
        return Err(("topic".into(), m));
    }
    if !topic.chars().all(legal) {
        let m = format!("step at {at} ms: topic `{topic}`: legal characters are [a-zA-Z0-9._-]");
        return Err(("topic".into(), m));
    }
    match topics.iter().find(|(n, _)| n == topic) {
        Some((_, n)) => Ok(*n),
        None => Err((
            "topic".into(),
            format!(
                "step at {at} ms: topic `{topic}`: with auto_create_topics_enable: false, \
                 steps name only a topic an admin CreateTopic creates"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafkas_known_values() {
        // Values Kafka's UtilsTest.testMurmur2 checks (cases from its test vectors).
        assert_eq!(murmur2(b"21"), -973_932_308);
        assert_eq!(murmur2(b"foobar"), -790_332_482);
        assert_eq!(murmur2(b"a-little-bit-long-string"), -985_981_536);
        assert_eq!(murmur2(b"a-little-bit-longer-string"), -1_486_304_829);
        assert_eq!(
            murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"),
            -58_897_971
        );
        assert_eq!(murmur2(b"abc"), 479_470_107);
    }

    #[test]
    fn prefix_expectations_match_like_redis_steps() {
        assert!(outcome_matches("records 2*", "records 2 p0:0-1"));
        assert!(!outcome_matches("records 2", "records 2 p0:0-1"));
        assert!(outcome_matches("ok", "ok"));
    }

    #[test]
    fn steps_naming_unknown_clients_or_partitions_are_rejected() {
        let c = vec![ScriptClientSpec::named("app")];
        let step = |client: &str, cmd: KCmd| KStep {
            at_ms: 1,
            client: client.into(),
            cmd,
            expect: None,
            topic: None,
        };
        let ok = [step("app", KCmd::Flush)];
        assert!(validate(&c, &ok, &["b1".into()], 1, &[]).is_ok());
        let unknown = [step("nope", KCmd::Flush)];
        let e = validate(&c, &unknown, &[], 1, &[]).unwrap_err();
        assert_eq!(e.0, "script.0.client");
        let bad_p = [step(
            "app",
            KCmd::Pause {
                partitions: vec![3],
            },
        )];
        assert_eq!(
            validate(&c, &bad_p, &[], 2, &[]).unwrap_err().0,
            "script.0.cmd"
        );
        let e = validate(&c, &ok, &["app".into()], 1, &[]).unwrap_err();
        assert_eq!(e.0, "script_clients.0.name");
        // Transactional calls need a transactional.id.
        let txn = [step("app", KCmd::InitTransactions)];
        assert_eq!(
            validate(&c, &txn, &[], 1, &[]).unwrap_err().0,
            "script.0.cmd"
        );
        let mut t = c.clone();
        t[0].transactional_id = Some("tx".into());
        assert!(validate(&t, &txn, &[], 1, &[]).is_ok());
    }

    #[test]
    fn steps_on_a_created_topic_use_its_indices_and_need_it_created() {
        let send = KCmd::Send {
            partition: None,
            key: Some("k".into()),
            value_bytes: 1,
            timestamp_delta_ms: 0,
            headers: vec![],
        };
        // The key's partition of the created topic (3 partitions from index 5).
        let KCmd::Send { partition, .. } = send.on_topic(5, 3) else {
            panic!("a send")
        };
        assert_eq!(partition, Some(5 + partition_for_key("k", 3)));
        let seek = KCmd::Seek {
            partition: 1,
            offset: 0,
        };
        assert_eq!(
            seek.on_topic(5, 3),
            KCmd::Seek {
                partition: 6,
                offset: 0
            }
        );
        let c = vec![ScriptClientSpec::named("app")];
        let on = |cmd: KCmd, topic: &str| KStep {
            at_ms: 1,
            client: "app".into(),
            cmd,
            expect: None,
            topic: Some(topic.into()),
        };
        let topics = [("orders".to_string(), 2)];
        let assign = |p| KCmd::Assign {
            partitions: vec![p],
        };
        assert!(validate(&c, &[on(assign(1), "orders")], &[], 1, &topics).is_ok());
        // Its own partition count bounds the partitions, not the workload topic's.
        let e = validate(&c, &[on(assign(2), "orders")], &[], 9, &topics).unwrap_err();
        assert_eq!(e.0, "script.0.cmd");
        // A topic no CreateTopic creates (or any topic while auto-creation is on: no list).
        let e = validate(&c, &[on(assign(0), "audit")], &[], 1, &topics).unwrap_err();
        assert_eq!(e.0, "script.0.topic");
        assert!(validate(&c, &[on(KCmd::Subscribe, "orders")], &[], 1, &topics).is_ok());
        // A transactional client's send may name it too (it waits in waitOnMetadata, k50a).
        let mut t = c.clone();
        t[0].transactional_id = Some("tx".into());
        assert!(validate(&t, &[on(send.clone(), "orders")], &[], 1, &topics).is_ok());
        // Topic.validate's legal names.
        let bad = [("or ders".to_string(), 1), ("..".to_string(), 1)];
        for (name, _) in &bad {
            let e = validate(&c, &[on(assign(0), name)], &[], 1, &bad).unwrap_err();
            assert_eq!(e.0, "script.0.topic", "{name}");
        }
    }
}
