//! Reading a YAML list for delivery one subscriber at a time, never holding
//! the whole list.
//!
//! A load holds the text, the entries as read and the subscribers at once:
//! for 100,000 entries, 22 MB of text and about 40 MB for each of the other
//! two. Delivery needs each subscriber once, so it reads the text in two
//! passes. The first checks the list as a load does, a piece at a time,
//! keeping only a hash of each address key and token to find repeats; the
//! second reads the entries again, a piece at a time, and hands them over.
//! What the first pass cannot vouch for (a layout only serde_yaml reads, a
//! fatal problem, a repeated address or token, a hash collision, a token
//! that must be saved first) goes the way of a whole load, which then says
//! what is wrong, or saves the tokens, exactly as before.

use std::hash::{BuildHasher, RandomState};

use rayon::prelude::*;

use super::format::{self, Piece};
use super::store::read;
use super::validate::{convert, entry_is_valid};
use super::{address, token_is_valid, StoreError, Subscriber, YamlStore};

impl YamlStore {
    /// Calls `f` with every subscriber in list order, the same subscribers
    /// [`YamlStore::load`] gives (with `save_tokens`,
    /// [`YamlStore::load_with_tokens`]), holding only a piece of them at a
    /// time. A list that cannot be used fails before `f` is called.
    pub fn for_each<E: From<StoreError>>(
        &self,
        save_tokens: bool,
        mut f: impl FnMut(Subscriber) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(text) = read(self.path())? else {
            return Ok(());
        };
        if let Some(pieces) = format::pieces(&text).filter(|p| vouched(p, save_tokens)) {
            let mut index = 0;
            for piece in pieces {
                // The first pass read this very text: the piece reads.
                for entry in piece.entries().unwrap_or_default() {
                    let (subscriber, _, _) = convert(index, entry);
                    index += 1;
                    f(subscriber)?;
                }
            }
            return Ok(());
        }
        drop(text);
        let list = if save_tokens {
            self.load_with_tokens()?
        } else {
            self.load()?
        };
        list.into_iter().try_for_each(f)
    }
}

/// The first pass: true when every piece reads, no entry has a fatal
/// problem, no two entries share an address key or a token (as far as
/// their hashes tell), and, with `save_tokens`, every token is saved.
fn vouched(pieces: &[Piece<'_>], save_tokens: bool) -> bool {
    let hasher = RandomState::new();
    let hashed: Option<Vec<(Vec<u64>, Vec<u64>)>> = pieces
        .par_iter()
        .map(|piece| {
            let raw = piece.entries()?;
            let saved = |t: &Option<String>| t.as_deref().is_some_and(|t| token_is_valid(t.trim()));
            if save_tokens && !raw.iter().all(|e| saved(&e.token)) {
                return None;
            }
            let mut key = String::new();
            let mut keys = Vec::with_capacity(raw.len());
            let mut tokens = Vec::with_capacity(raw.len());
            for entry in raw {
                let (s, _, problems) = convert(0, entry);
                if problems.iter().any(|p| p.fatal) || !entry_is_valid(&s) {
                    return None;
                }
                key.clear();
                address::key_into(&s.email, &mut key).ok()?;
                keys.push(hasher.hash_one(&key));
                tokens.push(hasher.hash_one(&s.token));
            }
            Some((keys, tokens))
        })
        .collect();
    let Some(hashed) = hashed else {
        return false;
    };
    let (mut keys, mut tokens): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
    for (k, t) in hashed {
        keys.extend(k);
        tokens.extend(t);
    }
    all_different(&mut keys) && all_different(&mut tokens)
}

/// True when no two hashes are equal (sorts them).
fn all_different(hashes: &mut [u64]) -> bool {
    hashes.sort_unstable();
    hashes.windows(2).all(|w| w[0] != w[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscribers::{Address, Status};
    use chrono::DateTime;

    fn list(n: usize) -> Vec<Subscriber> {
        let at = DateTime::parse_from_rfc3339("2026-11-16T08:00:00+01:00").unwrap();
        (0..n)
            .map(|i| {
                let email = format!("reader{i}@example.org");
                let mut s = Subscriber::new(
                    Address::parse(&email).unwrap(),
                    Some(format!("Reader {i}")),
                    vec![["nieuws", "tech"][i % 2].to_owned()],
                    at,
                );
                if i % 3 == 0 {
                    s.digests = vec!["daily".into()];
                }
                if i % 7 == 0 {
                    s.status = Status::Unsubscribed;
                }
                s
            })
            .collect()
    }

    fn streamed(store: &YamlStore, save_tokens: bool) -> Result<Vec<Subscriber>, StoreError> {
        let mut out = Vec::new();
        store.for_each(save_tokens, |s| {
            out.push(s);
            Ok::<_, StoreError>(())
        })?;
        Ok(out)
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> YamlStore {
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, text).unwrap();
        YamlStore::open(path)
    }

    #[test]
    fn a_big_list_streams_as_it_loads() {
        let dir = tempfile::tempdir().unwrap();
        let list = list(12_000);
        let text = format::write(&list);
        assert!(format::pieces(&text).unwrap().len() > 2, "several pieces");
        assert!(vouched(&format::pieces(&text).unwrap(), true));
        let store = write(&dir, &text);
        assert_eq!(streamed(&store, true).unwrap(), list);
        assert_eq!(streamed(&store, false).unwrap(), store.load().unwrap());
    }

    #[test]
    fn a_missing_list_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = YamlStore::open(dir.path().join("none.yaml"));
        assert_eq!(streamed(&store, true).unwrap(), []);
    }

    #[test]
    fn a_repeat_in_another_piece_fails_as_a_load_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut list = list(12_000);
        let mut twin = list[5].clone();
        twin.email = "READER5@example.org".into();
        twin.token = crate::subscribers::new_token();
        list.push(twin);
        let text = format::write(&list);
        assert!(!vouched(&format::pieces(&text).unwrap(), false));
        let store = write(&dir, &text);
        // A twin with another spelling of the local part is no error.
        assert_eq!(streamed(&store, false).unwrap().len(), 12_001);

        list.last_mut().unwrap().email = "reader5@EXAMPLE.org".into();
        let store = write(&dir, &format::write(&list));
        let mut called = 0;
        let err = store
            .for_each(false, |_| {
                called += 1;
                Ok::<_, StoreError>(())
            })
            .unwrap_err();
        assert_eq!(called, 0, "nothing is handed over from a bad list");
        assert_eq!(err.to_string(), store.load().unwrap_err().to_string());
        assert!(err.to_string().contains("is on the list twice"), "{err}");

        list.last_mut().unwrap().email = "new@example.org".into();
        list.last_mut().unwrap().token = list[0].token.clone();
        let store = write(&dir, &format::write(&list));
        let err = streamed(&store, false).unwrap_err().to_string();
        assert!(err.contains("has the same token as"), "{err}");
    }

    #[test]
    fn an_unsaved_token_is_saved_before_anything_is_handed_over() {
        let dir = tempfile::tempdir().unwrap();
        let store = write(
            &dir,
            "subscribers:\n  - email: \"ada@example.org\"\n  - email: \"bob@example.org\"\n    token: \"0123456789abcdef0123456789abcdef\"\n",
        );
        let first = streamed(&store, true).unwrap();
        assert_eq!(first, store.load().unwrap(), "the token is in the file");
        assert_eq!(streamed(&store, true).unwrap(), first);
    }

    #[test]
    fn a_hand_written_layout_and_a_bad_entry() {
        let dir = tempfile::tempdir().unwrap();
        let store = write(
            &dir,
            "subscribers:\n- email: ada@example.org\n  token: 0123456789abcdef0123456789abcdef\n",
        );
        assert_eq!(streamed(&store, true).unwrap(), store.load().unwrap());

        let store = write(
            &dir,
            "subscribers:\n  - email: \"ada@example.org\"\n  - email: \"bad\"\n",
        );
        let err = streamed(&store, false).unwrap_err().to_string();
        assert!(
            err.ends_with(":3: invalid address `bad`: it has no `@`"),
            "{err}"
        );
    }
}
