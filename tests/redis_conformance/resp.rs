//! RESP2 for the conformance tests: commands are encoded as arrays of bulk strings, replies
//! parsed from a byte buffer (the real server's socket, or the model's `Reply::resp` text), and
//! both rendered in one typed notation so that status, bulk, nil bulk and nil array stay
//! distinct: `+PONG`, `"PONG"`, `$-1`, `*-1`, `:3`, `-ERR …`, `[a, b]`.

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
            Value::Array(v) => {
                write!(f, "[")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{x}")?;
                }
                write!(f, "]")
            }
        }
    }
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
/// A malformed frame panics: both sides must speak RESP2.
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
        b'*' => {
            let n = num();
            if n < 0 {
                return Some((Value::NilArray, after));
            }
            let mut items = Vec::with_capacity(n as usize);
            let mut at = after;
            for _ in 0..n {
                let (v, used) = parse(&buf[at..])?;
                items.push(v);
                at += used;
            }
            Some((Value::Array(items), at))
        }
        other => panic!("not RESP2: first byte {:?}", *other as char),
    }
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
