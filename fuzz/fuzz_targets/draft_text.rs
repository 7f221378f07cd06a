//! Arbitrary bytes into the draft's text form (`accord draft edit`): reading
//! must never panic, and whatever it reads writes back to a text that reads
//! as the same draft.
//!
//! ```text
//! cd fuzz && cargo +nightly fuzz run draft_text corpus/draft_text -- -max_len=65536
//! ```

#![no_main]

use accord_formats::draft_text::{parse, write};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(draft) = parse(text) else { return };
    let again = parse(&write(&draft, &[])).expect("a written draft reads back");
    assert_eq!(again, accord_formats::draft_text::normalise(&draft), "the text form does not round-trip");
});
