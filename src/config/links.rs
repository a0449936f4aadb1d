//! The pages `serve` answers beside `sender.unsubscribe_url`, as URLs a
//! mail can carry: the mail links to them, `serve` routes them, and both
//! must agree on where they are.

use super::is_http_url;

/// The preference page's URL, `{token}` still in it, for an http(s)
/// `unsubscribe_url`: the segment before `{token}` replaced by
/// `preferences` (`https://x.org/nieuwsbrief/afmelden/{token}` gives
/// `https://x.org/nieuwsbrief/preferences/{token}`). `None` for a URL
/// `serve` cannot answer at, where no such page exists.
pub fn preferences_url(unsubscribe_url: &str) -> Option<String> {
    let url = unsubscribe_url.trim();
    if !is_http_url(url) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let cut = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(cut);
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let at = segments.iter().position(|s| *s == "{token}")?;
    let base: String = segments[..at.saturating_sub(1)]
        .iter()
        .map(|s| format!("/{s}"))
        .collect();
    Some(format!(
        "{scheme}://{authority}{base}/preferences/{{token}}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beside_the_unsubscribe_link() {
        for (unsubscribe, preferences) in [
            (
                "https://x.org/unsubscribe/{token}",
                Some("https://x.org/preferences/{token}"),
            ),
            (
                "https://x.org:8443/nieuwsbrief/afmelden/{token}?utm=1",
                Some("https://x.org:8443/nieuwsbrief/preferences/{token}"),
            ),
            (
                "https://x.org/{token}",
                Some("https://x.org/preferences/{token}"),
            ),
            ("https://x.org/unsub?t={token}", None),
            ("mailto:x@x.org", None),
        ] {
            assert_eq!(
                preferences_url(unsubscribe).as_deref(),
                preferences,
                "{unsubscribe}"
            );
        }
    }
}
