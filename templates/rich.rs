//! Reduced Markdown (see [`super::theme::Inline`]) as e-mail HTML and as
//! wrapped text. maud escapes every text, so nothing an editor writes can
//! become markup.

use maud::{html, Markup};

use super::theme::{class, plain, Inline, Paragraph};

/// Inlines as HTML; links get `link_style` and the dark-mode link class.
pub fn inlines(items: &[Inline], link_style: &str) -> Markup {
    html! {
        @for item in items {
            @match item {
                Inline::Text(t) => (t),
                Inline::Emphasis(c) => em { (inlines(c, link_style)) },
                Inline::Strong(c) => strong { (inlines(c, link_style)) },
                Inline::Link { url, content } => {
                    a href=(url) style=(link_style) class=(class::LINK) { (inlines(content, link_style)) }
                },
            }
        }
    }
}

/// Paragraphs as `<p>`s with `p_style`.
pub fn paragraphs(paras: &[Paragraph], p_style: &str, p_class: &str, link_style: &str) -> Markup {
    html! {
        @for p in paras {
            p style=(p_style) class=(p_class) { (inlines(p, link_style)) }
        }
    }
}

/// Paragraphs as plain text, one string each.
pub fn texts(paras: &[Paragraph]) -> Vec<String> {
    paras.iter().map(|p| plain(p)).collect()
}
