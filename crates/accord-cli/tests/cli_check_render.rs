//! `accord check` and `accord render`, run as the built binary on temporary files.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SCENARIO: &str = r#"[negotiation]
id = "harbour"
title = "Harbour Agreement"

[[party]]
id = "envoy"
name = "Regional Envoy"
role = "mediator"

[[party]]
id = "north"
name = "Town of North"
role = "signatory"

[[party]]
id = "south"
name = "Town of South"
role = "signatory"

[[party]]
id = "guild"
name = "Fishers' Guild"
role = "consulted"

[[issue]]
id = "berths"
title = "Berths for South"
range = { min = 2000, max = 26000, step = 2000, unit = "m²" }
draft = 4000

[[issue]]
id = "fees"
title = "Harbour fees"
options = [
  { id = "shared", label = "Shared equally" },
  { id = "by-use", label = "By tonnage" },
]

[[issue]]
id = "pilots"
title = "Pilotage"
options = [
  { id = "north", label = "North's pilots" },
  { id = "south", label = "South's pilots" },
  { id = "joint", label = "A joint service" },
  { id = "private", label = "A private firm" },
]
draft = "joint"

[[provision]]
id = "art-1"
number = "1"
heading = "Berths"
text = "South may use {berths} of the east quay."

[provision.wording.berths]
template = "{value} {unit}"

[[provision]]
id = "art-2"
number = "2"
heading = "Fees & pilots"
text = "{fees} Pilotage is provided by {pilots}."

[provision.wording.fees]
shared = "Fees are shared equally."
by-use = "Fees follow the tonnage landed."

[provision.wording.pilots]
north = "North's pilots"
south = "South's pilots"
joint = "a joint pilot service"
private = "a private firm chosen by tender"

[[provision]]
id = "art-3"
number = "3"
text = "This Agreement enters into force on signature."

[[phase]]
id = "talks"
name = "Talks"
kind = "drafting"
start = 2026-03-02T09:00:00Z
end = 2026-03-06T17:00:00Z

[[phase]]
id = "signing"
name = "Signing"
kind = "signing"
start = 2026-03-09T10:00:00Z
end = 2026-03-09T12:00:00Z

[profile.north]
illustrative = true
reservation = 0.3

[profile.north.weights]
berths = 1
fees = 1

[profile.south]
reservation = 0.2

[profile.south.weights]
pilots = 1
"#;

fn accord(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accord")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn scenario() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "harbour.toml", SCENARIO);
    (dir, path.to_str().unwrap().to_string())
}

#[test]
fn check_summarises_a_valid_file() {
    let (_dir, file) = scenario();
    let out = accord(&["check", &file]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with(&format!("{file}: ok\nHarbour Agreement (harbour)\n")));
    for expected in [
        "Parties (4):",
        "  mediator   envoy (Regional Envoy)",
        "  signatory  north (Town of North), south (Town of South)",
        "  consulted  guild (Fishers' Guild)",
        "  berths  13 values, 2,000 to 26,000 m² in steps of 2,000  (draft: 4,000 m²)",
        "  fees    2 options  (draft: Shared equally)",
        "  pilots  4 options  (draft: A joint service)",
        "Provisions: 3, of which 2 bracketed",
        "Constraints: 0",
        "Timetable: 2 phases, 2026-03-02 09:00 UTC to 2026-03-09 12:00 UTC",
        "  signing window: 2026-03-09 10:00 UTC to 2026-03-09 12:00 UTC",
        "Profiles: north (illustrative), south",
        "Outcome space: 13 × 2 × 4 = 104 packages",
    ] {
        assert!(stdout.lines().any(|l| l == expected), "missing line {expected:?} in:\n{stdout}");
    }
    assert!(out.stderr.is_empty());
}

#[test]
fn check_reports_every_problem_with_its_place_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let broken = SCENARIO
        .replace(
            "text = \"South may use {berths} of the east quay.\"",
            "text = \"South may use {berth} of the east quay.\"",
        )
        .replace("private = \"a private firm chosen by tender\"\n", "")
        .replace("end = 2026-03-06T17:00:00Z", "end = 2026-03-10T17:00:00Z");
    let file = write(dir.path(), "broken.toml", &broken);
    let file = file.to_str().unwrap();
    let out = accord(&["check", file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let expected = format!(
        "error: {file}:54:8: provision \"art-1\" uses issue \"berth\", which is not defined; defined issues: berths, fees, pilots
  help: did you mean \"berths\"?
error: {file}:56:20: provision \"art-1\" has a wording for issue \"berths\" but its text has no {{berths}} slot
  help: put {{berths}} in the text where the wording belongs, or remove the wording
error: {file}:69:20: the wording of provision \"art-2\" for issue \"pilots\" misses option private
  help: every option needs a wording; add private = \"…\"
error: {file}:90:9: phase \"signing\" starts at 2026-03-09T10:00:00Z, before phase \"talks\" ends at 2026-03-10T17:00:00Z
  help: phases may not overlap: end the earlier one sooner or start the later one later
{file}: 4 problems
"
    );
    assert_eq!(text(&out.stderr), expected);
}

#[test]
fn check_of_a_missing_file_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.toml");
    let out = accord(&["check", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with(&format!("error: cannot read {}: ", missing.display())), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
}

#[test]
fn render_prints_the_draft_as_markdown() {
    let (_dir, file) = scenario();
    let out = accord(&["render", &file]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("# Harbour Agreement\n\nVersion `"));
    assert!(stdout.contains("## Article 1 — Berths\n\nSouth may use 4,000 m² of the east quay.\n"));
    assert!(stdout.contains(
        "## Article 2 — Fees \\& pilots\n\nFees are shared equally. Pilotage is provided by a joint pilot service.\n"
    ));
    assert!(stdout.contains("## Article 3\n\nThis Agreement enters into force on signature.\n"));
    assert!(!stdout.to_lowercase().contains("illustrative"));
}

#[test]
fn render_takes_packages_as_lists_repeated_flags_and_grouped_numbers() {
    let (_dir, file) = scenario();
    let list = accord(&["render", &file, "--package", "fees=by-use,berths=12,000", "-p", "pilots=private"]);
    assert_eq!(list.status.code(), Some(0), "stderr: {}", text(&list.stderr));
    let stdout = text(&list.stdout);
    assert!(stdout.contains("South may use 12,000 m² of the east quay."));
    assert!(
        stdout.contains("Fees follow the tonnage landed. Pilotage is provided by a private firm chosen by tender.")
    );
    let underscores = accord(&["render", &file, "-p", "pilots=private,fees=by-use,berths=12_000"]);
    assert_eq!(text(&underscores.stdout), stdout, "same package, same text and hash");
    let draft = accord(&["render", &file]);
    assert_ne!(text(&draft.stdout).lines().nth(2), stdout.lines().nth(2), "another package has another hash");
}

#[test]
fn render_rejects_unknown_issues_and_values_listing_the_valid_ones() {
    let (_dir, file) = scenario();
    let out = accord(&["render", &file, "-p", "pilot=joint"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "error: --package: unknown issue \"pilot\"; defined issues: berths, fees, pilots\n");
    let out = accord(&["render", &file, "-p", "pilots=navy"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: --package: issue \"pilots\" has no value \"navy\"; valid values: north, south, joint, private\n"
    );
    let out = accord(&["render", &file, "-p", "berths=3000"]);
    assert_eq!(
        text(&out.stderr),
        "error: --package: issue \"berths\" has no value \"3000\"; valid values: 2000 to 26000 in steps of 2000\n"
    );
    let out = accord(&["render", &file, "-p", "fees"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("expected ISSUE=VALUE"));
}

#[test]
fn render_writes_html_to_a_file() {
    let (dir, file) = scenario();
    let target = dir.path().join("text.html");
    let out = accord(&["render", &file, "-p", "fees=by-use", "-o", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let html = std::fs::read_to_string(&target).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n"));
    assert!(html.contains("<h2>Article 2 — Fees &amp; pilots</h2>"));
    assert!(html.contains("<p>Fees follow the tonnage landed. Pilotage is provided by a joint pilot service.</p>"));
    assert!(html.trim_end().ends_with("</html>"));

    let forced = accord(&["render", &file, "--format", "markdown", "-o", target.to_str().unwrap()]);
    assert_eq!(forced.status.code(), Some(0));
    assert!(std::fs::read_to_string(&target).unwrap().starts_with("# Harbour Agreement"));
    let stdout_html = accord(&["render", &file, "--format", "html"]);
    assert!(text(&stdout_html.stdout).starts_with("<!DOCTYPE html>"));
}

#[test]
fn render_of_an_invalid_file_reports_its_problems() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.toml", &SCENARIO.replace("role = \"mediator\"", "role = \"moderator\""));
    let out = accord(&["render", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {0}:8:8: unknown value \"moderator\"\n  help: did you mean \"mediator\"? expected one of: mediator, signatory, consulted, observer\n{0}: 1 problem\n",
            file.display()
        )
    );
}

#[test]
fn help_teaches_with_examples() {
    for command in ["check", "render"] {
        let out = accord(&[command, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        let help = text(&out.stdout);
        assert!(help.contains("Examples:"), "{command} --help has no examples");
        assert!(help.contains(&format!("accord {command} examples/peace-framework.toml")));
    }
    let render = text(&accord(&["render", "--help"]).stdout);
    assert!(render.contains("--package <ISSUE=VALUE,...>"));
    assert!(render.contains("[possible values: markdown, html]"));
}
