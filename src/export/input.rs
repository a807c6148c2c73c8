//! What `msgsim export` reads: a JSON-lines trace file, or a scenario (`.ron`) that it runs
//! with a seed, collecting the trace as it is written (parsed line by line, never held as
//! text) together with the run's anomaly explanations and the node names.

use super::TraceLine;
use super::scene::{AnomalyNote, Context};
use crate::runner::{self, RunOptions};
use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

/// Why the input could not be read: the message and the exit code (2 bad input, 3 internal).
pub struct InputError {
    pub message: String,
    pub code: i32,
}

fn bad(message: String) -> InputError {
    InputError {
        message,
        code: crate::exit::BAD_INPUT,
    }
}

/// Parses trace lines as the run writes them.
struct LineSink {
    pending: Vec<u8>,
    lines: Rc<RefCell<Vec<TraceLine>>>,
    error: Rc<RefCell<Option<String>>>,
}

impl LineSink {
    fn take_line(&mut self, line: &[u8]) {
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        match serde_json::from_slice::<TraceLine>(line) {
            Ok(l) => self.lines.borrow_mut().push(l),
            Err(e) => {
                let mut err = self.error.borrow_mut();
                if err.is_none() {
                    *err = Some(format!("trace line unreadable: {e}"));
                }
            }
        }
    }
}

impl Write for LineSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let mut start = 0;
        while let Some(k) = self.pending[start..].iter().position(|&b| b == b'\n') {
            let line = self.pending[start..start + k].to_vec();
            self.take_line(&line);
            start += k + 1;
        }
        self.pending.drain(..start);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineSink {
    fn drop(&mut self) {
        let rest = std::mem::take(&mut self.pending);
        self.take_line(&rest);
    }
}

/// Read `path`: a `.ron` scenario is run with `seed` (default: the scenario's); anything else
/// is read as a trace file.
pub fn read(path: &Path, seed: Option<u64>) -> Result<(Vec<TraceLine>, Context), InputError> {
    let display = path.display().to_string();
    if path.extension().is_some_and(|e| e == "ron") {
        let loaded = crate::scenario::load(path).map_err(|d| bad(d.to_string()))?;
        let seed = seed.unwrap_or(loaded.scenario.seed);
        let lines = Rc::new(RefCell::new(Vec::new()));
        let error = Rc::new(RefCell::new(None));
        let sink = LineSink {
            pending: Vec::new(),
            lines: lines.clone(),
            error: error.clone(),
        };
        let outcome = runner::run(
            &loaded,
            RunOptions {
                seed,
                trace_out: Some(Box::new(sink)),
                profile: None,
            },
        )
        .map_err(|e| InputError {
            message: format!("{display}: the run failed: {e}"),
            code: crate::exit::INTERNAL,
        })?;
        if let Some(e) = error.take() {
            return Err(InputError {
                message: format!("{display}: {e}"),
                code: crate::exit::INTERNAL,
            });
        }
        let mut anomalies = Vec::new();
        for (name, list) in &outcome.report.explanations {
            if outcome.report.anomalies.get(name).copied().unwrap_or(0) == 0 {
                continue;
            }
            for e in list {
                anomalies.push(AnomalyNote {
                    anomaly: name.clone(),
                    cause: e.cause.clone(),
                    count: e.count,
                    examples: e.examples.clone(),
                });
            }
        }
        let system = &loaded.scenario.system;
        let cx = Context {
            names: system.node_names(),
            servers: system.fault_targets(),
            anomalies,
            source: format!("{} seed {seed}", loaded.scenario.name),
        };
        let lines = lines.take();
        return Ok((lines, cx));
    }
    if seed.is_some() {
        return Err(bad(format!(
            "{display}: --seed needs a scenario (.ron); a trace already has its seed"
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad(format!("{display}: cannot read trace: {e}")))?;
    let lines = super::parse_trace(&text).map_err(|e| bad(format!("{display}:{e}")))?;
    let cx = Context::from_trace(&lines, &display);
    Ok((lines, cx))
}
