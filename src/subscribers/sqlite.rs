//! The list in an SQLite database, for lists too big to rewrite at every
//! change: one row per subscriber, looked up by address key or token through
//! indexes, so `add` or an unsubscribe touches one row whatever the size.
//!
//! The database runs in WAL mode with `synchronous = FULL`: readers never
//! wait for a writer, and a change is durable when its commit returns, as a
//! YAML rewrite is once renamed. Writers take SQLite's own write lock
//! (`BEGIN IMMEDIATE`), so no lock file is needed. The columns hold exactly
//! what the YAML layout holds (times as written there, categories as a JSON
//! array), so a list moves between the two without loss; `key` is the
//! address's identity ([`key_of`]) and is unique, so twins cannot exist.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use rusqlite::{params, Connection, Row, TransactionBehavior};

use super::format::RawEntry;
use super::validate::{convert, validate};
use super::{format_time, key_of, new_token, Problem, Status, StoreError, Subscriber};

/// How long a writer waits for another one before giving up.
const BUSY: Duration = Duration::from_secs(30);

/// Schema version in `PRAGMA user_version`: 1 had no `digests` and
/// `paused_until`; a version-1 file gets them at its first opening.
const VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    name TEXT,
    categories TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'active',
    subscribed_at TEXT,
    unsubscribed_at TEXT,
    bounces INTEGER NOT NULL DEFAULT 0,
    token TEXT NOT NULL UNIQUE,
    digests TEXT NOT NULL DEFAULT '[]',
    paused_until TEXT
);";

/// From version 1 to 2: the reader's digests and pause.
const TO_V2: &str = "
ALTER TABLE subscribers ADD COLUMN digests TEXT NOT NULL DEFAULT '[]';
ALTER TABLE subscribers ADD COLUMN paused_until TEXT;";

const COLUMNS: &str = "id, email, name, categories, status, subscribed_at, unsubscribed_at, \
     bounces, token, digests, paused_until";

/// The SQLite list at one path.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    path: PathBuf,
}

impl SqliteStore {
    /// The list at `path`; nothing is opened until it is used.
    pub fn open(path: impl Into<PathBuf>) -> SqliteStore {
        SqliteStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// A connection to an existing database; `None` when there is no file
    /// (an empty list, as for YAML: reading never creates one).
    fn reader(&self) -> Result<Option<Connection>, StoreError> {
        if !self.path.exists() {
            return Ok(None);
        }
        self.connect().map(Some)
    }

    /// A connection for a change, creating the database when needed.
    fn writer(&self) -> Result<Connection, StoreError> {
        if let Some(folder) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Io {
                action: "create the folder",
                path: folder.to_owned(),
                source,
            })?;
        }
        self.connect()
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open(&self.path).map_err(|e| self.error(e))?;
        let setup = || -> rusqlite::Result<i64> {
            conn.busy_timeout(BUSY)?;
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        };
        let version = setup().map_err(|e| self.error(e))?;
        match version {
            0 => {
                let tx = conn.unchecked_transaction().map_err(|e| self.error(e))?;
                tx.execute_batch(SCHEMA).map_err(|e| self.error(e))?;
                tx.pragma_update(None, "user_version", VERSION)
                    .map_err(|e| self.error(e))?;
                tx.commit().map_err(|e| self.error(e))?;
            }
            VERSION => {}
            1 => {
                // Under the write lock, and checked again: two processes
                // opening an old file at once migrate it once.
                conn.execute_batch("BEGIN IMMEDIATE")
                    .map_err(|e| self.error(e))?;
                let migrate = || -> rusqlite::Result<()> {
                    let now: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                    if now == 1 {
                        conn.execute_batch(TO_V2)?;
                        conn.pragma_update(None, "user_version", VERSION)?;
                    }
                    conn.execute_batch("COMMIT")
                };
                if let Err(e) = migrate() {
                    let _ = conn.execute_batch("ROLLBACK");
                    return Err(self.error(e));
                }
            }
            v => {
                return Err(StoreError::Syntax {
                    path: self.path.clone(),
                    line: None,
                    column: None,
                    message: format!(
                        "schema version {v} is newer than this postbode knows ({VERSION})"
                    ),
                })
            }
        }
        Ok(conn)
    }

    /// Every row as read, in list order, with its id.
    fn raw_all(&self, conn: &Connection) -> Result<(Vec<i64>, Vec<RawEntry>), StoreError> {
        let mut ids = Vec::new();
        let mut raw = Vec::new();
        self.scan(conn, |id, entry| {
            ids.push(id);
            raw.push(entry);
            Ok::<_, StoreError>(())
        })?;
        Ok((ids, raw))
    }

    /// Calls `f` for every row in list order, one row in memory at a time.
    fn scan<E: From<StoreError>>(
        &self,
        conn: &Connection,
        mut f: impl FnMut(i64, RawEntry) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = conn
            .prepare(&format!("SELECT {COLUMNS} FROM subscribers ORDER BY id"))
            .map_err(|e| self.error(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.error(e))?;
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            let (id, entry) = self.raw(row)?;
            f(id, entry)?;
        }
        Ok(())
    }

    fn raw(&self, row: &Row) -> Result<(i64, RawEntry), StoreError> {
        let get = || -> rusqlite::Result<_> {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, Option<String>>(6)?,
                row.get::<_, u32>(7)?,
                row.get::<_, String>(8)?,
                row.get::<_, String>(9)?,
                row.get::<_, Option<String>>(10)?,
            ))
        };
        let (
            id,
            email,
            name,
            categories,
            status,
            subscribed_at,
            unsubscribed_at,
            bounces,
            token,
            digests,
            paused_until,
        ) = get().map_err(|e| self.error(e))?;
        let bad = |message: String| StoreError::Syntax {
            path: self.path.clone(),
            line: None,
            column: None,
            message: format!("row {id} (`{email}`): {message}"),
        };
        let categories: Vec<String> = serde_json::from_str(&categories).map_err(|e| {
            bad(format!(
                "`categories` `{categories}` is not a JSON list of strings: {e}"
            ))
        })?;
        let digests: Vec<String> = serde_json::from_str(&digests).map_err(|e| {
            bad(format!(
                "`digests` `{digests}` is not a JSON list of strings: {e}"
            ))
        })?;
        let status = Status::from_name(&status).ok_or_else(|| {
            bad(format!(
                "unknown `status` `{status}` (expected active, pending, unsubscribed or bounced)"
            ))
        })?;
        Ok((
            id,
            RawEntry {
                line: None,
                email,
                name,
                categories,
                status: Some(status),
                subscribed_at,
                unsubscribed_at,
                bounces,
                token: Some(token),
                digests,
                paused_until,
            },
        ))
    }

    /// Reads and validates the whole list.
    pub fn load(&self) -> Result<Vec<Subscriber>, StoreError> {
        let Some(conn) = self.reader()? else {
            return Ok(Vec::new());
        };
        let (_, raw) = self.raw_all(&conn)?;
        super::store::validated(&self.path, raw)
    }

    /// Problems for `postbode check`, one line each.
    pub fn check(&self) -> Vec<String> {
        let checked = (|| {
            let Some(conn) = self.reader()? else {
                return Ok(Vec::new());
            };
            let (_, raw) = self.raw_all(&conn)?;
            let (_, problems) = validate(raw);
            Ok::<_, StoreError>(problems)
        })();
        match checked {
            Ok(problems) => problems.iter().map(|p| p.describe(&self.path)).collect(),
            Err(e) => vec![super::store::describe_error(&e)],
        }
    }

    /// Calls `f` with every subscriber in list order, holding one at a time
    /// (what `send` needs for a list of millions). Each entry is checked on
    /// its own; the list as a whole was checked when it was written.
    pub fn for_each<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(Subscriber) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(conn) = self.reader()? else {
            return Ok(());
        };
        let mut index = 0;
        self.scan(&conn, |_, raw| {
            let (s, _, problems) = convert(index, raw);
            index += 1;
            let fatal: Vec<Problem> = problems.into_iter().filter(|p| p.fatal).collect();
            if !fatal.is_empty() {
                return Err(StoreError::Invalid {
                    path: self.path.clone(),
                    problems: fatal,
                }
                .into());
            }
            f(s)
        })
    }

    /// Gives every entry whose token is not one postbode makes (a hand
    /// edit) a new one, saved before any message carries it.
    pub fn save_tokens(&self) -> Result<(), StoreError> {
        let Some(mut conn) = self.reader()? else {
            return Ok(());
        };
        let tx = self.begin(&mut conn)?;
        let ids: Vec<i64> = {
            let mut stmt = tx
                .prepare(
                    "SELECT id FROM subscribers \
                     WHERE length(token) != 32 OR token GLOB '*[^0-9a-fA-F]*'",
                )
                .map_err(|e| self.error(e))?;
            let ids = stmt
                .query_map([], |r| r.get(0))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<i64>>>())
                .map_err(|e| self.error(e))?;
            ids
        };
        for id in ids {
            tx.execute(
                "UPDATE subscribers SET token = ?1 WHERE id = ?2",
                params![new_token(), id],
            )
            .map_err(|e| self.error(e))?;
        }
        tx.commit().map_err(|e| self.error(e))
    }

    fn begin<'c>(&self, conn: &'c mut Connection) -> Result<rusqlite::Transaction<'c>, StoreError> {
        conn.transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.error(e))
    }

    /// The entry with `key`, with its row id.
    fn by_key(
        &self,
        conn: &Connection,
        key: &str,
    ) -> Result<Option<(i64, Subscriber)>, StoreError> {
        self.one(conn, "key", key)
    }

    fn one(
        &self,
        conn: &Connection,
        column: &str,
        value: &str,
    ) -> Result<Option<(i64, Subscriber)>, StoreError> {
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM subscribers WHERE {column} = ?1"
            ))
            .map_err(|e| self.error(e))?;
        let mut rows = stmt.query([value]).map_err(|e| self.error(e))?;
        let Some(row) = rows.next().map_err(|e| self.error(e))? else {
            return Ok(None);
        };
        let (id, raw) = self.raw(row)?;
        Ok(Some((id, convert(0, raw).0)))
    }

    /// The subscriber with this address, if any.
    pub fn find(&self, email: &str) -> Result<Option<Subscriber>, StoreError> {
        let Some(conn) = self.reader()? else {
            return Ok(None);
        };
        Ok(self.by_key(&conn, &key_of(email))?.map(|(_, s)| s))
    }

    /// The subscriber whose token this is, if any.
    pub fn find_by_token(&self, token: &str) -> Result<Option<Subscriber>, StoreError> {
        let token = token.trim();
        if token.is_empty() {
            return Ok(None);
        }
        let Some(conn) = self.reader()? else {
            return Ok(None);
        };
        Ok(self.one(&conn, "token", token)?.map(|(_, s)| s))
    }

    /// Adds each subscriber whose address is not on the list yet, in one
    /// transaction; for each, `None` when added or the entry already there.
    /// With `dry_run` nothing is written.
    pub fn add_many(
        &self,
        new: Vec<Subscriber>,
        dry_run: bool,
    ) -> Result<Vec<Option<Subscriber>>, StoreError> {
        let mut conn = self.writer()?;
        let tx = self.begin(&mut conn)?;
        let mut out = Vec::with_capacity(new.len());
        for s in new {
            match self.by_key(&tx, &s.key())? {
                Some((_, existing)) => out.push(Some(existing)),
                None => {
                    self.refuse_invalid(&s)?;
                    if !dry_run {
                        self.insert(&tx, &s)?;
                    }
                    out.push(None);
                }
            }
        }
        if !dry_run {
            tx.commit().map_err(|e| self.error(e))?;
        }
        Ok(out)
    }

    /// Changes the entry with `email` with `f`, writing it only when it
    /// changed; `None` when the address is not on the list.
    pub fn change<T>(
        &self,
        email: &str,
        f: impl FnOnce(&mut Subscriber) -> T,
    ) -> Result<Option<(T, Subscriber)>, StoreError> {
        self.change_where("key", &key_of(email), f)
    }

    /// As [`SqliteStore::change`], for the holder of `token`.
    pub fn change_by_token<T>(
        &self,
        token: &str,
        f: impl FnOnce(&mut Subscriber) -> T,
    ) -> Result<Option<(T, Subscriber)>, StoreError> {
        let token = token.trim();
        if token.is_empty() {
            return Ok(None);
        }
        self.change_where("token", token, f)
    }

    fn change_where<T>(
        &self,
        column: &str,
        value: &str,
        f: impl FnOnce(&mut Subscriber) -> T,
    ) -> Result<Option<(T, Subscriber)>, StoreError> {
        if !self.path.exists() {
            return Ok(None);
        }
        let mut conn = self.writer()?;
        let tx = self.begin(&mut conn)?;
        let Some((id, mut s)) = self.one(&tx, column, value)? else {
            return Ok(None);
        };
        let before = s.clone();
        let value = f(&mut s);
        if s != before {
            self.refuse_invalid(&s)?;
            self.update_row(&tx, id, &s)?;
            tx.commit().map_err(|e| self.error(e))?;
        }
        Ok(Some((value, s)))
    }

    /// Removes the entry with `email` and returns it.
    pub fn remove(&self, email: &str) -> Result<Option<Subscriber>, StoreError> {
        if !self.path.exists() {
            return Ok(None);
        }
        let mut conn = self.writer()?;
        let tx = self.begin(&mut conn)?;
        let Some((id, s)) = self.by_key(&tx, &key_of(email))? else {
            return Ok(None);
        };
        tx.execute("DELETE FROM subscribers WHERE id = ?1", [id])
            .map_err(|e| self.error(e))?;
        tx.commit().map_err(|e| self.error(e))?;
        Ok(Some(s))
    }

    /// Counts one permanent failure for each address, in one transaction;
    /// returns the addresses that became `bounced` with it.
    pub fn record_bounces(&self, emails: &[&str], limit: u32) -> Result<Vec<String>, StoreError> {
        if !self.path.exists() {
            return Ok(Vec::new());
        }
        let mut conn = self.writer()?;
        let tx = self.begin(&mut conn)?;
        let mut bounced = Vec::new();
        for email in emails {
            if let Some((id, mut s)) = self.by_key(&tx, &key_of(email))? {
                if s.record_bounce(limit) {
                    bounced.push(s.email.clone());
                }
                self.update_row(&tx, id, &s)?;
            }
        }
        tx.commit().map_err(|e| self.error(e))?;
        Ok(bounced)
    }

    /// Changes the list as a whole (what the YAML store's `update` does):
    /// reads every row, lets `change` edit them, checks the result and
    /// writes only the rows that changed, in one transaction. For commands
    /// that need the whole list (`dedupe`, `migrate`); single changes use
    /// the methods above.
    pub fn update<T, E>(
        &self,
        change: impl FnOnce(&mut Vec<Subscriber>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.writer()?;
        let tx = self.begin(&mut conn)?;
        let (ids, raw) = self.raw_all(&tx)?;
        let mut list = super::store::validated(&self.path, raw)?;
        let mut before: HashMap<String, (i64, Subscriber)> = ids
            .into_iter()
            .zip(list.iter().cloned())
            .map(|(id, s)| (s.email.clone(), (id, s)))
            .collect();
        let value = change(&mut list)?;
        super::store::refuse_invalid(&self.path, &list)?;
        // Rows are matched by their spelling. Deletes go first so that a
        // token or key handed from a removed row to a kept one is free.
        let mut updates = Vec::new();
        let mut inserts = Vec::new();
        for s in &list {
            match before.remove(&s.email) {
                Some((_, old)) if old == *s => {}
                Some((id, _)) => updates.push((id, s)),
                None => inserts.push(s),
            }
        }
        let error = |e| E::from(self.error(e));
        for (id, _) in before.values() {
            tx.execute("DELETE FROM subscribers WHERE id = ?1", [id])
                .map_err(error)?;
        }
        for (id, s) in updates {
            self.update_row(&tx, id, s)?;
        }
        for s in inserts {
            self.insert(&tx, s)?;
        }
        tx.commit().map_err(error)?;
        Ok(value)
    }

    /// A connection kept open for many lookups and batched changes, for a
    /// long-running process (`serve`). Creates the database when needed.
    pub fn session(&self) -> Result<Session, StoreError> {
        Ok(Session {
            store: self.clone(),
            conn: self.writer()?,
        })
    }

    fn refuse_invalid(&self, s: &Subscriber) -> Result<(), StoreError> {
        super::store::refuse_invalid(&self.path, std::slice::from_ref(s))
    }

    fn insert(&self, conn: &Connection, s: &Subscriber) -> Result<(), StoreError> {
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO subscribers (email, key, name, categories, status, subscribed_at, \
                 unsubscribed_at, bounces, token, digests, paused_until) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .map_err(|e| self.error(e))?;
        let c = Columns::of(s);
        stmt.execute(params![
            s.email,
            c.key,
            s.name,
            c.categories,
            s.status.as_str(),
            c.subscribed_at,
            c.unsubscribed_at,
            s.bounces,
            s.token,
            c.digests,
            c.paused_until
        ])
        .map_err(|e| self.error(e))?;
        Ok(())
    }

    fn update_row(&self, conn: &Connection, id: i64, s: &Subscriber) -> Result<(), StoreError> {
        let mut stmt = conn
            .prepare_cached(
                "UPDATE subscribers SET email = ?1, key = ?2, name = ?3, categories = ?4, \
                 status = ?5, subscribed_at = ?6, unsubscribed_at = ?7, bounces = ?8, \
                 token = ?9, digests = ?10, paused_until = ?11 WHERE id = ?12",
            )
            .map_err(|e| self.error(e))?;
        let c = Columns::of(s);
        stmt.execute(params![
            s.email,
            c.key,
            s.name,
            c.categories,
            s.status.as_str(),
            c.subscribed_at,
            c.unsubscribed_at,
            s.bounces,
            s.token,
            c.digests,
            c.paused_until,
            id
        ])
        .map_err(|e| self.error(e))?;
        Ok(())
    }
}

/// The stored form of the fields that are not plain text.
struct Columns {
    key: String,
    categories: String,
    subscribed_at: Option<String>,
    unsubscribed_at: Option<String>,
    digests: String,
    paused_until: Option<String>,
}

impl Columns {
    fn of(s: &Subscriber) -> Columns {
        let time = |at: &Option<DateTime<FixedOffset>>| at.as_ref().map(format_time);
        Columns {
            key: s.key(),
            // A list of strings always serializes.
            categories: serde_json::to_string(&s.categories).unwrap_or_else(|_| "[]".into()),
            subscribed_at: time(&s.subscribed_at),
            unsubscribed_at: time(&s.unsubscribed_at),
            digests: serde_json::to_string(&s.digests).unwrap_or_else(|_| "[]".into()),
            paused_until: s.paused_until.map(|d| d.format("%Y-%m-%d").to_string()),
        }
    }
}

/// An open connection to the list (see [`SqliteStore::session`]).
pub struct Session {
    store: SqliteStore,
    conn: Connection,
}

impl Session {
    /// The subscriber whose token this is, if any: one indexed lookup.
    pub fn find_by_token(&self, token: &str) -> Result<Option<Subscriber>, StoreError> {
        let token = token.trim();
        if token.is_empty() {
            return Ok(None);
        }
        Ok(self.store.one(&self.conn, "token", token)?.map(|(_, s)| s))
    }

    /// Runs `f` in one write transaction, committed when `f` succeeds: many
    /// changes, one sync. Nothing is written when `f` fails.
    pub fn batch<T>(
        &mut self,
        f: impl FnOnce(&Batch<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.store.begin(&mut self.conn)?;
        let batch = Batch {
            store: &self.store,
            tx,
        };
        let value = f(&batch)?;
        batch.tx.commit().map_err(|e| self.store.error(e))?;
        Ok(value)
    }
}

/// The changes of one [`Session::batch`].
pub struct Batch<'c> {
    store: &'c SqliteStore,
    tx: rusqlite::Transaction<'c>,
}

/// A row of the list: its id and its subscriber.
pub type Entry = (i64, Subscriber);

impl Batch<'_> {
    pub fn by_token(&self, token: &str) -> Result<Option<Entry>, StoreError> {
        let token = token.trim();
        if token.is_empty() {
            return Ok(None);
        }
        self.store.one(&self.tx, "token", token)
    }

    /// The entry of this address (compared by its identity).
    pub fn by_address(&self, email: &str) -> Result<Option<Entry>, StoreError> {
        self.store.by_key(&self.tx, &key_of(email))
    }

    /// Writes `s` to row `id`, or as a new row when `id` is `None`; an
    /// entry with a fatal problem is refused.
    pub fn save(&self, id: Option<i64>, s: &Subscriber) -> Result<(), StoreError> {
        self.store.refuse_invalid(s)?;
        match id {
            Some(id) => self.store.update_row(&self.tx, id, s),
            None => self.store.insert(&self.tx, s),
        }
    }
}
