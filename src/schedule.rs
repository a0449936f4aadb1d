//! When the digest goes out: a cron expression in a timezone, its times, and
//! whether a send is due, all as pure functions of a clock reading.
//!
//! croner matches the pattern against wall-clock (naive local) times only;
//! turning a local time into an instant is done here, because croner's own
//! zone handling skips a list of hours (`30 2,14 * * *`) in a DST gap and
//! fires it twice in a repeated hour. The rule here, for every pattern:
//! each scheduled wall-clock time fires exactly once. A time in a repeated
//! hour fires at its first occurrence; a time in a gap fires at the first
//! instant after the gap (several gap times fire once, together).

mod clock;
mod describe;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;

pub use clock::Clock;

use crate::config::ScheduleConfig;
pub use crate::config::{format_duration, parse_cron, parse_duration};

/// How far a repeated (fall-back) hour can reach past a wall-clock time;
/// generous, since some zones once shifted by two hours.
const MAX_FOLD: Duration = Duration::hours(3);

/// A cron expression evaluated in a timezone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    expression: String,
    tz: Tz,
    catch_up: Duration,
}

/// Whether a send is due at a given moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// `scheduled` has passed and was not fired yet, and is recent enough.
    Send { scheduled: DateTime<Tz> },
    /// Nothing to do until `next` (`None`: the schedule never fires again).
    Wait { next: Option<DateTime<Tz>> },
    /// `missed` passed unfired longer than the catch-up period ago: record
    /// it as fired without sending, so the digest never arrives hours late.
    Skip {
        missed: DateTime<Tz>,
        next: Option<DateTime<Tz>>,
    },
}

/// What the state says about past sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// The latest scheduled time fired, or the latest edition's start,
    /// whichever is later.
    pub last_fire: Option<DateTime<Utc>>,
    /// An edition was started and not finished (a crash, a dead server).
    pub unfinished: bool,
}

/// What a scheduled sender does now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Finish the unfinished edition first: it is due by definition.
    Resume,
    Send {
        scheduled: DateTime<Tz>,
    },
    Skip {
        missed: DateTime<Tz>,
        next: Option<DateTime<Tz>>,
    },
    Wait {
        next: Option<DateTime<Tz>>,
    },
}

impl Schedule {
    /// The schedule of `[schedule]`, in its timezone or else the site's.
    pub fn from_config(config: &ScheduleConfig, site_tz: Tz) -> Schedule {
        Schedule {
            cron: config.cron.cron.clone(),
            expression: config.cron.text.clone(),
            tz: config.timezone.map_or(site_tz, |z| z.0),
            catch_up: config.catch_up.0,
        }
    }

    /// `expression` in `tz`, with the default catch-up period.
    pub fn new(expression: &str, tz: Tz) -> Result<Schedule, crate::config::BadValue> {
        Ok(Schedule {
            cron: parse_cron(expression)?,
            expression: expression.trim().to_owned(),
            tz,
            catch_up: Duration::hours(6),
        })
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// How late a missed time may still be sent (`schedule.catch_up`).
    pub fn catch_up(&self) -> Duration {
        self.catch_up
    }

    /// "every Monday at 08:00", or `None` for a pattern too unusual to put
    /// in words (show the expression instead).
    pub fn describe(&self) -> Option<String> {
        describe::describe(&self.expression)
    }

    /// The first scheduled time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Tz>> {
        let mut cursor = t.with_timezone(&self.tz).naive_local();
        // When `t` lies in the second pass of a repeated hour, the local
        // times just ahead of it resolve to their first pass, which is
        // behind `t`: step past them. Bounded by the fold's length.
        for _ in 0..100_000 {
            let local = self.cron.find_next_occurrence(&cursor, false).ok()?;
            let at = self.resolve(local)?;
            if at > t {
                return Some(at);
            }
            cursor = local;
        }
        None
    }

    /// The next `n` scheduled times after `t`.
    pub fn next_n(&self, t: DateTime<Utc>, n: usize) -> Vec<DateTime<Tz>> {
        let mut out = Vec::with_capacity(n);
        let mut at = t;
        while out.len() < n {
            match self.next_after(at) {
                Some(next) => {
                    at = next.with_timezone(&Utc);
                    out.push(next);
                }
                None => break,
            }
        }
        out
    }

    /// The last scheduled time at or before `t`.
    pub fn latest_at(&self, t: DateTime<Utc>) -> Option<DateTime<Tz>> {
        let local = t.with_timezone(&self.tz).naive_local();
        // In the second pass of a repeated hour, local times up to the
        // fold's end already happened (in the first pass): search back from
        // beyond it.
        let repeated = matches!(
            self.tz.from_local_datetime(&local),
            LocalResult::Ambiguous(..)
        );
        let mut cursor = if repeated { local + MAX_FOLD } else { local };
        let mut inclusive = true;
        for _ in 0..100_000 {
            let found = self
                .cron
                .find_previous_occurrence(&cursor, inclusive)
                .ok()?;
            let at = self.resolve(found)?;
            if at <= t {
                return Some(at);
            }
            cursor = found;
            inclusive = false;
        }
        None
    }

    /// Whether a send is due at `now`, given the last fired time.
    ///
    /// Due when a scheduled time passed after `last_fire` and at most
    /// `catch_up` ago. With no history at all, the latest scheduled time
    /// counts as missed, so a first start just after it still sends.
    pub fn due(
        &self,
        now: DateTime<Utc>,
        last_fire: Option<DateTime<Utc>>,
        catch_up: Duration,
    ) -> Decision {
        // Never point at a time already fired, even when the clock went back.
        let from = last_fire.map_or(now, |f| f.max(now));
        let next = self.next_after(from);
        let Some(latest) = self.latest_at(now) else {
            return Decision::Wait { next };
        };
        let latest_utc = latest.with_timezone(&Utc);
        if last_fire.is_some_and(|f| f >= latest_utc) {
            return Decision::Wait { next };
        }
        if now - latest_utc <= catch_up {
            return Decision::Send { scheduled: latest };
        }
        if last_fire.is_none() {
            return Decision::Wait { next };
        }
        Decision::Skip {
            missed: latest,
            next,
        }
    }

    /// What a scheduled sender does at `now`: resume an unfinished edition
    /// before anything else, else what [`Schedule::due`] says.
    pub fn step(&self, now: DateTime<Utc>, history: &History) -> Action {
        if history.unfinished {
            return Action::Resume;
        }
        match self.due(now, history.last_fire, self.catch_up) {
            Decision::Send { scheduled } => Action::Send { scheduled },
            Decision::Skip { missed, next } => Action::Skip { missed, next },
            Decision::Wait { next } => Action::Wait { next },
        }
    }

    /// The instant a scheduled local time fires: its first pass in a
    /// repeated hour, the end of the gap when the clock skips it.
    fn resolve(&self, local: NaiveDateTime) -> Option<DateTime<Tz>> {
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t),
            LocalResult::Ambiguous(first, _) => Some(first),
            LocalResult::None => self.after_gap(local),
        }
    }

    /// The first instant after the gap that swallows `local`: the smallest
    /// local time after it that exists (gaps are contiguous and short).
    fn after_gap(&self, local: NaiveDateTime) -> Option<DateTime<Tz>> {
        let exists = |secs: i64| {
            self.tz
                .from_local_datetime(&(local + Duration::seconds(secs)))
                .earliest()
        };
        let (mut lo, mut hi) = (0i64, 86_400i64);
        exists(hi)?;
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if exists(mid).is_some() {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        exists(hi)
    }
}

/// "in 6 days 23 h", "in 5 min", "now": how far `t` is from `now`.
pub fn until(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    // Rounded to the unit shown, so that a clock read a few milliseconds
    // late does not say "18 h" for 19.
    let mut secs = ((t - now).num_milliseconds() + 500) / 1000;
    if secs <= 0 {
        return "now".to_owned();
    }
    if secs >= 86_400 {
        secs = (secs + 1_800) / 3_600 * 3_600;
    } else if secs >= 60 {
        secs = (secs + 30) / 60 * 60;
    }
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let text = match (days, hours, mins) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (1, 0, _) => "1 day".to_owned(),
        (1, h, _) => format!("1 day {h} h"),
        (d, 0, _) => format!("{d} days"),
        (d, h, _) => format!("{d} days {h} h"),
    };
    format!("in {text}")
}

/// `Mon 2026-11-30 08:00 CET`: a scheduled time as its zone shows it.
pub fn local_time(t: &DateTime<Tz>) -> String {
    t.format(&time_format(t.naive_local(), "%a %Y-%m-%d %H:%M", " %Z"))
        .to_string()
}

/// `2026-11-30 07:00 UTC`.
pub fn utc_time(t: &DateTime<Tz>) -> String {
    let utc = t.with_timezone(&Utc);
    utc.format(&time_format(utc.naive_utc(), "%Y-%m-%d %H:%M", " UTC"))
        .to_string()
}

fn time_format(t: NaiveDateTime, base: &'static str, zone: &'static str) -> String {
    use chrono::Timelike as _;
    if t.second() == 0 {
        format!("{base}{zone}")
    } else {
        format!("{base}:%S{zone}")
    }
}

#[cfg(test)]
mod tests;
