//! The KRaft controller as one linearizable state machine (as in both TLA+ specs): broker
//! registration and heartbeats, fencing, leader election (clean, ELR, unclean), AlterPartition
//! fenced by partition epoch, and metadata pushed asynchronously to brokers.

use crate::kafka::config::KafkaConfig;
use crate::kafka::config::admin::AdminOp;
use crate::kafka::wire::msg::{
    KErr, KEvent, KMsg, MetaSnapshot, PartState, Peers, reply, tag, tag_kind, tag_payload,
};
use msgsim_sim::{Actor, ConnEvent, CrashKind, Ctx, NodeId, SimDuration, SimTime, TimerId, Via};
use std::any::Any;
use std::collections::BTreeSet;
use std::rc::Rc;

mod moving;
mod reassignment;

const T_SESSION_CHECK: u64 = 1;
const T_PUSH: u64 = 2;
const T_ADMIN: u64 = 3;

#[derive(Clone, Debug)]
pub struct CPart {
    pub replicas: Vec<u32>,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub partition_epoch: u32,
    pub isr: BTreeSet<u32>,
    pub elr: BTreeSet<u32>,
    /// KIP-966 LastKnownElr: ELR members removed because their last shutdown was unclean.
    /// With ISR and ELR empty, a single last-known member may come back as an unclean leader
    /// (PartitionChangeBuilder.canElectLastKnownLeader).
    pub last_known_elr: BTreeSet<u32>,
    pub recovering: bool,
    /// KIP-455 reassignment in progress (`reassignment.rs`): the replicas it adds and removes
    /// (both empty: none), and the brokers a finished one took out, which delete their logs.
    pub moving: moving::Moving,
}

#[derive(Clone, Debug, Default)]
pub struct BrokerReg {
    /// 0 = never registered.
    pub epoch: u64,
    pub fenced: bool,
    pub last_heartbeat: SimTime,
    /// KIP-966: the broker's last shutdown was unclean.
    pub unclean: bool,
    /// In controlled shutdown: fenced, and not unfenced by heartbeats until it registers again.
    pub shutting_down: bool,
}

pub struct Controller {
    cfg: Rc<KafkaConfig>,
    pub parts: Vec<CPart>,
    pub brokers: Vec<BrokerReg>,
    next_broker_epoch: u64,
    metadata_offset: u64,
    snapshot: Rc<MetaSnapshot>,
    peers: Peers,
    push_pending: bool,
    pub elections: u64,
    pub unclean_elections: u64,
    pub isr_shrinks: u64,
    pub isr_expands: u64,
    pub fences: u64,
    /// Names of the topics CreateTopic created.
    created: BTreeSet<String>,
    /// Reassignment answers and phases over the run (`reassignment.rs`).
    pub reassignments: moving::ReassignCounters,
}

impl Controller {
    pub fn new(cfg: Rc<KafkaConfig>) -> Controller {
        // A CreateTopic's partitions have no replicas (the topic does not exist) until the
        // controller creates it (`create_topic`).
        let fixed = cfg.fixed_partitions();
        let parts = (0..cfg.log_partitions())
            .map(|p| {
                let replicas = if p < fixed {
                    cfg.replicas(p)
                } else {
                    Vec::new()
                };
                CPart {
                    leader: replicas.first().copied(),
                    leader_epoch: 0,
                    partition_epoch: 0,
                    isr: replicas.iter().copied().collect(),
                    elr: BTreeSet::new(),
                    last_known_elr: BTreeSet::new(),
                    recovering: false,
                    moving: moving::Moving::default(),
                    replicas,
                }
            })
            .collect();
        // The cluster starts formed: every broker registered (epoch 1..=N) and unfenced, each
        // partition led by its preferred replica with the full ISR.
        let brokers = (0..cfg.brokers)
            .map(|b| BrokerReg {
                epoch: b as u64 + 1,
                fenced: false,
                last_heartbeat: SimTime::ZERO,
                unclean: false,
                shutting_down: false,
            })
            .collect();
        let mut c = Controller {
            next_broker_epoch: cfg.brokers as u64 + 1,
            created: BTreeSet::new(),
            cfg,
            parts,
            brokers,
            metadata_offset: 0,
            snapshot: Rc::new(MetaSnapshot {
                offset: 0,
                parts: vec![],
                broker_epochs: vec![],
                fenced: vec![],
            }),
            peers: Peers::default(),
            push_pending: false,
            elections: 0,
            unclean_elections: 0,
            isr_shrinks: 0,
            isr_expands: 0,
            fences: 0,
            reassignments: moving::ReassignCounters::default(),
        };
        c.rebuild_snapshot();
        c
    }

    pub fn snapshot(&self) -> Rc<MetaSnapshot> {
        self.snapshot.clone()
    }

    fn rebuild_snapshot(&mut self) {
        self.metadata_offset += 1;
        self.snapshot = Rc::new(MetaSnapshot {
            offset: self.metadata_offset,
            parts: self
                .parts
                .iter()
                .map(|p| PartState {
                    replicas: p.replicas.clone(),
                    leader: p.leader,
                    leader_epoch: p.leader_epoch,
                    partition_epoch: p.partition_epoch,
                    isr: p.isr.iter().copied().collect(),
                    elr: p.elr.iter().copied().collect(),
                    recovering: p.recovering,
                    adding: p.moving.adding.clone(),
                    removing: p.moving.removing.clone(),
                    removed: p.moving.removed.iter().copied().collect(),
                })
                .collect(),
            broker_epochs: self.brokers.iter().map(|b| b.epoch).collect(),
            fenced: self.brokers.iter().map(|b| b.fenced).collect(),
        });
    }

    /// A metadata change: new image, pushed to every broker (after the propagation delay).
    fn changed(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        self.rebuild_snapshot();
        if self.cfg.metadata_propagation_delay_ms > 0 {
            if !self.push_pending {
                self.push_pending = true;
                ctx.set_timer(
                    SimDuration::from_millis(self.cfg.metadata_propagation_delay_ms),
                    tag(T_PUSH, 0),
                );
            }
        } else {
            self.push(ctx);
        }
    }

    fn push(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        for b in 0..self.cfg.brokers {
            if self.brokers[b as usize].epoch > 0 {
                self.peers
                    .send(ctx, NodeId(b), KMsg::Metadata(self.snapshot.clone()));
            }
        }
    }

    fn usable(&self, b: u32) -> bool {
        let r = &self.brokers[b as usize];
        r.epoch > 0 && !r.fenced
    }

    /// PartitionChangeBuilder election (electAnyLeader): keep a valid leader; else the first
    /// replica in replica order that is in the ISR (or, with ELR and an empty ISR, in the ELR)
    /// and unfenced; else, if unclean.leader.election.enable, the first unfenced replica
    /// ("This can result in data loss!"); else no leader.
    fn elect(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize) -> bool {
        let part = &self.parts[p];
        let pool: &BTreeSet<u32> = if part.isr.is_empty() && self.cfg.elr_enabled {
            &part.elr
        } else {
            &part.isr
        };
        if let Some(l) = part.leader
            && pool.contains(&l)
            && self.usable(l)
        {
            return false;
        }
        let clean = part
            .replicas
            .iter()
            .copied()
            .find(|r| pool.contains(r) && self.usable(*r));
        let from_elr = part.isr.is_empty() && clean.is_some();
        let last_known = self.last_known_leader(p);
        let (leader, unclean) = match clean {
            Some(l) => (Some(l), false),
            None if last_known.is_some() => (last_known, true),
            None if self.cfg.unclean_leader_election_enable => (
                part.replicas.iter().copied().find(|r| self.usable(*r)),
                true,
            ),
            None => (None, false),
        };
        let part = &mut self.parts[p];
        if leader == part.leader {
            return false;
        }
        part.leader = leader;
        part.leader_epoch += 1;
        part.partition_epoch += 1;
        if let Some(l) = leader {
            self.elections += 1;
            ctx.sometimes("kafka:leader_election");
            if from_elr {
                // KIP-966: an ELR member becomes leader and the only ISR member.
                part.isr = BTreeSet::from([l]);
                part.elr.remove(&l);
                ctx.sometimes("kafka:elr_election");
            }
            if unclean {
                part.isr = BTreeSet::from([l]);
                part.elr.clear();
                part.last_known_elr.clear();
                part.recovering = true;
                self.unclean_elections += 1;
                ctx.sometimes("kafka:unclean_election");
            }
        } else {
            ctx.sometimes("kafka:partition_offline");
        }
        true
    }

    /// Preferred leader election (KIP-460, `ReplicationControlManager.electLeaders` with
    /// PREFERRED; `PartitionChangeBuilder` with `Election.PREFERRED`): the first replica of the
    /// assignment leads if it is in the ISR and usable; ELECTION_NOT_NEEDED when it already
    /// leads, PREFERRED_LEADER_NOT_AVAILABLE otherwise.
    fn elect_preferred(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, p: usize) {
        let Some(&preferred) = self.parts[p].replicas.first() else {
            // A topic not (yet) created: UNKNOWN_TOPIC_OR_PARTITION.
            ctx.sometimes("kafka:admin_unknown_topic_or_partition");
            return;
        };
        if self.parts[p].leader == Some(preferred) {
            ctx.sometimes("kafka:admin_election_not_needed");
            return;
        }
        if !self.parts[p].isr.contains(&preferred) || !self.usable(preferred) {
            ctx.sometimes("kafka:admin_preferred_leader_not_available");
            return;
        }
        let part = &mut self.parts[p];
        part.leader = Some(preferred);
        part.leader_epoch += 1;
        part.partition_epoch += 1;
        self.elections += 1;
        ctx.sometimes("kafka:admin_preferred_election");
        self.changed(ctx);
    }

    /// CreateTopics at the controller (`ReplicationControlManager.createTopic`, KRaft), in its
    /// order of checks: a name already created → TOPIC_ALREADY_EXISTS; a manual assignment
    /// that is malformed, or names only fenced brokers for some partition →
    /// INVALID_REPLICA_ASSIGNMENT ("are fenced or in controlled shutdown"); placement asking
    /// for more replicas than unfenced brokers → INVALID_REPLICATION_FACTOR ("cannot be reached
    /// because only N broker(s) are registered"). Else every partition gets its replicas, the
    /// unfenced ones as ISR and the first of those as leader (`buildPartitionRegistration`),
    /// and the brokers learn it from the next metadata push. Each answer is a probe.
    fn create_topic(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, index: usize) {
        let layouts = self.cfg.topic_layouts();
        let Some(t) = layouts.iter().find(|t| t.admin_index == index) else {
            return;
        };
        if self.created.contains(&t.name) {
            ctx.sometimes("kafka:create_topic_topic_already_exists");
            return;
        }
        if t.invalid_assignment.is_some() {
            ctx.sometimes("kafka:create_topic_invalid_replica_assignment");
            return;
        }
        let all_fenced = |r: &Vec<u32>| !r.iter().any(|b| self.usable(*b));
        if t.manual && t.replicas.iter().any(all_fenced) {
            ctx.sometimes("kafka:create_topic_invalid_replica_assignment");
            return;
        }
        if !t.manual
            && t.replicas
                .first()
                .is_some_and(|r| r.len() > self.usable_count())
        {
            ctx.sometimes("kafka:create_topic_invalid_replication_factor");
            return;
        }
        self.register_topic(ctx, &t.name, t.first, &t.replicas);
        ctx.sometimes("kafka:create_topic");
    }

    /// CreateTopics from a broker's auto-creation (`broker/auto_create.rs`): topic `topic` of
    /// `topic_layouts` with `num.partitions` partitions and `default.replication.factor`
    /// replicas each (AutoTopicCreationManager.creatableTopic), placed as the model places
    /// them. A topic that exists (created by anyone) → TOPIC_ALREADY_EXISTS; fewer unfenced
    /// brokers than the factor → INVALID_REPLICATION_FACTOR. When the name also has a
    /// CreateTopic, its partition slots are used: the first `num.partitions` of them, each with
    /// the first `default.replication.factor` replicas of its list.
    fn auto_create_topic(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, topic: usize) {
        if !self.cfg.auto_create_topics_enable {
            return;
        }
        let layouts = self.cfg.topic_layouts();
        let Some(t) = layouts.get(topic) else {
            return;
        };
        if self.created.contains(&t.name) {
            ctx.sometimes("kafka:auto_create_topic_already_exists");
            return;
        }
        let rf = self.cfg.default_replication_factor as usize;
        if rf > self.usable_count() || t.replicas.is_empty() {
            ctx.sometimes("kafka:auto_create_topic_invalid_replication_factor");
            return;
        }
        let count = (self.cfg.num_partitions as usize).min(t.replicas.len());
        let replicas: Vec<Vec<u32>> = (t.replicas[..count].iter())
            .map(|r| r[..rf.min(r.len())].to_vec())
            .collect();
        self.register_topic(ctx, &t.name, t.first, &replicas);
        ctx.sometimes("kafka:auto_create_topic");
    }

    fn usable_count(&self) -> usize {
        (0..self.cfg.brokers).filter(|b| self.usable(*b)).count()
    }

    /// A new topic's partitions from index `first`: their replicas, the unfenced ones as ISR
    /// and the first of those as leader (`buildPartitionRegistration`); the brokers learn it
    /// from the next metadata push.
    fn register_topic(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        name: &str,
        first: u32,
        replicas: &[Vec<u32>],
    ) {
        for (i, replicas) in replicas.iter().enumerate() {
            let isr: BTreeSet<u32> = replicas
                .iter()
                .copied()
                .filter(|b| self.usable(*b))
                .collect();
            let part = &mut self.parts[first as usize + i];
            part.leader = replicas.iter().copied().find(|b| isr.contains(b));
            part.isr = isr;
            part.replicas = replicas.clone();
        }
        self.created.insert(name.to_string());
        self.changed(ctx);
    }

    /// KIP-966 balanced recovery (PartitionChangeBuilder.canElectLastKnownLeader, 4.x): with
    /// ELR on and both the ISR and the ELR empty, a partition whose last-known ELR is one
    /// broker elects that broker, unclean, once it is back and unfenced. Without this a lone
    /// replica that restarts after a crash would leave its partition offline for good. We
    /// follow the 4.1 fix (KAFKA-19522): the broker must be usable.
    fn last_known_leader(&self, p: usize) -> Option<u32> {
        let part = &self.parts[p];
        if !self.cfg.elr_enabled || !part.isr.is_empty() || !part.elr.is_empty() {
            return None;
        }
        let mut known = part.last_known_elr.iter().copied();
        match (known.next(), known.next()) {
            (Some(b), None) if self.usable(b) => Some(b),
            _ => None,
        }
    }

    /// Remove `b` from an ISR: without ELR the ISR never becomes empty (the last member stays,
    /// leader = NONE); with ELR a member removed while ISR < min ISR joins the ELR unless its
    /// last shutdown was unclean (PCB L539–570).
    fn remove_from_isr(&mut self, p: usize, b: u32) {
        let min_isr = self.cfg.effective_min_isr();
        let elr = self.cfg.elr_enabled;
        let unclean = self.brokers[b as usize].unclean;
        let part = &mut self.parts[p];
        if !part.isr.contains(&b) {
            return;
        }
        if !elr && part.isr.len() == 1 {
            return;
        }
        part.isr.remove(&b);
        if elr && part.isr.len() < min_isr && !unclean {
            part.elr.insert(b);
        }
        part.partition_epoch += 1;
    }

    fn fence(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, b: u32) {
        if self.brokers[b as usize].fenced {
            return;
        }
        self.brokers[b as usize].fenced = true;
        self.fences += 1;
        ctx.sometimes("kafka:broker_fenced");
        // ReplicationControlManager: fencing removes the broker from every ISR and takes away
        // every leadership.
        for p in 0..self.parts.len() {
            self.remove_from_isr(p, b);
            if self.parts[p].leader == Some(b) || self.parts[p].leader.is_none() {
                self.elect(ctx, p);
            }
        }
        self.changed(ctx);
    }

    fn unfence(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, b: u32) {
        self.brokers[b as usize].fenced = false;
        for p in 0..self.parts.len() {
            if self.parts[p].leader.is_none() {
                self.elect(ctx, p);
            }
        }
        self.changed(ctx);
    }

    fn on_register(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, b: u32, unclean: bool) {
        // A new incarnation fences the old one first (it loses its leaderships and ISR slots).
        if self.brokers[b as usize].epoch > 0 && !self.brokers[b as usize].fenced {
            self.fence(ctx, b);
        }
        let epoch = self.next_broker_epoch;
        self.next_broker_epoch += 1;
        let reg = &mut self.brokers[b as usize];
        reg.epoch = epoch;
        reg.fenced = true;
        reg.last_heartbeat = ctx.now();
        reg.unclean = unclean;
        reg.shutting_down = false;
        if unclean && self.cfg.elr_enabled {
            // KIP-966: a broker back from an unclean shutdown leaves every ELR.
            for part in &mut self.parts {
                if part.elr.remove(&b) {
                    part.last_known_elr.insert(b);
                    part.partition_epoch += 1;
                }
            }
        }
        self.changed(ctx);
        self.peers.send(
            ctx,
            NodeId(b),
            KMsg::RegisterAck {
                broker_epoch: epoch,
            },
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn on_alter_partition(
        &mut self,
        ctx: &mut Ctx<'_, KMsg, KEvent>,
        b: u32,
        broker_epoch: u64,
        p: u32,
        leader_epoch: u32,
        partition_epoch: u32,
        new_isr: Vec<u32>,
    ) -> Result<PartState, KErr> {
        let p = p as usize;
        if p >= self.parts.len() {
            return Err(KErr::InvalidUpdateVersion);
        }
        if self.brokers[b as usize].epoch != broker_epoch {
            return Err(KErr::StaleBrokerEpoch);
        }
        let part = &self.parts[p];
        if part.leader != Some(b) || part.leader_epoch != leader_epoch {
            return Err(KErr::FencedLeaderEpoch);
        }
        if part.partition_epoch != partition_epoch {
            return Err(KErr::InvalidUpdateVersion);
        }
        let new: BTreeSet<u32> = new_isr.iter().copied().collect();
        // Additions must be unfenced registered replicas (INELIGIBLE_REPLICA otherwise).
        if new
            .iter()
            .any(|r| !part.isr.contains(r) && (!self.usable(*r) || !part.replicas.contains(r)))
        {
            return Err(KErr::InvalidUpdateVersion);
        }
        if !new.contains(&b) {
            return Err(KErr::InvalidUpdateVersion);
        }
        let removed: Vec<u32> = part.isr.difference(&new).copied().collect();
        let added = new.difference(&part.isr).count();
        let min_isr = self.cfg.effective_min_isr();
        let elr = self.cfg.elr_enabled;
        let unclean: Vec<bool> = self.brokers.iter().map(|r| r.unclean).collect();
        let part = &mut self.parts[p];
        if !removed.is_empty() {
            self.isr_shrinks += 1;
            ctx.sometimes("kafka:isr_shrink");
        }
        if added > 0 {
            self.isr_expands += 1;
            ctx.sometimes("kafka:isr_expand");
        }
        part.isr = new;
        if elr {
            if part.isr.len() >= min_isr {
                part.elr.clear();
                part.last_known_elr.clear();
            } else {
                for r in removed {
                    if !unclean[r as usize] {
                        part.elr.insert(r);
                    }
                }
                let isr = part.isr.clone();
                part.elr.retain(|r| !isr.contains(r));
            }
        }
        if part.recovering && part.isr.len() > 1 {
            part.recovering = false;
        }
        part.partition_epoch += 1;
        // PartitionChangeBuilder.build → completeReassignmentIfNeeded on every change.
        self.maybe_complete_reassignment(ctx, p);
        self.changed(ctx);
        Ok(self.snapshot.parts[p].clone())
    }
}

impl Actor<KMsg, KEvent> for Controller {
    fn on_start(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>) {
        let now = ctx.now();
        for b in &mut self.brokers {
            b.last_heartbeat = now;
        }
        ctx.set_timer(SimDuration::from_millis(500), tag(T_SESSION_CHECK, 0));
        let now_ms = now.as_millis();
        for (i, a) in self.cfg.admin.iter().enumerate() {
            let mine = matches!(
                a.op,
                AdminOp::ElectPreferredLeader { .. }
                    | AdminOp::CreateTopic { .. }
                    | AdminOp::AlterPartitionReassignments { .. }
            );
            if mine && a.at_ms > now_ms {
                let after = SimDuration::from_millis(a.at_ms - now_ms);
                ctx.set_timer(after, tag(T_ADMIN, i as u64));
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, from: NodeId, via: Via, msg: KMsg) {
        match msg {
            KMsg::Register {
                broker,
                unclean_shutdown,
            } if broker < self.cfg.brokers => self.on_register(ctx, broker, unclean_shutdown),
            KMsg::Heartbeat {
                broker,
                broker_epoch,
                metadata_offset,
            } => {
                let Some(reg) = self.brokers.get_mut(broker as usize) else {
                    return;
                };
                if reg.epoch != broker_epoch {
                    reply(ctx, from, via, KMsg::HeartbeatResp { ok: false });
                    return;
                }
                reg.last_heartbeat = ctx.now();
                if reg.fenced && !reg.shutting_down {
                    self.unfence(ctx, broker);
                }
                reply(ctx, from, via, KMsg::HeartbeatResp { ok: true });
                if metadata_offset < self.metadata_offset {
                    reply(ctx, from, via, KMsg::Metadata(self.snapshot.clone()));
                }
            }
            KMsg::ControlledShutdown {
                broker,
                broker_epoch,
            } => {
                if self
                    .brokers
                    .get(broker as usize)
                    .is_none_or(|r| r.epoch != broker_epoch)
                {
                    return;
                }
                // KRaft controlled shutdown (BrokerHeartbeatManager, ReplicationControlManager):
                // the broker leaves every ISR and its leaderships move to other ISR members at
                // once, instead of after broker.session.timeout.ms; then it may stop.
                ctx.sometimes("kafka:controlled_shutdown_handled");
                self.brokers[broker as usize].shutting_down = true;
                self.fence(ctx, broker);
                reply(ctx, from, via, KMsg::ControlledShutdownResp);
            }
            KMsg::AlterPartition {
                broker,
                broker_epoch,
                p,
                leader_epoch,
                partition_epoch,
                new_isr,
            } => {
                if broker >= self.cfg.brokers {
                    return;
                }
                let result = self.on_alter_partition(
                    ctx,
                    broker,
                    broker_epoch,
                    p,
                    leader_epoch,
                    partition_epoch,
                    new_isr,
                );
                // Rejections (STALE_BROKER_EPOCH, FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION /
                // ineligible replica): the leader acted on an out-of-date view (KIP-497,
                // KIP-903; ReplicationControlManager.alterPartition).
                if result.is_err() {
                    ctx.sometimes("kafka:alter_partition_rejected");
                }
                let result = result.map(Box::new);
                reply(ctx, from, via, KMsg::AlterPartitionResp { p, result });
            }
            KMsg::CreateTopics { topic } => self.auto_create_topic(ctx, topic as usize),
            _ => {}
        }
    }

    fn timer_name(&self, t: u64) -> &'static str {
        match tag_kind(t) {
            T_SESSION_CHECK => "broker.session.timeout check",
            T_PUSH => "metadata push",
            T_ADMIN => "admin operation",
            _ => "timer",
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, KMsg, KEvent>, _timer: TimerId, t: u64) {
        match tag_kind(t) {
            T_SESSION_CHECK => {
                // broker.session.timeout.ms without a heartbeat: fence.
                let session = SimDuration::from_millis(self.cfg.broker_session_timeout_ms);
                let now = ctx.now();
                for b in 0..self.cfg.brokers {
                    let r = &self.brokers[b as usize];
                    if r.epoch > 0 && !r.fenced && now.saturating_since(r.last_heartbeat) > session
                    {
                        self.fence(ctx, b);
                    }
                }
                ctx.set_timer(SimDuration::from_millis(500), tag(T_SESSION_CHECK, 0));
            }
            T_PUSH => {
                self.push_pending = false;
                self.push(ctx);
            }
            T_ADMIN => {
                let op = self
                    .cfg
                    .admin
                    .get(tag_payload(t) as usize)
                    .map(|a| a.op.clone());
                match op {
                    Some(AdminOp::ElectPreferredLeader { partition }) => {
                        self.elect_preferred(ctx, partition as usize);
                    }
                    Some(AdminOp::CreateTopic { .. }) => {
                        let index = tag_payload(t) as usize;
                        self.create_topic(ctx, index);
                    }
                    Some(AdminOp::AlterPartitionReassignments {
                        topic,
                        partition,
                        target,
                    }) => self.alter_reassignment(ctx, topic.as_deref(), partition, target),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn on_connection(&mut self, _ctx: &mut Ctx<'_, KMsg, KEvent>, event: ConnEvent) {
        if let ConnEvent::Closed { conn, .. } = event {
            self.peers.closed(conn);
        }
    }

    fn on_crash(&mut self, _kind: CrashKind) {
        // The controller's state is the replicated metadata log: durable. Only connections go.
        self.peers.clear();
        self.push_pending = false;
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
