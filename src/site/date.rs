//! Post dates in the forms real Jekyll sites use.
//!
//! RFC 2822 (`Fri, 03 May 2019 14:56:37 +0200`, with `GMT`, `UT`, `Z` or a
//! zone name such as `CEST`), `2019-05-03 14:56:37 +0200`, RFC 3339,
//! `2019-05-03 14:56`, `2019-05-03`, `2019-5-3`. A date without an offset is
//! a wall-clock time in the site's timezone; one that falls in a DST gap is
//! moved forward by the gap, one in a repeated hour takes the first.

use crate::window::in_zone;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Parses a front-matter or command-line date.
pub fn parse_date(input: &str, tz: Tz) -> Result<DateTime<FixedOffset>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty date".into());
    }
    let tokens = tokenize(s);
    let parsed = if tokens
        .first()
        .is_some_and(|t| t.chars().next().is_some_and(|c| c.is_ascii_digit()))
        && tokens[0].contains('-')
    {
        parse_iso_like(&tokens)
    } else {
        parse_rfc2822_like(&tokens)
    };
    let (naive, offset) = parsed.ok_or_else(|| format!("unrecognised date `{s}`"))?;
    match offset {
        Some(off) => off
            .from_local_datetime(&naive)
            .single()
            .ok_or_else(|| format!("date out of range `{s}`")),
        None => Ok(in_zone(naive, tz)),
    }
}

/// Splits on spaces and commas, and splits a `T` between date and time.
fn tokenize(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in s.split([' ', ',', '\t']).filter(|p| !p.is_empty()) {
        if let Some(t) = part
            .find(['T', 't'])
            .filter(|&i| i >= 8 && part[..i].contains('-'))
        {
            out.push(&part[..t]);
            out.push(&part[t + 1..]);
        } else {
            out.push(part);
        }
    }
    out
}

type Parsed = (NaiveDateTime, Option<FixedOffset>);

/// `2019-05-03[ 14:56[:37[.123]]][ +0200|+02:00|Z|UTC|CEST]`, also with the
/// offset glued to the time (`14:56:37+02:00`, `14:56:37Z`).
fn parse_iso_like(tokens: &[&str]) -> Option<Parsed> {
    let date = parse_ymd(tokens[0])?;
    let mut time = NaiveTime::MIN;
    let mut offset = None;
    let mut rest = &tokens[1..];
    if let Some(t) = rest.first() {
        if t.contains(':') {
            let (time_part, glued) = split_glued_offset(t);
            time = parse_hms(time_part)?;
            if let Some(g) = glued {
                offset = Some(parse_offset(g)?);
            }
            rest = &rest[1..];
        }
    }
    if let Some(z) = rest.first() {
        if offset.is_some() {
            return None;
        }
        offset = Some(parse_offset(z)?);
        rest = &rest[1..];
    }
    if !rest.is_empty() {
        return None;
    }
    Some((date.and_time(time), offset))
}

/// `[Fri,] 03 May 2019 14:56:37 +0200`, zone optional.
fn parse_rfc2822_like(tokens: &[&str]) -> Option<Parsed> {
    let mut rest = tokens;
    if rest.first().is_some_and(|t| weekday(t)) {
        rest = &rest[1..];
    }
    if rest.len() < 3 {
        return None;
    }
    let day: u32 = rest[0].parse().ok()?;
    let month = month_number(rest[1])?;
    let year = year(rest[2])?;
    let year = if rest[2].len() == 2 {
        2000 + year
    } else {
        year
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    rest = &rest[3..];
    let mut time = NaiveTime::MIN;
    if let Some(t) = rest.first().filter(|t| t.contains(':')) {
        time = parse_hms(t)?;
        rest = &rest[1..];
    }
    let mut offset = None;
    if let Some(z) = rest.first() {
        offset = Some(parse_offset(z)?);
        rest = &rest[1..];
    }
    // A trailing comment such as `(CEST)` is allowed by RFC 2822.
    if !rest.iter().all(|t| t.starts_with('(') || t.ends_with(')')) {
        return None;
    }
    Some((date.and_time(time), offset))
}

/// A year of at most four digits: what every date format here writes.
fn year(s: &str) -> Option<i32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn split_glued_offset(t: &str) -> (&str, Option<&str>) {
    if let Some(stripped) = t.strip_suffix(['Z', 'z']) {
        return (stripped, Some("Z"));
    }
    match t.rfind(['+', '-']) {
        Some(i) if i > 0 => (&t[..i], Some(&t[i..])),
        _ => (t, None),
    }
}

fn parse_ymd(s: &str) -> Option<NaiveDate> {
    let mut it = s.splitn(3, '-');
    let y = year(it.next()?)?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

fn parse_hms(s: &str) -> Option<NaiveTime> {
    let mut it = s.split(':');
    let h: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let (sec, nano) = match it.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once(['.', ',']).unwrap_or((sec, ""));
            let s: u32 = whole.parse().ok()?;
            let digits: String = frac.chars().take(9).collect();
            if !digits.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let nano = if digits.is_empty() {
                0
            } else {
                digits.parse::<u32>().ok()? * 10u32.pow(9 - digits.len() as u32)
            };
            (s, nano)
        }
    };
    if it.next().is_some() {
        return None;
    }
    // A leap second (`:60`) is read as the last nanosecond of the minute.
    if sec == 60 {
        return NaiveTime::from_hms_nano_opt(h, m, 59, 999_999_999);
    }
    NaiveTime::from_hms_nano_opt(h, m, sec, nano)
}

/// `+0200`, `+02:00`, `+02`, `-0500`, `Z`, `UTC`, `GMT`, `UT` and the zone
/// names seen in real feeds.
fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim_matches(|c| c == '(' || c == ')');
    if let Some(rest) = s.strip_prefix(['+', '-']) {
        let sign = if s.starts_with('-') { -1 } else { 1 };
        let digits: String = rest.chars().filter(|&c| c != ':').collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (h, m) = match digits.len() {
            1 | 2 => (digits.parse::<i32>().ok()?, 0),
            4 => (
                digits[..2].parse::<i32>().ok()?,
                digits[2..].parse::<i32>().ok()?,
            ),
            _ => return None,
        };
        if h > 23 || m > 59 {
            return None;
        }
        return FixedOffset::east_opt(sign * (h * 3600 + m * 60));
    }
    let hours = match s.to_ascii_uppercase().as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "WET" => 0,
        "BST" | "CET" | "MET" | "WEST" | "IST" => 1,
        "CEST" | "MEST" | "EET" | "SAST" => 2,
        "EEST" | "MSK" => 3,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        _ => return None,
    };
    FixedOffset::east_opt(hours * 3600)
}

fn weekday(t: &str) -> bool {
    let l = t.to_ascii_lowercase();
    let l = l.trim_end_matches('.');
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .any(|d| l.starts_with(d) && l.len() <= 9)
}

/// English month names and abbreviations, and the Dutch ones a Dutch site
/// may well write by hand.
fn month_number(t: &str) -> Option<u32> {
    let l = t.to_lowercase();
    let l = l.trim_end_matches('.');
    const NAMES: [(&str, &str, u32); 12] = [
        ("jan", "januari", 1),
        ("feb", "februari", 2),
        ("mar", "maart", 3),
        ("apr", "april", 4),
        ("may", "mei", 5),
        ("jun", "juni", 6),
        ("jul", "juli", 7),
        ("aug", "augustus", 8),
        ("sep", "september", 9),
        ("oct", "oktober", 10),
        ("nov", "november", 11),
        ("dec", "december", 12),
    ];
    NAMES.iter().find_map(|&(abbr, nl, n)| {
        let english_ok = l.len() >= 3 && l.starts_with(abbr) && english_month(n).starts_with(l);
        let dutch_ok = l.len() >= 3 && nl.starts_with(l);
        (english_ok
            || dutch_ok
            || l == "mrt" && n == 3
            || l == "okt" && n == 10
            || l == "mei" && n == 5)
            .then_some(n)
    })
}

fn english_month(n: u32) -> &'static str {
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ][(n - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ams() -> Tz {
        "Europe/Amsterdam".parse().unwrap()
    }

    fn p(s: &str) -> String {
        parse_date(s, ams())
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn rfc2822_forms() {
        assert_eq!(
            p("Fri, 03 May 2019 14:56:37 +0200"),
            "2019-05-03T14:56:37+02:00"
        );
        assert_eq!(
            p("Tue, 23 Oct 2012 15:45:14 GMT"),
            "2012-10-23T15:45:14+00:00"
        );
        assert_eq!(
            p("Mon, 09 Sep 2019 05:30:00 CEST"),
            "2019-09-09T05:30:00+02:00"
        );
        assert_eq!(p("3 May 2019 14:56 +0100"), "2019-05-03T14:56:00+01:00");
        assert_eq!(p("Fri, 3 May 2019 14:56:37"), "2019-05-03T14:56:37+02:00");
        assert_eq!(
            p("Fri, 03 May 2019 14:56:37 +0200 (CEST)"),
            "2019-05-03T14:56:37+02:00"
        );
    }

    #[test]
    fn iso_forms() {
        assert_eq!(p("2019-05-03 14:56:37 +0200"), "2019-05-03T14:56:37+02:00");
        assert_eq!(p("2019-05-03 14:56:37 +02:00"), "2019-05-03T14:56:37+02:00");
        assert_eq!(p("2019-05-03T14:56:37+02:00"), "2019-05-03T14:56:37+02:00");
        assert_eq!(p("2019-05-03T12:56:37Z"), "2019-05-03T12:56:37+00:00");
        assert_eq!(
            p("2019-05-03T12:56:37.250-05:00"),
            "2019-05-03T12:56:37.250-05:00"
        );
        assert_eq!(p("2010-01-10 13:07:09"), "2010-01-10T13:07:09+01:00");
        assert_eq!(p("2019-05-03"), "2019-05-03T00:00:00+02:00");
        assert_eq!(p("2017-2-5"), "2017-02-05T00:00:00+01:00");
        assert_eq!(p("2010-01-10 13:07:09 +00:00"), "2010-01-10T13:07:09+00:00");
    }

    #[test]
    fn dst_gap_and_repeat() {
        // 2026-03-29 02:30 does not exist in Amsterdam: clocks jump 02:00 → 03:00.
        assert_eq!(p("2026-03-29 02:30"), "2026-03-29T03:30:00+02:00");
        // 2026-10-25 02:30 happens twice: the first one (summer time) is taken.
        assert_eq!(p("2026-10-25 02:30"), "2026-10-25T02:30:00+02:00");
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "yesterday",
            "2019-13-01",
            "2019-02-30",
            "32 May 2019",
            "2019-05-03 25:00",
            "Fri, 03 Mey 2019",
            "2019-05-03 10:00 +9999",
            "57110-10-3",
            "04 okt 44944",
        ] {
            assert!(parse_date(bad, ams()).is_err(), "{bad} parsed");
        }
    }
}
