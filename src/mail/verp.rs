//! The per-reader return path (VERP) and the reader tag that both it and
//! the `Message-ID` carry, so a bounce names its reader without naming an
//! address.
//!
//! The tag is a hash of the reader's unsubscribe token: stable for as long
//! as the token is, unique in practice (64 bits), and useless for
//! unsubscribing someone, since the token cannot be had back from it.

use lettre::Address;

/// The placeholder in `sender.bounce_address`.
pub const PLACEHOLDER: &str = "{token}";

/// The reader's tag: 16 lower-case hex characters.
pub fn reader_tag(token: &str) -> String {
    let mut h = Fnv::new();
    h.write(b"postbode-reader\0");
    h.write(token.trim().as_bytes());
    format!("{:016x}", h.finish())
}

/// True for a string that has the form of a [`reader_tag`].
pub fn is_tag(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `sender.bounce_address`, validated: `bounces+{token}@example.org`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnPath {
    /// What stands before `{token}`, e.g. `bounces+`.
    prefix: String,
    /// What follows it, e.g. `@example.org` (or `.x@example.org`).
    suffix: String,
}

/// Why `sender.bounce_address` cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("`sender.bounce_address` `{value}` {reason}")]
pub struct BadReturnPath {
    pub value: String,
    pub reason: &'static str,
}

impl ReturnPath {
    /// Parses the configured template; it must hold `{token}` once, in the
    /// local part, and be a valid address once the token is filled in.
    pub fn parse(template: &str) -> Result<ReturnPath, BadReturnPath> {
        let value = template.trim();
        let bad = |reason| BadReturnPath {
            value: value.to_owned(),
            reason,
        };
        let (prefix, suffix) = value
            .split_once(PLACEHOLDER)
            .ok_or_else(|| bad("has no `{token}`"))?;
        if suffix.contains(PLACEHOLDER) {
            return Err(bad("has `{token}` more than once"));
        }
        if prefix.contains('@') || !suffix.contains('@') {
            return Err(bad("must have `{token}` before the `@`"));
        }
        let path = ReturnPath {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
        };
        path.fill("0123456789abcdef")
            .parse::<Address>()
            .map_err(|_| bad("is not a valid address with the token filled in"))?;
        Ok(path)
    }

    fn fill(&self, tag: &str) -> String {
        format!("{}{tag}{}", self.prefix, self.suffix)
    }

    /// The return path for the reader with this unsubscribe token.
    pub fn address_for(&self, token: &str) -> Option<Address> {
        self.fill(&reader_tag(token)).parse().ok()
    }

    /// The tag in `address` when it is one of our return paths
    /// (case-insensitive, as mail systems may change the case).
    pub fn tag_in(&self, address: &str) -> Option<String> {
        let a = address
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_ascii_lowercase();
        let prefix = self.prefix.to_ascii_lowercase();
        let suffix = self.suffix.to_ascii_lowercase();
        let middle = a.strip_prefix(&prefix)?.strip_suffix(&suffix)?;
        is_tag(middle).then(|| middle.to_owned())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_path_round_trips_the_tag() {
        let rp = ReturnPath::parse("bounces+{token}@leestmeer.example.org").unwrap();
        let token = "3f0c9d00112233445566778899aabbcc";
        let address = rp.address_for(token).unwrap().to_string();
        let tag = reader_tag(token);
        assert_eq!(address, format!("bounces+{tag}@leestmeer.example.org"));
        assert_eq!(rp.tag_in(&address.to_uppercase()), Some(tag.clone()));
        assert_eq!(rp.tag_in(&format!("<{address}>")), Some(tag));
        assert_eq!(rp.tag_in("bounces+nothex@leestmeer.example.org"), None);
        assert_eq!(rp.tag_in("ada@example.org"), None);
        assert!(!address.contains(token));
    }

    #[test]
    fn bad_templates_are_named() {
        for (t, why) in [
            ("bounces@example.org", "has no `{token}`"),
            ("{token}+{token}@example.org", "more than once"),
            ("bounces@{token}.example.org", "before the `@`"),
            ("bou nces+{token}@example.org", "not a valid address"),
        ] {
            let err = ReturnPath::parse(t).unwrap_err().to_string();
            assert!(err.contains(why), "{t}: {err}");
        }
    }
}
