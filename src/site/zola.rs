//! Zola sites: `config.toml` (`base_url`, `title`, `default_language`) and
//! the pages under `content/`, with TOML front matter, `[taxonomies]`,
//! drafts, dates from the front matter or the file name, and Zola's URLs.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_yaml::{Mapping, Value};

use super::content::{self, Kind, Page, PageFile, Skip};
use super::post::scalar;
use super::{permalink, Result, SiteError, SiteSettings, WarningKind};
use crate::config::{Config, Language, SourceKind};

/// What a Zola site's config says that matters for its posts.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub config_file: PathBuf,
    pub base_url: String,
    pub title: Option<String>,
    pub language: Option<String>,
}

/// A folder is a Zola site when its `config.toml` has `base_url`.
pub fn is_zola(root: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(root.join("config.toml")) else {
        return false;
    };
    toml::from_str::<toml::Table>(&text).is_ok_and(|t| t.contains_key("base_url"))
}

impl Settings {
    pub fn read(root: &Path) -> Result<Settings> {
        let path = root.join("config.toml");
        if !path.is_file() {
            return Ok(Settings::default());
        }
        let data = super::matter::config_file(&path).map_err(SiteError::SiteConfig)?;
        let text = |k: &str| data.get(k).and_then(scalar).map(|s| s.trim().to_owned());
        Ok(Settings {
            base_url: text("base_url").unwrap_or_default(),
            title: text("title"),
            language: text("default_language"),
            config_file: path,
        })
    }

    /// The source's settings: `config.toml`'s `[site]` first, then Zola's.
    pub fn site_settings(&self, config: &Config, root: PathBuf) -> Result<SiteSettings> {
        let mut s = super::source::generic_settings(config, root, SourceKind::Zola)?;
        if config.site.title.is_none() {
            if let Some(t) = &self.title {
                s.title = t.clone();
            }
        }
        if config.site.language.is_none() {
            if let Some(code) = &self.language {
                if code.to_ascii_lowercase().starts_with("en") {
                    s.language = Language::En;
                }
            }
        }
        super::hugo::apply_base_url(
            &mut s,
            config,
            &self.base_url,
            "base_url",
            &self.config_file,
        )?;
        Ok(s)
    }
}

impl Kind for Settings {
    fn content_dir(&self, site: &SiteSettings) -> PathBuf {
        site.root.join("content")
    }

    fn page(
        &self,
        file: &PageFile,
        data: &Mapping,
        _body: &str,
        site: &SiteSettings,
        _now: DateTime<Utc>,
        problems: &mut Vec<(Option<usize>, WarningKind, String)>,
    ) -> Result<Page, Skip> {
        if content::is_true(data, "draft") {
            return Err(Skip::Unpublished);
        }
        let from_name = content::file_name_date(&file.stem, site);
        let date = content::date_field(data, "date", site, problems)
            .or_else(|| content::date_field(data, "updated", site, problems))
            .or(from_name.map(|(d, _)| d));
        let Some(date) = date else {
            return Err(Skip::Problem(
                None,
                WarningKind::NoDate,
                "skipped: no `date` in the front matter or the file name".into(),
            ));
        };
        // Zola drops the file name's date from the slug.
        let name_slug = from_name.map_or(file.stem.as_str(), |(_, rest)| rest);
        let title = content::title_of(data, name_slug);
        let taxonomies = match data.get("taxonomies") {
            Some(Value::Mapping(m)) => m.clone(),
            _ => Mapping::new(),
        };
        let categories =
            content::merged_list(&[taxonomies.get("categories"), taxonomies.get("category")]);
        let tags = content::merged_list(&[taxonomies.get("tags")]);
        let path = match data.get("path").and_then(scalar) {
            Some(p) if !p.trim().is_empty() => {
                let p = p.trim().trim_matches('/');
                format!("/{p}/")
            }
            _ => {
                let slug = data
                    .get("slug")
                    .and_then(scalar)
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| permalink::slugify(name_slug, false));
                let mut p = String::from("/");
                for s in &file.sections {
                    p.push_str(&permalink::slugify(s, false));
                    p.push('/');
                }
                p.push_str(&slug);
                p.push('/');
                p
            }
        };
        let post_url = format!(
            "{}{}{}",
            site.url,
            site.baseurl,
            permalink::escape_path(&path)
        );
        let extra = match data.get("extra") {
            Some(Value::Mapping(m)) => m.clone(),
            _ => Mapping::new(),
        };
        let image = content::first_image(data, &["image"], &post_url, site).or_else(|| {
            content::first_image(
                &extra,
                &["image", "cover_image", "feature_image", "banner"],
                &post_url,
                site,
            )
        });
        let summary = data
            .get("description")
            .and_then(scalar)
            .filter(|s| !s.trim().is_empty());
        Ok(Page {
            date,
            title,
            categories,
            tags,
            post_url,
            image,
            summary,
            separator: "<!-- more -->".into(),
        })
    }
}
