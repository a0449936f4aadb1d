//! `postbode subscribers dedupe` and `migrate`: upkeep of the list as a
//! whole, as opposed to changing one entry.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use super::Output;
use crate::cli::{DedupeArgs, MigrateArgs};
use crate::config::Config;
use crate::state::journal::{self, Outcome};
use crate::state::StateDir;
use crate::subscribers::{self, Store, StoreError};

pub fn dedupe(config: &Config, store: &Store, args: &DedupeArgs, out: &Output) -> Result<ExitCode> {
    let mailed = last_mailed(config)?;
    let rank = |email: &str| mailed.get(email).copied();
    let (merges, total) = if args.dry_run {
        let mut list = store.load()?;
        let merges = subscribers::dedupe(&mut list, rank);
        (merges, list.len())
    } else {
        store.update(|list| {
            let merges = subscribers::dedupe(list, rank);
            Ok::<_, StoreError>((merges, list.len()))
        })?
    };
    for m in &merges {
        let dropped: Vec<String> = m.dropped.iter().map(|e| format!("`{e}`")).collect();
        out.done(format!(
            "{} {} into `{}` ({})",
            if args.dry_run {
                "would merge"
            } else {
                "merged"
            },
            dropped.join(", "),
            m.kept.email,
            m.kept.status
        ));
    }
    let dry = if args.dry_run {
        " (dry run: the list was not changed)"
    } else {
        ""
    };
    if merges.is_empty() {
        out.info("no addresses that differ only in case: nothing to merge");
    } else {
        out.info(format!(
            "{} addresses merged; {total} subscribers left{dry}",
            merges.len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// For each address as spelled in the journals, the rank of the last
/// edition delivered to it (higher is later).
fn last_mailed(config: &Config) -> Result<HashMap<String, u64>> {
    let mut editions = Vec::new();
    for digest in config.digests() {
        editions.extend(StateDir::new(&digest.state_dir).all()?);
    }
    editions.sort_by_key(|s| s.meta.created_at);
    let mut mailed = HashMap::new();
    for (rank, edition) in (0u64..).zip(&editions) {
        let path = edition.journal_path();
        let outcomes = journal::read(&path)
            .with_context(|| format!("cannot read the journal `{}`", path.display()))?;
        for (email, outcome) in outcomes {
            if matches!(outcome, Outcome::Delivered(_)) {
                mailed.insert(email, rank);
            }
        }
    }
    Ok(mailed)
}

pub fn migrate(store: &Store, args: &MigrateArgs, out: &Output) -> Result<ExitCode> {
    let to = Store::open(&args.to);
    if args.to.exists() {
        bail!(
            "`{}` exists already; `migrate` writes a new list, so move it away first",
            args.to.display()
        );
    }
    let list = store.load()?;
    let count = list.len();
    to.update(|new| {
        *new = list;
        Ok::<_, StoreError>(())
    })?;
    out.done(format!(
        "copied {count} subscribers from `{}` to `{}`",
        store.path().display(),
        to.path().display()
    ));
    out.info(format!(
        "set `file = \"{}\"` under `[subscribers]` in the config to use it",
        args.to.display()
    ));
    Ok(ExitCode::SUCCESS)
}
