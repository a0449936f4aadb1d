//! What `serve`'s in-memory index needs from a subscriber store: a cheap
//! version to tell whether the stored list changed, the whole list, the
//! entries another writer changed, the writers' lock, and a way to store a
//! few changed entries.
//!
//! The YAML file implements it here: its version is the file's device,
//! inode, size and modification time (writers replace the file by a rename,
//! editors write it in place; either changes one of them), another writer's
//! change is read through the prints of the text in memory (see
//! [`Prints`]), and storing rewrites the file. A store that can change
//! single rows (SQLite) stores only the entries it is told changed.

use std::any::Any;
use std::sync::Mutex;

use crate::subscribers::{Changes, Prints, Stamp, StoreError, Subscriber, YamlStore};

/// Identifies one state of the stored list; equal versions, equal lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(pub [u64; 5]);

/// Entries another writer changed, and the stored list's version.
pub type CaughtUp = (Changes, Option<Version>);

/// A subscriber store as `serve` uses it.
pub trait Backend: Send + Sync + 'static {
    /// The stored list's version now, without reading the list (`None`:
    /// there is no list yet).
    fn version(&self) -> Result<Option<Version>, StoreError>;

    /// The whole list and its version. The version is taken before the
    /// list is read, so a change in between makes the next check reload.
    fn load_all(&self) -> Result<(Vec<Subscriber>, Option<Version>), StoreError>;

    /// Brings `list` (as last loaded or stored) up to date with the stored
    /// list by reading only what changed, when the store can tell; `None`
    /// (and `list` as it was): load it all.
    fn catch_up(&self, _list: &mut Vec<Subscriber>) -> Result<Option<CaughtUp>, StoreError> {
        Ok(None)
    }

    /// Holds off every other writer (other processes included) until the
    /// returned guard is dropped.
    fn lock(&self) -> Result<Box<dyn Any>, StoreError>;

    /// Stores `list`, in which the entries at `changed` are new or changed;
    /// durable when it returns. Only called under [`Backend::lock`].
    fn store(&self, list: &[Subscriber], changed: &[usize]) -> Result<Option<Version>, StoreError>;
}

/// A YAML list file and the prints of the text last loaded or stored.
pub struct YamlFile {
    file: YamlStore,
    prints: Mutex<Option<Prints>>,
}

impl YamlFile {
    pub fn new(file: YamlStore) -> YamlFile {
        YamlFile {
            file,
            prints: Mutex::new(None),
        }
    }

    fn set_prints(&self, prints: Option<Prints>) {
        *self.prints.lock().unwrap_or_else(|p| p.into_inner()) = prints;
    }
}

impl Backend for YamlFile {
    fn version(&self) -> Result<Option<Version>, StoreError> {
        Ok(Stamp::of(self.file.path())?.map(|Stamp(v)| Version(v)))
    }

    fn load_all(&self) -> Result<(Vec<Subscriber>, Option<Version>), StoreError> {
        let version = self.version()?;
        self.set_prints(None);
        let (list, prints) = self.file.load_printed()?;
        self.set_prints(prints);
        Ok((list, version))
    }

    fn catch_up(&self, list: &mut Vec<Subscriber>) -> Result<Option<CaughtUp>, StoreError> {
        let version = self.version()?;
        let mut prints = self.prints.lock().unwrap_or_else(|p| p.into_inner());
        let Some(prints) = prints.as_mut() else {
            return Ok(None);
        };
        Ok(self
            .file
            .catch_up(list, prints)?
            .map(|changes| (changes, version)))
    }

    fn lock(&self) -> Result<Box<dyn Any>, StoreError> {
        Ok(Box::new(self.file.lock_writers()?))
    }

    fn store(&self, list: &[Subscriber], changed: &[usize]) -> Result<Option<Version>, StoreError> {
        let mut prints = self.prints.lock().unwrap_or_else(|p| p.into_inner());
        let held = prints.take();
        *prints = Some(self.file.replace_changed(list, changed, held.as_ref())?);
        drop(prints);
        self.version()
    }
}
