//! Stored editions: what an edition is, its rendered content and its
//! recipients, written before the first message goes out (file names in
//! [`super`]).
//!
//! An edition folder appears whole or not at all: it is written under a
//! temporary name, synced and renamed. So a resumed delivery always finds
//! the content and the recipient list the first attempt used.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use super::files::{damaged, io_error, read_optional, sync_dir, write_synced};
use super::{names, Result, StateDir, StateError};
use crate::subscribers::Recipient;

/// A category choice's rendered content, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Variant {
    /// The category choice (empty: all).
    pub categories: Vec<String>,
    pub subject: String,
    /// Posts it shows.
    pub count: usize,
}

/// `edition.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub id: String,
    pub since: DateTime<FixedOffset>,
    pub until: DateTime<FixedOffset>,
    pub created_at: DateTime<Utc>,
    pub recipients: usize,
    pub variants: Vec<Variant>,
    /// The edition as `preview --json` writes it.
    pub edition: serde_json::Value,
    /// The editor's note the edition opens with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<StoredNote>,
}

/// The editor's note as sent: its file (moved aside once the edition is
/// delivered) and its Markdown (for the web archive).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredNote {
    pub file: PathBuf,
    pub markdown: String,
}

/// `closed.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Closed {
    pub closed_at: DateTime<Utc>,
    pub delivered: usize,
    pub failed: usize,
}

/// One line of `recipients.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RecipientLine {
    email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    token: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    categories: Vec<String>,
    variant: usize,
}

/// An edition that has been prepared on disk.
#[derive(Debug, Clone)]
pub struct Stored {
    pub dir: PathBuf,
    pub meta: Meta,
    pub closed: Option<Closed>,
}

/// What a new edition is made of.
pub struct Prepare<'a> {
    pub meta: Meta,
    /// Per variant: the HTML and text with holes.
    pub bodies: Vec<(String, String)>,
    /// Each recipient with the index of their variant.
    pub recipients: &'a [(Recipient, usize)],
}

impl StateDir {
    fn editions(&self) -> PathBuf {
        self.root.join(names::EDITIONS)
    }

    /// Every stored edition, oldest window first.
    pub fn all(&self) -> Result<Vec<Stored>> {
        let dir = self.editions();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("read", &dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("read", &dir))?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            out.push(Stored::open(&entry.path())?);
        }
        out.sort_by_key(|s| (s.meta.until, s.meta.since));
        Ok(out)
    }

    /// The edition still being delivered, if any.
    pub fn unfinished(&self) -> Result<Option<Stored>> {
        Ok(self.all()?.into_iter().find(|s| s.closed.is_none()))
    }

    /// The delivered edition whose window ends last.
    pub fn last_closed(&self) -> Result<Option<Stored>> {
        Ok(self.all()?.into_iter().rfind(|s| s.closed.is_some()))
    }

    /// Writes a new edition folder, whole or not at all.
    pub fn prepare(&self, p: &Prepare<'_>) -> Result<Stored> {
        let editions = self.editions();
        fs::create_dir_all(&editions).map_err(io_error("create", &editions))?;
        let dir = editions.join(&p.meta.id);
        if dir.exists() {
            return Err(StateError::EditionExists {
                id: p.meta.id.clone(),
                dir: editions,
            });
        }
        let tmp = editions.join(format!(".tmp-{}-{}", p.meta.id, std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir(&tmp).map_err(io_error("create", &tmp))?;
        write_synced(&tmp.join(names::EDITION), &to_json(&p.meta))?;
        for (i, (html, text)) in p.bodies.iter().enumerate() {
            write_synced(&tmp.join(names::variant(i, "html")), html.as_bytes())?;
            write_synced(&tmp.join(names::variant(i, "txt")), text.as_bytes())?;
        }
        {
            let path = tmp.join(names::RECIPIENTS);
            let file = File::create(&path).map_err(io_error("create", &path))?;
            let mut w = BufWriter::new(file);
            for (r, variant) in p.recipients {
                let line = RecipientLine {
                    email: r.email.clone(),
                    name: r.name.clone(),
                    token: r.token.clone(),
                    categories: r.categories.clone(),
                    variant: *variant,
                };
                serde_json::to_writer(&mut w, &line)
                    .map_err(|e| io_error("write", &path)(e.into()))?;
                w.write_all(b"\n").map_err(io_error("write", &path))?;
            }
            let file = w
                .into_inner()
                .map_err(|e| io_error("write", &path)(e.into_error()))?;
            file.sync_all().map_err(io_error("sync", &path))?;
        }
        sync_dir(&tmp)?;
        fs::rename(&tmp, &dir).map_err(io_error("move the edition into", &dir))?;
        sync_dir(&editions)?;
        Stored::open(&dir)
    }
}

impl Stored {
    fn open(dir: &Path) -> Result<Stored> {
        let meta_path = dir.join(names::EDITION);
        let bytes = fs::read(&meta_path).map_err(io_error("read", &meta_path))?;
        let meta: Meta = serde_json::from_slice(&bytes).map_err(damaged(&meta_path))?;
        let closed_path = dir.join(names::CLOSED);
        let closed = match read_optional(&closed_path)? {
            Some(b) => Some(serde_json::from_slice(&b).map_err(damaged(&closed_path))?),
            None => None,
        };
        Ok(Stored {
            dir: dir.to_owned(),
            meta,
            closed,
        })
    }

    pub fn journal_path(&self) -> PathBuf {
        self.dir.join(names::JOURNAL)
    }

    /// The stored HTML and text (with holes) of variant `i`.
    pub fn body(&self, i: usize) -> Result<(String, String)> {
        let read = |ext: &str| {
            let p = self.dir.join(names::variant(i, ext));
            fs::read_to_string(&p).map_err(io_error("read", &p))
        };
        Ok((read("html")?, read("txt")?))
    }

    /// The recipients fixed when the edition started, with their variant.
    pub fn recipients(&self) -> Result<Vec<(Recipient, usize)>> {
        let path = self.dir.join(names::RECIPIENTS);
        let file = File::open(&path).map_err(io_error("read", &path))?;
        let mut out = Vec::new();
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(io_error("read", &path))?;
            if line.trim().is_empty() {
                continue;
            }
            let r: RecipientLine =
                serde_json::from_str(&line).map_err(|e| StateError::Damaged {
                    path: path.clone(),
                    line: Some(n + 1),
                    source: e,
                })?;
            out.push((
                Recipient {
                    email: r.email,
                    name: r.name,
                    token: r.token,
                    categories: r.categories,
                },
                r.variant,
            ));
        }
        Ok(out)
    }

    /// Marks the edition delivered: every recipient has an outcome.
    pub fn close(&mut self, closed: Closed) -> Result<()> {
        write_synced(&self.dir.join(names::CLOSED), &to_json(&closed))?;
        sync_dir(&self.dir)?;
        self.closed = Some(closed);
        Ok(())
    }
}

/// Pretty JSON of plain data, which cannot fail to serialize.
fn to_json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap_or_default()
}
