//! One module per command. Each takes the validated config and its own args.

pub mod check;
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
    }
}

/// How chatty to be on stderr.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub verbose: u8,
    pub quiet: bool,
}

impl Output {
    pub fn new(verbose: u8, quiet: bool) -> Output {
        Output { verbose, quiet }
    }

    /// A progress or status line on stderr (hidden by `-q`).
    pub fn info(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// A warning on stderr (hidden by `-q`).
    pub fn warn(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("warning: {msg}");
        }
    }
}

/// `outer: inner: innermost`, the whole chain on one line.
pub fn error_chain(err: &anyhow::Error) -> String {
    err.chain()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}
