//! Bounce benchmark: a generated Maildir of 10,000 bounces (Postfix DSNs to
//! VERP return paths, Exim and qmail notices, Office 365 reports, complaints,
//! auto-replies) against a generated list of 100,000 subscribers, through
//! the release binary (`postbode bounces --maildir`: read, classify, one
//! locked list update, moves), with its wall time and peak memory; and
//! detection quality on the dev set (`tests/fixtures/bounces/devset/` and
//! the per-format fixtures), beside a reader of standard DSN fields alone.
//!
//!   cargo build --release && cargo bench --bench bounces
//!
//! The binary is `target/release/postbode` (or `$POSTBODE_BIN`).
#![cfg_attr(test, allow(dead_code))]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use mail_parser::{MessageParser, MimeHeaders};
use postbode::bounces::mailbox::read_maildir;
use postbode::mail::verp::reader_tag;

const LIST: usize = 100_000;
const BOUNCES: usize = 10_000;
const RUNS: usize = 3;

fn main() {
    quality();
    println!();
    scale();
}

fn token(i: usize) -> String {
    format!("{:032x}", 0x5eed_u128 * 1_000_003 + i as u128)
}

fn email(i: usize) -> String {
    format!("reader{i:06}@example.org")
}

fn write_list(path: &Path) {
    let mut out = String::with_capacity(LIST * 200);
    out.push_str("subscribers:\n");
    for i in 0..LIST {
        out.push_str(&format!(
            "  - email: \"{}\"\n    categories: []\n    status: active\n    bounces: 0\n    token: \"{}\"\n",
            email(i),
            token(i)
        ));
    }
    fs::write(path, out).expect("write the list");
}

/// One bounce for subscriber `i`, in the format `i` picks.
fn bounce(n: usize, i: usize) -> String {
    let to = email(i);
    let tag = reader_tag(&token(i));
    let verp = format!("bounces+{tag}@leestmeer.example.org");
    let mid = format!("<9c1e5a0b7d3f2e41.{tag}.20261122T230000Z@leestmeer.example.org>");
    match n % 6 {
        0 | 1 => format!(
            "Return-Path: <>\nDelivered-To: {verp}\nFrom: MAILER-DAEMON@relay.example (Mail Delivery System)\nTo: {verp}\nSubject: Undelivered Mail Returned to Sender\nDate: Mon, 23 Nov 2026 08:00:07 +0100\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B{n}\"\n\n--B{n}\nContent-Type: text/plain\n\n<{to}>: host mx said: 550 5.1.1 User unknown\n\n--B{n}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example\n\nFinal-Recipient: rfc822; {to}\nAction: failed\nStatus: 5.1.1\n\n--B{n}\nContent-Type: message/rfc822\n\nFrom: Leest Meer <digest@leestmeer.example.org>\nTo: {to}\nMessage-ID: {mid}\nSubject: Leest Meer\n\nGoedemorgen,\n{}\n--B{n}--\n",
            "Een regel tekst uit de digest.\n".repeat(60)
        ),
        2 => format!(
            "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\nTo: digest@leestmeer.example.org\nSubject: Mail delivery failed: returning message to sender\nDate: Mon, 23 Nov 2026 08:00:12 +0100\n\nThis message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  {to}\n    host mail.example.net [198.51.100.7]\n    550 5.1.1 <{to}>: Recipient address rejected\n\n------ This is a copy of the message, including all the headers. ------\n\nFrom: Leest Meer <digest@leestmeer.example.org>\nTo: {to}\nMessage-ID: {mid}\nList-Id: <weekly.leestmeer.example.org>\n\n{}",
            "Een regel tekst uit de digest.\n".repeat(60)
        ),
        3 => format!(
            "From: MAILER-DAEMON@qmail.example\nTo: digest@leestmeer.example.org\nSubject: failure notice\nDate: 23 Nov 2026 07:00:15 -0000\n\nHi. This is the qmail-send program at qmail.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<{to}>:\nuser is over quota\n\n--- Below this line is a copy of the message.\n\nFrom: Leest Meer <digest@leestmeer.example.org>\nTo: {to}\nList-Id: <weekly.leestmeer.example.org>\n\nGoedemorgen,\n"
        ),
        4 => format!(
            "From: Feedback Loop <fbl@isp.example>\nTo: {verp}\nSubject: Abuse report\nDate: Mon, 23 Nov 2026 11:22:33 +0100\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"F{n}\"\n\n--F{n}\nContent-Type: text/plain\n\nAn abuse report.\n\n--F{n}\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\nOriginal-Rcpt-To: <{to}>\n\n--F{n}--\n"
        ),
        _ => format!(
            "From: Reader <{to}>\nTo: digest@leestmeer.example.org\nSubject: Automatic reply: Leest Meer\nAuto-Submitted: auto-replied\nDate: Mon, 23 Nov 2026 08:01:00 +0100\n\nIk ben met vakantie.\n"
        ),
    }
}

fn scale() {
    let bin = std::env::var_os("POSTBODE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/postbode"));
    let dir = tempfile::tempdir().expect("temp dir");
    let list = dir.path().join("subscribers.yaml");
    let pristine = dir.path().join("pristine.yaml");
    write_list(&list);
    fs::copy(&list, &pristine).expect("copy");
    fs::create_dir_all(dir.path().join("site")).expect("site");
    let config = dir.path().join("config.toml");
    fs::write(
        &config,
        "[site]\nsource = \"site\"\n[sender]\nfrom = \"Leest Meer <digest@leestmeer.example.org>\"\nlist_id = \"weekly.leestmeer.example.org\"\nbounce_address = \"bounces+{token}@leestmeer.example.org\"\n[subscribers]\nfile = \"subscribers.yaml\"\n",
    )
    .expect("config");
    let maildir = dir.path().join("mail");
    let make_maildir = || {
        let _ = fs::remove_dir_all(&maildir);
        for sub in ["new", "cur", "tmp"] {
            fs::create_dir_all(maildir.join(sub)).expect("maildir");
        }
        let mut bytes = 0;
        for n in 0..BOUNCES {
            // Spread over the list; some readers bounce twice.
            let i = (n * 7919) % LIST;
            let text = bounce(n, i);
            bytes += text.len();
            fs::write(maildir.join("new").join(format!("{n:05}.bench:2,")), text).expect("mail");
        }
        bytes
    };
    let bytes = make_maildir();
    println!(
        "{BOUNCES} bounces ({:.1} MB) in a Maildir, {LIST} subscribers",
        bytes as f64 / 1e6
    );

    // In-process: reading and classifying only.
    let started = Instant::now();
    let (read, unread) = read_maildir(&maildir).expect("read the Maildir");
    assert_eq!((read.len(), unread.len()), (BOUNCES, 0));
    println!(
        "read + classify (library, {} threads)       {:>8.2} s",
        rayon::current_num_threads(),
        started.elapsed().as_secs_f64()
    );
    drop(read);

    if !bin.exists() {
        println!(
            "(no {}: build it with `cargo build --release`)",
            bin.display()
        );
        return;
    }
    let mut times = Vec::new();
    let mut peak = 0;
    for run in 0..RUNS {
        if run > 0 {
            make_maildir();
            fs::copy(&pristine, &list).expect("reset the list");
            let _ = fs::remove_dir_all(dir.path().join("state"));
        }
        let started = Instant::now();
        let out = Command::new("/usr/bin/time")
            .arg("-v")
            .arg(&bin)
            .arg("--config")
            .arg(&config)
            .args(["-q", "bounces", "--maildir"])
            .arg(&maildir)
            .output()
            .expect("run postbode (and /usr/bin/time)");
        times.push(started.elapsed().as_secs_f64());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "postbode failed: {stderr}");
        let rss: u64 = stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        peak = peak.max(rss);
    }
    let moved = fs::read_dir(maildir.join(".processed/cur"))
        .map(|d| d.count())
        .unwrap_or(0);
    times.sort_by(f64::total_cmp);
    println!(
        "postbode bounces --maildir (binary), {RUNS} runs: median {:.2} s, min {:.2} s, max {:.2} s; peak memory {:.0} MB; {moved} moved",
        times[RUNS / 2],
        times[0],
        times[RUNS - 1],
        peak as f64 / 1024.0
    );
    println!("target: under 5 s and under 200 MB");
}

/// Exact agreement on `permanent` and `temporary` per message, for
/// postbode and for a reader of standard DSN fields alone.
fn quality() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounces");
    let mut expected: BTreeMap<PathBuf, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let text = fs::read_to_string(fixtures.join("devset/expected.json")).expect("expected.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("expected.json is JSON");
    let list = |v: &serde_json::Value| -> Vec<String> {
        let mut l: Vec<String> = v
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        l.sort();
        l
    };
    for (name, v) in json.as_object().expect("an object") {
        expected.insert(
            fixtures.join("devset").join(name),
            (list(&v["permanent"]), list(&v["temporary"])),
        );
    }
    let (mut ours_p, mut ours_t, mut dsn_p, mut dsn_t) = (0, 0, 0, 0);
    for (path, (permanent, temporary)) in &expected {
        let bytes = fs::read(path).expect("a dev-set message");
        let r = postbode::bounces::classify(&bytes);
        let (mut p, mut t) = (r.permanent.clone(), r.temporary.clone());
        p.sort();
        t.sort();
        ours_p += usize::from(&p == permanent);
        ours_t += usize::from(&t == temporary);
        if &p != permanent || &t != temporary {
            println!("  differs: {} got {p:?} {t:?}", path.display());
        }
        let (bp, bt) = dsn_only(&bytes);
        dsn_p += usize::from(&bp == permanent);
        dsn_t += usize::from(&bt == temporary);
    }
    let n = expected.len();
    println!("detection on the dev set ({n} messages from 20-odd mail systems; exact agreement per message)");
    println!(
        "  postbode:                 permanent {ours_p}/{n} ({:.0}%), temporary {ours_t}/{n} ({:.0}%)",
        100.0 * ours_p as f64 / n as f64,
        100.0 * ours_t as f64 / n as f64
    );
    println!(
        "  standard DSN fields only: permanent {dsn_p}/{n} ({:.0}%), temporary {dsn_t}/{n} ({:.0}%)",
        100.0 * dsn_p as f64 / n as f64,
        100.0 * dsn_t as f64 / n as f64
    );
}

/// The baseline: `Final-Recipient` with `Action: failed` (permanent) or
/// `delayed` (temporary) from `message/delivery-status` parts, nothing else.
fn dsn_only(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut p, mut t) = (Vec::new(), Vec::new());
    let Some(m) = MessageParser::default().parse(bytes) else {
        return (p, t);
    };
    for part in &m.parts {
        if !part
            .content_type()
            .is_some_and(|c| c.ctype() == "message" && c.subtype() == Some("delivery-status"))
        {
            continue;
        }
        let body = String::from_utf8_lossy(part.contents()).replace("\r\n", "\n");
        for block in body.split("\n\n") {
            let field = |name: &str| {
                block.lines().find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| v.trim().to_owned())
                })
            };
            let Some(rcpt) = field("Final-Recipient") else {
                continue;
            };
            let address = rcpt.rsplit(';').next().unwrap_or("").trim().to_lowercase();
            match field("Action").map(|a| a.to_lowercase()).as_deref() {
                Some("failed") => p.push(address),
                Some("delayed") => t.push(address),
                _ => {}
            }
        }
    }
    p.sort();
    t.sort();
    (p, t)
}
