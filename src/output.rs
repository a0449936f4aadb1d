//! How chatty a run is on stderr: the one place the library and the binary
//! print progress and warnings, so `-q` silences all of it alike.

use std::error::Error;
use std::fmt::Display;

/// Verbosity for status lines on stderr. A program embedding postbode that
/// wants silence uses [`Output::quiet`].
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub verbose: u8,
    pub quiet: bool,
}

impl Output {
    pub fn new(verbose: u8, quiet: bool) -> Output {
        Output { verbose, quiet }
    }

    /// Nothing but errors.
    pub fn quiet() -> Output {
        Output::new(0, true)
    }

    /// A progress or status line on stderr (hidden by `-q`).
    pub fn info(&self, msg: impl Display) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// What a change did, on stdout (hidden by `-q`, which leaves only
    /// errors and asked-for data).
    pub fn done(&self, msg: impl Display) {
        if !self.quiet {
            println!("{msg}");
        }
    }

    /// A warning on stderr (hidden by `-q`).
    pub fn warn(&self, msg: impl Display) {
        if !self.quiet {
            eprintln!("warning: {msg}");
        }
    }
}

/// `outer: inner: innermost`, an error and its sources on one line.
pub fn error_chain(err: &(dyn Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        // Errors that print their source themselves would repeat it.
        if !parts.last().is_some_and(|p| p.ends_with(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}
