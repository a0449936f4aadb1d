//! The list file's text: writing it in postbode's fixed layout, and reading it
//! back, fast when it is in that layout and through serde_yaml otherwise.
//!
//! serde_yaml needs about a second for 100,000 entries, too slow for a command
//! that changes one of them. So the writer uses a small, fixed subset of YAML
//! (one block mapping per entry, keys in a fixed order, strings always
//! double-quoted with JSON-style escapes), and a hand-written reader accepts
//! that subset line by line. Anything else, such as a hand-edited file with
//! other quoting or layout, makes the fast reader give up, and serde_yaml
//! reads the file instead: both read the same text the same way, which the
//! tests pin.

mod fast;
mod prints;
mod write;

use serde::Deserialize;

use super::Status;
use fast::parse_fast;
pub(crate) use fast::{pieces, Piece};
pub use prints::Prints;
pub(crate) use prints::{splice, write_printed};
use write::kept_as_is;
pub(crate) use write::write;

/// One entry as written in the file, before validation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RawEntry {
    /// The line of the entry's `- ` (1-based), when known.
    pub line: Option<usize>,
    pub email: String,
    pub name: Option<String>,
    pub categories: Vec<String>,
    pub status: Option<Status>,
    pub subscribed_at: Option<String>,
    pub unsubscribed_at: Option<String>,
    pub bounces: u32,
    pub token: Option<String>,
    pub digests: Vec<String>,
    pub paused_until: Option<String>,
}

/// Why the text is not a subscriber list; line and column are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// Reads a list file's text.
pub(crate) fn parse(text: &str) -> Result<Vec<RawEntry>, SyntaxError> {
    if let Some(entries) = parse_fast(text) {
        return Ok(entries);
    }
    parse_yaml(text)
}

/// [`parse`], with the text's prints when the fast reader took it.
pub(crate) fn parse_printed(text: &str) -> Result<(Vec<RawEntry>, Option<Prints>), SyntaxError> {
    if let Some(entries) = parse_fast(text) {
        let prints = Prints::of(text, entries.len());
        return Ok((entries, prints));
    }
    Ok((parse_yaml(text)?, None))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileYaml {
    subscribers: Option<Vec<EntryYaml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryYaml {
    email: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    categories: Option<Vec<String>>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    subscribed_at: Option<String>,
    #[serde(default)]
    unsubscribed_at: Option<String>,
    #[serde(default)]
    bounces: Option<u32>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    digests: Option<Vec<String>>,
    #[serde(default)]
    paused_until: Option<String>,
}

fn parse_yaml(text: &str) -> Result<Vec<RawEntry>, SyntaxError> {
    check_characters(text)?;
    let file: FileYaml = serde_yaml::from_str(text).map_err(|e| {
        let location = e.location();
        let mut message = e.to_string();
        // serde_yaml appends the position; it is reported separately.
        if let Some(cut) = message.find(" at line ") {
            message.truncate(cut);
        }
        if message.contains("expected struct FileYaml") {
            message = format!(
                "{}; the file must hold `subscribers:` followed by a list of entries",
                message.replace(", expected struct FileYaml", "")
            );
        }
        SyntaxError {
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message,
        }
    })?;
    let list = file.subscribers.unwrap_or_default();
    let lines = entry_lines(text, list.len());
    Ok(list
        .into_iter()
        .enumerate()
        .map(|(i, e)| RawEntry {
            line: lines.as_ref().map(|l| l[i]),
            email: e.email,
            name: e.name,
            categories: e.categories.unwrap_or_default(),
            status: e.status,
            subscribed_at: e.subscribed_at,
            unsubscribed_at: e.unsubscribed_at,
            bounces: e.bounces.unwrap_or(0),
            token: e.token,
            digests: e.digests.unwrap_or_default(),
            paused_until: e.paused_until,
        })
        .collect())
}

/// libyaml refuses control characters but reports them at line 1, column 1;
/// find the real place first.
fn check_characters(text: &str) -> Result<(), SyntaxError> {
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some((col, c)) = line
            .chars()
            .enumerate()
            .find(|&(_, c)| c != '\t' && !kept_as_is(c) && c != '\u{85}' && c != '\u{feff}')
        {
            return Err(SyntaxError {
                line: Some(i + 1),
                column: Some(col + 1),
                message: format!(
                    "control character U+{:04X} is not allowed (write it as `\\u{:04x}` inside double quotes)",
                    u32::from(c),
                    u32::from(c)
                ),
            });
        }
    }
    Ok(())
}

/// The line of each entry's `- ` in a block-style list, found by looking for
/// dashes at the indentation of the first one. serde_yaml keeps no positions,
/// so this is a best effort: `None` when the count does not match.
fn entry_lines(text: &str, count: usize) -> Option<Vec<usize>> {
    let mut indent = None;
    let mut lines = Vec::with_capacity(count);
    for (i, line) in text.split('\n').enumerate() {
        let trimmed = line.trim_start_matches(' ');
        let is_dash = trimmed == "-" || trimmed.starts_with("- ") || trimmed.starts_with("-\r");
        if !is_dash {
            continue;
        }
        let here = line.len() - trimmed.len();
        if *indent.get_or_insert(here) == here {
            lines.push(i + 1);
        }
    }
    (lines.len() == count).then_some(lines)
}

#[cfg(test)]
mod tests {
    use super::fast::{split_at_entries, PIECE_BYTES};
    use super::*;
    use crate::subscribers::Subscriber;
    use chrono::DateTime;

    pub(super) fn sample() -> Vec<Subscriber> {
        let at = |s| Some(DateTime::parse_from_rfc3339(s).unwrap());
        vec![
            Subscriber {
                email: "ada@example.org".into(),
                name: Some("Ada \"the first\" Lovelace".into()),
                categories: vec!["nieuws".into(), "Tech".into()],
                status: Status::Active,
                subscribed_at: at("2026-11-16T08:00:00+01:00"),
                unsubscribed_at: None,
                bounces: 0,
                token: "0123456789abcdef0123456789abcdef".into(),
                digests: vec!["daily".into(), "weekly".into()],
                paused_until: chrono::NaiveDate::from_ymd_opt(2026, 12, 24),
            },
            Subscriber {
                email: "ada@bücher.example".into(),
                name: Some("tab\there, back\\slash, 'quote', # not a comment: yes".into()),
                categories: vec![],
                status: Status::Unsubscribed,
                subscribed_at: at("2020-01-02T03:04:05Z"),
                unsubscribed_at: at("2026-11-17T09:30:00-05:00"),
                bounces: 2,
                token: "fedcba9876543210fedcba9876543210".into(),
                digests: vec![],
                paused_until: None,
            },
            Subscriber {
                email: "\"odd one\"@example.org".into(),
                name: Some("line\nbreak\r, nel\u{85} ls\u{2028} ps\u{2029} bom\u{feff} del\u{7f} c1\u{9b} nul\u{0} emoji 🎉 ëü".into()),
                categories: vec!["sport".into(), "a \"b\"".into(), "null".into(), "true".into(), "123".into()],
                status: Status::Bounced,
                subscribed_at: None,
                unsubscribed_at: None,
                bounces: 4_000_000_000,
                token: "AbCdEfGhIjKlMnOpQrStUv".into(),
                digests: vec![],
                paused_until: None,
            },
            Subscriber {
                email: "pending@example.org".into(),
                name: None,
                categories: vec!["ünïcode".into()],
                status: Status::Pending,
                subscribed_at: None,
                unsubscribed_at: None,
                bounces: 0,
                token: "00000000000000000000000000000000".into(),
                digests: vec![],
                paused_until: None,
            },
        ]
    }

    fn raw(s: &Subscriber) -> RawEntry {
        RawEntry {
            line: None,
            email: s.email.clone(),
            name: s.name.clone(),
            categories: s.categories.clone(),
            status: Some(s.status),
            subscribed_at: s
                .subscribed_at
                .as_ref()
                .map(crate::subscribers::format_time),
            unsubscribed_at: s
                .unsubscribed_at
                .as_ref()
                .map(crate::subscribers::format_time),
            bounces: s.bounces,
            token: Some(s.token.clone()),
            digests: s.digests.clone(),
            paused_until: s.paused_until.map(|d| d.to_string()),
        }
    }

    fn without_lines(mut v: Vec<RawEntry>) -> Vec<RawEntry> {
        v.iter_mut().for_each(|e| e.line = None);
        v
    }

    #[test]
    fn written_text_reads_the_same_with_both_readers() {
        let list = sample();
        let text = write(&list);
        let expected: Vec<RawEntry> = list.iter().map(raw).collect();
        let fast = parse_fast(&text).expect("fast reader takes its own layout");
        let yaml = parse_yaml(&text).expect("serde_yaml reads the layout");
        assert_eq!(without_lines(fast.clone()), expected);
        assert_eq!(without_lines(yaml.clone()), expected);
        // Both find the same entry lines.
        assert_eq!(
            fast.iter().map(|e| e.line).collect::<Vec<_>>(),
            yaml.iter().map(|e| e.line).collect::<Vec<_>>()
        );
        assert_eq!(fast[0].line, Some(6));
    }

    #[test]
    fn big_lists_are_read_in_pieces_with_the_right_lines() {
        let list: Vec<Subscriber> = (0..20_000)
            .map(|i| {
                let mut s = sample()[i % 4].clone();
                s.email = format!("reader{i}@example.org");
                s.token = format!("{i:032}");
                s
            })
            .collect();
        let text = write(&list);
        assert!(text.len() > 3 * PIECE_BYTES);
        let fast = parse_fast(&text).unwrap();
        assert_eq!(fast.len(), list.len());
        let yaml = parse_yaml(&text).unwrap();
        assert_eq!(fast, yaml);
        assert_eq!(split_at_entries("a", 3), ["a"]);
    }

    #[test]
    fn empty_list_round_trips() {
        let text = write(&[]);
        assert!(text.ends_with("subscribers: []\n"));
        assert_eq!(parse_fast(&text), Some(vec![]));
        assert_eq!(parse_yaml(&text).unwrap(), vec![]);
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse("# nothing yet\n\n").unwrap(), vec![]);
        assert_eq!(parse("subscribers:\n").unwrap(), vec![]);
    }

    /// Hand-written variants the fast reader accepts must mean what they mean
    /// to serde_yaml; the rest must be left to serde_yaml.
    #[test]
    fn fast_reader_agrees_with_serde_yaml_or_declines() {
        let cases = [
            "subscribers:\n  - email: ada@example.org\n    name: Ada\n",
            "subscribers:\n  - email: ada@example.org  # the first\n    categories: [tech, 'it''s', \"x\"]  \n",
            "subscribers:\n  - email: 'ada@example.org'\n    name: null\n    token: ~\n",
            "subscribers:\n  - email: ada@example.org\n    name: ''\n    status: bounced\n    bounces: 7\n",
            "subscribers:\n  - email: ada@example.org\n    subscribed_at: 2026-11-16T08:00:00+01:00\n",
            "subscribers:\n  - email: ada@example.org\n    subscribed_at: \"2026-11-16T08:00:00+01:00\"\n",
            "subscribers:\r\n  - email: ada@example.org\r\n    name: Ada\r\n",
            "# comment\nsubscribers:\n\n  # between\n  - email: a@b.example\n      # odd indent\n    name: \"\\u00e9\\/\"\n",
            "subscribers:\n  - email: null\n    name: true\n    categories: [null, 2024, yes]\n",
            "subscribers:\n  - email: ada@example.org\n    bounces: 010\n",
            "subscribers:\n  - email: ada@example.org\n    bounces: 0x10\n",
            "subscribers:\n  - email: ada@example.org\n    name: \"a\\x41\"\n",
            "subscribers:\n  - email: ada@example.org\n    name: Ada: Lovelace\n",
            "subscribers:\n  - email: ada@example.org\n    name: \"x\"y\n",
            "subscribers:\n  - email: ada@example.org\n    name: x #c\n",
            "subscribers:\n  - email: ada@example.org\n    name: x#c\n",
            "subscribers:\n- email: ada@example.org\n  name: Ada\n",
            "subscribers:\n  - {email: ada@example.org}\n",
            "subscribers:\n  - email: ada@example.org\n    categories:\n      - tech\n",
            "subscribers:\n  - email: ada@example.org\n    name: \"unterminated\n",
            "subscribers:\n  - email: ada@example.org\n    name: \"x\u{85}y\"\n",
            "subscribers:\n  - email: ada@example.org\n    status: actve\n",
            "subscribers: []\n  - email: ada@example.org\n",
        ];
        let mut taken = Vec::new();
        for (i, text) in cases.iter().enumerate() {
            // When the fast reader declines, serde_yaml decides alone.
            if let Some(fast) = parse_fast(text) {
                assert_eq!(
                    Ok(without_lines(fast)),
                    parse_yaml(text).map(without_lines),
                    "readers disagree on:\n{text}"
                );
                taken.push(i);
            }
        }
        assert_eq!(
            taken,
            [0, 1, 3, 4, 5, 6, 7, 8, 14],
            "cases the fast reader takes"
        );
    }

    #[test]
    fn fast_reader_declines_what_it_does_not_know() {
        for text in [
            "subscribers:\n  - email: ada@example.org\n    bounces: 010\n",
            "subscribers:\n  - email: ada@example.org\n    nmae: Ada\n",
            "subscribers:\n  - email: ada@example.org\n    email: eve@example.org\n",
            "subscribers:\n  - name: Ada\n",
            "- email: ada@example.org\n",
            "subscribers:\n  - email: ada@example.org\n    name: \"x\u{85}y\"\n",
            "subscribers:\n  - email: ada@example.org\n\tname: Ada\n",
        ] {
            assert_eq!(parse_fast(text), None, "{text}");
        }
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = parse("subscribers:\n  - email: a@example.org\n  name: [\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err:?}");
        assert!(err.column.is_some());
        assert!(!err.message.contains(" at line "), "{}", err.message);

        let err = parse("subscribers:\n  - email: a@example.org\n    nmae: Ada\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(5)));
        assert!(
            err.message.contains("unknown field `nmae`"),
            "{}",
            err.message
        );

        let err = parse("subscribers:\n  - email: a@example.org\n    status: actve\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("actve"), "{}", err.message);

        let err =
            parse("subscribers:\n  - email: a@example.org\n    name: \"a\u{7}b\"\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(13)));

        let err = parse("- email: a@example.org\n").unwrap_err();
        assert!(err.message.contains("`subscribers:`"), "{}", err.message);
    }

    #[test]
    fn hand_edited_block_lists_get_entry_lines() {
        let text = "subscribers:\n- email: a@example.org\n  categories:\n    - tech\n\n- email: b@example.org\n";
        let entries = parse(text).unwrap();
        assert_eq!(
            entries.iter().map(|e| e.line).collect::<Vec<_>>(),
            [Some(2), Some(6)]
        );
        assert_eq!(entries[0].categories, ["tech"]);
    }
}
