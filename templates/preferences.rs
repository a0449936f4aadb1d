//! The preference page's form and words: which digests, which categories,
//! a pause. Plain HTML checkboxes and a date field posting back to the
//! page's own URL, so it works without JavaScript.

use maud::{html, Markup};

use crate::Language;

/// What the form shows, already in the reader's current choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices {
    /// Every digest of the site, and whether the reader gets it.
    pub digests: Vec<(String, bool)>,
    /// Every category of the site, and whether the reader chose it; none
    /// chosen means all.
    pub categories: Vec<(String, bool)>,
    /// `YYYY-MM-DD`, or empty when not paused.
    pub paused_until: String,
}

/// The words of the preference page.
#[derive(Debug)]
pub struct Words {
    pub title: &'static str,
    pub intro: &'static str,
    pub digests: &'static str,
    pub categories: &'static str,
    pub categories_hint: &'static str,
    pub pause: &'static str,
    pub pause_hint: &'static str,
    pub save: &'static str,
    pub saved: &'static str,
    /// Before the list of categories the site does not have.
    pub unknown_categories: &'static str,
    pub bad_date: &'static str,
    pub no_digest: &'static str,
    /// `{digest}` is the name the form sent.
    pub unknown_digest: &'static str,
}

pub static NL: Words = Words {
    title: "Je voorkeuren",
    intro: "Kies welke nieuwsbrieven van {site} {email} krijgt, over welke rubrieken, of pauzeer ze even.",
    digests: "Nieuwsbrieven",
    categories: "Rubrieken",
    categories_hint: "Kies je niets, dan krijg je alle rubrieken.",
    pause: "Pauzeren tot (de dag waarop je weer mail krijgt)",
    pause_hint: "Laat leeg om niet te pauzeren.",
    save: "Opslaan",
    saved: "Je voorkeuren zijn opgeslagen.",
    unknown_categories: "Deze rubrieken bestaan niet en zijn weggelaten:",
    bad_date: "Die datum kunnen we niet lezen; je pauze is niet veranderd.",
    no_digest: "Kies minstens één nieuwsbrief; wil je niets meer ontvangen, meld je dan af.",
    unknown_digest: "De nieuwsbrief “{digest}” bestaat niet; er is niets opgeslagen.",
};

pub static EN: Words = Words {
    title: "Your preferences",
    intro: "Choose which newsletters of {site} {email} gets, on which topics, or pause them for a while.",
    digests: "Newsletters",
    categories: "Topics",
    categories_hint: "Choose none to get every topic.",
    pause: "Pause until (the first day you get mail again)",
    pause_hint: "Leave empty not to pause.",
    save: "Save",
    saved: "Your preferences are saved.",
    unknown_categories: "These topics do not exist and were left out:",
    bad_date: "We cannot read that date; your pause was not changed.",
    no_digest: "Choose at least one newsletter; to get nothing at all, unsubscribe.",
    unknown_digest: "There is no newsletter “{digest}”; nothing was saved.",
};

impl Words {
    pub fn of(language: Language) -> &'static Words {
        match language {
            Language::Nl => &NL,
            Language::En => &EN,
        }
    }
}

/// Extra rules for the form's checkboxes, after the pages' own style.
pub const CSS: &str = concat!(
    "fieldset{margin:0 0 20px 0;padding:0;border:0;}",
    "legend{margin:0 0 8px 0;padding:0;font-size:14px;font-weight:bold;}",
    "label.check{display:flex;align-items:center;gap:10px;margin:0;padding:8px 0;font-weight:normal;font-size:16px;min-height:28px;}",
    "label.check input{width:20px;height:20px;margin:0;flex:none;}",
    "input[type=date]{box-sizing:border-box;width:100%;max-width:260px;margin:0 0 6px 0;padding:10px 12px;font:inherit;border:1px solid #767676;border-radius:4px;}",
    ".hint{margin:4px 0 0 0;font-size:14px;line-height:20px;color:#5f5f5f;}",
    ".columns{columns:2 180px;column-gap:24px;}"
);

/// The form, posting back to the page's own URL.
pub fn form(language: Language, c: &Choices) -> Markup {
    let w = Words::of(language);
    html! {
        form method="post" {
            @if c.digests.len() > 1 {
                fieldset {
                    legend { (w.digests) }
                    @for (name, on) in &c.digests {
                        label class="check" {
                            input type="checkbox" name="digest" value=(name) checked[*on];
                            span { (name) }
                        }
                    }
                }
            } @else {
                @for (name, _) in &c.digests {
                    input type="hidden" name="digest" value=(name);
                }
            }
            @if !c.categories.is_empty() {
                fieldset {
                    legend { (w.categories) }
                    div class="columns" {
                        @for (name, on) in &c.categories {
                            label class="check" {
                                input type="checkbox" name="category" value=(name) checked[*on];
                                span { (name) }
                            }
                        }
                    }
                    p class="hint" { (w.categories_hint) }
                }
            }
            fieldset {
                label for="paused_until" { (w.pause) }
                input type="date" id="paused_until" name="paused_until" value=(c.paused_until);
                p class="hint" { (w.pause_hint) }
            }
            button type="submit" { (w.save) }
        }
    }
}
