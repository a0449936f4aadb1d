//! `postbode bounces` on a Maildir and an mbox of bounce mail written per
//! mail system (`tests/fixtures/bounces/mail/`): each kind, each way of
//! finding the subscriber, `--dry-run`, the moves, soft bounces, bad input;
//! and the per-reader return path of `send`, from the SMTP envelope back to
//! the list. The IMAP path against Dovecot is in `bounces_imap`.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::smtp::{dead_port, Faults, SmtpServer};
use common::{fixtures, Postbode};
use serde_json::Value;

pub const SENDER: &str = r#"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
list_id = "weekly.leestmeer.example.org"
bounce_address = "bounces+{token}@leestmeer.example.org"

[delivery]
bounce_limit = 2
"#;

/// A temp dir with the fixture list and the fixture mail in `mail/new/`.
pub fn setup(extra: &str) -> Postbode {
    setup_with(&format!("{SENDER}\n{extra}"))
}

/// [`setup`] with a config of its own.
fn setup_with(config: &str) -> Postbode {
    let pb = Postbode::new().config(config).file(
        "subscribers/subscribers.yaml",
        fs::read(fixtures().join("bounces/subscribers.yaml")).unwrap(),
    );
    for sub in ["new", "cur", "tmp"] {
        fs::create_dir_all(pb.path().join("mail").join(sub)).unwrap();
    }
    common::copy_dir(
        &fixtures().join("bounces/mail"),
        &pb.path().join("mail/new"),
    );
    pb
}

pub fn lines(stdout: &str) -> BTreeMap<String, Value> {
    stdout
        .lines()
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            (
                v["message"]
                    .as_str()
                    .map_or_else(|| v["message"].to_string(), str::to_owned),
                v,
            )
        })
        .collect()
}

/// (kind, permanent, temporary, subscriber, action) per fixture.
/// kind, permanent, temporary, subscriber, action.
type Expected = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    Option<&'static str>,
    &'static str,
);

fn expected() -> Vec<Expected> {
    vec![
        // The VERP tag names Ada although the report names her forward.
        (
            "postfix-verp.eml",
            "dsn",
            &["ada.lovelace@forward.example"],
            &[],
            Some("ada@example.org"),
            "bounced",
        ),
        // Exim, free text; the quoted original's Message-ID carries Bob's tag.
        (
            "exim.eml",
            "dsn",
            &["bob@example.net"],
            &[],
            Some("bob@example.net"),
            "counted",
        ),
        // Office 365: only the report's Final-Recipient, in another case.
        (
            "exchange.eml",
            "dsn",
            &["carla@example.com"],
            &[],
            Some("Carla@Example.com"),
            "counted",
        ),
        // Gmail, original as text/rfc822-headers with our Message-ID.
        (
            "gmail.eml",
            "dsn",
            &["dirk@gmail.example"],
            &[],
            Some("dirk@gmail.example"),
            "counted",
        ),
        // qmail, free text; the quoted original has our List-Id.
        (
            "qmail.eml",
            "dsn",
            &["eve@qmail.example"],
            &[],
            Some("eve@qmail.example"),
            "counted",
        ),
        (
            "arf.eml",
            "arf",
            &[],
            &[],
            Some("fay@example.org"),
            "unsubscribed",
        ),
        ("vacation.eml", "autoreply", &[], &[], None, "none"),
        // Mailbox full: recorded, not counted.
        (
            "transient.eml",
            "dsn",
            &[],
            &["hal@example.org"],
            Some("hal@example.org"),
            "none",
        ),
        // ISO-8859-1, quoted-printable, GroupWise's layout.
        (
            "groupwise-latin1.eml",
            "dsn",
            &["ida@example.org"],
            &[],
            Some("ida@example.org"),
            "counted",
        ),
        // Cut off in the middle of the returned original.
        (
            "truncated.eml",
            "dsn",
            &["jan@example.org"],
            &[],
            Some("jan@example.org"),
            "counted",
        ),
        ("reply.eml", "other", &[], &[], None, "none"),
        // A free-text address alone identifies nobody.
        (
            "freetext-only.eml",
            "dsn",
            &["kim@example.org"],
            &[],
            None,
            "none",
        ),
        (
            "yahoo.eml",
            "dsn",
            &["lea@yahoo.example"],
            &[],
            Some("lea@yahoo.example"),
            "counted",
        ),
        (
            "aol.eml",
            "dsn",
            &["max@aol.example"],
            &[],
            Some("max@aol.example"),
            "counted",
        ),
        // A complaint about an address that is not on the list.
        ("forged-arf.eml", "arf", &[], &[], None, "none"),
    ]
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                walk(base, &e.path(), out);
            } else {
                let rel = e.path().strip_prefix(base).unwrap().display().to_string();
                out.insert(rel, fs::read(e.path()).unwrap());
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// Runs other arguments in the same temp dir, expecting `code`.
fn run_in(pb: &Postbode, args: &[&str], code: i32) -> common::Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_postbode"))
        .current_dir(pb.path())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let run = common::Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    };
    assert_eq!(run.code, code, "{args:?}\n{}\n{}", run.stdout, run.stderr);
    run
}

#[test]
fn dry_run_reports_each_kind_and_changes_nothing() {
    let pb = setup("").args(["bounces", "--maildir", "mail", "--dry-run", "--json"]);
    let before = snapshot(pb.path());
    let run = pb.succeeds();
    let got = lines(&run.stdout);
    assert_eq!(got.len(), expected().len(), "{}", run.stdout);
    for (name, kind, permanent, temporary, subscriber, action) in expected() {
        let v = &got[name];
        assert_eq!(v["kind"], kind, "{name}: {v}");
        assert_eq!(v["permanent"], serde_json::json!(permanent), "{name}: {v}");
        assert_eq!(v["temporary"], serde_json::json!(temporary), "{name}: {v}");
        assert_eq!(
            v["subscriber"],
            serde_json::json!(subscriber),
            "{name}: {v}"
        );
        assert_eq!(v["action"], action, "{name}: {v}");
    }
    assert!(
        run.stderr
            .contains("dry run: nothing changed, nothing moved"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(pb.path()), before, "a dry run changes no file");
}

#[test]
fn a_digest_with_its_own_list_id_finds_its_bounces_by_it() {
    // qmail.eml quotes `List-Id: <weekly.leestmeer.example.org>`: here the
    // site's list is another, and the weekly digest sets that id itself.
    let site = SENDER.replace("weekly.leestmeer.example.org", "news.example.net");
    let found = "qmail.eml: dsn: eve@qmail.example: permanent failure (5.1.1, List-Id and address)";
    let run = |digest: &str| {
        setup_with(&format!(
            "{site}\n[digests.weekly]\ncron = \"0 8 * * MON\"\n{digest}"
        ))
        .args(["bounces", "--maildir", "mail", "--dry-run"])
        .succeeds()
        .stderr
    };
    let own = run("list_id = \"weekly.leestmeer.example.org\"\n");
    assert!(own.contains(found), "{own}");
    let other = run("list_id = \"weekly.example.net\"\n");
    assert!(!other.contains(found), "{other}");
    assert!(other.contains("qmail.eml: dsn: "), "{other}");
}

#[test]
fn handled_mail_moves_and_the_list_changes() {
    let pb = setup("").args(["bounces", "--maildir", "mail"]);
    let untouched: Vec<(String, Vec<u8>)> = [
        "vacation.eml",
        "reply.eml",
        "freetext-only.eml",
        "forged-arf.eml",
    ]
    .iter()
    .map(|n| {
        (
            n.to_string(),
            fs::read(pb.path().join("mail/new").join(n)).unwrap(),
        )
    })
    .collect();
    let run = pb.succeeds();
    // One clear line per message, naming how the reader was found.
    for line in [
        "postfix-verp.eml: dsn: ada@example.org: permanent failure (5.1.1, return path): now `bounced` after 2 bounces",
        "exim.eml: dsn: bob@example.net: permanent failure (5.1.1, Message-ID): bounce 1 counted",
        "exchange.eml: dsn: Carla@Example.com: permanent failure (5.1.10, reported address)",
        "qmail.eml: dsn: eve@qmail.example: permanent failure (5.1.1, List-Id and address)",
        "arf.eml: arf: fay@example.org: spam complaint: unsubscribed",
        "transient.eml: dsn: hal@example.org: transient failure (4.2.2) recorded, not counted",
        "freetext-only.eml: dsn: delivery report for `kim@example.org`, not matched to a subscriber; left in place",
        "forged-arf.eml: arf: complaint about nobody on the list; left in place",
        "vacation.eml: autoreply: auto-reply: ignored, left in place",
        "reply.eml: other: not a bounce; left in place",
        "11 moved to `processed`",
    ] {
        assert!(run.stderr.contains(line), "missing `{line}` in:\n{}", run.stderr);
    }
    // What was not handled is exactly where and as it was.
    for (name, bytes) in &untouched {
        assert_eq!(
            &fs::read(pb.path().join("mail/new").join(name)).unwrap(),
            bytes,
            "{name}"
        );
    }
    let new: Vec<_> = fs::read_dir(pb.path().join("mail/new")).unwrap().collect();
    assert_eq!(new.len(), 4);
    let processed = pb.path().join("mail/.processed/cur");
    assert!(processed.join("postfix-verp.eml:2,S").is_file());
    assert_eq!(fs::read_dir(&processed).unwrap().count(), 11);

    let list =
        postbode::subscribers::load(&pb.path().join("subscribers/subscribers.yaml")).unwrap();
    let get = |e: &str| list.iter().find(|s| s.email == e).unwrap().clone();
    use postbode::subscribers::Status;
    assert_eq!(
        (
            get("ada@example.org").status,
            get("ada@example.org").bounces
        ),
        (Status::Bounced, 2)
    );
    assert_eq!(
        (
            get("bob@example.net").status,
            get("bob@example.net").bounces
        ),
        (Status::Active, 1)
    );
    assert_eq!(get("Carla@Example.com").bounces, 1);
    assert_eq!(get("fay@example.org").status, Status::Unsubscribed);
    assert_eq!(
        get("hal@example.org").bounces,
        0,
        "a transient failure is not counted"
    );
    assert_eq!(
        get("kim@example.org").bounces,
        0,
        "free text alone acts on nobody"
    );
    assert_eq!(get("gus@example.org").bounces, 0);

    // `list --status bounced` says why.
    let listed = run_in(&pb, &["subscribers", "list", "--status", "bounced"], 0);
    let row = listed
        .stdout
        .lines()
        .find(|l| l.starts_with("ada@example.org"))
        .unwrap();
    assert!(row.ends_with("5.1.1 2026-11-23"), "{}", listed.stdout);
    assert!(listed.stdout.starts_with("EMAIL") && listed.stdout.contains("LAST REPORT"));
    let json = run_in(
        &pb,
        &["subscribers", "list", "--status", "unsubscribed", "--json"],
        0,
    );
    assert_eq!(
        json.json()[0]["last_report"]["kind"],
        "complaint",
        "{}",
        json.stdout
    );

    // Again: the rest is still left alone, nothing is counted twice.
    let again = pb.succeeds();
    assert!(
        again
            .stderr
            .contains("4 messages: 0 counted, 0 bounced, 0 unsubscribed"),
        "{}",
        again.stderr
    );
}

#[test]
fn transient_failures_count_once_they_last_soft_days() {
    let dsn = |date: &str| {
        let text = fs::read_to_string(fixtures().join("bounces/mail/transient.eml")).unwrap();
        text.replace("Tue, 24 Nov 2026 08:00:07 +0100 (CET)", date)
    };
    let pb = setup("[bounces]\nsoft_days = 14\n");
    for d in ["new", "cur"] {
        for e in fs::read_dir(pb.path().join("mail").join(d))
            .unwrap()
            .flatten()
        {
            fs::remove_file(e.path()).unwrap();
        }
    }
    let pb = pb
        .file("mail/new/1.eml", dsn("Mon, 02 Nov 2026 08:00:00 +0100"))
        .file("mail/new/2.eml", dsn("Mon, 09 Nov 2026 08:00:00 +0100"))
        .file("mail/new/3.eml", dsn("Tue, 17 Nov 2026 08:00:00 +0100"))
        .args(["bounces", "--maildir", "mail", "--json"]);
    let got = lines(&pb.succeeds().stdout);
    assert_eq!(got["1.eml"]["action"], "none");
    assert_eq!(got["2.eml"]["action"], "none");
    assert_eq!(
        got["3.eml"]["action"], "counted",
        "15 days of transient failures count"
    );
    let list =
        postbode::subscribers::load(&pb.path().join("subscribers/subscribers.yaml")).unwrap();
    assert_eq!(
        list.iter()
            .find(|s| s.email == "hal@example.org")
            .unwrap()
            .bounces,
        1
    );
}

#[test]
fn an_mbox_is_read_and_never_rewritten() {
    let mut mbox = Vec::new();
    for name in ["exim.eml", "reply.eml", "arf.eml"] {
        mbox.extend_from_slice(b"From MAILER-DAEMON Mon Nov 23 08:00:00 2026\n");
        mbox.extend(fs::read(fixtures().join("bounces/mail").join(name)).unwrap());
        mbox.extend_from_slice(b"\n");
    }
    let pb =
        setup("")
            .file("bounces.mbox", &mbox)
            .args(["bounces", "--mbox", "bounces.mbox", "--json"]);
    let run = pb.succeeds();
    let got = lines(&run.stdout);
    assert_eq!(got["1"]["subscriber"], "bob@example.net");
    assert_eq!(got["2"]["kind"], "other");
    assert_eq!(got["3"]["action"], "unsubscribed");
    assert!(
        run.stderr.contains("the mbox file is left as it is"),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read(pb.path().join("bounces.mbox")).unwrap(), mbox);
    // Read again, nothing counts twice.
    let again = lines(&pb.succeeds().stdout);
    assert_eq!(again["1"]["action"], "none");
    let list =
        postbode::subscribers::load(&pb.path().join("subscribers/subscribers.yaml")).unwrap();
    assert_eq!(
        list.iter()
            .find(|s| s.email == "bob@example.net")
            .unwrap()
            .bounces,
        1
    );
}

#[test]
fn bad_input_gets_a_line_and_stops_nothing() {
    // A report with a 30 MB attachment, in 76-character base64 lines.
    let mut huge = b"From: MAILER-DAEMON@mx.example.org\nTo: digest@leestmeer.example.org\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n<gone@example.org>: host mx said: 550 5.1.1 unknown\n\n--B\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n".to_vec();
    while huge.len() < 30 * 1024 * 1024 {
        huge.extend_from_slice(&[b'Q'; 76]);
        huge.push(b'\n');
    }
    huge.extend_from_slice(b"--B--\n");
    let pb = setup("")
        .file("mail/new/huge.eml", &huge)
        .file("mail/new/empty.eml", "")
        .file("mail/new/binary.eml", [0u8, 159, 146, 150, 255, 0, 1, 2])
        .args(["bounces", "--maildir", "mail", "--json"]);
    let run = pb.succeeds();
    let got = lines(&run.stdout);
    assert_eq!(got["huge.eml"]["kind"], "dsn");
    assert_eq!(
        got["huge.eml"]["permanent"],
        serde_json::json!(["gone@example.org"])
    );
    assert_eq!(got["empty.eml"]["kind"], "other");
    assert_eq!(got["binary.eml"]["kind"], "other");
    assert!(
        run.stderr
            .contains("empty.eml: other: cannot be read as a message; left in place"),
        "{}",
        run.stderr
    );
    for n in ["huge.eml", "empty.eml", "binary.eml"] {
        assert!(pb.path().join("mail/new").join(n).is_file(), "{n} stays");
    }
    // A missing Maildir is an error naming it.
    let missing = run_in(&pb, &["bounces", "--maildir", "nope"], 1);
    assert!(
        missing
            .stderr
            .contains("cannot read the mailbox `nope/new`"),
        "{}",
        missing.stderr
    );
}

#[test]
fn each_reader_gets_a_return_path_and_its_bounce_finds_them() {
    let server = SmtpServer::start(Faults::default());
    let pb = setup(&format!(
        "transport = \"smtp\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\ntimeout_secs = 5\n",
        server.port
    ))
    .site("digest_nl")
    .args(["send", "--since", "2026-11-16", "--until", "2026-11-23"]);
    pb.succeeds();
    let messages = server.messages();
    assert_eq!(messages.len(), 13);
    let mut froms = std::collections::HashSet::new();
    let mut ada = None;
    for m in &messages {
        let tag = m
            .from
            .strip_prefix("bounces+")
            .and_then(|r| r.strip_suffix("@leestmeer.example.org"))
            .unwrap_or_else(|| panic!("MAIL FROM {}", m.from));
        assert!(
            tag.len() == 16 && tag.bytes().all(|b| b.is_ascii_hexdigit()),
            "{tag}"
        );
        assert!(froms.insert(tag.to_owned()), "one return path per reader");
        assert!(
            m.data.contains(&format!("Return-Path: <{}>", m.from)),
            "Return-Path header"
        );
        let id = m
            .data
            .lines()
            .find(|l| l.starts_with("Message-ID:"))
            .unwrap();
        assert!(
            id.contains(&format!(".{tag}.")),
            "the Message-ID carries the tag: {id}"
        );
        assert!(!id.contains(&m.to[0]), "the Message-ID names no address");
        if m.to[0] == "ada@example.org" {
            ada = Some(m.from.clone());
        }
    }
    // A report to Ada's return path, naming an address we never sent to.
    let ada = ada.unwrap();
    let report = format!(
        "From: MAILER-DAEMON@relay.example\nTo: {ada}\nSubject: Undelivered Mail Returned to Sender\nDate: Mon, 23 Nov 2026 09:00:00 +0100\n\n<somebody@rewritten.example>: host mx said: 550 5.1.1 no such user\n"
    );
    fs::remove_dir_all(pb.path().join("mail")).unwrap();
    let pb = pb
        .file("mail/new/r.eml", report)
        .file("mail/cur/.keep", "")
        .args(["bounces", "--maildir", "mail", "--json"]);
    let got = lines(&pb.succeeds().stdout);
    assert_eq!(got["r.eml"]["subscriber"], "ada@example.org");
    assert_eq!(
        got["r.eml"]["permanent"],
        serde_json::json!(["somebody@rewritten.example"])
    );
    assert_eq!(got["r.eml"]["action"], "bounced");
}

#[test]
fn send_if_due_reads_the_bounce_box_first_and_goes_on_without_it() {
    let pb = setup(&format!(
        "[schedule]\ncron = \"0 8 * * MON\"\n[bounces]\nimap_host = \"127.0.0.1\"\nimap_port = {}\nimap_user = \"bounces\"\n",
        dead_port()
    ))
    .env("POSTBODE_IMAP_PASSWORD", "x")
    .args(["send", "--if-due"]);
    let run = pb.run();
    assert!(
        run.stderr
            .contains("warning: bounces were not read: IMAP `127.0.0.1:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("cannot connect"), "{}", run.stderr);
}

/// Every message of the dev set (and of the per-format fixtures) gives
/// exactly the expected `permanent` and `temporary` lists.
#[test]
fn dev_set_addresses_are_exact() {
    let dir = fixtures().join("bounces/devset");
    let expected: serde_json::Map<String, Value> =
        serde_json::from_str(&fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    assert!(expected.len() >= 45, "{}", expected.len());
    let mut wrong = Vec::new();
    for (name, want) in &expected {
        let report = postbode::bounces::classify(&fs::read(dir.join(name)).unwrap());
        let got = serde_json::json!({"permanent": report.permanent, "temporary": report.temporary});
        if got != *want {
            wrong.push(format!("{name}: got {got}, want {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
