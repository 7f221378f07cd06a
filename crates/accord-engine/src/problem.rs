//! The compiled form every analysis works on.
//!
//! A [`Negotiation`](accord_core::Negotiation) is compiled once into a
//! [`Problem`]: utility tables per binding party, the value domains that
//! survive every red line, and the remaining hard rules (constraints and
//! conditional stances) that couple issues.
//!
//! Issues coupled by a rule are fused into one [`Group`] whose values are the
//! joint assignments that satisfy every rule inside the group. After fusion the
//! problem is *separable*: a package is one choice per group, every package
//! satisfies every rule, and each party's utility is the sum of per-group
//! contributions. All algorithms rely on that.

use serde::Serialize;

/// A party the analysis is over: a signatory with a profile (for GENIUS
/// domains, every profile). Its red lines and reservation value bind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisParty {
    pub id: String,
    pub name: String,
    /// The reservation value, which is also the disagreement point `d_i`.
    pub reservation: f64,
}

/// An issue as the analysis reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueInfo {
    pub id: String,
    pub title: String,
    /// Every value in domain order, as written (option ids, or numbers).
    pub values: Vec<accord_core::Value>,
}

/// A hard rule in data form: violated exactly when every `when` test holds and
/// some `then` test fails. An empty allowed set in `then` can never hold, so a
/// rule with such a `then` forbids its `when` outright (an `unacceptable`
/// stance). A rule with empty `when` always applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// Where it comes from, for reports: `constraint "c1"`,
    /// `stance of ua on art-3`, `red line of ru on territory`.
    pub source: String,
    pub when: Vec<IssueTest>,
    pub then: Vec<IssueTest>,
}

/// `issue` takes a value whose index is in `allowed` (`allowed[v]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueTest {
    pub issue: usize,
    pub allowed: Vec<bool>,
}

impl Rule {
    /// Whether a full assignment of issue values (indexed by issue) obeys the rule.
    pub fn holds(&self, values: &[usize]) -> bool {
        let applies = self.when.iter().all(|t| t.allowed.get(values[t.issue]).copied().unwrap_or(false));
        !applies || self.then.iter().all(|t| t.allowed.get(values[t.issue]).copied().unwrap_or(false))
    }

    /// Whether the rule's `when` part holds, i.e. the rule shaped this package.
    pub fn is_active(&self, values: &[usize]) -> bool {
        self.when.iter().all(|t| t.allowed.get(values[t.issue]).copied().unwrap_or(false))
    }

    /// The issues the rule mentions.
    pub fn issues(&self) -> impl Iterator<Item = usize> + '_ {
        self.when.iter().chain(&self.then).map(|t| t.issue)
    }
}

/// A set of issues fused by rules (or a single free issue).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The issues of the group, ascending.
    pub issues: Vec<usize>,
    /// The feasible joint assignments: `assignments[k][j]` is the value index
    /// of `issues[j]` in the `k`-th assignment. Red-lined values are absent.
    pub assignments: Vec<Vec<usize>>,
    /// `utilities[k][p]`: what assignment `k` contributes to party `p`'s
    /// utility (the sum of that party's table entries for the group's issues,
    /// in issue order).
    pub utilities: Vec<Vec<f64>>,
}

/// The compiled analysis problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub parties: Vec<AnalysisParty>,
    pub issues: Vec<IssueInfo>,
    /// Groups in ascending order of their first issue; every issue is in exactly one group.
    pub groups: Vec<Group>,
    /// Every hard rule, kept for reporting which ones were active.
    pub rules: Vec<Rule>,
    /// Per party, per issue, per value: the utility table (`accord_core::utility`).
    pub tables: Vec<Vec<Vec<f64>>>,
}

impl Problem {
    pub fn n_parties(&self) -> usize {
        self.parties.len()
    }

    /// A party's utility for a full package (value index per issue), summed in
    /// issue order exactly as `accord_core::utility` does.
    pub fn utility(&self, party: usize, package: &[usize]) -> f64 {
        self.tables[party].iter().zip(package).fold(0.0, |acc, (t, &v)| acc + t[v])
    }

    pub fn utilities(&self, package: &[usize]) -> Vec<f64> {
        (0..self.parties.len()).map(|p| self.utility(p, package)).collect()
    }

    /// Turns one choice per group into a package (value index per issue).
    pub fn package_of(&self, choice: &[usize]) -> Vec<usize> {
        let mut package = vec![0; self.issues.len()];
        for (group, &k) in self.groups.iter().zip(choice) {
            for (&issue, &value) in group.issues.iter().zip(&group.assignments[k]) {
                package[issue] = value;
            }
        }
        package
    }

    /// Whether a package satisfies every red line (its values survive in the
    /// groups) and every rule.
    pub fn is_feasible(&self, package: &[usize]) -> bool {
        self.rules.iter().all(|r| r.holds(package))
            && self
                .groups
                .iter()
                .all(|g| g.assignments.iter().any(|a| g.issues.iter().zip(a).all(|(&i, &v)| package[i] == v)))
    }

    /// Feasible and at or above every party's reservation value. The test is
    /// exact (`u >= rv`, inclusive) on the issue-order sum, as GENIUS and
    /// NegMAS apply it: utilities are computed with the same operations in the
    /// same order, so the same packages pass.
    pub fn is_rational(&self, package: &[usize]) -> bool {
        self.is_feasible(package)
            && self.parties.iter().enumerate().all(|(p, party)| self.utility(p, package) >= party.reservation)
    }
}

/// The tolerance of every comparison of utilities: vectors within `TOL` in
/// every coordinate are one point, and dominance needs a gain above `TOL`.
pub const TOL: f64 = 1e-9;
