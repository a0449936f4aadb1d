//! What `check` says about the digests: which there are (with `-v`), and
//! subscribers who name a digest the config does not have.

use super::Output;
use crate::config::Config;
use crate::subscribers::Store;

/// Prints the digests with `-v` and one line per subscriber on an unknown
/// digest; returns the number of problems.
pub fn check(config: &Config, out: &Output) -> usize {
    if out.verbose > 0 && !out.quiet {
        for d in config.digests() {
            let form = if d.named {
                format!("`[digests.{}]`", d.name)
            } else {
                "`[digest]` and `[schedule]` (one digest, named `weekly`)".to_owned()
            };
            let default = if d.name == config.default_digest() {
                ", the default"
            } else {
                ""
            };
            eprintln!(
                "digest `{}`{default}: {form}, `{}` in {}, state in `{}`",
                d.name,
                d.schedule.cron.text,
                d.schedule
                    .timezone
                    .map_or("the site's timezone".to_owned(), |z| z.0.name().to_owned()),
                d.state_dir.display()
            );
        }
    }
    // A list that cannot be read is reported by the list's own check.
    let Ok(list) = Store::open(&config.subscribers.file).load() else {
        return 0;
    };
    let mut problems = 0;
    for s in &list {
        for name in s.digests.iter().filter(|n| !config.has_digest(n)) {
            println!(
                "{}: `{}` is on the digest `{name}`, which `{}` does not have; they get nothing from it",
                config.subscribers.file.display(),
                s.email,
                config.path.display()
            );
            problems += 1;
        }
    }
    problems
}
