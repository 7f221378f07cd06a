//! Offline verification of a bundle: [`verify_bundle`].

use accord_core::event::Event;
use accord_merkle::{Checkpoint, ConsistencyProof, HexHash, InclusionProof};

use crate::bundle::{BUNDLE_FORMAT, Bundle, VersionLink, is_evidence};
use crate::report::{Check, Facts, Group, Outcome, Report, check_canonical, fail, pass};
use crate::walk::walk;

/// Verifies a bundle's bytes. Never panics, whatever the input.
///
/// With `pinned_server_key`, the bundle's server key must be that key;
/// without, the report's facts say the key was not pinned (the bundle then
/// proves only that whoever holds that key attests it, and that each party's
/// signatures are by the keys the log registered for it).
pub fn verify_bundle(bytes: &[u8], pinned_server_key: Option<[u8; 32]>) -> Report {
    let mut checks = Vec::new();
    let bundle = match Bundle::from_bytes(bytes) {
        Ok(bundle) => bundle,
        Err(e) => {
            fail(&mut checks, "readable", format!("the file is not an accord bundle: {e}"));
            return Report { subject: "bundle", checks, facts: None };
        }
    };
    pass(&mut checks, "readable", "the file parses as a bundle");
    check_canonical(&mut checks, bytes, &bundle.to_bytes(), "bundle");
    if bundle.format == BUNDLE_FORMAT {
        pass(&mut checks, "format", format!("format {BUNDLE_FORMAT}"));
    } else {
        fail(&mut checks, "format", format!("the format is {:?}, not {BUNDLE_FORMAT:?}", bundle.format));
    }
    let facts = check_bundle(&bundle, pinned_server_key, &mut checks);
    Report { subject: "bundle", checks, facts: Some(facts) }
}

fn check_bundle(bundle: &Bundle, pinned: Option<[u8; 32]>, checks: &mut Vec<Check>) -> Facts {
    let negotiation = bundle.negotiation.as_str();
    let server_key = bundle.server_key.0;
    check_server_key(checks, &server_key, pinned);

    let final_signed = bundle.checkpoint;
    let final_checkpoint = final_signed.checkpoint();
    let final_size = final_checkpoint.size;
    match final_signed.verify(negotiation, &server_key) {
        Ok(()) => pass(
            checks,
            "final checkpoint",
            format!(
                "the server signed checkpoint {final_size} (root {}) at {}",
                final_checkpoint.root, final_signed.at
            ),
        ),
        Err(_) => {
            fail(checks, "final checkpoint", format!("server signature over checkpoint {final_size} does not verify"))
        }
    }

    // Earlier checkpoints: signed, and extended by the final one.
    let mut proven_checkpoints = vec![final_checkpoint];
    let mut earlier = Group::new("acknowledged checkpoints");
    let mut previous_size = None;
    for acknowledged in &bundle.acknowledged_checkpoints {
        let signed = acknowledged.checkpoint;
        let size = signed.size;
        if previous_size.is_some_and(|previous| previous >= size) {
            earlier
                .fail(format!("checkpoint {size} is out of order: acknowledged checkpoints are listed by size, once"));
            continue;
        }
        previous_size = Some(size);
        if signed.verify(negotiation, &server_key).is_err() {
            earlier.fail(format!("server signature over checkpoint {size} does not verify"));
            continue;
        }
        let proof = ConsistencyProof { old_size: size, new_size: final_size, path: acknowledged.consistency.clone() };
        if let Err(e) = proof.verify(&signed.checkpoint(), &final_checkpoint) {
            earlier.fail(format!("checkpoint {size} is not consistent with checkpoint {final_size}: {e}"));
            continue;
        }
        earlier.pass();
        proven_checkpoints.push(signed.checkpoint());
    }
    earlier.finish(checks, |n| format!("{n} earlier checkpoints, each signed and extended by checkpoint {final_size}"));

    // Events: hashed, proven included, decoded.
    let mut inclusion = Group::new("inclusion proofs");
    let mut decoding = Group::new("event decoding");
    let mut events: Vec<Event> = Vec::new();
    let mut previous_position = None;
    for evidence in &bundle.events {
        let position = evidence.position;
        if previous_position.is_some_and(|previous| previous >= position) {
            inclusion.fail(format!("event {position} is out of order: events are listed by position, once"));
            continue;
        }
        previous_position = Some(position);
        let leaf = accord_merkle::leaf_hash(evidence.bytes.as_bytes());
        let proof = InclusionProof { index: position, size: final_size, path: evidence.inclusion.clone() };
        if proof.verify(&leaf, &final_checkpoint).is_err() {
            inclusion.fail(format!("inclusion proof for event {position} does not match checkpoint {final_size}"));
            continue;
        }
        inclusion.pass();
        match serde_json::from_str::<Event>(&evidence.bytes) {
            Ok(event) if event.position != position => {
                decoding.fail(format!("event {position}'s bytes claim position {}", event.position));
            }
            Ok(event) if !is_evidence(&event.payload) => decoding.fail(format!(
                "event {position} is a `{}`, which is not evidence a bundle carries",
                event.payload.kind()
            )),
            Ok(event) => {
                decoding.pass();
                events.push(event);
            }
            Err(e) => decoding.fail(format!("event {position} does not decode as an event: {e}")),
        }
    }
    inclusion.finish(checks, |n| format!("all {n} events are in the log at checkpoint {final_size}"));
    decoding.finish(checks, |n| format!("all {n} events decode as evidence events at their positions"));

    let attest = |claimed: Checkpoint| {
        if proven_checkpoints.contains(&claimed) {
            Ok(())
        } else {
            Err(format!(
                "the bundle has no server-signed checkpoint {} with root {} consistent with checkpoint {final_size}",
                claimed.size, claimed.root
            ))
        }
    };
    let walked = walk(negotiation, &events, &attest, checks);

    check_version_chain(bundle, &walked.published, checks);
    check_final_version(bundle, &walked, checks);
    check_outcome(&walked.facts.outcome, checks);

    let mut facts = walked.facts;
    facts.server_key = hex::encode(server_key);
    facts.server_key_pinned = pinned.is_some();
    facts.checkpoint = Some((final_size, final_checkpoint.root.to_string(), final_signed.at));
    facts
}

pub(crate) fn check_server_key(checks: &mut Vec<Check>, server_key: &[u8; 32], pinned: Option<[u8; 32]>) {
    if ed25519_dalek::VerifyingKey::from_bytes(server_key).is_err() {
        fail(checks, "server key", format!("the server key {} is not an Ed25519 public key", hex::encode(server_key)));
        return;
    }
    match pinned {
        Some(pinned) if pinned != *server_key => fail(
            checks,
            "server key",
            format!(
                "the file names server key {}, but the pinned server key is {}",
                hex::encode(server_key),
                hex::encode(pinned)
            ),
        ),
        Some(_) => pass(checks, "server key", "the server key is the pinned one"),
        None => pass(checks, "server key", "the server key is well-formed (not pinned)"),
    }
}

fn check_version_chain(bundle: &Bundle, published: &[crate::walk::Published], checks: &mut Vec<Check>) {
    let proven: Vec<VersionLink> = published
        .iter()
        .map(|p| VersionLink { number: p.number, content_hash: HexHash(p.content_hash), position: p.position })
        .collect();
    if proven == bundle.versions {
        pass(checks, "version index", format!("the {} listed versions are the published ones", proven.len()));
        return;
    }
    let differing = bundle.versions.iter().zip(&proven).find(|(listed, proven)| listed != proven);
    let message = match differing {
        Some((listed, _)) => format!(
            "the version index lists version {} (content {}, event {}), which the proven events do not publish",
            listed.number, listed.content_hash, listed.position
        ),
        None => format!(
            "the version index lists {} versions, the proven events publish {}",
            bundle.versions.len(),
            proven.len()
        ),
    };
    fail(checks, "version index", message);
}

fn check_final_version(bundle: &Bundle, walked: &crate::walk::Walked, checks: &mut Vec<Check>) {
    let expected = match &walked.facts.outcome {
        Outcome::Closed { number, .. } => walked.published.iter().find(|p| p.number == *number),
        _ => walked.published.last(),
    };
    let name = "final text";
    match (&bundle.final_version, expected) {
        (None, None) => pass(checks, name, "no version was published, and the bundle names none"),
        (None, Some(p)) => fail(checks, name, format!("the bundle omits the final text (version {})", p.number)),
        (Some(listed), None) => {
            fail(checks, name, format!("the bundle names version {} as final, but none is proven", listed.number))
        }
        (Some(listed), Some(proven)) => {
            if listed.number != proven.number {
                fail(
                    checks,
                    name,
                    format!(
                        "the bundle names version {} as final, but the outcome is about version {}",
                        listed.number, proven.number
                    ),
                );
            } else if listed.text.content_hash() != listed.content_hash.0 {
                fail(
                    checks,
                    name,
                    format!("final text does not hash to the content hash of version {}", listed.number),
                );
            } else if listed.content_hash.0 != proven.content_hash || listed.text != proven.version {
                fail(
                    checks,
                    name,
                    format!(
                        "final text is not the text published as version {} (event {})",
                        proven.number, proven.position
                    ),
                );
            } else {
                pass(
                    checks,
                    name,
                    format!("the final text is version {}, content hash {}", proven.number, listed.content_hash),
                );
            }
        }
    }
}

fn check_outcome(outcome: &Outcome, checks: &mut Vec<Check>) {
    match outcome {
        Outcome::Closed { number, position, .. } => pass(
            checks,
            "concluded",
            format!("the negotiation closed at event {position}: every signatory signed version {number}"),
        ),
        Outcome::Lapsed { phase, unsigned, position, .. } => fail(
            checks,
            "concluded",
            format!(
                "the negotiation lapsed at event {position} (phase {phase} ended before {} signed): no agreement was concluded",
                unsigned.join(", ")
            ),
        ),
        Outcome::Open => fail(checks, "concluded", "the bundle has no `closed` event: no agreement is proven"),
    }
}
