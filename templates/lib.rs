//! The digest's and the pages' look: maud components, styles and the
//! strings in Dutch and English.
//!
//! The templates render a [`View`]: the edition as the reader will read it,
//! already made safe by the caller (no control characters in any text, only
//! http(s) links). Both the HTML and the plain-text template render the same
//! view, so the text part says what the HTML says. The parts that differ per
//! reader are holes ([`HOLE_NAME`], [`HOLE_UNSUBSCRIBE`]) that mail fills in.
//! HTML is escaped by maud.

pub mod archive;
pub mod digest;
pub mod legal;
pub mod pages;
pub mod plain;
pub mod preferences;
pub mod rich;
pub mod strings;
pub mod style;
pub mod theme;
pub mod view;

pub use theme::{Inline, Logo, Palette, Paragraph, Theme};
pub use view::{AlsoView, ItemView, MoreView, SectionView, View};

/// The reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Nl,
    En,
}

/// Holes in a rendered body: the greeting's name and the unsubscribe link.
/// Control characters never survive the caller's cleaning, so post text
/// cannot contain them.
pub const HOLE_NAME: &str = "\u{1}n\u{1}";
pub const HOLE_UNSUBSCRIBE: &str = "\u{1}u\u{1}";
/// The reader's preference page (when `serve` answers beside the
/// unsubscribe link).
pub const HOLE_PREFERENCES: &str = "\u{1}p\u{1}";

/// The digest's HTML part, with holes.
pub fn html(view: &View) -> String {
    digest::render(view)
}

/// The digest's plain-text part, with holes.
pub fn text(view: &View) -> String {
    plain::render(view)
}
