//! A fast reader for the plain front matter nearly every post has.
//!
//! It accepts only a small YAML subset: top-level `key: value` lines whose
//! value is a plain, single-quoted or double-quoted scalar on one line, and
//! `key:` followed by a block list of such scalars. On anything else
//! (nesting, flow collections, anchors, multi-line scalars, duplicate keys,
//! tabs) it gives up and the caller uses the full YAML parser, so the result
//! is always what serde_yaml would give — a property the tests check.

use serde_yaml::{Mapping, Value};

/// The mapping, or `None` when the text needs the full parser.
pub fn parse(yaml: &str) -> Option<Mapping> {
    if !printable(yaml) {
        return None;
    }
    let mut map = Mapping::new();
    let mut lines = yaml.lines().peekable();
    while let Some(raw) = lines.next() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if is_blank_or_comment(line) {
            continue;
        }
        let first = line.as_bytes()[0];
        if first == b' ' || first == b'\t' {
            return None;
        }
        let colon = line
            .find(": ")
            .or_else(|| line.strip_suffix(':').map(|l| l.len()))?;
        let key = &line[..colon];
        // Keys that YAML would read as numbers, booleans or null are not
        // strings: leave them to the full parser.
        if !key.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            || matches!(key.to_ascii_lowercase().as_str(), "true" | "false" | "null")
        {
            return None;
        }
        let rest = line[colon + 1..].trim_matches(' ');
        let value = if rest.is_empty() || rest.starts_with('#') {
            block_list(&mut lines)?
        } else {
            scalar(rest)?
        };
        if map.insert(Value::String(key.to_owned()), value).is_some() {
            return None;
        }
    }
    Some(map)
}

/// Only characters YAML allows, and `\r` only before `\n`: anything else
/// (control characters, a lone CR that YAML reads as a line break, a BOM or
/// noncharacter inside) is for the full parser to judge.
fn printable(yaml: &str) -> bool {
    let bytes = yaml.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| match b {
        b'\t' | b'\n' => true,
        b'\r' => bytes.get(i + 1) == Some(&b'\n'),
        0..=0x1f | 0x7f => false,
        // C1 controls, U+0080–U+009F, are 0xC2 0x80–0x9F in UTF-8.
        0xc2 => !matches!(bytes.get(i + 1), Some(0x80..=0x9f)),
        // U+FEFF, U+FFFE and U+FFFF.
        0xef => !matches!(
            (bytes.get(i + 1), bytes.get(i + 2)),
            (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))
        ),
        _ => true,
    })
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    t.is_empty() || t.starts_with('#')
}

/// After `key:` with nothing after it: either `- item` lines (a list) or
/// nothing (null).
fn block_list<'a, I: Iterator<Item = &'a str>>(
    lines: &mut std::iter::Peekable<I>,
) -> Option<Value> {
    let mut items = Vec::new();
    let mut indent = None;
    while let Some(next) = lines.peek() {
        let line = next.strip_suffix('\r').unwrap_or(next);
        let t = line.trim_start_matches(' ');
        let here = line.len() - t.len();
        if t.is_empty() {
            // A blank line inside a list is fine, but it may also end it;
            // let the full parser judge anything after a blank.
            if items.is_empty() {
                lines.next();
                continue;
            }
            return None;
        }
        if t.starts_with('#') {
            return None;
        }
        if t == "-" || t.starts_with("- ") {
            // Every item at the first one's indentation; a deeper `- ` may
            // continue the item before it.
            if *indent.get_or_insert(here) != here {
                return None;
            }
            let item = t[1..].trim_matches(' ');
            if item.is_empty() || item.starts_with('#') {
                return None;
            }
            items.push(scalar(item)?);
            lines.next();
        } else if line.starts_with(' ') || line.starts_with('\t') {
            return None;
        } else {
            break;
        }
    }
    Some(if items.is_empty() {
        Value::Null
    } else {
        Value::Sequence(items)
    })
}

/// A one-line scalar; `None` for anything the subset does not cover.
fn scalar(s: &str) -> Option<Value> {
    match s.as_bytes()[0] {
        b'"' => double_quoted(s),
        b'\'' => single_quoted(s),
        _ => plain(s),
    }
}

fn plain(s: &str) -> Option<Value> {
    let first = s.as_bytes()[0];
    if b"[]{}#&*!|>%@`,?:-".contains(&first)
        || s.contains(" #")
        || s.contains(": ")
        || s.ends_with(':')
        || s.contains('\t')
    {
        return None;
    }
    let s = s.trim_end_matches(' ');
    // Numbers, booleans and nulls follow YAML's rules: ask serde_yaml.
    let needs_resolving = first.is_ascii_digit()
        || first == b'+'
        || first == b'.'
        || first == b'~'
        || matches!(
            s,
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "null" | "Null" | "NULL"
        );
    if needs_resolving {
        return serde_yaml::from_str::<Value>(s)
            .ok()
            .filter(|v| !matches!(v, Value::Mapping(_) | Value::Sequence(_)));
    }
    Some(Value::String(s.to_owned()))
}

fn double_quoted(s: &str) -> Option<Value> {
    let inner = &s[1..];
    let end = inner.find('"')?;
    let after = inner[end + 1..].trim_start_matches(' ');
    if !(after.is_empty() || after.starts_with('#') && inner[end + 1..].starts_with(' ')) {
        return None;
    }
    let content = &inner[..end];
    if content.contains('\\') {
        return None;
    }
    Some(Value::String(content.to_owned()))
}

fn single_quoted(s: &str) -> Option<Value> {
    let inner = &s[1..];
    let end = inner.find('\'')?;
    let after = &inner[end + 1..];
    // `''` is an escaped quote: leave such strings to the full parser.
    if !after.trim_end_matches(' ').is_empty() {
        return None;
    }
    Some(Value::String(inner[..end].to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the fast reader accepts, it reads as serde_yaml does.
    fn agrees(yaml: &str) -> bool {
        match parse(yaml) {
            Some(fast) => {
                let full: Value = serde_yaml::from_str(yaml).unwrap();
                let full = match full {
                    Value::Null => Mapping::new(),
                    Value::Mapping(m) => m,
                    other => panic!("not a mapping: {other:?}"),
                };
                assert_eq!(fast, full, "on:\n{yaml}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn common_front_matter_is_fast_and_exact() {
        assert!(agrees("layout: post\ntitle: \"’Ze vinden me dom, dacht ik’\"\ndate: Mon, 09 Sep 2019 05:30:00 +0200\ncategory: binnenland\nexterne_link: \"https://www.telegraaf.nl/x\"\n"));
        assert!(agrees(
            "categories: \n- sport \n- wielrennen \nexterne_link: \"https://x.nl\"\n"
        ));
        assert!(agrees(
            "title: Foo --- Bar\ncategory: 2013\npublished: false\ntag:\n"
        ));
        assert!(agrees(
            "date: 2010-01-10 13:07:09 +00:00\ncount: 0x1F\nratio: 1.5e3\nn: ~\n"
        ));
        assert!(agrees("title: 'single'\nlayout: ~\n# comment\n\nx: y\n"));
        assert!(agrees("categories:\n  - a\n  - 12\n"));
        assert!(agrees("title: a:b\nurl: http://x.y/z?q=1#frag\n"));
        assert!(agrees("title: \"quoted\" # comment\n"));
    }

    #[test]
    fn anything_unusual_goes_to_the_full_parser() {
        for yaml in [
            "title: \"esc\\\"aped\"\n",
            "title: 'it''s'\n",
            "title: >\n  folded\n",
            "title: |\n  literal\n",
            "title: [a, b]\n",
            "title: {a: b}\n",
            "title: &a x\nother: *a\n",
            "title: !tag x\n",
            "title: a\n  continued\n",
            "title: a\ntitle: b\n",
            "image:\n  path: /x.png\n",
            "\ttitle: x\n",
            "title: \"unclosed\n",
            "list:\n- a\n\n- b\n",
            "? complex\n: key\n",
            "2013: year\n",
            "true: yes\n",
            ": \n",
            "W-: \u{2}\u{1}\0:\0\u{2} \0\n \n",
            "title: a\rb\n",
            "title: x\u{85}y\n",
            "title: x\u{feff}\n",
            "list: \n- a  \n - b\n",
            "list:\n  - a\n - b\n",
        ] {
            assert!(parse(yaml).is_none(), "fast path took:\n{yaml}");
        }
    }
}
