//! Merging twins: entries whose addresses differ only in case, left from
//! before addresses were compared as one identity (`postbode subscribers
//! dedupe`).
//!
//! The merged entry keeps what protects the reader: the earliest
//! `subscribed_at`, the strictest status (unsubscribed over bounced over
//! pending over active: a reader who left through one spelling has left),
//! the most bounces, the latest pause, and the token (with the spelling and
//! the choice of digests and categories) of the entry that was mailed last,
//! because that is the unsubscribe link in the reader's newest digest.

use std::collections::HashMap;

use super::{Status, Subscriber};

/// One merge: the entry that stays and the spellings folded into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub kept: Subscriber,
    pub dropped: Vec<String>,
}

/// How strict a status is: a merge keeps the strictest.
fn strictness(status: Status) -> u8 {
    match status {
        Status::Active => 0,
        Status::Pending => 1,
        Status::Bounced => 2,
        Status::Unsubscribed => 3,
    }
}

/// Merges every group of twins in `list` into its first entry's place.
/// `last_mailed` ranks a spelling by when it was last delivered to (higher
/// is later; `None` never). Returns the merges, in list order.
pub fn dedupe(
    list: &mut Vec<Subscriber>,
    last_mailed: impl Fn(&str) -> Option<u64>,
) -> Vec<Merged> {
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    let mut order = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let group = groups.entry(s.key()).or_default();
        if group.is_empty() {
            order.push(s.key());
        }
        group.push(i);
    }
    let mut merges = Vec::new();
    let mut drop = vec![false; list.len()];
    for key in order {
        let members = &groups[&key];
        if members.len() < 2 {
            continue;
        }
        let entries: Vec<&Subscriber> = members.iter().map(|&i| &list[i]).collect();
        // Mailed last wins; among those never mailed, the first on the list.
        let lead = (0..entries.len())
            .max_by_key(|&j| (last_mailed(&entries[j].email), std::cmp::Reverse(j)))
            .unwrap_or(0);
        let mut kept = entries[lead].clone();
        kept.subscribed_at = entries.iter().filter_map(|s| s.subscribed_at).min();
        let strictest = entries
            .iter()
            .map(|s| s.status)
            .max_by_key(|&s| strictness(s))
            .unwrap_or(kept.status);
        kept.status = strictest;
        kept.unsubscribed_at = if strictest == Status::Unsubscribed {
            entries
                .iter()
                .filter(|s| s.status == Status::Unsubscribed)
                .filter_map(|s| s.unsubscribed_at)
                .min()
        } else {
            None
        };
        kept.bounces = entries.iter().map(|s| s.bounces).max().unwrap_or(0);
        // A reader who paused through one spelling asked for quiet.
        kept.paused_until = entries.iter().filter_map(|s| s.paused_until).max();
        if kept.name.is_none() {
            kept.name = entries.iter().find_map(|s| s.name.clone());
        }
        let dropped = entries
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != lead)
            .map(|(_, s)| s.email.clone())
            .collect();
        let first = members[0];
        for &i in &members[1..] {
            drop[i] = true;
        }
        list[first] = kept.clone();
        merges.push(Merged { kept, dropped });
    }
    let mut i = 0;
    list.retain(|_| {
        let keep = !drop[i];
        i += 1;
        keep
    });
    merges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscribers::{new_token, Address};
    use chrono::DateTime;

    fn entry(email: &str, at: &str, status: Status) -> Subscriber {
        let mut s = Subscriber::new(
            Address::parse(email).unwrap(),
            None,
            vec![],
            DateTime::parse_from_rfc3339(at).unwrap(),
        );
        s.status = status;
        s.token = new_token();
        s
    }

    #[test]
    fn merges_twins_keeping_earliest_strictest_and_last_mailed_token() {
        let a = entry(
            "Ada@example.org",
            "2026-03-01T08:00:00+01:00",
            Status::Active,
        );
        let bob = entry(
            "bob@example.org",
            "2026-01-01T08:00:00+01:00",
            Status::Active,
        );
        let mut b = entry(
            "ada@example.org",
            "2026-01-01T08:00:00+01:00",
            Status::Active,
        );
        b.categories = vec!["tech".into()];
        b.digests = vec!["daily".into()];
        let mut a = a;
        a.paused_until = chrono::NaiveDate::from_ymd_opt(2027, 1, 15);
        let mut c = entry(
            "ADA@example.org",
            "2026-05-01T08:00:00+01:00",
            Status::Unsubscribed,
        );
        c.unsubscribed_at =
            Some(DateTime::parse_from_rfc3339("2026-06-01T08:00:00+01:00").unwrap());
        let mailed = b.token.clone();
        let mut list = vec![a, bob.clone(), b, c];
        let merges = dedupe(&mut list, |e| match e {
            "ada@example.org" => Some(7),
            "Ada@example.org" => Some(3),
            _ => None,
        });
        assert_eq!(list.len(), 2);
        assert_eq!(list[1], bob);
        let kept = &list[0];
        assert_eq!(kept.email, "ada@example.org");
        assert_eq!(kept.token, mailed);
        assert_eq!(kept.categories, ["tech"]);
        assert_eq!(kept.digests, ["daily"]);
        assert_eq!(
            kept.paused_until,
            chrono::NaiveDate::from_ymd_opt(2027, 1, 15)
        );
        assert_eq!(kept.status, Status::Unsubscribed);
        assert_eq!(
            kept.subscribed_at.unwrap().to_rfc3339(),
            "2026-01-01T08:00:00+01:00"
        );
        assert_eq!(
            kept.unsubscribed_at.unwrap().to_rfc3339(),
            "2026-06-01T08:00:00+01:00"
        );
        assert_eq!(merges.len(), 1);
        assert_eq!(merges[0].dropped, ["Ada@example.org", "ADA@example.org"]);
    }

    #[test]
    fn never_mailed_keeps_the_first_and_no_twins_changes_nothing() {
        let a = entry(
            "Ada@example.org",
            "2026-03-01T08:00:00+01:00",
            Status::Active,
        );
        let b = entry(
            "ada@example.org",
            "2026-01-01T08:00:00+01:00",
            Status::Pending,
        );
        let token = a.token.clone();
        let mut list = vec![a, b];
        dedupe(&mut list, |_| None);
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].email.as_str(), list[0].status),
            ("Ada@example.org", Status::Pending)
        );
        assert_eq!(list[0].token, token);
        let before = list.clone();
        assert!(dedupe(&mut list, |_| None).is_empty());
        assert_eq!(list, before);
    }
}
