//! `postbode subscribers …` as a user runs it: the real binary in a temp dir,
//! the list at the default `subscribers/subscribers.yaml`.

use crate::common;

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Instant;

use common::{Postbode, Run};
use postbode::subscribers::{self, Status};

const LIST: &str = "subscribers/subscribers.yaml";

/// One temp dir, several commands in a row.
struct Session(Option<Postbode>);

impl Session {
    fn new() -> Session {
        Session(Some(Postbode::new()))
    }

    fn with_list(text: &str) -> Session {
        Session(Some(Postbode::new().file(LIST, text)))
    }

    fn with(self, rel: &str, contents: impl AsRef<[u8]>) -> Session {
        Session(self.0.map(|p| p.file(rel, contents)))
    }

    fn take(&mut self, args: &[&str]) -> Postbode {
        self.0.take().expect("session").args(args)
    }

    fn ok(&mut self, args: &[&str]) -> Run {
        let p = self.take(args);
        let run = p.succeeds();
        self.0 = Some(p);
        run
    }

    fn fails(&mut self, args: &[&str]) -> Run {
        let p = self.take(args);
        let run = p.fails(1);
        self.0 = Some(p);
        run
    }

    fn postbode(&self) -> &Postbode {
        self.0.as_ref().expect("session")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.postbode().path().join(rel)
    }

    fn list(&self) -> Vec<subscribers::Subscriber> {
        subscribers::load(&self.path(LIST)).expect("the list loads")
    }

    fn list_bytes(&self) -> Vec<u8> {
        fs::read(self.path(LIST)).expect("the list exists")
    }
}

// ---------------------------------------------------------------- add

#[test]
fn add_creates_the_list_and_says_what_it_added() {
    let mut s = Session::new();
    assert!(!s.path("subscribers").exists());
    let run = s.ok(&["subscribers", "add", "ada@example.org"]);
    assert_eq!(run.stdout, "added ada@example.org (categories: all)\n");

    let run = s.ok(&[
        "subscribers",
        "add",
        " bob@example.org ",
        "--name",
        "Bob de Bouwer",
        "--category",
        "Tech",
        "--category",
        " nieuws ",
        "--category",
        "tech",
    ]);
    assert_eq!(
        run.stdout,
        "added bob@example.org (name: Bob de Bouwer; categories: Tech, nieuws)\n"
    );

    let list = s.list();
    assert_eq!(list.len(), 2);
    let bob = &list[1];
    assert_eq!(bob.email, "bob@example.org");
    assert_eq!(bob.name.as_deref(), Some("Bob de Bouwer"));
    assert_eq!(bob.categories, ["Tech", "nieuws"]);
    assert_eq!(bob.status, Status::Active);
    assert!(bob.subscribed_at.is_some());
    assert_eq!(bob.bounces, 0);
    assert_eq!(bob.token.len(), 32);
    assert!(bob.token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(list[0].token, bob.token);
    // Human-readable, one key per line.
    let text = String::from_utf8(s.list_bytes()).unwrap();
    assert!(text.contains("  - email: \"bob@example.org\"\n    name: \"Bob de Bouwer\"\n    categories: [\"Tech\", \"nieuws\"]\n    status: active\n"), "{text}");
}

#[test]
fn adding_an_address_twice_fails_naming_it() {
    let mut s = Session::new();
    s.ok(&["subscribers", "add", "ada@example.org"]);
    let before = s.list_bytes();
    let run = s.fails(&["subscribers", "add", "ada@example.org"]);
    assert_eq!(
        run.stderr,
        "error: `ada@example.org` is already subscribed\n"
    );
    assert_eq!(run.stdout, "");
    assert_eq!(s.list_bytes(), before);
}

#[test]
fn the_whole_address_is_compared_without_case() {
    let mut s = Session::new();
    s.ok(&["subscribers", "add", "ada@example.org"]);
    for other in ["ada@EXAMPLE.Org", "Ada@example.org"] {
        let run = s.fails(&["subscribers", "add", other]);
        assert!(
            run.stderr.contains(&format!(
                "`{other}` (on the list as `ada@example.org`) is already subscribed"
            )),
            "{}",
            run.stderr
        );
    }
    assert_eq!(s.list().len(), 1);
}

#[test]
fn international_domains_match_their_punycode_form() {
    let mut s = Session::new();
    let run = s.ok(&[
        "subscribers",
        "add",
        "ada@bücher.example",
        "--name",
        "Ada Müller",
    ]);
    assert_eq!(
        run.stdout,
        "added ada@bücher.example (name: Ada Müller; categories: all)\n"
    );
    let run = s.fails(&["subscribers", "add", "ada@xn--bcher-kva.example"]);
    assert!(
        run.stderr
            .contains("(on the list as `ada@bücher.example`) is already subscribed"),
        "{}",
        run.stderr
    );
    let run = s.fails(&["subscribers", "add", "ada@BÜCHER.example"]);
    assert!(run.stderr.contains("already subscribed"), "{}", run.stderr);
    // Kept as typed, and found again under either spelling.
    assert_eq!(s.list()[0].email, "ada@bücher.example");
    let run = s.ok(&["subscribers", "unsubscribe", "ada@XN--BCHER-KVA.example"]);
    assert_eq!(run.stdout, "unsubscribed ada@bücher.example\n");
}

#[test]
fn invalid_addresses_are_refused_and_nothing_is_created() {
    let mut s = Session::new();
    for (address, reason) in [
        ("nope", "invalid address `nope`: it has no `@`"),
        ("ada@", "invalid address `ada@`"),
        ("ada@example.org\r\nBcc: eve@example.org", "line break"),
        ("Ada <ada@example.org>", "without `<` and `>`"),
        ("ada@example.org,eve@example.org", "one address at a time"),
        ("\"a\nb\"@example.org", "line break"),
        ("", "it is empty"),
    ] {
        let run = s.fails(&["subscribers", "add", address]);
        assert!(
            run.stderr.starts_with("error: invalid address"),
            "{address:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(reason), "{address:?}: {}", run.stderr);
    }
    let run = s.fails(&[
        "subscribers",
        "add",
        "ada@example.org",
        "--name",
        "Ada\nBcc: x",
    ]);
    assert!(run.stderr.contains("invalid name"), "{}", run.stderr);
    let run = s.fails(&["subscribers", "add", "ada@example.org", "--category", "a;b"]);
    assert!(
        run.stderr.contains("invalid category `a;b`"),
        "{}",
        run.stderr
    );
    assert!(!s.path("subscribers").exists());
}

#[test]
fn adding_someone_who_left_points_to_resubscribe() {
    let mut s = Session::new();
    s.ok(&["subscribers", "add", "ada@example.org"]);
    s.ok(&["subscribers", "unsubscribe", "ada@example.org"]);
    let run = s.fails(&["subscribers", "add", "ada@example.org"]);
    assert!(
        run.stderr.contains("`ada@example.org` has unsubscribed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("postbode subscribers resubscribe ada@example.org"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------- remove, unsubscribe, resubscribe

#[test]
fn remove_deletes_the_entry() {
    let mut s = Session::new();
    s.ok(&["subscribers", "add", "ada@example.org"]);
    s.ok(&["subscribers", "add", "bob@example.org"]);
    let run = s.ok(&["subscribers", "remove", "ada@EXAMPLE.org"]);
    assert_eq!(run.stdout, "removed ada@example.org (was active)\n");
    let list = s.list();
    assert_eq!(
        list.iter().map(|s| s.email.as_str()).collect::<Vec<_>>(),
        ["bob@example.org"]
    );
    let text = String::from_utf8(s.list_bytes()).unwrap();
    assert!(!text.contains("ada@"));
}

#[test]
fn unknown_addresses_fail_naming_them() {
    let mut s = Session::new();
    s.ok(&["subscribers", "add", "ada@example.org"]);
    let before = s.list_bytes();
    for command in ["remove", "unsubscribe", "resubscribe"] {
        let run = s.fails(&["subscribers", command, "bob@example.org"]);
        assert!(
            run.stderr
                .starts_with("error: `bob@example.org` is not on the list `"),
            "{command}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(LIST), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
    let run = s.fails(&["subscribers", "remove", "not an address"]);
    assert!(
        run.stderr.contains("invalid address `not an address`"),
        "{}",
        run.stderr
    );
    assert_eq!(s.list_bytes(), before);
}

#[test]
fn unsubscribe_keeps_the_entry_and_resubscribe_restores_it() {
    let mut s = Session::new();
    s.ok(&[
        "subscribers",
        "add",
        "ada@example.org",
        "--category",
        "tech",
    ]);
    let token = s.list()[0].token.clone();

    let run = s.ok(&["subscribers", "unsubscribe", "ada@example.org"]);
    assert_eq!(run.stdout, "unsubscribed ada@example.org\n");
    let ada = &s.list()[0];
    assert_eq!(ada.status, Status::Unsubscribed);
    assert!(ada.unsubscribed_at.is_some());
    assert!(!ada.gets_digest());

    // Again: nothing to change, not an error.
    let before = s.list_bytes();
    let run = s.ok(&["subscribers", "unsubscribe", "ada@example.org"]);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("had already unsubscribed"),
        "{}",
        run.stderr
    );
    assert_eq!(s.list_bytes(), before);

    let run = s.ok(&["subscribers", "resubscribe", "ada@example.org"]);
    assert_eq!(
        run.stdout,
        "resubscribed ada@example.org (was unsubscribed)\n"
    );
    let ada = &s.list()[0];
    assert_eq!(ada.status, Status::Active);
    assert_eq!(ada.unsubscribed_at, None);
    assert_eq!(ada.categories, ["tech"]);
    assert_eq!(ada.token, token, "links already sent keep working");

    let run = s.ok(&["subscribers", "resubscribe", "ada@example.org"]);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("already active"), "{}", run.stderr);
}

#[test]
fn resubscribe_clears_bounces() {
    let mut s = Session::with_list(
        "subscribers:\n  - email: ada@example.org\n    status: bounced\n    bounces: 3\n    token: \"0123456789abcdef0123456789abcdef\"\n",
    );
    let run = s.ok(&["subscribers", "resubscribe", "ada@example.org"]);
    assert_eq!(run.stdout, "resubscribed ada@example.org (was bounced)\n");
    assert_eq!(
        (s.list()[0].status, s.list()[0].bounces),
        (Status::Active, 0)
    );
}

// ---------------------------------------------------------------- list

const SAMPLE: &str = include_str!("../../subscribers/subscribers.yaml");

#[test]
fn list_prints_an_aligned_table_without_tokens() {
    let mut s = Session::with_list(SAMPLE);
    let run = s.ok(&["subscribers", "list"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", run.stdout);
    assert_eq!(
        lines[0],
        "EMAIL              NAME           STATUS        CATEGORIES    SUBSCRIBED  BOUNCES"
    );
    assert_eq!(
        lines[4],
        "dana@example.org   Dana Bakker    unsubscribed  nieuws        2026-09-03        0"
    );
    assert_eq!(
        lines[3],
        "chris@example.org  -              active        all           2026-10-02        0"
    );
    for token in s.list().iter().map(|s| s.token.clone()) {
        assert!(!run.stdout.contains(&token));
    }
    assert!(
        run.stderr
            .contains("5 subscribers: 4 active, 1 unsubscribed"),
        "{}",
        run.stderr
    );
}

#[test]
fn list_filters_by_status_and_category() {
    let mut s = Session::with_list(SAMPLE);
    let run = s.ok(&["subscribers", "list", "--status", "unsubscribed"]);
    assert_eq!(run.stdout.lines().count(), 2);
    assert!(run.stdout.contains("dana@example.org"));

    // Subscribers without categories get every category.
    let run = s.ok(&["subscribers", "list", "--category", " TECH ", "--json"]);
    let emails: Vec<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        emails,
        ["ada@example.org", "chris@example.org", "eva@example.org"]
    );

    let run = s.ok(&["subscribers", "list", "--status", "bounced"]);
    assert_eq!(run.stdout, "");
    let run = s.fails_usage(&["subscribers", "list", "--status", "gone"]);
    assert!(run.stderr.contains("gone"), "{}", run.stderr);
}

impl Session {
    fn fails_usage(&mut self, args: &[&str]) -> Run {
        let p = self.take(args);
        let run = p.fails(2);
        self.0 = Some(p);
        run
    }
}

#[test]
fn list_json_has_every_stored_field() {
    let mut s = Session::with_list(SAMPLE);
    let json = s.ok(&["subscribers", "list", "--json"]).json();
    let dana = &json[3];
    assert_eq!(dana["email"], "dana@example.org");
    assert_eq!(dana["name"], "Dana Bakker");
    assert_eq!(dana["categories"], serde_json::json!(["nieuws"]));
    assert_eq!(dana["status"], "unsubscribed");
    assert_eq!(dana["subscribed_at"], "2026-09-03T12:00:00+02:00");
    assert_eq!(dana["unsubscribed_at"], "2026-11-10T18:22:31+01:00");
    assert_eq!(dana["bounces"], 0);
    assert_eq!(dana["token"], "79c61b7151558b4bb91c3784ebf20877");
    assert_eq!(json[2]["name"], serde_json::Value::Null);
}

#[test]
fn an_empty_or_missing_list_lists_nothing() {
    let mut s = Session::new();
    let run = s.ok(&["subscribers", "list"]);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("0 subscribers"), "{}", run.stderr);
    assert_eq!(
        s.ok(&["subscribers", "list", "--json"]).json(),
        serde_json::json!([])
    );
    assert!(!s.path("subscribers").exists(), "reading creates nothing");
}

// ---------------------------------------------------------------- export

#[test]
fn export_in_three_formats() {
    let mut s = Session::with_list(SAMPLE);
    let yaml = s.ok(&["subscribers", "export", "--format", "yaml"]);
    assert_eq!(
        yaml.stdout, SAMPLE,
        "the sample is in postbode's own layout"
    );

    let csv = s.ok(&["subscribers", "export"]).stdout;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "email,name,categories,status,subscribed_at,unsubscribed_at,bounces,token,digests,paused_until"
    );
    assert_eq!(
        lines[1],
        "ada@example.org,Ada Lovelace,nieuws;tech,active,2026-09-01T09:15:00+02:00,,0,bbb9e7ab3a3c5e3ecf8d3b82524f8a91,,"
    );
    assert_eq!(lines.len(), 6);

    let json = s.ok(&["subscribers", "export", "--format", "json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 5);
    assert_eq!(json[4]["bounces"], 1);
}

#[test]
fn an_exported_csv_imports_into_an_empty_list() {
    let mut s = Session::with_list(SAMPLE);
    let csv = s.ok(&["subscribers", "export"]).stdout;
    let mut t = Session::new().with("backup.csv", csv);
    let run = t.ok(&["subscribers", "import", "backup.csv"]);
    assert_eq!(run.stdout, "imported 5 subscribers from `backup.csv`\n");
    assert!(
        run.stderr
            .contains("ignoring the columns `status`, `subscribed_at`"),
        "{}",
        run.stderr
    );
    let list = t.list();
    assert_eq!(list[0].categories, ["nieuws", "tech"]);
    assert_eq!(list[0].name.as_deref(), Some("Ada Lovelace"));
}

// ---------------------------------------------------------------- import

const IMPORT: &str = "\
Email,Name,CATEGORIES
new1@example.org,Nieuw Een,nieuws;tech
ada@EXAMPLE.org,Ada again,
not-an-address,Wrong,
\"new2@example.org\",\"Twee, de tweede\",
new1@example.org,Dubbel,
,,
new3@bücher.example,,sport
bad@example.org,\"Bad
Name\",
";

#[test]
fn import_takes_good_rows_reports_bad_ones_by_line_and_exits_1() {
    let mut s = Session::new().with("new.csv", IMPORT);
    s.ok(&["subscribers", "add", "ada@example.org"]);
    let run = s.fails(&["subscribers", "import", "new.csv"]);
    assert_eq!(
        run.stdout,
        "imported 3 subscribers from `new.csv`; skipped 1 already on the list, 1 repeated in the file, 2 bad rows\n"
    );
    assert!(
        run.stderr
            .contains("new.csv:4: invalid address `not-an-address`: it has no `@`\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("new.csv:9: invalid name `Bad\\nName`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("new.csv:6: `new1@example.org` is already on line 2; skipped"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("new.csv:3: `ada@EXAMPLE.org` (on the list as `ada@example.org`) is already on the list (active); skipped"),
        "{}",
        run.stderr
    );
    let list = s.list();
    let emails: Vec<&str> = list.iter().map(|s| s.email.as_str()).collect();
    assert_eq!(
        emails,
        [
            "ada@example.org",
            "new1@example.org",
            "new2@example.org",
            "new3@bücher.example"
        ]
    );
    assert_eq!(list[1].categories, ["nieuws", "tech"]);
    assert_eq!(list[2].name.as_deref(), Some("Twee, de tweede"));
    let tokens: HashSet<&str> = list.iter().map(|s| s.token.as_str()).collect();
    assert_eq!(tokens.len(), 4);

    // Bad rows are errors: `-q` does not hide them, only the skip notes
    // and the summary.
    let run = s.fails(&["-q", "subscribers", "import", "new.csv"]);
    assert!(
        run.stderr.contains("new.csv:4: invalid address"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("skipped"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

#[test]
fn import_of_good_rows_exits_0() {
    let mut s = Session::new().with("ok.csv", "email\r\na@example.org\r\nb@example.org\r\n");
    let run = s.ok(&["subscribers", "import", "ok.csv"]);
    assert_eq!(run.stdout, "imported 2 subscribers from `ok.csv`\n");
    let run = s.ok(&["subscribers", "import", "ok.csv"]);
    assert_eq!(
        run.stdout,
        "imported 0 subscribers from `ok.csv`; skipped 2 already on the list\n"
    );
}

#[test]
fn import_dry_run_changes_nothing() {
    let mut s = Session::new().with("new.csv", IMPORT);
    let run = s.fails(&["subscribers", "import", "--dry-run", "new.csv"]);
    assert_eq!(
        run.stdout,
        "would import 4 subscribers from `new.csv`; skipped 1 repeated in the file, 2 bad rows (dry run: the list was not changed)\n"
    );
    assert!(!s.path(LIST).exists());
    s.ok(&["subscribers", "add", "x@example.org"]);
    let before = s.list_bytes();
    s.fails(&["subscribers", "import", "--dry-run", "new.csv"]);
    assert_eq!(s.list_bytes(), before);
}

#[test]
fn import_needs_an_email_column_and_a_readable_file() {
    let mut s = Session::new().with("bad.csv", "mail,naam\nada@example.org,Ada\n");
    let run = s.fails(&["subscribers", "import", "bad.csv"]);
    assert_eq!(
        run.stderr,
        "error: bad.csv: the header row has no `email` column (it has `mail`, `naam`)\n"
    );
    let run = s.fails(&["subscribers", "import", "missing.csv"]);
    assert!(
        run.stderr.starts_with("error: cannot read `missing.csv`: "),
        "{}",
        run.stderr
    );
    assert!(!s.path(LIST).exists());
}

#[test]
fn import_reads_semicolon_separated_spreadsheets() {
    let mut s = Session::new().with(
        "nl.csv",
        "\u{feff}E-mail;Naam;Categories\nada@example.org;Ada;\"tech;sport\"\n",
    );
    let run = s.ok(&["subscribers", "import", "nl.csv"]);
    assert_eq!(run.stdout, "imported 1 subscriber from `nl.csv`\n");
    assert_eq!(s.list()[0].categories, ["tech", "sport"]);
}

// ------------------------------------------------------- broken list files

const MANGLED: &str =
    "subscribers:\n  - email: \"ada@example.org\"\n   name: Ada\n    status: active\n";

#[test]
fn a_corrupt_list_is_reported_with_line_and_column_and_never_overwritten() {
    let mut s = Session::with_list(MANGLED).with("new.csv", "email\nb@example.org\n");
    for args in [
        &["subscribers", "add", "bob@example.org"][..],
        &["subscribers", "remove", "ada@example.org"],
        &["subscribers", "unsubscribe", "ada@example.org"],
        &["subscribers", "resubscribe", "ada@example.org"],
        &["subscribers", "import", "new.csv"],
        &["subscribers", "list"],
        &["subscribers", "export"],
    ] {
        let run = s.fails(args);
        assert!(
            run.stderr.starts_with(&format!("error: ./{LIST}:3:")),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("not a valid subscriber list"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("left as it is"), "{}", run.stderr);
        assert_eq!(
            s.list_bytes(),
            MANGLED.as_bytes(),
            "{args:?} changed the file"
        );
    }
}

#[test]
fn invalid_entries_are_named_with_their_line() {
    for (text, line, message) in [
        (
            "subscribers:\n  - email: ada@example.org\n  - email: not-valid\n",
            3,
            "invalid address `not-valid`",
        ),
        (
            "subscribers:\n  - email: ada@example.org\n\n  - email: bob@example.org\n  - email: ada@Example.ORG\n",
            5,
            "`ada@Example.ORG` is on the list twice (also at line 2)",
        ),
        (
            "subscribers:\n  - email: ada@example.org\n  - email: bob@example.org\n    status: gone\n",
            4,
            "unknown variant `gone`",
        ),
        (
            "subscribers:\n  - email: ada@example.org\n    subscribed_at: last week\n",
            2,
            "invalid `subscribed_at` `last week`",
        ),
        (
            "subscribers:\n- email: ada@example.org\n  categories:\n    - tech\n- email: a@example.org\n  token: 0123456789abcdef0123456789abcdef\n- email: b@example.org\n  token: 0123456789abcdef0123456789abcdef\n",
            7,
            "has the same token as `a@example.org` (line 5)",
        ),
    ] {
        let mut s = Session::with_list(text);
        let run = s.fails(&["subscribers", "add", "new@example.org"]);
        let expected = format!("{LIST}:{line}:");
        assert!(run.stderr.contains(&expected), "expected {expected} for:\n{text}\ngot: {}", run.stderr);
        assert!(run.stderr.contains(message), "expected {message}: {}", run.stderr);
        assert_eq!(s.list_bytes(), text.as_bytes());
    }
}

#[test]
fn a_hand_written_list_is_read_and_rewritten_in_postbodes_layout() {
    let text = "# our readers\nsubscribers:\n- email: ada@example.org   # since the start\n  name: 'Ada'\n  categories:\n    - tech\n- {email: bob@example.org, categories: [sport, Sport]}\n";
    let mut s = Session::with_list(text);
    assert_eq!(
        s.ok(&["subscribers", "list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    s.ok(&["subscribers", "add", "cas@example.org"]);
    let list = s.list();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].name.as_deref(), Some("Ada"));
    assert_eq!(list[1].categories, ["sport"]);
    // Entries that had no token got one, and keep it.
    assert_eq!(list[0].token, s.list()[0].token);
    let written = String::from_utf8(s.list_bytes()).unwrap();
    assert!(
        written.contains("  - email: \"bob@example.org\"\n"),
        "{written}"
    );
}

// ------------------------------------------------------ real processes

#[test]
fn fifty_concurrent_adds_all_land() {
    let s = Session::new();
    let children: Vec<_> = (0..50)
        .map(|i| {
            let mut cmd = s.postbode().command();
            cmd.args(["subscribers", "add", &format!("reader{i}@example.org")])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn postbode")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let list = s.list();
    assert_eq!(list.len(), 50);
    let emails: HashSet<&str> = list.iter().map(|s| s.email.as_str()).collect();
    assert_eq!(emails.len(), 50);
    let tokens: HashSet<&str> = list.iter().map(|s| s.token.as_str()).collect();
    assert_eq!(tokens.len(), 50);
    assert!(subscribers::check(&s.path(LIST)).is_empty());
    assert_eq!(temp_files(&s), Vec::<String>::new());
}

fn temp_files(s: &Session) -> Vec<String> {
    fs::read_dir(s.path("subscribers"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

/// A list in postbode's layout, written directly (faster than through the
/// debug binary).
fn big_list(n: usize) -> String {
    let mut text = String::from("subscribers:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - email: \"reader{i}@example.org\"\n    name: \"Lezer {i}\"\n    categories: [\"nieuws\"]\n    status: active\n    subscribed_at: 2026-11-16T08:00:00+01:00\n    bounces: 0\n    token: \"{i:032x}\"\n"
        ));
    }
    text
}

#[test]
fn killing_an_import_mid_write_leaves_the_old_or_the_new_list() {
    const OLD: usize = 50_000;
    const ROWS: usize = 20_000;
    let original = big_list(OLD);
    let mut csv = String::from("email,name\n");
    for i in 0..ROWS {
        csv.push_str(&format!("new{i}@example.org,Nieuw {i}\n"));
    }
    let s = Session::with_list(&original).with("new.csv", &csv);
    let import = || {
        let mut cmd = s.postbode().command();
        cmd.args(["-q", "subscribers", "import", "new.csv"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    };

    // One full run tells how long an import takes here.
    let started = Instant::now();
    assert!(import().status().unwrap().success());
    let full = started.elapsed();
    assert_eq!(s.list().len(), OLD + ROWS);

    let mut outcomes = Vec::new();
    let mut check = |when: String| {
        let list = subscribers::load(&s.path(LIST))
            .unwrap_or_else(|e| panic!("after a kill {when}: the list does not load: {e}"));
        assert!(
            list.len() == OLD || list.len() == OLD + ROWS,
            "after a kill {when}: {} entries",
            list.len()
        );
        outcomes.push((when, if list.len() == OLD { "old" } else { "new" }));
    };
    // Kills while it reads and merges...
    for percent in [10u32, 50] {
        fs::write(s.path(LIST), &original).unwrap();
        let mut child = import().spawn().unwrap();
        std::thread::sleep(full * percent / 100);
        let _ = child.kill(); // SIGKILL; fails only if it already ended
        child.wait().unwrap();
        check(format!("at {percent}% of a full run"));
    }
    // ...and while it writes: from the moment its temp file appears.
    for delay_ms in [0u64, 2, 10, 50, 150, 400] {
        fs::write(s.path(LIST), &original).unwrap();
        let mut child = import().spawn().unwrap();
        let deadline = Instant::now() + full * 5;
        while temp_files(&s).is_empty()
            && child.try_wait().unwrap().is_none()
            && Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        check(format!("{delay_ms} ms into writing"));
    }
    // ...and the moment the temp file is gone: renamed, so the new list.
    // Earlier kills left temp files; without them gone first, the wait below
    // could take the import's cleanup of those for its rename.
    for stale in temp_files(&s) {
        fs::remove_file(s.path("subscribers").join(stale)).unwrap();
    }
    fs::write(s.path(LIST), &original).unwrap();
    let mut child = import().spawn().unwrap();
    while temp_files(&s).is_empty() && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    while !temp_files(&s).is_empty() && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let _ = child.kill();
    child.wait().unwrap();
    check("just after the rename".into());
    eprintln!("full import: {full:?}; outcomes: {outcomes:?}");
    assert_eq!(outcomes.last().map(|o| o.1), Some("new"));

    // The next writer cleans up after a killed one.
    let run = s.take_ref(&["subscribers", "add", "after@example.org"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(temp_files(&s), Vec::<String>::new());
}

impl Session {
    /// Runs a command without consuming the session (for shared borrows).
    fn take_ref(&self, args: &[&str]) -> Run {
        let out = self
            .postbode()
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run postbode");
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }
}
