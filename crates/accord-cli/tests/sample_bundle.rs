//! The committed sample certificate, `tests/data/sample.bundle`, from a real
//! run of `tests/evidence_session.rs` (regenerate it with
//! `ACCORD_WRITE_SAMPLE_BUNDLE=1 cargo test -p accord-cli --test evidence_session`).
//! It verifies as it is, and every single-byte change to it is detected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

fn sample() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sample.bundle");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_sample_bundle_verifies() {
    let report = accord_evidence::verify_bundle(&sample(), None);
    assert!(report.ok(), "{}", report.summary());
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["verify", concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/sample.bundle")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.starts_with("VERIFIED"), "{stdout}");
}

/// Each byte in turn is changed (its lowest bit flipped, the smallest change
/// there is: `a`→`` ` ``, `0`→`1`, `"`→`#`); every changed file must fail
/// verification, and none may panic. The library call is what `accord
/// verify` runs; the binary itself is run on a spread of the changes below.
#[test]
fn every_single_byte_change_to_the_sample_bundle_is_detected() {
    let original = sample();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    let undetected: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let original = &original;
                scope.spawn(move || {
                    let mut bytes = original.clone();
                    let mut missed = Vec::new();
                    for i in (t..original.len()).step_by(threads) {
                        bytes[i] ^= 1;
                        if accord_evidence::verify_bundle(&bytes, None).ok() {
                            missed.push(i);
                        }
                        bytes[i] ^= 1;
                    }
                    missed
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("verification panicked")).collect()
    });
    assert!(undetected.is_empty(), "changes at bytes {undetected:?} were not detected");
}

#[test]
fn accord_verify_rejects_changed_bundles_and_names_the_failure() {
    let original = sample();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("changed.bundle");
    for i in (0..original.len()).step_by(original.len() / 40 + 1) {
        let mut bytes = original.clone();
        bytes[i] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_accord")).arg("verify").arg(&path).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "byte {i}: {stdout}{stderr}");
        assert!(stdout.starts_with("NOT VERIFIED"), "byte {i}: {stdout}");
        assert!(!stderr.contains("panicked"), "byte {i}: {stderr}");
    }
}
