//! The editor's Markdown (the note, the theme's footer) reduced to what a
//! digest may carry: text, emphasis and http(s)/mailto links. Every other
//! construct keeps only its text; raw HTML stays as text, which the
//! templates escape, so nothing written here becomes markup.

use postbode_templates::{Inline, Paragraph};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// Markdown, reduced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reduced {
    pub paragraphs: Vec<Paragraph>,
    /// The text held raw HTML (shown as text).
    pub raw_html: bool,
    /// Links dropped because they were not http(s) or mailto (their text stays).
    pub dropped_links: Vec<String>,
}

impl Reduced {
    pub fn is_empty(&self) -> bool {
        self.paragraphs.is_empty()
    }
}

enum Frame {
    Plain,
    Emphasis,
    Strong,
    Link(Option<String>),
}

/// Parses `text` and keeps what a digest may show.
pub fn reduce(text: &str) -> Reduced {
    let mut out = Reduced::default();
    // The inlines being built, innermost last; the bottom one is the paragraph.
    let mut stack: Vec<(Frame, Vec<Inline>)> = vec![(Frame::Plain, Vec::new())];
    let flush = |stack: &mut Vec<(Frame, Vec<Inline>)>, out: &mut Reduced| {
        // Close whatever is open (a block ended inside emphasis).
        while stack.len() > 1 {
            close(stack);
        }
        let para = std::mem::take(&mut stack[0].1);
        let para = tidy(para);
        if !para.is_empty() {
            out.paragraphs.push(para);
        }
    };
    let push = |stack: &mut Vec<(Frame, Vec<Inline>)>, t: &str| {
        if let Some((_, top)) = stack.last_mut() {
            if let Some(Inline::Text(prev)) = top.last_mut() {
                prev.push_str(t);
            } else {
                top.push(Inline::Text(t.to_owned()));
            }
        }
    };
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::Emphasis) => stack.push((Frame::Emphasis, Vec::new())),
            Event::Start(Tag::Strong) => stack.push((Frame::Strong, Vec::new())),
            Event::Start(Tag::Link { dest_url, .. }) => {
                let url = dest_url.trim();
                let allowed = is_http(url) || is_mailto(url);
                if !allowed {
                    out.dropped_links.push(url.to_owned());
                }
                stack.push((Frame::Link(allowed.then(|| url.to_owned())), Vec::new()));
            }
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Link) => close(&mut stack),
            Event::Text(t) | Event::Code(t) => push(&mut stack, &t),
            Event::Html(t) | Event::InlineHtml(t) => {
                out.raw_html = true;
                push(&mut stack, &t);
            }
            Event::SoftBreak | Event::HardBreak => push(&mut stack, " "),
            Event::Start(Tag::Item) => {
                flush(&mut stack, &mut out);
                push(&mut stack, "• ");
            }
            Event::End(TagEnd::Image) => {}
            // Every block's end ends a paragraph: headings, list items,
            // quotes and code blocks read as paragraphs of text.
            Event::End(_) => flush(&mut stack, &mut out),
            _ => {}
        }
    }
    flush(&mut stack, &mut out);
    out
}

/// Pops the innermost frame into its parent; the paragraph itself stays.
fn close(stack: &mut Vec<(Frame, Vec<Inline>)>) {
    if stack.len() < 2 {
        return;
    }
    let Some((frame, content)) = stack.pop() else {
        return;
    };
    let Some((_, parent)) = stack.last_mut() else {
        return;
    };
    match frame {
        Frame::Emphasis => parent.push(Inline::Emphasis(content)),
        Frame::Strong => parent.push(Inline::Strong(content)),
        Frame::Link(Some(url)) => parent.push(Inline::Link { url, content }),
        Frame::Link(None) | Frame::Plain => parent.extend(content),
    }
}

/// Whitespace collapsed and control characters gone (a hole must never
/// appear in editor text), empty texts dropped.
fn tidy(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out = Vec::new();
    for i in inlines {
        match i {
            Inline::Text(t) => {
                let t: String = t
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                let mut collapsed = String::with_capacity(t.len());
                for (n, word) in t.split(' ').enumerate() {
                    if n > 0 && !(word.is_empty() && collapsed.ends_with(' ')) {
                        collapsed.push(' ');
                    }
                    collapsed.push_str(word);
                }
                if !collapsed.is_empty() {
                    out.push(Inline::Text(collapsed));
                }
            }
            Inline::Emphasis(c) => out.push(Inline::Emphasis(tidy(c))),
            Inline::Strong(c) => out.push(Inline::Strong(tidy(c))),
            Inline::Link { url, content } => out.push(Inline::Link {
                url,
                content: tidy(content),
            }),
        }
    }
    // No leading or trailing blanks in the paragraph.
    if let Some(Inline::Text(t)) = out.first_mut() {
        *t = t.trim_start().to_owned();
    }
    if let Some(Inline::Text(t)) = out.last_mut() {
        *t = t.trim_end().to_owned();
    }
    out.retain(|i| !matches!(i, Inline::Text(t) if t.is_empty()));
    out
}

/// An absolute http(s) URL with a host, nothing that could break out of an
/// attribute.
fn is_http(url: &str) -> bool {
    let clean = !url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'));
    clean
        && url::Url::parse(url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// `mailto:someone@example.org`, nothing that could break out of an attribute.
fn is_mailto(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"))
        && url.len() > 7
        && url.contains('@')
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn keeps_text_emphasis_and_links() {
        let r = reduce("Hello *you*, **read** [this](https://example.org/x) or [mail](mailto:a@example.org).\n\nTwo");
        assert_eq!(
            r.paragraphs,
            vec![
                vec![
                    text("Hello "),
                    Inline::Emphasis(vec![text("you")]),
                    text(", "),
                    Inline::Strong(vec![text("read")]),
                    text(" "),
                    Inline::Link {
                        url: "https://example.org/x".into(),
                        content: vec![text("this")]
                    },
                    text(" or "),
                    Inline::Link {
                        url: "mailto:a@example.org".into(),
                        content: vec![text("mail")]
                    },
                    text("."),
                ],
                vec![text("Two")],
            ]
        );
        assert!(!r.raw_html);
    }

    #[test]
    fn raw_html_and_other_links_become_text() {
        let r = reduce("<script>alert(1)</script>\n\nA [bad](javascript:alert(1)) <b>x</b>");
        assert!(r.raw_html);
        assert_eq!(r.dropped_links, vec!["javascript:alert(1)".to_owned()]);
        let all = format!("{:?}", r.paragraphs);
        assert!(!all.contains("Link"), "{all}");
        assert!(all.contains("<script>alert(1)</script>"), "{all}");
        assert!(all.contains("<b>"), "{all}");
    }

    #[test]
    fn blocks_read_as_paragraphs() {
        let r = reduce("# Title\n\n- one\n- two\n\n```\ncode\n```\n![alt](https://x.org/i.png)");
        let texts: Vec<String> = r
            .paragraphs
            .iter()
            .map(|p| postbode_templates::theme::plain(p))
            .collect();
        assert_eq!(texts, vec!["Title", "• one", "• two", "code", "alt"]);
    }
}
