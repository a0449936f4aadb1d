//! The bounce record (`bounces.json` in `delivery.state_dir`): why each
//! subscriber bounced or complained (last status code and date), when their
//! run of transient failures started, and which messages were handled.
//!
//! The list file holds the count and the status; this file holds the why,
//! so the list keeps its layout. It is written only while the list's lock
//! is held (inside `Store::update`), with a temp file and a rename.
//! Handled messages are remembered by a hash of their bytes: a message that
//! was acted on but not yet moved (a crash in between, a dropped IMAP
//! connection) is not counted twice when it is read again.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::BounceError;

/// How many handled-message hashes are kept.
const HANDLED_KEPT: usize = 200_000;

/// One subscriber's last report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// `permanent`, `temporary` or `complaint`.
    pub kind: String,
    /// The DSN status code (`5.1.1`), when the report gave one.
    pub status: Option<String>,
    /// The date of the last report.
    pub at: DateTime<FixedOffset>,
    /// The first of an unbroken run of transient failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft_since: Option<DateTime<FixedOffset>>,
}

/// The whole file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Record {
    /// By subscriber address, lower-case.
    #[serde(default)]
    pub subscribers: BTreeMap<String, Entry>,
    /// Hashes of handled messages, oldest first.
    #[serde(default)]
    pub handled: VecDeque<String>,
    #[serde(skip)]
    handled_set: HashSet<String>,
}

impl Record {
    /// The record's path for a state folder.
    pub fn path(state_dir: &Path) -> PathBuf {
        state_dir.join(crate::state::names::BOUNCES)
    }

    /// Reads the record; a missing file is an empty one.
    pub fn load(path: &Path) -> Result<Record, BounceError> {
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Record::default()),
            Err(e) => return Err(error("read", path, e.to_string())),
        };
        let mut record: Record = serde_json::from_str(&text).map_err(|e| {
            error(
                "read",
                path,
                format!("line {}: {e} (the file was left as it is)", e.line()),
            )
        })?;
        record.handled_set = record.handled.iter().cloned().collect();
        Ok(record)
    }

    /// The entry for an address, if any.
    pub fn get(&self, email: &str) -> Option<&Entry> {
        self.subscribers.get(&email.trim().to_lowercase())
    }

    pub fn set(&mut self, email: &str, entry: Entry) {
        self.subscribers.insert(email.trim().to_lowercase(), entry);
    }

    /// True when a message with these bytes was handled before.
    pub fn was_handled(&self, hash: &str) -> bool {
        self.handled_set.contains(hash)
    }

    pub fn mark_handled(&mut self, hash: String) {
        if self.handled_set.insert(hash.clone()) {
            self.handled.push_back(hash);
        }
        while self.handled.len() > HANDLED_KEPT {
            if let Some(old) = self.handled.pop_front() {
                self.handled_set.remove(&old);
            }
        }
    }

    /// Writes the record beside itself and renames it into place.
    pub fn save(&self, path: &Path) -> Result<(), BounceError> {
        let text =
            serde_json::to_string_pretty(self).map_err(|e| error("write", path, e.to_string()))?;
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).map_err(|e| error("write", path, e.to_string()))?;
        }
        crate::state::write_synced(path, text.as_bytes()).map_err(|e| {
            let mut message = e.to_string();
            if let Some(source) = std::error::Error::source(&e) {
                message = format!("{message}: {source}");
            }
            error("write", path, message)
        })
    }
}

/// A stable hash of a message's bytes (FNV-1a, 64 bits, plus the length).
pub fn message_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}-{}", bytes.len())
}

fn error(action: &'static str, path: &Path, message: String) -> BounceError {
    BounceError::Record {
        action,
        path: path.display().to_string(),
        message,
    }
}
