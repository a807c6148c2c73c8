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
}

/// How a message reached its receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    /// A datagram: may be lost, duplicated or reordered by the link's settings.
    Datagram,
    /// A connection: ordered and reliable while the connection is up.
    Conn(crate::ConnId),
}
