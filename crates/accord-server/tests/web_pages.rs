//! The web pages, rendered in-process for every demo role: each page answers
//! as the policy says (the same status the API route behind it gives), no page
//! shows another party's stance reasons or profile values (canaries, as in
//! canary.rs), and the forms work without JavaScript: CSRF field, redirect
//! after POST, errors naming the field.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{Auth, Reply, Seated, form, page, seated, sign_in};
use serde_json::{Value, json};

fn random_tag() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    hex::encode(bytes)
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

/// Plants canaries for `role` (acting as `party`): a private comment, and for
/// the parties a stance reason, a profile of distinctive numbers and a
/// reservation note. Returns them.
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
    let r = s.h.get(&format!("{base}/draft"), auth).await;
    let issues = r.json()["issues"].as_array().unwrap().clone();
    let mut weights = Vec::new();
    let mut ratings = Vec::new();
    for (i, issue) in issues.iter().enumerate() {
        let id = issue["id"].as_str().unwrap();
        weights.push(json!([id, 1.0 + (k * 100 + i) as f64 * 0.000_123_457]));
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
    canaries.extend(numbers(&profile));
    write(Method::PUT, format!("{base}/profiles/{party}"), profile).await;
    let moved = 0.234_567_891 + k as f64 * 0.011_111_111;
    let note = format!("CANARY-{tag}-reservation-note-{party}");
    write(Method::POST, format!("{base}/profiles/{party}/reservations"), json!({"reservation": moved, "note": note}))
        .await;
    canaries.push(note);
    canaries.push(serde_json::to_string(&moved).unwrap());
    canaries
}

/// Canary owners: (role in the harness, party).
const OWNERS: [(&str, &str); 4] = [("ua", "ua"), ("ru", "ru"), ("eu", "eu"), ("mediator", "us")];

/// The demo roles the issue names.
const VIEWERS: [&str; 5] = ["mediator", "ua", "ru", "eu", "observer"];

/// Every page, with the API route whose answer decides whether the viewer may see it (None: any seated viewer).
/// Every page, with the API route whose status it must share; `preview` is a
/// package kind the analysis has a package for.
fn pages(id: &str, preview: Option<&str>) -> Vec<(String, Option<String>)> {
    let api = |p: &str| Some(format!("/api/negotiations/{id}{p}"));
    [
        ("/".to_string(), None),
        (format!("/n/{id}"), api("")),
        (format!("/n/{id}/text"), api("")),
        (format!("/n/{id}/versions"), api("/versions")),
        (format!("/n/{id}/versions/1"), api("/versions/1")),
        (format!("/n/{id}/versions/1/diff/2"), api("/versions/1/diff/2")),
        (format!("/n/{id}/members"), api("")),
        (format!("/n/{id}/profile"), api("")),
        (format!("/n/{id}/analysis"), api("/analysis")),
        (format!("/n/{id}/analysis?a=ru&b=ua"), api("/analysis/pareto?a=ru&b=ua")),
        (format!("/n/{id}/sign"), api("")),
        (format!("/n/{id}/sign/2"), api("/versions/2")),
        (format!("/n/{id}/evidence"), api("")),
    ]
    .into_iter()
    .chain(preview.map(|kind| (format!("/n/{id}/analysis/preview?package={kind}"), api("/analysis"))))
    .collect()
}

async fn publish(s: &Seated) {
    let size = s.h.size(&s.id, &s.auth["mediator"]).await;
    let path = format!("/api/negotiations/{}/versions", s.id);
    let r = s.h.call(Method::POST, &path, &s.auth["mediator"], Some(size), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

fn found<'a>(reply: &Reply, canaries: &'a [String]) -> Vec<&'a str> {
    canaries.iter().filter(|c| reply.text.contains(c.as_str())).map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_answers_as_the_policy_says_and_leaks_no_canary() {
    let s = seated().await;
    let id = s.id.clone();
    let mut secrets: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (k, (role, party)) in OWNERS.iter().enumerate() {
        secrets.insert(role, seed(&s, role, party, k + 1).await);
    }
    publish(&s).await;
    publish(&s).await;

    // The scan must be able to fail: owners and the mediator do find the canaries on the pages.
    let ua_text = s.h.get(&format!("/n/{id}/text"), &s.auth["ua"]).await;
    assert_eq!(ua_text.status, StatusCode::OK, "{}", ua_text.text);
    assert!(ua_text.text.contains(&secrets["ua"][1]), "ua does not see its own reason on the text page");
    let ua_profile = s.h.get(&format!("/n/{id}/profile"), &s.auth["ua"]).await;
    assert!(found(&ua_profile, &secrets["ua"]).len() >= 3, "ua's profile page shows none of its numbers");
    let analysis = s.h.get(&format!("/n/{id}/analysis"), &s.auth["mediator"]).await;
    assert_eq!(analysis.status, StatusCode::OK, "{}", analysis.text);
    for role in ["ua", "ru", "eu"] {
        assert!(analysis.text.contains(&secrets[role][1]), "the mediator's stance matrix lacks {role}'s reason");
    }

    // A suggestion the engine found a package for, if any (with the canary
    // profiles there may be none: its preview is then a 422, and
    // `a_package_preview_shows_the_diff` checks previews on the example).
    let mut preview = None;
    for kind in ["nash", "kalai_smorodinsky", "egalitarian", "repair", "improvement"] {
        let reply = s.h.get(&format!("/n/{id}/analysis/preview?package={kind}"), &s.auth["mediator"]).await;
        if reply.status == StatusCode::OK {
            preview = Some(kind.to_string());
            break;
        }
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "preview of {kind}: {}", reply.text);
    }

    let mut checked = 0;
    let mut leaks = Vec::new();
    for viewer in VIEWERS {
        let forbidden: Vec<String> = OWNERS
            .iter()
            .filter(|(owner, _)| *owner != viewer && viewer != "mediator")
            .flat_map(|(owner, _)| secrets[owner].clone())
            .collect();
        for (page, gate) in pages(&id, preview.as_deref()) {
            let reply = s.h.get(&page, &s.auth[viewer]).await;
            let expected = match &gate {
                Some(api) => s.h.get(api, &s.auth[viewer]).await.status,
                None => StatusCode::OK,
            };
            assert_eq!(reply.status, expected, "{viewer} GET {page}: {}", reply.text);
            if reply.status == StatusCode::OK {
                assert!(
                    reply.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"),
                    "{viewer} GET {page}"
                );
                assert!(reply.text.contains("<main id=\"main\""), "{viewer} GET {page} has no <main>");
                assert_eq!(reply.text.matches("<h1").count(), 1, "{viewer} GET {page}: one h1");
            }
            for canary in found(&reply, &forbidden) {
                leaks.push(format!("{viewer} GET {page} shows {canary}"));
            }
            checked += 1;
        }
    }
    assert!(leaks.is_empty(), "leaks:\n{}", leaks.join("\n"));
    assert_eq!(checked, VIEWERS.len() * pages(&id, preview.as_deref()).len());

    // Strangers learn nothing; the signed-out are sent to sign in.
    for (page, _) in pages(&id, preview.as_deref()).into_iter().skip(1) {
        let reply = s.h.get(&page, &s.auth["stranger"]).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "stranger GET {page}");
        assert!(found(&reply, &secrets.values().flatten().cloned().collect::<Vec<_>>()).is_empty());
        let reply = s.h.get(&page, &Auth::None).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "anonymous GET {page}");
        assert!(reply.headers[header::LOCATION].to_str().unwrap().starts_with("/signin?next="), "{page}");
    }
}

/// A browser without JavaScript: form posts with the session cookie.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_work_without_javascript() {
    let s = seated().await;
    let id = s.id.clone();

    let wrong = form(&s, "/signin", None, &[("email", &s.email["ua"]), ("password", "nope nope"), ("next", "/")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("id=\"form-errors\""), "{}", wrong.text);

    let ua = sign_in(&s, "ua").await;
    let text = page(&s, &format!("/n/{id}/text"), &ua.cookie).await;
    assert_eq!(text.status, StatusCode::OK);
    assert!(text.text.contains(&format!("action=\"/n/{id}/stances/art-2\"")));
    let base = s.h.size(&id, &s.auth["mediator"]).await.to_string();
    let stance = format!("/n/{id}/stances/art-2");

    // Without the CSRF field the write is refused.
    let r = form(&s, &stance, Some(&ua.cookie), &[("base", &base), ("position", "acceptable")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // An error names its field, and the page keeps what was typed.
    let r = form(
        &s,
        &stance,
        Some(&ua.cookie),
        &[("csrf", &ua.csrf), ("base", &base), ("position", "acceptable_if"), ("conditions", ""), ("reason", "kept")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("data-field=\"conditions\""), "{}", r.text);
    assert!(r.text.contains(">kept</textarea>"));

    // A stale base is a conflict, not a lost update.
    let r = form(&s, &stance, Some(&ua.cookie), &[("csrf", &ua.csrf), ("base", "1"), ("position", "acceptable")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

    let r = form(
        &s,
        &stance,
        Some(&ua.cookie),
        &[
            ("csrf", &ua.csrf),
            ("base", &base),
            ("position", "acceptable_if"),
            ("conditions", "guarantees: article-5-like"),
            ("reason", "only with guarantees"),
        ],
    )
    .await;
    if r.status == StatusCode::UNPROCESSABLE_ENTITY {
        panic!("the example's issue ids changed? {}", r.text);
    }
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers[header::LOCATION], format!("/n/{id}/text#p-art-2").as_str());
    let stances = s.h.get(&format!("/api/negotiations/{id}/stances"), &s.auth["ua"]).await.json();
    let mine = stances["stances"].as_array().unwrap().iter().find(|x| x["party"] == "ua" && x["provision"] == "art-2");
    assert_eq!(mine.unwrap()["position"], "acceptable_if");

    // A comment anchored to a quote that is not in the text names the quote field.
    let base = s.h.size(&id, &s.auth["mediator"]).await.to_string();
    let fields = [
        ("csrf", ua.csrf.as_str()),
        ("base", &base),
        ("provision", "art-3"),
        ("quote", "no such words"),
        ("text", "hi"),
    ];
    let r = form(&s, &format!("/n/{id}/comments"), Some(&ua.cookie), &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("data-field=\"quote\""));
    let fields = [("csrf", ua.csrf.as_str()), ("base", &base), ("provision", "art-3"), ("quote", ""), ("text", "hi")];
    let r = form(&s, &format!("/n/{id}/comments"), Some(&ua.cookie), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);

    // Sign out ends the session.
    let r = form(&s, "/signout", Some(&ua.cookie), &[("csrf", &ua.csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = page(&s, "/", &ua.cookie).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mediator_creates_invites_and_the_invitee_joins_by_forms() {
    let s = seated().await;
    let med = sign_in(&s, "mediator").await;
    let r =
        form(&s, "/n/new", Some(&med.cookie), &[("csrf", &med.csrf), ("source", "example"), ("timetable_from", "now")])
            .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let id = location.trim_start_matches("/n/").trim_end_matches("/members").to_string();
    let members = page(&s, &location, &med.cookie).await;
    assert_eq!(members.status, StatusCode::OK);
    let base = members.text.split("name=\"base\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = form(
        &s,
        &format!("/n/{id}/invitations"),
        Some(&med.cookie),
        &[("csrf", &med.csrf), ("base", &base), ("party", "ua")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let link =
        r.text.split("id=\"invitation-link\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    let token = link.split("token=").nth(1).unwrap().to_string();

    // A pasted scenario with an error is answered on the page, naming the field.
    let r = form(
        &s,
        "/n/new",
        Some(&med.cookie),
        &[("csrf", &med.csrf), ("source", "pasted"), ("scenario_toml", "title = ")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("data-field=\"scenario_toml\""));

    // The invitee (the stranger of the harness) opens the link, signs in, and takes the seat.
    let join = s.h.get(&link, &Auth::None).await;
    assert_eq!(join.status, StatusCode::OK);
    assert!(join.text.contains("/signin?next="));
    let stranger = sign_in(&s, "stranger").await;
    let r =
        form(&s, "/join", Some(&stranger.cookie), &[("csrf", &stranger.csrf), ("negotiation", &id), ("token", "0000")])
            .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert!(r.text.contains("data-field=\"token\""));
    let r =
        form(&s, "/join", Some(&stranger.cookie), &[("csrf", &stranger.csrf), ("negotiation", &id), ("token", &token)])
            .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let home = page(&s, &format!("/n/{id}"), &stranger.cookie).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text.contains("data-party=\"ua\""));
    let dashboard = page(&s, "/", &stranger.cookie).await;
    assert!(dashboard.text.contains(&format!("/n/{id}")));
    assert!(dashboard.text.contains("data-deadline="), "the dashboard shows the next deadline");
}

#[tokio::test]
async fn static_files_are_served_with_their_types() {
    let h = common::harness().await;
    let css = h.get("/static/css/site.css", &Auth::None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(css.text.contains(":focus-visible"));
    let missing = h.get("/static/css/none.css", &Auth::None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let signin = h.get("/signin", &Auth::None).await;
    assert_eq!(signin.status, StatusCode::OK);
    insta::assert_snapshot!("signin_page", signin.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_preview_shows_the_diff_to_the_mediator_only() {
    let s = seated().await;
    let id = s.id.clone();
    let page = format!("/n/{id}/analysis/preview?package=nash");
    let reply = s.h.get(&page, &s.auth["mediator"]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.text.contains("<main id=\"main\""), "{}", reply.text);
    for viewer in ["ua", "eu", "observer"] {
        let api = s.h.get(&format!("/api/negotiations/{id}/analysis"), &s.auth[viewer]).await;
        assert_eq!(s.h.get(&page, &s.auth[viewer]).await.status, api.status, "{viewer}");
    }
}

/// The analysis page draws the pair's frontier the API serves, with the pair the form asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pareto_chart_draws_the_routes_frontier() {
    let s = seated().await;
    let id = s.id.clone();
    for (a, b) in [("ua", "ru"), ("ru", "ua")] {
        let api = s.h.get(&format!("/api/negotiations/{id}/analysis/pareto?a={a}&b={b}"), &s.auth["mediator"]).await;
        assert_eq!(api.status, StatusCode::OK, "{}", api.text);
        let points = api.json()["frontier"].as_array().unwrap().len();
        let page = s.h.get(&format!("/n/{id}/analysis?a={a}&b={b}"), &s.auth["mediator"]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains(&format!("id=\"pareto-{a}-{b}\"")), "no chart for {a}, {b}");
        assert!(page.text.contains(&format!("The frontier has {points} points")), "{a}, {b}: not {points} points");
        // Suggestions are labelled by name, not by their API slug.
        for kind in api.json()["suggestions"].as_array().unwrap() {
            let slug = kind["kind"].as_str().unwrap();
            assert!(!page.text.contains(&format!("data-label=\"{slug}\"")), "{slug} labelled by its slug");
        }
        if api.text.contains("\"kind\":\"nash\"") {
            assert!(page.text.contains("data-label=\"Nash\""), "no Nash label");
        }
    }

    // The stance matrix has a column per seat that holds stances: signatories and the consulted ally, not the
    // mediator or the observer.
    let page = s.h.get(&format!("/n/{id}/analysis"), &s.auth["mediator"]).await;
    let matrix = page.text.split("id=\"stance-matrix\"").nth(1).unwrap().split("</thead>").next().unwrap();
    let columns: Vec<&str> = matrix.split("<th scope=\"col\">").skip(2).map(|c| c.split('<').next().unwrap()).collect();
    assert_eq!(columns, ["Ukraine", "Russian Federation", "European allies"], "{matrix}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mediator_reviews_and_publishes_the_working_draft_by_forms() {
    let s = seated().await;
    let id = s.id.clone();
    let released = released_versions(&s).await;
    let next = format!("/n/{id}/versions/next");

    // Only the mediator sees the action and the review page.
    for viewer in VIEWERS {
        let list = s.h.get(&format!("/n/{id}/versions"), &s.auth[viewer]).await;
        assert_eq!(list.status, StatusCode::OK, "{viewer}: {}", list.text);
        assert_eq!(list.text.contains("id=\"publish-next\""), viewer == "mediator", "{viewer}'s versions page");
        let review = s.h.get(&next, &s.auth[viewer]).await;
        let expected = if viewer == "mediator" { StatusCode::OK } else { StatusCode::FORBIDDEN };
        assert_eq!(review.status, expected, "{viewer} GET {next}: {}", review.text);
    }
    assert_eq!(s.h.get(&next, &s.auth["stranger"]).await.status, StatusCode::NOT_FOUND);

    // The review shows the draft against the last release, and the number it will get.
    let mediator = sign_in(&s, "mediator").await;
    let review = page(&s, &next, &mediator.cookie).await;
    let number = released + 1;
    assert!(review.text.contains(&format!("Publish version {number} to every party")), "{}", review.text);
    assert!(review.text.contains("data-change=\""), "the review shows no change: {}", review.text);
    let base = review.text.split("name=\"base\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();

    // A draft that moved since the review is not published unseen.
    let stale = (base.parse::<u64>().unwrap() - 1).to_string();
    let path = format!("/n/{id}/versions");
    let r = form(&s, &path, Some(&mediator.cookie), &[("csrf", &mediator.csrf), ("base", &stale)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(released_versions(&s).await, released);

    // A party's session cannot publish through the form either.
    let ua = sign_in(&s, "ua").await;
    let r = form(&s, &path, Some(&ua.cookie), &[("csrf", &ua.csrf), ("base", &base)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(released_versions(&s).await, released);

    let r = form(&s, &path, Some(&mediator.cookie), &[("csrf", &mediator.csrf), ("base", &base)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers[header::LOCATION], path.as_str());
    assert_eq!(released_versions(&s).await, released + 1);

    // Published as is: the review now says nothing changed since that version.
    let again = page(&s, &next, &mediator.cookie).await;
    assert!(again.text.contains("id=\"no-changes\""), "{}", again.text);
}

async fn released_versions(s: &Seated) -> usize {
    let path = format!("/api/negotiations/{}/versions", s.id);
    s.h.get(&path, &s.auth["mediator"]).await.json().as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_is_asked_to_confirm_what_the_mediator_entered_for_it_and_does_so_by_forms() {
    let s = seated().await;
    let id = s.id.clone();
    let notice = "Entered for you by the mediator — confirm or change";
    let mediator = sign_in(&s, "mediator").await;
    let analysis = page(&s, &format!("/n/{id}/analysis"), &mediator.cookie).await;
    assert_eq!(analysis.status, StatusCode::OK);
    assert!(analysis.text.contains("id=\"unconfirmed-warning\""), "{}", analysis.text);
    assert!(
        analysis.text.contains("<li><strong>Ukraine</strong>: its profile; its stances on art-3"),
        "{}",
        analysis.text
    );

    let ua = sign_in(&s, "ua").await;
    let profile = page(&s, &format!("/n/{id}/profile"), &ua.cookie).await;
    assert!(profile.text.contains(notice), "{}", profile.text);
    assert!(profile.text.contains(&format!("action=\"/n/{id}/confirm\"")));
    let text = page(&s, &format!("/n/{id}/text"), &ua.cookie).await;
    assert!(text.text.contains(notice) && text.text.contains("name=\"stance\" value=\"art-13\""), "{}", text.text);
    // A seat the mediator entered nothing for is asked nothing.
    let observer = sign_in(&s, "observer").await;
    let observer_text = page(&s, &format!("/n/{id}/text"), &observer.cookie).await;
    assert_eq!(observer_text.status, StatusCode::OK);
    assert!(!observer_text.text.contains("entered-for-you"), "{}", observer_text.text);

    // Without the CSRF field, nothing is confirmed.
    let base = s.h.size(&id, &s.auth["mediator"]).await.to_string();
    let fields = [("base", base.as_str()), ("back", "profile"), ("profile", "on")];
    let r = form(&s, &format!("/n/{id}/confirm"), Some(&ua.cookie), &fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    let fields = [("csrf", ua.csrf.as_str()), ("base", &base), ("back", "profile"), ("profile", "on")];
    let r = form(&s, &format!("/n/{id}/confirm"), Some(&ua.cookie), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers[header::LOCATION], format!("/n/{id}/profile").as_str());
    let profile = page(&s, &format!("/n/{id}/profile"), &ua.cookie).await;
    assert!(!profile.text.contains(notice), "{}", profile.text);

    let base = s.h.size(&id, &s.auth["mediator"]).await.to_string();
    let mut fields = vec![("csrf", ua.csrf.as_str()), ("base", &base), ("back", "text")];
    for provision in ["art-3", "art-5", "art-8", "art-12", "art-13"] {
        fields.push(("stance", provision));
    }
    let r = form(&s, &format!("/n/{id}/confirm"), Some(&ua.cookie), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers[header::LOCATION], format!("/n/{id}/text").as_str());
    let text = page(&s, &format!("/n/{id}/text"), &ua.cookie).await;
    assert!(!text.text.contains(notice), "{}", text.text);
    let analysis = page(&s, &format!("/n/{id}/analysis"), &mediator.cookie).await;
    assert!(!analysis.text.contains("<strong>Ukraine</strong>"), "{}", analysis.text);
}

/// The members page shows each seat's holder and every invitation with its
/// status; the mediator revokes a pending one with a plain form (no
/// JavaScript), after which its link no longer seats anyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mediator_revokes_an_invitation_from_the_members_page() {
    let s = seated().await;
    let med = sign_in(&s, "mediator").await;
    let r =
        form(&s, "/n/new", Some(&med.cookie), &[("csrf", &med.csrf), ("source", "example"), ("timetable_from", "now")])
            .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let id = location.trim_start_matches("/n/").trim_end_matches("/members").to_string();
    let members = page(&s, &location, &med.cookie).await;
    assert!(members.text.contains("held by "), "the mediator's own seat names its holder");
    let base = members.text.split("name=\"base\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = form(
        &s,
        &format!("/n/{id}/invitations"),
        Some(&med.cookie),
        &[("csrf", &med.csrf), ("base", &base), ("party", "ua")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let token =
        r.text.split("id=\"invitation-code\" class=\"hash\">").nth(1).unwrap().split('<').next().unwrap().to_string();

    let members = page(&s, &location, &med.cookie).await;
    let revoke = members.text.split("action=\"").find(|a| a.contains("/revoke\"")).expect("a Revoke form");
    let action = revoke.split('"').next().unwrap().to_string();
    assert!(members.text.contains("<td>pending</td>"), "{}", members.text);
    let base = members.text.split("name=\"base\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = form(&s, &action, Some(&med.cookie), &[("csrf", &med.csrf), ("base", &base)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let members = page(&s, &location, &med.cookie).await;
    assert!(members.text.contains("<td>revoked</td>"), "{}", members.text);
    assert!(!members.text.contains("/revoke\""), "nothing left to revoke");

    let stranger = sign_in(&s, "stranger").await;
    let r =
        form(&s, "/join", Some(&stranger.cookie), &[("csrf", &stranger.csrf), ("negotiation", &id), ("token", &token)])
            .await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text);
}

/// Publishes version 1, registers ua's key, and moves the timetable into the signing phase.
async fn ready_to_sign(s: &Seated) -> accord_evidence::SigningKey {
    publish(s).await;
    let key = accord_evidence::SigningKey::from_bytes(&[31; 32]);
    let size = s.h.size(&s.id, &s.auth["ua"]).await;
    let body = json!({
        "public_key": hex::encode(key.verifying_key().to_bytes()),
        "signature": accord_evidence::sign_key_registration(&key, &s.id, "ua").unwrap(),
    });
    let r =
        s.h.call(Method::PUT, &format!("/api/negotiations/{}/keys/ua", s.id), &s.auth["ua"], Some(size), Some(body))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for _ in 0..10 {
        let phase = s.h.get(&format!("/api/negotiations/{}/phase", s.id), &s.auth["mediator"]).await.json();
        if phase["current"]["kind"] == "signing" {
            return key;
        }
        let size = s.h.size(&s.id, &s.auth["mediator"]).await;
        let path = format!("/api/negotiations/{}/phase/advance", s.id);
        let r =
            s.h.call(Method::POST, &path, &s.auth["mediator"], Some(size), Some(json!({"reason": "to sign"}))).await;
        assert!(r.status.is_success(), "{}", r.text);
    }
    panic!("the timetable never reached a signing phase");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_click_does_not_sign_the_final_text() {
    let s = seated().await;
    let key = ready_to_sign(&s).await;
    let ua = sign_in(&s, "ua").await;
    let id = s.id.clone();
    let content_hash =
        s.h.get(&format!("/api/negotiations/{id}/versions/1"), &s.auth["ua"]).await.json()["content_hash"]
            .as_str()
            .unwrap()
            .to_string();
    let statement = accord_evidence::statement::Statement::FinalSignature {
        negotiation: id.clone(),
        party: "ua".into(),
        version: 1,
        content_hash: hex::decode(&content_hash).unwrap().try_into().unwrap(),
    };
    let signature = accord_evidence::statement::sign_statement_hex(&key, &statement).unwrap();

    // The sign page holds no signing action, only the way to the confirmation.
    let sign = page(&s, &format!("/n/{id}/sign"), &ua.cookie).await;
    assert_eq!(sign.status, StatusCode::OK, "{}", sign.text);
    assert!(sign.text.contains(&format!("href=\"/n/{id}/sign/1\"")), "{}", sign.text);
    assert!(!sign.text.contains("data-action=\"sign\""), "the sign page must not sign in one click");
    assert!(!sign.text.contains("method=\"post\" action=\"/n/"), "no form on the sign page writes");

    // The confirmation page names the version, its hash, the signatory and what signing means.
    let confirm = page(&s, &format!("/n/{id}/sign/1"), &ua.cookie).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.text);
    for expected in ["Sign version 1?", content_hash.as_str(), "(ua)", "What signing means", "cannot be withdrawn"] {
        assert!(confirm.text.contains(expected), "{expected}: {}", confirm.text);
    }
    assert!(confirm.text.contains(&format!("accord/sign/v1\nnegotiation={id}\nparty=ua\nversion=1\n")));

    // One click (a POST without the confirmation), even carrying a valid signature, signs nothing.
    let size = s.h.size(&id, &s.auth["ua"]).await;
    let base = size.to_string();
    let path = format!("/n/{id}/sign/1");
    let unconfirmed =
        form(&s, &path, Some(&ua.cookie), &[("csrf", &ua.csrf), ("base", &base), ("signature", &signature)]).await;
    assert_eq!(unconfirmed.status, StatusCode::OK, "{}", unconfirmed.text);
    assert!(unconfirmed.text.contains("Nothing was signed"), "{}", unconfirmed.text);
    assert_eq!(s.h.size(&id, &s.auth["ua"]).await, size, "an unconfirmed post must write nothing");
    let other = form(
        &s,
        &path,
        Some(&ua.cookie),
        &[("csrf", &ua.csrf), ("base", &base), ("confirm", "on"), ("signature", &signature)],
    )
    .await;
    assert!(other.text.contains("Nothing was signed"), "only confirm=yes confirms");
    assert_eq!(s.h.size(&id, &s.auth["ua"]).await, size);

    // Confirmed with a wrong signature: refused, naming the field.
    let wrong = "00".repeat(64);
    let refused = form(
        &s,
        &path,
        Some(&ua.cookie),
        &[("csrf", &ua.csrf), ("base", &base), ("confirm", "yes"), ("signature", &wrong)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.text.contains("id=\"e-signature\""), "{}", refused.text);
    assert_eq!(s.h.size(&id, &s.auth["ua"]).await, size);

    // The second step, confirmed and signed: recorded.
    let signed = form(
        &s,
        &path,
        Some(&ua.cookie),
        &[("csrf", &ua.csrf), ("base", &base), ("confirm", "yes"), ("signature", &signature)],
    )
    .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text);
    assert_eq!(signed.headers[header::LOCATION], format!("/n/{id}/sign"));
    assert!(s.h.size(&id, &s.auth["ua"]).await > size);
    let after = page(&s, &format!("/n/{id}/sign"), &ua.cookie).await;
    assert!(after.text.contains("You signed version 1"), "{}", after.text);
}

/// A `multipart/form-data` POST, as a browser sends a form with a file.
async fn upload(s: &Seated, path: &str, cookie: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Reply {
    let boundary = "----accord-test-boundary-7d3f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap();
    s.h.raw(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mediator_creates_a_negotiation_from_an_uploaded_document() {
    let s = seated().await;
    let med = sign_in(&s, "mediator").await;
    let new = page(&s, "/n/new", &med.cookie).await;
    assert!(new.text.contains("enctype=\"multipart/form-data\""), "the upload is a plain form");

    let plan = include_bytes!("../../../examples/peace-plan-28.md");
    let parties = "mediator: Envoy\nsignatory: North\nsignatory: South\nconsulted: Allies";
    let r = upload(&s, "/n/new/document", &med.cookie, &[("csrf", &med.csrf), ("parties", parties)], ("plan.md", plan))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let id = location.trim_start_matches("/n/").trim_end_matches("/members").to_string();
    let text = page(&s, &format!("/n/{id}/text"), &med.cookie).await;
    assert_eq!(text.status, StatusCode::OK);
    let view = page(&s, &format!("/api/negotiations/{id}"), &med.cookie).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.text);
    let view: Value = serde_json::from_str(&view.text).unwrap();
    assert_eq!(view["draft"]["provisions"].as_array().unwrap().len(), 28, "every numbered point is a provision");
    let roles: Vec<&str> = view["parties"].as_array().unwrap().iter().map(|p| p["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["mediator", "signatory", "signatory", "consulted"]);

    // The DOCX fixture, written by python-docx, reads the same way.
    let docx = include_bytes!("../../accord-formats/tests/data/plan.docx");
    let r =
        upload(&s, "/n/new/document", &med.cookie, &[("csrf", &med.csrf), ("parties", "")], ("plan.docx", docx)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);

    // Without the CSRF token nothing is created.
    let r = upload(&s, "/n/new/document", &med.cookie, &[("parties", "")], ("plan.md", plan)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // Errors are answered on the page, naming the field.
    let r = upload(&s, "/n/new/document", &med.cookie, &[("csrf", &med.csrf)], ("plan.pdf", b"%PDF-1.4")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("data-field=\"document\""), "{}", r.text);
    let r =
        upload(&s, "/n/new/document", &med.cookie, &[("csrf", &med.csrf)], ("notes.md", b"no numbered points here"))
            .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("no numbered points found"), "{}", r.text);
    let r = upload(
        &s,
        "/n/new/document",
        &med.cookie,
        &[("csrf", &med.csrf), ("parties", "mediator: M\nking: K")],
        ("plan.md", plan),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("data-field=\"parties\"") && r.text.contains("line 2"), "{}", r.text);

    // A document over the limit is refused without being read whole.
    let huge = vec![b'x'; accord_formats::document::MAX_DOCUMENT_BYTES + 1];
    let r = upload(&s, "/n/new/document", &med.cookie, &[("csrf", &med.csrf)], ("big.txt", &huge)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert!(r.text.contains("data-field=\"document\""), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_is_told_when_the_text_it_answered_changed() {
    let s = seated().await;
    let id = s.id.clone();
    let api_base = format!("/api/negotiations/{id}");
    let m = &s.auth["mediator"];
    let edit = |body: &'static str| json!({"number": "X", "heading": "Test", "body": body});
    let size = s.h.size(&id, m).await;
    let r =
        s.h.call(Method::PUT, &format!("{api_base}/provisions/art-x"), m, Some(size), Some(edit("Meet monthly.")))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Parties read the released text: the new provision reaches them when published.
    publish(&s).await;

    let ua = sign_in(&s, "ua").await;
    let text = page(&s, &format!("/n/{id}/text"), &ua.cookie).await;
    let action = format!("action=\"/n/{id}/stances/art-x\"");
    let form_html = text.text.split(&action).nth(1).unwrap();
    let read = form_html.split("name=\"wording_hash\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert_eq!(read.len(), 64, "the form carries the wording it shows: {form_html}");
    let stance = format!("/n/{id}/stances/art-x");
    let answer = |base: String, hash: String| {
        vec![
            ("csrf".to_string(), ua.csrf.clone()),
            ("base".to_string(), base),
            ("position".to_string(), "unacceptable".to_string()),
            ("wording_hash".to_string(), hash),
        ]
    };
    let post = |fields: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        Request::builder()
            .method(Method::POST)
            .uri(stance.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, ua.cookie.as_str())
            .body(Body::from(body))
            .unwrap()
    };
    let r = s.h.raw(post(answer(s.h.size(&id, m).await.to_string(), read.clone()))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let notice = "The text you answered has changed: review it.";
    assert!(!page(&s, &format!("/n/{id}/text"), &ua.cookie).await.text.contains(notice));

    let size = s.h.size(&id, m).await;
    let r =
        s.h.call(Method::PUT, &format!("{api_base}/provisions/art-x"), m, Some(size), Some(edit("Meet weekly."))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    publish(&s).await;
    let text = page(&s, &format!("/n/{id}/text"), &ua.cookie).await;
    assert!(text.text.contains(notice), "{}", text.text);
    let dashboard = page(&s, "/", &ua.cookie).await;
    assert!(dashboard.text.contains("The text you answered has changed: review art-x"), "{}", dashboard.text);
    let mediator = sign_in(&s, "mediator").await;
    let analysis = page(&s, &format!("/n/{id}/analysis"), &mediator.cookie).await;
    assert!(analysis.text.contains("badge stale"), "the matrix marks the stale stance: {}", analysis.text);

    // The form's old wording is refused with the reason; the page shows the new one to answer.
    let r = s.h.raw(post(answer(s.h.size(&id, m).await.to_string(), read))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("changed since you read it: review it and answer again"), "{}", r.text);
}
