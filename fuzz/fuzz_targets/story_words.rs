//! The story tokenizer and grouping on arbitrary text: no panic, bounded
//! output, every post in exactly one story.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postbode::stories::{self, tokens};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let words = tokens::words(text);
    assert!(words.len() <= tokens::MAX_WORDS);
    assert!(words.iter().all(|w| w.text.chars().count() <= tokens::MAX_WORD));

    // The text as titles and summaries of a few posts.
    let parts: Vec<&str> = text.split('\n').take(8).collect();
    let date = chrono::DateTime::parse_from_rfc3339("2026-11-16T09:00:00+01:00").unwrap();
    let posts: Vec<postbode::site::Post> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| postbode::site::Post {
            title: p.to_string(),
            date: date + chrono::Duration::hours(i as i64),
            categories: Vec::new(),
            url: format!("https://example.org/{i}"),
            external_link: None,
            post_url: format!("https://example.org/{i}"),
            image: None,
            summary: parts.get(i + 1).unwrap_or(&"").to_string(),
            source: format!("_posts/{i}.md"),
            origin: String::new(),
            tags: Vec::new(),
            story: String::new(),
            also: None,
            rank: 0,
            story_posts: 1,
            featured: false,
            priority: 0,
        })
        .collect();
    let groups = stories::group(&posts);
    let mut seen = vec![false; posts.len()];
    for g in &groups {
        for &m in &g.members {
            assert!(!seen[m]);
            seen[m] = true;
        }
    }
    assert!(seen.iter().all(|s| *s));
});
