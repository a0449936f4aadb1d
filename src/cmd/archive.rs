//! `postbode archive`: every delivered edition into the site's web archive.

use std::process::ExitCode;

use anyhow::Result;

use super::Output;
use crate::cli::ArchiveArgs;
use crate::config::Config;
use crate::site::SiteSettings;

pub fn run(config: &Config, _args: &ArchiveArgs, out: &Output) -> Result<ExitCode> {
    let site = SiteSettings::resolve(config)?;
    let written = crate::archive::write_all(config, &site)?;
    out.info(format!(
        "wrote {} editions, `{}` and `{}` into `{}`",
        written.editions,
        crate::archive::INDEX,
        crate::archive::FEED,
        written.dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}
