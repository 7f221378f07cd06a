//! Roots and proofs over a 10^5-leaf log: the in-memory tree against the
//! slice path a store takes when it loads one negotiation's leaf hashes.

use accord_merkle::{Hash, MerkleTree, leaf_hash, prove_consistency, prove_inclusion, root_at, verify_inclusion};
use divan::{Bencher, black_box};

const LEAVES: u64 = 100_000;

fn main() {
    divan::main();
}

fn leaf_hashes() -> Vec<Hash> {
    (0..LEAVES).map(|i| leaf_hash(&i.to_le_bytes())).collect()
}

#[divan::bench(sample_count = 10)]
fn build_tree(bencher: Bencher) {
    bencher.with_inputs(leaf_hashes).bench_values(MerkleTree::from_leaf_hashes);
}

#[divan::bench]
fn tree_root_at_ragged_size(bencher: Bencher) {
    let tree = MerkleTree::from_leaf_hashes(leaf_hashes());
    bencher.bench(|| tree.root(black_box(LEAVES - 1)));
}

#[divan::bench]
fn tree_inclusion_proof(bencher: Bencher) {
    let tree = MerkleTree::from_leaf_hashes(leaf_hashes());
    bencher.bench(|| tree.inclusion_proof(black_box(31_337), black_box(LEAVES - 1)));
}

#[divan::bench]
fn tree_consistency_proof(bencher: Bencher) {
    let tree = MerkleTree::from_leaf_hashes(leaf_hashes());
    bencher.bench(|| tree.consistency_proof(black_box(77_777), black_box(LEAVES - 1)));
}

#[divan::bench(sample_count = 10)]
fn slice_root(bencher: Bencher) {
    let leaves = leaf_hashes();
    bencher.bench(|| root_at(leaves.as_slice(), black_box(LEAVES - 1)));
}

#[divan::bench(sample_count = 10)]
fn slice_inclusion_proof(bencher: Bencher) {
    let leaves = leaf_hashes();
    bencher.bench(|| prove_inclusion(leaves.as_slice(), black_box(31_337), black_box(LEAVES - 1)));
}

#[divan::bench(sample_count = 10)]
fn slice_consistency_proof(bencher: Bencher) {
    let leaves = leaf_hashes();
    bencher.bench(|| prove_consistency(leaves.as_slice(), black_box(77_777), black_box(LEAVES - 1)));
}

#[divan::bench]
fn verify_inclusion_proof(bencher: Bencher) {
    let tree = MerkleTree::from_leaf_hashes(leaf_hashes());
    let (index, size) = (31_337, LEAVES - 1);
    let path = tree.inclusion_proof(index, size).unwrap_or_default();
    let root = tree.root(size).unwrap_or_default();
    let leaf = tree.leaf_hashes()[index as usize];
    bencher.bench(|| verify_inclusion(&leaf, index, size, black_box(&path), &root));
}
