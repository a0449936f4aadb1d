//! The front-matter reader for `---` YAML, `+++` TOML and `{` JSON never
//! panics, and its body is always a suffix of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postbode::site::matter;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(m) = matter::read(&text) {
        assert!(text.ends_with(m.body), "{:?}", text);
    }
});
