//! One module per command. Each takes the validated config and its own args.

pub mod bounces;
pub mod check;
pub mod maintain;
pub mod posts;
pub mod preview;
pub mod run;
pub mod schedule;
pub mod send;
pub mod serve;
pub mod subscribers;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::config::Config;
pub use crate::output::Output;

/// Runs the command the user asked for.
pub fn run(cli: &Cli) -> Result<ExitCode> {
    let config = Config::load(&cli.config)?;
    let out = Output::new(cli.verbose, cli.quiet);
    match &cli.command {
        Command::Posts(args) => posts::run(&config, args, &out),
        Command::Check(args) => check::run(&config, args, &out),
        Command::Preview(args) => preview::run(&config, args, &out),
        Command::Send(args) => send::run(&config, args, &out),
        Command::Schedule(args) => schedule::run(&config, args, &out),
        Command::Run(args) => run::run(&config, args, &out),
        Command::Subscribers(cmd) => subscribers::run(&config, cmd, &out),
        Command::Serve(args) => serve::run(&config, args, &out),
        Command::Bounces(args) => bounces::run(&config, args, &out),
    }
}

/// `outer: inner: innermost`, the whole chain on one line.
pub fn error_chain(err: &anyhow::Error) -> String {
    crate::output::error_chain(err.as_ref())
}
