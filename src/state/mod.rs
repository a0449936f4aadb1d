//! Everything postbode remembers between runs, under `delivery.state_dir`:
//! stored editions with their journals, the schedule's last fire, and the
//! locks. Every file name is spelled once, in [`names`]:
//!
//! ```text
//! state/lock                           held by a running delivery
//! state/run.lock                       held by `postbode run` for its life
//! state/schedule.json                  the last scheduled time fired
//! state/bounces.json                   why subscribers bounced (see bounces::record)
//! state/editions/<id>/edition.json     what the edition is: window, posts, variants
//! state/editions/<id>/variant-N.html   rendered content, per category choice,
//! state/editions/<id>/variant-N.txt    with holes for the personal parts
//! state/editions/<id>/recipients.jsonl who gets it, fixed when it starts
//! state/editions/<id>/journal.log      the outcome per recipient (see journal)
//! state/editions/<id>/closed.json      written once every recipient has one
//! ```

mod editions;
mod files;
mod fired;
pub mod journal;
mod lock;

use std::path::{Path, PathBuf};

pub use editions::{Closed, Meta, Prepare, Stored, StoredNote, Variant};
pub use files::write_synced;
pub use lock::{lock_holder, pid_lock, Lock};

/// The file names under the state folder.
pub mod names {
    pub const SEND_LOCK: &str = "lock";
    pub const RUN_LOCK: &str = "run.lock";
    pub const FIRED: &str = "schedule.json";
    pub const BOUNCES: &str = "bounces.json";
    pub const EDITIONS: &str = "editions";
    pub const EDITION: &str = "edition.json";
    pub const RECIPIENTS: &str = "recipients.jsonl";
    pub const JOURNAL: &str = "journal.log";
    pub const CLOSED: &str = "closed.json";

    /// `variant-N.html` / `variant-N.txt`.
    pub fn variant(i: usize, ext: &str) -> String {
        format!("variant-{i}.{ext}")
    }
}

/// What can go wrong with the state folder.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot {action} `{path}`")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}`{} is damaged", line.map(|n| format!(" line {n}")).unwrap_or_default())]
    Damaged {
        path: PathBuf,
        line: Option<usize>,
        #[source]
        source: serde_json::Error,
    },
    #[error("edition `{id}` is already in `{dir}`")]
    EditionExists { id: String, dir: PathBuf },
    #[error("{what} on `{dir}` ({holder}); {advice}")]
    Busy {
        what: &'static str,
        dir: PathBuf,
        holder: String,
        advice: &'static str,
    },
}

pub type Result<T, E = StateError> = std::result::Result<T, E>;

/// The state folder.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    pub fn new(root: &Path) -> StateDir {
        StateDir {
            root: root.to_owned(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the delivery lock, or says who holds it.
    pub fn lock(&self) -> Result<Lock> {
        self.take(
            names::SEND_LOCK,
            "another delivery is running",
            "wait for it to finish",
        )
    }

    /// Takes the lock `postbode run` holds for its life.
    pub fn run_lock(&self) -> Result<Lock> {
        self.take(
            names::RUN_LOCK,
            "`postbode run` is already running",
            "one is enough",
        )
    }

    /// Who holds the delivery lock (`pid 1234`), if anyone does.
    pub fn delivery_holder(&self) -> Result<Option<String>> {
        lock_holder(&self.root.join(names::SEND_LOCK))
    }

    /// Who holds `postbode run`'s lock, if anyone does.
    pub fn run_holder(&self) -> Result<Option<String>> {
        lock_holder(&self.root.join(names::RUN_LOCK))
    }

    fn take(&self, name: &str, what: &'static str, advice: &'static str) -> Result<Lock> {
        std::fs::create_dir_all(&self.root).map_err(files::io_error("create", &self.root))?;
        match pid_lock(&self.root.join(name))? {
            Ok(lock) => Ok(lock),
            Err(holder) => Err(StateError::Busy {
                what,
                dir: self.root.clone(),
                holder,
                advice,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use std::fs::{self, File};

    #[test]
    fn the_fire_record_only_moves_forward_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(&dir.path().join("state"));
        assert_eq!(state.last_fired().unwrap(), None);
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        state.record_fired(t("2026-11-23T08:00:00+01:00")).unwrap();
        state.record_fired(t("2026-11-16T08:00:00+01:00")).unwrap();
        assert_eq!(
            state.last_fired().unwrap(),
            Some(t("2026-11-23T08:00:00+01:00"))
        );
        let leftovers: Vec<_> = fs::read_dir(state.root())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, [names::FIRED]);
    }

    #[test]
    fn a_held_lock_names_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(names::RUN_LOCK);
        assert_eq!(lock_holder(&path).unwrap(), None);
        fs::write(&path, "pid 42").unwrap();
        assert_eq!(lock_holder(&path).unwrap(), None);
        let held = File::open(&path).unwrap();
        held.try_lock().unwrap();
        assert_eq!(lock_holder(&path).unwrap().as_deref(), Some("pid 42"));
        drop(held);
        assert_eq!(lock_holder(&path).unwrap(), None);
    }

    #[test]
    fn a_second_delivery_is_told_who_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        let _held = state.lock().unwrap();
        let err = state.lock().unwrap_err().to_string();
        assert!(
            err.starts_with("another delivery is running on")
                && err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
    }
}
