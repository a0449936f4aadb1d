//! `postbode serve` as a mail client, a reader and a link scanner meet it:
//! the real binary on a loopback port, a real HTTP client, the list on disk,
//! and for sign-ups a real SMTP server in the test process.

use crate::common;

use std::io::{BufRead, BufReader};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::smtp::{reader, subscribers_yaml, Faults, SmtpServer};
use common::Postbode;
use postbode::subscribers::{self, Status, Subscriber};

const LIST: &str = "subscribers/subscribers.yaml";

const SITE: &str = r#"title = "Leest Meer"
url = "https://leestmeer.example.org"
"#;

const SENDER: &str = r#"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
reply_to = "redactie@leestmeer.example.org"
unsubscribe_url = "https://leestmeer.example.org/unsubscribe/{token}"

[delivery]
transport = "file"
"#;

/// A running `postbode serve`, stopped when dropped.
struct Server {
    child: Child,
    base: String,
    dir: PathBuf,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `serve` in `pb`'s folder on a free loopback port and waits
    /// until it accepts connections.
    fn start(pb: &Postbode) -> Server {
        Server::start_on(pb, "127.0.0.1".parse().unwrap())
    }

    /// [`Server::start`] on the address `ip`.
    fn start_on(pb: &Postbode, ip: IpAddr) -> Server {
        let port = free_port();
        let listen = SocketAddr::new(ip, port);
        let mut child = Command::new(env!("CARGO_BIN_EXE_postbode"))
            .current_dir(pb.path())
            .args(["serve", "--listen", &listen.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start postbode serve");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(listen).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("serve exited with {status}:\n{}", log.lock().unwrap());
            }
            assert!(Instant::now() < deadline, "serve did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
        Server {
            child,
            base: format!("http://{listen}"),
            dir: pb.path().to_owned(),
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn list(&self) -> Vec<Subscriber> {
        subscribers::load(&self.dir.join(LIST)).expect("the list loads")
    }

    fn list_bytes(&self) -> Vec<u8> {
        std::fs::read(self.dir.join(LIST)).unwrap_or_default()
    }

    fn status(&self, email: &str) -> Option<Status> {
        subscribers::find(&self.list(), email).map(|s| s.status)
    }

    fn token(&self, email: &str) -> String {
        subscribers::find(&self.list(), email)
            .expect("on the list")
            .token
            .clone()
    }

    /// Waits until serve's stderr has a line containing `text`.
    fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.log.lock().unwrap().contains(text) {
            assert!(
                Instant::now() < deadline,
                "serve never said `{text}`:\n{}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// What came back, all of it as text.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn from(mut r: ureq::http::Response<ureq::Body>) -> Reply {
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        Reply {
            status: r.status().as_u16(),
            headers,
            body: r.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The page without its per-response nonce, to compare page shapes.
    fn shape(&self) -> String {
        let mut out = self.body.clone();
        if let Some(i) = out.find("nonce=\"") {
            let end = out[i + 7..].find('"').map_or(out.len(), |e| i + 7 + e);
            out.replace_range(i + 7..end, "");
        }
        out
    }
}

fn get(url: &str) -> Reply {
    Reply::from(agent().get(url).call().expect("GET"))
}

fn one_click(url: &str) -> Reply {
    Reply::from(
        agent()
            .post(url)
            .send_form([("List-Unsubscribe", "One-Click")])
            .expect("POST"),
    )
}

fn post_form(url: &str, fields: &[(&str, &str)]) -> Reply {
    Reply::from(
        agent()
            .post(url)
            .send_form(fields.iter().copied())
            .expect("POST"),
    )
}

/// A temp site with `n` active readers and the file transport.
fn setup(n: usize) -> Postbode {
    Postbode::new()
        .config(&format!("{SITE}{SENDER}"))
        .file(LIST, subscribers_yaml(n, &[]))
}

fn assert_secure_headers(r: &Reply) {
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    let csp = r.header("content-security-policy").expect("a CSP");
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(!csp.contains("script"), "{csp}");
    assert!(r.header("set-cookie").is_none());
    assert!(r.header("location").is_none());
    assert!(!r.body.contains("<script"), "{}", r.body);
}

// ------------------------------------------------------------ unsubscribe

#[test]
fn one_click_post_unsubscribes_at_once() {
    let pb = setup(3);
    let server = Server::start(&pb);
    let token = server.token(&reader(1));

    let r = one_click(&server.url(&format!("/unsubscribe/{token}")));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_secure_headers(&r);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.body.contains("<html lang=\"nl\">"), "{}", r.body);
    assert!(r.body.contains("Je bent uitgeschreven"), "{}", r.body);
    assert!(r.body.contains(&reader(1)), "{}", r.body);
    assert_eq!(server.status(&reader(1)), Some(Status::Unsubscribed));
    assert_eq!(server.status(&reader(0)), Some(Status::Active));
    assert_eq!(server.status(&reader(2)), Some(Status::Active));

    // Again: still 200, still unsubscribed, nothing else changes.
    let before = server.list_bytes();
    let r = one_click(&server.url(&format!("/unsubscribe/{token}")));
    assert_eq!(r.status, 200);
    assert_eq!(server.list_bytes(), before);

    // Multipart, as some mail clients send it.
    let token = server.token(&reader(2));
    let body = "--postbode-test\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--postbode-test--\r\n";
    let r = Reply::from(
        agent()
            .post(server.url(&format!("/unsubscribe/{token}")))
            .header(
                "Content-Type",
                "multipart/form-data; boundary=postbode-test",
            )
            .send(body)
            .unwrap(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(server.status(&reader(2)), Some(Status::Unsubscribed));
    server.wait_for_log(&format!("unsubscribed {}", reader(2)));
}

#[test]
fn get_shows_a_button_that_unsubscribes() {
    let pb = setup(2);
    let server = Server::start(&pb);
    let token = server.token(&reader(0));
    let url = server.url(&format!("/unsubscribe/{token}"));
    let before = server.list_bytes();

    let r = get(&url);
    assert_eq!(r.status, 200);
    assert_secure_headers(&r);
    assert!(r.body.contains("Afmelden voor Leest Meer?"), "{}", r.body);
    assert!(r.body.contains(&reader(0)), "{}", r.body);
    assert!(r.body.contains("<form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\"><button type=\"submit\">Afmelden</button></form>"), "{}", r.body);
    assert_eq!(server.list_bytes(), before, "a GET changes nothing");

    // The button: the form's hidden field, posted back to the same URL.
    let r = post_form(&url, &[("List-Unsubscribe", "One-Click")]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Je bent uitgeschreven"));
    assert_eq!(server.status(&reader(0)), Some(Status::Unsubscribed));
    assert_eq!(server.status(&reader(1)), Some(Status::Active));

    // Opened again later: it says so, without a button.
    let r = get(&url);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Je bent uitgeschreven"));
    assert!(!r.body.contains("<form"));
}

#[test]
fn english_site_english_pages() {
    let pb = Postbode::new()
        .config(&format!("{SITE}language = \"en\"\n{SENDER}"))
        .file(LIST, subscribers_yaml(1, &[]));
    let server = Server::start(&pb);
    let url = server.url(&format!("/unsubscribe/{}", server.token(&reader(0))));
    let r = get(&url);
    assert!(r.body.contains("<html lang=\"en\">"), "{}", r.body);
    assert!(
        r.body.contains("Unsubscribe from Leest Meer?"),
        "{}",
        r.body
    );
    let r = one_click(&url);
    assert!(r.body.contains("You are unsubscribed"), "{}", r.body);
    assert!(r
        .body
        .contains("is unsubscribed from the newsletter of Leest Meer"));
}

#[test]
fn unknown_and_malformed_tokens_get_one_and_the_same_404() {
    let pb = setup(2);
    let server = Server::start(&pb);
    let before = server.list_bytes();
    let unknown = "0123456789abcdef0123456789abcdef";
    let first = get(&server.url(&format!("/unsubscribe/{unknown}")));
    assert_eq!(first.status, 404);
    assert_secure_headers(&first);
    assert!(
        first.body.contains("Deze link werkt niet"),
        "{}",
        first.body
    );
    assert!(!first.body.contains(unknown));
    assert!(
        !first.body.contains("@example.org"),
        "no address: {}",
        first.body
    );

    let long = "a".repeat(400);
    let paths = [
        format!("/unsubscribe/{unknown}"),
        format!("/confirm/{unknown}"),
        "/unsubscribe/%FF%FE".to_owned(),
        "/unsubscribe/a%20b".to_owned(),
        "/unsubscribe/%00".to_owned(),
        format!("/unsubscribe/{long}"),
        "/unsubscribe/..%2F..%2Fetc%2Fpasswd".to_owned(),
        "/unsubscribe/".to_owned(),
        "/".to_owned(),
        "/favicon.ico".to_owned(),
    ];
    for path in &paths {
        let r = get(&server.url(path));
        assert_eq!(r.status, 404, "GET {path}");
        assert_eq!(r.shape(), first.shape(), "GET {path}");
        let r = one_click(&server.url(path));
        assert_eq!(r.status, 404, "POST {path}");
        assert_eq!(r.shape(), first.shape(), "POST {path}");
    }
    assert_eq!(server.list_bytes(), before);
}

#[test]
fn link_scanners_change_nothing() {
    let pb = setup(2);
    let server = Server::start(&pb);
    let token = server.token(&reader(0));
    let url = server.url(&format!("/unsubscribe/{token}"));
    let before = server.list_bytes();

    let r = agent().head(&url).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    for ua in [
        "Mozilla/5.0 (compatible; Barracuda Sentinel)",
        "Microsoft Office/16.0 (SafeLinks)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    ] {
        let r = Reply::from(agent().get(&url).header("User-Agent", ua).call().unwrap());
        assert_eq!(r.status, 200);
        let r = agent().head(&url).header("User-Agent", ua).call().unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    // A POST without the one-click field is not an unsubscribe either: it
    // gets the page with the button.
    let r = post_form(&url, &[("utm_source", "scanner")]);
    assert_eq!(r.status, 400);
    assert!(r.body.contains("name=\"List-Unsubscribe\""), "{}", r.body);
    let r = Reply::from(agent().post(&url).send_empty().unwrap());
    assert_eq!(r.status, 400);
    assert_eq!(server.list_bytes(), before);
    assert_eq!(server.status(&reader(0)), Some(Status::Active));
}

#[test]
fn oversized_bodies_are_refused_unread() {
    let pb = setup(1);
    let server = Server::start(&pb);
    let url = server.url(&format!("/unsubscribe/{}", server.token(&reader(0))));
    let mut body = String::from("List-Unsubscribe=One-Click&pad=");
    body.push_str(&"x".repeat(64 * 1024));
    let r = Reply::from(
        agent()
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(&body)
            .unwrap(),
    );
    assert_eq!(r.status, 413);
    assert_eq!(server.status(&reader(0)), Some(Status::Active));
}

#[test]
fn a_prefixed_unsubscribe_url_is_served_and_the_root_path_too() {
    let pb = Postbode::new()
        .config(&format!(
            "{SITE}{}",
            SENDER.replace("/unsubscribe/{token}", "/nieuwsbrief/afmelden/{token}")
        ))
        .file(LIST, subscribers_yaml(2, &[]));
    let server = Server::start(&pb);
    let r = one_click(&server.url(&format!(
        "/nieuwsbrief/afmelden/{}",
        server.token(&reader(0))
    )));
    assert_eq!(r.status, 200);
    let r = one_click(&server.url(&format!("/unsubscribe/{}", server.token(&reader(1)))));
    assert_eq!(r.status, 200);
    assert!(server
        .list()
        .iter()
        .all(|s| s.status == Status::Unsubscribed));
    assert_eq!(get(&server.url("/nieuwsbrief/subscribe")).status, 200);
}

/// 100 readers unsubscribe at the same moment while `subscribers add` runs
/// in other processes: every change is in the final list.
#[test]
fn concurrent_unsubscribes_and_adds_lose_nothing() {
    const READERS: usize = 100;
    const ADDS: usize = 20;
    let pb = setup(READERS);
    let server = Server::start(&pb);
    let list = server.list();
    let urls: Vec<String> = (0..READERS)
        .map(|i| {
            let s = subscribers::find(&list, &reader(i)).unwrap();
            server.url(&format!("/unsubscribe/{}", s.token))
        })
        .collect();

    let adders: Vec<Child> = (0..ADDS)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_postbode"))
                .current_dir(pb.path())
                .args(["subscribers", "add", &format!("new{i:02}@example.org")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let start = Arc::new(std::sync::Barrier::new(READERS));
    let clicks: Vec<_> = urls
        .into_iter()
        .map(|url| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                one_click(&url).status
            })
        })
        .collect();
    for click in clicks {
        assert_eq!(click.join().unwrap(), 200);
    }
    for adder in adders {
        let out = adder.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let list = server.list();
    assert_eq!(list.len(), READERS + ADDS);
    for i in 0..READERS {
        assert_eq!(
            subscribers::find(&list, &reader(i)).map(|s| s.status),
            Some(Status::Unsubscribed),
            "{}",
            reader(i)
        );
    }
    for i in 0..ADDS {
        assert_eq!(
            subscribers::find(&list, &format!("new{i:02}@example.org")).map(|s| s.status),
            Some(Status::Active)
        );
    }
}

// ------------------------------------------------------------ sign-up

/// The confirmation link in a captured mail (quoted-printable undone).
fn confirm_link(data: &str) -> String {
    let body = data
        .split("\r\n\r\n")
        .skip(1)
        .collect::<Vec<_>>()
        .join("\r\n\r\n");
    let decoded = if data
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: quoted-printable")
    {
        String::from_utf8(
            quoted_printable::decode(body.as_bytes(), quoted_printable::ParseMode::Robust).unwrap(),
        )
        .unwrap()
    } else {
        body
    };
    let start = decoded
        .find("https://leestmeer.example.org/confirm/")
        .unwrap_or_else(|| panic!("no confirmation link in:\n{data}"));
    decoded[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn wait_for_mails(smtp: &SmtpServer, n: usize) -> Vec<common::smtp::Received> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let messages = smtp.messages();
        if messages.len() >= n {
            return messages;
        }
        assert!(
            Instant::now() < deadline,
            "{n} mails expected, got {}",
            messages.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sign_up_and_confirm_by_mail_end_to_end() {
    let smtp = SmtpServer::start(Faults::default());
    let pb = Postbode::new()
        .config(&format!(
            "{SITE}{}\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\ntimeout_secs = 5\n",
            SENDER.replace("transport = \"file\"", "transport = \"smtp\""),
            smtp.port
        ))
        .file(LIST, subscribers_yaml(1, &[]));
    let server = Server::start(&pb);

    let form = get(&server.url("/subscribe"));
    assert_eq!(form.status, 200);
    assert!(
        form.body
            .contains("<input type=\"email\" id=\"email\" name=\"email\""),
        "{}",
        form.body
    );

    let signed_up = post_form(
        &server.url("/subscribe"),
        &[
            ("email", "nieuw@example.org"),
            ("category", "Tech"),
            ("category", "sport"),
        ],
    );
    assert_eq!(signed_up.status, 200, "{}", signed_up.body);
    assert_secure_headers(&signed_up);
    assert!(
        signed_up.body.contains("Kijk in je mailbox"),
        "{}",
        signed_up.body
    );
    let mails = wait_for_mails(&smtp, 1);
    assert_eq!(mails[0].to, ["nieuw@example.org"]);
    assert_eq!(mails[0].from, "digest@leestmeer.example.org");
    assert!(
        mails[0]
            .data
            .contains("Subject: Bevestig je aanmelding voor Leest Meer"),
        "{}",
        mails[0].data
    );
    let link = confirm_link(&mails[0].data);
    assert_eq!(server.status("nieuw@example.org"), Some(Status::Pending));

    // The link opens a page with a button; opening changes nothing.
    let path = link.trim_start_matches("https://leestmeer.example.org");
    let before = server.list_bytes();
    let r = get(&server.url(path));
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Bevestig je aanmelding"), "{}", r.body);
    assert!(r.body.contains("<form method=\"post\">"), "{}", r.body);
    assert_eq!(server.list_bytes(), before);

    // The button confirms.
    let r = post_form(&server.url(path), &[("confirm", "yes")]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Je bent aangemeld"), "{}", r.body);
    let list = server.list();
    let s = subscribers::find(&list, "nieuw@example.org").unwrap();
    assert_eq!(s.status, Status::Active);
    assert_eq!(s.categories, ["Tech", "sport"]);
    server.wait_for_log("confirmed nieuw@example.org");

    // An address already on the list gets the same answer and no mail.
    let r = post_form(&server.url("/subscribe"), &[("email", &reader(0))]);
    assert_eq!(r.status, 200);
    assert_eq!(r.shape(), signed_up.shape());
    server.wait_for_log(&format!(
        "sign-up of {}: already active, no mail",
        reader(0)
    ));
    assert_eq!(smtp.messages().len(), 1);

    // A bad address is refused with the form again, and nothing stored.
    let r = post_form(&server.url("/subscribe"), &[("email", "not an address")]);
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Dat adres klopt niet"), "{}", r.body);
    assert_eq!(server.list().len(), 2);
}

#[test]
fn sign_ups_are_rate_limited_per_client() {
    let pb = setup(0);
    let server = Server::start(&pb);
    let url = server.url("/subscribe");
    for i in 0..5 {
        let r = post_form(&url, &[("email", &format!("a{i}@example.org"))]);
        assert_eq!(r.status, 200, "sign-up {i}");
    }
    let r = post_form(&url, &[("email", "a5@example.org")]);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("600"));
    assert!(r.body.contains("Even geduld"), "{}", r.body);
    // Behind the proxy on loopback, each forwarded client counts apart.
    let r = Reply::from(
        agent()
            .post(&url)
            .header("X-Forwarded-For", "203.0.113.7")
            .send_form([("email", "b@example.org")])
            .unwrap(),
    );
    assert_eq!(r.status, 200);
    server.wait_for_log("sign-up of b@example.org: pending");
    for i in 0..5 {
        server.wait_for_log(&format!("sign-up of a{i}@example.org: pending"));
    }
    let list = server.list();
    assert_eq!(list.len(), 6);
    assert!(list.iter().all(|s| s.status == Status::Pending));
    assert!(pb.path().join("outbox/confirm/b@example.org.eml").exists());
}

// ------------------------------------------------------------ the process

#[test]
fn serve_needs_an_unsubscribe_url() {
    let run = Postbode::new()
        .config("[sender]\nfrom = \"a@example.org\"\n")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .fails(1);
    assert!(
        run.stderr.contains("`sender.unsubscribe_url` is not set"),
        "{}",
        run.stderr
    );
    let run = Postbode::new()
        .config(SENDER)
        .args(["serve", "--listen", "localhost"])
        .fails(1);
    assert!(
        run.stderr
            .contains("`--listen`: `localhost` is not an address and port"),
        "{}",
        run.stderr
    );
}

#[test]
fn sigterm_stops_serve_cleanly() {
    let pb = setup(1);
    let mut server = Server::start(&pb);
    let pid = server.child.id() as i32;
    // SAFETY: `kill` with a pid this test started and still owns.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    server.wait_for_log("stopped");
}

#[test]
fn check_warns_about_a_plain_http_unsubscribe_url() {
    let run = Postbode::new()
        .config(&format!(
            "{SITE}{}",
            SENDER.replace(
                "https://leestmeer.example.org/unsubscribe",
                "http://leestmeer.example.org/unsubscribe"
            )
        ))
        .args(["check"])
        .succeeds();
    assert!(
        run.stdout.contains("warning: `sender.unsubscribe_url` `http://leestmeer.example.org/unsubscribe/{token}` is not https"),
        "{}",
        run.stdout
    );
    let run = Postbode::new()
        .config(&format!(
            "{SITE}{}",
            SENDER.replace("/unsubscribe/{token}", "/unsubscribe?t={token}")
        ))
        .args(["check"])
        .succeeds();
    assert!(
        run.stdout.contains("warning: cannot serve `sender.unsubscribe_url`: `https://leestmeer.example.org/unsubscribe?t={token}` has `{token}` in its query"),
        "{}",
        run.stdout
    );
}

// ------------------------------------------------------------ hostile traffic

/// A hand edit of the list (in place: same file, same size) is seen at the
/// next request that names an entry.
#[test]
fn a_hand_edit_is_seen_at_the_next_request() {
    let pb = setup(3);
    let server = Server::start(&pb);
    let old = server.token(&reader(0));
    let new = "0123456789abcdef0123456789abcdef";
    assert_eq!(get(&server.url(&format!("/unsubscribe/{old}"))).status, 200);

    let path = pb.path().join(LIST);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace(&old, new)).unwrap();
    assert_eq!(get(&server.url(&format!("/unsubscribe/{old}"))).status, 404);
    let page = get(&server.url(&format!("/unsubscribe/{new}")));
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&reader(0)), "{}", page.body);

    // An entry removed by hand is gone at once too.
    let gone = server.token(&reader(1));
    let text = std::fs::read_to_string(&path).unwrap();
    let list: Vec<Subscriber> = server
        .list()
        .into_iter()
        .filter(|s| s.email != reader(1))
        .collect();
    std::fs::write(&path, subscribers::to_yaml(&list)).unwrap();
    assert_ne!(text, std::fs::read_to_string(&path).unwrap());
    assert_eq!(
        one_click(&server.url(&format!("/unsubscribe/{gone}"))).status,
        404
    );
    assert_eq!(server.list().len(), 2);
}

/// 32 clients click one-click links for 300 readers while another process
/// runs `subscribers add` in a loop: every click and every add is in the
/// final list.
#[test]
fn one_clicks_from_many_clients_land_while_adds_loop() {
    const READERS: usize = 300;
    const CLIENTS: usize = 32;
    let pb = setup(READERS);
    let server = Server::start(&pb);
    let list = server.list();
    let urls: Vec<String> = (0..READERS)
        .map(|i| {
            let s = subscribers::find(&list, &reader(i)).unwrap();
            server.url(&format!("/unsubscribe/{}", s.token))
        })
        .collect();

    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let adder = {
        let done = Arc::clone(&done);
        let dir = pb.path().to_owned();
        std::thread::spawn(move || {
            let mut added = 0;
            while !done.load(std::sync::atomic::Ordering::Acquire) || added < 3 {
                let out = Command::new(env!("CARGO_BIN_EXE_postbode"))
                    .current_dir(&dir)
                    .args(["subscribers", "add", &format!("loop{added:03}@example.org")])
                    .stdin(Stdio::null())
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                added += 1;
            }
            added
        })
    };
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let mine: Vec<String> = urls.iter().skip(c).step_by(CLIENTS).cloned().collect();
            std::thread::spawn(move || {
                mine.iter()
                    .map(|url| one_click(url).status)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for client in clients {
        assert!(client.join().unwrap().iter().all(|&s| s == 200));
    }
    done.store(true, std::sync::atomic::Ordering::Release);
    let added = adder.join().unwrap();

    let list = server.list();
    let count = |status| list.iter().filter(|s| s.status == status).count();
    assert_eq!(list.len(), READERS + added);
    assert_eq!(count(Status::Unsubscribed), READERS);
    assert_eq!(count(Status::Active), added);

    // serve knows the entries the other process added, and writes on top
    // of them.
    for i in [0, added - 1] {
        let email = format!("loop{i:03}@example.org");
        let entry = subscribers::find(&list, &email).unwrap();
        let url = server.url(&format!("/unsubscribe/{}", entry.token));
        assert_eq!(one_click(&url).status, 200);
        let after = server.list();
        assert_eq!(after.len(), READERS + added);
        assert_eq!(
            subscribers::find(&after, &email).unwrap().status,
            Status::Unsubscribed
        );
    }
}

/// Opens `n` connections to `to` that never send a byte.
fn idle_connections(to: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| TcpStream::connect(to).expect("connect"))
        .collect()
}

/// True when the server closed `stream` (it reads the end, or a reset)
/// within `within`.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

/// 600 connections that send nothing (more than the 512 open at once)
/// neither keep a real request waiting nor stay open past the head timeout.
#[test]
fn idle_connections_are_closed_and_real_requests_get_in() {
    let pb = setup(3);
    let server = Server::start(&pb);
    let addr: SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let opened = Instant::now();
    let mut idle = idle_connections(addr, 600);

    let quick: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    let token = server.token(&reader(0));
    let url = server.url(&format!("/unsubscribe/{token}"));
    let page = quick
        .get(&url)
        .call()
        .expect("a real request is answered while 600 idle connections are open");
    assert_eq!(page.status(), 200);

    // The last one opened is still there, until the head timeout (5 s).
    let last = idle.last_mut().unwrap();
    assert!(!closed_within(last, Duration::from_millis(100)));
    assert!(closed_within(last, Duration::from_secs(8)));
    let waited = opened.elapsed();
    assert!(waited >= Duration::from_secs(4), "closed after {waited:?}");
}

/// A local address that is not loopback (what a remote client looks like
/// to `serve`).
/// `n` open connections to `to` from the loopback address `from`: a client
/// of its own, on this machine only.
fn idle_connections_from(from: IpAddr, to: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n).map(|_| connect_from(from, to)).collect()
}

fn connect_from(from: IpAddr, to: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::new(from, 0).into())
        .expect("bind a second loopback address");
    socket.connect(&to.into()).expect("connect");
    socket.into()
}

/// One client holds at most 32 connections; others still get in.
#[test]
fn one_client_cannot_hold_more_than_its_share() {
    // A client at 127.0.0.2: loopback traffic only, and not the proxy's
    // address (127.0.0.1), which is not held to a share.
    let client: IpAddr = [127, 0, 0, 2].into();
    let pb = setup(3);
    let server = Server::start(&pb);
    let addr: SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let port = addr.port();
    let mut mine = idle_connections_from(client, addr, 32);
    let mut one_more = connect_from(client, addr);
    assert!(
        closed_within(&mut one_more, Duration::from_secs(2)),
        "the 33rd connection of one client is closed"
    );
    assert!(!closed_within(&mut mine[0], Duration::from_millis(200)));
    // Loopback (the reverse proxy) is not held to a client's share.
    let mut proxied = idle_connections(SocketAddr::new([127, 0, 0, 1].into(), port), 40);
    assert!(!closed_within(&mut proxied[39], Duration::from_millis(200)));
    // A place given back is a place to use.
    drop(mine.pop());
    std::thread::sleep(Duration::from_millis(300));
    let mut other = connect_from(client, addr);
    other
        .write_all(b"GET /subscribe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    other
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = other.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

// ---------------------------------------------------- one identity, SQLite

#[test]
fn spellings_that_differ_in_case_sign_up_once() {
    let pb = setup(0);
    let server = Server::start(&pb);
    let url = server.url("/subscribe");
    for email in [
        "Victim@example.org",
        "vIctim@example.org",
        "VICTIM@example.org",
    ] {
        let r = post_form(&url, &[("email", email)]);
        assert_eq!(r.status, 200, "{email}: {}", r.body);
        server.wait_for_log(&format!("sign-up of {email}"));
    }
    let list = server.list();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        list[0].email, "Victim@example.org",
        "stored as first entered"
    );
    assert_eq!(list[0].status, Status::Pending);
    // At most two confirmation mails per address, whatever its spelling.
    let mails = std::fs::read_dir(pb.path().join("outbox/confirm"))
        .unwrap()
        .flatten()
        .count();
    assert!(mails <= 2, "{mails} confirmation mails");
}

#[test]
fn one_click_unsubscribe_on_an_sqlite_list() {
    let pb = setup(3).args(["subscribers", "migrate", "--to", "list.sqlite"]);
    pb.succeeds();
    let pb = pb.config(&format!(
        "{SITE}{SENDER}\n[subscribers]\nfile = \"list.sqlite\"\n"
    ));
    let server = Server::start(&pb);
    let store = subscribers::Store::open(pb.path().join("list.sqlite"));
    let token = store.find(&reader(1)).unwrap().unwrap().token;
    let r = one_click(&server.url(&format!("/unsubscribe/{token}")));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(&reader(1)), "{}", r.body);
    let status = |i| store.find(&reader(i)).unwrap().unwrap().status;
    assert_eq!(status(1), Status::Unsubscribed);
    assert_eq!(status(0), Status::Active);
    let r = get(&server.url(&format!("/unsubscribe/{}", "0".repeat(32))));
    assert_eq!(r.status, 404);
}

// ---------------------------------------------------------------- SQLite

/// `serve` on an SQLite list: one-click unsubscribes, an entry another
/// process adds while it runs (seen at once, though SQLite's WAL leaves the
/// database file's own time unchanged), and a sign-up with its confirmation
/// — each stored in the database, nothing loaded into memory.
#[test]
fn serve_works_on_an_sqlite_list_and_sees_other_writers() {
    const DB: &str = "subscribers/subscribers.sqlite";
    let pb = setup(3).args(["subscribers", "migrate", "--to", DB]);
    pb.succeeds();
    let pb = pb.config(&format!("{SITE}{SENDER}\n[subscribers]\nfile = \"{DB}\"\n"));
    let db = pb.path().join(DB);
    let load = || subscribers::load(&db).expect("the database loads");
    let token = |email: &str| {
        subscribers::find(&load(), email)
            .expect("on the list")
            .token
            .clone()
    };
    let server = Server::start(&pb);

    let first = token(&reader(0));
    let r = one_click(&server.url(&format!("/unsubscribe/{first}")));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        subscribers::find(&load(), &reader(0)).map(|s| s.status),
        Some(Status::Unsubscribed)
    );
    // Unknown tokens: the same 404 as on a YAML list.
    let unknown = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        get(&server.url(&format!("/unsubscribe/{unknown}"))).status,
        404
    );

    // Another process adds a reader; serve finds the new token at once.
    let pb = pb.args(["subscribers", "add", "late@example.org"]);
    pb.succeeds();
    let late = token("late@example.org");
    let page = get(&server.url(&format!("/unsubscribe/{late}")));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("late@example.org"), "{}", page.body);
    assert_eq!(
        one_click(&server.url(&format!("/unsubscribe/{late}"))).status,
        200
    );

    // A sign-up makes a pending row; its confirmation link activates it.
    let r = post_form(&server.url("/subscribe"), &[("email", "New@Example.org")]);
    assert_eq!(r.status, 200, "{}", r.body);
    server.wait_for_log("sign-up of New@Example.org");
    let pending = subscribers::find(&load(), "new@example.org")
        .expect("stored")
        .clone();
    assert_eq!(pending.status, Status::Pending);
    let r = post_form(&server.url(&format!("/confirm/{}", pending.token)), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        subscribers::find(&load(), "new@example.org").map(|s| s.status),
        Some(Status::Active)
    );
    assert_eq!(load().len(), 5);
}

// ------------------------------------------------------------ preferences

const DIGESTS: &str = "
[digests.weekly]
[digests.daily]
cron = \"0 7 * * *\"
window_days = 1
";

/// The fixture site (categories community, engineering, links), two
/// digests, `n` readers.
fn setup_preferences(n: usize) -> Postbode {
    Postbode::new()
        .site("digest_en")
        .config(&format!("{SITE}language = \"en\"\n{SENDER}{DIGESTS}"))
        .file(LIST, subscribers_yaml(n, &[]))
}

#[test]
fn the_preference_page_shows_and_saves_digests_categories_and_pause() {
    let pb = setup_preferences(2);
    let server = Server::start(&pb);
    let token = server.token(&reader(0));
    let url = server.url(&format!("/preferences/{token}"));

    // GET shows the choice and changes nothing.
    let before = server.list_bytes();
    let r = get(&url);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_secure_headers(&r);
    assert!(r.body.contains("<h1>Your preferences</h1>"), "{}", r.body);
    assert!(r.body.contains(&reader(0)), "{}", r.body);
    for (name, value, checked) in [
        ("digest", "daily", false),
        ("digest", "weekly", true),
        ("category", "community", false),
        ("category", "engineering", false),
        ("category", "links", false),
    ] {
        let input = format!("<input type=\"checkbox\" name=\"{name}\" value=\"{value}\"");
        let at = r
            .body
            .find(&input)
            .unwrap_or_else(|| panic!("{input}\n{}", r.body));
        let tag = &r.body[at..at + r.body[at..].find('>').unwrap()];
        assert_eq!(tag.contains("checked"), checked, "{tag}");
    }
    assert!(r
        .body
        .contains("type=\"date\" id=\"paused_until\" name=\"paused_until\" value=\"\""));
    assert!(!r.body.contains("action="), "posts back to itself");
    assert_eq!(server.list_bytes(), before);

    // POST saves; a category the site does not have is left out, and said.
    let r = post_form(
        &url,
        &[
            ("digest", "daily"),
            ("digest", "weekly"),
            ("category", "Engineering"),
            ("category", "golf"),
            ("paused_until", "2099-01-04"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_secure_headers(&r);
    assert!(r.body.contains("Your preferences are saved."), "{}", r.body);
    assert!(
        r.body
            .contains("These topics do not exist and were left out: golf"),
        "{}",
        r.body
    );
    server.wait_for_log(&format!("preferences of {} saved", reader(0)));
    let s = subscribers::find(&server.list(), &reader(0))
        .unwrap()
        .clone();
    assert_eq!(s.digests, ["daily", "weekly"]);
    assert_eq!(s.categories, ["engineering"]);
    assert_eq!(
        s.paused_until.map(|d| d.to_string()).as_deref(),
        Some("2099-01-04")
    );
    assert_eq!(s.status, Status::Active);
    let other = subscribers::find(&server.list(), &reader(1))
        .unwrap()
        .clone();
    assert!(other.digests.is_empty() && other.paused_until.is_none());
    // The page shows what was saved.
    let r = get(&url);
    assert!(r.body.contains("value=\"2099-01-04\""), "{}", r.body);

    // The default digest alone, no categories, no pause: back to the start.
    let r = post_form(&url, &[("digest", "weekly"), ("paused_until", "")]);
    assert_eq!(r.status, 200);
    let s = subscribers::find(&server.list(), &reader(0))
        .unwrap()
        .clone();
    assert!(s.digests.is_empty() && s.categories.is_empty() && s.paused_until.is_none());
}

#[test]
fn the_preference_page_refuses_what_the_site_does_not_have_and_keeps_404_rules() {
    let pb = setup_preferences(1);
    let server = Server::start(&pb);
    let token = server.token(&reader(0));
    let url = server.url(&format!("/preferences/{token}"));
    let before = server.list_bytes();
    for (fields, says) in [
        (
            &[("digest", "hourly")][..],
            "There is no newsletter “hourly”",
        ),
        (
            &[("category", "links")][..],
            "Choose at least one newsletter",
        ),
        (
            &[("digest", "daily"), ("paused_until", "soon")][..],
            "We cannot read that date",
        ),
    ] {
        let r = post_form(&url, fields);
        assert_eq!(r.status, 400, "{fields:?}: {}", r.body);
        assert!(r.body.contains(says), "{fields:?}: {}", r.body);
        assert!(r.body.contains("<form method=\"post\">"), "the form again");
    }
    assert_eq!(server.list_bytes(), before, "nothing saved");

    // Unknown and malformed tokens: the one 404 page, GET or POST.
    let not_found = get(&server.url("/nothing-here"));
    assert_eq!(not_found.status, 404);
    for r in [
        get(&server.url(&format!("/preferences/{}", "0".repeat(32)))),
        post_form(
            &server.url(&format!("/preferences/{}", "0".repeat(32))),
            &[("digest", "daily")],
        ),
        get(&server.url("/preferences/a%20b")),
    ] {
        assert_eq!(r.status, 404);
        assert_secure_headers(&r);
        assert_eq!(r.shape(), not_found.shape());
    }

    // An unsubscribed reader's link shows that, and saves nothing.
    one_click(&server.url(&format!("/unsubscribe/{token}")));
    let before = server.list_bytes();
    let r = post_form(&url, &[("digest", "daily")]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("You are unsubscribed"), "{}", r.body);
    assert_eq!(server.list_bytes(), before);
}

#[test]
fn sign_up_takes_digests_and_refuses_unknown_ones() {
    let pb = setup_preferences(0);
    let server = Server::start(&pb);
    let r = post_form(
        &server.url("/subscribe"),
        &[("email", "new@example.org"), ("digest", "daily")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    server.wait_for_log("sign-up of new@example.org");
    let s = subscribers::find(&server.list(), "new@example.org")
        .unwrap()
        .clone();
    assert_eq!(
        (s.status, s.digests),
        (Status::Pending, vec!["daily".to_owned()])
    );
    let r = post_form(
        &server.url("/subscribe"),
        &[("email", "other@example.org"), ("digest", "hourly")],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(subscribers::find(&server.list(), "other@example.org").is_none());
}

#[test]
fn every_digest_mail_links_to_the_preference_page_beside_unsubscribe() {
    let pb = setup_preferences(1).args([
        "send",
        "--digest",
        "weekly",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-23",
    ]);
    pb.succeeds();
    let token = subscribers::find(
        &subscribers::load(&pb.path().join(LIST)).unwrap(),
        &reader(0),
    )
    .unwrap()
    .token
    .clone();
    let outbox = pb.path().join("outbox");
    let folder = std::fs::read_dir(&outbox)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let raw = std::fs::read_to_string(folder.join(format!("{}.eml", reader(0)))).unwrap();
    // Quoted-printable soft breaks and `=3D` undone.
    let text = raw.replace("=\r\n", "").replace("=3D", "=");
    let link = format!("https://leestmeer.example.org/preferences/{token}");
    assert!(
        text.contains(&format!("<a href=\"{link}\"")) && text.contains(">Preferences</a>"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Preferences:\r\n{link}\r\n")),
        "{text}"
    );
}

#[test]
fn preferences_are_saved_row_by_row_on_an_sqlite_list() {
    let pb = Postbode::new()
        .site("digest_en")
        .config(&format!(
            "{SITE}language = \"en\"\n{SENDER}{DIGESTS}\n[subscribers]\nfile = \"list.sqlite\"\n"
        ))
        .args(["subscribers", "add", "ada@example.org"]);
    pb.succeeds();
    let store = subscribers::Store::open(pb.path().join("list.sqlite"));
    let token = store.find("ada@example.org").unwrap().unwrap().token;
    let server = Server::start(&pb);
    let r = post_form(
        &server.url(&format!("/preferences/{token}")),
        &[
            ("digest", "daily"),
            ("category", "links"),
            ("paused_until", "2099-02-01"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let s = store.find("ada@example.org").unwrap().unwrap();
    assert_eq!(s.digests, ["daily"]);
    assert_eq!(s.categories, ["links"]);
    assert_eq!(
        s.paused_until.map(|d| d.to_string()).as_deref(),
        Some("2099-02-01")
    );
}
