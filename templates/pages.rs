//! The web pages `postbode serve` answers with (unsubscribe, sign-up,
//! confirmation, errors) and the confirmation mail's text, in the site's
//! language and with the digest's colours and fonts.
//!
//! Every page has one shape: the site's name, a heading, a few paragraphs
//! and at most one form. Forms have no `action`, so they post back to the
//! URL the page was served at, whatever path the reverse proxy put in front.
//! Pages carry no script; their one `<style>` block is allowed by a nonce in
//! the `Content-Security-Policy` the server sends with them.

use maud::{html, Markup, DOCTYPE};

use super::strings::{fill, PageStrings};
use super::style::PAGE_CSS;
use crate::Language;

/// The site a page speaks for.
#[derive(Debug, Clone)]
pub struct Site {
    pub title: String,
    /// The site's home page, linked from the name; `None` without a URL.
    pub home: Option<String>,
    pub language: Language,
}

impl Site {
    fn strings(&self) -> &'static PageStrings {
        PageStrings::of(self.language)
    }

    fn fill(&self, template: &str, email: &str) -> String {
        fill(template, &[("site", &self.title), ("email", email)])
    }
}

/// What a page offers to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    None,
    /// One button that posts these hidden fields back to the page's URL.
    Button {
        label: &'static str,
        hidden: Vec<(&'static str, &'static str)>,
    },
    /// The sign-up form: an address field and a button.
    Subscribe,
    /// The reader's digests, categories and pause.
    Preferences(super::preferences::Choices),
}

/// One page, before rendering.
#[derive(Debug, Clone)]
pub struct Page<'a> {
    pub site: &'a Site,
    pub title: String,
    pub paragraphs: Vec<String>,
    /// Smaller text under the paragraphs.
    pub note: Option<String>,
    pub action: Action,
}

/// The field RFC 8058 mail clients post, and the page's button posts too.
pub const ONE_CLICK: (&str, &str) = ("List-Unsubscribe", "One-Click");

impl<'a> Page<'a> {
    fn new(site: &'a Site, title: String, paragraphs: Vec<String>) -> Page<'a> {
        Page {
            site,
            title,
            paragraphs,
            note: None,
            action: Action::None,
        }
    }

    /// "Unsubscribe `email` from the site?" with the button that does it.
    pub fn unsubscribe_ask(site: &'a Site, email: &str) -> Page<'a> {
        let s = site.strings();
        let mut page = Page::new(
            site,
            site.fill(s.unsubscribe_title, email),
            vec![site.fill(s.unsubscribe_ask, email)],
        );
        page.action = Action::Button {
            label: s.unsubscribe_button,
            hidden: vec![ONE_CLICK],
        };
        page
    }

    /// "You are unsubscribed": after the change, or when it was made before.
    pub fn unsubscribed(site: &'a Site, email: &str) -> Page<'a> {
        let s = site.strings();
        let mut page = Page::new(
            site,
            s.unsubscribed_title.to_owned(),
            vec![site.fill(s.unsubscribed_text, email)],
        );
        page.note = Some(s.unsubscribed_undo.to_owned());
        page
    }

    /// An unknown, malformed or expired link. Says nothing about any address
    /// or token, so every such page is the same.
    pub fn not_found(site: &'a Site) -> Page<'a> {
        let s = site.strings();
        Page::new(
            site,
            s.not_found_title.to_owned(),
            vec![site.fill(s.not_found_text, "")],
        )
    }

    /// The sign-up form.
    pub fn subscribe(site: &'a Site) -> Page<'a> {
        let s = site.strings();
        let mut page = Page::new(
            site,
            site.fill(s.subscribe_title, ""),
            vec![s.subscribe_text.to_owned()],
        );
        page.action = Action::Subscribe;
        page
    }

    /// The answer to every acceptable sign-up, whether or not the address
    /// was on the list already.
    pub fn check_mail(site: &'a Site) -> Page<'a> {
        let s = site.strings();
        Page::new(
            site,
            s.check_mail_title.to_owned(),
            vec![s.check_mail_text.to_owned()],
        )
    }

    /// A sign-up with an address that is not one; the form again.
    pub fn bad_address(site: &'a Site) -> Page<'a> {
        let s = site.strings();
        let mut page = Page::new(
            site,
            s.bad_address_title.to_owned(),
            vec![s.bad_address_text.to_owned()],
        );
        page.action = Action::Subscribe;
        page
    }

    /// Too many sign-ups from one client.
    pub fn too_many(site: &'a Site) -> Page<'a> {
        let s = site.strings();
        Page::new(
            site,
            s.too_many_title.to_owned(),
            vec![s.too_many_text.to_owned()],
        )
    }

    /// "Confirm your subscription" with the button that does it.
    pub fn confirm_ask(site: &'a Site, email: &str) -> Page<'a> {
        let s = site.strings();
        let mut page = Page::new(
            site,
            s.confirm_title.to_owned(),
            vec![site.fill(s.confirm_ask, email)],
        );
        page.action = Action::Button {
            label: s.confirm_button,
            hidden: vec![("confirm", "yes")],
        };
        page
    }

    /// "You are subscribed".
    pub fn confirmed(site: &'a Site, email: &str) -> Page<'a> {
        let s = site.strings();
        Page::new(
            site,
            s.confirmed_title.to_owned(),
            vec![site.fill(s.confirmed_text, email)],
        )
    }

    /// The preference form for `email`; `notes` say what the last save did.
    pub fn preferences(
        site: &'a Site,
        email: &str,
        choices: super::preferences::Choices,
        notes: Vec<String>,
    ) -> Page<'a> {
        let w = super::preferences::Words::of(site.language);
        let mut paragraphs = vec![site.fill(w.intro, email)];
        paragraphs.extend(notes);
        let mut page = Page::new(site, w.title.to_owned(), paragraphs);
        page.action = Action::Preferences(choices);
        page
    }

    /// The list could not be read or changed; nothing was.
    pub fn unavailable(site: &'a Site) -> Page<'a> {
        let s = site.strings();
        Page::new(
            site,
            s.unavailable_title.to_owned(),
            vec![s.unavailable_text.to_owned()],
        )
    }

    /// A request the server cannot read (a body too large, a wrong form).
    pub fn bad_request(site: &'a Site) -> Page<'a> {
        let s = site.strings();
        Page::new(
            site,
            s.bad_request_title.to_owned(),
            vec![s.bad_request_text.to_owned()],
        )
    }

    /// The whole HTML document; `nonce` admits its `<style>` block.
    pub fn render(&self, nonce: &str) -> String {
        let s = self.site.strings();
        let markup = html! {
            (DOCTYPE)
            html lang=(s.lang) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    // These pages hold personal links: keep them out of
                    // search engines and out of other sites' logs.
                    meta name="robots" content="noindex, nofollow";
                    meta name="referrer" content="no-referrer";
                    meta name="color-scheme" content="light";
                    title { (self.title) " — " (self.site.title) }
                    style nonce=(nonce) {
                        (PAGE_CSS)
                        @if matches!(self.action, Action::Preferences(_)) {
                            (super::preferences::CSS)
                        }
                    }
                }
                body {
                    main {
                        p class="site" {
                            @if let Some(home) = &self.site.home {
                                a href=(home) { (self.site.title) }
                            } @else {
                                (self.site.title)
                            }
                        }
                        div class="rule" {}
                        h1 { (self.title) }
                        @for p in &self.paragraphs {
                            p { (p) }
                        }
                        (self.form())
                        @if let Some(note) = &self.note {
                            p class="note" { (note) }
                        }
                    }
                }
            }
        };
        markup.into_string()
    }

    fn form(&self) -> Markup {
        let s = self.site.strings();
        match &self.action {
            Action::None => html! {},
            Action::Button { label, hidden } => html! {
                form method="post" {
                    @for (name, value) in hidden {
                        input type="hidden" name=(name) value=(value);
                    }
                    button type="submit" { (label) }
                }
            },
            Action::Preferences(choices) => super::preferences::form(self.site.language, choices),
            Action::Subscribe => html! {
                form method="post" {
                    label for="email" { (s.email_label) }
                    input type="email" id="email" name="email" required autocomplete="email" maxlength="254";
                    button type="submit" { (s.subscribe_button) }
                }
            },
        }
    }
}

/// The confirmation mail: subject and plain-text body.
pub fn confirmation_mail(site: &Site, email: &str, link: &str) -> (String, String) {
    let s = site.strings();
    let subject = site.fill(s.mail_subject, email);
    let body = format!(
        "{}\n\n{}\n\n{link}\n\n{}\n\n-- \n{}\n",
        site.fill(s.mail_intro, email),
        s.mail_action,
        s.mail_ignore,
        match &site.home {
            Some(home) => format!("{} — {home}", site.title),
            None => site.title.clone(),
        }
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(language: Language) -> Site {
        Site {
            title: "Leest <Meer>".into(),
            home: Some("https://leestmeer.example.org/".into()),
            language,
        }
    }

    #[test]
    fn unsubscribe_page_posts_one_click_back_to_itself() {
        let site = site(Language::Nl);
        let html = Page::unsubscribe_ask(&site, "ada@example.org").render("n0nce");
        assert!(
            html.starts_with("<!DOCTYPE html><html lang=\"nl\">"),
            "{html}"
        );
        assert!(html.contains("<style nonce=\"n0nce\">"), "{html}");
        assert!(html.contains("Afmelden voor Leest &lt;Meer&gt;?"), "{html}");
        assert!(html.contains("<form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\"><button type=\"submit\">Afmelden</button></form>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("action="), "{html}");
    }

    #[test]
    fn not_found_names_nothing_personal() {
        let site = site(Language::En);
        let html = Page::not_found(&site).render("x");
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("This link does not work"));
        let body = &html[html.find("<body>").unwrap()..];
        assert!(!body.contains('@'), "{html}");
        assert!(!body.contains("<form"), "{html}");
    }

    #[test]
    fn confirmation_mail_holds_the_link() {
        let site = site(Language::En);
        let (subject, body) = confirmation_mail(
            &site,
            "ada@example.org",
            "https://leestmeer.example.org/confirm/abc",
        );
        assert_eq!(subject, "Confirm your subscription to Leest <Meer>");
        assert!(body.contains("\n\nhttps://leestmeer.example.org/confirm/abc\n\n"));
        assert!(body.starts_with("Someone, hopefully you, subscribed ada@example.org"));
    }
}
