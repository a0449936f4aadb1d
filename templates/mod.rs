//! The digest's look: an [`Edition`] rendered to a subject, an HTML body and
//! a plain-text body, in the reader's language.
//!
//! Both bodies are built from one [`view::View`] of the edition, so the text
//! part says what the HTML says without being scraped from it. The parts
//! that differ per reader (the greeting's name, the unsubscribe link) are
//! holes in a [`Body`], filled per recipient: an edition is rendered once per
//! distinct category choice, and each message only splices its holes in.
//!
//! Safety: every string from posts or config passes [`view::clean`] (no
//! control characters, so nothing can fake a hole or break a header), HTML
//! is escaped by maud, and only http(s) URLs are linked or shown as images.

pub mod digest;
pub mod pages;
pub mod plain;
pub mod strings;
pub mod style;
pub mod view;

use std::sync::OnceLock;

use chrono_tz::Tz;

use crate::config::{DigestConfig, Language};
use crate::edition::Edition;
use crate::site::SiteSettings;

/// Everything about the site and the reader that rendering needs besides
/// the edition.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub site_title: &'a str,
    /// The site's home page (`https://example.org/blog/`), or empty when
    /// the site has no URL.
    pub site_home: String,
    pub language: Language,
    pub timezone: Tz,
    /// `digest.subject`: `{site}`, `{date}`, `{week}` and `{count}` are
    /// replaced.
    pub subject: &'a str,
    /// Where the edition can be read on the web; `{id}` is replaced by the
    /// edition's id. No link when `None`.
    pub web_url: Option<&'a str>,
    /// The categories the reader chose (empty: all), for the footer.
    pub categories: &'a [String],
}

impl<'a> Context<'a> {
    /// The context for a reader who gets every category.
    pub fn new(site: &'a SiteSettings, digest: &'a DigestConfig) -> Context<'a> {
        Context {
            site_title: &site.title,
            site_home: site_home(site),
            language: site.language,
            timezone: site.timezone,
            subject: &digest.subject,
            web_url: digest.web_url.as_deref(),
            categories: &[],
        }
    }
}

/// The site's home page: `url` + `baseurl`, or empty without a URL.
pub fn site_home(site: &SiteSettings) -> String {
    if site.url.is_empty() {
        String::new()
    } else {
        format!("{}{}/", site.url, site.baseurl)
    }
}

/// One edition rendered for one category choice.
#[derive(Debug)]
pub struct Rendered {
    pub edition_id: String,
    /// Header-safe: one line, no control characters.
    pub subject: String,
    /// How many posts it shows.
    pub count: usize,
    pub html: Body,
    pub text: Body,
}

/// What differs per recipient.
#[derive(Debug, Clone, Copy)]
pub struct Personal<'a> {
    pub name: Option<&'a str>,
    /// An http(s) or mailto URL, already percent-encoded where needed.
    pub unsubscribe_url: &'a str,
}

/// Renders `edition` for the reader `ctx` describes.
pub fn render(edition: &Edition, ctx: &Context<'_>) -> Rendered {
    let view = view::View::new(edition, ctx);
    Rendered {
        edition_id: edition.id.clone(),
        subject: view.subject.clone(),
        count: edition.len(),
        html: Body::new(Kind::Html, digest::render(&view)),
        text: Body::new(Kind::Text, plain::render(&view)),
    }
}

/// Holes in a rendered body. Control characters never survive
/// [`view::clean`], so post text cannot contain them.
pub(crate) const HOLE_NAME: &str = "\u{1}n\u{1}";
pub(crate) const HOLE_UNSUBSCRIBE: &str = "\u{1}u\u{1}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Html,
    Text,
}

/// A rendered body with holes for the per-recipient parts. Lines without a
/// hole are kept apart from lines with one, so that the transfer encoding of
/// the fixed lines is done once and reused for every recipient.
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
                if let Some(name) = personal.name.map(view::clean).filter(|n| !n.is_empty()) {
                    out.push(' ');
                    self.push_value(&name, out);
                }
                rest = after;
            } else if let Some(after) = hole.strip_prefix(HOLE_UNSUBSCRIBE) {
                self.push_value(&view::clean(personal.unsubscribe_url), out);
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
            Kind::Html => view::escape_into(value, out),
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

/// Restoring stored content, so that a resumed delivery sends exactly what
/// the first attempt rendered.
impl Rendered {
    /// Rebuilds a rendering from stored [`Body::source`] texts.
    pub fn restore(
        edition_id: String,
        subject: String,
        count: usize,
        html: String,
        text: String,
    ) -> Rendered {
        Rendered {
            edition_id,
            subject: view::clean(&subject).into_owned(),
            count,
            html: Body::new(Kind::Html, html),
            text: Body::new(Kind::Text, text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        };
        assert_eq!(
            html.fill(&p),
            "<p>a</p>\n<p>Hallo Ada &amp; &quot;Bob&quot;,</p>\n<a href=\"https://x.example/u/a?b=1&amp;c=2\">x</a>\n<p>é</p>"
        );
        assert!(text.fill(&p).contains("Hallo Ada & \"Bob\","));
        let anonymous = Personal {
            name: None,
            unsubscribe_url: "https://x.example/u/0",
        };
        assert!(html.fill(&anonymous).contains("<p>Hallo,</p>"));
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
        };
        let categories = vec!["tech".to_owned()];
        let ctx = Context {
            site_title: "Leest Meer",
            site_home: String::new(),
            language: Language::Nl,
            timezone: "Europe/Amsterdam".parse().unwrap(),
            subject: "{site}",
            web_url: Some("https://leestmeer.example.org/digest/{id}.html"),
            categories: &categories,
        };
        let r = render(&edition, &ctx);
        let p = Personal {
            name: None,
            unsubscribe_url: "https://x.example/u/0",
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

    #[test]
    fn encoding_by_parts_equals_encoding_the_whole() {
        let long = "lang ".repeat(40);
        let src =
            format!("{long}é\n<p>{HOLE_UNSUBSCRIBE} {long}</p>\n\n  trailing \nend{HOLE_NAME}");
        let body = Body::new(Kind::Html, src);
        let p = Personal {
            name: Some("Zoë"),
            unsubscribe_url: "https://x.example/u/0123456789abcdef",
        };
        let whole = quoted_printable::encode(crlf(&body.fill(&p)));
        assert_eq!(body.encode(&p), whole);
        // A second recipient reuses the cached fixed parts.
        assert_eq!(body.encode(&p), whole);
        let again = Body::new(Kind::Html, body.source());
        assert_eq!(again.encode(&p), whole);
    }
}
