//! The OpenAPI 3 document, generated from the route table and the request and
//! response types, so it cannot drift from the router.

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ComponentsBuilder, Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required};
use utoipa::{PartialSchema, ToSchema};

use crate::api::*;
use crate::error::Problem;
use crate::{QueryParam, RouteId, routes};

type Components = Vec<(String, RefOr<Schema>)>;
type SchemaFn = fn(&mut Components) -> RefOr<Schema>;

fn named<T: ToSchema>(components: &mut Components) -> RefOr<Schema> {
    components.push((T::name().into_owned(), T::schema()));
    T::schemas(components);
    Ref::from_schema_name(T::name()).into()
}

fn list<T: ToSchema>(components: &mut Components) -> RefOr<Schema> {
    let item = named::<T>(components);
    ArrayBuilder::new().items(item).build().into()
}

fn object(_: &mut Components) -> RefOr<Schema> {
    RefOr::T(Schema::Object(Object::new()))
}

fn objects(_: &mut Components) -> RefOr<Schema> {
    ArrayBuilder::new().items(RefOr::T(Schema::Object(Object::new()))).build().into()
}

/// Request body schema, success status, response schema.
fn io(id: RouteId) -> (Option<SchemaFn>, u16, Option<SchemaFn>) {
    use RouteId as R;
    match id {
        R::OpenApi => (None, 200, Some(object)),
        R::SignUp => (Some(named::<SignUp>), 201, Some(named::<AccountView>)),
        R::SignIn => (Some(named::<SignIn>), 200, Some(named::<SessionView>)),
        R::SignOut => (None, 204, None),
        R::CreateToken => (Some(named::<SignIn>), 201, Some(named::<TokenView>)),
        R::Me => (None, 200, Some(named::<SessionView>)),
        R::ListNegotiations => (None, 200, Some(list::<NegotiationListItem>)),
        R::CreateNegotiation => (Some(named::<CreateNegotiation>), 201, Some(object)),
        R::GetNegotiation | R::GetDraft | R::GetProfile | R::GetVersion | R::Analysis => (None, 200, Some(object)),
        R::SetProvision => (Some(named::<ProvisionInput>), 200, Some(named::<WriteResult>)),
        R::SetIssue => (Some(named::<IssueInput>), 200, Some(named::<WriteResult>)),
        R::SetDraftValue => (Some(named::<DraftValueInput>), 200, Some(named::<WriteResult>)),
        R::RemoveProvision | R::RemoveIssue => (None, 200, Some(named::<WriteResult>)),
        R::ListStances => (None, 200, Some(named::<StancesView>)),
        R::SetStance => (Some(named::<StanceInput>), 200, Some(named::<WriteResult>)),
        R::StanceHistory
        | R::ListComments
        | R::GetReservations
        | R::ListInvitations
        | R::Members
        | R::ListVersions
        | R::Balance => (None, 200, Some(objects)),
        R::AddComment => (Some(named::<CommentInput>), 201, Some(named::<WriteResult>)),
        R::SetProfile => (Some(named::<ProfileInput>), 200, Some(named::<WriteResult>)),
        R::ChangeReservation => (Some(named::<ReservationInput>), 200, Some(named::<WriteResult>)),
        R::Invite => (Some(named::<InviteInput>), 201, Some(named::<InvitationCreated>)),
        R::AcceptInvitation => (Some(named::<AcceptInput>), 200, Some(named::<WriteResult>)),
        R::PublishVersion => (Some(named::<PublishInput>), 201, Some(named::<WriteResult>)),
        R::DiffVersions => (None, 200, Some(named::<VersionDiff>)),
        R::Pareto => (None, 200, Some(named::<ParetoView>)),
        R::Events => (None, 200, Some(named::<EventsView>)),
        R::Checkpoint | R::InclusionProof | R::ConsistencyProof => (None, 200, Some(object)),
        R::ServerKey => (None, 200, Some(named::<ServerKeyView>)),
        R::PhaseStatus => (None, 200, Some(named::<PhaseView>)),
        R::AdvancePhase => (Some(named::<AdvanceInput>), 200, Some(named::<WriteResult>)),
        R::ExtendDeadline => (Some(named::<ExtendInput>), 200, Some(named::<WriteResult>)),
        R::Engagement => (None, 200, Some(objects)),
        R::ListKeys => (None, 200, Some(list::<PartyKeyView>)),
        R::RegisterKey => (Some(named::<KeyInput>), 200, Some(named::<WriteResult>)),
        R::RotateKey => (Some(named::<RotateKeyInput>), 200, Some(named::<WriteResult>)),
        R::SignedCheckpoint => (None, 200, Some(named::<SignedCheckpointView>)),
        R::Acknowledge => (Some(named::<AcknowledgeInput>), 200, Some(named::<WriteResult>)),
        R::SignFinal => (Some(named::<SignInput>), 200, Some(named::<WriteResult>)),
        R::Bundle | R::ExportLog => (None, 200, Some(object)),
        // text/event-stream; see handlers/stream.rs for the events.
        R::Stream => (None, 200, None),
    }
}

/// Whether the route is a write that takes `If-Match`.
pub fn takes_if_match(id: RouteId) -> bool {
    use RouteId::*;
    matches!(
        id,
        SetProvision
            | RemoveProvision
            | SetIssue
            | RemoveIssue
            | SetDraftValue
            | SetStance
            | AddComment
            | SetProfile
            | ChangeReservation
            | Invite
            | AcceptInvitation
            | PublishVersion
            | AdvancePhase
            | ExtendDeadline
            | RegisterKey
            | RotateKey
            | Acknowledge
            | SignFinal
    )
}

fn method(m: &axum::http::Method) -> HttpMethod {
    match *m {
        axum::http::Method::POST => HttpMethod::Post,
        axum::http::Method::PUT => HttpMethod::Put,
        axum::http::Method::DELETE => HttpMethod::Delete,
        axum::http::Method::PATCH => HttpMethod::Patch,
        _ => HttpMethod::Get,
    }
}

fn operation_id(id: RouteId) -> String {
    let debug = format!("{id:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The whole document.
pub fn document() -> OpenApi {
    let mut components: Components = Vec::new();
    let problem = named::<Problem>(&mut components);
    let mut paths = Paths::new();
    for route in routes() {
        let (request, status, response) = io(route.id);
        let mut op = OperationBuilder::new().operation_id(Some(operation_id(route.id))).summary(Some(route.summary));
        for name in route.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(String::schema())),
            );
        }
        for param in route.query {
            let (required, schema, description) = match param {
                QueryParam::Integer(_) => {
                    (Required::False, ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)), None)
                }
                QueryParam::Party(_) => (
                    Required::True,
                    ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)),
                    Some("A party's id (`ua`, `ru`, …)"),
                ),
            };
            op = op.parameter(
                ParameterBuilder::new()
                    .name(param.name())
                    .parameter_in(ParameterIn::Query)
                    .required(required)
                    .description(description)
                    .schema(Some(schema)),
            );
        }
        if takes_if_match(route.id) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name("If-Match")
                    .parameter_in(ParameterIn::Header)
                    .required(if route.id == RouteId::AcceptInvitation { Required::False } else { Required::True })
                    .description(Some("The log position the write is based on (the ETag of a GET), e.g. \"12\""))
                    .schema(Some(String::schema())),
            );
        }
        if let Some(request) = request {
            let schema = request(&mut components);
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content("application/json", ContentBuilder::new().schema(Some(schema)).build())
                    .build(),
            ));
        }
        let mut success = ResponseBuilder::new().description("Success");
        if let Some(response) = response {
            success = success
                .content("application/json", ContentBuilder::new().schema(Some(response(&mut components))).build());
        }
        op = op.response(status.to_string(), success.build()).response(
            "default",
            ResponseBuilder::new()
                .description("A problem: see docs/api-errors.md for the `code` vocabulary")
                .content("application/problem+json", ContentBuilder::new().schema(Some(problem.clone())).build())
                .build(),
        );
        paths.add_path_operation(route.path, vec![method(&route.method)], op.build());
    }
    let mut builder = ComponentsBuilder::new()
        .security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)))
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
    components.sort_by(|a, b| a.0.cmp(&b.0));
    components.dedup_by(|a, b| a.0 == b.0);
    for (name, schema) in components {
        builder = builder.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Accord API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Mediated multi-party negotiation: drafts, stances, comments, profiles, analysis and a verifiable event log.")),
        )
        .paths(paths)
        .components(Some(builder.build()))
        .build()
}
