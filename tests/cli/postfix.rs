//! A full edition for 500 subscribers through a real Postfix on loopback,
//! counted where Postfix delivered it. CI starts Postfix with
//! `.ci/postfix-sink.sh` and runs this with
//! `POSTBODE_POSTFIX_PORT=2525 POSTBODE_POSTFIX_MAILDIR=… cargo test --test cli postfix:: -- --ignored`.

use crate::common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::smtp::subscribers_yaml;
use common::Postbode;

#[test]
#[ignore = "needs a Postfix on loopback: see .ci/postfix-sink.sh"]
fn postfix_receives_a_full_edition() {
    let port: u16 = std::env::var("POSTBODE_POSTFIX_PORT")
        .expect("POSTBODE_POSTFIX_PORT")
        .parse()
        .expect("a port number");
    let maildir =
        PathBuf::from(std::env::var("POSTBODE_POSTFIX_MAILDIR").expect("POSTBODE_POSTFIX_MAILDIR"));
    let count_new = || std::fs::read_dir(maildir.join("new")).map_or(0, |d| d.count());
    let before = count_new();

    let config = format!(
        "[sender]\nfrom = \"Leest Meer <digest@leestmeer.example.org>\"\nunsubscribe_url = \"https://leestmeer.example.org/afmelden/{{token}}\"\n\
         [delivery]\ntransport = \"smtp\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nconnections = 8\n"
    );
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&config)
        .file("subscribers/subscribers.yaml", subscribers_yaml(500, &[]))
        .args(["send", "--since", "2026-11-16", "--until", "2026-11-23"]);
    let run = pb.succeeds();
    assert!(
        run.stdout
            .contains("delivered 500, failed permanently 0, still pending 0"),
        "{}",
        run.stdout
    );

    // Postfix queued them; wait until it has delivered every one.
    let start = Instant::now();
    while count_new() < before + 500 && start.elapsed() < Duration::from_secs(180) {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(count_new() - before, 500, "messages delivered by Postfix");

    // Each delivered file is one of ours, to one reader, with its headers.
    let mut readers = std::collections::HashSet::new();
    for entry in std::fs::read_dir(maildir.join("new")).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        if !text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click") {
            continue;
        }
        if let Some(to) = text.lines().find(|l| l.starts_with("Delivered-To: ")) {
            readers.insert(to.trim_start_matches("Delivered-To: ").trim().to_owned());
        }
    }
    assert!(readers.len() >= 500, "{} distinct readers", readers.len());
}
