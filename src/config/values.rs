//! The typed values a config file holds besides plain numbers and strings:
//! timezones, cron expressions and durations. Each is parsed once, where the
//! file is read, so a bad value is an error naming its key and line, and the
//! rest of the program holds the parsed value, never the text.

use std::fmt;

use chrono::{Duration, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;
use serde::{Deserialize, Deserializer};

/// A value that does not read as what its key wants, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadValue(pub String);

/// An IANA timezone (`Europe/Amsterdam`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(pub Tz);

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Zone, D::Error> {
        let text = String::deserialize(d)?;
        parse_timezone(&text)
            .map(Zone)
            .map_err(serde::de::Error::custom)
    }
}

/// A crontab expression, parsed, with the text it was written as.
#[derive(Debug, Clone)]
pub struct CronSpec {
    pub text: String,
    pub cron: Cron,
}

impl CronSpec {
    pub fn parse(text: &str) -> Result<CronSpec, BadValue> {
        Ok(CronSpec {
            cron: parse_cron(text)?,
            text: text.trim().to_owned(),
        })
    }
}

impl PartialEq<&str> for CronSpec {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl<'de> Deserialize<'de> for CronSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CronSpec, D::Error> {
        let text = String::deserialize(d)?;
        CronSpec::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A length of time written as `6h`, `90m`, `1h30m`, `2d` or `0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text)
            .map(Span)
            .map_err(serde::de::Error::custom)
    }
}

/// Parses an IANA timezone name such as `Europe/Amsterdam`.
pub fn parse_timezone(name: &str) -> Result<Tz, BadValue> {
    name.trim().parse::<Tz>().map_err(|_| {
        BadValue(format!(
            "unknown timezone `{name}` (expected an IANA name such as `Europe/Amsterdam`)"
        ))
    })
}

/// Parses a crontab expression: 5 fields (`0 8 * * MON`), or 6 with
/// seconds first; names, ranges, steps and `@weekly`-style nicknames.
pub fn parse_cron(expression: &str) -> Result<Cron, BadValue> {
    let text = expression.trim();
    let cron = CronParser::builder()
        .seconds(Seconds::Optional)
        .year(Year::Disallowed)
        .build()
        .parse(text)
        .map_err(|e| {
            BadValue(format!(
                "cannot read `{text}` as a cron expression ({e}); write 5 fields, \
                 minute hour day-of-month month day-of-week, such as `0 8 * * MON`"
            ))
        })?;
    // `0 8 31 2 *` parses but never fires: say so now, not at send time.
    let now = Utc::now().naive_utc();
    if cron.find_next_occurrence(&now, false).is_err() {
        return Err(BadValue(format!("`{text}` never fires (no such date)")));
    }
    Ok(cron)
}

/// Parses a duration such as `6h`, `90m`, `1h30m`, `2d` or `0`.
pub fn parse_duration(text: &str) -> Result<Duration, BadValue> {
    let bad = || {
        BadValue(format!("cannot read `{text}` as a duration: use a number with a unit, such as `6h`, `90m` or `1h30m`"))
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

/// True for an absolute `http://` or `https://` URL with a host.
pub fn is_http_url(s: &str) -> bool {
    let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A colour written as `#rrggbb` or `#rgb`, kept as `#rrggbb` (lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour(pub [u8; 3]);

impl Colour {
    pub fn parse(text: &str) -> Result<Colour, BadValue> {
        let bad = || {
            BadValue(format!(
                "`{text}` is not a colour: write it as `#rrggbb`, such as `#a4231c`"
            ))
        };
        let hex = text.trim().strip_prefix('#').ok_or_else(bad)?;
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let digit = |i: usize, len: usize| u8::from_str_radix(&hex[i..i + len], 16);
        let rgb = match hex.len() {
            3 => [0, 1, 2].map(|i| digit(i, 1).map(|v| v * 17)),
            6 => [0, 2, 4].map(|i| digit(i, 2)),
            _ => return Err(bad()),
        };
        let [r, g, b] = rgb;
        Ok(Colour([
            r.map_err(|_| bad())?,
            g.map_err(|_| bad())?,
            b.map_err(|_| bad())?,
        ]))
    }

    /// Relative luminance, as WCAG 2 defines it.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0;
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    /// The WCAG contrast ratio between two colours, 1 to 21.
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// `self` moved `amount` (0 to 1) of the way toward `other`.
    pub fn mix(self, other: Colour, amount: f64) -> Colour {
        let m =
            |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * amount).round() as u8;
        Colour([
            m(self.0[0], other.0[0]),
            m(self.0[1], other.0[1]),
            m(self.0[2], other.0[2]),
        ])
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

impl<'de> Deserialize<'de> for Colour {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Colour, D::Error> {
        let text = String::deserialize(d)?;
        Colour::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A CSS font stack of family names (`Georgia, 'Times New Roman', serif`):
/// nothing that could end the style it is written into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontStack(pub String);

impl FontStack {
    pub fn parse(text: &str) -> Result<FontStack, BadValue> {
        let text = text.trim();
        let ok = !text.is_empty()
            && text.len() <= 200
            && text
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ' ' | ',' | '\'' | '-' | '_'));
        if !ok {
            return Err(BadValue(format!(
                "`{text}` is not a font stack: write family names separated by commas, such as `Georgia, 'Times New Roman', serif`"
            )));
        }
        Ok(FontStack(text.to_owned()))
    }
}

impl<'de> Deserialize<'de> for FontStack {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FontStack, D::Error> {
        let text = String::deserialize(d)?;
        FontStack::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An absolute `https://` URL (a logo: a mail client shows no image over
/// plain http without a warning, and nothing but http(s) may reach a mail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsUrl(pub String);

impl<'de> Deserialize<'de> for HttpsUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HttpsUrl, D::Error> {
        let text = String::deserialize(d)?;
        let trimmed = text.trim();
        if trimmed
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
            && is_http_url(trimmed)
        {
            Ok(HttpsUrl(trimmed.to_owned()))
        } else {
            Err(serde::de::Error::custom(format!(
                "`{text}` is not an https URL"
            )))
        }
    }
}
