//! One SMTP session: greeting, EHLO, STARTTLS, AUTH and one transaction per
//! message, over a [`Wire`] where every step has a total deadline.
//!
//! The dot-stuffed message and its final dot go out in a single write, and
//! with PIPELINING so do MAIL, RCPT and DATA, so each message costs two
//! round trips. (lettre's `SmtpTransport` writes the final dot as a second
//! small write, which Nagle's algorithm and a delayed ACK hold ~40 ms, and
//! its socket timeouts restart with every byte a slow server trickles.)
//!
//! Errors are sorted the way delivery needs them: transient (retry later,
//! maybe on a new connection), stalled (the server went silent or away:
//! retried, but enough in a row stop the run), permanent (this recipient,
//! for good) and fatal (this whole run: bad credentials, no TLS where TLS
//! is required).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use lettre::Address;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use super::wire::{Reply, Wire, WireError};
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
    /// Each step of a session, in all.
    pub timeout: Duration,
    /// The message and the reply to its final dot, in all.
    pub data_timeout: Duration,
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
            data_timeout: Duration::from_secs(cfg.data_timeout_secs.max(1)),
            ca,
            hello,
        })
    }

    /// The TLS client: the Mozilla roots, plus `smtp.tls_ca_file`.
    fn tls(&self) -> Result<Arc<ClientConfig>, SendError> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = &self.ca {
            let bad = |e: &dyn fmt::Display| {
                SendError::Fatal(format!("`smtp.tls_ca_file` is not a PEM certificate: {e}"))
            };
            let mut found = false;
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| bad(&e))?;
                roots.add(cert).map_err(|e| bad(&e))?;
                found = true;
            }
            if !found {
                return Err(bad(&"no certificate in it"));
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| SendError::Fatal(format!("cannot set up TLS for `{}`: {e}", self.host)))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
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
    /// Try again later: a 4xx reply.
    #[error("{0}")]
    Transient(String),
    /// The server did not answer in time, dropped or refused the
    /// connection, or answered something that is not SMTP. Retried like a
    /// transient failure; `smtp.max_retries` of them in a row after a
    /// first one stop the run.
    #[error("{0}")]
    Stalled(String),
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

/// How long QUIT may take: nothing depends on its answer.
const QUIT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where in a transaction an error came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Mail,
    Rcpt,
    Data,
    /// The message and its final dot were written; this is their reply.
    Reply,
}

/// What went wrong in a transaction: the connection, or a refusal.
enum Failure {
    Wire(WireError),
    Refused(Reply),
}

/// A failure of the connection itself, for delivery: a stall (silence, a
/// dropped connection, garbage) or a TLS failure, which no retry mends.
fn wire_error(e: WireError) -> SendError {
    if e.is_stall() {
        SendError::Stalled(e.to_string())
    } else {
        SendError::Fatal(e.to_string())
    }
}

/// A refusal while setting up the session: worth another try later (4xx)
/// or not in this run at all (5xx).
fn setup_refused(what: String, reply: &Reply) -> SendError {
    if reply.is_transient() {
        SendError::Transient(format!("{what}: {reply}"))
    } else {
        SendError::Fatal(format!("{what}: {reply}"))
    }
}

/// What the server offers in its EHLO reply.
#[derive(Debug, Default)]
struct Offers {
    pipelining: bool,
    eight_bit: bool,
    starttls: bool,
    auth: Vec<String>,
}

impl Offers {
    fn from_reply(reply: &Reply) -> Offers {
        let mut offers = Offers::default();
        for line in reply.lines.iter().skip(1) {
            let mut words = line.split([' ', '=']).filter(|w| !w.is_empty());
            let Some(keyword) = words.next() else {
                continue;
            };
            match keyword.to_ascii_uppercase().as_str() {
                "PIPELINING" => offers.pipelining = true,
                "8BITMIME" => offers.eight_bit = true,
                "STARTTLS" => offers.starttls = true,
                "AUTH" => offers.auth.extend(words.map(|w| w.to_ascii_uppercase())),
                _ => {}
            }
        }
        offers
    }
}

/// Sends one command line and reads its reply, within `budget`.
fn command(
    wire: &mut Wire,
    line: &str,
    step: &'static str,
    budget: Duration,
) -> Result<Reply, WireError> {
    wire.step(step, budget);
    wire.send(line.as_bytes())?;
    wire.reply()
}

/// An open, greeted (and, as configured, encrypted and authenticated) session.
pub struct Session {
    wire: Wire,
    eight_bit: bool,
    /// The server takes MAIL, RCPT and DATA in one write.
    pipelining: bool,
    timeout: Duration,
    data_timeout: Duration,
}

impl Session {
    /// Connects, says EHLO, upgrades to TLS and logs in as configured.
    /// Each step has `smtp.timeout_secs` in all.
    pub fn open(s: &SmtpSettings) -> Result<Session, SendError> {
        let mut wire = Wire::connect(&s.host, s.port, s.timeout).map_err(wire_error)?;
        if s.security == Security::Tls {
            wire.step("in the TLS handshake", s.timeout);
            wire = wire.start_tls(s.tls()?, &s.host).map_err(wire_error)?;
        }
        wire.step("waiting for the server's greeting", s.timeout);
        let greeting = wire.reply().map_err(wire_error)?;
        if !greeting.is_positive() {
            wire.hang_up();
            return Err(setup_refused(
                format!("`{}:{}` refuses connections", s.host, s.port),
                &greeting,
            ));
        }
        let mut offers = hello(&mut wire, s)?;
        if s.security == Security::Starttls {
            if !offers.starttls {
                wire.hang_up();
                return Err(SendError::Fatal(format!(
                    "`{}:{}` does not offer STARTTLS, and `smtp.security` is `starttls`",
                    s.host, s.port
                )));
            }
            let reply = command(
                &mut wire,
                "STARTTLS\r\n",
                "waiting for the reply to STARTTLS",
                s.timeout,
            )
            .map_err(wire_error)?;
            if !reply.is_positive() {
                wire.hang_up();
                return Err(SendError::Fatal(format!(
                    "STARTTLS with `{}:{}` failed: {reply}",
                    s.host, s.port
                )));
            }
            wire = wire.start_tls(s.tls()?, &s.host).map_err(wire_error)?;
            offers = hello(&mut wire, s)?;
        }
        if let (Some(user), Some(password)) = (&s.username, &s.password) {
            if !wire.is_encrypted() && !s.is_loopback() {
                wire.hang_up();
                return Err(SendError::Fatal(format!(
                    "refusing to send the password for `{user}` unencrypted to `{}`: set `smtp.security` to `starttls` or `tls`",
                    s.host
                )));
            }
            log_in(&mut wire, s, &offers, user, password)?;
        }
        Ok(Session {
            wire,
            eight_bit: offers.eight_bit,
            pipelining: offers.pipelining,
            timeout: s.timeout,
            data_timeout: s.data_timeout,
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
        let body = if message.is_ascii() {
            ""
        } else if self.eight_bit {
            " BODY=8BITMIME"
        } else {
            return Err(SendError::Fatal(
                "the messages have 8-bit content and the server lacks 8BITMIME".into(),
            ));
        };
        let mail = format!("MAIL FROM:<{from}>{body}\r\n");
        let rcpt = format!("RCPT TO:<{to}>\r\n");
        let result = if self.pipelining {
            self.pipelined(&mail, &rcpt)
        } else {
            self.stepwise(&mail, &rcpt)
        }
        .and_then(|()| self.final_dot(text));
        match result {
            Ok(reply) => Ok(reply.to_string()),
            Err((stage, Failure::Wire(e))) => {
                self.wire.hang_up();
                Err(match stage {
                    // The whole message went out and the server is still
                    // thinking after `smtp.data_timeout_secs`: it may well
                    // accept it, so not again in this run. (A dropped
                    // connection is retried: SMTP's own double window, see
                    // the README.)
                    Stage::Reply if e.is_timeout() => SendError::Uncertain(format!(
                        "{e}; the message may have arrived, so it is not sent again in this run"
                    )),
                    _ => wire_error(e),
                })
            }
            Err((stage, Failure::Refused(reply))) => {
                if stage != Stage::Reply && !self.wire.is_broken() {
                    // A refusal mid-transaction: clear it for the next
                    // message. (A reply to the final dot ends the
                    // transaction by itself.)
                    let reset = command(
                        &mut self.wire,
                        "RSET\r\n",
                        "waiting for the reply to RSET",
                        self.timeout,
                    );
                    if !reset.is_ok_and(|r| r.is_positive()) {
                        self.wire.hang_up();
                    }
                }
                Err(match stage {
                    // The sender refused for good refuses every message.
                    Stage::Mail if !reply.is_transient() => {
                        SendError::Fatal(format!("the server refuses the sender `{from}`: {reply}"))
                    }
                    _ if reply.is_transient() => SendError::Transient(reply.to_string()),
                    _ => SendError::Permanent(reply.to_string()),
                })
            }
        }
    }

    /// MAIL, RCPT and DATA one at a time.
    fn stepwise(&mut self, mail: &str, rcpt: &str) -> Result<(), (Stage, Failure)> {
        let steps = [
            (Stage::Mail, mail, "waiting for the reply to MAIL FROM"),
            (Stage::Rcpt, rcpt, "waiting for the reply to RCPT TO"),
            (Stage::Data, "DATA\r\n", "waiting for the reply to DATA"),
        ];
        for (stage, line, step) in steps {
            match command(&mut self.wire, line, step, self.timeout) {
                Ok(reply) if reply.is_positive() => {}
                Ok(reply) => return Err((stage, Failure::Refused(reply))),
                Err(e) => return Err((stage, Failure::Wire(e))),
            }
        }
        Ok(())
    }

    /// MAIL, RCPT and DATA in one write, then their three replies: one round
    /// trip instead of three.
    fn pipelined(&mut self, mail: &str, rcpt: &str) -> Result<(), (Stage, Failure)> {
        let wire = &mut self.wire;
        wire.step(
            "waiting for the replies to MAIL FROM, RCPT TO and DATA",
            self.timeout,
        );
        let lost = |stage| move |e| (stage, Failure::Wire(e));
        wire.send(format!("{mail}{rcpt}DATA\r\n").as_bytes())
            .map_err(lost(Stage::Mail))?;
        let m = wire.reply().map_err(lost(Stage::Mail))?;
        let r = wire.reply().map_err(lost(Stage::Rcpt))?;
        let d = wire.reply().map_err(lost(Stage::Data))?;
        let refused = match (m.is_positive(), r.is_positive()) {
            (false, _) => Some((Stage::Mail, m)),
            (true, false) => Some((Stage::Rcpt, r)),
            (true, true) if !d.is_positive() => return Err((Stage::Data, Failure::Refused(d))),
            (true, true) => None,
        };
        match refused {
            Some((stage, reply)) => {
                if d.is_positive() {
                    // The server opened DATA despite the refusal: hanging
                    // up is the only way out without sending a message.
                    wire.hang_up();
                }
                Err((stage, Failure::Refused(reply)))
            }
            None => Ok(()),
        }
    }

    /// The message and its final dot in one write; the reply may take long
    /// (content filters), so both get `smtp.data_timeout_secs` together.
    fn final_dot(&mut self, text: &str) -> Result<Reply, (Stage, Failure)> {
        self.wire.step("sending the message", self.data_timeout);
        self.wire
            .send(DataBlock(text).to_string().as_bytes())
            .map_err(|e| (Stage::Data, Failure::Wire(e)))?;
        self.wire
            .now_waiting("waiting for the reply to the message's final dot");
        match self.wire.reply() {
            Ok(reply) if reply.is_positive() => Ok(reply),
            Ok(reply) => Err((Stage::Reply, Failure::Refused(reply))),
            Err(e) => Err((Stage::Reply, Failure::Wire(e))),
        }
    }

    /// True once the connection can no longer be used.
    pub fn is_broken(&self) -> bool {
        self.wire.is_broken()
    }

    /// Says QUIT and closes.
    pub fn close(mut self) {
        if !self.wire.is_broken() {
            let _ = command(
                &mut self.wire,
                "QUIT\r\n",
                "waiting for the reply to QUIT",
                self.timeout.min(QUIT_TIMEOUT),
            );
        }
        self.wire.hang_up();
    }
}

/// EHLO (or HELO, for a server that does not know EHLO) and what the
/// server offers.
fn hello(wire: &mut Wire, s: &SmtpSettings) -> Result<Offers, SendError> {
    let ehlo = format!("EHLO {}\r\n", s.hello);
    let reply =
        command(wire, &ehlo, "waiting for the reply to EHLO", s.timeout).map_err(wire_error)?;
    if reply.is_positive() {
        return Ok(Offers::from_reply(&reply));
    }
    let helo = format!("HELO {}\r\n", s.hello);
    let reply =
        command(wire, &helo, "waiting for the reply to HELO", s.timeout).map_err(wire_error)?;
    if reply.is_positive() {
        Ok(Offers::default())
    } else {
        wire.hang_up();
        Err(setup_refused(
            format!("`{}:{}` refuses EHLO and HELO", s.host, s.port),
            &reply,
        ))
    }
}

/// AUTH PLAIN, or LOGIN for servers that offer only that.
fn log_in(
    wire: &mut Wire,
    s: &SmtpSettings,
    offers: &Offers,
    user: &str,
    password: &str,
) -> Result<(), SendError> {
    use base64::Engine as _;
    let b64 = |text: &[u8]| base64::engine::general_purpose::STANDARD.encode(text);
    let step = "waiting for the reply to AUTH";
    let offered = |m: &str| offers.auth.iter().any(|a| a == m);
    let reply = if offered("PLAIN") {
        let token = b64(format!("\0{user}\0{password}").as_bytes());
        command(wire, &format!("AUTH PLAIN {token}\r\n"), step, s.timeout)
    } else if offered("LOGIN") {
        command(wire, "AUTH LOGIN\r\n", step, s.timeout).and_then(|r| {
            if r.code != 334 {
                return Ok(r);
            }
            let r = command(
                wire,
                &format!("{}\r\n", b64(user.as_bytes())),
                step,
                s.timeout,
            )?;
            if r.code != 334 {
                return Ok(r);
            }
            command(
                wire,
                &format!("{}\r\n", b64(password.as_bytes())),
                step,
                s.timeout,
            )
        })
    } else {
        wire.hang_up();
        return Err(SendError::Fatal(format!(
            "`{}:{}` offers no login postbode can use (AUTH PLAIN or LOGIN)",
            s.host, s.port
        )));
    }
    .map_err(wire_error)?;
    if reply.is_positive() {
        return Ok(());
    }
    wire.hang_up();
    Err(if reply.is_transient() {
        SendError::Transient(format!("login as `{user}` failed for now: {reply}"))
    } else {
        SendError::Fatal(format!("login as `{user}` at `{}` failed: {reply}", s.host))
    })
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
