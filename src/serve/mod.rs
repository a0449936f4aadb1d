//! `postbode serve`: the small HTTP server a static site lacks, for RFC 8058
//! one-click unsubscribe and for sign-ups confirmed by mail. It is meant to
//! run on loopback behind the site's reverse proxy.
//!
//! Routes (their paths follow `sender.unsubscribe_url`, see [`paths`]):
//!
//! - `GET /unsubscribe/{token}`: a page with a button. A GET changes nothing,
//!   so link scanners that open every link in a mail unsubscribe nobody.
//! - `POST /unsubscribe/{token}` with `List-Unsubscribe=One-Click`: done at
//!   once, 200, no redirect, no cookie (what mail clients send).
//! - `GET /subscribe`, `POST /subscribe`: the sign-up form; a pending entry
//!   and a confirmation mail ([`signup`]), rate-limited per client.
//! - `GET /confirm/{token}` (a page with a button), `POST /confirm/{token}`:
//!   the pending entry becomes active.
//!
//! An unknown or malformed token, and any other path, gets one and the same
//! 404 page, which names no address and no token. The list is held in
//! memory ([`index`]): an unknown token costs a hash lookup; changes are
//! group-committed under the list's lock by one writer thread, and a
//! request is answered once its change is stored. Connections are limited
//! per client and idle ones make room for new ones ([`conns`]).

pub mod backend;
pub mod conns;
pub mod form;
pub mod index;
pub mod limit;
pub mod paths;
pub mod signup;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Extension, Router};
use chrono::{DateTime, FixedOffset, SubsecRound};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

use crate::config::Config;
use crate::mail::compose::SenderSettings;
use crate::output::{error_chain, Output};
use crate::site::SiteSettings;
use crate::subscribers::{self, clean_categories, clean_name, Address, Status, Store, Subscriber};
use crate::templates::pages::{Page, Site};
use conns::{Busy, Conns, MAX_CONNECTIONS, PER_CLIENT};
use form::Fields;
use index::{Change, Index, Outcome};
use limit::RateLimit;
use paths::Paths;
use signup::{Link, SignUp};

/// Sign-ups per client network per [`SIGNUP_PERIOD`].
pub const SIGNUPS_PER_CLIENT: usize = 5;
/// Confirmation mails per address per [`SIGNUP_PERIOD`].
pub const MAILS_PER_ADDRESS: usize = 2;
pub const SIGNUP_PERIOD: Duration = Duration::from_secs(10 * 60);
/// Sign-ups being stored and mailed at once; past this, 503.
const SIGNUPS_IN_FLIGHT: usize = 16;
/// A form is a few hundred bytes; anything much bigger is not one.
const BODY_LIMIT: usize = 16 * 1024;
/// How long a client may take to send its body.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may wait for a whole request head (a browser or a
/// mail client sends one at once), the first or the next.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything the handlers share.
struct App {
    index: Index,
    site: Site,
    sender: SenderSettings,
    /// The confirmation link, `{token}` still in it.
    confirm_url: String,
    config: Config,
    out: Output,
    per_client: Mutex<RateLimit<IpAddr>>,
    per_address: Mutex<RateLimit<String>>,
    signups_in_flight: AtomicUsize,
}

type Shared = Arc<App>;

/// The peer of the connection a request came on.
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

/// Checks everything `serve` needs from the config, binds `listen`, and
/// answers until SIGINT or SIGTERM.
/// Why `serve` cannot start (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "`sender.unsubscribe_url` is not set in `{0}`; `serve` answers at that URL \
         (like `https://site.example/unsubscribe/{{token}}`)"
    )]
    NoUrl(std::path::PathBuf),
    #[error(transparent)]
    Path(#[from] paths::PathError),
    #[error(transparent)]
    Sender(#[from] crate::mail::compose::ComposeError),
    #[error(transparent)]
    Site(#[from] crate::site::SiteError),
    #[error("cannot send confirmation mails")]
    Transport(#[source] crate::mail::smtp::SendError),
    #[error("cannot {0}")]
    Io(&'static str, #[source] std::io::Error),
    #[error("cannot listen on `{0}`")]
    Listen(SocketAddr, #[source] std::io::Error),
    #[error("cannot load the subscriber list")]
    List(#[source] crate::subscribers::StoreError),
}

type Result<T, E = ServeError> = std::result::Result<T, E>;

pub fn run(config: &Config, listen: SocketAddr, out: Output) -> Result<()> {
    let url = config
        .sender
        .unsubscribe_url
        .as_deref()
        .ok_or_else(|| ServeError::NoUrl(config.path.clone()))?;
    let paths = Paths::from_url(url)?;
    let sender = SenderSettings::resolve(&config.sender)?;
    let site = SiteSettings::resolve(config)?;
    let home = crate::render::site_home(&site);
    let site = Site {
        title: site.title.clone(),
        home: (!home.is_empty()).then_some(home),
        language: site.language,
    };
    // A transport that cannot be set up (a missing SMTP password) should
    // stop `serve` now, not fail each sign-up later.
    crate::mail::transport(config, "confirm").map_err(ServeError::Transport)?;

    let index = Index::start(Store::open(&config.subscribers.file)).map_err(ServeError::List)?;
    let app = Arc::new(App {
        index,
        site,
        sender,
        confirm_url: paths.confirm_url.clone(),
        config: config.clone(),
        out,
        per_client: Mutex::new(RateLimit::new(SIGNUPS_PER_CLIENT, SIGNUP_PERIOD)),
        per_address: Mutex::new(RateLimit::new(MAILS_PER_ADDRESS, SIGNUP_PERIOD)),
        signups_in_flight: AtomicUsize::new(0),
    });
    let router = router(app, &paths);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ServeError::Io("start the server's runtime", e))?;
    // Signals are watched before the port opens: a stop that arrives as
    // soon as the port answers ends the server cleanly instead of killing it.
    let signals = {
        let _context = runtime.enter();
        Signals::watch().map_err(|e| ServeError::Io("watch for signals", e))?
    };
    let listener =
        std::net::TcpListener::bind(listen).map_err(|e| ServeError::Listen(listen, e))?;
    let bound = listener
        .set_nonblocking(true)
        .and_then(|()| listener.local_addr())
        .map_err(|e| ServeError::Listen(listen, e))?;
    out.info(format!(
        "listening on http://{bound}: {}",
        paths
            .unsubscribe
            .iter()
            .chain(&paths.confirm)
            .chain(&paths.subscribe)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    ));
    runtime.block_on(accept(listener, router, out, signals))?;
    // Dropping the runtime waits for sign-ups still being stored or mailed.
    drop(runtime);
    out.info("stopped");
    Ok(())
}

/// The routes, with the security headers every response gets.
fn router(app: Shared, paths: &Paths) -> Router {
    let mut router = Router::new();
    for p in &paths.unsubscribe {
        router = router.route(p, get(unsubscribe_page).post(unsubscribe));
    }
    for p in &paths.confirm {
        router = router.route(p, get(confirm_page).post(confirm));
    }
    for p in &paths.subscribe {
        router = router.route(p, get(subscribe_page).post(subscribe));
    }
    router
        .fallback(not_found)
        .layer(middleware::map_response(secure_headers))
        .with_state(app)
}

/// Accepts connections until a signal, then lets open ones finish (for at
/// most [`READ_TIMEOUT`]).
async fn accept(
    listener: std::net::TcpListener,
    router: Router,
    out: Output,
    signals: Signals,
) -> Result<()> {
    let listener =
        tokio::net::TcpListener::from_std(listener).map_err(|e| ServeError::Io("listen", e))?;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let conns = Conns::new(MAX_CONNECTIONS, PER_CLIENT);
    let shutdown = signals.stop();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    out.warn(format!("cannot accept a connection: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(ticket) = conns.admit(limit::network(peer.ip())) else {
            // This client holds its share, or every connection is busy.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let tower = TowerToHyperService::new(router.clone());
        let busy = Arc::clone(&ticket.busy);
        let service = service_fn(move |mut request: Request<Incoming>| {
            let working = Busy::new(&busy);
            request.extensions_mut().insert(Peer(peer));
            let response = hyper::service::Service::call(&tower, request);
            async move {
                let response = response.await;
                drop(working);
                response
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            tokio::select! {
                _ = connection => {}
                // Closed to make room for a new connection.
                () = ticket.close.notified() => {}
            }
            drop(ticket);
        });
    }
    drop(listener);
    out.info("stopping: finishing open requests");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(READ_TIMEOUT) => {}
    }
    Ok(())
}

/// SIGINT (Ctrl-C) and SIGTERM (systemd's stop), watched from the moment
/// this is made.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Registers the handlers; needs a runtime context.
    fn watch() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Resolves at the first of them.
    async fn stop(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Headers for every response: nothing cached (pages name addresses and
/// act on secrets), no sniffing, no framing, no referrer carrying a token
/// elsewhere, and, for responses without a page, no content at all.
async fn secure_headers(mut response: Response) -> Response {
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
fn page(status: StatusCode, page: Page<'_>) -> Response {
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
    fn not_found(&self) -> Response {
        page(StatusCode::NOT_FOUND, Page::not_found(&self.site))
    }

    /// The list could not be read or written: said once on stderr, and to
    /// the client as a 503 (a mail client retries a one-click POST later).
    fn unavailable(&self, error: impl std::fmt::Display) -> Response {
        self.out
            .warn(format!("cannot use the subscriber list: {error}"));
        page(
            StatusCode::SERVICE_UNAVAILABLE,
            Page::unavailable(&self.site),
        )
    }

    fn bad_request(&self, status: StatusCode) -> Response {
        page(status, Page::bad_request(&self.site))
    }
}

/// A token as the path gave it, if it can be one at all: tokens are short
/// and printable, and a malformed one need not cost a read of the list.
fn token(path: Result<Path<String>, PathRejection>) -> Option<String> {
    let Path(token) = path.ok()?;
    let ok = !token.is_empty()
        && token.len() <= 256
        && !token.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(token)
}

/// Runs a store call on a blocking thread.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, subscribers::StoreError> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(error_chain(&e)),
        Err(e) => Err(format!("the store call failed: {e}")),
    }
}

/// Reads a form body of at most [`BODY_LIMIT`] bytes within [`READ_TIMEOUT`].
async fn read_form(headers: &HeaderMap, body: Body) -> Result<Fields, StatusCode> {
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

fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset().trunc_subsecs(0)
}

async fn not_found(State(app): State<Shared>) -> Response {
    app.not_found()
}

async fn unsubscribe_page(
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

/// The subscriber with `token`. Unknown tokens, the ones anybody can make
/// up, are answered from memory without a thread, a lock or a read.
async fn find(app: &App, token: &str) -> Result<Option<Subscriber>, String> {
    if app.index.surely_unknown(token) {
        return Ok(None);
    }
    let index = app.index.clone();
    let token = token.to_owned();
    blocking(move || index.by_token(&token)).await
}

async fn unsubscribe(
    State(app): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(token) = token(path) else {
        return app.not_found();
    };
    let fields = match read_form(&headers, body).await {
        Ok(fields) => fields,
        Err(status) => return app.bad_request(status),
    };
    if app.index.surely_unknown(&token) {
        return app.not_found();
    }
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

async fn confirm_page(
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

async fn confirm(State(app): State<Shared>, path: Result<Path<String>, PathRejection>) -> Response {
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

async fn subscribe_page(State(app): State<Shared>) -> Response {
    page(StatusCode::OK, Page::subscribe(&app.site))
}

async fn subscribe(
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

/// The address, name and categories of a sign-up form; `None` when the
/// address is not one. Categories come as repeated `category` fields or
/// one `categories` field separated by `,` or `;`.
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
    Some(SignUp {
        address,
        name,
        categories,
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
            b"email=+ada%40example.org+&name=Ada&category=Tech&categories=sport%3B+nieuws,tech",
        )
        .unwrap();
        let s = parse_signup(&f).unwrap();
        assert_eq!(s.address.email, "ada@example.org");
        assert_eq!(s.name.as_deref(), Some("Ada"));
        assert_eq!(s.categories, ["Tech", "sport", "nieuws"]);
        for bad in [
            &b"email=not-an-address"[..],
            b"name=Ada",
            b"email=a%40example.org%0D%0ABcc%3A+b%40example.org",
        ] {
            assert!(parse_signup(&Fields::parse(None, bad).unwrap()).is_none());
        }
    }

    #[test]
    fn tokens_from_paths() {
        assert_eq!(token(Ok(Path("abc".into()))), Some("abc".into()));
        assert_eq!(token(Ok(Path(String::new()))), None);
        assert_eq!(token(Ok(Path("a b".into()))), None);
        assert_eq!(token(Ok(Path("x".repeat(300)))), None);
    }
}
