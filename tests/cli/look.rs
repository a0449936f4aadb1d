//! The digest's look as the operator sets it: every `[theme]` key and
//! `sender.address` in the HTML and text parts, dark mode, the editor's
//! note in a preview, bad values named by their key, and what `check`
//! warns about (contrast, a missing address, files the site would publish).

use crate::common;

use common::Postbode;

const WEEK: [&str; 4] = ["--since", "2026-11-16", "--until", "2026-11-23"];

const THEMED: &str = r##"
[sender]
from = "Leest Meer <digest@leestmeer.example.org>"
unsubscribe_url = "https://leestmeer.example.org/afmelden/{token}"
address = "Keizersgracht 1, 1015 CJ Amsterdam"

[theme]
accent = "#0B6E4F"
background = "#fffdf7"
text = "#222"
logo = "https://leestmeer.example.org/logo.png"
logo_alt = "Leest Meer & co"
logo_width = 160
font = "Verdana, Geneva, sans-serif"
header = "Het beste van de week"
footer = "Gemaakt door *de redactie*. [Over ons](https://leestmeer.example.org/over) of [mail](mailto:redactie@leestmeer.example.org)."
"##;

/// Runs `preview` with `args` after the week and returns the HTML and text.
fn preview(pb: Postbode, extra: &[&str]) -> (Postbode, String, String) {
    let mut args = vec!["preview"];
    args.extend(WEEK);
    args.extend(["--out", "d.html", "--text", "d.txt"]);
    args.extend(extra);
    let pb = pb.args(args);
    pb.succeeds();
    let html = std::fs::read_to_string(pb.path().join("d.html")).unwrap();
    let text = std::fs::read_to_string(pb.path().join("d.txt")).unwrap();
    (pb, html, text)
}

#[test]
fn every_theme_key_reaches_the_html_and_the_text() {
    let (_, html, text) = preview(Postbode::new().site("digest_nl").config(THEMED), &[]);
    // Colours: the accent on the site's name and headings, the background
    // on the column, the text colour on the cells.
    assert!(
        html.contains("text-transform:uppercase;color:#0b6e4f;"),
        "accent"
    );
    assert!(html.contains(r##"bgcolor="#fffdf7""##), "background");
    assert!(html.contains("background-color:#fffdf7;"), "background");
    assert!(html.contains("color:#222222;"), "text colour");
    assert!(!html.contains("#a4231c"), "the default accent is gone");
    assert!(
        html.contains("font-family:Verdana, Geneva, sans-serif;"),
        "font"
    );
    assert!(
        html.contains(r#"<img src="https://leestmeer.example.org/logo.png" alt="Leest Meer &amp; co" width="160""#),
        "logo: {html}"
    );
    assert!(html.contains(">Het beste van de week</p>"), "header");
    assert!(text.contains("\nHet beste van de week\n"), "header in text");
    // The footer's Markdown: emphasis and links, nothing else.
    assert!(
        html.contains("Gemaakt door <em>de redactie</em>."),
        "{html}"
    );
    assert!(html.contains(r#"<a href="https://leestmeer.example.org/over""#));
    assert!(html.contains(r#"<a href="mailto:redactie@leestmeer.example.org""#));
    assert!(
        text.contains("Over ons <https://leestmeer.example.org/over>"),
        "{text}"
    );
    // The postal address, in both parts, after the unsubscribe link.
    assert!(html.contains(">Keizersgracht 1, 1015 CJ Amsterdam</p>"));
    let unsubscribe = text.find("Afmelden:").unwrap();
    let address = text.find("Keizersgracht 1, 1015 CJ Amsterdam").unwrap();
    assert!(address > unsubscribe);
    // Dark mode: readable colours for clients that honour it, the
    // operator's accent lightened, not replaced.
    assert!(html.contains(r#"<meta name="color-scheme" content="light dark">"#));
    let dark = html
        .split("@media (prefers-color-scheme:dark){")
        .nth(1)
        .and_then(|rest| rest.split("</style>").next())
        .expect("a dark-mode block");
    assert!(dark.contains(".pb-card{background-color:#1e1e1e !important;}"));
    assert!(
        !dark.contains("#0b6e4f"),
        "the accent is lightened for dark backgrounds"
    );
}

#[test]
fn without_a_theme_the_look_is_unchanged_and_check_asks_for_an_address() {
    let pb = Postbode::new()
        .site("digest_nl")
        .config("[sender]\nfrom = \"Leest Meer <digest@leestmeer.example.org>\"\n")
        .args(["check"]);
    let run = pb.run();
    assert!(
        run.stdout.contains("warning: `sender.address` is not set"),
        "{}",
        run.stdout
    );
    let (_, html, _) = preview(Postbode::new().site("digest_nl"), &[]);
    assert!(html.contains("color:#a4231c;"));
    assert!(!html.contains("<img src=\"https://leestmeer.example.org/logo.png\""));
}

#[test]
fn check_warns_below_wcag_aa_contrast() {
    let run = Postbode::new()
        .site("digest_nl")
        .config("[sender]\naddress = \"Postbus 1, Amsterdam\"\n[theme]\ntext = \"#999999\"\naccent = \"#f0c000\"\n")
        .args(["check"])
        .run();
    assert!(
        run.stdout.contains("warning: `theme.text` `#999999` on `theme.background` `#ffffff` has a contrast of 2.8:1, below the 4.5:1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("`theme.accent` `#f0c000`"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("sender.address"));
    let run = Postbode::new()
        .site("digest_nl")
        .config("[sender]\naddress = \"Postbus 1, Amsterdam\"\n[theme]\ntext = \"#222222\"\nbackground = \"#ffffff\"\n")
        .args(["check"])
        .run();
    assert!(!run.stdout.contains("contrast"), "{}", run.stdout);
}

#[test]
fn bad_theme_values_are_errors_naming_the_key() {
    for (table, expected) in [
        (
            "[theme]\naccent = \"red\"",
            "`theme.accent`: `red` is not a colour",
        ),
        (
            "[theme]\nbackground = \"#12345\"",
            "`theme.background`: `#12345` is not a colour",
        ),
        ("[theme]\ntext = \"#gggggg\"", "`theme.text`"),
        (
            "[theme]\nlogo = \"http://leestmeer.example.org/logo.png\"",
            "`theme.logo`: `http://leestmeer.example.org/logo.png` is not an https URL",
        ),
        (
            "[theme]\nlogo = \"javascript:alert(1)\"",
            "`theme.logo`: `javascript:alert(1)` is not an https URL",
        ),
        (
            "[theme]\nlogo = \"https://x.org/l.png\"\nlogo_width = 2000",
            "`theme.logo_width` must be between 16 and 552",
        ),
        (
            "[theme]\nlogo_alt = \"x\"",
            "`theme.logo_alt` and `theme.logo_width` need `theme.logo`",
        ),
        (
            "[theme]\nfont = \"Arial;background:url(x)\"",
            "`theme.font`: `Arial;background:url(x)` is not a font stack",
        ),
        (
            "[theme]\nfooter = \"<script>alert(1)</script>\"",
            "`theme.footer` holds raw HTML",
        ),
        (
            "[theme]\nfooter = \"Hi <b>there</b>\"",
            "`theme.footer` holds raw HTML",
        ),
        (
            "[theme]\nfooter = \"[x](javascript:alert(1))\"",
            "`theme.footer` links to `javascript:alert(1)`",
        ),
        ("[theme]\ncolour = \"#ffffff\"", "unknown field `colour`"),
    ] {
        let run = Postbode::new()
            .site("digest_nl")
            .config(table)
            .args(["check"])
            .fails(1);
        assert!(run.stderr.contains(expected), "{table}: {}", run.stderr);
        assert!(run.stderr.contains("config.toml"), "{}", run.stderr);
    }
}

#[test]
fn the_editors_note_opens_the_digest_and_its_html_stays_text() {
    let note = "Welkom bij **deze week**!\n\n<script>alert(1)</script>\n\n\
                Lees <img src=x onerror=alert(2)> [veilig](https://leestmeer.example.org/x) of [eng](javascript:alert(3))\n";
    let pb = Postbode::new().site("digest_nl").file("intro.md", note);
    let (pb, html, text) = preview(pb, &[]);
    assert!(
        html.contains("Welkom bij <strong>deze week</strong>!"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(!html.contains("<script"));
    assert!(
        !html.contains("javascript:"),
        "a link elsewhere keeps only its text"
    );
    assert!(html.contains(r#"<a href="https://leestmeer.example.org/x""#));
    // Above the first section, below the greeting.
    let note_at = html.find("deze week").unwrap();
    assert!(note_at > html.find("Hallo").unwrap());
    assert!(note_at < html.find("<h2").unwrap());
    let note_at = text.find("Welkom bij deze week!").unwrap();
    assert!(note_at < text.find("=====").unwrap(), "{text}");

    // `--intro` names another file; a missing one is an error naming it.
    let pb = pb.file("other.md", "Een *andere* noot.");
    let (pb, html, _) = preview(pb, &["--intro", "other.md"]);
    assert!(html.contains("Een <em>andere</em> noot."));
    let run = pb
        .args(["preview", "--intro", "missing.md", "--out", "x.html"])
        .fails(1);
    assert!(
        run.stderr
            .contains("cannot read the editor's note `missing.md`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_note_that_is_not_utf8_is_an_error_naming_the_file() {
    let run = Postbode::new()
        .site("digest_nl")
        .file("intro.md", b"Caf\xe9 open\n")
        .args(["preview", "--out", "x.html"])
        .fails(1);
    assert!(
        run.stderr
            .contains("the editor's note `./intro.md` is not UTF-8 text (byte 4)"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_warns_when_the_site_would_publish_the_list_state_or_outbox() {
    // Config in the site's root: the list, state and outbox are published.
    let pb = Postbode::new()
        .site("digest_nl")
        .raw_config("[site]\nsource = \".\"\n[sender]\naddress = \"Postbus 1\"\n[subscribers]\nfile = \"subscribers/subscribers.yaml\"\n")
        .file("subscribers/subscribers.yaml", "subscribers: []\n");
    // The temp dir becomes the site: give it the fixture's files.
    common::copy_dir(&common::fixtures().join("digest_nl"), pb.path());
    let pb = pb.args(["check"]);
    let run = pb.run();
    for key in ["subscribers.file", "delivery.state_dir", "delivery.outbox"] {
        assert!(
            run.stdout.contains(&format!("warning: `{key}`")),
            "{key}: {}",
            run.stdout
        );
    }
    assert!(run
        .stdout
        .contains("would put every reader's address on the web"));

    // `exclude` in `_config.yml` and `_` folders keep them out.
    let config = std::fs::read_to_string(pb.path().join("_config.yml")).unwrap();
    std::fs::write(
        pb.path().join("_config.yml"),
        format!("{config}exclude:\n  - subscribers/\n  - state\n"),
    )
    .unwrap();
    std::fs::write(
        pb.path().join("config.toml"),
        "[site]\nsource = \".\"\n[sender]\naddress = \"Postbus 1\"\n[subscribers]\nfile = \"subscribers/subscribers.yaml\"\n[delivery]\noutbox = \"_out\"\n",
    )
    .unwrap();
    let run = pb.run();
    assert!(
        !run.stdout.contains("would put every reader"),
        "{}",
        run.stdout
    );
}
