//! Offline verification of a bundle: [`verify_bundle`].

use accord_core::event::Event;
use accord_merkle::{Checkpoint, Hash, HexHash, root_at};

use crate::bundle::{BUNDLE_FORMAT, BUNDLE_FORMAT_V1, Bundle, VersionLink, index_statement, is_evidence};
use crate::report::{Check, Facts, Group, Outcome, Report, check_canonical, fail, pass};
use crate::statement::verify_statement;
use crate::walk::walk;

/// The `format` field alone, read before the whole file so that a bundle of an
/// older format is refused with its reason rather than as unreadable.
#[derive(serde::Deserialize)]
struct FormatOnly {
    format: String,
}

/// Verifies a bundle's bytes. Never panics, whatever the input.
///
/// With `pinned_server_key`, the bundle's server key must be that key;
/// without, the report's facts say the key was not pinned (the bundle then
/// proves only that whoever holds that key attests it, and that each party's
/// signatures are by the keys the log registered for it).
pub fn verify_bundle(bytes: &[u8], pinned_server_key: Option<[u8; 32]>) -> Report {
    let mut checks = Vec::new();
    if let Ok(FormatOnly { format }) = serde_json::from_slice::<FormatOnly>(bytes)
        && format == BUNDLE_FORMAT_V1
    {
        fail(
            &mut checks,
            "format",
            format!(
                "the file is an {BUNDLE_FORMAT_V1} bundle, which proves that the events it carries are in the log but \
                 not that it carries all of them; this verifier accepts {BUNDLE_FORMAT} only: ask the server for the \
                 bundle again"
            ),
        );
        return Report { subject: "bundle", checks, facts: None };
    }
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

    // Every leaf, by position: the evidence events' bytes and the other leaves' hashes.
    let leaves = check_leaves(bundle, final_checkpoint, checks);

    // Earlier checkpoints: signed, and their roots recomputed from the same leaves.
    let mut proven_checkpoints = vec![final_checkpoint];
    let mut earlier = Group::new("acknowledged checkpoints");
    let mut previous_size = None;
    for signed in &bundle.acknowledged_checkpoints {
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
        let Some(leaves) = &leaves else {
            earlier.fail(format!("checkpoint {size} cannot be checked: the bundle's leaves are not the log's"));
            continue;
        };
        match root_at(leaves.as_slice(), size) {
            Ok(root) if root == signed.root.0 => {
                earlier.pass();
                proven_checkpoints.push(signed.checkpoint());
            }
            Ok(root) => earlier.fail(format!(
                "checkpoint {size} has root {}, but the first {size} leaves of checkpoint {final_size} have root {}",
                signed.root,
                HexHash(root)
            )),
            Err(_) => earlier.fail(format!("checkpoint {size} is beyond the final checkpoint {final_size}")),
        }
    }
    earlier.finish(checks, |n| format!("{n} earlier checkpoints, each signed and extended by checkpoint {final_size}"));

    // The server's index: exactly these positions are evidence.
    let index = index_statement(negotiation, final_checkpoint, &bundle.events);
    match verify_statement(&server_key, &index, &bundle.index_signature.0) {
        Ok(()) => pass(
            checks,
            "evidence index",
            format!(
                "the server signed that events {} are every evidence event up to checkpoint {final_size}",
                position_ranges(bundle.events.iter().map(|event| event.position))
            ),
        ),
        Err(_) => fail(
            checks,
            "evidence index",
            format!(
                "the server's signature over the evidence index does not verify: the bundle's evidence events \
                 ({}) are not the ones the server listed for checkpoint {final_size}",
                position_ranges(bundle.events.iter().map(|event| event.position))
            ),
        ),
    }

    // Events: decoded, each saying its own position.
    let mut decoding = Group::new("event decoding");
    let mut events: Vec<Event> = Vec::new();
    for evidence in &bundle.events {
        let position = evidence.position;
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
    decoding.finish(checks, |n| format!("all {n} events decode as evidence events at their positions"));
    if leaves.is_none() {
        // No event is proven to be in the log: no fact may be read from one.
        events.clear();
    }

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

/// Merges the evidence events and the other leaves into one leaf per position
/// and checks that they are every position up to the final checkpoint, once
/// each, with the final checkpoint's root. The leaves, when they are.
fn check_leaves(bundle: &Bundle, final_checkpoint: Checkpoint, checks: &mut Vec<Check>) -> Option<Vec<Hash>> {
    let name = "leaves";
    let final_size = final_checkpoint.size;
    let listed = bundle.events.len() as u64 + bundle.other_leaves.len() as u64;
    if listed != final_size {
        fail(
            checks,
            name,
            format!(
                "the bundle lists {listed} positions ({} evidence events, {} other leaves), but checkpoint {final_size} \
                 has {final_size}",
                bundle.events.len(),
                bundle.other_leaves.len()
            ),
        );
        return None;
    }
    // Each list ascends; together they cover 0..size once each.
    for (what, positions) in [
        ("evidence events", bundle.events.iter().map(|e| e.position).collect::<Vec<_>>()),
        ("other leaves", bundle.other_leaves.iter().map(|l| l.position).collect()),
    ] {
        if let Some(pair) = positions.windows(2).find(|pair| pair[0] >= pair[1]) {
            fail(
                checks,
                name,
                format!("the {what} are not listed by position, once each: {} comes before {}", pair[0], pair[1]),
            );
            return None;
        }
    }
    let mut leaves: Vec<Option<Hash>> = vec![None; bundle.events.len() + bundle.other_leaves.len()];
    let entries = bundle
        .events
        .iter()
        .map(|event| (event.position, accord_merkle::leaf_hash(event.bytes.as_bytes())))
        .chain(bundle.other_leaves.iter().map(|leaf| (leaf.position, leaf.leaf_hash.0)));
    for (position, hash) in entries {
        let slot = usize::try_from(position).ok().and_then(|index| leaves.get_mut(index));
        match slot {
            Some(slot @ None) => *slot = Some(hash),
            Some(Some(_)) => {
                fail(checks, name, format!("position {position} is listed both as an evidence event and as a leaf"));
                return None;
            }
            None => {
                fail(checks, name, format!("position {position} is beyond checkpoint {final_size}"));
                return None;
            }
        }
    }
    // Every slot is filled: as many entries as slots, none twice, none outside.
    let leaves: Vec<Hash> = leaves.into_iter().flatten().collect();
    match root_at(leaves.as_slice(), final_size) {
        Ok(root) if root == final_checkpoint.root.0 => {
            pass(
                checks,
                name,
                format!(
                    "the {final_size} leaves ({} evidence events, {} others) have the root of checkpoint {final_size}",
                    bundle.events.len(),
                    bundle.other_leaves.len()
                ),
            );
            Some(leaves)
        }
        _ => {
            fail(
                checks,
                name,
                format!("the bundle's {final_size} leaves do not have the root of checkpoint {final_size}"),
            );
            None
        }
    }
}

/// "0-3, 5, 9-12": positions for people.
fn position_ranges(positions: impl Iterator<Item = u64>) -> String {
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for position in positions {
        match ranges.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(position) => *end = position,
            _ => ranges.push((position, position)),
        }
    }
    if ranges.is_empty() {
        return "none".to_owned();
    }
    ranges
        .iter()
        .map(|&(start, end)| if start == end { start.to_string() } else { format!("{start}-{end}") })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn check_server_key(checks: &mut Vec<Check>, server_key: &[u8; 32], pinned: Option<[u8; 32]>) {
    if let Err(e) = crate::key::public_key_from_bytes(server_key) {
        fail(checks, "server key", format!("the server key is not a usable Ed25519 public key: {e}"));
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
