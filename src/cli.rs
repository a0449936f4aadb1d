//! The command line: clap derive types. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Turn a Jekyll site's recent posts into an e-mail digest and deliver it
/// to the site's subscribers.
///
/// Start with `postbode posts` to see what the site holds, `postbode preview
/// --out digest.html` to see the digest, and `postbode check` to validate
/// config, posts and subscribers.
#[derive(Debug, Parser)]
#[command(name = "postbode", version, propagate_version = true)]
pub struct Cli {
    /// The configuration file; relative paths in it are relative to its
    /// folder. Default: `./config.toml`, else `./_postbode/config.toml`.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Say more about what happens (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Say only what went wrong.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every published post in a window, newest first.
    ///
    /// This is every post that passes the filters, before the digest's caps
    /// and de-duplication. Examples:
    ///
    ///   postbode posts --since 2026-11-16 --until 2026-11-23
    ///
    ///   postbode posts --category nieuws --json
    Posts(PostsArgs),

    /// Render the digest as it would go out, to files or stdout.
    ///
    /// The edition is the window's posts after the digest's filters, caps
    /// and de-duplication. With no file option the HTML goes to stdout.
    /// Examples:
    ///
    ///   postbode preview --out digest.html --text digest.txt
    ///
    ///   postbode preview --since 2026-11-16 --until 2026-11-23 --eml digest.eml
    ///
    ///   postbode preview --subscriber ada@example.org --out ada.html
    Preview(PreviewArgs),

    /// Deliver the edition to every active subscriber (resuming an unfinished one).
    ///
    /// The edition's window ends now and starts where the last delivered
    /// edition ended (the first time: `digest.window_days` ago). A window is
    /// delivered once. If a run stops early (a crash, a dead server), run
    /// `send` again: it resumes the same edition and sends only what is
    /// missing. Exit 0 when every recipient has an outcome, 1 when some are
    /// still pending. Examples:
    ///
    ///   postbode send --dry-run
    ///
    ///   postbode send --to me@example.org
    ///
    ///   postbode send --if-due -q      (from cron, every few minutes)
    Send(SendArgs),

    /// Show the schedule: its next times, the last edition, whether a send is due.
    ///
    /// Times are shown in the schedule's timezone (`schedule.timezone`, else
    /// the site's) and in UTC. Example:
    ///
    ///   postbode schedule --count 10
    Schedule(ScheduleArgs),

    /// Stay in the foreground and send the digest at each scheduled time.
    ///
    /// For a systemd service or a terminal. On start it first finishes an
    /// unfinished edition, and sends a scheduled time it missed (the machine
    /// was off) if that is at most `schedule.catch_up` (6h) ago; an older
    /// one is skipped with a log line. SIGTERM or Ctrl-C finishes the
    /// messages in flight and exits; a second signal exits at once. Only one
    /// `run` per state folder.
    Run(RunArgs),

    /// Validate config, posts and subscribers; exit 1 when something is wrong.
    ///
    /// Prints one line per problem, naming the file (and line, when known).
    Check(CheckArgs),

    /// Manage the subscriber list.
    #[command(subcommand)]
    Subscribers(SubscribersCommand),

    /// Set postbode up in a Jekyll site: `_postbode/config.toml` and an empty list.
    ///
    /// Reads the site's `_config.yml` and its posts' categories and writes
    /// `_postbode/config.toml` (file transport: nothing leaves the machine),
    /// an empty `_postbode/subscribers.yaml`, and, in a git work tree, the
    /// list, state and outbox into `.gitignore`. Jekyll never publishes
    /// `_` folders. Run postbode from the site folder afterwards: it finds
    /// `_postbode/config.toml` by itself. Example:
    ///
    ///   postbode init ~/sites/my-blog
    Init(InitArgs),

    /// Write every delivered edition into the site's web archive (`[archive]`).
    ///
    /// One page per edition, without any reader's name, address or token,
    /// an index page and an Atom feed, in `archive.dir` (default `digest/`
    /// in the site). `send` does this after each delivered edition.
    Archive(ArchiveArgs),

    /// Answer one-click unsubscribes and sign-ups over HTTP.
    ///
    /// A small web server for what a static site cannot do: `POST` to the
    /// unsubscribe link (RFC 8058 one-click, as Gmail and Yahoo require)
    /// unsubscribes at once; opening it shows a page with a button. It also
    /// takes sign-ups (`/subscribe`) and confirms them by mail
    /// (`/confirm/{token}`). Paths follow `sender.unsubscribe_url`. Run it
    /// on loopback behind the site's reverse proxy; it stops on SIGTERM.
    ///
    ///   postbode serve --listen 127.0.0.1:8080
    Serve(ServeArgs),

    /// Read bounce mail and act on it: delivery reports, spam complaints.
    ///
    /// Reads a Maildir (`--maildir`), an mbox file (`--mbox`) or the IMAP
    /// box of `[bounces]`. A permanent failure counts a bounce (at
    /// `delivery.bounce_limit` the subscriber is `bounced`); transient ones
    /// count once they go on for `bounces.soft_days`; a spam complaint
    /// unsubscribes. Handled messages move to the folder `processed`; others
    /// stay where they are. Examples:
    ///
    ///   postbode bounces --maildir ~/Maildir/.bounces --dry-run --json
    ///
    ///   postbode bounces      (the IMAP box of `[bounces]`)
    Bounces(BouncesArgs),
}

/// Which posts: a window `[since, until)` and category filters.
#[derive(Debug, Clone, Default, Args)]
pub struct WindowArgs {
    /// Start of the window (inclusive): RFC 3339 (`2026-11-16T00:00:00+01:00`)
    /// or `YYYY-MM-DD` (midnight in the site's timezone).
    /// Default: `--until` minus `digest.window_days`.
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// End of the window (exclusive), same forms as `--since`. Default: now.
    #[arg(long, value_name = "T")]
    pub until: Option<String>,

    /// Only posts in this category (case-insensitive); repeat for several.
    /// Replaces `digest.categories` for this run.
    #[arg(long = "category", value_name = "C")]
    pub categories: Vec<String>,
}

impl WindowArgs {
    /// The window's bounds as the user wrote them.
    pub fn bounds(&self) -> postbode::window::Bounds {
        postbode::window::Bounds {
            since: self.since.clone(),
            until: self.until.clone(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct PostsArgs {
    #[command(flatten)]
    pub window: WindowArgs,

    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Group the table by story, strongest first (see "How posts are
    /// chosen" in the README).
    #[arg(long, conflicts_with = "json")]
    pub stories: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    pub window: WindowArgs,

    /// Render this subscriber's own version: their categories, their name
    /// and their unsubscribe link.
    #[arg(long, value_name = "EMAIL")]
    pub subscriber: Option<String>,

    /// Write the HTML body to this file.
    #[arg(long, value_name = "FILE.html")]
    pub out: Option<PathBuf>,

    /// Write the plain-text body to this file.
    #[arg(long, value_name = "FILE.txt")]
    pub text: Option<PathBuf>,

    /// Write the whole message (headers, text and HTML) to this file, as it
    /// would be sent.
    #[arg(long, value_name = "FILE.eml")]
    pub eml: Option<PathBuf>,

    /// Write the edition (window, sections, items) as JSON to this file.
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,

    /// The editor's note for this edition (Markdown; default `digest.intro_file`, `intro.md` beside the config).
    #[arg(long, value_name = "FILE")]
    pub intro: Option<PathBuf>,

    /// The digest to render (`[digests.NAME]`); needed when there are several.
    #[arg(long, value_name = "NAME")]
    pub digest: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub window: WindowArgs,

    /// Render and count everything; send nothing, change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Send the edition to this one address only, as a test: no journal,
    /// no state change, the list untouched.
    #[arg(long, value_name = "EMAIL", conflicts_with = "dry_run")]
    pub to: Option<String>,

    /// Send only when a scheduled time (`schedule.cron`) has passed since
    /// the last edition started; otherwise say when the next one is and
    /// exit 0. An unfinished edition is always resumed. Safe to call from
    /// cron every few minutes or from a systemd timer.
    #[arg(long, conflicts_with = "to")]
    pub if_due: bool,

    /// The editor's note for a new edition (Markdown; default `digest.intro_file`, `intro.md` beside the config); moved aside once the edition is delivered.
    #[arg(long, value_name = "FILE")]
    pub intro: Option<PathBuf>,

    /// The digest to send (`[digests.NAME]`); needed when there are several,
    /// except with `--if-due`, which goes through every digest.
    #[arg(long, value_name = "NAME")]
    pub digest: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ScheduleArgs {
    /// How many upcoming times to show.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub count: usize,
    /// The digest to show (`[digests.NAME]`); needed when there are several.
    #[arg(long, value_name = "NAME")]
    pub digest: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The address and port to listen on. Default: `serve.listen` in the
    /// config, else `127.0.0.1:8080`.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct BouncesArgs {
    /// Read this Maildir (its `new/` and `cur/`) instead of the IMAP box.
    #[arg(long, value_name = "DIR", conflicts_with = "mbox")]
    pub maildir: Option<PathBuf>,

    /// Read this mbox file (it is never changed) instead of the IMAP box.
    #[arg(long, value_name = "FILE")]
    pub mbox: Option<PathBuf>,

    /// Classify and report; change nothing, move nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// One JSON object per message on stdout: `message`, `kind`,
    /// `permanent`, `temporary`, `subscriber`, `action`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Status {
    Active,
    /// Signed up on the web, not yet confirmed: gets no digest.
    Pending,
    Unsubscribed,
    Bounced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
    Yaml,
}

#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Add a new subscriber (active at once).
    ///
    ///   postbode subscribers add ada@example.org --name "Ada" --category tech
    Add(AddArgs),

    /// Delete a subscriber's entry entirely.
    Remove(EmailArg),

    /// Mark a subscriber as unsubscribed (the entry is kept).
    Unsubscribe(EmailArg),

    /// Make an unsubscribed or bounced subscriber active again.
    Resubscribe(EmailArg),

    /// Send a subscriber nothing until a day, without unsubscribing them.
    ///
    ///   postbode subscribers pause ada@example.org --until 2027-01-04
    Pause(PauseArgs),

    /// End a subscriber's pause now.
    Resume(EmailArg),

    /// Show subscribers as a table (or JSON).
    List(ListArgs),

    /// Add subscribers from a CSV file with a header row.
    ///
    /// Columns: `email` (required), `name`, `categories` and `digests`
    /// (several separated by `;`).
    /// Bad rows are reported with their line number; good rows are imported.
    Import(ImportArgs),

    /// Print the whole list to stdout.
    Export(ExportArgs),

    /// Merge entries whose addresses differ only in case into one.
    ///
    /// The merged entry keeps the earliest `subscribed_at`, the strictest
    /// status and the token of the spelling that was mailed last.
    Dedupe(DedupeArgs),

    /// Copy the list into a new file, YAML or SQLite by its name.
    ///
    ///   postbode subscribers migrate --to subscribers/subscribers.sqlite
    Migrate(MigrateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DedupeArgs {
    /// Report what would be merged without changing the list.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// The new list: `.sqlite` or `.db` for SQLite, else YAML. It must not exist yet.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct EmailArg {
    /// The subscriber's e-mail address.
    pub email: String,
}

#[derive(Debug, Clone, Args)]
pub struct AddArgs {
    /// The subscriber's e-mail address.
    pub email: String,

    /// The subscriber's name, used in the greeting.
    #[arg(long)]
    pub name: Option<String>,

    /// Only send this category (repeat for several); none means all.
    #[arg(long = "category", value_name = "C")]
    pub categories: Vec<String>,

    /// The digest they get (repeat for several); none means
    /// `subscribers.default_digest`.
    #[arg(long = "digest", value_name = "NAME")]
    pub digests: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct PauseArgs {
    /// The subscriber's e-mail address.
    pub email: String,

    /// The first day they get digests again (`YYYY-MM-DD`).
    #[arg(long, value_name = "DATE")]
    pub until: String,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only subscribers with this status.
    #[arg(long, value_enum)]
    pub status: Option<Status>,

    /// Only subscribers who receive this category.
    #[arg(long, value_name = "C")]
    pub category: Option<String>,

    /// Only subscribers on this digest.
    #[arg(long, value_name = "NAME")]
    pub digest: Option<String>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The CSV file to import.
    pub file: PathBuf,

    /// Report what would be imported without changing the list.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The site's folder (holds `_config.yml`); the current folder by default.
    #[arg(value_name = "SITE", default_value = ".")]
    pub site: PathBuf,

    /// Overwrite an existing `_postbode/config.toml` (the subscriber list is never overwritten).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ArchiveArgs {}
