//! Where `serve` answers, derived from `sender.unsubscribe_url`: the links in
//! the digest must reach it through whatever reverse proxy is in front.
//!
//! `https://site.example/unsubscribe/{token}` gives the routes
//! `/unsubscribe/{token}`, `/confirm/{token}` and `/subscribe`. A URL with
//! more path in front, `https://site.example/nieuwsbrief/afmelden/{token}`,
//! gives `/nieuwsbrief/afmelden/{token}`, `/nieuwsbrief/confirm/{token}` and
//! `/nieuwsbrief/subscribe` (the segment before `{token}` is replaced), and
//! the root routes above as well, for a proxy that strips the prefix.

/// The routes to serve (axum patterns, `{token}` included) and the absolute
/// confirmation link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub unsubscribe: Vec<String>,
    pub confirm: Vec<String>,
    pub subscribe: Vec<String>,
    pub preferences: Vec<String>,
    /// The link in the confirmation mail, with `{token}` still in it.
    pub confirm_url: String,
}

/// Why `sender.unsubscribe_url` cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot serve `sender.unsubscribe_url`: {0}")]
pub struct PathError(String);

impl Paths {
    /// The routes for an `unsubscribe_url` such as
    /// `https://site.example/unsubscribe/{token}`.
    pub fn from_url(url: &str) -> Result<Paths, PathError> {
        let err = |m: String| Err(PathError(format!("`{url}` {m}")));
        let Some((scheme, rest)) = url.split_once("://") else {
            return err("is not an absolute URL".into());
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (path, tail) = match path.find(['?', '#']) {
            Some(i) => path.split_at(i),
            None => (path, ""),
        };
        if tail.contains("{token}") {
            return err(
                "has `{token}` in its query or fragment; `serve` reads it from the path, \
                 like `https://site.example/unsubscribe/{token}`"
                    .into(),
            );
        }
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let Some(at) = segments.iter().position(|s| *s == "{token}") else {
            return err("has no path segment that is exactly `{token}`, \
                 like `https://site.example/unsubscribe/{token}`"
                .into());
        };
        if segments.iter().enumerate().any(|(i, s)| {
            i != at && (s.contains(['{', '}', '*']) || (s.is_empty() && i + 1 < segments.len()))
        }) {
            return err(
                "must have `{token}` once, and no other `{`, `}`, `*` or empty segments in its path"
                    .into(),
            );
        }
        // The folder the unsubscribe segment lives in; confirm and subscribe
        // live beside it.
        let base: String = segments[..at.saturating_sub(1)]
            .iter()
            .map(|s| format!("/{s}"))
            .collect();
        let mut paths = Paths {
            unsubscribe: vec![format!("/{}", segments.join("/"))],
            confirm: vec![format!("{base}/confirm/{{token}}")],
            subscribe: vec![format!("{base}/subscribe")],
            preferences: vec![format!("{base}/preferences/{{token}}")],
            confirm_url: format!("{scheme}://{authority}{base}/confirm/{{token}}"),
        };
        for (list, root) in [
            (&mut paths.unsubscribe, "/unsubscribe/{token}"),
            (&mut paths.confirm, "/confirm/{token}"),
            (&mut paths.subscribe, "/subscribe"),
            (&mut paths.preferences, "/preferences/{token}"),
        ] {
            if !list.iter().any(|p| p == root) {
                list.push(root.to_owned());
            }
        }
        let clash = paths.unsubscribe.iter().find(|p| {
            paths.confirm.contains(p)
                || paths.subscribe.contains(p)
                || paths.preferences.contains(p)
        });
        if let Some(p) = clash {
            return err(format!(
                "has the path `{p}`, which `serve` uses for sign-ups; choose another"
            ));
        }
        Ok(paths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_url_gives_root_routes() {
        let p = Paths::from_url("https://site.example/unsubscribe/{token}").unwrap();
        assert_eq!(p.unsubscribe, ["/unsubscribe/{token}"]);
        assert_eq!(p.confirm, ["/confirm/{token}"]);
        assert_eq!(p.subscribe, ["/subscribe"]);
        assert_eq!(p.preferences, ["/preferences/{token}"]);
        assert_eq!(p.confirm_url, "https://site.example/confirm/{token}");
    }

    #[test]
    fn a_prefix_is_served_and_the_root_routes_too() {
        let p = Paths::from_url("https://site.example:8443/nieuwsbrief/afmelden/{token}?utm=x")
            .unwrap();
        assert_eq!(
            p.unsubscribe,
            ["/nieuwsbrief/afmelden/{token}", "/unsubscribe/{token}"]
        );
        assert_eq!(
            p.confirm,
            ["/nieuwsbrief/confirm/{token}", "/confirm/{token}"]
        );
        assert_eq!(p.subscribe, ["/nieuwsbrief/subscribe", "/subscribe"]);
        assert_eq!(
            p.preferences,
            ["/nieuwsbrief/preferences/{token}", "/preferences/{token}"]
        );
        assert_eq!(
            p.confirm_url,
            "https://site.example:8443/nieuwsbrief/confirm/{token}"
        );
        let p = Paths::from_url("https://site.example/{token}").unwrap();
        assert_eq!(p.unsubscribe, ["/{token}", "/unsubscribe/{token}"]);
        assert_eq!(p.confirm_url, "https://site.example/confirm/{token}");
        let p = Paths::from_url("https://site.example/unsubscribe/{token}/").unwrap();
        assert_eq!(
            p.unsubscribe,
            ["/unsubscribe/{token}/", "/unsubscribe/{token}"]
        );
        let p = Paths::from_url("https://site.example/u/{token}/stop").unwrap();
        assert_eq!(p.unsubscribe, ["/u/{token}/stop", "/unsubscribe/{token}"]);
    }

    #[test]
    fn unservable_urls_say_why() {
        for (url, why) in [
            ("https://site.example/unsub?t={token}", "in its query"),
            ("https://site.example/unsub-{token}", "exactly `{token}`"),
            ("https://site.example/{token}/{token}", "`{token}` once"),
            ("https://site.example//{token}", "empty segments"),
            ("https://site.example/confirm/{token}", "uses for sign-ups"),
        ] {
            match Paths::from_url(url) {
                Err(e) => assert!(e.to_string().contains(why), "{url}: {e}"),
                Ok(p) => panic!("{url} was accepted: {p:?}"),
            }
        }
    }
}
