//! Shared by the `compile_*`, `zopa_*`, `repair_*` and `balance_*` tests:
//! negotiations built in code, a proptest strategy for small random ones, and
//! a brute-force reference that reads the model's semantics directly (without
//! going through the compiled problem).
#![allow(dead_code)]

use accord_core::utility::UtilityTables;
use accord_core::{
    Condition, Constraint, Issue, IssueKind, IssueOption, Negotiation, NumericRange, Package, Party, Position, Profile,
    Provision, Rating, Role, Stance, Test, Timetable, Value, Weighting,
};
use proptest::prelude::*;

pub fn party(id: &str, role: Role) -> Party {
    Party { id: id.into(), name: id.to_uppercase(), role }
}

pub fn discrete(id: &str, options: &[&str]) -> Issue {
    Issue {
        id: id.into(),
        title: id.into(),
        kind: IssueKind::Discrete {
            options: options.iter().map(|o| IssueOption { id: (*o).into(), label: o.to_uppercase() }).collect(),
        },
        draft: None,
    }
}

pub fn numeric(id: &str, min: f64, max: f64, step: f64) -> Issue {
    Issue {
        id: id.into(),
        title: id.into(),
        kind: IssueKind::Numeric(NumericRange { min, max, step, integer: true, unit: None }),
        draft: None,
    }
}

pub fn with_draft(mut issue: Issue, value: &str) -> Issue {
    issue.draft = Some(Value::Option(value.into()));
    issue
}

/// A provision whose body has one slot per named issue.
pub fn provision(id: &str, issues: &[&str]) -> Provision {
    let body = if issues.is_empty() {
        "Fixed text.".to_string()
    } else {
        issues.iter().map(|i| format!("{{{i}}}")).collect::<Vec<_>>().join(" and ")
    };
    Provision { id: id.into(), number: id.into(), heading: id.into(), body, wordings: Vec::new() }
}

pub fn is(issue: &str, values: &[&str]) -> Condition {
    Condition { issue: issue.into(), test: Test::OneOf(values.iter().map(|v| (*v).into()).collect()) }
}

pub fn between(issue: &str, min: Option<f64>, max: Option<f64>) -> Condition {
    Condition { issue: issue.into(), test: Test::Range { min, max } }
}

pub fn constraint(id: &str, when: Vec<Condition>, then: Vec<Condition>) -> Constraint {
    Constraint { id: id.into(), description: None, when, then }
}

pub fn stance(party: &str, provision: &str, position: Position, reason: Option<&str>) -> Stance {
    Stance { party: party.into(), provision: provision.into(), position, reason: reason.map(Into::into), pin: None }
}

/// A normalised profile: `ratings[i]` rates issue `i`'s values in domain order.
pub fn profile(negotiation: &Negotiation, party: &str, weights: &[f64], ratings: &[&[f64]], rv: f64) -> Profile {
    let mut rated = Vec::new();
    for (issue, values) in negotiation.issues.iter().zip(ratings) {
        let rating = match &issue.kind {
            IssueKind::Discrete { options } => {
                Rating::Table(options.iter().zip(values.iter()).map(|(o, r)| (o.id.clone(), *r)).collect())
            }
            IssueKind::Numeric(range) => {
                Rating::Piecewise((0..values.len()).map(|k| (range.value_at(k), values[k])).collect())
            }
        };
        rated.push((issue.id.clone(), rating));
    }
    Profile {
        party: party.into(),
        illustrative: true,
        weighting: Weighting::Normalised,
        weights: negotiation.issues.iter().zip(weights).map(|(i, w)| (i.id.clone(), *w)).collect(),
        ratings: rated,
        red_lines: Vec::new(),
        reservation: rv,
        discount_factor: None,
    }
}

pub fn negotiation(parties: Vec<Party>, issues: Vec<Issue>, provisions: Vec<Provision>) -> Negotiation {
    Negotiation {
        id: "test".into(),
        title: "Test".into(),
        description: String::new(),
        parties,
        issues,
        provisions,
        constraints: Vec::new(),
        timetable: Timetable::default(),
        profiles: Vec::new(),
        stances: Vec::new(),
        privacy: Default::default(),
    }
}

// ---------------------------------------------------------------------------
// The brute-force reference.

/// Every package of the negotiation, in lexicographic order.
pub fn all_packages(negotiation: &Negotiation) -> Vec<Vec<usize>> {
    let sizes: Vec<usize> = negotiation.issues.iter().map(Issue::value_count).collect();
    let mut out = Vec::new();
    let mut package = vec![0; sizes.len()];
    if sizes.contains(&0) {
        return out;
    }
    loop {
        out.push(package.clone());
        let mut pos = sizes.len();
        loop {
            if pos == 0 {
                return out;
            }
            pos -= 1;
            package[pos] += 1;
            if package[pos] < sizes[pos] {
                break;
            }
            package[pos] = 0;
        }
    }
}

/// Signatories with a profile, in party order.
pub fn binding_parties(negotiation: &Negotiation) -> Vec<(String, Profile)> {
    negotiation
        .parties
        .iter()
        .filter(|p| p.role == Role::Signatory)
        .filter_map(|p| negotiation.profile(&p.id).map(|pr| (p.id.clone(), pr.clone())))
        .collect()
}

fn holds(negotiation: &Negotiation, condition: &Condition, package: &[usize]) -> bool {
    let i = negotiation.issue_index(&condition.issue).unwrap();
    condition.matches(&negotiation.issues[i], package[i])
}

/// The model's semantics, with the binding parties and their tables prepared once.
pub struct Reference<'a> {
    negotiation: &'a Negotiation,
    binding: Vec<(String, Profile)>,
    tables: Vec<UtilityTables>,
}

impl<'a> Reference<'a> {
    pub fn new(negotiation: &'a Negotiation) -> Self {
        let binding = binding_parties(negotiation);
        let tables = binding.iter().map(|(_, p)| UtilityTables::new(negotiation, p)).collect();
        Reference { negotiation, binding, tables }
    }

    /// The hard rules read straight from the model.
    pub fn feasible(&self, package: &[usize]) -> bool {
        let negotiation = self.negotiation;
        for (_, profile) in &self.binding {
            if profile.red_lines.iter().any(|line| holds(negotiation, line, package)) {
                return false;
            }
        }
        for c in &negotiation.constraints {
            if c.when.iter().all(|w| holds(negotiation, w, package))
                && !c.then.iter().all(|t| holds(negotiation, t, package))
            {
                return false;
            }
        }
        for s in &negotiation.stances {
            if !self.binding.iter().any(|(id, _)| *id == s.party) {
                continue;
            }
            let provision = negotiation.provision(&s.provision).unwrap();
            let reads_as_draft = negotiation
                .provision_issues(provision)
                .iter()
                .all(|&i| package[i] == negotiation.issues[i].draft_index());
            if !reads_as_draft {
                continue;
            }
            match &s.position {
                Position::Acceptable => {}
                Position::Unacceptable => return false,
                Position::AcceptableIf { conditions } => {
                    if !conditions.iter().all(|c| holds(negotiation, c, package)) {
                        return false;
                    }
                }
            }
        }
        true
    }

    pub fn utilities(&self, package: &[usize]) -> Vec<f64> {
        let package = Package(package.to_vec());
        self.tables.iter().map(|t| t.utility(&package)).collect()
    }

    pub fn rational(&self, package: &[usize]) -> bool {
        self.feasible(package)
            && self.utilities(package).iter().zip(&self.binding).all(|(u, (_, p))| *u >= p.reservation)
    }

    pub fn nash_product(&self, package: &[usize]) -> f64 {
        self.utilities(package).iter().zip(&self.binding).map(|(u, (_, p))| u - p.reservation).product()
    }
}

pub fn feasible(negotiation: &Negotiation, package: &[usize]) -> bool {
    Reference::new(negotiation).feasible(package)
}

pub fn utilities(negotiation: &Negotiation, package: &[usize]) -> Vec<f64> {
    Reference::new(negotiation).utilities(package)
}

pub fn rational(negotiation: &Negotiation, package: &[usize]) -> bool {
    Reference::new(negotiation).rational(package)
}

pub fn nash_product(negotiation: &Negotiation, package: &[usize]) -> f64 {
    Reference::new(negotiation).nash_product(package)
}

// ---------------------------------------------------------------------------
// Random small negotiations.

const RATINGS: [f64; 6] = [0.0, 0.2, 0.25, 0.5, 0.8, 1.0];

/// A random condition on a random issue: a subset of options, or a range for the numeric issue.
fn condition(issues: &[Issue], pick: (usize, u8, u8)) -> Condition {
    let issue = &issues[pick.0 % issues.len()];
    match &issue.kind {
        IssueKind::Discrete { options } => {
            let chosen: Vec<&str> = options
                .iter()
                .enumerate()
                .filter(|(k, _)| pick.1 & (1 << k) != 0)
                .map(|(_, o)| o.id.as_str())
                .collect();
            is(&issue.id, &chosen)
        }
        IssueKind::Numeric(range) => {
            let n = range.len().unwrap_or(1);
            let a = range.value_at(pick.1 as usize % n);
            let b = range.value_at(pick.2 as usize % n);
            match pick.2 % 3 {
                0 => between(&issue.id, Some(a.min(b)), Some(a.max(b))),
                1 => between(&issue.id, Some(a), None),
                _ => between(&issue.id, None, Some(b)),
            }
        }
    }
}

type Pick = (usize, u8, u8);

#[derive(Debug, Clone)]
struct Spec {
    sizes: Vec<usize>,
    numeric_last: bool,
    drafts: Vec<usize>,
    roles: Vec<u8>,
    has_profile: Vec<bool>,
    weights: Vec<Vec<u8>>,
    ratings: Vec<Vec<Vec<usize>>>,
    rv: Vec<(u8, usize)>,
    red_lines: Vec<Vec<Pick>>,
    provisions: Vec<Vec<usize>>,
    constraints: Vec<(Vec<Pick>, Vec<Pick>)>,
    stances: Vec<(usize, usize, u8, Vec<Pick>)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (1usize..=5, 2usize..=5).prop_flat_map(|(n_issues, n_parties)| {
        let pick = || (0usize..8, any::<u8>(), any::<u8>());
        (
            proptest::collection::vec(1usize..=4, n_issues),
            any::<bool>(),
            proptest::collection::vec(0usize..4, n_issues),
            proptest::collection::vec(0u8..10, n_parties),
            proptest::collection::vec(proptest::bool::weighted(0.85), n_parties),
            proptest::collection::vec(proptest::collection::vec(0u8..4, n_issues), n_parties),
            proptest::collection::vec(
                proptest::collection::vec(proptest::collection::vec(0usize..RATINGS.len(), 4), n_issues),
                n_parties,
            ),
            proptest::collection::vec((0u8..10, any::<usize>()), n_parties),
            proptest::collection::vec(proptest::collection::vec(pick(), 0..=1), n_parties),
            proptest::collection::vec(proptest::collection::vec(0usize..8, 0..=2), 0..=4),
            proptest::collection::vec(
                (proptest::collection::vec(pick(), 1..=2), proptest::collection::vec(pick(), 1..=2)),
                0..=2,
            ),
            proptest::collection::vec((0usize..8, 0usize..8, 0u8..6, proptest::collection::vec(pick(), 0..=2)), 0..=3),
        )
            .prop_map(
                |(
                    sizes,
                    numeric_last,
                    drafts,
                    roles,
                    has_profile,
                    weights,
                    ratings,
                    rv,
                    red_lines,
                    provisions,
                    constraints,
                    stances,
                )| Spec {
                    sizes,
                    numeric_last,
                    drafts,
                    roles,
                    has_profile,
                    weights,
                    ratings,
                    rv,
                    red_lines,
                    provisions,
                    constraints,
                    stances,
                },
            )
    })
}

fn build(spec: Spec) -> Negotiation {
    let n_issues = spec.sizes.len();
    let mut issues: Vec<Issue> = (0..n_issues)
        .map(|i| {
            let options: Vec<String> = (0..spec.sizes[i]).map(|k| format!("o{k}")).collect();
            let refs: Vec<&str> = options.iter().map(String::as_str).collect();
            discrete(&format!("i{i}"), &refs)
        })
        .collect();
    if spec.numeric_last {
        let last = n_issues - 1;
        let n = spec.sizes[last] as f64;
        issues[last] = numeric(&format!("i{last}"), 10.0, 10.0 * n, 10.0);
    }
    for (issue, &d) in issues.iter_mut().zip(&spec.drafts) {
        let k = d % issue.value_count();
        issue.draft = issue.value_at(k);
    }
    // Mostly signatories; the first party always is one.
    let roles: Vec<Role> = spec
        .roles
        .iter()
        .enumerate()
        .map(|(p, &r)| match r {
            _ if p == 0 => Role::Signatory,
            0 | 1 => Role::Consulted,
            2 => Role::Mediator,
            _ => Role::Signatory,
        })
        .collect();
    let parties: Vec<Party> = roles.iter().enumerate().map(|(p, &role)| party(&format!("p{p}"), role)).collect();
    let provisions: Vec<Provision> = spec
        .provisions
        .iter()
        .enumerate()
        .map(|(k, bound)| {
            let ids: Vec<String> = bound.iter().map(|&i| format!("i{}", i % n_issues)).collect();
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            provision(&format!("art-{k}"), &refs)
        })
        .collect();
    let mut neg = negotiation(parties, issues, provisions);
    for (k, (when, then)) in spec.constraints.iter().enumerate() {
        let when = when.iter().map(|&p| condition(&neg.issues, p)).collect();
        let then = then.iter().map(|&p| condition(&neg.issues, p)).collect();
        neg.constraints.push(constraint(&format!("c{k}"), when, then));
    }
    for p in 0..spec.roles.len() {
        if !spec.has_profile[p] && p != 0 {
            continue;
        }
        let weights: Vec<f64> = spec.weights[p].iter().map(|&w| f64::from(w)).collect();
        let ratings: Vec<Vec<f64>> = spec.ratings[p].iter().map(|r| r.iter().map(|&k| RATINGS[k]).collect()).collect();
        let refs: Vec<&[f64]> = ratings.iter().map(Vec::as_slice).collect();
        let mut prof = profile(&neg, &format!("p{p}"), &weights, &refs, 0.0);
        prof.red_lines = spec.red_lines[p].iter().map(|&pick| condition(&neg.issues, pick)).collect();
        // Reservation values: often the exact utility of some package, to test the inclusive boundary.
        let (kind, seed) = spec.rv[p];
        prof.reservation = match kind {
            0..=4 => {
                let packages = all_packages(&neg);
                let package = &packages[seed % packages.len()];
                UtilityTables::new(&neg, &prof).utility(&Package(package.clone()))
            }
            5 => 0.0,
            k => f64::from(k - 5) * 0.15,
        };
        neg.profiles.push(prof);
    }
    if !neg.provisions.is_empty() {
        for &(party_pick, provision_pick, position, ref conditions) in &spec.stances {
            let party = format!("p{}", party_pick % spec.roles.len());
            let provision = neg.provisions[provision_pick % neg.provisions.len()].id.clone();
            let position = match position {
                0 | 1 => Position::Unacceptable,
                2 => Position::Acceptable,
                _ => Position::AcceptableIf {
                    conditions: conditions.iter().map(|&p| condition(&neg.issues, p)).collect(),
                },
            };
            neg.stances.push(stance(&party, &provision, position, Some("private reason")));
        }
    }
    neg
}

/// Small random negotiations: 1–5 issues of 1–4 values (the last sometimes
/// numeric), 2–5 parties (the first a signatory with a profile), red lines,
/// constraints, stances, provisions binding 0–2 issues, reservation values
/// often exactly equal to some package's utility.
pub fn small_negotiation() -> impl Strategy<Value = Negotiation> {
    spec().prop_map(build)
}
