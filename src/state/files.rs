//! Durable small-file writes and the error helpers the state module shares.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use super::{Result, StateError};

/// Maps an I/O error on `path` to a [`StateError`] saying what was tried.
pub(super) fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StateError {
    let path = path.to_owned();
    move |source| StateError::Io {
        action,
        path,
        source,
    }
}

/// Maps a JSON error in `path` to a [`StateError::Damaged`].
pub(super) fn damaged(path: &Path) -> impl FnOnce(serde_json::Error) -> StateError {
    let path = path.to_owned();
    move |source| StateError::Damaged {
        path,
        line: None,
        source,
    }
}

/// The file's bytes, or `None` when it does not exist.
pub(super) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("read", path)(e)),
    }
}

/// Writes `bytes` to `path` through a temporary file, synced, then renamed.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = File::create(&tmp).map_err(io_error("create", &tmp))?;
    f.write_all(bytes).map_err(io_error("write", &tmp))?;
    f.sync_all().map_err(io_error("sync", &tmp))?;
    fs::rename(&tmp, path).map_err(io_error("write", path))?;
    Ok(())
}

/// Makes renames and new files in `dir` durable.
pub(super) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("sync", dir))
}
