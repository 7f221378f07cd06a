//! `accord export scenario`: a live negotiation, as the caller may see it,
//! written back to the scenario format, so a demo's state can be saved,
//! checked offline and replayed (`accord negotiation create --scenario`).

use std::path::PathBuf;
use std::process::ExitCode;

use accord_api::NegotiationView;
use accord_core::Negotiation;
use anyhow::bail;

use crate::remote::{load, path_id};

#[derive(Debug, clap::Args)]
pub struct ScenarioExportArgs {
    /// The negotiation's id on the server you are signed in to (`accord login`).
    pub id: String,
    /// Where to write the scenario (TOML); without it, the scenario goes to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: ScenarioExportArgs) -> anyhow::Result<ExitCode> {
    let (_, _, client) = load()?;
    let view: NegotiationView = client.get(&format!("/api/negotiations/{}", path_id(&args.id)?))?;
    let (negotiation, left_out) = scenario_of(view)?;
    let summary = format!(
        "{} provisions, {} issues, {} profiles, {} stances",
        negotiation.provisions.len(),
        negotiation.issues.len(),
        negotiation.profiles.len(),
        negotiation.stances.len()
    );
    crate::scenario_out::write(&negotiation, "Exported", &summary, args.output.as_deref(), args.force)?;
    if left_out > 0 {
        eprintln!(
            "note: {left_out} stance(s) of other parties are left out: you may see their positions, not their conditions and reasons"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The scenario a view holds: the working draft, every profile and every
/// stance the viewer may read in full. Returns it with the number of
/// stances left out because only their position was visible.
fn scenario_of(view: NegotiationView) -> anyhow::Result<(Negotiation, usize)> {
    let Some(draft) = view.draft else {
        bail!("your seat may not read the working draft of {}; only its released versions", view.id);
    };
    let visible = view.stances.len();
    let stances: Vec<_> = view.stances.into_iter().filter_map(|stance| stance.detail).collect();
    let left_out = visible - stances.len();
    let negotiation = Negotiation {
        id: view.id,
        title: view.title,
        description: view.description,
        parties: view.parties,
        issues: draft.issues,
        provisions: draft.provisions,
        constraints: draft.constraints,
        timetable: draft.timetable,
        profiles: view.profiles,
        stances,
        privacy: view.privacy,
    };
    Ok((negotiation, left_out))
}
