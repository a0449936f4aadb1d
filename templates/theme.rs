//! The operator's look for the digest: a light and a dark palette, fonts,
//! a logo, header and footer text, the postal address, and the inline
//! styles built from them once per render.
//!
//! Colours and fonts arrive validated (`#rrggbb` colours, font stacks
//! without CSS punctuation), so they can be written into `style`
//! attributes and the dark-mode `<style>` block as they are.

use super::style::{self as st};

/// The colours of one scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette {
    /// Around the column.
    pub page: String,
    /// The column, where the text sits.
    pub card: String,
    pub text: String,
    /// Secondary text: dates, the footer.
    pub muted: String,
    pub link: String,
    /// The site's name and section headings.
    pub accent: String,
    /// Lines between items.
    pub rule: String,
}

impl Palette {
    /// The compiled-in light look.
    pub fn light() -> Palette {
        Palette {
            page: st::PAGE_BG.into(),
            card: st::CARD_BG.into(),
            text: st::INK.into(),
            muted: st::MUTED.into(),
            link: st::LINK.into(),
            accent: st::ACCENT.into(),
            rule: st::RULE.into(),
        }
    }

    /// The compiled-in dark look, for readers whose client is in dark mode.
    pub fn dark() -> Palette {
        Palette {
            page: "#121212".into(),
            card: "#1e1e1e".into(),
            text: "#ecebe8".into(),
            muted: "#b8b3aa".into(),
            link: "#8cbcf0".into(),
            accent: "#f0958c".into(),
            rule: "#3a3833".into(),
        }
    }
}

/// The logo at the top of the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// An https URL.
    pub src: String,
    pub alt: String,
    /// Pixels, at most the column's inner width.
    pub width: u32,
}

/// Inline Markdown reduced to what a digest may carry: text, emphasis and
/// http(s)/mailto links. Everything else arrives here as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Emphasis(Vec<Inline>),
    Strong(Vec<Inline>),
    Link { url: String, content: Vec<Inline> },
}

/// A paragraph of [`Inline`]s.
pub type Paragraph = Vec<Inline>;

/// The plain text of inlines, with each link's URL after its text when the
/// two differ (`text <url>`), for the text part.
pub fn plain(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(t) => out.push_str(t),
            Inline::Emphasis(c) | Inline::Strong(c) => out.push_str(&plain(c)),
            Inline::Link { url, content } => {
                let text = plain(content);
                let bare = url.strip_prefix("mailto:").unwrap_or(url);
                if text.trim() == bare || text.trim() == url {
                    out.push_str(&text);
                } else {
                    out.push_str(&format!("{text} <{bare}>"));
                }
            }
        }
    }
    out
}

/// Everything the operator can set about the digest's look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub light: Palette,
    pub dark: Palette,
    /// The body's font stack.
    pub font: String,
    /// Headings' font stack.
    pub heading_font: String,
    pub logo: Option<Logo>,
    /// A line under the site's name.
    pub header: Option<String>,
    /// The operator's footer text.
    pub footer: Vec<Paragraph>,
    /// The sender's postal address, one line.
    pub address: Option<String>,
}

impl Default for Theme {
    fn default() -> Theme {
        Theme {
            light: Palette::light(),
            dark: Palette::dark(),
            font: st::SANS.into(),
            heading_font: st::SERIF.into(),
            logo: None,
            header: None,
            footer: Vec::new(),
            address: None,
        }
    }
}

/// Class names the dark-mode block recolours; inline styles carry the
/// light look, which every client shows when it ignores the block.
pub mod class {
    pub const PAGE: &str = "pb-page";
    pub const CARD: &str = "pb-card";
    pub const TEXT: &str = "pb-text";
    pub const MUTED: &str = "pb-muted";
    pub const LINK: &str = "pb-link";
    pub const ACCENT: &str = "pb-accent";
    pub const RULE: &str = "pb-rule";
}

/// The inline styles of one render, from a [`Theme`].
#[derive(Debug, Clone)]
pub struct Styles {
    pub wrapper: String,
    pub card: String,
    pub header_cell: String,
    pub site_name: String,
    pub site_link: String,
    pub tagline: String,
    pub logo: String,
    pub period: String,
    pub count: String,
    pub greeting_cell: String,
    pub note_cell: String,
    pub note_link: String,
    pub section_rule_cell: String,
    pub section_heading: String,
    pub item_cell: String,
    pub title: String,
    pub title_link: String,
    pub meta: String,
    pub also: String,
    pub also_link: String,
    pub more_cell: String,
    pub more_link: String,
    pub footer_cell: String,
    pub footer_link: String,
}

impl Styles {
    pub fn new(t: &Theme) -> Styles {
        let p = &t.light;
        let (sans, serif) = (&t.font, &t.heading_font);
        let lh = "mso-line-height-rule:exactly;";
        Styles {
            wrapper: format!("margin:0;padding:0;background-color:{};", p.page),
            card: format!("background-color:{};", p.card),
            header_cell: format!(
                "padding:32px 24px 8px 24px;font-family:{sans};color:{};text-align:left;",
                p.text
            ),
            site_name: format!(
                "margin:0 0 12px 0;font-family:{sans};font-size:13px;line-height:18px;{lh}font-weight:bold;letter-spacing:2px;text-transform:uppercase;color:{};",
                p.accent
            ),
            site_link: format!("color:{};text-decoration:none;", p.accent),
            tagline: format!(
                "margin:-4px 0 12px 0;font-family:{sans};font-size:14px;line-height:20px;{lh}color:{};",
                p.muted
            ),
            logo: "display:block;height:auto;margin:0 0 16px 0;border:0;".into(),
            period: format!(
                "margin:0;font-family:{serif};font-size:28px;line-height:34px;{lh}font-weight:normal;color:{};",
                p.text
            ),
            count: format!(
                "margin:8px 0 0 0;font-family:{sans};font-size:15px;line-height:22px;{lh}color:{};",
                p.muted
            ),
            greeting_cell: format!(
                "padding:16px 24px 0 24px;font-family:{sans};font-size:16px;line-height:24px;{lh}color:{};text-align:left;",
                p.text
            ),
            note_cell: format!(
                "padding:16px 24px 0 24px;font-family:{sans};font-size:16px;line-height:24px;{lh}color:{};text-align:left;",
                p.text
            ),
            note_link: format!("color:{};text-decoration:underline;", p.link),
            section_rule_cell: format!("padding:0 0 6px 0;border-bottom:2px solid {};", p.accent),
            section_heading: format!(
                "margin:0;font-family:{sans};font-size:13px;line-height:18px;{lh}font-weight:bold;letter-spacing:1.5px;text-transform:uppercase;color:{};",
                p.accent
            ),
            item_cell: format!(
                "padding:16px 24px 16px 24px;border-bottom:1px solid {};font-family:{sans};color:{};text-align:left;",
                p.rule, p.text
            ),
            title: format!(
                "margin:0;font-family:{serif};font-size:20px;line-height:26px;{lh}font-weight:bold;"
            ),
            title_link: format!("color:{};text-decoration:none;", p.link),
            meta: format!(
                "margin:4px 0 0 0;font-size:13px;line-height:18px;{lh}color:{};",
                p.muted
            ),
            also: format!(
                "margin:8px 0 0 0;font-size:13px;line-height:18px;{lh}color:{};",
                p.muted
            ),
            also_link: format!("color:{};text-decoration:underline;", p.link),
            more_cell: format!(
                "padding:12px 24px 16px 24px;font-family:{sans};font-size:14px;line-height:20px;{lh}text-align:left;"
            ),
            more_link: format!("color:{};text-decoration:underline;", p.link),
            footer_cell: format!(
                "padding:24px 24px 40px 24px;font-family:{sans};font-size:13px;line-height:20px;{lh}color:{};text-align:center;",
                p.muted
            ),
            footer_link: format!("color:{};text-decoration:underline;", p.muted),
        }
    }
}

/// The `<style>` block for clients that honour `prefers-color-scheme`
/// (Apple Mail, Outlook for Mac, iOS and Android). Clients that ignore the
/// block keep the inline light look, or recolour it by their own rules
/// (Outlook.com, Outlook for Windows), which the inline colours' contrast
/// keeps readable.
pub fn dark_css(t: &Theme) -> String {
    use class::*;
    let d = &t.dark;
    let rules = format!(
        ".{PAGE}{{background-color:{page} !important;}}\
         .{CARD}{{background-color:{card} !important;}}\
         .{TEXT}{{color:{text} !important;}}\
         .{MUTED}{{color:{muted} !important;}}\
         .{LINK}{{color:{link} !important;}}\
         .{ACCENT}{{color:{accent} !important;border-color:{accent} !important;}}\
         .{RULE}{{border-color:{rule} !important;}}",
        page = d.page,
        card = d.card,
        text = d.text,
        muted = d.muted,
        link = d.link,
        accent = d.accent,
        rule = d.rule,
    );
    format!(
        ":root{{color-scheme:light dark;supported-color-schemes:light dark;}}\
         @media (prefers-color-scheme:dark){{{rules}}}"
    )
}
