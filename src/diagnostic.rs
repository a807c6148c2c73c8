//! Input errors rendered with `file:line:col` and a caret under the spot (miette), for syntax,
//! type and semantic errors alike. Any input error exits with code 2 and writes nothing else.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use std::fmt;

/// A 1-based line and column in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

/// An input error.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub path: String,
    pub at: Option<LineCol>,
    pub message: String,
    /// The rendered report with source excerpt (empty for I/O errors).
    pub rendered: String,
}

impl Diagnostic {
    /// An error about a file as a whole (cannot read it, too large...).
    pub fn io(path: &str, message: String) -> Diagnostic {
        Diagnostic { path: path.to_string(), at: None, message, rendered: String::new() }
    }

    /// An error at a position in `source`.
    pub fn at(path: &str, source: &str, at: LineCol, message: String) -> Diagnostic {
        let offset = offset_of(source, at);
        let len = token_len(source, offset);
        let diag = miette::MietteDiagnostic::new(format!("invalid scenario: {message}"))
            .with_label(LabeledSpan::at(SourceSpan::new(offset.into(), len), "here"));
        let report = miette::Report::new(diag)
            .with_source_code(NamedSource::new(path, source.to_string()));
        let mut rendered = String::new();
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor());
        let _ = handler.render_report(&mut rendered, report.as_ref());
        Diagnostic { path: path.to_string(), at: Some(at), message, rendered }
    }

    pub fn from_ron(path: &str, source: &str, e: &ron::error::SpannedError) -> Diagnostic {
        let at = LineCol { line: e.span.start.line.max(1), col: e.span.start.col.max(1) };
        Diagnostic::at(path, source, at, e.code.to_string())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some(LineCol { line, col }) => writeln!(f, "error: {}:{line}:{col}: {}", self.path, self.message)?,
            None => writeln!(f, "error: {}: {}", self.path, self.message)?,
        }
        write!(f, "{}", self.rendered)
    }
}

/// Byte offset of a 1-based line/column (columns count characters).
pub fn offset_of(source: &str, at: LineCol) -> usize {
    let mut offset = 0;
    for (i, line) in source.split_inclusive('\n').enumerate() {
        if i + 1 == at.line {
            let col_bytes: usize = line.chars().take(at.col.saturating_sub(1)).map(char::len_utf8).sum();
            return (offset + col_bytes).min(source.len());
        }
        offset += line.len();
    }
    source.len()
}

/// Length of the token at `offset` (identifier, number or string), at least 1 if possible.
fn token_len(source: &str, offset: usize) -> usize {
    let rest = &source[offset..];
    if let Some(stripped) = rest.strip_prefix('"') {
        return stripped.find('"').map_or(1, |i| i + 2);
    }
    let n = rest
        .char_indices()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    if n == 0 { rest.chars().next().map_or(0, char::len_utf8) } else { n }
}

/// Find the position of the last of `anchors`, each searched after the previous one. Anchors
/// that are not found are skipped; nothing found at all gives 1:1.
pub fn locate(source: &str, anchors: &[&str]) -> LineCol {
    let mut from = 0;
    let mut found = None;
    for anchor in anchors {
        if let Some(i) = source[from..].find(anchor) {
            found = Some(from + i);
            from += i;
        }
    }
    let offset = found.unwrap_or(0);
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    LineCol { line, col }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_and_offset_agree() {
        let src = "(\n  a: 1,\n  faults: [ Crash(node: \"b9\") ],\n)";
        let at = locate(src, &["faults", "\"b9\""]);
        assert_eq!(at, LineCol { line: 3, col: 25 });
        assert_eq!(&src[offset_of(src, at)..offset_of(src, at) + 4], "\"b9\"");
    }
}
