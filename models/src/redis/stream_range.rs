//! XRANGE / XREVRANGE bounds and ranges, XDEL: the parts of t_stream.c that read or delete
//! entries by id interval (`xrangeGenericCommand`, `streamParseIntervalIDOrReply`,
//! `xdelCommand`).

use super::reply::Reply;
use super::stream::Stream;
use super::stream_id::StreamId;

const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// One interval bound as XRANGE spells it: `-` / `+` (the least / greatest id), `ms-seq`, `ms`
/// (the sequence is `missing_seq`: 0 for a start, the largest for an end), or `(id` for an
/// open bound, which moves to the next id (a start) or the previous one (an end); an open
/// `-` / `+` is invalid (t_stream.c `streamParseIntervalIDOrReply` parses it strictly), and an
/// open bound past the last / before the first possible id is refused
/// (`streamIncrID` / `streamDecrID` fail: "invalid start/end ID for the interval").
pub fn parse_bound(arg: &str, is_start: bool) -> Result<StreamId, Reply> {
    let missing_seq = if is_start { 0 } else { u64::MAX };
    let open = arg.len() > 1 && arg.starts_with('(');
    let body = if open { &arg[1..] } else { arg };
    let id = match body {
        "-" if !open => StreamId::ZERO,
        "+" if !open => StreamId::new(u64::MAX, u64::MAX),
        _ => {
            let (ms, seq) = body
                .split_once('-')
                .map_or((body, None), |(a, b)| (a, Some(b)));
            let num = |s: &str| -> Option<u64> {
                // string2ull: decimal digits only.
                (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| s.parse().ok())
                    .flatten()
            };
            let ms = num(ms).ok_or_else(|| Reply::err(INVALID_ID))?;
            let seq = match seq {
                None => missing_seq,
                Some(s) => num(s).ok_or_else(|| Reply::err(INVALID_ID))?,
            };
            StreamId::new(ms, seq)
        }
    };
    if !open {
        return Ok(id);
    }
    let max = StreamId::new(u64::MAX, u64::MAX);
    match (is_start, id) {
        (true, id) if id == max => Err(Reply::err("ERR invalid start ID for the interval")),
        (true, id) => Ok(id.next()),
        (false, StreamId::ZERO) => Err(Reply::err("ERR invalid end ID for the interval")),
        (false, id) if id.seq == 0 => Ok(StreamId::new(id.ms - 1, u64::MAX)),
        (false, id) => Ok(StreamId::new(id.ms, id.seq - 1)),
    }
}

impl Stream {
    /// The entries from `start` to `end` inclusive, ascending (XRANGE) or descending from `end`
    /// (XREVRANGE), at most `count` (0: all) — `streamReplyWithRange`. An empty interval
    /// (start above end) is an empty array.
    pub fn range(&self, start: StreamId, end: StreamId, count: u64, rev: bool) -> Reply {
        if start > end {
            return Reply::Array(Vec::new());
        }
        let take = if count == 0 {
            usize::MAX
        } else {
            count as usize
        };
        let entry = |(id, e): (&StreamId, &super::stream::StreamEntry)| Reply::Entry {
            id: *id,
            tag: Some(e.tag),
            count: 0,
        };
        let it = self.entries.range(start..=end);
        Reply::Array(if rev {
            it.rev().take(take).map(entry).collect()
        } else {
            it.take(take).map(entry).collect()
        })
    }

    /// XDEL: removes the entries that exist; the number removed (`streamDeleteItem`). Pending
    /// entries stay in the PELs (Redis leaves them; a read of them answers `[id, nil]`).
    pub fn delete(&mut self, ids: &[StreamId]) -> u64 {
        let mut n = 0;
        for id in ids {
            if let Some(e) = self.entries.remove(id) {
                self.size -= (e.bytes + 32).min(self.size);
                // xdelCommand: the stream's greatest tombstone.
                self.max_deleted = self.max_deleted.max(*id);
                self.node_delete(*id);
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_follow_redis_spelling() {
        assert_eq!(parse_bound("-", true), Ok(StreamId::ZERO));
        assert_eq!(parse_bound("5", true), Ok(StreamId::new(5, 0)));
        assert_eq!(parse_bound("5", false), Ok(StreamId::new(5, u64::MAX)));
        assert_eq!(parse_bound("(5-1", true), Ok(StreamId::new(5, 2)));
        assert_eq!(parse_bound("(5-0", false), Ok(StreamId::new(4, u64::MAX)));
        assert!(parse_bound("(-", true).is_err());
        assert!(parse_bound("(0-0", false).is_err());
        assert!(parse_bound("1-x", true).is_err());
    }
}
