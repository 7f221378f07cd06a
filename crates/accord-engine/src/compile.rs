//! Compiling a negotiation into a [`Problem`].
//!
//! What binds the analysis, and how it is encoded:
//!
//! * the analysis parties are the signatories that have a profile, in party
//!   order (consulted parties have no veto; see [`consulted_tables`]);
//! * each analysis party's red lines remove the values they name from the
//!   issue's domain (they are not kept as [`Rule`]s; [`CompileReport::red_lines`]
//!   says what each removed);
//! * every constraint, and every `unacceptable` or `acceptable_if` stance of an
//!   analysis party, becomes a [`Rule`]. A stance pinned to the wording its
//!   party was shown applies when every issue the provision binds takes its
//!   pinned value, as long as the provision rendered at those values still reads
//!   as pinned; otherwise it is stale, makes no rule and is listed in
//!   [`CompileReport::stale`]. An unpinned stance (logged before pins existed)
//!   is about the provision as the draft reads: its rule applies when every
//!   bound issue takes its draft value. An `unacceptable` fixed-text provision
//!   (no slot) applies always and makes the problem infeasible;
//! * a rule on one issue just filters that issue's domain; issues linked by a
//!   rule on several issues are fused into one [`Group`] holding every joint
//!   assignment that satisfies the rules inside it.
//!
//! An infeasible problem is still a problem: some group has no assignment at
//! all (`assignments` and `utilities` empty), so every analysis finds no
//! package, and [`CompileReport::infeasible`] says why.

use accord_core::utility::UtilityTables;
use accord_core::{Condition, Negotiation, Position, Role, StanceStanding, limits};
use serde::Serialize;

use crate::problem::{AnalysisParty, Group, IssueInfo, IssueTest, Rule};
use crate::{EngineError, Problem};

/// Limits of [`compile_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileOptions {
    /// Most joint assignments kept for one group of linked issues.
    pub max_group_assignments: usize,
    /// Most partial assignments visited while enumerating one group; bounds the
    /// work when tight rules leave few survivors of a huge product.
    pub max_enumeration_steps: u64,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions { max_group_assignments: 1_000_000, max_enumeration_steps: 50_000_000 }
    }
}

/// What the compilation did that a report may want to explain. It names
/// private facts (red lines), so the caller's policy decides who sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompileReport {
    /// One entry per red line of an analysis party.
    pub red_lines: Vec<RedLineEffect>,
    /// Why no package satisfies the hard rules; empty when some package does.
    pub infeasible: Vec<String>,
    /// The analysis parties' stances whose pinned wording is gone, in stance
    /// order: they make no rule (they neither block nor accept anything).
    pub stale: Vec<StaleStance>,
}

/// A pinned stance that answers a wording the text no longer has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaleStance {
    pub party: String,
    pub provision: String,
    /// The latest published version when the stance was taken (0 if none was).
    pub pinned_version: u32,
}

/// The values one red line removed from an issue's domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedLineEffect {
    pub party: String,
    pub issue: usize,
    pub issue_id: String,
    /// Value indices the red line names (some may also be named by other red lines).
    pub removed: Vec<usize>,
}

/// Refuses, before anything is allocated per value, an issue with more values
/// than [`limits::MAX_VALUES_PER_ISSUE`] or issues with more values together
/// than [`limits::MAX_TOTAL_VALUES`]: every table below has one entry per value
/// per party. Values are counted from a range's bounds and step, so a range of
/// billions of points costs nothing to refuse, even in a negotiation that was
/// never validated. The outcome space (the product of the counts) is not
/// capped: separable problems are solved without enumerating it.
///
/// [`compile`] calls it first; call it yourself before building
/// [`UtilityTables`] outside a compilation.
pub fn check_table_sizes(negotiation: &Negotiation) -> Result<(), EngineError> {
    let mut total: u64 = 0;
    for issue in &negotiation.issues {
        let count = limits::issue_value_count(issue);
        if count > limits::MAX_VALUES_PER_ISSUE {
            return Err(EngineError::TooLarge {
                what: format!("issue \"{}\" with {} values", issue.id, limits::format_count(count)),
                limit: u128::from(limits::MAX_VALUES_PER_ISSUE),
                hint: "values per issue (limits::MAX_VALUES_PER_ISSUE); use a larger step or fewer options".into(),
            });
        }
        total = total.saturating_add(count);
    }
    if total > limits::MAX_TOTAL_VALUES {
        return Err(EngineError::TooLarge {
            what: format!("the issues' {} values together", limits::format_count(total)),
            limit: u128::from(limits::MAX_TOTAL_VALUES),
            hint: "values of all issues together (limits::MAX_TOTAL_VALUES); use larger steps or fewer options".into(),
        });
    }
    Ok(())
}

/// Compiles with the default limits.
pub fn compile(negotiation: &Negotiation) -> Result<Problem, EngineError> {
    compile_with(negotiation, &CompileOptions::default()).map(|(problem, _)| problem)
}

/// Compiles and explains: the problem plus what the red lines removed and why
/// the problem is infeasible, if it is.
pub fn compile_with(
    negotiation: &Negotiation,
    options: &CompileOptions,
) -> Result<(Problem, CompileReport), EngineError> {
    let analysis = analysis_parties(negotiation)?;
    if negotiation.issues.is_empty() {
        return Err(EngineError::Invalid("the negotiation has no issues: there is nothing to analyse".into()));
    }
    check_table_sizes(negotiation)?;
    let mut issues = Vec::with_capacity(negotiation.issues.len());
    for issue in &negotiation.issues {
        let n = issue.value_count();
        if n == 0 {
            return Err(EngineError::Invalid(format!(
                "issue \"{}\" has no values (an empty option list or an invalid numeric range); run `accord check`",
                issue.id
            )));
        }
        let values = (0..n).filter_map(|v| issue.value_at(v)).collect();
        issues.push(IssueInfo { id: issue.id.clone(), title: issue.title.clone(), values });
    }

    let mut parties = Vec::with_capacity(analysis.len());
    let mut tables = Vec::with_capacity(analysis.len());
    for (party, profile) in &analysis {
        parties.push(AnalysisParty {
            id: party.id.clone(),
            name: party.name.clone(),
            reservation: profile.reservation,
        });
        tables.push(UtilityTables::new(negotiation, profile).tables);
    }

    let mut domains: Vec<Vec<bool>> = issues.iter().map(|i| vec![true; i.values.len()]).collect();
    // Which hard rules (by source) narrowed each issue's domain, for explaining infeasibility.
    let mut narrowed_by: Vec<Vec<String>> = vec![Vec::new(); issues.len()];
    let mut red_lines = Vec::new();
    for (party, profile) in &analysis {
        for line in &profile.red_lines {
            let what = format!("a red line of {}", party.id);
            let test = issue_test(negotiation, line, &what)?;
            let removed: Vec<usize> = (0..test.allowed.len()).filter(|&v| test.allowed[v]).collect();
            for &v in &removed {
                domains[test.issue][v] = false;
            }
            let source = format!("red line of {} on {}", party.id, line.issue);
            if !removed.is_empty() && !narrowed_by[test.issue].contains(&source) {
                narrowed_by[test.issue].push(source);
            }
            red_lines.push(RedLineEffect {
                party: party.id.clone(),
                issue: test.issue,
                issue_id: line.issue.clone(),
                removed,
            });
        }
    }

    let (rules, stale) = hard_rules(negotiation, &analysis)?;
    let mut infeasible = Vec::new();
    for rule in &rules {
        if rule.when.is_empty() && rule.then.iter().any(|t| t.allowed.iter().all(|a| !a)) {
            infeasible.push(format!(
                "{} forbids every package: the provision is fixed text (no slot), so no choice of values can \
                 change it; revise its text or the stance",
                rule.source
            ));
        }
    }

    // Rules on one issue filter its domain; rules on several link the issues.
    let mut links = UnionFind::new(issues.len());
    let mut linking_rules = Vec::new();
    let mut scratch = vec![0usize; issues.len()];
    for (r, rule) in rules.iter().enumerate() {
        let mentioned = distinct_issues(rule);
        match mentioned.as_slice() {
            [] => {}
            [issue] => {
                let mut narrowed = false;
                for v in 0..domains[*issue].len() {
                    scratch[*issue] = v;
                    if domains[*issue][v] && !rule.holds(&scratch) {
                        domains[*issue][v] = false;
                        narrowed = true;
                    }
                }
                if narrowed && !narrowed_by[*issue].contains(&rule.source) {
                    narrowed_by[*issue].push(rule.source.clone());
                }
            }
            [first, rest @ ..] => {
                for &other in rest {
                    links.union(*first, other);
                }
                linking_rules.push((r, mentioned.clone()));
            }
        }
    }

    let mut components: Vec<Vec<usize>> = Vec::new();
    let mut component_of_root = vec![usize::MAX; issues.len()];
    for issue in 0..issues.len() {
        let root = links.find(issue);
        if component_of_root[root] == usize::MAX {
            component_of_root[root] = components.len();
            components.push(Vec::new());
        }
        components[component_of_root[root]].push(issue);
    }

    let mut groups = Vec::with_capacity(components.len());
    for component in components {
        let root = links.find(component[0]);
        let inside: Vec<(usize, &[usize])> = linking_rules
            .iter()
            .filter(|(_, mentioned)| links.find(mentioned[0]) == root)
            .map(|(r, mentioned)| (*r, mentioned.as_slice()))
            .collect();
        let assignments = enumerate_group(&component, &domains, &rules, &inside, &issues, options)?;
        if assignments.is_empty() {
            infeasible.push(explain_empty_group(&component, &issues, &narrowed_by, &rules, &inside));
        }
        let utilities = assignments
            .iter()
            .map(|assignment| {
                tables
                    .iter()
                    .map(|table| component.iter().zip(assignment).fold(0.0, |acc, (&i, &v)| acc + table[i][v]))
                    .collect()
            })
            .collect();
        groups.push(Group { issues: component, assignments, utilities });
    }

    let problem = Problem { parties, issues, groups, rules, tables };
    Ok((problem, CompileReport { red_lines, infeasible, stale }))
}

/// The utility tables of the consulted parties that have a profile, in party
/// order, so reports can show how a package serves them. They have no veto:
/// their red lines, stances and reservation values do not bind the analysis.
/// A negotiation whose tables [`check_table_sizes`] refuses (and so cannot be
/// compiled) has none: building them would allocate without bound.
pub fn consulted_tables(negotiation: &Negotiation) -> Vec<(String, UtilityTables)> {
    if check_table_sizes(negotiation).is_err() {
        return Vec::new();
    }
    negotiation
        .parties_with_role(Role::Consulted)
        .filter_map(|party| {
            negotiation.profile(&party.id).map(|profile| (party.id.clone(), UtilityTables::new(negotiation, profile)))
        })
        .collect()
}

impl Problem {
    /// The same problem with some issues fixed: every group keeps only the
    /// assignments that give each fixed issue its fixed value. Issues, rules and
    /// tables are unchanged, so packages stay full-length and comparable with
    /// those of the original problem. A group left without assignments makes
    /// the restricted problem infeasible.
    pub fn restrict(&self, fixed: &[(usize, usize)]) -> Problem {
        let groups = self
            .groups
            .iter()
            .map(|group| {
                let pins: Vec<(usize, usize)> = fixed
                    .iter()
                    .filter_map(|&(issue, value)| {
                        group.issues.iter().position(|&i| i == issue).map(|slot| (slot, value))
                    })
                    .collect();
                let mut out = Group { issues: group.issues.clone(), assignments: Vec::new(), utilities: Vec::new() };
                for (assignment, utilities) in group.assignments.iter().zip(&group.utilities) {
                    if pins.iter().all(|&(slot, value)| assignment[slot] == value) {
                        out.assignments.push(assignment.clone());
                        out.utilities.push(utilities.clone());
                    }
                }
                out
            })
            .collect();
        Problem {
            parties: self.parties.clone(),
            issues: self.issues.clone(),
            groups,
            rules: self.rules.clone(),
            tables: self.tables.clone(),
        }
    }

    /// Whether some package satisfies every hard rule (every group has an assignment).
    pub fn has_feasible_package(&self) -> bool {
        self.groups.iter().all(|g| !g.assignments.is_empty())
    }

    /// The sources of the rules that shaped `package` (their `when` holds).
    pub fn active_rules(&self, package: &[usize]) -> Vec<String> {
        self.rules.iter().filter(|r| r.is_active(package)).map(|r| r.source.clone()).collect()
    }

    /// The sources of the rules `package` breaks.
    pub fn violated_rules(&self, package: &[usize]) -> Vec<String> {
        self.rules.iter().filter(|r| !r.holds(package)).map(|r| r.source.clone()).collect()
    }
}

fn analysis_parties(
    negotiation: &Negotiation,
) -> Result<Vec<(&accord_core::Party, &accord_core::Profile)>, EngineError> {
    let analysis: Vec<_> = negotiation
        .parties_with_role(Role::Signatory)
        .filter_map(|party| negotiation.profile(&party.id).map(|profile| (party, profile)))
        .collect();
    if analysis.is_empty() {
        let signatories: Vec<&str> = negotiation.parties_with_role(Role::Signatory).map(|p| p.id.as_str()).collect();
        let message = if signatories.is_empty() {
            "no party is a signatory, so nobody's preferences bind the analysis; give the parties that must \
             agree `role = \"signatory\"` and a [profile.<id>] table"
                .to_string()
        } else {
            format!(
                "no signatory has a profile; add [profile.<id>] with weights, ratings and a reservation value for \
                 at least one of the signatories ({})",
                signatories.join(", ")
            )
        };
        return Err(EngineError::Invalid(message));
    }
    Ok(analysis)
}

/// Every constraint and every binding stance of an analysis party, as rules,
/// and the analysis parties' stale stances (which make none).
fn hard_rules(
    negotiation: &Negotiation,
    analysis: &[(&accord_core::Party, &accord_core::Profile)],
) -> Result<(Vec<Rule>, Vec<StaleStance>), EngineError> {
    let mut rules = Vec::new();
    let mut stale = Vec::new();
    for constraint in &negotiation.constraints {
        let what = format!("constraint \"{}\"", constraint.id);
        let when = conditions(negotiation, &constraint.when, &what)?;
        let then = conditions(negotiation, &constraint.then, &what)?;
        rules.push(Rule { source: what, when, then });
    }
    for stance in &negotiation.stances {
        if !analysis.iter().any(|(party, _)| party.id == stance.party) {
            continue;
        }
        let source = format!("stance of {} on {}", stance.party, stance.provision);
        let provision = negotiation.provision(&stance.provision).ok_or_else(|| {
            EngineError::Invalid(format!(
                "the {source} names provision \"{}\", which is not defined; defined provisions: {}",
                stance.provision,
                negotiation.provisions.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let bound = negotiation.provision_issues(provision);
        // An unpinned stance is about the text as the draft reads: it applies
        // when every issue the provision binds takes its draft value. A pinned
        // one applies where they take the pinned values, and a stale one (its
        // wording is gone) answers nothing, so it makes no rule.
        let at: Vec<(usize, usize)> = match negotiation.stance_standing(stance) {
            StanceStanding::Unpinned => bound.iter().map(|&i| (i, negotiation.issues[i].draft_index())).collect(),
            StanceStanding::Current(at) => at,
            StanceStanding::Stale => {
                stale.push(StaleStance {
                    party: stance.party.clone(),
                    provision: stance.provision.clone(),
                    pinned_version: stance.pin.as_ref().map_or(0, |pin| pin.version),
                });
                continue;
            }
        };
        let when: Vec<IssueTest> = at
            .iter()
            .map(|&(i, pinned)| IssueTest {
                issue: i,
                allowed: (0..negotiation.issues[i].value_count()).map(|v| v == pinned).collect(),
            })
            .collect();
        match &stance.position {
            Position::Acceptable => {}
            Position::Unacceptable => {
                let issue = bound.first().copied().unwrap_or(0);
                let impossible = IssueTest { issue, allowed: vec![false; negotiation.issues[issue].value_count()] };
                rules.push(Rule { source, when, then: vec![impossible] });
            }
            Position::AcceptableIf { conditions: required } => {
                let then = conditions(negotiation, required, &source)?;
                rules.push(Rule { source, when, then });
            }
        }
    }
    Ok((rules, stale))
}

fn conditions(negotiation: &Negotiation, list: &[Condition], what: &str) -> Result<Vec<IssueTest>, EngineError> {
    list.iter().map(|c| issue_test(negotiation, c, what)).collect()
}

fn issue_test(negotiation: &Negotiation, condition: &Condition, what: &str) -> Result<IssueTest, EngineError> {
    let index = negotiation.issue_index(&condition.issue).ok_or_else(|| {
        EngineError::Invalid(format!(
            "{what} names issue \"{}\", which is not defined; defined issues: {}",
            condition.issue,
            negotiation.issues.iter().map(|i| i.id.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let issue = &negotiation.issues[index];
    Ok(IssueTest { issue: index, allowed: (0..issue.value_count()).map(|v| condition.matches(issue, v)).collect() })
}

fn distinct_issues(rule: &Rule) -> Vec<usize> {
    let mut issues: Vec<usize> = rule.issues().collect();
    issues.sort_unstable();
    issues.dedup();
    issues
}

/// Every joint assignment of `component` (issues ascending) drawn from the
/// surviving domains that satisfies the linking rules `inside`, in
/// lexicographic order with the last issue varying fastest. Backtracking
/// checks each rule as soon as its last issue is assigned.
fn enumerate_group(
    component: &[usize],
    domains: &[Vec<bool>],
    rules: &[Rule],
    inside: &[(usize, &[usize])],
    issues: &[IssueInfo],
    options: &CompileOptions,
) -> Result<Vec<Vec<usize>>, EngineError> {
    let values: Vec<Vec<usize>> =
        component.iter().map(|&i| (0..domains[i].len()).filter(|&v| domains[i][v]).collect()).collect();
    if values.iter().any(Vec::is_empty) {
        return Ok(Vec::new());
    }
    if component.len() == 1 {
        return Ok(values[0].iter().map(|&v| vec![v]).collect());
    }
    // check_at[d]: the rules whose last issue is component[d].
    let mut check_at: Vec<Vec<usize>> = vec![Vec::new(); component.len()];
    for &(r, mentioned) in inside {
        let last = mentioned.iter().filter_map(|i| component.iter().position(|c| c == i)).max().unwrap_or(0);
        check_at[last].push(r);
    }
    let too_large = |what: &str, limit: u128| {
        let ids: Vec<&str> = component.iter().map(|&i| issues[i].id.as_str()).collect();
        let sources: Vec<&str> = inside.iter().map(|&(r, _)| rules[r].source.as_str()).collect();
        EngineError::TooLarge {
            what: format!("{what} for the linked issues {}", ids.join(", ")),
            limit,
            hint: format!(
                "these issues are linked by {}; split or loosen those rules, or coarsen the numeric ranges (a \
                 larger step)",
                sources.join(", ")
            ),
        }
    };

    let mut scratch = vec![0usize; issues.len()];
    let mut cursor = vec![0usize; component.len()];
    let mut out = Vec::new();
    let mut steps: u64 = 0;
    let mut depth = 0usize;
    // Iterative backtracking: cursor[d] is the next candidate index at depth d.
    loop {
        if cursor[depth] == values[depth].len() {
            if depth == 0 {
                break;
            }
            cursor[depth] = 0;
            depth -= 1;
            continue;
        }
        steps += 1;
        if steps > options.max_enumeration_steps {
            return Err(too_large("the enumeration of joint assignments", options.max_enumeration_steps.into()));
        }
        scratch[component[depth]] = values[depth][cursor[depth]];
        cursor[depth] += 1;
        if !check_at[depth].iter().all(|&r| rules[r].holds(&scratch)) {
            continue;
        }
        if depth + 1 == component.len() {
            if out.len() == options.max_group_assignments {
                return Err(too_large("the number of joint assignments", options.max_group_assignments as u128));
            }
            out.push(component.iter().map(|&i| scratch[i]).collect());
        } else {
            depth += 1;
        }
    }
    Ok(out)
}

fn explain_empty_group(
    component: &[usize],
    issues: &[IssueInfo],
    narrowed_by: &[Vec<String>],
    rules: &[Rule],
    inside: &[(usize, &[usize])],
) -> String {
    let mut sources: Vec<&str> = Vec::new();
    for &i in component {
        for s in &narrowed_by[i] {
            if !sources.contains(&s.as_str()) {
                sources.push(s);
            }
        }
    }
    for &(r, _) in inside {
        if !sources.contains(&rules[r].source.as_str()) {
            sources.push(&rules[r].source);
        }
    }
    let ids: Vec<&str> = component.iter().map(|&i| issues[i].id.as_str()).collect();
    let subject = if ids.len() == 1 {
        format!("no value of issue \"{}\"", ids[0])
    } else {
        format!("no joint choice of the issues {}", ids.join(", "))
    };
    format!("{subject} satisfies the hard rules together: {}", sources.join("; "))
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind { parent: (0..n).collect() }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        // The smaller index becomes the root so components are discovered in issue order.
        if ra < rb {
            self.parent[rb] = ra;
        } else if rb < ra {
            self.parent[ra] = rb;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::UnionFind;

    #[test]
    fn union_find_roots_at_the_smallest_issue() {
        let mut links = UnionFind::new(5);
        links.union(3, 1);
        links.union(4, 3);
        assert_eq!(links.find(4), 1);
        assert_eq!(links.find(0), 0);
        assert_eq!(links.find(2), 2);
        links.union(0, 4);
        assert_eq!((links.find(1), links.find(3)), (0, 0));
    }
}
