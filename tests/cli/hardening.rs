//! What a careless or hostile input must not do: two spellings of one
//! address becoming two readers, addresses no relay delivers getting on the
//! list, a config that `check` passes failing later, a hand-made token
//! reaching a message, and `-q` printing more than errors.

use crate::common;

use std::fs;

use common::Postbode;
use postbode::subscribers::{self, Status};

const LIST: &str = "subscribers/subscribers.yaml";
const WEEK: [&str; 5] = ["send", "--since", "2026-11-16", "--until", "2026-11-23"];

const SENDER: &str = r#"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"

[delivery]
transport = "file"
"#;

fn list(pb: &Postbode) -> Vec<subscribers::Subscriber> {
    subscribers::load(&pb.path().join(LIST)).expect("the list loads")
}

// ------------------------------------------------------- one identity

#[test]
fn spellings_that_differ_in_case_are_one_subscriber() {
    let pb = Postbode::new().args(["subscribers", "add", "Victim@Example.org"]);
    pb.succeeds();
    let mut pb = pb;
    for other in ["vIctim@example.org", "VICTIM@EXAMPLE.ORG"] {
        pb = pb.args(["subscribers", "add", other]);
        let r = pb.fails(1);
        assert!(
            r.stderr.contains(&format!(
                "`{other}` (on the list as `Victim@Example.org`) is already subscribed"
            )),
            "{}",
            r.stderr
        );
    }
    // Import skips the other spellings, naming their lines.
    let pb = pb
        .file("more.csv", "email\nvictim@example.org\nnew@example.org\n")
        .args(["subscribers", "import", "more.csv"]);
    let r = pb.succeeds();
    assert!(
        r.stderr
            .contains("more.csv:2: `victim@example.org` (on the list as `Victim@Example.org`) is already on the list (active); skipped"),
        "{}",
        r.stderr
    );
    assert_eq!(list(&pb).len(), 2);

    // Any spelling finds the entry; the stored one stays as entered.
    let pb = pb.args(["subscribers", "unsubscribe", "VICTIM@example.ORG"]);
    let r = pb.succeeds();
    assert_eq!(r.stdout, "unsubscribed Victim@Example.org\n");
    let pb = pb.args(["subscribers", "resubscribe", "victim@example.org"]);
    pb.succeeds();
    let l = list(&pb);
    assert_eq!(l[0].email, "Victim@Example.org");
    assert_eq!(l[0].status, Status::Active);

    let pb = pb.site("digest_nl").config(SENDER).args([
        "preview",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-23",
        "--subscriber",
        "VICTIM@example.org",
        "--eml",
        "p.eml",
    ]);
    pb.succeeds();
    let eml = fs::read_to_string(pb.path().join("p.eml")).unwrap();
    assert!(eml.contains(&l[0].token), "the preview is Victim's own");

    let pb = pb.args(["subscribers", "remove", "victim@EXAMPLE.org"]);
    assert_eq!(
        pb.succeeds().stdout,
        "removed Victim@Example.org (was active)\n"
    );
}

#[test]
fn check_reports_twins_and_dedupe_merges_them() {
    // Twins from before case stopped mattering: Ada@ was mailed (it is the
    // only active one when the week is sent), ada@ signed up earlier.
    let text = r#"subscribers:
  - email: "Ada@example.org"
    status: active
    subscribed_at: 2026-03-01T08:00:00+01:00
    token: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  - email: "bob@example.org"
    token: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
  - email: "ada@example.org"
    name: "Ada"
    status: pending
    subscribed_at: 2026-01-01T08:00:00+01:00
    token: "cccccccccccccccccccccccccccccccc"
"#;
    let pb = Postbode::new()
        .site("digest_nl")
        .config(SENDER)
        .file(LIST, text)
        .args(["check"]);
    let r = pb.fails(1);
    assert!(
        r.stdout.contains(
            "subscribers.yaml:8: `ada@example.org` and `Ada@example.org` (line 2) are one address; `postbode subscribers dedupe` merges them"
        ),
        "{}",
        r.stdout
    );
    let pb = pb.args(WEEK);
    pb.succeeds();

    let pb = pb.args(["subscribers", "dedupe"]);
    let r = pb.succeeds();
    assert_eq!(
        r.stdout,
        "merged `ada@example.org` into `Ada@example.org` (pending)\n"
    );
    let l = list(&pb);
    assert_eq!(l.len(), 2);
    let ada = &l[0];
    assert_eq!(ada.email, "Ada@example.org");
    assert_eq!(
        ada.token, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "the mailed token"
    );
    assert_eq!(ada.status, Status::Pending, "the strictest status");
    assert_eq!(
        ada.subscribed_at.unwrap().to_rfc3339(),
        "2026-01-01T08:00:00+01:00"
    );
    assert_eq!(ada.name.as_deref(), Some("Ada"));
    let pb = pb.args(["check"]);
    let r = pb.run();
    assert!(!r.stdout.contains("one address"), "{}", r.stdout);
}

// ------------------------------------------- addresses we can never mail

#[test]
fn addresses_no_relay_delivers_are_refused() {
    for (address, reason) in [
        (
            r#""../../../tmp/pwn"@example.org"#,
            "its quoted part before `@` contains `/` or `\\`",
        ),
        (
            r#""a\b"@example.org"#,
            "its quoted part before `@` contains",
        ),
        (
            "x@[127.0.0.1]",
            "it names a server address (`[…]`) instead of a domain",
        ),
    ] {
        let pb = Postbode::new().args(["subscribers", "add", address]);
        let r = pb.fails(1);
        assert!(
            r.stderr
                .contains(&format!("invalid address `{address}`: {reason}")),
            "{address}: {}",
            r.stderr
        );
        assert!(!pb.path().join(LIST).exists());
    }
    let csv =
        "email,name\nok@example.org,Ok\n\"\"\"../x\"\"@example.org\",Path\nx@[127.0.0.1],Literal\n";
    let pb = Postbode::new()
        .file("in.csv", csv)
        .args(["subscribers", "import", "in.csv"]);
    let r = pb.fails(1);
    assert!(
        r.stderr
            .contains("in.csv:3: invalid address `\"../x\"@example.org`: its quoted part"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("in.csv:4: invalid address `x@[127.0.0.1]`: it names a server address"),
        "{}",
        r.stderr
    );
    assert_eq!(list(&pb).len(), 1);
}

// ---------------------------------------- config that `check` passes works

#[test]
fn an_out_of_range_number_is_a_config_error_not_a_panic() {
    for command in [&["check"][..], &["posts"], &["preview", "--out", "p.html"]] {
        let pb = Postbode::new()
            .site("digest_nl")
            .config("[digest]\nwindow_days = 4294967295\n")
            .args(command);
        let r = pb.fails(1);
        assert!(
            r.stderr
                .contains("`digest.window_days` must be between 1 and 3653, not 4294967295"),
            "{command:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    // Within the bounds, a long window works.
    let pb = Postbode::new()
        .site("digest_nl")
        .config("[digest]\nwindow_days = 3653\n")
        .args(["posts", "--until", "2026-11-23"]);
    pb.succeeds();
}

#[test]
fn check_refuses_the_sender_that_send_would_refuse() {
    for (table, key) in [
        ("from = \"not an address\"", "`sender.from`"),
        (
            "from = \"a@example.org\"\nreply_to = \"x@@example.org\"",
            "`sender.reply_to`",
        ),
        (
            "from = \"a@example.org\"\nlist_id = \"two words\"",
            "list_id",
        ),
    ] {
        let pb = Postbode::new()
            .site("digest_nl")
            .config(&format!(
                "url = \"https://example.org\"\n[sender]\n{table}\n[delivery]\ntransport = \"file\"\n"
            ))
            .args(["check"]);
        let r = pb.fails(1);
        assert!(r.stdout.contains(key), "{table}: {}", r.stdout);
        let pb = pb.args(["send", "--dry-run"]);
        let sent = pb.fails(1);
        assert!(sent.stderr.contains(key), "{table}: {}", sent.stderr);
    }
}

#[test]
fn a_hand_made_token_is_replaced_and_saved_before_any_message_carries_it() {
    let pb = Postbode::new()
        .site("digest_nl")
        .config(SENDER)
        .file(
            LIST,
            "subscribers:\n  - email: \"hand@example.org\"\n    token: 12345\n",
        )
        .args(["check"]);
    let r = pb.fails(1);
    assert!(
        r.stdout
            .contains("`hand@example.org`: its token `12345` is not 32 hex characters"),
        "{}",
        r.stdout
    );
    let pb = pb.args(WEEK);
    pb.succeeds();
    let outbox = outbox_mails(&pb);
    assert_eq!(outbox.len(), 1);
    let eml = &outbox[0];
    assert!(!eml.contains("/afmelden/12345"), "{eml}");
    let saved = &list(&pb)[0].token;
    assert_eq!(saved.len(), 32);
    assert!(
        eml.contains(&format!("/afmelden/{saved}")),
        "the saved token is the one mailed"
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

// ------------------------------------------------------------------- -q

#[test]
fn quiet_prints_only_errors() {
    let pb = Postbode::new().args(["-q", "subscribers", "add", "ada@example.org"]);
    let r = pb.succeeds();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    let pb = pb
        .file(
            "in.csv",
            "email\nbob@example.org\nada@example.org\nnot-an-address\n",
        )
        .args(["-q", "subscribers", "import", "in.csv"]);
    let r = pb.fails(1);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "in.csv:4: invalid address `not-an-address`: it has no `@`\n"
    );
    let mut pb = pb;
    for args in [
        &["-q", "subscribers", "unsubscribe", "bob@example.org"][..],
        &["-q", "subscribers", "resubscribe", "bob@example.org"],
        &["-q", "subscribers", "dedupe"],
    ] {
        pb = pb.args(args);
        let r = pb.succeeds();
        assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""), "{args:?}");
    }
    assert_eq!(list(&pb).len(), 2);
}
