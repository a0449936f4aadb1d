//! One lettre [`Message`] per recipient: `multipart/alternative` (text, then
//! HTML), one `To`, and the headers mailing lists need: `Message-ID`,
//! `Date`, `List-Id`, `List-Unsubscribe` and, for an https link,
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
//!
//! Composing is cheap by design: the bodies arrive rendered and mostly
//! encoded ([`Letter`]); per recipient only the greeting and unsubscribe
//! lines are filled in and encoded. The `Message-ID` is derived from the
//! edition and the recipient, so a resumed delivery sends the same message.

use std::time::SystemTime;

use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use super::body::{Letter, Personal};
use super::verp::{reader_tag, BadReturnPath, ReturnPath};
use crate::config::SenderConfig;
use crate::render::clean;
pub use crate::subscribers::Recipient;

/// Who the digest is from, validated once.
#[derive(Debug, Clone)]
pub struct SenderSettings {
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    /// The list's identifier, without angle brackets: `weekly.example.org`.
    pub list_id: String,
    /// `https://…/{token}`; `None` unsubscribes by mail to `reply_to` (or
    /// `from`) instead.
    pub unsubscribe_url: Option<String>,
    /// The preference page beside it, `{token}` in it (see
    /// [`crate::config::preferences_url`]).
    pub preferences_url: Option<String>,
    /// The domain of every `Message-ID`: the sender's.
    pub domain: String,
    /// `sender.bounce_address`: a return path per reader (VERP).
    pub return_path: Option<ReturnPath>,
}

/// Why a message cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("`sender.from` is not set in the config; every message needs a sender")]
    NoSender,
    #[error("`sender.{field}` is not a valid address: `{value}` ({reason})")]
    BadSender {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error("`sender.list_id` must look like a domain name (`weekly.example.org`), not `{0}`")]
    BadListId(String),
    #[error("`{email}` is not a valid recipient address ({reason})")]
    BadRecipient { email: String, reason: String },
    #[error(transparent)]
    BadReturnPath(#[from] BadReturnPath),
    #[error("cannot build the message to `{email}`: {source}")]
    Build {
        email: String,
        #[source]
        source: lettre::error::Error,
    },
}

impl SenderSettings {
    /// Validates the `[sender]` table.
    pub fn resolve(sender: &SenderConfig) -> Result<SenderSettings, ComposeError> {
        let mailbox = |field: &'static str, value: &str| {
            value
                .trim()
                .parse::<Mailbox>()
                .map_err(|e| ComposeError::BadSender {
                    field,
                    value: value.to_owned(),
                    reason: e.to_string(),
                })
        };
        let from = mailbox(
            "from",
            sender.from.as_deref().ok_or(ComposeError::NoSender)?,
        )?;
        let reply_to = sender
            .reply_to
            .as_deref()
            .map(|r| mailbox("reply_to", r))
            .transpose()?;
        let from_domain = from.email.domain().to_ascii_lowercase();
        let domain = if from_domain.is_ascii() {
            from_domain
        } else {
            // A Message-ID is ASCII; an internationalised sender domain
            // gets a neutral one rather than a broken one.
            "postbode.invalid".to_owned()
        };
        let preferences_url = sender
            .unsubscribe_url
            .as_deref()
            .and_then(crate::config::preferences_url);
        let list_id = match sender.list_id.as_deref().map(str::trim) {
            Some(id) => {
                let id = id.trim_start_matches('<').trim_end_matches('>');
                if !is_dot_atom(id) {
                    return Err(ComposeError::BadListId(id.to_owned()));
                }
                id.to_owned()
            }
            None => format!("postbode.{domain}"),
        };
        // Each named digest is a list of its own: `daily.<the site's list>`.
        let list_id = match &sender.list_label {
            Some(label) => format!("{label}.{list_id}"),
            None => list_id,
        };
        let return_path = sender
            .bounce_address
            .as_deref()
            .map(ReturnPath::parse)
            .transpose()?;
        Ok(SenderSettings {
            from,
            reply_to,
            list_id,
            unsubscribe_url: sender.unsubscribe_url.clone(),
            preferences_url,
            domain,
            return_path,
        })
    }

    /// The recipient's unsubscribe link: `unsubscribe_url` with `{token}`
    /// replaced (percent-encoded), else a `mailto:` to the sender. Always
    /// ASCII, so it can stand in a header as it is.
    /// The reader's preference page, when `serve` answers beside the
    /// unsubscribe link.
    pub fn preferences_link(&self, token: &str) -> Option<String> {
        self.preferences_url
            .as_deref()
            .map(|url| fill_unsubscribe_url(url, token))
    }

    pub fn unsubscribe_link(&self, token: &str) -> String {
        match &self.unsubscribe_url {
            Some(url) => fill_unsubscribe_url(url, token),
            None => {
                let to = self.reply_to.as_ref().unwrap_or(&self.from);
                ascii_url(&format!("mailto:{}?subject=unsubscribe", to.email))
            }
        }
    }
}

/// `url` with `{token}` replaced by the percent-encoded token; ASCII only.
pub fn fill_unsubscribe_url(url: &str, token: &str) -> String {
    ascii_url(&url.replace("{token}", &percent_encode(token)))
}

/// Builds the message for `to`, dated now.
pub fn compose(
    rendered: &Letter,
    to: &Recipient,
    sender: &SenderSettings,
) -> Result<Message, ComposeError> {
    compose_at(rendered, to, sender, SystemTime::now())
}

/// Builds the message for `to`, dated `date`.
pub fn compose_at(
    rendered: &Letter,
    to: &Recipient,
    sender: &SenderSettings,
    date: SystemTime,
) -> Result<Message, ComposeError> {
    let address: Address =
        to.email
            .trim()
            .parse()
            .map_err(
                |e: lettre::address::AddressError| ComposeError::BadRecipient {
                    email: to.email.clone(),
                    reason: e.to_string(),
                },
            )?;
    let name = to
        .name
        .as_deref()
        .map(clean)
        .filter(|n| !n.is_empty())
        .map(|n| n.into_owned());
    let link = sender.unsubscribe_link(&to.token);
    let preferences = sender.preferences_link(&to.token);
    let personal = Personal {
        name: name.as_deref(),
        unsubscribe_url: &link,
        preferences_url: preferences.as_deref().unwrap_or(""),
    };
    let part = |content_type: ContentType, body: &super::body::Body| {
        SinglePart::builder()
            .header(content_type)
            .body(Body::dangerous_pre_encoded(
                body.encode(&personal),
                ContentTransferEncoding::QuotedPrintable,
            ))
    };
    let body = MultiPart::alternative()
        .singlepart(part(ContentType::TEXT_PLAIN, &rendered.text))
        .singlepart(part(ContentType::TEXT_HTML, &rendered.html));

    let mut builder = Message::builder()
        .from(sender.from.clone())
        .to(Mailbox::new(name, address))
        .subject(clean(&rendered.subject))
        .date(date)
        .message_id(Some(message_id(&rendered.edition_id, to, sender)))
        .header(ListId(sender.list_id.clone()))
        .header(ListUnsubscribe(link.clone()));
    if let Some(reply_to) = &sender.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    if link.starts_with("https://") {
        builder = builder.header(ListUnsubscribePost);
    }
    // The envelope sender is what counts; the header shows it in files and
    // is replaced by the receiving system (Postfix drops it on the way in).
    if let Some(path) = sender
        .return_path
        .as_ref()
        .and_then(|p| p.address_for(&to.token))
    {
        builder = builder.header(ReturnPathHeader(path.to_string()));
    }
    builder
        .multipart(body)
        .map_err(|source| ComposeError::Build {
            email: to.email.clone(),
            source,
        })
}

/// `<hash.tag.until@domain>`: the same edition to the same recipient always
/// gets the same id, different recipients or editions different ones, and
/// the id does not reveal the address or the token. The reader's tag
/// ([`reader_tag`]) lets a bounce that quotes the id name its reader. The
/// end of the window is there for people reading logs; the whole edition
/// id is in the hash.
pub fn message_id(edition_id: &str, to: &Recipient, sender: &SenderSettings) -> String {
    let mut h = Fnv::new();
    h.write(edition_id.as_bytes());
    h.write(&[0]);
    h.write(to.email.trim().to_lowercase().as_bytes());
    h.write(&[0]);
    h.write(to.token.as_bytes());
    let until: String = edition_id
        .rsplit("--")
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!(
        "<{:016x}.{}.{until}@{}>",
        h.finish(),
        reader_tag(&to.token),
        sender.domain
    )
}

/// FNV-1a, 64 bits: stable across Rust versions, unlike `DefaultHasher`.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// `List-Id: <weekly.example.org>` (RFC 2919).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListId(pub String);

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUnsubscribe(pub String);

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUnsubscribePost;

/// `Return-Path: <bounces+tag@…>`: the reader's own return path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnPathHeader(pub String);

impl Header for ReturnPathHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Return-Path")
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        Ok(ReturnPathHeader(unbracket(s)))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn unbracket(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

impl Header for ListId {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Id")
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        Ok(ListId(unbracket(s)))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        Ok(ListUnsubscribe(unbracket(s)))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        if s.trim() == "List-Unsubscribe=One-Click" {
            Ok(ListUnsubscribePost)
        } else {
            Err(format!("unexpected `List-Unsubscribe-Post` value `{s}`").into())
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes the bytes a URL may not hold as they are (non-ASCII,
/// controls, spaces, quotes, angle brackets), leaving the rest.
fn ascii_url(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_graphic()
            && !matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// RFC 5322's dot-atom: what a `List-Id` identifier must be.
fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(url: Option<&str>) -> SenderSettings {
        SenderSettings::resolve(&SenderConfig {
            from: Some("Leest Meer <digest@leestmeer.example.org>".into()),
            reply_to: Some("redactie@leestmeer.example.org".into()),
            list_id: Some("weekly.leestmeer.example.org".into()),
            unsubscribe_url: url.map(str::to_owned),
            ..SenderConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn unsubscribe_links() {
        let s = sender(Some("https://leestmeer.example.org/afmelden/{token}"));
        assert_eq!(
            s.unsubscribe_link("ab/c d"),
            "https://leestmeer.example.org/afmelden/ab%2Fc%20d"
        );
        let s = sender(None);
        assert_eq!(
            s.unsubscribe_link("x"),
            "mailto:redactie@leestmeer.example.org?subject=unsubscribe"
        );
    }

    #[test]
    fn sender_is_validated() {
        let mut config = SenderConfig::default();
        assert!(matches!(
            SenderSettings::resolve(&config),
            Err(ComposeError::NoSender)
        ));
        config.from = Some("not an address".into());
        let err = SenderSettings::resolve(&config).unwrap_err().to_string();
        assert!(err.contains("`sender.from`"), "{err}");
        config.from = Some("a@example.org".into());
        config.list_id = Some("has space.example".into());
        assert!(matches!(
            SenderSettings::resolve(&config),
            Err(ComposeError::BadListId(_))
        ));
        config.list_id = None;
        assert_eq!(
            SenderSettings::resolve(&config).unwrap().list_id,
            "postbode.example.org"
        );
        config.list_label = Some("daily".into());
        assert_eq!(
            SenderSettings::resolve(&config).unwrap().list_id,
            "daily.postbode.example.org"
        );
        config.list_label = None;
    }

    #[test]
    fn message_ids_are_stable_per_recipient_and_edition() {
        let s = sender(None);
        let ada = Recipient {
            email: "ada@example.org".into(),
            name: None,
            token: "t1".into(),
            categories: vec![],
        };
        let bob = Recipient {
            email: "bob@example.org".into(),
            ..ada.clone()
        };
        let edition = "20261115T230000Z--20261122T230000Z";
        let id = message_id(edition, &ada, &s);
        assert_eq!(id, message_id(edition, &ada, &s));
        assert_ne!(id, message_id(edition, &bob, &s));
        assert_ne!(
            id,
            message_id("20261114T230000Z--20261122T230000Z", &ada, &s)
        );
        assert!(
            id.ends_with(".20261122T230000Z@leestmeer.example.org>"),
            "{id}"
        );
        assert_eq!(
            id.len(),
            "<0123456789abcdef.0123456789abcdef.20261122T230000Z@leestmeer.example.org>".len()
        );
        // The reader's tag, so a bounce that quotes the id names its reader.
        let tag = crate::mail::verp::reader_tag("t1");
        assert!(id.contains(&format!(".{tag}.")), "{id}");
        assert!(!id.contains("ada") && !id.contains("t1@"), "{id}");
    }
}
