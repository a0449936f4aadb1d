//! A real SMTP server on a loopback port, in the test process, that records
//! what it receives and can misbehave on purpose: 451 for some recipients
//! the first time, 550 for others, a connection dropped in the middle of
//! DATA, STARTTLS with a test certificate (rustls), AUTH. The protocol is
//! mailin's state machine; this file only moves its lines over sockets.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin::response::{AUTH_OK, INVALID_CREDENTIALS, NO_MAILBOX, OK};
use mailin::{Action, AuthMechanism, Handler, Response, SessionBuilder};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// One message as the server accepted it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

/// How the server should misbehave.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// These recipients get `451` on their first RCPT, then are accepted.
    pub defer_once: HashSet<String>,
    /// These recipients always get `550`.
    pub reject: HashSet<String>,
    /// Require this user and password.
    pub auth: Option<(String, String)>,
    /// Refuse every sender with `553`.
    pub refuse_sender: bool,
}

#[derive(Default)]
struct State {
    messages: Vec<Received>,
    rcpt_seen: HashMap<String, usize>,
    logins: Vec<String>,
}

#[derive(Clone)]
struct Recorder {
    state: Arc<Mutex<State>>,
    faults: Arc<Faults>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Recorder {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_owned();
        self.to.clear();
        self.data.clear();
        if self.faults.refuse_sender {
            return Response::custom(
                553,
                "5.7.1 Sender address rejected: not owned by user".to_owned(),
            );
        }
        OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        let to = to.trim_matches(['<', '>']).to_owned();
        let seen = {
            let mut st = self.state.lock().unwrap();
            let n = st.rcpt_seen.entry(to.clone()).or_default();
            *n += 1;
            *n
        };
        if self.faults.reject.contains(&to) {
            return NO_MAILBOX;
        }
        if self.faults.defer_once.contains(&to) && seen == 1 {
            return Response::custom(451, "4.7.1 Greylisted, try again later".to_owned());
        }
        self.to.push(to);
        OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let msg = Received {
            from: self.from.clone(),
            to: std::mem::take(&mut self.to),
            data: String::from_utf8_lossy(&std::mem::take(&mut self.data)).into_owned(),
        };
        self.state.lock().unwrap().messages.push(msg);
        OK
    }

    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        match &self.faults.auth {
            Some((u, p)) if u == user && p == password => {
                self.state.lock().unwrap().logins.push(user.to_owned());
                AUTH_OK
            }
            _ => INVALID_CREDENTIALS,
        }
    }

    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        self.auth_plain("", user, password)
    }
}

/// A running server; it lives until the test process ends.
pub struct SmtpServer {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl SmtpServer {
    /// Starts a plain server (no TLS) with the given faults.
    pub fn start(faults: Faults) -> SmtpServer {
        SmtpServer::start_with(faults, None)
    }

    /// Starts a server offering STARTTLS with the certificate and key at
    /// these PEM paths.
    pub fn start_with(faults: Faults, tls: Option<(&Path, &Path)>) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let mut session = SessionBuilder::new("test.smtp.local");
        if faults.auth.is_some() {
            session
                .enable_auth(AuthMechanism::Plain)
                .enable_auth(AuthMechanism::Login);
        }
        let tls = tls.map(|(cert, key)| Arc::new(tls_config(cert, key)));
        if tls.is_some() {
            session.enable_start_tls();
        }
        let handler = Recorder {
            state: Arc::clone(&state),
            faults: Arc::new(faults),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (session, handler, tls) = (session.clone(), handler.clone(), tls.clone());
                std::thread::spawn(move || {
                    let _ = serve_connection(stream, &session, handler, tls);
                });
            }
        });
        SmtpServer { port, state }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.state.lock().unwrap().messages.clone()
    }

    /// How many messages each recipient got.
    pub fn per_recipient(&self) -> HashMap<String, usize> {
        let mut out = HashMap::new();
        for m in self.messages() {
            for t in m.to {
                *out.entry(t).or_default() += 1;
            }
        }
        out
    }

    pub fn rcpt_attempts(&self, email: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .rcpt_seen
            .get(email)
            .copied()
            .unwrap_or(0)
    }

    pub fn logins(&self) -> Vec<String> {
        self.state.lock().unwrap().logins.clone()
    }
}

/// One SMTP session: lines in, mailin's replies out, and after STARTTLS the
/// same session over TLS.
fn serve_connection(
    stream: TcpStream,
    builder: &SessionBuilder,
    handler: Recorder,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(300)))?;
    let remote = stream.peer_addr()?.ip();
    let mut session = builder.build(remote, handler);
    let mut plain = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    session.greeting().write_to(&mut writer)?;
    if !converse(&mut session, &mut plain, &mut writer)? {
        return Ok(());
    }
    let Some(config) = tls else { return Ok(()) };
    let connection = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    let mut secure = BufReader::new(rustls::StreamOwned::new(connection, writer));
    session.tls_active();
    converse_tls(&mut session, &mut secure)?;
    Ok(())
}

/// Runs the session until it ends (`false`) or asks for TLS (`true`).
fn converse<H: Handler>(
    session: &mut mailin::Session<H>,
    reader: &mut impl BufRead,
    writer: &mut impl Write,
) -> io::Result<bool> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(false);
        }
        let reply = session.process(&line);
        if !matches!(reply.action, Action::NoReply) {
            reply.write_to(writer)?;
            writer.flush()?;
        }
        match reply.action {
            Action::Close => return Ok(false),
            Action::UpgradeTls => return Ok(true),
            Action::Reply | Action::NoReply => {}
        }
    }
}

fn converse_tls<H: Handler>(
    session: &mut mailin::Session<H>,
    stream: &mut BufReader<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>,
) -> io::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if stream.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let reply = session.process(&line);
        if !matches!(reply.action, Action::NoReply) {
            let out = stream.get_mut();
            reply.write_to(out)?;
            out.flush()?;
        }
        if matches!(reply.action, Action::Close | Action::UpgradeTls) {
            return Ok(());
        }
    }
}

/// A rustls server config (ring provider) from PEM files.
fn tls_config(cert: &Path, key: &Path) -> rustls::ServerConfig {
    let certs = CertificateDer::pem_file_iter(cert)
        .expect("read the certificate")
        .collect::<Result<Vec<_>, _>>()
        .expect("a PEM certificate");
    let key = PrivateKeyDer::from_pem_file(key).expect("a PEM key");
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("a usable certificate")
}

/// A self-signed certificate for `localhost` and `127.0.0.1`, written as
/// `cert.pem` and `key.pem` into `dir`.
pub fn test_certificate(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("generate certificate");
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

/// A proxy in front of `target` that cuts the first `drops` sessions dead
/// in the middle of DATA (after the command and some of the message): a
/// real dropped connection, with no reply.
pub fn dropping_proxy(target: u16, drops: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let left = Arc::new(AtomicUsize::new(drops));
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            let cut = left
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok();
            let (mut c_read, mut s_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut s_read, mut c_write) = (server, client);
            std::thread::spawn(move || {
                let _ = io::copy(&mut s_read, &mut c_write);
                let _ = c_write.shutdown(Shutdown::Both);
            });
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = match c_read.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    seen.extend_from_slice(&buf[..n]);
                    if cut {
                        if let Some(i) = find(&seen, b"DATA\r\n") {
                            // Pass on the DATA command and a little of the
                            // message, then pull the plug on both sides.
                            let upto = (i + 6 + 64).min(seen.len());
                            let already = seen.len() - n;
                            if upto > already {
                                let _ = s_write.write_all(&seen[already..upto]);
                            }
                            if seen.len() > i + 6 {
                                let _ = s_write.shutdown(Shutdown::Both);
                                let _ = c_read.shutdown(Shutdown::Both);
                                break;
                            }
                            continue;
                        }
                    }
                    if s_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = s_write.shutdown(Shutdown::Both);
            });
        }
    });
    port
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A port with nothing listening on it.
pub fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A subscriber list of `n` active readers `reader0000@example.org`…, each
/// with their own token; `categories` applies to all.
pub fn subscribers_yaml(n: usize, categories: &[&str]) -> String {
    let mut out = String::from("subscribers:\n");
    let cats = categories
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    for i in 0..n {
        out.push_str(&format!(
            "  - email: \"{}\"\n    categories: [{cats}]\n    status: active\n    bounces: 0\n    token: \"{:032x}\"\n",
            reader(i),
            0xabcdef_u128 * 1_000_003 + i as u128
        ));
    }
    out
}

pub fn reader(i: usize) -> String {
    format!("reader{i:04}@example.org")
}
