//! The site: its settings and its posts. A Jekyll folder is loaded the way
//! Jekyll does (here); other kinds of source live in their own modules and
//! [`source`] picks and merges them.
//!
//! A broken post never stops a load: each problem becomes one [`Warning`]
//! naming the file (and line, when known) and the rest goes on. Only a
//! missing site folder or an unreadable `_config.yml` is an error.

mod content;
pub mod date;
pub mod feed;
mod feed_repair;
mod feed_state;
pub mod fetch;
pub mod frontmatter;
mod hugo;
mod markdown;
pub mod matter;
pub mod permalink;
pub mod post;
pub mod source;
pub mod summary;
pub mod text;
mod walk;
mod zola;

use std::fmt;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use rayon::prelude::*;
use serde_yaml::{Mapping, Value};

use crate::config::{parse_timezone, Config, Language, SourceKind};
use crate::window::Window;
pub use post::{Also, Post};

/// The site's settings: `config.toml` first, then `_config.yml`, then Jekyll's defaults.
#[derive(Debug, Clone)]
pub struct SiteSettings {
    pub root: PathBuf,
    pub title: String,
    /// `https://example.org`, no trailing slash; empty when unknown.
    pub url: String,
    /// `""` or `/blog`: a leading slash, no trailing one.
    pub baseurl: String,
    pub timezone: Tz,
    pub language: Language,
    pub permalink: String,
    pub excerpt_separator: String,
    /// Top-level paths `_config.yml` excludes from the build.
    pub exclude: Vec<String>,
    /// What kind of source these settings describe.
    pub kind: SourceKind,
    /// Every source of the digest; empty in one source's own settings.
    pub sources: Vec<source::Source>,
    /// Where fetched feeds are remembered (`delivery.state_dir`).
    pub state_dir: PathBuf,
    /// A Markdown folder's post URL pattern.
    pub post_url: Option<String>,
}

/// A site that cannot be read at all (a broken post is a [`Warning`]).
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("site folder `{root}` does not exist (set `site.source` in `{config}`)")]
    NoSite { root: PathBuf, config: PathBuf },
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse `{path}{at}`")]
    Yaml {
        path: PathBuf,
        at: String,
        #[source]
        source: serde_yaml::Error,
    },
    #[error("`{0}` is not a mapping of settings")]
    NotAMapping(PathBuf),
    #[error("source `{0}` is a file, so it can only be a feed (kind `feed`)")]
    FileNotFeed(PathBuf),
    /// A Hugo or Zola config that cannot be used; the message names the file.
    #[error("{0}")]
    SiteConfig(String),
    #[error("cannot read the content folder `{path}`")]
    Content {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`timezone` in `_config.yml`: {0}")]
    Timezone(String),
    #[error("site `url` must be an http(s) URL, not `{0}`")]
    Url(String),
}

pub type Result<T, E = SiteError> = std::result::Result<T, E>;

impl SiteSettings {
    /// Resolves the settings of the digest and of each of its sources,
    /// reading each site's own config file.
    pub fn resolve(config: &Config) -> Result<SiteSettings> {
        source::resolve(config)
    }

    /// A Jekyll folder's settings: `config.toml` first, then `_config.yml`.
    pub(crate) fn resolve_jekyll(config: &Config, root: PathBuf) -> Result<SiteSettings> {
        if !root.is_dir() {
            return Err(SiteError::NoSite {
                root,
                config: config.path.clone(),
            });
        }
        let jekyll = read_jekyll_config(&root)?;
        let get = |key: &str| {
            jekyll
                .get(key)
                .and_then(post::scalar)
                .map(|s| s.trim().to_owned())
        };
        let site = &config.site;
        let timezone = match (site.timezone, get("timezone")) {
            (Some(zone), _) => zone.0,
            (None, Some(name)) => parse_timezone(&name).map_err(|e| SiteError::Timezone(e.0))?,
            (None, None) => Tz::UTC,
        };
        let url = site.url.clone().or_else(|| get("url")).unwrap_or_default();
        let url = url.trim_end_matches('/').to_owned();
        if !url.is_empty() && !crate::config::is_http_url(&url) {
            return Err(SiteError::Url(url));
        }
        let baseurl = site
            .baseurl
            .clone()
            .or_else(|| get("baseurl"))
            .unwrap_or_default();
        let baseurl = baseurl.trim().trim_matches('/');
        let baseurl = if baseurl.is_empty() {
            String::new()
        } else {
            format!("/{baseurl}")
        };
        let language =
            site.language
                .unwrap_or_else(|| match get("lang").or_else(|| get("language")) {
                    Some(l) if l.to_ascii_lowercase().starts_with("en") => Language::En,
                    _ => Language::Nl,
                });
        let exclude = match jekyll.get("exclude") {
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(post::scalar)
                .map(|s| s.trim().trim_matches('/').to_owned())
                .collect(),
            _ => Vec::new(),
        };
        Ok(SiteSettings {
            title: site
                .title
                .clone()
                .or_else(|| get("title"))
                .unwrap_or_else(|| "Digest".to_owned()),
            url,
            baseurl,
            timezone,
            language,
            permalink: site
                .permalink
                .clone()
                .or_else(|| get("permalink"))
                .unwrap_or_else(|| "date".to_owned()),
            excerpt_separator: site
                .excerpt_separator
                .clone()
                .or_else(|| jekyll.get("excerpt_separator").and_then(post::scalar))
                .unwrap_or_else(|| "\n\n".to_owned()),
            exclude,
            root,
            kind: SourceKind::Jekyll,
            sources: Vec::new(),
            state_dir: config.delivery.state_dir.clone(),
            post_url: site.post_url.clone(),
        })
    }
}

fn read_jekyll_config(root: &Path) -> Result<Mapping> {
    let path = root.join("_config.yml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Mapping::new()),
        Err(source) => return Err(SiteError::Io { path, source }),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match serde_yaml::from_str::<Value>(text) {
        Ok(Value::Mapping(m)) => Ok(m),
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(_) => Err(SiteError::NotAMapping(path)),
        Err(source) => {
            let at = source
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            Err(SiteError::Yaml { path, at, source })
        }
    }
}

/// The kinds of problems a post file can have, for counting and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WarningKind {
    NotAPost,
    DataFile,
    Unreadable,
    EmptyFile,
    NotUtf8,
    NoFrontMatter,
    UnclosedFrontMatter,
    BadYaml,
    DuplicateKey,
    BadDate,
    BadFileDate,
    NoDate,
    FeedUnavailable,
    FeedStale,
    BadFeed,
    BadItem,
}

impl WarningKind {
    pub fn name(self) -> &'static str {
        match self {
            WarningKind::NotAPost => "not a post",
            WarningKind::DataFile => "data file in _posts",
            WarningKind::Unreadable => "unreadable file",
            WarningKind::EmptyFile => "empty file",
            WarningKind::NotUtf8 => "not UTF-8",
            WarningKind::NoFrontMatter => "no front matter",
            WarningKind::UnclosedFrontMatter => "unclosed front matter",
            WarningKind::BadYaml => "malformed YAML",
            WarningKind::DuplicateKey => "duplicate key",
            WarningKind::BadDate => "bad date",
            WarningKind::BadFileDate => "bad file-name date",
            WarningKind::NoDate => "no date",
            WarningKind::FeedUnavailable => "feed unavailable",
            WarningKind::FeedStale => "feed down, last good copy used",
            WarningKind::BadFeed => "not a feed",
            WarningKind::BadItem => "feed item skipped",
        }
    }
}

/// One problem with one file.
#[derive(Debug, Clone)]
pub struct Warning {
    /// The source's folder (for a folder source), empty for a feed.
    pub root: String,
    /// Path relative to the source's folder, or the feed's URL or file.
    pub path: String,
    pub line: Option<usize>,
    pub kind: WarningKind,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.path, l, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl Warning {
    /// The warning with the file's full path, for `check`.
    pub fn located(&self) -> String {
        if self.root.is_empty() {
            self.to_string()
        } else {
            format!("{}/{}", self.root.trim_end_matches('/'), self)
        }
    }
}

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Only posts dated inside this window; `None` loads every post.
    pub window: Option<Window>,
    /// Build summaries of at most this many characters; `None` skips them.
    pub summary_length: Option<usize>,
}

/// The posts of a site, newest first, and what was wrong on the way.
#[derive(Debug, Default)]
pub struct Loaded {
    pub posts: Vec<Post>,
    pub warnings: Vec<Warning>,
    /// Files found under `_posts` folders.
    pub files: usize,
    /// Posts hidden by `published: false`.
    pub unpublished: usize,
    /// Posts outside the window.
    pub outside_window: usize,
}

enum Outcome {
    Post(Box<Post>),
    Unpublished,
    OutsideWindow,
    Skipped,
}

/// Loads the posts of every source, newest first.
pub fn load(site: &SiteSettings, options: &LoadOptions) -> Result<Loaded> {
    source::load_all(site, options)
}

/// Loads a Jekyll site's posts. Work is spread over all cores; the result
/// does not depend on their number.
pub(crate) fn load_jekyll(site: &SiteSettings, options: &LoadOptions) -> Result<Loaded> {
    let files = walk::post_files(site)?;
    let results: Vec<(Outcome, Vec<Warning>)> = files
        .par_iter()
        .map(|f| load_file(site, options, f))
        .collect();
    let mut loaded = Loaded {
        files: files.len(),
        ..Loaded::default()
    };
    for (outcome, warnings) in results {
        loaded.warnings.extend(warnings);
        match outcome {
            Outcome::Post(p) => loaded.posts.push(*p),
            Outcome::Unpublished => loaded.unpublished += 1,
            Outcome::OutsideWindow => loaded.outside_window += 1,
            Outcome::Skipped => {}
        }
    }
    loaded
        .posts
        .sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.source.cmp(&b.source)));
    Ok(loaded)
}

fn load_file(
    site: &SiteSettings,
    options: &LoadOptions,
    file: &walk::PostFile,
) -> (Outcome, Vec<Warning>) {
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
    let outcome = load_file_inner(site, options, file, &mut warn);
    (outcome, warnings)
}

fn load_file_inner(
    site: &SiteSettings,
    options: &LoadOptions,
    file: &walk::PostFile,
    warn: &mut dyn FnMut(Option<usize>, WarningKind, String),
) -> Outcome {
    let file_name = file.name();
    let Some(name) = post::parse_file_name(file_name) else {
        warn(
            None,
            WarningKind::NotAPost,
            "not a post: the name does not start with a `YYYY-MM-DD-` date and end in an extension"
                .into(),
        );
        return Outcome::Skipped;
    };
    if post::is_data(name.ext) {
        warn(
            None,
            WarningKind::DataFile,
            format!("not a post: `.{}` files hold data", name.ext),
        );
        return Outcome::Skipped;
    }
    thread_local! {
        // One read buffer per loader thread: no allocation per file.
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(64 * 1024));
    }
    BUF.with_borrow_mut(|buf| {
        if let Err(e) = file.read_into(buf) {
            warn(None, WarningKind::Unreadable, format!("cannot read: {e}"));
            return Outcome::Skipped;
        }
        load_bytes(site, options, file, &name, buf, warn)
    })
}

fn load_bytes(
    site: &SiteSettings,
    options: &LoadOptions,
    file: &walk::PostFile,
    name: &post::FileName<'_>,
    bytes: &[u8],
    warn: &mut dyn FnMut(Option<usize>, WarningKind, String),
) -> Outcome {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            warn(
                Some(line),
                WarningKind::NotUtf8,
                "skipped: not valid UTF-8 (Jekyll skips it too)".into(),
            );
            return Outcome::Skipped;
        }
    };
    if text.is_empty() {
        warn(
            None,
            WarningKind::EmptyFile,
            "empty file: published with a title made from its name".into(),
        );
    }
    let empty = Mapping::new();
    let parsed;
    let (data, body): (&Mapping, &str) = match frontmatter::split(text) {
        Ok(split) => match frontmatter::parse(split.yaml, split.yaml_line) {
            Ok(fm) => {
                for (key, line) in &fm.duplicates {
                    warn(
                        Some(*line),
                        WarningKind::DuplicateKey,
                        format!("duplicate key `{key}`: the last one wins"),
                    );
                }
                parsed = fm;
                (&parsed.data, split.body)
            }
            Err(e) => {
                warn(e.line, WarningKind::BadYaml, format!("malformed front matter: {}; the post gets no title, date or categories from it", e.message));
                (&empty, split.body)
            }
        },
        Err(frontmatter::Problem::Missing) if text.is_empty() => (&empty, text),
        Err(frontmatter::Problem::Missing) => {
            if !post::is_text(name.ext) {
                warn(
                    None,
                    WarningKind::NotAPost,
                    format!(
                        "not a post: no front matter and `.{}` is not a post format",
                        name.ext
                    ),
                );
                return Outcome::Skipped;
            }
            warn(
                Some(1),
                WarningKind::NoFrontMatter,
                "no front matter (`---` on the first line): title and date come from the file name"
                    .into(),
            );
            (&empty, text)
        }
        Err(frontmatter::Problem::Unclosed) => {
            warn(
                Some(1),
                WarningKind::UnclosedFrontMatter,
                "front matter opened with `---` is never closed with `---` or `...`".into(),
            );
            (&empty, text)
        }
    };
    if !post::is_published(data) {
        return Outcome::Unpublished;
    }
    let mut problems = Vec::new();
    let Some(date) = post::date_of(data, name, site, &mut problems) else {
        warn(
            None,
            WarningKind::BadFileDate,
            format!(
                "skipped: `{}-{}-{}` in the file name is not a date",
                name.year, name.month, name.day
            ),
        );
        return Outcome::Skipped;
    };
    if !problems.is_empty() {
        let date_line = find_key_line(text, "date");
        for p in problems {
            warn(date_line, WarningKind::BadDate, p);
        }
    }
    if let Some(w) = &options.window {
        if !w.contains(&date) {
            return Outcome::OutsideWindow;
        }
    }
    let input = post::Input {
        source: file.rel.clone(),
        name,
        path_categories: &file.categories,
        data,
    };
    let mut post = post::build(&input, date, site);
    if let Some(max) = options.summary_length {
        post.summary = summary::summarize(
            data,
            body,
            post::is_markdown(name.ext),
            &site.excerpt_separator,
            max,
        );
    }
    Outcome::Post(Box::new(post))
}

/// The 1-based line of a top-level `key:` in the front matter, for messages.
fn find_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .take(200)
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}
