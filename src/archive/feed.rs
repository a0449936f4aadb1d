//! The archive's Atom feed (RFC 4287), written with an XML writer so every
//! text and attribute is escaped.

use chrono::{DateTime, Utc};
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

/// One edition in the feed.
pub struct Entry {
    pub id: String,
    pub title: String,
    /// The edition's page, absolute when the site's URL is known.
    pub link: String,
    pub updated: DateTime<Utc>,
    pub summary: String,
}

/// The feed's own data.
pub struct Feed<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// The feed's own URL and the index page's, when known.
    pub self_link: Option<&'a str>,
    pub index_link: &'a str,
    pub entries: &'a [Entry],
}

/// The feed as XML text.
pub fn atom(feed: &Feed<'_>) -> std::io::Result<String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let updated = feed
        .entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    w.create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .write_inner_content(|w| {
            text(w, "id", feed.id)?;
            text(w, "title", feed.title)?;
            text(w, "updated", &updated.to_rfc3339())?;
            w.create_element("author")
                .write_inner_content(|w| text(w, "name", feed.title).map(|_| ()))?;
            if let Some(href) = feed.self_link {
                w.create_element("link")
                    .with_attributes([("rel", "self"), ("href", href)])
                    .write_empty()?;
            }
            w.create_element("link")
                .with_attributes([("rel", "alternate"), ("href", feed.index_link)])
                .write_empty()?;
            for e in feed.entries {
                w.create_element("entry").write_inner_content(|w| {
                    text(w, "id", &e.id)?;
                    text(w, "title", &e.title)?;
                    text(w, "updated", &e.updated.to_rfc3339())?;
                    w.create_element("link")
                        .with_attributes([("rel", "alternate"), ("href", e.link.as_str())])
                        .write_empty()?;
                    text(w, "summary", &e.summary)?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    let mut out = String::from_utf8(w.into_inner()).unwrap_or_default();
    out.push('\n');
    Ok(out)
}

fn text<W: std::io::Write>(w: &mut Writer<W>, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}
