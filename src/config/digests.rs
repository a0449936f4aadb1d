//! Named digests: the `[digests.NAME]` tables, resolved against the
//! `[digest]` and `[schedule]` defaults into one [`Digest`] each, and the
//! view of the config that one digest's send, preview and schedule take.
//!
//! A config without `[digests.NAME]` tables means one digest named
//! `weekly`, made of `[digest]` and `[schedule]` as they are, with today's
//! state folder and `List-Id`: upgrading changes nothing an operator or a
//! reader sees. The digest named `weekly` keeps the top of
//! `delivery.state_dir` in every form, so adding a second digest next to it
//! neither resends nor loses its journal; any other digest keeps its
//! editions, journal and schedule under `state/digests/NAME/`.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::{Config, CronSpec, DigestConfig, ScheduleConfig, Span, Zone};

/// The digest an old single-digest config means, and whose state stays at
/// the top of the state folder.
pub const WEEKLY: &str = "weekly";

/// The sub-folder of `delivery.state_dir` holding the other digests' state.
const DIGESTS_DIR: &str = "digests";

/// One `[digests.NAME]` table as written: every key falls back to
/// `[digest]` or `[schedule]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestTable {
    pub window_days: Option<u32>,
    pub categories: Option<Vec<String>>,
    pub max_posts: Option<usize>,
    pub max_per_category: Option<usize>,
    pub summary_length: Option<usize>,
    pub send_empty: Option<bool>,
    pub subject: Option<String>,
    pub web_url: Option<String>,
    pub category_url: Option<String>,
    pub cron: Option<CronSpec>,
    pub timezone: Option<Zone>,
    pub catch_up: Option<Span>,
    /// This digest's `List-Id`; default `<name>.<sender.list_id>`.
    pub list_id: Option<String>,
    /// Where this digest's editions, journal and schedule live.
    pub state_dir: Option<PathBuf>,
    /// This digest's editor's note; `[digest]`'s when unset.
    pub intro_file: Option<PathBuf>,
}

/// One digest, resolved: everything its sends and its schedule need.
#[derive(Debug, Clone)]
pub struct Digest {
    pub name: String,
    pub digest: DigestConfig,
    pub schedule: ScheduleConfig,
    /// `List-Id` given for this digest, if any.
    pub list_id: Option<String>,
    /// Its editions, journal, fire record and delivery lock.
    pub state_dir: PathBuf,
    /// Declared as `[digests.NAME]` (false: the old form's `weekly`).
    pub named: bool,
}

/// Names become folder names and `List-Id` labels: keep them to both.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 40
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Resolves the `[digests.NAME]` tables (or the old form) in name order.
/// `base` resolves a digest's relative `state_dir`.
pub(super) fn resolve(
    tables: &BTreeMap<String, DigestTable>,
    config: &Config,
    base: &Path,
) -> Result<Vec<Digest>, String> {
    let root = &config.delivery.state_dir;
    if tables.is_empty() {
        return Ok(vec![Digest {
            name: WEEKLY.to_owned(),
            digest: config.digest.clone(),
            schedule: config.schedule.clone(),
            list_id: None,
            state_dir: root.clone(),
            named: false,
        }]);
    }
    let mut out: Vec<Digest> = Vec::new();
    for (name, t) in tables {
        if !valid_name(name) {
            return Err(format!(
                "`[digests.{name}]`: a digest name is lower-case letters, digits and `-` (at most 40), such as `weekly` or `daily`"
            ));
        }
        let d = &config.digest;
        let s = &config.schedule;
        let state_dir = match &t.state_dir {
            Some(p) if p.is_relative() => base.join(p),
            Some(p) => p.clone(),
            None if name == WEEKLY => root.clone(),
            None => root.join(DIGESTS_DIR).join(name),
        };
        if let Some(other) = out
            .iter()
            .find(|o| normal(&o.state_dir) == normal(&state_dir))
        {
            return Err(format!(
                "digests `{}` and `{name}` share the state folder `{}`: each needs its own (set `state_dir` in one of them)",
                other.name,
                state_dir.display()
            ));
        }
        out.push(Digest {
            name: name.clone(),
            digest: DigestConfig {
                window_days: t.window_days.unwrap_or(d.window_days),
                categories: t.categories.clone().unwrap_or_else(|| d.categories.clone()),
                max_posts: t.max_posts.unwrap_or(d.max_posts),
                max_per_category: t.max_per_category.unwrap_or(d.max_per_category),
                summary_length: t.summary_length.unwrap_or(d.summary_length),
                send_empty: t.send_empty.unwrap_or(d.send_empty),
                subject: t.subject.clone().unwrap_or_else(|| d.subject.clone()),
                web_url: t.web_url.clone().or_else(|| d.web_url.clone()),
                category_url: t.category_url.clone().or_else(|| d.category_url.clone()),
                intro_file: match &t.intro_file {
                    Some(p) if p.is_relative() => Some(base.join(p)),
                    Some(p) => Some(p.clone()),
                    None => d.intro_file.clone(),
                },
            },
            schedule: ScheduleConfig {
                cron: t.cron.clone().unwrap_or_else(|| s.cron.clone()),
                timezone: t.timezone.or(s.timezone),
                catch_up: t.catch_up.unwrap_or(s.catch_up),
            },
            list_id: t.list_id.clone(),
            state_dir,
            named: true,
        });
    }
    Ok(out)
}

/// The digest a subscriber without `digests` gets: `subscribers.default_digest`,
/// else `weekly`, else the only one.
pub(super) fn default_name(digests: &[Digest], chosen: Option<&str>) -> Result<String, String> {
    let names = || list_names(digests);
    match chosen {
        Some(name) if digests.iter().any(|d| d.name == name) => Ok(name.to_owned()),
        Some(name) => Err(format!(
            "`subscribers.default_digest` names the unknown digest `{name}` (digests: {})",
            names()
        )),
        None if digests.iter().any(|d| d.name == WEEKLY) => Ok(WEEKLY.to_owned()),
        None if digests.len() == 1 => Ok(digests[0].name.clone()),
        None => Err(format!(
            "several digests ({}): set `subscribers.default_digest` to the one a subscriber without `digests` gets",
            names()
        )),
    }
}

/// `` `daily`, `weekly` ``: the names, for messages.
pub fn list_names(digests: &[Digest]) -> String {
    digests
        .iter()
        .map(|d| format!("`{}`", d.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A path without `.` parts and trailing slashes, for comparing folders.
fn normal(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

impl Config {
    /// Every digest, in name order.
    pub fn digests(&self) -> &[Digest] {
        &self.resolved
    }

    /// The digest named `name`, or, without a name, the only one; an error
    /// lists the names otherwise.
    pub fn digest_named(&self, name: Option<&str>) -> Result<&Digest, UnknownDigest> {
        let all = &self.resolved;
        // A digest's view stands for that digest.
        let name = name.map(str::trim).or(self.active.as_deref());
        match name {
            Some(name) => all.iter().find(|d| d.name == name).ok_or_else(|| {
                UnknownDigest(format!(
                    "unknown digest `{name}`; the digests are {}",
                    list_names(all)
                ))
            }),
            None if all.len() == 1 => Ok(&all[0]),
            None => Err(UnknownDigest(format!(
                "there are several digests: choose one with `--digest` ({})",
                list_names(all)
            ))),
        }
    }

    /// The config as one digest sees it: its `[digest]` and `[schedule]`,
    /// its `List-Id`, its state folder. Everything that sends, previews or
    /// schedules one digest takes this view.
    pub fn for_digest(&self, digest: &Digest) -> Config {
        let mut view = self.clone();
        view.digest = digest.digest.clone();
        view.schedule = digest.schedule.clone();
        if digest.named {
            match &digest.list_id {
                Some(id) => view.sender.list_id = Some(id.clone()),
                None => view.sender.list_label = Some(digest.name.clone()),
            }
        }
        view.active = Some(digest.name.clone());
        view.active_state = Some(digest.state_dir.clone());
        view
    }

    /// The name of the digest this view is for (the default digest when the
    /// config is not a digest's view).
    pub fn digest_name(&self) -> &str {
        self.active.as_deref().unwrap_or(&self.default_digest)
    }

    /// The digest a subscriber without `digests` gets.
    pub fn default_digest(&self) -> &str {
        &self.default_digest
    }

    /// The state folder of this view's digest: editions, journal, the fire
    /// record and the delivery lock. Feeds and the bounce record stay in
    /// `delivery.state_dir`, shared by every digest.
    pub fn digest_state_dir(&self) -> &Path {
        match &self.active_state {
            Some(p) => p,
            None => self
                .resolved
                .iter()
                .find(|d| d.name == self.default_digest)
                .map_or(&self.delivery.state_dir, |d| &d.state_dir),
        }
    }

    /// True when `name` is a configured digest.
    pub fn has_digest(&self, name: &str) -> bool {
        self.resolved.iter().any(|d| d.name == name)
    }
}

/// A digest name that the config does not have, or none where one is needed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct UnknownDigest(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(
            &format!("[site]\nsource = \"s\"\n{text}"),
            Path::new("dir/config.toml"),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn the_old_form_is_one_digest_named_weekly_with_todays_state() {
        let c = parse("[digest]\nwindow_days = 3\n[schedule]\ncron = \"0 9 * * *\"\n").unwrap();
        let d = c.digest_named(None).unwrap();
        assert_eq!(d.name, "weekly");
        assert!(!d.named);
        assert_eq!(d.digest.window_days, 3);
        assert_eq!(d.schedule.cron, "0 9 * * *");
        assert_eq!(d.state_dir, Path::new("dir/state"));
        let view = c.for_digest(d);
        assert_eq!(view.sender.list_id, None);
        assert_eq!(view.sender.list_label, None);
        assert_eq!(view.digest_state_dir(), Path::new("dir/state"));
    }

    #[test]
    fn named_digests_inherit_and_override() {
        let c = parse(
            "[digest]\nmax_posts = 30\nsubject = \"S\"\n[schedule]\ntimezone = \"Europe/Amsterdam\"\n\
             [sender]\nlist_id = \"news.example.org\"\n\
             [digests.weekly]\ncron = \"0 8 * * MON\"\n\
             [digests.daily]\ncron = \"0 7 * * *\"\nwindow_days = 1\nmax_posts = 15\nlist_id = \"d.example.org\"\n",
        )
        .unwrap();
        assert_eq!(
            c.digests().iter().map(|d| &d.name[..]).collect::<Vec<_>>(),
            ["daily", "weekly"]
        );
        let daily = c.digest_named(Some("daily")).unwrap();
        assert_eq!((daily.digest.window_days, daily.digest.max_posts), (1, 15));
        assert_eq!(daily.digest.subject, "S");
        assert_eq!(
            daily.schedule.timezone,
            Some(Zone(chrono_tz::Europe::Amsterdam))
        );
        assert_eq!(daily.state_dir, Path::new("dir/state/digests/daily"));
        let weekly = c.digest_named(Some("weekly")).unwrap();
        assert_eq!(weekly.digest.window_days, 7);
        assert_eq!(weekly.state_dir, Path::new("dir/state"));
        assert_eq!(c.default_digest(), "weekly");
        assert_eq!(
            c.for_digest(daily).sender.list_id.as_deref(),
            Some("d.example.org")
        );
        let w = c.for_digest(weekly);
        assert_eq!(w.sender.list_label.as_deref(), Some("weekly"));
        assert_eq!(w.digest_name(), "weekly");
        let err = c.digest_named(None).unwrap_err().to_string();
        assert!(err.contains("`--digest` (`daily`, `weekly`)"), "{err}");
        let err = c.digest_named(Some("hourly")).unwrap_err().to_string();
        assert!(err.contains("unknown digest `hourly`"), "{err}");
    }

    #[test]
    fn bad_digests_are_config_errors() {
        for (text, wanted) in [
            ("[digests.Daily]\n", "a digest name is lower-case"),
            (
                "[digests.a]\nstate_dir = \"state\"\n[digests.weekly]\n",
                "digests `a` and `weekly` share the state folder",
            ),
            (
                "[digests.a]\n[digests.b]\n",
                "set `subscribers.default_digest`",
            ),
            (
                "[digests.a]\n[subscribers]\ndefault_digest = \"c\"\n",
                "unknown digest `c`",
            ),
            (
                "[digests.a]\nwindow_days = 0\n",
                "`digests.a.window_days` must be",
            ),
            ("[digests.a]\nwindw_days = 1\n", "windw_days"),
            (
                "[digests.a]\ncron = \"0 8 * * MONDAY\"\n",
                "`digests.a.cron`",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(wanted), "{text}: {err}");
        }
        let c = parse("[digests.a]\n[digests.b]\n[subscribers]\ndefault_digest = \"b\"\n").unwrap();
        assert_eq!(c.default_digest(), "b");
        assert_eq!(c.digest_state_dir(), Path::new("dir/state/digests/b"));
    }
}
