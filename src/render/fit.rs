//! Keeping the HTML part under the size at which Gmail clips a message
//! (102 KB: the reader sees "[Message clipped]" and, worse, no unsubscribe
//! link): the lowest-ranked items go first, and the sections they came
//! from count them in their "more posts" line.

use super::{render_all, Context, Rendered};
use crate::edition::Edition;

/// The HTML part stays at or under this many bytes.
pub const HTML_LIMIT: usize = 100_000;
/// Room for what each recipient's holes add (name, unsubscribe link).
const HOLE_ROOM: usize = 2_000;

/// `edition` rendered within [`HTML_LIMIT`]: the edition as rendered when
/// items had to go (`None`: all of it fits), and the rendering, whose
/// `dropped` says how many went.
pub fn fit(edition: &Edition, ctx: &Context<'_>) -> (Option<Edition>, Rendered) {
    let mut rendered = render_all(edition, ctx);
    if fits(&rendered) {
        return (None, rendered);
    }
    let mut trimmed = edition.clone();
    let mut dropped = 0;
    while !fits(&rendered) && !trimmed.is_empty() {
        // The mean size of an item, chrome included, is more than an item
        // takes: this drops too few rather than too many, and loops.
        let len = rendered.html.len();
        let per_item = (len / trimmed.len().max(1)).max(1);
        let excess = len + HOLE_ROOM - HTML_LIMIT;
        for _ in 0..excess.div_ceil(per_item).max(1) {
            if drop_lowest(&mut trimmed) {
                dropped += 1;
            }
        }
        rendered = render_all(&trimmed, ctx);
    }
    rendered.dropped = dropped;
    (Some(trimmed), rendered)
}

fn fits(r: &Rendered) -> bool {
    r.html.len() + HOLE_ROOM <= HTML_LIMIT
}

/// Removes the item ranked last; false when there is none.
fn drop_lowest(e: &mut Edition) -> bool {
    let mut last: Option<(usize, usize, usize)> = None;
    for (s, section) in e.sections.iter().enumerate() {
        for (i, p) in section.items.iter().enumerate() {
            if last.is_none_or(|(_, _, rank)| p.rank >= rank) {
                last = Some((s, i, p.rank));
            }
        }
    }
    let Some((s, i, _)) = last else {
        return false;
    };
    let post = e.sections[s].items.remove(i);
    e.sections[s].more += post.story_posts.max(1);
    if e.sections[s].items.is_empty() {
        e.sections.remove(s);
    }
    true
}
