//! Stories: the posts of a window that report the same event (several
//! outlets, an update, the same article posted twice) grouped into one, and
//! the stories ranked by coverage.
//!
//! Pure and deterministic: posts in, stories out, no network, no model.
//! Precision comes first, since a wrong merge hides a story from the reader
//! while a missed one only shows it twice: a pair joins only on strong
//! evidence, and numbers that differ ("etappe 4" and "etappe 5", two
//! episode dates) keep two reports apart. Candidate pairs come from an index
//! of the window's rarer words, so the cost grows with the posts that share
//! words, not with every pair.

mod similar;
pub mod tokens;

use std::cmp::Reverse;
use std::collections::HashSet;

use foldhash::fast::FixedState;

use crate::site::Post;
#[cfg(test)]
use similar::{pair, Pair};
use similar::{profiles, Profile, Profiles, Spread};

/// One story: indices into the posts it was grouped from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Story {
    /// Shared by the story's posts; stable for the same posts.
    pub id: String,
    /// The post that shows the story: the most complete summary, else the
    /// newest.
    pub lead: usize,
    /// Every post of the story, the lead first, then newest first.
    pub members: Vec<usize>,
    /// Distinct domains among the members' links.
    pub outlets: usize,
}

/// Knobs of the matcher, fixed in [`Params::DEFAULT`]; tuned on the
/// labelled pairs in `tests/fixtures/stories/`.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Reports further apart than this are different stories.
    pub max_hours: f32,
    /// A pair joins when its score reaches this.
    pub threshold: f32,
    pub body: f32,
    pub title: f32,
    /// For shared summary phrases.
    pub phrases: f32,
    /// Per shared name in the titles, up to two.
    pub name: f32,
    /// Subtracted per day between the two posts.
    pub per_day: f32,
    /// Two groups join when the mean likeness of their posts reaches this.
    pub link: f32,
    /// Fewer shared terms is a coincidence, however rare the words.
    pub min_shared: usize,
    /// Added to the threshold for two posts of one outlet: an outlet
    /// rarely reports one event twice except as a retitle (caught by the
    /// summary), while its daily rubrics share many words.
    pub one_outlet: f32,
    /// The same summary under another title joins at this title likeness.
    pub retitle: f32,
}

impl Params {
    pub const DEFAULT: Params = Params {
        max_hours: 72.0,
        threshold: 0.275,
        body: 0.9,
        title: 0.1,
        phrases: 0.6,
        name: 0.05,
        per_day: 0.25,
        retitle: 0.1,
        one_outlet: 0.6,
        min_shared: 4,
        link: 0.2,
    };

    /// The score of a pair described in full; [`Params::judge`] is the
    /// same, computed lazily (a test holds them equal).
    #[cfg(test)]
    fn score(&self, p: &Pair) -> Option<f32> {
        if p.hours > self.max_hours {
            return None;
        }
        if (p.same_article || p.same_summary) && p.title >= self.retitle {
            return Some(CERTAIN);
        }
        if p.numbers_differ || p.shared_terms < self.min_shared {
            return None;
        }
        let score = self.body * p.body
            + self.title * p.title
            + self.phrases * p.phrases
            + self.name * p.shared_names.min(2) as f32
            - self.per_day * p.hours / 24.0;
        let threshold = self.threshold + if p.same_domain { self.one_outlet } else { 0.0 };
        (score >= threshold).then_some(score)
    }

    /// [`Params::score`] of the pair `a`, `b`, the same to the bit, but
    /// computed cheapest signal first: most candidates are settled by
    /// their dates, numbers or shared terms before the title vectors and
    /// phrases are compared. `body` gives the [`similar::cosine`] of
    /// their bodies.
    fn judge(&self, a: &Profile, b: &Profile, body: impl FnOnce() -> (f32, usize)) -> Option<f32> {
        let hours = similar::hours(a, b);
        if hours > self.max_hours {
            return None;
        }
        let same_domain = similar::same_domain(a, b);
        let mut title = None;
        if similar::same_article(a, b, same_domain) || similar::same_summary(a, b) {
            let t = similar::cosine(a.title, b.title).0;
            if t >= self.retitle {
                return Some(CERTAIN);
            }
            title = Some(t);
        }
        if similar::numbers_differ(a, b) {
            return None;
        }
        let (body, shared_terms) = body();
        if shared_terms < self.min_shared {
            return None;
        }
        let names = self.name * similar::shared_names(a, b).min(2) as f32;
        let days = self.per_day * hours / 24.0;
        let threshold = self.threshold + if same_domain { self.one_outlet } else { 0.0 };
        // The score with the most that titles and phrases could add: when
        // even that falls short, neither is compared. Rounding keeps sums
        // in order, so the bound holds to the bit.
        if self.body * body + self.title * TITLE_BOUND + self.phrases + names - days < threshold {
            return None;
        }
        let title = title.unwrap_or_else(|| similar::cosine(a.title, b.title).0);
        let score = self.body * body
            + self.title * title
            + self.phrases * similar::containment(a.shingles, b.shingles)
            + names
            - days;
        (score >= threshold).then_some(score)
    }
}

/// Above any title likeness: the cosine of two unit vectors is at most
/// 1, and rounding adds far less than this.
const TITLE_BOUND: f32 = 1.001;

/// The score of a pair that is one article: it joins whatever else the
/// groups hold.
const CERTAIN: f32 = 10.0;

/// The mean body likeness of every pair across two groups reaches `min`.
/// The dot product is linear, so the mean over all pairs is the dot product
/// of the groups' summed vectors over the number of pairs: one pass over
/// two vectors, however large the groups.
fn alike(sets: &Sets, a: usize, b: usize, min: f32) -> bool {
    let pairs = (sets.size[a] * sets.size[b]) as f32;
    similar::cosine(sets.sum(a), sets.sum(b)).0 / pairs >= min
}

/// Groups `posts` into stories, in the order of their first post in
/// `posts`. Every post is in exactly one story.
pub fn group(posts: &[Post]) -> Vec<Story> {
    group_with(posts, &Params::DEFAULT)
}

/// [`group`] with other knobs (for tuning).
pub fn group_with(posts: &[Post], params: &Params) -> Vec<Story> {
    let profiles = profiles(posts);
    let mut spread = Spread::new(&profiles);
    let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
    for (i, j) in candidates(&profiles) {
        let (a, b) = (profiles.get(i), profiles.get(j));
        let body = || spread.cosine(&profiles, i, b.body);
        if let Some(score) = params.judge(&a, &b, body) {
            pairs.push((score, i, j));
        }
    }
    // Strongest first, so the lead pairs of a story join before weak ones;
    // index order breaks ties for a stable result.
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let mut sets = Sets::new(&profiles);
    let mut refused: HashSet<(usize, usize, usize), FixedState> = HashSet::default();
    for (score, i, j) in pairs {
        let (a, b) = (sets.find(i), sets.find(j));
        if a == b {
            continue;
        }
        // Two groups join only when they are alike as wholes, not just at
        // one pair: a live blog's changing titles, or a post that mentions
        // two events, must not chain stories together.
        let certain = score >= CERTAIN;
        if !certain {
            // Groups only grow: a "no" holds until either one changes.
            let key = (a.min(b), a.max(b), sets.size[a] + sets.size[b]);
            if refused.contains(&key) {
                continue;
            }
            if !alike(&sets, a, b, params.link) {
                refused.insert(key);
                continue;
            }
        }
        sets.join(a, b);
    }

    // The group of each root, by the root's index.
    let mut by_root: Vec<usize> = vec![usize::MAX; posts.len()];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in 0..posts.len() {
        let root = sets.find(i);
        if by_root[root] == usize::MAX {
            by_root[root] = groups.len();
            groups.push(Vec::new());
        }
        groups[by_root[root]].push(i);
    }
    groups
        .into_iter()
        .map(|members| story(posts, &profiles, members))
        .collect()
}

/// Sorts strongest first: the editor's word (`featured`, then the highest
/// `priority`), then outlets, posts, the newest post, and the id for a
/// stable order.
pub fn strength(posts: &[Post], s: &Story) -> impl Ord {
    let featured = s.members.iter().any(|&m| posts[m].featured);
    let priority = s
        .members
        .iter()
        .map(|&m| posts[m].priority)
        .max()
        .unwrap_or(0);
    let newest = s.members.iter().map(|&m| posts[m].date).max();
    (
        Reverse(featured),
        Reverse(priority),
        Reverse(s.outlets),
        Reverse(s.members.len()),
        Reverse(newest),
        s.id.clone(),
    )
}

fn story(posts: &[Post], profiles: &Profiles, mut members: Vec<usize>) -> Story {
    let lead = *members
        .iter()
        .max_by(|&&a, &&b| {
            let (pa, pb) = (&posts[a], &posts[b]);
            pa.summary
                .chars()
                .count()
                .cmp(&pb.summary.chars().count())
                .then(pa.date.cmp(&pb.date))
                .then(pb.source.cmp(&pa.source))
        })
        .unwrap_or(&members[0]);
    members.sort_by(|&a, &b| {
        (b == lead)
            .cmp(&(a == lead))
            .then(posts[b].date.cmp(&posts[a].date))
            .then(posts[a].source.cmp(&posts[b].source))
    });
    let domain = |i: usize| profiles.get(i).keys.domain;
    // Most stories have a post or two: a count without allocating.
    let outlets = if members.len() <= 16 {
        let new = |k: usize| {
            !members[..k]
                .iter()
                .any(|&j| domain(j) == domain(members[k]))
        };
        (0..members.len()).filter(|&k| new(k)).count()
    } else {
        let mut domains: Vec<Option<u64>> = members.iter().map(|&i| domain(i)).collect();
        domains.sort_unstable();
        domains.dedup();
        domains.len()
    };
    // The earliest post names the story, so that a later report joining it
    // does not change its id.
    let first = members
        .iter()
        .min_by(|&&a, &&b| {
            posts[a]
                .date
                .cmp(&posts[b].date)
                .then(posts[a].source.cmp(&posts[b].source))
        })
        .map_or("", |&i| posts[i].source.as_str());
    Story {
        id: format!("{:012x}", fnv(first.as_bytes()) >> 16),
        lead,
        outlets,
        members,
    }
}

/// Terms in more posts than this are too common to find candidates by.
fn common(n: usize) -> usize {
    (n / 50).clamp(8, 12)
}

/// Pairs `(i, j)`, `i < j`, worth scoring, sorted: posts sharing two
/// rare terms, one URL, one outlet's article id or one summary.
fn candidates(profiles: &Profiles) -> Vec<(usize, usize)> {
    // Only terms in 2 to `cap` posts find pairs: the posting lists of
    // those are slices of one array, `at[t]..at[t + 1]` for term `t`, each
    // in post order; other terms have empty ones.
    let cap = common(profiles.len()) as u32;
    let finds = |t: u32| (2..=cap).contains(&profiles.df[t as usize]);
    let ids = profiles.terms();
    let mut at = vec![0u32; ids + 1];
    for t in 0..ids as u32 {
        let len = if finds(t) { profiles.df[t as usize] } else { 0 };
        at[t as usize + 1] = at[t as usize] + len;
    }
    let mut fill: Vec<u32> = at[..ids].to_vec();
    let mut postings = vec![0u32; at[ids] as usize];
    for i in 0..profiles.len() {
        for &(t, _) in profiles.get(i).body {
            if finds(t) {
                postings[fill[t as usize] as usize] = i as u32;
                fill[t as usize] += 1;
            }
        }
    }
    // Per post, count the rarer words it shares with each later post: an
    // accumulator indexed by post, no hashing of pairs.
    let mut shared = vec![0u16; profiles.len()];
    let mut touched: Vec<usize> = Vec::new();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for i in 0..profiles.len() {
        for &(t, _) in profiles.get(i).body {
            let list = &postings[at[t as usize] as usize..at[t as usize + 1] as usize];
            // A list is in post order: the later posts are its tail.
            let later = list.partition_point(|&j| j as usize <= i);
            for &j in &list[later..] {
                let j = j as usize;
                if shared[j] == 0 {
                    touched.push(j);
                }
                shared[j] = shared[j].saturating_add(1);
            }
        }
        let from = out.len();
        for j in touched.drain(..) {
            if shared[j] >= 2 {
                out.push((i, j));
            }
            shared[j] = 0;
        }
        // In order, so that the pairs come out sorted.
        out[from..].sort_unstable();
    }
    // Posts with one key (URL or summary; the outlet's article id), found
    // by sorting the keys rather than hashing them.
    const ANY: u64 = u64::MAX;
    let mut keyed: Vec<((u64, u64), usize)> = Vec::new();
    for i in 0..profiles.len() {
        let k = profiles.get(i).keys;
        keyed.push(((ANY, k.url), i));
        if let Some(s) = k.summary {
            keyed.push(((ANY, s), i));
        }
        if let Some(a) = k.article {
            keyed.push(((k.domain.unwrap_or(0), a), i));
        }
    }
    keyed.sort_unstable();
    keyed.dedup();
    let mut more: Vec<(usize, usize)> = Vec::new();
    for run in keyed.chunk_by(|x, y| x.0 == y.0) {
        for (k, &(_, i)) in run.iter().enumerate() {
            for &(_, j) in &run[k + 1..] {
                more.push((i, j));
            }
        }
    }
    more.sort_unstable();
    // Two sorted runs: the stable sort merges them in one pass.
    out.extend(more);
    out.sort();
    out.dedup();
    out
}

/// Disjoint sets with path halving; each root knows its size and the sum
/// of its members' body vectors.
struct Sets<'a> {
    profiles: &'a Profiles,
    parent: Vec<usize>,
    size: Vec<usize>,
    /// Of roots with more than one member; a post alone sums to its own
    /// body, which is not copied.
    sums: Vec<Vec<(u32, f32)>>,
}

impl<'a> Sets<'a> {
    fn new(profiles: &'a Profiles) -> Sets<'a> {
        let n = profiles.len();
        Sets {
            profiles,
            parent: (0..n).collect(),
            size: vec![1; n],
            sums: vec![Vec::new(); n],
        }
    }

    /// The summed body vector of root `a`.
    fn sum(&self, a: usize) -> &[(u32, f32)] {
        if self.size[a] == 1 {
            self.profiles.get(a).body
        } else {
            &self.sums[a]
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Joins two roots.
    fn join(&mut self, a: usize, b: usize) {
        // The smaller index is the root: stable whatever the pair order.
        let (root, child) = (a.min(b), a.max(b));
        self.parent[child] = root;
        let sum = similar::add(self.sum(root), self.sum(child));
        self.sums[root] = sum;
        self.sums[child] = Vec::new();
        self.size[root] += self.size[child];
    }
}

/// FNV-1a: a stable hash (std's `DefaultHasher` may change between
/// releases, and story ids end up in stored JSON).
fn fnv(bytes: &[u8]) -> u64 {
    let mut h = Fnv::new();
    h.write(bytes);
    h.finish()
}

/// FNV-1a fed in pieces, for hashing without building a string first.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests;
