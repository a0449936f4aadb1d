//! `postbode posts`: every published post in a window that passes the
//! category filter, newest first, as a table or JSON.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{anyhow, Result};

use super::Output;
use crate::cli::{PostsArgs, WindowArgs};
use crate::config::Config;
use crate::site::{self, LoadOptions, Post, SiteSettings};
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
    let posts: Vec<&Post> = loaded
        .posts
        .iter()
        .filter(|p| p.in_categories(&wanted))
        .collect();

    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut w, &posts)?;
        writeln!(w)?;
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
        "{} posts {}",
        posts.len(),
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

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
