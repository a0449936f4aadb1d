//! E-mail addresses and the per-subscriber values checked with them: the
//! address itself (and the key that makes one mailbox one entry), the name,
//! the categories and the token.
//!
//! An address is a bare RFC 5321 mailbox (`ada@example.org`), checked by
//! lettre's parser, that a mail relay will take: no address literals
//! (`ada@[127.0.0.1]`) and no quoted local part with `/` or `\` in it.
//!
//! [`key_of`] is the one identity rule: an address is one subscriber
//! whatever its case. RFC 5321 leaves the local part's case to the
//! receiving server, but every mail system in use treats it as one mailbox,
//! and a list that keeps `Ada@` and `ada@` apart mails that reader twice.
//! So the key is the address in lower case with the domain in its ASCII
//! (IDNA) form: `Ada@Bücher.example` and `ada@xn--bcher-kva.example` are the
//! same subscriber. The stored spelling stays as entered.

use rand::RngCore;

/// An address that passed validation: the text as given (trimmed) and the key
/// used to compare it with others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub email: String,
    pub key: String,
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid address `{address}`: {reason}")]
pub struct InvalidAddress {
    pub address: String,
    pub reason: &'static str,
}

impl Address {
    /// Validates and normalizes an address typed by a user or read from a file.
    pub fn parse(input: &str) -> Result<Address, InvalidAddress> {
        let email = input.trim();
        match key(email) {
            Ok(key) => Ok(Address {
                email: email.to_owned(),
                key,
            }),
            Err(reason) => Err(InvalidAddress {
                address: email.to_owned(),
                reason,
            }),
        }
    }
}

/// The key of a trimmed address, or why it is not one.
pub(crate) fn key(email: &str) -> Result<String, &'static str> {
    let mut key = String::with_capacity(email.len());
    key_into(email, &mut key)?;
    Ok(key)
}

/// Appends the key of a trimmed address to `key` (unchanged on error). This
/// runs for every entry each time a list is read or written, so it leaves
/// the allocating to the caller.
pub(crate) fn key_into(email: &str, key: &mut String) -> Result<(), &'static str> {
    if email.is_empty() {
        return Err("it is empty");
    }
    // These would let an address smuggle extra headers or recipients into
    // a message; lettre accepts some of them inside a quoted local part.
    if email.chars().any(|c| c.is_control()) {
        return Err("it contains a line break or another control character");
    }
    if email.contains(['<', '>']) {
        return Err("give the bare address, like `ada@example.org`, without `<` and `>`");
    }
    if email.contains(',') {
        return Err("it contains `,`; give one address at a time");
    }
    if email.chars().any(char::is_whitespace) {
        return Err("it contains a space");
    }
    let parsed = match email.parse::<lettre::Address>() {
        Ok(parsed) => parsed,
        Err(lettre::address::AddressError::MissingParts) => return Err("it has no `@`"),
        Err(lettre::address::AddressError::InvalidUser) => {
            return Err("the part before `@` is not valid")
        }
        Err(lettre::address::AddressError::InvalidDomain) => return Err("the domain is not valid"),
        Err(_) => return Err("it is not an e-mail address"),
    };
    let (user, domain) = (parsed.user(), parsed.domain());
    // A relay refuses these, or worse, a local delivery agent takes `/` and
    // `\` in a quoted local part as a path: each would fail at every send
    // and count as a bounce.
    if domain.starts_with('[') {
        return Err("it names a server address (`[…]`) instead of a domain");
    }
    if user.starts_with('"') && user.contains(['/', '\\']) {
        return Err("its quoted part before `@` contains `/` or `\\`");
    }
    if user.is_ascii() {
        key.extend(user.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        key.push_str(&user.to_lowercase());
    }
    key.push('@');
    // Plain ASCII domains are the common case and need only lower-casing;
    // `idna` is for the rest (and for `xn--` labels, which it validates).
    let punycode = domain
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"xn--"));
    if domain.is_ascii() && !punycode {
        key.extend(domain.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        match idna::domain_to_ascii(domain) {
            Ok(ascii) => key.push_str(&ascii),
            Err(_) => key.push_str(&domain.to_lowercase()),
        }
    }
    Ok(())
}

/// The identity of an address: two addresses are one subscriber exactly
/// when their keys are equal. Every comparison of addresses (add, import,
/// sign-up and its limits, unsubscribe, bounces, `--subscriber`, the list's
/// own checks, both stores) goes through this. An invalid address keys as
/// its trimmed text in lower case, so it still compares with itself.
pub fn key_of(email: &str) -> String {
    let email = email.trim();
    key(email).unwrap_or_else(|_| email.to_lowercase())
}

/// A name as stored: trimmed, `None` when empty.
pub fn clean_name(name: &str) -> Result<Option<String>, String> {
    let name = name.trim();
    match name_problem(name) {
        Some(problem) => Err(problem),
        None => Ok((!name.is_empty()).then(|| name.to_owned())),
    }
}

pub(crate) fn name_problem(name: &str) -> Option<String> {
    name.chars().any(char::is_control).then(|| {
        format!(
            "invalid name `{}`: it contains a line break or another control character",
            name.escape_debug()
        )
    })
}

/// Categories as stored: trimmed, empty ones dropped, each once (compared
/// case-insensitively, the first spelling kept). An empty list means all.
pub fn clean_categories<S: AsRef<str>>(categories: &[S]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::with_capacity(categories.len());
    for c in categories {
        let c = c.as_ref().trim();
        if c.is_empty() {
            continue;
        }
        if let Some(problem) = category_problem(c) {
            return Err(problem);
        }
        if !out.iter().any(|o| same_category(o, c)) {
            out.push(c.to_owned());
        }
    }
    Ok(out)
}

pub(crate) fn category_problem(c: &str) -> Option<String> {
    (c.chars().any(char::is_control) || c.contains([',', ';'])).then(|| {
        format!(
            "invalid category `{}`: it cannot contain `,`, `;` or control characters \
             (give several categories one by one)",
            c.escape_debug()
        )
    })
}

/// Categories match case-insensitively, ignoring surrounding spaces.
pub fn same_category(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.eq_ignore_ascii_case(b)
        || (!(a.is_ascii() && b.is_ascii()) && a.to_lowercase() == b.to_lowercase())
}

/// Bytes of randomness in a token: 128 bits.
const TOKEN_BYTES: usize = 16;

/// A new unsubscribe token: 128 bits from rand's OS-seeded CSPRNG, as 32
/// lower-case hex characters (URL-safe). At 128 bits a token is never handed
/// out twice in practice, so a removed subscriber's token stays dead.
pub fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let mut token = String::with_capacity(TOKEN_BYTES * 2);
    for b in bytes {
        token.push(char::from(HEX[usize::from(b >> 4)]));
        token.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    token
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// True for a token as [`new_token`] makes them: 32 hex characters.
pub fn token_is_valid(token: &str) -> bool {
    token.len() == TOKEN_BYTES * 2 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What is wrong with a token, if anything: it must be 32 hex characters
/// (128 random bits, URL-safe).
pub(crate) fn token_problem(token: &str) -> Option<String> {
    (!token_is_valid(token)).then(|| {
        format!(
            "its token `{}` is not 32 hex characters (128 random bits)",
            token.escape_debug()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> String {
        Address::parse(s).unwrap().key
    }

    fn reason(s: &str) -> &'static str {
        Address::parse(s).unwrap_err().reason
    }

    #[test]
    fn trims_and_keeps_the_text_as_given() {
        let a = Address::parse("  Ada@Example.ORG \n").unwrap();
        assert_eq!(a.email, "Ada@Example.ORG");
        assert_eq!(a.key, "ada@example.org");
    }

    #[test]
    fn case_is_ignored_everywhere() {
        assert_eq!(key("ada@EXAMPLE.org"), key("ada@example.org"));
        assert_eq!(key("Victim@example.org"), key("vIctim@example.org"));
        assert_eq!(key("ZOË@example.org"), "zoë@example.org");
        assert_eq!(key_of(" VICTIM@Example.org "), "victim@example.org");
    }

    #[test]
    fn refuses_what_no_relay_delivers() {
        assert!(reason("\"../../../tmp/pwn\"@example.org").contains("`/`"));
        assert!(reason("\"a\\\\b\"@example.org").contains("`\\`"));
        assert!(reason("x@[127.0.0.1]").contains("server address"));
        assert!(reason("x@[IPv6:::1]").contains("server address"));
        // Unquoted `/` is an ordinary character of a local part.
        assert_eq!(key("a/b@example.org"), "a/b@example.org");
        assert_eq!(key("\"a.b\"@example.org"), "\"a.b\"@example.org");
    }

    #[test]
    fn international_domain_equals_its_punycode_form() {
        assert_eq!(key("ada@bücher.example"), "ada@xn--bcher-kva.example");
        assert_eq!(key("ada@Bücher.Example"), key("ada@XN--BCHER-KVA.example"));
        assert_eq!(
            Address::parse("ada@bücher.example").unwrap().email,
            "ada@bücher.example"
        );
    }

    #[test]
    fn refuses_header_injection() {
        assert!(reason("ada@example.org\r\nBcc: eve@example.org").contains("control"));
        // A trailing newline (from a pasted line) is trimmed, not refused.
        assert_eq!(key("ada@example.org\n"), "ada@example.org");
        assert!(reason("\"a\nb\"@example.org").contains("control"));
        assert!(reason("Ada <ada@example.org>").contains("bare address"));
        assert!(reason("\"a,b\"@example.org").contains(','));
        assert!(reason("ada@example.org, eve@example.org").contains(','));
    }

    #[test]
    fn refuses_malformed_addresses() {
        assert_eq!(reason(""), "it is empty");
        assert_eq!(reason("ada.example.org"), "it has no `@`");
        assert!(reason("ada@-bad.example").contains("domain"));
        assert!(reason("a..b@example.org").contains("before `@`"));
        assert!(reason("ada @example.org").contains("space"));
    }

    #[test]
    fn names_and_categories_are_cleaned() {
        assert_eq!(clean_name("  Ada  ").unwrap().as_deref(), Some("Ada"));
        assert_eq!(clean_name("   ").unwrap(), None);
        assert!(clean_name("Ada\r\nBcc: x").is_err());
        assert_eq!(
            clean_categories(&[" Tech ", "tech", "", "Nieuws"]).unwrap(),
            ["Tech", "Nieuws"]
        );
        assert!(clean_categories(&["a;b"]).is_err());
        assert!(same_category(" TECH", "tech "));
        assert!(same_category("Ëten", "ëten"));
        assert!(!same_category("tech", "sport"));
    }

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert_eq!(token_problem(&a), None);
        assert!(token_problem("abc123").unwrap().contains("not 32 hex"));
        assert!(token_problem("12345").unwrap().contains("not 32 hex"));
        assert!(token_problem("AbCdEfGhIjKlMnOpQrStUvWxYz012345").is_some());
        assert_eq!(token_problem("0123456789ABCDEF0123456789abcdef"), None);
    }
}
