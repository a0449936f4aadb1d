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

use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;

use super::Output;
use crate::cli::ScheduleArgs;
use crate::config::Config;
use crate::schedule::{
    format_duration, local_time, until, utc_time, Action, Clock, History, Schedule,
};
use crate::site::SiteSettings;
use crate::state::StateDir;

pub fn run(config: &Config, args: &ScheduleArgs, out: &Output) -> Result<ExitCode> {
    let schedule = resolve(config)?;
    let now = Clock::from_env()?.now();
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

    let state = StateDir::new(config.digest_state_dir());
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
    if let Some(f) = StateDir::new(config.digest_state_dir()).last_fired()? {
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
    let state = StateDir::new(config.digest_state_dir());
    let all = state.all()?;
    let started = all.iter().map(|s| s.meta.created_at).max();
    let fired = state.last_fired()?.map(|f| f.with_timezone(&Utc));
    Ok(History {
        last_fire: started.max(fired),
        unfinished: all.iter().any(|s| s.closed.is_none()),
    })
}

/// Records `scheduled` as fired (never moving the record back).
pub fn record(config: &Config, scheduled: DateTime<FixedOffset>) -> Result<()> {
    Ok(StateDir::new(config.digest_state_dir()).record_fired(scheduled)?)
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
    let state = StateDir::new(config.digest_state_dir());
    let dir = state.root();
    // A timer that fires while another sender works has nothing to do:
    // that is not an error worth a cron mail.
    // `run` holds its lock at the top of the state folder, for every digest.
    if let Some(pid) = StateDir::new(&config.delivery.state_dir).run_holder()? {
        out.info(format!(
            "`postbode run` ({pid}) sends on schedule from `{}`; nothing to do",
            dir.display()
        ));
        return Ok(Gate::Stop(ExitCode::SUCCESS));
    }
    if let Some(pid) = state.delivery_holder()? {
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
    let now = Clock::from_env()?.now();
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

    fn config(dir: &std::path::Path) -> Config {
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
            history(&c).unwrap().last_fire,
            Some(t("2026-11-23T07:00:00Z").with_timezone(&Utc))
        );
    }

    #[test]
    fn a_damaged_record_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        std::fs::create_dir_all(&c.delivery.state_dir).unwrap();
        std::fs::write(c.delivery.state_dir.join("schedule.json"), "{").unwrap();
        let err = format!("{:#}", history(&c).unwrap_err());
        assert!(err.contains("schedule.json` is damaged"), "{err}");
    }
}
