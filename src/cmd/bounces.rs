//! `postbode bounces`: read bounce mail from a Maildir, an mbox file or the
//! `[bounces]` IMAP box, act on it, and say per message what it was and
//! what was done (`--json`: one object per line).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use chrono::Local;

use super::Output;
use crate::bounces::apply::{apply, Classified, MessageName, Outcome, Settings};
use crate::bounces::imap::{ImapBox, ImapSettings};
use crate::bounces::mailbox::{self, Unreadable};
use crate::bounces::record::Record;
use crate::bounces::{Action, Kind};
use crate::cli::BouncesArgs;
use crate::config::Config;
use crate::mail::compose::SenderSettings;
use crate::mail::verp::ReturnPath;
use crate::subscribers::{Store, DEFAULT_BOUNCE_LIMIT};

/// Where the bounce mail is.
enum Source<'a> {
    Maildir(&'a std::path::Path),
    Mbox(&'a std::path::Path),
    Imap(ImapSettings),
}

pub fn run(config: &Config, args: &BouncesArgs, out: &Output) -> Result<ExitCode> {
    let source = match (&args.maildir, &args.mbox) {
        (Some(dir), _) => Source::Maildir(dir),
        (_, Some(file)) => Source::Mbox(file),
        (None, None) => Source::Imap(imap_settings(config)?),
    };
    let all_read = process(config, source, args.dry_run, args.json, out)?;
    Ok(if all_read {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Before `send --if-due` and each send of `run`: the IMAP box of
/// `[bounces]`, when one is configured. A problem here is a warning: it
/// must not stop the digest.
pub fn before_send(config: &Config, out: &Output) {
    let Some(b) = &config.bounces else {
        return;
    };
    if b.imap_host.is_none() {
        return;
    }
    let result =
        imap_settings(config).and_then(|s| process(config, Source::Imap(s), false, false, out));
    if let Err(e) = result {
        out.warn(format!("bounces were not read: {}", super::error_chain(&e)));
    }
}

fn imap_settings(config: &Config) -> Result<ImapSettings> {
    let default = crate::config::BouncesConfig::default();
    let cfg = config.bounces.as_ref().unwrap_or(&default);
    ImapSettings::from_config(cfg).map_err(|e| {
        anyhow::Error::new(e).context(format!(
            "no bounce mailbox: give `--maildir DIR` or `--mbox FILE`, or set `[bounces]` in `{}`",
            config.path.display()
        ))
    })
}

/// Reads, acts, moves; true when every message could be read.
fn process(
    config: &Config,
    source: Source<'_>,
    dry_run: bool,
    json: bool,
    out: &Output,
) -> Result<bool> {
    let settings = settings(config, dry_run)?;
    let store = Store::open(&config.subscribers.file);
    let record_path = Record::path(&config.delivery.state_dir);
    let (classified, unreadable, mut imap): (Vec<Classified>, Vec<Unreadable>, Option<ImapBox>) =
        match &source {
            Source::Maildir(dir) => {
                let (c, u) = mailbox::read_maildir(dir)?;
                (c, u, None)
            }
            Source::Mbox(file) => {
                let (c, u) = mailbox::read_mbox(file)?;
                (c, u, None)
            }
            Source::Imap(s) => {
                let mut imap = ImapBox::open(s.clone())?;
                let (c, u) = imap.read()?;
                (c, u, Some(imap))
            }
        };
    let outcomes = apply(&store, &record_path, classified, &settings)?;

    let mut stdout = std::io::stdout().lock();
    for o in &outcomes {
        if json {
            serde_json::to_writer(&mut stdout, o)?;
            writeln!(stdout)?;
        }
        out.info(format!("{}: {}: {}", o.message, o.kind.as_str(), o.note));
    }
    for (name, reason) in &unreadable {
        if json {
            let o = Outcome {
                message: name.clone(),
                kind: Kind::Other,
                permanent: Vec::new(),
                temporary: Vec::new(),
                subscriber: None,
                action: Action::None,
                handled: false,
                note: String::new(),
            };
            serde_json::to_writer(&mut stdout, &o)?;
            writeln!(stdout)?;
        }
        eprintln!("{name}: {reason}");
    }
    stdout.flush()?;
    drop(stdout);

    let handled: Vec<&MessageName> = outcomes
        .iter()
        .filter(|o| o.handled)
        .map(|o| &o.message)
        .collect();
    let moved = if dry_run || handled.is_empty() {
        0
    } else {
        match &source {
            Source::Maildir(dir) => {
                let names: Vec<&str> = handled
                    .iter()
                    .filter_map(|n| match n {
                        MessageName::File(f) => Some(f.as_str()),
                        MessageName::Uid(_) => None,
                    })
                    .collect();
                mailbox::move_maildir(dir, &names)?
            }
            Source::Mbox(_) => 0,
            Source::Imap(_) => {
                let uids: Vec<u32> = handled
                    .iter()
                    .filter_map(|n| match n {
                        MessageName::Uid(u) => Some(*u),
                        MessageName::File(_) => None,
                    })
                    .collect();
                match imap.as_mut() {
                    Some(b) => b.move_processed(&uids)?,
                    None => 0,
                }
            }
        }
    };
    if let Some(b) = imap {
        b.close();
    }
    out.info(summary(
        &outcomes,
        unreadable.len(),
        moved,
        dry_run,
        &source,
    ));
    Ok(unreadable.is_empty())
}

fn settings(config: &Config, dry_run: bool) -> Result<Settings> {
    let return_path = config
        .sender
        .bounce_address
        .as_deref()
        .map(ReturnPath::parse)
        .transpose()?;
    // Without a valid sender there are no ids of ours to recognize, but
    // reports that name an address still work.
    let (domain, mut list_ids) = match SenderSettings::resolve(&config.sender) {
        Ok(s) => (s.domain, vec![s.list_id]),
        Err(_) => (String::new(), Vec::new()),
    };
    // Digests with a `list_id` of their own.
    for digest in config.digests().iter().filter(|d| d.list_id.is_some()) {
        if let Ok(s) = SenderSettings::resolve(&config.for_digest(digest).sender) {
            list_ids.push(s.list_id);
        }
    }
    Ok(Settings {
        bounce_limit: config.delivery.bounce_limit.unwrap_or(DEFAULT_BOUNCE_LIMIT),
        soft_days: config.bounces.as_ref().map_or(14, |b| b.soft_days),
        dry_run,
        now: Local::now().fixed_offset(),
        return_path,
        domain,
        list_ids,
    })
}

/// `12 messages: 3 counted, 1 bounced, …; 4 moved to processed`.
fn summary(
    outcomes: &[Outcome],
    unreadable: usize,
    moved: usize,
    dry_run: bool,
    source: &Source<'_>,
) -> String {
    let count = |a: Action| outcomes.iter().filter(|o| o.action == a).count();
    let kind = |k: Kind| outcomes.iter().filter(|o| o.kind == k).count();
    let unmatched = outcomes
        .iter()
        .filter(|o| matches!(o.kind, Kind::Dsn | Kind::Arf) && o.subscriber.is_none())
        .count();
    let mut parts = vec![
        format!("{} counted", count(Action::Counted)),
        format!("{} bounced", count(Action::Bounced)),
        format!("{} unsubscribed", count(Action::Unsubscribed)),
        format!("{} unmatched", unmatched),
        format!("{} auto-replies", kind(Kind::Autoreply)),
        format!("{} not bounces", kind(Kind::Other)),
    ];
    if unreadable > 0 {
        parts.push(format!("{unreadable} not read"));
    }
    let tail = if dry_run {
        "dry run: nothing changed, nothing moved".to_owned()
    } else if matches!(source, Source::Mbox(_)) {
        "the mbox file is left as it is".to_owned()
    } else {
        format!("{moved} moved to `processed`")
    };
    format!(
        "{} messages: {}; {tail}",
        outcomes.len() + unreadable,
        parts.join(", ")
    )
}
