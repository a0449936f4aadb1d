//! One SMTP session, driven through lettre's public `SmtpConnection`.
//!
//! lettre's `SmtpTransport` writes a message's final `\r\n.\r\n` as a second
//! small write; with Nagle's algorithm on, the server's delayed ACK holds it
//! for ~40 ms, capping a connection at ~22 messages/s. Here the dot-stuffed
//! message and the final dot go out in a single write (as one "command"),
//! so each message costs three round trips and one write.
//!
//! Errors are sorted the way delivery needs them: transient (retry later,
//! maybe on a new connection), permanent (this recipient, for good) and
//! fatal (this whole run: bad credentials, no TLS where TLS is required).

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::Address;

use crate::config::{Security, SmtpConfig};

/// How to reach and log in to the SMTP server. The password is never
/// printed: `Debug` hides it.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    password: Option<String>,
    pub timeout: Duration,
    pub ca: Option<Vec<u8>>,
    pub hello: String,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .finish()
    }
}

impl SmtpSettings {
    /// Settings from `[smtp]`; the password comes from the environment
    /// variable `password_env` or the file `password_file`, never the config.
    pub fn from_config(cfg: &SmtpConfig) -> Result<SmtpSettings, SendError> {
        let port = cfg.port.unwrap_or(match cfg.security {
            Security::Tls => 465,
            Security::Starttls => 587,
            Security::None => 25,
        });
        let password = match (&cfg.username, &cfg.password_file) {
            (None, _) => None,
            (Some(_), Some(file)) => Some(
                std::fs::read_to_string(file)
                    .map_err(|e| SendError::Fatal(format!("cannot read `smtp.password_file` `{}`: {e}", file.display())))?
                    .trim_end_matches(['\n', '\r'])
                    .to_owned(),
            ),
            (Some(user), None) => match std::env::var(&cfg.password_env) {
                Ok(p) => Some(p),
                Err(_) => {
                    return Err(SendError::Fatal(format!(
                        "`smtp.username` is `{user}` but the environment variable `{}` (from `smtp.password_env`) is not set",
                        cfg.password_env
                    )))
                }
            },
        };
        let ca = match &cfg.tls_ca_file {
            Some(path) => Some(std::fs::read(path).map_err(|e| {
                SendError::Fatal(format!(
                    "cannot read `smtp.tls_ca_file` `{}`: {e}",
                    path.display()
                ))
            })?),
            None => None,
        };
        let hello = hostname();
        Ok(SmtpSettings {
            host: cfg.host.clone(),
            port,
            security: cfg.security,
            username: cfg.username.clone(),
            password,
            timeout: Duration::from_secs(cfg.timeout_secs.max(1)),
            ca,
            hello,
        })
    }

    fn tls(&self) -> Result<TlsParameters, SendError> {
        let mut builder = TlsParameters::builder(self.host.clone());
        if let Some(pem) = &self.ca {
            let cert = Certificate::from_pem(pem).map_err(|e| {
                SendError::Fatal(format!("`smtp.tls_ca_file` is not a PEM certificate: {e}"))
            })?;
            builder = builder.add_root_certificate(cert);
        }
        builder
            .build()
            .map_err(|e| SendError::Fatal(format!("cannot set up TLS for `{}`: {e}", self.host)))
    }

    fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        })
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Why a message (or a session) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later: a 4xx reply, a timeout, a dropped or refused connection.
    #[error("{0}")]
    Transient(String),
    /// This recipient will never get it: a 5xx reply.
    #[error("{0}")]
    Permanent(String),
    /// No message can be sent in this run: bad credentials, TLS required but
    /// unavailable, the sender refused, a config problem.
    #[error("{0}")]
    Fatal(String),
    /// The message was sent but no reply came: it may have arrived. Not
    /// retried in this run, so a slow server does not get it twice.
    #[error("{0}")]
    Uncertain(String),
}

/// `550 5.1.1 <x@y>: Recipient address rejected`, as the server said it.
fn reply_text(e: &lettre::transport::smtp::Error) -> String {
    use std::error::Error;
    match (e.status(), e.source()) {
        (Some(code), Some(src)) => format!("{code} {src}"),
        (Some(code), None) => code.to_string(),
        (None, Some(src)) => format!("{e} ({src})").replace(&format!(": {src}"), ""),
        (None, None) => e.to_string(),
    }
}

fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        SendError::Permanent(reply_text(e))
    } else {
        SendError::Transient(reply_text(e))
    }
}

/// The message bytes with dot-stuffing and the final `.` line, ready to go
/// out in one write.
struct DataBlock<'a>(&'a str);

impl fmt::Display for DataBlock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = self.0;
        let mut rest = body;
        // A line that starts with `.` gets another `.` (RFC 5321 4.5.2).
        if rest.starts_with('.') {
            f.write_str(".")?;
        }
        while let Some(i) = rest.find("\n.") {
            f.write_str(&rest[..i + 1])?;
            f.write_str(".")?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)?;
        if !body.ends_with("\r\n") {
            f.write_str("\r\n")?;
        }
        f.write_str(".\r\n")
    }
}

/// Several commands written at once (RFC 2920 pipelining).
struct Pipelined(String);

impl fmt::Display for Pipelined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long the reply to a message's final dot may take (RFC 5321 4.5.3.2.6).
const FINAL_REPLY_TIMEOUT: Duration = Duration::from_secs(600);

type SmtpError = lettre::transport::smtp::Error;

/// Where in a transaction an error came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Mail,
    Rcpt,
    Data,
    /// The message and its final dot were written; this is their reply.
    Reply,
}

/// An open, greeted (and, as configured, encrypted and authenticated) session.
pub struct Session {
    conn: SmtpConnection,
    eight_bit: bool,
    /// The server takes MAIL, RCPT and DATA in one write.
    pipelining: bool,
    timeout: Duration,
}

impl Session {
    /// Connects, says EHLO, upgrades to TLS and logs in as configured.
    pub fn open(s: &SmtpSettings) -> Result<Session, SendError> {
        let client_id = ClientId::Domain(s.hello.clone());
        let implicit_tls = match s.security {
            Security::Tls => Some(s.tls()?),
            _ => None,
        };
        let mut conn = SmtpConnection::connect(
            (s.host.as_str(), s.port),
            Some(s.timeout),
            &client_id,
            implicit_tls.as_ref(),
            None,
        )
        .map_err(|e| {
            if e.is_tls() {
                SendError::Fatal(format!(
                    "TLS with `{}:{}` failed: {}",
                    s.host,
                    s.port,
                    chain(&e)
                ))
            } else {
                SendError::Transient(format!(
                    "cannot connect to `{}:{}`: {}",
                    s.host,
                    s.port,
                    chain(&e)
                ))
            }
        })?;
        if s.security == Security::Starttls {
            if !conn.can_starttls() {
                conn.abort();
                return Err(SendError::Fatal(format!(
                    "`{}:{}` does not offer STARTTLS, and `smtp.security` is `starttls`",
                    s.host, s.port
                )));
            }
            conn.starttls(&s.tls()?, &client_id).map_err(|e| {
                SendError::Fatal(format!(
                    "STARTTLS with `{}:{}` failed: {}",
                    s.host,
                    s.port,
                    chain(&e)
                ))
            })?;
        }
        // lettre keeps only the EHLO keywords it uses; ask again to learn
        // whether the server pipelines (one round trip per connection).
        let pipelining = conn
            .command(Ehlo::new(client_id.clone()))
            .map(|r| {
                r.message()
                    .any(|l| l.trim().eq_ignore_ascii_case("PIPELINING"))
            })
            .unwrap_or(false);
        if let (Some(user), Some(password)) = (&s.username, &s.password) {
            if !conn.is_encrypted() && !s.is_loopback() {
                conn.abort();
                return Err(SendError::Fatal(format!(
                    "refusing to send the password for `{user}` unencrypted to `{}`: set `smtp.security` to `starttls` or `tls`",
                    s.host
                )));
            }
            let creds = Credentials::new(user.clone(), password.clone());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds)
                .map_err(|e| {
                    if e.is_transient() {
                        SendError::Transient(format!(
                            "login as `{user}` failed for now: {}",
                            reply_text(&e)
                        ))
                    } else {
                        SendError::Fatal(format!(
                            "login as `{user}` at `{}` failed: {}",
                            s.host,
                            reply_text(&e)
                        ))
                    }
                })?;
        }
        let eight_bit = conn.server_info().supports_feature(Extension::EightBitMime);
        Ok(Session {
            conn,
            eight_bit,
            pipelining,
            timeout: s.timeout,
        })
    }

    /// Sends one message to one recipient; returns the server's reply.
    /// After a refused recipient the session is reset and stays usable; after
    /// a network error it is broken (see [`Session::is_broken`]).
    pub fn send(
        &mut self,
        from: &Address,
        to: &Address,
        message: &[u8],
    ) -> Result<String, SendError> {
        let text = std::str::from_utf8(message)
            .map_err(|_| SendError::Permanent("message is not valid UTF-8".into()))?;
        let mut params = Vec::new();
        if !message.is_ascii() {
            if !self.eight_bit {
                return Err(SendError::Fatal(
                    "the messages have 8-bit content and the server lacks 8BITMIME".into(),
                ));
            }
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let mail = Mail::new(Some(from.clone()), params);
        let rcpt = Rcpt::new(to.clone(), Vec::new());
        let result = if self.pipelining {
            self.pipelined(mail, rcpt)
        } else {
            self.stepwise(mail, rcpt)
        }
        .and_then(|()| self.final_dot(text));
        match result {
            Ok(resp) => Ok(format!(
                "{} {}",
                resp.code(),
                resp.message().collect::<Vec<_>>().join(" ")
            )),
            Err((stage, e)) => {
                if e.status().is_none() {
                    // Broken or silent: a QUIT would only wait for nothing.
                    self.hang_up();
                } else if stage != Stage::Reply && !self.conn.has_broken() {
                    // A refusal mid-transaction: clear it for the next
                    // message. (A reply to the final dot ends the
                    // transaction by itself.)
                    if self.conn.command(Rset).is_err() {
                        self.conn.abort();
                    }
                }
                Err(match stage {
                    // The sender refused for good refuses every message.
                    Stage::Mail if e.is_permanent() => SendError::Fatal(format!(
                        "the server refuses the sender `{from}`: {}",
                        reply_text(&e)
                    )),
                    // The whole message went out and the server is still
                    // thinking after ten minutes: it may well accept it, so
                    // not again in this run. (A dropped connection is
                    // retried: SMTP's own double window, see the README.)
                    Stage::Reply if e.is_timeout() => SendError::Uncertain(format!(
                        "no reply within {} s after the message was sent: {}",
                        FINAL_REPLY_TIMEOUT.as_secs(),
                        reply_text(&e)
                    )),
                    _ => classify(&e),
                })
            }
        }
    }

    /// MAIL, RCPT and DATA one at a time.
    fn stepwise(&mut self, mail: Mail, rcpt: Rcpt) -> Result<(), (Stage, SmtpError)> {
        self.conn.command(mail).map_err(|e| (Stage::Mail, e))?;
        self.conn.command(rcpt).map_err(|e| (Stage::Rcpt, e))?;
        self.conn.command(Data).map_err(|e| (Stage::Data, e))?;
        Ok(())
    }

    /// MAIL, RCPT and DATA in one write, then their three replies: one round
    /// trip instead of three.
    fn pipelined(&mut self, mail: Mail, rcpt: Rcpt) -> Result<(), (Stage, SmtpError)> {
        let first = self.conn.command(Pipelined(format!("{mail}{rcpt}{Data}")));
        if let Err(e) = first {
            if e.status().is_none() {
                // Not a reply but a broken connection: nothing more to read.
                self.conn.abort();
                return Err((Stage::Mail, e));
            }
            let _ = self.conn.read_response();
            if self.conn.read_response().is_ok() {
                self.hang_up();
            }
            return Err((Stage::Mail, e));
        }
        let second = self.conn.read_response();
        let third = self.conn.read_response();
        match (second, third) {
            (Ok(_), Ok(_)) => Ok(()),
            (Err(e), Ok(_)) => {
                self.hang_up();
                Err((Stage::Rcpt, e))
            }
            (Err(e), Err(_)) => Err((Stage::Rcpt, e)),
            (Ok(_), Err(e)) => Err((Stage::Data, e)),
        }
    }

    /// The message and its final dot in one write; the reply may take long
    /// (content filters), so it gets RFC 5321's ten minutes.
    fn final_dot(
        &mut self,
        text: &str,
    ) -> Result<lettre::transport::smtp::response::Response, (Stage, SmtpError)> {
        let _ = self.conn.set_timeout(Some(FINAL_REPLY_TIMEOUT));
        let reply = self.conn.command(DataBlock(text));
        let _ = self.conn.set_timeout(Some(self.timeout));
        reply.map_err(|e| (Stage::Reply, e))
    }

    /// Closes a connection that cannot be trusted to answer: the server
    /// opened DATA despite a refusal (hanging up is the only way out of the
    /// data phase without sending a message), or it went silent. A short
    /// timeout keeps the QUIT that lettre sends from waiting for a reply.
    fn hang_up(&mut self) {
        let _ = self.conn.set_timeout(Some(Duration::from_millis(50)));
        self.conn.abort();
    }

    /// True once the connection can no longer be used.
    pub fn is_broken(&self) -> bool {
        self.conn.has_broken()
    }

    /// Says QUIT and closes.
    pub fn close(mut self) {
        let _ = self.conn.quit();
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        src = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing_and_final_dot() {
        assert_eq!(
            DataBlock("a\r\n.b\r\n..c\r\n").to_string(),
            "a\r\n..b\r\n...c\r\n.\r\n"
        );
        assert_eq!(
            DataBlock(".start\r\nend").to_string(),
            "..start\r\nend\r\n.\r\n"
        );
        assert_eq!(DataBlock("x\r\n.\r\n").to_string(), "x\r\n..\r\n.\r\n");
    }

    #[test]
    fn password_is_never_in_debug_output() {
        let cfg = SmtpConfig {
            username: Some("u".into()),
            password_env: "POSTBODE_TEST_PW_DEBUG".into(),
            ..SmtpConfig::default()
        };
        std::env::set_var("POSTBODE_TEST_PW_DEBUG", "hunter2");
        let s = SmtpSettings::from_config(&cfg).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn only_loopback_may_get_a_password_in_clear() {
        let settings = |host: &str| {
            SmtpSettings::from_config(&SmtpConfig {
                host: host.into(),
                ..SmtpConfig::default()
            })
            .unwrap()
        };
        assert!(settings("localhost").is_loopback());
        assert!(settings("127.0.0.1").is_loopback());
        assert!(settings("::1").is_loopback());
        assert!(!settings("mail.example.org").is_loopback());
        assert!(!settings("192.0.2.10").is_loopback());
    }

    #[test]
    fn missing_password_variable_is_named() {
        let cfg = SmtpConfig {
            username: Some("u".into()),
            password_env: "POSTBODE_TEST_PW_UNSET".into(),
            ..SmtpConfig::default()
        };
        let err = SmtpSettings::from_config(&cfg).unwrap_err();
        assert!(err.to_string().contains("POSTBODE_TEST_PW_UNSET"), "{err}");
    }
}
