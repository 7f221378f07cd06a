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
