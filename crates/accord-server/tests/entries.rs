//! Entries made for a party (issue #14, finding 14): a negotiation created
//! from a scenario logs every party's profile and stances under the
//! mediator's account. The party sees them as proposals to confirm or
//! change, only the party confirms them, and the mediator's analysis says
//! which inputs it rests on that no party confirmed.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{Reply, Seated, seated};
use serde_json::{Value, json};

/// The stances the peace framework's scenario enters for ua.
const UA_STANCES: [&str; 5] = ["art-3", "art-5", "art-8", "art-12", "art-13"];

async fn confirm(s: &Seated, role: &str, party: &str, body: Value) -> Reply {
    let size = s.h.size(&s.id, &s.auth["mediator"]).await;
    let path = format!("/api/negotiations/{}/inputs/{party}/confirm", s.id);
    s.h.call(Method::POST, &path, &s.auth[role], Some(size), Some(body)).await
}

async fn negotiation(s: &Seated, role: &str) -> Value {
    let r = s.h.get(&format!("/api/negotiations/{}", s.id), &s.auth[role]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

async fn analysis_unconfirmed(s: &Seated) -> Vec<Value> {
    let r = s.h.get(&format!("/api/negotiations/{}/analysis", s.id), &s.auth["mediator"]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["unconfirmed"].as_array().unwrap().clone()
}

fn entry_of<'a>(list: &'a [Value], party: &str) -> Option<&'a Value> {
    list.iter().find(|u| u["party"] == party)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_confirms_what_the_scenario_entered_for_it_and_the_analysis_says_what_is_unconfirmed() {
    let s = seated().await;
    let id = s.id.clone();

    // The party sees its profile and stances as entered by the mediator.
    let profile = s.h.get(&format!("/api/negotiations/{id}/profiles/ua"), &s.auth["ua"]).await.json();
    assert_eq!(profile["entered_by_mediator"], true, "{profile}");
    let view = negotiation(&s, "ua").await;
    let mine: Vec<&Value> = view["stances"].as_array().unwrap().iter().filter(|x| x["party"] == "ua").collect();
    assert_eq!(mine.len(), UA_STANCES.len());
    assert!(mine.iter().all(|x| x["entered_by_mediator"] == true), "{mine:?}");
    assert_eq!(view["unconfirmed"], json!([{"party": "ua", "profile": true, "stances": UA_STANCES}]));
    // Another party learns nothing of ua's inputs, not even that they are unconfirmed.
    let ru = negotiation(&s, "ru").await;
    assert!(entry_of(ru["unconfirmed"].as_array().unwrap(), "ua").is_none(), "{}", ru["unconfirmed"]);
    assert!(negotiation(&s, "observer").await["unconfirmed"].as_array().unwrap().is_empty());

    // The mediator's analysis rests on them, and says so.
    let before = analysis_unconfirmed(&s).await;
    let ua_before = entry_of(&before, "ua").unwrap();
    assert_eq!(ua_before["profile"], true);
    assert_eq!(ua_before["stances"], json!(UA_STANCES));
    assert!(entry_of(&before, "ru").is_some());

    // Nobody confirms for the party: not the mediator who entered them, not another party.
    for role in ["mediator", "ru", "eu", "observer"] {
        let r = confirm(&s, role, "ua", json!({"profile": true})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}: {}", r.text);
    }
    // The party names what it confirms, and only what is pending.
    let r = confirm(&s, "ua", "ua", json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = confirm(&s, "ua", "ua", json!({"stances": ["art-3", "art-1"]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["pointer"], "/stances/1", "{}", r.text);
    let r = confirm(&s, "ua", "ua", json!({"stances": ["art-3", "art-3"]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // Confirmed as they stand: the flags clear and the analysis no longer lists ua.
    let r = confirm(&s, "ua", "ua", json!({"profile": true, "stances": UA_STANCES})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let profile = s.h.get(&format!("/api/negotiations/{id}/profiles/ua"), &s.auth["ua"]).await.json();
    assert_eq!(profile["entered_by_mediator"], false);
    let view = negotiation(&s, "ua").await;
    assert!(view["stances"].as_array().unwrap().iter().all(|x| x["entered_by_mediator"] == false));
    assert_eq!(view["unconfirmed"], json!([]));
    let after = analysis_unconfirmed(&s).await;
    assert!(entry_of(&after, "ua").is_none(), "{after:?}");
    assert_eq!(after.len(), before.len() - 1);
    // Confirming again is refused: there is nothing left to confirm.
    let r = confirm(&s, "ua", "ua", json!({"profile": true})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // The confirmation is ua's business: the mediator reads it, ru sees only that an event exists.
    let events = |role: &'static str| {
        let s = &s;
        async move {
            let r = s.h.get(&format!("/api/negotiations/{}/events", s.id), &s.auth[role]).await;
            r.json()["entries"].as_array().unwrap().iter().find(|e| e["type"] == "inputs_confirmed").unwrap().clone()
        }
    };
    assert_eq!(events("mediator").await["redacted"], false);
    assert_eq!(events("ru").await["redacted"], true);

    // Every other party confirms or replaces what was entered for it; then
    // the analysis rests on no words put in anyone's mouth.
    for entry in &after {
        let party = entry["party"].as_str().unwrap();
        let role = if party == "un" { "observer" } else { party };
        let mut body = json!({"profile": entry["profile"], "stances": entry["stances"]});
        if party == "ru" && entry["profile"] == true {
            // ru changes its profile instead: its own write replaces the mediator's.
            let mut profile = s.h.get(&format!("/api/negotiations/{id}/profiles/ru"), &s.auth["ru"]).await.json();
            let object = profile.as_object_mut().unwrap();
            object.remove("party");
            object.remove("entered_by_mediator");
            let size = s.h.size(&id, &s.auth["ru"]).await;
            let path = format!("/api/negotiations/{id}/profiles/ru");
            let r = s.h.call(Method::PUT, &path, &s.auth["ru"], Some(size), Some(profile)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            body["profile"] = json!(false);
            if entry["stances"].as_array().unwrap().is_empty() {
                continue;
            }
        }
        let r = confirm(&s, role, party, body).await;
        assert_eq!(r.status, StatusCode::OK, "{party}: {}", r.text);
    }
    assert_eq!(analysis_unconfirmed(&s).await, Vec::<Value>::new());
}
