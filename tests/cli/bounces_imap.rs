//! `postbode bounces` on IMAP: against a real Dovecot (started by
//! `.ci/dovecot.sh`; run with `cargo test --test cli bounces_imap:: --
//! --ignored` and its env), messages appended with IMAP APPEND; and against
//! a server on loopback that drops the connection in the middle of a fetch.

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use async_imap::{Client, Session};
use futures_util::StreamExt;
use tokio::net::TcpStream;

use crate::bounces::{lines, setup};
use common::fixtures;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

struct Dovecot {
    port: u16,
    user: String,
    password: String,
}

impl Dovecot {
    fn from_env() -> Dovecot {
        let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} (see .ci/dovecot.sh)"));
        Dovecot {
            port: var("POSTBODE_IMAP_TEST_PORT").parse().unwrap(),
            user: var("POSTBODE_IMAP_TEST_USER"),
            password: var("POSTBODE_IMAP_TEST_PASSWORD"),
        }
    }

    fn config(&self) -> String {
        format!(
            "[bounces]\nimap_host = \"127.0.0.1\"\nimap_port = {}\nimap_user = \"{}\"\npassword_env = \"TEST_IMAP_PASSWORD\"\n",
            self.port, self.user
        )
    }

    async fn session(&self) -> Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let mut client = Client::new(tcp);
        client.read_response().await.unwrap();
        client
            .login(&self.user, &self.password)
            .await
            .map_err(|(e, _)| e)
            .unwrap()
    }
}

/// Every message of a folder: UID → (seen, first `Subject` line).
async fn folder(s: &mut Session<TcpStream>, name: &str) -> BTreeMap<u32, (bool, String)> {
    let mut out = BTreeMap::new();
    if s.select(name).await.is_err() {
        return out;
    }
    let uids = s.uid_search("ALL").await.unwrap();
    if uids.is_empty() {
        return out;
    }
    let set: Vec<String> = uids.iter().map(u32::to_string).collect();
    let fetches: Vec<_> = s
        .uid_fetch(
            set.join(","),
            "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
        )
        .await
        .unwrap()
        .collect()
        .await;
    for f in fetches {
        let f = f.unwrap();
        let seen = f.flags().any(|fl| fl == async_imap::types::Flag::Seen);
        let subject = String::from_utf8_lossy(f.header().unwrap_or_default())
            .trim()
            .to_owned();
        out.insert(f.uid.unwrap(), (seen, subject));
    }
    out
}

async fn empty(s: &mut Session<TcpStream>, name: &str) {
    if s.select(name).await.is_ok() && !s.uid_search("ALL").await.unwrap().is_empty() {
        let _: Vec<_> = s
            .store("1:*", "+FLAGS.SILENT (\\Deleted)")
            .await
            .unwrap()
            .collect()
            .await;
        let _: Vec<_> = s.expunge().await.unwrap().collect().await;
    }
}

#[test]
#[ignore = "needs the Dovecot of .ci/dovecot.sh"]
fn dovecot_box_is_read_moved_and_read_before_send() {
    let dovecot = Dovecot::from_env();
    let mail = |n: &str| std::fs::read(fixtures().join("bounces/mail").join(n)).unwrap();
    block_on(async {
        let mut s = dovecot.session().await;
        empty(&mut s, "INBOX").await;
        empty(&mut s, "processed").await;
        for n in [
            "postfix-verp.eml",
            "arf.eml",
            "reply.eml",
            "vacation.eml",
            "exim.eml",
        ] {
            s.append("INBOX", None, None, mail(n)).await.unwrap();
        }
        s.logout().await.unwrap();
    });
    let pb = setup(&dovecot.config()).env("TEST_IMAP_PASSWORD", &dovecot.password);

    // A dry run reads all, marks nothing seen, moves nothing.
    let dry = pb_args(&pb, &["bounces", "--dry-run", "--json"]);
    let got: Vec<serde_json::Value> = lines(&dry.stdout).into_values().collect();
    assert_eq!(got.len(), 5, "{}", dry.stdout);
    let by_subscriber = |v: &Vec<serde_json::Value>, who: &str| {
        v.iter()
            .find(|o| o["subscriber"] == who)
            .unwrap_or_else(|| panic!("{who} in {v:?}"))
            .clone()
    };
    assert_eq!(by_subscriber(&got, "ada@example.org")["action"], "bounced");
    assert!(
        by_subscriber(&got, "ada@example.org")["message"].is_u64(),
        "a UID"
    );
    assert_eq!(
        by_subscriber(&got, "fay@example.org")["action"],
        "unsubscribed"
    );
    let inbox = block_on(async { folder(&mut dovecot.session().await, "INBOX").await });
    assert_eq!(inbox.len(), 5);
    assert!(
        inbox.values().all(|(seen, _)| !seen),
        "read with PEEK: {inbox:?}"
    );

    // For real: handled ones move to `processed`, the rest stays unseen.
    let run = pb_args(&pb, &["bounces", "--json"]);
    assert!(
        run.stderr.contains("3 moved to `processed`"),
        "{}",
        run.stderr
    );
    let (inbox, processed) = block_on(async {
        let mut s = dovecot.session().await;
        (
            folder(&mut s, "INBOX").await,
            folder(&mut s, "processed").await,
        )
    });
    let subjects = |f: &BTreeMap<u32, (bool, String)>| {
        let mut v: Vec<String> = f.values().map(|(_, s)| s.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(
        subjects(&inbox),
        [
            "Subject: Automatic reply: Leest Meer - 23 november",
            "Subject: Re: Leest Meer - 23 november"
        ]
    );
    assert!(inbox.values().all(|(seen, _)| !seen));
    assert_eq!(processed.len(), 3, "{processed:?}");
    let list =
        postbode::subscribers::load(&pb.path().join("subscribers/subscribers.yaml")).unwrap();
    let get = |e: &str| list.iter().find(|s| s.email == e).unwrap().clone();
    assert_eq!(
        get("ada@example.org").status,
        postbode::subscribers::Status::Bounced
    );
    assert_eq!(get("bob@example.net").bounces, 1);

    // `send --if-due` reads the box first.
    block_on(async {
        let mut s = dovecot.session().await;
        s.append("INBOX", None, None, mail("gmail.eml"))
            .await
            .unwrap();
        s.logout().await.unwrap();
    });
    let send = pb_args_any(&pb, &["send", "--if-due"]);
    assert!(
        send.stderr.contains(
            "dsn: dirk@gmail.example: permanent failure (5.1.1, Message-ID): bounce 1 counted"
        ),
        "{}",
        send.stderr
    );
    let processed = block_on(async { folder(&mut dovecot.session().await, "processed").await });
    assert_eq!(processed.len(), 4);
}

fn pb_args(pb: &common::Postbode, args: &[&str]) -> common::Run {
    let run = pb_args_any(pb, args);
    assert_eq!(run.code, 0, "{args:?}\n{}\n{}", run.stdout, run.stderr);
    run
}

fn pb_args_any(pb: &common::Postbode, args: &[&str]) -> common::Run {
    let out = pb
        .command()
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    common::Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// An IMAP server that answers LOGIN, SELECT and SEARCH (UIDs 1 and 2),
/// sends the first message of the FETCH and hangs up; on the next
/// connection it records what it is asked to move.
fn dropping_server(message: Vec<u8>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let moves = Arc::new(Mutex::new(Vec::new()));
    let seen = moves.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let _ = conn.write_all(b"* OK [CAPABILITY IMAP4rev1 MOVE] test server ready\r\n");
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                let mut words = line.split_whitespace();
                let tag = words.next().unwrap_or("*").to_owned();
                let rest: Vec<&str> = words.collect();
                let command = rest
                    .first()
                    .map(|c| c.to_ascii_uppercase())
                    .unwrap_or_default();
                let sub = rest
                    .get(1)
                    .map(|c| c.to_ascii_uppercase())
                    .unwrap_or_default();
                let reply = match (command.as_str(), sub.as_str()) {
                    ("LOGIN", _) => format!("{tag} OK logged in\r\n"),
                    ("SELECT", _) => format!(
                        "* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n{tag} OK [READ-WRITE] done\r\n"
                    ),
                    ("UID", "SEARCH") => format!("* SEARCH 1 2\r\n{tag} OK done\r\n"),
                    ("UID", "FETCH") => {
                        let mut out = format!("* 1 FETCH (UID 1 BODY[] {{{}}}\r\n", message.len())
                            .into_bytes();
                        out.extend_from_slice(&message);
                        out.extend_from_slice(b")\r\n* 2 FETCH (UID 2 BODY[] {500}\r\nFrom: cut");
                        let _ = conn.write_all(&out);
                        break;
                    }
                    ("CREATE", _) => format!("{tag} OK created\r\n"),
                    ("CAPABILITY", _) => {
                        format!("* CAPABILITY IMAP4rev1 MOVE\r\n{tag} OK done\r\n")
                    }
                    ("UID", "MOVE") => {
                        seen.lock().unwrap().push(rest[2..].join(" "));
                        format!("{tag} OK moved\r\n")
                    }
                    ("LOGOUT", _) => {
                        let _ = conn.write_all(format!("* BYE\r\n{tag} OK bye\r\n").as_bytes());
                        break;
                    }
                    _ => format!("{tag} BAD unknown\r\n"),
                };
                if conn.write_all(reply.as_bytes()).is_err() {
                    break;
                }
                line.clear();
            }
        }
    });
    (port, moves)
}

#[test]
fn a_server_that_drops_mid_fetch_loses_nothing() {
    let message = std::fs::read(fixtures().join("bounces/mail/exim.eml")).unwrap();
    let (port, moves) = dropping_server(message);
    let pb = setup(&format!(
        "[bounces]\nimap_host = \"127.0.0.1\"\nimap_port = {port}\nimap_user = \"u\"\n"
    ))
    .env("POSTBODE_IMAP_PASSWORD", "p");
    let run = pb_args_any(&pb, &["bounces", "--json"]);
    assert_eq!(
        run.code, 1,
        "some mail was not read: {}\n{}",
        run.stdout, run.stderr
    );
    let got = lines(&run.stdout);
    let first = got.values().find(|v| v["message"] == 1).unwrap();
    assert_eq!(first["subscriber"], "bob@example.net");
    assert_eq!(first["action"], "counted");
    let second = got.values().find(|v| v["message"] == 2).unwrap();
    assert_eq!(second["kind"], "other");
    assert!(run.stderr.contains("uid 2: not read:"), "{}", run.stderr);
    assert!(run.stderr.contains("left in place"), "{}", run.stderr);
    assert_eq!(
        *moves.lock().unwrap(),
        ["1 \"processed\""],
        "only what was read moves"
    );
}
