//! `accord import genius` and `accord export genius`, run as a user would.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use accord_core::utility::UtilityTables;
use accord_formats::{genius, scenario};

fn accord(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accord")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../accord-formats/tests/data/genius/holiday")
}

#[test]
fn import_writes_a_scenario_that_reads_back_as_the_domain() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("holiday.toml");
    let run = accord(&["import", "genius", fixture().to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert_eq!(
        stdout.trim(),
        format!("Imported holiday-domain: 3 issues, 2 signatories (+1 other party), 180 outcomes → {}", out.display())
    );
    let parsed = scenario::read_file(&out).unwrap();
    assert_eq!(parsed, genius::import_dir(&fixture()).unwrap());

    // The scenario checks clean with `accord check`.
    let check = accord(&["check", out.to_str().unwrap()]);
    assert!(check.status.success(), "{}{}", text(&check.stdout), text(&check.stderr));

    // Each issue is a provision whose text is the value: the original GENIUS value string.
    let render = accord(&["render", out.to_str().unwrap(), "--package", "destination-city=krak-w,nights=5"]);
    assert!(render.status.success(), "{}", text(&render.stderr));
    let rendered = text(&render.stdout);
    assert!(rendered.contains("Destination (city)") && rendered.contains("Kraków"), "{rendered}");
}

#[test]
fn import_without_output_prints_the_scenario() {
    let run = accord(&["import", "genius", fixture().to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let parsed = scenario::parse(&text(&run.stdout), "stdout.toml").unwrap();
    assert_eq!(parsed.issues.len(), 3);
    assert!(text(&run.stderr).starts_with("Imported holiday-domain: 3 issues"), "{}", text(&run.stderr));
}

#[test]
fn import_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("existing.toml");
    std::fs::write(&out, "keep me").unwrap();
    let run = accord(&["import", "genius", fixture().to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(!run.status.success());
    assert!(text(&run.stderr).contains("pass --force to replace it"), "{}", text(&run.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    let run = accord(&["import", "genius", fixture().to_str().unwrap(), "-o", out.to_str().unwrap(), "--force"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
}

#[test]
fn import_errors_name_the_file_and_element() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["holiday-domain.xml", "alex.xml", "sam.xml"] {
        let body = std::fs::read_to_string(fixture().join(name)).unwrap();
        let body = body.replace(r#"<weight index="5""#, r#"<weight index="7""#);
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let run = accord(&["import", "genius", dir.path().to_str().unwrap()]);
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(stderr.starts_with("error: cannot import the GENIUS domain in"), "{stderr}");
    assert!(stderr.contains(r#"alex.xml:15: <weight index="7">: no issue has index 7"#), "{stderr}");

    let run = accord(&["import", "genius", "/nonexistent/genius-domain"]);
    assert!(!run.status.success());
    assert!(text(&run.stderr).contains("/nonexistent/genius-domain"), "{}", text(&run.stderr));
}

#[test]
fn export_then_import_keeps_every_utility() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("holiday.toml");
    let genius_dir = dir.path().join("genius");
    assert!(accord(&["import", "genius", fixture().to_str().unwrap(), "-o", toml.to_str().unwrap()]).status.success());
    let run = accord(&["export", "genius", toml.to_str().unwrap(), "-o", genius_dir.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("holiday-domain.xml and 2 profile(s): alex.xml, sam.xml"), "{stdout}");
    assert!(text(&run.stderr).contains("note: numeric issue \"budget-share\""), "{}", text(&run.stderr));

    let original = genius::import_dir(&fixture()).unwrap();
    let back = genius::import_dir(&genius_dir).unwrap();
    for profile in &original.profiles {
        let a = UtilityTables::new(&original, profile);
        let b = UtilityTables::new(&back, back.profile(&profile.party).unwrap());
        assert_eq!(a, b, "{}", profile.party);
    }

    // A second export into the same directory needs --force.
    let run = accord(&["export", "genius", toml.to_str().unwrap(), "-o", genius_dir.to_str().unwrap()]);
    assert!(!run.status.success());
    assert!(text(&run.stderr).contains("pass --force to replace them"), "{}", text(&run.stderr));
}

#[test]
fn export_lists_what_genius_cannot_say() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/labour-agreement.toml");
    let dir = tempfile::tempdir().unwrap();
    let run = accord(&["export", "genius", example.to_str().unwrap(), "-o", dir.path().to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("note: 2 constraint(s) left out"), "{stderr}");
    assert!(stderr.contains("note: the red lines of \"employers\" are left out"), "{stderr}");
    assert!(genius::import_dir(dir.path()).is_ok());
}

#[test]
fn help_shows_examples() {
    let run = accord(&["import", "genius", "--help"]);
    let help = text(&run.stdout);
    assert!(help.contains("accord import genius anac/2012/Fitness -o fitness.toml"), "{help}");
    assert!(help.contains("10 evenly spaced values"), "{help}");
    let run = accord(&["export", "genius", "--help"]);
    assert!(text(&run.stdout).contains("accord export genius examples/labour-agreement.toml -o labour-genius"));
}
