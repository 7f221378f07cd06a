//! The client commands: the negotiation service from a terminal.
//!
//! Each command is one or two API calls. Writes send the log size they were
//! decided on as `If-Match`, so a command never overwrites a change it did
//! not see; the server answers such a write with a conflict.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use accord_api::{
    AcceptInput, AccountView, AnalysisView, CommentInput, ConfirmInput, CreateNegotiation, DraftValueInput, DraftView,
    EventsView, InvitationCreated, InvitationView, InviteInput, NegotiationListItem, NegotiationView, PublishInput,
    PublishedVersionView, ReservationInput, SessionView, SignIn, SignUp, StanceInput, StancePosition, StancesView,
    TokenView, VersionDiff, WriteResult,
};
use accord_core::{Condition, Test};
use accord_formats::render::markdown_version;
use accord_merkle::{Checkpoint, ConsistencyProof, HexHash, InclusionProof, leaf_hash};
use anyhow::{Context, anyhow, bail};

use crate::client::{Client, ClientConfig, Method, SeenCheckpoint, config_path};
use crate::report::Table;

/// Sign in to an Accord server and keep an API token for the other commands.
///
/// The token is stored in the client configuration ($ACCORD_CONFIG, else
/// accord/client.toml in the platform's configuration directory:
/// ~/.config on Linux and macOS, %APPDATA% on Windows), readable by you only.
/// The password is read from the terminal, or from standard input with
/// --password-stdin, or from $ACCORD_PASSWORD.
///
/// An https:// server's certificate may chain to Mozilla's roots (built in)
/// or to any root the system trusts (on Linux the CA bundle, or
/// SSL_CERT_FILE), so an organisation's internal CA works.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  accord login --server http://127.0.0.1:8080 --email mediator@demo.accord.invalid
  echo \"$PASSWORD\" | accord login --server https://accord.example.org --email me@example.org --password-stdin")]
pub struct LoginArgs {
    /// The server's address (what `accord serve` printed).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// Your account's email address.
    #[arg(long)]
    pub email: String,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Create an account on an Accord server, then sign in with it.
#[derive(Debug, clap::Args)]
pub struct SignupArgs {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub server: String,
    #[arg(long)]
    pub email: String,
    /// The name other parties see.
    #[arg(long)]
    pub name: String,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Negotiations on the server you are signed in to.
#[derive(Debug, clap::Subcommand)]
pub enum NegotiationCommand {
    /// The negotiations you hold a seat in, with your party and role.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One negotiation as you may see it: parties, versions, stances, comments.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Create a negotiation from a scenario file (you take its mediator seat), or an empty one.
    Create {
        /// A scenario file (see docs/scenario-format.md).
        #[arg(long, conflicts_with = "title", required_unless_present = "title")]
        scenario: Option<PathBuf>,
        /// The title of an empty negotiation.
        #[arg(long)]
        title: Option<String>,
        /// Move the scenario's timetable so its first phase starts then: `now` or an RFC 3339 time.
        #[arg(long, value_name = "WHEN", value_parser = parse_when)]
        timetable_from: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Invite someone to take a party's seat; prints the one-time token to pass on.
    Invite { id: String, party: String },
    /// The invitations issued (mediator only): id, seat, expiry and status.
    Invitations { id: String },
    /// Revoke a pending invitation (its id from `accord negotiation invitations`); its link stops working.
    Revoke { id: String, invitation: String },
    /// Take up a seat with the token an invitation gave you.
    Accept { id: String, token: String },
    /// Who holds which seat.
    Members { id: String },
    /// The mediator's analysis: ZOPA, fair packages, repair of the draft, improvement, balance.
    Analysis {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

/// The working draft and the released versions of the text.
#[derive(Debug, clap::Subcommand)]
pub enum DraftCommand {
    /// The working draft's text (or a released version's, with --released N).
    Show {
        id: String,
        /// A released version number instead of the working draft.
        #[arg(long, value_name = "N")]
        released: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Word-level differences between two released versions.
    Diff { id: String, from: u32, to: u32 },
    /// Set the draft's value for an issue (an option id, or a number for a numeric issue).
    Set { id: String, issue: String, value: String },
    /// Release the working draft as the next version, to every party at once.
    Publish {
        id: String,
        /// What the text is: mediators_non_paper, compilation_of_proposals,
        /// negotiating_text (the default) or agreed_clean_text.
        #[arg(long, value_parser = parse_text_status)]
        status: Option<accord_core::TextStatus>,
    },
    /// Edit the working draft as text in $VISUAL or $EDITOR and send the changes as one batch (mediator only).
    Edit(crate::drafting::EditArgs),
    /// The released versions with their content hashes.
    Versions { id: String },
}

/// Your stances: what you can live with, provision by provision.
#[derive(Debug, clap::Subcommand)]
pub enum StanceCommand {
    /// Record your stance on a provision (it replaces your previous one; the history is kept).
    #[command(after_help = "\
Examples:
  accord stance set peace-framework art-3 acceptable
  accord stance set peace-framework art-5 acceptable-if --if guarantees=article-5-like --reason \"only with guarantees\"
  accord stance set peace-framework art-4 acceptable-if --if army-cap=600000..800000
  accord stance set peace-framework art-2 unacceptable --reason \"no withdrawal without a referendum\"")]
    Set {
        id: String,
        provision: String,
        /// acceptable, acceptable-if or unacceptable.
        #[arg(value_parser = parse_position)]
        position: StancePosition,
        /// For acceptable-if, a condition: ISSUE=OPTION[,OPTION…] or ISSUE=MIN..MAX (either bound may be empty).
        /// Repeat for several; all must hold.
        #[arg(long = "if", value_parser = parse_condition)]
        conditions: Vec<Condition>,
        /// Why (private to you and the mediator).
        #[arg(long)]
        reason: Option<String>,
    },
    /// The stances you may see, and per provision how many parties have reservations.
    List {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Confirm, as they stand, the stances (and with --profile your profile)
    /// the mediator entered for you from the scenario; until you confirm or
    /// change them, the mediator's analysis reports them as unconfirmed.
    #[command(after_help = "\
Examples:
  accord stance confirm peace-framework --all
  accord stance confirm peace-framework art-3 art-5
  accord stance confirm peace-framework --profile")]
    Confirm {
        id: String,
        /// The provisions whose stances you confirm.
        provisions: Vec<String>,
        /// Confirm your profile too.
        #[arg(long)]
        profile: bool,
        /// Confirm everything the mediator entered for you and you have not confirmed.
        #[arg(long, conflicts_with_all = ["provisions", "profile"])]
        all: bool,
    },
}

/// Comments on the text.
#[derive(Debug, clap::Subcommand)]
pub enum CommentCommand {
    /// Comment on a provision, anchored to a quoted span of its text.
    Add {
        id: String,
        provision: String,
        text: String,
        /// The words of the provision the comment is about (default: the whole provision).
        #[arg(long, default_value = "")]
        quote: String,
        /// Only you and the mediator see it.
        #[arg(long)]
        private: bool,
    },
    /// The comments you may see; outdated ones are marked.
    List { id: String },
}

/// Your walk-away point.
#[derive(Debug, clap::Subcommand)]
pub enum ReservationCommand {
    /// Move your reservation value (0–1); the history is kept.
    Set {
        id: String,
        value: f64,
        #[arg(long)]
        note: Option<String>,
    },
}

/// The negotiation's tamper-evident log.
#[derive(Debug, clap::Subcommand)]
pub enum LogCommand {
    /// The events you may see (private ones appear redacted, with their leaf hash).
    Show {
        id: String,
        #[arg(long)]
        from: Option<u64>,
        #[arg(long)]
        to: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// Download the whole log (mediator) for `accord verify-log` or safekeeping.
    Export {
        id: String,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Check offline that an event is in the log, and that the log only grew since you last looked.
    ///
    /// Fetches the current checkpoint (size and Merkle root), the event and its
    /// inclusion proof, and verifies the proof here. The checkpoint is
    /// remembered; next time, a consistency proof must show the new log extends
    /// it, or the command reports a split view.
    Verify {
        id: String,
        /// The event's position (default: the last event).
        #[arg(long)]
        event: Option<u64>,
    },
}

fn parse_when(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if text == "now" {
        return Ok(chrono::Utc::now());
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("{text:?} is not `now` or an RFC 3339 time like 2026-12-01T09:00:00Z: {e}"))
}

fn parse_position(text: &str) -> Result<StancePosition, String> {
    match text.replace('_', "-").as_str() {
        "acceptable" => Ok(StancePosition::Acceptable),
        "acceptable-if" => Ok(StancePosition::AcceptableIf),
        "unacceptable" => Ok(StancePosition::Unacceptable),
        other => Err(format!("{other:?} is not a position: use acceptable, acceptable-if or unacceptable")),
    }
}

fn parse_condition(text: &str) -> Result<Condition, String> {
    let (issue, test) =
        text.split_once('=').ok_or_else(|| format!("{text:?}: write ISSUE=OPTION[,OPTION…] or ISSUE=MIN..MAX"))?;
    let issue = issue.trim();
    if issue.is_empty() {
        return Err(format!("{text:?}: the issue id is missing before '='"));
    }
    let test = match test.split_once("..") {
        Some((min, max)) => {
            let bound = |s: &str| -> Result<Option<f64>, String> {
                let s = s.trim();
                if s.is_empty() {
                    Ok(None)
                } else {
                    s.parse::<f64>().map(Some).map_err(|_| format!("{text:?}: {s:?} is not a number"))
                }
            };
            Test::Range { min: bound(min)?, max: bound(max)? }
        }
        None => {
            let options: Vec<String> =
                test.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
            if options.is_empty() {
                return Err(format!("{text:?}: name at least one option after '='"));
            }
            Test::OneOf(options)
        }
    };
    Ok(Condition { issue: issue.to_string(), test })
}

fn read_password(password_stdin: bool) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("ACCORD_PASSWORD") {
        return Ok(password);
    }
    if password_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        if password.is_empty() {
            bail!("no password on standard input");
        }
        return Ok(password);
    }
    rpassword::prompt_password("Password: ").context("reading the password from the terminal")
}

pub(crate) fn load() -> anyhow::Result<(PathBuf, ClientConfig, Client)> {
    let path = config_path()?;
    let config = ClientConfig::load(&path)?;
    let client = Client::from_config(&config)?;
    Ok((path, config, client))
}

pub(crate) fn path_id(id: &str) -> anyhow::Result<&str> {
    if id.is_empty() || id.contains(['/', '?', '#', '%']) || id.chars().any(char::is_whitespace) {
        bail!("{id:?} is not a negotiation id (see `accord negotiation list`)");
    }
    Ok(id)
}

fn size_of(client: &Client, id: &str) -> anyhow::Result<u64> {
    Ok(client.get::<NegotiationView>(&format!("/api/negotiations/{}", path_id(id)?))?.log_size)
}

pub(crate) fn table(headers: &[&str]) -> Table {
    Table::new(headers.iter().map(|h| h.to_string()).collect())
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn written(what: &str, result: &WriteResult) -> ExitCode {
    println!("{what} (event {}; the log now holds {} events, root {})", result.position, result.log_size, result.root);
    ExitCode::SUCCESS
}

pub fn login(args: LoginArgs) -> anyhow::Result<ExitCode> {
    let password = read_password(args.password_stdin)?;
    sign_in(&args.server, &args.email, password)
}

fn sign_in(server: &str, email: &str, password: String) -> anyhow::Result<ExitCode> {
    let client = Client::new(server, None)?;
    let token: TokenView = client
        .send(Method::Post, "/api/tokens", None, Some(&SignIn { email: email.to_string(), password }))
        .context("signing in")?;
    let path = config_path()?;
    let mut config = ClientConfig::load(&path)?;
    if config.server.as_deref() != Some(client.base()) {
        // Checkpoints of another server's negotiations say nothing about this one's.
        config.checkpoints.clear();
    }
    config.server = Some(client.base().to_string());
    config.token = Some(token.token);
    config.email = Some(email.to_string());
    config.save(&path)?;
    println!(
        "Signed in to {} as {email}; the token is valid until {} and kept in {}",
        client.base(),
        token.expires_at.format("%Y-%m-%d %H:%M UTC"),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn signup(args: SignupArgs) -> anyhow::Result<ExitCode> {
    let password = read_password(args.password_stdin)?;
    let client = Client::new(&args.server, None)?;
    let body = SignUp { email: args.email.clone(), password: password.clone(), display_name: args.name };
    let account: AccountView = client.send(Method::Post, "/api/accounts", None, Some(&body)).context("signing up")?;
    println!("Created account {} ({})", account.email, account.display_name);
    sign_in(&args.server, &args.email, password)
}

pub fn logout() -> anyhow::Result<ExitCode> {
    let path = config_path()?;
    let mut config = ClientConfig::load(&path)?;
    if let (Some(server), Some(token)) = (config.server.clone(), config.token.clone()) {
        let client = Client::new(&server, Some(token))?;
        if let Err(e) = client.send::<serde_json::Value>(Method::Delete, "/api/sessions/current", None, None::<&()>) {
            eprintln!("warning: the server did not revoke the token: {e:#}");
        }
    }
    config.token = None;
    config.save(&path)?;
    println!("Signed out; the token was removed from {}", path.display());
    Ok(ExitCode::SUCCESS)
}

pub fn whoami() -> anyhow::Result<ExitCode> {
    let (_, config, client) = load()?;
    let me: SessionView = client.get("/api/me")?;
    println!("{} ({}) on {}", me.account.email, me.account.display_name, client.base());
    if config.email.as_deref().is_some_and(|e| e != me.account.email) {
        eprintln!("note: ACCORD_TOKEN overrides the signed-in account");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn negotiation(command: NegotiationCommand) -> anyhow::Result<ExitCode> {
    let (_, _, client) = load()?;
    match command {
        NegotiationCommand::List { json } => {
            let list: Vec<NegotiationListItem> = client.get("/api/negotiations")?;
            if json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("You hold no seat in any negotiation yet: create one or accept an invitation.");
                return Ok(ExitCode::SUCCESS);
            }
            let mut table = table(&["id", "title", "your party", "role", "events"]);
            for item in &list {
                table.row(vec![
                    item.id.clone(),
                    item.title.clone(),
                    item.party.clone(),
                    item.role.as_str().to_string(),
                    item.log_size.to_string(),
                ]);
            }
            print!("{}", table.render());
        }
        NegotiationCommand::Show { id, json } => {
            let view: NegotiationView = client.get(&format!("/api/negotiations/{}", path_id(&id)?))?;
            if json {
                return print_json(&view);
            }
            print_negotiation(&view);
        }
        NegotiationCommand::Create { scenario, title, timetable_from } => {
            let scenario_toml = match &scenario {
                Some(path) => {
                    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                    // Report file:line:col here rather than a server-side pointer into a string.
                    accord_formats::scenario::parse(&text, &path.display().to_string())
                        .map_err(|errors| anyhow!("{errors}"))?;
                    Some(text)
                }
                None => None,
            };
            let body =
                CreateNegotiation { scenario_toml, title, creator_party: None, timetable_from, ..Default::default() };
            let view: NegotiationView = client.send(Method::Post, "/api/negotiations", None, Some(&body))?;
            println!("Created negotiation {} — {} ({} events)", view.id, view.title, view.log_size);
            println!("Invite the parties: accord negotiation invite {} PARTY", view.id);
        }
        NegotiationCommand::Invite { id, party } => {
            let size = size_of(&client, &id)?;
            let created: InvitationCreated = client.send(
                Method::Post,
                &format!("/api/negotiations/{}/invitations", path_id(&id)?),
                Some(size),
                Some(&InviteInput { party }),
            )?;
            println!(
                "Invitation for party {} ({}), valid until {}. Pass this on privately; it works once:",
                created.party,
                created.role.as_str(),
                created.expires_at.format("%Y-%m-%d %H:%M UTC")
            );
            println!("  accord negotiation accept {id} {}", created.token);
        }
        NegotiationCommand::Invitations { id } => {
            let list: Vec<InvitationView> = client.get(&format!("/api/negotiations/{}/invitations", path_id(&id)?))?;
            let mut table = table(&["invitation", "party", "expires", "status"]);
            for invitation in list {
                let status = match (&invitation.accepted_by, invitation.revoked, invitation.superseded) {
                    (Some(account), _, _) => format!("accepted by {account}"),
                    (None, true, _) => "revoked".to_string(),
                    (None, false, true) => "replaced".to_string(),
                    (None, false, false) => "pending".to_string(),
                };
                table.row(vec![
                    invitation.id,
                    invitation.party,
                    invitation.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    status,
                ]);
            }
            print!("{}", table.render());
        }
        NegotiationCommand::Revoke { id, invitation } => {
            if invitation.is_empty() || !invitation.chars().all(|c| c.is_ascii_hexdigit()) {
                bail!("{invitation:?} is not an invitation id (see `accord negotiation invitations {id}`)");
            }
            let size = size_of(&client, &id)?;
            let result: WriteResult = client.send(
                Method::Delete,
                &format!("/api/negotiations/{}/invitations/{invitation}", path_id(&id)?),
                Some(size),
                None::<&()>,
            )?;
            return Ok(written(&format!("Invitation {invitation} revoked; its link no longer works"), &result));
        }
        NegotiationCommand::Accept { id, token } => {
            let result: WriteResult = client.send(
                Method::Post,
                &format!("/api/negotiations/{}/invitations/accept", path_id(&id)?),
                None,
                Some(&AcceptInput { token }),
            )?;
            let view: NegotiationView = client.get(&format!("/api/negotiations/{id}"))?;
            let seat = view.you.map(|s| format!("party {} ({})", s.party, s.role.as_str())).unwrap_or_default();
            return Ok(written(&format!("You now hold the seat of {seat} in {id}"), &result));
        }
        NegotiationCommand::Members { id } => {
            let view: NegotiationView = client.get(&format!("/api/negotiations/{}", path_id(&id)?))?;
            let members = view.members.unwrap_or_default();
            let mut table = table(&["party", "role", "account"]);
            for seat in members {
                table.row(vec![seat.party, seat.role.as_str().to_string(), seat.account.unwrap_or("—".into())]);
            }
            print!("{}", table.render());
        }
        NegotiationCommand::Analysis { id, json } => {
            let analysis: AnalysisView = client.get(&format!("/api/negotiations/{}/analysis", path_id(&id)?))?;
            if json {
                return print_json(&analysis);
            }
            print_analysis(&analysis);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_negotiation(view: &NegotiationView) {
    println!("{} — {}", view.id, view.title);
    if let Some(you) = &view.you {
        println!("You: party {} ({})", you.party, you.role.as_str());
    }
    println!("Log: {} events", view.log_size);
    let mut parties = table(&["party", "name", "role"]);
    for party in &view.parties {
        parties.row(vec![party.id.clone(), party.name.clone(), party.role.as_str().to_string()]);
    }
    print!("\nParties\n{}", parties.render());
    if !view.versions.is_empty() {
        let mut versions = table(&["version", "released", "content hash"]);
        for v in &view.versions {
            versions.row(vec![
                v.number.to_string(),
                v.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                v.content_hash.clone(),
            ]);
        }
        print!("\nReleased versions\n{}", versions.render());
    }
    if let Some(counts) = &view.stance_counts {
        let mut table = table(&["provision", "with reservations", "recorded"]);
        for count in counts {
            let shown = |n: Option<usize>| n.map_or_else(|| "withheld".to_string(), |n| n.to_string());
            table.row(vec![count.provision.clone(), shown(count.with_reservations), shown(count.recorded)]);
        }
        print!("\nStances per provision\n{}", table.render());
    }
}

fn print_analysis(analysis: &AnalysisView) {
    let zopa = &analysis.zopa;
    let verdict = match (zopa.exists, zopa.decided) {
        (true, _) => "a package acceptable to every party exists",
        (false, true) => "no package is acceptable to every party",
        (false, false) => "undecided within the search budget",
    };
    println!("ZOPA: {verdict} ({}–{} packages)", zopa.count_at_least, zopa.count_at_most);
    let mut headers = vec!["package".to_string()];
    headers.extend(analysis.parties.iter().map(|p| format!("{p} gain")));
    let mut table = Table::new(headers);
    let gains = |package: &accord_policy::analysis::PackageView| -> Vec<String> {
        analysis
            .parties
            .iter()
            .map(|party| {
                package
                    .outcomes
                    .iter()
                    .find(|o| &o.party == party)
                    .map(|o| format!("{:.3}", o.normalised_gain))
                    .unwrap_or_else(|| "—".into())
            })
            .collect()
    };
    for solution in &analysis.solutions {
        let mut row = vec![solution.name.clone()];
        match (&solution.package.result, &solution.package.error) {
            (Some(Some(package)), _) => row.extend(gains(package)),
            (Some(None), _) => row.extend(analysis.parties.iter().map(|_| "none acceptable".to_string())),
            (None, error) => row.extend(analysis.parties.iter().map(|_| error.clone().unwrap_or_default())),
        }
        table.row(row);
    }
    print!("\nSuggested packages (normalised gain over each party's walk-away point)\n{}", table.render());
    match (&analysis.repair.result, &analysis.repair.error) {
        (Some(accord_policy::analysis::RepairView::Repaired { changes, .. }), _) => {
            println!("\nRepair of the draft: {} change(s) unblock every party", changes.len());
            for change in changes {
                println!("  {}: {} → {}", change.issue, change.from, change.to);
            }
        }
        (Some(accord_policy::analysis::RepairView::Unrepairable { reason }), _) => {
            println!("\nRepair of the draft: none possible — {reason}");
        }
        (None, error) => println!("\nRepair of the draft: {}", error.clone().unwrap_or_default()),
    }
    match &analysis.improvement.result {
        Some(accord_policy::analysis::ImprovementView::Better { package }) => {
            println!("\nPost-settlement improvement: a package every party prefers exists");
            for value in &package.values {
                println!("  {} = {}", value.issue, value.label);
            }
        }
        Some(accord_policy::analysis::ImprovementView::ParetoOptimal) => {
            println!("\nPost-settlement improvement: none; the draft is Pareto-optimal")
        }
        None => println!("\nPost-settlement improvement: {}", analysis.improvement.error.clone().unwrap_or_default()),
    }
}

pub fn draft(command: DraftCommand) -> anyhow::Result<ExitCode> {
    let (_, _, client) = load()?;
    match command {
        DraftCommand::Edit(args) => return crate::drafting::edit(args),
        DraftCommand::Show { id, released: Some(number), json } => {
            let version: PublishedVersionView =
                client.get(&format!("/api/negotiations/{}/versions/{number}", path_id(&id)?))?;
            if json {
                return print_json(&version);
            }
            println!("Version {} released {} — content hash {}\n", number, version.at, version.content_hash);
            let release =
                accord_formats::render::Release { status: version.status, ad_referendum: &version.ad_referendum };
            print!("{}", accord_formats::render::markdown_released(&version.version, release));
        }
        DraftCommand::Show { id, released: None, json } => {
            let draft: DraftView = client.get(&format!("/api/negotiations/{}/draft", path_id(&id)?))?;
            if json {
                return print_json(&draft);
            }
            match (&draft.text, &draft.render_error) {
                (Some(text), _) => print!("{}", markdown_version(text)),
                (None, error) => bail!(
                    "the draft cannot be rendered yet: {}",
                    error.clone().unwrap_or_else(|| "some issue has no draft value".into())
                ),
            }
        }
        DraftCommand::Diff { id, from, to } => {
            let diff: VersionDiff =
                client.get(&format!("/api/negotiations/{}/versions/{from}/diff/{to}", path_id(&id)?))?;
            print_diff(&diff);
        }
        DraftCommand::Set { id, issue, value } => {
            let draft: DraftView = client.get(&format!("/api/negotiations/{}/draft", path_id(&id)?))?;
            let known = draft.issues.iter().find(|i| i.id == issue).ok_or_else(|| {
                let ids: Vec<&str> = draft.issues.iter().map(|i| i.id.as_str()).collect();
                anyhow!("no issue {issue:?} in {id}; the issues are: {}", ids.join(", "))
            })?;
            let value = match &known.kind {
                accord_core::IssueKind::Numeric(_) => accord_core::Value::Number(
                    value.parse().map_err(|_| anyhow!("{issue} is numeric; {value:?} is not a number"))?,
                ),
                _ => accord_core::Value::Option(value),
            };
            let size = size_of(&client, &id)?;
            let result: WriteResult = client.send(
                Method::Put,
                &format!("/api/negotiations/{id}/draft-values/{issue}"),
                Some(size),
                Some(&DraftValueInput { value }),
            )?;
            return Ok(written(&format!("Draft value of {issue} set"), &result));
        }
        DraftCommand::Publish { id, status } => {
            let size = size_of(&client, &id)?;
            let result: WriteResult = client.send(
                Method::Post,
                &format!("/api/negotiations/{}/versions", path_id(&id)?),
                Some(size),
                Some(&PublishInput { status }),
            )?;
            let versions: Vec<accord_server::api::VersionSummary> =
                client.get(&format!("/api/negotiations/{id}/versions"))?;
            let released = versions.iter().find(|v| v.position == result.position).ok_or_else(|| {
                anyhow!("the server logged event {} but lists no version released by it", result.position)
            })?;
            println!(
                "Released version {} to every party at once (event {}, content hash {})",
                released.number, released.position, released.content_hash
            );
        }
        DraftCommand::Versions { id } => {
            let versions: Vec<accord_server::api::VersionSummary> =
                client.get(&format!("/api/negotiations/{}/versions", path_id(&id)?))?;
            let mut table = table(&["version", "released", "event", "content hash"]);
            for v in versions {
                table.row(vec![
                    v.number.to_string(),
                    v.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    v.position.to_string(),
                    v.content_hash,
                ]);
            }
            print!("{}", table.render());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_diff(diff: &VersionDiff) {
    println!("Version {} → {}", diff.from, diff.to);
    let mut same = 0;
    for provision in &diff.provisions {
        if provision.change == "same" {
            same += 1;
            continue;
        }
        println!("\n{} ({})", provision.id, provision.change);
        for line in &provision.lines {
            let sign = match line.tag.as_str() {
                "delete" => "-",
                "insert" => "+",
                _ => " ",
            };
            let text: String = line
                .segments
                .iter()
                .map(|s| if s.emphasized { format!("[{}]", s.text) } else { s.text.clone() })
                .collect();
            println!("{sign} {text}");
        }
    }
    println!("\n{same} provision(s) unchanged; changed words are in [brackets]");
}

pub fn stance(command: StanceCommand) -> anyhow::Result<ExitCode> {
    let (_, _, client) = load()?;
    match command {
        StanceCommand::Set { id, provision, position, conditions, reason } => {
            if position != StancePosition::AcceptableIf && !conditions.is_empty() {
                bail!("--if belongs to acceptable-if only");
            }
            if position == StancePosition::AcceptableIf && conditions.is_empty() {
                bail!("acceptable-if needs at least one --if ISSUE=OPTION condition");
            }
            let size = size_of(&client, &id)?;
            let result: WriteResult = client.send(
                Method::Put,
                &format!("/api/negotiations/{}/stances/{provision}", path_id(&id)?),
                Some(size),
                Some(&StanceInput { position, conditions, reason, wording_hash: None }),
            )?;
            return Ok(written(&format!("Stance on {provision} recorded"), &result));
        }
        StanceCommand::List { id, json } => {
            let stances: StancesView = client.get(&format!("/api/negotiations/{}/stances", path_id(&id)?))?;
            if json {
                return print_json(&stances);
            }
            let mut table = table(&["provision", "party", "position", "reason"]);
            for stance in &stances.stances {
                let reason = stance.detail.as_ref().and_then(|d| d.reason.clone()).unwrap_or_default();
                table.row(vec![stance.provision.clone(), stance.party.clone(), stance.position.clone(), reason]);
            }
            print!("{}", table.render());
            let entered: Vec<&str> =
                stances.stances.iter().filter(|s| s.entered_by_mediator).map(|s| s.provision.as_str()).collect();
            if !entered.is_empty() {
                println!(
                    "Entered for you by the mediator, not confirmed: {} (confirm with `accord stance confirm {id} --all`, or record your own)",
                    entered.join(", ")
                );
            }
            if let Some(counts) = &stances.counts {
                let blocked: Vec<String> = counts
                    .iter()
                    .filter_map(|c| Some((c, c.with_reservations.filter(|n| *n > 0)?)))
                    .map(|(c, n)| format!("{} ({n})", c.provision))
                    .collect();
                if !blocked.is_empty() {
                    println!("Parties with reservations, per provision: {}", blocked.join(", "));
                }
            }
        }
        StanceCommand::Confirm { id, provisions, profile, all } => {
            let view: NegotiationView = client.get(&format!("/api/negotiations/{}", path_id(&id)?))?;
            let party = view.you.map(|s| s.party).ok_or_else(|| anyhow!("you hold no seat in {id}"))?;
            let body = if all {
                let mine = view
                    .unconfirmed
                    .into_iter()
                    .find(|u| u.party == party)
                    .ok_or_else(|| anyhow!("nothing the mediator entered for {party} is left to confirm"))?;
                ConfirmInput { profile: mine.profile, stances: mine.stances }
            } else {
                if !profile && provisions.is_empty() {
                    bail!("name the provisions whose stances you confirm, --profile, or --all");
                }
                ConfirmInput { profile, stances: provisions }
            };
            let what = match (body.profile, body.stances.len()) {
                (true, 0) => "your profile".to_string(),
                (true, n) => format!("your profile and {n} stance(s)"),
                (false, n) => format!("{n} stance(s)"),
            };
            let result: WriteResult = client.send(
                Method::Post,
                &format!("/api/negotiations/{}/inputs/{party}/confirm", path_id(&id)?),
                Some(view.log_size),
                Some(&body),
            )?;
            return Ok(written(&format!("Confirmed {what} of {party} as entered by the mediator"), &result));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn comment(command: CommentCommand) -> anyhow::Result<ExitCode> {
    let (_, _, client) = load()?;
    match command {
        CommentCommand::Add { id, provision, text, quote, private } => {
            let size = size_of(&client, &id)?;
            let result: WriteResult = client.send(
                Method::Post,
                &format!("/api/negotiations/{}/comments", path_id(&id)?),
                Some(size),
                Some(&CommentInput { provision, quote, text, private }),
            )?;
            Ok(written("Comment added", &result))
        }
        CommentCommand::List { id } => {
            let comments: Vec<accord_server::api::CommentView> =
                client.get(&format!("/api/negotiations/{}/comments", path_id(&id)?))?;
            for c in comments {
                let mut marks = Vec::new();
                if c.private {
                    marks.push("private");
                }
                if c.outdated {
                    marks.push("outdated: its quote is no longer in the text");
                }
                let marks = if marks.is_empty() { String::new() } else { format!(" [{}]", marks.join("; ")) };
                println!("{} on {} «{}»{marks}\n  {}", c.party, c.provision, c.quote, c.text);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn reservation(command: ReservationCommand) -> anyhow::Result<ExitCode> {
    let (_, _, client) = load()?;
    match command {
        ReservationCommand::Set { id, value, note } => {
            let view: NegotiationView = client.get(&format!("/api/negotiations/{}", path_id(&id)?))?;
            let party = view.you.map(|s| s.party).ok_or_else(|| anyhow!("you hold no seat in {id}"))?;
            let result: WriteResult = client.send(
                Method::Post,
                &format!("/api/negotiations/{id}/profiles/{party}/reservations"),
                Some(view.log_size),
                Some(&ReservationInput { reservation: value, note }),
            )?;
            Ok(written(&format!("Reservation value of {party} moved to {value}"), &result))
        }
    }
}

pub fn log(command: LogCommand) -> anyhow::Result<ExitCode> {
    let (path, mut config, client) = load()?;
    match command {
        LogCommand::Show { id, from, to, json } => {
            let mut query = vec![];
            if let Some(from) = from {
                query.push(format!("from={from}"));
            }
            if let Some(to) = to {
                query.push(format!("to={to}"));
            }
            let events: EventsView =
                client.get(&format!("/api/negotiations/{}/events?{}", path_id(&id)?, query.join("&")))?;
            if json {
                return print_json(&events);
            }
            let mut table = table(&["event", "at", "type", "leaf hash"]);
            for entry in &events.entries {
                let kind = if entry.redacted { format!("{} (redacted)", entry.kind) } else { entry.kind.clone() };
                table.row(vec![
                    entry.position.to_string(),
                    entry.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    kind,
                    entry.leaf_hash.clone(),
                ]);
            }
            print!("{}", table.render());
            println!("The log holds {} events.", events.log_size);
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Export { id, output } => crate::evidence::export(id, output),
        LogCommand::Verify { id, event } => {
            let id = path_id(&id)?.to_string();
            let checkpoint: Checkpoint = client.get(&format!("/api/negotiations/{id}/checkpoint"))?;
            if checkpoint.size == 0 {
                bail!("the log of {id} is empty");
            }
            let index = event.unwrap_or(checkpoint.size - 1);
            if index >= checkpoint.size {
                bail!("event {index} is beyond the log, which holds {} events", checkpoint.size);
            }
            let events: EventsView =
                client.get(&format!("/api/negotiations/{id}/events?from={index}&to={}", index + 1))?;
            let entry = events
                .entries
                .iter()
                .find(|e| e.position == index)
                .ok_or_else(|| anyhow!("the server did not return event {index}"))?;
            let leaf = match &entry.bytes {
                Some(bytes) => {
                    let computed = leaf_hash(bytes.as_bytes());
                    if hex::encode(computed) != entry.leaf_hash {
                        bail!("event {index}: its bytes do not hash to the leaf hash the server gave");
                    }
                    computed
                }
                None => entry.leaf_hash.parse::<HexHash>().map_err(|e| anyhow!("event {index}: bad leaf hash: {e}"))?.0,
            };
            let proof: InclusionProof = client
                .get(&format!("/api/negotiations/{id}/proofs/inclusion?index={index}&size={}", checkpoint.size))?;
            proof.verify(&leaf, &checkpoint).map_err(|e| {
                anyhow!("inclusion proof for event {index} does not match checkpoint {}: {e}", checkpoint.size)
            })?;
            let what =
                if entry.bytes.is_some() { "its bytes re-hashed here" } else { "redacted for you: leaf hash only" };
            println!(
                "verified: event {index} ({}, {what}) is in the log of {} events with root {}",
                entry.kind, checkpoint.size, checkpoint.root
            );
            check_consistency(&client, &id, &mut config, &checkpoint)?;
            config.save(&path)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Checks that `checkpoint` extends the last one this client saw for `id`,
/// then remembers it. A log that was rewritten, or shown differently to
/// different parties, cannot pass.
pub(crate) fn check_consistency(
    client: &Client,
    id: &str,
    config: &mut ClientConfig,
    checkpoint: &Checkpoint,
) -> anyhow::Result<()> {
    let current = SeenCheckpoint { size: checkpoint.size, root: checkpoint.root.to_string() };
    if let Some(seen) = config.checkpoints.get(id).cloned() {
        let old_root =
            seen.root.parse::<HexHash>().map_err(|e| anyhow!("the remembered checkpoint is damaged: {e}"))?;
        let old = Checkpoint { size: seen.size, root: old_root };
        if seen.size > checkpoint.size {
            bail!(
                "split view: the server now shows {} events, but you saw {} before (root {}); the log was rolled back",
                checkpoint.size,
                seen.size,
                seen.root
            );
        }
        let proof: ConsistencyProof = client
            .get(&format!("/api/negotiations/{id}/proofs/consistency?from={}&to={}", seen.size, checkpoint.size))?;
        proof.verify(&old, checkpoint).map_err(|e| {
            anyhow!(
                "split view: the log of {} events with root {} does not extend the one of {} events with root {} \
                 you saw before ({e}); keep both checkpoints as evidence",
                checkpoint.size,
                checkpoint.root,
                seen.size,
                seen.root
            )
        })?;
        println!(
            "verified: the log grew from {} to {} events without rewriting any of them",
            seen.size, checkpoint.size
        );
    }
    config.checkpoints.insert(id.to_string(), current);
    Ok(())
}

/// A text status by its wire name, for `accord draft publish --status`.
fn parse_text_status(name: &str) -> Result<accord_core::TextStatus, String> {
    accord_core::TextStatus::parse(name).ok_or_else(|| {
        let names: Vec<&str> = accord_core::TextStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("not a text status; one of: {}", names.join(", "))
    })
}
