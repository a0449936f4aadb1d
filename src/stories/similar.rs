//! How alike two posts are: weighted word vectors of title and summary
//! (weights from how rare a word is in the window), plus the signals that
//! settle a pair outright (the same article, the same outlet's article id,
//! the same summary under a new title) or rule it out (numbers that differ,
//! days apart).
//!
//! Dutch glues words together (`modefotograaf`, `fotograaf`), so a long
//! word also counts through its first and last six letters.

use std::collections::HashMap;

use super::tokens;
use crate::site::Post;

/// Words at least this long also count through their start and end.
const AFFIX_FROM: usize = 8;
const AFFIX: usize = 6;
/// The weight of an affix against the whole word.
const AFFIX_WEIGHT: f32 = 0.5;
/// Title words weigh more than summary words in the body vector.
const TITLE_WEIGHT: f32 = 2.0;
/// Summary characters compared for "the same summary".
const SUMMARY_KEY: usize = 100;
/// Summary words read for shared phrases.
const SHINGLE_WORDS: usize = 60;

/// What the matcher keeps of one post.
#[derive(Debug, Default)]
pub struct Profile {
    /// Title terms, unit length.
    pub title: Vec<(u32, f32)>,
    /// Title and summary terms, unit length.
    pub body: Vec<(u32, f32)>,
    /// Distinct terms for the candidate index, sorted.
    pub terms: Vec<u32>,
    /// Name terms of the title.
    pub names: Vec<u32>,
    /// Numbers in the title.
    pub numbers: Vec<String>,
    pub domain: String,
    /// The URL without scheme, `www.`, query or fragment.
    pub url: String,
    /// The longest run of at least five digits in the URL's path.
    pub article: Option<String>,
    /// The summary's start, when it is long enough to identify a text.
    pub summary: Option<String>,
    /// See [`shingles`].
    pub shingles: Vec<u64>,
    pub date: i64,
}

/// Words to dense ids, so that vectors are sorted lists of integers.
#[derive(Default)]
struct Interner {
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    /// Looks up before inserting: most words are seen before, and a lookup
    /// by `&str` allocates nothing.
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let next = self.ids.len() as u32;
        self.ids.insert(s.into(), next);
        next
    }
}

/// Profiles of `posts`, with terms weighted by their rarity among them.
pub fn profiles(posts: &[Post]) -> Vec<Profile> {
    let mut ids = Interner::default();
    let mut buf = String::new();
    let mut affix = String::new();
    struct Raw {
        title: Vec<(u32, f32)>,
        summary: Vec<(u32, f32)>,
        /// Distinct ids of title and summary, sorted.
        terms: Vec<u32>,
        names: Vec<u32>,
        numbers: Vec<String>,
    }
    let raws: Vec<Raw> = posts
        .iter()
        .map(|p| {
            let mut title: Vec<(u32, f32)> = Vec::new();
            let mut names: Vec<u32> = Vec::new();
            let mut numbers: Vec<String> = Vec::new();
            tokens::each_word(&p.title, &mut buf, |w, name, number| {
                if number {
                    numbers.push(w.to_owned());
                    return;
                }
                let id = push_terms(w, &mut ids, &mut affix, &mut title);
                if name {
                    names.push(id);
                }
            });
            let mut summary: Vec<(u32, f32)> = Vec::new();
            tokens::each_word(&p.summary, &mut buf, |w, _, number| {
                if !number {
                    push_terms(w, &mut ids, &mut affix, &mut summary);
                }
            });
            names.sort_unstable();
            names.dedup();
            numbers.sort();
            numbers.dedup();
            let title = merge(title);
            let summary = merge(summary);
            let mut terms: Vec<u32> = title.iter().chain(&summary).map(|(t, _)| *t).collect();
            terms.sort_unstable();
            terms.dedup();
            Raw {
                title,
                summary,
                terms,
                names,
                numbers,
            }
        })
        .collect();

    let mut df = vec![0u32; ids.ids.len()];
    for r in &raws {
        for &t in &r.terms {
            df[t as usize] += 1;
        }
    }
    let n = posts.len().max(1) as f32;
    let idf: Vec<f32> = df
        .iter()
        .map(|&d| ((n + 1.0) / (d as f32 + 0.5)).ln())
        .collect();

    posts
        .iter()
        .zip(raws)
        .map(|(p, r)| {
            let title = vector(r.title.iter().map(|&(t, w)| (t, w * idf[t as usize])));
            let body = vector(
                r.title
                    .iter()
                    .map(|&(t, w)| (t, TITLE_WEIGHT * w * idf[t as usize]))
                    .chain(r.summary.iter().map(|&(t, w)| (t, w * idf[t as usize]))),
            );
            let (domain, url, article) = url_parts(&p.url);
            let summary = summary_key(&p.summary);
            Profile {
                title,
                body,
                terms: r.terms,
                names: r.names,
                numbers: r.numbers,
                domain,
                url,
                article,
                summary,
                shingles: shingles(&p.summary),
                date: p.date.timestamp(),
            }
        })
        .collect()
}

/// Pushes the term of word `w` and, for a long word, its affixes (see
/// [`AFFIX_FROM`]); returns the word's own id.
fn push_terms(w: &str, ids: &mut Interner, affix: &mut String, out: &mut Vec<(u32, f32)>) -> u32 {
    let id = ids.id(w);
    out.push((id, 1.0));
    let chars = w.chars().count();
    if chars >= AFFIX_FROM {
        affix.clear();
        affix.push('<');
        affix.extend(w.chars().take(AFFIX));
        out.push((ids.id(affix), AFFIX_WEIGHT));
        affix.clear();
        affix.push('>');
        affix.extend(w.chars().skip(chars - AFFIX));
        out.push((ids.id(affix), AFFIX_WEIGHT));
    }
    id
}

/// Sorted by id, the weights of one id added up.
fn merge(mut items: Vec<(u32, f32)>) -> Vec<(u32, f32)> {
    items.sort_unstable_by_key(|(t, _)| *t);
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(items.len());
    for (t, w) in items {
        match out.last_mut() {
            Some((last, have)) if *last == t => *have += w,
            _ => out.push((t, w)),
        }
    }
    out
}

/// Sorted by term, unit length (empty stays empty).
fn vector(items: impl Iterator<Item = (u32, f32)>) -> Vec<(u32, f32)> {
    let mut v = merge(items.collect());
    let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, w) in &mut v {
            *w /= norm;
        }
    }
    v
}

/// The dot product of two sorted unit vectors, and how many terms they
/// share.
pub fn cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> (f32, usize) {
    let (mut i, mut j, mut sum, mut n) = (0, 0, 0.0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (sum, n)
}

/// The sum of two sorted sparse vectors, sorted.
pub fn add(a: &[(u32, f32)], b: &[(u32, f32)]) -> Vec<(u32, f32)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// `(domain, url key, article id)` of a link.
fn url_parts(url: &str) -> (String, String, Option<String>) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    let mut article: Option<&str> = None;
    for run in path.split(|c: char| !c.is_ascii_digit()) {
        if run.len() >= 5 && !is_date(run) && article.is_none_or(|a| run.len() > a.len()) {
            article = Some(run);
        }
    }
    let key = format!("{host}{}", path.trim_end_matches('/'));
    (host, key, article.map(str::to_owned))
}

/// `20190612`: a date in a file name (podcast episodes) is no article id.
fn is_date(run: &str) -> bool {
    run.len() == 8 && (run.starts_with("19") || run.starts_with("20"))
}

/// Hashes of the summary's word triples (stop words included): reports
/// that copy one agency text share many, rewritten ones few. Each word is
/// hashed once, lower-cased on the fly; a triple hashes its three hashes.
fn shingles(summary: &str) -> Vec<u64> {
    let words: Vec<u64> = summary
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(SHINGLE_WORDS)
        .map(|w| {
            let mut h = super::Fnv::new();
            let mut bytes = [0u8; 4];
            for c in w.chars().flat_map(char::to_lowercase) {
                h.write(c.encode_utf8(&mut bytes).as_bytes());
            }
            h.finish()
        })
        .collect();
    let mut out: Vec<u64> = words
        .windows(3)
        .map(|w| {
            let mut h = super::Fnv::new();
            for x in w {
                h.write(&x.to_le_bytes());
            }
            h.finish()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The share of the smaller set that the other holds too.
fn containment(a: &[u64], b: &[u64]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n as f32 / a.len().min(b.len()) as f32
}

fn summary_key(summary: &str) -> Option<String> {
    let key: String = summary
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .take(SUMMARY_KEY)
        .collect();
    (key.chars().count() >= SUMMARY_KEY / 2).then_some(key)
}

/// What the matcher knows about one pair.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pair {
    pub title: f32,
    pub body: f32,
    /// Terms (words and affixes) title and summary share.
    pub shared_terms: usize,
    /// The same article: one URL, or one outlet's article id.
    pub same_article: bool,
    pub same_summary: bool,
    /// Shared summary phrases, 0 to 1 (see [`shingles`]).
    pub phrases: f32,
    pub same_domain: bool,
    /// Each title has a number the other lacks.
    pub numbers_differ: bool,
    pub shared_names: usize,
    pub hours: f32,
}

pub fn pair(a: &Profile, b: &Profile) -> Pair {
    let same_domain = a.domain == b.domain && !a.domain.is_empty();
    let same_article =
        a.url == b.url || (same_domain && a.article.is_some() && a.article == b.article);
    let numbers_differ = a.numbers.iter().any(|n| !b.numbers.contains(n))
        && b.numbers.iter().any(|n| !a.numbers.contains(n));
    let (body, shared_terms) = cosine(&a.body, &b.body);
    Pair {
        title: cosine(&a.title, &b.title).0,
        body,
        shared_terms,
        same_article,
        same_summary: a.summary.is_some() && a.summary == b.summary,
        phrases: containment(&a.shingles, &b.shingles),
        same_domain,
        numbers_differ,
        shared_names: a.names.iter().filter(|n| b.names.contains(n)).count(),
        hours: (a.date - b.date).unsigned_abs() as f32 / 3600.0,
    }
}
