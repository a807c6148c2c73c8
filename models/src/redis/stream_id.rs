//! A stream entry id (`ms-seq`), as scenarios, commands, replies and streams spell it.

use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const ZERO: StreamId = StreamId { ms: 0, seq: 0 };
    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }
    pub fn parse(s: &str) -> Option<StreamId> {
        let (a, b) = s.split_once('-').unwrap_or((s, "0"));
        Some(StreamId {
            ms: a.parse().ok()?,
            seq: b.parse().ok()?,
        })
    }
    pub(super) fn next(self) -> StreamId {
        if self.seq == u64::MAX {
            StreamId::new(self.ms + 1, 0)
        } else {
            StreamId::new(self.ms, self.seq + 1)
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Scenarios spell ids as Redis does: `"ms-seq"`, or `"ms"` for `ms-0`.
impl serde::Serialize for StreamId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for StreamId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StreamId, D::Error> {
        let s = String::deserialize(d)?;
        StreamId::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("`{s}` is not a stream id (`ms-seq` or `ms`)"))
        })
    }
}

/// Where a stream read starts, as XREAD / XREADGROUP spell it: after an id, `$` (after the
/// stream's last id when the command runs; 0-0 for a missing key) or `>` (the entries never
/// delivered to the group). t_stream.c `xreadCommand` refuses `$` in XREADGROUP and `>` in
/// XREAD with an error reply, so both parse and the server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFrom {
    After(StreamId),
    Last,
    New,
}

impl fmt::Display for ReadFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadFrom::After(id) => id.fmt(f),
            ReadFrom::Last => f.write_str("$"),
            ReadFrom::New => f.write_str(">"),
        }
    }
}

impl serde::Serialize for ReadFrom {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for ReadFrom {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ReadFrom, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "$" => Ok(ReadFrom::Last),
            ">" => Ok(ReadFrom::New),
            _ => StreamId::parse(&s).map(ReadFrom::After).ok_or_else(|| {
                serde::de::Error::custom(format!("`{s}` is neither `>` nor an id, nor `$`"))
            }),
        }
    }
}
