#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone};
use proptest::prelude::*;

use super::*;
use crate::event::{Comment, Status};
use crate::model::{
    IssueKind, IssueOption, Package, Party, Phase, PhaseKind, Position, Profile, Provision, Rating, Role, Stance,
    Timetable, Value, Weighting,
};
use crate::phase::Action;

fn utc(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).single().unwrap()
}

fn phase(id: &str, kind: PhaseKind, start: DateTime<Utc>, end: DateTime<Utc>) -> Phase {
    Phase { id: id.into(), name: id.to_uppercase(), kind, start, end }
}

fn timetable() -> Timetable {
    Timetable {
        phases: vec![
            phase("consultation", PhaseKind::Consultation, utc(2, 9), utc(6, 18)),
            phase("round-1", PhaseKind::Drafting, utc(7, 9), utc(10, 18)),
            phase("final-session", PhaseKind::FinalSession, utc(11, 9), utc(12, 18)),
            phase("signing", PhaseKind::Signing, utc(13, 9), utc(15, 18)),
        ],
    }
}

const PARTIES: [(&str, Role); 5] = [
    ("un", Role::Mediator),
    ("ua", Role::Signatory),
    ("ru", Role::Signatory),
    ("eu", Role::Consulted),
    ("press", Role::Observer),
];

fn provision(id: &str, body: &str) -> Provision {
    Provision { id: id.into(), number: id.into(), heading: id.to_uppercase(), body: body.into(), wordings: Vec::new() }
}

fn negotiation() -> Negotiation {
    Negotiation {
        id: "peace".into(),
        title: "Peace framework".into(),
        description: String::new(),
        parties: PARTIES
            .iter()
            .map(|(id, role)| Party { id: (*id).into(), name: id.to_uppercase(), role: *role })
            .collect(),
        issues: vec![crate::model::Issue {
            id: "guarantees".into(),
            title: "Guarantees".into(),
            kind: IssueKind::Discrete {
                options: vec![
                    IssueOption { id: "none".into(), label: "None".into() },
                    IssueOption { id: "article-5".into(), label: "Article-5-like".into() },
                ],
            },
            draft: None,
        }],
        provisions: vec![provision("art-1", "Hostilities cease."), provision("art-2", "Prisoners are exchanged.")],
        constraints: Vec::new(),
        timetable: timetable(),
        profiles: Vec::new(),
        stances: Vec::new(),
        privacy: Default::default(),
    }
}

fn profile(party: &str) -> Profile {
    Profile {
        party: party.into(),
        illustrative: true,
        weighting: Weighting::Normalised,
        weights: vec![("guarantees".into(), 1.0)],
        ratings: vec![("guarantees".into(), Rating::Table(vec![("article-5".into(), 1.0)]))],
        red_lines: Vec::new(),
        reservation: 0.4,
        discount_factor: None,
    }
}

fn mediator() -> Actor {
    Actor::Account { account: "acc-un".into(), party: Some("un".into()) }
}

fn hex_of(n: usize) -> String {
    format!("{n:064x}")
}

/// A log written only through plans, the way the server writes it.
struct Log {
    events: Vec<Event>,
    state: State,
    salts: u64,
}

impl Log {
    fn new() -> Log {
        let mut salts = 0;
        let plan =
            State::plan_creation(&mediator(), negotiation(), "un".into(), utc(1, 9), &mut counter(&mut salts)).unwrap();
        let (events, state) = plan.into_parts();
        Log { events, state, salts }
    }

    fn keep(&mut self, plan: &Plan) {
        self.events.extend(plan.events().iter().cloned());
        self.state = plan.state().clone();
    }

    fn write(&mut self, payloads: Vec<Payload>, now: DateTime<Utc>) -> Result<Plan, PlanError> {
        self.write_as(&mediator(), payloads, now)
    }

    fn write_as(&mut self, actor: &Actor, payloads: Vec<Payload>, now: DateTime<Utc>) -> Result<Plan, PlanError> {
        let plan = self.state.plan(actor, payloads, now, &mut counter(&mut self.salts))?;
        self.keep(&plan);
        Ok(plan)
    }

    fn clock(&mut self, now: DateTime<Utc>, lead: Option<Duration>) -> Option<Plan> {
        let plan = self.state.plan_clock(now, lead, &mut counter(&mut self.salts)).unwrap()?;
        self.keep(&plan);
        Some(plan)
    }

    /// Every party but the mediator takes its seat (the mediator's is the creator's).
    fn seat_everyone(&mut self, now: DateTime<Utc>) {
        for (i, (party, role)) in PARTIES.iter().enumerate().skip(1) {
            let token_hash = hex_of(i);
            let invited = Payload::PartyInvited {
                party: (*party).into(),
                role: *role,
                token_hash: token_hash.clone(),
                expires_at: utc(28, 0),
            };
            let accepted =
                Payload::InvitationAccepted { party: (*party).into(), account: format!("acc-{party}"), token_hash };
            self.write(vec![invited, accepted], now).unwrap();
        }
    }

    fn register_keys(&mut self, now: DateTime<Utc>) {
        for (i, party) in ["ua", "ru"].iter().enumerate() {
            self.write(
                vec![Payload::KeyRegistered { party: (*party).into(), public_key: hex_of(100 + i), signature: None }],
                now,
            )
            .unwrap();
        }
    }

    /// Seats taken, keys registered, version 1 published in the consultation.
    fn ready() -> Log {
        let mut log = Log::new();
        log.seat_everyone(utc(1, 10));
        log.register_keys(utc(1, 11));
        log.write(vec![publish(&log.state)], utc(3, 10)).unwrap();
        log
    }
}

/// A salt source that counts, so every salt differs and the order shows.
fn counter(next: &mut u64) -> impl FnMut() -> Result<String, SaltError> + '_ {
    move || {
        *next += 1;
        Ok(format!("{:032x}", *next))
    }
}

fn publish(state: &State) -> Payload {
    let package = Package(vec![0]);
    let version = crate::text::render(&state.negotiation, &package).unwrap();
    Payload::VersionPublished {
        status: Default::default(),
        number: state.versions.len() as u32 + 1,
        package,
        content_hash: version.content_hash_hex(),
        version,
    }
}

fn sign(state: &State, party: &str) -> Payload {
    let latest = state.latest_version().unwrap();
    Payload::FinalTextSigned {
        party: party.into(),
        number: latest.number,
        content_hash: latest.content_hash.clone(),
        signature: "ab".repeat(64),
    }
}

fn comment(id: &str) -> Payload {
    Payload::CommentAdded {
        comment: Comment {
            id: id.into(),
            party: "un".into(),
            provision: "art-1".into(),
            quote: String::new(),
            text: "Noted.".into(),
            private: false,
        },
    }
}

fn kinds(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match (&e.actor, &e.payload) {
            (Actor::System, Payload::PhaseEntered { phase, .. }) => format!("system: enter {phase}"),
            (Actor::System, payload) => format!("system: {}", payload.kind()),
            (_, payload) => payload.kind().to_string(),
        })
        .collect()
}

#[test]
fn a_write_comes_after_the_transitions_due_and_is_judged_in_their_phase() {
    let mut log = Log::new();
    let size = log.state.size;
    let plan = log.write(vec![comment("c-1")], utc(7, 10)).unwrap();
    assert_eq!(kinds(plan.events()), ["system: enter consultation", "system: enter round-1", "comment_added"]);
    assert_eq!(plan.base(), size);
    let positions: Vec<u64> = plan.events().iter().map(|e| e.position).collect();
    assert_eq!(positions, [size, size + 1, size + 2]);
    assert!(plan.events().iter().all(|e| e.at == utc(7, 10) && e.salt.is_some()));
    assert_eq!(plan.events()[2].actor, mediator());
    assert_eq!(State::from_events(&log.events).unwrap(), log.state);
}

#[test]
fn the_last_signature_closes_the_negotiation_in_the_same_write() {
    let mut log = Log::ready();
    assert_eq!(kinds(log.clock(utc(13, 9), None).unwrap().events()).last().unwrap(), "system: enter signing");
    let first = log.write(vec![sign(&log.state, "ua")], utc(13, 10)).unwrap();
    assert_eq!(kinds(first.events()), ["final_text_signed"]);
    let last = log.write(vec![sign(&log.state, "ru")], utc(13, 11)).unwrap();
    assert_eq!(kinds(last.events()), ["final_text_signed", "system: closed"]);
    assert!(matches!(log.state.status, Status::Closed { number: 1, .. }));
}

#[test]
fn a_payload_out_of_phase_refuses_the_whole_write_naming_the_phase() {
    let log = Log::ready();
    let now = utc(7, 10);
    let expected = phase::allowed(&log.state, Action::SignFinal, now).unwrap_err();
    let result = log.state.plan(&mediator(), vec![comment("c-1"), sign(&log.state, "ua")], now, &mut counter(&mut 0));
    assert_eq!(result, Err(PlanError::WrongPhase(expected)));
    let message = result.unwrap_err().to_string();
    assert!(message.contains("round-1"), "{message}");
}

#[test]
fn an_event_that_does_not_fold_refuses_the_whole_write() {
    let log = Log::new();
    let bogus = Payload::DraftValueSet { issue: "guarantees".into(), value: Value::Option("nato".into()) };
    let result = log.state.plan(&mediator(), vec![comment("c-1"), bogus], utc(7, 10), &mut counter(&mut 0));
    // Two transitions and a comment come before it: position 4 (0 is `created`).
    assert!(matches!(result, Err(PlanError::Fold(FoldError::ValueOutOfDomain { position: 4, .. }))), "{result:?}");
}

#[test]
fn a_write_may_keep_an_old_problem_but_not_add_one() {
    let mut log = Log::new();
    let broken = Payload::ProvisionSet { provision: provision("art-3", "Guarantees: {nowhere}."), index: 2 };
    let Err(PlanError::Invalid(problems)) =
        log.state.plan(&mediator(), vec![broken.clone()], utc(1, 10), &mut counter(&mut 0))
    else {
        panic!("a slot naming no issue is a new problem");
    };
    assert!(!problems.is_empty());
    assert!(problems.iter().all(|p| p.to_string().contains("nowhere") && !p.path.is_empty()), "{problems:?}");
    // A state that already has the problem (an old log) still takes writes that add none.
    let event = Event { position: log.state.size, actor: mediator(), at: utc(1, 10), payload: broken, salt: None };
    log.state.apply(&event).unwrap();
    log.events.push(event);
    assert!(log.write(vec![comment("c-1")], utc(1, 11)).is_ok());
}

#[test]
fn a_write_with_nothing_to_append_is_empty_and_one_with_transitions_due_is_not() {
    let log = Log::new();
    assert_eq!(log.state.plan(&mediator(), Vec::new(), utc(1, 10), &mut counter(&mut 0)), Err(PlanError::Empty));
    let plan = log.state.plan(&mediator(), Vec::new(), utc(2, 10), &mut counter(&mut 0)).unwrap();
    assert_eq!(kinds(plan.events()), ["system: enter consultation"]);
}

#[test]
fn a_failing_salt_source_refuses_the_write() {
    let log = Log::new();
    let mut broken = || Err(SaltError("entropy pool closed".into()));
    let result = log.state.plan(&mediator(), vec![comment("c-1")], utc(1, 10), &mut broken);
    assert_eq!(result, Err(PlanError::Salt(SaltError("entropy pool closed".into()))));
}

#[test]
fn the_clock_plans_its_transitions_then_the_reminder_due_and_nothing_when_nothing_is_due() {
    let mut log = Log::ready();
    let lead = Some(Duration::hours(12));
    assert_eq!(log.state.plan_clock(utc(1, 12), lead, &mut counter(&mut 0)), Ok(None));
    // Round 1 ends at 10/18: its transitions are owed, and the reminder to acknowledge version 1.
    let now = utc(10, 12);
    let together = log.state.plan_clock(now, lead, &mut counter(&mut 0)).unwrap().unwrap();
    assert_eq!(kinds(together.events()), ["system: enter round-1", "system: reminders_sent"]);
    let reminder = together.reminder().unwrap();
    assert_eq!((reminder.phase.as_str(), reminder.deadline), ("round-1", utc(10, 18)));
    assert_eq!(reminder.parties, ["un", "ua", "ru", "eu"]);
    // The same as two writes: the transitions, then the reminder on the state they lead to.
    let transitions = log.clock(now, None).unwrap();
    assert_eq!(transitions.reminder(), None);
    let reminder_alone = log.clock(now, lead).unwrap();
    let payloads = |plans: &[&Plan]| -> Vec<Payload> {
        plans.iter().flat_map(|p| p.events().iter().map(|e| e.payload.clone())).collect()
    };
    assert_eq!(payloads(&[&together]), payloads(&[&transitions, &reminder_alone]));
    assert_eq!(reminder_alone.reminder(), together.reminder());
    // Reminded once per deadline.
    assert_eq!(log.state.plan_clock(now, lead, &mut counter(&mut 0)), Ok(None));
    assert_eq!(State::from_events(&log.events).unwrap(), log.state);
}

#[test]
fn a_creation_logs_the_frame_then_each_profile_and_stance_as_its_own_event() {
    let mut scenario = negotiation();
    scenario.profiles = vec![profile("ua"), profile("ru")];
    scenario.stances = vec![Stance {
        party: "ua".into(),
        provision: "art-1".into(),
        position: Position::Acceptable,
        reason: None,
        pin: None,
    }];
    let plan =
        State::plan_creation(&mediator(), scenario.clone(), "un".into(), utc(1, 9), &mut counter(&mut 0)).unwrap();
    assert_eq!(kinds(plan.events()), ["created", "profile_set", "profile_set", "stance_recorded"]);
    let Payload::Created { negotiation: frame, creator_party } = &plan.events()[0].payload else { unreachable!() };
    assert_eq!(creator_party, "un");
    assert!(frame.profiles.is_empty() && frame.stances.is_empty());
    assert!(plan.events().iter().enumerate().all(|(i, e)| e.position == i as u64 && e.actor == mediator()));
    let salts: Vec<_> = plan.events().iter().map(|e| e.salt.clone().unwrap()).collect();
    assert_eq!(salts, (1..=4).map(|n| format!("{n:032x}")).collect::<Vec<_>>());
    assert_eq!(plan.base(), 0);
    assert_eq!(State::from_events(plan.events()).as_ref(), Ok(plan.state()));
    assert_eq!(plan.state().negotiation.profiles, scenario.profiles);
    assert_eq!(plan.state().seats, [("un".to_string(), "acc-un".to_string())]);
    // Not even the clock's first transition: it follows as its own write.
    let late = State::plan_creation(&mediator(), negotiation(), "un".into(), utc(20, 0), &mut counter(&mut 0)).unwrap();
    assert_eq!(late.events().len(), 1);
    let unknown = State::plan_creation(&mediator(), negotiation(), "nobody".into(), utc(1, 9), &mut counter(&mut 0));
    assert!(matches!(unknown, Err(PlanError::Fold(FoldError::UnknownParty { position: 0, .. }))), "{unknown:?}");
}

fn seated(party: &str) -> Actor {
    Actor::Account { account: format!("acc-{party}"), party: Some(party.into()) }
}

fn pending(state: &State) -> Vec<(String, String)> {
    state.entered_for.iter().map(|e| (e.party.clone(), e.input.to_string())).collect()
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(p, i)| ((*p).to_string(), (*i).to_string())).collect()
}

fn confirm(party: &str, profile: bool, stances: &[&str]) -> Payload {
    Payload::InputsConfirmed {
        party: party.into(),
        profile,
        stances: stances.iter().map(|s| (*s).to_string()).collect(),
    }
}

#[test]
fn inputs_a_scenario_enters_for_a_party_stay_unconfirmed_until_the_party_confirms_or_replaces_them() {
    let mut scenario = negotiation();
    scenario.profiles = vec![profile("ua"), profile("ru")];
    let stance = |party: &str, provision: &str| Stance {
        party: party.into(),
        provision: provision.into(),
        position: Position::Acceptable,
        reason: None,
        pin: None,
    };
    scenario.stances = vec![stance("ua", "art-1"), stance("ua", "art-2"), stance("ru", "art-1")];
    let plan = State::plan_creation(&mediator(), scenario, "un".into(), utc(1, 9), &mut counter(&mut 0)).unwrap();
    let (events, state) = plan.into_parts();
    let mut log = Log { events, state, salts: 10 };
    assert_eq!(
        pending(&log.state),
        owned(&[
            ("ua", "profile"),
            ("ru", "profile"),
            ("ua", "stance on \"art-1\""),
            ("ua", "stance on \"art-2\""),
            ("ru", "stance on \"art-1\"")
        ])
    );
    assert!(log.state.entered_for.iter().all(|e| e.by.as_deref() == Some("un")));
    log.seat_everyone(utc(1, 10));

    // The mediator cannot confirm for the party, nor can another party.
    let by_mediator = log.write(vec![confirm("ua", true, &[])], utc(1, 11));
    assert!(
        matches!(&by_mediator, Err(PlanError::Fold(FoldError::ConfirmedByOther { party, actor: Some(actor), .. })) if party == "ua" && actor == "un"),
        "{by_mediator:?}"
    );
    let by_other = log.write_as(&seated("ru"), vec![confirm("ua", true, &[])], utc(1, 11));
    assert!(matches!(by_other, Err(PlanError::Fold(FoldError::ConfirmedByOther { .. }))), "{by_other:?}");

    // The party confirms its profile and one stance as they stand.
    log.write_as(&seated("ua"), vec![confirm("ua", true, &["art-1"])], utc(1, 11)).unwrap();
    assert_eq!(
        pending(&log.state),
        owned(&[("ru", "profile"), ("ua", "stance on \"art-2\""), ("ru", "stance on \"art-1\"")])
    );
    // What is confirmed (or was never entered for it) cannot be confirmed again.
    for again in [confirm("ua", true, &[]), confirm("ua", false, &["art-1"]), confirm("ua", false, &["art-2", "art-2"])]
    {
        let refused = log.write_as(&seated("ua"), vec![again], utc(1, 11));
        assert!(matches!(refused, Err(PlanError::Fold(FoldError::NothingToConfirm { .. }))), "{refused:?}");
    }
    let empty = log.write_as(&seated("ua"), vec![confirm("ua", false, &[])], utc(1, 11));
    assert!(matches!(empty, Err(PlanError::Fold(FoldError::EmptyConfirmation { .. }))), "{empty:?}");

    // Its own stance replaces (and so confirms) the one entered for it.
    let own = Payload::StanceRecorded { stance: Stance { position: Position::Unacceptable, ..stance("ua", "art-2") } };
    log.write_as(&seated("ua"), vec![own], utc(1, 12)).unwrap();
    // Moving its own walk-away point leaves the rest of its profile the mediator's word…
    let moved = Payload::ReservationChanged { party: "ru".into(), reservation: 0.3, note: None };
    log.write_as(&seated("ru"), vec![moved], utc(1, 12)).unwrap();
    assert_eq!(pending(&log.state), owned(&[("ru", "profile"), ("ru", "stance on \"art-1\"")]));
    // …its own profile replaces it.
    log.write_as(&seated("ru"), vec![Payload::ProfileSet { profile: profile("ru") }], utc(1, 12)).unwrap();
    assert_eq!(pending(&log.state), owned(&[("ru", "stance on \"art-1\"")]));
    // A stance on a provision that is removed is no longer pending.
    log.write(vec![Payload::ProvisionRemoved { provision: "art-1".into() }], utc(1, 13)).unwrap();
    assert!(log.state.entered_for.is_empty());
    assert_eq!(State::from_events(&log.events).unwrap(), log.state);
}

#[test]
fn a_confirmation_is_a_new_event_kind_and_old_events_keep_their_bytes() {
    let json = serde_json::to_string(&confirm("ua", true, &[])).unwrap();
    assert_eq!(json, r#"{"type":"inputs_confirmed","party":"ua","profile":true}"#);
    let back: Payload =
        serde_json::from_str(r#"{"type":"inputs_confirmed","party":"ua","stances":["art-1"]}"#).unwrap();
    assert_eq!(back, confirm("ua", false, &["art-1"]));
    // A state serialised before the field existed still reads.
    let mut value = serde_json::to_value(Log::new().state).unwrap();
    value.as_object_mut().unwrap().remove("entered_for");
    let state: State = serde_json::from_value(value).unwrap();
    assert!(state.entered_for.is_empty());
}

// ------------------------------------------------------------------ properties

/// What a person might try to write, resolved against the state of the moment.
#[derive(Debug, Clone)]
enum Intent {
    Comment(u8),
    Stance { party: u8, acceptable: bool },
    EditProvision { which: u8, broken: bool, index: usize },
    RemoveProvision(u8),
    DraftValue(u8),
    RegisterKey(u8),
    Publish,
    Sign(u8),
    Advance,
    Extend(i64),
}

fn intent() -> impl Strategy<Value = Intent> {
    prop_oneof![
        any::<u8>().prop_map(Intent::Comment),
        (0u8..6, any::<bool>()).prop_map(|(party, acceptable)| Intent::Stance { party, acceptable }),
        (0u8..4, prop::bool::weighted(0.2), 0usize..4).prop_map(|(which, broken, index)| Intent::EditProvision {
            which,
            broken,
            index
        }),
        (0u8..4).prop_map(Intent::RemoveProvision),
        (0u8..3).prop_map(Intent::DraftValue),
        (0u8..3).prop_map(Intent::RegisterKey),
        Just(Intent::Publish),
        (0u8..3).prop_map(Intent::Sign),
        Just(Intent::Advance),
        (-6i64..48).prop_map(Intent::Extend),
    ]
}

fn party_id(i: u8) -> String {
    PARTIES.get(usize::from(i)).map_or("nobody", |(id, _)| id).to_string()
}

fn payload(intent: &Intent, state: &State) -> Payload {
    let provision_id = |i: u8| format!("art-{i}");
    match intent {
        Intent::Comment(id) => comment(&format!("c-{id}")),
        Intent::Stance { party, acceptable } => Payload::StanceRecorded {
            stance: Stance {
                party: party_id(*party),
                provision: "art-1".into(),
                position: if *acceptable { Position::Acceptable } else { Position::Unacceptable },
                reason: None,
                pin: None,
            },
        },
        Intent::EditProvision { which, broken, index } => {
            let body = if *broken { "Guarantees: {nowhere}." } else { "Amended text." };
            Payload::ProvisionSet { provision: provision(&provision_id(*which), body), index: *index }
        }
        Intent::RemoveProvision(which) => Payload::ProvisionRemoved { provision: provision_id(*which) },
        Intent::DraftValue(value) => Payload::DraftValueSet {
            issue: "guarantees".into(),
            value: Value::Option(["none", "article-5", "nato"][usize::from(*value)].into()),
        },
        Intent::RegisterKey(party) => Payload::KeyRegistered {
            party: party_id(*party),
            public_key: hex_of(200 + usize::from(*party)),
            signature: None,
        },
        Intent::Publish => publish(state),
        Intent::Sign(party) if state.latest_version().is_some() => sign(state, &party_id(*party)),
        Intent::Sign(party) => Payload::FinalTextSigned {
            party: party_id(*party),
            number: 1,
            content_hash: hex_of(0),
            signature: "ab".repeat(64),
        },
        Intent::Advance => {
            let phases = &state.negotiation.timetable.phases;
            let next = phase::current(state).map_or(0, |c| c.index + 1);
            let phase = phases.get(next).map_or_else(|| "beyond".to_string(), |p| p.id.clone());
            Payload::PhaseEntered { phase, reason: Some("the parties are ready".into()) }
        }
        Intent::Extend(hours) => {
            let (phase, deadline) = phase::current(state)
                .map_or(("consultation".to_string(), utc(6, 18)), |c| (c.phase.id.clone(), c.deadline));
            Payload::DeadlineExtended { phase, end: deadline + Duration::hours(*hours), reason: "more time".into() }
        }
    }
}

/// The server's `commit` as it was before it moved here (accord-server,
/// handlers.rs), minus the store and with its errors as text: the reference
/// a plan must reproduce event for event and error for error.
fn old_commit(
    state: &State,
    actor: &Actor,
    payloads: Vec<Payload>,
    now: DateTime<Utc>,
    salt: &mut dyn FnMut() -> String,
) -> Result<Vec<Event>, String> {
    let mut next = state.clone();
    let before: Vec<String> = validate::validate(&next.negotiation).iter().map(|p| p.to_string()).collect();
    let mut events = Vec::new();
    let mut push = |next: &mut State, actor: &Actor, payload: Payload| -> Result<(), String> {
        let event = Event { position: next.size, actor: actor.clone(), at: now, payload, salt: Some(salt()) };
        next.apply(&event).map_err(|e| format!("field: {e}"))?;
        events.push(event);
        Ok(())
    };
    for payload in phase::due(&next, now) {
        push(&mut next, &Actor::System, payload)?;
    }
    for payload in payloads {
        if let Some(action) = payload.phase_action() {
            phase::allowed(&next, action, now).map_err(|e| format!("wrong_phase: {e}"))?;
        }
        push(&mut next, actor, payload)?;
    }
    for payload in phase::due(&next, now) {
        push(&mut next, &Actor::System, payload)?;
    }
    let problems: Vec<String> = validate::validate(&next.negotiation)
        .into_iter()
        .filter(|p| !before.contains(&p.to_string()))
        .map(|p| p.to_string())
        .collect();
    if !problems.is_empty() {
        return Err(format!("validation: {problems:?}"));
    }
    if events.is_empty() {
        return Err("internal: a write with no events".into());
    }
    Ok(events)
}

/// A plan's outcome in the terms of [`old_commit`].
fn as_old_commit(result: &Result<Plan, PlanError>) -> Result<Vec<Event>, String> {
    match result {
        Ok(plan) => Ok(plan.events().to_vec()),
        Err(PlanError::WrongPhase(refusal)) => Err(format!("wrong_phase: {refusal}")),
        Err(PlanError::Fold(e)) => Err(format!("field: {e}")),
        Err(PlanError::Invalid(problems)) => {
            Err(format!("validation: {:?}", problems.iter().map(ToString::to_string).collect::<Vec<_>>()))
        }
        Err(PlanError::Empty) => Err("internal: a write with no events".into()),
        Err(PlanError::Salt(e)) => Err(format!("internal: {e}")),
    }
}

/// Checks everything a plan promises about `plan` of `payloads` on `before` at `now`.
fn check_plan(before: &State, payloads: &[Payload], now: DateTime<Utc>, plan: &Plan) -> Result<(), TestCaseError> {
    prop_assert!(!plan.events().is_empty());
    prop_assert_eq!(plan.base(), before.size);
    for (offset, event) in plan.events().iter().enumerate() {
        prop_assert_eq!(event.position, before.size + offset as u64, "positions are consecutive from the size");
        prop_assert_eq!(event.at, now);
        prop_assert!(event.salt.is_some());
    }
    let written: Vec<&Payload> =
        plan.events().iter().filter(|e| e.actor != Actor::System).map(|e| &e.payload).collect();
    prop_assert_eq!(written, payloads.iter().collect::<Vec<_>>(), "the payloads, in order, by their actor");
    // Every event folds, and folding them reproduces the planned state.
    let mut replayed = before.clone();
    for event in plan.events() {
        replayed.apply(event).map_err(|e| TestCaseError::fail(format!("a planned event does not fold: {e}")))?;
    }
    prop_assert_eq!(&replayed, plan.state());
    prop_assert!(phase::due(plan.state(), now).is_empty(), "nothing is left due");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn plans_fold_into_the_state_they_plan_at_consecutive_positions(
        steps in prop::collection::vec((0i64..72, prop::collection::vec(intent(), 0..4), any::<bool>()), 1..14),
    ) {
        let mut log = Log::new();
        log.seat_everyone(utc(1, 10));
        let mut now = utc(1, 10);
        for (hours, intents, remind) in steps {
            now += Duration::hours(hours);
            if intents.is_empty() && remind {
                let before = log.state.clone();
                if let Some(plan) = log.clock(now, Some(Duration::hours(24))) {
                    check_plan(&before, &[], now, &plan)?;
                }
                continue;
            }
            let payloads: Vec<Payload> = intents.iter().map(|i| payload(i, &log.state)).collect();
            let before = log.state.clone();
            let mut salts = log.salts;
            let mut salt = counter(&mut salts);
            let expected = old_commit(&before, &mediator(), payloads.clone(), now, &mut || salt().unwrap());
            let result = log.write(payloads.clone(), now);
            prop_assert_eq!(as_old_commit(&result), expected, "the plan writes what the server's commit wrote");
            match result {
                Ok(plan) => check_plan(&before, &payloads, now, &plan)?,
                Err(PlanError::WrongPhase(refusal)) => {
                    let action = match &refusal {
                        PhaseRefusal::OutOfPhase { action, .. }
                        | PhaseRefusal::Ended { action, .. }
                        | PhaseRefusal::NoTimetable { action }
                        | PhaseRefusal::NoNextPhase { action, .. }
                        | PhaseRefusal::NothingToSign { action } => *action,
                    };
                    prop_assert!(payloads.iter().any(|p| p.phase_action() == Some(action)));
                }
                Err(PlanError::Empty) => {
                    prop_assert!(payloads.is_empty() && phase::due(&before, now).is_empty());
                }
                Err(PlanError::Invalid(problems)) => prop_assert!(!problems.is_empty()),
                Err(PlanError::Fold(_)) => {}
                Err(PlanError::Salt(e)) => prop_assert!(false, "the counter never fails: {e}"),
            }
        }
        let folded = State::from_events(&log.events);
        prop_assert_eq!(folded.as_ref(), Ok(&log.state), "the log folds to the state");
    }

    #[test]
    fn a_payload_outside_its_phase_is_refused_and_nothing_is_planned(
        hours in 0i64..(24 * 18),
        gated in intent(),
    ) {
        let log = Log::ready();
        let now = utc(3, 10) + Duration::hours(hours);
        let payloads = vec![comment("c-0"), payload(&gated, &log.state)];
        let refusal = payloads
            .iter()
            .filter_map(Payload::phase_action)
            .find_map(|action| phase::allowed(&log.state, action, now).err());
        let result = log.state.plan(&mediator(), payloads, now, &mut counter(&mut 0));
        match refusal {
            Some(refusal) => prop_assert_eq!(result, Err(PlanError::WrongPhase(refusal))),
            None => prop_assert!(!matches!(result, Err(PlanError::WrongPhase(_))), "{:?}", result),
        }
    }
}
