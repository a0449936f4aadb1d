//! The digest's words in each language it speaks: UI strings, day and month
//! names, dates and periods written the way a reader of that language does.
//!
//! Dutch writes dates without capitals (`maandag 16 november 2026`) and
//! periods with "t/m"; English capitalises names and uses an en dash.

use chrono::{Datelike, NaiveDate};

use crate::config::Language;

/// Every fixed piece of text the digest shows, in one language.
#[derive(Debug)]
pub struct Strings {
    pub lang: &'static str,
    /// The heading of the final section, for posts without a category.
    pub other: &'static str,
    /// Opens the greeting: "Hallo Ada," or "Hallo," without a name.
    pub hello: &'static str,
    /// Before the source's domain: "via nos.nl".
    pub via: &'static str,
    pub unsubscribe: &'static str,
    pub view_online: &'static str,
    /// The body of an edition without posts.
    pub empty: &'static str,
    /// Shown after the last item's text in the plain-text part: "Lees verder".
    pub read: &'static str,
    days: [&'static str; 7],
    months: [&'static str; 12],
}

pub static NL: Strings = Strings {
    lang: "nl",
    other: "Overig",
    hello: "Hallo",
    via: "via",
    unsubscribe: "Afmelden",
    view_online: "Bekijk deze mail in je browser",
    empty: "Er zijn in deze periode geen nieuwe berichten.",
    read: "Lees verder",
    days: [
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
    ],
    months: [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
};

pub static EN: Strings = Strings {
    lang: "en",
    other: "Other",
    hello: "Hello",
    via: "via",
    unsubscribe: "Unsubscribe",
    view_online: "View this e-mail in your browser",
    empty: "There are no new posts in this period.",
    read: "Read more",
    days: [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
};

impl Strings {
    pub fn of(language: Language) -> &'static Strings {
        match language {
            Language::Nl => &NL,
            Language::En => &EN,
        }
    }

    fn is_dutch(&self) -> bool {
        self.lang == "nl"
    }

    fn month(&self, d: NaiveDate) -> &'static str {
        self.months[d.month0() as usize]
    }

    /// `maandag 16 november 2026`, `Monday 16 November 2026`.
    pub fn long_date(&self, d: NaiveDate) -> String {
        format!(
            "{} {}",
            self.days[d.weekday().num_days_from_monday() as usize],
            self.date(d)
        )
    }

    /// `16 november 2026`, `16 November 2026`.
    pub fn date(&self, d: NaiveDate) -> String {
        format!("{} {} {}", d.day(), self.month(d), d.year())
    }

    /// The days from `first` to `last`, both included, as short as reads well:
    /// `16 t/m 22 november 2026`, `16–22 November 2026`,
    /// `30 november t/m 6 december 2026`, `28 December 2026 – 3 January 2027`.
    pub fn period(&self, first: NaiveDate, last: NaiveDate) -> String {
        if first >= last {
            return self.long_date(last);
        }
        let (to, dash) = if self.is_dutch() {
            (" t/m ", " t/m ")
        } else {
            ("–", " – ")
        };
        if first.year() != last.year() {
            format!("{}{dash}{}", self.date(first), self.date(last))
        } else if first.month() != last.month() {
            format!(
                "{} {}{dash}{}",
                first.day(),
                self.month(first),
                self.date(last)
            )
        } else {
            format!("{}{to}{}", first.day(), self.date(last))
        }
    }

    /// The line under the heading: how many posts, in how many sections.
    pub fn count_line(&self, posts: usize, sections: usize) -> String {
        match (self.is_dutch(), posts, sections) {
            (true, 1, _) => "Eén nieuw bericht.".to_owned(),
            (true, n, 1) => format!("{n} nieuwe berichten."),
            (true, n, s) => format!("{n} nieuwe berichten in {s} rubrieken."),
            (false, 1, _) => "One new post.".to_owned(),
            (false, n, 1) => format!("{n} new posts."),
            (false, n, s) => format!("{n} new posts in {s} sections."),
        }
    }

    /// Why the reader gets this mail; `categories` are the sections they
    /// chose (empty: all of them).
    pub fn reason(&self, site: &str, categories: &[String]) -> String {
        let base = if self.is_dutch() {
            format!("Je krijgt deze mail omdat je bent aangemeld voor de nieuwsbrief van {site}")
        } else {
            format!("You receive this e-mail because you subscribed to the newsletter of {site}")
        };
        if categories.is_empty() {
            return format!("{base}.");
        }
        let names: Vec<String> = categories.iter().map(|c| display_name(c)).collect();
        let list = join_words(&names, if self.is_dutch() { "en" } else { "and" });
        if self.is_dutch() {
            format!(
                "{base}, voor de rubriek{} {list}.",
                plural(names.len(), "", "en")
            )
        } else {
            format!("{base}, for {list}.")
        }
    }
}

/// A category as a heading: its first letter in upper case (`nieuws` → `Nieuws`).
pub fn display_name(category: &str) -> String {
    let mut chars = category.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// `a`, `a en b`, `a, b en c`.
fn join_words(words: &[String], and: &str) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_in_the_readers_language() {
        assert_eq!(NL.long_date(d(2026, 11, 16)), "maandag 16 november 2026");
        assert_eq!(EN.long_date(d(2026, 11, 22)), "Sunday 22 November 2026");
    }

    #[test]
    fn periods() {
        assert_eq!(
            NL.period(d(2026, 11, 16), d(2026, 11, 22)),
            "16 t/m 22 november 2026"
        );
        assert_eq!(
            EN.period(d(2026, 11, 16), d(2026, 11, 22)),
            "16–22 November 2026"
        );
        assert_eq!(
            NL.period(d(2026, 11, 30), d(2026, 12, 6)),
            "30 november t/m 6 december 2026"
        );
        assert_eq!(
            EN.period(d(2026, 12, 28), d(2027, 1, 3)),
            "28 December 2026 – 3 January 2027"
        );
        assert_eq!(
            NL.period(d(2026, 11, 16), d(2026, 11, 16)),
            "maandag 16 november 2026"
        );
    }

    #[test]
    fn reasons() {
        assert_eq!(
            NL.reason("Leest Meer", &["nieuws".into(), "tech".into()]),
            "Je krijgt deze mail omdat je bent aangemeld voor de nieuwsbrief van Leest Meer, voor de rubrieken Nieuws en Tech."
        );
        assert_eq!(
            EN.reason("Blog", &[]),
            "You receive this e-mail because you subscribed to the newsletter of Blog."
        );
        assert_eq!(NL.count_line(1, 1), "Eén nieuw bericht.");
        assert_eq!(EN.count_line(7, 3), "7 new posts in 3 sections.");
    }
}
