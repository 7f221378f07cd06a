//! Keys and signatures that need no trust in Accord's code: `accord key
//! export` writes a key file's key as PKCS#8 / SubjectPublicKeyInfo, and the
//! machine's own `openssl` (3.x, `pkeyutl -rawin`) signs and verifies
//! Accord's statements with them, as `docs/bundle-format.md` §5 shows.
//!
//! Skips (passing, with a note on stderr) when no OpenSSL 3 is installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use accord_evidence::statement::{Statement, sign_statement, verify_statement};
use accord_evidence::{SigningKey, keyfile, sign_key_registration, verify_key_registration};

const PASSPHRASE: &str = "openssl interop 42";

/// `openssl`, when it is OpenSSL 3 or later (`pkeyutl -rawin` needs it).
fn openssl() -> Option<()> {
    let out = Command::new("openssl").arg("version").output().ok()?;
    let version = String::from_utf8_lossy(&out.stdout).to_string();
    let major: u32 = version.strip_prefix("OpenSSL ")?.split('.').next()?.parse().ok()?;
    if out.status.success() && major >= 3 {
        Some(())
    } else {
        eprintln!("skipped: this test needs OpenSSL 3, found {version:?}");
        None
    }
}

fn run(program: &str, args: &[&str]) -> Output {
    let out = Command::new(program).args(args).env("ACCORD_PASSPHRASE", PASSPHRASE).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn accord(args: &[&str]) -> Output {
    run(env!("CARGO_BIN_EXE_accord"), args)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A fresh key file in `dir`, its PKCS#8 PEM and its public key PEM, and the key itself.
fn exported_key(dir: &Path) -> (PathBuf, PathBuf, SigningKey) {
    let (file, pem, public) = (dir.join("ua.key"), dir.join("ua.pem"), dir.join("ua.pub.pem"));
    accord(&["keygen", "-o", s(&file), "--label", "ua"]);
    accord(&["key", "export", "--key", s(&file), "--format", "pkcs8", "-o", s(&pem)]);
    accord(&["key", "export", "--key", s(&file), "--public", "-o", s(&public)]);
    let key = keyfile::open(&std::fs::read_to_string(&file).unwrap(), PASSPHRASE).unwrap();
    (pem, public, key)
}

fn final_signature(party: &str) -> Statement {
    Statement::FinalSignature {
        negotiation: "ceasefire".into(),
        party: party.into(),
        version: 3,
        content_hash: [0x11; 32],
    }
}

#[test]
fn the_exported_files_are_standard_pkcs8_and_spki() {
    if openssl().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (pem, public, key) = exported_key(dir.path());
    let text = std::fs::read_to_string(&pem).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&pem).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // openssl derives the same public key from the private one that Accord registers.
    let derived = run("openssl", &["pkey", "-in", s(&pem), "-pubout", "-outform", "DER"]).stdout;
    let spki_prefix = hex::decode("302a300506032b6570032100").unwrap();
    assert_eq!(derived, [spki_prefix.as_slice(), &key.verifying_key().to_bytes()].concat());
    let from_public = run("openssl", &["pkey", "-pubin", "-in", s(&public), "-outform", "DER"]).stdout;
    assert_eq!(from_public, derived);
    // DER is the same structure; a private key is never written over an existing file or to stdout.
    let der = dir.path().join("ua.der");
    let file = dir.path().join("ua.key");
    accord(&["key", "export", "--key", s(&file), "--format", "der", "-o", s(&der)]);
    let der_public = run("openssl", &["pkey", "-inform", "DER", "-in", s(&der), "-pubout", "-outform", "DER"]).stdout;
    assert_eq!(der_public, derived);
    for refused in [vec!["key", "export", "--key", s(&file), "-o", s(&pem)], vec!["key", "export", "--key", s(&file)]] {
        let out = Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(&refused)
            .env("ACCORD_PASSPHRASE", PASSPHRASE)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{refused:?} must fail");
        assert!(out.stdout.is_empty(), "nothing is printed: {}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn openssl_verifies_what_accord_signed_and_accord_accepts_what_openssl_signed() {
    if openssl().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (pem, public, key) = exported_key(dir.path());
    let statement_file = dir.path().join("statement.txt");
    let statement = final_signature("ua");
    std::fs::write(&statement_file, statement.to_bytes().unwrap()).unwrap();

    // Accord signs; openssl verifies with the exported public key alone.
    let accord_signature = sign_statement(&key, &statement).unwrap();
    let accord_sig_file = dir.path().join("accord.sig");
    std::fs::write(&accord_sig_file, accord_signature).unwrap();
    let verified = run(
        "openssl",
        &["pkeyutl", "-verify", "-pubin", "-inkey", s(&public), "-rawin", "-in", s(&statement_file), "-sigfile"]
            .into_iter()
            .chain([s(&accord_sig_file)])
            .collect::<Vec<_>>(),
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("Signature Verified Successfully"));
    // …and refuses the same signature over another party's statement.
    let other_file = dir.path().join("other.txt");
    std::fs::write(&other_file, final_signature("ru").to_bytes().unwrap()).unwrap();
    let refused = Command::new("openssl")
        .args(["pkeyutl", "-verify", "-pubin", "-inkey", s(&public), "-rawin", "-in", s(&other_file), "-sigfile"])
        .arg(&accord_sig_file)
        .output()
        .unwrap();
    assert!(!refused.status.success(), "openssl must refuse a signature over other bytes");

    // openssl signs with the exported PKCS#8 key; Accord's verifier accepts it.
    let openssl_sig_file = dir.path().join("openssl.sig");
    run(
        "openssl",
        &["pkeyutl", "-sign", "-inkey", s(&pem), "-rawin", "-in", s(&statement_file), "-out", s(&openssl_sig_file)],
    );
    let openssl_signature: [u8; 64] = std::fs::read(&openssl_sig_file).unwrap().try_into().unwrap();
    verify_statement(&key.verifying_key().to_bytes(), &statement, &openssl_signature).unwrap();
    // Ed25519 is deterministic: both tools made the very same signature.
    assert_eq!(openssl_signature, accord_signature);

    // The same for a key registration's proof of possession, which the server checks.
    let public_hex = hex::encode(key.verifying_key().to_bytes());
    let registration = accord_evidence::key_registration("ceasefire", "ua", &key.verifying_key());
    std::fs::write(&statement_file, registration.to_bytes().unwrap()).unwrap();
    run(
        "openssl",
        &["pkeyutl", "-sign", "-inkey", s(&pem), "-rawin", "-in", s(&statement_file), "-out", s(&openssl_sig_file)],
    );
    let proof = hex::encode(std::fs::read(&openssl_sig_file).unwrap());
    verify_key_registration("ceasefire", "ua", &public_hex, &proof).unwrap();
    assert_eq!(proof, sign_key_registration(&key, "ceasefire", "ua").unwrap());
}

/// The recipe of `docs/bundle-format.md` §5 on the committed sample bundle:
/// the server's checkpoint signature and every party's final signature,
/// checked by openssl alone (the statements rebuilt from the bundle's fields,
/// the raw keys wrapped in the fixed SubjectPublicKeyInfo prefix).
#[test]
fn openssl_alone_checks_the_sample_bundles_signatures() {
    if openssl().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sample.bundle");
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let negotiation = bundle["negotiation"].as_str().unwrap();
    let verify = |name: &str, key_hex: &str, statement: String, signature_hex: &str| {
        let key_der = dir.path().join(format!("{name}.der"));
        let statement_file = dir.path().join(format!("{name}.txt"));
        let sig_file = dir.path().join(format!("{name}.sig"));
        std::fs::write(&key_der, hex::decode(format!("302a300506032b6570032100{key_hex}")).unwrap()).unwrap();
        std::fs::write(&statement_file, statement).unwrap();
        std::fs::write(&sig_file, hex::decode(signature_hex).unwrap()).unwrap();
        let out = run(
            "openssl",
            &[
                "pkeyutl",
                "-verify",
                "-pubin",
                "-keyform",
                "DER",
                "-inkey",
                s(&key_der),
                "-rawin",
                "-in",
                s(&statement_file),
                "-sigfile",
                s(&sig_file),
            ],
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully"), "{name}");
    };
    let checkpoint = &bundle["checkpoint"];
    verify(
        "checkpoint",
        bundle["server_key"].as_str().unwrap(),
        format!(
            "accord/checkpoint/v1\nnegotiation={negotiation}\nsize={}\nroot={}\nat={}\n",
            checkpoint["size"],
            checkpoint["root"].as_str().unwrap(),
            checkpoint["at"].as_str().unwrap()
        ),
        checkpoint["signature"].as_str().unwrap(),
    );
    // Each final signature under the party's key current at that point of the log.
    let mut keys = std::collections::BTreeMap::new();
    let mut finals = 0;
    for event in bundle["events"].as_array().unwrap() {
        let event: serde_json::Value = serde_json::from_str(event["bytes"].as_str().unwrap()).unwrap();
        let payload = &event["payload"];
        let party = payload["party"].as_str().unwrap_or_default().to_owned();
        match payload["type"].as_str().unwrap() {
            "key_registered" | "key_rotated" => {
                keys.insert(party, payload["public_key"].as_str().unwrap().to_owned());
            }
            "final_text_signed" => {
                finals += 1;
                verify(
                    &format!("final-{party}"),
                    &keys[&party],
                    format!(
                        "accord/sign/v1\nnegotiation={negotiation}\nparty={party}\nversion={}\ncontent={}\n",
                        payload["number"],
                        payload["content_hash"].as_str().unwrap()
                    ),
                    payload["signature"].as_str().unwrap(),
                );
            }
            _ => {}
        }
    }
    assert!(finals >= 2, "the sample has a signature per signatory");
}
