//! Arbitrary text into the scenario parser: it must never panic, and a file
//! it accepts must write back to the same negotiation.
//!
//! ```text
//! cd fuzz && cargo +nightly fuzz run scenario corpus/scenario ../examples -- -max_len=4096
//! ```

#![no_main]

use accord_formats::scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(negotiation) = scenario::parse(text, "fuzz.toml") {
        let written = scenario::to_toml(&negotiation);
        match scenario::parse(&written, "written.toml") {
            Ok(again) => assert_eq!(again, negotiation, "written form:\n{written}"),
            Err(errors) => {
                panic!("a valid negotiation was written as an invalid file:\n{}\n{written}", errors.report())
            }
        }
    }
});
