//! The house rules, checked on the source text (ARCHITECTURE.md, "Architecture invariants"):
//!
//! 1. **No import circle between files.** For every crate of the workspace (the kernel, the
//!    models, the CLI library and binary, each integration test and bench) the test builds the
//!    module tree from `mod` declarations (with `#[path]`), reads every `use` tree (grouped
//!    `use crate::{a, b::c}`, `self`, aliases, globs) and every inline path (`crate::x::y`,
//!    `super::x`, `self::x`, and `x::y` where `x` is a child module or an imported name),
//!    resolves each to the **file that defines the named item**, and fails naming the circle
//!    and the path behind each step of it.
//! 2. **No source file over 800 lines** (counted like `wc -l`).
//! 3. **The Kafka model's layers** (`models/src/kafka/`): a file depends only on its own part and
//!    on parts of a lower rank (see [`KAFKA_LAYERS`]).
//!
//! What counts as an edge (the rule, also stated in ARCHITECTURE.md):
//! - a `mod x;` declaration is not an edge: a parent owns its children and a child may use its
//!   parent (`super::Broker`), so a parent must not import from the children that extend it;
//! - a `pub use` is a facade, not an edge: a file naming `crate::kafka::Foo` depends on the file
//!   that *defines* `Foo`, found by following the `use` bindings and glob imports of
//!   `kafka/mod.rs` down to the definition, so a re-export can never hide a circle; a `pub use`d
//!   name that the re-exporting file also uses in its own code is an edge like a private `use`;
//! - a path that cannot be followed to a definition depends on the file of the module it names
//!   (at least `kafka/mod.rs`);
//! - code inside a `#[cfg(test)]` inline module is a leaf of its own (nothing imports a test
//!   module), so a unit test may use any module of its crate.
//!
//! The parser is deliberately small: comments, strings and char literals are skipped, and the
//! rest is read as identifiers and punctuation. Paths a macro builds out of tokens are not seen;
//! nothing in this workspace does that.

use std::fs;
use std::path::{Path, PathBuf};

/// The longest a source file may be, in lines.
const MAX_LINES: usize = 800;

/// The Kafka model's layers, lowest first: a file under `models/src/kafka/<folder>/` may import
/// from its own folder and from folders of a lower rank only (`mod.rs` of `kafka/` itself sits on
/// top and assembles the parts). Folders of the same rank do not import each other.
const KAFKA_LAYERS: &[(&str, u32)] = &[
    ("config", 0),
    ("wire", 1),
    ("checkers", 2),
    ("broker", 2),
    ("clients", 2),
    ("coordinators", 3),
    ("applications", 4),
];

#[path = "architecture/graph.rs"]
mod graph;

use graph::{circles, read_crate};

// ---------------------------------------------------------------------------------------------
// The workspace

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rs_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

/// Every crate root of the workspace: libraries, binaries, integration tests, benches.
fn crate_roots(ws: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    for dir in [
        ws.to_path_buf(),
        ws.join("sim"),
        ws.join("models"),
        ws.join("fuzz"),
    ] {
        for f in ["src/lib.rs", "src/main.rs"] {
            if dir.join(f).exists() {
                roots.push(dir.join(f));
            }
        }
        for sub in ["tests", "benches", "fuzz_targets"] {
            if let Ok(entries) = fs::read_dir(dir.join(sub)) {
                let mut files: Vec<PathBuf> = entries
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|e| e == "rs"))
                    .collect();
                files.sort();
                roots.extend(files);
            }
        }
    }
    roots
}

fn rel(ws: &Path, p: &Path) -> String {
    p.strip_prefix(ws).unwrap_or(p).display().to_string()
}

/// The import circles of the crate rooted at `root`, each as `a.rs -(path)-> b.rs -(path)-> a.rs`.
fn crate_circles(ws: &Path, root: &Path) -> Vec<String> {
    let krate = read_crate(root);
    let g = krate.graph();
    circles(&g)
        .into_iter()
        .map(|(cycle, all)| {
            let name = |f: &usize| rel(ws, &krate.files[*f]);
            // `a.rs -(crate::x::Y)-> b.rs -(super::Z)-> a.rs`: each step with the path that makes it.
            let mut s = name(&cycle[0]);
            for (k, f) in cycle.iter().enumerate() {
                let next = cycle[(k + 1) % cycle.len()];
                s += &format!(" -({})-> {}", g[f][&next], name(&next));
            }
            if all.len() > cycle.len() {
                let rest: Vec<String> = all
                    .iter()
                    .filter(|f| !cycle.contains(f))
                    .map(name)
                    .collect();
                s += &format!(" (and through it: {})", rest.join(", "));
            }
            s
        })
        .collect()
}

#[test]
fn no_import_circle_between_files() {
    let ws = workspace();
    let mut found = Vec::new();
    for root in crate_roots(&ws) {
        found.extend(crate_circles(&ws, &root));
    }
    assert!(
        found.is_empty(),
        "import circles between files:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn no_source_file_over_800_lines() {
    let ws = workspace();
    let mut files = Vec::new();
    for dir in ["src", "sim", "models", "tests", "benches", "fuzz"] {
        rs_files(&ws.join(dir), &mut files);
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = fs::read_to_string(f)
                .unwrap()
                .bytes()
                .filter(|&b| b == b'\n')
                .count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", rel(&ws, f)))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n  {}",
        long.join("\n  ")
    );
}

#[test]
fn kafka_layers_point_down() {
    let ws = workspace();
    let krate = read_crate(&ws.join("models/src/lib.rs"));
    let kafka = ws.join("models/src/kafka");
    let layer = |f: usize| -> Option<(&'static str, u32)> {
        let p = krate.files[f].strip_prefix(&kafka).ok()?;
        let first = p
            .components()
            .next()?
            .as_os_str()
            .to_string_lossy()
            .to_string();
        // `config.rs` belongs to the `config` layer with `config/`.
        let folder = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        KAFKA_LAYERS.iter().find(|(n, _)| *n == folder).copied()
    };
    let mut wrong = Vec::new();
    for (from, tos) in krate.graph() {
        let Some((fname, frank)) = layer(from) else {
            continue;
        };
        for (to, why) in tos {
            let ok = match layer(to) {
                Some((tname, trank)) => tname == fname || trank < frank,
                // Outside the layered folders: the crate's shared modules are fine, kafka/mod.rs
                // (the assembly on top) is not.
                None => !krate.files[to].starts_with(&kafka),
            };
            if !ok {
                wrong.push(format!(
                    "{} -({why})-> {}",
                    rel(&ws, &krate.files[from]),
                    rel(&ws, &krate.files[to])
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports pointing up or sideways in the Kafka model:\n  {}",
        wrong.join("\n  ")
    );
}

/// The checker itself: a circle through a grouped import, through a re-export, and an inline
/// path are all found; `mod` declarations and unused re-exports are not edges.
#[test]
fn the_checker_sees_circles() {
    let dir = std::env::temp_dir().join(format!("msgsim-arch-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("k")).unwrap();
    let w = |p: &str, s: &str| fs::write(dir.join(p), s).unwrap();
    w("lib.rs", "mod k;\nmod top;\npub use top::Top;\n");
    w(
        "top.rs",
        "use crate::k::{self, Wire};\npub struct Top(Wire);\n",
    );
    w(
        "k/mod.rs",
        "mod a;\nmod b;\npub use a::Wire;\npub use b::Other;\n",
    );
    w(
        "k/a.rs",
        "pub struct Wire;\nfn f() -> crate::k::Other { todo!() }\n",
    );
    w("k/b.rs", "use super::super::Top;\npub struct Other(Top);\n");
    let found = crate_circles(&dir, &dir.join("lib.rs"));
    assert_eq!(
        found,
        vec![
            "top.rs -(crate::k::Wire)-> k/a.rs -(crate::k::Other)-> k/b.rs \
             -(super::super::Top)-> top.rs"
                .to_string()
        ]
    );
    // Without the inline path in a.rs there is none: top.rs -> a.rs only.
    w("k/a.rs", "pub struct Wire;\n");
    assert!(crate_circles(&dir, &dir.join("lib.rs")).is_empty());
    fs::remove_dir_all(&dir).unwrap();
}
