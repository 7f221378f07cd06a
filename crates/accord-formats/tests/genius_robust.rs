//! GENIUS import never panics: real domain files, damaged at random (bytes
//! flipped, spans cut, repeated or spliced with XML fragments, files
//! truncated), either import or fail with an error that names a file.
//! The same property is fuzzed in `fuzz/fuzz_targets/genius.rs`.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod genius_support;

use std::sync::OnceLock;

use accord_formats::genius;
use genius_support::{fixture_dir, shared_domains};
use proptest::prelude::*;

/// `(file name, bytes)` of one domain: the domain file first, then the profiles.
type FileSet = Vec<(String, Vec<u8>)>;

fn read_set(dir: &std::path::Path) -> FileSet {
    let files = genius::find_files(dir).unwrap();
    std::iter::once(files.domain)
        .chain(files.profiles)
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

/// The hand-written fixture, then every shared domain when `../shared` is there.
fn sets() -> &'static [FileSet] {
    static SETS: OnceLock<Vec<FileSet>> = OnceLock::new();
    SETS.get_or_init(|| {
        let mut sets = vec![read_set(&fixture_dir())];
        match shared_domains() {
            Some(dirs) => sets.extend(dirs.iter().map(|d| read_set(d))),
            None => println!("skipped the shared domains: ../shared not found; damaging the fixture only"),
        }
        sets
    })
}

const FRAGMENTS: &[&str] = &[
    "<",
    ">",
    "/>",
    "\"",
    "&",
    "&amp;",
    "&bogus;",
    "<!--",
    "-->",
    "<![CDATA[x]]>",
    "</issue>",
    "<issue>",
    "<item value=\"x\" evaluation=\"1\"/>",
    " index=\"1\"",
    " index=\"-3\"",
    " value=\"NaN\"",
    " value=\"1e999\"",
    " vtype=\"real\"",
    " vtype=\"integer\"",
    " lowerbound=\"9\"",
    " upperbound=\"-9\"",
    "<objective index=\"0\">",
    "</objective>",
    "<weight index=\"1\" value=\"0.5\"/>",
    "\u{feff}",
    "é",
    "\0",
];

#[derive(Debug, Clone)]
enum Damage {
    Flip { at: f64, bits: u8 },
    Cut { at: f64, len: usize },
    Repeat { at: f64, len: usize },
    Splice { at: f64, fragment: usize },
    Truncate { at: f64 },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (0.0..1.0f64, 1u8..=255).prop_map(|(at, bits)| Damage::Flip { at, bits }),
        (0.0..1.0f64, 1usize..200).prop_map(|(at, len)| Damage::Cut { at, len }),
        (0.0..1.0f64, 1usize..200).prop_map(|(at, len)| Damage::Repeat { at, len }),
        (0.0..1.0f64, 0..FRAGMENTS.len()).prop_map(|(at, fragment)| Damage::Splice { at, fragment }),
        (0.0..1.0f64).prop_map(|at| Damage::Truncate { at }),
    ]
}

fn apply(bytes: &mut Vec<u8>, damage: &Damage) {
    let pos = |at: f64, len: usize| ((at * len as f64) as usize).min(len);
    match *damage {
        Damage::Flip { at, bits } => {
            if !bytes.is_empty() {
                let i = pos(at, bytes.len() - 1);
                bytes[i] ^= bits;
            }
        }
        Damage::Cut { at, len } => {
            let i = pos(at, bytes.len());
            let end = (i + len).min(bytes.len());
            bytes.drain(i..end);
        }
        Damage::Repeat { at, len } => {
            let i = pos(at, bytes.len());
            let end = (i + len).min(bytes.len());
            let span = bytes[i..end].to_vec();
            bytes.splice(end..end, span);
        }
        Damage::Splice { at, fragment } => {
            let i = pos(at, bytes.len());
            bytes.splice(i..i, FRAGMENTS[fragment].bytes());
        }
        Damage::Truncate { at } => {
            let i = pos(at, bytes.len());
            bytes.truncate(i);
        }
    }
}

/// Imports a damaged set; an error must name one of the set's files.
fn check(set: &FileSet) -> Result<(), TestCaseError> {
    let texts: Vec<(String, String)> =
        set.iter().map(|(name, bytes)| (name.clone(), String::from_utf8_lossy(bytes).into_owned())).collect();
    let profiles: Vec<(&str, &str)> = texts[1..].iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    match genius::import((&texts[0].0, &texts[0].1), &profiles) {
        Ok(negotiation) => {
            // Whatever imports and validates must also export and read back.
            if accord_core::validate::validate(&negotiation).is_empty() {
                let exported = genius::export_with_notes(&negotiation);
                prop_assert!(exported.is_ok(), "{:?}", exported.err());
            }
        }
        Err(err) => {
            let message = err.to_string();
            prop_assert!(
                texts.iter().any(|(name, _)| message.contains(name.as_str())),
                "the error names no file: {message}"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn damaged_domains_import_or_fail_naming_a_file(
        set in any::<prop::sample::Index>(),
        file in any::<prop::sample::Index>(),
        damages in prop::collection::vec(damage(), 1..6),
    ) {
        let sets = sets();
        let mut set = sets[set.index(sets.len())].clone();
        let target = file.index(set.len());
        for d in &damages {
            apply(&mut set[target].1, d);
        }
        check(&set)?;
    }

    #[test]
    fn damaged_directories_import_or_fail_naming_a_file(
        file in any::<prop::sample::Index>(),
        damages in prop::collection::vec(damage(), 1..4),
    ) {
        // Through the file system, where bytes that are not UTF-8 stay so.
        let mut set = sets()[0].clone();
        let target = file.index(set.len());
        for d in &damages {
            apply(&mut set[target].1, d);
        }
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &set {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        if let Err(err) = genius::import_dir(dir.path()) {
            let message = err.to_string();
            prop_assert!(
                set.iter().any(|(name, _)| message.contains(name.as_str())) || message.contains("GENIUS domain file"),
                "the error names no file: {message}"
            );
        }
    }
}

#[test]
fn every_truncation_of_the_fixture_is_handled() {
    let set = &sets()[0];
    for target in 0..set.len() {
        for cut in 0..set[target].1.len() {
            let mut damaged = set.clone();
            damaged[target].1.truncate(cut);
            check(&damaged).unwrap();
        }
    }
}

#[test]
fn a_file_that_is_not_utf8_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in &sets()[0] {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    std::fs::write(dir.path().join("alex.xml"), b"<utility_space>\xff\xfe</utility_space>").unwrap();
    let err = genius::import_dir(dir.path()).unwrap_err().to_string();
    assert_eq!(err, "alex.xml: not UTF-8 text (invalid byte at offset 15)");
}
