//! The digest's words in each language it speaks: UI strings, day and month
//! names, dates and periods written the way a reader of that language does.
//!
//! Dutch writes dates without capitals (`maandag 16 november 2026`) and
//! periods with "t/m"; English capitalises names and uses an en dash.

use chrono::{Datelike, NaiveDate};

use crate::Language;

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
    /// The footer's link to the reader's preference page.
    pub preferences: &'static str,
    pub view_online: &'static str,
    /// The body of an edition without posts.
    pub empty: &'static str,
    /// Shown after the last item's text in the plain-text part: "Lees verder".
    pub read: &'static str,
    /// Before the links to other outlets' reports of a story.
    pub also: &'static str,
    days: [&'static str; 7],
    months: [&'static str; 12],
}

pub static NL: Strings = Strings {
    lang: "nl",
    other: "Overig",
    hello: "Hallo",
    via: "via",
    unsubscribe: "Afmelden",
    preferences: "Voorkeuren",
    view_online: "Bekijk deze mail in je browser",
    empty: "Er zijn in deze periode geen nieuwe berichten.",
    read: "Lees verder",
    also: "Ook bij",
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
    preferences: "Preferences",
    view_online: "View this e-mail in your browser",
    empty: "There are no new posts in this period.",
    read: "Read more",
    also: "Also at",
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

    /// The line under the heading when the window held more posts than the
    /// digest shows: `De 50 belangrijkste verhalen uit 7.075 berichten.`
    pub fn top_line(&self, stories: usize, posts: usize) -> String {
        let posts = self.number(posts);
        match (self.is_dutch(), stories) {
            (true, 1) => format!("Het belangrijkste verhaal uit {posts} berichten."),
            (true, n) => format!("De {n} belangrijkste verhalen uit {posts} berichten."),
            (false, 1) => format!("The top story from {posts} posts."),
            (false, n) => format!("The {n} top stories from {posts} posts."),
        }
    }

    /// A section's last line when it left posts out: `en nog 312 berichten
    /// in Sport`.
    pub fn more_line(&self, more: usize, section: &str) -> String {
        let n = self.number(more);
        match (self.is_dutch(), more) {
            (true, 1) => format!("en nog 1 bericht in {section}"),
            (true, _) => format!("en nog {n} berichten in {section}"),
            (false, 1) => format!("and 1 more post in {section}"),
            (false, _) => format!("and {n} more posts in {section}"),
        }
    }

    /// `7.075` in Dutch, `7,075` in English.
    pub fn number(&self, n: usize) -> String {
        let sep = if self.is_dutch() { '.' } else { ',' };
        let digits = n.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
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

/// The words of `postbode serve`'s pages and of the confirmation mail.
/// `{site}` and `{email}` are filled in by [`fill`].
#[derive(Debug)]
pub struct PageStrings {
    pub lang: &'static str,
    pub unsubscribe_title: &'static str,
    pub unsubscribe_ask: &'static str,
    pub unsubscribe_button: &'static str,
    pub unsubscribed_title: &'static str,
    pub unsubscribed_text: &'static str,
    pub unsubscribed_undo: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub subscribe_title: &'static str,
    pub subscribe_text: &'static str,
    pub email_label: &'static str,
    pub subscribe_button: &'static str,
    pub check_mail_title: &'static str,
    pub check_mail_text: &'static str,
    pub bad_address_title: &'static str,
    pub bad_address_text: &'static str,
    pub too_many_title: &'static str,
    pub too_many_text: &'static str,
    pub confirm_title: &'static str,
    pub confirm_ask: &'static str,
    pub confirm_button: &'static str,
    pub confirmed_title: &'static str,
    pub confirmed_text: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable_text: &'static str,
    pub bad_request_title: &'static str,
    pub bad_request_text: &'static str,
    pub mail_subject: &'static str,
    pub mail_intro: &'static str,
    pub mail_action: &'static str,
    pub mail_ignore: &'static str,
}

pub static PAGES_NL: PageStrings = PageStrings {
    lang: "nl",
    unsubscribe_title: "Afmelden voor {site}?",
    unsubscribe_ask: "Klik op de knop om {email} af te melden voor de nieuwsbrief van {site}. Daarna krijg je van ons geen nieuwsbrief meer.",
    unsubscribe_button: "Afmelden",
    unsubscribed_title: "Je bent uitgeschreven",
    unsubscribed_text: "{email} is afgemeld voor de nieuwsbrief van {site} en krijgt hem niet meer.",
    unsubscribed_undo: "Per ongeluk? Je kunt je altijd opnieuw aanmelden.",
    not_found_title: "Deze link werkt niet",
    not_found_text: "De link is onbekend of verlopen, en er is niets veranderd. Gebruik de link uit de laatste mail die je van {site} kreeg.",
    subscribe_title: "Aanmelden voor {site}",
    subscribe_text: "Vul je e-mailadres in. Je krijgt dan een mail met een link om je aanmelding te bevestigen.",
    email_label: "E-mailadres",
    subscribe_button: "Aanmelden",
    check_mail_title: "Kijk in je mailbox",
    check_mail_text: "Als dit adres nog niet is aangemeld, krijgt het binnen een paar minuten een mail met een link om de aanmelding te bevestigen. Zonder bevestiging sturen we geen nieuwsbrief.",
    bad_address_title: "Dat adres klopt niet",
    bad_address_text: "Controleer het e-mailadres en probeer het opnieuw.",
    too_many_title: "Even geduld",
    too_many_text: "Er kwamen te veel aanmeldingen vanaf jouw netwerk. Probeer het over tien minuten opnieuw.",
    confirm_title: "Bevestig je aanmelding",
    confirm_ask: "Klik op de knop om {email} aan te melden voor de nieuwsbrief van {site}.",
    confirm_button: "Bevestigen",
    confirmed_title: "Je bent aangemeld",
    confirmed_text: "{email} krijgt voortaan de nieuwsbrief van {site}. Onder elke nieuwsbrief staat een link om je af te melden.",
    unavailable_title: "Probeer het later opnieuw",
    unavailable_text: "Er ging aan onze kant iets mis, en er is niets veranderd. Probeer het over een paar minuten opnieuw.",
    bad_request_title: "Dat ging niet goed",
    bad_request_text: "Dit verzoek kunnen we niet lezen, en er is niets veranderd.",
    mail_subject: "Bevestig je aanmelding voor {site}",
    mail_intro: "Iemand, hopelijk jij, heeft {email} aangemeld voor de nieuwsbrief van {site}.",
    mail_action: "Bevestig je aanmelding via deze link:",
    mail_ignore: "Heb je je niet aangemeld? Dan hoef je niets te doen: zonder bevestiging krijg je geen nieuwsbrief.",
};

pub static PAGES_EN: PageStrings = PageStrings {
    lang: "en",
    unsubscribe_title: "Unsubscribe from {site}?",
    unsubscribe_ask: "Click the button to unsubscribe {email} from the newsletter of {site}. You will get no more newsletters from us.",
    unsubscribe_button: "Unsubscribe",
    unsubscribed_title: "You are unsubscribed",
    unsubscribed_text: "{email} is unsubscribed from the newsletter of {site} and will not get it any more.",
    unsubscribed_undo: "By mistake? You can always subscribe again.",
    not_found_title: "This link does not work",
    not_found_text: "The link is unknown or has expired, and nothing was changed. Use the link in the latest e-mail you got from {site}.",
    subscribe_title: "Subscribe to {site}",
    subscribe_text: "Enter your e-mail address. You will get an e-mail with a link to confirm your subscription.",
    email_label: "E-mail address",
    subscribe_button: "Subscribe",
    check_mail_title: "Check your mailbox",
    check_mail_text: "If this address is not subscribed yet, it will get an e-mail within a few minutes with a link to confirm the subscription. Without confirmation we send no newsletter.",
    bad_address_title: "That address does not look right",
    bad_address_text: "Check the e-mail address and try again.",
    too_many_title: "Please wait",
    too_many_text: "Too many sign-ups came from your network. Please try again in ten minutes.",
    confirm_title: "Confirm your subscription",
    confirm_ask: "Click the button to subscribe {email} to the newsletter of {site}.",
    confirm_button: "Confirm",
    confirmed_title: "You are subscribed",
    confirmed_text: "{email} will get the newsletter of {site} from now on. Every newsletter ends with a link to unsubscribe.",
    unavailable_title: "Please try again later",
    unavailable_text: "Something went wrong on our side, and nothing was changed. Please try again in a few minutes.",
    bad_request_title: "That did not work",
    bad_request_text: "We cannot read this request, and nothing was changed.",
    mail_subject: "Confirm your subscription to {site}",
    mail_intro: "Someone, hopefully you, subscribed {email} to the newsletter of {site}.",
    mail_action: "Confirm your subscription with this link:",
    mail_ignore: "Did you not subscribe? Then there is nothing to do: without confirmation you get no newsletter.",
};

impl PageStrings {
    pub fn of(language: Language) -> &'static PageStrings {
        match language {
            Language::Nl => &PAGES_NL,
            Language::En => &PAGES_EN,
        }
    }
}

/// `template` with each `{name}` replaced by its value, in one pass, so a
/// value that itself holds `{site}` (an address may) stays as it is.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
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
pub fn join_words(words: &[String], and: &str) -> String {
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
        assert_eq!(
            NL.top_line(50, 7075),
            "De 50 belangrijkste verhalen uit 7.075 berichten."
        );
        assert_eq!(
            EN.top_line(50, 7075),
            "The 50 top stories from 7,075 posts."
        );
        assert_eq!(NL.more_line(312, "Sport"), "en nog 312 berichten in Sport");
        assert_eq!(EN.more_line(1, "Sport"), "and 1 more post in Sport");
        assert_eq!(NL.number(1_234_567), "1.234.567");
        assert_eq!(EN.number(999), "999");
    }

    #[test]
    fn fill_replaces_each_placeholder_once() {
        assert_eq!(
            fill(PAGES_EN.unsubscribed_text, &[("email", "{site}@example.org"), ("site", "Blog")]),
            "{site}@example.org is unsubscribed from the newsletter of Blog and will not get it any more."
        );
        assert_eq!(fill("{unknown} {", &[("site", "x")]), "{unknown} {");
        assert_eq!(
            fill(PAGES_NL.unsubscribe_title, &[("site", "Leest Meer")]),
            "Afmelden voor Leest Meer?"
        );
    }
}
