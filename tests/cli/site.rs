//! Loading a Jekyll site the way Jekyll does, seen through `postbode posts`
//! and `postbode check`. One test per rule, each on a small site of ours.

use crate::common;

use std::collections::BTreeMap;

use common::Postbode;
use serde_json::Value;

const ALL: [&str; 5] = ["--since", "2000-01-01", "--until", "2029-01-01", "--json"];

/// `posts --json` over all time, keyed by `source`.
fn posts_of(pb: Postbode) -> BTreeMap<String, Value> {
    let mut args = vec!["posts"];
    args.extend(ALL);
    let run = pb.args(args).succeeds();
    run.json()
        .as_array()
        .expect("an array")
        .iter()
        .map(|p| (p["source"].as_str().unwrap().to_owned(), p.clone()))
        .collect()
}

fn rules() -> BTreeMap<String, Value> {
    posts_of(Postbode::new().site("jekyll_rules"))
}

fn post<'a>(posts: &'a BTreeMap<String, Value>, source: &str) -> &'a Value {
    posts
        .get(source)
        .unwrap_or_else(|| panic!("no post `{source}` among {:?}", posts.keys()))
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn posts_come_from_posts_folders_at_any_depth() {
    let posts = rules();
    assert!(posts.contains_key("_posts/nested/2019-05-05-nested-post.md"));
    // A folder above `_posts` is a category; one inside `_posts` is not.
    assert_eq!(
        strs(&post(&posts, "_posts/nested/2019-05-05-nested-post.md")["categories"]),
        Vec::<&str>::new()
    );
    assert_eq!(
        strs(&post(&posts, "nieuws/_posts/2019-05-06-category-folder.md")["categories"]),
        ["nieuws", "extra"]
    );
    assert_eq!(
        strs(&post(&posts, "regio/utrecht/_posts/2019-05-06-deep.md")["categories"]),
        ["regio", "utrecht"]
    );
}

#[test]
fn drafts_site_output_and_dependencies_are_never_read() {
    let posts = rules();
    for key in posts.keys() {
        assert!(
            !key.starts_with("_drafts")
                && !key.starts_with("_site")
                && !key.starts_with("node_modules"),
            "{key}"
        );
    }
}

#[test]
fn file_names_like_jekyll() {
    let posts = rules();
    assert_eq!(
        post(&posts, "_posts/2019-5-4-unpadded.md")["date"],
        "2019-05-04T00:00:00+02:00"
    );
    assert_eq!(
        post(&posts, "_posts/2019-05-09-trailing-dots...md")["title"],
        "Many dots"
    );
    let odd = post(
        &posts,
        "_posts/2019-05-10-spaces and (parens) + % [x] #1!’.md",
    );
    assert_eq!(odd["title"], "Odd file name");
    assert_eq!(
        odd["post_url"],
        "https://rules.example.org/blog/2019/05/10/spaces-and-(parens)-+-x-1!.html"
    );
    // Not posts: no date prefix, data files, dot files, backups.
    assert!(!posts.keys().any(|k| k.ends_with("README.md")
        || k.ends_with(".yml")
        || k.ends_with('~')
        || k.ends_with(".gitkeep")));
}

#[test]
fn published_false_hides_a_post() {
    let posts = rules();
    assert!(
        !posts.keys().any(|k| k.contains("unpublished")),
        "{:?}",
        posts.keys()
    );
    assert!(posts.contains_key("_posts/2019-05-08-published-true.md"));
}

#[test]
fn front_matter_may_close_with_dots() {
    let posts = rules();
    let p = post(&posts, "_posts/2019-05-13-yaml-dots.md");
    assert_eq!(p["title"], "Closed with dots");
    assert_eq!(p["summary"], "Body after dots.");
}

#[test]
fn categories_in_every_form() {
    let posts = rules();
    let cats = |s: &str| {
        strs(&post(&posts, s)["categories"])
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        cats("_posts/2019-05-16-categories-string.md"),
        ["Sport", "Wielrennen"]
    );
    assert_eq!(
        cats("_posts/2019-05-16-categories-list.md"),
        ["Sport", "tech"]
    );
    assert_eq!(cats("_posts/2019-05-16-category-number.md"), ["2013"]);
    assert!(cats("_posts/2019-05-16-category-null.md").is_empty());
    assert_eq!(
        cats("_posts/2019-05-16-categories-flow.md"),
        ["Nieuws", "Tech"]
    );
}

#[test]
fn category_filter_is_case_insensitive() {
    let mut args = vec!["posts", "--category", "SPORT", "--category", "nieuws"];
    args.extend(ALL);
    let run = Postbode::new().site("jekyll_rules").args(args).succeeds();
    let mut sources: Vec<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["source"].as_str().unwrap().to_owned())
        .collect();
    sources.sort();
    assert_eq!(
        sources,
        [
            "_posts/2019-05-03-rfc2822.md",
            "_posts/2019-05-16-categories-flow.md",
            "_posts/2019-05-16-categories-list.md",
            "_posts/2019-05-16-categories-string.md",
            "_posts/2019-05-19-no-title.md",
            "nieuws/_posts/2019-05-06-category-folder.md",
            "nieuws/_posts/sub/2019-05-27-sub.md",
        ]
    );
}

#[test]
fn dates_in_every_form_real_sites_use() {
    let posts = rules();
    let date = |s: &str| post(&posts, s)["date"].as_str().unwrap().to_owned();
    assert_eq!(
        date("_posts/2019-05-03-rfc2822.md"),
        "2019-05-03T14:56:37+02:00"
    );
    assert_eq!(
        date("_posts/2019-05-17-gmt.md"),
        "2019-05-17T08:00:00+00:00"
    );
    assert_eq!(
        date("_posts/2019-05-17-cest.md"),
        "2019-05-17T10:00:00+02:00"
    );
    assert_eq!(
        date("_posts/2019-05-17-colon-offset.md"),
        "2019-05-17T09:00:00+01:00"
    );
    assert_eq!(
        date("_posts/2019-05-17-rfc3339.md"),
        "2019-05-17T07:30:00+00:00"
    );
    // Front matter overrides the file name; no offset means the site's zone.
    assert_eq!(
        date("_posts/2019-05-17-date-only.md"),
        "2019-05-18T00:00:00+02:00"
    );
    assert_eq!(
        date("_posts/2019-05-17-naive.md"),
        "2019-05-17T12:00:00+02:00"
    );
    // 02:30 does not exist on 2019-03-31 in Amsterdam.
    assert_eq!(
        date("_posts/2019-03-31-dst-gap.md"),
        "2019-03-31T03:30:00+02:00"
    );
}

#[test]
fn posts_after_the_window_are_left_out() {
    let posts = rules();
    assert!(!posts.keys().any(|k| k.contains("future")));
    let run = Postbode::new()
        .site("jekyll_rules")
        .args([
            "posts",
            "--since",
            "2029-12-31",
            "--until",
            "2030-01-02",
            "--json",
        ])
        .succeeds();
    assert_eq!(run.json().as_array().unwrap().len(), 1);
}

#[test]
fn window_is_half_open() {
    let run = Postbode::new()
        .site("jekyll_rules")
        .args([
            "posts",
            "--since",
            "2019-05-17T09:30:00+02:00",
            "--until",
            "2019-05-17T10:00:00+02:00",
            "--json",
        ])
        .succeeds();
    let json = run.json();
    let titles: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    // 07:30Z = 09:30+02:00 is in; 10:00 CEST (the until) and 08:00 GMT = 10:00+02:00 are out.
    assert_eq!(titles, ["RFC 3339"]);
}

#[test]
fn titles_are_cleaned_and_made_from_slugs() {
    let posts = rules();
    assert_eq!(
        post(&posts, "_posts/2019-05-19-entities.md")["title"],
        "Café & bar: tweede regel ’s"
    );
    assert_eq!(
        post(&posts, "_posts/2019-05-19-no-title.md")["title"],
        "No Title"
    );
}

#[test]
fn duplicate_keys_last_wins_with_a_warning() {
    let posts = rules();
    assert_eq!(
        post(&posts, "_posts/2019-05-20-duplicate-key.md")["title"],
        "Second"
    );
    let run = Postbode::new()
        .site("jekyll_rules")
        .args(["check"])
        .fails(1);
    assert!(
        run.stdout
            .contains("2019-05-20-duplicate-key.md:2: duplicate key `title`"),
        "{}",
        run.stdout
    );
}

#[test]
fn links_and_images_are_absolute_http() {
    let posts = rules();
    let p = post(&posts, "_posts/2019-05-21-external.md");
    assert_eq!(p["external_link"], "https://source.example.com/a?b=1");
    assert_eq!(p["url"], "https://source.example.com/a?b=1");
    assert_eq!(p["image"], "https://rules.example.org/blog/img/photo.jpg");
    assert_eq!(
        p["post_url"],
        "https://rules.example.org/blog/2019/05/21/external.html"
    );
    let plain = post(&posts, "_posts/2019-05-08-published-true.md");
    assert_eq!(plain["external_link"], Value::Null);
    assert_eq!(plain["image"], Value::Null);
    assert_eq!(plain["url"], plain["post_url"]);
}

#[test]
fn permalinks_follow_jekyll() {
    let posts = rules();
    assert_eq!(
        post(&posts, "_posts/2019-05-22-permalink.md")["post_url"],
        "https://rules.example.org/blog/tech/news/2019/permalink/"
    );
    assert_eq!(
        post(&posts, "nieuws/_posts/2019-05-06-category-folder.md")["post_url"],
        "https://rules.example.org/blog/nieuws/extra/2019/05/06/category-folder.html"
    );
    // The site's style applies to every post without its own.
    let pretty = posts_of(
        Postbode::new()
            .site("jekyll_rules")
            .config("permalink = \"pretty\""),
    );
    assert_eq!(
        post(&pretty, "_posts/2019-05-03-rfc2822.md")["post_url"],
        "https://rules.example.org/blog/nieuws/2019/05/03/rfc2822/"
    );
    let none = posts_of(
        Postbode::new()
            .site("jekyll_rules")
            .config("permalink = \"none\""),
    );
    assert_eq!(
        post(&none, "_posts/2019-05-03-rfc2822.md")["post_url"],
        "https://rules.example.org/blog/nieuws/rfc2822.html"
    );
}

#[test]
fn summaries_are_text() {
    let posts = rules();
    assert_eq!(
        post(&posts, "_posts/2019-05-23-excerpt.md")["summary"],
        "First paragraph with bold and and html."
    );
    assert_eq!(
        post(&posts, "_posts/2019-05-24-separator.md")["summary"],
        "One. Two."
    );
}

#[test]
fn json_has_the_contract_keys() {
    let posts = rules();
    let p = post(&posts, "_posts/2019-05-03-rfc2822.md");
    let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = [
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
    ];
    expected.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, expected);
}

#[test]
fn text_files_without_front_matter_are_posts_scripts_are_not() {
    let posts = rules();
    let p = post(&posts, "_posts/2019-05-25-textile.text");
    assert_eq!(p["title"], "Textile");
    assert!(!posts.keys().any(|k| k.ends_with(".sh")));
}

#[test]
fn crlf_and_bom_files() {
    let posts = posts_of(
        Postbode::new()
            .file("site/_posts/2019-05-11-crlf.md", "---\r\ntitle: CRLF title\r\ncategory: nieuws\r\n---\r\nFirst line\r\n\r\nSecond\r\n")
            .file("site/_posts/2019-05-12-bom.md", "\u{feff}---\ntitle: BOM title\n---\nText\n"),
    );
    assert_eq!(
        post(&posts, "_posts/2019-05-11-crlf.md")["title"],
        "CRLF title"
    );
    assert_eq!(
        strs(&post(&posts, "_posts/2019-05-11-crlf.md")["categories"]),
        ["nieuws"]
    );
    assert_eq!(
        post(&posts, "_posts/2019-05-11-crlf.md")["summary"],
        "First line"
    );
    assert_eq!(
        post(&posts, "_posts/2019-05-12-bom.md")["title"],
        "BOM title"
    );
}

/// Every broken post gives one warning naming the file (and line) and the
/// rest of the site loads.
#[test]
fn broken_posts_warn_and_the_rest_goes_on() {
    let pb = Postbode::new()
        .config("url = \"https://example.org\"")
        .file(
            "site/_posts/2019-05-01-good.md",
            "---\ntitle: Good\n---\nFine.\n",
        )
        .file(
            "site/_posts/2019-05-02-bad-yaml.md",
            "---\ntitle: ok\ncategories: [unclosed\n---\nBody\n",
        )
        .file(
            "site/_posts/2019-05-03-bad-date.md",
            "---\ntitle: Bad date\ndate: yesterday-ish\n---\nBody\n",
        )
        .file("site/_posts/2019-05-04-empty.md", "")
        .file("site/_posts/2019-05-05-no-front-matter.md", "Just text.\n")
        .file(
            "site/_posts/2019-05-06-latin1.md",
            b"---\ntitle: caf\xe9\n---\n",
        )
        .file(
            "site/_posts/2019-05-07-deploy.sh",
            "#!/bin/sh\nrm -rf /tmp/x\n",
        )
        .file(
            "site/_posts/2019-05-08-unclosed.md",
            "---\ntitle: never closed\n",
        )
        .file("site/_posts/notes.txt", "not a post\n")
        .file(
            "site/_posts/2019-02-30-no-such-day.md",
            "---\ntitle: x\n---\n",
        );
    std::os::unix::fs::symlink(
        "/nonexistent/target",
        pb.path().join("site/_posts/2019-05-09-dangling.md"),
    )
    .unwrap();

    let pb = pb.args(["check"]);
    let run = pb.fails(1);
    let out = &run.stdout;
    for expected in [
        "2019-05-02-bad-yaml.md:3: malformed front matter",
        "2019-05-03-bad-date.md:3: cannot parse `date`",
        "2019-05-04-empty.md: empty file",
        "2019-05-05-no-front-matter.md:1: no front matter",
        "2019-05-06-latin1.md:2: skipped: not valid UTF-8",
        "2019-05-07-deploy.sh: not a post",
        "2019-05-08-unclosed.md:1: front matter opened with `---` is never closed",
        "notes.txt: not a post",
        "2019-02-30-no-such-day.md: skipped: `2019-2-30`",
        "2019-05-09-dangling.md: cannot read",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in:\n{out}");
    }
    assert_eq!(out.lines().count(), 10, "one line per problem:\n{out}");
    assert!(!out.contains("good.md"));

    let posts = posts_of(pb);
    assert_eq!(post(&posts, "_posts/2019-05-01-good.md")["title"], "Good");
    // Jekyll publishes these with what it can still read.
    assert_eq!(
        post(&posts, "_posts/2019-05-02-bad-yaml.md")["title"],
        "Bad Yaml"
    );
    assert_eq!(
        post(&posts, "_posts/2019-05-03-bad-date.md")["date"],
        "2019-05-03T00:00:00+02:00"
    );
    assert!(posts.contains_key("_posts/2019-05-04-empty.md"));
    assert!(!posts.contains_key("_posts/2019-05-06-latin1.md"));
    assert!(!posts.contains_key("_posts/2019-05-07-deploy.sh"));
}

#[test]
fn posts_warns_on_stderr_without_failing() {
    let run = Postbode::new()
        .file("site/_posts/2019-05-01-good.md", "---\ntitle: Good\n---\n")
        .file("site/_posts/2019-05-02-bad.md", "---\ntitle: [\n---\n")
        .args(["posts", "--since", "2019-01-01", "--until", "2019-12-31"])
        .succeeds();
    assert!(
        run.stderr.contains("1 problems with post files"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("Good"));
}

#[test]
fn missing_site_folder_is_a_clear_error() {
    let run = Postbode::new()
        .raw_config("[site]\nsource = \"nowhere\"\n")
        .args(["posts"])
        .fails(1);
    assert!(
        run.stderr.contains("site folder") && run.stderr.contains("nowhere"),
        "{}",
        run.stderr
    );
}

#[test]
fn broken_config_names_key_line_and_column() {
    let run = Postbode::new()
        .raw_config("[site]\nsource = \"site\"\n\n[digest]\nwindow_dayz = 3\n")
        .args(["posts"])
        .fails(1);
    assert!(run.stderr.contains("config.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("line 5, column 1"), "{}", run.stderr);
    assert!(run.stderr.contains("window_dayz"), "{}", run.stderr);

    let run = Postbode::new()
        .raw_config("[site\nsource = 1\n")
        .args(["check"])
        .fails(1);
    assert!(run.stderr.contains("line 1"), "{}", run.stderr);
}

#[test]
fn bad_window_flags_are_usage_errors_with_the_flag_named() {
    let run = Postbode::new()
        .args(["posts", "--since", "last tuesday"])
        .fails(1);
    assert!(run.stderr.contains("`--since`"), "{}", run.stderr);
    let run = Postbode::new().args(["posts", "--frobnicate"]).fails(2);
    assert!(run.stderr.contains("--frobnicate"), "{}", run.stderr);
}

#[test]
fn timezone_from_jekyll_config_applies_to_file_dates() {
    let posts = posts_of(
        Postbode::new()
            .raw_config("[site]\nsource = \"site\"\n")
            .file(
                "site/_config.yml",
                "timezone: America/New_York\nurl: https://ny.example.com\n",
            )
            .file("site/_posts/2019-05-01-ny.md", "---\ntitle: NY\n---\n"),
    );
    assert_eq!(
        post(&posts, "_posts/2019-05-01-ny.md")["date"],
        "2019-05-01T00:00:00-04:00"
    );
    assert_eq!(
        post(&posts, "_posts/2019-05-01-ny.md")["post_url"],
        "https://ny.example.com/2019/05/01/ny.html"
    );
}

#[test]
fn front_matter_edge_cases_from_jekyll() {
    let posts = rules();
    // Spaces after the opening `---`, and empty front matter, are front matter.
    let p = post(&posts, "_posts/2019-05-26-extra-spaces.md");
    assert_eq!(
        (p["title"].as_str(), p["summary"].as_str()),
        (Some("Extra Spaces"), Some("Best post ever"))
    );
    let p = post(&posts, "_posts/2019-05-26-empty-yaml.md");
    assert_eq!(
        (p["title"].as_str(), p["summary"].as_str()),
        (Some("Empty Yaml"), Some("Empty YAML."))
    );
    // A subfolder inside a category's `_posts` adds no category.
    assert_eq!(
        strs(&post(&posts, "nieuws/_posts/sub/2019-05-27-sub.md")["categories"]),
        ["nieuws"]
    );
    // A first paragraph that is only a Liquid block does not give an empty summary.
    assert_eq!(
        post(&posts, "_posts/2019-05-28-liquid-block.md")["summary"],
        "After the block."
    );
}
