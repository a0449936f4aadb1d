//! Bounce mail: reading delivery reports (DSN, RFC 3464, and the free-text
//! notices of mail systems that write none), spam complaints (ARF, RFC 5965)
//! and auto-replies from a mailbox, matching each to a subscriber, and
//! changing the list accordingly.
//!
//! The pieces run one way: a mailbox ([`mailbox`], [`imap`]) yields raw
//! messages; [`classify`] says what a message is and which addresses failed;
//! [`identify`] finds the subscriber it is about (VERP tag, the original's
//! `Message-ID` or `List-Id`, or a failed address named in a structured
//! report; never a free-text address alone); [`apply`] decides and makes the
//! change through the subscriber store and its lock, and keeps the why
//! (status code, date, soft bounces) in [`record`].

pub mod apply;
pub mod classify;
mod freetext;
pub mod identify;
pub mod imap;
pub mod mailbox;
pub mod record;

use serde::Serialize;

pub use apply::{Action, Outcome, Settings};
pub use classify::{classify, Report};

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A delivery report: standard (RFC 3464) or a mail system's own notice.
    Dsn,
    /// A feedback report (RFC 5965): a spam complaint or another kind.
    Arf,
    /// A vacation or out-of-office reply (RFC 3834 and its cousins).
    Autoreply,
    /// Anything else: left alone.
    Other,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Dsn => "dsn",
            Kind::Arf => "arf",
            Kind::Autoreply => "autoreply",
            Kind::Other => "other",
        }
    }
}

/// Why bounce processing as a whole cannot go on (one bad message is never
/// such a reason: it gets its own line).
#[derive(Debug, thiserror::Error)]
pub enum BounceError {
    #[error("cannot read the mailbox `{path}`: {source}")]
    Mailbox {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot move `{name}` to `{to}`: {source}")]
    Move {
        name: String,
        to: String,
        #[source]
        source: std::io::Error,
    },
    #[error("IMAP `{server}`: {message}")]
    Imap { server: String, message: String },
    #[error(transparent)]
    Store(#[from] crate::subscribers::StoreError),
    #[error("cannot {action} the bounce record `{path}`: {message}")]
    Record {
        action: &'static str,
        path: String,
        message: String,
    },
}
