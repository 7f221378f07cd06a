#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use accord_core::event::Payload;
use accord_evidence::bundle::LogEntry;
use accord_evidence::log_export::ExportedEvent;
use accord_evidence::{LogExport, Report, sign_checkpoint, verify_log};
use accord_merkle::{Checkpoint, HexHash, root_at};
use common::*;

fn export_of(log: &[LogEntry]) -> LogExport {
    LogExport::build(NEGOTIATION, log, &server_key(), signed_at(), &[]).unwrap()
}

fn pinned() -> Option<[u8; 32]> {
    Some(server_key().verifying_key().to_bytes())
}

fn failures(report: &Report) -> Vec<String> {
    report.failures().map(|check| format!("{}: {}", check.name, check.message)).collect()
}

/// Re-signs every checkpoint after an edit, as the holder of the server key could.
fn resigned(mut export: LogExport) -> Vec<u8> {
    let leaves: Vec<_> = export.events.iter().map(|e| accord_merkle::leaf_hash(e.bytes.as_bytes())).collect();
    for (event, leaf) in export.events.iter_mut().zip(&leaves) {
        event.leaf_hash = HexHash(*leaf);
    }
    for signed in &mut export.checkpoints {
        let root = root_at(leaves.as_slice(), signed.size).unwrap();
        *signed = sign_checkpoint(&server_key(), NEGOTIATION, Checkpoint::new(signed.size, root), signed.at).unwrap();
    }
    export.to_bytes()
}

#[test]
fn a_whole_log_verifies_and_round_trips() {
    let export = export_of(&closed_log().log);
    let bytes = export.to_bytes();
    assert_eq!(LogExport::from_bytes(&bytes).unwrap(), export);
    let report = verify_log(&bytes, pinned());
    assert!(report.ok(), "{}", report.summary());
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    for expected in ["leaf hashes", "checkpoint signatures", "checkpoint roots", "fold", "final signatures"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    assert!(report.summary().contains("CLOSED at 2026-03-04T14:00:00Z (event 17)"));
    // An open negotiation's log verifies too: a log export is not a certificate.
    let (open, _) = negotiated();
    assert!(verify_log(&export_of(&open.log).to_bytes(), pinned()).ok());
}

#[test]
fn earlier_checkpoints_are_kept_and_checked_for_consistency() {
    let log = closed_log().log;
    let leaves: Vec<_> = log.iter().map(|e| e.leaf_hash).collect();
    let at = |size: u64| {
        let root = root_at(leaves.as_slice(), size).unwrap();
        sign_checkpoint(&server_key(), NEGOTIATION, Checkpoint::new(size, root), hours(size as i64)).unwrap()
    };
    let earlier = [at(11), at(6), at(6)];
    let export = LogExport::build(NEGOTIATION, &log, &server_key(), signed_at(), &earlier).unwrap();
    let sizes: Vec<u64> = export.checkpoints.iter().map(|c| c.size).collect();
    assert_eq!(sizes, [6, 11, 18]);
    assert_eq!(export.checkpoints[0], at(6));
    let report = verify_log(&export.to_bytes(), pinned());
    assert!(report.ok(), "{}", report.summary());
    let consistency = report.checks.iter().find(|c| c.name == "checkpoint consistency").unwrap();
    assert_eq!(consistency.message, "2 consecutive checkpoint pairs are consistent (append-only)");

    // A checkpoint the server signed for another history is a fork: refused at export.
    let forked = sign_checkpoint(&server_key(), NEGOTIATION, Checkpoint::new(6, [7; 32]), hours(1)).unwrap();
    let err = LogExport::build(NEGOTIATION, &log, &server_key(), signed_at(), &[forked]).unwrap_err();
    assert!(matches!(err, accord_evidence::BuildError::AcknowledgedRootNotInLog { size: 6, .. }), "{err:?}");

    // And caught by the verifier if it is in the file anyway.
    let mut export = export;
    export.checkpoints[0] = forked;
    let failed = failures(&verify_log(&export.to_bytes(), pinned()));
    assert_eq!(
        failed,
        [
            "checkpoint roots: checkpoint 6's root is not the Merkle root of the first 6 events",
            "checkpoint consistency: checkpoints 6 and 11 are not consistent: consistency proof from size 6 to 11 does not reproduce the root at size 6",
        ]
    );
}

#[test]
fn an_edited_event_is_caught_even_when_everything_is_resigned() {
    let mut export = export_of(&closed_log().log);
    // Forge south's acknowledgement of version 2 into one of version 1.
    let mut event: accord_core::event::Event = serde_json::from_str(&export.events[12].bytes).unwrap();
    if let Payload::VersionAcknowledged { number, content_hash, .. } = &mut event.payload {
        *number = 1;
        *content_hash = version("All hostilities cease within 72 hours.").content_hash_hex();
    }
    export.events[12] = ExportedEvent { bytes: serde_json::to_string(&event).unwrap(), leaf_hash: HexHash([0; 32]) };
    let report = verify_log(&resigned(export), pinned());
    let failed = failures(&report);
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(
        failed[0]
            .starts_with("acknowledgements: acknowledgement of version 1 by party south does not verify under key"),
        "{failed:#?}"
    );
}

#[test]
fn structural_damage_is_named() {
    let export = export_of(&closed_log().log);

    let mut swapped = export.clone();
    swapped.events.swap(5, 6);
    let failed = failures(&verify_log(&resigned(swapped), pinned()));
    assert!(failed.contains(&"event decoding: event 5's bytes claim position 6".to_owned()), "{failed:#?}");
    assert!(failed.contains(&"fold: the events cannot be folded: some do not decode".to_owned()), "{failed:#?}");

    let mut stale_leaf = export.clone();
    stale_leaf.events[3].leaf_hash = HexHash([1; 32]);
    let failed = failures(&verify_log(&stale_leaf.to_bytes(), pinned()));
    assert_eq!(failed, ["leaf hashes: the leaf hash of event 3 does not match its bytes"]);

    let mut unattested = export.clone();
    unattested.checkpoints.clear();
    let failed = failures(&verify_log(&unattested.to_bytes(), pinned()));
    assert!(failed.contains(&"checkpoint roots: the export has no signed checkpoint".to_owned()), "{failed:#?}");

    let mut truncated = export.clone();
    truncated.events.pop();
    let failed = failures(&verify_log(&truncated.to_bytes(), pinned()));
    assert!(
        failed.contains(&"checkpoint roots: checkpoint 18 is beyond the 17 events of the export".to_owned()),
        "{failed:#?}"
    );

    let wrong_server = verify_log(&export.to_bytes(), Some([9; 32]));
    assert!(!wrong_server.ok());

    // Events that decode but cannot follow each other: a second `created`.
    let mut refolded = export.clone();
    let mut event: accord_core::event::Event = serde_json::from_str(&export.events[0].bytes).unwrap();
    event.position = 1;
    refolded.events[1] = ExportedEvent { bytes: serde_json::to_string(&event).unwrap(), leaf_hash: HexHash([0; 32]) };
    let failed = failures(&verify_log(&resigned(refolded), pinned()));
    assert!(failed.iter().any(|f| f.starts_with("fold: the events do not fold: event 1")), "{failed:#?}");
}

#[test]
fn non_canonical_files_are_rejected_with_the_offset() {
    let bytes = export_of(&small_closed_log().log).to_bytes();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let compact = serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()).unwrap();
    let failed = failures(&verify_log(&compact, pinned()));
    assert_eq!(failed, ["canonical form: log export is not in canonical form (byte 1 differs)"]);
    let first_leaf_hash = {
        let start = text.find("\"leaf_hash\": \"").unwrap() + "\"leaf_hash\": \"".len();
        &text[start..start + 64]
    };
    let upper = text.replacen(first_leaf_hash, &first_leaf_hash.to_uppercase(), 1);
    let report = verify_log(upper.as_bytes(), pinned());
    assert!(!report.ok());
    assert_eq!(report.failures().next().unwrap().name, "canonical form");
    let unknown = text.replacen("\"format\"", "\"extra\": 1,\n  \"format\"", 1);
    let failed = failures(&verify_log(unknown.as_bytes(), pinned()));
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].starts_with("readable: the file is not an accord log export: unknown field `extra`"),
        "{failed:?}"
    );
}
