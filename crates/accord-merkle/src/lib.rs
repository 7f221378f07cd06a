//! The Merkle tree behind Accord's tamper-evident event log (RFC 6962 / RFC 9162).
//!
//! Every negotiation's events, in order, are the leaves of one Merkle tree. The
//! store keeps each event's [`leaf_hash`]; from those it produces the root at
//! any size (a [`Checkpoint`]), an [`InclusionProof`] that an event is in the
//! log, and a [`ConsistencyProof`] that a later log extends an earlier one
//! without rewriting it. This crate is pure — no I/O, no async — so a client can
//! check all of it offline with [`verify_inclusion`] and [`verify_consistency`].
//!
//! * [`hash`]: `leaf_hash = SHA-256(0x00 || data)`, `node_hash = SHA-256(0x01 || left || right)`,
//!   the empty tree's root `SHA-256("")`, and [`HexHash`], the hex wire form.
//! * [`MerkleTree`]: an append-only in-memory tree (`from_leaf_hashes`, `push`)
//!   that keeps every complete subtree, so `root(size)`, `inclusion_proof` and
//!   `consistency_proof` cost O(log n) for any size up to its length.
//! * [`prove`]: the same roots and proofs from any [`SubtreeHashes`] source — a
//!   slice of leaf hashes loaded from a database (`prove_inclusion(leaves.as_slice(), i, n)`,
//!   O(n) hashing), or a closure over cached complete subtrees ([`SubtreeFn`]).
//! * [`verify`]: the verifiers, needing only hashes and sizes, with errors such as
//!   "inclusion proof for leaf 812 does not match root at size 830".
//! * [`wire`]: the serde forms, hashes as 64 hex digits.
//!
//! Sizes and indices are `u64` everywhere (a log position), paths are ordered
//! leaf-side first, as in the RFCs. Two choices go beyond RFC 6962: a consistency
//! proof from size 0 is empty but requires the old root to be the empty-tree
//! root, and an inclusion proof binds a leaf to a root, not to a size — so
//! proofs are checked against a [`Checkpoint`], which pins both.

pub mod hash;
pub mod prove;
pub mod tree;
pub mod verify;
pub mod wire;

pub use hash::{Hash, HexHash, ParseHashError, empty_root, leaf_hash, node_hash};
pub use prove::{ProofError, SubtreeFn, SubtreeHashes, prove_consistency, prove_inclusion, root_at};
pub use tree::MerkleTree;
pub use verify::{VerifyError, root_from_inclusion_proof, verify_consistency, verify_inclusion};
pub use wire::{Checkpoint, ConsistencyProof, InclusionProof};
