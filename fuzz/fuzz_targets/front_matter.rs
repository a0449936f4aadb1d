//! The front-matter splitter and YAML reader never panic, and the fast
//! reader agrees with serde_yaml on everything it accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postbode::site::frontmatter;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(split) = frontmatter::split(&text) {
        let _ = frontmatter::parse(split.yaml, split.yaml_line);
        if let Some(fast) = frontmatter::fast::parse(split.yaml) {
            match serde_yaml::from_str::<serde_yaml::Value>(split.yaml) {
                Ok(serde_yaml::Value::Mapping(full)) => assert_eq!(fast, full, "{:?}", split.yaml),
                Ok(serde_yaml::Value::Null) => assert!(fast.is_empty(), "{:?}", split.yaml),
                other => panic!("fast reader accepted {:?}, serde_yaml gave {other:?}", split.yaml),
            }
        }
    }
});
