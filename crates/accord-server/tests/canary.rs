//! The canary leak test: every private field of every party carries a unique
//! string (or a number whose written form is unique), and no other role finds
//! any of them in any body or header of any GET route, error path or the
//! event log and its proofs; nor does the server's own log output, which no
//! party's secret may reach at all.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use accord_server::routes;
use axum::http::{Method, StatusCode};
use common::{Reply, Seated, seated, seated_blind};
use serde_json::{Value, json};

/// The parties that hold secrets, with the role names that act for them.
const OWNERS: [(&str, &str); 4] = [("ua", "ua"), ("ru", "ru"), ("eu", "eu"), ("mediator", "us")];

/// Everything the server logs during the test, as JSON lines.
#[derive(Clone, Default)]
struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    /// Captures every tracing event of this test process, at every level, in
    /// the JSON format `accord serve` writes.
    fn install() -> CapturedLog {
        let log = CapturedLog::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        log
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn random_tag() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    hex::encode(bytes)
}

/// Seeds canaries for `role` (acting as `party`) and returns them.
async fn seed(s: &Seated, role: &str, party: &str, k: usize) -> Vec<String> {
    let base = format!("/api/negotiations/{}", s.id);
    let auth = &s.auth[role];
    let tag = random_tag();
    let mut canaries = Vec::new();
    let write = async |method: Method, path: String, body: Value| {
        let size = s.h.size(&s.id, auth).await;
        let r = s.h.call(method, &path, auth, Some(size), Some(body)).await;
        assert!(r.status.is_success(), "{path}: {}", r.text);
    };
    let comment = format!("CANARY-{tag}-private-comment-{party}");
    write(
        Method::POST,
        format!("{base}/comments"),
        json!({"provision": "art-3", "quote": "", "text": comment, "private": true}),
    )
    .await;
    canaries.push(comment);
    if party == "us" {
        return canaries;
    }
    let reason = format!("CANARY-{tag}-stance-reason-{party}");
    write(Method::PUT, format!("{base}/stances/art-2"), json!({"position": "unacceptable", "reason": reason})).await;
    canaries.push(reason);

    // A profile whose every number has a written form nothing else has.
    let r = s.h.get(&format!("{base}/draft"), auth).await;
    let issues = r.json()["issues"].as_array().unwrap().clone();
    let mut weights = Vec::new();
    let mut ratings = Vec::new();
    for (i, issue) in issues.iter().enumerate() {
        let id = issue["id"].as_str().unwrap();
        let weight = 1.0 + (k * 100 + i) as f64 * 0.000_123_457;
        weights.push(json!([id, weight]));
        if let Some(options) = issue["kind"]["options"].as_array() {
            let table: Vec<Value> = options
                .iter()
                .enumerate()
                .map(|(j, o)| json!([o["id"], 0.1 + (k * 1000 + i * 10 + j) as f64 * 0.000_013_579]))
                .collect();
            ratings.push(json!([id, {"table": table}]));
        }
    }
    let reservation = 0.123_456_789 + k as f64 * 0.011_111_111;
    let profile = json!({"illustrative": true, "weighting": "normalised", "weights": weights, "ratings": ratings, "red_lines": [], "reservation": reservation, "discount_factor": null});
    for number in numbers(&profile) {
        canaries.push(number);
    }
    write(Method::PUT, format!("{base}/profiles/{party}"), profile).await;
    let moved = 0.234_567_891 + k as f64 * 0.011_111_111;
    let note = format!("CANARY-{tag}-reservation-note-{party}");
    write(Method::POST, format!("{base}/profiles/{party}/reservations"), json!({"reservation": moved, "note": note}))
        .await;
    canaries.push(note);
    canaries.push(serde_json::to_string(&moved).unwrap());
    canaries
}

/// The written forms of the distinctive numbers in a JSON value.
fn numbers(value: &Value) -> Vec<String> {
    match value {
        Value::Number(n) => {
            let text = n.to_string();
            if text.len() >= 8 { vec![text] } else { Vec::new() }
        }
        Value::Array(items) => items.iter().flat_map(numbers).collect(),
        Value::Object(map) => map.values().flat_map(numbers).collect(),
        _ => Vec::new(),
    }
}

fn leaks<'a>(reply: &Reply, canaries: &'a [String]) -> Vec<&'a str> {
    let headers: String = reply.headers.iter().map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or(""))).collect();
    canaries
        .iter()
        .filter(|c| reply.text.contains(c.as_str()) || headers.contains(c.as_str()))
        .map(String::as_str)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_role_sees_another_partys_secrets() {
    let captured = CapturedLog::install();
    let s = seated().await;
    let id = s.id.clone();
    let mut secrets: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (k, (role, party)) in OWNERS.iter().enumerate() {
        secrets.insert(role, seed(&s, role, party, k + 1).await);
    }
    // Publish a version so the version routes answer with content.
    let size = s.h.size(&id, &s.auth["mediator"]).await;
    let r =
        s.h.call(
            Method::POST,
            &format!("/api/negotiations/{id}/versions"),
            &s.auth["mediator"],
            Some(size),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // The test must be able to fail: each owner does see its own canaries.
    for (role, party) in OWNERS {
        let mine = &secrets[role];
        let comments = s.h.get(&format!("/api/negotiations/{id}/comments"), &s.auth[role]).await;
        assert!(comments.text.contains(&mine[0]), "{role} cannot see its own comment");
        if party != "us" {
            let profile = s.h.get(&format!("/api/negotiations/{id}/profiles/{party}"), &s.auth[role]).await;
            assert!(!leaks(&profile, mine).is_empty(), "{role} cannot see its own profile");
        }
    }

    let size = s.h.size(&id, &s.auth["mediator"]).await;
    let mut paths = Vec::new();
    for route in routes().iter().filter(|r| r.method == Method::GET) {
        let parties =
            if route.path.contains("{party}") { vec!["us", "ua", "ru", "eu", "un", "nobody"] } else { vec![""] };
        for party in parties {
            let mut path = route
                .path
                .replace("{id}", &id)
                .replace("{party}", party)
                .replace("{number}", "1")
                .replace("{other}", "1");
            match route.id {
                accord_server::RouteId::InclusionProof => path.push_str(&format!("?index={}", size - 1)),
                accord_server::RouteId::ConsistencyProof => path.push_str("?from=1"),
                accord_server::RouteId::Pareto => path.push_str("?a=ua&b=ru"),
                _ => {}
            }
            paths.push(path);
        }
    }
    for index in 0..size {
        paths.push(format!("/api/negotiations/{id}/proofs/inclusion?index={index}"));
    }
    paths.push(format!("/api/negotiations/{id}/events?from=0&to={size}"));
    paths.push(format!("/api/negotiations/{id}/versions/99"));
    paths.push(format!("/api/negotiations/{id}/profiles/ua/nonsense"));

    let mut found = Vec::new();
    let mut checked = 0;
    for viewer in common::ROLES {
        // The mediator may see every party's secrets under the default policy; the owner sees its own.
        let forbidden: Vec<String> = OWNERS
            .iter()
            .filter(|(owner, _)| *owner != viewer && viewer != "mediator")
            .flat_map(|(owner, _)| secrets[owner].clone())
            .collect();
        for path in &paths {
            let reply = s.h.get(path, &s.auth[viewer]).await;
            checked += 1;
            for leak in leaks(&reply, &forbidden) {
                found.push(format!("{viewer} GET {path}: {leak}"));
            }
        }
        // Error paths of the writes: trying to overwrite someone else's private data.
        for (owner, party) in OWNERS.iter().filter(|(o, _)| *o != viewer) {
            let _ = owner;
            for (method, path, body) in [
                (
                    Method::PUT,
                    format!("/api/negotiations/{id}/profiles/{party}"),
                    json!({"weights": [], "ratings": [], "reservation": 2}),
                ),
                (
                    Method::POST,
                    format!("/api/negotiations/{id}/profiles/{party}/reservations"),
                    json!({"reservation": 0.5}),
                ),
                (Method::PUT, format!("/api/negotiations/{id}/stances/art-2"), json!({"position": "acceptable_if"})),
                (
                    Method::POST,
                    format!("/api/negotiations/{id}/inputs/{party}/confirm"),
                    json!({"profile": true, "stances": ["art-2", "art-3"]}),
                ),
                (
                    Method::POST,
                    format!("/api/negotiations/{id}/comments"),
                    json!({"provision": "art-3", "quote": "not there", "text": "x"}),
                ),
            ] {
                let reply = s.h.call(method, &path, &s.auth[viewer], Some(0), Some(body)).await;
                checked += 1;
                assert!(!reply.status.is_server_error(), "{path}: {}", reply.text);
                for leak in leaks(&reply, &forbidden) {
                    found.push(format!("{viewer} write {path}: {leak}"));
                }
            }
        }
    }
    assert!(checked > 300, "only {checked} requests checked");
    assert!(found.is_empty(), "{} leaks:\n{}", found.len(), found.join("\n"));

    // The server's log: one JSON object per line, one line per request at
    // least, and not one secret of any party.
    let log = captured.text();
    let lines: Vec<Value> = log.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let requests = lines.iter().filter(|l| l["fields"]["message"] == "request").count();
    assert!(requests >= checked, "{requests} request lines for {checked} requests");
    let every_secret: Vec<&String> = secrets.values().flatten().collect();
    let in_log: Vec<&&String> = every_secret.iter().filter(|secret| log.contains(secret.as_str())).collect();
    assert!(in_log.is_empty(), "secrets in the server log: {in_log:?}");
    assert!(!log.contains(&id), "log lines carry route templates, not negotiation ids");
}

/// Every GET route of the API with `{id}` and the other placeholders filled
/// in, each party route once per party, and every inclusion proof.
async fn api_paths(s: &Seated) -> Vec<String> {
    let id = &s.id;
    let size = s.h.size(id, &s.auth["mediator"]).await;
    let mut paths = Vec::new();
    for route in routes().iter().filter(|r| r.method == Method::GET) {
        let parties =
            if route.path.contains("{party}") { vec!["us", "ua", "ru", "eu", "un", "nobody"] } else { vec![""] };
        for party in parties {
            let mut path = route
                .path
                .replace("{id}", id)
                .replace("{party}", party)
                .replace("{number}", "1")
                .replace("{other}", "1");
            match route.id {
                accord_server::RouteId::InclusionProof => path.push_str(&format!("?index={}", size - 1)),
                accord_server::RouteId::ConsistencyProof => path.push_str("?from=1"),
                accord_server::RouteId::Pareto => path.push_str("?a=ua&b=ru"),
                _ => {}
            }
            paths.push(path);
        }
    }
    for index in 0..size {
        paths.push(format!("/api/negotiations/{id}/proofs/inclusion?index={index}"));
    }
    paths.push(format!("/api/negotiations/{id}/events?from=0&to={size}"));
    paths
}

/// Under blind mediation the mediator receives no party's profile, reservation
/// history or stance reason from any API route, web page, the live stream or
/// the export. (A private comment is written *to* the mediator, so it still
/// reaches it: the test checks that too, so it can fail.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blind_mediator_receives_no_partys_private_inputs() {
    let s = seated_blind().await;
    let id = s.id.clone();
    let mut private_inputs = Vec::new();
    let mut comments_to_the_mediator = Vec::new();
    for (k, (role, party)) in OWNERS.iter().enumerate().filter(|(_, (role, _))| *role != "mediator") {
        let mut canaries = seed(&s, role, party, k + 1).await;
        comments_to_the_mediator.push(canaries.remove(0));
        // The owner still sees its own inputs: the canaries are real.
        let profile = s.h.get(&format!("/api/negotiations/{id}/profiles/{party}"), &s.auth[role]).await;
        assert!(!leaks(&profile, &canaries).is_empty(), "{role} cannot see its own profile");
        private_inputs.extend(canaries);
    }
    let size = s.h.size(&id, &s.auth["mediator"]).await;
    let r =
        s.h.call(
            Method::POST,
            &format!("/api/negotiations/{id}/versions"),
            &s.auth["mediator"],
            Some(size),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let mut paths = api_paths(&s).await;
    for page in [
        "",
        "/text",
        "/profile",
        "/analysis",
        "/analysis?a=ua&b=ru",
        "/members",
        "/versions",
        "/versions/1",
        "/sign",
        "/evidence",
    ] {
        paths.push(format!("/n/{id}{page}"));
    }
    for package in ["nash", "kalai_smorodinsky", "egalitarian", "repair", "improvement"] {
        paths.push(format!("/n/{id}/analysis/preview?package={package}"));
    }
    paths.push("/".into());

    let mediator = &s.auth["mediator"];
    let mut found = Vec::new();
    let mut answered = 0;
    for path in &paths {
        let reply = s.h.get(path, mediator).await;
        answered += usize::from(reply.status.is_success());
        for leak in leaks(&reply, &private_inputs) {
            found.push(format!("GET {path} ({}): {leak}", reply.status));
        }
    }
    assert!(answered > 40, "only {answered} of {} paths answered", paths.len());
    assert!(found.is_empty(), "{} leaks to the blind mediator:\n{}", found.len(), found.join("\n"));

    // What the blind mediator does get: the analysis, the comments written to it, the counts.
    let analysis = s.h.get(&format!("/api/negotiations/{id}/analysis"), mediator).await;
    assert_eq!(analysis.status, StatusCode::OK, "{}", analysis.text);
    let comments = s.h.get(&format!("/api/negotiations/{id}/comments"), mediator).await;
    assert!(comments_to_the_mediator.iter().all(|c| comments.text.contains(c.as_str())));
    let export = s.h.get(&format!("/api/negotiations/{id}/export"), mediator).await;
    assert_eq!(export.status, StatusCode::FORBIDDEN, "{}", export.text);
}

/// Every party-facing API route and web page of a negotiation.
async fn paths_and_pages(s: &Seated) -> Vec<String> {
    let id = &s.id;
    let mut paths = api_paths(s).await;
    for page in ["", "/text", "/profile", "/analysis", "/members", "/versions", "/sign", "/evidence"] {
        paths.push(format!("/n/{id}{page}"));
    }
    let versions = s.h.get(&format!("/api/negotiations/{id}/versions"), &s.auth["mediator"]).await.json();
    for v in versions.as_array().unwrap() {
        let number = &v["number"];
        paths.push(format!("/api/negotiations/{id}/versions/{number}"));
        paths.push(format!("/n/{id}/versions/{number}"));
    }
    paths
}

/// Revisions, not keystrokes: a canary written into the working draft and
/// not yet published reaches no party by any route (the text, the
/// negotiation, the draft, the events, the export, the stream, the analysis,
/// the versions, the pages) unless the mediator lets parties watch the
/// working draft; the mediator sees it; once published, every party does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpublished_edit_reaches_no_party_until_it_is_released() {
    let s = seated().await;
    let id = s.id.clone();
    let base = format!("/api/negotiations/{id}");
    let mediator = &s.auth["mediator"];
    let write = async |method: Method, path: String, auth: &common::Auth, body: Value| {
        let size = s.h.size(&id, mediator).await;
        s.h.call(method, &path, auth, Some(size), Some(body)).await
    };
    let canary = format!("CANARY-{}-working-draft", random_tag());
    // An edit of a provision every party reads, and a provision only the working draft has.
    let draft = s.h.get(&format!("{base}/draft"), mediator).await.json();
    let art1 = draft["provisions"].as_array().unwrap().iter().find(|p| p["id"] == "art-1").unwrap().clone();
    let edited = json!({"number": art1["number"], "heading": art1["heading"], "body": format!("{} {canary}", art1["body"].as_str().unwrap())});
    let r = write(Method::PUT, format!("{base}/provisions/art-1"), mediator, edited).await;
    assert!(r.status.is_success(), "{}", r.text);
    let added = json!({"number": "99", "heading": "Canary", "body": format!("New text {canary}-new.")});
    let r = write(Method::PUT, format!("{base}/provisions/art-canary"), mediator, added).await;
    assert!(r.status.is_success(), "{}", r.text);
    let r =
        write(Method::PUT, format!("{base}/provisions/art-1/ad-referendum"), mediator, json!({"agreed": true})).await;
    assert!(r.status.is_success(), "{}", r.text);

    // The mediator sees its working draft and what is not yet published.
    let draft = s.h.get(&format!("{base}/draft"), mediator).await;
    assert!(draft.text.contains(&canary), "{}", draft.text);
    assert_eq!(draft.json()["kind"], "working");
    assert_eq!(draft.json()["unreleased"]["edits"], 3);
    let page = s.h.get(&format!("/n/{id}/text"), mediator).await;
    assert!(page.text.contains(&canary) && page.text.contains("3 edits not yet published"), "{}", page.text);

    let parties = ["ua", "ru", "eu", "observer"];
    let leaks_to = async |who: &[&str]| {
        let paths = paths_and_pages(&s).await;
        let mut found = Vec::new();
        for viewer in who {
            for path in &paths {
                let reply = s.h.get(path, &s.auth[*viewer]).await;
                if reply.text.contains(&canary) {
                    found.push(format!("{viewer} GET {path} ({})", reply.status));
                }
            }
        }
        found
    };
    let found = leaks_to(&parties).await;
    assert!(found.is_empty(), "the working draft leaked:\n{}", found.join("\n"));

    // A party stances and comments on the text it reads only.
    let r = write(Method::PUT, format!("{base}/stances/art-canary"), &s.auth["ua"], json!({"position": "acceptable"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert!(r.text.contains("provision \\\"art-canary\\\" is not in the text you read"), "{}", r.text);
    let comment = json!({"provision": "art-canary", "quote": "", "text": "x", "private": false});
    let r = write(Method::POST, format!("{base}/comments"), &s.auth["ua"], comment).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // With the setting on, signatories and consulted parties watch the working draft; observers still do not.
    let on = json!({"parties_see_working_draft": true});
    let r = write(Method::PUT, format!("{base}/settings/working-draft"), &s.auth["ua"], on.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only the mediator changes the setting: {}", r.text);
    let r = write(Method::PUT, format!("{base}/settings/working-draft"), mediator, on).await;
    assert!(r.status.is_success(), "{}", r.text);
    for party in ["ua", "eu"] {
        let draft = s.h.get(&format!("{base}/draft"), &s.auth[party]).await;
        assert!(draft.text.contains(&canary), "{party}: {}", draft.text);
        assert_eq!(draft.json()["kind"], "working_not_released");
        let events = s.h.get(&format!("{base}/events"), &s.auth[party]).await;
        assert!(events.text.contains(&canary), "{party} reads the edit events: {}", events.text);
        let page = s.h.get(&format!("/n/{id}/text"), &s.auth[party]).await;
        assert!(page.text.contains("Working draft, not released"), "{}", page.text);
    }
    let found = leaks_to(&["observer"]).await;
    assert!(found.is_empty(), "the working draft leaked to the observer:\n{}", found.join("\n"));
    let off = json!({"parties_see_working_draft": false});
    let r = write(Method::PUT, format!("{base}/settings/working-draft"), mediator, off).await;
    assert!(r.status.is_success(), "{}", r.text);
    let found = leaks_to(&parties).await;
    assert!(found.is_empty(), "the setting is off again:\n{}", found.join("\n"));

    // Publishing releases the text to every party at once, with its status and the provisional marks.
    let r = write(Method::POST, format!("{base}/versions"), mediator, json!({"status": "mediators_non_paper"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    for party in parties {
        let versions = s.h.get(&format!("{base}/versions"), &s.auth[party]).await.json();
        let latest = versions.as_array().unwrap().last().unwrap().clone();
        assert_eq!(latest["status"], "mediators_non_paper");
        let number = &latest["number"];
        let version = s.h.get(&format!("{base}/versions/{number}"), &s.auth[party]).await;
        assert!(version.text.contains(&canary), "{party}: {}", version.text);
        let page = s.h.get(&format!("/n/{id}/versions/{number}"), &s.auth[party]).await;
        assert!(page.text.contains("Mediator&#39;s non-paper") || page.text.contains("Mediator's non-paper"));
        assert!(page.text.contains("agreed ad referendum (provisional)"), "{}", page.text);
        assert!(page.text.contains("Nothing is agreed until everything is agreed"));
    }
    let draft = s.h.get(&format!("{base}/draft"), &s.auth["ua"]).await;
    assert!(draft.text.contains(&canary), "{}", draft.text);
    assert_eq!(draft.json()["ad_referendum"], json!(["art-1"]));
    let r = write(Method::PUT, format!("{base}/stances/art-canary"), &s.auth["ua"], json!({"position": "acceptable"}))
        .await;
    assert!(r.status.is_success(), "a released provision takes stances: {}", r.text);
    // The edit events stay keystrokes: redacted for parties even after the release.
    let events = s.h.get(&format!("{base}/events"), &s.auth["ua"]).await.json();
    let edits: Vec<&Value> =
        events["entries"].as_array().unwrap().iter().filter(|e| e["type"] == "provision_set").collect();
    assert!(!edits.is_empty() && edits.iter().all(|e| e["redacted"] == true), "{edits:?}");
}
