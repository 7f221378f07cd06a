//! A deliberately naive RFC 6962, written straight from the recursive definitions
//! with `sha2` directly, as the reference the crate is checked against.

#![allow(dead_code, clippy::unwrap_used)] // test code: a panic is a failed test

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub fn leaf(data: &[u8]) -> Hash {
    let mut preimage = vec![0x00];
    preimage.extend_from_slice(data);
    Sha256::digest(&preimage).into()
}

pub fn node(left: &Hash, right: &Hash) -> Hash {
    let mut preimage = vec![0x01];
    preimage.extend_from_slice(left);
    preimage.extend_from_slice(right);
    Sha256::digest(&preimage).into()
}

/// The `k` of RFC 6962: the largest power of two smaller than `n` (n > 1).
fn split_point(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]).
pub fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest(b"").into(),
        1 => leaves[0],
        n => {
            let k = split_point(n);
            node(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]).
pub fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split_point(n);
    if m < k {
        let mut path = path(m, &leaves[..k]);
        path.push(mth(&leaves[k..]));
        path
    } else {
        let mut path = path(m - k, &leaves[k..]);
        path.push(mth(&leaves[..k]));
        path
    }
}

/// PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for 0 < m < n.
pub fn proof(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    subproof(m, leaves, true)
}

fn subproof(m: usize, leaves: &[Hash], complete_old_tree: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if complete_old_tree { Vec::new() } else { vec![mth(leaves)] };
    }
    let k = split_point(n);
    if m <= k {
        let mut proof = subproof(m, &leaves[..k], complete_old_tree);
        proof.push(mth(&leaves[k..]));
        proof
    } else {
        let mut proof = subproof(m - k, &leaves[k..], false);
        proof.push(mth(&leaves[..k]));
        proof
    }
}

pub fn unhex(text: &str) -> Hash {
    let mut hash = [0; 32];
    hex::decode_to_slice(text, &mut hash).unwrap();
    hash
}
