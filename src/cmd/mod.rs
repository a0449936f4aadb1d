//! One module per command. Each takes the validated config and its own args.

pub mod archive;
pub mod bounces;
pub mod check;
pub mod digests;
pub mod init;
pub mod maintain;
pub mod pause;
pub mod posts;
pub mod preview;
pub mod run;
pub mod schedule;
pub mod send;
pub mod serve;
pub mod subscribers;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::config::Config;
pub use crate::output::Output;

/// Runs the command the user asked for.
pub fn run(cli: &Cli) -> Result<ExitCode> {
    let out = Output::new(cli.verbose, cli.quiet);
    // `init` writes the config the other commands read.
    if let Command::Init(args) = &cli.command {
        return init::run(args, &out);
    }
    let config = Config::load(&config_path(cli.config.as_deref()))?;
    match &cli.command {
        Command::Init(args) => init::run(args, &out),
        Command::Archive(args) => archive::run(&config, args, &out),
        Command::Posts(args) => posts::run(&config, args, &out),
        Command::Check(args) => check::run(&config, args, &out),
        Command::Preview(args) => preview::run(&digest_view(&config, &args.digest)?, args, &out),
        Command::Send(args) => send::run(&config, args, &out),
        Command::Schedule(args) => schedule::run(&digest_view(&config, &args.digest)?, args, &out),
        Command::Run(args) => run::run(&config, args, &out),
        Command::Subscribers(cmd) => subscribers::run(&config, cmd, &out),
        Command::Serve(args) => serve::run(&config, args, &out),
        Command::Bounces(args) => bounces::run(&config, args, &out),
    }
}

/// `--config FILE`, else `./config.toml`, else `./_postbode/config.toml`
/// (where `init` puts it); `config.toml` when neither exists, so the error
/// names the usual file.
pub fn config_path(given: Option<&Path>) -> PathBuf {
    if let Some(path) = given {
        return path.to_owned();
    }
    let here = PathBuf::from("config.toml");
    let init = Path::new(init::DIR).join("config.toml");
    if !here.exists() && init.exists() {
        init
    } else {
        here
    }
}

/// The config as the digest `--digest` names sees it (without the flag:
/// the only digest).
pub fn digest_view(config: &Config, name: &Option<String>) -> Result<Config> {
    Ok(config.for_digest(config.digest_named(name.as_deref())?))
}

/// `outer: inner: innermost`, the whole chain on one line.
pub fn error_chain(err: &anyhow::Error) -> String {
    crate::output::error_chain(err.as_ref())
}
