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
        Diagnostic {
            path: path.to_string(),
            at: None,
            message,
            rendered: String::new(),
        }
    }

    /// An error at a position in `source`.
    pub fn at(path: &str, source: &str, at: LineCol, message: String) -> Diagnostic {
        let offset = offset_of(source, at);
        let len = token_len(source, offset);
        let diag = miette::MietteDiagnostic::new(format!("invalid scenario: {message}"))
            .with_label(LabeledSpan::at(SourceSpan::new(offset.into(), len), "here"));
        let report =
            miette::Report::new(diag).with_source_code(NamedSource::new(path, source.to_string()));
        let mut rendered = String::new();
        // No line wrapping: textwrap's segmenter prints to stderr for some scripts (Khmer...), and
        // a diagnostic must write nothing but itself.
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_wrap_lines(false);
        let _ = handler.render_report(&mut rendered, report.as_ref());
        Diagnostic {
            path: path.to_string(),
            at: Some(at),
            message,
            rendered,
        }
    }

    pub fn from_ron(path: &str, source: &str, e: &ron::error::SpannedError) -> Diagnostic {
        let at = LineCol {
            line: e.span.start.line.max(1),
            col: e.span.start.col.max(1),
        };
        Diagnostic::at(path, source, at, e.code.to_string())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some(LineCol { line, col }) => {
                writeln!(f, "error: {}:{line}:{col}: {}", self.path, self.message)?
            }
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
            let col_bytes: usize = line
                .chars()
                .take(at.col.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
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
    if n == 0 {
        rest.chars().next().map_or(0, char::len_utf8)
    } else {
        n
    }
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

/// Line and column of a byte offset (columns count characters).
pub fn line_col(source: &str, offset: usize) -> LineCol {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    LineCol { line, col }
}

/// Byte offset where `key:` starts as a field name (not inside a string or a comment), at or
/// after `from` and before `to`.
fn find_field(source: &str, key: &str, from: usize, to: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut i = from;
    // Only the struct's own fields: a nested struct with a field of the same name (a script
    // step's `expect` inside `system`) is not the one asked for.
    let mut depth = 0usize;
    while i < to {
        match bytes[i] {
            b'"' => i = skip_string(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < to && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => {
                let ident_start =
                    i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
                // Bytes, not str: `i` may be inside a multi-byte character (found by cargo-fuzz).
                if depth == 0 && ident_start && bytes[i..to].starts_with(key.as_bytes()) {
                    let rest = source[i + key.len()..to].trim_start();
                    if rest.starts_with(':') {
                        return Some(i);
                    }
                }
                i += 1;
            }
        }
    }
    None
}

/// The end of the character that starts (or continues) at byte `i`: always a char boundary
/// (RON allows non-ASCII whitespace such as U+200E between tokens).
fn char_end(source: &str, i: usize) -> usize {
    let mut j = i + 1;
    while j < source.len() && !source.is_char_boundary(j) {
        j += 1;
    }
    j.min(source.len())
}

fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_block_comment(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 2;
    let mut depth = 1;
    while i + 1 < bytes.len() && depth > 0 {
        if bytes[i] == b'/' && bytes[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
            depth -= 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    if depth > 0 { bytes.len() } else { i }
}

/// Byte ranges of the elements of the list (or the fields of the struct) that starts at the
/// first `[` or `(` at or after `from`: one range per top-level comma-separated element,
/// whitespace and comments trimmed.
fn elements(source: &str, from: usize) -> Vec<(usize, usize)> {
    let bytes = source.as_bytes();
    let Some(open) = source[from..].find(['[', '(']).map(|i| from + i) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start: Option<usize> = None;
    let mut last_end = open + 1;
    let mut i = open;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' => {
                start.get_or_insert(i);
                i = skip_string(bytes, i);
                last_end = i;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = skip_block_comment(bytes, i);
                continue;
            }
            b'[' | b'(' | b'{' => {
                depth += 1;
                if depth > 1 {
                    start.get_or_insert(i);
                }
            }
            b']' | b')' | b'}' => {
                if depth == 1 {
                    if let Some(s) = start.take() {
                        out.push((s, last_end));
                    }
                    return out;
                }
                depth = depth.saturating_sub(1);
                last_end = i + 1;
            }
            b',' if depth == 1 => {
                if let Some(s) = start.take() {
                    out.push((s, last_end));
                }
            }
            c if c.is_ascii_whitespace() => {}
            _ => {
                start.get_or_insert(i);
                last_end = char_end(source, i);
            }
        }
        if depth > 1 && !c.is_ascii_whitespace() {
            last_end = char_end(source, i);
        }
        i += 1;
    }
    out
}

/// Where a value of a scenario is: follow `path`, whose steps are field names (`"faults"`) or
/// list indices (`"3"`), from the top-level struct. Falls back to the deepest step found (1:1 if
/// none).
pub fn locate_path(source: &str, path: &[&str]) -> LineCol {
    let mut span = (0, source.len());
    let mut found = 0;
    // The top-level struct: its fields are searched within it.
    for step in path {
        let next = if let Ok(index) = step.parse::<usize>() {
            elements(source, span.0)
                .get(index)
                .copied()
                .filter(|(s, _)| *s >= span.0 && *s <= span.1)
        } else {
            let inner = if found == 0 {
                struct_body_start(source)
            } else {
                source[span.0..span.1]
                    .find(['(', '['])
                    .map_or(span.0, |i| span.0 + i + 1)
            };
            find_field(source, step, inner, span.1).map(|s| {
                // The field's value runs to the end of its element in the enclosing struct.
                let value_start = s + step.len();
                let end = value_end(source, value_start, span.1);
                (s, end)
            })
        };
        match next {
            Some(r) => {
                span = r;
                found += 1;
            }
            None => break,
        }
    }
    line_col(source, if found == 0 { 0 } else { span.0 })
}

/// Just inside the top-level struct's opening parenthesis (comments and a struct name before it
/// skipped), or 0 if there is none.
fn struct_body_start(source: &str) -> usize {
    let bytes = source.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => return i + 1,
            b'"' => return 0,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i),
            _ => i += 1,
        }
    }
    0
}

/// End of a field value starting at `from`: the next top-level `,` or closing bracket.
fn value_end(source: &str, from: usize, limit: usize) -> usize {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut i = from;
    while i < limit.min(bytes.len()) {
        match bytes[i] {
            b'"' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = skip_block_comment(bytes, i);
                continue;
            }
            b'[' | b'(' | b'{' => depth += 1,
            b']' | b')' | b'}' => {
                if depth == 0 {
                    return i;
                }
                depth -= 1;
            }
            b',' if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    limit.min(bytes.len())
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

    #[test]
    fn locate_path_follows_fields_and_indices() {
        let src = "(\n  name: \"at_ms: 1\", // faults: [\n  faults: [\n    Heal(at_ms: 1_000),\n    Crash(node: \"s1\", at_ms: 9_000),\n  ],\n)";
        assert_eq!(locate_path(src, &["faults"]), LineCol { line: 3, col: 3 });
        assert_eq!(
            locate_path(src, &["faults", "1"]),
            LineCol { line: 5, col: 5 }
        );
        assert_eq!(
            locate_path(src, &["faults", "1", "at_ms"]),
            LineCol { line: 5, col: 23 }
        );
        assert_eq!(
            locate_path(src, &["faults", "0", "at_ms"]),
            LineCol { line: 4, col: 10 }
        );
        assert_eq!(
            locate_path(src, &["faults", "7"]),
            LineCol { line: 3, col: 3 }
        );
        assert_eq!(locate_path(src, &["nope"]), LineCol { line: 1, col: 1 });
    }

    #[test]
    fn locate_path_takes_the_structs_own_field_not_a_nested_one() {
        // `expect` inside a script step comes first in the file; the top-level one is asked for.
        let src = "// a comment (with parentheses\n(\n  system: Redis(script: [(expect: \"OK\")]),\n  expect: [\n    \"x == 0\",\n  ],\n)";
        assert_eq!(
            locate_path(src, &["expect", "0"]),
            LineCol { line: 5, col: 5 }
        );
        assert_eq!(
            locate_path(src, &["system", "script", "0", "expect"]),
            LineCol { line: 3, col: 27 }
        );
    }
}
