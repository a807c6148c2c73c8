//! The canonical JSON-lines trace: one object per trace event, `jq`-friendly, written as the
//! run goes (nothing is kept in memory).

use msgsim_sim::{TraceEvent, TraceKind, TraceSink};
use std::fmt::Debug;
use std::io::Write;

pub struct JsonlTrace {
    out: Box<dyn Write>,
    names: Vec<String>,
    failed: bool,
}

impl JsonlTrace {
    pub fn new(out: Box<dyn Write>, names: Vec<String>) -> JsonlTrace {
        JsonlTrace {
            out,
            names,
            failed: false,
        }
    }
}

/// JSON string escaping for the few characters Debug output can contain.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

impl<M: Debug, H: Debug> TraceSink<M, H> for JsonlTrace {
    fn record(&mut self, e: &TraceEvent<'_, M, H>) {
        if self.failed {
            return;
        }
        let kind = match e.kind {
            TraceKind::Drop(reason) => format!("drop:{}", reason.name()),
            k => k.name().to_string(),
        };
        let mut line = format!(
            "{{\"i\":{},\"t_ns\":{},\"node\":\"{}\",\"kind\":\"{}\",\"label\":\"{}\"",
            e.index,
            e.time.as_nanos(),
            escape(&self.names[e.node.index()]),
            kind,
            escape(e.label)
        );
        if let Some(peer) = e.peer {
            line.push_str(&format!(
                ",\"peer\":\"{}\"",
                escape(&self.names[peer.index()])
            ));
        }
        if let Some(id) = e.msg_id {
            line.push_str(&format!(",\"msg\":{}", id.0));
        }
        if let Some(parent) = e.parent {
            line.push_str(&format!(",\"parent\":{}", parent.0));
        }
        if let Some(conn) = e.conn {
            line.push_str(&format!(",\"conn\":{}", conn.0));
        }
        if e.bytes != 0 {
            line.push_str(&format!(",\"bytes\":{}", e.bytes));
        }
        let detail = e
            .msg
            .map(|m| format!("{m:?}"))
            .or_else(|| e.history.map(|h| format!("{h:?}")))
            .or_else(|| e.fault.map(|f| format!("{f:?}")))
            .or_else(|| e.name.map(str::to_string));
        if let Some(detail) = detail {
            line.push_str(&format!(",\"detail\":\"{}\"", escape(&detail)));
        }
        line.push_str(&format!(",\"hash\":\"{:016x}\"}}\n", e.hash));
        if self.out.write_all(line.as_bytes()).is_err() {
            self.failed = true;
        }
    }
}

impl Drop for JsonlTrace {
    fn drop(&mut self) {
        let _ = self.out.flush();
    }
}
