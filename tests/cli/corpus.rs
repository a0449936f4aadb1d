//! Checks against a real site, when one is given:
//! `POSTBODE_CORPUS=/path/to/site cargo test --release --test cli corpus:: -- --ignored`.
//! Asked to run without one, they fail: an ignored test that passes on
//! nothing would report a check that never happened.

use std::path::PathBuf;

use postbode::site::frontmatter;

fn corpus() -> PathBuf {
    let root = std::env::var_os("POSTBODE_CORPUS")
        .map(PathBuf::from)
        .expect("POSTBODE_CORPUS must name a site root to run the corpus checks");
    assert!(
        root.is_dir(),
        "POSTBODE_CORPUS `{}` is not a folder",
        root.display()
    );
    root
}

fn post_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            post_files(&path, out);
        } else if path.components().any(|c| c.as_os_str() == "_posts") {
            out.push(path);
        }
    }
}

/// The fast front-matter reader gives exactly what serde_yaml gives, on
/// every file of the site, and reports how many it handled itself.
#[test]
#[ignore = "needs POSTBODE_CORPUS=<site root>"]
fn fast_reader_agrees_with_serde_yaml() {
    let root = corpus();
    let mut files = Vec::new();
    post_files(&root, &mut files);
    let (mut fast, mut full) = (0usize, 0usize);
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let Ok(split) = frontmatter::split(text) else {
            continue;
        };
        match frontmatter::fast::parse(split.yaml) {
            Some(m) => {
                fast += 1;
                let v: serde_yaml::Value = serde_yaml::from_str(split.yaml).unwrap();
                let expected = match v {
                    serde_yaml::Value::Mapping(m) => m,
                    _ => serde_yaml::Mapping::new(),
                };
                assert_eq!(m, expected, "{}", path.display());
            }
            None => full += 1,
        }
    }
    eprintln!(
        "{} files: {fast} read by the fast reader, {full} by serde_yaml",
        files.len()
    );
    assert!(fast + full > 0);
}
