//! `postbode subscribers pause` and `resume`, and the check every command
//! that takes digest names from a user makes against the config.

use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use chrono::NaiveDate;

use super::Output;
use crate::cli::{EmailArg, PauseArgs};
use crate::config::Config;
use crate::subscribers::{Address, Store};

/// `names` without repeats, each a digest of `config`; else an error naming
/// the unknown one and the ones there are.
pub fn known_digests(config: &Config, names: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for name in names.iter().map(|n| n.trim()) {
        if !config.has_digest(name) {
            bail!(unknown(config, name));
        }
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    }
    Ok(out)
}

/// ``unknown digest `x`; the digests are `daily`, `weekly` ``.
pub fn unknown(config: &Config, name: &str) -> String {
    let names: Vec<String> = config
        .digests()
        .iter()
        .map(|d| format!("`{}`", d.name))
        .collect();
    format!(
        "unknown digest `{name}`; the digests are {}",
        names.join(", ")
    )
}

pub fn pause(store: &Store, args: &PauseArgs, out: &Output) -> Result<ExitCode> {
    let until = NaiveDate::parse_from_str(args.until.trim(), "%Y-%m-%d").map_err(|_| {
        anyhow!(
            "`--until`: `{}` is not a date like `2027-01-04`",
            args.until
        )
    })?;
    let address = Address::parse(&args.email)?;
    let (_, s) = store
        .change(&address.email, |s| s.paused_until = Some(until))?
        .ok_or_else(|| not_on_list(store, &address.email))?;
    out.done(format!("paused {}: no digest before {until}", s.email));
    Ok(ExitCode::SUCCESS)
}

pub fn resume(store: &Store, args: &EmailArg, out: &Output) -> Result<ExitCode> {
    let address = Address::parse(&args.email)?;
    let (was, s) = store
        .change(&address.email, |s| s.paused_until.take())?
        .ok_or_else(|| not_on_list(store, &address.email))?;
    match was {
        Some(until) => out.done(format!("resumed {} (was paused until {until})", s.email)),
        None => out.info(format!("`{}` was not paused; nothing changed", s.email)),
    }
    Ok(ExitCode::SUCCESS)
}

fn not_on_list(store: &Store, email: &str) -> anyhow::Error {
    anyhow!(
        "`{}` is not on the list `{}`",
        email.trim(),
        store.path().display()
    )
}
