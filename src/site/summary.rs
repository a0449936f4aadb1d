//! Summaries: the short text under each item in the digest.
//!
//! Front-matter `excerpt` (or `description`) wins; else the text before the
//! post's or the site's `excerpt_separator`; else the first paragraph.
//! Markdown is rendered, Liquid and HTML stripped, entities decoded,
//! whitespace collapsed, and the result cut at a word boundary.

use serde_yaml::Mapping;

use super::post::scalar;
use super::text;

/// Builds a summary of at most `max_chars` characters.
pub fn summarize(
    data: &Mapping,
    body: &str,
    markdown: bool,
    site_separator: &str,
    max_chars: usize,
) -> String {
    let own = ["excerpt", "description"].iter().find_map(|k| {
        data.get(*k)
            .and_then(scalar)
            .filter(|s| !s.trim().is_empty())
    });
    let plain = match own {
        Some(s) => to_text(&s, markdown),
        None => {
            let separator = data
                .get("excerpt_separator")
                .and_then(scalar)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| site_separator.to_owned());
            let head = excerpt_source(body, &separator);
            let from_head = if markdown && head.len() < body.len() {
                // Like Jekyll, keep the body's link definitions so that
                // `[text][ref]` in the excerpt still reads as a link.
                to_text(&with_link_definitions(head, body), markdown)
            } else {
                to_text(head, markdown)
            };
            if from_head.is_empty() && head.len() < body.len() {
                // The first paragraph was only markup (a Liquid tag, an
                // image): use the body instead of nothing.
                to_text(body, markdown)
            } else {
                from_head
            }
        }
    };
    text::truncate_words(&plain, max_chars)
}

/// The part of the body the excerpt comes from. Leading blank lines are
/// skipped so a body that starts with one still has a first paragraph.
fn excerpt_source<'a>(body: &'a str, separator: &str) -> &'a str {
    let body = body.trim_start_matches(['\n', '\r', ' ', '\t']);
    let normalized_sep = separator.replace("\r\n", "\n");
    let head = if body.contains('\r') && normalized_sep.contains('\n') {
        // A CRLF file: look for the separator with CRLF line ends too.
        let crlf = normalized_sep.replace('\n', "\r\n");
        body.find(&crlf)
            .or_else(|| body.find(&normalized_sep))
            .map_or(body, |i| &body[..i])
    } else {
        body.find(&normalized_sep).map_or(body, |i| &body[..i])
    };
    if head.trim().is_empty() {
        body
    } else {
        head
    }
}

fn with_link_definitions(head: &str, body: &str) -> String {
    // A definition cannot interrupt a paragraph: start after a blank line.
    let mut out = format!("{head}\n\n");
    for line in body.lines() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if indent <= 3 && t.starts_with('[') && t.contains("]:") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn to_text(source: &str, markdown: bool) -> String {
    let without_liquid = text::strip_liquid(source);
    let html = if markdown {
        let parser = pulldown_cmark::Parser::new(&without_liquid);
        let mut out = String::with_capacity(without_liquid.len() + 64);
        pulldown_cmark::html::push_html(&mut out, parser);
        out
    } else {
        without_liquid
    };
    text::collapse_whitespace(&text::html_to_text(&html))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(yaml: &str) -> Mapping {
        serde_yaml::from_str(yaml).unwrap_or_default()
    }

    #[test]
    fn custom_excerpt_wins() {
        let s = summarize(
            &data("excerpt: 'I can set a custom excerpt'"),
            "Not this.\n\nNor this.",
            true,
            "\n\n",
            280,
        );
        assert_eq!(s, "I can set a custom excerpt");
        let s = summarize(
            &data("description: Hi &amp; bye"),
            "Body",
            true,
            "\n\n",
            280,
        );
        assert_eq!(s, "Hi & bye");
    }

    #[test]
    fn first_paragraph_and_separators() {
        let body = "\nFirst paragraph with [link ref][link].\n\nSecond paragraph\n\n---\n\nThird paragraph\n\n[link]: https://jekyllrb.com/\n";
        assert_eq!(
            summarize(&Mapping::new(), body, true, "\n\n", 280),
            "First paragraph with link ref."
        );
        let own_sep = data("excerpt_separator: \"\\n---\\n\"");
        assert_eq!(
            summarize(&own_sep, body, true, "\n\n", 280),
            "First paragraph with link ref. Second paragraph"
        );
        let crlf = "First **bold**\r\n\r\nSecond";
        assert_eq!(
            summarize(&Mapping::new(), crlf, true, "\n\n", 280),
            "First bold"
        );
    }

    #[test]
    fn html_and_liquid_become_text() {
        let body = "<p class=\"intro\">Lezen &amp; Schrijven <script>alert(1)</script>{{ page.url }}</p>\n<p>Meer.</p>";
        assert_eq!(
            summarize(&Mapping::new(), body, true, "\n\n", 280),
            "Lezen & Schrijven Meer."
        );
        let long = "woord ".repeat(100);
        let s = summarize(&Mapping::new(), &long, true, "\n\n", 50);
        assert!(s.chars().count() <= 50 && s.ends_with('…'), "{s}");
    }
}
