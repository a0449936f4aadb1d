//! The web archive's pages: one edition as a web page, and the index of
//! editions. They show what the digest shows, for everyone: no greeting, no
//! unsubscribe link, nothing of any reader. Standalone pages carry their own
//! styles (the theme's colours, and its dark variant for browsers in dark
//! mode); pages inside a site's layout carry only markup, and take the
//! site's look.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::rich;
use super::theme::{Palette, Theme};
use super::view::{SectionView, View};
use crate::Language;

/// Words the archive pages need.
pub struct ArchiveStrings {
    pub title: &'static str,
    pub feed: &'static str,
    pub none: &'static str,
    pub back: &'static str,
}

impl ArchiveStrings {
    pub fn of(language: Language) -> &'static ArchiveStrings {
        match language {
            Language::Nl => &ArchiveStrings {
                title: "Archief",
                feed: "Atom-feed",
                none: "Er zijn nog geen edities.",
                back: "Alle edities",
            },
            Language::En => &ArchiveStrings {
                title: "Archive",
                feed: "Atom feed",
                none: "No editions yet.",
                back: "All editions",
            },
        }
    }
}

/// One line of the index.
#[derive(Debug, Clone)]
pub struct IndexEntry {
    /// Relative to the index: `<id>.html`.
    pub href: String,
    pub period: String,
    pub count_line: String,
}

/// An edition's page body: header, note, sections, the operator's footer.
pub fn edition_body(v: &View, index_href: &str) -> Markup {
    let a = ArchiveStrings::of(language(v));
    html! {
        article class="postbode-edition" {
            header {
                @if let Some(logo) = &v.theme.logo {
                    img class="logo" src=(logo.src) alt=(logo.alt) width=(logo.width);
                }
                p class="site" {
                    @if let Some(home) = &v.home { a href=(home) { (v.site) } } @else { (v.site) }
                }
                @if let Some(tagline) = &v.theme.header { p class="tagline" { (tagline) } }
                h1 { (v.period) }
                p class="count" { (v.count_line) }
            }
            @if !v.note.is_empty() {
                section class="note" {
                    @for p in &v.note { p { (rich::inlines(p, "")) } }
                }
            }
            @for section in &v.sections { (section_body(v, section)) }
            footer {
                p { a href=(index_href) { (a.back) } }
                @for p in &v.theme.footer { p { (rich::inlines(p, "")) } }
                @if let Some(address) = &v.theme.address { p { (address) } }
            }
        }
    }
}

fn section_body(v: &View, section: &SectionView) -> Markup {
    html! {
        section {
            h2 { (section.heading) }
            @for item in &section.items {
                div class="item" {
                    @if let Some(src) = &item.image {
                        img src=(src) alt=(item.title);
                    }
                    h3 {
                        @if let Some(url) = &item.url { a href=(url) { (item.title) } } @else { (item.title) }
                    }
                    p class="meta" {
                        @if let Some(domain) = &item.domain { (v.s.via) " " (domain) " · " }
                        (item.date)
                    }
                    @if !item.summary.is_empty() { p { (item.summary) } }
                    @if !item.also.is_empty() {
                        p class="meta" {
                            (v.s.also) ": "
                            @for (i, a) in item.also.iter().enumerate() {
                                @if i > 0 { ", " }
                                a href=(a.url) title=(a.title) { (a.domain) }
                            }
                        }
                    }
                }
            }
            @if let Some(more) = &section.more {
                p class="more" {
                    @if let Some(url) = &more.url { a href=(url) { (more.text) } } @else { (more.text) }
                }
            }
        }
    }
}

/// The index's body: editions newest first, and the feed.
pub fn index_body(
    site: &str,
    home: Option<&str>,
    language: Language,
    entries: &[IndexEntry],
    feed_href: &str,
) -> Markup {
    let a = ArchiveStrings::of(language);
    html! {
        article class="postbode-archive" {
            header {
                p class="site" {
                    @if let Some(home) = home { a href=(home) { (site) } } @else { (site) }
                }
                h1 { (a.title) }
            }
            @if entries.is_empty() {
                p { (a.none) }
            } @else {
                ul {
                    @for e in entries {
                        li { a href=(e.href) { (e.period) } " — " (e.count_line) }
                    }
                }
            }
            p class="meta" { a href=(feed_href) type="application/atom+xml" { (a.feed) } }
        }
    }
}

/// A standalone page around `body`, in the theme's colours.
pub fn standalone(
    title: &str,
    language: Language,
    theme: &Theme,
    feed_href: &str,
    body: Markup,
) -> String {
    let lang = match language {
        Language::Nl => "nl",
        Language::En => "en",
    };
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) }
                link rel="alternate" type="application/atom+xml" href=(feed_href);
                style { (PreEscaped(css(theme))) }
            }
            body { main { (body) } }
        }
    }
    .into_string()
}

fn language(v: &View) -> Language {
    if v.s.lang == "en" {
        Language::En
    } else {
        Language::Nl
    }
}

fn palette_css(p: &Palette) -> String {
    format!(
        "body{{background-color:{page};color:{text};}}main{{background-color:{card};}}\
         a{{color:{link};}}.site,.site a,h2{{color:{accent};}}h2{{border-bottom-color:{accent};}}\
         .meta,.count,.tagline,footer{{color:{muted};}}.item{{border-bottom-color:{rule};}}",
        page = p.page,
        text = p.text,
        card = p.card,
        link = p.link,
        accent = p.accent,
        muted = p.muted,
        rule = p.rule,
    )
}

/// The page's stylesheet: the digest's layout as a web page.
fn css(t: &Theme) -> String {
    format!(
        "html{{-webkit-text-size-adjust:100%;text-size-adjust:100%;}}\
         body{{margin:0;font-family:{font};font-size:16px;line-height:1.5;}}\
         main{{box-sizing:border-box;max-width:640px;margin:0 auto;padding:32px 24px 40px 24px;}}\
         @media (min-width:700px){{body{{padding:40px 0;}}}}\
         .logo{{display:block;max-width:100%;height:auto;margin:0 0 16px 0;}}\
         .site{{margin:0 0 8px 0;font-size:13px;font-weight:bold;letter-spacing:2px;text-transform:uppercase;}}\
         .site a{{text-decoration:none;}}\
         h1{{margin:0;font-family:{heading};font-size:28px;line-height:1.2;font-weight:normal;}}\
         h2{{margin:32px 0 0 0;padding:0 0 6px 0;border-bottom:2px solid;font-size:13px;letter-spacing:1.5px;text-transform:uppercase;}}\
         h3{{margin:0;font-family:{heading};font-size:20px;line-height:1.3;}}h3 a{{text-decoration:none;}}\
         .item{{padding:16px 0;border-bottom:1px solid;}}.item img{{display:block;width:100%;height:auto;margin:0 0 12px 0;}}\
         .item p{{margin:8px 0 0 0;overflow-wrap:anywhere;}}.meta{{font-size:13px;}}\
         .note p,.count{{margin:12px 0 0 0;}}footer{{margin:32px 0 0 0;font-size:13px;text-align:center;}}\
         ul{{padding:0 0 0 20px;}}li{{margin:0 0 8px 0;}}\
         {light}@media (prefers-color-scheme:dark){{{dark}}}",
        font = t.font,
        heading = t.heading_font,
        light = palette_css(&t.light),
        dark = palette_css(&t.dark),
    )
}
