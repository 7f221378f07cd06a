//! Drafting in batches: `POST …/draft/edits` applies a list of
//! [`DraftEdit`]s — rewording, inserting, moving, splitting, merging,
//! renumbering, brackets — as one write, all or none, and answers with the
//! new draft. Core plans the edits ([`accord_core::drafting::plan_edits`]);
//! this handler checks who asks and against which draft.

use accord_core::drafting::{DraftError, plan_edits};
use accord_policy::{Action, Resource};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Result, commit, denied, etag, seen};
use crate::AppState;
use crate::ErrorCode;
use crate::api::{DraftEditsInput, DraftEditsResult};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{ApiJson, NegotiationPath};

pub async fn apply_edits(
    State(app): State<AppState>,
    caller: Caller,
    NegotiationPath { id }: NegotiationPath,
    ApiJson(body): ApiJson<DraftEditsInput>,
) -> Result<Response> {
    let seen = seen(&app, &caller, &id).await?;
    seen.require(Action::Write, Resource::Draft)?;
    let state = &seen.state;
    // The batch was made on the draft read at `base`: it still applies when
    // nothing but comments, stances and the like was written since.
    if body.base > state.size || body.base < state.draft_revision {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "the draft changed since you opened it (at log size {}; it was last changed at {}): reload and apply your edit again",
                body.base, state.draft_revision
            ),
        ));
    }
    let payloads = plan_edits(state, &body.edits).map_err(edit_error)?;
    let written = commit(&app, &seen, state.size, payloads).await?;
    let after = super::seen(&app, &caller, &id).await?;
    let draft = after.view()?.draft.ok_or_else(|| denied(&after.viewer))?;
    let result = DraftEditsResult { position: written.position, log_size: written.log_size, root: written.root, draft };
    Ok((etag(written.log_size), Json(result)).into_response())
}

/// A refused edit, as a field error naming the edit, its provision and its field.
fn edit_error(error: DraftError) -> ApiError {
    match &error {
        DraftError::Edit { index, field, .. } => {
            let pointer = if field.is_empty() { format!("/edits/{index}") } else { format!("/edits/{index}/{field}") };
            ApiError::validation(vec![FieldError { pointer, message: error.to_string() }])
        }
        DraftError::TooManyEdits { .. } | DraftError::NoEdits => ApiError::field("/edits", error.to_string()),
    }
}
