//! Echo messages and the client-observed history events.

use msgsim_sim::Message;

/// Echo messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EchoMsg {
    Request {
        id: u64,
        bytes: u64,
    },
    Reply {
        id: u64,
        bytes: u64,
    },
    /// The server refused the request without executing it: only a targeted `Fail` fault
    /// produces one (`Target(..., action: Fail(code: "UNAVAILABLE"))`).
    Error {
        id: u64,
        bytes: u64,
    },
}

/// The echo server's one error code, for targeted `Fail` faults.
pub const UNAVAILABLE: &str = "UNAVAILABLE";

impl Message for EchoMsg {
    fn kind(&self) -> &'static str {
        match self {
            EchoMsg::Request { .. } => "Request",
            EchoMsg::Reply { .. } => "Reply",
            EchoMsg::Error { .. } => "Error",
        }
    }
    fn size_bytes(&self) -> u64 {
        match self {
            EchoMsg::Request { bytes, .. }
            | EchoMsg::Reply { bytes, .. }
            | EchoMsg::Error { bytes, .. } => *bytes,
        }
    }
    /// A request failed by a targeted fault gets an error reply of the request's size (the
    /// echo server would have echoed that many bytes).
    fn error_reply(&self, code: &str) -> Option<Self> {
        match self {
            EchoMsg::Request { id, bytes } if code == UNAVAILABLE => Some(EchoMsg::Error {
                id: *id,
                bytes: *bytes,
            }),
            _ => None,
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
    // Last, so the derived `Hash` of the earlier variants (in every trace hash) is unchanged.
    /// Definite failure (Jepsen `fail`): the server answered with an error, so the request
    /// was not executed.
    Fail {
        id: u64,
    },
}
