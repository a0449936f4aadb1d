//! Which store holds a list, chosen by the file name (`.sqlite` or `.db`:
//! SQLite; anything else: YAML), and the operations every command goes
//! through, with the same meaning in both.
//!
//! The YAML store does each of them as a locked rewrite of the whole file;
//! the SQLite store touches only the rows concerned, which is what makes a
//! list of a million subscribers workable.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use super::{find, find_by_token, position, SqliteStore, StoreError, Subscriber, YamlStore};

/// The list at one path, in whichever store its name says.
#[derive(Debug, Clone)]
pub enum Store {
    Yaml(YamlStore),
    Sqlite(SqliteStore),
}

/// Reads the list at `path` (a missing file is an empty list).
pub fn load(path: &Path) -> Result<Vec<Subscriber>, StoreError> {
    Store::open(path).load()
}

/// True for a file name that means an SQLite list.
pub fn is_sqlite(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("sqlite") || e.eq_ignore_ascii_case("db"))
}

impl Store {
    /// The list at `path`; nothing is read until it is used.
    pub fn open(path: impl Into<PathBuf>) -> Store {
        let path = path.into();
        if is_sqlite(&path) {
            Store::Sqlite(SqliteStore::open(path))
        } else {
            Store::Yaml(YamlStore::open(path))
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Store::Yaml(s) => s.path(),
            Store::Sqlite(s) => s.path(),
        }
    }

    /// Reads and validates the whole list.
    pub fn load(&self) -> Result<Vec<Subscriber>, StoreError> {
        match self {
            Store::Yaml(s) => s.load(),
            Store::Sqlite(s) => s.load(),
        }
    }

    /// The whole list with every token saved (see [`YamlStore::load_with_tokens`]).
    pub fn load_with_tokens(&self) -> Result<Vec<Subscriber>, StoreError> {
        match self {
            Store::Yaml(s) => s.load_with_tokens(),
            Store::Sqlite(s) => {
                s.save_tokens()?;
                s.load()
            }
        }
    }

    /// Calls `f` with every subscriber in list order. SQLite holds one at a
    /// time; YAML holds the file's text and a piece of the list (see
    /// [`YamlStore::for_each`]). With `save_tokens`, entries without a
    /// proper token get one saved first, as in [`Store::load_with_tokens`].
    pub fn for_each<E: From<StoreError>>(
        &self,
        save_tokens: bool,
        f: impl FnMut(Subscriber) -> Result<(), E>,
    ) -> Result<(), E> {
        match self {
            Store::Yaml(s) => s.for_each(save_tokens, f),
            Store::Sqlite(s) => {
                if save_tokens {
                    s.save_tokens()?;
                }
                s.for_each(f)
            }
        }
    }

    /// Changes the whole list under the store's write lock (see
    /// [`YamlStore::update`]). On SQLite this reads every row: commands
    /// that change one entry use the methods below.
    pub fn update<T, E>(
        &self,
        change: impl FnOnce(&mut Vec<Subscriber>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        match self {
            Store::Yaml(s) => s.update(change),
            Store::Sqlite(s) => s.update(change),
        }
    }

    /// For a writer that keeps the list in memory (`serve`): the writers'
    /// lock file beside the list, held until the file is dropped.
    pub fn lock_writers(&self) -> Result<std::fs::File, StoreError> {
        YamlStore::open(self.path()).lock_writers()
    }

    /// Replaces the whole list with `list`; only under [`Store::lock_writers`].
    /// SQLite writes the rows that differ, in one transaction.
    pub fn replace(&self, list: &[Subscriber]) -> Result<(), StoreError> {
        match self {
            Store::Yaml(s) => s.replace(list),
            Store::Sqlite(s) => s.update(|l| {
                *l = list.to_vec();
                Ok::<_, StoreError>(())
            }),
        }
    }

    /// The subscriber with this address (compared as keys), if any.
    pub fn find(&self, email: &str) -> Result<Option<Subscriber>, StoreError> {
        match self {
            Store::Yaml(s) => Ok(find(&s.load()?, email).cloned()),
            Store::Sqlite(s) => s.find(email),
        }
    }

    /// The subscriber whose unsubscribe token this is, if any.
    pub fn find_by_token(&self, token: &str) -> Result<Option<Subscriber>, StoreError> {
        match self {
            Store::Yaml(s) => Ok(find_by_token(&s.load()?, token).cloned()),
            Store::Sqlite(s) => s.find_by_token(token),
        }
    }

    /// Adds `new` unless its address is on the list; returns the entry that
    /// is there instead, if any.
    pub fn add(&self, new: Subscriber) -> Result<Option<Subscriber>, StoreError> {
        Ok(self.add_many(vec![new], false)?.pop().flatten())
    }

    /// Adds each subscriber whose address is not on the list yet, in one
    /// write; for each, `None` when added or the entry already there. With
    /// `dry_run` nothing is written.
    pub fn add_many(
        &self,
        new: Vec<Subscriber>,
        dry_run: bool,
    ) -> Result<Vec<Option<Subscriber>>, StoreError> {
        let merge = |list: &mut Vec<Subscriber>, new: Vec<Subscriber>| {
            let mut on_list = keys_near(list, &new);
            let mut out = Vec::with_capacity(new.len());
            for s in new {
                match on_list.get(&s.key()) {
                    Some(&i) => out.push(Some(list[i].clone())),
                    None => {
                        on_list.insert(s.key(), list.len());
                        list.push(s);
                        out.push(None);
                    }
                }
            }
            out
        };
        match self {
            Store::Yaml(s) if dry_run => Ok(merge(&mut s.load()?, new)),
            Store::Yaml(s) => s.update(|list| Ok(merge(list, new))),
            Store::Sqlite(s) => s.add_many(new, dry_run),
        }
    }

    /// Changes the entry with `email` with `f`; `None` when the address is
    /// not on the list. Returns what `f` returned and the entry after it.
    pub fn change<T>(
        &self,
        email: &str,
        f: impl FnOnce(&mut Subscriber) -> T,
    ) -> Result<Option<(T, Subscriber)>, StoreError> {
        match self {
            Store::Yaml(s) => s.update(|list| {
                Ok(position(list, email).map(|i| {
                    let value = f(&mut list[i]);
                    (value, list[i].clone())
                }))
            }),
            Store::Sqlite(s) => s.change(email, f),
        }
    }

    /// Removes the entry with `email` and returns it.
    pub fn remove(&self, email: &str) -> Result<Option<Subscriber>, StoreError> {
        match self {
            Store::Yaml(s) => s.update(|list| Ok(position(list, email).map(|i| list.remove(i)))),
            Store::Sqlite(s) => s.remove(email),
        }
    }

    /// Unsubscribes the holder of `token` (the link in their digest) and
    /// returns them; `None` for an unknown token.
    pub fn unsubscribe_by_token(
        &self,
        token: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<Subscriber>, StoreError> {
        match self {
            Store::Yaml(s) => s.unsubscribe_by_token(token, now),
            Store::Sqlite(s) => Ok(s
                .change_by_token(token, |s| s.unsubscribe(now))?
                .map(|(_, s)| s)),
        }
    }

    /// Counts one permanent delivery failure for each address (in one write)
    /// and returns the addresses that became `bounced` with it.
    pub fn record_bounces(&self, emails: &[&str], limit: u32) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Yaml(s) => s.record_bounces(emails, limit),
            Store::Sqlite(s) => s.record_bounces(emails, limit),
        }
    }
}

/// The keys of the entries on `list` whose address may be one of `new`'s,
/// with their positions. A key starts with the address's part before the
/// last `@` in lower case, so comparing that part leaves out nearly every
/// entry without parsing its address (which is most of the cost of adding
/// one reader to a long list).
fn keys_near(list: &[Subscriber], new: &[Subscriber]) -> HashMap<String, usize> {
    use rayon::prelude::*;
    fn local(key: &str) -> &str {
        key.rsplit_once('@').map_or(key, |(local, _)| local)
    }
    let wanted: HashSet<String> = new.iter().map(|s| local(&s.key()).to_owned()).collect();
    list.par_iter()
        .enumerate()
        .filter(|(_, s)| wanted.contains(&local(s.email.trim()).to_lowercase()))
        .map(|(i, s)| (s.key(), i))
        .collect()
}
