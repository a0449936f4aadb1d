//! Process locks: a file locked for as long as the holder lives, with the
//! holder's pid inside so a second process can say who has it.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::Path;

use super::files::io_error;
use super::Result;

/// Held while its owner works; released on drop (or when the process dies).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Locks `path` (created if needed) for as long as the returned lock lives,
/// and writes this process's id into it. `Ok(Err(holder))` says who holds it
/// instead.
pub fn pid_lock(path: &Path) -> Result<std::result::Result<Lock, String>> {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(io_error("open", path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(Err(holder_of(path))),
        Err(TryLockError::Error(e)) => return Err(io_error("lock", path)(e)),
    }
    file.set_len(0)
        .and_then(|()| write!(file, "pid {}", std::process::id()))
        .map_err(io_error("write", path))?;
    Ok(Ok(Lock { _file: file }))
}

/// Who holds the lock file at `path` (`pid 1234`), if anyone does.
pub fn lock_holder(path: &Path) -> Result<Option<String>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("open", path)(e)),
    };
    match file.try_lock() {
        // Dropping the file releases the probe at once.
        Ok(()) => Ok(None),
        Err(TryLockError::WouldBlock) => Ok(Some(holder_of(path))),
        Err(TryLockError::Error(e)) => Err(io_error("lock", path)(e)),
    }
}

fn holder_of(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    match text.trim() {
        "" => "process unknown".to_owned(),
        holder => holder.to_owned(),
    }
}
