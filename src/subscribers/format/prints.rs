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
use super::write::{entry, write_marked};
use super::RawEntry;
use crate::subscribers::Subscriber;

/// What a text of the list was: its header and each entry's block, hashed,
/// and where each block starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prints {
    header: u64,
    entries: Vec<u64>,
    starts: Vec<usize>,
    /// The text's length.
    end: usize,
}

fn hash(block: &[u8]) -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    KEYS.get_or_init(RandomState::new).hash_one(block)
}

/// The header (through the `subscribers:` line) and each entry's lines,
/// from one `  - ` line to the next, by where they start; `None` in any
/// other layout.
fn blocks(text: &str) -> Option<(usize, Vec<usize>)> {
    let (start, _, closed) = header(text)??;
    let body = &text[start..];
    if closed || body.is_empty() {
        return body.is_empty().then(|| (start, Vec::new()));
    }
    if !body.starts_with("  - ") {
        return None;
    }
    let mut starts = Vec::with_capacity(body.len() / 200);
    starts.push(start);
    starts.extend(body.match_indices("\n  - ").map(|(at, _)| start + at + 1));
    Some((start, starts))
}

impl Prints {
    /// The prints of `text`, when it is in postbode's layout and the fast
    /// reader read `entries` from it.
    pub(crate) fn of(text: &str, entries: usize) -> Option<Prints> {
        let (head, starts) = blocks(text)?;
        (starts.len() == entries).then(|| Prints::hashed(text, head, starts))
    }

    fn hashed(text: &str, head: usize, starts: Vec<usize>) -> Prints {
        let end = text.len();
        let entries = (0..starts.len())
            .into_par_iter()
            .map(|i| hash(&text.as_bytes()[starts[i]..starts.get(i + 1).copied().unwrap_or(end)]))
            .collect();
        Prints {
            header: hash(&text.as_bytes()[..head]),
            entries,
            starts,
            end,
        }
    }

    /// How many entries the text had.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where entry `i`'s block is in the text.
    fn block(&self, i: usize) -> std::ops::Range<usize> {
        self.starts[i]..self.starts.get(i + 1).copied().unwrap_or(self.end)
    }

    /// The entries of `text` that differ from the text these prints are
    /// of, with their positions (at or past [`Prints::len`]: added), and the
    /// prints of `text`. `None` when that cannot be told this way: another
    /// header or layout, fewer entries (one was removed), or a changed entry
    /// the fast reader does not take. The caller reads the whole text then.
    pub(crate) fn changes(&self, text: &str) -> Option<(Prints, Vec<(usize, RawEntry)>)> {
        let (head, starts) = blocks(text)?;
        if starts.len() < self.entries.len() || hash(&text.as_bytes()[..head]) != self.header {
            return None;
        }
        let after = Prints::hashed(text, head, starts);
        let mut changed = Vec::new();
        for (i, h) in after.entries.iter().enumerate() {
            if self.entries.get(i) == Some(h) {
                continue;
            }
            let mut one = parse_fast(&format!("subscribers:\n{}", &text[after.block(i)]))?;
            if one.len() != 1 {
                return None;
            }
            changed.push((i, one.pop()?));
        }
        Some((after, changed))
    }

    /// Positions of the entries whose blocks differ between these prints
    /// and `after` (both of lists of at least `self.len()` entries), or
    /// `None` when `after` has fewer entries or another header.
    pub(crate) fn differ(&self, after: &Prints) -> Option<Vec<usize>> {
        if after.len() < self.len() || after.header != self.header {
            return None;
        }
        Some(
            (0..after.len())
                .filter(|&i| self.entries.get(i) != Some(&after.entries[i]))
                .collect(),
        )
    }
}

/// The file for `list`, and its prints.
pub(crate) fn write_printed(list: &[Subscriber]) -> (String, Prints) {
    let mut starts = Vec::with_capacity(list.len());
    let text = write_marked(list, |at| starts.push(at));
    let head = starts.first().copied().unwrap_or(text.len());
    let prints = Prints::hashed(&text, head, starts);
    (text, prints)
}

/// Kept entries are copied from the old file in runs of about this size.
const RUN_BYTES: usize = 1 << 20;

/// Writes to `out` the file for `list`, made from `file` (of which `prints`
/// are the prints) by writing anew only the entries at `changed` (sorted)
/// and those past the file's end, and copying the others' lines: the same
/// text [`write_printed`] gives when the file is in postbode's layout, and
/// what the entries' owner wrote by hand otherwise. The file is read in
/// runs through one small buffer, so that a change of one entry of a long
/// list costs no copy of the list in memory. `Ok(None)` when the file is
/// not the one `prints` are of (each copied block is checked against its
/// print), or the list is shorter: write the whole list then.
pub(crate) fn splice(
    file: &std::fs::File,
    prints: &Prints,
    list: &[Subscriber],
    changed: &[usize],
    out: &mut impl std::io::Write,
) -> std::io::Result<Option<Prints>> {
    use std::os::unix::fs::FileExt;
    if prints.is_empty() || list.len() < prints.len() || file.metadata()?.len() != prints.end as u64
    {
        return Ok(None);
    }
    let kept = |i: usize| i < prints.len() && changed.binary_search(&i).is_err();
    let mut buf = vec![0u8; prints.starts[0]];
    file.read_exact_at(&mut buf, 0)?;
    if hash(&buf) != prints.header {
        return Ok(None);
    }
    out.write_all(&buf)?;
    let mut at = buf.len();
    let mut starts = Vec::with_capacity(list.len());
    let mut entries = Vec::with_capacity(list.len());
    let mut one = String::new();
    let mut i = 0;
    while i < list.len() {
        if kept(i) {
            // A run of kept blocks, read and checked at once.
            let from = prints.starts[i];
            let mut j = i + 1;
            while j < prints.len() && kept(j) && prints.block(j).end - from <= RUN_BYTES {
                j += 1;
            }
            buf.resize(prints.block(j - 1).end - from, 0);
            file.read_exact_at(&mut buf, from as u64)?;
            for k in i..j {
                let block = prints.block(k);
                if hash(&buf[block.start - from..block.end - from]) != prints.entries[k] {
                    return Ok(None);
                }
                starts.push(at + block.start - from);
                entries.push(prints.entries[k]);
            }
            out.write_all(&buf)?;
            at += buf.len();
            i = j;
        } else {
            one.clear();
            entry(&mut one, &list[i]);
            starts.push(at);
            entries.push(hash(one.as_bytes()));
            out.write_all(one.as_bytes())?;
            at += one.len();
            i += 1;
        }
    }
    Ok(Some(Prints {
        header: prints.header,
        entries,
        starts,
        end: at,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::{parse, tests::sample, write};
    use super::*;
    use crate::subscribers::Status;

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
                (
                    list.len() - 1,
                    "new@example.org".into(),
                    list[0].name.clone()
                ),
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

    #[test]
    fn written_prints_are_the_prints_of_the_text() {
        let (text, printed) = write_printed(&sample());
        assert_eq!(text, write(&sample()));
        assert_eq!(printed, prints(&text));
        let (empty, printed) = write_printed(&[]);
        assert_eq!(printed, prints(&empty));
    }

    #[test]
    fn splicing_gives_the_text_of_the_whole_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.yaml");
        let spliced = |text: &str, prints: &Prints, list: &[Subscriber], changed: &[usize]| {
            std::fs::write(&path, text).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            let mut out = Vec::new();
            splice(&file, prints, list, changed, &mut out)
                .unwrap()
                .map(|p| (String::from_utf8(out).unwrap(), p))
        };
        // Enough entries for several runs of copied blocks.
        let mut list: Vec<Subscriber> = (0..12_000)
            .map(|i| {
                let mut s = sample()[i % 4].clone();
                s.email = format!("reader{i}@example.org");
                s.token = format!("{i:032x}");
                s
            })
            .collect();
        let (text, before) = write_printed(&list);
        assert!(text.len() > 2 * RUN_BYTES);
        list[2].status = Status::Active;
        list[2].bounces = 0;
        list[11_998].name = None;
        let mut added = list[0].clone();
        added.email = "new@example.org".into();
        list.push(added);
        let (out, after) = spliced(&text, &before, &list, &[2, 11_998]).unwrap();
        assert_eq!(out, write(&list));
        assert_eq!(after, prints(&out));
        assert_eq!(before.differ(&after), Some(vec![2, 11_998, 12_000]));

        // A file that is not the one the prints are of is not spliced,
        // wherever it differs.
        for (from, to) in [("reader1@", "readerX@"), ("reader10000@", "readerY@")] {
            let edited = text.replacen(from, to, 1);
            assert!(spliced(&edited, &before, &list, &[2]).is_none(), "{to}");
        }
        assert!(spliced(&text, &before, &list[..2], &[]).is_none());
    }
}
