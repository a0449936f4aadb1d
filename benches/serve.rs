//! `postbode serve` under hostile and heavy traffic, on a generated list of
//! 100,000 subscribers in the YAML store, through the release binary and a
//! real HTTP client (ureq) over loopback:
//!
//! - `memory`: 1,000 GETs of made-up tokens from 128 concurrent clients;
//!   the server's resident memory (VmRSS, VmHWM) beside the list's own
//!   in-memory size (its entries and their strings);
//! - `unsubscribe`: one-click unsubscribes from 16 concurrent clients for
//!   20 s while another process runs `postbode subscribers add` in a loop;
//!   rate, median and p99 latency, then every acknowledged unsubscribe and
//!   every add counted in the list;
//! - `idle`: 700 connections that send nothing, then real requests and
//!   their latency;
//! - `sqlite`: one-click unsubscribes from 16 clients for 20 s on a list of
//!   1,000,000 in the SQLite store while `subscribers add` loops; rate,
//!   latency, serve's memory, and every acknowledged unsubscribe checked.
//!
//!   cargo build --release && cargo bench --bench serve [-- PHASE…]
//!
//! The binary is `target/release/postbode`, or `$POSTBODE_BIN` (to run an
//! older build the same way). `$POSTBODE_ADD_PAUSE_MS` pauses the add loop
//! between adds (default: none, one add right after the other).

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::DateTime;
use postbode::subscribers::{Address, Status, Store, StoreError, Subscriber};
use rand::RngCore;

const LIST: usize = 100_000;
const CATEGORIES: [&str; 5] = ["nieuws", "tech", "sport", "cultuur", "economie"];

fn main() {
    let phases: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let run = |p: &str| phases.is_empty() || phases.iter().any(|a| a == p);
    let Some(bin) = binary() else {
        eprintln!("build the release binary first: cargo build --release");
        std::process::exit(2);
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let pristine = dir.path().join("pristine.yaml");
    let started = Instant::now();
    let list_size_kb = generate_list(&pristine);
    let resident_kb = list_resident_kb(&pristine);
    let size = fs::metadata(&pristine).map(|m| m.len()).unwrap_or(0);
    println!(
        "binary {}\ngenerated {LIST} subscribers ({:.1} MB) in {:.1} s; loaded, the list takes {} in memory \
         (entries and strings), {} resident with the allocator's overhead",
        bin.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        mb(list_size_kb),
        mb(resident_kb)
    );
    if run("memory") {
        memory(&bin, dir.path(), &pristine, list_size_kb);
    }
    if run("unsubscribe") {
        unsubscribe(&bin, dir.path(), &pristine);
    }
    if run("idle") {
        idle(&bin, dir.path(), &pristine);
    }
    if run("sqlite") {
        sqlite(&bin, dir.path());
    }
}

/// One-click unsubscribes from 16 clients for 20 s on a list of 1,000,000
/// in SQLite, while `subscribers add` runs in a loop.
fn sqlite(bin: &Path, dir: &Path) {
    const ROWS: usize = 1_000_000;
    const CLIENTS: usize = 16;
    const FOR: Duration = Duration::from_secs(20);
    let site = Site::sqlite(dir);
    let started = Instant::now();
    let list = generate(ROWS);
    let tokens: Vec<String> = list
        .iter()
        .filter(|s| s.status == Status::Active)
        .map(|s| s.token.clone())
        .collect();
    Store::open(&site.list)
        .add_many(list, false)
        .expect("write the database");
    let size = fs::metadata(&site.list).map(|m| m.len()).unwrap_or(0);
    println!();
    println!(
        "sqlite: generated {ROWS} subscribers ({:.0} MB database) in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let server = site.serve(bin);
    let stop = Arc::new(AtomicBool::new(false));
    let adder = add_loop(bin, &site.config, Duration::ZERO, &stop);
    let acknowledged = Mutex::new(Vec::new());
    let errors = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    let mut times = clients(CLIENTS, usize::MAX, |_, _| {
        if start.elapsed() >= FOR {
            return Duration::MAX;
        }
        let token = &tokens[next.fetch_add(1, Ordering::Relaxed) % tokens.len()];
        let t = Instant::now();
        let status = one_click(&server.url(&format!("/unsubscribe/{token}")));
        let took = t.elapsed();
        if status == 200 {
            acknowledged.lock().expect("lock").push(token.clone());
        } else {
            errors.fetch_add(1, Ordering::Relaxed);
        }
        took
    });
    let took = start.elapsed();
    stop.store(true, Ordering::Release);
    let (added, _) = adder.join().expect("adder");
    let (rss, hwm) = server.memory();
    drop(server);
    let acknowledged = acknowledged.into_inner().expect("lock");
    let store = Store::open(&site.list);
    let lost = acknowledged
        .iter()
        .filter(|t| {
            store
                .find_by_token(t)
                .ok()
                .flatten()
                .is_none_or(|s| s.status != Status::Unsubscribed)
        })
        .count();
    println!("  one-click POSTs, {CLIENTS} clients, {FOR:?}, `subscribers add` looping");
    println!(
        "  {} acknowledged ({} errors) in {:.1} s = {:.0}/s; latency {}",
        acknowledged.len(),
        errors.load(Ordering::Relaxed),
        took.as_secs_f64(),
        acknowledged.len() as f64 / took.as_secs_f64(),
        percentiles(&mut times)
    );
    println!(
        "  adds: {added}; acknowledged unsubscribes missing from the database: {lost}; serve's VmRSS {}, VmHWM {}",
        mb(rss),
        mb(hwm)
    );
}

/// 1,000 made-up tokens from 128 clients; the server's memory after.
fn memory(bin: &Path, dir: &Path, pristine: &Path, list_kb: u64) {
    // What serve itself takes: the same server on a list of one.
    let one = dir.join("one.yaml");
    Store::open(&one)
        .update(|l| {
            *l = generate(1);
            Ok::<_, StoreError>(())
        })
        .expect("write list");
    let (footprint, _) = Site::new(dir, &one).serve(bin).memory();
    let site = Site::new(dir, pristine);
    let server = site.serve(bin);
    let (rss_start, _) = server.memory();
    let served = AtomicUsize::new(0);
    let start = Instant::now();
    let mut times = clients(128, 1_000, |_, _| {
        let token = random_token();
        let t = Instant::now();
        let status = get(&server.url(&format!("/unsubscribe/{token}")));
        assert_eq!(status, 404);
        served.fetch_add(1, Ordering::Relaxed);
        t.elapsed()
    });
    let took = start.elapsed();
    let (rss, hwm) = server.memory();
    println!();
    println!("memory: 1,000 GETs of made-up tokens, 128 concurrent clients");
    println!(
        "  {} answered in {:.2} s ({:.0}/s); latency {}",
        served.load(Ordering::Relaxed),
        took.as_secs_f64(),
        1000.0 / took.as_secs_f64(),
        percentiles(&mut times)
    );
    println!(
        "  serve's VmRSS {} before, {} after; VmHWM {}; 2 × the list in memory = {}",
        mb(rss_start),
        mb(rss),
        mb(hwm),
        mb(2 * list_kb)
    );
    println!(
        "  serve on a list of one: VmRSS {}; so the list and its indexes take {}",
        mb(footprint),
        mb(rss.saturating_sub(footprint))
    );
}

/// One-click unsubscribes from 16 clients for 20 s while `subscribers add`
/// runs in a loop; then the list is counted.
fn unsubscribe(bin: &Path, dir: &Path, pristine: &Path) {
    const CLIENTS: usize = 16;
    const FOR: Duration = Duration::from_secs(20);
    let site = Site::new(dir, pristine);
    let list = Store::open(&site.list).load().expect("load");
    let tokens: Vec<String> = list
        .iter()
        .filter(|s| s.status == Status::Active)
        .map(|s| s.token.clone())
        .collect();
    drop(list);
    let server = site.serve(bin);

    let pause = Duration::from_millis(
        std::env::var("POSTBODE_ADD_PAUSE_MS")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let adder = add_loop(bin, &site.config, pause, &stop);
    let acknowledged = Mutex::new(Vec::new());
    let errors = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    let mut times = clients(CLIENTS, usize::MAX, |_, _| {
        if start.elapsed() >= FOR {
            return Duration::MAX;
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        let token = &tokens[i % tokens.len()];
        let t = Instant::now();
        let status = one_click(&server.url(&format!("/unsubscribe/{token}")));
        let took = t.elapsed();
        if status == 200 {
            acknowledged.lock().expect("lock").push(token.clone());
        } else {
            errors.fetch_add(1, Ordering::Relaxed);
        }
        took
    });
    let took = start.elapsed();
    stop.store(true, Ordering::Release);
    let (added, add_failed) = adder.join().expect("adder");
    drop(server);

    let acknowledged = acknowledged.into_inner().expect("lock");
    let list = Store::open(&site.list).load().expect("load");
    let unsubscribed: std::collections::HashSet<&str> = list
        .iter()
        .filter(|s| s.status == Status::Unsubscribed)
        .map(|s| s.token.as_str())
        .collect();
    let lost = acknowledged
        .iter()
        .filter(|t| !unsubscribed.contains(t.as_str()))
        .count();
    let adds_found = list
        .iter()
        .filter(|s| s.email.ends_with("@added.example"))
        .count();
    println!();
    println!(
        "unsubscribe: one-click POSTs, {CLIENTS} clients, {FOR:?}, `subscribers add` looping (pause {pause:?})"
    );
    println!(
        "  {} acknowledged ({} errors) in {:.1} s = {:.1}/s; latency {}",
        acknowledged.len(),
        errors.load(Ordering::Relaxed),
        took.as_secs_f64(),
        acknowledged.len() as f64 / took.as_secs_f64(),
        percentiles(&mut times)
    );
    println!(
        "  adds: {added} done ({add_failed} failed), {adds_found} on the list; acknowledged unsubscribes missing from the list: {lost}"
    );
}

/// `postbode subscribers add` in a loop, `pause` apart, until `stop`;
/// the adds done and failed.
fn add_loop(
    bin: &Path,
    config: &Path,
    pause: Duration,
    stop: &Arc<AtomicBool>,
) -> std::thread::JoinHandle<(usize, usize)> {
    let stop = Arc::clone(stop);
    let (bin, config) = (bin.to_owned(), config.to_owned());
    std::thread::spawn(move || {
        let (mut added, mut failed) = (0usize, 0usize);
        while !stop.load(Ordering::Acquire) {
            let ok = Command::new(&bin)
                .arg("--config")
                .arg(&config)
                .args(["subscribers", "add", &format!("loop{added}@added.example")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                added += 1;
            } else {
                failed += 1;
            }
            std::thread::sleep(pause);
        }
        (added, failed)
    })
}

/// 700 idle connections, then real requests.
fn idle(bin: &Path, dir: &Path, pristine: &Path) {
    let site = Site::new(dir, pristine);
    let token = Store::open(&site.list).load().expect("load")[5]
        .token
        .clone();
    let server = site.serve(bin);
    let idle: Vec<TcpStream> = (0..700)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", server.port)).ok())
        .collect();
    let opened = idle.len();
    let mut times: Vec<Duration> = (0..10)
        .map(|_| {
            let t = Instant::now();
            let status = get(&server.url(&format!("/unsubscribe/{token}")));
            assert_eq!(status, 200);
            t.elapsed()
        })
        .collect();
    drop(idle);
    println!();
    println!("idle: {opened} connections that send nothing, then 10 real GETs one after another");
    println!("  latency {}", percentiles(&mut times));
}

/// `n` client threads doing `total` requests between them; `request`
/// returns its latency, or `Duration::MAX` to stop that client.
fn clients(
    n: usize,
    total: usize,
    request: impl Fn(usize, usize) -> Duration + Sync,
) -> Vec<Duration> {
    let left = AtomicUsize::new(total);
    let times = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for c in 0..n {
            let (left, times, request) = (&left, &times, &request);
            scope.spawn(move || {
                let mut mine = Vec::new();
                let mut k = 0;
                while left
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |l| l.checked_sub(1))
                    .is_ok()
                {
                    let t = request(c, k);
                    if t == Duration::MAX {
                        break;
                    }
                    mine.push(t);
                    k += 1;
                }
                times.lock().expect("lock").extend(mine);
            });
        }
    });
    times.into_inner().expect("lock")
}

thread_local! {
    static AGENT: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
}

fn get(url: &str) -> u16 {
    AGENT.with(|a| {
        a.get(url)
            .call()
            .map(|mut r| {
                let _ = r.body_mut().read_to_vec();
                r.status().as_u16()
            })
            .unwrap_or(0)
    })
}

fn one_click(url: &str) -> u16 {
    AGENT.with(|a| {
        a.post(url)
            .send_form([("List-Unsubscribe", "One-Click")])
            .map(|mut r| {
                let _ = r.body_mut().read_to_vec();
                r.status().as_u16()
            })
            .unwrap_or(0)
    })
}

fn random_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn percentiles(times: &mut [Duration]) -> String {
    if times.is_empty() {
        return "(none)".into();
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    format!(
        "median {}, p99 {}, max {}",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(times[times.len() - 1])
    )
}

/// A folder with a config for `serve` and a fresh copy of the list.
struct Site {
    config: PathBuf,
    list: PathBuf,
}

impl Site {
    fn new(dir: &Path, pristine: &Path) -> Site {
        let site = dir.join("site");
        let _ = fs::remove_dir_all(&site);
        fs::create_dir_all(site.join("subscribers")).expect("site folder");
        let list = site.join("subscribers/subscribers.yaml");
        fs::copy(pristine, &list).expect("copy list");
        let config = site.join("config.toml");
        fs::write(
            &config,
            r#"[site]
source = "."
title = "Bench"
url = "https://bench.example"

[sender]
from = "Bench <news@bench.example>"
unsubscribe_url = "https://bench.example/unsubscribe/{token}"

[delivery]
transport = "file"
"#,
        )
        .expect("config");
        Site { config, list }
    }

    /// A folder with a config for `serve` on an SQLite list (not yet made).
    fn sqlite(dir: &Path) -> Site {
        let site = dir.join("site-sqlite");
        let _ = fs::remove_dir_all(&site);
        fs::create_dir_all(site.join("subscribers")).expect("site folder");
        let config = site.join("config.toml");
        fs::write(
            &config,
            r#"[site]
source = "."
title = "Bench"
url = "https://bench.example"

[sender]
from = "Bench <news@bench.example>"
unsubscribe_url = "https://bench.example/unsubscribe/{token}"

[delivery]
transport = "file"

[subscribers]
file = "subscribers/subscribers.sqlite"
"#,
        )
        .expect("config");
        Site {
            config,
            list: site.join("subscribers/subscribers.sqlite"),
        }
    }

    fn serve(&self, bin: &Path) -> Server {
        let port = free_port();
        let mut child = Command::new(bin)
            .arg("--config")
            .arg(&self.config)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start serve");
        let stderr = child.stderr.take().expect("stderr");
        // Drained, so a chatty server never blocks on a full pipe.
        std::thread::spawn(move || for _ in BufReader::new(stderr).lines() {});
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "serve did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Server { child, port }
    }
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// VmRSS and VmHWM, in kB.
    fn memory(&self) -> (u64, u64) {
        let status =
            fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        (field_kb(&status, "VmRSS:"), field_kb(&status, "VmHWM:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn field_kb(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
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

/// Writes a list shaped like a real one (as `benches/subscribers.rs` does)
/// and returns the size of the loaded list in memory, in kB.
fn generate_list(path: &Path) -> u64 {
    let list = generate(LIST);
    Store::open(path)
        .update(|l| {
            *l = list;
            Ok::<_, StoreError>(())
        })
        .expect("write list");
    list_size_kb(path)
}

/// `n` readers: most active, every 20th unsubscribed, every 20th bounced.
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

/// The list's resident size: this process's VmRSS with the list loaded,
/// minus without it (freed memory given back first).
fn list_resident_kb(path: &Path) -> u64 {
    let own = || {
        field_kb(
            &fs::read_to_string("/proc/self/status").unwrap_or_default(),
            "VmRSS:",
        )
    };
    trim();
    let before = own();
    let loaded = Store::open(path).load().expect("load");
    trim();
    let after = own();
    drop(loaded);
    trim();
    after.saturating_sub(before)
}

fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases memory that is free.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn list_size_kb(path: &Path) -> u64 {
    // What one loaded list holds: its entries and every string in them
    // (without the allocator's own few bytes per allocation).
    let loaded = Store::open(path).load().expect("load");
    let strings: usize = loaded
        .iter()
        .map(|s| {
            s.email.capacity()
                + s.token.capacity()
                + s.name.as_ref().map_or(0, String::capacity)
                + s.categories.capacity() * std::mem::size_of::<String>()
                + s.categories.iter().map(String::capacity).sum::<usize>()
        })
        .sum();
    ((loaded.capacity() * std::mem::size_of::<Subscriber>() + strings) / 1024) as u64
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}
