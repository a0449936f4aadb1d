//! A small HTTP/1.1 server on loopback for feed tests: it serves what a
//! test routes to each path, honours conditional requests (`ETag`,
//! `Last-Modified`), can gzip, redirect or fail, and logs every request.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What the server answers on one path.
#[derive(Debug, Clone)]
pub enum Route {
    /// A body with validators; `304` when the request's validator matches.
    Feed {
        body: Vec<u8>,
        content_type: String,
        etag: Option<String>,
        last_modified: Option<String>,
        gzip: bool,
    },
    /// Only a status line (and a short body).
    Status(u16),
    /// `301` to the location (a path on this server or any URL).
    Redirect(String),
}

impl Route {
    /// A feed with an `ETag` and a `Last-Modified`.
    pub fn feed(body: impl Into<Vec<u8>>) -> Route {
        Route::Feed {
            body: body.into(),
            content_type: "application/rss+xml".into(),
            etag: Some("\"v1\"".into()),
            last_modified: Some("Wed, 18 Nov 2026 10:00:00 GMT".into()),
            gzip: false,
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
    pub status: u16,
}

#[derive(Clone)]
pub struct HttpServer {
    pub port: u16,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    log: Arc<Mutex<Vec<Request>>>,
}

impl HttpServer {
    /// Starts serving on an ephemeral loopback port, in a thread.
    pub fn start() -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = HttpServer {
            port: listener.local_addr().unwrap().port(),
            routes: Arc::default(),
            log: Arc::default(),
        };
        let s = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || s.handle(stream));
            }
        });
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn route(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.to_owned(), route);
    }

    /// The requests made for `path`, in order.
    pub fn requests(&self, path: &str) -> Vec<Request> {
        let log = self.log.lock().unwrap();
        log.iter().filter(|r| r.path == path).cloned().collect()
    }

    fn handle(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let route = self.routes.lock().unwrap().get(&path).cloned();
        let (status, extra, body): (u16, Vec<String>, Vec<u8>) = match route {
            None => (404, vec![], b"not found".to_vec()),
            Some(Route::Status(code)) => (code, vec![], b"failure".to_vec()),
            Some(Route::Redirect(to)) => {
                let location = if to.starts_with('/') {
                    self.url(&to)
                } else {
                    to
                };
                (301, vec![format!("Location: {location}")], Vec::new())
            }
            Some(Route::Feed {
                body,
                content_type,
                etag,
                last_modified,
                gzip,
            }) => {
                let mut extra = vec![format!("Content-Type: {content_type}")];
                if let Some(e) = &etag {
                    extra.push(format!("ETag: {e}"));
                }
                if let Some(lm) = &last_modified {
                    extra.push(format!("Last-Modified: {lm}"));
                }
                let not_modified = match (&etag, headers.get("if-none-match")) {
                    (Some(e), Some(got)) => e == got,
                    _ => match (&last_modified, headers.get("if-modified-since")) {
                        (Some(lm), Some(got)) => lm == got,
                        _ => false,
                    },
                };
                let accepts_gzip = headers
                    .get("accept-encoding")
                    .is_some_and(|a| a.contains("gzip"));
                if not_modified {
                    (304, extra, Vec::new())
                } else if gzip && accepts_gzip {
                    use flate2::write::GzEncoder;
                    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
                    enc.write_all(&body).unwrap();
                    extra.push("Content-Encoding: gzip".into());
                    (200, extra, enc.finish().unwrap())
                } else {
                    (200, extra, body)
                }
            }
        };
        self.log.lock().unwrap().push(Request {
            path,
            headers,
            status,
        });
        let mut out = stream;
        let mut head = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for e in extra {
            head.push_str(&e);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let _ = out.write_all(head.as_bytes());
        let _ = out.write_all(&body);
        let _ = out.flush();
    }
}
