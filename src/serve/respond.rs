//! What every handler answers with: the security headers, pages with their
//! content policy, the shared error pages, and the small readers of
//! tokens and form bodies.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, SubsecRound};

use super::form::Fields;
use super::{App, Shared, BODY_LIMIT, READ_TIMEOUT};
use crate::output::error_chain;
use crate::subscribers;
use crate::subscribers::Subscriber;
use crate::templates::pages::Page;

/// Headers for every response: nothing cached (pages name addresses and
/// act on secrets), no sniffing, no framing, no referrer carrying a token
/// elsewhere, and, for responses without a page, no content at all.
pub(super) async fn secure_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        );
    }
    response
}

/// A page as a response, with a policy that admits its own style block
/// and nothing else: no scripts, no images, forms only to this site.
pub(super) fn page(status: StatusCode, page: Page<'_>) -> Response {
    let nonce = subscribers::new_token();
    let html = page.render(&nonce);
    let policy = format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

impl App {
    pub(super) fn not_found(&self) -> Response {
        page(StatusCode::NOT_FOUND, Page::not_found(&self.site))
    }

    /// The list could not be read or written: said once on stderr, and to
    /// the client as a 503 (a mail client retries a one-click POST later).
    pub(super) fn unavailable(&self, error: impl std::fmt::Display) -> Response {
        self.out
            .warn(format!("cannot use the subscriber list: {error}"));
        page(
            StatusCode::SERVICE_UNAVAILABLE,
            Page::unavailable(&self.site),
        )
    }

    pub(super) fn bad_request(&self, status: StatusCode) -> Response {
        page(status, Page::bad_request(&self.site))
    }
}

/// A token as the path gave it, if it can be one at all: tokens are short
/// and printable, and a malformed one need not cost a read of the list.
pub(super) fn token(path: Result<Path<String>, PathRejection>) -> Option<String> {
    let Path(token) = path.ok()?;
    let ok = !token.is_empty()
        && token.len() <= 256
        && !token.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(token)
}

/// The token and the form of a POST to a token's page, or the answer when
/// the path cannot be a token, the form is bad, or the token is surely
/// unknown (all settled before any thread, lock or read).
pub(super) async fn token_and_form(
    app: &App,
    path: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(String, Fields), Response> {
    let Some(token) = token(path) else {
        return Err(app.not_found());
    };
    let fields = read_form(headers, body)
        .await
        .map_err(|status| app.bad_request(status))?;
    if app.index.surely_unknown(&token) {
        return Err(app.not_found());
    }
    Ok((token, fields))
}

/// The subscriber with `token`. Unknown tokens, the ones anybody can make
/// up, are answered from memory without a thread, a lock or a read.
pub(super) async fn find(app: &App, token: &str) -> Result<Option<Subscriber>, String> {
    if app.index.surely_unknown(token) {
        return Ok(None);
    }
    let index = app.index.clone();
    let token = token.to_owned();
    blocking(move || index.by_token(&token)).await
}

/// Runs a store call on a blocking thread.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, subscribers::StoreError> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(error_chain(&e)),
        Err(e) => Err(format!("the store call failed: {e}")),
    }
}

/// Reads a form body of at most [`BODY_LIMIT`] bytes within [`READ_TIMEOUT`].
pub(super) async fn read_form(headers: &HeaderMap, body: Body) -> Result<Fields, StatusCode> {
    let bytes =
        match tokio::time::timeout(READ_TIMEOUT, axum::body::to_bytes(body, BODY_LIMIT)).await {
            Err(_) => return Err(StatusCode::REQUEST_TIMEOUT),
            Ok(Err(_)) => return Err(StatusCode::PAYLOAD_TOO_LARGE),
            Ok(Ok(bytes)) => bytes,
        };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    Fields::parse(content_type, &bytes).map_err(|_| StatusCode::BAD_REQUEST)
}

pub(super) fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset().trunc_subsecs(0)
}

pub(super) async fn not_found(State(app): State<Shared>) -> Response {
    app.not_found()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_from_paths() {
        assert_eq!(token(Ok(Path("abc".into()))), Some("abc".into()));
        assert_eq!(token(Ok(Path(String::new()))), None);
        assert_eq!(token(Ok(Path("a b".into()))), None);
        assert_eq!(token(Ok(Path("x".repeat(300)))), None);
    }
}
