//! Accepting a party's public key, and the proof that the party holds it.
//!
//! [`parse_public_key`] is the one gate every public key passes, wherever one is
//! accepted (the server's key registration, the verifiers): 64 lowercase hex
//! digits that decode to a point of the Ed25519 curve, in its canonical
//! encoding, and not of small order. A key that fails any of these could never
//! verify a signature under `verify_strict`, so accepting it would freeze the
//! party out (no signature, no rotation) and break every bundle of the log.
//!
//! A first registration carries a proof of possession
//! ([`Statement::KeyRegistration`]): the new key signs
//! `accord/key-registration/v1`, naming the negotiation, the party and the key.
//! [`sign_key_registration`] makes it on the party's side,
//! [`verify_key_registration`] checks it on the server's and the verifier's.
//! What it proves against a server that lies is in `docs/bundle-format.md`.

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::statement::{SignatureError, Statement, StatementError, parse_hex, sign_statement, verify_statement};

/// Why a public key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the public key is not 64 lowercase hex digits: {got:?}")]
    MalformedHex { got: String },
    #[error("the public key {key} is not a point of the Ed25519 curve")]
    NotAPoint { key: String },
    #[error(
        "the public key {key} is not the canonical encoding of its point (that is {canonical}); keys are written canonically"
    )]
    NonCanonical { key: String, canonical: String },
    #[error("the public key {key} is a point of small order, which any signature could be forged for")]
    Weak { key: String },
}

/// Parses a party's (or the server's) Ed25519 public key from hex, refusing
/// uppercase hex, points not on the curve (`02` followed by 62 zeros: y = 2
/// has no x), non-canonical encodings (y ≥ p, or a sign bit set on x = 0) and
/// the eight small-order points.
pub fn parse_public_key(hex_key: &str) -> Result<VerifyingKey, KeyError> {
    let bytes: [u8; 32] =
        parse_hex("public key", hex_key).map_err(|_| KeyError::MalformedHex { got: hex_key.to_owned() })?;
    public_key_from_bytes(&bytes)
}

/// [`parse_public_key`] on the 32 raw bytes.
pub fn public_key_from_bytes(bytes: &[u8; 32]) -> Result<VerifyingKey, KeyError> {
    let key = hex::encode(bytes);
    let parsed = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::NotAPoint { key: key.clone() })?;
    let canonical = parsed.to_edwards().compress().to_bytes();
    if canonical != *bytes {
        return Err(KeyError::NonCanonical { key, canonical: hex::encode(canonical) });
    }
    if parsed.is_weak() {
        return Err(KeyError::Weak { key });
    }
    Ok(parsed)
}

/// Why a key registration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Signature(#[from] SignatureError),
}

/// The statement a party's new key signs to register itself: it holds the
/// private key, for this party of this negotiation.
pub fn key_registration(negotiation: &str, party: &str, key: &VerifyingKey) -> Statement {
    Statement::KeyRegistration { negotiation: negotiation.to_owned(), party: party.to_owned(), key: key.to_bytes() }
}

/// The party's side: signs the registration of `key`'s own public key, as the
/// 128 hex digits the registration request carries.
pub fn sign_key_registration(key: &SigningKey, negotiation: &str, party: &str) -> Result<String, StatementError> {
    let statement = key_registration(negotiation, party, &key.verifying_key());
    sign_statement(key, &statement).map(hex::encode)
}

/// The server's (and a verifier's) side: `key_hex` passes [`parse_public_key`]
/// and `signature_hex` is its own signature over the registration statement.
/// Returns the key to register.
pub fn verify_key_registration(
    negotiation: &str,
    party: &str,
    key_hex: &str,
    signature_hex: &str,
) -> Result<VerifyingKey, RegistrationError> {
    let key = parse_public_key(key_hex)?;
    let signature: [u8; 64] = parse_hex("signature", signature_hex)?;
    verify_statement(&key.to_bytes(), &key_registration(negotiation, party, &key), &signature)?;
    Ok(key)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use super::*;

    fn party_key() -> SigningKey {
        SigningKey::from_bytes(&[42; 32])
    }

    #[test]
    fn a_real_key_parses() {
        let public = party_key().verifying_key();
        assert_eq!(parse_public_key(&hex::encode(public.to_bytes())).unwrap(), public);
    }

    #[test]
    fn a_point_off_the_curve_is_refused() {
        // y = 2: x² = (y² − 1)/(d·y² + 1) has no square root mod p.
        let off = format!("02{}", "0".repeat(62));
        assert_eq!(parse_public_key(&off), Err(KeyError::NotAPoint { key: off.clone() }));
    }

    #[test]
    fn small_order_points_are_refused() {
        // The identity (y = 1), the point of order 2 (y = −1) and one of order 4 (y = 0).
        let identity = format!("01{}", "0".repeat(62));
        let order_two = format!("ec{}7f", "ff".repeat(30));
        let order_four = "0".repeat(64);
        for weak in [identity, order_two, order_four] {
            assert_eq!(parse_public_key(&weak), Err(KeyError::Weak { key: weak.clone() }), "{weak}");
        }
    }

    #[test]
    fn non_canonical_encodings_are_refused() {
        // y = p + 1 encodes the identity's y non-canonically: p = 2^255 − 19, little-endian.
        let mut y = [0xff; 32];
        y[0] = 0xee;
        y[31] = 0x7f;
        let key = hex::encode(y);
        assert!(matches!(parse_public_key(&key), Err(KeyError::NonCanonical { .. })), "{:?}", parse_public_key(&key));
        // The sign bit set on a point whose x is 0 (y = 1 with x "negative").
        let key = format!("01{}80", "0".repeat(60));
        assert!(matches!(parse_public_key(&key), Err(KeyError::NonCanonical { .. })), "{:?}", parse_public_key(&key));
    }

    #[test]
    fn malformed_hex_is_refused() {
        let upper = hex::encode_upper(party_key().verifying_key().to_bytes());
        for bad in [upper.as_str(), "", "00", "zz"] {
            assert_eq!(parse_public_key(bad), Err(KeyError::MalformedHex { got: bad.to_owned() }));
        }
    }

    #[test]
    fn a_registration_is_signed_by_the_new_key_and_binds_every_field() {
        let key = party_key();
        let public = hex::encode(key.verifying_key().to_bytes());
        let signature = sign_key_registration(&key, "ceasefire", "ua").unwrap();
        assert_eq!(verify_key_registration("ceasefire", "ua", &public, &signature).unwrap(), key.verifying_key());
        let other_key = hex::encode(SigningKey::from_bytes(&[43; 32]).verifying_key().to_bytes());
        let refused = [
            verify_key_registration("other", "ua", &public, &signature),
            verify_key_registration("ceasefire", "ru", &public, &signature),
            verify_key_registration("ceasefire", "ua", &other_key, &signature),
        ];
        for result in refused {
            assert!(matches!(result, Err(RegistrationError::Signature(SignatureError::DoesNotVerify { .. }))));
        }
        // A server that registers a key of its own choosing cannot sign for the party's.
        let server_choice = SigningKey::from_bytes(&[7; 32]);
        let forged = sign_key_registration(&server_choice, "ceasefire", "ua").unwrap();
        assert!(verify_key_registration("ceasefire", "ua", &public, &forged).is_err());
        // A key that is no point is refused before any signature is looked at.
        let off = format!("02{}", "0".repeat(62));
        assert_eq!(
            verify_key_registration("ceasefire", "ua", &off, &signature),
            Err(RegistrationError::Key(KeyError::NotAPoint { key: off.clone() }))
        );
    }

    #[test]
    fn the_registration_statement_is_pinned() {
        let statement = key_registration("ceasefire", "ua", &party_key().verifying_key());
        assert_eq!(
            String::from_utf8(statement.to_bytes().unwrap()).unwrap(),
            format!(
                "accord/key-registration/v1\nnegotiation=ceasefire\nparty=ua\nkey={}\n",
                hex::encode(party_key().verifying_key().to_bytes()),
            )
        );
        assert_eq!(statement.describe(), "key registration of party ua");
    }
}
