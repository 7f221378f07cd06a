//! The mediator's drafting workspace (`/n/{id}/draft`), through its forms
//! alone, as a browser without JavaScript sends them: every edit lands in
//! the draft the API serves; a refused edit names its field and keeps what
//! was typed; a form from before the draft moved is refused with a reload
//! link; no other seat sees the page or gets an edit through its forms.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{StatusCode, header};
use common::{Browser, Reply, Seated, form, page, seated, sign_in};
use serde_json::Value;

/// The draft as the mediator reads it from the API.
async fn draft(s: &Seated) -> Value {
    s.h.get(&format!("/api/negotiations/{}/draft", s.id), &s.auth["mediator"]).await.json()
}

fn provision_ids(draft: &Value) -> Vec<String> {
    draft["provisions"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()).collect()
}

fn provision<'a>(draft: &'a Value, id: &str) -> &'a Value {
    draft["provisions"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap_or(&Value::Null)
}

fn issue<'a>(draft: &'a Value, id: &str) -> Option<&'a Value> {
    draft["issues"].as_array().unwrap().iter().find(|i| i["id"] == id)
}

/// Posts one workspace form as `who`, with the draft's current base.
async fn edit(s: &Seated, who: &Browser, fields: &[(&str, &str)]) -> Reply {
    let base = s.h.size(&s.id, &s.auth["mediator"]).await.to_string();
    let mut all = vec![("csrf", who.csrf.as_str()), ("base", base.as_str())];
    all.extend_from_slice(fields);
    form(s, &format!("/n/{}/draft", s.id), Some(&who.cookie), &all).await
}

/// Posts and expects the redirect back to the workspace.
async fn edited(s: &Seated, who: &Browser, fields: &[(&str, &str)]) {
    let r = edit(s, who, fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{fields:?}: {}", r.text);
    let to = r.headers[header::LOCATION].to_str().unwrap();
    assert!(to.starts_with(&format!("/n/{}/draft#", s.id)), "{to}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mediator_restructures_the_text_through_forms_alone() {
    let s = seated().await;
    let id = s.id.clone();
    let mediator = sign_in(&s, "mediator").await;

    let workspace = page(&s, &format!("/n/{id}/draft"), &mediator.cookie).await;
    assert_eq!(workspace.status, StatusCode::OK, "{}", workspace.text);
    assert!(
        workspace.text.contains(&format!("href=\"/n/{id}/draft\" aria-current=\"page\">Draft")),
        "the nav links the page"
    );
    for op in [
        "provision",
        "move",
        "merge",
        "remove",
        "split",
        "add",
        "renumber",
        "open-bracket",
        "close-bracket",
        "add-alternative",
        "remove-alternative",
        "value",
    ] {
        assert!(workspace.text.contains(&format!("name=\"op\" value=\"{op}\"")), "no {op} form");
    }
    assert!(workspace.text.contains(&format!("action=\"/n/{id}/draft\"")));
    assert!(workspace.text.contains("name=\"csrf\""));
    assert!(workspace.text.contains(&format!("href=\"/n/{id}/versions/next\"")), "the publish link");
    assert!(workspace.text.contains("class=\"table-scroll\""), "the values table scrolls on a phone");

    // Reword.
    edited(
        &s,
        &mediator,
        &[
            ("op", "provision"),
            ("provision", "art-1"),
            ("heading", "Purpose and scope"),
            ("body", "The Parties agree to end the war.\r\nBy peaceful means only."),
        ],
    )
    .await;
    let d = draft(&s).await;
    assert_eq!(provision(&d, "art-1")["heading"], "Purpose and scope");
    assert_eq!(provision(&d, "art-1")["body"], "The Parties agree to end the war.\nBy peaceful means only.");

    // Split, then merge back, as one edit each.
    edited(
        &s,
        &mediator,
        &[
            ("op", "split"),
            ("provision", "art-2"),
            ("at", "From that hour"),
            ("id", "art-2-refrain"),
            ("heading", "Refraining from force"),
        ],
    )
    .await;
    let d = draft(&s).await;
    let ids = provision_ids(&d);
    let at = ids.iter().position(|p| p == "art-2").unwrap();
    assert_eq!(ids[at + 1], "art-2-refrain");
    assert!(provision(&d, "art-2-refrain")["body"].as_str().unwrap().starts_with("From that hour"));
    edited(&s, &mediator, &[("op", "merge"), ("provision", "art-2"), ("next", "art-2-refrain")]).await;
    let d = draft(&s).await;
    assert!(!provision_ids(&d).contains(&"art-2-refrain".to_string()));
    assert!(provision(&d, "art-2")["body"].as_str().unwrap().contains("From that hour"));

    // A bracket opened on a span, grown and shrunk by one alternative, then closed.
    edited(
        &s,
        &mediator,
        &[
            ("op", "open-bracket"),
            ("provision", "art-1"),
            ("span", "By peaceful means only."),
            ("issue", "means"),
            ("title", "Means of settlement"),
            ("options", "peaceful | Peaceful means\r\nlaw | By law | By the rule of law."),
        ],
    )
    .await;
    let d = draft(&s).await;
    assert!(provision(&d, "art-1")["body"].as_str().unwrap().contains("{means}"));
    assert_eq!(issue(&d, "means").unwrap()["kind"]["options"].as_array().unwrap().len(), 2);
    edited(
        &s,
        &mediator,
        &[
            ("op", "add-alternative"),
            ("provision", "art-1"),
            ("issue", "means"),
            ("option", "court"),
            ("label", "A court"),
            ("wording", "Before a court."),
        ],
    )
    .await;
    edited(
        &s,
        &mediator,
        &[("op", "remove-alternative"), ("provision", "art-1"), ("issue", "means"), ("option", "law")],
    )
    .await;
    let d = draft(&s).await;
    let options: Vec<&str> = issue(&d, "means").unwrap()["kind"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(options, ["peaceful", "court"]);
    edited(&s, &mediator, &[("op", "close-bracket"), ("provision", "art-1"), ("issue", "means"), ("option", "court")])
        .await;
    let d = draft(&s).await;
    assert!(issue(&d, "means").is_none());
    assert!(provision(&d, "art-1")["body"].as_str().unwrap().contains("Before a court."));

    // A draft value, a move, an insertion, a removal, a renumbering.
    edited(&s, &mediator, &[("op", "value"), ("issue", "territory"), ("value", "freeze")]).await;
    assert_eq!(issue(&draft(&s).await, "territory").unwrap()["draft"], "freeze");
    edited(&s, &mediator, &[("op", "move"), ("provision", "art-1"), ("after", "art-2")]).await;
    assert_eq!(provision_ids(&draft(&s).await)[..2], ["art-2", "art-1"]);
    edited(
        &s,
        &mediator,
        &[
            ("op", "add"),
            ("after", "art-1"),
            ("id", "art-1-bis"),
            ("heading", "Monitoring"),
            ("body", "A joint commission monitors the ceasefire."),
        ],
    )
    .await;
    let d = draft(&s).await;
    assert_eq!(provision_ids(&d)[2], "art-1-bis");
    let workspace = page(&s, &format!("/n/{id}/draft"), &mediator.cookie).await;
    assert!(workspace.text.contains("id=\"p-art-1-bis\""));
    edited(&s, &mediator, &[("op", "remove"), ("provision", "art-1-bis")]).await;
    assert!(!provision_ids(&draft(&s).await).contains(&"art-1-bis".to_string()));
    edited(&s, &mediator, &[("op", "renumber")]).await;
    let d = draft(&s).await;
    let numbers: Vec<&str> =
        d["provisions"].as_array().unwrap().iter().map(|p| p["number"].as_str().unwrap()).collect();
    let expected: Vec<String> = (1..=numbers.len()).map(|n| n.to_string()).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_edit_names_its_field_and_a_stale_form_is_refused() {
    let s = seated().await;
    let id = s.id.clone();
    let mediator = sign_in(&s, "mediator").await;
    let before = draft(&s).await;

    // A span that is not in the body: the span field is named, and what was typed is kept.
    let r = edit(
        &s,
        &mediator,
        &[
            ("op", "open-bracket"),
            ("provision", "art-2"),
            ("span", "no such words"),
            ("issue", "hours"),
            ("options", "a | A"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("data-field=\"span\""), "{}", r.text);
    assert!(r.text.contains("id=\"f-art-2-open-bracket-span\" name=\"span\" value=\"no such words\""), "{}", r.text);
    assert!(r.text.contains("href=\"#f-art-2-open-bracket-span\""), "the error list links the field: {}", r.text);

    // A required field left empty.
    let r = edit(&s, &mediator, &[("op", "split"), ("provision", "art-2"), ("at", "  ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("data-field=\"at\""), "{}", r.text);

    // A body the validation refuses (a slot for an issue that does not exist) names the body.
    let r = edit(
        &s,
        &mediator,
        &[("op", "provision"), ("provision", "art-2"), ("heading", "H"), ("body", "Text with {no-such-issue}.")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("data-field=\"body\""), "{}", r.text);
    assert!(r.text.contains("Text with {no-such-issue}.</textarea>"), "the typed body is kept");
    assert_eq!(draft(&s).await, before, "nothing was written");

    // A form read before the draft moved is refused, says so, and links a reload.
    let stale = s.h.size(&id, &s.auth["mediator"]).await.to_string();
    edited(&s, &mediator, &[("op", "value"), ("issue", "territory"), ("value", "dmz")]).await;
    let fields = [
        ("csrf", mediator.csrf.as_str()),
        ("base", stale.as_str()),
        ("op", "provision"),
        ("provision", "art-1"),
        ("heading", "Overwritten?"),
        ("body", "Overwritten?"),
    ];
    let r = form(&s, &format!("/n/{id}/draft"), Some(&mediator.cookie), &fields).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("id=\"stale\""), "{}", r.text);
    assert!(r.text.contains(&format!("<a href=\"/n/{id}/draft\">Reload the draft</a>")));
    assert_ne!(provision(&draft(&s).await, "art-1")["heading"], "Overwritten?");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_mediator_sees_the_workspace_or_edits_through_it() {
    let s = seated().await;
    let id = s.id.clone();
    let path = format!("/n/{id}/draft");
    for viewer in ["ua", "ru", "eu", "observer"] {
        let r = s.h.get(&path, &s.auth[viewer]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{viewer}: {}", r.text);
        let text = s.h.get(&format!("/n/{id}/text"), &s.auth[viewer]).await;
        assert!(!text.text.contains(&format!("href=\"{path}\"")), "{viewer} is shown the Draft link");
    }
    assert_eq!(s.h.get(&path, &s.auth["stranger"]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.h.get(&path, &s.auth["mediator"]).await.status, StatusCode::OK);

    let before = draft(&s).await;
    let ua = sign_in(&s, "ua").await;
    let r = edit(&s, &ua, &[("op", "provision"), ("provision", "art-2"), ("heading", "ua's"), ("body", "ua's")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(!r.text.contains("name=\"op\""), "a refused party is not shown the workspace");
    let stranger = sign_in(&s, "stranger").await;
    let r = edit(&s, &stranger, &[("op", "remove"), ("provision", "art-2")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // Without the CSRF field, even the mediator's post is refused.
    let mediator = sign_in(&s, "mediator").await;
    let base = s.h.size(&id, &s.auth["mediator"]).await.to_string();
    let r = form(&s, &path, Some(&mediator.cookie), &[("base", &base), ("op", "remove"), ("provision", "art-2")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(draft(&s).await, before);
}
