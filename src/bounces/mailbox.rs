//! Local mailboxes: a Maildir (read from `new/` and `cur/`; handled messages
//! move to the Maildir++ folder `.processed`, into its `cur/` with the seen
//! flag) and an mbox file (only read: a mail server may be appending to it,
//! so postbode never rewrites it; the bounce record remembers what it
//! handled, so reading it again counts nothing twice).

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::apply::{Classified, MessageName};
use super::classify::classify;
use super::record::message_hash;
use super::BounceError;

/// The Maildir++ folder handled messages go to.
pub const PROCESSED: &str = ".processed";

/// A message that could not be read, with the reason.
pub type Unreadable = (MessageName, String);

/// Reads and classifies every message of a Maildir, in name order.
pub fn read_maildir(dir: &Path) -> Result<(Vec<Classified>, Vec<Unreadable>), BounceError> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for sub in ["new", "cur"] {
        let folder = dir.join(sub);
        let entries = fs::read_dir(&folder).map_err(|source| BounceError::Mailbox {
            path: folder.display().to_string(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| BounceError::Mailbox {
                path: folder.display().to_string(),
                source,
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // Dot files are not messages (Maildir writers and backups leave them).
            if !name.starts_with('.') && entry.file_type().is_ok_and(|t| t.is_file()) {
                files.push((name, entry.path()));
            }
        }
    }
    files.sort();
    let results: Vec<Result<Classified, Unreadable>> = files
        .into_par_iter()
        .map(|(name, path)| {
            let bytes = fs::read(&path).map_err(|e| {
                (
                    MessageName::File(name.clone()),
                    format!("cannot read `{}`: {e}", path.display()),
                )
            })?;
            Ok(Classified {
                report: classify(&bytes),
                hash: message_hash(&bytes),
                name: MessageName::File(name),
            })
        })
        .collect();
    Ok(split(results))
}

fn split<T, E>(results: Vec<Result<T, E>>) -> (Vec<T>, Vec<E>) {
    let mut ok = Vec::with_capacity(results.len());
    let mut bad = Vec::new();
    for r in results {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => bad.push(e),
        }
    }
    (ok, bad)
}

/// Moves handled messages of a Maildir into `.processed/cur/`, seen. A
/// message that is no longer there (another reader took it) is skipped.
pub fn move_maildir(dir: &Path, names: &[&str]) -> Result<usize, BounceError> {
    let target = dir.join(PROCESSED);
    for sub in ["cur", "new", "tmp"] {
        let folder = target.join(sub);
        fs::create_dir_all(&folder).map_err(|source| BounceError::Mailbox {
            path: folder.display().to_string(),
            source,
        })?;
    }
    let mut moved = 0;
    for name in names {
        let Some(from) = ["new", "cur"]
            .iter()
            .map(|sub| dir.join(sub).join(name))
            .find(|p| p.exists())
        else {
            continue;
        };
        let to = target.join("cur").join(seen_name(name));
        fs::rename(&from, &to).map_err(|source| BounceError::Move {
            name: name.to_string(),
            to: target.join("cur").display().to_string(),
            source,
        })?;
        moved += 1;
    }
    Ok(moved)
}

/// The Maildir name with the `S` (seen) flag added to its info.
fn seen_name(name: &str) -> String {
    match name.split_once(":2,") {
        Some((base, flags)) => {
            let mut flags: Vec<char> = flags.chars().filter(|c| *c != 'S').collect();
            flags.push('S');
            flags.sort_unstable();
            format!("{base}:2,{}", flags.into_iter().collect::<String>())
        }
        None => format!("{}:2,S", name.split(':').next().unwrap_or(name)),
    }
}

/// Reads and classifies every message of an mbox file; each is named by its
/// position (1, 2, …).
pub fn read_mbox(path: &Path) -> Result<(Vec<Classified>, Vec<Unreadable>), BounceError> {
    let bytes = fs::read(path).map_err(|source| BounceError::Mailbox {
        path: path.display().to_string(),
        source,
    })?;
    let messages = split_mbox(&bytes);
    let classified = messages
        .into_par_iter()
        .enumerate()
        .map(|(i, m)| {
            let body = unescape_from(m);
            Classified {
                report: classify(&body),
                hash: message_hash(&body),
                name: MessageName::File((i + 1).to_string()),
            }
        })
        .collect();
    Ok((classified, Vec::new()))
}

/// The messages of an mbox, without their `From ` separator lines. A
/// separator is a `From ` line at the start of the file or after an empty
/// line (mboxrd/mboxo); mail-parser's reader is not used because it keeps
/// no positions.
fn split_mbox(bytes: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut prev_blank = true;
    let mut pos = 0;
    while pos < bytes.len() {
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| pos + i + 1);
        let line = &bytes[pos..end];
        if prev_blank && line.starts_with(b"From ") {
            starts.push((pos, end));
        }
        prev_blank = line == b"\n" || line == b"\r\n";
        pos = end;
    }
    let mut messages = Vec::with_capacity(starts.len());
    for (n, &(_, body_start)) in starts.iter().enumerate() {
        let body_end = starts.get(n + 1).map_or(bytes.len(), |&(s, _)| s);
        messages.push(&bytes[body_start..body_end]);
    }
    if starts.is_empty() && !bytes.is_empty() {
        // A single message without a separator line.
        messages.push(bytes);
    }
    messages
}

/// `>From ` quoting undone (mboxrd: one `>` less on `>…>From ` lines).
fn unescape_from(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len());
    for line in message.split_inclusive(|&b| b == b'\n') {
        let quotes = line.iter().take_while(|&&b| b == b'>').count();
        if quotes > 0 && line[quotes..].starts_with(b"From ") {
            out.extend_from_slice(&line[1..]);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_flag_is_added_once() {
        assert_eq!(seen_name("123.abc.host"), "123.abc.host:2,S");
        assert_eq!(seen_name("123.abc.host:2,FR"), "123.abc.host:2,FRS");
        assert_eq!(seen_name("123.abc.host:2,S"), "123.abc.host:2,S");
    }

    #[test]
    fn mbox_is_split_at_from_lines_after_blank_lines() {
        let mbox = b"From a@b Mon Jan  1 00:00:00 2026\nSubject: one\n\nbody\nFrom here on\n>From quoted\n\nFrom c@d Mon Jan  1 00:00:00 2026\nSubject: two\n\nbody\n";
        let parts = split_mbox(mbox);
        assert_eq!(parts.len(), 2);
        let first = unescape_from(parts[0]);
        assert!(first.starts_with(b"Subject: one"));
        assert!(String::from_utf8_lossy(&first).contains("\nFrom here on\nFrom quoted\n"));
        assert!(parts[1].starts_with(b"Subject: two"));
    }
}
