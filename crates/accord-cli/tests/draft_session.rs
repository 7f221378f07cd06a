//! The mediator's drafting commands against a real `accord serve` process:
//! `accord provision …` and `accord bracket …`, each one batch; and
//! `accord draft edit`, with `EDITOR` a small script that edits the file,
//! including the refusal when the draft moved while the editor was open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const PASSWORD: &str = "correct horse battery staple";

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

fn start_server(dir: &Path) -> Server {
    let database = format!("sqlite:{}", dir.join("accord.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database", &database])
        .env("RUST_LOG", "warn")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the server exited").unwrap();
        if let Some(rest) = line.strip_prefix("Accord is serving ") {
            break rest.split("/api/").next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server { child, url }
}

struct Person {
    config: PathBuf,
}

impl Person {
    fn run(&self, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_accord"));
        command
            .args(args)
            .env("ACCORD_CONFIG", &self.config)
            .env_remove("ACCORD_SERVER")
            .env_remove("ACCORD_TOKEN")
            .env_remove("ACCORD_PASSWORD")
            .env_remove("VISUAL")
            .env_remove("EDITOR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok_with(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run(args, env, "");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "accord {args:?} failed:\n{stdout}\n{stderr}");
        stdout.into_owned()
    }

    fn ok(&self, args: &[&str]) -> String {
        self.ok_with(args, &[])
    }

    fn fails_with(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run(args, env, "");
        assert!(!out.status.success(), "accord {args:?} should fail:\n{}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn fails(&self, args: &[&str]) -> String {
        self.fails_with(args, &[])
    }

    fn draft(&self, id: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["draft", "show", id, "--json"])).unwrap()
    }
}

fn signed_up(dir: &Path, url: &str, name: &str) -> Person {
    let person = Person { config: dir.join(format!("{name}.toml")) };
    let email = format!("{name}@example.org");
    let out = person.run(
        &["signup", "--server", url, "--email", &email, "--name", name, "--password-stdin"],
        &[],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    person
}

fn ids(draft: &serde_json::Value) -> Vec<String> {
    draft["provisions"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()).collect()
}

fn body<'a>(draft: &'a serde_json::Value, id: &str) -> &'a str {
    draft["provisions"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap()["body"].as_str().unwrap()
}

fn has_issue(draft: &serde_json::Value, id: &str) -> bool {
    draft["issues"].as_array().unwrap().iter().any(|i| i["id"] == id)
}

/// A mediator and a seated party on the peace framework; the negotiation's id.
fn negotiation(dir: &Path, url: &str) -> (Person, Person, String) {
    let mediator = signed_up(dir, url, "mediator");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/peace-framework.toml");
    let created =
        mediator.ok(&["negotiation", "create", "--scenario", example.to_str().unwrap(), "--timetable-from", "now"]);
    let id = created.split_whitespace().nth(2).unwrap().to_string();
    let ua = signed_up(dir, url, "ua");
    let invitation = mediator.ok(&["negotiation", "invite", &id, "ua"]);
    let token = invitation
        .lines()
        .find(|l| l.contains("accord negotiation accept"))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap();
    ua.ok(&["negotiation", "accept", &id, token]);
    (mediator, ua, id)
}

#[test]
fn provision_and_bracket_commands_edit_the_draft_one_batch_each() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let (mediator, ua, id) = negotiation(dir.path(), &server.url);
    let id = id.as_str();

    let out = mediator.ok(&[
        "provision",
        "add",
        id,
        "--after",
        "art-1",
        "--id",
        "art-1-bis",
        "--heading",
        "Monitoring",
        "--body",
        "A joint commission monitors the ceasefire.",
    ]);
    assert!(out.contains("Draft edited: add art-1-bis"), "{out}");
    let d = mediator.draft(id);
    assert_eq!(ids(&d)[1], "art-1-bis");
    let number = d["provisions"][1]["number"].as_str().unwrap();
    assert_eq!(number, "1a", "numbered between its neighbours");

    let body_file = dir.path().join("body.txt");
    std::fs::write(&body_file, "A joint commission, chaired by the UN, monitors the ceasefire.\n").unwrap();
    mediator.ok(&[
        "provision",
        "set",
        id,
        "art-1-bis",
        "--heading",
        "Monitoring commission",
        "--body-file",
        body_file.to_str().unwrap(),
    ]);
    assert_eq!(
        body(&mediator.draft(id), "art-1-bis"),
        "A joint commission, chaired by the UN, monitors the ceasefire."
    );
    mediator.ok(&["provision", "move", id, "art-1-bis", "--first"]);
    assert_eq!(ids(&mediator.draft(id))[0], "art-1-bis");

    mediator.ok(&[
        "provision",
        "split",
        id,
        "art-2",
        "--at",
        "From that hour",
        "--id",
        "art-2-b",
        "--heading",
        "Refraining from force",
    ]);
    let d = mediator.draft(id);
    assert!(body(&d, "art-2-b").starts_with("From that hour"));
    mediator.ok(&["provision", "merge", id, "art-2", "art-2-b"]);
    let d = mediator.draft(id);
    assert!(!ids(&d).contains(&"art-2-b".to_string()));
    assert!(body(&d, "art-2").contains("From that hour"));

    mediator.ok(&[
        "bracket",
        "open",
        id,
        "art-1",
        "--span",
        "by peaceful means only",
        "--issue",
        "means",
        "--title",
        "Means of settlement",
        "--option",
        "peaceful=Peaceful means",
        "--option",
        "law=Law=under the rule of law",
    ]);
    let d = mediator.draft(id);
    assert!(has_issue(&d, "means"));
    assert!(body(&d, "art-1").contains("{means}"));
    mediator.ok(&["bracket", "add-option", id, "means", "court", "--label", "A court", "--wording", "before a court"]);
    mediator.ok(&["bracket", "remove-option", id, "means", "law"]);
    mediator.ok(&["bracket", "close", id, "means", "court"]);
    let d = mediator.draft(id);
    assert!(!has_issue(&d, "means"));
    assert!(body(&d, "art-1").contains("before a court"));

    mediator.ok(&["provision", "remove", id, "art-1-bis"]);
    mediator.ok(&["provision", "renumber", id]);
    let d = mediator.draft(id);
    assert!(!ids(&d).contains(&"art-1-bis".to_string()));
    assert_eq!(d["provisions"][0]["number"], "1");

    // Refusals name the field and write nothing.
    let before = mediator.draft(id);
    let refused = mediator.fails(&["provision", "split", id, "art-2", "--at", "words that are not there"]);
    assert!(refused.contains("at"), "{refused}");
    assert!(refused.contains("does not occur"), "{refused}");
    let party = ua.fails(&["provision", "remove", id, "art-2"]);
    assert!(party.contains("forbidden"), "{party}");
    assert_eq!(mediator.draft(id), before);

    for command in [&["provision", "split", "--help"][..], &["bracket", "open", "--help"], &["draft", "edit", "--help"]]
    {
        let help = mediator.ok(command);
        assert!(help.contains("Example"), "{command:?}: {help}");
    }
}

#[test]
fn draft_edit_sends_what_the_editor_changed_and_is_refused_if_the_draft_moved() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let (mediator, _ua, id) = negotiation(dir.path(), &server.url);
    let id = id.as_str();

    // The editor rewords one body and drops a provision.
    let editor = dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i -e 's/^All hostilities shall cease/All hostilities shall end/' -e '/^@provision art-1 /,/^$/d' \"$1\"\n",
    )
    .unwrap();
    let editor_command = format!("sh {}", editor.display());
    let out = mediator.ok_with(&["draft", "edit", id], &[("EDITOR", &editor_command)]);
    assert!(out.contains("2 edit(s) to send"), "{out}");
    assert!(out.contains("remove art-1"), "{out}");
    assert!(out.contains("set art-2: body"), "{out}");
    let d = mediator.draft(id);
    assert!(body(&d, "art-2").starts_with("All hostilities shall end"), "{}", body(&d, "art-2"));
    assert!(!ids(&d).contains(&"art-1".to_string()));

    // An editor that changes nothing sends nothing.
    let out = mediator.ok_with(&["draft", "edit", id], &[("EDITOR", "true")]);
    assert!(out.contains("No changes"), "{out}");

    // While the editor is open, the draft moves (another write by the mediator's own
    // client): the edit is refused and the edited file kept.
    let racing = dir.path().join("racing.sh");
    std::fs::write(
        &racing,
        format!(
            "#!/bin/sh\nsed -i 's/^All hostilities shall end/Hostilities end/' \"$1\"\n\"{}\" draft set {id} territory freeze >/dev/null\n",
            env!("CARGO_BIN_EXE_accord")
        ),
    )
    .unwrap();
    let racing_command = format!("sh {}", racing.display());
    let refused = mediator.fails_with(&["draft", "edit", id], &[("EDITOR", &racing_command)]);
    assert!(refused.contains("the draft changed since you opened it"), "{refused}");
    let kept = refused.lines().find_map(|l| l.strip_prefix("Your edited file is kept: ")).expect(&refused);
    assert!(std::fs::read_to_string(kept).unwrap().contains("Hostilities end"));
    let d = mediator.draft(id);
    assert!(body(&d, "art-2").starts_with("All hostilities shall end"), "nothing of the stale edit was applied");

    // A file that cannot be read is refused with its line, and nothing is sent.
    let broken = dir.path().join("broken.sh");
    std::fs::write(&broken, "#!/bin/sh\necho '@nonsense' >> \"$1\"\n").unwrap();
    let broken_command = format!("sh {}", broken.display());
    let refused = mediator.fails_with(&["draft", "edit", id], &[("EDITOR", &broken_command)]);
    assert!(refused.contains("unknown directive `@nonsense`"), "{refused}");
    assert!(refused.contains("your file is kept"), "{refused}");
    assert_eq!(mediator.draft(id), d);
}
