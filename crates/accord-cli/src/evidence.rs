//! Party keys, acknowledgements, final signatures, the timetable, the
//! certificate bundle and offline verification.
//!
//! Private keys stay on this side: `accord keygen` writes a passphrase-
//! protected key file, and `ack`/`sign`/`key rotate` decrypt it locally and
//! send only signatures. `accord verify` and `accord verify-log` need no
//! server at all.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use accord_api::{
    AcknowledgeInput, AdvanceInput, ExtendInput, KeyInput, NegotiationView, PartyKeyView, PhaseView,
    PublishedVersionView, RotateKeyInput, SignInput, SignedCheckpointView, WriteResult,
};
use accord_evidence::keyfile::{self, KdfParams};
use accord_evidence::statement::{Statement, sign_statement_hex};
use accord_evidence::{SigningKey, SystemRng, verify_bundle, verify_log};
use accord_merkle::{Checkpoint, HexHash};
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};

use crate::client::{Client, ClientConfig, Method, config_path};
use crate::remote::{check_consistency, path_id, table, written};

/// Make a signing key pair; the private half is written encrypted under a passphrase.
///
/// The key file holds your Ed25519 key sealed with AES-256-GCM under a key
/// derived from your passphrase by Argon2id. The server never sees it:
/// register its public key with `accord key register`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  accord keygen -o ua.key --label \"Ukraine delegation\"
  ACCORD_PASSPHRASE=… accord keygen -o ua.key")]
pub struct KeygenArgs {
    /// Where to write the key file (refuses to overwrite).
    #[arg(short, long)]
    pub output: PathBuf,
    /// A note kept in the file in the clear, e.g. who holds the key.
    #[arg(long, default_value = "")]
    pub label: String,
    /// Read the passphrase from standard input instead of the terminal.
    #[arg(long)]
    pub passphrase_stdin: bool,
}

/// Your public key in a negotiation.
#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Register a key file's key as your party's key (once; later changes are rotations). The key
    /// signs its own registration (proof of possession), so the passphrase is asked for.
    Register {
        id: String,
        #[arg(long)]
        key: PathBuf,
    },
    /// Replace your registered key by a new one; the old key signs the change.
    Rotate {
        id: String,
        /// The key file of the key registered now.
        #[arg(long)]
        old: PathBuf,
        /// The key file of the new key.
        #[arg(long)]
        new: PathBuf,
    },
    /// Every party's public keys, with rotations.
    List { id: String },
    /// Write a key file's key in a standard format, for tools that need no trust in Accord's code.
    ///
    /// The private key comes out as PKCS#8 (RFC 8410, "BEGIN PRIVATE KEY"),
    /// unencrypted, in a new file readable by you only; with `--public`, the
    /// public key as a SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"). OpenSSL 3
    /// reads both: `openssl pkeyutl -sign -rawin -inkey ua.pem` signs a
    /// statement, `-verify -pubin` checks one (docs/bundle-format.md §5).
    #[command(after_help = "\
Examples:
  accord key export --key ua.key --format pkcs8 -o ua.pem
  accord key export --key ua.key --public > ua.pub.pem")]
    Export {
        /// The key file (`accord keygen`).
        #[arg(long)]
        key: PathBuf,
        /// `pkcs8` (PEM text; `pem` is the same) or `der` (binary PKCS#8 / SubjectPublicKeyInfo).
        #[arg(long, value_enum, default_value_t = ExportFormat::Pkcs8)]
        format: ExportFormat,
        /// Write the public key (SubjectPublicKeyInfo) instead; needs no passphrase.
        #[arg(long)]
        public: bool,
        /// Where to write (refuses to overwrite). Required for a private key; a public key goes to
        /// standard output without it.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// The encodings of `accord key export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// PEM-armoured PKCS#8 (or SubjectPublicKeyInfo with `--public`).
    #[value(alias = "pem")]
    Pkcs8,
    /// The same structures as binary DER.
    Der,
}

/// Acknowledge a released version: sign its content hash and the log checkpoint with your key.
///
/// The text is fetched, its content hash recomputed here, and the server's
/// signed checkpoint checked against the one you saw last (a split view is an
/// error) before anything is signed.
#[derive(Debug, clap::Args)]
pub struct AckArgs {
    pub id: String,
    /// The released version number (default: the latest).
    #[arg(long, value_name = "N")]
    pub released: Option<u32>,
    #[arg(long)]
    pub key: PathBuf,
}

/// Sign the final text (signatories, in the signing window).
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    pub id: String,
    /// The released version to sign (default: the latest, which is the only one that may be signed).
    #[arg(long, value_name = "N")]
    pub released: Option<u32>,
    #[arg(long)]
    pub key: PathBuf,
}

/// The timetable: where the negotiation stands, and the mediator's changes to it.
#[derive(Debug, clap::Subcommand)]
pub enum PhaseCommand {
    /// The phases, their deadlines, and the current one.
    Show { id: String },
    /// End the current phase now and enter the next (mediator).
    Advance {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Move a phase's deadline (mediator).
    Extend {
        id: String,
        /// The new deadline, RFC 3339 (e.g. 2026-03-21T18:00:00Z).
        #[arg(long)]
        until: DateTime<Utc>,
        /// The phase (default: the current one).
        #[arg(long)]
        phase: Option<String>,
        #[arg(long)]
        reason: String,
    },
}

/// Download the certificate of completion: the evidence bundle anyone can verify offline.
#[derive(Debug, clap::Args)]
pub struct BundleArgs {
    pub id: String,
    #[arg(short, long)]
    pub output: PathBuf,
}

/// Check an evidence bundle offline and say who signed what, when, under which key.
///
/// Exits 0 only if every check passes; otherwise names each failing check.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  accord verify peace-framework.bundle
  accord verify peace-framework.bundle --server-key 3b6a27bc…   (pin the server's key, got out of band)")]
pub struct VerifyArgs {
    pub file: PathBuf,
    /// The server's public key (hex) to require; without it the bundle's own is used and reported.
    #[arg(long)]
    pub server_key: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn read_secret(prompt: &str, from_stdin: bool, env: &str) -> anyhow::Result<String> {
    if let Ok(value) = std::env::var(env) {
        return Ok(value);
    }
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the passphrase from standard input")?;
        let value = line.trim_end_matches(['\n', '\r']).to_string();
        if value.is_empty() {
            bail!("no passphrase on standard input (or set {env})");
        }
        return Ok(value);
    }
    rpassword::prompt_password(prompt).context("reading the passphrase from the terminal")
}

fn open_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the key file {}", path.display()))?;
    let passphrase = read_secret(&format!("Passphrase for {}: ", path.display()), false, "ACCORD_PASSPHRASE")?;
    keyfile::open(&text, &passphrase).with_context(|| format!("opening the key file {}", path.display()))
}

fn public_key_of(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the key file {}", path.display()))?;
    let info = keyfile::inspect(&text).with_context(|| format!("reading the key file {}", path.display()))?;
    Ok(hex::encode(info.public_key))
}

pub fn keygen(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    if args.output.exists() {
        bail!("{} exists; choose another name (a key file is never overwritten)", args.output.display());
    }
    let passphrase = read_secret("New passphrase: ", args.passphrase_stdin, "ACCORD_PASSPHRASE")?;
    if passphrase.chars().count() < 8 {
        bail!("the passphrase must have at least 8 characters");
    }
    if !args.passphrase_stdin && std::env::var("ACCORD_PASSPHRASE").is_err() && std::io::stdin().is_terminal() {
        let again = rpassword::prompt_password("Repeat it: ").context("reading the passphrase")?;
        if again != passphrase {
            bail!("the two passphrases differ; nothing was written");
        }
    }
    let mut rng = SystemRng;
    let key = keyfile::generate_signing_key(&mut rng)?;
    let text = keyfile::seal(&key, &passphrase, &args.label, KdfParams::default(), &mut rng)?;
    write_new(&args.output, text.as_bytes())?;
    println!("Wrote {} (public key {})", args.output.display(), hex::encode(key.verifying_key().to_bytes()));
    println!("Register it with: accord key register NEGOTIATION --key {}", args.output.display());
    Ok(ExitCode::SUCCESS)
}

#[cfg(unix)]
fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn client() -> anyhow::Result<(PathBuf, ClientConfig, Client)> {
    let path = config_path()?;
    let config = ClientConfig::load(&path)?;
    let client = Client::from_config(&config)?;
    Ok((path, config, client))
}

fn my_party(client: &Client, id: &str) -> anyhow::Result<(String, u64)> {
    let view: NegotiationView = client.get(&format!("/api/negotiations/{}", path_id(id)?))?;
    let party = view.you.map(|s| s.party).ok_or_else(|| anyhow!("you hold no seat in {id}"))?;
    Ok((party, view.log_size))
}

/// `accord key export`: offline, through the `pkcs8`/`spki` encoders of
/// `ed25519-dalek` (RFC 8410), never by hand.
fn export_key(path: &Path, format: ExportFormat, public: bool, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let bytes: Vec<u8> = if public {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading the key file {}", path.display()))?;
        let info = keyfile::inspect(&text).with_context(|| format!("reading the key file {}", path.display()))?;
        let key = accord_evidence::key::public_key_from_bytes(&info.public_key)
            .with_context(|| format!("the key file {} names an unusable public key", path.display()))?;
        match format {
            ExportFormat::Pkcs8 => {
                key.to_public_key_pem(LineEnding::LF).context("encoding the public key")?.into_bytes()
            }
            ExportFormat::Der => key.to_public_key_der().context("encoding the public key")?.into_vec(),
        }
    } else {
        let Some(output) = output else {
            bail!("a private key is written to a new file only: give -o FILE (it is created readable by you alone)");
        };
        let key = open_key(path)?;
        // PKCS#8 v1 (RFC 8410 §7, the seed only): `SigningKey`'s own encoder
        // writes v2 with the public key attached, which OpenSSL 3.0 cannot read.
        let seed_only = ed25519_dalek::pkcs8::KeypairBytes { secret_key: key.to_bytes(), public_key: None };
        let bytes = match format {
            ExportFormat::Pkcs8 => {
                seed_only.to_pkcs8_pem(LineEnding::LF).context("encoding the key")?.as_bytes().to_vec()
            }
            ExportFormat::Der => seed_only.to_pkcs8_der().context("encoding the key")?.as_bytes().to_vec(),
        };
        write_new(output, &bytes)?;
        eprintln!(
            "Wrote the UNENCRYPTED private key of {} to {}: anyone who reads that file can sign for you; delete it when done.",
            hex::encode(key.verifying_key().to_bytes()),
            output.display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    match output {
        Some(output) => write_new(output, &bytes)?,
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes).context("writing to standard output")?;
            stdout.flush().context("writing to standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn key(command: KeyCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeyCommand::Export { key, format, public, output } => export_key(&key, format, public, output.as_deref()),
        KeyCommand::Register { id, key } => {
            let (_, _, client) = client()?;
            // The key file is opened (not just read for its public half): the
            // registration carries the new key's own signature, its proof of
            // possession, so the log shows the party chose this key.
            let signing_key = open_key(&key)?;
            let public_key = hex::encode(signing_key.verifying_key().to_bytes());
            let (party, size) = my_party(&client, &id)?;
            let signature = accord_evidence::sign_key_registration(&signing_key, &id, &party)?;
            let result: WriteResult = client.send(
                Method::Put,
                &format!("/api/negotiations/{id}/keys/{party}"),
                Some(size),
                Some(&KeyInput { public_key: public_key.clone(), signature: Some(signature) }),
            )?;
            Ok(written(&format!("Registered key {public_key} for party {party}"), &result))
        }
        KeyCommand::Rotate { id, old, new } => {
            let (_, _, client) = client()?;
            let old_key = open_key(&old)?;
            let new_public = public_key_of(&new)?;
            let (party, size) = my_party(&client, &id)?;
            let new_bytes = new_public.parse::<HexHash>().map_err(|e| anyhow!("the new key file: {e}"))?.0;
            let statement = Statement::KeyRotation {
                negotiation: id.clone(),
                party: party.clone(),
                old: old_key.verifying_key().to_bytes(),
                new: new_bytes,
            };
            let signature = sign_statement_hex(&old_key, &statement)?;
            let result: WriteResult = client.send(
                Method::Post,
                &format!("/api/negotiations/{id}/keys/{party}/rotate"),
                Some(size),
                Some(&RotateKeyInput { public_key: new_public.clone(), signature }),
            )?;
            Ok(written(&format!("Party {party}'s key is now {new_public}"), &result))
        }
        KeyCommand::List { id } => {
            let (_, _, client) = client()?;
            let keys: Vec<PartyKeyView> = client.get(&format!("/api/negotiations/{}/keys", path_id(&id)?))?;
            let mut t = table(&["party", "public key", "since event", "current"]);
            for k in keys {
                t.row(vec![k.party, k.public_key, k.position.to_string(), if k.current { "yes" } else { "" }.into()]);
            }
            print!("{}", t.render());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The version to act on, with its content hash recomputed from its text.
fn fetch_version(client: &Client, id: &str, number: Option<u32>) -> anyhow::Result<(u32, accord_merkle::Hash)> {
    let view: NegotiationView = client.get(&format!("/api/negotiations/{}", path_id(id)?))?;
    let number = match number {
        Some(n) => n,
        None => view.versions.last().map(|v| v.number).ok_or_else(|| anyhow!("no version of {id} is released yet"))?,
    };
    let version: PublishedVersionView = client.get(&format!("/api/negotiations/{id}/versions/{number}"))?;
    let computed = version.version.content_hash();
    if hex::encode(computed) != version.content_hash {
        bail!(
            "the text of version {number} hashes to {} here, but the server says {}: do not acknowledge it",
            hex::encode(computed),
            version.content_hash
        );
    }
    Ok((number, computed))
}

pub fn ack(args: AckArgs) -> anyhow::Result<ExitCode> {
    let (path, mut config, client) = client()?;
    let id = path_id(&args.id)?.to_string();
    let (number, content_hash) = fetch_version(&client, &id, args.released)?;
    let signed: SignedCheckpointView = client.get(&format!("/api/negotiations/{id}/checkpoint/signed"))?;
    let root = signed.root.parse::<HexHash>().map_err(|e| anyhow!("the server's checkpoint: {e}"))?;
    let checkpoint = Checkpoint { size: signed.size, root };
    check_server_signature(&id, &signed)?;
    // Refuse to sign a checkpoint that does not extend what this party saw before.
    check_consistency(&client, &id, &mut config, &checkpoint)?;
    let key = open_key(&args.key)?;
    let (party, _) = my_party(&client, &id)?;
    let statement = Statement::Acknowledgement {
        negotiation: id.clone(),
        party: party.clone(),
        version: number,
        content_hash,
        checkpoint,
    };
    let signature = sign_statement_hex(&key, &statement)?;
    let result: WriteResult = client.send(
        Method::Post,
        &format!("/api/negotiations/{id}/versions/{number}/acknowledgements"),
        Some(signed.size),
        Some(&AcknowledgeInput { checkpoint_size: signed.size, checkpoint_root: signed.root.clone(), signature }),
    )?;
    config.save(&path)?;
    Ok(written(
        &format!(
            "Party {party} acknowledged version {number} ({}) at checkpoint {}",
            hex::encode(content_hash),
            signed.size
        ),
        &result,
    ))
}

fn check_server_signature(id: &str, signed: &SignedCheckpointView) -> anyhow::Result<()> {
    let text =
        serde_json::json!({"size": signed.size, "root": signed.root, "at": signed.at, "signature": signed.signature});
    let parsed: accord_evidence::SignedCheckpoint =
        serde_json::from_value(text).map_err(|e| anyhow!("the server's signed checkpoint is malformed: {e}"))?;
    let key = accord_evidence::statement::parse_hex::<32>("server key", &signed.server_key)
        .map_err(|e| anyhow!("the server's key: {e}"))?;
    parsed
        .verify(id, &key)
        .map_err(|e| anyhow!("the server's signature over checkpoint {} does not verify: {e}", signed.size))
}

pub fn sign(args: SignArgs) -> anyhow::Result<ExitCode> {
    let (_, _, client) = client()?;
    let id = path_id(&args.id)?.to_string();
    let (number, content_hash) = fetch_version(&client, &id, args.released)?;
    let key = open_key(&args.key)?;
    let (party, size) = my_party(&client, &id)?;
    let statement =
        Statement::FinalSignature { negotiation: id.clone(), party: party.clone(), version: number, content_hash };
    let signature = sign_statement_hex(&key, &statement)?;
    let result: WriteResult = client.send(
        Method::Post,
        &format!("/api/negotiations/{id}/versions/{number}/signatures"),
        Some(size),
        Some(&SignInput { signature }),
    )?;
    Ok(written(&format!("Party {party} signed version {number} ({})", hex::encode(content_hash)), &result))
}

pub fn phase(command: PhaseCommand) -> anyhow::Result<ExitCode> {
    let (_, _, client) = client()?;
    match command {
        PhaseCommand::Show { id } => {
            let view: PhaseView = client.get(&format!("/api/negotiations/{}/phase", path_id(&id)?))?;
            println!("Status: {}", view.status);
            match &view.current {
                Some(current) => println!(
                    "Current phase: {} ({}, {}) until {}",
                    current.id,
                    current.name,
                    current.kind,
                    current.deadline.format("%Y-%m-%d %H:%M UTC")
                ),
                None => println!("No phase has begun yet."),
            }
            let mut t = table(&["phase", "kind", "start", "deadline", "entered"]);
            for p in &view.timetable {
                t.row(vec![
                    p.id.clone(),
                    p.kind.clone(),
                    p.start.format("%Y-%m-%d %H:%M").to_string(),
                    p.deadline.format("%Y-%m-%d %H:%M").to_string(),
                    p.entered_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
                ]);
            }
            print!("{}", t.render());
        }
        PhaseCommand::Advance { id, reason } => {
            let (_, size) = my_party(&client, &id)?;
            let result: WriteResult = client.send(
                Method::Post,
                &format!("/api/negotiations/{id}/phase/advance"),
                Some(size),
                Some(&AdvanceInput { reason }),
            )?;
            return Ok(written("Advanced to the next phase", &result));
        }
        PhaseCommand::Extend { id, until, phase, reason } => {
            let (_, size) = my_party(&client, &id)?;
            let result: WriteResult = client.send(
                Method::Post,
                &format!("/api/negotiations/{id}/phase/extend"),
                Some(size),
                Some(&ExtendInput { phase, end: until, reason }),
            )?;
            return Ok(written(&format!("Deadline moved to {}", until.format("%Y-%m-%d %H:%M UTC")), &result));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn engagement(id: String) -> anyhow::Result<ExitCode> {
    let (_, _, client) = client()?;
    let record: Vec<accord_core::phase::VersionEngagement> =
        client.get(&format!("/api/negotiations/{}/engagement", path_id(&id)?))?;
    if record.is_empty() {
        println!("No version of {id} is released yet.");
    }
    for version in record {
        println!("Version {} (released {}):", version.number, version.published.at.format("%Y-%m-%d %H:%M UTC"));
        let mut t = table(&["party", "role", "acknowledged", "signed"]);
        for p in version.parties {
            let when = |m: Option<accord_core::phase::Moment>| {
                m.map(|m| format!("{} (event {})", m.at.format("%Y-%m-%d %H:%M"), m.position)).unwrap_or("—".into())
            };
            t.row(vec![p.party, p.role.as_str().to_string(), when(p.acknowledged), when(p.signed)]);
        }
        print!("{}", t.render());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn bundle(args: BundleArgs) -> anyhow::Result<ExitCode> {
    let (_, _, client) = client()?;
    let id = path_id(&args.id)?.to_string();
    let bytes = client.get_bytes(&format!("/api/negotiations/{id}/bundle"))?;
    let report = verify_bundle(&bytes, None);
    std::fs::write(&args.output, &bytes).with_context(|| format!("writing {}", args.output.display()))?;
    println!(
        "Wrote {} ({} bytes). Check it anywhere with: accord verify {}",
        args.output.display(),
        bytes.len(),
        args.output.display()
    );
    if !report.ok() {
        eprintln!("warning: the bundle does not verify yet:\n{}", report.summary());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(id: String, output: PathBuf) -> anyhow::Result<ExitCode> {
    let (_, _, client) = client()?;
    let bytes = client.get_bytes(&format!("/api/negotiations/{}/export", path_id(&id)?))?;
    std::fs::write(&output, &bytes).with_context(|| format!("writing {}", output.display()))?;
    println!(
        "Wrote {} ({} bytes). Check it with: accord verify-log {}",
        output.display(),
        bytes.len(),
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn pinned(server_key: Option<&str>) -> anyhow::Result<Option<[u8; 32]>> {
    server_key
        .map(|k| accord_evidence::statement::parse_hex::<32>("server key", k).map_err(|e| anyhow!("--server-key: {e}")))
        .transpose()
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let report = verify_bundle(&bytes, pinned(args.server_key.as_deref())?);
    emit(&report, args.json)
}

pub fn verify_log_file(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let report = verify_log(&bytes, pinned(args.server_key.as_deref())?);
    emit(&report, args.json)
}

fn emit(report: &accord_evidence::Report, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print!("{}", report.summary());
    }
    Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
