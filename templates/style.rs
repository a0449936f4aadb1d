//! The digest's colours, fonts and inline styles, in one place.
//!
//! E-mail HTML is not web HTML: Gmail drops `<style>` blocks in several of
//! its apps, Outlook for Windows renders with Word, and no client loads
//! external CSS. So every style is inline, the layout is tables, and the
//! 600 px column is a `max-width` on a `<div>` (which Apple Mail on iOS
//! honours, unlike on a table) inside a fixed 600 px table that only
//! Outlook for Windows sees (an `[if mso]` conditional comment): the column
//! shrinks on a phone without any `@media` query, which Gmail's mobile web
//! client and Outlook would ignore.
//!
//! One `<style>` block, with one `@media (prefers-color-scheme: dark)`
//! rule set, carries the dark-mode colours (see `super::theme::dark_css`):
//! clients without it keep the inline light look, which is the design.
//!
//! Deliberately left out, because the caniemail database lists them as
//! unsupported (an error) in Gmail, Outlook or Apple Mail, and the digest
//! does fine without: `<body>` styles (Outlook for Mac, iOS and Android drop
//! the element; its start tag is omitted, which HTML allows, and a `<div>`
//! carries the background and `lang`), `role` attributes (Windows Mail),
//! `display:none` and `opacity` for the preheader (the preheader is hidden
//! with a zero font size and height instead), `overflow`, `border-radius`,
//! `border-spacing`, `outline`, `overflow-wrap`, and any other `@media`
//! rule or style that layout depends on.
//!
//! Warnings the linter (`scripts/check-email-html.sh`) still gives are
//! accepted here, one line each, with the reason; the script fails on any
//! warning not listed.
//!
//! lint-ok: `margin` — partial: negative values (none here); Outlook for Windows ignores `auto` (it gets the fixed, centred 600 px table instead) and margins on `<span>` and `<body>` (none here).
//! lint-ok: `padding` — partial in Outlook for Windows: only on table cells; every padding that matters sits on a `<td>`.
//! lint-ok: `font-size` — partial: no `rem`, percentages or relative sizes in Outlook for Windows; sizes are pixels.
//! lint-ok: `line-height` — buggy in Outlook for Windows with pixel values unless `mso-line-height-rule:exactly` is set, which every style with a line height does.
//! lint-ok: `font-weight` — partial in Outlook for Windows: numbers round to normal or bold; only `normal` and `bold` are used.
//! lint-ok: `max-width` — partial: Outlook for Windows only on tables (it gets the fixed 600 px table), Apple Mail on iOS not on tables (the column's `max-width` is on a `<div>`).
//! lint-ok: `width attribute` — buggy in Outlook for Windows: percentages on images follow the file's width, and 120 dpi scaling; images get pixels and the document sets 96 dpi for Outlook.
//! lint-ok: `align attribute` — partial in Outlook for Mac: `left` and `right` on tables; only `center` is used.
//! lint-ok: `text-align` — partial: no `start` and `end` in Gmail's apps and Outlook for Windows; only `left` and `center` are used.
//! lint-ok: `text-decoration` — partial: no multiple values or `overline` (not used); Gmail's apps with non-Google accounts ignore it, leaving links underlined, which reads fine.
//! lint-ok: `text-transform` — partial in Outlook for Windows: no `lowercase`; only `uppercase` is used.
//! lint-ok: `letter-spacing` — partial in Outlook for Windows: `em` values and big negative values; small pixel values only.
//! lint-ok: `display` — partial: Outlook for Windows only knows `none`, Gmail's apps no `flex` or `grid`; only `display:block` on images, so Outlook shows them inline, a few pixels higher.
//! lint-ok-error: `@media` — only `prefers-color-scheme: dark` colours; Gmail's mobile web client and Outlook for Windows ignore the block and show the inline light look, the intended fallback.
//! lint-ok: `@media` — partial in Gmail's and Outlook's apps: the dark-mode block is ignored where unsupported, and the inline light look stays.
//! lint-ok: `border` — partial in Outlook for Windows: at most 8 px, unreliable on `<p>` and `<div>`; borders are 1 or 2 px, on `<td>` cells only.

// Colours and fonts are macros so that `concat!` can build the inline
// styles from them at compile time: one spelling of each colour.
macro_rules! page_bg {
    () => {
        "#f4f1ea"
    };
}
macro_rules! card_bg {
    () => {
        "#ffffff"
    };
}
macro_rules! ink {
    () => {
        "#1d1d1b"
    };
}
// Secondary text: 7.7:1 on white, 6.8:1 on the page.
macro_rules! muted {
    () => {
        "#55514a"
    };
}
macro_rules! link {
    () => {
        "#0f4c81"
    };
}
macro_rules! accent {
    () => {
        "#a4231c"
    };
}
macro_rules! rule {
    () => {
        "#e4ded2"
    };
}
macro_rules! sans {
    () => {
        "Helvetica,Arial,sans-serif"
    };
}
macro_rules! serif {
    () => {
        "Georgia,'Times New Roman',Times,serif"
    };
}

/// The page around the column, also given as `bgcolor` for Outlook.
pub const PAGE_BG: &str = page_bg!();
/// The column.
pub const CARD_BG: &str = card_bg!();
pub const INK: &str = ink!();
pub const MUTED: &str = muted!();
pub const LINK: &str = link!();
pub const ACCENT: &str = accent!();
pub const RULE: &str = rule!();
pub const SANS: &str = sans!();
pub const SERIF: &str = serif!();

/// The content's width inside the 600 px column's padding.
pub const INNER: u32 = 552;

// The styles that carry a colour or a font are built per render from the
// theme (see `super::theme::Styles`); these never change.

/// Hidden from view, read by the inbox list. Zero size instead of
/// `display:none`, which Gmail's mobile web client ignores; not coloured
/// like the background, which spam filters take for hidden text.
pub const PREHEADER: &str =
    "font-size:0;line-height:0;max-height:0;max-width:0;mso-line-height-rule:exactly;mso-hide:all;";

pub const COLUMN: &str = "max-width:600px;margin:0 auto;";
pub const TABLE: &str =
    "width:100%;border-collapse:collapse;mso-table-lspace:0pt;mso-table-rspace:0pt;";
pub const PARAGRAPH: &str = "margin:0;";
/// Between the editor's note's paragraphs.
pub const NOTE_P: &str = "margin:0 0 12px 0;";
pub const SECTION_CELL: &str = "padding:28px 24px 0 24px;text-align:left;";
pub const IMAGE: &str =
    "display:block;width:100%;max-width:552px;height:auto;margin:0 0 12px 0;border:0;";
pub const SUMMARY: &str =
    "margin:8px 0 0 0;font-size:15px;line-height:22px;mso-line-height-rule:exactly;";
pub const FOOTER_P: &str = "margin:0 0 8px 0;";

/// The stylesheet of `postbode serve`'s web pages (unsubscribe, sign-up,
/// confirmation): the digest's colours and fonts, in a `<style>` block this
/// time, because a browser, unlike a mail client, reads one. The column is
/// the digest's 600 px card on its page background; on a phone it fills the
/// width.
pub const PAGE_CSS: &str = concat!(
    "html{-webkit-text-size-adjust:100%;text-size-adjust:100%;}",
    "body{margin:0;padding:0;background-color:",
    page_bg!(),
    ";color:",
    ink!(),
    ";font-family:",
    sans!(),
    ";font-size:16px;line-height:24px;color-scheme:light;}",
    "main{box-sizing:border-box;max-width:600px;margin:0 auto;padding:32px 24px 40px 24px;background-color:",
    card_bg!(),
    ";}",
    "@media (min-width:640px){body{padding:48px 0;}}",
    "@media (max-width:639px){main{min-height:100vh;}}",
    ".site{margin:0 0 12px 0;font-size:13px;line-height:18px;font-weight:bold;letter-spacing:2px;text-transform:uppercase;color:",
    accent!(),
    ";}",
    ".site a{color:",
    accent!(),
    ";text-decoration:none;}",
    "h1{margin:0 0 16px 0;font-family:",
    serif!(),
    ";font-size:28px;line-height:34px;font-weight:normal;color:",
    ink!(),
    ";overflow-wrap:anywhere;}",
    "p{margin:0 0 16px 0;overflow-wrap:anywhere;}",
    ".note{font-size:14px;line-height:20px;color:",
    muted!(),
    ";}",
    "form{margin:24px 0 0 0;}",
    "label{display:block;margin:0 0 6px 0;font-size:14px;font-weight:bold;}",
    "input[type=email]{box-sizing:border-box;width:100%;margin:0 0 16px 0;padding:10px 12px;font:inherit;color:",
    ink!(),
    ";background-color:",
    card_bg!(),
    ";border:1px solid ",
    muted!(),
    ";border-radius:4px;}",
    "button{display:inline-block;padding:12px 28px;font:inherit;font-weight:bold;color:#ffffff;background-color:",
    accent!(),
    ";border:0;border-radius:4px;cursor:pointer;}",
    "button:hover{background-color:",
    ink!(),
    ";}",
    "button:focus-visible,input:focus-visible{outline:3px solid ",
    link!(),
    ";outline-offset:2px;}",
    ".rule{height:2px;margin:0 0 24px 0;background-color:",
    accent!(),
    ";border:0;}"
);
