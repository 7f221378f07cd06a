//! Released versions, one version's text, and the word-level diff between two
//! (the API's own diff), with the acknowledgement hook for the browser's key.

use accord_policy::{Action, Resource};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::dashboard::engagement_of;
use super::load::{Loaded, load};
use super::{Form, Layout, PageError, api, format, render, require_account, see_other};
use crate::AppState;
use crate::ErrorCode;
use crate::api::{PublishInput, PublishedVersionView, VersionDiff};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, DiffPath, IfMatch, NegotiationPath, VersionPath};
use crate::handlers;

#[derive(Debug, Clone)]
pub(crate) struct VersionRow {
    pub number: u32,
    pub at: String,
    pub content_hash: String,
    pub acknowledged: Option<String>,
    /// What the released text is ("Negotiating text").
    pub status: &'static str,
}

/// The acknowledgement a seated party can give a version, for the JS hook and the CLI alternative.
#[derive(Debug, Clone)]
pub(crate) struct AckHook {
    pub number: u32,
    pub content_hash: String,
    pub negotiation: String,
    /// When the viewer already acknowledged it.
    pub done: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "versions.html")]
struct VersionsPage {
    layout: Layout,
    id: String,
    versions: Vec<VersionRow>,
    numbers: Vec<u32>,
    may_acknowledge: bool,
    /// The number the working draft would get, for a viewer who may publish it.
    may_publish: Option<u32>,
}

async fn acknowledged(app: &AppState, caller: &Caller, loaded: &Loaded) -> Result<Vec<(u32, String)>, PageError> {
    let me = loaded.party().to_string();
    Ok(engagement_of(app, caller, loaded)
        .await?
        .into_iter()
        .filter_map(|v| {
            let mine = v.parties.into_iter().find(|p| p.party == me)?;
            mine.acknowledged.map(|m| (v.number, format::when(m.at)))
        })
        .collect())
}

fn may_acknowledge(loaded: &Loaded) -> bool {
    loaded.may(Action::Write, Resource::Acknowledgement { party: loaded.party() })
}

pub(crate) async fn list(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let loaded = load(&app, &caller, &id, &format!("/n/{id}/versions")).await?;
    if !loaded.may(Action::Read, Resource::Versions) {
        return Err(ApiError::new(ErrorCode::Forbidden, "your seat may not read the released versions").into());
    }
    let acks = acknowledged(&app, &caller, &loaded).await?;
    let versions = loaded
        .view
        .versions
        .iter()
        .rev()
        .map(|v| VersionRow {
            number: v.number,
            at: format::when(v.at),
            content_hash: v.content_hash.clone(),
            acknowledged: acks.iter().find(|(n, _)| *n == v.number).map(|(_, at)| at.clone()),
            status: v.status.label(),
        })
        .collect();
    let layout = Layout::new(format!("Versions — {}", loaded.view.title), "versions", loaded.session.clone())
        .with_nav(loaded.nav("versions"))
        .with_scripts(&["live.js", "keys.js", "sign.js"]);
    let numbers = loaded.view.versions.iter().map(|v| v.number).collect();
    let may_publish = loaded.may(Action::Write, Resource::Versions).then(|| next_number(&loaded));
    render(
        StatusCode::OK,
        &VersionsPage { layout, id, versions, numbers, may_acknowledge: may_acknowledge(&loaded), may_publish },
    )
}

fn next_number(loaded: &Loaded) -> u32 {
    loaded.view.versions.last().map_or(1, |v| v.number.saturating_add(1))
}

#[derive(askama::Template)]
#[template(path = "next.html")]
struct NextVersionPage {
    layout: Layout,
    id: String,
    base: u64,
    next_number: u32,
    last_number: Option<u32>,
    changes: Vec<ProvisionChange>,
    unchanged: bool,
    render_error: Option<String>,
}

/// The working draft against the last released version, before the mediator
/// publishes it as is (the analysis page's preview does the same for a package).
pub(crate) async fn next_version(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let loaded = load(&app, &caller, &id, &format!("/n/{id}/versions/next")).await?;
    if !loaded.may(Action::Write, Resource::Versions) {
        return Err(ApiError::new(ErrorCode::Forbidden, "only the mediator publishes versions").into());
    }
    let draft = loaded.view.draft.as_ref();
    let render_error = draft.and_then(|d| d.render_error.clone());
    let after = draft.and_then(|d| d.text.clone());
    let last_number = loaded.view.versions.last().map(|v| v.number);
    let before = match last_number {
        Some(number) => {
            let last: PublishedVersionView = api(handlers::versions::get_version(
                State(app.clone()),
                caller.clone(),
                VersionPath { id: id.clone(), number },
            ))
            .await?;
            last
        }
        None => as_version(0, accord_core::text::Version { title: loaded.view.title.clone(), provisions: Vec::new() }),
    };
    let next_number = next_number(&loaded);
    let changes = match after {
        Some(after) => changes(handlers::versions::diff(&before, &as_version(next_number, after))),
        None => Vec::new(),
    };
    let unchanged = last_number.is_some() && changes.iter().all(|c| c.change == "same");
    let layout = Layout::new(
        format!("Publish version {next_number} — {}", loaded.view.title),
        "versions",
        loaded.session.clone(),
    )
    .with_nav(loaded.nav("versions"))
    .with_scripts(&["live.js"]);
    let page = NextVersionPage {
        layout,
        id,
        base: loaded.view.log_size,
        next_number,
        last_number,
        changes,
        unchanged,
        render_error,
    };
    render(StatusCode::OK, &page)
}

/// Publishes the working draft as is; the form carries the log size the
/// mediator reviewed, so a draft changed since then is refused (409), not released unseen.
pub(crate) async fn publish(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, PageError> {
    require_account(&caller, &format!("/n/{id}/versions/next"))?;
    let base = form.base()?;
    handlers::versions::publish_version(
        State(app.clone()),
        caller,
        NegotiationPath { id: id.clone() },
        IfMatch(Some(base)),
        ApiJson(PublishInput { status: publish_status(&form)? }),
    )
    .await?;
    Ok(see_other(&format!("/n/{id}/versions")))
}

/// The text status the publish form's select chose (absent: a negotiating text).
pub(crate) fn publish_status(form: &Form) -> Result<Option<accord_core::TextStatus>, PageError> {
    match form.get("status").filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(name) => accord_core::TextStatus::parse(name)
            .map(Some)
            .ok_or_else(|| PageError::from(crate::error::ApiError::field("/status", "not a text status"))),
    }
}

/// A released or drafted text as a version the API's diff takes.
pub(crate) fn as_version(number: u32, version: accord_core::text::Version) -> PublishedVersionView {
    PublishedVersionView {
        number,
        position: 0,
        at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        content_hash: version.content_hash_hex(),
        version,
        status: accord_core::TextStatus::default(),
        ad_referendum: Vec::new(),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PickQuery {
    a: Option<u32>,
    b: Option<u32>,
}

/// The diff picker is a GET form; this turns its fields into the diff's URL.
pub(crate) async fn pick_diff(Path(id): Path<String>, Query(q): Query<PickQuery>) -> Response {
    match (q.a, q.b) {
        (Some(a), Some(b)) => see_other(&format!("/n/{id}/versions/{a}/diff/{b}")),
        _ => see_other(&format!("/n/{id}/versions")),
    }
}

#[derive(askama::Template)]
#[template(path = "version.html")]
struct VersionPage {
    layout: Layout,
    id: String,
    number: u32,
    at: String,
    content_hash: String,
    title: String,
    /// What the released text is ("Negotiating text").
    status: &'static str,
    /// `(number, heading, text, agreed ad referendum)`.
    provisions: Vec<(String, String, String, bool)>,
    ad_referendum_rule: &'static str,
    any_ad_referendum: bool,
    ack: Option<AckHook>,
    numbers: Vec<u32>,
}

async fn ack_hook(
    app: &AppState,
    caller: &Caller,
    loaded: &Loaded,
    number: u32,
    hash: &str,
) -> Result<Option<AckHook>, PageError> {
    if !may_acknowledge(loaded) {
        return Ok(None);
    }
    let acks = acknowledged(app, caller, loaded).await?;
    Ok(Some(AckHook {
        number,
        content_hash: hash.to_string(),
        negotiation: loaded.id.clone(),
        done: acks.into_iter().find(|(n, _)| *n == number).map(|(_, at)| at),
    }))
}

pub(crate) async fn one(
    State(app): State<AppState>,
    caller: Caller,
    Path((id, number)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let loaded = load(&app, &caller, &id, &format!("/n/{id}/versions/{number}")).await?;
    let version: PublishedVersionView =
        api(handlers::versions::get_version(State(app.clone()), caller.clone(), VersionPath::parse(&id, &number)?))
            .await?;
    let ack = ack_hook(&app, &caller, &loaded, version.number, &version.content_hash).await?;
    let layout =
        Layout::new(format!("Version {} — {}", version.number, loaded.view.title), "version", loaded.session.clone())
            .with_nav(loaded.nav("version"))
            .with_scripts(&["live.js", "keys.js", "sign.js"]);
    let page = VersionPage {
        layout,
        id,
        number: version.number,
        at: format::when(version.at),
        content_hash: version.content_hash,
        title: version.version.title,
        status: version.status.label(),
        any_ad_referendum: version.version.provisions.iter().any(|p| version.ad_referendum.contains(&p.id)),
        provisions: version
            .version
            .provisions
            .into_iter()
            .map(|p| {
                let agreed = version.ad_referendum.contains(&p.id);
                (p.number, p.heading, p.text, agreed)
            })
            .collect(),
        ad_referendum_rule: accord_core::AD_REFERENDUM_RULE,
        ack,
        numbers: loaded.view.versions.iter().map(|v| v.number).collect(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub text: String,
    pub emphasized: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub tag: String,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
pub(crate) struct ProvisionChange {
    pub id: String,
    pub change: String,
    pub lines: Vec<Line>,
    /// Its place in the text changed.
    pub moved: bool,
    /// What drafting did to it, as a sentence ("split into art-7 and art-7a").
    pub restructure: Option<String>,
}

/// A split or merge of the API's diff as the page says it.
fn restructure_sentence(restructure: &accord_api::DiffRestructure) -> String {
    let list = |ids: &[String]| match ids {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    let ids = &restructure.provisions;
    match restructure.kind.as_str() {
        "split_into" => format!("split into {}", list(ids)),
        "split_from" => format!("split from {}", list(ids)),
        "merged_from" => format!("merged from {}", list(ids)),
        "merged_into" => format!("merged into {}", list(ids)),
        other => format!("{other} {}", list(ids)),
    }
}

/// The API's diff as the templates show it.
pub(crate) fn changes(diff: VersionDiff) -> Vec<ProvisionChange> {
    diff.provisions
        .into_iter()
        .map(|p| ProvisionChange {
            moved: p.moved,
            restructure: p.restructure.as_ref().map(restructure_sentence),
            id: p.id,
            change: p.change,
            lines: p
                .lines
                .into_iter()
                .map(|l| Line {
                    tag: l.tag,
                    segments: l
                        .segments
                        .into_iter()
                        .map(|s| Segment { text: s.text.trim_end_matches('\n').to_string(), emphasized: s.emphasized })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "diff.html")]
struct DiffPage {
    layout: Layout,
    id: String,
    from: u32,
    to: u32,
    changes: Vec<ProvisionChange>,
    ack: Option<AckHook>,
    numbers: Vec<u32>,
}

pub(crate) async fn diff(
    State(app): State<AppState>,
    caller: Caller,
    Path((id, number, other)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let loaded = load(&app, &caller, &id, &format!("/n/{id}/versions/{number}/diff/{other}")).await?;
    let diff: VersionDiff = api(handlers::versions::diff_versions(
        State(app.clone()),
        caller.clone(),
        DiffPath::parse(&id, &number, &other)?,
    ))
    .await?;
    let hash = loaded.view.versions.iter().find(|v| v.number == diff.to).map(|v| v.content_hash.clone());
    let ack = match hash {
        Some(hash) => ack_hook(&app, &caller, &loaded, diff.to, &hash).await?,
        None => None,
    };
    let layout = Layout::new(
        format!("Changes {} → {} — {}", diff.from, diff.to, loaded.view.title),
        "diff",
        loaded.session.clone(),
    )
    .with_nav(loaded.nav("diff"))
    .with_scripts(&["live.js", "keys.js", "sign.js"]);
    let page = DiffPage {
        layout,
        id,
        from: diff.from,
        to: diff.to,
        numbers: loaded.view.versions.iter().map(|v| v.number).collect(),
        changes: changes(diff),
        ack,
    };
    render(StatusCode::OK, &page)
}
