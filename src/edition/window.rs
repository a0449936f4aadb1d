//! An edition's window and its identity: where the next edition starts, and
//! the id its window gives it.

use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;

use crate::config::Config;
use crate::site::SiteSettings;
use crate::window::{parse_time, Bounds, Window, WindowError};

/// The edition's identity: its window in UTC, compact and safe in file
/// names, e.g. `20261115T230000Z--20261122T230000Z`. UTC, so that the same
/// instants written with another offset are the same edition.
pub fn edition_id(window: &Window) -> String {
    let f = |t: DateTime<FixedOffset>| t.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ");
    format!("{}--{}", f(window.since), f(window.until))
}

/// The edition's window. `--until` defaults to `now`; `--since` to where the
/// last delivered edition ended (`last_end`), else to `until − window_days`.
pub fn edition_window(
    args: &Bounds,
    config: &Config,
    site: &SiteSettings,
    last_end: Option<DateTime<FixedOffset>>,
    now: DateTime<Utc>,
) -> Result<Window, WindowError> {
    window_after(
        args,
        config.digest.window_days,
        site.timezone,
        last_end,
        now,
    )
}

fn window_after(
    args: &Bounds,
    days: u32,
    tz: Tz,
    last_end: Option<DateTime<FixedOffset>>,
    now: DateTime<Utc>,
) -> Result<Window, WindowError> {
    let since = match (&args.since, last_end) {
        (None, Some(end)) => {
            let until = match &args.until {
                Some(u) => parse_time(u, tz).map_err(|e| WindowError(format!("`--until`: {e}")))?,
                None => now.with_timezone(&tz).fixed_offset(),
            };
            // A last edition that ended at or after `until` says nothing
            // about this window: fall back to `window_days`.
            (end < until).then(|| end.to_rfc3339())
        }
        (since, _) => since.clone(),
    };
    Window::from_flags(since.as_deref(), args.until.as_deref(), days, now, tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn default_window_starts_where_the_last_edition_ended() {
        let tz: Tz = "Europe/Amsterdam".parse().unwrap();
        let now = t("2026-11-23T07:00:00Z").with_timezone(&Utc);
        let none = Bounds::default();
        let w = window_after(&none, 7, tz, None, now).unwrap();
        assert_eq!(w.until.to_rfc3339(), "2026-11-23T08:00:00+01:00");
        assert_eq!(w.since.to_rfc3339(), "2026-11-16T08:00:00+01:00");
        let last = t("2026-11-18T08:00:00+01:00");
        let w = window_after(&none, 7, tz, Some(last), now).unwrap();
        assert_eq!(w.since, last);
        // A last edition that ended later than `--until` is ignored.
        let until = Bounds {
            until: Some("2026-11-17".into()),
            ..Bounds::default()
        };
        let w = window_after(&until, 7, tz, Some(last), now).unwrap();
        assert_eq!(w.since.to_rfc3339(), "2026-11-10T00:00:00+01:00");
        // `--since` wins over the last edition.
        let since = Bounds {
            since: Some("2026-11-20".into()),
            ..Bounds::default()
        };
        let w = window_after(&since, 7, tz, Some(last), now).unwrap();
        assert_eq!(w.since.to_rfc3339(), "2026-11-20T00:00:00+01:00");
    }
}
