//! `postbode init [SITE]`: sets postbode up inside a Jekyll site, in
//! `_postbode/` (a folder Jekyll never publishes): a commented config that
//! reads the site from `..` and delivers to files, an empty subscriber list,
//! and, in a git work tree, `.gitignore` lines for the list, state and outbox.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _, Result};

use super::Output;
use crate::cli::InitArgs;
use crate::config::Config;
use crate::site::{self, LoadOptions, SiteSettings};

/// The folder `init` writes, inside the site.
pub const DIR: &str = "_postbode";

/// What `.gitignore` gets: the readers' addresses and postbode's own files.
const IGNORED: [&str; 3] = [
    "_postbode/subscribers.yaml",
    "_postbode/state/",
    "_postbode/outbox/",
];

const EMPTY_LIST: &str = "\
# The subscriber list, kept by `postbode subscribers` (see `postbode subscribers --help`).
# It lives in `_postbode/`, which Jekyll never publishes; keep it out of git too.
subscribers: []
";

pub fn run(args: &InitArgs, out: &Output) -> Result<ExitCode> {
    let site = &args.site;
    if !site.is_dir() {
        bail!("`{}` is not a folder", site.display());
    }
    let dir = site.join(DIR);
    let config_path = dir.join("config.toml");
    if config_path.exists() && !args.force {
        bail!(
            "`{}` exists already; pass `--force` to write it again (the subscriber list is kept)",
            config_path.display()
        );
    }
    let jekyll = read_jekyll_config(site)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;

    // The site is read once through the config being written, so what
    // `init` reports is what the other commands will see.
    let draft = config_text(&jekyll, &[]);
    let categories = match categories(&draft, &config_path) {
        Ok(c) => c,
        Err(e) => {
            out.warn(format!("cannot read the site's posts: {e:#}"));
            Vec::new()
        }
    };
    let text = config_text(&jekyll, &categories);
    write_new(&config_path, &text, true)?;
    let list = dir.join("subscribers.yaml");
    let wrote_list = write_new(&list, EMPTY_LIST, false)?;
    let ignored = if in_git_work_tree(site) {
        Some(ignore(site)?)
    } else {
        None
    };

    println!("wrote {}", config_path.display());
    if wrote_list {
        println!("wrote {} (empty)", list.display());
    } else {
        println!("kept {}", list.display());
    }
    if let Some(path) = ignored {
        println!(
            "listed the subscriber list, state and outbox in {}",
            path.display()
        );
    }
    if jekyll.timezone.is_none() {
        out.warn("`_config.yml` sets no `timezone`: dates without an offset are read as UTC (set `timezone` there or `site.timezone` in the config)");
    }
    if jekyll.url.is_none() {
        out.warn("`_config.yml` sets no `url`: links to posts will be relative (set `url` there or `site.url` in the config)");
    }
    let abs = site.canonicalize().unwrap_or_else(|_| site.to_path_buf());
    println!();
    println!("next, from {}:", abs.display());
    println!("  postbode preview --out digest.html           # see the digest");
    println!("  postbode send --to you@example.org           # a test send (edit [sender] and [delivery] first)");
    println!(
        "  */10 * * * * cd {} && postbode send --if-due -q   # the crontab line",
        shell_quote(&abs.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}

/// What `init` takes from `_config.yml`.
#[derive(Debug, Default)]
struct Jekyll {
    title: Option<String>,
    url: Option<String>,
    timezone: Option<String>,
    lang: Option<String>,
}

fn read_jekyll_config(site: &Path) -> Result<Jekyll> {
    let path = site.join("_config.yml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Jekyll::default()),
        Err(e) => return Err(anyhow!(e).context(format!("cannot read `{}`", path.display()))),
    };
    let value: serde_yaml::Value = serde_yaml::from_str(text.trim_start_matches('\u{feff}'))
        .with_context(|| format!("cannot parse `{}`", path.display()))?;
    let get = |key: &str| {
        value.get(key).and_then(|v| match v {
            serde_yaml::Value::String(s) => Some(s.trim().to_owned()),
            serde_yaml::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    Ok(Jekyll {
        title: get("title"),
        url: get("url"),
        timezone: get("timezone"),
        lang: get("lang").or_else(|| get("language")),
    })
}

/// The config file, commented. Keys the site's own `_config.yml` already
/// gives are shown as comments: postbode reads them from there.
fn config_text(j: &Jekyll, categories: &[String]) -> String {
    let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let shown = |v: &Option<String>| v.as_deref().map_or("not set".to_owned(), q);
    let title = j.title.as_deref().unwrap_or("Digest");
    let domain = j
        .url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_owned())
        })
        .unwrap_or_else(|| "example.org".to_owned());
    let mut t = String::new();
    let _ = write!(
        t,
        "# postbode's config for this site, written by `postbode init`.
# Relative paths are relative to this folder (`_postbode/`), which Jekyll
# never publishes. Every key: see the README's configuration section.

[site]
source = \"..\"
# From `_config.yml` (set a key here to override it):
#   title = {}
#   url = {}
#   timezone = {}
#   lang = {}

[digest]
window_days = 7
# The categories the posts use, most used first; empty means all:
# categories = [{}]
# The editor's note for the next edition: write `intro.md` beside this file
# (moved aside once the edition is delivered).

[sender]
from = {}
# reply_to = \"you@{domain}\"
# unsubscribe_url = \"https://{domain}/unsubscribe/{{token}}\"   # see `postbode serve`
# address = \"Street 1, 1234 AB City, Country\"                  # your postal address

[delivery]
# `file` writes each message to outbox/ as an .eml file: nothing leaves the
# machine. Switch to \"smtp\" (and fill in [smtp]) to send for real.
transport = \"file\"
outbox = \"outbox\"
state_dir = \"state\"

[subscribers]
file = \"subscribers.yaml\"

[schedule]
cron = \"0 8 * * MON\"

# [theme]
# accent = \"#a4231c\"
# logo = \"https://{domain}/logo.png\"
# footer = \"You get this because you subscribed at [{domain}](https://{domain}/).\"

# [archive]        # write delivered editions into the site, under digest/
# dir = \"digest\"
# layout = \"default\"
",
        shown(&j.title),
        shown(&j.url),
        shown(&j.timezone),
        shown(&j.lang),
        categories
            .iter()
            .map(|c| q(c))
            .collect::<Vec<_>>()
            .join(", "),
        q(&format!("{title} <digest@{domain}>")),
    );
    t
}

/// The categories the site's posts use, most used first.
fn categories(draft: &str, config_path: &Path) -> Result<Vec<String>> {
    let config = Config::parse(draft, config_path)?;
    let site = SiteSettings::resolve(&config)?;
    let loaded = site::load(
        &site,
        &LoadOptions {
            window: None,
            summary_length: None,
        },
    )?;
    let mut counts: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for post in &loaded.posts {
        for c in &post.categories {
            let entry = counts
                .entry(c.to_lowercase())
                .or_insert_with(|| (0, c.clone()));
            entry.0 += 1;
        }
    }
    let mut list: Vec<(usize, String)> = counts.into_values().collect();
    list.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(list.into_iter().map(|(_, c)| c).collect())
}

/// Writes `path`; an existing file is replaced only when `replace`.
/// Returns whether it wrote.
fn write_new(path: &Path, text: &str, replace: bool) -> Result<bool> {
    if path.exists() && !replace {
        return Ok(false);
    }
    std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(true)
}

/// True when `site` or a folder above it holds `.git`.
fn in_git_work_tree(site: &Path) -> bool {
    let Ok(abs) = site.canonicalize() else {
        return false;
    };
    abs.ancestors().any(|d| d.join(".git").exists())
}

/// Adds the [`IGNORED`] lines `.gitignore` lacks.
fn ignore(site: &Path) -> Result<PathBuf> {
    let path = site.join(".gitignore");
    let mut text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(anyhow!(e).context(format!("cannot read `{}`", path.display()))),
    };
    let have: Vec<&str> = text.lines().map(str::trim).collect();
    let missing: Vec<&str> = IGNORED
        .iter()
        .copied()
        .filter(|l| !have.contains(l) && !have.contains(&l.trim_end_matches('/')))
        .collect();
    if missing.is_empty() {
        return Ok(path);
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# postbode: the readers' addresses and its own files\n");
    for l in missing {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(path)
}

/// A path for a crontab line: quoted when it holds anything but plain characters.
fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
