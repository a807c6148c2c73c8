//! Wire messages between Kafka actors, error codes, the metadata snapshot, and the
//! client-observed history events.

use super::records::{AbortedTxn, Batch, BatchTxn};
use crate::kafka::config::Acks;
use crate::kafka::wire::values::Values;
use msgsim_sim::{ConnId, Ctx, NodeId, Via};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// Kafka error codes the model produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KErr {
    NotLeaderOrFollower,
    FencedLeaderEpoch,
    UnknownLeaderEpoch,
    /// Pre-append min-ISR check failed: definitely not written.
    NotEnoughReplicas,
    /// Appended, then the ISR shrank below min ISR (pre-3.7): indeterminate.
    NotEnoughReplicasAfterAppend,
    RequestTimedOut,
    MessageTooLarge,
    OutOfOrderSequence,
    InvalidProducerEpoch,
    OffsetOutOfRange,
    /// AlterPartition with a stale partition/leader epoch.
    InvalidUpdateVersion,
    StaleBrokerEpoch,
    /// Client-side: the connection or the request timed out (attempt outcome unknown).
    Network,
    /// Client-side RecordTooLargeException (max.request.size): never sent.
    RecordTooLarge,
    /// delivery.timeout.ms expired.
    DeliveryTimeout,
    /// A newer producer with the same transactional.id bumped the epoch (fatal).
    ProducerFenced,
    /// The transactional.id's previous transaction is still completing: retry (retriable).
    ConcurrentTransactions,
    /// TxnOffsetCommit from a stale generation or unknown member (KIP-447): abort the txn.
    IllegalGeneration,
    /// The transaction was aborted before this batch was sent: never written.
    TransactionAborted,
    /// INVALID_RECORD: e.g. a keyless record on a compacted topic (not retriable).
    InvalidRecord,
    /// INVALID_TXN_STATE: a transactional call its state does not allow (client-side
    /// IllegalStateException; broker-side, KIP-890 verification).
    InvalidTxnState,
    /// A blocking call gave up after max.block.ms (TimeoutException).
    Timeout,
    /// TRANSACTION_ABORTABLE (KIP-890, produce v11+): the partition was not in the producer's
    /// ongoing transaction when its leader verified it; the transaction must abort.
    TransactionAbortable,
    /// INVALID_PRODUCER_ID_MAPPING: the transaction coordinator knows no transaction for the
    /// producer id a verification names.
    InvalidProducerIdMapping,
}

impl KErr {
    /// The error's name as Kafka's `Errors` enum spells it (client-side exceptions by their
    /// nearest name), for script step outcomes.
    pub fn name(self) -> &'static str {
        match self {
            KErr::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            KErr::FencedLeaderEpoch => "FENCED_LEADER_EPOCH",
            KErr::UnknownLeaderEpoch => "UNKNOWN_LEADER_EPOCH",
            KErr::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            KErr::NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            KErr::RequestTimedOut => "REQUEST_TIMED_OUT",
            KErr::MessageTooLarge => "MESSAGE_TOO_LARGE",
            KErr::OutOfOrderSequence => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            KErr::InvalidProducerEpoch => "INVALID_PRODUCER_EPOCH",
            KErr::OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
            KErr::InvalidUpdateVersion => "INVALID_UPDATE_VERSION",
            KErr::StaleBrokerEpoch => "STALE_BROKER_EPOCH",
            KErr::Network => "NETWORK_EXCEPTION",
            KErr::RecordTooLarge => "RECORD_TOO_LARGE",
            KErr::DeliveryTimeout => "DELIVERY_TIMEOUT",
            KErr::ProducerFenced => "PRODUCER_FENCED",
            KErr::ConcurrentTransactions => "CONCURRENT_TRANSACTIONS",
            KErr::IllegalGeneration => "ILLEGAL_GENERATION",
            KErr::TransactionAborted => "TRANSACTION_ABORTED",
            KErr::InvalidRecord => "INVALID_RECORD",
            KErr::InvalidTxnState => "INVALID_TXN_STATE",
            KErr::Timeout => "TIMEOUT",
            KErr::TransactionAbortable => "TRANSACTION_ABORTABLE",
            KErr::InvalidProducerIdMapping => "INVALID_PRODUCER_ID_MAPPING",
        }
    }
    /// Sender.java canRetry: retriable errors.
    pub fn retriable(self) -> bool {
        !matches!(
            self,
            KErr::MessageTooLarge
                | KErr::RecordTooLarge
                | KErr::DeliveryTimeout
                | KErr::InvalidUpdateVersion
                | KErr::ProducerFenced
                | KErr::IllegalGeneration
                | KErr::TransactionAborted
                | KErr::InvalidRecord
                | KErr::InvalidTxnState
                | KErr::Timeout
                | KErr::TransactionAbortable
                | KErr::InvalidProducerIdMapping
        )
    }
    /// The attempt may have been written (Jepsen `info`). NOT_LEADER_OR_FOLLOWER is one of
    /// them: a leader that loses leadership while an acks=all produce waits in purgatory
    /// answers it for records it has already appended (Partition.checkEnoughReplicasReachOffset:
    /// `leaderLogIfLocal` is `None` → `NOT_LEADER_OR_FOLLOWER`, DelayedProduce.tryComplete), and
    /// the client cannot tell that answer from a rejection before the append.
    pub fn maybe_written(self) -> bool {
        matches!(
            self,
            KErr::NotEnoughReplicasAfterAppend
                | KErr::RequestTimedOut
                | KErr::Network
                | KErr::NotLeaderOrFollower
        )
    }
}

/// Controller view of one partition, as pushed to brokers and served to clients.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PartState {
    pub replicas: Vec<u32>,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub partition_epoch: u32,
    pub isr: Vec<u32>,
    pub elr: Vec<u32>,
    /// KIP-704 leader recovery state after an unclean election.
    pub recovering: bool,
    /// KIP-455: the replicas a reassignment in progress adds and removes (PartitionRecord
    /// addingReplicas / removingReplicas), and the brokers a finished or cancelled one took
    /// out of `replicas` (they stop their replica and delete its log).
    pub adding: Vec<u32>,
    pub removing: Vec<u32>,
    pub removed: Vec<u32>,
}

/// A metadata image at some offset of the metadata log.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MetaSnapshot {
    pub offset: u64,
    pub parts: Vec<PartState>,
    /// Registered broker epoch per broker (0 = never registered).
    pub broker_epochs: Vec<u64>,
    pub fenced: Vec<bool>,
}

impl MetaSnapshot {
    /// Whether the image lists partition `p` as existing (its topic has replicas). A client's
    /// send waits for this (KafkaProducer.waitOnMetadata).
    pub fn has_partition(&self, p: u32) -> bool {
        (self.parts.get(p as usize)).is_some_and(|s| !s.replicas.is_empty())
    }
}

/// One producer batch on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WireBatch {
    pub id: u64,
    pub p: u32,
    pub pid: i64,
    pub producer_epoch: i16,
    pub first_seq: i32,
    pub ts_ms: i64,
    pub values: Values,
    pub bytes: u64,
    /// Leader epoch the producer believes current (KIP-359).
    pub leader_epoch: Option<u32>,
    /// Transactional data, or a COMMIT/ABORT marker written by the transaction coordinator.
    pub txn: BatchTxn,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FetchPart {
    pub p: u32,
    /// None with no_fetch_epoch_fencing (pre-KIP-320).
    pub current_leader_epoch: Option<u32>,
    pub fetch_offset: u64,
    pub last_fetched_epoch: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FetchResult {
    Records {
        batches: Vec<Rc<Batch>>,
        /// The end a consumer may read to: the HW, or the LSO for read_committed.
        hw: u64,
        /// FetchResponse `log_start_offset`: the partition's log start offset for a consumer;
        /// to a follower the leader's local log start (`tiered.rs`: no separate
        /// OFFSET_MOVED_TO_TIERED_STORAGE path). The same number without tiered storage.
        log_start: u64,
        leo: u64,
        /// read_committed only: aborted transactions overlapping the returned range.
        aborted: Vec<AbortedTxn>,
    },
    Diverging {
        epoch: u32,
        end_offset: u64,
    },
    OutOfRange {
        log_start: u64,
        hw: u64,
        leo: u64,
    },
    Error(KErr),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KMsg {
    // broker <-> controller
    Register {
        broker: u32,
        unclean_shutdown: bool,
    },
    /// KRaft: a heartbeat with wantShutDown (BrokerHeartbeatRequest), as its own message.
    ControlledShutdown {
        broker: u32,
        broker_epoch: u64,
    },
    /// shouldShutDown: no leadership is left on the broker.
    ControlledShutdownResp,
    RegisterAck {
        broker_epoch: u64,
    },
    Heartbeat {
        broker: u32,
        broker_epoch: u64,
        metadata_offset: u64,
    },
    HeartbeatResp {
        ok: bool,
    },
    Metadata(Rc<MetaSnapshot>),
    AlterPartition {
        broker: u32,
        broker_epoch: u64,
        p: u32,
        leader_epoch: u32,
        partition_epoch: u32,
        new_isr: Vec<u32>,
    },
    AlterPartitionResp {
        p: u32,
        /// Boxed: the partition state is the largest payload of any message, and every
        /// message of the run is as large as the largest variant (the kernel moves each
        /// one several times between send and delivery).
        result: Result<Box<PartState>, KErr>,
    },
    /// broker -> controller: create an auto-created topic (AutoTopicCreationManager sends
    /// CreateTopics); `topic` is its index in `KafkaConfig::topic_layouts`.
    CreateTopics {
        topic: u32,
    },
    // clients <-> brokers
    /// `auto_create`: the topics (indices in `KafkaConfig::topic_layouts`) the client asks the
    /// broker to create if they do not exist (MetadataRequest.allowAutoTopicCreation).
    MetadataRequest {
        auto_create: Vec<u32>,
    },
    Produce {
        req: u64,
        acks: Acks,
        timeout_ms: u64,
        batches: Vec<WireBatch>,
    },
    ProduceResp {
        req: u64,
        results: Vec<(u64, Result<Option<u64>, KErr>)>,
    },
    ConsumerFetch {
        req: u64,
        max_wait_ms: u64,
        parts: Vec<FetchPart>,
        /// isolation.level=read_committed: read up to the LSO, aborted records filtered.
        read_committed: bool,
    },
    FetchResp {
        req: u64,
        parts: Vec<(u32, FetchResult)>,
    },
    // broker <-> broker
    ReplicaFetch {
        req: u64,
        broker: u32,
        broker_epoch: u64,
        parts: Vec<FetchPart>,
    },
    // consumers <-> group coordinator
    /// `topics`: the member's subscription as (first partition index, partition count its
    /// metadata has) per topic; empty: the workload topic (`KafkaConfig::consumed_partitions`).
    JoinGroup {
        member: u32,
        topics: Vec<(u32, u32)>,
    },
    JoinResp {
        generation: u64,
        assignment: Vec<u32>,
    },
    GroupHeartbeat {
        member: u32,
        generation: u64,
    },
    GroupHeartbeatResp {
        generation: u64,
        status: GroupStatus,
    },
    LeaveGroup {
        member: u32,
    },
    OffsetCommit {
        req: u64,
        member: u32,
        generation: u64,
        offsets: Vec<(u32, u64)>,
    },
    OffsetCommitResp {
        req: u64,
        ok: bool,
    },
    OffsetFetch {
        generation: u64,
        parts: Vec<u32>,
    },
    OffsetFetchResp {
        generation: u64,
        offsets: Vec<(u32, Option<u64>)>,
    },
    // transactional clients <-> transaction coordinator (see txn_coordinator.rs)
    InitProducerId {
        tid: u32,
        timeout_ms: u64,
        /// KIP-360: the producer id and epoch a running producer asks to bump (None at start).
        current: Option<(i64, i16)>,
    },
    InitProducerIdResp {
        result: Result<(i64, i16), KErr>,
    },
    AddPartitionsToTxn {
        tid: u32,
        pid: i64,
        epoch: i16,
        parts: Vec<u32>,
    },
    AddPartitionsToTxnResp {
        parts: Vec<u32>,
        result: Result<(), KErr>,
    },
    /// KIP-890 part 1: a partition leader's verify-only AddPartitionsToTxn (v4+,
    /// `verifyOnly = true`, AddPartitionsToTxnManager) for the partitions of one produce
    /// request; with transactions v2 (`kip890_transactions`, part 2) the same request adds the
    /// partitions (`verify_only: false`: AddPartitionsToTxnManager.addOrVerifyTransaction sets
    /// `verifyOnly(!transactionSupportedOperation.supportsEpochBump)`). The model's coordinator
    /// finds the transaction by producer id (the real request names the transactional id the
    /// produce request carries; here a producer id maps to one).
    VerifyTxnPartitions {
        req: u64,
        pid: i64,
        epoch: i16,
        parts: Vec<u32>,
        verify_only: bool,
    },
    /// Per partition: NONE, or the coordinator's error (TransactionCoordinator
    /// .handleVerifyPartitionsInTransaction).
    VerifyTxnPartitionsResp {
        req: u64,
        results: Vec<(u32, Result<(), KErr>)>,
    },
    /// AddOffsetsToTxn + TxnOffsetCommit in one (coordinators share a node here).
    TxnOffsetCommit {
        tid: u32,
        pid: i64,
        epoch: i16,
        member: u32,
        generation: u64,
        offsets: Vec<(u32, u64)>,
    },
    TxnOffsetCommitResp {
        result: Result<(), KErr>,
    },
    EndTxn {
        tid: u32,
        pid: i64,
        epoch: i16,
        commit: bool,
    },
    EndTxnResp {
        commit: bool,
        /// The producer epoch after the transaction (KIP-890: bumped; before it, unchanged).
        result: Result<i16, KErr>,
    },
}

/// OffsetCommit generation of a consumer without group membership (manual assign):
/// OffsetCommitRequest generationId -1.
pub const NO_GENERATION: u64 = u64::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupStatus {
    Ok,
    RebalanceInProgress,
    UnknownMember,
}

/// The client-observed history (Jepsen's invoke / ok / fail / info, polls and processing).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KEvent {
    /// Invoke: a producer hands these values (one batch) to partition `p`.
    Send {
        producer: u32,
        p: u32,
        values: Values,
    },
    /// Acknowledged; `offset` is the base offset (None for acks=0 or DUPLICATE_SEQUENCE).
    SendOk {
        p: u32,
        values: Values,
        offset: Option<u64>,
    },
    /// Definitely not written.
    SendFail { values: Values, error: KErr },
    /// Indeterminate.
    SendInfo { values: Values, error: KErr },
    /// A consumer starts a new assignment session (generation) for its partitions.
    Assigned { consumer: u32, generation: u64 },
    /// The application seeks every assigned partition back to its committed offset (after an
    /// aborted transaction): a new read session, so offsets may repeat.
    Seek { consumer: u32 },
    /// poll() returned records `first..first+len` of `p`.
    Poll {
        consumer: u32,
        p: u32,
        first: u64,
        values: Values,
    },
    /// The application finished processing these records.
    Processed {
        consumer: u32,
        p: u32,
        first: u64,
        values: Values,
    },
    /// The consumer got OFFSET_OUT_OF_RANGE / had no offset and applied auto.offset.reset.
    OffsetReset {
        consumer: u32,
        p: u32,
        from: u64,
        to: Option<u64>,
    },
    /// A sink task / application pipeline event (sink_checker.rs).
    Sink(super::sink_event::SinkEvent),
    /// A script step's outcome (`ok` = matched its expectation, if it had one).
    Step {
        client: u32,
        step: u32,
        cmd: &'static str,
        outcome: String,
        expected: Option<String>,
        ok: bool,
    },
    /// A transactional client (producer `producer`, consumer `consumer`: a scripted client,
    /// or a workload transactional producer with `NO_CONSUMER`) began a transaction or learnt
    /// its outcome (the transaction-history checker's boundaries). Last,
    /// so that adding it kept the other variants' discriminants, which the trace hash absorbs.
    Txn {
        producer: u32,
        consumer: u32,
        mark: TxnMark,
    },
}

/// `KEvent::Txn`'s consumer for a producer that reads nothing in its transactions.
pub const NO_CONSUMER: u32 = u32::MAX;

/// A transaction boundary as the application saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxnMark {
    /// beginTransaction.
    Begin,
    /// commitTransaction returned: committed.
    Committed,
    /// abortTransaction returned, or commitTransaction failed and the transaction aborted.
    Aborted,
}

/// Outgoing connections of one actor, opened lazily and forgotten when they close.
#[derive(Debug, Default)]
pub struct Peers {
    conns: BTreeMap<NodeId, ConnId>,
    /// Peers that answered on the current connection: it is established (set up).
    heard: BTreeSet<NodeId>,
}

impl Peers {
    pub fn send<H>(&mut self, ctx: &mut Ctx<'_, KMsg, H>, to: NodeId, msg: KMsg) {
        let conn = match self.conns.get(&to) {
            Some(c) => *c,
            None => {
                let c = ctx.connect(to);
                self.conns.insert(to, c);
                c
            }
        };
        ctx.send_conn(conn, msg);
    }
    /// Whether the connection to `to` is established: open and answered at least once. A
    /// connection whose first bytes went to a crashed node is never answered; the client
    /// only learns it failed after socket.connection.setup.timeout.ms (NetworkClient), so
    /// requests on it get that deadline, not request.timeout.ms.
    pub fn connected(&self, to: NodeId) -> bool {
        self.conns.contains_key(&to) && self.heard.contains(&to)
    }
    /// A message arrived from `from` (on its connection to us or ours to it).
    pub fn heard_from(&mut self, from: NodeId) {
        if self.conns.contains_key(&from) {
            self.heard.insert(from);
        }
    }
    /// Forget a closed connection; returns the peer if it was one of ours.
    pub fn closed(&mut self, conn: ConnId) -> Option<NodeId> {
        let peer = self
            .conns
            .iter()
            .find(|(_, c)| **c == conn)
            .map(|(n, _)| *n)?;
        self.conns.remove(&peer);
        self.heard.remove(&peer);
        Some(peer)
    }
    /// Close our connection to `to` (a client giving up on it, e.g. after a request timeout).
    pub fn close<H>(&mut self, ctx: &mut Ctx<'_, KMsg, H>, to: NodeId) {
        if let Some(conn) = self.conns.remove(&to) {
            ctx.close(conn);
        }
        self.heard.remove(&to);
    }
    pub fn clear(&mut self) {
        self.conns.clear();
        self.heard.clear();
    }
}

/// Answer on the connection a request came in on.
pub fn reply<H>(ctx: &mut Ctx<'_, KMsg, H>, from: NodeId, via: Via, msg: KMsg) {
    match via {
        Via::Conn(c) => ctx.send_conn(c, msg),
        Via::Datagram => ctx.send(from, msg),
    }
}

/// Timer tags: kind in the top byte, payload below.
pub const fn tag(kind: u64, payload: u64) -> u64 {
    (kind << 56) | (payload & ((1 << 56) - 1))
}
pub const fn tag_kind(t: u64) -> u64 {
    t >> 56
}
pub const fn tag_payload(t: u64) -> u64 {
    t & ((1 << 56) - 1)
}
