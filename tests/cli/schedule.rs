//! Scheduling seen from the command line: `schedule`, `send --if-due` and
//! `run`, with the schedule's clock set through `POSTBODE_NOW` (the real
//! binary, a temp dir, the file transport). Clock-driven logic through DST
//! changes is unit-tested in `src/schedule/tests.rs`; here the real
//! processes, files and signals.

use crate::common;

use std::fs;
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use common::Postbode;
use postbode::schedule::{local_time, Schedule};

const CONFIG: &str = r#"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"

[delivery]
transport = "file"
"#;

const LIST: &str = r#"subscribers:
  - email: "ada@example.org"
    name: "Ada Lovelace"
    categories: []
    status: active
    subscribed_at: 2026-09-01T09:15:00+02:00
    bounces: 0
    token: "3f0c9d2b7a6e4f1c8d5b0a9e7c6f3d21"
  - email: "bram@example.org"
    categories: []
    status: active
    subscribed_at: 2026-09-14T20:41:07+02:00
    bounces: 0
    token: "59cbff984f9acff56da2ab3da3c4b578"
"#;

const WEEK: [&str; 4] = ["--since", "2026-11-16", "--until", "2026-11-23"];

fn ams() -> Tz {
    "Europe/Amsterdam".parse().unwrap()
}

/// A Monday 08:00 (Amsterdam) well ahead of the real clock, so that the
/// real timestamps of stored editions are always before the test's clock.
fn monday_ahead() -> DateTime<Tz> {
    Schedule::new("0 8 * * MON", ams())
        .unwrap()
        .next_after(Utc::now() + Duration::days(400))
        .unwrap()
}

/// A site with the fixture week's posts, two subscribers, file transport.
fn site(extra: &str) -> Postbode {
    Postbode::new()
        .site("digest_en")
        .config(&format!("{CONFIG}\n{extra}"))
        .file("subscribers/subscribers.yaml", LIST)
}

fn at(pb: Postbode, now: DateTime<Tz>, args: &[&str]) -> Postbode {
    pb.env("POSTBODE_NOW", &now.to_rfc3339()).args(args)
}

/// Every `.eml` file under `outbox/`.
fn sent(pb: &Postbode) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(editions) = fs::read_dir(pb.path().join("outbox")) else {
        return out;
    };
    for edition in editions {
        for file in fs::read_dir(edition.unwrap().path()).unwrap() {
            out.push(file.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

fn last_fired(pb: &Postbode) -> Option<String> {
    let text = fs::read_to_string(pb.path().join("state/schedule.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    Some(json["last_fired"].as_str().unwrap().to_owned())
}

#[test]
fn schedule_shows_the_next_times_in_the_zone_and_in_utc() {
    let pb = Postbode::new()
        .args(["schedule", "--count", "3"])
        .env("POSTBODE_NOW", "2026-03-27T12:00:00+01:00");
    let run = pb.succeeds();
    assert_eq!(
        run.stdout,
        "\
expression   0 8 * * MON
meaning      every Monday at 08:00
timezone     Europe/Amsterdam
catch-up     6h: a time missed while the machine was off is sent at most this late
next         Mon 2026-03-30 08:00 CEST   2026-03-30 06:00 UTC
             Mon 2026-04-06 08:00 CEST   2026-04-06 06:00 UTC
             Mon 2026-04-13 08:00 CEST   2026-04-13 06:00 UTC
last edition none yet
due now      no: the next send is Mon 2026-03-30 08:00 CEST (in 2 days 19 h)
"
    );
}

#[test]
fn schedule_has_its_own_timezone_and_catch_up() {
    let pb = Postbode::new()
        .config("[schedule]\ncron = \"30 6 * * *\"\ntimezone = \"Asia/Tokyo\"\ncatch_up = \"90m\"")
        .args(["schedule", "--count", "2"])
        .env("POSTBODE_NOW", "2026-11-20T12:00:00+01:00");
    let run = pb.succeeds();
    assert!(
        run.stdout.contains(
            "meaning      every day at 06:30\n\
             timezone     Asia/Tokyo\n\
             catch-up     1h30m: "
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("next         Sat 2026-11-21 06:30 JST    2026-11-20 21:30 UTC\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_bad_schedule_is_a_config_error_naming_the_key() {
    for (table, key, value) in [
        ("cron = \"0 8 * * MONDAY\"", "`schedule.cron`", "MONDAY"),
        ("cron = \"0 8 * *\"", "`schedule.cron`", "0 8 * *"),
        ("cron = \"0 8 30 2 *\"", "`schedule.cron`", "never fires"),
        (
            "timezone = \"Europe/Amsterdm\"",
            "`schedule.timezone`",
            "Europe/Amsterdm",
        ),
        (
            "catch_up = \"six hours\"",
            "`schedule.catch_up`",
            "six hours",
        ),
    ] {
        for args in [
            &["schedule"][..],
            &["send", "--if-due"],
            &["run"],
            &["check"],
        ] {
            let run = Postbode::new()
                .config(&format!("[schedule]\n{table}"))
                .args(args)
                .fails(1);
            assert!(
                run.stderr
                    .starts_with("error: invalid config `config.toml`: ")
                    && run.stderr.contains(key)
                    && run.stderr.contains(value),
                "{args:?} with {table}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn send_if_due_sends_nothing_before_the_scheduled_time() {
    let monday = monday_ahead();
    let pb = at(
        site(""),
        monday + Duration::days(2) + Duration::hours(4),
        &["send", "--if-due"],
    );
    let run = pb.succeeds();
    let next = local_time(&(monday + Duration::days(7)));
    assert!(
        run.stderr
            .contains(&format!("not due: the next send is {next} (in 4 days")),
        "{}",
        run.stderr
    );
    assert!(sent(&pb).is_empty());
    assert!(!pb.path().join("state/editions").exists());
    assert_eq!(last_fired(&pb), None);
}

#[test]
fn send_if_due_sends_once_per_scheduled_time_empty_editions_included() {
    let monday = monday_ahead();
    let mut args = vec!["send", "--if-due"];
    args.extend(WEEK);
    let pb = at(site(""), monday + Duration::minutes(1), &args);
    let run = pb.succeeds();
    assert!(
        run.stderr.contains(&format!(
            "sending the digest scheduled for {}",
            local_time(&monday)
        )),
        "{}",
        run.stderr
    );
    assert_eq!(sent(&pb), ["ada@example.org.eml", "bram@example.org.eml"]);
    assert_eq!(last_fired(&pb), Some(monday.to_rfc3339()));

    // Four minutes later, from cron again: already fired.
    let pb = at(pb, monday + Duration::minutes(5), &args);
    let run = pb.succeeds();
    assert!(run.stderr.contains("not due"), "{}", run.stderr);
    assert_eq!(sent(&pb).len(), 2);

    // A week later the window has no posts: nothing is sent, yet the time
    // counts as fired, so the next call does not try again.
    let next = monday + Duration::days(7);
    let week2 = [
        "send",
        "--if-due",
        "--since",
        "2026-11-23",
        "--until",
        "2026-11-30",
    ];
    let pb = at(pb, next + Duration::seconds(30), &week2);
    let run = pb.succeeds();
    assert!(run.stderr.contains("nothing to send"), "{}", run.stderr);
    assert_eq!(last_fired(&pb), Some(next.to_rfc3339()));
    let run = at(pb, next + Duration::minutes(5), &week2).succeeds();
    assert!(run.stderr.contains("not due"), "{}", run.stderr);
}

#[test]
fn a_time_missed_beyond_catch_up_is_skipped_with_a_warning() {
    let monday = monday_ahead();
    let pb = site("").file(
        "state/schedule.json",
        format!(
            "{{\"last_fired\": \"{}\"}}",
            (monday - Duration::days(7)).to_rfc3339()
        ),
    );
    // Back at 15:00: 7 hours late, more than the default 6h.
    let late = monday + Duration::hours(7);
    let pb = at(pb, late, &["send", "--if-due", "-q"]);
    let run = pb.succeeds();
    assert!(
        run.stderr.starts_with(&format!(
            "warning: skipped the send of {}: it is more than 6h late (`schedule.catch_up`)",
            local_time(&monday)
        )),
        "{}",
        run.stderr
    );
    assert!(sent(&pb).is_empty());
    assert_eq!(last_fired(&pb), Some(monday.to_rfc3339()));
    // Skipped once: the next call is quiet and sends nothing.
    let run = at(pb, late + Duration::minutes(5), &["send", "--if-due"]).succeeds();
    assert!(run.stderr.contains("not due"), "{}", run.stderr);

    // Within a longer catch-up the same lateness still sends.
    let pb = site("[schedule]\ncatch_up = \"8h\"").file(
        "state/schedule.json",
        format!(
            "{{\"last_fired\": \"{}\"}}",
            (monday - Duration::days(7)).to_rfc3339()
        ),
    );
    let mut args = vec!["send", "--if-due"];
    args.extend(WEEK);
    let pb = at(pb, late, &args);
    pb.succeeds();
    assert_eq!(sent(&pb).len(), 2);
}

/// Monday's scheduled send met a dead relay: its edition is stored and
/// unfinished. Then the relay is fixed (here: the file transport).
fn interrupted_monday() -> (Postbode, DateTime<Tz>) {
    let dead = "[delivery]\ntransport = \"smtp\"\n[smtp]\nhost = \"127.0.0.1\"\nport = 1\nsecurity = \"none\"\nmax_retries = 0";
    let mut args = vec!["send"];
    args.extend(WEEK);
    let pb = Postbode::new()
        .site("digest_en")
        .config(&format!(
            "{}\n{dead}",
            CONFIG.replace("[delivery]\ntransport = \"file\"", "")
        ))
        .file("subscribers/subscribers.yaml", LIST)
        .args(&args);
    pb.fails(1);
    assert!(sent(&pb).is_empty());
    let monday = monday_ahead();
    let pb = pb.config(CONFIG).file(
        "state/schedule.json",
        format!("{{\"last_fired\": \"{}\"}}", monday.to_rfc3339()),
    );
    (pb, monday)
}

#[test]
fn send_if_due_always_resumes_an_unfinished_edition() {
    // From cron, on the Wednesday, `--if-due` finishes the edition
    // although nothing is due.
    let (pb, monday) = interrupted_monday();
    let wednesday = monday + Duration::days(2);
    let pb = at(pb, wednesday, &["send", "--if-due"]);
    let run = pb.succeeds();
    assert!(run.stderr.contains("resuming edition"), "{}", run.stderr);
    assert_eq!(sent(&pb), ["ada@example.org.eml", "bram@example.org.eml"]);
    assert_eq!(last_fired(&pb), Some(monday.to_rfc3339()));
    let run = at(pb, wednesday, &["send", "--if-due"]).succeeds();
    assert!(run.stderr.contains("not due"), "{}", run.stderr);
}

// ------------------------------------------------------------------ run

/// Starts `postbode run` with its stderr in `run-<n>.err`.
fn spawn_run(pb: &Postbode, now: DateTime<Tz>, n: usize) -> Child {
    let err = fs::File::create(pb.path().join(format!("run-{n}.err"))).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_postbode"));
    cmd.current_dir(pb.path())
        .env("POSTBODE_NOW", now.to_rfc3339())
        .args(["run"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err);
    cmd.spawn().unwrap()
}

fn stderr_of(pb: &Postbode, n: usize) -> String {
    fs::read_to_string(pb.path().join(format!("run-{n}.err"))).unwrap_or_default()
}

/// Polls a real process's effect for up to 20 seconds.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < StdDuration::from_secs(20),
            "timed out: {what}"
        );
        std::thread::sleep(StdDuration::from_millis(50));
    }
}

fn terminate(child: &mut Child) -> i32 {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: `kill` with a pid of our own child and a valid signal.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(
            start.elapsed() < StdDuration::from_secs(20),
            "`run` did not stop on SIGTERM"
        );
        std::thread::sleep(StdDuration::from_millis(50));
    }
}

/// A post dated yesterday by the real clock: `run` sends the window that
/// ends now.
fn with_recent_post(pb: Postbode) -> Postbode {
    let yesterday = Utc::now() - Duration::days(1);
    pb.file(
        &format!("site/_posts/{}-recent.md", yesterday.format("%Y-%m-%d")),
        format!(
            "---\ntitle: A recent post\ndate: {}\n---\nSomething happened yesterday.\n",
            yesterday.to_rfc3339()
        ),
    )
}

#[test]
fn run_sends_at_the_scheduled_time_and_stops_cleanly_on_sigterm() {
    let pb = with_recent_post(site(""));
    let monday = monday_ahead();
    let mut child = spawn_run(&pb, monday - Duration::seconds(2), 1);
    wait_for("the digest in the outbox", || sent(&pb).len() == 2);
    wait_for("the fire recorded", || last_fired(&pb).is_some());
    assert_eq!(last_fired(&pb), Some(monday.to_rfc3339()));
    wait_for("the next time announced", || {
        stderr_of(&pb, 1).contains(&format!(
            "next send: {}",
            local_time(&(monday + Duration::days(7)))
        ))
    });
    assert_eq!(terminate(&mut child), 0, "{}", stderr_of(&pb, 1));
    let err = stderr_of(&pb, 1);
    assert!(
        err.contains(&format!("next send: {} (in ", local_time(&monday)))
            && err.contains(&format!(
                "sending the digest scheduled for {}",
                local_time(&monday)
            ))
            && err.contains("stopped;"),
        "{err}"
    );
    // Restarted in the same minute: the time was fired, nothing more goes out.
    let mut child = spawn_run(&pb, monday + Duration::seconds(30), 2);
    wait_for("the restart waits", || {
        stderr_of(&pb, 2).contains("next send:")
    });
    assert_eq!(terminate(&mut child), 0);
    assert_eq!(sent(&pb).len(), 2);
}

#[test]
fn run_resumes_an_unfinished_edition_on_start_and_sends_nothing_new() {
    let (pb, monday) = interrupted_monday();
    let mut child = spawn_run(&pb, monday + Duration::days(2), 1);
    wait_for("the edition finished", || sent(&pb).len() == 2);
    wait_for("the next time announced", || {
        stderr_of(&pb, 1).contains(&format!(
            "next send: {}",
            local_time(&(monday + Duration::days(7)))
        ))
    });
    assert_eq!(terminate(&mut child), 0);
    let err = stderr_of(&pb, 1);
    assert!(
        err.contains("resuming the unfinished edition") && !err.contains("sending the digest"),
        "{err}"
    );
    assert_eq!(last_fired(&pb), Some(monday.to_rfc3339()));
}

#[test]
fn a_second_run_on_the_same_state_refuses_to_start() {
    let pb = site("");
    let wednesday = monday_ahead() + Duration::days(2);
    let mut first = spawn_run(&pb, wednesday, 1);
    wait_for("the first run to wait", || {
        stderr_of(&pb, 1).contains("next send:")
    });

    let start = Instant::now();
    let pb = at(pb, wednesday, &["run"]);
    let run = pb.fails(1);
    assert!(start.elapsed() < StdDuration::from_secs(10));
    assert!(
        run.stderr.contains("`postbode run` is already running on")
            && run.stderr.contains(&format!("pid {}", first.id())),
        "{}",
        run.stderr
    );
    // A timer's `send --if-due` leaves the sending to `run`.
    let pb = at(pb, wednesday, &["send", "--if-due"]);
    let run = pb.succeeds();
    assert!(run.stderr.contains("sends on schedule"), "{}", run.stderr);

    assert_eq!(terminate(&mut first), 0, "{}", stderr_of(&pb, 1));
    // Once it is gone, a new one starts.
    let mut again = spawn_run(&pb, wednesday, 2);
    wait_for("the second run to wait", || {
        stderr_of(&pb, 2).contains("next send:")
    });
    assert_eq!(terminate(&mut again), 0);
}
