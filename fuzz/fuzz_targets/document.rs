//! Arbitrary bytes into the document reader (`accord import text`), as
//! Markdown, plain text and DOCX: it must never panic, and every provision
//! it returns must have a unique id and a body without slots.
//!
//! ```text
//! cd fuzz && cargo +nightly fuzz run document corpus/document ../examples ../crates/accord-formats/tests/data -- -max_len=65536
//! ```

#![no_main]

use accord_core::text::{Segment, parse_body};
use accord_formats::document::{DocumentFormat, read};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in [DocumentFormat::Markdown, DocumentFormat::PlainText, DocumentFormat::Docx] {
        let Ok(text) = read(data, format) else { continue };
        let mut ids: Vec<&str> = text.provisions.iter().map(|p| p.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), text.provisions.len(), "duplicate provision ids");
        for provision in &text.provisions {
            let segments = parse_body(&provision.body).expect("a body that parses");
            assert!(segments.iter().all(|s| matches!(s, Segment::Text(_))), "a slot in {:?}", provision.body);
        }
    }
});
