//! Front matter: finding it the way Jekyll does and reading its YAML.
//!
//! Jekyll's rule: the file starts with a `---` line (trailing whitespace
//! allowed) and the front matter ends at the next line that is `---` or
//! `...`. Anything else means the file has no front matter.

use serde_yaml::{Mapping, Value};

pub mod fast;

/// A file's text cut into front matter and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    /// The YAML between the delimiters.
    pub yaml: &'a str,
    /// 1-based line of the first YAML line in the file.
    pub yaml_line: usize,
    /// Everything after the closing delimiter line.
    pub body: &'a str,
}

/// Why a file's front matter could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file has no front matter at all.
    Missing,
    /// An opening `---` without a closing `---` or `...`.
    Unclosed,
}

/// Finds the front matter in `text` (a BOM already removed).
pub fn split(text: &str) -> Result<Split<'_>, Problem> {
    let first_end = text.find('\n').ok_or(if text.trim_end() == "---" {
        Problem::Unclosed
    } else {
        Problem::Missing
    })?;
    if text[..first_end].trim_end() != "---" {
        return Err(Problem::Missing);
    }
    let yaml_start = first_end + 1;
    let mut pos = yaml_start;
    while pos <= text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let l = &text[pos..end];
        if (l.starts_with("---") || l.starts_with("...")) && l[3..].trim().is_empty() {
            let body_start = (end + 1).min(text.len());
            return Ok(Split {
                yaml: &text[yaml_start..pos],
                yaml_line: 2,
                body: &text[body_start..],
            });
        }
        if end == text.len() {
            break;
        }
        pos = end + 1;
    }
    Err(Problem::Unclosed)
}

/// The parsed front matter, plus what was odd about it.
#[derive(Debug, Default)]
pub struct FrontMatter {
    pub data: Mapping,
    /// Top-level keys that appeared more than once (the last one wins),
    /// with the file line of the occurrence that was dropped.
    pub duplicates: Vec<(String, usize)>,
}

/// A YAML error with its file line when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: Option<usize>,
    pub message: String,
}

/// Parses front-matter YAML. `first_line` is the file line of its first line,
/// so errors point into the file, not into the snippet.
pub fn parse(yaml: &str, first_line: usize) -> Result<FrontMatter, YamlError> {
    match parse_mapping(yaml, first_line) {
        Ok(data) => Ok(FrontMatter {
            data,
            duplicates: Vec::new(),
        }),
        Err(e) if e.message.contains("duplicate entry") => {
            // serde_yaml rejects duplicate keys; Jekyll (Ruby's YAML) keeps
            // the last. Drop the earlier top-level blocks and try again.
            let (deduped, duplicates) = drop_earlier_duplicates(yaml, first_line);
            let data = parse_mapping(&deduped, first_line)?;
            Ok(FrontMatter { data, duplicates })
        }
        Err(e) => Err(e),
    }
}

fn parse_mapping(yaml: &str, first_line: usize) -> Result<Mapping, YamlError> {
    if yaml.trim().is_empty() {
        return Ok(Mapping::new());
    }
    if let Some(m) = fast::parse(yaml) {
        return Ok(m);
    }
    match serde_yaml::from_str::<Value>(yaml) {
        Ok(Value::Mapping(m)) => Ok(m),
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(other) => Err(YamlError {
            line: Some(first_line),
            message: format!(
                "front matter is a {}, not a mapping of keys to values",
                kind(&other)
            ),
        }),
        Err(e) => Err(YamlError {
            // An error found at the end of the text (an unclosed `[`, say)
            // belongs to the last line of the front matter, not the `---`.
            line: e.location().map(|l| {
                first_line + (l.line() - 1).min(yaml.trim_end().lines().count().saturating_sub(1))
            }),
            message: clean_yaml_message(&e.to_string()),
        }),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Sequence(_) => "list",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        _ => "value",
    }
}

/// serde_yaml appends " at line L column C"; the caller says where instead.
fn clean_yaml_message(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// Top-level `key:` of a line that starts a mapping entry, if it is one.
fn top_level_key(line: &str) -> Option<&str> {
    let first = line.chars().next()?;
    if first.is_whitespace() || first == '#' || first == '-' {
        return None;
    }
    let colon = line.find(':')?;
    let after = &line[colon + 1..];
    if !(after.is_empty() || after.starts_with([' ', '\t', '\r'])) {
        return None;
    }
    Some(line[..colon].trim().trim_matches(['"', '\'']))
}

fn drop_earlier_duplicates(yaml: &str, first_line: usize) -> (String, Vec<(String, usize)>) {
    let lines: Vec<&str> = yaml.split_inclusive('\n').collect();
    // Each top-level entry is its key line plus the indented lines after it.
    let mut starts: Vec<(usize, &str)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(k) = top_level_key(l) {
            starts.push((i, k));
        }
    }
    let mut keep = vec![true; lines.len()];
    let mut duplicates = Vec::new();
    for (n, &(i, key)) in starts.iter().enumerate() {
        if starts[n + 1..].iter().any(|&(_, k)| k == key) {
            let end = starts.get(n + 1).map_or(lines.len(), |&(j, _)| j);
            keep[i..end].iter_mut().for_each(|k| *k = false);
            duplicates.push((key.to_owned(), first_line + i));
        }
    }
    let text = lines
        .iter()
        .zip(&keep)
        .map(|(l, &k)| if k { *l } else { "\n" })
        .collect();
    (text, duplicates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jekyll_delimiters() {
        let s = split("---\ntitle: x\n---\nbody").unwrap();
        assert_eq!((s.yaml, s.body), ("title: x\n", "body"));
        let s = split("---  \r\ntitle: x\r\n...\r\nbody").unwrap();
        assert_eq!((s.yaml, s.body), ("title: x\r\n", "body"));
        let s = split("---\n---\nEmpty YAML.").unwrap();
        assert_eq!((s.yaml, s.body), ("", "Empty YAML."));
        let s = split("---\ntitle: Foo --- Bar\n---\n").unwrap();
        assert_eq!(s.yaml, "title: Foo --- Bar\n");
        assert_eq!(split("No YAML."), Err(Problem::Missing));
        assert_eq!(split("--- not\n---\n"), Err(Problem::Missing));
        assert_eq!(split("---\ntitle: x\n"), Err(Problem::Unclosed));
        assert_eq!(split("---"), Err(Problem::Unclosed));
        assert_eq!(split(""), Err(Problem::Missing));
        let s = split("---\ntitle: x\n---").unwrap();
        assert_eq!(s.body, "");
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let fm = parse("title: one\ncategory: a\ntitle: two\n", 2).unwrap();
        assert_eq!(fm.data.get("title").and_then(Value::as_str), Some("two"));
        assert_eq!(fm.duplicates, vec![("title".to_owned(), 2)]);
    }

    #[test]
    fn errors_point_into_the_file() {
        let e = parse("title: ok\ndate: [unclosed\n", 2).unwrap_err();
        assert!(e.line.is_some_and(|l| l >= 3), "{e:?}");
        let e = parse("- a\n- b\n", 2).unwrap_err();
        assert!(e.message.contains("list"));
    }
}
