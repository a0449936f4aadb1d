//! `postbode send` against a real SMTP server on loopback: headers, one
//! message per subscriber, STARTTLS and AUTH, 4xx and 5xx replies, dropped
//! connections, a dead server, a second concurrent send, and SIGKILL in
//! the middle of a delivery followed by a resume.

use crate::common;

use std::collections::HashSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::smtp::{dead_port, reader, subscribers_yaml, test_certificate, Faults, SmtpServer};
use common::Postbode;

const WEEK: [&str; 5] = ["send", "--since", "2026-11-16", "--until", "2026-11-23"];

const SENDER: &str = r#"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
list_id = "weekly.leestmeer.example.org"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"
"#;

/// A temp site with the week's posts, `n` subscribers, and SMTP to `port`.
fn setup(n: usize, port: u16, smtp_extra: &str) -> Postbode {
    Postbode::new()
        .site("digest_nl")
        .config(&smtp_config(port, smtp_extra))
        .file("subscribers/subscribers.yaml", subscribers_yaml(n, &[]))
}

fn smtp_config(port: u16, smtp_extra: &str) -> String {
    format!(
        "{SENDER}\n[delivery]\ntransport = \"smtp\"\n\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nconnections = 4\ntimeout_secs = 5\n{smtp_extra}\n"
    )
}

fn header<'a>(eml: &'a str, name: &str) -> Option<&'a str> {
    let head = eml.split("\r\n\r\n").next()?;
    head.split("\r\n")
        .find(|l| {
            l.len() > name.len()
                && l[..name.len()].eq_ignore_ascii_case(name)
                && l[name.len()..].starts_with(':')
        })
        .map(|l| l[name.len() + 1..].trim())
}

fn journal_lines(pb: &Postbode) -> Vec<String> {
    let editions = pb.path().join("state/editions");
    let mut out = Vec::new();
    for e in std::fs::read_dir(editions).unwrap().flatten() {
        if let Ok(text) = std::fs::read_to_string(e.path().join("journal.log")) {
            out.extend(text.lines().map(str::to_owned));
        }
    }
    out
}

#[test]
fn one_message_per_subscriber_with_list_headers() {
    let server = SmtpServer::start(Faults::default());
    let pb = setup(30, server.port, "").args(WEEK);
    let run = pb.succeeds();
    assert!(
        run.stdout
            .contains("delivered 30, failed permanently 0, still pending 0"),
        "{}",
        run.stdout
    );

    let messages = server.messages();
    assert_eq!(messages.len(), 30);
    let mut ids = HashSet::new();
    for m in &messages {
        assert_eq!(m.to.len(), 1, "one recipient per message");
        assert_eq!(m.from, "digest@leestmeer.example.org");
        let to = header(&m.data, "To").unwrap();
        assert!(to.contains(&m.to[0]), "To: {to} for {}", m.to[0]);
        assert!(header(&m.data, "Content-Type")
            .unwrap()
            .starts_with("multipart/alternative"));
        assert_eq!(
            header(&m.data, "List-Id"),
            Some("<weekly.leestmeer.example.org>")
        );
        let unsub = header(&m.data, "List-Unsubscribe").unwrap();
        assert!(
            unsub.starts_with("<https://leestmeer.example.org/afmelden/"),
            "{unsub}"
        );
        assert_eq!(
            header(&m.data, "List-Unsubscribe-Post"),
            Some("List-Unsubscribe=One-Click")
        );
        assert!(header(&m.data, "Date").is_some());
        assert!(
            ids.insert(header(&m.data, "Message-ID").unwrap().to_owned()),
            "Message-IDs are unique"
        );
        // The visible unsubscribe link carries the same token as the header.
        let token = unsub.trim_end_matches('>').rsplit('/').next().unwrap();
        assert!(m.data.contains(token), "the body links the token");
    }
    assert_eq!(
        journal_lines(&pb)
            .iter()
            .filter(|l| l.starts_with("delivered\t"))
            .count(),
        30
    );

    // A window is delivered once.
    let again = pb.fails(1);
    assert!(
        again.stderr.contains("already delivered"),
        "{}",
        again.stderr
    );
    assert_eq!(server.messages().len(), 30);
}

#[test]
fn starttls_with_auth() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = test_certificate(dir.path());
    let faults = Faults {
        auth: Some(("digest".into(), "s3cret pass".into())),
        ..Faults::default()
    };
    let server = SmtpServer::start_with(faults, Some((&cert, &key)));
    let extra = format!(
        "security = \"starttls\"\nusername = \"digest\"\npassword_env = \"TEST_SMTP_PW\"\ntls_ca_file = \"{}\"\n",
        cert.display()
    );
    let config = smtp_config(server.port, "").replace("security = \"none\"\n", "") + &extra;
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&config)
        .file("subscribers/subscribers.yaml", subscribers_yaml(5, &[]))
        .env("TEST_SMTP_PW", "s3cret pass")
        .args(WEEK);
    let run = pb.succeeds();
    assert!(run.stdout.contains("delivered 5,"), "{}", run.stdout);
    assert_eq!(server.messages().len(), 5);
    assert!(!server.logins().is_empty());
    assert!(!run.stdout.contains("s3cret") && !run.stderr.contains("s3cret"));

    // A wrong password stops the run before anything is sent, and says why.
    let pb = pb.env("TEST_SMTP_PW", "wrong");
    let other_week = ["send", "--since", "2026-11-15", "--until", "2026-11-23"];
    let run = pb.args(other_week).fails(1);
    assert!(run.stderr.contains("login as `digest`"), "{}", run.stderr);
    assert!(run.stderr.contains("still pending"), "{}", run.stderr);
    assert!(!run.stderr.contains("wrong"));
}

#[test]
fn starttls_required_but_not_offered_is_refused() {
    let server = SmtpServer::start(Faults::default());
    let config =
        smtp_config(server.port, "").replace("security = \"none\"", "security = \"starttls\"");
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&config)
        .file("subscribers/subscribers.yaml", subscribers_yaml(3, &[]))
        .args(WEEK);
    let run = pb.fails(1);
    assert!(
        run.stderr.contains("does not offer STARTTLS"),
        "{}",
        run.stderr
    );
    assert!(server.messages().is_empty());
}

#[test]
fn deferred_are_retried_rejected_bounce() {
    let faults = Faults {
        defer_once: [reader(1), reader(2)].into_iter().collect(),
        reject: [reader(3)].into_iter().collect(),
        ..Faults::default()
    };
    let server = SmtpServer::start(faults);
    let pb = setup(10, server.port, "").args(WEEK);
    let run = pb.succeeds();
    assert!(
        run.stdout
            .contains("delivered 9, failed permanently 1, still pending 0"),
        "{}",
        run.stdout
    );
    let per = server.per_recipient();
    assert_eq!(per.get(&reader(1)), Some(&1));
    assert_eq!(per.get(&reader(2)), Some(&1));
    assert_eq!(server.rcpt_attempts(&reader(1)), 2, "451 is retried");
    assert_eq!(per.get(&reader(3)), None);
    assert_eq!(server.rcpt_attempts(&reader(3)), 1, "550 is not retried");
    assert!(
        run.stderr.contains(&format!("{}: refused: 550", reader(3))),
        "{}",
        run.stderr
    );

    let list = std::fs::read_to_string(pb.path().join("subscribers/subscribers.yaml")).unwrap();
    let entry = list
        .split("- email:")
        .find(|e| e.contains(&reader(3)))
        .unwrap();
    assert!(entry.contains("bounces: 1"), "{entry}");
    assert!(entry.contains("status: active"), "{entry}");
}

#[test]
fn bounce_limit_marks_subscriber_bounced() {
    let faults = Faults {
        reject: [reader(0)].into_iter().collect(),
        ..Faults::default()
    };
    let server = SmtpServer::start(faults);
    let config =
        smtp_config(server.port, "").replace("[delivery]\n", "[delivery]\nbounce_limit = 1\n");
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&config)
        .file("subscribers/subscribers.yaml", subscribers_yaml(2, &[]))
        .args(WEEK);
    let run = pb.succeeds();
    assert!(run.stderr.contains("is now `bounced`"), "{}", run.stderr);
    let list = pb
        .args(["subscribers", "list", "--status", "bounced", "--json"])
        .succeeds();
    assert!(list.stdout.contains(&reader(0)), "{}", list.stdout);
}

#[test]
fn dropped_connections_are_retried() {
    let server = SmtpServer::start(Faults::default());
    let proxy = common::smtp::dropping_proxy(server.port, 3);
    let pb = setup(12, proxy, "").args(WEEK);
    let run = pb.succeeds();
    assert!(run.stdout.contains("delivered 12,"), "{}", run.stdout);
    let per = server.per_recipient();
    assert_eq!(per.len(), 12);
    assert!(per.values().all(|&n| n == 1), "{per:?}");
}

#[test]
fn dead_server_leaves_everyone_pending_then_resumes() {
    let pb = setup(6, dead_port(), "max_retries = 1").args(WEEK);
    let run = pb.fails(1);
    assert!(
        run.stderr.contains("6 recipients are still pending"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("cannot connect"), "{}", run.stderr);
    assert!(journal_lines(&pb).is_empty());

    // The server is back: `send` (no flags) resumes the same edition.
    let server = SmtpServer::start(Faults::default());
    let pb = pb.config(&smtp_config(server.port, "")).args(["send"]);
    let run = pb.succeeds();
    assert!(
        run.stderr
            .contains("resuming edition 20261115T230000Z--20261122T230000Z"),
        "{}",
        run.stderr
    );
    assert_eq!(server.messages().len(), 6);
}

#[test]
fn second_concurrent_send_refuses_to_start() {
    let server = SmtpServer::start(Faults::default());
    let pb = setup(40, server.port, "rate_limit = 20").args(WEEK);
    let mut first = pb
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first one holds the lock and has started sending.
    let start = Instant::now();
    while server.messages().is_empty() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = pb.fails(1);
    assert!(
        second.stderr.contains("another delivery is running"),
        "{}",
        second.stderr
    );
    assert!(first.wait().unwrap().success());
    assert_eq!(server.messages().len(), 40);
}

#[test]
fn dry_run_and_test_send_change_nothing() {
    let server = SmtpServer::start(Faults::default());
    let pb = setup(8, server.port, "").args([
        "send",
        "--dry-run",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-23",
    ]);
    let run = pb.succeeds();
    assert!(run.stdout.contains("8 messages"), "{}", run.stdout);
    assert!(server.messages().is_empty());
    let pb = pb.args([
        "send",
        "--to",
        "editor@example.net",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-23",
    ]);
    let run = pb.succeeds();
    assert!(run.stdout.contains("editor@example.net"), "{}", run.stdout);
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, ["editor@example.net"]);
    assert!(
        !pb.path().join("state/editions").exists(),
        "no edition stored"
    );
}

#[test]
fn empty_window_sends_nothing() {
    let server = SmtpServer::start(Faults::default());
    let pb =
        setup(3, server.port, "").args(["send", "--since", "2020-01-01", "--until", "2020-01-08"]);
    let run = pb.succeeds();
    assert!(run.stderr.contains("nothing to send"), "{}", run.stderr);
    assert!(server.messages().is_empty());
}

#[test]
fn only_active_subscribers_with_posts_in_their_categories_get_mail() {
    let server = SmtpServer::start(Faults::default());
    let list = format!(
        "subscribers:\n  - email: \"sport@example.org\"\n    categories: [\"sport\"]\n    token: \"{a}\"\n  - email: \"cooking@example.org\"\n    categories: [\"koken\"]\n    token: \"{b}\"\n  - email: \"gone@example.org\"\n    status: unsubscribed\n    token: \"{c}\"\n  - email: \"waiting@example.org\"\n    status: pending\n    token: \"{d}\"\n",
        a = "1".repeat(32),
        b = "2".repeat(32),
        c = "3".repeat(32),
        d = "4".repeat(32)
    );
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&smtp_config(server.port, ""))
        .file("subscribers/subscribers.yaml", list)
        .args(WEEK);
    let run = pb.succeeds();
    assert!(run.stdout.contains("delivered 1,"), "{}", run.stdout);
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, ["sport@example.org"]);
}

/// Kill `send` with SIGKILL at several moments of a 1,000-recipient
/// delivery, then resume until it finishes: every recipient gets the
/// digest, and nobody gets it twice except in SMTP's own window (the
/// server accepted, the process died before reading the reply), at most
/// once per kill, and then with the same Message-ID.
#[test]
fn sigkill_mid_delivery_then_resume() {
    let server = SmtpServer::start(Faults::default());
    let pb = setup(1000, server.port, "rate_limit = 400").args(WEEK);
    let mut kills = 0;
    for delay_ms in [250u64, 700, 1200] {
        let mut child = pb
            .command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let before = server.messages().len();
        let start = Instant::now();
        // Wait for delivery to be under way in this run, then let it go on a bit.
        while server.messages().len() == before && start.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        let got = server.messages().len();
        assert!(got > before, "the run sent something before the kill");
    }
    assert!(kills >= 2, "the runs were killed mid-delivery");
    let pb = pb.args(["send"]);
    let run = pb.succeeds();
    assert!(run.stderr.contains("resuming edition"), "{}", run.stderr);

    let messages = server.messages();
    let per = server.per_recipient();
    assert_eq!(per.len(), 1000, "every recipient got the digest");
    let doubles: Vec<_> = per
        .iter()
        .filter(|(_, &n)| n > 1)
        .map(|(e, _)| e.clone())
        .collect();
    assert!(
        doubles.len() <= kills,
        "at most one double per kill: {doubles:?}"
    );
    for email in &doubles {
        let ids: HashSet<_> = messages
            .iter()
            .filter(|m| m.to.contains(email))
            .map(|m| header(&m.data, "Message-ID").unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 1, "a double carries the same Message-ID");
    }
    // The journal has exactly one line per recipient: a double is one the
    // killed run never got to journal.
    let delivered = journal_lines(&pb)
        .iter()
        .filter(|l| l.starts_with("delivered\t"))
        .count();
    assert_eq!(delivered, 1000);
}

/// SIGTERM to `postbode run` in the middle of a scheduled delivery: the
/// messages in flight are finished and journaled, the process exits 0, and
/// the next `send` resumes the same edition; every reader gets exactly one.
#[test]
fn sigterm_during_a_scheduled_delivery_then_resume() {
    use chrono::{Duration as Days, Utc};

    let server = SmtpServer::start(Faults::default());
    let yesterday = Utc::now() - Days::days(1);
    let pb = setup(300, server.port, "rate_limit = 100").file(
        &format!("site/_posts/{}-recent.md", yesterday.format("%Y-%m-%d")),
        format!(
            "---\ntitle: A recent post\ndate: {}\n---\nSomething happened.\n",
            yesterday.to_rfc3339()
        ),
    );
    // The schedule's clock two seconds before a Monday 08:00 well ahead.
    let tz: chrono_tz::Tz = "Europe/Amsterdam".parse().unwrap();
    let monday = postbode::schedule::Schedule::new("0 8 * * MON", tz)
        .unwrap()
        .next_after(Utc::now() + Days::days(400))
        .unwrap();
    let mut child = pb
        .command()
        .env("POSTBODE_NOW", (monday - Days::seconds(2)).to_rfc3339())
        .args(["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while server.messages().len() < 20 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: `kill` with our own child's pid and a valid signal.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "`run` exits cleanly on SIGTERM");

    let received = server.messages().len();
    assert!(
        received > 0 && received < 300,
        "stopped mid-delivery: {received}"
    );
    // Nothing in flight was lost: whatever arrived is journaled.
    let journaled = journal_lines(&pb)
        .iter()
        .filter(|l| l.starts_with("delivered\t"))
        .count();
    assert_eq!(journaled, received);

    let pb = pb.args(["send"]);
    let run = pb.succeeds();
    assert!(run.stderr.contains("resuming edition"), "{}", run.stderr);
    let per = server.per_recipient();
    assert_eq!(per.len(), 300);
    assert!(per.values().all(|&n| n == 1), "nobody got it twice");
}

/// A refused sender is the sender's problem, not the readers': the run
/// stops at once, nobody is journaled and nobody collects a bounce.
#[test]
fn refused_sender_stops_without_bouncing_anyone() {
    let server = SmtpServer::start(Faults {
        refuse_sender: true,
        ..Faults::default()
    });
    let pb = setup(6, server.port, "").args(WEEK);
    let run = pb.fails(1);
    assert!(
        run.stderr
            .contains("refuses the sender `digest@leestmeer.example.org`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("6 recipients are still pending"),
        "{}",
        run.stderr
    );
    assert!(journal_lines(&pb).iter().all(|l| !l.starts_with("failed")));
    let list = std::fs::read_to_string(pb.path().join("subscribers/subscribers.yaml")).unwrap();
    assert!(!list.contains("bounces: 1"), "{list}");
}

/// When every message is refused and none accepted (a relay refusing all
/// recipients, blocked content), delivery stops after a few instead of
/// bouncing the whole list.
#[test]
fn everything_refused_stops_early() {
    let faults = Faults {
        reject: (0..60).map(reader).collect(),
        ..Faults::default()
    };
    let server = SmtpServer::start(faults);
    let config = smtp_config(server.port, "").replace("connections = 4", "connections = 1");
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&config)
        .file("subscribers/subscribers.yaml", subscribers_yaml(60, &[]))
        .args(WEEK);
    let run = pb.fails(1);
    assert!(
        run.stderr
            .contains("refused 10 messages in a row and accepted none"),
        "{}",
        run.stderr
    );
    let failed = journal_lines(&pb)
        .iter()
        .filter(|l| l.starts_with("failed\t"))
        .count();
    assert_eq!(failed, 10, "only the first ten are journaled as refused");
    assert!(
        run.stderr.contains("50 recipients are still pending"),
        "{}",
        run.stderr
    );
}

/// A hand-added entry without a token gets one before the first message
/// carries it: the unsubscribe link in the mail is the token now stored.
#[test]
fn a_hand_added_entry_gets_its_token_saved_before_sending() {
    let server = SmtpServer::start(Faults::default());
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&smtp_config(server.port, ""))
        .file(
            "subscribers/subscribers.yaml",
            "subscribers:\n  - email: \"hand@example.org\"\n",
        )
        .args(WEEK);
    pb.succeeds();
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let link = header(&messages[0].data, "List-Unsubscribe").unwrap();
    let token = link.trim_end_matches('>').rsplit('/').next().unwrap();
    let list = std::fs::read_to_string(pb.path().join("subscribers/subscribers.yaml")).unwrap();
    assert!(
        list.contains(&format!("token: \"{token}\"")),
        "{list}\n{link}"
    );
}

/// The `sendmail` transport hands each message to the `sendmail` program on
/// the PATH (here a stand-in that files what it gets, with its arguments).
#[test]
fn sendmail_transport_pipes_each_message() {
    use std::os::unix::fs::PermissionsExt;

    let pb = Postbode::new()
        .site("digest_nl")
        .config(&format!("{SENDER}\n[delivery]\ntransport = \"sendmail\"\n"))
        .file("subscribers/subscribers.yaml", subscribers_yaml(3, &[]))
        .file(
            "bin/sendmail",
            "#!/bin/sh\nmkdir -p \"$SENDMAIL_OUT\"\nn=$(ls \"$SENDMAIL_OUT\" | grep -c eml)\necho \"$@\" > \"$SENDMAIL_OUT/$n.args\"\ncat > \"$SENDMAIL_OUT/$n.eml\"\n",
        );
    let script = pb.path().join("bin/sendmail");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        pb.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = pb.path().join("piped");
    let pb = pb
        .env("PATH", &path)
        .env("SENDMAIL_OUT", out.to_str().unwrap())
        .args(WEEK);
    let run = pb.succeeds();
    assert!(run.stdout.contains("delivered 3,"), "{}", run.stdout);
    let mut args: Vec<String> = (0..3)
        .map(|n| std::fs::read_to_string(out.join(format!("{n}.args"))).unwrap())
        .collect();
    args.sort();
    assert_eq!(
        args[0].trim(),
        format!("-i -f digest@leestmeer.example.org -- {}", reader(0))
    );
    let eml = std::fs::read_to_string(out.join("0.eml")).unwrap();
    assert!(header(&eml, "List-Unsubscribe").is_some(), "{eml}");
}
