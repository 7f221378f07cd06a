//! Who gains what from each provision.
//!
//! A party's utility is a sum over issues, and provisions bind issues through
//! their slots, so the utility splits into per-provision contributions. An
//! issue bound by several provisions is attributed to the first of them in
//! text order (counting it twice would make the shares add up to more than the
//! utility); issues bound by no provision are reported together under
//! [`UNBOUND_ISSUES`]. The shares therefore add up to the party's utility
//! (up to rounding: they are summed in a different order).

use accord_core::Negotiation;
use accord_core::Package;
use accord_core::utility::UtilityTables;
use serde::Serialize;

/// The pseudo-provision for issues that no provision binds.
pub const UNBOUND_ISSUES: &str = crate::repair::UNBOUND_ISSUES;

/// One party's utility, provision by provision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartyBalance {
    pub party: String,
    /// The utility of the package, exactly as [`UtilityTables::utility`] computes it.
    pub utility: f64,
    pub per_provision: Vec<ProvisionShare>,
}

/// What a provision's issues give a party, against the party's best and worst
/// choice for those same issues.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvisionShare {
    /// The provision id, or [`UNBOUND_ISSUES`].
    pub provision: String,
    /// Issue ids attributed to this provision, in issue order.
    pub issues: Vec<String>,
    pub contribution: f64,
    pub best: f64,
    pub worst: f64,
}

/// The balance of every party that has a profile (signatories, consulted
/// parties, anyone), in party order. Provisions with no issue attributed to
/// them (fixed text, or issues already attributed) are left out.
pub fn balance(negotiation: &Negotiation, package: &Package) -> Vec<PartyBalance> {
    let attribution = attribute_issues(negotiation);
    negotiation
        .parties
        .iter()
        .filter_map(|party| negotiation.profile(&party.id).map(|profile| (party, profile)))
        .map(|(party, profile)| {
            let tables = UtilityTables::new(negotiation, profile);
            let per_provision = attribution
                .iter()
                .map(|(provision, issues)| {
                    let mut share = ProvisionShare {
                        provision: provision.clone(),
                        issues: issues.iter().map(|&i| negotiation.issues[i].id.clone()).collect(),
                        contribution: 0.0,
                        best: 0.0,
                        worst: 0.0,
                    };
                    for &i in issues {
                        let (lo, hi) = tables.issue_range(i);
                        share.contribution += package.0.get(i).and_then(|&v| tables.tables[i].get(v)).unwrap_or(&0.0);
                        share.best += hi;
                        share.worst += lo;
                    }
                    share
                })
                .collect();
            PartyBalance { party: party.id.clone(), utility: tables.utility(package), per_provision }
        })
        .collect()
}

/// `(provision id, issues)` in text order, each issue under the first
/// provision that binds it, then the unbound issues; empty entries dropped.
fn attribute_issues(negotiation: &Negotiation) -> Vec<(String, Vec<usize>)> {
    let mut taken = vec![false; negotiation.issues.len()];
    let mut out = Vec::new();
    for provision in &negotiation.provisions {
        let mut issues: Vec<usize> = negotiation
            .provision_issues(provision)
            .into_iter()
            .filter(|&i| !std::mem::replace(&mut taken[i], true))
            .collect();
        issues.sort_unstable();
        if !issues.is_empty() {
            out.push((provision.id.clone(), issues));
        }
    }
    let unbound: Vec<usize> = (0..negotiation.issues.len()).filter(|&i| !taken[i]).collect();
    if !unbound.is_empty() {
        out.push((UNBOUND_ISSUES.to_string(), unbound));
    }
    out
}
