//! Delivering messages: parallel connections, a rate limit, retries with
//! exponential backoff, and a journal line the moment the server answers.
//!
//! Messages are built one at a time, by the worker that sends them, and
//! dropped once sent: memory does not grow with the number of recipients.
//! Transient failures (4xx, timeouts, dropped connections) are retried on a
//! fresh connection after a backoff; permanent ones (5xx) are journaled and
//! not retried; a fatal one (bad login, TLS refused) stops every worker.
//! What is neither delivered nor failed when the run ends is *pending*: it
//! has no journal line, and the next run sends it.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::{Address, Transport as _};

use super::compose::Recipient;
use super::smtp::{SendError, Session, SmtpSettings};
use super::verp::ReturnPath;
use crate::state::journal::{Journal, Outcome};

/// Where messages go.
pub trait Transport: Sync {
    /// Opens one connection (or its equivalent).
    fn connect(&self) -> Result<Box<dyn Connection>, SendError>;
}

/// One open connection of a [`Transport`].
pub trait Connection: Send {
    /// Hands one message for one recipient over; returns the reply.
    fn send(&mut self, from: &Address, to: &Address, message: &[u8]) -> Result<String, SendError>;
    /// True when the connection can no longer be used.
    fn is_broken(&self) -> bool {
        false
    }
    fn close(self: Box<Self>) {}
}

/// Hands one message to one connection of `transport`, trying a transient
/// failure `attempts − 1` more times with a doubling pause. The one path for
/// a single message: test sends and confirmation mails.
pub fn send_one(
    transport: &dyn Transport,
    from: &Address,
    to: &Address,
    message: &[u8],
    attempts: u32,
    backoff: Duration,
) -> Result<String, SendError> {
    let mut wait = backoff;
    let mut attempt = 1;
    loop {
        let result = transport.connect().and_then(|mut connection| {
            let reply = connection.send(from, to, message);
            connection.close();
            reply
        });
        match result {
            Err(SendError::Transient(_) | SendError::Stalled(_)) if attempt < attempts => {
                std::thread::sleep(wait);
                wait *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// SMTP, through [`Session`].
pub struct Smtp(pub SmtpSettings);

impl Transport for Smtp {
    fn connect(&self) -> Result<Box<dyn Connection>, SendError> {
        Ok(Box::new(Session::open(&self.0)?))
    }
}

impl Connection for Session {
    fn send(&mut self, from: &Address, to: &Address, message: &[u8]) -> Result<String, SendError> {
        Session::send(self, from, to, message)
    }
    fn is_broken(&self) -> bool {
        Session::is_broken(self)
    }
    fn close(self: Box<Self>) {
        Session::close(*self)
    }
}

/// One `.eml` file per recipient in a folder: for trying things out.
pub struct FileOutbox(pub PathBuf);

struct FileConnection(PathBuf);

impl Transport for FileOutbox {
    fn connect(&self) -> Result<Box<dyn Connection>, SendError> {
        std::fs::create_dir_all(&self.0).map_err(|e| {
            SendError::Fatal(format!(
                "cannot create the outbox `{}`: {e}",
                self.0.display()
            ))
        })?;
        Ok(Box::new(FileConnection(self.0.clone())))
    }
}

impl Connection for FileConnection {
    fn send(&mut self, _from: &Address, to: &Address, message: &[u8]) -> Result<String, SendError> {
        // The address is safe as a file name once `/` and leading dots are out.
        let name: String = to
            .to_string()
            .chars()
            .map(|c| {
                if c == '/' || c == '\\' || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let path = self.0.join(format!("{}.eml", name.trim_start_matches('.')));
        let tmp = self
            .0
            .join(format!(".{}.tmp", name.trim_start_matches('.')));
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(message)?;
            f.sync_data()?;
            std::fs::rename(&tmp, &path)
        };
        write()
            .map_err(|e| SendError::Transient(format!("cannot write `{}`: {e}", path.display())))?;
        Ok(format!("written to {}", path.display()))
    }
}

/// The local `sendmail` program.
pub struct Sendmail(pub lettre::SendmailTransport);

struct SendmailConnection(lettre::SendmailTransport);

impl Transport for Sendmail {
    fn connect(&self) -> Result<Box<dyn Connection>, SendError> {
        Ok(Box::new(SendmailConnection(self.0.clone())))
    }
}

impl Connection for SendmailConnection {
    fn send(&mut self, from: &Address, to: &Address, message: &[u8]) -> Result<String, SendError> {
        let envelope = Envelope::new(Some(from.clone()), vec![to.clone()])
            .map_err(|e| SendError::Permanent(format!("bad envelope: {e}")))?;
        self.0
            .send_raw(&envelope, message)
            .map(|()| "accepted by sendmail".to_owned())
            .map_err(|e| SendError::Transient(format!("sendmail failed: {e}")))
    }
}

/// One recipient's message to deliver.
#[derive(Debug, Clone)]
pub struct Job {
    pub recipient: Recipient,
    /// Which rendered variant they get.
    pub variant: usize,
}

/// How to deliver.
#[derive(Debug)]
pub struct Options<'a> {
    pub connections: usize,
    /// Messages per second over all connections; 0 means no limit.
    pub rate_limit: f64,
    /// Retries after the first attempt, for transient failures.
    pub max_retries: u32,
    /// The first retry waits this long; each next one twice as long.
    pub backoff: Duration,
    /// Set to stop after the messages in flight.
    pub stop: &'a AtomicBool,
    /// A return path per reader (VERP) instead of the one `from`.
    pub return_path: Option<&'a ReturnPath>,
}

/// How a delivery went.
#[derive(Debug, Default)]
pub struct Report {
    pub delivered: usize,
    /// Refused for good, with the reply.
    pub failed: Vec<(String, String)>,
    /// No outcome yet, with the last error.
    pub pending: Vec<(String, String)>,
    /// Why every worker stopped, if one had to.
    pub fatal: Option<String>,
    pub elapsed: Duration,
}

/// Counts for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub failed: usize,
    pub elapsed: Duration,
}

/// Permanent refusals in a row, with no delivery at all in the run, after
/// which delivery stops (see `worker`).
const REFUSALS_BEFORE_STOP: usize = 10;

struct Queue {
    ready: VecDeque<(Job, u32)>,
    delayed: Vec<(Instant, Job, u32)>,
    in_flight: usize,
}

struct Shared<'a> {
    queue: Mutex<Queue>,
    wake: Condvar,
    next_slot: Mutex<Instant>,
    delivered: AtomicUsize,
    /// Permanent failures in a row since the last delivery.
    refused_in_a_row: AtomicUsize,
    /// Timeouts and lost connections in a row since the last delivery.
    stalled_in_a_row: AtomicUsize,
    failed: Mutex<Vec<(String, String)>>,
    pending: Mutex<Vec<(String, String)>>,
    fatal: Mutex<Option<String>>,
    abort: AtomicBool,
    opts: &'a Options<'a>,
}

/// Delivers every job. `build` makes one recipient's envelope address and
/// message bytes; it runs on the worker threads.
pub fn deliver<F>(
    jobs: Vec<Job>,
    transport: &dyn Transport,
    from: &Address,
    build: F,
    journal: &Journal,
    opts: &Options<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Report
where
    F: Fn(&Job) -> Result<(Address, Vec<u8>), String> + Sync,
{
    let start = Instant::now();
    let total = jobs.len();
    let shared = Shared {
        queue: Mutex::new(Queue {
            ready: jobs.into_iter().map(|j| (j, 0)).collect(),
            delayed: Vec::new(),
            in_flight: 0,
        }),
        wake: Condvar::new(),
        next_slot: Mutex::new(Instant::now()),
        delivered: AtomicUsize::new(0),
        refused_in_a_row: AtomicUsize::new(0),
        stalled_in_a_row: AtomicUsize::new(0),
        failed: Mutex::new(Vec::new()),
        pending: Mutex::new(Vec::new()),
        fatal: Mutex::new(None),
        abort: AtomicBool::new(false),
        opts,
    };
    let workers = opts.connections.clamp(1, total.max(1));
    let finished = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                // Counted as finished however the worker ends, a panic
                // included, so the run stops instead of waiting forever.
                let _done = Finished {
                    shared: &shared,
                    count: &finished,
                };
                worker(&shared, transport, from, &build, journal);
            });
        }
        let report = |shared: &Shared<'_>| {
            let failed = lock(&shared.failed).len();
            let delivered = shared.delivered.load(Ordering::Acquire);
            Progress {
                done: delivered + failed,
                total,
                failed,
                elapsed: start.elapsed(),
            }
        };
        while finished.load(Ordering::Acquire) < workers {
            std::thread::sleep(Duration::from_millis(100));
            progress(report(&shared));
        }
        progress(report(&shared));
    });
    // Whatever is still queued (after a stop or a fatal error) is pending.
    let mut pending = shared
        .pending
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    let queue = shared.queue.into_inner().unwrap_or_else(|p| p.into_inner());
    let reason = if opts.stop.load(Ordering::Acquire) {
        "stopped before sending"
    } else {
        "not sent"
    };
    for (job, _) in queue.ready {
        pending.push((job.recipient.email, reason.to_owned()));
    }
    for (_, job, _) in queue.delayed {
        pending.push((job.recipient.email, reason.to_owned()));
    }
    Report {
        delivered: shared.delivered.into_inner(),
        failed: shared
            .failed
            .into_inner()
            .unwrap_or_else(|p| p.into_inner()),
        pending,
        fatal: shared.fatal.into_inner().unwrap_or_else(|p| p.into_inner()),
        elapsed: start.elapsed(),
    }
}

/// Marks a worker finished when it ends; a panicking one stops the run.
struct Finished<'a, 'b> {
    shared: &'a Shared<'b>,
    count: &'a AtomicUsize,
}

impl Drop for Finished<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(&self.shared.fatal)
                .get_or_insert_with(|| "a delivery worker failed unexpectedly".to_owned());
            self.shared.abort.store(true, Ordering::Release);
        }
        self.count.fetch_add(1, Ordering::AcqRel);
        self.shared.wake.notify_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The next job, waiting for a delayed one when nothing is ready; `None`
/// when there is nothing left (or the run is stopping).
fn next_job(shared: &Shared<'_>) -> Option<(Job, u32)> {
    let mut q = lock(&shared.queue);
    loop {
        if shared.abort.load(Ordering::Acquire) || shared.opts.stop.load(Ordering::Acquire) {
            return None;
        }
        let now = Instant::now();
        if let Some(i) = q.delayed.iter().position(|(at, _, _)| *at <= now) {
            let (_, job, attempts) = q.delayed.swap_remove(i);
            q.in_flight += 1;
            return Some((job, attempts));
        }
        if let Some(item) = q.ready.pop_front() {
            q.in_flight += 1;
            return Some(item);
        }
        if q.delayed.is_empty() && q.in_flight == 0 {
            return None;
        }
        let wait = q
            .delayed
            .iter()
            .map(|(at, _, _)| at.saturating_duration_since(now))
            .min()
            .unwrap_or(Duration::from_millis(200))
            .min(Duration::from_millis(200));
        q = shared
            .wake
            .wait_timeout(q, wait)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
}

fn finish_job(shared: &Shared<'_>, retry: Option<(Job, u32, Duration)>) {
    let mut q = lock(&shared.queue);
    q.in_flight -= 1;
    if let Some((job, attempts, delay)) = retry {
        q.delayed.push((Instant::now() + delay, job, attempts));
    }
    drop(q);
    shared.wake.notify_all();
}

/// Waits for the next send slot under the rate limit.
fn pace(shared: &Shared<'_>) {
    let rate = shared.opts.rate_limit;
    if rate <= 0.0 {
        return;
    }
    let slot = {
        let mut next = lock(&shared.next_slot);
        let slot = (*next).max(Instant::now());
        *next = slot + Duration::from_secs_f64(1.0 / rate);
        slot
    };
    let now = Instant::now();
    if slot > now {
        std::thread::sleep(slot - now);
    }
}

fn worker<F>(
    shared: &Shared<'_>,
    transport: &dyn Transport,
    from: &Address,
    build: &F,
    journal: &Journal,
) where
    F: Fn(&Job) -> Result<(Address, Vec<u8>), String> + Sync,
{
    let opts = shared.opts;
    let mut conn: Option<Box<dyn Connection>> = None;
    let fatal = |message: String| {
        lock(&shared.fatal).get_or_insert(message);
        shared.abort.store(true, Ordering::Release);
        shared.wake.notify_all();
    };
    while let Some((job, attempts)) = next_job(shared) {
        let email = job.recipient.email.clone();
        let (to, bytes) = match build(&job) {
            Ok(built) => built,
            Err(reason) => {
                record(shared, journal, &email, Outcome::Failed(reason), &fatal);
                finish_job(shared, None);
                continue;
            }
        };
        let own_from = opts
            .return_path
            .and_then(|p| p.address_for(&job.recipient.token));
        let from = own_from.as_ref().unwrap_or(from);
        let attempt = |conn: &mut Option<Box<dyn Connection>>| -> Result<String, SendError> {
            if conn.is_none() {
                *conn = Some(transport.connect()?);
            }
            let c = conn.as_mut().expect("connected above");
            let result = c.send(from, &to, &bytes);
            if c.is_broken() {
                if let Some(c) = conn.take() {
                    c.close();
                }
            }
            result
        };
        pace(shared);
        let mut retry = None;
        match attempt(&mut conn) {
            Ok(reply) => {
                if record(shared, journal, &email, Outcome::Delivered(reply), &fatal) {
                    shared.delivered.fetch_add(1, Ordering::AcqRel);
                    shared.refused_in_a_row.store(0, Ordering::Release);
                    shared.stalled_in_a_row.store(0, Ordering::Release);
                }
            }
            Err(SendError::Permanent(reply)) => {
                let in_a_row = shared.refused_in_a_row.fetch_add(1, Ordering::AcqRel) + 1;
                if in_a_row > REFUSALS_BEFORE_STOP && shared.delivered.load(Ordering::Acquire) == 0
                {
                    // Everyone refused and nobody accepted: the sender or
                    // the content is the problem, not the addresses. Stop
                    // before the whole list collects bounces.
                    lock(&shared.pending).push((email, reply.clone()));
                    fatal(format!(
                        "the server refused {REFUSALS_BEFORE_STOP} messages in a row and accepted none (last: {reply}); stopping"
                    ));
                } else {
                    record(shared, journal, &email, Outcome::Failed(reply), &fatal);
                }
            }
            Err(SendError::Stalled(reason)) if stalled_too_often(shared) => {
                if let Some(c) = conn.take() {
                    c.close();
                }
                lock(&shared.pending).push((email, reason.clone()));
                fatal(stop_stalled(opts, &reason));
            }
            Err(SendError::Transient(reason) | SendError::Stalled(reason)) => {
                // A new connection for the retry: the old one may be the problem.
                if let Some(c) = conn.take() {
                    c.close();
                }
                if attempts >= opts.max_retries {
                    lock(&shared.pending).push((email, reason));
                } else {
                    let delay = opts
                        .backoff
                        .saturating_mul(1 << attempts.min(16))
                        .min(Duration::from_secs(300));
                    retry = Some((job, attempts + 1, delay));
                }
            }
            Err(SendError::Uncertain(reason)) => {
                // It may have arrived: not again in this run. The next run
                // sends it, the one window SMTP leaves open (see README).
                if let Some(c) = conn.take() {
                    c.close();
                }
                let stop = stalled_too_often(shared);
                lock(&shared.pending).push((email, reason.clone()));
                if stop {
                    fatal(stop_stalled(opts, &reason));
                }
            }
            Err(SendError::Fatal(reason)) => {
                lock(&shared.pending).push((email, reason.clone()));
                fatal(reason);
            }
        }
        finish_job(shared, retry);
    }
    if let Some(c) = conn {
        c.close();
    }
}

/// Counts one timeout or lost connection; true when there have now been
/// more in a row than `smtp.max_retries`, so the server is taken for down.
fn stalled_too_often(shared: &Shared<'_>) -> bool {
    let in_a_row = shared.stalled_in_a_row.fetch_add(1, Ordering::AcqRel) + 1;
    in_a_row > shared.opts.max_retries as usize
}

fn stop_stalled(opts: &Options<'_>, reason: &str) -> String {
    let times = opts.max_retries + 1;
    format!(
        "{reason}; stopping after {times} timeouts or lost connections in a row (`smtp.max_retries` is {})",
        opts.max_retries
    )
}

/// Journals an outcome; a journal that cannot be written stops the run,
/// since delivering without recording would send twice after a restart.
fn record(
    shared: &Shared<'_>,
    journal: &Journal,
    email: &str,
    outcome: Outcome,
    fatal: &dyn Fn(String),
) -> bool {
    let failed = matches!(outcome, Outcome::Failed(_));
    if let Err(e) = journal.record(email, &outcome) {
        fatal(format!(
            "cannot write the journal `{}`: {e}",
            journal.path().display()
        ));
        return false;
    }
    if failed {
        let reply = match outcome {
            Outcome::Failed(r) | Outcome::Delivered(r) => r,
        };
        lock(&shared.failed).push((email.to_owned(), reply));
    }
    true
}
