//! The JSON shape of proofs and checkpoints, as the API and evidence bundles carry them.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use accord_merkle::{Checkpoint, ConsistencyProof, InclusionProof, MerkleTree, VerifyError, leaf_hash};

fn tree() -> MerkleTree {
    (0u8..7).map(|i| leaf_hash(&[i])).collect()
}

#[test]
fn json_shapes() {
    let tree = tree();
    insta::assert_json_snapshot!("checkpoint", tree.checkpoint(7).unwrap());
    insta::assert_json_snapshot!("inclusion_proof", tree.inclusion(4, 7).unwrap());
    insta::assert_json_snapshot!("consistency_proof", tree.consistency(3, 7).unwrap());
}

#[test]
fn proofs_survive_a_json_round_trip_and_still_verify() {
    let tree = tree();
    let (old, new) = (tree.checkpoint(3).unwrap(), tree.checkpoint(7).unwrap());
    let inclusion: InclusionProof =
        serde_json::from_str(&serde_json::to_string(&tree.inclusion(4, 7).unwrap()).unwrap()).unwrap();
    let consistency: ConsistencyProof =
        serde_json::from_str(&serde_json::to_string(&tree.consistency(3, 7).unwrap()).unwrap()).unwrap();
    let new: Checkpoint = serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
    assert_eq!(inclusion.verify(&leaf_hash(&[4]), &new), Ok(()));
    assert_eq!(consistency.verify(&old, &new), Ok(()));

    assert_eq!(inclusion.verify(&leaf_hash(&[5]), &new), Err(VerifyError::InclusionRootMismatch { index: 4, size: 7 }));
    assert_eq!(
        consistency.verify(&new, &new),
        Err(VerifyError::CheckpointSizeMismatch { proof_size: 3, checkpoint_size: 7 })
    );
    assert_eq!(
        consistency.verify(&old, &old),
        Err(VerifyError::CheckpointSizeMismatch { proof_size: 7, checkpoint_size: 3 })
    );
    let forged = Checkpoint { root: old.root, ..new };
    assert_eq!(consistency.verify(&old, &forged), Err(VerifyError::NewRootMismatch { old_size: 3, new_size: 7 }));
}

#[test]
fn malformed_hashes_are_refused() {
    for root in ["\"abc\"", "\"\"", "17", &format!("\"{}\"", "g".repeat(64)), &format!("\"{}\"", "0".repeat(66))] {
        let json = format!("{{\"size\": 1, \"root\": {root}}}");
        assert!(serde_json::from_str::<Checkpoint>(&json).is_err(), "{json}");
    }
    let json = format!("{{\"size\": 1, \"root\": \"{}\"}}", "AB".repeat(32));
    assert_eq!(serde_json::from_str::<Checkpoint>(&json).unwrap().root.0, [0xab; 32]);
}
