//! The OpenAPI 3 document, generated from the route table and the request and
//! response types, so it cannot drift from the router. Every body has its
//! type's schema: the `accord-api` types, the policy's views, the core model
//! types inside them and the evidence formats all derive `ToSchema` beside
//! their serde derives.

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ComponentsBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required};
use utoipa::{PartialSchema, ToSchema};

use crate::api::*;
use crate::{QueryParam, RouteId, routes};
use accord_api::Problem;

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

/// The answer of `/api/openapi.json`: this very document, checked in full by
/// `scripts/openapi-validate`; here only its required top-level fields.
fn openapi_document(_: &mut Components) -> RefOr<Schema> {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let object = || ObjectBuilder::new().schema_type(Type::Object);
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0)."))
        .property("openapi", string())
        .property("info", object())
        .property("paths", object())
        .property("components", object())
        .required("openapi")
        .required("info")
        .required("paths")
        .into()
}

/// Request body schema, success status, response schema.
fn io(id: RouteId) -> (Option<SchemaFn>, u16, Option<SchemaFn>) {
    use RouteId as R;
    match id {
        R::OpenApi => (None, 200, Some(openapi_document)),
        R::SignUp => (Some(named::<SignUp>), 201, Some(named::<AccountView>)),
        R::SignIn => (Some(named::<SignIn>), 200, Some(named::<SessionView>)),
        R::SignOut => (None, 204, None),
        R::CreateToken => (Some(named::<SignIn>), 201, Some(named::<TokenView>)),
        R::Me => (None, 200, Some(named::<SessionView>)),
        R::ListNegotiations => (None, 200, Some(list::<NegotiationListItem>)),
        R::CreateNegotiation => (Some(named::<CreateNegotiation>), 201, Some(named::<NegotiationView>)),
        R::GetNegotiation => (None, 200, Some(named::<NegotiationView>)),
        R::GetDraft => (None, 200, Some(named::<DraftView>)),
        R::GetProfile => (None, 200, Some(named::<ProfileView>)),
        R::GetVersion => (None, 200, Some(named::<PublishedVersionView>)),
        R::Analysis => (None, 200, Some(named::<AnalysisView>)),
        R::SetProvision => (Some(named::<ProvisionInput>), 200, Some(named::<WriteResult>)),
        R::SetIssue => (Some(named::<IssueInput>), 200, Some(named::<WriteResult>)),
        R::SetDraftValue => (Some(named::<DraftValueInput>), 200, Some(named::<WriteResult>)),
        R::RemoveProvision | R::RemoveIssue => (None, 200, Some(named::<WriteResult>)),
        R::ListStances => (None, 200, Some(named::<StancesView>)),
        R::SetStance => (Some(named::<StanceInput>), 200, Some(named::<WriteResult>)),
        R::StanceHistory => (None, 200, Some(list::<StanceHistoryEntry>)),
        R::ListComments => (None, 200, Some(list::<CommentView>)),
        R::GetReservations => (None, 200, Some(list::<ReservationEntry>)),
        R::ListInvitations => (None, 200, Some(list::<InvitationView>)),
        R::Members => (None, 200, Some(list::<SeatView>)),
        R::ListVersions => (None, 200, Some(list::<VersionSummary>)),
        R::Balance => (None, 200, Some(list::<BalanceView>)),
        R::AddComment => (Some(named::<CommentInput>), 201, Some(named::<WriteResult>)),
        R::SetProfile => (Some(named::<ProfileInput>), 200, Some(named::<WriteResult>)),
        R::ChangeReservation => (Some(named::<ReservationInput>), 200, Some(named::<WriteResult>)),
        R::Invite => (Some(named::<InviteInput>), 201, Some(named::<InvitationCreated>)),
        R::AcceptInvitation => (Some(named::<AcceptInput>), 200, Some(named::<WriteResult>)),
        R::RevokeInvitation => (None, 200, Some(named::<WriteResult>)),
        R::PublishVersion => (Some(named::<PublishInput>), 201, Some(named::<WriteResult>)),
        R::DiffVersions => (None, 200, Some(named::<VersionDiff>)),
        R::Pareto => (None, 200, Some(named::<ParetoView>)),
        R::Events => (None, 200, Some(named::<EventsView>)),
        R::Checkpoint => (None, 200, Some(named::<Checkpoint>)),
        R::InclusionProof => (None, 200, Some(named::<InclusionProof>)),
        R::ConsistencyProof => (None, 200, Some(named::<ConsistencyProof>)),
        R::ServerKey => (None, 200, Some(named::<ServerKeyView>)),
        R::PhaseStatus => (None, 200, Some(named::<PhaseView>)),
        R::AdvancePhase => (Some(named::<AdvanceInput>), 200, Some(named::<WriteResult>)),
        R::ExtendDeadline => (Some(named::<ExtendInput>), 200, Some(named::<WriteResult>)),
        R::Engagement => (None, 200, Some(list::<VersionEngagement>)),
        R::ListKeys => (None, 200, Some(list::<PartyKeyView>)),
        R::RegisterKey => (Some(named::<KeyInput>), 200, Some(named::<WriteResult>)),
        R::RotateKey => (Some(named::<RotateKeyInput>), 200, Some(named::<WriteResult>)),
        R::SignedCheckpoint => (None, 200, Some(named::<SignedCheckpointView>)),
        R::Acknowledge => (Some(named::<AcknowledgeInput>), 200, Some(named::<WriteResult>)),
        R::SignFinal => (Some(named::<SignInput>), 200, Some(named::<WriteResult>)),
        R::Bundle => (None, 200, Some(named::<Bundle>)),
        R::ExportLog => (None, 200, Some(named::<LogExport>)),
        // text/event-stream; see handlers/stream.rs for the events.
        R::Stream => (None, 200, None),
        R::ConfirmInputs => (Some(named::<ConfirmInput>), 200, Some(named::<WriteResult>)),
        R::DraftEdits => (Some(named::<DraftEditsInput>), 200, Some(named::<DraftEditsResult>)),
        R::SetWorkingDraftSharing => (Some(named::<WorkingDraftSharingInput>), 200, Some(named::<WriteResult>)),
        R::SetAdReferendum => (Some(named::<AdReferendumInput>), 200, Some(named::<WriteResult>)),
    }
}

/// A path parameter's schema: version numbers are `u32`s, everything else an id.
fn path_parameter_schema(name: &str) -> RefOr<Schema> {
    match name {
        "number" | "other" => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .maximum(Some(u32::MAX))
            .description(Some("A version number (1, 2, …)"))
            .into(),
        _ => String::schema(),
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
            | RevokeInvitation
            | PublishVersion
            | AdvancePhase
            | ExtendDeadline
            | RegisterKey
            | RotateKey
            | Acknowledge
            | SignFinal
            | ConfirmInputs
            | SetWorkingDraftSharing
            | SetAdReferendum
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
                    .schema(Some(path_parameter_schema(name))),
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is a failed test
mod tests {
    use serde_json::Value;

    use super::*;

    /// Calls `visit` on every schema object below `schema` (properties, items,
    /// tuple items, alternatives), with a path for the failure message.
    fn walk<'a>(path: &str, schema: &'a Value, visit: &mut dyn FnMut(&str, &'a Value)) {
        visit(path, schema);
        if let Some(properties) = schema["properties"].as_object() {
            for (name, property) in properties {
                walk(&format!("{path}.{name}"), property, visit);
            }
        }
        for key in ["oneOf", "allOf", "anyOf", "prefixItems"] {
            for (i, item) in schema[key].as_array().into_iter().flatten().enumerate() {
                walk(&format!("{path}/{key}/{i}"), item, visit);
            }
        }
        for key in ["items", "additionalProperties"] {
            if schema[key].is_object() {
                walk(&format!("{path}/{key}"), &schema[key], visit);
            }
        }
    }

    fn document_json() -> Value {
        serde_json::to_value(document()).unwrap()
    }

    /// Every JSON body of every operation, request and response, by name.
    fn bodies(doc: &Value) -> Vec<(String, &Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let request = &op["requestBody"]["content"]["application/json"]["schema"];
                if !request.is_null() {
                    out.push((format!("{method} {path} request"), request));
                }
                for (status, response) in op["responses"].as_object().unwrap() {
                    for (media, content) in response["content"].as_object().into_iter().flatten() {
                        out.push((format!("{method} {path} {status} {media}"), &content["schema"]));
                    }
                }
            }
        }
        out
    }

    /// A schema says what a value is when it names a type, a reference, a
    /// set of alternatives or the constant values allowed; an object type
    /// must also say which properties it has.
    fn untyped(schema: &Value) -> Option<&'static str> {
        let says = ["type", "$ref", "oneOf", "allOf", "anyOf", "enum", "const"].iter().any(|k| !schema[*k].is_null());
        if !says {
            return Some("names no type");
        }
        let is_object = schema["type"] == "object"
            || schema["type"].as_array().is_some_and(|types| types.iter().any(|t| t == "object"));
        if is_object && schema["properties"].is_null() && schema["additionalProperties"].is_null() {
            return Some("is an object with no properties");
        }
        None
    }

    /// The only schemas left open, on purpose: the OpenAPI document's own
    /// top-level objects (describing OpenAPI in OpenAPI would add nothing).
    const KNOWN_UNTYPED: &[&str] = &[
        "get /api/openapi.json 200 application/json.components",
        "get /api/openapi.json 200 application/json.info",
        "get /api/openapi.json 200 application/json.paths",
    ];

    #[test]
    fn every_request_and_response_body_has_a_typed_schema() {
        let doc = document_json();
        let mut failures = Vec::new();
        for (name, schema) in bodies(&doc) {
            walk(&name, schema, &mut |path, s| {
                if let Some(why) = untyped(s) {
                    failures.push(format!("{path} {why}: {s}"));
                }
            });
        }
        for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
            walk(name, schema, &mut |path, s| {
                // `{"type": "null"}` is the other half of an optional reference.
                if let Some(why) = untyped(s).filter(|_| s["type"] != "null") {
                    failures.push(format!("{path} {why}: {s}"));
                }
            });
        }
        failures.retain(|failure| !KNOWN_UNTYPED.iter().any(|known| failure.starts_with(&format!("{known} "))));
        assert!(failures.is_empty(), "{} untyped schemas:\n{}", failures.len(), failures.join("\n"));
    }

    #[test]
    fn every_reference_names_a_component() {
        let doc = document_json();
        let components = doc["components"]["schemas"].as_object().unwrap();
        let mut references = Vec::new();
        let mut collect = |_: &str, s: &Value| {
            if let Some(target) = s["$ref"].as_str() {
                references.push(target.to_string());
            }
        };
        for (name, schema) in bodies(&doc) {
            walk(&name, schema, &mut collect);
        }
        for (name, schema) in components {
            walk(name, schema, &mut collect);
        }
        assert!(references.len() > 50, "only {} references: is the walk blind?", references.len());
        for target in references {
            let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("odd reference {target}"));
            assert!(components.contains_key(name), "{target} is not in components.schemas");
        }
    }

    #[test]
    fn the_negotiation_draft_profile_version_analysis_and_bundle_have_their_types() {
        let doc = document_json();
        let success = |path: &str, method: &str, status: &str| {
            doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"].clone()
        };
        let reference = |name: &str| Value::from(format!("#/components/schemas/{name}"));
        let n = "/api/negotiations/{id}";
        for (path, method, status, expected) in [
            ("/api/negotiations".to_string(), "post", "201", "NegotiationView"),
            (n.to_string(), "get", "200", "NegotiationView"),
            (format!("{n}/draft"), "get", "200", "DraftView"),
            (format!("{n}/profiles/{{party}}"), "get", "200", "ProfileView"),
            (format!("{n}/versions/{{number}}"), "get", "200", "PublishedVersionView"),
            (format!("{n}/analysis"), "get", "200", "AnalysisView"),
            (format!("{n}/bundle"), "get", "200", "Bundle"),
            (format!("{n}/export"), "get", "200", "LogExport"),
        ] {
            assert_eq!(success(&path, method, status)["$ref"], reference(expected), "{method} {path}");
        }
        assert_eq!(success(&format!("{n}/engagement"), "get", "200")["items"]["$ref"], reference("VersionEngagement"));
        // The draft's model types are spelled out, down to the tagged unions.
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["DraftView"]["properties"]["issues"]["items"]["$ref"], reference("Issue"));
        assert!(schemas["IssueKind"]["oneOf"].as_array().is_some_and(|v| v.len() == 2), "{}", schemas["IssueKind"]);
        assert!(schemas["Position"]["oneOf"].as_array().is_some_and(|v| v.len() == 3), "{}", schemas["Position"]);
        // An issue's value is an option id or a number, not "anything".
        let value_types: Vec<&Value> = schemas["Value"]["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|alternative| &alternative["type"])
            .collect();
        assert_eq!(value_types, [&Value::from("string"), &Value::from("number")], "{}", schemas["Value"]);
        assert_eq!(schemas["DraftValueInput"]["properties"]["value"]["$ref"], reference("Value"));
    }

    #[test]
    fn version_numbers_in_paths_are_integers() {
        let doc = document_json();
        let parameters = &doc["paths"]["/api/negotiations/{id}/versions/{number}"]["get"]["parameters"];
        let number = parameters.as_array().unwrap().iter().find(|p| p["name"] == "number").unwrap();
        assert_eq!(number["schema"]["type"], "integer");
        assert_eq!(number["schema"]["maximum"], u32::MAX);
    }
}
