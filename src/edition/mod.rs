//! Editions: which posts of a window go into one digest, in which section,
//! in what order.
//!
//! Selection is pure: posts, a window, a category filter and the digest
//! settings in, an [`Edition`] out. An edition is identified by its window
//! alone (see [`edition_id`]), so the same window always means the same
//! edition. Within an edition a source URL and a title appear once, and a
//! post with several categories appears once, in the first of its categories
//! that has a section. Which posts make it is [`pick`]'s job: stories,
//! ranked, spread over the window's days.

mod keys;
mod personal;
mod pick;
mod window;

use serde::ser::SerializeStruct;
use serde::Serialize;

use crate::config::DigestConfig;
use crate::site::Post;
use crate::window::Window;
use keys::fold;

pub use keys::choice_key;
pub use window::{edition_id, edition_window};

/// One digest: a window and its posts, grouped in sections.
#[derive(Debug, Clone)]
pub struct Edition {
    /// Derived from the window: the same window is the same edition.
    pub id: String,
    pub window: Window,
    pub sections: Vec<Section>,
    /// Posts the window held (after the category filter), shown or not.
    pub posts_in_window: usize,
}

/// The items of one category: strongest first when posts were left out,
/// else newest first.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// The category as the filter or the posts spell it; `other` for the
    /// final section of posts without a category.
    pub category: String,
    /// True for the final section of posts without a category.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub other: bool,
    pub items: Vec<Post>,
    /// Posts of this category the edition left out.
    pub more: usize,
}

impl Edition {
    /// The number of posts in all sections.
    pub fn len(&self) -> usize {
        self.sections.iter().map(|s| s.items.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.sections.iter().all(|s| s.items.is_empty())
    }

    /// Every post, section by section.
    pub fn items(&self) -> impl Iterator<Item = &Post> {
        self.sections.iter().flat_map(|s| s.items.iter())
    }
}

/// `{"id", "window": {"since", "until"}, "count", "posts_in_window",
/// "sections": [{"category", "items": [post…], "more"}]}`; items have the
/// keys of `posts --json` plus `also`.
impl Serialize for Edition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct WindowJson {
            since: String,
            until: String,
        }
        let mut s = serializer.serialize_struct("Edition", 5)?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field(
            "window",
            &WindowJson {
                since: self.window.since.to_rfc3339(),
                until: self.window.until.to_rfc3339(),
            },
        )?;
        s.serialize_field("count", &self.len())?;
        s.serialize_field("posts_in_window", &self.posts_in_window)?;
        s.serialize_field("sections", &self.sections)?;
        s.end()
    }
}

/// Selects the edition for `window` from `posts` (any order): those in the
/// window and in `filter` (empty: every post), grouped into stories, each
/// story once (see [`pick`]), at most `max_per_category` per section and
/// `max_posts` in all. Sections follow `filter`'s order, else the largest
/// first; posts without a category form a final `other` section.
pub fn select(
    posts: Vec<Post>,
    window: Window,
    filter: &[String],
    digest: &DigestConfig,
) -> Edition {
    let wanted: Vec<String> = filter
        .iter()
        .map(|c| fold(c))
        .filter(|c| !c.is_empty())
        .collect();
    let mut posts: Vec<Post> = posts
        .into_iter()
        .filter(|p| window.contains(&p.date) && p.in_categories(&wanted))
        .collect();
    // Newest first; the source path breaks ties so the result does not
    // depend on the order posts were read in.
    posts.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.source.cmp(&b.source)));
    let posts_in_window = posts.len();
    let mut sections = pick::pick(posts, &wanted, filter, digest);
    sections.retain(|(_, s)| !s.items.is_empty());

    let rank = |key: &Option<String>, size: usize| match key {
        None => (2, 0, String::new()),
        Some(k) => match wanted.iter().position(|w| w == k) {
            Some(i) => (0, i, String::new()),
            None => (1, usize::MAX - size, k.clone()),
        },
    };
    sections.sort_by_cached_key(|(key, s)| rank(key, s.items.len()));
    Edition {
        id: edition_id(&window),
        window,
        sections: sections.into_iter().map(|(_, s)| s).collect(),
        posts_in_window,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, FixedOffset};

    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn week() -> Window {
        Window {
            since: t("2026-11-16T00:00:00+01:00"),
            until: t("2026-11-23T00:00:00+01:00"),
        }
    }

    /// A post on day `day` of the week at `hour`, with `categories`.
    fn post(title: &str, day: u32, hour: u32, categories: &[&str]) -> Post {
        let date = t(&format!("2026-11-{day:02}T{hour:02}:00:00+01:00"));
        let slug = title.to_lowercase().replace(' ', "-");
        Post {
            title: title.to_owned(),
            date,
            categories: categories.iter().map(|c| c.to_string()).collect(),
            url: format!("https://example.org/{slug}"),
            external_link: None,
            post_url: format!("https://example.org/{slug}"),
            image: None,
            summary: String::new(),
            source: format!("_posts/2026-11-{day:02}-{slug}.md"),
            origin: String::new(),
            tags: Vec::new(),
            story: String::new(),
            also: None,
            rank: 0,
            story_posts: 1,
            featured: false,
            priority: 0,
        }
    }

    fn digest() -> DigestConfig {
        DigestConfig::default()
    }

    fn titles(e: &Edition) -> Vec<(String, Vec<String>)> {
        e.sections
            .iter()
            .map(|s| {
                (
                    s.category.clone(),
                    s.items.iter().map(|p| p.title.clone()).collect(),
                )
            })
            .collect()
    }

    fn section(name: &str, items: &[&str]) -> (String, Vec<String>) {
        (
            name.to_owned(),
            items.iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn window_and_id() {
        let e = select(
            vec![
                post("Before", 15, 23, &["a"]),
                post("In", 16, 0, &["a"]),
                post("After", 23, 0, &["a"]),
            ],
            week(),
            &[],
            &digest(),
        );
        assert_eq!(titles(&e), vec![section("a", &["In"])]);
        assert_eq!(e.id, "20261115T230000Z--20261122T230000Z");
        let utc = Window {
            since: t("2026-11-15T23:00:00Z"),
            until: t("2026-11-22T23:00:00Z"),
        };
        assert_eq!(edition_id(&utc), e.id);
    }

    #[test]
    fn sections_follow_the_filter_then_size_and_other_comes_last() {
        let posts = vec![
            post("One", 16, 9, &["sport"]),
            post("Two", 17, 9, &["nieuws"]),
            post("Three", 18, 9, &["nieuws"]),
            post("Loose", 19, 9, &[]),
            post("Four", 20, 9, &["tech"]),
        ];
        let e = select(posts.clone(), week(), &[], &digest());
        assert_eq!(
            titles(&e),
            vec![
                section("nieuws", &["Three", "Two"]),
                section("sport", &["One"]),
                section("tech", &["Four"]),
                section("other", &["Loose"]),
            ]
        );
        assert!(e.sections[3].other && !e.sections[0].other);

        let filter = vec!["Tech".to_owned(), "NIEUWS".to_owned()];
        let e = select(posts, week(), &filter, &digest());
        assert_eq!(
            titles(&e),
            vec![
                section("Tech", &["Four"]),
                section("NIEUWS", &["Three", "Two"])
            ]
        );
    }

    #[test]
    fn same_url_or_title_appears_once_newest_kept() {
        let mut a = post("First", 16, 9, &["a"]);
        a.url = "https://www.NOS.nl/l/1/?utm_source=x#top".into();
        let mut b = post("Second", 17, 9, &["b"]);
        b.url = "http://nos.nl/l/1".into();
        let c = post("Same  title", 18, 9, &["a"]);
        let d = post("same title", 19, 9, &["a"]);
        let e = select(vec![a, b, c, d], week(), &[], &digest());
        assert_eq!(
            titles(&e),
            vec![section("a", &["same title"]), section("b", &["Second"])]
        );
    }

    #[test]
    fn a_post_with_several_categories_appears_once_in_its_first_section() {
        let posts = vec![
            post("Both", 16, 9, &["sport", "nieuws"]),
            post("News", 17, 9, &["nieuws"]),
        ];
        let e = select(posts.clone(), week(), &[], &digest());
        assert_eq!(
            titles(&e),
            vec![section("nieuws", &["News"]), section("sport", &["Both"])]
        );
        // With a filter, the first of its categories that has a section.
        let e = select(posts, week(), &["nieuws".into()], &digest());
        assert_eq!(titles(&e), vec![section("nieuws", &["News", "Both"])]);
    }

    #[test]
    fn caps_keep_one_story_a_day_then_the_newest() {
        let posts: Vec<Post> = (0..6)
            .map(|i| post(&format!("A{i}"), 16 + i, 9, &["a"]))
            .chain((0..3).map(|i| post(&format!("B{i}"), 16 + i, 10, &["b"])))
            .collect();
        let d = DigestConfig {
            max_per_category: 4,
            max_posts: 5,
            ..digest()
        };
        let e = select(posts, week(), &[], &d);
        // Six days with posts, room for five: the five newest days each get
        // their strongest (here: newest) story; B1 beats A1 on the 17th.
        assert_eq!(
            titles(&e),
            vec![
                section("a", &["A5", "A4", "A3"]),
                section("b", &["B2", "B1"]),
            ]
        );
        assert_eq!(e.len(), 5);
        assert_eq!(e.posts_in_window, 9);
        assert_eq!(e.sections[0].more, 3);
        assert_eq!(e.sections[1].more, 1);
    }

    #[test]
    fn personal_editions_move_posts_to_the_readers_categories() {
        let posts = vec![
            post("Both", 16, 9, &["nieuws", "tech"]),
            post("News", 17, 9, &["nieuws"]),
            post("Code", 18, 9, &["tech"]),
            post("Loose", 19, 9, &[]),
        ];
        let e = select(posts, week(), &[], &digest());
        assert_eq!(titles(&e.for_categories(&[])), titles(&e));
        let tech = e.for_categories(&["TECH".into()]);
        assert_eq!(titles(&tech), vec![section("tech", &["Code", "Both"])]);
        let none = e.for_categories(&["sport".into()]);
        assert!(none.is_empty());
        assert_eq!(
            choice_key(&["Tech".into(), " nieuws".into(), "tech".into()]),
            choice_key(&["nieuws".into(), "tech".into()])
        );
    }

    #[test]
    fn json_has_window_sections_and_post_keys() {
        let e = select(vec![post("One", 16, 9, &[])], week(), &[], &digest());
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["window"]["since"], "2026-11-16T00:00:00+01:00");
        assert_eq!(v["count"], 1);
        assert_eq!(v["sections"][0]["category"], "other");
        assert_eq!(v["sections"][0]["other"], true);
        let item = &v["sections"][0]["items"][0];
        for key in [
            "title",
            "date",
            "categories",
            "url",
            "external_link",
            "post_url",
            "image",
            "summary",
            "source",
        ] {
            assert!(item.get(key).is_some(), "{key}");
        }
    }

    /// A post on `outlet` reporting the grensrechter story.
    fn report(title: &str, outlet: &str, day: u32, hour: u32) -> Post {
        let mut p = post(title, day, hour, &["sport"]);
        p.url = format!("https://{outlet}/{}", title.len() * 31 + hour as usize);
        p.summary = "Een 34-jarige grensrechter van de Haarlemse voetbalclub Geel-Wit die eind maart \
            een keeper van UNO uit Hoofddorp knock-out sloeg, is door de KNVB voor drie jaar geschorst."
            .to_owned();
        p
    }

    #[test]
    fn stories_rank_by_outlets_and_link_the_others() {
        let d = DigestConfig {
            max_posts: 2,
            ..digest()
        };
        let posts = vec![
            report(
                "Grensrechter drie jaar geschorst na slaan keeper",
                "www.telegraaf.nl",
                16,
                9,
            ),
            report(
                "Drie jaar schorsing voor grensrechter die keeper knock-out sloeg",
                "nu.nl",
                16,
                10,
            ),
            report(
                "Gewelddadige grensrechter drie jaar geschorst door KNVB",
                "nos.nl",
                16,
                11,
            ),
            post("Alone on the same day", 16, 12, &["sport"]),
            post("Alone and newest", 17, 9, &["sport"]),
            post("Alone and older", 16, 8, &["sport"]),
        ];
        let e = select(posts.clone(), week(), &[], &d);
        let items: Vec<&Post> = e.items().collect();
        assert_eq!(items.len(), 2);
        // The three-outlet story first, then the 17th's only post.
        assert!(items[0].title.contains("rechter"), "{:?}", items[0].title);
        assert_eq!(items[1].title, "Alone and newest");
        let also = items[0].also.as_ref().unwrap();
        assert_eq!(also.len(), 2);
        assert!(also
            .iter()
            .all(|a| a.domain != crate::render::domain(&items[0].url).unwrap()));
        assert_eq!(e.posts_in_window, 6);
        assert_eq!(e.sections[0].more, 2);
        assert!(items.iter().all(|p| !p.story.is_empty()));

        // The editor's word beats coverage.
        let mut posts = posts;
        posts[5].priority = 3;
        let e = select(posts, week(), &[], &d);
        let titles: Vec<&str> = e.items().map(|p| p.title.as_str()).collect();
        assert_eq!(titles[0], "Alone and older");
    }
}
