//! Roots and proofs computed from any source of complete-subtree hashes.
//!
//! The algorithms here are RFC 6962 §2.1 (MTH), §2.1.1 (PATH) and §2.1.2 (PROOF),
//! unrolled into loops. They only ever ask the source for *complete, aligned*
//! subtrees — `2^level` leaves starting at a multiple of `2^level` — because those
//! are the hashes that never change as the log grows, so a store may cache them;
//! the ragged right edge of a tree is assembled here from its complete parts.

use crate::hash::{Hash, empty_root, node_hash};

/// Where proofs get their hashes from.
///
/// Implemented for a slice of leaf hashes (each subtree is hashed on demand, so a
/// proof costs O(size) hashing — fine for the thousands of events of one
/// negotiation), for [`crate::MerkleTree`] (O(1) lookups), and for [`SubtreeFn`]
/// (any closure, e.g. over a table of cached subtree hashes).
pub trait SubtreeHashes {
    /// The number of leaves the source holds: proofs can be asked for any size up to it.
    fn leaf_count(&self) -> u64;

    /// MTH of the `2^level` leaves starting at leaf `index << level`.
    ///
    /// Only called with `(index + 1) << level <= leaf_count()`.
    fn complete_subtree(&self, level: u32, index: u64) -> Hash;
}

impl SubtreeHashes for [Hash] {
    fn leaf_count(&self) -> u64 {
        self.len() as u64
    }

    fn complete_subtree(&self, level: u32, index: u64) -> Hash {
        // The trait contract bounds these by leaf_count(), itself a usize.
        let width = 1usize << level;
        let start = index as usize * width;
        complete_subtree_of(&self[start..start + width])
    }
}

fn complete_subtree_of(leaves: &[Hash]) -> Hash {
    match leaves {
        [leaf] => *leaf,
        _ => {
            let (left, right) = leaves.split_at(leaves.len() / 2);
            node_hash(&complete_subtree_of(left), &complete_subtree_of(right))
        }
    }
}

/// Adapts a closure `(level, index) -> MTH of leaves [index << level, (index + 1) << level)`
/// into a [`SubtreeHashes`] source.
pub struct SubtreeFn<F> {
    leaf_count: u64,
    subtree: F,
}

impl<F: Fn(u32, u64) -> Hash> SubtreeFn<F> {
    pub fn new(leaf_count: u64, subtree: F) -> Self {
        SubtreeFn { leaf_count, subtree }
    }
}

impl<F> std::fmt::Debug for SubtreeFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubtreeFn").field("leaf_count", &self.leaf_count).finish_non_exhaustive()
    }
}

impl<F: Fn(u32, u64) -> Hash> SubtreeHashes for SubtreeFn<F> {
    fn leaf_count(&self) -> u64 {
        self.leaf_count
    }

    fn complete_subtree(&self, level: u32, index: u64) -> Hash {
        (self.subtree)(level, index)
    }
}

/// A request the source cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("size {size} exceeds the {leaf_count} leaves the log holds")]
    SizeBeyondLog { size: u64, leaf_count: u64 },
    #[error("leaf index {index} is outside a tree of size {size}")]
    LeafIndexOutOfRange { index: u64, size: u64 },
    #[error("no consistency proof from size {old_size} back to the smaller size {new_size}")]
    OldSizeExceedsNew { old_size: u64, new_size: u64 },
}

/// The root of the first `size` leaves (the empty-tree root for size 0).
pub fn root_at<S: SubtreeHashes + ?Sized>(source: &S, size: u64) -> Result<Hash, ProofError> {
    check_size(source, size)?;
    Ok(if size == 0 { empty_root() } else { range_hash(source, 0, size) })
}

/// The audit path (RFC 6962 §2.1.1 PATH) proving leaf `index` is in the tree of
/// the first `size` leaves, ordered from the leaf's sibling up to the root's child.
pub fn prove_inclusion<S: SubtreeHashes + ?Sized>(source: &S, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
    check_size(source, size)?;
    if index >= size {
        return Err(ProofError::LeafIndexOutOfRange { index, size });
    }
    // Walk from the root down to the leaf, noting the sibling subtree at each
    // split; PATH lists them leaf-first, hence the final reverse.
    let (mut start, mut end) = (0, size);
    let mut path = Vec::new();
    while end - start > 1 {
        let split = start + largest_power_of_two_below(end - start);
        if index < split {
            path.push(range_hash(source, split, end));
            end = split;
        } else {
            path.push(range_hash(source, start, split));
            start = split;
        }
    }
    path.reverse();
    Ok(path)
}

/// The consistency proof (RFC 6962 §2.1.2 PROOF) that the tree of the first
/// `old_size` leaves is a prefix of the tree of the first `new_size` leaves.
/// Empty when `old_size` is 0 or equals `new_size`: those need no proof.
pub fn prove_consistency<S: SubtreeHashes + ?Sized>(
    source: &S,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, ProofError> {
    check_size(source, new_size)?;
    if old_size > new_size {
        return Err(ProofError::OldSizeExceedsNew { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    // SUBPROOF(m, D[start:end], b), unrolled: descend while the old tree's edge
    // (at leaf `old_size`) lies strictly inside the current subtree.
    let (mut start, mut end) = (0, new_size);
    let mut old_root_is_a_known_node = true;
    let mut path = Vec::new();
    while old_size < end {
        let split = start + largest_power_of_two_below(end - start);
        if old_size <= split {
            path.push(range_hash(source, split, end));
            end = split;
        } else {
            path.push(range_hash(source, start, split));
            start = split;
            old_root_is_a_known_node = false;
        }
    }
    // The descent ended on the subtree D[start:old_size]. When it is the whole old
    // tree, the verifier already holds its hash (the old root) and it is left out.
    if !old_root_is_a_known_node {
        path.push(range_hash(source, start, end));
    }
    path.reverse();
    Ok(path)
}

fn check_size<S: SubtreeHashes + ?Sized>(source: &S, size: u64) -> Result<(), ProofError> {
    let leaf_count = source.leaf_count();
    if size > leaf_count { Err(ProofError::SizeBeyondLog { size, leaf_count }) } else { Ok(()) }
}

/// The largest power of two strictly below `n` (the `k` of RFC 6962 §2.1). `n >= 2`.
pub(crate) fn largest_power_of_two_below(n: u64) -> u64 {
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

/// MTH(D[start:end]) for a non-empty range whose `start` is a multiple of a power
/// of two at least `end - start` — true of every subtree RFC 6962's recursion
/// visits. Such a range splits into complete aligned subtrees of strictly
/// decreasing size (the set bits of its length), hashed together right to left.
fn range_hash<S: SubtreeHashes + ?Sized>(source: &S, start: u64, end: u64) -> Hash {
    let mut remaining = end - start;
    let mut offset = start;
    let mut peaks = Vec::with_capacity(remaining.count_ones() as usize);
    while remaining > 0 {
        let level = u64::BITS - 1 - remaining.leading_zeros();
        peaks.push(source.complete_subtree(level, offset >> level));
        offset += 1 << level;
        remaining -= 1 << level;
    }
    let mut peaks = peaks.into_iter().rev();
    let smallest = peaks.next().unwrap_or_else(empty_root);
    peaks.fold(smallest, |right, left| node_hash(&left, &right))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn largest_power_of_two_below_is_strict() {
        let cases = [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (u64::MAX, 1 << 63)];
        for (n, k) in cases {
            assert_eq!(largest_power_of_two_below(n), k, "n = {n}");
        }
    }

    #[test]
    fn sizes_beyond_the_log_are_refused() {
        let leaves = leaves(5);
        let err = root_at(leaves.as_slice(), 6).unwrap_err();
        assert_eq!(err, ProofError::SizeBeyondLog { size: 6, leaf_count: 5 });
        assert_eq!(err.to_string(), "size 6 exceeds the 5 leaves the log holds");
        assert!(prove_inclusion(leaves.as_slice(), 0, 6).is_err());
        assert!(prove_consistency(leaves.as_slice(), 2, 6).is_err());
    }

    #[test]
    fn bad_indices_and_reversed_sizes_are_refused() {
        let leaves = leaves(5);
        assert_eq!(
            prove_inclusion(leaves.as_slice(), 5, 5),
            Err(ProofError::LeafIndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            prove_inclusion(leaves.as_slice(), 0, 0),
            Err(ProofError::LeafIndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(
            prove_consistency(leaves.as_slice(), 4, 3),
            Err(ProofError::OldSizeExceedsNew { old_size: 4, new_size: 3 })
        );
    }

    #[test]
    fn trivial_consistency_proofs_are_empty() {
        let leaves = leaves(5);
        assert_eq!(prove_consistency(leaves.as_slice(), 0, 5), Ok(vec![]));
        assert_eq!(prove_consistency(leaves.as_slice(), 3, 3), Ok(vec![]));
        assert_eq!(prove_consistency(leaves.as_slice(), 0, 0), Ok(vec![]));
    }

    #[test]
    fn a_closure_source_gives_the_same_answers_as_the_slice() {
        let leaves = leaves(13);
        let calls = std::cell::Cell::new(0);
        let source = SubtreeFn::new(13, |level, index| {
            calls.set(calls.get() + 1);
            let width = 1usize << level;
            complete_subtree_of(&leaves[index as usize * width..(index as usize + 1) * width])
        });
        for size in 0..=13 {
            assert_eq!(root_at(&source, size), root_at(leaves.as_slice(), size));
        }
        assert_eq!(prove_inclusion(&source, 6, 11), prove_inclusion(leaves.as_slice(), 6, 11));
        assert_eq!(prove_consistency(&source, 6, 11), prove_consistency(leaves.as_slice(), 6, 11));
        assert!(calls.get() > 0);
    }
}
