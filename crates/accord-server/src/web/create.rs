//! Creating a negotiation: from the bundled example, a pasted scenario file,
//! or an uploaded document (Markdown, plain text or DOCX) read into
//! provisions by `accord_formats::document`, the reader `accord import text`
//! uses.

use accord_formats::document::{self, DocumentFormat};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::{Form, Layout, PageError, Session, api, form_status, problems, render, require_account, see_other};
use crate::AppState;
use crate::api::CreateNegotiation;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::ApiJson;
use crate::handlers;

/// What the upload form may send besides the document: the CSRF token, the
/// parties and two check boxes. Generous, but bounded.
const MAX_UPLOAD_OVERHEAD_BYTES: u64 = 64 * 1024;

const DEFAULT_PARTY_LINES: &str = "mediator: Mediator\nsignatory: Party A\nsignatory: Party B";

#[derive(askama::Template)]
#[template(path = "new.html")]
struct NewPage {
    layout: Layout,
    source: String,
    scenario_toml: String,
    party_lines: String,
    notes: Vec<String>,
}

impl NewPage {
    fn new(layout: Layout) -> NewPage {
        NewPage {
            layout,
            source: "example".into(),
            scenario_toml: String::new(),
            party_lines: DEFAULT_PARTY_LINES.into(),
            notes: Vec::new(),
        }
    }
}

pub(crate) async fn new_page(caller: Caller) -> Result<Response, PageError> {
    require_account(&caller, "/n/new")?;
    let layout = Layout::new("Create a negotiation", "new", Session::of(&caller));
    render(StatusCode::OK, &NewPage::new(layout))
}

pub(crate) async fn create(State(app): State<AppState>, caller: Caller, form: Form) -> Result<Response, PageError> {
    require_account(&caller, "/n/new")?;
    let session = Session::of(&caller);
    let source = form.text("source");
    let pasted = form.text("scenario_toml");
    let scenario = if source == "pasted" { pasted.clone() } else { crate::demo::PEACE_FRAMEWORK.to_string() };
    let body = CreateNegotiation {
        scenario_toml: Some(scenario),
        timetable_from: form.checked("timetable_from").then(|| app.clock.now()),
        parties_see_working_draft: form.checked("parties_see_working_draft").then_some(true),
        ..CreateNegotiation::default()
    };
    let created: Result<accord_policy::view::NegotiationView, _> =
        api(handlers::negotiations::create_negotiation(State(app.clone()), caller, ApiJson(body))).await;
    match created {
        Ok(view) => Ok(see_other(&format!("/n/{}/members", view.id))),
        Err(error) => {
            let mut layout = Layout::new("Create a negotiation", "new", session);
            layout.problems =
                problems(&error, &[("/scenario_toml", "scenario_toml"), ("/timetable_from", "timetable_from")]);
            let page = NewPage { source, scenario_toml: pasted, ..NewPage::new(layout) };
            render(form_status(&error), &page)
        }
    }
}

/// The fields of the upload form, read from `multipart/form-data`.
#[derive(Debug, Default)]
struct Upload {
    csrf: String,
    file_name: String,
    document: Vec<u8>,
    party_lines: String,
}

/// Reads the upload form into `upload` with its own limit: the document may
/// be up to [`document::MAX_DOCUMENT_BYTES`], more than the server's general
/// body limit, and nothing more is buffered than that. Fields read before a
/// failure stay in `upload` (the CSRF token comes first, so a refusal of the
/// document can still be shown on the page).
async fn read_upload(content_type: &str, body: axum::body::Body, upload: &mut Upload) -> Result<(), ApiError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        ApiError::new(ErrorCode::MalformedRequest, "send the document with the page's form (multipart/form-data)")
    })?;
    let limit = document::MAX_DOCUMENT_BYTES as u64;
    let constraints = multer::Constraints::new()
        .allowed_fields(vec!["csrf", "document", "parties"])
        .size_limit(multer::SizeLimit::new().whole_stream(limit + MAX_UPLOAD_OVERHEAD_BYTES).per_field(limit));
    let mut multipart = multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let too_large = || {
        let message = format!("the document is larger than {} MiB; split it or remove images", limit / (1024 * 1024));
        ApiError {
            errors: vec![FieldError { pointer: "/document".into(), message: message.clone() }],
            ..ApiError::new(ErrorCode::PayloadTooLarge, message)
        }
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. }) => {
                return Err(too_large());
            }
            Err(error) => {
                return Err(ApiError::new(ErrorCode::MalformedRequest, format!("the form cannot be read: {error}")));
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. }) => {
                return Err(too_large());
            }
            Err(error) => {
                return Err(ApiError::new(ErrorCode::MalformedRequest, format!("the form cannot be read: {error}")));
            }
        };
        match name.as_str() {
            "csrf" => upload.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "parties" => upload.party_lines = String::from_utf8_lossy(&bytes).into_owned(),
            "document" => {
                upload.file_name = file_name.unwrap_or_default();
                upload.document = bytes.to_vec();
            }
            _ => {}
        }
    }
    Ok(())
}

/// `POST /n/new/document`: creates a negotiation whose provisions are read
/// from an uploaded document. The caller takes the mediator's seat, as with a
/// scenario; issues, profiles and the timetable come later.
pub(crate) async fn create_from_document(State(app): State<AppState>, request: Request) -> Result<Response, PageError> {
    let (mut parts, body) = request.into_parts();
    let content_type =
        parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let mut upload = Upload::default();
    let read = read_upload(&content_type, body, &mut upload).await;
    // The CSRF token travels inside the multipart body, which the form
    // middleware does not read; it is lifted here, before the caller is
    // checked, exactly as that middleware does for ordinary forms.
    if let Ok(value) = HeaderValue::from_str(&upload.csrf) {
        parts.headers.insert(auth::CSRF_HEADER, value);
    }
    let caller = Caller::from_request_parts(&mut parts, &app).await?;
    require_account(&caller, "/n/new")?;
    let session = Session::of(&caller);
    let failed = |error: ApiError, party_lines: String, notes: Vec<String>| {
        let mut layout = Layout::new("Create a negotiation", "new", session.clone());
        layout.problems = problems(&error, &[("/document", "document"), ("/parties", "parties")]);
        let page = NewPage { source: "document".into(), party_lines, notes, ..NewPage::new(layout) };
        render(form_status(&error), &page)
    };
    if let Err(error) = read {
        let party_lines = if upload.party_lines.is_empty() { DEFAULT_PARTY_LINES.into() } else { upload.party_lines };
        return failed(error, party_lines, Vec::new());
    }
    let Some(format) = DocumentFormat::from_file_name(&upload.file_name) else {
        let error = ApiError::field("/document", "choose a Markdown (.md), plain text (.txt) or Word (.docx) file");
        return failed(error, upload.party_lines, Vec::new());
    };
    let parties = match document::parse_party_lines(&upload.party_lines) {
        Ok(parties) => parties,
        Err(reason) => {
            let error = ApiError::field("/parties", reason.to_string());
            return failed(error, upload.party_lines, Vec::new());
        }
    };
    // DOCX reading unpacks a zip and walks its XML: CPU work kept off the
    // request threads.
    let bytes = upload.document;
    let read = tokio::task::spawn_blocking(move || document::read(&bytes, format)).await;
    let text = match read {
        Ok(Ok(text)) => text,
        Ok(Err(reason)) => {
            let error = ApiError::field("/document", format!("{}: {reason}", upload.file_name));
            return failed(error, upload.party_lines, Vec::new());
        }
        Err(_) => {
            let error = ApiError::new(ErrorCode::Internal, "the document reader stopped; the file was not read");
            return failed(error, upload.party_lines, Vec::new());
        }
    };
    let notes = text.notes.clone();
    let stem = upload.file_name.rsplit_once('.').map_or(upload.file_name.as_str(), |(stem, _)| stem).to_string();
    let negotiation = text.into_negotiation(&document::slug(&stem, "imported"), &stem, parties);
    let body = CreateNegotiation {
        scenario_toml: Some(accord_formats::scenario::to_toml(&negotiation)),
        ..Default::default()
    };
    let created: Result<accord_policy::view::NegotiationView, _> =
        api(handlers::negotiations::create_negotiation(State(app.clone()), caller, ApiJson(body))).await;
    match created {
        Ok(view) => Ok(see_other(&format!("/n/{}/members", view.id))),
        Err(error) => failed(error, upload.party_lines, notes),
    }
}
