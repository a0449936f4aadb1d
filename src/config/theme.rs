//! `[theme]`, `sender.address` and `[archive]` checked beyond their types:
//! the footer's Markdown, the logo's size, and the contrast `check` warns
//! about.

use postbode_templates::style;

use super::{Colour, Config, ThemeConfig};
use crate::markdown;

/// WCAG AA for body text.
pub const MIN_CONTRAST: f64 = 4.5;

/// The widest logo: the column's width inside its padding.
pub const MAX_LOGO_WIDTH: u32 = style::INNER;

impl Config {
    pub(super) fn validate_theme(&self) -> Result<(), String> {
        let t = &self.theme;
        if let Some(width) = t.logo_width {
            super::bounded("theme.logo_width", width, 16, i64::from(MAX_LOGO_WIDTH))?;
        }
        if t.logo.is_none() && (t.logo_alt.is_some() || t.logo_width.is_some()) {
            return Err("`theme.logo_alt` and `theme.logo_width` need `theme.logo`".into());
        }
        if let Some(footer) = &t.footer {
            let reduced = markdown::reduce(footer);
            if reduced.raw_html {
                return Err(
                    "`theme.footer` holds raw HTML: write Markdown (text, *emphasis*, [links](https://…)); HTML is not allowed in a digest's footer"
                        .into(),
                );
            }
            if let Some(url) = reduced.dropped_links.first() {
                return Err(format!(
                    "`theme.footer` links to `{url}`: only http(s) and mailto links are allowed"
                ));
            }
        }
        for (key, value) in [
            ("theme.header", &t.header),
            ("theme.logo_alt", &t.logo_alt),
            ("sender.address", &self.sender.address),
        ] {
            if let Some(v) = value {
                if v.chars().any(|c| c.is_control() && c != '\n') {
                    return Err(format!("`{key}` holds control characters"));
                }
            }
        }
        if let Some(archive) = &self.archive {
            if let Some(layout) = &archive.layout {
                let ok = !layout.is_empty()
                    && layout
                        .chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
                if !ok {
                    return Err(format!(
                        "`archive.layout` must be a layout's name such as `default`, not `{layout}`"
                    ));
                }
            }
        }
        Ok(())
    }

    /// What `check` says about the theme: colour pairs below WCAG AA.
    pub fn theme_warnings(&self) -> Vec<String> {
        let t = &self.theme;
        let background = t
            .background
            .unwrap_or_else(|| default_colour(style::CARD_BG));
        let mut out = Vec::new();
        for (key, colour, default) in [
            ("theme.text", t.text, style::INK),
            ("theme.accent", t.accent, style::ACCENT),
        ] {
            if colour.is_none() && t.background.is_none() {
                continue;
            }
            let colour = colour.unwrap_or_else(|| default_colour(default));
            let ratio = colour.contrast(background);
            if ratio < MIN_CONTRAST {
                out.push(format!(
                    "`{key}` `{colour}` on `theme.background` `{background}` has a contrast of {ratio:.1}:1, below the {MIN_CONTRAST}:1 that WCAG AA asks for body text"
                ));
            }
        }
        out
    }
}

impl ThemeConfig {
    /// True when any key is set.
    pub fn is_set(&self) -> bool {
        self.accent.is_some()
            || self.background.is_some()
            || self.text.is_some()
            || self.logo.is_some()
            || self.font.is_some()
            || self.header.is_some()
            || self.footer.is_some()
    }
}

/// One of the templates' own colours, which always parse.
pub fn default_colour(hex: &str) -> Colour {
    Colour::parse(hex).unwrap_or(Colour([0, 0, 0]))
}
