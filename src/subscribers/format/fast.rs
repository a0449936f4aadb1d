//! The fast reader: postbode's own layout, line by line. `None` means "not
//! in that layout" (never "invalid"): serde_yaml then reads the file and
//! reports any error with its line and column.

use rayon::prelude::*;

use super::write::kept_as_is;
use super::RawEntry;
use crate::subscribers::Status;

pub(super) fn parse_fast(text: &str) -> Option<Vec<RawEntry>> {
    // Big lists are read in pieces, in parallel, each starting at an entry.
    let parsed: Vec<Vec<RawEntry>> = pieces(text)?
        .par_iter()
        .map(Piece::entries)
        .collect::<Option<_>>()?;
    let mut all = Vec::with_capacity(parsed.iter().map(Vec::len).sum());
    parsed.into_iter().for_each(|entries| all.extend(entries));
    Some(all)
}

/// About [`PIECE_BYTES`] of a list's text, starting at an entry, that reads
/// on its own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece<'a> {
    text: &'a str,
    /// The line (1-based) of the piece's first line in the whole text.
    first_line: usize,
}

impl Piece<'_> {
    /// The piece's entries, with their lines in the whole text; `None` when
    /// it is not in postbode's layout.
    pub(crate) fn entries(&self) -> Option<Vec<RawEntry>> {
        let mut entries = entries(self.text)?;
        for e in &mut entries {
            e.line = e.line.map(|l| l + self.first_line - 1);
        }
        Some(entries)
    }
}

/// The text's entries as pieces, in order; `None` when the text is not in
/// postbode's layout as far as its outline shows (a piece may still decline).
pub(crate) fn pieces(text: &str) -> Option<Vec<Piece<'_>>> {
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
    let texts = if body.len() < PIECE_BYTES {
        vec![body]
    } else {
        split_at_entries(body, body.len() / PIECE_BYTES + 1)
    };
    let mut first_line = body_line;
    Some(
        texts
            .into_iter()
            .map(|text| {
                let piece = Piece { text, first_line };
                first_line += text.bytes().filter(|&b| b == b'\n').count();
                piece
            })
            .collect(),
    )
}

/// Pieces of about this size are parsed in parallel.
pub(super) const PIECE_BYTES: usize = 1 << 20;

fn blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim_start_matches(' ');
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// Finds the `subscribers:` line after any comments: the byte offset and
/// line number (1-based) after it, and whether it was `subscribers: []`.
/// `Some(None)` for a text of only blank lines and comments.
#[allow(clippy::option_option)]
pub(super) fn header(text: &str) -> Option<Option<(usize, usize, bool)>> {
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
pub(super) fn split_at_entries(body: &str, n: usize) -> Vec<&str> {
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

/// The entries of one piece, with lines counted from the piece's start.
fn entries(piece: &str) -> Option<Vec<RawEntry>> {
    let mut entries = Vec::with_capacity(piece.len() / 200);
    let mut current: Option<Fields> = None;
    for (i, line) in piece.split('\n').enumerate() {
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
    Some(entries)
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
            "digests" => 8,
            "paused_until" => 9,
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
            "digests" => {
                let (list, rest) = flow_list(rest)?;
                e.digests = list;
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
                    "paused_until" => e.paused_until = value,
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
