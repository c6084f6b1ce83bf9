//! The house's shape, held to what `src/lib.rs` says at its top: every import
//! between files of `src/` (`use crate::…`, `crate::…` paths, `super::…`, a child
//! module's name, and `gatekeeper::…` in `main.rs`) runs down the layer list or
//! stays in its layer, and no files import each other in a circle. A module's own
//! file naming its children is its face, not an import (the `mod` tree already
//! ties them). Test modules (`#[cfg(test)] mod …` to the end of a file) are not
//! read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, from the ground up: each a name and the module paths it holds
/// (`sources::http` is more specific than `sources`).
type Layers = Vec<(String, Vec<String>)>;

/// Reads the list under "Layers, from the ground up" in `src/lib.rs`: one line
/// `//! N. name: module, module::child, …` per layer.
fn layers_of(lib: &str) -> Layers {
    let mut layers = Vec::new();
    let mut inside = false;
    for line in lib.lines() {
        let Some(text) = line.strip_prefix("//!") else {
            continue;
        };
        let text = text.trim();
        if text.starts_with("Layers, from the ground up") {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        let Some((number, rest)) = text.split_once(". ") else {
            if layers.is_empty() {
                continue;
            }
            break;
        };
        if number.parse::<u32>().is_err() {
            break;
        }
        let Some((name, modules)) = rest.split_once(':') else {
            break;
        };
        let modules = modules
            .split(',')
            .map(|m| m.trim().trim_end_matches('.').to_owned())
            .filter(|m| !m.is_empty())
            .collect();
        layers.push((name.trim().to_owned(), modules));
    }
    layers
}

/// A crate's source: each file's path (from `src/`) and text.
type Files = BTreeMap<String, String>;

fn read_src(dir: &Path) -> Files {
    fn walk(dir: &Path, root: &Path, out: &mut Files) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut files = Files::new();
    walk(dir, dir, &mut files);
    files
}

/// The module path of a file: `sources/http.rs` and `sources/http/mod.rs` are
/// `["sources", "http"]`; `lib.rs` and `main.rs` are the crate's root.
fn module_of(file: &str) -> Vec<String> {
    let stem = file.trim_end_matches(".rs");
    let stem = stem.strip_suffix("/mod").unwrap_or(stem);
    if stem == "lib" || stem == "main" {
        return Vec::new();
    }
    stem.split('/').map(str::to_owned).collect()
}

/// The file that defines module `path`, or its nearest ancestor that has a file.
fn file_of(files: &Files, path: &[String]) -> Option<String> {
    for k in (1..=path.len()).rev() {
        let joined = path[..k].join("/");
        for candidate in [format!("{joined}.rs"), format!("{joined}/mod.rs")] {
            if files.contains_key(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// The text without comments, string literals and test modules.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        // Strings may quote a path in a message: blanked.
        let mut in_string = false;
        let mut escaped = false;
        for c in line.chars() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
                continue;
            }
            if c == '"' {
                in_string = true;
                continue;
            }
            out.push(c);
        }
        out.push('\n');
    }
    out
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = tree[open + 1..]
        .strip_suffix('}')
        .unwrap_or(&tree[open + 1..]);
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(expand)
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path a file's code names: its `use` trees expanded, and any
/// `crate::`/`super::`/`self::` path written inline.
fn paths_in(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let after = &rest[at + 4..];
        if before.is_some_and(is_ident) {
            rest = after;
            continue;
        }
        let Some(end) = after.find(';') else { break };
        paths.extend(expand(&after[..end]));
        rest = &after[end..];
    }
    let chars: Vec<char> = code.chars().collect();
    for i in 0..chars.len() {
        if i > 0 && (is_ident(chars[i - 1]) || chars[i - 1] == ':') {
            continue;
        }
        let mut j = i;
        while j < chars.len() && (is_ident(chars[j]) || chars[j] == ':') {
            j += 1;
        }
        let word: String = chars[i..j].iter().collect();
        if ["crate::", "super::", "self::", "gatekeeper::"]
            .iter()
            .any(|p| word.starts_with(p))
        {
            paths.push(word.trim_end_matches(':').to_owned());
        }
    }
    paths
}

/// The file-to-file imports of the crate (no file imports itself).
fn imports(files: &Files) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in files {
        let here = module_of(file);
        // `super` of a file: its module's parent.
        let parent = &here[..here.len().saturating_sub(1)];
        let targets = graph.entry(file.clone()).or_default();
        for path in paths_in(&code_of(text)) {
            let segments: Vec<String> = path.split("::").map(str::to_owned).collect();
            let Some((first, tail)) = segments.split_first() else {
                continue;
            };
            let absolute: Vec<String> = match first.as_str() {
                "crate" => tail.to_vec(),
                "gatekeeper" if file == "main.rs" => tail.to_vec(),
                "self" => here.iter().chain(tail).cloned().collect(),
                "super" => {
                    let mut base = parent.to_vec();
                    let mut tail = tail;
                    while let Some(("super", more)) =
                        tail.split_first().map(|(h, t)| (h.as_str(), t))
                    {
                        base.pop();
                        tail = more;
                    }
                    base.iter().chain(tail).cloned().collect()
                }
                // A child module named bare (`use http::Transport;` in `sources`).
                child => {
                    let mut own: Vec<String> = here.clone();
                    own.push(child.to_owned());
                    if file_of(files, &own).is_some_and(|f| module_of(&f) == own) {
                        own.into_iter().chain(tail.iter().cloned()).collect()
                    } else {
                        continue;
                    }
                }
            };
            // A module's own file naming its children (`pub use load::Loaded;`,
            // `plan::build()`) is the module's face, as its `mod` lines are: not
            // an import. A child that imports its parent's file is one.
            if let Some(target) = file_of(files, &absolute)
                && &target != file
                && !(module_of(&target).starts_with(&here) && module_of(&target) != here)
            {
                targets.insert(target);
            }
        }
    }
    graph
}

/// The layer of a file: that of the longest module path of the list it falls under.
fn layer_of(layers: &Layers, file: &str) -> Option<usize> {
    if file == "lib.rs" {
        return None;
    }
    let module = if file == "main.rs" {
        vec!["main".to_owned()]
    } else {
        module_of(file)
    };
    let mut best: Option<(usize, usize)> = None;
    for (index, (_, modules)) in layers.iter().enumerate() {
        for m in modules {
            let m: Vec<&str> = m.split("::").collect();
            let fits = m.len() <= module.len() && m.iter().zip(&module).all(|(a, b)| a == b);
            if fits && best.is_none_or(|(len, _)| m.len() > len) {
                best = Some((m.len(), index));
            }
        }
    }
    best.map(|(_, index)| index)
}

/// Every problem of the house: files on no layer, imports up the layers, circles.
fn problems(files: &Files, lib: &str) -> Vec<String> {
    let layers = layers_of(lib);
    let mut out = Vec::new();
    if layers.is_empty() {
        out.push("src/lib.rs lists no layers (\"Layers, from the ground up\")".to_owned());
        return out;
    }
    let graph = imports(files);
    for (file, targets) in &graph {
        let Some(own) = layer_of(&layers, file).or((file == "lib.rs").then_some(usize::MAX)) else {
            out.push(format!("{file} is on no layer of src/lib.rs"));
            continue;
        };
        for target in targets {
            if let Some(theirs) = layer_of(&layers, target)
                && theirs > own
            {
                out.push(format!(
                    "{file} ({}) imports {target} ({}), a layer above it",
                    layers[own].0, layers[theirs].0
                ));
            }
        }
    }
    for circle in circles(&graph) {
        out.push(format!("circle: {}", circle.join(" -> ")));
    }
    out
}

/// The strongly connected components of more than one file (Tarjan).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(targets) = s.graph.get(v) {
            for w in targets {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.out
}

#[test]
fn the_imports_run_down_the_layers_of_lib_rs_without_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = read_src(&src);
    let lib = files.get("lib.rs").cloned().unwrap_or_default();
    let problems = problems(&files, &lib);
    assert!(
        problems.is_empty(),
        "the house breaks its plan (src/lib.rs, at the top):\n  {}",
        problems.join("\n  ")
    );
}

/// The test of the test: a house with a circle, and one with an import up the
/// layers, each fail; the same house without them passes.
#[test]
fn the_architecture_test_finds_a_circle_and_an_upward_import() {
    let lib = "//! Layers, from the ground up:\n//! 1. ground: keys\n//! 2. config: config\n//! 3. commands: commands, main\n\npub mod keys;\n";
    let house = |pairs: &[(&str, &str)]| -> Files {
        pairs
            .iter()
            .map(|(f, t)| ((*f).to_owned(), (*t).to_owned()))
            .chain([("lib.rs".to_owned(), lib.to_owned())])
            .collect()
    };
    let clean = house(&[
        ("keys.rs", "pub fn nearest() {}\n"),
        ("config.rs", "use crate::keys::nearest;\nmod shape;\n"),
        ("config/shape.rs", "use super::Config;\n"),
        (
            "commands/mod.rs",
            "use crate::config::Config;\nmod check;\n",
        ),
        ("commands/check.rs", "use super::{print, CommandError};\n"),
        ("main.rs", "use gatekeeper::commands;\n"),
    ]);
    assert_eq!(problems(&clean, lib), Vec::<String>::new());

    let upward = house(&[
        (
            "keys.rs",
            "// a comment: crate::config is not an import\npub fn f() -> crate::config::Config { todo!() }\n",
        ),
        ("config.rs", "use crate::keys::nearest;\n"),
    ]);
    let found = problems(&upward, lib);
    assert!(
        found
            .iter()
            .any(|p| p.contains("keys.rs (ground) imports config.rs (config), a layer above it")),
        "{found:?}"
    );

    let circle = house(&[
        ("keys.rs", "pub fn nearest() {}\n"),
        ("config.rs", "mod shape;\nmod zone;\n"),
        ("config/shape.rs", "use super::zone::Zone;\n"),
        (
            "config/zone.rs",
            "use crate::config::{keys, shape::{Shape}};\n",
        ),
    ]);
    let found = problems(&circle, lib);
    assert!(
        found
            .iter()
            .any(|p| p == "circle: config/shape.rs -> config/zone.rs"),
        "{found:?}"
    );

    let unlisted = house(&[("planner.rs", "use crate::keys::nearest;\n")]);
    assert!(
        problems(&unlisted, lib).contains(&"planner.rs is on no layer of src/lib.rs".to_owned())
    );
}

/// Reads the real lib.rs's list: the ground first, `main` last.
#[test]
fn lib_rs_lists_the_layers_from_the_ground_up() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let layers = layers_of(&lib);
    assert_eq!(
        layers.first().map(|l| l.0.as_str()),
        Some("ground"),
        "{layers:?}"
    );
    assert!(
        layers
            .last()
            .is_some_and(|l| l.1.contains(&"main".to_owned())),
        "{layers:?}"
    );
}
