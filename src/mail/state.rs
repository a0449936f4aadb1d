//! Editions on disk, under `delivery.state_dir`.
//!
//! ```text
//! state/lock                          held by a running `send` or `run`
//! state/editions/<id>/edition.json    what the edition is: window, posts, variants
//! state/editions/<id>/variant-N.html  rendered content, per category choice,
//! state/editions/<id>/variant-N.txt   with holes for the personal parts
//! state/editions/<id>/recipients.jsonl who gets it, fixed when it starts
//! state/editions/<id>/journal.log     the outcome per recipient (see journal)
//! state/editions/<id>/closed.json     written once every recipient has one
//! ```
//!
//! An edition folder appears whole or not at all: it is written under a
//! temporary name, synced and renamed. So a resumed delivery always finds
//! the content and the recipient list the first attempt used.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use super::compose::Recipient;

/// The state folder.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

/// Held while a delivery runs; released on drop (or when the process dies).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

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
    pub fn new(root: &Path) -> StateDir {
        StateDir {
            root: root.to_owned(),
        }
    }

    fn editions(&self) -> PathBuf {
        self.root.join("editions")
    }

    /// Takes the delivery lock, or says who holds it.
    pub fn lock(&self) -> Result<Lock> {
        fs::create_dir_all(&self.root)
            .with_context(|| format!("cannot create the state folder `{}`", self.root.display()))?;
        match pid_lock(&self.root.join("lock"))? {
            Ok(file) => Ok(Lock { _file: file }),
            Err(holder) => bail!(
                "another delivery is running on `{}` ({holder}); wait for it to finish",
                self.root.display()
            ),
        }
    }

    /// Every stored edition, oldest window first.
    pub fn all(&self) -> Result<Vec<Stored>> {
        let dir = self.editions();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", dir.display())),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry?;
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
        fs::create_dir_all(&editions)
            .with_context(|| format!("cannot create `{}`", editions.display()))?;
        let dir = editions.join(&p.meta.id);
        if dir.exists() {
            bail!(
                "edition `{}` is already in `{}`",
                p.meta.id,
                editions.display()
            );
        }
        let tmp = editions.join(format!(".tmp-{}-{}", p.meta.id, std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir(&tmp).with_context(|| format!("cannot create `{}`", tmp.display()))?;
        write_synced(
            &tmp.join("edition.json"),
            &serde_json::to_vec_pretty(&p.meta)?,
        )?;
        for (i, (html, text)) in p.bodies.iter().enumerate() {
            write_synced(&tmp.join(format!("variant-{i}.html")), html.as_bytes())?;
            write_synced(&tmp.join(format!("variant-{i}.txt")), text.as_bytes())?;
        }
        {
            let path = tmp.join("recipients.jsonl");
            let file = File::create(&path)?;
            let mut w = BufWriter::new(file);
            for (r, variant) in p.recipients {
                let line = RecipientLine {
                    email: r.email.clone(),
                    name: r.name.clone(),
                    token: r.token.clone(),
                    categories: r.categories.clone(),
                    variant: *variant,
                };
                serde_json::to_writer(&mut w, &line)?;
                w.write_all(b"\n")?;
            }
            let file = w
                .into_inner()
                .map_err(|e| anyhow!("cannot write `{}`: {e}", path.display()))?;
            file.sync_all()?;
        }
        sync_dir(&tmp)?;
        fs::rename(&tmp, &dir)
            .with_context(|| format!("cannot move the edition into `{}`", dir.display()))?;
        sync_dir(&editions)?;
        Stored::open(&dir)
    }
}

impl Stored {
    fn open(dir: &Path) -> Result<Stored> {
        let meta_path = dir.join("edition.json");
        let meta: Meta = serde_json::from_slice(
            &fs::read(&meta_path)
                .with_context(|| format!("cannot read `{}`", meta_path.display()))?,
        )
        .with_context(|| format!("`{}` is damaged", meta_path.display()))?;
        let closed_path = dir.join("closed.json");
        let closed = match fs::read(&closed_path) {
            Ok(b) => Some(
                serde_json::from_slice(&b)
                    .with_context(|| format!("`{}` is damaged", closed_path.display()))?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read `{}`", closed_path.display()))
            }
        };
        Ok(Stored {
            dir: dir.to_owned(),
            meta,
            closed,
        })
    }

    pub fn journal_path(&self) -> PathBuf {
        self.dir.join("journal.log")
    }

    /// The stored HTML and text (with holes) of variant `i`.
    pub fn body(&self, i: usize) -> Result<(String, String)> {
        let read = |ext: &str| {
            let p = self.dir.join(format!("variant-{i}.{ext}"));
            fs::read_to_string(&p).with_context(|| format!("cannot read `{}`", p.display()))
        };
        Ok((read("html")?, read("txt")?))
    }

    /// The recipients fixed when the edition started, with their variant.
    pub fn recipients(&self) -> Result<Vec<(Recipient, usize)>> {
        let path = self.dir.join("recipients.jsonl");
        let file =
            File::open(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        let mut out = Vec::new();
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let r: RecipientLine = serde_json::from_str(&line)
                .with_context(|| format!("`{}` line {} is damaged", path.display(), n + 1))?;
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
        write_synced(
            &self.dir.join("closed.json"),
            &serde_json::to_vec_pretty(&closed)?,
        )?;
        sync_dir(&self.dir)?;
        self.closed = Some(closed);
        Ok(())
    }
}

/// Locks `path` (created if needed) for as long as the returned file is
/// open, and writes this process's id into it; the lock dies with the
/// process. `Ok(Err(holder))` says who holds it instead.
pub fn pid_lock(path: &Path) -> Result<std::result::Result<File, String>> {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open `{}`", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = fs::read_to_string(path).unwrap_or_default();
            let holder = holder.trim();
            return Ok(Err(if holder.is_empty() {
                "process unknown".to_owned()
            } else {
                holder.to_owned()
            }));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock `{}`", path.display()))
        }
    }
    file.set_len(0)?;
    write!(file, "pid {}", std::process::id())?;
    Ok(Ok(file))
}

/// Writes `bytes` to `path` through a temporary file, synced, then renamed.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = File::create(&tmp).with_context(|| format!("cannot create `{}`", tmp.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("cannot write `{}`", tmp.display()))?;
    f.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync `{}`", dir.display()))
}
