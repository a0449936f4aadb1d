//! `postbode send`: deliver the current edition to every active subscriber
//! whose categories have posts in it, resuming an unfinished one.
//!
//! The order of things is what makes a crash harmless: the edition (its
//! content per category choice and its recipient list) is stored whole
//! before the first message goes out; each outcome is journaled as the
//! server answers; the edition is closed only when every recipient has an
//! outcome. Running `send` again picks up exactly where it stopped.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use chrono::Utc;

use super::posts::{category_filter, report_warnings};
use super::Output;
use crate::cli::{SendArgs, WindowArgs};
use crate::config::Config;
use crate::edition::{choice_key, edition_id, edition_window, select, Edition};
use crate::mail;
use crate::mail::compose::{compose, Recipient, SenderSettings};
use crate::mail::deliver::{self, deliver, Job, Progress, Report};
use crate::site::{self, LoadOptions, SiteSettings};
use crate::state::journal::{self, Journal, Outcome};
use crate::state::{Closed, Meta, Prepare, StateDir, Stored, Variant};
use crate::subscribers::{Store, Subscriber, DEFAULT_BOUNCE_LIMIT};
use crate::templates::{self, Context, Rendered};

/// How long the first retry of a transient failure waits (then doubling).
const BACKOFF: Duration = Duration::from_millis(500);

pub fn run(config: &Config, args: &SendArgs, out: &Output) -> Result<ExitCode> {
    run_with_stop(config, args, out, &AtomicBool::new(false))
}

/// `send`, stopping after the messages in flight once `stop` is set.
pub fn run_with_stop(
    config: &Config,
    args: &SendArgs,
    out: &Output,
    stop: &AtomicBool,
) -> Result<ExitCode> {
    if args.if_due {
        return super::schedule::if_due(config, args.dry_run, out, || {
            send_now(config, args, out, stop)
        });
    }
    send_now(config, args, out, stop)
}

fn send_now(config: &Config, args: &SendArgs, out: &Output, stop: &AtomicBool) -> Result<ExitCode> {
    let site = SiteSettings::resolve(config)?;
    let sender = SenderSettings::resolve(&config.sender)?;
    let state = StateDir::new(&config.delivery.state_dir);

    if let Some(to) = &args.to {
        return test_send(config, &site, &sender, &state, args, to, out);
    }

    let _lock = if args.dry_run {
        None
    } else {
        Some(state.lock()?)
    };
    let mut stored = match state.unfinished()? {
        Some(s) => {
            check_resume_flags(&s, args, &site)?;
            out.info(format!(
                "resuming edition {} ({} recipients)",
                s.meta.id, s.meta.recipients
            ));
            s
        }
        None => {
            let last_end = state.last_closed()?.map(|s| s.meta.until);
            let window =
                edition_window(&args.window.bounds(), config, &site, last_end, Utc::now())?;
            let edition = load_edition(config, &site, &args.window, window, out)?;
            if let Some(existing) = state.all()?.into_iter().find(|s| s.meta.id == edition.id) {
                bail!(
                    "edition {} was already delivered on {}; a window is sent once",
                    existing.meta.id,
                    existing
                        .closed
                        .as_ref()
                        .map_or("?".to_owned(), |c| c.closed_at.to_rfc3339())
                );
            }
            if edition.is_empty() && !config.digest.send_empty {
                out.info(format!(
                    "no posts from {} to {}: nothing to send (set `digest.send_empty = true` to send anyway)",
                    edition.window.since.to_rfc3339(),
                    edition.window.until.to_rfc3339()
                ));
                return Ok(ExitCode::SUCCESS);
            }
            // Before the list is read: an unsubscribe after this moment is
            // seen by delivery (see `changed_since`).
            let started = Utc::now();
            let (variants, recipients) = plan(config, &site, &edition, args.dry_run)?;
            if args.dry_run {
                return dry_run(&edition, &variants, &recipients, &sender);
            }
            let bodies = variants
                .iter()
                .map(|(_, r)| (r.html.source(), r.text.source()))
                .collect();
            let meta = Meta {
                id: edition.id.clone(),
                since: edition.window.since,
                until: edition.window.until,
                created_at: started,
                recipients: recipients.len(),
                variants: variants
                    .iter()
                    .map(|(cats, r)| Variant {
                        categories: cats.clone(),
                        subject: r.subject.clone(),
                        count: r.count,
                    })
                    .collect(),
                edition: serde_json::to_value(&edition)?,
            };
            state.prepare(&Prepare {
                meta,
                bodies,
                recipients: &recipients,
            })?
        }
    };
    if args.dry_run {
        out.info(format!(
            "edition {} is unfinished; `send` would resume it",
            stored.meta.id
        ));
        return Ok(ExitCode::SUCCESS);
    }
    deliver_stored(config, &sender, &mut stored, stop, out)
}

/// Window flags given while an edition is unfinished must name that edition.
fn check_resume_flags(s: &Stored, args: &SendArgs, site: &SiteSettings) -> Result<()> {
    let w = &args.window;
    if w.since.is_none() && w.until.is_none() {
        return Ok(());
    }
    let tz = site.timezone;
    let since = w
        .since
        .as_deref()
        .map(|t| crate::window::parse_time(t, tz))
        .transpose()
        .map_err(|e| anyhow!(e))?;
    let until = w
        .until
        .as_deref()
        .map(|t| crate::window::parse_time(t, tz))
        .transpose()
        .map_err(|e| anyhow!(e))?;
    if since.is_some_and(|t| t != s.meta.since) || until.is_some_and(|t| t != s.meta.until) {
        bail!(
            "edition {} ({} to {}) is not finished yet; run `postbode send` without `--since`/`--until` to finish it first",
            s.meta.id,
            s.meta.since.to_rfc3339(),
            s.meta.until.to_rfc3339()
        );
    }
    Ok(())
}

/// The last delivered edition's end, where the next window starts.
pub fn last_end(config: &Config) -> Result<Option<chrono::DateTime<chrono::FixedOffset>>> {
    Ok(StateDir::new(&config.delivery.state_dir)
        .last_closed()?
        .map(|s| s.meta.until))
}

/// The posts of the window, selected into an edition.
pub fn load_edition(
    config: &Config,
    site: &SiteSettings,
    args: &WindowArgs,
    window: crate::window::Window,
    out: &Output,
) -> Result<Edition> {
    let loaded = site::load(
        site,
        &LoadOptions {
            window: Some(window),
            summary_length: Some(config.digest.summary_length),
        },
    )?;
    report_warnings(&loaded.warnings, out);
    let filter = category_filter(config, args);
    Ok(select(loaded.posts, window, &filter, &config.digest))
}

type Variants = Vec<(Vec<String>, Rendered)>;

/// One rendered variant per distinct category choice, and every active
/// subscriber whose choice has posts, with their variant.
fn plan(
    config: &Config,
    site: &SiteSettings,
    edition: &Edition,
    dry_run: bool,
) -> Result<(Variants, Vec<(Recipient, usize)>)> {
    let pick = |list: &[Subscriber]| {
        let mut by_key: HashMap<String, Option<usize>> = HashMap::new();
        let mut variants: Variants = Vec::new();
        let mut recipients = Vec::new();
        for s in list.iter().filter(|s| s.gets_digest()) {
            let key = choice_key(&s.categories);
            let slot = *by_key.entry(key).or_insert_with(|| {
                let personal = edition.for_categories(&s.categories);
                if personal.is_empty() && !(config.digest.send_empty && edition.is_empty()) {
                    return None;
                }
                let mut ctx = Context::new(site, &config.digest);
                ctx.categories = &s.categories;
                variants.push((s.categories.clone(), templates::render(&personal, &ctx)));
                Some(variants.len() - 1)
            });
            if let Some(i) = slot {
                recipients.push((Recipient::from(s), i));
            }
        }
        (variants, recipients)
    };
    let store = Store::open(&config.subscribers.file);
    let list = if dry_run {
        store.load()?
    } else {
        store.load_with_tokens()?
    };
    Ok(pick(&list))
}

fn dry_run(
    edition: &Edition,
    variants: &Variants,
    recipients: &[(Recipient, usize)],
    sender: &SenderSettings,
) -> Result<ExitCode> {
    let mut bytes = 0usize;
    for (r, v) in recipients {
        bytes += compose(&variants[*v].1, r, sender)?.formatted().len();
    }
    println!(
        "dry run: edition {} with {} posts; {} messages in {} variants ({:.1} KB on average); nothing sent, nothing changed",
        edition.id,
        edition.len(),
        recipients.len(),
        variants.len(),
        if recipients.is_empty() { 0.0 } else { bytes as f64 / recipients.len() as f64 / 1024.0 }
    );
    Ok(ExitCode::SUCCESS)
}

/// Rebuilds the stored variants exactly as they were first rendered.
fn stored_variants(stored: &Stored) -> Result<Vec<Rendered>> {
    stored
        .meta
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (html, text) = stored.body(i)?;
            Ok(Rendered::restore(
                stored.meta.id.clone(),
                v.subject.clone(),
                v.count,
                html,
                text,
            ))
        })
        .collect()
}

fn deliver_stored(
    config: &Config,
    sender: &SenderSettings,
    stored: &mut Stored,
    stop: &AtomicBool,
    out: &Output,
) -> Result<ExitCode> {
    let variants = stored_variants(stored)?;
    let recipients = stored.recipients()?;
    let journal_path = stored.journal_path();
    let done = journal::read(&journal_path)
        .with_context(|| format!("cannot read the journal `{}`", journal_path.display()))?;
    // Someone who unsubscribed since the edition started gets nothing more.
    // The list is read again only if it changed since then: a fresh send
    // need not hold it in memory twice.
    let active = changed_since(&config.subscribers.file, stored.meta.created_at)
        .then(|| -> Result<HashSet<String>> {
            Ok(Store::open(&config.subscribers.file)
                .load()?
                .into_iter()
                .filter(|s| s.gets_digest())
                .map(|s| s.email)
                .collect())
        })
        .transpose()?;
    let mut skipped = 0;
    let jobs: Vec<Job> = recipients
        .into_iter()
        .filter(|(r, _)| !done.contains_key(&r.email))
        .filter(|(r, _)| {
            let keep = active.as_ref().is_none_or(|a| a.contains(&r.email));
            skipped += usize::from(!keep);
            keep
        })
        .map(|(recipient, variant)| Job { recipient, variant })
        .collect();
    drop(active);
    let already = done.len();
    if already > 0 {
        out.info(format!(
            "{already} recipients already have an outcome; {} to go",
            jobs.len()
        ));
    }
    let (transport, connections) = mail::transport(config, &stored.meta.id)?;
    let journal = Journal::open(&journal_path)
        .with_context(|| format!("cannot open the journal `{}`", journal_path.display()))?;
    let from = sender.from.email.clone();
    let build = |job: &Job| -> Result<(lettre::Address, Vec<u8>), String> {
        let rendered = &variants[job.variant];
        let message = compose(rendered, &job.recipient, sender).map_err(|e| e.to_string())?;
        let to = envelope_address(&job.recipient.email)?;
        Ok((to, message.formatted()))
    };
    let opts = deliver::Options {
        connections,
        rate_limit: config.smtp.rate_limit,
        max_retries: config.smtp.max_retries,
        backoff: BACKOFF,
        stop,
    };
    let mut bar = ProgressLine::new(out);
    let report = deliver(
        jobs,
        transport.as_ref(),
        &from,
        build,
        &journal,
        &opts,
        &mut |p| bar.show(p),
    );
    bar.finish();
    journal
        .sync()
        .with_context(|| format!("cannot sync the journal `{}`", journal_path.display()))?;
    drop(journal);
    summarize(&report, skipped, out);

    if report.pending.is_empty() && report.fatal.is_none() {
        let outcomes = journal::read(&journal_path)?;
        let failed: Vec<&str> = outcomes
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Failed(_)))
            .map(|(e, _)| e.as_str())
            .collect();
        // Closed first, bounces counted after: a crash in between loses
        // this edition's bounce counts rather than counting them twice.
        stored.close(Closed {
            closed_at: Utc::now(),
            delivered: outcomes
                .values()
                .filter(|o| matches!(o, Outcome::Delivered(_)))
                .count(),
            failed: failed.len(),
        })?;
        if !failed.is_empty() {
            let limit = config.delivery.bounce_limit.unwrap_or(DEFAULT_BOUNCE_LIMIT);
            let now_bounced =
                Store::open(&config.subscribers.file).record_bounces(&failed, limit)?;
            for email in now_bounced {
                out.info(format!(
                    "{email} is now `bounced` after {limit} permanent failures"
                ));
            }
        }
        out.info(format!(
            "edition {} is closed; the next one starts at {}",
            stored.meta.id,
            stored.meta.until.to_rfc3339()
        ));
        Ok(ExitCode::SUCCESS)
    } else {
        if let Some(fatal) = &report.fatal {
            eprintln!("error: {fatal}");
        }
        for (email, reason) in report.pending.iter().take(10) {
            eprintln!("pending: {email}: {reason}");
        }
        if report.pending.len() > 10 {
            eprintln!("pending: … and {} more", report.pending.len() - 10);
        }
        eprintln!(
            "{} recipients are still pending; run `postbode send` again to resume",
            report.pending.len()
        );
        Ok(ExitCode::from(1))
    }
}

/// The address for RCPT TO: an international domain in its ASCII (IDNA)
/// form, which every server accepts without SMTPUTF8.
fn envelope_address(email: &str) -> Result<lettre::Address, String> {
    let email = email.trim();
    let ascii = match email.rsplit_once('@') {
        Some((local, domain)) if !domain.is_ascii() => {
            let domain = idna::domain_to_ascii(domain)
                .map_err(|e| format!("invalid domain in `{email}`: {e}"))?;
            format!("{local}@{domain}")
        }
        _ => email.to_owned(),
    };
    ascii
        .parse()
        .map_err(|e| format!("invalid address `{email}`: {e}"))
}

/// True when `path` was modified after `since` (or its time is unknown).
fn changed_since(path: &std::path::Path, since: chrono::DateTime<Utc>) -> bool {
    match std::fs::metadata(path).and_then(|m| m.modified()) {
        Ok(modified) => chrono::DateTime::<Utc>::from(modified) >= since,
        Err(_) => true,
    }
}

fn summarize(report: &Report, skipped: usize, out: &Output) {
    let secs = report.elapsed.as_secs_f64();
    let sent = report.delivered + report.failed.len();
    for (email, reply) in &report.failed {
        out.warn(format!("{email}: refused: {reply}"));
    }
    println!(
        "delivered {}, failed permanently {}, still pending {}{} in {:.1} s ({:.0} messages/s)",
        report.delivered,
        report.failed.len(),
        report.pending.len(),
        if skipped > 0 {
            format!(", skipped {skipped} who unsubscribed meanwhile")
        } else {
            String::new()
        },
        secs,
        if secs > 0.0 { sent as f64 / secs } else { 0.0 }
    );
}

/// A progress bar on a terminal, a log line every few seconds otherwise.
struct ProgressLine {
    tty: bool,
    quiet: bool,
    last: Option<std::time::Instant>,
    shown: bool,
    printed_final: bool,
}

impl ProgressLine {
    fn new(out: &Output) -> ProgressLine {
        ProgressLine {
            tty: std::io::stderr().is_terminal(),
            quiet: out.quiet,
            last: None,
            shown: false,
            printed_final: false,
        }
    }

    fn show(&mut self, p: Progress) {
        if self.quiet || p.total == 0 {
            return;
        }
        let every = if self.tty {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(5)
        };
        let finished = p.done == p.total;
        if self.printed_final || (self.last.is_some_and(|l| l.elapsed() < every) && !finished) {
            return;
        }
        self.printed_final = finished;
        self.last = Some(std::time::Instant::now());
        let secs = p.elapsed.as_secs_f64().max(0.001);
        let rate = p.done as f64 / secs;
        let eta = if rate > 0.0 {
            ((p.total - p.done) as f64 / rate) as u64
        } else {
            0
        };
        let line = format!(
            "{}/{} sent ({} refused), {:.0}/s, ETA {}:{:02}",
            p.done,
            p.total,
            p.failed,
            rate,
            eta / 60,
            eta % 60
        );
        if self.tty {
            let width = 24;
            let filled = (p.done * width).checked_div(p.total).unwrap_or(width);
            eprint!(
                "\r[{}{}] {line}  ",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            self.shown = true;
        } else {
            eprintln!("{line}");
        }
    }

    fn finish(&mut self) {
        if self.shown {
            eprintln!();
        }
    }
}

/// `--to EMAIL`: the edition, as everyone would get it, to one address
/// outside the list. No journal, no state change.
fn test_send(
    config: &Config,
    site: &SiteSettings,
    sender: &SenderSettings,
    state: &StateDir,
    args: &SendArgs,
    to: &str,
    out: &Output,
) -> Result<ExitCode> {
    let address: lettre::Address = to
        .trim()
        .parse()
        .map_err(|e| anyhow!("`{to}` is not a valid address: {e}"))?;
    let last_end = state.last_closed()?.map(|s| s.meta.until);
    let window = edition_window(&args.window.bounds(), config, site, last_end, Utc::now())?;
    let edition = load_edition(config, site, &args.window, window, out)?;
    let ctx = Context::new(site, &config.digest);
    let rendered = templates::render(&edition, &ctx);
    let recipient = Recipient {
        email: address.to_string(),
        name: None,
        token: "test-send".to_owned(),
        categories: Vec::new(),
    };
    let message = compose(&rendered, &recipient, sender)?;
    let (transport, _) = mail::transport(config, &format!("test-{}", edition_id(&window)))?;
    let mut conn = transport.connect()?;
    let reply = conn.send(&sender.from.email, &address, &message.formatted())?;
    conn.close();
    println!(
        "sent edition {} ({} posts) to {address}: {reply}",
        edition.id,
        edition.len()
    );
    Ok(ExitCode::SUCCESS)
}
