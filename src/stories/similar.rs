//! How alike two posts are: weighted word vectors of title and summary
//! (weights from how rare a word is in the window), plus the signals that
//! settle a pair outright (the same article, the same outlet's article id,
//! the same summary under a new title) or rule it out (numbers that differ,
//! days apart).
//!
//! Dutch glues words together (`modefotograaf`, `fotograaf`), so a long
//! word also counts through its first and last six letters.

use std::collections::HashMap;

use foldhash::fast::FixedState;

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
    /// Numbers in the title, as interned ids.
    pub numbers: Vec<u32>,
    pub domain: String,
    /// The keys below are interned (see [`Interner`]), so that comparing
    /// two posts compares integers.
    pub domain_id: u32,
    /// The URL without scheme, `www.`, query or fragment.
    pub url: u32,
    /// The longest run of at least five digits in the URL's path.
    pub article: Option<u32>,
    /// The summary's start, when it is long enough to identify a text.
    pub summary: Option<u32>,
    /// See [`shingles`].
    pub shingles: Vec<u64>,
    pub date: i64,
}

/// Texts to dense ids, in the order they are first seen, so that vectors
/// are sorted lists of integers. It is a hot map of the grouping: a text
/// of up to 15 bytes (nearly every word) is its own key, packed
/// into an integer, so a lookup neither allocates nor follows a pointer;
/// and the hash is foldhash's, not std's SipHash (the ids do not depend
/// on the hash, so neither does the grouping).
#[derive(Default)]
struct Interner {
    short: HashMap<u128, u32, FixedState>,
    long: HashMap<Box<str>, u32, FixedState>,
}

impl Interner {
    fn with_capacity(n: usize) -> Interner {
        Interner {
            short: HashMap::with_capacity_and_hasher(n, FixedState::default()),
            long: HashMap::default(),
        }
    }

    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    fn id(&mut self, s: &str) -> u32 {
        let next = self.len() as u32;
        if let Some(key) = pack(s) {
            return *self.short.entry(key).or_insert(next);
        }
        // Looks up before inserting: a lookup by `&str` allocates nothing.
        if let Some(&id) = self.long.get(s) {
            return id;
        }
        self.long.insert(s.into(), next);
        next
    }
}

/// What a run of letters and digits, as written, stands for: a word
/// seen before costs one lookup, not a lower-casing, a stop-word check
/// and three interner lookups.
#[derive(Clone, Copy)]
struct Seen {
    kind: tokens::Kind,
    /// The word's term (or the number's id).
    id: u32,
    /// The terms of its first and last letters (see [`AFFIX_FROM`]).
    affixes: Option<(u32, u32)>,
    /// The word's hash for [`shingles`].
    shingle: u64,
}

/// Runs of letters and digits to what they stand for, interning as it
/// goes: term ids come out in the order words are first seen.
#[derive(Default)]
struct Lexicon {
    /// Runs of up to 15 bytes, packed (see [`pack`]).
    seen: HashMap<u128, Seen, FixedState>,
    terms: Interner,
    /// Numbers compare only with numbers: a table of their own.
    numbers: Interner,
    buf: String,
    affix: String,
}

impl Lexicon {
    fn with_capacity(n: usize) -> Lexicon {
        Lexicon {
            seen: HashMap::with_capacity_and_hasher(n, FixedState::default()),
            terms: Interner::with_capacity(n),
            ..Lexicon::default()
        }
    }

    fn word(&mut self, raw: &str) -> Seen {
        let Some(key) = pack(raw) else {
            return self.read(raw);
        };
        if let Some(&seen) = self.seen.get(&key) {
            return seen;
        }
        let seen = self.read(raw);
        self.seen.insert(key, seen);
        seen
    }

    fn read(&mut self, raw: &str) -> Seen {
        let kind = tokens::read(raw, &mut self.buf);
        let (id, affixes) = match kind {
            tokens::Kind::Skip => (0, None),
            tokens::Kind::Number => (self.numbers.id(&self.buf), None),
            tokens::Kind::Word => {
                let w = self.buf.as_str();
                let id = self.terms.id(w);
                let affixes = affixes(w).map(|(start, end)| {
                    self.affix.clear();
                    self.affix.push('<');
                    self.affix.push_str(start);
                    let start = self.terms.id(&self.affix);
                    self.affix.clear();
                    self.affix.push('>');
                    self.affix.push_str(end);
                    (start, self.terms.id(&self.affix))
                });
                (id, affixes)
            }
        };
        Seen {
            kind,
            id,
            affixes,
            shingle: shingle_hash(raw),
        }
    }
}

/// A text of up to 15 bytes as one integer: its bytes, zero-padded, and
/// its length in the last byte, so two texts pack alike only when equal.
fn pack(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    if b.len() > 15 {
        return None;
    }
    let mut k = [0u8; 16];
    k[..b.len()].copy_from_slice(b);
    k[15] = b.len() as u8;
    Some(u128::from_le_bytes(k))
}

/// The first and last [`AFFIX`] letters of a word of at least
/// [`AFFIX_FROM`].
fn affixes(w: &str) -> Option<(&str, &str)> {
    if w.is_ascii() {
        return (w.len() >= AFFIX_FROM).then(|| (&w[..AFFIX], &w[w.len() - AFFIX..]));
    }
    let chars = w.chars().count();
    if chars < AFFIX_FROM {
        return None;
    }
    let start = w.char_indices().nth(AFFIX).map_or(w.len(), |(k, _)| k);
    let end = w.char_indices().nth(chars - AFFIX).map_or(0, |(k, _)| k);
    Some((&w[..start], &w[end..]))
}

/// Pushes the terms of one word: the word's own, and its affixes at half
/// weight.
fn push_terms(seen: &Seen, out: &mut Vec<(u32, f32)>) {
    out.push((seen.id, 1.0));
    if let Some((start, end)) = seen.affixes {
        out.push((start, AFFIX_WEIGHT));
        out.push((end, AFFIX_WEIGHT));
    }
}

/// Profiles of `posts`, with terms weighted by their rarity among them.
pub fn profiles(posts: &[Post]) -> Vec<Profile> {
    let mut lex = Lexicon::with_capacity(posts.len() * 12);
    let mut keys = Interner::default();
    // The terms of all titles and summaries, unweighted, in one array
    // (weights need every post's terms first): `spans[i]` are post i's
    // title and summary ranges. Scratch vectors are reused across posts.
    let mut raw: Vec<(u32, f32)> = Vec::with_capacity(posts.len() * 64);
    let mut spans: Vec<(usize, usize, usize)> = Vec::with_capacity(posts.len());
    let mut scratch: Vec<(u32, f32)> = Vec::new();
    let mut words: Vec<u64> = Vec::new();
    let mut terms_buf: Vec<u32> = Vec::new();
    let mut text = String::new();
    let mut partial: Vec<Profile> = Vec::with_capacity(posts.len());
    for p in posts {
        let mut names: Vec<u32> = Vec::new();
        let mut numbers: Vec<u32> = Vec::new();
        scratch.clear();
        tokens::each_raw(&p.title, |raw, name| {
            let seen = lex.word(raw);
            match seen.kind {
                tokens::Kind::Skip => return false,
                tokens::Kind::Number => numbers.push(seen.id),
                tokens::Kind::Word => {
                    push_terms(&seen, &mut scratch);
                    if name {
                        names.push(seen.id);
                    }
                }
            }
            true
        });
        let start = raw.len();
        merge(&mut scratch);
        raw.extend_from_slice(&scratch);
        let middle = raw.len();
        // The summary is read once, for its terms and for the words of
        // its phrases (stop words included).
        scratch.clear();
        words.clear();
        tokens::each_raw(&p.summary, |raw, _| {
            let seen = lex.word(raw);
            if words.len() < SHINGLE_WORDS {
                words.push(seen.shingle);
            }
            match seen.kind {
                tokens::Kind::Skip => false,
                tokens::Kind::Number => true,
                tokens::Kind::Word => {
                    push_terms(&seen, &mut scratch);
                    true
                }
            }
        });
        merge(&mut scratch);
        raw.extend_from_slice(&scratch);
        spans.push((start, middle, raw.len()));
        names.sort_unstable();
        names.dedup();
        numbers.sort_unstable();
        numbers.dedup();
        union(&raw[start..middle], &raw[middle..], &mut terms_buf);
        let (url, domain, article) = url_parts(&p.url);
        let domain = &url[..domain];
        let summary = summary_key(&p.summary, &mut text).then(|| keys.id(&text));
        partial.push(Profile {
            title: Vec::new(),
            body: Vec::new(),
            terms: terms_buf.clone(),
            names,
            numbers,
            domain_id: keys.id(domain),
            domain: domain.to_owned(),
            url: keys.id(&url),
            article: article.map(|a| keys.id(a)),
            summary,
            shingles: shingles(&words),
            date: p.date.timestamp(),
        });
    }

    let mut df = vec![0u32; lex.terms.len()];
    for p in &partial {
        for &t in &p.terms {
            df[t as usize] += 1;
        }
    }
    let n = posts.len().max(1) as f32;
    let idf: Vec<f32> = df
        .iter()
        .map(|&d| ((n + 1.0) / (d as f32 + 0.5)).ln())
        .collect();

    for (p, &(start, middle, end)) in partial.iter_mut().zip(&spans) {
        let (title, summary) = (&raw[start..middle], &raw[middle..end]);
        p.title = unit(
            title
                .iter()
                .map(|&(t, w)| (t, w * idf[t as usize]))
                .collect(),
        );
        p.body = unit(sum(
            title
                .iter()
                .map(|&(t, w)| (t, TITLE_WEIGHT * w * idf[t as usize])),
            summary.iter().map(|&(t, w)| (t, w * idf[t as usize])),
            title.len() + summary.len(),
        ));
    }
    partial
}

/// Sorted by id, the weights of one id added up.
fn merge(items: &mut Vec<(u32, f32)>) {
    items.sort_unstable_by_key(|(t, _)| *t);
    // In place: the kept entries are a prefix of the sorted ones.
    let mut kept = 0;
    for k in 0..items.len() {
        let (t, w) = items[k];
        if kept > 0 && items[kept - 1].0 == t {
            items[kept - 1].1 += w;
        } else {
            items[kept] = (t, w);
            kept += 1;
        }
    }
    items.truncate(kept);
}

/// The ids of two sorted vectors, each once, sorted, into `out`.
fn union(a: &[(u32, f32)], b: &[(u32, f32)], out: &mut Vec<u32>) {
    out.clear();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i].0, b[j].0);
        out.push(x.min(y));
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    out.extend(a[i..].iter().map(|(t, _)| *t));
    out.extend(b[j..].iter().map(|(t, _)| *t));
}

/// `v` scaled to unit length (empty stays empty).
fn unit(mut v: Vec<(u32, f32)>) -> Vec<(u32, f32)> {
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
    sum(a.iter().copied(), b.iter().copied(), a.len() + b.len())
}

/// [`add`] of two sorted sequences, with room for `len` terms.
fn sum(
    a: impl Iterator<Item = (u32, f32)>,
    b: impl Iterator<Item = (u32, f32)>,
    len: usize,
) -> Vec<(u32, f32)> {
    let mut out = Vec::with_capacity(len);
    let (mut a, mut b) = (a.peekable(), b.peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(&x), Some(&y)) => match x.0.cmp(&y.0) {
                std::cmp::Ordering::Less => {
                    a.next();
                    x
                }
                std::cmp::Ordering::Greater => {
                    b.next();
                    y
                }
                std::cmp::Ordering::Equal => {
                    a.next();
                    b.next();
                    (x.0, x.1 + y.1)
                }
            },
            (Some(&x), None) => {
                a.next();
                x
            }
            (None, Some(&y)) => {
                b.next();
                y
            }
            (None, None) => return out,
        };
        out.push(next);
    }
}

/// `(url key, article id)` of a link; the key starts with the domain, of
/// `domain` bytes.
fn url_parts(url: &str) -> (String, usize, Option<&str>) {
    let rest = url.find("://").map_or(url, |k| &url[k + 3..]);
    let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = if host.len() >= 4 && host[..4].eq_ignore_ascii_case("www.") {
        &host[4..]
    } else {
        host
    };
    let mut article: Option<&str> = None;
    for run in path.split(|c: char| !c.is_ascii_digit()) {
        if run.len() >= 5 && !is_date(run) && article.is_none_or(|a| run.len() > a.len()) {
            article = Some(run);
        }
    }
    let mut key = String::with_capacity(host.len() + path.len());
    key.push_str(host);
    key.push_str(path.trim_end_matches('/'));
    key[..host.len()].make_ascii_lowercase();
    (key, host.len(), article)
}

/// `20190612`: a date in a file name (podcast episodes) is no article id.
fn is_date(run: &str) -> bool {
    run.len() == 8 && (run.starts_with("19") || run.starts_with("20"))
}

/// The hash of one word of a summary's phrases: lower-cased (not folded),
/// whole.
fn shingle_hash(raw: &str) -> u64 {
    let mut h = super::Fnv::new();
    if raw.is_ascii() {
        for b in raw.bytes() {
            h.write(&[b.to_ascii_lowercase()]);
        }
        return h.finish();
    }
    let mut bytes = [0u8; 4];
    for c in raw.chars().flat_map(char::to_lowercase) {
        h.write(c.encode_utf8(&mut bytes).as_bytes());
    }
    h.finish()
}

/// Hashes of the word triples of a summary's first [`SHINGLE_WORDS`]
/// words (stop words included; `words` are [`shingle_hash`]es): reports
/// that copy one agency text share many, rewritten ones few.
fn shingles(words: &[u64]) -> Vec<u64> {
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
pub fn containment(a: &[u64], b: &[u64]) -> f32 {
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

/// Writes the summary's key into `key`: whether it is long enough to
/// identify a text.
fn summary_key(summary: &str, key: &mut String) -> bool {
    key.clear();
    let mut chars = 0;
    let mut at = 0;
    while at < summary.len() && chars < SUMMARY_KEY {
        let b = summary.as_bytes()[at];
        if b.is_ascii() {
            // The common case, without decoding or the Unicode tables.
            if b.is_ascii_alphanumeric() {
                key.push(char::from(b.to_ascii_lowercase()));
                chars += 1;
            }
            at += 1;
            continue;
        }
        let Some(c) = summary[at..].chars().next() else {
            break;
        };
        at += c.len_utf8();
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                if chars >= SUMMARY_KEY {
                    break;
                }
                key.push(l);
                chars += 1;
            }
        }
    }
    chars >= SUMMARY_KEY / 2
}

/// What the matcher knows about one pair, all at once: for tuning, and
/// to check the lazy `Params::judge` against.
#[cfg(test)]
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

pub fn same_domain(a: &Profile, b: &Profile) -> bool {
    a.domain_id == b.domain_id && !a.domain.is_empty()
}

/// One URL, or one outlet's article id.
pub fn same_article(a: &Profile, b: &Profile, same_domain: bool) -> bool {
    a.url == b.url || (same_domain && a.article.is_some() && a.article == b.article)
}

pub fn same_summary(a: &Profile, b: &Profile) -> bool {
    a.summary.is_some() && a.summary == b.summary
}

/// Each title has a number the other lacks.
pub fn numbers_differ(a: &Profile, b: &Profile) -> bool {
    a.numbers.iter().any(|n| !b.numbers.contains(n))
        && b.numbers.iter().any(|n| !a.numbers.contains(n))
}

pub fn shared_names(a: &Profile, b: &Profile) -> usize {
    a.names.iter().filter(|n| b.names.contains(n)).count()
}

pub fn hours(a: &Profile, b: &Profile) -> f32 {
    (a.date - b.date).unsigned_abs() as f32 / 3600.0
}

#[cfg(test)]
pub fn pair(a: &Profile, b: &Profile) -> Pair {
    let same_domain = same_domain(a, b);
    let same_article = same_article(a, b, same_domain);
    let numbers_differ = numbers_differ(a, b);
    let (body, shared_terms) = cosine(&a.body, &b.body);
    Pair {
        title: cosine(&a.title, &b.title).0,
        body,
        shared_terms,
        same_article,
        same_summary: same_summary(a, b),
        phrases: containment(&a.shingles, &b.shingles),
        same_domain,
        numbers_differ,
        shared_names: shared_names(a, b),
        hours: hours(a, b),
    }
}
