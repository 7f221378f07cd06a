//! Accord's process evidence, pure: bytes in, bytes and reports out.
//!
//! * [`statement`]: the exact text lines parties and the server sign
//!   (acknowledgement, final signature, key rotation, checkpoint), and Ed25519
//!   signing and strict verification over them.
//! * [`keyfile`]: the passphrase-protected key file of `accord keygen`
//!   (Argon2id + AES-256-GCM, WebCrypto-compatible).

pub mod keyfile;
pub mod statement;
#[cfg(test)]
mod testing;

pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use getrandom::SysRng as SystemRng;
