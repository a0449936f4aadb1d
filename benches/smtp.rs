//! Delivery speed: `postbode send` to Postfix's `smtp-sink` on loopback,
//! beside Postfix's own `smtp-source` and a Python `smtplib` sender with the
//! same number of connections, in the same run; then peak memory for a
//! 100,000-recipient send.
//!
//! usage: cargo build --release && cargo bench --bench smtp [-- MESSAGES CONNECTIONS]
//! needs: smtp-sink and smtp-source (Debian package `postfix`), python3.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let count: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let conns: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(8);
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let binary = manifest.join("target/release/postbode");
    if !binary.exists() {
        eprintln!("build the release binary first: cargo build --release");
        std::process::exit(2);
    }
    for tool in ["smtp-sink", "smtp-source"] {
        if Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .map_or(true, |s| !s.success())
        {
            eprintln!("`{tool}` is missing: apt-get install postfix");
            std::process::exit(2);
        }
    }
    let port = free_port();
    let _sink = Sink(
        Command::new("smtp-sink")
            .args(["-u", "nobody", &format!("127.0.0.1:{port}"), "1000"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start smtp-sink"),
    );
    wait_for_port(port);

    let dir = tempfile::tempdir().expect("temp dir");
    let site = Site::new(dir.path(), &manifest, port, conns, count);
    let size = site.message_size(&binary);
    println!(
        "{count} messages of {:.1} KB, {conns} connections, smtp-sink on 127.0.0.1:{port}",
        size as f64 / 1024.0
    );

    let ours = median((0..3).map(|_| site.send(&binary)).collect());
    // As the reference runs it (a new connection per message), and with
    // `-d` (connections kept, as postbode does).
    let smtp_source = |keep: bool| {
        median(
            (0..3)
                .map(|_| {
                    let start = Instant::now();
                    let mut cmd = Command::new("smtp-source");
                    if keep {
                        cmd.arg("-d");
                    }
                    let ok = cmd
                        .args([
                            "-s",
                            &conns.to_string(),
                            "-l",
                            &size.to_string(),
                            "-m",
                            &count.to_string(),
                        ])
                        .args([
                            "-f",
                            "a@example.org",
                            "-t",
                            "b@example.org",
                            &format!("127.0.0.1:{port}"),
                        ])
                        .status()
                        .expect("smtp-source");
                    assert!(ok.success());
                    start.elapsed()
                })
                .collect(),
        )
    };
    let source = smtp_source(false);
    let source_kept = smtp_source(true);
    let peer = manifest.join("benches/peers/smtplib_send.py");
    let python = median(
        (0..3)
            .map(|_| {
                let start = Instant::now();
                let ok = Command::new("python3")
                    .arg(&peer)
                    .args([&port.to_string(), &conns.to_string(), &count.to_string()])
                    .arg(site.root.join("message.eml"))
                    .stdout(Stdio::null())
                    .status()
                    .expect("python3");
                assert!(ok.success());
                start.elapsed()
            })
            .collect(),
    );
    let rate = |d: Duration| count as f64 / d.as_secs_f64();
    println!("{:<52} {:>10} {:>10}", "sender", "seconds", "msgs/s");
    println!(
        "{:<52} {:>10.3} {:>10.0}",
        "postbode send (whole command: load, render, store, deliver)",
        ours.as_secs_f64(),
        rate(ours)
    );
    println!(
        "{:<52} {:>10.3} {:>10.0}",
        "smtp-source (Postfix)",
        source.as_secs_f64(),
        rate(source)
    );
    println!(
        "{:<52} {:>10.3} {:>10.0}",
        "smtp-source -d (Postfix, connections kept)",
        source_kept.as_secs_f64(),
        rate(source_kept)
    );
    println!(
        "{:<52} {:>10.3} {:>10.0}",
        "python3 smtplib, one connection per thread",
        python.as_secs_f64(),
        rate(python)
    );
    println!(
        "postbode / smtp-source: {:.0}%; / smtp-source -d: {:.0}%",
        100.0 * rate(ours) / rate(source),
        100.0 * rate(ours) / rate(source_kept)
    );

    // Streaming: memory for 100,000 recipients.
    let big = Site::new(&dir.path().join("big"), &manifest, port, conns, 100_000);
    let elapsed = big.send(&binary);
    println!(
        "100,000 recipients: {:.1} s ({:.0} msgs/s), peak memory {:.0} MB",
        elapsed.as_secs_f64(),
        100_000.0 / elapsed.as_secs_f64(),
        peak_rss_kb() as f64 / 1024.0
    );
}

struct Sink(Child);

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Site {
    root: PathBuf,
}

impl Site {
    /// A copy of the sample site, `n` subscribers, SMTP to `port`.
    fn new(root: &Path, manifest: &Path, port: u16, conns: usize, n: usize) -> Site {
        std::fs::create_dir_all(root.join("subscribers")).expect("mkdir");
        copy_dir(&manifest.join("sample"), &root.join("site"));
        std::fs::write(
            root.join("config.toml"),
            format!(
                "[site]\nsource = \"site\"\n[digest]\nmax_posts = 4\n[sender]\nfrom = \"Bench <digest@example.org>\"\nunsubscribe_url = \"https://example.org/u/{{token}}\"\n\
                 [delivery]\ntransport = \"smtp\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nconnections = {conns}\n"
            ),
        )
        .expect("config");
        let mut list = String::with_capacity(n * 120);
        list.push_str("subscribers:\n");
        for i in 0..n {
            list.push_str(&format!(
                "  - email: \"reader{i:06}@example.org\"\n    status: active\n    token: \"{:032x}\"\n",
                (i as u128 + 1) * 0x9e37_79b9_7f4a_7c15
            ));
        }
        std::fs::write(root.join("subscribers/subscribers.yaml"), list).expect("subscribers");
        Site {
            root: root.to_owned(),
        }
    }

    /// The size of one message, and a copy of it for the Python peer.
    fn message_size(&self, binary: &Path) -> usize {
        let ok = Command::new(binary)
            .current_dir(&self.root)
            .args([
                "-q",
                "preview",
                "--since",
                "2026-11-16",
                "--until",
                "2026-11-23",
                "--eml",
            ])
            .arg(self.root.join("message.eml"))
            .status()
            .expect("preview");
        assert!(ok.success());
        std::fs::metadata(self.root.join("message.eml")).map_or(12_000, |m| m.len() as usize)
    }

    /// One whole `send` of a fresh edition; the wall time.
    fn send(&self, binary: &Path) -> Duration {
        let _ = std::fs::remove_dir_all(self.root.join("state"));
        let start = Instant::now();
        let out = Command::new(binary)
            .current_dir(&self.root)
            .args([
                "-q",
                "send",
                "--since",
                "2026-11-16",
                "--until",
                "2026-11-23",
            ])
            .output()
            .expect("postbode send");
        let elapsed = start.elapsed();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("  {}", String::from_utf8_lossy(&out.stdout).trim());
        elapsed
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn wait_for_port(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "smtp-sink did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The largest resident set of any child waited for so far.
fn peak_rss_kb() -> u64 {
    // SAFETY: getrusage only writes into the struct we pass.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage.ru_maxrss as u64
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
