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

use rayon::prelude::*;
use serde::Deserialize;

use super::{Status, Subscriber};

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
}

/// Why the text is not a subscriber list; line and column are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

const HEADER: &str = "\
# The subscriber list, kept by `postbode subscribers` (see `postbode subscribers --help`).
# One entry per subscriber: `categories: []` means all categories; `status` is one of
# active, pending, unsubscribed, bounced. Hand edits are fine; postbode rewrites the
# file in this layout at its next change.
";

/// The whole file for a list.
pub(crate) fn write(list: &[Subscriber]) -> String {
    let mut out = String::with_capacity(HEADER.len() + list.len() * 240);
    out.push_str(HEADER);
    if list.is_empty() {
        out.push_str("subscribers: []\n");
        return out;
    }
    out.push_str("subscribers:\n");
    for s in list {
        out.push_str("  - email: ");
        push_quoted(&mut out, &s.email);
        if let Some(name) = &s.name {
            out.push_str("\n    name: ");
            push_quoted(&mut out, name);
        }
        out.push_str("\n    categories: [");
        for (i, c) in s.categories.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            push_quoted(&mut out, c);
        }
        out.push_str("]\n    status: ");
        out.push_str(s.status.as_str());
        for (key, at) in [
            ("subscribed_at", &s.subscribed_at),
            ("unsubscribed_at", &s.unsubscribed_at),
        ] {
            if let Some(at) = at {
                out.push_str("\n    ");
                out.push_str(key);
                out.push_str(": ");
                out.push_str(&super::format_time(at));
            }
        }
        out.push_str("\n    bounces: ");
        out.push_str(&s.bounces.to_string());
        out.push_str("\n    token: ");
        push_quoted(&mut out, &s.token);
        out.push('\n');
    }
    out
}

/// A YAML double-quoted scalar. Only escapes that JSON shares are used, and
/// every character YAML would not keep as-is is escaped: controls, DEL, C1
/// (libyaml folds a raw U+0085 into a space), U+2028/9 and BOM-like ones.
fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if !kept_as_is(c) => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Characters that stand for themselves inside a quoted scalar, for both
/// libyaml (YAML 1.1) and YAML 1.2 readers.
fn kept_as_is(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Reads a list file's text.
pub(crate) fn parse(text: &str) -> Result<Vec<RawEntry>, SyntaxError> {
    if let Some(entries) = parse_fast(text) {
        return Ok(entries);
    }
    parse_yaml(text)
}

// ---------------------------------------------------------------------------
// The fast reader: postbode's own layout, line by line. `None` means "not in
// that layout" (never "invalid"): serde_yaml then reads the file and reports
// any error with its line and column.

fn parse_fast(text: &str) -> Option<Vec<RawEntry>> {
    let Some((body_start, body_line, closed)) = header(text)? else {
        return Some(Vec::new()); // blank lines and comments only
    };
    let body = &text[body_start..];
    if closed {
        return body
            .split('\n')
            .all(|l| blank_or_comment(l.strip_suffix('\r').unwrap_or(l)))
            .then(Vec::new);
    }
    // Big lists are read in pieces, in parallel, each starting at an entry.
    let pieces = if body.len() < PIECE_BYTES {
        vec![body]
    } else {
        split_at_entries(body, body.len() / PIECE_BYTES + 1)
    };
    let parsed: Vec<(Vec<RawEntry>, usize)> = pieces
        .par_iter()
        .map(|piece| entries(piece))
        .collect::<Option<_>>()?;
    let mut all = Vec::with_capacity(parsed.iter().map(|(e, _)| e.len()).sum());
    let mut first_line = body_line;
    for (entries, lines) in parsed {
        all.extend(entries.into_iter().map(|mut e| {
            e.line = e.line.map(|l| l + first_line - 1);
            e
        }));
        first_line += lines;
    }
    Some(all)
}

/// Pieces of about this size are parsed in parallel.
const PIECE_BYTES: usize = 1 << 20;

fn blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim_start_matches(' ');
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// Finds the `subscribers:` line after any comments: the byte offset and
/// line number (1-based) after it, and whether it was `subscribers: []`.
/// `Some(None)` for a text of only blank lines and comments.
#[allow(clippy::option_option)]
fn header(text: &str) -> Option<Option<(usize, usize, bool)>> {
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if blank_or_comment(line) {
            continue;
        }
        let rest = line.strip_prefix("subscribers:")?;
        if at_end(rest) {
            return Some(Some((offset, i + 2, false)));
        }
        let rest = rest.strip_prefix(' ')?.trim_start_matches(' ');
        return at_end(rest.strip_prefix("[]")?).then_some(Some((offset, i + 2, true)));
    }
    Some(None)
}

/// About `n` pieces of `body`, each but the first starting at a `  - ` line.
fn split_at_entries(body: &str, n: usize) -> Vec<&str> {
    let bytes = body.as_bytes();
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..n {
        let target = (body.len() / n * k).max(start);
        let Some(found) = bytes[target..].windows(5).position(|w| w == b"\n  - ") else {
            break;
        };
        let split = target + found + 1; // just after the `\n`: a char boundary
        pieces.push(&body[start..split]);
        start = split;
    }
    pieces.push(&body[start..]);
    pieces
}

/// The entries of one piece, with lines counted from the piece's start, and
/// the number of line breaks in the piece.
fn entries(piece: &str) -> Option<(Vec<RawEntry>, usize)> {
    let mut entries = Vec::with_capacity(piece.len() / 200);
    let mut current: Option<Fields> = None;
    let mut breaks = 0;
    for (i, line) in piece.split('\n').enumerate() {
        breaks = i;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if blank_or_comment(line) {
            continue;
        }
        if let Some(rest) = line.strip_prefix("  - ") {
            if let Some(done) = current.take() {
                entries.push(done.finish()?);
            }
            let mut fields = Fields::new(i + 1);
            fields.field(rest)?;
            current = Some(fields);
        } else if let Some(rest) = line.strip_prefix("    ") {
            current.as_mut()?.field(rest)?;
        } else {
            return None;
        }
    }
    if let Some(done) = current.take() {
        entries.push(done.finish()?);
    }
    Some((entries, breaks))
}

/// The fields of one entry while its lines are read.
struct Fields {
    entry: RawEntry,
    has_email: bool,
    seen: u16,
}

impl Fields {
    fn new(line: usize) -> Fields {
        Fields {
            entry: RawEntry {
                line: Some(line),
                ..RawEntry::default()
            },
            has_email: false,
            seen: 0,
        }
    }

    fn finish(self) -> Option<RawEntry> {
        self.has_email.then_some(self.entry)
    }

    /// One `key: value` line (after its indentation).
    fn field(&mut self, s: &str) -> Option<()> {
        let key_len = s
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || *b == b'_')
            .count();
        let (key, rest) = s.split_at(key_len);
        let rest = rest.strip_prefix(": ")?.trim_start_matches(' ');
        let bit = match key {
            "email" => 0,
            "name" => 1,
            "categories" => 2,
            "status" => 3,
            "subscribed_at" => 4,
            "unsubscribed_at" => 5,
            "bounces" => 6,
            "token" => 7,
            _ => return None,
        };
        // A repeated key is an error for serde_yaml; let it say so.
        if self.seen & (1 << bit) != 0 {
            return None;
        }
        self.seen |= 1 << bit;
        let e = &mut self.entry;
        let rest = match key {
            "email" => {
                let (value, rest) = scalar(rest, false)?;
                e.email = value.into_string();
                self.has_email = true;
                rest
            }
            "categories" => {
                let (list, rest) = flow_list(rest)?;
                e.categories = list;
                rest
            }
            "status" => {
                let (value, rest) = scalar(rest, false)?;
                e.status = Some(Status::from_name(value.text())?);
                rest
            }
            "bounces" => {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let (number, rest) = rest.split_at(digits);
                // `010` or `0x10` mean other things to YAML readers.
                if number.is_empty() || (number.len() > 1 && number.starts_with('0')) {
                    return None;
                }
                e.bounces = number.parse().ok()?;
                rest
            }
            _ => {
                let (value, rest) = scalar(rest, false)?;
                let value = value.into_option();
                match key {
                    "name" => e.name = value,
                    "subscribed_at" => e.subscribed_at = value,
                    "unsubscribed_at" => e.unsubscribed_at = value,
                    _ => e.token = value,
                }
                rest
            }
        };
        at_end(rest).then_some(())
    }
}

/// Nothing but spaces and perhaps a comment (which YAML wants after a space).
fn at_end(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())
}

/// A scalar as read: quoted text, or a plain word (which may mean null).
enum Scalar {
    Quoted(String),
    Plain(String),
}

impl Scalar {
    fn text(&self) -> &str {
        match self {
            Scalar::Quoted(s) | Scalar::Plain(s) => s,
        }
    }

    fn into_string(self) -> String {
        match self {
            Scalar::Quoted(s) | Scalar::Plain(s) => s,
        }
    }

    /// For an optional field: YAML's null words mean "absent".
    fn into_option(self) -> Option<String> {
        match self {
            Scalar::Plain(s) if matches!(s.as_str(), "null" | "Null" | "NULL") => None,
            other => Some(other.into_string()),
        }
    }
}

/// A quoted or plain scalar at the start of `s`, and the rest of the line.
fn scalar(s: &str, in_flow: bool) -> Option<(Scalar, &str)> {
    match s.as_bytes().first()? {
        b'"' => double_quoted(&s[1..]).map(|(v, rest)| (Scalar::Quoted(v), rest)),
        b'\'' => single_quoted(&s[1..]).map(|(v, rest)| (Scalar::Quoted(v), rest)),
        _ => plain(s, in_flow).map(|(v, rest)| (Scalar::Plain(v.to_owned()), rest)),
    }
}

/// A plain scalar made only of characters that mean nothing special to YAML
/// in this position; anything fancier is left to serde_yaml.
fn plain(s: &str, in_flow: bool) -> Option<(&str, &str)> {
    let mut end = 0;
    let bytes = s.as_bytes();
    for (i, c) in s.char_indices() {
        let ok = match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' => true,
            '.' | '_' | '@' | '+' | '-' => i > 0,
            // Inside timestamps; YAML reads `:` as a key only before a space.
            ':' => !in_flow && i > 0 && bytes.get(i + 1).is_some_and(u8::is_ascii_digit),
            c => !c.is_ascii() && kept_as_is(c) && c != '\u{85}',
        };
        if !ok {
            break;
        }
        end = i + c.len_utf8();
    }
    (end > 0).then(|| s.split_at(end))
}

/// The body of a `"…"` scalar that closes on this line (JSON-style escapes only).
fn double_quoted(s: &str) -> Option<(String, &str)> {
    // Most strings have no escapes: copy them in one go.
    let plain = s
        .char_indices()
        .find(|&(_, c)| c == '"' || c == '\\' || !(c == '\t' || kept_as_is(c)));
    let (stop, c) = plain?;
    if c == '"' {
        return Some((s[..stop].to_owned(), &s[stop + 1..]));
    }
    let mut out = String::with_capacity(s.len().min(64));
    out.push_str(&s[..stop]);
    let mut chars = s[stop..].char_indices().map(|(i, c)| (i + stop, c));
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                out.push(match e {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let mut code = 0u32;
                        for _ in 0..4 {
                            code = code * 16 + chars.next()?.1.to_digit(16)?;
                        }
                        char::from_u32(code)?
                    }
                    _ => return None,
                });
            }
            '\t' => out.push(c),
            c if kept_as_is(c) => out.push(c),
            _ => return None,
        }
    }
    None
}

/// The body of a `'…'` scalar that closes on this line (`''` is a quote).
fn single_quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => {
                if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                    chars.next();
                    out.push('\'');
                } else {
                    return Some((out, &s[i + 1..]));
                }
            }
            '\t' => out.push(c),
            c if kept_as_is(c) => out.push(c),
            _ => return None,
        }
    }
    None
}

/// `[a, "b"]` on one line.
fn flow_list(s: &str) -> Option<(Vec<String>, &str)> {
    let mut rest = s.strip_prefix('[')?.trim_start_matches(' ');
    let mut items = Vec::new();
    if let Some(after) = rest.strip_prefix(']') {
        return Some((items, after));
    }
    loop {
        let (item, after) = scalar(rest, true)?;
        items.push(item.into_string());
        let after = after.trim_start_matches(' ');
        if let Some(after) = after.strip_prefix(']') {
            return Some((items, after));
        }
        rest = after.strip_prefix(',')?.trim_start_matches(' ');
    }
}

// ---------------------------------------------------------------------------
// The general reader: any YAML, through serde_yaml.

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
    use super::*;
    use chrono::DateTime;

    fn sample() -> Vec<Subscriber> {
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
