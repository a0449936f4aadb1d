//! The SQLite store (`subscribers.file` ending in `.sqlite` or `.db`): the
//! same commands with the same output as the YAML store, `migrate` both
//! ways without loss, and `send` and `check` on it.

use crate::common;

use std::fs;

use common::smtp::{reader, subscribers_yaml};
use common::Postbode;
use serde_json::Value;

const YAML: &str = "subscribers/subscribers.yaml";
const DB: &str = "subscribers/subscribers.sqlite";
const WEEK: [&str; 5] = ["send", "--since", "2026-11-16", "--until", "2026-11-23"];

const SENDER: &str = r#"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"

[delivery]
transport = "file"
"#;

fn sqlite_config() -> String {
    format!("{SENDER}\n[subscribers]\nfile = \"{DB}\"\n")
}

/// A list in postbode's layout with every kind of field, written by hand.
const VARIED: &str = r#"subscribers:
  - email: "Ada@Example.org"
    name: "Ada \"the first\" Lovelace"
    categories: ["Tech", "nieuws"]
    status: active
    subscribed_at: 2026-11-16T08:00:00+01:00
    bounces: 1
    token: "0123456789abcdef0123456789abcdef"
  - email: "zoë@bücher.example"
    categories: []
    status: unsubscribed
    subscribed_at: 2026-01-02T03:04:05Z
    unsubscribed_at: 2026-11-20T10:00:00.5+02:00
    bounces: 0
    token: "fedcba9876543210fedcba9876543210"
  - email: "bob@example.org"
    name: "Bob \\ Ünïcode ✓"
    categories: ["sport"]
    status: bounced
    bounces: 3
    token: "00000000000000000000000000000001"
  - email: "pending@example.org"
    categories: []
    status: pending
    subscribed_at: 2026-11-22T23:59:59+00:00
    bounces: 0
    token: "00000000000000000000000000000002"
"#;

#[test]
fn migrate_copies_a_list_losslessly_both_ways() {
    let pb = Postbode::new()
        .file(YAML, VARIED)
        .args(["subscribers", "export", "--format", "yaml"]);
    let canonical = pb.succeeds().stdout;
    let pb = pb.args(["subscribers", "list", "--json"]);
    let yaml_json = pb.succeeds().json();

    let pb = pb.args(["subscribers", "migrate", "--to", DB]);
    let r = pb.succeeds();
    assert_eq!(
        r.stdout,
        format!("copied 4 subscribers from `./{YAML}` to `{DB}`\n")
    );
    // A second migrate never overwrites.
    let r = pb.fails(1);
    assert!(r.stderr.contains("exists already"), "{}", r.stderr);

    let pb = pb
        .config(&sqlite_config())
        .args(["subscribers", "list", "--json"]);
    assert_eq!(
        pb.succeeds().json(),
        yaml_json,
        "same JSON from both stores"
    );
    let pb = pb.args(["subscribers", "migrate", "--to", "back.yaml"]);
    pb.succeeds();
    let back = fs::read_to_string(pb.path().join("back.yaml")).unwrap();
    assert_eq!(back, canonical, "YAML → SQLite → YAML is byte-identical");
}

/// Runs the same session against a store and returns what each step printed
/// (exit code, stdout, stderr), tokens and times masked.
fn session(config: &str) -> Vec<(i32, String, String)> {
    let mut pb = Postbode::new().config(config).file(
        "in.csv",
        "email,name,categories\ncyd@example.org,Cyd,tech;sport\nADA@example.org,,\nnope,,\n",
    );
    let steps: &[&[&str]] = &[
        &[
            "subscribers",
            "add",
            "Ada@example.org",
            "--name",
            "Ada",
            "--category",
            "tech",
        ],
        &["subscribers", "add", "bob@example.org"],
        &["subscribers", "add", "ada@EXAMPLE.org"],
        &["subscribers", "add", "x@[127.0.0.1]"],
        &["subscribers", "import", "in.csv"],
        &["subscribers", "unsubscribe", "BOB@example.org"],
        &["subscribers", "unsubscribe", "bob@example.org"],
        &["subscribers", "resubscribe", "bob@example.org"],
        &["subscribers", "unsubscribe", "cyd@example.org"],
        &["subscribers", "remove", "nobody@example.org"],
        &["subscribers", "remove", "Bob@Example.org"],
        &["subscribers", "list"],
        &["subscribers", "list", "--status", "active", "--json"],
        &["subscribers", "export", "--format", "csv"],
        &["subscribers", "export", "--format", "json"],
        &["subscribers", "dedupe"],
        &["check"],
    ];
    let mut out = Vec::new();
    for step in steps {
        pb = pb.args(*step);
        let r = pb.run();
        let mask = |text: &str| mask(text, pb.path().to_str().unwrap_or_default());
        out.push((r.code, mask(&r.stdout), mask(&r.stderr)));
    }
    out
}

/// Replaces tokens, today's times and the temp dir with placeholders.
fn mask(text: &str, dir: &str) -> String {
    let text = text
        .replace(dir, "DIR")
        .replace("subscribers.sqlite", "LIST")
        .replace("subscribers.yaml", "LIST");
    let mut out = String::new();
    for word in text.split_inclusive(|c: char| !(c.is_ascii_alphanumeric() || "-:+T".contains(c))) {
        let core =
            word.trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || "-:+T".contains(c)));
        let tail = &word[core.len()..];
        if core.len() == 32 && core.bytes().all(|b| b.is_ascii_hexdigit()) {
            out.push_str("TOKEN");
        } else if core.len() >= 10 && core.as_bytes()[4] == b'-' && core.starts_with("20") {
            out.push_str("TIME");
        } else {
            out.push_str(core);
        }
        out.push_str(tail);
    }
    out
}

#[test]
fn same_commands_same_output_on_both_stores() {
    let yaml = session(SENDER);
    let sqlite = session(&sqlite_config());
    for (i, (y, s)) in yaml.iter().zip(&sqlite).enumerate() {
        assert_eq!(y, s, "step {i} differs");
    }
    // The session did what it says.
    assert_eq!(yaml[2].0, 1);
    assert!(yaml[2]
        .2
        .contains("(on the list as `Ada@example.org`) is already subscribed"));
    assert_eq!(yaml[4].0, 1, "a bad row: {}", yaml[4].2);
    assert!(
        yaml[4].1.starts_with("imported 1 subscriber"),
        "{}",
        yaml[4].1
    );
    let active: Value = serde_json::from_str(&yaml[12].1).unwrap();
    assert_eq!(active.as_array().map(Vec::len), Some(1));
    assert_eq!(active[0]["email"], "Ada@example.org");
    assert_eq!(active[0]["categories"], serde_json::json!(["tech"]));
}

#[test]
fn send_check_and_tokens_on_sqlite() {
    let pb = Postbode::new()
        .site("digest_nl")
        .file(YAML, subscribers_yaml(3, &[]))
        .config(SENDER)
        .args(["subscribers", "migrate", "--to", DB]);
    pb.succeeds();
    let pb = pb
        .config(&sqlite_config())
        .args(["subscribers", "unsubscribe", &reader(1)]);
    pb.succeeds();
    // A token edited by hand in the database.
    {
        let db = rusqlite::Connection::open(pb.path().join(DB)).unwrap();
        db.execute(
            "UPDATE subscribers SET token = '12345' WHERE email = ?1",
            [reader(2)],
        )
        .unwrap();
    }
    let pb = pb.args(["check"]);
    let r = pb.fails(1);
    assert!(
        r.stdout.contains(&format!(
            "`{}`: its token `12345` is not 32 hex characters",
            reader(2)
        )),
        "{}",
        r.stdout
    );

    let pb = pb.args([
        "send",
        "--dry-run",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-23",
    ]);
    let r = pb.succeeds();
    assert!(
        r.stdout.contains("; 2 messages in 1 variants"),
        "{}",
        r.stdout
    );

    let pb = pb.args(WEEK);
    pb.succeeds();
    let mails = outbox_mails(&pb);
    assert_eq!(mails.len(), 2, "the unsubscribed reader gets nothing");
    let pb = pb.args(["subscribers", "list", "--json"]);
    let list = pb.succeeds().json();
    let token = list[2]["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32, "replaced and saved");
    assert!(
        mails
            .iter()
            .any(|m| m.contains(&format!("/afmelden/{token}"))),
        "the saved token is the one mailed"
    );
    assert!(mails.iter().all(|m| !m.contains("/afmelden/12345")));
}

#[test]
fn a_db_extension_is_sqlite_too_and_a_yaml_file_under_that_name_is_an_error() {
    let pb = Postbode::new()
        .config("[subscribers]\nfile = \"list.db\"\n")
        .args(["subscribers", "add", "ada@example.org"]);
    pb.succeeds();
    let head = fs::read(pb.path().join("list.db")).unwrap();
    assert!(head.starts_with(b"SQLite format 3\0"));

    let pb = pb
        .file("list.db", "subscribers: []\n")
        .args(["subscribers", "list"]);
    let r = pb.fails(1);
    assert!(
        r.stderr.contains("cannot use the SQLite list `") && r.stderr.contains("list.db`"),
        "{}",
        r.stderr
    );
}

/// Every message the file transport wrote, in any edition's folder.
fn outbox_mails(pb: &Postbode) -> Vec<String> {
    let mut mails = Vec::new();
    for edition in fs::read_dir(pb.path().join("outbox")).unwrap().flatten() {
        for mail in fs::read_dir(edition.path()).into_iter().flatten().flatten() {
            if mail.path().extension().is_some_and(|x| x == "eml") {
                mails.push(fs::read_to_string(mail.path()).unwrap());
            }
        }
    }
    mails.sort();
    mails
}
