//! `postbode subscribers` (being built).
use std::process::ExitCode;

pub fn run(
    _c: &crate::config::Config,
    _cmd: &crate::cli::SubscribersCommand,
    _o: &super::Output,
) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`subscribers` is not built yet")
}
