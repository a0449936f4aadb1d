//! Hugo sites: `hugo.toml` (or `.yaml`, `.json`, or the older `config.*`)
//! and the pages under `content/`, read with Hugo's rules for drafts,
//! publish and expiry dates, taxonomies, page bundles and permalinks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use serde_yaml::{Mapping, Value};

use super::content::{self, Kind, Page, PageFile, Skip};
use super::post::scalar;
use super::{permalink, Result, SiteError, SiteSettings, WarningKind};
use crate::config::{parse_timezone, Config, Language, SourceKind};

/// What a Hugo site's config says that matters for its posts.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub config_file: PathBuf,
    pub content_dir: String,
    pub base_url: String,
    pub title: Option<String>,
    pub language_code: Option<String>,
    pub timezone: Option<String>,
    /// Section → permalink pattern (`posts` → `/:year/:month/:slug/`).
    pub permalinks: HashMap<String, String>,
    /// The front-matter key of the category taxonomy (`categories`), if any.
    pub category_key: Option<String>,
    pub tag_key: Option<String>,
    pub lower_paths: bool,
}

const CONFIG_NAMES: [&str; 8] = [
    "hugo.toml",
    "hugo.yaml",
    "hugo.yml",
    "hugo.json",
    "config/_default/hugo.toml",
    "config/_default/config.toml",
    "config.yaml",
    "config.json",
];

/// The site's Hugo config file, if the folder is a Hugo site. A plain
/// `config.toml` is Hugo's unless it has Zola's `base_url`.
pub fn config_file(root: &Path) -> Option<PathBuf> {
    for name in CONFIG_NAMES {
        let p = root.join(name);
        if p.is_file() && (name.starts_with("hugo") || root.join("content").is_dir()) {
            return Some(p);
        }
    }
    let p = root.join("config.toml");
    if p.is_file() && root.join("content").is_dir() {
        let text = std::fs::read_to_string(&p).ok()?;
        let table = toml::from_str::<toml::Table>(&text).ok()?;
        if !table.contains_key("base_url") {
            return Some(p);
        }
    }
    None
}

/// Hugo's config keys are case-insensitive.
fn lower_keys(m: &Mapping) -> HashMap<String, Value> {
    m.iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_ascii_lowercase(), v.clone())))
        .collect()
}

impl Settings {
    pub fn read(root: &Path) -> Result<Settings> {
        let Some(path) = config_file(root) else {
            return Ok(Settings {
                content_dir: "content".into(),
                category_key: Some("categories".into()),
                tag_key: Some("tags".into()),
                lower_paths: true,
                ..Settings::default()
            });
        };
        let data = super::matter::config_file(&path).map_err(SiteError::SiteConfig)?;
        let c = lower_keys(&data);
        let text = |k: &str| c.get(k).and_then(scalar).map(|s| s.trim().to_owned());
        let mut permalinks = HashMap::new();
        if let Some(Value::Mapping(m)) = c.get("permalinks") {
            // Hugo ≥ 0.120 nests them by page kind: `[permalinks.page]`.
            let pages = match m.get("page") {
                Some(Value::Mapping(p)) => p,
                _ => m,
            };
            for (k, v) in pages {
                if let (Some(k), Some(v)) = (k.as_str(), scalar(v)) {
                    permalinks.insert(k.to_owned(), v);
                }
            }
        }
        let (category_key, tag_key) = match c.get("taxonomies") {
            Some(Value::Mapping(t)) => {
                let get = |singular: &str| {
                    t.get(singular)
                        .and_then(scalar)
                        .map(|s| s.trim().to_owned())
                };
                (get("category"), get("tag"))
            }
            _ => (Some("categories".into()), Some("tags".into())),
        };
        Ok(Settings {
            content_dir: text("contentdir").unwrap_or_else(|| "content".into()),
            base_url: text("baseurl").unwrap_or_default(),
            title: text("title"),
            language_code: text("languagecode").or_else(|| text("defaultcontentlanguage")),
            timezone: text("timezone"),
            permalinks,
            category_key,
            tag_key,
            lower_paths: !matches!(c.get("disablepathtolower"), Some(Value::Bool(true))),
            config_file: path,
        })
    }

    /// The source's settings: `config.toml` first, then the Hugo config.
    pub fn site_settings(&self, config: &Config, root: PathBuf) -> Result<SiteSettings> {
        let mut s = super::source::generic_settings(config, root.clone(), SourceKind::Hugo)?;
        if config.site.title.is_none() {
            if let Some(t) = &self.title {
                s.title = t.clone();
            }
        }
        if config.site.timezone.is_none() {
            if let Some(tz) = &self.timezone {
                s.timezone = parse_timezone(tz).map_err(|e| {
                    SiteError::SiteConfig(format!(
                        "`timeZone` in `{}`: {}",
                        self.config_file.display(),
                        e.0
                    ))
                })?;
            }
        }
        if config.site.language.is_none() {
            if let Some(code) = &self.language_code {
                if code.to_ascii_lowercase().starts_with("en") {
                    s.language = Language::En;
                }
            }
        }
        apply_base_url(&mut s, config, &self.base_url, "baseURL", &self.config_file)?;
        Ok(s)
    }
}

/// The site's own base URL (`baseURL`, `base_url`) as its `url` and
/// `baseurl`, unless `[site]` sets them.
pub fn apply_base_url(
    s: &mut SiteSettings,
    config: &Config,
    base_url: &str,
    key: &str,
    file: &Path,
) -> Result<()> {
    if config.site.url.is_some() || base_url.is_empty() {
        return Ok(());
    }
    let (url, base) = split_base_url(base_url).ok_or_else(|| {
        SiteError::SiteConfig(format!(
            "`{key}` in `{}` must be an http(s) URL, not `{base_url}`",
            file.display()
        ))
    })?;
    s.url = url;
    if config.site.baseurl.is_none() {
        s.baseurl = base;
    }
    Ok(())
}

/// `https://example.org/blog/` → (`https://example.org`, `/blog`).
pub fn split_base_url(base: &str) -> Option<(String, String)> {
    let parsed = url::Url::parse(base.trim()).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let host = parsed.host_str()?;
    let origin = match parsed.port() {
        Some(p) => format!("{}://{host}:{p}", parsed.scheme()),
        None => format!("{}://{host}", parsed.scheme()),
    };
    let path = parsed.path().trim_matches('/');
    let path = if path.is_empty() {
        String::new()
    } else {
        format!("/{path}")
    };
    Some((origin, path))
}

impl Kind for Settings {
    fn content_dir(&self, site: &SiteSettings) -> PathBuf {
        site.root.join(&self.content_dir)
    }

    fn page(
        &self,
        file: &PageFile,
        data: &Mapping,
        _body: &str,
        site: &SiteSettings,
        now: DateTime<Utc>,
        problems: &mut Vec<(Option<usize>, WarningKind, String)>,
    ) -> Result<Page, Skip> {
        if content::is_true(data, "draft") {
            return Err(Skip::Unpublished);
        }
        let field = |key: &str, problems: &mut Vec<_>| {
            let lower = key.to_ascii_lowercase();
            content::date_field(data, key, site, problems)
                .or_else(|| content::date_field(data, &lower, site, problems))
        };
        let publish = field("publishDate", problems);
        let expiry = field("expiryDate", problems);
        if publish.is_some_and(|p| p > now) {
            return Err(Skip::Unpublished);
        }
        if expiry.is_some_and(|e| e <= now) {
            return Err(Skip::Unpublished);
        }
        let from_name = content::file_name_date(&file.stem, site);
        let date = field("date", problems)
            .or(publish)
            .or_else(|| field("lastmod", problems))
            .or(from_name.map(|(d, _)| d));
        let Some(date) = date else {
            return Err(Skip::Problem(
                None,
                WarningKind::NoDate,
                "skipped: no `date`, `publishDate` or `lastmod`".into(),
            ));
        };
        let title = content::title_of(data, &file.stem);
        let section = file.sections.first().cloned();
        let mut categories = match &self.category_key {
            Some(k) => content::merged_list(&[data.get(k.as_str())]),
            None => Vec::new(),
        };
        if categories.is_empty() {
            // The section is the category when the page names none.
            categories.extend(section.clone());
        }
        let tags = match &self.tag_key {
            Some(k) => content::merged_list(&[data.get(k.as_str())]),
            None => Vec::new(),
        };
        let slug = data
            .get("slug")
            .and_then(scalar)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        let path = match data.get("url").and_then(scalar) {
            Some(u) if !u.trim().is_empty() => {
                let u = u.trim().trim_start_matches('/');
                format!("/{u}")
            }
            _ => {
                let pattern = section.as_ref().and_then(|s| self.permalinks.get(s));
                match pattern {
                    Some(p) => expand(p, file, slug.as_deref(), &title, date),
                    None => {
                        let mut p = String::from("/");
                        for s in &file.sections {
                            p.push_str(s);
                            p.push('/');
                        }
                        p.push_str(slug.as_deref().unwrap_or(&file.stem));
                        p.push('/');
                        p
                    }
                }
            }
        };
        let path = if self.lower_paths {
            path.to_lowercase()
        } else {
            path
        };
        let post_url = format!(
            "{}{}{}",
            site.url,
            site.baseurl,
            permalink::escape_path(&path)
        );
        let image = content::first_image(
            data,
            &[
                "images",
                "image",
                "cover",
                "feature_image",
                "featured_image",
            ],
            &post_url,
            site,
        );
        let summary = ["summary", "description"]
            .iter()
            .find_map(|k| data.get(*k).and_then(scalar))
            .filter(|s| !s.trim().is_empty());
        Ok(Page {
            date,
            title,
            categories,
            tags,
            post_url,
            image,
            summary,
            separator: "<!--more-->".into(),
        })
    }
}

/// Expands a Hugo permalink pattern.
fn expand(
    pattern: &str,
    file: &PageFile,
    slug: Option<&str>,
    title: &str,
    date: DateTime<FixedOffset>,
) -> String {
    let title_slug = permalink::slugify(title, false);
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut rest = pattern;
    while let Some(i) = rest.find(':') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let len = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let token = &after[..len];
        let value = match token {
            "year" => Some(format!("{:04}", date.year())),
            "month" => Some(format!("{:02}", date.month())),
            "monthname" => Some(date.format("%B").to_string().to_lowercase()),
            "day" => Some(format!("{:02}", date.day())),
            "weekday" => Some(date.weekday().num_days_from_sunday().to_string()),
            "weekdayname" => Some(date.format("%A").to_string().to_lowercase()),
            "yearday" => Some(date.ordinal().to_string()),
            "section" => Some(file.sections.first().cloned().unwrap_or_default()),
            "sections" => Some(file.sections.join("/")),
            "title" => Some(title_slug.clone()),
            "slug" => Some(slug.map_or_else(|| title_slug.clone(), str::to_owned)),
            "filename" | "contentbasename" => Some(file.stem.clone()),
            "slugorfilename" | "slugorcontentbasename" => {
                Some(slug.map_or_else(|| file.stem.clone(), str::to_owned))
            }
            _ => None,
        };
        match value {
            Some(v) => out.push_str(&v),
            None => {
                out.push(':');
                out.push_str(token);
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    if !out.starts_with('/') {
        out.insert(0, '/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_splits() {
        assert_eq!(
            split_base_url("https://example.org/blog/"),
            Some(("https://example.org".into(), "/blog".into()))
        );
        assert_eq!(
            split_base_url("http://localhost:1313/"),
            Some(("http://localhost:1313".into(), String::new()))
        );
        assert_eq!(split_base_url("/relative"), None);
    }

    #[test]
    fn permalink_tokens() {
        let file = PageFile {
            path: PathBuf::new(),
            dir: None,
            rel: "content/posts/x.md".into(),
            sections: vec!["posts".into()],
            stem: "x".into(),
            path_stem: "posts/x".into(),
        };
        let date = DateTime::parse_from_rfc3339("2026-11-18T10:00:00+01:00").unwrap();
        assert_eq!(
            expand(
                "/:section/:year/:month/:slug/",
                &file,
                None,
                "Hello World",
                date
            ),
            "/posts/2026/11/hello-world/"
        );
        assert_eq!(
            expand(":year/:filename/", &file, Some("s"), "T", date),
            "/2026/x/"
        );
    }
}
