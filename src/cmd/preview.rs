//! `postbode preview`: the edition rendered exactly as it would go out, to
//! files (HTML, text, the whole `.eml`, the edition as JSON) or, with no
//! file option, the HTML to stdout.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Context as _, Result};

use super::Output;
use crate::cli::PreviewArgs;
use crate::config::Config;
use crate::edition::Edition;
use crate::mail::body::{Letter, Personal};
use crate::mail::compose::{compose, fill_unsubscribe_url, Recipient, SenderSettings};
use crate::render::Context;
use crate::send;
use crate::site::SiteSettings;

pub fn run(config: &Config, args: &PreviewArgs, out: &Output) -> Result<ExitCode> {
    let site = SiteSettings::resolve(config)?;
    let window = send::window(config, &site, &args.window.bounds())?;
    let (edition, warnings) = send::load_edition(config, &site, &args.window.categories, window)?;
    super::posts::report_warnings(&warnings, out);

    let recipient = match &args.subscriber {
        Some(email) => find_subscriber(config, email, out)?,
        None => Recipient::sample(),
    };
    let edition: Edition = edition.for_categories(&recipient.categories);
    let intro = send::read_intro(config, args.intro.as_deref())?;
    if let Some(i) = &intro {
        out.info(send::note_line(i));
    }
    let theme = crate::render::theme::theme(config);
    let archive_url = crate::archive::web_url(config, &site);
    let mut ctx = Context::new(&site, &config.digest);
    ctx.categories = &recipient.categories;
    ctx.theme = Some(&theme);
    if archive_url.is_some() {
        ctx.web_url = archive_url.as_deref();
    }
    if let Some(i) = &intro {
        ctx.note = &i.reduced.paragraphs;
    }
    let preferences = config
        .sender
        .unsubscribe_url
        .as_deref()
        .and_then(crate::config::preferences_url)
        .map(|url| fill_unsubscribe_url(&url, &recipient.token));
    ctx.preferences = preferences.is_some();
    let (fitted, rendered) = crate::render::fit(&edition, &ctx);
    let dropped = rendered.dropped;
    // The JSON shows what the mail shows.
    let edition = fitted.unwrap_or(edition);
    let rendered = Letter::new(rendered);

    // The unsubscribe link needs no sender; the `.eml` does, and says so.
    let sender = SenderSettings::resolve(&config.sender);
    let link = match &sender {
        Ok(s) => s.unsubscribe_link(&recipient.token),
        Err(_) => match &config.sender.unsubscribe_url {
            Some(url) => fill_unsubscribe_url(url, &recipient.token),
            None => "mailto:?subject=unsubscribe".to_owned(),
        },
    };
    let personal = Personal {
        name: recipient.name.as_deref(),
        unsubscribe_url: &link,
        preferences_url: preferences.as_deref().unwrap_or(""),
    };

    let mut wrote = Vec::new();
    if let Some(path) = &args.json {
        let mut json = serde_json::to_string_pretty(&edition)?;
        json.push('\n');
        write_file(path, json.as_bytes())?;
        wrote.push(path.display().to_string());
    }
    if let Some(path) = &args.out {
        write_file(path, rendered.html.fill(&personal).as_bytes())?;
        wrote.push(path.display().to_string());
    }
    if let Some(path) = &args.text {
        write_file(path, rendered.text.fill(&personal).as_bytes())?;
        wrote.push(path.display().to_string());
    }
    if let Some(path) = &args.eml {
        let sender = sender.map_err(|e| anyhow!("cannot write `{}`: {e}", path.display()))?;
        let message = compose(&rendered, &recipient, &sender)?;
        write_file(path, &message.formatted())?;
        wrote.push(path.display().to_string());
    }
    if wrote.is_empty() {
        let stdout = std::io::stdout();
        let mut w = stdout.lock();
        w.write_all(rendered.html.fill(&personal).as_bytes())?;
        w.flush()?;
    }

    let period = window.describe(site.timezone);
    if edition.is_empty() {
        out.warn(format!(
            "the edition {period} has no posts: the preview shows the empty state{}",
            if config.digest.send_empty {
                ""
            } else {
                " (`send` would not send it; see `digest.send_empty`)"
            }
        ));
    }
    out.info(format!(
        "{} items from {} posts in {} sections {period}; subject: {}{}{}",
        edition.len(),
        edition.posts_in_window,
        edition.sections.len(),
        rendered.subject,
        if dropped > 0 {
            format!(
                "; left out the {} lowest-ranked stories to keep the HTML under {} KB (Gmail clips longer messages)",
                dropped,
                crate::render::HTML_LIMIT / 1000
            )
        } else {
            String::new()
        },
        if wrote.is_empty() {
            String::new()
        } else {
            format!("; wrote {}", wrote.join(", "))
        }
    ));
    Ok(ExitCode::SUCCESS)
}

fn find_subscriber(config: &Config, email: &str, out: &Output) -> Result<Recipient> {
    let path = &config.subscribers.file;
    let subscriber = crate::subscribers::Store::open(path)
        .find(email)?
        .ok_or_else(|| anyhow!("no subscriber `{email}` in `{}`", path.display()))?;
    if !subscriber.gets_digest() {
        out.warn(format!(
            "`{}` is {}: `send` would not send them this",
            subscriber.email, subscriber.status
        ));
    } else if !subscriber.on_digest(config.digest_name(), config.default_digest()) {
        out.warn(format!(
            "`{}` is not on the digest `{}`: `send` would not send them this",
            subscriber.email,
            config.digest_name()
        ));
    }
    Ok(Recipient::from(&subscriber))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write `{}`", path.display()))
}
