//! Subscriber-list benchmark on a generated list of 100,000 subscribers:
//! loading, one `add`, an `import` of 10,000 rows, and peak memory, in-process
//! (the library) and through the release binary. Prints medians.
//!
//!   cargo build --release && cargo bench --bench subscribers
//!
//! The binary is `target/release/postbode` (or `$POSTBODE_BIN`); without it
//! only the in-process figures are printed.
#![cfg_attr(test, allow(dead_code))]

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::DateTime;
use postbode::subscribers::{self, Address, Status, Store, StoreError, Subscriber};

const LIST: usize = 100_000;
const IMPORT: usize = 10_000;
const CATEGORIES: [&str; 5] = ["nieuws", "tech", "sport", "cultuur", "economie"];

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let list_path = dir.path().join("subscribers.yaml");
    let pristine = dir.path().join("pristine.yaml");
    let csv_path = dir.path().join("import.csv");

    let started = Instant::now();
    generate_list(&list_path);
    fs::copy(&list_path, &pristine).expect("copy list");
    generate_csv(&csv_path);
    let size = fs::metadata(&list_path).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {LIST} subscribers ({:.1} MB) and a {IMPORT}-row CSV in {:.2} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    println!();
    println!(
        "{:<44} {:>10} {:>10} {:>10}",
        "operation (100,000 subscribers)", "median", "min", "max"
    );

    // In-process.
    let store = Store::open(&list_path);
    report(
        "load (library)",
        time(9, || {
            let list = store.load().expect("load");
            assert_eq!(list.len(), LIST);
        }),
    );
    let mut n = 0;
    report(
        "add one (library, locked write)",
        time(5, || {
            n += 1;
            let address = Address::parse(&format!("lib{n}@bench.example")).expect("address");
            store
                .update(|list| {
                    list.push(Subscriber::new(address, None, vec![], now()));
                    Ok::<_, StoreError>(())
                })
                .expect("update");
        }),
    );
    restore(&pristine, &list_path);
    report(
        "import 10,000 rows (library: parse + update)",
        time_with_setup(
            3,
            || restore(&pristine, &list_path),
            || {
                let data = fs::read(&csv_path).expect("csv");
                let rows = subscribers::import::parse(&data).expect("parse csv");
                store
                    .update(|list| {
                        // As the command does: addresses on the list are skipped.
                        let on_list: HashSet<String> = list.iter().map(Subscriber::key).collect();
                        for row in rows.rows {
                            if !on_list.contains(&row.address.key) {
                                list.push(Subscriber::new(
                                    row.address,
                                    row.name,
                                    row.categories,
                                    now(),
                                ));
                            }
                        }
                        Ok::<_, StoreError>(())
                    })
                    .expect("update");
            },
        ),
    );
    let hwm = vm_hwm_kb();
    println!(
        "{:<44} {:>10}",
        "peak memory (library, all of the above)",
        kb(hwm)
    );

    // Through the release binary.
    let Some(bin) = binary() else {
        println!("\n(no release binary: run `cargo build --release` for the binary figures)");
        return;
    };
    let config = dir.path().join("config.toml");
    fs::write(
        &config,
        "[site]\nsource = \"site\"\n\n[subscribers]\nfile = \"subscribers.yaml\"\n",
    )
    .expect("config");
    let run = |args: &[&str]| {
        let status = Command::new(&bin)
            .arg("--config")
            .arg(&config)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run postbode");
        // `import` exits 1 because the CSV has a few bad rows on purpose.
        let expected = if args.contains(&"import") { 1 } else { 0 };
        assert_eq!(status.code(), Some(expected), "postbode {args:?}");
    };
    restore(&pristine, &list_path);
    report(
        "`subscribers list --status bounced` (binary)",
        time(5, || {
            run(&["-q", "subscribers", "list", "--status", "bounced"])
        }),
    );
    let mut n = 0;
    report(
        "`subscribers add` (binary)",
        time(5, || {
            n += 1;
            run(&[
                "-q",
                "subscribers",
                "add",
                &format!("bin{n}@bench.example"),
                "--category",
                "tech",
            ]);
        }),
    );
    let csv = csv_path.to_string_lossy().into_owned();
    report(
        "`subscribers import` 10,000 rows (binary)",
        time_with_setup(
            3,
            || restore(&pristine, &list_path),
            || {
                run(&["-q", "subscribers", "import", &csv]);
            },
        ),
    );
    restore(&pristine, &list_path);
    for (label, args) in [
        (
            "peak memory `subscribers add` (binary)",
            vec!["subscribers", "add", "mem@bench.example"],
        ),
        (
            "peak memory `subscribers import` (binary)",
            vec!["subscribers", "import", csv.as_str()],
        ),
    ] {
        match max_rss_kb(&bin, &config, &args) {
            Some(rss) => println!("{label:<44} {:>10}", kb(rss)),
            None => println!("{label:<44} {:>10}", "(no /usr/bin/time)"),
        }
    }
}

fn now() -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-16T08:00:00+01:00").expect("time")
}

/// A list shaped like a real one: most active, some with a name and a few
/// categories, some unsubscribed or bouncing.
fn generate_list(path: &Path) {
    let list: Vec<Subscriber> = (0..LIST)
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
        .collect();
    Store::open(path)
        .update(|l| {
            *l = list;
            Ok::<_, StoreError>(())
        })
        .expect("write list");
}

/// New addresses, plus a few that are on the list, repeated or invalid.
fn generate_csv(path: &Path) {
    let mut text = String::from("email,name,categories\n");
    for i in 0..IMPORT {
        let email = match i % 500 {
            0 => format!("reader.{i}@domain{}.example", i % 997),
            1 => "not an address".to_owned(),
            _ => format!("new.{i}@import{}.example", i % 101),
        };
        text.push_str(&format!("{email},Nieuwe Lezer {i},tech;sport\n"));
    }
    fs::write(path, text).expect("write csv");
}

fn restore(from: &Path, to: &Path) {
    fs::copy(from, to).expect("restore list");
}

fn time(reps: usize, mut f: impl FnMut()) -> Vec<Duration> {
    time_with_setup(reps, || {}, &mut f)
}

fn time_with_setup(reps: usize, mut setup: impl FnMut(), mut f: impl FnMut()) -> Vec<Duration> {
    (0..reps)
        .map(|_| {
            setup();
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect()
}

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!(
        "{label:<44} {:>10} {:>10} {:>10}",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
}

fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("POSTBODE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/postbode"));
    path.is_file().then_some(path)
}

/// This process's peak resident memory.
fn vm_hwm_kb() -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// A child's peak resident memory, from GNU time.
fn max_rss_kb(bin: &Path, config: &Path, args: &[&str]) -> Option<u64> {
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdout(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
}

fn kb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}
