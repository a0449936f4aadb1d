//! Several digests: the config's two forms, `--digest` on send, preview and
//! schedule, each digest's own readers, `List-Id`, state and schedule, the
//! upgrade from one digest, pause and resume (the real binary, a temp dir,
//! the file transport, the schedule's clock through `POSTBODE_NOW`).

use crate::common;

use std::fs;
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use common::{Postbode, Run};
use postbode::schedule::{local_time, Schedule};

const SENDER: &str = r#"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
list_id = "leestmeer.example.org"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"

[delivery]
transport = "file"
"#;

const TWO: &str = r#"
[digests.weekly]
cron = "0 8 * * MON"

[digests.daily]
cron = "0 8 * * *"
window_days = 1
max_posts = 15
subject = "Today at {site}"
"#;

/// ada: no choice (the default, weekly); bram: daily; cleo: both;
/// dirk: weekly but paused far ahead; eve: unsubscribed.
const LIST: &str = r#"subscribers:
  - email: "ada@example.org"
    categories: []
    status: active
    bounces: 0
    token: "3f0c9d2b7a6e4f1c8d5b0a9e7c6f3d21"
  - email: "bram@example.org"
    categories: []
    digests: ["daily"]
    status: active
    bounces: 0
    token: "59cbff984f9acff56da2ab3da3c4b578"
  - email: "cleo@example.org"
    categories: []
    digests: ["daily", "weekly"]
    status: active
    bounces: 0
    token: "0c2d9a1b3e4f5a6b7c8d9e0f1a2b3c4d"
  - email: "dirk@example.org"
    categories: []
    status: active
    paused_until: 2099-01-01
    bounces: 0
    token: "1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a"
  - email: "eve@example.org"
    categories: []
    digests: ["daily"]
    status: unsubscribed
    bounces: 0
    token: "2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b"
"#;

const WEEK: [&str; 4] = ["--since", "2026-11-16", "--until", "2026-11-23"];

fn site(digests: &str) -> Postbode {
    Postbode::new()
        .site("digest_en")
        .config(&format!("{SENDER}\n{digests}"))
        .file("subscribers/subscribers.yaml", LIST)
}

/// One temp dir through several commands.
struct S(Option<Postbode>);

impl S {
    fn new(digests: &str) -> S {
        S(Some(site(digests)))
    }

    fn map(&mut self, f: impl FnOnce(Postbode) -> Postbode) -> &mut S {
        self.0 = Some(f(self.0.take().expect("session")));
        self
    }

    fn pb(&self) -> &Postbode {
        self.0.as_ref().expect("session")
    }

    fn run(&mut self, a: &[&str]) -> Run {
        self.map(|p| p.args(a)).pb().run()
    }

    fn ok(&mut self, a: &[&str]) -> Run {
        self.map(|p| p.args(a)).pb().succeeds()
    }

    fn fails(&mut self, a: &[&str]) -> Run {
        self.map(|p| p.args(a)).pb().fails(1)
    }

    fn env(&mut self, key: &str, value: &str) -> &mut S {
        self.map(|p| p.env(key, value))
    }

    fn config(&mut self, extra: &str) -> &mut S {
        self.map(|p| p.config(extra))
    }

    fn file(&mut self, rel: &str, contents: &str) -> &mut S {
        self.map(|p| p.file(rel, contents))
    }
}

fn args<'a>(head: &[&'a str]) -> Vec<&'a str> {
    let mut v = head.to_vec();
    v.extend(WEEK);
    v
}

/// `(edition folder, file)` for every mail in `outbox/`.
fn outbox(pb: &Postbode) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(editions) = fs::read_dir(pb.path().join("outbox")) else {
        return out;
    };
    for edition in editions {
        let edition = edition.unwrap();
        let folder = edition.file_name().to_string_lossy().into_owned();
        for file in fs::read_dir(edition.path()).unwrap() {
            let name = file.unwrap().file_name().to_string_lossy().into_owned();
            out.push((folder.clone(), name));
        }
    }
    out.sort();
    out
}

fn mail(pb: &Postbode, folder: &str, file: &str) -> String {
    fs::read_to_string(pb.path().join("outbox").join(folder).join(file)).unwrap()
}

fn files(list: &[(String, String)], prefix: &str) -> Vec<String> {
    list.iter()
        .filter(|(f, _)| f.starts_with(prefix))
        .map(|(_, n)| n.clone())
        .collect()
}

#[test]
fn the_old_form_is_one_digest_named_weekly() {
    let mut s = S::new("");
    let run = s.run(&["check", "-v"]);
    assert!(
        run.stderr.contains(
            "digest `weekly`, the default: `[digest]` and `[schedule]` (one digest, named `weekly`), `0 8 * * MON`"
        ),
        "{}",
        run.stderr
    );
    // One digest: no `--digest` needed anywhere.
    let run = s.ok(&args(&["send"]));
    assert!(run.stdout.contains("delivered 2,"), "{}", run.stdout);
    assert_eq!(
        files(&outbox(s.pb()), ""),
        ["ada@example.org.eml", "cleo@example.org.eml"]
    );
    s.ok(&["schedule"]);
}

#[test]
fn named_digests_are_chosen_by_name() {
    let mut s = S::new(TWO);
    let run = s.run(&["check", "-v"]);
    for line in [
        "digest `daily`: `[digests.daily]`, `0 8 * * *` in the site's timezone, state in `./state/digests/daily`",
        "digest `weekly`, the default: `[digests.weekly]`, `0 8 * * MON`",
    ] {
        assert!(run.stderr.contains(line), "{line}\n{}", run.stderr);
    }
    for cmd in [&["send"][..], &["preview"], &["schedule"]] {
        let run = s.fails(cmd);
        assert_eq!(
            run.stderr,
            "error: there are several digests: choose one with `--digest` (`daily`, `weekly`)\n",
            "{cmd:?}"
        );
        let mut with = cmd.to_vec();
        with.extend(["--digest", "hourly"]);
        let run = s.fails(&with);
        assert_eq!(
            run.stderr, "error: unknown digest `hourly`; the digests are `daily`, `weekly`\n",
            "{cmd:?}"
        );
    }
    let run = s
        .env("POSTBODE_NOW", "2026-11-20T12:00:00+01:00")
        .ok(&["schedule", "--digest", "daily", "--count", "1"]);
    assert!(
        run.stdout
            .starts_with("expression   0 8 * * *\nmeaning      every day at 08:00\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_digest_config_is_named() {
    for (tables, wanted) in [
        (
            "[digests.Daily]\n",
            "`[digests.Daily]`: a digest name is lower-case letters",
        ),
        (
            "[digests.a]\n[digests.b]\n",
            "several digests (`a`, `b`): set `subscribers.default_digest`",
        ),
        (
            "[digests.weekly]\n[digests.daily]\nstate_dir = \"state\"\n",
            "digests `daily` and `weekly` share the state folder",
        ),
        (
            "[digests.daily]\nmax_postz = 3\n",
            "unknown field `max_postz`",
        ),
    ] {
        let run = S::new(tables).fails(&["check"]);
        assert!(
            run.stderr
                .starts_with("error: invalid config `config.toml`: ")
                && run.stderr.contains(wanted),
            "{tables}: {}",
            run.stderr
        );
    }
}

#[test]
fn each_digest_goes_to_its_own_readers_with_its_own_list_and_state() {
    let mut s = S::new(TWO);
    s.ok(&args(&["send", "--digest", "weekly"]));
    s.ok(&args(&["send", "--digest", "daily"]));
    let sent = outbox(s.pb());
    // A post can be in both: each digest is sent whole.
    assert_eq!(
        files(&sent, "2026"),
        ["ada@example.org.eml", "cleo@example.org.eml"]
    );
    assert_eq!(
        files(&sent, "daily-2026"),
        ["bram@example.org.eml", "cleo@example.org.eml"]
    );
    let id = sent
        .iter()
        .map(|(f, _)| f.clone())
        .find(|f| f.starts_with("2026"))
        .unwrap();
    let weekly = mail(s.pb(), &id, "cleo@example.org.eml");
    let daily = mail(s.pb(), &format!("daily-{id}"), "cleo@example.org.eml");
    assert!(
        weekly.contains("List-Id: <weekly.leestmeer.example.org>"),
        "{weekly}"
    );
    assert!(
        daily.contains("List-Id: <daily.leestmeer.example.org>"),
        "{daily}"
    );
    assert!(
        daily.contains("Subject: Today at The Weekly Reader"),
        "{daily}"
    );
    assert!(!weekly.contains("Subject: Today"), "{weekly}");
    // Weekly's state is where one digest kept it; daily's has its own folder.
    let root = s.pb().path().join("state");
    assert!(root.join("editions").join(&id).join("closed.json").exists());
    assert!(root
        .join("digests/daily/editions")
        .join(format!("daily-{id}"))
        .join("closed.json")
        .exists());
    // Each remembers its own: sending the same window again is refused.
    let run = s.fails(&args(&["send", "--digest", "daily"]));
    assert!(
        run.stderr
            .contains(&format!("edition daily-{id} was already delivered")),
        "{}",
        run.stderr
    );
}

#[test]
fn upgrading_to_named_digests_keeps_weeklys_journal_and_sends_nothing_twice() {
    // One digest, the old way; the edition is delivered.
    let mut s = S::new("");
    s.ok(&args(&["send"]));
    assert_eq!(outbox(s.pb()).len(), 2);
    // The operator adds a daily digest next to it.
    s.config(&format!("{SENDER}\n{TWO}"));
    let run = s.fails(&args(&["send", "--digest", "weekly"]));
    assert!(
        run.stderr.contains("was already delivered"),
        "{}",
        run.stderr
    );
    let run = s
        .env("POSTBODE_NOW", "2026-11-24T12:00:00+01:00")
        .ok(&["schedule", "--digest", "weekly"]);
    assert!(
        run.stdout
            .contains("last edition 20261115T230000Z--20261122T230000Z: delivered 2, failed 0"),
        "{}",
        run.stdout
    );
    // The next weekly window starts where the old one ended.
    s.ok(&["preview", "--digest", "weekly", "--json", "e.json"]);
    let e: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(s.pb().path().join("e.json")).unwrap()).unwrap();
    let since = e["window"]["since"].as_str().unwrap_or_default().to_owned();
    assert!(since.starts_with("2026-11-23T00:00:00"), "{e}");
    assert_eq!(outbox(s.pb()).len(), 2);
}

#[test]
fn a_paused_reader_gets_nothing_until_resumed() {
    let mut s = S::new("");
    let run = s.ok(&[
        "subscribers",
        "pause",
        "ada@example.org",
        "--until",
        "2099-12-31",
    ]);
    assert_eq!(
        run.stdout,
        "paused ada@example.org: no digest before 2099-12-31\n"
    );
    let bad = s.fails(&[
        "subscribers",
        "pause",
        "ada@example.org",
        "--until",
        "next week",
    ]);
    assert!(
        bad.stderr.contains("`--until`: `next week` is not a date"),
        "{}",
        bad.stderr
    );
    let run = s.ok(&args(&["send", "--dry-run"]));
    assert!(run.stdout.contains("; 1 messages"), "{}", run.stdout);
    let run = s.ok(&["subscribers", "resume", "dirk@example.org"]);
    assert_eq!(
        run.stdout,
        "resumed dirk@example.org (was paused until 2099-01-01)\n"
    );
    let run = s.ok(&["subscribers", "resume", "ada@example.org"]);
    assert!(run.stdout.starts_with("resumed ada@example.org"));
    let run = s.ok(&["subscribers", "resume", "ada@example.org"]);
    assert!(run.stderr.contains("was not paused"), "{}", run.stderr);
    // A pause that ended holds nothing back.
    s.ok(&[
        "subscribers",
        "pause",
        "ada@example.org",
        "--until",
        "2020-01-01",
    ]);
    let run = s.ok(&args(&["send"]));
    assert!(run.stdout.contains("delivered 3,"), "{}", run.stdout);
    assert_eq!(
        files(&outbox(s.pb()), ""),
        [
            "ada@example.org.eml",
            "cleo@example.org.eml",
            "dirk@example.org.eml"
        ]
    );
}

#[test]
fn subscriber_commands_take_digests() {
    let mut s = S::new(TWO);
    let run = s.ok(&[
        "subscribers",
        "add",
        "fay@example.org",
        "--digest",
        "daily",
        "--digest",
        "weekly",
    ]);
    assert_eq!(
        run.stdout,
        "added fay@example.org (categories: all; digests: daily, weekly)\n"
    );
    let run = s.fails(&[
        "subscribers",
        "add",
        "gus@example.org",
        "--digest",
        "hourly",
    ]);
    assert_eq!(
        run.stderr,
        "error: unknown digest `hourly`; the digests are `daily`, `weekly`\n"
    );
    let mut list = |digest: &str| -> Vec<String> {
        let run = s.ok(&["subscribers", "list", "--digest", digest, "--json"]);
        run.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["email"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        list("daily"),
        [
            "bram@example.org",
            "cleo@example.org",
            "eve@example.org",
            "fay@example.org"
        ]
    );
    assert_eq!(
        list("weekly"),
        [
            "ada@example.org",
            "cleo@example.org",
            "dirk@example.org",
            "fay@example.org"
        ]
    );
    s.fails(&["subscribers", "list", "--digest", "hourly"]);
    let table = s.ok(&["subscribers", "list", "--digest", "weekly"]).stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].ends_with("BOUNCES  DIGESTS        PAUSED UNTIL"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("ada@example.org") && lines[1].ends_with("0  -              -"),
        "{table}"
    );
    assert!(
        lines[3].ends_with("0  -              2099-01-01"),
        "{table}"
    );
    assert!(lines[4].ends_with("0  daily, weekly  -"), "{table}");

    s.file(
        "new.csv",
        "email,name,digests\nhal@example.org,Hal,daily\nivy@example.org,,hourly\njo@example.org,,daily;weekly\n",
    );
    let run = s.fails(&["subscribers", "import", "new.csv"]);
    assert_eq!(
        run.stderr,
        "new.csv:3: unknown digest `hourly`; the digests are `daily`, `weekly`\n"
    );
    assert!(
        run.stdout
            .starts_with("imported 2 subscribers from `new.csv`; skipped 1 bad row"),
        "{}",
        run.stdout
    );
    let json = s.ok(&["subscribers", "export", "--format", "json"]).json();
    let find = |email: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|x| x["email"] == email)
            .unwrap()
            .clone()
    };
    assert_eq!(
        find("jo@example.org")["digests"],
        serde_json::json!(["daily", "weekly"])
    );
    assert_eq!(find("dirk@example.org")["paused_until"], "2099-01-01");
    assert_eq!(
        find("ada@example.org")["paused_until"],
        serde_json::Value::Null
    );
    let csv = s.ok(&["subscribers", "export"]).stdout;
    assert!(
        csv.lines()
            .any(|l| l.starts_with("jo@example.org,") && l.ends_with(",daily;weekly,")),
        "{csv}"
    );
    // The YAML layout keeps both fields, and `check` knows every name.
    let yaml = fs::read_to_string(s.pb().path().join("subscribers/subscribers.yaml")).unwrap();
    assert!(
        yaml.contains("    digests: [\"daily\", \"weekly\"]\n"),
        "{yaml}"
    );
    assert!(yaml.contains("    paused_until: 2099-01-01\n"), "{yaml}");
    s.config(SENDER);
    let run = s.fails(&["check"]);
    assert!(
        run.stdout.contains(
            "`bram@example.org` is on the digest `daily`, which `config.toml` does not have"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn digests_and_pauses_survive_migrate_both_ways_and_an_old_sqlite_file_is_upgraded() {
    let mut s = S::new(TWO);
    let yaml = s.pb().path().join("subscribers/subscribers.yaml");
    let before = s.ok(&["subscribers", "export", "--format", "json"]).stdout;
    s.ok(&["subscribers", "migrate", "--to", "list.sqlite"]);
    s.config(&format!(
        "{SENDER}\n{TWO}\n[subscribers]\nfile = \"list.sqlite\""
    ));
    let on_sqlite = s.ok(&["subscribers", "export", "--format", "json"]).stdout;
    assert_eq!(on_sqlite, before);
    s.ok(&["subscribers", "migrate", "--to", "back.yaml"]);
    let back = fs::read_to_string(s.pb().path().join("back.yaml")).unwrap();
    assert!(
        back.ends_with(&fs::read_to_string(&yaml).unwrap()),
        "{back}"
    );

    // A list written before digests existed: schema version 1.
    let old = s.pb().path().join("old.sqlite");
    {
        let db = rusqlite::Connection::open(&old).unwrap();
        db.execute_batch(
            "CREATE TABLE subscribers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, \
             key TEXT NOT NULL UNIQUE, name TEXT, categories TEXT NOT NULL DEFAULT '[]', \
             status TEXT NOT NULL DEFAULT 'active', subscribed_at TEXT, unsubscribed_at TEXT, \
             bounces INTEGER NOT NULL DEFAULT 0, token TEXT NOT NULL UNIQUE);
             INSERT INTO subscribers (email, key, token) VALUES
               ('old@example.org', 'old@example.org', '00112233445566778899aabbccddeeff');
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    s.config(&format!(
        "{SENDER}\n{TWO}\n[subscribers]\nfile = \"old.sqlite\""
    ));
    let json = s
        .ok(&["subscribers", "list", "--digest", "weekly", "--json"])
        .json();
    assert_eq!(json[0]["email"], "old@example.org");
    assert_eq!(json[0]["digests"], serde_json::json!([]));
    s.ok(&[
        "subscribers",
        "pause",
        "old@example.org",
        "--until",
        "2099-01-01",
    ]);
    let db = rusqlite::Connection::open(&old).unwrap();
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
    let paused: String = db
        .query_row("SELECT paused_until FROM subscribers", [], |r| r.get(0))
        .unwrap();
    assert_eq!(paused, "2099-01-01");
}

// ------------------------------------------------------------- schedule

fn ams() -> Tz {
    "Europe/Amsterdam".parse().unwrap()
}

/// A Monday 08:00 well ahead of the real clock.
fn monday_ahead() -> DateTime<Tz> {
    Schedule::new("0 8 * * MON", ams())
        .unwrap()
        .next_after(Utc::now() + Duration::days(400))
        .unwrap()
}

fn last_fired(pb: &Postbode, state: &str) -> Option<String> {
    let text = fs::read_to_string(pb.path().join(state).join("schedule.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    Some(json["last_fired"].as_str().unwrap().to_owned())
}

#[test]
fn send_if_due_sends_two_digests_due_at_the_same_minute_one_after_the_other() {
    let monday = monday_ahead();
    let mut s = S::new(TWO);
    let run = s
        .env(
            "POSTBODE_NOW",
            &(monday + Duration::minutes(1)).to_rfc3339(),
        )
        .ok(&args(&["send", "--if-due"]));
    let when = local_time(&monday);
    let daily_at = run.stderr.find("digest `daily`:").expect(&run.stderr);
    let weekly_at = run.stderr.find("digest `weekly`:").expect(&run.stderr);
    assert!(daily_at < weekly_at, "{}", run.stderr);
    assert_eq!(
        run.stderr
            .matches(&format!("sending the digest scheduled for {when}"))
            .count(),
        2,
        "{}",
        run.stderr
    );
    let sent = outbox(s.pb());
    assert_eq!(files(&sent, "daily-").len(), 2);
    assert_eq!(files(&sent, "2026").len(), 2);
    assert_eq!(last_fired(s.pb(), "state"), Some(monday.to_rfc3339()));
    assert_eq!(
        last_fired(s.pb(), "state/digests/daily"),
        Some(monday.to_rfc3339())
    );

    // Cron again, four minutes later: both fired already.
    let run = s
        .env(
            "POSTBODE_NOW",
            &(monday + Duration::minutes(5)).to_rfc3339(),
        )
        .ok(&args(&["send", "--if-due"]));
    assert_eq!(run.stderr.matches("not due").count(), 2, "{}", run.stderr);
    assert_eq!(outbox(s.pb()).len(), 4);

    // Tuesday: only the daily one is due; `--digest weekly` alone is not.
    let tuesday = monday + Duration::days(1);
    s.env(
        "POSTBODE_NOW",
        &(tuesday + Duration::minutes(1)).to_rfc3339(),
    );
    let run = s.ok(&["send", "--if-due", "--digest", "weekly"]);
    assert!(run.stderr.contains("not due"), "{}", run.stderr);
    let run = s.ok(&["send", "--if-due"]);
    assert!(
        run.stderr.contains(&format!(
            "sending the digest scheduled for {}",
            local_time(&tuesday)
        )),
        "{}",
        run.stderr
    );
    assert_eq!(
        last_fired(s.pb(), "state/digests/daily"),
        Some(tuesday.to_rfc3339())
    );
    assert_eq!(last_fired(s.pb(), "state"), Some(monday.to_rfc3339()));
}

fn spawn_run(pb: &Postbode, now: DateTime<Tz>) -> Child {
    let err = fs::File::create(pb.path().join("run.err")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_postbode"))
        .current_dir(pb.path())
        .env("POSTBODE_NOW", now.to_rfc3339())
        .args(["run"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .unwrap()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < StdDuration::from_secs(30),
            "timed out: {what}"
        );
        std::thread::sleep(StdDuration::from_millis(50));
    }
}

#[test]
fn run_sends_every_digest_at_its_time_one_delivery_at_a_time() {
    // Windows reach back far enough to hold the fixture's posts.
    let pb = site(
        &format!("{TWO}\n[digest]\nwindow_days = 3653\n")
            .replace("window_days = 1\n", "window_days = 3653\n"),
    );
    let monday = monday_ahead();
    let mut child = spawn_run(&pb, monday - Duration::seconds(2));
    wait_for("both digests in the outbox", || outbox(&pb).len() == 4);
    wait_for("both fires recorded", || {
        last_fired(&pb, "state").is_some() && last_fired(&pb, "state/digests/daily").is_some()
    });
    let err_path = pb.path().join("run.err");
    wait_for("the next times announced", || {
        fs::read_to_string(&err_path)
            .unwrap_or_default()
            .contains(&format!(
                "digest `daily`: next send: {}",
                local_time(&(monday + Duration::days(1)))
            ))
    });
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: `kill` with a pid of our own child and a valid signal.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    let err = fs::read_to_string(&err_path).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    let when = local_time(&monday);
    let daily = err
        .find(&format!(
            "digest `daily`: sending the digest scheduled for {when}"
        ))
        .expect(&err);
    let weekly = err
        .find(&format!(
            "digest `weekly`: sending the digest scheduled for {when}"
        ))
        .expect(&err);
    // One delivery at a time: the first closed before the second started.
    let closed = err[daily..]
        .find("is closed")
        .map(|i| i + daily)
        .expect(&err);
    assert!(daily < closed && closed < weekly, "{err}");
}
