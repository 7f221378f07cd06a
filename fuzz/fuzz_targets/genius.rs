//! Arbitrary bytes into the GENIUS importer: it must never panic, and a domain
//! it accepts and that validates must export, and the export must read back.
//!
//! The input is split at 0xFF bytes (never part of UTF-8 text) into a domain
//! file and one or two profiles; a missing profile is left out, so the
//! importer also sees too few profiles.

#![no_main]

use accord_formats::genius;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xFF).map(String::from_utf8_lossy);
    let domain = parts.next().unwrap_or_default();
    let profiles: Vec<_> = parts.take(2).collect();
    let names = ["a.xml", "b.xml"];
    let profiles: Vec<(&str, &str)> = names.iter().zip(&profiles).map(|(n, t)| (*n, t.as_ref())).collect();
    let Ok(negotiation) = genius::import(("domain.xml", &domain), &profiles) else { return };
    if !accord_core::validate::validate(&negotiation).is_empty() {
        return;
    }
    let files = match genius::export(&negotiation) {
        Ok(files) => files,
        Err(err) => panic!("a valid imported domain does not export: {err}"),
    };
    let (domain, rest) = files.split_first().expect("an export has a domain file");
    let rest: Vec<(&str, &str)> = rest.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    if let Err(err) = genius::import((&domain.0, &domain.1), &rest) {
        panic!("an export does not read back: {err}");
    }
});
