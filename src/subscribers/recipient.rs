//! One person a message goes to: the part of a subscriber that delivery,
//! the stored edition and the composed message need.

use super::Subscriber;

/// One person to write to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    pub name: Option<String>,
    /// The secret in their unsubscribe link.
    pub token: String,
    /// The categories they chose; empty means all.
    pub categories: Vec<String>,
}

impl From<&Subscriber> for Recipient {
    fn from(s: &Subscriber) -> Recipient {
        Recipient {
            email: s.email.clone(),
            name: s.name.clone(),
            token: s.token.clone(),
            categories: s.categories.clone(),
        }
    }
}

/// Moves the strings over: a send makes one per reader.
impl From<Subscriber> for Recipient {
    fn from(s: Subscriber) -> Recipient {
        Recipient {
            email: s.email,
            name: s.name,
            token: s.token,
            categories: s.categories,
        }
    }
}

impl Recipient {
    /// A stand-in reader for previews: every category, no name, a token
    /// that is plainly not real.
    pub fn sample() -> Recipient {
        Recipient {
            email: "reader@example.org".to_owned(),
            name: None,
            token: "0".repeat(32),
            categories: Vec::new(),
        }
    }
}
