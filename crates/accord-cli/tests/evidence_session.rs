//! The process evidence end to end: a negotiation driven through the `accord`
//! CLI against a server whose clock the test controls. Create, invite, keys,
//! consultation, two drafting rounds and a final session, every party
//! acknowledging every version, signatures inside the window, the close,
//! then the bundle verified offline; out-of-phase actions are refused; and
//! the server's database holds no party's private key.
//!
//! `ACCORD_WRITE_SAMPLE_BUNDLE=1 cargo test -p accord-cli --test evidence_session`
//! also writes the run's bundle to `tests/data/sample.bundle` (the committed
//! sample that `tests/sample_bundle.rs` tampers with).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use accord_server::{AppState, Config, ManualClock, router};
use accord_store::SqliteStore;
use chrono::{TimeZone, Utc};

const PASSWORD: &str = "correct horse battery staple";
const PASSPHRASE: &str = "a long passphrase for the key";

struct Person<'a> {
    name: &'static str,
    config: PathBuf,
    key: PathBuf,
    url: &'a str,
}

impl Person<'_> {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(args)
            .env("ACCORD_CONFIG", &self.config)
            .env("ACCORD_PASSWORD", PASSWORD)
            .env("ACCORD_PASSPHRASE", PASSPHRASE)
            .env_remove("ACCORD_SERVER")
            .env_remove("ACCORD_TOKEN")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "{}: accord {args:?} failed:\n{stdout}\n{}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{}: accord {args:?} should be refused", self.name);
        String::from_utf8(out.stderr).unwrap()
    }

    fn key(&self) -> &str {
        self.key.to_str().unwrap()
    }
}

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/peace-framework.toml").display().to_string()
}

#[test]
fn a_negotiation_runs_to_its_signed_close_and_its_bundle_verifies() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("accord.db");
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2025, 11, 1, 9, 0, 0).unwrap()));
    let config = Config { argon2_memory_kib: 8 * 1024, argon2_passes: 1, ..Config::default() };
    let state = runtime.block_on(async {
        let store = SqliteStore::open_path(&db).await.unwrap();
        AppState::new(Arc::new(store), clock.clone(), config)
    });
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    runtime.spawn(async move { axum::serve(listener, app).await });
    let tick = |at: chrono::DateTime<Utc>| {
        clock.set(at);
        runtime.block_on(state.tick()).unwrap()
    };

    let people: Vec<Person> = ["mediator", "ua", "ru", "eu"]
        .into_iter()
        .map(|name| Person {
            name,
            config: dir.path().join(format!("{name}.toml")),
            key: dir.path().join(format!("{name}.key")),
            url: &url,
        })
        .collect();
    let [mediator, ua, ru, eu] = [&people[0], &people[1], &people[2], &people[3]];
    for p in &people {
        p.ok(&["signup", "--server", p.url, "--email", &format!("{}@example.org", p.name), "--name", p.name]);
        p.ok(&["keygen", "-o", p.key(), "--label", p.name]);
    }
    let created = mediator.ok(&["negotiation", "create", "--scenario", &example()]);
    let id = created.split_whitespace().nth(2).unwrap().to_string();
    for p in [ua, ru, eu] {
        let invitation = mediator.ok(&["negotiation", "invite", &id, p.name]);
        let token = invitation.lines().find(|l| l.contains("accord negotiation accept")).unwrap();
        p.ok(&["negotiation", "accept", &id, token.split_whitespace().last().unwrap()]);
    }
    for p in &people {
        p.ok(&["key", "register", &id, "--key", p.key()]);
    }
    let again = ua.refused(&["key", "register", &id, "--key", ua.key()]);
    assert!(again.contains("rotation"), "{again}");

    // Before the timetable starts, nothing can be signed.
    mediator.ok(&["draft", "publish", &id]);
    let early = ua.refused(&["sign", &id, "--key", ua.key()]);
    assert!(early.contains("wrong_phase") && early.contains("signing"), "{early}");

    // The clock passing each start moves the phase and logs it.
    assert_eq!(tick(Utc.with_ymd_and_hms(2025, 11, 21, 10, 0, 0).unwrap()), 1);
    assert!(ua.ok(&["phase", "show", &id]).contains("Current phase: consultation"));
    ua.ok(&["stance", "set", &id, "art-4", "unacceptable", "--reason", "not without guarantees"]);
    ru.ok(&["stance", "set", &id, "art-4", "acceptable"]);
    eu.ok(&["stance", "set", &id, "art-4", "acceptable"]);

    let rounds = [
        (Utc.with_ymd_and_hms(2025, 11, 24, 10, 0, 0).unwrap(), "drafting-1"),
        (Utc.with_ymd_and_hms(2025, 11, 28, 10, 0, 0).unwrap(), "drafting-2"),
        (Utc.with_ymd_and_hms(2025, 12, 4, 10, 0, 0).unwrap(), "final-session"),
    ];
    for (at, phase) in rounds {
        assert_eq!(tick(at), 1, "entering {phase}");
        assert!(mediator.ok(&["phase", "show", &id]).contains(&format!("Current phase: {phase}")));
        if phase == "drafting-2" {
            mediator.ok(&["draft", "set", &id, "territory", "freeze"]);
            let extended = mediator.ok(&[
                "phase",
                "extend",
                &id,
                "--until",
                "2025-12-03T20:00:00Z",
                "--reason",
                "delegations asked for an evening session",
            ]);
            assert!(extended.contains("Deadline moved"), "{extended}");
        }
        mediator.ok(&["draft", "publish", &id]);
        for p in &people {
            let acked = p.ok(&["ack", &id, "--key", p.key()]);
            assert!(acked.contains("acknowledged version"), "{acked}");
        }
        if phase == "final-session" {
            let premature = ru.refused(&["sign", &id, "--key", ru.key()]);
            assert!(premature.contains("signatures open in phase"), "{premature}");
        }
    }
    // ru replaces its key; the old key signs the change, the new one signs from now on.
    let new_key = dir.path().join("ru-2.key");
    ru.ok(&["keygen", "-o", new_key.to_str().unwrap(), "--label", "ru, second key"]);
    let rotated = ru.ok(&["key", "rotate", &id, "--old", ru.key(), "--new", new_key.to_str().unwrap()]);
    assert!(rotated.contains("key is now"), "{rotated}");
    let ru = &Person { name: "ru", config: ru.config.clone(), key: new_key, url: &url };
    let stale = ru.refused(&["ack", &id, "--key", people[2].key()]);
    assert!(stale.contains("does not verify"), "the rotated-out key no longer counts: {stale}");
    // The acknowledgements of the first version (before any phase) count too.
    for p in [mediator, ua, ru, eu] {
        p.ok(&["ack", &id, "--released", "1", "--key", p.key()]);
    }
    // Round 2's deadline was extended: a tick at the old deadline does nothing new.
    let engagement = eu.ok(&["engagement", &id]);
    assert!(engagement.contains("Version 4"), "{engagement}");
    // Rows are `party  role  acknowledged  signed`, cells two or more spaces
    // apart; the observer (`un`) holds no key and acknowledges nothing.
    let acknowledged: Vec<String> = engagement
        .lines()
        .filter(|line| {
            line.starts_with("  ")
                && !line.trim_start().starts_with(['-'])
                && !line.trim_start().starts_with("party ")
                && !line.trim_start().starts_with("un ")
        })
        .map(|row| row.split("  ").map(str::trim).filter(|cell| !cell.is_empty()).nth(2).unwrap_or("").to_string())
        .collect();
    assert!(!acknowledged.is_empty(), "{engagement}");
    assert!(
        acknowledged.iter().all(|cell| cell.contains("(event ")),
        "every party that holds a key acknowledged every version:\n{engagement}"
    );

    assert_eq!(tick(Utc.with_ymd_and_hms(2025, 12, 8, 10, 0, 0).unwrap()), 1);
    let late = ua.refused(&["stance", "set", &id, "art-4", "acceptable"]);
    assert!(late.contains("stances are closed"), "{late}");
    let consulted = eu.refused(&["sign", &id, "--key", eu.key()]);
    assert!(consulted.contains("forbidden"), "consulted parties do not sign: {consulted}");
    ua.ok(&["sign", &id, "--key", ua.key()]);
    assert!(mediator.ok(&["phase", "show", &id]).contains("Status: open"));
    ru.ok(&["sign", &id, "--key", ru.key()]);
    assert!(mediator.ok(&["phase", "show", &id]).contains("Status: closed"), "the last signature closes it");
    let after = ru.refused(&["ack", &id, "--key", ru.key()]);
    assert!(after.contains("wrong_phase"), "{after}");

    // The whole log, exported by the mediator, verifies offline too.
    let export = dir.path().join("peace.log.json");
    mediator.ok(&["log", "export", &id, "-o", export.to_str().unwrap()]);
    let log_report = eu.ok(&["verify-log", export.to_str().unwrap()]);
    assert!(log_report.starts_with("VERIFIED"), "{log_report}");
    let denied = eu.refused(&["log", "export", &id, "-o", dir.path().join("no.json").to_str().unwrap()]);
    assert!(denied.contains("forbidden"), "only the mediator exports the full log: {denied}");

    // The certificate verifies offline, without the server.
    let bundle = dir.path().join("peace.bundle");
    eu.ok(&["bundle", &id, "-o", bundle.to_str().unwrap()]);
    let server_key = hex::encode(state.server_key().verifying_key().to_bytes());
    drop(runtime);
    let verified = eu.ok(&["verify", bundle.to_str().unwrap(), "--server-key", &server_key]);
    assert!(verified.starts_with("VERIFIED"), "{verified}");
    for party in ["ua", "ru"] {
        assert!(verified.contains(party), "{verified}");
    }
    let mut tampered = std::fs::read(&bundle).unwrap();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 1;
    let tampered_path = dir.path().join("tampered.bundle");
    std::fs::write(&tampered_path, &tampered).unwrap();
    let out = eu.run(&["verify", tampered_path.to_str().unwrap()]);
    assert!(!out.status.success());
    let wrong_key = eu.run(&["verify", bundle.to_str().unwrap(), "--server-key", &"11".repeat(32)]);
    assert!(!wrong_key.status.success(), "a bundle signed by another server key is refused");

    if std::env::var_os("ACCORD_WRITE_SAMPLE_BUNDLE").is_some() {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sample.bundle");
        std::fs::create_dir_all(sample.parent().unwrap()).unwrap();
        std::fs::copy(&bundle, &sample).unwrap();
    }

    // No party's private key is anywhere in the server's database files.
    let mut database = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("accord.db") {
            database.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(database.len() > 10_000, "the database files were found");
    for p in &people {
        let seed = accord_evidence::keyfile::open(&std::fs::read_to_string(&p.key).unwrap(), PASSPHRASE).unwrap();
        let seed = seed.to_bytes();
        let public = hex::encode(accord_evidence::SigningKey::from_bytes(&seed).verifying_key().to_bytes());
        assert!(contains(&database, public.as_bytes()), "the public key of {} is registered", p.name);
        for needle in [seed.to_vec(), hex::encode(seed).into_bytes(), hex::encode_upper(seed).into_bytes()] {
            assert!(!contains(&database, &needle), "{}'s private key is in the database", p.name);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
