//! The preference page: `GET /preferences/{token}` shows the reader's
//! digests, categories and pause and changes nothing; `POST` saves them
//! through the list's writer, as an unsubscribe is saved. Unknown tokens
//! get the same 404 as every other unknown link.
//!
//! A digest the site does not have is a form the site did not make: the
//! page again, 400, nothing saved. Categories the site does not have are
//! left out of what is saved, and the page says which.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;

use super::form::Fields;
use super::index::{Change, Choice, Outcome};
use super::respond::{find, page, token, token_and_form};
use super::{App, Shared};
use crate::subscribers::{same_category, Status, Subscriber};
use crate::templates::pages::Page;
use crate::templates::preferences::{Choices, Words};

/// What the page offers: the config's digests and the site's categories.
#[derive(Debug, Clone, Default)]
pub struct Offer {
    pub digests: Vec<String>,
    pub default_digest: String,
    /// Every category of the site's posts, sorted, once each (without case).
    pub categories: Vec<String>,
}

impl Offer {
    /// The digests and the categories of `posts`' categories lists.
    pub fn new<'a>(
        config: &crate::config::Config,
        categories: impl IntoIterator<Item = &'a String>,
    ) -> Offer {
        let mut all: Vec<String> = Vec::new();
        for c in categories {
            let c = c.trim();
            if !c.is_empty() && !all.iter().any(|o| same_category(o, c)) {
                all.push(c.to_owned());
            }
        }
        all.sort_by_key(|c| c.to_lowercase());
        Offer {
            digests: config.digests().iter().map(|d| d.name.clone()).collect(),
            default_digest: config.default_digest().to_owned(),
            categories: all,
        }
    }

    /// The form as `s` would see it now.
    fn choices(&self, s: &Subscriber) -> Choices {
        Choices {
            digests: self
                .digests
                .iter()
                .map(|d| (d.clone(), s.on_digest(d, &self.default_digest)))
                .collect(),
            categories: self
                .categories
                .iter()
                .map(|c| {
                    let on = s.categories.iter().any(|x| same_category(x, c));
                    (c.clone(), on)
                })
                .collect(),
            paused_until: s
                .paused_until
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        }
    }
}

/// Why a posted form is not saved.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refused {
    UnknownDigest(String),
    NoDigest,
    BadDate,
}

/// The form's fields as a choice to save, and the categories left out.
fn read_choice(offer: &Offer, fields: &Fields) -> Result<(Choice, Vec<String>), Refused> {
    let mut digests: Vec<String> = Vec::new();
    for d in fields
        .all("digest")
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        if !offer.digests.iter().any(|o| o == d) {
            return Err(Refused::UnknownDigest(d.to_owned()));
        }
        if !digests.iter().any(|x| x == d) {
            digests.push(d.to_owned());
        }
    }
    if digests.is_empty() {
        return Err(Refused::NoDigest);
    }
    // The default digest alone is what an entry without `digests` gets.
    if digests == [offer.default_digest.as_str()] {
        digests.clear();
    }
    let mut categories: Vec<String> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for c in fields
        .all("category")
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match offer.categories.iter().find(|o| same_category(o, c)) {
            Some(known) if !categories.contains(known) => categories.push(known.clone()),
            Some(_) => {}
            None if unknown.len() < 20 => unknown.push(c.chars().take(80).collect()),
            None => {}
        }
    }
    let paused_until = match fields.get("paused_until").map(str::trim) {
        None | Some("") => None,
        Some(date) => {
            Some(NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| Refused::BadDate)?)
        }
    };
    Ok((
        Choice {
            digests,
            categories,
            paused_until,
        },
        unknown,
    ))
}

pub(super) async fn preferences_page(
    State(app): State<Shared>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let Some(token) = token(path) else {
        return app.not_found();
    };
    match find(&app, &token).await {
        Ok(Some(s)) => answer(&app, &s, StatusCode::OK, Vec::new()),
        Ok(None) => app.not_found(),
        Err(e) => app.unavailable(e),
    }
}

pub(super) async fn save_preferences(
    State(app): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (token, fields) = match token_and_form(&app, path, &headers, body).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let w = Words::of(app.site.language);
    let (choice, unknown) = match read_choice(&app.preferences, &fields) {
        Ok(read) => read,
        Err(refused) => {
            let note = match refused {
                Refused::UnknownDigest(name) => {
                    let name: String = name.chars().take(40).collect();
                    w.unknown_digest.replace("{digest}", &name)
                }
                Refused::NoDigest => w.no_digest.to_owned(),
                Refused::BadDate => w.bad_date.to_owned(),
            };
            return match find(&app, &token).await {
                Ok(Some(s)) => answer(&app, &s, StatusCode::BAD_REQUEST, vec![note]),
                Ok(None) => app.not_found(),
                Err(e) => app.unavailable(e),
            };
        }
    };
    // Only active readers choose; the others see what their link shows.
    match find(&app, &token).await {
        Ok(Some(s)) if s.status == Status::Active => {}
        Ok(Some(s)) => return answer(&app, &s, StatusCode::OK, Vec::new()),
        Ok(None) => return app.not_found(),
        Err(e) => return app.unavailable(e),
    }
    match app
        .index
        .change(Change::Preferences { token, choice })
        .await
    {
        Ok(Outcome::Preferences(Some(s))) => {
            app.out.info(format!("preferences of {} saved", s.email));
            let mut notes = vec![w.saved.to_owned()];
            if !unknown.is_empty() {
                notes.push(format!("{} {}", w.unknown_categories, unknown.join(", ")));
            }
            answer(&app, &s, StatusCode::OK, notes)
        }
        Ok(_) => app.not_found(),
        Err(e) => app.unavailable(e),
    }
}

/// The form for an active reader; the unsubscribed page for one who left;
/// the 404 for links that never reached a digest (pending, bounced).
fn answer(app: &App, s: &Subscriber, status: StatusCode, notes: Vec<String>) -> Response {
    match s.status {
        Status::Active => page(
            status,
            Page::preferences(&app.site, &s.email, app.preferences.choices(s), notes),
        ),
        Status::Unsubscribed => page(StatusCode::OK, Page::unsubscribed(&app.site, &s.email)),
        Status::Pending | Status::Bounced => app.not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> Offer {
        Offer {
            digests: vec!["daily".into(), "weekly".into()],
            default_digest: "weekly".into(),
            categories: vec!["Nieuws".into(), "Sport".into(), "Tech".into()],
        }
    }

    fn read(body: &str) -> Result<(Choice, Vec<String>), Refused> {
        read_choice(&offer(), &Fields::parse(None, body.as_bytes()).unwrap())
    }

    #[test]
    fn a_form_becomes_a_choice() {
        let (c, unknown) = read(
            "digest=daily&digest=weekly&category=sport&category=Golf&category=TECH&paused_until=2027-01-04",
        )
        .unwrap();
        assert_eq!(c.digests, ["daily", "weekly"]);
        assert_eq!(c.categories, ["Sport", "Tech"]);
        assert_eq!(c.paused_until, NaiveDate::from_ymd_opt(2027, 1, 4));
        assert_eq!(unknown, ["Golf"]);
        let (c, _) = read("digest=weekly&paused_until=").unwrap();
        assert!(c.digests.is_empty(), "the default alone is stored as none");
        assert_eq!(c.paused_until, None);
        assert_eq!(
            read("digest=hourly"),
            Err(Refused::UnknownDigest("hourly".into()))
        );
        assert_eq!(read("category=Sport"), Err(Refused::NoDigest));
        assert_eq!(
            read("digest=daily&paused_until=soon"),
            Err(Refused::BadDate)
        );
    }
}
