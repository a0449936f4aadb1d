//! What `serve`'s in-memory index needs from a subscriber store: a cheap
//! version to tell whether the stored list changed, the whole list, the
//! writers' lock, and a way to store a few changed entries.
//!
//! The YAML file implements it here: its version is the file's device,
//! inode, size and modification time (writers replace the file by a rename,
//! editors write it in place; either changes one of them), and storing
//! rewrites the file. A store that can change single rows (SQLite) stores
//! only the entries it is told changed.

use std::any::Any;

use crate::subscribers::{Stamp, Store, StoreError, Subscriber};

/// Identifies one state of the stored list; equal versions, equal lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(pub [u64; 5]);

/// A subscriber store as `serve` uses it.
pub trait Backend: Send + Sync + 'static {
    /// The stored list's version now, without reading the list (`None`:
    /// there is no list yet).
    fn version(&self) -> Result<Option<Version>, StoreError>;

    /// The whole list and its version. The version is taken before the
    /// list is read, so a change in between makes the next check reload.
    fn load_all(&self) -> Result<(Vec<Subscriber>, Option<Version>), StoreError>;

    /// Holds off every other writer (other processes included) until the
    /// returned guard is dropped.
    fn lock(&self) -> Result<Box<dyn Any>, StoreError>;

    /// Stores `list`, in which the entries at `changed` are new or changed;
    /// durable when it returns. Only called under [`Backend::lock`].
    fn store(&self, list: &[Subscriber], changed: &[usize]) -> Result<Option<Version>, StoreError>;
}

impl Backend for Store {
    fn version(&self) -> Result<Option<Version>, StoreError> {
        file_version(self)
    }

    fn load_all(&self) -> Result<(Vec<Subscriber>, Option<Version>), StoreError> {
        let version = file_version(self)?;
        Ok((self.load()?, version))
    }

    fn lock(&self) -> Result<Box<dyn Any>, StoreError> {
        Ok(Box::new(self.lock_writers()?))
    }

    fn store(
        &self,
        list: &[Subscriber],
        _changed: &[usize],
    ) -> Result<Option<Version>, StoreError> {
        self.replace(list)?;
        file_version(self)
    }
}

fn file_version(store: &Store) -> Result<Option<Version>, StoreError> {
    Ok(Stamp::of(store.path())?.map(|Stamp(v)| Version(v)))
}
