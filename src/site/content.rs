//! Content folders (Hugo, Zola, Markdown): finding the page files, reading
//! their front matter in any of its three formats, and building posts. What
//! differs per generator (dates, drafts, URLs, categories) is a [`Kind`].
//!
//! As with Jekyll, a broken page never stops a load: each problem is one
//! warning naming the file (and line) and the rest goes on.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveTime, Utc};
use rayon::prelude::*;
use serde_yaml::{Mapping, Value};

use super::matter::{self, MatterError};
use super::post::{self, scalar};
use super::{
    summary, LoadOptions, Loaded, Post, Result, SiteError, SiteSettings, Warning, WarningKind,
};

/// A page file under the content folder.
#[derive(Debug, Clone)]
pub struct PageFile {
    pub path: PathBuf,
    /// The open folder that holds the file, when it could be opened: the
    /// file is read relative to it, without walking its path again.
    pub dir: Option<Arc<File>>,
    /// Relative to the source's root, `/`-separated.
    pub rel: String,
    /// The folders between the content folder and the page (for a bundle,
    /// the folders above the bundle's own).
    pub sections: Vec<String>,
    /// The file's name without extension; a bundle's folder name.
    pub stem: String,
    /// The path under the content folder without extension, `/`-separated
    /// (a bundle's folder path).
    pub path_stem: String,
}

/// What a generator decides about one page.
pub struct Page {
    pub date: DateTime<FixedOffset>,
    pub title: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub post_url: String,
    pub image: Option<String>,
    /// The summary's own text, when the front matter has one.
    pub summary: Option<String>,
    /// What ends the summary in the body (`<!--more-->`).
    pub separator: String,
}

/// Why a page is not a post.
pub enum Skip {
    /// A draft, not yet published, or expired.
    Unpublished,
    /// A problem worth a warning.
    Problem(Option<usize>, WarningKind, String),
}

/// The rules of one generator.
pub trait Kind: Sync {
    /// The folder the pages live in.
    fn content_dir(&self, site: &SiteSettings) -> PathBuf;
    /// A page that is not a post (a section's `_index.md`).
    fn skips(&self, file_name: &str) -> bool {
        file_name.starts_with('_')
    }
    /// Builds the page; `problems` collects what is odd but not fatal.
    fn page(
        &self,
        file: &PageFile,
        data: &Mapping,
        body: &str,
        site: &SiteSettings,
        now: DateTime<Utc>,
        problems: &mut Vec<(Option<usize>, WarningKind, String)>,
    ) -> Result<Page, Skip>;
}

/// Loads every page of a content folder. Work is spread over all cores.
pub fn load(site: &SiteSettings, kind: &dyn Kind, options: &LoadOptions) -> Result<Loaded> {
    let dir = kind.content_dir(site);
    let mut files = Vec::new();
    walk(&dir, &site.root, &mut Vec::new(), kind, &mut files).map_err(|source| {
        SiteError::Content {
            path: dir.clone(),
            source,
        }
    })?;
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    let now = Utc::now();
    let results: Vec<PageOutcome> = files
        .par_iter()
        .map(|f| load_page(site, kind, options, f, now))
        .collect();
    let mut loaded = Loaded {
        files: files.len(),
        ..Loaded::default()
    };
    for (outcome, warnings) in results {
        loaded.warnings.extend(warnings);
        match outcome {
            Some(Ok(p)) => loaded.posts.push(p),
            Some(Err(Skip::Unpublished)) => loaded.unpublished += 1,
            Some(Err(Skip::Problem(..))) => {}
            None => loaded.outside_window += 1,
        }
    }
    loaded
        .posts
        .sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.source.cmp(&b.source)));
    Ok(loaded)
}

fn is_page_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

fn walk(
    dir: &Path,
    root: &Path,
    sections: &mut Vec<String>,
    kind: &dyn Kind,
    out: &mut Vec<PageFile>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    let handle = File::open(dir).ok().map(Arc::new);
    let is_bundle = entries.iter().any(|e| {
        e.file_name()
            .to_str()
            .is_some_and(|n| n == "index.md" || n == "index.markdown")
    }) && !sections.is_empty();
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(['.', '#', '~']) || name.ends_with('~') {
            continue;
        }
        let file_type = entry.file_type()?;
        let path = entry.path();
        if file_type.is_dir() {
            if is_bundle
                || name.starts_with('_')
                || matches!(name.as_str(), "node_modules" | "vendor")
            {
                // A bundle's subfolders hold its resources, not pages.
                continue;
            }
            sections.push(name);
            walk(&path, root, sections, kind, out)?;
            sections.pop();
            continue;
        }
        if !is_page_file(&name) || kind.skips(&name) {
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let file_stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        let (stem, page_sections) = if is_bundle && file_stem == "index" {
            let mut s = sections.clone();
            let own = s.pop().unwrap_or_default();
            (own, s)
        } else {
            (file_stem.to_owned(), sections.clone())
        };
        let mut path_stem = page_sections.join("/");
        if !path_stem.is_empty() {
            path_stem.push('/');
        }
        path_stem.push_str(&stem);
        out.push(PageFile {
            path,
            dir: handle.clone(),
            rel,
            sections: page_sections,
            stem,
            path_stem,
        });
    }
    Ok(())
}

/// A page's post (`None`: outside the window; `Err`: not a post) and warnings.
type PageOutcome = (Option<Result<Post, Skip>>, Vec<Warning>);

fn load_page(
    site: &SiteSettings,
    kind: &dyn Kind,
    options: &LoadOptions,
    file: &PageFile,
    now: DateTime<Utc>,
) -> PageOutcome {
    let mut warnings = Vec::new();
    let mut warn = |line: Option<usize>, kind: WarningKind, message: String| {
        warnings.push(Warning {
            root: String::new(),
            path: file.rel.clone(),
            line,
            kind,
            message,
        });
    };
    let outcome = build(site, kind, options, file, now, &mut warn);
    if let Some(Err(Skip::Problem(line, k, message))) = &outcome {
        warn(*line, *k, message.clone());
    }
    (outcome, warnings)
}

fn build(
    site: &SiteSettings,
    kind: &dyn Kind,
    options: &LoadOptions,
    file: &PageFile,
    now: DateTime<Utc>,
    warn: &mut dyn FnMut(Option<usize>, WarningKind, String),
) -> Option<Result<Post, Skip>> {
    thread_local! {
        // One read buffer per loader thread: no allocation per file.
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(64 * 1024));
    }
    BUF.with_borrow_mut(|buf| {
        let read = match &file.dir {
            Some(dir) => super::walk::read_at(dir, file.path.file_name().unwrap_or_default(), buf),
            None => {
                buf.clear();
                File::open(&file.path)
                    .and_then(|mut f| std::io::Read::read_to_end(&mut f, buf).map(|_| ()))
            }
        };
        if let Err(e) = read {
            return Some(Err(Skip::Problem(
                None,
                WarningKind::Unreadable,
                format!("cannot read: {e}"),
            )));
        }
        build_from(site, kind, options, file, now, buf, warn)
    })
}

fn build_from(
    site: &SiteSettings,
    kind: &dyn Kind,
    options: &LoadOptions,
    file: &PageFile,
    now: DateTime<Utc>,
    bytes: &[u8],
    warn: &mut dyn FnMut(Option<usize>, WarningKind, String),
) -> Option<Result<Post, Skip>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Some(Err(Skip::Problem(
                Some(line),
                WarningKind::NotUtf8,
                "skipped: not valid UTF-8".into(),
            )));
        }
    };
    let empty = Mapping::new();
    let read;
    let (data, body) = match matter::read(text) {
        Ok(m) => {
            read = m;
            (&read.data, read.body)
        }
        Err(MatterError::Missing) => {
            warn(
                Some(1),
                WarningKind::NoFrontMatter,
                "no front matter (`---`, `+++` or `{` on the first line)".into(),
            );
            (&empty, text)
        }
        Err(MatterError::Unclosed(format)) => {
            warn(
                Some(1),
                WarningKind::UnclosedFrontMatter,
                format!("{} front matter is never closed", format.name()),
            );
            (&empty, text)
        }
        Err(MatterError::Invalid {
            format,
            line,
            message,
        }) => {
            warn(
                line,
                WarningKind::BadYaml,
                format!(
                    "malformed {} front matter: {message}; the page gets no title, date or categories from it",
                    format.name()
                ),
            );
            (&empty, text)
        }
    };
    let mut problems = Vec::new();
    let page = kind.page(file, data, body, site, now, &mut problems);
    for (line, k, message) in problems {
        warn(line, k, message);
    }
    let page = match page {
        Ok(p) => p,
        Err(skip) => return Some(Err(skip)),
    };
    if let Some(w) = &options.window {
        if !w.contains(&page.date) {
            return None;
        }
    }
    let external_link = post::first_http(
        data,
        &["externe_link", "external_link", "external_url", "link"],
        site,
        false,
    );
    let url = external_link
        .clone()
        .unwrap_or_else(|| page.post_url.clone());
    let summary = match options.summary_length {
        Some(max) => {
            let mut own = Mapping::new();
            if let Some(s) = &page.summary {
                own.insert(Value::String("excerpt".into()), Value::String(s.clone()));
            }
            let separator = if body.contains(&page.separator) {
                page.separator.as_str()
            } else {
                "\n\n"
            };
            summary::summarize(&own, body, true, separator, max)
        }
        None => String::new(),
    };
    Some(Ok(Post {
        title: page.title,
        date: page.date,
        categories: page.categories,
        url,
        external_link,
        post_url: page.post_url,
        image: page.image,
        summary,
        source: file.rel.clone(),
        origin: String::new(),
        tags: page.tags,
        story: String::new(),
        also: None,
        rank: 0,
        story_posts: 1,
        featured: data.get("featured").is_some_and(super::post::truthy),
        priority: data
            .get("priority")
            .and_then(super::post::integer)
            .unwrap_or(0),
    }))
}

/// A front-matter date key, parsed in the site's timezone. A bad value is
/// reported and treated as absent.
pub fn date_field(
    data: &Mapping,
    key: &str,
    site: &SiteSettings,
    problems: &mut Vec<(Option<usize>, WarningKind, String)>,
) -> Option<DateTime<FixedOffset>> {
    let v = data.get(key)?;
    match scalar(v) {
        Some(s) if s.trim().is_empty() => None,
        Some(s) => match super::date::parse_date(&s, site.timezone) {
            Ok(d) => Some(d),
            Err(e) => {
                problems.push((
                    None,
                    WarningKind::BadDate,
                    format!("cannot parse `{key}`: {e}"),
                ));
                None
            }
        },
        None if v.is_null() => None,
        None => {
            problems.push((None, WarningKind::BadDate, format!("`{key}` is not a date")));
            None
        }
    }
}

/// The date at the start of a file name (`2026-11-18-slug`), and the rest.
pub fn file_name_date<'a>(
    stem: &'a str,
    site: &SiteSettings,
) -> Option<(DateTime<FixedOffset>, &'a str)> {
    let head = stem.get(..10)?;
    let date = chrono::NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()?;
    let rest = stem[10..].trim_start_matches(['-', '_']);
    Some((
        crate::window::in_zone(date.and_time(NaiveTime::MIN), site.timezone),
        rest,
    ))
}

/// A true boolean front-matter key (`draft: true`, `draft = "true"`).
pub fn is_true(data: &Mapping, key: &str) -> bool {
    match data.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "yes"),
        _ => false,
    }
}

/// The title from the front matter, cleaned; else one made from the slug.
pub fn title_of(data: &Mapping, fallback_slug: &str) -> String {
    data.get("title")
        .and_then(scalar)
        .map(|t| super::text::clean_title(&t))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| post::titleize(fallback_slug))
}

/// The items of list keys, de-duplicated case-insensitively, in order.
pub fn merged_list(values: &[Option<&Value>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        for item in list_items(*v) {
            if !out.iter().any(|have| have.eq_ignore_ascii_case(&item)) {
                out.push(item);
            }
        }
    }
    out
}

/// Hugo and Zola taxonomy terms keep their spaces (`"Local News"`): a list
/// is taken item by item; a lone string is one term.
fn list_items(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(scalar)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        Some(other) => scalar(other)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .into_iter()
            .collect(),
        None => Vec::new(),
    }
}

/// An image path made absolute: an http(s) URL as is, a site path against
/// the site, a bare file name against the page (a bundle's resource).
pub fn image_url(raw: &str, post_url: &str, site: &SiteSettings) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if !raw.starts_with('/') && !raw.contains(':') && !raw.starts_with("//") {
        let base = if post_url.ends_with('/') {
            post_url.to_owned()
        } else {
            format!("{post_url}/")
        };
        let candidate = format!("{base}{raw}");
        return crate::config::is_http_url(&candidate).then_some(candidate);
    }
    post::absolute_http(raw, site)
}

/// The first image among the keys, each a string, a list (first item) or a
/// table with `image`/`url`/`path` (`cover.image`).
pub fn first_image(
    data: &Mapping,
    keys: &[&str],
    post_url: &str,
    site: &SiteSettings,
) -> Option<String> {
    keys.iter().find_map(|k| {
        let v = data.get(*k)?;
        let raw = match v {
            Value::Sequence(items) => items.first().and_then(scalar)?,
            Value::Mapping(m) => ["image", "url", "path", "src"]
                .iter()
                .find_map(|k| m.get(*k).and_then(scalar))?,
            other => scalar(other)?,
        };
        image_url(&raw, post_url, site)
    })
}
