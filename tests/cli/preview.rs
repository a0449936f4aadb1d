//! `postbode preview`: the edition rendered as it would go out, seen through
//! the files a user would open. The HTML and text of two fixture editions
//! are pinned with insta snapshots (`tests/cli/snapshots/`), one per language.

use crate::common;

use std::collections::BTreeSet;

use common::Postbode;
use serde_json::Value;

const WEEK: [&str; 4] = ["--since", "2026-11-16", "--until", "2026-11-23"];

const SENDER: &str = r#"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
reply_to = "redactie@leestmeer.example.org"
list_id = "weekly.leestmeer.example.org"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"
"#;

const ADA_TOKEN: &str = "3f0c9d2b7a6e4f1c8d5b0a9e7c6f3d21";

/// `preview` over the fixture week with `extra` arguments.
fn preview(pb: Postbode, extra: &[&str]) -> (Postbode, common::Run) {
    let mut args = vec!["preview"];
    args.extend(WEEK);
    args.extend(extra);
    let pb = pb.args(args);
    let run = pb.succeeds();
    (pb, run)
}

fn read(pb: &Postbode, name: &str) -> String {
    let path = pb.path().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn files(pb: Postbode) -> (String, String) {
    let (pb, _) = preview(pb, &["--out", "d.html", "--text", "d.txt"]);
    (read(&pb, "d.html"), read(&pb, "d.txt"))
}

/// The headers of a formatted message, unfolded, and its body.
fn headers(eml: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = eml
        .split_once("\r\n\r\n")
        .expect("a blank line after the headers");
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            out.last_mut()
                .expect("a header to continue")
                .1
                .push_str(line);
        } else {
            let (name, value) = line.split_once(':').expect("`name: value`");
            out.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    (out, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    let found: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(found.len(), 1, "one `{name}` header in {headers:?}");
    found[0]
}

/// Every tag's attribute values for `name` (`href`, `src`).
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let end = rest.find('"').expect("a closing quote");
        out.push(rest[..end].to_owned());
        rest = &rest[end..];
    }
    out
}

/// The attribute names of every tag. Text content is escaped, so every `<`
/// in the output opens a real tag (or a comment, skipped).
fn attribute_names(html: &str) -> Vec<String> {
    let mut names = Vec::new();
    for tag in html.split('<').skip(1) {
        if tag.starts_with('!') || tag.starts_with('/') {
            continue;
        }
        let mut rest = tag.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
        loop {
            rest = rest.trim_start();
            if rest.is_empty() || rest.starts_with('>') || rest.starts_with("/>") {
                break;
            }
            let end = rest
                .find(|c: char| c == '=' || c == '>' || c.is_whitespace())
                .unwrap_or(rest.len());
            names.push(rest[..end].to_lowercase());
            rest = &rest[end..];
            if let Some(value) = rest.strip_prefix("=\"") {
                let close = value.find('"').expect("a closing quote");
                rest = &value[close + 1..];
            }
        }
    }
    names
}

#[test]
fn dutch_digest_html_and_text() {
    let (html, text) = files(Postbode::new().site("digest_nl").config(SENDER));
    insta::assert_snapshot!("digest_nl_html", html);
    insta::assert_snapshot!("digest_nl_text", text);
    assert!(html.contains(r#"<html lang="nl""#));
    assert!(html.contains("maandag 16 november 2026"));
    assert!(html.contains("16 t/m 22 november 2026"));
    assert!(html.contains("via nos.nl"));
    assert!(text.contains("Lees verder: https://nos.nl/l/2283086"));
}

#[test]
fn english_digest_html_and_text() {
    let (html, text) = files(Postbode::new().site("digest_en").config(SENDER));
    insta::assert_snapshot!("digest_en_html", html);
    insta::assert_snapshot!("digest_en_text", text);
    assert!(html.contains(r#"<html lang="en""#));
    assert!(html.contains("Monday 16 November 2026"));
    assert!(html.contains("16–22 November 2026"));
}

#[test]
fn html_is_email_html() {
    let (html, _) = files(Postbode::new().site("digest_nl").config(SENDER));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(r#"<meta name="color-scheme" content="light dark">"#));
    assert!(html.contains("max-width:600px"), "a 600 px column");
    assert!(html.contains("mso-hide:all"), "a hidden preheader");
    for forbidden in [
        "<script", "<link", "<body", "<iframe", "<form", "@import", "url(",
    ] {
        assert!(!html.contains(forbidden), "`{forbidden}` in the HTML");
    }
    // One `<style>` block: the dark-mode colours, nothing else (the light
    // look is inline, for clients that drop the block).
    assert_eq!(html.matches("<style").count(), 1);
    assert_eq!(html.matches("@media").count(), 1);
    assert!(html.contains("@media (prefers-color-scheme:dark){"));
    // The layout is tables; styles are inline.
    assert!(html.matches("<table").count() >= 3);
}

#[test]
fn text_part_reads_at_72_columns_with_links_written_out() {
    let (_, text) = files(Postbode::new().site("digest_nl").config(SENDER));
    for line in text.lines() {
        let is_url = !line.contains(' ') && line.starts_with("http");
        assert!(
            line.chars().count() <= 72 || is_url,
            "a line longer than 72 columns: {line:?}"
        );
    }
    assert!(text.contains("https://www.telegraaf.nl/nieuws/586000928/ze-vinden-me-dom-dacht-ik"));
    assert!(text.contains(
        "Afmelden:\nhttps://leestmeer.example.org/afmelden/00000000000000000000000000000000\n"
    ));
    assert!(!text.contains('<'), "no markup in the text part");
}

#[test]
fn html_goes_to_stdout_without_file_options() {
    let (_, run) = preview(Postbode::new().site("digest_nl"), &[]);
    assert!(run.stdout.starts_with("<!DOCTYPE html>"), "{}", run.stdout);
    assert!(run
        .stdout
        .contains("Nederlandse techbedrijven beducht voor Chinese spionage"));
    assert!(run.stderr.contains("posts in"), "{}", run.stderr);
}

#[test]
fn json_is_the_edition_with_post_keys() {
    let (pb, run) = preview(Postbode::new().site("digest_nl"), &["--json", "e.json"]);
    assert!(run.stdout.is_empty(), "a file option: nothing on stdout");
    let edition: Value = serde_json::from_str(&read(&pb, "e.json")).unwrap();
    assert_eq!(edition["window"]["since"], "2026-11-16T00:00:00+01:00");
    assert_eq!(edition["window"]["until"], "2026-11-23T00:00:00+01:00");
    let sections = edition["sections"].as_array().unwrap();
    let names: Vec<&str> = sections
        .iter()
        .map(|s| s["category"].as_str().unwrap())
        .collect();
    // By size, then by name; posts without a category last.
    assert_eq!(names, ["nieuws", "tech", "sport", "other"]);
    assert_eq!(sections[3]["other"], true);

    let keys: BTreeSet<&str> = [
        "title",
        "date",
        "categories",
        "url",
        "external_link",
        "post_url",
        "image",
        "summary",
        "source",
        "origin",
        "story",
    ]
    .into();
    let posts = Postbode::new()
        .site("digest_nl")
        .args([
            "posts",
            "--json",
            "--since",
            "2026-11-16",
            "--until",
            "2026-11-23",
        ])
        .succeeds()
        .json();
    let post_keys: BTreeSet<&str> = posts[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(post_keys, keys);
    let items: Vec<&Value> = sections
        .iter()
        .flat_map(|s| s["items"].as_array().unwrap())
        .collect();
    let mut item_keys_wanted = keys.clone();
    item_keys_wanted.insert("also");
    for item in &items {
        let item_keys: BTreeSet<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(item_keys, item_keys_wanted);
    }
    // `posts` lists every post in the window; the edition keeps the newest
    // of the two posts with the same KNMI source.
    assert_eq!(posts.as_array().unwrap().len(), 8);
    assert_eq!(items.len(), 7);
    assert_eq!(edition["count"], 7);
    assert!(items
        .iter()
        .any(|i| i["title"] == "Storm op komst, KNMI geeft code oranje"));
    assert!(items
        .iter()
        .all(|i| i["title"] != "KNMI waarschuwt voor zware windstoten & regen"));
    // A post in two categories appears once, in the first.
    let alfabetisering: Vec<&Value> = items
        .iter()
        .copied()
        .filter(|i| i["source"] == "_posts/2026-11-17-alfabetisering.md")
        .collect();
    assert_eq!(alfabetisering.len(), 1);
}

#[test]
fn category_flags_pick_and_order_sections() {
    let (pb, _) = preview(
        Postbode::new().site("digest_nl"),
        &[
            "--category",
            "Tech",
            "--category",
            "nieuws",
            "--json",
            "e.json",
        ],
    );
    let edition: Value = serde_json::from_str(&read(&pb, "e.json")).unwrap();
    let names: Vec<&str> = edition["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["category"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Tech", "nieuws"]);
}

#[test]
fn eml_is_multipart_alternative_with_list_headers() {
    let (pb, _) = preview(
        Postbode::new().site("digest_nl").config(SENDER),
        &["--eml", "d.eml"],
    );
    let eml = read(&pb, "d.eml");
    let (h, body) = headers(&eml);
    assert_eq!(
        header(&h, "From"),
        r#""Leest Meer" <digest@leestmeer.example.org>"#
    );
    assert_eq!(header(&h, "Reply-To"), "redactie@leestmeer.example.org");
    assert_eq!(header(&h, "To"), "reader@example.org");
    assert_eq!(header(&h, "MIME-Version"), "1.0");
    assert!(header(&h, "Subject").starts_with("Leest Meer "));
    assert!(header(&h, "Date").contains(" +0000") || header(&h, "Date").contains(" -0000"));
    let id = header(&h, "Message-ID");
    assert!(
        id.ends_with(".20261122T230000Z@leestmeer.example.org>"),
        "{id}"
    );
    assert_eq!(header(&h, "List-Id"), "<weekly.leestmeer.example.org>");
    assert_eq!(
        header(&h, "List-Unsubscribe"),
        "<https://leestmeer.example.org/afmelden/00000000000000000000000000000000>"
    );
    assert_eq!(
        header(&h, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    assert!(header(&h, "Content-Type").starts_with("multipart/alternative;"));
    // Text first, HTML last (the last part is the preferred one).
    let text_at = body
        .find("Content-Type: text/plain; charset=utf-8")
        .unwrap();
    let html_at = body.find("Content-Type: text/html; charset=utf-8").unwrap();
    assert!(text_at < html_at);
    assert_eq!(
        body.matches("Content-Transfer-Encoding: quoted-printable")
            .count(),
        2
    );
    assert!(
        eml.split("\r\n").all(|l| l.len() <= 998),
        "lines fit SMTP's limit"
    );
    assert!(
        body.split("\r\n").all(|l| l.len() <= 76),
        "quoted-printable lines are at most 76 characters"
    );
}

#[test]
fn subscriber_preview_is_personal() {
    let list = format!(
        "subscribers:\n  - email: \"ada@example.org\"\n    name: \"Ada Lovelace\"\n    categories: [\"tech\"]\n    status: active\n    token: \"{ADA_TOKEN}\"\n"
    );
    let pb = Postbode::new()
        .site("digest_nl")
        .config(&format!(
            "{SENDER}\n[subscribers]\nfile = \"subscribers.yaml\"\n"
        ))
        .file("subscribers.yaml", list);
    let (pb, _) = preview(
        pb,
        &[
            "--subscriber",
            "ada@example.org",
            "--out",
            "a.html",
            "--text",
            "a.txt",
            "--eml",
            "a.eml",
        ],
    );
    let html = read(&pb, "a.html");
    let text = read(&pb, "a.txt");
    assert!(html.contains("\nHallo Ada Lovelace,\n"), "{html}");
    assert!(text.contains("Hallo Ada Lovelace,"));
    let link = format!("https://leestmeer.example.org/afmelden/{ADA_TOKEN}");
    assert!(html.contains(&format!("href=\"{link}\"")));
    assert!(text.contains(&format!("Afmelden:\n{link}\n")));
    assert!(text.contains("voor de rubriek Tech."), "{text}");
    // Only tech posts, in one section.
    assert!(html.contains("Rust 1.95 verschenen met snellere builds"));
    assert!(html.contains("Zelf je nieuwsbrief versturen is terug"));
    assert!(!html.contains("Schaatsers"));
    assert_eq!(html.matches("<h2 ").count(), 1);

    let (h, _) = headers(&read(&pb, "a.eml"));
    assert_eq!(header(&h, "To"), r#""Ada Lovelace" <ada@example.org>"#);
    assert_eq!(header(&h, "List-Unsubscribe"), format!("<{link}>"));

    let run = pb
        .args(["preview", "--subscriber", "bob@example.org"])
        .fails(1);
    assert!(
        run.stderr.contains("no subscriber `bob@example.org`"),
        "{}",
        run.stderr
    );
}

#[test]
fn hostile_titles_and_links_come_out_as_harmless_text() {
    let pb = Postbode::new()
        .site("hostile")
        .config("[sender]\nfrom = \"Digest <digest@hostile.example>\"\nunsubscribe_url = \"https://hostile.example/u/{token}\"\n");
    let (pb, _) = preview(
        pb,
        &["--out", "h.html", "--text", "h.txt", "--eml", "h.eml"],
    );
    let html = read(&pb, "h.html");
    let text = read(&pb, "h.txt");
    let eml = read(&pb, "h.eml");

    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("<b>"));
    let names = attribute_names(&html);
    assert!(names.contains(&"href".to_owned()) && names.contains(&"src".to_owned()));
    for name in &names {
        assert!(
            !name.starts_with("on"),
            "an event handler attribute `{name}`"
        );
    }
    for url in attribute_values(&html, "href")
        .iter()
        .chain(&attribute_values(&html, "src"))
    {
        assert!(
            url.starts_with("https://") || url.starts_with("http://"),
            "`{url}` is linked"
        );
    }
    // The hostile text is still there, as text.
    assert!(
        html.contains("&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; Breaking news")
            || html.contains("&lt;script&gt;alert('title')&lt;/script&gt; Breaking news")
    );
    assert!(text.contains("<script>alert('title')</script> Breaking news"));
    // No raw post HTML: the body's `<script>` and link are gone from the summary.
    assert!(html.contains(">Read this now.</p>"));

    let (h, _) = headers(&eml);
    assert!(
        h.iter().all(|(n, _)| !n.eq_ignore_ascii_case("bcc")),
        "{h:?}"
    );
    assert!(
        h.iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("subject"))
            .count()
            == 1
    );
    let subject = header(&h, "Subject");
    assert!(
        subject.starts_with("Evil Bcc: everyone@example.org "),
        "{subject}"
    );
    assert!(!html.contains('\u{1}') && !text.contains('\u{1}'));
    // A category made of control characters cannot fake the unsubscribe hole.
    assert_eq!(html.matches("https://hostile.example/u/").count(), 1);
}

#[test]
fn empty_edition_previews_the_empty_state() {
    let pb = Postbode::new().site("digest_nl").config(SENDER).args([
        "preview",
        "--since",
        "2026-10-01",
        "--until",
        "2026-10-08",
        "--out",
        "e.html",
        "--text",
        "e.txt",
    ]);
    let run = pb.succeeds();
    assert!(run.stderr.contains("has no posts"), "{}", run.stderr);
    let html = read(&pb, "e.html");
    assert!(html.contains("Er zijn in deze periode geen nieuwe berichten."));
    assert!(html.contains("1 t/m 7 oktober 2026"));
    assert!(!html.contains("<h3"));
    assert!(read(&pb, "e.txt").contains("Er zijn in deze periode geen nieuwe berichten."));
}

#[test]
fn eml_needs_a_sender() {
    let run = Postbode::new()
        .site("digest_nl")
        .args(["preview", "--eml", "d.eml"])
        .fails(1);
    assert!(run.stderr.contains("`sender.from`"), "{}", run.stderr);
}
