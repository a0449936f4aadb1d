//! The subscriber list: who gets the digest, with which categories, and the
//! token in their unsubscribe link. It lives in one YAML file
//! (`subscribers.file` in `config.toml`) that people may read, diff and edit.
//!
//! The file is a map with one key, `subscribers`, holding a list of entries:
//!
//! ```yaml
//! subscribers:
//!   - email: "ada@example.org"
//!     name: "Ada Lovelace"                  # optional
//!     categories: ["nieuws", "tech"]        # [] = all categories
//!     status: active                        # active | pending | unsubscribed | bounced
//!     subscribed_at: 2026-11-16T08:00:00+01:00
//!     unsubscribed_at: 2026-11-20T10:00:00+01:00   # only once unsubscribed
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
//! (domains compared case-insensitively, in their ASCII form), names and
//! categories are trimmed, and every token is unique. Changes go through
//! [`Store::update`], which holds a lock, validates the result and replaces
//! the file atomically, so readers never need a lock and a crash leaves
//! either the old or the new list. A file that cannot be read as a list is
//! never overwritten.

mod address;
mod format;
pub mod import;
mod store;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, SecondsFormat};
use rayon::prelude::*;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

pub use address::{
    clean_categories, clean_name, new_token, same_category, Address, InvalidAddress,
};
pub use store::{load, Store, DEFAULT_BOUNCE_LIMIT};

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
        let mut s = serializer.serialize_struct("Subscriber", 8)?;
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
    // Keys keep the local part as given, so only entries with the same local
    // part can match; this skips building a key for every entry.
    let local = key.rsplit_once('@').map_or(key.as_str(), |(l, _)| l);
    list.iter()
        .position(|s| s.email.rsplit_once('@').is_some_and(|(l, _)| l == local) && s.key() == key)
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

/// One thing wrong with one entry of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The entry's position in the list (0-based).
    pub index: usize,
    /// The line of the entry in the file, when known.
    pub line: Option<usize>,
    pub message: String,
    /// False for problems that do not stop the list from being used.
    pub fatal: bool,
}

impl Problem {
    /// `path:line: message`, or `path: entry N: message` without a line.
    pub fn describe(&self, path: &Path) -> String {
        match self.line {
            Some(line) => format!("{}:{line}: {}", path.display(), self.message),
            None => format!(
                "{}: entry {}: {}",
                path.display(),
                self.index + 1,
                self.message
            ),
        }
    }
}

/// Checks a list file for `postbode check`: one line per problem, each naming
/// the file and (when known) the line. A missing file is no problem.
pub fn check(path: &Path) -> Vec<String> {
    match store::read(path) {
        Ok(None) => Vec::new(),
        Ok(Some(text)) => match format::parse(&text) {
            Ok(raw) => {
                let (_, problems) = validate(raw);
                problems.iter().map(|p| p.describe(path)).collect()
            }
            Err(e) => vec![StoreError::syntax(path, e).to_string()],
        },
        Err(e) => vec![store::describe_error(&e)],
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

/// Turns entries as read into subscribers, and lists what is wrong with them.
fn validate(raw: Vec<format::RawEntry>) -> (Vec<Subscriber>, Vec<Problem>) {
    let converted: Vec<_> = raw
        .into_par_iter()
        .enumerate()
        .map(|(index, e)| convert(index, e))
        .collect();
    let mut list = Vec::with_capacity(converted.len());
    let mut lines = Vec::with_capacity(converted.len());
    let mut problems = Vec::new();
    for (subscriber, line, problem) in converted {
        list.push(subscriber);
        lines.push(line);
        problems.extend(problem);
    }
    problems.extend(list_problems(&list, &lines));
    problems.sort_by_key(|p| p.index);
    (list, problems)
}

/// One entry as read into a subscriber, with its line and any problem found
/// on the way. Strings move from the raw entry: this runs for every entry of
/// a list at every read, and copying them would cost more than parsing.
fn convert(index: usize, e: format::RawEntry) -> (Subscriber, Option<usize>, Vec<Problem>) {
    let format::RawEntry {
        line,
        email,
        name,
        categories,
        status,
        subscribed_at,
        unsubscribed_at,
        bounces,
        token,
    } = e;
    let email = trimmed(email);
    let mut problems = Vec::new();
    let mut problem = |message: String, fatal| {
        problems.push(Problem {
            index,
            line,
            message,
            fatal,
        })
    };
    let mut time = |field: &str, value: Option<String>| {
        let value = value?;
        DateTime::parse_from_rfc3339(value.trim())
            .map_err(|_| {
                problem(
                    format!(
                        "invalid `{field}` `{value}` of `{email}`: expected RFC 3339, \
                         like `2026-11-16T08:00:00+01:00`"
                    ),
                    true,
                )
            })
            .ok()
    };
    let subscribed_at = time("subscribed_at", subscribed_at);
    let unsubscribed_at = time("unsubscribed_at", unsubscribed_at);
    let token = match token.map(trimmed) {
        Some(t) if !t.is_empty() => t,
        _ => {
            problem(
                format!(
                    "`{email}` has no `token` yet; the next change by `postbode subscribers` gives it one"
                ),
                false,
            );
            new_token()
        }
    };
    // Bad names and categories are kept as read; `list_problems` names them.
    let name = name.map(trimmed).filter(|n| !n.is_empty());
    let categories = if categories_are_clean(&categories) {
        categories
    } else {
        clean_categories(&categories).unwrap_or(categories)
    };
    let subscriber = Subscriber {
        email,
        name,
        categories,
        status: status.unwrap_or(Status::Active),
        subscribed_at,
        unsubscribed_at,
        bounces,
        token,
    };
    (subscriber, line, problems)
}

/// `s` without surrounding whitespace, reusing its buffer when there is none.
fn trimmed(s: String) -> String {
    if s.trim().len() == s.len() {
        s
    } else {
        s.trim().to_owned()
    }
}

/// True when [`clean_categories`] would return the same list.
fn categories_are_clean(categories: &[String]) -> bool {
    categories.iter().enumerate().all(|(i, c)| {
        !c.is_empty()
            && c.trim().len() == c.len()
            && address::category_problem(c).is_none()
            && !categories[..i].iter().any(|o| same_category(o, c))
    })
}

/// Entries checked per parallel task.
const CHUNK: usize = 4096;

/// The keys of a chunk of entries, all in one string (`spans` index it, one
/// per entry, `None` for an invalid address), and the chunk's problems.
struct Chunk {
    arena: String,
    spans: Vec<Option<(usize, usize)>>,
    problems: Vec<Problem>,
}

/// What is wrong with a list as a whole: invalid or repeated addresses,
/// bad names or categories, repeated or weak tokens. Runs at every read and
/// before every write, so the per-entry part runs in parallel and the keys
/// go into one string per chunk (a `String` per key costs more to allocate
/// and free than the checking).
fn list_problems(list: &[Subscriber], lines: &[Option<usize>]) -> Vec<Problem> {
    let line = |i: usize| lines.get(i).copied().flatten();
    let problem = |index: usize, message: String, fatal| Problem {
        index,
        line: line(index),
        message,
        fatal,
    };
    let mut checked: Vec<Chunk> = list
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, chunk)| {
            let mut arena = String::with_capacity(chunk.iter().map(|s| s.email.len() + 1).sum());
            let mut spans = Vec::with_capacity(chunk.len());
            let mut problems = Vec::new();
            for (i, s) in chunk.iter().enumerate() {
                let index = c * CHUNK + i;
                let start = arena.len();
                match address::key_into(&s.email, &mut arena) {
                    Ok(()) => spans.push(Some((start, arena.len()))),
                    Err(reason) => {
                        arena.truncate(start);
                        spans.push(None);
                        let invalid = InvalidAddress {
                            address: s.email.clone(),
                            reason,
                        };
                        problems.push(problem(index, invalid.to_string(), true));
                    }
                }
                if let Some(m) = s.name.as_deref().and_then(address::name_problem) {
                    problems.push(problem(index, m, true));
                }
                if let Some(m) = s
                    .categories
                    .iter()
                    .find_map(|c| address::category_problem(c))
                {
                    problems.push(problem(index, m, true));
                }
                if let Some(m) = address::token_problem(&s.token) {
                    problems.push(problem(index, format!("`{}`: {m}", s.email), false));
                }
            }
            Chunk {
                arena,
                spans,
                problems,
            }
        })
        .collect();
    let mut problems: Vec<Problem> = checked
        .iter_mut()
        .flat_map(|c| std::mem::take(&mut c.problems))
        .collect();

    let at = |i: usize| match line(i) {
        Some(l) => format!("line {l}"),
        None => format!("entry {}", i + 1),
    };
    let mut keys: HashMap<&str, usize> = HashMap::with_capacity(list.len());
    let mut tokens: HashMap<&str, usize> = HashMap::with_capacity(list.len());
    let spans = checked.iter().flat_map(|Chunk { arena, spans, .. }| {
        spans
            .iter()
            .map(move |span| span.map(|(a, b)| &arena[a..b]))
    });
    for (index, (s, key)) in list.iter().zip(spans).enumerate() {
        if let Some(key) = key {
            if let Some(&first) = keys.get(key) {
                let message = format!("`{}` is on the list twice (also at {})", s.email, at(first));
                problems.push(problem(index, message, true));
            } else {
                keys.insert(key, index);
            }
        }
        if let Some(&first) = tokens.get(s.token.as_str()) {
            let message = format!(
                "`{}` has the same token as `{}` ({}); give one of them a new one",
                s.email,
                list[first].email,
                at(first)
            );
            problems.push(problem(index, message, true));
        } else {
            tokens.insert(&s.token, index);
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(email: &str, line: usize) -> format::RawEntry {
        format::RawEntry {
            line: Some(line),
            email: email.into(),
            token: Some(new_token()),
            ..Default::default()
        }
    }

    #[test]
    fn validation_names_entry_lines() {
        let mut a = raw("ada@example.org", 2);
        let b = raw("ada@EXAMPLE.org", 9);
        let c = raw("not-an-address", 14);
        let mut d = raw("dee@example.org", 20);
        d.token = a.token.clone();
        a.subscribed_at = Some("yesterday".into());
        let (list, problems) = validate(vec![a, b, c, d]);
        assert_eq!(list.len(), 4);
        let text: Vec<String> = problems
            .iter()
            .map(|p| p.describe(Path::new("s.yaml")))
            .collect();
        assert!(
            text[0].starts_with("s.yaml:2: invalid `subscribed_at` `yesterday`"),
            "{text:?}"
        );
        assert_eq!(
            text[1],
            "s.yaml:9: `ada@EXAMPLE.org` is on the list twice (also at line 2)"
        );
        assert!(
            text[2].starts_with("s.yaml:14: invalid address `not-an-address`"),
            "{text:?}"
        );
        assert!(text[3].starts_with(
            "s.yaml:20: `dee@example.org` has the same token as `ada@example.org` (line 2)"
        ));
        assert!(problems.iter().all(|p| p.fatal));
    }

    #[test]
    fn check_lists_every_problem_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.yaml");
        assert!(check(&path).is_empty(), "no list, no problem");
        let text = "subscribers:\n  - email: \"ada@example.org\"\n    token: \"abc\"\n  - email: \"bad\"\n    token: \"0123456789abcdef0123456789abcdef\"\n  - email: \"ada@EXAMPLE.org\"\n  - email: \"eve@example.org\"\n    token: \"0123456789abcdef0123456789abcdef\"\n";
        std::fs::write(&path, text).unwrap();
        let p = path.display();
        assert_eq!(
            check(&path),
            [
                format!("{p}:2: `ada@example.org`: its token is too short (3 characters; at least 32 are needed for 128 random bits)"),
                format!("{p}:4: invalid address `bad`: it has no `@`"),
                format!("{p}:6: `ada@EXAMPLE.org` has no `token` yet; the next change by `postbode subscribers` gives it one"),
                format!("{p}:6: `ada@EXAMPLE.org` is on the list twice (also at line 2)"),
                format!("{p}:7: `eve@example.org` has the same token as `bad` (line 4); give one of them a new one"),
            ]
        );
        std::fs::write(&path, "subscribers:\n  - email: [\n").unwrap();
        let problems = check(&path);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with(&format!("{p}:2:12: not a valid subscriber list: ")),
            "{problems:?}"
        );
    }

    #[test]
    fn missing_and_short_tokens_are_not_fatal() {
        let mut a = raw("ada@example.org", 2);
        a.token = None;
        let mut b = raw("bob@example.org", 5);
        b.token = Some("abc".into());
        let (list, problems) = validate(vec![a, b]);
        assert_eq!(list[0].token.len(), 32);
        assert_eq!(problems.len(), 2);
        assert!(problems.iter().all(|p| !p.fatal));
        assert!(problems[0].message.contains("no `token`"));
        assert!(problems[1].message.contains("too short"));
    }

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
        assert!(find(&list, "Ada@bücher.example").is_none());
        assert!(find_by_token(&list, &list[0].token).is_some());
        assert!(find_by_token(&list, "").is_none());
    }
}
