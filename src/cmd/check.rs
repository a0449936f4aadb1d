//! `postbode check`: config, every post, and the subscriber list. One line
//! per problem naming the file (and line); exit 1 when there is any.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;

use super::Output;
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::render::{render, Context, HTML_LIMIT};
use crate::site::{self, LoadOptions, SiteSettings};

pub fn run(config: &Config, _args: &CheckArgs, out: &Output) -> Result<ExitCode> {
    let mut problems = 0usize;
    let site = SiteSettings::resolve(config)?;
    let loaded = site::load(
        &site,
        &LoadOptions {
            window: None,
            summary_length: None,
        },
    )?;
    for w in &loaded.warnings {
        println!("{}", w.located());
    }
    problems += loaded.warnings.len();
    // A feed's items carry their own links; a folder's need the site URL.
    let folder_without_url = site
        .sources
        .iter()
        .any(|s| s.kind != crate::config::SourceKind::Feed && s.settings.url.is_empty())
        || (site.sources.is_empty() && site.url.is_empty());
    if folder_without_url {
        println!("{}: `site.url` is not set (nor in the site's own config): links to posts will be relative", config.path.display());
        problems += 1;
    }

    // A warning, not a problem: plain http works, so `check` still passes.
    if let Some(url) = &config.sender.unsubscribe_url {
        if !url
            .trim()
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        {
            println!(
                "{}: warning: `sender.unsubscribe_url` `{url}` is not https: mail clients offer \
                 one-click unsubscribe (RFC 8058) only for https links, and the token would \
                 travel unencrypted",
                config.path.display()
            );
        }
        if let Err(e) = crate::serve::paths::Paths::from_url(url.trim()) {
            println!("{}: warning: {e}", config.path.display());
        }
    }

    for digest in config.digests() {
        clipping_warning(&config.for_digest(digest), &site)?;
    }
    problems += super::digests::check(config, out);
    look_warnings(config, &site);
    // The same validation `send` does, so a sender `check` passes works.
    let sender = &config.sender;
    if sender.from.is_some() || sender.reply_to.is_some() || sender.list_id.is_some() {
        if let Err(e) = crate::mail::compose::SenderSettings::resolve(sender) {
            println!("{}: {e}", config.path.display());
            problems += 1;
        }
    }

    for p in crate::subscribers::check(&config.subscribers.file) {
        println!("{p}");
        problems += 1;
    }

    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for w in &loaded.warnings {
        *by_kind.entry(w.kind.name()).or_default() += 1;
    }
    let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    out.info(format!(
        "{} files, {} posts, {} unpublished, {} problems{}",
        loaded.files,
        loaded.posts.len(),
        loaded.unpublished,
        problems,
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        }
    ));
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A warning, not a problem: the next edition (the window `preview` shows
/// by default) would pass Gmail's clipping size, so it leaves out its
/// lowest-ranked items.
fn clipping_warning(config: &Config, site: &SiteSettings) -> Result<()> {
    let window = crate::send::window(config, site, &Default::default())?;
    // Load problems were reported above.
    let (edition, _) = crate::send::load_edition(config, site, &[], window)?;
    let theme = crate::render::theme::theme(config);
    let intro = crate::send::read_intro(config, None)?;
    let mut ctx = Context::new(site, &config.digest);
    ctx.theme = Some(&theme);
    if let Some(i) = &intro {
        ctx.note = &i.reduced.paragraphs;
    }
    let rendered = render(&edition, &ctx);
    if rendered.dropped > 0 {
        println!(
            "{}: warning: the edition {} would pass {} KB of HTML with `digest.max_posts` = {}: \
             it leaves out its {} lowest-ranked stories (Gmail clips longer messages)",
            config.path.display(),
            window.describe(site.timezone),
            HTML_LIMIT / 1000,
            config.digest.max_posts,
            rendered.dropped
        );
    }
    Ok(())
}

/// Warnings, not problems: the theme's contrast, a missing postal address,
/// and postbode's files where the site's build would publish them.
fn look_warnings(config: &Config, site: &SiteSettings) {
    let file = config.path.display();
    for w in config.theme_warnings() {
        println!("{file}: warning: {w}");
    }
    // Only a config that sends needs one.
    if config.sender.from.is_some() && config.sender.address.is_none() {
        println!(
            "{file}: warning: `sender.address` is not set: the law in several countries \
             (CAN-SPAM in the US) asks commercial mail for the sender's postal address in every message"
        );
    }
    for e in crate::privacy::exposed(config, site) {
        println!(
            "{file}: warning: `{}` `{}` lies inside the site `{}`, which publishes it: the next \
             build would put every reader's address on the web; move it into a `_` folder \
             (such as `_postbode/`) or add it to `exclude` in `_config.yml`",
            e.key,
            e.path.display(),
            e.site.display()
        );
    }
}
