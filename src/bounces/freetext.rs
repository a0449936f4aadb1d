//! Failed addresses in the free-text notices that mail systems write
//! instead of (or besides) a standard report: Postfix, Exim, qmail,
//! Sendmail/AOL, Exchange and Office 365, Gmail, GroupWise, Lotus, Yahoo.
//!
//! A notice is read up to where the returned original starts; there, each
//! way a system lists a failed address (`<a@b>: host … said: 550 …`, an
//! indented address alone on its line, `a@b (user not found)`, `a@b on
//! 1/2/2020`, `<a@b>... User unknown`, "wasn't delivered to a@b", an SMTP
//! transcript) gives a candidate, and the lines up to the next candidate
//! say whether it failed for good or for now. Addresses found here are only
//! reported; acting on one needs another identification (see `identify`).

use std::sync::LazyLock;

use regex::Regex;

const ADDR: &str = r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w](?:[\w-]*[\w])?(?:\.[\w](?:[\w-]*[\w])?)+";

fn re(pattern: &str) -> Regex {
    // The patterns are constants of this file; the tests compile them all.
    Regex::new(&pattern.replace("ADDR", ADDR)).unwrap_or_else(|e| panic!("bad pattern: {e}"))
}

/// Lines that list one failed address, each system's way.
static CANDIDATE_LINES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // Postfix, qmail, Yahoo: `<a@b>: host … said: …` or `<a@b>:` alone.
        r"^\s*<(ADDR)>\s*:",
        // Exim, Gmail, qmail, Lotus, Office 365: the address alone, often indented.
        r"^\s*<?(ADDR)>?\s*$",
        // GroupWise `a@b (user not found)`, Exchange `a@b (a@b)`.
        r"^\s*<?(ADDR)>?\s+\(.*\)\s*$",
        // Exchange 2003: `a@b on 1/2/2020 10:00 AM`.
        r"^\s*<?(ADDR)>?\s+on\s+\d",
        // Sendmail, AOL: `<a@b>... User unknown`.
        r"^\s*<?(ADDR)>?\.\.\.",
        // `a@b: reason`, `a@b - reason`.
        r"^\s*(ADDR)\s*(?::|\s-)\s+\S",
        // Exchange 2007+: `a@b` then `#550 5.1.1 …`; also `Recipient address: a@b`.
        r"(?i)^\s*(?:(?:failed|bad|invalid|unknown|original) )?(?:recipient(?:\(s\))?(?: address)?|address|user|mailbox)\s*:\s*<?(ADDR)>?",
        // A standard report's fields, when they appear as text (a broken report).
        r"(?i)^\s*(?:final|original)-recipient\s*:\s*(?:rfc822\s*;)?\s*<?(ADDR)>?",
    ]
    .iter()
    .map(|p| re(p))
    .collect()
});

/// Sentences that name a failed address anywhere in a line.
static CANDIDATE_PHRASES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?i)(?:wasn't|was not|could not be|couldn't be|cannot be|can't be|has not been|hasn't been|not yet been|could not) delivered to:?\s*<?(ADDR)>?",
        r"(?i)(?:delivery|delivering (?:your |the )?(?:message|mail|e-?mail)) to:?\s*<?(ADDR)>?",
        r"(?i)unable to deliver (?:your |the )?(?:message |mail )?to:?\s*<?(ADDR)>?",
        r"(?i)message to <?(ADDR)>? (?:was undeliverable|could not be delivered|has been delayed|was not delivered)",
        r"(?i)\b[45]\d\d[ -](?:#?[245]\.\d{1,3}\.\d{1,3}\s+)?<(ADDR)>",
        r"(?i)\b[45]\.\d{1,3}\.\d{1,3}\s+<(ADDR)>",
        r"(?i)RCPT TO:?\s*<(ADDR)>",
        r"(?i)(?:unknown|invalid|no such) (?:user|recipient|mailbox|address)[:\s]+<?(ADDR)>?",
        r"(?i)<(ADDR)>[:\s.]+(?:user unknown|mailbox unavailable|recipient address rejected|no such user|does not exist|not found)",
    ]
    .iter()
    .map(|p| re(p))
    .collect()
});

/// Where the returned original (or a transcript's quoted headers) starts.
static ORIGINAL_STARTS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?im)^\s*(?:-+\s*)?(?:this is a copy of the message|below this line is a copy of the message|original message|-+\s*original message|(?:possibly truncated )?original message follows|unsent message follows|returned message|the header of the original message|original message headers|headers of the original message|message headers follow|the original message was:|the text you sent follows|your message (?:reads|was)(?: as follows)?:)",
    )
});

/// Lines whose addresses are never failed recipients.
static HEADER_LINES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:message-id|in-reply-to|references|received|return-path|from|reply-to|sender|reporting-mta|remote-mta|x-[\w-]+|arrival-date|dkim-signature|list-[\w-]+|mail from|envelope-from|>+\s*mail from)\s*:",
    )
});

static ENHANCED: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[\s#(\[:=])([245])\.(\d{1,3})\.(\d{1,3})\b"));
static BASIC: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|[\s#(\[:])([45])\d\d(?:[\s-]|$)"));
static TEMPORARY_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)mailbox (?:is )?full|over ?quota|quota exceeded|exceeded (?:the |its )?(?:storage )?quota|insufficient (?:system )?storage|greylist|try again later|temporar(?:y|ily)|deferred|will (?:continue to |be )?retr(?:y|ied)|still trying|delayed|not yet been delivered|warning message only|transient",
    )
});
/// What delay warnings say of themselves, whatever else they say.
static DELAY_NOTICE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)warning (?:message )?only|still being retried|has not yet been delivered|hasn't been delivered yet|will (?:continue to be attempted|keep trying|be retried)|delivery (?:is|has been) delayed|transient non-fatal|temporary problem delivering|delivery status notification \(delay\)",
    )
});
/// What final failure notices say of themselves.
static FAILURE_NOTICE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)this is a permanent error|failed permanently|permanent fatal|i've given up")
});
static PERMANENT_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)permanent(?:ly)? (?:error|failure|fatal)|failed permanently|permanent fatal|given up|delivery has failed|could not be delivered|couldn't be delivered|wasn't delivered|undeliverable|does not exist|doesn't exist|user unknown|no such user|address not found|not listed in",
    )
});

/// Addresses a notice says failed, sorted into permanent and temporary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub permanent: Vec<String>,
    pub temporary: Vec<String>,
    /// The first enhanced status code seen near a failed address.
    pub status: Option<String>,
}

/// The failed addresses in a notice's text. `exclude` holds addresses that
/// are never failed recipients (the report's own sender and recipients).
pub(crate) fn scan(text: &str, exclude: &[String]) -> Found {
    let notice = match ORIGINAL_STARTS.find(text) {
        Some(m) => &text[..m.start()],
        None => text,
    };
    let lines: Vec<&str> = notice.lines().collect();
    let mut candidates: Vec<(usize, String)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if HEADER_LINES.is_match(line) {
            continue;
        }
        let mut found: Vec<String> = CANDIDATE_LINES
            .iter()
            .filter_map(|r| r.captures(line))
            .filter_map(|c| c.get(1).map(|m| m.as_str().to_owned()))
            .take(1)
            .collect();
        for r in CANDIDATE_PHRASES.iter() {
            for c in r.captures_iter(line) {
                if let Some(m) = c.get(1) {
                    found.push(m.as_str().to_owned());
                }
            }
        }
        for address in found {
            let address = normalize(&address);
            let excluded = exclude.contains(&address) || is_system_address(&address);
            if !excluded && !candidates.iter().any(|(_, a)| *a == address) {
                candidates.push((i, address));
            }
        }
    }
    if candidates.is_empty() {
        // A notice in a layout of its own that names one address: that one.
        let mut lone: Vec<(usize, String)> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if HEADER_LINES.is_match(line) {
                continue;
            }
            for address in addresses_in(line) {
                if !exclude.contains(&address)
                    && !is_system_address(&address)
                    && !lone.iter().any(|(_, a)| *a == address)
                {
                    lone.push((i, address));
                }
            }
        }
        if lone.len() == 1 {
            candidates = lone;
        }
    }
    let default_temporary = (DELAY_NOTICE.is_match(notice) && !FAILURE_NOTICE.is_match(notice))
        || (TEMPORARY_WORDS.is_match(notice) && !PERMANENT_WORDS.is_match(notice));
    let mut found = Found::default();
    for (n, (line, address)) in candidates.iter().enumerate() {
        let end = candidates
            .iter()
            .skip(n + 1)
            .map(|(l, _)| *l)
            .find(|l| l > line)
            .unwrap_or(lines.len())
            .min(line + 8);
        let block = lines[*line..end.max(line + 1)].join("\n");
        let (temporary, status) = judge(&block, default_temporary);
        if found.status.is_none() {
            found.status = status;
        }
        if temporary {
            found.temporary.push(address.clone());
        } else {
            found.permanent.push(address.clone());
        }
    }
    found
}

/// Whether the lines about one address say "for now", and their status code.
fn judge(block: &str, default_temporary: bool) -> (bool, Option<String>) {
    if let Some(c) = ENHANCED.captures(block) {
        let code = format!("{}.{}.{}", &c[1], &c[2], &c[3]);
        return (is_temporary_status(&code, block), Some(code));
    }
    if let Some(c) = BASIC.captures(block) {
        let temporary = &c[1] == "4" || TEMPORARY_WORDS.is_match(block) && is_full(block);
        return (temporary, None);
    }
    (
        default_temporary || (TEMPORARY_WORDS.is_match(block) && !PERMANENT_WORDS.is_match(block)),
        None,
    )
}

fn is_full(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    ["full", "quota", "storage", "greylist"]
        .iter()
        .any(|w| t.contains(w))
}

/// A status code (with the text around it) that means "try again later":
/// class 4, a full mailbox (X.2.2) or greylisting, whatever the class.
pub(crate) fn is_temporary_status(code: &str, text: &str) -> bool {
    code.starts_with('4')
        || code.ends_with(".2.2")
        || text.to_ascii_lowercase().contains("greylist")
}

/// The form addresses are compared and reported in.
pub(crate) fn normalize(address: &str) -> String {
    address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches(['>', '.', ',', ';', ':'])
        .to_lowercase()
}

/// Addresses of mail systems themselves, never a reader.
fn is_system_address(address: &str) -> bool {
    let local = address.split('@').next().unwrap_or("");
    matches!(
        local,
        "mailer-daemon" | "postmaster" | "mail-daemon" | "maildaemon" | "nobody" | "root"
    )
}

/// Every address in a string (for headers such as `Delivered-To`).
pub(crate) fn addresses_in(text: &str) -> Vec<String> {
    static ANY: LazyLock<Regex> = LazyLock::new(|| re("(ADDR)"));
    ANY.find_iter(text).map(|m| normalize(m.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perm_temp(text: &str) -> (Vec<String>, Vec<String>) {
        let f = scan(text, &[]);
        (f.permanent, f.temporary)
    }

    #[test]
    fn patterns_compile() {
        assert!(!CANDIDATE_LINES.is_empty() && !CANDIDATE_PHRASES.is_empty());
        LazyLock::force(&ORIGINAL_STARTS);
        LazyLock::force(&HEADER_LINES);
    }

    #[test]
    fn postfix_and_qmail_lines() {
        let (p, t) = perm_temp(
            "<Ada@Example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1\n    user unknown (in reply to RCPT TO command)\n<bob@example.net>: host mx said: 452 4.2.2 over quota\n",
        );
        assert_eq!(p, ["ada@example.org"]);
        assert_eq!(t, ["bob@example.net"]);
    }

    #[test]
    fn the_original_is_not_read() {
        let (p, _) = perm_temp(
            "The following address(es) failed:\n\n  gone@example.org\n    all hosts failed\n\n------ This is a copy of the message, including all the headers. ------\nTo: other@example.org\n\n  other@example.org\n",
        );
        assert_eq!(p, ["gone@example.org"]);
    }

    #[test]
    fn delay_notices_are_temporary() {
        let (p, t) = perm_temp(
            "This is a warning message only.\nDelivery to the following recipient has been delayed:\n\n     slow@example.org\n\nMessage will be retried for 2 more day(s)\n",
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(t, ["slow@example.org"]);
    }
}
