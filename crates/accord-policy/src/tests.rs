#![allow(clippy::unwrap_used)]
//! The role × resource × action matrix, written out by hand so that a change
//! of policy is a visible change of this table.

use accord_core::Role;

use super::*;

fn viewers() -> Vec<(&'static str, Viewer)> {
    let seat = |party: &str, role| Viewer::Party { account: format!("acct-{party}"), party: party.into(), role };
    vec![
        ("anonymous", Viewer::Anonymous),
        ("stranger", Viewer::Stranger { account: "acct-x".into() }),
        ("mediator", seat("us", Role::Mediator)),
        ("ua", seat("ua", Role::Signatory)),
        ("ru", seat("ru", Role::Signatory)),
        ("eu", seat("eu", Role::Consulted)),
        ("observer", seat("un", Role::Observer)),
    ]
}

/// Columns: anonymous, stranger, mediator (us), ua (signatory), ru
/// (signatory), eu (consulted), observer (un). A = allow, D = deny, R = redact.
fn matrix() -> Vec<(Action, Resource<'static>, &'static str)> {
    use Action::{Read, Write};
    use Resource as R;
    vec![
        (Read, R::NegotiationList, "DAAAAAA"),
        (Write, R::NegotiationList, "DDDDDDD"),
        (Read, R::Negotiation, "DDAAAAA"),
        (Write, R::Negotiation, "DAAAAAA"),
        (Read, R::Draft, "DDAAAAD"),
        (Write, R::Draft, "DDADDDD"),
        (Read, R::Versions, "DDAAAAA"),
        (Write, R::Versions, "DDADDDD"),
        (Read, R::StancePosition { party: "ua" }, "DDAARRD"),
        (Write, R::StancePosition { party: "ua" }, "DDDADDD"),
        (Read, R::StancePosition { party: "eu" }, "DDARRAD"),
        (Write, R::StancePosition { party: "eu" }, "DDDDDAD"),
        (Write, R::StancePosition { party: "us" }, "DDDDDDD"),
        (Write, R::StancePosition { party: "un" }, "DDDDDDD"),
        (Read, R::StanceReason { party: "ua" }, "DDAADDD"),
        (Write, R::StanceReason { party: "ua" }, "DDDADDD"),
        (Read, R::StanceReason { party: "eu" }, "DDADDAD"),
        (Read, R::StanceCounts, "DDAAAAD"),
        (Write, R::StanceCounts, "DDDDDDD"),
        (Read, R::Profile { party: "ua" }, "DDAADDD"),
        (Write, R::Profile { party: "ua" }, "DDDADDD"),
        (Read, R::Profile { party: "eu" }, "DDADDAD"),
        (Write, R::Profile { party: "eu" }, "DDDDDAD"),
        (Write, R::Profile { party: "us" }, "DDDDDDD"),
        (Read, R::ReservationHistory { party: "ua" }, "DDAADDD"),
        (Write, R::ReservationHistory { party: "ua" }, "DDDADDD"),
        (Read, R::ReservationHistory { party: "ru" }, "DDADADD"),
        (Read, R::Comment { author: "ua", private: true }, "DDAADDD"),
        (Read, R::Comment { author: "ua", private: false }, "DDAAAAD"),
        (Read, R::Comment { author: "us", private: true }, "DDADDDD"),
        (Write, R::Comment { author: "ua", private: true }, "DDDADDD"),
        (Write, R::Comment { author: "ua", private: false }, "DDDADDD"),
        (Write, R::Comment { author: "us", private: false }, "DDADDDD"),
        (Write, R::Comment { author: "un", private: false }, "DDDDDDD"),
        (Read, R::EventLog, "DDAAAAA"),
        (Write, R::EventLog, "DDDDDDD"),
        (Read, R::Analysis, "DDADDDD"),
        (Write, R::Analysis, "DDDDDDD"),
        (Read, R::Utility { party: "ua" }, "DDRADDD"),
        (Read, R::Utility { party: "eu" }, "DDRDDAD"),
        (Write, R::Utility { party: "ua" }, "DDDDDDD"),
        (Read, R::Balance { party: "ua" }, "DDRADDD"),
        (Read, R::Balance { party: "ru" }, "DDRDADD"),
        (Write, R::Balance { party: "ua" }, "DDDDDDD"),
        (Read, R::Invitations, "DDADDDD"),
        (Write, R::Invitations, "DDADDDD"),
        (Read, R::Seat, "DDDDDDD"),
        (Write, R::Seat, "DADDDDD"),
        (Read, R::Members, "DDAAAAD"),
        (Write, R::Members, "DDDDDDD"),
        (Read, R::Evidence, "DDAAAAA"),
        (Write, R::Evidence, "DDDDDDD"),
        (Read, R::Timetable, "DDAAAAA"),
        (Write, R::Timetable, "DDADDDD"),
        (Read, R::Key { party: "ua" }, "DDAAAAA"),
        (Write, R::Key { party: "ua" }, "DDDADDD"),
        (Write, R::Key { party: "us" }, "DDADDDD"),
        (Write, R::Key { party: "un" }, "DDDDDDD"),
        (Read, R::Acknowledgement { party: "ua" }, "DDAAAAA"),
        (Write, R::Acknowledgement { party: "eu" }, "DDDDDAD"),
        (Write, R::Acknowledgement { party: "un" }, "DDDDDDD"),
        (Read, R::FinalSignature { party: "ua" }, "DDAAAAA"),
        (Write, R::FinalSignature { party: "ua" }, "DDDADDD"),
        (Write, R::FinalSignature { party: "eu" }, "DDDDDDD"),
        (Write, R::FinalSignature { party: "us" }, "DDDDDDD"),
        (Read, R::LogExport, "DDADDDD"),
        (Write, R::LogExport, "DDDDDDD"),
    ]
}

#[test]
fn every_role_resource_and_action_decides_as_the_table_says() {
    let viewers = viewers();
    let mut mismatches = Vec::new();
    for (action, resource, row) in matrix() {
        assert_eq!(row.len(), viewers.len(), "row for {action:?} {resource:?}");
        for ((name, viewer), expected) in viewers.iter().zip(row.chars()) {
            let expected = match expected {
                'A' => Decision::Allow,
                'D' => Decision::Deny,
                'R' => Decision::Redact,
                other => panic!("bad cell {other}"),
            };
            let got = decide(viewer, action, &resource);
            if got != expected {
                mismatches.push(format!("{action:?} {resource:?} as {name}: expected {expected:?}, got {got:?}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// A resource kind without a row would slip through the table test; this
/// match fails to compile when a kind is added, and the list below must then
/// gain a row for it.
#[test]
fn the_table_covers_every_resource_kind_and_both_actions() {
    fn kind(resource: &Resource<'_>) -> &'static str {
        match resource {
            Resource::NegotiationList => "list",
            Resource::Negotiation => "negotiation",
            Resource::Draft => "draft",
            Resource::Versions => "versions",
            Resource::StancePosition { .. } => "stance",
            Resource::StanceReason { .. } => "reason",
            Resource::StanceCounts => "counts",
            Resource::Profile { .. } => "profile",
            Resource::ReservationHistory { .. } => "reservations",
            Resource::Comment { .. } => "comment",
            Resource::EventLog => "log",
            Resource::Analysis => "analysis",
            Resource::Utility { .. } => "utility",
            Resource::Balance { .. } => "balance",
            Resource::Invitations => "invitations",
            Resource::Seat => "seat",
            Resource::Members => "members",
            Resource::Evidence => "evidence",
            Resource::Timetable => "timetable",
            Resource::Key { .. } => "key",
            Resource::Acknowledgement { .. } => "acknowledgement",
            Resource::FinalSignature { .. } => "signature",
            Resource::LogExport => "export",
        }
    }
    let all = [
        "list",
        "negotiation",
        "draft",
        "versions",
        "stance",
        "reason",
        "counts",
        "profile",
        "reservations",
        "comment",
        "log",
        "analysis",
        "utility",
        "balance",
        "invitations",
        "seat",
        "members",
        "evidence",
        "timetable",
        "key",
        "acknowledgement",
        "signature",
        "export",
    ];
    let table = matrix();
    for name in all {
        for action in [Action::Read, Action::Write] {
            assert!(
                table.iter().any(|(a, r, _)| *a == action && kind(r) == name),
                "no matrix row for {action:?} {name}"
            );
        }
    }
}

#[test]
fn anonymous_is_denied_everything() {
    for (action, resource, _) in matrix() {
        assert_eq!(decide(&Viewer::Anonymous, action, &resource), Decision::Deny);
    }
}

mod filters {
    use accord_core::event::{Actor, Comment, Event, Payload, State};
    use accord_core::{
        Issue, IssueKind, IssueOption, Negotiation, Party, Position, Provision, Role, Stance, Timetable,
    };
    use chrono::TimeZone;

    use crate::Viewer;
    use crate::view::{filter_event, view_state};

    fn events() -> Vec<Event> {
        let party = |id: &str, role| Party { id: id.into(), name: id.into(), role };
        let negotiation = Negotiation {
            id: "n".into(),
            title: "T".into(),
            description: String::new(),
            parties: vec![
                party("us", Role::Mediator),
                party("ua", Role::Signatory),
                party("ru", Role::Signatory),
                party("un", Role::Observer),
            ],
            issues: vec![Issue {
                id: "x".into(),
                title: "X".into(),
                kind: IssueKind::Discrete { options: vec![IssueOption { id: "a".into(), label: "A".into() }] },
                draft: None,
            }],
            provisions: vec![Provision {
                id: "art-1".into(),
                number: "1".into(),
                heading: "One".into(),
                body: "The parties agree.".into(),
                wordings: Vec::new(),
            }],
            constraints: Vec::new(),
            timetable: Timetable::default(),
            profiles: Vec::new(),
            stances: Vec::new(),
        };
        let at = chrono::Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let actor = Actor::Account { account: "m".into(), party: Some("us".into()) };
        let payloads = vec![
            Payload::Created { negotiation, creator_party: "us".into() },
            Payload::StanceRecorded {
                stance: Stance {
                    party: "ua".into(),
                    provision: "art-1".into(),
                    position: Position::Unacceptable,
                    reason: Some("SECRET-REASON".into()),
                },
            },
            Payload::CommentAdded {
                comment: Comment {
                    id: "c1".into(),
                    party: "ua".into(),
                    provision: "art-1".into(),
                    quote: "agree".into(),
                    text: "SECRET-COMMENT".into(),
                    private: true,
                },
            },
        ];
        payloads
            .into_iter()
            .enumerate()
            .map(|(i, payload)| Event { position: i as u64, actor: actor.clone(), at, payload, salt: None })
            .collect()
    }

    fn seat(party: &str, role: Role) -> Viewer {
        Viewer::Party { account: format!("acct-{party}"), party: party.into(), role }
    }

    #[test]
    fn another_signatory_sees_counts_and_redacted_log_entries_only() {
        let events = events();
        let state = State::from_events(&events).unwrap();
        let ru = seat("ru", Role::Signatory);
        let view = view_state(&ru, &state).unwrap();
        assert!(view.stances.is_empty());
        assert!(view.comments.is_empty());
        let counts = view.stance_counts.unwrap();
        assert_eq!((counts[0].with_reservations, counts[0].recorded), (1, 1));
        let text = serde_json::to_string(&view_state(&ru, &state)).unwrap();
        assert!(!text.contains("SECRET"), "{text}");
        for event in &events {
            let bytes = serde_json::to_vec(event).unwrap();
            let entry = filter_event(&ru, event, &bytes, &[7; 32]).unwrap();
            assert_eq!(entry.redacted, event.position != 0, "{entry:?}");
            assert_eq!(entry.leaf_hash, "07".repeat(32));
            assert!(!serde_json::to_string(&entry).unwrap().contains("SECRET"));
        }
    }

    #[test]
    fn the_evidence_of_the_process_is_shown_in_full_to_every_seated_party() {
        let at = chrono::Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap();
        let hash = "ab".repeat(32);
        let evidence = [
            Payload::KeyRegistered { party: "ua".into(), public_key: "01".repeat(32), signature: None },
            Payload::KeyRotated { party: "ua".into(), public_key: "02".repeat(32), signature: "03".repeat(64) },
            Payload::VersionAcknowledged {
                party: "ru".into(),
                number: 1,
                content_hash: hash.clone(),
                checkpoint_size: 3,
                checkpoint_root: "04".repeat(32),
                signature: "05".repeat(64),
            },
            Payload::FinalTextSigned {
                party: "ua".into(),
                number: 1,
                content_hash: hash.clone(),
                signature: "06".repeat(64),
            },
            Payload::PhaseEntered { phase: "signing".into(), reason: Some("all agreed".into()) },
            Payload::DeadlineExtended { phase: "signing".into(), end: at, reason: "travel".into() },
            Payload::Closed { number: 1, content_hash: hash },
            Payload::Lapsed { phase: "signing".into(), unsigned: vec!["ru".into()] },
            Payload::RemindersSent {
                phase: "signing".into(),
                deadline: at,
                parties: vec!["ru".into()],
                awaited: "sign version 1".into(),
            },
        ];
        let viewers = [
            seat("us", Role::Mediator),
            seat("ua", Role::Signatory),
            seat("ru", Role::Signatory),
            seat("un", Role::Observer),
        ];
        for (i, payload) in evidence.into_iter().enumerate() {
            let event = Event { position: 3 + i as u64, actor: Actor::System, at, payload, salt: None };
            let bytes = serde_json::to_vec(&event).unwrap();
            for viewer in &viewers {
                let entry = filter_event(viewer, &event, &bytes, &[1; 32]).unwrap();
                assert!(!entry.redacted, "{} for {viewer:?}", entry.kind);
            }
            assert!(filter_event(&Viewer::Stranger { account: "x".into() }, &event, &bytes, &[1; 32]).is_none());
        }
    }

    #[test]
    fn the_owner_and_the_mediator_see_everything_the_observer_nothing_private() {
        let events = events();
        let state = State::from_events(&events).unwrap();
        for viewer in [seat("ua", Role::Signatory), seat("us", Role::Mediator)] {
            let text = serde_json::to_string(&view_state(&viewer, &state)).unwrap();
            assert!(text.contains("SECRET-REASON") && text.contains("SECRET-COMMENT"), "{viewer:?}");
            let bytes = serde_json::to_vec(&events[1]).unwrap();
            let entry = filter_event(&viewer, &events[1], &bytes, &[0; 32]).unwrap();
            assert_eq!(entry.bytes.as_deref(), std::str::from_utf8(&bytes).ok());
        }
        let observer = view_state(&seat("un", Role::Observer), &state).unwrap();
        assert!(observer.draft.is_none() && observer.stance_counts.is_none() && observer.members.is_none());
        assert!(view_state(&Viewer::Stranger { account: "x".into() }, &state).is_none());
        assert!(!view_state(&seat("ua", Role::Signatory), &state).unwrap().comments[0].outdated);
    }
}
