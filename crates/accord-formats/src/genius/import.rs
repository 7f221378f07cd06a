//! GENIUS domain and profile files into a [`Negotiation`].

use std::collections::{HashMap, HashSet};

use accord_core::{
    Issue, IssueKind, IssueOption, Negotiation, NumericRange, Party, Profile, Provision, Rating, Role, Timetable,
    Weighting, Wording, WordingText, limits,
};

use super::ids::{IdSet, sanitise};
use super::xml::{self, Element};
use super::{GeniusError, REAL_ISSUE_POINTS};

/// An issue as the domain file declares it.
struct DomainIssue {
    /// The `index` attribute, which weights and profile issues refer to.
    index: i64,
    name: String,
    kind: DomainKind,
}

enum DomainKind {
    Discrete(Vec<String>),
    Integer { lower: i64, upper: i64 },
    Real { lower: f64, upper: f64 },
}

impl DomainKind {
    /// How many values the imported issue takes.
    fn value_count(&self) -> u64 {
        match self {
            DomainKind::Discrete(values) => values.len() as u64,
            // Bounds were checked: `upper - lower + 1` is within the per-issue limit.
            DomainKind::Integer { lower, upper } => upper.abs_diff(*lower).saturating_add(1),
            DomainKind::Real { .. } => REAL_ISSUE_POINTS as u64,
        }
    }
}

struct Domain {
    issues: Vec<DomainIssue>,
    /// Indices of objective elements: weights on them belong to the objective
    /// tree, not to an issue, and carry no meaning for a flat domain.
    objective_indices: Vec<i64>,
}

pub(crate) fn import(domain: (&str, &str), profiles: &[(&str, &str)]) -> Result<Negotiation, GeniusError> {
    let (domain_file, domain_text) = domain;
    let parsed = parse_domain(domain_file, domain_text)?;

    let mut issue_ids = IdSet::default();
    let issues: Vec<Issue> = parsed
        .issues
        .iter()
        .enumerate()
        .map(|(k, di)| build_issue(di, issue_ids.unique(sanitise(&di.name, &format!("issue-{}", k + 1)))))
        .collect();

    let mut party_ids = IdSet::default();
    party_ids.reserve("mediator");
    let mut parties =
        vec![Party { id: "mediator".into(), name: "Mediator (added on import)".into(), role: Role::Mediator }];
    let mut built_profiles = Vec::with_capacity(profiles.len());
    for (k, (file, text)) in profiles.iter().enumerate() {
        let stem = file_stem(file);
        let id = party_ids.unique(sanitise(stem, &format!("party-{}", k + 1)));
        built_profiles.push(parse_profile(file, text, &parsed, &issues, &id)?);
        parties.push(Party { id, name: stem.to_string(), role: Role::Signatory });
    }
    if profiles.len() >= limits::MAX_PARTIES {
        return Err(GeniusError::Domain(format!(
            "the GENIUS domain {domain_file} comes with {} profile files; with the mediator added that is more \
             than {} parties, the limit (limits::MAX_PARTIES)",
            profiles.len(),
            limits::MAX_PARTIES
        )));
    }
    if profiles.len() < 2 {
        return Err(GeniusError::Domain(format!(
            "the GENIUS domain {domain_file} comes with {} profile file(s); a negotiation needs at least two \
             (one <utility_space> file per party)",
            profiles.len()
        )));
    }

    let provisions = issues
        .iter()
        .enumerate()
        .map(|(k, issue)| Provision {
            id: format!("art-{}", k + 1),
            number: (k + 1).to_string(),
            heading: issue.title.clone(),
            body: format!("{{{}}}", issue.id),
            wordings: vec![Wording { issue: issue.id.clone(), text: wording_text(issue) }],
        })
        .collect();

    let title = file_stem(domain_file).to_string();
    Ok(Negotiation {
        id: sanitise(&title, "genius-domain"),
        description: describe(domain_file, profiles, &parsed, &issues),
        title,
        parties,
        issues,
        provisions,
        constraints: Vec::new(),
        timetable: Timetable::default(),
        profiles: built_profiles,
        stances: Vec::new(),
        privacy: Default::default(),
    })
}

fn wording_text(issue: &Issue) -> WordingText {
    match &issue.kind {
        IssueKind::Discrete { options } => {
            WordingText::PerOption(options.iter().map(|o| (o.id.clone(), o.label.clone())).collect())
        }
        IssueKind::Numeric(_) => WordingText::Template("{value}".into()),
    }
}

fn describe(domain_file: &str, profiles: &[(&str, &str)], domain: &Domain, issues: &[Issue]) -> String {
    let names: Vec<&str> = profiles.iter().map(|(f, _)| *f).collect();
    let mut text = format!(
        "Imported from the GENIUS domain {domain_file} with the profiles {}. Utilities follow the GENIUS rules: \
         weights as written, discrete evaluations divided by their maximum, integer evaluators linear from the \
         profile's lower bound. The mediator party was added on import; the text has one provision per issue.",
        names.join(", ")
    );
    for (di, issue) in domain.issues.iter().zip(issues) {
        if let DomainKind::Real { lower, upper } = di.kind {
            text.push_str(&format!(
                " The real issue \"{}\" is discretised into {REAL_ISSUE_POINTS} evenly spaced values from {lower} \
                 to {upper}, as NegMAS does.",
                issue.title
            ));
        }
    }
    text
}

/// The file name without directories and without its extension.
pub(crate) fn file_stem(file: &str) -> &str {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    }
}

fn build_issue(di: &DomainIssue, id: String) -> Issue {
    let kind = match &di.kind {
        DomainKind::Discrete(values) => {
            let mut option_ids = IdSet::default();
            let options = values
                .iter()
                .enumerate()
                .map(|(k, v)| IssueOption {
                    id: option_ids.unique(sanitise(v, &format!("value-{}", k + 1))),
                    label: v.clone(),
                })
                .collect();
            IssueKind::Discrete { options }
        }
        DomainKind::Integer { lower, upper } => IssueKind::Numeric(NumericRange {
            min: *lower as f64,
            max: *upper as f64,
            step: 1.0,
            integer: true,
            unit: None,
        }),
        DomainKind::Real { lower, upper } => IssueKind::Numeric(real_grid(*lower, *upper)),
    };
    Issue { id, title: di.name.clone(), kind, draft: None }
}

/// The grid a continuous GENIUS issue is analysed on: NegMAS's default
/// discretisation, `REAL_ISSUE_POINTS` evenly spaced values including both bounds.
pub(crate) fn real_grid(lower: f64, upper: f64) -> NumericRange {
    let step = if upper > lower { (upper - lower) / (REAL_ISSUE_POINTS - 1) as f64 } else { 1.0 };
    NumericRange { min: lower, max: upper, step, integer: false, unit: None }
}

// ---------------------------------------------------------------------------
// Domain file

fn parse_domain(file: &str, text: &str) -> Result<Domain, GeniusError> {
    let root = xml::parse(file, text)?;
    if root.name != "negotiation_template" {
        return Err(err(
            file,
            &root,
            "this is not a GENIUS domain file: its root element should be <negotiation_template>",
        ));
    }
    let space = root.child("utility_space").ok_or_else(|| err(file, &root, "has no <utility_space> element"))?;
    let objective = single_objective(file, space)?;
    let mut objective_indices = Vec::new();
    if let Some(index) = objective.attr("index") {
        objective_indices.push(parse_int(file, objective, "index", index)?);
    }
    let mut issues: Vec<DomainIssue> = Vec::new();
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for child in &objective.children {
        match child.name.as_str() {
            "issue" => {
                let issue = parse_domain_issue(file, child)?;
                if let Some(&earlier) = seen.get(&issue.index) {
                    return Err(err(
                        file,
                        child,
                        format!(
                            "issue index {} is already used by issue \"{}\": every issue needs its own index",
                            issue.index, issues[earlier].name
                        ),
                    ));
                }
                seen.insert(issue.index, issues.len());
                issues.push(issue);
                if issues.len() > limits::MAX_ISSUES {
                    return Err(err(
                        file,
                        child,
                        format!(
                            "the domain has more than {} issues, the limit (limits::MAX_ISSUES)",
                            limits::format_count(limits::MAX_ISSUES as u64)
                        ),
                    ));
                }
            }
            "objective" => {
                return Err(err(
                    file,
                    child,
                    "nested objectives are not supported: Accord imports flat GENIUS domains (issues directly \
                     under the root objective)",
                ));
            }
            _ => {}
        }
    }
    if issues.is_empty() {
        return Err(err(file, objective, "the domain has no <issue> elements"));
    }
    let total = issues.iter().fold(0u64, |sum, issue| sum.saturating_add(issue.kind.value_count()));
    if total > limits::MAX_TOTAL_VALUES {
        return Err(err(
            file,
            objective,
            format!(
                "the issues take {} values together, more than the limit of {} (limits::MAX_TOTAL_VALUES)",
                limits::format_count(total),
                limits::format_count(limits::MAX_TOTAL_VALUES)
            ),
        ));
    }
    Ok(Domain { issues, objective_indices })
}

fn single_objective<'a>(file: &str, space: &'a Element) -> Result<&'a Element, GeniusError> {
    let mut objectives = space.children_named("objective");
    let objective =
        objectives.next().ok_or_else(|| err(file, space, "has no <objective> element holding the issues"))?;
    if let Some(second) = objectives.next() {
        return Err(err(file, second, "a second root <objective>: a GENIUS utility space has exactly one"));
    }
    Ok(objective)
}

fn parse_domain_issue(file: &str, el: &Element) -> Result<DomainIssue, GeniusError> {
    let index = parse_int(file, el, "index", required(file, el, "index")?)?;
    let name = required(file, el, "name")?.to_string();
    let kind = match issue_type(el) {
        "discrete" => {
            let mut values: Vec<String> = Vec::new();
            let mut seen: HashSet<&str> = HashSet::new();
            for item in el.children_named("item") {
                let value = required(file, item, "value")?;
                if !seen.insert(value) {
                    return Err(err(file, item, format!("value \"{value}\" is listed twice in issue \"{name}\"")));
                }
                if values.len() as u64 == limits::MAX_VALUES_PER_ISSUE {
                    return Err(err(
                        file,
                        item,
                        format!(
                            "issue \"{name}\" has more than {} values, the limit per issue \
                             (limits::MAX_VALUES_PER_ISSUE)",
                            limits::format_count(limits::MAX_VALUES_PER_ISSUE)
                        ),
                    ));
                }
                values.push(value.to_string());
            }
            if values.is_empty() {
                return Err(err(file, el, "a discrete issue needs at least one <item value=\"…\">"));
            }
            DomainKind::Discrete(values)
        }
        "integer" => {
            let (lower, upper) = bounds(file, el)?;
            let lower = parse_int(file, el, "lowerbound", lower)?;
            let upper = parse_int(file, el, "upperbound", upper)?;
            if upper < lower {
                return Err(err(file, el, format!("upperbound {upper} is below lowerbound {lower}")));
            }
            let count = i128::from(upper) - i128::from(lower) + 1;
            if count > i128::from(limits::MAX_VALUES_PER_ISSUE) {
                return Err(err(
                    file,
                    el,
                    format!(
                        "the range {lower}..{upper} has {count} values; Accord takes at most {} per issue \
                         (limits::MAX_VALUES_PER_ISSUE)",
                        limits::format_count(limits::MAX_VALUES_PER_ISSUE)
                    ),
                ));
            }
            DomainKind::Integer { lower, upper }
        }
        "real" => {
            let (lower, upper) = bounds(file, el)?;
            let lower = parse_float(file, el, "lowerbound", lower)?;
            let upper = parse_float(file, el, "upperbound", upper)?;
            if upper < lower {
                return Err(err(file, el, format!("upperbound {upper} is below lowerbound {lower}")));
            }
            DomainKind::Real { lower, upper }
        }
        other => {
            return Err(err(
                file,
                el,
                format!("vtype \"{other}\" is not supported (expected discrete, integer or real)"),
            ));
        }
    };
    Ok(DomainIssue { index, name, kind })
}

/// The issue's value type: `vtype`, else `type`, else discrete (as GENIUS defaults).
fn issue_type(el: &Element) -> &str {
    el.attr("vtype").or_else(|| el.attr("type")).map_or("discrete", str::trim)
}

/// `lowerbound`/`upperbound` from the issue's attributes, or from a `<range>` child (NegMAS writes that form).
fn bounds<'a>(file: &str, el: &'a Element) -> Result<(&'a str, &'a str), GeniusError> {
    let range = el.child("range");
    let pick = |key: &str| range.and_then(|r| r.attr(key)).or_else(|| el.attr(key));
    let lower = pick("lowerbound").ok_or_else(|| err(file, el, "missing attribute lowerbound"))?;
    let upper = pick("upperbound").ok_or_else(|| err(file, el, "missing attribute upperbound"))?;
    Ok((lower, upper))
}

// ---------------------------------------------------------------------------
// Profile files

fn parse_profile(
    file: &str,
    text: &str,
    domain: &Domain,
    issues: &[Issue],
    party: &str,
) -> Result<Profile, GeniusError> {
    let root = xml::parse(file, text)?;
    if root.name != "utility_space" {
        return Err(err(file, &root, "this is not a GENIUS profile: its root element should be <utility_space>"));
    }
    let objective = single_objective(file, &root)?;
    let mut objective_indices = domain.objective_indices.clone();
    if let Some(index) = objective.attr("index") {
        objective_indices.push(parse_int(file, objective, "index", index)?);
    }
    let position_of = |index: i64| domain.issues.iter().position(|di| di.index == index);

    let mut ratings: Vec<Option<Rating>> = vec![None; issues.len()];
    let mut weights: Vec<Option<f64>> = vec![None; issues.len()];
    for child in &objective.children {
        match child.name.as_str() {
            "issue" => {
                let index = parse_int(file, child, "index", required(file, child, "index")?)?;
                let Some(pos) = position_of(index) else {
                    return Err(err(file, child, format!("no issue has index {index} in the domain file")));
                };
                let di = &domain.issues[pos];
                if let Some(name) = child.attr("name")
                    && name != di.name
                {
                    return Err(err(
                        file,
                        child,
                        format!("issue index {index} is named \"{name}\" here but \"{}\" in the domain file", di.name),
                    ));
                }
                if ratings[pos].is_some() {
                    return Err(err(file, child, format!("issue index {index} is described twice")));
                }
                ratings[pos] = Some(parse_rating(file, child, di, &issues[pos])?);
            }
            "weight" => {
                let index = parse_int(file, child, "index", required(file, child, "index")?)?;
                let value = parse_float(file, child, "value", required(file, child, "value")?)?;
                match position_of(index) {
                    Some(pos) if weights[pos].is_some() => {
                        return Err(err(file, child, format!("issue index {index} has a second weight")));
                    }
                    Some(pos) => weights[pos] = Some(value),
                    // The weight of the objective itself (FitnessA gives one): meaningless for a flat domain.
                    None if objective_indices.contains(&index) => {}
                    None => return Err(err(file, child, format!("no issue has index {index}"))),
                }
            }
            "objective" => return Err(err(file, child, "nested objectives are not supported")),
            _ => {}
        }
    }

    let reservation = match root.child("reservation") {
        Some(el) => parse_float(file, el, "value", required(file, el, "value")?)?,
        None => 0.0,
    };
    let discount_factor = match root.child("discount_factor") {
        Some(el) => Some(parse_float(file, el, "value", required(file, el, "value")?)?),
        None => None,
    };

    Ok(Profile {
        party: party.to_string(),
        illustrative: false,
        weighting: Weighting::AsWritten,
        weights: issues.iter().zip(&weights).map(|(issue, w)| (issue.id.clone(), w.unwrap_or(0.0))).collect(),
        ratings: issues
            .iter()
            .zip(ratings)
            .filter_map(|(issue, rating)| rating.map(|r| (issue.id.clone(), r)))
            .collect(),
        red_lines: Vec::new(),
        reservation,
        discount_factor,
    })
}

fn parse_rating(file: &str, el: &Element, di: &DomainIssue, issue: &Issue) -> Result<Rating, GeniusError> {
    let declared = issue_type(el);
    let expected = match di.kind {
        DomainKind::Discrete(_) => "discrete",
        DomainKind::Integer { .. } => "integer",
        DomainKind::Real { .. } => "real",
    };
    if (el.attr("vtype").is_some() || el.attr("type").is_some()) && declared != expected {
        return Err(err(file, el, format!("the issue is {declared} here but {expected} in the domain file")));
    }
    match &di.kind {
        DomainKind::Discrete(values) => {
            let IssueKind::Discrete { options } = &issue.kind else {
                unreachable!("discrete domain issues become discrete issues")
            };
            let mut evaluations: Vec<Option<f64>> = vec![None; values.len()];
            for item in el.children_named("item") {
                let value = required(file, item, "value")?;
                let Some(pos) = values.iter().position(|v| v == value) else {
                    return Err(err(
                        file,
                        item,
                        format!("the domain's issue \"{}\" has no value \"{value}\"", di.name),
                    ));
                };
                if evaluations[pos].is_some() {
                    return Err(err(file, item, format!("value \"{value}\" is evaluated twice")));
                }
                evaluations[pos] = Some(parse_float(file, item, "evaluation", required(file, item, "evaluation")?)?);
            }
            // GENIUS rule 3: e(v) = evaluation(v) / max; all 0 when the max is below 1e-5.
            let max = evaluations.iter().flatten().copied().fold(f64::NEG_INFINITY, f64::max);
            let table = options
                .iter()
                .zip(&evaluations)
                .map(|(option, e)| {
                    let rating = match e {
                        Some(e) if max >= 1e-5 => e / max,
                        _ => 0.0,
                    };
                    (option.id.clone(), rating)
                })
                .collect();
            Ok(Rating::Table(table))
        }
        DomainKind::Integer { lower, .. } => {
            let evaluator = linear_evaluator(file, el)?;
            // GENIUS rule 4: the origin is the lower bound written in the profile's issue element.
            let origin = match el.attr("lowerbound") {
                Some(text) => parse_int(file, el, "lowerbound", text)? as f64,
                None => *lower as f64,
            };
            let (offset, slope) = linear_parameters(file, evaluator)?;
            Ok(Rating::Linear { offset, slope, origin })
        }
        DomainKind::Real { lower, .. } => {
            let evaluator =
                el.child("evaluator").ok_or_else(|| err(file, el, "a real issue needs an <evaluator ftype=\"…\">"))?;
            match evaluator.attr("ftype").map(str::trim) {
                Some("linear") => {
                    let (offset, slope) = linear_parameters(file, evaluator)?;
                    Ok(Rating::Linear { offset, slope, origin: 0.0 })
                }
                Some("constant") => {
                    let c = parse_float(file, evaluator, "parameter0", required(file, evaluator, "parameter0")?)?;
                    Ok(Rating::Piecewise(vec![(*lower, c)]))
                }
                Some("triangular") => {
                    let get = |k: &str| parse_float(file, evaluator, k, required(file, evaluator, k)?);
                    let (low, high, top) = (get("parameter0")?, get("parameter1")?, get("parameter2")?);
                    if !(low <= top && top <= high) || low == high {
                        return Err(err(
                            file,
                            evaluator,
                            "a triangular evaluator needs parameter0 <= parameter2 <= parameter1 and a non-empty base",
                        ));
                    }
                    let mut points = Vec::new();
                    if top > low {
                        points.push((low, 0.0));
                    }
                    points.push((top, 1.0));
                    if high > top {
                        points.push((high, 0.0));
                    }
                    Ok(Rating::Piecewise(points))
                }
                other => Err(err(
                    file,
                    evaluator,
                    format!(
                        "ftype \"{}\" is not supported for a real issue (expected linear, constant or triangular)",
                        other.unwrap_or("")
                    ),
                )),
            }
        }
    }
}

fn linear_evaluator<'a>(file: &str, el: &'a Element) -> Result<&'a Element, GeniusError> {
    let evaluator =
        el.child("evaluator").ok_or_else(|| err(file, el, "an integer issue needs an <evaluator ftype=\"linear\">"))?;
    match evaluator.attr("ftype").map(str::trim) {
        Some("linear") => Ok(evaluator),
        other => Err(err(
            file,
            evaluator,
            format!("ftype \"{}\" is not supported for an integer issue (expected linear)", other.unwrap_or("")),
        )),
    }
}

/// `offset` and `slope`, or the older `parameter0` (offset) and `parameter1` (slope).
fn linear_parameters(file: &str, evaluator: &Element) -> Result<(f64, f64), GeniusError> {
    let get = |keys: [&str; 2]| -> Result<f64, GeniusError> {
        let (key, text) = keys
            .iter()
            .find_map(|k| evaluator.attr(k).map(|v| (*k, v)))
            .ok_or_else(|| err(file, evaluator, format!("missing attribute {}", keys[0])))?;
        parse_float(file, evaluator, key, text)
    };
    Ok((get(["offset", "parameter0"])?, get(["slope", "parameter1"])?))
}

// ---------------------------------------------------------------------------
// Attribute helpers

fn err(file: &str, el: &Element, message: impl Into<String>) -> GeniusError {
    GeniusError::at(file, el.line, Some(el.describe()), message)
}

fn required<'a>(file: &str, el: &'a Element, key: &str) -> Result<&'a str, GeniusError> {
    el.attr(key).ok_or_else(|| err(file, el, format!("missing attribute {key}")))
}

fn parse_float(file: &str, el: &Element, key: &str, text: &str) -> Result<f64, GeniusError> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(err(file, el, format!("{key}=\"{text}\" is not a finite number"))),
    }
}

fn parse_int(file: &str, el: &Element, key: &str, text: &str) -> Result<i64, GeniusError> {
    let trimmed = text.trim();
    if let Ok(n) = trimmed.parse::<i64>() {
        return Ok(n);
    }
    // "8.0" names the integer 8; anything with a fraction does not.
    match trimmed.parse::<f64>() {
        Ok(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(x as i64),
        _ => Err(err(file, el, format!("{key}=\"{text}\" is not an integer"))),
    }
}
