//! Two digests in one run: `send --if-due` with a daily and a weekly digest
//! due at the same minute and 100,000 subscribers split between them (or
//! `POSTBODE_BENCH_LIST`), against the reference: the same readers as two
//! single-digest lists, each with its own config and state, sent one after
//! the other by a binary of the code before several digests
//! (`POSTBODE_REF_BIN`; without it, this binary in the old config form).
//! Wall time, CPU time and peak resident memory of each process, the file
//! transport writing every message, in the same run.
//!
//!   cargo build --release && POSTBODE_REF_BIN=… cargo bench --bench digests
#![cfg_attr(test, allow(dead_code))]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::DateTime;
use postbode::subscribers::{Address, Store, StoreError, Subscriber};

const CATEGORIES: [&str; 5] = ["nieuws", "tech", "sport", "cultuur", "economie"];
const WEEK: [&str; 4] = ["--since", "2026-11-16", "--until", "2026-11-23"];
/// A Monday 08:01 in Amsterdam, well after the generated posts.
const NOW: &str = "2027-03-01T08:01:00+01:00";

fn main() {
    let Some(bin) = binary() else {
        eprintln!("no release binary: run `cargo build --release` first (or set POSTBODE_BIN)");
        std::process::exit(1);
    };
    let reference = std::env::var_os("POSTBODE_REF_BIN").map(PathBuf::from);
    let n: usize = std::env::var("POSTBODE_BENCH_LIST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    write_site(dir.path());

    // One list, half on `daily`, half on the default `weekly`; and the same
    // readers as two lists, for the reference.
    let all = generate(n);
    let (daily, weekly): (Vec<Subscriber>, Vec<Subscriber>) =
        all.iter().cloned().partition(|s| !s.digests.is_empty());
    let strip = |mut v: Vec<Subscriber>| {
        v.iter_mut().for_each(|s| s.digests.clear());
        v
    };
    for (name, list) in [
        ("both.yaml", all),
        ("daily.yaml", strip(daily)),
        ("weekly.yaml", strip(weekly)),
    ] {
        Store::open(dir.path().join(name))
            .update(|l| {
                *l = list;
                Ok::<_, StoreError>(())
            })
            .expect("write list");
    }
    let two = write_config(
        dir.path(),
        "two",
        "both.yaml",
        "[digests.weekly]\ncron = \"0 8 * * MON\"\n[digests.daily]\ncron = \"0 8 * * *\"\n",
    );
    let old = ["daily", "weekly"].map(|d| {
        write_config(
            dir.path(),
            &format!("old-{d}"),
            &format!("{d}.yaml"),
            "[schedule]\ncron = \"0 8 * * *\"\n",
        )
    });

    let ref_bin = reference.as_deref().unwrap_or(&bin);
    let ref_label = if reference.is_some() {
        "POSTBODE_REF_BIN"
    } else {
        "this binary, old config form"
    };
    let mut send_old = Vec::new();
    for config in &old {
        let mut args = vec!["send"];
        args.extend(WEEK);
        send_old.push(run(ref_bin, config, &args));
    }
    let mut args = vec!["send", "--if-due"];
    args.extend(WEEK);
    let both = run(&bin, &two, &args);
    let outbox = count_files(&dir.path().join("outbox-two"));
    let outbox_old = count_files(&dir.path().join("outbox-old-daily"))
        + count_files(&dir.path().join("outbox-old-weekly"));
    assert_eq!(outbox, outbox_old, "both sides send the same messages");

    println!(
        "{n} subscribers, half on each digest; {outbox} messages on each side (file transport)"
    );
    println!();
    println!(
        "{:<58} {:>12} {:>12} {:>10}",
        "run (release binaries, one after the other)", "wall", "cpu", "peak"
    );
    let line = |label: &str, m: &Measured| {
        println!(
            "{label:<58} {:>12} {:>12} {:>10}",
            secs(m.time),
            secs(m.cpu),
            mb(m.peak_kb)
        );
    };
    line(
        &format!("reference ({ref_label}): send daily list"),
        &send_old[0],
    );
    line(
        &format!("reference ({ref_label}): send weekly list"),
        &send_old[1],
    );
    let total = Measured {
        time: send_old[0].time + send_old[1].time,
        cpu: send_old[0].cpu + send_old[1].cpu,
        peak_kb: send_old[0].peak_kb.max(send_old[1].peak_kb),
    };
    line("reference: both, one after the other", &total);
    line("send --if-due, two digests due at the same minute", &both);
    println!();
    println!(
        "two digests in one run: {:.2}× the reference's wall time, {:.2}× its CPU time, peak {} (limit 100 MB)",
        both.time.as_secs_f64() / total.time.as_secs_f64(),
        both.cpu.as_secs_f64() / total.cpu.as_secs_f64().max(0.001),
        mb(both.peak_kb)
    );
}

#[derive(Debug, Clone, Copy)]
struct Measured {
    time: Duration,
    cpu: Duration,
    peak_kb: u64,
}

/// Runs the binary to the end under GNU time (wall, CPU, peak RSS), with
/// the schedule's clock at [`NOW`].
fn run(bin: &Path, config: &Path, args: &[&str]) -> Measured {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "postbode-time %U %S %M"])
        .arg(bin)
        .arg("--config")
        .arg(config)
        .arg("-q")
        .args(args)
        .env("POSTBODE_NOW", NOW)
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

fn count_files(dir: &Path) -> usize {
    let Ok(editions) = fs::read_dir(dir) else {
        return 0;
    };
    editions
        .filter_map(Result::ok)
        .map(|e| fs::read_dir(e.path()).map_or(0, Iterator::count))
        .sum()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
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

/// Every other reader on `daily`, the rest on the default (`weekly`);
/// categories and names as in `benches/big_list.rs`, all active.
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
            if i % 2 == 0 {
                s.digests = vec!["daily".to_owned()];
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

fn write_config(dir: &Path, name: &str, list: &str, digests: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    fs::write(
        &path,
        format!(
            "[site]\nsource = \"site\"\n\n[sender]\nfrom = \"Bench <digest@bench.example.org>\"\n\
             unsubscribe_url = \"https://bench.example.org/unsubscribe/{{token}}\"\n\n\
             [delivery]\ntransport = \"file\"\noutbox = \"outbox-{name}\"\nstate_dir = \"state-{name}\"\n\n\
             [subscribers]\nfile = \"{list}\"\n\n{digests}"
        ),
    )
    .expect("config");
    path
}
