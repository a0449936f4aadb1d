//! Getting a feed's bytes: from a file, or over HTTP(S) with timeouts, a
//! size cap, gzip, bounded redirects and conditional requests (`ETag`,
//! `Last-Modified`). When the feed cannot be had, the last good copy is
//! used and the failure is reported with it.

use std::path::PathBuf;
use std::time::Duration;

use super::feed_state::{FeedState, Validators};

/// The most bytes a feed may have (after decompression): a feed is a list
/// of recent items, never this large; more is an error, not a memory spike.
pub const MAX_FEED_BYTES: u64 = 16 * 1024 * 1024;
/// The longest a whole fetch may take, redirects included.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Redirects followed before giving up (a loop ends here).
pub const MAX_REDIRECTS: u32 = 5;

/// Where a feed is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedLocation {
    File(PathBuf),
    Url(String),
}

impl FeedLocation {
    /// The URL, or the file's path, as users wrote it.
    pub fn display(&self) -> String {
        match self {
            FeedLocation::File(p) => {
                let p = p.strip_prefix(".").unwrap_or(p);
                p.display().to_string()
            }
            FeedLocation::Url(u) => u.clone(),
        }
    }

    /// A name for a feed without a title: its host, or its file name.
    pub fn host_or_file(&self) -> String {
        match self {
            FeedLocation::File(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            FeedLocation::Url(u) => url::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| u.clone()),
        }
    }
}

/// Why a feed could not be had.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("cannot fetch `{url}`: HTTP status {status}")]
    Status { url: String, status: u16 },
    #[error("cannot fetch `{url}`: {message}")]
    Transport { url: String, message: String },
    #[error("`{url}` is larger than {limit} bytes; not read")]
    TooLarge { url: String, limit: u64 },
    #[error("cannot read `{path}`: {message}")]
    File { path: String, message: String },
}

/// A feed's bytes, and how they were had.
#[derive(Debug)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// The validators that came with a fresh copy; `None` when `bytes` is
    /// the cached copy (a `304`, or the feed is down).
    pub fresh: Option<Validators>,
    /// Why the cached copy was used instead of a fresh one.
    pub stale: Option<FetchError>,
}

/// Reads the feed at `location`, using and updating its remembered state.
pub fn fetch(location: &FeedLocation, state: &FeedState) -> Result<Fetched, FetchError> {
    match location {
        FeedLocation::File(path) => read_file(path).map(|bytes| Fetched {
            bytes,
            fresh: Some(Validators::default()),
            stale: None,
        }),
        FeedLocation::Url(url) => fetch_url(url, state),
    }
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, FetchError> {
    let err = |message: String| FetchError::File {
        path: path.display().to_string(),
        message,
    };
    let len = std::fs::metadata(path)
        .map_err(|e| err(e.to_string()))?
        .len();
    if len > MAX_FEED_BYTES {
        return Err(err(format!(
            "{len} bytes is more than a feed may have ({MAX_FEED_BYTES})"
        )));
    }
    std::fs::read(path).map_err(|e| err(e.to_string()))
}

fn agent() -> ureq::Agent {
    ureq::config::Config::builder()
        .timeout_global(Some(TIMEOUT))
        .max_redirects(MAX_REDIRECTS)
        .http_status_as_error(false)
        .user_agent(concat!("postbode/", env!("CARGO_PKG_VERSION")))
        .accept("application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8")
        .build()
        .new_agent()
}

fn fetch_url(url: &str, state: &FeedState) -> Result<Fetched, FetchError> {
    let cached = state.cached();
    let fallback = |error: FetchError| match &cached {
        Some((_, body)) => Ok(Fetched {
            bytes: body.clone(),
            fresh: None,
            stale: Some(error),
        }),
        None => Err(error),
    };
    let mut request = agent().get(url);
    if let Some((v, _)) = &cached {
        if let Some(etag) = &v.etag {
            request = request.header("If-None-Match", etag);
        }
        if let Some(lm) = &v.last_modified {
            request = request.header("If-Modified-Since", lm);
        }
    }
    let mut response = match request.call() {
        Ok(r) => r,
        Err(e) => {
            return fallback(FetchError::Transport {
                url: url.to_owned(),
                message: describe(&e),
            })
        }
    };
    let status = response.status().as_u16();
    if status == 304 {
        if let Some((_, body)) = &cached {
            return Ok(Fetched {
                bytes: body.clone(),
                fresh: None,
                stale: None,
            });
        }
    }
    if !(200..300).contains(&status) {
        return fallback(FetchError::Status {
            url: url.to_owned(),
            status,
        });
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let validators = Validators {
        etag: header("etag"),
        last_modified: header("last-modified"),
    };
    match response
        .body_mut()
        .with_config()
        .limit(MAX_FEED_BYTES)
        .read_to_vec()
    {
        Ok(bytes) => Ok(Fetched {
            bytes,
            fresh: Some(validators),
            stale: None,
        }),
        Err(ureq::Error::BodyExceedsLimit(_)) => fallback(FetchError::TooLarge {
            url: url.to_owned(),
            limit: MAX_FEED_BYTES,
        }),
        Err(e) => fallback(FetchError::Transport {
            url: url.to_owned(),
            message: describe(&e),
        }),
    }
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::TooManyRedirects => {
            format!("more than {MAX_REDIRECTS} redirects (a redirect loop?)")
        }
        ureq::Error::Timeout(_) => format!("no answer within {} s", TIMEOUT.as_secs()),
        other => other.to_string().to_lowercase(),
    }
}
