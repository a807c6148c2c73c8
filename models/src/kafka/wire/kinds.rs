//! The kernel's view of Kafka messages (`msgsim_sim::Message`): their kind labels and sizes,
//! and what targeted message faults (`msgsim_sim::target`) use — the error reply a broker or
//! coordinator sends when it fails a request with a given error code, and the predicates a
//! fault may name.

use super::msg::{FetchResult, KErr, KMsg};
use crate::kafka::config::Acks;
use crate::kafka::wire::records::BatchTxn;
use msgsim_sim::Message;

impl Message for KMsg {
    fn kind(&self) -> &'static str {
        match self {
            KMsg::Register { .. } => "Register",
            KMsg::RegisterAck { .. } => "RegisterAck",
            KMsg::ControlledShutdown { .. } => "ControlledShutdown",
            KMsg::ControlledShutdownResp => "ControlledShutdownResp",
            KMsg::Heartbeat { .. } => "BrokerHeartbeat",
            KMsg::HeartbeatResp { .. } => "BrokerHeartbeatResp",
            KMsg::Metadata(_) => "Metadata",
            KMsg::AlterPartition { .. } => "AlterPartition",
            KMsg::AlterPartitionResp { .. } => "AlterPartitionResp",
            KMsg::CreateTopics { .. } => "CreateTopics",
            KMsg::MetadataRequest { .. } => "MetadataRequest",
            KMsg::Produce { .. } => "Produce",
            KMsg::ProduceResp { .. } => "ProduceResp",
            KMsg::ConsumerFetch { .. } => "Fetch",
            KMsg::FetchResp { .. } => "FetchResp",
            KMsg::ReplicaFetch { .. } => "ReplicaFetch",
            KMsg::JoinGroup { .. } => "JoinGroup",
            KMsg::JoinResp { .. } => "JoinResp",
            KMsg::GroupHeartbeat { .. } => "Heartbeat",
            KMsg::GroupHeartbeatResp { .. } => "HeartbeatResp",
            KMsg::LeaveGroup { .. } => "LeaveGroup",
            KMsg::OffsetCommit { .. } => "OffsetCommit",
            KMsg::OffsetCommitResp { .. } => "OffsetCommitResp",
            KMsg::OffsetFetch { .. } => "OffsetFetch",
            KMsg::OffsetFetchResp { .. } => "OffsetFetchResp",
            KMsg::InitProducerId { .. } => "InitProducerId",
            KMsg::InitProducerIdResp { .. } => "InitProducerIdResp",
            KMsg::AddPartitionsToTxn { .. } => "AddPartitionsToTxn",
            KMsg::AddPartitionsToTxnResp { .. } => "AddPartitionsToTxnResp",
            KMsg::VerifyTxnPartitions { .. } => "VerifyTxnPartitions",
            KMsg::VerifyTxnPartitionsResp { .. } => "VerifyTxnPartitionsResp",
            KMsg::TxnOffsetCommit { .. } => "TxnOffsetCommit",
            KMsg::TxnOffsetCommitResp { .. } => "TxnOffsetCommitResp",
            KMsg::EndTxn { .. } => "EndTxn",
            KMsg::EndTxnResp { .. } => "EndTxnResp",
        }
    }
    fn error_reply(&self, code: &str) -> Option<Self> {
        error_reply(self, code)
    }
    fn satisfies(&self, predicate: &str) -> bool {
        satisfies(self, predicate)
    }
    fn size_bytes(&self) -> u64 {
        match self {
            KMsg::Produce { batches, .. } => 64 + batches.iter().map(|b| b.bytes + 61).sum::<u64>(),
            KMsg::FetchResp { parts, .. } => {
                64 + parts
                    .iter()
                    .map(|(_, r)| match r {
                        FetchResult::Records { batches, .. } => {
                            batches.iter().map(|b| b.bytes + 61).sum()
                        }
                        _ => 16,
                    })
                    .sum::<u64>()
            }
            KMsg::Metadata(s) => 64 + 32 * s.parts.len() as u64,
            _ => 64,
        }
    }
}

/// Every `KMsg::kind` label.
pub const LABELS: &[&str] = &[
    "Register",
    "RegisterAck",
    "ControlledShutdown",
    "ControlledShutdownResp",
    "BrokerHeartbeat",
    "BrokerHeartbeatResp",
    "Metadata",
    "AlterPartition",
    "AlterPartitionResp",
    "CreateTopics",
    "MetadataRequest",
    "Produce",
    "ProduceResp",
    "Fetch",
    "FetchResp",
    "ReplicaFetch",
    "JoinGroup",
    "JoinResp",
    "Heartbeat",
    "HeartbeatResp",
    "LeaveGroup",
    "OffsetCommit",
    "OffsetCommitResp",
    "OffsetFetch",
    "OffsetFetchResp",
    "InitProducerId",
    "InitProducerIdResp",
    "AddPartitionsToTxn",
    "AddPartitionsToTxnResp",
    "VerifyTxnPartitions",
    "VerifyTxnPartitionsResp",
    "TxnOffsetCommit",
    "TxnOffsetCommitResp",
    "EndTxn",
    "EndTxnResp",
];

/// Requests a `Fail` fault can answer (with an error reply of their response kind).
pub const FAILABLE: &[&str] = &["Produce", "Fetch", "OffsetCommit"];

/// Error codes a broker may answer a request with (Kafka's `Errors` names); the client-side
/// exceptions (NETWORK_EXCEPTION, DELIVERY_TIMEOUT, ...) are not replies and are not here.
const INJECTABLE: &[KErr] = &[
    KErr::NotLeaderOrFollower,
    KErr::FencedLeaderEpoch,
    KErr::UnknownLeaderEpoch,
    KErr::NotEnoughReplicas,
    KErr::NotEnoughReplicasAfterAppend,
    KErr::RequestTimedOut,
    KErr::MessageTooLarge,
    KErr::OutOfOrderSequence,
    KErr::InvalidProducerEpoch,
    KErr::InvalidRecord,
];

/// Their names, for input validation (kept equal to `INJECTABLE` by a unit test).
pub const ERRORS: &[&str] = &[
    "NOT_LEADER_OR_FOLLOWER",
    "FENCED_LEADER_EPOCH",
    "UNKNOWN_LEADER_EPOCH",
    "NOT_ENOUGH_REPLICAS",
    "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
    "REQUEST_TIMED_OUT",
    "MESSAGE_TOO_LARGE",
    "OUT_OF_ORDER_SEQUENCE_NUMBER",
    "INVALID_PRODUCER_EPOCH",
    "INVALID_RECORD",
];

/// Predicates a targeted fault may name: `idempotent` (a Produce of an idempotent or
/// transactional producer: its batches carry a producer id), `transactional` (a Produce of
/// transactional data), `read_committed` (a consumer Fetch at isolation.level=read_committed),
/// `error_response` (a ProduceResp or FetchResp carrying an error code, an OffsetCommitResp
/// that refuses the commit).
pub const PREDICATES: &[&str] = &[
    "idempotent",
    "transactional",
    "read_committed",
    "error_response",
];

fn injectable(code: &str) -> Option<KErr> {
    INJECTABLE.iter().copied().find(|e| e.name() == code)
}

/// The reply the receiver sends when it fails `msg` with `code`: every batch of a Produce gets
/// the error (ProduceResponse per-partition error_code; acks=0 gets no response at all), every
/// partition of a consumer Fetch gets it (FetchResponse per-partition error_code), an
/// OffsetCommit is refused (the model's OffsetCommitResp carries no code: not ok).
pub fn error_reply(msg: &KMsg, code: &str) -> Option<KMsg> {
    let e = injectable(code)?;
    match msg {
        KMsg::Produce { acks, .. } if *acks == Acks::Zero => None,
        KMsg::Produce { req, batches, .. } => Some(KMsg::ProduceResp {
            req: *req,
            results: batches.iter().map(|b| (b.id, Err(e))).collect(),
        }),
        KMsg::ConsumerFetch { req, parts, .. } => Some(KMsg::FetchResp {
            req: *req,
            parts: parts.iter().map(|p| (p.p, FetchResult::Error(e))).collect(),
        }),
        KMsg::OffsetCommit { req, .. } => Some(KMsg::OffsetCommitResp {
            req: *req,
            ok: false,
        }),
        _ => None,
    }
}

pub fn satisfies(msg: &KMsg, predicate: &str) -> bool {
    match (predicate, msg) {
        ("idempotent", KMsg::Produce { batches, .. }) => batches.iter().any(|b| b.pid >= 0),
        ("transactional", KMsg::Produce { batches, .. }) => {
            batches.iter().any(|b| b.txn == BatchTxn::Data)
        }
        ("read_committed", KMsg::ConsumerFetch { read_committed, .. }) => *read_committed,
        ("error_response", KMsg::ProduceResp { results, .. }) => {
            results.iter().any(|(_, r)| r.is_err())
        }
        ("error_response", KMsg::FetchResp { parts, .. }) => parts
            .iter()
            .any(|(_, r)| matches!(r, FetchResult::Error(_))),
        ("error_response", KMsg::OffsetCommitResp { ok, .. }) => !*ok,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_are_the_injectable_errors() {
        let names: Vec<&str> = INJECTABLE.iter().map(|e| e.name()).collect();
        assert_eq!(names, ERRORS);
    }

    #[test]
    fn a_failed_produce_gets_the_code_on_every_batch_and_unknown_codes_fail_nothing() {
        let produce = KMsg::Produce {
            req: 7,
            acks: Acks::All,
            timeout_ms: 30_000,
            batches: vec![crate::kafka::wire::msg::WireBatch {
                id: 11,
                p: 0,
                pid: -1,
                producer_epoch: -1,
                first_seq: -1,
                ts_ms: 0,
                values: crate::kafka::wire::values::Values::from(vec![1u64]),
                bytes: 10,
                leader_epoch: None,
                txn: BatchTxn::None,
            }],
        };
        assert_eq!(
            produce.error_reply("NOT_LEADER_OR_FOLLOWER"),
            Some(KMsg::ProduceResp {
                req: 7,
                results: vec![(11, Err(KErr::NotLeaderOrFollower))]
            })
        );
        assert!(!produce.satisfies("idempotent"));
        let reply = produce.error_reply("NOT_LEADER_OR_FOLLOWER").unwrap();
        assert!(reply.satisfies("error_response"));
        assert!(!produce.satisfies("error_response"));
        assert_eq!(produce.error_reply("NETWORK_EXCEPTION"), None);
        assert_eq!(produce.error_reply("NO_SUCH_ERROR"), None);
        assert_eq!(
            KMsg::MetadataRequest {
                auto_create: vec![]
            }
            .error_reply("REQUEST_TIMED_OUT"),
            None
        );
        let commit = KMsg::OffsetCommit {
            req: 3,
            member: 0,
            generation: 1,
            offsets: vec![(0, 5)],
        };
        assert_eq!(
            commit.error_reply("REQUEST_TIMED_OUT"),
            Some(KMsg::OffsetCommitResp { req: 3, ok: false })
        );
        let zero = KMsg::Produce {
            req: 1,
            acks: Acks::Zero,
            timeout_ms: 30_000,
            batches: vec![],
        };
        assert_eq!(zero.error_reply("REQUEST_TIMED_OUT"), None);
    }

    #[test]
    fn every_failable_label_is_a_label() {
        for l in FAILABLE {
            assert!(LABELS.contains(l), "{l}");
        }
    }
}
