//! From the file's shape to the core model. Everything a serde type cannot
//! express (an issue is discrete *or* numeric, a condition tests a list *or* a
//! range, ...) is checked here and reported as a [`Problem`] with a path, like
//! validation problems.

use accord_core::model::{
    Condition, Constraint, Issue, IssueKind, IssueOption, Negotiation, NumericRange, Party, Phase, Position, Profile,
    Provision, Rating, Stance, Test, Timetable, Value, Wording, WordingText, format_plain_number,
};
use accord_core::validate::{Path, PathSeg, Problem};
use chrono::{DateTime, Datelike as _, Utc};

use super::dto::{
    ConditionDto, Entries, FileDto, IssueDto, Number, PositionName, ProfileDto, ProvisionDto, RatingEntry, Scalar,
};

fn key(s: &str) -> PathSeg {
    PathSeg::Key(s.to_string())
}

fn with(path: &Path, rest: &[PathSeg]) -> Path {
    let mut p = path.clone();
    p.extend_from_slice(rest);
    p
}

struct Converter<'a> {
    file: &'a FileDto,
    problems: Vec<Problem>,
}

/// Converts the file; problems found on the way come with the (possibly partial) model.
pub(crate) fn convert(file: FileDto) -> (Negotiation, Vec<Problem>) {
    let mut c = Converter { file: &file, problems: Vec::new() };
    let parties = file.party.iter().map(|p| Party { id: p.id.clone(), name: p.name.clone(), role: p.role }).collect();
    let issues = file.issue.iter().enumerate().map(|(i, dto)| c.issue(i, dto)).collect();
    let provisions = file.provision.iter().enumerate().map(|(i, dto)| c.provision(i, dto)).collect();
    let constraints = file
        .constraint
        .iter()
        .enumerate()
        .map(|(i, dto)| {
            let base = vec![key("constraint"), PathSeg::Index(i)];
            Constraint {
                id: dto.id.clone(),
                description: dto.description.clone(),
                when: c.conditions(&with(&base, &[key("when")]), &dto.when),
                then: c.conditions(&with(&base, &[key("then")]), &dto.then),
            }
        })
        .collect();
    let phases = file
        .phase
        .iter()
        .enumerate()
        .map(|(i, dto)| {
            let base = vec![key("phase"), PathSeg::Index(i)];
            Phase {
                id: dto.id.clone(),
                name: dto.name.clone(),
                kind: dto.kind,
                start: c.datetime(with(&base, &[key("start")]), &dto.start),
                end: c.datetime(with(&base, &[key("end")]), &dto.end),
            }
        })
        .collect();
    let profiles = file.profile.0.iter().map(|(party, dto)| c.profile(party, dto)).collect();
    let stances = file
        .stance
        .iter()
        .enumerate()
        .map(|(i, dto)| {
            let base = vec![key("stance"), PathSeg::Index(i)];
            let conditions = dto.conditions.as_deref().unwrap_or_default();
            let position = match dto.position {
                PositionName::AcceptableIf => Position::AcceptableIf {
                    conditions: c.conditions(&with(&base, &[key("conditions")]), conditions),
                },
                other => {
                    if dto.conditions.is_some() {
                        c.report(
                            with(&base, &[key("conditions")]),
                            format!(
                                "the stance of \"{}\" on \"{}\" lists conditions, but its position is not acceptable_if",
                                dto.party, dto.provision
                            ),
                            Some("use position = \"acceptable_if\", or remove the conditions".into()),
                        );
                    }
                    if other == PositionName::Acceptable { Position::Acceptable } else { Position::Unacceptable }
                }
            };
            Stance {
                party: dto.party.clone(),
                provision: dto.provision.clone(),
                position,
                reason: dto.reason.clone(),
                // A scenario's stances are about the text as its draft reads.
                pin: None,
            }
        })
        .collect();
    let negotiation = Negotiation {
        id: file.negotiation.id.clone(),
        title: file.negotiation.title.clone(),
        description: file.negotiation.description.clone(),
        parties,
        issues,
        provisions,
        constraints,
        timetable: Timetable { phases },
        profiles,
        stances,
        privacy: file.privacy.unwrap_or_default(),
    };
    (negotiation, c.problems)
}

/// How a written number or string names a value in conditions and tables.
fn scalar_text(s: &Scalar) -> String {
    match s {
        Scalar::Text(t) => t.clone(),
        Scalar::Number(n) => format_plain_number(n.value()),
    }
}

impl Converter<'_> {
    fn report(&mut self, path: Path, message: String, hint: Option<String>) {
        self.problems.push(Problem { path, message, hint });
    }

    fn issue_dto(&self, id: &str) -> Option<&IssueDto> {
        self.file.issue.iter().find(|i| i.id == id)
    }

    fn issue(&mut self, i: usize, dto: &IssueDto) -> Issue {
        let base = vec![key("issue"), PathSeg::Index(i)];
        let kind = match (&dto.options, &dto.range) {
            (Some(_), Some(_)) => {
                self.report(
                    with(&base, &[key("range")]),
                    format!("issue \"{}\" has both options and a range", dto.id),
                    Some("an issue is discrete (options) or numeric (range), not both".into()),
                );
                IssueKind::Discrete { options: Vec::new() }
            }
            (None, None) => {
                self.report(
                    base.clone(),
                    format!("issue \"{}\" has neither options nor a range", dto.id),
                    Some(
                        "add options = [{ id = \"a\", label = \"…\" }, …] or range = { min = 0, max = 10, step = 1 }"
                            .into(),
                    ),
                );
                IssueKind::Discrete { options: Vec::new() }
            }
            (Some(options), None) => IssueKind::Discrete {
                options: options
                    .iter()
                    .map(|o| IssueOption { id: o.id.clone(), label: o.label.clone().unwrap_or_else(|| o.id.clone()) })
                    .collect(),
            },
            (None, Some(range)) => {
                let integer = [range.min, range.max, range.step].iter().all(|n| matches!(n, Number::Integer(_)));
                IssueKind::Numeric(NumericRange {
                    min: range.min.value(),
                    max: range.max.value(),
                    step: range.step.value(),
                    integer,
                    unit: range.unit.clone(),
                })
            }
        };
        let draft = dto.draft.as_ref().map(|d| match d {
            Scalar::Text(t) => Value::Option(t.clone()),
            Scalar::Number(n) => Value::Number(n.value()),
        });
        Issue { id: dto.id.clone(), title: dto.title.clone(), kind, draft }
    }

    fn provision(&mut self, i: usize, dto: &ProvisionDto) -> Provision {
        let base = vec![key("provision"), PathSeg::Index(i)];
        let wordings = dto
            .wording
            .0
            .iter()
            .map(|(issue_id, entries)| {
                let path = with(&base, &[key("wording"), key(issue_id)]);
                Wording { issue: issue_id.clone(), text: self.wording(path, &dto.id, issue_id, entries) }
            })
            .collect();
        Provision {
            id: dto.id.clone(),
            number: scalar_text(&dto.number),
            heading: dto.heading.clone(),
            body: dto.text.clone(),
            wordings,
        }
    }

    /// `template` names a template unless the issue is discrete and has an
    /// option whose id is "template".
    fn wording(&mut self, path: Path, provision: &str, issue_id: &str, entries: &Entries<String>) -> WordingText {
        let template = entries.0.iter().find(|(k, _)| k == "template").map(|(_, t)| t.clone());
        let per_option = || WordingText::PerOption(entries.0.clone());
        match self.issue_dto(issue_id) {
            Some(IssueDto { options: Some(options), .. }) => {
                if options.iter().any(|o| o.id == "template") {
                    return per_option();
                }
                template.map_or_else(per_option, WordingText::Template)
            }
            Some(IssueDto { range: Some(_), .. }) => {
                let Some(template) = template else { return per_option() };
                if let Some((extra, _)) = entries.0.iter().find(|(k, _)| k != "template") {
                    self.report(
                        with(&path, &[key(extra)]),
                        format!(
                            "the wording of provision \"{provision}\" for numeric issue \"{issue_id}\" has an unexpected key `{extra}`"
                        ),
                        Some("a numeric issue's wording has only a template".into()),
                    );
                }
                WordingText::Template(template)
            }
            _ if entries.0.len() == 1 => template.map_or_else(per_option, WordingText::Template),
            _ => per_option(),
        }
    }

    fn conditions(&mut self, base: &Path, dtos: &[ConditionDto]) -> Vec<Condition> {
        dtos.iter().enumerate().map(|(k, dto)| self.condition(with(base, &[PathSeg::Index(k)]), dto)).collect()
    }

    fn condition(&mut self, path: Path, dto: &ConditionDto) -> Condition {
        let test = match (&dto.is, dto.at_least, dto.at_most) {
            (Some(list), None, None) => Test::OneOf(list.0.iter().map(scalar_text).collect()),
            (None, min, max) if min.is_some() || max.is_some() => Test::Range { min, max },
            (None, _, _) => {
                self.report(
                    path.clone(),
                    format!("the condition on issue \"{}\" tests nothing", dto.issue),
                    Some("add is = [\"option\", …] (discrete) or at_least / at_most (numeric)".into()),
                );
                Test::OneOf(Vec::new())
            }
            (Some(list), _, _) => {
                self.report(
                    with(&path, &[key(if dto.at_least.is_some() { "at_least" } else { "at_most" })]),
                    format!("the condition on issue \"{}\" uses both `is` and at_least/at_most", dto.issue),
                    Some("use `is` for a discrete issue and at_least/at_most for a numeric one".into()),
                );
                Test::OneOf(list.0.iter().map(scalar_text).collect())
            }
        };
        Condition { issue: dto.issue.clone(), test }
    }

    fn datetime(&mut self, path: Path, written: &toml::value::Datetime) -> DateTime<Utc> {
        let parsed = match (written.date, written.time, written.offset) {
            (Some(_), Some(_), Some(_)) => DateTime::parse_from_rfc3339(&written.to_string()).ok(),
            _ => None,
        };
        let (message, hint) = match parsed.map(|t| t.with_timezone(&Utc)) {
            // A time zone can move a date past year 9999 or before year 0 in
            // UTC, where TOML cannot write it back.
            Some(t) if (0..=9999).contains(&t.year()) => return t,
            Some(t) => {
                (format!("{written} is {} in UTC, outside the years 0000–9999", t.format("%Y-%m-%dT%H:%M:%SZ")), None)
            }
            None => (
                format!("{written} is not a full date and time with a time zone"),
                Some("write e.g. 2025-11-21T09:00:00Z (UTC) or 2025-11-21T09:00:00+01:00".to_string()),
            ),
        };
        self.report(path, message, hint);
        DateTime::<Utc>::UNIX_EPOCH
    }

    fn profile(&mut self, party: &str, dto: &ProfileDto) -> Profile {
        let base = vec![key("profile"), key(party)];
        let ratings = dto
            .ratings
            .0
            .iter()
            .map(|(issue_id, entries)| {
                let path = with(&base, &[key("ratings"), key(issue_id)]);
                (issue_id.clone(), self.rating(path, party, issue_id, entries))
            })
            .collect();
        Profile {
            party: party.to_string(),
            illustrative: dto.illustrative,
            weighting: dto.weighting,
            weights: dto.weights.0.clone(),
            ratings,
            red_lines: self.conditions(&with(&base, &[key("red_lines")]), &dto.red_lines),
            reservation: dto.reservation,
            discount_factor: dto.discount_factor,
        }
    }

    fn rating(&mut self, path: Path, party: &str, issue_id: &str, entries: &Entries<RatingEntry>) -> Rating {
        match entries.0.as_slice() {
            [(name, RatingEntry::Points(points))] if name == "points" => return Rating::Piecewise(points.clone()),
            [(name, RatingEntry::Linear(l))] if name == "linear" => {
                return Rating::Linear { offset: l.offset, slope: l.slope, origin: l.origin };
            }
            _ => {}
        }
        let mut table = Vec::new();
        for (name, entry) in &entries.0 {
            match entry {
                RatingEntry::Number(r) => table.push((name.clone(), *r)),
                RatingEntry::Points(_) | RatingEntry::Linear(_) => {
                    let (what, expected) = if matches!(entry, RatingEntry::Points(_)) {
                        ("a list of points", "points")
                    } else {
                        ("linear parameters", "linear")
                    };
                    let message = if name == expected {
                        format!(
                            "the rating of issue \"{issue_id}\" by \"{party}\" mixes `{expected}` with other entries"
                        )
                    } else {
                        format!("the rating of issue \"{issue_id}\" by \"{party}\" gives {what} under `{name}`")
                    };
                    self.report(
                        with(&path, &[key(name)]),
                        message,
                        Some(
                            "a rating table holds one number per option, or only `points = [[value, rating], …]`, \
                             or only `linear = { offset, slope, origin }`"
                                .into(),
                        ),
                    );
                }
            }
        }
        Rating::Table(table)
    }
}
