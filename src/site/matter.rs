//! Front matter in the three formats Hugo and Zola accept: YAML between
//! `---` lines, TOML between `+++` lines, and a JSON object that opens the
//! file. Each becomes the same loose mapping the Jekyll reader produces, so
//! one set of field rules serves every kind of site.

use serde_yaml::{Mapping, Value};

use super::frontmatter;

/// The front matter's format, from its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Toml,
    Json,
}

/// A file's front matter, read, and the body after it.
#[derive(Debug, PartialEq)]
pub struct Matter<'a> {
    pub format: Format,
    pub data: Mapping,
    pub body: &'a str,
}

/// Why a file's front matter could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatterError {
    /// No front matter at all.
    Missing,
    /// Opened and never closed.
    Unclosed(Format),
    /// Closed, but not readable: the file line and the parser's reason.
    Invalid {
        format: Format,
        line: Option<usize>,
        message: String,
    },
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "YAML",
            Format::Toml => "TOML",
            Format::Json => "JSON",
        }
    }
}

/// Splits and reads the front matter of `text` (a BOM already removed).
pub fn read(text: &str) -> Result<Matter<'_>, MatterError> {
    let first = text.lines().next().unwrap_or("").trim_end();
    if first == "+++" {
        return read_toml(text);
    }
    if text.starts_with('{') {
        return read_json(text);
    }
    match frontmatter::split(text) {
        Ok(split) => match frontmatter::parse(split.yaml, split.yaml_line) {
            Ok(fm) => Ok(Matter {
                format: Format::Yaml,
                data: fm.data,
                body: split.body,
            }),
            Err(e) => Err(MatterError::Invalid {
                format: Format::Yaml,
                line: e.line,
                message: e.message,
            }),
        },
        Err(frontmatter::Problem::Missing) => Err(MatterError::Missing),
        Err(frontmatter::Problem::Unclosed) => Err(MatterError::Unclosed(Format::Yaml)),
    }
}

/// TOML between a first line `+++` and the next line `+++`.
fn read_toml(text: &str) -> Result<Matter<'_>, MatterError> {
    let start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut pos = start;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        if text[pos..end].trim_end() == "+++" {
            let toml_text = &text[start..pos];
            let body = &text[(end + 1).min(text.len())..];
            let data = parse_toml(toml_text)?;
            return Ok(Matter {
                format: Format::Toml,
                data,
                body,
            });
        }
        pos = end + 1;
    }
    Err(MatterError::Unclosed(Format::Toml))
}

fn parse_toml(toml_text: &str) -> Result<Mapping, MatterError> {
    match toml::from_str::<toml::Table>(toml_text) {
        Ok(table) => Ok(from_toml_table(table)),
        Err(e) => {
            // The TOML starts on line 2 of the file.
            let line = e.span().map(|s| {
                2 + toml_text[..s.start.min(toml_text.len())]
                    .matches('\n')
                    .count()
            });
            Err(MatterError::Invalid {
                format: Format::Toml,
                line,
                message: e.message().trim().replace('\n', " "),
            })
        }
    }
}

/// A JSON object at the start of the file; the body follows it.
fn read_json(text: &str) -> Result<Matter<'_>, MatterError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    match stream.next() {
        Some(Ok(serde_json::Value::Object(map))) => {
            let end = stream.byte_offset();
            let rest = &text[end..];
            // The rest of the closing line belongs to the front matter.
            let body = match rest.find('\n') {
                Some(i) if rest[..i].trim().is_empty() => &rest[i + 1..],
                _ => rest,
            };
            Ok(Matter {
                format: Format::Json,
                data: from_json_object(map),
                body,
            })
        }
        Some(Ok(_)) => Err(MatterError::Invalid {
            format: Format::Json,
            line: Some(1),
            message: "front matter is not an object".into(),
        }),
        Some(Err(e)) if e.is_eof() => Err(MatterError::Unclosed(Format::Json)),
        Some(Err(e)) => Err(MatterError::Invalid {
            format: Format::Json,
            line: Some(e.line()),
            message: clean_json_message(&e.to_string()),
        }),
        None => Err(MatterError::Missing),
    }
}

fn clean_json_message(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

fn from_toml_table(table: toml::Table) -> Mapping {
    table
        .into_iter()
        .map(|(k, v)| (Value::String(k), from_toml(v)))
        .collect()
}

fn from_toml(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::Number(i.into()),
        toml::Value::Float(f) => Value::Number(f.into()),
        toml::Value::Boolean(b) => Value::Bool(b),
        // TOML dates are written in RFC 3339, which the date reader takes.
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Sequence(items.into_iter().map(from_toml).collect()),
        toml::Value::Table(t) => Value::Mapping(from_toml_table(t)),
    }
}

fn from_json_object(map: serde_json::Map<String, serde_json::Value>) -> Mapping {
    map.into_iter()
        .map(|(k, v)| (Value::String(k), from_json(v)))
        .collect()
}

fn from_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                Value::Number(n.as_f64().unwrap_or(0.0).into())
            }
        }
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => {
            Value::Sequence(items.into_iter().map(from_json).collect())
        }
        serde_json::Value::Object(m) => Value::Mapping(from_json_object(m)),
    }
}

/// A site's own config file (Hugo's `hugo.toml`, Zola's `config.toml`) in
/// TOML, YAML or JSON, by its extension, as a mapping.
pub fn config_file(path: &std::path::Path) -> Result<Mapping, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let bad = |e: String| format!("cannot parse `{}`: {e}", path.display());
    match ext.as_str() {
        "toml" => toml::from_str::<toml::Table>(&text)
            .map(from_toml_table)
            .map_err(|e| {
                let line = e
                    .span()
                    .map(|s| 1 + text[..s.start.min(text.len())].matches('\n').count());
                let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
                bad(format!("{at}{}", e.message().trim()))
            }),
        "json" => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(m)) => Ok(from_json_object(m)),
            Ok(_) => Err(bad("not an object".into())),
            Err(e) => Err(bad(e.to_string())),
        },
        _ => match serde_yaml::from_str::<Value>(&text) {
            Ok(Value::Mapping(m)) => Ok(m),
            Ok(Value::Null) => Ok(Mapping::new()),
            Ok(_) => Err(bad("not a mapping of settings".into())),
            Err(e) => Err(bad(e.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(m: &'a Mapping, k: &str) -> Option<&'a str> {
        m.get(k).and_then(Value::as_str)
    }

    #[test]
    fn toml_front_matter() {
        let m = read("+++\ntitle = \"Hallo\"\ndate = 2026-11-18T10:00:00+01:00\ntags = [\"a\", \"b\"]\n+++\nBody\n").unwrap();
        assert_eq!(m.format, Format::Toml);
        assert_eq!(get(&m.data, "title"), Some("Hallo"));
        assert_eq!(get(&m.data, "date"), Some("2026-11-18T10:00:00+01:00"));
        assert_eq!(m.body, "Body\n");
        assert_eq!(
            read("+++\ntitle = \"x\"\n"),
            Err(MatterError::Unclosed(Format::Toml))
        );
        let e = read("+++\ntitle = \"x\"\ndate = = 3\n+++\n").unwrap_err();
        assert!(
            matches!(e, MatterError::Invalid { line: Some(3), .. }),
            "{e:?}"
        );
    }

    #[test]
    fn json_front_matter() {
        let m = read("{\n  \"title\": \"J\",\n  \"draft\": false\n}\nThe body.\n").unwrap();
        assert_eq!(m.format, Format::Json);
        assert_eq!(get(&m.data, "title"), Some("J"));
        assert_eq!(m.body, "The body.\n");
        assert_eq!(
            read("{\"title\": \"J\""),
            Err(MatterError::Unclosed(Format::Json))
        );
        let e = read("{\n\"title\": ,\n}\n").unwrap_err();
        assert!(
            matches!(e, MatterError::Invalid { line: Some(2), .. }),
            "{e:?}"
        );
    }

    #[test]
    fn yaml_front_matter() {
        let m = read("---\ntitle: Y\n---\nBody").unwrap();
        assert_eq!(
            (m.format, get(&m.data, "title"), m.body),
            (Format::Yaml, Some("Y"), "Body")
        );
        assert_eq!(read("Just text"), Err(MatterError::Missing));
    }
}
