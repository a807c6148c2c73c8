//! Relative links in the documentation (README.md, ARCHITECTURE.md, docs/**/*.md) lead
//! somewhere: the file exists and, for `file.md#anchor`, a heading of that file has that
//! anchor (GitHub's slug: lower case, punctuation other than `-` and `_` dropped, spaces as
//! `-`). Links inside fenced code blocks are not links.

use std::fs;
use std::path::{Path, PathBuf};

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("docs dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            markdown_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
}

/// The text outside fenced code blocks.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(file: &Path) -> Vec<String> {
    let text = fs::read_to_string(file).expect("linked file");
    prose(&text)
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

/// Every `](target)` of a text.
fn targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            let t = &rest[..end];
            if !t.contains(char::is_whitespace) {
                out.push(t.to_string());
            }
        }
    }
    out
}

#[test]
fn relative_links_in_the_docs_resolve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    markdown_files(&root.join("docs"), &mut files);
    let mut broken = Vec::new();
    let mut checked = 0;
    for f in &files {
        let text = prose(&fs::read_to_string(f).expect("markdown file"));
        for t in targets(&text) {
            let scheme = t
                .split_once(':')
                .is_some_and(|(s, _)| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase()));
            if scheme {
                continue;
            }
            checked += 1;
            let (path, anchor) = t.split_once('#').unwrap_or((&t, ""));
            let target = if path.is_empty() {
                f.clone()
            } else {
                f.parent().expect("dir").join(path)
            };
            let shown = f.strip_prefix(root).unwrap_or(f).display();
            if !target.exists() {
                broken.push(format!("{shown}: {t} (no such file)"));
            } else if !anchor.is_empty()
                && target.extension().is_some_and(|e| e == "md")
                && !anchors(&target).iter().any(|a| a == anchor)
            {
                broken.push(format!("{shown}: {t} (no such heading)"));
            }
        }
    }
    assert!(checked > 20, "only {checked} links found");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
