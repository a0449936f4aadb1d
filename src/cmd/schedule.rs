//! `postbode schedule`, and the gate `send --if-due` passes through: the
//! schedule against what the state folder says was sent.
//!
//! The last fire is the later of two records: the newest stored edition's
//! start, and `state/schedule.json`, the last scheduled time that was
//! fired. The file is what makes a time count as fired when its edition
//! was empty (an empty edition is not stored) or when it was skipped. It is
//! written only after a send succeeds: a send that fails before its edition
//! is stored is tried again; one that dies during delivery has stored its
//! edition, whose start already counts as the fire, and is resumed.

use std::fs::{self, File, TryLockError};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Context as _, Result};
use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::Output;
use crate::cli::ScheduleArgs;
use crate::config::Config;
use crate::mail::state::{write_synced, StateDir};
use crate::schedule::{
    format_duration, local_time, until, utc_time, Action, Clock, History, Schedule,
};
use crate::site::SiteSettings;

/// `state/schedule.json`.
const FIRED_FILE: &str = "schedule.json";
/// Held by `postbode run` for its whole life.
pub const RUN_LOCK: &str = "run.lock";
/// Held by a running delivery (see `StateDir::lock`).
const SEND_LOCK: &str = "lock";

#[derive(Debug, Serialize, Deserialize)]
struct Fired {
    last_fired: DateTime<FixedOffset>,
}

pub fn run(config: &Config, args: &ScheduleArgs, out: &Output) -> Result<ExitCode> {
    let schedule = resolve(config)?;
    let now = Clock::from_env().map_err(|e| anyhow!(e))?.now();
    let tz = schedule.timezone();
    let history = history(config)?;
    let label = |l: &str| format!("{l:<13}");

    println!("{}{}", label("expression"), schedule.expression());
    if let Some(words) = schedule.describe() {
        println!("{}{words}", label("meaning"));
    }
    println!("{}{}", label("timezone"), tz.name());
    println!(
        "{}{}: a time missed while the machine was off is sent at most this late",
        label("catch-up"),
        format_duration(schedule.catch_up())
    );
    // After a clock change backwards, times up to the last fire are done.
    let from = history.last_fire.map_or(now, |f| f.max(now));
    for (i, t) in schedule.next_n(from, args.count).iter().enumerate() {
        let head = if i == 0 { "next" } else { "" };
        println!("{}{:<28}{}", label(head), local_time(t), utc_time(t));
    }

    let state = StateDir::new(&config.delivery.state_dir);
    match state.all()?.into_iter().max_by_key(|s| s.meta.created_at) {
        None => println!("{}none yet", label("last edition")),
        Some(s) => {
            let at = |t: DateTime<Utc>| local_time(&t.with_timezone(&tz));
            let outcome = match &s.closed {
                Some(c) => format!("delivered {}, failed {}", c.delivered, c.failed),
                None => format!(
                    "unfinished ({} recipients); `postbode send` resumes it",
                    s.meta.recipients
                ),
            };
            println!("{}{}: {outcome}", label("last edition"), s.meta.id);
            println!("{}started {}", label(""), at(s.meta.created_at));
            println!(
                "{}window {} to {}",
                label(""),
                at(s.meta.since.with_timezone(&Utc)),
                at(s.meta.until.with_timezone(&Utc))
            );
        }
    }
    if let Some(f) = read_fired(&config.delivery.state_dir)? {
        println!(
            "{}{}",
            label("last fired"),
            local_time(&f.with_timezone(&tz))
        );
    }
    let due = match schedule.step(now, &history) {
        Action::Resume => "yes: an unfinished edition waits to be resumed".to_owned(),
        Action::Send { scheduled } => format!("yes: the send of {}", local_time(&scheduled)),
        Action::Skip { missed, .. } => format!(
            "no: the send of {} is more than {} late and will be skipped",
            local_time(&missed),
            format_duration(schedule.catch_up())
        ),
        Action::Wait { next: Some(next) } => format!(
            "no: the next send is {} ({})",
            local_time(&next),
            until(now, next.with_timezone(&Utc))
        ),
        Action::Wait { next: None } => "no: the schedule never fires again".to_owned(),
    };
    println!("{}{due}", label("due now"));
    let _ = out;
    Ok(ExitCode::SUCCESS)
}

/// The configured schedule, in its timezone or else the site's.
pub fn resolve(config: &Config) -> Result<Schedule> {
    let site = SiteSettings::resolve(config)?;
    Ok(Schedule::from_config(&config.schedule, site.timezone))
}

/// What the state folder says about past sends.
pub fn history(config: &Config) -> Result<History> {
    let all = StateDir::new(&config.delivery.state_dir).all()?;
    let started = all.iter().map(|s| s.meta.created_at).max();
    let fired = read_fired(&config.delivery.state_dir)?.map(|f| f.with_timezone(&Utc));
    Ok(History {
        last_fire: started.max(fired),
        unfinished: all.iter().any(|s| s.closed.is_none()),
    })
}

/// Records `scheduled` as fired (never moving the record back).
pub fn record(config: &Config, scheduled: DateTime<FixedOffset>) -> Result<()> {
    let dir = &config.delivery.state_dir;
    if read_fired(dir)?.is_some_and(|f| f >= scheduled) {
        return Ok(());
    }
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the state folder `{}`", dir.display()))?;
    let bytes = serde_json::to_vec_pretty(&Fired {
        last_fired: scheduled,
    })?;
    write_synced(&dir.join(FIRED_FILE), &bytes)?;
    // The rename is durable only once the folder is synced.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync `{}`", dir.display()))
}

fn read_fired(dir: &Path) -> Result<Option<DateTime<FixedOffset>>> {
    let path = dir.join(FIRED_FILE);
    match fs::read(&path) {
        Ok(bytes) => {
            let fired: Fired = serde_json::from_slice(&bytes).with_context(|| {
                format!(
                    "`{}` is damaged; delete it to count from the last edition's start",
                    path.display()
                )
            })?;
            Ok(Some(fired.last_fired))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

/// Who holds the lock file at `path` (`pid 1234`), if anyone does.
pub fn lock_holder(path: &Path) -> Result<Option<String>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot open `{}`", path.display())),
    };
    match file.try_lock() {
        // Dropping the file releases the probe at once.
        Ok(()) => Ok(None),
        Err(TryLockError::WouldBlock) => {
            let text = fs::read_to_string(path).unwrap_or_default();
            Ok(Some(if text.trim().is_empty() {
                "process unknown".to_owned()
            } else {
                text.trim().to_owned()
            }))
        }
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock `{}`", path.display()))
        }
    }
}

/// What `send --if-due` does.
#[derive(Debug)]
pub enum Gate {
    /// Stop here with this exit code.
    Stop(ExitCode),
    /// Send; on success record this scheduled time as fired (`None` when
    /// resuming, where the stored edition already counts).
    Go(Option<DateTime<FixedOffset>>),
}

/// Decides whether `send --if-due` sends at `now`.
pub fn gate(config: &Config, out: &Output, now: DateTime<Utc>, dry_run: bool) -> Result<Gate> {
    let dir = &config.delivery.state_dir;
    // A timer that fires while another sender works has nothing to do:
    // that is not an error worth a cron mail.
    if let Some(pid) = lock_holder(&dir.join(RUN_LOCK))? {
        out.info(format!(
            "`postbode run` ({pid}) sends on schedule from `{}`; nothing to do",
            dir.display()
        ));
        return Ok(Gate::Stop(ExitCode::SUCCESS));
    }
    if let Some(pid) = lock_holder(&dir.join(SEND_LOCK))? {
        out.info(format!(
            "a delivery ({pid}) is running from `{}`; nothing to do",
            dir.display()
        ));
        return Ok(Gate::Stop(ExitCode::SUCCESS));
    }
    let schedule = resolve(config)?;
    Ok(match schedule.step(now, &history(config)?) {
        Action::Resume => Gate::Go(None),
        Action::Send { scheduled } => {
            out.info(format!(
                "sending the digest scheduled for {}",
                local_time(&scheduled)
            ));
            Gate::Go(Some(scheduled.fixed_offset()))
        }
        Action::Skip { missed, next } => {
            if !dry_run {
                record(config, missed.fixed_offset())?;
            }
            report_skip(&schedule, &missed, next.as_ref());
            Gate::Stop(ExitCode::SUCCESS)
        }
        Action::Wait { next } => {
            out.info(match next {
                Some(next) => format!(
                    "not due: the next send is {} ({})",
                    local_time(&next),
                    until(now, next.with_timezone(&Utc))
                ),
                None => "not due: the schedule never fires again".to_owned(),
            });
            Gate::Stop(ExitCode::SUCCESS)
        }
    })
}

/// `send --if-due`: `send` runs only when the gate says so; a scheduled
/// time is recorded as fired once its send succeeded.
pub fn if_due(
    config: &Config,
    dry_run: bool,
    out: &Output,
    send: impl FnOnce() -> Result<ExitCode>,
) -> Result<ExitCode> {
    let now = Clock::from_env().map_err(|e| anyhow!(e))?.now();
    let fire = match gate(config, out, now, dry_run)? {
        Gate::Stop(code) => return Ok(code),
        Gate::Go(fire) => fire,
    };
    let code = send()?;
    if code == ExitCode::SUCCESS && !dry_run {
        if let Some(scheduled) = fire {
            record(config, scheduled)?;
        }
    }
    Ok(code)
}

/// A skipped send is worth a line even with `-q`: a digest did not go out.
pub fn report_skip(schedule: &Schedule, missed: &DateTime<Tz>, next: Option<&DateTime<Tz>>) {
    eprintln!(
        "warning: skipped the send of {}: it is more than {} late (`schedule.catch_up`), the machine was off or sending failed; next: {}",
        local_time(missed),
        format_duration(schedule.catch_up()),
        next.map_or("never".to_owned(), local_time)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path) -> Config {
        let text = "[site]\nsource = \"site\"\ntimezone = \"Europe/Amsterdam\"\n";
        Config::parse(text, &dir.join("config.toml")).unwrap()
    }

    #[test]
    fn the_fire_record_only_moves_forward_and_counts_in_history() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        assert_eq!(history(&c).unwrap(), History::default());
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        record(&c, t("2026-11-23T08:00:00+01:00")).unwrap();
        record(&c, t("2026-11-16T08:00:00+01:00")).unwrap();
        assert_eq!(
            read_fired(&c.delivery.state_dir).unwrap(),
            Some(t("2026-11-23T08:00:00+01:00"))
        );
        assert_eq!(
            history(&c).unwrap().last_fire,
            Some(t("2026-11-23T07:00:00Z").with_timezone(&Utc))
        );
        let leftovers: Vec<_> = fs::read_dir(&c.delivery.state_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, [FIRED_FILE]);
    }

    #[test]
    fn a_damaged_record_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        fs::create_dir_all(&c.delivery.state_dir).unwrap();
        fs::write(c.delivery.state_dir.join(FIRED_FILE), "{").unwrap();
        let err = format!("{:#}", history(&c).unwrap_err());
        assert!(err.contains("schedule.json` is damaged"), "{err}");
    }

    #[test]
    fn a_held_lock_names_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.lock");
        assert_eq!(lock_holder(&path).unwrap(), None);
        fs::write(&path, "pid 42").unwrap();
        assert_eq!(lock_holder(&path).unwrap(), None);
        let held = File::open(&path).unwrap();
        held.try_lock().unwrap();
        assert_eq!(lock_holder(&path).unwrap().as_deref(), Some("pid 42"));
        drop(held);
        assert_eq!(lock_holder(&path).unwrap(), None);
    }
}
