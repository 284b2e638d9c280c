//! The layout's two rules, checked on the sources (docs/architecture.md says why):
//!
//! - no file in `src/` is over 500 lines;
//! - no import cycle: in every folder of `src/` (and in `src/` itself), the entries (files
//!   and subfolders) use each other one way only. A folder counts as one node in the folder
//!   above it, whatever its files use among themselves; its `mod.rs` (or `lib.rs`) is the
//!   folder itself, the face its entries share, and is not a node of its own graph.
//!
//! Edges come from the sources: `use` trees and paths in code that start with `crate::`,
//! `super::`, `self::` or the name of a child module, resolved to the module they name
//! (through `pub use` re-exports). Comments, strings, test modules (`#[cfg(test)] mod`,
//! files named `tests.rs`) and `main.rs` (which uses the library from outside) are left out.
//! On failure the test prints the cycle, with the file and path behind each edge.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 500;

#[test]
fn no_file_in_src_is_over_500_lines() {
    let mut long = Vec::new();
    for path in files(Path::new("src")) {
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let lines = text.lines().count();
        if lines > MAX_LINES {
            long.push(format!("{} has {lines} lines", path.display()));
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split out a coherent part):\n{}",
        long.join("\n")
    );
}

#[test]
fn no_import_cycle_between_modules() {
    let graph = Graph::read(Path::new("src"));
    assert!(
        graph.edges.len() > 50,
        "the module graph looks too small to be right: {} edges",
        graph.edges.len()
    );
    if let Some(cycle) = graph.cycle() {
        panic!("import cycle:\n{cycle}");
    }
}

/// The checker itself: a planted cycle is found and shown, through a subfolder and a
/// grouped `use`; a child using its folder's `mod.rs` is not one.
#[test]
fn a_planted_cycle_is_found() {
    let dir = std::env::temp_dir().join(format!("layout-test-{}", std::process::id()));
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write(
        "lib.rs",
        "pub mod a;\npub mod b;\npub mod c;\npub use a::Thing;\n",
    );
    write(
        "a.rs",
        "use crate::{b::inner::{self, Other as O}};\npub struct Thing;\n",
    );
    write("b/mod.rs", "pub mod inner;\npub struct Shared;\n");
    write(
        "b/inner.rs",
        "pub fn f() -> super::Shared { crate::c::g() }\n",
    );
    write(
        "c.rs",
        "// crate::b is only a comment here\npub fn g() { let _ = crate::Thing; }\n",
    );
    let graph = Graph::read(&dir);
    let cycle = graph.cycle();
    fs::remove_dir_all(&dir).unwrap();
    let cycle = cycle.expect("the planted cycle a -> b -> c -> a");
    for edge in ["a -> b", "b -> c", "c -> a", "crate::Thing"] {
        assert!(cycle.contains(edge), "{edge} missing from:\n{cycle}");
    }
}

/// Every file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("read src/").path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A module path, `["trace", "fast"]` for `src/trace/fast.rs`; the crate root is empty.
type Module = Vec<String>;

/// One module using another, with where it was seen.
struct Edge {
    from: Module,
    to: Module,
    file: PathBuf,
    path: String,
}

struct Graph {
    edges: Vec<Edge>,
}

impl Graph {
    /// The module graph of the crate whose `lib.rs` is in `src`.
    fn read(src: &Path) -> Graph {
        let mut sources = BTreeMap::new();
        for file in files(src) {
            if file.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let rel = file.strip_prefix(src).unwrap().with_extension("");
            let mut module: Module = rel
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            match module.last().map(String::as_str) {
                Some("main" | "tests") => continue,
                Some("lib" | "mod") => {
                    module.pop();
                }
                _ => {}
            }
            let text = without_tests(&strip(&fs::read_to_string(&file).unwrap()));
            sources.insert(module, (file, tokens(&text)));
        }
        let modules: BTreeSet<Module> = sources.keys().cloned().collect();
        // Each module's `pub use`: the name it exports, and the absolute path it names.
        let mut exports: BTreeMap<Module, BTreeMap<String, Module>> = BTreeMap::new();
        for (module, (_, tokens)) in &sources {
            for (path, public) in use_paths(tokens) {
                if let (true, false, Some(abs)) = (
                    public,
                    path.alias.is_empty(),
                    absolute(module, &path.names, &modules),
                ) {
                    exports
                        .entry(module.clone())
                        .or_default()
                        .insert(path.alias, abs);
                }
            }
        }
        let mut edges = Vec::new();
        for (module, (file, tokens)) in &sources {
            let mut paths: Vec<Vec<String>> = use_paths(tokens)
                .into_iter()
                .map(|(path, _)| path.names)
                .collect();
            paths.extend(code_paths(tokens));
            for names in paths {
                let Some(abs) = absolute(module, &names, &modules) else {
                    continue;
                };
                let to = target(&abs, &modules, &exports);
                if &to != module {
                    edges.push(Edge {
                        from: module.clone(),
                        to,
                        file: file.clone(),
                        path: names.join("::"),
                    });
                }
            }
        }
        Graph { edges }
    }

    /// A cycle among the entries of some folder, shown edge by edge; `None` when there is none.
    fn cycle(&self) -> Option<String> {
        let folders: BTreeSet<Module> = self
            .edges
            .iter()
            .flat_map(|edge| [&edge.from, &edge.to])
            .flat_map(|module| (0..module.len()).map(|len| module[..len].to_vec()))
            .collect();
        for folder in folders {
            // The entries of `folder` each edge joins, when it joins two different ones.
            let mut next: BTreeMap<&str, BTreeMap<&str, &Edge>> = BTreeMap::new();
            for edge in &self.edges {
                let (Some(from), Some(to)) = (entry(&folder, &edge.from), entry(&folder, &edge.to))
                else {
                    continue;
                };
                if from != to {
                    next.entry(from).or_default().entry(to).or_insert(edge);
                }
            }
            if let Some(path) = find_cycle(&next) {
                let name = if folder.is_empty() {
                    "src/".to_owned()
                } else {
                    format!("src/{}/", folder.join("/"))
                };
                let mut shown = format!("between the entries of {name}: {}\n", path.join(" -> "));
                for pair in path.windows(2) {
                    let edge = next[pair[0]][pair[1]];
                    let _ = writeln!(
                        shown,
                        "  {} -> {}: {} uses {}",
                        pair[0],
                        pair[1],
                        edge.file.display(),
                        edge.path
                    );
                }
                return Some(shown);
            }
        }
        None
    }
}

/// The entry of `folder` that `module` lies in, if it lies strictly inside it.
fn entry<'a>(folder: &[String], module: &'a [String]) -> Option<&'a str> {
    (module.len() > folder.len() && module.starts_with(folder))
        .then(|| module[folder.len()].as_str())
}

/// A cycle in a small graph, as the nodes walked (the first again at the end).
fn find_cycle<'a>(next: &BTreeMap<&'a str, BTreeMap<&'a str, &Edge>>) -> Option<Vec<&'a str>> {
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, BTreeMap<&'a str, &Edge>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = stack.iter().position(|&n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        stack.push(node);
        for &to in next.get(node).into_iter().flat_map(BTreeMap::keys) {
            if let Some(cycle) = visit(to, next, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    next.keys()
        .find_map(|&node| visit(node, next, &mut Vec::new(), &mut done))
}

/// Resolves `names` as written in `module` to an absolute path; `None` when it does not
/// start in this crate (`std::`, another crate, a local name).
fn absolute(module: &[String], names: &[String], modules: &BTreeSet<Module>) -> Option<Module> {
    let (first, rest) = names.split_first()?;
    let mut base = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().checked_sub(1)?].to_vec(),
        _ => {
            let mut child = module.to_vec();
            child.push(first.clone());
            if !modules.contains(&child) {
                return None;
            }
            child
        }
    };
    let mut rest = rest;
    while first == "super" && rest.first().is_some_and(|name| name == "super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The module an absolute path lands in: its longest prefix that is a module, followed
/// through that module's `pub use` when the next name is re-exported there.
fn target(
    abs: &[String],
    modules: &BTreeSet<Module>,
    exports: &BTreeMap<Module, BTreeMap<String, Module>>,
) -> Module {
    let mut abs = abs.to_vec();
    for _ in 0..8 {
        let len = (0..=abs.len())
            .rev()
            .find(|&len| modules.contains(&abs[..len]))
            .unwrap_or(0);
        let module = abs[..len].to_vec();
        let Some(via) = abs
            .get(len)
            .and_then(|name| exports.get(&module)?.get(name))
        else {
            return module;
        };
        let mut followed = via.clone();
        followed.extend(abs[len + 1..].iter().cloned());
        abs = followed;
    }
    abs
}

/// The source with comments, strings and character literals blanked out (newlines kept).
fn strip(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while at < chars.len() {
        let c = chars[at];
        let next = chars.get(at + 1).copied();
        if c == '/' && next == Some('/') {
            while at < chars.len() && chars[at] != '\n' {
                at += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while at < chars.len() {
                if chars[at] == '/' && chars.get(at + 1) == Some(&'*') {
                    depth += 1;
                    at += 2;
                } else if chars[at] == '*' && chars.get(at + 1) == Some(&'/') {
                    depth -= 1;
                    at += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    at += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (at == 0
                || !ident(chars[at - 1])
                || (chars[at - 1] == 'b' && (at < 2 || !ident(chars[at - 2]))))
            && matches!(next, Some('"' | '#'))
        {
            // A raw string: r"..." or r#"..."#.
            let hashes = chars[at + 1..].iter().take_while(|&&c| c == '#').count();
            if chars.get(at + 1 + hashes) == Some(&'"') {
                at += 2 + hashes;
                while at < chars.len() {
                    if chars[at] == '"'
                        && chars[at + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|&&c| c == '#')
                            .count()
                            == hashes
                    {
                        at += 1 + hashes;
                        break;
                    }
                    at += 1;
                }
                out.push_str("\"\"");
            } else {
                out.push(c);
                at += 1;
            }
        } else if c == '"' {
            at += 1;
            while at < chars.len() && chars[at] != '"' {
                at += if chars[at] == '\\' { 2 } else { 1 };
            }
            at += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next == Some('\\') {
            at += 2;
            while at < chars.len() && chars[at] != '\'' {
                at += 1;
            }
            at += 1;
            out.push_str("' '");
        } else if c == '\'' && chars.get(at + 2) == Some(&'\'') {
            at += 3;
            out.push_str("' '");
        } else {
            out.push(c);
            at += 1;
        }
    }
    out
}

/// The text without its `#[cfg(test)] mod name { ... }` blocks.
fn without_tests(text: &str) -> String {
    let mut out = text.to_owned();
    while let Some(start) = out.find("#[cfg(test)]") {
        let after = &out[start + "#[cfg(test)]".len()..];
        let rest = after.trim_start();
        let is_inline_mod = rest.starts_with("mod ")
            && rest
                .find('{')
                .is_some_and(|brace| rest.find(';').is_none_or(|semi| brace < semi));
        if !is_inline_mod {
            out.replace_range(start..start + "#[cfg(test)]".len(), "");
            continue;
        }
        let open =
            start + "#[cfg(test)]".len() + (after.len() - rest.len()) + rest.find('{').unwrap();
        let mut depth = 0;
        let mut end = out.len();
        for (i, c) in out[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.replace_range(start..end, "");
    }
    out
}

/// Identifiers and the punctuation paths are made of; anything else becomes `?`.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c.is_alphanumeric() || c == '_' {
            let start = at;
            while at < chars.len() && (chars[at].is_alphanumeric() || chars[at] == '_') {
                at += 1;
            }
            out.push(chars[start..at].iter().collect());
            continue;
        }
        if c == ':' && chars.get(at + 1) == Some(&':') {
            out.push("::".to_owned());
            at += 2;
            continue;
        }
        if !c.is_whitespace() {
            out.push(if "{},;*()".contains(c) {
                c.to_string()
            } else {
                "?".to_owned()
            });
        }
        at += 1;
    }
    out
}

/// One path of a `use` tree, and the name it brings in.
struct UsePath {
    names: Vec<String>,
    alias: String,
}

/// Every path in the `use` declarations, and whether the declaration is `pub`.
fn use_paths(tokens: &[String]) -> Vec<(UsePath, bool)> {
    let mut out = Vec::new();
    for (at, token) in tokens.iter().enumerate() {
        if token != "use" {
            continue;
        }
        // `pub use` or `pub(crate) use`.
        let public = tokens[..at].last().is_some_and(|t| t == "pub")
            || (tokens[..at].last().is_some_and(|t| t == ")")
                && tokens[..at].iter().rev().nth(3).is_some_and(|t| t == "pub"));
        let mut pos = at + 1;
        let mut paths = Vec::new();
        use_tree(tokens, &mut pos, &mut Vec::new(), &mut paths);
        out.extend(paths.into_iter().map(|path| (path, public)));
    }
    out
}

/// Reads one use tree at `pos` under `prefix`.
fn use_tree(tokens: &[String], pos: &mut usize, prefix: &mut Vec<String>, out: &mut Vec<UsePath>) {
    let depth = prefix.len();
    while let Some(token) = tokens.get(*pos) {
        match token.as_str() {
            "{" => {
                *pos += 1;
                loop {
                    use_tree(tokens, pos, prefix, out);
                    match tokens.get(*pos).map(String::as_str) {
                        Some(",") => *pos += 1,
                        Some("}") => {
                            *pos += 1;
                            break;
                        }
                        _ => break,
                    }
                    if tokens.get(*pos).is_some_and(|t| t == "}") {
                        *pos += 1;
                        break;
                    }
                }
                prefix.truncate(depth);
                return;
            }
            "*" => {
                *pos += 1;
                out.push(UsePath {
                    names: prefix.clone(),
                    alias: String::new(),
                });
                prefix.truncate(depth);
                return;
            }
            "::" => *pos += 1,
            "," | "}" | ";" => break,
            name if name.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                *pos += 1;
                prefix.push(name.to_owned());
                if tokens.get(*pos).is_some_and(|t| t == "as") {
                    let alias = tokens.get(*pos + 1).cloned().unwrap_or_default();
                    *pos += 2;
                    out.push(UsePath {
                        names: prefix.clone(),
                        alias,
                    });
                    prefix.truncate(depth);
                    return;
                }
            }
            _ => break,
        }
    }
    if prefix.len() > depth {
        let mut names = prefix.clone();
        // `self` in a group names the module of the group.
        if names.last().is_some_and(|n| n == "self") && names.len() > 1 {
            names.pop();
        }
        let alias = names.last().cloned().unwrap_or_default();
        out.push(UsePath { names, alias });
    }
    prefix.truncate(depth);
}

/// Paths in code (outside `use`): `a::b::c` sequences; [`absolute`] keeps those of this crate.
fn code_paths(tokens: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut in_use = false;
    while at < tokens.len() {
        match tokens[at].as_str() {
            "use" => in_use = true,
            ";" => in_use = false,
            _ => {}
        }
        let starts = !in_use
            && tokens.get(at + 1).is_some_and(|t| t == "::")
            && (at == 0 || tokens[at - 1] != "::")
            && tokens[at].chars().all(|c| c.is_alphanumeric() || c == '_');
        if !starts {
            at += 1;
            continue;
        }
        let mut names = vec![tokens[at].clone()];
        at += 1;
        while tokens.get(at).is_some_and(|t| t == "::")
            && tokens
                .get(at + 1)
                .is_some_and(|t| t.chars().all(|c| c.is_alphanumeric() || c == '_'))
        {
            names.push(tokens[at + 1].clone());
            at += 2;
        }
        out.push(names);
    }
    out
}
