//! Loading a site: `postbode posts` for one week of a big site, side by side
//! with the I/O floor (`find | xargs cat`) and a Python front-matter reader.
//!
//! usage: cargo build --release && cargo bench --bench load -- SITE [SINCE UNTIL]
//!
//! SITE defaults to a generated site of 120,000 posts (in a temp folder).
//! Each command runs once to warm the page cache, then 5 times; the median
//! wall time is reported, with postbode's peak memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let binary = manifest.join("target/release/postbode");
    if !binary.exists() {
        eprintln!("build the release binary first: cargo build --release");
        std::process::exit(2);
    }
    let generated;
    let (site, since, until) = match args.first() {
        Some(site) => (
            PathBuf::from(site),
            args.get(1).cloned().unwrap_or_else(|| "2019-06-03".into()),
            args.get(2).cloned().unwrap_or_else(|| "2019-06-10".into()),
        ),
        None => {
            generated = tempfile::tempdir().expect("temp dir");
            generate_site(generated.path(), 120_000);
            (
                generated.path().to_owned(),
                "2019-06-03".into(),
                "2019-06-10".into(),
            )
        }
    };
    let site = site.canonicalize().expect("site folder");
    let config = tempfile::NamedTempFile::new().expect("temp config");
    std::fs::write(
        config.path(),
        format!(
            "[site]\nsource = {:?}\nurl = \"https://example.org\"\n",
            site.display().to_string()
        ),
    )
    .expect("write config");

    println!("site: {}  window: [{since}, {until})", site.display());
    let mut postbode = Command::new(&binary);
    postbode.args([
        "--config",
        &config.path().display().to_string(),
        "-q",
        "posts",
        "--since",
        &since,
        "--until",
        &until,
        "--json",
    ]);
    let ours = time(&mut postbode);
    let peak_kb = children_peak_rss_kb();

    let mut cat = Command::new("sh");
    cat.current_dir(&site).args([
        "-c",
        "find _posts -type f -print0 | xargs -0 cat >/dev/null",
    ]);
    let floor = time(&mut cat);

    let script = manifest.join("benches/peers/frontmatter_pyyaml.py");
    let mut python = Command::new("python3");
    python.arg(&script).arg(site.join("_posts"));
    let has_pyyaml = Command::new("python3")
        .args(["-c", "import yaml; yaml.CSafeLoader"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let peer = has_pyyaml.then(|| time(&mut python));

    println!("{:<44} {:>9}", "command", "median s");
    println!(
        "{:<44} {:>9.3}",
        "postbode posts (one week, --json)",
        secs(ours)
    );
    println!(
        "{:<44} {:>9.3}",
        "find _posts | xargs cat (I/O floor)",
        secs(floor)
    );
    match peer {
        Some(p) => println!(
            "{:<44} {:>9.3}",
            "python3 PyYAML CSafeLoader (front matter)",
            secs(p)
        ),
        None => println!("python3 PyYAML: skipped (pip install pyyaml)"),
    }
    println!("postbode peak memory: {:.0} MB", peak_kb as f64 / 1024.0);
    println!("ratio cat/postbode: {:.2}x", secs(floor) / secs(ours));
    if let Some(p) = peer {
        println!("ratio python/postbode: {:.2}x", secs(p) / secs(ours));
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Median wall time of `RUNS` runs after one warm-up run.
fn time(cmd: &mut Command) -> Duration {
    cmd.stdout(Stdio::null());
    let status = cmd.status().expect("run command");
    assert!(status.success(), "{cmd:?} failed");
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            cmd.status().expect("run command");
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

/// The largest resident set of any child waited for so far.
fn children_peak_rss_kb() -> u64 {
    // SAFETY: getrusage only writes into the struct we pass.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage.ru_maxrss as u64
    }
}

/// A site shaped like a news-link site: ~100 posts a day, RFC 2822 dates,
/// an external link, an image, 2–4 KB of HTML body.
fn generate_site(root: &Path, count: usize) {
    let posts = root.join("_posts");
    std::fs::create_dir_all(&posts).expect("mkdir");
    std::fs::write(
        root.join("_config.yml"),
        "title: Bench\ntimezone: Europe/Amsterdam\n",
    )
    .expect("config");
    let body = "<p>Pas als de Chinezen het kopiëren, heb je een waardevol product, was lange tijd het credo.</p>\n".repeat(30);
    let start = chrono::NaiveDate::from_ymd_opt(2016, 1, 1).expect("date");
    let categories = [
        "nieuws",
        "sport",
        "tech",
        "binnenland",
        "buitenland",
        "overig",
    ];
    for i in 0..count {
        let day = start + chrono::Duration::days((i / 100) as i64);
        let name = format!(
            "{}-{}-bericht_nummer_{i}.md",
            day.format("%Y-%-m-%-d"),
            i % 97
        );
        let text = format!(
            "---\nlayout: post\ntitle: \"Bericht nummer {i}\"\ndate: {} {:02}:{:02}:00 +0200\ncategory: {}\nexterne_link: \"https://nos.nl/l/{i}\"\nfeature_image: \"https://nos.nl/img/{i}.jpg\"\n---\n\n{body}",
            day.format("%a, %d %b %Y"),
            (i % 24),
            (i % 60),
            categories[i % categories.len()]
        );
        std::fs::write(posts.join(name), text).expect("write post");
    }
}
