//! `/`: my negotiations, their phase and next deadline, and what waits for me.

use accord_core::phase::VersionEngagement;
use accord_policy::{Action, Resource};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::load::{Loaded, load};
use super::{Layout, PageError, Session, api, format, render, require_account};
use crate::AppState;
use crate::api::NegotiationListItem;
use crate::auth::Caller;
use crate::extract::NegotiationPath;
use crate::handlers;

/// A deadline as the page shows it: text now, ISO for the script that ticks it.
#[derive(Debug, Clone)]
pub(crate) struct Deadline {
    pub label: String,
    pub iso: String,
    pub when: String,
    pub countdown: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub id: String,
    pub title: String,
    pub party: String,
    pub role: String,
    pub phase: String,
    pub deadline: Option<Deadline>,
    pub waiting: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    items: Vec<Item>,
}

/// The next deadline: the current phase's end, or the first phase's start.
pub(crate) fn next_deadline(loaded: &Loaded, now: chrono::DateTime<chrono::Utc>) -> (String, Option<Deadline>) {
    let Some(phase) = &loaded.phase else { return ("—".into(), None) };
    let make = |label: String, at| Deadline {
        label,
        iso: format::iso(at),
        when: format::when(at),
        countdown: format::relative(at, now),
    };
    if phase.status != "open" {
        return (format!("{} (the process has ended)", phase.status), None);
    }
    match &phase.current {
        Some(current) => (
            format!("{} ({})", current.name, current.kind),
            Some(make(format!("{} ends", current.name), current.deadline)),
        ),
        None => match phase.timetable.first() {
            Some(first) => ("not started".into(), Some(make(format!("{} begins", first.name), first.start))),
            None => ("no timetable".into(), None),
        },
    }
}

/// What the viewer still owes, as (text, link) pairs; only duties the policy gives them.
pub(crate) fn waiting_for(loaded: &Loaded, engagement: &[VersionEngagement]) -> Vec<(String, String)> {
    let me = loaded.party();
    let id = &loaded.id;
    let mut out = Vec::new();
    if let Some(latest) = engagement.last() {
        let mine = latest.parties.iter().find(|p| p.party == me);
        if loaded.may(Action::Write, Resource::Acknowledgement { party: me })
            && mine.is_some_and(|p| p.acknowledged.is_none())
        {
            out.push((format!("Acknowledge version {}", latest.number), format!("/n/{id}/versions/{}", latest.number)));
        }
        let signing = loaded.phase.as_ref().and_then(|p| p.current.as_ref()).is_some_and(|c| c.kind == "signing");
        if signing
            && loaded.may(Action::Write, Resource::FinalSignature { party: me })
            && mine.is_some_and(|p| p.signed.is_none())
        {
            out.push((format!("Sign version {}", latest.number), format!("/n/{id}/sign")));
        }
    }
    if loaded.may(Action::Write, Resource::StancePosition { party: me })
        && let Some(draft) = &loaded.view.draft
    {
        let missing = draft
            .provisions
            .iter()
            .filter(|p| !loaded.view.stances.iter().any(|s| s.party == me && s.provision == p.id))
            .count();
        if missing > 0 {
            let plural = if missing == 1 { "provision" } else { "provisions" };
            out.push((format!("Record your stance on {missing} {plural}"), format!("/n/{id}/text")));
        }
        let stale: Vec<&str> =
            loaded.view.stances.iter().filter(|s| s.party == me && s.stale).map(|s| s.provision.as_str()).collect();
        if !stale.is_empty() {
            out.push((
                format!("The text you answered has changed: review {}", stale.join(", ")),
                format!("/n/{id}/text#p-{}", stale[0]),
            ));
        }
    }
    out
}

pub(crate) async fn engagement_of(
    app: &AppState,
    caller: &Caller,
    loaded: &Loaded,
) -> Result<Vec<VersionEngagement>, PageError> {
    if !loaded.may(Action::Read, Resource::Evidence) {
        return Ok(Vec::new());
    }
    let path = NegotiationPath { id: loaded.id.clone() };
    Ok(api(handlers::phases::engagement(State(app.clone()), caller.clone(), path)).await?)
}

pub(crate) async fn dashboard(State(app): State<AppState>, caller: Caller) -> Result<Response, PageError> {
    require_account(&caller, "/")?;
    let list: Vec<NegotiationListItem> =
        api(handlers::negotiations::list_negotiations(State(app.clone()), caller.clone())).await?;
    let now = app.clock.now();
    let mut items = Vec::new();
    for entry in list {
        let loaded = load(&app, &caller, &entry.id, "/").await?;
        let engagement = engagement_of(&app, &caller, &loaded).await?;
        let (phase, deadline) = next_deadline(&loaded, now);
        items.push(Item {
            waiting: waiting_for(&loaded, &engagement),
            id: entry.id,
            title: entry.title,
            party: loaded.party_name(&entry.party),
            role: entry.role.to_string(),
            phase,
            deadline,
        });
    }
    let layout = Layout::new("My negotiations", "dashboard", Session::of(&caller)).with_scripts(&["live.js"]);
    render(StatusCode::OK, &DashboardPage { layout, items })
}
