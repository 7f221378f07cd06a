//! Proof verification with nothing but the proof, the sizes and the roots
//! (RFC 9162 §2.1.3.2 and §2.1.4.2), so a client can check a log offline.

use crate::hash::{Hash, empty_root, node_hash};

/// Why a proof was rejected. Every variant names the sizes involved, so the
/// message can be shown to a person as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("leaf index {index} is outside a tree of size {size}")]
    LeafIndexOutOfRange { index: u64, size: u64 },
    #[error("inclusion proof for leaf {index} at size {size} has {actual} hashes, expected {expected}")]
    InclusionPathLength { index: u64, size: u64, expected: usize, actual: usize },
    #[error("inclusion proof for leaf {index} does not match root at size {size}")]
    InclusionRootMismatch { index: u64, size: u64 },
    #[error("no consistency proof goes from size {old_size} back to the smaller size {new_size}")]
    OldSizeExceedsNew { old_size: u64, new_size: u64 },
    #[error("consistency proof from size {old_size} to {new_size} has {actual} hashes, expected {expected}")]
    ConsistencyPathLength { old_size: u64, new_size: u64, expected: usize, actual: usize },
    #[error("the root claimed for the empty tree is not SHA-256 of the empty string")]
    NotTheEmptyRoot,
    #[error("two different roots claimed for size {size}: the log has forked")]
    RootsDifferAtSameSize { size: u64 },
    #[error("consistency proof from size {old_size} to {new_size} does not reproduce the root at size {old_size}")]
    OldRootMismatch { old_size: u64, new_size: u64 },
    #[error("consistency proof from size {old_size} to {new_size} does not reproduce the root at size {new_size}")]
    NewRootMismatch { old_size: u64, new_size: u64 },
    #[error("the proof is for size {proof_size} but the checkpoint is at size {checkpoint_size}")]
    CheckpointSizeMismatch { proof_size: u64, checkpoint_size: u64 },
}

/// Checks that `leaf_hash` sits at `index` in the tree of `size` leaves whose root is `root`.
///
/// An inclusion proof binds the leaf to the *root*; the claimed size only picks
/// the shape of the path, and a few sizes can share a shape. A root must
/// therefore always come paired with its size, as in a [`crate::Checkpoint`].
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    path: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    if root_from_inclusion_proof(leaf_hash, index, size, path)? == *root {
        Ok(())
    } else {
        Err(VerifyError::InclusionRootMismatch { index, size })
    }
}

/// The root an inclusion proof commits to, for a caller that looks the root up afterwards.
pub fn root_from_inclusion_proof(leaf_hash: &Hash, index: u64, size: u64, path: &[Hash]) -> Result<Hash, VerifyError> {
    if index >= size {
        return Err(VerifyError::LeafIndexOutOfRange { index, size });
    }
    let expected = inclusion_path_len(index, size);
    let wrong_length = VerifyError::InclusionPathLength { index, size, expected, actual: path.len() };
    if path.len() != expected {
        return Err(wrong_length);
    }
    // `node` is the leaf's position at the current height, `last` that of the
    // tree's last leaf; when they meet, `node` is on the right edge where a
    // ragged tree skips levels.
    let (mut node, mut last) = (index, size - 1);
    let mut hash = *leaf_hash;
    for sibling in path {
        if last == 0 {
            return Err(wrong_length);
        }
        if node & 1 == 1 || node == last {
            hash = node_hash(sibling, &hash);
            while node & 1 == 0 && node != 0 {
                node >>= 1;
                last >>= 1;
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(wrong_length);
    }
    Ok(hash)
}

/// Checks that the tree with root `old_root` at `old_size` is a prefix of the tree
/// with root `new_root` at `new_size`.
///
/// Size 0 needs no proof, but its root must be the empty-tree root; equal sizes
/// need no proof but equal roots (two roots for one size are a fork).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    path: &[Hash],
) -> Result<(), VerifyError> {
    if old_size > new_size {
        return Err(VerifyError::OldSizeExceedsNew { old_size, new_size });
    }
    let expected = consistency_path_len(old_size, new_size);
    let wrong_length = VerifyError::ConsistencyPathLength { old_size, new_size, expected, actual: path.len() };
    if path.len() != expected {
        return Err(wrong_length);
    }
    if old_size == new_size {
        return if old_root == new_root { Ok(()) } else { Err(VerifyError::RootsDifferAtSameSize { size: old_size }) };
    }
    if old_size == 0 {
        return if *old_root == empty_root() { Ok(()) } else { Err(VerifyError::NotTheEmptyRoot) };
    }

    // An old tree of 2^k leaves is itself a node of the new tree, and the proof
    // leaves out its hash because the verifier holds it: the old root.
    let (seed, rest) = match path.split_first() {
        Some((first, rest)) if !old_size.is_power_of_two() => (*first, rest),
        _ => (*old_root, path),
    };
    let (mut node, mut last) = (old_size - 1, new_size - 1);
    while node & 1 == 1 {
        node >>= 1;
        last >>= 1;
    }
    let (mut old_hash, mut new_hash) = (seed, seed);
    for sibling in rest {
        if last == 0 {
            return Err(wrong_length);
        }
        if node & 1 == 1 || node == last {
            old_hash = node_hash(sibling, &old_hash);
            new_hash = node_hash(sibling, &new_hash);
            while node & 1 == 0 && node != 0 {
                node >>= 1;
                last >>= 1;
            }
        } else {
            new_hash = node_hash(&new_hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(wrong_length);
    }
    if old_hash != *old_root {
        return Err(VerifyError::OldRootMismatch { old_size, new_size });
    }
    if new_hash != *new_root {
        return Err(VerifyError::NewRootMismatch { old_size, new_size });
    }
    Ok(())
}

/// Length of PATH(index, D[size]): one hash per level below where the paths to
/// `index` and to the last leaf part ("inner"), then one per left sibling on the
/// shared right edge above it ("border"). `index < size`.
pub(crate) fn inclusion_path_len(index: u64, size: u64) -> usize {
    let inner = bit_length(index ^ (size - 1));
    let border = shift_right(index, inner).count_ones();
    (inner + border) as usize
}

/// Length of PROOF(old_size, D[new_size]), 0 for the proof-less cases.
pub(crate) fn consistency_path_len(old_size: u64, new_size: u64) -> usize {
    if old_size == 0 || old_size >= new_size {
        return 0;
    }
    // The old tree's last leaf climbs for free while it is a right child: those
    // levels hold the seed node (the largest complete subtree ending at old_size).
    let climb = old_size.trailing_zeros();
    let (node, last) = ((old_size - 1) >> climb, (new_size - 1) >> climb);
    let inner = bit_length(node ^ last);
    let border = shift_right(node, inner).count_ones();
    let seed = u32::from(!old_size.is_power_of_two());
    (seed + inner + border) as usize
}

fn bit_length(value: u64) -> u32 {
    u64::BITS - value.leading_zeros()
}

/// `value >> bits`, where shifting out all 64 bits leaves 0 (the paths of a
/// 2^64-leaf tree diverge at the root, so `inner` can be 64).
fn shift_right(value: u64, bits: u32) -> u64 {
    value.checked_shr(bits).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use super::*;

    #[test]
    fn path_lengths_of_small_trees() {
        // The examples of RFC 6962 §2.1.3 (audit paths and consistency proofs in a 7-leaf tree).
        assert_eq!(inclusion_path_len(0, 7), 3);
        assert_eq!(inclusion_path_len(3, 7), 3);
        assert_eq!(inclusion_path_len(4, 7), 3);
        assert_eq!(inclusion_path_len(6, 7), 2);
        assert_eq!(consistency_path_len(3, 7), 4);
        assert_eq!(consistency_path_len(4, 7), 1);
        assert_eq!(consistency_path_len(6, 7), 3);
        // Worked by hand from the recursion.
        assert_eq!(inclusion_path_len(0, 1), 0);
        assert_eq!(inclusion_path_len(0, 8), 3);
        assert_eq!(inclusion_path_len(4, 5), 1);
        assert_eq!(inclusion_path_len(2, 3), 1);
        assert_eq!(inclusion_path_len(812, 830), 8);
        // Paths that part at the root of a tree of more than 2^63 leaves.
        assert_eq!(inclusion_path_len(0, u64::MAX), 64);
        assert_eq!(inclusion_path_len(1 << 63, u64::MAX), 64);
        assert_eq!(inclusion_path_len(u64::MAX - 1, u64::MAX), 63);
        assert_eq!(consistency_path_len(1 << 63, u64::MAX), 1);
        assert_eq!(consistency_path_len(1, u64::MAX), 64);
        assert_eq!(consistency_path_len(3, u64::MAX), 65);
        assert_eq!(consistency_path_len(1, 2), 1);
        assert_eq!(consistency_path_len(0, 9), 0);
        assert_eq!(consistency_path_len(9, 9), 0);
    }

    #[test]
    fn a_one_leaf_tree_is_its_own_root() {
        let leaf = crate::leaf_hash(b"only");
        assert_eq!(verify_inclusion(&leaf, 0, 1, &[], &leaf), Ok(()));
        assert_eq!(
            verify_inclusion(&leaf, 0, 1, &[], &empty_root()),
            Err(VerifyError::InclusionRootMismatch { index: 0, size: 1 })
        );
    }

    #[test]
    fn messages_name_what_failed() {
        let leaf = crate::leaf_hash(b"x");
        let err = verify_inclusion(&leaf, 812, 830, &[leaf; 8], &leaf).unwrap_err();
        assert_eq!(err.to_string(), "inclusion proof for leaf 812 does not match root at size 830");
        let err = verify_inclusion(&leaf, 812, 830, &[leaf; 3], &leaf).unwrap_err();
        assert_eq!(err.to_string(), "inclusion proof for leaf 812 at size 830 has 3 hashes, expected 8");
        let err = verify_consistency(7, 7, &leaf, &empty_root(), &[]).unwrap_err();
        assert_eq!(err.to_string(), "two different roots claimed for size 7: the log has forked");
        let err = verify_consistency(8, 3, &leaf, &leaf, &[]).unwrap_err();
        assert_eq!(err.to_string(), "no consistency proof goes from size 8 back to the smaller size 3");
    }
}
