//! An edition rendered for one reader's choice: the view the templates
//! show (every text cleaned, only http(s) links: the safety of what reaches
//! a mail is made here) and the HTML and text parts with holes for the
//! per-reader parts, which mail fills in.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate};
use chrono_tz::Tz;
use postbode_templates::strings::{display_name, Strings};
use postbode_templates::{
    AlsoView, ItemView, Language, MoreView, Paragraph, SectionView, Theme, View,
};

use crate::config::{is_http_url, DigestConfig};
use crate::edition::Edition;
use crate::site::text::collapse_whitespace;
use crate::site::SiteSettings;

mod fit;
pub mod theme;
pub use fit::{fit, HTML_LIMIT};

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
    /// `digest.category_url`: `{category}` is replaced by a section's
    /// category; where its "more posts" line links. The site when `None`.
    pub category_url: Option<&'a str>,
    /// The categories the reader chose (empty: all), for the footer.
    pub categories: &'a [String],
    /// The operator's look (see [`theme::theme`]); the compiled-in one when `None`.
    pub theme: Option<&'a Theme>,
    /// The editor's note for this edition.
    pub note: &'a [Paragraph],
    /// The footer links to the reader's preference page.
    pub preferences: bool,
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
            category_url: digest.category_url.as_deref(),
            categories: &[],
            theme: None,
            note: &[],
            preferences: false,
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

/// One edition rendered for one category choice: the HTML and text parts
/// with holes for the reader (see [`crate::mail::body`]).
#[derive(Debug)]
pub struct Rendered {
    pub edition_id: String,
    /// Header-safe: one line, no control characters.
    pub subject: String,
    /// How many posts it shows.
    pub count: usize,
    /// The lowest-ranked items left out to keep the HTML under
    /// [`HTML_LIMIT`].
    pub dropped: usize,
    pub html: String,
    pub text: String,
}

/// Renders `edition` for the reader `ctx` describes, without the
/// lowest-ranked items if the HTML would pass [`HTML_LIMIT`] (see [`fit`],
/// which also gives the edition as rendered).
pub fn render(edition: &Edition, ctx: &Context<'_>) -> Rendered {
    fit(edition, ctx).1
}

/// Renders all of `edition`, however long.
fn render_all(edition: &Edition, ctx: &Context<'_>) -> Rendered {
    let view = view(edition, ctx);
    Rendered {
        edition_id: edition.id.clone(),
        subject: view.subject.clone(),
        count: edition.len(),
        dropped: 0,
        html: postbode_templates::html(&view),
        text: postbode_templates::text(&view),
    }
}

/// The edition as the reader will read it: every text cleaned, dates in the
/// reader's language, only http(s) links.
pub fn view(edition: &Edition, ctx: &Context<'_>) -> View {
    let s = Strings::of(ctx.language);
    let site = clean(ctx.site_title).into_owned();
    let first_day = local_date(edition.window.since, ctx.timezone);
    let last_day = last_day(edition, ctx.timezone);
    let sections: Vec<SectionView> = edition
        .sections
        .iter()
        .filter(|sec| !sec.items.is_empty())
        .map(|sec| SectionView {
            heading: if sec.other {
                s.other.to_owned()
            } else {
                display_name(&clean(&sec.category))
            },
            more: (sec.more > 0).then(|| MoreView {
                text: s.more_line(
                    sec.more,
                    &if sec.other {
                        s.other.to_owned()
                    } else {
                        display_name(&clean(&sec.category))
                    },
                ),
                url: match (ctx.category_url, sec.other) {
                    (Some(pattern), false) => {
                        http(&pattern.replace("{category}", &path_segment(&sec.category)))
                    }
                    _ => http(&ctx.site_home),
                },
            }),
            items: sec
                .items
                .iter()
                .map(|p| {
                    let url = http(&p.url);
                    ItemView {
                        title: clean(&p.title).into_owned(),
                        domain: url.as_deref().and_then(domain),
                        url,
                        date: s.long_date(local_date(p.date, ctx.timezone)),
                        summary: clean(&p.summary).into_owned(),
                        image: p.image.as_deref().and_then(http),
                        also: p
                            .also
                            .iter()
                            .flatten()
                            .filter_map(|a| {
                                Some(AlsoView {
                                    url: http(&a.url)?,
                                    domain: domain(&a.url)?,
                                    title: clean(&a.title).into_owned(),
                                })
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect();
    let count = sections.iter().map(|sec| sec.items.len()).sum::<usize>();
    let count_line = if count == 0 {
        s.empty.to_owned()
    } else if edition.sections.iter().any(|sec| sec.more > 0) {
        // Posts were left out: say how many the window held.
        s.top_line(count, edition.posts_in_window)
    } else {
        s.count_line(count, sections.len())
    };
    let preheader = preheader(&count_line, &sections);
    let categories: Vec<String> = ctx
        .categories
        .iter()
        .map(|c| clean(c).into_owned())
        .filter(|c| !c.is_empty())
        .collect();
    View {
        s,
        subject: subject(ctx.subject, &site, edition, count, ctx.timezone, s),
        home: http(&ctx.site_home),
        period: s.period(first_day, last_day),
        count_line,
        preheader,
        reason: s.reason(&site, &categories),
        web_url: ctx
            .web_url
            .map(|u| u.replace("{id}", &edition.id))
            .as_deref()
            .and_then(http),
        sections,
        site,
        note: ctx.note.to_vec(),
        theme: ctx.theme.cloned().unwrap_or_default(),
        preferences: ctx.preferences,
    }
}

/// The subject from `digest.subject`: `{site}`, `{date}` (the last day of
/// the window), `{week}` (ISO week of the window's middle) and `{count}`
/// replaced; one line, no control characters, whatever the parts contain.
pub fn subject(
    template: &str,
    site: &str,
    edition: &Edition,
    count: usize,
    tz: Tz,
    s: &Strings,
) -> String {
    let w = &edition.window;
    let middle = w.since + (w.until - w.since) / 2;
    let week = local_date(middle, tz).iso_week().week();
    let text = template
        .replace("{site}", site)
        .replace("{date}", &s.date(last_day(edition, tz)))
        .replace("{week}", &week.to_string())
        .replace("{count}", &count.to_string());
    let text = clean(&text);
    if text.is_empty() {
        site.to_owned()
    } else {
        text.into_owned()
    }
}

fn local_date(t: DateTime<FixedOffset>, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The last day the window covers (`until` is not in it).
fn last_day(edition: &Edition, tz: Tz) -> NaiveDate {
    local_date(edition.window.until - Duration::nanoseconds(1), tz)
        .max(local_date(edition.window.since, tz))
}

/// The count line and the first titles, short enough for a preview line.
fn preheader(count_line: &str, sections: &[SectionView]) -> String {
    const MAX: usize = 140;
    let mut out = count_line.to_owned();
    for (i, item) in sections.iter().flat_map(|s| &s.items).enumerate() {
        let sep = if i == 0 { " " } else { " · " };
        if out.chars().count() + sep.len() + item.title.chars().count() > MAX {
            out.push_str(" …");
            break;
        }
        out.push_str(sep);
        out.push_str(&item.title);
    }
    out
}

/// Text as it may enter a template: no control characters (so no line
/// breaks in a title, and nothing that looks like a hole), whitespace
/// collapsed.
pub fn clean(s: &str) -> Cow<'_, str> {
    let tidy = !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.contains("  ")
        && !s
            .chars()
            .any(|c| c.is_control() || (c.is_whitespace() && c != ' '));
    if tidy {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(collapse_whitespace(s))
    }
}

/// A category as one URL path segment: unreserved characters as they are,
/// everything else percent-encoded.
fn path_segment(category: &str) -> String {
    let mut out = String::new();
    for b in category.trim().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `url` when it is an absolute http(s) URL.
pub fn http(url: &str) -> Option<String> {
    let url = url.trim();
    is_http_url(url).then(|| url.to_owned())
}

/// The host of an http(s) URL, lower case, without `www.`, port or user.
pub fn domain(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next()?
    } else {
        host.split(':').next()?
    };
    let host = host.to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(domain("https://www.NOS.nl/l/1").as_deref(), Some("nos.nl"));
        assert_eq!(
            domain("http://user@blog.example.org:8080?x").as_deref(),
            Some("blog.example.org")
        );
        assert_eq!(domain("javascript:alert(1)"), None);
    }

    #[test]
    fn only_http_urls() {
        assert_eq!(
            http(" https://a.example/x "),
            Some("https://a.example/x".into())
        );
        assert_eq!(http("javascript:alert(1)"), None);
        assert_eq!(http("/relative/path.html"), None);
        assert_eq!(http("data:image/png;base64,AAAA"), None);
    }

    #[test]
    fn subject_placeholders_and_header_safety() {
        let since = DateTime::parse_from_rfc3339("2026-11-16T00:00:00+01:00").unwrap();
        let until = DateTime::parse_from_rfc3339("2026-11-23T00:00:00+01:00").unwrap();
        let edition = Edition {
            id: "x".into(),
            window: crate::window::Window { since, until },
            sections: Vec::new(),
            posts_in_window: 0,
        };
        let tz: Tz = "Europe/Amsterdam".parse().unwrap();
        let s = Strings::of(Language::Nl);
        assert_eq!(
            subject(
                "{site} — week {week}, {count} berichten, {date}",
                "Leest Meer",
                &edition,
                7,
                tz,
                s
            ),
            "Leest Meer — week 47, 7 berichten, 22 november 2026"
        );
        let evil = subject("{site}\r\nBcc: x@example.org", "A\r\nB", &edition, 0, tz, s);
        assert_eq!(evil, "A B Bcc: x@example.org");
        assert_eq!(subject(" \r\n", "Site", &edition, 0, tz, s), "Site");
    }

    #[test]
    fn clean_removes_line_breaks_and_controls() {
        assert_eq!(clean("a\r\nBcc: x@y\u{1}u\u{1}"), "a Bcc: x@y u");
        assert!(matches!(clean("tidy text"), Cow::Borrowed(_)));
    }
}
