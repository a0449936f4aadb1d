//! Turning post markup into plain text: HTML and Liquid stripped, entities
//! decoded, whitespace collapsed, cut at a word boundary.
//!
//! Everything that leaves this module is text, never markup: the digest
//! escapes it again when it renders HTML.

/// Decodes HTML entities (`&amp;`, `&eacute;`, `&#8217;`, `&#x2019;`).
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    html_escape::decode_html_entities(s).into_owned()
}

/// Collapses every run of whitespace (line breaks included) to one space and
/// trims both ends. Control characters become spaces too, so no CR or LF
/// survives into a subject line.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// A title as a reader should see it: entities decoded, line breaks folded.
pub fn clean_title(s: &str) -> String {
    collapse_whitespace(&decode_entities(s))
}

/// Removes Liquid tags and output (`{% … %}`, `{{ … }}`), and everything
/// between `{% comment %}` and `{% endcomment %}`.
pub fn strip_liquid(s: &str) -> String {
    if !s.contains("{%") && !s.contains("{{") {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut in_comment = false;
    loop {
        let next = match (rest.find("{%"), rest.find("{{")) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(start) = next else {
            if !in_comment {
                out.push_str(rest);
            }
            break;
        };
        if !in_comment {
            out.push_str(&rest[..start]);
        }
        let is_tag = rest[start..].starts_with("{%");
        let close = if is_tag { "%}" } else { "}}" };
        match rest[start + 2..].find(close) {
            Some(end) => {
                let inner = rest[start + 2..start + 2 + end]
                    .trim_matches(|c: char| c == '-' || c.is_whitespace());
                if is_tag {
                    let word = inner.split_whitespace().next().unwrap_or("");
                    if word == "comment" {
                        in_comment = true;
                    } else if word == "endcomment" {
                        in_comment = false;
                    }
                }
                rest = &rest[start + 2 + end + 2..];
            }
            // An unclosed tag: drop the rest, as Liquid would fail on it.
            None => break,
        }
    }
    out
}

/// Block-level elements: their boundaries separate words.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "table"
            | "tr"
            | "td"
            | "th"
            | "hr"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "dd"
            | "dt"
    )
}

/// Reduces HTML to its text: tags removed (block tags leave a space),
/// `script`, `style`, `noscript`, `template` and comments dropped whole,
/// entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let bytes = html.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        out.push_str(&html[text_start..i]);
        let rest = &html[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->").map_or(rest.len(), |e| e + 3);
            text_start = i;
            continue;
        }
        let after = &rest[1..];
        let closing = after.starts_with('/');
        let name_part = if closing { &after[1..] } else { after };
        let name_len = name_part
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(name_part.len());
        if name_len == 0 && !after.starts_with('!') && !after.starts_with('?') {
            // A lone `<` (as in `a < b`) is text.
            out.push('<');
            i += 1;
            text_start = i;
            continue;
        }
        let name = name_part[..name_len].to_ascii_lowercase();
        let tag_end = find_tag_end(rest).map_or(rest.len(), |e| e + 1);
        i += tag_end;
        if !closing && matches!(name.as_str(), "script" | "style" | "noscript" | "template") {
            let close = format!("</{name}");
            let lower_rest = html[i..].to_ascii_lowercase();
            i = match lower_rest.find(&close) {
                Some(p) => {
                    let from = i + p;
                    from + html[from..].find('>').map_or(html.len() - from, |e| e + 1)
                }
                None => html.len(),
            };
        }
        if is_block(&name) {
            out.push(' ');
        }
        text_start = i;
    }
    if text_start < html.len() {
        out.push_str(&html[text_start..]);
    }
    decode_entities(&out)
}

/// The index of the `>` closing the tag that starts `s`, skipping quoted
/// attribute values.
fn find_tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, &b) in s.as_bytes().iter().enumerate().skip(1) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return Some(i),
            None => {}
        }
    }
    None
}

/// Cuts `s` to at most `max` characters (ellipsis included), at a word
/// boundary when there is one in the last part, and adds `…` when cut.
pub fn truncate_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let keep = max.saturating_sub(1);
    let cut = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
    let head = &s[..cut];
    // Prefer a word boundary unless that would throw away most of the text.
    let at_word = match head.rfind(' ') {
        Some(sp) if head[..sp].chars().count() * 2 >= keep => &head[..sp],
        _ => head,
    };
    let trimmed = at_word.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—".contains(c));
    format!("{trimmed}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_and_breaks() {
        assert_eq!(
            clean_title("  Tom &amp; Jerry&#8217;s\n  caf&eacute; "),
            "Tom & Jerry’s café"
        );
        assert_eq!(clean_title("a\r\nb\tc"), "a b c");
    }

    #[test]
    fn liquid_is_removed() {
        assert_eq!(
            strip_liquid("a {{ page.url }} b {% if x %}c{% endif %}"),
            "a  b c"
        );
        assert_eq!(
            strip_liquid("a{% comment %} hidden {% endcomment %}b"),
            "ab"
        );
        assert_eq!(strip_liquid("a {%- raw -%} b"), "a  b");
        assert_eq!(strip_liquid("broken {{ never"), "broken ");
    }

    #[test]
    fn html_becomes_text() {
        let t = html_to_text(
            "<p class=\"intro\">Hi &amp; <b>bye</b></p><script>alert(1)</script><p>next</p><!-- x -->",
        );
        assert_eq!(collapse_whitespace(&t), "Hi & bye next");
        assert_eq!(
            html_to_text("a < b and <img src=x onerror=alert(1)>c"),
            "a < b and c"
        );
        assert_eq!(html_to_text("<a title=\"x>y\">link</a>"), "link");
        assert_eq!(html_to_text("&lt;script&gt;"), "<script>");
    }

    #[test]
    fn truncation_at_words() {
        assert_eq!(truncate_words("short", 10), "short");
        assert_eq!(truncate_words("one two three four", 12), "one two…");
        let long = "x".repeat(50);
        assert_eq!(truncate_words(&long, 10).chars().count(), 10);
        assert_eq!(truncate_words("één twee drie vier vijf", 14), "één twee…");
    }
}
