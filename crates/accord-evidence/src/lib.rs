//! Accord's process evidence, pure: bytes in, bytes and reports out. File
//! reading, passphrase prompts and HTTP live in the CLI and the server.
//!
//! * [`statement`]: the exact text lines parties and the server sign
//!   (acknowledgement, final signature, key rotation, key registration,
//!   checkpoint, bundle index), Ed25519
//!   signing and strict verification over them, and [`SignedCheckpoint`].
//! * [`key`]: [`parse_public_key`], the one gate for public keys (on the
//!   curve, canonical, not of small order), and the proof of possession of a
//!   first key registration ([`sign_key_registration`], [`verify_key_registration`]).
//! * [`keyfile`]: the passphrase-protected key file of `accord keygen`
//!   (Argon2id + AES-256-GCM, WebCrypto-compatible): [`keyfile::seal`],
//!   [`keyfile::open`], [`keyfile::generate_signing_key`].
//! * [`bundle`]: the certificate of completion (`accord-bundle/v2`: every leaf
//!   up to the final checkpoint, and the server's signed evidence index, so
//!   nothing can be left out unnoticed), [`Bundle::build`] from the
//!   server's stored log and [`Bundle::to_bytes`].
//! * [`verify_bundle`]: offline verification of a bundle into a [`Report`]
//!   of named checks and a human [`Report::summary`].
//! * [`log_export`]: a full log export, [`LogExport::build`] and [`verify_log`].
//!
//! The formats are documented in `docs/bundle-format.md`.

pub mod bundle;
pub mod key;
pub mod keyfile;
pub mod log_export;
pub mod report;
pub mod statement;
#[cfg(test)]
mod testing;
mod verify;
mod walk;

pub use bundle::{BUNDLE_FORMAT, BuildError, Bundle, LogEntry};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use getrandom::SysRng as SystemRng;
pub use key::{
    KeyError, RegistrationError, key_registration, parse_public_key, sign_key_registration, verify_key_registration,
};
pub use keyfile::{KdfParams, KeyFileError};
pub use log_export::{LOG_EXPORT_FORMAT, LogExport, verify_log};
pub use report::{Check, Facts, Outcome, Report};
pub use statement::{SignedCheckpoint, Statement, sign_checkpoint, sign_statement, verify_statement};
pub use verify::verify_bundle;
