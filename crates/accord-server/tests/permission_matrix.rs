//! Every route × every role: the status each role gets. The request and the
//! expected row are exhaustive matches over `RouteId`, so a new route does
//! not compile until it has a row here, and the test checks that the route
//! table and the table below agree.
#![allow(clippy::unwrap_used)]

mod common;

use accord_evidence::SigningKey;
use accord_evidence::statement::{Statement, sign_statement_hex};
use accord_server::{QueryParam, RouteId, routes};
use axum::http::{Method, StatusCode};
use common::{Auth, PASSWORD, ROLES, Seated, seated, seated_blind};
use serde_json::{Value, json};

/// Expected status per role, in the order of `ROLES`:
/// mediator, ua (signatory), ru (signatory), eu (consulted), observer, stranger, anonymous.
fn expected(route: RouteId) -> [u16; 7] {
    use RouteId::*;
    match route {
        OpenApi => [200, 200, 200, 200, 200, 200, 200],
        SignUp => [201, 201, 201, 201, 201, 201, 201],
        SignIn => [200, 200, 200, 200, 200, 200, 200],
        SignOut => [204, 204, 204, 204, 204, 204, 401],
        CreateToken => [201, 201, 201, 201, 201, 201, 201],
        Me => [200, 200, 200, 200, 200, 200, 401],
        ListNegotiations => [200, 200, 200, 200, 200, 200, 401],
        CreateNegotiation => [201, 201, 201, 201, 201, 201, 401],
        GetNegotiation => [200, 200, 200, 200, 200, 404, 401],
        GetDraft => [200, 200, 200, 200, 403, 404, 401],
        SetProvision => [200, 403, 403, 403, 403, 404, 401],
        RemoveProvision => [200, 403, 403, 403, 403, 404, 401],
        SetIssue => [200, 403, 403, 403, 403, 404, 401],
        RemoveIssue => [200, 403, 403, 403, 403, 404, 401],
        SetDraftValue => [200, 403, 403, 403, 403, 404, 401],
        ListStances => [200, 200, 200, 200, 403, 404, 401],
        SetStance => [403, 200, 200, 200, 403, 404, 401],
        StanceHistory => [200, 200, 200, 200, 403, 404, 401],
        ListComments => [200, 200, 200, 200, 403, 404, 401],
        AddComment => [201, 201, 201, 201, 403, 404, 401],
        // The profile of ua.
        GetProfile => [200, 200, 403, 403, 403, 404, 401],
        SetProfile => [403, 200, 403, 403, 403, 404, 401],
        GetReservations => [200, 200, 403, 403, 403, 404, 401],
        ChangeReservation => [403, 200, 403, 403, 403, 404, 401],
        ListInvitations => [200, 403, 403, 403, 403, 404, 401],
        // Every seat is taken, so the mediator passes the policy and meets validation.
        Invite => [422, 403, 403, 403, 403, 404, 401],
        // With a token that was never issued: the seated are told they hold a seat.
        AcceptInvitation => [409, 409, 409, 409, 409, 404, 401],
        // An invitation that was never issued: the mediator passes the policy and finds none.
        RevokeInvitation => [404, 403, 403, 403, 403, 404, 401],
        Members => [200, 200, 200, 200, 403, 404, 401],
        ListVersions => [200, 200, 200, 200, 200, 404, 401],
        PublishVersion => [201, 403, 403, 403, 403, 404, 401],
        GetVersion => [200, 200, 200, 200, 200, 404, 401],
        DiffVersions => [200, 200, 200, 200, 200, 404, 401],
        Analysis => [200, 403, 403, 403, 403, 404, 401],
        // The analysis's gate, and each party's utility (the mediator's is redacted to normalised gains).
        Pareto => [200, 403, 403, 403, 403, 404, 401],
        Balance => [403, 200, 200, 200, 403, 404, 401],
        Events => [200, 200, 200, 200, 200, 404, 401],
        Checkpoint => [200, 200, 200, 200, 200, 404, 401],
        InclusionProof => [200, 200, 200, 200, 200, 404, 401],
        ConsistencyProof => [200, 200, 200, 200, 200, 404, 401],
        ServerKey => [200, 200, 200, 200, 200, 200, 200],
        PhaseStatus => [200, 200, 200, 200, 200, 404, 401],
        // Enters the first phase (consultation) early; the rows below run in it.
        AdvancePhase => [200, 403, 403, 403, 403, 404, 401],
        ExtendDeadline => [200, 403, 403, 403, 403, 404, 401],
        Engagement => [200, 200, 200, 200, 200, 404, 401],
        ListKeys => [200, 200, 200, 200, 200, 404, 401],
        // ua's key: only ua may register and rotate it.
        RegisterKey => [403, 200, 403, 403, 403, 404, 401],
        RotateKey => [403, 200, 403, 403, 403, 404, 401],
        SignedCheckpoint => [200, 200, 200, 200, 200, 404, 401],
        // Everyone who works on the text may acknowledge; only ua has a key (422 for the others).
        Acknowledge => [422, 200, 422, 422, 403, 404, 401],
        // Only signatories sign, and only in the signing window (409 wrong_phase for ua, who has a key).
        SignFinal => [403, 409, 422, 403, 403, 404, 401],
        // The certificate exists once the negotiation is concluded; it holds the
        // draft's frame, so observers (released text only) may not take it.
        Bundle => [409, 409, 409, 409, 403, 404, 401],
        ExportLog => [200, 403, 403, 403, 403, 404, 401],
        // The stream says only that the log grew, as ETags do: every member.
        Stream => [200, 200, 200, 200, 200, 404, 401],
        // ua's stance on art-12, which the scenario entered for it: only ua confirms.
        ConfirmInputs => [403, 200, 403, 403, 403, 404, 401],
        // Drafting is the mediator's: a batch of edits like any other draft write.
        DraftEdits => [200, 403, 403, 403, 403, 404, 401],
        // Who may watch the working draft, and the ad referendum marks: the mediator's.
        SetWorkingDraftSharing => [200, 403, 403, 403, 403, 404, 401],
        SetAdReferendum => [200, 403, 403, 403, 403, 404, 401],
    }
}

/// Under blind mediation: the same table, but the mediator is refused a
/// party's profile, its reservation history and the full log export (it
/// still lists stances, filtered to counts, and reads the analysis and the
/// Pareto chart in normalised gains; the balance was never the mediator's).
fn expected_blind(route: RouteId) -> [u16; 7] {
    use RouteId::*;
    let mut row = expected(route);
    match route {
        GetProfile | GetReservations | ExportLog => row[0] = 403,
        _ => {}
    }
    row
}

fn first_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn second_key() -> SigningKey {
    SigningKey::from_bytes(&[8; 32])
}

fn hash(text: &str) -> [u8; 32] {
    hex::decode(text).unwrap().try_into().unwrap()
}

/// A concrete request for `route` that succeeds for a role the policy allows.
/// Returns the path and the body.
async fn request(s: &Seated, route: RouteId, role: &str, n: usize) -> (String, Option<Value>) {
    use RouteId::*;
    let id = &s.id;
    let base = format!("/api/negotiations/{id}");
    let path = match route {
        OpenApi => "/api/openapi.json".to_string(),
        SignUp => {
            return (
                "/api/accounts".into(),
                Some(
                    json!({"email": format!("new-{role}-{n}@example.org"), "password": PASSWORD, "display_name": "New"}),
                ),
            );
        }
        SignIn | CreateToken => {
            let path = if route == SignIn { "/api/sessions" } else { "/api/tokens" };
            return (path.into(), Some(json!({"email": "stranger@example.org", "password": PASSWORD})));
        }
        SignOut => "/api/sessions/current".into(),
        Me => "/api/me".into(),
        ListNegotiations => "/api/negotiations".into(),
        CreateNegotiation => return ("/api/negotiations".into(), Some(json!({"title": format!("Talks {n}")}))),
        GetNegotiation => base,
        GetDraft => format!("{base}/draft"),
        SetProvision => {
            return (
                format!("{base}/provisions/art-matrix"),
                Some(json!({"number": "99", "heading": "Matrix", "body": "Fixed text."})),
            );
        }
        RemoveProvision => format!("{base}/provisions/art-matrix"),
        SetIssue => {
            return (
                format!("{base}/issues/matrix-issue"),
                Some(
                    json!({"title": "Matrix", "kind": {"kind": "discrete", "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]}, "draft": null}),
                ),
            );
        }
        RemoveIssue => format!("{base}/issues/matrix-issue"),
        SetDraftValue => return (format!("{base}/draft-values/territory"), Some(json!({"value": "freeze"}))),
        ListStances => format!("{base}/stances"),
        SetStance => {
            return (format!("{base}/stances/art-1"), Some(json!({"position": "acceptable", "reason": "fine"})));
        }
        StanceHistory => format!("{base}/stances/history"),
        ListComments => format!("{base}/comments"),
        AddComment => {
            return (
                format!("{base}/comments"),
                Some(json!({"provision": "art-1", "quote": "", "text": "A note", "private": false})),
            );
        }
        GetProfile => format!("{base}/profiles/ua"),
        SetProfile => {
            // ua's own profile, which ua reads under every policy.
            let r = s.h.get(&format!("{base}/profiles/ua"), &s.auth["ua"]).await;
            let mut profile = r.json();
            let object = profile.as_object_mut().unwrap();
            object.remove("party");
            object.remove("entered_by_mediator");
            return (format!("{base}/profiles/ua"), Some(profile));
        }
        GetReservations => format!("{base}/profiles/ua/reservations"),
        ChangeReservation => {
            return (format!("{base}/profiles/ua/reservations"), Some(json!({"reservation": 0.5, "note": "moved"})));
        }
        ListInvitations => format!("{base}/invitations"),
        Invite => return (format!("{base}/invitations"), Some(json!({"party": "ua"}))),
        AcceptInvitation => {
            return (format!("{base}/invitations/accept"), Some(json!({"token": "0".repeat(64)})));
        }
        RevokeInvitation => format!("{base}/invitations/{}", "0".repeat(16)),
        Members => format!("{base}/members"),
        ListVersions => format!("{base}/versions"),
        PublishVersion => return (format!("{base}/versions"), Some(json!({}))),
        GetVersion => format!("{base}/versions/1"),
        DiffVersions => format!("{base}/versions/1/diff/1"),
        Analysis => format!("{base}/analysis"),
        Pareto => format!("{base}/analysis/pareto?a=ua&b=ru"),
        Balance => format!("{base}/balance"),
        Events => format!("{base}/events"),
        Checkpoint => format!("{base}/checkpoint"),
        InclusionProof => format!("{base}/proofs/inclusion?index=0"),
        ConsistencyProof => format!("{base}/proofs/consistency?from=1"),
        ServerKey => "/api/server-key".into(),
        PhaseStatus => format!("{base}/phase"),
        AdvancePhase => return (format!("{base}/phase/advance"), Some(json!({"reason": "the matrix"}))),
        ExtendDeadline => {
            return (
                format!("{base}/phase/extend"),
                Some(json!({"end": "2025-11-30T18:00:00Z", "reason": "the matrix"})),
            );
        }
        Engagement => format!("{base}/engagement"),
        ListKeys => format!("{base}/keys"),
        RegisterKey => {
            let public_key = hex::encode(first_key().verifying_key().to_bytes());
            let signature = accord_evidence::sign_key_registration(&first_key(), id, "ua").unwrap();
            return (format!("{base}/keys/ua"), Some(json!({"public_key": public_key, "signature": signature})));
        }
        RotateKey => {
            let statement = Statement::KeyRotation {
                negotiation: id.clone(),
                party: "ua".into(),
                old: first_key().verifying_key().to_bytes(),
                new: second_key().verifying_key().to_bytes(),
            };
            let signature = sign_statement_hex(&first_key(), &statement).unwrap();
            let public_key = hex::encode(second_key().verifying_key().to_bytes());
            return (format!("{base}/keys/ua/rotate"), Some(json!({"public_key": public_key, "signature": signature})));
        }
        SignedCheckpoint => format!("{base}/checkpoint/signed"),
        Acknowledge => {
            let checkpoint = s.h.get(&format!("{base}/checkpoint"), &s.auth["mediator"]).await.json();
            let version = s.h.get(&format!("{base}/versions/1"), &s.auth["mediator"]).await.json();
            let root = checkpoint["root"].as_str().unwrap().to_string();
            let statement = Statement::Acknowledgement {
                negotiation: id.clone(),
                party: "ua".into(),
                version: 1,
                content_hash: hash(version["content_hash"].as_str().unwrap()),
                checkpoint: accord_merkle::Checkpoint::new(checkpoint["size"].as_u64().unwrap(), hash(&root)),
            };
            let signature = sign_statement_hex(&second_key(), &statement).unwrap();
            let body = json!({"checkpoint_size": checkpoint["size"], "checkpoint_root": root, "signature": signature});
            return (format!("{base}/versions/1/acknowledgements"), Some(body));
        }
        SignFinal => {
            let version = s.h.get(&format!("{base}/versions/1"), &s.auth["mediator"]).await.json();
            let statement = Statement::FinalSignature {
                negotiation: id.clone(),
                party: "ua".into(),
                version: 1,
                content_hash: hash(version["content_hash"].as_str().unwrap()),
            };
            let signature = sign_statement_hex(&second_key(), &statement).unwrap();
            return (format!("{base}/versions/1/signatures"), Some(json!({"signature": signature})));
        }
        Bundle => format!("{base}/bundle"),
        ExportLog => format!("{base}/export"),
        Stream => format!("{base}/stream"),
        ConfirmInputs => return (format!("{base}/inputs/ua/confirm"), Some(json!({"stances": ["art-12"]}))),
        DraftEdits => {
            let size = s.h.size(id, &s.auth["mediator"]).await;
            let edits = json!([{"op": "set_draft_value", "issue": "territory", "value": "freeze"}]);
            return (format!("{base}/draft/edits"), Some(json!({"base": size, "edits": edits})));
        }
        SetWorkingDraftSharing => {
            return (format!("{base}/settings/working-draft"), Some(json!({"parties_see_working_draft": false})));
        }
        SetAdReferendum => return (format!("{base}/provisions/art-1/ad-referendum"), Some(json!({"agreed": true}))),
    };
    (path, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_for_every_role() {
    every_route_answers(&seated().await, expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_for_every_role_under_blind_mediation() {
    let s = seated_blind().await;
    let view = s.h.get(&format!("/api/negotiations/{}", s.id), &s.auth["mediator"]).await.json();
    assert_eq!(view["privacy"]["blind_mediation"], true, "the scenario's [privacy] table reached the negotiation");
    every_route_answers(&s, expected_blind).await;
}

async fn every_route_answers(s: &Seated, expected: fn(RouteId) -> [u16; 7]) {
    // One released version so that observers have something to read.
    let size = s.h.size(&s.id, &s.auth["mediator"]).await;
    let r =
        s.h.call(
            Method::POST,
            &format!("/api/negotiations/{}/versions", s.id),
            &s.auth["mediator"],
            Some(size),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let mut failures = Vec::new();
    let mut n = 0;
    let table = routes();
    for route in &table {
        let row = expected(route.id);
        for (role, expected) in ROLES.iter().zip(row) {
            n += 1;
            let (path, body) = request(s, route.id, role, n).await;
            let mut auth = s.auth[role].clone();
            if route.id == RouteId::SignOut && role != &"anonymous" {
                // Signing out revokes the token; use a throwaway one.
                auth = s.h.token(&s.email[role]).await;
            }
            let if_match = if accord_server::openapi::takes_if_match(route.id) {
                Some(s.h.size(&s.id, &s.auth["mediator"]).await)
            } else {
                None
            };
            let reply = s.h.call(route.method.clone(), &path, &auth, if_match, body).await;
            if reply.status.as_u16() != expected {
                failures.push(format!(
                    "{:?} {} as {role}: expected {expected}, got {} {}",
                    route.method,
                    route.path,
                    reply.status.as_u16(),
                    reply.text.chars().take(300).collect::<String>()
                ));
            }
            if !reply.status.is_success() {
                let content_type = reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
                assert_eq!(content_type, "application/problem+json", "{} {}", route.path, reply.text);
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_route_table_has_no_duplicates_and_every_route_is_in_the_openapi_document() {
    let table = routes();
    let mut seen = std::collections::BTreeSet::new();
    for route in &table {
        assert!(seen.insert((route.path, route.method.to_string())), "duplicate route {} {}", route.method, route.path);
        assert!(seen.len() <= table.len());
    }
    let ids: std::collections::BTreeSet<_> = table.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), table.len(), "a RouteId appears twice in the table");
    let doc = serde_json::to_value(accord_server::openapi::document()).unwrap();
    for route in &table {
        let method = route.method.as_str().to_ascii_lowercase();
        assert!(
            doc["paths"][route.path][&method].is_object(),
            "{} {} is missing from /api/openapi.json",
            route.method,
            route.path
        );
        // Every query parameter is declared, so schemathesis sends it, with its type.
        let parameters = doc["paths"][route.path][&method]["parameters"].as_array().cloned().unwrap_or_default();
        for param in route.query {
            let declared = parameters
                .iter()
                .find(|p| p["in"] == "query" && p["name"] == param.name())
                .unwrap_or_else(|| panic!("{} lacks query parameter {}", route.path, param.name()));
            let (kind, required) = match param {
                QueryParam::Integer(_) => ("integer", false),
                QueryParam::Party(_) => ("string", true),
            };
            assert_eq!(declared["schema"]["type"], kind, "{} {}", route.path, param.name());
            assert_eq!(declared["required"], required, "{} {}", route.path, param.name());
        }
    }
    let pareto = &doc["paths"]["/api/negotiations/{id}/analysis/pareto"]["get"];
    assert_eq!(
        pareto["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ParetoView"
    );
}

#[tokio::test]
async fn a_cookie_write_needs_the_csrf_token() {
    let h = common::harness().await;
    h.account("a@example.org").await;
    let r = h
        .call(
            Method::POST,
            "/api/sessions",
            &Auth::None,
            None,
            Some(json!({"email": "a@example.org", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let cookie = r.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let token = cookie.split(';').next().unwrap().strip_prefix("accord_session=").unwrap().to_string();
    let csrf = r.json()["csrf_token"].as_str().unwrap().to_string();
    let body = Some(json!({"title": "Talks"}));
    let without =
        h.call(Method::POST, "/api/negotiations", &Auth::Cookie(token.clone(), None), None, body.clone()).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    assert_eq!(without.json()["code"], "csrf_failed");
    let wrong = h
        .call(Method::POST, "/api/negotiations", &Auth::Cookie(token.clone(), Some("x".into())), None, body.clone())
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let right = h.call(Method::POST, "/api/negotiations", &Auth::Cookie(token.clone(), Some(csrf)), None, body).await;
    assert_eq!(right.status, StatusCode::CREATED, "{}", right.text);
    // Reads need no CSRF token.
    let read = h.get("/api/negotiations", &Auth::Cookie(token, None)).await;
    assert_eq!(read.status, StatusCode::OK);
}
