//! Markdown folders (Eleventy, Astro content collections, notes): any
//! folder of `.md`/`.markdown` files with front matter. The date comes from
//! `date` or the file name; the post URL from `site.post_url`.

use std::path::PathBuf;

use chrono::{DateTime, Datelike, Utc};
use serde_yaml::Mapping;

use super::content::{self, Kind, Page, PageFile, Skip};
use super::post::scalar;
use super::{permalink, SiteSettings, WarningKind};

/// The rules of a plain Markdown folder.
pub struct Markdown;

/// Tags that name a collection, not a subject.
const COLLECTION_TAGS: [&str; 2] = ["post", "posts"];

impl Kind for Markdown {
    fn content_dir(&self, site: &SiteSettings) -> PathBuf {
        site.root.clone()
    }

    fn skips(&self, file_name: &str) -> bool {
        file_name.starts_with('_')
            || matches!(
                file_name.to_ascii_lowercase().as_str(),
                "readme.md" | "changelog.md" | "license.md"
            )
    }

    fn page(
        &self,
        file: &PageFile,
        data: &Mapping,
        body: &str,
        site: &SiteSettings,
        _now: DateTime<Utc>,
        problems: &mut Vec<(Option<usize>, WarningKind, String)>,
    ) -> Result<Page, Skip> {
        if file.path_stem == "index" {
            // The folder's home page, not a post.
            return Err(Skip::Unpublished);
        }
        if content::is_true(data, "draft") || !super::post::is_published(data) {
            return Err(Skip::Unpublished);
        }
        let from_name = content::file_name_date(&file.stem, site);
        let date = content::date_field(data, "date", site, problems)
            .or_else(|| content::date_field(data, "pubDate", site, problems))
            .or(from_name.map(|(d, _)| d));
        let Some(date) = date else {
            return Err(Skip::Problem(
                None,
                WarningKind::NoDate,
                "skipped: no `date` in the front matter and no `YYYY-MM-DD-` in the file name"
                    .into(),
            ));
        };
        let name_slug = from_name.map_or(file.stem.as_str(), |(_, rest)| rest);
        let slug = data
            .get("slug")
            .and_then(scalar)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| permalink::slugify(name_slug, false));
        let title = match data.get("title").and_then(scalar) {
            Some(_) => content::title_of(data, name_slug),
            // Notes often carry their title as the first heading.
            None => body
                .lines()
                .find_map(|l| l.strip_prefix("# "))
                .map(super::text::clean_title)
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| super::post::titleize(name_slug)),
        };
        let mut categories = content::merged_list(&[data.get("categories"), data.get("category")]);
        let tags: Vec<String> = content::merged_list(&[data.get("tags")])
            .into_iter()
            .filter(|t| !COLLECTION_TAGS.contains(&t.to_lowercase().as_str()))
            .collect();
        if categories.is_empty() {
            categories = tags.clone();
        }
        let path_stem = match file.path_stem.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{slug}"),
            None => slug.clone(),
        };
        let post_url = match &site.post_url {
            Some(pattern) if pattern.starts_with('/') => {
                format!(
                    "{}{}{}",
                    site.url,
                    site.baseurl,
                    expand(pattern, &slug, &path_stem, date)
                )
            }
            Some(pattern) => expand(pattern, &slug, &path_stem, date),
            None => format!(
                "{}{}/{}/",
                site.url,
                site.baseurl,
                permalink::escape_path(&path_stem)
            ),
        };
        let image = content::first_image(
            data,
            &[
                "image",
                "cover",
                "heroImage",
                "feature_image",
                "featured_image",
            ],
            &post_url,
            site,
        );
        let summary = ["excerpt", "description", "summary"]
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
            separator: site.excerpt_separator.clone(),
        })
    }
}

/// Fills a `post_url` pattern: `{slug}`, `{path}`, `{year}`, `{month}`, `{day}`.
fn expand(
    pattern: &str,
    slug: &str,
    path: &str,
    date: chrono::DateTime<chrono::FixedOffset>,
) -> String {
    pattern
        .replace("{slug}", &permalink::escape_path(slug))
        .replace("{path}", &permalink::escape_path(path))
        .replace("{year}", &format!("{:04}", date.year()))
        .replace("{month}", &format!("{:02}", date.month()))
        .replace("{day}", &format!("{:02}", date.day()))
}
