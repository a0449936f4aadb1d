//! Jekyll permalinks: the built-in styles and custom patterns.
//!
//! Follows Jekyll 4: `:title` is the slug slugified in `pretty` mode keeping
//! case, `:slug` in `default` mode, `:categories` the lower-cased categories
//! joined with `/`; the result is sanitised (no `..`, no `//`) and
//! percent-escaped.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// What a permalink is built from.
pub struct Parts<'a> {
    pub slug: &'a str,
    pub categories: &'a [String],
    pub date: DateTime<FixedOffset>,
    /// The output extension, `.html` for Markdown and HTML posts.
    pub output_ext: &'a str,
}

/// The pattern for a permalink style name, or the pattern itself.
pub fn pattern(style: &str) -> &str {
    match style {
        "date" => "/:categories/:year/:month/:day/:title:output_ext",
        "pretty" => "/:categories/:year/:month/:day/:title/",
        "ordinal" => "/:categories/:year/:y_day/:title:output_ext",
        "weekdate" => "/:categories/:year/W:week/:short_day/:title:output_ext",
        "none" => "/:categories/:title:output_ext",
        custom => custom,
    }
}

/// The post's path on the site, starting with `/`.
pub fn build(style: &str, parts: &Parts<'_>) -> String {
    let template = pattern(style);
    let d = parts.date;
    let mut categories: Vec<String> = Vec::new();
    for c in parts.categories {
        let c = c.to_lowercase();
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    let value = |key: &str| -> Option<String> {
        Some(match key {
            "year" => format!("{:04}", d.year()),
            "short_year" => format!("{:02}", d.year() % 100),
            "month" => format!("{:02}", d.month()),
            "i_month" => d.month().to_string(),
            "short_month" => d.format("%b").to_string(),
            "long_month" => d.format("%B").to_string(),
            "day" => format!("{:02}", d.day()),
            "i_day" => d.day().to_string(),
            "y_day" => format!("{:03}", d.ordinal()),
            "hour" => format!("{:02}", d.hour()),
            "minute" => format!("{:02}", d.minute()),
            "second" => format!("{:02}", d.second()),
            "week" => format!("{:02}", d.iso_week().week()),
            "short_day" => d.format("%a").to_string(),
            "long_day" => d.format("%A").to_string(),
            "title" => slugify(parts.slug, true),
            "slug" => slugify(parts.slug, false),
            "name" => slugify(parts.slug, false),
            "categories" => categories.join("/"),
            "output_ext" => parts.output_ext.to_owned(),
            _ => return None,
        })
    };
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find(':') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        // Longest placeholder name that is known (`:title` in `:titlefoo`
        // is not a placeholder, but `:output_ext` after `:title` is).
        let key = &after[..len];
        match value(key) {
            Some(v) => out.push_str(&escape_path(&v)),
            None => {
                out.push(':');
                out.push_str(key);
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    sanitize(&out)
}

/// Jekyll's `slugify`: `pretty` keeps `._~!$&'()+,;=@`, `default` keeps only
/// letters, marks and digits; other runs become `-`, ends trimmed.
pub fn slugify(s: &str, pretty: bool) -> String {
    let keep = |c: char| c.is_alphanumeric() || (pretty && "._~!$&'()+,;=@".contains(c));
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars() {
        if keep(c) {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    if pretty {
        out
    } else {
        out.to_lowercase()
    }
}

/// Percent-encodes what may not stand in a URL path.
pub fn escape_path(s: &str) -> String {
    let safe = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b);
    if s.bytes().all(safe) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for b in s.bytes() {
        if safe(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Jekyll's `sanitize_url`: a leading `/`, no `..`, no `./`, no `//`.
fn sanitize(s: &str) -> String {
    let mut out = format!("/{s}").replace("..", "/").replace("./", "");
    while out.contains("//") {
        out = out.replace("//", "/");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(slug: &'a str, cats: &'a [String], ext: &'a str) -> Parts<'a> {
        Parts {
            slug,
            categories: cats,
            date: DateTime::parse_from_rfc3339("2019-05-03T14:56:37+02:00").unwrap(),
            output_ext: ext,
        }
    }

    #[test]
    fn styles() {
        let cats = vec!["Nieuws".to_owned(), "tech".to_owned()];
        let p = parts("chinese-spionage", &cats, ".html");
        assert_eq!(
            build("date", &p),
            "/nieuws/tech/2019/05/03/chinese-spionage.html"
        );
        assert_eq!(
            build("pretty", &p),
            "/nieuws/tech/2019/05/03/chinese-spionage/"
        );
        assert_eq!(
            build("ordinal", &p),
            "/nieuws/tech/2019/123/chinese-spionage.html"
        );
        assert_eq!(build("none", &p), "/nieuws/tech/chinese-spionage.html");
        assert_eq!(build("/:year/:title/", &p), "/2019/chinese-spionage/");
        let none: Vec<String> = vec![];
        assert_eq!(
            build("date", &parts("x", &none, ".html")),
            "/2019/05/03/x.html"
        );
        assert_eq!(
            build("/:title", &parts("Extensionless Permalink", &none, ".html")),
            "/Extensionless-Permalink"
        );
    }

    #[test]
    fn odd_names_are_escaped() {
        let none: Vec<String> = vec![];
        assert_eq!(
            build(
                "date",
                &parts("’vleesreductie_biefstuk_halveren!’", &none, ".html")
            ),
            "/2019/05/03/vleesreductie_biefstuk_halveren!.html"
        );
        assert_eq!(
            build("/:year/:slug/", &parts("Café Zürich", &none, ".html")),
            "/2019/caf%C3%A9-z%C3%BCrich/"
        );
        assert_eq!(
            build("date", &parts("escape-+ %20[]", &none, ".html")),
            "/2019/05/03/escape-+-20.html"
        );
        assert_eq!(
            build("/../../x.html", &parts("a", &none, ".html")),
            "/x.html"
        );
        assert_eq!(
            build("my_category/permalinked-post", &parts("a", &none, ".html")),
            "/my_category/permalinked-post"
        );
    }
}
