//! Echo messages and the client-observed history events.

use msgsim_sim::Message;

/// Echo messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EchoMsg {
    Request { id: u64, bytes: u64 },
    Reply { id: u64, bytes: u64 },
}

impl Message for EchoMsg {
    fn kind(&self) -> &'static str {
        match self {
            EchoMsg::Request { .. } => "Request",
            EchoMsg::Reply { .. } => "Reply",
        }
    }
    fn size_bytes(&self) -> u64 {
        match self {
            EchoMsg::Request { bytes, .. } | EchoMsg::Reply { bytes, .. } => *bytes,
        }
    }
}

/// The client-observed history: Jepsen's invoke / ok / info, plus replies nobody waited for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EchoEvent {
    Invoke {
        id: u64,
    },
    Ok {
        id: u64,
        latency_ns: u64,
    },
    /// Indeterminate: no reply within the timeout.
    Info {
        id: u64,
    },
    /// A reply to a request that had timed out.
    LateReply {
        id: u64,
    },
    /// A second reply to the same request (duplicated datagram).
    DuplicateReply {
        id: u64,
    },
    /// A reply to a request sent before the client last crashed (its outcome died with it).
    OrphanReply {
        id: u64,
    },
    Reconnect,
}
