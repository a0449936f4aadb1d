//! Fingerprints of a list file's entries, so that a process that holds the
//! list (`serve`, a writer that read it before taking the lock) can catch up
//! with another writer's change by parsing only the entries that changed or
//! were added, instead of the whole file.
//!
//! Only text the fast reader takes gets prints: postbode's own layout, in
//! which an entry's block of lines means the same wherever it stands (no
//! anchors, no flow lists across lines). Each block's bytes are hashed with
//! a key this process picked at random, so a stranger who puts text in an
//! entry (a sign-up's name) cannot make a changed block pass for the old one.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use rayon::prelude::*;

use super::fast::{header, parse_fast};
use super::RawEntry;

/// What a text of the list was: its header and each entry's block, hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prints {
    header: u64,
    entries: Vec<u64>,
}

fn hash(block: &str) -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    KEYS.get_or_init(RandomState::new).hash_one(block)
}

/// The header (through the `subscribers:` line) and each entry's lines,
/// from one `  - ` line to the next; `None` in any other layout.
fn blocks(text: &str) -> Option<(&str, Vec<&str>)> {
    let (start, _, closed) = header(text)??;
    let (head, body) = text.split_at(start);
    if closed || body.is_empty() {
        return body.is_empty().then(|| (head, Vec::new()));
    }
    if !body.starts_with("  - ") {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 200);
    let mut from = 0;
    for (at, _) in body.match_indices("\n  - ") {
        out.push(&body[from..=at]);
        from = at + 1;
    }
    out.push(&body[from..]);
    Some((head, out))
}

impl Prints {
    /// The prints of `text`, when it is in postbode's layout and the fast
    /// reader read `entries` from it.
    pub(crate) fn of(text: &str, entries: usize) -> Option<Prints> {
        let (head, blocks) = blocks(text)?;
        (blocks.len() == entries).then(|| Prints {
            header: hash(head),
            entries: blocks.par_iter().map(|b| hash(b)).collect(),
        })
    }

    /// How many entries the text had.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries of `text` that differ from the text these prints are
    /// of, with their positions (at or past [`Prints::len`]: added), and the
    /// prints of `text`. `None` when that cannot be told this way: another
    /// header or layout, fewer entries (one was removed), or a changed entry
    /// the fast reader does not take. The caller reads the whole text then.
    pub(crate) fn changes(&self, text: &str) -> Option<(Prints, Vec<(usize, RawEntry)>)> {
        let (head, blocks) = blocks(text)?;
        if hash(head) != self.header || blocks.len() < self.entries.len() {
            return None;
        }
        let entries: Vec<u64> = blocks.par_iter().map(|b| hash(b)).collect();
        let mut changed = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            if self.entries.get(i) == Some(&entries[i]) {
                continue;
            }
            let mut one = parse_fast(&format!("subscribers:\n{block}"))?;
            if one.len() != 1 {
                return None;
            }
            changed.push((i, one.pop()?));
        }
        Some((
            Prints {
                header: self.header,
                entries,
            },
            changed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse, tests::sample, write};
    use super::*;

    fn prints(text: &str) -> Prints {
        Prints::of(text, parse(text).unwrap().len()).unwrap()
    }

    #[test]
    fn unchanged_text_has_no_changes() {
        let text = write(&sample());
        let (after, changed) = prints(&text).changes(&text).unwrap();
        assert!(changed.is_empty());
        assert_eq!(after, prints(&text));
    }

    #[test]
    fn a_changed_and_an_added_entry_are_found_and_read() {
        let mut list = sample();
        let before = prints(&write(&list));
        list[1].name = Some("Changed Name".into());
        let mut added = list[0].clone();
        added.email = "new@example.org".into();
        list.push(added);
        let text = write(&list);
        let (after, changed) = before.changes(&text).unwrap();
        let got: Vec<(usize, String, Option<String>)> = changed
            .into_iter()
            .map(|(i, e)| (i, e.email, e.name))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, list[1].email.clone(), Some("Changed Name".into())),
                (list.len() - 1, "new@example.org".into(), list[0].name.clone()),
            ]
        );
        assert_eq!(after, prints(&text));
    }

    #[test]
    fn removed_entries_another_header_or_layout_mean_read_it_all() {
        let list = sample();
        let before = prints(&write(&list));
        assert!(before.changes(&write(&list[1..])).is_none());
        let text = write(&list);
        assert!(before.changes(&format!("# edited\n{text}")).is_none());
        // A hand edit in another layout: the fast reader declines the block.
        let odd = text.replacen("  - email: \"", "  - {email: \"", 1);
        assert!(before.changes(&odd).is_none());
        // Nor are prints made for text the fast reader does not take.
        let yaml = "subscribers:\n- email: a@example.org\n";
        assert!(Prints::of(yaml, 1).is_none());
    }

    #[test]
    fn an_empty_list_has_prints_and_growing_it_reads_it_all() {
        let empty = write(&[]);
        let before = prints(&empty);
        assert!(before.is_empty());
        assert!(before.changes(&write(&sample())).is_none());
    }
}
