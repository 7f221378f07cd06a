//! The in-memory, append-only tree a log keeps while it runs.

use crate::hash::{Hash, node_hash};
use crate::prove::{self, ProofError, SubtreeHashes};
use crate::wire::{Checkpoint, ConsistencyProof, InclusionProof};

/// An append-only Merkle tree over leaf hashes that keeps every complete
/// subtree's hash, so the root at any size costs O(log n) lookups and hashes,
/// and proofs O(log n) too. Memory: about two hashes per leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[h][i]` is MTH of leaves `[i << h, (i + 1) << h)`; `levels[0]`
    /// holds the leaf hashes (always present, so equal trees compare equal).
    /// A level only holds the subtrees already complete.
    levels: Vec<Vec<Hash>>,
}

impl Default for MerkleTree {
    fn default() -> Self {
        MerkleTree { levels: vec![Vec::new()] }
    }
}

impl MerkleTree {
    pub fn new() -> Self {
        MerkleTree::default()
    }

    pub fn from_leaf_hashes(leaf_hashes: Vec<Hash>) -> Self {
        let mut levels = vec![leaf_hashes];
        while let Some(below) = levels.last().filter(|level| level.len() >= 2) {
            let above = below.chunks_exact(2).map(|pair| node_hash(&pair[0], &pair[1])).collect();
            levels.push(above);
        }
        MerkleTree { levels }
    }

    /// Appends a leaf, completing the subtrees it closes; returns its index.
    pub fn push(&mut self, leaf_hash: Hash) -> u64 {
        let index = self.len();
        let mut carry = leaf_hash;
        let mut height = 0;
        loop {
            if self.levels.len() == height {
                self.levels.push(Vec::new());
            }
            let level = &mut self.levels[height];
            level.push(carry);
            // An even count means the new node is a right child: its parent is now complete.
            if level.len() % 2 == 1 {
                return index;
            }
            carry = node_hash(&level[level.len() - 2], &level[level.len() - 1]);
            height += 1;
        }
    }

    pub fn len(&self) -> u64 {
        self.leaf_hashes().len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.leaf_hashes().is_empty()
    }

    pub fn leaf_hashes(&self) -> &[Hash] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    /// The root of the first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, ProofError> {
        prove::root_at(self, size)
    }

    /// The root over every leaf pushed so far.
    pub fn current_root(&self) -> Hash {
        // Infallible: len() never exceeds itself.
        prove::root_at(self, self.len()).unwrap_or_else(|_| crate::empty_root())
    }

    /// The signed-off state at `size`, for a client to pin and check proofs against.
    pub fn checkpoint(&self, size: u64) -> Result<Checkpoint, ProofError> {
        Ok(Checkpoint::new(size, self.root(size)?))
    }

    /// RFC 6962 audit path for leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        prove::prove_inclusion(self, index, size)
    }

    /// RFC 6962 consistency proof from the tree of `old_size` leaves to the one of `new_size`.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ProofError> {
        prove::prove_consistency(self, old_size, new_size)
    }

    /// [`Self::inclusion_proof`] in its serialisable form.
    pub fn inclusion(&self, index: u64, size: u64) -> Result<InclusionProof, ProofError> {
        Ok(InclusionProof::new(index, size, self.inclusion_proof(index, size)?))
    }

    /// [`Self::consistency_proof`] in its serialisable form.
    pub fn consistency(&self, old_size: u64, new_size: u64) -> Result<ConsistencyProof, ProofError> {
        Ok(ConsistencyProof::new(old_size, new_size, self.consistency_proof(old_size, new_size)?))
    }
}

impl SubtreeHashes for MerkleTree {
    fn leaf_count(&self) -> u64 {
        self.len()
    }

    fn complete_subtree(&self, level: u32, index: u64) -> Hash {
        // The trait contract guarantees the subtree is complete, hence stored.
        self.levels[level as usize][index as usize]
    }
}

impl Extend<Hash> for MerkleTree {
    fn extend<I: IntoIterator<Item = Hash>>(&mut self, leaf_hashes: I) {
        for leaf_hash in leaf_hashes {
            self.push(leaf_hash);
        }
    }
}

impl FromIterator<Hash> for MerkleTree {
    fn from_iter<I: IntoIterator<Item = Hash>>(leaf_hashes: I) -> Self {
        MerkleTree::from_leaf_hashes(leaf_hashes.into_iter().collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use super::*;
    use crate::hash::{empty_root, leaf_hash};

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect()
    }

    #[test]
    fn pushing_builds_the_same_tree_as_bulk_loading() {
        for n in 0..70 {
            let mut pushed = MerkleTree::new();
            for (i, leaf) in leaves(n).into_iter().enumerate() {
                assert_eq!(pushed.push(leaf), i as u64);
            }
            assert_eq!(pushed, MerkleTree::from_leaf_hashes(leaves(n)), "n = {n}");
        }
    }

    #[test]
    fn levels_hold_only_complete_subtrees() {
        let tree = MerkleTree::from_leaf_hashes(leaves(11));
        let widths: Vec<usize> = tree.levels.iter().map(Vec::len).collect();
        assert_eq!(widths, [11, 5, 2, 1]);
    }

    #[test]
    fn the_empty_tree_has_the_empty_root() {
        let tree = MerkleTree::new();
        assert!(tree.is_empty());
        assert_eq!(tree.current_root(), empty_root());
        assert_eq!(tree.root(0), Ok(empty_root()));
        assert_eq!(tree.root(1), Err(ProofError::SizeBeyondLog { size: 1, leaf_count: 0 }));
    }

    #[test]
    fn roots_match_the_slice_computation_at_every_size() {
        let leaves = leaves(37);
        let tree: MerkleTree = leaves.iter().copied().collect();
        assert_eq!(tree.len(), 37);
        for size in 0..=37 {
            assert_eq!(tree.root(size), prove::root_at(leaves.as_slice(), size), "size {size}");
        }
        assert_eq!(tree.current_root(), tree.root(37).unwrap());
    }
}
