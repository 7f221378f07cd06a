//! The RFC 6962 hashing rules and the hex form hashes take on the wire.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A SHA-256 digest: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// Domain-separation prefixes (RFC 6962 §2.1). Without them a leaf could be
/// passed off as an interior node (second-preimage attack on the tree shape).
const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// `SHA-256(0x00 || data)`: the hash an event's canonical bytes contribute to the log.
pub fn leaf_hash(data: &[u8]) -> Hash {
    Sha256::new().chain_update([LEAF_PREFIX]).chain_update(data).finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new().chain_update([NODE_PREFIX]).chain_update(left).chain_update(right).finalize().into()
}

/// The root of the tree with no leaves, `SHA-256("")` (RFC 6962 §2.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A [`type@Hash`] that serialises as 64 lowercase hex digits, for proofs and checkpoints
/// that travel through JSON (the API, the evidence bundle).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HexHash(pub Hash);

impl HexHash {
    pub fn as_bytes(&self) -> &Hash {
        &self.0
    }
}

impl From<Hash> for HexHash {
    fn from(hash: Hash) -> Self {
        HexHash(hash)
    }
}

impl From<HexHash> for Hash {
    fn from(hash: HexHash) -> Self {
        hash.0
    }
}

impl fmt::Display for HexHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for HexHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HexHash({self})")
    }
}

/// A string that is not exactly 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a hash is 64 hex digits, got {got:?}")]
pub struct ParseHashError {
    got: String,
}

impl FromStr for HexHash {
    type Err = ParseHashError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut hash = [0u8; 32];
        hex::decode_to_slice(text, &mut hash).map_err(|_| ParseHashError { got: text.to_owned() })?;
        Ok(HexHash(hash))
    }
}

impl Serialize for HexHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for HexHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The OpenAPI form: a string of 64 lowercase hex digits, as [`Serialize`] writes it.
#[cfg(feature = "utoipa")]
impl utoipa::PartialSchema for HexHash {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .pattern(Some("^[0-9a-f]{64}$"))
            .description(Some("A SHA-256 hash, 64 lowercase hex digits."))
            .into()
    }
}

#[cfg(feature = "utoipa")]
impl utoipa::ToSchema for HexHash {}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_the_sha256_of_nothing() {
        assert_eq!(hex::encode(empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn leaf_and_node_hashes_are_prefixed() {
        assert_eq!(leaf_hash(b"abc"), <Hash>::from(Sha256::digest(b"\x00abc")));
        let (left, right) = ([1u8; 32], [2u8; 32]);
        let mut preimage = vec![1u8];
        preimage.extend_from_slice(&left);
        preimage.extend_from_slice(&right);
        assert_eq!(node_hash(&left, &right), <Hash>::from(Sha256::digest(&preimage)));
        assert_ne!(node_hash(&left, &right), node_hash(&right, &left));
    }

    #[test]
    fn hex_hash_round_trips_and_rejects_bad_text() {
        let hash = HexHash(leaf_hash(b"x"));
        assert_eq!(hash.to_string().parse::<HexHash>(), Ok(hash));
        assert_eq!(hash.to_string().to_uppercase().parse::<HexHash>(), Ok(hash));
        assert!("".parse::<HexHash>().is_err());
        assert!("ab".parse::<HexHash>().is_err());
        assert!(format!("{hash}00").parse::<HexHash>().is_err());
        assert!("zz".repeat(32).parse::<HexHash>().is_err());
        let err = "nope".parse::<HexHash>().unwrap_err();
        assert_eq!(err.to_string(), "a hash is 64 hex digits, got \"nope\"");
    }
}
