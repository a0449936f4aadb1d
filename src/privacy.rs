//! The privacy guard: the subscriber list, the state folder and the outbox
//! must not lie where the site's build publishes them. Jekyll copies every
//! file of its folder into the site except `_`- and dot-folders and what
//! `_config.yml` excludes; a list in a published folder is every reader's
//! address on the web after the next build.

use std::path::{Component, Path, PathBuf};

use crate::config::{Config, SourceKind};
use crate::site::SiteSettings;

/// A file or folder of postbode's that the site's build would publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposed {
    /// The config key that names it.
    pub key: &'static str,
    pub path: PathBuf,
    /// The site folder that would publish it.
    pub site: PathBuf,
}

/// Everything of postbode's that lies in a Jekyll site's published tree.
pub fn exposed(config: &Config, site: &SiteSettings) -> Vec<Exposed> {
    let mut sites: Vec<&SiteSettings> = vec![site];
    sites.extend(site.sources.iter().map(|s| &s.settings));
    let mut out = Vec::new();
    for s in sites {
        if s.kind != SourceKind::Jekyll || s.root.as_os_str().is_empty() {
            continue;
        }
        let Some(root) = absolute(&s.root) else {
            continue;
        };
        for (key, path) in [
            ("subscribers.file", &config.subscribers.file),
            ("delivery.state_dir", &config.delivery.state_dir),
            ("delivery.outbox", &config.delivery.outbox),
        ] {
            let Some(abs) = absolute(path) else { continue };
            if published(&root, &abs, &s.exclude)
                && !out
                    .iter()
                    .any(|e: &Exposed| e.key == key && e.path == *path)
            {
                out.push(Exposed {
                    key,
                    path: path.clone(),
                    site: s.root.clone(),
                });
            }
        }
    }
    out
}

/// True when `path` lies inside `root` with no `_`/dot folder (or file) on
/// the way and no part of the way excluded by `exclude` (top-level paths,
/// as `_config.yml` writes them).
pub fn published(root: &Path, path: &Path, exclude: &[String]) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        // The site root itself: its files are published.
        return true;
    }
    if parts
        .iter()
        .any(|p| p.starts_with('_') || p.starts_with('.') || p == "node_modules" || p == "vendor")
    {
        return false;
    }
    let excluded: Vec<String> = exclude
        .iter()
        .map(|e| {
            e.trim()
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_owned()
        })
        .filter(|e| !e.is_empty())
        .collect();
    let mut prefix = String::new();
    for p in &parts {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(p);
        if excluded.contains(&prefix) {
            return false;
        }
    }
    true
}

/// `path` made absolute and free of `..`, through its nearest existing
/// ancestor (the outbox may not exist yet).
fn absolute(path: &Path) -> Option<PathBuf> {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Some(out);
        }
        rest.push(existing.file_name()?.to_owned());
        if !existing.pop() {
            return None;
        }
        if existing.as_os_str().is_empty() {
            existing = PathBuf::from(".");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn underscore_dot_and_excluded_folders_are_not_published() {
        let root = Path::new("/site");
        let none: &[String] = &[];
        assert!(published(
            root,
            Path::new("/site/subscribers/list.yaml"),
            none
        ));
        assert!(published(root, Path::new("/site/state"), none));
        assert!(!published(
            root,
            Path::new("/site/_postbode/subscribers.yaml"),
            none
        ));
        assert!(!published(root, Path::new("/site/.postbode/state"), none));
        assert!(!published(root, Path::new("/elsewhere/list.yaml"), none));
        let exclude = vec!["private/".to_owned(), "a/b".to_owned()];
        assert!(!published(
            root,
            Path::new("/site/private/list.yaml"),
            &exclude
        ));
        assert!(!published(root, Path::new("/site/a/b/c"), &exclude));
        assert!(published(root, Path::new("/site/a/c"), &exclude));
    }
}
