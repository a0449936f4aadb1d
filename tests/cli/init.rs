//! `postbode init` on the sample site (in a git work tree) and on an empty
//! folder, and the config lookup it relies on: without `--config`,
//! `./config.toml`, else `./_postbode/config.toml`.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::Run;

/// Runs the binary in `dir` with no `--config`.
fn postbode(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_postbode"))
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn sample_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample");
    common::copy_dir(&sample, &dir.path().join("site"));
    dir
}

#[test]
fn init_sets_up_the_sample_site_and_the_commands_find_its_config() {
    let tmp = sample_site();
    let site = tmp.path().join("site");
    std::fs::create_dir(site.join(".git")).unwrap();
    std::fs::write(site.join(".gitignore"), "_site\n").unwrap();

    let run = postbode(tmp.path(), &["init", "site"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let config = std::fs::read_to_string(site.join("_postbode/config.toml")).unwrap();
    assert!(config.contains("source = \"..\""), "{config}");
    assert!(config.contains("transport = \"file\""));
    assert!(config.contains("#   title = \"Leest Meer\""), "{config}");
    assert!(
        config.contains("#   timezone = \"Europe/Amsterdam\""),
        "{config}"
    );
    assert!(
        config.contains("# categories = [\"binnenland\", \"nieuws\", \"tech\""),
        "most used first: {config}"
    );
    assert!(
        config.contains("from = \"Leest Meer <digest@leestmeer.example.org>\""),
        "{config}"
    );
    // The next three commands.
    assert!(
        run.stdout.contains("postbode preview --out digest.html"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("postbode send --to you@example.org"));
    assert!(run.stdout.contains("* * * * cd "));
    assert!(run.stdout.contains("postbode send --if-due -q"));
    // The list, state and outbox are kept out of git.
    let ignore = std::fs::read_to_string(site.join(".gitignore")).unwrap();
    assert!(ignore.starts_with("_site\n"));
    for line in [
        "_postbode/subscribers.yaml",
        "_postbode/state/",
        "_postbode/outbox/",
    ] {
        assert!(ignore.lines().any(|l| l == line), "{line}: {ignore}");
    }

    // From the site folder, postbode finds `_postbode/config.toml`.
    let run = postbode(&site, &["subscribers", "add", "ada@example.org"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list = std::fs::read_to_string(site.join("_postbode/subscribers.yaml")).unwrap();
    assert!(list.contains("ada@example.org"));
    let run = postbode(
        &site,
        &["send", "--since", "2026-11-16", "--until", "2026-11-23"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(site.join("_postbode/outbox").is_dir());
    assert!(site.join("_postbode/state/editions").is_dir());
    // Nothing of postbode's where Jekyll publishes: `check` has no
    // privacy warning.
    let run = postbode(&site, &["check"]);
    assert!(
        !run.stdout.contains("would put every reader"),
        "{}",
        run.stdout
    );

    // A second `init` refuses; `--force` rewrites the config and keeps the list.
    let run = postbode(tmp.path(), &["init", "site"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("exists already; pass `--force`"),
        "{}",
        run.stderr
    );
    let run = postbode(tmp.path(), &["init", "site", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::read_to_string(site.join("_postbode/subscribers.yaml"))
            .unwrap()
            .contains("ada@example.org")
    );
    let ignore = std::fs::read_to_string(site.join(".gitignore")).unwrap();
    assert_eq!(ignore.matches("_postbode/state/").count(), 1, "{ignore}");
}

#[test]
fn init_on_an_empty_folder_and_the_lookup_order() {
    let tmp = tempfile::tempdir().unwrap();
    let run = postbode(tmp.path(), &["init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("sets no `timezone`"), "{}", run.stderr);
    assert!(run.stderr.contains("sets no `url`"), "{}", run.stderr);
    assert!(tmp.path().join("_postbode/config.toml").is_file());
    assert!(
        !tmp.path().join(".gitignore").exists(),
        "not a git work tree"
    );
    let run = postbode(tmp.path(), &["subscribers", "list", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "[]");
    // An empty site has no URL: `check` says so, about the config `init` wrote.
    let run = postbode(tmp.path(), &["check"]);
    assert!(
        run.stdout
            .contains("_postbode/config.toml: `site.url` is not set"),
        "{}",
        run.stdout
    );

    // `./config.toml` wins over `_postbode/config.toml`; `--config` over both.
    std::fs::write(
        tmp.path().join("config.toml"),
        "[site]\nsource = \"nowhere\"\n",
    )
    .unwrap();
    let run = postbode(tmp.path(), &["check"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("nowhere"), "{}", run.stderr);
    let run = postbode(
        tmp.path(),
        &["--config", "_postbode/config.toml", "subscribers", "list"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Neither file: the error names the usual one.
    let empty = tempfile::tempdir().unwrap();
    let run = postbode(empty.path(), &["check"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("config.toml"), "{}", run.stderr);
}
