//! Reading sources other than Jekyll, side by side with a reference in the
//! same run:
//!
//! - a generated 2,000-item RSS file (about 5 MB): postbode's feed parse and
//!   mapping, in process, against Python `feedparser` parsing the same file
//!   in process (`benches/peers/feed_feedparser.py`); and the whole
//!   `postbode posts --json` run on that file;
//! - a generated 20,000-post Hugo site: `postbode posts` for one week
//!   against `find content | xargs cat` (the I/O floor, as in the Jekyll
//!   load benchmark).
//!
//! usage: cargo build --release && cargo bench --bench sources
//!
//! Each measurement runs once to warm up, then 5 times; medians reported.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use postbode::config::Config;
use postbode::site::{feed, SiteSettings};

const RUNS: usize = 5;

fn main() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let binary = manifest.join("target/release/postbode");
    if !binary.exists() {
        eprintln!("build the release binary first: cargo build --release");
        std::process::exit(2);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    feeds(&manifest, &binary, dir.path());
    hugo(&binary, dir.path());
}

fn feeds(manifest: &Path, binary: &Path, dir: &Path) {
    let path = dir.join("big.xml");
    let bytes = generate_rss(2_000);
    std::fs::write(&path, &bytes).expect("write feed");
    println!(
        "feed: {} items, {:.1} MB",
        2_000,
        bytes.len() as f64 / 1_048_576.0
    );
    let config_path = dir.join("feed.toml");
    std::fs::write(
        &config_path,
        format!(
            "[site]\nsource = {:?}\n[delivery]\nstate_dir = {:?}\n",
            path.display().to_string(),
            dir.join("state").display().to_string()
        ),
    )
    .expect("config");
    let config = Config::load(&config_path).expect("config");
    let site = SiteSettings::resolve(&config).expect("settings");
    let now = chrono::Utc::now();
    let parse_and_map = || {
        let f = feed::parse(&bytes, None).expect("parses");
        let mapped = f
            .entries
            .iter()
            .filter_map(|e| feed::map_entry(e, &f, "big.xml", &site, Some(280), now).ok())
            .count();
        assert_eq!(mapped, 2_000);
    };
    let ours = median(|| {
        let start = Instant::now();
        parse_and_map();
        start.elapsed()
    });

    let script = manifest.join("benches/peers/feed_feedparser.py");
    let has_feedparser = Command::new("python3")
        .args(["-c", "import feedparser"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let peer = has_feedparser.then(|| {
        // The script times its own parse, in process, and prints seconds.
        let out = Command::new("python3")
            .arg(&script)
            .arg(&path)
            .arg(RUNS.to_string())
            .output()
            .expect("run feedparser");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        Duration::from_secs_f64(text.trim().parse().expect("seconds"))
    });

    let mut cli = Command::new(binary);
    cli.args([
        "--config",
        &config_path.display().to_string(),
        "-q",
        "posts",
        "--since",
        "2000-01-01",
        "--until",
        "2100-01-01",
        "--json",
    ]);
    let whole = time(&mut cli);

    println!("{:<52} {:>9}", "feed: 2,000-item RSS", "median s");
    println!(
        "{:<52} {:>9.4}",
        "postbode parse + map (in process)",
        ours.as_secs_f64()
    );
    match peer {
        Some(p) => {
            println!(
                "{:<52} {:>9.4}",
                "python3 feedparser.parse (in process)",
                p.as_secs_f64()
            );
            println!(
                "ratio feedparser/postbode: {:.1}x",
                p.as_secs_f64() / ours.as_secs_f64()
            );
        }
        None => println!("python3 feedparser: skipped (pip install feedparser)"),
    }
    println!(
        "{:<52} {:>9.4}",
        "postbode posts --json (whole run)",
        whole.as_secs_f64()
    );
}

fn hugo(binary: &Path, dir: &Path) {
    let site = dir.join("hugo");
    generate_hugo(&site, 20_000);
    let config_path = dir.join("hugo.toml");
    std::fs::write(
        &config_path,
        format!("[site]\nsource = {:?}\n", site.display().to_string()),
    )
    .expect("config");
    let mut ours = Command::new(binary);
    ours.args([
        "--config",
        &config_path.display().to_string(),
        "-q",
        "posts",
        "--since",
        "2019-06-03",
        "--until",
        "2019-06-10",
        "--json",
    ]);
    let ours = time(&mut ours);
    let mut cat = Command::new("sh");
    cat.current_dir(&site).args([
        "-c",
        "find content -type f -print0 | xargs -0 cat >/dev/null",
    ]);
    let floor = time(&mut cat);
    println!();
    println!("{:<52} {:>9}", "Hugo site: 20,000 posts", "median s");
    println!(
        "{:<52} {:>9.3}",
        "postbode posts (one week, --json)",
        ours.as_secs_f64()
    );
    println!(
        "{:<52} {:>9.3}",
        "find content | xargs cat (I/O floor)",
        floor.as_secs_f64()
    );
    println!(
        "ratio cat/postbode: {:.2}x",
        floor.as_secs_f64() / ours.as_secs_f64()
    );
}

fn median(mut f: impl FnMut() -> Duration) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..RUNS).map(|_| f()).collect();
    times.sort();
    times[RUNS / 2]
}

fn time(cmd: &mut Command) -> Duration {
    cmd.stdout(Stdio::null());
    median(|| {
        let start = Instant::now();
        let status = cmd.status().expect("run command");
        assert!(status.success(), "{cmd:?} failed");
        start.elapsed()
    })
}

/// An RSS 2.0 feed of `count` items, each with a 2.5 KB HTML description,
/// categories, a GUID, an RFC 822 date and an image.
fn generate_rss(count: usize) -> Vec<u8> {
    let body = "&lt;p&gt;Pas als de Chinezen het kopi&amp;euml;ren, heb je een waardevol product, was lange tijd het credo &amp;amp; meer.&lt;/p&gt;\n".repeat(20);
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\">\n<channel>\n<title>Bench</title>\n<link>https://bench.example.org/</link>\n<description>Generated</description>\n",
    );
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00+01:00").expect("date");
    for i in 0..count {
        let date = start + chrono::Duration::minutes(15 * i as i64);
        s.push_str(&format!(
            "<item>\n<title>Bericht nummer {i} &amp; meer</title>\n<link>https://bench.example.org/{i}</link>\n<guid>https://bench.example.org/{i}</guid>\n<pubDate>{}</pubDate>\n<category>nieuws</category>\n<category>tech</category>\n<description>{body}</description>\n<media:content url=\"https://bench.example.org/{i}.jpg\" medium=\"image\" type=\"image/jpeg\"/>\n</item>\n",
            date.to_rfc2822()
        ));
    }
    s.push_str("</channel>\n</rss>\n");
    s.into_bytes()
}

/// A Hugo site of `count` posts, ~100 a day, TOML front matter, 3 KB of
/// Markdown each.
fn generate_hugo(root: &Path, count: usize) {
    let posts = root.join("content/posts");
    std::fs::create_dir_all(&posts).expect("mkdir");
    std::fs::write(
        root.join("hugo.toml"),
        "baseURL = \"https://bench.example.org/\"\ntitle = \"Bench\"\ntimeZone = \"Europe/Amsterdam\"\n[permalinks]\nposts = \"/:year/:month/:slug/\"\n",
    )
    .expect("config");
    let body = "Pas als de Chinezen het **kopiëren**, heb je een waardevol product, was lange tijd het credo.\n\n".repeat(30);
    let start = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).expect("date");
    for i in 0..count {
        let day = start + chrono::Duration::days((i / 100) as i64);
        let text = format!(
            "+++\ntitle = \"Bericht nummer {i}\"\ndate = {}T{:02}:{:02}:00+02:00\ncategories = [\"nieuws\"]\ntags = [\"t{}\"]\nexternal_link = \"https://nos.nl/l/{i}\"\n+++\n\n{body}",
            day.format("%Y-%m-%d"),
            i % 24,
            i % 60,
            i % 13
        );
        std::fs::write(posts.join(format!("bericht-{i}.md")), text).expect("write post");
    }
}
