//! Runs the real `postbode` binary in a temp dir, like a user's session:
//! `Postbode::new().site("nested_posts").args(["posts", "--json"]).succeeds()`.
#![allow(dead_code)]

pub mod http;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Postbode {
    pub dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
}

/// What a finished run printed.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

impl Postbode {
    /// An empty temp dir with a `config.toml` pointing at `site/`.
    pub fn new() -> Postbode {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("site")).unwrap();
        let p = Postbode {
            dir,
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
        };
        p.config("")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces `config.toml` with `[site] source = "site"` plus `extra`
    /// (which may add keys to `[site]` first, then other tables).
    pub fn config(self, extra: &str) -> Postbode {
        let text = format!("[site]\nsource = \"site\"\ntimezone = \"Europe/Amsterdam\"\n{extra}\n");
        std::fs::write(self.dir.path().join("config.toml"), text).unwrap();
        self
    }

    /// Writes `config.toml` verbatim.
    pub fn raw_config(self, text: &str) -> Postbode {
        std::fs::write(self.dir.path().join("config.toml"), text).unwrap();
        self
    }

    /// Copies `tests/fixtures/<name>/` into the temp dir's `site/`.
    pub fn site(self, name: &str) -> Postbode {
        copy_dir(&fixtures().join(name), &self.dir.path().join("site"));
        self
    }

    /// Writes a file relative to the temp dir.
    pub fn file(self, rel: &str, contents: impl AsRef<[u8]>) -> Postbode {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Postbode
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args = args.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Postbode {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Postbode {
        self.stdin = Some(data.into());
        self
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_postbode"));
        cmd.current_dir(self.dir.path()).args(&self.args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self) -> Run {
        let out: Output = match &self.stdin {
            None => self
                .command()
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap(),
            Some(data) => {
                use std::io::Write;
                let mut child = self
                    .command()
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                child.stdin.take().unwrap().write_all(data).unwrap();
                child.wait_with_output().unwrap()
            }
        };
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// Runs and asserts exit code 0.
    pub fn succeeds(&self) -> Run {
        let run = self.run();
        assert_eq!(
            run.code, 0,
            "expected success of {:?}\nstdout:\n{}\nstderr:\n{}",
            self.args, run.stdout, run.stderr
        );
        run
    }

    /// Runs and asserts the given non-zero exit code.
    pub fn fails(&self, code: i32) -> Run {
        let run = self.run();
        assert_eq!(
            run.code, code,
            "expected exit {code} of {:?}\nstdout:\n{}\nstderr:\n{}",
            self.args, run.stdout, run.stderr
        );
        run
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
