//! The `postbode` binary: parse the command line, run the command, map the
//! outcome to an exit code (0 success, 1 failure, 2 usage error).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = postbode::cli::Cli::parse();
    match postbode::cmd::run(&cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", postbode::cmd::error_chain(&err));
            ExitCode::from(1)
        }
    }
}
