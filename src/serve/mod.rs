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
//! - `GET /preferences/{token}`, `POST /preferences/{token}`: the reader's
//!   digests, categories and pause ([`preferences`]).
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
mod links;
mod listen;
pub mod paths;
mod preferences;
mod respond;
mod rows;
pub mod signup;
mod subscribe;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::get;
use axum::{middleware, Router};

use crate::config::Config;
use crate::mail::compose::SenderSettings;
use crate::output::Output;
use crate::site::SiteSettings;
use crate::subscribers::Store;
use crate::templates::pages::Site;
use index::Index;
use limit::RateLimit;
use links::{confirm, confirm_page, unsubscribe, unsubscribe_page};
use listen::{accept, Signals};
use paths::Paths;
use preferences::{preferences_page, save_preferences, Offer};
use respond::{not_found, secure_headers};
use subscribe::{subscribe, subscribe_page};

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
    /// What the preference page offers.
    preferences: Offer,
    per_client: Mutex<RateLimit<IpAddr>>,
    per_address: Mutex<RateLimit<String>>,
    signups_in_flight: AtomicUsize,
}

type Shared = Arc<App>;

/// The peer of the connection a request came on.
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

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

/// Checks everything `serve` needs from the config, binds `listen`, and
/// answers until SIGINT or SIGTERM.
pub fn run(config: &Config, listen: SocketAddr, out: Output) -> Result<()> {
    let url = config
        .sender
        .unsubscribe_url
        .as_deref()
        .ok_or_else(|| ServeError::NoUrl(config.path.clone()))?;
    let paths = Paths::from_url(url)?;
    let sender = SenderSettings::resolve(&config.sender)?;
    let site = SiteSettings::resolve(config)?;
    // The preference page offers the categories the site's posts have.
    let loaded = crate::site::load(&site, &crate::site::LoadOptions::default())?;
    let offer = Offer::new(config, loaded.posts.iter().flat_map(|p| &p.categories));
    drop(loaded);
    let home = crate::render::site_home(&site);
    let site = Site {
        title: site.title.clone(),
        home: (!home.is_empty()).then_some(home),
        language: site.language,
    };
    // A transport that cannot be set up (a missing SMTP password) should
    // stop `serve` now, not fail each sign-up later.
    crate::mail::transport(config, "confirm").map_err(ServeError::Transport)?;

    let index = Index::open(Store::open(&config.subscribers.file)).map_err(ServeError::List)?;
    let app = Arc::new(App {
        index,
        site,
        sender,
        confirm_url: paths.confirm_url.clone(),
        preferences: offer,
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
            .chain(&paths.preferences)
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
    for p in &paths.preferences {
        router = router.route(p, get(preferences_page).post(save_preferences));
    }
    router
        .fallback(not_found)
        .layer(middleware::map_response(secure_headers))
        .with_state(app)
}
