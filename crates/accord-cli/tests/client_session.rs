//! The CLI client against a real `accord serve` process: the scripted
//! session (create from the example, invite two signatories and an ally,
//! stances with one unacceptable, a repair, an offline-verified inclusion
//! proof), the demo accounts, and split-view detection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const PASSWORD: &str = "correct horse battery staple";

/// A server process on a free loopback port; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        // The request log would drown the test output.
        .env("RUST_LOG", "warn")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = String::new();
    let url = loop {
        let line = lines.next().unwrap_or_else(|| panic!("the server exited; it printed:\n{printed}")).unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.strip_prefix("Accord is serving ") {
            break rest.split("/api/").next().unwrap().to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, url }
}

/// One person at a terminal: their own client configuration file.
struct Person {
    config: PathBuf,
}

impl Person {
    fn new(dir: &Path, name: &str) -> Person {
        Person { config: dir.join(format!("{name}.toml")) }
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(args)
            .env("ACCORD_CONFIG", &self.config)
            .env_remove("ACCORD_SERVER")
            .env_remove("ACCORD_TOKEN")
            .env_remove("ACCORD_PASSWORD")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs `accord ARGS`, asserts success, returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run_with_stdin(args, "");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "accord {args:?} failed:\n{stdout}\n{stderr}");
        stdout
    }

    /// Runs `accord ARGS`, asserts failure, returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run_with_stdin(args, "");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!out.status.success(), "accord {args:?} should fail:\n{}", String::from_utf8_lossy(&out.stdout));
        stderr
    }
}

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/peace-framework.toml").display().to_string()
}

#[test]
fn scripted_session_through_the_cli_ends_with_a_verified_inclusion_proof() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("accord.db").display());
    let server = start_server(dir.path(), &["--database", &database]);
    let url = server.url.as_str();

    let people: Vec<(&str, Person)> =
        ["mediator", "ua", "ru", "eu"].into_iter().map(|name| (name, Person::new(dir.path(), name))).collect();
    let person = |name: &str| &people.iter().find(|(n, _)| *n == name).unwrap().1;
    for (name, p) in &people {
        let email = format!("{name}@example.org");
        let out = p.run_with_stdin(
            &["signup", "--server", url, "--email", &email, "--name", name, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(p.ok(&["whoami"]).contains(&email));
    }

    let mediator = person("mediator");
    let created = mediator.ok(&["negotiation", "create", "--scenario", &example(), "--timetable-from", "now"]);
    let id = created.split_whitespace().nth(2).unwrap().to_string();
    assert!(mediator.ok(&["negotiation", "list"]).contains(&id));

    for party in ["ua", "ru", "eu"] {
        let invitation = mediator.ok(&["negotiation", "invite", &id, party]);
        let accept_line = invitation.lines().find(|l| l.contains("accord negotiation accept")).unwrap();
        let token = accept_line.split_whitespace().last().unwrap();
        let accepted = person(party).ok(&["negotiation", "accept", &id, token]);
        assert!(accepted.contains(&format!("party {party}")), "{accepted}");
        // An invitation works once.
        let again = person(party).fails(&["negotiation", "accept", &id, token]);
        assert!(again.contains("code"), "{again}");
    }

    // What the scenario entered for ru is shown to ru as the mediator's, until ru confirms it.
    let entered = "Entered for you by the mediator, not confirmed";
    assert!(person("ru").ok(&["stance", "list", &id]).contains(entered));
    let nothing_named = person("ru").fails(&["stance", "confirm", &id]);
    assert!(nothing_named.contains("--all"), "{nothing_named}");
    let confirmed = person("ru").ok(&["stance", "confirm", &id, "--all"]);
    assert!(confirmed.contains("Confirmed your profile and"), "{confirmed}");
    assert!(!person("ru").ok(&["stance", "list", &id]).contains(entered));
    let again = person("ru").fails(&["stance", "confirm", &id, "--all"]);
    assert!(again.contains("nothing the mediator entered"), "{again}");

    person("ru").ok(&["stance", "set", &id, "art-4", "acceptable"]);
    person("eu").ok(&["stance", "set", &id, "art-4", "acceptable"]);
    person("ua").ok(&["stance", "set", &id, "art-4", "unacceptable", "--reason", "canary-ua-reason"]);

    // Bad input names the field and changes nothing.
    let bad = person("ua").fails(&["stance", "set", &id, "art-4", "acceptable-if"]);
    assert!(bad.contains("--if"), "{bad}");
    let unknown = person("ua").fails(&["stance", "set", &id, "art-999", "acceptable"]);
    assert!(unknown.contains("art-999"), "{unknown}");

    // Other parties see counts, not ua's reason.
    let seen_by_ru = person("ru").ok(&["stance", "list", &id]);
    assert!(!seen_by_ru.contains("canary-ua-reason"), "{seen_by_ru}");
    assert!(seen_by_ru.contains("art-4 ("), "{seen_by_ru}");
    assert!(mediator.ok(&["stance", "list", &id]).contains("canary-ua-reason"));

    let analysis = mediator.ok(&["negotiation", "analysis", &id]);
    let repair_line = analysis.lines().find(|l| l.starts_with("Repair of the draft")).unwrap();
    assert!(repair_line.contains("change(s) unblock every party"), "{analysis}");
    let json: serde_json::Value =
        serde_json::from_str(&mediator.ok(&["negotiation", "analysis", &id, "--json"])).unwrap();
    assert_eq!(json["repair"]["result"]["kind"], "repaired");

    // The live state goes back to a scenario file: the mediator's holds what
    // the mediator may read, ru's only what ru may read; either replays.
    let saved = dir.path().join("saved.toml");
    let saved = saved.to_str().unwrap();
    assert!(mediator.ok(&["export", "scenario", &id, "-o", saved]).contains("Exported"));
    let text = std::fs::read_to_string(saved).unwrap();
    assert!(text.contains("canary-ua-reason"), "{text}");
    mediator.ok(&["check", saved]);
    let replayed = mediator.ok(&["negotiation", "create", "--scenario", saved]);
    assert!(replayed.contains("Created"), "{replayed}");
    let ru_saved = dir.path().join("ru-export.toml");
    person("ru").ok(&["export", "scenario", &id, "-o", ru_saved.to_str().unwrap()]);
    let ru_text = std::fs::read_to_string(&ru_saved).unwrap();
    assert!(!ru_text.contains("canary-ua-reason"), "{ru_text}");

    // The last event is ua's stance. ua verifies it from its bytes; ru sees it
    // redacted and verifies it by its leaf hash alone.
    let verified = person("ua").ok(&["log", "verify", &id]);
    assert!(verified.starts_with("verified: event"), "{verified}");
    assert!(verified.contains("bytes re-hashed here"), "{verified}");
    let redacted = person("ru").ok(&["log", "verify", &id]);
    assert!(redacted.contains("redacted for you"), "{redacted}");

    // The next look proves the log only grew.
    mediator.ok(&["draft", "publish", &id]);
    let grown = person("ua").ok(&["log", "verify", &id, "--event", "0"]);
    assert!(grown.contains("without rewriting any of them"), "{grown}");

    // A checkpoint that the server's log does not extend is a split view.
    let text = std::fs::read_to_string(&person("ua").config).unwrap();
    let mut config: toml::Table = toml::from_str(&text).unwrap();
    let seen = config["checkpoints"][&id].as_table().unwrap().clone();
    let mut forged = seen.clone();
    forged.insert("root".into(), toml::Value::String("ab".repeat(32)));
    config["checkpoints"].as_table_mut().unwrap().insert(id.clone(), toml::Value::Table(forged));
    std::fs::write(&person("ua").config, toml::to_string(&config).unwrap()).unwrap();
    let split = person("ua").fails(&["log", "verify", &id]);
    assert!(split.contains("split view"), "{split}");

    // The text and the diff are readable from the terminal.
    let text = person("eu").ok(&["draft", "show", &id, "--released", "1"]);
    assert!(text.contains("content hash"), "{text}");
    mediator.ok(&["draft", "set", &id, "territory", "freeze"]);
    mediator.ok(&["draft", "publish", &id]);
    let diff = person("eu").ok(&["draft", "diff", &id, "1", "2"]);
    assert!(diff.starts_with("Version 1 → 2"), "{diff}");

    // Signing out revokes the token on the server.
    person("eu").ok(&["logout"]);
    let after = person("eu").fails(&["negotiation", "list"]);
    assert!(after.contains("not signed in"), "{after}");
}

#[test]
fn the_demo_accounts_work_with_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), &["--demo"]);
    let ua = Person::new(dir.path(), "ua");
    let out = ua.run_with_stdin(
        &["login", "--server", &server.url, "--email", "ua@demo.accord.invalid", "--password-stdin"],
        "accord-demo\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list = ua.ok(&["negotiation", "list"]);
    let id = list.lines().nth(2).unwrap().split_whitespace().next().unwrap().to_string();
    assert!(list.contains("signatory"), "{list}");
    assert!(ua.ok(&["draft", "show", &id]).contains("Article"));
    assert!(ua.ok(&["log", "verify", &id]).starts_with("verified"));

    let wrong = ua.run_with_stdin(
        &["login", "--server", &server.url, "--email", "ua@demo.accord.invalid", "--password-stdin"],
        "not the password\n",
    );
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("signing in"));
}

#[test]
fn client_commands_without_a_login_say_how_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let nobody = Person::new(dir.path(), "nobody");
    let err = nobody.fails(&["negotiation", "list"]);
    assert!(err.contains("accord login"), "{err}");
    let unreachable = nobody.run_with_stdin(
        &["login", "--server", "http://127.0.0.1:9", "--email", "x@example.org", "--password-stdin"],
        "pw\n",
    );
    assert!(!unreachable.status.success());
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach"));
}
