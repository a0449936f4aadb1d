//! Second chances for feeds that are not well-formed XML, tried only when
//! the strict parse fails, as feed readers do: a bare `&` (`Tom & Jerry`,
//! `?a=1&b=2`) becomes `&amp;`, an HTML entity XML does not know
//! (`&nbsp;`, `&eacute;`) becomes its character reference, and a feed cut
//! off mid-way is closed after its last complete item. CDATA sections,
//! comments and the document type are left as they are.

/// `bytes` with bare ampersands and HTML-only entities fixed; `None` when
/// there was nothing to fix.
pub fn fix_entities(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let skip_to = if rest.starts_with(b"<![CDATA[") {
            find(rest, b"]]>").map(|e| e + 3)
        } else if rest.starts_with(b"<!--") {
            find(rest, b"-->").map(|e| e + 3)
        } else if rest.starts_with(b"<!DOCTYPE") {
            // Up to the end of an internal subset, if there is one.
            let end = find(rest, b"]>").or_else(|| find(rest, b">"));
            end.map(|e| e + if rest[e] == b']' { 2 } else { 1 })
        } else {
            None
        };
        if let Some(n) = skip_to {
            out.extend_from_slice(&rest[..n]);
            i += n;
            continue;
        }
        if bytes[i] != b'&' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match reference(rest) {
            Some((len, None)) => {
                out.extend_from_slice(&rest[..len]);
                i += len;
            }
            Some((len, Some(replacement))) => {
                out.extend_from_slice(replacement.as_bytes());
                changed = true;
                i += len;
            }
            None => {
                out.extend_from_slice(b"&amp;");
                changed = true;
                i += 1;
            }
        }
    }
    changed.then_some(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// At `&`: a reference's length and, for an HTML-only entity, its
/// replacement; `None` when the `&` starts no reference at all.
fn reference(rest: &[u8]) -> Option<(usize, Option<String>)> {
    let end = rest.iter().take(40).position(|&b| b == b';')?;
    let name = std::str::from_utf8(&rest[1..end]).ok()?;
    if let Some(num) = name.strip_prefix('#') {
        let ok = match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            None => !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()),
        };
        return ok.then_some((end + 1, None));
    }
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
        return Some((end + 1, None));
    }
    let entity = &rest[..=end];
    let entity = std::str::from_utf8(entity).ok()?;
    let decoded = html_escape::decode_html_entities(entity);
    if decoded == entity {
        // Not an HTML entity either: possibly one the document declares.
        return Some((end + 1, None));
    }
    let refs: String = decoded
        .chars()
        .map(|c| format!("&#{};", c as u32))
        .collect();
    Some((end + 1, Some(refs)))
}

/// A feed cut off mid-way, closed after its last complete item or entry;
/// `None` when there is no complete one.
pub fn close_truncated(bytes: &[u8]) -> Option<Vec<u8>> {
    let last = |tag: &[u8]| {
        bytes
            .windows(tag.len())
            .rposition(|w| w == tag)
            .map(|p| p + tag.len())
    };
    let (end, closing): (usize, &[u8]) = match (last(b"</item>"), last(b"</entry>")) {
        (Some(i), e) if e.is_none_or(|e| i > e) => {
            let closing: &[u8] = if find(bytes, b"<rdf:RDF").is_some() {
                b"</rdf:RDF>"
            } else if find(&bytes[..i], b"<channel").is_some()
                && find(&bytes[..i], b"</channel>").is_none()
            {
                b"</channel></rss>"
            } else {
                b"</rss>"
            };
            (i, closing)
        }
        (_, Some(e)) => (e, b"</feed>"),
        _ => return None,
    };
    let mut out = bytes[..end].to_vec();
    out.extend_from_slice(b"\n");
    out.extend_from_slice(closing);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(s: &str) -> String {
        String::from_utf8(fix_entities(s.as_bytes()).unwrap_or_else(|| s.as_bytes().to_vec()))
            .unwrap()
    }

    #[test]
    fn bare_ampersands_and_html_entities() {
        assert_eq!(fixed("Tom & Jerry"), "Tom &amp; Jerry");
        assert_eq!(fixed("?a=1&b=2"), "?a=1&amp;b=2");
        assert_eq!(fixed("caf&eacute;&nbsp;x"), "caf&#233;&#160;x");
        assert_eq!(
            fixed("&amp; &#8217; &#x2019; &lt;"),
            "&amp; &#8217; &#x2019; &lt;"
        );
        assert_eq!(
            fixed("<![CDATA[a & b &nbsp;]]> & c"),
            "<![CDATA[a & b &nbsp;]]> &amp; c"
        );
        assert_eq!(fixed("<!-- & --> &custom;"), "<!-- & --> &custom;");
        assert!(fix_entities(b"<rss>&amp;</rss>").is_none());
    }

    #[test]
    fn truncated_feeds_are_closed_after_the_last_item() {
        let rss = b"<rss><channel><title>t</title><item><title>a</title></item><item><title>b";
        assert_eq!(
            close_truncated(rss).unwrap(),
            b"<rss><channel><title>t</title><item><title>a</title></item>\n</channel></rss>"
        );
        let atom = b"<feed><entry><id>1</id></entry><entry><id>2";
        assert!(close_truncated(atom)
            .unwrap()
            .ends_with(b"</entry>\n</feed>"));
        assert!(close_truncated(b"<rss><channel><item>").is_none());
    }
}
