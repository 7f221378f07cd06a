//! `accord import text`: a numbered document into a scenario that
//! `accord check` accepts and `accord render` prints.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn accord(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accord")).args(args).output().unwrap()
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(name).to_string_lossy().into_owned()
}

#[test]
fn the_28_point_plan_imports_checks_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan.toml");
    let out = out.to_str().unwrap();
    let imported = accord(&[
        "import",
        "text",
        &example("examples/peace-plan-28.md"),
        "-o",
        out,
        "--party",
        "us:mediator:United States",
        "--party",
        "ua:signatory:Ukraine",
        "--party",
        "ru:signatory:Russian Federation",
        "--party",
        "eu:consulted:European allies",
    ]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let said = String::from_utf8_lossy(&imported.stdout);
    assert!(said.contains("28 provisions"), "{said}");
    let checked = accord(&["check", out]);
    assert!(
        checked.status.success(),
        "{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    let rendered = accord(&["render", out]);
    assert!(rendered.status.success(), "{}", String::from_utf8_lossy(&rendered.stderr));
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(text.contains("Sovereignty") && text.contains("Entry into force"), "{text}");
    // The output is not replaced without --force.
    let again = accord(&["import", "text", &example("examples/peace-plan-28.md"), "-o", out]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}

#[test]
fn refusals_name_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = dir.path().join("plan.pdf");
    std::fs::write(&unknown, "1. A point.").unwrap();
    let r = accord(&["import", "text", unknown.to_str().unwrap()]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("--format"), "{}", String::from_utf8_lossy(&r.stderr));
    let prose = dir.path().join("prose.txt");
    std::fs::write(&prose, "No numbers here.\n\nNone at all.").unwrap();
    let r = accord(&["import", "text", prose.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("number each provision"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let bad_party = accord(&["import", "text", prose.to_str().unwrap(), "--party", "ua:king:Ukraine"]);
    assert!(String::from_utf8_lossy(&bad_party.stderr).contains("not a role"));
    // Without parties, stand-ins make a valid scenario on stdout.
    let plain = dir.path().join("plan.txt");
    std::fs::write(&plain, "A Plan\n\n1. First.\n2. Second.\n").unwrap();
    let r = accord(&["import", "text", plain.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let toml = String::from_utf8_lossy(&r.stdout);
    assert!(toml.contains("id = \"party-a\"") && toml.contains("title = \"A Plan\""), "{toml}");
}
