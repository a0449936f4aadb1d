//! `postbode subscribers …`: add, remove, unsubscribe, resubscribe, list,
//! import and export. Each change prints one line on stdout saying what
//! changed; problems go to stderr.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, FixedOffset, SubsecRound};

use super::Output;
use crate::bounces::record::{Entry, Record};
use crate::cli::{
    self, AddArgs, ExportArgs, ExportFormat, ImportArgs, ListArgs, SubscribersCommand,
};
use crate::config::Config;
use crate::subscribers::{
    self, clean_categories, clean_name, import, Address, Status, Store, Subscriber,
};

pub fn run(config: &Config, cmd: &SubscribersCommand, out: &Output) -> Result<ExitCode> {
    let store = Store::open(&config.subscribers.file);
    match cmd {
        SubscribersCommand::Add(args) => add(config, &store, args, out),
        SubscribersCommand::Remove(args) => remove(&store, &args.email, out),
        SubscribersCommand::Unsubscribe(args) => unsubscribe(&store, &args.email, out),
        SubscribersCommand::Resubscribe(args) => resubscribe(&store, &args.email, out),
        SubscribersCommand::Pause(args) => super::pause::pause(&store, args, out),
        SubscribersCommand::Resume(args) => super::pause::resume(&store, args, out),
        SubscribersCommand::List(args) => {
            let record = Record::path(&config.delivery.state_dir);
            if let Some(d) = &args.digest {
                super::pause::known_digests(config, std::slice::from_ref(d))?;
            }
            list(config, &store, args, out, &record)
        }
        SubscribersCommand::Import(args) => import(config, &store, args, out),
        SubscribersCommand::Export(args) => export(&store, args),
        SubscribersCommand::Dedupe(args) => super::maintain::dedupe(config, &store, args, out),
        SubscribersCommand::Migrate(args) => super::maintain::migrate(&store, args, out),
    }
}

fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset().trunc_subsecs(0)
}

fn add(config: &Config, store: &Store, args: &AddArgs, out: &Output) -> Result<ExitCode> {
    let digests = super::pause::known_digests(config, &args.digests)?;
    let address = Address::parse(&args.email)?;
    let name = match &args.name {
        Some(name) => clean_name(name).map_err(|m| anyhow!(m))?,
        None => None,
    };
    let categories = clean_categories(&args.categories).map_err(|m| anyhow!(m))?;
    let given = address.email.clone();
    let mut added = Subscriber::new(address, name, categories, now());
    added.digests = digests;
    if let Some(existing) = store.add(added.clone())? {
        let who = same_as(&given, &existing);
        bail!(match existing.status {
            Status::Active => format!("{who} is already subscribed"),
            Status::Pending => format!("{who} is already on the list, waiting for confirmation"),
            Status::Unsubscribed => format!(
                "{who} has unsubscribed; if they asked to come back, use \
                 `postbode subscribers resubscribe {}`",
                existing.email
            ),
            Status::Bounced => format!(
                "{who} is on the list but bounced; `postbode subscribers resubscribe {}` \
                 makes them active again",
                existing.email
            ),
        });
    }
    let name = added
        .name
        .as_deref()
        .map(|n| format!("name: {n}; "))
        .unwrap_or_default();
    let digests = if added.digests.is_empty() {
        String::new()
    } else {
        format!("; digests: {}", added.digests.join(", "))
    };
    out.done(format!(
        "added {} ({name}categories: {}{digests})",
        added.email,
        categories_text(&added.categories)
    ));
    Ok(ExitCode::SUCCESS)
}

/// `` `ada@EXAMPLE.org` (on the list as `ada@example.org`) `` when the spelling differs.
fn same_as(given: &str, existing: &Subscriber) -> String {
    if given == existing.email {
        format!("`{given}`")
    } else {
        format!("`{given}` (on the list as `{}`)", existing.email)
    }
}

/// The error for an address that is not on the list.
fn not_on_list(store: &Store, email: &str) -> anyhow::Error {
    anyhow!(
        "`{}` is not on the list `{}`",
        email.trim(),
        store.path().display()
    )
}

/// Changes the entry for `email` (any case) with `f`, or fails naming it.
fn change<T>(
    store: &Store,
    email: &str,
    f: impl FnOnce(&mut Subscriber) -> T,
) -> Result<(T, Subscriber)> {
    let address = Address::parse(email)?;
    store
        .change(&address.email, f)?
        .ok_or_else(|| not_on_list(store, &address.email))
}

fn remove(store: &Store, email: &str, out: &Output) -> Result<ExitCode> {
    let address = Address::parse(email)?;
    let removed = store
        .remove(&address.email)?
        .ok_or_else(|| not_on_list(store, &address.email))?;
    out.done(format!(
        "removed {} (was {})",
        removed.email, removed.status
    ));
    Ok(ExitCode::SUCCESS)
}

fn unsubscribe(store: &Store, email: &str, out: &Output) -> Result<ExitCode> {
    let (changed, subscriber) = change(store, email, |s| s.unsubscribe(now()))?;
    if changed {
        out.done(format!("unsubscribed {}", subscriber.email));
    } else {
        let since = subscriber
            .unsubscribed_at
            .map(|at| format!(" on {}", at.date_naive()))
            .unwrap_or_default();
        out.info(format!(
            "`{}` had already unsubscribed{since}; nothing changed",
            subscriber.email
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn resubscribe(store: &Store, email: &str, out: &Output) -> Result<ExitCode> {
    let (was, subscriber) = change(store, email, |s| {
        let was = s.status;
        s.resubscribe(now());
        was
    })?;
    if was == Status::Active {
        out.info(format!(
            "`{}` is already active; nothing changed",
            subscriber.email
        ));
    } else {
        out.done(format!("resubscribed {} (was {was})", subscriber.email));
    }
    Ok(ExitCode::SUCCESS)
}

fn list(
    config: &Config,
    store: &Store,
    args: &ListArgs,
    out: &Output,
    record: &std::path::Path,
) -> Result<ExitCode> {
    let all = store.load()?;
    let record = Record::load(record).unwrap_or_else(|e| {
        out.warn(e);
        Record::default()
    });
    let status = args.status.map(|s| match s {
        cli::Status::Active => Status::Active,
        cli::Status::Pending => Status::Pending,
        cli::Status::Unsubscribed => Status::Unsubscribed,
        cli::Status::Bounced => Status::Bounced,
    });
    let shown: Vec<&Subscriber> = all
        .iter()
        .filter(|s| status.is_none_or(|st| s.status == st))
        .filter(|s| args.category.as_deref().is_none_or(|c| s.wants(c)))
        .filter(|s| {
            args.digest
                .as_deref()
                .is_none_or(|d| s.on_digest(d.trim(), config.default_digest()))
        })
        .collect();
    let why: Vec<Option<&Entry>> = shown.iter().map(|s| last_report(&record, s)).collect();
    if args.json {
        let rows: Vec<Row<'_>> = shown
            .iter()
            .zip(&why)
            .map(|(s, w)| Row {
                subscriber: s,
                last_report: *w,
            })
            .collect();
        write_stdout(|w| {
            serde_json::to_writer_pretty(&mut *w, &rows)?;
            writeln!(w)
        })?;
    } else if !shown.is_empty() {
        write_stdout(|w| table(w, &shown, &why))?;
    }
    out.info(summary(&all, shown.len()));
    Ok(ExitCode::SUCCESS)
}

/// A subscriber as `list --json` shows them: every stored field, and the
/// last bounce report when that is why they are out.
#[derive(serde::Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    subscriber: &'a Subscriber,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_report: Option<&'a Entry>,
}

/// The bounce report that made a subscriber `bounced` (or `unsubscribed`,
/// for a complaint), if it is newer than their subscription.
fn last_report<'a>(record: &'a Record, s: &Subscriber) -> Option<&'a Entry> {
    let entry = record.get(&s.email)?;
    let relevant = match s.status {
        Status::Bounced => true,
        Status::Unsubscribed => entry.kind == "complaint",
        _ => false,
    };
    let fresh = s.subscribed_at.is_none_or(|at| entry.at >= at);
    (relevant && fresh).then_some(entry)
}

/// `5.1.1 2026-11-20`, `complaint 2026-11-20`.
fn why_text(entry: Option<&Entry>) -> String {
    match entry {
        None => String::new(),
        Some(e) if e.kind == "complaint" => format!("complaint {}", e.at.date_naive()),
        Some(e) => format!(
            "{} {}",
            e.status.as_deref().unwrap_or(&e.kind),
            e.at.date_naive()
        ),
    }
}

/// `3 subscribers: 2 active, 1 unsubscribed` (or `1 of 3 …` when filtered).
fn summary(all: &[Subscriber], shown: usize) -> String {
    let mut counts: Vec<(Status, usize)> = Status::ALL.iter().map(|&s| (s, 0)).collect();
    for s in all {
        if let Some(c) = counts.iter_mut().find(|(st, _)| *st == s.status) {
            c.1 += 1;
        }
    }
    let parts: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let total = plural(all.len(), "subscriber", "subscribers");
    match (shown == all.len(), parts.is_empty()) {
        (_, true) => total,
        (true, false) => format!("{total}: {}", parts.join(", ")),
        (false, false) => format!("{shown} of {total} shown (in all: {})", parts.join(", ")),
    }
}

fn table(w: &mut dyn Write, list: &[&Subscriber], why: &[Option<&Entry>]) -> io::Result<()> {
    let with_why = why.iter().any(Option::is_some);
    // Lists from before digests keep the columns they had.
    let with_digests = list.iter().any(|s| !s.digests.is_empty());
    let with_pause = list.iter().any(|s| s.paused_until.is_some());
    let rows: Vec<Vec<String>> = list
        .iter()
        .zip(why)
        .map(|(s, why)| {
            let mut row = vec![
                s.email.clone(),
                s.name.clone().unwrap_or_else(|| "-".into()),
                s.status.to_string(),
                categories_text(&s.categories),
                s.subscribed_at
                    .map_or_else(|| "-".into(), |at| at.date_naive().to_string()),
                s.bounces.to_string(),
            ];
            if with_why {
                row.push(why_text(*why));
            }
            if with_digests {
                row.push(if s.digests.is_empty() {
                    "-".into()
                } else {
                    s.digests.join(", ")
                });
            }
            if with_pause {
                row.push(s.paused_until.map_or_else(|| "-".into(), |d| d.to_string()));
            }
            row
        })
        .collect();
    let mut header: Vec<String> = [
        "EMAIL",
        "NAME",
        "STATUS",
        "CATEGORIES",
        "SUBSCRIBED",
        "BOUNCES",
    ]
    .map(String::from)
    .to_vec();
    if with_why {
        header.push("LAST REPORT".into());
    }
    if with_digests {
        header.push("DIGESTS".into());
    }
    if with_pause {
        header.push("PAUSED UNTIL".into());
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            let pad = width - cell.chars().count();
            if i == 5 {
                // Numbers align right.
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
                line.push_str("  ");
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

fn categories_text(categories: &[String]) -> String {
    if categories.is_empty() {
        "all".into()
    } else {
        categories.join(", ")
    }
}

fn import(config: &Config, store: &Store, args: &ImportArgs, out: &Output) -> Result<ExitCode> {
    let file = args.file.display().to_string();
    let data = std::fs::read(&args.file).with_context(|| format!("cannot read `{file}`"))?;
    let mut csv =
        import::parse(&data).map_err(|e| anyhow!("{file}: {}", crate::output::error_chain(&e)))?;
    // A row naming a digest the config does not have is a bad row.
    let (rows, unknown): (Vec<_>, Vec<_>) = std::mem::take(&mut csv.rows)
        .into_iter()
        .partition(|r| r.digests.iter().all(|d| config.has_digest(d)));
    csv.rows = rows;
    for row in unknown {
        let name = row.digests.iter().find(|d| !config.has_digest(d));
        csv.bad.push(import::Skipped {
            line: row.line,
            message: super::pause::unknown(config, name.map_or("", |n| n.as_str())),
        });
    }
    csv.bad.sort_by_key(|b| b.line);
    if !csv.ignored_columns.is_empty() {
        let names: Vec<String> = csv
            .ignored_columns
            .iter()
            .map(|c| format!("`{c}`"))
            .collect();
        out.warn(format!("{file}: ignoring the columns {}", names.join(", ")));
    }
    // Bad rows are errors: shown even with `-q`.
    for bad in &csv.bad {
        eprintln!("{file}:{}: {}", bad.line, bad.message);
    }
    for skipped in &csv.repeated {
        out.warn(format!("{file}:{}: {}", skipped.line, skipped.message));
    }
    let now = now();
    let lines: Vec<u64> = csv.rows.iter().map(|r| r.line).collect();
    let given: Vec<String> = csv.rows.iter().map(|r| r.address.email.clone()).collect();
    let new = csv
        .rows
        .into_iter()
        .map(|row| {
            let mut s = Subscriber::new(row.address, row.name, row.categories, now);
            s.digests = row.digests;
            s
        })
        .collect();
    let outcome = store.add_many(new, args.dry_run)?;
    let mut added = 0usize;
    let mut already = Vec::new();
    for ((line, given), existing) in lines.iter().zip(&given).zip(outcome) {
        match existing {
            Some(existing) => already.push((line, same_as(given, &existing), existing.status)),
            None => added += 1,
        }
    }
    for (line, who, status) in &already {
        out.warn(format!(
            "{file}:{line}: {who} is already on the list ({status}); skipped"
        ));
    }

    let mut skipped = Vec::new();
    if !already.is_empty() {
        skipped.push(format!("{} already on the list", already.len()));
    }
    if !csv.repeated.is_empty() {
        skipped.push(format!("{} repeated in the file", csv.repeated.len()));
    }
    if !csv.bad.is_empty() {
        skipped.push(plural(csv.bad.len(), "bad row", "bad rows"));
    }
    let skipped = if skipped.is_empty() {
        String::new()
    } else {
        format!("; skipped {}", skipped.join(", "))
    };
    let verb = if args.dry_run {
        "would import"
    } else {
        "imported"
    };
    let dry = if args.dry_run {
        " (dry run: the list was not changed)"
    } else {
        ""
    };
    out.done(format!(
        "{verb} {} from `{file}`{skipped}{dry}",
        plural(added, "subscriber", "subscribers")
    ));
    Ok(if csv.bad.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn export(store: &Store, args: &ExportArgs) -> Result<ExitCode> {
    let list = store.load()?;
    match args.format {
        ExportFormat::Json => write_stdout(|w| {
            serde_json::to_writer_pretty(&mut *w, &list)?;
            writeln!(w)
        })?,
        ExportFormat::Yaml => {
            write_stdout(|w| w.write_all(subscribers::to_yaml(&list).as_bytes()))?
        }
        ExportFormat::Csv => write_stdout(|w| {
            let mut csv = csv::Writer::from_writer(w);
            csv.write_record([
                "email",
                "name",
                "categories",
                "status",
                "subscribed_at",
                "unsubscribed_at",
                "bounces",
                "token",
                "digests",
                "paused_until",
            ])?;
            for s in &list {
                let time = |at: &Option<DateTime<FixedOffset>>| {
                    at.as_ref()
                        .map(subscribers::format_time)
                        .unwrap_or_default()
                };
                csv.write_record([
                    s.email.as_str(),
                    s.name.as_deref().unwrap_or(""),
                    &s.categories.join(";"),
                    s.status.as_str(),
                    &time(&s.subscribed_at),
                    &time(&s.unsubscribed_at),
                    &s.bounces.to_string(),
                    &s.token,
                    &s.digests.join(";"),
                    &s.paused_until.map(|d| d.to_string()).unwrap_or_default(),
                ])?;
            }
            csv.flush()
        })?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes to stdout through a buffer. A closed pipe (`| head`) is not an error.
fn write_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let stdout = io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    match f(&mut w).and_then(|()| w.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e).context("cannot write to stdout"),
        _ => Ok(()),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
