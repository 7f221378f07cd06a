//! Proofs and checkpoints as they travel: through the API and into evidence bundles.

use serde::{Deserialize, Serialize};

use crate::hash::{Hash, HexHash};
use crate::verify::{VerifyError, verify_consistency, verify_inclusion};

/// The log's state at one size: the pair a client pins and checks every proof against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Checkpoint {
    pub size: u64,
    pub root: HexHash,
}

impl Checkpoint {
    pub fn new(size: u64, root: Hash) -> Self {
        Checkpoint { size, root: HexHash(root) }
    }
}

/// The audit path showing leaf `index` is in the tree of `size` leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    pub path: Vec<HexHash>,
}

impl InclusionProof {
    pub fn new(index: u64, size: u64, path: Vec<Hash>) -> Self {
        InclusionProof { index, size, path: path.into_iter().map(HexHash).collect() }
    }

    /// Checks that `leaf_hash` is in the log at `checkpoint`, which must be the
    /// checkpoint the proof was made for.
    pub fn verify(&self, leaf_hash: &Hash, checkpoint: &Checkpoint) -> Result<(), VerifyError> {
        if self.size != checkpoint.size {
            return Err(VerifyError::CheckpointSizeMismatch {
                proof_size: self.size,
                checkpoint_size: checkpoint.size,
            });
        }
        verify_inclusion(leaf_hash, self.index, self.size, &raw(&self.path), &checkpoint.root.0)
    }
}

/// The proof that the tree of `old_size` leaves is a prefix of the tree of `new_size` leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    pub path: Vec<HexHash>,
}

impl ConsistencyProof {
    pub fn new(old_size: u64, new_size: u64, path: Vec<Hash>) -> Self {
        ConsistencyProof { old_size, new_size, path: path.into_iter().map(HexHash).collect() }
    }

    /// Checks that the log at `new` extends the log at `old` without rewriting it.
    pub fn verify(&self, old: &Checkpoint, new: &Checkpoint) -> Result<(), VerifyError> {
        for (proof_size, checkpoint_size) in [(self.old_size, old.size), (self.new_size, new.size)] {
            if proof_size != checkpoint_size {
                return Err(VerifyError::CheckpointSizeMismatch { proof_size, checkpoint_size });
            }
        }
        verify_consistency(self.old_size, self.new_size, &old.root.0, &new.root.0, &raw(&self.path))
    }
}

fn raw(path: &[HexHash]) -> Vec<Hash> {
    path.iter().map(|hash| hash.0).collect()
}
