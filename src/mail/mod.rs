//! Mail: composing one message per recipient (and, later, delivering them
//! and journaling what was delivered).

pub mod compose;
pub mod deliver;
pub mod journal;
pub mod smtp;
pub mod state;
