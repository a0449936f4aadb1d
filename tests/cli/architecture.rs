//! The import rule (ARCHITECTURE.md): modules import downhill only, the
//! library never reaches into the binary, and no two top-level modules
//! import each other. Read from the `use crate::…` paths in `src/`, test
//! modules left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each library module's level: a module may import its own level and below.
const LEVELS: &[(&str, u8)] = &[
    ("config", 0),
    ("window", 0),
    ("output", 0),
    ("templates", 0),
    ("markdown", 0),
    ("site", 1),
    ("intro", 1),
    ("subscribers", 1),
    ("edition", 2),
    ("stories", 2),
    ("schedule", 2),
    ("state", 2),
    ("privacy", 2),
    ("render", 3),
    ("archive", 3),
    ("mail", 4),
    ("send", 5),
    ("serve", 5),
    ("bounces", 5),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `crate::X` references per top-level module of `src/`, outside tests.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests sit at the end of a file, after `#[cfg(test)]`.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (i, _) in line.match_indices("crate::") {
                let name: String = line[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != top {
                    out.entry(top.clone()).or_default().insert(name);
                }
            }
        }
    }
    out
}

#[test]
fn imports_run_downhill_only() {
    let level: BTreeMap<&str, u8> = LEVELS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, targets) in imports() {
        if matches!(module.as_str(), "main" | "cli" | "cmd" | "lib") {
            continue;
        }
        let Some(&own) = level.get(module.as_str()) else {
            wrong.push(format!("`src/{module}` has no level in ARCHITECTURE.md"));
            continue;
        };
        for target in targets {
            match level.get(target.as_str()) {
                Some(&l) if l <= own => {}
                Some(_) => wrong.push(format!("`{module}` imports `{target}`, which is above it")),
                None => wrong.push(format!(
                    "`{module}` imports `{target}`, which is the binary's or unknown"
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_two_modules_import_each_other() {
    let all = imports();
    let mut circles = Vec::new();
    for (a, targets) in &all {
        for b in targets {
            if a < b && all.get(b).is_some_and(|t| t.contains(a)) {
                circles.push(format!("`{a}` ↔ `{b}`"));
            }
        }
    }
    assert!(circles.is_empty(), "{}", circles.join("\n"));
}
