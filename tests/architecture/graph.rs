//! The file-level import graph of one crate, read from its source text (see the rules in
//! `tests/architecture.rs`): a small tokenizer, the module tree from `mod` declarations, the
//! `use` trees and inline paths of every module, and their resolution to the file that defines
//! what they name.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// file → (file it depends on → the first path that makes it so).
pub type Graph = BTreeMap<usize, BTreeMap<usize, String>>;

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Path,
    Str(String),
    Punct(char),
}

/// Splits Rust source into identifiers, `::`, string literals and single punctuation characters,
/// skipping comments, char literals, lifetimes and numbers.
fn tokenize(src: &str) -> Vec<Tok> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if ch == 'r' && (c.get(i + 1) == Some(&'#') || c.get(i + 1) == Some(&'"')) {
            // A raw string r"…", r#"…"# (or a raw identifier r#name).
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                // r#ident
                let start = j;
                while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
                    j += 1;
                }
                out.push(Tok::Ident(c[start..j].iter().collect()));
                i = j;
                continue;
            }
            j += 1;
            let start = j;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (0..hashes).all(|k| c.get(j + 1 + k) == Some(&'#')) {
                    break;
                }
                j += 1;
            }
            out.push(Tok::Str(c[start..j.min(c.len())].iter().collect()));
            i = j + 1 + hashes;
        } else if ch == '"' || (ch == 'b' && c.get(i + 1) == Some(&'"')) {
            let mut j = if ch == 'b' { i + 2 } else { i + 1 };
            let start = j;
            while j < c.len() && c[j] != '"' {
                if c[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            out.push(Tok::Str(c[start..j.min(c.len())].iter().collect()));
            i = j + 1;
        } else if ch == '\'' || (ch == 'b' && c.get(i + 1) == Some(&'\'')) {
            let j = if ch == 'b' { i + 1 } else { i };
            if c.get(j + 1) == Some(&'\\') {
                // An escaped char literal: skip to the closing quote.
                let mut k = j + 2;
                while k < c.len() && c[k] != '\'' {
                    k += 1;
                }
                i = k + 1;
            } else if c.get(j + 2) == Some(&'\'') {
                i = j + 3;
            } else {
                // A lifetime or label: skip the quote, the name follows as an identifier.
                i = j + 1;
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(c[start..i].iter().collect()));
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '.') {
                if c[i] == '.' && !c.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
                    break;
                }
                i += 1;
            }
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(Tok::Path);
            i += 2;
        } else {
            out.push(Tok::Punct(ch));
            i += 1;
        }
    }
    out
}

fn ident(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Modules, items, imports

/// One leaf of a `use` tree: the local name it binds and the path it names.
#[derive(Clone, Debug)]
struct UseLeaf {
    /// The bound name (`None` for a glob).
    name: Option<String>,
    path: Vec<String>,
    public: bool,
}

#[derive(Default, Debug)]
struct Module {
    /// The file the module's items are written in.
    file: usize,
    children: BTreeSet<String>,
    items: BTreeSet<String>,
    uses: Vec<UseLeaf>,
}

/// A path written in a file, in the module it was written in.
struct Written {
    module: Vec<String>,
    path: Vec<String>,
    /// `false` for a `pub use` whose name the file does not use itself.
    counts: bool,
}

#[derive(Default)]
pub struct Crate {
    pub files: Vec<PathBuf>,
    modules: BTreeMap<Vec<String>, Module>,
    written: Vec<(usize, Written)>,
}

const ITEM_KEYWORDS: &[&str] = &[
    "struct", "enum", "fn", "trait", "type", "const", "static", "union",
];

/// Parses a `use` tree starting at `toks[i]` (after the `use` keyword); returns the leaves and
/// the index after the closing `;`.
fn parse_use(toks: &[Tok], mut i: usize, prefix: &[String], leaves: &mut Vec<UseLeaf>) -> usize {
    let mut path: Vec<String> = prefix.to_vec();
    loop {
        match toks.get(i) {
            Some(Tok::Ident(s)) if s == "as" => {
                let alias = ident(toks.get(i + 1)).unwrap_or("_").to_string();
                let mut p = path.clone();
                if p.last().is_some_and(|l| l == "self") {
                    p.pop();
                }
                leaves.push(UseLeaf {
                    name: Some(alias),
                    path: p,
                    public: false,
                });
                path.clear();
                i += 2;
            }
            Some(Tok::Ident(s)) => {
                path.push(s.clone());
                i += 1;
            }
            Some(Tok::Path) => i += 1,
            Some(Tok::Punct('*')) => {
                leaves.push(UseLeaf {
                    name: None,
                    path: path.clone(),
                    public: false,
                });
                path.clear();
                i += 1;
            }
            Some(Tok::Punct('{')) => {
                // A group: each element continues the path so far.
                i += 1;
                loop {
                    i = parse_use(toks, i, &path, leaves);
                    match toks.get(i - 1) {
                        Some(Tok::Punct('}')) | None => break,
                        _ => {}
                    }
                }
                path.clear();
            }
            Some(Tok::Punct(p @ (',' | ';' | '}'))) => {
                if path.len() > prefix.len() {
                    let mut p2 = path.clone();
                    if p2.last().is_some_and(|l| l == "self") {
                        p2.pop();
                    }
                    leaves.push(UseLeaf {
                        name: p2.last().cloned(),
                        path: p2,
                        public: false,
                    });
                }
                let _ = p;
                return i + 1;
            }
            Some(_) => i += 1,
            None => return i + 1,
        }
    }
}

/// Reads one file of module `module`, registering its inline modules, items, `use` leaves,
/// inline paths and `mod x;` declarations (returned with their `#[path]`, if any).
fn read_file(
    krate: &mut Crate,
    file: usize,
    module: &[String],
) -> Vec<(Vec<String>, String, Option<String>)> {
    let src = fs::read_to_string(&krate.files[file]).expect("read source file");
    let toks = tokenize(&src);
    // Identifiers used outside `use` statements, to tell a re-export the file also uses.
    let mut used_outside = BTreeSet::new();
    let mut in_use = vec![false; toks.len()];
    let mut i = 0;
    while i < toks.len() {
        if ident(toks.get(i)) == Some("use") {
            let start = i;
            while i < toks.len() && toks[i] != Tok::Punct(';') {
                i += 1;
            }
            for f in &mut in_use[start..=i.min(toks.len() - 1)] {
                *f = true;
            }
        }
        i += 1;
    }
    for (k, t) in toks.iter().enumerate() {
        if let (Tok::Ident(s), false) = (t, in_use[k]) {
            used_outside.insert(s.clone());
        }
    }

    let mut declared = Vec::new();
    // The stack of inline modules: (module path, brace depth at which it closes).
    let mut stack: Vec<(Vec<String>, usize)> = vec![(module.to_vec(), 0)];
    krate.modules.entry(module.to_vec()).or_default().file = file;
    let mut depth = 0usize;
    let mut pending_path: Option<String> = None;
    let mut pending_test = false;
    // Inline test modules by their module path.
    let mut tests: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut i = 0;
    while i < toks.len() {
        let cur = stack.last().unwrap().0.clone();
        let at_item_level = depth == stack.last().unwrap().1;
        match &toks[i] {
            Tok::Punct('{') => {
                depth += 1;
                i += 1;
            }
            Tok::Punct('}') => {
                if depth == stack.last().unwrap().1 && stack.len() > 1 {
                    stack.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Tok::Punct('#') => {
                // `#[cfg(test)]` before an inline module: its code is a leaf of the graph.
                if ident(toks.get(i + 2)) == Some("cfg") && ident(toks.get(i + 4)) == Some("test") {
                    pending_test = true;
                }
                // `#[path = "x.rs"]` before a `mod` declaration.
                if ident(toks.get(i + 2)) == Some("path")
                    && let Some(Tok::Str(p)) = toks.get(i + 4)
                {
                    pending_path = Some(p.clone());
                }
                i += 1;
            }
            Tok::Ident(kw)
                if kw == "mod"
                    && toks.get(i + 1) == Some(&Tok::Punct('$'))
                    && toks.get(i + 3) == Some(&Tok::Punct('{')) =>
            {
                // `mod $name { … }` in a macro: an inline module all the same.
                let mut child = cur.clone();
                child.push(format!("${}", ident(toks.get(i + 2)).unwrap_or("_")));
                krate.modules.entry(child.clone()).or_default().file = file;
                depth += 1;
                stack.push((child, depth));
                i += 4;
            }
            Tok::Ident(kw) if kw == "mod" && ident(toks.get(i + 1)).is_some() => {
                let name = ident(toks.get(i + 1)).unwrap().to_string();
                krate
                    .modules
                    .get_mut(&cur)
                    .unwrap()
                    .children
                    .insert(name.clone());
                let mut child = cur.clone();
                child.push(name.clone());
                if toks.get(i + 2) == Some(&Tok::Punct('{')) {
                    if pending_test || tests.contains(&cur) {
                        tests.insert(child.clone());
                    }
                    krate.modules.entry(child.clone()).or_default().file = file;
                    depth += 1;
                    stack.push((child, depth));
                    i += 3;
                } else {
                    declared.push((cur.clone(), name, pending_path.take()));
                    i += 2;
                }
                pending_path = None;
                pending_test = false;
            }
            Tok::Ident(kw) if kw == "use" => {
                let public = i > 0
                    && (ident(toks.get(i - 1)) == Some("pub")
                        || (toks.get(i - 1) == Some(&Tok::Punct(')'))
                            && (1..6).any(|k| i > k && ident(toks.get(i - k)) == Some("pub"))));
                let mut leaves = Vec::new();
                let next = parse_use(&toks, i + 1, &[], &mut leaves);
                for mut leaf in leaves {
                    leaf.public = public;
                    let counts = !tests.contains(&cur)
                        && (!public
                            || leaf.name.as_ref().is_some_and(|n| used_outside.contains(n)));
                    krate.written.push((
                        file,
                        Written {
                            module: cur.clone(),
                            path: leaf.path.clone(),
                            counts,
                        },
                    ));
                    krate.modules.get_mut(&cur).unwrap().uses.push(leaf);
                }
                i = next;
            }
            Tok::Ident(kw) if ITEM_KEYWORDS.contains(&kw.as_str()) && at_item_level => {
                pending_test = false;
                if let Some(name) = ident(toks.get(i + 1)) {
                    krate
                        .modules
                        .get_mut(&cur)
                        .unwrap()
                        .items
                        .insert(name.to_string());
                }
                i += 1;
            }
            Tok::Ident(kw)
                if toks.get(i + 1) == Some(&Tok::Path)
                    && !(i > 0 && toks[i - 1] == Tok::Path)
                    && !(i > 0 && toks[i - 1] == Tok::Punct('$'))
                    && !(i > 0 && ident(toks.get(i - 1)) == Some("in")) =>
            {
                let mut path = vec![kw.clone()];
                let mut j = i + 1;
                while toks.get(j) == Some(&Tok::Path) {
                    match ident(toks.get(j + 1)) {
                        Some(s) => path.push(s.to_string()),
                        None => break,
                    }
                    j += 2;
                }
                krate.written.push((
                    file,
                    Written {
                        module: cur.clone(),
                        path,
                        counts: !tests.contains(&cur),
                    },
                ));
                i = j;
            }
            _ => i += 1,
        }
    }
    declared
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Reads a crate from its root file, following `mod` declarations.
pub fn read_crate(root: &Path) -> Crate {
    let mut krate = Crate::default();
    // (file, its module path, reached through `#[path]`)
    let mut todo = vec![(root.to_path_buf(), Vec::<String>::new(), false)];
    while let Some((path, module, via_path)) = todo.pop() {
        let file = krate.files.len();
        krate.files.push(path.clone());
        let dir = path.parent().unwrap().to_path_buf();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        // Where `mod x;` of this file looks: beside a mod.rs / lib.rs / main.rs or a file
        // loaded through `#[path]` (rustc treats those like mod.rs), else in a folder named
        // after the file.
        let own_dir = if module.is_empty() || stem == "mod" || via_path {
            dir.clone()
        } else {
            dir.join(&stem)
        };
        for (parent, name, explicit) in read_file(&mut krate, file, &module) {
            let mut child = parent.clone();
            child.push(name.clone());
            // Inline modules in between add folders.
            let inline: Vec<String> = parent[module.len()..].to_vec();
            let base = inline.iter().fold(own_dir.clone(), |d, m| d.join(m));
            let via_path = explicit.is_some();
            let target = match explicit {
                Some(p) => normalize(&dir.join(p)),
                None => {
                    let flat = base.join(format!("{name}.rs"));
                    if flat.exists() {
                        flat
                    } else {
                        base.join(&name).join("mod.rs")
                    }
                }
            };
            assert!(
                target.exists(),
                "{}: mod {name} not found at {}",
                path.display(),
                target.display()
            );
            todo.push((target, child, via_path));
        }
    }
    krate
}

impl Crate {
    /// The absolute module path and item rest of `path`, written in module `module`; `None`
    /// for a path into another crate.
    fn absolute(&self, module: &[String], path: &[String]) -> Option<Vec<String>> {
        let mut base: Vec<String>;
        let mut rest = path;
        match path.first().map(String::as_str) {
            Some("crate") => {
                base = Vec::new();
                rest = &path[1..];
            }
            Some("super") | Some("self") => {
                base = module.to_vec();
                while let Some(s) = rest.first().map(String::as_str) {
                    match s {
                        "super" => {
                            base.pop();
                        }
                        "self" => {}
                        _ => break,
                    }
                    rest = &rest[1..];
                }
            }
            Some(first) => {
                // A relative path: a child module or an item or import of this module.
                let m = self.modules.get(module)?;
                let local = m.children.contains(first)
                    || m.items.contains(first)
                    || m.uses.iter().any(|u| u.name.as_deref() == Some(first));
                if !local {
                    return None;
                }
                base = module.to_vec();
            }
            None => return None,
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The file that defines what the absolute path `abs` names.
    fn resolve(&self, abs: &[String], seen: &mut BTreeSet<Vec<String>>) -> Option<usize> {
        if !seen.insert(abs.to_vec()) {
            return None;
        }
        // Walk down the module tree as far as the path goes.
        let mut module: Vec<String> = Vec::new();
        for (k, seg) in abs.iter().enumerate() {
            let m = self.modules.get(&module)?;
            if m.children.contains(seg) {
                module.push(seg.clone());
                continue;
            }
            // `seg` is an item of `module`: defined here, imported, or glob-imported.
            if m.items.contains(seg) {
                return Some(m.file);
            }
            if let Some(u) = m
                .uses
                .iter()
                .find(|u| u.name.as_deref() == Some(seg.as_str()))
            {
                // Imported: followed to its definition (`None` from another crate).
                let mut target = self.absolute(&module, &u.path)?;
                target.extend(abs[k + 1..].iter().cloned());
                return self.resolve(&target, seen);
            }
            for u in m.uses.iter().filter(|u| u.name.is_none()) {
                if let Some(mut target) = self.absolute(&module, &u.path)
                    && self.defines(&target, seg)
                {
                    target.extend(abs[k..].iter().cloned());
                    if let Some(f) = self.resolve(&target, seen) {
                        return Some(f);
                    }
                }
            }
            return Some(m.file);
        }
        self.modules.get(&module).map(|m| m.file)
    }

    /// Whether module `module` has a child, an item or an import named `name`.
    fn defines(&self, module: &[String], name: &str) -> bool {
        self.modules.get(module).is_some_and(|m| {
            m.children.contains(name)
                || m.items.contains(name)
                || m.uses.iter().any(|u| u.name.as_deref() == Some(name))
        })
    }

    /// The file-level dependency graph: file → (file it depends on → the first path written
    /// in it that makes it so).
    pub fn graph(&self) -> Graph {
        let mut g: Graph = BTreeMap::new();
        for f in 0..self.files.len() {
            g.entry(f).or_default();
        }
        for (file, w) in &self.written {
            if !w.counts {
                continue;
            }
            let Some(abs) = self.absolute(&w.module, &w.path) else {
                continue;
            };
            if let Some(target) = self.resolve(&abs, &mut BTreeSet::new())
                && target != *file
            {
                g.entry(*file)
                    .or_default()
                    .entry(target)
                    .or_insert_with(|| w.path.join("::"));
            }
        }
        g
    }
}

/// Every circle of the graph, as a list of files (one per strongly connected component of more
/// than one file, walked as a concrete cycle).
pub fn circles(g: &Graph) -> Vec<(Vec<usize>, BTreeSet<usize>)> {
    // Tarjan's algorithm, iteratively.
    let n = g.keys().max().map_or(0, |m| m + 1);
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut sccs = Vec::new();
    for &start in g.keys() {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, Vec<usize>)> = vec![(start, g[&start].keys().copied().collect())];
        index[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some((v, succ)) = work.last_mut() {
            let v = *v;
            if let Some(w) = succ.pop() {
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, g[&w].keys().copied().collect()));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some((u, _)) = work.last() {
                    low[*u] = low[*u].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    loop {
                        let w = stack.pop().unwrap();
                        on_stack[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if comp.len() > 1 {
                        sccs.push(comp);
                    }
                }
            }
        }
    }
    // A concrete cycle through each component: breadth-first from its least file back to it.
    sccs.into_iter()
        .map(|comp| {
            let set: BTreeSet<usize> = comp.iter().copied().collect();
            let start = *set.iter().next().unwrap();
            let mut prev: BTreeMap<usize, usize> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            'bfs: while let Some(v) = queue.pop_front() {
                for &w in g[&v].keys() {
                    if !set.contains(&w) {
                        continue;
                    }
                    if w == start {
                        prev.insert(start, v);
                        break 'bfs;
                    }
                    if let std::collections::btree_map::Entry::Vacant(e) = prev.entry(w) {
                        e.insert(v);
                        queue.push_back(w);
                    }
                }
            }
            let mut cycle = vec![start];
            let mut v = prev[&start];
            while v != start {
                cycle.push(v);
                v = prev[&v];
            }
            cycle.reverse();
            cycle.rotate_right(1);
            (cycle, set)
        })
        .collect()
}
