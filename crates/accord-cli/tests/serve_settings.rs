//! `accord serve` settings from the environment, the log format chosen for
//! a non-terminal, and the start-up warning about the browser key files.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn accord() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_accord"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ACCORD_") {
            command.env_remove(name);
        }
    }
    command
}

/// Settings from the environment only; stderr is a pipe, so `auto` logs JSON.
#[test]
fn serve_takes_its_settings_from_the_environment_and_logs_json_to_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("from-env.db");
    let mut child = accord()
        .arg("serve")
        .current_dir(dir.path())
        .env("ACCORD_DATABASE", format!("sqlite:{}", database.display()))
        .env("ACCORD_BIND", "127.0.0.1:0")
        .env("ACCORD_SERVER_KEY", dir.path().join("env.key"))
        .env("ACCORD_DRAIN_TIMEOUT", "1")
        .env("ACCORD_SECURE_COOKIES", "true")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let served = loop {
        let line = stdout.next().expect("the server exited before serving").unwrap();
        if line.starts_with("Accord is serving http://127.0.0.1:") {
            break line;
        }
    };
    assert!(!served.contains(":8080/"), "ACCORD_BIND chose a free port: {served}");
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || BufReader::new(stderr).lines().map(Result::unwrap).collect::<Vec<_>>());
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "a clean stop: {status}");
    let lines = reader.join().unwrap();
    assert!(!lines.is_empty(), "the server logged something");
    for line in &lines {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    assert!(database.exists(), "ACCORD_DATABASE was used");
    assert!(dir.path().join("env.key").exists(), "ACCORD_SERVER_KEY was used");

    // The binary under test embeds static/ as it was at build time; the
    // vendor files come only from scripts/web-deps.
    let vendor =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../accord-server/static/vendor/hash-wasm/index.esm.min.js");
    let warned = lines.iter().any(|line| line.contains("no browser key files") && line.contains("scripts/web-deps"));
    assert_eq!(
        warned,
        !vendor.exists(),
        "the start-up warning appears exactly when the key files are missing:\n{lines:#?}"
    );
}

#[test]
fn environment_values_are_checked_like_flags_and_a_flag_wins() {
    let refused = accord().args(["serve"]).env("ACCORD_BIND", "not-an-address").output().unwrap();
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("not-an-address") && message.contains("--bind"), "{message}");

    let refused = accord().args(["serve"]).env("ACCORD_LOG_FORMAT", "xml").output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("xml"));

    // The flag wins: --help parses no values, so check with a bad flag over a good variable.
    let refused = accord().args(["serve", "--bind", "also-bad"]).env("ACCORD_BIND", "127.0.0.1:0").output().unwrap();
    assert!(String::from_utf8_lossy(&refused.stderr).contains("also-bad"));
}

#[test]
fn help_names_the_variables_without_printing_a_password() {
    let help = accord()
        .args(["serve", "--help"])
        .env("ACCORD_DATABASE", "postgres://accord:hunter2-secret@db.internal/accord")
        .env("ACCORD_NOTIFY", "smtp://relay:smtp-secret@mail.internal?from=a@example.org")
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for variable in ["ACCORD_DATABASE", "ACCORD_BIND", "ACCORD_NOTIFY", "ACCORD_SERVER_KEY", "ACCORD_LOG_FORMAT"] {
        assert!(text.contains(&format!("env: {variable}")), "--help names {variable}:\n{text}");
    }
    assert!(!text.contains("hunter2-secret") && !text.contains("smtp-secret"), "no password in --help:\n{text}");
    assert!(text.contains("[default: auto]"), "{text}");
}
