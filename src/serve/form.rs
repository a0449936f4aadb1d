//! The bodies `serve` reads: HTML form posts, `application/x-www-form-urlencoded`
//! or `multipart/form-data`. RFC 8058 lets a mail client send its one-click
//! `List-Unsubscribe=One-Click` either way.
//!
//! Multipart is read here rather than with a library: the bodies are a few
//! hundred bytes, every field is short text, and file parts are skipped.

/// The fields of one form, in the order sent; a name may repeat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(Vec<(String, String)>);

/// A body that is not a form this server can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormError(&'static str);

impl Fields {
    /// Reads a body by its `Content-Type`. No type, or another one, is read
    /// as URL-encoded: a client that forgets the header still says what it
    /// means in the same few bytes.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Fields, FormError> {
        let content_type = content_type.unwrap_or("");
        let (mime, params) = content_type.split_once(';').unwrap_or((content_type, ""));
        if mime.trim().eq_ignore_ascii_case("multipart/form-data") {
            let boundary = parameter(params, "boundary")
                .filter(|b| !b.is_empty() && b.len() <= 70)
                .ok_or(FormError("a multipart body without a usable `boundary`"))?;
            return multipart(body, &boundary);
        }
        Ok(Fields(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// True when the RFC 8058 one-click field is there
    /// (`List-Unsubscribe=One-Click`; the value's case is forgiven).
    pub fn is_one_click(&self) -> bool {
        self.all("List-Unsubscribe")
            .any(|v| v.trim().eq_ignore_ascii_case("One-Click"))
    }
}

/// The value of a `name=value` or `name="value"` parameter in a header's
/// `; a=b; c="d"` tail; names compare case-insensitively.
fn parameter(params: &str, name: &str) -> Option<String> {
    let mut rest = params;
    loop {
        rest = rest.trim_start_matches([';', ' ', '\t']);
        if rest.is_empty() {
            return None;
        }
        let eq = rest.find('=')?;
        let key = rest[..eq].trim();
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end?..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(value);
        }
        rest = next;
    }
}

/// The text fields of a `multipart/form-data` body (RFC 7578).
fn multipart(body: &[u8], boundary: &str) -> Result<Fields, FormError> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let bad = FormError("a multipart body that does not follow its `boundary`");
    let mut at = find(body, delimiter, 0).ok_or(bad.clone())?;
    let mut fields = Vec::new();
    loop {
        let after = at + delimiter.len();
        if body[after..].starts_with(b"--") {
            return Ok(Fields(fields));
        }
        // The rest of the delimiter line (transport padding), then the part.
        let start = find(body, b"\n", after).ok_or(bad.clone())? + 1;
        let next = find(body, delimiter, start).ok_or(bad.clone())?;
        let mut part = &body[start..next];
        // The line break before the next delimiter belongs to it.
        part = part.strip_suffix(b"\n").unwrap_or(part);
        part = part.strip_suffix(b"\r").unwrap_or(part);
        if let Some(field) = part_field(part) {
            fields.push(field);
        }
        at = next;
    }
}

/// One part's name and text value; `None` for a file or a nameless part.
fn part_field(part: &[u8]) -> Option<(String, String)> {
    let (head, value) = match find(part, b"\r\n\r\n", 0) {
        Some(i) => (&part[..i], &part[i + 4..]),
        None => {
            let i = find(part, b"\n\n", 0)?;
            (&part[..i], &part[i + 2..])
        }
    };
    let head = std::str::from_utf8(head).ok()?;
    let disposition = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("Content-Disposition")
            .then_some(value)
    })?;
    let (kind, params) = disposition.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("form-data") || parameter(params, "filename").is_some() {
        return None;
    }
    let name = parameter(params, "name")?;
    let value = String::from_utf8(value.to_vec()).ok()?;
    Some((name, value))
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_one_click() {
        let f = Fields::parse(
            Some("application/x-www-form-urlencoded"),
            b"List-Unsubscribe=One-Click",
        )
        .unwrap();
        assert!(f.is_one_click());
        let f = Fields::parse(None, b"email=ada%40example.org&category=a&category=b+c").unwrap();
        assert_eq!(f.get("email"), Some("ada@example.org"));
        assert_eq!(f.all("category").collect::<Vec<_>>(), ["a", "b c"]);
        assert!(!f.is_one_click());
        assert!(!Fields::parse(None, b"List-Unsubscribe=Twice")
            .unwrap()
            .is_one_click());
    }

    #[test]
    fn multipart_one_click_as_mail_clients_send_it() {
        let body = b"--abc123\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--abc123--\r\n";
        let f = Fields::parse(Some("multipart/form-data; boundary=abc123"), body).unwrap();
        assert!(f.is_one_click());
        assert_eq!(f.get("List-Unsubscribe"), Some("One-Click"));
    }

    #[test]
    fn multipart_with_quoted_boundary_files_and_bare_newlines() {
        let body = b"preamble\n--b; x\nContent-Disposition: form-data; name=\"email\"\nContent-Type: text/plain\n\nada@example.org\n--b; x\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\n\r\nfile\r\n--b; x\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\nline one\r\nline two\r\n--b; x--";
        let f = Fields::parse(
            Some("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"b; x\""),
            body,
        )
        .unwrap();
        assert_eq!(f.get("email"), Some("ada@example.org"));
        assert_eq!(f.get("up"), None);
        assert_eq!(f.get("category"), Some("line one\r\nline two"));
    }

    #[test]
    fn broken_multipart_is_an_error_not_a_panic() {
        let ct = Some("multipart/form-data; boundary=zz");
        for body in [
            &b""[..],
            b"--zz",
            b"--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
            b"nothing here",
        ] {
            assert!(Fields::parse(ct, body).is_err(), "{body:?}");
        }
        assert!(Fields::parse(Some("multipart/form-data"), b"--zz--").is_err());
        let f = Fields::parse(
            ct,
            b"--zz\r\n\r\n--zz\r\nContent-Disposition: form-data; name=\"\\\"\r\n\r\nv\r\n--zz--",
        )
        .unwrap();
        assert_eq!(f, Fields::default());
    }
}
