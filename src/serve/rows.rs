//! `serve` over an SQLite list: nothing held in memory, each token looked
//! up through the table's index, and the queued changes of one batch
//! written in one transaction (one sync for all of them). Other processes
//! change the same database through SQLite's own locking, so their changes
//! are seen at the next lookup.

use std::sync::{Mutex, MutexGuard};

use super::index::{confirm, new_pending, set_preferences, sign_up_again, Again, Change, Outcome};
use super::signup::Link;
use crate::subscribers::{Batch, Session, SqliteStore, StoreError, Subscriber};

/// Connections kept for lookups; more are opened when more are busy.
const IDLE_READERS: usize = 4;

pub struct Rows {
    db: SqliteStore,
    readers: Mutex<Vec<Session>>,
    writer: Mutex<Session>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Rows {
    /// Opens the database (creating it when there is none yet).
    pub fn open(db: SqliteStore) -> Result<Rows, StoreError> {
        let writer = db.session()?;
        Ok(Rows {
            db,
            readers: Mutex::new(Vec::new()),
            writer: Mutex::new(writer),
        })
    }

    pub fn by_token(&self, token: &str) -> Result<Option<Subscriber>, StoreError> {
        let idle = lock(&self.readers).pop();
        let session = match idle {
            Some(session) => session,
            None => self.db.session()?,
        };
        let found = session.find_by_token(token);
        let mut readers = lock(&self.readers);
        if readers.len() < IDLE_READERS {
            readers.push(session);
        }
        found
    }

    /// Applies `changes` in one transaction.
    pub fn commit(&self, changes: &[&Change]) -> Result<Vec<Outcome>, StoreError> {
        lock(&self.writer).batch(|b| changes.iter().map(|c| apply(b, c)).collect())
    }
}

fn apply(b: &Batch<'_>, change: &Change) -> Result<Outcome, StoreError> {
    match change {
        Change::Unsubscribe { token, at } => {
            let Some((id, mut s)) = b.by_token(token)? else {
                return Ok(Outcome::Unsubscribed(None));
            };
            let now = s.unsubscribe(*at);
            if now {
                b.save(Some(id), &s)?;
            }
            Ok(Outcome::Unsubscribed(Some((s, now))))
        }
        Change::Confirm { token, at } => {
            let Some((id, mut s)) = b.by_token(token)? else {
                return Ok(Outcome::Confirmed(Link::Invalid));
            };
            let (link, now) = confirm(&mut s, *at);
            if now {
                b.save(Some(id), &s)?;
            }
            Ok(Outcome::Confirmed(link))
        }
        Change::SignUp { signup, at } => match b.by_address(&signup.address.email)? {
            None => {
                let s = new_pending(signup, *at);
                b.save(None, &s)?;
                Ok(Outcome::SignedUp(Some(s)))
            }
            Some((id, mut s)) => match sign_up_again(&mut s, signup, *at) {
                Again::Active => Ok(Outcome::SignedUp(None)),
                Again::Pending { .. } => {
                    b.save(Some(id), &s)?;
                    Ok(Outcome::SignedUp(Some(s)))
                }
            },
        },
        Change::Preferences { token, choice } => {
            let Some((id, mut s)) = b.by_token(token)? else {
                return Ok(Outcome::Preferences(None));
            };
            if set_preferences(&mut s, choice) {
                b.save(Some(id), &s)?;
            }
            Ok(Outcome::Preferences(Some(s)))
        }
    }
}
