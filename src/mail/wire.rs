//! The bytes of one SMTP connection, where every step has a total deadline.
//!
//! A socket read timeout restarts with each byte, so a server that trickles
//! its greeting one byte a second would hold a connection forever. Here a
//! step (the greeting, the reply to a command, the final dot's reply) gets
//! one deadline, and each read or write below it, TLS records included, may
//! only use the time that is left. Failures say in words what the client
//! was waiting for, and a reply that is not SMTP is quoted.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

/// A reply longer than this (in bytes, over all its lines) is not one a
/// mail server sends.
const MAX_REPLY: usize = 64 * 1024;
/// How much of a garbage reply an error quotes.
const QUOTE: usize = 80;

/// One reply: its code and its text lines (without the code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// 2xx and 3xx.
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }

    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        for line in &self.lines {
            if !line.is_empty() {
                write!(f, " {line}")?;
            }
        }
        Ok(())
    }
}

/// Why a step failed.
#[derive(Debug)]
pub enum WireError {
    /// The step's deadline passed.
    TimedOut {
        peer: String,
        after: Duration,
        step: &'static str,
    },
    /// No connection at all.
    Unreachable { peer: String, cause: String },
    /// The server closed the connection, or the network failed.
    Dropped {
        peer: String,
        step: &'static str,
        cause: String,
    },
    /// What came back is not an SMTP reply (a broken or a wrong server,
    /// which will not get better by asking again soon).
    Garbage {
        peer: String,
        step: &'static str,
        got: String,
    },
    /// The TLS handshake failed (not for lack of time).
    Tls { peer: String, cause: String },
}

impl WireError {
    /// True when the server went silent or away (as opposed to answering
    /// something): enough of these in a row mean it is down.
    pub fn is_stall(&self) -> bool {
        !matches!(self, WireError::Tls { .. })
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self, WireError::TimedOut { .. })
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::TimedOut { peer, after, step } => {
                write!(f, "`{peer}` timed out after {} s {step}", seconds(*after))
            }
            WireError::Unreachable { peer, cause } => {
                write!(f, "cannot connect to `{peer}`: {cause}")
            }
            WireError::Dropped { peer, step, cause } => {
                write!(f, "the connection to `{peer}` was lost {step}: {cause}")
            }
            WireError::Garbage { peer, step, got } => write!(
                f,
                "{step}, `{peer}` sent something that is not SMTP: `{got}`"
            ),
            WireError::Tls { peer, cause } => write!(f, "TLS with `{peer}` failed: {cause}"),
        }
    }
}

impl std::error::Error for WireError {}

/// Whole seconds, or tenths below ten seconds (test settings use those).
fn seconds(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) || d >= Duration::from_secs(10) {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

/// A TCP stream whose reads and writes stop at a deadline.
struct Timed {
    tcp: TcpStream,
    deadline: Instant,
}

impl Timed {
    fn left(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(io::ErrorKind::TimedOut.into())
        } else {
            Ok(left)
        }
    }
}

/// The kernel reports an expired socket timeout as "would block".
fn timed_out(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::ErrorKind::TimedOut.into()
    } else {
        e
    }
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.tcp.set_read_timeout(Some(left))?;
        self.tcp.read(buf).map_err(timed_out)
    }
}

impl Write for Timed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.tcp.set_write_timeout(Some(left))?;
        self.tcp.write(buf).map_err(timed_out)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

enum Stream {
    Plain(Timed),
    Tls(Box<StreamOwned<ClientConnection, Timed>>),
}

impl Stream {
    fn timed(&mut self) -> &mut Timed {
        match self {
            Stream::Plain(t) => t,
            Stream::Tls(s) => &mut s.sock,
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(t) => t.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(t) => t.write_all(bytes),
            Stream::Tls(s) => {
                s.write_all(bytes)?;
                s.flush()
            }
        }
    }
}

/// One connection to one server.
pub struct Wire {
    stream: Stream,
    /// Bytes read but not yet part of a reply.
    buf: Vec<u8>,
    peer: String,
    /// The current step's budget and words, for errors.
    budget: Duration,
    step: &'static str,
    broken: bool,
}

impl Wire {
    /// Connects to `host:port` within `timeout` (for each address it
    /// resolves to).
    pub fn connect(host: &str, port: u16, timeout: Duration) -> Result<Wire, WireError> {
        let peer = format!("{host}:{port}");
        let step = "connecting";
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|e| WireError::Unreachable {
                peer: peer.clone(),
                cause: e.to_string(),
            })?
            .collect();
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(tcp) => {
                    let _ = tcp.set_nodelay(true);
                    return Ok(Wire {
                        stream: Stream::Plain(Timed {
                            tcp,
                            deadline: Instant::now() + timeout,
                        }),
                        buf: Vec::new(),
                        peer,
                        budget: timeout,
                        step,
                        broken: false,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) if e.kind() == io::ErrorKind::TimedOut => WireError::TimedOut {
                peer,
                after: timeout,
                step,
            },
            Some(e) => WireError::Unreachable {
                peer,
                cause: e.to_string(),
            },
            None => WireError::Unreachable {
                peer,
                cause: "its name resolves to no address".into(),
            },
        })
    }

    /// Starts a step: `budget` from now for everything until the next one.
    /// `step` says what is being waited for, as in "timed out after 30 s
    /// waiting for the server's greeting".
    pub fn step(&mut self, step: &'static str, budget: Duration) {
        self.step = step;
        self.budget = budget;
        self.stream.timed().deadline = Instant::now() + budget;
    }

    /// Renames the current step, keeping its deadline.
    pub fn now_waiting(&mut self, step: &'static str) {
        self.step = step;
    }

    pub fn is_broken(&self) -> bool {
        self.broken
    }

    pub fn is_encrypted(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    fn error(&mut self, e: io::Error) -> WireError {
        self.broken = true;
        if e.kind() == io::ErrorKind::TimedOut {
            WireError::TimedOut {
                peer: self.peer.clone(),
                after: self.budget,
                step: self.step,
            }
        } else if e.kind() == io::ErrorKind::InvalidData {
            // rustls reports a TLS alert or a bad record this way.
            WireError::Tls {
                peer: self.peer.clone(),
                cause: e.to_string(),
            }
        } else {
            WireError::Dropped {
                peer: self.peer.clone(),
                step: self.step,
                cause: e.to_string(),
            }
        }
    }

    fn garbage(&mut self, bytes: &[u8]) -> WireError {
        self.broken = true;
        let quoted = &bytes[..bytes.len().min(QUOTE)];
        WireError::Garbage {
            peer: self.peer.clone(),
            step: self.step,
            got: quoted.escape_ascii().to_string(),
        }
    }

    /// Writes `bytes` in one go.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.stream.write_all(bytes).map_err(|e| self.error(e))
    }

    /// Reads one (possibly multi-line) reply.
    pub fn reply(&mut self) -> Result<Reply, WireError> {
        let mut lines = Vec::new();
        let mut used = 0;
        loop {
            let Some(end) = self.buf.iter().position(|&b| b == b'\n') else {
                if self.buf.len() > MAX_REPLY {
                    let buf = std::mem::take(&mut self.buf);
                    return Err(self.garbage(&buf));
                }
                self.fill()?;
                continue;
            };
            let line: Vec<u8> = self.buf.drain(..=end).collect();
            used += line.len();
            let Some((code, last, text)) = parse_line(&line) else {
                let mut got = line;
                got.extend_from_slice(&self.buf);
                return Err(self.garbage(&got));
            };
            if lines.first().is_some_and(|(c, _)| *c != code) || used > MAX_REPLY {
                return Err(self.garbage(&line));
            }
            lines.push((code, text));
            if last {
                return Ok(Reply {
                    code,
                    lines: lines.into_iter().map(|(_, t)| t).collect(),
                });
            }
        }
    }

    /// Reads more bytes into the buffer; the end of the stream is an error.
    fn fill(&mut self) -> Result<(), WireError> {
        let mut chunk = [0u8; 4096];
        match self.stream.read(&mut chunk) {
            Ok(0) => {
                self.broken = true;
                if self.buf.is_empty() {
                    Err(WireError::Dropped {
                        peer: self.peer.clone(),
                        step: self.step,
                        cause: "the server closed it".into(),
                    })
                } else {
                    let buf = std::mem::take(&mut self.buf);
                    Err(self.garbage(&buf))
                }
            }
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Starts TLS on this connection (after `220` to STARTTLS, or at once
    /// for implicit TLS) and completes the handshake within the current
    /// step's deadline.
    pub fn start_tls(mut self, config: Arc<ClientConfig>, host: &str) -> Result<Wire, WireError> {
        let peer = self.peer.clone();
        let tls = |cause: String| WireError::Tls {
            peer: peer.clone(),
            cause,
        };
        if !self.buf.is_empty() {
            // Bytes sent before the handshake could be an attacker's
            // injected replies (CVE-2011-0411): they are never trusted.
            return Err(tls("the server sent data before the TLS handshake".into()));
        }
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| tls(format!("`{host}` is not a valid server name: {e}")))?;
        let conn = ClientConnection::new(config, name).map_err(|e| tls(e.to_string()))?;
        let Stream::Plain(timed) = self.stream else {
            return Err(tls("TLS is already on".into()));
        };
        let mut stream = Box::new(StreamOwned::new(conn, timed));
        self.step = "in the TLS handshake";
        while stream.conn.is_handshaking() {
            if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
                self.stream = Stream::Tls(stream);
                return Err(self.error(e));
            }
        }
        self.stream = Stream::Tls(stream);
        Ok(self)
    }

    /// Closes the socket without a word.
    pub fn hang_up(&mut self) {
        self.broken = true;
        let _ = self.stream.timed().tcp.shutdown(Shutdown::Both);
    }
}

/// `250-text` or `250 text` (or a bare `250`): the code, whether this is
/// the last line, and the text. `None` for anything else.
fn parse_line(line: &[u8]) -> Option<(u16, bool, String)> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&digits[0]) {
        return None;
    }
    let code = digits
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let (last, rest) = match line.get(3) {
        None => (true, &[][..]),
        Some(b' ') => (true, &line[4..]),
        Some(b'-') => (false, &line[4..]),
        Some(_) => return None,
    };
    Some((code, last, String::from_utf8_lossy(rest).trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines() {
        assert_eq!(
            parse_line(b"250-PIPELINING\r\n"),
            Some((250, false, "PIPELINING".into()))
        );
        assert_eq!(
            parse_line(b"550 5.1.1 no\r\n"),
            Some((550, true, "5.1.1 no".into()))
        );
        assert_eq!(parse_line(b"354\n"), Some((354, true, String::new())));
        assert_eq!(parse_line(b"HTTP/1.1 400 Bad\r\n"), None);
        assert_eq!(parse_line(b"999 what\r\n"), None);
        assert_eq!(parse_line(b"25\r\n"), None);
        assert_eq!(parse_line(b"250x\r\n"), None);
    }

    #[test]
    fn seconds_in_words() {
        assert_eq!(seconds(Duration::from_secs(30)), "30");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5");
    }
}
