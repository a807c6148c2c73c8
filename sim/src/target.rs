//! Targeted message faults: a schedule entry that picks one message — by sender, receiver, the
//! message's kind label (`Message::kind`) and its n-th occurrence, or a predicate the model
//! registers by name (`Message::satisfies`) — and fails, delays, drops it or resets its
//! connection. The entry is armed at its `at_ms` and counts the messages it matches from then
//! on; the n-th is hit. Matching happens when the message is sent, so it is as deterministic as
//! the sends are.

use crate::id::{MsgId, NodeId};
use crate::message::Message;
use crate::time::SimDuration;
use serde::{Deserialize, Serialize};

/// What a targeted fault does to the message it hits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum TargetAction {
    /// The message reaches the receiver but is not handed to it: the kernel asks the model for
    /// the error reply the receiver would have sent (`Message::error_reply`) and sends that
    /// back on the same connection when the receiver gets to the message. Only messages the
    /// model can answer with `code` match.
    Fail { code: String },
    /// The message arrives `ms` later than the network would bring it. On a connection the
    /// messages sent behind it in the same direction wait for it (TCP order); every other
    /// connection flows, so messages on different connections are reordered.
    Delay { ms: u64 },
    /// The message is lost (on a connection it takes no sequence number: the connection goes
    /// on with the next one).
    Drop,
    /// The message is lost and its connection is reset: both ends learn at the send time that
    /// it closed (`CloseReason::Reset`). A datagram is just dropped.
    Reset,
}

impl TargetAction {
    /// The kernel "sometimes" counter of a fired action (`sometimes:target_fail`, ...).
    pub const NAMES: &'static [&'static str] =
        &["target_fail", "target_delay", "target_drop", "target_reset"];

    pub fn name(&self) -> &'static str {
        match self {
            TargetAction::Fail { .. } => "target_fail",
            TargetAction::Delay { .. } => "target_delay",
            TargetAction::Drop => "target_drop",
            TargetAction::Reset => "target_reset",
        }
    }
}

/// Which message a targeted fault hits (kernel form: node ids).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Sender (`None`: any).
    pub from: Option<NodeId>,
    /// Receiver (`None`: any).
    pub to: Option<NodeId>,
    /// `Message::kind` (`None`: any).
    pub label: Option<String>,
    /// A model predicate's name (`None`: none asked).
    pub predicate: Option<String>,
    /// 1-based: the n-th matching message (counted from the time the entry is armed) is hit.
    pub nth: u32,
    pub action: TargetAction,
}

/// An armed target and how many matching messages it has seen.
#[derive(Debug)]
pub(crate) struct Armed {
    pub target: Target,
    pub seen: u32,
}

/// What the kernel does with a message a target hit.
pub(crate) enum Hit<M> {
    /// The error reply to send back in the request's stead.
    Fail(M),
    Delay(SimDuration),
    Drop,
    Reset,
}

/// The armed targets of a run and the messages marked to fail.
pub(crate) struct Targets<M> {
    pub armed: Vec<Armed>,
    /// Messages on their way whose receiver answers with this reply instead of handling them.
    pub failing: Vec<(MsgId, M)>,
}

impl<M> Default for Targets<M> {
    fn default() -> Self {
        Targets {
            armed: Vec::new(),
            failing: Vec::new(),
        }
    }
}

impl<M: Message> Targets<M> {
    /// Entries are examined in schedule order; each that matches counts the message, and the
    /// first to reach its n-th takes it (entries after it do not see it). A fired entry is
    /// disarmed. Returns the hit and the action's counter name.
    pub fn hit(&mut self, from: NodeId, to: NodeId, msg: &M) -> Option<(Hit<M>, &'static str)> {
        let mut fired = None;
        for (i, a) in self.armed.iter_mut().enumerate() {
            let t = &a.target;
            let matches = t.from.is_none_or(|f| f == from)
                && t.to.is_none_or(|r| r == to)
                && t.label.as_deref().is_none_or(|l| l == msg.kind())
                && t.predicate.as_deref().is_none_or(|p| msg.satisfies(p));
            if !matches {
                continue;
            }
            let reply = match &t.action {
                TargetAction::Fail { code } => match msg.error_reply(code) {
                    Some(r) => Some(r),
                    None => continue,
                },
                _ => None,
            };
            a.seen += 1;
            if a.seen >= t.nth {
                let hit = match &t.action {
                    TargetAction::Fail { .. } => Hit::Fail(reply.expect("fail reply")),
                    TargetAction::Delay { ms } => Hit::Delay(SimDuration::from_millis(*ms)),
                    TargetAction::Drop => Hit::Drop,
                    TargetAction::Reset => Hit::Reset,
                };
                fired = Some((i, hit, t.action.name()));
                break;
            }
        }
        let (i, hit, name) = fired?;
        self.armed.remove(i);
        Some((hit, name))
    }

    /// The reply a receiver sends instead of handling `id`, if `id` was marked to fail.
    pub fn take_failing(&mut self, id: MsgId) -> Option<M> {
        let i = self.failing.iter().position(|(m, _)| *m == id)?;
        Some(self.failing.swap_remove(i).1)
    }
}
