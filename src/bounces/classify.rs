//! What one message is (delivery report, complaint, auto-reply, other), the
//! addresses that failed, and the traces of the original it answers: read
//! with `mail-parser`, which decodes MIME, charsets and encoded words and
//! makes the best of truncated or broken messages.

use std::sync::LazyLock;

use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use regex::Regex;

use super::freetext::{self, addresses_in, normalize};
use super::Kind;

/// What a message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub kind: Kind,
    /// Addresses that failed for good.
    pub permanent: Vec<String>,
    /// Addresses that failed for now (delayed, mailbox full, greylisted).
    pub temporary: Vec<String>,
    /// The enhanced status code of the failure (`5.1.1`), when given.
    pub status: Option<String>,
    /// Addresses named in a structured report (DSN `Final-Recipient` and
    /// `Original-Recipient`, ARF `Original-Rcpt-To`), not guessed from text.
    pub reported: Vec<String>,
    /// ARF `Feedback-Type`, lower-case.
    pub feedback_type: Option<String>,
    /// Where this message was delivered (`Delivered-To`, `X-Original-To`,
    /// `To`, …): a VERP return path shows up here.
    pub recipients: Vec<String>,
    /// `Message-ID`s of the original, from an attached message, attached
    /// headers or quoted text.
    pub original_ids: Vec<String>,
    /// `List-Id`s of the original, without angle brackets.
    pub list_ids: Vec<String>,
    /// The message's `Date`, seconds since the epoch.
    pub date: Option<i64>,
    /// Set when nothing could be read as a message at all.
    pub unreadable: bool,
}

impl Report {
    pub(crate) fn empty(kind: Kind) -> Report {
        Report {
            kind,
            permanent: Vec::new(),
            temporary: Vec::new(),
            status: None,
            reported: Vec::new(),
            feedback_type: None,
            recipients: Vec::new(),
            original_ids: Vec::new(),
            list_ids: Vec::new(),
            date: None,
            unreadable: false,
        }
    }
}

/// Headers where the address this message was delivered to shows.
const RECIPIENT_HEADERS: [&str; 7] = [
    "Delivered-To",
    "X-Original-To",
    "To",
    "Envelope-To",
    "X-Envelope-To",
    "X-Delivered-To",
    "X-Rcpt-To",
];

/// Reads one raw message.
pub fn classify(raw: &[u8]) -> Report {
    let Some(message) = MessageParser::default().parse(raw) else {
        let mut report = Report::empty(Kind::Other);
        report.unreadable = true;
        return report;
    };
    let mut report = Report::empty(Kind::Other);
    report.date = message.date().map(|d| d.to_timestamp());
    for name in RECIPIENT_HEADERS {
        for value in header_texts(&message, name) {
            report.recipients.extend(addresses_in(&value));
        }
    }
    let mut parts = Parts::default();
    collect(&message, &mut parts, &mut report);
    report.original_ids.extend(quoted(&parts.text, &QUOTED_ID));
    report.list_ids.extend(quoted(&parts.text, &QUOTED_LIST_ID));
    dedupe(&mut report.original_ids);
    dedupe(&mut report.list_ids);

    let from = header_texts(&message, "From").join(" ");
    let subject = message.subject().unwrap_or("").to_owned();
    let mut exclude: Vec<String> = report.recipients.clone();
    exclude.extend(addresses_in(&from));
    exclude.extend(parts.original_senders.iter().cloned());

    if let Some(fields) = &parts.feedback {
        report.kind = Kind::Arf;
        report.feedback_type = field(fields, "Feedback-Type").map(|t| t.trim().to_lowercase());
        for name in ["Original-Rcpt-To", "Removal-Recipient"] {
            for v in fields_all(fields, name) {
                report.reported.extend(addresses_in(&v));
            }
        }
        dedupe(&mut report.reported);
        return report;
    }
    if !parts.dsn.is_empty() {
        report.kind = Kind::Dsn;
        read_dsn(&parts.dsn, &mut report);
        if report.permanent.is_empty() && report.temporary.is_empty() {
            // A report whose fields name nobody (some Exchange and Lotus
            // servers): the notice text may.
            let found = freetext::scan(&parts.notice, &exclude);
            take_found(&mut report, found);
        }
        return report;
    }
    // Exim names the failed addresses in a header of its notice.
    let failed_header: Vec<String> = header_texts(&message, "X-Failed-Recipients")
        .iter()
        .flat_map(|h| addresses_in(h))
        .collect();
    let bouncy = looks_like_bounce(&from, &subject, &parts.notice, &message);
    if bouncy || !failed_header.is_empty() {
        report.kind = Kind::Dsn;
        let mut found = freetext::scan(&parts.notice, &exclude);
        for a in &failed_header {
            if !found.permanent.contains(a) && !found.temporary.contains(a) {
                found.permanent.push(a.clone());
            }
        }
        report.reported.extend(failed_header);
        take_found(&mut report, found);
        return report;
    }
    if is_autoreply(&message, &subject) {
        report.kind = Kind::Autoreply;
    }
    report
}

fn take_found(report: &mut Report, found: freetext::Found) {
    report.permanent = found.permanent;
    report.temporary = found.temporary;
    report.status = report.status.take().or(found.status);
}

/// What the walk over the MIME tree gathers.
#[derive(Default)]
struct Parts {
    /// Per-recipient blocks of `message/delivery-status` parts.
    dsn: Vec<String>,
    /// The fields of a `message/feedback-report` part.
    feedback: Option<String>,
    /// The notice: text parts outside the returned original.
    notice: String,
    /// All text, the original's included (for quoted ids).
    text: String,
    /// `From` of the returned original: our own sender, never a failure.
    original_senders: Vec<String>,
}

fn collect(message: &Message<'_>, parts: &mut Parts, report: &mut Report) {
    for part in &message.parts {
        let (ctype, subtype) = part
            .content_type()
            .map(|c| {
                (
                    c.ctype().to_ascii_lowercase(),
                    c.subtype().unwrap_or("").to_ascii_lowercase(),
                )
            })
            .unwrap_or_else(|| ("text".into(), "plain".into()));
        match (&part.body, ctype.as_str(), subtype.as_str()) {
            (_, "message", "delivery-status" | "global-delivery-status") => {
                parts
                    .dsn
                    .push(String::from_utf8_lossy(part.contents()).into_owned());
            }
            (_, "message", "feedback-report") => {
                parts.feedback = Some(String::from_utf8_lossy(part.contents()).into_owned());
            }
            (PartType::Message(original), _, _) => original_traces(original, parts, report),
            (PartType::Text(text), "text", "rfc822-headers") => {
                if let Some(headers) = MessageParser::default().parse_headers(text.as_bytes()) {
                    original_traces(&headers, parts, report);
                }
                push_limited(&mut parts.text, text, TEXT_LIMIT);
            }
            (PartType::Text(text), _, _) => {
                push_limited(&mut parts.notice, text, NOTICE_LIMIT);
                push_limited(&mut parts.text, text, TEXT_LIMIT);
            }
            (PartType::Html(html), _, _) if parts.notice.is_empty() => {
                let text = mail_parser::decoders::html::html_to_text(html);
                push_limited(&mut parts.notice, &text, NOTICE_LIMIT);
                push_limited(&mut parts.text, &text, TEXT_LIMIT);
            }
            _ => {}
        }
    }
}

/// The `Message-ID`, `List-Id` and sender of a returned original.
fn original_traces(original: &Message<'_>, parts: &mut Parts, report: &mut Report) {
    if let Some(id) = original.message_id() {
        report.original_ids.push(format!("<{}>", id.trim()));
    }
    if let Some(list) = list_id(original.list_id()) {
        report.list_ids.push(list);
    }
    parts.original_senders.extend(
        header_texts(original, "From")
            .iter()
            .flat_map(|f| addresses_in(f)),
    );
    for (_, raw) in original.headers_raw() {
        push_limited(&mut parts.text, raw, TEXT_LIMIT);
    }
}

/// Notices are short: the failed addresses are in their first lines, and a
/// huge message must not cost more than a small one.
const NOTICE_LIMIT: usize = 64 * 1024;
/// Quoted headers of the original come right after the notice.
const TEXT_LIMIT: usize = 1024 * 1024;

/// Appends `text` (and a line break), up to `limit` bytes in all.
fn push_limited(to: &mut String, text: &str, limit: usize) {
    let room = limit.saturating_sub(to.len());
    if room == 0 {
        return;
    }
    let mut end = text.len().min(room);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    to.push_str(&text[..end]);
    to.push('\n');
}

fn list_id(value: &HeaderValue<'_>) -> Option<String> {
    let text = match value {
        HeaderValue::Text(t) => t.to_string(),
        HeaderValue::TextList(l) => l.join(" "),
        HeaderValue::Address(a) => a
            .iter()
            .filter_map(|a| a.address.as_deref())
            .collect::<Vec<_>>()
            .join(" "),
        _ => return None,
    };
    let inner = match (text.rfind('<'), text.rfind('>')) {
        (Some(a), Some(b)) if a < b => &text[a + 1..b],
        _ => text.trim(),
    };
    (!inner.is_empty()).then(|| inner.to_ascii_lowercase())
}

static QUOTED_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^[\s>]*message-id:\s*(<[^<>\s]+@[^<>\s]+>)").unwrap_or_else(|e| panic!("{e}"))
});
static QUOTED_LIST_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^[\s>]*list-id:[^<\n]*<([^<>\s]+)>").unwrap_or_else(|e| panic!("{e}"))
});

fn quoted(text: &str, pattern: &Regex) -> Vec<String> {
    pattern
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str().to_ascii_lowercase())
        .collect()
}

/// The per-recipient blocks of a delivery-status body, read as header
/// fields (which they are, RFC 3464 §2.1) by the MIME parser.
fn read_dsn(bodies: &[String], report: &mut Report) {
    for body in bodies {
        let normalized = body.replace("\r\n", "\n");
        for block in normalized.split("\n\n") {
            let final_recipient = field(block, "Final-Recipient");
            let original_recipient = field(block, "Original-Recipient");
            let Some(address) = final_recipient
                .as_deref()
                .or(original_recipient.as_deref())
                .and_then(|r| addresses_in(r).into_iter().next())
            else {
                continue;
            };
            for r in [&final_recipient, &original_recipient]
                .into_iter()
                .flatten()
            {
                report.reported.extend(addresses_in(r));
            }
            let action = field(block, "Action").map(|a| a.trim().to_ascii_lowercase());
            let status = field(block, "Status").and_then(|s| {
                s.split_whitespace()
                    .next()
                    .filter(|c| c.split('.').count() == 3)
                    .map(str::to_owned)
            });
            let diagnostic = field(block, "Diagnostic-Code").unwrap_or_default();
            let temporary = match (&status, action.as_deref()) {
                (_, Some("delivered" | "relayed" | "expanded")) => continue,
                (Some(code), _) if code.starts_with('2') => continue,
                (Some(code), _) => freetext::is_temporary_status(code, &diagnostic),
                (None, Some("delayed")) => true,
                (None, _) => false,
            };
            if report.status.is_none() {
                report.status = status;
            }
            let list = if temporary {
                &mut report.temporary
            } else {
                &mut report.permanent
            };
            if !list.contains(&address) {
                list.push(address);
            }
        }
    }
    dedupe(&mut report.reported);
}

/// One header field of a block of fields, decoded.
fn field(block: &str, name: &str) -> Option<String> {
    fields_all(block, name).into_iter().next()
}

fn fields_all(block: &str, name: &str) -> Vec<String> {
    let mut text = block.trim_start().to_owned();
    text.push_str("\n\n");
    let Some(headers) = MessageParser::default().parse_headers(text.as_bytes()) else {
        return Vec::new();
    };
    header_texts(&headers, name)
}

/// Every value of a header, as text, whatever form the parser gave it.
fn header_texts(message: &Message<'_>, name: &str) -> Vec<String> {
    message
        .headers_raw()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

/// A delivery notice without a standard report: from a mail system, or
/// with a subject or opening that mail systems use.
fn looks_like_bounce(from: &str, subject: &str, notice: &str, message: &Message<'_>) -> bool {
    static FROM: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)mailer-daemon|postmaster|mail delivery (?:subsystem|system)|mail administrator|mdaemon|microsoftexchange|mail.delivery").unwrap_or_else(|e| panic!("{e}"))
    });
    static SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)undeliver|undelivered|delivery (?:status notification|failure|failed|notification|has failed|incomplete|delayed)|returned mail|mail delivery failed|failure notice|delivery problem|non[- ]?delivery|could not send message|delayed mail|message not delivered|nondeliverable|not delivered|rejected:|warning: message .* delayed|mail system error|mail delivery status").unwrap_or_else(|e| panic!("{e}"))
    });
    static OPENING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)this is the mail system at host|this is the qmail-send program|mail delivery software|could not be delivered to one or more|delivery has failed to these recipients|delivery is delayed to these recipients|did not reach (?:some or all of )?the (?:intended|following) recipient|delivery to the following recipient|message that you sent was undeliverable|unable to deliver (?:your )?message to the following|the following addresses had (?:permanent|transient)|wasn't delivered to|couldn't be delivered to|has not yet been delivered|delivery status notification|delivery to the following recipients failed").unwrap_or_else(|e| panic!("{e}"))
    });
    let null_sender = message
        .header_raw("Return-Path")
        .is_some_and(|r| r.trim() == "<>");
    let head: String = notice.chars().take(4000).collect();
    FROM.is_match(from)
        || SUBJECT.is_match(subject)
        || null_sender && OPENING.is_match(&head)
        || OPENING.is_match(&head) && !is_autoreply(message, subject)
}

/// RFC 3834 `Auto-Submitted: auto-replied`, and the headers and subjects
/// of vacation programs that predate it.
fn is_autoreply(message: &Message<'_>, subject: &str) -> bool {
    static SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*(?:auto(?:matic)?[- ]?(?:reply|response|antwort)|out of (?:the )?office|vacation|away from|afwezig|absence|abwesenheit|automatisch antwoord|autosvar|r[ée]ponse automatique)").unwrap_or_else(|e| panic!("{e}"))
    });
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    header("Auto-Submitted").is_some_and(|v| v != "no")
        || header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("X-Autoreply-From").is_some()
        || header("X-Mail-Autoreply").is_some()
        || header("X-Auto-Response-Suppress")
            .is_some_and(|v| v.contains("all") || v.contains("oof"))
            && SUBJECT.is_match(subject)
        || header("Precedence").is_some_and(|v| v == "auto_reply")
        || SUBJECT.is_match(subject)
}

fn dedupe(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|a| seen.insert(normalize(a)));
}
