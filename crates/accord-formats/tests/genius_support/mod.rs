//! Helpers shared by the GENIUS tests.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};

/// `ACCORD_SHARED_DIR`, or `../shared` beside the repository.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("ACCORD_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// Every shared GENIUS domain directory, or `None` (with a visible message) when absent.
pub fn shared_domains() -> Option<Vec<PathBuf>> {
    let root = shared_dir().join("domains");
    let Ok(entries) = std::fs::read_dir(&root) else {
        println!("skipped: ../shared not found ({} is absent)", root.display());
        return None;
    };
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    dirs.sort();
    Some(dirs)
}

/// The hand-written fixture domain checked in with the tests.
pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/genius/holiday")
}

/// Reads every file of the fixture as `(name, text)`, domain first.
pub fn fixture_texts() -> (String, String, Vec<(String, String)>) {
    let dir = fixture_dir();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    (
        "holiday-domain.xml".into(),
        read("holiday-domain.xml"),
        vec![("alex.xml".into(), read("alex.xml")), ("sam.xml".into(), read("sam.xml"))],
    )
}

/// A deterministic spread of packages over the whole outcome space: the
/// corners, then a linear congruential walk, `count` in all.
pub fn sample_packages(sizes: &[usize], count: usize) -> Vec<Vec<usize>> {
    let mut out = vec![vec![0; sizes.len()], sizes.iter().map(|&n| n.saturating_sub(1)).collect()];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while out.len() < count {
        let package = sizes
            .iter()
            .map(|&n| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                ((state >> 33) % n as u64) as usize
            })
            .collect();
        out.push(package);
    }
    out
}
