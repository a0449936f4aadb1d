//! The delivery pipeline: plan → store → deliver → close → count bounces.
//!
//! The order of things is what makes a crash harmless: the edition (its
//! content per category choice and its recipient list) is stored whole
//! before the first message goes out; each outcome is journaled as the
//! server answers; the edition is closed only when every recipient has an
//! outcome. Running [`send`] again picks up exactly where it stopped.
//!
//! Nothing here prints: progress and notes go to the caller's [`Event`]
//! callback, and the result says how the run ended.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use lettre::Address;

use crate::config::Config;
use crate::edition::{choice_key, edition_window, select, Edition};
use crate::intro::{self, Intro, IntroError};
use crate::mail::body::Letter;
use crate::mail::compose::{compose, ComposeError, Recipient, SenderSettings};
use crate::mail::deliver::{self, deliver, send_one, Job};
use crate::mail::smtp::SendError;
use crate::render::{render, Context};
use crate::site::{self, LoadOptions, SiteError, SiteSettings, Warning};
use crate::state::journal::{self, Journal, Outcome};
use crate::state::{Closed, Meta, Prepare, StateDir, StateError, Stored, StoredNote, Variant};
use crate::subscribers::{Store, StoreError, Subscriber, DEFAULT_BOUNCE_LIMIT};
use crate::templates::Paragraph;
use crate::window::{Bounds, Window, WindowError};

pub use crate::mail::deliver::{Progress, Report};

/// How long the first retry of a transient failure waits (then doubling).
const BACKOFF: Duration = Duration::from_millis(500);

/// Why a send cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Site(#[from] SiteError),
    #[error(transparent)]
    Window(#[from] WindowError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Compose(#[from] ComposeError),
    #[error(transparent)]
    Transport(#[from] SendError),
    #[error(transparent)]
    Intro(#[from] IntroError),
    #[error("cannot {action} the journal `{path}`")]
    Journal {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("edition {id} was already delivered on {closed_at}; a window is sent once")]
    AlreadyDelivered { id: String, closed_at: String },
    #[error(
        "edition {id} ({since} to {until}) is not finished yet; run `postbode send` without `--since`/`--until` to finish it first"
    )]
    Unfinished {
        id: String,
        since: String,
        until: String,
    },
    #[error("`{address}` is not a valid address: {reason}")]
    BadAddress { address: String, reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What to send: the window's bounds as the user gave them, and the
/// categories to keep (empty: `digest.categories`).
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub bounds: Bounds,
    pub categories: Vec<String>,
    /// Plan and compose every message, store and send nothing.
    pub dry_run: bool,
    /// `--intro FILE`: the editor's note (else `digest.intro_file`).
    pub intro: Option<PathBuf>,
}

/// What a run reports while it works.
#[derive(Debug)]
pub enum Event<'a> {
    /// A status line.
    Note(String),
    /// Problems with post files (the run goes on without them).
    Warnings(&'a [Warning]),
    /// How far delivery is.
    Progress(Progress),
}

/// How a run ended.
#[derive(Debug)]
pub enum Sent {
    /// The window has no posts and `digest.send_empty` is off.
    Empty { window: Window },
    /// `--dry-run`: what would go out.
    DryRun(DryRun),
    /// An unfinished edition exists; a dry run does not touch it.
    WouldResume { id: String },
    /// The delivery ran; `closed` when every recipient has an outcome.
    Delivered(Delivered),
}

#[derive(Debug)]
pub struct DryRun {
    pub id: String,
    pub posts: usize,
    pub messages: usize,
    pub variants: usize,
    pub average_bytes: f64,
}

#[derive(Debug)]
pub struct Delivered {
    pub id: String,
    pub report: Report,
    /// Recipients left out because they unsubscribed since it started.
    pub skipped: usize,
    /// The edition is closed: the next window starts at `next_since`.
    pub closed: bool,
    pub next_since: DateTime<FixedOffset>,
    /// Subscribers who reached the bounce limit in this run.
    pub now_bounced: Vec<String>,
    pub bounce_limit: u32,
}

/// `digest.categories`, unless the request names categories.
pub fn category_filter(config: &Config, categories: &[String]) -> Vec<String> {
    if categories.is_empty() {
        config.digest.categories.clone()
    } else {
        categories.to_vec()
    }
}

/// The last delivered edition's end, where the next window starts.
pub fn last_end(config: &Config) -> Result<Option<DateTime<FixedOffset>>> {
    Ok(StateDir::new(config.digest_state_dir())
        .last_closed()?
        .map(|s| s.meta.until))
}

/// The window a request means now: its bounds, else from the last
/// delivered edition's end (or `window_days`) to now.
pub fn window(config: &Config, site: &SiteSettings, bounds: &Bounds) -> Result<Window> {
    Ok(edition_window(
        bounds,
        config,
        site,
        last_end(config)?,
        Utc::now(),
    )?)
}

/// The posts of `window`, selected into an edition, and the problems with
/// post files met on the way.
pub fn load_edition(
    config: &Config,
    site: &SiteSettings,
    categories: &[String],
    window: Window,
) -> Result<(Edition, Vec<Warning>)> {
    let loaded = site::load(
        site,
        &LoadOptions {
            window: Some(window),
            summary_length: Some(config.digest.summary_length),
        },
    )?;
    let filter = category_filter(config, categories);
    let mut edition = select(loaded.posts, window, &filter, &config.digest);
    // Two digests may cover the same window: their editions (outbox
    // folders, Message-IDs) must differ. `weekly` keeps the ids it had
    // as the only digest.
    let name = config.digest_name();
    if name != crate::config::WEEKLY {
        edition.id = format!("{name}-{}", edition.id);
    }
    Ok((edition, loaded.warnings))
}

/// The editor's note for a new edition: `--intro FILE` (which must exist),
/// else `digest.intro_file` (none when it does not exist).
pub fn read_intro(config: &Config, explicit: Option<&Path>) -> Result<Option<Intro>> {
    let (path, required) = match (explicit, &config.digest.intro_file) {
        (Some(p), _) => (p, true),
        (None, Some(p)) => (p.as_path(), false),
        (None, None) => return Ok(None),
    };
    let intro = intro::read(path, required)?;
    Ok(intro)
}

/// Delivers the current edition, resuming an unfinished one. Setting `stop`
/// ends the run after the messages in flight.
pub fn send(
    config: &Config,
    request: &Request,
    stop: &AtomicBool,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<Sent> {
    let site = SiteSettings::resolve(config)?;
    let sender = SenderSettings::resolve(&config.sender)?;
    let state = StateDir::new(config.digest_state_dir());

    let _lock = if request.dry_run {
        None
    } else {
        Some(state.lock()?)
    };
    let mut stored = match state.unfinished()? {
        Some(s) => {
            check_resume_bounds(&s, &request.bounds, &site)?;
            on(Event::Note(format!(
                "resuming edition {} ({} recipients)",
                s.meta.id, s.meta.recipients
            )));
            s
        }
        None => {
            let last_end = state.last_closed()?.map(|s| s.meta.until);
            let window = edition_window(&request.bounds, config, &site, last_end, Utc::now())?;
            let (edition, warnings) = load_edition(config, &site, &request.categories, window)?;
            on(Event::Warnings(&warnings));
            if let Some(existing) = state.all()?.into_iter().find(|s| s.meta.id == edition.id) {
                return Err(Error::AlreadyDelivered {
                    id: existing.meta.id,
                    closed_at: existing
                        .closed
                        .as_ref()
                        .map_or("?".to_owned(), |c| c.closed_at.to_rfc3339()),
                });
            }
            if edition.is_empty() && !config.digest.send_empty {
                return Ok(Sent::Empty { window });
            }
            // Before the list is read: an unsubscribe after this moment is
            // seen by delivery (see `changed_since`).
            let started = Utc::now();
            let intro = read_intro(config, request.intro.as_deref())?;
            if let Some(i) = &intro {
                on(Event::Note(note_line(i)));
            }
            let note = intro
                .as_ref()
                .map_or(&[][..], |i| &i.reduced.paragraphs[..]);
            if request.dry_run {
                return dry_run(config, &site, &edition, &sender, note);
            }
            let mut recipients = Vec::new();
            let variants = plan(config, &site, &edition, note, false, |r, v, _| {
                recipients.push((r, v));
                Ok(())
            })?;
            store(
                &state,
                &edition,
                started,
                &variants,
                &recipients,
                intro.as_ref(),
            )?
        }
    };
    if request.dry_run {
        return Ok(Sent::WouldResume {
            id: stored.meta.id.clone(),
        });
    }
    let today = Utc::now().with_timezone(&site.timezone).date_naive();
    deliver_stored(config, &sender, &mut stored, today, stop, on)
}

/// The status line for an editor's note, with what it lost on the way.
pub fn note_line(i: &Intro) -> String {
    let mut line = format!("the editor's note `{}` opens the edition", i.path.display());
    if i.reduced.raw_html {
        line.push_str("; its raw HTML is shown as text");
    }
    if !i.reduced.dropped_links.is_empty() {
        line.push_str(&format!(
            "; links that are not http(s) or mailto show as text: {}",
            i.reduced.dropped_links.join(", ")
        ));
    }
    line
}

/// Bounds given while an edition is unfinished must name that edition.
fn check_resume_bounds(s: &Stored, bounds: &Bounds, site: &SiteSettings) -> Result<()> {
    if bounds.since.is_none() && bounds.until.is_none() {
        return Ok(());
    }
    let tz = site.timezone;
    let parse = |t: &Option<String>, flag: &str| {
        t.as_deref()
            .map(|t| crate::window::parse_time(t, tz))
            .transpose()
            .map_err(|e| WindowError(format!("`--{flag}`: {e}")))
    };
    let since = parse(&bounds.since, "since")?;
    let until = parse(&bounds.until, "until")?;
    if since.is_some_and(|t| t != s.meta.since) || until.is_some_and(|t| t != s.meta.until) {
        return Err(Error::Unfinished {
            id: s.meta.id.clone(),
            since: s.meta.since.to_rfc3339(),
            until: s.meta.until.to_rfc3339(),
        });
    }
    Ok(())
}

type Variants = Vec<(Vec<String>, Letter)>;

/// One rendered variant per distinct category choice, and every active
/// subscriber whose choice has posts, with their variant, handed to `each`
/// as the list is read (a dry run of a list of millions keeps none of them).
fn plan(
    config: &Config,
    site: &SiteSettings,
    edition: &Edition,
    note: &[Paragraph],
    dry_run: bool,
    mut each: impl FnMut(Recipient, usize, &Variants) -> Result<()>,
) -> Result<Variants> {
    let mut by_key: HashMap<String, Option<usize>> = HashMap::new();
    let mut variants: Variants = Vec::new();
    let store = Store::open(&config.subscribers.file);
    let theme = crate::render::theme::theme(config);
    let archive_url = crate::archive::web_url(config, site);
    let (digest, default) = (config.digest_name(), config.default_digest());
    let preferences = config
        .sender
        .unsubscribe_url
        .as_deref()
        .and_then(crate::config::preferences_url)
        .is_some();
    // A pause ends at the start of its day where the site is.
    let today = Utc::now().with_timezone(&site.timezone).date_naive();
    // A real send saves missing or hand-made tokens first: no message may
    // carry a token the list does not hold.
    store.for_each(!dry_run, |s: Subscriber| -> Result<()> {
        if !s.receives(digest, default, today) {
            return Ok(());
        }
        let key = choice_key(&s.categories);
        let slot = *by_key.entry(key).or_insert_with(|| {
            let personal = edition.for_categories(&s.categories);
            if personal.is_empty() && !(config.digest.send_empty && edition.is_empty()) {
                return None;
            }
            let mut ctx = Context::new(site, &config.digest);
            ctx.categories = &s.categories;
            ctx.theme = Some(&theme);
            ctx.note = note;
            if archive_url.is_some() {
                ctx.web_url = archive_url.as_deref();
            }
            ctx.preferences = preferences;
            variants.push((s.categories.clone(), Letter::new(render(&personal, &ctx))));
            Some(variants.len() - 1)
        });
        match slot {
            Some(i) => each(Recipient::from(s), i, &variants),
            None => Ok(()),
        }
    })?;
    Ok(variants)
}

/// Composes every message to count its size, one at a time, and sends nothing.
fn dry_run(
    config: &Config,
    site: &SiteSettings,
    edition: &Edition,
    sender: &SenderSettings,
    note: &[Paragraph],
) -> Result<Sent> {
    let mut bytes = 0usize;
    let mut messages = 0usize;
    let variants = plan(config, site, edition, note, true, |r, v, variants| {
        bytes += compose(&variants[v].1, &r, sender)?.formatted().len();
        messages += 1;
        Ok(())
    })?;
    Ok(Sent::DryRun(DryRun {
        id: edition.id.clone(),
        posts: edition.len(),
        messages,
        variants: variants.len(),
        average_bytes: if messages == 0 {
            0.0
        } else {
            bytes as f64 / messages as f64
        },
    }))
}

/// Stores the edition, whole, before the first message goes out.
fn store(
    state: &StateDir,
    edition: &Edition,
    started: DateTime<Utc>,
    variants: &Variants,
    recipients: &[(Recipient, usize)],
    intro: Option<&Intro>,
) -> Result<Stored> {
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
        edition: serde_json::to_value(edition).unwrap_or_default(),
        note: intro.map(|i| StoredNote {
            file: i.path.clone(),
            markdown: i.markdown.clone(),
        }),
    };
    let bodies = variants
        .iter()
        .map(|(_, r)| (r.html.source(), r.text.source()))
        .collect();
    Ok(state.prepare(&Prepare {
        meta,
        bodies,
        recipients,
    })?)
}

/// Rebuilds the stored variants exactly as they were first rendered.
fn stored_variants(stored: &Stored) -> Result<Vec<Letter>> {
    stored
        .meta
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (html, text) = stored.body(i)?;
            Ok(Letter::restore(
                stored.meta.id.clone(),
                v.subject.clone(),
                v.count,
                html,
                text,
            ))
        })
        .collect()
}

fn journal_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_owned();
    move |source| Error::Journal {
        action,
        path,
        source,
    }
}

fn deliver_stored(
    config: &Config,
    sender: &SenderSettings,
    stored: &mut Stored,
    today: chrono::NaiveDate,
    stop: &AtomicBool,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<Sent> {
    let variants = stored_variants(stored)?;
    let recipients = stored.recipients()?;
    let journal_path = stored.journal_path();
    let done = journal::read(&journal_path).map_err(journal_error("read", &journal_path))?;
    // Someone who unsubscribed since the edition started gets nothing more.
    // The list is read again only if it changed since then: a fresh send
    // need not hold it in memory twice.
    // So does someone who paused or left this digest meanwhile.
    let active = if changed_since(&config.subscribers.file, stored.meta.created_at) {
        let (digest, default) = (config.digest_name(), config.default_digest());
        let mut active = HashSet::new();
        Store::open(&config.subscribers.file).for_each(false, |s: Subscriber| {
            if s.receives(digest, default, today) {
                active.insert(s.email);
            }
            Ok::<_, StoreError>(())
        })?;
        Some(active)
    } else {
        None
    };
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
        on(Event::Note(format!(
            "{already} recipients already have an outcome; {} to go",
            jobs.len()
        )));
    }
    let (transport, connections) = crate::mail::transport(config, &stored.meta.id)?;
    let journal = Journal::open(&journal_path).map_err(journal_error("open", &journal_path))?;
    let from = sender.from.email.clone();
    let build = |job: &Job| -> Result<(Address, Vec<u8>), String> {
        let rendered = &variants[job.variant];
        let message = compose(rendered, &job.recipient, sender).map_err(|e| e.to_string())?;
        let to = envelope_address(&job.recipient.email).map_err(|e| e.to_string())?;
        Ok((to, message.formatted()))
    };
    let opts = deliver::Options {
        connections,
        rate_limit: config.smtp.rate_limit,
        max_retries: config.smtp.max_retries,
        backoff: BACKOFF,
        stop,
        return_path: sender.return_path.as_ref(),
    };
    let report = deliver(
        jobs,
        transport.as_ref(),
        &from,
        build,
        &journal,
        &opts,
        &mut |p| on(Event::Progress(p)),
    );
    journal
        .sync()
        .map_err(journal_error("sync", &journal_path))?;
    drop(journal);

    let limit = config.delivery.bounce_limit.unwrap_or(DEFAULT_BOUNCE_LIMIT);
    let mut now_bounced = Vec::new();
    let closed = report.pending.is_empty() && report.fatal.is_none();
    if closed {
        let outcomes =
            journal::read(&journal_path).map_err(journal_error("read", &journal_path))?;
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
            now_bounced = Store::open(&config.subscribers.file).record_bounces(&failed, limit)?;
        }
        if let Some(note) = &stored.meta.note {
            if let Some(to) = intro::move_aside(&note.file, &note.markdown, &stored.meta.id)? {
                on(Event::Note(format!(
                    "moved the editor's note aside to `{}`",
                    to.display()
                )));
            }
        }
        // The edition is delivered whatever happens here: a failure to
        // archive is said, and `postbode archive` writes it later.
        if config.archive.is_some() {
            let written = SiteSettings::resolve(config)
                .map_err(|e| e.to_string())
                .and_then(|site| {
                    crate::archive::write_all(config, &site)
                        .map_err(|e| crate::output::error_chain(&e))
                });
            on(Event::Note(match written {
                Ok(w) => format!("wrote the edition into the web archive `{}`", w.dir.display()),
                Err(e) => format!(
                    "warning: the edition is delivered but not archived: {e}; run `postbode archive` once it is fixed"
                ),
            }));
        }
    }
    Ok(Sent::Delivered(Delivered {
        id: stored.meta.id.clone(),
        report,
        skipped,
        closed,
        next_since: stored.meta.until,
        now_bounced,
        bounce_limit: limit,
    }))
}

/// The address for RCPT TO: an international domain in its ASCII (IDNA)
/// form, which every server accepts without SMTPUTF8.
pub fn envelope_address(email: &str) -> Result<Address> {
    let email = email.trim();
    let bad = |reason: String| Error::BadAddress {
        address: email.to_owned(),
        reason,
    };
    let ascii = match email.rsplit_once('@') {
        Some((local, domain)) if !domain.is_ascii() => {
            let domain =
                idna::domain_to_ascii(domain).map_err(|e| bad(format!("invalid domain: {e}")))?;
            format!("{local}@{domain}")
        }
        _ => email.to_owned(),
    };
    ascii.parse().map_err(|e| bad(format!("{e}")))
}

/// True when `path` was modified after `since` (or its time is unknown).
fn changed_since(path: &Path, since: DateTime<Utc>) -> bool {
    let modified = |p: &Path| match std::fs::metadata(p).and_then(|m| m.modified()) {
        Ok(modified) => DateTime::<Utc>::from(modified) >= since,
        Err(_) => true,
    };
    // An SQLite list in WAL mode changes its `-wal` file first.
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = PathBuf::from(wal);
    modified(path) || (wal.exists() && modified(&wal))
}

/// `send --to EMAIL`: the edition, as everyone would get it, to one address
/// outside the list. No journal, no state change. Returns the edition's id,
/// its post count and the server's reply.
pub fn test_send(config: &Config, request: &Request, to: &str) -> Result<(String, usize, String)> {
    let site = SiteSettings::resolve(config)?;
    let sender = SenderSettings::resolve(&config.sender)?;
    let address: Address = to.trim().parse().map_err(|e| Error::BadAddress {
        address: to.to_owned(),
        reason: format!("{e}"),
    })?;
    let window = window(config, &site, &request.bounds)?;
    let (edition, _) = load_edition(config, &site, &request.categories, window)?;
    let intro = read_intro(config, request.intro.as_deref())?;
    let theme = crate::render::theme::theme(config);
    let archive_url = crate::archive::web_url(config, &site);
    let mut ctx = Context::new(&site, &config.digest);
    ctx.theme = Some(&theme);
    if archive_url.is_some() {
        ctx.web_url = archive_url.as_deref();
    }
    if let Some(i) = &intro {
        ctx.note = &i.reduced.paragraphs;
    }
    ctx.preferences = sender.preferences_url.is_some();
    let rendered = Letter::new(render(&edition, &ctx));
    let recipient = Recipient {
        email: address.to_string(),
        name: None,
        token: "test-send".to_owned(),
        categories: Vec::new(),
    };
    let message = compose(&rendered, &recipient, &sender)?;
    let (transport, _) = crate::mail::transport(config, &format!("test-{}", edition.id))?;
    let reply = send_one(
        transport.as_ref(),
        &sender.from.email,
        &address,
        &message.formatted(),
        1,
        BACKOFF,
    )?;
    let posts = edition.len();
    Ok((edition.id, posts, reply))
}
