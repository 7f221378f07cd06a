//! The passphrase-protected key file `accord keygen` writes.
//!
//! ```json
//! {
//!   "format": "accord-key/v1",
//!   "label": "ua",
//!   "public_key": "<64 hex>",
//!   "kdf": {"algorithm": "argon2id", "m_cost": 19456, "t_cost": 2, "p_cost": 1, "salt": "<32 hex>"},
//!   "cipher": {"algorithm": "aes-256-gcm", "nonce": "<24 hex>"},
//!   "ciphertext": "<96 hex>"
//! }
//! ```
//!
//! The 32-byte AES key is Argon2id (version 0x13) of the passphrase's UTF-8
//! bytes with the salt and costs above (`m_cost` in KiB). The plaintext is the
//! 32-byte Ed25519 seed; the ciphertext is AES-256-GCM's output with its 16-byte
//! tag appended (as WebCrypto's `encrypt` returns it). The associated data is
//! [`associated_data`]: text lines binding the public key and every KDF
//! parameter, so a file whose public key or costs were edited no longer opens.
//! The label is a note for people and is not bound.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use ed25519_dalek::SigningKey;
use rand_core::TryCryptoRng;
use serde::{Deserialize, Serialize};

use crate::statement::parse_hex;

/// The `format` tag of a key file.
pub const KEY_FILE_FORMAT: &str = "accord-key/v1";
const KDF_ALGORITHM: &str = "argon2id";
const CIPHER_ALGORITHM: &str = "aes-256-gcm";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Refuse files asking for more than this much memory (KiB): a key file from
/// elsewhere must not be able to make `open` allocate without bound.
pub const MAX_M_COST: u32 = 4 * 1024 * 1024;
/// Refuse files asking for more passes than this, for the same reason.
pub const MAX_T_COST: u32 = 64;
/// Refuse files asking for more lanes than this.
pub const MAX_P_COST: u32 = 16;

/// Argon2id costs. [`KdfParams::default`] is OWASP's recommendation
/// (19 MiB, 2 passes, 1 lane); tests may use [`KdfParams::new`] with less.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams { m_cost: 19 * 1024, t_cost: 2, p_cost: 1 }
    }
}

impl KdfParams {
    pub fn new(m_cost: u32, t_cost: u32, p_cost: u32) -> Self {
        KdfParams { m_cost, t_cost, p_cost }
    }
}

/// Why a key file could not be written or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    #[error("the passphrase is wrong (or the key file's public key or KDF parameters were altered)")]
    WrongPassphrase,
    #[error("the key file is malformed: {field}: {reason}")]
    Malformed { field: String, reason: String },
    #[error("the key file's format is {found:?}; this version of accord reads {KEY_FILE_FORMAT:?}")]
    UnsupportedFormat { found: String },
    #[error("the key file uses {field} {found:?}; supported is {supported:?}")]
    UnsupportedAlgorithm { field: &'static str, found: String, supported: &'static str },
    #[error("the key file's public key is {in_file}, but its secret key belongs to {derived}")]
    PublicKeyMismatch { in_file: String, derived: String },
    #[error("the random number generator failed: {0}")]
    Random(String),
}

fn malformed(field: &str, reason: impl Into<String>) -> KeyFileError {
    KeyFileError::Malformed { field: field.to_owned(), reason: reason.into() }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    format: String,
    label: String,
    public_key: String,
    kdf: KdfSection,
    cipher: CipherSection,
    ciphertext: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfSection {
    algorithm: String,
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CipherSection {
    algorithm: String,
    nonce: String,
}

/// The AEAD associated data: what the tag authenticates besides the seed.
///
/// ```text
/// accord-key/v1\npublic_key=<hex>\nkdf=argon2id\nm_cost=<n>\nt_cost=<n>\np_cost=<n>\nsalt=<hex>\ncipher=aes-256-gcm\n
/// ```
pub fn associated_data(public_key: &[u8; 32], params: KdfParams, salt: &[u8]) -> Vec<u8> {
    format!(
        "{KEY_FILE_FORMAT}\npublic_key={}\nkdf={KDF_ALGORITHM}\nm_cost={}\nt_cost={}\np_cost={}\nsalt={}\ncipher={CIPHER_ALGORITHM}\n",
        hex::encode(public_key),
        params.m_cost,
        params.t_cost,
        params.p_cost,
        hex::encode(salt),
    )
    .into_bytes()
}

fn derive_key(passphrase: &str, params: KdfParams, salt: &[u8]) -> Result<[u8; 32], KeyFileError> {
    if params.m_cost > MAX_M_COST {
        return Err(malformed(
            "kdf.m_cost",
            format!("{} KiB is more than the {MAX_M_COST} KiB allowed", params.m_cost),
        ));
    }
    if params.t_cost > MAX_T_COST {
        return Err(malformed("kdf.t_cost", format!("{} passes is more than the {MAX_T_COST} allowed", params.t_cost)));
    }
    if params.p_cost > MAX_P_COST {
        return Err(malformed("kdf.p_cost", format!("{} lanes is more than the {MAX_P_COST} allowed", params.p_cost)));
    }
    let argon_params = argon2::Params::new(params.m_cost, params.t_cost, params.p_cost, Some(32))
        .map_err(|e| malformed("kdf", format!("argon2id rejects m_cost/t_cost/p_cost: {e}")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon_params);
    let mut key = [0u8; 32];
    argon.hash_password_into(passphrase.as_bytes(), salt, &mut key).map_err(|e| malformed("kdf", e.to_string()))?;
    Ok(key)
}

fn random<const N: usize, R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<[u8; N], KeyFileError> {
    let mut out = [0u8; N];
    rng.try_fill_bytes(&mut out).map_err(|e| KeyFileError::Random(e.to_string()))?;
    Ok(out)
}

/// A fresh Ed25519 signing key from `rng` (pass `getrandom::SysRng` — re-exported
/// as [`crate::SystemRng`] — outside tests).
pub fn generate_signing_key<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<SigningKey, KeyFileError> {
    Ok(SigningKey::from_bytes(&random::<32, R>(rng)?))
}

/// Encrypts `key`'s seed under `passphrase` and returns the key file's text
/// (pretty JSON ending in a newline). Salt and nonce come from `rng`.
pub fn seal<R: TryCryptoRng + ?Sized>(
    key: &SigningKey,
    passphrase: &str,
    label: &str,
    params: KdfParams,
    rng: &mut R,
) -> Result<String, KeyFileError> {
    let salt = random::<SALT_LEN, R>(rng)?;
    let nonce = random::<NONCE_LEN, R>(rng)?;
    let public_key = key.verifying_key().to_bytes();
    let aes_key = derive_key(passphrase, params, &salt)?;
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(aes_key));
    let aad = associated_data(&public_key, params, &salt);
    let ciphertext = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: key.as_bytes(), aad: &aad })
        .map_err(|_| malformed("ciphertext", "AES-256-GCM refused to encrypt 32 bytes"))?;
    let file = KeyFile {
        format: KEY_FILE_FORMAT.to_owned(),
        label: label.to_owned(),
        public_key: hex::encode(public_key),
        kdf: KdfSection {
            algorithm: KDF_ALGORITHM.to_owned(),
            m_cost: params.m_cost,
            t_cost: params.t_cost,
            p_cost: params.p_cost,
            salt: hex::encode(salt),
        },
        cipher: CipherSection { algorithm: CIPHER_ALGORITHM.to_owned(), nonce: hex::encode(nonce) },
        ciphertext: hex::encode(ciphertext),
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| malformed("(whole file)", e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// What a key file says about itself without the passphrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFileInfo {
    pub label: String,
    pub public_key: [u8; 32],
    pub params: KdfParams,
}

/// Reads the public parts of a key file (for `accord keygen --show`, or to
/// register the public key) without decrypting anything.
pub fn inspect(text: &str) -> Result<KeyFileInfo, KeyFileError> {
    let parsed = parse(text)?;
    Ok(KeyFileInfo { label: parsed.label, public_key: parsed.public_key, params: parsed.params })
}

struct Parsed {
    label: String,
    public_key: [u8; 32],
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: [u8; 32 + TAG_LEN],
}

fn parse(text: &str) -> Result<Parsed, KeyFileError> {
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    let file: KeyFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "(whole file)".to_owned() } else { path };
        malformed(&field, e.into_inner().to_string())
    })?;
    if file.format != KEY_FILE_FORMAT {
        return Err(KeyFileError::UnsupportedFormat { found: file.format });
    }
    if file.kdf.algorithm != KDF_ALGORITHM {
        return Err(KeyFileError::UnsupportedAlgorithm {
            field: "kdf.algorithm",
            found: file.kdf.algorithm,
            supported: KDF_ALGORITHM,
        });
    }
    if file.cipher.algorithm != CIPHER_ALGORITHM {
        return Err(KeyFileError::UnsupportedAlgorithm {
            field: "cipher.algorithm",
            found: file.cipher.algorithm,
            supported: CIPHER_ALGORITHM,
        });
    }
    let field_hex = |field: &str, value: &str| -> KeyFileError {
        malformed(field, format!("expected lowercase hex of the right length, got {value:?}"))
    };
    Ok(Parsed {
        label: file.label,
        public_key: parse_hex("public_key", &file.public_key).map_err(|_| field_hex("public_key", &file.public_key))?,
        params: KdfParams { m_cost: file.kdf.m_cost, t_cost: file.kdf.t_cost, p_cost: file.kdf.p_cost },
        salt: parse_hex("salt", &file.kdf.salt).map_err(|_| field_hex("kdf.salt", &file.kdf.salt))?,
        nonce: parse_hex("nonce", &file.cipher.nonce).map_err(|_| field_hex("cipher.nonce", &file.cipher.nonce))?,
        ciphertext: parse_hex("ciphertext", &file.ciphertext).map_err(|_| field_hex("ciphertext", &file.ciphertext))?,
    })
}

/// Decrypts a key file. Errors tell a wrong passphrase from a malformed file
/// (naming the field), an unsupported format or algorithm, and a file whose
/// public key is not the decrypted key's.
pub fn open(text: &str, passphrase: &str) -> Result<SigningKey, KeyFileError> {
    let parsed = parse(text)?;
    let aes_key = derive_key(passphrase, parsed.params, &parsed.salt)?;
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(aes_key));
    let aad = associated_data(&parsed.public_key, parsed.params, &parsed.salt);
    let seed = cipher
        .decrypt(&Nonce::from(parsed.nonce), Payload { msg: &parsed.ciphertext, aad: &aad })
        .map_err(|_| KeyFileError::WrongPassphrase)?;
    let seed: [u8; 32] = seed.try_into().map_err(|_| malformed("ciphertext", "does not decrypt to 32 bytes"))?;
    let key = SigningKey::from_bytes(&seed);
    let derived = key.verifying_key().to_bytes();
    if derived != parsed.public_key {
        return Err(KeyFileError::PublicKeyMismatch {
            in_file: hex::encode(parsed.public_key),
            derived: hex::encode(derived),
        });
    }
    Ok(key)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use super::*;
    use crate::testing::CountingRng;

    const FAST: KdfParams = KdfParams { m_cost: 64, t_cost: 1, p_cost: 1 };

    fn sealed(passphrase: &str) -> (SigningKey, String) {
        let mut rng = CountingRng::new(1);
        let key = generate_signing_key(&mut rng).unwrap();
        let text = seal(&key, passphrase, "ua", FAST, &mut rng).unwrap();
        (key, text)
    }

    #[test]
    fn seal_then_open_round_trips() {
        let (key, text) = sealed("correct horse");
        assert_eq!(open(&text, "correct horse").unwrap().to_bytes(), key.to_bytes());
        let info = inspect(&text).unwrap();
        assert_eq!(info.label, "ua");
        assert_eq!(info.public_key, key.verifying_key().to_bytes());
        assert_eq!(info.params, FAST);
        assert!(text.ends_with("}\n"));
        assert!(!text.contains(&hex::encode(key.to_bytes())), "the seed must not appear in clear");
    }

    #[test]
    fn sealing_is_deterministic_given_the_rng() {
        assert_eq!(sealed("p").1, sealed("p").1);
        let mut rng = CountingRng::new(2);
        let key = sealed("p").0;
        assert_ne!(seal(&key, "p", "ua", FAST, &mut rng).unwrap(), sealed("p").1);
    }

    #[test]
    fn default_params_follow_owasp() {
        let params = KdfParams::default();
        assert!(params.m_cost >= 19 * 1024 && params.t_cost >= 2 && params.p_cost >= 1);
    }

    #[test]
    fn a_wrong_passphrase_is_named() {
        let (_, text) = sealed("right");
        assert_eq!(open(&text, "wrong").unwrap_err(), KeyFileError::WrongPassphrase);
    }

    type Edit = Box<dyn Fn(&mut serde_json::Value)>;

    fn edit(text: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
        edit(&mut value);
        serde_json::to_string_pretty(&value).unwrap()
    }

    #[test]
    fn altered_bound_fields_fail_like_a_wrong_passphrase() {
        let (_, text) = sealed("p");
        let other_key = hex::encode(SigningKey::from_bytes(&[5; 32]).verifying_key().to_bytes());
        let cases: Vec<Edit> = vec![
            Box::new(move |v| v["public_key"] = other_key.clone().into()),
            Box::new(|v| v["kdf"]["t_cost"] = 2.into()),
            Box::new(|v| v["kdf"]["salt"] = "00".repeat(16).into()),
            Box::new(|v| v["cipher"]["nonce"] = "00".repeat(12).into()),
            Box::new(|v| v["ciphertext"] = "00".repeat(48).into()),
        ];
        for case in cases {
            assert_eq!(open(&edit(&text, case), "p").unwrap_err(), KeyFileError::WrongPassphrase);
        }
        // The label is a note, not bound: editing it keeps the file usable.
        let relabelled = edit(&text, |v| v["label"] = "my key".into());
        assert!(open(&relabelled, "p").is_ok());
    }

    #[test]
    fn malformed_files_name_the_field() {
        let (_, text) = sealed("p");
        let cases: Vec<(Edit, &str)> = vec![
            (Box::new(|v| v["kdf"]["salt"] = "zz".into()), "kdf.salt"),
            (Box::new(|v| v["cipher"]["nonce"] = "00".into()), "cipher.nonce"),
            (Box::new(|v| v["public_key"] = "AB".repeat(32).into()), "public_key"),
            (Box::new(|v| v["ciphertext"] = "00".repeat(47).into()), "ciphertext"),
            (Box::new(|v| v["kdf"]["m_cost"] = "lots".into()), "kdf.m_cost"),
            (Box::new(|v| v["kdf"]["m_cost"] = (MAX_M_COST + 1).into()), "kdf.m_cost"),
            (Box::new(|v| v["kdf"]["t_cost"] = (MAX_T_COST + 1).into()), "kdf.t_cost"),
            (Box::new(|v| v["kdf"]["p_cost"] = 0.into()), "kdf"),
            (Box::new(|v| v["kdf"]["pepper"] = "x".into()), "kdf.pepper"),
            (Box::new(|v| drop(v.as_object_mut().unwrap().remove("cipher"))), "(whole file)"),
        ];
        for (case, field) in cases {
            match open(&edit(&text, case), "p") {
                Err(KeyFileError::Malformed { field: got, reason }) => assert_eq!(got, field, "{reason}"),
                other => panic!("expected a malformed {field}, got {other:?}"),
            }
        }
        let err = open("not json", "p").unwrap_err();
        assert!(matches!(err, KeyFileError::Malformed { .. }), "{err:?}");
    }

    #[test]
    fn unsupported_format_and_algorithms_are_named() {
        let (_, text) = sealed("p");
        let err = open(&edit(&text, |v| v["format"] = "accord-key/v2".into()), "p").unwrap_err();
        assert_eq!(err, KeyFileError::UnsupportedFormat { found: "accord-key/v2".into() });
        let err = open(&edit(&text, |v| v["kdf"]["algorithm"] = "scrypt".into()), "p").unwrap_err();
        assert!(matches!(err, KeyFileError::UnsupportedAlgorithm { field: "kdf.algorithm", .. }), "{err:?}");
        let err = open(&edit(&text, |v| v["cipher"]["algorithm"] = "chacha20-poly1305".into()), "p").unwrap_err();
        assert!(matches!(err, KeyFileError::UnsupportedAlgorithm { field: "cipher.algorithm", .. }), "{err:?}");
    }

    #[test]
    fn a_public_key_that_is_not_the_seeds_is_reported() {
        // Re-seal someone else's seed under a file that claims our public key:
        // the tag is valid (the AD matches what the file says), the key is not.
        let (key, _) = sealed("p");
        let other = SigningKey::from_bytes(&[9; 32]);
        let (salt, nonce) = ([3u8; SALT_LEN], [4u8; NONCE_LEN]);
        let claimed = key.verifying_key().to_bytes();
        let aes_key = derive_key("p", FAST, &salt).unwrap();
        let aad = associated_data(&claimed, FAST, &salt);
        let ciphertext = Aes256Gcm::new(&Key::<Aes256Gcm>::from(aes_key))
            .encrypt(&Nonce::from(nonce), Payload { msg: other.as_bytes(), aad: &aad })
            .unwrap();
        let file = KeyFile {
            format: KEY_FILE_FORMAT.into(),
            label: "x".into(),
            public_key: hex::encode(claimed),
            kdf: KdfSection { algorithm: "argon2id".into(), m_cost: 64, t_cost: 1, p_cost: 1, salt: hex::encode(salt) },
            cipher: CipherSection { algorithm: "aes-256-gcm".into(), nonce: hex::encode(nonce) },
            ciphertext: hex::encode(ciphertext),
        };
        let err = open(&serde_json::to_string(&file).unwrap(), "p").unwrap_err();
        assert!(matches!(err, KeyFileError::PublicKeyMismatch { .. }), "{err:?}");
    }

    /// A file written by this code and opened independently with Python's
    /// `cryptography` (OpenSSL's Argon2id and AES-GCM), the way a browser would
    /// with WebCrypto: pins the format, the KDF, the cipher and the associated data.
    const KNOWN_FILE: &str = r#"{
  "format": "accord-key/v1",
  "label": "ua",
  "public_key": "11f0202edb998b99047429f8567132c4afbfdd4d2f3aa5e06d012101a86fef0e",
  "kdf": {
    "algorithm": "argon2id",
    "m_cost": 64,
    "t_cost": 1,
    "p_cost": 1,
    "salt": "814dd7b9784d57c15b9c2972e9b4fd6c"
  },
  "cipher": {
    "algorithm": "aes-256-gcm",
    "nonce": "0c730b69905c5ef7a4ca5269"
  },
  "ciphertext": "60b5ac52e3b35c178abd1ccef942f3a96fe1fde40b39612362eb03e673baed7dee0241fa08e1a15b8187cf284d87744e"
}
"#;

    #[test]
    fn known_answer_file() {
        let mut rng = CountingRng::new(1);
        let key = generate_signing_key(&mut rng).unwrap();
        assert_eq!(hex::encode(key.to_bytes()), "4cbbd8ca5215b8d161aec181a74b694f4e24b001d5b081dc0030ed797a8973e0");
        assert_eq!(seal(&key, "correct horse", "ua", FAST, &mut rng).unwrap(), KNOWN_FILE);
        assert_eq!(open(KNOWN_FILE, "correct horse").unwrap().to_bytes(), key.to_bytes());
    }
}
