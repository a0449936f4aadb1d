//! postbode: a Jekyll site's recent posts as an e-mail digest, delivered to
//! the site's subscribers.
//!
//! The binary is thin; everything lives here. Data flows one way:
//! config → site (posts) → edition → render → compose → deliver → journal.

pub mod archive;
pub mod bounces;
pub mod config;
pub mod edition;
pub mod intro;
pub mod mail;
pub mod markdown;
pub mod output;
pub mod privacy;
pub mod render;
pub mod schedule;
pub mod send;
pub mod serve;
pub mod site;
pub mod state;
pub mod stories;
pub mod subscribers;
pub mod window;

/// The digest's and pages' look, a crate of its own.
pub use postbode_templates as templates;
