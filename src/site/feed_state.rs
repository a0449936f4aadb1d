//! What postbode remembers about each feed between runs, in the state
//! folder: the HTTP validators (`ETag`, `Last-Modified`) for conditional
//! requests, the last copy that parsed (used when the feed is down), and
//! when each undated entry was first seen (its date from then on).
//!
//! One folder per feed under `<state_dir>/feeds/`, named after the feed.
//! Files are replaced whole (written aside, then renamed), so a crash
//! leaves the previous copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// The HTTP validators of the last good copy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Meta {
    source: String,
    #[serde(default)]
    validators: Validators,
}

/// The remembered state of one feed.
#[derive(Debug, Clone)]
pub struct FeedState {
    dir: PathBuf,
    source: String,
}

impl FeedState {
    /// The state of the feed at `source` (its URL or file path).
    pub fn new(state_dir: &Path, source: &str) -> FeedState {
        FeedState {
            dir: state_dir.join("feeds").join(folder_name(source)),
            source: source.to_owned(),
        }
    }

    /// The last good copy and its validators, if there is one.
    pub fn cached(&self) -> Option<(Validators, Vec<u8>)> {
        let body = std::fs::read(self.dir.join("last-good")).ok()?;
        let meta: Meta = std::fs::read(self.dir.join("meta.json"))
            .ok()
            .and_then(|m| serde_json::from_slice(&m).ok())
            .unwrap_or_default();
        Some((meta.validators, body))
    }

    /// Keeps `body` as the last good copy, with its validators.
    pub fn store(&self, validators: &Validators, body: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        write_atomic(&self.dir.join("last-good"), body)?;
        let meta = Meta {
            source: self.source.clone(),
            validators: validators.clone(),
        };
        let json = serde_json::to_vec_pretty(&meta).map_err(std::io::Error::other)?;
        write_atomic(&self.dir.join("meta.json"), &json)
    }

    /// When each undated entry (by id) was first seen.
    pub fn first_seen(&self) -> BTreeMap<String, DateTime<FixedOffset>> {
        std::fs::read(self.dir.join("first-seen.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    pub fn store_first_seen(
        &self,
        seen: &BTreeMap<String, DateTime<FixedOffset>>,
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let json = serde_json::to_vec_pretty(seen).map_err(std::io::Error::other)?;
        write_atomic(&self.dir.join("first-seen.json"), &json)
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// A readable, collision-free folder name: the feed's host and path cut
/// to letters and digits, plus a hash of the whole source.
fn folder_name(source: &str) -> String {
    // FNV-1a: stable across runs and platforms, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in source.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let readable: String = source
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(48)
        .collect();
    format!("{}-{hash:016x}", readable.trim_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_distinct() {
        let a = folder_name("https://example.org/feed.xml");
        assert!(a.starts_with("example-org-feed-xml-"), "{a}");
        assert_ne!(a, folder_name("https://example.org/feed.xml?x"));
        assert_eq!(a, folder_name("https://example.org/feed.xml"));
    }
}
