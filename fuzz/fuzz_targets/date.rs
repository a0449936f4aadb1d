//! The date parser never panics, and what it accepts reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postbode::site::date::parse_date;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        for tz in [chrono_tz::Europe::Amsterdam, chrono_tz::America::New_York, chrono_tz::UTC] {
            if let Ok(d) = parse_date(s, tz) {
                let again = parse_date(&d.to_rfc3339(), tz).expect("own output parses");
                // RFC 3339 writes whole-minute offsets; historic zones
                // (Amsterdam's +00:19:32 before 1937) lose their seconds.
                assert_eq!(d.naive_local(), again.naive_local());
                assert!((d.offset().local_minus_utc() - again.offset().local_minus_utc()).abs() < 60);
            }
        }
    }
});
