//! Stories: grouping one busy week, story quality on the labelled June 2019
//! set next to a TF-IDF cosine baseline, and the whole `preview` of the week
//! next to the I/O floor (`find | xargs cat` over the full site).
//!
//! usage: cargo build --release && cargo bench --bench stories -- SITE [SINCE UNTIL] [--grouping-only]
//!
//! SITE is the reference site (extracted `leestmeer.tar.zst`); the window
//! defaults to 2019-09-02..2019-09-09 (7,075 posts). Grouping runs on one
//! thread (it has no parallel part); the median of 11 runs is reported.
//! `preview` and `cat` run once to warm the page cache, then 3 times.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::DateTime;
use postbode::config::Config;
use postbode::site::{self, LoadOptions, Post, SiteSettings};
use postbode::stories;
use postbode::window::Window;

const GROUP_RUNS: usize = 11;
const RUNS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    // Grouping alone, for profiling: no labelled set, no preview.
    let grouping_only = args.iter().any(|a| a == "--grouping-only");
    let args: Vec<String> = args
        .into_iter()
        .filter(|a| a != "--grouping-only")
        .collect();
    let Some(site) = args.first() else {
        eprintln!("usage: cargo bench --bench stories -- SITE [SINCE UNTIL]");
        std::process::exit(2);
    };
    let since = args.get(1).cloned().unwrap_or_else(|| "2019-09-02".into());
    let until = args.get(2).cloned().unwrap_or_else(|| "2019-09-09".into());
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let site = PathBuf::from(site).canonicalize().expect("site folder");
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = dir.path().join("config.toml");
    std::fs::write(
        &config_path,
        format!(
            "[site]\nsource = {:?}\nurl = \"https://example.org\"\nlanguage = \"nl\"\n\
             [delivery]\nstate_dir = {:?}\n",
            site.display().to_string(),
            dir.path().join("state").display().to_string()
        ),
    )
    .expect("write config");

    // Grouping, in process.
    let config = Config::load(&config_path).expect("config");
    let settings = SiteSettings::resolve(&config).expect("site");
    let window = Window::from_flags(
        Some(&since),
        Some(&until),
        7,
        chrono::Utc::now(),
        settings.timezone,
    )
    .expect("window");
    let loaded = site::load(
        &settings,
        &LoadOptions {
            window: Some(window),
            summary_length: Some(config.digest.summary_length),
        },
    )
    .expect("load");
    let posts = loaded.posts;
    let mut times: Vec<Duration> = Vec::new();
    let mut cpu: Vec<Duration> = Vec::new();

    let mut count = 0;
    let mut print = 0;
    for _ in 0..GROUP_RUNS {
        let (start, start_cpu) = (Instant::now(), thread_cpu());
        let groups = stories::group(&posts);
        times.push(start.elapsed());
        cpu.push(thread_cpu() - start_cpu);
        count = groups.len();
        print = fingerprint(&groups);
    }
    times.sort();
    cpu.sort();
    println!("site: {}  window: [{since}, {until})", site.display());
    println!(
        "grouping {} posts into {} stories: median {:.1} ms (min {:.1}, max {:.1}) over {GROUP_RUNS} runs, one thread",
        posts.len(),
        count,
        ms(times[GROUP_RUNS / 2]),
        ms(times[0]),
        ms(times[GROUP_RUNS - 1])
    );
    // The same stories give the same print: a change meant to be faster
    // only must leave it alone.
    println!("stories' fingerprint (ids, leads, members): {print:016x}");
    println!(
        "grouping CPU time of the thread: median {:.1} ms (min {:.1}, max {:.1})",
        ms(cpu[GROUP_RUNS / 2]),
        ms(cpu[0]),
        ms(cpu[GROUP_RUNS - 1])
    );

    if grouping_only {
        return;
    }

    // Quality on the labelled set, ours next to TF-IDF cosine.
    let (dev, labels) = labelled(&manifest);
    let ours = pairwise(&stories::group(&dev), &labels);
    println!(
        "labelled set ({} posts, {} same-story pairs): postbode stories  P {:.3}  R {:.3}",
        dev.len(),
        positives(&labels),
        ours.0,
        ours.1
    );
    let (r90, best) = tfidf_baseline(&dev, &labels);
    println!(
        "labelled set: TF-IDF cosine (title + summary, pairwise threshold)  R {:.3} at P >= 0.90; best F1 at P {:.3} / R {:.3}",
        r90, best.0, best.1
    );

    // The whole preview of the week against the I/O floor.
    let mut preview = Command::new(manifest.join("target/release/postbode"));
    preview.args([
        "--config",
        &config_path.display().to_string(),
        "-q",
        "preview",
        "--since",
        &since,
        "--until",
        &until,
        "--out",
        &dir.path().join("week.html").display().to_string(),
        "--json",
        &dir.path().join("week.json").display().to_string(),
    ]);
    let ours = time(&mut preview);
    let peak_kb = children_peak_rss_kb();
    let mut cat = Command::new("sh");
    cat.current_dir(&site).args([
        "-c",
        "find _posts -type f -print0 | xargs -0 cat >/dev/null",
    ]);
    let floor = time(&mut cat);
    println!("{:<48} {:>9}", "command", "median s");
    println!(
        "{:<48} {:>9.3}",
        "postbode preview (one week, html + json)",
        ours.as_secs_f64()
    );
    println!(
        "{:<48} {:>9.3}",
        "find _posts | xargs cat (I/O floor, full site)",
        floor.as_secs_f64()
    );
    println!(
        "postbode preview peak memory: {:.0} MB",
        peak_kb as f64 / 1024.0
    );
    let html = std::fs::metadata(dir.path().join("week.html")).map_or(0, |m| m.len());
    println!("HTML part: {html} bytes");
}

/// FNV-1a over every story's id, lead and members, in order.
fn fingerprint(groups: &[stories::Story]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for s in groups {
        feed(s.id.as_bytes());
        feed(&(s.lead as u64).to_le_bytes());
        for &m in &s.members {
            feed(&(m as u64).to_le_bytes());
        }
        feed(&[0xff]);
    }
    h
}

/// CPU time of this thread: on a busy machine, wall time measures the
/// neighbours too.
fn thread_cpu() -> Duration {
    // SAFETY: clock_gettime only writes into the struct we pass.
    unsafe {
        let mut t: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t);
        Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
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

#[derive(serde::Deserialize)]
struct Labelled {
    story: String,
    source: String,
    date: String,
    title: String,
    url: String,
    summary: String,
}

fn labelled(manifest: &std::path::Path) -> (Vec<Post>, Vec<String>) {
    let text = std::fs::read_to_string(manifest.join("tests/fixtures/stories/june-2019.json"))
        .expect("labelled set");
    let items: Vec<Labelled> = serde_json::from_str(&text).expect("labelled JSON");
    let posts = items
        .iter()
        .map(|l| Post {
            title: l.title.clone(),
            date: DateTime::parse_from_rfc3339(&l.date).expect("date"),
            categories: Vec::new(),
            url: l.url.clone(),
            external_link: Some(l.url.clone()),
            post_url: format!("https://nieuws.link/{}", l.source),
            image: None,
            summary: l.summary.clone(),
            source: l.source.clone(),
            origin: String::new(),
            tags: Vec::new(),
            story: String::new(),
            also: None,
            rank: 0,
            story_posts: 1,
            featured: false,
            priority: 0,
        })
        .collect();
    (posts, items.into_iter().map(|l| l.story).collect())
}

fn positives(labels: &[String]) -> usize {
    let mut n: HashMap<&str, usize> = HashMap::new();
    for l in labels {
        *n.entry(l).or_default() += 1;
    }
    n.values().map(|k| k * (k - 1) / 2).sum()
}

fn pairwise(groups: &[stories::Story], labels: &[String]) -> (f64, f64) {
    let mut of = vec![0; labels.len()];
    for (k, s) in groups.iter().enumerate() {
        for &m in &s.members {
            of[m] = k;
        }
    }
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    for i in 0..labels.len() {
        for j in i + 1..labels.len() {
            match (of[i] == of[j], labels[i] == labels[j]) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fneg += 1,
                _ => {}
            }
        }
    }
    (
        tp as f64 / (tp + fp).max(1) as f64,
        tp as f64 / (tp + fneg).max(1) as f64,
    )
}

/// TF-IDF cosine of title + summary (lower-cased words, IDF over the set),
/// a pair "same story" above a threshold: recall at precision 0.90, and
/// the precision/recall of the best F1, over every threshold.
fn tfidf_baseline(posts: &[Post], labels: &[String]) -> (f64, (f64, f64)) {
    let docs: Vec<Vec<String>> = posts
        .iter()
        .map(|p| {
            format!("{} {}", p.title, p.summary)
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect()
        })
        .collect();
    let mut df: HashMap<&str, f64> = HashMap::new();
    for d in &docs {
        let mut seen: Vec<&str> = d.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            *df.entry(w).or_default() += 1.0;
        }
    }
    let n = docs.len() as f64;
    let vectors: Vec<HashMap<&str, f64>> = docs
        .iter()
        .map(|d| {
            let mut v: HashMap<&str, f64> = HashMap::new();
            for w in d {
                *v.entry(w).or_default() += (n / df[w.as_str()]).ln();
            }
            let norm = v
                .values()
                .map(|x| x * x)
                .sum::<f64>()
                .sqrt()
                .max(f64::MIN_POSITIVE);
            v.values_mut().for_each(|x| *x /= norm);
            v
        })
        .collect();
    let mut scored: Vec<(f64, bool)> = Vec::new();
    for i in 0..posts.len() {
        for j in i + 1..posts.len() {
            let (a, b) = (&vectors[i], &vectors[j]);
            let s: f64 = a.iter().map(|(w, x)| x * b.get(w).unwrap_or(&0.0)).sum();
            scored.push((s, labels[i] == labels[j]));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let total = scored.iter().filter(|(_, same)| *same).count() as f64;
    let (mut tp, mut r90, mut best) = (0.0, 0.0, (0.0, 0.0, 0.0));
    for (k, (_, same)) in scored.iter().enumerate() {
        if *same {
            tp += 1.0;
        }
        let p = tp / (k + 1) as f64;
        let r = tp / total;
        if p >= 0.90 && r > r90 {
            r90 = r;
        }
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        if f1 > best.0 {
            best = (f1, p, r);
        }
    }
    (r90, (best.1, best.2))
}
