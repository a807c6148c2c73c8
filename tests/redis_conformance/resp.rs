//! RESP2 and RESP3 for the conformance tests: commands are encoded as arrays of bulk strings,
//! replies parsed from a byte buffer (the real server's socket, or the model's
//! `Reply::resp_in` text), and both rendered in one typed notation so that status, bulk, nil
//! bulk and nil array stay distinct: `+PONG`, `"PONG"`, `$-1`, `*-1`, `:3`, `-ERR …`,
//! `[a, b]`; and RESP3's null `_`, map `{k: v}`, push `>[a, b]`, verbatim `=txt:"…"`,
//! set `~[a]`, boolean `#t`, double `,1.5`, big number `(123`.

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    NilBulk,
    Array(Vec<Value>),
    NilArray,
    /// RESP3 `_`.
    Null,
    /// RESP3 `%`: key-value pairs in order.
    Map(Vec<(Value, Value)>),
    /// RESP3 `>`: an out-of-band frame (pub/sub).
    Push(Vec<Value>),
    /// RESP3 `~`.
    Set(Vec<Value>),
    /// RESP3 `=`: format (`txt`) and text.
    Verbatim(String, Vec<u8>),
    /// RESP3 `#`.
    Bool(bool),
    /// RESP3 `,` and `(`: kept as written.
    Double(String),
    BigNumber(String),
    /// No reply: the connection was closed before one came.
    Closed,
}

impl Value {
    pub fn bulk_str(&self) -> Option<&str> {
        match self {
            Value::Bulk(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }
    /// The items of an array or a push frame (RESP2 and RESP3 pub/sub frames alike).
    pub fn items(&self) -> Option<&[Value]> {
        match self {
            Value::Array(v) | Value::Push(v) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Status(s) => write!(f, "+{s}"),
            Value::Error(s) => write!(f, "-{s}"),
            Value::Int(i) => write!(f, ":{i}"),
            Value::Bulk(b) => write!(f, "{:?}", String::from_utf8_lossy(b)),
            Value::NilBulk => write!(f, "$-1"),
            Value::NilArray => write!(f, "*-1"),
            Value::Closed => write!(f, "closed"),
            Value::Null => write!(f, "_"),
            Value::Bool(b) => write!(f, "#{}", if *b { 't' } else { 'f' }),
            Value::Double(d) => write!(f, ",{d}"),
            Value::BigNumber(n) => write!(f, "({n}"),
            Value::Verbatim(fmt, b) => write!(f, "={fmt}:{:?}", String::from_utf8_lossy(b)),
            Value::Array(v) => list(f, "", v),
            Value::Push(v) => list(f, ">", v),
            Value::Set(v) => list(f, "~", v),
            Value::Map(kv) => {
                write!(f, "{{")?;
                for (i, (k, v)) in kv.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                write!(f, "}}")
            }
        }
    }
}

fn list(f: &mut fmt::Formatter<'_>, kind: &str, v: &[Value]) -> fmt::Result {
    write!(f, "{kind}[")?;
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            write!(f, ", ")?;
        }
        write!(f, "{x}")?;
    }
    write!(f, "]")
}

/// `*N\r\n` then `$len\r\narg\r\n` per argument.
pub fn encode(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// One complete value at the start of `buf` and the bytes it used; `None` when incomplete.
/// A malformed frame panics: both sides must speak RESP2 or RESP3.
pub fn parse(buf: &[u8]) -> Option<(Value, usize)> {
    let end = buf.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&buf[1..end]).expect("RESP line is UTF-8");
    let after = end + 2;
    let num = || -> i64 {
        line.parse()
            .unwrap_or_else(|_| panic!("bad RESP number {line:?}"))
    };
    match buf.first()? {
        b'+' => Some((Value::Status(line.to_string()), after)),
        b'-' => Some((Value::Error(line.to_string()), after)),
        b':' => Some((Value::Int(num()), after)),
        b'$' => {
            let n = num();
            if n < 0 {
                return Some((Value::NilBulk, after));
            }
            let n = n as usize;
            if buf.len() < after + n + 2 {
                return None;
            }
            Some((Value::Bulk(buf[after..after + n].to_vec()), after + n + 2))
        }
        b'*' | b'>' | b'~' => {
            let n = num();
            if n < 0 {
                return Some((Value::NilArray, after));
            }
            let (items, at) = values(buf, after, n as usize)?;
            Some((
                match buf[0] {
                    b'*' => Value::Array(items),
                    b'>' => Value::Push(items),
                    _ => Value::Set(items),
                },
                at,
            ))
        }
        b'%' => {
            let (items, at) = values(buf, after, 2 * num() as usize)?;
            let mut it = items.into_iter();
            let mut kv = Vec::new();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                kv.push((k, v));
            }
            Some((Value::Map(kv), at))
        }
        b'_' => Some((Value::Null, after)),
        b'#' => Some((Value::Bool(line == "t"), after)),
        b',' => Some((Value::Double(line.to_string()), after)),
        b'(' => Some((Value::BigNumber(line.to_string()), after)),
        b'=' | b'!' => {
            let n = num() as usize;
            if buf.len() < after + n + 2 {
                return None;
            }
            let body = &buf[after..after + n];
            let v = if buf[0] == b'!' {
                Value::Error(String::from_utf8_lossy(body).to_string())
            } else {
                let (fmt, text) = body.split_at(3.min(body.len()));
                let text = text.strip_prefix(b":").unwrap_or(text);
                Value::Verbatim(String::from_utf8_lossy(fmt).to_string(), text.to_vec())
            };
            Some((v, after + n + 2))
        }
        other => panic!("not RESP: first byte {:?}", *other as char),
    }
}

/// `n` values one after another from `at`; `None` when incomplete.
fn values(buf: &[u8], mut at: usize, n: usize) -> Option<(Vec<Value>, usize)> {
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        let (v, used) = parse(&buf[at..])?;
        items.push(v);
        at += used;
    }
    Some((items, at))
}

/// Every value in `buf` (which must hold whole values only).
pub fn parse_all(mut buf: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let (v, used) = parse(buf).expect("complete RESP value");
        out.push(v);
        buf = &buf[used..];
    }
    out
}

#[test]
fn resp_round_trip_keeps_types_apart() {
    let wire = b"+PONG\r\n$4\r\nPONG\r\n$-1\r\n*-1\r\n*2\r\n:1\r\n-ERR x\r\n";
    let vals = parse_all(wire);
    let text: Vec<String> = vals.iter().map(|v| v.to_string()).collect();
    assert_eq!(text, ["+PONG", "\"PONG\"", "$-1", "*-1", "[:1, -ERR x]"]);
    assert!(parse(b"$4\r\nPO").is_none());
    assert_eq!(
        encode(&[b"GET".to_vec(), b"k".to_vec()]),
        b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
    );
}

#[test]
fn resp3_types_parse_apart_from_resp2() {
    let wire = b"_\r\n%1\r\n$1\r\na\r\n:1\r\n>2\r\n$1\r\nm\r\n_\r\n=8\r\ntxt:ab\r\n\r\n#f\r\n~1\r\n,1.5\r\n";
    let text: Vec<String> = parse_all(wire).iter().map(|v| v.to_string()).collect();
    assert_eq!(
        text,
        [
            "_",
            "{\"a\": :1}",
            ">[\"m\", _]",
            "=txt:\"ab\\r\\n\"",
            "#f",
            "~[,1.5]"
        ]
    );
    assert!(
        parse(b"%1\r\n$1\r\na\r\n").is_none(),
        "a map missing its value"
    );
}
