//! A window of time `[since, until)` and the forms users write times in.

use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use chrono_tz::Tz;

/// The bounds a user gave for a window (`--since`, `--until`), as written;
/// [`Window::from_flags`] and the edition resolve the missing ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bounds {
    pub since: Option<String>,
    pub until: Option<String>,
}

/// A window the user's flags cannot make: a time in no known form, or
/// `since` not before `until`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WindowError(pub String);

/// The half-open interval `[since, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub since: DateTime<FixedOffset>,
    pub until: DateTime<FixedOffset>,
}

impl Window {
    pub fn contains(&self, t: &DateTime<FixedOffset>) -> bool {
        self.since <= *t && *t < self.until
    }

    /// `since` and `until` from the user's flags; `until` defaults to `now`
    /// and `since` to `until − days`.
    pub fn from_flags(
        since: Option<&str>,
        until: Option<&str>,
        days: u32,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Result<Window, WindowError> {
        let until = match until {
            Some(s) => parse_time(s, tz).map_err(|e| WindowError(format!("`--until`: {e}")))?,
            None => now.with_timezone(&tz).fixed_offset(),
        };
        let since = match since {
            Some(s) => parse_time(s, tz).map_err(|e| WindowError(format!("`--since`: {e}")))?,
            None => Duration::try_days(i64::from(days))
                .and_then(|d| until.checked_sub_signed(d))
                .ok_or_else(|| {
                    WindowError(format!(
                        "a window of {days} days before {} is out of range",
                        until.to_rfc3339()
                    ))
                })?,
        };
        if since >= until {
            return Err(WindowError(format!(
                "the window is empty: `since` {} is not before `until` {}",
                since.to_rfc3339(),
                until.to_rfc3339()
            )));
        }
        Ok(Window { since, until })
    }
}

impl Window {
    /// `from 2026-11-16 00:00 CET to 2026-11-23 00:00 CET`, in `tz`.
    pub fn describe(&self, tz: Tz) -> String {
        let f =
            |t: DateTime<FixedOffset>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string();
        format!("from {} to {}", f(self.since), f(self.until))
    }
}

/// RFC 3339 (`2026-11-16T00:00:00+01:00`) or `YYYY-MM-DD` (midnight in `tz`).
pub fn parse_time(s: &str, tz: Tz) -> Result<DateTime<FixedOffset>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(in_zone(d.and_time(NaiveTime::MIN), tz));
    }
    Err(format!(
        "cannot read `{s}` as a time: use RFC 3339 (`2026-11-16T00:00:00+01:00`) or `YYYY-MM-DD`"
    ))
}

/// Midnight (or any wall-clock time) in `tz`, DST gaps and repeats resolved.
pub fn in_zone(naive: NaiveDateTime, tz: Tz) -> DateTime<FixedOffset> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.fixed_offset(),
        LocalResult::Ambiguous(first, _) => first.fixed_offset(),
        LocalResult::None => {
            // In a DST gap: the same instant the clock would show after the
            // jump, found by probing the offset before the gap.
            let before = naive - Duration::hours(3);
            let offset = match tz.from_local_datetime(&before) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.offset().fix(),
                LocalResult::None => FixedOffset::east_opt(0).expect("zero offset"),
            };
            let utc = naive - Duration::seconds(i64::from(offset.local_minus_utc()));
            tz.from_utc_datetime(&utc).fixed_offset()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let tz: Tz = "Europe/Amsterdam".parse().unwrap();
        assert_eq!(
            parse_time("2026-11-16", tz).unwrap().to_rfc3339(),
            "2026-11-16T00:00:00+01:00"
        );
        assert_eq!(
            parse_time("2026-07-16", tz).unwrap().to_rfc3339(),
            "2026-07-16T00:00:00+02:00"
        );
        assert_eq!(
            parse_time("2026-11-16T08:00:00Z", tz).unwrap().to_rfc3339(),
            "2026-11-16T08:00:00+00:00"
        );
        assert!(parse_time("16-11-2026", tz).is_err());
        let now = Utc::now();
        let w = Window::from_flags(Some("2026-11-16"), Some("2026-11-23"), 7, now, tz).unwrap();
        assert!(w.contains(&parse_time("2026-11-16", tz).unwrap()));
        assert!(!w.contains(&parse_time("2026-11-23", tz).unwrap()));
        assert!(Window::from_flags(Some("2026-11-23"), Some("2026-11-16"), 7, now, tz).is_err());
        let err = Window::from_flags(None, None, u32::MAX, now, tz).unwrap_err();
        assert!(err.to_string().contains("out of range"), "{err}");
    }
}
