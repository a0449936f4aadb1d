//! The IMAP mailbox of `[bounces]`: log in (TLS with rustls, except on
//! loopback), read every message of `folder` without marking it seen, and
//! move the handled ones to the folder `processed` (IMAP `MOVE`, else `COPY`
//! and `\Deleted`). A connection that drops mid-fetch loses nothing: what
//! was read is handled, the rest stays where it is for the next run.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_imap::{Client, Session};
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

use super::apply::{Classified, MessageName};
use super::classify::classify;
use super::mailbox::Unreadable;
use super::record::message_hash;
use super::BounceError;

/// The folder handled messages move to.
pub const PROCESSED: &str = "processed";

/// How many messages one `FETCH` asks for.
const BATCH: usize = 100;

/// Where and how to log in; the password never shows in `Debug`.
#[derive(Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub folder: String,
    pub timeout: Duration,
}

impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

/// Why `[bounces]` does not name a mailbox postbode can log in to.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("`{0}` is not set")]
    NotSet(&'static str),
    #[error(
        "the IMAP password is not set: put it in the environment variable `{0}` \
         (`bounces.password_env`) or in `bounces.password_file`"
    )]
    NoPassword(String),
    #[error("cannot read `bounces.password_file` `{}`", path.display())]
    PasswordFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ImapSettings {
    /// From `[bounces]`; the password from `password_env` or `password_file`.
    pub fn from_config(cfg: &crate::config::BouncesConfig) -> Result<ImapSettings, SettingsError> {
        let host = cfg
            .imap_host
            .clone()
            .filter(|h| !h.trim().is_empty())
            .ok_or(SettingsError::NotSet("bounces.imap_host"))?;
        let user = cfg
            .imap_user
            .clone()
            .ok_or(SettingsError::NotSet("bounces.imap_user"))?;
        let password = match &cfg.password_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|p| p.trim_end_matches(['\r', '\n']).to_owned())
                .map_err(|source| SettingsError::PasswordFile {
                    path: path.clone(),
                    source,
                })?,
            None => std::env::var(&cfg.password_env)
                .map_err(|_| SettingsError::NoPassword(cfg.password_env.clone()))?,
        };
        let loopback = is_loopback(&host);
        Ok(ImapSettings {
            port: cfg.imap_port.unwrap_or(if loopback { 143 } else { 993 }),
            host,
            user,
            password,
            folder: cfg.folder.clone(),
            timeout: Duration::from_secs(60),
        })
    }

    fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn error(&self, message: impl fmt::Display) -> BounceError {
        BounceError::Imap {
            server: self.server(),
            message: message.to_string(),
        }
    }
}

/// True for `localhost` and loopback addresses: plain IMAP is allowed there.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}

/// A logged-in session on the bounce folder.
pub struct ImapBox {
    settings: ImapSettings,
    runtime: tokio::runtime::Runtime,
    session: Option<Session<Box<dyn Io>>>,
}

impl ImapBox {
    /// Connects, logs in and selects the folder.
    pub fn open(settings: ImapSettings) -> Result<ImapBox, BounceError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| settings.error(format!("cannot start: {e}")))?;
        let session = runtime.block_on(login(&settings))?;
        Ok(ImapBox {
            settings,
            runtime,
            session: Some(session),
        })
    }

    /// Reads and classifies every message of the folder, by UID. After a
    /// dropped connection the messages not yet read are listed as unread.
    pub fn read(&mut self) -> Result<(Vec<Classified>, Vec<Unreadable>), BounceError> {
        let settings = &self.settings;
        let Some(session) = self.session.as_mut() else {
            return Err(settings.error("the connection is closed"));
        };
        let (classified, unread, broken) = self.runtime.block_on(async {
            let mut uids: Vec<u32> =
                tokio::time::timeout(settings.timeout, session.uid_search("ALL"))
                    .await
                    .map_err(|_| settings.error("no answer to `UID SEARCH`"))?
                    .map_err(|e| settings.error(format!("`UID SEARCH` failed: {e}")))?
                    .into_iter()
                    .collect();
            uids.sort_unstable();
            let mut classified = Vec::with_capacity(uids.len());
            let mut unread: Vec<Unreadable> = Vec::new();
            let mut broken = false;
            for batch in uids.chunks(BATCH) {
                if broken {
                    unread.extend(batch.iter().map(|u| {
                        (
                            MessageName::Uid(*u),
                            "not read: the connection dropped".to_owned(),
                        )
                    }));
                    continue;
                }
                let set = batch
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                let mut got = std::collections::HashSet::new();
                let fetched = fetch(session, &set, settings.timeout, &mut |uid, body| {
                    got.insert(uid);
                    classified.push(Classified {
                        report: classify(body),
                        hash: message_hash(body),
                        name: MessageName::Uid(uid),
                    });
                })
                .await;
                if let Err(reason) = fetched {
                    broken = true;
                    unread.extend(batch.iter().filter(|u| !got.contains(u)).map(|u| {
                        (
                            MessageName::Uid(*u),
                            format!("not read: {reason}; left in place"),
                        )
                    }));
                }
            }
            Ok::<_, BounceError>((classified, unread, broken))
        })?;
        if broken {
            // The session is unusable; moves need a fresh one.
            self.session = None;
        }
        Ok((classified, unread))
    }

    /// Moves these messages to `processed`, creating it if needed. Logs in
    /// again when the connection dropped while reading.
    pub fn move_processed(&mut self, uids: &[u32]) -> Result<usize, BounceError> {
        if uids.is_empty() {
            return Ok(0);
        }
        if self.session.is_none() {
            self.session = Some(self.runtime.block_on(login(&self.settings))?);
        }
        let settings = &self.settings;
        let Some(session) = self.session.as_mut() else {
            return Err(settings.error("the connection is closed"));
        };
        self.runtime.block_on(async {
            let t = settings.timeout;
            // Fails when it exists; that is fine, and a real problem shows at MOVE.
            let _ = tokio::time::timeout(t, session.create(PROCESSED)).await;
            let caps = tokio::time::timeout(t, session.capabilities())
                .await
                .map_err(|_| settings.error("no answer to `CAPABILITY`"))?
                .map_err(|e| settings.error(format!("`CAPABILITY` failed: {e}")))?;
            let can_move = caps.has_str("MOVE");
            let can_expunge = caps.has_str("UIDPLUS");
            for batch in uids.chunks(BATCH) {
                let set = batch
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                let step = |what: &str, e: async_imap::error::Error| {
                    settings.error(format!(
                        "cannot move messages to `{PROCESSED}` ({what}): {e}"
                    ))
                };
                if can_move {
                    tokio::time::timeout(t, session.uid_mv(&set, PROCESSED))
                        .await
                        .map_err(|_| settings.error("no answer to `UID MOVE`"))?
                        .map_err(|e| step("UID MOVE", e))?;
                    continue;
                }
                tokio::time::timeout(t, session.uid_copy(&set, PROCESSED))
                    .await
                    .map_err(|_| settings.error("no answer to `UID COPY`"))?
                    .map_err(|e| step("UID COPY", e))?;
                {
                    let stream = session
                        .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
                        .await
                        .map_err(|e| step("UID STORE", e))?;
                    let _: Vec<_> = stream.collect().await;
                }
                if can_expunge {
                    let stream = session
                        .uid_expunge(&set)
                        .await
                        .map_err(|e| step("UID EXPUNGE", e))?;
                    let _: Vec<_> = stream.collect().await;
                }
            }
            Ok(uids.len())
        })
    }

    /// Logs out (best effort).
    pub fn close(mut self) {
        if let Some(mut session) = self.session.take() {
            let t = self.settings.timeout;
            self.runtime.block_on(async {
                let _ = tokio::time::timeout(t, session.logout()).await;
            });
        }
    }
}

/// Fetches one set of UIDs; `Err` with a reason when the stream broke.
async fn fetch(
    session: &mut Session<Box<dyn Io>>,
    set: &str,
    timeout: Duration,
    each: &mut dyn FnMut(u32, &[u8]),
) -> Result<(), String> {
    let mut stream = tokio::time::timeout(timeout, session.uid_fetch(set, "(UID BODY.PEEK[])"))
        .await
        .map_err(|_| "no answer to `UID FETCH`".to_owned())?
        .map_err(|e| format!("`UID FETCH` failed: {e}"))?;
    loop {
        let next = tokio::time::timeout(timeout, stream.next())
            .await
            .map_err(|_| "no data for a minute".to_owned())?;
        match next {
            None => return Ok(()),
            Some(Err(e)) => return Err(format!("the fetch broke off: {e}")),
            Some(Ok(fetch)) => {
                if let (Some(uid), Some(body)) = (fetch.uid, fetch.body()) {
                    each(uid, body);
                }
            }
        }
    }
}

async fn login(settings: &ImapSettings) -> Result<Session<Box<dyn Io>>, BounceError> {
    let t = settings.timeout;
    let tcp = tokio::time::timeout(
        t,
        TcpStream::connect((settings.host.as_str(), settings.port)),
    )
    .await
    .map_err(|_| settings.error("no connection within a minute"))?
    .map_err(|e| settings.error(format!("cannot connect: {e}")))?;
    let stream: Box<dyn Io> = if is_loopback(&settings.host) && settings.port != 993 {
        Box::new(tcp)
    } else {
        let tls = tls_connector().map_err(|e| settings.error(e))?;
        let name = rustls::pki_types::ServerName::try_from(settings.host.clone())
            .map_err(|e| settings.error(format!("not a valid host name: {e}")))?;
        Box::new(
            tokio::time::timeout(t, tls.connect(name, tcp))
                .await
                .map_err(|_| settings.error("no TLS handshake within a minute"))?
                .map_err(|e| settings.error(format!("TLS failed: {e}")))?,
        )
    };
    let mut client = Client::new(stream);
    tokio::time::timeout(t, client.read_response())
        .await
        .map_err(|_| settings.error("no greeting within a minute"))?
        .map_err(|e| settings.error(format!("no greeting: {e}")))?
        .ok_or_else(|| settings.error("the server closed the connection before its greeting"))?;
    let mut session = tokio::time::timeout(t, client.login(&settings.user, &settings.password))
        .await
        .map_err(|_| settings.error("no answer to `LOGIN`"))?
        .map_err(|(e, _)| settings.error(format!("cannot log in as `{}`: {e}", settings.user)))?;
    tokio::time::timeout(t, session.select(&settings.folder))
        .await
        .map_err(|_| settings.error("no answer to `SELECT`"))?
        .map_err(|e| {
            settings.error(format!("cannot open the folder `{}`: {e}", settings.folder))
        })?;
    Ok(session)
}

fn tls_connector() -> Result<tokio_rustls::TlsConnector, String> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS setup failed: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}
