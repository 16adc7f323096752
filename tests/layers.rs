//! The architecture, read from the tree: `src/` runs in one-way layers (STYLE.md, lib.rs).
//!
//! ```text
//! app, cli ──▶ api, dav ──▶ http            transport: knows poem/hyper, never routes or rules
//!               └────▶ service ──▶ db, store     rules; SQL only in db/, bytes only in store/
//! leaves any layer may use: error, config, secret, ids
//! ```
//!
//! Every `crate::` path in `src/**/*.rs` (and `super::` paths that leave a top-level
//! module) is an edge between two top-level modules. This test fails on an edge the
//! arrows above do not allow, on a cycle between top-level modules, on a cycle between the
//! sub-modules of one module (`service::drive` ↔ `service::shares`, `drive::tree` ↔
//! `drive::upload`), on a loose file at the root of `src/` outside the spine, and on SQL
//! outside `db/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Modules every layer may use; they use no module of ours but each other's leaves.
const LEAVES: &[&str] = &["error", "config", "secret", "ids", "blob"];

/// Which top-level modules each may use, besides the leaves.
const ALLOWED: &[(&str, &[&str])] = &[
    ("main", &[]),
    ("lib", &[]),
    ("cli", &["app", "api", "http", "service"]),
    ("app", &["api", "dav", "http", "service"]),
    ("api", &["http", "service"]),
    ("dav", &["http", "service"]),
    ("http", &[]),
    ("service", &["db", "store"]),
    ("db", &[]),
    ("store", &[]),
    ("error", &[]),
    ("config", &[]),
    ("secret", &[]),
    ("ids", &[]),
    ("blob", &[]),
    // The fuzz harness, compiled only with the `fuzzing` feature (fuzz/, tests/fuzz.rs):
    // it drives the parsers of every layer.
    ("fuzzing", &["api", "http", "service"]),
];

/// The root of `src/`: the spine and the leaves, nothing else.
const ROOT_FILES: &[&str] = &[
    "main.rs",
    "lib.rs",
    "cli.rs",
    "config.rs",
    "app.rs",
    "error.rs",
    "ids.rs",
    "secret.rs",
    "blob.rs",
    "fuzzing.rs",
];

type Graph = BTreeMap<String, BTreeSet<String>>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/service/drive/tree.rs` → [service, drive, tree].
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The code of a file without comment lines (doc comments name modules in prose).
fn code(file: &Path) -> String {
    fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses a `use` tree (or a path in an expression) at the start of `text`: every path it
/// names, as segments (`a::{b, c::d}` → [a, b], [a, c, d]).
fn use_tree(text: &str) -> Vec<Vec<String>> {
    let mut pos = 0;
    tree(text.as_bytes(), &mut pos)
}

fn tree(s: &[u8], pos: &mut usize) -> Vec<Vec<String>> {
    skip_space(s, pos);
    if s.get(*pos) == Some(&b'{') {
        *pos += 1;
        let mut all = Vec::new();
        loop {
            skip_space(s, pos);
            match s.get(*pos) {
                None => return all,
                Some(b'}') => {
                    *pos += 1;
                    return all;
                }
                Some(b',') => *pos += 1,
                _ => all.extend(tree(s, pos)),
            }
        }
    }
    let start = *pos;
    while s
        .get(*pos)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    {
        *pos += 1;
    }
    if start == *pos {
        // `*`, or not a path: consume one byte so the caller's loop advances.
        *pos += 1;
        return vec![Vec::new()];
    }
    let ident = String::from_utf8_lossy(&s[start..*pos]).into_owned();
    if s.get(*pos..*pos + 2) == Some(b"::") {
        *pos += 2;
        let rest = tree(s, pos);
        return rest
            .into_iter()
            .map(|mut tail| {
                tail.insert(0, ident.clone());
                tail
            })
            .collect();
    }
    skip_as_rename(s, pos);
    vec![vec![ident]]
}

fn skip_space(s: &[u8], pos: &mut usize) {
    while s.get(*pos).is_some_and(u8::is_ascii_whitespace) {
        *pos += 1;
    }
}

/// `x as y`: the rename names nothing of ours.
fn skip_as_rename(s: &[u8], pos: &mut usize) {
    let mut look = *pos;
    skip_space(s, &mut look);
    if s.get(look..look + 3) == Some(b"as ") {
        look += 3;
        skip_space(s, &mut look);
        while s
            .get(look)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            look += 1;
        }
        *pos = look;
    }
}

/// Every module path (from the crate root) that a file's code names.
fn references(file: &Path) -> Vec<Vec<String>> {
    let text = code(file);
    let module = module_of(file);
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `hoard_crate::`, not ours
        }
        found.extend(use_tree(&text[at + "crate::".len()..]));
    }
    // `super::` leaves the file's module: [a, b, c] (file c in a/b) → a::b.
    for (at, _) in text.match_indices("super::") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // counted from its first `super::`
        }
        let mut base = module.clone();
        let mut rest = &text[at..];
        while let Some(tail) = rest.strip_prefix("super::") {
            base.pop();
            rest = tail;
        }
        if in_test_module(&text, at) {
            continue; // `use super::*` of a colocated test module is the file itself
        }
        for path in use_tree(rest) {
            let mut full = base.clone();
            full.extend(path);
            found.push(full);
        }
    }
    found.retain(|p| !p.is_empty());
    found
}

/// Whether position `at` lies after the file's `#[cfg(test)]` line (colocated tests come last).
fn in_test_module(text: &str, at: usize) -> bool {
    text.find("#[cfg(test)]").is_some_and(|t| t < at)
}

/// Edges between modules `depth` segments deep (1: top-level), for files under `within`.
fn graph(depth: usize, within: &[String]) -> Graph {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut edges = Graph::new();
    for file in files {
        let module = module_of(&file);
        if module.len() < depth || !module.starts_with(within) {
            continue;
        }
        let from = module[..depth].join("::");
        edges.entry(from.clone()).or_default();
        for path in references(&file) {
            if path.len() < depth || !path.starts_with(within) {
                continue;
            }
            let to = path[..depth].join("::");
            if to != from && known_module(&path[..depth]) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    edges
}

/// A path names a module of ours (not an item such as `crate::Foo` or a function).
fn known_module(path: &[String]) -> bool {
    let mut dir = src();
    for part in &path[..path.len() - 1] {
        dir = dir.join(part);
    }
    let last = &path[path.len() - 1];
    dir.join(format!("{last}.rs")).is_file() || dir.join(last).join("mod.rs").is_file()
}

/// One cycle of the graph, if it has any.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut found = stack[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, stack, done) {
                return Some(found);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_only_use_the_layers_below_them() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (from, tos) in graph(1, &[]) {
        let Some(may) = allowed.get(from.as_str()) else {
            wrong.push(format!(
                "{from}: a top-level module this test does not know"
            ));
            continue;
        };
        for to in tos {
            if !may.contains(&to.as_str()) && !LEAVES.contains(&to.as_str()) {
                wrong.push(format!("{from} → {to}"));
            }
        }
    }
    assert!(wrong.is_empty(), "edges against the layers: {wrong:#?}");
}

#[test]
fn leaves_use_no_other_module_of_ours() {
    for (from, tos) in graph(1, &[]) {
        if LEAVES.contains(&from.as_str()) {
            let others: Vec<_> = tos
                .iter()
                .filter(|t| !LEAVES.contains(&t.as_str()))
                .collect();
            assert!(others.is_empty(), "leaf {from} uses {others:?}");
        }
    }
}

#[test]
fn no_cycle_between_top_level_modules() {
    assert_eq!(cycle(&graph(1, &[])), None);
}

#[test]
fn no_cycle_between_the_sub_modules_of_a_module() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut parents: BTreeSet<Vec<String>> = BTreeSet::new();
    for file in &files {
        let module = module_of(file);
        for depth in 1..module.len() {
            parents.insert(module[..depth].to_vec());
        }
    }
    for parent in parents {
        let sub = graph(parent.len() + 1, &parent);
        assert_eq!(cycle(&sub), None, "a cycle inside {}", parent.join("::"));
    }
}

#[test]
fn the_root_of_src_holds_only_the_spine() {
    let mut loose: Vec<String> = fs::read_dir(src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| !ROOT_FILES.contains(&name.as_str()))
        .collect();
    loose.sort();
    assert!(
        loose.is_empty(),
        "loose files at the root of src/: {loose:?}"
    );
}

#[test]
fn sql_lives_only_in_db() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let sql = [
        "SELECT ",
        "INSERT INTO",
        "UPDATE ",
        "DELETE FROM",
        "PRAGMA ",
        ".execute(",
        ".prepare(",
    ];
    let mut outside = Vec::new();
    for file in files {
        if module_of(&file).first().is_some_and(|top| top == "db") {
            continue;
        }
        let text = code(&file);
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for word in sql {
            if text.contains(word) {
                outside.push(format!("{}: {word}", file.display()));
            }
        }
    }
    assert!(outside.is_empty(), "SQL outside db/: {outside:#?}");
}

#[test]
fn the_parser_reads_use_trees() {
    assert_eq!(
        use_tree("{api, http::{middleware, spa}, service::Services as S};"),
        vec![
            vec!["api".to_owned()],
            vec!["http".to_owned(), "middleware".to_owned()],
            vec!["http".to_owned(), "spa".to_owned()],
            vec!["service".to_owned(), "Services".to_owned()],
        ]
    );
}
