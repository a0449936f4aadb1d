//! The HTML body, rendered with maud: e-mail HTML, not web HTML (see
//! [`super::style`] for what that rules out and why).
//!
//! Elements that hold a hole sit on lines of their own, so that a body can be
//! encoded once and only those lines per recipient ([`super::Body`]).

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::style as st;
use super::view::{ItemView, SectionView, View};
use super::{HOLE_NAME, HOLE_UNSUBSCRIBE};

const NL: PreEscaped<&str> = PreEscaped("\n");

/// Zero-width characters after the preheader, so that inbox lists do not
/// fill the preview line with the start of the body.
const PREHEADER_FILL: &str = "&#847;&zwnj;&nbsp;";

/// The whole HTML document.
pub fn render(v: &View) -> String {
    let markup = html! {
        (DOCTYPE) (NL)
        // `xmlns:o` lets Outlook for Windows read its settings below; maud
        // cannot spell the prefixed attribute, so the tag is written out.
        (PreEscaped(r#"<html lang=""#)) (v.s.lang)
        (PreEscaped(r#"" xmlns="http://www.w3.org/1999/xhtml" xmlns:o="urn:schemas-microsoft-com:office:office">"#))
        (NL)
        head {
            (NL)
            meta charset="utf-8"; (NL)
            meta name="viewport" content="width=device-width, initial-scale=1"; (NL)
            // Apple Mail would otherwise scale the column down on phones.
            meta name="x-apple-disable-message-reformatting"; (NL)
            meta name="format-detection" content="telephone=no, date=no, address=no, email=no, url=no"; (NL)
            // A light design, said so: clients that would invert colours
            // in dark mode leave it as it is.
            meta name="color-scheme" content="light"; (NL)
            meta name="supported-color-schemes" content="light"; (NL)
            title { (v.subject) } (NL)
            // Outlook for Windows scales images at high DPI unless told 96.
            (PreEscaped("<!--[if mso]><xml><o:OfficeDocumentSettings><o:AllowPNG/><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml><![endif]-->"))
            (NL)
        }
        (NL)
        // No `<body>` start tag (HTML allows leaving it out): Outlook's
        // apps drop the element, so this `<div>` carries `lang` and the
        // background, and Gmail keeps it.
        div lang=(v.s.lang) style=(st::WRAPPER) {
            (NL)
            div style=(st::PREHEADER) {
                (v.preheader)
                @for _ in 0..40 { (PreEscaped(PREHEADER_FILL)) }
            }
            (NL)
            table width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor=(st::PAGE_BG) style=(st::TABLE) {
                tr { td align="center" {
                    (NL)
                    (PreEscaped(r#"<!--[if mso]><table width="600" align="center" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->"#))
                    (NL)
                    div style=(st::COLUMN) {
                        (NL)
                        table width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor=(st::CARD_BG) style={ (st::TABLE) (st::CARD) } {
                            (NL)
                            (header(v))
                            @if v.is_empty() {
                                (NL)
                            } @else {
                                (greeting(v))
                                @for section in &v.sections {
                                    (section_rows(v, section))
                                }
                            }
                        }
                        (NL)
                        (footer(v))
                    }
                    (NL)
                    (PreEscaped("<!--[if mso]></td></tr></table><![endif]-->"))
                    (NL)
                } }
            }
            (NL)
        }
        (NL)
        (PreEscaped("</html>"))
        (NL)
    };
    markup.into_string()
}

fn header(v: &View) -> Markup {
    html! {
        tr { td style=(st::HEADER_CELL) {
            (NL)
            p style=(st::SITE_NAME) {
                @if let Some(home) = &v.home {
                    a href=(home) style=(st::SITE_LINK) { (v.site) }
                } @else {
                    (v.site)
                }
            }
            (NL)
            h1 style=(st::PERIOD) { (v.period) }
            (NL)
            p style=(st::COUNT) { (v.count_line) }
            (NL)
        } }
        (NL)
    }
}

fn greeting(v: &View) -> Markup {
    html! {
        tr { td style=(st::GREETING_CELL) {
            p style=(st::PARAGRAPH) {
                // The name is a hole: a line of its own.
                (NL) (v.s.hello) (PreEscaped(HOLE_NAME)) "," (NL)
            }
        } }
        (NL)
    }
}

fn section_rows(v: &View, section: &SectionView) -> Markup {
    html! {
        tr { td style=(st::SECTION_CELL) {
            table width="100%" cellpadding="0" cellspacing="0" border="0" style=(st::TABLE) {
                tr { td style=(st::SECTION_RULE_CELL) {
                    h2 style=(st::SECTION_HEADING) { (section.heading) }
                } }
            }
        } }
        (NL)
        @for item in &section.items {
            (item_row(v, item))
        }
        @if let Some(more) = &section.more {
            tr { td style=(st::MORE_CELL) {
                @if let Some(url) = &more.url {
                    a href=(url) style=(st::MORE_LINK) { (more.text) }
                } @else {
                    (more.text)
                }
            } }
            (NL)
        }
    }
}

fn item_row(v: &View, item: &ItemView) -> Markup {
    html! {
        tr { td style=(st::ITEM_CELL) {
            (NL)
            @if let Some(src) = &item.image {
                @if let Some(url) = &item.url {
                    a href=(url) { (image(src, &item.title)) }
                } @else {
                    (image(src, &item.title))
                }
                (NL)
            }
            h3 style=(st::TITLE) {
                @if let Some(url) = &item.url {
                    a href=(url) style=(st::TITLE_LINK) { (item.title) }
                } @else {
                    (item.title)
                }
            }
            (NL)
            p style=(st::META) {
                @if let Some(domain) = &item.domain {
                    (v.s.via) " " (domain) " · "
                }
                (item.date)
            }
            (NL)
            @if !item.summary.is_empty() {
                p style=(st::SUMMARY) { (item.summary) }
                (NL)
            }
            @if !item.also.is_empty() {
                p style=(st::ALSO) {
                    (v.s.also) ": "
                    @for (i, a) in item.also.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href=(a.url) title=(a.title) style=(st::ALSO_LINK) { (a.domain) }
                    }
                }
                (NL)
            }
        } }
        (NL)
    }
}

/// A full-width image of unknown height: the `width` attribute keeps
/// Outlook for Windows at the column's width, `height:auto` keeps the ratio.
fn image(src: &str, alt: &str) -> Markup {
    html! {
        img src=(src) alt=(alt) width=(st::INNER) border="0" style=(st::IMAGE);
    }
}

fn footer(v: &View) -> Markup {
    html! {
        table width="100%" cellpadding="0" cellspacing="0" border="0" style=(st::TABLE) {
            tr { td style=(st::FOOTER_CELL) {
                (NL)
                p style=(st::FOOTER_P) { (v.reason) }
                (NL)
                p style=(st::FOOTER_P) {
                    // The unsubscribe link is a hole: a line of its own.
                    (NL)
                    a href=(PreEscaped(HOLE_UNSUBSCRIBE)) style=(st::FOOTER_LINK) { (v.s.unsubscribe) }
                    (NL)
                    @if let Some(web) = &v.web_url {
                        " · "
                        a href=(web) style=(st::FOOTER_LINK) { (v.s.view_online) }
                        (NL)
                    }
                }
                (NL)
            } }
        }
    }
}
