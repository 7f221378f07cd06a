//! The negotiation's overview, its members and invitations, creating one, and
//! the mediator's phase control.

use accord_core::event::{Actor, Event, Payload};
use accord_policy::{Action, Resource};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::dashboard::{Deadline, engagement_of, next_deadline};
use super::load::load;
use super::{
    FieldProblem, Form, Layout, PageError, api, form_status, format, problems, render, require_account, see_other,
};
use crate::AppState;
use crate::api::{AdvanceInput, EventsView, InvitationCreated, InviteInput, PartyKeyView};
use crate::auth::Caller;
use crate::extract::{ApiJson, IfMatch, IntQuery, NegotiationPath};
use crate::handlers;

fn path(id: &str) -> NegotiationPath {
    NegotiationPath { id: id.to_string() }
}

#[derive(Debug, Clone)]
pub(crate) struct PhaseRow {
    pub name: String,
    pub kind: String,
    pub start: String,
    pub deadline: String,
    pub state: &'static str,
}

#[derive(Debug, Clone)]
pub(crate) struct EngagementRow {
    pub version: u32,
    pub published: String,
    /// Per party, in party order: "acknowledged …", "signed …" or "—".
    pub cells: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct ActivityRow {
    pub position: u64,
    pub at: String,
    pub iso: String,
    pub text: String,
}

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    id: String,
    description: String,
    phase: String,
    deadline: Option<Deadline>,
    phases: Vec<PhaseRow>,
    timetable_chart: String,
    parties: Vec<String>,
    engagement: Vec<EngagementRow>,
    activity: Vec<ActivityRow>,
    may_advance: bool,
    base: u64,
}

/// One event in a sentence, from the bytes the policy let through (or its type alone when redacted).
fn describe(kind: &str, bytes: Option<&str>, names: &dyn Fn(&str) -> String) -> String {
    let Some(event) = bytes.and_then(|b| serde_json::from_str::<Event>(b).ok()) else {
        return format!("{} (details not shown to you)", kind.replace('_', " "));
    };
    let who = match &event.actor {
        Actor::Account { party: Some(party), .. } => names(party),
        Actor::Account { party: None, .. } => "an invitee".to_string(),
        Actor::System => "The timetable".to_string(),
    };
    let what = match &event.payload {
        Payload::Created { .. } => "created the negotiation".to_string(),
        Payload::PartyInvited { party, .. } => format!("invited someone to the seat of {}", names(party)),
        Payload::InvitationAccepted { party, .. } => format!("took the seat of {}", names(party)),
        Payload::InvitationRevoked { party, .. } => format!("revoked an invitation to the seat of {}", names(party)),
        Payload::ProvisionSet { provision, .. } => format!("edited provision {}", provision.number),
        Payload::ProvisionRemoved { provision } => format!("removed provision {provision}"),
        Payload::IssueSet { issue } => format!("edited issue {}", issue.title),
        Payload::DraftValueSet { issue, .. } => format!("changed the draft's choice on {issue}"),
        Payload::StanceRecorded { stance } if !event.actor.is_party(&stance.party) => {
            format!("entered a stance on {} for {}", stance.provision, names(&stance.party))
        }
        Payload::StanceRecorded { stance } => format!("recorded a stance on {}", stance.provision),
        Payload::CommentAdded { comment } => format!("commented on {}", comment.provision),
        Payload::ProfileSet { profile } if !event.actor.is_party(&profile.party) => {
            format!("entered the profile of {}", names(&profile.party))
        }
        Payload::ProfileSet { .. } => "updated its profile".to_string(),
        Payload::InputsConfirmed { .. } => "confirmed what the mediator entered for it".to_string(),
        Payload::ReservationChanged { .. } => "moved its reservation value".to_string(),
        Payload::VersionPublished { number, .. } => format!("published version {number}"),
        Payload::VersionAcknowledged { number, .. } => format!("acknowledged version {number}"),
        Payload::FinalTextSigned { number, .. } => format!("signed version {number}"),
        Payload::PhaseEntered { phase, .. } => format!("entered phase {phase}"),
        Payload::DeadlineExtended { phase, .. } => format!("extended the deadline of {phase}"),
        other => other.kind().replace('_', " "),
    };
    format!("{who} {what}")
}

pub(crate) async fn home(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let loaded = load(&app, &caller, &id, &format!("/n/{id}")).await?;
    let now = app.clock.now();
    let (phase, deadline) = next_deadline(&loaded, now);
    let current_id = loaded.phase.as_ref().and_then(|p| p.current.as_ref()).map(|c| c.id.clone());
    let mut past = current_id.is_some();
    let phases = loaded
        .phase
        .iter()
        .flat_map(|p| p.timetable.iter())
        .map(|p| {
            let state = if Some(&p.id) == current_id.as_ref() {
                past = false;
                "current"
            } else if past {
                "past"
            } else {
                "future"
            };
            PhaseRow {
                name: p.name.clone(),
                kind: p.kind.replace('_', " "),
                start: format::when(p.start),
                deadline: format::when(p.deadline),
                state,
            }
        })
        .collect();
    let timetable_chart = match &loaded.phase {
        Some(phase) if !phase.timetable.is_empty() => accord_charts::timetable(&accord_charts::TimetableChart {
            id: "timetable-chart".into(),
            phases: phase
                .timetable
                .iter()
                .map(|p| accord_charts::TimetablePhase {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    kind: p.kind.replace('_', " "),
                    start: p.start,
                    end: loaded
                        .view
                        .draft
                        .as_ref()
                        .and_then(|d| d.timetable.phases.iter().find(|x| x.id == p.id))
                        .map_or(p.deadline, |x| x.end),
                    deadline: p.deadline,
                    current: Some(&p.id) == current_id.as_ref(),
                })
                .collect(),
            now: Some(now),
        }),
        _ => String::new(),
    };
    let engagement_record = engagement_of(&app, &caller, &loaded).await?;
    let parties: Vec<String> = loaded.view.parties.iter().map(|p| p.name.clone()).collect();
    let engagement = engagement_record
        .iter()
        .rev()
        .map(|v| EngagementRow {
            version: v.number,
            published: format::when(v.published.at),
            cells: v
                .parties
                .iter()
                .map(|p| match (&p.signed, &p.acknowledged) {
                    (Some(s), _) => format!("signed {}", format::when(s.at)),
                    (None, Some(a)) => format!("acknowledged {}", format::when(a.at)),
                    (None, None) => "—".to_string(),
                })
                .collect(),
        })
        .collect();
    let activity = if loaded.may(Action::Read, Resource::EventLog) {
        let size = loaded.view.log_size;
        let query = IntQuery([("from".to_string(), size.saturating_sub(30))].into_iter().collect());
        let events: EventsView =
            api(handlers::log::events(State(app.clone()), caller.clone(), path(&id), query)).await?;
        let names = |party: &str| loaded.party_name(party);
        events
            .entries
            .iter()
            .rev()
            .map(|e| ActivityRow {
                position: e.position,
                at: format::when(e.at),
                iso: format::iso(e.at),
                text: describe(&e.kind, e.bytes.as_deref(), &names),
            })
            .collect()
    } else {
        Vec::new()
    };
    let layout = Layout::new(loaded.view.title.clone(), "home", loaded.session.clone())
        .with_nav(loaded.nav("home"))
        .with_scripts(&["live.js", "charts.js"]);
    let page = HomePage {
        layout,
        id: id.clone(),
        description: loaded.view.description.clone(),
        phase,
        deadline,
        phases,
        timetable_chart,
        parties,
        engagement,
        activity,
        may_advance: loaded.may(Action::Write, Resource::Timetable),
        base: loaded.view.log_size,
    };
    render(StatusCode::OK, &page)
}

pub(crate) async fn advance(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, PageError> {
    require_account(&caller, &format!("/n/{id}"))?;
    let base = form.base()?;
    let body = AdvanceInput { reason: form.text("reason") };
    handlers::phases::advance_phase(State(app), caller, path(&id), IfMatch(Some(base)), ApiJson(body)).await?;
    Ok(see_other(&format!("/n/{id}")))
}

// ---------------------------------------------------------------- members and invitations

#[derive(Debug, Clone)]
pub(crate) struct MemberRow {
    pub party: String,
    pub name: String,
    pub role: String,
    pub seated: bool,
    /// The holder's display name (or account id when it cannot be read); empty when open.
    pub holder: String,
}

#[derive(Debug, Clone)]
pub(crate) struct InvitationRow {
    /// The invitation's id (the first 16 hex digits of its token hash).
    pub id: String,
    pub party: String,
    pub expires: String,
    /// accepted, revoked, replaced, expired or pending.
    pub status: &'static str,
    /// Still pending: the mediator may revoke it.
    pub revocable: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct KeyRow {
    pub party: String,
    pub public_key: String,
    pub at: String,
    pub current: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Created {
    pub link: String,
    pub token: String,
    pub party: String,
    pub expires: String,
}

#[derive(askama::Template)]
#[template(path = "members.html")]
struct MembersPage {
    layout: Layout,
    id: String,
    members: Vec<MemberRow>,
    invitations: Option<Vec<InvitationRow>>,
    /// Parties whose seat is free, for the invite form (mediator only).
    open_seats: Vec<(String, String)>,
    may_invite: bool,
    keys: Vec<KeyRow>,
    my_party: String,
    created: Option<Created>,
    base: u64,
    /// Whether parties may watch the working draft; the form is the mediator's.
    parties_see_working_draft: bool,
    may_change_sharing: bool,
}

async fn members_page(
    app: &AppState,
    caller: &Caller,
    id: &str,
    created: Option<Created>,
    problems: Vec<FieldProblem>,
) -> Result<MembersPage, PageError> {
    let loaded = load(app, caller, id, &format!("/n/{id}/members")).await?;
    let seats = loaded.view.members.clone().unwrap_or_default();
    let mut members = Vec::with_capacity(loaded.view.parties.len());
    for p in &loaded.view.parties {
        let account = seats.iter().find(|s| s.party == p.id).and_then(|s| s.account.clone());
        let holder = match &account {
            Some(account) => match app.store.account_by_id(account).await {
                Ok(Some(holder)) => holder.display_name,
                _ => account.clone(),
            },
            None => String::new(),
        };
        members.push(MemberRow {
            party: p.id.clone(),
            name: p.name.clone(),
            role: p.role.to_string(),
            seated: account.is_some(),
            holder,
        });
    }
    let may_invite = loaded.may(Action::Write, Resource::Invitations);
    let now = app.clock.now();
    let invitations = loaded.view.invitations.as_ref().map(|list| {
        list.iter()
            .rev()
            .map(|i| {
                let status = if i.accepted_by.is_some() {
                    "accepted"
                } else if i.revoked {
                    "revoked"
                } else if i.superseded {
                    "replaced by a newer invitation"
                } else if now > i.expires_at {
                    "expired"
                } else {
                    "pending"
                };
                InvitationRow {
                    id: i.id.clone(),
                    party: loaded.party_name(&i.party),
                    expires: format::when(i.expires_at),
                    status,
                    revocable: may_invite && status == "pending",
                }
            })
            .collect()
    });
    let open_seats = if may_invite {
        members.iter().filter(|m| !m.seated).map(|m| (m.party.clone(), format!("{} ({})", m.name, m.role))).collect()
    } else {
        Vec::new()
    };
    let keys = if loaded.may(Action::Read, Resource::Evidence) {
        let list: Vec<PartyKeyView> =
            api(handlers::keys::list_keys(State(app.clone()), caller.clone(), path(id))).await?;
        list.into_iter()
            .map(|k| KeyRow { party: k.party, public_key: k.public_key, at: format::when(k.at), current: k.current })
            .collect()
    } else {
        Vec::new()
    };
    let mut layout = Layout::new(format!("Members — {}", loaded.view.title), "members", loaded.session.clone())
        .with_nav(loaded.nav("members"))
        .with_scripts(&["live.js", "keys.js"]);
    layout.problems = problems;
    Ok(MembersPage {
        layout,
        id: id.to_string(),
        members,
        invitations,
        open_seats,
        may_invite,
        keys,
        my_party: loaded.party().to_string(),
        created,
        base: loaded.view.log_size,
        parties_see_working_draft: loaded.view.privacy.parties_see_working_draft,
        may_change_sharing: loaded.may(Action::Write, Resource::Draft),
    })
}

/// The mediator's switch: let parties watch the working draft, or not.
pub(crate) async fn set_working_draft_sharing(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, PageError> {
    require_account(&caller, &format!("/n/{id}/members"))?;
    let base = form.base()?;
    let body =
        crate::api::WorkingDraftSharingInput { parties_see_working_draft: form.checked("parties_see_working_draft") };
    let answer = api::<crate::api::WriteResult>(handlers::revision::set_working_draft_sharing(
        State(app.clone()),
        caller.clone(),
        path(&id),
        IfMatch(Some(base)),
        ApiJson(body),
    ))
    .await;
    match answer {
        Ok(_) => Ok(see_other(&format!("/n/{id}/members"))),
        Err(error) => {
            let found = problems(&error, &[]);
            let page = members_page(&app, &caller, &id, None, found).await?;
            render(form_status(&error), &page)
        }
    }
}

pub(crate) async fn members(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let page = members_page(&app, &caller, &id, None, Vec::new()).await?;
    render(StatusCode::OK, &page)
}

/// The invitation's token is shown once, on the answer to the POST itself.
pub(crate) async fn invite(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, PageError> {
    require_account(&caller, &format!("/n/{id}/members"))?;
    let base = form.base()?;
    let body = InviteInput { party: form.text("party") };
    let answer = api::<InvitationCreated>(handlers::invitations::invite(
        State(app.clone()),
        caller.clone(),
        path(&id),
        IfMatch(Some(base)),
        ApiJson(body),
    ))
    .await;
    match answer {
        Ok(created) => {
            let link = format!("/join?n={}&token={}", format::url_encode(&id), created.token);
            let created =
                Created { link, token: created.token, party: created.party, expires: format::when(created.expires_at) };
            let page = members_page(&app, &caller, &id, Some(created), Vec::new()).await?;
            render(StatusCode::OK, &page)
        }
        Err(error) => {
            let found = problems(&error, &[("/party", "party")]);
            let page = members_page(&app, &caller, &id, None, found).await?;
            render(form_status(&error), &page)
        }
    }
}

/// The mediator's revoke button: a plain form POST, so it works without JavaScript.
pub(crate) async fn revoke_invitation(
    State(app): State<AppState>,
    caller: Caller,
    Path((id, invitation)): Path<(String, String)>,
    form: Form,
) -> Result<Response, PageError> {
    require_account(&caller, &format!("/n/{id}/members"))?;
    let base = form.base()?;
    let answer = api::<crate::api::WriteResult>(handlers::invitations::revoke_invitation(
        State(app.clone()),
        caller.clone(),
        crate::extract::InvitationPath { id: id.clone(), invitation },
        IfMatch(Some(base)),
    ))
    .await;
    match answer {
        Ok(_) => Ok(see_other(&format!("/n/{id}/members"))),
        Err(error) => {
            let found = problems(&error, &[]);
            let page = members_page(&app, &caller, &id, None, found).await?;
            render(form_status(&error), &page)
        }
    }
}
