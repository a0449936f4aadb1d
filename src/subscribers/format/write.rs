//! Writing a list in postbode's fixed layout: one block mapping per entry,
//! keys in a fixed order, strings always double-quoted with JSON-style
//! escapes, so the fast reader can read it back line by line.

use std::fmt::Write as _;

use crate::subscribers::Subscriber;

const HEADER: &str = "\
# The subscriber list, kept by `postbode subscribers` (see `postbode subscribers --help`).
# One entry per subscriber: `categories: []` means all categories; `status` is one of
# active, pending, unsubscribed, bounced. Hand edits are fine; postbode rewrites the
# file in this layout at its next change.
";

/// The whole file for a list.
pub(crate) fn write(list: &[Subscriber]) -> String {
    write_marked(list, |_| {})
}

/// [`write`], telling `mark` where each entry's block starts.
pub(super) fn write_marked(list: &[Subscriber], mut mark: impl FnMut(usize)) -> String {
    let mut out = String::with_capacity(HEADER.len() + list.len() * 240);
    out.push_str(HEADER);
    if list.is_empty() {
        out.push_str("subscribers: []\n");
        return out;
    }
    out.push_str("subscribers:\n");
    for s in list {
        mark(out.len());
        entry(&mut out, s);
    }
    out
}

/// One entry's block of lines.
pub(super) fn entry(out: &mut String, s: &Subscriber) {
    out.push_str("  - email: ");
    push_quoted(out, &s.email);
    if let Some(name) = &s.name {
        out.push_str("\n    name: ");
        push_quoted(out, name);
    }
    out.push_str("\n    categories: [");
    for (i, c) in s.categories.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_quoted(out, c);
    }
    out.push(']');
    // Written only when set, so lists from before digests read the same.
    if !s.digests.is_empty() {
        out.push_str("\n    digests: [");
        for (i, d) in s.digests.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            push_quoted(out, d);
        }
        out.push(']');
    }
    out.push_str("\n    status: ");
    out.push_str(s.status.as_str());
    if let Some(until) = s.paused_until {
        out.push_str("\n    paused_until: ");
        out.push_str(&until.format("%Y-%m-%d").to_string());
    }
    for (key, at) in [
        ("subscribed_at", &s.subscribed_at),
        ("unsubscribed_at", &s.unsubscribed_at),
    ] {
        if let Some(at) = at {
            out.push_str("\n    ");
            out.push_str(key);
            out.push_str(": ");
            out.push_str(&crate::subscribers::format_time(at));
        }
    }
    out.push_str("\n    bounces: ");
    let _ = write!(out, "{}", s.bounces);
    out.push_str("\n    token: ");
    push_quoted(out, &s.token);
    out.push('\n');
}

/// A YAML double-quoted scalar. Only escapes that JSON shares are used, and
/// every character YAML would not keep as-is is escaped: controls, DEL, C1
/// (libyaml folds a raw U+0085 into a space), U+2028/9 and BOM-like ones.
fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    // Runs of characters that stand for themselves are copied whole: most
    // strings (addresses, tokens, names) are one such run.
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if !kept_as_is(c) => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push_str(escape);
        }
        run = i + c.len_utf8();
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Characters that stand for themselves inside a quoted scalar, for both
/// libyaml (YAML 1.1) and YAML 1.2 readers.
pub(super) fn kept_as_is(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}
