//! The clock the scheduler reads: the system's, or for tests a clock that
//! starts at a chosen moment and runs at real speed from there.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

/// The environment variable that starts the clock at a given RFC 3339
/// moment. A testing aid: it lets a test make `run` fire within seconds
/// instead of waiting for Monday. Only the schedule reads it; windows and
/// timestamps of editions keep the real time.
pub const NOW_VAR: &str = "POSTBODE_NOW";

/// Wall-clock time, read afresh at every call so that a suspend or a clock
/// change shows at the next reading.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Option<(DateTime<Utc>, Instant)>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { start: None }
    }

    /// A clock that reads `t` now and runs at real speed from there.
    pub fn starting_at(t: DateTime<Utc>) -> Clock {
        Clock {
            start: Some((t, Instant::now())),
        }
    }

    /// The system clock, or the clock `POSTBODE_NOW` asks for.
    pub fn from_env() -> Result<Clock, crate::config::BadValue> {
        match std::env::var(NOW_VAR) {
            Ok(text) => DateTime::parse_from_rfc3339(text.trim())
                .map(|t| Clock::starting_at(t.with_timezone(&Utc)))
                .map_err(|e| {
                    crate::config::BadValue(format!(
                        "`{NOW_VAR}` must be an RFC 3339 time, not `{text}`: {e}"
                    ))
                }),
            Err(_) => Ok(Clock::system()),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self.start {
            None => Utc::now(),
            Some((t, at)) => {
                t + Duration::from_std(at.elapsed()).unwrap_or_else(|_| Duration::zero())
            }
        }
    }
}
