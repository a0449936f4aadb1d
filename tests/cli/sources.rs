//! Sources other than a Jekyll folder, seen through `posts --json` and
//! `check`: Hugo, Zola and Markdown folders, RSS/Atom/JSON feeds from files
//! and over real HTTP on loopback, and several `[[source]]` tables at once.

use crate::common;

use std::collections::BTreeMap;

use common::http::{HttpServer, Route};
use common::{fixtures, Postbode};
use serde_json::Value;

const ALL: [&str; 6] = [
    "posts",
    "--since",
    "2000-01-01",
    "--until",
    "2029-01-01",
    "--json",
];

/// `posts --json` over all time, keyed by title.
fn posts_by_title(pb: &Postbode) -> BTreeMap<String, Value> {
    let run = pb.succeeds();
    run.json()
        .as_array()
        .expect("an array")
        .iter()
        .map(|p| (p["title"].as_str().unwrap().to_owned(), p.clone()))
        .collect()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

fn site_config(extra: &str) -> String {
    format!("[site]\nsource = \"site\"\ntimezone = \"Europe/Amsterdam\"\n{extra}\n")
}

fn feed_config(source: &str) -> String {
    format!("[site]\nsource = \"{source}\"\ntimezone = \"Europe/Amsterdam\"\n")
}

#[test]
fn hugo_site_with_toml_yaml_json_front_matter_and_bundles() {
    let pb = Postbode::new().site("hugo_site").args(ALL);
    let posts = posts_by_title(&pb);
    assert_eq!(
        posts.keys().collect::<Vec<_>>(),
        [
            "A page bundle",
            "Bridges & Tunnels",
            "JSON post",
            "Section as category",
            "YAML post"
        ],
        "drafts, future and expired pages, `_index.md` and a bundle's subfolders are left out"
    );
    let toml = &posts["Bridges & Tunnels"];
    assert_eq!(toml["date"], "2026-11-17T09:30:00+01:00");
    assert_eq!(strs(&toml["categories"]), ["Local News", "Transport"]);
    // baseURL with a path, and the section's permalink pattern with `slug`.
    assert_eq!(
        toml["url"],
        "https://hugo.example.org/blog/2026/11/bridges-and-tunnels/"
    );
    assert_eq!(toml["summary"], "The summary from the front matter.");
    assert_eq!(toml["origin"], "Hugo Fixture");
    assert_eq!(toml["source"], "content/posts/toml-post.md");

    let yaml = &posts["YAML post"];
    assert_eq!(
        yaml["date"], "2026-11-18T14:00:00+01:00",
        "timeZone from hugo.toml"
    );
    assert_eq!(yaml["summary"], "Before the more marker. Still before it.");
    assert_eq!(
        yaml["image"],
        "https://hugo.example.org/blog/images/yaml.png"
    );

    let json = &posts["JSON post"];
    assert_eq!(json["url"], "https://source.example.com/story");
    assert_eq!(
        json["post_url"],
        "https://hugo.example.org/blog/2026/11/json-post/"
    );
    assert_eq!(strs(&json["categories"]), ["posts"], "the section");

    let bundle = &posts["A page bundle"];
    assert_eq!(bundle["source"], "content/posts/bundle-post/index.md");
    assert_eq!(
        bundle["image"], "https://hugo.example.org/blog/2026/11/a-page-bundle/cover.jpg",
        "`cover.image` is the bundle's own resource"
    );
    let section = &posts["Section as category"];
    assert_eq!(strs(&section["categories"]), ["news"]);
    assert_eq!(
        section["url"],
        "https://hugo.example.org/blog/special/place/"
    );
}

#[test]
fn hugo_check_names_the_file_and_line_of_bad_toml() {
    let run = Postbode::new().site("hugo_site").args(["check"]).fails(1);
    assert!(
        run.stdout
            .contains("site/content/posts/broken.md:3: malformed TOML front matter"),
        "{}",
        run.stdout
    );
}

#[test]
fn zola_site() {
    let pb = Postbode::new().site("zola_site").args(ALL);
    let posts = posts_by_title(&pb);
    assert_eq!(
        posts.keys().collect::<Vec<_>>(),
        ["Bundled", "First post", "Second"]
    );
    let first = &posts["First post"];
    assert_eq!(
        first["date"], "2026-11-17T00:00:00+01:00",
        "the file name's date"
    );
    assert_eq!(first["url"], "https://zola.example.org/blog/first-post/");
    assert_eq!(strs(&first["categories"]), ["Updates"]);
    assert_eq!(first["summary"], "The summary ends here.");
    let second = &posts["Second"];
    assert_eq!(second["url"], "https://zola.example.org/blog/the-second/");
    assert_eq!(second["summary"], "Its own description.");
    assert_eq!(second["image"], "https://img.example.org/second.png");
    assert_eq!(second["origin"], "Zola Fixture");
    assert_eq!(
        posts["Bundled"]["url"],
        "https://zola.example.org/blog/bundle/"
    );
}

#[test]
fn markdown_folder_with_a_post_url_pattern() {
    let pb = Postbode::new()
        .site("markdown_site")
        .raw_config(&site_config(
            "url = \"https://notes.example.org\"\npost_url = \"/{year}/{slug}/\"",
        ))
        .args(ALL);
    let posts = posts_by_title(&pb);
    assert_eq!(
        posts.keys().collect::<Vec<_>>(),
        [
            "A note with its title as a heading",
            "Dated inside",
            "Hello, world"
        ]
    );
    let hello = &posts["Hello, world"];
    assert_eq!(hello["date"], "2026-11-18T00:00:00+01:00");
    assert_eq!(hello["url"], "https://notes.example.org/2026/hello-world/");
    assert_eq!(strs(&hello["categories"]), ["travel"], "tags, minus `post`");
    let inside = &posts["Dated inside"];
    assert_eq!(inside["date"], "2026-11-19T07:45:00+01:00");
    assert_eq!(inside["image"], "https://notes.example.org/img/review.jpg");
    let run = Postbode::new()
        .site("markdown_site")
        .raw_config(&site_config("url = \"https://notes.example.org\""))
        .args(["check"])
        .fails(1);
    assert!(
        run.stdout
            .contains("site/notes/undated.md: skipped: no `date`"),
        "{}",
        run.stdout
    );
}

#[test]
fn site_kind_overrides_detection() {
    // A Hugo folder read as a plain Markdown folder: no permalinks, no
    // `hugo.toml` settings.
    let pb = Postbode::new()
        .site("hugo_site")
        .raw_config(&site_config(
            "kind = \"markdown\"\nurl = \"https://m.example.org\"",
        ))
        .args(ALL);
    let posts = posts_by_title(&pb);
    assert_eq!(
        posts["YAML post"]["url"],
        "https://m.example.org/content/posts/yaml-post/"
    );
    let run = Postbode::new()
        .raw_config(&site_config("kind = \"wordpress\""))
        .args(["check"])
        .fails(1);
    assert!(run.stderr.contains("wordpress"), "{}", run.stderr);
}

fn feed_file(name: &str) -> Postbode {
    let bytes = std::fs::read(fixtures().join("feeds").join(name)).unwrap();
    Postbode::new()
        .file(&format!("feeds/{name}"), bytes)
        .raw_config(&feed_config(&format!("feeds/{name}")))
}

#[test]
fn rss_file_cdata_entities_images_and_a_javascript_link() {
    let pb = feed_file("rss2.xml").args(ALL);
    let run = pb.succeeds();
    assert!(
        run.stderr.contains("1 problems"),
        "the `javascript:` item is reported: {}",
        run.stderr
    );
    let posts = posts_by_title(&pb);
    assert_eq!(
        posts.keys().collect::<Vec<_>>(),
        [
            "CDATA title with bold & more",
            "Entities: Tom & Jerry’s <show>",
            "No date here"
        ]
    );
    let cdata = &posts["CDATA title with bold & more"];
    assert_eq!(cdata["url"], "https://rss.example.org/cdata");
    assert_eq!(cdata["date"], "2026-11-17T09:00:00+01:00");
    assert_eq!(strs(&cdata["categories"]), ["Tech", "Open Source"]);
    assert_eq!(
        cdata["summary"], "Summary with a link & an entity: café.",
        "text, never HTML; the script is dropped"
    );
    assert_eq!(cdata["image"], "https://img.example.org/cdata.jpg");
    assert_eq!(cdata["origin"], "RSS & Friends");
    assert_eq!(cdata["source"], "feeds/rss2.xml");
    let entities = &posts["Entities: Tom & Jerry’s <show>"];
    assert_eq!(
        entities["image"], "https://img.example.org/entities.png",
        "an image enclosure"
    );
    assert_eq!(entities["summary"], "Plain & simple.");

    let check = feed_file("rss2.xml").args(["check"]).fails(1);
    assert!(
        check
            .stdout
            .contains("feeds/rss2.xml: entry 4 skipped: no http(s) link (`javascript:alert(document.cookie)`)"),
        "{}",
        check.stdout
    );
}

#[test]
fn an_undated_entry_keeps_the_date_it_was_first_seen() {
    let pb = feed_file("rss2.xml").args(ALL);
    let first = posts_by_title(&pb)["No date here"]["date"].clone();
    // A later run has a later clock (the dates carry nanoseconds).
    let again = posts_by_title(&pb)["No date here"]["date"].clone();
    assert_eq!(first, again, "remembered in the state folder");
    assert!(pb.path().join("state/feeds").is_dir());
}

#[test]
fn atom_relative_links_resolve_against_xml_base() {
    let posts = posts_by_title(&feed_file("atom.xml").args(ALL));
    let rel = &posts["Relative link"];
    assert_eq!(
        rel["url"],
        "https://atom.example.org/news/2026/relative.html"
    );
    assert_eq!(strs(&rel["categories"]), ["World"]);
    assert_eq!(rel["origin"], "Atom & Co");
    let entry = &posts["Entry base"];
    assert_eq!(
        entry["url"], "https://other.example.net/up.html",
        "the entry's own xml:base"
    );
    assert_eq!(
        entry["date"], "2026-11-18T07:00:00+01:00",
        "published, not updated"
    );
    assert_eq!(entry["summary"], "Content only, HTML.");
}

#[test]
fn json_feed() {
    let posts = posts_by_title(&feed_file("feed.json").args(ALL));
    let one = &posts["One & only"];
    assert_eq!(one["url"], "https://json.example.org/one");
    assert_eq!(one["image"], "https://json.example.org/one.png");
    assert_eq!(one["summary"], "First item.");
    assert_eq!(strs(&one["categories"]), ["alpha"]);
    let two = &posts["Relative two"];
    assert_eq!(two["url"], "https://json.example.org/two");
    assert_eq!(two["summary"], "Plain text < not a tag.");
}

#[test]
fn a_feed_in_latin_1_is_decoded_by_its_prolog() {
    let posts = posts_by_title(&feed_file("latin1.xml").args(ALL));
    assert_eq!(posts["Café crème"]["summary"], "Naïve résumé.");
}

#[test]
fn bad_feed_files_are_clear_errors() {
    for (name, expected) in [
        (
            "page.html",
            "page.html: not a feed: the server sent an HTML page",
        ),
        ("truncated_early.xml", "truncated_early.xml: not a feed: "),
        (
            "truncated.xml",
            "truncated.xml: the feed is cut off: read up to its last complete item",
        ),
        ("bomb.xml", "bomb.xml: the feed declares its own entities"),
    ] {
        let run = feed_file(name).args(["check"]).fails(1);
        assert!(run.stdout.contains(expected), "{name}: {}", run.stdout);
    }
    let posts = posts_by_title(&feed_file("truncated.xml").args(ALL));
    assert_eq!(
        posts.keys().collect::<Vec<_>>(),
        ["CDATA title with bold & more"]
    );
    // The bomb's other item is still read, and nothing was expanded.
    let posts = posts_by_title(&feed_file("bomb.xml").args(ALL));
    assert!(posts.contains_key("Safe item"));
    assert!(posts.keys().all(|t| t.len() < 100), "{:?}", posts.keys());
}

fn rss(items: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Remote</title><link>https://remote.example.org/</link><description>d</description>",
    );
    for (title, day) in items {
        s.push_str(&format!(
            "<item><title>{title}</title><link>https://remote.example.org/{title}</link><pubDate>{day} Nov 2026 10:00:00 GMT</pubDate></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

#[test]
fn a_feed_over_http_uses_conditional_requests() {
    let server = HttpServer::start();
    server.route("/feed.xml", Route::feed(rss(&[("first", "17")])));
    let pb = Postbode::new()
        .raw_config(&feed_config(&server.url("/feed.xml")))
        .args(ALL);
    let posts = posts_by_title(&pb);
    assert_eq!(posts["first"]["origin"], "Remote");
    assert_eq!(posts["first"]["source"], server.url("/feed.xml"));
    let again = posts_by_title(&pb);
    assert_eq!(
        again.keys().collect::<Vec<_>>(),
        ["first"],
        "from the kept copy"
    );
    let requests = server.requests("/feed.xml");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].status, 200);
    assert_eq!(
        requests[1].headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );
    assert_eq!(
        requests[1]
            .headers
            .get("if-modified-since")
            .map(String::as_str),
        Some("Wed, 18 Nov 2026 10:00:00 GMT")
    );
    assert_eq!(requests[1].status, 304);
}

#[test]
fn a_gzipped_feed_over_http() {
    let server = HttpServer::start();
    server.route(
        "/feed.xml",
        Route::Feed {
            body: rss(&[("zipped", "18")]).into_bytes(),
            content_type: "application/rss+xml".into(),
            etag: None,
            last_modified: None,
            gzip: true,
        },
    );
    let pb = Postbode::new()
        .raw_config(&feed_config(&server.url("/feed.xml")))
        .args(ALL);
    assert!(posts_by_title(&pb).contains_key("zipped"));
    let req = &server.requests("/feed.xml")[0];
    assert!(req.headers["accept-encoding"].contains("gzip"));
}

#[test]
fn a_feed_that_is_down_falls_back_to_the_last_good_copy() {
    let server = HttpServer::start();
    server.route("/feed.xml", Route::feed(rss(&[("kept", "17")])));
    let pb = Postbode::new()
        .raw_config(&feed_config(&server.url("/feed.xml")))
        .args(ALL);
    posts_by_title(&pb);
    server.route("/feed.xml", Route::Status(503));
    let run = pb.succeeds();
    assert!(run.stdout.contains("\"kept\""), "{}", run.stdout);
    let check = Postbode::new()
        .raw_config(&feed_config(&server.url("/feed.xml")))
        .args(["check"]);
    // A fresh state folder has no copy: the failure is an error with URL and status.
    let run = check.fails(1);
    assert!(
        run.stdout.contains(&format!(
            "cannot fetch `{}`: HTTP status 503",
            server.url("/feed.xml")
        )),
        "{}",
        run.stdout
    );
    // With the copy, `check` says the copy was used.
    let pb = pb.args(["-v", "posts", "--since", "2000-01-01", "--json"]);
    let run = pb.succeeds();
    assert!(
        run.stderr
            .contains("HTTP status 503; using the last good copy"),
        "{}",
        run.stderr
    );
    // HTML where the feed was: the copy again.
    server.route(
        "/feed.xml",
        Route::Feed {
            body: b"<!DOCTYPE html><html><body>maintenance</body></html>".to_vec(),
            content_type: "text/html".into(),
            etag: None,
            last_modified: None,
            gzip: false,
        },
    );
    let run = pb.succeeds();
    assert!(run.stdout.contains("\"kept\""), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("the server sent an HTML page; using the last good copy"),
        "{}",
        run.stderr
    );
}

#[test]
fn http_failures_name_the_url() {
    let server = HttpServer::start();
    server.route("/moved", Route::Redirect("/feed.xml".into()));
    server.route("/feed.xml", Route::feed(rss(&[("after-redirect", "18")])));
    server.route("/loop-a", Route::Redirect("/loop-b".into()));
    server.route("/loop-b", Route::Redirect("/loop-a".into()));
    server.route("/ftp", Route::Redirect("ftp://example.org/feed.xml".into()));
    let mut huge = rss(&[]).into_bytes();
    huge.truncate(huge.len() - "</channel></rss>".len());
    huge.extend(std::iter::repeat_n(b' ', 50 * 1024 * 1024));
    server.route("/huge", Route::feed(huge));

    let posts = posts_by_title(
        &Postbode::new()
            .raw_config(&feed_config(&server.url("/moved")))
            .args(ALL),
    );
    assert!(posts.contains_key("after-redirect"));

    for (path, expected) in [
        ("/missing", "HTTP status 404".to_owned()),
        ("/loop-a", "more than 5 redirects".to_owned()),
        (
            "/huge",
            format!("`{}` is larger than 16777216 bytes", server.url("/huge")),
        ),
        ("/ftp", format!("cannot fetch `{}`", server.url("/ftp"))),
    ] {
        let run = Postbode::new()
            .raw_config(&feed_config(&server.url(path)))
            .args(["check"])
            .fails(1);
        assert!(run.stdout.contains(&expected), "{path}: {}", run.stdout);
        assert!(
            run.stdout.contains(&server.url(path)),
            "{path}: {}",
            run.stdout
        );
    }
}

#[test]
fn several_sources_in_one_digest() {
    let server = HttpServer::start();
    server.route("/partner.xml", Route::feed(rss(&[("partner-story", "18")])));
    let config = format!(
        "[site]\ntimezone = \"Europe/Amsterdam\"\ntitle = \"Together\"\n\n\
         [[source]]\npath = \"hugo\"\nname = \"Blog\"\n\n\
         [[source]]\npath = \"zola\"\n\n\
         [[source]]\nurl = \"{}\"\nname = \"Partner\"\ncategory = \"Partners\"\n",
        server.url("/partner.xml")
    );
    let pb = Postbode::new().raw_config(&config).args(ALL);
    common::copy_dir(&fixtures().join("hugo_site"), &pb.path().join("hugo"));
    common::copy_dir(&fixtures().join("zola_site"), &pb.path().join("zola"));
    let posts = posts_by_title(&pb);
    assert_eq!(posts["YAML post"]["origin"], "Blog");
    assert_eq!(posts["Second"]["origin"], "Zola Fixture");
    let partner = &posts["partner-story"];
    assert_eq!(partner["origin"], "Partner");
    assert_eq!(strs(&partner["categories"]), ["Partners"]);
    // Newest first across sources.
    let run = pb.succeeds();
    let dates: Vec<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["date"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates.len(), 9);
    assert_eq!(dates, sorted);
    // `check` names each folder's files under its own folder.
    let run = pb.args(["check"]).fails(1);
    assert!(
        run.stdout.contains("hugo/content/posts/broken.md:3:"),
        "{}",
        run.stdout
    );
}

#[test]
fn source_tables_are_validated() {
    for (config, expected) in [
        (
            "[site]\nsource = \"site\"\n[[source]]\npath = \"x\"\n",
            "use one or the other",
        ),
        ("[[source]]\nname = \"x\"\n", "needs `path` or `url`"),
        (
            "[[source]]\npath = \"a\"\nurl = \"https://x.example/feed\"\n",
            "has both `path` and `url`",
        ),
        (
            "[[source]]\nurl = \"ftp://x.example/feed\"\n",
            "must be an http(s) URL",
        ),
        ("[digest]\nwindow_days = 3\n", "no source"),
        (
            "[[source]]\npath = \"site\"\nnam = \"x\"\n",
            "unknown field `nam`",
        ),
    ] {
        let run = Postbode::new().raw_config(config).args(["check"]).fails(1);
        assert!(run.stderr.contains(expected), "{config}: {}", run.stderr);
    }
}

#[test]
fn a_good_feed_passes_check() {
    let run = feed_file("atom.xml").args(["check"]).succeeds();
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn a_feed_that_is_not_well_formed_is_read_like_feed_readers_do() {
    let posts = posts_by_title(&feed_file("not_well_formed.xml").args(ALL));
    assert_eq!(
        posts.keys().collect::<Vec<_>>(),
        ["Café time", "Odd date", "Odd date 2", "Tom & Jerry"],
        "`&nbsp;`, `&eacute;` and bare `&` repaired"
    );
    assert_eq!(
        posts["Tom & Jerry"]["url"],
        "https://e.example.org/2?a=1&b=2"
    );
    assert_eq!(posts["Odd date"]["date"], "2026-11-18T11:00:00+01:00");
    assert_eq!(
        posts["Odd date 2"]["date"], "2026-11-18T09:00:00+01:00",
        "CEST"
    );
}
