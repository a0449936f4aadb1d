//! Big-list benchmark: the YAML store and the SQLite store side by side, in
//! the same run, on one generated list of 1,000,000 subscribers (or
//! `POSTBODE_BENCH_LIST`). Through the release binary, as a user runs it:
//! one `subscribers add`, one `subscribers unsubscribe`, and `send
//! --dry-run` (which reads the whole audience and composes every message),
//! each with its wall time and the process's peak resident memory.
//!
//!   cargo build --release && cargo bench --bench big_list
//!
//! The binary is `target/release/postbode` (or `$POSTBODE_BIN`).
#![cfg_attr(test, allow(dead_code))]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::DateTime;
use postbode::subscribers::{Address, Status, Store, StoreError, Subscriber};

const CATEGORIES: [&str; 5] = ["nieuws", "tech", "sport", "cultuur", "economie"];
const ADDS: usize = 3;

fn main() {
    let Some(bin) = binary() else {
        eprintln!("no release binary: run `cargo build --release` first (or set POSTBODE_BIN)");
        std::process::exit(1);
    };
    let n: usize = std::env::var("POSTBODE_BENCH_LIST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    write_site(dir.path());

    let started = Instant::now();
    let list = generate(n);
    let yaml = dir.path().join("list.yaml");
    let sqlite = dir.path().join("list.sqlite");
    for path in [&yaml, &sqlite] {
        let list = list.clone();
        Store::open(path)
            .update(|l| {
                *l = list;
                Ok::<_, StoreError>(())
            })
            .expect("write list");
    }
    drop(list);
    let size = |p: &Path| fs::metadata(p).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "generated {n} subscribers: YAML {:.1} MB, SQLite {:.1} MB, in {:.1} s",
        size(&yaml),
        size(&sqlite),
        started.elapsed().as_secs_f64()
    );
    println!();
    println!(
        "{:<36} {:>22} {:>10} {:>22} {:>10}",
        "operation (release binary)", "YAML wall / cpu", "peak", "SQLite wall / cpu", "peak"
    );

    let mut rows: Vec<(String, [Measured; 2])> = Vec::new();
    let stores = [("yaml", &yaml), ("sqlite", &sqlite)];
    let configs = stores.map(|(name, list)| config(dir.path(), name, list));

    // The floor under every command on this machine: starting the binary.
    rows.push((
        format!("process start, `--help` (median of {ADDS})"),
        configs
            .each_ref()
            .map(|c| median((0..ADDS).map(|_| run(&bin, c, &["--help"])).collect())),
    ));
    let add = |config: &Path, i: usize| {
        let email = format!("bench.{i}@new.example");
        run(&bin, config, &["-q", "subscribers", "add", &email])
    };
    rows.push((
        format!("subscribers add (median of {ADDS})"),
        configs
            .each_ref()
            .map(|c| median((0..ADDS).map(|i| add(c, i)).collect())),
    ));
    rows.push((
        format!("subscribers unsubscribe (median of {ADDS})"),
        configs.each_ref().map(|c| {
            median(
                (0..ADDS)
                    .map(|i| {
                        let r = (i * 7919 + 1) % n;
                        let email = format!("reader.{r}@domain{}.example", r % 997);
                        run(&bin, c, &["-q", "subscribers", "unsubscribe", &email])
                    })
                    .collect(),
            )
        }),
    ));
    rows.push((
        "send --dry-run (whole audience)".into(),
        configs.each_ref().map(|c| {
            run(
                &bin,
                c,
                &[
                    "send",
                    "--dry-run",
                    "--since",
                    "2026-11-16",
                    "--until",
                    "2026-11-23",
                ],
            )
        }),
    ));
    for (label, [y, s]) in &rows {
        println!(
            "{label:<36} {:>22} {:>10} {:>22} {:>10}",
            format!("{} / {}", ms(y.time), ms(y.cpu)),
            mb(y.peak_kb),
            format!("{} / {}", ms(s.time), ms(s.cpu)),
            mb(s.peak_kb)
        );
    }
}

#[derive(Debug, Clone, Copy)]
struct Measured {
    time: Duration,
    /// User plus system CPU time: on a busy machine, wall time says more
    /// about the neighbours than about postbode.
    cpu: Duration,
    peak_kb: u64,
}

fn median(mut all: Vec<Measured>) -> Measured {
    all.sort_by_key(|m| m.time);
    let mid = all[all.len() / 2];
    Measured {
        time: mid.time,
        cpu: mid.cpu,
        peak_kb: all.iter().map(|m| m.peak_kb).max().unwrap_or(0),
    }
}

/// Runs the binary to the end under GNU time: wall time, CPU time and peak
/// RSS. (The child's own `rusage` from `wait4` would count this process's
/// memory too, which the fork copies before the exec.)
fn run(bin: &Path, config: &Path, args: &[&str]) -> Measured {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "postbode-time %U %S %M"])
        .arg(bin)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .expect("run postbode under /usr/bin/time (Debian's `time` package)");
    let time = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "postbode {args:?} failed: {stderr}");
    let fields: Vec<&str> = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("postbode-time "))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    let secs = |i: usize| {
        Duration::from_secs_f64(fields.get(i).and_then(|v| v.parse().ok()).unwrap_or(0.0))
    };
    Measured {
        time,
        cpu: secs(0) + secs(1),
        peak_kb: fields.get(2).and_then(|v| v.parse().ok()).unwrap_or(0),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("POSTBODE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/postbode"));
    path.is_file().then_some(path)
}

fn now() -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-16T08:00:00+01:00").expect("time")
}

/// A list shaped like a real one (as in `benches/subscribers.rs`).
fn generate(n: usize) -> Vec<Subscriber> {
    (0..n)
        .map(|i| {
            let address =
                Address::parse(&format!("reader.{i}@domain{}.example", i % 997)).expect("address");
            let name = (i % 3 != 0).then(|| format!("Lezer Nummer {i}"));
            let categories = (0..i % 3)
                .map(|k| CATEGORIES[(i + k) % CATEGORIES.len()].to_owned())
                .collect();
            let mut s = Subscriber::new(address, name, categories, now());
            match i % 20 {
                0 => {
                    s.unsubscribe(now());
                }
                1 => {
                    s.bounces = 3;
                    s.status = Status::Bounced;
                }
                _ => {}
            }
            s
        })
        .collect()
}

/// A small Jekyll site with a week of posts in every category.
fn write_site(dir: &Path) {
    let site = dir.join("site");
    fs::create_dir_all(site.join("_posts")).expect("site");
    fs::write(
        site.join("_config.yml"),
        "title: Bench\nurl: https://bench.example.org\ntimezone: Europe/Amsterdam\n",
    )
    .expect("config");
    for day in 16..23 {
        for (k, c) in CATEGORIES.iter().enumerate() {
            fs::write(
                site.join(format!("_posts/2026-11-{day}-{c}-{k}.md")),
                format!(
                    "---\ntitle: \"{c} op dag {day}\"\ndate: 2026-11-{day} 09:00:00 +0100\ncategories: [{c}]\n---\n\nHet nieuws over {c} van dag {day}.\n"
                ),
            )
            .expect("post");
        }
    }
}

fn config(dir: &Path, name: &str, list: &Path) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    fs::write(
        &path,
        format!(
            "[site]\nsource = \"site\"\n\n[sender]\nfrom = \"Bench <digest@bench.example.org>\"\n\
             unsubscribe_url = \"https://bench.example.org/unsubscribe/{{token}}\"\n\n\
             [delivery]\ntransport = \"file\"\nstate_dir = \"state-{name}\"\n\n\
             [subscribers]\nfile = \"{}\"\n",
            list.display()
        ),
    )
    .expect("config");
    path
}
