//! The layers of `docs/architecture.md` as a test (issue 17): every `crate::…` path in `src/` (test modules
//! left out) is an edge from its file's top-level module to another, and each edge must keep the rules
//! below. What breaks them today is listed in `EXCEPTIONS`, each with its reason; the test also fails when
//! an exception no longer occurs, so the list only shrinks.
use std::collections::BTreeSet;
use std::path::Path;

/// The layer of each top-level module of `src/`.
fn layer(module: &str) -> Option<Layer> {
    Some(match module {
        "main" | "lib" | "cli" | "app" | "dev" | "fuzzing" => Layer::Composition,
        "onboarding" | "auth" | "profile" | "support" | "contacts" | "consult" | "api" | "start" => Layer::Feature,
        "accounts" => Layer::Kernel,
        "domain" | "clock" => Layer::Pure,
        "state" | "config" | "db" | "error" | "notify" | "security" | "server" | "web" | "live" => Layer::Leaf,
        _ => return None,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    /// Pure rules and the time they are about (`domain`, `clock`): import nothing else.
    Pure,
    /// Import only other leaves and `domain`.
    Leaf,
    /// `accounts`, the identity kernel: imports only leaves.
    Kernel,
    /// Import `accounts`, leaves and other features, but never another feature's store, nor `app`.
    Feature,
    /// Anything.
    Composition,
}

/// (file under `src/`, the module it reaches, why it is allowed for now).
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

fn allowed(from: Layer, to: Layer, reaches_store_of_feature: bool) -> bool {
    match from {
        Layer::Pure => to == Layer::Pure,
        Layer::Leaf => matches!(to, Layer::Leaf | Layer::Pure),
        Layer::Kernel => matches!(to, Layer::Leaf | Layer::Pure),
        Layer::Feature => to != Layer::Composition && !reaches_store_of_feature,
        Layer::Composition => true,
    }
}

/// Every `crate::module[::item]` in `text` outside comments and test modules.
fn paths(text: &str) -> Vec<(String, String)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found = Vec::new();
    for line in code.lines().map(str::trim).filter(|l| !l.starts_with("//")) {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let word = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
            let module = word(rest);
            let item = rest[module.len()..].strip_prefix("::").map(word).unwrap_or_default();
            if !module.is_empty() {
                found.push((module, item));
            }
        }
    }
    found
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_layers_hold() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    assert!(all.len() > 50, "read the sources");
    let mut broken = BTreeSet::new();
    for path in all {
        let file = path.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        let own = file.split('/').next().unwrap().trim_end_matches(".rs").to_owned();
        let from = layer(&own).unwrap_or_else(|| panic!("{file}: module {own} has no layer in this test"));
        for (module, item) in paths(&std::fs::read_to_string(&path).unwrap()) {
            if module == own {
                continue;
            }
            let to = layer(&module).unwrap_or_else(|| panic!("{file}: crate::{module} has no layer in this test"));
            let store = to == Layer::Feature && item == "store";
            if !allowed(from, to, store) {
                let target = if store { format!("{module}::store") } else { module };
                broken.insert((file.clone(), target));
            }
        }
    }
    let listed: BTreeSet<(String, String)> =
        EXCEPTIONS.iter().map(|(file, to, _)| ((*file).to_owned(), (*to).to_owned())).collect();
    let new: Vec<_> = broken.difference(&listed).collect();
    assert!(new.is_empty(), "imports against the layers (docs/architecture.md): {new:?}");
    let gone: Vec<_> = listed.difference(&broken).collect();
    assert!(gone.is_empty(), "exceptions that no longer occur, to be struck from the list: {gone:?}");
}

#[test]
fn the_path_reader_sees_what_it_should() {
    let text = "use crate::accounts::store;\n// crate::app::routes\nlet x = crate::consult::store::find(db);\n\
                #[cfg(test)]\nmod tests { use crate::app; }";
    assert_eq!(
        paths(text),
        vec![("accounts".into(), "store".into()), ("consult".into(), "store".into())],
        "comments and test modules are left out"
    );
    assert!(!allowed(Layer::Feature, Layer::Feature, true), "another feature's store");
    assert!(allowed(Layer::Feature, Layer::Feature, false), "another feature's service");
    assert!(!allowed(Layer::Leaf, Layer::Kernel, false));
    assert!(!allowed(Layer::Feature, Layer::Composition, false));
}

/// The files a `crate::…` path of `code` names: the longest prefix of the path that is a module of `src/`
/// (`crate::accounts::store::find` is `accounts/store.rs`; `use crate::a::{b, c::d}` names both).
fn files_named(code: &str, modules: &std::collections::BTreeMap<Vec<String>, String>) -> BTreeSet<String> {
    fn ident(rest: &str) -> &str {
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        &rest[..end]
    }
    // The paths of one `prefix::…` item, and how much of `rest` it took.
    fn walk(prefix: &[String], rest: &str, out: &mut Vec<Vec<String>>) -> usize {
        let trimmed = rest.trim_start();
        let mut at = rest.len() - trimmed.len();
        if let Some(group) = trimmed.strip_prefix('{') {
            at += 1;
            let mut inner = group;
            loop {
                let taken = walk(prefix, inner, out);
                at += taken;
                inner = &inner[taken..];
                let next = inner.trim_start();
                at += inner.len() - next.len() + 1;
                match next.chars().next() {
                    Some(',') => inner = &next[1..],
                    _ => return at.min(rest.len()),
                }
                if inner.trim_start().starts_with('}') {
                    let skip = inner.len() - inner.trim_start().len() + 1;
                    return (at + skip).min(rest.len());
                }
            }
        }
        let word = ident(trimmed);
        let mut path = prefix.to_vec();
        if !word.is_empty() && word != "self" {
            path.push(word.to_owned());
        }
        at += word.len();
        let after = &rest[at..];
        if let Some(more) = after.strip_prefix("::") {
            return at + 2 + walk(&path, more, out);
        }
        out.push(path);
        at
    }
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(found) = rest.find("crate::") {
        rest = &rest[found + "crate::".len()..];
        let taken = walk(&[], rest, &mut paths);
        rest = &rest[taken.min(rest.len())..];
    }
    paths.into_iter().filter_map(|path| (1..=path.len()).rev().find_map(|n| modules.get(&path[..n]).cloned())).collect()
}

/// No two files of `src/` import each other, directly or around a circle: a cycle is a layer in disguise,
/// and the next change to one of its files drags in all the others.
#[test]
fn no_file_imports_itself_around_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut modules = std::collections::BTreeMap::new();
    for path in &all {
        let file = path.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        let mut parts: Vec<String> = file.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
        if parts.last().is_some_and(|p| p == "mod") || parts == ["lib"] || parts == ["main"] {
            parts.pop();
        }
        modules.insert(parts, file);
    }
    let mut edges = std::collections::BTreeMap::new();
    for path in &all {
        let file = path.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut named = files_named(&code, &modules);
        named.remove(&file);
        edges.insert(file, named);
    }
    assert!(edges["accounts/changes.rs"].contains("accounts/messages.rs"), "the reader follows `use` groups");
    // Depth-first search; a file met again while still on the path closes a cycle.
    fn visit<'a>(
        file: &'a str,
        edges: &'a std::collections::BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|f| *f == file) {
            return Some(path[at..].iter().map(|f| (*f).to_owned()).chain([file.to_owned()]).collect());
        }
        if !done.insert(file) {
            return None;
        }
        path.push(file);
        for next in &edges[file] {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for file in edges.keys() {
        let cycle = visit(file, &edges, &mut Vec::new(), &mut done);
        assert!(cycle.is_none(), "files that import each other: {}", cycle.unwrap().join(" → "));
    }
}

#[test]
fn the_file_reader_follows_groups_and_prefixes() {
    let modules: std::collections::BTreeMap<Vec<String>, String> = [
        (vec!["accounts".to_owned()], "accounts/mod.rs".to_owned()),
        (vec!["accounts".to_owned(), "store".to_owned()], "accounts/store.rs".to_owned()),
        (vec!["web".to_owned(), "i18n".to_owned()], "web/i18n.rs".to_owned()),
        (vec!["notify".to_owned(), "outbox".to_owned()], "notify/outbox.rs".to_owned()),
    ]
    .into_iter()
    .collect();
    let code = "use crate::accounts::{Account, store::{self, find}};\nlet x = crate::web::i18n::Lang::De;\n\
                use crate::{notify::outbox, clock};";
    let named: Vec<String> = files_named(code, &modules).into_iter().collect();
    assert_eq!(named, ["accounts/mod.rs", "accounts/store.rs", "notify/outbox.rs", "web/i18n.rs"]);
}

/// Writers of a table besides its one owner, for now: (table, file under `src/`, why).
const OTHER_WRITERS: &[(&str, &str, &str)] = &[
    ("accounts", "dev.rs", "development seeding writes accounts directly (dev only)"),
    ("registration_links", "notify/outbox.rs", "the link's 14 days start at delivery; an accounts hook (point 1)"),
];

/// Each table is written (INSERT, UPDATE, DELETE) from one file of `src/`, its owner: a schema change then
/// needs no grep. The tables are those the migrations create.
#[test]
fn each_table_has_one_writer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut tables = BTreeSet::new();
    for entry in std::fs::read_dir(root.join("migrations")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split("CREATE TABLE ").skip(1) {
            let name: String = part
                .trim_start_matches("IF NOT EXISTS ")
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            tables.insert(name);
        }
    }
    assert!(tables.contains("accounts") && tables.contains("outbox"), "{tables:?}");
    let src = root.join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut writers: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for path in all {
        let file = path.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for verb in ["INSERT INTO ", "UPDATE ", "DELETE FROM "] {
            for part in code.split(verb).skip(1) {
                let table: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if tables.contains(&table) {
                    writers.entry(table).or_default().insert(file.clone());
                }
            }
        }
    }
    for (table, files) in &writers {
        let owners: Vec<_> =
            files.iter().filter(|file| !OTHER_WRITERS.iter().any(|(t, f, _)| t == table && f == file)).collect();
        assert!(owners.len() <= 1, "{table} is written from {owners:?}: one file should own it");
    }
    for (table, file, _) in OTHER_WRITERS {
        assert!(
            writers.get(*table).is_some_and(|files| files.contains(*file)),
            "{file} no longer writes {table}: strike it from OTHER_WRITERS"
        );
    }
}
