//! The parts of `accord analyze` that look at the draft: ZOPA, repair,
//! blocking provisions and balance.

use std::collections::BTreeMap;
use std::time::Instant;

use accord_core::{Negotiation, Package};
use accord_engine::balance::{self, PartyBalance};
use accord_engine::repair::{self, BlockKind, ProvisionBlock, RepairOutcome};
use accord_engine::zopa::{Count, Zopa};
use accord_engine::{Analysis, Problem};
use anyhow::Context;
use serde_json::{Map, Value as Json, json};

use crate::analyze::{SolutionKind, package_values, value_json};
use crate::report::{self, Table};

#[derive(Debug, Default)]
pub struct Extra {
    zopa: Option<Zopa>,
    repair: Option<RepairOutcome>,
    blocking: Vec<ProvisionBlock>,
    below_reservation: Vec<String>,
    balance: Option<Vec<PartyBalance>>,
}

fn timed<T>(timings: &mut BTreeMap<&'static str, f64>, name: &'static str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    timings.insert(name, start.elapsed().as_secs_f64() * 1e3);
    out
}

impl Extra {
    /// Takes the ZOPA and the repair out of the engine's `analysis` and adds
    /// what needs the negotiation itself: the blocking report and the balance.
    pub fn run(
        negotiation: &Negotiation,
        problem: &Problem,
        draft: &Package,
        kind: SolutionKind,
        analysis: &mut Analysis,
        timings: &mut BTreeMap<&'static str, f64>,
    ) -> anyhow::Result<Self> {
        let wants = |k: SolutionKind| kind == SolutionKind::All || kind == k;
        let mut extra = Extra { zopa: analysis.zopa.take().and_then(|z| z.into_result().ok()), ..Extra::default() };
        if let Some(repair) = analysis.repair.take() {
            extra.repair = Some(repair.into_result().context("the repair of the draft failed")?);
            extra.blocking = repair::blocking(negotiation, problem, &draft.0);
            extra.below_reservation = repair::below_reservation(problem, &draft.0);
        }
        if wants(SolutionKind::Balance) {
            extra.balance = Some(timed(timings, "balance", || balance::balance(negotiation, draft)));
        }
        Ok(extra)
    }

    pub fn to_json(&self, negotiation: &Negotiation, from_genius: bool, out: &mut Map<String, Json>) {
        let values = |package: &[usize]| Json::Array(package_values(negotiation, package, from_genius));
        if let Some(z) = &self.zopa {
            out.insert(
                "zopa".into(),
                json!({
                    "exists": z.exists,
                    "decided": z.is_decided(),
                    "count": count_json(&z.count),
                    "witness": z.witness.as_deref().map(values),
                }),
            );
        }
        if let Some(r) = &self.repair {
            let blocking: Vec<Json> = self
                .blocking
                .iter()
                .map(|b| {
                    json!({
                        "provision": b.provision,
                        "blocked_by": b.blocked_by.iter().map(|x| json!({
                            "party": x.party,
                            "why": x.why,
                            "reason": x.reason,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let mut repair = match r {
                RepairOutcome::Repaired(r) => json!({
                    "kind": "repaired",
                    "changes": r.changes.iter().map(|c| json!({
                        "issue": c.issue_id,
                        "from": value_json(negotiation, c.issue, c.from, from_genius),
                        "to": value_json(negotiation, c.issue, c.to, from_genius),
                    })).collect::<Vec<_>>(),
                    "package": values(&r.package),
                    "utilities": r.utilities,
                    "nash_product": r.nash_product,
                    "active_rules": r.active_rules,
                }),
                RepairOutcome::Unrepairable { reason } => json!({ "kind": "unrepairable", "reason": reason }),
            };
            if let Json::Object(map) = &mut repair {
                map.insert("blocking".into(), Json::Array(blocking));
                map.insert("below_reservation".into(), json!(self.below_reservation));
            }
            out.insert("repair".into(), repair);
        }
        if let Some(b) = &self.balance {
            out.insert("balance".into(), json!(b));
        }
    }

    /// What the mediator wants first: is there a deal, and what blocks the draft.
    pub fn report_before(&self, negotiation: &Negotiation, problem: &Problem, draft: &Package) -> String {
        let mut out = String::new();
        if let Some(z) = &self.zopa {
            out += "Zone of possible agreement\n";
            out += &match (z.exists, z.is_decided()) {
                (true, _) => format!(
                    "  Yes: {} packages give every signatory at least its reservation value.\n  For example: {}\n",
                    describe_count(&z.count),
                    z.witness
                        .as_deref()
                        .map(|w| report::describe_changes(negotiation, &draft.0, w))
                        .unwrap_or_default()
                ),
                (false, true) => "  No: no package gives every signatory at least its reservation value while \
                                  respecting every red line and condition.\n"
                    .to_string(),
                (false, false) => {
                    format!("  Undecided: the search budget ran out ({} packages at most).\n", describe_count(&z.count))
                }
            };
            out += "\n";
        }
        if let Some(r) = &self.repair {
            out += "The draft\n";
            let names: Vec<&str> = problem.parties.iter().map(|p| p.name.as_str()).collect();
            out += &format!("  Utilities: {}\n", report::describe_utilities(&names, &problem.utilities(&draft.0)));
            if !self.below_reservation.is_empty() {
                out += &format!("  Below their walk-away point: {}\n", self.below_reservation.join(", "));
            }
            if self.blocking.is_empty() {
                out += "  No provision blocks any signatory.\n";
            } else {
                let mut table = Table::new(vec!["provision".into(), "blocks".into(), "why".into(), "reason".into()]);
                for block in &self.blocking {
                    for b in &block.blocked_by {
                        table.row(vec![
                            block.provision.clone(),
                            b.party.clone(),
                            match &b.why {
                                BlockKind::Unacceptable => "unacceptable".into(),
                                BlockKind::ConditionFails { issues } => {
                                    format!("condition on {} fails", issues.join(", "))
                                }
                                BlockKind::RedLine { issue } => format!("red line on {issue}"),
                            },
                            b.reason.clone().unwrap_or_default(),
                        ]);
                    }
                }
                out += "  Provisions that block a signatory (reasons are confidential to the mediator):\n";
                out += &table.render();
            }
            out += &match r {
                RepairOutcome::Repaired(r) if r.changes.is_empty() => {
                    "  Repair: none needed — the draft is acceptable to every signatory.\n".to_string()
                }
                RepairOutcome::Repaired(r) => format!(
                    "  Repair: change {} issue{} — {}\n  Then: {} (Nash product {:.6})\n",
                    r.changes.len(),
                    if r.changes.len() == 1 { "" } else { "s" },
                    report::describe_changes(negotiation, &draft.0, &r.package),
                    report::describe_utilities(&names, &r.utilities),
                    r.nash_product
                ),
                RepairOutcome::Unrepairable { reason } => format!("  Repair: impossible — {reason}\n"),
            };
            out += "\n";
        }
        out
    }

    pub fn report_after(&self, negotiation: &Negotiation, _problem: &Problem, _draft: &Package) -> String {
        let Some(balances) = &self.balance else { return String::new() };
        let mut out =
            String::from("Balance of the draft: what each provision gives each party (0 = its worst, 1 = its best)\n");
        let provisions: Vec<&str> = {
            let mut seen: Vec<&str> = Vec::new();
            for b in balances {
                for s in &b.per_provision {
                    if !seen.contains(&s.provision.as_str()) {
                        seen.push(&s.provision);
                    }
                }
            }
            seen
        };
        let mut table = Table::new(
            std::iter::once("provision".to_string())
                .chain(
                    balances
                        .iter()
                        .map(|b| negotiation.party(&b.party).map_or_else(|| b.party.clone(), |p| p.id.clone())),
                )
                .collect(),
        );
        for provision in provisions {
            let mut row = vec![provision.to_string()];
            for b in balances {
                row.push(match b.per_provision.iter().find(|s| s.provision == provision) {
                    Some(s) if s.best - s.worst > 1e-12 => {
                        let share = (s.contribution - s.worst) / (s.best - s.worst);
                        format!("{:.2} {}", share, bar(share))
                    }
                    Some(_) => "  -".into(),
                    None => String::new(),
                });
            }
            table.row(row);
        }
        out += &table.render();
        out += &format!(
            "  Utility: {}\n\n",
            balances.iter().map(|b| format!("{} {:.4}", b.party, b.utility)).collect::<Vec<_>>().join(", ")
        );
        out
    }
}

fn bar(share: f64) -> String {
    let filled = (share.clamp(0.0, 1.0) * 10.0).round() as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(10 - filled))
}

fn count_json(count: &Count) -> Json {
    match count {
        Count::Exact(n) => json!({ "exact": n.to_string() }),
        Count::Bounds { at_least, at_most } => {
            json!({ "at_least": at_least.to_string(), "at_most": at_most.to_string() })
        }
    }
}

fn describe_count(count: &Count) -> String {
    match count {
        Count::Exact(n) => report::group_digits(*n),
        Count::Bounds { at_least, at_most } => {
            format!("between {} and {}", report::group_digits(*at_least), report::group_digits(*at_most))
        }
    }
}
