#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use accord_core::event::{Actor, Event, Payload, State};
use accord_evidence::bundle::{Bundle, LogEntry};
use accord_evidence::{Outcome, Report, sign_checkpoint, verify_bundle};
use common::*;

fn bundle_bytes(log: &[LogEntry]) -> Vec<u8> {
    Bundle::build(NEGOTIATION, log, &server_key(), signed_at(), &[]).unwrap().to_bytes()
}

fn pinned() -> Option<[u8; 32]> {
    Some(server_key().verifying_key().to_bytes())
}

fn failures(report: &Report) -> Vec<String> {
    report.failures().map(|check| format!("{}: {}", check.name, check.message)).collect()
}

#[test]
fn the_fixture_log_folds() {
    // The synthetic log must be one the server could have written.
    State::from_events(&closed_log().events).unwrap();
    State::from_events(&lapsed_log().events).unwrap();
}

#[test]
fn a_closed_negotiations_bundle_verifies() {
    let bytes = bundle_bytes(&closed_log().log);
    let report = verify_bundle(&bytes, pinned());
    assert!(report.ok(), "{}", report.summary());
    let facts = report.facts.as_ref().unwrap();
    assert!(matches!(facts.outcome, Outcome::Closed { number: 2, position: 17, .. }), "{:?}", facts.outcome);
    assert_eq!(facts.signatures.len(), 2);
    assert_eq!(facts.signatures[0].public_key, hex::encode(party_key("north", 2).verifying_key().to_bytes()));
    assert!(facts.server_key_pinned);
    // Unpinned, it verifies too, and says so.
    let report = verify_bundle(&bytes, None);
    assert!(report.ok());
    assert!(report.summary().contains("NOT pinned"));
}

#[test]
fn the_bundle_round_trips_and_carries_only_evidence() {
    let log = closed_log();
    let bundle = Bundle::build(NEGOTIATION, &log.log, &server_key(), signed_at(), &[]).unwrap();
    let bytes = bundle.to_bytes();
    assert_eq!(Bundle::from_bytes(&bytes).unwrap(), bundle);
    assert!(bytes.ends_with(b"}\n"));
    // The invitation (event 1) is not evidence; everything else is.
    let positions: Vec<u64> = bundle.events.iter().map(|e| e.position).collect();
    assert_eq!(positions, (0..log.log.len() as u64).filter(|p| *p != 1).collect::<Vec<_>>());
    assert_eq!(bundle.checkpoint.size, log.log.len() as u64);
    // The acknowledgements named checkpoints 6, 7, 11 and 12.
    let sizes: Vec<u64> = bundle.acknowledged_checkpoints.iter().map(|c| c.size).collect();
    assert_eq!(sizes, [6, 7, 11, 12]);
    // The invitation is there as its leaf hash only.
    assert_eq!(bundle.other_leaves.len(), 1);
    assert_eq!((bundle.other_leaves[0].position, bundle.other_leaves[0].leaf_hash.0), (1, log.log[1].leaf_hash));
    assert_eq!(bundle.versions.iter().map(|v| v.number).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(bundle.final_version.as_ref().unwrap().number, 2);
    // Event bytes are the stored bytes, exactly.
    for event in &bundle.events {
        assert_eq!(event.bytes.as_bytes(), log.log[event.position as usize].bytes.as_slice());
    }
}

#[test]
fn earlier_signed_checkpoints_are_reused() {
    let log = closed_log();
    let leaves: Vec<_> = log.log.iter().map(|e| e.leaf_hash).collect();
    let root6 = accord_merkle::root_at(leaves.as_slice(), 6).unwrap();
    let kept = sign_checkpoint(&server_key(), NEGOTIATION, accord_merkle::Checkpoint::new(6, root6), hours(3)).unwrap();
    let bundle = Bundle::build(NEGOTIATION, &log.log, &server_key(), signed_at(), &[kept]).unwrap();
    assert_eq!(bundle.acknowledged_checkpoints[0], kept);
    assert_eq!(bundle.acknowledged_checkpoints[1].at, signed_at());
    assert!(verify_bundle(&bundle.to_bytes(), pinned()).ok());
}

#[test]
fn a_wrong_pinned_key_fails() {
    let bytes = bundle_bytes(&closed_log().log);
    let report = verify_bundle(&bytes, Some(party_key("north", 1).verifying_key().to_bytes()));
    assert!(!report.ok());
    assert_eq!(report.failures().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["server key"]);
}

#[test]
fn a_lapsed_negotiation_is_not_a_certificate() {
    let bytes = bundle_bytes(&lapsed_log().log);
    let report = verify_bundle(&bytes, pinned());
    assert_eq!(
        failures(&report),
        [
            "concluded: the negotiation lapsed at event 16 (phase signing ended before south signed): no agreement was concluded"
        ]
    );
    assert!(report.summary().contains("LAPSED at 2026-03-05T09:00:00Z (event 16)"), "{}", report.summary());
}

#[test]
fn an_open_negotiation_has_no_bundle() {
    let (log, _) = negotiated();
    let err = Bundle::build(NEGOTIATION, &log.log, &server_key(), signed_at(), &[]).unwrap_err();
    assert_eq!(err, accord_evidence::BuildError::NotConcluded);
}

#[test]
fn a_corrupt_store_fails_the_build() {
    let mut log = closed_log().log;
    log[3].bytes.push(b' ');
    let err = Bundle::build(NEGOTIATION, &log, &server_key(), signed_at(), &[]).unwrap_err();
    assert_eq!(err, accord_evidence::BuildError::LeafHashMismatch { position: 3 });
    let err = Bundle::build("other", &closed_log().log, &server_key(), signed_at(), &[]).unwrap_err();
    assert!(matches!(err, accord_evidence::BuildError::WrongNegotiation { .. }));
}

/// Rewrites the log through `edit` and re-signs everything with the server key:
/// what a dishonest server (or anyone holding its key) could do.
/// Acknowledged checkpoint roots are recomputed over the rewritten log (the
/// parties' signatures over them cannot be).
fn forged(edit: impl FnOnce(&mut Vec<Event>)) -> Vec<u8> {
    let mut events = closed_log().events;
    edit(&mut events);
    let mut log: Vec<LogEntry> = Vec::new();
    for event in &mut events {
        if let Payload::VersionAcknowledged { checkpoint_size, checkpoint_root, .. } = &mut event.payload {
            let leaves: Vec<_> = log.iter().map(|e| e.leaf_hash).collect();
            *checkpoint_root = hex::encode(accord_merkle::root_at(leaves.as_slice(), *checkpoint_size).unwrap());
        }
        log.push(LogEntry::new(serde_json::to_vec(event).unwrap()));
    }
    bundle_bytes(&log)
}

#[test]
fn a_server_cannot_change_the_signed_text() {
    let bytes = forged(|events| {
        for event in events.iter_mut() {
            match &mut event.payload {
                Payload::VersionPublished { number: 2, version, content_hash, .. } => {
                    *version = common::version("All hostilities cease within 480 hours.");
                    *content_hash = version.content_hash_hex();
                }
                Payload::FinalTextSigned { content_hash, .. } | Payload::Closed { content_hash, .. } => {
                    *content_hash = common::version("All hostilities cease within 480 hours.").content_hash_hex();
                }
                Payload::VersionAcknowledged { number: 2, content_hash, .. } => {
                    *content_hash = common::version("All hostilities cease within 480 hours.").content_hash_hex();
                }
                _ => {}
            }
        }
    });
    let report = verify_bundle(&bytes, pinned());
    let failed = failures(&report);
    let north_key = hex::encode(party_key("north", 2).verifying_key().to_bytes());
    let expected = format!(
        "final signatures: signature of party north over version 2 does not verify under key {north_key} (event 15)"
    );
    assert!(failed.contains(&expected), "{failed:#?}");
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("final signatures: signature of party south over version 2 does not verify"))
    );
    // The acknowledgements of version 2 were over the old text; those of
    // version 1 came before the rewrite and still hold.
    let acks: Vec<_> = failed.iter().filter(|f| f.starts_with("acknowledgements: ")).collect();
    assert_eq!(acks.len(), 2, "{failed:#?}");
    assert!(acks.iter().all(|f| f.contains("acknowledgement of version 2")));
}

#[test]
fn a_server_cannot_drop_a_signature() {
    let bytes = forged(|events| {
        events.retain(|e| !matches!(&e.payload, Payload::FinalTextSigned { party, .. } if party == "south"));
        for (position, event) in events.iter_mut().enumerate() {
            event.position = position as u64;
        }
    });
    let report = verify_bundle(&bytes, pinned());
    let failed = failures(&report);
    assert!(
        failed.contains(
            &"outcome events: event 16 closes the negotiation, but no valid signature of version 2 by south precedes it"
                .to_owned()
        ),
        "{failed:#?}"
    );
}

#[test]
fn a_rotated_out_key_no_longer_signs() {
    // North signs with its first key after rotating to the second.
    let bytes = forged(|events| {
        let (_, v2) = negotiated();
        let mut b = LogBuilder { events: Vec::new(), log: Vec::new() };
        b.events = events[..15].to_vec();
        b.sign(hours(52), "north", &party_key("north", 1), 2, &v2);
        let mut rest = events[16..].to_vec();
        for event in &mut rest {
            event.position = b.events.len() as u64;
            b.events.push(event.clone());
        }
        *events = b.events;
    });
    let report = verify_bundle(&bytes, pinned());
    let failed = failures(&report);
    assert_eq!(failed.len(), 2, "{failed:#?}");
    assert!(failed[0].starts_with("final signatures: signature of party north over version 2 does not verify"));
    assert!(failed[1].starts_with("outcome events: event 17 closes the negotiation, but no valid signature"));
}

#[test]
fn a_registration_without_proof_verifies_but_is_reported_unproved() {
    // A log written before proofs of possession were required: south's first
    // key carries none. The bundle verifies, and says that only the server
    // vouches for that key.
    let bytes = bundle_bytes(&closed_log_with_unproved(Some("south")).log);
    let report = verify_bundle(&bytes, pinned());
    assert!(report.ok(), "{}", report.summary());
    let facts = report.facts.as_ref().unwrap();
    let unproved: Vec<(&str, bool)> =
        facts.parties.iter().flat_map(|p| p.keys.iter().map(move |k| (p.id.as_str(), k.unproved))).collect();
    assert_eq!(unproved, [("north", false), ("north", false), ("south", true)]);
    let summary = report.summary();
    assert!(summary.contains("NOTE: the first key of south (event 3) carries no proof of possession"), "{summary}");
    assert!(summary.contains("NO proof of possession: only the server vouches"), "{summary}");
    // With every proof in place there is no such note.
    assert!(!verify_bundle(&bundle_bytes(&closed_log().log), pinned()).summary().contains("NOTE:"));
}

#[test]
fn a_server_cannot_register_a_key_of_its_own_choosing_with_a_proof() {
    // The server swaps south's key for one it holds and signs the proof with
    // it, but cannot make south's acknowledgements and signature verify; and a
    // proof that is not by the registered key itself fails on its own.
    let server_choice = party_key("south", 9);
    let south = hex::encode(party_key("south", 1).verifying_key().to_bytes());
    let bytes = forged(|events| {
        for event in events.iter_mut() {
            if let Payload::KeyRegistered { party, signature, .. } = &mut event.payload
                && party == "south"
            {
                *signature =
                    Some(accord_evidence::sign_key_registration(&server_choice, NEGOTIATION, "south").unwrap());
            }
        }
    });
    let failed = failures(&verify_bundle(&bytes, pinned()));
    assert!(
        failed.contains(&format!(
            "party keys: key registration of party south does not verify under key {south} (event 3)"
        )),
        "{failed:#?}"
    );
    // A proof made for another party does not carry over either.
    let bytes = forged(|events| {
        for event in events.iter_mut() {
            if let Payload::KeyRegistered { party, signature, .. } = &mut event.payload
                && party == "south"
            {
                *signature =
                    Some(accord_evidence::sign_key_registration(&party_key("south", 1), NEGOTIATION, "north").unwrap());
            }
        }
    });
    let failed = failures(&verify_bundle(&bytes, pinned()));
    assert!(failed.iter().any(|f| f.starts_with("party keys: key registration of party south")), "{failed:#?}");
}

#[test]
fn a_signature_outside_the_window_fails() {
    let bytes = forged(|events| {
        for event in events.iter_mut() {
            if matches!(&event.payload, Payload::FinalTextSigned { party, .. } if party == "north") {
                event.at = hours(80);
            }
        }
    });
    let report = verify_bundle(&bytes, pinned());
    let failed = failures(&report);
    assert!(
        failed.iter().any(|f| f.starts_with("final signatures: party north signed at 2026-03-05 17:00:00 UTC (event 15), once the signing window signing had closed")),
        "{failed:#?}"
    );
}

#[test]
fn stray_kinds_and_missing_events_are_named() {
    let log = closed_log();
    let mut bundle = Bundle::build(NEGOTIATION, &log.log, &server_key(), signed_at(), &[]).unwrap();
    // Drop the `created` event: the parties and timetable are then unproven.
    bundle.events.remove(0);
    let report = verify_bundle(&bundle.to_bytes(), pinned());
    let failed = failures(&report);
    assert!(failed.contains(&"negotiation: the `created` event (event 0) is missing".to_owned()), "{failed:#?}");

    let system_event = Event {
        position: 0,
        actor: Actor::System,
        at: t0(),
        payload: Payload::IssueRemoved { issue: "x".into() },
        salt: None,
    };
    assert!(!accord_evidence::bundle::is_evidence(&system_event.payload));
}

#[test]
fn the_summary_reads_well() {
    let report = verify_bundle(&bundle_bytes(&closed_log().log), pinned());
    insta::assert_snapshot!(report.summary());
}

#[test]
fn garbage_is_reported_not_panicked_on() {
    for input in [&b""[..], b"{}", b"null", b"[1,2]", b"{\"format\":\"accord-bundle/v3\"}", &[0xff, 0xfe, 0x00]] {
        let report = verify_bundle(input, None);
        assert!(!report.ok());
        assert_eq!(report.checks.len(), 1);
        assert_eq!(report.checks[0].name, "readable");
        assert!(report.facts.is_none());
    }
}

#[test]
fn the_small_fixture_folds_and_verifies() {
    let log = small_closed_log();
    State::from_events(&log.events).unwrap();
    let bytes = bundle_bytes(&log.log);
    let report = verify_bundle(&bytes, pinned());
    assert!(report.ok(), "{}", report.summary());
    eprintln!("small bundle: {} bytes", bytes.len());
}

#[test]
fn failures_name_what_to_look_at() {
    let original = Bundle::build(NEGOTIATION, &closed_log().log, &server_key(), signed_at(), &[]).unwrap();
    let check = |edit: &dyn Fn(&mut Bundle), expected: &str| {
        let mut bundle = original.clone();
        edit(&mut bundle);
        let failed = failures(&verify_bundle(&bundle.to_bytes(), pinned()));
        assert!(failed.iter().any(|f| f.starts_with(expected)), "wanted {expected:?} in {failed:#?}");
    };
    check(
        &|b| b.final_version.as_mut().unwrap().text.title.push('!'),
        "final text: final text does not hash to the content hash of version 2",
    );
    check(&|b| b.checkpoint.at = hours(101), "final checkpoint: server signature over checkpoint 18 does not verify");
    check(
        &|b| b.acknowledged_checkpoints[1].at = hours(101),
        "acknowledged checkpoints: server signature over checkpoint 7 does not verify",
    );
    // A checkpoint the server signed whose root is not the log's at that size: a split view.
    check(
        &|b| {
            let other_root = accord_merkle::Checkpoint::new(7, [0x5a; 32]);
            b.acknowledged_checkpoints[1] = sign_checkpoint(&server_key(), NEGOTIATION, other_root, hours(3)).unwrap();
        },
        &format!("acknowledged checkpoints: checkpoint 7 has root {}, but the first 7 leaves", "5a".repeat(32)),
    );
    check(
        &|b| b.events[5].bytes = b.events[5].bytes.replace("\"north\"", "\"south\""),
        "leaves: the bundle's 18 leaves do not have the root of checkpoint 18",
    );
    check(
        &|b| b.other_leaves[0].leaf_hash.0[0] ^= 1,
        "leaves: the bundle's 18 leaves do not have the root of checkpoint 18",
    );
    check(
        &|b| b.versions[0].position = 4,
        "version index: the version index lists version 1 (content eb7dc2bb83ba24b8a32cffd3d7591d6042a6ee2bb009cbb6dbd7a2be532a7ec8, event 4), which the proven events do not publish",
    );
    check(
        &|b| b.format = "accord-bundle/v3".into(),
        "format: the format is \"accord-bundle/v3\", not \"accord-bundle/v2\"",
    );
    check(
        &|b| b.negotiation = "truce".into(),
        "negotiation: event 0 creates negotiation \"ceasefire\", but the file is about \"truce\"",
    );
    // An acknowledgement whose checkpoint the bundle does not prove.
    check(
        &|b| {
            b.acknowledged_checkpoints.remove(0);
        },
        &format!(
            "acknowledgements: the checkpoint 6 party north acknowledged at event 6 is not proven: the bundle has no server-signed checkpoint 6 with root {} consistent with checkpoint 18",
            original.acknowledged_checkpoints[0].root
        ),
    );
    let mut bytes = original.to_bytes();
    bytes.insert(1, b' ');
    assert_eq!(
        failures(&verify_bundle(&bytes, pinned())),
        ["canonical form: bundle is not in canonical form (byte 1 differs)"]
    );
}

/// Each evidence event of the bundle, dropped, moved next to another one,
/// listed twice, or turned into a bare leaf hash: `verify` fails every time.
#[test]
fn no_evidence_event_can_be_dropped_reordered_duplicated_or_hidden() {
    let original = Bundle::build(NEGOTIATION, &closed_log().log, &server_key(), signed_at(), &[]).unwrap();
    assert!(verify_bundle(&original.to_bytes(), pinned()).ok());
    let refused = |bundle: &Bundle, what: &str| {
        let report = verify_bundle(&bundle.to_bytes(), pinned());
        assert!(!report.ok(), "{what} was not detected");
        report
    };
    let count = original.events.len();
    for k in 0..count {
        let position = original.events[k].position;

        let mut dropped = original.clone();
        dropped.events.remove(k);
        let report = refused(&dropped, &format!("dropping event {position}"));
        assert!(failures(&report).iter().any(|f| f.starts_with("leaves: the bundle lists 17 positions")));

        let mut duplicated = original.clone();
        duplicated.events.insert(k, original.events[k].clone());
        refused(&duplicated, &format!("duplicating event {position}"));

        // Duplicated in place of its neighbour: the count stays right.
        let mut replaced = original.clone();
        let neighbour = if k + 1 < count { k + 1 } else { k - 1 };
        replaced.events[neighbour] = original.events[k].clone();
        refused(&replaced, &format!("listing event {position} twice in place of another"));

        // Reordered: swapped with the next event, bytes and all, or with its position kept.
        if k + 1 < count {
            let mut swapped = original.clone();
            swapped.events.swap(k, k + 1);
            refused(&swapped, &format!("swapping events {position} and its successor"));
            let mut swapped_bytes = original.clone();
            swapped_bytes.events[k].bytes = original.events[k + 1].bytes.clone();
            swapped_bytes.events[k + 1].bytes = original.events[k].bytes.clone();
            refused(&swapped_bytes, &format!("swapping the bytes of event {position} and its successor"));
        }

        // Hidden: its correct leaf hash in place of its bytes, so every root still matches.
        let mut hidden = original.clone();
        let event = hidden.events.remove(k);
        let leaf = accord_evidence::bundle::OtherLeaf {
            position,
            leaf_hash: accord_merkle::HexHash(accord_merkle::leaf_hash(event.bytes.as_bytes())),
        };
        let at = hidden.other_leaves.partition_point(|other| other.position < position);
        hidden.other_leaves.insert(at, leaf);
        let report = refused(&hidden, &format!("hiding event {position} as a leaf hash"));
        let failed = failures(&report);
        assert!(
            failed.iter().any(
                |f| f.starts_with("evidence index: the server's signature over the evidence index does not verify")
            ),
            "{failed:#?}"
        );
    }
}

#[test]
fn a_version_1_bundle_is_refused_with_its_reason() {
    let old = br#"{"format": "accord-bundle/v1", "negotiation": "ceasefire", "events": []}"#;
    let report = verify_bundle(old, None);
    assert_eq!(
        failures(&report),
        ["format: the file is an accord-bundle/v1 bundle, which proves that the events it carries are in the log \
          but not that it carries all of them; this verifier accepts accord-bundle/v2 only: ask the server for the \
          bundle again"]
    );
    assert!(report.facts.is_none());
}

/// What completeness does not cover: a server that signs an index hiding an
/// acknowledgement. The bundle verifies, but the server has signed two
/// statements that contradict each other given the event's bytes, which the
/// party that acknowledged holds (see `docs/bundle-format.md`).
#[test]
fn a_server_hiding_an_acknowledgement_signs_a_refutable_index() {
    let log = closed_log();
    let mut bundle = Bundle::build(NEGOTIATION, &log.log, &server_key(), signed_at(), &[]).unwrap();
    let k = bundle.events.iter().position(|e| e.bytes.contains("\"version_acknowledged\"")).unwrap();
    let hidden = bundle.events.remove(k);
    let at = bundle.other_leaves.partition_point(|other| other.position < hidden.position);
    bundle.other_leaves.insert(
        at,
        accord_evidence::bundle::OtherLeaf {
            position: hidden.position,
            leaf_hash: accord_merkle::HexHash(accord_merkle::leaf_hash(hidden.bytes.as_bytes())),
        },
    );
    let index = accord_evidence::bundle::index_statement(NEGOTIATION, bundle.checkpoint.checkpoint(), &bundle.events);
    bundle.index_signature =
        accord_evidence::statement::Sig(accord_evidence::sign_statement(&server_key(), &index).unwrap());
    // The verifier alone cannot tell a hidden leaf from a private one...
    assert!(verify_bundle(&bundle.to_bytes(), pinned()).ok());
    // ...but the acknowledging party's event bytes hash to the leaf the server's index calls not evidence.
    let leaf = bundle.other_leaves.iter().find(|other| other.position == hidden.position).unwrap();
    assert_eq!(leaf.leaf_hash.0, log.log[hidden.position as usize].leaf_hash);
}
