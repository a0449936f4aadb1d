//! Stories: one item per event however many outlets reported it, ranked by
//! coverage, spread over the window's days, with an honest header, "more"
//! lines per section, and an HTML part Gmail does not clip. The fixture
//! week (`tests/fixtures/stories_week/`) holds one event from four outlets,
//! one from two, hard negatives (two stages won by one rider, two
//! "babbeltruc" reports in two towns, two reader letters with one title)
//! and a busy last day.

use crate::common;

use std::collections::{BTreeSet, HashMap};

use common::Postbode;
use serde_json::Value;

const WEEK: [&str; 4] = ["--since", "2026-11-16", "--until", "2026-11-23"];

fn config(language: &str, max_posts: usize) -> String {
    format!(
        "language = \"{language}\"\n[digest]\nmax_posts = {max_posts}\nmax_per_category = 3\n\
         category_url = \"https://leestmeer.example.org/categorie/{{category}}/\"\n"
    )
}

fn week(language: &str, max_posts: usize) -> Postbode {
    Postbode::new()
        .site("stories_week")
        .config(&config(language, max_posts))
}

fn posts_json(pb: Postbode) -> Vec<Value> {
    let mut args = vec!["posts", "--json"];
    args.extend(WEEK);
    let run = pb.args(args).succeeds();
    run.json().as_array().unwrap().clone()
}

/// `preview` of the week to `e.json`, `d.html` and `d.txt`.
fn preview(pb: Postbode) -> (Value, String, String, common::Run) {
    let mut args = vec!["preview"];
    args.extend(WEEK);
    args.extend(["--json", "e.json", "--out", "d.html", "--text", "d.txt"]);
    let pb = pb.args(args);
    let run = pb.succeeds();
    let read = |name: &str| std::fs::read_to_string(pb.path().join(name)).unwrap();
    let json = serde_json::from_str(&read("e.json")).unwrap();
    (json, read("d.html"), read("d.txt"), run)
}

fn items(edition: &Value) -> Vec<&Value> {
    edition["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["items"].as_array().unwrap())
        .collect()
}

fn story_of<'a>(posts: &'a [Value], slug: &str) -> &'a str {
    posts
        .iter()
        .find(|p| p["source"].as_str().unwrap().contains(slug))
        .unwrap_or_else(|| panic!("no post `{slug}`"))["story"]
        .as_str()
        .unwrap()
}

#[test]
fn posts_of_one_event_share_a_story_and_look_alike_events_do_not() {
    let posts = posts_json(week("nl", 50));
    assert_eq!(posts.len(), 19);
    assert!(posts
        .iter()
        .all(|p| !p["story"].as_str().unwrap().is_empty()));
    let grensrechter = story_of(&posts, "grensrechter-nu");
    for outlet in ["telegraaf", "nos", "vtbl"] {
        assert_eq!(
            story_of(&posts, &format!("grensrechter-{outlet}")),
            grensrechter
        );
    }
    assert_eq!(
        story_of(&posts, "deltaplan-trouw"),
        story_of(&posts, "deltaplan-nos")
    );
    assert_eq!(
        story_of(&posts, "etappe-vijf-nos"),
        story_of(&posts, "etappe-vijf-telegraaf")
    );
    // Hard negatives: the same kind of event, not the same event.
    assert_ne!(
        story_of(&posts, "etappe-vier"),
        story_of(&posts, "etappe-vijf-nos")
    );
    assert_ne!(
        story_of(&posts, "babbeltruc-zwolle"),
        story_of(&posts, "babbeltruc-deventer")
    );
    assert_ne!(
        story_of(&posts, "brief-een"),
        story_of(&posts, "brief-twee")
    );
    let distinct: BTreeSet<&str> = posts.iter().map(|p| p["story"].as_str().unwrap()).collect();
    assert_eq!(distinct.len(), 14);
    // The same window gives the same ids.
    assert_eq!(posts_json(week("nl", 50)), posts);
}

#[test]
fn posts_stories_groups_the_table_strongest_first() {
    let mut args = vec!["posts", "--stories"];
    args.extend(WEEK);
    let run = week("nl", 50).args(args).succeeds();
    let first = run.stdout.lines().next().unwrap();
    assert!(first.contains("4 outlets · 4 posts"), "{}", run.stdout);
    // The editor's `featured: true` story would come first in a digest,
    // and does here too.
    let mut args = vec!["posts", "--stories"];
    args.extend(WEEK);
    let pb = week("nl", 50)
        .args(args)
        .file(
            "site/_posts/2026-11-22-featured-colofon.md",
            "---\ntitle: Van de redactie\ndate: 2026-11-22 12:00:00 +0100\ncategory: nieuws\nfeatured: true\n---\n\nUitleg.\n",
        );
    let run = pb.succeeds();
    let first = run.stdout.lines().next().unwrap();
    assert!(first.contains("Van de redactie"), "{}", run.stdout);
    assert!(
        run.stderr.contains("19 posts in 14 stories"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_day_is_represented_and_stories_show_once_with_other_outlets() {
    let (edition, html, text, run) = preview(week("nl", 7));
    assert_eq!(edition["posts_in_window"], 19);
    assert_eq!(edition["count"], 7);
    let items = items(&edition);
    let days: BTreeSet<&str> = items
        .iter()
        .map(|i| &i["date"].as_str().unwrap()[..10])
        .collect();
    assert_eq!(
        days.into_iter().collect::<Vec<_>>(),
        [
            "2026-11-16",
            "2026-11-17",
            "2026-11-18",
            "2026-11-19",
            "2026-11-20",
            "2026-11-21",
            "2026-11-22"
        ],
        "one item a day at least, though the 22nd alone has five posts"
    );
    // One item for the four reports, led by the most complete summary,
    // with the three other outlets.
    let lead = items
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("grensrechter"))
        .unwrap();
    assert_eq!(
        lead["url"],
        "https://www.nu.nl/voetbal/5932001/drie-jaar-schorsing-voor-grensrechter.html"
    );
    let also: Vec<&str> = lead["also"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["domain"].as_str().unwrap())
        .collect();
    assert_eq!(also.len(), 3);
    assert_eq!(
        also.iter().copied().collect::<BTreeSet<_>>(),
        ["nos.nl", "telegraaf.nl", "vtbl.nl"].into()
    );
    assert!(items.iter().all(|i| i["also"].is_array()));
    assert_eq!(
        items
            .iter()
            .filter(|i| i["title"].as_str().unwrap().contains("rensrechter"))
            .count(),
        1
    );
    // The links: outlet as text, title on hover.
    assert!(
        html.contains(r#"<a href="https://nos.nl/artikel/2288001-gewelddadige-grensrechter" title="Gewelddadige grensrechter drie jaar geschorst door KNVB""#),
        "{html}"
    );
    assert!(html.contains(">nos.nl</a>"));
    assert!(html.contains("Ook bij: "));
    assert!(
        text.contains("Ook bij nos.nl: https://nos.nl/artikel/2288001-gewelddadige-grensrechter"),
        "{text}"
    );

    // The honest header, and what each section left out.
    assert!(html.contains("De 7 belangrijkste verhalen uit 19 berichten."));
    let more: HashMap<&str, u64> = edition["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["category"].as_str().unwrap(), s["more"].as_u64().unwrap()))
        .collect();
    let shown_posts: u64 = items
        .iter()
        .map(|i| 1 + i["also"].as_array().unwrap().len() as u64)
        .sum();
    assert!(more.values().sum::<u64>() + shown_posts <= 19);
    let (category, n) = more
        .iter()
        .find(|(_, n)| **n > 1)
        .expect("a section left posts out");
    let line = format!("en nog {n} berichten in {}", capitalised(category));
    assert!(text.contains(&line), "{line}\n{text}");
    assert!(html.contains(&format!(
        r#"<a href="https://leestmeer.example.org/categorie/{category}/""#
    )));
    assert!(
        run.stderr.contains("7 items from 19 posts"),
        "{}",
        run.stderr
    );
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[test]
fn ranking_puts_coverage_first_and_the_editor_above_it() {
    let (edition, _, _, _) = preview(week("nl", 3));
    let titles: Vec<&str> = items(&edition)
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 3);
    // Four outlets, then the two stories with two: coverage beats the
    // single posts of newer days.
    assert!(
        titles.iter().any(|t| t.contains("grensrechter")),
        "{titles:?}"
    );
    assert!(titles.iter().any(|t| t.contains("Deltaplan")), "{titles:?}");
    assert!(
        titles.iter().any(|t| t.contains("vijfde etappe")),
        "{titles:?}"
    );

    let (edition, _, _, _) = preview(week("nl", 3).file(
        "site/_posts/2026-11-18-voorrang.md",
        "---\ntitle: Een bericht met voorrang\ndate: 2026-11-18 12:00:00 +0100\ncategory: nieuws\npriority: 5\n---\n\nDe redactie wil dit bovenaan.\n",
    ));
    let first_news = edition["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["category"] == "nieuws")
        .unwrap();
    assert_eq!(first_news["items"][0]["title"], "Een bericht met voorrang");
}

#[test]
fn english_header_and_more_lines() {
    let (_, html, text, _) = preview(week("en", 7));
    assert!(html.contains("The 7 top stories from 19 posts."), "{html}");
    assert!(text.contains("Also at nos.nl: "), "{text}");
    assert!(
        text.contains(" more posts in ") || text.contains(" more post in "),
        "{text}"
    );
}

#[test]
fn story_digest_html_and_text() {
    let (_, html, text, _) = preview(week("nl", 7));
    insta::assert_snapshot!("stories_nl_html", html);
    insta::assert_snapshot!("stories_nl_text", text);
}

/// A site with `n` unrelated posts in the last days, long summaries each.
fn busy_site(n: usize) -> Postbode {
    let now = chrono::Utc::now();
    let mut pb = Postbode::new().config(
        "language = \"nl\"\nurl = \"https://leestmeer.example.org\"\n[digest]\nmax_posts = 400\nmax_per_category = 400\n",
    );
    for i in 0..n {
        let date = now - chrono::Duration::minutes(30 + 7 * i as i64);
        // Words of their own per post: nothing groups.
        let w = |k: usize| format!("w{i}x{k}");
        let title = (0..8).map(w).collect::<Vec<_>>().join(" ");
        let summary = (8..60).map(w).collect::<Vec<_>>().join(" ");
        pb = pb.file(
            &format!("site/_posts/{}-post-{i}.md", date.format("%Y-%m-%d")),
            format!(
                "---\ntitle: {title}\ndate: {}\ncategory: c{}\nexterne_link: https://outlet{}.example.nl/artikel/{i}\n---\n\n{summary}\n",
                date.to_rfc3339(),
                i % 5,
                i % 9
            ),
        );
    }
    pb
}

#[test]
fn html_stays_under_100_kb_and_preview_and_check_say_what_went() {
    let pb = busy_site(1_200).args(["preview", "--out", "d.html", "--json", "e.json"]);
    let run = pb.succeeds();
    let html = std::fs::read_to_string(pb.path().join("d.html")).unwrap();
    assert!(html.len() <= 100_000, "{} bytes", html.len());
    assert!(
        run.stderr
            .contains("lowest-ranked stories to keep the HTML under 100 KB"),
        "{}",
        run.stderr
    );
    let edition: Value =
        serde_json::from_str(&std::fs::read_to_string(pb.path().join("e.json")).unwrap()).unwrap();
    let count = edition["count"].as_u64().unwrap();
    assert!(count > 20 && count < 400, "{count}");
    assert!(html.contains(&format!(
        "De {count} belangrijkste verhalen uit 1.200 berichten."
    )));
    // Unsubscribing is still in the part Gmail shows.
    assert!(html.contains("Afmelden"));

    let run = busy_site(1_200).args(["check"]).run();
    assert!(
        run.stdout.contains("warning: the edition") && run.stdout.contains("lowest-ranked stories"),
        "{}",
        run.stdout
    );
}

#[test]
fn hostile_titles_group_sanely_and_never_panic() {
    let long = "Lang".repeat(2_500);
    let pb = Postbode::new()
        .file("site/_posts/2026-11-16-lang.md", format!("---\ntitle: {long}\ndate: 2026-11-16 09:00:00 +0100\n---\n\n{long}\n"))
        .file("site/_posts/2026-11-16-emoji.md", "---\ntitle: \"🎉🎉 😀\"\ndate: 2026-11-16 10:00:00 +0100\n---\n\n😀\n")
        .file("site/_posts/2026-11-16-rtl.md", "---\ntitle: \"שלום עולם مرحبا بالعالم\"\ndate: 2026-11-16 11:00:00 +0100\n---\n\nمرحبا\n")
        .file("site/_posts/2026-11-16-een.md", "---\ntitle: Kort\ndate: 2026-11-16 12:00:00 +0100\n---\n")
        .file("site/_posts/2026-11-16-leeg.md", "---\ntitle: Kort\ndate: 2026-11-16 13:00:00 +0100\n---\n");
    let posts = posts_json(pb);
    assert_eq!(posts.len(), 5);
    let distinct: BTreeSet<&str> = posts.iter().map(|p| p["story"].as_str().unwrap()).collect();
    assert_eq!(
        distinct.len(),
        5,
        "no summary, one-word titles: each its own story"
    );
}
