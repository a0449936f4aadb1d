//! How an edition compares things: categories, source URLs and titles, each
//! by a key that ignores differences a reader would not see.

/// A reader's category choice as one key: the same key means the same
/// personal edition, so delivery renders once per key.
pub fn choice_key(categories: &[String]) -> String {
    let mut keys: Vec<String> = categories
        .iter()
        .map(|c| fold(c))
        .filter(|c| !c.is_empty())
        .collect();
    keys.sort();
    keys.dedup();
    keys.join("\u{1f}")
}

/// Categories compare trimmed and case-insensitively.
pub(super) fn fold(category: &str) -> String {
    category.trim().to_lowercase()
}

/// The same source whatever its spelling: scheme, `www.`, case of the host,
/// a trailing slash, the fragment and `utm_` tracking parameters do not count.
pub(super) fn url_key(url: &str) -> String {
    let url = url.trim();
    let url = url.split_once('#').map_or(url, |(u, _)| u);
    let rest = url.split_once("://").map_or(url, |(scheme, rest)| {
        if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
            rest
        } else {
            url
        }
    });
    let (host, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let query: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.to_ascii_lowercase().starts_with("utm_"))
        .collect();
    let path = path.trim_end_matches('/');
    if query.is_empty() {
        format!("{host}{path}")
    } else {
        format!("{host}{path}?{}", query.join("&"))
    }
}

/// Titles compare case-insensitively with whitespace collapsed.
pub(super) fn title_key(title: &str) -> String {
    title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
