//! Sources: what each configured source is (named in `kind`, else detected
//! from the folder), the settings of each, and loading them all into one
//! list of posts with each post's `origin`.
//!
//! `site.source` is the one source of a simple config; `[[source]]` tables
//! name several. `[site]` keys (title, url, timezone, …) apply to every
//! source and win over each site's own config file.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use super::{fetch, hugo, load_jekyll, zola, LoadOptions, Loaded, Result, SiteError, SiteSettings};
use crate::config::{is_http_url, Config, Language, SourceConfig, SourceKind};

/// One source of posts, resolved.
#[derive(Debug, Clone)]
pub struct Source {
    /// Shown as each post's `origin`; for a feed without a configured name
    /// it is filled in from the feed's title when it is read.
    pub name: String,
    pub kind: SourceKind,
    /// A category every post of this source gets.
    pub category: Option<String>,
    /// The settings its posts are built with.
    pub settings: SiteSettings,
    pub rules: Rules,
}

/// What is particular to each kind of source.
#[derive(Debug, Clone)]
pub enum Rules {
    Jekyll,
    Hugo(hugo::Settings),
    Zola(zola::Settings),
    Markdown,
    Feed(fetch::FeedLocation),
}

/// Resolves every source; the result's own fields are the first source's
/// settings (the digest's title, timezone and language).
pub fn resolve(config: &Config) -> Result<SiteSettings> {
    let specs: Vec<SourceConfig> = if config.sources.is_empty() {
        let text = config.site.source.to_string_lossy().into_owned();
        let (path, url) = if is_http_url(&text) {
            (None, Some(text))
        } else {
            (Some(config.site.source.clone()), None)
        };
        vec![SourceConfig {
            path,
            url,
            kind: config.site.kind,
            category: None,
            name: None,
            post_url: config.site.post_url.clone(),
        }]
    } else {
        config.sources.clone()
    };
    let mut sources = Vec::with_capacity(specs.len());
    for spec in &specs {
        sources.push(resolve_one(config, spec)?);
    }
    let mut top = sources[0].settings.clone();
    top.sources = sources;
    Ok(top)
}

fn resolve_one(config: &Config, spec: &SourceConfig) -> Result<Source> {
    if let Some(url) = &spec.url {
        let settings = generic_settings(config, PathBuf::new(), SourceKind::Feed)?;
        return Ok(Source {
            name: spec.name.clone().unwrap_or_default(),
            kind: SourceKind::Feed,
            category: spec.category.clone(),
            settings,
            rules: Rules::Feed(fetch::FeedLocation::Url(url.clone())),
        });
    }
    // Config validation made sure there is a path when there is no URL.
    let path = spec.path.clone().unwrap_or_default();
    if !path.exists() {
        return Err(SiteError::NoSite {
            root: path,
            config: config.path.clone(),
        });
    }
    let kind = match spec.kind {
        SourceKind::Auto => detect(&path),
        k => k,
    };
    if kind != SourceKind::Feed && !path.is_dir() {
        return Err(SiteError::FileNotFeed(path));
    }
    let (mut settings, rules) = match kind {
        SourceKind::Jekyll | SourceKind::Auto => (
            SiteSettings::resolve_jekyll(config, path.clone())?,
            Rules::Jekyll,
        ),
        SourceKind::Hugo => {
            let hugo = hugo::Settings::read(&path)?;
            let settings = hugo.site_settings(config, path.clone())?;
            (settings, Rules::Hugo(hugo))
        }
        SourceKind::Zola => {
            let zola = zola::Settings::read(&path)?;
            let settings = zola.site_settings(config, path.clone())?;
            (settings, Rules::Zola(zola))
        }
        SourceKind::Markdown => (
            generic_settings(config, path.clone(), SourceKind::Markdown)?,
            Rules::Markdown,
        ),
        SourceKind::Feed => (
            generic_settings(config, PathBuf::new(), SourceKind::Feed)?,
            Rules::Feed(fetch::FeedLocation::File(path.clone())),
        ),
    };
    if let Some(p) = &spec.post_url {
        settings.post_url = Some(p.clone());
    }
    // The source's own title names it, not `[site] title` (the digest's).
    let own_title = match &rules {
        Rules::Hugo(h) => h.title.clone(),
        Rules::Zola(z) => z.title.clone(),
        Rules::Jekyll => super::read_jekyll_config(&path)
            .ok()
            .and_then(|m| m.get("title").and_then(super::post::scalar)),
        Rules::Markdown | Rules::Feed(_) => None,
    };
    let name = match &spec.name {
        Some(n) => n.clone(),
        None if kind == SourceKind::Feed => String::new(),
        None => own_title
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .or_else(|| config.site.title.clone())
            .unwrap_or_else(|| folder_name(&path)),
    };
    Ok(Source {
        name,
        kind,
        category: spec.category.clone(),
        settings,
        rules,
    })
}

fn folder_name(path: &Path) -> String {
    path.canonicalize()
        .ok()
        .as_deref()
        .unwrap_or(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Which generator a folder belongs to, from the files it holds. A file is
/// a feed.
pub fn detect(path: &Path) -> SourceKind {
    if path.is_file() {
        return SourceKind::Feed;
    }
    if path.join("_config.yml").is_file() || path.join("_posts").is_dir() {
        return SourceKind::Jekyll;
    }
    if hugo::config_file(path).is_some() {
        return SourceKind::Hugo;
    }
    if zola::is_zola(path) {
        return SourceKind::Zola;
    }
    let (posts_folder, markdown) = scan(path, 4);
    if markdown && !posts_folder {
        SourceKind::Markdown
    } else {
        // Jekyll also when `_posts` sits deeper (`<category>/_posts`), and
        // for an empty folder, as before there were other kinds.
        SourceKind::Jekyll
    }
}

/// Whether a `_posts` folder and Markdown files are within `depth` levels.
fn scan(dir: &Path, depth: usize) -> (bool, bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (false, false);
    };
    let mut markdown = false;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && name == "_posts" {
            return (true, markdown);
        }
        if is_dir && depth > 1 && !name.starts_with('.') && name != "node_modules" {
            let (p, m) = scan(&entry.path(), depth - 1);
            if p {
                return (true, markdown);
            }
            markdown |= m;
        } else if !is_dir {
            let lower = name.to_ascii_lowercase();
            markdown |= lower.ends_with(".md") || lower.ends_with(".markdown");
        }
    }
    (false, markdown)
}

/// Settings from `config.toml` alone, for a source without a config file
/// of its own (a Markdown folder, a feed).
pub fn generic_settings(config: &Config, root: PathBuf, kind: SourceKind) -> Result<SiteSettings> {
    let site = &config.site;
    let timezone = match &site.timezone {
        Some(zone) => zone.0,
        None => Tz::UTC,
    };
    let baseurl = site.baseurl.clone().unwrap_or_default();
    let baseurl = baseurl.trim().trim_matches('/');
    Ok(SiteSettings {
        root,
        title: site.title.clone().unwrap_or_else(|| "Digest".to_owned()),
        url: site
            .url
            .clone()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned(),
        baseurl: if baseurl.is_empty() {
            String::new()
        } else {
            format!("/{baseurl}")
        },
        timezone,
        language: site.language.unwrap_or(Language::Nl),
        permalink: site.permalink.clone().unwrap_or_else(|| "date".to_owned()),
        excerpt_separator: site
            .excerpt_separator
            .clone()
            .unwrap_or_else(|| "\n\n".to_owned()),
        exclude: Vec::new(),
        kind,
        sources: Vec::new(),
        state_dir: config.delivery.state_dir.clone(),
        post_url: site.post_url.clone(),
    })
}

/// Loads every source and merges their posts, newest first.
pub fn load_all(site: &SiteSettings, options: &LoadOptions) -> Result<Loaded> {
    if site.sources.is_empty() {
        // Settings built by hand for one Jekyll folder.
        return load_jekyll(site, options);
    }
    let mut all = Loaded::default();
    for source in &site.sources {
        let (mut loaded, name) = load_one(source, options)?;
        let root = if source.kind == SourceKind::Feed {
            String::new()
        } else {
            source.settings.root.display().to_string()
        };
        for w in &mut loaded.warnings {
            if w.root.is_empty() {
                w.root = root.clone();
            }
        }
        for p in &mut loaded.posts {
            p.origin = name.clone();
            if let Some(c) = &source.category {
                let c = c.trim();
                if !c.is_empty() && !p.categories.iter().any(|have| have.eq_ignore_ascii_case(c)) {
                    // First, so the post is listed in that section.
                    p.categories.insert(0, c.to_owned());
                }
            }
        }
        all.posts.append(&mut loaded.posts);
        all.warnings.append(&mut loaded.warnings);
        all.files += loaded.files;
        all.unpublished += loaded.unpublished;
        all.outside_window += loaded.outside_window;
    }
    all.posts.sort_by(|a, b| {
        b.date
            .cmp(&a.date)
            .then_with(|| a.origin.cmp(&b.origin))
            .then_with(|| a.source.cmp(&b.source))
    });
    Ok(all)
}

fn load_one(source: &Source, options: &LoadOptions) -> Result<(Loaded, String)> {
    let loaded = match &source.rules {
        Rules::Jekyll => load_jekyll(&source.settings, options)?,
        Rules::Hugo(h) => super::content::load(&source.settings, h, options)?,
        Rules::Zola(z) => super::content::load(&source.settings, z, options)?,
        Rules::Markdown => {
            super::content::load(&source.settings, &super::markdown::Markdown, options)?
        }
        Rules::Feed(location) => {
            let (loaded, title) = super::feed::load(location, &source.settings, options);
            let name = if !source.name.is_empty() {
                source.name.clone()
            } else {
                title.unwrap_or_else(|| location.host_or_file())
            };
            return Ok((loaded, name));
        }
    };
    Ok((loaded, source.name.clone()))
}
