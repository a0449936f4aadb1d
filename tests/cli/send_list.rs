//! `send` with a YAML list long enough to be read in pieces (two digests due
//! at the same minute): every reader gets exactly the digests they are on,
//! whichever piece of the file holds them; a list that cannot be used stops
//! both digests before anything is stored or sent; an entry added by hand
//! gets its token saved before a message carries it.

use crate::common;

use std::collections::BTreeSet;
use std::fs;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use common::{Postbode, Run};
use postbode::schedule::Schedule;

const CONFIG: &str = r#"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"

[delivery]
transport = "file"

[digests.weekly]
cron = "0 8 * * MON"

[digests.daily]
cron = "0 8 * * *"
"#;

/// About 1.6 MB of list: read in two pieces of about a megabyte.
const N: usize = 12_000;

/// Who is active, and on which digests (`None`: the default, weekly); the
/// rest of the list has unsubscribed. Some in each piece, some at the end.
const ACTIVE: [(usize, Option<&str>); 9] = [
    (0, None),
    (6_500, None),
    (11_999, None),
    (1, Some(r#"["daily"]"#)),
    (6_501, Some(r#"["daily"]"#)),
    (11_998, Some(r#"["daily"]"#)),
    (2, Some(r#"["daily", "weekly"]"#)),
    (11_997, Some(r#"["weekly", "daily"]"#)),
    (3, Some(r#"["weekly"]"#)),
];

fn email(i: usize) -> String {
    format!("reader{i:05}@example.org")
}

/// The list in postbode's own layout, with `tail` (more entries) at the end.
fn list(tail: &str) -> String {
    let mut out = String::from("subscribers:\n");
    for i in 0..N {
        let active = ACTIVE.iter().find(|(a, _)| *a == i);
        out.push_str(&format!(
            "  - email: \"{}\"\n    name: \"Reader {i}\"\n    categories: []\n    status: {}\n    bounces: 0\n",
            email(i),
            if active.is_some() { "active" } else { "unsubscribed" }
        ));
        if let Some((_, Some(digests))) = active {
            out.push_str(&format!("    digests: {digests}\n"));
        }
        out.push_str(&format!(
            "    token: \"{:032x}\"\n",
            0x5eed_u128 << 64 | i as u128
        ));
    }
    out.push_str(tail);
    out
}

fn site(list: &str) -> Postbode {
    Postbode::new()
        .site("digest_en")
        .config(CONFIG)
        .file("subscribers/subscribers.yaml", list)
}

/// A Monday 08:01 in Amsterdam, well ahead: both digests are due.
fn monday() -> String {
    let tz: Tz = "Europe/Amsterdam".parse().unwrap();
    let at: DateTime<Tz> = Schedule::new("0 8 * * MON", tz)
        .unwrap()
        .next_after(Utc::now() + Duration::days(400))
        .unwrap();
    (at + Duration::minutes(1)).to_rfc3339()
}

fn send(pb: Postbode) -> Postbode {
    pb.env("POSTBODE_NOW", &monday()).args([
        "send",
        "--if-due",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-23",
    ])
}

/// The addresses each edition folder of `outbox/` holds a message for,
/// `daily` first.
fn outbox(pb: &Postbode) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut daily, mut weekly) = (BTreeSet::new(), BTreeSet::new());
    let Ok(editions) = fs::read_dir(pb.path().join("outbox")) else {
        return (daily, weekly);
    };
    for edition in editions {
        let edition = edition.unwrap();
        let to = if edition.file_name().to_string_lossy().starts_with("daily-") {
            &mut daily
        } else {
            &mut weekly
        };
        for file in fs::read_dir(edition.path()).unwrap() {
            let name = file.unwrap().file_name().to_string_lossy().into_owned();
            to.insert(name.trim_end_matches(".eml").to_owned());
        }
    }
    (daily, weekly)
}

fn emails(ids: &[usize]) -> BTreeSet<String> {
    ids.iter().map(|&i| email(i)).collect()
}

#[test]
fn each_reader_gets_their_digests_from_every_piece_of_the_list() {
    let pb = send(site(&list("")));
    pb.succeeds();
    let (daily, weekly) = outbox(&pb);
    assert_eq!(daily, emails(&[1, 2, 6_501, 11_997, 11_998]));
    assert_eq!(weekly, emails(&[0, 2, 3, 6_500, 11_997, 11_999]));
}

/// The repeat sits in the list's last piece, after readers of both digests.
#[test]
fn a_repeated_address_late_in_the_list_stops_both_digests_before_anything_is_stored() {
    let line = 1 + N * 6 + ACTIVE.iter().filter(|(_, d)| d.is_some()).count() + 1;
    let tail =
        "  - email: \"reader06500@EXAMPLE.org\"\n    token: \"00000000000000000000000000000001\"\n";
    let pb = send(site(&list(tail)));
    let run: Run = pb.fails(1);
    let first = (0..6_500)
        .map(|i| 6 + usize::from(ACTIVE.iter().any(|(a, d)| *a == i && d.is_some())))
        .sum::<usize>()
        + 2;
    let message = format!(
        "subscribers/subscribers.yaml:{line}: `reader06500@EXAMPLE.org` is on the list twice (also at line {first})"
    );
    assert_eq!(run.stderr.matches(&message).count(), 2, "{}", run.stderr);
    for digest in ["daily", "weekly"] {
        let said = format!("error: digest `{digest}`: ");
        assert!(run.stderr.contains(&said), "{}", run.stderr);
    }
    assert_eq!(outbox(&pb), (BTreeSet::new(), BTreeSet::new()));
    assert!(!pb.path().join("state/editions").exists());
    assert!(!pb.path().join("state/digests/daily/editions").exists());
}

#[test]
fn an_entry_added_by_hand_gets_its_token_saved_before_it_is_sent() {
    let pb = send(site(&list("  - email: \"hand@example.org\"\n")));
    pb.succeeds();
    let saved = fs::read_to_string(pb.path().join("subscribers/subscribers.yaml")).unwrap();
    let entry = &saved[saved.find("\"hand@example.org\"").unwrap()..];
    let token = entry
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: \""))
        .and_then(|t| t.strip_suffix('"'))
        .expect(entry);
    assert_eq!(token.len(), 32, "{token}");
    let (daily, weekly) = outbox(&pb);
    assert!(!daily.contains("hand@example.org"));
    assert!(weekly.contains("hand@example.org"));
    let folder = fs::read_dir(pb.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("daily-")
        })
        .unwrap();
    let mail = fs::read_to_string(folder.join("hand@example.org.eml")).unwrap();
    assert!(
        mail.contains(&format!("afmelden/{token}")),
        "the message carries the saved token"
    );
}
