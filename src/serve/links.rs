//! The two links a mail carries: unsubscribe (a page with a button, and
//! RFC 8058 one-click POST) and confirm (of a sign-up).

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::index::{Change, Outcome};
use super::respond::{blocking, find, now, page, token, token_and_form};
use super::signup::Link;
use super::{App, Shared};
use crate::subscribers::{Status, Subscriber};
use crate::templates::pages::Page;

pub(super) async fn unsubscribe_page(
    State(app): State<Shared>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let Some(token) = token(path) else {
        return app.not_found();
    };
    match find(&app, &token).await {
        Ok(Some(s)) => unsubscribe_status_page(&app, &s, StatusCode::OK),
        Ok(None) => app.not_found(),
        Err(e) => app.unavailable(e),
    }
}

/// "You are unsubscribed" for those who are, else the page with the button.
fn unsubscribe_status_page(app: &App, s: &Subscriber, status: StatusCode) -> Response {
    if s.status == Status::Unsubscribed {
        page(StatusCode::OK, Page::unsubscribed(&app.site, &s.email))
    } else {
        page(status, Page::unsubscribe_ask(&app.site, &s.email))
    }
}

pub(super) async fn unsubscribe(
    State(app): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (token, fields) = match token_and_form(&app, path, &headers, body).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !fields.is_one_click() {
        // Not what RFC 8058 clients or our page send: the page with the
        // button that does, as a 400.
        return match find(&app, &token).await {
            Ok(Some(s)) => unsubscribe_status_page(&app, &s, StatusCode::BAD_REQUEST),
            Ok(None) => app.not_found(),
            Err(e) => app.unavailable(e),
        };
    }
    let change = Change::Unsubscribe { token, at: now() };
    match app.index.change(change).await {
        Ok(Outcome::Unsubscribed(Some((s, now)))) => {
            if now {
                app.out.info(format!("unsubscribed {}", s.email));
            }
            page(StatusCode::OK, Page::unsubscribed(&app.site, &s.email))
        }
        Ok(_) => app.not_found(),
        Err(e) => app.unavailable(e),
    }
}

pub(super) async fn confirm_page(
    State(app): State<Shared>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let Some(token) = token(path) else {
        return app.not_found();
    };
    match look_up(&app, token).await {
        Ok(Link::Pending(s)) => page(StatusCode::OK, Page::confirm_ask(&app.site, &s.email)),
        Ok(Link::Active(s)) => page(StatusCode::OK, Page::confirmed(&app.site, &s.email)),
        Ok(Link::Invalid) => app.not_found(),
        Err(e) => app.unavailable(e),
    }
}

pub(super) async fn confirm(
    State(app): State<Shared>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let Some(token) = token(path) else {
        return app.not_found();
    };
    // Only a pending entry needs the lock and a write.
    match look_up(&app, token.clone()).await {
        Ok(Link::Pending(_)) => {}
        Ok(Link::Active(s)) => return page(StatusCode::OK, Page::confirmed(&app.site, &s.email)),
        Ok(Link::Invalid) => return app.not_found(),
        Err(e) => return app.unavailable(e),
    }
    match app.index.change(Change::Confirm { token, at: now() }).await {
        Ok(Outcome::Confirmed(Link::Active(s))) => {
            app.out.info(format!("confirmed {}", s.email));
            page(StatusCode::OK, Page::confirmed(&app.site, &s.email))
        }
        Ok(_) => app.not_found(),
        Err(e) => app.unavailable(e),
    }
}

/// What the confirmation link `token` leads to now; unknown tokens from
/// memory, as in [`find`].
async fn look_up(app: &App, token: String) -> Result<Link, String> {
    if app.index.surely_unknown(&token) {
        return Ok(Link::Invalid);
    }
    let index = app.index.clone();
    blocking(move || index.look_up(&token, now())).await
}
