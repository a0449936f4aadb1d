//! Sign-ups from the web: a pending entry on the list, a confirmation mail,
//! and the link in it that makes the entry active.
//!
//! The confirmation link carries the subscriber's own token, the secret that
//! is also in their unsubscribe link, and it confirms only while the entry
//! is `pending` (and at most [`CONFIRM_WITHIN`] after the sign-up): once
//! confirmed, the same link confirms nothing more, so it is one-time without
//! a second secret in the list file. Both links go only to the address
//! itself, so sharing the secret gives nobody anything they did not have.
//! An address that signs up again after unsubscribing (or bouncing) gets a
//! new token, so links from before cannot confirm it.
//!
//! Every change goes through [`Store::update`], under the list's lock, so
//! `serve`, `send` and `postbode subscribers` never lose each other's writes.

use chrono::{DateTime, Duration, FixedOffset};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::Message;

use crate::config::Config;
use crate::mail::compose::{fill_unsubscribe_url, ComposeError, SenderSettings};
use crate::mail::deliver::send_one;
use crate::mail::smtp::SendError;
use crate::subscribers::{
    find_by_token, new_token, position, Address, Status, Store, StoreError, Subscriber,
};
use crate::templates::pages::{confirmation_mail, Site};

/// How long a confirmation link works.
pub const CONFIRM_WITHIN: Duration = Duration::days(7);

/// One sign-up, validated.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub address: Address,
    pub name: Option<String>,
    pub categories: Vec<String>,
    /// The digests asked for (checked against the config); empty: the default.
    pub digests: Vec<String>,
}

/// Adds or renews a pending entry for `signup`. Returns it when it needs a
/// confirmation mail; `None` when the address is active already (nothing
/// changes: a form cannot change an active subscriber's choices).
pub fn sign_up(
    store: &Store,
    signup: SignUp,
    now: DateTime<FixedOffset>,
) -> Result<Option<Subscriber>, StoreError> {
    store.update(|list| {
        let Some(i) = position(list, &signup.address.email) else {
            let mut s = Subscriber::new(signup.address, signup.name, signup.categories, now);
            s.status = Status::Pending;
            s.digests = signup.digests;
            list.push(s.clone());
            return Ok(Some(s));
        };
        let s = &mut list[i];
        match s.status {
            Status::Active => return Ok(None),
            Status::Pending => {}
            Status::Unsubscribed | Status::Bounced => {
                s.status = Status::Pending;
                s.token = new_token();
            }
        }
        s.subscribed_at = Some(now);
        s.categories = signup.categories;
        s.digests = signup.digests;
        if signup.name.is_some() {
            s.name = signup.name;
        }
        Ok(Some(s.clone()))
    })
}

/// What a confirmation link leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Waiting for confirmation.
    Pending(Subscriber),
    /// Confirmed (just now, or before).
    Active(Subscriber),
    /// Unknown, expired, or for an entry that is not pending.
    Invalid,
}

/// What the link `token` leads to at `now`, without changing anything.
pub fn look_up(list: &[Subscriber], token: &str, now: DateTime<FixedOffset>) -> Link {
    match find_by_token(list, token) {
        Some(s) if s.status == Status::Active => Link::Active(s.clone()),
        Some(s) if s.status == Status::Pending && fresh(s, now) => Link::Pending(s.clone()),
        _ => Link::Invalid,
    }
}

/// Confirms the pending entry with `token`: it becomes active.
pub fn confirm(store: &Store, token: &str, now: DateTime<FixedOffset>) -> Result<Link, StoreError> {
    let token = token.trim();
    store.update(|list| {
        let Some(s) = list
            .iter_mut()
            .find(|s| !token.is_empty() && s.token == token)
        else {
            return Ok(Link::Invalid);
        };
        Ok(match s.status {
            Status::Active => Link::Active(s.clone()),
            Status::Pending if fresh(s, now) => {
                s.resubscribe(now);
                Link::Active(s.clone())
            }
            _ => Link::Invalid,
        })
    })
}

/// True while a pending entry's link still works. An entry without a date
/// (written by hand) has no age to expire by.
pub(crate) fn fresh(s: &Subscriber, now: DateTime<FixedOffset>) -> bool {
    s.subscribed_at.is_none_or(|at| now - at <= CONFIRM_WITHIN)
}

/// The confirmation mail to `s`, with the link `confirm_url` (`{token}`
/// filled in with theirs).
pub fn confirmation_message(
    site: &Site,
    sender: &SenderSettings,
    confirm_url: &str,
    s: &Subscriber,
) -> Result<Message, ComposeError> {
    let link = fill_unsubscribe_url(confirm_url, &s.token);
    let (subject, text) = confirmation_mail(site, &s.email, &link);
    let to: Mailbox =
        s.email.parse().map_err(
            |e: lettre::address::AddressError| ComposeError::BadRecipient {
                email: s.email.clone(),
                reason: e.to_string(),
            },
        )?;
    let mut builder = Message::builder()
        .from(sender.from.clone())
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{}@{}>", new_token(), sender.domain)))
        // Vacation responders and the like must not answer it.
        .header(AutoSubmitted);
    if let Some(reply_to) = &sender.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    builder
        .header(ContentType::TEXT_PLAIN)
        .body(text)
        .map_err(|source| ComposeError::Build {
            email: s.email.clone(),
            source,
        })
}

/// `Auto-Submitted: auto-generated` (RFC 3834).
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// Why a confirmation mail did not go out.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmMailError {
    #[error(transparent)]
    Compose(#[from] ComposeError),
    #[error("the confirmation mail has no {0}")]
    Envelope(&'static str),
    #[error("cannot send the confirmation mail to `{to}`")]
    Send {
        to: String,
        #[source]
        source: SendError,
    },
}

/// Sends one message through the configured transport (its `file` outbox
/// folder is `confirm`), trying a transient failure twice more.
pub fn deliver(config: &Config, message: &Message) -> Result<String, ConfirmMailError> {
    let envelope = message.envelope();
    let from = envelope
        .from()
        .ok_or(ConfirmMailError::Envelope("sender"))?;
    let to = envelope
        .to()
        .first()
        .ok_or(ConfirmMailError::Envelope("recipient"))?;
    let failed = |source| ConfirmMailError::Send {
        to: to.to_string(),
        source,
    };
    let (transport, _) = crate::mail::transport(config, "confirm").map_err(failed)?;
    send_one(
        transport.as_ref(),
        from,
        to,
        &message.formatted(),
        3,
        std::time::Duration::from_secs(1),
    )
    .map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Language;
    use crate::config::SenderConfig;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn signup(email: &str) -> SignUp {
        SignUp {
            address: Address::parse(email).unwrap(),
            name: None,
            categories: vec!["tech".into()],
            digests: vec![],
        }
    }

    #[test]
    fn sign_up_confirm_once_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.yaml"));
        let now = at("2026-11-16T08:00:00+01:00");
        let pending = sign_up(&store, signup("ada@example.org"), now)
            .unwrap()
            .unwrap();
        assert_eq!(pending.status, Status::Pending);
        let list = store.load().unwrap();
        assert!(!list[0].gets_digest());
        assert_eq!(
            look_up(&list, &pending.token, now),
            Link::Pending(pending.clone())
        );
        assert_eq!(
            look_up(&list, &pending.token, now + Duration::days(8)),
            Link::Invalid,
            "expired"
        );

        let Link::Active(active) = confirm(&store, &pending.token, now).unwrap() else {
            panic!("not confirmed");
        };
        assert_eq!(
            (active.status, active.token),
            (Status::Active, pending.token.clone())
        );
        assert_eq!(
            sign_up(&store, signup("ada@example.org"), now).unwrap(),
            None,
            "an active address gets no mail and no change"
        );
        assert!(matches!(
            confirm(&store, &pending.token, now).unwrap(),
            Link::Active(_)
        ));
        assert_eq!(confirm(&store, "nope", now).unwrap(), Link::Invalid);
    }

    #[test]
    fn unsubscribed_addresses_sign_up_again_with_a_new_token() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.yaml"));
        let now = at("2026-11-16T08:00:00+01:00");
        let first = sign_up(&store, signup("ada@example.org"), now)
            .unwrap()
            .unwrap();
        confirm(&store, &first.token, now).unwrap();
        store.unsubscribe_by_token(&first.token, now).unwrap();
        assert_eq!(
            confirm(&store, &first.token, now).unwrap(),
            Link::Invalid,
            "an unsubscribed entry is not confirmed by an old link"
        );
        let again = sign_up(&store, signup("ada@EXAMPLE.org"), now)
            .unwrap()
            .unwrap();
        assert_eq!(again.status, Status::Pending);
        assert_ne!(again.token, first.token);
        assert_eq!(confirm(&store, &first.token, now).unwrap(), Link::Invalid);
        assert!(matches!(
            confirm(&store, &again.token, now).unwrap(),
            Link::Active(_)
        ));
        assert_eq!(store.load().unwrap().len(), 1);
    }

    #[test]
    fn the_mail_holds_the_link_and_the_sender() {
        let sender = SenderSettings::resolve(&SenderConfig {
            from: Some("Blog <news@blog.example>".into()),
            reply_to: Some("editor@blog.example".into()),
            ..Default::default()
        })
        .unwrap();
        let site = Site {
            title: "Blog".into(),
            home: None,
            language: Language::En,
        };
        let s = Subscriber::new(
            Address::parse("ada@example.org").unwrap(),
            None,
            vec![],
            at("2026-11-16T08:00:00+01:00"),
        );
        let m = confirmation_message(&site, &sender, "https://blog.example/confirm/{token}", &s)
            .unwrap();
        let text = String::from_utf8(m.formatted()).unwrap();
        assert!(
            text.contains("From: Blog <news@blog.example>\r\n"),
            "{text}"
        );
        assert!(text.contains("Reply-To: editor@blog.example\r\n"), "{text}");
        assert!(
            text.contains("Auto-Submitted: auto-generated\r\n"),
            "{text}"
        );
        assert!(
            text.contains("Subject: Confirm your subscription to Blog\r\n"),
            "{text}"
        );
        assert!(
            text.contains(&format!("https://blog.example/confirm/{}", s.token)),
            "{text}"
        );
    }
}
