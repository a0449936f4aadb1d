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
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

pub use clock::{Clock, NOW_VAR};

use crate::config::{parse_timezone, ScheduleConfig};

/// How long a missed time may still be sent late when `schedule.catch_up`
/// is not set.
pub const DEFAULT_CATCH_UP: &str = "6h";

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
    pub fn from_config(config: &ScheduleConfig, site_tz: Tz) -> Result<Schedule, String> {
        let tz = match &config.timezone {
            Some(name) => parse_timezone(name).map_err(|e| format!("`schedule.timezone`: {e}"))?,
            None => site_tz,
        };
        let catch_up =
            parse_duration(&config.catch_up).map_err(|e| format!("`schedule.catch_up`: {e}"))?;
        let mut schedule =
            Schedule::new(&config.cron, tz).map_err(|e| format!("`schedule.cron`: {e}"))?;
        schedule.catch_up = catch_up;
        Ok(schedule)
    }

    /// `expression` in `tz`, with the default catch-up period.
    pub fn new(expression: &str, tz: Tz) -> Result<Schedule, String> {
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

/// Parses a crontab expression: 5 fields (`0 8 * * MON`), or 6 with
/// seconds first; names, ranges, steps and `@weekly`-style nicknames.
pub fn parse_cron(expression: &str) -> Result<Cron, String> {
    let text = expression.trim();
    let cron = CronParser::builder()
        .seconds(Seconds::Optional)
        .year(Year::Disallowed)
        .build()
        .parse(text)
        .map_err(|e| {
            format!(
                "cannot read `{text}` as a cron expression ({e}); write 5 fields, \
                 minute hour day-of-month month day-of-week, such as `0 8 * * MON`"
            )
        })?;
    // `0 8 31 2 *` parses but never fires: say so now, not at send time.
    let now = Utc::now().naive_utc();
    if cron.find_next_occurrence(&now, false).is_err() {
        return Err(format!("`{text}` never fires (no such date)"));
    }
    Ok(cron)
}

/// Parses a duration such as `6h`, `90m`, `1h30m`, `2d` or `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!("cannot read `{text}` as a duration: use a number with a unit, such as `6h`, `90m` or `1h30m`")
    };
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact == "0" {
        return Ok(Duration::zero());
    }
    if compact.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::zero();
    let mut rest = compact.as_str();
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "d" => Duration::try_days(n),
            "h" => Duration::try_hours(n),
            "m" | "min" => Duration::try_minutes(n),
            "s" => Duration::try_seconds(n),
            _ => None,
        }
        .ok_or_else(bad)?;
        total = total.checked_add(&unit).ok_or_else(bad)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// `6h`, `1h30m`, `45m`, `0`: a duration as `parse_duration` reads it.
pub fn format_duration(d: Duration) -> String {
    let secs = d.num_seconds();
    if secs == 0 {
        return "0".to_owned();
    }
    let mut out = String::new();
    let (days, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    for (n, unit) in [(days, "d"), (h, "h"), (m, "m"), (s, "s")] {
        if n != 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
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
