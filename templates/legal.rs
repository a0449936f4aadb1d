//! The operator's part of the digest's footer: their own footer text and
//! the sender's postal address (CAN-SPAM asks commercial mail for one).
//! Kept apart from the unsubscribe line, which the footer owns.

use maud::{html, Markup};

use super::rich;
use super::style as st;
use super::theme::{class, Styles};
use super::view::View;

/// The footer text and the address, as HTML paragraphs.
pub fn html(v: &View, s: &Styles) -> Markup {
    html! {
        (rich::paragraphs(&v.theme.footer, st::FOOTER_P, class::MUTED, &s.footer_link))
        @if let Some(address) = &v.theme.address {
            p style=(st::FOOTER_P) class=(class::MUTED) { (address) }
        }
    }
}

/// The same as text lines, for the plain-text part.
pub fn text(v: &View) -> Vec<String> {
    let mut out = rich::texts(&v.theme.footer);
    out.extend(v.theme.address.iter().cloned());
    out
}
