//! Words for story matching: a title or summary as lower-case, accent-folded
//! words, with the stop words of Dutch and English left out, and the names
//! and numbers that two reports of one event must share.
//!
//! Bounded whatever the input: a word is cut at [`MAX_WORD`] characters and
//! a text gives at most [`MAX_WORDS`] words, so a 10,000-character title
//! costs no more than a normal one.

/// Longer words are cut: no real word is longer, and a run of letters
/// without spaces (a URL slug, a hostile title) must not cost more.
pub const MAX_WORD: usize = 32;
/// Words read from one text; the start of a summary says what it is about.
pub const MAX_WORDS: usize = 64;

/// One word of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lower case, accents folded (`é` → `e`), at most [`MAX_WORD`] chars.
    pub text: String,
    /// Written with a capital and not the text's first word: likely a name.
    pub name: bool,
    /// All digits.
    pub number: bool,
}

/// The words of `text`: letters and digits, split at everything else.
/// Stop words and one-letter words are dropped; numbers are kept.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    each_word(text, &mut String::new(), |w, name, number| {
        out.push(Word {
            text: w.to_owned(),
            name,
            number,
        });
    });
    out
}

/// [`words`] without an allocation per word: `f` gets each word's text
/// (lent from `buf`), whether it is a name, and whether it is a number.
pub fn each_word(text: &str, buf: &mut String, mut f: impl FnMut(&str, bool, bool)) {
    each_raw(text, |raw, name| match read(raw, buf) {
        Kind::Skip => false,
        Kind::Number => {
            f(buf, false, true);
            true
        }
        Kind::Word => {
            f(buf, name, false);
            true
        }
    });
}

/// The runs of letters and digits of `text`, as written, in order, each
/// with whether it is written like a name (a capital, and not the text's
/// first word). `f` says whether the run counted as a word (see [`read`]);
/// the scan ends after [`MAX_WORDS`] counted words.
pub fn each_raw(text: &str, mut f: impl FnMut(&str, bool) -> bool) {
    let mut count = 0;
    let mut first = true;
    each_run(text, |raw| {
        let was_first = std::mem::replace(&mut first, false);
        let name = !was_first && raw.chars().next().is_some_and(char::is_uppercase);
        if f(raw, name) {
            count += 1;
        }
        count < MAX_WORDS
    });
}

/// Calls `f` with each run of letters and digits of `text`, in order,
/// until it returns false: what splitting `text` at every other character
/// gives, without the empty pieces. ASCII, nearly all of the text, is
/// classified by a table lookup per byte, without decoding.
fn each_run<'t>(text: &'t str, mut f: impl FnMut(&'t str) -> bool) {
    let bytes = text.as_bytes();
    let class = |at: usize| bytes.get(at).map_or(OTHER, |&b| CLASS[usize::from(b)]);
    let mut at = 0;
    while at < bytes.len() {
        // To the start of the next run.
        match class(at) {
            OTHER => {
                at += 1;
                continue;
            }
            ALNUM => {}
            _ => match wide(text, at) {
                (true, _) => {}
                (false, len) => {
                    at += len;
                    continue;
                }
            },
        }
        let start = at;
        loop {
            while class(at) == ALNUM {
                at += 1;
            }
            if class(at) != WIDE {
                break;
            }
            match wide(text, at) {
                (true, len) => at += len,
                (false, _) => break,
            }
        }
        if !f(&text[start..at]) {
            return;
        }
    }
}

/// Classes of bytes for [`each_run`].
const OTHER: u8 = 0;
const ALNUM: u8 = 1;
/// A byte of a character beyond ASCII.
const WIDE: u8 = 2;

const CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = if b >= 0x80 {
            WIDE
        } else if (b as u8).is_ascii_alphanumeric() {
            ALNUM
        } else {
            OTHER
        };
        b += 1;
    }
    table
};

/// Whether the non-ASCII character at byte `at` (a character boundary)
/// is a letter or digit, and its length in bytes.
fn wide(text: &str, at: usize) -> (bool, usize) {
    text[at..]
        .chars()
        .next()
        .map_or((false, 1), |c| (is_alphanumeric(c), c.len_utf8()))
}

/// [`char::is_alphanumeric`], with the answers for the characters beyond
/// ASCII that Dutch news uses most (accented letters, quotes, dashes, the
/// no-break space) given without a search of Unicode's tables.
pub(crate) fn is_alphanumeric(c: char) -> bool {
    match c {
        // Latin-1's letters and Latin Extended-A and -B, but for × and ÷.
        '\u{c0}'..='\u{24f}' => c != '×' && c != '÷',
        // General Punctuation: spaces, dashes, quotes, ellipses.
        '\u{2000}'..='\u{206f}' | '\u{a0}' => false,
        _ => c.is_alphanumeric(),
    }
}

/// What one run of letters and digits is to the matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A stop word or a single letter.
    Skip,
    /// Digits, or a counting word (`drie`) read as digits.
    Number,
    Word,
}

/// Reads one run of letters and digits: its text for matching goes into
/// `buf` (lower case, accents folded, at most [`MAX_WORD`] characters,
/// counting words as digits).
pub fn read(raw: &str, buf: &mut String) -> Kind {
    buf.clear();
    let mut chars = 0;
    if raw.is_ascii() {
        // Most words of the site are plain ASCII: lower-cased byte by
        // byte, with nothing to fold.
        let cut = &raw[..raw.len().min(MAX_WORD)];
        buf.push_str(cut);
        buf.make_ascii_lowercase();
        chars = cut.len();
    } else {
        for c in raw.chars().flat_map(char::to_lowercase) {
            if chars >= MAX_WORD {
                break;
            }
            buf.push(fold(c));
            chars += 1;
        }
    }
    if let Some(digits) = number_word(buf) {
        buf.clear();
        buf.push_str(digits);
        return Kind::Number;
    }
    if buf.bytes().all(|b| b.is_ascii_digit()) {
        return Kind::Number;
    }
    if chars < 2 || is_stop_word(buf) {
        return Kind::Skip;
    }
    Kind::Word
}

/// Counting words as digits, so that "drie jaar" and "3 jaar" agree and
/// "vierde etappe" and "vijfde etappe" differ. "een"/"one" are left out:
/// mostly they are articles.
fn number_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "eerste" | "first" => "1",
        "twee" | "tweede" | "two" | "second" => "2",
        "drie" | "derde" | "three" | "third" => "3",
        "vier" | "vierde" | "four" | "fourth" => "4",
        "vijf" | "vijfde" | "five" | "fifth" => "5",
        "zes" | "zesde" | "six" | "sixth" => "6",
        "zeven" | "zevende" | "seven" | "seventh" => "7",
        "acht" | "achtste" | "eight" | "eighth" => "8",
        "negen" | "negende" | "nine" | "ninth" => "9",
        "tien" | "tiende" | "ten" | "tenth" => "10",
        _ => return None,
    })
}

/// Accents off the letters Dutch and its loan words use, so that `geïnd`
/// and `geind`, `café` and `cafe` are one word.
fn fold(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        c => c,
    }
}

/// Dutch and English function words, and the words news titles use for
/// any event (`video`, `update`, `live`): sharing them says nothing.
fn is_stop_word(w: &str) -> bool {
    if w.is_empty() || w.len() > STOP_MAX {
        return false;
    }
    let key = packed(w.as_bytes());
    let mut at = slot(key);
    loop {
        match STOP_TABLE[at] {
            0 => return false,
            k if k == key => return true,
            _ => at = (at + 1) % STOP_SLOTS,
        }
    }
}

/// The longest stop word, in bytes.
const STOP_MAX: usize = 8;

/// A word of 1 to [`STOP_MAX`] bytes as one non-zero integer, so that a
/// stop-word lookup hashes and compares integers, not strings.
const fn packed(w: &[u8]) -> u64 {
    let mut bytes = [0u8; STOP_MAX];
    let mut i = 0;
    while i < w.len() {
        bytes[i] = w[i];
        i += 1;
    }
    u64::from_le_bytes(bytes)
}

/// Slots of the stop-word table: a third full, so a lookup mostly reads
/// one or two.
const STOP_SLOTS: usize = 512;

const fn slot(key: u64) -> usize {
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 55) as usize % STOP_SLOTS
}

/// [`STOP_WORDS`] packed into an open-addressing table built at compile
/// time (linear probing; 0 is an empty slot).
const STOP_TABLE: [u64; STOP_SLOTS] = {
    let mut table = [0u64; STOP_SLOTS];
    let mut i = 0;
    while i < STOP_WORDS.len() {
        let w = STOP_WORDS[i].as_bytes();
        assert!(!w.is_empty() && w.len() <= STOP_MAX);
        let key = packed(w);
        let mut at = slot(key);
        while table[at] != 0 {
            at = (at + 1) % STOP_SLOTS;
        }
        table[at] = key;
        i += 1;
    }
    table
};

/// Sorted, for reading (a unit test checks the order).
const STOP_WORDS: &[&str] = &[
    "aan", "about", "after", "al", "alle", "allemaal", "als", "also", "am", "an", "and", "ander",
    "andere", "are", "as", "at", "be", "been", "bij", "bijna", "but", "by", "can", "could", "daar",
    "dag", "dan", "dat", "de", "deze", "die", "dit", "doen", "does", "door", "dus", "een", "eens",
    "eerst", "en", "er", "for", "from", "ga", "gaan", "gaat", "geen", "gisteren", "had", "has",
    "have", "he", "heb", "hebben", "heeft", "heel", "hem", "her", "het", "hier", "hij", "his",
    "hoe", "how", "hun", "ik", "in", "into", "is", "it", "its", "ja", "je", "jij", "jou", "jouw",
    "kan", "komt", "kunnen", "live", "maar", "me", "meer", "men", "met", "mij", "mijn", "moet",
    "moeten", "na", "naar", "new", "niet", "niets", "no", "nog", "not", "nu", "of", "om", "on",
    "onder", "ons", "ook", "op", "or", "our", "over", "she", "so", "te", "tegen", "than", "that",
    "the", "their", "them", "then", "there", "these", "they", "this", "to", "toch", "tot", "u",
    "uit", "un", "up", "update", "uw", "vaak", "van", "vandaag", "veel", "video", "voor", "vs",
    "waar", "wanneer", "was", "wat", "we", "wel", "werd", "were", "what", "when", "wie", "wil",
    "will", "with", "word", "worden", "wordt", "would", "you", "your", "ze", "zelf", "zich", "zij",
    "zijn", "zo", "zoals", "zou", "zullen",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        words(s).into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn stop_words_are_sorted() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]), "{STOP_WORDS:?}");
    }

    #[test]
    fn runs_are_the_pieces_of_a_split_at_other_characters() {
        for text in [
            "",
            "  ",
            "Máxima ‘recyclet’ de japon (53) 😀x😀 ‏שלום‏ مرحبا ǅemal Ⅻ ²3",
            "a,b;;c.",
            "ééé—ü",
            "a\u{a0}b×c÷d–e’f…gẞ²",
        ] {
            let split: Vec<&str> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            let mut runs = Vec::new();
            each_run(text, |r| {
                runs.push(r);
                true
            });
            assert_eq!(runs, split, "{text}");
        }
    }

    #[test]
    fn the_quick_answers_are_unicodes() {
        for c in ('\u{80}'..='\u{2fff}').chain(['\u{10000}', '😀', 'ǅ', 'Ⅻ']) {
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn every_stop_word_is_found_and_no_other() {
        assert!(STOP_WORDS.iter().all(|w| is_stop_word(w)));
        for w in ["", "aa", "aanx", "allemaals", "gisteren1", "zullenn", "zz"] {
            assert!(!is_stop_word(w), "{w}");
        }
    }

    #[test]
    fn folds_case_and_accents_and_drops_stop_words() {
        assert_eq!(
            texts("Máxima ‘recyclet’ de japon voor het staatsbanket"),
            vec!["maxima", "recyclet", "japon", "staatsbanket"]
        );
        assert_eq!(
            texts("Cindy Crawford (53)"),
            vec!["cindy", "crawford", "53"]
        );
    }

    #[test]
    fn names_are_capitalised_words_after_the_first() {
        let names: Vec<String> = words("Weduwe Jessica B. voor de rechter")
            .into_iter()
            .filter(|w| w.name)
            .map(|w| w.text)
            .collect();
        assert_eq!(names, vec!["jessica"]);
    }

    #[test]
    fn hostile_text_is_bounded() {
        let long = "a".repeat(10_000);
        let w = words(&long);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].text.chars().count(), MAX_WORD);
        assert_eq!(words(&"woord ".repeat(5_000)).len(), MAX_WORDS);
        assert!(words("").is_empty());
        assert!(words("😀 🎉 ‏שלום עולם‏ مرحبا")
            .iter()
            .all(|w| !w.text.is_empty()));
    }
}
