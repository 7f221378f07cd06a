//! The load generator's own accounts and negotiations, made through the API
//! like any client would: a mediator who creates negotiations from a scenario
//! with the timetable starting now (so the consultation phase is open for
//! stances and comments), and one account that takes the seat of a party in
//! each of them.

use std::time::Duration;

use accord_api::{
    AcceptInput, CreateNegotiation, InvitationCreated, InviteInput, NegotiationView, SignIn, SignUp, TokenView,
};
use anyhow::Context;
use hyper::Method;
use serde::{Deserialize, Serialize};

use crate::http::Conn;

const PASSWORD: &str = "accord-loadgen password, not a secret";

/// Everything a run needs to reach its negotiations; also the crash test's state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fixture {
    pub server: String,
    pub mediator_token: String,
    pub party_token: String,
    /// The seat the party account holds in every negotiation.
    pub party: String,
    pub negotiations: Vec<String>,
    /// Provisions a stance or comment may be about.
    pub provisions: Vec<String>,
}

async fn account(conn: &mut Conn, tag: &str, role: &str) -> anyhow::Result<String> {
    let email = format!("loadgen-{tag}-{role}@example.org");
    let sign_up = SignUp { email: email.clone(), password: PASSWORD.into(), display_name: format!("loadgen {role}") };
    conn.write(Method::POST, "/api/accounts", None, None, &sign_up).await?.expect_ok(&format!("signing up {email}"))?;
    // One token per account: it costs an Argon2 hash, which is not what is measured.
    let sign_in = SignIn { email: email.clone(), password: PASSWORD.into() };
    let reply = conn.write(Method::POST, "/api/tokens", None, None, &sign_in).await?.expect_ok("getting a token")?;
    Ok(reply.json::<TokenView>()?.token)
}

/// Creates one negotiation from `scenario` and seats the party account in `party`.
async fn negotiation(
    conn: &mut Conn,
    scenario: &str,
    mediator: &str,
    party_token: &str,
    party: &str,
    opens_at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(String, Vec<String>)> {
    let create = CreateNegotiation {
        scenario_toml: Some(scenario.to_string()),
        timetable_from: Some(opens_at),
        ..CreateNegotiation::default()
    };
    // Creating appends the scenario's events one at a time; should the
    // server's clock log a phase transition in between, the creation gets a
    // 409 and leaves a partial negotiation behind. Starting the timetable a
    // little later avoids that (see `fixture`); the retry covers a slow server.
    let mut attempts = 0;
    let reply = loop {
        let reply = conn.write(Method::POST, "/api/negotiations", Some(mediator), None, &create).await?;
        attempts += 1;
        if reply.status != 409 || attempts == 5 {
            break reply.expect_ok("creating")?;
        }
    };
    let size = reply.etag.context("the created negotiation has no ETag")?;
    let view: NegotiationView = reply.json()?;
    let id = view.id.clone();
    let provisions = view.draft.iter().flat_map(|d| &d.provisions).map(|p| p.id.clone()).collect();
    let invite = InviteInput { party: party.to_string() };
    let reply = conn
        .write(Method::POST, &format!("/api/negotiations/{id}/invitations"), Some(mediator), Some(size), &invite)
        .await?
        .expect_ok("inviting")?;
    let invitation: InvitationCreated = reply.json()?;
    conn.write(
        Method::POST,
        &invitation.accept_path,
        Some(party_token),
        None,
        &AcceptInput { token: invitation.token },
    )
    .await?
    .expect_ok("accepting the invitation")?;
    Ok((id, provisions))
}

/// Makes the accounts and `count` negotiations, `parallel` at a time.
pub async fn fixture(
    server: &str,
    scenario: &str,
    party: &str,
    count: usize,
    parallel: usize,
) -> anyhow::Result<Fixture> {
    let authority = crate::http::authority(server)?;
    let mut conn = Conn::new(&authority, Duration::from_secs(60));
    let tag = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default()
    );
    let mediator_token = account(&mut conn, &tag, "mediator").await.context("the mediator's account")?;
    let party_token = account(&mut conn, &tag, party).await.context("the party's account")?;
    // The consultation phase (stances, comments) opens a moment after the
    // set-up starts, not during it; see `negotiation`.
    let opens_at = chrono::Utc::now() + chrono::Duration::seconds(3);
    let mut tasks = tokio::task::JoinSet::new();
    let per_task = count.div_ceil(parallel.max(1));
    for chunk in 0..parallel.max(1) {
        let wanted = per_task.min(count.saturating_sub(chunk * per_task));
        let (authority, scenario, party) = (authority.clone(), scenario.to_string(), party.to_string());
        let (mediator, party_token) = (mediator_token.clone(), party_token.clone());
        tasks.spawn(async move {
            let mut conn = Conn::new(&authority, Duration::from_secs(60));
            let mut made = Vec::new();
            for _ in 0..wanted {
                made.push(negotiation(&mut conn, &scenario, &mediator, &party_token, &party, opens_at).await?);
            }
            anyhow::Ok(made)
        });
    }
    let mut negotiations = Vec::new();
    let mut provisions = Vec::new();
    while let Some(done) = tasks.join_next().await {
        for (id, ids) in done.context("a set-up task panicked")?.context("setting up the negotiations")? {
            negotiations.push(id);
            provisions = ids;
        }
    }
    if let Ok(wait) = (opens_at + chrono::Duration::milliseconds(500) - chrono::Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
    if provisions.is_empty() {
        anyhow::bail!("the scenario has no provisions to take stances on");
    }
    Ok(Fixture {
        server: server.to_string(),
        mediator_token,
        party_token,
        party: party.to_string(),
        negotiations,
        provisions,
    })
}

/// The negotiation's current log size (its ETag), as the party sees it.
pub async fn log_size(conn: &mut Conn, token: &str, id: &str) -> anyhow::Result<u64> {
    let reply = conn.get(&format!("/api/negotiations/{id}"), token).await?.expect_ok("reading the negotiation")?;
    reply.etag.context("GET /api/negotiations/{id} sent no ETag")
}
