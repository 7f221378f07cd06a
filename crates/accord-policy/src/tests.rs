#![allow(clippy::unwrap_used)]
//! The role × resource × action matrix, written out by hand so that a change
//! of policy is a visible change of this table.

use accord_core::{Privacy, Role};

use super::*;

fn viewers() -> Vec<(&'static str, Viewer)> {
    viewers_under(Privacy::default())
}

fn viewers_under(privacy: Privacy) -> Vec<(&'static str, Viewer)> {
    let seat =
        |party: &str, role| Viewer::Party { account: format!("acct-{party}"), party: party.into(), role, privacy };
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
        (Read, R::WorkingDraft, "DDADDDD"),
        (Write, R::WorkingDraft, "DDDDDDD"),
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
        (Read, R::EnteredFor { party: "ua" }, "DDAADDD"),
        (Write, R::EnteredFor { party: "ua" }, "DDDADDD"),
        (Write, R::EnteredFor { party: "eu" }, "DDDDDAD"),
        (Write, R::EnteredFor { party: "us" }, "DDDDDDD"),
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
            Resource::WorkingDraft => "working-draft",
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
            Resource::EnteredFor { .. } => "entered-for",
        }
    }
    let all = [
        "list",
        "negotiation",
        "draft",
        "working-draft",
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
        "entered-for",
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

/// Under blind mediation, the cells that change: all in the mediator's
/// column (`R` where the mediator used to read a position: it gets the
/// counts; `D` for reasons, profiles, reservation histories, balances and
/// the full export). Every other cell of [`matrix`] stays as it is.
fn blind_mediator_cells() -> Vec<(Action, Resource<'static>, char)> {
    use Action::Read;
    use Resource as R;
    vec![
        (Read, R::StancePosition { party: "ua" }, 'R'),
        (Read, R::StancePosition { party: "eu" }, 'R'),
        (Read, R::StanceReason { party: "ua" }, 'D'),
        (Read, R::StanceReason { party: "eu" }, 'D'),
        (Read, R::Profile { party: "ua" }, 'D'),
        (Read, R::Profile { party: "eu" }, 'D'),
        (Read, R::ReservationHistory { party: "ua" }, 'D'),
        (Read, R::ReservationHistory { party: "ru" }, 'D'),
        (Read, R::Balance { party: "ua" }, 'D'),
        (Read, R::Balance { party: "ru" }, 'D'),
        (Read, R::LogExport, 'D'),
    ]
}

#[test]
fn blind_mediation_changes_only_the_mediators_private_reads() {
    let privacy = Privacy { blind_mediation: true, ..Privacy::default() };
    let blind = viewers_under(privacy);
    let overrides = blind_mediator_cells();
    let mut mismatches = Vec::new();
    for (action, resource, row) in matrix() {
        for (column, ((name, viewer), default_cell)) in blind.iter().zip(row.chars()).enumerate() {
            let mediator_override = overrides.iter().find(|(a, r, _)| *a == action && *r == resource);
            let expected = match (column, mediator_override) {
                (2, Some((_, _, cell))) => *cell,
                _ => default_cell,
            };
            let expected = match expected {
                'A' => Decision::Allow,
                'D' => Decision::Deny,
                _ => Decision::Redact,
            };
            let got = decide(viewer, action, &resource);
            if got != expected {
                mismatches.push(format!("{action:?} {resource:?} as {name}: expected {expected:?}, got {got:?}"));
            }
        }
    }
    // Every override names a row of the table, so none is silently unused.
    for (action, resource, _) in &overrides {
        assert!(matrix().iter().any(|(a, r, _)| a == action && r == resource), "{action:?} {resource:?}");
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn sharing_the_working_draft_changes_only_who_reads_it() {
    let privacy = Privacy { parties_see_working_draft: true, ..Privacy::default() };
    let sharing = viewers_under(privacy);
    let mut mismatches = Vec::new();
    for (action, resource, row) in matrix() {
        let row = if (action, resource) == (Action::Read, Resource::WorkingDraft) { "DDAAAAD" } else { row };
        for ((name, viewer), cell) in sharing.iter().zip(row.chars()) {
            let expected = match cell {
                'A' => Decision::Allow,
                'D' => Decision::Deny,
                _ => Decision::Redact,
            };
            let got = decide(viewer, action, &resource);
            if got != expected {
                mismatches.push(format!("{action:?} {resource:?} as {name}: expected {expected:?}, got {got:?}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
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
            privacy: Default::default(),
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
                    pin: None,
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
        Viewer::Party { account: format!("acct-{party}"), party: party.into(), role, privacy: Default::default() }
    }

    #[test]
    fn another_signatory_sees_counts_and_redacted_log_entries_only() {
        let events = events();
        let state = State::from_events(&events).unwrap();
        let ru = seat("ru", Role::Signatory);
        let view = view_state(&ru, &state).unwrap();
        assert!(view.stances.is_empty());
        assert!(view.comments.is_empty());
        // ua is the only party ru cannot see: a count would be ua's position.
        let counts = view.stance_counts.unwrap();
        assert!(counts[0].withheld);
        assert_eq!((counts[0].with_reservations, counts[0].recorded), (None, None));
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
    fn a_stance_the_mediator_entered_for_a_party_is_flagged_to_the_party_and_the_mediator_only() {
        // The fixture's stance of ua is logged by the mediator's account.
        let mut events = events();
        let state = State::from_events(&events).unwrap();
        for viewer in [seat("ua", Role::Signatory), seat("us", Role::Mediator)] {
            let view = view_state(&viewer, &state).unwrap();
            assert!(view.stances[0].entered_by_mediator, "{viewer:?}");
            assert_eq!(view.unconfirmed.len(), 1);
            assert_eq!(view.unconfirmed[0].stances, ["art-1"]);
            assert!(!view.unconfirmed[0].profile);
        }
        for viewer in [seat("ru", Role::Signatory), seat("un", Role::Observer)] {
            assert!(view_state(&viewer, &state).unwrap().unconfirmed.is_empty(), "{viewer:?}");
        }
        // Once ua confirms, nothing is flagged; the confirmation is ua's business.
        let at = chrono::Utc.with_ymd_and_hms(2025, 1, 3, 0, 0, 0).unwrap();
        let ua = Actor::Account { account: "acct-ua".into(), party: Some("ua".into()) };
        let payload = Payload::InputsConfirmed { party: "ua".into(), profile: false, stances: vec!["art-1".into()] };
        events.push(Event { position: 3, actor: ua, at, payload, salt: None });
        let state = State::from_events(&events).unwrap();
        let view = view_state(&seat("ua", Role::Signatory), &state).unwrap();
        assert!(!view.stances[0].entered_by_mediator && view.unconfirmed.is_empty());
        let bytes = serde_json::to_vec(&events[3]).unwrap();
        assert!(!filter_event(&seat("us", Role::Mediator), &events[3], &bytes, &[0; 32]).unwrap().redacted);
        assert!(filter_event(&seat("ru", Role::Signatory), &events[3], &bytes, &[0; 32]).unwrap().redacted);
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

/// Blind mediation and aggregates that do not identify, on folded states.
mod privacy {
    use accord_core::event::{Actor, Comment, Event, Payload, State};
    use accord_core::{Negotiation, Party, Position, Privacy, Profile, Provision, Role, Stance, Timetable, Weighting};
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    use crate::view::{StanceCount, filter_event, stance_counts, view_state};
    use crate::{Action, Resource, Viewer, decide};

    /// A mediator `us`, an observer `un`, and `stakeholders` (id, role) on one provision.
    fn negotiation(stakeholders: &[(&str, Role)], privacy: Privacy) -> Negotiation {
        let party = |id: &str, role| Party { id: id.into(), name: id.into(), role };
        let mut parties = vec![party("us", Role::Mediator), party("un", Role::Observer)];
        parties.extend(stakeholders.iter().map(|(id, role)| party(id, *role)));
        Negotiation {
            id: "n".into(),
            title: "T".into(),
            description: String::new(),
            parties,
            issues: Vec::new(),
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
            privacy,
        }
    }

    fn seat(n: &Negotiation, party: &str) -> Viewer {
        let role = n.party(party).map(|p| p.role).unwrap_or(Role::Observer);
        Viewer::Party { account: format!("acct-{party}"), party: party.into(), role, privacy: n.privacy }
    }

    fn stance(party: &str, position: Position) -> Stance {
        Stance {
            party: party.into(),
            provision: "art-1".into(),
            position,
            reason: Some(format!("REASON-{party}")),
            pin: None,
        }
    }

    /// 0: no stance, 1: acceptable, 2: acceptable_if, 3: unacceptable.
    fn with_positions(mut n: Negotiation, ids: &[String], positions: &[u8]) -> Negotiation {
        n.stances = ids
            .iter()
            .zip(positions)
            .filter_map(|(id, p)| {
                let position = match p {
                    0 => return None,
                    1 => Position::Acceptable,
                    2 => Position::AcceptableIf { conditions: Vec::new() },
                    _ => Position::Unacceptable,
                };
                Some(stance(id, position))
            })
            .collect();
        n
    }

    /// The category a count can tell about a position code: none, acceptable, with reservations.
    fn category(code: u8) -> u8 {
        code.min(2)
    }

    #[test]
    fn two_signatories_and_a_consulted_party_do_not_learn_each_others_positions() {
        // The finding: A knows its own stance; a count over A and one other
        // party is that party's position.
        let base =
            negotiation(&[("a", Role::Signatory), ("b", Role::Signatory), ("c", Role::Consulted)], Privacy::default());
        let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        // b and c both unacceptable: homogeneous, withheld from a.
        let n = with_positions(base.clone(), &ids, &[1, 3, 3]);
        assert!(stance_counts(&seat(&n, "a"), &n)[0].withheld);
        // b unacceptable, c acceptable: a sees 1 of 3 with reservations, and cannot tell whose.
        let n = with_positions(base.clone(), &ids, &[1, 3, 1]);
        let shown = &stance_counts(&seat(&n, "a"), &n)[0];
        assert_eq!((shown.withheld, shown.with_reservations, shown.recorded), (false, Some(1), Some(3)));
        // With the rule off, the old behaviour: counts always shown.
        let mut off = with_positions(base, &ids, &[1, 3, 3]);
        off.privacy.count_threshold = 0;
        assert_eq!(stance_counts(&seat(&off, "a"), &off)[0].with_reservations, Some(2));
        // A higher threshold: two hidden parties are not enough.
        let mut three = with_positions(off.clone(), &ids, &[1, 3, 1]);
        three.privacy.count_threshold = 3;
        assert!(stance_counts(&seat(&three, "a"), &three)[0].withheld);
    }

    #[test]
    fn the_sighted_mediator_sees_counts_the_blind_one_only_when_they_do_not_identify() {
        let stakeholders = [("a", Role::Signatory), ("b", Role::Signatory)];
        let ids: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        let sighted = with_positions(negotiation(&stakeholders, Privacy::default()), &ids, &[3, 3]);
        assert_eq!(stance_counts(&seat(&sighted, "us"), &sighted)[0].with_reservations, Some(2));
        let blind_privacy = Privacy { blind_mediation: true, ..Privacy::default() };
        let blind = with_positions(negotiation(&stakeholders, blind_privacy), &ids, &[3, 3]);
        assert!(stance_counts(&seat(&blind, "us"), &blind)[0].withheld);
        let blind = with_positions(negotiation(&stakeholders, blind_privacy), &ids, &[3, 1]);
        assert_eq!(stance_counts(&seat(&blind, "us"), &blind)[0].with_reservations, Some(1));
    }

    proptest! {
        /// The criterion: for every viewer and every other stakeholder X whose
        /// position the viewer may not read, the assignments of the hidden
        /// parties' positions that give the viewer exactly the counts it was
        /// shown (found by brute force over the four positions each) put X in
        /// at least two different categories (no stance / acceptable / with
        /// reservations). So no count pins down any single party's category.
        #[test]
        fn no_viewer_can_deduce_a_single_partys_position_from_the_counts(
            roles in prop::collection::vec(prop::bool::ANY, 1..=5),
            positions in prop::collection::vec(0u8..4, 5),
            threshold in 0u32..5,
            blind in prop::bool::ANY,
        ) {
            let ids: Vec<String> = (0..roles.len()).map(|i| format!("p{i}")).collect();
            let stakeholders: Vec<(&str, Role)> = ids
                .iter()
                .zip(&roles)
                .map(|(id, signatory)| (id.as_str(), if *signatory { Role::Signatory } else { Role::Consulted }))
                .collect();
            let privacy = Privacy { blind_mediation: blind, count_threshold: threshold, ..Privacy::default() };
            let base = negotiation(&stakeholders, privacy);
            let actual = &positions[..ids.len()];
            let n = with_positions(base.clone(), &ids, actual);
            let mut viewers: Vec<&str> = ids.iter().map(String::as_str).collect();
            viewers.push("us");
            for viewer_id in viewers {
                let viewer = seat(&n, viewer_id);
                let shown: Vec<StanceCount> = stance_counts(&viewer, &n);
                let hidden: Vec<usize> = (0..ids.len())
                    .filter(|&i| !decide(&viewer, Action::Read, &Resource::StancePosition { party: &ids[i] }).allowed())
                    .collect();
                if threshold < 2 || hidden.is_empty() {
                    // The rule is off, or there is nothing to hide.
                    prop_assert!(!shown[0].withheld);
                    continue;
                }
                // Every assignment of the hidden parties' positions, the rest as they are.
                let mut seen_categories: Vec<Vec<u8>> = vec![Vec::new(); ids.len()];
                for code in 0..4usize.pow(hidden.len() as u32) {
                    let mut alternative = actual.to_vec();
                    let mut rest = code;
                    for &i in &hidden {
                        alternative[i] = (rest % 4) as u8;
                        rest /= 4;
                    }
                    let m = with_positions(base.clone(), &ids, &alternative);
                    if stance_counts(&viewer, &m) == shown {
                        for &i in &hidden {
                            let c = category(alternative[i]);
                            if !seen_categories[i].contains(&c) {
                                seen_categories[i].push(c);
                            }
                        }
                    }
                }
                for &i in &hidden {
                    prop_assert!(
                        seen_categories[i].len() >= 2,
                        "{} could tell that {} is in category {:?} from {:?}",
                        viewer_id, ids[i], seen_categories[i], shown
                    );
                }
            }
        }
    }

    fn events(privacy: Privacy) -> Vec<Event> {
        let mut created = negotiation(&[("a", Role::Signatory), ("b", Role::Signatory)], privacy);
        created.issues.clear();
        let at = Utc.with_ymd_and_hms(2025, 1, 1, 9, 41, 17).unwrap();
        let actor = Actor::Account { account: "acct-a".into(), party: Some("a".into()) };
        let payloads = vec![
            Payload::Created { negotiation: created, creator_party: "us".into() },
            Payload::StanceRecorded { stance: stance("a", Position::Unacceptable) },
            Payload::ProfileSet {
                profile: Profile {
                    party: "a".into(),
                    weights: Vec::new(),
                    weighting: Weighting::default(),
                    ratings: Vec::new(),
                    red_lines: Vec::new(),
                    reservation: 0.25,
                    illustrative: false,
                    discount_factor: None,
                },
            },
            Payload::CommentAdded {
                comment: Comment {
                    id: "c1".into(),
                    party: "a".into(),
                    provision: "art-1".into(),
                    quote: "agree".into(),
                    text: "PUBLIC-COMMENT".into(),
                    private: false,
                },
            },
        ];
        payloads
            .into_iter()
            .enumerate()
            .map(|(i, payload)| Event { position: i as u64, actor: actor.clone(), at, payload, salt: None })
            .collect()
    }

    #[test]
    fn a_blind_mediator_receives_no_private_input_from_the_state_or_the_log() {
        let blind = Privacy { blind_mediation: true, ..Privacy::default() };
        let events = events(blind);
        let state = State::from_events(&events).unwrap();
        let mediator = seat(&state.negotiation, "us");
        let view = view_state(&mediator, &state).unwrap();
        assert!(view.stances.is_empty() && view.profiles.is_empty() && view.stance_history.is_empty());
        assert!(view.reservation_history.is_empty());
        assert!(view.privacy.blind_mediation);
        let text = serde_json::to_string(&view).unwrap();
        assert!(!text.contains("REASON-") && !text.contains("0.25"), "{text}");
        for event in &events[1..3] {
            let bytes = serde_json::to_vec(event).unwrap();
            let entry = filter_event(&mediator, event, &bytes, &[0; 32]).unwrap();
            assert!(entry.redacted && entry.bytes.is_none(), "{entry:?}");
        }
        assert!(!decide(&mediator, Action::Read, &Resource::LogExport).allowed());
        // The same log without blind mediation: the mediator reads it all.
        let events = events_sighted();
        let state = State::from_events(&events).unwrap();
        let text = serde_json::to_string(&view_state(&seat(&state.negotiation, "us"), &state)).unwrap();
        assert!(text.contains("REASON-a") && text.contains("0.25"), "{text}");
    }

    fn events_sighted() -> Vec<Event> {
        events(Privacy::default())
    }

    #[test]
    fn a_redacted_entry_tells_the_hour_a_full_one_the_second() {
        let events = events(Privacy::default());
        let state = State::from_events(&events).unwrap();
        let b = seat(&state.negotiation, "b");
        let exact = Utc.with_ymd_and_hms(2025, 1, 1, 9, 41, 17).unwrap();
        let hour = Utc.with_ymd_and_hms(2025, 1, 1, 9, 0, 0).unwrap();
        let at = |i: usize| {
            let bytes = serde_json::to_vec(&events[i]).unwrap();
            let entry = filter_event(&b, &events[i], &bytes, &[0; 32]).unwrap();
            (entry.redacted, entry.at)
        };
        assert_eq!(at(1), (true, hour), "a's stance, seen by b");
        assert_eq!(at(2), (true, hour), "a's profile, seen by b");
        assert_eq!(at(3), (false, exact), "a public comment");
        // The owner reads its own entries in full, to the second.
        let bytes = serde_json::to_vec(&events[1]).unwrap();
        assert_eq!(filter_event(&seat(&state.negotiation, "a"), &events[1], &bytes, &[0; 32]).unwrap().at, exact);
    }
}

/// Revisions, not keystrokes: the mediator's working draft stays the
/// mediator's until published, unless parties may watch it.
mod working {
    use accord_core::event::{Actor, Event, Payload, State};
    use accord_core::{Negotiation, Party, Privacy, Provision, Role, TextStatus, Timetable};
    use chrono::{TimeZone, Utc};

    use crate::Viewer;
    use crate::view::{TextKind, check_in_visible_text, filter_event, view_state, visible_text};

    const CANARY: &str = "CANARY-WORKING-7f3a";

    fn provision(id: &str, body: &str) -> Provision {
        Provision { id: id.into(), number: id.into(), heading: id.into(), body: body.into(), wordings: Vec::new() }
    }

    fn created(privacy: Privacy) -> Negotiation {
        let party = |id: &str, role| Party { id: id.into(), name: id.into(), role };
        Negotiation {
            id: "n".into(),
            title: "T".into(),
            description: String::new(),
            parties: vec![
                party("us", Role::Mediator),
                party("ua", Role::Signatory),
                party("eu", Role::Consulted),
                party("un", Role::Observer),
            ],
            issues: Vec::new(),
            provisions: vec![provision("art-1", "The parties agree.")],
            constraints: Vec::new(),
            timetable: Timetable::default(),
            profiles: Vec::new(),
            stances: Vec::new(),
            privacy,
        }
    }

    fn seat(state: &State, party: &str) -> Viewer {
        let role = state.negotiation.party(party).map(|p| p.role).unwrap_or(Role::Observer);
        Viewer::Party {
            account: format!("acct-{party}"),
            party: party.into(),
            role,
            privacy: state.negotiation.privacy,
        }
    }

    /// Created, then the mediator writes the canary into art-1 and adds art-2 (unpublished).
    fn log(privacy: Privacy) -> Vec<Event> {
        let at = Utc.with_ymd_and_hms(2025, 1, 1, 9, 0, 0).unwrap();
        let actor = Actor::Account { account: "acct-us".into(), party: Some("us".into()) };
        [
            Payload::Created { negotiation: created(privacy), creator_party: "us".into() },
            Payload::ProvisionSet { provision: provision("art-1", &format!("The parties agree. {CANARY}")), index: 0 },
            Payload::ProvisionSet { provision: provision("art-2", "Second."), index: 1 },
            Payload::AdReferendumSet { provision: "art-1".into(), agreed: true },
        ]
        .into_iter()
        .enumerate()
        .map(|(i, payload)| Event { position: i as u64, actor: actor.clone(), at, payload, salt: None })
        .collect()
    }

    fn publish(state: &State) -> Payload {
        let package = state.negotiation.draft_package();
        let version = accord_core::text::render(&state.negotiation, &package).unwrap();
        Payload::VersionPublished {
            number: state.versions.len() as u32 + 1,
            package,
            content_hash: version.content_hash_hex(),
            version,
            status: TextStatus::CompilationOfProposals,
        }
    }

    /// Everything `viewer` receives: its view of the state and of every event.
    fn everything(viewer: &Viewer, state: &State, events: &[Event]) -> String {
        let mut out = serde_json::to_string(&view_state(viewer, state)).unwrap();
        for event in events {
            let bytes = serde_json::to_vec(event).unwrap();
            out.push_str(&serde_json::to_string(&filter_event(viewer, event, &bytes, &[0; 32])).unwrap());
        }
        out
    }

    #[test]
    fn parties_read_the_released_text_and_the_mediator_its_working_draft() {
        let events = log(Privacy::default());
        let state = State::from_events(&events).unwrap();
        for party in ["ua", "eu", "un"] {
            let viewer = seat(&state, party);
            let seen = everything(&viewer, &state, &events);
            assert!(!seen.contains(CANARY) && !seen.contains("art-2"), "{party} saw the working draft: {seen}");
            assert_eq!(visible_text(&viewer, &state).kind, TextKind::Released);
        }
        let ua = seat(&state, "ua");
        let draft = view_state(&ua, &state).unwrap().draft.unwrap();
        assert_eq!((draft.kind, draft.unreleased.is_none()), (TextKind::Released, true));
        assert!(draft.ad_referendum.is_empty(), "the mark is released with the next publication");
        let refused = check_in_visible_text(&ua, &state, "art-2").unwrap_err();
        assert_eq!(refused.to_string(), "provision \"art-2\" is not in the text you read (the released text)");
        assert!(check_in_visible_text(&ua, &state, "art-1").is_ok());

        let mediator = seat(&state, "us");
        let seen = everything(&mediator, &state, &events);
        assert!(seen.contains(CANARY));
        let draft = view_state(&mediator, &state).unwrap().draft.unwrap();
        assert_eq!(draft.kind, TextKind::Working);
        let unreleased = draft.unreleased.unwrap();
        assert_eq!(unreleased.edits, 3);
        assert_eq!(unreleased.provisions_changed, vec!["art-1".to_string(), "art-2".to_string()]);
        assert!(check_in_visible_text(&mediator, &state, "art-2").is_ok());
    }

    #[test]
    fn with_the_setting_on_participants_watch_the_working_draft_observers_do_not() {
        let events = log(Privacy { parties_see_working_draft: true, ..Privacy::default() });
        let state = State::from_events(&events).unwrap();
        for party in ["ua", "eu"] {
            let viewer = seat(&state, party);
            assert!(everything(&viewer, &state, &events).contains(CANARY), "{party}");
            let draft = view_state(&viewer, &state).unwrap().draft.unwrap();
            assert_eq!(draft.kind, TextKind::WorkingNotReleased);
            assert_eq!(TextKind::WorkingNotReleased.label(), "working draft, not released");
        }
        assert!(!everything(&seat(&state, "un"), &state, &events).contains(CANARY), "observers read versions only");
    }

    #[test]
    fn publishing_releases_the_working_draft_to_every_party_at_once() {
        let mut events = log(Privacy::default());
        let mut state = State::from_events(&events).unwrap();
        let at = Utc.with_ymd_and_hms(2025, 1, 1, 10, 0, 0).unwrap();
        let actor = Actor::Account { account: "acct-us".into(), party: Some("us".into()) };
        let event = Event { position: state.size, actor, at, payload: publish(&state), salt: None };
        state.apply(&event).unwrap();
        events.push(event);
        let ua = seat(&state, "ua");
        let draft = view_state(&ua, &state).unwrap().draft.unwrap();
        assert!(draft.provisions.iter().any(|p| p.body.contains(CANARY)));
        assert_eq!(draft.ad_referendum, vec!["art-1".to_string()]);
        assert_eq!((draft.released_version, draft.status), (Some(1), Some(TextStatus::CompilationOfProposals)));
        // The edit events that led there stay keystrokes: redacted.
        for event in &events[1..4] {
            let bytes = serde_json::to_vec(event).unwrap();
            assert!(filter_event(&ua, event, &bytes, &[0; 32]).unwrap().redacted);
        }
        // The observer reads the released version itself.
        assert!(serde_json::to_string(&state.versions).unwrap().contains(CANARY));
    }
}
