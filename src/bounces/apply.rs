//! Deciding what a classified message means for the list, and making that
//! change: one locked update of the list (and the bounce record) per batch.
//!
//! A permanent failure counts one bounce (at `delivery.bounce_limit` the
//! subscriber is `bounced`); a transient one is recorded and counts only
//! once failures have gone on for `bounces.soft_days`; an abuse complaint
//! unsubscribes at once. A message is *handled* (and may be moved out of
//! the inbox) only when it was matched to a subscriber: an unmatched report
//! on a shared mailbox may be about someone else's mail.

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use serde::Serialize;

use super::classify::Report;
use super::identify::{By, Index};
use super::record::{Entry, Record};
use super::{BounceError, Kind};
use crate::mail::verp::ReturnPath;
use crate::subscribers::{Status, Store, Subscriber};

/// What was done about one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// One bounce counted.
    Counted,
    /// The bounce that reached the limit: now `bounced`.
    Bounced,
    /// A complaint: now `unsubscribed`.
    Unsubscribed,
    None,
}

/// How to act.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bounce_limit: u32,
    pub soft_days: u32,
    pub dry_run: bool,
    pub now: DateTime<FixedOffset>,
    pub return_path: Option<ReturnPath>,
    /// Our `Message-ID` domain and `List-Id`s (the site's, and those of
    /// digests that set their own).
    pub domain: String,
    pub list_ids: Vec<String>,
}

/// One message as read from a mailbox.
#[derive(Debug, Clone)]
pub struct Classified {
    /// The file name, mailbox position or IMAP UID.
    pub name: MessageName,
    pub report: Report,
    /// [`super::record::message_hash`] of its bytes.
    pub hash: String,
}

/// How `--json` names a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum MessageName {
    File(String),
    Uid(u32),
}

impl std::fmt::Display for MessageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MessageName::File(n) => f.write_str(n),
            MessageName::Uid(u) => write!(f, "uid {u}"),
        }
    }
}

/// The outcome for one message: the `--json` object, plus what to do with
/// the message and a line for people.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub message: MessageName,
    pub kind: Kind,
    pub permanent: Vec<String>,
    pub temporary: Vec<String>,
    pub subscriber: Option<String>,
    pub action: Action,
    /// Move it to `processed` (never for messages that are not ours).
    #[serde(skip)]
    pub handled: bool,
    #[serde(skip)]
    pub note: String,
}

/// Acts on a batch: one locked update of the list, or, with `dry_run`, the
/// same decisions on a copy that is thrown away.
pub fn apply(
    store: &Store,
    record_path: &std::path::Path,
    batch: Vec<Classified>,
    settings: &Settings,
) -> Result<Vec<Outcome>, BounceError> {
    if settings.dry_run {
        let mut list = store.load()?;
        let mut record = Record::load(record_path)?;
        return Ok(decide_all(&mut list, &mut record, batch, settings));
    }
    store.update(|list| {
        let mut record = Record::load(record_path)?;
        let outcomes = decide_all(list, &mut record, batch, settings);
        if outcomes.iter().any(|o| o.handled) {
            record.save(record_path)?;
        }
        Ok::<_, BounceError>(outcomes)
    })
}

fn decide_all(
    list: &mut [Subscriber],
    record: &mut Record,
    batch: Vec<Classified>,
    settings: &Settings,
) -> Vec<Outcome> {
    let matches: Vec<Option<(usize, By)>> = {
        let index = Index::new(
            list,
            settings.return_path.as_ref(),
            &settings.domain,
            &settings.list_ids,
        );
        batch.iter().map(|c| index.identify(&c.report)).collect()
    };
    batch
        .into_iter()
        .zip(matches)
        .map(|(c, found)| decide(list, record, c, found, settings))
        .collect()
}

fn decide(
    list: &mut [Subscriber],
    record: &mut Record,
    c: Classified,
    found: Option<(usize, By)>,
    settings: &Settings,
) -> Outcome {
    let Classified { name, report, hash } = c;
    let mut outcome = Outcome {
        message: name,
        kind: report.kind,
        permanent: report.permanent.clone(),
        temporary: report.temporary.clone(),
        subscriber: None,
        action: Action::None,
        handled: false,
        note: String::new(),
    };
    let failed = || {
        let mut all = report.permanent.clone();
        all.extend(report.temporary.iter().cloned());
        all.join(", ")
    };
    match report.kind {
        Kind::Other if report.unreadable => {
            outcome.note = "cannot be read as a message; left in place".into();
            return outcome;
        }
        Kind::Other => {
            outcome.note = "not a bounce; left in place".into();
            return outcome;
        }
        Kind::Autoreply => {
            outcome.note = "auto-reply: ignored, left in place".into();
            return outcome;
        }
        Kind::Dsn | Kind::Arf => {}
    }
    let Some((i, by)) = found else {
        outcome.note = match (report.kind, failed().is_empty()) {
            (Kind::Arf, _) => "complaint about nobody on the list; left in place".into(),
            (_, true) => "delivery report without a failed address we know; left in place".into(),
            (_, false) => format!(
                "delivery report for `{}`, not matched to a subscriber; left in place",
                failed()
            ),
        };
        return outcome;
    };
    let s = &mut list[i];
    outcome.subscriber = Some(s.email.clone());
    outcome.handled = true;
    if record.was_handled(&hash) {
        outcome.note = format!("{}: handled before; moved now", s.email);
        return outcome;
    }
    record.mark_handled(hash);
    let at = report_date(report.date, settings.now);
    if report.kind == Kind::Arf {
        let abuse = report.feedback_type.as_deref() == Some("abuse");
        if !abuse {
            outcome.note = format!(
                "{}: feedback report of type `{}`: no change",
                s.email,
                report.feedback_type.as_deref().unwrap_or("")
            );
            return outcome;
        }
        record.set(
            &s.email,
            Entry {
                kind: "complaint".into(),
                status: None,
                at,
                soft_since: None,
            },
        );
        if s.unsubscribe(at) {
            outcome.action = Action::Unsubscribed;
            outcome.note = format!(
                "{}: spam complaint: unsubscribed ({})",
                s.email,
                by.as_str()
            );
        } else {
            outcome.note = format!("{}: spam complaint: was already unsubscribed", s.email);
        }
        return outcome;
    }
    // Which list the subscriber is on: by address when it is named, else
    // (a forwarded or rewritten address) what the report says as a whole.
    let key = s.email.trim().to_lowercase();
    let permanent = if report.permanent.contains(&key) {
        true
    } else if report.temporary.contains(&key) {
        false
    } else if !report.permanent.is_empty() {
        true
    } else if !report.temporary.is_empty() {
        false
    } else {
        outcome.note = format!("{}: delivery report without a failure: no change", s.email);
        return outcome;
    };
    let status = report.status.clone();
    let code = status.as_deref().unwrap_or("no status code");
    if permanent {
        record.set(
            &s.email,
            Entry {
                kind: "permanent".into(),
                status: status.clone(),
                at,
                soft_since: None,
            },
        );
        outcome.action = count(s, settings.bounce_limit);
        outcome.note = format!(
            "{}: permanent failure ({code}, {}): {}",
            s.email,
            by.as_str(),
            describe(outcome.action, s)
        );
        return outcome;
    }
    let since = record
        .get(&s.email)
        .and_then(|e| e.soft_since)
        .filter(|since| s.subscribed_at.is_none_or(|sub| *since >= sub))
        .unwrap_or(at);
    let repeated = at - since >= Duration::days(i64::from(settings.soft_days));
    record.set(
        &s.email,
        Entry {
            kind: "temporary".into(),
            status: status.clone(),
            at,
            // A counted run starts over.
            soft_since: Some(if repeated { at } else { since }),
        },
    );
    if repeated {
        outcome.action = count(s, settings.bounce_limit);
        outcome.note = format!(
            "{}: transient failures for {} days ({code}): {}",
            s.email,
            (at - since).num_days(),
            describe(outcome.action, s)
        );
    } else {
        outcome.note = format!(
            "{}: transient failure ({code}) recorded, not counted (failing since {})",
            s.email,
            since.date_naive()
        );
    }
    outcome
}

fn count(s: &mut Subscriber, limit: u32) -> Action {
    if s.record_bounce(limit) {
        Action::Bounced
    } else {
        Action::Counted
    }
}

fn describe(action: Action, s: &Subscriber) -> String {
    match action {
        Action::Bounced => format!("now `bounced` after {} bounces", s.bounces),
        _ if s.status != Status::Active => {
            format!("bounce {} counted (already {})", s.bounces, s.status)
        }
        _ => format!("bounce {} counted", s.bounces),
    }
}

/// The report's own date (it may be read days later), never in the future.
fn report_date(date: Option<i64>, now: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    date.and_then(|t| Utc.timestamp_opt(t, 0).single())
        .map(|d| d.with_timezone(&chrono::Local).fixed_offset())
        .filter(|d| *d <= now)
        .unwrap_or(now)
}
