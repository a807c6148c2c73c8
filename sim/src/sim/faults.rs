//! Applying faults and the quiet phase.

use super::{Sim, TraceRecord};
use crate::actor::CrashKind;
use crate::fault::Fault;
use crate::id::{ConnId, NodeId};
use crate::message::Message;
use crate::node::{ClockSkew, InboxItem, NodeStatus};
use crate::queue::EventKind;
use crate::target::Armed;
use crate::time::SimTime;
use crate::trace::{DropReason, TraceKind};
use std::hash::Hash;

impl<M: Message, H: Hash + 'static> Sim<M, H> {
    pub(crate) fn apply_fault(&mut self, index: usize) {
        if self.quiet {
            // The quiet phase is fault-free: later faults of the schedule are skipped.
            return;
        }
        let fault = self.faults[index].1.clone();
        self.stats.faults_applied += 1;
        *self.coverage.entry(fault.name()).or_insert(0) += 1;
        let rec = TraceRecord::new(
            TraceKind::Fault,
            fault.target().unwrap_or(NodeId(0)),
            fault.name(),
        );
        self.tracer.emit(self.now, rec, None, None, Some(&fault));
        tracing::debug!(target: "msgsim::fault", "{}", fault.describe(&self.names));
        match fault {
            Fault::Crash { node, kind } => self.crash(node, kind),
            Fault::Restart { node } => self.restart(node),
            Fault::Pause { node } => {
                let state = &mut self.nodes[node.index()];
                if state.status == NodeStatus::Up {
                    state.status = NodeStatus::Paused;
                }
            }
            Fault::Resume { node } => self.resume(node),
            Fault::Partition { groups } => {
                for (i, group) in groups.iter().enumerate() {
                    for other in groups.iter().skip(i + 1) {
                        self.block(group, other);
                        self.block(other, group);
                    }
                }
                self.schedule_conn_checks();
            }
            Fault::PartitionOneWay { from, to } => {
                self.block(&from, &to);
                self.schedule_conn_checks();
            }
            Fault::Isolate { node } => {
                let others: Vec<NodeId> = (0..self.nodes.len() as u32)
                    .map(NodeId)
                    .filter(|n| *n != node)
                    .collect();
                self.block(&[node], &others);
                self.block(&others, &[node]);
                self.schedule_conn_checks();
            }
            Fault::Heal => self.heal(),
            Fault::Clog { from, to } => self.for_links(&from, &to, |l| l.clogged = true),
            Fault::Unclog { from, to } => {
                self.for_links(&from, &to, |l| l.clogged = false);
                self.flush_held();
            }
            Fault::SetLink { from, to, link } => self.for_links(&from, &to, |l| l.config = link),
            Fault::ClockSkew {
                node,
                offset_ns,
                drift_ppm,
            } => {
                self.nodes[node.index()].clock = ClockSkew {
                    offset_ns,
                    drift_ppm,
                    drift_since: self.now,
                };
            }
            Fault::ResetLink { a, b } => {
                let between: Vec<ConnId> = (self.conns.iter().enumerate())
                    .filter(|(_, c)| c.open && (c.ends == [a, b] || c.ends == [b, a]))
                    .map(|(i, _)| ConnId(i as u64))
                    .collect();
                for conn in between {
                    self.reset_conn(conn, self.now);
                }
            }
            // Armed at start when at time zero (`Sim::start`).
            Fault::Target(target) if self.now > SimTime::ZERO => {
                self.targets.armed.push(Armed { target, seen: 0 })
            }
            Fault::Target(_) => {}
        }
    }

    fn for_links(
        &mut self,
        from: &[NodeId],
        to: &[NodeId],
        mut f: impl FnMut(&mut crate::network::Link),
    ) {
        let topology = self.topology.as_mut().expect("started");
        for &a in from {
            for &b in to {
                if a != b {
                    f(topology.link_mut(a, b));
                }
            }
        }
        topology.refresh_open();
    }

    fn block(&mut self, from: &[NodeId], to: &[NodeId]) {
        self.for_links(from, to, |l| l.blocked = true);
    }

    /// Connections whose path is now blocked break after the detection delay unless it heals.
    fn schedule_conn_checks(&mut self) {
        let topology = self.topology.as_ref().expect("started");
        let at = self.now + self.config.conn_break_detect;
        for (i, conn) in self.conns.iter_mut().enumerate() {
            if conn.open
                && conn.check_due.is_none()
                && !topology.path_unblocked(conn.ends[0], conn.ends[1])
            {
                conn.check_due = Some(at);
                self.queue.push(at, EventKind::ConnCheck(ConnId(i as u64)));
            }
        }
    }

    fn heal(&mut self) {
        let topology = self.topology.as_mut().expect("started");
        for (a, b) in topology.pairs() {
            let link = topology.link_mut(a, b);
            link.blocked = false;
            link.clogged = false;
        }
        topology.refresh_open();
        // Every cut ended: the checks scheduled for them are stale (a new partition schedules
        // its own, a full detection delay after it).
        for conn in &mut self.conns {
            conn.check_due = None;
        }
        self.flush_held();
    }

    /// Send again everything held on links and connections whose path is open now.
    fn flush_held(&mut self) {
        let topology = self.topology.as_mut().expect("started");
        let mut resend: Vec<(crate::time::SimTime, u32)> = Vec::new();
        for (a, b) in topology.pairs() {
            let link = topology.link_mut(a, b);
            if !link.is_open() || link.held.is_empty() {
                continue;
            }
            let held: Vec<u32> = link.held.drain(..).collect();
            for slot in held {
                let at = self.now + link.config.latency.draw(&mut self.net_rng);
                resend.push((at, slot));
            }
        }
        for conn in self.conns.iter_mut().filter(|c| c.open) {
            for end in 0..2 {
                let (from, to) = (conn.ends[end], conn.ends[1 - end]);
                let link = topology.link_mut(from, to);
                let dir = &mut conn.dirs[end];
                if !link.is_open() || dir.held.is_empty() {
                    continue;
                }
                dir.held.sort_unstable();
                for (_, slot) in dir.held.drain(..) {
                    let at = (self.now + link.config.latency.draw(&mut self.net_rng))
                        .max(dir.last_arrival);
                    dir.last_arrival = at;
                    resend.push((at, slot));
                }
            }
        }
        for (at, slot) in resend {
            self.queue.push(at, EventKind::Deliver(slot));
        }
    }

    fn crash(&mut self, node: NodeId, kind: CrashKind) {
        let state = &mut self.nodes[node.index()];
        if state.status == NodeStatus::Crashed {
            return;
        }
        tracing::debug!(target: "msgsim::node", node = %state.name, ?kind, inbox = state.inbox.len(), "crash");
        state.status = NodeStatus::Crashed;
        state.incarnation += 1;
        state.busy_until = self.now;
        state.wake_scheduled = false;
        let inbox: Vec<InboxItem> = state.inbox.drain(..).collect();
        for item in inbox {
            match item {
                InboxItem::Deliver(slot) => self.drop_slot(slot, DropReason::NodeDown),
                InboxItem::Timer(id) => {
                    self.ids.timers.cancel(id);
                }
                InboxItem::Closed { .. } => {}
            }
        }
        self.nodes[node.index()].machine_down = kind == CrashKind::LoseUnflushed;
        self.actors[node.index()].on_crash(kind);
        for i in 0..self.conns.len() {
            let conn = &self.conns[i];
            let Some(end) = conn.end_of(node) else {
                continue;
            };
            if !conn.open {
                continue;
            }
            let survivor = 1 - end;
            let tell = conn.ends[survivor] != node && (survivor == 0 || conn.accepted);
            self.kill_conn(ConnId(i as u64));
            if tell {
                let at = self.peer_down_noticed(node, self.conns[i].ends[survivor], kind);
                let event = EventKind::PeerDown {
                    conn: ConnId(i as u64),
                    end: survivor as u8,
                };
                self.queue.push(at, event);
            }
        }
    }

    /// When the survivor of a connection learns that `node` went down: a killed process's
    /// operating system sends FIN/RST at once (one link delay, if the path is open); a machine
    /// that lost power sends nothing, and neither gets through a cut path, so the survivor
    /// notices after the detection delay (retransmission timeout / keepalive).
    fn peer_down_noticed(&mut self, node: NodeId, survivor: NodeId, kind: CrashKind) -> SimTime {
        let topology = self.topology.as_mut().expect("started");
        if kind == CrashKind::Process && topology.path_unblocked(node, survivor) {
            let latency = topology.link_mut(node, survivor).config.latency;
            self.now + latency.draw(&mut self.net_rng)
        } else {
            self.now + self.config.conn_break_detect
        }
    }

    fn restart(&mut self, node: NodeId) {
        let state = &mut self.nodes[node.index()];
        if state.status != NodeStatus::Crashed {
            return;
        }
        state.status = NodeStatus::Up;
        state.machine_down = false;
        state.busy_until = self.now;
        tracing::debug!(target: "msgsim::node", node = %state.name, "restart");
        self.queue.push(self.now, EventKind::Start(node));
    }

    fn resume(&mut self, node: NodeId) {
        let state = &mut self.nodes[node.index()];
        if state.status != NodeStatus::Paused {
            return;
        }
        state.status = NodeStatus::Up;
        if !state.inbox.is_empty() {
            self.ensure_wake(node);
        }
    }

    /// Quiet phase: restore links, heal, resume and restart every node, stop faults, tell actors.
    pub(crate) fn enter_quiet(&mut self) {
        self.quiet = true;
        // Faults stop: targets not hit yet are disarmed.
        self.targets.armed.clear();
        self.trace(TraceRecord::new(TraceKind::Quiet, NodeId(0), "quiet"));
        let topology = self.topology.as_mut().expect("started");
        for (a, b) in topology.pairs() {
            let link = topology.link_mut(a, b);
            link.config = link.base_config;
        }
        self.heal();
        for i in 0..self.nodes.len() as u32 {
            let node = NodeId(i);
            self.resume(node);
            if self.nodes[node.index()].status == NodeStatus::Crashed {
                self.nodes[node.index()].status = NodeStatus::Up;
                self.nodes[node.index()].busy_until = self.now;
                self.start_node(node);
            }
        }
        for i in 0..self.nodes.len() as u32 {
            let node = NodeId(i);
            if self.nodes[node.index()].status == NodeStatus::Up {
                self.run_handler(node, None, |actor, ctx| actor.on_quiet(ctx));
            }
        }
    }
}
