//! The editor's note through a real delivery (stored with the edition,
//! sent again by a resume, moved aside once delivered) and the web archive
//! (a page per delivered edition, the index, the Atom feed read back with
//! feed-rs, and not one byte of any reader in any of them).

use crate::common;

use std::path::Path;

use common::smtp::{reader, subscribers_yaml, Faults, SmtpServer};
use common::Postbode;

const WEEK: [&str; 5] = ["send", "--since", "2026-11-16", "--until", "2026-11-23"];
const NEXT_WEEK: [&str; 5] = ["send", "--since", "2026-11-23", "--until", "2026-11-30"];
const ID: &str = "20261115T230000Z--20261122T230000Z";

const SENDER: &str = r#"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
list_id = "weekly.leestmeer.example.org"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"
"#;

fn smtp(port: u16) -> String {
    format!(
        "{SENDER}\n[delivery]\ntransport = \"smtp\"\n\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nmax_retries = 0\ntimeout_secs = 5\n"
    )
}

fn html_of(data: &str) -> String {
    let message = mail_parser::MessageParser::default()
        .parse(data.as_bytes())
        .expect("a message");
    message.body_html(0).expect("an HTML part").into_owned()
}

fn text_of(data: &str) -> String {
    let message = mail_parser::MessageParser::default()
        .parse(data.as_bytes())
        .expect("a message");
    message.body_text(0).expect("a text part").into_owned()
}

#[test]
fn the_note_is_stored_sent_again_on_resume_and_moved_aside() {
    // reader 1 is greylisted and, with no retries, left pending: the
    // edition stays open.
    let server = SmtpServer::start(Faults {
        defer_once: [reader(1)].into_iter().collect(),
        ..Faults::default()
    });
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&smtp(server.port))
        .file("subscribers/subscribers.yaml", subscribers_yaml(3, &[]))
        .file("intro.md", "Deze week: *de bibliotheek*.\n")
        .args(WEEK);
    let run = pb.fails(1);
    assert!(
        run.stderr
            .contains("the editor's note `./intro.md` opens the edition"),
        "{}",
        run.stderr
    );
    let stored =
        std::fs::read_to_string(pb.path().join(format!("state/editions/{ID}/edition.json")))
            .unwrap();
    assert!(stored.contains("Deze week: *de bibliotheek*."), "{stored}");
    assert!(
        pb.path().join("intro.md").exists(),
        "not moved before delivery"
    );
    assert_eq!(server.messages().len(), 2);

    // The editor writes next week's note meanwhile; the resume still sends
    // the stored one, and leaves the new one for the next edition.
    std::fs::write(
        pb.path().join("intro.md"),
        "Volgende week: *iets anders*.\n",
    )
    .unwrap();
    pb.succeeds();
    let messages = server.messages();
    assert_eq!(messages.len(), 3);
    for m in &messages {
        let html = html_of(&m.data);
        assert!(
            html.contains("Deze week: <em>de bibliotheek</em>."),
            "{html}"
        );
        assert!(!html.contains("iets anders"));
        assert!(text_of(&m.data).contains("Deze week: de bibliotheek."));
    }
    assert_eq!(
        std::fs::read_to_string(pb.path().join("intro.md")).unwrap(),
        "Volgende week: *iets anders*.\n"
    );
    assert!(!pb.path().join(format!("intro.{ID}.md")).exists());

    // Next week's edition takes the new note and moves it aside.
    let pb = pb.args(NEXT_WEEK);
    let run = pb.succeeds();
    assert!(
        run.stderr.contains("moved the editor's note aside"),
        "{}",
        run.stderr
    );
    assert!(!pb.path().join("intro.md").exists());
    let aside = pb
        .path()
        .join("intro.20261122T230000Z--20261129T230000Z.md");
    assert_eq!(
        std::fs::read_to_string(aside).unwrap(),
        "Volgende week: *iets anders*.\n"
    );
    assert!(html_of(&server.messages()[3].data).contains("Volgende week: <em>iets anders</em>."));
}

/// Every file under `dir`, as bytes.
fn all_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        out.push((
            e.path().display().to_string(),
            std::fs::read(e.path()).unwrap(),
        ));
    }
    out
}

const NAMED: &str = "subscribers:
  - email: \"ada.lovelace@example.org\"
    name: \"Ada Lovelace\"
    categories: []
    status: active
    token: \"aaaabbbbccccddddeeeeffff00001111\"
  - email: \"Grace.Hopper@example.net\"
    name: \"Grace Hopper\"
    categories: [\"tech\"]
    status: active
    token: \"99998888777766665555444433332222\"
";

#[test]
fn delivered_editions_are_archived_without_any_reader_data() {
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&format!(
            "{SENDER}\n[delivery]\ntransport = \"file\"\n[archive]\n"
        ))
        .file("subscribers/subscribers.yaml", NAMED)
        .file("intro.md", "Een noot van de *redactie*.\n")
        .args(WEEK);
    let run = pb.succeeds();
    assert!(
        run.stderr
            .contains("wrote the edition into the web archive"),
        "{}",
        run.stderr
    );
    let pb = pb.args(NEXT_WEEK);
    pb.succeeds();

    let dir = pb.path().join("site/digest");
    let page = std::fs::read_to_string(dir.join(format!("{ID}.html"))).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Schaatsers openen het seizoen"), "the posts");
    assert!(
        page.contains("Een noot van de <em>redactie</em>."),
        "the note"
    );
    assert!(!page.contains("Hallo"), "no greeting");
    assert!(!page.contains("Afmelden"), "no unsubscribe link");

    // The index: newest first.
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let newer = index
        .find("20261122T230000Z--20261129T230000Z.html")
        .unwrap();
    let older = index.find(&format!("{ID}.html")).unwrap();
    assert!(newer < older, "{index}");

    // The feed parses, with absolute links to the pages.
    let xml = std::fs::read(dir.join("feed.xml")).unwrap();
    let feed = feed_rs::parser::parse(&xml[..]).expect("a valid feed");
    assert_eq!(feed.entries.len(), 2);
    let first = &feed.entries[0];
    assert_eq!(
        first.links[0].href,
        "https://leestmeer.example.org/digest/20261122T230000Z--20261129T230000Z.html"
    );
    assert!(first
        .title
        .as_ref()
        .unwrap()
        .content
        .starts_with("Leest Meer — "));
    assert_eq!(
        feed.entries[1].id,
        format!("https://leestmeer.example.org/digest/{ID}.html")
    );

    // The mail's "view online" link leads to the page.
    let eml = std::fs::read_dir(pb.path().join(format!("outbox/{ID}")))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .next()
        .unwrap();
    assert!(html_of(&eml).contains(&format!(
        "href=\"https://leestmeer.example.org/digest/{ID}.html\""
    )));

    // Not one byte of any reader, in any spelling.
    for (file, bytes) in all_bytes(&dir) {
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        for secret in [
            "ada.lovelace@example.org",
            "grace.hopper@example.net",
            "ada lovelace",
            "grace hopper",
            "lovelace",
            "hopper",
            "aaaabbbbccccddddeeeeffff00001111",
            "99998888777766665555444433332222",
            "@example.net",
        ] {
            assert!(!text.contains(secret), "`{secret}` in {file}");
        }
    }
}

#[test]
fn archive_command_layout_and_bad_folders() {
    // Without `[archive]`: the command says what to add.
    let pb = Postbode::new().site("digest_nl").args(["archive"]);
    let run = pb.fails(1);
    assert!(
        run.stderr.contains("no `[archive]` table"),
        "{}",
        run.stderr
    );

    // With a layout: front matter, no page of its own; an empty archive
    // has an index and a feed.
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&format!(
            "{SENDER}\n[delivery]\ntransport = \"file\"\n[archive]\ndir = \"nieuwsbrief\"\nlayout = \"default\"\n"
        ))
        .file("subscribers/subscribers.yaml", NAMED)
        .args(["archive"]);
    pb.succeeds();
    let index = std::fs::read_to_string(pb.path().join("site/nieuwsbrief/index.html")).unwrap();
    assert!(
        index.starts_with("---\nlayout: default\ntitle: Leest Meer — Archief\n---\n"),
        "{index}"
    );
    assert!(index.contains("Er zijn nog geen edities."));
    let pb = pb.args(WEEK);
    pb.succeeds();
    let page =
        std::fs::read_to_string(pb.path().join(format!("site/nieuwsbrief/{ID}.html"))).unwrap();
    assert!(page.starts_with("---\nlayout: default\n"), "{page}");
    assert!(!page.contains("<html"));
    assert!(page.contains("Schaatsers openen het seizoen"));

    // A folder that cannot be made: the edition is still delivered, the
    // warning names the key; `archive` fails naming it.
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&format!(
            "{SENDER}\n[delivery]\ntransport = \"file\"\n[archive]\n"
        ))
        .file("subscribers/subscribers.yaml", NAMED)
        .file("site/digest", "a file where the folder should be")
        .args(WEEK);
    let run = pb.succeeds();
    assert!(
        run.stderr
            .contains("the edition is delivered but not archived"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`archive.dir`"), "{}", run.stderr);
    let run = pb.args(["archive"]).fails(1);
    assert!(
        run.stderr.contains("cannot create the archive folder"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`archive.dir`"), "{}", run.stderr);
}
