//! A command's reply value (RESP-like), and what `INFO` tells Sentinel.

use super::stream_id::StreamId;
use msgsim_sim::NodeId;

/// The field name of every stream entry: `XADD key <id> p <value>` (one byte, as
/// `Cmd::resp_bytes` counts it).
pub const ENTRY_FIELD: &str = "p";

/// A reply value. `render()` gives the redis-cli-like text scripts compare against.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Ok,
    /// A status reply other than OK (`+PONG`; networking.c `addReplyStatus`).
    Status(String),
    Int(i64),
    Bulk(String),
    /// The nil bulk string (`$-1`, `addReplyNull`): GET of a missing key.
    Nil,
    /// The nil array (`*-1`, `addReplyNullArray`): XREAD / XREADGROUP with nothing to serve,
    /// a deleted entry's fields in a PEL read.
    NilArray,
    Err(String),
    Array(Vec<Reply>),
    /// A stream entry `[id, [field, value]]` (t_stream.c `streamReplyWithRange`: the id, then
    /// the field-value pairs), or `[id, nil]` when deleted; `count` is the delivery counter
    /// after this delivery (not on the wire; XPENDING shows it). The entry's one field is
    /// `ENTRY_FIELD`; its value renders `_` (the model carries an identity and a size, not the
    /// bytes), as XPENDING's idle time does.
    Entry {
        id: StreamId,
        tag: Option<u64>,
        count: u64,
    },
    Id(StreamId),
    /// A bulk string holding a SET payload: the decimal `value` padded with `x` to `bytes`
    /// bytes (`Cmd::Set`); the text is built only when rendered.
    Payload {
        value: u64,
        bytes: u64,
    },
    /// Replies to a pipelined PUBLISH batch: run-length `(n, receivers)`.
    Publish(Vec<(u32, i64)>),
    Info(Box<InfoReply>),
    /// A map (networking.c `addReplyMapLen`): RESP3 `%n` with n key-value pairs, RESP2 a flat
    /// array of 2n items (HELLO, XINFO STREAM / GROUPS / CONSUMERS).
    Map(Vec<(Reply, Reply)>),
    /// XREAD / XREADGROUP's streams served (t_stream.c `xreadCommand`): RESP3 a map key →
    /// entries, RESP2 an array of `[key, entries]` pairs.
    Streams(Vec<(Reply, Reply)>),
    /// An out-of-band frame (`addReplyPushLen`): RESP3 `>n`, RESP2 an array — a
    /// (un)subscribe confirmation.
    Push(Vec<Reply>),
    /// A verbatim string (`addReplyVerbatim`, format `txt`): RESP3 `=len\r\ntxt:…`, RESP2 a
    /// bulk string — INFO's text.
    Verbatim(String),
}

impl Reply {
    pub fn err(s: &str) -> Reply {
        Reply::Err(s.to_string())
    }
    pub fn is_err(&self) -> bool {
        matches!(self, Reply::Err(_))
    }
    /// The items of an array or a push frame.
    pub fn items(&self) -> Option<&[Reply]> {
        match self {
            Reply::Array(v) | Reply::Push(v) => Some(v),
            _ => None,
        }
    }
    /// `render`, except that a SET payload longer than `cap` bytes keeps its first `cap` bytes
    /// and notes its length (`7xxx… (100000 bytes)`): a scripted GET of a large value is
    /// compared and recorded without copying all of it. Every prefix of up to `cap` bytes
    /// compares as on the whole text, and no cut text equals an expectation shorter than it.
    pub fn render_capped(&self, cap: u64, resp3: bool) -> String {
        match self {
            Reply::Payload { value, bytes } if *bytes > cap => {
                let head = Reply::Payload {
                    value: *value,
                    bytes: cap,
                };
                let mut text = head.render();
                text.truncate(cap as usize);
                format!("{text}… ({bytes} bytes)")
            }
            _ => self.render_in(resp3),
        }
    }

    pub fn render(&self) -> String {
        self.render_in(false)
    }

    /// The text a script compares (redis-cli's, with nils as `nil`). For a RESP3
    /// connection a map shows as `{key: value, …}`; for a RESP2 one as the array it is.
    pub fn render_in(&self, resp3: bool) -> String {
        let r = |x: &Reply| x.render_in(resp3);
        match self {
            Reply::Ok => "OK".into(),
            Reply::Status(s) => s.clone(),
            Reply::Int(i) => i.to_string(),
            Reply::Bulk(s) => s.clone(),
            Reply::Nil | Reply::NilArray => "nil".into(),
            Reply::Err(e) => format!("-{e}"),
            Reply::Array(v) | Reply::Push(v) => {
                format!("[{}]", v.iter().map(r).collect::<Vec<_>>().join(", "))
            }
            Reply::Map(kv) | Reply::Streams(kv) if resp3 => format!(
                "{{{}}}",
                kv.iter()
                    .map(|(k, v)| format!("{}: {}", r(k), r(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            // As redis-cli prints RESP2: the map's keys and values in turn.
            Reply::Map(kv) => format!(
                "[{}]",
                kv.iter()
                    .map(|(k, v)| format!("{}, {}", r(k), r(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Reply::Streams(kv) => format!(
                "[{}]",
                kv.iter()
                    .map(|(k, v)| format!("[{}, {}]", r(k), r(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Reply::Verbatim(s) => s.clone(),
            Reply::Entry {
                id, tag: Some(_), ..
            } => format!("[{id}, [{ENTRY_FIELD}, _]]"),
            Reply::Entry { id, tag: None, .. } => format!("[{id}, nil]"),
            Reply::Id(id) => id.to_string(),
            Reply::Payload { value, bytes } => {
                let mut text = value.to_string();
                let pad = (*bytes as usize).saturating_sub(text.len());
                text.extend(std::iter::repeat_n('x', pad));
                text
            }
            Reply::Publish(runs) => {
                let all: Vec<String> = runs
                    .iter()
                    .flat_map(|(n, r)| std::iter::repeat_n(r.to_string(), *n as usize))
                    .collect();
                if all.len() == 1 {
                    all[0].clone()
                } else {
                    format!("[{}]", all.join(", "))
                }
            }
            Reply::Info(i) => format!(
                "role:{}",
                if i.primary.is_none() {
                    "master"
                } else {
                    "slave"
                }
            ),
        }
    }
    /// The reply as RESP2 puts it on the wire (networking.c `addReply*`), for the differential
    /// conformance tests: status, error, integer, bulk, nil bulk and nil array stay distinct.
    /// An entry's field value is written `_` (the model carries no payload bytes); a
    /// pipelined PUBLISH batch of more than one message is an array of its integer replies.
    pub fn resp(&self) -> String {
        self.resp_in(false)
    }

    /// The reply as it goes on the wire to a client speaking RESP3 (`resp3`, after `HELLO
    /// 3`) or RESP2: under RESP3 both nils are the null `_`, a map is `%`, a push `>` and
    /// INFO's text a verbatim string `=` (networking.c `addReplyNull`, `addReplyMapLen`,
    /// `addReplyPushLen`, `addReplyVerbatim` look at `c->resp`).
    pub fn resp_in(&self, resp3: bool) -> String {
        let mut out = String::new();
        self.resp_into(&mut out, resp3);
        out
    }

    fn resp_into(&self, out: &mut String, resp3: bool) {
        fn bulk(out: &mut String, s: &str) {
            out.push_str(&format!("${}\r\n{s}\r\n", s.len()));
        }
        let null2 =
            |out: &mut String, resp2: &str| out.push_str(if resp3 { "_\r\n" } else { resp2 });
        let head = |out: &mut String, kind3: char, n: usize| {
            let kind = if resp3 { kind3 } else { '*' };
            out.push_str(&format!("{kind}{n}\r\n"));
        };
        match self {
            Reply::Ok => out.push_str("+OK\r\n"),
            Reply::Status(s) => out.push_str(&format!("+{s}\r\n")),
            Reply::Int(i) => out.push_str(&format!(":{i}\r\n")),
            Reply::Bulk(s) => bulk(out, s),
            Reply::Nil => null2(out, "$-1\r\n"),
            Reply::NilArray => null2(out, "*-1\r\n"),
            Reply::Err(e) => out.push_str(&format!("-{e}\r\n")),
            Reply::Array(v) | Reply::Push(v) => {
                head(
                    out,
                    if matches!(self, Reply::Push(_)) {
                        '>'
                    } else {
                        '*'
                    },
                    v.len(),
                );
                for r in v {
                    r.resp_into(out, resp3);
                }
            }
            Reply::Map(kv) => {
                if resp3 {
                    head(out, '%', kv.len());
                } else {
                    head(out, '*', 2 * kv.len());
                }
                for (k, v) in kv {
                    k.resp_into(out, resp3);
                    v.resp_into(out, resp3);
                }
            }
            Reply::Streams(kv) => {
                head(out, '%', kv.len());
                for (k, v) in kv {
                    if !resp3 {
                        out.push_str("*2\r\n");
                    }
                    k.resp_into(out, resp3);
                    v.resp_into(out, resp3);
                }
            }
            Reply::Verbatim(s) if resp3 => {
                out.push_str(&format!("={}\r\ntxt:{s}\r\n", s.len() + 4));
            }
            Reply::Verbatim(s) => bulk(out, s),
            Reply::Entry { id, tag, .. } => {
                out.push_str("*2\r\n");
                bulk(out, &id.to_string());
                match tag {
                    Some(_) => {
                        out.push_str("*2\r\n");
                        bulk(out, ENTRY_FIELD);
                        bulk(out, "_");
                    }
                    None => null2(out, "*-1\r\n"),
                }
            }
            Reply::Id(id) => bulk(out, &id.to_string()),
            Reply::Payload { .. } => bulk(out, &self.render()),
            Reply::Publish(runs) => {
                let total: u64 = runs.iter().map(|(n, _)| *n as u64).sum();
                if total != 1 {
                    out.push_str(&format!("*{total}\r\n"));
                }
                for (n, r) in runs {
                    for _ in 0..*n {
                        out.push_str(&format!(":{r}\r\n"));
                    }
                }
            }
            Reply::Info(_) => bulk(out, &self.render()),
        }
    }

    /// Stream entries inside a reply, in order.
    pub fn entries(&self) -> Vec<(StreamId, Option<u64>, u64)> {
        match self {
            Reply::Entry { id, tag, count } => vec![(*id, *tag, *count)],
            Reply::Array(v) | Reply::Push(v) => v.iter().flat_map(Reply::entries).collect(),
            Reply::Map(kv) | Reply::Streams(kv) => kv
                .iter()
                .flat_map(|(k, v)| k.entries().into_iter().chain(v.entries()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// What `INFO` tells Sentinel.
#[derive(Clone, Debug, PartialEq)]
pub struct InfoReply {
    /// `None`: role master.
    pub primary: Option<NodeId>,
    pub link_up: bool,
    pub link_down_ms: u64,
    pub offset: u64,
    pub priority: u32,
    pub run_id: u64,
    /// (replica, acked offset) as the primary sees them.
    pub replicas: Vec<(NodeId, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Reply {
        Reply::Bulk(s.into())
    }

    /// The RESP3-aware variants write exactly the RESP2 bytes of the arrays they replaced (so
    /// RESP2 clients see no change), and their RESP3 forms.
    #[test]
    fn resp2_forms_are_the_old_arrays_and_resp3_forms_differ() {
        let map = Reply::Map(vec![(b("k"), Reply::Int(1)), (b("n"), Reply::Nil)]);
        let flat = Reply::Array(vec![b("k"), Reply::Int(1), b("n"), Reply::Nil]);
        assert_eq!(map.resp(), flat.resp());
        assert_eq!(map.render(), flat.render());
        assert_eq!(map.resp_in(true), "%2\r\n$1\r\nk\r\n:1\r\n$1\r\nn\r\n_\r\n");
        assert_eq!(map.render_in(true), "{k: 1, n: nil}");
        let entries = Reply::Array(vec![Reply::NilArray]);
        let streams = Reply::Streams(vec![(b("s"), entries.clone())]);
        let pairs = Reply::Array(vec![Reply::Array(vec![b("s"), entries])]);
        assert_eq!(streams.resp(), pairs.resp());
        assert_eq!(streams.resp_in(true), "%1\r\n$1\r\ns\r\n*1\r\n_\r\n");
        let push = Reply::Push(vec![b("subscribe"), Reply::Int(1)]);
        assert_eq!(push.resp(), "*2\r\n$9\r\nsubscribe\r\n:1\r\n");
        assert_eq!(push.resp_in(true), ">2\r\n$9\r\nsubscribe\r\n:1\r\n");
        let info = Reply::Verbatim("a:1\r\n".into());
        assert_eq!(info.resp(), b("a:1\r\n").resp());
        assert_eq!(info.resp_in(true), "=9\r\ntxt:a:1\r\n\r\n");
        assert_eq!(Reply::Nil.resp_in(true), Reply::NilArray.resp_in(true));
    }
}
