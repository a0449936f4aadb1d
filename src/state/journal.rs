//! The delivery journal: one line per recipient outcome, appended the moment
//! the server answers.
//!
//! Each line is written with a single `write(2)` on a file opened with
//! `O_APPEND`, so a killed process loses nothing the server has accepted: the
//! line is in the page cache before the next message starts. A background
//! thread `fdatasync`s the file when lines are waiting, at most every
//! `SYNC_EVERY`, so a power cut loses at most that much. A line torn by a
//! power cut (no final newline) is ignored on reading.
//!
//! Format, tab-separated: `delivered\tEMAIL\tREPLY` or `failed\tEMAIL\tREPLY`.
//! The reply is the server's, with tabs and line breaks folded to spaces.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often waiting lines are flushed to disk.
pub const SYNC_EVERY: Duration = Duration::from_millis(100);

/// What happened to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server accepted the message, with its reply.
    Delivered(String),
    /// The server refused it for good (5xx), with its reply.
    Failed(String),
}

impl Outcome {
    fn tag(&self) -> &'static str {
        match self {
            Outcome::Delivered(_) => "delivered",
            Outcome::Failed(_) => "failed",
        }
    }

    fn reply(&self) -> &str {
        match self {
            Outcome::Delivered(r) | Outcome::Failed(r) => r,
        }
    }
}

/// An open journal that outcomes are appended to.
pub struct Journal {
    path: PathBuf,
    inner: Arc<Shared>,
    syncer: Option<JoinHandle<()>>,
}

struct Shared {
    file: Mutex<File>,
    dirty: AtomicBool,
    stop: AtomicBool,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path` for appending.
    pub fn open(path: &Path) -> io::Result<Journal> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        // A line torn by a power cut is dropped, so that it neither
        // swallows the next record nor stands as a record of its own.
        drop_torn_tail(&mut file)?;
        let inner = Arc::new(Shared {
            file: Mutex::new(file),
            dirty: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let for_thread = Arc::clone(&inner);
        let syncer = std::thread::Builder::new()
            .name("journal-sync".into())
            .spawn(move || sync_loop(&for_thread))?;
        Ok(Journal {
            path: path.to_owned(),
            inner,
            syncer: Some(syncer),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one outcome with a single write. Safe to call from many threads.
    pub fn record(&self, email: &str, outcome: &Outcome) -> io::Result<()> {
        let line = format!(
            "{}\t{}\t{}\n",
            outcome.tag(),
            fold(email),
            fold(outcome.reply())
        );
        let mut file = self.inner.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(line.as_bytes())?;
        self.inner.dirty.store(true, Ordering::Release);
        Ok(())
    }

    /// Flushes everything to disk now.
    pub fn sync(&self) -> io::Result<()> {
        let file = self.inner.file.lock().unwrap_or_else(|p| p.into_inner());
        self.inner.dirty.store(false, Ordering::Release);
        file.sync_data()
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::Release);
        if let Some(t) = self.syncer.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        let _ = self.sync();
    }
}

fn sync_loop(shared: &Shared) {
    while !shared.stop.load(Ordering::Acquire) {
        std::thread::park_timeout(SYNC_EVERY);
        if shared.dirty.swap(false, Ordering::AcqRel) {
            // The lock is held only to get the descriptor's data synced;
            // writers wait at most one fdatasync.
            let file = shared.file.lock().unwrap_or_else(|p| p.into_inner());
            let _ = file.sync_data();
        }
    }
}

/// Truncates the file after its last newline.
fn drop_torn_tail(file: &mut File) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(());
    }
    file.seek(SeekFrom::Start(0))?;
    let mut all = Vec::new();
    file.read_to_end(&mut all)?;
    let keep = all.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    file.set_len(keep as u64)?;
    file.sync_data()
}

/// Tabs and line breaks would break the line format.
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == '\t' || c == '\n' || c == '\r' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Reads a journal: the last outcome per recipient (keyed by the address as
/// written). A missing file is an empty journal; a torn last line is skipped.
pub fn read(path: &Path) -> io::Result<HashMap<String, Outcome>> {
    let text = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(e),
    };
    let text = String::from_utf8_lossy(&text);
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    let mut out = HashMap::new();
    for line in complete.lines() {
        let mut parts = line.splitn(3, '\t');
        let (Some(tag), Some(email), reply) =
            (parts.next(), parts.next(), parts.next().unwrap_or(""))
        else {
            continue;
        };
        let outcome = match tag {
            "delivered" => Outcome::Delivered(reply.to_owned()),
            "failed" => Outcome::Failed(reply.to_owned()),
            _ => continue,
        };
        out.insert(email.to_owned(), outcome);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.log");
        {
            let j = Journal::open(&path).unwrap();
            j.record(
                "a@example.org",
                &Outcome::Delivered("250 2.0.0 Ok: queued as X".into()),
            )
            .unwrap();
            j.record(
                "b@example.org",
                &Outcome::Failed("550 5.1.1\tno\r\nsuch user".into()),
            )
            .unwrap();
        }
        // A power cut in the middle of a line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"delivered\tc@exa").unwrap();
        let got = read(&path).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got["a@example.org"],
            Outcome::Delivered("250 2.0.0 Ok: queued as X".into())
        );
        assert_eq!(
            got["b@example.org"],
            Outcome::Failed("550 5.1.1 no  such user".into())
        );
        assert!(read(&dir.path().join("missing")).unwrap().is_empty());
        // Reopened after the cut: the torn line stays alone, the next one is whole.
        Journal::open(&path)
            .unwrap()
            .record("d@example.org", &Outcome::Delivered("250 ok".into()))
            .unwrap();
        let got = read(&path).unwrap();
        assert_eq!(got["d@example.org"], Outcome::Delivered("250 ok".into()));
        assert_eq!(got.len(), 3);
    }
}
