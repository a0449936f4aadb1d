//! `config.toml`: the model, its defaults, and validation.
//!
//! Every table denies unknown keys, so a typo is an error naming the key, the
//! line and the column. Relative paths are resolved against the folder that
//! holds the config file, once, here; the rest of the program sees absolute
//! paths only.

use std::path::{Path, PathBuf};

use serde::Deserialize;

mod digests;
mod links;
pub mod theme;
mod values;

pub use digests::{valid_name as valid_digest_name, Digest, DigestTable, UnknownDigest, WEEKLY};
pub use links::preferences_url;

pub use values::{
    format_duration, is_http_url, parse_cron, parse_duration, parse_timezone, BadValue, Colour,
    CronSpec, FontStack, HttpsUrl, Span, Zone,
};

/// The whole configuration, validated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub site: SiteConfig,
    /// `[[source]]` tables: several sources for one digest.
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub digest: DigestConfig,
    /// `[digests.NAME]` tables as written; see [`Config::digests`].
    #[serde(default, rename = "digests")]
    pub digest_tables: std::collections::BTreeMap<String, DigestTable>,
    #[serde(default)]
    pub sender: SenderConfig,
    #[serde(default)]
    pub schedule: ScheduleConfig,
    #[serde(default)]
    pub delivery: DeliveryConfig,
    #[serde(default)]
    pub smtp: SmtpConfig,
    #[serde(default)]
    pub subscribers: SubscribersConfig,
    #[serde(default)]
    pub serve: ServeConfig,
    /// `[bounces]`: where bounce mail is read; `None` when the table is absent.
    #[serde(default)]
    pub bounces: Option<BouncesConfig>,
    #[serde(default)]
    pub theme: ThemeConfig,
    /// `[archive]`: the web archive in the site; `None` when the table is absent.
    #[serde(default)]
    pub archive: Option<ArchiveConfig>,
    /// Where the config file was read from.
    #[serde(skip)]
    pub path: PathBuf,
    /// Every digest, resolved at load.
    #[serde(skip)]
    resolved: Vec<Digest>,
    /// The digest a subscriber without `digests` gets.
    #[serde(skip)]
    default_digest: String,
    /// In a digest's view ([`Config::for_digest`]): its name and state folder.
    #[serde(skip)]
    active: Option<String>,
    #[serde(skip)]
    active_state: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The site root (a Jekyll, Hugo, Zola or Markdown folder), a feed file
    /// or a feed's http(s) URL; empty when `[[source]]` tables name them.
    #[serde(default)]
    pub source: PathBuf,
    /// What `source` is; detected from the folder when `auto`.
    #[serde(default)]
    pub kind: SourceKind,
    /// The post URL pattern for a Markdown folder: `https://x.org/{slug}/`.
    pub post_url: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    pub baseurl: Option<String>,
    pub timezone: Option<Zone>,
    pub language: Option<Language>,
    pub permalink: Option<String>,
    pub excerpt_separator: Option<String>,
}

pub use postbode_templates::Language;

/// What a source is: a site folder of one generator, or a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    #[default]
    Auto,
    Jekyll,
    Hugo,
    Zola,
    Markdown,
    Feed,
}

/// One `[[source]]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// A site folder or a feed file.
    pub path: Option<PathBuf>,
    /// A feed's http(s) URL.
    pub url: Option<String>,
    #[serde(default)]
    pub kind: SourceKind,
    /// A category every post of this source gets.
    pub category: Option<String>,
    /// The source's name, shown as `origin`.
    pub name: Option<String>,
    /// The post URL pattern for a Markdown folder.
    pub post_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DigestConfig {
    pub window_days: u32,
    pub categories: Vec<String>,
    pub max_posts: usize,
    pub max_per_category: usize,
    pub summary_length: usize,
    pub send_empty: bool,
    pub subject: String,
    /// Where an edition can be read on the web, `{id}` replaced by its id;
    /// adds a "view on the web" link when set.
    pub web_url: Option<String>,
    /// A category's page on the site, `{category}` replaced by its name;
    /// where a section's "and 312 more posts" line links (else the site).
    pub category_url: Option<String>,
    /// The editor's note for the next edition (Markdown); `intro.md`
    /// beside the config file when unset.
    pub intro_file: Option<PathBuf>,
}

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig {
            window_days: 7,
            categories: Vec::new(),
            max_posts: 50,
            max_per_category: 10,
            summary_length: 280,
            send_empty: false,
            subject: "{site} — {date}".to_owned(),
            web_url: None,
            category_url: None,
            intro_file: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SenderConfig {
    pub from: Option<String>,
    pub reply_to: Option<String>,
    pub list_id: Option<String>,
    pub unsubscribe_url: Option<String>,
    /// The envelope sender per reader: `bounces+{token}@…` (VERP).
    pub bounce_address: Option<String>,
    /// The sender's postal address, shown in every footer.
    pub address: Option<String>,
    /// A named digest's label, put before the default `List-Id` when
    /// `list_id` is unset (set by [`Config::for_digest`], not by the file).
    #[serde(skip)]
    pub list_label: Option<String>,
}

/// `[theme]`: the digest's look. Every key is optional; unset keys keep
/// the compiled-in look.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThemeConfig {
    /// Links, the site's name and section headings.
    pub accent: Option<Colour>,
    /// The column's background.
    pub background: Option<Colour>,
    pub text: Option<Colour>,
    pub logo: Option<HttpsUrl>,
    pub logo_alt: Option<String>,
    pub logo_width: Option<u32>,
    pub font: Option<FontStack>,
    /// A line under the site's name.
    pub header: Option<String>,
    /// Markdown: text, emphasis and links only.
    pub footer: Option<String>,
}

/// `[archive]`: where delivered editions are written into the site.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveConfig {
    /// Relative to the site root (`site.source`).
    pub dir: PathBuf,
    /// A Jekyll layout for the pages (`default`); standalone pages when unset.
    pub layout: Option<String>,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        ArchiveConfig {
            dir: PathBuf::from("digest"),
            layout: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    pub cron: CronSpec,
    /// The schedule's timezone; the site's when unset.
    pub timezone: Option<Zone>,
    /// How late a missed time (the machine was off) may still be sent:
    /// `6h`, `90m`, `1h30m`, `0` (never).
    pub catch_up: Span,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            cron: CronSpec::parse("0 8 * * MON").expect("the default cron expression parses"),
            timezone: None,
            catch_up: Span(chrono::Duration::hours(6)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Smtp,
    File,
    Sendmail,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    pub transport: Transport,
    pub outbox: PathBuf,
    pub state_dir: PathBuf,
    /// Permanent failures after which a subscriber becomes `bounced` (3).
    pub bounce_limit: Option<u32>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            transport: Transport::Smtp,
            outbox: PathBuf::from("outbox"),
            state_dir: PathBuf::from("state"),
            bounce_limit: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    #[default]
    Starttls,
    Tls,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    pub host: String,
    pub port: Option<u16>,
    pub security: Security,
    pub username: Option<String>,
    pub password_env: String,
    pub password_file: Option<PathBuf>,
    /// A PEM CA certificate to trust besides the system's (a private relay).
    pub tls_ca_file: Option<PathBuf>,
    pub connections: usize,
    pub rate_limit: f64,
    pub max_retries: u32,
    pub timeout_secs: u64,
    /// The wait for the reply to a message's final dot (content filters
    /// run then), as Postfix's `smtp_data_done_timeout`.
    pub data_timeout_secs: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: "localhost".to_owned(),
            port: None,
            security: Security::Starttls,
            username: None,
            password_env: "POSTBODE_SMTP_PASSWORD".to_owned(),
            password_file: None,
            tls_ca_file: None,
            connections: 4,
            rate_limit: 0.0,
            max_retries: 3,
            timeout_secs: 30,
            data_timeout_secs: 300,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubscribersConfig {
    pub file: PathBuf,
    /// The digest a subscriber without `digests` gets (several digests).
    pub default_digest: Option<String>,
}

impl Default for SubscribersConfig {
    fn default() -> Self {
        SubscribersConfig {
            file: PathBuf::from("subscribers/subscribers.yaml"),
            default_digest: None,
        }
    }
}

/// `postbode serve`: where the unsubscribe and sign-up endpoint listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// `address:port`; loopback by default, for a reverse proxy in front.
    pub listen: String,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: "127.0.0.1:8080".to_owned(),
        }
    }
}

/// `[bounces]`: the IMAP mailbox bounce mail arrives in, and how soft
/// bounces count.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BouncesConfig {
    pub imap_host: Option<String>,
    pub imap_port: Option<u16>,
    pub imap_user: Option<String>,
    pub password_env: String,
    pub password_file: Option<PathBuf>,
    pub folder: String,
    /// Transient failures count as a bounce once they go on this long.
    pub soft_days: u32,
}

impl Default for BouncesConfig {
    fn default() -> Self {
        BouncesConfig {
            imap_host: None,
            imap_port: None,
            imap_user: None,
            password_env: "POSTBODE_IMAP_PASSWORD".into(),
            password_file: None,
            folder: "INBOX".into(),
            soft_days: 14,
        }
    }
}

/// Parses a `listen` value: an IP address and a port (`127.0.0.1:8080`,
/// `[::1]:8080`).
pub fn parse_listen(value: &str) -> Result<std::net::SocketAddr, BadValue> {
    value.trim().parse().map_err(|_| {
        BadValue(format!(
            "`{value}` is not an address and port like `127.0.0.1:8080` or `[::1]:8080`"
        ))
    })
}

/// A config file that cannot be used, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("invalid config `{}`: {message}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    pub message: String,
}

impl Config {
    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_owned(),
            message: format!("cannot read it: {e}"),
        })?;
        Config::parse(&text, path)
    }

    /// Parses config text that was read from `path` (used to resolve relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let err = |message: String| ConfigError {
            path: path.to_owned(),
            message,
        };
        let mut config: Config =
            toml::from_str(text).map_err(|e| err(describe_toml_error(&e, text)))?;
        config.path = path.to_owned();
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        // A feed URL in `site.source` is not a path.
        let source_text = config.site.source.to_string_lossy();
        if !source_text.is_empty() && !is_http_url(&source_text) {
            resolve(&mut config.site.source);
        }
        for source in &mut config.sources {
            if let Some(p) = source.path.as_mut() {
                resolve(p);
            }
        }
        resolve(&mut config.delivery.outbox);
        resolve(&mut config.delivery.state_dir);
        resolve(&mut config.subscribers.file);
        if let Some(p) = config.smtp.password_file.as_mut() {
            resolve(p);
        }
        let mut intro = config
            .digest
            .intro_file
            .take()
            .unwrap_or_else(|| PathBuf::from("intro.md"));
        resolve(&mut intro);
        config.digest.intro_file = Some(intro);
        // The archive lies in the site: relative to its root.
        let site_root = config.site.source.clone();
        if let Some(archive) = config.archive.as_mut() {
            if archive.dir.is_relative() {
                if !site_root.as_os_str().is_empty() && !is_http_url(&site_root.to_string_lossy()) {
                    archive.dir = site_root.join(&archive.dir);
                } else {
                    resolve(&mut archive.dir);
                }
            }
        }
        if let Some(p) = config.smtp.tls_ca_file.as_mut() {
            resolve(p);
        }
        if let Some(p) = config
            .bounces
            .as_mut()
            .and_then(|b| b.password_file.as_mut())
        {
            resolve(p);
        }
        config.validate().map_err(err)?;
        config.resolved = digests::resolve(&config.digest_tables, &config, base).map_err(err)?;
        config.default_digest = digests::default_name(
            &config.resolved,
            config.subscribers.default_digest.as_deref(),
        )
        .map_err(err)?;
        for d in &config.resolved {
            if d.named {
                validate_digest(&format!("digests.{}", d.name), &d.digest)
                    .and_then(|()| validate_catch_up(&format!("digests.{}", d.name), &d.schedule))
                    .map_err(err)?;
            }
        }
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        self.validate_sources()?;
        validate_catch_up("schedule", &self.schedule)?;
        if let Some(url) = &self.site.url {
            if !is_http_url(url) {
                return Err(format!("`site.url` must be an http(s) URL, not `{url}`"));
            }
        }
        // Every number is bounded here, so that nothing downstream
        // overflows on a value that `check` let through.
        validate_digest("digest", &self.digest)?;
        let smtp = &self.smtp;
        if let Some(port) = smtp.port {
            bounded("smtp.port", port, 1, 65_535)?;
        }
        bounded("smtp.connections", smtp.connections, 1, 64)?;
        bounded("smtp.max_retries", smtp.max_retries, 0, 100)?;
        bounded("smtp.timeout_secs", smtp.timeout_secs, 1, 3_600)?;
        if let Some(limit) = self.delivery.bounce_limit {
            bounded("delivery.bounce_limit", limit, 1, 1_000)?;
        }
        let rate = self.smtp.rate_limit;
        if !(rate == 0.0 || (0.001..=1_000_000.0).contains(&rate)) {
            return Err(format!(
                "`smtp.rate_limit` must be 0 (no limit) or between 0.001 and 1000000 messages a second, not {rate}"
            ));
        }
        if let Some(url) = &self.sender.unsubscribe_url {
            if !is_http_url(url) {
                return Err(format!(
                    "`sender.unsubscribe_url` must be an http(s) URL, not `{url}`"
                ));
            }
        }
        parse_listen(&self.serve.listen).map_err(|e| format!("`serve.listen`: {e}"))?;
        self.validate_theme()?;
        Ok(())
    }
}

impl Config {
    fn validate_sources(&self) -> Result<(), String> {
        let single = !self.site.source.as_os_str().is_empty();
        if single && !self.sources.is_empty() {
            return Err(
                "`site.source` and `[[source]]` tables both name sources: use one or the other"
                    .into(),
            );
        }
        if !single && self.sources.is_empty() {
            return Err("no source: set `site.source` or add a `[[source]]` table".into());
        }
        let mut names = std::collections::HashSet::new();
        for (i, s) in self.sources.iter().enumerate() {
            let n = i + 1;
            match (&s.path, &s.url) {
                (Some(_), Some(_)) => {
                    return Err(format!("`[[source]]` #{n} has both `path` and `url`"))
                }
                (None, None) => return Err(format!("`[[source]]` #{n} needs `path` or `url`")),
                (None, Some(url)) if !is_http_url(url) => {
                    return Err(format!(
                        "`[[source]]` #{n}: `url` must be an http(s) URL, not `{url}`"
                    ))
                }
                (None, Some(_)) if !matches!(s.kind, SourceKind::Auto | SourceKind::Feed) => {
                    return Err(format!(
                        "`[[source]]` #{n}: a `url` is read as a feed, not as kind `{:?}`",
                        s.kind
                    ))
                }
                _ => {}
            }
            if let Some(name) = &s.name {
                if !names.insert(name.trim().to_lowercase()) {
                    return Err(format!("`[[source]]` name `{name}` is used twice"));
                }
            }
        }
        Ok(())
    }
}

/// The numbers and URLs of a `[digest]` (or `[digests.NAME]`, `table`).
fn validate_digest(table: &str, d: &DigestConfig) -> Result<(), String> {
    bounded(&format!("{table}.window_days"), d.window_days, 1, MAX_DAYS)?;
    bounded(
        &format!("{table}.summary_length"),
        d.summary_length,
        20,
        100_000,
    )?;
    bounded(&format!("{table}.max_posts"), d.max_posts, 1, 100_000)?;
    bounded(
        &format!("{table}.max_per_category"),
        d.max_per_category,
        1,
        100_000,
    )?;
    for (key, url) in [("web_url", &d.web_url), ("category_url", &d.category_url)] {
        if let Some(url) = url {
            if !is_http_url(url) {
                return Err(format!(
                    "`{table}.{key}` must be an http(s) URL, not `{url}`"
                ));
            }
        }
    }
    Ok(())
}

fn validate_catch_up(table: &str, s: &ScheduleConfig) -> Result<(), String> {
    if s.catch_up.0 > chrono::Duration::days(MAX_DAYS) {
        return Err(format!(
            "`{table}.catch_up` must be at most {MAX_DAYS} days, not `{}`",
            s.catch_up
        ));
    }
    Ok(())
}

/// The longest window or catch-up in days: ten years.
const MAX_DAYS: i64 = 3_653;

/// `key` is within `min..=max`, or an error naming the key and the bounds.
fn bounded<T>(key: &str, value: T, min: i64, max: i64) -> Result<(), String>
where
    T: Copy + std::fmt::Display + TryInto<i64>,
{
    match value.try_into() {
        Ok(v) if (min..=max).contains(&v) => Ok(()),
        _ => Err(format!(
            "`{key}` must be between {min} and {max}, not {value}"
        )),
    }
}

/// toml's message names line and column on its first line and the reason on
/// its last; keep those two and drop the source excerpt in between. A bad
/// value is named by its key too (`schedule.cron`), found from the table
/// header above the line and the key on it.
fn describe_toml_error(e: &toml::de::Error, text: &str) -> String {
    let full = e.to_string();
    let mut lines = full.lines().filter(|l| !l.trim().is_empty());
    let position = lines
        .next()
        .map(|l| l.trim_start_matches("TOML parse error at ").to_owned())
        .unwrap_or_default();
    let reason = e.message().trim().replace('\n', " ");
    let key = e.span().and_then(|span| key_at(text, span.start));
    match (position.starts_with("line "), key) {
        (true, Some(key)) => format!("{position}: `{key}`: {reason}"),
        (true, None) => format!("{position}: {reason}"),
        (false, _) => reason,
    }
}

/// `table.key` for a value that starts at byte `offset` of a `key = value`
/// line, or `None` when the offset is not inside such a value.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let head = text.get(..offset)?;
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let (key, _) = head[line_start..].split_once('=')?;
    let key = key.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('[') || key.starts_with('#') {
        return None;
    }
    let table = head[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(['[', ']']).trim().to_owned());
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_key_line_and_column() {
        let text = "[site]\nsource = \"sample\"\n\n[digest]\nwindow_dayz = 3\n";
        let err = Config::parse(text, Path::new("dir/config.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`dir/config.toml`"), "{msg}");
        assert!(msg.contains("window_dayz"), "{msg}");
        assert!(msg.contains("line 5, column 1"), "{msg}");
    }

    #[test]
    fn defaults_and_relative_paths() {
        let c = Config::parse(
            "[site]\nsource = \"sample\"\n",
            Path::new("dir/config.toml"),
        )
        .unwrap();
        assert_eq!(c.site.source, Path::new("dir/sample"));
        assert_eq!(c.digest.window_days, 7);
        assert_eq!(c.digest.summary_length, 280);
        assert_eq!(c.schedule.cron, "0 8 * * MON");
        assert_eq!(
            c.subscribers.file,
            Path::new("dir/subscribers/subscribers.yaml")
        );
        assert_eq!(c.smtp.connections, 4);
    }

    #[test]
    fn bad_timezone_is_named() {
        let err = Config::parse(
            "[site]\nsource = \"s\"\ntimezone = \"Europe/Amsterdm\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("Europe/Amsterdm"), "{err}");
    }

    #[test]
    fn serve_listen_defaults_to_loopback_and_is_checked() {
        let c = Config::parse("[site]\nsource = \"s\"\n", Path::new("c.toml")).unwrap();
        assert_eq!(c.serve.listen, "127.0.0.1:8080");
        let c = Config::parse(
            "[site]\nsource = \"s\"\n[serve]\nlisten = \"[::1]:9000\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(parse_listen(&c.serve.listen).unwrap().port(), 9000);
        let err = Config::parse(
            "[site]\nsource = \"s\"\n[serve]\nlisten = \"localhost\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("`serve.listen`: `localhost` is not an address and port"),
            "{err}"
        );
    }

    #[test]
    fn bad_schedule_is_named() {
        let parse = |table: &str| {
            Config::parse(
                &format!("[site]\nsource = \"s\"\n[schedule]\n{table}\n"),
                Path::new("c.toml"),
            )
        };
        let err = parse("cron = \"0 8 * * MONDAY\"").unwrap_err().to_string();
        assert!(
            err.contains("`schedule.cron`") && err.contains("MONDAY"),
            "{err}"
        );
        let err = parse("cron = \"0 8 31 2 *\"").unwrap_err().to_string();
        assert!(
            err.contains("`schedule.cron`") && err.contains("never"),
            "{err}"
        );
        let err = parse("catch_up = \"6 hours\"").unwrap_err().to_string();
        assert!(err.contains("`schedule.catch_up`"), "{err}");
        let c = parse("cron = \"0 0 8 * * MON\"\ncatch_up = \"90m\"").unwrap();
        assert_eq!(c.schedule.catch_up, Span(chrono::Duration::minutes(90)));
        assert_eq!(
            parse("").unwrap().schedule.catch_up,
            Span(chrono::Duration::hours(6))
        );
    }

    #[test]
    fn schedule_errors_name_the_key_and_line() {
        let parse = |table: &str| {
            Config::parse(
                &format!("[site]\nsource = \"s\"\n[schedule]\n{table}\n"),
                Path::new("c.toml"),
            )
        };
        let err = parse("timezone = \"Mars/Olympus\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 4, column 12: `schedule.timezone`: unknown timezone"),
            "{err}"
        );
        let err = parse("cron = \"0 25 * * *\"").unwrap_err().to_string();
        assert!(err.contains("`schedule.cron`"), "{err}");
        let c = parse("timezone = \"Europe/Amsterdam\"").unwrap();
        assert_eq!(
            c.schedule.timezone,
            Some(Zone(chrono_tz::Europe::Amsterdam))
        );
    }

    #[test]
    fn every_number_is_bounded() {
        let parse = |table: &str| {
            Config::parse(
                &format!("[site]\nsource = \"s\"\n{table}\n"),
                Path::new("c.toml"),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        };
        for (table, key) in [
            ("[digest]\nwindow_days = 4294967295", "digest.window_days"),
            ("[digest]\nwindow_days = 0", "digest.window_days"),
            (
                "[digest]\nmax_posts = 18446744073709551615",
                "digest.max_posts",
            ),
            (
                "[smtp]\ntimeout_secs = 18446744073709551615",
                "smtp.timeout_secs",
            ),
            ("[smtp]\nport = 0", "smtp.port"),
            ("[smtp]\nmax_retries = 4294967295", "smtp.max_retries"),
            ("[delivery]\nbounce_limit = 0", "delivery.bounce_limit"),
            ("[schedule]\ncatch_up = \"100000d\"", "schedule.catch_up"),
        ] {
            let err = parse(table).unwrap_err();
            assert!(err.contains(&format!("`{key}` must be")), "{table}: {err}");
        }
        assert!(parse("[digest]\nwindow_days = 3653").is_ok());
    }

    #[test]
    fn http_urls_only() {
        assert!(is_http_url("https://nos.nl/l/2283086"));
        assert!(is_http_url("HTTP://example.org"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("ftp://example.org"));
        assert!(!is_http_url("https://exa mple.org"));
    }
}
