//! Which subscriber a report is about. In order: the VERP tag in the address
//! the report came back to, the tag in the original's `Message-ID` (ours
//! carry it), a failed address that a structured report names, and a failed
//! address from the notice's text when the original's `List-Id` is ours.
//! A free-text address alone never identifies anyone.

use std::collections::HashMap;

use super::classify::Report;
use crate::mail::verp::{is_tag, reader_tag, ReturnPath};
use crate::subscribers::Subscriber;

/// How a report was matched to a subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// The tag in the VERP return path the report was sent to.
    ReturnPath,
    /// The tag in the `Message-ID` of the returned original.
    MessageId,
    /// A failed address in a structured report (DSN or ARF fields).
    Reported,
    /// A failed address in the text, with the original's `List-Id` ours.
    ListId,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::ReturnPath => "return path",
            By::MessageId => "Message-ID",
            By::Reported => "reported address",
            By::ListId => "List-Id and address",
        }
    }
}

/// The list, indexed for matching.
pub struct Index<'a> {
    by_address: HashMap<String, usize>,
    by_tag: HashMap<String, usize>,
    return_path: Option<&'a ReturnPath>,
    /// Our `Message-ID` domain, lower-case.
    domain: String,
    /// Our `List-Id`s (the site's, and those of digests that set their
    /// own), lower-case, without brackets.
    list_ids: Vec<String>,
}

impl<'a> Index<'a> {
    pub fn new(
        list: &[Subscriber],
        return_path: Option<&'a ReturnPath>,
        domain: &str,
        list_ids: &[String],
    ) -> Index<'a> {
        let mut by_address = HashMap::with_capacity(list.len());
        let mut by_tag = HashMap::with_capacity(list.len());
        for (i, s) in list.iter().enumerate() {
            by_address.insert(s.email.trim().to_lowercase(), i);
            by_address
                .entry(crate::subscribers::address_key(&s.email).to_lowercase())
                .or_insert(i);
            by_tag.insert(reader_tag(&s.token), i);
        }
        Index {
            by_address,
            by_tag,
            return_path,
            domain: domain.to_ascii_lowercase(),
            list_ids: list_ids
                .iter()
                .filter(|id| !id.is_empty())
                .map(|id| id.to_ascii_lowercase())
                .collect(),
        }
    }

    /// The subscriber with this address (case-insensitive), if any.
    pub fn address(&self, address: &str) -> Option<usize> {
        let a = address.trim().to_lowercase();
        self.by_address.get(&a).copied().or_else(|| {
            self.by_address
                .get(&crate::subscribers::address_key(&a).to_lowercase())
                .copied()
        })
    }

    /// The subscriber this report is about, and how that was found.
    pub fn identify(&self, report: &Report) -> Option<(usize, By)> {
        if let Some(rp) = self.return_path {
            for r in &report.recipients {
                if let Some(i) = rp.tag_in(r).and_then(|t| self.by_tag.get(&t)) {
                    return Some((*i, By::ReturnPath));
                }
            }
        }
        for id in &report.original_ids {
            if let Some(i) = self.tag_in_message_id(id).and_then(|t| self.by_tag.get(&t)) {
                return Some((*i, By::MessageId));
            }
        }
        let failed = || report.permanent.iter().chain(&report.temporary);
        for a in failed().filter(|a| report.reported.contains(a)) {
            if let Some(i) = self.address(a) {
                return Some((i, By::Reported));
            }
        }
        // ARF reports name the complainer only in their fields.
        if report.kind == super::Kind::Arf {
            for a in &report.reported {
                if let Some(i) = self.address(a) {
                    return Some((i, By::Reported));
                }
            }
        }
        // A named digest's list is `<name>.<the site's list>`, unless it
        // sets its own.
        let ours = |id: &String| {
            self.list_ids.iter().any(|list| {
                id == list
                    || id
                        .strip_suffix(list.as_str())
                        .is_some_and(|head| head.ends_with('.'))
            })
        };
        if report.list_ids.iter().any(ours) {
            for a in failed() {
                if let Some(i) = self.address(a) {
                    return Some((i, By::ListId));
                }
            }
        }
        None
    }

    /// `<hash.tag.until@domain>` → `tag`, for our domain only.
    fn tag_in_message_id(&self, id: &str) -> Option<String> {
        let id = id.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, domain) = id.rsplit_once('@')?;
        if !domain.eq_ignore_ascii_case(&self.domain) {
            return None;
        }
        let mut pieces = local.split('.');
        let (_hash, tag) = (pieces.next()?, pieces.next()?.to_ascii_lowercase());
        is_tag(&tag).then_some(tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounces::classify::Report;
    use crate::bounces::Kind;
    use crate::subscribers::{Address, Subscriber};

    #[test]
    fn named_digests_list_ids_are_ours_too() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-16T08:00:00+01:00").unwrap();
        let list = [Subscriber::new(
            Address::parse("ada@example.org").unwrap(),
            None,
            vec![],
            at,
        )];
        let ids = ["leestmeer.example.org".into(), "Weekend.Example.net".into()];
        let index = Index::new(&list, None, "example.org", &ids);
        let bounce = |list_id: &str| {
            let mut r = Report::empty(Kind::Dsn);
            r.permanent = vec!["ada@example.org".into()];
            r.list_ids = vec![list_id.into()];
            index.identify(&r).map(|(i, by)| (i, by.as_str()))
        };
        for ours in [
            "leestmeer.example.org",
            "daily.leestmeer.example.org",
            "weekend.example.net",
        ] {
            assert_eq!(bounce(ours), Some((0, "List-Id and address")), "{ours}");
        }
        for theirs in ["otherleestmeer.example.org", "example.org", "example.net"] {
            assert_eq!(bounce(theirs), None, "{theirs}");
        }
    }
}
