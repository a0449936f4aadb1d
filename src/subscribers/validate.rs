//! What is wrong with a list: turning entries as read into subscribers, and
//! checking the list as a whole (invalid or repeated addresses, bad names
//! or categories, repeated or weak tokens). Runs at every read and before
//! every write.

use std::path::Path;

use rayon::prelude::*;

use super::*;

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
    if let Store::Sqlite(store) = Store::open(path) {
        return store.check();
    }
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

/// Turns entries as read into subscribers, and lists what is wrong with them.
/// An entry's line and the problems found converting it.
type LineProblems = (Option<usize>, Vec<Problem>);

pub(super) fn validate(raw: Vec<format::RawEntry>) -> (Vec<Subscriber>, Vec<Problem>) {
    // Subscribers and the rest are collected apart, so that no buffer of
    // whole tuples sits beside the list: loading is this crate's peak.
    let (list, rest): (Vec<Subscriber>, Vec<LineProblems>) = raw
        .into_par_iter()
        .enumerate()
        .map(|(index, e)| {
            let (subscriber, line, problem) = convert(index, e);
            (subscriber, (line, problem))
        })
        .unzip();
    let mut lines = Vec::with_capacity(rest.len());
    let mut problems = Vec::new();
    for (line, problem) in rest {
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
pub(super) fn convert(
    index: usize,
    e: format::RawEntry,
) -> (Subscriber, Option<usize>, Vec<Problem>) {
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
        digests,
        paused_until,
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
    let paused_until = paused_until.and_then(|value| {
        NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
            .map_err(|_| {
                problem(
                    format!(
                        "invalid `paused_until` `{value}` of `{email}`: expected a date like `2026-12-24`"
                    ),
                    true,
                )
            })
            .ok()
    });
    let digests: Vec<String> = digests.iter().map(|d| d.trim().to_owned()).collect();
    if let Some(bad) = digests
        .iter()
        .find(|d| !crate::config::valid_digest_name(d))
    {
        problem(
            format!("`{email}`: `{bad}` is not a digest name (lower-case letters, digits and `-`)"),
            true,
        );
    }
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
        Some(t) if token_is_valid(&t) => t,
        Some(t) if !t.is_empty() => {
            problem(
                format!(
                    "`{email}`: its token `{t}` is not 32 hex characters; the next change by \
                     `postbode subscribers` or `postbode send` replaces it"
                ),
                false,
            );
            new_token()
        }
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
        digests,
        paused_until,
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

/// True when `s` has none of the fatal problems an entry can have on its
/// own (the part of [`list_problems`] that does not compare entries).
pub(super) fn entry_is_valid(s: &Subscriber) -> bool {
    address::key_into(&s.email, &mut String::new()).is_ok()
        && s.name.as_deref().and_then(address::name_problem).is_none()
        && s.categories
            .iter()
            .all(|c| address::category_problem(c).is_none())
}

/// What is wrong with a list as a whole: invalid or repeated addresses,
/// bad names or categories, repeated or weak tokens. Runs at every read and
/// before every write, so the per-entry part runs in parallel and the keys
/// go into one string per chunk (a `String` per key costs more to allocate
/// and free than the checking).
pub(super) fn list_problems(list: &[Subscriber], lines: &[Option<usize>]) -> Vec<Problem> {
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
                let other = &list[first].email;
                if local_part(other) == local_part(&s.email) {
                    let message =
                        format!("`{}` is on the list twice (also at {})", s.email, at(first));
                    problems.push(problem(index, message, true));
                } else {
                    // Twins from before addresses were compared without
                    // case: the list stays usable until `dedupe` merges them.
                    let message = format!(
                        "`{}` and `{other}` ({}) are one address; \
                         `postbode subscribers dedupe` merges them",
                        s.email,
                        at(first)
                    );
                    problems.push(problem(index, message, false));
                }
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
                format!("{p}:2: `ada@example.org`: its token `abc` is not 32 hex characters; the next change by `postbode subscribers` or `postbode send` replaces it"),
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
        assert!(problems[1].message.contains("not 32 hex"));
        assert_ne!(list[1].token, "abc");
    }
}
