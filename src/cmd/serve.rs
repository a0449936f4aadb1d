//! `postbode serve`: the one-click unsubscribe and sign-up endpoint
//! (the server itself is [`crate::serve`]).

use std::process::ExitCode;

use anyhow::{anyhow, Result};

use super::Output;
use crate::cli::ServeArgs;
use crate::config::{parse_listen, Config};

pub fn run(config: &Config, args: &ServeArgs, out: &Output) -> Result<ExitCode> {
    let listen = match &args.listen {
        Some(value) => parse_listen(value).map_err(|e| anyhow!("`--listen`: {e}"))?,
        None => parse_listen(&config.serve.listen).map_err(|e| anyhow!("`serve.listen`: {e}"))?,
    };
    crate::serve::run(config, listen, *out)?;
    Ok(ExitCode::SUCCESS)
}
