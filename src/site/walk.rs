//! Finding post files: `_posts/` and `<dir>/_posts/` at any depth, their
//! subfolders included, the way Jekyll's reader does.
//!
//! Folders and files whose names start with `.`, `_`, `#` or `~` are skipped
//! (except `_posts` itself), as are backups ending in `~`, `_site`,
//! `node_modules`, `vendor` and whatever `_config.yml` excludes. `_drafts`
//! is never read.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::SiteSettings;

/// A file under a `_posts` folder.
#[derive(Debug, Clone)]
pub struct PostFile {
    pub path: PathBuf,
    /// Relative to the site root, `/`-separated.
    pub rel: String,
    /// The folder names between the site root and `_posts`.
    pub categories: Vec<String>,
}

impl PostFile {
    pub fn name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }
}

fn is_special(name: &str) -> bool {
    name.starts_with(['.', '_', '#', '~']) || name.ends_with('~')
}

/// Every file under the site's `_posts` folders, in a stable order.
pub fn post_files(site: &SiteSettings) -> Result<Vec<PostFile>> {
    let mut out = Vec::new();
    visit_site(site, &site.root, "", &mut Vec::new(), &mut out)?;
    Ok(out)
}

fn sorted_entries(dir: &Path) -> Result<Vec<(String, PathBuf, bool)>> {
    let mut entries = Vec::new();
    for entry in
        std::fs::read_dir(dir).with_context(|| format!("cannot read folder `{}`", dir.display()))?
    {
        let entry = entry.with_context(|| format!("cannot read folder `{}`", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let file_type = entry.file_type()?;
        // Symlinked folders are not followed (no loops); symlinked files are.
        let is_dir = file_type.is_dir();
        entries.push((name, path, is_dir));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

fn visit_site(
    site: &SiteSettings,
    dir: &Path,
    rel: &str,
    categories: &mut Vec<String>,
    out: &mut Vec<PostFile>,
) -> Result<()> {
    for (name, path, is_dir) in sorted_entries(dir)? {
        if !is_dir {
            continue;
        }
        let child_rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if name == "_posts" {
            collect_posts(&path, &child_rel, categories, out)?;
            continue;
        }
        if is_special(&name)
            || matches!(name.as_str(), "node_modules" | "vendor")
            || site.exclude.iter().any(|e| *e == child_rel)
        {
            continue;
        }
        categories.push(name.clone());
        visit_site(site, &path, &child_rel, categories, out)?;
        categories.pop();
    }
    Ok(())
}

fn collect_posts(
    dir: &Path,
    rel: &str,
    categories: &[String],
    out: &mut Vec<PostFile>,
) -> Result<()> {
    for (name, path, is_dir) in sorted_entries(dir)? {
        if is_special(&name) {
            continue;
        }
        let child_rel = format!("{rel}/{name}");
        if is_dir {
            collect_posts(&path, &child_rel, categories, out)?;
        } else {
            out.push(PostFile {
                path,
                rel: child_rel,
                categories: categories.to_vec(),
            });
        }
    }
    Ok(())
}
