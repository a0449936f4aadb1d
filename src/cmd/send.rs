//! `postbode send`: deliver the current edition to every active subscriber
//! whose categories have posts in it, resuming an unfinished one. The
//! pipeline itself is the library's [`postbode::send`]; this prints its
//! progress and summary and maps the outcome to an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Result;

use super::posts::report_warnings;
use super::Output;
use crate::cli::SendArgs;
use crate::config::Config;
use crate::send::{self, Delivered, Event, Progress, Report, Request, Sent};

pub fn run(config: &Config, args: &SendArgs, out: &Output) -> Result<ExitCode> {
    run_with_stop(config, args, out, &AtomicBool::new(false))
}

/// `send`, stopping after the messages in flight once `stop` is set.
pub fn run_with_stop(
    config: &Config,
    args: &SendArgs,
    out: &Output,
    stop: &AtomicBool,
) -> Result<ExitCode> {
    if args.if_due {
        if !args.dry_run {
            super::bounces::before_send(config, out);
        }
        return if_due_each(config, args, out, stop);
    }
    let view = super::digest_view(config, &args.digest)?;
    send_now(&view, args, out, stop)
}

/// `send --if-due`: every digest (or the one `--digest` names) in turn, one
/// delivery at a time, each through its own schedule and catch-up. A digest
/// that fails does not keep the others from going out.
fn if_due_each(
    config: &Config,
    args: &SendArgs,
    out: &Output,
    stop: &AtomicBool,
) -> Result<ExitCode> {
    let digests = match &args.digest {
        Some(name) => vec![config.digest_named(Some(name))?],
        None => config.digests().iter().collect(),
    };
    let several = digests.len() > 1;
    let mut code = ExitCode::SUCCESS;
    for digest in digests {
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        let view = config.for_digest(digest);
        if several {
            out.info(format!("digest `{}`:", digest.name));
        }
        let done = super::schedule::if_due(&view, args.dry_run, out, || {
            send_now(&view, args, out, stop)
        });
        match done {
            Ok(c) if c == ExitCode::SUCCESS => {}
            Ok(c) => code = c,
            Err(e) if several => {
                eprintln!(
                    "error: digest `{}`: {}",
                    digest.name,
                    super::error_chain(&e)
                );
                code = ExitCode::from(1);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(code)
}

fn send_now(config: &Config, args: &SendArgs, out: &Output, stop: &AtomicBool) -> Result<ExitCode> {
    let request = Request {
        bounds: args.window.bounds(),
        categories: args.window.categories.clone(),
        dry_run: args.dry_run,
        intro: args.intro.clone(),
    };
    if let Some(to) = &args.to {
        let (id, posts, reply) = send::test_send(config, &request, to)?;
        println!(
            "sent edition {id} ({posts} posts) to {}: {reply}",
            to.trim()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut bar = ProgressLine::new(out);
    let sent = send::send(config, &request, stop, &mut |event| match event {
        Event::Note(note) => out.info(note),
        Event::Warnings(warnings) => report_warnings(warnings, out),
        Event::Progress(p) => bar.show(p),
    });
    bar.finish();
    match sent? {
        Sent::Empty { window } => {
            out.info(format!(
                "no posts from {} to {}: nothing to send (set `digest.send_empty = true` to send anyway)",
                window.since.to_rfc3339(),
                window.until.to_rfc3339()
            ));
            Ok(ExitCode::SUCCESS)
        }
        Sent::DryRun(d) => {
            println!(
                "dry run: edition {} with {} posts; {} messages in {} variants ({:.1} KB on average); nothing sent, nothing changed",
                d.id,
                d.posts,
                d.messages,
                d.variants,
                d.average_bytes / 1024.0
            );
            Ok(ExitCode::SUCCESS)
        }
        Sent::WouldResume { id } => {
            out.info(format!(
                "edition {id} is unfinished; `send` would resume it"
            ));
            Ok(ExitCode::SUCCESS)
        }
        Sent::Delivered(d) => Ok(finish(&d, out)),
    }
}

/// The summary line, what became of the edition, and the exit code.
fn finish(d: &Delivered, out: &Output) -> ExitCode {
    summarize(&d.report, d.skipped, out);
    if d.closed {
        for email in &d.now_bounced {
            out.info(format!(
                "{email} is now `bounced` after {} permanent failures",
                d.bounce_limit
            ));
        }
        out.info(format!(
            "edition {} is closed; the next one starts at {}",
            d.id,
            d.next_since.to_rfc3339()
        ));
        return ExitCode::SUCCESS;
    }
    let report = &d.report;
    if let Some(fatal) = &report.fatal {
        eprintln!("error: {fatal}");
    }
    for (email, reason) in report.pending.iter().take(10) {
        eprintln!("pending: {email}: {reason}");
    }
    if report.pending.len() > 10 {
        eprintln!("pending: … and {} more", report.pending.len() - 10);
    }
    eprintln!(
        "{} recipients are still pending; run `postbode send` again to resume",
        report.pending.len()
    );
    ExitCode::from(1)
}

fn summarize(report: &Report, skipped: usize, out: &Output) {
    let secs = report.elapsed.as_secs_f64();
    let sent = report.delivered + report.failed.len();
    for (email, reply) in &report.failed {
        out.warn(format!("{email}: refused: {reply}"));
    }
    println!(
        "delivered {}, failed permanently {}, still pending {}{} in {:.1} s ({:.0} messages/s)",
        report.delivered,
        report.failed.len(),
        report.pending.len(),
        if skipped > 0 {
            format!(", skipped {skipped} who unsubscribed meanwhile")
        } else {
            String::new()
        },
        secs,
        if secs > 0.0 { sent as f64 / secs } else { 0.0 }
    );
}

/// A progress bar on a terminal, a log line every few seconds otherwise.
struct ProgressLine {
    tty: bool,
    quiet: bool,
    last: Option<std::time::Instant>,
    shown: bool,
    printed_final: bool,
}

impl ProgressLine {
    fn new(out: &Output) -> ProgressLine {
        ProgressLine {
            tty: std::io::stderr().is_terminal(),
            quiet: out.quiet,
            last: None,
            shown: false,
            printed_final: false,
        }
    }

    fn show(&mut self, p: Progress) {
        if self.quiet || p.total == 0 {
            return;
        }
        let every = if self.tty {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(5)
        };
        let finished = p.done == p.total;
        if self.printed_final || (self.last.is_some_and(|l| l.elapsed() < every) && !finished) {
            return;
        }
        self.printed_final = finished;
        self.last = Some(std::time::Instant::now());
        let secs = p.elapsed.as_secs_f64().max(0.001);
        let rate = p.done as f64 / secs;
        let eta = if rate > 0.0 {
            ((p.total - p.done) as f64 / rate) as u64
        } else {
            0
        };
        let line = format!(
            "{}/{} sent ({} refused), {:.0}/s, ETA {}:{:02}",
            p.done,
            p.total,
            p.failed,
            rate,
            eta / 60,
            eta % 60
        );
        if self.tty {
            let width = 24;
            let filled = (p.done * width).checked_div(p.total).unwrap_or(width);
            eprint!(
                "\r[{}{}] {line}  ",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            self.shown = true;
        } else {
            eprintln!("{line}");
        }
    }

    fn finish(&mut self) {
        if self.shown {
            eprintln!();
        }
    }
}
