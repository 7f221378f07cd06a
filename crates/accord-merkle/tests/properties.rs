//! The crate against the naive recursive RFC 6962 of `common`, on random trees
//! of up to 300 leaves, and the verifiers against tampering and garbage.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use accord_merkle::{
    Hash, MerkleTree, VerifyError, prove_consistency, prove_inclusion, root_at, root_from_inclusion_proof,
    verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

/// Distinct leaves: the tamper properties below hold only up to hash collisions,
/// which equal leaves would manufacture.
fn leaves(n: usize, seed: u64) -> Vec<Hash> {
    (0..n as u64).map(|i| common::leaf(&[seed.to_le_bytes(), i.to_le_bytes()].concat())).collect()
}

/// Roots of every size 0..=n from the recursive definition.
fn naive_roots(leaves: &[Hash]) -> Vec<Hash> {
    (0..=leaves.len()).map(|size| common::mth(&leaves[..size])).collect()
}

fn flip_bit(hash: &mut Hash, bit: usize) {
    hash[bit / 8 % 32] ^= 1 << (bit % 8);
}

/// A size that is sometimes tiny, sometimes huge, sometimes at the edge of u64.
fn any_size() -> impl Strategy<Value = u64> {
    prop_oneof![0..20u64, any::<u64>(), (u64::MAX - 3)..=u64::MAX, Just(1u64 << 63)]
}

fn any_path() -> impl Strategy<Value = Vec<Hash>> {
    prop::collection::vec(any::<Hash>(), 0..70)
}

#[test]
fn every_proof_of_small_trees_matches_the_rfc_recursion() {
    let leaves = leaves(40, 7);
    let tree = MerkleTree::from_leaf_hashes(leaves.clone());
    for size in 0..=leaves.len() {
        let prefix = &leaves[..size];
        assert_eq!(tree.root(size as u64).unwrap(), common::mth(prefix));
        for index in 0..size {
            let expected = common::path(index, prefix);
            assert_eq!(tree.inclusion_proof(index as u64, size as u64).unwrap(), expected, "PATH({index}, D[{size}])");
            assert_eq!(prove_inclusion(leaves.as_slice(), index as u64, size as u64).unwrap(), expected);
        }
        for old_size in 1..size {
            let expected = common::proof(old_size, prefix);
            let (old, new) = (old_size as u64, size as u64);
            assert_eq!(tree.consistency_proof(old, new).unwrap(), expected, "PROOF({old_size}, D[{size}])");
            assert_eq!(prove_consistency(leaves.as_slice(), old, new).unwrap(), expected);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn every_inclusion_proof_verifies(n in 0usize..=300, seed in any::<u64>()) {
        let leaves = leaves(n, seed);
        let roots = naive_roots(&leaves);
        let tree = MerkleTree::from_leaf_hashes(leaves.clone());
        for size in 0..=n as u64 {
            prop_assert_eq!(tree.root(size).unwrap(), roots[size as usize]);
            for index in 0..size {
                let path = tree.inclusion_proof(index, size).unwrap();
                let leaf = &leaves[index as usize];
                prop_assert_eq!(verify_inclusion(leaf, index, size, &path, &roots[size as usize]), Ok(()));
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies(n in 0usize..=300, seed in any::<u64>()) {
        let leaves = leaves(n, seed);
        let roots = naive_roots(&leaves);
        let tree = MerkleTree::from_leaf_hashes(leaves);
        for new_size in 0..=n as u64 {
            for old_size in 0..=new_size {
                let path = tree.consistency_proof(old_size, new_size).unwrap();
                let (old_root, new_root) = (&roots[old_size as usize], &roots[new_size as usize]);
                prop_assert_eq!(verify_consistency(old_size, new_size, old_root, new_root, &path), Ok(()));
            }
        }
    }

    #[test]
    fn sampled_proofs_match_the_rfc_recursion_and_the_slice_form(
        n in 1usize..=300,
        seed in any::<u64>(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 8),
    ) {
        let leaves = leaves(n, seed);
        let tree = MerkleTree::from_leaf_hashes(leaves.clone());
        for (a, b) in picks {
            let size = b.index(n) + 1;
            let index = a.index(size);
            let prefix = &leaves[..size];
            let (index64, size64) = (index as u64, size as u64);
            prop_assert_eq!(tree.inclusion_proof(index64, size64).unwrap(), common::path(index, prefix));
            prop_assert_eq!(prove_inclusion(leaves.as_slice(), index64, size64).unwrap(), common::path(index, prefix));
            prop_assert_eq!(root_at(leaves.as_slice(), size64).unwrap(), common::mth(prefix));
            if index > 0 {
                let expected = common::proof(index, prefix);
                prop_assert_eq!(tree.consistency_proof(index64, size64).unwrap(), expected.clone());
                prop_assert_eq!(prove_consistency(leaves.as_slice(), index64, size64).unwrap(), expected);
            }
        }
    }

    #[test]
    fn pushing_leaves_one_by_one_gives_the_same_roots(n in 0usize..=300, seed in any::<u64>()) {
        let leaves = leaves(n, seed);
        let roots = naive_roots(&leaves);
        let mut tree = MerkleTree::new();
        prop_assert_eq!(tree.current_root(), roots[0]);
        for (i, leaf) in leaves.iter().enumerate() {
            tree.push(*leaf);
            prop_assert_eq!(tree.current_root(), roots[i + 1]);
        }
        prop_assert_eq!(tree, MerkleTree::from_leaf_hashes(leaves));
    }

    #[test]
    fn a_tampered_inclusion_proof_fails(
        n in 1usize..=300,
        seed in any::<u64>(),
        pick in (any::<prop::sample::Index>(), any::<prop::sample::Index>()),
        bit in 0usize..256,
    ) {
        let leaves = leaves(n, seed);
        let tree = MerkleTree::from_leaf_hashes(leaves.clone());
        let size = pick.1.index(n) as u64 + 1;
        let index = pick.0.index(size as usize) as u64;
        let path = tree.inclusion_proof(index, size).unwrap();
        let root = tree.root(size).unwrap();
        let leaf = leaves[index as usize];
        prop_assert_eq!(verify_inclusion(&leaf, index, size, &path, &root), Ok(()));

        for i in 0..path.len() {
            let mut tampered = path.clone();
            flip_bit(&mut tampered[i], bit);
            prop_assert!(verify_inclusion(&leaf, index, size, &tampered, &root).is_err(), "path[{}] flipped", i);
        }
        let mut wrong_leaf = leaf;
        flip_bit(&mut wrong_leaf, bit);
        prop_assert!(verify_inclusion(&wrong_leaf, index, size, &path, &root).is_err());
        let mut wrong_root = root;
        flip_bit(&mut wrong_root, bit);
        prop_assert_eq!(
            verify_inclusion(&leaf, index, size, &path, &wrong_root),
            Err(VerifyError::InclusionRootMismatch { index, size })
        );
        for other_index in [index.wrapping_sub(1), index + 1, index ^ 2, index ^ 1] {
            if other_index != index {
                prop_assert!(verify_inclusion(&leaf, other_index, size, &path, &root).is_err(), "index {}", other_index);
            }
        }

        let expected = path.len();
        let wrong_length = |actual| Err(VerifyError::InclusionPathLength { index, size, expected, actual });
        let longer_at_end = [path.clone(), vec![root]].concat();
        let longer_at_front = [vec![root], path.clone()].concat();
        prop_assert_eq!(verify_inclusion(&leaf, index, size, &longer_at_end, &root), wrong_length(expected + 1));
        prop_assert_eq!(verify_inclusion(&leaf, index, size, &longer_at_front, &root), wrong_length(expected + 1));
        if let Some((_, shorter)) = path.split_last() {
            prop_assert_eq!(verify_inclusion(&leaf, index, size, shorter, &root), wrong_length(expected - 1));
            prop_assert_eq!(verify_inclusion(&leaf, index, size, &path[1..], &root), wrong_length(expected - 1));
        }
    }

    /// A proof verifies against another (index, checkpoint) of the same log
    /// exactly when it is also the honest proof for that claim.
    #[test]
    fn an_inclusion_proof_proves_only_its_own_claim(
        n in 1usize..=64,
        seed in any::<u64>(),
        claims in prop::collection::vec((0u64..=64, 0u64..=64), 16),
    ) {
        let leaves = leaves(n, seed);
        let tree = MerkleTree::from_leaf_hashes(leaves.clone());
        let size = claims[0].1 % n as u64 + 1;
        let index = claims[0].0 % size;
        let path = tree.inclusion_proof(index, size).unwrap();
        for &(other_index, other_size) in &claims {
            let other_size = other_size % (n as u64 + 1);
            let other_index = other_index % (n as u64);
            let honest = tree.inclusion_proof(other_index, other_size).ok();
            let other_root = tree.root(other_size).unwrap();
            let other_leaf = leaves[other_index as usize];
            let verdict = verify_inclusion(&other_leaf, other_index, other_size, &path, &other_root);
            prop_assert_eq!(
                verdict.is_ok(),
                honest.as_ref() == Some(&path),
                "proof for leaf {} at size {} claimed as leaf {} at size {}: {:?}",
                index, size, other_index, other_size, verdict
            );
        }
    }

    #[test]
    fn a_tampered_consistency_proof_fails(
        n in 2usize..=300,
        seed in any::<u64>(),
        pick in (any::<prop::sample::Index>(), any::<prop::sample::Index>()),
        bit in 0usize..256,
    ) {
        let leaves = leaves(n, seed);
        let tree = MerkleTree::from_leaf_hashes(leaves);
        let new_size = pick.1.index(n - 1) as u64 + 2;
        let old_size = pick.0.index(new_size as usize - 1) as u64 + 1;
        let path = tree.consistency_proof(old_size, new_size).unwrap();
        let (old_root, new_root) = (tree.root(old_size).unwrap(), tree.root(new_size).unwrap());
        let verify = |old_size, new_size, old_root: &Hash, new_root: &Hash, path: &[Hash]| {
            verify_consistency(old_size, new_size, old_root, new_root, path)
        };
        prop_assert_eq!(verify(old_size, new_size, &old_root, &new_root, &path), Ok(()));
        prop_assert!(!path.is_empty());

        for i in 0..path.len() {
            let mut tampered = path.clone();
            flip_bit(&mut tampered[i], bit);
            prop_assert!(verify(old_size, new_size, &old_root, &new_root, &tampered).is_err(), "path[{}] flipped", i);
        }
        let (mut wrong_old, mut wrong_new) = (old_root, new_root);
        flip_bit(&mut wrong_old, bit);
        flip_bit(&mut wrong_new, bit);
        prop_assert!(verify(old_size, new_size, &wrong_old, &new_root, &path).is_err());
        prop_assert!(verify(old_size, new_size, &old_root, &wrong_new, &path).is_err());
        prop_assert!(verify(old_size, new_size, &new_root, &old_root, &path).is_err());
        prop_assert!(verify(new_size, old_size, &new_root, &old_root, &path).is_err());

        let expected = path.len();
        let wrong_length =
            |actual| Err(VerifyError::ConsistencyPathLength { old_size, new_size, expected, actual });
        prop_assert_eq!(verify(old_size, new_size, &old_root, &new_root, &[]), wrong_length(0));
        let longer_at_end = [path.clone(), vec![new_root]].concat();
        let longer_at_front = [vec![old_root], path.clone()].concat();
        prop_assert_eq!(verify(old_size, new_size, &old_root, &new_root, &longer_at_end), wrong_length(expected + 1));
        prop_assert_eq!(verify(old_size, new_size, &old_root, &new_root, &longer_at_front), wrong_length(expected + 1));
        prop_assert_eq!(verify(old_size, new_size, &old_root, &new_root, &path[1..]), wrong_length(expected - 1));
    }

    /// A proof verifies against another pair of checkpoints of the same log
    /// exactly when it is also the honest proof between them.
    #[test]
    fn a_consistency_proof_proves_only_its_own_claim(
        n in 1usize..=64,
        seed in any::<u64>(),
        claims in prop::collection::vec((0u64..=64, 0u64..=64), 16),
    ) {
        let leaves = leaves(n, seed);
        let tree = MerkleTree::from_leaf_hashes(leaves);
        let n = n as u64;
        let (old_size, new_size) = (claims[0].0 % (n + 1), claims[0].1 % (n + 1));
        let (old_size, new_size) = (old_size.min(new_size), old_size.max(new_size));
        let path = tree.consistency_proof(old_size, new_size).unwrap();
        for &(other_old, other_new) in &claims {
            let (other_old, other_new) = (other_old % (n + 1), other_new % (n + 1));
            let honest = tree.consistency_proof(other_old, other_new).ok();
            let (old_root, new_root) = (tree.root(other_old).unwrap(), tree.root(other_new).unwrap());
            let verdict = verify_consistency(other_old, other_new, &old_root, &new_root, &path);
            prop_assert_eq!(
                verdict.is_ok(),
                honest.as_ref() == Some(&path),
                "proof {} -> {} claimed as {} -> {}: {:?}",
                old_size, new_size, other_old, other_new, verdict
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Garbage in, an error out: never a panic, and never a pass — random roots
    /// match nothing.
    #[test]
    fn verifiers_reject_garbage_without_panicking(
        index in any_size(),
        size in any_size(),
        old_size in any_size(),
        path in any_path(),
        leaf in any::<Hash>(),
        root in any::<Hash>(),
        other_root in any::<Hash>(),
    ) {
        prop_assert!(verify_inclusion(&leaf, index, size, &path, &root).is_err());
        let _ = root_from_inclusion_proof(&leaf, index, size, &path);
        prop_assert!(verify_consistency(old_size, size, &root, &other_root, &path).is_err());
        prop_assert!(verify_consistency(size, old_size, &root, &other_root, &path).is_err());
    }

    /// The right number of hashes for a huge claim exercises the hashing loop at the u64 edge.
    #[test]
    fn verifiers_survive_huge_sizes_with_well_sized_paths(
        size in (u64::MAX / 2)..=u64::MAX,
        index_seed in any::<u64>(),
        old_seed in any::<u64>(),
        hashes in prop::collection::vec(any::<Hash>(), 130),
        root in any::<Hash>(),
    ) {
        let index = index_seed % size;
        let inclusion_len = verify_inclusion(&root, index, size, &[], &root).err().and_then(|err| match err {
            VerifyError::InclusionPathLength { expected, .. } => Some(expected),
            _ => None,
        });
        if let Some(len) = inclusion_len {
            prop_assert!(len <= 128);
            prop_assert!(verify_inclusion(&root, index, size, &hashes[..len], &root).is_err());
        }
        let old_size = old_seed % size + 1;
        let consistency_len = verify_consistency(old_size, size, &root, &root, &[]).err().and_then(|err| match err {
            VerifyError::ConsistencyPathLength { expected, .. } => Some(expected),
            _ => None,
        });
        if let Some(len) = consistency_len {
            prop_assert!(len <= 129);
            prop_assert!(verify_consistency(old_size, size, &root, &hashes[0], &hashes[..len]).is_err());
        }
    }

    #[test]
    fn generators_refuse_impossible_requests(index in any_size(), size in any_size(), n in 0usize..40) {
        let leaves = leaves(n, 1);
        let tree = MerkleTree::from_leaf_hashes(leaves.clone());
        let fits = size <= n as u64;
        prop_assert_eq!(tree.root(size).is_ok(), fits);
        prop_assert_eq!(root_at(leaves.as_slice(), size).is_ok(), fits);
        prop_assert_eq!(tree.inclusion_proof(index, size).is_ok(), fits && index < size);
        prop_assert_eq!(prove_inclusion(leaves.as_slice(), index, size).is_ok(), fits && index < size);
        prop_assert_eq!(tree.consistency_proof(index, size).is_ok(), fits && index <= size);
        prop_assert_eq!(prove_consistency(leaves.as_slice(), index, size).is_ok(), fits && index <= size);
    }
}

/// The documented limit of an inclusion proof: it binds the leaf to a root, and
/// the size only selects the path's shape, which some sizes share. Pairing the
/// root with its size in a checkpoint is what closes the gap.
#[test]
fn an_inclusion_proof_alone_does_not_pin_the_size() {
    let tree = MerkleTree::from_leaf_hashes(leaves(6, 3));
    let path = tree.inclusion_proof(0, 6).unwrap();
    let root6 = tree.root(6).unwrap();
    let leaf = tree.leaf_hashes()[0];
    assert_eq!(verify_inclusion(&leaf, 0, 5, &path, &root6), Ok(()));
    assert!(verify_inclusion(&leaf, 0, 5, &path, &tree.root(5).unwrap()).is_err());
    let proof = tree.inclusion(0, 6).unwrap();
    let mislabelled = accord_merkle::InclusionProof { size: 5, ..proof.clone() };
    assert_eq!(
        mislabelled.verify(&leaf, &tree.checkpoint(6).unwrap()),
        Err(VerifyError::CheckpointSizeMismatch { proof_size: 5, checkpoint_size: 6 })
    );
    assert_eq!(proof.verify(&leaf, &tree.checkpoint(6).unwrap()), Ok(()));
}
