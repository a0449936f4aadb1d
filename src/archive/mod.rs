//! The web archive in the site: every delivered edition as a page, an index
//! page (newest first) and an Atom feed, in `archive.dir` (a folder the
//! site's build publishes as it is).
//!
//! Pages are rendered from the stored edition alone (its posts and the
//! editor's note), never from a message: no reader's name, address or token
//! is within reach of this module. With `archive.layout` the pages get
//! Jekyll front matter and that layout, and so the site's look.

mod feed;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use postbode_templates::archive::{self as pages, IndexEntry};
use serde::Deserialize;

use crate::config::Config;
use crate::edition::{Edition, Section};
use crate::markdown;
use crate::render::{self, Context};
use crate::site::{Post, SiteSettings};
use crate::state::{StateDir, StateError, Stored};

/// The index page's and the feed's file names.
pub const INDEX: &str = "index.html";
pub const FEED: &str = "feed.xml";

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("no `[archive]` table in `{}`: add one (`dir = \"digest\"`) to write the web archive", .0.display())]
    Off(PathBuf),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot create the archive folder `{}` (`archive.dir`)", path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{}` in the archive folder (`archive.dir`)", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the stored edition `{}`", path.display())]
    Damaged {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// What [`write_all`] wrote.
#[derive(Debug)]
pub struct Written {
    pub dir: PathBuf,
    pub editions: usize,
}

/// The archive's URL (ending in `/`), when the site has a URL and the
/// archive folder lies inside the site.
pub fn base_url(config: &Config, site: &SiteSettings) -> Option<String> {
    let archive = config.archive.as_ref()?;
    if site.url.is_empty() {
        return None;
    }
    let root = site.root.canonicalize().ok()?;
    let dir = absolute(&archive.dir);
    let rel = dir.strip_prefix(&root).ok()?;
    let mut url = format!("{}{}/", site.url, site.baseurl);
    for part in rel.components() {
        url.push_str(&part.as_os_str().to_string_lossy());
        url.push('/');
    }
    Some(url)
}

/// `digest.web_url` when archiving is on and it is unset: the edition's
/// archive page, `{id}` for the edition's id.
pub fn web_url(config: &Config, site: &SiteSettings) -> Option<String> {
    if config.digest.web_url.is_some() {
        return None;
    }
    base_url(config, site).map(|base| format!("{base}{{id}}.html"))
}

/// Writes every delivered edition's page, the index and the feed.
pub fn write_all(config: &Config, site: &SiteSettings) -> Result<Written, ArchiveError> {
    let archive = config
        .archive
        .as_ref()
        .ok_or_else(|| ArchiveError::Off(config.path.clone()))?;
    let dir = &archive.dir;
    std::fs::create_dir_all(dir).map_err(|source| ArchiveError::Folder {
        path: dir.clone(),
        source,
    })?;
    let theme = render::theme::theme(config);
    let base = base_url(config, site);
    let layout = archive.layout.as_deref();
    let mut delivered: Vec<Stored> = StateDir::new(&config.delivery.state_dir)
        .all()?
        .into_iter()
        .filter(|s| s.closed.is_some())
        .collect();
    delivered.reverse(); // newest first

    let mut entries = Vec::new();
    let mut feed_entries = Vec::new();
    for stored in &delivered {
        let edition = edition(stored)?;
        let note = stored
            .meta
            .note
            .as_ref()
            .map(|n| markdown::reduce(&n.markdown).paragraphs)
            .unwrap_or_default();
        let mut ctx = Context::new(site, &config.digest);
        ctx.theme = Some(&theme);
        ctx.note = &note;
        ctx.web_url = None;
        let view = render::view(&edition, &ctx);
        let name = format!("{}.html", edition.id);
        let body = pages::edition_body(&view, INDEX);
        let page = match layout {
            Some(l) => with_layout(l, &view.subject, &body.into_string()),
            None => pages::standalone(&view.subject, site.language, &theme, FEED, body),
        };
        write(&dir.join(&name), &page)?;
        let link = match &base {
            Some(b) => format!("{b}{name}"),
            None => name.clone(),
        };
        feed_entries.push(feed::Entry {
            id: match &base {
                Some(_) => link.clone(),
                None => format!("urn:postbode:edition:{}", edition.id),
            },
            title: view.subject.clone(),
            link,
            updated: stored
                .closed
                .as_ref()
                .map_or(stored.meta.created_at, |c| c.closed_at),
            summary: summary(&view),
        });
        entries.push(IndexEntry {
            href: name,
            period: view.period.clone(),
            count_line: view.count_line.clone(),
        });
    }

    let title = format!(
        "{} — {}",
        site.title,
        pages::ArchiveStrings::of(site.language).title
    );
    let home = render::http(&render::site_home(site));
    let body = pages::index_body(&site.title, home.as_deref(), site.language, &entries, FEED);
    let index = match layout {
        Some(l) => with_layout(l, &title, &body.into_string()),
        None => pages::standalone(&title, site.language, &theme, FEED, body),
    };
    write(&dir.join(INDEX), &index)?;

    let index_link = base.clone().unwrap_or_else(|| INDEX.to_owned());
    let self_link = base.as_ref().map(|b| format!("{b}{FEED}"));
    let feed_id = base
        .clone()
        .unwrap_or_else(|| format!("urn:postbode:archive:{}", site.title));
    let xml = feed::atom(&feed::Feed {
        id: &feed_id,
        title: &title,
        self_link: self_link.as_deref(),
        index_link: &index_link,
        entries: &feed_entries,
    })
    .map_err(|source| ArchiveError::Write {
        path: dir.join(FEED),
        source,
    })?;
    write(&dir.join(FEED), &xml)?;
    Ok(Written {
        dir: dir.clone(),
        editions: delivered.len(),
    })
}

/// The count line and the first titles: what the feed says of an edition.
fn summary(view: &postbode_templates::View) -> String {
    let titles: Vec<&str> = view
        .sections
        .iter()
        .flat_map(|s| &s.items)
        .map(|i| i.title.as_str())
        .take(10)
        .collect();
    if titles.is_empty() {
        view.count_line.clone()
    } else {
        format!("{} {}", view.count_line, titles.join(" · "))
    }
}

/// A page inside the site's layout: front matter, then the markup with
/// Liquid's delimiters written as character references, so that a title
/// holding `{{` or `{%` reads as text and cannot stop the site's build.
fn with_layout(layout: &str, title: &str, body: &str) -> String {
    let mut front = serde_yaml::Mapping::new();
    front.insert("layout".into(), layout.into());
    front.insert("title".into(), title.into());
    let yaml = serde_yaml::to_string(&front).unwrap_or_default();
    let body = body
        .replace("{{", "{&#123;")
        .replace("{%", "{&#37;")
        .replace("%}", "&#37;}")
        .replace("}}", "}&#125;");
    format!("---\n{yaml}---\n{body}\n")
}

/// Writes `path` whole: under a temporary name, then renamed.
fn write(path: &Path, text: &str) -> Result<(), ArchiveError> {
    let err = |source| ArchiveError::Write {
        path: path.to_owned(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// The stored edition (`preview --json`'s form) read back.
fn edition(stored: &Stored) -> Result<Edition, ArchiveError> {
    #[derive(Deserialize)]
    struct WindowJson {
        since: DateTime<FixedOffset>,
        until: DateTime<FixedOffset>,
    }
    #[derive(Deserialize)]
    struct SectionJson {
        category: String,
        #[serde(default)]
        other: bool,
        items: Vec<Post>,
        #[serde(default)]
        more: usize,
    }
    #[derive(Deserialize)]
    struct EditionJson {
        id: String,
        window: WindowJson,
        #[serde(default)]
        posts_in_window: usize,
        sections: Vec<SectionJson>,
    }
    let json: EditionJson =
        serde_json::from_value(stored.meta.edition.clone()).map_err(|source| {
            ArchiveError::Damaged {
                path: stored.dir.join(crate::state::names::EDITION),
                source,
            }
        })?;
    Ok(Edition {
        id: json.id,
        window: crate::window::Window {
            since: json.window.since,
            until: json.window.until,
        },
        sections: json
            .sections
            .into_iter()
            .map(|s| Section {
                category: s.category,
                other: s.other,
                items: s.items,
                more: s.more,
            })
            .collect(),
        posts_in_window: json.posts_in_window,
    })
}

/// `path` made absolute through its nearest existing folder.
fn absolute(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut p = path.to_path_buf();
    loop {
        if let Ok(c) = p.canonicalize() {
            return rest.into_iter().rev().fold(c, |acc, part| acc.join(part));
        }
        match p.file_name() {
            Some(n) => rest.push(n.to_owned()),
            None => return path.to_path_buf(),
        }
        if !p.pop() {
            return path.to_path_buf();
        }
        if p.as_os_str().is_empty() {
            p = PathBuf::from(".");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use postbode_templates::{Language, Theme};

    #[test]
    fn layout_pages_cannot_run_liquid() {
        let page = with_layout("default", "A: {{ x }}", "<h1>{% include x %} {{ y }}</h1>");
        assert!(
            page.starts_with("---\nlayout: default\ntitle: 'A: {{ x }}'\n---\n"),
            "{page}"
        );
        let body = page.split("---\n").nth(2).unwrap();
        assert!(!body.contains("{{") && !body.contains("{%"), "{body}");
    }

    #[test]
    fn language_strings_exist() {
        assert_eq!(pages::ArchiveStrings::of(Language::En).title, "Archive");
        let _ = Theme::default();
    }
}
