//! The client history in Jepsen's form: one JSON object per line with `index`, `time` (ns),
//! `process` (the client node), `type` (`invoke`, `ok`, `fail`, `info`), `f` (the operation)
//! and `value` (the event's fields as data).
//!
//! The trace carries each history event as its Rust `Debug` text (`SendOk { p: 1, offset:
//! Some(0) }`); this module reads that syntax back into JSON (`Some(x)` → x, `None` → null,
//! a one-field tuple such as `NodeId(0)` → its field). The `type` comes from the event names
//! alone: Jepsen's own names (`Invoke`, `Ok`, `Fail`, `Info`), or a pair `X` / `XOk` (`XErr`,
//! `XFailed`) present in the same history: `X` is the invocation, `XOk` its completion.
//! Every other event is `info` with `f` its name in snake case.

use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Parse one `Debug` rendering into (variant name, JSON value).
pub fn debug_to_json(text: &str) -> (String, Value) {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.ws();
    let name = p.ident();
    p.i = 0;
    let v = p.value().unwrap_or_else(|| json!(text));
    (name, v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn ident(&mut self) -> String {
        self.ws();
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }
    fn list(&mut self, close: u8) -> Option<Vec<Value>> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.value()?);
            if !self.eat(b',') {
                return self.eat(close).then_some(items);
            }
        }
    }
    fn value(&mut self) -> Option<Value> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(Value::String),
            b'[' => {
                self.i += 1;
                self.list(b']').map(Value::Array)
            }
            b'(' => {
                self.i += 1;
                self.list(b')').map(Value::Array)
            }
            c if c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                self.i += 1;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || c == b'.' || c == b'e')
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                t.parse::<i64>()
                    .map(Value::from)
                    .ok()
                    .or_else(|| t.parse::<u64>().ok().map(Value::from))
                    .or_else(|| t.parse::<f64>().ok().map(Value::from))
            }
            _ => {
                let name = self.ident();
                if name.is_empty() {
                    return None;
                }
                self.ws();
                match self.peek() {
                    Some(b'{') => {
                        self.i += 1;
                        let mut obj = Map::new();
                        loop {
                            if self.eat(b'}') {
                                break;
                            }
                            let key = self.ident();
                            if key.is_empty() || !self.eat(b':') {
                                return None;
                            }
                            let v = self.value()?;
                            obj.insert(key, v);
                            if !self.eat(b',') && !self.eat(b'}') {
                                return None;
                            } else if self.s.get(self.i - 1) == Some(&b'}') {
                                break;
                            }
                        }
                        Some(Value::Object(obj))
                    }
                    Some(b'(') => {
                        self.i += 1;
                        let mut items = self.list(b')')?;
                        Some(if items.len() == 1 {
                            items.remove(0)
                        } else {
                            Value::Array(items)
                        })
                    }
                    _ => Some(match name.as_str() {
                        "None" => Value::Null,
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        _ => Value::String(name),
                    }),
                }
            }
        }
    }
    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    out.push(match e {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        other => other,
                    });
                }
                other => out.push(other),
            }
        }
        None
    }
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

const FAIL_SUFFIXES: [&str; 4] = ["Err", "Error", "Failed", "Fail"];

/// Jepsen `type` and `f` of an event named `name`, given every name in the history.
pub fn type_and_f(name: &str, names: &BTreeSet<String>) -> (&'static str, String) {
    match name {
        "Invoke" => return ("invoke", "op".into()),
        "Ok" => return ("ok", "op".into()),
        "Fail" => return ("fail", "op".into()),
        "Info" => return ("info", "op".into()),
        _ => {}
    }
    if let Some(base) = name.strip_suffix("Ok")
        && names.contains(base)
    {
        return ("ok", snake(base));
    }
    for suffix in FAIL_SUFFIXES {
        if let Some(base) = name.strip_suffix(suffix)
            && names.contains(base)
        {
            return ("fail", snake(base));
        }
    }
    let completed = std::iter::once("Ok")
        .chain(FAIL_SUFFIXES)
        .any(|s| names.contains(&format!("{name}{s}")));
    if completed {
        ("invoke", snake(name))
    } else {
        ("info", snake(name))
    }
}

/// The history in Jepsen's form, one JSON object per line, from the trace's history events as
/// (client node, time in ns, `Debug` text), in trace order.
pub fn to_history(events: &[(&str, u64, &str)]) -> String {
    let events: Vec<(&str, u64, String, Value)> = events
        .iter()
        .map(|(node, t_ns, detail)| {
            let (name, value) = debug_to_json(detail);
            (*node, *t_ns, name, value)
        })
        .collect();
    let names: BTreeSet<String> = events.iter().map(|(_, _, n, _)| n.clone()).collect();
    let mut out = String::new();
    for (index, (node, t_ns, name, value)) in events.iter().enumerate() {
        let (ty, f) = type_and_f(name, &names);
        let v = json!({"index": index, "time": t_ns, "process": node, "type": ty, "f": f, "value": value});
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_text_reads_back_as_data() {
        let (n, v) = debug_to_json(
            "SendOk { p: 1, values: [7, 8], offset: Some(0), server: NodeId(2), key: \"a \\\"b\\\"\", runs: [(1, 2)], x: None, ok: true }",
        );
        assert_eq!(n, "SendOk");
        assert_eq!(
            v,
            json!({"p": 1, "values": [7, 8], "offset": 0, "server": 2, "key": "a \"b\"",
                   "runs": [[1, 2]], "x": null, "ok": true})
        );
        let (n, v) = debug_to_json("Reconnect");
        assert_eq!((n.as_str(), v), ("Reconnect", json!("Reconnect")));
    }

    #[test]
    fn types_come_from_pairs_of_names() {
        let names: BTreeSet<String> = ["Send", "SendOk", "Poll", "Connected"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(type_and_f("Send", &names), ("invoke", "send".into()));
        assert_eq!(type_and_f("SendOk", &names), ("ok", "send".into()));
        assert_eq!(type_and_f("Poll", &names), ("info", "poll".into()));
        assert_eq!(type_and_f("Invoke", &names), ("invoke", "op".into()));
    }
}
