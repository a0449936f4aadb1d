//! A post, strict: built once from a file's loose front matter.
//!
//! Downstream code never re-checks a `Post`: it always has a title, a date
//! with an offset, a (possibly empty) category list, a URL on the site, and
//! links and images that are absolute http(s) URLs or absent.

use chrono::{DateTime, FixedOffset, NaiveTime};
use serde::{Deserialize, Serialize};
use serde_yaml::{Mapping, Value};

use super::date;
use super::permalink;
use super::text;
use super::SiteSettings;
use crate::config::is_http_url;

/// Deserialized only from a stored edition (the web archive reads it back).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Post {
    pub title: String,
    #[serde(serialize_with = "rfc3339")]
    pub date: DateTime<FixedOffset>,
    pub categories: Vec<String>,
    /// The link the digest uses: the external source, else the post itself.
    pub url: String,
    pub external_link: Option<String>,
    pub post_url: String,
    pub image: Option<String>,
    pub summary: String,
    /// Path relative to the site root, with `/` separators, or the feed's URL.
    pub source: String,
    /// The name of the source the post came from.
    pub origin: String,
    #[serde(skip)]
    pub tags: Vec<String>,
    /// The story the post belongs to in its window (see `stories`); empty
    /// until posts are grouped.
    pub story: String,
    /// In an edition: other outlets' reports of the item's story.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub also: Option<Vec<Also>>,
    /// In an edition: the item's place in the ranking, 0 the strongest.
    #[serde(skip)]
    pub rank: usize,
    /// In an edition: the posts of the item's story, itself included.
    #[serde(skip)]
    pub story_posts: usize,
    /// Front matter `featured: true`: the editor puts it first.
    #[serde(skip)]
    pub featured: bool,
    /// Front matter `priority: N`: higher first, before coverage counts.
    #[serde(skip)]
    pub priority: i64,
}

/// Another outlet's report of the same story: a link under the item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Also {
    pub title: String,
    pub url: String,
    /// The link's host without `www.`: the link's text.
    pub domain: String,
}

impl Post {
    /// True when `wanted` is empty or the post has one of its categories
    /// (compared case-insensitively).
    pub fn in_categories(&self, wanted: &[String]) -> bool {
        wanted.is_empty()
            || self.categories.iter().any(|c| {
                wanted
                    .iter()
                    .any(|w| w.trim().to_lowercase() == c.to_lowercase())
            })
    }
}

fn rfc3339<S: serde::Serializer>(d: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_rfc3339())
}

/// The parts of a post file's name: `YYYY-M-D-slug.ext`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName<'a> {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub slug: &'a str,
    pub ext: &'a str,
}

/// Jekyll's `DATE_FILENAME_MATCHER`: `\d{2,4}-\d{1,2}-\d{1,2}-(slug)(\.ext)`.
pub fn parse_file_name(name: &str) -> Option<FileName<'_>> {
    let dot = name.rfind('.')?;
    let (stem, ext) = (&name[..dot], &name[dot + 1..]);
    if ext.is_empty() {
        return None;
    }
    let mut parts = stem.splitn(4, '-');
    fn digits(s: &str, min: usize, max: usize) -> Option<&str> {
        (s.len() >= min && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
    }
    let year = digits(parts.next()?, 2, 4)?.parse().ok()?;
    let month = digits(parts.next()?, 1, 2)?.parse().ok()?;
    let day = digits(parts.next()?, 1, 2)?.parse().ok()?;
    let slug = parts.next()?;
    Some(FileName {
        year,
        month,
        day,
        slug,
        ext,
    })
}

/// Extensions Jekyll converts to HTML with its Markdown converter.
pub fn is_markdown(ext: &str) -> bool {
    matches!(
        ext.to_ascii_lowercase().as_str(),
        "md" | "markdown" | "mkdown" | "mkdn" | "mkd" | "mdown"
    )
}

/// Extensions that hold data, not posts: Jekyll skips them in `_posts`.
pub fn is_data(ext: &str) -> bool {
    matches!(
        ext.to_ascii_lowercase().as_str(),
        "yml" | "yaml" | "json" | "csv" | "tsv"
    )
}

/// Extensions a post is normally written in.
pub fn is_text(ext: &str) -> bool {
    is_markdown(ext)
        || matches!(
            ext.to_ascii_lowercase().as_str(),
            "html" | "htm" | "textile" | "text" | "txt" | "rmd"
        )
}

/// Jekyll's `titleize_slug`: `my-first-post` → `My First Post`.
pub fn titleize(slug: &str) -> String {
    slug.split('-')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(c.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// A string, a space-separated string, a list, a number or null, as a list
/// of trimmed, non-empty items.
pub fn string_list(v: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |s: String| {
        for part in s.split_whitespace() {
            out.push(part.to_owned());
        }
    };
    match v {
        Some(Value::Sequence(items)) => {
            for item in items {
                if let Some(s) = scalar(item) {
                    push(s);
                }
            }
        }
        Some(other) => {
            if let Some(s) = scalar(other) {
                push(s);
            }
        }
        None => {}
    }
    out
}

/// A scalar as text; null, lists and maps give `None`.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar(&t.value),
        _ => None,
    }
}

/// `published: false` (also `no`, `off`, `"false"`) hides a post.
pub fn is_published(data: &Mapping) -> bool {
    match data.get("published") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "false" | "no" | "off" | "n"
        ),
        _ => true,
    }
}

/// Makes `link` absolute against the site (for images written as a path)
/// and keeps it only when it is http(s).
pub fn absolute_http(link: &str, site: &SiteSettings) -> Option<String> {
    let link = link.trim();
    if link.is_empty() {
        return None;
    }
    if is_http_url(link) {
        return Some(link.to_owned());
    }
    if let Some(rest) = link.strip_prefix("//") {
        let candidate = format!("https://{rest}");
        return is_http_url(&candidate).then_some(candidate);
    }
    if link.contains(':') || site.url.is_empty() {
        // Another scheme (`javascript:`, `data:`), or no site URL to anchor to.
        return None;
    }
    let path = if link.starts_with('/') {
        link.to_owned()
    } else {
        format!("/{link}")
    };
    let candidate = format!("{}{}{}", site.url, site.baseurl, path);
    is_http_url(&candidate).then_some(candidate)
}

/// The first valid http(s) URL among the keys, in order.
pub(crate) fn first_http(
    data: &Mapping,
    keys: &[&str],
    site: &SiteSettings,
    absolutize: bool,
) -> Option<String> {
    keys.iter().find_map(|k| {
        let v = data.get(*k)?;
        // jekyll-seo-tag allows `image: {path: …}`.
        let s = match v {
            Value::Mapping(m) => m.get("path").or_else(|| m.get("url")).and_then(scalar)?,
            other => scalar(other)?,
        };
        if absolutize {
            absolute_http(&s, site)
        } else {
            let s = s.trim();
            is_http_url(s).then(|| s.to_owned())
        }
    })
}

/// Everything a post is built from, before the date is settled.
pub struct Input<'a> {
    pub source: String,
    pub name: &'a FileName<'a>,
    pub path_categories: &'a [String],
    pub data: &'a Mapping,
}

/// What went wrong with a field; the post is still built.
pub type FieldProblem = String;

/// The post's date: front-matter `date`, else the file-name date at
/// midnight in the site's timezone. A bad `date` falls back to the file-name
/// date and is reported. `None` when the file-name date does not exist.
pub fn date_of(
    data: &Mapping,
    name: &FileName<'_>,
    site: &SiteSettings,
    problems: &mut Vec<FieldProblem>,
) -> Option<DateTime<FixedOffset>> {
    let file_date = chrono::NaiveDate::from_ymd_opt(name.year, name.month, name.day)?;
    let mut date_value = crate::window::in_zone(file_date.and_time(NaiveTime::MIN), site.timezone);
    if let Some(v) = data.get("date") {
        match scalar(v) {
            Some(s) => match date::parse_date(&s, site.timezone) {
                Ok(d) => date_value = d,
                Err(e) => problems.push(format!(
                    "cannot parse `date`: {e}; using the file-name date"
                )),
            },
            None if v.is_null() => {}
            None => problems.push("`date` is not a date; using the file-name date".into()),
        }
    }
    Some(date_value)
}

/// Builds the post dated `date_value` (see [`date_of`]).
pub fn build(input: &Input<'_>, date_value: DateTime<FixedOffset>, site: &SiteSettings) -> Post {
    let data = input.data;
    let name = input.name;
    let slug = data
        .get("slug")
        .and_then(scalar)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| name.slug.to_owned());
    let title = data
        .get("title")
        .and_then(scalar)
        .map(|t| text::clean_title(&t))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| titleize(name.slug));

    let mut categories: Vec<String> = input.path_categories.to_vec();
    for key in ["category", "categories"] {
        for c in string_list(data.get(key)) {
            if !categories.iter().any(|have| have.eq_ignore_ascii_case(&c)) {
                categories.push(c);
            }
        }
    }
    let mut tags = Vec::new();
    for key in ["tag", "tags"] {
        tags.extend(string_list(data.get(key)));
    }

    let output_ext = if is_markdown(name.ext)
        || matches!(name.ext.to_ascii_lowercase().as_str(), "html" | "htm")
    {
        ".html".to_owned()
    } else {
        format!(".{}", name.ext)
    };
    let style = data
        .get("permalink")
        .and_then(scalar)
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| site.permalink.clone());
    let path = permalink::build(
        style.trim(),
        &permalink::Parts {
            slug: &slug,
            categories: &categories,
            date: date_value,
            output_ext: &output_ext,
        },
    );
    let post_url = format!("{}{}{}", site.url, site.baseurl, path);

    let external_link = first_http(
        data,
        &["externe_link", "external_link", "external_url", "link"],
        site,
        false,
    );
    let image = first_http(data, &["feature_image", "image"], site, true);
    let url = external_link.clone().unwrap_or_else(|| post_url.clone());

    Post {
        title,
        date: date_value,
        categories,
        url,
        external_link,
        post_url,
        image,
        summary: String::new(),
        source: input.source.clone(),
        origin: String::new(),
        tags,
        story: String::new(),
        also: None,
        rank: 0,
        story_posts: 1,
        featured: data.get("featured").is_some_and(truthy),
        priority: data.get("priority").and_then(integer).unwrap_or(0),
    }
}

/// YAML `true`, or the strings `true`/`yes`, as editors write it.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "yes"),
        _ => false,
    }
}

/// A whole number, or a string holding one.
pub fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        let n = parse_file_name("2019-9-9-’ze_vinden_me_dom,_dacht_ik’.md").unwrap();
        assert_eq!(
            (n.year, n.month, n.day, n.slug, n.ext),
            (2019, 9, 9, "’ze_vinden_me_dom,_dacht_ik’", "md")
        );
        let n = parse_file_name("2018-10-12-trailing-dots...markdown").unwrap();
        assert_eq!((n.slug, n.ext), ("trailing-dots..", "markdown"));
        assert!(parse_file_name("dubious.markdown").is_none());
        assert!(parse_file_name("2013-03-19-not-a-post").is_none());
        assert!(parse_file_name("2019-05-03.md").is_none());
        assert!(parse_file_name("19999-05-03-x.md").is_none());
    }

    #[test]
    fn lists() {
        let v: Value = serde_yaml::from_str("[' foo ', bar baz, 2013, null]").unwrap();
        assert_eq!(string_list(Some(&v)), vec!["foo", "bar", "baz", "2013"]);
        assert!(string_list(Some(&Value::Null)).is_empty());
        assert_eq!(titleize("no-yaml"), "No Yaml");
    }
}
