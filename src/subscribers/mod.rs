//! The subscriber list: who gets the digest, with which categories, and the
//! token in their unsubscribe link. It lives in `subscribers.file` in
//! `config.toml`: a YAML file that people may read, diff and edit, or, for
//! big lists, an SQLite database (a name ending in `.sqlite` or `.db`; see
//! [`SqliteStore`]) with the same fields. [`Store`] is the one way in.
//!
//! The YAML file is a map with one key, `subscribers`, holding a list of entries:
//!
//! ```yaml
//! subscribers:
//!   - email: "ada@example.org"
//!     name: "Ada Lovelace"                  # optional
//!     categories: ["nieuws", "tech"]        # [] = all categories
//!     status: active                        # active | pending | unsubscribed | bounced
//!     subscribed_at: 2026-11-16T08:00:00+01:00
//!     unsubscribed_at: 2026-11-20T10:00:00+01:00   # only once unsubscribed
//!     digests: ["daily"]                    # optional; missing = the default digest
//!     paused_until: 2026-12-24              # optional; nothing is sent before this day
//!     bounces: 0                            # permanent delivery failures
//!     token: "3f0c9d…"                      # 128 random bits, 32 hex characters
//! ```
//!
//! A missing file is an empty list. Only `email` is required in a hand-written
//! entry; a missing `status` is `active`, and a missing `token` is created at
//! the next change (until then each read makes up a new one, which `check`
//! reports). Postbode writes the file in exactly this layout (strings always
//! in double quotes), which [`format`] reads back quickly; any other valid
//! YAML is read with serde_yaml.
//!
//! Invariants of a loaded list: every address is valid and appears once
//! (compared by [`key_of`]: without case, domains in their ASCII form;
//! twins from older lists are reported until `dedupe` merges them), names
//! and categories are trimmed, and every token is 32 hex characters and
//! unique. YAML changes go through [`YamlStore::update`], which holds a
//! lock, validates the result and replaces the file atomically, so readers
//! never need a lock and a crash leaves either the old or the new list. A
//! file that cannot be read as a list is never overwritten.

mod address;
mod backend;
mod dedupe;
mod format;
pub mod import;
mod recipient;
mod sqlite;
mod store;
mod stream;
mod validate;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

pub(crate) use address::key_of as address_key;
pub use address::{
    clean_categories, clean_name, key_of, new_token, same_category, token_is_valid, Address,
    InvalidAddress,
};
pub use backend::{load, Store};
pub use dedupe::{dedupe, Merged};
pub use format::Prints;
pub use recipient::Recipient;
pub use sqlite::{Batch, Session, SqliteStore};
pub use store::{Changes, Stamp, YamlStore, DEFAULT_BOUNCE_LIMIT};
pub use validate::{check, Problem};
use validate::{list_problems, validate};

/// Where a subscriber stands. Only `Active` subscribers get the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    /// Signed up through `serve` and not yet confirmed by the link in the
    /// confirmation mail.
    Pending,
    Unsubscribed,
    /// Too many permanent delivery failures.
    Bounced,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Active,
        Status::Pending,
        Status::Unsubscribed,
        Status::Bounced,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Pending => "pending",
            Status::Unsubscribed => "unsubscribed",
            Status::Bounced => "bounced",
        }
    }

    /// The status named exactly as in the file.
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the list, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The address as given (trimmed); compare with [`Subscriber::key`].
    pub email: String,
    pub name: Option<String>,
    /// The categories they want; empty means all.
    pub categories: Vec<String>,
    pub status: Status,
    pub subscribed_at: Option<DateTime<FixedOffset>>,
    pub unsubscribed_at: Option<DateTime<FixedOffset>>,
    /// Permanent delivery failures so far.
    pub bounces: u32,
    /// The secret in their unsubscribe link.
    pub token: String,
    /// The digests they get; empty means the default digest.
    pub digests: Vec<String>,
    /// Nothing is sent to them before this day (site timezone).
    pub paused_until: Option<NaiveDate>,
}

impl Subscriber {
    /// A new active subscriber with a fresh token. `name` and `categories`
    /// must already be clean ([`clean_name`], [`clean_categories`]).
    pub fn new(
        address: Address,
        name: Option<String>,
        categories: Vec<String>,
        now: DateTime<FixedOffset>,
    ) -> Subscriber {
        Subscriber {
            email: address.email,
            name,
            categories,
            status: Status::Active,
            subscribed_at: Some(now),
            unsubscribed_at: None,
            bounces: 0,
            token: new_token(),
            digests: Vec::new(),
            paused_until: None,
        }
    }

    /// The normalized address that identifies this subscriber.
    pub fn key(&self) -> String {
        address::key_of(&self.email)
    }

    /// True when this subscriber gets the digest at all.
    pub fn gets_digest(&self) -> bool {
        self.status == Status::Active
    }

    /// True when they get the digest `name` (`default` is the digest of
    /// those who chose none) on `today`: active, on that digest, not paused.
    pub fn receives(&self, name: &str, default: &str, today: NaiveDate) -> bool {
        self.gets_digest() && self.on_digest(name, default) && !self.paused_on(today)
    }

    /// True when `name` is one of their digests.
    pub fn on_digest(&self, name: &str, default: &str) -> bool {
        if self.digests.is_empty() {
            name == default
        } else {
            self.digests.iter().any(|d| d == name)
        }
    }

    /// True when a pause still holds on `today`.
    pub fn paused_on(&self, today: NaiveDate) -> bool {
        self.paused_until.is_some_and(|until| today < until)
    }

    /// True when they want posts of `category` (case-insensitive, trimmed).
    pub fn wants(&self, category: &str) -> bool {
        self.categories.is_empty() || self.categories.iter().any(|c| same_category(c, category))
    }

    /// Marks them unsubscribed; false when they already were.
    pub fn unsubscribe(&mut self, now: DateTime<FixedOffset>) -> bool {
        if self.status == Status::Unsubscribed {
            return false;
        }
        self.status = Status::Unsubscribed;
        self.unsubscribed_at = Some(now);
        true
    }

    /// Makes them active again, with a clean bounce count; false when they
    /// already were active. The token stays: links they hold keep working.
    pub fn resubscribe(&mut self, now: DateTime<FixedOffset>) -> bool {
        if self.status == Status::Active {
            return false;
        }
        self.status = Status::Active;
        self.subscribed_at = Some(now);
        self.unsubscribed_at = None;
        self.bounces = 0;
        true
    }

    /// Counts one permanent delivery failure; at `limit` failures an active
    /// subscriber becomes `bounced`. True when this call made them bounced.
    pub fn record_bounce(&mut self, limit: u32) -> bool {
        self.bounces = self.bounces.saturating_add(1);
        if self.bounces >= limit && self.status == Status::Active {
            self.status = Status::Bounced;
            return true;
        }
        false
    }
}

/// Exports and `list --json` show every stored field, the token included:
/// an export is a backup.
impl Serialize for Subscriber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Subscriber", 10)?;
        s.serialize_field("email", &self.email)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("categories", &self.categories)?;
        s.serialize_field("status", &self.status)?;
        s.serialize_field(
            "subscribed_at",
            &self.subscribed_at.as_ref().map(format_time),
        )?;
        s.serialize_field(
            "unsubscribed_at",
            &self.unsubscribed_at.as_ref().map(format_time),
        )?;
        s.serialize_field("digests", &self.digests)?;
        s.serialize_field(
            "paused_until",
            &self.paused_until.map(|d| d.format("%Y-%m-%d").to_string()),
        )?;
        s.serialize_field("bounces", &self.bounces)?;
        s.serialize_field("token", &self.token)?;
        s.end()
    }
}

/// The list in the file's own layout (what `export --format yaml` prints).
pub fn to_yaml(list: &[Subscriber]) -> String {
    format::write(list)
}

/// RFC 3339 with the offset, as written in the file.
pub fn format_time(at: &DateTime<FixedOffset>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// The subscriber with this address (compared as keys), if any.
pub fn find<'a>(list: &'a [Subscriber], email: &str) -> Option<&'a Subscriber> {
    position(list, email).map(|i| &list[i])
}

/// Where the subscriber with this address is in the list, if anywhere.
pub fn position(list: &[Subscriber], email: &str) -> Option<usize> {
    let key = address::key_of(email);
    list.iter().position(|s| has_key(s, &key))
}

/// True when `s`'s address has `key`. Only an entry whose local part
/// matches the key's without case can: that settles nearly every entry
/// without parsing its address.
fn has_key(s: &Subscriber, key: &str) -> bool {
    let l = local_part(&s.email);
    (l.eq_ignore_ascii_case(local_part(key)) || !l.is_ascii()) && s.key() == key
}

/// The part before the last `@`, as written.
fn local_part(email: &str) -> &str {
    email.rsplit_once('@').map_or(email, |(l, _)| l)
}

/// The subscriber whose unsubscribe token this is, if any.
pub fn find_by_token<'a>(list: &'a [Subscriber], token: &str) -> Option<&'a Subscriber> {
    let token = token.trim();
    list.iter().find(|s| !token.is_empty() && s.token == token)
}

/// Why a list cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}: not a valid subscriber list: {message} (the file was left as it is)",
        place(path, *line, *column)
    )]
    Syntax {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error("{}{}", problems[0].describe(path), more(problems.len()))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("cannot use the SQLite list `{}`", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// A change would have made the list invalid; the file is unchanged.
    #[error(
        "will not write `{}`: entry {}: {}",
        path.display(),
        problems[0].index + 1,
        problems[0].message
    )]
    Refused {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

fn place(path: &Path, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", path.display()),
        (Some(l), None) => format!("{}:{l}", path.display()),
        _ => path.display().to_string(),
    }
}

fn more(count: usize) -> String {
    match count {
        0 | 1 => String::new(),
        n => format!(
            " (and {} more problems; `postbode check` lists them all)",
            n - 1
        ),
    }
}

impl StoreError {
    fn syntax(path: &Path, e: format::SyntaxError) -> StoreError {
        StoreError::Syntax {
            path: path.to_owned(),
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_match_case_insensitively_and_empty_means_all() {
        let mut s = Subscriber::new(
            Address::parse("ada@example.org").unwrap(),
            None,
            vec![],
            DateTime::parse_from_rfc3339("2026-11-16T08:00:00+01:00").unwrap(),
        );
        assert!(s.wants("anything"));
        s.categories = vec!["Tech".into()];
        assert!(s.wants(" tech "));
        assert!(!s.wants("sport"));
    }

    #[test]
    fn bounces_turn_active_into_bounced_at_the_limit() {
        let now = DateTime::parse_from_rfc3339("2026-11-16T08:00:00+01:00").unwrap();
        let mut s = Subscriber::new(
            Address::parse("ada@example.org").unwrap(),
            None,
            vec![],
            now,
        );
        assert!(!s.record_bounce(2));
        assert!(s.record_bounce(2));
        assert_eq!(s.status, Status::Bounced);
        assert!(!s.gets_digest());
        assert!(s.resubscribe(now));
        assert_eq!((s.status, s.bounces), (Status::Active, 0));
        assert!(s.unsubscribe(now));
        assert!(!s.unsubscribe(now));
        assert_eq!(s.unsubscribed_at, Some(now));
    }

    #[test]
    fn find_by_address_key_and_token() {
        let now = DateTime::parse_from_rfc3339("2026-11-16T08:00:00+01:00").unwrap();
        let list = vec![Subscriber::new(
            Address::parse("ada@bücher.example").unwrap(),
            None,
            vec![],
            now,
        )];
        assert!(find(&list, "ada@XN--BCHER-KVA.example").is_some());
        assert!(find(&list, "ADA@Bücher.example").is_some());
        assert!(find(&list, "bob@bücher.example").is_none());
        assert!(find_by_token(&list, &list[0].token).is_some());
        assert!(find_by_token(&list, "").is_none());
    }
}
