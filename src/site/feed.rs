//! Feeds (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1) read with
//! `feed-rs`, each entry mapped to a strict [`Post`]: a text title, an
//! http(s) link (relative ones resolved against `xml:base` or the feed),
//! a date (published, else updated, else when postbode first saw it), the
//! categories, a text summary (never HTML) and an image.
//!
//! A feed that cannot be had or read is one warning; an entry without a
//! usable link is one warning; neither stops the rest.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use feed_rs::model;

use super::feed_state::FeedState;
use super::fetch::{self, FeedLocation};
use super::{text, LoadOptions, Loaded, Post, SiteSettings, Warning, WarningKind};
use crate::config::is_http_url;

/// Why bytes are not a feed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FeedError {
    #[error("not a feed: the server sent an HTML page")]
    Html,
    #[error("not a feed: {0}")]
    Parse(String),
}

/// Parses a feed; `base` resolves relative links when the feed has no
/// `xml:base` of its own. A feed that is not well-formed XML gets the
/// repairs feed readers make (see `feed_repair`); the second result says
/// whether items were lost to a truncation.
pub fn parse(bytes: &[u8], base: Option<&str>) -> Result<model::Feed, FeedError> {
    parse_lenient(bytes, base).map(|(feed, _)| feed)
}

fn parse_strict(bytes: &[u8], base: Option<&str>) -> Result<model::Feed, String> {
    feed_rs::parser::Builder::new()
        .base_uri(base)
        .timestamp_parser(parse_timestamp)
        .build()
        .parse(bytes)
        .map_err(|e| e.to_string().to_lowercase())
}

/// Parses, repairing when needed; `true` when the feed was cut off.
pub fn parse_lenient(bytes: &[u8], base: Option<&str>) -> Result<(model::Feed, bool), FeedError> {
    let first_error = match parse_strict(bytes, base) {
        Ok(feed) => return Ok((feed, false)),
        Err(_) if looks_like_html(bytes) => return Err(FeedError::Html),
        Err(e) => e,
    };
    let fixed = super::feed_repair::fix_entities(bytes);
    let repaired = fixed.as_deref().unwrap_or(bytes);
    if fixed.is_some() {
        if let Ok(feed) = parse_strict(repaired, base) {
            return Ok((feed, false));
        }
    }
    if let Some(closed) = super::feed_repair::close_truncated(repaired) {
        if let Ok(feed) = parse_strict(&closed, base) {
            return Ok((feed, true));
        }
    }
    Err(FeedError::Parse(first_error))
}

/// Feed dates: RFC 2822 and RFC 3339 first, then the forms real sites use
/// (zone names such as `CEST`, `2026-11-18 10:00`); no offset means UTC.
fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_rfc2822(s))
        .ok()
        .or_else(|| super::date::parse_date(s, chrono_tz::Tz::UTC).ok())
        .map(|d| d.with_timezone(&Utc))
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// One entry, mapped.
#[derive(Debug, Clone)]
pub struct Item {
    /// The entry's id (the feed's own, or one made from link and title).
    pub id: String,
    pub post: Post,
    /// False when the entry has no date: the post is dated `now` until the
    /// caller knows when it was first seen.
    pub dated: bool,
}

/// Maps one entry. `Err` says why it is skipped.
pub fn map_entry(
    entry: &model::Entry,
    feed: &model::Feed,
    source: &str,
    site: &SiteSettings,
    summary_length: Option<usize>,
    now: DateTime<Utc>,
) -> Result<Item, String> {
    let link = link_of(entry, feed, source).ok_or_else(|| {
        let first = entry.links.first().map(|l| l.href.trim()).unwrap_or("");
        if first.is_empty() {
            "no link".to_owned()
        } else {
            format!(
                "no http(s) link (`{}`)",
                first.chars().take(80).collect::<String>()
            )
        }
    })?;
    let dated = entry.published.or(entry.updated);
    let date: DateTime<FixedOffset> = dated
        .unwrap_or(now)
        .with_timezone(&site.timezone)
        .fixed_offset();
    let summary_text = summary_of(entry);
    let title = entry
        .title
        .as_ref()
        .map(text_of)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| {
            let t = text::truncate_words(&summary_text, 80);
            if t.is_empty() {
                "Untitled".to_owned()
            } else {
                t
            }
        });
    let mut categories: Vec<String> = Vec::new();
    for c in &entry.categories {
        let name = c
            .label
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or(&c.term);
        let name = text::clean_title(name);
        if !name.is_empty() && !categories.iter().any(|h| h.eq_ignore_ascii_case(&name)) {
            categories.push(name);
        }
    }
    let summary = match summary_length {
        Some(max) => text::truncate_words(&summary_text, max),
        None => String::new(),
    };
    Ok(Item {
        id: entry.id.clone(),
        dated: dated.is_some(),
        post: Post {
            title,
            date,
            categories,
            url: link.clone(),
            external_link: None,
            post_url: link,
            image: image_of(entry),
            summary,
            source: source.to_owned(),
            origin: String::new(),
            tags: Vec::new(),
            story: String::new(),
            also: None,
            rank: 0,
            story_posts: 1,
            featured: false,
            priority: 0,
        },
    })
}

/// Title or summary text: HTML reduced to text, entities decoded.
fn text_of(t: &model::Text) -> String {
    let subtype = t.content_type.subty().as_str().to_ascii_lowercase();
    // RSS does not say whether a title is text or HTML; real feeds send
    // both (`<![CDATA[a <b>bold</b> word]]>`, `Tom &amp; Jerry &lt;3`).
    if subtype == "html" || subtype == "xhtml" || subtype == "xhtml+xml" || has_tags(&t.content) {
        text::collapse_whitespace(&text::html_to_text(&t.content))
    } else {
        text::clean_title(&t.content)
    }
}

/// True when `s` holds a common inline or block HTML tag.
fn has_tags(s: &str) -> bool {
    const TAGS: [&str; 16] = [
        "b", "i", "em", "strong", "a", "span", "br", "code", "sup", "sub", "small", "p", "div",
        "img", "u", "abbr",
    ];
    s.match_indices('<').any(|(i, _)| {
        let rest = s[i + 1..].trim_start_matches('/');
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let after = rest[name_len..].chars().next();
        TAGS.contains(&rest[..name_len].to_ascii_lowercase().as_str())
            && matches!(after, Some('>' | ' ' | '/'))
    })
}

fn summary_of(entry: &model::Entry) -> String {
    let from_summary = entry.summary.as_ref().map(text_of).unwrap_or_default();
    if !from_summary.is_empty() {
        return from_summary;
    }
    entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .map(|b| text::collapse_whitespace(&text::html_to_text(b)))
        .unwrap_or_default()
}

/// The entry's page: its alternate link, else any non-feed link, else an
/// id that is a URL. Relative links are resolved against the feed.
fn link_of(entry: &model::Entry, feed: &model::Feed, source: &str) -> Option<String> {
    let base = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .map(|l| l.href.as_str())
        .filter(|h| is_http_url(h))
        .or_else(|| is_http_url(source).then_some(source));
    let alternate = entry.links.iter().filter(|l| {
        l.rel
            .as_deref()
            .is_none_or(|r| r.eq_ignore_ascii_case("alternate"))
    });
    let others = entry.links.iter().filter(|l| {
        !matches!(
            l.rel.as_deref().map(str::to_ascii_lowercase).as_deref(),
            Some("self" | "enclosure" | "replies" | "edit" | "alternate") | None
        )
    });
    alternate
        .chain(others)
        .find_map(|l| absolute(&l.href, entry.base.as_deref().or(base)))
        .or_else(|| {
            let id = entry.id.trim();
            is_http_url(id).then(|| id.to_owned())
        })
}

fn absolute(href: &str, base: Option<&str>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    if is_http_url(href) {
        return Some(href.to_owned());
    }
    let joined = url::Url::parse(base?).ok()?.join(href).ok()?;
    let s = joined.to_string();
    is_http_url(&s).then_some(s)
}

/// `media:content`/`media:thumbnail` or an image enclosure; http(s) only.
fn image_of(entry: &model::Entry) -> Option<String> {
    for m in &entry.media {
        for c in &m.content {
            let is_image = c
                .content_type
                .as_ref()
                .is_some_and(|t| t.ty().as_str().eq_ignore_ascii_case("image"));
            if let Some(u) = &c.url {
                if is_image && is_http_url(u.as_str()) {
                    return Some(u.to_string());
                }
            }
        }
        for t in &m.thumbnails {
            if is_http_url(&t.image.uri) {
                return Some(t.image.uri.clone());
            }
        }
    }
    entry
        .links
        .iter()
        .find(|l| {
            l.rel.as_deref() == Some("enclosure")
                && l.media_type
                    .as_deref()
                    .is_some_and(|t| t.to_ascii_lowercase().starts_with("image/"))
                && is_http_url(&l.href)
        })
        .map(|l| l.href.clone())
}

/// Reads a feed source. Returns what was loaded and the feed's title.
pub fn load(
    location: &FeedLocation,
    site: &SiteSettings,
    options: &LoadOptions,
) -> (Loaded, Option<String>) {
    let source = location.display();
    let mut loaded = Loaded::default();
    let warn = |kind: WarningKind, message: String| Warning {
        root: String::new(),
        path: source.clone(),
        line: None,
        kind,
        message,
    };
    let state = FeedState::new(&site.state_dir, &source);
    let fetched = match fetch::fetch(location, &state) {
        Ok(f) => f,
        Err(e) => {
            loaded
                .warnings
                .push(warn(WarningKind::FeedUnavailable, e.to_string()));
            return (loaded, None);
        }
    };
    if let Some(e) = &fetched.stale {
        loaded.warnings.push(warn(
            WarningKind::FeedStale,
            format!("{e}; using the last good copy"),
        ));
    }
    let base = matches!(location, FeedLocation::Url(_)).then_some(source.as_str());
    let feed = match parse_lenient(&fetched.bytes, base) {
        Ok((feed, truncated)) => {
            if truncated {
                loaded.warnings.push(warn(
                    WarningKind::BadFeed,
                    "the feed is cut off: read up to its last complete item".into(),
                ));
            }
            if let (Some(v), FeedLocation::Url(_)) = (&fetched.fresh, location) {
                if let Err(e) = state.store(v, &fetched.bytes) {
                    loaded.warnings.push(warn(
                        WarningKind::FeedStale,
                        format!("cannot keep a copy in the state folder: {e}"),
                    ));
                }
            }
            feed
        }
        Err(e) => {
            // A fresh copy that does not parse: fall back to the last good one.
            let cached = fetched
                .fresh
                .is_some()
                .then(|| state.cached())
                .flatten()
                .and_then(|(_, body)| parse(&body, base).ok());
            match cached {
                Some(feed) => {
                    loaded.warnings.push(warn(
                        WarningKind::FeedStale,
                        format!("{e}; using the last good copy"),
                    ));
                    feed
                }
                None => {
                    loaded
                        .warnings
                        .push(warn(WarningKind::BadFeed, e.to_string()));
                    return (loaded, None);
                }
            }
        }
    };
    let title = feed.title.as_ref().map(text_of).filter(|t| !t.is_empty());
    if declares_entities(&fetched.bytes) {
        loaded.warnings.push(warn(
            WarningKind::BadFeed,
            "the feed declares its own entities (`<!ENTITY`); they are left unexpanded".into(),
        ));
    }
    let json_images = json_feed_images(&fetched.bytes);
    let now = Utc::now();
    let mut seen = None::<BTreeMap<String, DateTime<FixedOffset>>>;
    let mut seen_changed = false;
    loaded.files = feed.entries.len();
    for (i, entry) in feed.entries.iter().enumerate() {
        let mut item = match map_entry(entry, &feed, &source, site, options.summary_length, now) {
            Ok(item) => item,
            Err(why) => {
                loaded.warnings.push(warn(
                    WarningKind::BadItem,
                    format!("entry {} skipped: {why}", i + 1),
                ));
                continue;
            }
        };
        if item.post.image.is_none() {
            item.post.image = json_images.get(&item.id).cloned();
        }
        if !item.dated {
            let seen = seen.get_or_insert_with(|| state.first_seen());
            let first = *seen.entry(item.id.clone()).or_insert_with(|| {
                seen_changed = true;
                item.post.date
            });
            item.post.date = first;
        }
        if let Some(w) = &options.window {
            if !w.contains(&item.post.date) {
                loaded.outside_window += 1;
                continue;
            }
        }
        loaded.posts.push(item.post);
    }
    if let (Some(seen), true) = (&seen, seen_changed) {
        if let Err(e) = state.store_first_seen(seen) {
            loaded.warnings.push(warn(
                WarningKind::FeedStale,
                format!("cannot remember when undated entries were first seen: {e}"),
            ));
        }
    }
    loaded
        .posts
        .sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.url.cmp(&b.url)));
    (loaded, title)
}

/// An XML document type that defines entities: the classic expansion bomb.
/// The parser never expands them; the feed's owner should know.
fn declares_entities(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    head.windows(8).any(|w| w == b"<!ENTITY")
}

/// JSON Feed's `image` per item id (`feed-rs` does not map it).
fn json_feed_images(bytes: &[u8]) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    let trimmed = bytes.trim_ascii_start();
    if !trimmed.starts_with(b"{") {
        return out;
    }
    let Ok(serde_json::Value::Object(feed)) = serde_json::from_slice::<serde_json::Value>(trimmed)
    else {
        return out;
    };
    let Some(serde_json::Value::Array(items)) = feed.get("items") else {
        return out;
    };
    for item in items {
        let id = match item.get("id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        let image = ["image", "banner_image"]
            .iter()
            .find_map(|k| item.get(*k).and_then(|v| v.as_str()))
            .filter(|u| is_http_url(u));
        if let Some(u) = image {
            out.insert(id, u.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_in_titles_is_recognised_by_its_tags() {
        assert!(has_tags("a <b>bold</b> word"));
        assert!(has_tags("line<br/>break"));
        assert!(has_tags("<a href=\"x\">link</a>"));
        assert!(!has_tags("Tom & Jerry <3"));
        assert!(!has_tags("a <show> of hands"));
        assert!(!has_tags("x < y and b > a"));
    }

    #[test]
    fn entity_declarations_are_noticed() {
        assert!(declares_entities(
            b"<?xml?><!DOCTYPE r [<!ENTITY a \"x\">]><r/>"
        ));
        assert!(!declares_entities(b"<rss version=\"2.0\"></rss>"));
    }

    #[test]
    fn relative_links_need_a_base() {
        assert_eq!(
            absolute("../b.html", Some("https://x.example/a/c/")),
            Some("https://x.example/a/b.html".into())
        );
        assert_eq!(absolute("/b", None), None);
        assert_eq!(
            absolute("javascript:alert(1)", Some("https://x.example/")),
            None
        );
    }
}
