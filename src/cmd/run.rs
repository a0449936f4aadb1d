//! `postbode run`: stay in the foreground and send at each scheduled time.
//!
//! The loop is a thin shell around [`next_move`], a pure function of the
//! clock reading and the state, so tests drive it without sleeping. It
//! sleeps in slices of at most a minute and reads the wall clock at every
//! wake: one long sleep would miss a suspend or a clock change, since the
//! monotonic clock it counts on stops during suspend.
//!
//! `state/run.lock` is held for the process's life, so a second `run` on
//! the same state refuses to start; each send takes and releases
//! `state/lock` as a `send` from the command line does.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use signal_hook::consts::{SIGINT, SIGTERM};

use super::schedule::{history, record, report_skip, resolve};
use super::{error_chain, send, Output};
use crate::cli::{RunArgs, SendArgs, WindowArgs};
use crate::config::Config;
use crate::schedule::{format_duration, local_time, until, Action, Clock, History, Schedule};
use crate::state::StateDir;

/// The longest single sleep: how late a suspend or a clock change is noticed.
const SLICE: StdDuration = StdDuration::from_secs(60);
/// After a failed send, how long to wait before trying again.
const RETRY: Duration = Duration::minutes(5);

/// What the loop does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// Finish the unfinished edition.
    Resume,
    /// Send the digest for this scheduled time.
    Send(DateTime<Tz>),
    /// Record this missed time as fired, without sending, and say so.
    Skip {
        missed: DateTime<Tz>,
        next: Option<DateTime<Tz>>,
    },
    /// Sleep until then (`retry`: after a failed send, not a scheduled time).
    Wait { until: DateTime<Utc>, retry: bool },
    /// The schedule never fires again.
    Idle,
}

/// The loop's decision at `now`. `retry_at` holds sends back after a
/// failure; a retry time further ahead than [`RETRY`] means the clock went
/// back, and is ignored.
pub fn next_move(
    schedule: &Schedule,
    now: DateTime<Utc>,
    history: &History,
    retry_at: Option<DateTime<Utc>>,
) -> Move {
    let held = retry_at.filter(|r| *r > now && *r - now <= RETRY);
    match (schedule.step(now, history), held) {
        (Action::Resume | Action::Send { .. }, Some(at)) => Move::Wait {
            until: at,
            retry: true,
        },
        (Action::Resume, None) => Move::Resume,
        (Action::Send { scheduled }, None) => Move::Send(scheduled),
        (Action::Skip { missed, next }, _) => Move::Skip { missed, next },
        (Action::Wait { next: Some(next) }, _) => Move::Wait {
            until: next.with_timezone(&Utc),
            retry: false,
        },
        (Action::Wait { next: None }, _) => Move::Idle,
    }
}

pub fn run(config: &Config, _args: &RunArgs, out: &Output) -> Result<ExitCode> {
    let clock = Clock::from_env()?;
    // One lock at the top of the state folder covers every digest.
    let _lock = StateDir::new(&config.delivery.state_dir).run_lock()?;
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(&stop, out.quiet)?;

    let mut digests = Vec::new();
    for digest in config.digests() {
        let view = config.for_digest(digest);
        let schedule = resolve(&view)?;
        let named = if config.digests().len() > 1 {
            format!("digest `{}`: ", digest.name)
        } else {
            String::new()
        };
        out.info(format!(
            "postbode run: {named}`{}`{} in {}; a missed time is sent up to {} late",
            schedule.expression(),
            schedule
                .describe()
                .map_or(String::new(), |d| format!(" ({d})")),
            schedule.timezone().name(),
            format_duration(schedule.catch_up())
        ));
        digests.push(Looped {
            view,
            schedule,
            named,
            retry_at: None,
            announced: None,
        });
    }
    while !stop.load(Ordering::SeqCst) {
        let now = clock.now();
        // One delivery at a time: the first digest with work does it, then
        // every digest is looked at again with a fresh clock reading.
        let mut sleep_until: Option<DateTime<Utc>> = None;
        let mut acted = false;
        let mut idle = 0;
        for d in &mut digests {
            let (config, schedule, named) = (&d.view, &d.schedule, &d.named);
            match next_move(schedule, now, &history(config)?, d.retry_at) {
                Move::Wait { until: at, retry } => {
                    if !retry && d.announced != Some(at) {
                        out.info(format!(
                            "{named}next send: {} ({})",
                            local_time(&at.with_timezone(&schedule.timezone())),
                            until(now, at)
                        ));
                        d.announced = Some(at);
                    }
                    sleep_until = Some(sleep_until.map_or(at, |s| s.min(at)));
                    continue;
                }
                Move::Idle => {
                    idle += 1;
                    continue;
                }
                Move::Skip { missed, next } => {
                    record(config, missed.fixed_offset())?;
                    report_skip(schedule, &missed, next.as_ref());
                }
                Move::Resume => {
                    out.info(format!("{named}resuming the unfinished edition"));
                    if !send_once(config, out, &stop) && !stop.load(Ordering::SeqCst) {
                        d.retry_at = Some(failed(&clock, schedule, out));
                    }
                }
                Move::Send(scheduled) => {
                    out.info(format!(
                        "{named}sending the digest scheduled for {}",
                        local_time(&scheduled)
                    ));
                    if send_once(config, out, &stop) {
                        record(config, scheduled.fixed_offset())?;
                    } else if !stop.load(Ordering::SeqCst) {
                        d.retry_at = Some(failed(&clock, schedule, out));
                    }
                }
            }
            acted = true;
            break;
        }
        if acted {
            continue;
        }
        if idle == digests.len() {
            let exprs: Vec<_> = digests.iter().map(|d| d.schedule.expression()).collect();
            bail!("the schedule `{}` never fires again", exprs.join("`, `"));
        }
        if let Some(at) = sleep_until {
            nap(at - now);
        }
    }
    out.info("stopped; the next start resumes anything left unsent");
    Ok(ExitCode::SUCCESS)
}

/// One digest as the loop keeps it.
struct Looped {
    view: Config,
    schedule: Schedule,
    /// `digest `daily`: ` before its lines when there are several, else empty.
    named: String,
    retry_at: Option<DateTime<Utc>>,
    announced: Option<DateTime<Utc>>,
}

/// One `send`, as from the command line; true when it finished.
fn send_once(config: &Config, out: &Output, stop: &AtomicBool) -> bool {
    let args = SendArgs {
        window: WindowArgs::default(),
        dry_run: false,
        to: None,
        if_due: false,
        intro: None,
        digest: None,
    };
    super::bounces::before_send(config, out);
    match send::run_with_stop(config, &args, out, stop) {
        Ok(code) => code == ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            false
        }
    }
}

/// When to try again after a failed send; says so unless stopping.
fn failed(clock: &Clock, schedule: &Schedule, out: &Output) -> DateTime<Utc> {
    let at = clock.now() + RETRY;
    out.info(format!(
        "trying again at {}",
        local_time(&at.with_timezone(&schedule.timezone()))
    ));
    at
}

/// Sleeps up to `d`, at most one slice; a signal cuts it short.
fn nap(d: Duration) {
    if let Ok(d) = d.to_std() {
        std::thread::park_timeout(d.min(SLICE));
    }
}

/// SIGTERM and SIGINT set `stop` and wake the loop; the messages in flight
/// are finished and the journal flushed. A second signal exits at once.
fn watch_signals(stop: &Arc<AtomicBool>, quiet: bool) -> Result<()> {
    for signal in [SIGTERM, SIGINT] {
        // Registered first, so it sees the flag as the previous signal left it.
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(stop))
            .context("cannot watch for signals")?;
    }
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT])
        .context("cannot watch for signals")?;
    let main = std::thread::current();
    let stop = Arc::clone(stop);
    std::thread::spawn(move || {
        for _ in signals.forever() {
            stop.store(true, Ordering::SeqCst);
            if !quiet {
                eprintln!("stopping after the messages in flight (signal again to stop at once)");
            }
            main.unpark();
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn monday() -> Schedule {
        Schedule::new("0 8 * * MON", "Europe/Amsterdam".parse().unwrap()).unwrap()
    }

    fn fired(at: &str) -> History {
        History {
            last_fire: Some(t(at)),
            unfinished: false,
        }
    }

    #[test]
    fn sleeps_until_the_next_time_then_sends_once() {
        let s = monday();
        let h = fired("2026-11-16T08:00:00+01:00");
        assert_eq!(
            next_move(&s, t("2026-11-23T07:59:58+01:00"), &h, None),
            Move::Wait {
                until: t("2026-11-23T08:00:00+01:00"),
                retry: false
            }
        );
        let Move::Send(at) = next_move(&s, t("2026-11-23T08:00:00+01:00"), &h, None) else {
            panic!("a send");
        };
        assert_eq!(at.to_rfc3339(), "2026-11-23T08:00:00+01:00");
        // Recorded: the same wake, or one after a clock jump back, waits.
        let h = fired("2026-11-23T08:00:00+01:00");
        for now in ["2026-11-23T08:00:01+01:00", "2026-11-23T07:00:00+01:00"] {
            assert_eq!(
                next_move(&s, t(now), &h, None),
                Move::Wait {
                    until: t("2026-11-30T08:00:00+01:00"),
                    retry: false
                }
            );
        }
    }

    #[test]
    fn a_failed_send_is_retried_after_a_pause_until_catch_up_ends() {
        let s = monday();
        let h = fired("2026-11-16T08:00:00+01:00");
        let retry = Some(t("2026-11-23T08:05:00+01:00"));
        assert_eq!(
            next_move(&s, t("2026-11-23T08:01:00+01:00"), &h, retry),
            Move::Wait {
                until: t("2026-11-23T08:05:00+01:00"),
                retry: true
            }
        );
        assert!(matches!(
            next_move(&s, t("2026-11-23T08:05:00+01:00"), &h, retry),
            Move::Send(_)
        ));
        // A retry time far ahead means the clock went back: not held.
        let far = Some(t("2026-11-24T08:00:00+01:00"));
        assert!(matches!(
            next_move(&s, t("2026-11-23T08:01:00+01:00"), &h, far),
            Move::Send(_)
        ));
        assert!(matches!(
            next_move(&s, t("2026-11-23T14:01:00+01:00"), &h, None),
            Move::Skip { .. }
        ));
    }

    #[test]
    fn a_start_resumes_first_then_catches_up_or_skips() {
        let s = monday();
        let crashed = History {
            last_fire: Some(t("2026-11-16T08:00:03+01:00")),
            unfinished: true,
        };
        assert_eq!(
            next_move(&s, t("2026-11-23T09:00:00+01:00"), &crashed, None),
            Move::Resume
        );
        // Resumed; the machine was off at 08:00 and is back at 09:00.
        let h = History {
            unfinished: false,
            ..crashed
        };
        assert!(matches!(
            next_move(&s, t("2026-11-23T09:00:00+01:00"), &h, None),
            Move::Send(_)
        ));
        // Back on Tuesday: too late for Monday's digest.
        let Move::Skip { missed, next } = next_move(&s, t("2026-11-24T09:00:00+01:00"), &h, None)
        else {
            panic!("a skip");
        };
        assert_eq!(missed.to_rfc3339(), "2026-11-23T08:00:00+01:00");
        assert_eq!(
            next.map(|n| n.to_rfc3339()).as_deref(),
            Some("2026-11-30T08:00:00+01:00")
        );
    }
}
