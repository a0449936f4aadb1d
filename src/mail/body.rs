//! A rendered body as mail sends it: the text with holes for the parts that
//! differ per reader (the greeting's name, the unsubscribe link), filled and
//! encoded per recipient. Lines without a hole are kept apart from lines with
//! one, so the quoted-printable encoding of the fixed lines is done once per
//! edition and reused for every recipient.

use std::sync::OnceLock;

use postbode_templates::{HOLE_NAME, HOLE_PREFERENCES, HOLE_UNSUBSCRIBE};

use crate::render::{clean, Rendered};

/// What differs per recipient.
#[derive(Debug, Clone, Copy)]
pub struct Personal<'a> {
    pub name: Option<&'a str>,
    /// An http(s) or mailto URL, already percent-encoded where needed.
    pub unsubscribe_url: &'a str,
    /// The preference page (empty when there is none: the body then has
    /// no hole for it).
    pub preferences_url: &'a str,
}

/// One rendered edition, ready to be filled in for each reader.
#[derive(Debug)]
pub struct Letter {
    pub edition_id: String,
    /// Header-safe: one line, no control characters.
    pub subject: String,
    /// How many posts it shows.
    pub count: usize,
    pub html: Body,
    pub text: Body,
}

impl Letter {
    pub fn new(rendered: Rendered) -> Letter {
        Letter::restore(
            rendered.edition_id,
            rendered.subject,
            rendered.count,
            rendered.html,
            rendered.text,
        )
    }

    /// Rebuilds a letter from stored [`Body::source`] texts, so that a
    /// resumed delivery sends exactly what the first attempt rendered.
    pub fn restore(
        edition_id: String,
        subject: String,
        count: usize,
        html: String,
        text: String,
    ) -> Letter {
        Letter {
            edition_id,
            subject: clean(&subject).into_owned(),
            count,
            html: Body::new(Kind::Html, html),
            text: Body::new(Kind::Text, text),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Html,
    Text,
}

/// A rendered body with holes for the per-recipient parts.
#[derive(Debug)]
pub struct Body {
    kind: Kind,
    parts: Vec<Part>,
    encoded: OnceLock<Vec<Encoded>>,
}

#[derive(Debug)]
enum Part {
    /// Whole lines, each ending in `\n` (the last one may not).
    Fixed(String),
    /// One line with holes, ending in `\n` unless it is the last.
    Holes(String),
}

#[derive(Debug)]
enum Encoded {
    Fixed(Vec<u8>),
    Holes(String),
}

impl Body {
    /// A body from its source: rendered text with holes, as
    /// [`Body::source`] gives it (for storing an edition's content before
    /// delivery and reading it back).
    pub fn new(kind: Kind, rendered: String) -> Body {
        let mut parts = Vec::new();
        let mut fixed = String::new();
        for line in rendered.split_inclusive('\n') {
            if line.contains('\u{1}') {
                if !fixed.is_empty() {
                    parts.push(Part::Fixed(std::mem::take(&mut fixed)));
                }
                parts.push(Part::Holes(line.to_owned()));
            } else {
                fixed.push_str(line);
            }
        }
        if !fixed.is_empty() {
            parts.push(Part::Fixed(fixed));
        }
        Body {
            kind,
            parts,
            encoded: OnceLock::new(),
        }
    }

    /// The rendered text with its holes, from which [`Body::new`] rebuilds
    /// the same body.
    pub fn source(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Fixed(s) | Part::Holes(s) => s.as_str(),
            })
            .collect()
    }

    /// The body for one recipient, with `\n` line ends.
    pub fn fill(&self, personal: &Personal<'_>) -> String {
        let mut out = String::with_capacity(self.parts.iter().map(Part::len).sum::<usize>() + 256);
        for part in &self.parts {
            match part {
                Part::Fixed(s) => out.push_str(s),
                Part::Holes(s) => self.fill_line(s, personal, &mut out),
            }
        }
        out
    }

    /// The body for one recipient as lettre sends it: quoted-printable with
    /// CRLF line ends. Fixed lines are encoded once, on first use.
    pub fn encode_into(&self, personal: &Personal<'_>, out: &mut Vec<u8>) {
        let encoded = self.encoded.get_or_init(|| {
            self.parts
                .iter()
                .map(|p| match p {
                    Part::Fixed(s) => Encoded::Fixed(quoted_printable::encode(crlf(s))),
                    Part::Holes(s) => Encoded::Holes(s.clone()),
                })
                .collect()
        });
        let mut line = String::new();
        for part in encoded {
            match part {
                Encoded::Fixed(bytes) => out.extend_from_slice(bytes),
                Encoded::Holes(s) => {
                    line.clear();
                    self.fill_line(s, personal, &mut line);
                    out.extend_from_slice(&quoted_printable::encode(crlf(&line)));
                }
            }
        }
    }

    /// [`Body::encode_into`] in a new buffer.
    pub fn encode(&self, personal: &Personal<'_>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.parts.iter().map(Part::len).sum::<usize>() * 11 / 10);
        self.encode_into(personal, &mut out);
        out
    }

    fn fill_line(&self, line: &str, personal: &Personal<'_>, out: &mut String) {
        let mut rest = line;
        while let Some(start) = rest.find('\u{1}') {
            out.push_str(&rest[..start]);
            let hole = &rest[start..];
            if let Some(after) = hole.strip_prefix(HOLE_NAME) {
                if let Some(name) = personal.name.map(clean).filter(|n| !n.is_empty()) {
                    out.push(' ');
                    self.push_value(&name, out);
                }
                rest = after;
            } else if let Some(after) = hole.strip_prefix(HOLE_UNSUBSCRIBE) {
                self.push_value(&clean(personal.unsubscribe_url), out);
                rest = after;
            } else if let Some(after) = hole.strip_prefix(HOLE_PREFERENCES) {
                self.push_value(&clean(personal.preferences_url), out);
                rest = after;
            } else {
                // Not a hole we made; drop the stray character.
                rest = &hole[1..];
            }
        }
        out.push_str(rest);
    }

    fn push_value(&self, value: &str, out: &mut String) {
        match self.kind {
            Kind::Html => escape_into(value, out),
            Kind::Text => out.push_str(value),
        }
    }
}

impl Part {
    fn len(&self) -> usize {
        match self {
            Part::Fixed(s) | Part::Holes(s) => s.len(),
        }
    }
}

/// `\n` → `\r\n` (bodies are rendered with `\n` only).
fn crlf(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 40);
    for (i, part) in s.split('\n').enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        out.push_str(part.strip_suffix('\r').unwrap_or(part));
    }
    out
}

/// Escapes text for HTML content and double- or single-quoted attributes.
pub fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edition::Edition;
    use crate::render::render;

    #[test]
    fn holes_are_filled_and_escaped_per_kind() {
        let src = format!(
            "<p>a</p>\n<p>Hallo{HOLE_NAME},</p>\n<a href=\"{HOLE_UNSUBSCRIBE}\">x</a>\n<p>é</p>"
        );
        let html = Body::new(Kind::Html, src.clone());
        let text = Body::new(Kind::Text, src);
        let p = Personal {
            name: Some("Ada & \"Bob\"\r\n"),
            unsubscribe_url: "https://x.example/u/a?b=1&c=2",
            preferences_url: "",
        };
        assert_eq!(
            html.fill(&p),
            "<p>a</p>\n<p>Hallo Ada &amp; &quot;Bob&quot;,</p>\n<a href=\"https://x.example/u/a?b=1&amp;c=2\">x</a>\n<p>é</p>"
        );
        assert!(text.fill(&p).contains("Hallo Ada & \"Bob\","));
        let anonymous = Personal {
            name: None,
            unsubscribe_url: "https://x.example/u/0",
            preferences_url: "",
        };
        assert!(html.fill(&anonymous).contains("<p>Hallo,</p>"));
    }

    #[test]
    fn encoding_by_parts_equals_encoding_the_whole() {
        let long = "lang ".repeat(40);
        let src =
            format!("{long}é\n<p>{HOLE_UNSUBSCRIBE} {long}</p>\n\n  trailing \nend{HOLE_NAME}");
        let body = Body::new(Kind::Html, src);
        let p = Personal {
            name: Some("Zoë"),
            unsubscribe_url: "https://x.example/u/0123456789abcdef",
            preferences_url: "",
        };
        let whole = quoted_printable::encode(crlf(&body.fill(&p)));
        assert_eq!(body.encode(&p), whole);
        // A second recipient reuses the cached fixed parts.
        assert_eq!(body.encode(&p), whole);
        let again = Body::new(Kind::Html, body.source());
        assert_eq!(again.encode(&p), whole);
    }

    #[test]
    fn view_online_link_when_configured() {
        let since = chrono::DateTime::parse_from_rfc3339("2026-11-16T00:00:00+01:00").unwrap();
        let until = chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00+01:00").unwrap();
        let window = crate::window::Window { since, until };
        let edition = Edition {
            id: crate::edition::edition_id(&window),
            window,
            sections: Vec::new(),
            posts_in_window: 0,
        };
        let categories = vec!["tech".to_owned()];
        let ctx = crate::render::Context {
            site_title: "Leest Meer",
            site_home: String::new(),
            language: crate::config::Language::Nl,
            timezone: "Europe/Amsterdam".parse().unwrap(),
            subject: "{site}",
            web_url: Some("https://leestmeer.example.org/digest/{id}.html"),
            category_url: None,
            categories: &categories,
            theme: None,
            note: &[],
            preferences: false,
        };
        let r = Letter::new(render(&edition, &ctx));
        let p = Personal {
            name: None,
            unsubscribe_url: "https://x.example/u/0",
            preferences_url: "",
        };
        let link = "https://leestmeer.example.org/digest/20261115T230000Z--20261122T230000Z.html";
        assert!(r.html.fill(&p).contains(&format!("href=\"{link}\"")));
        let text = r.text.fill(&p);
        assert!(
            text.contains(&format!("Bekijk deze mail in je browser:\n{link}\n")),
            "{text}"
        );
        assert!(text.contains("voor de rubriek Tech."), "{text}");
        // No site URL: the site's name is not linked.
        assert!(!r.html.fill(&p).contains("href=\"\""));
    }
}
