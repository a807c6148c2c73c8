//! What the kernel needs to know about a model's messages.

use std::fmt::Debug;

/// A typed message exchanged between actors. Each model defines one enum implementing this.
///
/// The kernel never looks inside a message: it needs its kind (for the trace and exporters) and its
/// size on the wire (bandwidth delay, processing costs, buffer limits).
pub trait Message: Clone + Debug + 'static {
    /// Short, static name of the message kind, e.g. `"Produce"` or `"FetchResponse"`.
    fn kind(&self) -> &'static str;
    /// Size on the wire in bytes, headers included.
    fn size_bytes(&self) -> u64;
    /// The error reply the receiver of this request would send if it failed it with `code`
    /// (the model's error name), for a targeted `Fail` fault (`target.rs`). `None`: this
    /// message cannot be failed with that code (it is not a request, or the code is unknown).
    fn error_reply(&self, _code: &str) -> Option<Self> {
        None
    }
    /// Whether this message satisfies the model's predicate named `predicate` (a targeted
    /// fault's `predicate`). Default: no predicate holds.
    fn satisfies(&self, _predicate: &str) -> bool {
        false
    }
}

/// How a message reached its receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    /// A datagram: may be lost, duplicated or reordered by the link's settings.
    Datagram,
    /// A connection: ordered and reliable while the connection is up.
    Conn(crate::ConnId),
}
