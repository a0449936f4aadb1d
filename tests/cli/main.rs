//! The integration tests: one binary, so the library links once. Each module
//! drives the real `postbode` binary in temp dirs against real servers on
//! loopback (SMTP, HTTP), grouped by what the user does.
//!
//! Tests that need something outside the tree are `#[ignore]`d and run by
//! name: `cargo test --test cli postfix:: -- --ignored` (CI's Postfix),
//! `cargo test --test cli bounces_imap:: -- --ignored` (CI's Dovecot) and
//! `POSTBODE_CORPUS=… cargo test --release --test cli corpus:: -- --ignored`.

mod architecture;
mod archive;
mod bounces;
mod bounces_imap;
mod common;
mod corpus;
mod deadlines;
mod digests;
mod hardening;
mod init;
mod look;
mod postfix;
mod preview;
mod schedule;
mod send;
mod send_list;
mod serve;
mod site;
mod sources;
mod sqlite;
mod stories;
mod subscribers;
