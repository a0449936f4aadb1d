//! The edition as the reader will read it, before any markup: clean text,
//! dates in the reader's language, only http(s) links (the caller builds it
//! so). The HTML and the plain-text templates both render this, so they
//! always say the same.

use super::strings::Strings;
use super::theme::{Paragraph, Theme};

/// What the templates show.
#[derive(Debug)]
pub struct View {
    pub s: &'static Strings,
    pub site: String,
    /// The site's home page, when it is an http(s) URL.
    pub home: Option<String>,
    pub subject: String,
    /// `16 t/m 22 november 2026`.
    pub period: String,
    /// `7 nieuwe berichten in 3 rubrieken.`
    pub count_line: String,
    /// The line mail clients show next to the subject.
    pub preheader: String,
    pub sections: Vec<SectionView>,
    pub reason: String,
    pub web_url: Option<String>,
    /// The editor's note for this edition, above the first section.
    pub note: Vec<Paragraph>,
    /// The operator's look, footer text and postal address.
    pub theme: Theme,
    /// A link to the reader's preference page sits beside the unsubscribe link.
    pub preferences: bool,
}

#[derive(Debug)]
pub struct SectionView {
    pub heading: String,
    pub items: Vec<ItemView>,
    /// `en nog 312 berichten in Sport`, when the section left posts out.
    pub more: Option<MoreView>,
}

/// The line that says how many posts a section left out, and where they are.
#[derive(Debug)]
pub struct MoreView {
    pub text: String,
    pub url: Option<String>,
}

/// Another outlet's report of an item's story.
#[derive(Debug)]
pub struct AlsoView {
    /// The outlet's domain: the link's text.
    pub domain: String,
    /// The report's title: the link's hover text.
    pub title: String,
    pub url: String,
}

#[derive(Debug)]
pub struct ItemView {
    pub title: String,
    /// The link, when it is an http(s) URL.
    pub url: Option<String>,
    /// The link's domain without `www.`: "via nos.nl".
    pub domain: Option<String>,
    /// `maandag 16 november 2026`.
    pub date: String,
    pub summary: String,
    /// The image, when it is an http(s) URL.
    pub image: Option<String>,
    /// Up to three other outlets' reports of the story.
    pub also: Vec<AlsoView>,
}

impl View {
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }
}
