//! Parsing any bytes as a feed and mapping every entry never panics, and
//! every mapped post has a title and only http(s) links.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use postbode::config::{is_http_url, Config, SourceKind};
use postbode::site::{feed, source};

fuzz_target!(|data: &[u8]| {
    let Ok(config) = Config::parse(
        "[site]\nsource = \"https://example.org/feed.xml\"\n",
        Path::new("config.toml"),
    ) else {
        return;
    };
    let Ok(site) = source::generic_settings(&config, PathBuf::new(), SourceKind::Feed) else {
        return;
    };
    let Ok(parsed) = feed::parse(data, Some("https://example.org/feed.xml")) else {
        return;
    };
    let now = chrono::Utc::now();
    for entry in &parsed.entries {
        if let Ok(item) = feed::map_entry(entry, &parsed, "https://example.org/feed.xml", &site, Some(280), now) {
            let post = item.post;
            assert!(!post.title.is_empty());
            assert!(is_http_url(&post.url), "{}", post.url);
            assert!(post.image.as_deref().is_none_or(is_http_url));
            assert!(post.summary.chars().count() <= 280);
        }
    }
});
