//! The sign-up form: rate-limited per client network and per address,
//! answered the same whether or not the address is on the list, stored
//! and mailed after the answer.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;

use super::form::Fields;
use super::index::{Change, Outcome};
use super::respond::{now, page, read_form};
use super::signup::{self, SignUp};
use super::{limit, App, Peer, Shared, MAILS_PER_ADDRESS, SIGNUPS_IN_FLIGHT, SIGNUP_PERIOD};
use crate::output::error_chain;
use crate::subscribers::{clean_categories, clean_name, Address};
use crate::templates::pages::Page;

pub(super) async fn subscribe_page(State(app): State<Shared>) -> Response {
    page(StatusCode::OK, Page::subscribe(&app.site))
}

pub(super) async fn subscribe(
    State(app): State<Shared>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let client = limit::network(limit::client(peer, &headers));
    let allowed = app
        .per_client
        .lock()
        .map(|mut l| l.allow(&client, Instant::now()))
        .unwrap_or(false);
    if !allowed {
        let mut response = page(StatusCode::TOO_MANY_REQUESTS, Page::too_many(&app.site));
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(SIGNUP_PERIOD.as_secs()),
        );
        return response;
    }
    let fields = match read_form(&headers, body).await {
        Ok(fields) => fields,
        Err(status) => return app.bad_request(status),
    };
    let Some(signup) = parse_signup(&fields) else {
        return page(StatusCode::BAD_REQUEST, Page::bad_address(&app.site));
    };
    // A digest the site does not have is a form this site did not make.
    if signup.digests.len() > 20 || !signup.digests.iter().all(|d| app.config.has_digest(d)) {
        return app.bad_request(StatusCode::BAD_REQUEST);
    }
    let Some(slot) = InFlight::take(&app) else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            Page::unavailable(&app.site),
        );
    };
    // Storing and mailing happen after the answer, which is the same for
    // every acceptable address, in the same time: neither its words nor
    // its timing tell whether the address was on the list.
    tokio::task::spawn_blocking(move || complete_signup(&slot.0, signup));
    page(StatusCode::OK, Page::check_mail(&app.site))
}

/// One of the [`SIGNUPS_IN_FLIGHT`] sign-up slots, given back when dropped
/// (also when the work in it panics).
struct InFlight(Shared);

impl InFlight {
    fn take(app: &Shared) -> Option<InFlight> {
        let taken = app.signups_in_flight.fetch_add(1, Ordering::AcqRel);
        let slot = InFlight(Arc::clone(app));
        (taken < SIGNUPS_IN_FLIGHT).then_some(slot)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.signups_in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The address, name, categories and digests of a sign-up form; `None`
/// when the address is not one. Categories come as repeated `category`
/// fields or one `categories` field separated by `,` or `;`; digests as
/// repeated `digest` fields.
fn parse_signup(fields: &Fields) -> Option<SignUp> {
    let address = Address::parse(fields.get("email")?).ok()?;
    let name = match fields.get("name") {
        Some(n) => clean_name(n).ok()?,
        None => None,
    };
    let categories: Vec<&str> = fields
        .all("category")
        .chain(fields.all("categories").flat_map(|c| c.split([',', ';'])))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if categories.len() > 50 {
        return None;
    }
    let categories = clean_categories(&categories).ok()?;
    let mut digests: Vec<String> = Vec::new();
    for d in fields
        .all("digest")
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        if !digests.iter().any(|x| x == d) {
            digests.push(d.to_owned());
        }
    }
    Some(SignUp {
        address,
        name,
        categories,
        digests,
    })
}

/// Stores a sign-up and mails the confirmation link; runs after the answer,
/// so problems go to stderr.
fn complete_signup(app: &App, signup: SignUp) {
    let email = signup.address.email.clone();
    let key = signup.address.key.clone();
    let allowed = app
        .per_address
        .lock()
        .map(|mut l| l.allow(&key, Instant::now()))
        .unwrap_or(false);
    if !allowed {
        app.out.info(format!(
            "sign-up of {email} ignored: it had {MAILS_PER_ADDRESS} confirmation mails in the last {} minutes",
            SIGNUP_PERIOD.as_secs() / 60
        ));
        return;
    }
    let pending = match app
        .index
        .change_blocking(Change::SignUp { signup, at: now() })
    {
        Ok(Outcome::SignedUp(Some(pending))) => pending,
        Ok(_) => {
            app.out
                .info(format!("sign-up of {email}: already active, no mail"));
            return;
        }
        Err(e) => {
            app.out
                .warn(format!("cannot store the sign-up of {email}: {e}"));
            return;
        }
    };
    let sent = signup::confirmation_message(&app.site, &app.sender, &app.confirm_url, &pending)
        .map_err(signup::ConfirmMailError::from)
        .and_then(|message| signup::deliver(&app.config, &message));
    match sent {
        Ok(_) => app.out.info(format!(
            "sign-up of {email}: pending, confirmation mail sent"
        )),
        Err(e) => app.out.warn(format!(
            "sign-up of {email} is pending, but {}",
            error_chain(&e)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_up_forms() {
        let f = Fields::parse(
            None,
            b"email=+ada%40example.org+&name=Ada&category=Tech&categories=sport%3B+nieuws,tech&digest=daily&digest=weekly&digest=daily",
        )
        .unwrap();
        let s = parse_signup(&f).unwrap();
        assert_eq!(s.address.email, "ada@example.org");
        assert_eq!(s.name.as_deref(), Some("Ada"));
        assert_eq!(s.categories, ["Tech", "sport", "nieuws"]);
        assert_eq!(s.digests, ["daily", "weekly"]);
        for bad in [
            &b"email=not-an-address"[..],
            b"name=Ada",
            b"email=a%40example.org%0D%0ABcc%3A+b%40example.org",
        ] {
            assert!(parse_signup(&Fields::parse(None, bad).unwrap()).is_none());
        }
    }
}
