//! Rendering benchmarks on generated editions:
//!
//! 1. rendering an edition of 50 items (subject, HTML and text) once; and
//!    the same edition with a theme (logo, colours, footer, postal address)
//!    and a two-paragraph editor's note: the HTML part's and the whole
//!    message's size beside Gmail's 102 KB clipping size;
//! 2. building the personal message (HTML + text + MIME, formatted to bytes
//!    as lettre sends it) for 100,000 subscribers spread over 8 distinct
//!    category choices: one render per choice, then one message each.
//!
//! Run with `cargo bench --bench render`; each figure is the median of
//! several runs.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

use postbode::config::{DigestConfig, Language, SenderConfig};
use postbode::edition::{choice_key, select, Edition};
use postbode::mail::body::{Letter, Personal};
use postbode::mail::compose::{compose_at, Recipient, SenderSettings};
use postbode::render::Context;
use postbode::site::Post;

/// Rendering as delivery does it: the parts, split at their holes.
fn render(edition: &postbode::edition::Edition, ctx: &Context<'_>) -> Letter {
    Letter::new(postbode::render::render(edition, ctx))
}
use postbode::window::Window;

const CATEGORIES: [&str; 8] = [
    "nieuws",
    "binnenland",
    "buitenland",
    "economie",
    "tech",
    "sport",
    "cultuur",
    "wetenschap",
];

const SUBSCRIBERS: usize = 100_000;

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("a valid time")
}

/// 60 posts over a week, 8 categories, summaries of about 280 characters,
/// an image on every other post; selection keeps the newest 50.
fn edition() -> Edition {
    let since = t("2026-11-16T00:00:00+01:00");
    let posts: Vec<Post> = (0..60)
        .map(|i| {
            let date = since + chrono::Duration::minutes(150 * i as i64 + 7);
            let category = CATEGORIES[i % CATEGORIES.len()];
            Post {
                title: format!("Bericht {i}: kabinet en gemeenten zoeken samen naar een oplossing voor de woningnood"),
                date,
                categories: vec![category.to_owned()],
                url: format!("https://nieuws{}.example.nl/artikel/{i}/een-lange-slug-voor-dit-bericht", i % 7),
                external_link: None,
                post_url: format!("https://leestmeer.example.org/{category}/2026/11/{i}.html"),
                image: (i % 2 == 0).then(|| format!("https://nieuws.example.nl/beeld/{i}/1008x567.jpg")),
                summary: "Pas als de Chinezen het kopiëren, heb je een waardevol product, was lange tijd het credo onder Nederlandse techbedrijven. Maar inmiddels is China een wereldmacht op het gebied van hightech en een grootleverancier van hoogopgeleide technici. In plaats van kopiëren…".to_owned(),
                source: format!("_posts/2026-11-16-bericht-{i}.md"),
                origin: String::new(),
                tags: Vec::new(),
                story: String::new(),
            also: None,
            rank: 0,
            story_posts: 1,
            featured: false,
                priority: 0,
            }
        })
        .collect();
    let digest = DigestConfig {
        max_posts: 50,
        max_per_category: 50,
        ..DigestConfig::default()
    };
    let window = Window {
        since,
        until: t("2026-11-23T00:00:00+01:00"),
    };
    let edition = select(posts, window, &[], &digest);
    assert_eq!(edition.len(), 50);
    edition
}

fn context(categories: &[String]) -> Context<'_> {
    Context {
        site_title: "Leest Meer",
        site_home: "https://leestmeer.example.org/".to_owned(),
        language: Language::Nl,
        timezone: "Europe/Amsterdam".parse().expect("a timezone"),
        subject: "{site} — week {week}: {count} berichten",
        web_url: Some("https://leestmeer.example.org/digest/{id}.html"),
        category_url: None,
        categories,
        theme: None,
        note: &[],
        preferences: false,
    }
}

/// A full `[theme]`, a postal address, and the config they come from.
fn themed_config() -> postbode::config::Config {
    postbode::config::Config::parse(
        r##"
[site]
source = "site"
[sender]
address = "Keizersgracht 123, 1015 CJ Amsterdam"
[theme]
accent = "#0b6e4f"
background = "#fffdf7"
text = "#1f2421"
logo = "https://leestmeer.example.org/logo.png"
logo_alt = "Leest Meer"
logo_width = 180
font = "Verdana, Geneva, sans-serif"
header = "Het beste van de week, elke maandag"
footer = "Samengesteld door *de redactie*. [Over deze nieuwsbrief](https://leestmeer.example.org/over)."
"##,
        std::path::Path::new("config.toml"),
    )
    .expect("a valid config")
}

const NOTE: &str = "Deze week: **de nieuwe bibliotheek** opent, een storm trekt over het land en \
de schaatsers beginnen hun seizoen met drie medailles. Lees ook het verhaal over \
[laaggeletterdheid](https://leestmeer.example.org/laaggeletterd) dat veel reacties kreeg.\n\n\
Tips en reacties? Mail [de redactie](mailto:redactie@leestmeer.example.org).";

/// 8 distinct choices: all categories, single ones, and combinations.
fn choices() -> Vec<Vec<String>> {
    let pick = |ix: &[usize]| ix.iter().map(|&i| CATEGORIES[i].to_owned()).collect();
    vec![
        Vec::new(),
        pick(&[0]),
        pick(&[4]),
        pick(&[0, 1]),
        pick(&[2, 3]),
        pick(&[5]),
        pick(&[4, 6, 7]),
        pick(&[1, 3, 5, 7]),
    ]
}

fn recipients() -> Vec<Recipient> {
    let choices = choices();
    (0..SUBSCRIBERS)
        .map(|i| Recipient {
            email: format!("lezer{i}@example.org"),
            name: (i % 2 == 0).then(|| format!("Lezer {i}")),
            token: format!(
                "{:032x}",
                (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
            ),
            categories: choices[i % choices.len()].clone(),
        })
        .collect()
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let edition = edition();
    let all: Vec<String> = Vec::new();

    // 1. One render of 50 items.
    let ctx = context(&all);
    for _ in 0..20 {
        black_box(render(&edition, &ctx));
    }
    let runs: Vec<Duration> = (0..301)
        .map(|_| {
            let start = Instant::now();
            black_box(render(black_box(&edition), &ctx));
            start.elapsed()
        })
        .collect();
    let rendered = render(&edition, &ctx);
    let personal = Personal {
        name: None,
        unsubscribe_url: "https://leestmeer.example.org/afmelden/0",
        preferences_url: "",
    };
    println!(
        "render, 50 items (subject + HTML {} B + text {} B): median {:.3} ms over {} runs",
        rendered.html.fill(&personal).len(),
        rendered.text.fill(&personal).len(),
        median(runs.clone()).as_secs_f64() * 1e3,
        runs.len()
    );

    // 1b. The same edition, themed and with an editor's note.
    let config = themed_config();
    let theme = postbode::render::theme::theme(&config);
    let note = postbode::markdown::reduce(NOTE).paragraphs;
    let mut themed_ctx = context(&all);
    themed_ctx.theme = Some(&theme);
    themed_ctx.note = &note;
    let themed = postbode::render::render(&edition, &themed_ctx);
    let themed_html = themed.html.len();
    let themed_letter = Letter::new(themed);
    let sender_for_size = SenderSettings::resolve(&SenderConfig {
        from: Some("Leest Meer <digest@leestmeer.example.org>".to_owned()),
        unsubscribe_url: Some("https://leestmeer.example.org/afmelden/{token}".to_owned()),
        ..SenderConfig::default()
    })
    .expect("a valid sender");
    let reader = Recipient {
        email: "lezer@example.org".to_owned(),
        name: Some("Lezer".to_owned()),
        token: "0".repeat(32),
        categories: Vec::new(),
    };
    let message = compose_at(&themed_letter, &reader, &sender_for_size, SystemTime::now())
        .expect("a message")
        .formatted()
        .len();
    println!(
        "message size, 50 items: HTML {} B plain, {} B themed with a note ({} items dropped); whole themed message {} B; Gmail clips HTML past 102 KB ({} B), postbode's limit {} B",
        rendered.html.fill(&personal).len(),
        themed_html,
        themed_letter.count.abs_diff(edition.len()),
        message,
        102 * 1024,
        postbode::render::HTML_LIMIT
    );

    // 2. Personal messages for 100,000 subscribers over 8 choices.
    let sender = SenderSettings::resolve(&SenderConfig {
        from: Some("Leest Meer <digest@leestmeer.example.org>".to_owned()),
        reply_to: Some("redactie@leestmeer.example.org".to_owned()),
        list_id: Some("weekly.leestmeer.example.org".to_owned()),
        unsubscribe_url: Some("https://leestmeer.example.org/afmelden/{token}".to_owned()),
        bounce_address: None,
        address: None,
        ..SenderConfig::default()
    })
    .expect("a valid sender");
    let recipients = recipients();
    let date = SystemTime::now();
    let mut bytes = 0;
    let mut renders = 0;
    let runs: Vec<Duration> = (0..3)
        .map(|_| {
            let start = Instant::now();
            let mut by_choice: HashMap<String, Letter> = HashMap::new();
            let keys: Vec<String> = recipients
                .iter()
                .map(|r| choice_key(&r.categories))
                .collect();
            for (r, key) in recipients.iter().zip(&keys) {
                by_choice.entry(key.clone()).or_insert_with(|| {
                    render(
                        &edition.for_categories(&r.categories),
                        &context(&r.categories),
                    )
                });
            }
            bytes = recipients
                .par_iter()
                .zip(keys.par_iter())
                .map(|(r, key)| {
                    let message = compose_at(&by_choice[key], r, &sender, date).expect("a message");
                    message.formatted().len()
                })
                .sum::<usize>();
            renders = by_choice.len();
            start.elapsed()
        })
        .collect();
    let m = median(runs);
    println!(
        "personalise, {SUBSCRIBERS} subscribers over {renders} category choices ({renders} renders, {SUBSCRIBERS} messages, {:.0} MB formatted) on {} threads: median {:.2} s ({:.0} messages/s)",
        bytes as f64 / 1e6,
        rayon::current_num_threads(),
        m.as_secs_f64(),
        SUBSCRIBERS as f64 / m.as_secs_f64()
    );
}
