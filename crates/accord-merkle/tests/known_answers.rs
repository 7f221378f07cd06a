//! Roots and proofs whose values are known independently of this crate: worked
//! by hand from RFC 6962's definition, the RFC's own examples, and the
//! Certificate Transparency reference vectors.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use accord_merkle::{MerkleTree, empty_root, leaf_hash, node_hash, verify_consistency, verify_inclusion};
use common::{leaf, node, unhex};

/// The leaf data of the CT reference tree.
const CT_LEAF_DATA: [&[u8]; 8] = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
];

/// Published roots of the CT reference tree at sizes 0..=8.
const CT_ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn ct_tree() -> MerkleTree {
    CT_LEAF_DATA.iter().map(|data| leaf_hash(data)).collect()
}

#[test]
fn hashing_primitives_match_sha256_directly() {
    assert_eq!(empty_root(), unhex(CT_ROOTS[0]));
    for data in CT_LEAF_DATA {
        assert_eq!(leaf_hash(data), leaf(data));
    }
    let (a, b) = (leaf(b"a"), leaf(b"b"));
    assert_eq!(node_hash(&a, &b), node(&a, &b));
}

#[test]
fn roots_for_sizes_0_to_8_worked_by_hand() {
    let d: Vec<_> = CT_LEAF_DATA.iter().map(|data| leaf(data)).collect();
    let n = |l, r| node(&l, &r);
    // MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n, spelled out.
    let n01 = n(d[0], d[1]);
    let n23 = n(d[2], d[3]);
    let n45 = n(d[4], d[5]);
    let n67 = n(d[6], d[7]);
    let n0123 = n(n01, n23);
    let by_hand: [[u8; 32]; 9] = [
        unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), // SHA-256("")
        d[0],
        n01,
        n(n01, d[2]),
        n0123,
        n(n0123, d[4]),
        n(n0123, n45),
        n(n0123, n(n45, d[6])),
        n(n0123, n(n45, n67)),
    ];
    let tree = ct_tree();
    for (size, expected) in by_hand.iter().enumerate() {
        assert_eq!(tree.root(size as u64).unwrap(), *expected, "size {size}");
        assert_eq!(hex::encode(expected), CT_ROOTS[size], "size {size}: the hand computation and CT disagree");
    }
}

/// The 7-leaf example of RFC 6962 §2.1.3, with its node names.
#[test]
fn rfc_6962_audit_paths_and_consistency_proofs() {
    let [a, b, c, d, e, f, j] = ["d0", "d1", "d2", "d3", "d4", "d5", "d6"].map(|data| leaf(data.as_bytes()));
    let (g, h, i) = (node(&a, &b), node(&c, &d), node(&e, &f));
    let (k, l) = (node(&g, &h), node(&i, &j));
    let root = node(&k, &l);
    let tree: MerkleTree = [a, b, c, d, e, f, j].into_iter().collect();
    assert_eq!(tree.current_root(), root);

    for (index, expected) in [(0, vec![b, h, l]), (3, vec![c, g, l]), (4, vec![f, j, k]), (6, vec![i, k])] {
        assert_eq!(tree.inclusion_proof(index, 7).unwrap(), expected, "audit path of d{index}");
        let leaf = tree.leaf_hashes()[index as usize];
        assert_eq!(verify_inclusion(&leaf, index, 7, &expected, &root), Ok(()));
    }
    let (hash0, hash1, hash2) = (node(&g, &c), k, node(&k, &i));
    for (old_size, old_root, expected) in [(3, hash0, vec![c, d, g, l]), (4, hash1, vec![l]), (6, hash2, vec![i, j, k])]
    {
        assert_eq!(tree.root(old_size).unwrap(), old_root);
        assert_eq!(tree.consistency_proof(old_size, 7).unwrap(), expected, "PROOF({old_size}, D[7])");
        assert_eq!(verify_consistency(old_size, 7, &old_root, &root, &expected), Ok(()));
    }
}

#[test]
fn ct_reference_inclusion_proofs() {
    let tree = ct_tree();
    let vectors: [(u64, u64, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (index, size, path) in vectors {
        let expected: Vec<_> = path.iter().map(|hash| unhex(hash)).collect();
        assert_eq!(tree.inclusion_proof(index, size).unwrap(), expected, "leaf {index} at size {size}");
        let root = unhex(CT_ROOTS[size as usize]);
        let leaf = leaf_hash(CT_LEAF_DATA[index as usize]);
        assert_eq!(verify_inclusion(&leaf, index, size, &expected, &root), Ok(()));
    }
}

#[test]
fn ct_reference_consistency_proofs() {
    let tree = ct_tree();
    let vectors: [(u64, u64, &[&str]); 3] = [
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (old_size, new_size, path) in vectors {
        let expected: Vec<_> = path.iter().map(|hash| unhex(hash)).collect();
        assert_eq!(tree.consistency_proof(old_size, new_size).unwrap(), expected, "{old_size} -> {new_size}");
        let (old_root, new_root) = (unhex(CT_ROOTS[old_size as usize]), unhex(CT_ROOTS[new_size as usize]));
        assert_eq!(verify_consistency(old_size, new_size, &old_root, &new_root, &expected), Ok(()));
    }
}

#[test]
fn trivial_consistency_claims() {
    let tree = ct_tree();
    let root = |size| unhex(CT_ROOTS[size]);
    assert_eq!(tree.consistency_proof(0, 8).unwrap(), Vec::<[u8; 32]>::new());
    assert_eq!(verify_consistency(0, 8, &root(0), &root(8), &[]), Ok(()));
    assert_eq!(verify_consistency(5, 5, &root(5), &root(5), &[]), Ok(()));
    assert_eq!(verify_consistency(0, 0, &root(0), &root(0), &[]), Ok(()));
    // Stricter than RFC 9162, which leaves the size-0 root unchecked.
    assert!(verify_consistency(0, 8, &root(3), &root(8), &[]).is_err());
    assert!(verify_consistency(5, 5, &root(5), &root(6), &[]).is_err());
    assert!(verify_consistency(5, 5, &root(5), &root(5), &[root(5)]).is_err());
    assert!(verify_consistency(0, 3, &root(0), &root(3), &[root(0)]).is_err());
    assert!(verify_consistency(2, 1, &root(2), &root(1), &[]).is_err());
}
