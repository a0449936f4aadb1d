//! `[theme]` and `sender.address` into the templates' [`Theme`]: the
//! operator's colours with the ones they did not set derived from them, so
//! that secondary text, links and rules stay readable on their background,
//! and a dark variant for clients in dark mode.

use postbode_templates::{Logo, Palette, Theme};

use crate::config::theme::{default_colour, MIN_CONTRAST};
use crate::config::{Colour, Config, ThemeConfig};
use crate::markdown;

use super::clean;

/// The digest's look for `config`; the compiled-in look when nothing is set.
pub fn theme(config: &Config) -> Theme {
    let t = &config.theme;
    let mut theme = Theme {
        light: light(t),
        ..Theme::default()
    };
    theme.dark = dark(t, &theme.light);
    if let Some(font) = &t.font {
        theme.font = font.0.clone();
        theme.heading_font = font.0.clone();
    }
    theme.logo = t.logo.as_ref().map(|src| Logo {
        src: src.0.clone(),
        alt: clean(t.logo_alt.as_deref().unwrap_or("")).into_owned(),
        width: t.logo_width.unwrap_or(200),
    });
    theme.header = t
        .header
        .as_deref()
        .map(|h| clean(h).into_owned())
        .filter(|h| !h.is_empty());
    theme.footer = t
        .footer
        .as_deref()
        .map(|f| markdown::reduce(f).paragraphs)
        .unwrap_or_default();
    theme.address = config
        .sender
        .address
        .as_deref()
        .map(|a| clean(&a.replace('\n', ", ")).into_owned())
        .filter(|a| !a.is_empty());
    theme
}

fn light(t: &ThemeConfig) -> Palette {
    let base = Palette::light();
    if t.accent.is_none() && t.background.is_none() && t.text.is_none() {
        return base;
    }
    let card = t.background.unwrap_or_else(|| default_colour(&base.card));
    let text = t.text.unwrap_or_else(|| default_colour(&base.text));
    let readable = |c: Colour| c.contrast(card) >= MIN_CONTRAST;
    let muted = [text.mix(card, 0.3), text.mix(card, 0.15)]
        .into_iter()
        .find(|c| readable(*c))
        .unwrap_or(text);
    let accent = t.accent.unwrap_or_else(|| default_colour(&base.accent));
    let link = [
        t.accent.unwrap_or_else(|| default_colour(&base.link)),
        accent,
    ]
    .into_iter()
    .find(|c| readable(*c))
    .unwrap_or(text);
    Palette {
        page: if t.background.is_some() {
            card.mix(text, 0.05).to_string()
        } else {
            base.page
        },
        card: card.to_string(),
        text: text.to_string(),
        muted: muted.to_string(),
        link: link.to_string(),
        accent: accent.to_string(),
        rule: text.mix(card, 0.85).to_string(),
    }
}

/// A design that is dark already stays as it is; otherwise the dark
/// defaults, with the operator's accent lightened so it reads on them.
fn dark(t: &ThemeConfig, light: &Palette) -> Palette {
    let card = default_colour(&light.card);
    if card.luminance() < 0.2 {
        return light.clone();
    }
    let mut d = Palette::dark();
    if let Some(accent) = t.accent {
        let dark_card = default_colour(&d.card);
        let white = Colour([255, 255, 255]);
        let lighter = [0.3, 0.5, 0.7]
            .into_iter()
            .map(|a| accent.mix(white, a))
            .find(|c| c.contrast(dark_card) >= MIN_CONTRAST)
            .unwrap_or(white);
        d.accent = lighter.to_string();
        d.link = lighter.to_string();
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(theme: &str) -> Config {
        Config::parse(
            &format!("[site]\nsource = \"s\"\n[theme]\n{theme}\n"),
            Path::new("c.toml"),
        )
        .unwrap()
    }

    #[test]
    fn unset_theme_is_the_compiled_in_look() {
        assert_eq!(theme(&config("")), Theme::default());
    }

    #[test]
    fn derived_colours_stay_readable() {
        let t = theme(&config(
            "accent = \"#ffcc00\"\nbackground = \"#101820\"\ntext = \"#f0f0f0\"",
        ));
        let card = Colour::parse(&t.light.card).unwrap();
        for c in [&t.light.text, &t.light.muted, &t.light.link] {
            assert!(
                Colour::parse(c).unwrap().contrast(card) >= MIN_CONTRAST,
                "{c}"
            );
        }
        // Dark already: the dark variant is the same.
        assert_eq!(t.dark, t.light);
        let t = theme(&config("accent = \"#0b3d91\""));
        let dark_card = Colour::parse(&t.dark.card).unwrap();
        assert!(Colour::parse(&t.dark.accent).unwrap().contrast(dark_card) >= MIN_CONTRAST);
    }
}
