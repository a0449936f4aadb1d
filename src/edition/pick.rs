//! Which stories of a window make the edition: each story once, as its
//! lead post with links to other outlets' reports; every day of the window
//! that has posts represented; within that, the strongest stories.
//!
//! Strength is the editor's word first (`featured`, then `priority`), then
//! coverage (distinct outlets, then posts), then recency.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::keys::{fold, title_key, url_key};
use super::Section;
use crate::config::DigestConfig;
use crate::site::{Also, Post};
use crate::stories::{self, Story};

/// How many other outlets an item links to.
const MAX_ALSO: usize = 3;

/// Sections (keyed by folded category; `None` for posts without one) with
/// their items and the count of posts they left out.
pub(super) fn pick(
    mut posts: Vec<Post>,
    wanted: &[String],
    filter: &[String],
    digest: &DigestConfig,
) -> Vec<(Option<String>, Section)> {
    let stories = stories::group(&posts);
    let home = |p: &Post| -> Option<String> {
        p.categories
            .iter()
            .find(|c| wanted.is_empty() || wanted.contains(&fold(c)))
            .cloned()
    };
    for s in &stories {
        for &m in &s.members {
            posts[m].story = s.id.clone();
        }
    }

    let mut order: Vec<&Story> = stories.iter().collect();
    order.sort_by_cached_key(|s| stories::strength(&posts, s));

    // A repeated title or link is one item, whatever the grouping said.
    let mut seen_titles = HashSet::new();
    let mut seen_urls = HashSet::new();
    let candidates: Vec<&Story> = order
        .into_iter()
        .filter(|s| {
            let lead = &posts[s.lead];
            let t = seen_titles.insert(title_key(&lead.title));
            let u = seen_urls.insert(url_key(&lead.url));
            t && u
        })
        .collect();

    let mut per_section: HashMap<Option<String>, usize> = HashMap::new();
    let mut chosen = vec![false; candidates.len()];
    let mut total = 0;
    let mut take = |k: usize, chosen: &mut Vec<bool>, total: &mut usize| -> bool {
        let key = home(&posts[candidates[k].lead]).map(|c| fold(&c));
        let n = per_section.entry(key).or_default();
        if chosen[k] || *n >= digest.max_per_category || *total >= digest.max_posts {
            return false;
        }
        *n += 1;
        *total += 1;
        chosen[k] = true;
        true
    };
    // Every day first: its strongest story that fits, days in the order of
    // those stories' strength.
    let mut days: Vec<NaiveDate> = Vec::new();
    for s in &candidates {
        let day = posts[s.lead].date.date_naive();
        if !days.contains(&day) {
            days.push(day);
        }
    }
    for day in days {
        for k in 0..candidates.len() {
            if posts[candidates[k].lead].date.date_naive() == day
                && take(k, &mut chosen, &mut total)
            {
                break;
            }
        }
    }
    for k in 0..candidates.len() {
        take(k, &mut chosen, &mut total);
    }

    let mut shown: HashSet<usize> = HashSet::new();
    let mut items: Vec<(Option<String>, Option<String>, Post)> = Vec::new();
    for (rank, s) in candidates.iter().enumerate() {
        if !chosen[rank] {
            continue;
        }
        shown.extend(s.members.iter().copied());
        let mut lead = posts[s.lead].clone();
        lead.rank = rank;
        lead.story_posts = s.members.len();
        lead.also = Some(also(&posts, s));
        let category = home(&lead);
        items.push((category.as_deref().map(fold), category, lead));
    }

    let mut sections: Vec<(Option<String>, Section)> = Vec::new();
    for (key, category, post) in items {
        let at = match sections.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let name = match (&category, &key) {
                    (Some(c), Some(k)) => filter
                        .iter()
                        .find(|f| fold(f) == *k)
                        .map_or_else(|| c.clone(), |f| f.trim().to_owned()),
                    _ => "other".to_owned(),
                };
                sections.push((
                    key.clone(),
                    Section {
                        category: name,
                        other: key.is_none(),
                        items: Vec::new(),
                        more: 0,
                    },
                ));
                sections.len() - 1
            }
        };
        sections[at].1.items.push(post);
    }
    for (i, p) in posts.iter().enumerate() {
        if shown.contains(&i) {
            continue;
        }
        let key = home(p).map(|c| fold(&c));
        if let Some((_, s)) = sections.iter_mut().find(|(k, _)| *k == key) {
            s.more += 1;
        }
    }
    let full = sections.iter().all(|(_, s)| s.more == 0);
    for (_, s) in &mut sections {
        if full {
            // Nothing was left out: the section reads newest first, as a
            // small site's digest always has.
            s.items.sort_by(newest_first);
        } else {
            s.items.sort_by_key(|p| p.rank);
        }
    }
    sections
}

/// The editor's picks first, then newest first.
pub(super) fn newest_first(a: &Post, b: &Post) -> std::cmp::Ordering {
    (Reverse(a.featured), Reverse(a.priority), Reverse(a.date))
        .cmp(&(Reverse(b.featured), Reverse(b.priority), Reverse(b.date)))
        .then_with(|| a.source.cmp(&b.source))
}

/// Up to [`MAX_ALSO`] other outlets' reports, newest first, one per outlet.
fn also(posts: &[Post], s: &Story) -> Vec<Also> {
    let lead = &posts[s.lead];
    let mut domains = vec![domain(&lead.url)];
    let mut out = Vec::new();
    for &m in &s.members {
        let p = &posts[m];
        let d = domain(&p.url);
        if m == s.lead || d.is_empty() || domains.contains(&d) {
            continue;
        }
        domains.push(d.clone());
        out.push(Also {
            title: p.title.clone(),
            url: p.url.clone(),
            domain: d,
        });
        if out.len() == MAX_ALSO {
            break;
        }
    }
    out
}

/// The host of an http(s) link without `www.`; empty for anything else.
fn domain(url: &str) -> String {
    let Some((scheme, rest)) = url.trim().split_once("://") else {
        return String::new();
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return String::new();
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("").to_lowercase();
    host.strip_prefix("www.").unwrap_or(&host).to_owned()
}
