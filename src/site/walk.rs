//! Finding post files: `_posts/` and `<dir>/_posts/` at any depth, their
//! subfolders included, the way Jekyll's reader does.
//!
//! Folders and files whose names start with `.`, `_`, `#` or `~` are skipped
//! (except `_posts` itself), as are backups ending in `~`, `_site`,
//! `node_modules`, `vendor` and whatever `_config.yml` excludes. `_drafts`
//! is never read.

use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Result, SiteError};

use super::SiteSettings;

/// A file under a `_posts` folder.
#[derive(Debug, Clone)]
pub struct PostFile {
    /// The folder that holds it, open, so that reading the file does not
    /// walk the whole path again (a third of the time on a big site).
    dir: Arc<File>,
    /// The file's own name, as the file system has it.
    os_name: std::ffi::OsString,
    /// Relative to the site root, `/`-separated.
    pub rel: String,
    /// The folder names between the site root and `_posts`.
    pub categories: Arc<[String]>,
}

impl PostFile {
    pub fn name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }

    /// Reads the whole file into `buf` (cleared first).
    pub fn read_into(&self, buf: &mut Vec<u8>) -> std::io::Result<()> {
        read_at(&self.dir, &self.os_name, buf)
    }
}

/// Reads the file `name` of the open folder `dir` into `buf` (cleared
/// first), without walking the folder's path again.
pub fn read_at(dir: &File, name: &std::ffi::OsStr, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.clear();
    let name = CString::new(name.as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in file name"))?;
    // SAFETY: `dir` is an open folder and `name` a NUL-terminated
    // relative name; the returned descriptor is owned by `File`.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is not owned elsewhere.
    let mut file = unsafe { File::from_raw_fd(fd) };
    file.read_to_end(buf)?;
    Ok(())
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
    let io = |source| SiteError::Io {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let file_type = entry.file_type().map_err(io)?;
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
            || site.exclude.contains(&child_rel)
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
    let handle = Arc::new(File::open(dir).map_err(|source| SiteError::Io {
        path: dir.to_owned(),
        source,
    })?);
    let shared: Arc<[String]> = categories.into();
    for (name, path, is_dir) in sorted_entries(dir)? {
        if is_special(&name) {
            continue;
        }
        let child_rel = format!("{rel}/{name}");
        if is_dir {
            collect_posts(&path, &child_rel, categories, out)?;
        } else {
            let os_name = path.file_name().unwrap_or_default().to_owned();
            out.push(PostFile {
                dir: Arc::clone(&handle),
                os_name,
                rel: child_rel,
                categories: Arc::clone(&shared),
            });
        }
    }
    Ok(())
}
