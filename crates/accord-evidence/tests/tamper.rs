#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use std::sync::OnceLock;

use accord_evidence::{Bundle, LogExport, Report, verify_bundle, verify_log};
use common::*;
use proptest::prelude::*;

/// The bundle of the full fixture run, for random edits.
fn bundle() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        Bundle::build(NEGOTIATION, &closed_log().log, &server_key(), signed_at(), &[]).unwrap().to_bytes()
    })
}

fn export() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        LogExport::build(NEGOTIATION, &closed_log().log, &server_key(), signed_at(), &[]).unwrap().to_bytes()
    })
}

/// The small run's bundle and export, for changing every byte.
fn small_bundle() -> Vec<u8> {
    Bundle::build(NEGOTIATION, &small_closed_log().log, &server_key(), signed_at(), &[]).unwrap().to_bytes()
}

fn small_export() -> Vec<u8> {
    LogExport::build(NEGOTIATION, &small_closed_log().log, &server_key(), signed_at(), &[]).unwrap().to_bytes()
}

/// The change most likely to slip through at a byte: another valid lowercase
/// hex digit for a hex digit (the value changes, the form stays valid), the
/// other case for a letter (the same hex value in uppercase, or the same
/// word with one capital), the neighbouring byte value for anything else.
fn plausible_change(byte: u8) -> u8 {
    match byte {
        b'0'..=b'9' => byte ^ 0x01,
        b'a'..=b'e' => byte + 1,
        b'f' => b'e',
        b'A'..=b'Z' | b'g'..=b'z' => byte ^ 0x20,
        _ => byte ^ 0x01,
    }
}

/// Changes every byte of `original` in turn (on all cores) and returns the
/// positions whose change `verify` accepted.
fn undetected_changes(original: &[u8], verify: fn(&[u8], Option<[u8; 32]>) -> Report) -> Vec<usize> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
    let chunk = original.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut changed = original.to_vec();
                    let mut accepted = Vec::new();
                    for index in t * chunk..((t + 1) * chunk).min(original.len()) {
                        changed[index] = plausible_change(original[index]);
                        if verify(&changed, None).ok() {
                            accepted.push(index);
                        }
                        changed[index] = original[index];
                    }
                    accepted
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().unwrap()).collect()
    })
}

/// Acceptance: every single-byte change to a real bundle is detected, without
/// a pinned server key (the harder case), and nothing panics.
#[test]
fn every_single_byte_change_to_a_bundle_is_detected() {
    let original = &small_bundle();
    assert!(verify_bundle(original, None).ok(), "{}", verify_bundle(original, None).summary());
    let accepted = undetected_changes(original, verify_bundle);
    assert!(accepted.is_empty(), "changes at bytes {accepted:?} of {} went undetected", original.len());
}

#[test]
fn every_single_byte_change_to_a_log_export_is_detected() {
    let original = &small_export();
    assert!(verify_log(original, None).ok(), "{}", verify_log(original, None).summary());
    let accepted = undetected_changes(original, verify_log);
    assert!(accepted.is_empty(), "changes at bytes {accepted:?} of {} went undetected", original.len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        prop_assert!(!verify_bundle(&bytes, None).ok());
        prop_assert!(!verify_log(&bytes, None).ok());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Random edits of real files (overwrites, insertions, deletions) reach deep
    /// into the verifiers; none may panic or pass.
    #[test]
    fn edited_files_never_panic_or_pass(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
        log in any::<bool>(),
    ) {
        let original = if log { export() } else { bundle() };
        let mut bytes = original.to_vec();
        for (index, value, kind) in edits {
            let at = index.index(bytes.len());
            match kind {
                0 => bytes[at] = value,
                1 => bytes.insert(at, value),
                _ => { bytes.remove(at); }
            }
        }
        let report = if log { verify_log(&bytes, None) } else { verify_bundle(&bytes, None) };
        prop_assert_eq!(report.ok(), bytes == original);
    }
}
