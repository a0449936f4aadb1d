//! The HTML body, rendered with maud: e-mail HTML, not web HTML (see
//! [`super::style`] for what that rules out and why).
//!
//! Elements that hold a hole sit on lines of their own, so that a body can be
//! encoded once and only those lines per recipient ([`super::Body`]).

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::style as st;
use super::theme::{class, dark_css, Styles};
use super::view::{ItemView, SectionView, View};
use super::{legal, rich};
use super::{HOLE_NAME, HOLE_PREFERENCES, HOLE_UNSUBSCRIBE};

const NL: PreEscaped<&str> = PreEscaped("\n");

/// Zero-width characters after the preheader, so that inbox lists do not
/// fill the preview line with the start of the body.
const PREHEADER_FILL: &str = "&#847;&zwnj;&nbsp;";

/// The whole HTML document.
pub fn render(v: &View) -> String {
    let s = &Styles::new(&v.theme);
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
            // Both schemes, said so: clients that honour the dark-mode
            // block below use its colours, others keep the inline ones.
            meta name="color-scheme" content="light dark"; (NL)
            meta name="supported-color-schemes" content="light dark"; (NL)
            style { (PreEscaped(dark_css(&v.theme))) } (NL)
            title { (v.subject) } (NL)
            // Outlook for Windows scales images at high DPI unless told 96.
            (PreEscaped("<!--[if mso]><xml><o:OfficeDocumentSettings><o:AllowPNG/><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml><![endif]-->"))
            (NL)
        }
        (NL)
        // No `<body>` start tag (HTML allows leaving it out): Outlook's
        // apps drop the element, so this `<div>` carries `lang` and the
        // background, and Gmail keeps it.
        div lang=(v.s.lang) style=(s.wrapper) class=(class::PAGE) {
            (NL)
            div style=(st::PREHEADER) {
                (v.preheader)
                @for _ in 0..40 { (PreEscaped(PREHEADER_FILL)) }
            }
            (NL)
            table width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor=(v.theme.light.page) style=(st::TABLE) class=(class::PAGE) {
                tr { td align="center" {
                    (NL)
                    (PreEscaped(r#"<!--[if mso]><table width="600" align="center" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->"#))
                    (NL)
                    div style=(st::COLUMN) {
                        (NL)
                        table width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor=(v.theme.light.card) style={ (st::TABLE) (s.card) } class=(class::CARD) {
                            (NL)
                            (header(v, s))
                            @if v.is_empty() {
                                (NL)
                            } @else {
                                (greeting(v, s))
                            }
                            (note(v, s))
                            @for section in &v.sections {
                                (section_rows(v, s, section))
                            }
                        }
                        (NL)
                        (footer(v, s))
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

fn header(v: &View, s: &Styles) -> Markup {
    html! {
        tr { td style=(s.header_cell) class=(class::TEXT) {
            (NL)
            @if let Some(logo) = &v.theme.logo {
                @if let Some(home) = &v.home {
                    a href=(home) { (logo_img(logo, s)) }
                } @else {
                    (logo_img(logo, s))
                }
                (NL)
            }
            p style=(s.site_name) class=(class::ACCENT) {
                @if let Some(home) = &v.home {
                    a href=(home) style=(s.site_link) class=(class::ACCENT) { (v.site) }
                } @else {
                    (v.site)
                }
            }
            (NL)
            @if let Some(tagline) = &v.theme.header {
                p style=(s.tagline) class=(class::MUTED) { (tagline) }
                (NL)
            }
            h1 style=(s.period) class=(class::TEXT) { (v.period) }
            (NL)
            p style=(s.count) class=(class::MUTED) { (v.count_line) }
            (NL)
        } }
        (NL)
    }
}

fn logo_img(logo: &crate::theme::Logo, s: &Styles) -> Markup {
    html! {
        img src=(logo.src) alt=(logo.alt) width=(logo.width) border="0" style=(s.logo);
    }
}

fn greeting(v: &View, s: &Styles) -> Markup {
    html! {
        tr { td style=(s.greeting_cell) class=(class::TEXT) {
            p style=(st::PARAGRAPH) {
                // The name is a hole: a line of its own.
                (NL) (v.s.hello) (PreEscaped(HOLE_NAME)) "," (NL)
            }
        } }
        (NL)
    }
}

/// The editor's note, between the greeting and the first section.
fn note(v: &View, s: &Styles) -> Markup {
    html! {
        @if !v.note.is_empty() {
            tr { td style=(s.note_cell) class=(class::TEXT) {
                (rich::paragraphs(&v.note, st::NOTE_P, class::TEXT, &s.note_link))
            } }
            (NL)
        }
    }
}

fn section_rows(v: &View, s: &Styles, section: &SectionView) -> Markup {
    html! {
        tr { td style=(st::SECTION_CELL) {
            table width="100%" cellpadding="0" cellspacing="0" border="0" style=(st::TABLE) {
                tr { td style=(s.section_rule_cell) class=(class::ACCENT) {
                    h2 style=(s.section_heading) class=(class::ACCENT) { (section.heading) }
                } }
            }
        } }
        (NL)
        @for item in &section.items {
            (item_row(v, s, item))
        }
        @if let Some(more) = &section.more {
            tr { td style=(s.more_cell) class=(class::TEXT) {
                @if let Some(url) = &more.url {
                    a href=(url) style=(s.more_link) class=(class::LINK) { (more.text) }
                } @else {
                    (more.text)
                }
            } }
            (NL)
        }
    }
}

fn item_row(v: &View, s: &Styles, item: &ItemView) -> Markup {
    html! {
        tr { td style=(s.item_cell) class={ (class::TEXT) " " (class::RULE) } {
            (NL)
            @if let Some(src) = &item.image {
                @if let Some(url) = &item.url {
                    a href=(url) { (image(src, &item.title)) }
                } @else {
                    (image(src, &item.title))
                }
                (NL)
            }
            h3 style=(s.title) {
                @if let Some(url) = &item.url {
                    a href=(url) style=(s.title_link) class=(class::LINK) { (item.title) }
                } @else {
                    (item.title)
                }
            }
            (NL)
            p style=(s.meta) class=(class::MUTED) {
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
                p style=(s.also) class=(class::MUTED) {
                    (v.s.also) ": "
                    @for (i, a) in item.also.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href=(a.url) title=(a.title) style=(s.also_link) class=(class::LINK) { (a.domain) }
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

fn footer(v: &View, s: &Styles) -> Markup {
    html! {
        table width="100%" cellpadding="0" cellspacing="0" border="0" style=(st::TABLE) {
            tr { td style=(s.footer_cell) class=(class::MUTED) {
                (NL)
                p style=(st::FOOTER_P) { (v.reason) }
                (NL)
                p style=(st::FOOTER_P) {
                    // The unsubscribe link is a hole: a line of its own.
                    (NL)
                    a href=(PreEscaped(HOLE_UNSUBSCRIBE)) style=(s.footer_link) class=(class::MUTED) { (v.s.unsubscribe) }
                    (NL)
                    @if v.preferences {
                        " · "
                        (NL)
                        a href=(PreEscaped(HOLE_PREFERENCES)) style=(s.footer_link) class=(class::MUTED) { (v.s.preferences) }
                        (NL)
                    }
                    @if let Some(web) = &v.web_url {
                        " · "
                        a href=(web) style=(s.footer_link) class=(class::MUTED) { (v.s.view_online) }
                        (NL)
                    }
                }
                (NL)
                (legal::html(v, s))
                (NL)
            } }
        }
    }
}
