//! The `postbode` binary: parse the command line, run the command, map the
//! outcome to an exit code (0 success, 1 failure, 2 usage error).

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod cmd;

// The library's modules, reachable as `crate::…` from the command layer.
use postbode::{
    archive, bounces, config, edition, mail, output, privacy, render, schedule, send, serve, site,
    state, stories, subscribers, window,
};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::run(&cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", cmd::error_chain(&err));
            ExitCode::from(1)
        }
    }
}
