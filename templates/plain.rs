//! The plain-text body: the same view as the HTML, written for a 72-column
//! reader, with every link written out (a URL longer than a line stands on
//! a line of its own rather than being broken).

use super::view::{SectionView, View};
use super::{legal, rich, HOLE_NAME, HOLE_PREFERENCES, HOLE_UNSUBSCRIBE};

pub const WIDTH: usize = 72;

/// The whole text body, lines ending in `\n`.
pub fn render(v: &View) -> String {
    let mut out = String::with_capacity(4096);
    line(&mut out, &v.site.to_uppercase());
    if let Some(tagline) = &v.theme.header {
        wrap_into(&mut out, tagline);
    }
    wrap_into(&mut out, &v.period);
    wrap_into(&mut out, &v.count_line);
    if let Some(home) = &v.home {
        line(&mut out, home);
    }
    if !v.is_empty() {
        out.push('\n');
        // The name is a hole; its line is filled per recipient.
        out.push_str(v.s.hello);
        out.push_str(HOLE_NAME);
        out.push_str(",\n");
    }
    for paragraph in rich::texts(&v.note) {
        out.push('\n');
        wrap_into(&mut out, &paragraph);
    }
    for section in &v.sections {
        section_into(&mut out, v, section);
    }
    out.push('\n');
    line(&mut out, &"-".repeat(WIDTH));
    wrap_into(&mut out, &v.reason);
    out.push('\n');
    // The link's length is only known per recipient: it gets a line of its
    // own, which is also the line that holds the hole.
    out.push_str(v.s.unsubscribe);
    out.push_str(":\n");
    out.push_str(HOLE_UNSUBSCRIBE);
    out.push('\n');
    if v.preferences {
        out.push_str(v.s.preferences);
        out.push_str(":\n");
        out.push_str(HOLE_PREFERENCES);
        out.push('\n');
    }
    if let Some(web) = &v.web_url {
        link_into(&mut out, v.s.view_online, web);
    }
    let legal = legal::text(v);
    if !legal.is_empty() {
        out.push('\n');
    }
    for paragraph in legal {
        wrap_into(&mut out, &paragraph);
    }
    out
}

fn section_into(out: &mut String, v: &View, section: &SectionView) {
    let heading = section.heading.to_uppercase();
    out.push('\n');
    out.push('\n');
    wrap_into(out, &heading);
    line(out, &"=".repeat(heading.chars().count().clamp(1, WIDTH)));
    for item in &section.items {
        out.push('\n');
        wrap_into(out, &item.title);
        match &item.domain {
            Some(domain) => wrap_into(out, &format!("{} {domain} · {}", v.s.via, item.date)),
            None => wrap_into(out, &item.date),
        }
        if !item.summary.is_empty() {
            out.push('\n');
            wrap_into(out, &item.summary);
        }
        if let Some(url) = &item.url {
            link_into(out, v.s.read, url);
        }
        for a in &item.also {
            link_into(out, &format!("{} {}", v.s.also, a.domain), &a.url);
        }
    }
    if let Some(more) = &section.more {
        out.push('\n');
        match &more.url {
            Some(url) => link_into(out, &more.text, url),
            None => wrap_into(out, &more.text),
        }
    }
}

/// `Label: URL` on one line when it fits, else the URL on a line of its own.
fn link_into(out: &mut String, label: &str, url: &str) {
    if label.chars().count() + 2 + url.chars().count() <= WIDTH {
        line(out, &format!("{label}: {url}"));
    } else {
        line(out, &format!("{label}:"));
        line(out, url);
    }
}

fn line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

/// Greedy word wrap at [`WIDTH`] characters; a word longer than that gets a
/// line of its own.
fn wrap_into(out: &mut String, text: &str) {
    let mut used = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if used > 0 && used + 1 + len > WIDTH {
            out.push('\n');
            used = 0;
        }
        if used > 0 {
            out.push(' ');
            used += 1;
        }
        out.push_str(word);
        used += len;
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_72_and_keeps_long_words_whole() {
        let mut out = String::new();
        let text = format!(
            "{} https://example.org/{}",
            "woord ".repeat(30),
            "x".repeat(80)
        );
        wrap_into(&mut out, &text);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[..lines.len() - 1]
            .iter()
            .all(|l| l.chars().count() <= WIDTH));
        assert!(lines.last().unwrap().starts_with("https://"));
    }
}
