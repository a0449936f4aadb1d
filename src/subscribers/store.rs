//! Reading and changing the list file safely.
//!
//! Writers take an exclusive lock on a separate file beside the list
//! (`subscribers.yaml.lock`, never deleted: deleting a lock file lets two
//! writers lock different files), then read, change, validate, and write the
//! new list beside the old one (`.subscribers.yaml.tmp-<pid>`), fsync it,
//! rename it over the old one and fsync the folder. A rename is atomic, so
//! readers take no lock and always see a whole list, and a writer killed at
//! any moment leaves the old list or the new one (plus perhaps a temp file,
//! which the next writer removes).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use super::format::{self, Prints};
use super::validate::{convert, entry_is_valid};
use super::{has_key, list_problems, validate, StoreError, Subscriber};

/// Permanent delivery failures after which an active subscriber is `bounced`.
pub const DEFAULT_BOUNCE_LIMIT: u32 = 3;

/// Entries another writer changed: each one's position and what it was
/// before (`None`: added).
pub type Changes = Vec<(usize, Option<Subscriber>)>;

/// A list file as read: its text (`None`: no file), the list, and the
/// text's prints.
type Read = (Option<String>, Vec<Subscriber>, Option<Prints>);

/// The YAML list file at one path.
#[derive(Debug, Clone)]
pub struct YamlStore {
    path: PathBuf,
}

impl YamlStore {
    /// The list at `path`; nothing is read until it is used.
    pub fn open(path: impl Into<PathBuf>) -> YamlStore {
        YamlStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads and validates the list (a missing file is an empty list).
    pub fn load(&self) -> Result<Vec<Subscriber>, StoreError> {
        let Some(text) = read(&self.path)? else {
            return Ok(Vec::new());
        };
        let raw = format::parse(&text).map_err(|e| StoreError::syntax(&self.path, e))?;
        // The entries own their strings: the text can go before the
        // list is checked.
        drop(text);
        validated(&self.path, raw)
    }

    /// The list as delivery needs it: every entry with a token that is
    /// saved in the file. An entry added by hand without one gets it
    /// written now (under the lock), before a message carries it, so that
    /// its unsubscribe link leads somewhere. Otherwise just [`YamlStore::load`].
    pub fn load_with_tokens(&self) -> Result<Vec<Subscriber>, StoreError> {
        let Some(text) = read(&self.path)? else {
            return Ok(Vec::new());
        };
        let raw = format::parse(&text).map_err(|e| StoreError::syntax(&self.path, e))?;
        drop(text);
        let all_saved = raw.iter().all(|e| {
            e.token
                .as_deref()
                .is_some_and(|t| super::token_is_valid(t.trim()))
        });
        if all_saved {
            validated(&self.path, raw)
        } else {
            drop(raw);
            self.update(|list| Ok::<_, StoreError>(list.clone()))
        }
    }

    /// Changes the list: locks it, reads it, lets `change` edit it, checks
    /// the result and replaces the file. Nothing is written when `change`
    /// fails, when the result is invalid, or when the text would not change.
    pub fn update<T, E>(
        &self,
        change: impl FnOnce(&mut Vec<Subscriber>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        // Read before taking the lock, so that a long parse does not hold
        // other writers up. Under the lock, the file's stamp tells whether
        // another writer replaced it meanwhile; if so, only the entries it
        // changed are read (see [`YamlStore::catch_up`]), or the whole list
        // when that cannot be done.
        let stamp = Stamp::of(&self.path)?;
        let early = match stamp {
            Some(_) => Some(self.read_printed()?),
            None => None,
        };
        let _lock = self.lock()?;
        let (original, mut list, prints) = match early {
            Some((text, list, prints)) if Stamp::of(&self.path)? == stamp => (text, list, prints),
            Some((text, mut list, Some(mut prints))) => {
                drop(text);
                match self.catch_up_text(&mut list, &mut prints)? {
                    Some((_, text)) => (Some(text), list, Some(prints)),
                    None => {
                        drop(list);
                        self.read_printed()?
                    }
                }
            }
            _ => self.read_printed()?,
        };
        self.remove_stale_temp_files();
        let value = change(&mut list)?;
        let (text, after) = format::write_printed(&list);
        // The list as read was valid: only the entries the change touched
        // can have a problem, alone or with another entry.
        let changed = prints.as_ref().and_then(|p| p.differ(&after));
        let fine = changed.is_some_and(|c| c.len() <= FEW && changed_are_valid(&list, &c));
        if !fine {
            refuse_invalid(&self.path, &list)?;
        }
        if original.as_deref() != Some(text.as_str()) {
            self.write_atomically(&text)?;
        }
        Ok(value)
    }

    /// The text (`None` without a file), the parsed list and the text's
    /// prints.
    fn read_printed(&self) -> Result<Read, StoreError> {
        let Some(text) = read(&self.path)? else {
            return Ok((None, Vec::new(), None));
        };
        let (raw, prints) = self.parse_printed(&text)?;
        Ok((Some(text), validated(&self.path, raw)?, prints))
    }

    /// [`YamlStore::load`], with the prints of the text read (`None`: no
    /// file, or not in postbode's layout), for [`YamlStore::catch_up`].
    pub fn load_printed(&self) -> Result<(Vec<Subscriber>, Option<Prints>), StoreError> {
        let Some(text) = read(&self.path)? else {
            return Ok((Vec::new(), None));
        };
        let (raw, prints) = self.parse_printed(&text)?;
        // As in `load`: the text goes before the list is checked.
        drop(text);
        Ok((validated(&self.path, raw)?, prints))
    }

    fn parse_printed(
        &self,
        text: &str,
    ) -> Result<(Vec<format::RawEntry>, Option<Prints>), StoreError> {
        format::parse_printed(text).map_err(|e| StoreError::syntax(&self.path, e))
    }

    /// Brings `list`, read from the text `prints` are of, up to date with
    /// the file as it is now, parsing only the entries another writer
    /// changed or added: returns the position of each and what it was
    /// before (`None`: added). `Ok(None)` when that cannot be done (see
    /// [`Prints`]) or a changed entry is invalid on its own; `list` and
    /// `prints` are as they were then, and the caller reads the whole list,
    /// which reports the problem with its line.
    ///
    /// Problems between entries (an address or token twice, which only a
    /// hand edit can make) are the caller's to check, against the changed
    /// entries only: [`YamlStore::update`] checks the whole list before it
    /// writes, `serve` its indexes.
    pub fn catch_up(
        &self,
        list: &mut Vec<Subscriber>,
        prints: &mut Prints,
    ) -> Result<Option<Changes>, StoreError> {
        Ok(self
            .catch_up_text(list, prints)?
            .map(|(changes, _)| changes))
    }

    /// [`YamlStore::catch_up`], also giving the text read.
    fn catch_up_text(
        &self,
        list: &mut Vec<Subscriber>,
        prints: &mut Prints,
    ) -> Result<Option<(Changes, String)>, StoreError> {
        if list.len() != prints.len() {
            return Ok(None);
        }
        let Some(text) = read(&self.path)? else {
            return Ok(None);
        };
        let Some((after, changed)) = prints.changes(&text) else {
            return Ok(None);
        };
        let mut entries = Vec::with_capacity(changed.len());
        for (i, raw) in changed {
            let (entry, _, problems) = convert(i, raw);
            if problems.iter().any(|p| p.fatal) || !entry_is_valid(&entry) {
                return Ok(None);
            }
            entries.push((i, entry));
        }
        let before = list.len();
        let mut changes = Vec::with_capacity(entries.len());
        for (i, entry) in entries {
            if i < before {
                changes.push((i, Some(std::mem::replace(&mut list[i], entry))));
            } else {
                list.push(entry);
                changes.push((i, None));
            }
        }
        *prints = after;
        Ok(Some((changes, text)))
    }

    /// For a writer that keeps the list in memory between changes (`serve`):
    /// the writers' lock, held until the returned file is dropped.
    pub fn lock_writers(&self) -> Result<File, StoreError> {
        let lock = self.lock()?;
        self.remove_stale_temp_files();
        Ok(lock)
    }

    /// Replaces the file with `list`, atomically and synced; only under
    /// [`Store::lock_writers`].
    pub fn replace(&self, list: &[Subscriber]) -> Result<(), StoreError> {
        self.write_atomically(&format::write(list))
    }

    /// [`YamlStore::replace`], giving the prints of the text written.
    fn replace_printed(&self, list: &[Subscriber]) -> Result<Prints, StoreError> {
        let (text, prints) = format::write_printed(list);
        self.write_atomically(&text)?;
        Ok(prints)
    }

    /// [`YamlStore::replace_printed`] for a list of which only the entries
    /// at `changed` (sorted) differ from the file, which `prints` are of:
    /// their lines are written anew, the others' copied from the file (each
    /// checked against its print), which saves turning 100,000 entries into
    /// text for one unsubscribe. Only under [`Store::lock_writers`].
    pub fn replace_changed(
        &self,
        list: &[Subscriber],
        changed: &[usize],
        prints: Option<&Prints>,
    ) -> Result<Prints, StoreError> {
        if let Some(prints) = prints {
            let old = match File::open(&self.path) {
                Ok(old) => Some(old),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(source) => {
                    return Err(StoreError::Io {
                        action: "read",
                        path: self.path.clone(),
                        source,
                    })
                }
            };
            if let Some(old) = old {
                let mut after = None;
                self.write_atomically_with(|out| {
                    after = format::splice(&old, prints, list, changed, out)?;
                    Ok(after.is_some())
                })?;
                if let Some(after) = after {
                    return Ok(after);
                }
            }
        }
        self.replace_printed(list)
    }

    /// Unsubscribes the holder of `token` (the link in their digest) and
    /// returns them; `None` for an unknown token.
    pub fn unsubscribe_by_token(
        &self,
        token: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<Subscriber>, StoreError> {
        let token = token.trim();
        self.update(|list| {
            Ok(list
                .iter_mut()
                .find(|s| !token.is_empty() && s.token == token)
                .map(|s| {
                    s.unsubscribe(now);
                    s.clone()
                }))
        })
    }

    /// Counts one permanent delivery failure for each address (in one write)
    /// and returns the addresses that became `bounced` with it. Addresses no
    /// longer on the list are ignored.
    pub fn record_bounces(&self, emails: &[&str], limit: u32) -> Result<Vec<String>, StoreError> {
        self.update(|list| {
            let index: HashMap<String, usize> =
                list.iter().enumerate().map(|(i, s)| (s.key(), i)).collect();
            let mut bounced = Vec::new();
            for email in emails {
                let key = super::address::key_of(email);
                if let Some(&i) = index.get(&key) {
                    if list[i].record_bounce(limit) {
                        bounced.push(list[i].email.clone());
                    }
                }
            }
            Ok(bounced)
        })
    }

    fn folder(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    fn file_name(&self) -> String {
        self.path.file_name().map_or_else(
            || "subscribers".into(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// Blocks until this process is the only writer; released when dropped
    /// (or when the process dies: the kernel drops `flock` locks with the file).
    fn lock(&self) -> Result<File, StoreError> {
        let folder = self.folder();
        fs::create_dir_all(folder).map_err(|source| StoreError::Io {
            action: "create the folder",
            path: folder.to_owned(),
            source,
        })?;
        let path = folder.join(format!("{}.lock", self.file_name()));
        let io = |action, source| StoreError::Io {
            action,
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| io("open the lock file", e))?;
        fs4::FileExt::lock(&file).map_err(|e| io("lock", e))?;
        Ok(file)
    }

    fn temp_prefix(&self) -> String {
        format!(".{}.tmp-", self.file_name())
    }

    /// Temp files of writers that died mid-write. Only called under the lock,
    /// so none of them belongs to a live writer.
    fn remove_stale_temp_files(&self) {
        let prefix = self.temp_prefix();
        let Ok(entries) = fs::read_dir(self.folder()) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    fn write_atomically(&self, text: &str) -> Result<(), StoreError> {
        self.write_atomically_with(|out| out.write_all(text.as_bytes()).map(|()| true))
    }

    /// Replaces the file with what `write` writes, unless it returns false
    /// (then the file stays as it was).
    fn write_atomically_with(
        &self,
        write: impl FnOnce(&mut io::BufWriter<File>) -> io::Result<bool>,
    ) -> Result<(), StoreError> {
        let folder = self.folder();
        let temp = folder.join(format!("{}{}", self.temp_prefix(), std::process::id()));
        let result = (|| {
            let file = File::create(&temp)?;
            // The list holds personal data: keep whatever access the owner gave it.
            if let Ok(meta) = fs::metadata(&self.path) {
                file.set_permissions(meta.permissions())?;
            }
            let mut out = io::BufWriter::with_capacity(1 << 16, file);
            if !write(&mut out)? {
                return Ok(false);
            }
            let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temp, &self.path).map(|()| true)
        })();
        match result {
            Ok(true) => {}
            Ok(false) => {
                let _ = fs::remove_file(&temp);
                return Ok(());
            }
            Err(source) => {
                let _ = fs::remove_file(&temp);
                return Err(StoreError::Io {
                    action: "write",
                    path: self.path.clone(),
                    source,
                });
            }
        }
        sync_folder(folder).map_err(|source| StoreError::Io {
            action: "sync the folder",
            path: folder.to_owned(),
            source,
        })
    }
}

/// Up to this many changed entries are checked on their own (see
/// [`changed_are_valid`]); more, and the whole list is.
const FEW: usize = 64;

/// True when the entries at `changed` have none of the fatal problems of
/// [`list_problems`]: invalid on their own, or with the address or token
/// of another entry. A check of a few entries against the list that
/// parses no other address: only entries whose part before `@` matches
/// without case can have the same address. False also for twins that are
/// only a warning; the caller then checks the whole list.
fn changed_are_valid(list: &[Subscriber], changed: &[usize]) -> bool {
    use rayon::prelude::*;
    changed.iter().all(|&i| {
        let s = &list[i];
        let key = s.key();
        entry_is_valid(s)
            && list
                .par_iter()
                .enumerate()
                .all(|(j, o)| j == i || (o.token != s.token && !has_key(o, &key)))
    })
}

/// Makes the rename itself durable.
#[cfg(unix)]
fn sync_folder(folder: &Path) -> io::Result<()> {
    File::open(folder)?.sync_all()
}

#[cfg(not(unix))]
fn sync_folder(_folder: &Path) -> io::Result<()> {
    Ok(())
}

/// What tells one version of the list file from another without reading
/// it: device, inode, size and modification time. Writers replace the file
/// by a rename, so every write gives it a new inode; a hand edit in place
/// changes its size or its time (in nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(pub [u64; 5]);

impl Stamp {
    /// The stamp of the file at `path`; `None` when there is no file.
    pub fn of(path: &Path) -> Result<Option<Stamp>, StoreError> {
        match fs::metadata(path) {
            Ok(m) => Ok(Some(Stamp::from_metadata(&m))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            }),
        }
    }

    #[cfg(unix)]
    fn from_metadata(m: &fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt as _;
        Stamp([
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime() as u64,
            m.mtime_nsec() as u64,
        ])
    }

    #[cfg(not(unix))]
    fn from_metadata(m: &fs::Metadata) -> Stamp {
        let mtime = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .unwrap_or_default();
        Stamp([
            0,
            0,
            m.len(),
            mtime.as_secs(),
            u64::from(mtime.subsec_nanos()),
        ])
    }
}

/// The file's text; `None` when there is no file.
pub(crate) fn read(path: &Path) -> Result<Option<String>, StoreError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StoreError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            })
        }
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let bytes = e.as_bytes();
        let good = &bytes[..e.utf8_error().valid_up_to()];
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        StoreError::Syntax {
            path: path.to_owned(),
            line: Some(good.iter().filter(|&&b| b == b'\n').count() + 1),
            column: Some(String::from_utf8_lossy(&good[line_start..]).chars().count() + 1),
            message: "the file is not UTF-8 text".into(),
        }
    })
}

/// Refuses a changed list of `path` that has fatal problems, naming them.
pub(super) fn refuse_invalid(path: &Path, list: &[Subscriber]) -> Result<(), StoreError> {
    let problems: Vec<_> = list_problems(list, &[])
        .into_iter()
        .filter(|p| p.fatal)
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Refused {
            path: path.to_owned(),
            problems,
        })
    }
}

/// The entries as subscribers, or the fatal problems with them.
pub(super) fn validated(
    path: &Path,
    raw: Vec<format::RawEntry>,
) -> Result<Vec<Subscriber>, StoreError> {
    let (list, problems) = validate(raw);
    let fatal: Vec<_> = problems.into_iter().filter(|p| p.fatal).collect();
    if fatal.is_empty() {
        Ok(list)
    } else {
        Err(StoreError::Invalid {
            path: path.to_owned(),
            problems: fatal,
        })
    }
}

/// An error with its cause, on one line (for `check`, which prints lines).
pub(crate) fn describe_error(e: &StoreError) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscribers::{Address, Status};

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-16T08:00:00+01:00").unwrap()
    }

    fn add(store: &YamlStore, email: &str) {
        store
            .update(|list| {
                list.push(Subscriber::new(
                    Address::parse(email).unwrap(),
                    None,
                    vec![],
                    now(),
                ));
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    #[test]
    fn first_change_creates_folder_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = YamlStore::open(dir.path().join("deep/er/subscribers.yaml"));
        assert_eq!(store.load().unwrap(), vec![]);
        add(&store, "ada@example.org");
        let list = store.load().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].subscribed_at, Some(now()));
        assert!(dir.path().join("deep/er/subscribers.yaml.lock").exists());
    }

    #[test]
    fn failed_change_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = YamlStore::open(dir.path().join("s.yaml"));
        add(&store, "ada@example.org");
        let before = fs::read(store.path()).unwrap();
        let err = store
            .update(|list| {
                list.clear();
                Err::<(), _>(StoreError::Io {
                    action: "test",
                    path: PathBuf::new(),
                    source: io::Error::other("no"),
                })
            })
            .unwrap_err();
        assert!(err.to_string().starts_with("cannot test"));
        assert_eq!(fs::read(store.path()).unwrap(), before);
    }

    #[test]
    fn an_invalid_result_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = YamlStore::open(dir.path().join("s.yaml"));
        add(&store, "ada@example.org");
        let before = fs::read(store.path()).unwrap();
        let err = store
            .update(|list| {
                let mut twin = list[0].clone();
                twin.email = "ada@EXAMPLE.ORG".into();
                twin.token = crate::subscribers::new_token();
                list.push(twin);
                Ok::<_, StoreError>(())
            })
            .unwrap_err();
        assert!(err.to_string().contains("is on the list twice"), "{err}");
        assert_eq!(fs::read(store.path()).unwrap(), before);
    }

    #[test]
    fn stale_temp_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = YamlStore::open(dir.path().join("s.yaml"));
        fs::write(dir.path().join(".s.yaml.tmp-99999999"), "half a list").unwrap();
        add(&store, "ada@example.org");
        assert!(!dir.path().join(".s.yaml.tmp-99999999").exists());
    }

    #[test]
    fn token_unsubscribe_and_bounces() {
        let dir = tempfile::tempdir().unwrap();
        let store = YamlStore::open(dir.path().join("s.yaml"));
        add(&store, "ada@example.org");
        add(&store, "bob@example.org");
        let token = store.load().unwrap()[1].token.clone();
        let s = store.unsubscribe_by_token(&token, now()).unwrap().unwrap();
        assert_eq!(
            (s.email.as_str(), s.status),
            ("bob@example.org", Status::Unsubscribed)
        );
        assert_eq!(store.unsubscribe_by_token("nope", now()).unwrap(), None);
        assert_eq!(store.unsubscribe_by_token("", now()).unwrap(), None);

        assert!(store
            .record_bounces(&["ada@example.org"], 2)
            .unwrap()
            .is_empty());
        assert_eq!(
            store
                .record_bounces(&["ada@EXAMPLE.org", "gone@example.org"], 2)
                .unwrap(),
            ["ada@example.org"]
        );
        let list = store.load().unwrap();
        assert_eq!((list[0].status, list[0].bounces), (Status::Bounced, 2));
    }

    #[test]
    fn non_utf8_file_names_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.yaml");
        fs::write(&path, b"subscribers:\n  - email: \"a\xffb@example.org\"\n").unwrap();
        let err = YamlStore::open(&path).load().unwrap_err().to_string();
        assert!(err.ends_with(":2:14: not a valid subscriber list: the file is not UTF-8 text (the file was left as it is)"), "{err}");
    }

    #[test]
    fn catch_up_reads_only_what_another_writer_changed() {
        let dir = tempfile::tempdir().unwrap();
        let store = YamlStore::open(dir.path().join("s.yaml"));
        add(&store, "a@example.org");
        add(&store, "b@example.org");
        let (mut list, prints) = store.load_printed().unwrap();
        let mut prints = prints.unwrap();
        let a = list[0].clone();

        add(&store, "c@example.org");
        store.unsubscribe_by_token(&a.token, now()).unwrap();
        let changes = store.catch_up(&mut list, &mut prints).unwrap().unwrap();
        assert_eq!(changes, vec![(0, Some(a.clone())), (2, None)]);
        assert_eq!(list, store.load().unwrap());
        assert_eq!(list[0].status, Status::Unsubscribed);

        // Nothing changed: nothing to do.
        let same = store.catch_up(&mut list, &mut prints).unwrap().unwrap();
        assert!(same.is_empty());

        // An entry that is invalid on its own: read the whole list (which
        // reports it with its line); the list stays as it was.
        let text = fs::read_to_string(store.path()).unwrap();
        let held = list.clone();
        fs::write(store.path(), text.replace("c@example.org", "c@[127.0.0.1]")).unwrap();
        assert_eq!(store.catch_up(&mut list, &mut prints).unwrap(), None);
        assert_eq!(list, held);
        assert!(store.load().is_err());

        // An entry removed: read it whole.
        fs::write(store.path(), &text).unwrap();
        store
            .update(|l| {
                l.remove(1);
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(store.catch_up(&mut list, &mut prints).unwrap(), None);
        assert_eq!(list, held);
    }
}
