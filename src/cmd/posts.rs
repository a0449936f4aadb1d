//! `postbode posts`: every published post in a window that passes the
//! category filter, newest first, as a table, JSON, or grouped by story.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{anyhow, Result};

use super::Output;
use crate::cli::{PostsArgs, WindowArgs};
use crate::config::Config;
use crate::site::{self, LoadOptions, Post, SiteSettings};
use crate::stories;
use crate::window::Window;

pub fn run(config: &Config, args: &PostsArgs, out: &Output) -> Result<ExitCode> {
    let site = SiteSettings::resolve(config)?;
    let window = window_from_args(config, &site, &args.window)?;
    let loaded = site::load(
        &site,
        &LoadOptions {
            window: Some(window),
            summary_length: Some(config.digest.summary_length),
        },
    )?;
    report_warnings(&loaded.warnings, out);
    let wanted = crate::send::category_filter(config, &args.window.categories);
    let mut posts: Vec<Post> = loaded
        .posts
        .into_iter()
        .filter(|p| p.in_categories(&wanted))
        .collect();
    let stories = stories::group(&posts);
    for s in &stories {
        for &m in &s.members {
            posts[m].story = s.id.clone();
        }
    }

    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut w, &posts)?;
        writeln!(w)?;
    } else if args.stories {
        let mut order: Vec<&stories::Story> = stories.iter().collect();
        order.sort_by_cached_key(|s| stories::strength(&posts, s));
        for s in order {
            let lead = &posts[s.lead];
            writeln!(
                w,
                "{}  {} · {}  {}",
                s.id,
                plural(s.outlets, "outlet"),
                plural(s.members.len(), "post"),
                lead.title
            )?;
            for &m in &s.members {
                let p = &posts[m];
                let local = p.date.with_timezone(&site.timezone);
                writeln!(w, "    {}  {}", local.format("%Y-%m-%d %H:%M"), p.title)?;
                writeln!(w, "                      {}", p.url)?;
            }
        }
    } else {
        for p in &posts {
            let local = p.date.with_timezone(&site.timezone);
            writeln!(
                w,
                "{}  {:<16}  {}\n                  {}",
                local.format("%Y-%m-%d %H:%M"),
                truncate(&p.categories.join(","), 16),
                p.title,
                p.url
            )?;
        }
    }
    w.flush()?;
    out.info(format!(
        "{} posts in {} stories {}",
        posts.len(),
        stories.len(),
        window.describe(site.timezone)
    ));
    Ok(ExitCode::SUCCESS)
}

/// The window from `--since`/`--until`, defaulting to the last `window_days`.
pub fn window_from_args(config: &Config, site: &SiteSettings, args: &WindowArgs) -> Result<Window> {
    Window::from_flags(
        args.since.as_deref(),
        args.until.as_deref(),
        config.digest.window_days,
        chrono::Utc::now(),
        site.timezone,
    )
    .map_err(|e| anyhow!(e))
}

/// Load warnings: a count, or each one with `-v`.
pub fn report_warnings(warnings: &[site::Warning], out: &Output) {
    if warnings.is_empty() {
        return;
    }
    if out.verbose > 0 {
        for w in warnings {
            out.warn(w);
        }
    } else {
        out.warn(format!(
            "{} problems with post files (see them with `-v` or `postbode check`)",
            warnings.len()
        ));
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
