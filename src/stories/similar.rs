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

/// The matcher's view of one post: slices of the arrays [`Profiles`]
/// shares among all posts.
#[derive(Debug, Clone, Copy)]
pub struct Profile<'a> {
    /// Title terms, unit length.
    pub title: &'a [(u32, f32)],
    /// Title and summary terms, unit length: every term of the post.
    pub body: &'a [(u32, f32)],
    /// Name terms of the title.
    pub names: &'a [u32],
    /// Numbers in the title, as interned ids.
    pub numbers: &'a [u32],
    /// See [`shingles`].
    pub shingles: &'a [u64],
    pub keys: &'a Keys,
}

/// What identifies a post's outlet, link, article and text, as 64-bit
/// hashes (FNV-1a, stable), so that comparing two posts compares integers.
#[derive(Debug, Clone, Copy)]
pub struct Keys {
    /// The link's host, lower case, without `www.`; `None` without one.
    pub domain: Option<u64>,
    /// The link without scheme, `www.`, query, fragment or closing `/`.
    pub url: u64,
    /// The longest run of at least five digits in the link's path.
    pub article: Option<u64>,
    /// The summary's start, when it is long enough to identify a text.
    pub summary: Option<u64>,
    pub date: i64,
}

/// What the matcher keeps of every post. The vectors and lists of all
/// posts live in a few shared arrays, each post's a span of them: a week
/// of 7,000 posts makes a handful of allocations, not 50,000.
pub struct Profiles {
    spans: Vec<Spans>,
    keys: Vec<Keys>,
    /// Title and body vectors.
    vectors: Vec<(u32, f32)>,
    /// Names and numbers.
    ids: Vec<u32>,
    shingles: Vec<u64>,
    /// In how many posts each term is, by term id.
    pub df: Vec<u32>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Spans {
    title: Span,
    body: Span,
    names: Span,
    numbers: Span,
    shingles: Span,
}

/// A post's part of a shared array.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn of<T>(self, items: &[T]) -> &[T] {
        &items[self.start as usize..self.end as usize]
    }

    /// The span of what `push` appends to `items`.
    fn push<T>(items: &mut Vec<T>, push: impl FnOnce(&mut Vec<T>)) -> Span {
        let at = |len: usize| u32::try_from(len).expect("fewer than 2^32 terms in a window");
        let start = at(items.len());
        push(items);
        Span {
            start,
            end: at(items.len()),
        }
    }
}

impl Profiles {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Every term id is below this.
    pub fn terms(&self) -> usize {
        self.df.len()
    }

    pub fn get(&self, i: usize) -> Profile<'_> {
        let s = &self.spans[i];
        Profile {
            title: s.title.of(&self.vectors),
            body: s.body.of(&self.vectors),
            names: s.names.of(&self.ids),
            numbers: s.numbers.of(&self.ids),
            shingles: s.shingles.of(&self.shingles),
            keys: &self.keys[i],
        }
    }
}

/// Texts to dense ids, in the order they are first seen, so that vectors
/// are sorted lists of integers. A text of up to 15 bytes (nearly every
/// word) is its own key, packed into two integers, so a lookup neither
/// allocates nor follows a pointer; the hash is foldhash's, not std's
/// SipHash (the ids do not depend on the hash, so neither does the
/// grouping).
#[derive(Default)]
struct Interner {
    short: HashMap<(u64, u64), u32, FixedState>,
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
        // Far beyond any window (the tables would hold gigabytes), and
        // what keeps ids below the marks of [`Seen::pack`].
        assert!(self.len() < MAX_IDS, "too many distinct words");
        if let Some(key) = pack(s.as_bytes()) {
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

/// Ids of terms and numbers stay below this.
const MAX_IDS: usize = (1 << 31) - 1;

/// What a run of letters and digits, as written, stands for: a word
/// seen before costs one lookup, not a lower-casing, a stop-word check
/// and three interner lookups.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Seen {
    kind: tokens::Kind,
    /// The word's term (or the number's id).
    id: u32,
    /// The terms of its first and last letters (see [`AFFIX_FROM`]), or
    /// [`NO_AFFIXES`].
    affixes: (u32, u32),
    /// The word's hash for [`shingles`].
    shingle: u32,
}

impl Seen {
    /// In two integers: the kind in the id's top bit (ids stay below
    /// [`MAX_IDS`]), a skipped word as all ones.
    fn pack(self) -> [u64; 2] {
        let id = match self.kind {
            tokens::Kind::Skip => u32::MAX,
            tokens::Kind::Number => self.id | 1 << 31,
            tokens::Kind::Word => self.id,
        };
        [
            u64::from(id) | u64::from(self.shingle) << 32,
            u64::from(self.affixes.0) | u64::from(self.affixes.1) << 32,
        ]
    }

    fn unpack([word, affixes]: [u64; 2]) -> Seen {
        let (kind, id) = match word as u32 {
            u32::MAX => (tokens::Kind::Skip, 0),
            id if id & 1 << 31 != 0 => (tokens::Kind::Number, id & !(1 << 31)),
            id => (tokens::Kind::Word, id),
        };
        Seen {
            kind,
            id,
            affixes: (affixes as u32, (affixes >> 32) as u32),
            shingle: (word >> 32) as u32,
        }
    }
}

/// Runs of up to 15 bytes, packed (see [`pack`]), to what they stand for
/// ([`Seen::pack`]): open addressing with linear probing, key and value
/// side by side in 32 bytes, so that a lookup mostly reads one cache
/// line. At most three quarters full.
struct RunTable {
    /// `[key.0, key.1, value[0], value[1]]`; a `key.1` of 0 is an empty
    /// slot (a packed key holds its length there).
    slots: Vec<[u64; 4]>,
    len: usize,
    /// 64 less the bits of a slot index.
    shift: u32,
}

impl RunTable {
    fn with_capacity(n: usize) -> RunTable {
        let size = (n * 4 / 3 + 1).next_power_of_two().max(64);
        RunTable {
            slots: vec![[0; 4]; size],
            len: 0,
            shift: 64 - size.trailing_zeros(),
        }
    }

    fn slot(&self, key: (u64, u64)) -> usize {
        // A folded multiply mixes the two halves; the top bits of a
        // Fibonacci multiply pick the slot.
        let m =
            u128::from(key.0 ^ 0x243f_6a88_85a3_08d3) * u128::from(key.1 ^ 0x1319_8a2e_0370_7344);
        let h = (m as u64) ^ (m >> 64) as u64;
        (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    fn get(&self, key: (u64, u64)) -> Option<[u64; 2]> {
        let mask = self.slots.len() - 1;
        let mut at = self.slot(key);
        loop {
            let s = &self.slots[at];
            if s[1] == 0 {
                return None;
            }
            if s[0] == key.0 && s[1] == key.1 {
                return Some([s[2], s[3]]);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds a key that is not in the table.
    fn insert(&mut self, key: (u64, u64), value: [u64; 2]) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            let old = std::mem::take(&mut self.slots);
            *self = RunTable::with_capacity(old.len());
            for s in old.into_iter().filter(|s| s[1] != 0) {
                self.insert((s[0], s[1]), [s[2], s[3]]);
            }
        }
        let mask = self.slots.len() - 1;
        let mut at = self.slot(key);
        while self.slots[at][1] != 0 {
            at = (at + 1) & mask;
        }
        self.slots[at] = [key.0, key.1, value[0], value[1]];
        self.len += 1;
    }
}

/// A term without affixes, in [`Lexicon::affixes`].
const NO_AFFIXES: (u32, u32) = (u32::MAX, u32::MAX);

/// Runs of letters and digits to what they stand for, interning as it
/// goes: term ids come out in the order words are first seen.
struct Lexicon {
    seen: RunTable,
    terms: Interner,
    /// By term id: the terms of the word's first and last letters (see
    /// [`AFFIX_FROM`]), or [`NO_AFFIXES`].
    affixes: Vec<(u32, u32)>,
    /// Numbers compare only with numbers: a table of their own.
    numbers: Interner,
    buf: String,
    affix: String,
}

impl Lexicon {
    fn with_capacity(n: usize) -> Lexicon {
        Lexicon {
            seen: RunTable::with_capacity(n),
            terms: Interner::with_capacity(n),
            affixes: Vec::with_capacity(n),
            numbers: Interner::default(),
            buf: String::new(),
            affix: String::new(),
        }
    }

    fn word(&mut self, raw: &str) -> Seen {
        let Some(key) = pack(raw.as_bytes()) else {
            return self.read(raw);
        };
        if let Some(seen) = self.seen.get(key) {
            return Seen::unpack(seen);
        }
        let seen = self.read(raw);
        self.seen.insert(key, seen.pack());
        seen
    }

    fn read(&mut self, raw: &str) -> Seen {
        let mut buf = std::mem::take(&mut self.buf);
        let kind = tokens::read(raw, &mut buf);
        let (id, affixes) = match kind {
            tokens::Kind::Skip => (0, NO_AFFIXES),
            tokens::Kind::Number => (self.numbers.id(&buf), NO_AFFIXES),
            tokens::Kind::Word => {
                let id = self.term(&buf);
                (id, self.affixes[id as usize])
            }
        };
        self.buf = buf;
        Seen {
            kind,
            id,
            affixes,
            shingle: shingle_hash(raw),
        }
    }

    /// The term of a word, and the first time, the terms of its affixes.
    fn term(&mut self, w: &str) -> u32 {
        let id = self.terms.id(w);
        if id as usize == self.affixes.len() {
            self.affixes.push(NO_AFFIXES);
            if let Some((start, end)) = affixes(w) {
                let start = self.affix_term('<', start);
                let end = self.affix_term('>', end);
                self.affixes[id as usize] = (start, end);
            }
        }
        id
    }

    fn affix_term(&mut self, mark: char, part: &str) -> u32 {
        self.affix.clear();
        self.affix.push(mark);
        self.affix.push_str(part);
        let id = self.terms.id(&self.affix);
        if id as usize == self.affixes.len() {
            self.affixes.push(NO_AFFIXES);
        }
        id
    }
}

/// Pushes the terms of one word: the word's own, and its affixes at half
/// weight, each as `term << 32 | weight in halves` (see [`merge`]).
fn push_terms(seen: &Seen, out: &mut Vec<u64>) {
    out.push(u64::from(seen.id) << 32 | 2);
    if seen.affixes != NO_AFFIXES {
        out.push(u64::from(seen.affixes.0) << 32 | 1);
        out.push(u64::from(seen.affixes.1) << 32 | 1);
    }
}

/// A text of up to 15 bytes as two integers: its bytes, zero-padded, and
/// its length in the last byte, so two texts pack alike only when equal.
/// Built from whole-word loads: copying the bytes into a buffer and
/// reading it back stalls the CPU's store forwarding.
fn pack(b: &[u8]) -> Option<(u64, u64)> {
    let n = b.len();
    if n > 15 {
        return None;
    }
    let len = (n as u64) << 56;
    if n >= 8 {
        let lo = u64::from_le_bytes(b[..8].try_into().ok()?);
        // The last eight bytes, shifted so that byte 8 lands at the bottom.
        let tail = u64::from_le_bytes(b[n - 8..].try_into().ok()?);
        let hi = tail.checked_shr(8 * (16 - n as u32)).unwrap_or(0);
        return Some((lo, hi | len));
    }
    let mut lo = 0u64;
    for (k, &x) in b.iter().enumerate() {
        lo |= u64::from(x) << (8 * k);
    }
    Some((lo, len))
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

/// Profiles of `posts`, with terms weighted by their rarity among them.
pub fn profiles(posts: &[Post]) -> Profiles {
    let n = posts.len();
    // About five distinct runs per post in a week of news.
    let mut lex = Lexicon::with_capacity(n * 6);
    let mut out = Profiles {
        spans: Vec::with_capacity(n),
        keys: Vec::with_capacity(n),
        vectors: Vec::new(),
        ids: Vec::with_capacity(n * 48),
        shingles: Vec::with_capacity(n * 40),
        df: Vec::new(),
    };
    // The terms of all titles and summaries, unweighted (weights need
    // every post's terms first): `halves[i]` are post i's title and
    // summary ranges. Scratch vectors are reused across posts.
    let mut raw: Vec<(u32, f32)> = Vec::with_capacity(n * 48);
    let mut halves: Vec<(usize, usize, usize)> = Vec::with_capacity(n);
    let mut scratch: Vec<u64> = Vec::new();
    let mut words: Vec<u32> = Vec::new();
    let mut names: Vec<u32> = Vec::new();
    let mut numbers: Vec<u32> = Vec::new();
    for p in posts {
        names.clear();
        numbers.clear();
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
        merge(&mut scratch, &mut raw);
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
        merge(&mut scratch, &mut raw);
        halves.push((start, middle, raw.len()));
        names.sort_unstable();
        names.dedup();
        numbers.sort_unstable();
        numbers.dedup();
        let spans = Spans {
            names: Span::push(&mut out.ids, |ids| ids.extend_from_slice(&names)),
            numbers: Span::push(&mut out.ids, |ids| ids.extend_from_slice(&numbers)),
            shingles: Span::push(&mut out.shingles, |s| shingles(&words, s)),
            ..Spans::default()
        };
        let (domain, url, article) = link_keys(&p.url);
        out.keys.push(Keys {
            domain,
            url,
            article,
            summary: summary_key(&p.summary),
            date: p.date.timestamp(),
        });
        out.spans.push(spans);
    }

    let mut df = vec![0u32; lex.terms.len()];
    for &(start, middle, end) in &halves {
        union(&raw[start..middle], &raw[middle..end], |t| {
            df[t as usize] += 1
        });
    }
    let count = n.max(1) as f32;
    let idf: Vec<f32> = df
        .iter()
        .map(|&d| ((count + 1.0) / (d as f32 + 0.5)).ln())
        .collect();

    // A title's terms go into its title vector and its body vector.
    let titles: usize = halves.iter().map(|&(s, m, _)| m - s).sum();
    out.vectors.reserve_exact(raw.len() + titles);
    for (s, &(start, middle, end)) in out.spans.iter_mut().zip(&halves) {
        let (title, summary) = (&raw[start..middle], &raw[middle..end]);
        s.title = Span::push(&mut out.vectors, |v| {
            v.extend(title.iter().map(|&(t, w)| (t, w * idf[t as usize])));
        });
        unit(&mut out.vectors[s.title.start as usize..]);
        s.body = Span::push(&mut out.vectors, |v| {
            sum(
                title
                    .iter()
                    .map(|&(t, w)| (t, TITLE_WEIGHT * w * idf[t as usize])),
                summary.iter().map(|&(t, w)| (t, w * idf[t as usize])),
                v,
            );
        });
        unit(&mut out.vectors[s.body.start as usize..]);
    }
    out.df = df;
    out
}

/// The terms of [`push_terms`] sorted by id, with the weights of one id
/// added up, appended to `out`. Weights are whole halves, so their sum
/// is exact in any order: the integers sort faster than pairs.
fn merge(items: &mut [u64], out: &mut Vec<(u32, f32)>) {
    items.sort_unstable();
    for run in items.chunk_by(|a, b| a >> 32 == b >> 32) {
        let halves: u64 = run.iter().map(|x| x & 0xffff_ffff).sum();
        out.push(((run[0] >> 32) as u32, halves as f32 * AFFIX_WEIGHT));
    }
}

/// The ids of two sorted vectors, each once, in order.
fn union(a: &[(u32, f32)], b: &[(u32, f32)], mut f: impl FnMut(u32)) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i].0, b[j].0);
        f(x.min(y));
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    a[i..].iter().chain(&b[j..]).for_each(|&(t, _)| f(t));
}

/// `v` scaled to unit length (empty stays empty).
fn unit(v: &mut [(u32, f32)]) {
    let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, w) in v {
            *w /= norm;
        }
    }
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

/// The body likeness of one post against many (candidate pairs come
/// sorted by their first post): its body vector spread over an array
/// indexed by term, so that each other post costs one pass over its own
/// terms instead of a merge of two lists. The products of shared terms
/// are added in term order, as in [`cosine`], so the result is the same
/// to the bit.
pub struct Spread {
    weights: Vec<f32>,
    of: Option<usize>,
}

impl Spread {
    pub fn new(profiles: &Profiles) -> Spread {
        Spread {
            weights: vec![0.0; profiles.terms()],
            of: None,
        }
    }

    /// [`cosine`] of post `i`'s body and `b`.
    pub fn cosine(&mut self, profiles: &Profiles, i: usize, b: &[(u32, f32)]) -> (f32, usize) {
        if self.of != Some(i) {
            if let Some(old) = self.of {
                for &(t, _) in profiles.get(old).body {
                    self.weights[t as usize] = 0.0;
                }
            }
            for &(t, w) in profiles.get(i).body {
                // Weights of terms are positive: 0 marks a term the post
                // lacks.
                debug_assert!(w > 0.0);
                self.weights[t as usize] = w;
            }
            self.of = Some(i);
        }
        let (mut sum, mut n) = (0.0, 0);
        for &(t, w) in b {
            let x = self.weights[t as usize];
            if x != 0.0 {
                sum += x * w;
                n += 1;
            }
        }
        (sum, n)
    }
}

/// The sum of two sorted sparse vectors, sorted.
pub fn add(a: &[(u32, f32)], b: &[(u32, f32)]) -> Vec<(u32, f32)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    sum(a.iter().copied(), b.iter().copied(), &mut out);
    out
}

/// [`add`] of two sorted sequences, appended to `out`.
fn sum(
    a: impl Iterator<Item = (u32, f32)>,
    b: impl Iterator<Item = (u32, f32)>,
    out: &mut Vec<(u32, f32)>,
) {
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
            (None, None) => return,
        };
        out.push(next);
    }
}

/// The [`Keys`] of a link: its outlet, itself, and the outlet's article
/// id (the longest run of at least five digits in the path that is no
/// date), hashed as they are read.
fn link_keys(url: &str) -> (Option<u64>, u64, Option<u64>) {
    // Byte searches: the text searcher costs more to set up than these
    // short links take to scan.
    let scheme = url.as_bytes().windows(3).position(|w| w == b"://");
    let rest = scheme.map_or(url, |k| &url[k + 3..]);
    let end = rest.bytes().position(|b| b == b'?' || b == b'#');
    let rest = &rest[..end.unwrap_or(rest.len())];
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
    let mut h = super::Fnv::new();
    for b in host.bytes() {
        h.write(&[b.to_ascii_lowercase()]);
    }
    let domain = (!host.is_empty()).then(|| h.finish());
    h.write(path.trim_end_matches('/').as_bytes());
    (
        domain,
        h.finish(),
        article.map(|a| super::fnv(a.as_bytes())),
    )
}

/// `20190612`: a date in a file name (podcast episodes) is no article id.
fn is_date(run: &str) -> bool {
    run.len() == 8 && (run.starts_with("19") || run.starts_with("20"))
}

/// The hash of one word of a summary's phrases: lower-cased (not folded),
/// whole. Half of FNV-1a folded into the other: a window's 30,000 words
/// rarely share one, and a triple of words still tells phrases apart.
fn shingle_hash(raw: &str) -> u32 {
    let mut h = super::Fnv::new();
    if raw.is_ascii() {
        for b in raw.bytes() {
            h.write(&[b.to_ascii_lowercase()]);
        }
    } else {
        let mut bytes = [0u8; 4];
        for c in raw.chars().flat_map(char::to_lowercase) {
            h.write(c.encode_utf8(&mut bytes).as_bytes());
        }
    }
    let h = h.finish();
    (h ^ h >> 32) as u32
}

/// Hashes of the word triples of a summary's first [`SHINGLE_WORDS`]
/// words (stop words included; `words` are [`shingle_hash`]es), sorted,
/// appended to `out`: reports that copy one agency text share many,
/// rewritten ones few.
fn shingles(words: &[u32], out: &mut Vec<u64>) {
    let start = out.len();
    out.extend(words.windows(3).map(|w| {
        let two = u64::from(w[0]) | u64::from(w[1]) << 32;
        mix(mix(two) ^ u64::from(w[2]))
    }));
    out[start..].sort_unstable();
    let mut kept = start;
    for k in start..out.len() {
        if kept == start || out[kept - 1] != out[k] {
            out[kept] = out[k];
            kept += 1;
        }
    }
    out.truncate(kept);
}

/// SplitMix64's finalizer: a fixed, invertible mix of the bits.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The share of the smaller set that the other holds too.
pub fn containment(a: &[u64], b: &[u64]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    // Without branches: which list steps on is a coin toss to the CPU.
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n as f32 / a.len().min(b.len()) as f32
}

/// The hash of the summary's start (its first [`SUMMARY_KEY`] letters
/// and digits, lower-cased), when it is long enough to identify a text.
fn summary_key(summary: &str) -> Option<u64> {
    let mut h = super::Fnv::new();
    let mut chars = 0;
    let mut at = 0;
    while at < summary.len() && chars < SUMMARY_KEY {
        let b = summary.as_bytes()[at];
        if b.is_ascii() {
            // The common case, without decoding or the Unicode tables.
            if b.is_ascii_alphanumeric() {
                h.write(&[b.to_ascii_lowercase()]);
                chars += 1;
            }
            at += 1;
            continue;
        }
        let Some(c) = summary[at..].chars().next() else {
            break;
        };
        at += c.len_utf8();
        if tokens::is_alphanumeric(c) {
            let mut bytes = [0u8; 4];
            for l in c.to_lowercase() {
                if chars >= SUMMARY_KEY {
                    break;
                }
                h.write(l.encode_utf8(&mut bytes).as_bytes());
                chars += 1;
            }
        }
    }
    (chars >= SUMMARY_KEY / 2).then(|| h.finish())
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
    a.keys.domain.is_some() && a.keys.domain == b.keys.domain
}

/// One URL, or one outlet's article id.
pub fn same_article(a: &Profile, b: &Profile, same_domain: bool) -> bool {
    a.keys.url == b.keys.url
        || (same_domain && a.keys.article.is_some() && a.keys.article == b.keys.article)
}

pub fn same_summary(a: &Profile, b: &Profile) -> bool {
    a.keys.summary.is_some() && a.keys.summary == b.keys.summary
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
    (a.keys.date - b.keys.date).unsigned_abs() as f32 / 3600.0
}

#[cfg(test)]
pub fn pair(a: &Profile, b: &Profile) -> Pair {
    let same_domain = same_domain(a, b);
    let same_article = same_article(a, b, same_domain);
    let numbers_differ = numbers_differ(a, b);
    let (body, shared_terms) = cosine(a.body, b.body);
    Pair {
        title: cosine(a.title, b.title).0,
        body,
        shared_terms,
        same_article,
        same_summary: same_summary(a, b),
        phrases: containment(a.shingles, b.shingles),
        same_domain,
        numbers_differ,
        shared_names: shared_names(a, b),
        hours: hours(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`pack`] must equal: the bytes copied into 16, the length last.
    fn packed_by_copy(b: &[u8]) -> (u64, u64) {
        let mut k = [0u8; 16];
        k[..b.len()].copy_from_slice(b);
        k[15] = b.len() as u8;
        let k = u128::from_le_bytes(k);
        (k as u64, (k >> 64) as u64)
    }

    #[test]
    fn packing_keeps_every_byte_and_the_length() {
        let text = "abcdefghijklmnopqrstuvwxyzé€";
        let bytes = text.as_bytes();
        for start in 0..bytes.len() {
            for end in start..=bytes.len().min(start + 15) {
                let b = &bytes[start..end];
                assert_eq!(pack(b), Some(packed_by_copy(b)), "{b:?}");
            }
        }
        // Zero bytes and their length tell texts apart.
        assert_ne!(pack(b"a"), pack(b"a\0"));
        assert_ne!(pack(b""), pack(b"\0"));
        assert_eq!(pack(&[b'x'; 16]), None);
    }

    #[test]
    fn the_run_table_finds_what_it_holds_as_it_grows() {
        let mut table = RunTable::with_capacity(4);
        let words: Vec<String> = (0..5_000).map(|k| format!("w{k}")).collect();
        for (k, w) in words.iter().enumerate() {
            let key = pack(w.as_bytes()).unwrap();
            assert_eq!(table.get(key), None);
            table.insert(key, [k as u64, 0]);
        }
        assert!(table.slots.len() * 3 >= 4 * words.len());
        for (k, w) in words.iter().enumerate() {
            assert_eq!(table.get(pack(w.as_bytes()).unwrap()), Some([k as u64, 0]));
        }
        assert_eq!(table.get(pack(b"w5000").unwrap()), None);
    }

    #[test]
    fn seen_words_unpack_as_packed() {
        for kind in [tokens::Kind::Skip, tokens::Kind::Number, tokens::Kind::Word] {
            for (id, shingle) in [(0, 0), (7, 1 << 20), (MAX_IDS as u32 - 1, u32::MAX)] {
                for affixes in [NO_AFFIXES, (3, 4), (id, u32::MAX - 1)] {
                    let id = if kind == tokens::Kind::Skip { 0 } else { id };
                    let seen = Seen {
                        kind,
                        id,
                        affixes,
                        shingle,
                    };
                    assert_eq!(Seen::unpack(seen.pack()), seen);
                }
            }
        }
    }

    #[test]
    fn merged_terms_add_their_halves() {
        let word = |id: u32, affixes| Seen {
            kind: tokens::Kind::Word,
            id,
            affixes,
            shingle: 0,
        };
        let mut items = Vec::new();
        push_terms(&word(9, (2, 5)), &mut items);
        push_terms(&word(2, NO_AFFIXES), &mut items);
        push_terms(&word(9, (2, 5)), &mut items);
        let mut out = vec![(1, 0.25)];
        merge(&mut items, &mut out);
        assert_eq!(out, vec![(1, 0.25), (2, 2.0), (5, 1.0), (9, 2.0)]);
    }

    #[test]
    fn link_keys_ignore_scheme_www_case_query_and_closing_slash() {
        let (domain, url, article) = link_keys("https://www.NOS.nl/artikel/2289123-x/?utm=1#top");
        let (domain2, url2, article2) = link_keys("http://nos.nl/artikel/2289123-x");
        assert_eq!((domain, url, article), (domain2, url2, article2));
        assert!(domain.is_some() && article.is_some());
        // The path keeps its case; a date is no article id.
        assert_ne!(url, link_keys("https://nos.nl/Artikel/2289123-x").1);
        assert_eq!(link_keys("https://a.nl/podcast/20190612.mp3").2, None);
        assert_eq!(link_keys("/relative/path").0, None);
    }
}
