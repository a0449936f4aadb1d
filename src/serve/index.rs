//! `serve`'s copy of the subscriber list: in memory, indexed by token and by
//! address, reloaded only when the stored list changes, and changed by one
//! writer thread that group-commits. (An SQLite list is not copied: see
//! [`super::rows`].)
//!
//! A request for a token that is not on the list costs a hash lookup and no
//! I/O: the stored list's version is checked at most once per [`RECHECK`]
//! for those, so made-up tokens cannot make the server read anything. A
//! token that is on the list checks the version (one `stat`) first, so a
//! change by `postbode subscribers` or a hand edit is seen at the next
//! request that names an entry.
//!
//! Changes (unsubscribe, confirm, sign-up) queue for the writer thread. It
//! takes every change queued, takes the store's lock (the one every
//! `postbode` process takes to write), reloads the list if another process
//! changed it, applies the changes in memory, stores the list once, and
//! only then answers each request: what arrives during one write goes into
//! the next, and nothing is acknowledged before it is durable.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use tokio::sync::oneshot;

use super::backend::{Backend, Version, YamlFile};
use super::rows::Rows;
use super::signup::{fresh, Link, SignUp};
use crate::subscribers::{new_token, Changes, Status, Store, StoreError, Subscriber};

/// How old the last look at the stored list may be when a request names a
/// token that is not on the list.
pub const RECHECK: Duration = Duration::from_secs(1);

/// One change a request asks for.
#[derive(Debug, Clone)]
pub enum Change {
    Unsubscribe {
        token: String,
        at: DateTime<FixedOffset>,
    },
    Confirm {
        token: String,
        at: DateTime<FixedOffset>,
    },
    SignUp {
        signup: SignUp,
        at: DateTime<FixedOffset>,
    },
    /// The preference page's choices, already checked against the site.
    Preferences { token: String, choice: Choice },
}

/// What the preference form sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub digests: Vec<String>,
    pub categories: Vec<String>,
    pub paused_until: Option<chrono::NaiveDate>,
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The entry with the token, now unsubscribed, and whether it was
    /// this change that did it; `None`: no such token.
    Unsubscribed(Option<(Subscriber, bool)>),
    Confirmed(Link),
    /// The pending entry that needs a confirmation mail; `None`: the
    /// address is active already, and nothing changed.
    SignedUp(Option<Subscriber>),
    /// The entry with the token, as saved; `None`: no such token.
    Preferences(Option<Subscriber>),
}

type Answer = oneshot::Sender<Result<Outcome, String>>;

/// The list in memory, with its indexes.
struct Snapshot {
    /// False while (re)loading, or after a failed write: reload before use.
    valid: bool,
    version: Option<Version>,
    /// When the stored list's version was last compared with `version`.
    checked: Option<Instant>,
    list: Vec<Subscriber>,
    /// Tokens as postbode makes them (32 lower-case hex digits), as numbers:
    /// no second copy of each token in memory.
    by_token: HashMap<u128, u32>,
    /// Tokens written some other way by hand.
    by_other_token: HashMap<Box<str>, u32>,
    /// By a keyed hash of the address's identity (see [`Snapshot::address`]).
    by_address: HashMap<u64, u32>,
    hasher: RandomState,
}

/// The identity of an address: one entry per address, whatever its case.
fn identity(key: &str) -> String {
    key.to_lowercase()
}

/// A token of 32 lower-case hex digits as a number.
fn token_number(token: &str) -> Option<u128> {
    let hex = token.len() == 32
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    hex.then(|| u128::from_str_radix(token, 16).ok()).flatten()
}

impl Snapshot {
    fn invalid() -> Snapshot {
        Snapshot {
            valid: false,
            version: None,
            checked: None,
            list: Vec::new(),
            by_token: HashMap::new(),
            by_other_token: HashMap::new(),
            by_address: HashMap::new(),
            hasher: RandomState::new(),
        }
    }

    fn build(list: Vec<Subscriber>, version: Option<Version>) -> Snapshot {
        let mut snapshot = Snapshot {
            valid: true,
            version,
            checked: Some(Instant::now()),
            by_token: HashMap::with_capacity(list.len()),
            by_other_token: HashMap::new(),
            by_address: HashMap::with_capacity(list.len()),
            list: Vec::new(),
            hasher: RandomState::new(),
        };
        for (i, s) in list.iter().enumerate() {
            snapshot.index_token(&s.token, i);
            let hash = snapshot.hasher.hash_one(identity(&s.key()));
            snapshot.by_address.entry(hash).or_insert(i as u32);
        }
        snapshot.list = list;
        snapshot
    }

    fn index_token(&mut self, token: &str, i: usize) {
        match token_number(token) {
            Some(n) => self.by_token.entry(n).or_insert(i as u32),
            None => self.by_other_token.entry(token.into()).or_insert(i as u32),
        };
    }

    fn forget_token(&mut self, token: &str) {
        match token_number(token) {
            Some(n) => self.by_token.remove(&n),
            None => self.by_other_token.remove(token),
        };
    }

    fn position(&self, token: &str) -> Option<usize> {
        let token = token.trim();
        if token.is_empty() {
            return None;
        }
        match token_number(token) {
            Some(n) => self.by_token.get(&n),
            None => self.by_other_token.get(token),
        }
        .map(|&i| i as usize)
    }

    /// The entry for the address with `key`. The index holds a keyed hash
    /// of the identity (no second copy of every address); the entry itself
    /// confirms the match.
    fn address(&self, key: &str) -> Option<usize> {
        let identity = identity(key);
        let &i = self.by_address.get(&self.hasher.hash_one(&identity))?;
        let i = i as usize;
        (self::identity(&self.list[i].key()) == identity).then_some(i)
    }

    fn find(&self, token: &str) -> Option<&Subscriber> {
        self.position(token).map(|i| &self.list[i])
    }

    fn apply(&mut self, change: &Change, changed: &mut Vec<usize>) -> Outcome {
        match change {
            Change::Unsubscribe { token, at } => {
                let Some(i) = self.position(token) else {
                    return Outcome::Unsubscribed(None);
                };
                let now = self.list[i].unsubscribe(*at);
                if now {
                    changed.push(i);
                }
                Outcome::Unsubscribed(Some((self.list[i].clone(), now)))
            }
            Change::Confirm { token, at } => {
                let Some(i) = self.position(token) else {
                    return Outcome::Confirmed(Link::Invalid);
                };
                let (link, now) = confirm(&mut self.list[i], *at);
                if now {
                    changed.push(i);
                }
                Outcome::Confirmed(link)
            }
            Change::SignUp { signup, at } => self.sign_up(signup, *at, changed),
            Change::Preferences { token, choice } => {
                let Some(i) = self.position(token) else {
                    return Outcome::Preferences(None);
                };
                if set_preferences(&mut self.list[i], choice) {
                    changed.push(i);
                }
                Outcome::Preferences(Some(self.list[i].clone()))
            }
        }
    }

    /// Updates the indexes for entries another writer changed (each with
    /// what it was before; `None`: added at its position). False when a
    /// changed entry has the token or the address of another entry (a hand
    /// edit): the list must then be read whole, which reports it.
    fn caught_up(&mut self, changes: &Changes) -> bool {
        for (i, old) in changes {
            let Some(old) = old else { continue };
            if self.position(&old.token) == Some(*i) {
                self.forget_token(&old.token);
            }
            let hash = self.hasher.hash_one(identity(&old.key()));
            if self.by_address.get(&hash) == Some(&(*i as u32)) {
                self.by_address.remove(&hash);
            }
        }
        changes.iter().all(|&(i, _)| {
            let token = self.list[i].token.trim();
            let token_free = token.is_empty() || self.position(token).is_none_or(|at| at == i);
            let hash = self.hasher.hash_one(identity(&self.list[i].key()));
            let address_free = self
                .by_address
                .get(&hash)
                .is_none_or(|&at| at as usize == i);
            if token_free && address_free {
                let token = self.list[i].token.clone();
                self.index_token(&token, i);
                self.by_address.insert(hash, i as u32);
            }
            token_free && address_free
        })
    }

    /// A pending entry for a new address, or the existing entry pending
    /// again (with a new token when it had left the list).
    fn sign_up(
        &mut self,
        signup: &SignUp,
        at: DateTime<FixedOffset>,
        changed: &mut Vec<usize>,
    ) -> Outcome {
        let Some(i) = self.address(&signup.address.key) else {
            let s = new_pending(signup, at);
            let i = self.list.len();
            self.index_token(&s.token, i);
            let hash = self.hasher.hash_one(identity(&signup.address.key));
            self.by_address.insert(hash, i as u32);
            self.list.push(s.clone());
            changed.push(i);
            return Outcome::SignedUp(Some(s));
        };
        match sign_up_again(&mut self.list[i], signup, at) {
            Again::Active => Outcome::SignedUp(None),
            Again::Pending { old_token } => {
                if let Some(old) = old_token {
                    self.forget_token(&old);
                    let new = self.list[i].token.clone();
                    self.index_token(&new, i);
                }
                changed.push(i);
                Outcome::SignedUp(Some(self.list[i].clone()))
            }
        }
    }
}

/// Confirms `s` at `at` when it is pending and its link fresh; true when
/// this changed it.
pub(super) fn confirm(s: &mut Subscriber, at: DateTime<FixedOffset>) -> (Link, bool) {
    match s.status {
        Status::Active => (Link::Active(s.clone()), false),
        Status::Pending if fresh(s, at) => {
            s.resubscribe(at);
            (Link::Active(s.clone()), true)
        }
        _ => (Link::Invalid, false),
    }
}

/// The entry a sign-up makes for an address not on the list: pending.
pub(super) fn new_pending(signup: &SignUp, at: DateTime<FixedOffset>) -> Subscriber {
    let mut s = Subscriber::new(
        signup.address.clone(),
        signup.name.clone(),
        signup.categories.clone(),
        at,
    );
    s.status = Status::Pending;
    s.digests.clone_from(&signup.digests);
    s
}

/// What a sign-up did to an entry already on the list.
pub(super) enum Again {
    /// Active already: nothing changed, no mail.
    Active,
    /// Pending (again), with the token it had until now when it got a new one.
    Pending { old_token: Option<String> },
}

/// A sign-up for an existing entry: an active one stays as it is; any
/// other becomes pending with the form's choices, and one that had left
/// the list gets a new token (an old link must not confirm it).
pub(super) fn sign_up_again(
    s: &mut Subscriber,
    signup: &SignUp,
    at: DateTime<FixedOffset>,
) -> Again {
    let old_token = match s.status {
        Status::Active => return Again::Active,
        Status::Pending => None,
        Status::Unsubscribed | Status::Bounced => {
            s.status = Status::Pending;
            Some(std::mem::replace(&mut s.token, new_token()))
        }
    };
    s.subscribed_at = Some(at);
    s.categories = signup.categories.clone();
    s.digests.clone_from(&signup.digests);
    if signup.name.is_some() {
        s.name = signup.name.clone();
    }
    Again::Pending { old_token }
}

/// Sets the preference page's choice on `s`; true when it changed anything.
pub(super) fn set_preferences(s: &mut Subscriber, choice: &Choice) -> bool {
    let same = s.digests == choice.digests
        && s.categories == choice.categories
        && s.paused_until == choice.paused_until;
    s.digests.clone_from(&choice.digests);
    s.categories.clone_from(&choice.categories);
    s.paused_until = choice.paused_until;
    !same
}

struct Inner {
    backend: Box<dyn Backend>,
    snapshot: RwLock<Snapshot>,
    /// Held while the snapshot is brought up to date or changed, so that
    /// one thread reloads and the others wait for its result.
    refreshing: Mutex<()>,
}

/// The shared index; cheap to clone.
#[derive(Clone)]
pub struct Index {
    kind: Kind,
    queue: mpsc::Sender<(Change, Answer)>,
}

/// A YAML list is held in memory; an SQLite list is asked row by row
/// through its indexes, so a list of any size costs no memory.
#[derive(Clone)]
enum Kind {
    Memory(Arc<Inner>),
    Rows(Arc<Rows>),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

impl Index {
    /// The index `serve` uses for `store`.
    pub fn open(store: Store) -> Result<Index, StoreError> {
        match store {
            Store::Sqlite(db) => {
                let rows = Arc::new(Rows::open(db)?);
                let writer = Arc::clone(&rows);
                let queue = spawn_writer(move |changes| writer.commit(changes))?;
                Ok(Index {
                    kind: Kind::Rows(rows),
                    queue,
                })
            }
            Store::Yaml(file) => Index::start(YamlFile::new(file)),
        }
    }

    /// Loads the list into memory and starts the writer thread.
    pub fn start(backend: impl Backend) -> Result<Index, StoreError> {
        let inner = Arc::new(Inner {
            backend: Box::new(backend),
            snapshot: RwLock::new(Snapshot::invalid()),
            refreshing: Mutex::new(()),
        });
        inner.refresh(&lock(&inner.refreshing))?;
        let writer = Arc::clone(&inner);
        let queue = spawn_writer(move |changes| writer.commit(changes))?;
        Ok(Index {
            kind: Kind::Memory(inner),
            queue,
        })
    }

    /// True when `token` is surely not on the list, known without I/O: it
    /// is not in memory and the stored list was looked at less than
    /// [`RECHECK`] ago. (An SQLite list answers by an indexed lookup.)
    pub fn surely_unknown(&self, token: &str) -> bool {
        match &self.kind {
            Kind::Memory(inner) => {
                let s = read(&inner.snapshot);
                s.valid
                    && s.checked.is_some_and(|t| t.elapsed() < RECHECK)
                    && s.position(token).is_none()
            }
            Kind::Rows(_) => false,
        }
    }

    /// The entry with `token`, from an up-to-date list. Blocks while the
    /// list is reloaded.
    pub fn by_token(&self, token: &str) -> Result<Option<Subscriber>, StoreError> {
        match &self.kind {
            Kind::Memory(inner) => {
                // Read under the same guard: another thread's reload in
                // between would show an empty list.
                let refreshing = lock(&inner.refreshing);
                inner.refresh(&refreshing)?;
                let found = read(&inner.snapshot).find(token).cloned();
                drop(refreshing);
                Ok(found)
            }
            Kind::Rows(rows) => rows.by_token(token),
        }
    }

    /// What the confirmation link `token` leads to at `now`, changing
    /// nothing.
    pub fn look_up(&self, token: &str, now: DateTime<FixedOffset>) -> Result<Link, StoreError> {
        Ok(match self.by_token(token)? {
            Some(s) if s.status == Status::Active => Link::Active(s),
            Some(s) if s.status == Status::Pending && fresh(&s, now) => Link::Pending(s),
            _ => Link::Invalid,
        })
    }

    /// Queues `change` and waits until it is stored.
    pub async fn change(&self, change: Change) -> Result<Outcome, String> {
        let (answer, outcome) = oneshot::channel();
        self.queue
            .send((change, answer))
            .map_err(|_| STOPPED.to_owned())?;
        outcome.await.map_err(|_| STOPPED.to_owned())?
    }

    /// [`Index::change`], for a blocking thread.
    pub fn change_blocking(&self, change: Change) -> Result<Outcome, String> {
        let (answer, outcome) = oneshot::channel();
        self.queue
            .send((change, answer))
            .map_err(|_| STOPPED.to_owned())?;
        outcome.blocking_recv().map_err(|_| STOPPED.to_owned())?
    }

    /// Entries held in memory (for tests and figures); none for SQLite.
    pub fn len(&self) -> usize {
        match &self.kind {
            Kind::Memory(inner) => read(&inner.snapshot).list.len(),
            Kind::Rows(_) => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const STOPPED: &str = "the list's writer thread has stopped";

/// Starts the thread that stores changes: it takes every change queued,
/// has `commit` store them at once, and only then answers each, until
/// every [`Index`] is gone.
fn spawn_writer(
    commit: impl Fn(&[&Change]) -> Result<Vec<Outcome>, StoreError> + Send + 'static,
) -> Result<mpsc::Sender<(Change, Answer)>, StoreError> {
    let (queue, jobs) = mpsc::channel::<(Change, Answer)>();
    std::thread::Builder::new()
        .name("list-writer".into())
        .spawn(move || {
            while let Ok(first) = jobs.recv() {
                let batch: Vec<(Change, Answer)> =
                    std::iter::once(first).chain(jobs.try_iter()).collect();
                let changes: Vec<&Change> = batch.iter().map(|(c, _)| c).collect();
                match commit(&changes) {
                    Ok(outcomes) => {
                        for ((_, answer), outcome) in batch.into_iter().zip(outcomes) {
                            let _ = answer.send(Ok(outcome));
                        }
                    }
                    Err(e) => {
                        let message = chain(&e);
                        for (_, answer) in batch {
                            let _ = answer.send(Err(message.clone()));
                        }
                    }
                }
            }
        })
        .map_err(|source| StoreError::Io {
            action: "start the writer thread for",
            path: "the subscriber list".into(),
            source,
        })?;
    Ok(queue)
}

impl Inner {
    /// Brings the list up to date if the stored one changed: reads only
    /// the entries another writer changed when the store can tell, else
    /// the whole list. `_refreshing` proves the caller holds
    /// [`Inner::refreshing`].
    fn refresh(&self, _refreshing: &MutexGuard<'_, ()>) -> Result<(), StoreError> {
        let now = self.backend.version()?;
        {
            let mut s = write(&self.snapshot);
            if s.valid && s.version == now {
                s.checked = Some(Instant::now());
                return Ok(());
            }
            if s.valid {
                if let Some((changes, version)) = self.backend.catch_up(&mut s.list)? {
                    if s.caught_up(&changes) {
                        s.version = version;
                        s.checked = Some(Instant::now());
                        return Ok(());
                    }
                }
            }
            // The old list goes before the new one is read: memory holds
            // one list at a time. Readers wait on `refreshing` meanwhile.
            *s = Snapshot::invalid();
        }
        let (list, version) = self.backend.load_all()?;
        *write(&self.snapshot) = Snapshot::build(list, version);
        give_back_freed_memory();
        Ok(())
    }

    /// Applies `changes` and stores the list once, under the store's lock.
    fn commit(&self, changes: &[&Change]) -> Result<Vec<Outcome>, StoreError> {
        // A list another process changed is read before the lock is taken,
        // so the other writers wait only for this one's write; under the
        // lock the refresh is then a stamp check, or a read of what another
        // writer changed meanwhile.
        self.refresh(&lock(&self.refreshing))?;
        let _writers = self.backend.lock()?;
        let refreshing = lock(&self.refreshing);
        self.refresh(&refreshing)?;
        let mut changed = Vec::new();
        let outcomes: Vec<Outcome> = {
            let mut s = write(&self.snapshot);
            changes.iter().map(|c| s.apply(c, &mut changed)).collect()
        };
        if changed.is_empty() {
            return Ok(outcomes);
        }
        changed.sort_unstable();
        changed.dedup();
        // Readers go on during the write: only this thread changes the list.
        let stored = {
            let s = read(&self.snapshot);
            self.backend.store(&s.list, &changed)
        };
        let mut s = write(&self.snapshot);
        match stored {
            Ok(version) => {
                s.version = version;
                s.checked = Some(Instant::now());
                Ok(outcomes)
            }
            Err(e) => {
                // Memory holds changes the store does not: read it again.
                *s = Snapshot::invalid();
                Err(e)
            }
        }
    }
}

/// Reading a list frees several times its size in text and parsed
/// entries; glibc keeps freed memory for later unless asked to return it.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases memory that is free; it takes
    // the allocator's own lock.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// An error with its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
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
    use crate::subscribers::{Address, Store};

    fn at() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-16T08:00:00+01:00").unwrap()
    }

    fn signup(email: &str) -> Change {
        Change::SignUp {
            signup: SignUp {
                address: Address::parse(email).unwrap(),
                name: None,
                categories: vec![],
                digests: vec![],
            },
            at: at(),
        }
    }

    #[test]
    fn changes_are_stored_and_other_writers_are_seen() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.yaml"));
        let index = Index::open(store.clone()).unwrap();
        assert!(index.is_empty());
        let Ok(Outcome::SignedUp(Some(ada))) = index.change_blocking(signup("ada@example.org"))
        else {
            panic!("no sign-up");
        };
        assert_eq!(store.load().unwrap()[0].token, ada.token);
        assert_eq!(
            index.change_blocking(signup("ADA@example.org")).unwrap(),
            Outcome::SignedUp(Some(Subscriber {
                subscribed_at: Some(at()),
                ..ada.clone()
            })),
            "one entry per address, whatever its case"
        );
        let confirmed = index
            .change_blocking(Change::Confirm {
                token: ada.token.clone(),
                at: at(),
            })
            .unwrap();
        assert!(matches!(confirmed, Outcome::Confirmed(Link::Active(_))));
        assert_eq!(store.load().unwrap()[0].status, Status::Active);

        // Another writer's change is seen at the next look-up.
        store.unsubscribe_by_token(&ada.token, at()).unwrap();
        assert_eq!(
            index.by_token(&ada.token).unwrap().unwrap().status,
            Status::Unsubscribed
        );
        assert!(index.surely_unknown("0123456789abcdef0123456789abcdef"));
        assert_eq!(store.load().unwrap().len(), 1);
    }

    #[test]
    fn another_writers_changes_are_read_entry_by_entry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.yaml"));
        for email in ["a@example.org", "b@example.org", "c@example.org"] {
            let Ok(Outcome::SignedUp(Some(_))) = Index::open(store.clone())
                .unwrap()
                .change_blocking(signup(email))
            else {
                panic!("no sign-up");
            };
        }
        let index = Index::open(store.clone()).unwrap();
        let before = store.load().unwrap();

        // Another writer gives b a new token and adds d.
        let new_token = "0123456789abcdef0123456789abcdef".to_owned();
        store
            .update(|l| {
                l[1].token = new_token.clone();
                Ok::<_, StoreError>(())
            })
            .unwrap();
        store
            .add(Subscriber::new(
                Address::parse("D@example.org").unwrap(),
                None,
                vec![],
                at(),
            ))
            .unwrap();
        let d = store.find("d@example.org").unwrap().unwrap();
        assert_eq!(index.by_token(&d.token).unwrap().unwrap().email, d.email);
        assert_eq!(index.len(), 4);
        assert!(index.by_token(&before[1].token).unwrap().is_none());
        assert_eq!(
            index.by_token(&new_token).unwrap().unwrap().email,
            "b@example.org"
        );
        // The address index knows d, whatever the case.
        assert_eq!(
            index.change_blocking(signup("d@EXAMPLE.org")).unwrap(),
            Outcome::SignedUp(None)
        );

        // A hand edit that gives c the address of b: read whole, refused.
        // (One more character: a same-size edit within the file system's
        // clock tick keeps the stamp.)
        let text = std::fs::read_to_string(store.path()).unwrap();
        std::fs::write(
            store.path(),
            text.replace("\"c@example.org\"", "\"bb@example.org\"")
                .replace("\"b@example.org\"", "\"bb@example.org\""),
        )
        .unwrap();
        assert!(index.by_token(&d.token).is_err());
        std::fs::write(store.path(), &text).unwrap();
        assert_eq!(index.by_token(&d.token).unwrap().unwrap().email, d.email);

        // An entry removed: the list is read whole.
        store.remove("a@example.org").unwrap();
        assert!(index.by_token(&before[0].token).unwrap().is_none());
        assert_eq!(index.by_token(&d.token).unwrap().unwrap().email, d.email);
        assert_eq!(index.len(), 3);
    }
}
